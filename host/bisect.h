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

#include "blame.h"
#include "point.h"

/* What a bisection was asked. A fix bisection (fix) looks for the first
 * commit or patch at which the case stops failing: bad is then the
 * broken (old) end and good the fixed (new) one. */
#define BISECT_MAX_RUNS 1000

struct bisect_opts {
	const struct case_def *c;
	const char *kernel;           /* git:TREE, or a source base for a series */
	const char *good, *bad;       /* revisions: --good/--bad, or --fixed/--broken */
	const char *series;           /* applied on every commit, or blamed */
	const char *const *configs;   /* --config fragments */
	bool fix;
	int runs;                     /* 0: auto (sequential, alpha, max_runs) */
	double alpha;
	int max_runs;
	int timeout_s;
	bool verbose;
	enum accel_mode accel;
	const char *out;              /* NULL: results/<stamp>-<case>-bisect */
	const char *resume;           /* a bisection's dir to go on with, or NULL */
	struct pool *pool;
};

/* `mmrepro bisect CASE --kernel BASE --series S [--fix]`: checks both
 * ends, blames the first bad (or fixing) patch, writes bisect.json.
 * Returns 0 when a patch was named, 125 when the ends do not hold or the
 * search was inconclusive, 2 on bad input, 130 when interrupted. */
int bisect_series_command(const struct bisect_opts *o);

/* `mmrepro bisect CASE --kernel git:TREE --good G --bad B` (or --fix
 * --broken B --fixed G), or --resume DIR: checks both ends, lets `git
 * bisect` (in a worktree of the cache, --no-checkout) pick each commit,
 * tests it, checks the culprit, its parent and its revert, and writes
 * bisect.log and bisect.json. Returns 0 with one culprit, 125 when the
 * ends do not hold or the end is inconclusive, 2 on bad input, 130 when
 * interrupted (all kept). */
int bisect_tree_command(const struct bisect_opts *o);

#endif
