/* Series blame: the first patch of a series at which a case starts failing. */
#include "bisect.h"
#include "console.h"
#include "html.h"
#include "run.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	rc = point_test(x, base, sdir, runs, &pr, err, sizeof(err));
	*v = pr.verdict;
	stats_tally_text(t, text, sizeof(text));
	fprintf(stderr, "[blame] patches 1..%d of %d: %s (%s)\n", m, s->npatches, stats_point_name(*v),
		*v == POINT_SKIP ? pr.why : text);
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

int bisect_series_blame(const struct point_ctx *x, const char *base, const struct series *s, bool fix,
			const char *dir, struct blame_result *out)
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
		/* hi: the first prefix known to be like the head. */
		if (v == (fix ? POINT_GOOD : POINT_BAD))
			hi = m;
		else if (v != POINT_SKIP)
			lo = m;
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
		snprintf(out->note, sizeof(out->note), "inconclusive: the first %s patch is one of %d..%d",
			 fix ? "fixing" : "bad", lo + 1, hi);
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

/* -1 (said) when bisect.json cannot be written: the verdict is then not kept. */
static int write_blame_json(const char *dir, const struct bisect_opts *bo, struct json_object *ends,
			    const struct blame_result *b, int code)
{
	struct json_object *o = json_object_new_object();
	char path[PATH_MAX + 32];

	json_object_object_add(o, "base", json_object_new_string(bo->kernel));
	json_object_object_add(o, "series", json_object_new_string(bo->series));
	json_object_object_add(o, "mode", json_object_new_string(bo->fix ? "fix" : "bug"));
	json_object_object_add(o, "runs", bo->runs ? json_object_new_int(bo->runs) : json_object_new_string("auto"));
	json_object_object_add(o, "ends", ends);
	json_object_object_add(o, bo->fix ? "first_fixed_patch" : "first_bad_patch", json_object_new_int(b->first_bad));
	json_object_object_add(o, "candidates_from", json_object_new_int(b->lo + 1));
	json_object_object_add(o, "candidates_to", json_object_new_int(b->hi));
	json_object_object_add(o, "file", json_object_new_string(b->file));
	json_object_object_add(o, "subject", json_object_new_string(b->subject));
	json_object_object_add(o, "builds", json_object_new_int(b->builds));
	if (b->note[0])
		json_object_object_add(o, "note", json_object_new_string(b->note));
	json_object_object_add(o, "exit_code", json_object_new_int(code));
	xsnprintf(path, sizeof(path), "%s/bisect.json", dir);
	int rc = result_write_json(path, o);
	if (rc < 0)
		fprintf(stderr, "mmrepro: bisect: cannot write %s: %s\n", path, strerror(-rc));
	json_object_put(o);
	return rc < 0 ? -1 : 0;
}

/* bisect.json lists the ends base first, whichever was tested first. */
static void add_ends(struct json_object *ends, struct json_object *const *got)
{
	for (int i = 0; i < 2; i++)
		if (got[i])
			json_object_array_add(ends, got[i]);
}

/* The hitting end first (the head; for a fix, the base), so that an
 * adaptive bisection knows the bug's hit rate before the clean end. */
static int check_ends(struct point_ctx *x, const char *base, const char *series, bool fix, const char *dir,
		      struct json_object *ends)
{
	const char *names[2] = { "base", "base+series" };
	char sub[PATH_MAX + 32], err[2048], text[160];
	struct json_object *got[2] = { NULL, NULL };
	int rc = 0;

	for (int k = 0; k < 2 && !rc; k++) {
		int i = fix ? k : 1 - k;
		enum point_verdict want = (i == 1) != fix ? POINT_BAD : POINT_GOOD;
		struct point_result pr;
		xsnprintf(sub, sizeof(sub), "%s/%s", dir, i ? "head" : "base");
		rc = point_test(x, base, i ? series : NULL, sub, &pr, err, sizeof(err));
		if (rc == EXIT_USAGE || rc == EXIT_INTERRUPTED)
			break;
		stats_tally_text(&pr.t, text, sizeof(text));
		fprintf(stderr, "[bisect] %s: %s (%s)\n", names[i], stats_point_name(pr.verdict),
			pr.verdict == POINT_SKIP ? pr.why : text);
		got[i] = point_json(names[i], &pr.t, pr.verdict);
		rc = 0;
		if (pr.verdict != want) {
			fprintf(stderr, "mmrepro: bisect: the %s must be %s but is %s; nothing to blame\n", names[i],
				stats_point_name(want), stats_point_name(pr.verdict));
			rc = EXIT_UNTESTABLE;
		} else if (k == 0) {
			point_learn_rate(x, &pr.t);
		}
	}
	add_ends(ends, got);
	return rc;
}

int bisect_series_command(const struct bisect_opts *o)
{
	struct accel_state as;
	struct series s;
	struct blame_result b = { 0 };
	struct json_object *ends = json_object_new_array();
	char dir[PATH_MAX], err[2048];
	const char **frags;
	int rc;

	if (series_load(o->series, &s, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "%s", err);
	if (!(frags = point_fragments(o->c, o->configs, err, sizeof(err))))
		die(EXIT_USAGE, "%s", err);
	if (o->out)
		snprintf(dir, sizeof(dir), "%s", o->out);
	else
		run_default_out_dir(o->c->name, "bisect", dir, sizeof(dir));
	if (run_claim_out_dir(dir, false, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "%s", err);
	run_accel_init(&as, o->accel);
	struct point_ctx x = { .c = o->c, .configs = frags, .runs = o->runs, .seq = point_seq_start(o->alpha, o->max_runs),
			       .timeout_s = o->timeout_s, .signal_fd = console_signal_fd(), .verbose = o->verbose,
			       .accel = &as, .pool = o->pool };
	rc = check_ends(&x, o->kernel, o->series, o->fix, dir, ends);
	if (!rc)
		rc = bisect_series_blame(&x, o->kernel, &s, o->fix, dir, &b);
	if (!rc && !b.first_bad)
		rc = EXIT_UNTESTABLE;
	if (write_blame_json(dir, o, ends, &b, rc) < 0 && rc != EXIT_INTERRUPTED)
		rc = EXIT_UNTESTABLE;
	html_write_report(dir);
	if (b.first_bad)
		printf("first %s patch: [%d/%d] %s: %s (%d builds)\n", o->fix ? "fixing" : "bad", b.first_bad,
		       s.npatches, b.file, b.subject, b.builds + 2);
	else if (b.note[0])
		printf("%s\n", b.note);
	printf("results: %s\n", dir);
	if (b.first_bad)
		printf("%s: %s (\"%s\")\n", o->fix ? "Fixed-by" : "Fixes", b.file, b.subject);
	series_free(&s);
	free(frags);
	return rc;
}
