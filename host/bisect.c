/* Tree bisection: `git bisect` picks the commits, each a test point. */
#include "bisect.h"
#include "build.h"
#include "console.h"
#include "flavor.h"
#include "html.h"
#include "json_read.h"
#include "run.h"
#include "title.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- tree bisection ------------------------------------------------------- */

struct tree {
	struct bisect_opts o;
	const char **frags;
	struct case_def c;
	struct point_ctx x;
	struct accel_state accel;
	char repo[PATH_MAX], wt[PATH_MAX + 16], dir[PATH_MAX];
	char good[48], bad[48], culprit[48];
	const char *resume_configs[BUILD_MAX_CONFIGS]; /* --resume: the --config fragments it began with */
	struct json_object *doc;      /* bisect.json, rewritten after every step */
	double p_bad, runs_per_step;
	char bad_title[256];          /* what the bad end hit */
	int nsteps;
	bool done, inconclusive;
};

/* A fix bisection's terms are git's --term-old/--term-new: the culprit is
 * the first "fixed" commit. The hitting end is t->bad either way. */
static const char *term_of(const struct tree *t, enum point_verdict v)
{
	if (v == POINT_SKIP)
		return "skip";
	if (t->o.fix)
		return v == POINT_BAD ? "broken" : "fixed";
	return v == POINT_BAD ? "bad" : "good";
}

/* What the culprit must be: like the new end. */
static enum point_verdict new_verdict(const struct tree *t)
{
	return t->o.fix ? POINT_GOOD : POINT_BAD;
}

static enum point_verdict old_verdict(const struct tree *t)
{
	return t->o.fix ? POINT_BAD : POINT_GOOD;
}

static const char *new_end(const struct tree *t)
{
	return t->o.fix ? t->good : t->bad;
}

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

	/* Cut short, a revision could name another commit ("x~1~1" as "x~"). */
	if (snprintf(spec, sizeof(spec), "%s^{commit}", rev) >= (int)sizeof(spec)) {
		fprintf(stderr, "mmrepro: %s %.40s...: longer than %zu characters\n", opt, rev, sizeof(spec) - 10);
		return EXIT_USAGE;
	}
	git_line(t, t->repo, sha, len, (const char *const[]){ "rev-parse", "--verify", "-q", "--end-of-options", spec, NULL });
	if (strlen(sha) != 40) {
		fprintf(stderr, "mmrepro: %s %s: not a commit in %s\n", opt, rev, t->repo);
		return EXIT_USAGE;
	}
	return 0;
}

/* The old end must come before the new one: the same commit, or a new
 * end that is an ancestor of the old one, leaves nothing to search. */
