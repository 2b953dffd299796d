/* mmrepro guest library: what a test needs (kernel config and version,
 * commands, memory, swap, CPUs, NUMA nodes) and the knobs it sets. */
#include "tst_lib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define MAX_KNOBS 32
#define KNOB_LEN 256

/* ---- kernel config ---- */

static const char *kconfig_path(void)
{
	const char *path = getenv("MMREPRO_KCONFIG");

	return path && *path ? path : NULL;
}

/* Copies the value of a set option ("y", "m", "0x10", "\"s\"") into val;
 * false when not set. -errno in *err when the config cannot be read. */
static bool kconfig_lookup(const char *name, char *val, size_t len, int *err)
{
	const char *path = kconfig_path();
	size_t nlen = strlen(name);
	char line[1024];
	bool found = false;
	FILE *f;

	*err = 0;
	if (!path) {
		*err = -ENOENT;
		return false;
	}
	f = fopen(path, "re");
	if (!f) {
		*err = -errno;
		return false;
	}
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, name, nlen) || line[nlen] != '=')
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(val, len, "%s", line + nlen + 1);
		found = true;
	}
	fclose(f);
	return found;
}

char tst_kconfig(const char *name)
{
	char val[256];
	int err;

	if (!kconfig_lookup(name, val, sizeof(val), &err))
		return 0;
	return val[0] == 'm' && !val[1] ? 'm' : val[0] == 'n' && !val[1] ? 0 : 'y';
}

/* "CONFIG_X" needs y or m; "CONFIG_X=V" needs exactly V. */
static void check_kconfig(const char *need)
{
	const char *eq = strchr(need, '=');
	char name[128], val[256];
	int err;
	bool set;

	snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - need) : (int)strlen(need), need);
	set = kconfig_lookup(name, val, sizeof(val), &err);
	if (!kconfig_path())
		tst_brk(TBROK, "MMREPRO_KCONFIG is not set: cannot check %s", need);
	if (err)
		tst_brk(TBROK, "cannot read kernel config %s: %s", kconfig_path(), strerror(-err));
	if (!set || !strcmp(val, "n"))
		tst_brk(TCONF, "%s is not set in this kernel", name);
	if (eq && strcmp(val, eq + 1))
		tst_brk(TCONF, "%s=%s in this kernel, the test needs %s", name, val, need);
	if (!eq && strcmp(val, "y") && strcmp(val, "m"))
		tst_brk(TCONF, "%s=%s in this kernel, the test needs y or m", name, val);
}

/* ---- kernel version ---- */

static bool parse_kver(const char *s, long *major, long *minor)
{
	return sscanf(s, "%ld.%ld", major, minor) == 2;
}

int tst_kver_cmp(const char *want)
{
	struct utsname u;
	long have_major, have_minor, want_major, want_minor;

	if (uname(&u) < 0 || !parse_kver(u.release, &have_major, &have_minor))
		tst_brk(TBROK, "cannot read the kernel version from uname");
	if (!parse_kver(want, &want_major, &want_minor))
		tst_brk(TBROK, "min_kver '%s' is not MAJOR.MINOR", want);
	if (have_major != want_major)
		return have_major < want_major ? -1 : 1;
	return have_minor < want_minor ? -1 : have_minor > want_minor;
}

/* ---- counts ---- */

static int count_list(const char *list)
{
	int n = 0;

	while (*list) {
		char *end;
		long a = strtol(list, &end, 10), b = a;

		if (end == list)
			break;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		n += b - a + 1;
		list = *end == ',' ? end + 1 : end;
	}
	return n;
}

int tst_numa_nodes(void)
{
	char buf[256];

	if (tst_read_file("/sys/devices/system/node/online", buf, sizeof(buf)) <= 0)
		return 1;
	return count_list(buf);
}

int tst_online_cpus(void)
{
	char buf[256];

	if (tst_read_file("/sys/devices/system/cpu/online", buf, sizeof(buf)) <= 0)
		return (int)sysconf(_SC_NPROCESSORS_ONLN);
	return count_list(buf);
}

/* ---- needs ---- */

/* As execvp(3) would find it: an executable file in a PATH directory. */
static bool command_in_path(const char *cmd)
{
	const char *path = getenv("PATH");
	char *copy, *save, *dir;
	bool found = false;

	if (strchr(cmd, '/'))
		return access(cmd, X_OK) == 0;
	copy = SAFE_STRDUP(path && *path ? path : "/usr/bin:/bin");
	for (dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char full[4096];

		snprintf(full, sizeof(full), "%s/%s", dir, cmd);
		found = access(full, X_OK) == 0;
	}
	free(copy);
	return found;
}

