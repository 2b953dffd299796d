/* Test points and the search for the first bad patch of a series. */
#include "bisect.h"
#include "build.h"
#include "console.h"
#include "flavor.h"
#include "html.h"
#include "run.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int bisect_test_point(const struct point_ctx *x, const char *spec, const char *series, const char *dir,
		      struct point_result *pr, char *err, size_t errlen)
{
	struct kernel k;
	struct run_result *r;
	double t0 = now_seconds();
	int rc, n;

	memset(pr, 0, sizeof(*pr));
	rc = kernel_get(spec, series, x->configs, case_build_flavor(x->c, spec), x->signal_fd, true, &k, err, errlen);
	pr->build_s = now_seconds() - t0;
	if (rc)
		return rc;
	snprintf(pr->bzimage, sizeof(pr->bzimage), "%s", k.bzimage);
	r = xcalloc((size_t)x->runs, sizeof(*r));
	struct run_opts ro = { .out_dir = dir, .runs = x->runs, .timeout_s = x->timeout_s, .echo = x->verbose,
			       .quiet = true, .signal_fd = x->signal_fd, .accel = x->accel, .pool = x->pool };
	t0 = now_seconds();
	n = run_case(x->c, &k, &ro, r);
	pr->run_s = now_seconds() - t0;
	for (int i = 0; i < n; i++)
		stats_add(&pr->t, &r[i], x->expect_title);
	run_free_results(r, n);
	free(r);
	return pr->t.interrupted ? EXIT_INTERRUPTED : 0;
}

/* A quilt dir holding copies of the first m patches of s. */
static int write_prefix_series(const struct series *s, int m, const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX * 2], *list = NULL;
	size_t len;
	FILE *f = open_memstream(&list, &len);
	int rc = mkdir_p(dir, 0755);

	for (int i = 0; i < m && !rc; i++) {
		size_t plen;
		char *text = read_file_limited(s->patches[i], 64u << 20, &plen);
		snprintf(path, sizeof(path), "%s/%04d.patch", dir, i + 1);
		rc = text ? write_file_atomic(path, text, plen) : -errno;
		fprintf(f, "%04d.patch\n", i + 1);
		free(text);
	}
	fclose(f);
	snprintf(path, sizeof(path), "%s/series", dir);
	if (!rc)
		rc = write_file_atomic(path, list, len);
	free(list);
	if (rc)
		snprintf(err, errlen, "cannot write the series prefix %s: %s", dir, strerror(-rc));
	return rc;
}

/* base + patches 1..m as one test point under dir/prefix-m. */
static int test_prefix(const struct point_ctx *x, const char *base, const struct series *s, int m,
		       const char *dir, enum point_verdict *v)
{
	struct point_result pr;
	const struct tally *t = &pr.t;
	char sdir[PATH_MAX], runs[PATH_MAX + 16], err[2048] = "", text[160];
	int rc;

	xsnprintf(sdir, sizeof(sdir), "%s/prefix-%d", dir, m);
	xsnprintf(runs, sizeof(runs), "%s/runs", sdir);
	if ((rc = write_prefix_series(s, m, sdir, err, sizeof(err))))
		return EXIT_UNTESTABLE;
	rc = bisect_test_point(x, base, sdir, runs, &pr, err, sizeof(err));
	*v = rc ? POINT_SKIP : stats_point(t);
	stats_tally_text(t, text, sizeof(text));
	fprintf(stderr, "[blame] patches 1..%d of %d: %s (%s)\n", m, s->npatches, stats_point_name(*v),
		rc ? err : text);
	return rc == EXIT_INTERRUPTED || rc == EXIT_USAGE ? rc : 0;
}

/* Skipped or flaky midpoints: try the other prefixes between lo and hi,
 * nearest to the middle first, before giving up. */
static int next_prefix(int lo, int hi, const bool *tried)
{
	int mid = (lo + hi) / 2;

	for (int d = 0; d < hi - lo; d++) {
		if (mid + d < hi && mid + d > lo && !tried[mid + d])
			return mid + d;
		if (mid - d > lo && mid - d < hi && !tried[mid - d])
			return mid - d;
	}
	return -1;
}

int bisect_series_blame(const struct point_ctx *x, const char *base, const struct series *s, const char *dir,
			struct blame_result *out)
{
	bool *tried = xcalloc((size_t)s->npatches + 1, sizeof(bool));
	int lo = 0, hi = s->npatches, rc = 0, m;

