/* report.html of a gate: each case base against head, its counters, and
 * the blame of each regression. */
#include "html.h"
#include "html_page.h"
#include "counters.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* "a, b" of the cases whose outcome is one of want (NULL-terminated). */
static size_t cases_with(struct json_object *cases, const char *const *want, char *out, size_t len)
{
	size_t used = 0, n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < jlen(cases); i++) {
		const char *o = jstr(jat(cases, i), "outcome"), *name = jstr(jat(cases, i), "case");
		bool match = false;
		for (const char *const *w = want; *w && o; w++)
			match |= !strcmp(o, *w);
		if (!match)
			continue;
		if (used < len)
			used += (size_t)snprintf(out + used, len - used, "%s%s", n ? ", " : "", name ? name : "?");
		n++;
	}
	return n;
}

static void gate_banner(struct page *p, struct json_object *doc)
{
	static const char *const regression[] = { "regression", NULL };
	static const char *const undecided[] = { "flaky/inconclusive", "could not test", NULL };
	static const char *const changed[] = { "changed", NULL };
	struct json_object *cases = jarr(doc, "cases");
	const char *head = jstr(doc, "head_status");
	char names[500], text[700];
	size_t n;

	if (head && strcmp(head, "ok")) {
		banner(p, "bad", head);
	} else if ((n = cases_with(cases, regression, names, sizeof(names)))) {
		snprintf(text, sizeof(text), "REGRESSION in %s", names);
		banner(p, "bad", text);
	} else if (jint(doc, "exit_code", 0) == EXIT_UNTESTABLE) {
		banner(p, "warn", "the base could not be tested");
	} else if (jint(doc, "exit_code", 0) == EXIT_INTERRUPTED) {
		banner(p, "warn", "interrupted");
	} else if ((n = cases_with(cases, changed, names, sizeof(names)))) {
		bool fail = jint(doc, "exit_code", 0) == EXIT_BUG;
		snprintf(text, sizeof(text), "%s in %s", fail ? "COUNTERS CHANGED" : "no regression, but counters changed",
			 names);
		banner(p, fail ? "bad" : "warn", text);
	} else if ((n = cases_with(cases, undecided, names, sizeof(names)))) {
		snprintf(text, sizeof(text), "no regression found, but %zu of %zu cases undecided: %s", n, jlen(cases),
			 names);
		banner(p, "warn", text);
	} else {
		banner(p, "ok", "no regression");
	}
}

static void fact_patches(FILE *f, const char *series, struct json_object *patches)
{
	if (!series)
		return;
	fact_open(f, "series");
	html_escape(f, series);
	if (jlen(patches)) {
		fputs("<ol class=\"patches\">", f);
		for (size_t i = 0; i < jlen(patches); i++)
			patch_item(f, jstr(jat(patches, i), "subject") ? jstr(jat(patches, i), "subject") : "?",
				   jstr(jat(patches, i), "file"));
		fputs("</ol>", f);
	}
	fputs("</dd>\n", f);
}

static void gate_facts(struct page *p, struct json_object *doc, const char *json_path)
{
	FILE *f = p->f;
	struct json_object *cases = jarr(doc, "cases");
	char runs[16], seconds[32], *list = NULL;
	double secs = 0;
	bool timed = jnum(doc, "seconds", &secs);
	size_t len;
	FILE *names = open_memstream(&list, &len);

	for (size_t i = 0; i < jlen(cases); i++)
		fprintf(names, "%s%s", i ? "," : "", jstr(jat(cases, i), "case") ? jstr(jat(cases, i), "case") : "?");
	fclose(names);
	snprintf(runs, sizeof(runs), "%d", jint(doc, "runs", 1));
	snprintf(seconds, sizeof(seconds), "%.0f s", secs);
	fputs("<dl class=\"facts\">\n", f);
	fact(f, "base", jstr(doc, "base"));
	fact_patches(f, jstr(doc, "series"), jarr(doc, "patches"));
	fact(f, "runs per case and side", runs);
	fact(f, "head", jstr(doc, "head_status"));
	fact(f, "head error", jstr(doc, "head_error"));
	fact(f, "base error", jstr(doc, "base_error"));
	fact(f, "accelerator", jstr(doc, "accel"));
	fact(f, "duration", timed ? seconds : NULL);
	facts_host_date(f, json_path);
	const char *words[] = { "gate", "--kernel", jstr(doc, "base"), "--series", jstr(doc, "series"), "--runs", runs,
				"--cases", *list ? list : NULL, "--title", jstr(doc, "title"),
				jbool(doc, "fail_on_counters") ? "--fail-on-counters" : NULL };
	fact_command(f, words, sizeof(words) / sizeof(words[0]));
	fputs("</dl>\n", f);
	free(list);
}

