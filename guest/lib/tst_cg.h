/* mmrepro guest library: cgroups in the spirit of LTP's tst_cg.
 *
 * A test that sets .needs_cgroup_ctrl ("memory") and .needs_cgroup_ver gets,
 * before setup(), the controller's hierarchy (v2 at /sys/fs/cgroup with the
 * controller enabled, or a v1 hierarchy: the init's /sys/fs/cgroup/<ctrl>,
 * else one the library mounts itself) and a group of its own,
 * "mmrepro-<test>", under it. No such controller is CONF with the reason.
 * Groups made with tst_cg_mk() live under the test's group; the library
 * moves nothing and removes them all, and its own mount, after the run. */
#ifndef MMREPRO_TST_CG_H
#define MMREPRO_TST_CG_H

#include <stdbool.h>
#include <sys/types.h>

struct tst_cg_group {
	char path[256];
	int ver;            /* TST_CG_V1 or TST_CG_V2 */
};

/* The test's own group. */
const struct tst_cg_group *tst_cg_test(void);
/* A new leaf group under the test's group, with the controller (v2: the
 * test's group enables it for its children). */
const struct tst_cg_group *tst_cg_mk(const char *name);
/* pid 0: the caller. */
void tst_cg_join(const struct tst_cg_group *cg, pid_t pid);
/* Moves pid (0: the caller) back to the hierarchy's root group. */
void tst_cg_leave(pid_t pid);
bool tst_cg_has(const struct tst_cg_group *cg, const char *file);

#define SAFE_CG_PRINTF(cg, file, fmt, ...) \
	tst_cg_printf_(__FILE__, __LINE__, (cg), (file), (fmt), ##__VA_ARGS__)
#define SAFE_CG_READ_LONG(cg, file) tst_cg_read_long_(__FILE__, __LINE__, (cg), (file))
void tst_cg_printf_(const char *file, int line, const struct tst_cg_group *cg, const char *name,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
long tst_cg_read_long_(const char *file, int line, const struct tst_cg_group *cg, const char *name);
/* -errno, no TBROK. */
int tst_cg_try_printf(const struct tst_cg_group *cg, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A number from a file of the group, -1 when it cannot be read. */
long tst_cg_try_read_long(const struct tst_cg_group *cg, const char *name);
/* One counter of memory.stat ("file_mapped", "anon", v1's "mapped_file");
 * -1 when absent. */
long tst_cg_memory_stat(const struct tst_cg_group *cg, const char *key);

/* Called by tst_main(): before setup() and after the run. */
void tst_cg_setup_(const char *test_name, const char *ctrl, int ver);
void tst_cg_cleanup_(void);

#endif
