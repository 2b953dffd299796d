#include "build.h"
#include "suites.h"
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char config[] =
	"#\n# Automatically generated file; DO NOT EDIT.\n#\nCONFIG_CMA=y\nCONFIG_CMA_AREAS=7\n"
	"# CONFIG_KSM is not set\nCONFIG_LOCALVERSION=\"-mm\"\nCONFIG_ZRAM=m\nCONFIG_CMA_DEBUGFS=y\n";

START_TEST(fragment_lines_checked_against_config)
{
	ck_assert(build_config_line_holds(config, "CONFIG_CMA=y"));
	ck_assert(build_config_line_holds(config, "CONFIG_CMA_AREAS=7"));
	ck_assert(build_config_line_holds(config, "CONFIG_LOCALVERSION=\"-mm\""));
	ck_assert(build_config_line_holds(config, "CONFIG_ZRAM=m"));
	ck_assert(build_config_line_holds(config, "# CONFIG_KSM is not set"));
	ck_assert(build_config_line_holds(config, "# CONFIG_ABSENT is not set"));
	ck_assert(build_config_line_holds(config, "CONFIG_ABSENT=n"));
	ck_assert(build_config_line_holds(config, "# a comment"));
	ck_assert(build_config_line_holds(config, ""));
	ck_assert(!build_config_line_holds(config, "CONFIG_KSM=y"));
	ck_assert(!build_config_line_holds(config, "CONFIG_ZRAM=y"));
	ck_assert(!build_config_line_holds(config, "CONFIG_CMA_AREAS=8"));
	/* A prefix of another symbol must not count. */
	ck_assert(!build_config_line_holds(config, "CONFIG_CM=y"));
	ck_assert(!build_config_line_holds(config, "CONFIG_DEBUGFS=y"));
	ck_assert(!build_config_line_holds(config, "# CONFIG_CMA is not set"));
	ck_assert(!build_config_line_holds(config, "CONFIG_CMA=n"));
	ck_assert(!build_config_line_holds(config, "garbage"));
}
END_TEST

START_TEST(cache_key_hashes_contents_in_order)
{
	const char *p1[] = { "patch A", "patch B", NULL }, *p2[] = { "patch B", "patch A", NULL };
	const char *p3[] = { "patch A", "patch B ", NULL }, *f1[] = { "CONFIG_CMA=y\n", NULL };
	const char *f2[] = { "CONFIG_CMA=y\nCONFIG_KSM=y\n", NULL };
	char k1[25], k2[25];

	build_cache_key("debian linux-source-6.12 6.12.117", "gcc 12.2.0", p1, f1, k1);
	ck_assert_uint_eq(strlen(k1), 24);
	build_cache_key("debian linux-source-6.12 6.12.117", "gcc 12.2.0", p1, f1, k2);
	ck_assert_str_eq(k1, k2);
	build_cache_key("debian linux-source-6.12 6.12.117", "gcc 12.2.0", p2, f1, k2);
	ck_assert_str_ne(k1, k2);
	build_cache_key("debian linux-source-6.12 6.12.117", "gcc 12.2.0", p3, f1, k2);
	ck_assert_str_ne(k1, k2);
	build_cache_key("debian linux-source-6.12 6.12.117", "gcc 12.2.0", p1, f2, k2);
	ck_assert_str_ne(k1, k2);
	build_cache_key("debian linux-source-6.12 6.12.118", "gcc 12.2.0", p1, f1, k2);
	ck_assert_str_ne(k1, k2);
	build_cache_key("debian linux-source-6.12 6.12.117", "gcc 13.1.0", p1, f1, k2);
	ck_assert_str_ne(k1, k2);
	build_cache_key("debian linux-source-6.12 6.12.117", "gcc 12.2.0", NULL, f1, k2);
	ck_assert_str_ne(k1, k2);
}
END_TEST

START_TEST(capture_argv_returns_trimmed_stdout_without_a_shell)
{
	char orig[4096], dir[128], *out;

	ck_assert_ptr_nonnull(getcwd(orig, sizeof(orig)));
	snprintf(dir, sizeof(dir), "%s", test_temp_dir());
	ck_assert_int_eq(chdir(dir), 0);
	out = capture_argv((char *[]){ "printf", "  one\\ntwo \\n\\n", NULL }, NULL);
	ck_assert_str_eq(out, "  one\ntwo");
	free(out);
	out = capture_argv((char *[]){ "echo", "$(touch PWNED) `touch PWNED2`; touch PWNED3", NULL }, NULL);
	ck_assert_str_eq(out, "$(touch PWNED) `touch PWNED2`; touch PWNED3");
	free(out);
	ck_assert(!test_dir_has_entry_starting(dir, "PWNED"));
	ck_assert(!test_dir_has_entry_starting(orig, "PWNED"));
	ck_assert_int_eq(chdir(orig), 0);
	out = capture_argv((char *[]){ "pwd", NULL }, dir);
	ck_assert_str_eq(out, dir);
	free(out);
}
END_TEST