	memset(out, 0, sizeof(*out));
	while (hi - lo > 1 && (m = next_prefix(lo, hi, tried)) > 0) {
		enum point_verdict v;
		tried[m] = true;
		out->builds++;
		if ((rc = test_prefix(x, base, s, m, dir, &v)))
			break;
		if (v == POINT_BAD) {
			hi = m;
		} else if (v == POINT_GOOD) {
			lo = m;
		}
	}
	free(tried);
	out->lo = lo;
	out->hi = hi;
	if (!rc && hi - lo == 1) {
		out->first_bad = hi;
		const char *base_name = strrchr(s->patches[hi - 1], '/');
		snprintf(out->file, sizeof(out->file), "%s", base_name ? base_name + 1 : s->patches[hi - 1]);
		series_patch_subject(s->patches[hi - 1], out->subject, sizeof(out->subject));
	} else if (!rc) {
		snprintf(out->note, sizeof(out->note), "inconclusive: the first bad patch is one of %d..%d", lo + 1, hi);
	}
	return rc;
}

/* ---- the command ------------------------------------------------------------ */

static struct json_object *point_json(const char *what, const struct tally *t, enum point_verdict v)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "kernel", json_object_new_string(what));
	json_object_object_add(o, "verdict", json_object_new_string(stats_point_name(v)));
	json_object_object_add(o, "tally", stats_tally_json(t));
	return o;
}

static void write_blame_json(const char *dir, const char *base, const char *series, struct json_object *ends,
			     const struct blame_result *b, int code)
{
	struct json_object *o = json_object_new_object();
	char path[PATH_MAX + 32];

	json_object_object_add(o, "base", json_object_new_string(base));
	json_object_object_add(o, "series", json_object_new_string(series));
	json_object_object_add(o, "ends", ends);
	json_object_object_add(o, "first_bad_patch", json_object_new_int(b->first_bad));
	json_object_object_add(o, "candidates_from", json_object_new_int(b->lo + 1));
	json_object_object_add(o, "candidates_to", json_object_new_int(b->hi));
	json_object_object_add(o, "file", json_object_new_string(b->file));
	json_object_object_add(o, "subject", json_object_new_string(b->subject));
	json_object_object_add(o, "builds", json_object_new_int(b->builds));
	if (b->note[0])
		json_object_object_add(o, "note", json_object_new_string(b->note));
	json_object_object_add(o, "exit_code", json_object_new_int(code));
	xsnprintf(path, sizeof(path), "%s/bisect.json", dir);
	result_write_json(path, o);
	json_object_put(o);
}

/* Good base, bad head, or the search would name a wrong patch. */
static int check_ends(const struct point_ctx *x, const char *base, const char *series, const char *dir,
		      struct json_object *ends)
{
	const char *names[2] = { "base", "base+series" };
	enum point_verdict want[2] = { POINT_GOOD, POINT_BAD }, got;
	char sub[PATH_MAX + 32], err[2048], text[160];

	for (int i = 0; i < 2; i++) {
		struct point_result pr;
		const struct tally *t = &pr.t;
		xsnprintf(sub, sizeof(sub), "%s/%s", dir, i ? "head" : "base");
		int rc = bisect_test_point(x, base, i ? series : NULL, sub, &pr, err, sizeof(err));
		if (rc == EXIT_USAGE || rc == EXIT_INTERRUPTED)
			return rc;
		got = rc ? POINT_SKIP : stats_point(t);
		stats_tally_text(t, text, sizeof(text));
		fprintf(stderr, "[bisect] %s: %s (%s)\n", names[i], stats_point_name(got), rc ? err : text);
		json_object_array_add(ends, point_json(names[i], t, got));
		if (got != want[i]) {
			fprintf(stderr, "mmrepro: bisect: the %s must be %s but is %s; nothing to blame\n", names[i],
				stats_point_name(want[i]), stats_point_name(got));
			return EXIT_UNTESTABLE;
		}
	}
	return 0;
}

