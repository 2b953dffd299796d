/* Verdicts of runs, every report of a run, and the files that record them. */
#include "result.h"
#include "json_read.h"
#include "text.h"
#include "title.h"
#include "util.h"
#include "../guest/protocol.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

const char *verdict_name(enum verdict v)
{
	static const char *const names[] = { "PASS", "FAIL", "BROK", "CONF", "RUNNING", "INTERRUPTED", "ABANDONED" };
	return names[v];
}

int verdict_exit_code(enum verdict v)
{
	switch (v) {
	case V_PASS: return EXIT_NO_BUG;
	case V_FAIL: return EXIT_BUG;
	case V_INTERRUPTED: return EXIT_INTERRUPTED;
	default: return EXIT_UNTESTABLE;
	}
}

int result_exit_code(const struct run_result *r)
{
	return r->other_crash ? EXIT_UNTESTABLE : verdict_exit_code(r->verdict);
}

/* The first kselftest subtest whose "TEST: NAME" the pattern matches and
 * whose status is one of want (failing: FAIL, ERROR; else PASS, SKIP,
 * XFAIL), into name; false when there is none. */
static bool matching_subtest(const struct run_result *r, bool failing, char *name, size_t len)
{
	for (size_t i = 0; r->subtests && i < json_object_array_length(r->subtests); i++) {
		struct json_object *t = json_object_array_get_idx(r->subtests, i), *st, *test, *nm;
		bool bad;
		if (!json_object_object_get_ex(t, "status", &st) || !json_object_object_get_ex(t, "test", &test) ||
		    !json_object_object_get_ex(t, "name", &nm))
			continue;
		bad = !strcmp(json_object_get_string(st), "FAIL") || !strcmp(json_object_get_string(st), "ERROR");
		snprintf(name, len, "%s: %s", json_object_get_string(test), json_object_get_string(nm));
		if (bad == failing && title_matches(r->title_pattern, name))
			return true;
	}
	return false;
}

/* A kselftest run that failed without a kernel report is about its
 * subtests: the named one failing is the bug, and it passing while others
 * fail is a pass for it (a bisection of one subtest). Neither (it did not
 * run: a hang, a test that did not build) tested nothing. */
static void apply_to_subtests(struct run_result *r)
{
	char name[600], why[700];

	if (matching_subtest(r, true, name, sizeof(name))) {
		snprintf(why, sizeof(why), "subtest %s failed", name);
	} else if (matching_subtest(r, false, name, sizeof(name))) {
		snprintf(why, sizeof(why), "subtest %s passed (the run failed on others: %.300s)", name, r->reason);
		r->verdict = V_PASS;
	} else {
		snprintf(why, sizeof(why), "no subtest %s ran to a result (%.300s)", r->title_pattern, r->reason);
		r->verdict = V_BROK;
	}
	snprintf(r->reason, sizeof(r->reason), "%s", why);
	sanitize_text(r->reason, false);
}

void result_apply_title(struct run_result *r)
{
	int n;
	const struct report *reps = result_run_reports(r, &n);

	r->other_crash = false;
	if (!r->title_pattern[0] || r->verdict != V_FAIL)
		return;
	if (r->subtests && !r->report.crash) {
		apply_to_subtests(r);
		return;
	}
	for (int i = 0; i < n; i++)
		if (title_matches(r->title_pattern, reps[i].title))
			return;
	if (title_matches(r->title_pattern, r->report.title))
		return;
	r->other_crash = true;
}

int verdict_exit_code_many(const struct run_result *r, int n)
{
	int pass = 0;

	for (int i = 0; i < n; i++)
		if (r[i].verdict == V_FAIL && !r[i].other_crash)
			return EXIT_BUG;
	for (int i = 0; i < n; i++) {
		if (r[i].verdict == V_INTERRUPTED)
			return EXIT_INTERRUPTED;
		pass += r[i].verdict == V_PASS;
	}
	return n > 0 && pass == n ? EXIT_NO_BUG : EXIT_UNTESTABLE;
}

/* Reasons carry guest and console text: sanitised once, here. */
static void set(struct run_result *r, enum verdict v, const char *reason)
{
	r->verdict = v;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	sanitize_text(r->reason, false);
}

/* An untestable run says what QEMU itself said, if anything. */
static void set_brok(struct run_result *r, const char *why)
{
	char full[sizeof(r->reason)];

	snprintf(full, sizeof(full), "%s%s%s", why, r->qemu_error[0] ? "; qemu: " : "", r->qemu_error);
	set(r, V_BROK, full);
}

