/* A workload is one of three sources: a suite workload (guest/workloads),
 * a user's C reproducer, or the kernel's selftests. Each is built, put in
 * the initramfs, run by the guest and read back through this one
 * interface, so run, verify, gate, bisect and the report need not know
 * which it is. */
#ifndef MMREPRO_WORKLOAD_H
#define MMREPRO_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "initramfs.h"

struct case_def;
struct kernel;
struct run_result;
struct guest_results;

/* The guest programs that run the two foreign sources. */
#define WORKLOAD_REPRO_RUNNER "repro-runner"
#define WORKLOAD_KSELFTEST_RUNNER "kselftest-runner"
/* A reproducer's deadline when neither the case nor --repro-time sets one. */
#define WORKLOAD_REPRO_DEFAULT_S 60

enum workload_source { WORKLOAD_SUITE, WORKLOAD_REPRO, WORKLOAD_KSELFTEST };

enum workload_source workload_source_of(const struct case_def *c);
const char *workload_source_name(enum workload_source s);
bool workload_is_suite(const struct case_def *c);

/* Before any kernel is built: what can be checked or built without one
 * (a reproducer is compiled, so a compile error is a usage error that
 * costs no build and no boot). Returns 0 or an exit code with err. */
int workload_prepare(const struct case_def *c, char *err, size_t errlen);

/* What goes into the initramfs, and what the guest init runs. */
struct workload_plan {
	char program[4096];             /* host path of what the init runs */
	char args[2048];                /* its arguments (the case's, or the runner's) */
	struct initramfs_file *files;   /* more files for the initramfs (malloc'd) */
	int nfiles;
	char **unbuilt;                 /* kselftests that did not build (malloc'd) */
	int nunbuilt;
	char source[300];               /* where kselftests came from, "" otherwise */
	/* What the suite changed in a report's base config (run.c), or NULL. */
	struct json_object *config_changes;
};
/* After the kernel is known: builds what needs its tree (kselftests).
 * Returns 0 or an exit code with err. */
int workload_plan(const struct case_def *c, const struct kernel *k, int signal_fd, struct workload_plan *p,
		  char *err, size_t errlen);
void workload_plan_free(struct workload_plan *p);

/* After a run: what the source reports beyond the workload's verdict
 * (the kselftests' subtests, a console report tied to its test), into r;
 * the console is read from r->dir. */
void workload_read_results(const struct case_def *c, const struct workload_plan *p, struct run_result *r,
			   const struct guest_results *g);

struct declared_knob;
/* The knobs the case's workload writes itself (knob.h): a suite
 * workload's `--list-knobs` output, from build/guest/NAME run here with
 * no environment and a timeout, its output read as hostile; none for a
 * reproducer or the selftests, whose runners set no knob. malloc'd array
 * in *out. Returns 0, or EXIT_UNTESTABLE with err (the workload is not
 * built, or does not answer as the protocol says). */
#define WORKLOAD_LIST_KNOBS_TIMEOUT_S 10
int workload_declared_knobs(const struct case_def *c, struct declared_knob **out, int *n, char *err,
			    size_t errlen);

#endif