int bisect_series_command(const struct case_def *c, const char *base, const char *series,
			  const char *const *configs, int runs, int timeout_s, bool verbose, enum accel_mode accel,
			  const char *out, struct pool *pool)
{
	struct accel_state as;
	struct series s;
	struct blame_result b = { 0 };
	struct json_object *ends = json_object_new_array();
	char dir[PATH_MAX], err[2048];
	int rc;

	if (series_load(series, &s, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "%s", err);
	if (out)
		snprintf(dir, sizeof(dir), "%s", out);
	else
		run_default_out_dir(c->name, "bisect", dir, sizeof(dir));
	if (run_claim_out_dir(dir, false, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "%s", err);
	run_accel_init(&as, accel);
	struct point_ctx x = { .c = c, .configs = configs, .expect_title = "", .runs = runs, .timeout_s = timeout_s,
			       .signal_fd = console_signal_fd(), .verbose = verbose, .accel = &as, .pool = pool };
	rc = check_ends(&x, base, series, dir, ends);
	if (!rc)
		rc = bisect_series_blame(&x, base, &s, dir, &b);
	if (!rc && !b.first_bad)
		rc = EXIT_UNTESTABLE;
	write_blame_json(dir, base, series, ends, &b, rc);
	html_write_report(dir);
	if (b.first_bad)
		printf("first bad patch: [%d/%d] %s: %s (%d builds)\n", b.first_bad, s.npatches, b.file, b.subject,
		       b.builds + 2);
	else if (b.note[0])
		printf("%s\n", b.note);
	printf("results: %s\n", dir);
	series_free(&s);
	return rc;
}

/* ---- tree bisection ------------------------------------------------------- */

struct tree {
	struct tree_bisect_opts o;
	struct case_def c;
	struct point_ctx x;
	struct accel_state accel;
	char repo[PATH_MAX], wt[PATH_MAX + 16], dir[PATH_MAX];
	char good[48], bad[48], culprit[48];
	struct json_object *doc;      /* bisect.json, rewritten after every step */
	double p_bad;
	int nsteps;
	bool done, inconclusive;
};

/* git's stdout and exit status (stderr joins stdout: bisect talks there). */
static char *git_run(const struct tree *t, const char *where, int *status, const char *const *args)
{
	char out[PATH_MAX + 32], *argv[16] = { "git", "-C", (char *)where };
	int n = 3;
	char *text;

	for (; *args; args++) {
		if (n >= 15)
			die(EXIT_UNTESTABLE, "internal error: too many git arguments");
		argv[n++] = (char *)*args;
	}
	argv[n] = NULL;
	xsnprintf(out, sizeof(out), "%s/.git-output", t->dir);
	unlink(out);
	*status = run_cmd(argv, out, NULL);
	text = read_file_limited(out, 16u << 20, NULL);
	unlink(out);
	return text ? text : xstrdup("");
}

#define GIT(t, where, status, ...) git_run(t, where, status, (const char *const[]){ __VA_ARGS__, NULL })

/* Trimmed first line of a git command that must succeed, or "". */
static void git_line(const struct tree *t, const char *where, char *buf, size_t len, const char *const *args)
{
	int status;
	char *text = git_run(t, where, &status, args);

	snprintf(buf, len, "%.*s", status ? 0 : (int)strcspn(text, "\n"), text);
	free(text);
}

#define GIT_LINE(t, where, buf, ...) git_line(t, where, buf, sizeof(buf), (const char *const[]){ __VA_ARGS__, NULL })

static int resolve_rev(struct tree *t, const char *rev, char *sha, size_t len, const char *opt)
{
	char spec[300];

	snprintf(spec, sizeof(spec), "%s^{commit}", rev);
	git_line(t, t->repo, sha, len, (const char *const[]){ "rev-parse", "--verify", "-q", "--end-of-options", spec, NULL });
	if (strlen(sha) != 40) {
		fprintf(stderr, "mmrepro: %s %s: not a commit in %s\n", opt, rev, t->repo);
		return EXIT_USAGE;
	}
	return 0;
}

static int open_repo(struct tree *t)
{
	char spec[PATH_MAX], *at;

	if (kernel_spec_parse(t->o.kernel).kind != KERNEL_GIT) {
		fprintf(stderr, "mmrepro: bisect: --kernel %s: a tree bisection needs git:TREE\n", t->o.kernel);
		return EXIT_USAGE;
	}
	xsnprintf(spec, sizeof(spec), "%s", t->o.kernel + 4);
	if ((at = kernel_git_split(spec)))
		*at = '\0';
	if (!realpath(spec, t->repo)) {
		fprintf(stderr, "mmrepro: bisect: --kernel %s: %s: %s\n", t->o.kernel, spec, strerror(errno));
		return EXIT_USAGE;
	}
	return resolve_rev(t, t->o.good, t->good, sizeof(t->good), "--good") ||
	       resolve_rev(t, t->o.bad, t->bad, sizeof(t->bad), "--bad") ? EXIT_USAGE : 0;
}

static void save_doc(struct tree *t)
{
	char path[PATH_MAX + 32];
	int status = 1;
	char *log = t->wt[0] ? GIT(t, t->wt, &status, "bisect", "log") : NULL;

	if (!status) {
		xsnprintf(path, sizeof(path), "%s/bisect.log", t->dir);
		write_file_atomic(path, log, strlen(log));
	}
	free(log);
	xsnprintf(path, sizeof(path), "%s/bisect.json", t->dir);
	result_write_json(path, t->doc);
}

/* One commit as a test point: its verdict ("skip" when it cannot be had). */
static enum point_verdict test_commit(struct tree *t, const char *sha, const char *label, int runs,
				      struct point_result *pr, struct json_object *into)
{
	char spec[PATH_MAX + 64], sub[PATH_MAX + 64], err[2048] = "", subject[256], text[160];
	struct point_ctx x = t->x;
	enum point_verdict v;
	int rc;

	x.runs = runs;
	xsnprintf(spec, sizeof(spec), "git:%s@%s", t->repo, sha);
	xsnprintf(sub, sizeof(sub), "%s/%s-%.12s", t->dir, label, sha);
	rc = bisect_test_point(&x, spec, t->o.series, sub, pr, err, sizeof(err));
	v = rc ? POINT_SKIP : stats_point(&pr->t);
	bool stopped = rc == EXIT_INTERRUPTED || pr->t.interrupted;
	GIT_LINE(t, t->repo, subject, "log", "-1", "--format=%s", sha);
	stats_tally_text(&pr->t, text, sizeof(text));
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "commit", json_object_new_string(sha));
	json_object_object_add(o, "subject", json_object_new_string(subject));
	json_object_object_add(o, "verdict", json_object_new_string(stopped ? "interrupted" : stats_point_name(v)));
	json_object_object_add(o, "hits", json_object_new_int(pr->t.hits));
	json_object_object_add(o, "valid", json_object_new_int(stats_valid(&pr->t)));
	json_object_object_add(o, "tally", stats_tally_json(&pr->t));
	json_object_object_add(o, "build_seconds", json_object_new_double(pr->build_s));
	json_object_object_add(o, "run_seconds", json_object_new_double(pr->run_s));
	if (rc)
		json_object_object_add(o, "skip_reason", json_object_new_string(err));
	if (json_object_is_type(into, json_type_array))
		json_object_array_add(into, o);
	else
		json_object_object_add(into, label, o);
	fprintf(stderr, "[bisect] %-8s %.12s %-50.50s %d/%d hits  %-4s build %.0fs run %.0fs%s%s\n", label, sha, subject,
		pr->t.hits, stats_valid(&pr->t), stats_point_name(v), pr->build_s, pr->run_s, rc ? "  " : "",
		rc ? err : "");
	return stopped ? (enum point_verdict)-1 : v;
}

/* Bad must be bad and good good, or the search would name a wrong commit.
 * A bug that hits in under half the runs at the bad end raises the runs. */
static int check_tree_ends(struct tree *t)
{
	struct json_object *ends = json_object_new_object();
	struct point_result pr;
	enum point_verdict v;

	json_object_object_add(t->doc, "ends", ends);
	v = test_commit(t, t->bad, "bad-end", t->x.runs, &pr, ends);
	if ((int)v < 0)
		return EXIT_INTERRUPTED;
	t->p_bad = stats_valid(&pr.t) ? (double)pr.t.hits / stats_valid(&pr.t) : 0;
	if (v == POINT_BAD && t->p_bad < 0.5 && t->x.runs < 4 * t->o.runs) {
		t->x.runs = 4 * t->o.runs;
		fprintf(stderr, "mmrepro: bisect: the bad end hit %d of %d runs; %d runs per step from now on\n",
			pr.t.hits, stats_valid(&pr.t), t->x.runs);
	}
	json_object_object_add(t->doc, "runs_per_step", json_object_new_int(t->x.runs));
	if (v != POINT_BAD) {
		fprintf(stderr, "mmrepro: bisect: --bad %s is not bad (%s): nothing to bisect\n", t->o.bad, stats_point_name(v));
		return EXIT_UNTESTABLE;
	}
	v = test_commit(t, t->good, "good-end", t->x.runs, &pr, ends);
	if ((int)v < 0)
		return EXIT_INTERRUPTED;
	if (v != POINT_GOOD) {
		fprintf(stderr, "mmrepro: bisect: --good %s is not good (%s): nothing to bisect\n", t->o.good,
			stats_point_name(v));
		return EXIT_UNTESTABLE;
	}
	return 0;
}

/* What `git bisect` said: the culprit, the candidates it cannot split,
 * or how many steps are left. */
static void read_bisect_output(struct tree *t, const char *text)
{
	const char *first = strstr(text, " is the first bad commit");
	const char *any = strstr(text, "could be any of:");
	const char *rough = strstr(text, "(roughly ");

	if (first && first - text >= 40) {
		snprintf(t->culprit, sizeof(t->culprit), "%.40s", first - 40);
		t->done = true;
	} else if (any) {
		struct json_object *c = json_object_new_array();
		for (const char *p = strchr(any, '\n'); p && strlen(p + 1) >= 40; p = strchr(p + 1, '\n'))
			if (strspn(p + 1, "0123456789abcdef") >= 40)
				json_object_array_add(c, json_object_new_string_len(p + 1, 40));
		json_object_object_add(t->doc, "candidates", c);
		t->done = t->inconclusive = true;
	} else if (rough) {
		fprintf(stderr, "[bisect] %.*s\n", (int)strcspn(rough, ")\n") + 1, rough);
	}
}

static int start_git_bisect(struct tree *t)
{
	int status;
	char *out;

	xsnprintf(t->wt, sizeof(t->wt), "%s/worktree", t->dir);
	out = GIT(t, t->repo, &status, "worktree", "add", "-f", "--no-checkout", "--detach", t->wt, t->bad);
	free(out);
	if (status) {
		fprintf(stderr, "mmrepro: bisect: cannot add a worktree of %s at %s\n", t->repo, t->wt);
		return EXIT_UNTESTABLE;
	}
	out = GIT(t, t->wt, &status, "bisect", "start", "--no-checkout", t->bad, t->good);
	if (!status)
		read_bisect_output(t, out);
	free(out);
	return status ? EXIT_UNTESTABLE : 0;
}

static int bisect_steps(struct tree *t, struct json_object *steps, struct json_object *good_valid)
{
	while (!t->done) {
		char sha[48], step[32];
		struct point_result pr;
		int status;

		GIT_LINE(t, t->wt, sha, "rev-parse", "BISECT_HEAD");
		snprintf(step, sizeof(step), "step-%d", ++t->nsteps);
		enum point_verdict v = test_commit(t, sha, step, t->x.runs, &pr, steps);
		if ((int)v < 0) {
			save_doc(t);
			return EXIT_INTERRUPTED;
		}
		if (v == POINT_GOOD)
			json_object_array_add(good_valid, json_object_new_int(stats_valid(&pr.t)));
		char *out = GIT(t, t->wt, &status, "bisect", v == POINT_BAD ? "bad" : v == POINT_GOOD ? "good" : "skip", sha);
		read_bisect_output(t, out);
		free(out);
		save_doc(t);
		if (status && !t->done) {
			fprintf(stderr, "mmrepro: bisect: git bisect failed at %s\n", sha);
			return EXIT_UNTESTABLE;
		}
	}
	return 0;
}

static bool same_file(const char *a, const char *b)
{
	size_t la, lb;
	char *x = read_file_limited(a, 256u << 20, &la), *y = read_file_limited(b, 256u << 20, &lb);
	bool same = x && y && la == lb && !memcmp(x, y, la);

	free(x);
	free(y);
	return same;
}

/* The culprit's revert as a one-patch series: the diff back to its parent. */
static int write_revert(struct tree *t, char *series_dir, size_t len)
{
	char path[PATH_MAX + 64], parent[64];
	int status;

	snprintf(parent, sizeof(parent), "%s^", t->culprit);
	char *diff = GIT(t, t->repo, &status, "diff", "--no-color", "--no-ext-diff", t->culprit, parent);
	xsnprintf(series_dir, len, "%s/revert", t->dir);
	mkdir_p(series_dir, 0755);
	xsnprintf(path, sizeof(path), "%s/0001-revert.patch", series_dir);
	if (!status && *diff)
		write_file_atomic(path, diff, strlen(diff));
	xsnprintf(path, sizeof(path), "%s/series", series_dir);
	write_file_atomic(path, "0001-revert.patch\n", 18);
	bool empty = !*diff;
	free(diff);
	return status || empty ? -1 : 0;
}

/* The bad end with the culprit reverted (skipped when a series is applied
 * on top: the revert would have to go under it). */
static enum point_verdict check_revert(struct tree *t, struct json_object *checks)
{
	char revert_dir[PATH_MAX + 16], spec[PATH_MAX + 64], sub[PATH_MAX + 32], err[2048];
	struct point_result rv;
	struct point_ctx x = t->x;
	struct json_object *o;
	int rc;

	if (t->o.series || write_revert(t, revert_dir, sizeof(revert_dir)) < 0)
		return POINT_SKIP;
	x.runs = 2 * t->x.runs;
	xsnprintf(spec, sizeof(spec), "git:%s@%s", t->repo, t->bad);
	xsnprintf(sub, sizeof(sub), "%s/revert-runs", t->dir);
	rc = bisect_test_point(&x, spec, revert_dir, sub, &rv, err, sizeof(err));
	o = json_object_new_object();
	json_object_object_add(o, "verdict", json_object_new_string(rc ? "skip" : stats_point_name(stats_point(&rv.t))));
	if (rc)
		json_object_object_add(o, "reason", json_object_new_string(err));
	json_object_object_add(o, "tally", stats_tally_json(&rv.t));
	json_object_object_add(checks, "revert", o);
	return rc ? POINT_SKIP : stats_point(&rv.t);
}

/* KernelCI's three checks: the culprit bad, its parent good, and the bad
 * end with the culprit reverted good, each with twice the runs. */
static int check_culprit(struct tree *t, struct json_object *flags)
{
	struct json_object *checks = json_object_new_object();
	struct point_result culprit, parent;
	char parent_sha[48], parent_rev[64];
	enum point_verdict v[3];

	json_object_object_add(t->doc, "checks", checks);
	snprintf(parent_rev, sizeof(parent_rev), "%s^", t->culprit);
	GIT_LINE(t, t->repo, parent_sha, "rev-parse", "--verify", "-q", parent_rev);
	v[0] = test_commit(t, t->culprit, "culprit", 2 * t->x.runs, &culprit, checks);
	v[1] = parent_sha[0] ? test_commit(t, parent_sha, "parent", 2 * t->x.runs, &parent, checks) : POINT_SKIP;
	if ((int)v[0] < 0 || (int)v[1] < 0)
		return EXIT_INTERRUPTED;
	if (v[0] == POINT_BAD && v[1] == POINT_GOOD && same_file(culprit.bzimage, parent.bzimage))
		json_object_array_add(flags, json_object_new_string("the culprit's bzImage is identical to its parent's"));
	v[2] = check_revert(t, checks);
	printf("culprit %s, parent %s, bad end with the culprit reverted %s\n", stats_point_name(v[0]),
	       stats_point_name(v[1]), stats_point_name(v[2]));
	if (v[0] != POINT_BAD || v[1] != POINT_GOOD)
		json_object_array_add(flags, json_object_new_string("the culprit or its parent did not hold on rerun"));
	return 0;
}

static void describe_culprit(struct tree *t, struct json_object *flags)
{
	struct json_object *c = json_object_new_object(), *checks, *v, *tally, *title;
	char subject[256], author[256], date[64], parents[200];

	GIT_LINE(t, t->repo, subject, "log", "-1", "--format=%s", t->culprit);
	GIT_LINE(t, t->repo, author, "log", "-1", "--format=%an <%ae>", t->culprit);
	GIT_LINE(t, t->repo, date, "log", "-1", "--format=%aI", t->culprit);
	GIT_LINE(t, t->repo, parents, "rev-list", "--parents", "-n", "1", t->culprit);
	json_object_object_add(c, "commit", json_object_new_string(t->culprit));
	json_object_object_add(c, "subject", json_object_new_string(subject));
	json_object_object_add(c, "author", json_object_new_string(author));
	json_object_object_add(c, "date", json_object_new_string(date));
	if (json_object_object_get_ex(t->doc, "checks", &checks) && json_object_object_get_ex(checks, "culprit", &v) &&
	    json_object_object_get_ex(v, "tally", &tally) && json_object_object_get_ex(tally, "hit_title", &title))
		json_object_object_add(c, "title", json_object_get(title));
	json_object_object_add(t->doc, "culprit", c);
	if (strlen(parents) > 2 * 41)
		json_object_array_add(flags, json_object_new_string("the culprit is a merge commit"));
	printf("\nfirst bad commit: %.12s %s\n    Author: %s\n    Date:   %s\n", t->culprit, subject, author, date);
}

/* From the bad end's hit rate p: the chance that no good step was a bad
 * commit whose runs all happened to miss. */
static double confidence(const struct tree *t, struct json_object *good_valid)
{
	size_t n = json_object_array_length(good_valid);
	int *valid = xcalloc(n + 1, sizeof(int));
	double c;

	for (size_t i = 0; i < n; i++)
		valid[i] = json_object_get_int(json_object_array_get_idx(good_valid, i));
	c = stats_bisect_confidence(t->p_bad, valid, (int)n);
	free(valid);
	return c;
}

static void end_git_bisect(struct tree *t)
{
	int status;

	free(GIT(t, t->wt, &status, "bisect", "reset"));
	free(GIT(t, t->repo, &status, "worktree", "remove", "--force", t->wt));
}

static int finish_tree(struct tree *t, struct json_object *good_valid)
{
	struct json_object *flags = json_object_new_array();
	int rc = 0;

	json_object_object_add(t->doc, "flags", flags);
	if (t->inconclusive) {
		json_object_array_add(flags, json_object_new_string("inconclusive: only skipped commits left"));
		printf("\ninconclusive: the first bad commit is one of the candidates in bisect.json\n");
	} else {
		rc = check_culprit(t, flags);
		describe_culprit(t, flags);
	}
	double conf = confidence(t, good_valid);
	json_object_object_add(t->doc, "confidence", json_object_new_double(conf));
	if (conf < 0.9)
		json_object_array_add(flags, json_object_new_string("confidence under 0.9"));
	printf("confidence %.3f (bad end hit rate %.2f)\n", conf, t->p_bad);
	for (size_t i = 0; i < json_object_array_length(flags); i++)
		printf("flag: %s\n", json_object_get_string(json_object_array_get_idx(flags, i)));
	if (!rc && t->inconclusive)
		rc = EXIT_UNTESTABLE;
	return rc;
}

static const char *doc_str(struct json_object *doc, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(doc, key, &v) ? json_object_get_string(v) : NULL;
}

/* --resume DIR: the options, the steps so far and the case come back from
 * DIR/bisect.json; git's state from DIR/bisect.log (git bisect replay). */
static int load_resume(struct tree *t)
{
	char path[PATH_MAX + 32], err[1024], casefile[PATH_MAX];
	char *text;
	struct json_object *v;

	snprintf(t->dir, sizeof(t->dir), "%s", t->o.resume);
	xsnprintf(path, sizeof(path), "%s/bisect.json", t->dir);
	text = read_file_limited(path, 64u << 20, NULL);
	t->doc = text ? json_tokener_parse(text) : NULL;
	free(text);
	if (!t->doc || !doc_str(t->doc, "case") || !doc_str(t->doc, "kernel") || !doc_str(t->doc, "good") ||
	    !doc_str(t->doc, "bad")) {
		fprintf(stderr, "mmrepro: --resume %s: no readable bisect.json of a tree bisection there\n", t->dir);
		return EXIT_USAGE;
	}
	/* case_load reads it as a regular file of at most 1 MiB: bisect.json
	 * may name /dev/zero or a FIFO. */
	if (case_path(doc_str(t->doc, "case"), casefile, sizeof(casefile)) < 0) {
		fprintf(stderr, "mmrepro: --resume %s: bisect.json names case '%s', which does not exist\n", t->dir,
			doc_str(t->doc, "case"));
		return EXIT_USAGE;
	}
	if (case_load(casefile, &t->c, err, sizeof(err)) < 0) {
		fprintf(stderr, "mmrepro: --resume %s: bisect.json's case: %s\n", t->dir, err);
		return EXIT_USAGE;
	}
	/* The flavour the bisection began in (--flavor, or the case's). */
	if (doc_str(t->doc, "flavor")) {
		if (!flavor_find(doc_str(t->doc, "flavor"))) {
			fprintf(stderr, "mmrepro: --resume %s: bisect.json names an unknown flavour '%s'\n", t->dir,
				doc_str(t->doc, "flavor"));
			return EXIT_USAGE;
		}
		case_force_flavor(&t->c, doc_str(t->doc, "flavor"));
	}
	t->o.c = &t->c;
	t->o.kernel = doc_str(t->doc, "kernel");
	t->o.good = doc_str(t->doc, "good");
	t->o.bad = doc_str(t->doc, "bad");
	t->o.series = doc_str(t->doc, "series");
	if (json_object_object_get_ex(t->doc, "runs", &v))
		t->o.runs = json_object_get_int(v);
	if (json_object_object_get_ex(t->doc, "p_bad", &v))
		t->p_bad = json_object_get_double(v);
	return 0;
}

static void new_doc(struct tree *t)
{
	t->doc = json_object_new_object();
	json_object_object_add(t->doc, "case", json_object_new_string(t->c.name));
	json_object_object_add(t->doc, "kernel", json_object_new_string(t->o.kernel));
	json_object_object_add(t->doc, "repo", json_object_new_string(t->repo));
	json_object_object_add(t->doc, "good", json_object_new_string(t->good));
	json_object_object_add(t->doc, "bad", json_object_new_string(t->bad));
	if (t->o.series)
		json_object_object_add(t->doc, "series", json_object_new_string(t->o.series));
	if (t->c.flavor[0])
		json_object_object_add(t->doc, "flavor", json_object_new_string(t->c.flavor));
	json_object_object_add(t->doc, "runs", json_object_new_int(t->o.runs));
	json_object_object_add(t->doc, "steps", json_object_new_array());
	json_object_object_add(t->doc, "good_step_valid_runs", json_object_new_array());
}

/* A new bisection: both ends checked, then git bisect started; a resumed
 * one: git's state replayed from bisect.log (which also says whether it
 * had already ended). */
static int begin(struct tree *t)
{
	char log[PATH_MAX + 32];
	int status, rc;

	if (!t->o.resume) {
		new_doc(t);
		if ((rc = check_tree_ends(t)))
			return rc;
		json_object_object_add(t->doc, "p_bad", json_object_new_double(t->p_bad));
		return start_git_bisect(t);
	}
	xsnprintf(t->wt, sizeof(t->wt), "%s/worktree", t->dir);
	free(GIT(t, t->repo, &status, "worktree", "remove", "--force", t->wt));
	free(GIT(t, t->repo, &status, "worktree", "prune"));
	free(GIT(t, t->repo, &status, "worktree", "add", "-f", "--no-checkout", "--detach", t->wt, t->bad));
	xsnprintf(log, sizeof(log), "%s/bisect.log", t->dir);
	char *out = GIT(t, t->wt, &status, "bisect", "replay", log);
	if (status) {
		fprintf(stderr, "mmrepro: --resume %s: git bisect replay failed:\n%s", t->dir, out);
		free(out);
		return EXIT_UNTESTABLE;
	}
	read_bisect_output(t, out);
	free(out);
	return 0;
}

/* A finished bisection resumed: say what it found, build and run nothing. */
static int already_done(struct tree *t)
{
	struct json_object *c, *v;

	if (!json_object_object_get_ex(t->doc, "culprit", &c) || !json_object_object_get_ex(c, "commit", &v))
		return -1;
	printf("first bad commit: %s %s (from %s/bisect.json)\n", json_object_get_string(v),
	       doc_str(c, "subject") ? doc_str(c, "subject") : "", t->dir);
	return 0;
}

static int setup_tree(struct tree *t, const struct tree_bisect_opts *o)
{
	char err[1024];
	struct json_object *v;
	int rc;

	t->o = *o;
	if (o->resume && (rc = load_resume(t)))
		return rc;
	if (!o->resume)
		t->c = *o->c;
	if ((rc = open_repo(t)))
		return rc;
	if (!o->resume && o->out)
		snprintf(t->dir, sizeof(t->dir), "%s", o->out);
	else if (!o->resume)
		run_default_out_dir(t->c.name, "bisect", t->dir, sizeof(t->dir));
	if (run_claim_out_dir(t->dir, o->resume != NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "mmrepro: %s\n", err);
		return EXIT_USAGE;
	}
	run_accel_init(&t->accel, o->accel);
	t->x = (struct point_ctx){ .c = &t->c, .configs = o->configs, .expect_title = "", .runs = t->o.runs,
				   .timeout_s = o->timeout_s, .signal_fd = console_signal_fd(), .verbose = o->verbose,
				   .accel = &t->accel, .pool = o->pool };
	if (o->resume && json_object_object_get_ex(t->doc, "runs_per_step", &v))
		t->x.runs = json_object_get_int(v);
	return 0;
}

int bisect_tree_command(const struct tree_bisect_opts *o)
{
	struct tree *t = xcalloc(1, sizeof(*t));
	struct json_object *steps, *good_valid;
	int rc = setup_tree(t, o);

	if (!rc && o->resume && already_done(t) == 0) {
		json_object_put(t->doc);
		free(t);
		return 0;
	}
	if (!rc)
		rc = begin(t);
	if (t->doc && !rc) {
		json_object_object_get_ex(t->doc, "steps", &steps);
		json_object_object_get_ex(t->doc, "good_step_valid_runs", &good_valid);
		rc = bisect_steps(t, steps, good_valid);
		if (!rc)
			rc = finish_tree(t, good_valid);
	}
	if (t->doc) {
		json_object_object_add(t->doc, "exit_code", json_object_new_int(rc));
		save_doc(t);
		html_write_report(t->dir);
		json_object_put(t->doc);
	}
	if (t->wt[0] && rc != EXIT_INTERRUPTED)
		end_git_bisect(t);
	if (t->dir[0])
		printf("results: %s\n", t->dir);
	free(t);
	return rc;
}