static enum verdict workload_verdict(struct json_object *w, const char **reason)
{
	struct json_object *v, *why;
	const char *s;

	*reason = "";
	if (!w || !json_object_object_get_ex(w, "verdict", &v))
		return V_RUNNING;
	if (json_object_object_get_ex(w, "reason", &why))
		*reason = json_object_get_string(why);
	s = json_object_get_string(v);
	if (!strcmp(s, "PASS"))
		return V_PASS;
	if (!strcmp(s, "FAIL"))
		return V_FAIL;
	if (!strcmp(s, "CONF"))
		return V_CONF;
	return V_BROK;
}

/* A hang or flood is the kernel's fault only once the workload runs; before
 * that the boot itself failed and the run could not test anything. */
static void decide_no_result(struct run_result *r, const struct console_result *con, const char *status)
{
	bool in_workload = con->mark_s[MARK_WORKLOAD_START] >= 0;
	char why[400];

	if (con->end == CONSOLE_SPAWN_FAILED) {
		set_brok(r, "QEMU could not start (see qemu.stderr)");
	} else if (!in_workload) {
		snprintf(why, sizeof(why), "boot did not reach the workload (console %s%s%s%s)",
			 console_end_name(con->end),
			 con->mark_s[MARK_INIT] < 0 ? ", init never started" : "",
			 r->init_error[0] ? "; " : "", r->init_error);
		if (r->boot_failure_is_bug)
			set(r, V_FAIL, why);
		else
			set_brok(r, why);
	} else if (con->end == CONSOLE_TIMEOUT || con->end == CONSOLE_IDLE) {
		snprintf(why, sizeof(why), "hang: %s during the workload", console_end_name(con->end));
		set(r, V_FAIL, why);
		snprintf(r->report.title, sizeof(r->report.title), "%.200s", why);
	} else if (con->end == CONSOLE_FLOOD) {
		set(r, V_FAIL, "console flood during the workload");
		snprintf(r->report.title, sizeof(r->report.title), "console flood");
	} else if (status && !strcmp(status, "timeout")) {
		set(r, V_FAIL, "hang: workload did not finish within the case timeout");
		snprintf(r->report.title, sizeof(r->report.title), "hang: workload timeout");
	} else {
		snprintf(why, sizeof(why), "workload left no result (%s%s%s)", status ? status : "no status",
			 r->init_error[0] ? "; " : "", r->init_error);
		set_brok(r, why);
	}
}

/* A report during the workload is a hit. One before it (the boot never got
 * there, or a boot-time report when the case counts those) is a hit only
 * for a case about boot failures; otherwise the kernel could not be
 * tested, which git bisect must read as "skip", never as "bad". */
static bool decide_crash(struct run_result *r, const struct console_result *con)
{
	char why[400];

	if (con->mark_s[MARK_WORKLOAD_START] >= 0) {
		set(r, V_FAIL, r->report.title);
		return true;
	}
	if (r->boot_failure_is_bug) {
		snprintf(why, sizeof(why), "boot failure: %s", r->report.title);
		set(r, V_FAIL, why);
	} else {
		snprintf(why, sizeof(why), "kernel crashed before the workload: %s", r->report.title);
		set_brok(r, why);
	}
	return true;
}

void result_decide(struct run_result *r, const struct console_result *con, const char *status)
{
	const char *reason;
	enum verdict wv;

	if (con->end == CONSOLE_INTERRUPTED) {
		set(r, V_INTERRUPTED, "interrupted by a signal; partial console kept");
		return;
	}
	if (r->report.crash && decide_crash(r, con))
		return;
	wv = workload_verdict(r->workload, &reason);
	if (wv == V_RUNNING) {
		decide_no_result(r, con, status);
		return;
	}
	set(r, wv, reason);
}

