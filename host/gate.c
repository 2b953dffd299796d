/* `gate`: base vs base + series over the cases, outcomes by counts and a
 * Fisher test, counters that moved, the guilty patch for each regression,
 * and the reports. */
#include "gate.h"
#include "blame.h"
#include "build.h"
#include "console.h"
#include "counters.h"
#include "html.h"
#include "json_read.h"
#include "kcidb.h"
#include "pool.h"
#include "run.h"
#include "series.h"
#include "stats.h"
#include "subtests.h"
#include "text.h"
#include "util.h"
#include "workload.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

/* changed: nothing crashed, but a counter moved (counters.h's rule). */
enum outcome { O_CLEAN, O_REGRESSION, O_FIXED, O_STILL_FAILING, O_INCONCLUSIVE, O_UNTESTED, O_CHANGED };
static const char *const outcome_names[] = { "clean", "regression", "fixed", "still failing",
					     "flaky/inconclusive", "could not test", "changed" };
#define NOUTCOMES (sizeof(outcome_names) / sizeof(outcome_names[0]))

/* The head's own status: a series that does not apply, or a head that
 * does not build, blocks the series but is not a test outcome. */
enum head_status { HEAD_OK, HEAD_DOES_NOT_APPLY, HEAD_DOES_NOT_BUILD };
static const char *const head_names[] = { "ok", "series does not apply", "head does not build" };

struct gate_case {
	struct case_def c;
	const char **frags;           /* the case's fragments, then --config */
	struct tally base, head;
	enum outcome outcome;
	double p_regression, p_fixed;
	char note[300];
	struct blame_result blame;
	bool blamed;
	/* A kselftest case's subtests compared (subtests.h), or NULL. */
	struct json_object *subtests;
	/* The /proc/vmstat counters compared (counters.h), or NULL; how
	 * many names the guest sent beyond those compared. */
	struct json_object *counters;
	int counters_dropped;
};

struct gate {
	const struct gate_opts *o;
	struct series series;
	char dir[PATH_MAX];
	struct accel_state accel;
	int sfd;
	enum head_status head;
	char head_error[2048], base_error[2048];
	bool base_untestable;
	struct gate_case *cases;
	int ncases;
	double started;
};

/* ---- cases --------------------------------------------------------------- */

