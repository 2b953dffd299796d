/* `verify`: run every variant a case declares (kernel + series + expected
 * verdict) and show whether the case detects the bug and passes the fix. */
#ifndef MMREPRO_VERIFY_H
#define MMREPRO_VERIFY_H

#include <stdbool.h>

#include "case.h"
#include "vm.h"

struct pool;

#include <json-c/json.h>

/* Returns 0 when every variant matched, 1 when one did not, 130 when
 * interrupted. When summary is not NULL, one object per variant (with
 * "case") is appended to that JSON array. */
int verify_case(const struct case_def *c, const char *only_variant, int runs, int timeout_s, bool verbose,
		enum accel_mode accel, struct pool *pool, struct json_object *summary);

#endif