static struct json_object *new_nonempty_string(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

/* The offset n lines after off. */
static void add_report(struct run_result *r, struct report *rep, size_t *cap)
{
	if ((size_t)r->nreports == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		r->reports = xrealloc(r->reports, *cap * sizeof(*r->reports));
	}
	sanitize_text(rep->title, false);
	sanitize_text(rep->guilty_frame, false);
	r->reports[r->nreports++] = *rep;
}

/* report_parse_all walks the log once; at most RESULT_MAX_REPORTS are
 * kept, and reports_truncated says when more followed. */
void result_collect_reports(struct run_result *r, const char *log, size_t len, int workload_line)
{
	struct report *all = NULL;
	size_t cap = 0;
	int n = 0;

	result_free_reports(r);
	if (report_parse_all(log, len, &all, &n) < 0)
		die(EXIT_UNTESTABLE, "out of memory");
	for (int i = 0; i < n; i++) {
		if (r->nreports == RESULT_MAX_REPORTS) {
			r->reports_truncated = true;
			break;
		}
		add_report(r, &all[i], &cap);
	}
	free(all);
	while (!r->boot_failure_is_bug && r->nboot_reports < r->nreports &&
	       (workload_line <= 0 || r->reports[r->nboot_reports].start_line < workload_line))
		r->nboot_reports++;
}

void result_free_reports(struct run_result *r)
{
	free(r->reports);
	r->reports = NULL;
	r->nreports = r->nboot_reports = 0;
	r->reports_truncated = false;
}

/* The classifier's own JSON form of the dump, so both always agree. */
static struct json_object *page_json(const struct report_page *p)
{
	char buf[8192];

	return report_page_json(p, buf, sizeof(buf)) < 0 ? NULL : json_tokener_parse(buf);
}

static struct json_object *reports_json(const struct run_result *r)
{
	struct json_object *a = json_object_new_array();

	for (int i = 0; i < r->nreports; i++) {
		const struct report *rep = &r->reports[i];
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "title", json_object_new_string(rep->title));
		json_object_object_add(o, "guilty_frame", new_nonempty_string(rep->guilty_frame));
		json_object_object_add(o, "start_line", json_object_new_int(rep->start_line));
		json_object_object_add(o, "end_line", json_object_new_int(rep->end_line));
		json_object_object_add(o, "corrupted", json_object_new_boolean(rep->corrupted));
		json_object_object_add(o, "before_workload", json_object_new_boolean(i < r->nboot_reports));
		if (rep->page.present)
			json_object_object_add(o, "page", page_json(&rep->page));
		json_object_array_add(a, o);
	}
	return a;
}

/* "a b c" as ["a", "b", "c"]. */
static struct json_object *words_json(const char *words)
{
	struct json_object *a = json_object_new_array();

	for (const char *w = words; *w;) {
		size_t n = strcspn(w, " ");
		if (n)
			json_object_array_add(a, json_object_new_string_len(w, (int)n));
		w += n + (w[n] == ' ');
	}
	return a;
}

/* What a reproducer or kselftest run, or a --title, adds to a result. */
static void add_source_fields(struct json_object *o, const struct run_result *r)
{
	if (r->subtests)
		json_object_object_add(o, "subtests", json_object_get(r->subtests));
	if (r->report_test[0])
		json_object_object_add(o, "report_test", new_nonempty_string(r->report_test));
	if (r->workload_source[0])
		json_object_object_add(o, "workload_source", new_nonempty_string(r->workload_source));
	if (r->vm_shape)
		json_object_object_add(o, "vm", json_object_get(r->vm_shape));
	if (r->config_changes)
		json_object_object_add(o, "config_changes", json_object_get(r->config_changes));
	if (r->title_pattern[0]) {
		json_object_object_add(o, "title_pattern", new_nonempty_string(r->title_pattern));
		json_object_object_add(o, "other_crash", json_object_new_boolean(r->other_crash));
	}
}

struct json_object *result_to_json(const struct run_result *r)
{
	struct json_object *o = json_object_new_object(), *t = json_object_new_object();

