/* `verify`: run every variant a case declares (kernel + series + expected
 * verdict) and show whether the case detects the bug and passes the fix. */
#ifndef MMREPRO_VERIFY_H
#define MMREPRO_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "case.h"
#include "result.h"
#include "stats.h"
#include "vm.h"

struct pool;

#include <json-c/json.h>

/* Whether titles appear, in this order, among the run's reports (each as
 * a substring of a report's title; other reports may come between). */
/* Whether the first of the run's reports that holds a page dump shows
 * every word (report_page_is); false when none holds one. True for n 0. */
bool verify_page_matches(const struct run_result *r, const char words[][CASE_PAGE_WORD_LEN], int n);
bool verify_titles_in_order(const struct run_result *r, const char titles[][CASE_TITLE_LEN], int n);
/* The first of the run's reports whose title contains one of titles, or NULL. */
const struct report *verify_forbidden_report(const struct run_result *r, const char titles[][CASE_TITLE_LEN],
					     int n);
/* One run as variant v sees it: stats_classify against v's title, except
 * that a FAIL without v's expect_titles in order, or with a forbidden
 * title, is no hit (RUN_OTHER_CRASH). *forbidden says whether a report
 * had a forbidden title. */
enum run_kind verify_classify(const struct variant *v, const struct run_result *r, bool *forbidden);
/* Whether the runs tallied meet v's expectation: every run as expected
 * (pass, conf, or a hit), or for fail >= K/N at least K/N of the runs hit
 * and the others pass, for fail <= K/N at most K/N of them (rounded up to
 * whole runs). Any run with a
 * forbidden title is a mismatch. */
bool verify_matches(const struct variant *v, const struct tally *t, int forbidden_runs);

/* Returns 0 when every variant matched, 1 when one did not, 130 when
 * interrupted. When summary is not NULL, one object per variant (with
 * "case") is appended to that JSON array. */
struct verify_opts {
	const char *only_variant;   /* NULL: every variant */
	const char *out_dir;        /* NULL: results/<time>-<case>-verify-<pid> */
	int runs, timeout_s;
	bool verbose;
	enum accel_mode accel;
	struct pool *pool;
	/* reproduce: only the variants for this arch, the others "not run";
	 * NULL: every variant, whatever its arch. */
	const enum arch *only_arch;
};
int verify_case(const struct case_def *c, const struct verify_opts *o, struct json_object *summary);

/* A case's verification in steps, for a caller that runs the variants of
 * several cases in an order of its own (reproduce). verify_begin claims
 * the results dir; verify_run runs variant i and returns its hits (runs
 * that showed a bug), or -1 when interrupted; verify_record counts runs
 * for variant i as if a run of it gave them (verify_run's own step, and
 * the tests'); verify_finish prints the table of the variants that ran,
 * in the case's order whatever order they ran in, writes verify.json,
 * appends their rows to summary (when not NULL), frees the job and
 * returns what verify_case would. */
struct verify_job;
struct verify_job *verify_begin(const struct case_def *c, const struct verify_opts *o);
int verify_run(struct verify_job *j, int i);
void verify_record(struct verify_job *j, int i, const struct run_result *r, int n);
int verify_finish(struct verify_job *j, struct json_object *summary);
/* Whether variant i of c has its kernel at hand without a build: a
 * prebuilt one, or a built one already in the cache. key: its build key
 * ("" for a prebuilt kernel or when it cannot be planned). */
bool verify_variant_ready(const struct case_def *c, int i, char *key, size_t len);

#endif