static int check_direction(struct tree *t)
{
	const char *old = t->o.fix ? t->bad : t->good, *new = new_end(t);
	const char *old_opt = t->o.fix ? "--broken" : "--good", *new_opt = t->o.fix ? "--fixed" : "--bad";
	const char *old_rev = t->o.fix ? t->o.bad : t->o.good, *new_rev = t->o.fix ? t->o.good : t->o.bad;
	int status;

	if (!strcmp(old, new)) {
		fprintf(stderr, "mmrepro: bisect: %s %s and %s %s are the same commit %.12s\n", old_opt, old_rev, new_opt,
			new_rev, old);
		return EXIT_USAGE;
	}
	free(GIT(t, t->repo, &status, "merge-base", "--is-ancestor", new, old));
	if (status == 0) {
		fprintf(stderr, "mmrepro: bisect: %s %s is an ancestor of %s %s: %s must name the older end\n", new_opt,
			new_rev, old_opt, old_rev, old_opt);
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
	if (resolve_rev(t, t->o.good, t->good, sizeof(t->good), t->o.fix ? "--fixed" : "--good") ||
	    resolve_rev(t, t->o.bad, t->bad, sizeof(t->bad), t->o.fix ? "--broken" : "--bad"))
		return EXIT_USAGE;
	/* A resumed bisection's ends were checked when it began. */
	return t->o.resume ? 0 : check_direction(t);
}

/* bisect.log and bisect.json after every step. A bisection whose state
 * cannot be kept (a full disk) cannot be trusted or resumed: -1, said. */
static int save_doc(struct tree *t)
{
	char path[PATH_MAX + 32];
	int status = 1, rc = 0;
	char *log = t->wt[0] ? GIT(t, t->wt, &status, "bisect", "log") : NULL;

	if (!status) {
		xsnprintf(path, sizeof(path), "%s/bisect.log", t->dir);
		rc = write_file_atomic(path, log, strlen(log));
	}
	free(log);
	if (!rc) {
		xsnprintf(path, sizeof(path), "%s/bisect.json", t->dir);
		rc = result_write_json(path, t->doc);
	}
	if (rc < 0)
		fprintf(stderr, "mmrepro: bisect: cannot write %s: %s\n", path, strerror(-rc));
	return rc < 0 ? -1 : 0;
}

/* One line per point; a crash other than the bisected one is named, so a
 * step that saw a different bug says so. */
static void step_line(const struct tree *t, const char *label, const char *sha, const char *subject,
		      const struct point_result *pr, enum point_verdict v)
{
	char titles[600] = "";
	bool other_hit = t->bad_title[0] && pr->t.hit_title[0] && strcmp(t->bad_title, pr->t.hit_title);

	if (pr->t.other_crash)
		snprintf(titles, sizeof(titles), "  other crash: %.250s", pr->t.other_title);
	if (other_hit)
		snprintf(titles + strlen(titles), sizeof(titles) - strlen(titles), "  hit a different title: %.250s",
			 pr->t.hit_title);
	fprintf(stderr, "[bisect] %-8s %.12s %-50.50s %d/%d hits  %-6s build %.0fs run %.0fs%s%s%s\n", label, sha,
		subject, pr->t.hits, stats_valid(&pr->t), term_of(t, v), pr->build_s, pr->run_s,
		v == POINT_SKIP ? "  " : "", v == POINT_SKIP ? pr->why : "", titles);
}

/* One commit as a test point: its verdict ("skip" when it cannot be had). */
static enum point_verdict test_commit(struct tree *t, const char *sha, const char *label, int runs,
				      struct point_result *pr, struct json_object *into)
{
	char spec[PATH_MAX + 64], sub[PATH_MAX + 64], err[2048] = "", subject[256], text[160];
	struct point_ctx x = t->x;
	enum point_verdict v;
	int rc;

	if (x.runs)
		x.runs = runs;
	xsnprintf(spec, sizeof(spec), "git:%s@%s", t->repo, sha);
	xsnprintf(sub, sizeof(sub), "%s/%s-%.12s", t->dir, label, sha);
	rc = point_test(&x, spec, t->o.series, sub, pr, err, sizeof(err));
	v = pr->verdict;
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
	json_object_object_add(o, "term", json_object_new_string(term_of(t, v)));
	if (v == POINT_SKIP)
		json_object_object_add(o, "skip_reason", json_object_new_string(pr->why));
	if (json_object_is_type(into, json_type_array))
		json_object_array_add(into, o);
	else
		json_object_object_add(into, label, o);
	step_line(t, label, sha, subject, pr, v);
	return stopped ? (enum point_verdict)-1 : v;
}

static int end_failed(const struct tree *t, bool hitting_end, enum point_verdict v)
{
	const char *opt = t->o.fix ? (hitting_end ? "--broken" : "--fixed") : (hitting_end ? "--bad" : "--good");
	const char *rev = hitting_end ? t->o.bad : t->o.good;

	fprintf(stderr, "mmrepro: bisect: %s %s is not %s (%s): nothing to bisect\n", opt, rev,
		hitting_end ? term_of(t, POINT_BAD) : term_of(t, POINT_GOOD), term_of(t, v));
	return EXIT_UNTESTABLE;
}

/* The hitting end must hit and the clean end be clean, or the search
 * would name a wrong commit. With fixed runs, a bug that hits in under
 * half the runs at the hitting end raises the runs; with --runs auto its
 * rate is what later points test for. */
static int check_tree_ends(struct tree *t)
{
	struct json_object *ends = json_object_new_object();
	struct point_result pr;
	enum point_verdict v;

	json_object_object_add(t->doc, "ends", ends);
	v = test_commit(t, t->bad, t->o.fix ? "broken-end" : "bad-end", t->x.runs, &pr, ends);
	if ((int)v < 0)
		return EXIT_INTERRUPTED;
	point_learn_rate(&t->x, &pr.t);
	t->p_bad = t->x.runs ? (stats_valid(&pr.t) ? (double)pr.t.hits / stats_valid(&pr.t) : 0) : t->x.seq.p_bad;
	snprintf(t->bad_title, sizeof(t->bad_title), "%s", pr.t.hit_title);
	if (t->x.runs && v == POINT_BAD && t->p_bad < 0.5 && t->x.runs < 4 * t->o.runs) {
		t->x.runs = 4 * t->o.runs;
		fprintf(stderr, "mmrepro: bisect: the %s end hit %d of %d runs; %d runs per step from now on\n",
			term_of(t, POINT_BAD), pr.t.hits, stats_valid(&pr.t), t->x.runs);
	}
	if (t->x.runs)
		json_object_object_add(t->doc, "runs_per_step", json_object_new_int(t->x.runs));
	json_object_object_add(t->doc, "bad_title", json_object_new_string(t->bad_title));
	if (v != POINT_BAD)
		return end_failed(t, true, v);
	v = test_commit(t, t->good, t->o.fix ? "fixed-end" : "good-end", t->x.runs, &pr, ends);
	if ((int)v < 0)
		return EXIT_INTERRUPTED;
	return v == POINT_GOOD ? 0 : end_failed(t, false, v);
}

/* What `git bisect` said: the culprit, the candidates it cannot split,
 * or how many steps are left. */
static void read_bisect_output(struct tree *t, const char *text)
{
	const char *first = strstr(text, t->o.fix ? " is the first fixed commit" : " is the first bad commit");
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
	if (t->o.fix)
		out = GIT(t, t->wt, &status, "bisect", "start", "--term-old=broken", "--term-new=fixed", "--no-checkout",
			  t->good, t->bad);
	else
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
		char *out = GIT(t, t->wt, &status, "bisect", term_of(t, v), sha);
		read_bisect_output(t, out);
		free(out);
		if (save_doc(t) < 0)
			return EXIT_UNTESTABLE;
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
	xsnprintf(spec, sizeof(spec), "git:%s@%s", t->repo, new_end(t));
	xsnprintf(sub, sizeof(sub), "%s/revert-runs", t->dir);
	rc = point_test(&x, spec, revert_dir, sub, &rv, err, sizeof(err));
	o = json_object_new_object();
	json_object_object_add(o, "verdict", json_object_new_string(stats_point_name(rv.verdict)));
	json_object_object_add(o, "term", json_object_new_string(term_of(t, rv.verdict)));
	if (rv.verdict == POINT_SKIP)
		json_object_object_add(o, "reason", json_object_new_string(rv.why));
	json_object_object_add(o, "tally", stats_tally_json(&rv.t));
	json_object_object_add(o, "build_seconds", json_object_new_double(rv.build_s));
	json_object_object_add(o, "run_seconds", json_object_new_double(rv.run_s));
	json_object_object_add(checks, "revert", o);
	return rc == EXIT_INTERRUPTED ? (enum point_verdict)-1 : rv.verdict;
}

/* KernelCI's three checks: the culprit like the new end, its parent like
 * the old one, and the new end with the culprit reverted like the old one
 * again, each with twice the runs (or decided anew). */
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
	if (v[0] == new_verdict(t) && v[1] == old_verdict(t) && same_file(culprit.image, parent.image))
		json_object_array_add(flags, json_object_new_string("the culprit's bzImage is identical to its parent's"));
	if ((int)(v[2] = check_revert(t, checks)) < 0)
		return EXIT_INTERRUPTED;
	printf("culprit %s, parent %s, %s end with the culprit reverted %s\n", term_of(t, v[0]), term_of(t, v[1]),
	       term_of(t, new_verdict(t)), term_of(t, v[2]));
	if (v[0] != new_verdict(t) || v[1] != old_verdict(t))
		json_object_array_add(flags, json_object_new_string("the culprit or its parent did not hold on rerun"));
	if (v[2] != old_verdict(t) && v[2] != POINT_SKIP)
		json_object_array_add(flags, json_object_new_string("reverting the culprit did not undo it"));
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
	json_object_object_add(c, "role", json_object_new_string(t->o.fix ? "fix" : "bug"));
	printf("\n%s: %.12s %s\n    Author: %s\n    Date:   %s\n", t->o.fix ? "fixed by (first fixed commit)" : "first bad commit",
	       t->culprit, subject, author, date);
}

