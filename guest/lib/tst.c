/* mmrepro guest test library: results, needs, knobs, vmstat, the forked
 * workload and the JSON result. See tst.h. */
#include "tst.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RECORDS 256
#define MSG_LEN 512
#define MAX_VALUES 128
#define KEY_LEN 64
#define VALUE_LEN 256
#define MAX_KNOBS 32
#define KNOB_LEN 256
#define MAX_VMSTAT 512
#define VMSTAT_NAME_LEN 64

struct record {
	int verdict;
	char msg[MSG_LEN];
};

struct value {
	char key[KEY_LEN];
	char val[VALUE_LEN];
};

enum { PASS_IDX, FAIL_IDX, BROK_IDX, CONF_IDX, NR_IDX };

/* Shared (MAP_SHARED) with the forked workload and its children, so what
 * they record survives their crash. The verdict needs only the counts and
 * the deciding messages, so it stays right when the list overflows. */
struct store {
	char lock;
	int count[NR_IDX];
	char first[NR_IDX][MSG_LEN];
	char last_pass[MSG_LEN];
	int nrecords;
	int dropped;
	int nvalues;
	struct record records[MAX_RECORDS];
	struct value values[MAX_VALUES];
};

struct saved_knob {
	const char *path;
	char old[KNOB_LEN];
};

struct vmstat_entry {
	char name[VMSTAT_NAME_LEN];
	long long value;
};

struct vmstat_snapshot {
	int n;
	struct vmstat_entry e[MAX_VMSTAT];
};

static struct {
	const struct tst_test *test;
	struct store *store;
	pid_t parent_pid;
	pid_t test_pid;          /* the forked workload; 0 before the fork */
	bool in_cleanup;
	bool vmstat_taken;
	struct vmstat_snapshot vmstat_before;
	struct saved_knob knobs[MAX_KNOBS];
	int nknobs;
	struct timespec start;
} lib;

static volatile sig_atomic_t interrupted_by;

static void finish(void) __attribute__((noreturn));

/* ---- results ---- */

static struct store *store(void)
{
	if (!lib.store) {
		lib.store = mmap(NULL, sizeof(struct store), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (lib.store == MAP_FAILED) {
			perror("mmrepro: mmap of the result store");
			exit(TBROK);
		}
	}
	return lib.store;
}

static void store_lock(void)
{
	while (__atomic_test_and_set(&store()->lock, __ATOMIC_ACQUIRE))
		usleep(100);
}

static void store_unlock(void)
{
	__atomic_clear(&store()->lock, __ATOMIC_RELEASE);
}

static const char *verdict_name(int v)
{
	switch (v) {
	case TPASS: return "PASS";
	case TFAIL: return "FAIL";
	case TBROK: return "BROK";
	case TCONF: return "CONF";
	case TINFO: return "INFO";
	}
	return "BROK";
}

/* One write(2) per line: no stdio buffer to duplicate across fork(). */
static void console_line(const char *fmt, ...)
{
	char line[MSG_LEN + 64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDOUT_FILENO, line, n) < 0)
		return;
}

static int verdict_idx(int v)
{
	return v == TPASS ? PASS_IDX : v == TFAIL ? FAIL_IDX : v == TCONF ? CONF_IDX : BROK_IDX;
}

static void store_record(int verdict, const char *msg)
{
	struct store *s = store();
	int idx = verdict_idx(verdict);

	store_lock();
	if (!s->count[idx]++)
		snprintf(s->first[idx], MSG_LEN, "%s", msg);
	if (idx == PASS_IDX)
		snprintf(s->last_pass, MSG_LEN, "%s", msg);
	if (s->nrecords < MAX_RECORDS) {
		s->records[s->nrecords].verdict = verdict;
		snprintf(s->records[s->nrecords].msg, MSG_LEN, "%s", msg);
		s->nrecords++;
	} else {
		s->dropped++;
	}
	store_unlock();
}

static int normal_verdict(int v)
{
	return v == TPASS || v == TFAIL || v == TBROK || v == TCONF || v == TINFO ? v : TBROK;
}

