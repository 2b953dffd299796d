/* One invocation of a case on one kernel: N runs, each a fresh VM. */
#ifndef MMREPRO_RUN_H
#define MMREPRO_RUN_H

#include <stdbool.h>

#include "case.h"
#include "kernel.h"
#include "result.h"

struct run_opts {
	const char *out_dir;   /* the invocation's results dir */
	const char *variant;   /* variant name, or NULL */
	int runs;
	int timeout_s;         /* 0: the case's */
	bool echo;             /* copy the console to stderr */
	bool quiet;            /* no per-run verdict line */
	int signal_fd;
};

/* Runs the case; results[] must hold opts->runs entries. Returns the number
 * of runs done (fewer when interrupted). */
int run_case(const struct case_def *c, const struct kernel *k, const struct run_opts *o,
	     struct run_result *results);
/* results/<stamp>-<case>-<kernel> under the repo, plus the results/latest link. */
void run_default_out_dir(const char *case_name, const char *kernel_spec, char *out, size_t len);
void run_free_results(struct run_result *r, int n);

#endif
