/* A case: one declarative file under cases/ (ini syntax, parsed by inih). */
#ifndef MMREPRO_CASE_H
#define MMREPRO_CASE_H

#include "arch.h"
#include "stack.h"
#include <stdbool.h>
#include <stddef.h>

#define CASE_MAX_LIST 16
#define CASE_MAX_VARIANTS 16
#define CASE_MAX_NUMA 8
#define CASE_MAX_FIXES 4
#define CASE_MAX_TITLES 8
#define CASE_TITLE_LEN 200
#define CASE_MAX_PAGE_WORDS 8
#define CASE_PAGE_WORD_LEN 32
#define CASE_MAX_RATE_RUNS 1000

enum expect { EXPECT_NONE, EXPECT_PASS, EXPECT_FAIL, EXPECT_CONF };

/* An upstream commit: fixes = 33dfe9204f29 ("mm/gup: ..."). */
struct fix_commit {
	char sha[41];               /* 12 to 40 lowercase hex digits */
	char subject[160];
	int line;                   /* of its fixes line, for errors at load */
};

/* A change that has no upstream commit id to check (a mail, a review fix
 * folded into the merged version, a stable backport known by its
 * subject): fixed_by = "subject" (where). */
struct fix_note {
	char subject[160];
	char origin[120];
};

struct fix_list {
	struct fix_commit commits[CASE_MAX_FIXES];
	int ncommits;
	struct fix_note notes[CASE_MAX_FIXES];
	int nnotes;
};

/* What a variant sets for itself; what it leaves unset is the case's. */
struct variant_overrides {
	bool has_args, has_cmdline;
	char args[512];
	char cmdline[512];
	unsigned mem_mb;            /* 0: the case's */
	int cpus;                   /* 0: the case's */
	unsigned numa_mb[CASE_MAX_NUMA];
	int nnuma;                  /* 0: the case's nodes */
	int timeout_s;              /* 0: the case's */
	char configs[CASE_MAX_LIST][256]; /* fragments added after the case's [build] ones */
	int nconfigs;
	char flavor[16];            /* "": the case's */
	int panic_on_warn;          /* 0: the case's; else as in case_def */
	int flavor_line;            /* of the flavor key, for errors at load */
	bool has_arch;
	enum arch arch;
	int arch_line;
};

struct variant {
	char name[64];
	char kernel[256];           /* kernel spec, e.g. src:deb-6.12 */
	char series[256];           /* patch series dir or mbox, "" for none */
	enum expect expect;
	/* expect = fail >= rate_hits/rate_runs: at least that share of the
	 * runs hit, the others pass. 0/0: every run must hit. With
	 * rate_at_most (expect = fail <= K/N), at most that share may hit: a
	 * known residual race that a run may or may not meet. */
	int rate_hits, rate_runs;
	bool rate_at_most;
	char expect_title[256];     /* substring the crash title must contain */
	/* Substrings of report titles that must appear in this order among a
	 * run's reports (others may come between), and ones no report of a
	 * run may have. */
	int expect_titles_line;     /* of the last expect_titles key, for errors at load */
	char expect_titles[CASE_MAX_TITLES][CASE_TITLE_LEN];
	int nexpect_titles;
	char forbid_titles[CASE_MAX_TITLES][CASE_TITLE_LEN];
	int nforbid_titles;
	/* What the first run report holding a page dump must show: words of
	 * report_page_is ("anon", "large", "!lru"). */
	char expect_page[CASE_MAX_PAGE_WORDS][CASE_PAGE_WORD_LEN];
	int nexpect_page;
	/* Functions the first run report's stack must show (inlined ones
	 * where the kernel was decoded), "!name" for one it must not
	 * (host/stack.h). */
	char expect_stack[STACK_MAX_WORDS][STACK_WORD_LEN];
	int nexpect_stack;
	struct fix_list fixes;      /* the variant's own; empty: the case's */
	/* baseline = TEXT: the code from before the change the case is about
	 * (a reference, not a fix): it names no fix, and results say so. */
	char baseline[160];
	int quiet_host;             /* 1 yes, -1 no, 0: the case's */
	struct variant_overrides set;
};

