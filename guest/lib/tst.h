/* mmrepro guest test library, in the spirit of LTP's tst_test.h.
 *
 * A workload declares what it needs in one `struct tst_test`, and the library
 * checks those needs before setup(), saves and restores sysfs/procfs knobs,
 * snapshots /proc/vmstat around the run, and writes one JSON result file.
 *
 * Environment (set by the guest init, see guest/init.c):
 *   MMREPRO_RESULT   path of the JSON result file to write
 *   MMREPRO_KCONFIG  path of the running kernel's .config (read over 9p)
 *
 * Exit status follows LTP: 0 PASS, 1 FAIL, 2 BROK, 32 CONF.
 */
#ifndef MMREPRO_TST_H
#define MMREPRO_TST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tst_verdict { TPASS = 0, TFAIL = 1, TBROK = 2, TCONF = 32 };

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

/* Records a result line. TBROK and TCONF end the test (cleanup still runs). */
void tst_res(enum tst_verdict v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void tst_brk(enum tst_verdict v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/* A named value for result.json ("values" object), e.g. which batch failed. */
void tst_value(const char *key, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void tst_value_long(const char *key, long v);

/* /proc/vmstat: the library snapshots before setup and after run and stores
 * every changed counter under "vmstat_delta". Workloads may also read now. */
long tst_vmstat(const char *counter);  /* -1 when absent */
/* Delta of one counter since the library's first snapshot. */
long tst_vmstat_delta(const char *counter);

/* Kernel config of the running kernel: 'y', 'm', or 0 when not set. */
char tst_kconfig(const char *name);

/* sysfs/procfs helpers; failures are TBROK unless noted. */
int tst_read_file(const char *path, char *buf, size_t len); /* -errno on error */
void tst_write_file(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int tst_try_write_file(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3))); /* -errno, no TBROK */
long tst_read_long(const char *path);

/* Page helpers over /proc/self/pagemap and /proc/kpageflags. */
uint64_t tst_pagemap(const void *addr); /* raw entry */
uint64_t tst_vaddr_to_pfn(const void *addr); /* 0 if not present */
uint64_t tst_kpageflags(uint64_t pfn);
int tst_page_node(void *addr);  /* via move_pages(2) query, -errno */

int tst_numa_nodes(void);       /* online nodes */
int tst_cpu_of_node(int node);  /* first CPU of a node, -1 if none */
void tst_pin_cpu(int cpu);

/* Run f in a forked child with its own process group; returns its exit
 * status (as from waitpid) or kills the group after timeout_s. */
int tst_fork_run(void (*f)(void *), void *arg, int timeout_s);

int tst_main(int argc, char **argv, const struct tst_test *t);

#define TST_MAIN(test) \
	int main(int argc, char **argv) { return tst_main(argc, argv, &(test)); }

#endif
