/* Results dirs: claiming one (its lock and .running marker), numbering
 * its runs, and marking runs a dead runner left RUNNING as ABANDONED. */
#include "outdir.h"
#include "json_read.h"
#include "result.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int highest_run(const char *dir, bool *has_summary)
{
	char path[PATH_MAX + 16];
	struct dirent *e;
	DIR *d = opendir(dir);
	int max = 0;

	xsnprintf(path, sizeof(path), "%s/result.json", dir);
	*has_summary = file_exists(path);
	while (d && (e = readdir(d))) {
		int n;
		char tail;
		if (sscanf(e->d_name, "run-%d%c", &n, &tail) == 1 && n > max)
			max = n;
	}
	if (d)
		closedir(d);
	return max;
}

static void mark_one_abandoned(const char *result_path)
{
	struct json_object *o = jread_file(result_path, 4u << 20);

	if (!strcmp(jtext(o, "verdict"), "RUNNING")) {
		json_object_object_add(o, "verdict", json_object_new_string("ABANDONED"));
		json_object_object_add(o, "reason", json_object_new_string(
			"the runner died before this run finished (killed?); the console up to then is kept"));
		json_object_object_add(o, "exit_code", json_object_new_int(EXIT_UNTESTABLE));
		result_write_json(result_path, o);
		fprintf(stderr, "mmrepro: marked %s ABANDONED\n", result_path);
	}
	json_object_put(o);
}

static int mark_abandoned_locked(const char *dir)
{
	char path[PATH_MAX + 300];
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, "run-", 4))
			continue;
		xsnprintf(path, sizeof(path), "%s/%s/result.json", dir, e->d_name);
		mark_one_abandoned(path);
		n++;
	}
	if (d)
		closedir(d);
	xsnprintf(path, sizeof(path), "%s/.running", dir);
	unlink(path);
	return n;
}

static int open_lock(const char *dir)
{
	char path[PATH_MAX + 16];

	xsnprintf(path, sizeof(path), "%s/.lock", dir);
	return open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
}

int run_mark_abandoned(const char *dir)
{
	char running[PATH_MAX + 16];
	int fd, n = 0;

	xsnprintf(running, sizeof(running), "%s/.running", dir);
	if (!file_exists(running) || (fd = open_lock(dir)) < 0)
		return 0;
	/* A free lock with the marker still there: its runner is dead. */
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		n = mark_abandoned_locked(dir);
	close(fd);
	return n;
}

static int refuse(char *err, size_t len, const char *fmt, const char *dir, const char *detail)
{
	snprintf(err, len, fmt, dir, detail);
	return -1;
}

/* --force adds runs; the summaries of the earlier ones stay beside the new. */
static void keep_old_summary(const char *dir, int upto)
{
	static const char *const names[] = { "result.json", "junit.xml", "results.tap" };
	char from[PATH_MAX + 32], to[PATH_MAX + 64];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		xsnprintf(from, sizeof(from), "%s/%s", dir, names[i]);
		xsnprintf(to, sizeof(to), "%s/runs-1-%d.%s", dir, upto, names[i]);
		if (file_exists(from))
			rename(from, to);
	}
}

/* A results dir that is a link would put .lock, .running and the results
 * wherever it points (/etc). lstat of "link/" follows it: the trailing
 * slashes go first. */
static bool is_symlink(const char *dir)
{
	char path[PATH_MAX];
	size_t n = strlen(dir);
	struct stat st;

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n >= sizeof(path))
		return false;
	memcpy(path, dir, n);
	path[n] = '\0';
	return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

/* The dirs this process claimed and has not released: an exit (a usage
 * error, a clean end of verify, gate or bisect) takes their .running. */
static struct claimed {
	char *dir;
	pid_t pid;      /* a forked worker inherits the list but owns none of it */
} *claimed;
static size_t nclaimed;

static bool result_is_running(const char *path)
{
	struct json_object *o = jread_file(path, 4u << 20);
	bool running = !strcmp(jtext(o, "verdict"), "RUNNING");

	json_object_put(o);
	return running;
}

/* A run still RUNNING at exit was cut short: the marker stays, so that a
 * later command marks it ABANDONED. */
static bool holds_running_run(const char *dir)
{
	char path[PATH_MAX + 300];
	struct dirent *e;
	DIR *d = opendir(dir);
	bool found = false;

	while (d && !found && (e = readdir(d))) {
		if (strncmp(e->d_name, "run-", 4))
			continue;
		xsnprintf(path, sizeof(path), "%s/%s/result.json", dir, e->d_name);
		found = result_is_running(path);
	}
	if (d)
		closedir(d);
	return found;
}

static void release_claimed_at_exit(void)
{
	char running[PATH_MAX + 16];

	for (size_t i = 0; i < nclaimed; i++)
		if (claimed[i].pid == getpid() && !holds_running_run(claimed[i].dir)) {
			xsnprintf(running, sizeof(running), "%s/.running", claimed[i].dir);
			unlink(running);
		}
}

static void remember_claim(const char *dir)
{
	static bool registered;

	if (!registered)
		registered = atexit(release_claimed_at_exit) == 0;
	claimed = xrealloc(claimed, (nclaimed + 1) * sizeof(*claimed));
	claimed[nclaimed++] = (struct claimed){ .dir = xstrdup(dir), .pid = getpid() };
}

static void forget_claim(const char *dir)
{
	for (size_t i = 0; i < nclaimed; i++)
		if (claimed[i].pid == getpid() && !strcmp(claimed[i].dir, dir)) {
			free(claimed[i].dir);
			claimed[i] = claimed[--nclaimed];
			return;
		}
}