static void load_one(const struct gate *g, const char *name, struct gate_case *gc)
{
	char path[PATH_MAX], err[PATH_MAX + 200];
	struct case_def *c = &gc->c;
	int rc;

	if (case_path(name, path, sizeof(path)) < 0)
		die(EXIT_USAGE, "--cases: no case '%s' (see ./run.sh list)", name);
	if (case_load(path, c, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "%s", err);
	if (g->o->flavor)
		case_force_flavor(c, g->o->flavor);
	if (g->o->has_arch)
		case_force_arch(c, g->o->arch);
	if (g->o->title)
		snprintf(c->title, sizeof(c->title), "%s", g->o->title);
	if (!(gc->frags = point_fragments(c, g->o->configs, err, sizeof(err))))
		die(EXIT_USAGE, "%s", err);
	/* A reproducer that does not compile is bad input, found before any build. */
	if ((rc = workload_prepare(c, err, sizeof(err))))
		die(rc, "%s", err);
}

static void load_cases(struct gate *g)
{
	char **paths = NULL;
	int n = 0;

	if (g->o->cases)
		while (g->o->cases[n])
			n++;
	else if ((n = case_list_paths(&paths)) < 0)
		die(EXIT_USAGE, "cannot read %s/cases", repo_root());
	g->cases = xcalloc((size_t)n ? (size_t)n : 1, sizeof(*g->cases));
	for (int i = 0; i < n; i++) {
		load_one(g, g->o->cases ? g->o->cases[i] : paths[i], &g->cases[i]);
		/* Each case's runs go under DIR/NAME: one name twice would mix them. */
		for (int j = 0; j < i; j++)
			if (!strcmp(g->cases[j].c.name, g->cases[i].c.name))
				die(EXIT_USAGE, "--cases: case '%s' is named twice (%s and %s)", g->cases[i].c.name,
				    g->cases[j].c.path, g->cases[i].c.path);
		/* Until its runs decide it: a gate stopped early must not call it clean. */
		g->cases[i].outcome = O_UNTESTED;
		snprintf(g->cases[i].note, sizeof(g->cases[i].note), "not run: the gate stopped before this case");
		if (paths)
			free(paths[i]);
	}
	free(paths);
	g->ncases = n;
	if (n == 0)
		die(EXIT_USAGE, "--cases: no case to gate");
}

/* ---- outcomes ------------------------------------------------------------ */

/* How many runs a side, at the rates seen, would make the difference
 * significant: what "flaky/inconclusive" asks for next. */
static int runs_to_decide(const struct tally *b, const struct tally *h)
{
	int vb = stats_valid(b), vh = stats_valid(h);

	for (int k = 2; k <= 16; k++) {
		double up = stats_fisher_one_sided(h->hits * k, vh * k, b->hits * k, vb * k);
		double down = stats_fisher_one_sided(b->hits * k, vb * k, h->hits * k, vh * k);
		if (up < 0.05 || down < 0.05)
			return k * (vb > vh ? vb : vh);
	}
	return 0;
}

static void decide(struct gate_case *gc)
{
	const struct tally *b = &gc->base, *h = &gc->head;
	int vb = stats_valid(b), vh = stats_valid(h);

	if (!vb || !vh) {
		const struct tally *side = vb ? h : b;
		snprintf(gc->note, sizeof(gc->note), "no valid run on the %s (%d infra, %d conf): %.200s",
			 vb ? "head" : "base", side->infra, side->conf,
			 side->conf ? side->conf_reason : side->infra_reason);
		gc->outcome = O_UNTESTED;
		return;
	}
	gc->p_regression = stats_fisher_one_sided(h->hits, vh, b->hits, vb);
	gc->p_fixed = stats_fisher_one_sided(b->hits, vb, h->hits, vh);
	if (!b->hits && !h->hits)
		gc->outcome = O_CLEAN;
	else if (gc->p_regression < 0.05 || (h->hits >= 2 && !b->hits))
		gc->outcome = O_REGRESSION;
	else if (gc->p_fixed < 0.05 || (b->hits >= 2 && !h->hits))
		gc->outcome = O_FIXED;
	else if (b->hits && h->hits)
		gc->outcome = O_STILL_FAILING;
	else
		gc->outcome = O_INCONCLUSIVE;
	/* With --title another crash is no hit, but a head that crashes where
	 * the base did not is not clean either. */
	if (gc->outcome == O_CLEAN && h->other_crash > b->other_crash) {
		gc->outcome = O_INCONCLUSIVE;
		snprintf(gc->note, sizeof(gc->note), "no hit of the title, but the head crashed otherwise in %d of %d "
			 "runs (the base in %d): %.150s", h->other_crash, h->runs, b->other_crash, h->other_title);
		return;
	}
	if (gc->outcome == O_INCONCLUSIVE) {
		int more = runs_to_decide(b, h);
		if (more)
			snprintf(gc->note, sizeof(gc->note), "--runs %d on both sides would decide it if these rates hold",
				 more);
		else
			snprintf(gc->note, sizeof(gc->note), "even 16x the runs would not decide it at these rates");
	}
}

/* A kselftest case is judged by its subtests: one that passes on the base
 * and fails on the head is the regression, whatever else fails on both
 * (selftests that fail under TCG on every kernel). */
static void decide_subtests(const struct gate *g, struct gate_case *gc)
{
	char base[PATH_MAX + 300], head[PATH_MAX + 300], suite[32];
	int regressed;
	size_t used = 0;

	if (!gc->c.kselftest[0] || gc->outcome == O_UNTESTED)
		return;
	snprintf(suite, sizeof(suite), "%.*s", (int)strcspn(gc->c.kselftest, ":"), gc->c.kselftest);
	xsnprintf(base, sizeof(base), "%s/%s/base", g->dir, gc->c.name);
	xsnprintf(head, sizeof(head), "%s/%s/head", g->dir, gc->c.name);
	json_object_put(gc->subtests);
	if (!(gc->subtests = subtests_compare(suite, base, head)))
		return;
	regressed = subtests_count(gc->subtests, "regression");
	if (regressed)
		gc->outcome = O_REGRESSION;
	else if (subtests_count(gc->subtests, "still failing") && gc->outcome == O_REGRESSION)
		gc->outcome = O_INCONCLUSIVE;
	used = (size_t)snprintf(gc->note, sizeof(gc->note), regressed ? "subtests regressed:" : "");
	for (size_t i = 0; regressed && i < json_object_array_length(gc->subtests) && used < sizeof(gc->note); i++) {
		struct json_object *row = json_object_array_get_idx(gc->subtests, i), *o, *p;
		if (json_object_object_get_ex(row, "outcome", &o) && !strcmp(json_object_get_string(o), "regression") &&
		    json_object_object_get_ex(row, "path", &p))
			used += (size_t)snprintf(gc->note + used, sizeof(gc->note) - used, " %s", json_object_get_string(p));
	}
}

/* The counters of a case both sides tested: those it declares, else the
 * mm ones the guest sent. A flagged counter makes a clean case changed. */
static void decide_counters(const struct gate *g, struct gate_case *gc)
{
	char base[PATH_MAX + 300], head[PATH_MAX + 300], text[250];
	const char *names[CASE_MAX_LIST + 1];
	size_t dropped;

	if (gc->outcome == O_UNTESTED)
		return;
	for (int i = 0; i < gc->c.ncounters; i++)
		names[i] = gc->c.counters[i];
	xsnprintf(base, sizeof(base), "%s/%s/base", g->dir, gc->c.name);
	xsnprintf(head, sizeof(head), "%s/%s/head", g->dir, gc->c.name);
	json_object_put(gc->counters);
	gc->counters = counters_compare(base, head, names, (size_t)gc->c.ncounters, &dropped);
	gc->counters_dropped = dropped > INT_MAX ? INT_MAX : (int)dropped;
	if (gc->outcome != O_CLEAN || !counters_flagged(gc->counters))
		return;
	gc->outcome = O_CHANGED;
	counters_flagged_text(gc->counters, text, sizeof(text));
	snprintf(gc->note, sizeof(gc->note), "%s", text);
}

/* ---- kernels and runs ---------------------------------------------------- */

static struct point_ctx point_for(struct gate *g, const struct gate_case *gc)
{
	struct point_ctx x = { .c = &gc->c, .configs = gc->frags, .runs = g->o->runs,
			       .timeout_s = g->o->timeout_s, .signal_fd = g->sfd, .verbose = g->o->verbose,
			       .accel = &g->accel, .pool = g->o->pool };
	return x;
}

/* A build error of the head is the series' fault: which kind? */
static enum head_status head_failure(const char *err)
{
	return strstr(err, "does not apply") ? HEAD_DOES_NOT_APPLY : HEAD_DOES_NOT_BUILD;
}

/* A kernel that could not be had. Bad input and Ctrl-C stop the gate; a
 * base that fails leaves nothing to compare with; a head that fails blocks
 * the series. Returns the exit code to stop at, or 0. */
static int kernel_failed(struct gate *g, struct gate_case *gc, bool head, int rc, const char *err)
{
	if (rc == EXIT_USAGE || rc == EXIT_INTERRUPTED) {
		if (!head)
			snprintf(g->base_error, sizeof(g->base_error), "%s", err);
		return rc;
	}
	if (head) {
		g->head = head_failure(err);
		snprintf(g->head_error, sizeof(g->head_error), "%s", err);
		snprintf(gc->note, sizeof(gc->note), "%s: %.250s", head_names[g->head], err);
	} else {
		g->base_untestable = true;
		snprintf(g->base_error, sizeof(g->base_error), "%s", err);
		snprintf(gc->note, sizeof(gc->note), "the base could not be had: %.250s", err);
	}
	gc->outcome = O_UNTESTED;
	return 0;
}

/* Base, then head, for one case. Returns an exit code to stop at (2, 130)
 * or 0. */
static int gate_case(struct gate *g, struct gate_case *gc)
{
	char dir[PATH_MAX + 300], err[2048] = "";
	struct point_ctx x = point_for(g, gc);
	struct point_result pr;
	int rc;

	xsnprintf(dir, sizeof(dir), "%s/%s/base", g->dir, gc->c.name);
	rc = point_test(&x, g->o->base, NULL, dir, &pr, err, sizeof(err));
	gc->base = pr.t;
	if (rc)
		return kernel_failed(g, gc, false, rc, err);
	xsnprintf(dir, sizeof(dir), "%s/%s/head", g->dir, gc->c.name);
	rc = point_test(&x, g->o->base, g->o->series, dir, &pr, err, sizeof(err));
	gc->head = pr.t;
	if (rc)
		return kernel_failed(g, gc, true, rc, err);
	gc->note[0] = '\0';
	decide(gc);
	decide_subtests(g, gc);
	decide_counters(g, gc);
	return 0;
}

static int blame(struct gate *g, struct gate_case *gc)
{
	char dir[PATH_MAX + 300];
	struct point_ctx x;

	if (g->series.npatches == 1) {
		/* One patch: it is the culprit, no search needed. */
		gc->blame.first_bad = gc->blame.hi = 1;
		const char *name = strrchr(g->series.patches[0], '/');
		snprintf(gc->blame.file, sizeof(gc->blame.file), "%s", name ? name + 1 : g->series.patches[0]);
		series_patch_subject(g->series.patches[0], gc->blame.subject, sizeof(gc->blame.subject));
		gc->blamed = true;
		return 0;
	}
	x = point_for(g, gc);
	xsnprintf(dir, sizeof(dir), "%s/%s/blame", g->dir, gc->c.name);
	gc->blamed = true;
	return bisect_series_blame(&x, g->o->base, &g->series, false, dir, &gc->blame);
}

/* ---- reports ------------------------------------------------------------- */

/* Lines from..to (1-based) of a console log, sanitised, CRs dropped. */
static char *excerpt_lines(const char *log, int from, int to)
{
	char *text = read_file_limited(log, 64u << 20, NULL), *out = NULL;
	size_t len;
	FILE *f = open_memstream(&out, &len);
	int n = 1;

	for (char *p = text; p && *p && n <= to; n++) {
		char *end = strchr(p, '\n');
		size_t l = end ? (size_t)(end - p) : strlen(p);
		if (n >= from) {
			char *line = strndup(p, l);
			line[strcspn(line, "\r")] = '\0';
			sanitize_text(line, false);
			fprintf(f, "    %s\n", line);
			free(line);
		}
		p = end ? end + 1 : p + l;
	}
	fclose(f);
	free(text);
	return out;
}

/* Up to 30 report lines of the first FAIL among dir/run-N, sanitised. */
static char *first_hit_excerpt(const char *dir)
{
	char path[PATH_MAX + 64];

	for (int i = 1; i < 1000; i++) {
		xsnprintf(path, sizeof(path), "%s/run-%d/result.json", dir, i);
		char *text = read_file_limited(path, 4u << 20, NULL);
		struct json_object *o = text ? json_tokener_parse(text) : NULL, *s, *e;
		free(text);
		if (!text)
			return NULL;
		if (!strcmp(jtext(o, "verdict"), "FAIL") &&
		    json_object_object_get_ex(o, "report_start_line", &s) &&
		    json_object_object_get_ex(o, "report_end_line", &e)) {
			int from = json_object_get_int(s), to = json_object_get_int(e);
			json_object_put(o);
			xsnprintf(path, sizeof(path), "%s/run-%d/console.log", dir, i);
			return excerpt_lines(path, from, to < from + 29 ? to : from + 29);
		}
		json_object_put(o);
	}
	return NULL;
}

static struct json_object *patches_json(const struct series *s)
{
	struct json_object *a = json_object_new_array();
	char subject[256];

	for (int i = 0; i < s->npatches; i++) {
		struct json_object *p = json_object_new_object();
		const char *name = strrchr(s->patches[i], '/');
		series_patch_subject(s->patches[i], subject, sizeof(subject));
		json_object_object_add(p, "file", json_object_new_string(name ? name + 1 : s->patches[i]));
		json_object_object_add(p, "subject", json_object_new_string(subject));
		json_object_array_add(a, p);
	}
	return a;
}

static struct json_object *case_json(const struct gate_case *gc)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "case", json_object_new_string(gc->c.name));
	json_object_object_add(o, "outcome", json_object_new_string(outcome_names[gc->outcome]));
	json_object_object_add(o, "base", stats_tally_json(&gc->base));
	json_object_object_add(o, "head", stats_tally_json(&gc->head));
	if (gc->outcome != O_UNTESTED) {
		json_object_object_add(o, "p_regression", json_object_new_double(gc->p_regression));
		json_object_object_add(o, "p_fixed", json_object_new_double(gc->p_fixed));
	}
	if (gc->note[0])
		json_object_object_add(o, "note", json_object_new_string(gc->note));
	if (gc->subtests) {
		json_object_object_add(o, "subtests_regressed",
				       json_object_new_int(subtests_count(gc->subtests, "regression")));
		json_object_object_add(o, "subtests", json_object_get(gc->subtests));
	}
	if (gc->counters) {
		json_object_object_add(o, "counters_flagged", json_object_new_int(counters_flagged(gc->counters)));
		json_object_object_add(o, "counters", json_object_get(gc->counters));
		if (gc->counters_dropped)
			json_object_object_add(o, "counters_not_compared", json_object_new_int(gc->counters_dropped));
	}
	if (gc->blamed) {
		struct json_object *b = json_object_new_object();
		json_object_object_add(b, "first_bad_patch", json_object_new_int(gc->blame.first_bad));
		json_object_object_add(b, "file", json_object_new_string(gc->blame.file));
		json_object_object_add(b, "subject", json_object_new_string(gc->blame.subject));
		json_object_object_add(b, "builds", json_object_new_int(gc->blame.builds));
		if (gc->blame.note[0])
			json_object_object_add(b, "note", json_object_new_string(gc->blame.note));
		json_object_object_add(o, "blame", b);
	}
	return o;
}

