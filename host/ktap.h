/* Parser of one kselftest's (K)TAP output into its leaf subtests. */
#ifndef MMREPRO_KTAP_H
#define MMREPRO_KTAP_H

#include <stdbool.h>
#include <stddef.h>

/* Limits against hostile guest output: past KTAP_MAX_SUBTESTS entries the
 * result is marked truncated; names and reasons are cut to KTAP_NAME_MAX
 * bytes (ending in "..."); lines nested deeper than KTAP_MAX_DEPTH levels
 * (4 spaces each) are treated as noise. */
#define KTAP_MAX_SUBTESTS 100000
#define KTAP_NAME_MAX 512
#define KTAP_MAX_DEPTH 32

/* One kselftest's (K)TAP output, parsed into subtests. */
enum ktap_status { KTAP_PASS, KTAP_FAIL, KTAP_SKIP, KTAP_XFAIL, KTAP_ERROR };

struct ktap_subtest {
	char *test;    /* the kselftest binary, e.g. "cow" (malloc'd) */
	char *name;    /* the subtest's description as printed, sanitised (malloc'd);
	                * a nested leaf is "parent: child"; with no description,
	                * the directive's text, else "#N" */
	enum ktap_status status;
	char *reason;  /* the directive's text after # SKIP / # XFAIL / # TODO (or a
	                * plain "# comment"), or why ERROR; "" if none (malloc'd) */
	int number;    /* its test number, 0 for synthesised entries */
};

struct ktap_result {
	struct ktap_subtest *subs;
	int n, cap;         /* grows without limit except KTAP_MAX_SUBTESTS */
	int planned;        /* from the plan line 1..N (the outermost one), -1 when none was seen */
	bool truncated;     /* output ended before the plan was met, or hit a size cap */
	char summary[128];  /* "Totals: pass:.. fail:.." if the test printed one, else "" */
};

/* Parses the output (not NUL-terminated, len bytes) of kselftest `test`,
 * which exited with exit_code (kselftest: 0 pass, 1 fail, 4 skip; -1
 * killed/timeout, reason in `end_reason`, may be NULL). *out is overwritten
 * (no need to initialise it) and must be released with ktap_free.
 *
 * Results missing from a plan (output ended, or "Bail out!") become ERROR
 * entries "#K (no result: ...)" (SKIP when the test exited 4 on its own)
 * and set truncated. With no result line at all, one entry named after the
 * test carries the exit code's status; so does an extra one when the exit
 * code says fail or killed but no parsed entry failed.
 * Returns 0, or -1 only on allocation failure (then *out is empty). */
int ktap_parse(const char *test, const char *text, size_t len, int exit_code,
	       const char *end_reason, struct ktap_result *out);
void ktap_free(struct ktap_result *r);
/* "PASS" "FAIL" "SKIP" "XFAIL" "ERROR" */
const char *ktap_status_name(enum ktap_status s);
/* How many entries of r have status s. */
int ktap_count(const struct ktap_result *r, enum ktap_status s);

#endif
