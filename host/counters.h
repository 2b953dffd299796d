/* Counter comparison: the /proc/vmstat deltas of two test points (gate's base and head), a test per counter, and the flag rule. */
#ifndef MMREPRO_COUNTERS_H
#define MMREPRO_COUNTERS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/* The mm counters judged and charted for a case that declares none
 * (`counters =` in its [case]): every vmstat name that starts with one of
 * these prefixes (page migration, THP migration and splits, NUMA
 * balancing, lazyfree, pins, LRU moves, swap, compaction, THP faults,
 * demotion and promotion). The one list: the report page uses it too. */
bool counters_is_mm(const char *name);

/* The most counter names one comparison takes from what the guest sent
 * (a case that declares none); the names beyond are counted, not dropped
 * silently: gate.json says how many ("counters_not_compared"). */
#define COUNTERS_MAX_NAMES 256
/* A value is a delta of a 64-bit event counter over one workload: a JSON
 * number whose magnitude is at most 2^53 (the largest integer a double
 * holds exactly; json-c saturates a larger integer to INT64/UINT64 max). */
#define COUNTERS_MAX_ABS 9007199254740992.0
/* Both sides at least this many runs: Mann-Whitney U; fewer: Welch's t.
 * Exact two-sided MWU p-values cannot go under 0.1 at 3 runs a side, and
 * under 0.05 need 4. */
#define COUNTERS_MWU_MIN_RUNS 4
/* Up to this many runs on both sides together, the MWU p-value is exact
 * (every split of the pooled midranks counted, ties included); above it,
 * the normal approximation with the tie correction and a continuity
 * correction of 0.5. */
#define COUNTERS_EXACT_MAX_N 40

/* The per-run values of one counter on one side. */
struct counter_sample {
	double *v;
	size_t n;
};

/* One test point's runs: dir/run-N/guest/workload.json (N a number; the
 * run-N.infra-K dirs of failed hosts are not runs), read as hostile text:
 * at most 4 MiB, never through a link, only a JSON object whose
 * "vmstat_delta" is an object. Those objects, in run order (the caller
 * puts each and frees the array); n = 0 when there are none. */
struct json_object **counters_load_runs(const char *dir, size_t *n);

/* One counter over those runs: a run that lacks it counts 0 (the guest
 * leaves out counters that did not move); a value that is not a JSON
 * number (a string, a boolean, null), not finite (NaN, Infinity) or
 * beyond COUNTERS_MAX_ABS is skipped, so that run gives no value. The
 * caller frees s->v. */
void counters_sample(struct json_object *const *runs, size_t n, const char *name, struct counter_sample *s);

double counters_mean(const struct counter_sample *s);

/* Two-sided Mann-Whitney U (Wilcoxon rank-sum) p-value of a against b, on
 * midranks: exact when na + nb <= COUNTERS_EXACT_MAX_N, else the normal
 * approximation (tie-corrected variance, continuity correction). 1 when
 * a side is empty or every value is tied. *exact says which, if given. */
double counters_mwu_p(const double *a, size_t na, const double *b, size_t nb, bool *exact);
/* Two-sided Welch's t-test p-value (Welch-Satterthwaite degrees of
 * freedom, Student's t by the regularised incomplete beta). 1 when a side
 * has fewer than 2 values; with no spread on either side, 0 when the
 * means differ and 1 when they do not. */
double counters_welch_p(const double *a, size_t na, const double *b, size_t nb);
/* The test gate uses: MWU when both sides have COUNTERS_MWU_MIN_RUNS
 * values, Welch's t when both have 2 or more, else none (p = 1). *test
 * gets "mann-whitney exact", "mann-whitney normal", "welch" or "none". */
double counters_test(const struct counter_sample *base, const struct counter_sample *head, const char **test);

/* head_mean / base_mean; with base_mean 0: INFINITY when head_mean is
 * not 0, 1 when both are 0. */
double counters_ratio(double base_mean, double head_mean);
/* The flag rule, so that noise does not flag: p < 0.05, and the means at
 * least 1 apart (one event per run on average), and the ratio >= 2 or
 * <= 0.5 (a base mean of 0 is an infinite ratio; means of opposite signs
 * a negative one). */
#define COUNTERS_P 0.05
#define COUNTERS_MIN_DIFF 1.0
#define COUNTERS_RATIO 2.0
bool counters_flag(double base_mean, double head_mean, double p);

/* Compares the counters of base_dir's and head_dir's runs: the names
 * given (a case's `counters`), or when nnames is 0 every counters_is_mm
 * name that either side sent (well-formed vmstat names only, at most
 * COUNTERS_MAX_NAMES of them; *dropped says how many more). An array,
 * sorted by p then name, of {"name","base_mean","head_mean","ratio" (null
 * when infinite),"p","test","base_values":[..],"head_values":[..],
 * "flagged"}; empty when a side has no run with a vmstat_delta. */
struct json_object *counters_compare(const char *base_dir, const char *head_dir, const char *const *names,
				     size_t nnames, size_t *dropped);
/* How many rows of counters_compare's array are flagged (0 for NULL). */
int counters_flagged(struct json_object *cmp);
/* "thp_migration_fail 0 -> 64 (p 0.0003), ..." of the flagged rows, or "". */
void counters_flagged_text(struct json_object *cmp, char *buf, size_t len);
/* One row for people: "thp_migration_fail: base 0, head 64 per run (3 and
 * 3 runs, welch p = 0.00077)". */
void counters_row_text(struct json_object *row, char *buf, size_t len);

#endif
