/* mmrepro guest init (PID 1).
 *
 * Reads /job.ini from the initramfs, loads the modules listed in
 * /modules/order (libkmod), mounts the host root read-only over 9p with
 * tmpfs where writes are needed (or, for a guest of another architecture
 * than the host, stays on the initramfs), bind-mounts the initramfs's /mmrepro (the
 * workload and the kernel's .config) at /run/mmrepro, prepares the guest
 * (sysctls, sysfs knobs, cgroups, zram swap), runs the workload in its own process group
 * with a timeout, sends its result files back over the second serial port
 * (the host has no writable share for the guest), and powers off. Every
 * step prints a "mmrepro-init:" line; the host runner times the phases by
 * them.
 */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#ifndef MMREPRO_NO_KMOD
#include <libkmod.h>
#endif
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "protocol.h"
#include "tst_mm.h"

#define OUT_DIR "/tmp/mmrepro"
#define SUITE_DIR "/run/mmrepro"
#define RESULT_MAX (1 << 20)
#define MAX_SYSCTL 16
#define MAX_KNOBS 16

/* A knob line of the job: NAME PATH VALUE (protocol.h). */
struct job_knob {
	char name[64];
	char path[160];
	char value[64];
};

struct job {
	char workload[512];
	char args[512];
	char kconfig[512];
	char cgroup[64];
	char zram[32];
	char sysctls[MAX_SYSCTL][160];
	int nsysctls;
	struct job_knob knobs[MAX_KNOBS];
	int nknobs;
	bool too_many_knobs;        /* more lines than knobs[]: none may be dropped */
	int timeout_s;
	bool initramfs_root;        /* root = initramfs: no 9p host root */
	char result_port[64];
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	/* Unbuffered, so lines reach the console before a crash. */
	if (write(1, buf, (size_t)n) < 0)
		return;
}

static void power_off(void)
{
	say("%s", PROTO_MARK_POWEROFF);
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

static void fatal(const char *fmt, const char *arg)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, arg, strerror(errno));
	say(PROTO_MARK_ERROR "%s", msg);
	power_off();
}

static void mount_or_die(const char *src, const char *dst, const char *type, unsigned long flags, const char *data)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, flags, data) < 0) {
		char what[256];
		snprintf(what, sizeof(what), "mount %s on %s", type, dst);
		fatal("%s: %s", what);
	}
}

#ifdef MMREPRO_NO_KMOD
/* Built without libkmod (Debian has no static one for a cross-built init):
 * such a guest boots kernels with their drivers built in. */
static void load_modules(void)
{
	char line[512];
	FILE *f = fopen("/modules/order", "r");

	while (f && fgets(line, sizeof(line), f))
		if (line[0] != '\n') {
			line[strcspn(line, "\n")] = '\0';
			errno = ENOSYS;
			fatal("insmod %s: %s (this init has no libkmod)", line);
		}
	if (f)
		fclose(f);
}
#else
static void load_modules(void)
{
	struct kmod_ctx *ctx = kmod_new("/modules", NULL);
	char line[512];
	FILE *f = fopen("/modules/order", "r");

	if (!f || !ctx)
		fatal("%s: %s", "/modules/order");
	while (fgets(line, sizeof(line), f)) {
		struct kmod_module *m;
		int r;

		line[strcspn(line, "\n")] = '\0';
		if (!line[0])
			continue;
		if (kmod_module_new_from_path(ctx, line, &m) < 0)
			fatal("%s: %s", line);
		r = kmod_module_insert_module(m, 0, NULL);
		if (r < 0 && r != -EEXIST) {
			errno = -r;
			fatal("insmod %s: %s", line);
		}
		kmod_module_unref(m);
	}
	fclose(f);
	kmod_unref(ctx);
}
#endif

/* root = initramfs: the initramfs stays the root, with the same scratch
 * dirs and mounts the 9p root gets. */
