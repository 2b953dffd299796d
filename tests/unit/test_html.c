/* report.html: escaping, the SVG charts, and pages made from real result files. */
#include "html.h"
#include "result.h"
#include "stats.h"
#include "suites.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What a writer printed, as a string (malloc'd). */
#define CAPTURE(buf, call)                                            \
	do {                                                          \
		size_t capture_len_;                                  \
		FILE *f = open_memstream(&(buf), &capture_len_);      \
		call;                                                 \
		fclose(f);                                            \
	} while (0)

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* "nan" or "inf" standing alone, as printf writes a non-finite number. */
static bool has_non_finite(const char *text)
{
	static const char *const words[] = { "nan", "inf" };

	for (int w = 0; w < 2; w++)
		for (const char *p = text; (p = strstr(p, words[w])); p += 3) {
			bool before = p > text && ((p[-1] >= 'a' && p[-1] <= 'z') || p[-1] == '_');
			bool after = (p[3] >= 'a' && p[3] <= 'z') || p[3] == '_';
			if (!before && !after)
				return true;
		}
	return false;
}

static char *escaped(const char *s, size_t n)
{
	char *out = NULL;

	CAPTURE(out, html_escape_n(f, s, n));
	return out;
}

/* The text parses as XML: every tag closed, every entity known, no stray
 * byte (Python's expat, as a second opinion on the writer). */
static void assert_well_formed(const char *text, const char *what)
{
	char file[256], log[256], *errors;
	int status;

	snprintf(file, sizeof(file), "%s", test_temp_file(text, ".xml"));
	snprintf(log, sizeof(log), "%s", test_temp_file("", ".log"));
	status = run_cmd((char *[]){ "python3", "-c", "import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])",
				     file, NULL }, log, NULL);
	errors = read_file(log, NULL);
	ck_assert_msg(status == 0, "%s is not well-formed: %s", what, errors ? errors : "");
	free(errors);
}

/* No byte a terminal or a parser could take for more than text. */
static void assert_no_raw_bytes(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		ck_assert_msg(*p >= 0x20 || *p == '\n' || *p == '\t', "raw byte 0x%02x at offset %td", *p,
			      (const char *)p - text);
}

START_TEST(escape_markup_and_quotes)
{
	static const char in[] = "<a href=\"x\" title='y'>&amp;</a>";
	char *out = escaped(in, sizeof(in) - 1);

	ck_assert_str_eq(out, "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;");
	free(out);
}
END_TEST

START_TEST(escape_neutralises_control_bytes)
{
	static const char in[] = "\x1b[2J\x1b]0;pwned\x07 red\r\x7f nul:\0!\ttab\nline";
	char *out = escaped(in, sizeof(in) - 1);

	ck_assert_str_eq(out, "?[2J?]0;pwned? red?? nul:?!\ttab\nline");
	free(out);
}
END_TEST

START_TEST(escape_repairs_utf8_and_bidi)
{
	static const char in[] = "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x98\x80|\xff|\xc0\xaf|\xed\xa0\x80|\xc2\x9b|"
				 "\xe2\x80\xae|\xe2\x82";
	char *out = escaped(in, sizeof(in) - 1);

	/* Valid text stays; a bad byte is U+FFFD each; C1 and bidi marks are '?'. */
	ck_assert_str_eq(out, "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x98\x80|\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd|"
			      "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|?|?|\xef\xbf\xbd\xef\xbf\xbd");
	free(out);
}
END_TEST

START_TEST(url_is_percent_encoded)
{
	char *out = NULL;

	CAPTURE(out, html_url(f, "run-1/console.log"));
	ck_assert_str_eq(out, "run-1/console.log");
	free(out);
	CAPTURE(out, html_url(f, "javascript:x\"><b y=' z"));
	ck_assert_str_eq(out, "javascript%3Ax%22%3E%3Cb%20y%3D%27%20z");
	free(out);
}
END_TEST

START_TEST(bars_with_one_value)
{
	const char *rows[] = { "pgmigrate_fail" }, *series[] = { "buggy" };
	double values[] = { 51 };
	struct html_bars c = { "one <counter>", rows, 1, series, 1, values };
	char *svg = NULL;

	CAPTURE(svg, html_svg_bars(f, &c));
	ck_assert_int_eq(count(svg, "<svg "), 1);
	ck_assert_int_eq(count(svg, "<rect "), 2); /* the legend's swatch and the bar */
	ck_assert_ptr_nonnull(strstr(svg, ">pgmigrate_fail</text>"));
	ck_assert_ptr_nonnull(strstr(svg, ">51</text>"));
	ck_assert_ptr_nonnull(strstr(svg, "width=\"380.0\"")); /* the row's largest value fills the plot */
	ck_assert_ptr_nonnull(strstr(svg, "one &lt;counter&gt;"));
	assert_well_formed(svg, "a one-bar chart");
	free(svg);
}
END_TEST

/* Hostile names from the guest's vmstat, NaN and negative values. */
START_TEST(bars_with_a_hundred_values)
{
	const char *rows[100], *series[] = { "head", "base" };
	char names[100][48], label[64];
	double values[200];
	struct html_bars c = { "a hundred", rows, 100, series, 2, values };
	char *svg = NULL;

	for (int i = 0; i < 100; i++) {
		snprintf(names[i], sizeof(names[i]), i == 7 ? "<script>x%d" : "counter_%d", i);
		rows[i] = names[i];
		values[2 * i] = i == 3 ? NAN : i;
		values[2 * i + 1] = i == 5 ? -40 : 2 * i;
	}
	CAPTURE(svg, html_svg_bars(f, &c));
	ck_assert_int_eq(count(svg, "<rect "), 2 + 200);
	for (int i = 0; i < 100; i++) {
		snprintf(label, sizeof(label), ">counter_%d</text>", i);
		ck_assert_msg(i == 7 || strstr(svg, label), "row %d missing", i);
	}
	ck_assert_ptr_nonnull(strstr(svg, "&lt;script&gt;x7"));
	ck_assert_ptr_null(strstr(svg, "<script"));
	ck_assert(!has_non_finite(svg));
	ck_assert_ptr_nonnull(strstr(svg, ">-40</text>"));
	ck_assert_ptr_nonnull(strstr(svg, "height=\"3836\"")); /* 30 + 100 rows of 2 x 14 + 10 + 6 */
	assert_well_formed(svg, "a hundred-row chart");
	free(svg);
}
END_TEST

