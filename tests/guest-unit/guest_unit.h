/* Shared by the guest library's unit tests: running a tst_test the way a
 * workload runs, and reading the result file it wrote. */
#ifndef MMREPRO_GUEST_UNIT_H
#define MMREPRO_GUEST_UNIT_H

#include "tst.h"

#include <check.h>
#include <json-c/json.h>

struct outcome {
	int status;            /* exit status of tst_main() */
	json_object *result;   /* the result file, NULL when none */
	char reason[1024];
	char verdict[16];
};

/* Runs tst_main() on t in a forked child. argv[0] is the test's name;
 * args follow, NULL-terminated. */
struct outcome run_test(const struct tst_test *t, const char *const *args);
void outcome_free(struct outcome *o);
/* A key of the result's "values", NULL when absent. */
const char *value_of(const struct outcome *o, const char *key);

Suite *guest_vma_suite(void);

#endif