static void stay_on_initramfs(void)
{
	static const char *const tmpfs_dirs[] = { "/tmp", "/var/tmp", NULL };

	mkdir("/var", 0755);
	for (const char *const *d = tmpfs_dirs; *d; d++)
		mount_or_die("tmpfs", *d, "tmpfs", 0, "mode=1777");
	mount_or_die("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	mkdir(OUT_DIR, 0777);
	mkdir("/run", 0755);
	mount_or_die("/mmrepro", SUITE_DIR, NULL, MS_BIND, NULL);
}

static void mount_root(void)
{
	/* Only scratch dirs: the host's /root and /home stay visible, since
	 * kernel caches and configs the workloads read may live there. */
	static const char *const tmpfs_dirs[] = { "/newroot/tmp", "/newroot/run", "/newroot/var/tmp", NULL };

	mount_or_die("hostroot", "/newroot", "9p", MS_RDONLY,
		     "trans=virtio,version=9p2000.L,msize=512000,cache=loose");
	for (const char *const *d = tmpfs_dirs; *d; d++)
		mount_or_die("tmpfs", *d, "tmpfs", 0, "mode=1777");
	mount_or_die("devtmpfs", "/newroot/dev", "devtmpfs", 0, NULL);
	mount_or_die("proc", "/newroot/proc", "proc", 0, NULL);
	mount_or_die("sysfs", "/newroot/sys", "sysfs", 0, NULL);
	mount_or_die("debugfs", "/newroot/sys/kernel/debug", "debugfs", 0, NULL);
	mkdir("/newroot" OUT_DIR, 0777);
	mount_or_die("/mmrepro", "/newroot" SUITE_DIR, NULL, MS_BIND, NULL);
	if (chdir("/newroot") < 0 || chroot(".") < 0 || chdir("/") < 0)
		fatal("%s: %s", "chroot /newroot");
}

/* "NAME PATH VALUE": three words, each short enough for its field. */
static void add_knob(struct job *j, const char *line)
{
	struct job_knob *k = &j->knobs[j->nknobs];
	char extra;

	if (j->nknobs == MAX_KNOBS) {
		j->too_many_knobs = true;
		return;
	}
	memset(k, 0, sizeof(*k));
	if (sscanf(line, "%63s %159s %63s %c", k->name, k->path, k->value, &extra) != 3)
		snprintf(k->name, sizeof(k->name), "(malformed job line)");
	j->nknobs++;
}

static int on_job(void *user, const char *section, const char *key, const char *value)
{
	struct job *j = user;

	if (strcmp(section, "job"))
		return 0;
	if (!strcmp(key, PROTO_JOB_WORKLOAD))
		snprintf(j->workload, sizeof(j->workload), "%s", value);
	else if (!strcmp(key, PROTO_JOB_ARGS))
		snprintf(j->args, sizeof(j->args), "%s", value);
	else if (!strcmp(key, PROTO_JOB_KCONFIG))
		snprintf(j->kconfig, sizeof(j->kconfig), "%s", value);
	else if (!strcmp(key, PROTO_JOB_CGROUP))
		snprintf(j->cgroup, sizeof(j->cgroup), "%s", value);
	else if (!strcmp(key, PROTO_JOB_ZRAM))
		snprintf(j->zram, sizeof(j->zram), "%s", value);
	else if (!strcmp(key, PROTO_JOB_TIMEOUT))
		j->timeout_s = atoi(value);
	else if (!strcmp(key, PROTO_JOB_SYSCTL) && j->nsysctls < MAX_SYSCTL)
		snprintf(j->sysctls[j->nsysctls++], sizeof(j->sysctls[0]), "%s", value);
	else if (!strcmp(key, PROTO_JOB_KNOB))
		add_knob(j, value);
	else if (!strcmp(key, PROTO_JOB_ROOT))
		j->initramfs_root = !strcmp(value, PROTO_ROOT_INITRAMFS);
	else if (!strcmp(key, PROTO_JOB_RESULT_PORT))
		snprintf(j->result_port, sizeof(j->result_port), "%s", value);
	else
		return 0;
	return 1;
}

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

static void apply_sysctls(const struct job *j)
{
	for (int i = 0; i < j->nsysctls; i++) {
		char path[256], name[160];
		const char *eq = strchr(j->sysctls[i], '=');
		snprintf(name, sizeof(name), "%.*s", (int)(eq - j->sysctls[i]), j->sysctls[i]);
		for (char *p = name; *p; p++)
			if (*p == '.')
				*p = '/';
		snprintf(path, sizeof(path), "/proc/sys/%s", name);
		if (write_str(path, eq + 1) < 0)
			say(PROTO_MARK_ERROR "sysctl %s: %s", j->sysctls[i], strerror(errno));
	}
}

/* Only the mm and sysctl trees: the host names the file, and a job that
 * named any other would write where no knob lives. */
static bool knob_path_allowed(const char *path)
{
	return (!strncmp(path, "/sys/kernel/mm/", 15) || !strncmp(path, "/proc/sys/", 10)) && !strstr(path, "/..");
}

/* Every knob, or an error line naming the first that could not be set
 * (why says so too, for the CONF result); false then. */
static bool apply_knobs(const struct job *j, char *why, size_t len)
{
	if (j->too_many_knobs) {
		snprintf(why, len, "knob: more than %d knob lines in the job", MAX_KNOBS);
		say(PROTO_MARK_ERROR "%s", why);
		return false;
	}
	for (int i = 0; i < j->nknobs; i++) {
		const struct job_knob *k = &j->knobs[i];
		int r = knob_path_allowed(k->path) ? write_str(k->path, k->value) : -EPERM;
		if (r == 0)
			continue;
		if (r == -ENOENT)
			snprintf(why, len, "knob %s: %s does not exist in this kernel", k->name, k->path);
		else
			snprintf(why, len, "knob %s: cannot write '%s' to %s: %s", k->name, k->value, k->path, strerror(-r));
		say(PROTO_MARK_ERROR "%s", why);
		return false;
	}
	for (int i = 0; i < j->nknobs; i++)
		say("mmrepro-init: knob %s = %s", j->knobs[i].name, j->knobs[i].value);
	return true;
}

/* cgroup v2 by default; "v1:memory,cpu" mounts one v1 hierarchy per
 * controller, the way pre-systemd distributions did. */
static void mount_cgroups(const struct job *j)
{
	char ctrls[64], *save, *c;

	if (!j->cgroup[0] || !strcmp(j->cgroup, "v2")) {
		mount_or_die("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL);
		return;
	}
	mount_or_die("tmpfs", "/sys/fs/cgroup", "tmpfs", 0, "mode=755");
	snprintf(ctrls, sizeof(ctrls), "%s", j->cgroup + 3);
	for (c = strtok_r(ctrls, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
		char dst[128];
		snprintf(dst, sizeof(dst), "/sys/fs/cgroup/%s", c);
		mkdir(dst, 0755);
		/* A kernel without this v1 controller (6.12 without MEMCG_V1)
		 * is the workload's to report as CONF, not a broken boot. */
		if (mount("cgroup", dst, "cgroup", 0, c) < 0)
			say("mmrepro-init: cgroup v1 controller %s unavailable: %s", c, strerror(errno));
	}
}

static int run_wait(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* zramctl --size and mkswap, for a guest with no host root to run them
 * from: the size goes to sysfs, the swap header is written here. */
static int zram_without_util_linux(const struct job *j)
{
	char why[256];

	if (write_str("/sys/block/zram0/disksize", j->zram) < 0)
		return -1;
	if (tst_write_swap_header("/dev/zram0", why, sizeof(why)) < 0) {
		say(PROTO_MARK_ERROR "%s", why);
		return -1;
	}
	return 0;
}

/* Swap on zram, with util-linux's zramctl and mkswap from the host root. */
static void setup_zram(const struct job *j)
{
	char *zramctl[] = { "/sbin/zramctl", "/dev/zram0", "--size", (char *)j->zram, NULL };
	char *mkswap[] = { "/sbin/mkswap", "-q", "/dev/zram0", NULL };
	bool made;

	if (!j->zram[0])
		return;
	if (access("/sys/block/zram0", F_OK) < 0)
		write_str("/sys/class/zram-control/hot_add", "1");
	if (j->initramfs_root)
		made = zram_without_util_linux(j) == 0;
	else
		made = run_wait(zramctl) == 0 && run_wait(mkswap) == 0;
	if (!made || swapon("/dev/zram0", 0) < 0) {
		say(PROTO_MARK_ERROR "zram swap of %s could not be set up", j->zram);
		return;
	}
	say("mmrepro-init: zram swap %s on /dev/zram0", j->zram);
}

static int split_args(char *args, char **argv, int max)
{
	int n = 0;
	char *save, *w;

	for (w = strtok_r(args, " \t", &save); w && n < max - 1; w = strtok_r(NULL, " \t", &save))
		argv[n++] = w;
	argv[n] = NULL;
	return n;
}

static pid_t start_workload(struct job *j)
{
	char *argv[64];
	pid_t pid;

	argv[0] = j->workload;
	split_args(j->args, argv + 1, 63);
	pid = fork();
	if (pid != 0)
		return pid;
	setpgid(0, 0);
	setenv("MMREPRO_RESULT", OUT_DIR "/workload.json", 1);
	setenv("MMREPRO_KCONFIG", j->kconfig, 1);
	if (j->timeout_s > 0) {
		char timeout[16];

		/* The workload library ends its loops well before this. */
		snprintf(timeout, sizeof(timeout), "%d", j->timeout_s);
		setenv("MMREPRO_TIMEOUT", timeout, 1);
	}
	setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
	setenv("HOME", "/tmp", 1);
	execv(argv[0], argv);
	say(PROTO_MARK_ERROR "exec %s: %s", argv[0], strerror(errno));
	_exit(2);
}

/* Waits for the workload; reaps orphans too, as PID 1 must. It sleeps in
 * sigtimedwait for SIGCHLD rather than polling, so the run ends the moment
 * the workload does. */
static int wait_loop(pid_t pid, int timeout_s, int *timed_out, const sigset_t *chld)
{
	struct timespec start, now;
	int status;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		pid_t r = waitpid(-1, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r > 0)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (timeout_s > 0 && now.tv_sec - start.tv_sec >= timeout_s) {
			*timed_out = 1;
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			return status;
		}
		/* A child that exits between waitpid and here leaves SIGCHLD
		 * pending, so this returns at once; 1 s bounds the timeout check. */
		sigtimedwait(chld, NULL, &(struct timespec){ .tv_sec = 1 });
	}
}

static int wait_workload(pid_t pid, int timeout_s, int *timed_out)
{
	sigset_t chld;
	int status;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	/* Blocked only while waiting: what init runs later must not inherit it. */
	sigprocmask(SIG_BLOCK, &chld, NULL);
	status = wait_loop(pid, timeout_s, timed_out, &chld);
	sigprocmask(SIG_UNBLOCK, &chld, NULL);
	return status;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One record of the result channel: "mmrepro-result NAME LEN\n", LEN
 * bytes, "\n". The host parses it strictly and keeps only names it knows. */
static void send_record(int port, const char *name, const char *data, size_t len)
{
	char head[128];
	int n = snprintf(head, sizeof(head), PROTO_RECORD_HEAD "%s %zu\n", name, len);

	if (write_all(port, head, (size_t)n) < 0 || write_all(port, data, len) < 0 || write_all(port, "\n", 1) < 0)
		say(PROTO_MARK_ERROR "result channel: %s", strerror(errno));
}

static void send_file(int port, const char *name)
{
	char path[256], *buf = malloc(RESULT_MAX);
	int fd;
	ssize_t n = -1;

	snprintf(path, sizeof(path), OUT_DIR "/%s", name);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && buf)
		n = read(fd, buf, RESULT_MAX);
	if (n >= 0)
		send_record(port, name, buf, (size_t)n);
	if (fd >= 0)
		close(fd);
	free(buf);
}

static int open_result_port(const char *path)
{
	int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	struct termios t;

	if (fd < 0) {
		say(PROTO_MARK_ERROR "open %s: %s", path, strerror(errno));
		return -1;
	}
	/* Raw: no CR added before LF, nothing else rewritten. */
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		t.c_cflag |= CLOCAL;
		cfsetospeed(&t, B115200);
		tcsetattr(fd, TCSANOW, &t);
	}
	return fd;
}

static void send_results(const struct job *j, const char *status)
{
	int port = open_result_port(j->result_port[0] ? j->result_port : PROTO_RESULT_PORT_DEFAULT);

	if (port < 0)
		return;
	send_record(port, PROTO_REC_STATUS, status, strlen(status));
	send_file(port, PROTO_REC_JSON);
	send_file(port, PROTO_REC_KSELFTEST);
	send_file(port, PROTO_REC_REPRO);
	if (write_all(port, PROTO_RECORD_END, strlen(PROTO_RECORD_END)) < 0)
		say(PROTO_MARK_ERROR "result channel: %s", strerror(errno));
	/* Every byte out of the UART before the power goes. */
	tcdrain(port);
	close(port);
}

static void report_exit(const struct job *j, int status, int timed_out)
{
	char line[128];

	if (timed_out)
		snprintf(line, sizeof(line), "timeout");
	else if (WIFEXITED(status))
		snprintf(line, sizeof(line), "exit=%d", WEXITSTATUS(status));
	else
		snprintf(line, sizeof(line), "signal=%s", strsignal(WTERMSIG(status)));
	say("%s %s", PROTO_MARK_WORKLOAD_END, line);
	send_results(j, line);
}

/* The workload's result file as the library would write a CONF, for a
 * run that could not be set up as asked: the host reads it like any. */
static void write_conf_result(const char *why)
{
	FILE *f = fopen(OUT_DIR "/" PROTO_REC_JSON, "w");

	if (!f)
		return;
	fputs("{\"verdict\": \"CONF\", \"reason\": \"", f);
	for (const char *p = why; *p; p++)
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else
			fputc((unsigned char)*p < 0x20 ? '?' : *p, f);
	fputs("\"}\n", f);
	fclose(f);
}

int main(void)
{
	static struct job job;
	char why[512];
	int timed_out = 0, status;

	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	say("%s", PROTO_MARK_INIT);
	if (ini_parse(PROTO_JOB_FILE, on_job, &job) != 0 || !job.workload[0])
		fatal("%s: %s", "/job.ini unreadable or without workload");
	load_modules();
	if (job.initramfs_root)
		stay_on_initramfs();
	else
		mount_root();
	say("%s", PROTO_MARK_ROOT);
	/* Boot ran at loglevel 5; the workload phase shows everything. */
	write_str("/proc/sys/kernel/printk", "7");
	mount_cgroups(&job);
	apply_sysctls(&job);
	if (!apply_knobs(&job, why, sizeof(why))) {
		write_conf_result(why);
		send_results(&job, "conf");
		power_off();
	}
	setup_zram(&job);
	say("%s %s %s", PROTO_MARK_WORKLOAD_START, job.workload, job.args);
	status = wait_workload(start_workload(&job), job.timeout_s, &timed_out);
	report_exit(&job, status, timed_out);
	power_off();
	return 0;
}