	json_object_object_add(o, "case", json_object_new_string(r->case_name));
	json_object_object_add(o, "variant", new_nonempty_string(r->variant));
	json_object_object_add(o, "run", json_object_new_int(r->index));
	json_object_object_add(o, "kernel", json_object_new_string(r->kernel_spec));
	json_object_object_add(o, "kernel_release", new_nonempty_string(r->kernel_release));
	if (r->kernel_source[0])
		json_object_object_add(o, "kernel_source", new_nonempty_string(r->kernel_source));
	json_object_object_add(o, "series", new_nonempty_string(r->series));
	json_object_object_add(o, "flavor", new_nonempty_string(r->flavor));
	json_object_object_add(o, "fix", new_nonempty_string(r->fix));
	if (r->counters[0])
		json_object_object_add(o, "counters", words_json(r->counters));
	json_object_object_add(o, "verdict", json_object_new_string(verdict_name(r->verdict)));
	json_object_object_add(o, "interrupted", json_object_new_boolean(r->verdict == V_INTERRUPTED));
	json_object_object_add(o, "reason", json_object_new_string(r->reason));
	json_object_object_add(o, "crash", json_object_new_boolean(r->report.crash));
	json_object_object_add(o, "title", new_nonempty_string(r->report.title));
	json_object_object_add(o, "guilty_frame", new_nonempty_string(r->report.guilty_frame));
	if (r->report.start_line) {
		json_object_object_add(o, "report_start_line", json_object_new_int(r->report.start_line));
		json_object_object_add(o, "report_end_line", json_object_new_int(r->report.end_line));
	}
	if (r->boot_report.crash) {
		json_object_object_add(o, "boot_report_title", new_nonempty_string(r->boot_report.title));
		json_object_object_add(o, "boot_report_start_line", json_object_new_int(r->boot_report.start_line));
	}
	json_object_object_add(o, "reports", reports_json(r));
	json_object_object_add(o, "reports_truncated", json_object_new_boolean(r->reports_truncated));
	json_object_object_add(o, "boot_failure_is_bug", json_object_new_boolean(r->boot_failure_is_bug));
	json_object_object_add(o, "accel", new_nonempty_string(r->accel));
	json_object_object_add(o, "accel_reason", new_nonempty_string(r->accel_reason));
	json_object_object_add(o, "qemu_error", new_nonempty_string(r->qemu_error));
	json_object_object_add(o, "console_end", json_object_new_string(console_end_name(r->console_end)));
	json_object_object_add(o, "host", new_nonempty_string(r->host));
	json_object_object_add(o, "backend", new_nonempty_string(r->backend));
	json_object_object_add(o, "slot", json_object_new_int(r->slot));
	json_object_object_add(o, "jobs", json_object_new_int(r->jobs));
	json_object_object_add(o, "jobs_auto", new_nonempty_string(r->jobs_auto));
	json_object_object_add(o, "infra", json_object_new_boolean(r->infra));
	json_object_object_add(o, "emulator_artifact", new_nonempty_string(emulator_artifact_name(r->emulator)));
	json_object_object_add(o, "emulator_retries", json_object_new_int(r->emulator_retries));
	json_object_object_add(o, "workload", r->workload ? json_object_get(r->workload) : NULL);
	json_object_object_add(o, "decoded", r->decoded ? json_object_get(r->decoded) : NULL);
	add_source_fields(o, r);
	json_object_object_add(t, "prepare", json_object_new_double(r->prepare_s));
	json_object_object_add(t, "to_init", json_object_new_double(r->init_s));
	json_object_object_add(t, "boot", json_object_new_double(r->boot_s));
	json_object_object_add(t, "workload", json_object_new_double(r->workload_s));
	json_object_object_add(t, "total", json_object_new_double(r->total_s));
	json_object_object_add(o, "seconds", t);
	json_object_object_add(o, "exit_code", json_object_new_int(result_exit_code(r)));
	return o;
}

int result_write_json(const char *path, struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);

	return s ? write_file_atomic(path, s, strlen(s)) : -ENOMEM;
}

int result_write(const struct run_result *r)
{
	char path[4200];
	struct json_object *o = result_to_json(r);
	int rc;

	xsnprintf(path, sizeof(path), "%s/result.json", r->dir);
	rc = result_write_json(path, o);
	json_object_put(o);
	return rc;
}

/* One testcase per kselftest subtest: classname CASE.TEST, name SUBTEST. */
static void junit_subtests(FILE *f, const struct run_result *r)
{
	size_t n = r->subtests ? json_object_array_length(r->subtests) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *t = json_object_array_get_idx(r->subtests, i);
		const char *st = jtext(t, "status");
		const char *tag = !strcmp(st, "FAIL") ? "failure" : !strcmp(st, "ERROR") ? "error" :
				  !strcmp(st, "SKIP") ? "skipped" : NULL;
		fprintf(f, "  <testcase classname=\"");
		xml_escape(f, r->case_name);
		fputc('.', f);
		xml_escape(f, jtext(t, "test"));
		fprintf(f, "\" name=\"");
		xml_escape(f, jtext(t, "name"));
		fprintf(f, " run %d\">\n", r->index);
		if (tag) {
			fprintf(f, "    <%s message=\"", tag);
			xml_escape(f, jtext(t, "reason"));
			fprintf(f, "\"/>\n");
		}
		fprintf(f, "  </testcase>\n");
	}
}

