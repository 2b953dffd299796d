/* mmrepro guest library: cgroups (see tst_cg.h). */
#include "tst_lib.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define CG_ROOT "/sys/fs/cgroup"
#define SELF_MOUNT "/run/mmrepro-cgroup"
#define MAX_GROUPS 32

/* The groups tst_cg_mk() made, in any process of the test: shared, and
 * filled with atomic slot claims like the result store. */
struct registry {
	int count;
	struct tst_cg_group groups[MAX_GROUPS];
};

static struct {
	char hierarchy[128];      /* the mount point of the controller's hierarchy */
	char ctrl[32];
	int ver;
	bool self_mounted;
	bool test_made;
	struct tst_cg_group test;
	struct registry *registry;
} cg;

static bool fs_type_is(const char *path, unsigned long magic)
{
	struct statfs sfs;

	return statfs(path, &sfs) == 0 && (unsigned long)sfs.f_type == magic;
}

/* The init's v1 mount at /sys/fs/cgroup/<ctrl> ("cgroup = v1:memory"). */
static bool find_v1(const char *ctrl)
{
	char path[128];

	snprintf(path, sizeof(path), CG_ROOT "/%s", ctrl);
	if (!fs_type_is(path, CGROUP_SUPER_MAGIC))
		return false;
	snprintf(cg.hierarchy, sizeof(cg.hierarchy), "%s", path);
	return true;
}

static bool find_v2(const char *ctrl)
{
	char controllers[512];

	if (!fs_type_is(CG_ROOT, CGROUP2_SUPER_MAGIC) ||
	    tst_read_file(CG_ROOT "/cgroup.controllers", controllers, sizeof(controllers)) < 0)
		return false;
	for (char *w = strtok(controllers, " "); w; w = strtok(NULL, " "))
		if (!strcmp(w, ctrl)) {
			snprintf(cg.hierarchy, sizeof(cg.hierarchy), CG_ROOT);
			return true;
		}
	return false;
}

/* A v1 hierarchy of our own works while no v2 group uses the controller.
 * -errno of mount(2) when it fails. */
static int mount_v1(const char *ctrl)
{
	char path[128];

	snprintf(path, sizeof(path), SELF_MOUNT "-%s", ctrl);
	SAFE_MKDIR(path, 0755);
	if (mount("cgroup", path, "cgroup", 0, ctrl) < 0) {
		int err = -errno;

		rmdir(path);
		return err;
	}
	cg.self_mounted = true;
	snprintf(cg.hierarchy, sizeof(cg.hierarchy), "%s", path);
	return 0;
}

static void find_hierarchy(const char *ctrl, int ver)
{
	int err;

	if (ver != TST_CG_V2 && find_v1(ctrl)) {
		cg.ver = TST_CG_V1;
		return;
	}
	if (ver != TST_CG_V1 && find_v2(ctrl)) {
		cg.ver = TST_CG_V2;
		return;
	}
	if (ver == TST_CG_V2)
		tst_brk(TCONF, "no cgroup v2 %s controller at " CG_ROOT, ctrl);
	err = mount_v1(ctrl);
	if (err < 0)
		tst_brk(TCONF, "no cgroup v1 %s controller: no v1 mount at " CG_ROOT "/%s, and mounting one fails "
			"(%s)%s", ctrl, ctrl, strerror(-err),
			!strcmp(ctrl, "memory") ? "; CONFIG_MEMCG_V1 is off on 6.12 and later" : "");
	cg.ver = TST_CG_V1;
}

/* v2: a group's children get the controller only when the group lists it
 * in cgroup.subtree_control. */
static void enable_for_children(const char *group)
{
	char path[300];

	if (cg.ver != TST_CG_V2)
		return;
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", group);
	tst_write_file(path, "+%s", cg.ctrl);
}

void tst_cg_setup_(const char *test_name, const char *ctrl, int ver)
{
	snprintf(cg.ctrl, sizeof(cg.ctrl), "%s", ctrl);
	cg.registry = SAFE_MMAP(NULL, sizeof(*cg.registry), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				-1, 0);
	find_hierarchy(ctrl, ver);
	enable_for_children(cg.hierarchy);
	cg.test.ver = cg.ver;
	snprintf(cg.test.path, sizeof(cg.test.path), "%s/mmrepro-%s", cg.hierarchy, test_name);
	SAFE_MKDIR(cg.test.path, 0755);
	cg.test_made = true;
	enable_for_children(cg.test.path);
	tst_res(TINFO, "cgroup v%d %s: %s", cg.ver, ctrl, cg.test.path);
	tst_value("cgroup", "%s", cg.test.path);
}

