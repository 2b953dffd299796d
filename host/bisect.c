/* Test points and the search for the first bad patch of a series. */
#include "bisect.h"
#include "build.h"
#include "console.h"
#include "run.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bisect_test_point(const struct point_ctx *x, const char *spec, const char *series, const char *dir,
		      struct tally *t, char *err, size_t errlen)
{
	struct kernel k;
	struct run_result *r;
	int rc, n;

	memset(t, 0, sizeof(*t));
	rc = kernel_get(spec, series, x->configs, x->signal_fd, true, &k, err, errlen);
	if (rc)
		return rc;
	r = xcalloc((size_t)x->runs, sizeof(*r));
	struct run_opts ro = { .out_dir = dir, .runs = x->runs, .timeout_s = x->timeout_s, .echo = x->verbose,
			       .quiet = true, .signal_fd = x->signal_fd, .accel = x->accel };
	n = run_case(x->c, &k, &ro, r);
	for (int i = 0; i < n; i++)
		stats_add(t, &r[i], x->expect_title);
	run_free_results(r, n);
	free(r);
	return t->interrupted ? EXIT_INTERRUPTED : 0;
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
		       const char *dir, enum point_verdict *v, struct tally *t)
{
	char sdir[PATH_MAX], runs[PATH_MAX + 16], err[2048] = "", text[160];
	int rc;

	xsnprintf(sdir, sizeof(sdir), "%s/prefix-%d", dir, m);
	xsnprintf(runs, sizeof(runs), "%s/runs", sdir);
	if ((rc = write_prefix_series(s, m, sdir, err, sizeof(err))))
		return EXIT_UNTESTABLE;
	rc = bisect_test_point(x, base, sdir, runs, t, err, sizeof(err));
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
		struct tally t;
		tried[m] = true;
		out->builds++;
		if ((rc = test_prefix(x, base, s, m, dir, &v, &t)))
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
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	write_file_atomic(path, s, strlen(s));
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
		struct tally t;
		xsnprintf(sub, sizeof(sub), "%s/%s", dir, i ? "head" : "base");
		int rc = bisect_test_point(x, base, i ? series : NULL, sub, &t, err, sizeof(err));
		if (rc == EXIT_USAGE || rc == EXIT_INTERRUPTED)
			return rc;
		got = rc ? POINT_SKIP : stats_point(&t);
		stats_tally_text(&t, text, sizeof(text));
		fprintf(stderr, "[bisect] %s: %s (%s)\n", names[i], stats_point_name(got), rc ? err : text);
		json_object_array_add(ends, point_json(names[i], &t, got));
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
			  const char *out)
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
			       .signal_fd = console_signal_fd(), .verbose = verbose, .accel = &as };
	rc = check_ends(&x, base, series, dir, ends);
	if (!rc)
		rc = bisect_series_blame(&x, base, &s, dir, &b);
	if (!rc && !b.first_bad)
		rc = EXIT_UNTESTABLE;
	write_blame_json(dir, base, series, ends, &b, rc);
	if (b.first_bad)
		printf("first bad patch: [%d/%d] %s: %s (%d builds)\n", b.first_bad, s.npatches, b.file, b.subject,
		       b.builds + 2);
	else if (b.note[0])
		printf("%s\n", b.note);
	printf("results: %s\n", dir);
	series_free(&s);
	return rc;
}
