/* mmrepro guest library: sysfs/procfs files, /proc/meminfo and /proc/vmstat. */
#include "tst_lib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_VMSTAT 512
#define VMSTAT_NAME_LEN 64

int tst_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n, total = 0;
	int fd;

	if (!len)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (total < (ssize_t)len - 1 && (n = read(fd, buf + total, len - 1 - total)) != 0) {
		if (n < 0) {
			int err = errno;
			close(fd);
			return -err;
		}
		total += n;
	}
	close(fd);
	buf[total] = 0;
	if (total && buf[total - 1] == '\n')
		buf[--total] = 0;
	return total;
}

static int write_string(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(s);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	err = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
	if (close(fd) < 0 && !err)
		err = -errno;
	return err;
}

static int write_vfmt(const char *path, const char *fmt, va_list ap)
{
	char buf[4096];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	return write_string(path, buf);
}

int tst_try_write_file(const char *path, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = write_vfmt(path, fmt, ap);
	va_end(ap);
	return r;
}

void tst_write_file_(const char *file, int line, const char *path, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = write_vfmt(path, fmt, ap);
	va_end(ap);
	if (r < 0)
		tst_brk_(file, line, TBROK, "write %s: %s", path, strerror(-r));
}

long tst_read_long_(const char *file, int line, const char *path)
{
	char buf[128];
	int r = tst_read_file(path, buf, sizeof(buf));
	long v = 0;

	if (r < 0)
		tst_brk_(file, line, TBROK, "read %s: %s", path, strerror(-r));
	if (tst_parse_long(buf, -__LONG_MAX__ - 1, __LONG_MAX__, &v) < 0)
		tst_brk_(file, line, TBROK, "%s: not a number: '%s'", path, buf);
	return v;
}

/* "key value" lines (memory.stat, /proc/meminfo without the colon). */
static long read_key(const char *path, const char *key, bool colon)
{
	FILE *f = fopen(path, "re");
	size_t klen = strlen(key);
	char line[256];
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) || line[klen] != (colon ? ':' : ' '))
			continue;
		v = strtol(line + klen + 1, NULL, 10);
		break;
	}
	fclose(f);
	return v;
}

long tst_meminfo_kb(const char *field)
{
	long kb = read_key("/proc/meminfo", field, true);

	if (kb < 0 && access("/proc/meminfo", R_OK) < 0)
		tst_brk(TBROK, "open /proc/meminfo: %m");
	return kb;
}

long tst_read_key(const char *path, const char *key)
{
	return read_key(path, key, false);
}

/* ---- vmstat ---- */

struct vmstat_snapshot {
	int n;
	struct {
		char name[VMSTAT_NAME_LEN];
		long long value;
	} e[MAX_VMSTAT];
};

static struct vmstat_snapshot vmstat_before, vmstat_after;
static bool vmstat_taken, vmstat_after_taken;

static void vmstat_read(struct vmstat_snapshot *snap)
{
	FILE *f = fopen("/proc/vmstat", "re");
	char name[VMSTAT_NAME_LEN];
	long long v;

	snap->n = 0;
	if (!f)
		tst_brk(TBROK, "open /proc/vmstat: %m");
	while (fscanf(f, "%63s %lld", name, &v) == 2) {
		if (snap->n == MAX_VMSTAT)
			tst_brk(TBROK, "/proc/vmstat has more than %d counters", MAX_VMSTAT);
		snprintf(snap->e[snap->n].name, VMSTAT_NAME_LEN, "%s", name);
		snap->e[snap->n++].value = v;
	}
	fclose(f);
}

static const long long *vmstat_find(const struct vmstat_snapshot *snap, const char *name)
{
	for (int i = 0; i < snap->n; i++)
		if (!strcmp(snap->e[i].name, name))
			return &snap->e[i].value;
	return NULL;
}

void tst_vmstat_snapshot_(bool after)
{
	if (after && !vmstat_taken)
		return;
	vmstat_read(after ? &vmstat_after : &vmstat_before);
	if (after)
		vmstat_after_taken = true;
	else
		vmstat_taken = true;
}

static void pread_whole(int fd, char *buf, size_t len, const char *what)
{
	size_t total = 0;
	ssize_t n;

	while (total < len - 1 && (n = pread(fd, buf + total, len - 1 - total, total)) != 0) {
		if (n < 0 && errno != EINTR)
			tst_brk(TBROK, "read %s: %m", what);
		total += n > 0 ? n : 0;
	}
	buf[total] = 0;
}

/* No stdio and no heap: a workload may read counters between building a
 * per-CPU LRU batch and the step that needs it, and freeing memory (a heap
 * trim unmaps pages) would drain the batch. */
long tst_vmstat(const char *counter)
{
	static int fd = -1;
	size_t clen = strlen(counter);
	char buf[32768];

	if (fd < 0)
		fd = open("/proc/vmstat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		tst_brk(TBROK, "open /proc/vmstat: %m");
	pread_whole(fd, buf, sizeof(buf), "/proc/vmstat");
	for (char *line = buf; line; line = strchr(line, '\n')) {
		line += *line == '\n';
		if (!strncmp(line, counter, clen) && line[clen] == ' ')
			return strtol(line + clen + 1, NULL, 10);
	}
	return -1;
}

long tst_vmstat_delta(const char *counter)
{
	const long long *before = vmstat_taken ? vmstat_find(&vmstat_before, counter) : NULL;
	long now = tst_vmstat(counter);

	if (now < 0)
		return 0;
	return now - (before ? *before : 0);
}

json_object *tst_vmstat_delta_json_(void)
{
	json_object *o = json_object_new_object();

	for (int i = 0; vmstat_after_taken && i < vmstat_after.n; i++) {
		const long long *b = vmstat_find(&vmstat_before, vmstat_after.e[i].name);
		long long delta = vmstat_after.e[i].value - (b ? *b : 0);

		if (delta)
			json_object_object_add(o, vmstat_after.e[i].name, json_object_new_int64(delta));
	}
	return o;
}
