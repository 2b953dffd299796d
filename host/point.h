/* A test point: one kernel (spec + series + config fragments + flavour),
 * built once and run N times, or until a sequential test decides, with
 * its tally and verdict. verify, gate, bisect and matrix all test points. */
#ifndef MMREPRO_POINT_H
#define MMREPRO_POINT_H

#include <stdbool.h>
#include <stddef.h>

#include "case.h"
#include "stats.h"
#include "vm.h"

struct pool;

/* --runs auto: Wald's sequential test (stats_sprt) decides the point. */
struct point_seq {
	double p_bad;                 /* the hit rate of a bad kernel; 0: not known yet (the bad end) */
	double alpha;                 /* both error rates */
	int max_runs;                 /* undecided here: a skip */
	int min_valid;                /* at least this many valid runs (the bad end, to measure p_bad) */
};

/* How to test one kernel for one case. */
struct point_ctx {
	const struct case_def *c;
	const char *const *configs;   /* point_fragments(), or NULL */
	int runs;                     /* N runs; 0: adaptive (seq) */
	struct point_seq seq;
	int timeout_s, signal_fd;
	bool verbose;
	struct accel_state *accel;
	struct pool *pool;            /* the slots its runs go to */
	const char *variant;          /* the runs' variant name, or NULL */
	bool print_runs;              /* a verdict line per run, as verify prints */
	/* Called with each run, in order, once the runs are done: verify
	 * counts them against a variant's own expectations. */
	void (*each_run)(void *arg, const struct run_result *r);
	void *each_arg;
};

struct point_result {
	struct tally t;
	enum point_verdict verdict;
	char why[512];                /* a skip's reason */
	double build_s, run_s;
	char image[4096];
};

/* The case's [build] fragments, then the extra ones (--config), as a
 * malloc'd NULL-terminated list (free it; the strings are borrowed).
 * NULL with err when there are more than the builder takes. */
const char **point_fragments(const struct case_def *c, const char *const *extra, char *err, size_t errlen);

/* Builds (or finds) spec + series with x's fragments in c's flavour and
 * runs the case on it into dir: x->runs times, or until x->seq decides.
 * Returns 0 with the tally and verdict, or an exit code: EXIT_UNTESTABLE
 * when the kernel could not be had (err says why: a patch that does not
 * apply, a build failure; the verdict is a skip), EXIT_USAGE,
 * EXIT_INTERRUPTED. */
int point_test(const struct point_ctx *x, const char *spec, const char *series, const char *dir,
	       struct point_result *pr, char *err, size_t errlen);

/* The start of an adaptive search: the bad end's rate not yet known, so
 * it must show POINT_MIN_BAD_END_RUNS valid runs to measure it. */
#define POINT_MIN_BAD_END_RUNS 4
/* The rate the hitting end is tested for before it is known: a bug that
 * hits 1 run in 5 is then called absent there only with chance alpha
 * (14 clean runs at alpha 0.05), and one hit is enough to call it there. */
#define POINT_UNKNOWN_P_BAD 0.2
struct point_seq point_seq_start(double alpha, int max_runs);
/* An adaptive point whose first runs all crash with another title is a
 * skip after this many, not after max_runs. */
#define POINT_MAX_OTHER_CRASHES 3
/* After the hitting end: its hit rate, estimated as (hits + 1) / (valid +
 * 2) (Laplace's rule, never 0 or 1 from a few runs), is what later points
 * test for, with no minimum of runs. */
void point_learn_rate(struct point_ctx *x, const struct tally *t);

/* The verdict of a finished tally: stats_point for fixed runs, the
 * sequential test's for adaptive ones; why says what a skip lacked. */
enum point_verdict point_verdict(const struct point_ctx *x, const struct tally *t, char *why, size_t len);

#endif