static void junit_count(const struct run_result *runs, int n, int c[4])
{
	for (int i = 0; i < n; i++) {
		size_t m = runs[i].subtests ? json_object_array_length(runs[i].subtests) : 0;
		c[0] += 1 + (int)m;
		c[1] += runs[i].verdict == V_FAIL;
		c[2] += runs[i].verdict == V_CONF;
		c[3] += runs[i].verdict == V_BROK || runs[i].verdict == V_INTERRUPTED;
		for (size_t j = 0; j < m; j++) {
			const char *st = jtext(json_object_array_get_idx(runs[i].subtests, j), "status");
			c[1] += !strcmp(st, "FAIL");
			c[2] += !strcmp(st, "SKIP");
			c[3] += !strcmp(st, "ERROR");
		}
	}
}

static char *junit_text(const struct run_result *runs, int n, size_t *len)
{
	int c[4] = { 0 }; /* tests, failures, skipped, errors */
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	junit_count(runs, n, c);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"mmrepro\" tests=\"%d\" "
		"failures=\"%d\" errors=\"%d\" skipped=\"%d\">\n", c[0], c[1], c[3], c[2]);
	for (int i = 0; i < n; i++) {
		const struct run_result *r = &runs[i];
		fprintf(f, "  <testcase classname=\"");
		xml_escape(f, r->case_name);
		fprintf(f, "\" name=\"");
		xml_escape(f, r->variant[0] ? r->variant : r->kernel_spec);
		fprintf(f, " run %d\" time=\"%.1f\">\n", r->index, r->total_s);
		if (r->verdict != V_PASS) {
			const char *tag = r->verdict == V_FAIL ? "failure" : r->verdict == V_CONF ? "skipped" : "error";
			fprintf(f, "    <%s message=\"", tag);
			xml_escape(f, r->reason);
			fprintf(f, "\"/>\n");
		}
		fprintf(f, "  </testcase>\n");
		junit_subtests(f, r);
	}
	fprintf(f, "</testsuite>\n");
	fclose(f);
	return buf;
}

static char *tap_text(const struct run_result *runs, int n, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	fprintf(f, "TAP version 13\n1..%d\n", n);
	for (int i = 0; i < n; i++) {
		const struct run_result *r = &runs[i];
		bool ok = r->verdict == V_PASS || r->verdict == V_CONF;
		fprintf(f, "%s %d - %s %s run %d", ok ? "ok" : "not ok", i + 1, r->case_name,
			r->variant[0] ? r->variant : r->kernel_spec, r->index);
		if (r->verdict == V_CONF)
			fprintf(f, " # SKIP %s", r->reason);
		else if (r->verdict != V_PASS)
			fprintf(f, " # %s: %s", verdict_name(r->verdict), r->reason);
		fputc('\n', f);
	}
	fclose(f);
	return buf;
}

static struct json_object *summary_json(const struct run_result *runs, int n)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	int counts[V_ABANDONED + 1] = { 0 };

	for (int i = 0; i < n; i++) {
		counts[runs[i].verdict]++;
		json_object_array_add(arr, result_to_json(&runs[i]));
	}
	json_object_object_add(o, "runs", arr);
	json_object_object_add(o, "hits", json_object_new_int(counts[V_FAIL]));
	json_object_object_add(o, "passes", json_object_new_int(counts[V_PASS]));
	json_object_object_add(o, "untestable", json_object_new_int(counts[V_BROK] + counts[V_CONF]));
	json_object_object_add(o, "exit_code", json_object_new_int(verdict_exit_code_many(runs, n)));
	return o;
}

/* One summary file; the first failure is kept in *rc and its path in failed. */
static void write_one(const char *out, const char *name, const char *text, size_t len, int *rc,
		      char *failed, size_t failed_len)
{
	char path[4200];
	int e;

	xsnprintf(path, sizeof(path), "%s/%s", out, name);
	e = text ? write_file_atomic(path, text, len) : -ENOMEM;
	if (e < 0 && !*rc) {
		*rc = e;
		if (failed)
			snprintf(failed, failed_len, "%s", path);
	}
}

int result_write_summary_at(const char *out, const struct run_result *runs, int n, char *failed, size_t failed_len)
{
	struct json_object *o = summary_json(runs, n);
	const char *json = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = 0;
	char *text;
	int rc = 0;

	if (failed && failed_len)
		failed[0] = '\0';
	write_one(out, "result.json", json, json ? strlen(json) : 0, &rc, failed, failed_len);
	json_object_put(o);
	text = junit_text(runs, n, &len);
	write_one(out, "junit.xml", text, len, &rc, failed, failed_len);
	free(text);
	text = tap_text(runs, n, &len);
	write_one(out, "results.tap", text, len, &rc, failed, failed_len);
	free(text);
	return rc;
}

