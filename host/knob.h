/* Knobs a matrix varies (--knob NAME=V1,V2): what each name means, which values it takes, and what a value does to a case. */
#ifndef MMREPRO_KNOB_H
#define MMREPRO_KNOB_H

#include <stdbool.h>
#include <stddef.h>

#include "case.h"

/* The most rows a matrix runs: each is a test point of N VMs. */
#define KNOB_MAX_COMBINATIONS 64
#define KNOB_MAX_KNOBS 16
/* The value that leaves the knob as the case has it. */
#define KNOB_DEFAULT "default"
#define THP_SYSFS "/sys/kernel/mm/transparent_hugepage"

enum knob_kind {
	KNOB_CPUS,      /* cpus=N: [vm] cpus */
	KNOB_MEMORY,    /* memory=SIZE: [vm] memory (split evenly over the case's NUMA nodes) */
	KNOB_NUMA,      /* numa=SIZE+SIZE or none: [vm] numa (and the memory, their sum) */
	KNOB_ZRAM,      /* zram=SIZE or none: [guest] zram */
	KNOB_CMDLINE,   /* cmdline+=WORD: WORD on the kernel command line, replacing the case's word of that parameter */
	KNOB_SYSCTL,    /* vm.NAME, kernel.numa_balancing: /proc/sys, in place of the case's sysctl line */
	KNOB_SYSFS,     /* thp.enabled, thp.defrag, thp.shrink_underused, mthp.SIZE.enabled */
};

struct knob {
	char name[64];           /* as given: "thp.enabled", "cmdline+" */
	char key[160];           /* what makes two knobs one: the file, or "cmdline+PARAM" */
	enum knob_kind kind;
	char path[128];          /* KNOB_SYSCTL, KNOB_SYSFS: the guest's file */
	char param[64];          /* KNOB_CMDLINE: the parameter every value sets */
	const char *const *choices; /* the values a file takes (NULL-terminated); NULL: checked by kind */
	char **values;           /* malloc'd; KNOB_DEFAULT is the case's own */
	int nvalues;
};

struct knob_list {
	struct knob *knobs;      /* malloc'd */
	int n;
};

/* Every --knob argument, checked: known names, values each name takes,
 * no knob twice, no value twice, at most KNOB_MAX_COMBINATIONS rows (unless
 * only the first values count, for --minimize). Returns 0, or -1 with err
 * naming the argument. */
int knob_list_parse(const char *const *args, int n, bool first_values_only, struct knob_list *l, char *err,
		    size_t errlen);
void knob_list_free(struct knob_list *l);
/* The number of rows: the product of the value counts. */
int knob_combinations(const struct knob_list *l);

/* One knob at one of its values. */
struct knob_setting {
	const struct knob *knob;
	const char *value;
};

/* Row `row` of the matrix (the last knob changes fastest): one setting
 * per knob into s[l->n]. */
void knob_row(const struct knob_list *l, int row, struct knob_setting *s);
bool knob_is_default(const struct knob_setting *s);
/* "thp.enabled=always", "cmdline+=numa_balancing=disable". */
void knob_setting_text(const struct knob_setting *s, char *buf, size_t len);
/* The settings that are not "default", space-separated; "(the case's own)" for none. */
void knob_settings_text(const struct knob_setting *s, int n, char *buf, size_t len);

/* c with the settings applied (the default ones leave c as it is).
 * Returns 0, or -1 with err naming the settings when the VM they give
 * could not run (NUMA nodes that do not add up to the memory, CPUs that
 * do not divide among them, a command line or a knob list too long). */
int knob_apply(struct case_def *c, const struct knob_setting *s, int n, char *err, size_t errlen);

/* A case file's knob = NAME=VALUE line (sysfs knobs only: sysctls have
 * their own key): appended to c->knobs. -1 with err. */
int knob_case_line(struct case_def *c, const char *line, char *err, size_t errlen);

/* What a workload writes itself: its --list-knobs lines (protocol.h). */
struct declared_knob {
	char path[160];
	char value[64];          /* "": only saved and restored */
};

/* Parses --list-knobs output, which is hostile: one "knob PATH [VALUE]"
 * line each, nothing else, bounded sizes. malloc'd array in *out. */
int knob_parse_declared(const char *text, struct declared_knob **out, int *n, char *err, size_t errlen);

/* Refuses a knob of l, or a knob line of c, that workload writes itself
 * after the guest has set it (the knob would be silently lost), and a
 * cmdline+= parameter whose file the workload writes. Returns 0, or -1
 * with err naming both the knob and the workload's own setting. */
int knob_check_conflicts(const struct knob_list *l, const struct case_def *c, const char *workload,
			 const struct declared_knob *d, int nd, char *err, size_t errlen);

#endif
