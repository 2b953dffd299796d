/* The product's job (./run.sh with no arguments): every case that declares
 * variants, verified. Rows whose kernel is at hand (prebuilt, or already
 * in the cache) run first, expected hits first among them, so that a bug
 * shows before any build; the tables and the summary keep the declared
 * order whatever order the rows ran in. */
#ifndef MMREPRO_REPRODUCE_H
#define MMREPRO_REPRODUCE_H

#include <json-c/json.h>
#include <stdbool.h>

#include "vm.h"

struct pool;
struct verify_job;

/* One variant of one case, at its declared place. */
struct reproduce_row {
	int case_index, variant_index;
	bool planned;        /* ready and key are known (a build plan costs a few
			      * forks, so rows are planned only as the order needs) */
	bool ready;          /* no build needed: a prebuilt kernel, or one in the cache */
	bool expect_fail;    /* expected to hit */
	bool done;
	char key[25];        /* its build key; "" for a prebuilt kernel */
};

/* The next row: a ready one before one that needs a build, an expected hit
 * before the others, then the declared order. A row not yet planned counts
 * as ready; when it comes out first the caller plans it and asks again, so
 * a planned row returned is the one a plan of every row would give. -1
 * when every row is done. */
int reproduce_next(const struct reproduce_row *rows, int n);
/* Row i has run, so its kernel is built: rows of the same key are ready. */
void reproduce_built(struct reproduce_row *rows, int n, int i);
/* Every begun job of cases (NULL: none of that case ran) finished in the
 * declared order, its rows appended to summary; the worst exit code. */
struct case_def;
int reproduce_finish(struct verify_job **jobs, struct case_def *const *cases, int ncases,
		     struct json_object *summary);

struct reproduce_opts {
	int runs, timeout_s;
	bool verbose;
	enum accel_mode accel;
	struct pool *pool;
	enum arch only_arch; /* the variants of this arch; the others "not run" */
	double t0;           /* the command's start (now_seconds) */
};
/* Runs the job; its exit code: 0 when every variant matched, 1 when one
 * did not, 125, 130. */
int reproduce_command(const struct reproduce_opts *o);

#endif
