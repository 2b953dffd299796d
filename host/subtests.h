/* kselftest subtests compared between two kernels (gate's base and head):
 * each subtest's failures over the runs of each side, and what changed. */
#ifndef MMREPRO_SUBTESTS_H
#define MMREPRO_SUBTESTS_H

#include <json-c/json.h>

/* Reads run-N/result.json under base_dir and head_dir and returns an
 * array, one row per subtest seen on either side:
 * {"test","name","path":"mm.TEST.NAME","base":{"fail","skip","runs"},"head":{..},
 *  "outcome": "regression"|"fixed"|"still failing"|"clean"|"flaky"}.
 * A subtest fails in a run when its status is FAIL or ERROR; a run that
 * does not list it does not count for it. NULL when neither side has
 * subtests. */
struct json_object *subtests_compare(const char *suite, const char *base_dir, const char *head_dir);
/* The outcome of one row from its counts: regression when the base never
 * failed it and the head failed it in every run, or at least twice, or
 * with a one-sided Fisher p < 0.05; fixed the reverse; still failing when
 * both fail it in every run; flaky otherwise; "not on both sides" when
 * one side never ran it. */
const char *subtests_outcome(int base_fail, int base_runs, int head_fail, int head_runs);
/* KCIDB's status of a row on one side: FAIL when any run failed it, SKIP
 * when every run skipped it, MISS when the side never ran it, else PASS. */
const char *subtests_side_status(struct json_object *row, const char *side);
/* How many rows of cmp have that outcome. */
int subtests_count(struct json_object *cmp, const char *outcome);

#endif