/* A sysfs or sysctl file the guest init writes before the workload
 * (host/knob.c names them; guest/protocol.h's knob job line). */
struct case_knob {
	char name[64];              /* "thp.enabled", for the error line */
	char path[128];             /* "/sys/kernel/mm/transparent_hugepage/enabled" */
	char value[64];
};

struct case_def {
	char path[512];
	char name[64];
	char description[256];
	struct fix_list fixes;      /* the fix(es) the case guards */
	char fix[2048];             /* the same as one line of text, for results */
	char kernels[CASE_MAX_LIST][256]; /* kernels the default suite runs */
	char counters[CASE_MAX_LIST][256]; /* /proc/vmstat counters the report charts */
	int ncounters;
	int nkernels;
	int timeout_s;
	int idle_timeout_s;
	/* A kernel crash or hang before the workload starts normally means the
	 * case could not be tested (exit 125). A case about a boot regression
	 * sets `boot_failure = bug` in [case] so that it counts as the bug;
	 * the default is `boot_failure = untestable`. */
	bool boot_failure_is_bug;
	/* quiet_host = yes: the expectation (a race's rate) holds only on a
	 * quiet host; verify warns when it ran beside other work or --jobs. */
	bool quiet_host;

	/* [vm] */
	unsigned mem_mb;
	int cpus;
	unsigned numa_mb[CASE_MAX_NUMA]; /* per-node memory; nnuma == 0: no NUMA */
	int nnuma;
	char machine[32];           /* pc or q35 (x86_64); arm64 boots virt */
	enum arch arch;             /* the guest's: x86_64 unless [vm] arch = arm64 */
	bool iommu;                 /* intel-iommu, needs q35 */
	char devices[CASE_MAX_LIST][128];
	int ndevices;
	char cmdline[512];
	/* disk = SIZE: an empty raw disk of SIZE MiB as virtio-blk (/dev/vda in
	 * the guest), made for each run and removed after it; 0 for none. */
	unsigned disk_mb;
	/* panic_on_warn = yes|no: 1 or -1; 0 leaves it to the flavour (the
	 * debug one sets it). "no" is for a case that expects a report after
	 * a WARNING. */
	int panic_on_warn;

	/* [case] title = T: only a report whose title is T (or matches /re/)
	 * is this case's bug; any other is an "other crash" (title.h). */
	char title[CASE_TITLE_LEN];
	/* [case] expect: what verify expects on the default kernels of a case
	 * without variants (EXPECT_NONE: pass; a reproducer's case: fail). */
	enum expect expect;

	/* [guest]: the workload is one of three sources (workload.h): a suite
	 * workload (workload = NAME), a C reproducer (repro = FILE.c) or the
	 * kernel's selftests (kselftest = mm:TEST,...). For the last two,
	 * workload names the guest runner that runs them. */
	char workload[64];
	char repro[4096];           /* absolute path of the C file, "" for none */
	char repro_cflags[512];     /* extra compiler flags, split on blanks */
	int repro_time_s;           /* the reproducer's deadline after boot */
	/* repro_exit = fails: a reproducer that exits non-zero reports the
	 * bug itself (a mail's program that checks its data); the default,
	 * as syzbot's, ignores its exit status. */
	bool repro_exit_fails;
	char kselftest[512];        /* "mm:cow,gup_longterm", "" for none */
	char args[512];
	char sysctls[CASE_MAX_LIST][128];
	int nsysctls;
	char modules[CASE_MAX_LIST][64];
	int nmodules;
	char cgroup[32];            /* "v2" or "v1:memory,..." */
	char zram[32];              /* swap on zram of this size, "" for none */
	/* knob = NAME=VALUE lines (sysfs knobs, host/knob.h), and the knobs a
	 * matrix sets (sysctls among them): a file that is missing or refuses
	 * the value makes the run CONF. */
	struct case_knob knobs[CASE_MAX_LIST];
	int nknobs;