int result_write_summary(const char *out, const struct run_result *runs, int n)
{
	char failed[4200];
	int rc = result_write_summary_at(out, runs, n, failed, sizeof(failed));

	if (rc < 0)
		fprintf(stderr, "mmrepro: cannot write %s: %s\n", failed, strerror(-rc));
	return rc;
}

void result_print_line(const struct run_result *r, FILE *f)
{
	fprintf(f, "%-24s %-14s run %-2d %-5s %6.1fs  %s%s\n", r->case_name,
		r->variant[0] ? r->variant : r->kernel_spec, r->index, r->other_crash ? "OTHER" : verdict_name(r->verdict),
		r->total_s, r->other_crash ? "other crash, not --title: " : "", r->reason);
	fflush(f);
}

/* ---- the guest's result channel ----------------------------------------- */

static char **channel_slot(struct guest_results *g, const char *name, size_t **len)
{
	if (!strcmp(name, PROTO_REC_STATUS))
		return &g->status;
	if (!strcmp(name, PROTO_REC_JSON))
		return &g->json;
	if (!strcmp(name, PROTO_REC_KSELFTEST)) {
		*len = &g->kselftest_len;
		return &g->kselftest;
	}
	if (!strcmp(name, PROTO_REC_REPRO)) {
		*len = &g->repro_len;
		return &g->repro;
	}
	return NULL;
}

static void channel_problem(struct guest_results *g, const char *what)
{
	if (!g->problem[0])
		snprintf(g->problem, sizeof(g->problem), "%s", what);
}

/* "NAME LEN" up to the newline: a short lowercase name and at most nine
 * digits, nothing else (no sign, no spaces, no overflow). */
static bool channel_header(const char *p, const char *nl, char name[32], size_t *size)
{
	size_t n = 0, digits = 0;

	while (p < nl && n < 31 && ((*p >= 'a' && *p <= 'z') || *p == '.'))
		name[n++] = *p++;
	name[n] = '\0';
	if (!n || p >= nl || *p++ != ' ')
		return false;
	for (*size = 0; p < nl && *p >= '0' && *p <= '9' && digits < 9; p++, digits++)
		*size = *size * 10 + (size_t)(*p - '0');
	return digits && p == nl;
}

/* One record at *pos; returns false at the end or on the first bad byte. */
static bool channel_record(const char *buf, size_t len, size_t *pos, size_t max_record, struct guest_results *g)
{
	static const char head[] = PROTO_RECORD_HEAD, end[] = PROTO_RECORD_END;
	const char *p = buf + *pos, *nl = memchr(p, '\n', len - *pos);
	char name[32];
	size_t size, body, unused_len, *slot_len = &unused_len;
	char **slot;

	if (len - *pos >= sizeof(end) - 1 && !memcmp(p, end, sizeof(end) - 1))
		return false;
	if (!nl || nl - p > 80 || strncmp(p, head, sizeof(head) - 1) ||
	    !channel_header(p + sizeof(head) - 1, nl, name, &size)) {
		channel_problem(g, "malformed record header");
		return false;
	}
	slot = channel_slot(g, name, &slot_len);
	body = (size_t)(nl + 1 - buf);
	if (!slot || *slot || size > max_record || size + 1 > len - body || buf[body + size] != '\n') {
		channel_problem(g, !slot ? "unknown record name" : *slot ? "repeated record" :
				size > max_record ? "record over the size limit" : "truncated record");
		return false;
	}
	*slot = xcalloc(size + 1, 1);
	memcpy(*slot, buf + body, size);
	*slot_len = size;
	*pos = body + size + 1;
	return true;
}

void result_parse_channel(const char *buf, size_t len, size_t max_record, struct guest_results *out)
{
	size_t pos = 0;

	memset(out, 0, sizeof(*out));
	if (!buf)
		return;
	while (pos < len && channel_record(buf, len, &pos, max_record, out))
		;
	if (out->status && strlen(out->status) != strcspn(out->status, "\n\r"))
		channel_problem(out, "status with a line break");
}

void result_free_channel(struct guest_results *g)
{
	free(g->status);
	free(g->json);
	free(g->kselftest);
	free(g->repro);
	g->status = g->json = g->kselftest = g->repro = NULL;
}

