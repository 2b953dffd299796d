#include "console.h"
#include "suites.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Real processes stand in for QEMU: the console must end and reap them on
 * every path. */
static struct console_result run_sh(const char *script, int timeout, int idle, size_t cap, char *log)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	struct console_opts o = { .log_path = log, .timeout_s = timeout, .idle_timeout_s = idle,
				  .max_log_bytes = cap, .signal_fd = -1, .echo_fd = -1 };
	struct console_result r;

	snprintf(log, 256, "%s/console.log", test_temp_dir());
	console_run(argv, &o, &r);
	console_result_free(&r);
	return r;
}

START_TEST(exit_records_marks_and_status)
{
	char log[256];
	struct console_result r = run_sh("echo 'mmrepro-init: start'; echo x; "
					 "echo 'mmrepro-init: workload-start /w'; exit 3", 10, 10, 1 << 20, log);
	size_t len;
	char *text = read_file(log, &len);

	ck_assert_int_eq(r.end, CONSOLE_EXITED);
	ck_assert(WIFEXITED(r.exit_status) && WEXITSTATUS(r.exit_status) == 3);
	ck_assert(r.mark_s[MARK_INIT] >= 0);
	ck_assert(r.mark_s[MARK_WORKLOAD_START] >= 0);
	ck_assert(r.mark_s[MARK_POWEROFF] < 0);
	ck_assert_ptr_nonnull(strstr(text, "mmrepro-init: workload-start /w\n"));
	free(text);
}
END_TEST

START_TEST(no_output_times_out_and_kills)
{
	char log[256];
	double t = now_seconds();
	struct console_result r = run_sh("echo hi; exec sleep 30", 20, 1, 1 << 20, log);

	ck_assert_int_eq(r.end, CONSOLE_IDLE);
	ck_assert(now_seconds() - t < 8);
	ck_assert(WIFSIGNALED(r.exit_status));
}
END_TEST

START_TEST(overall_timeout_even_with_output)
{
	char log[256];
	struct console_result r = run_sh("while :; do echo tick; sleep 0.1; done", 1, 5, 1 << 20, log);

	ck_assert_int_eq(r.end, CONSOLE_TIMEOUT);
}
END_TEST

START_TEST(flood_is_capped)
{
	char log[256];
	struct console_result r = run_sh("yes floodfloodflood", 20, 5, 1 << 16, log);
	size_t len;
	char *text = read_file(log, &len);

	ck_assert_int_eq(r.end, CONSOLE_FLOOD);
	ck_assert_uint_le(len, 1 << 16);
	free(text);
}
END_TEST

/* Gone, or a zombie waiting for whoever adopted it. */
static bool process_alive(int pid)
{
	char path[64], *stat;
	bool alive;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	stat = read_file(path, NULL);
	if (!stat)
		return false;
	alive = !strstr(stat, ") Z ") && !strstr(stat, ") X ");
	free(stat);
	return alive;
}

START_TEST(whole_process_group_is_killed)
{
	char log[256], script[256], pidfile[128];

	snprintf(pidfile, sizeof(pidfile), "%s/child.pid", test_temp_dir());
	snprintf(script, sizeof(script), "sleep 60 & echo $! > %s; echo started; wait", pidfile);
	struct console_result r = run_sh(script, 20, 1, 1 << 20, log);
	char *pid = read_file(pidfile, NULL);

	ck_assert_int_eq(r.end, CONSOLE_IDLE);
	ck_assert_ptr_nonnull(pid);
	usleep(100000);
	ck_assert_msg(!process_alive(atoi(pid)), "child %s of the killed group still runs", pid);
	free(pid);
}
END_TEST

START_TEST(signal_interrupts_and_keeps_log)
{
	char log[256], *argv[] = { "sh", "-c", "echo before; exec sleep 30", NULL };
	int sfd = console_signal_fd();
	struct console_opts o = { .log_path = log, .timeout_s = 20, .idle_timeout_s = 20,
				  .max_log_bytes = 1 << 20, .signal_fd = sfd, .echo_fd = -1 };
	struct console_result r;
	pid_t self = getpid();

	snprintf(log, sizeof(log), "%s/console.log", test_temp_dir());
	if (fork() == 0) {
		usleep(300000);
		kill(self, SIGINT);
		_exit(0);
	}
	console_run(argv, &o, &r);
	ck_assert_int_eq(r.end, CONSOLE_INTERRUPTED);
	ck_assert_int_eq(r.signal, SIGINT);
	console_result_free(&r);
	char *text = read_file(log, NULL);
	ck_assert_ptr_nonnull(strstr(text, "before"));
	free(text);
}
END_TEST