static void record(int verdict, const char *fmt, va_list ap)
{
	char msg[MSG_LEN];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	verdict = normal_verdict(verdict);
	console_line("mmrepro: T%s: %s", verdict_name(verdict), msg);
	if (verdict != TINFO)
		store_record(verdict, msg);
}

static void record_now(int verdict, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void record_now(int verdict, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(verdict, fmt, ap);
	va_end(ap);
}

static void run_cleanup(void)
{
	if (lib.in_cleanup || !lib.test || !lib.test->cleanup)
		return;
	lib.in_cleanup = true;
	lib.test->cleanup();
}

/* Where a test ends depends on who ends it: the parent finishes the run, the
 * workload process runs cleanup first, and anything else (threads, children
 * of the workload) just exits. */
static void end_test(int verdict) __attribute__((noreturn));
static void end_test(int verdict)
{
	if (getpid() == lib.parent_pid || !lib.test_pid)
		finish();
	if (getpid() == lib.test_pid) {
		if (gettid() == lib.test_pid)
			run_cleanup();
		_exit(0);
	}
	_exit(verdict);
}

void tst_res(enum tst_verdict v, const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	va_start(ap, fmt);
	record(v, fmt, ap);
	va_end(ap);
	if (v == TBROK)
		end_test(v);
	errno = saved_errno;
}

void tst_brk(enum tst_verdict v, const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	if (v == TINFO || v == TPASS)
		v = TBROK;
	va_start(ap, fmt);
	errno = saved_errno;  /* for %m */
	record(v, fmt, ap);
	va_end(ap);
	end_test(v);
}

static struct value *value_slot(struct store *s, const char *key)
{
	for (int i = 0; i < s->nvalues; i++)
		if (!strncmp(s->values[i].key, key, KEY_LEN - 1))
			return &s->values[i];
	if (s->nvalues == MAX_VALUES)
		return NULL;
	snprintf(s->values[s->nvalues].key, KEY_LEN, "%s", key);
	return &s->values[s->nvalues++];
}

void tst_value(const char *key, const char *fmt, ...)
{
	char val[VALUE_LEN];
	struct value *slot;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	store_lock();
	slot = value_slot(store(), key);
	if (slot)
		snprintf(slot->val, VALUE_LEN, "%s", val);
	store_unlock();
	if (!slot)
		console_line("mmrepro: warning: too many values, %s dropped", key);
}

void tst_value_long(const char *key, long v)
{
	tst_value(key, "%ld", v);
}

/* LTP's rules; the reason is the first message of the deciding kind, or the
 * last PASS message. */
static int overall_verdict(const char **reason)
{
	struct store *s = store();

	if (s->count[FAIL_IDX]) {
		*reason = s->first[FAIL_IDX];
		return TFAIL;
	}
	if (s->count[BROK_IDX]) {
		*reason = s->first[BROK_IDX];
		return TBROK;
	}
	if (s->count[PASS_IDX]) {
		*reason = s->last_pass;
		return TPASS;
	}
	if (s->count[CONF_IDX]) {
		*reason = s->first[CONF_IDX];
		return TCONF;
	}
	*reason = "no result recorded";
	return TBROK;
}

/* ---- files ---- */

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

void tst_write_file(const char *path, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = write_vfmt(path, fmt, ap);
	va_end(ap);
	if (r < 0)
		tst_brk(TBROK, "write %s: %s", path, strerror(-r));
}

long tst_read_long(const char *path)
{
	char buf[128], *end;
	int r = tst_read_file(path, buf, sizeof(buf));
	long v;

	if (r < 0)
		tst_brk(TBROK, "read %s: %s", path, strerror(-r));
	errno = 0;
	v = strtol(buf, &end, 0);
	if (errno || end == buf)
		tst_brk(TBROK, "%s: not a number: '%s'", path, buf);
	return v;
}

long tst_meminfo_kb(const char *field)
{
	FILE *f = fopen("/proc/meminfo", "re");
	size_t flen = strlen(field);
	char line[256];
	long kb = -1;

	if (!f)
		tst_brk(TBROK, "open /proc/meminfo: %m");
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, flen) && line[flen] == ':') {
			kb = strtol(line + flen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

/* ---- kernel config ---- */

/* Copies the value of a set option ("y", "m", "0x10", "\"s\"") into val;
 * false when not set. -errno in *err when the config cannot be read. */
static const char *kconfig_path(void)
{
	const char *path = getenv("MMREPRO_KCONFIG");

	return path && *path ? path : NULL;
}

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

/* ---- needs ---- */

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

static void check_needs(const struct tst_test *t)
{
	for (const char *const *k = t->needs_kconfigs; k && *k; k++)
		check_kconfig(*k);
	if (t->min_mem_mb) {
		long mb = tst_meminfo_kb("MemTotal") / 1024;
		if (mb < (long)t->min_mem_mb)
			tst_brk(TCONF, "MemTotal is %ld MiB, the test needs %lu MiB", mb, t->min_mem_mb);
	}
	if (t->min_numa_nodes > 1 && tst_numa_nodes() < t->min_numa_nodes)
		tst_brk(TCONF, "%d NUMA node(s) online, the test needs %d", tst_numa_nodes(), t->min_numa_nodes);
	if (t->min_cpus > 1 && sysconf(_SC_NPROCESSORS_ONLN) < t->min_cpus)
		tst_brk(TCONF, "%ld CPU(s) online, the test needs %d", sysconf(_SC_NPROCESSORS_ONLN), t->min_cpus);
}

/* ---- knobs ---- */

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
	struct saved_knob *saved;
	char old[KNOB_LEN];
	int r = tst_read_file(k->path, old, sizeof(old));

	if (r == -ENOENT && k->optional) {
		console_line("mmrepro: TINFO: optional knob %s is absent, skipped", k->path);
		return;
	}
	if (r == -ENOENT)
		tst_brk(TCONF, "%s does not exist in this kernel", k->path);
	if (r < 0)
		tst_brk(TBROK, "read %s: %s", k->path, strerror(-r));
	if (lib.nknobs == MAX_KNOBS)
		tst_brk(TBROK, "more than %d knobs", MAX_KNOBS);
	knob_choice(old);
	saved = &lib.knobs[lib.nknobs++];
	saved->path = k->path;
	snprintf(saved->old, sizeof(saved->old), "%s", old);
	if (!k->value)
		return;
	r = write_string(k->path, k->value);
	if (r < 0)
		tst_brk(TBROK, "write '%s' to %s: %s", k->value, k->path, strerror(-r));
	console_line("mmrepro: TINFO: %s: '%s' -> '%s'", k->path, old, k->value);
}

static void apply_knobs(const struct tst_knob *knobs)
{
	for (const struct tst_knob *k = knobs; k && k->path; k++)
		apply_knob(k);
}

static void restore_knobs(void)
{
	while (lib.nknobs > 0) {
		struct saved_knob *k = &lib.knobs[--lib.nknobs];
		int r = write_string(k->path, k->old);

		if (r < 0)
			console_line("mmrepro: warning: restore '%s' to %s: %s", k->old, k->path, strerror(-r));
	}
}

/* ---- vmstat ---- */

static void vmstat_read(struct vmstat_snapshot *snap)
{
	FILE *f = fopen("/proc/vmstat", "re");
	char name[VMSTAT_NAME_LEN];
	long long v;

	snap->n = 0;
	if (!f)
		tst_brk(TBROK, "open /proc/vmstat: %m");
	while (snap->n < MAX_VMSTAT && fscanf(f, "%63s %lld", name, &v) == 2) {
		snprintf(snap->e[snap->n].name, VMSTAT_NAME_LEN, "%s", name);
		snap->e[snap->n++].value = v;
	}
	fclose(f);
}

static const struct vmstat_entry *vmstat_find(const struct vmstat_snapshot *snap, const char *name)
{
	for (int i = 0; i < snap->n; i++)
		if (!strcmp(snap->e[i].name, name))
			return &snap->e[i];
	return NULL;
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
	const struct vmstat_entry *before = lib.vmstat_taken ? vmstat_find(&lib.vmstat_before, counter) : NULL;
	long now = tst_vmstat(counter);

	if (now < 0)
		return 0;
	return now - (before ? before->value : 0);
}

static json_object *vmstat_delta_json(const struct vmstat_snapshot *after)
{
	json_object *o = json_object_new_object();

	for (int i = 0; lib.vmstat_taken && i < after->n; i++) {
		const struct vmstat_entry *b = vmstat_find(&lib.vmstat_before, after->e[i].name);
		long long delta = after->e[i].value - (b ? b->value : 0);

		if (delta)
			json_object_object_add(o, after->e[i].name, json_object_new_int64(delta));
	}
	return o;
}

/* ---- the result file ---- */

static double seconds_since_start(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - lib.start.tv_sec) + (now.tv_nsec - lib.start.tv_nsec) / 1e9;
}