static bool any_outcome(const struct gate *g, enum outcome o)
{
	for (int i = 0; i < g->ncases; i++)
		if (g->cases[i].outcome == o)
			return true;
	return false;
}

static bool any_counter_flagged(const struct gate *g)
{
	for (int i = 0; i < g->ncases; i++)
		if (counters_flagged(g->cases[i].counters))
			return true;
	return false;
}

/* 1 for a regression; for a flagged counter only with --fail-on-counters. */
static int gate_exit_code(const struct gate *g)
{
	if (g->base_untestable)
		return EXIT_UNTESTABLE;
	if (g->head != HEAD_OK || any_outcome(g, O_REGRESSION))
		return EXIT_BUG;
	if (g->o->fail_on_counters && any_counter_flagged(g))
		return EXIT_BUG;
	return EXIT_NO_BUG;
}

/* 0, or -1 (said on stderr) when gate.json could not be written. */
static int write_gate_json(const struct gate *g)
{
	struct json_object *o = json_object_new_object(), *cases = json_object_new_array();
	char path[PATH_MAX + 32];
	int rc;

	json_object_object_add(o, "base", json_object_new_string(g->o->base));
	json_object_object_add(o, "series", json_object_new_string(g->o->series));
	json_object_object_add(o, "patches", patches_json(&g->series));
	json_object_object_add(o, "runs", json_object_new_int(g->o->runs));
	if (g->o->title)
		json_object_object_add(o, "title", json_object_new_string(g->o->title));
	if (g->o->fail_on_counters)
		json_object_object_add(o, "fail_on_counters", json_object_new_boolean(true));
	json_object_object_add(o, "accel", json_object_new_string(g->accel.choice.reason));
	json_object_object_add(o, "head_status", json_object_new_string(head_names[g->head]));
	if (g->head_error[0])
		json_object_object_add(o, "head_error", json_object_new_string(g->head_error));
	if (g->base_error[0])
		json_object_object_add(o, "base_error", json_object_new_string(g->base_error));
	for (int i = 0; i < g->ncases; i++)
		json_object_array_add(cases, case_json(&g->cases[i]));
	json_object_object_add(o, "cases", cases);
	json_object_object_add(o, "seconds", json_object_new_double(now_seconds() - g->started));
	json_object_object_add(o, "exit_code", json_object_new_int(gate_exit_code(g)));
	xsnprintf(path, sizeof(path), "%s/gate.json", g->dir);
	if ((rc = result_write_json(path, o)) < 0)
		fprintf(stderr, "mmrepro: cannot write %s: %s\n", path, strerror(-rc));
	json_object_put(o);
	return rc < 0 ? -1 : 0;
}