/* From the bad end's hit rate p: the chance that no good step was a bad
 * commit whose runs all happened to miss. */
#define CONFIDENCE_METHOD \
	"the product, over the steps judged clean, of 1 - (1 - p)^n, n being the step's valid runs and p the " \
	"hitting end's hit rate (with --runs auto, (hits + 1) / (valid + 2)); steps that hit are taken as right, " \
	"since a bug's title does not appear on a kernel without it"
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
	json_object_object_add(t->doc, "confidence_method", json_object_new_string(CONFIDENCE_METHOD));
	if (conf < 0.9)
		json_object_array_add(flags, json_object_new_string("confidence under 0.9"));
	printf("confidence %.3f that the culprit is right (%s end hit rate %.2f): %s\n", conf, term_of(t, POINT_BAD),
	       t->p_bad, CONFIDENCE_METHOD);
	for (size_t i = 0; i < json_object_array_length(flags); i++)
		printf("flag: %s\n", json_object_get_string(json_object_array_get_idx(flags, i)));
	if (!rc && t->inconclusive)
		rc = EXIT_UNTESTABLE;
	return rc;
}

/* A string of bisect.json, NULL when absent or anything else (another
 * type, or a string with a NUL in it that C would cut short). */
static const char *doc_str(struct json_object *doc, const char *key)
{
	const char *s = jstring(doc, key);

	return s && strlen(s) == (size_t)json_object_get_string_len(jget(doc, key)) ? s : NULL;
}

