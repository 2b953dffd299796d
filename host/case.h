/* A case: one declarative file under cases/ (ini syntax, parsed by inih). */
#ifndef MMREPRO_CASE_H
#define MMREPRO_CASE_H

#include <stdbool.h>
#include <stddef.h>

#define CASE_MAX_LIST 16
#define CASE_MAX_VARIANTS 8
#define CASE_MAX_NUMA 8

enum expect { EXPECT_NONE, EXPECT_PASS, EXPECT_FAIL, EXPECT_CONF };

struct variant {
	char name[64];
	char kernel[256];           /* kernel spec, e.g. src:deb-6.12 */
	char series[256];           /* patch series dir or mbox, "" for none */
	enum expect expect;
	char expect_title[256];     /* substring the crash title must contain */
};

struct case_def {
	char path[512];
	char name[64];
	char description[256];
	char fix[256];              /* upstream fix commit(s) the case guards */
	char kernels[CASE_MAX_LIST][256]; /* kernels the default suite runs */
	int nkernels;
	int timeout_s;
	int idle_timeout_s;
	/* A kernel crash or hang before the workload starts normally means the
	 * case could not be tested (exit 125). A case about a boot regression
	 * sets `boot_failure = bug` in [case] so that it counts as the bug;
	 * the default is `boot_failure = untestable`. */
	bool boot_failure_is_bug;

	/* [vm] */
	unsigned mem_mb;
	int cpus;
	unsigned numa_mb[CASE_MAX_NUMA]; /* per-node memory; nnuma == 0: no NUMA */
	int nnuma;
	char machine[32];           /* pc or q35 */
	bool iommu;                 /* intel-iommu, needs q35 */
	char devices[CASE_MAX_LIST][128];
	int ndevices;
	char cmdline[512];

	/* [guest] */
	char workload[64];
	char args[512];
	char sysctls[CASE_MAX_LIST][128];
	int nsysctls;
	char modules[CASE_MAX_LIST][64];
	int nmodules;
	char cgroup[32];            /* "v2" or "v1:memory,..." */
	char zram[32];              /* swap on zram of this size, "" for none */

	/* [build] */
	char configs[CASE_MAX_LIST][256]; /* config fragments for built kernels */
	int nconfigs;

	struct variant variants[CASE_MAX_VARIANTS];
	int nvariants;
};

/* Parses a case file. On error fills err with "file:line: message" (or
 * "file: message" for what spans the whole file, like a missing key) and
 * returns -1. Each key may appear once per section, except the list keys
 * that add to what came before: kernels in [case], device in [vm], sysctl
 * and modules in [guest], config in [build]. */
int case_load(const char *path, struct case_def *c, char *err, size_t errlen);
/* Same for a case file already in memory: text need not be NUL-terminated
 * (len bytes are read, no more) and name is the path errors start with. */
int case_load_buffer(const char *name, const char *text, size_t len, struct case_def *c, char *err,
		     size_t errlen);
/* Every .case file in the repo's cases/ dir, sorted: malloc'd paths in *paths
 * (free each, then the array). Returns the count, or -1 when the dir
 * cannot be read. */
int case_list_paths(char ***paths);
/* Resolves a case name or path to a file under <root>/cases. */
int case_path(const char *name_or_path, char *out, size_t len);
/* Parses a size in MiB: a number with unit K or KiB (a whole number of
 * MiB), M or MiB, G or GiB, T or TiB; a bare number is MiB. Returns -1 on
 * error, including a result that does not fit in a long. */
long parse_size_mb(const char *s);
const char *expect_name(enum expect e);

#endif