START_TEST(missing_binary_is_spawn_failure)
{
	char log[256], *argv[] = { "/nonexistent/qemu", NULL };
	struct console_opts o = { .log_path = log, .timeout_s = 5, .idle_timeout_s = 5,
				  .max_log_bytes = 1 << 20, .signal_fd = -1, .echo_fd = -1 };
	struct console_result r;

	snprintf(log, sizeof(log), "%s/console.log", test_temp_dir());
	console_run(argv, &o, &r);
	ck_assert_int_eq(r.end, CONSOLE_SPAWN_FAILED);
	ck_assert_ptr_nonnull(strstr(r.qemu_stderr, "cannot run /nonexistent/qemu"));
	console_result_free(&r);
}
END_TEST

START_TEST(marks_are_recognised_only_at_line_start)
{
	ck_assert_int_eq(console_line_mark("mmrepro-init: start", 19), MARK_INIT);
	ck_assert_int_eq(console_line_mark("\rmmrepro-init: poweroff", 23), MARK_POWEROFF);
	ck_assert_int_eq(console_line_mark("[ 1.0] echo mmrepro-init: start", 31), -1);
}
END_TEST

static struct console_result run_opts_sh(const char *script, struct console_opts *o, char *log)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	struct console_result r;

	snprintf(log, 256, "%s/console.log", test_temp_dir());
	o->log_path = log;
	o->signal_fd = -1;
	if (!o->echo_fd)
		o->echo_fd = -1;
	o->max_log_bytes = o->max_log_bytes ? o->max_log_bytes : 1 << 20;
	console_run(argv, o, &r);
	return r;
}

START_TEST(kvm_internal_error_on_stderr_ends_the_run)
{
	char log[256];
	struct console_opts o = { .timeout_s = 20, .idle_timeout_s = 20, .fatal_stderr = "KVM internal error" };
	double t = now_seconds();
	struct console_result r = run_opts_sh("echo 'KVM internal error. Suberror: 1' >&2; exec sleep 30", &o, log);

	ck_assert_int_eq(r.end, CONSOLE_QEMU_FATAL);
	ck_assert(now_seconds() - t < 5);
	ck_assert_ptr_nonnull(strstr(r.qemu_stderr, "Suberror: 1"));
	console_result_free(&r);
}
END_TEST

START_TEST(silent_start_ends_at_the_probe_window)
{
	char log[256];
	struct console_opts o = { .timeout_s = 20, .idle_timeout_s = 20, .start_probe_s = 1 };
	struct console_result r = run_opts_sh("exec sleep 30", &o, log);

	ck_assert_int_eq(r.end, CONSOLE_NO_START);
	ck_assert(r.seconds < 5);
	console_result_free(&r);
	/* Output before the window keeps the run going. */
	r = run_opts_sh("echo up; sleep 1.5; exit 0", &o, log);
	ck_assert_int_eq(r.end, CONSOLE_EXITED);
	console_result_free(&r);
}
END_TEST

START_TEST(result_channel_is_collected_and_capped)
{
	char log[256];
	struct console_opts o = { .timeout_s = 20, .idle_timeout_s = 20, .results_channel = true,
				  .max_results_bytes = 100 };
	struct console_result r = run_opts_sh("printf 'mmrepro-result x 1' >&3; echo err >&2; echo out", &o, log);

	ck_assert_int_eq(r.end, CONSOLE_EXITED);
	ck_assert_str_eq(r.results, "mmrepro-result x 1");
	ck_assert(!r.results_overflow);
	ck_assert_str_eq(r.qemu_stderr, "err\n");
	console_result_free(&r);
	r = run_opts_sh("head -c 100000 /dev/zero | tr '\\0' a >&3; echo done", &o, log);
	ck_assert(r.results_overflow);
	ck_assert_uint_eq(r.results_len, 100);
	console_result_free(&r);
	/* Without the channel, fd 3 leads nowhere. */
	o.results_channel = false;
	r = run_opts_sh("echo x >&3 && echo wrote", &o, log);
	ck_assert_ptr_null(r.results);
	console_result_free(&r);
}
END_TEST