	/* [build] */
	char configs[CASE_MAX_LIST][256]; /* config fragments for built kernels */
	int nconfigs;
	/* The flavour built kernels get (host/flavor.c): "" or "normal" for the
	 * plain one, "debug". A variant may set its own; prebuilt kernels
	 * cannot take a case's flavour and boot as they are. */
	char flavor[16];

	struct variant variants[CASE_MAX_VARIANTS];
	int nvariants;
};

/* Parses a case file. On error fills err with "file:line: message" (or
 * "file: message" for what spans the whole file, like a missing key) and
 * returns -1. Each key may appear once per section, except the list keys
 * that add to what came before: kernels, fixes and fixed_by in [case],
 * device in [vm], sysctl, knob and modules in [guest], config in [build], and
 * config, fixes, fixed_by, expect_titles and forbid_titles in a variant.
 * A case with a variant that expects a failure must name its fix, and
 * every commit in fixes must also be named in the workload's source. */
int case_load(const char *path, struct case_def *c, char *err, size_t errlen);
/* Same for a case file already in memory: text need not be NUL-terminated
 * (len bytes are read, no more) and name is the path errors start with. */
int case_load_buffer(const char *name, const char *text, size_t len, struct case_def *c, char *err,
		     size_t errlen);
/* The flavour to build spec in for c (after case_for_variant): c's, when
 * it changes the kernel and spec is a source kernel; else NULL (plain). */
const char *case_build_flavor(const struct case_def *c, const char *spec);
/* The most guest RAM (MiB) the case or any of its variants gives a VM. */
unsigned case_max_mem_mb(const struct case_def *c);
/* --flavor: makes flavor the case's and every variant's. */
void case_force_flavor(struct case_def *c, const char *flavor);
/* --arch: makes arch the case's and every variant's. */
void case_force_arch(struct case_def *c, enum arch arch);
/* verify --arch: makes arch the case's, so every variant that names no
 * arch of its own runs there; a variant's own arch stays. */
void case_prefer_arch(struct case_def *c, enum arch arch);
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
/* Whether a kernel command line holds the word "--": the kernel hands
 * every word after it to init, so a knob's word or the debug flavour's
 * panic_on_warn=1 appended later would be silently lost. */
bool cmdline_has_end_of_params(const char *cmdline);
#define CMDLINE_END_OF_PARAMS_WHY "holds '--', after which the kernel hands every word to init (a later " \
	"cmdline+= knob, the debug flavour's panic_on_warn=1 would be lost)"
const char *expect_name(enum expect e);
/* "pass", "fail", "fail >= 8/10", "fail <= 3/10": the variant's expectation as written. */
void variant_expect_text(const struct variant *v, char *buf, size_t len);
/* The case as variant v runs it: v's overrides applied and v's fixes (if
 * it names any) in place of the case's. Returns 0, or -1 with err
 * ("file: [variant v] ...") when the result is inconsistent. */
int case_for_variant(const struct case_def *c, const struct variant *v, struct case_def *out, char *err,
		     size_t errlen);
/* What QEMU would refuse of c's VM: NUMA nodes that do not add up to the
 * memory or do not share the CPUs evenly, an IOMMU without q35. where
 * says whose settings these are ("[vm]", "[variant v]", a matrix's
 * knobs). Returns 0, or -1 with err. */
int case_check_topology(const struct case_def *c, const char *where, char *err, size_t errlen);
/* Writes the fixes as one line: 33dfe9204f29 ("subject"); "subject" (where).
 * Returns -1 when it does not fit. */
int fix_list_text(const struct fix_list *l, char *buf, size_t len);

#endif