/* Milliseconds are plenty; "%.17g" noise helps nobody reading the file. */
static json_object *seconds_json(double s)
{
	char text[32];

	snprintf(text, sizeof(text), "%.3f", s);
	return json_object_new_double_s(s, text);
}

static json_object *results_json(void)
{
	json_object *a = json_object_new_array();
	struct store *s = store();

	for (int i = 0; i < s->nrecords; i++) {
		json_object *r = json_object_new_object();
		json_object_object_add(r, "verdict", json_object_new_string(verdict_name(s->records[i].verdict)));
		json_object_object_add(r, "message", json_object_new_string(s->records[i].msg));
		json_object_array_add(a, r);
	}
	return a;
}

static json_object *values_json(void)
{
	json_object *o = json_object_new_object();
	struct store *s = store();

	for (int i = 0; i < s->nvalues; i++)
		json_object_object_add(o, s->values[i].key, json_object_new_string(s->values[i].val));
	return o;
}

static json_object *result_json(int verdict, const char *reason, const struct vmstat_snapshot *after)
{
	const struct tst_test *t = lib.test;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "workload", json_object_new_string(t->name ? t->name : "?"));
	json_object_object_add(o, "fix_commit", t->fix_commit ? json_object_new_string(t->fix_commit) : NULL);
	json_object_object_add(o, "verdict", json_object_new_string(verdict_name(verdict)));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	json_object_object_add(o, "results", results_json());
	json_object_object_add(o, "values", values_json());
	json_object_object_add(o, "vmstat_delta", vmstat_delta_json(after));
	json_object_object_add(o, "seconds", seconds_json(seconds_since_start()));
	if (store()->dropped)
		json_object_object_add(o, "results_dropped", json_object_new_int(store()->dropped));
	return o;
}