/* ---- reading a result back --------------------------------------------- */

/* The string at key into out; out stays as it was for anything else. */
static void copy_str(struct json_object *o, const char *key, char *out, size_t len)
{
	const char *s = jstring(o, key);

	if (s)
		snprintf(out, len, "%s", s);
}

static int enum_from_name(const char *name, const char *(*name_of)(int), int count)
{
	for (int i = 0; i < count; i++)
		if (!strcmp(name, name_of(i)))
			return i;
	return -1;
}

static const char *verdict_name_i(int i) { return verdict_name((enum verdict)i); }
static const char *console_end_name_i(int i) { return console_end_name((enum console_end)i); }

/* A hostile result.json names only artifacts this suite knows. */
static void read_emulator(struct json_object *o, struct run_result *r)
{
	char name[32] = "";

	copy_str(o, "emulator_artifact", name, sizeof(name));
	r->emulator = !strcmp(name, emulator_artifact_name(EMU_TCG_STALE_INT3)) ? EMU_TCG_STALE_INT3 : EMU_NONE;
	r->emulator_retries = jint(o, "emulator_retries", 0);
	if (r->emulator_retries < 0)
		r->emulator_retries = 0;
}

static void read_report(struct json_object *o, struct run_result *r)
{
	r->report.crash = jbool_loose(o, "crash");
	copy_str(o, "title", r->report.title, sizeof(r->report.title));
	copy_str(o, "guilty_frame", r->report.guilty_frame, sizeof(r->report.guilty_frame));
	r->report.start_line = (int)jdouble_loose(o, "report_start_line");
	r->report.end_line = (int)jdouble_loose(o, "report_end_line");
	copy_str(o, "boot_report_title", r->boot_report.title, sizeof(r->boot_report.title));
	r->boot_report.crash = r->boot_report.title[0] != '\0';
	r->boot_report.start_line = (int)jdouble_loose(o, "boot_report_start_line");
}

/* A JSON array of strings back into "a b c". */
static void read_words(struct json_object *o, const char *key, char *out, size_t len)
{
	struct json_object *a;

	out[0] = '\0';
	if (!(a = jarr(o, key)))
		return;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		const char *w = json_object_get_string(json_object_array_get_idx(a, i));
		size_t used = strlen(out);
		if (w && !strchr(w, ' '))
			snprintf(out + used, len - used, "%s%s", used ? " " : "", w);
	}
}

/* A "0x.." string; false when absent, null or not hex. */
static bool get_hex(struct json_object *o, const char *key, unsigned long *out)
{
	char text[24] = "", *end;

	copy_str(o, key, text, sizeof(text));
	if (strncmp(text, "0x", 2) || !text[2])
		return false;
	*out = strtoul(text + 2, &end, 16);
	return *end == '\0';
}

/* The names of a "flags" array, joined by '|' as report.c keeps them;
 * a name that is not [a-z0-9_] or does not fit marks the dump malformed. */
static void read_page_flags(struct json_object *o, struct report_page *p)
{
	struct json_object *a;
	size_t off = 0, n;

	if (!(a = jarr(o, "flags")))
		return;
	n = json_object_array_length(a);
	for (size_t i = 0; i < n; i++) {
		const char *f = json_object_get_string(json_object_array_get_idx(a, i));
		size_t len = f ? strlen(f) : 0;
		if (!len || strspn(f, "abcdefghijklmnopqrstuvwxyz0123456789_") != len ||
		    off + (off > 0) + len >= sizeof(p->flags)) {
			p->malformed = true;
			continue;
		}
		off += (size_t)snprintf(p->flags + off, sizeof(p->flags) - off, "%s%s", off ? "|" : "", f);
	}
}

static void read_page(struct json_object *e, struct report_page *p)
{
	struct json_object *o, *v;
	char kind[8] = "";

	if (!(o = jobj(e, "page")))
		return;
	p->present = true;
	p->line = (int)jdouble_loose(o, "line");
	p->refcount = (long)jdouble_loose(o, "refcount");
	p->mapcount = (long)jdouble_loose(o, "mapcount");
	p->have_pfn = get_hex(o, "pfn", &p->pfn);
	p->have_mapping = get_hex(o, "mapping", &p->mapping);
	get_hex(o, "index", &p->index);
	p->have_flags = get_hex(o, "flags_raw", &p->flags_raw);
	p->have_memcg = get_hex(o, "memcg", &p->memcg);
	p->large = jbool(o, "large");
	p->order = json_object_object_get_ex(o, "order", &v) && json_object_is_type(v, json_type_int) ?
		   json_object_get_int(v) : -1;
	copy_str(o, "kind", kind, sizeof(kind));
	p->anon = !strcmp(kind, "anon");
	p->ksm = !strcmp(kind, "ksm");
	p->file = !strcmp(kind, "file");
	copy_str(o, "page_type", p->page_type, sizeof(p->page_type));
	copy_str(o, "reason", p->reason, sizeof(p->reason));
	sanitize_text(p->reason, false);
	p->poisoned = jbool(o, "poisoned");
	p->malformed = jbool(o, "malformed");
	read_page_flags(o, p);
}