START_TEST(capture_argv_fails_on_error_exit_and_too_much_output)
{
	char *out;

	ck_assert_ptr_null(capture_argv((char *[]){ "false", NULL }, NULL));
	/* Output before a non-zero exit does not count, and stderr is dropped. */
	ck_assert_ptr_null(capture_argv((char *[]){ "sh", "-c", "echo out; echo err >&2; exit 3", NULL }, NULL));
	ck_assert_ptr_null(capture_argv((char *[]){ "/nonexistent/program", NULL }, NULL));
	ck_assert_ptr_null(capture_argv((char *[]){ "true", NULL }, "/nonexistent/dir"));
	out = capture_argv((char *[]){ "sh", "-c", "echo out; echo err >&2", NULL }, NULL);
	ck_assert_str_eq(out, "out");
	free(out);
	/* Beyond the cap is an error, not a silently shortened result. */
	ck_assert_ptr_null(capture_argv((char *[]){ "head", "-c", "2000000", "/dev/zero", NULL }, NULL));
	out = capture_argv((char *[]){ "sh", "-c", "head -c 900000 /dev/zero | tr '\\0' a", NULL }, NULL);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(strlen(out), 900000);
	free(out);
}
END_TEST

START_TEST(run_cmd_split_logs_stdout_and_keeps_stderr_apart)
{
	char dir[128], log[160], errs[160], *text;

	snprintf(dir, sizeof(dir), "%s", test_temp_dir());
	snprintf(log, sizeof(log), "%s/log", dir);
	snprintf(errs, sizeof(errs), "%s/errs", dir);
	ck_assert_int_eq(run_cmd_split((char *[]){ "sh", "-c", "echo out1", NULL }, log, errs, NULL), 0);
	ck_assert_int_eq(run_cmd_split((char *[]){ "sh", "-c", "echo out2; echo e >&2; exit 4", NULL }, log, errs,
				       NULL), 4);
	text = read_file(log, NULL);
	ck_assert_str_eq(text, "out1\nout2\n");
	free(text);
	text = read_file(errs, NULL);
	ck_assert_str_eq(text, "e\n");
	free(text);
}
END_TEST

