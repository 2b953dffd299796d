/* Results dirs: one invocation's dir, locked for it, its runs numbered,
 * and runs that a killed runner left RUNNING marked ABANDONED. */
#ifndef MMREPRO_OUTDIR_H
#define MMREPRO_OUTDIR_H

#include <stdbool.h>
#include <stddef.h>

/* Claims an out dir for this process: creates it, takes its lock (held
 * until exit), refuses a dir another run holds, or one that already holds
 * results unless force (then new runs are numbered after the old ones,
 * and runs a dead runner left RUNNING are marked ABANDONED). Returns the
 * first free run number, or -1 with a message naming the option in err. */
int run_claim_out_dir(const char *dir, bool force, char *err, size_t len);
/* results/<stamp>-<case>-<kernel> under the repo, plus the results/latest
 * link; marks runs that a killed runner left behind as ABANDONED. */
void run_default_out_dir(const char *case_name, const char *kernel_spec, char *out, size_t len);
/* Marks RUNNING results under dir (one invocation dir) ABANDONED when no
 * live process holds its lock. Returns how many were marked. */
int run_mark_abandoned(const char *dir);
/* Drops the .running marker of a dir this process claimed (unless a run
 * in it is still RUNNING on disk, for the next command to mark). */
void outdir_release(const char *dir);

#endif
