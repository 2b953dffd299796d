/* Results of runs: verdicts, result.json, JUnit XML and TAP summaries. */
#ifndef MMREPRO_RESULT_H
#define MMREPRO_RESULT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

#include "console.h"
#include "report.h"

enum verdict { V_PASS, V_FAIL, V_BROK, V_CONF, V_RUNNING, V_INTERRUPTED };

struct run_result {
	char case_name[64];
	char variant[64];
	char kernel_spec[256];
	char kernel_release[128];
	char series[256];
	char fix[256];
	int index;                 /* 1-based run number */
	enum verdict verdict;
	char reason[512];
	char init_error[256];      /* the guest init's "mmrepro-init: error:" line */
	struct report report;
	enum console_end console_end;
	struct json_object *workload; /* the guest's workload.json, or NULL */
	double prepare_s, init_s, boot_s, workload_s, total_s; /* init_s: QEMU start to guest init */
	char dir[4096];
};

const char *verdict_name(enum verdict v);
/* Exit code for one verdict: PASS 0, FAIL 1, CONF/BROK 125, interrupted 130. */
int verdict_exit_code(enum verdict v);
/* Exit code for several runs: any FAIL is a hit. */
int verdict_exit_code_many(const struct run_result *r, int n);

/* Decides the verdict of one run from the console end, the classifier, the
 * init markers and the workload's own result. */
void result_decide(struct run_result *r, const struct console_result *con,
		   const char *workload_status);

struct json_object *result_to_json(const struct run_result *r);
/* <dir>/result.json, atomically. */
int result_write(const struct run_result *r);
/* <out>/result.json (all runs), <out>/junit.xml, <out>/results.tap. */
int result_write_summary(const char *out, const struct run_result *runs, int n);
/* The one-line verdict printed per run. */
void result_print_line(const struct run_result *r, FILE *f);

#endif