START_TEST(bars_beyond_the_row_limit_say_so)
{
	size_t n = HTML_MAX_ROWS + 50;
	const char **rows = xcalloc(n, sizeof(*rows)), *series[] = { "s" };
	double *values = xcalloc(n, sizeof(double));
	struct html_bars c = { "many", rows, n, series, 1, values };
	char *svg = NULL, caption[128];

	for (size_t i = 0; i < n; i++) {
		rows[i] = "c";
		values[i] = 1;
	}
	CAPTURE(svg, html_svg_bars(f, &c));
	snprintf(caption, sizeof(caption), "the first %d of %zu rows", HTML_MAX_ROWS, n);
	ck_assert_ptr_nonnull(strstr(svg, caption));
	ck_assert_int_eq(count(svg, "<rect "), 1 + HTML_MAX_ROWS);
	free(svg);
	free(rows);
	free(values);
}
END_TEST

START_TEST(rates_show_the_wilson_interval)
{
	struct html_rate r[100] = { { "buggy", 3, 4 }, { "fixed", 0, 10 }, { "conf only", 0, 0 } };
	char *svg = NULL, want[64];
	struct interval ci = stats_wilson(3, 4);

	for (int i = 3; i < 100; i++)
		r[i] = (struct html_rate){ "step", i % 7, 7 };
	CAPTURE(svg, html_svg_rates(f, r, 1));
	snprintf(want, sizeof(want), ">3/4 (%.0f-%.0f%%)</text>", ci.lo * 100, ci.hi * 100);
	ck_assert_ptr_nonnull(strstr(svg, want));
	ck_assert_ptr_nonnull(strstr(svg, "3 of 4 valid runs hit"));
	ck_assert_int_eq(count(svg, "<circle "), 1);
	assert_well_formed(svg, "a one-row rate chart");
	free(svg);
	CAPTURE(svg, html_svg_rates(f, r, 100));
	ck_assert_int_eq(count(svg, "<circle "), 99);
	ck_assert_ptr_nonnull(strstr(svg, "no valid run"));
	ck_assert_ptr_nonnull(strstr(svg, ">0/10 (0-28%)</text>"));
	assert_well_formed(svg, "a hundred-row rate chart");
	free(svg);
}
END_TEST

START_TEST(timeline_stacks_the_phases)
{
	struct html_phases p[] = {
		{ "run 1", { 0.5, 2.0, 1.0, 0.25 } },
		{ "run 2", { 0, 3.0, NAN, -1 } },
	};
	char *svg = NULL;

	CAPTURE(svg, html_svg_timeline(f, p, 2));
	ck_assert_int_eq(count(svg, "<rect "), 4 + 4 + 1); /* legend, run 1's four, run 2's boot */
	ck_assert_ptr_nonnull(strstr(svg, "<title>workload: 1.00 s</title>"));
	ck_assert_ptr_nonnull(strstr(svg, ">3.8 s</text>"));
	ck_assert_ptr_nonnull(strstr(svg, ">3.0 s</text>"));
	ck_assert(!has_non_finite(svg));
	assert_well_formed(svg, "a timeline");
	free(svg);
}
END_TEST

/* ---- pages from real result files ---------------------------------------------- */

static void write_text(const char *dir, const char *name, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_int_eq(write_file_atomic(path, text, strlen(text)), 0);
}

static const char hostile_console[] =
	"[    0.100000] Linux version 6.12.117\n"
	"mmrepro-init: workload-start /run/mmrepro/bin/x\n"
	"<script>alert(1)</script>\n"
	"[    2.436850] ------------[ cut here ]------------\n"
	"[    2.437096] kernel BUG at mm/migrate.c:2719! <img src=x onerror=alert(1)>\n"
	"[    2.438983] RIP: 0010:migrate_misplaced_folio+0x1c3/0x200 \x1b]0;pwned\x07\x1b[31m\r\n"
	"[    2.445063] ---[ end trace 0000000000000000 ]--- \xff\xfe </pre></span>\n"
	"after the report\n";

/* A run as the runner writes it: run-1/result.json, console.log, the
 * summary. A title makes it a console crash (report lines 4..7). */
static struct run_result make_run(const char *out, enum verdict v, const char *title, const char *workload)
{
	struct run_result r;

	memset(&r, 0, sizeof(r));
	snprintf(r.case_name, sizeof(r.case_name), "numa-deferred-split-migrate");
	snprintf(r.kernel_spec, sizeof(r.kernel_spec), "src:deb-6.12");
	snprintf(r.kernel_release, sizeof(r.kernel_release), "6.12.117+");
	snprintf(r.accel, sizeof(r.accel), "tcg");
	snprintf(r.accel_reason, sizeof(r.accel_reason), "tcg (no vmx/svm)");
	r.index = 1;
	r.verdict = v;
	snprintf(r.reason, sizeof(r.reason), "%s", title ? title : v == V_FAIL ? "io_uring: ENOMEM" : "all moved");
	if (title) {
		r.report.crash = true;
		snprintf(r.report.title, sizeof(r.report.title), "%s", title);
		snprintf(r.report.guilty_frame, sizeof(r.report.guilty_frame), "migrate_misplaced_folio");
		r.report.start_line = 4;
		r.report.end_line = 7;
	}
	r.workload = workload ? json_tokener_parse(workload) : NULL;
	r.prepare_s = 0.2, r.init_s = 1.5, r.boot_s = 1.8, r.workload_s = 1.2, r.total_s = 3.4;
	snprintf(r.dir, sizeof(r.dir), "%s/run-1", out);
	ck_assert_int_eq(mkdir_p(r.dir, 0755), 0);
	ck_assert_int_eq(result_write(&r), 0);
	write_text(r.dir, "console.log", hostile_console);
	ck_assert_int_eq(result_write_summary(out, &r, 1), 0);
	return r;
}

static char *render(const char *dir)
{
	char err[1024] = "", *page = NULL;
	int rc;

	CAPTURE(page, rc = html_render_dir(f, dir, err, sizeof(err)));
	ck_assert_msg(rc == 0, "render %s: %s", dir, err);
	return page;
}