/* Every key --resume reads as text is absent or such a string: a number
 * or an array is not silently read as its JSON text. */
static int check_doc_strings(const struct tree *t)
{
	static const char *const keys[] = { "case", "case_file", "title", "kernel", "good", "bad", "series", "flavor",
					    "mode", "bad_title" };
	struct json_object *v;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_object_get_ex(t->doc, keys[i], &v) && !doc_str(t->doc, keys[i])) {
			fprintf(stderr, "mmrepro: --resume %s: bisect.json's %s is not a string%s\n", t->dir, keys[i],
				json_object_is_type(v, json_type_string) ? " without NUL bytes" : "");
			return EXIT_USAGE;
		}
	if (doc_str(t->doc, "mode") && strcmp(doc_str(t->doc, "mode"), "bug") && strcmp(doc_str(t->doc, "mode"), "fix")) {
		fprintf(stderr, "mmrepro: --resume %s: bisect.json's mode must be \"bug\" or \"fix\"\n", t->dir);
		return EXIT_USAGE;
	}
	return 0;
}

/* A number of bisect.json checked as its option is: a hand-edited or
 * corrupt file must not set 0 or 10^9 runs per step. Absent: def. */
static int doc_number(struct tree *t, const char *key, double min, double max, double def, double *out)
{
	struct json_object *v;

	*out = def;
	if (!json_object_object_get_ex(t->doc, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double)) {
		fprintf(stderr, "mmrepro: --resume %s: bisect.json's %s is not a number\n", t->dir, key);
		return EXIT_USAGE;
	}
	*out = json_object_get_double(v);
	if (!(*out >= min && *out <= max)) {
		fprintf(stderr, "mmrepro: --resume %s: bisect.json's %s = %g is out of range [%g, %g]\n", t->dir, key,
			*out, min, max);
		return EXIT_USAGE;
	}
	return 0;
}

/* steps and good_step_valid_runs: arrays the steps go on (made when
 * absent); each valid run count a number a step can have. */