const struct tst_cg_group *tst_cg_test(void)
{
	if (!cg.test_made)
		tst_brk(TBROK, "tst_cg_test() without .needs_cgroup_ctrl");
	return &cg.test;
}

const struct tst_cg_group *tst_cg_mk(const char *name)
{
	struct tst_cg_group *g;
	int slot;

	tst_cg_test();
	slot = __atomic_fetch_add(&cg.registry->count, 1, __ATOMIC_ACQ_REL);
	if (slot >= MAX_GROUPS)
		tst_brk(TBROK, "more than %d cgroups", MAX_GROUPS);
	g = &cg.registry->groups[slot];
	g->ver = cg.ver;
	snprintf(g->path, sizeof(g->path), "%s/%s", cg.test.path, name);
	/* A leaf: v2 refuses processes in a group that enables controllers
	 * for children. */
	SAFE_MKDIR(g->path, 0755);
	return g;
}

void tst_cg_join(const struct tst_cg_group *g, pid_t pid)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/cgroup.procs", g->path);
	tst_write_file(path, "%d", pid ? pid : getpid());
}

void tst_cg_leave(pid_t pid)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg.hierarchy);
	tst_write_file(path, "%d", pid ? pid : getpid());
}

bool tst_cg_has(const struct tst_cg_group *g, const char *file)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/%s", g->path, file);
	return access(path, F_OK) == 0;
}

static int vprintf_file(const struct tst_cg_group *g, const char *name, const char *fmt, va_list ap)
{
	char path[300], val[256];

	snprintf(path, sizeof(path), "%s/%s", g->path, name);
	vsnprintf(val, sizeof(val), fmt, ap);
	return tst_try_write_file(path, "%s", val);
}

int tst_cg_try_printf(const struct tst_cg_group *g, const char *name, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vprintf_file(g, name, fmt, ap);
	va_end(ap);
	return r;
}

void tst_cg_printf_(const char *file, int line, const struct tst_cg_group *g, const char *name, const char *fmt,
		    ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vprintf_file(g, name, fmt, ap);
	va_end(ap);
	if (r < 0)
		tst_brk_(file, line, TBROK, "write %s/%s: %s", g->path, name, strerror(-r));
}

long tst_cg_try_read_long(const struct tst_cg_group *g, const char *name)
{
	char path[300], buf[64];
	long v;

	snprintf(path, sizeof(path), "%s/%s", g->path, name);
	if (tst_read_file(path, buf, sizeof(buf)) < 0 || tst_parse_long(buf, 0, __LONG_MAX__, &v) < 0)
		return -1;
	return v;
}

long tst_cg_read_long_(const char *file, int line, const struct tst_cg_group *g, const char *name)
{
	long v = tst_cg_try_read_long(g, name);

	if (v < 0)
		tst_brk_(file, line, TBROK, "read %s/%s: %m", g->path, name);
	return v;
}

long tst_cg_memory_stat(const struct tst_cg_group *g, const char *key)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/memory.stat", g->path);
	return tst_read_key(path, key);
}

/* A killed process leaves its group a moment after it is reaped. */
static void remove_group(const char *path)
{
	int tries = 0;

	while (rmdir(path) < 0 && errno == EBUSY && tries++ < 100)
		usleep(20000);
	if (access(path, F_OK) == 0)
		tst_console_("mmrepro: warning: rmdir %s: %s", path, strerror(errno));
}

/* Parent, after the workload's processes are gone: the groups empty. */
void tst_cg_cleanup_(void)
{
	int n = cg.registry ? __atomic_load_n(&cg.registry->count, __ATOMIC_ACQUIRE) : 0;

	for (int i = (n < MAX_GROUPS ? n : MAX_GROUPS) - 1; i >= 0; i--)
		remove_group(cg.registry->groups[i].path);
	if (cg.test_made)
		remove_group(cg.test.path);
	if (cg.self_mounted && umount(cg.hierarchy) == 0)
		rmdir(cg.hierarchy);
}
