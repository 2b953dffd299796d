/* mmrepro guest test library, in the spirit of LTP's tst_test.h.
 *
 * A workload declares what it needs in one `struct tst_test`: tags, options,
 * needs (kernel config, commands, kernel version, memory, swap, CPUs, NUMA
 * nodes, a cgroup controller), sysfs/procfs knobs, a runtime budget and a
 * table of scenarios. The library checks the needs, parses the options,
 * saves and restores the knobs, snapshots /proc/vmstat around the run and
 * writes one JSON result file.
 *
 * setup(), the scenarios, run() and cleanup() run in a forked child (as in
 * kselftest's harness), so a crash of the workload still gives a BROK
 * result naming the signal. The parent checks needs, writes and restores
 * knobs, removes the cgroups the test made, and writes the result.
 *
 * Library options, removed before the workload's own options are parsed:
 *   --timeout S     kill the workload after S seconds (BROK); default none
 *   --runtime S     the runtime budget every loop checks (default .runtime)
 *   --scenarios a,b run only these scenarios of the table
 *   --list-knobs    (alone) print the knobs .knobs writes and exit: the host
 *                   asks before a matrix varies knobs (guest/protocol.h)
 *
 * Environment (set by the guest init, see guest/init.c):
 *   MMREPRO_RESULT   path of the JSON result file to write (none if unset)
 *   MMREPRO_KCONFIG  path of the running kernel's .config (from the initramfs)
 *   MMREPRO_TIMEOUT  seconds before the init kills the workload: the runtime
 *                    budget is cut to end well before that
 *
 * Every message carries the file:line of the call that made it. Verdict
 * (LTP's rules): any FAIL gives FAIL; else any BROK gives BROK; else CONF if
 * there was a CONF and no PASS; else PASS. No result at all is BROK, and so
 * is a scenario that returns without recording a result. Exit status follows
 * LTP: 0 PASS, 1 FAIL, 2 BROK, 32 CONF.
 */
#ifndef MMREPRO_TST_H
#define MMREPRO_TST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum tst_verdict { TPASS = 0, TFAIL = 1, TBROK = 2, TCONF = 32, TINFO = 16 };

struct tst_knob {
	const char *path;   /* e.g. "/sys/kernel/mm/transparent_hugepage/enabled" */
	const char *value;  /* written before setup(); NULL = only save/restore */
	bool optional;      /* a missing knob is CONF unless optional */
};

/* {"linux-git", "33dfe9204f29"}: the upstream fix (12 hex digits) the test
 * guards, printed as a hint on FAIL and stored in the result as "tags".
 * Other names ("thread" for a lore Message-ID, "mmrepro-note") are free
 * text. Terminated by { NULL, NULL }. */
struct tst_tag {
	const char *name;
	const char *value;
};

enum tst_opt_type {
	TST_OPT_INT,    /* int *dest, min..max */
	TST_OPT_LONG,   /* long *dest, min..max */
	TST_OPT_STR,    /* const char **dest */
	TST_OPT_FLAG,   /* bool *dest, no value */
	TST_OPT_LIST,   /* bool dest[], one per word of choices: "a,b" sets those, clears the rest */
};

/* --name VALUE or --name=VALUE. Terminated by { 0 } (clang's -Wextra, unlike
 * gcc's, rejects { NULL } here). */
struct tst_option {
	const char *name;
	enum tst_opt_type type;
	void *dest;
	long min, max;
	const char *const *choices;   /* TST_OPT_LIST: the words, NULL-terminated */
	const char *help;
};

/* One entry of a scenario table, as in the mm selftests' test_cases[]:
 * what it is called, what it runs and what it asserts (printed before it
 * runs and stored in the result). A scenario must record at least one
 * PASS, FAIL or CONF, or the library records a BROK for it. A scenario
 * on_request runs only when --scenarios names it. Write the rows with the
 * macros below, which spell out every field (-Wextra's
 * missing-field-initializers):
 *
 *   static const struct tst_scenario scenarios[] = {
 *           TST_SCENARIO(dontneed_tail, "the head keeps its pattern"),
 *           TST_SCENARIO_ON_REQUEST(slow_race, "no report in 60 s"),
 *           TST_SCENARIO_END,
 *   };
 *
 * The scenario is named after its function (--scenarios dontneed_tail);
 * a name that is not a C identifier ("4b") needs an explicit row,
 * { "4b", fn, "expect", false }. */
struct tst_scenario {
	const char *name;
	void (*fn)(void);
	const char *expect;
	bool on_request;
};

#define TST_SCENARIO(fn, expect) { #fn, (fn), (expect), false }
#define TST_SCENARIO_ON_REQUEST(fn, expect) { #fn, (fn), (expect), true }
#define TST_SCENARIO_END { NULL, NULL, NULL, false }

enum tst_cg_ver { TST_CG_ANY = 0, TST_CG_V1 = 1, TST_CG_V2 = 2 };

