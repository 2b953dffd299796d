#include "run.h"
#include "suites.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void put(const char *dir, const char *name, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_int_eq(write_file_atomic(path, text, strlen(text)), 0);
}

START_TEST(untrusted_reads_refuse_links_devices_and_big_files)
{
	const char *dir = test_temp_dir();
	char file[256], link[256], fifo[256];
	size_t len;
	char *text;

	snprintf(file, sizeof(file), "%s/status", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	put(dir, "status", "exit=0");
	ck_assert_int_eq(symlink("/etc/passwd", link), 0);
	ck_assert_int_eq(mkfifo(fifo, 0644), 0);
	text = read_file_limited(file, 100, &len);
	ck_assert_str_eq(text, "exit=0");
	ck_assert_uint_eq(len, 6);
	free(text);
	ck_assert_ptr_null(read_file_limited(link, 1 << 20, NULL));
	ck_assert_int_eq(errno, ELOOP);
	ck_assert_ptr_null(read_file_limited(fifo, 1 << 20, NULL));
	ck_assert_ptr_null(read_file_limited("/dev/zero", 1 << 20, NULL));
	ck_assert_ptr_null(read_file_limited(file, 5, NULL));
	ck_assert_int_eq(errno, EFBIG);
}
END_TEST

/* A dir that is not ours (report DIR, --resume DIR) may hold a link where
 * the temp file or a log goes: the write must not follow it. */
START_TEST(atomic_write_does_not_follow_a_planted_temp_link)
{
	const char *dir = test_temp_dir();
	char victim[256], path[256], tmp[300];
	char *text;

	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(path, sizeof(path), "%s/report.html", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	put(dir, "victim", "precious");
	ck_assert_int_eq(symlink(victim, tmp), 0);
	ck_assert_int_eq(write_file_atomic(path, "page", 4), 0);
	text = read_file_limited(victim, 100, NULL);
	ck_assert_str_eq(text, "precious");
	free(text);
	text = read_file_limited(path, 100, NULL);
	ck_assert_str_eq(text, "page");
	free(text);
	/* A command's log is not written through a link either. */
	snprintf(tmp, sizeof(tmp), "%s/git-output", dir);
	ck_assert_int_eq(symlink(victim, tmp), 0);
	ck_assert_int_ne(run_cmd((char *[]){ "echo", "overwritten", NULL }, tmp, NULL), 0);
	text = read_file_limited(victim, 100, NULL);
	ck_assert_str_eq(text, "precious");
	free(text);
}
END_TEST

START_TEST(sanitising_keeps_text_and_drops_control_bytes)
{
	char s[] = "a\033[2Jb\tc\nd\re\x7f";
	char t[] = "a\tb\nc\rd";

	sanitize_text(s, false);
	ck_assert_str_eq(s, "a?[2Jb?c?d?e?");
	sanitize_text(t, true);
	ck_assert_str_eq(t, "a\tb\nc?d");
}
END_TEST

START_TEST(out_dir_with_results_needs_force_and_keeps_them)
{
	const char *dir = test_temp_dir();
	char err[512] = "", path[512];

	ck_assert_int_eq(run_claim_out_dir(dir, false, err, sizeof(err)), 1);
	snprintf(path, sizeof(path), "%s/run-1", dir);
	mkdir(path, 0755);
	put(path, "result.json", "{\"verdict\":\"PASS\"}");
	put(dir, "result.json", "{\"runs\":[]}");
	/* This process holds the lock already; a child stands in for a second run. */
	pid_t pid = fork();
	if (pid == 0) {
		char e[512];
		int first = run_claim_out_dir(dir, false, e, sizeof(e));
		_exit(first == -1 && strstr(e, "another mmrepro run (pid ") ? 0 : 1);
	}
	int status;
	waitpid(pid, &status, 0);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a held dir was not refused");
}
END_TEST

START_TEST(force_numbers_new_runs_after_old_ones)
{
	const char *dir = test_temp_dir();
	char err[512] = "", path[512];

	for (int i = 1; i <= 3; i += 2) {
		snprintf(path, sizeof(path), "%s/run-%d", dir, i);
		mkdir(path, 0755);
	}
	put(dir, "result.json", "{\"runs\":[]}");
	ck_assert_int_eq(run_claim_out_dir(dir, false, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "already holds results; pass --force"));
	ck_assert_int_eq(run_claim_out_dir(dir, true, err, sizeof(err)), 4);
	snprintf(path, sizeof(path), "%s/runs-1-3.result.json", dir);
	ck_assert(file_exists(path));
}
END_TEST

START_TEST(unusable_out_dir_is_refused)
{
	char err[512] = "", path[512];
	const char *dir = test_temp_dir();

	snprintf(path, sizeof(path), "%s/file", dir);
	put(dir, "file", "x");
	ck_assert_int_eq(run_claim_out_dir(path, false, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a writable directory"));
	snprintf(path, sizeof(path), "%s/file/sub", dir);
	ck_assert_int_eq(run_claim_out_dir(path, false, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "--out "));
}
END_TEST

/* A runner killed mid-run leaves RUNNING behind; the next command sees
 * its lock free and marks the run ABANDONED. */
START_TEST(runs_of_a_dead_runner_are_marked_abandoned)
{
	const char *dir = test_temp_dir();
	char path[512];
	pid_t pid = fork();

	if (pid == 0) {
		char e[512], run[512];
		run_claim_out_dir(dir, false, e, sizeof(e));
		snprintf(run, sizeof(run), "%s/run-1", dir);
		mkdir(run, 0755);
		put(run, "result.json", "{\"verdict\":\"RUNNING\",\"exit_code\":125}");
		kill(getpid(), SIGKILL);
	}
	waitpid(pid, NULL, 0);
	ck_assert_int_eq(run_mark_abandoned(dir), 1);
	snprintf(path, sizeof(path), "%s/run-1/result.json", dir);
	char *text = read_file(path, NULL);
	ck_assert_ptr_nonnull(strstr(text, "\"verdict\":\"ABANDONED\""));
	free(text);
	/* Once marked, nothing more to do. */
	ck_assert_int_eq(run_mark_abandoned(dir), 0);
}
END_TEST

Suite *run_suite(void)
{
	Suite *s = suite_create("run");
	TCase *t = tcase_create("out-dirs");

	tcase_add_test(t, untrusted_reads_refuse_links_devices_and_big_files);
	tcase_add_test(t, sanitising_keeps_text_and_drops_control_bytes);
	tcase_add_test(t, atomic_write_does_not_follow_a_planted_temp_link);
	tcase_add_test(t, out_dir_with_results_needs_force_and_keeps_them);
	tcase_add_test(t, force_numbers_new_runs_after_old_ones);
	tcase_add_test(t, unusable_out_dir_is_refused);
	tcase_add_test(t, runs_of_a_dead_runner_are_marked_abandoned);
	suite_add_tcase(s, t);
	return s;
}