static int load_resume_arrays(struct tree *t)
{
	static const char *const keys[] = { "steps", "good_step_valid_runs" };
	struct json_object *v, *n;

	for (int i = 0; i < 2; i++) {
		if (!json_object_object_get_ex(t->doc, keys[i], &v))
			json_object_object_add(t->doc, keys[i], v = json_object_new_array());
		if (!json_object_is_type(v, json_type_array)) {
			fprintf(stderr, "mmrepro: --resume %s: bisect.json's %s is not an array\n", t->dir, keys[i]);
			return EXIT_USAGE;
		}
	}
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		n = json_object_array_get_idx(v, i);
		if (!json_object_is_type(n, json_type_int) || json_object_get_int64(n) < 0 ||
		    json_object_get_int64(n) > 4 * BISECT_MAX_RUNS) {
			fprintf(stderr, "mmrepro: --resume %s: bisect.json's good_step_valid_runs holds '%.40s', not a "
				"number of runs\n", t->dir, json_object_to_json_string(n));
			return EXIT_USAGE;
		}
	}
	return 0;
}

static int load_resume_numbers(struct tree *t)
{
	double runs, alpha, max_runs, p_bad;
	const char *r = doc_str(t->doc, "runs");
	bool autorun = r && !strcmp(r, "auto");
	int rc = autorun ? 0 : doc_number(t, "runs", 1, BISECT_MAX_RUNS, 3, &runs);

	rc = rc ? rc : doc_number(t, "alpha", 1e-6, 0.5, 0.05, &alpha);
	rc = rc ? rc : doc_number(t, "max_runs", 1, BISECT_MAX_RUNS, 20, &max_runs);
	rc = rc ? rc : doc_number(t, "p_bad", 0, 1, 0, &p_bad);
	rc = rc ? rc : doc_number(t, "runs_per_step", 1, 4 * BISECT_MAX_RUNS, autorun ? 1 : runs, &t->runs_per_step);
	if (rc)
		return rc;
	t->o.runs = autorun ? 0 : (int)runs;
	t->o.alpha = alpha;
	t->o.max_runs = (int)max_runs;
	t->p_bad = p_bad;
	return 0;
}

/* A string of bisect.json for a message: cut short, no escape sequences. */
static const char *shown(const char *s, char *buf, size_t len)
{
	snprintf(buf, len, "%.200s", s);
	sanitize_text(buf, false);
	return buf;
}

/* bisect.json, an object whose text keys are strings (NULL in t->doc when
 * it is not one). */
static int read_resume_doc(struct tree *t)
{
	char path[PATH_MAX + 32];

	snprintf(t->dir, sizeof(t->dir), "%s", t->o.resume);
	xsnprintf(path, sizeof(path), "%s/bisect.json", t->dir);
	t->doc = jread_object(path, 64u << 20);
	if (t->doc && check_doc_strings(t))
		return EXIT_USAGE;
	if (!t->doc || !doc_str(t->doc, "case") || !doc_str(t->doc, "kernel") || !doc_str(t->doc, "good") ||
	    !doc_str(t->doc, "bad")) {
		fprintf(stderr, "mmrepro: --resume %s: no readable bisect.json of a tree bisection there\n", t->dir);
		return EXIT_USAGE;
	}
	return 0;
}

/* The case it began with: its file (a case given by path, or made from
 * --repro), else its name; the --title it ran under; its flavour. */
static int load_resume_case(struct tree *t)
{
	char err[1024], casefile[PATH_MAX], why[256], buf[256];
	const char *name = doc_str(t->doc, "case_file") ? doc_str(t->doc, "case_file") : doc_str(t->doc, "case");
	const char *title = doc_str(t->doc, "title"), *flavor = doc_str(t->doc, "flavor");

	/* case_load reads it as a regular file of at most 1 MiB: bisect.json
	 * may name /dev/zero or a FIFO. */
	if (case_path(name, casefile, sizeof(casefile)) < 0) {
		fprintf(stderr, "mmrepro: --resume %s: bisect.json names case '%s', which does not exist\n", t->dir,
			shown(name, buf, sizeof(buf)));
		return EXIT_USAGE;
	}
	if (case_load(casefile, &t->c, err, sizeof(err)) < 0) {
		fprintf(stderr, "mmrepro: --resume %s: bisect.json's case: %s\n", t->dir, err);
		return EXIT_USAGE;
	}
	if (title && title_pattern_check(title, why, sizeof(why)) < 0) {
		fprintf(stderr, "mmrepro: --resume %s: bisect.json's title %s\n", t->dir, shown(why, buf, sizeof(buf)));
		return EXIT_USAGE;
	}
	if (title)
		snprintf(t->c.title, sizeof(t->c.title), "%s", title);
	if (flavor && !flavor_find(flavor)) {
		fprintf(stderr, "mmrepro: --resume %s: bisect.json names an unknown flavour '%s'\n", t->dir,
			shown(flavor, buf, sizeof(buf)));
		return EXIT_USAGE;
	}
	if (flavor)
		case_force_flavor(&t->c, flavor);
	return 0;
}

