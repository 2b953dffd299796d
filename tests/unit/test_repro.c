/* Unit tests of the bring-your-own-workload modules: title, repro, adhoc, kselftest, workload, result, case, stats. */
#include "adhoc.h"
#include "case.h"
#include "kselftest.h"
#include "report.h"
#include "repro.h"
#include "result.h"
#include "stats.h"
#include "suites.h"
#include "title.h"
#include "util.h"
#include "workload.h"

#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char err[4096];
static struct case_def c;

/* ---- helpers ------------------------------------------------------------- */

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* ROOT/rel (static buffer). */
static const char *in_repo(const char *rel)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", repo_root(), rel);
	return path;
}

static int saved_stderr = -1;
static char stderr_path[256];

/* Sends fd 2 to a temp file until capture_end. */
static void capture_begin(void)
{
	int fd;

	snprintf(stderr_path, sizeof(stderr_path), "%s", test_temp_file("", ".stderr"));
	fflush(stderr);
	saved_stderr = dup(2);
	fd = open(stderr_path, O_WRONLY | O_TRUNC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(dup2(fd, 2), 2);
	close(fd);
}

/* What went to stderr since capture_begin (malloc'd). */
static char *capture_end(void)
{
	size_t len;
	char *text;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	text = read_file(stderr_path, &len);
	ck_assert_ptr_nonnull(text);
	return text;
}

static void use_private_cache(void)
{
	ck_assert_int_eq(setenv("MMREPRO_CACHE", test_temp_dir(), 1), 0);
}

static int load_text(const char *text)
{
	memset(err, 0, sizeof(err));
	return case_load_buffer("t.case", text, strlen(text), &c, err, sizeof(err));
}

static bool has_sysctl_entry(const char *entry)
{
	for (int i = 0; i < c.nsysctls; i++)
		if (!strcmp(c.sysctls[i], entry))
			return true;
	return false;
}

/* ---- title.h --------------------------------------------------------------- */

START_TEST(title_exact_is_whole_title)
{
	ck_assert(title_matches("kernel BUG in f", "kernel BUG in f"));
	ck_assert(!title_matches("kernel BUG in f", "kernel BUG in f2"));
	ck_assert(!title_matches("BUG in f", "kernel BUG in f"));
	ck_assert(!title_matches("", ""));
	/* A lone slash is an exact title, not an empty regex. */
	ck_assert(title_matches("/", "/"));
	ck_assert_int_eq(title_pattern_check("kernel BUG in f", err, sizeof(err)), 0);
}
END_TEST

START_TEST(title_regex_matches_anywhere)
{
	ck_assert(title_matches("/BUG in (split|migrate)_/", "kernel BUG in split_huge_pmd_locked"));
	ck_assert(title_matches("/pmd_locked$/", "kernel BUG in split_huge_pmd_locked"));
	ck_assert(!title_matches("/^BUG/", "kernel BUG in f"));
	ck_assert(!title_matches("/KASAN/", "kernel BUG in f"));
	ck_assert(!title_matches("/(/", "("));
	ck_assert(!title_matches("//", "anything"));
	ck_assert_int_eq(title_pattern_check("/BUG in (a|b)/", err, sizeof(err)), 0);
}
END_TEST

START_TEST(title_bad_patterns_are_refused)
{
	ck_assert_int_eq(title_pattern_check("", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "an empty title matches no report");
	ck_assert_int_eq(title_pattern_check("//", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "an empty title matches no report");
	ck_assert_int_eq(title_pattern_check("/bad(/", err, sizeof(err)), -1);
	ck_assert(starts_with(err, "/bad(/: not a valid extended regex ("));
}
END_TEST

/* ---- repro.h --------------------------------------------------------------- */

START_TEST(repro_argv_is_gcc_static_then_cflags)
{
	static const char *const want[] = { "gcc", "-O2", "-static", "-pthread", "-w", "-DX=1", "-g", "-Wall",
					     "-o", "/o/bin", "-x", "c", "/s/r.c", NULL };
	char *words, **argv = repro_compile_argv("/s/r.c", " -DX=1  -g\t-Wall ", ARCH_X86_64, "/o/bin", &words);

	for (int i = 0; want[i]; i++)
		ck_assert_str_eq(argv[i], want[i]);
	ck_assert_ptr_null(argv[13]);
	free(argv);
	free(words);
	argv = repro_compile_argv("r.c", NULL, ARCH_ARM64, "out", &words);
	ck_assert_str_eq(argv[0], "aarch64-linux-gnu-gcc");
	ck_assert_str_eq(argv[4], "-w");
	ck_assert_str_eq(argv[5], "-o");
	ck_assert_str_eq(argv[6], "out");
	ck_assert_str_eq(argv[7], "-x");
	ck_assert_str_eq(argv[9], "r.c");
	ck_assert_ptr_null(argv[10]);
	free(argv);
	free(words);
}
END_TEST

/* Whether the ELF file at path is an executable with no PT_INTERP. */
static bool elf_is_static(const char *path)
{
	size_t len;
	char *img = read_file(path, &len);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
	bool ok;

	ck_assert_ptr_nonnull(img);
	ck_assert_uint_ge(len, sizeof(*eh));
	ck_assert_int_eq(memcmp(eh->e_ident, ELFMAG, SELFMAG), 0);
	ck_assert_uint_le(eh->e_phoff + (size_t)eh->e_phnum * sizeof(Elf64_Phdr), len);
	ok = eh->e_type == ET_EXEC || eh->e_type == ET_DYN;
	for (int i = 0; i < eh->e_phnum; i++)
		ok &= ((const Elf64_Phdr *)(img + eh->e_phoff))[i].p_type != PT_INTERP;
	free(img);
	return ok;
}

START_TEST(repro_compiles_static_and_caches)
{
	char src[PATH_MAX], bin[PATH_MAX], again[PATH_MAX], *out;
	struct stat st1, st2;

	snprintf(src, sizeof(src), "%s", test_temp_file("int main(void) { return 0; }\n", ".c"));
	use_private_cache();
	ck_assert_int_eq(repro_compile(src, "-DUNUSED=1", ARCH_X86_64, bin, sizeof(bin), err, sizeof(err)), 0);
	ck_assert(starts_with(bin, getenv("MMREPRO_CACHE")));
	ck_assert(strstr(bin, "/repro/") != NULL);
	ck_assert_int_eq(stat(bin, &st1), 0);
	ck_assert(st1.st_mode & S_IXUSR);
	ck_assert(elf_is_static(bin));
	capture_begin();
	ck_assert_int_eq(repro_compile(src, "-DUNUSED=1", ARCH_X86_64, again, sizeof(again), err, sizeof(err)), 0);
	out = capture_end();
	ck_assert_str_eq(again, bin);
	ck_assert_int_eq(stat(again, &st2), 0);
	ck_assert_int_eq(st2.st_ino, st1.st_ino);
	ck_assert_int_eq(st2.st_mtim.tv_sec, st1.st_mtim.tv_sec);
	ck_assert_int_eq(st2.st_mtim.tv_nsec, st1.st_mtim.tv_nsec);
	ck_assert(strstr(out, "compiled binary from the cache") != NULL);
	ck_assert(strstr(out, "mmrepro: compiling:") == NULL);
	free(out);
}
END_TEST

START_TEST(repro_other_flags_are_another_binary)
{
	const char *src = test_temp_file("int main(void) { return 0; }\n", ".c");
	char a[PATH_MAX], b[PATH_MAX];

	use_private_cache();
	ck_assert_int_eq(repro_compile(src, "", ARCH_X86_64, a, sizeof(a), err, sizeof(err)), 0);
	ck_assert_int_eq(repro_compile(src, "-DOTHER", ARCH_X86_64, b, sizeof(b), err, sizeof(err)), 0);
	ck_assert_str_ne(a, b);
	ck_assert(file_exists(a) && file_exists(b));
}
END_TEST

START_TEST(repro_compile_error_shows_file_line)
{
	char src[PATH_MAX], bin[PATH_MAX], where[PATH_MAX + 8], *out;
	int rc;

	snprintf(src, sizeof(src), "%s", test_temp_file("int main(void)\n{\n\treturn no_such_variable;\n}\n", ".c"));
	use_private_cache();
	snprintf(where, sizeof(where), "%s:3:", src);
	capture_begin();
	rc = repro_compile(src, NULL, ARCH_X86_64, bin, sizeof(bin), err, sizeof(err));
	out = capture_end();
	ck_assert_int_eq(rc, EXIT_USAGE);
	ck_assert(starts_with(err, src));
	ck_assert(strstr(err, "does not compile") != NULL);
	ck_assert_msg(strstr(out, where) != NULL, "no %s in: %s", where, out);
	ck_assert(strstr(out, "no_such_variable") != NULL);
	ck_assert(!file_exists(bin));
	free(out);
}
END_TEST

START_TEST(repro_missing_file_is_usage)
{
	char bin[PATH_MAX], src[PATH_MAX];

	use_private_cache();
	snprintf(src, sizeof(src), "%s/absent.c", test_temp_dir());
	ck_assert_int_eq(repro_compile(src, NULL, ARCH_X86_64, bin, sizeof(bin), err, sizeof(err)), EXIT_USAGE);
	ck_assert(starts_with(err, src));
	ck_assert(strstr(err, "cannot read the reproducer") != NULL);
}
END_TEST

/* ---- adhoc.h --------------------------------------------------------------- */

static int check_opts(const struct adhoc_opts *a)
{
	memset(err, 0, sizeof(err));
	return adhoc_check(a, err, sizeof(err));
}

START_TEST(adhoc_refuses_two_sources)
{
	struct adhoc_opts a = { .repro = "/dev/null", .kselftest = "mm" };

	ck_assert_int_eq(check_opts(&a), -1);
	ck_assert(strstr(err, "--repro, --syzbot and --kselftest") != NULL);
	a = (struct adhoc_opts){ .repro = "/dev/null", .syzbot = "dir" };
	ck_assert_int_eq(check_opts(&a), -1);
	ck_assert(strstr(err, "give one") != NULL);
	a = (struct adhoc_opts){ .repro = "/dev/null" };
	ck_assert(adhoc_given(&a));
	ck_assert_int_eq(check_opts(&a), 0);
}
END_TEST

START_TEST(adhoc_bad_values_name_their_option)
{
	static const char *nl_sysctl[] = { "vm.swappiness=1\n[vm]" }, *no_eq[] = { "vm.swappiness" };
	static const struct {
		struct adhoc_opts a;
		const char *prefix;
	} rows[] = {
		{ { .repro = "/dev/null", .title = "/bad(/" }, "--title /bad(/: not a valid extended regex" },
		{ { .repro = "/dev/null", .title = "" }, "--title an empty title" },
		{ { .kselftest = "bogus:x" }, "--kselftest bogus:x: expected mm" },
		{ { .repro = "/dev/null", .sysctls = no_eq, .nsysctls = 1 }, "--sysctl vm.swappiness: expected NAME=VALUE" },
		{ { .repro = "/dev/null", .sysctls = nl_sysctl, .nsysctls = 1 }, "--sysctl: the value may not hold" },
		{ { .repro = "/dev/null", .cmdline = "a=1\nb=2" }, "--cmdline: the value may not hold" },
		{ { .repro = "/dev/null", .cmdline = "a=1 ;b" }, "--cmdline: the value may not hold" },
		{ { .repro = "/dev/null", .title = "BUG #1" }, "--title: the value may not hold" },
		{ { .repro = "/dev/null", .repro_cflags = "-DX\t-g" }, "--repro-cflags: the value may not hold" },
		{ { .repro = "r.c\n" }, "--repro r.c" },
		{ { .repro = "/dev/null", .memory = "10M" }, "--memory 10M: expected a size from 64M" },
		{ { .repro = "/dev/null", .memory = "lots" }, "--memory lots: expected a size" },
		{ { .repro = "/dev/null", .numa = "512M,12Q" }, "--numa 512M,12Q: '12Q' is not a node size" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ck_assert_int_eq(check_opts(&rows[i].a), -1);
		ck_assert_msg(starts_with(err, rows[i].prefix), "row %zu: '%s' does not start '%s'", i, err,
			      rows[i].prefix);
	}
}
END_TEST

START_TEST(adhoc_good_values_pass)
{
	static const char *sysctls[] = { "vm.swappiness=100", "vm.overcommit_memory=1" };
	struct adhoc_opts a = { .repro = "/dev/null", .title = "/BUG in (a|b)/", .memory = "2G", .numa = "1G,1G",
				.cmdline = "transparent_hugepage=always", .sysctls = sysctls, .nsysctls = 2,
				.repro_cflags = "-DX=1 -g" };

	ck_assert_int_eq(check_opts(&a), 0);
	a = (struct adhoc_opts){ .kselftest = "mm:cow,migration", .memory = "64M" };
	ck_assert_int_eq(check_opts(&a), 0);
}
END_TEST

/* --kernel goes into the case file's kernels line as the other values do. */
START_TEST(adhoc_kernel_value_is_checked)
{
	struct adhoc_opts a = { .repro = "/dev/null", .kernel = "deb:6.12\n[vm]\nmemory = 64M" };

	ck_assert_int_eq(check_opts(&a), -1);
	ck_assert(starts_with(err, "--kernel"));
}
END_TEST

/* Options adhoc_check accepts make a case that loads: else the error
 * would name a cache file's line instead of the option. Appends what
 * went wrong to bad. */
static void check_or_load(const struct adhoc_opts *a, const char *what, char *bad, size_t len)
{
	char *text;
	int rc;

	if (check_opts(a) < 0) {
		ck_assert_msg(starts_with(err, "--"), "%s: %s", what, err);
		return;
	}
	text = adhoc_case_text(a, "", NULL, err, sizeof(err));
	ck_assert_msg(text != NULL, "%s: %s", what, err);
	rc = load_text(text);
	free(text);
	if (rc < 0)
		snprintf(bad + strlen(bad), len - strlen(bad), "[%s: accepted by adhoc_check, but %.120s] ", what, err);
}

START_TEST(adhoc_checked_options_load)
{
	static char title[260], sysctl[200], cmdline[600], bad[4096];
	static const char *sysctls[] = { sysctl };
	const char *repro = in_repo("tests/repro/exits-at-once.c");
	struct adhoc_opts a = { .repro = repro, .numa = "512M,512M" };

	check_or_load(&a, "--numa 512M,512M", bad, sizeof(bad));
	ck_assert_str_eq(bad, "");
	a = (struct adhoc_opts){ .repro = repro, .numa = "256M,256M" };
	check_or_load(&a, "--numa 256M,256M", bad, sizeof(bad));
	a = (struct adhoc_opts){ .repro = repro, .numa = "256M,256M,256M,256M" };
	check_or_load(&a, "--numa 256M,256M,256M,256M (2 cpus)", bad, sizeof(bad));
	a = (struct adhoc_opts){ .repro = repro, .memory = "2T" };
	check_or_load(&a, "--memory 2T", bad, sizeof(bad));
	memset(title, 'x', sizeof(title) - 1);
	a = (struct adhoc_opts){ .repro = repro, .title = title };
	check_or_load(&a, "--title of 259 bytes", bad, sizeof(bad));
	snprintf(sysctl, sizeof(sysctl), "vm.x=%0190d", 1);
	a = (struct adhoc_opts){ .repro = repro, .sysctls = sysctls, .nsysctls = 1 };
	check_or_load(&a, "--sysctl of 195 bytes", bad, sizeof(bad));
	memset(cmdline, 'x', sizeof(cmdline) - 1);
	a = (struct adhoc_opts){ .repro = repro, .cmdline = cmdline };
	check_or_load(&a, "--cmdline of 599 bytes", bad, sizeof(bad));
	ck_assert_msg(!bad[0], "%s", bad);
}
END_TEST

START_TEST(adhoc_names_from_paths)
{
	char out[80];

	adhoc_name_from("repro", "/tmp/x/My_Repro.c", out, sizeof(out));
	ck_assert_str_eq(out, "repro-my-repro");
	adhoc_name_from("syzbot", "bundles/abc123/", out, sizeof(out));
	ck_assert_str_eq(out, "syzbot-abc123");
	adhoc_name_from("syzbot", "bundles/abc123///", out, sizeof(out));
	ck_assert_str_eq(out, "syzbot-abc123");
	adhoc_name_from("kselftest", "mm:cow,gup_longterm", out, sizeof(out));
	ck_assert_str_eq(out, "kselftest-mm-cow-gup-longterm");
	adhoc_name_from("repro", "a b.v2.c", out, sizeof(out));
	ck_assert_str_eq(out, "repro-a-b-v2");
	adhoc_name_from("repro", "/", out, sizeof(out));
	ck_assert_str_eq(out, "repro-input");
	adhoc_name_from("repro", "x.cc", out, sizeof(out));
	ck_assert_str_eq(out, "repro-x-cc");
	adhoc_name_from("repro", "0123456789012345678901234567890123456789abcdef.c", out, sizeof(out));
	ck_assert_str_eq(out, "repro-0123456789012345678901234567890123456789");
}
END_TEST

/* The text of a, loaded back into c (asserted to load). */
static char *adhoc_loaded(const struct adhoc_opts *a)
{
	char *text = adhoc_case_text(a, "", NULL, err, sizeof(err));

	ck_assert_msg(text != NULL, "%s", err);
	ck_assert_msg(load_text(text) == 0, "%s\n%s", err, text);
	return text;
}

START_TEST(adhoc_repro_text_loads_back)
{
	static const char *sysctls[] = { "vm.swappiness=100", "vm.overcommit_memory=1" };
	struct adhoc_opts a = { .repro = "tests/repro/exits-at-once.c", .repro_cflags = "-DX=1", .repro_time_s = 30,
				.cpus = 4, .memory = "2G", .numa = "1G,1G", .cmdline = "transparent_hugepage=always",
				.sysctls = sysctls, .nsysctls = 2, .title = "/kernel BUG in .*/" };
	char abs[PATH_MAX], *text;

	ck_assert_int_eq(chdir(repo_root()), 0);
	ck_assert_ptr_nonnull(realpath(a.repro, abs));
	text = adhoc_loaded(&a);
	ck_assert_str_eq(c.name, "repro-exits-at-once");
	ck_assert_str_eq(c.repro, abs);
	ck_assert_str_eq(c.workload, WORKLOAD_REPRO_RUNNER);
	ck_assert_str_eq(c.repro_cflags, "-DX=1");
	ck_assert_int_eq(c.repro_time_s, 30);
	ck_assert_str_eq(c.title, "/kernel BUG in .*/");
	ck_assert_int_eq(c.expect, EXPECT_FAIL);
	ck_assert_int_ge(c.timeout_s, 30);
	ck_assert_int_ge(c.idle_timeout_s, 30);
	ck_assert_int_eq(c.cpus, 4);
	ck_assert_uint_eq(c.mem_mb, 2048);
	ck_assert_int_eq(c.nnuma, 2);
	ck_assert_uint_eq(c.numa_mb[0], 1024);
	ck_assert_uint_eq(c.numa_mb[1], 1024);
	ck_assert_str_eq(c.cmdline, "transparent_hugepage=always");
	ck_assert_int_eq(c.nsysctls, 2);
	ck_assert_str_eq(c.sysctls[1], "vm.overcommit_memory=1");
	ck_assert_int_eq(c.nkernels, 1);
	ck_assert_str_eq(c.kernels[0], "deb:6.12");
	ck_assert_int_eq(workload_source_of(&c), WORKLOAD_REPRO);
	free(text);
}
END_TEST

START_TEST(adhoc_repro_defaults)
{
	struct adhoc_opts a = { .repro = in_repo("tests/repro/exits-at-once.c"), .kernel = "deb:6.1" };
	char *text = adhoc_loaded(&a);

	ck_assert_int_eq(c.repro_time_s, WORKLOAD_REPRO_DEFAULT_S);
	ck_assert_int_ge(c.timeout_s, WORKLOAD_REPRO_DEFAULT_S);
	ck_assert_uint_eq(c.mem_mb, 1024);
	ck_assert_int_eq(c.cpus, 2);
	ck_assert_int_eq(c.nnuma, 0);
	ck_assert_str_eq(c.title, "");
	ck_assert_str_eq(c.kernels[0], "deb:6.1");
	free(text);
}
END_TEST

START_TEST(adhoc_missing_repro_is_an_error)
{
	struct adhoc_opts a = { .repro = "/nonexistent/r.c" };

	ck_assert_ptr_null(adhoc_case_text(&a, "", NULL, err, sizeof(err)));
	ck_assert(starts_with(err, "--repro /nonexistent/r.c: "));
}
END_TEST

START_TEST(adhoc_syzbot_text_loads_back)
{
	struct adhoc_opts a = { .syzbot = in_repo("tests/syzbot/good") };
	char *text = adhoc_loaded(&a);

	ck_assert_str_eq(c.name, "syzbot-good");
	ck_assert_str_eq(c.title, "kernel BUG in split_huge_pmd_locked");
	ck_assert(ends_with(c.repro, "/tests/syzbot/good/repro.c"));
	ck_assert_str_eq(c.workload, WORKLOAD_REPRO_RUNNER);
	ck_assert_int_eq(c.expect, EXPECT_FAIL);
	ck_assert_int_eq(c.nconfigs, 1);
	ck_assert(starts_with(c.configs[0], "base:/"));
	ck_assert(ends_with(c.configs[0], "/tests/syzbot/good/config"));
	free(text);
}
END_TEST

/* A bundle named relative to a cwd other than the repository's. */
START_TEST(adhoc_syzbot_relative_dir_loads)
{
	struct adhoc_opts a = { .syzbot = "good" };
	char want[PATH_MAX + 8], *text;

	ck_assert_int_eq(chdir(in_repo("tests/syzbot")), 0);
	snprintf(want, sizeof(want), "base:%s", in_repo("tests/syzbot/good/config"));
	text = adhoc_case_text(&a, "", NULL, err, sizeof(err));
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(load_text(text) == 0, "%s", err);
	ck_assert_str_eq(c.configs[0], want);
	free(text);
}
END_TEST

START_TEST(adhoc_kselftest_text_loads_back)
{
	struct adhoc_opts a = { .kselftest = "mm:cow,migration" };
	char *text = adhoc_loaded(&a);

	ck_assert_str_eq(c.name, "kselftest-mm-cow-migration");
	ck_assert_str_eq(c.kselftest, "mm:cow,migration");
	ck_assert_str_eq(c.workload, WORKLOAD_KSELFTEST_RUNNER);
	ck_assert_str_eq(c.repro, "");
	ck_assert_int_eq(c.expect, EXPECT_PASS);
	ck_assert_int_eq(workload_source_of(&c), WORKLOAD_KSELFTEST);
	ck_assert(!workload_is_suite(&c));
	/* case loading applies the tests' needs (kselftest_apply_needs) */
	ck_assert_int_eq(c.nnuma, 2);
	ck_assert_uint_eq(c.numa_mb[0] + c.numa_mb[1], c.mem_mb);
	ck_assert_str_eq(c.zram, "512M");
	ck_assert(has_sysctl_entry("vm.nr_hugepages=32"));
	ck_assert_int_eq(c.timeout_s, 120 + 900 + 600);
	ck_assert_int_eq(c.idle_timeout_s, 900 + 60);
	free(text);
}
END_TEST

START_TEST(adhoc_case_file_is_in_the_cache)
{
	struct adhoc_opts a = { .kselftest = "mm:cow" };
	char path[PATH_MAX], again[PATH_MAX];

	use_private_cache();
	ck_assert_int_eq(adhoc_case_file(&a, path, sizeof(path), err, sizeof(err)), 0);
	ck_assert(starts_with(path, getenv("MMREPRO_CACHE")));
	ck_assert(ends_with(path, ".case"));
	ck_assert_msg(case_load(path, &c, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(c.kselftest, "mm:cow");
	ck_assert_int_eq(adhoc_case_file(&a, again, sizeof(again), err, sizeof(err)), 0);
	ck_assert_str_eq(again, path);
}
END_TEST

/* ---- kselftest.h ----------------------------------------------------------- */

static struct kselftest_spec spec;

START_TEST(ksft_spec_mm_gives_defaults)
{
	static const char *const want[] = { "cow", "gup_longterm", "madv_populate", "migration", "soft-dirty",
					     "ksm_functional_tests" };

	ck_assert_int_eq(kselftest_spec_parse("mm", &spec, err, sizeof(err)), 0);
	ck_assert_str_eq(spec.suite, "mm");
	ck_assert_int_eq(spec.ntests, 6);
	for (int i = 0; i < 6; i++)
		ck_assert_str_eq(spec.tests[i], want[i]);
	kselftest_spec_free(&spec);
	ck_assert_int_eq(spec.ntests, 0);
	ck_assert_ptr_null(spec.tests);
}
END_TEST

START_TEST(ksft_spec_lists_tests)
{
	ck_assert_int_eq(kselftest_spec_parse("mm:cow,gup_longterm", &spec, err, sizeof(err)), 0);
	ck_assert_str_eq(spec.suite, "mm");
	ck_assert_int_eq(spec.ntests, 2);
	ck_assert_str_eq(spec.tests[0], "cow");
	ck_assert_str_eq(spec.tests[1], "gup_longterm");
	kselftest_spec_free(&spec);
	ck_assert_int_eq(kselftest_spec_parse("cgroup:test_memcontrol", &spec, err, sizeof(err)), 0);
	ck_assert_str_eq(spec.suite, "cgroup");
	ck_assert_int_eq(spec.ntests, 1);
	ck_assert_str_eq(spec.tests[0], "test_memcontrol");
	kselftest_spec_free(&spec);
	ck_assert_int_eq(kselftest_spec_check("mm:mlock2-tests,soft-dirty", err, sizeof(err)), 0);
}
END_TEST

START_TEST(ksft_spec_refuses_bad)
{
	static const struct {
		const char *text, *why;
	} rows[] = {
		{ "bogus:x", "bogus:x: expected mm[:TEST,...] or cgroup:TEST,..." },
		{ "mmx", "mmx: expected mm[:TEST,...]" },
		{ "cgroup", "cgroup: name the tests after 'cgroup:'" },
		{ "mm:", "mm:: name the tests after 'mm:'" },
		{ "mm:a,,b", "'' is not a test name" },
		{ "mm:a,", "'' is not a test name" },
		{ "mm:../x", "'../x' is not a test name" },
		{ "mm:x/y", "'x/y' is not a test name" },
		{ "mm:-x", "'-x' is not a test name" },
		{ "mm:cow,migration,cow", "test 'cow' is named twice" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ck_assert_int_eq(kselftest_spec_parse(rows[i].text, &spec, err, sizeof(err)), -1);
		ck_assert_msg(starts_with(err, rows[i].why), "%s: '%s'", rows[i].text, err);
		ck_assert_int_eq(spec.ntests, 0);
		ck_assert_int_eq(kselftest_spec_check(rows[i].text, err, sizeof(err)), -1);
	}
}
END_TEST

START_TEST(ksft_needs_table)
{
	struct kselftest_needs n = kselftest_needs_of("mm", "migration");

	ck_assert_int_eq(n.numa_nodes, 2);
	ck_assert_int_eq(n.hugepages, 0);
	ck_assert(!n.swap);
	n = kselftest_needs_of("mm", "cow");
	ck_assert(n.swap);
	ck_assert_int_eq(n.hugepages, 32);
	ck_assert_int_eq(n.numa_nodes, 0);
	ck_assert_int_eq(n.timeout_s, 900);
	n = kselftest_needs_of("mm", "not_in_table");
	ck_assert_str_eq(n.test, "not_in_table");
	ck_assert_int_eq(n.timeout_s, 180);
	ck_assert_int_eq(n.numa_nodes + n.hugepages, 0);
	ck_assert(!n.swap && !n.by_default);
	n = kselftest_needs_of("cgroup", "cow");
	ck_assert_int_eq(n.timeout_s, 180);
	ck_assert(!n.swap);
}
END_TEST

/* A bare case_def as case.c's defaults leave it, with kselftest spec. */
static void bare_case(const char *kselftest, unsigned mem_mb, int cpus)
{
	memset(&c, 0, sizeof(c));
	snprintf(c.path, sizeof(c.path), "k.case");
	snprintf(c.kselftest, sizeof(c.kselftest), "%s", kselftest);
	c.timeout_s = 300;
	c.idle_timeout_s = 120;
	c.mem_mb = mem_mb;
	c.cpus = cpus;
}

START_TEST(ksft_apply_needs_fills_the_vm)
{
	bare_case("mm:cow,migration", 1025, 3);
	ck_assert_int_eq(kselftest_apply_needs(&c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.nnuma, 2);
	ck_assert_uint_eq(c.numa_mb[0], 512);
	ck_assert_uint_eq(c.numa_mb[1], 512);
	ck_assert_uint_eq(c.mem_mb, 1024);
	ck_assert_int_eq(c.cpus % 2, 0);
	ck_assert_int_ge(c.cpus, 2);
	ck_assert_str_eq(c.zram, "512M");
	ck_assert_int_eq(c.nsysctls, 1);
	ck_assert_str_eq(c.sysctls[0], "vm.nr_hugepages=32");
	ck_assert_int_eq(c.timeout_s, 120 + 900 + 600);
	ck_assert_int_eq(c.idle_timeout_s, 960);
	/* Twice changes nothing more. */
	ck_assert_int_eq(kselftest_apply_needs(&c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.nsysctls, 1);
	ck_assert_int_eq(c.nnuma, 2);
	ck_assert_int_eq(c.timeout_s, 1620);
}
END_TEST

START_TEST(ksft_apply_needs_keeps_what_the_case_set)
{
	bare_case("mm:cow,gup_longterm", 2048, 4);
	c.timeout_s = 5000;
	c.idle_timeout_s = 2000;
	snprintf(c.zram, sizeof(c.zram), "1G");
	snprintf(c.sysctls[c.nsysctls++], sizeof(c.sysctls[0]), "vm.nr_hugepages=64");
	ck_assert_int_eq(kselftest_apply_needs(&c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.nnuma, 0);
	ck_assert_uint_eq(c.mem_mb, 2048);
	ck_assert_int_eq(c.cpus, 4);
	ck_assert_str_eq(c.zram, "1G");
	ck_assert_int_eq(c.nsysctls, 1);
	ck_assert_str_eq(c.sysctls[0], "vm.nr_hugepages=64");
	ck_assert_int_eq(c.timeout_s, 5000);
	ck_assert_int_eq(c.idle_timeout_s, 2000);
	bare_case("mm:madv_populate", 1024, 1);
	ck_assert_int_eq(kselftest_apply_needs(&c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.nsysctls, 0);
	ck_assert_str_eq(c.zram, "");
	ck_assert_int_eq(c.timeout_s, 420);
	ck_assert_int_eq(c.idle_timeout_s, 360);
	bare_case("bogus", 1024, 1);
	ck_assert_int_eq(kselftest_apply_needs(&c, err, sizeof(err)), -1);
	ck_assert(starts_with(err, "k.case: kselftest bogus: "));
}
END_TEST

START_TEST(ksft_runner_args_text)
{
	char out[256];

	ck_assert_int_eq(kselftest_spec_parse("mm:cow,gup_longterm,unknown", &spec, err, sizeof(err)), 0);
	kselftest_runner_args(&spec, out, sizeof(out));
	ck_assert_str_eq(out, "--suite mm --tests cow:900,gup_longterm:600,unknown:180");
	kselftest_runner_args(&spec, out, 20);
	ck_assert_str_eq(out, "--suite mm --tests ");
	kselftest_spec_free(&spec);
	ck_assert_int_eq(kselftest_spec_parse("cgroup:test_memcontrol", &spec, err, sizeof(err)), 0);
	kselftest_runner_args(&spec, out, sizeof(out));
	ck_assert_str_eq(out, "--suite cgroup --tests test_memcontrol:180");
	kselftest_spec_free(&spec);
}
END_TEST

/* ---- workload.h ------------------------------------------------------------ */

START_TEST(workload_sources)
{
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(workload_source_of(&c), WORKLOAD_SUITE);
	ck_assert(!workload_is_suite(&c));
	snprintf(c.workload, sizeof(c.workload), "smoke");
	ck_assert(workload_is_suite(&c));
	snprintf(c.workload, sizeof(c.workload), WORKLOAD_REPRO_RUNNER);
	snprintf(c.repro, sizeof(c.repro), "/x/r.c");
	ck_assert_int_eq(workload_source_of(&c), WORKLOAD_REPRO);
	ck_assert(!workload_is_suite(&c));
	c.repro[0] = '\0';
	snprintf(c.kselftest, sizeof(c.kselftest), "mm");
	ck_assert_int_eq(workload_source_of(&c), WORKLOAD_KSELFTEST);
	ck_assert(!workload_is_suite(&c));
	ck_assert_str_eq(workload_source_name(WORKLOAD_SUITE), "workload");
	ck_assert_str_eq(workload_source_name(WORKLOAD_REPRO), "repro");
	ck_assert_str_eq(workload_source_name(WORKLOAD_KSELFTEST), "kselftest");
}
END_TEST

static struct run_result run;
static struct workload_plan plan;
static struct guest_results guest;

/* A kselftest run of spec with console text and kselftest log (NULL: not sent). */
static void ksft_run(const char *kspec, const char *console, const char *log)
{
	char path[PATH_MAX];
	FILE *f;

	memset(&run, 0, sizeof(run));
	memset(&plan, 0, sizeof(plan));
	memset(&guest, 0, sizeof(guest));
	memset(&c, 0, sizeof(c));
	snprintf(c.kselftest, sizeof(c.kselftest), "%s", kspec);
	snprintf(c.workload, sizeof(c.workload), WORKLOAD_KSELFTEST_RUNNER);
	snprintf(run.dir, sizeof(run.dir), "%s", test_temp_dir());
	snprintf(path, sizeof(path), "%s/console.log", run.dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(console, f);
	fclose(f);
	guest.kselftest = (char *)log;
	guest.kselftest_len = log ? strlen(log) : 0;
}

/* The subtest {test, name}, or NULL. */
static struct json_object *subtest(const char *test, const char *name)
{
	struct json_object *o, *t, *n;

	ck_assert_ptr_nonnull(run.subtests);
	for (size_t i = 0; i < json_object_array_length(run.subtests); i++) {
		o = json_object_array_get_idx(run.subtests, i);
		if (json_object_object_get_ex(o, "test", &t) && json_object_object_get_ex(o, "name", &n) &&
		    !strcmp(json_object_get_string(t), test) && !strcmp(json_object_get_string(n), name))
			return o;
	}
	return NULL;
}

static const char *field(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, key, &v));
	return json_object_get_string(v);
}

/* How many subtests belong to test. */
static int subtests_of(const char *test)
{
	int n = 0;

	for (size_t i = 0; i < json_object_array_length(run.subtests); i++)
		n += !strcmp(field(json_object_array_get_idx(run.subtests, i), "test"), test);
	return n;
}

#define BEGIN "mmrepro-kselftest: begin "
#define END "mmrepro-kselftest: end "

START_TEST(workload_subtests_from_the_log)
{
	ksft_run("mm:cow,madv_populate", "boot\n",
		 BEGIN "cow\nTAP version 13\n1..2\nok 1 anon\nnot ok 2 hugetlb # no pages\n" END "cow exit=1\n"
		 BEGIN "madv_populate\nTAP version 13\n1..1\nok 1 # SKIP no THP\n" END "madv_populate exit=4\n");
	workload_read_results(&c, &plan, &run, &guest);
	ck_assert_int_eq(json_object_array_length(run.subtests), 3);
	ck_assert_str_eq(field(subtest("cow", "anon"), "status"), "PASS");
	ck_assert_str_eq(field(subtest("cow", "hugetlb"), "status"), "FAIL");
	ck_assert_str_eq(field(subtest("cow", "hugetlb"), "reason"), "no pages");
	ck_assert_int_eq(subtests_of("madv_populate"), 1);
	ck_assert_str_eq(field(json_object_array_get_idx(run.subtests, 2), "status"), "SKIP");
	ck_assert_str_eq(run.report_test, "");
	json_object_put(run.subtests);
}
END_TEST

START_TEST(workload_cut_off_test_is_error)
{
	ksft_run("mm:cow,migration", "boot\n", BEGIN "cow\nTAP version 13\n1..3\nok 1 anon\n");
	workload_read_results(&c, &plan, &run, &guest);
	ck_assert_str_eq(field(subtest("cow", "anon"), "status"), "PASS");
	ck_assert_int_eq(subtests_of("cow"), 3);
	for (size_t i = 1; i < 3; i++)
		ck_assert_str_eq(field(json_object_array_get_idx(run.subtests, i), "status"), "ERROR");
	ck_assert_str_eq(field(subtest("migration", "migration"), "status"), "ERROR");
	ck_assert(starts_with(field(subtest("migration", "migration"), "reason"), "not run"));
	json_object_put(run.subtests);
}
END_TEST

/* A test whose last output line has no newline (killed mid-line): the
 * runner's end mark follows on the same line. */
START_TEST(workload_end_after_partial_line)
{
	ksft_run("mm:cow,madv_populate", "boot\n",
		 BEGIN "cow\nTAP version 13\n1..2\nok 1 anon\n# half a li" END "cow timeout after 900 s\n"
		 BEGIN "madv_populate\nTAP version 13\n1..1\nok 1 populate\n" END "madv_populate exit=0\n");
	workload_read_results(&c, &plan, &run, &guest);
	ck_assert_str_eq(field(subtest("madv_populate", "populate"), "status"), "PASS");
	ck_assert_msg(subtests_of("cow") > 0, "cow, killed at its timeout, has no subtest at all");
	ck_assert_ptr_nonnull(subtest("cow", "anon"));
	json_object_put(run.subtests);
}
END_TEST

/* The console of a run whose kernel crashed during migration (malloc'd). */
static char *crash_console(void)
{
	size_t len;
	char *report = read_file(in_repo("tests/corpus/deb612-divide-error-compaction.log"), &len), *text;

	ck_assert_ptr_nonnull(report);
	ck_assert_int_gt(asprintf(&text, "[    1.0] boot\n" BEGIN "cow\n" END "cow exit=0\n[    2.0] x\n"
				  "[    3.0] " BEGIN "migration\n%s", report), 0);
	free(report);
	return text;
}

START_TEST(workload_crash_belongs_to_its_test)
{
	char *console = crash_console();

	ksft_run("mm:cow,migration,madv_populate", console, NULL);
	ck_assert_int_eq(report_parse(console, strlen(console), &run.report), 0);
	ck_assert(run.report.crash);
	ck_assert_int_eq(run.report.start_line, 13 + 5);
	ck_assert_str_eq(run.report.title, "divide error in fragmentation_score_zone");
	workload_read_results(&c, &plan, &run, &guest);
	ck_assert_str_eq(run.report_test, "migration");
	ck_assert_int_eq(json_object_array_length(run.subtests), 3);
	ck_assert_str_eq(field(subtest("migration", "migration"), "reason"),
			 "the kernel crashed while it ran: divide error in fragmentation_score_zone");
	ck_assert(starts_with(field(subtest("cow", "cow"), "reason"), "its output was lost"));
	ck_assert(strstr(field(subtest("cow", "cow"), "reason"), "in migration") != NULL);
	ck_assert(starts_with(field(subtest("madv_populate", "madv_populate"), "reason"), "not run"));
	ck_assert_str_eq(field(subtest("cow", "cow"), "status"), "ERROR");
	json_object_put(run.subtests);
	free(console);
}
END_TEST

START_TEST(workload_no_crash_no_report_test)
{
	char *console = crash_console();

	ksft_run("mm:cow,migration", console, NULL);
	workload_read_results(&c, &plan, &run, &guest);
	ck_assert_str_eq(run.report_test, "");
	ck_assert(starts_with(field(subtest("migration", "migration"), "reason"), "not run"));
	json_object_put(run.subtests);
	free(console);
}
END_TEST

START_TEST(workload_unbuilt_test)
{
	static char *unbuilt[] = { "gup_longterm" };

	ksft_run("mm:cow,gup_longterm", "boot\n",
		 BEGIN "cow\nTAP version 13\n1..1\nok 1 anon\n" END "cow exit=0\n");
	plan.unbuilt = unbuilt;
	plan.nunbuilt = 1;
	snprintf(plan.source, sizeof(plan.source), "src:deb-6.12 (deb-6.12)");
	workload_read_results(&c, &plan, &run, &guest);
	ck_assert_int_eq(json_object_array_length(run.subtests), 2);
	ck_assert_str_eq(field(subtest("gup_longterm", "gup_longterm"), "status"), "ERROR");
	ck_assert(strstr(field(subtest("gup_longterm", "gup_longterm"), "reason"), "did not build") != NULL);
	ck_assert_str_eq(run.workload_source, "src:deb-6.12 (deb-6.12)");
	json_object_put(run.subtests);
}
END_TEST

START_TEST(workload_suite_case_has_no_subtests)
{
	ksft_run("mm", "boot\n", NULL);
	c.kselftest[0] = '\0';
	snprintf(c.workload, sizeof(c.workload), "smoke");
	workload_read_results(&c, &plan, &run, &guest);
	ck_assert_ptr_null(run.subtests);
	ck_assert_str_eq(run.report_test, "");
}
END_TEST

/* ---- result.h -------------------------------------------------------------- */

static void fail_with(const char *pattern, const char *title)
{
	memset(&run, 0, sizeof(run));
	run.verdict = V_FAIL;
	run.report.crash = true;
	snprintf(run.report.title, sizeof(run.report.title), "%s", title);
	snprintf(run.title_pattern, sizeof(run.title_pattern), "%s", pattern);
}

START_TEST(result_title_other_crash)
{
	fail_with("kernel BUG in f", "KASAN: use-after-free Read in g");
	result_apply_title(&run);
	ck_assert(run.other_crash);
	ck_assert_int_eq(result_exit_code(&run), EXIT_UNTESTABLE);
	ck_assert_int_eq(verdict_exit_code_many(&run, 1), EXIT_UNTESTABLE);
	fail_with("kernel BUG in f", "kernel BUG in f");
	result_apply_title(&run);
	ck_assert(!run.other_crash);
	ck_assert_int_eq(result_exit_code(&run), EXIT_BUG);
	fail_with("", "anything");
	result_apply_title(&run);
	ck_assert(!run.other_crash);
	ck_assert_int_eq(result_exit_code(&run), EXIT_BUG);
}
END_TEST

START_TEST(result_title_regex_and_pass)
{
	fail_with("/use-after-free (Read|Write) in g/", "KASAN: use-after-free Write in g");
	result_apply_title(&run);
	ck_assert(!run.other_crash);
	ck_assert_int_eq(result_exit_code(&run), EXIT_BUG);
	fail_with("/^use-after-free/", "KASAN: use-after-free Write in g");
	result_apply_title(&run);
	ck_assert(run.other_crash);
	ck_assert_int_eq(result_exit_code(&run), EXIT_UNTESTABLE);
	fail_with("kernel BUG in f", "");
	run.verdict = V_PASS;
	run.other_crash = true;
	result_apply_title(&run);
	ck_assert(!run.other_crash);
	ck_assert_int_eq(result_exit_code(&run), EXIT_NO_BUG);
}
END_TEST

START_TEST(result_title_any_run_report_matches)
{
	struct report reps[2];

	fail_with("kernel BUG in f", "WARNING in g");
	memset(reps, 0, sizeof(reps));
	snprintf(reps[0].title, sizeof(reps[0].title), "WARNING in g");
	snprintf(reps[1].title, sizeof(reps[1].title), "kernel BUG in f");
	run.reports = reps;
	run.nreports = 2;
	result_apply_title(&run);
	ck_assert(!run.other_crash);
	/* A boot report is not the run's. */
	run.nboot_reports = 2;
	result_apply_title(&run);
	ck_assert(run.other_crash);
}
END_TEST

START_TEST(result_channel_kselftest_record)
{
	static const char text[] = "mmrepro-result workload.status 6\nexit=0\n"
				   "mmrepro-result kselftest.log 9\nab\0cd\0ef\n\n"
				   "mmrepro-result-end\n";
	struct guest_results g;

	result_parse_channel(text, sizeof(text) - 1, 100, &g);
	ck_assert_str_eq(g.problem, "");
	ck_assert_str_eq(g.status, "exit=0");
	ck_assert_ptr_nonnull(g.kselftest);
	ck_assert_uint_eq(g.kselftest_len, 9);
	ck_assert_int_eq(memcmp(g.kselftest, "ab\0cd\0ef\n", 9), 0);
	ck_assert_int_eq(g.kselftest[9], '\0');
	result_free_channel(&g);
	ck_assert_ptr_null(g.kselftest);
}
END_TEST

START_TEST(result_channel_refuses_unknown_record)
{
	static const char text[] = "mmrepro-result other.log 2\nhi\nmmrepro-result workload.status 6\nexit=0\n"
				   "mmrepro-result-end\n";
	static const char twice[] = "mmrepro-result kselftest.log 1\na\nmmrepro-result kselftest.log 1\nb\n";
	struct guest_results g;

	result_parse_channel(text, sizeof(text) - 1, 100, &g);
	ck_assert_str_eq(g.problem, "unknown record name");
	ck_assert_ptr_null(g.status);
	ck_assert_ptr_null(g.kselftest);
	result_free_channel(&g);
	result_parse_channel(twice, sizeof(twice) - 1, 100, &g);
	ck_assert_str_eq(g.problem, "repeated record");
	ck_assert_uint_eq(g.kselftest_len, 1);
	ck_assert_str_eq(g.kselftest, "a");
	result_free_channel(&g);
}
END_TEST

/* A kselftest run that failed with no kernel report, with subtests
 * "TEST: NAME STATUS" (space-separated triples). */
static void ksft_fail_with(const char *pattern, const char *const *subs)
{
	fail_with(pattern, "");
	run.report.crash = false;
	snprintf(run.reason, sizeof(run.reason), "cow: exit 1");
	run.subtests = json_object_new_array();
	for (int i = 0; subs[i]; i += 3) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "test", json_object_new_string(subs[i]));
		json_object_object_add(o, "name", json_object_new_string(subs[i + 1]));
		json_object_object_add(o, "status", json_object_new_string(subs[i + 2]));
		json_object_object_add(o, "reason", json_object_new_string(""));
		json_object_array_add(run.subtests, o);
	}
}

static const char *const cow_subs[] = { "cow", "anon", "PASS", "cow", "hugetlb", "FAIL", NULL };

START_TEST(result_title_names_a_subtest)
{
	ksft_fail_with("cow: hugetlb", cow_subs);
	result_apply_title(&run);
	ck_assert_int_eq(run.verdict, V_FAIL);
	ck_assert(!run.other_crash);
	ck_assert_str_eq(run.reason, "subtest cow: hugetlb failed");
	ck_assert_int_eq(result_exit_code(&run), EXIT_BUG);
	json_object_put(run.subtests);
	ksft_fail_with("/^cow: huge/", cow_subs);
	result_apply_title(&run);
	ck_assert_int_eq(run.verdict, V_FAIL);
	json_object_put(run.subtests);
	ksft_fail_with("cow: anon", cow_subs);
	result_apply_title(&run);
	ck_assert_int_eq(run.verdict, V_PASS);
	ck_assert(starts_with(run.reason, "subtest cow: anon passed (the run failed on others: cow: exit 1)"));
	ck_assert_int_eq(result_exit_code(&run), EXIT_NO_BUG);
	json_object_put(run.subtests);
}
END_TEST

/* With a kernel report the title is the report's, not a subtest's. */
START_TEST(result_title_report_beats_subtests)
{
	ksft_fail_with("cow: hugetlb", cow_subs);
	run.report.crash = true;
	snprintf(run.report.title, sizeof(run.report.title), "kernel BUG in f");
	result_apply_title(&run);
	ck_assert_int_eq(run.verdict, V_FAIL);
	ck_assert(run.other_crash);
	ck_assert_int_eq(result_exit_code(&run), EXIT_UNTESTABLE);
	json_object_put(run.subtests);
}
END_TEST

/* A hang ends the run before the named subtest ran: that tested nothing,
 * it is no pass of the subtest. */
START_TEST(result_title_subtest_not_run_is_no_pass)
{
	static const char *const not_run[] = { "cow", "cow", "ERROR", NULL };

	ksft_fail_with("cow: anon", not_run);
	snprintf(run.reason, sizeof(run.reason), "hang: idle during the workload");
	snprintf(run.report.title, sizeof(run.report.title), "hang: idle during the workload");
	result_apply_title(&run);
	ck_assert_msg(run.verdict != V_PASS, "a hang became PASS: %s", run.reason);
	ck_assert_int_ne(result_exit_code(&run), EXIT_NO_BUG);
	json_object_put(run.subtests);
}
END_TEST

/* ---- case.h ---------------------------------------------------------------- */

#define CASE_HEAD "[case]\nname = t\ndescription = d\n"

START_TEST(case_repro_relative_to_repo)
{
	ck_assert_msg(load_text(CASE_HEAD "[guest]\nrepro = tests/repro/exits-at-once.c\nrepro_time = 20\n"
				"repro_cflags = -DX -g\n") == 0, "%s", err);
	ck_assert_str_eq(c.repro, in_repo("tests/repro/exits-at-once.c"));
	ck_assert_str_eq(c.workload, WORKLOAD_REPRO_RUNNER);
	ck_assert_int_eq(c.repro_time_s, 20);
	ck_assert_str_eq(c.repro_cflags, "-DX -g");
	ck_assert_int_eq(c.expect, EXPECT_NONE);
}
END_TEST

/* repro = beside a case file named by a relative path: c.repro is
 * documented as absolute. */
START_TEST(case_repro_beside_relative_case_is_absolute)
{
	char want[PATH_MAX], cwd[PATH_MAX];
	const char *text = CASE_HEAD "[guest]\nrepro = beside-the-case.c\n";
	FILE *f;

	ck_assert_int_eq(chdir(test_temp_dir()), 0);
	ck_assert_int_eq(mkdir("sub", 0755), 0);
	f = fopen("sub/beside-the-case.c", "w");
	ck_assert_ptr_nonnull(f);
	fputs("int main(void) { return 0; }\n", f);
	fclose(f);
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	snprintf(want, sizeof(want), "%s/sub/beside-the-case.c", cwd);
	memset(err, 0, sizeof(err));
	ck_assert_msg(case_load_buffer("sub/t.case", text, strlen(text), &c, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(c.repro, want);
}
END_TEST

START_TEST(case_title_and_expect_keys)
{
	ck_assert_msg(load_text("[case]\nname = t\ndescription = d\ntitle = /BUG in (a|b)/\nexpect = fail\n"
				"[guest]\nkselftest = mm:cow\n") == 0, "%s", err);
	ck_assert_str_eq(c.title, "/BUG in (a|b)/");
	ck_assert_int_eq(c.expect, EXPECT_FAIL);
	ck_assert_str_eq(c.kselftest, "mm:cow");
	ck_assert_str_eq(c.workload, WORKLOAD_KSELFTEST_RUNNER);
	ck_assert_int_eq(load_text(CASE_HEAD "expect = pass\n[guest]\nworkload = smoke\n"), 0);
	ck_assert_int_eq(c.expect, EXPECT_PASS);
}
END_TEST

START_TEST(case_new_key_errors)
{
	static const struct {
		const char *text, *want;
	} rows[] = {
		{ CASE_HEAD "[guest]\nrepro = tests/repro/absent.c\n", "t.case:5: 'repro' tests/repro/absent.c is not" },
		{ CASE_HEAD "[guest]\nrepro =\n", "t.case:5: 'repro' needs a C file" },
		{ CASE_HEAD "[guest]\nworkload = smoke\nrepro = tests/repro/exits-at-once.c\n",
		  "t.case:6: [guest] takes one of 'workload', 'repro' and 'kselftest'" },
		{ CASE_HEAD "[guest]\nrepro = tests/repro/exits-at-once.c\nkselftest = mm\n",
		  "t.case:6: [guest] takes one of" },
		{ CASE_HEAD "[guest]\nkselftest = mm:a,,b\n", "t.case:5: 'kselftest': '' is not a test name" },
		{ CASE_HEAD "[guest]\nkselftest = bogus:x\n", "t.case:5: 'kselftest': bogus:x: expected" },
		{ CASE_HEAD "title = /bad(/\n[guest]\nworkload = smoke\n", "t.case:4: 'title': /bad(/: not a valid" },
		{ CASE_HEAD "title =\n[guest]\nworkload = smoke\n", "t.case:4: 'title': an empty title" },
		{ CASE_HEAD "expect = maybe\n[guest]\nworkload = smoke\n",
		  "t.case:4: 'expect' in [case] must be pass or fail, got 'maybe'" },
		{ CASE_HEAD "[guest]\nworkload = smoke\n[build]\nbase_config = tests/syzbot/absent\n",
		  "t.case:7: 'base_config' tests/syzbot/absent is not a regular file" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ck_assert_int_eq(load_text(rows[i].text), -1);
		ck_assert_msg(starts_with(err, rows[i].want), "row %zu: '%s' does not start '%s'", i, err,
			      rows[i].want);
	}
}
END_TEST

START_TEST(case_base_config_is_absolute)
{
	ck_assert_msg(load_text(CASE_HEAD "[guest]\nworkload = smoke\n[build]\nbase_config = tests/syzbot/good/config\n"
				"config = config/a.config\n") == 0, "%s", err);
	ck_assert_int_eq(c.nconfigs, 2);
	ck_assert(starts_with(c.configs[0], "base:"));
	ck_assert_str_eq(c.configs[0] + 5, in_repo("tests/syzbot/good/config"));
	ck_assert_str_eq(c.configs[1], in_repo("config/a.config"));
}
END_TEST

/* ---- stats.h --------------------------------------------------------------- */

START_TEST(stats_other_crash_run)
{
	struct tally t;

	fail_with("kernel BUG in f", "kernel BUG in f");
	run.other_crash = true;
	ck_assert_int_eq(stats_classify(&run, NULL), RUN_OTHER_CRASH);
	ck_assert_int_eq(stats_classify(&run, "kernel BUG"), RUN_OTHER_CRASH);
	run.other_crash = false;
	ck_assert_int_eq(stats_classify(&run, "kernel BUG"), RUN_HIT);
	run.other_crash = true;
	memset(&t, 0, sizeof(t));
	stats_add(&t, &run, NULL);
	ck_assert_int_eq(t.other_crash, 1);
	ck_assert_int_eq(t.hits, 0);
	ck_assert_str_eq(t.other_title, "kernel BUG in f");
}
END_TEST

Suite *repro_suite(void)
{
	Suite *s = suite_create("repro");
	TCase *t = tcase_create("title"), *r = tcase_create("repro"), *a = tcase_create("adhoc");
	TCase *k = tcase_create("kselftest"), *w = tcase_create("workload"), *o = tcase_create("result");

	tcase_add_test(t, title_exact_is_whole_title);
	tcase_add_test(t, title_regex_matches_anywhere);
	tcase_add_test(t, title_bad_patterns_are_refused);
	tcase_set_timeout(r, 120);
	tcase_add_test(r, repro_argv_is_gcc_static_then_cflags);
	tcase_add_test(r, repro_compiles_static_and_caches);
	tcase_add_test(r, repro_other_flags_are_another_binary);
	tcase_add_test(r, repro_compile_error_shows_file_line);
	tcase_add_test(r, repro_missing_file_is_usage);
	tcase_add_test(a, adhoc_refuses_two_sources);
	tcase_add_test(a, adhoc_bad_values_name_their_option);
	tcase_add_test(a, adhoc_good_values_pass);
	tcase_add_test(a, adhoc_kernel_value_is_checked);
	tcase_add_test(a, adhoc_checked_options_load);
	tcase_add_test(a, adhoc_names_from_paths);
	tcase_add_test(a, adhoc_repro_text_loads_back);
	tcase_add_test(a, adhoc_repro_defaults);
	tcase_add_test(a, adhoc_missing_repro_is_an_error);
	tcase_add_test(a, adhoc_syzbot_text_loads_back);
	tcase_add_test(a, adhoc_syzbot_relative_dir_loads);
	tcase_add_test(a, adhoc_kselftest_text_loads_back);
	tcase_add_test(a, adhoc_case_file_is_in_the_cache);
	tcase_add_test(k, ksft_spec_mm_gives_defaults);
	tcase_add_test(k, ksft_spec_lists_tests);
	tcase_add_test(k, ksft_spec_refuses_bad);
	tcase_add_test(k, ksft_needs_table);
	tcase_add_test(k, ksft_apply_needs_fills_the_vm);
	tcase_add_test(k, ksft_apply_needs_keeps_what_the_case_set);
	tcase_add_test(k, ksft_runner_args_text);
	tcase_add_test(w, workload_sources);
	tcase_add_test(w, workload_subtests_from_the_log);
	tcase_add_test(w, workload_cut_off_test_is_error);
	tcase_add_test(w, workload_end_after_partial_line);
	tcase_add_test(w, workload_crash_belongs_to_its_test);
	tcase_add_test(w, workload_no_crash_no_report_test);
	tcase_add_test(w, workload_unbuilt_test);
	tcase_add_test(w, workload_suite_case_has_no_subtests);
	tcase_add_test(o, result_title_other_crash);
	tcase_add_test(o, result_title_regex_and_pass);
	tcase_add_test(o, result_title_any_run_report_matches);
	tcase_add_test(o, result_title_names_a_subtest);
	tcase_add_test(o, result_title_report_beats_subtests);
	tcase_add_test(o, result_title_subtest_not_run_is_no_pass);
	tcase_add_test(o, result_channel_kselftest_record);
	tcase_add_test(o, result_channel_refuses_unknown_record);
	tcase_add_test(o, case_repro_relative_to_repo);
	tcase_add_test(o, case_repro_beside_relative_case_is_absolute);
	tcase_add_test(o, case_title_and_expect_keys);
	tcase_add_test(o, case_new_key_errors);
	tcase_add_test(o, case_base_config_is_absolute);
	tcase_add_test(o, stats_other_crash_run);
	suite_add_tcase(s, t);
	suite_add_tcase(s, r);
	suite_add_tcase(s, a);
	suite_add_tcase(s, k);
	suite_add_tcase(s, w);
	suite_add_tcase(s, o);
	return s;
}
