/* `bisect`: the first bad commit of a git tree, or the first bad patch of
 * a series (series blame), built on test points: one kernel, N runs, a
 * counted verdict. */
#ifndef MMREPRO_BISECT_H
#define MMREPRO_BISECT_H

#include <stdbool.h>
#include <stddef.h>

#include "case.h"
#include "series.h"
#include "stats.h"
#include "vm.h"

struct pool;

/* How to test one kernel for one case. */
struct point_ctx {
	const struct case_def *c;
	const char *const *configs;   /* fragments, NULL-terminated, or NULL */
	const char *expect_title;     /* "" or NULL: any FAIL is a hit */
	int runs, timeout_s, signal_fd;
	bool verbose;
	struct accel_state *accel;
	struct pool *pool;            /* the slots its runs go to */
};

struct point_result {
	struct tally t;
	double build_s, run_s;
	char bzimage[4096];
};

/* Builds (or finds) spec + series and runs the case on it into dir.
 * Returns 0 with the tally, or an exit code: EXIT_UNTESTABLE when the
 * kernel could not be had (err says why: a patch that does not apply, a
 * build failure), EXIT_USAGE, EXIT_INTERRUPTED. */
int bisect_test_point(const struct point_ctx *x, const char *spec, const char *series, const char *dir,
		      struct point_result *pr, char *err, size_t errlen);

struct blame_result {
	int first_bad;                /* 1-based patch index; 0 when inconclusive */
	int lo, hi;                   /* the candidates are patches lo+1..hi */
	char file[256], subject[256];
	int builds;
	char note[256];
};

/* With base good and base + all of s bad, finds the first patch at which
 * the case starts failing: about log2(patches) incremental builds of
 * base + patches 1..k, each a test point under dir. Returns 0 or an exit
 * code (interrupted). */
int bisect_series_blame(const struct point_ctx *x, const char *base, const struct series *s, const char *dir,
			struct blame_result *out);

/* `mmrepro bisect CASE --kernel BASE --series S`: checks that the base is
 * good and base + S bad, blames the first bad patch, writes bisect.json.
 * Returns 0 when a patch was named, 125 when the ends do not hold or the
 * search was inconclusive, 2 on bad input, 130 when interrupted. */
int bisect_series_command(const struct case_def *c, const char *base, const char *series,
			  const char *const *configs, int runs, int timeout_s, bool verbose, enum accel_mode accel,
			  const char *out, struct pool *pool);

struct tree_bisect_opts {
	const struct case_def *c;
	const char *kernel;           /* git:TREE or git:TREE@anything */
	const char *good, *bad;       /* revisions */
	const char *series;           /* applied on every commit, or NULL */
	const char *const *configs;
	int runs, timeout_s;
	bool verbose;
	enum accel_mode accel;
	const char *out;              /* NULL: results/<stamp>-<case>-bisect */
	const char *resume;           /* a bisection's dir to go on with, or NULL */
	struct pool *pool;
};

/* `mmrepro bisect CASE --kernel git:TREE --good G --bad B`, or --resume
 * DIR: checks both ends, lets `git bisect` (in a worktree of the cache,
 * --no-checkout) pick each commit, tests it, checks the culprit, its
 * parent and its revert, and writes bisect.log and bisect.json. Returns 0
 * with one culprit, 125 when the ends do not hold or the end is
 * inconclusive, 2 on bad input, 130 when interrupted (all kept). */
int bisect_tree_command(const struct tree_bisect_opts *o);

#endif