static void check_sizes(const struct tst_test *t)
{
	if (t->min_mem_mb) {
		long mb = tst_meminfo_kb("MemTotal") / 1024;

		if (mb < (long)t->min_mem_mb)
			tst_brk(TCONF, "MemTotal is %ld MiB, the test needs %lu MiB", mb, t->min_mem_mb);
	}
	/* The kernel can swap (needs_kconfigs said so): missing swap is the
	 * case's zram setup failing, not the kernel. */
	if (t->min_swap_mb) {
		long mb = tst_meminfo_kb("SwapTotal") / 1024;

		if (mb < (long)t->min_swap_mb)
			tst_brk(TBROK, "SwapTotal is %ld MiB, the test needs %lu MiB (does the case set zram?)", mb,
				t->min_swap_mb);
	}
	if (t->min_numa_nodes > 1 && tst_numa_nodes() < t->min_numa_nodes)
		tst_brk(TCONF, "%d NUMA node(s) online, the test needs %d", tst_numa_nodes(), t->min_numa_nodes);
	if (t->min_cpus > 1 && tst_online_cpus() < t->min_cpus)
		tst_brk(TCONF, "%d CPU(s) online, the test needs %d", tst_online_cpus(), t->min_cpus);
}

void tst_check_needs_(const struct tst_test *t)
{
	for (const char *const *k = t->needs_kconfigs; k && *k; k++)
		check_kconfig(*k);
	if (t->min_kver && tst_kver_cmp(t->min_kver) < 0) {
		struct utsname u;

		uname(&u);
		tst_brk(TCONF, "kernel %s is older than %s, which the test needs", u.release, t->min_kver);
	}
	for (const char *const *c = t->needs_cmds; c && *c; c++)
		if (!command_in_path(*c))
			tst_brk(TCONF, "the test needs the command %s, which is not in PATH", *c);
	check_sizes(t);
}

/* ---- knobs ---- */

static struct {
	const char *path;
	char old[KNOB_LEN];
} saved[MAX_KNOBS];
static int nsaved;

/* "always [madvise] never" is saved as the chosen "madvise". */
static void knob_choice(char *val)
{
	char *open = strchr(val, '['), *close = open ? strchr(open, ']') : NULL;

	if (open && close) {
		memmove(val, open + 1, close - open - 1);
		val[close - open - 1] = 0;
	}
}

static void apply_knob(const struct tst_knob *k)
{
	char old[KNOB_LEN];
	int r = tst_read_file(k->path, old, sizeof(old));

	if (r == -ENOENT && k->optional) {
		tst_res(TINFO, "optional knob %s is absent, skipped", k->path);
		return;
	}
	if (r == -ENOENT)
		tst_brk(TCONF, "%s does not exist in this kernel", k->path);
	if (r < 0)
		tst_brk(TBROK, "read %s: %s", k->path, strerror(-r));
	if (nsaved == MAX_KNOBS)
		tst_brk(TBROK, "more than %d knobs", MAX_KNOBS);
	knob_choice(old);
	saved[nsaved].path = k->path;
	snprintf(saved[nsaved].old, KNOB_LEN, "%s", old);
	nsaved++;
	if (!k->value)
		return;
	r = tst_try_write_file(k->path, "%s", k->value);
	if (r < 0)
		tst_brk(TBROK, "write '%s' to %s: %s", k->value, k->path, strerror(-r));
	tst_res(TINFO, "%s: '%s' -> '%s'", k->path, old, k->value);
}

void tst_apply_knobs_(const struct tst_knob *knobs)
{
	for (const struct tst_knob *k = knobs; k && k->path; k++)
		apply_knob(k);
}

void tst_list_knobs_(const struct tst_knob *knobs)
{
	for (const struct tst_knob *k = knobs; k && k->path; k++)
		printf("%s %s%s%s\n", PROTO_KNOB_LINE, k->path, k->value ? " " : "", k->value ? k->value : "");
	exit(fflush(stdout) ? 1 : 0);
}

void tst_restore_knobs_(void)
{
	while (nsaved > 0) {
		nsaved--;
		int r = tst_try_write_file(saved[nsaved].path, "%s", saved[nsaved].old);

		if (r < 0)
			tst_console_("mmrepro: warning: restore '%s' to %s: %s", saved[nsaved].old,
				     saved[nsaved].path, strerror(-r));
	}
}
