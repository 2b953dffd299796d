/* Case file parsing: accepted files, and the file:line errors of bad ones. */
#include "case.h"
#include "suites.h"
#include "util.h"

#include <glob.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The smallest case that parses: 5 lines, so test lines start at 6. */
#define HEAD "[case]\nname = x\ndescription = d\n[guest]\nworkload = smoke\n"
#define UNITS "units K, KiB, M, MiB, G, GiB, T, TiB; bare numbers are MiB"

static int load_text(const char *text, struct case_def *c, char *err, size_t len)
{
	return case_load(test_temp_file(text, ".case"), c, err, len);
}

/* Loads len bytes from a heap copy with no NUL after it, so ASan catches
 * any read past len. */
static int load_bytes(const char *text, size_t len, struct case_def *c, char *err, size_t errlen)
{
	char *copy = malloc(len ? len : 1);
	int rc;

	memcpy(copy, text, len);
	rc = case_load_buffer("mem.case", copy, len, c, err, errlen);
	free(copy);
	return rc;
}

static void assert_loads(const char *text, struct case_def *c)
{
	char err[512] = "";

	ck_assert_msg(load_bytes(text, strlen(text), c, err, sizeof(err)) == 0, "%s", err);
}

static void assert_fails(const char *text, size_t len, const char *want)
{
	struct case_def c;
	char err[512] = "";

	ck_assert_int_eq(load_bytes(text, len, &c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, want);
}

START_TEST(full_case_parses)
{
	struct case_def c;
	char err[512] = "";
	int rc = load_text("[case]\nname = x\ndescription = d\nfix = abc (\"t\")\nkernels = deb:6.12 deb:6.1\n"
			   "timeout = 99\n[vm]\nmemory = 2G\ncpus = 2\nnuma = 1G,1G\ncmdline = cma=448M\n"
			   "machine = q35\niommu = yes\ndevice = edu\n[guest]\nworkload = smoke\nargs = --a 1\n"
			   "sysctl = kernel.numa_balancing=1\nmodules = vfio-pci zram\ncgroup = v1:memory\n"
			   "zram = 512M\n[build]\nconfig = config/x.config\n"
			   "[variant buggy]\nkernel = src:deb-6.12\nseries = patches/test-one-line\nexpect = fail\n"
			   "title = kernel BUG\n[variant fixed]\nkernel = src:deb-6.12\nexpect = pass\n",
			   &c, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_str_eq(c.name, "x");
	ck_assert_int_eq(c.nkernels, 2);
	ck_assert_str_eq(c.kernels[1], "deb:6.1");
	ck_assert_int_eq(c.timeout_s, 99);
	ck_assert_uint_eq(c.mem_mb, 2048);
	ck_assert_int_eq(c.nnuma, 2);
	ck_assert_uint_eq(c.numa_mb[1], 1024);
	ck_assert(c.iommu);
	ck_assert_int_eq(c.ndevices, 1);
	ck_assert_int_eq(c.nmodules, 2);
	ck_assert_str_eq(c.modules[1], "zram");
	ck_assert_str_eq(c.cgroup, "v1:memory");
	ck_assert_int_eq(c.nvariants, 2);
	ck_assert_str_eq(c.variants[0].name, "buggy");
	ck_assert_str_eq(c.variants[0].series, "patches/test-one-line");
	ck_assert_int_eq(c.variants[0].expect, EXPECT_FAIL);
	ck_assert_str_eq(c.variants[0].expect_title, "kernel BUG");
	ck_assert_int_eq(c.variants[1].expect, EXPECT_PASS);
	ck_assert(!c.boot_failure_is_bug);
	ck_assert_int_eq(c.nconfigs, 1);
	/* Fragments are resolved against the repository at load time. */
	ck_assert_int_eq(c.configs[0][0], '/');
	ck_assert_ptr_nonnull(strstr(c.configs[0], "/config/x.config"));
}
END_TEST

struct bad_case {
	const char *text;
	int line;              /* 0: an error without a line */
	const char *message;
};

static const struct bad_case bad_cases[] = {
	{ "[case]\nname = x\nbogus = 1\n", 3, "unknown key 'bogus' in [case]" },
	{ "[case]\nname = x\ndescription = d\n[vm]\nmemory = lots\n", 5,
	  "'memory' must be a size from 64M to 1T (" UNITS "), got 'lots'" },
	{ "[case]\nname = x\n[vm]\ncpus = 0\n", 4, "'cpus' must be an integer from 1 to 64, got '0'" },
	{ "[case]\nname = x\n[guest]\nworkload = ../../bin/sh\n", 4,
	  "'workload' must be a name under guest/workloads, got '../../bin/sh'" },
	{ "[case]\nname = x\n[guest]\nsysctl = novalue\n", 4, "'sysctl' must be name=value, got 'novalue'" },
	{ "[case]\nname = x\n[variant a]\nexpect = maybe\n", 4,
	  "'expect' must be pass, fail or conf, got 'maybe'" },
	{ "[nonsense]\nk = v\n", 1, "unknown section [nonsense]" },
	{ "[case]\nname = x\nthis line has no equals sign\n", 3, "syntax error" },
	{ "[case]\nname = x\n[vm]\nmachine = microvm\n", 4, "'machine' must be pc or q35, got 'microvm'" },
	{ "[case]\nname = x\ndescription = d\n", 0, "missing 'workload' in [guest]" },
	{ HEAD "[vm]\nmemory = 2G\nnuma = 1G\n", 0, "[vm] numa node sizes add up to 1024M but memory is 2048M" },
	{ HEAD "[variant v]\nexpect = pass\n", 0, "[variant v] needs 'kernel' and 'expect'" },
	/* Sections: checked on the header line, with or without keys after. */
	{ "[case]\nname = x\n[vm\nmemory = 1G\n", 3, "unterminated section header '[vm'" },
	{ HEAD "[vm]\n[vm]\n", 7, "duplicate section [vm] (first at line 6)" },
	{ HEAD "[case]\n", 6, "duplicate section [case] (first at line 1)" },
	{ HEAD "[variant a]\nkernel = k\n\n[variant a]\n", 9, "duplicate section [variant a] (first at line 6)" },
	{ HEAD "[variant ../x]\n", 6,
	  "variant name must be letters, digits, '-', '_' and '.', not starting with '.', got '../x'" },
	{ HEAD "[variant ..]\n", 6, "variant name must be letters, digits, '-', '_' and '.', not starting with '.', got '..'" },
	{ HEAD "[variant a]\n", 0, "[variant a] needs 'kernel' and 'expect'" },
	{ HEAD "[vm] memory = 1G\n", 6, "text after section header [vm]" },
	{ "memory = 1G\n", 1, "key 'memory' outside of any section" },
	{ "[case]\nname = x\n  more\n", 3, "line starts with whitespace (continuation lines are not supported)" },
	/* Keys: once per section, except the list keys. */
	{ "[case]\nname = x\n[vm]\nmemory = 1G\nmemory = 2G\n", 5, "duplicate key 'memory' in [vm] (first at line 4)" },
	{ "[case]\nname = x\ndescription = d\nname = y\n", 4, "duplicate key 'name' in [case] (first at line 2)" },
	{ HEAD "[variant a]\nkernel = k\nexpect = pass\nkernel = j\n", 9,
	  "duplicate key 'kernel' in [variant a] (first at line 7)" },
	/* Sizes and the topology QEMU would refuse. */
	{ HEAD "[vm]\nmemory = 4294967296M\n", 7, "'memory' must be a size from 64M to 1T (" UNITS "), got '4294967296M'" },
	{ HEAD "[vm]\nmemory = 99999999999999999G\n", 7,
	  "'memory' must be a size from 64M to 1T (" UNITS "), got '99999999999999999G'" },
	{ HEAD "[vm]\nmemory = 1025G\n", 7, "'memory' must be a size from 64M to 1T (" UNITS "), got '1025G'" },
	{ HEAD "[vm]\nmemory = 1536K\n", 7, "'memory' must be a size from 64M to 1T (" UNITS "), got '1536K'" },
	{ HEAD "[vm]\nnuma = 1G,2T\n", 7, "bad node size '2T' in 'numa': must be from 1M to 1T (" UNITS ")" },
	{ HEAD "[vm]\nnuma = ,\n", 7, "'numa' needs at least one node size" },
	{ HEAD "[vm]\nnuma = 1G 1G 1G 1G 1G 1G 1G 1G 1G\n", 7, "at most 8 NUMA nodes" },
	{ HEAD "[guest]\n", 6, "duplicate section [guest] (first at line 4)" },
	{ HEAD "[vm]\ncpus = 65\n", 7, "'cpus' must be an integer from 1 to 64, got '65'" },
	{ HEAD "[vm]\nmemory = 2G\ncpus = 3\nnuma = 1G,1G\n", 0, "[vm] 3 cpus do not divide evenly among 2 NUMA nodes" },
	{ HEAD "[vm]\nmemory = 2G\ncpus = 1\nnuma = 1G,1G\n", 0, "[vm] 2 NUMA nodes need at least 2 cpus" },
	{ "[case]\nname = x\n[guest]\nzram = 1.5G\n", 4, "'zram' must be a size like 512M (" UNITS "), got '1.5G'" },
	/* Values that name things. */
	{ "[case]\nname = x\n[guest]\ncgroup = v1:memory,bogus\n", 4, "unknown cgroup v1 controller 'bogus' in 'cgroup'" },
	{ "[case]\nname = x\n[guest]\ncgroup = v1:\n", 4, "unknown cgroup v1 controller '' in 'cgroup'" },
	{ "[case]\nname = x\n[guest]\ncgroup = v3\n", 4, "'cgroup' must be v2 or v1:CONTROLLERS, got 'v3'" },
	{ "[case]\nname = ../../x\n", 2, "'name' must be a plain word (letters, digits, '-', '_'), got '../../x'" },
	{ "[case]\nname =\n", 2, "'name' must be a plain word (letters, digits, '-', '_'), got ''" },
	{ "[case]\nname = x\n[guest]\nworkload = nosuch\n", 4,
	  "workload 'nosuch' does not exist (no guest/workloads/nosuch.c)" },
	{ "[case]\nname = x\nboot_failure = maybe\n", 3, "'boot_failure' must be untestable or bug, got 'maybe'" },
	{ HEAD "[variant v1]\n[variant v2]\n[variant v3]\n[variant v4]\n[variant v5]\n[variant v6]\n"
	       "[variant v7]\n[variant v8]\n[variant v9]\n", 14, "too many variants (at most 8)" },
	{ HEAD "[variant a123456789b123456789c123456789d123456789e123456789f123456789g1234]\n", 6,
	  "variant name 'a123456789b123456789c123456789d123456789e123456789f123456789g1234' is too long (at most 63 characters)" },
};

START_TEST(bad_case_names_file_and_line)
{
	const struct bad_case *b = &bad_cases[_i];
	const char *path = test_temp_file(b->text, ".case");
	struct case_def c;
	char err[512] = "", want[700];

	ck_assert_int_eq(case_load(path, &c, err, sizeof(err)), -1);
	if (b->line)
		snprintf(want, sizeof(want), "%s:%d: %s", path, b->line, b->message);
	else
		snprintf(want, sizeof(want), "%s: %s", path, b->message);
	ck_assert_str_eq(err, want);
	/* The same from memory, named as the caller says. */
	if (b->line)
		snprintf(want, sizeof(want), "mem.case:%d: %s", b->line, b->message);
	else
		snprintf(want, sizeof(want), "mem.case: %s", b->message);
	assert_fails(b->text, strlen(b->text), want);
}
END_TEST

START_TEST(missing_file_is_an_error)
{
	struct case_def c;
	char err[512];

	ck_assert_int_eq(case_load("/nonexistent/x.case", &c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "/nonexistent/x.case: No such file or directory");
}
END_TEST

START_TEST(sizes_parse)
{
	ck_assert_int_eq(parse_size_mb("512M"), 512);
	ck_assert_int_eq(parse_size_mb("512MiB"), 512);
	ck_assert_int_eq(parse_size_mb("2G"), 2048);
	ck_assert_int_eq(parse_size_mb("2GiB"), 2048);
	ck_assert_int_eq(parse_size_mb("1T"), 1048576);
	ck_assert_int_eq(parse_size_mb("1TiB"), 1048576);
	ck_assert_int_eq(parse_size_mb("2048K"), 2);
	ck_assert_int_eq(parse_size_mb("3072KiB"), 3);
	ck_assert_int_eq(parse_size_mb("100"), 100);
	ck_assert_int_eq(parse_size_mb("0"), 0);
	ck_assert_int_eq(parse_size_mb("1536K"), -1);
	ck_assert_int_eq(parse_size_mb("1K"), -1);
	ck_assert_int_eq(parse_size_mb("-5M"), -1);
	ck_assert_int_eq(parse_size_mb("+5M"), -1);
	ck_assert_int_eq(parse_size_mb(" 5M"), -1);
	ck_assert_int_eq(parse_size_mb("5 M"), -1);
	ck_assert_int_eq(parse_size_mb("5X"), -1);
	ck_assert_int_eq(parse_size_mb("5m"), -1);
	ck_assert_int_eq(parse_size_mb("M"), -1);
	ck_assert_int_eq(parse_size_mb(""), -1);
	/* Overflow in the digits, and in the unit multiplication. */
	ck_assert_int_eq(parse_size_mb("99999999999999999999999"), -1);
	ck_assert_int_eq(parse_size_mb("99999999999999999G"), -1);
	ck_assert_int_eq(parse_size_mb("18014398509481984"), -1);
	ck_assert_int_eq(parse_size_mb("17592186044415T"), -1);
}
END_TEST

START_TEST(memory_up_to_one_tib)
{
	struct case_def c;

	assert_loads(HEAD "[vm]\nmemory = 1T\n", &c);
	ck_assert_uint_eq(c.mem_mb, 1048576);
	assert_loads(HEAD "[vm]\nmemory = 1048576K\ncpus = 3\nnuma = 512M 256MiB 262144K\n", &c);
	ck_assert_uint_eq(c.mem_mb, 1024);
	ck_assert_int_eq(c.nnuma, 3);
	ck_assert_uint_eq(c.numa_mb[2], 256);
}
END_TEST

START_TEST(list_keys_repeat)
{
	struct case_def c;

	assert_loads("[case]\nname = x\ndescription = d\nkernels = deb:6.12\nkernels = deb:6.1\n"
		     "[vm]\ndevice = edu\ndevice = virtio-rng-pci\n"
		     "[guest]\nworkload = smoke\nsysctl = a=1\nsysctl = b=2\nmodules = zram\nmodules = vfio\n"
		     "[build]\nconfig = a.config\nconfig = b.config\n"
		     "[variant a]\nkernel = k\nexpect = pass\n[variant b]\nkernel = k\nexpect = fail\n", &c);
	ck_assert_int_eq(c.nkernels, 2);
	ck_assert_int_eq(c.ndevices, 2);
	ck_assert_int_eq(c.nsysctls, 2);
	ck_assert_int_eq(c.nmodules, 2);
	ck_assert_int_eq(c.nconfigs, 2);
	ck_assert_int_eq(c.nvariants, 2);
}
END_TEST

START_TEST(known_cgroup_v1_controllers)
{
	struct case_def c;

	assert_loads(HEAD "cgroup = v1:cpu,cpuacct,cpuset,memory\n", &c);
	ck_assert_str_eq(c.cgroup, "v1:cpu,cpuacct,cpuset,memory");
	assert_loads(HEAD "cgroup = v1:pids\n", &c);
	assert_loads(HEAD "cgroup = v2\n", &c);
	assert_fails(HEAD "cgroup = v1:memory,,pids\n", strlen(HEAD "cgroup = v1:memory,,pids\n"),
		     "mem.case:6: unknown cgroup v1 controller '' in 'cgroup'");
}
END_TEST

START_TEST(boot_failure_key)
{
	struct case_def c;

	assert_loads("[case]\nname = x\ndescription = d\nboot_failure = bug\n[guest]\nworkload = smoke\n", &c);
	ck_assert(c.boot_failure_is_bug);
	assert_loads("[case]\nname = x\ndescription = d\nboot_failure = untestable\n[guest]\nworkload = smoke\n", &c);
	ck_assert(!c.boot_failure_is_bug);
}
END_TEST

/* inih's buffer holds 199 characters and a NUL; it would parse the rest of
 * a longer line as a line of its own. */
START_TEST(long_lines_are_errors)
{
	char text[512], *value;
	struct case_def c;
	size_t head = strlen("[case]\nname = x\ndescription = ");

	snprintf(text, sizeof(text), "[case]\nname = x\ndescription = ");
	value = text + head;
	memset(value, 'a', 199 - strlen("description = "));
	strcpy(value + 199 - strlen("description = "), "\r\n[guest]\nworkload = smoke\n");
	assert_loads(text, &c);
	ck_assert_uint_eq(strlen(c.description), 199 - strlen("description = "));

	memset(value, 'a', 200 - strlen("description = "));
	strcpy(value + 200 - strlen("description = "), "\n[guest]\nworkload = smoke\n");
	assert_fails(text, strlen(text), "mem.case:3: line too long (at most 199 characters)");

	memset(value, 'a', 250);
	strcpy(value + 250, "memory = 1G\n");
	assert_fails(text, strlen(text), "mem.case:3: line too long (at most 199 characters)");
}
END_TEST

START_TEST(buffer_is_read_to_len_only)
{
	static const char nul[] = "[case]\nname = x\0y\n";
	static const char cut[] = HEAD "[vm]\nmemory = 2G\n";
	struct case_def c;
	char err[512] = "";

	assert_fails(nul, sizeof(nul) - 1, "mem.case:2: NUL byte in line");
	/* No trailing newline. */
	ck_assert_int_eq(load_bytes(HEAD, strlen(HEAD) - 1, &c, err, sizeof(err)), 0);
	ck_assert_str_eq(c.workload, "smoke");
	ck_assert_int_eq(load_bytes(HEAD "bogus = 1\n", strlen(HEAD), &c, err, sizeof(err)), 0);
	assert_fails(cut, strlen(cut) - 2,
		     "mem.case:7: 'memory' must be a size from 64M to 1T (" UNITS "), got '2'");
	assert_fails("", 0, "mem.case: missing 'name' in [case]");
}
END_TEST

START_TEST(bom_crlf_and_comments_parse)
{
	struct case_def c;

	assert_loads("\xEF\xBB\xBF[case]\r\nname = x\r\n; a comment\r\n  # an indented comment\r\n\r\n"
		     "description = d ; inline comment\r\n[guest] ; why\r\nworkload = smoke\r\n", &c);
	ck_assert_str_eq(c.name, "x");
	ck_assert_str_eq(c.description, "d");
	ck_assert_str_eq(c.workload, "smoke");
}
END_TEST

static void assert_series_fails(const char *series, const char *message)
{
	char text[1024], want[1024];

	snprintf(text, sizeof(text), HEAD "[variant a]\nkernel = k\nexpect = pass\nseries = %s\n", series);
	snprintf(want, sizeof(want), "mem.case:9: series '%s' %s", series, message);
	assert_fails(text, strlen(text), want);
}

START_TEST(series_must_exist)
{
	char text[1024], dir[256], missing[1024];
	struct case_def c;

	snprintf(text, sizeof(text), HEAD "[variant a]\nkernel = k\nexpect = pass\nseries = %s\n",
		 test_temp_file("From 0 Mon Sep 17 00:00:00 2001\n", ".mbox"));
	assert_loads(text, &c);
	assert_loads(HEAD "[variant deb-6.1]\nkernel = k\nexpect = pass\nseries = patches/test-one-line\n", &c);
	snprintf(dir, sizeof(dir), "%s", test_temp_dir());
	assert_series_fails(dir, "is a directory without a series file");
	assert_series_fails("/dev/null", "is neither a directory nor an mbox file");
	snprintf(missing, sizeof(missing), "does not exist (%s/patches/nosuch: No such file or directory)",
		 repo_root());
	assert_series_fails("patches/nosuch", missing);
}
END_TEST

/* Every case shipped in cases/ must parse, and be named after its file. */
START_TEST(shipped_cases_parse)
{
	char pattern[4096];
	glob_t g;

	snprintf(pattern, sizeof(pattern), "%s/cases/*.case", repo_root());
	ck_assert_int_eq(glob(pattern, 0, NULL, &g), 0);
	ck_assert_uint_ge(g.gl_pathc, 7);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char err[512] = "", *base = basename(g.gl_pathv[i]);
		struct case_def c;
		ck_assert_msg(case_load(g.gl_pathv[i], &c, err, sizeof(err)) == 0, "%s", err);
		ck_assert_int_eq(strncmp(c.name, base, strlen(base) - strlen(".case")), 0);
		ck_assert_uint_eq(strlen(c.name), strlen(base) - strlen(".case"));
	}
	globfree(&g);
}
END_TEST

Suite *case_suite(void)
{
	Suite *s = suite_create("case");
	TCase *t = tcase_create("parse");

	tcase_add_test(t, full_case_parses);
	tcase_add_loop_test(t, bad_case_names_file_and_line, 0, sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(t, missing_file_is_an_error);
	tcase_add_test(t, sizes_parse);
	tcase_add_test(t, memory_up_to_one_tib);
	tcase_add_test(t, list_keys_repeat);
	tcase_add_test(t, known_cgroup_v1_controllers);
	tcase_add_test(t, boot_failure_key);
	tcase_add_test(t, long_lines_are_errors);
	tcase_add_test(t, buffer_is_read_to_len_only);
	tcase_add_test(t, bom_crlf_and_comments_parse);
	tcase_add_test(t, series_must_exist);
	tcase_add_test(t, shipped_cases_parse);
	suite_add_tcase(s, t);
	return s;
}