/* The --config fragments it began with: absolute paths, as add_config
 * made them. */
static int load_resume_configs(struct tree *t)
{
	struct json_object *a, *v;
	size_t n = 0;
	bool ok;

	if (!json_object_object_get_ex(t->doc, "configs", &a))
		return 0;
	ok = json_object_is_type(a, json_type_array) && (n = json_object_array_length(a)) < BUILD_MAX_CONFIGS;
	for (size_t i = 0; ok && i < n; i++) {
		v = json_object_array_get_idx(a, i);
		t->resume_configs[i] = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
		ok = t->resume_configs[i] && t->resume_configs[i][0] == '/' &&
		     strlen(t->resume_configs[i]) == (size_t)json_object_get_string_len(v);
	}
	if (!ok) {
		fprintf(stderr, "mmrepro: --resume %s: bisect.json's configs is not a list of at most %d absolute "
			"paths\n", t->dir, BUILD_MAX_CONFIGS - 1);
		return EXIT_USAGE;
	}
	t->o.configs = t->resume_configs;
	return 0;
}

/* --resume DIR: the options, the steps so far and the case come back from
 * DIR/bisect.json; git's state from DIR/bisect.log (git bisect replay). */
static int load_resume(struct tree *t)
{
	int rc;

	if ((rc = read_resume_doc(t)) || (rc = load_resume_case(t)) || (rc = load_resume_configs(t)))
		return rc;
	t->o.c = &t->c;
	t->o.kernel = doc_str(t->doc, "kernel");
	t->o.good = doc_str(t->doc, "good");
	t->o.bad = doc_str(t->doc, "bad");
	t->o.series = doc_str(t->doc, "series");
	t->o.fix = doc_str(t->doc, "mode") && !strcmp(doc_str(t->doc, "mode"), "fix");
	return load_resume_arrays(t) ? EXIT_USAGE : load_resume_numbers(t);
}

/* What --resume needs to test the same thing: the case's file, the title
 * that makes a hit, the --config fragments. */
static void add_resume_keys(struct tree *t)
{
	char path[PATH_MAX];

	if (realpath(t->c.path, path))
		json_object_object_add(t->doc, "case_file", json_object_new_string(path));
	if (t->c.title[0])
		json_object_object_add(t->doc, "title", json_object_new_string(t->c.title));
	if (t->o.configs && t->o.configs[0]) {
		struct json_object *a = json_object_new_array();
		for (int i = 0; t->o.configs[i]; i++)
			json_object_array_add(a, json_object_new_string(t->o.configs[i]));
		json_object_object_add(t->doc, "configs", a);
	}
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
	add_resume_keys(t);
	json_object_object_add(t->doc, "mode", json_object_new_string(t->o.fix ? "fix" : "bug"));
	json_object_object_add(t->doc, "runs", t->o.runs ? json_object_new_int(t->o.runs) : json_object_new_string("auto"));
	json_object_object_add(t->doc, "alpha", json_object_new_double(t->o.alpha));
	json_object_object_add(t->doc, "max_runs", json_object_new_int(t->o.max_runs));
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
	struct json_object *c;
	char commit[48], subject[256];

	if (!json_object_object_get_ex(t->doc, "culprit", &c) || !doc_str(c, "commit"))
		return -1;
	/* What the file says goes to a terminal: no escape sequences. */
	snprintf(commit, sizeof(commit), "%s", doc_str(c, "commit"));
	snprintf(subject, sizeof(subject), "%s", doc_str(c, "subject") ? doc_str(c, "subject") : "");
	sanitize_text(commit, false);
	sanitize_text(subject, false);
	printf("%s: %s %s (from %s/bisect.json)\n", t->o.fix ? "fixed by (first fixed commit)" : "first bad commit",
	       commit, subject, t->dir);
	return 0;
}