/* The reports array, in order (a run done in another process). */
static void read_reports(struct json_object *o, struct run_result *r)
{
	struct json_object *a;
	size_t n, cap = 0;

	if (!(a = jarr(o, "reports")))
		return;
	n = json_object_array_length(a);
	for (size_t i = 0; i < n && i < RESULT_MAX_REPORTS; i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		struct report rep = { .crash = true };
		copy_str(e, "title", rep.title, sizeof(rep.title));
		copy_str(e, "guilty_frame", rep.guilty_frame, sizeof(rep.guilty_frame));
		rep.start_line = (int)jdouble_loose(e, "start_line");
		rep.end_line = (int)jdouble_loose(e, "end_line");
		rep.corrupted = jbool(e, "corrupted");
		read_page(e, &rep.page);
		add_report(r, &rep, &cap);
		if (jbool_loose(e, "before_workload"))
			r->nboot_reports = r->nreports;
	}
	r->reports_truncated = jbool_loose(o, "reports_truncated");
}

static void read_times(struct json_object *o, struct run_result *r)
{
	struct json_object *t;

	if (!json_object_object_get_ex(o, "seconds", &t))
		return;
	r->prepare_s = jdouble_loose(t, "prepare");
	r->init_s = jdouble_loose(t, "to_init");
	r->boot_s = jdouble_loose(t, "boot");
	r->workload_s = jdouble_loose(t, "workload");
	r->total_s = jdouble_loose(t, "total");
}

int result_read(const char *dir, struct run_result *r)
{
	char path[4200], verdict[32] = "", end[32] = "";
	struct json_object *o, *v;
	int vi, ei;

	xsnprintf(path, sizeof(path), "%s/result.json", dir);
	o = jread_file(path, 64u << 20);
	copy_str(o, "verdict", verdict, sizeof(verdict));
	copy_str(o, "console_end", end, sizeof(end));
	if (!o || (vi = enum_from_name(verdict, verdict_name_i, V_ABANDONED + 1)) < 0) {
		if (o)
			json_object_put(o);
		return -1;
	}
	ei = enum_from_name(end, console_end_name_i, CONSOLE_QEMU_FATAL + 1);
	r->verdict = (enum verdict)vi;
	r->console_end = ei < 0 ? CONSOLE_EXITED : (enum console_end)ei;
	copy_str(o, "reason", r->reason, sizeof(r->reason));
	copy_str(o, "kernel_release", r->kernel_release, sizeof(r->kernel_release));
	copy_str(o, "accel", r->accel, sizeof(r->accel));
	copy_str(o, "accel_reason", r->accel_reason, sizeof(r->accel_reason));
	copy_str(o, "qemu_error", r->qemu_error, sizeof(r->qemu_error));
	copy_str(o, "host", r->host, sizeof(r->host));
	copy_str(o, "backend", r->backend, sizeof(r->backend));
	r->slot = (int)jdouble_loose(o, "slot");
	r->jobs = (int)jdouble_loose(o, "jobs");
	copy_str(o, "jobs_auto", r->jobs_auto, sizeof(r->jobs_auto));
	r->infra = jbool_loose(o, "infra");
	read_emulator(o, r);
	read_report(o, r);
	read_reports(o, r);
	read_words(o, "counters", r->counters, sizeof(r->counters));
	read_times(o, r);
	if ((v = jobj(o, "workload")))
		r->workload = json_object_get(v);
	if ((v = jarr(o, "subtests"))) {
		json_object_put(r->subtests);
		r->subtests = json_object_get(v);
	}
	copy_str(o, "report_test", r->report_test, sizeof(r->report_test));
	copy_str(o, "title_pattern", r->title_pattern, sizeof(r->title_pattern));
	r->other_crash = jbool_loose(o, "other_crash");
	json_object_put(o);
	return 0;
}