START_TEST(terminal_copy_is_sanitised_and_marks_have_lines)
{
	char log[256], echo_path[256];
	int fd;
	struct console_opts o = { .timeout_s = 20, .idle_timeout_s = 20 };

	snprintf(echo_path, sizeof(echo_path), "%s/echo", test_temp_dir());
	fd = open(echo_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	o.echo_fd = fd;
	struct console_result r = run_opts_sh("printf 'a\\r\\n\\033[31mred\\007\\nmmrepro-init: workload-start w\\n'", &o, log);
	close(fd);
	char *echoed = read_file(echo_path, NULL), *logged = read_file(log, NULL);
	ck_assert_str_eq(echoed, "a\n?[31mred?\nmmrepro-init: workload-start w\n");
	/* The log itself keeps the console's bytes as they were. */
	ck_assert_ptr_nonnull(strstr(logged, "\033[31mred"));
	ck_assert_int_eq(r.mark_line[MARK_WORKLOAD_START], 3);
	free(echoed);
	free(logged);
	console_result_free(&r);
}
END_TEST

/* The runner dies by SIGKILL mid-run: the supervisor takes QEMU with it. */
START_TEST(qemu_dies_with_a_killed_runner)
{
	char pidfile[256], script[512], log[256];
	pid_t runner;
	char *pid = NULL;

	snprintf(pidfile, sizeof(pidfile), "%s/qemu.pid", test_temp_dir());
	snprintf(script, sizeof(script), "echo $$ > %s; echo up; exec sleep 60", pidfile);
	runner = fork();
	if (runner == 0) {
		struct console_opts o = { .timeout_s = 60, .idle_timeout_s = 60 };
		run_opts_sh(script, &o, log);
		_exit(0);
	}
	/* The shell creates the file before it writes the pid: wait for a line. */
	for (int i = 0; i < 100 && !(pid && strchr(pid, '\n')); i++) {
		free(pid);
		pid = read_file(pidfile, NULL);
		usleep(50000);
	}
	ck_assert_ptr_nonnull(pid);
	ck_assert(process_alive(atoi(pid)));
	kill(runner, SIGKILL);
	waitpid(runner, NULL, 0);
	for (int i = 0; i < 40 && process_alive(atoi(pid)); i++)
		usleep(50000);
	ck_assert_msg(!process_alive(atoi(pid)), "QEMU stand-in %s outlived its runner", pid);
	free(pid);
}
END_TEST

/* Reads what a child writes into a pipe: n bytes of 'x'. */
static char *read_piped(size_t n, size_t max, size_t *len, int *err)
{
	int fds[2];
	pid_t pid;
	char *text;

	ck_assert_int_eq(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		static char chunk[65536];
		close(fds[0]);
		memset(chunk, 'x', sizeof(chunk));
		for (size_t left = n; left;) {
			ssize_t w = write(fds[1], chunk, left < sizeof(chunk) ? left : sizeof(chunk));
			if (w <= 0)
				_exit(1);
			left -= (size_t)w;
		}
		_exit(0);
	}
	close(fds[1]);
	text = read_fd_limited(fds[0], max, len);
	*err = errno;
	close(fds[0]);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return text;
}

/* classify - reads stdin this way: /dev/zero on stdin ends at the cap. */
START_TEST(piped_input_is_capped)
{
	size_t len = 0;
	int err;
	char *text = read_piped(1u << 20, 1u << 20, &len, &err);

	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(len, 1u << 20);
	ck_assert_int_eq(text[len], '\0');
	free(text);
	ck_assert_ptr_null(read_piped((1u << 20) + 1, 1u << 20, &len, &err));
	ck_assert_int_eq(err, EFBIG);
	ck_assert_ptr_null(read_piped(64u << 20, 100, &len, &err));
	ck_assert_int_eq(err, EFBIG);
}
END_TEST

/* A full disk under the log (/dev/full: every write is ENOSPC): the run
 * goes on, the errno is kept, and the console is still there, in memory,
 * for the verdict. */
START_TEST(log_write_error_is_kept_and_the_console_is_in_memory)
{
	char *argv[] = { "sh", "-c", "echo 'mmrepro-init: workload-start /w'; echo 'BUG: lost on disk'; "
			 "echo oops >&2", NULL };
	struct console_opts o = { .log_path = "/dev/full", .stderr_path = "/dev/full", .timeout_s = 10,
				  .idle_timeout_s = 10, .max_log_bytes = 1 << 20, .signal_fd = -1, .echo_fd = -1 };
	struct console_result r;

	ck_assert_int_eq(console_run(argv, &o, &r), 0);
	ck_assert_int_eq(r.end, CONSOLE_EXITED);
	ck_assert_int_eq(r.log_errno, ENOSPC);
	ck_assert_int_eq(r.stderr_errno, ENOSPC);
	ck_assert(r.mark_s[MARK_WORKLOAD_START] >= 0);
	ck_assert_ptr_nonnull(r.log);
	ck_assert_str_eq(r.log, "mmrepro-init: workload-start /w\nBUG: lost on disk\n");
	ck_assert_uint_eq(r.log_len, strlen(r.log));
	ck_assert_str_eq(r.qemu_stderr, "oops\n");
	console_result_free(&r);
	ck_assert_ptr_null(r.log);
}
END_TEST

/* A log that cannot even be created: QEMU is not started, and why is kept. */
START_TEST(log_that_cannot_be_created_is_a_spawn_failure_with_its_errno)
{
	char log[256], *argv[] = { "sh", "-c", "echo never", NULL };
	struct console_opts o = { .log_path = log, .timeout_s = 5, .idle_timeout_s = 5,
				  .max_log_bytes = 1 << 20, .signal_fd = -1, .echo_fd = -1 };
	struct console_result r;

	snprintf(log, sizeof(log), "%s/no-such-dir/console.log", test_temp_dir());
	ck_assert_int_eq(console_run(argv, &o, &r), -1);
	ck_assert_int_eq(r.end, CONSOLE_SPAWN_FAILED);
	ck_assert_int_eq(r.log_errno, ENOENT);
	ck_assert_ptr_null(r.log);
	console_result_free(&r);
}
END_TEST

/* The copy in memory is the log, byte for byte, capped where the log is. */
START_TEST(memory_copy_is_the_log_and_shares_its_cap)
{
	char log[256];
	struct console_opts o = { .timeout_s = 20, .idle_timeout_s = 5, .max_log_bytes = 100000 };
	struct console_result r = run_opts_sh("echo first; yes 0123456789abcdef", &o, log);
	size_t len;
	char *text = read_file(log, &len);

	ck_assert_int_eq(r.end, CONSOLE_FLOOD);
	ck_assert_int_eq(r.log_errno, 0);
	ck_assert_uint_eq(r.log_len, 100000);
	ck_assert_uint_eq(len, r.log_len);
	ck_assert(!memcmp(text, r.log, len));
	ck_assert_uint_ge(r.bytes, r.log_len);
	free(text);
	console_result_free(&r);
	r = run_opts_sh("echo short", &o, log);
	text = read_file(log, &len);
	ck_assert_int_eq(r.end, CONSOLE_EXITED);
	ck_assert_str_eq(r.log, "short\n");
	ck_assert_str_eq(text, r.log);
	free(text);
	console_result_free(&r);
}
END_TEST

Suite *console_suite(void)
{
	Suite *s = suite_create("console");
	TCase *t = tcase_create("processes");

	tcase_set_timeout(t, 30);
	tcase_add_test(t, exit_records_marks_and_status);
	tcase_add_test(t, no_output_times_out_and_kills);
	tcase_add_test(t, overall_timeout_even_with_output);
	tcase_add_test(t, flood_is_capped);
	tcase_add_test(t, whole_process_group_is_killed);
	tcase_add_test(t, signal_interrupts_and_keeps_log);
	tcase_add_test(t, missing_binary_is_spawn_failure);
	tcase_add_test(t, marks_are_recognised_only_at_line_start);
	tcase_add_test(t, kvm_internal_error_on_stderr_ends_the_run);
	tcase_add_test(t, silent_start_ends_at_the_probe_window);
	tcase_add_test(t, result_channel_is_collected_and_capped);
	tcase_add_test(t, terminal_copy_is_sanitised_and_marks_have_lines);
	tcase_add_test(t, qemu_dies_with_a_killed_runner);
	tcase_add_test(t, piped_input_is_capped);
	tcase_add_test(t, log_write_error_is_kept_and_the_console_is_in_memory);
	tcase_add_test(t, log_that_cannot_be_created_is_a_spawn_failure_with_its_errno);
	tcase_add_test(t, memory_copy_is_the_log_and_shares_its_cap);
	suite_add_tcase(s, t);
	return s;
}