static void gate_row(FILE *f, struct json_object *c, const struct point *base, const struct point *head)
{
	struct json_object *blame = jget(c, "blame");
	char b[64], h[64], pval[32] = "", note[700];
	double pr;

	tally_text(&base->t, b, sizeof(b));
	tally_text(&head->t, h, sizeof(h));
	if (jnum(c, "p_regression", &pr))
		snprintf(pval, sizeof(pval), "%.3g", pr);
	if (jint(blame, "first_bad_patch", 0) > 0)
		snprintf(note, sizeof(note), "first bad patch %d: %.250s (%.250s)", jint(blame, "first_bad_patch", 0),
			 jstr(blame, "subject") ? jstr(blame, "subject") : "", jstr(blame, "file") ? jstr(blame, "file") : "");
	else
		snprintf(note, sizeof(note), "%.300s%s%.300s", jstr(c, "note") ? jstr(c, "note") : "",
			 jstr(blame, "note") ? " " : "", jstr(blame, "note") ? jstr(blame, "note") : "");
	fputs("<tr>", f);
	cell(f, NULL, jstr(c, "case"));
	cell(f, "num", b);
	cell(f, "num", h);
	cell_verdict(f, jstr(c, "outcome"));
	cell(f, "num", pval);
	cell(f, "wrap", note);
	fputs("</tr>\n", f);
}

static void gate_load_points(struct page *p, struct json_object *cases, size_t n, struct point *pts)
{
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = jat(cases, i);
		const char *name = jstr(c, "case") ? jstr(c, "case") : "?";
		for (int side = 0; side < 2; side++) {
			struct point *pt = &pts[2 * i + (size_t)side];
			snprintf(pt->label, sizeof(pt->label), "%s %s", name, side ? "head" : "base");
			snprintf(pt->rel, sizeof(pt->rel), "%s/%s", name, side ? "head" : "base");
			point_load(p, pt, jget(c, side ? "head" : "base"));
		}
	}
}

/* The flagged counters' means, head against base. */
static void counters_flagged_chart(FILE *f, struct json_object *rows, const char *name)
{
	size_t n = jlen(rows), k = 0;
	const char **names = xcalloc(n + 1, sizeof(*names));
	double *values = xcalloc(2 * n + 1, sizeof(double));
	char head[300], base[300];
	const char *series[] = { head, base };

	snprintf(head, sizeof(head), "%s head", name);
	snprintf(base, sizeof(base), "%s base", name);
	for (size_t i = 0; i < n; i++) {
		struct json_object *row = jat(rows, i);
		if (!jbool(row, "flagged") || !jstr(row, "name"))
			continue;
		names[k] = jstr(row, "name");
		jnum(row, "head_mean", &values[2 * k]);
		jnum(row, "base_mean", &values[2 * k + 1]);
		k++;
	}
	struct html_bars chart = { "The flagged /proc/vmstat counters, mean per run; each row is scaled to its largest "
				   "value", names, k, series, 2, values };
	if (k)
		html_svg_bars(f, &chart);
	free(names);
	free(values);
}

static void counter_row(FILE *f, struct json_object *row)
{
	char b[32] = "", h[32] = "", r[32] = "", pv[32] = "", n[48];
	double bm = 0, hm = 0, v;
	bool means = jnum(row, "base_mean", &bm) && jnum(row, "head_mean", &hm);

	if (means) {
		snprintf(b, sizeof(b), "%.6g", bm);
		snprintf(h, sizeof(h), "%.6g", hm);
		v = counters_ratio(bm, hm);
		snprintf(r, sizeof(r), isfinite(v) ? "%.3g" : "inf", v);
	}
	if (jnum(row, "p", &v))
		snprintf(pv, sizeof(pv), "%.3g", v);
	snprintf(n, sizeof(n), "%zu / %zu", jlen(jarr(row, "base_values")), jlen(jarr(row, "head_values")));
	fputs("<tr>", f);
	cell(f, NULL, jstr(row, "name"));
	cell(f, "num", b);
	cell(f, "num", h);
	cell(f, "num", r);
	cell(f, "num", pv);
	cell(f, NULL, jstr(row, "test"));
	cell(f, "num", n);
	cell_verdict(f, jbool(row, "flagged") ? "changed" : NULL);
	fputs("</tr>\n", f);
}

/* gate.json's counters of a case: the flagged ones drawn, every one in a
 * table (folded away when none is flagged). */