/* A regression fails its testcase; a flagged counter only with --fail-on-counters. */
static bool junit_failure(const struct gate *g, const struct gate_case *gc)
{
	return gc->outcome == O_REGRESSION || (g->o->fail_on_counters && counters_flagged(gc->counters));
}

static void write_junit(const struct gate *g)
{
	char *text = NULL, path[PATH_MAX + 32], counts[400];
	size_t len;
	FILE *f = open_memstream(&text, &len);
	int fails = 0, skips = 0;

	for (int i = 0; i < g->ncases; i++) {
		fails += junit_failure(g, &g->cases[i]);
		skips += g->cases[i].outcome == O_UNTESTED;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"mmrepro-gate\" tests=\"%d\" "
		"failures=\"%d\" errors=\"0\" skipped=\"%d\">\n", g->ncases, fails, skips);
	for (int i = 0; i < g->ncases; i++) {
		const struct gate_case *gc = &g->cases[i];
		snprintf(counts, sizeof(counts), "base %d/%d hits, head %d/%d hits: %s%s%s", gc->base.hits,
			 stats_valid(&gc->base), gc->head.hits, stats_valid(&gc->head), outcome_names[gc->outcome],
			 gc->note[0] ? "; " : "", gc->note);
		fprintf(f, "  <testcase classname=\"mmrepro.gate\" name=\"");
		xml_escape(f, gc->c.name);
		fprintf(f, "\">\n");
		if (junit_failure(g, gc) || gc->outcome == O_UNTESTED) {
			fprintf(f, "    <%s message=\"", junit_failure(g, gc) ? "failure" : "skipped");
			xml_escape(f, counts);
			fprintf(f, "\"/>\n");
		}
		fprintf(f, "    <system-out>");
		xml_escape(f, counts);
		fprintf(f, "</system-out>\n  </testcase>\n");
	}
	fprintf(f, "</testsuite>\n");
	fclose(f);
	xsnprintf(path, sizeof(path), "%s/junit.xml", g->dir);
	write_file_atomic(path, text, len);
	free(text);
}

