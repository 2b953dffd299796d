/* `verify`: run every variant a case declares (kernel + series + expected
 * verdict) and show whether the case detects the bug and passes the fix. */
#ifndef MMREPRO_VERIFY_H
#define MMREPRO_VERIFY_H

#include <stdbool.h>

#include "case.h"
#include "vm.h"

int verify_case(const struct case_def *c, const char *only_variant, int runs, int timeout_s, bool verbose,
		enum accel_mode accel);

#endif
