/* Runs the kernel's own selftests from the initramfs, one after another,
 * each in its own process group with its timeout (as run_vmtests.sh and
 * the kselftest runner do), their output kept for the host's KTAP parser.
 * Each test's console lines tell the host which test a kernel report
 * came during. */
#include "tst.h"
#include "protocol.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KSFT_LOG "/tmp/mmrepro/" PROTO_REC_KSELFTEST
#define KSFT_SKIP 4
#define STDBUF "/usr/bin/stdbuf"

static const char *suite = "mm", *tests;

static const struct tst_option options[] = {
	{ "suite", TST_OPT_STR, &suite, 0, 0, NULL, "the selftest dir the tests come from" },
	{ "tests", TST_OPT_STR, &tests, 0, 0, NULL, "TEST:TIMEOUT,... in the order to run them" },
	{ NULL },
};

static void mark(int log, const char *fmt, const char *test, const char *end)
{
	char line[256];
	int n = snprintf(line, sizeof(line), fmt, test, end);

	if (n > 0 && write(log, line, (size_t)n) < 0)
		tst_res(TINFO, "cannot write %s: %m", KSFT_LOG);
	printf("%s", line);
	fflush(stdout);
}

static pid_t start_test(const char *path, int log)
{
	pid_t pid = SAFE_FORK();

	if (pid)
		return pid;
	setpgid(0, 0);
	dup2(log, 1);
	dup2(log, 2);
	/* Some tests look for helpers next to themselves. */
	if (chdir(PROTO_GUEST_KSELFTEST) < 0)
		_exit(126);
	/* Into a file stdio buffers whole blocks, and a test that forks then
	 * prints its unflushed lines once per child (test_memcontrol did:
	 * "ok 1" three times, its plan lost): line-buffer it, as a terminal
	 * would, with coreutils' stdbuf from the host root. */
	if (access(STDBUF, X_OK) == 0)
		execl(STDBUF, "stdbuf", "-oL", "-eL", path, (char *)NULL);
	execl(path, path, (char *)NULL);
	_exit(127);
}

/* The test's wait status, or -1 when it ran past its timeout. */
static int wait_test(pid_t pid, int timeout_s)
{
	bool timed_out;
	int status = tst_wait_or_kill(pid, timeout_s, &timed_out);

	return timed_out ? -1 : status;
}

static void judge(const char *test, int status, int timeout_s)
{
	if (status < 0)
		tst_res(TFAIL, "%s: still running after %d s (killed)", test, timeout_s);
	else if (WIFSIGNALED(status))
		tst_res(TFAIL, "%s: killed by %s", test, strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status) == 0)
		tst_res(TPASS, "%s: exit 0", test);
	else if (WEXITSTATUS(status) == KSFT_SKIP)
		tst_res(TCONF, "%s: skipped (exit 4)", test);
	else if (WEXITSTATUS(status) == 127)
		tst_res(TBROK, "%s: could not be executed", test);
	else
		tst_res(TFAIL, "%s: exit %d", test, WEXITSTATUS(status));
}

static void run_one(const char *test, int timeout_s, int log)
{
	char path[512], end[64];
	int status;

	snprintf(path, sizeof(path), "%s/%s", PROTO_GUEST_KSELFTEST, test);
	if (access(path, X_OK) < 0) {
		tst_res(TBROK, "%s: not in the initramfs (did it build?)", test);
		return;
	}
	mark(log, PROTO_KSFT_BEGIN "%s%s\n", test, "");
	status = wait_test(start_test(path, log), timeout_s);
	if (status < 0)
		snprintf(end, sizeof(end), "timeout after %d s", timeout_s);
	else if (WIFSIGNALED(status))
		snprintf(end, sizeof(end), "signal=%s", strsignal(WTERMSIG(status)));
	else
		snprintf(end, sizeof(end), "exit=%d", WEXITSTATUS(status));
	/* A test killed mid-line leaves no newline: the mark starts its own. */
	mark(log, "\n" PROTO_KSFT_END "%s %s\n", test, end);
	judge(test, status, timeout_s);
}

static void run(void)
{
	char *list, *save = NULL, *item;
	int log = open(KSFT_LOG, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);

	if (!tests || !*tests)
		tst_brk(TBROK, "--tests: no test named");
	if (log < 0)
		tst_brk(TBROK, "open %s: %m", KSFT_LOG);
	list = strdup(tests);
	for (item = strtok_r(list, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(item, ':');
		long timeout_s = 180;
		if (colon) {
			*colon = '\0';
			if (tst_parse_long(colon + 1, 1, 86400, &timeout_s) < 0)
				tst_brk(TBROK, "--tests: bad timeout for %s", item);
		}
		run_one(item, (int)timeout_s, log);
	}
	free(list);
	close(log);
}

static struct tst_test test = {
	.name = "kselftest",
	.options = options,
	.runtime = 86400,
	.run = run,
};

TST_MAIN(test)