static void report_table(FILE *f, const struct gate *g)
{
	fprintf(f, "  %-28s %-14s %-14s %s\n", "case", "base hits:runs", "head hits:runs", "outcome");
	for (int i = 0; i < g->ncases; i++) {
		const struct gate_case *gc = &g->cases[i];
		char b[32], h[32];
		snprintf(b, sizeof(b), "%d:%d", gc->base.hits, stats_valid(&gc->base));
		snprintf(h, sizeof(h), "%d:%d", gc->head.hits, stats_valid(&gc->head));
		fprintf(f, "  %-28s %-14s %-14s %s%s%s\n", gc->c.name, b, h, outcome_names[gc->outcome],
			gc->note[0] ? ": " : "", gc->note);
	}
}

/* The flagged counters of a case, one line each. */
static void report_counters(FILE *f, const struct gate_case *gc, const char *indent)
{
	char line[400];

	for (size_t i = 0; counters_flagged(gc->counters) && i < json_object_array_length(gc->counters); i++) {
		struct json_object *row = json_object_array_get_idx(gc->counters, i);
		if (!jbool_loose(row, "flagged"))
			continue;
		counters_row_text(row, line, sizeof(line));
		fprintf(f, "%s%s\n", indent, line);
	}
}

static void report_changed(FILE *f, const struct gate_case *gc)
{
	fprintf(f, "\n%s: /proc/vmstat counters that moved over the workload (mean per run; flagged at\n"
		"p < %.2g with the means at least %.0f apart and %.0fx apart; Mann-Whitney U from %d runs\n"
		"a side, Welch's t below):\n", gc->c.name, COUNTERS_P, COUNTERS_MIN_DIFF, COUNTERS_RATIO,
		COUNTERS_MWU_MIN_RUNS);
	report_counters(f, gc, "    ");
}

