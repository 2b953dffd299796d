#include "case.h"
#include "suites.h"

#include <stdio.h>
#include <string.h>

static int load_text(const char *text, struct case_def *c, char *err, size_t len)
{
	return case_load(test_temp_file(text, ".case"), c, err, len);
}

START_TEST(full_case_parses)
{
	struct case_def c;
	char err[512] = "";
	int rc = load_text("[case]\nname = x\ndescription = d\nfix = abc (\"t\")\nkernels = deb:6.12 deb:6.1\n"
			   "timeout = 99\n[vm]\nmemory = 2G\ncpus = 2\nnuma = 1G,1G\ncmdline = cma=448M\n"
			   "machine = q35\niommu = yes\ndevice = edu\n[guest]\nworkload = w_1\nargs = --a 1\n"
			   "sysctl = kernel.numa_balancing=1\nmodules = vfio-pci zram\ncgroup = v1:memory\n"
			   "zram = 512M\n[build]\nconfig = config/x.config\n"
			   "[variant buggy]\nkernel = src:deb-6.12\nseries = patches/b\nexpect = fail\n"
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
	ck_assert_int_eq(c.variants[0].expect, EXPECT_FAIL);
	ck_assert_str_eq(c.variants[0].expect_title, "kernel BUG");
	ck_assert_int_eq(c.variants[1].expect, EXPECT_PASS);
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
	{ "[case]\nname = x\ndescription = d\n[vm]\nmemory = lots\n", 5, "'memory' must be a size" },
	{ "[case]\nname = x\n[vm]\ncpus = 0\n", 4, "'cpus' must be an integer" },
	{ "[case]\nname = x\n[guest]\nworkload = ../../bin/sh\n", 4, "'workload' must be a name" },
	{ "[case]\nname = x\n[guest]\nsysctl = novalue\n", 4, "'sysctl' must be name=value" },
	{ "[case]\nname = x\n[variant a]\nexpect = maybe\n", 4, "'expect' must be pass, fail or conf" },
	{ "[nonsense]\nk = v\n", 2, "unknown section [nonsense]" },
	{ "[case]\nname = x\nthis line has no equals sign\n", 3, "syntax error" },
	{ "[case]\nname = x\n[vm]\nmachine = microvm\n", 4, "'machine' must be pc or q35" },
	{ "[case]\nname = x\ndescription = d\n", 0, "missing 'workload' in [guest]" },
	{ "[case]\nname = x\ndescription = d\n[guest]\nworkload = w\n[vm]\nmemory = 2G\nnuma = 1G\n", 0,
	  "numa node sizes add up to 1024M but memory is 2048M" },
	{ "[case]\nname = x\ndescription = d\n[guest]\nworkload = w\n[variant v]\nexpect = pass\n", 0,
	  "[variant v] needs 'kernel' and 'expect'" },
};

START_TEST(bad_case_names_file_and_line)
{
	const struct bad_case *b = &bad_cases[_i];
	const char *path = test_temp_file(b->text, ".case");
	struct case_def c;
	char err[512] = "", want[300];

	ck_assert_int_eq(case_load(path, &c, err, sizeof(err)), -1);
	if (b->line)
		snprintf(want, sizeof(want), "%s:%d: ", path, b->line);
	else
		snprintf(want, sizeof(want), "%s: ", path);
	ck_assert_msg(!strncmp(err, want, strlen(want)), "error '%s' does not start with '%s'", err, want);
	ck_assert_msg(strstr(err, b->message), "error '%s' lacks '%s'", err, b->message);
}
END_TEST

START_TEST(missing_file_is_an_error)
{
	struct case_def c;
	char err[512];

	ck_assert_int_eq(case_load("/nonexistent/x.case", &c, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/x.case: No such file"));
}
END_TEST

START_TEST(sizes_parse)
{
	ck_assert_int_eq(parse_size_mb("512M"), 512);
	ck_assert_int_eq(parse_size_mb("2G"), 2048);
	ck_assert_int_eq(parse_size_mb("100"), 100);
	ck_assert_int_eq(parse_size_mb("1T"), -1);
	ck_assert_int_eq(parse_size_mb("-5M"), -1);
	ck_assert_int_eq(parse_size_mb(""), -1);
}
END_TEST

/* Every case shipped in cases/ must parse. */
START_TEST(shipped_cases_parse)
{
	const char *names[] = { "smoke", "numa-thp-migrate", "cma-longterm-pin", "numa-deferred-split-migrate" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[4096], err[512] = "";
		struct case_def c;
		ck_assert_int_eq(case_path(names[i], path, sizeof(path)), 0);
		ck_assert_msg(case_load(path, &c, err, sizeof(err)) == 0, "%s", err);
		ck_assert_str_eq(c.name, names[i]);
	}
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
	tcase_add_test(t, shipped_cases_parse);
	suite_add_tcase(s, t);
	return s;
}
