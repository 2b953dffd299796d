/* Runs a user's C reproducer the way syzbot does: again and again until
 * its deadline or a kernel report, each run in its own process group and
 * cgroup, and at the deadline the whole group is killed and the run is
 * clean. The kernel report itself is the host's to see on the console;
 * the program's own output goes to a file sent back on its own, since a
 * "BUG: ..." it printed on the console would read as a kernel report.
 * With --exit-fails the program's exit status is its verdict too: 0 goes
 * on, 4 (kselftest's skip) is "could not test", anything else the bug. */
#include "tst.h"
#include "protocol.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REPRO_CGROUP "/sys/fs/cgroup/mmrepro-repro"
#define REPRO_LOG "/tmp/mmrepro/" PROTO_REC_REPRO
#define EXIT_CANNOT_TEST 4

static const char *binary;
static bool exit_fails;

static const struct tst_option options[] = {
	{ "binary", TST_OPT_STR, &binary, 0, 0, NULL, "the reproducer to run" },
	{ "exit-fails", TST_OPT_FLAG, &exit_fails, 0, 0, NULL, "its exit status is its verdict (4: cannot test)" },
	{ NULL },
};

/* Its own cgroup, so that what it forks can be found and counted; a
 * kernel without cgroup v2 here still runs it, just without one. */
static void join_cgroup(void)
{
	char pid[32];

	if (mkdir(REPRO_CGROUP, 0755) < 0 && errno != EEXIST)
		return;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	tst_try_write_file(REPRO_CGROUP "/cgroup.procs", "%s", pid);
}

/* A fresh scratch dir per run: reproducers create files in their cwd. Its
 * output replaces the last run's, so the file stays one run long. */
static pid_t start_one(long run)
{
	char dir[64];
	pid_t pid = SAFE_FORK();
	int out;

	if (pid)
		return pid;
	setpgid(0, 0);
	join_cgroup();
	out = open(REPRO_LOG, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out >= 0) {
		dup2(out, 1);
		dup2(out, 2);
		close(out);
	}
	snprintf(dir, sizeof(dir), "/tmp/repro-%ld", run);
	mkdir(dir, 0755);
	if (chdir(dir) < 0)
		_exit(126);
	execl(binary, binary, (char *)NULL);
	_exit(127);
}

/* A WARNING, an oops or a bad page taints the kernel: the report is on
 * the console already, and more runs would only bury it. */
static bool kernel_reported(long taint_at_start)
{
	const long report_taints = (1L << 5) | (1L << 7) | (1L << 9); /* BAD_PAGE, DIE, WARN */
	long now = tst_read_long("/proc/sys/kernel/tainted");

	return (now & ~taint_at_start & report_taints) != 0;
}

/* Waits for pid until the deadline; then kills its whole group. Returns
 * its wait status, or -1 when the deadline came first. */
static int wait_until(pid_t pid, const struct tst_deadline *d)
{
	/* A deadline just reached is no limit to the library: a hair left. */
	double left = d->end - tst_now();
	bool timed_out;
	int status = tst_wait_or_kill(pid, left > 0.001 ? left : 0.001, &timed_out);

	return timed_out ? -1 : status;
}

/* The last non-empty line the program printed: its own words for the bug. */
static void last_line(char *out, size_t len)
{
	char buf[4096];
	ssize_t n = 0;
	int fd = open(REPRO_LOG, O_RDONLY);
	off_t size = fd >= 0 ? lseek(fd, 0, SEEK_END) : 0;

	out[0] = '\0';
	if (fd >= 0 && size > 0)
		n = pread(fd, buf, sizeof(buf) - 1, size > (off_t)sizeof(buf) - 1 ? size - (off_t)sizeof(buf) + 1 : 0);
	if (fd >= 0)
		close(fd);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n > 0 ? n : 0] = '\0';
	snprintf(out, len, "%s", strrchr(buf, '\n') ? strrchr(buf, '\n') + 1 : buf);
}

/* --exit-fails: true when this run's status ended the test. */
static bool judged_by_exit(int status, long run)
{
	char line[512];

	if (status < 0 || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
		return false;
	last_line(line, sizeof(line));
	tst_value_long("repro_runs", run);
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_CANNOT_TEST)
		tst_res(TCONF, "the reproducer could not test (exit 4): %s", line);
	else
		tst_res(TFAIL, "the reproducer reported the bug in run %ld (%s %d): %s", run,
			WIFEXITED(status) ? "exit" : "signal", WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
			line);
	return true;
}

static void run(void)
{
	struct tst_deadline d;
	long runs = 0, exec_failed = 0, taint = tst_read_long("/proc/sys/kernel/tainted");
	int status = 0;

	if (!binary || access(binary, X_OK) < 0)
		tst_brk(TBROK, "--binary %s: not an executable", binary ? binary : "(none)");
	tst_deadline_start(&d, tst_remaining_runtime());
	while (!tst_deadline_passed(&d)) {
		status = wait_until(start_one(++runs), &d);
		if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 127 && ++exec_failed == 3)
			tst_brk(TBROK, "%s could not be executed (exit 127 three times)", binary);
		if (exit_fails && judged_by_exit(status, runs))
			return;
		if (kernel_reported(taint)) {
			tst_value_long("repro_runs", runs);
			tst_res(TINFO, "the kernel reported a problem during run %ld; stopping", runs);
			tst_res(TPASS, "reproducer stopped after %ld run%s: the verdict is the console's", runs,
				runs == 1 ? "" : "s");
			return;
		}
	}
	tst_value_long("repro_runs", runs);
	tst_value("repro_last_end", "%s", status < 0 ? "killed at the deadline" : "exited");
	tst_res(TPASS, "the reproducer ran %ld time%s in %.0f s with no kernel report", runs, runs == 1 ? "" : "s",
		d.budget);
}

static struct tst_test test = {
	.name = "repro",
	.options = options,
	.runtime = 60,
	.run = run,
};

TST_MAIN(test)
