/* `matrix`: a case under every combination of knob values (--knob), each a test point, or (--minimize) the fewest knob settings under which it still hits. */
#ifndef MMREPRO_MATRIX_H
#define MMREPRO_MATRIX_H

#include <stdbool.h>

#include "case.h"
#include "vm.h"

struct pool;

/* Runs per point unless --runs: enough that a bug hitting half the time
 * shows in a point 7 times out of 8, few enough for TCG. */
#define MATRIX_DEFAULT_RUNS 3

struct matrix_opts {
	const struct case_def *c;     /* loaded, its flavour forced if --flavor */
	const char *variant;          /* NULL: the case's own settings */
	const char *kernel, *series;  /* NULL: the variant's, else the case's first kernel */
	const char *const *configs;   /* --config fragments, NULL-terminated (or NULL) */
	const char *const *knobs;     /* the --knob arguments */
	int nknobs;
	int runs;
	bool minimize;
	const char *out;              /* NULL: results/<stamp>-<case>-matrix */
	int timeout_s;
	bool verbose;
	enum accel_mode accel;
	struct pool *pool;
};

/* Checks everything it can before building or booting (knob names and
 * values, each row's VM, the workload's own knobs), then runs. Writes
 * DIR/matrix.json and prints the table. Exit: matrix: 1 when a row is bad
 * (the bug hit), 0 when every row is good, 125 otherwise; --minimize: 1
 * with the minimal settings (the bug hits under them), 125 when the first
 * values do not hit; 2 on bad input, 130 when interrupted. */
int matrix_command(const struct matrix_opts *o);

/* Whether the case hits with setting i on where on[i] (the case's default
 * where not); removed is the setting this try leaves out (-1: the start).
 * Returns MATRIX_HIT, MATRIX_NO_HIT, or an exit code (>= 2) that stops. */
enum { MATRIX_NO_HIT = 0, MATRIX_HIT = 1 };
typedef int (*matrix_oracle)(void *arg, const bool *on, int n, int removed);

/* Greedy one-at-a-time removal: the start (every setting on) must hit,
 * then each setting in turn is left out and stays out when the case still
 * hits without it. n + 1 tries; when hitting is monotone (more settings
 * never stop a hit) the result is 1-minimal. keep[n] says what is left.
 * Returns 0, EXIT_UNTESTABLE when the start does not hit, or the oracle's
 * exit code. */
int matrix_minimize(int n, matrix_oracle oracle, void *arg, bool *keep);

#endif
