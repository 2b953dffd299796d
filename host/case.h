/* A case: one declarative file under cases/ (ini syntax, parsed by inih). */
#ifndef MMREPRO_CASE_H
#define MMREPRO_CASE_H

#include <stdbool.h>
#include <stddef.h>

#define CASE_MAX_LIST 16
#define CASE_MAX_VARIANTS 8

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
	bool boot_failure_is_bug;   /* placeholder until the case parser sets it */

	/* [vm] */
	unsigned mem_mb;
	int cpus;
	unsigned numa_mb[8];        /* per-node memory; nnuma == 0: no NUMA */
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

/* Parses a case file. On error fills err with "file:line: message" and
 * returns -1. */
int case_load(const char *path, struct case_def *c, char *err, size_t errlen);
/* Resolves a case name or path to a file under <root>/cases. */
int case_path(const char *name_or_path, char *out, size_t len);
/* Parses sizes like 512M, 2G, 1024 (MiB). Returns -1 on error. */
long parse_size_mb(const char *s);
const char *expect_name(enum expect e);

#endif
