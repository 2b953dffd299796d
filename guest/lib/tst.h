/* mmrepro guest test library, in the spirit of LTP's tst_test.h.
 *
 * A workload declares what it needs in one `struct tst_test`, and the library
 * checks those needs before setup(), saves and restores sysfs/procfs knobs,
 * snapshots /proc/vmstat around the run, and writes one JSON result file.
 *
 * setup(), run() and cleanup() run in a forked child (as in kselftest's
 * harness), so a crash of the workload still gives a BROK result naming the
 * signal. The parent checks needs, writes and restores knobs, and writes the
 * result. Library arguments, removed before setup() sees argv:
 *   --timeout S   kill the workload after S seconds (BROK); default none
 *
 * Environment (set by the guest init, see guest/init.c):
 *   MMREPRO_RESULT   path of the JSON result file to write (none if unset)
 *   MMREPRO_KCONFIG  path of the running kernel's .config (from the initramfs)
 *
 * Verdict (LTP's rules): any FAIL gives FAIL; else any BROK gives BROK; else
 * CONF if there was a CONF and no PASS; else PASS. No result at all is BROK.
 * Exit status follows LTP: 0 PASS, 1 FAIL, 2 BROK, 32 CONF.
 */
#ifndef MMREPRO_TST_H
#define MMREPRO_TST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tst_verdict { TPASS = 0, TFAIL = 1, TBROK = 2, TCONF = 32, TINFO = 16 };

struct tst_knob {
	const char *path;   /* e.g. "/sys/kernel/mm/transparent_hugepage/enabled" */
	const char *value;  /* written before setup(); NULL = only save/restore */
	bool optional;      /* a missing knob is CONF unless optional */
};

struct tst_test {
	const char *name;
	const char *fix_commit;          /* the upstream fix this guards, or NULL */
	const char *const *needs_kconfigs; /* "CONFIG_CMA" or "CONFIG_CMA=y", NULL-terminated */
	unsigned long min_mem_mb;        /* MemTotal below this is CONF */
	int min_numa_nodes;              /* fewer online nodes is CONF */
	int min_cpus;
	const struct tst_knob *knobs;    /* terminated by { NULL } */
	void (*setup)(int argc, char **argv);
	void (*run)(void);
	void (*cleanup)(void);
};

/* Records a result line and prints "mmrepro: TPASS: msg". TPASS, TFAIL and
 * TCONF (a skipped sub-check) continue; TBROK ends the test like tst_brk().
 * TINFO is printed only, never recorded. The message may use %m. */
void tst_res(enum tst_verdict v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Records a result and ends the test; cleanup() still runs (once). */
void tst_brk(enum tst_verdict v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/* A named value for result.json ("values" object), e.g. which batch failed.
 * Setting a key again replaces its value. */
void tst_value(const char *key, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void tst_value_long(const char *key, long v);

/* /proc/vmstat: the library snapshots before setup and after run and stores
 * every changed counter under "vmstat_delta". Workloads may also read now. */
long tst_vmstat(const char *counter);  /* -1 when absent */
/* Delta of one counter since the library's first snapshot; 0 when absent. */
long tst_vmstat_delta(const char *counter);

/* Kernel config of the running kernel: 'y', 'm', or 0 when not set (or when
 * MMREPRO_KCONFIG is unset). Other values (numbers, strings) read as 'y'. */
char tst_kconfig(const char *name);

/* sysfs/procfs helpers; failures are TBROK unless noted. */
/* Reads at most len-1 bytes, NUL-terminated, one trailing newline removed;
 * returns the length or -errno. */
int tst_read_file(const char *path, char *buf, size_t len);
void tst_write_file(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int tst_try_write_file(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3))); /* -errno, no TBROK */
long tst_read_long(const char *path);
/* A /proc/meminfo field in kB ("MemFree", "CmaTotal"), -1 when absent. */
long tst_meminfo_kb(const char *field);

/* Page helpers over /proc/self/pagemap and /proc/kpageflags (root only:
 * others read pfn 0). */
uint64_t tst_pagemap(const void *addr); /* raw entry */
/* Raw entries of npages consecutive pages from addr (page aligned). */
void tst_pagemap_range(const void *addr, size_t npages, uint64_t *entries);
uint64_t tst_pagemap_pfn(uint64_t entry); /* 0 if not present */
uint64_t tst_vaddr_to_pfn(const void *addr); /* 0 if not present */
uint64_t tst_kpageflags(uint64_t pfn);
int tst_page_node(void *addr);  /* via move_pages(2) query, -errno */
int tst_pfn_node(uint64_t pfn); /* zone spans in /proc/zoneinfo, -1 if none */

int tst_numa_nodes(void);       /* online nodes */
int tst_cpu_of_node(int node);  /* first CPU of a node, -1 if none */
void tst_pin_cpu(int cpu);      /* the calling thread; new threads inherit */

/* Run f in a forked child with its own process group; returns its exit
 * status (as from waitpid) or kills the group after timeout_s (0: no limit),
 * which then reads as killed by SIGKILL. tst_brk() in the child exits it
 * with the verdict as status; its results are recorded like the parent's. */
int tst_fork_run(void (*f)(void *), void *arg, int timeout_s);

/* CMA areas (debugfs cma/<area>/base_pfn and count, else the "cma: Reserved"
 * kernel log line). TBROK when CmaTotal is 0 or below min_mb. */
struct tst_cma_area {
	uint64_t base, count;   /* in pages */
};
int tst_cma_find(long min_mb, struct tst_cma_area *areas, int max);
bool tst_pfn_in_cma(const struct tst_cma_area *areas, int n, uint64_t pfn);

int tst_main(int argc, char **argv, const struct tst_test *t);

#define TST_MAIN(test) \
	int main(int argc, char **argv) { return tst_main(argc, argv, &(test)); }

#endif
