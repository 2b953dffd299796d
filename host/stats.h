/* Run statistics shared by verify, bisect and gate: tallies, intervals, tests, verdicts. */
#ifndef MMREPRO_STATS_H
#define MMREPRO_STATS_H

#include <json-c/json.h>
#include <stddef.h>

#include "result.h"

enum run_kind { RUN_HIT, RUN_OTHER_CRASH, RUN_CLEAN, RUN_INFRA, RUN_CONF, RUN_INTERRUPTED };

/* One run against the case's expected bug (expect_title NULL or "" = any);
 * a run marked other_crash (its --title did not match) is OTHER_CRASH:
 * - FAIL with a console crash: HIT when report.title contains expect_title,
 *   else OTHER_CRASH (an unrelated crash is counted apart, never as the bug).
 * - FAIL without one (the workload's own FAIL, a hang, a flood, a boot
 *   failure the case counts): HIT when reason or report.title contains
 *   expect_title, else OTHER_CRASH.
 * - PASS: CLEAN; CONF: CONF; INTERRUPTED: INTERRUPTED;
 *   BROK, ABANDONED and RUNNING: INFRA. */
enum run_kind stats_classify(const struct run_result *r, const char *expect_title);
const char *stats_run_kind_name(enum run_kind k);

struct tally {
	int runs, hits, clean, other_crash, infra, conf, interrupted;
	char other_title[256]; /* the first OTHER_CRASH's title (or reason) */
	char hit_title[256];   /* the first HIT's title (or reason) */
	char infra_reason[256]; /* the first INFRA run's reason */
	char conf_reason[256];  /* the first CONF run's reason */
};

void stats_add(struct tally *t, const struct run_result *r, const char *expect_title);
/* The same for a run its caller has already classified (verify's own expectations). */
void stats_add_kind(struct tally *t, const struct run_result *r, enum run_kind kind);
/* hits + clean + other_crash: infra, conf and interrupted runs tested nothing. */
int stats_valid(const struct tally *t);

struct interval {
	double lo, hi;
};

/* Wilson score interval of hits/n at 95%; n <= 0 gives [0, 1]. */
struct interval stats_wilson(int hits, int n);

/* One-sided Fisher exact test: the p-value that head's hit proportion is
 * greater than base's (upper hypergeometric tail). Exact via lgamma for n
 * up to several thousand. Empty or inconsistent counts give 1 (no evidence). */
double stats_fisher_one_sided(int head_hits, int head_n, int base_hits, int base_n);
/* Two-sided: the total probability of the tables no more likely than the
 * observed one (relative tolerance 1e-7, as R's fisher.test). */
double stats_fisher_two_sided(int head_hits, int head_n, int base_hits, int base_n);

enum point_verdict { POINT_BAD, POINT_GOOD, POINT_SKIP };

/* One kernel run N times (N = runs - interrupted; valid = stats_valid), as
 * bisect and gate see it: a bug that hits at all is there, however rarely.
 * - BAD when hits >= 2, or when N < 4 and valid >= 1 and every valid run hit.
 * - GOOD when hits == 0, clean >= 1 and clean >= ceil(N / 2): runs that
 *   crashed otherwise (another title) may have hidden the bug.
 * - SKIP otherwise (too few valid runs, or a single hit among many runs). */
enum point_verdict stats_point(const struct tally *t);
/* Wald's sequential probability ratio test of a point's runs so far:
 * "bad" is a hit rate of p_bad (clamped to 0.05..0.95), "good" one of
 * STATS_SPRT_P_GOOD, both error rates alpha. Hits and clean runs count;
 * other crashes, infra and conf runs say nothing about the bug. Returns
 * POINT_BAD or POINT_GOOD once the log likelihood ratio crosses
 * log((1 - alpha) / alpha) or its negative, -1 while it has not. */
#define STATS_SPRT_P_GOOD 0.01
int stats_sprt(int hits, int clean, double p_bad, double alpha);
/* "bad", "good", "skip". */
const char *stats_point_name(enum point_verdict v);
/* For verify, whose variants expect all runs to hit or none: FLAKY when
 * 0 < hits < valid and the Wilson interval of hits/valid contains 0.5, so
 * the runs cannot tell "mostly hits" from "mostly clean" (2/10, 1/3, 5/10;
 * not 9/10). */
bool stats_flaky(const struct tally *t);

/* The chance that no good step of a bisection was really bad and just
 * missed the bug: the product over good steps of 1 - (1 - p_bad)^valid,
 * p_bad being the bad end's hit rate. p_bad <= 0 gives 0; n == 0 gives 1. */
double stats_bisect_confidence(double p_bad, const int *valid_runs_of_good_steps, int n);

/* {"runs","hits","clean","other_crash","infra","conf","interrupted","valid",
 *  "hit_rate" (null without valid runs),"ci95":[lo,hi],"verdict",
 *  "hit_title"?,"other_title"?}; the caller puts it. */
struct json_object *stats_tally_json(const struct tally *t);
/* The inverse, for counts that another process wrote (gate --jobs). */
void stats_tally_from_json(struct json_object *o, struct tally *t);

/* e.g. "3/4 hit (75%, 95% CI 30-95%), 1 infra", for terminal tables. */
void stats_tally_text(const struct tally *t, char *buf, size_t len);

#endif
