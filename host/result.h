/* Results of runs: verdicts, result.json, JUnit XML and TAP summaries. */
#ifndef MMREPRO_RESULT_H
#define MMREPRO_RESULT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

#include "case.h"
#include "console.h"
#include "emulator.h"
#include "report.h"

/* A flooding guest can print a report a line; a run keeps this many. */
#define RESULT_MAX_REPORTS 256

enum verdict { V_PASS, V_FAIL, V_BROK, V_CONF, V_RUNNING, V_INTERRUPTED, V_ABANDONED };

struct run_result {
	char case_name[64];
	char variant[64];
	char kernel_spec[256];
	char kernel_release[128];
	char kernel_source[64];    /* the exact source version or commit of a built kernel, "" */
	char series[256];
	char flavor[16];           /* the kernel's flavour: normal, debug */
	char fix[2048];            /* the case's (or variant's) fixes, as one line */
	char counters[1024];       /* the case's vmstat counters for charts, space-separated */
	int index;                 /* 1-based run number */
	enum verdict verdict;
	char reason[512];
	char init_error[256];      /* the guest init's "mmrepro-init: error:" line */
	struct report report;      /* the run's report: the first one once the workload ran */
	struct report boot_report; /* a report before the workload started, if any */
	/* Every report on the console, in order (malloc'd; run_free_results
	 * frees it). The first nboot_reports came before the workload (none
	 * when the case counts boot failures as its bug); the rest are the
	 * run's. At most RESULT_MAX_REPORTS are kept; reports_truncated says
	 * that more followed. */
	struct report *reports;
	int nreports, nboot_reports;
	bool reports_truncated;
	bool boot_failure_is_bug;  /* the case counts a crash or hang before the workload as its bug */
	char accel[8];             /* kvm or tcg */
	char accel_reason[256];
	char qemu_error[256];      /* the telling line of QEMU's stderr, if any */
	char host[256];            /* where it ran: "local" or a libvirt URI */
	char backend[8];           /* qemu or libvirt */
	int slot;                  /* the slot of the pool it ran on, from 0 */
	int jobs;                  /* the pool's slots (--jobs) */
	char jobs_auto[320];       /* how --jobs auto chose them, "" when given */
	bool infra;                /* the host failed, not the guest: never a hit or a pass */
	/* The first report is a known TCG artifact (emulator.h): never a hit
	 * or a pass. emulator_retries: the attempts run-N.emulator-K before
	 * this one, each such an artifact. */
	enum emulator_artifact emulator;
	int emulator_retries;
	enum console_end console_end;
	struct json_object *workload; /* the guest's workload.json, or NULL */
	struct json_object *decoded;  /* every report's frames to file:line (decode.c), or NULL */
	/* What the workload's source adds (workload.h): the kselftests'
	 * subtests [{"test","name","status","reason"}], or NULL. */
	struct json_object *subtests;
	char report_test[64];      /* the kselftest running when the report came, "" */
	char workload_source[300]; /* where the kselftests came from, "" */
	/* What the suite changed in a report's base config, or NULL. */
	struct json_object *config_changes;
	/* The VM the run had: memory, cpus, numa, cmdline, sysctls (or NULL). */
	struct json_object *vm_shape;
	/* A --title (or a case's title =) was given and this run's report is
	 * not it: an unrelated crash, neither the bug nor clean (exit 125). */
	char title_pattern[CASE_TITLE_LEN];
	bool other_crash;
	double prepare_s, init_s, boot_s, workload_s, total_s; /* init_s: QEMU start to guest init */
	char dir[4096];
};

/* What the guest sent over its result channel, parsed strictly. */
struct guest_results {
	char *status;              /* "exit=0", "timeout", ...; NULL when not sent */
	char *json;                /* the workload's result JSON; NULL when not sent */
	char *kselftest;           /* the kselftest runner's log; NULL when not sent */
	size_t kselftest_len;
	char *repro;               /* a reproducer's output (its last run); NULL when not sent */
	size_t repro_len;
	char problem[160];         /* why (part of) the channel was rejected, or "" */
};

/* The channel is records "mmrepro-result NAME LEN\n" + LEN bytes + "\n",
 * ended by "mmrepro-result-end\n". Only known names, each once and at most
 * max_record bytes, are kept; anything else is reported in problem. */
void result_parse_channel(const char *buf, size_t len, size_t max_record, struct guest_results *out);
void result_free_channel(struct guest_results *g);

const char *verdict_name(enum verdict v);
/* Exit code for one verdict: PASS 0, FAIL 1, CONF/BROK/ABANDONED 125, interrupted 130. */
int verdict_exit_code(enum verdict v);
/* The same for a run: a FAIL that is another crash than the one asked
 * for (--title) tested nothing, 125. */
int result_exit_code(const struct run_result *r);
/* Marks r as an other crash when it has a title pattern, failed, and
 * none of its reports (or its hang or flood title) matches it. A
 * kselftest run that failed with no kernel report is judged by its
 * subtests instead: FAIL when one failing "TEST: NAME" matches, else
 * PASS (the named subtest passed; others may have failed). */
void result_apply_title(struct run_result *r);
/* Exit code for several runs: any FAIL is a hit. */
int verdict_exit_code_many(const struct run_result *r, int n);

/* Decides the verdict of one run from the console end, the classifier, the
 * init markers and the workload's own result. */
void result_decide(struct run_result *r, const struct console_result *con,
		   const char *workload_status);

/* Fills r->reports with every report in the console log, in order, and
 * counts those before workload_line (the workload's first console line;
 * <= 0 when it never started) as boot reports, unless the case counts
 * boot failures as its bug. Titles are sanitised. */
void result_collect_reports(struct run_result *r, const char *log, size_t len, int workload_line);
/* The run's reports: those from the workload on. */
static inline const struct report *result_run_reports(const struct run_result *r, int *n)
{
	*n = r->nreports - r->nboot_reports;
	return r->reports ? r->reports + r->nboot_reports : NULL;
}
void result_free_reports(struct run_result *r);

struct json_object *result_to_json(const struct run_result *r);
/* Any JSON document, pretty, written atomically. 0 or -errno (-ENOMEM
 * when it cannot be printed). */
int result_write_json(const char *path, struct json_object *o);
/* <dir>/result.json, atomically. 0 or -errno: the caller names the file. */
int result_write(const struct run_result *r);
/* Reads <dir>/result.json back (a run another process did): the fields
 * the summaries, verify, gate and bisect use. -1 when it is missing or
 * not a result. The caller frees r->workload. */
int result_read(const char *dir, struct run_result *r);
/* <out>/result.json (all runs), <out>/junit.xml, <out>/results.tap, each
 * atomically; all three are tried. 0, or the first failure's -errno, with
 * its path in failed (when not NULL). */
int result_write_summary_at(const char *out, const struct run_result *runs, int n, char *failed, size_t failed_len);
/* The same, saying on stderr which file could not be written. */
int result_write_summary(const char *out, const struct run_result *runs, int n);
/* The one-line verdict printed per run. */
void result_print_line(const struct run_result *r, FILE *f);

#endif