START_TEST(remove_tree_removes_without_following_links)
{
	char dir[128], outside[160], path[256];

	snprintf(dir, sizeof(dir), "%s", test_temp_dir());
	snprintf(outside, sizeof(outside), "%s", test_temp_file("keep", ".txt"));
	snprintf(path, sizeof(path), "%s/a/b", dir);
	ck_assert_int_eq(mkdir_p(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/a/b/link", dir);
	ck_assert_int_eq(symlink(outside, path), 0);
	snprintf(path, sizeof(path), "%s/a/b/file", dir);
	ck_assert_int_eq(write_file_atomic(path, "x", 1), 0);
	ck_assert_int_eq(remove_tree(dir), 0);
	ck_assert(!file_exists(dir));
	ck_assert(file_exists(outside));
	ck_assert_int_eq(remove_tree(dir), 0);
}
END_TEST

/* kernel_get with MMREPRO_CACHE in a temp dir; returns the exit code. */
static int get_kernel(const char *spec, const char *series, char *err, size_t errlen)
{
	struct kernel k;
	char cache[128];

	snprintf(cache, sizeof(cache), "%s", test_temp_dir());
	setenv("MMREPRO_CACHE", cache, 1);
	err[0] = '\0';
	return kernel_get(spec, series, NULL, -1, false, &k, err, errlen);
}

START_TEST(hostile_git_spec_is_usage_error_and_runs_nothing)
{
	char orig[4096], dir[128], err[1024];
	const char *specs[] = { "git:/x'; touch PWNED; echo '@HEAD", "git:/tmp/$(touch PWNED2)@HEAD" };

	ck_assert_ptr_nonnull(getcwd(orig, sizeof(orig)));
	snprintf(dir, sizeof(dir), "%s", test_temp_dir());
	ck_assert_int_eq(chdir(dir), 0);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(get_kernel(specs[i], NULL, err, sizeof(err)), EXIT_USAGE);
		ck_assert_msg(!strncmp(err, "--kernel ", 9), "%s", err);
	}
	ck_assert(!test_dir_has_entry_starting(dir, "PWNED"));
	ck_assert(!test_dir_has_entry_starting(orig, "PWNED"));
	ck_assert(!test_dir_has_entry_starting("/tmp", "$(touch PWNED2)"));
	ck_assert_int_eq(chdir(orig), 0);
}
END_TEST

static void assert_usage_error(const char *spec, const char *series, const char *want)
{
	char err[1024];

	ck_assert_int_eq(get_kernel(spec, series, err, sizeof(err)), EXIT_USAGE);
	ck_assert_msg(strstr(err, want) != NULL, "%s: got '%s', want '%s'", spec, err, want);
	ck_assert_msg(!strncmp(err, series ? "--series " : "--kernel ", 9), "%s", err);
}

START_TEST(git_spec_checked_up_front)
{
	char repo[128], spec[300];
	const char *plain = test_temp_dir();

	snprintf(repo, sizeof(repo), "%s", test_git_repo());
	assert_usage_error("git:/nonexistent/linux@HEAD", NULL, "is not a directory");
	snprintf(spec, sizeof(spec), "git:%s@HEAD", plain);
	assert_usage_error(spec, NULL, "is not a git repository");
	snprintf(spec, sizeof(spec), "git:%s@no-such-branch", repo);
	assert_usage_error(spec, NULL, "'no-such-branch' is not a commit");
	snprintf(spec, sizeof(spec), "git:%s@--output=x", repo);
	assert_usage_error(spec, NULL, "starts with '-'");
	snprintf(spec, sizeof(spec), "git:%s", repo);
	assert_usage_error(spec, NULL, "expected git:/path/to/linux@REV");
}
END_TEST

START_TEST(dir_spec_checked_up_front)
{
	char spec[300];

	assert_usage_error("dir:/nonexistent/linux", NULL, "no such directory");
	snprintf(spec, sizeof(spec), "dir:%s", test_temp_file("not a dir", ".txt"));
	assert_usage_error(spec, NULL, "no such directory");
	snprintf(spec, sizeof(spec), "dir:%s", test_temp_dir());
	assert_usage_error(spec, NULL, "not a kernel tree");
}
END_TEST

/* A file with just enough of an x86 setup header for kernel_image_release:
 * "HdrS" at 0x202 and the version string pointer at 0x20e. */
static const char *fake_bzimage(void)
{
	static char path[160];
	unsigned char img[0x400] = { 0 };
	FILE *f;

	memcpy(img + 0x202, "HdrS", 4);
	img[0x20e] = 0x00;
	img[0x20f] = 0x01;
	memcpy(img + 0x300, "6.12.0-test (builder) #1", 24);
	snprintf(path, sizeof(path), "%s/bzImage", test_temp_dir());
	f = fopen(path, "wb");
	fwrite(img, 1, sizeof(img), f);
	fclose(f);
	return path;
}

START_TEST(image_spec_checked_up_front)
{
	char image[160], spec[600], err[1024];
	struct kernel k;

	snprintf(image, sizeof(image), "%s", fake_bzimage());
	assert_usage_error("image:/nonexistent/bzImage", NULL, "/nonexistent/bzImage does not exist");
	snprintf(spec, sizeof(spec), "image:%s", test_temp_file("just text\n", ".txt"));
	assert_usage_error(spec, NULL, "is not a readable x86 bzImage");
	snprintf(spec, sizeof(spec), "image:%s,modules=/nonexistent/modules", image);
	assert_usage_error(spec, NULL, "modules dir /nonexistent/modules does not exist");
	snprintf(spec, sizeof(spec), "image:%s,config=/nonexistent/config", image);
	assert_usage_error(spec, NULL, "config /nonexistent/config does not exist");
	snprintf(spec, sizeof(spec), "image:%s,vmlinux=/nonexistent/vmlinux", image);
	assert_usage_error(spec, NULL, "vmlinux /nonexistent/vmlinux does not exist");
	snprintf(spec, sizeof(spec), "image:%s,config=%s", image, image);
	ck_assert_msg(kernel_resolve_prebuilt(spec, &k, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(k.release, "6.12.0-test");
}
END_TEST

/* A bad series is a usage error before any tree is touched: no worktree,
 * no unpacked sources, and for src: not even the package lookup. */
START_TEST(bad_series_is_usage_error_before_any_tree)
{
	char repo[128], spec[300], cache[160], path[300], err[1024];
	struct kernel k;

	snprintf(repo, sizeof(repo), "%s", test_git_repo());
	snprintf(spec, sizeof(spec), "git:%s@HEAD", repo);
	assert_usage_error(spec, test_temp_dir(), "no readable 'series' file");
	assert_usage_error(spec, "/nonexistent/series", "No such file");
	assert_usage_error(spec, test_temp_file("From x Mon Sep 17 00:00:00 2001\nSubject: hi\n\nno patch\n", ".mbox"),
			   "no message in the mbox is a patch");
	assert_usage_error("src:deb-6.12", test_temp_dir(), "no readable 'series' file");
	snprintf(cache, sizeof(cache), "%s", getenv("MMREPRO_CACHE"));
	snprintf(path, sizeof(path), "%s/worktrees", cache);
	ck_assert(!file_exists(path));
	snprintf(path, sizeof(path), "%s/src", cache);
	ck_assert(!file_exists(path));
	/* The series is checked against prebuilt kernels too. */
	ck_assert_int_eq(kernel_get("deb:6.12", test_temp_dir(), NULL, -1, false, &k, err, sizeof(err)), EXIT_USAGE);
}
END_TEST

START_TEST(cache_gc_removes_incomplete_and_stale_only)
{
	char cache[128], path[300];
	const char *keep[] = { "kernels/fresh", "logs/new.log" }, *gone[] = { "kernels/abc.tmp-12", "kernels/stale",
									     "logs/old.log" };
	struct timespec old[2] = { { .tv_sec = time(NULL) - 30 * 86400 }, { .tv_sec = time(NULL) - 30 * 86400 } };

	snprintf(cache, sizeof(cache), "%s", test_temp_dir());
	setenv("MMREPRO_CACHE", cache, 1);
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", cache, i < 2 ? gone[i] : keep[0]);
		ck_assert_int_eq(mkdir_p(path, 0755), 0);
	}
	snprintf(path, sizeof(path), "%s/logs", cache);
	ck_assert_int_eq(mkdir_p(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/logs/new.log", cache);
	ck_assert_int_eq(write_file_atomic(path, "n", 1), 0);
	snprintf(path, sizeof(path), "%s/logs/old.log", cache);
	ck_assert_int_eq(write_file_atomic(path, "o", 1), 0);
	ck_assert_int_eq(utimensat(AT_FDCWD, path, old, 0), 0);
	snprintf(path, sizeof(path), "%s/kernels/stale", cache);
	ck_assert_int_eq(utimensat(AT_FDCWD, path, old, 0), 0);
	ck_assert_int_eq(build_cache_gc(7), 0);
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", cache, keep[i]);
		ck_assert_msg(file_exists(path), "%s was removed", keep[i]);
	}
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", cache, gone[i]);
		ck_assert_msg(!file_exists(path), "%s was kept", gone[i]);
	}
}
END_TEST

Suite *build_suite(void)
{
	Suite *s = suite_create("build");
	TCase *t = tcase_create("config-and-key");

	tcase_add_test(t, fragment_lines_checked_against_config);
	tcase_add_test(t, cache_key_hashes_contents_in_order);
	suite_add_tcase(s, t);
	t = tcase_create("no-shell");
	tcase_add_test(t, capture_argv_returns_trimmed_stdout_without_a_shell);
	tcase_add_test(t, capture_argv_fails_on_error_exit_and_too_much_output);
	tcase_add_test(t, run_cmd_split_logs_stdout_and_keeps_stderr_apart);
	tcase_add_test(t, remove_tree_removes_without_following_links);
	tcase_add_test(t, hostile_git_spec_is_usage_error_and_runs_nothing);
	tcase_add_test(t, cache_gc_removes_incomplete_and_stale_only);
	suite_add_tcase(s, t);
	t = tcase_create("input-checks");
	tcase_add_test(t, git_spec_checked_up_front);
	tcase_add_test(t, dir_spec_checked_up_front);
	tcase_add_test(t, image_spec_checked_up_front);
	tcase_add_test(t, bad_series_is_usage_error_before_any_tree);
	suite_add_tcase(s, t);
	return s;
}
