/* Crashes that QEMU's TCG makes and no real CPU would: known emulator
 * bugs, told apart from kernel bugs by what their report shows. */
#ifndef MMREPRO_EMULATOR_H
#define MMREPRO_EMULATOR_H

#include <stddef.h>

#include "report.h"

enum emulator_artifact {
	EMU_NONE,
	/* "int3" died at a site whose code no longer holds the int3: the
	 * kernel had finished patching its text (static keys, alternatives)
	 * and synced every CPU, but a vCPU ran a stale translation. QEMU
	 * before 8.1 does this under TCG (Debian 12 has 7.2). */
	EMU_TCG_STALE_INT3,
};

/* The artifact the report r (its lines in log) is, or EMU_NONE. Only a
 * TCG guest's report can be one; the caller checks the accelerator. */
enum emulator_artifact emulator_artifact_of(const char *log, size_t len, const struct report *r);

/* "tcg-stale-int3", or "" for EMU_NONE. */
const char *emulator_artifact_name(enum emulator_artifact a);
/* One sentence for a run's reason. */
const char *emulator_artifact_why(enum emulator_artifact a);

#endif