static void gate_counters(struct page *p, struct json_object *c, const char *name)
{
	struct json_object *rows = jarr(c, "counters");
	size_t n = jlen(rows), flagged = 0;

	for (size_t i = 0; i < n; i++)
		flagged += jbool(jat(rows, i), "flagged");
	if (!n)
		return;
	fputs(flagged ? "<h2>" : "<details><summary>", p->f);
	html_escape(p->f, name);
	fprintf(p->f, ": %zu counters compared, %zu changed%s", n, flagged, flagged ? "</h2>\n" : "</summary>\n");
	fprintf(p->f, "<p class=\"note\">Changed: p &lt; %.2g (Mann-Whitney U with %d or more runs a side, "
		"Welch&#39;s t below), the means at least %.0f apart and %.0fx apart (or from 0).</p>\n", COUNTERS_P,
		COUNTERS_MWU_MIN_RUNS, COUNTERS_MIN_DIFF, COUNTERS_RATIO);
	counters_flagged_chart(p->f, rows, name);
	fputs("<table>\n<tr><th>counter</th><th>base mean</th><th>head mean</th><th>ratio</th><th>p</th>"
	      "<th>test</th><th>runs base / head</th><th>changed</th></tr>\n", p->f);
	for (size_t i = 0; i < n && i < HTML_MAX_ROWS; i++)
		counter_row(p->f, jat(rows, i));
	fputs("</table>\n", p->f);
	if (n > HTML_MAX_ROWS)
		fprintf(p->f, "<p class=\"note\">%zu more rows in gate.json.</p>\n", n - HTML_MAX_ROWS);
	if (jint(c, "counters_not_compared", 0) > 0)
		fprintf(p->f, "<p class=\"note\">%d more counter names from the guest were not compared.</p>\n",
			jint(c, "counters_not_compared", 0));
	if (!flagged)
		fputs("</details>\n", p->f);
}

static void gate_details(struct page *p, struct json_object *cases, size_t ncases, const struct point *pts)
{
	char heading[400];

	for (size_t i = 0; i < ncases; i++) {
		const char *name = jstr(jat(cases, i), "case") ? jstr(jat(cases, i), "case") : "?";
		gate_counters(p, jat(cases, i), name);
		snprintf(heading, sizeof(heading), "%s: key counters, head against base", name);
		/* A clean case's counters are there for the curious, folded away. */
		section_counters(p, heading, same_or_both_null(jstr(jat(cases, i), "outcome"), "clean"),
				 (const struct point *const[]){ &pts[2 * i + 1], &pts[2 * i] }, 2);
		if (jget(jat(cases, i), "blame") && jint(jget(jat(cases, i), "blame"), "builds", 0) > 0) {
			struct point *prefixes;
			char rel[PATH_MAX];
			snprintf(rel, sizeof(rel), "%s/blame", name);
			size_t n = load_prefixes(p, rel, &prefixes);
			fputs("<h2>", p->f);
			html_escape(p->f, name);
			fputs(": the search for the first bad patch</h2>\n", p->f);
			prefix_table(p, prefixes, n);
			points_free(prefixes, n);
		}
		snprintf(heading, sizeof(heading), "%s: the first hit on the head", name);
		section_hit(p, &pts[2 * i + 1], heading);
	}
}

int page_gate(struct page *p)
{
	char path[PATH_MAX * 2], what[700];
	struct json_object *doc, *cases;
	struct point *pts;
	size_t n;

	path_in(p, ".", "gate.json", path, sizeof(path));
	if (!(doc = load_json(path, true, p->err, p->errlen)))
		return -1;
	cases = jarr(doc, "cases");
	n = rows_shown(jlen(cases));
	pts = xcalloc(2 * n + 1, sizeof(*pts));
	gate_load_points(p, cases, n, pts);
	snprintf(what, sizeof(what), "%.300s + %.300s", jstr(doc, "base") ? jstr(doc, "base") : "?",
		 jstr(doc, "series") ? jstr(doc, "series") : "?");
	page_open(p, "gate", what);
	gate_banner(p, doc);
	gate_facts(p, doc, path);
	fputs("<h2>Cases</h2>\n<table>\n<tr><th>case</th><th>base hits/valid (95% CI)</th>"
	      "<th>head hits/valid (95% CI)</th><th>outcome</th><th>p (Fisher)</th><th>note</th></tr>\n", p->f);
	for (size_t i = 0; i < n; i++)
		gate_row(p->f, jat(cases, i), &pts[2 * i], &pts[2 * i + 1]);
	fputs("</table>\n", p->f);
	note_more_rows(p->f, jlen(cases), "gate.json");
	section_rates(p, pts, 2 * n);
	section_timeline(p, pts, 2 * n);
	gate_details(p, cases, n, pts);
	page_close(p);
	points_free(pts, 2 * n);
	json_object_put(doc);
	return 0;
}

