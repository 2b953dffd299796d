/* One invocation of a case on one kernel: N runs, each a fresh VM, in a
 * results dir that this process holds locked. */
#ifndef MMREPRO_RUN_H
#define MMREPRO_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "case.h"
#include "kernel.h"
#include "outdir.h"
#include "result.h"
#include "vm.h"

struct pool;

struct run_opts {
	const char *out_dir;   /* the invocation's results dir */
	const char *variant;   /* variant name, or NULL */
	int runs;
	int timeout_s;         /* 0: the case's */
	bool echo;             /* copy the console to stderr */
	bool quiet;            /* no per-run verdict line */
	bool force;            /* add runs to a dir that already holds results */
	int signal_fd;
	struct accel_state *accel; /* the command's accelerator choice */
	int first_run;         /* from run_claim_out_dir; 0: run_case claims the dir */
	struct pool *pool;     /* the slots to run on; NULL: one local QEMU */
	/* Adaptive runs: called with each finished run, in the order they
	 * finish; true starts no more runs (those running still finish). */
	bool (*enough)(void *arg, const struct run_result *r);
	void *enough_arg;
};

/* Runs the case; results[] must hold opts->runs entries. Returns the number
 * of runs done (fewer when interrupted). Claims the out dir if the caller
 * has not. */
int run_case(const struct case_def *c, const struct kernel *k, const struct run_opts *o,
	     struct run_result *results);
void run_free_results(struct run_result *r, int n);
/* The accelerator for a command: decides once, prints the choice and why,
 * and dies with 125 when an explicit --accel kvm cannot work here. */
void run_accel_init(struct accel_state *s, enum accel_mode mode);
/* The user QEMU runs as when started as root, NULL otherwise. */
const char *run_qemu_user(void);

#endif