START_TEST(run_page_keeps_a_hostile_console_as_text)
{
	const char *dir = test_temp_dir();
	struct run_result r = make_run(dir, V_FAIL, "kernel BUG in migrate_misplaced_folio <script>x</script>", NULL);
	char *page = render(dir);

	ck_assert_ptr_nonnull(strstr(page, "<title>mmrepro run: numa-deferred-split-migrate on src:deb-6.12</title>"));
	ck_assert_ptr_nonnull(strstr(page, "BUG HIT in 1 of 1 runs: kernel BUG in migrate_misplaced_folio &lt;script&gt;"));
	ck_assert_ptr_nonnull(strstr(page, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	ck_assert_ptr_nonnull(strstr(page, "&lt;img src=x onerror=alert(1)&gt;"));
	ck_assert_ptr_nonnull(strstr(page, "0x1c3/0x200 ?]0;pwned??[31m\n"));
	ck_assert_ptr_nonnull(strstr(page, "--- \xef\xbf\xbd\xef\xbf\xbd &lt;/pre&gt;&lt;/span&gt;"));
	ck_assert_ptr_null(strcasestr(page, "<script"));
	ck_assert_ptr_null(strcasestr(page, "<img"));
	ck_assert_int_eq(count(page, "<span class=\"l hl\">"), 4); /* report lines 4..7 */
	ck_assert_ptr_nonnull(strstr(page, "<span class=\"l hl\"><span class=\"n\">4</span>"));
	ck_assert_ptr_nonnull(strstr(page, "<span class=\"l\"><span class=\"n\">8</span>after the report"));
	ck_assert_ptr_nonnull(strstr(page, "<a href=\"run-1/console.log\">the full console.log</a>"));
	ck_assert_ptr_nonnull(strstr(page, "default-src 'none'"));
	ck_assert_ptr_nonnull(strstr(page, "./run.sh run numa-deferred-split-migrate --kernel src:deb-6.12 --runs 1"));
	assert_no_raw_bytes(page);
	assert_well_formed(page, "the run page");
	free(page);
	json_object_put(r.workload);
}
END_TEST

START_TEST(run_page_with_missing_fields_leaves_parts_out)
{
	const char *dir = test_temp_dir();
	char *page;

	write_text(dir, "result.json", "{\"runs\":[{\"case\":\"old-case\",\"verdict\":\"PASS\"}]}");
	page = render(dir);
	ck_assert_ptr_nonnull(strstr(page, "<dt>case</dt><dd>old-case</dd>"));
	ck_assert_ptr_nonnull(strstr(page, "no bug: 1 of 1 runs passed"));
	ck_assert_ptr_null(strstr(page, "<dt>kernel</dt>"));
	ck_assert_ptr_null(strstr(page, "<dt>series</dt>"));
	ck_assert_ptr_null(strstr(page, "Timeline"));
	ck_assert_ptr_null(strstr(page, "Key counters"));
	ck_assert_ptr_null(strstr(page, "first hit"));
	assert_well_formed(page, "an old run's page");
	free(page);

	write_text(dir, "result.json", "{}");
	page = render(dir);
	ck_assert_ptr_nonnull(strstr(page, "(no runs)"));
	ck_assert_ptr_nonnull(strstr(page, "could not test"));
	assert_well_formed(page, "an empty run's page");
	free(page);
}
END_TEST

START_TEST(untested_run_shows_the_end_of_its_console)
{
	const char *dir = test_temp_dir();
	struct run_result r = make_run(dir, V_CONF, NULL, "{\"verdict\":\"CONF\",\"reason\":\"CONFIG_CMA is not set\"}");
	char *page = render(dir);

	ck_assert_ptr_nonnull(strstr(page, "could not test: 1 of 1 runs CONF or BROK"));
	ck_assert_ptr_nonnull(strstr(page, "The first run that did not pass"));
	ck_assert_ptr_nonnull(strstr(page, "The end of the console"));
	ck_assert_int_eq(count(page, "<span class=\"l\">"), 8); /* the whole 8-line console, nothing highlighted */
	ck_assert_int_eq(count(page, "<span class=\"l hl\">"), 0);
	assert_well_formed(page, "an untested run's page");
	free(page);
	json_object_put(r.workload);
}
END_TEST

START_TEST(one_run_dir_renders_alone)
{
	const char *dir = test_temp_dir();
	char run_dir[512];
	struct run_result r = make_run(dir, V_FAIL, "kernel BUG in migrate_misplaced_folio", NULL);
	char *page;

	snprintf(run_dir, sizeof(run_dir), "%s/run-1", dir);
	page = render(run_dir);
	ck_assert_ptr_nonnull(strstr(page, "BUG HIT in 1 of 1 runs"));
	ck_assert_ptr_nonnull(strstr(page, "<a href=\"console.log\">the full console.log</a>"));
	ck_assert_int_eq(count(page, "<span class=\"l hl\">"), 4);
	free(page);
	json_object_put(r.workload);
}
END_TEST

/* ./run.sh quick: one summary over CASE-KERNEL dirs (':' and '/' made '_'). */
START_TEST(suite_page_finds_each_case_dir)
{
	const char *dir = test_temp_dir();
	char sub[512], *page;
	struct run_result r[2];

	snprintf(sub, sizeof(sub), "%s/smoke-deb_6.12", dir);
	r[0] = make_run(sub, V_PASS, NULL, NULL);
	snprintf(sub, sizeof(sub), "%s/cma-longterm-pin-image__boot_vmlinuz", dir);
	r[1] = make_run(sub, V_CONF, NULL, NULL);
	snprintf(r[0].case_name, sizeof(r[0].case_name), "smoke");
	snprintf(r[0].kernel_spec, sizeof(r[0].kernel_spec), "deb:6.12");
	snprintf(r[1].case_name, sizeof(r[1].case_name), "cma-longterm-pin");
	snprintf(r[1].kernel_spec, sizeof(r[1].kernel_spec), "image:/boot/vmlinuz");
	ck_assert_int_eq(result_write_summary(dir, r, 2), 0);
	page = render(dir);
	ck_assert_ptr_nonnull(strstr(page, "<title>mmrepro run: the quick suite, 2 runs</title>"));
	ck_assert_ptr_nonnull(strstr(page, "no bug: 1 passed, 1 not supported here (CONF)"));
	ck_assert_ptr_nonnull(strstr(page, "<a href=\"smoke-deb_6.12/run-1/console.log\">"));
	ck_assert_ptr_nonnull(strstr(page, "<a href=\"cma-longterm-pin-image__boot_vmlinuz/run-1/console.log\">"));
	ck_assert_ptr_nonnull(strstr(page, "<td>cma-longterm-pin</td><td class=\"nowrap\">image:/boot/vmlinuz</td>"));
	ck_assert_ptr_nonnull(strstr(page, "./run.sh quick</code>"));
	ck_assert_ptr_null(strstr(page, "Key counters"));
	assert_well_formed(page, "the suite page");
	free(page);
}
END_TEST

START_TEST(bad_input_names_the_file_and_line)
{
	const char *dir = test_temp_dir();
	char err[1024], path[512], *text;
	FILE *f = open_memstream(&text, &(size_t){ 0 });

	ck_assert_int_eq(html_render_dir(f, dir, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a results dir"));
	write_text(dir, "verify.json", "{\n  \"case\": \"x\",\n  \"variants\": [ tru\n");
	ck_assert_int_eq(html_render_dir(f, dir, err, sizeof(err)), -1);
	snprintf(path, sizeof(path), "%s/verify.json:3: not a JSON object", dir);
	ck_assert_msg(strstr(err, path), "err: %s", err);
	write_text(dir, "verify.json", "[1, 2]");
	ck_assert_int_eq(html_render_dir(f, dir, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "another JSON type"));
	fclose(f);
	free(text);
	ck_assert_int_eq(html_report_dir(dir, err, sizeof(err)), -1);
	snprintf(path, sizeof(path), "%s/report.html", dir);
	ck_assert(!file_exists(path));
}
END_TEST

static const char buggy_workload[] =
	"{\"verdict\":\"FAIL\",\"reason\":\"ENOMEM\",\"results\":[{\"verdict\":\"FAIL\",\"message\":\"io_uring: ENOMEM\"}],"
	"\"vmstat_delta\":{\"pgmigrate_fail\":51,\"pgfault\":4168,\"nr_foll_pin_acquired\":144,\"<b>thp_x\":1,"
	"\"thp_split_<i>\":3}}";
static const char fixed_workload[] =
	"{\"verdict\":\"PASS\",\"reason\":\"moved\",\"vmstat_delta\":{\"pgmigrate_success\":72,"
	"\"nr_foll_pin_acquired\":234,\"pgfault\":4000}}";

static void write_verify(const char *dir, const char *counters)
{
	char sub[512];
	struct run_result r[2];
	struct tally t[2] = { { .runs = 1, .hits = 1 }, { .runs = 1, .clean = 1 } };
	const char *names[] = { "buggy", "fixed" }, *expect[] = { "fail", "pass" };
	struct json_object *doc = json_object_new_object(), *variants = json_object_new_array();

	for (int i = 0; i < 2; i++) {
		struct json_object *v = json_object_new_object();
		snprintf(sub, sizeof(sub), "%s/%s", dir, names[i]);
		r[i] = make_run(sub, i ? V_PASS : V_FAIL, NULL, i ? fixed_workload : buggy_workload);
		if (counters) {
			snprintf(r[i].counters, sizeof(r[i].counters), "%s", counters);
			ck_assert_int_eq(result_write(&r[i]), 0);
			ck_assert_int_eq(result_write_summary(sub, &r[i], 1), 0);
		}
		json_object_object_add(v, "variant", json_object_new_string(names[i]));
		json_object_object_add(v, "kernel", json_object_new_string("src:deb-6.12"));
		json_object_object_add(v, "expect", json_object_new_string(expect[i]));
		json_object_object_add(v, "tally", stats_tally_json(&t[i]));
		json_object_object_add(v, "matches", json_object_new_boolean(1));
		json_object_object_add(v, "seconds_per_run", json_object_new_double(3.4));
		json_object_array_add(variants, v);
		json_object_put(r[i].workload);
	}
	json_object_object_add(doc, "case", json_object_new_string("cma-longterm-pin"));
	json_object_object_add(doc, "variants", variants);
	snprintf(sub, sizeof(sub), "%s/verify.json", dir);
	ck_assert_int_eq(result_write_json(sub, doc), 0);
	json_object_put(doc);
}

START_TEST(verify_page_compares_variants)
{
	const char *dir = test_temp_dir();
	char *page, path[512];

	/* The buggy variant's run is a workload FAIL, as cma-longterm-pin's is. */
	write_verify(dir, NULL);
	page = render(dir);
	ck_assert_ptr_nonnull(strstr(page, "every variant as expected (2 of 2)"));
	ck_assert_ptr_nonnull(strstr(page, "./run.sh verify cma-longterm-pin --runs 1</code>"));
	ck_assert_int_eq(count(page, "<td>buggy</td><td class=\"nowrap\">src:deb-6.12<br/><span class=\"note\">"
				     "6.12.117+</span></td><td>fail</td><td class=\"nowrap\">hit 1/1</td>"), 1);
	ck_assert_int_eq(count(page, "<td>fixed</td><td class=\"nowrap\">src:deb-6.12<br/><span class=\"note\">"
				     "6.12.117+</span></td><td>pass</td><td class=\"nowrap\">pass 1/1</td>"), 1);
	/* The counters both sides moved, the mm ones only, and the guest's markup as text. */
	ck_assert_ptr_nonnull(strstr(page, ">pgmigrate_fail</text>"));
	ck_assert_ptr_nonnull(strstr(page, ">pgmigrate_success</text>"));
	ck_assert_ptr_nonnull(strstr(page, ">nr_foll_pin_acquired</text>"));
	ck_assert_ptr_null(strstr(page, ">pgfault</text>"));
	ck_assert_ptr_null(strstr(page, "<b>thp_x"));
	ck_assert_ptr_nonnull(strstr(page, ">thp_split_&lt;i&gt;</text>"));
	ck_assert_ptr_nonnull(strstr(page, "<li><span class=\"v-FAIL\">FAIL</span> io_uring: ENOMEM</li>"));
	ck_assert_ptr_nonnull(strstr(page, ">234</text>"));
	ck_assert_ptr_nonnull(strstr(page, "Timeline, mean seconds per run"));
	assert_no_raw_bytes(page);
	assert_well_formed(page, "the verify page");
	free(page);
	ck_assert_int_eq(html_report_dir(dir, path, sizeof(path)), 0);
	snprintf(path, sizeof(path), "%s/report.html", dir);
	ck_assert(file_exists(path));
}
END_TEST

/* A case that declares its counters gets those charted, mm or not. */
START_TEST(verify_page_charts_the_declared_counters)
{
	const char *dir = test_temp_dir();
	char *page;

	write_verify(dir, "pgfault nr_foll_pin_acquired");
	page = render(dir);
	ck_assert_ptr_nonnull(strstr(page, ">pgfault</text>"));
	ck_assert_ptr_nonnull(strstr(page, ">nr_foll_pin_acquired</text>"));
	ck_assert_ptr_null(strstr(page, ">pgmigrate_fail</text>"));
	ck_assert_ptr_null(strstr(page, ">pgmigrate_success</text>"));
	assert_well_formed(page, "the verify page with declared counters");
	free(page);
}
END_TEST

START_TEST(verify_page_explains_a_mismatch)
{
	const char *dir = test_temp_dir();
	char sub[512], *page;
	struct run_result r;

	snprintf(sub, sizeof(sub), "%s/prebuilt", dir);
	r = make_run(sub, V_BROK, "int3 in enqueue_timer", NULL);
	json_object_put(r.workload);
	write_text(dir, "verify.json", "{\"case\":\"madv-free-mthp\",\"variants\":[{\"variant\":\"prebuilt\","
		   "\"kernel\":\"deb:6.12\",\"expect\":\"pass\",\"tally\":{\"runs\":1,\"infra\":1},\"matches\":false}]}");
	page = render(dir);
	ck_assert_ptr_nonnull(strstr(page, "NOT AS EXPECTED: 1 of 1 variants (prebuilt)"));
	ck_assert_ptr_nonnull(strstr(page, "<h2>prebuilt: not as expected, the first run that did not pass</h2>\n"
					   "<p class=\"title\">int3 in enqueue_timer</p>"));
	ck_assert_int_eq(count(page, "<span class=\"l hl\">"), 4);
	ck_assert_ptr_nonnull(strstr(page, "./run.sh verify madv-free-mthp --runs 1 --variant prebuilt</code>"));
	assert_well_formed(page, "a verify page with a mismatch");
	free(page);
}
END_TEST

START_TEST(decoded_frames_and_other_reports)
{
	const char *dir = test_temp_dir();
	char path[512], *page;
	struct run_result r = make_run(dir, V_FAIL, "kernel BUG in migrate_misplaced_folio", NULL);
	struct json_object *doc, *run, *frames = json_object_new_array(), *reps = json_object_new_array();

	json_object_array_add(frames, json_tokener_parse("{\"function\":\"migrate_misplaced_folio\","
							 "\"file\":\"mm/migrate.c\",\"line\":2719}"));
	json_object_array_add(frames, json_tokener_parse("{\"function\":\"folio_test_lru\",\"file\":"
							 "\"include/linux/page-flags.h\",\"line\":\"12\",\"inlined\":true}"));
	json_object_array_add(frames, json_object_new_string("do_huge_pmd_numa_page+0x47d <raw>"));
	json_object_array_add(reps, json_tokener_parse("{\"title\":\"kernel BUG in migrate_misplaced_folio\","
						       "\"start_line\":4,\"end_line\":7}"));
	json_object_array_add(reps, json_tokener_parse("{\"title\":\"WARNING in mem_cgroup_move_account\",\"guilty_frame\":"
						       "\"mem_cgroup_move_account\",\"start_line\":9,\"end_line\":12,"
						       "\"corrupted\":true}"));
	snprintf(path, sizeof(path), "%s/result.json", dir);
	char *text = read_file(path, NULL);
	doc = json_tokener_parse(text);
	free(text);
	run = json_object_array_get_idx(json_object_object_get(doc, "runs"), 0);
	json_object_object_add(run, "decoded", frames);
	json_object_object_add(run, "reports", reps);
	ck_assert_int_eq(result_write_json(path, doc), 0);
	json_object_put(doc);
	page = render(dir);
	ck_assert_ptr_nonnull(strstr(page, "<li>migrate_misplaced_folio <span class=\"note\">mm/migrate.c:2719</span></li>"));
	ck_assert_ptr_nonnull(strstr(page, "include/linux/page-flags.h:12</span> <span class=\"note\">(inlined)</span>"));
	ck_assert_ptr_nonnull(strstr(page, "<li>do_huge_pmd_numa_page+0x47d &lt;raw&gt;</li>"));
	ck_assert_int_eq(count(page, "The run's other reports"), 1);
	ck_assert_ptr_nonnull(strstr(page, "<li>WARNING in mem_cgroup_move_account <span class=\"note\">guilty frame "
					   "mem_cgroup_move_account</span> <span class=\"note\">console lines 9-12</span>"));
	ck_assert_ptr_nonnull(strstr(page, "corrupted"));
	assert_well_formed(page, "a page with decoded frames");
	free(page);
	json_object_put(r.workload);
}
END_TEST

START_TEST(gate_page_shows_outcomes_and_blame)
{
	const char *dir = test_temp_dir();
	char sub[512], *page;
	struct run_result r;

	snprintf(sub, sizeof(sub), "%s/smoke/base", dir);
	r = make_run(sub, V_PASS, NULL, fixed_workload);
	json_object_put(r.workload);
	snprintf(sub, sizeof(sub), "%s/smoke/head", dir);
	r = make_run(sub, V_FAIL, "kernel BUG in migrate_misplaced_folio", buggy_workload);
	json_object_put(r.workload);
	/* The blame's one test point: base + patch 1, with its copy of the patch. */
	snprintf(sub, sizeof(sub), "%s/smoke/blame/prefix-1/runs", dir);
	r = make_run(sub, V_PASS, NULL, NULL);
	snprintf(sub, sizeof(sub), "%s/smoke/blame/prefix-1", dir);
	write_text(sub, "0001.patch", "From x\nSubject: [PATCH 1/2] mm: first <x>\n\ndiff --git a/f b/f\n");
	write_text(dir, "gate.json", "{\"base\":\"src:deb-6.12\",\"series\":\"my-series\",\"patches\":[{\"file\":"
		   "\"0001-a.patch\",\"subject\":\"mm: <evil> subject\"}],\"runs\":1,\"head_status\":\"ok\",\"cases\":"
		   "[{\"case\":\"smoke\",\"outcome\":\"regression\",\"base\":{\"runs\":1,\"clean\":1},\"head\":"
		   "{\"runs\":1,\"hits\":1},\"p_regression\":0.5,\"blame\":{\"first_bad_patch\":2,\"file\":"
		   "\"0002-b.patch\",\"subject\":\"mm: <evil> subject\",\"builds\":1}}],\"exit_code\":1}");
	page = render(dir);
	ck_assert_ptr_nonnull(strstr(page, "<div class=\"banner bad\">REGRESSION in smoke</div>"));
	ck_assert_ptr_nonnull(strstr(page, "<li>mm: &lt;evil&gt; subject <span class=\"note\">(0001-a.patch)</span></li>"));
	ck_assert_ptr_nonnull(strstr(page, "<span class=\"v-regression\">regression</span>"));
	ck_assert_ptr_nonnull(strstr(page, "first bad patch 2: mm: &lt;evil&gt; subject"));
	ck_assert_ptr_nonnull(strstr(page, "<h2>smoke: the search for the first bad patch</h2>"));
	ck_assert_ptr_nonnull(strstr(page, "<td>patches 1..1</td><td class=\"wrap\">mm: first &lt;x&gt;</td>"
					   "<td class=\"num\">0/1 (0-79%)</td><td><span class=\"v-good\">good</span>"));
	ck_assert_ptr_nonnull(strstr(page, "smoke: the first hit on the head"));
	ck_assert_ptr_nonnull(strstr(page, "<a href=\"smoke/head/run-1/console.log\">"));
	ck_assert_ptr_nonnull(strstr(page, "./run.sh gate --kernel src:deb-6.12 --series my-series --runs 1 --cases smoke"));
	assert_well_formed(page, "the gate page");
	free(page);
}
END_TEST

/* A case whose counters changed: the banner, its outcome, the chart of
 * the flagged counters and the table of all, names from gate.json escaped. */
START_TEST(gate_page_shows_changed_counters)
{
	char dir[256], *page, *doc;
	const char *fmt = "{\"base\":\"src:deb-6.12\",\"series\":\"s\",\"runs\":3,\"head_status\":\"ok\","
			  "\"cases\":[{\"case\":\"numa\",\"outcome\":\"changed\",\"note\":\"counters changed\","
			  "\"counters_flagged\":1,\"counters_not_compared\":4,\"counters\":["
			  "{\"name\":\"thp_migration_fail\",\"base_mean\":0,\"head_mean\":64,\"ratio\":null,\"p\":0.00077,"
			  "\"test\":\"welch\",\"base_values\":[0,0,0],\"head_values\":[64,64,64],\"flagged\":true},"
			  "{\"name\":\"<b>x\",\"base_mean\":10,\"head_mean\":11,\"ratio\":1.1,\"p\":0.5,"
			  "\"test\":\"welch\",\"flagged\":false},{\"name\":7,\"p\":\"x\",\"flagged\":\"yes\"}]}],"
			  "\"exit_code\":%d}";

	snprintf(dir, sizeof(dir), "%s", test_temp_dir());
	ck_assert_int_gt(asprintf(&doc, fmt, 0), 0);
	write_text(dir, "gate.json", doc);
	free(doc);
	page = render(dir);
	ck_assert_ptr_nonnull(strstr(page, "<div class=\"banner warn\">no regression, but counters changed in numa</div>"));
	ck_assert_ptr_nonnull(strstr(page, "<span class=\"v-changed\">changed</span>"));
	ck_assert_ptr_nonnull(strstr(page, "<h2>numa: 3 counters compared, 1 changed</h2>"));
	ck_assert_ptr_nonnull(strstr(page, "<td>thp_migration_fail</td><td class=\"num\">0</td><td class=\"num\">64</td>"
					   "<td class=\"num\">inf</td><td class=\"num\">0.00077</td><td>welch</td>"
					   "<td class=\"num\">3 / 3</td><td><span class=\"v-changed\">changed</span></td>"));
	ck_assert_ptr_nonnull(strstr(page, "<td>&lt;b&gt;x</td><td class=\"num\">10</td><td class=\"num\">11</td>"
					   "<td class=\"num\">1.1</td><td class=\"num\">0.5</td><td>welch</td>"
					   "<td class=\"num\">0 / 0</td><td></td>"));
	ck_assert_ptr_nonnull(strstr(page, "The flagged /proc/vmstat counters"));
	ck_assert_ptr_nonnull(strstr(page, ">thp_migration_fail</text>"));
	ck_assert_ptr_nonnull(strstr(page, "4 more counter names from the guest were not compared"));
	assert_well_formed(page, "a gate page with changed counters");
	free(page);

	/* With --fail-on-counters the gate exited 1: a bad banner, and the
	 * command that reproduces it says so (and the --title it ran with). */
	ck_assert_int_gt(asprintf(&doc, fmt, 1), 0);
	char *with = NULL;
	ck_assert_int_gt(asprintf(&with, "{\"fail_on_counters\":true,\"title\":\"/BUG/\",%s", doc + 1), 0);
	write_text(dir, "gate.json", with);
	free(with);
	free(doc);
	page = render(dir);
	ck_assert_ptr_nonnull(strstr(page, "<div class=\"banner bad\">COUNTERS CHANGED in numa</div>"));
	ck_assert_ptr_nonnull(strstr(page, "--title /BUG/ --fail-on-counters</code>"));
	free(page);
}
END_TEST

/* JSON files with next to nothing in them, and no run dirs beside them. */
START_TEST(gate_and_bisect_pages_with_missing_fields)
{
	char dir[256], other[256], *page;

	snprintf(dir, sizeof(dir), "%s", test_temp_dir());
	snprintf(other, sizeof(other), "%s", test_temp_dir());

	write_text(dir, "gate.json", "{\"base\":\"src:deb-6.12\",\"cases\":[{\"case\":\"smoke\",\"outcome\":"
		   "\"flaky/inconclusive\"},{\"case\":\"numa\",\"outcome\":\"clean\"}],\"exit_code\":0}");
	page = render(dir);
	ck_assert_ptr_nonnull(strstr(page, "<div class=\"banner warn\">no regression found, but 1 of 2 cases "
					   "undecided: smoke</div>"));
	ck_assert_ptr_nonnull(strstr(page, "<td>smoke</td><td class=\"num\">no valid run</td>"));
	ck_assert_ptr_null(strstr(page, "<dt>series</dt>"));
	ck_assert_ptr_null(strstr(page, "Timeline"));
	ck_assert_ptr_null(strstr(page, "first hit"));
	assert_well_formed(page, "a bare gate page");
	free(page);

	write_text(other, "bisect.json", "{\"base\":\"src:deb-6.12\",\"series\":\"/nonexistent/s\",\"exit_code\":125}");
	page = render(other);
	ck_assert_ptr_nonnull(strstr(page, "<div class=\"banner warn\">no culprit: the base must be good and base + "
					   "series bad</div>"));
	ck_assert_ptr_nonnull(strstr(page, "<dt>series</dt><dd>/nonexistent/s</dd>"));
	ck_assert_ptr_null(strstr(page, "<td>base</td>"));
	assert_well_formed(page, "a bare bisect page");
	free(page);
}
END_TEST

START_TEST(tree_bisect_page_names_the_culprit)
{
	const char *dir = test_temp_dir();
	char sub[512], *page;
	struct run_result r;
	static const char sha[] = "0123456789abcdef0123456789abcdef01234567";

	snprintf(sub, sizeof(sub), "%s/culprit-0123456789ab", dir);
	r = make_run(sub, V_FAIL, "kernel BUG in migrate_misplaced_folio", NULL);
	json_object_put(r.workload);
	write_text(dir, "bisect.json", "{\"case\":\"numa-deferred-split-migrate\",\"kernel\":\"git:/src/linux\","
		   "\"good\":\"v6.11\",\"bad\":\"v6.12\",\"runs\":2,\"steps\":[{\"commit\":"
		   "\"0123456789abcdef0123456789abcdef01234567\",\"subject\":\"mm: \\u001b[31mred\",\"verdict\":\"bad\","
		   "\"tally\":{\"runs\":2,\"hits\":2},\"build_seconds\":20.5,\"run_seconds\":7}],\"checks\":{\"culprit\":"
		   "{\"commit\":\"0123456789abcdef0123456789abcdef01234567\",\"verdict\":\"bad\",\"tally\":{\"runs\":4,"
		   "\"hits\":4}},\"revert\":{\"verdict\":\"good\",\"tally\":{\"runs\":4,\"clean\":4}}},\"culprit\":"
		   "{\"commit\":\"0123456789abcdef0123456789abcdef01234567\",\"subject\":\"mm: split\",\"author\":"
		   "\"A <a@b>\"},\"flags\":[\"confidence under 0.9\"],\"confidence\":0.8,\"exit_code\":0}");
	page = render(dir);
	ck_assert_ptr_nonnull(strstr(page, "first bad commit: 0123456789ab mm: split"));
	ck_assert_ptr_nonnull(strstr(page, "<td>step-1</td><td><code>0123456789ab</code></td><td class=\"wrap\">"
					   "mm: ?[31mred</td><td class=\"num\">2/2"));
	ck_assert_ptr_nonnull(strstr(page, "<td class=\"num\">20.5</td>"));
	ck_assert_ptr_nonnull(strstr(page, "A &lt;a@b&gt;"));
	ck_assert_ptr_nonnull(strstr(page, "<li>confidence under 0.9</li>"));
	ck_assert_ptr_nonnull(strstr(page, "The first hit on the culprit"));
	ck_assert_ptr_nonnull(strstr(page, "<dt>confidence</dt><dd>0.800</dd>"));
	ck_assert_ptr_nonnull(strstr(page, sha));
	assert_no_raw_bytes(page);
	assert_well_formed(page, "the bisect page");
	free(page);
}
END_TEST

/* A fix bisection's page says "fixed by" and names its broken and fixed
 * ends; a matrix page tables its rows (hostile labels as text) and a
 * minimisation's page names the smallest set. */
START_TEST(fix_bisect_and_matrix_pages)
{
	char dir[256], mx[256], mn[256], *page;

	/* test_temp_dir's buffer is static. */
	snprintf(dir, sizeof(dir), "%s", test_temp_dir());
	snprintf(mx, sizeof(mx), "%s", test_temp_dir());
	snprintf(mn, sizeof(mn), "%s", test_temp_dir());
	write_text(dir, "bisect.json", "{\"case\":\"c\",\"kernel\":\"git:/src/linux\",\"mode\":\"fix\",\"good\":\"v6.13\","
		   "\"bad\":\"v6.12\",\"runs\":\"auto\",\"ends\":{\"broken-end\":{\"commit\":\"aa\",\"verdict\":\"bad\","
		   "\"tally\":{\"runs\":4,\"hits\":4}},\"fixed-end\":{\"commit\":\"bb\",\"verdict\":\"good\","
		   "\"tally\":{\"runs\":2,\"clean\":2}}},\"steps\":[],\"culprit\":{\"commit\":"
		   "\"0123456789abcdef0123456789abcdef01234567\",\"subject\":\"mm: fix it\",\"role\":\"fix\"},\"exit_code\":0}");
	page = render(dir);
	ck_assert_ptr_nonnull(strstr(page, "fixed by: 0123456789ab mm: fix it"));
	ck_assert_ptr_nonnull(strstr(page, "<dt>broken</dt><dd>v6.12</dd>"));
	ck_assert_ptr_nonnull(strstr(page, "<td>broken-end</td>"));
	ck_assert_ptr_nonnull(strstr(page, "--fix"));
	assert_well_formed(page, "the fix bisect page");
	free(page);
	write_text(mx, "matrix.json", "{\"case\":\"c\",\"kernel\":\"deb:6.12\",\"mode\":\"matrix\",\"runs_per_point\":2,"
		   "\"knobs\":[{\"name\":\"thp.defrag\",\"values\":[\"always\",\"never\"]}],\"rows\":[{\"label\":\"row-01\","
		   "\"text\":\"thp.defrag=<b>always\",\"verdict\":\"bad\",\"tally\":{\"runs\":2,\"hits\":2}},{\"label\":"
		   "\"row-02\",\"text\":\"thp.defrag=never\",\"verdict\":\"good\",\"tally\":{\"runs\":2,\"clean\":2}}]}");
	page = render(mx);
	ck_assert_ptr_nonnull(strstr(page, "1 of 2 combinations hit"));
	ck_assert_ptr_nonnull(strstr(page, "thp.defrag=&lt;b&gt;always"));
	ck_assert_ptr_nonnull(strstr(page, "<dt>knob</dt><dd>thp.defrag = always,never</dd>"));
	assert_no_raw_bytes(page);
	assert_well_formed(page, "the matrix page");
	free(page);
	/* A null among a knob's values is no C NULL for printf. */
	write_text(mx, "matrix.json", "{\"case\":\"c\",\"knobs\":[{\"name\":\"k\",\"values\":[null,\"v\"]}]}");
	page = render(mx);
	ck_assert_ptr_nonnull(strstr(page, "<dt>knob</dt><dd>k = ?,v</dd>"));
	free(page);
	write_text(mn, "matrix.json", "{\"case\":\"c\",\"mode\":\"minimize\",\"tried\":[{\"label\":\"try-01\","
		   "\"verdict\":\"bad\",\"decision\":\"start: hits\"}],\"minimal\":[{\"knob\":\"numa\",\"value\":\"1G+1G\"}]}");
	page = render(mn);
	ck_assert_ptr_nonnull(strstr(page, "smallest set that still hits: numa=1G+1G"));
	ck_assert_ptr_nonnull(strstr(page, "start: hits"));
	assert_well_formed(page, "the minimisation page");
	free(page);
}
END_TEST

/* Names in the JSON are dir names the page reads runs from: a label, a
 * variant or a case name that says "../x" or "/x", or a row dir that is a
 * link, must not make it read (or link to) anything outside the dir. */
START_TEST(names_cannot_lead_the_page_outside_its_dir)
{
	char dir[256], outside[256], link[600], doc[1024], *page;
	struct run_result r;
	const char *name;

	snprintf(dir, sizeof(dir), "%s", test_temp_dir());
	snprintf(outside, sizeof(outside), "%s", test_temp_dir());
	r = make_run(outside, V_FAIL, "kernel BUG in outside_the_dir", NULL);
	json_object_put(r.workload);
	name = strrchr(outside, '/') + 1;
	snprintf(link, sizeof(link), "%s/row-02", dir);
	ck_assert_int_eq(symlink(outside, link), 0);
	snprintf(doc, sizeof(doc), "{\"case\":\"c\",\"mode\":\"matrix\",\"rows\":[{\"label\":\"../%s\",\"verdict\":\"bad\"},"
		 "{\"label\":\"row-02\"},{\"label\":\"%s\"}]}", name, outside);
	write_text(dir, "matrix.json", doc);
	page = render(dir);
	ck_assert_ptr_null(strstr(page, "outside_the_dir"));
	ck_assert_ptr_null(strstr(page, "1/1"));
	assert_well_formed(page, "a matrix page with hostile labels");
	free(page);
	unlink(link);
	unlink(strcat(strcpy(link, dir), "/matrix.json"));
	snprintf(doc, sizeof(doc), "{\"case\":\"c\",\"variants\":[{\"variant\":\"../%s\",\"matches\":false}]}", name);
	write_text(dir, "verify.json", doc);
	page = render(dir);
	ck_assert_ptr_null(strstr(page, "outside_the_dir"));
	ck_assert_ptr_null(strstr(page, "cut here"));
	free(page);
	unlink(strcat(strcpy(link, dir), "/verify.json"));
	/* A quick suite's runs are found under CASE-KERNEL. */
	snprintf(link, sizeof(link), "%s/c-x", outside);
	r = make_run(link, V_FAIL, "kernel BUG in outside_the_dir", NULL);
	json_object_put(r.workload);
	snprintf(doc, sizeof(doc), "{\"runs\":[{\"run\":1,\"verdict\":\"FAIL\",\"case\":\"../%s/c\",\"kernel\":\"x\","
		 "\"report_start_line\":4,\"report_end_line\":7}]}", name);
	write_text(dir, "result.json", doc);
	page = render(dir);
	ck_assert_ptr_null(strstr(page, "cut here"));
	ck_assert_ptr_null(strstr(page, "href=\"../"));
	free(page);
}
END_TEST

/* A JSON file with a huge list (1000 steps, cases, rows, variants, runs)
 * draws HTML_MAX_ROWS of them and names the rest: each row is a test point
 * with its runs loaded, so the page's memory must not grow with the list. */
START_TEST(huge_lists_are_cut_to_the_row_limit)
{
	static const char *const kinds[][3] = {
		{ "bisect.json", "{\"good\":\"a\",\"steps\":[", "{\"commit\":\"c\"}" },
		{ "gate.json", "{\"base\":\"b\",\"cases\":[", "{\"case\":\"c\"}" },
		{ "matrix.json", "{\"mode\":\"matrix\",\"rows\":[", "{\"label\":\"row\"}" },
		{ "verify.json", "{\"case\":\"c\",\"variants\":[", "{\"variant\":\"v\"}" },
		{ "result.json", "{\"runs\":[", "{\"verdict\":\"PASS\"}" },
	};
	char more[64];

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		char *doc = NULL, *page;
		size_t len;
		FILE *f = open_memstream(&doc, &len);
		char dir[256];
		fputs(kinds[k][1], f);
		for (int i = 0; i < 1000; i++)
			fprintf(f, "%s%s", i ? "," : "", kinds[k][2]);
		fputs("]}", f);
		fclose(f);
		snprintf(dir, sizeof(dir), "%s", test_temp_dir());
		write_text(dir, kinds[k][0], doc);
		free(doc);
		page = render(dir);
		snprintf(more, sizeof(more), "%d more rows in %s", 1000 - HTML_MAX_ROWS, kinds[k][0]);
		ck_assert_msg(strstr(page, more), "%s: no '%s'", kinds[k][0], more);
		ck_assert_msg(strlen(page) < 2000000, "%s: a page of %zu bytes", kinds[k][0], strlen(page));
		assert_well_formed(page, kinds[k][0]);
		free(page);
	}
}
END_TEST

/* The command a bisect page gives to reproduce it is the one that ran:
 * --runs as given (a number, or auto), and --fix for a fixing patch. */
START_TEST(bisect_pages_reproduce_with_the_runs_and_mode_given)
{
	char tree[256], blame[256], *page;

	snprintf(tree, sizeof(tree), "%s", test_temp_dir());
	snprintf(blame, sizeof(blame), "%s", test_temp_dir());
	write_text(tree, "bisect.json", "{\"case\":\"c\",\"kernel\":\"git:/x\",\"good\":\"a\",\"bad\":\"b\",\"runs\":3,"
		   "\"steps\":[]}");
	page = render(tree);
	ck_assert_ptr_nonnull(strstr(page, "./run.sh bisect c --kernel git:/x --good a --bad b --runs 3</code>"));
	ck_assert_ptr_nonnull(strstr(page, "<dt>runs per step</dt><dd>3</dd>"));
	free(page);
	write_text(blame, "bisect.json", "{\"base\":\"src:deb-6.12\",\"series\":\"/s\",\"mode\":\"fix\",\"runs\":\"auto\","
		   "\"first_fixed_patch\":0,\"ends\":[{\"kernel\":\"base\",\"tally\":{\"runs\":7,\"hits\":7}}]}");
	page = render(blame);
	ck_assert_ptr_nonnull(strstr(page, "./run.sh bisect --fix --kernel src:deb-6.12 --series /s --runs auto</code>"));
	ck_assert_ptr_nonnull(strstr(page, "no culprit: the base must be bad and base + series good"));
	free(page);
}
END_TEST

Suite *html_suite(void)
{
	Suite *s = suite_create("html");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, escape_markup_and_quotes);
	tcase_add_test(tc, escape_neutralises_control_bytes);
	tcase_add_test(tc, escape_repairs_utf8_and_bidi);
	tcase_add_test(tc, url_is_percent_encoded);
	tcase_add_test(tc, bars_with_one_value);
	tcase_add_test(tc, bars_with_a_hundred_values);
	tcase_add_test(tc, bars_beyond_the_row_limit_say_so);
	tcase_add_test(tc, rates_show_the_wilson_interval);
	tcase_add_test(tc, timeline_stacks_the_phases);
	tcase_add_test(tc, run_page_keeps_a_hostile_console_as_text);
	tcase_add_test(tc, run_page_with_missing_fields_leaves_parts_out);
	tcase_add_test(tc, untested_run_shows_the_end_of_its_console);
	tcase_add_test(tc, one_run_dir_renders_alone);
	tcase_add_test(tc, suite_page_finds_each_case_dir);
	tcase_add_test(tc, bad_input_names_the_file_and_line);
	tcase_add_test(tc, verify_page_compares_variants);
	tcase_add_test(tc, verify_page_charts_the_declared_counters);
	tcase_add_test(tc, verify_page_explains_a_mismatch);
	tcase_add_test(tc, decoded_frames_and_other_reports);
	tcase_add_test(tc, gate_page_shows_outcomes_and_blame);
	tcase_add_test(tc, gate_and_bisect_pages_with_missing_fields);
	tcase_add_test(tc, gate_page_shows_changed_counters);
	tcase_add_test(tc, tree_bisect_page_names_the_culprit);
	tcase_add_test(tc, fix_bisect_and_matrix_pages);
	tcase_add_test(tc, names_cannot_lead_the_page_outside_its_dir);
	tcase_add_test(tc, huge_lists_are_cut_to_the_row_limit);
	tcase_add_test(tc, bisect_pages_reproduce_with_the_runs_and_mode_given);
	suite_add_tcase(s, tc);
	return s;
}
