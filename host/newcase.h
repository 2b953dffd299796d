/* new-case: writes cases/NAME.case, and either copies a reproducer to
 * guest/repros/NAME.c or writes a workload skeleton that compiles and
 * passes (guest/lib/case-template). */
#ifndef MMREPRO_NEWCASE_H
#define MMREPRO_NEWCASE_H

#include <stddef.h>

struct adhoc_opts;

/* Returns 0, or an exit code with err (an existing case or file is never
 * overwritten; a reproducer that does not compile leaves nothing behind). */
int newcase_write(const char *name, const struct adhoc_opts *a, char *err, size_t errlen);

#endif