static void report_hit(FILE *f, const struct gate *g, const struct gate_case *gc)
{
	char dir[PATH_MAX + 300];
	char *excerpt;

	xsnprintf(dir, sizeof(dir), "%s/%s/head", g->dir, gc->c.name);
	excerpt = first_hit_excerpt(dir);
	fprintf(f, "\n%s: %d of %d head runs hit, against %d of %d on the base (one-sided Fisher p = %.3g).\n",
		gc->c.name, gc->head.hits, stats_valid(&gc->head), gc->base.hits, stats_valid(&gc->base),
		gc->p_regression);
	fprintf(f, "The first hit: %s\n", gc->head.hit_title[0] ? gc->head.hit_title : "(the workload's FAIL)");
	if (excerpt && *excerpt)
		fprintf(f, "\n%s", excerpt);
	free(excerpt);
	if (gc->blamed && gc->blame.first_bad)
		fprintf(f, "\nThe first patch at which it fails: [%d/%d] %s\n    %s\n", gc->blame.first_bad,
			g->series.npatches, gc->blame.file, gc->blame.subject);
	else if (gc->blamed)
		fprintf(f, "\nThe guilty patch was not found: %s\n", gc->blame.note);
	fprintf(f, "\nTo reproduce:\n    ./run.sh run %s --kernel %s --series %s --runs %d\n", gc->c.name, g->o->base,
		g->o->series, g->o->runs);
}

static const char *verdict_text(const struct gate *g, int code)
{
	if (code == EXIT_UNTESTABLE)
		return "the base could not be tested";
	if (g->head != HEAD_OK)
		return head_names[g->head];
	if (any_outcome(g, O_REGRESSION))
		return "REGRESSION";
	if (any_counter_flagged(g))
		return code == EXIT_BUG ? "COUNTERS CHANGED (--fail-on-counters)" : "no regression, but counters changed";
	return "no regression";
}

static void write_report(const struct gate *g)
{
	char *text = NULL, path[PATH_MAX + 32], subject[256];
	size_t len;
	FILE *f = open_memstream(&text, &len);
	int code = gate_exit_code(g);

	fprintf(f, "Hello,\n\nmmrepro gated this series on %s (%d runs per case and side):\n\n", g->o->base,
		g->o->runs);
	for (int i = 0; i < g->series.npatches; i++) {
		series_patch_subject(g->series.patches[i], subject, sizeof(subject));
		fprintf(f, "  [%d/%d] %s\n", i + 1, g->series.npatches, subject);
	}
	fprintf(f, "\nVerdict: %s\n", verdict_text(g, code));
	if (g->head != HEAD_OK)
		fprintf(f, "    %s\n", g->head_error);
	fprintf(f, "\n");
	report_table(f, g);
	for (int i = 0; i < g->ncases; i++)
		if (g->cases[i].outcome == O_REGRESSION)
			report_hit(f, g, &g->cases[i]);
	for (int i = 0; i < g->ncases; i++)
		if (counters_flagged(g->cases[i].counters))
			report_changed(f, &g->cases[i]);
	fprintf(f, "\nTo rerun the gate:\n    ./run.sh gate --kernel %s --series %s --runs %d\n", g->o->base,
		g->o->series, g->o->runs);
	fprintf(f, "\nIf you fix the issue in a separate patch, kindly add these tags:\n"
		"| Reported-by: <REPORTER>\n| Closes: <LINK>\n");
	fclose(f);
	xsnprintf(path, sizeof(path), "%s/report.txt", g->dir);
	write_file_atomic(path, text, len);
	free(text);
}

static const char *case_status(const struct gate_case *gc, const struct tally *t)
{
	if (gc->outcome == O_UNTESTED || !stats_valid(t))
		return t->conf ? "SKIP" : "ERROR";
	return t->hits ? "FAIL" : "PASS";
}

/* One KCIDB test per kselftest subtest, at path mmrepro.CASE.mm.TEST.NAME. */
static void kcidb_subtests(struct json_object *doc, const char *run_id, const char *suffix,
			   const struct gate_case *gc, const char *side)
{
	char suite[32];

	snprintf(suite, sizeof(suite), "%.*s", (int)strcspn(gc->c.kselftest, ":"), gc->c.kselftest);
	for (size_t i = 0; gc->subtests && i < json_object_array_length(gc->subtests); i++) {
		struct json_object *row = json_object_array_get_idx(gc->subtests, i);
		const char *status = subtests_side_status(row, side);
		const char *parts[] = { suite, json_object_get_string(json_object_object_get(row, "test")),
					json_object_get_string(json_object_object_get(row, "name")) };
		struct kcidb_test kt = { .case_name = gc->c.name, .status = status, .duration_s = -1,
					 .misc = json_object_get(json_object_object_get(row, side)),
					 .subpath = parts, .nsubpath = 3 };
		if (strcmp(status, "MISS"))
			kcidb_add_test(doc, run_id, suffix, &kt);
		else
			json_object_put(kt.misc);
	}
}