/* A disk that is full, failing or read-only is the machine's fault: the
 * command could not test anything (125, which git bisect skips). A path
 * that is not a directory, or not writable by permission, stays a usage
 * error (2). */

static int claim_failed(char *err, size_t len, const char *dir, const char *what, int e, int fd)
{
	if (fd >= 0)
		close(fd);
	if (util_disk_fault(e))
		die(EXIT_UNTESTABLE, "--out %s: %s (%s); could not test", dir, what, strerror(e));
	snprintf(err, len, "--out %s: %s (%s)", dir, what, strerror(e));
	return -1;
}

/* Opens and takes the lock; -1 with err set when another run holds it. */
static int take_lock(const char *dir, int *fd_out, char *err, size_t len)
{
	char held[32] = "";
	int fd = open_lock(dir);

	if (fd < 0)
		return claim_failed(err, len, dir, "cannot create its lock file", errno, -1);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ssize_t n = pread(fd, held, sizeof(held) - 1, 0);
		held[n > 0 ? n : 0] = '\0';
		held[strcspn(held, "\n")] = '\0';
		close(fd);
		return refuse(err, len, "--out %s: another mmrepro run (pid %s) is writing to it", dir,
			      held[0] ? held : "?");
	}
	*fd_out = fd;
	return 0;
}

static int write_lock_pid(int fd, const char *dir, char *err, size_t len)
{
	char pid[32], running[PATH_MAX + 16];
	int rc;

	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, strlen(pid), 0) != (ssize_t)strlen(pid))
		return claim_failed(err, len, dir, "cannot write its lock file", errno ? errno : EIO, fd);
	xsnprintf(running, sizeof(running), "%s/.running", dir);
	if ((rc = write_file_atomic(running, pid, strlen(pid))) < 0)
		return claim_failed(err, len, dir, "cannot write its .running marker", -rc, fd);
	return 0;
}

int run_claim_out_dir(const char *dir, bool force, char *err, size_t len)
{
	struct stat st;
	bool summary;
	int fd = -1, max;

	if (is_symlink(dir))
		return refuse(err, len, "--out %s: is a symbolic link; give the directory itself%s", dir, "");
	errno = 0;
	if (mkdir_p(dir, 0755) < 0 || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK) < 0)
		return claim_failed(err, len, dir, "not a writable directory", errno ? errno : ENOTDIR, -1);
	if (take_lock(dir, &fd, err, len) < 0)
		return -1;
	max = highest_run(dir, &summary);
	if ((max || summary) && !force) {
		close(fd);
		return refuse(err, len, "--out %s: already holds results%s; pass --force to add runs to it "
			      "(the old ones are kept) or choose another --out", dir, "");
	}
	mark_abandoned_locked(dir);
	if (summary)
		keep_old_summary(dir, max);
	errno = 0;
	if (write_lock_pid(fd, dir, err, len) < 0)
		return -1;
	remember_claim(dir);
	/* The lock stays held, through fd, until this process ends. */
	return max + 1;
}

/* A run whose result.json could not be written (a full disk) is still
 * RUNNING there: as at exit, the marker stays for a later command. */
void outdir_release(const char *dir)
{
	char running[PATH_MAX + 16];

	xsnprintf(running, sizeof(running), "%s/.running", dir);
	if (!holds_running_run(dir))
		unlink(running);
	forget_claim(dir);
}

static void mark_stale_under(const char *results)
{
	char path[PATH_MAX * 2];
	struct dirent **top;
	int n = scandir(results, &top, NULL, NULL);

	for (int i = 0; i < n; i++) {
		struct dirent **sub;
		int m;
		if (top[i]->d_name[0] != '.' && (top[i]->d_type == DT_DIR || top[i]->d_type == DT_UNKNOWN)) {
			xsnprintf(path, sizeof(path), "%s/%s", results, top[i]->d_name);
			run_mark_abandoned(path);
			/* A suite dir holds one invocation dir per case and kernel. */
			m = scandir(path, &sub, NULL, NULL);
			for (int j = 0; j < m; j++) {
				char inner[PATH_MAX * 2 + 300];
				if (sub[j]->d_name[0] != '.' && sub[j]->d_type != DT_REG && strncmp(sub[j]->d_name, "run-", 4)) {
					xsnprintf(inner, sizeof(inner), "%s/%s", path, sub[j]->d_name);
					run_mark_abandoned(inner);
				}
				free(sub[j]);
			}
			if (m >= 0)
				free(sub);
		}
		free(top[i]);
	}
	if (n >= 0)
		free(top);
}

void run_default_out_dir(const char *case_name, const char *kernel_spec, char *out, size_t len)
{
	char stamp[32], kern[64], results[PATH_MAX], link[PATH_MAX + 16], tmp[PATH_MAX + 32];
	time_t t = time(NULL);

	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&t));
	snprintf(kern, sizeof(kern), "%s", kernel_spec);
	for (char *p = kern; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9') &&
		    *p != '.' && *p != '-')
			*p = '_';
	xsnprintf(results, sizeof(results), "%s/results", repo_root());
	mark_stale_under(results);
	xsnprintf(out, len, "%s/%s-%s-%s-%d", results, stamp, case_name, kern, (int)getpid());
	mkdir_p(out, 0755);
	/* results/latest moves atomically: a new link, then rename over. */
	xsnprintf(link, sizeof(link), "%s/latest", results);
	xsnprintf(tmp, sizeof(tmp), "%s/.latest.%d", results, (int)getpid());
	unlink(tmp);
	if (symlink(strrchr(out, '/') + 1, tmp) == 0 && rename(tmp, link) < 0)
		unlink(tmp);
}

