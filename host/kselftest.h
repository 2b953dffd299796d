/* The kernel's own selftests as a workload: the spec (mm:cow,gup_longterm),
 * what each test needs of the VM, and their build from the very source
 * tree being tested. */
#ifndef MMREPRO_KSELFTEST_H
#define MMREPRO_KSELFTEST_H

#include <stdbool.h>
#include <stddef.h>

struct case_def;
struct kernel;

/* What one test needs of the VM, after run_vmtests.sh, and why. */
struct kselftest_needs {
	const char *test;
	int numa_nodes;      /* 0: none */
	int cpus;            /* at least this many vCPUs, 0: the case's */
	int hugepages;       /* 2 MiB hugetlb pages (vm.nr_hugepages), 0: none */
	bool swap;           /* swap (zram) for MADV_PAGEOUT paths */
	int timeout_s;       /* under TCG */
	bool by_default;     /* run by a bare "mm" */
	const char *why;
};

/* A parsed spec: the selftest dir and its tests (malloc'd). */
struct kselftest_spec {
	char suite[32];      /* "mm" or "cgroup": tools/testing/selftests/<suite> */
	char **tests;
	int ntests;
};

/* "mm", "mm:cow", "mm:cow,gup_longterm". 0, or -1 with why. */
int kselftest_spec_parse(const char *text, struct kselftest_spec *s, char *why, size_t len);
int kselftest_spec_check(const char *text, char *why, size_t len);
void kselftest_spec_free(struct kselftest_spec *s);
/* The test's row; a test the table does not know gets the defaults. */
struct kselftest_needs kselftest_needs_of(const char *suite, const char *test);
/* Gives a kselftest case what its tests need where the case left it
 * unset (NUMA nodes, hugetlb pages, swap, timeout) and says so on
 * stderr. Returns -1 with err when the spec is bad. */
int kselftest_apply_needs(struct case_def *c, char *err, size_t errlen);
/* The runner's arguments: "--suite mm --tests cow:600,gup_longterm:300". */
void kselftest_runner_args(const struct kselftest_spec *s, char *out, size_t len);

/* The built tests of one kernel's tree: dir holds a binary per test that
 * built; failed[] names those that did not (malloc'd). */
struct kselftest_build {
	char dir[4096];
	char source[256];    /* the tree they came from: spec + series */
	char **failed;
	int nfailed;
};
/* Builds the spec's tests from k's source tree (a source kernel's own,
 * with its series; Debian's linux-source of the same version for deb:),
 * against that tree's headers, cached per tree. Returns 0 (some tests
 * may have failed to build: see failed), or an exit code with err. */
int kselftest_build(const struct kernel *k, const struct kselftest_spec *s, int signal_fd,
		    struct kselftest_build *out, char *err, size_t errlen);
void kselftest_build_free(struct kselftest_build *b);

#endif