static void kcidb_side(struct json_object *doc, const struct gate *g, const char *run_id, bool head)
{
	struct kcidb_build b = { .id_suffix = head ? "head" : "base", .config_name = "mmrepro-guest",
				 .compiler = "gcc", .duration_s = -1 };

	b.status = head ? (g->head == HEAD_OK ? "PASS" : "FAIL") : (g->base_untestable ? "ERROR" : "PASS");
	kcidb_add_build(doc, run_id, &b);
	for (int i = 0; i < g->ncases; i++) {
		const struct gate_case *gc = &g->cases[i];
		const struct tally *t = head ? &gc->head : &gc->base;
		struct kcidb_test kt = { .case_name = gc->c.name, .status = case_status(gc, t),
					 .duration_s = -1, .misc = stats_tally_json(t) };
		kcidb_add_test(doc, run_id, b.id_suffix, &kt);
		kcidb_subtests(doc, run_id, b.id_suffix, gc, head ? "head" : "base");
	}
}

static void write_kcidb(const struct gate *g)
{
	const char *run_id = strrchr(g->dir, '/') ? strrchr(g->dir, '/') + 1 : g->dir;
	struct kcidb_checkout co = { .tree_name = g->o->base, .patch_paths = (const char *const *)g->series.patches,
				     .npatches = g->series.npatches, .start_time_unix = (double)time(NULL), .valid = true };
	struct json_object *doc = kcidb_new(run_id, &co);
	char path[PATH_MAX + 32];

	if (!doc) {
		fprintf(stderr, "mmrepro: gate: no kcidb.json: %s\n", strerror(errno));
		return;
	}
	kcidb_side(doc, g, run_id, false);
	kcidb_side(doc, g, run_id, true);
	xsnprintf(path, sizeof(path), "%s/kcidb.json", g->dir);
	kcidb_write(doc, path);
	json_object_put(doc);
}

/* ---- the command ---------------------------------------------------------- */

static void print_table(const struct gate *g)
{
	printf("\n");
	report_table(stdout, g);
	for (int i = 0; i < g->ncases; i++) {
		const struct gate_case *gc = &g->cases[i];
		if (gc->blamed && gc->blame.first_bad)
			printf("  %s: first bad patch [%d/%d] %s: %s\n", gc->c.name, gc->blame.first_bad,
			       g->series.npatches, gc->blame.file, gc->blame.subject);
		else if (gc->blamed)
			printf("  %s: %s\n", gc->c.name, gc->blame.note);
		if (counters_flagged(gc->counters)) {
			printf("  %s: counters changed:\n", gc->c.name);
			report_counters(stdout, gc, "    ");
		}
	}
	if (g->head != HEAD_OK)
		printf("  head: %s: %s\n", head_names[g->head], g->head_error);
	printf("results: %s\n", g->dir);
}

/* ---- --jobs: cases in parallel worker processes ---------------------------- */

/* Every kernel first, one at a time in this process: workers then find
 * them all in the cache instead of queueing on the build lock. */
static int prebuild(struct gate *g)
{
	char err[2048];
	struct kernel k;
	int rc = 0, got;

	for (int i = 0; i < g->ncases && !rc && g->head == HEAD_OK && !g->base_untestable; i++) {
		const char **frags = g->cases[i].frags;
		for (int head = 0; head < 2 && !rc && g->head == HEAD_OK && !g->base_untestable; head++) {
			got = kernel_get(g->o->base, head ? g->o->series : NULL, frags,
					 case_build_flavor(&g->cases[i].c, g->o->base), g->cases[i].c.arch, g->sfd, true, &k,
					 err, sizeof(err));
			if (got)
				rc = kernel_failed(g, &g->cases[i], head, got, err);
		}
	}
	return rc;
}

static void case_file(const struct gate *g, const struct gate_case *gc, char *path, size_t len)
{
	xsnprintf(path, len, "%s/%s/gate-case.json", g->dir, gc->c.name);
}

static void save_case(const struct gate *g, const struct gate_case *gc)
{
	char path[PATH_MAX + 300];
	struct json_object *o = case_json(gc);

	xsnprintf(path, sizeof(path), "%s/%s", g->dir, gc->c.name);
	mkdir_p(path, 0755);
	case_file(g, gc, path, sizeof(path));
	result_write_json(path, o);
	json_object_put(o);
}

static void load_case(const struct gate *g, struct gate_case *gc)
{
	char path[PATH_MAX + 300];
	struct json_object *o, *v;

	case_file(g, gc, path, sizeof(path));
	if (!(o = jread_file(path, 16u << 20)))
		return;
	for (size_t i = 0; i < NOUTCOMES; i++)
		if (!strcmp(jtext(o, "outcome"), outcome_names[i]))
			gc->outcome = (enum outcome)i;
	if (json_object_object_get_ex(o, "base", &v))
		stats_tally_from_json(v, &gc->base);
	if (json_object_object_get_ex(o, "head", &v))
		stats_tally_from_json(v, &gc->head);
	gc->p_regression = json_object_object_get_ex(o, "p_regression", &v) ? json_object_get_double(v) : 1;
	gc->p_fixed = json_object_object_get_ex(o, "p_fixed", &v) ? json_object_get_double(v) : 1;
	snprintf(gc->note, sizeof(gc->note), "%s", jtext(o, "note"));
	if ((v = jarr(o, "subtests"))) {
		json_object_put(gc->subtests);
		gc->subtests = json_object_get(v);
	}
	if ((v = jarr(o, "counters"))) {
		json_object_put(gc->counters);
		gc->counters = json_object_get(v);
	}
	gc->counters_dropped = jint_loose(o, "counters_not_compared");
	json_object_put(o);
}