struct tst_test {
	const char *name;
	const struct tst_tag *tags;
	const struct tst_option *options;
	const struct tst_scenario *scenarios;  /* run in order after setup(), before run() */
	const char *const *needs_kconfigs;     /* "CONFIG_CMA" or "CONFIG_CMA=y", NULL-terminated */
	const char *const *needs_cmds;         /* found in PATH, or CONF; NULL-terminated */
	const char *min_kver;                  /* "6.8": older kernels are CONF */
	unsigned long min_mem_mb;              /* MemTotal below this is CONF */
	unsigned long min_swap_mb;             /* SwapTotal below this is BROK: the case sets zram */
	int min_numa_nodes;                    /* fewer online nodes is CONF */
	int min_cpus;                          /* fewer online CPUs is CONF */
	const char *needs_cgroup_ctrl;         /* "memory": mounted or found before setup() */
	enum tst_cg_ver needs_cgroup_ver;
	int runtime;                           /* seconds every loop may use; 0: 60 */
	const struct tst_knob *knobs;          /* terminated by { 0 } */
	void (*setup)(void);
	void (*run)(void);
	void (*cleanup)(void);
};

/* Records a result line and prints "mmrepro: file.c:12: TPASS: msg".
 * TPASS, TFAIL and TCONF (a skipped sub-check) continue; TBROK ends the test
 * like tst_brk(). TINFO is printed only, never recorded. %m works. */
#define tst_res(ttype, fmt, ...) tst_res_(__FILE__, __LINE__, (ttype), (fmt), ##__VA_ARGS__)
/* Records a result and ends the test; cleanup() still runs (once). */
#define tst_brk(ttype, fmt, ...) tst_brk_(__FILE__, __LINE__, (ttype), (fmt), ##__VA_ARGS__)

void tst_res_(const char *file, int line, enum tst_verdict v, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void tst_brk_(const char *file, int line, enum tst_verdict v, const char *fmt, ...)
	__attribute__((format(printf, 4, 5), noreturn));

/* A named value for result.json ("values" object), e.g. which batch failed.
 * Setting a key again replaces its value. */
void tst_value(const char *key, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void tst_value_long(const char *key, long v);

/* The one number parser: base 10 (or 0x for hex), the whole string, within
 * min..max. 0, or -EINVAL (not a number) or -ERANGE (out of range). */
int tst_parse_long(const char *s, long min, long max, long *out);

/* Whether --scenarios (or its default) selects the scenario of that name. */
bool tst_scenario_selected(const char *name);

/* The runtime budget: seconds left of it (never negative). */
double tst_remaining_runtime(void);

/* A deadline for one loop: `seconds` from now, cut to the runtime left. */
struct tst_deadline {
	double end;        /* CLOCK_MONOTONIC seconds */
	double budget;     /* what the loop was given after the cut */
};
void tst_deadline_start(struct tst_deadline *d, double seconds);
bool tst_deadline_passed(const struct tst_deadline *d);
double tst_now(void);  /* CLOCK_MONOTONIC seconds */

/* Runs attempt(arg, try) until it returns true (a hit), max_tries tries
 * (0: no limit) or the deadline (seconds, cut to the runtime left). */
struct tst_until {
	bool hit;
	long tries;
	double seconds;
};
struct tst_until tst_run_until(bool (*attempt)(void *arg, long try), void *arg, double seconds, long max_tries);

/* /proc/vmstat: the library snapshots before setup and after the run and
 * stores every changed counter under "vmstat_delta". */
long tst_vmstat(const char *counter);  /* -1 when absent; no heap, no stdio */
long tst_vmstat_delta(const char *counter);  /* since the first snapshot; 0 when absent */

/* Kernel config of the running kernel: 'y', 'm', or 0 when not set (or when
 * MMREPRO_KCONFIG is unset). Other values (numbers, strings) read as 'y'. */
char tst_kconfig(const char *name);
/* uname's release against "6.8": <0 older, 0 same major.minor, >0 newer. */
int tst_kver_cmp(const char *want);

/* sysfs/procfs helpers; failures are TBROK unless noted. */
/* Reads at most len-1 bytes, NUL-terminated, one trailing newline removed;
 * returns the length or -errno. */
int tst_read_file(const char *path, char *buf, size_t len);
#define tst_write_file(path, fmt, ...) tst_write_file_(__FILE__, __LINE__, (path), (fmt), ##__VA_ARGS__)
void tst_write_file_(const char *file, int line, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int tst_try_write_file(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3))); /* -errno, no TBROK */
#define tst_read_long(path) tst_read_long_(__FILE__, __LINE__, (path))
long tst_read_long_(const char *file, int line, const char *path);
/* A /proc/meminfo field in kB ("MemFree", "CmaTotal"), -1 when absent. */
long tst_meminfo_kb(const char *field);
/* A "key value" line of a file such as memory.stat; -1 when absent. */
long tst_read_key(const char *path, const char *key);

/* Run f in a forked child with its own process group; returns its exit
 * status (as from waitpid) or kills the group after timeout_s (0: no limit),
 * which then reads as killed by SIGKILL. tst_brk() in the child exits it
 * with the verdict as status; its results are recorded like the parent's. */
int tst_fork_run(void (*f)(void *), void *arg, int timeout_s);
/* Waits for pid, the leader of its own process group, for at most
 * timeout_s seconds (<= 0: no limit), then kills the whole group (what it
 * forked and left behind too) and reaps it. Returns its wait status;
 * *timed_out says whether the limit ended it. */
int tst_wait_or_kill(pid_t pid, double timeout_s, bool *timed_out);

int tst_main(int argc, char **argv, const struct tst_test *t);

#define TST_MAIN(test) \
	int main(int argc, char **argv) { return tst_main(argc, argv, &(test)); }

#include "tst_mm.h"
#include "tst_safe.h"
#include "tst_cg.h"
#include "tst_thread.h"

#endif