static int fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd = copy ? open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	int r = fd < 0 || fsync(fd) < 0 ? -errno : 0;

	if (fd >= 0)
		close(fd);
	free(copy);
	return r;
}

/* tmp + fsync + rename: the host never sees half a file. */
static int write_atomically(const char *path, const char *text)
{
	char tmp[4096];
	size_t len = strlen(text);
	int fd, err = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0)
		err = errno ? -errno : -EIO;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	fsync_dir_of(path);
	return 0;
}

static int write_result(int verdict, const char *reason, const struct vmstat_snapshot *after)
{
	const char *path = getenv("MMREPRO_RESULT");
	json_object *o;
	int r;

	if (!path || !*path || !lib.test)
		return 0;
	o = result_json(verdict, reason, after);
	r = write_atomically(path, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return r;
}

static int exit_code(int verdict)
{
	return verdict == TCONF ? 32 : verdict;
}

/* Parent only: knobs back, the result written, the verdict as exit status. */
static void finish(void)
{
	static struct vmstat_snapshot after;
	const char *reason;
	int verdict, r;

	if (lib.vmstat_taken)
		vmstat_read(&after);
	restore_knobs();
	verdict = overall_verdict(&reason);
	r = write_result(verdict, reason, &after);
	if (r < 0) {
		record_now(TBROK, "cannot write result %s: %s", getenv("MMREPRO_RESULT"), strerror(-r));
		verdict = overall_verdict(&reason);
	}
	console_line("mmrepro: verdict %s: %s", verdict_name(verdict), reason);
	exit(exit_code(verdict));
}

/* ---- the forked workload ---- */

static void on_interrupt(int sig)
{
	interrupted_by = sig;
}

static void catch_interrupts(bool on)
{
	struct sigaction sa = { .sa_handler = on ? on_interrupt : SIG_DFL };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static double elapsed_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) + (now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Waits for pid; on timeout (or an interrupt of the parent) kills its whole
 * process group. Leftovers in the group are killed either way, while the
 * unreaped child still holds the group's id. */
static int wait_or_kill(pid_t pid, int timeout_s, bool *timed_out)
{
	struct timespec t0;
	int status = -1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	*timed_out = false;
	for (;;) {
		siginfo_t info = { .si_pid = 0 };

		if (waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0 && errno != EINTR)
			return -1;
		if (info.si_pid == pid)
			break;
		if (interrupted_by || (timeout_s > 0 && elapsed_since(&t0) >= timeout_s)) {
			*timed_out = !interrupted_by;
			break;
		}
		usleep(20000);
	}
	kill(-pid, SIGKILL);
	if (*timed_out || interrupted_by)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

/* The child leads its own process group, so a timeout kills its helpers
 * too, and dies with its parent. */
static pid_t fork_child(void)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		tst_brk(TBROK, "fork: %m");
	if (pid > 0) {
		setpgid(pid, pid);
		return pid;
	}
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(TBROK);
	return 0;
}

int tst_fork_run(void (*f)(void *), void *arg, int timeout_s)
{
	bool timed_out;
	pid_t pid = fork_child();

	if (pid == 0) {
		f(arg);
		_exit(0);
	}
	return wait_or_kill(pid, timeout_s, &timed_out);
}

static void run_workload_child(int argc, char **argv)
{
	const struct tst_test *t = lib.test;

	lib.test_pid = getpid();
	catch_interrupts(false);
	if (t->setup)
		t->setup(argc, argv);
	if (t->run)
		t->run();
	run_cleanup();
	fflush(NULL);
	_exit(0);
}

static const char *signal_name(int sig)
{
	const char *abbrev = sigabbrev_np(sig);

	return abbrev ? abbrev : "?";
}

static void report_child_end(int status, bool timed_out, int timeout_s)
{
	if (interrupted_by)
		record_now(TBROK, "interrupted by SIG%s", signal_name(interrupted_by));
	else if (timed_out)
		record_now(TBROK, "workload timed out after %d s", timeout_s);
	else if (status < 0)
		record_now(TBROK, "waitpid: %m");
	else if (WIFSIGNALED(status))
		record_now(TBROK, "workload killed by signal SIG%s (%s)", signal_name(WTERMSIG(status)),
			   strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status))
		record_now(TBROK, "workload exited with status %d", WEXITSTATUS(status));
}

static void run_workload(int argc, char **argv, int timeout_s)
{
	bool timed_out;
	pid_t pid;
	int status;

	pid = fork_child();
	if (pid == 0)
		run_workload_child(argc, argv);
	lib.test_pid = pid;
	status = wait_or_kill(pid, timeout_s, &timed_out);
	report_child_end(status, timed_out, timeout_s);
}

/* ---- main ---- */

static int parse_timeout(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v < 0 || v > 86400)
		tst_brk(TBROK, "--timeout wants seconds, got '%s'", s);
	return v;
}

/* Removes the library's own arguments from argv; returns the new argc. */
static int take_library_args(int argc, char **argv, int *timeout_s)
{
	int out = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			*timeout_s = parse_timeout(argv[++i]);
		else if (!strncmp(argv[i], "--timeout=", 10))
			*timeout_s = parse_timeout(argv[i] + 10);
		else
			argv[out++] = argv[i];
	}
	argv[out] = NULL;
	return out;
}

int tst_main(int argc, char **argv, const struct tst_test *t)
{
	int timeout_s = 0;

	clock_gettime(CLOCK_MONOTONIC, &lib.start);
	lib.test = t;
	lib.parent_pid = getpid();
	store();
	setvbuf(stdout, NULL, _IOLBF, 0);
	catch_interrupts(true);
	argc = take_library_args(argc, argv, &timeout_s);
	check_needs(t);
	apply_knobs(t->knobs);
	vmstat_read(&lib.vmstat_before);
	lib.vmstat_taken = true;
	run_workload(argc, argv, timeout_s);
	finish();
}