/* The run dir, claimed, as an absolute path: git runs with -C the repo
 * or the worktree, where a relative one would be read (and the worktree
 * made inside the user's checkout). */
static int claim_dir(struct tree *t, const struct bisect_opts *o)
{
	char err[1024], abs[PATH_MAX];

	if (!o->resume && o->out)
		snprintf(t->dir, sizeof(t->dir), "%s", o->out);
	else if (!o->resume)
		run_default_out_dir(t->c.name, "bisect", t->dir, sizeof(t->dir));
	if (run_claim_out_dir(t->dir, o->resume != NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "mmrepro: %s\n", err);
		return EXIT_USAGE;
	}
	if (!realpath(t->dir, abs)) {
		fprintf(stderr, "mmrepro: bisect: %s: %s\n", t->dir, strerror(errno));
		return EXIT_USAGE;
	}
	snprintf(t->dir, sizeof(t->dir), "%s", abs);
	return 0;
}

static int setup_tree(struct tree *t, const struct bisect_opts *o)
{
	char err[1024];
	int rc;

	t->o = *o;
	if (o->resume && (rc = load_resume(t)))
		return rc;
	if (!o->resume)
		t->c = *o->c;
	if ((rc = open_repo(t)) || (rc = claim_dir(t, o)))
		return rc;
	/* The case's own [build] fragments too: the kernel it runs on. */
	if (!(t->frags = point_fragments(&t->c, t->o.configs, err, sizeof(err)))) {
		fprintf(stderr, "mmrepro: bisect: %s\n", err);
		return EXIT_USAGE;
	}
	run_accel_init(&t->accel, o->accel);
	t->x = (struct point_ctx){ .c = &t->c, .configs = t->frags, .runs = t->o.runs,
				   .seq = point_seq_start(t->o.alpha, t->o.max_runs), .timeout_s = o->timeout_s,
				   .signal_fd = console_signal_fd(), .verbose = o->verbose, .accel = &t->accel,
				   .pool = o->pool };
	if (o->resume && t->o.runs)
		t->x.runs = (int)t->runs_per_step;
	if (o->resume && !t->o.runs && t->p_bad > 0) {
		t->x.seq.p_bad = t->p_bad;
		t->x.seq.min_valid = 1;
	}
	if (o->resume)
		snprintf(t->bad_title, sizeof(t->bad_title), "%s", doc_str(t->doc, "bad_title") ? doc_str(t->doc, "bad_title") : "");
	return 0;
}

/* The last line: the commit as a tag line, ready for a stable request. */
static void print_tag_line(const struct tree *t)
{
	char subject[256];

	if (!t->culprit[0] || t->inconclusive)
		return;
	GIT_LINE(t, t->repo, subject, "log", "-1", "--format=%s", t->culprit);
	printf("%s: %.12s (\"%s\")\n", t->o.fix ? "Fixed-by" : "Fixes", t->culprit, subject);
}

int bisect_tree_command(const struct bisect_opts *o)
{
	struct tree *t = xcalloc(1, sizeof(*t));
	struct json_object *steps, *good_valid;
	int rc = setup_tree(t, o);

	/* Refused before it began (a dir another run holds included): DIR
	 * stays as it was. */
	if (rc || (o->resume && already_done(t) == 0)) {
		json_object_put(t->doc);
		free(t->frags);
		free(t);
		return rc;
	}
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
		if (save_doc(t) < 0 && rc != EXIT_INTERRUPTED)
			rc = EXIT_UNTESTABLE;
		html_write_report(t->dir);
		json_object_put(t->doc);
	}
	if (t->wt[0] && rc != EXIT_INTERRUPTED)
		end_git_bisect(t);
	if (t->dir[0])
		printf("results: %s\n", t->dir);
	if (!rc)
		print_tag_line(t);
	free(t->frags);
	free(t);
	return rc;
}