static int worker(struct gate *g, int w, int jobs)
{
	int rc = 0;

	for (int i = w; i < g->ncases && !rc; i += jobs) {
		rc = gate_case(g, &g->cases[i]);
		save_case(g, &g->cases[i]);
	}
	return rc;
}

/* Waits for the workers; a signal to this process goes on to them (each
 * reads its own pending signals from the inherited signalfd). */
static int wait_workers(struct gate *g, pid_t *pids, int jobs)
{
	int left = jobs, rc = 0, status;

	while (left > 0) {
		struct pollfd p = { .fd = g->sfd, .events = POLLIN };
		if (poll(&p, 1, 200) > 0 && console_signal_pending(g->sfd)) {
			for (int w = 0; w < jobs; w++)
				if (pids[w] > 0)
					kill(pids[w], SIGINT);
			rc = EXIT_INTERRUPTED;
		}
		for (int w = 0; w < jobs; w++) {
			if (pids[w] <= 0 || waitpid(pids[w], &status, WNOHANG) != pids[w])
				continue;
			pids[w] = 0;
			left--;
			if (WIFEXITED(status) && WEXITSTATUS(status) && !rc)
				rc = WEXITSTATUS(status);
		}
	}
	return rc;
}

static int run_parallel(struct gate *g, int jobs)
{
	pid_t *pids = xcalloc((size_t)jobs, sizeof(pid_t));
	int rc = prebuild(g);

	if (rc || g->head != HEAD_OK || g->base_untestable) {
		free(pids);
		return rc;
	}
	fflush(NULL);
	for (int w = 0; w < jobs; w++)
		if ((pids[w] = fork()) == 0)
			_exit(worker(g, w, jobs));
	rc = wait_workers(g, pids, jobs);
	for (int i = 0; i < g->ncases; i++)
		load_case(g, &g->cases[i]);
	free(pids);
	return rc;
}

/* A series that does not apply blocks the gate in seconds, before the
 * base is built (minutes when cold) and tested. */
static int check_series_applies(struct gate *g)
{
	char err[2048];
	int got = g->ncases ? build_check_series(g->o->base, g->o->series, err, sizeof(err)) : 0;

	if (got == EXIT_USAGE || got == EXIT_INTERRUPTED || (got && head_failure(err) == HEAD_DOES_NOT_APPLY)) {
		int rc = kernel_failed(g, &g->cases[0], true, got, err);
		return rc ? rc : -1;
	}
	return 0;
}

static int run_all(struct gate *g)
{
	int rc = check_series_applies(g), jobs = g->o->jobs > g->ncases ? g->ncases : g->o->jobs;

	if (rc)
		return rc < 0 ? 0 : rc;
	if (jobs > 1)
		rc = run_parallel(g, jobs);
	for (int i = 0; jobs <= 1 && i < g->ncases && !rc; i++) {
		rc = gate_case(g, &g->cases[i]);
		/* The head's build failed for every case alike: stop there. */
		if (g->head != HEAD_OK || g->base_untestable)
			break;
	}
	for (int i = 0; i < g->ncases && !rc; i++)
		if (g->cases[i].outcome == O_REGRESSION)
			rc = blame(g, &g->cases[i]);
	return rc;
}

int gate_run(const struct gate_opts *o)
{
	struct gate g = { .o = o, .started = now_seconds() };
	char err[2048];
	int rc;
	bool lost;

	load_cases(&g);
	if (series_load(o->series, &g.series, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "%s", err);
	if (o->out)
		snprintf(g.dir, sizeof(g.dir), "%s", o->out);
	else
		run_default_out_dir("gate", o->base, g.dir, sizeof(g.dir));
	if (run_claim_out_dir(g.dir, false, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "%s", err);
	run_accel_init(&g.accel, o->accel);
	g.sfd = console_signal_fd();
	if (o->pool)
		pool_share(o->pool, g.dir);
	rc = run_all(&g);
	lost = write_gate_json(&g) < 0;
	write_junit(&g);
	write_kcidb(&g);
	write_report(&g);
	html_write_report(g.dir);
	print_table(&g);
	if (!rc)
		rc = console_signal_pending(g.sfd) ? EXIT_INTERRUPTED : lost ? EXIT_UNTESTABLE : gate_exit_code(&g);
	series_free(&g.series);
	for (int i = 0; i < g.ncases; i++) {
		json_object_put(g.cases[i].subtests);
		json_object_put(g.cases[i].counters);
	}
	free(g.cases);
	return rc;
}
