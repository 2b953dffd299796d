/* Case file parsing: accepted files, and the file:line errors of bad ones. */
#include "case.h"
#include "flavor.h"
#include "suites.h"
#include "util.h"

#include <glob.h>
#include <ini.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The smallest case that parses: 5 lines, so test lines start at 6. */
#define HEAD "[case]\nname = x\ndescription = d\n[guest]\nworkload = smoke\n"
#define UNITS "units K, KiB, M, MiB, G, GiB, T, TiB; bare numbers are MiB"
/* A variant that expects a failure, lines 6 to 8 after HEAD. */
#define FAILV "[variant v]\nkernel = k\nexpect = fail\n"
/* The same with a fix named, lines 6 to 9. */
#define FAILVF FAILV "fixed_by = \"s\" (w)\n"
#define SHA_FORMAT "'fixes' needs SHA (\"subject\") with a SHA of 12 to 40 lowercase hex digits, got "
#define EXPECT_FORMAT "'expect' must be pass, fail, conf, fail >= K/N or fail <= K/N, got "

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

/* len SIZE_MAX: strlen(text). */
static void assert_fails(const char *text, size_t len, const char *want)
{
	struct case_def c;
	char err[1024] = "";

	if (len == SIZE_MAX)
		len = strlen(text);
	ck_assert_int_eq(load_bytes(text, len, &c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, want);
}

START_TEST(full_case_parses)
{
	struct case_def c;
	char err[512] = "";
	int rc = load_text("[case]\nname = x\ndescription = d\nfixed_by = \"t\" (here)\nkernels = deb:6.12 deb:6.1\n"
			   "timeout = 99\ncounters = pgmigrate_success thp_split_page\ncounters = pglazyfree\n[vm]\nmemory = 2G\ncpus = 2\nnuma = 1G,1G\ncmdline = cma=448M\n"
			   "machine = q35\niommu = yes\ndevice = edu\ndisk = 1G\n[guest]\nworkload = smoke\nargs = --a 1\n"
			   "sysctl = kernel.numa_balancing=1\nmodules = vfio-pci zram\ncgroup = v1:memory\n"
			   "zram = 512M\n[build]\nconfig = config/x.config\n"
			   "[variant buggy]\nkernel = src:deb-6.12\nseries = patches/test-one-line\nexpect = fail\n"
			   "title = kernel BUG\n[variant fixed]\nkernel = src:deb-6.12\nexpect = pass\n",
			   &c, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_str_eq(c.name, "x");
	ck_assert_int_eq(c.nkernels, 2);
	ck_assert_str_eq(c.kernels[1], "deb:6.1");
	ck_assert_int_eq(c.ncounters, 3);
	ck_assert_int_eq(c.disk_mb, 1024);
	ck_assert(!c.quiet_host);
	ck_assert_str_eq(c.counters[2], "pglazyfree");
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
	{ HEAD "[build]\nflavor = kasan\n", 7, "'flavor': expected one of normal, debug, got 'kasan'" },
	{ HEAD "[build]\nflavor =\n", 7, "'flavor': expected one of normal, debug, got ''" },
	{ HEAD FAILVF "flavor = Debug\n", 10, "'flavor': expected one of normal, debug, got 'Debug'" },
	{ HEAD "[variant v]\nflavor = debug\nkernel = deb:6.12\nexpect = pass\n", 7,
	  "[variant v] flavor = debug needs a source kernel (src:, git:, dir:), not deb:6.12" },
	{ HEAD "[vm]\narch = aarch64\n", 7, "'arch': expected x86_64 or arm64, got 'aarch64'" },
	{ HEAD "[variant v]\narch = arm64\nkernel = deb:6.12\nexpect = pass\n", 7,
	  "[variant v] arch = arm64 needs a source kernel (src:, git:, dir:): deb:6.12 is an x86_64 kernel" },
	{ HEAD "[vm]\narch = arm64\n[variant v]\nkernel = deb:6.1\nexpect = pass\n", 0,
	  "[variant v] arch = arm64 (from [vm]) needs a source kernel (src:, git:, dir:): deb:6.1 is an x86_64 kernel" },
	{ HEAD "[vm]\narch = arm64\nmachine = q35\n", 0,
	  "[vm] arch = arm64 boots QEMU's virt machine: machine, iommu and device are x86_64 settings" },
	{ "[case]\nname = x\nbogus = 1\n", 3, "unknown key 'bogus' in [case]" },
	{ "[case]\nname = x\ndescription = d\n[vm]\nmemory = lots\n", 5,
	  "'memory' must be a size from 64M to 1T (" UNITS "), got 'lots'" },
	{ "[case]\nname = x\n[vm]\ncpus = 0\n", 4, "'cpus' must be an integer from 1 to 64, got '0'" },
	{ "[case]\nname = x\n[guest]\nworkload = ../../bin/sh\n", 4,
	  "'workload' must be a name under guest/workloads, got '../../bin/sh'" },
	{ "[case]\nname = x\n[guest]\nsysctl = novalue\n", 4, "'sysctl' must be name=value, got 'novalue'" },
	{ "[case]\nname = x\n[variant a]\nexpect = maybe\n", 4, EXPECT_FORMAT "'maybe'" },
	{ "[nonsense]\nk = v\n", 1, "unknown section [nonsense]" },
	{ "[case]\nname = x\ncounters = pgmigrate_success, Bad-Name\n", 3,
	  "'counters': 'Bad-Name' is not a /proc/vmstat name" },
	{ "[case]\nname = x\nthis line has no equals sign\n", 3, "syntax error" },
	{ "[case]\nname = x\n[vm]\nmachine = microvm\n", 4, "'machine' must be pc or q35, got 'microvm'" },
	{ "[case]\nname = x\n[vm]\ndisk = 0\n", 4,
	  "'disk' must be a size from 1M to 64G (units K, KiB, M, MiB, G, GiB, T, TiB; bare numbers are MiB), got '0'" },
	{ "[case]\nname = x\n[vm]\ndisk = 65G\n", 4,
	  "'disk' must be a size from 1M to 64G (units K, KiB, M, MiB, G, GiB, T, TiB; bare numbers are MiB), got '65G'" },
	{ "[case]\nname = x\ndescription = d\n", 0, "missing 'workload' in [guest] (or 'repro' or 'kselftest')" },
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
	       "[variant v7]\n[variant v8]\n[variant v9]\n[variant v10]\n[variant v11]\n[variant v12]\n"
	       "[variant v13]\n[variant v14]\n[variant v15]\n[variant v16]\n[variant v17]\n", 22,
	  "too many variants (at most 16)" },
	{ HEAD "[variant a123456789b123456789c123456789d123456789e123456789f123456789g1234]\n", 6,
	  "variant name 'a123456789b123456789c123456789d123456789e123456789f123456789g1234' is too long (at most 63 characters)" },
	/* fixes and fixed_by. */
	{ "[case]\nname = x\nfix = 33dfe9204f29 (\"s\")\n", 3,
	  "'fix' is replaced by 'fixes = SHA (\"subject\")' for upstream commits and "
	  "'fixed_by = \"subject\" (where)' for changes without one" },
	{ "[case]\nname = x\nfixes = 33dfe92 (\"s\")\n", 3, SHA_FORMAT "'33dfe92 (\"s\")'" },
	{ "[case]\nname = x\nfixes = 33DFE9204F29 (\"s\")\n", 3, SHA_FORMAT "'33DFE9204F29 (\"s\")'" },
	{ "[case]\nname = x\nfixes = 33dfe9204f29012345678901234567890123456789 (\"s\")\n", 3,
	  SHA_FORMAT "'33dfe9204f29012345678901234567890123456789 (\"s\")'" },
	{ "[case]\nname = x\nfixes = (\"s\")\n", 3, SHA_FORMAT "'(\"s\")'" },
	{ "[case]\nname = x\nfixes =\n", 3, "'fixes' needs SHA (\"subject\")" },
	{ "[case]\nname = x\nfixes = 33dfe9204f29\n", 3, "'fixes': 33dfe9204f29 needs its subject as (\"subject\")" },
	{ "[case]\nname = x\nfixes = 33dfe9204f29 (subject)\n", 3,
	  "'fixes': 33dfe9204f29 needs its subject as (\"subject\")" },
	{ "[case]\nname = x\nfixes = 33dfe9204f29 (\"\")\n", 3, "'fixes': 33dfe9204f29 has an empty subject" },
	{ "[case]\nname = x\nfixes = 33dfe9204f29 (\"s\") 616b8371539a (\"t\")\n", 3,
	  "'fixes': a comma or the end of the line must follow 33dfe9204f29 (\"s\")" },
	{ "[case]\nname = x\nfixes = 33dfe9204f29 (\"a\"), 33dfe9204f29 (\"b\"), 33dfe9204f29 (\"c\")\n"
	  "fixes = 33dfe9204f29 (\"d\"), 33dfe9204f29 (\"e\")\n", 4, "too many commits in 'fixes' (at most 4)" },
	{ "[case]\nname = x\nfixed_by = subject (where)\n", 3, "'fixed_by' must be \"subject\" (where), got 'subject (where)'" },
	{ "[case]\nname = x\nfixed_by = \"subject\"\n", 3, "'fixed_by' must be \"subject\" (where), got '\"subject\"'" },
	{ "[case]\nname = x\nfixed_by = \"s\" (w) x\n", 3, "'fixed_by' must be \"subject\" (where), got '\"s\" (w) x'" },
	{ "[case]\nname = x\nfixed_by = \"\" (w)\n", 3, "'fixed_by' needs a non-empty subject and where, got '\"\" (w)'" },
	{ "[case]\nname = x\nfixed_by = \"s\" ()\n", 3, "'fixed_by' needs a non-empty subject and where, got '\"s\" ()'" },
	{ HEAD FAILV, 0, "[variant v] expects a failure, so the case must name its fix: 'fixes = SHA (\"subject\")' or "
			 "'fixed_by = \"subject\" (where)' in [case] or the variant" },
	/* k of N. */
	{ HEAD "[variant v]\nexpect = fail >= 8\n", 7, EXPECT_FORMAT "'fail >= 8'" },
	{ HEAD "[variant v]\nexpect = fail > 8/10\n", 7, EXPECT_FORMAT "'fail > 8/10'" },
	{ HEAD "[variant v]\nexpect = fail >= 8/10x\n", 7, EXPECT_FORMAT "'fail >= 8/10x'" },
	{ HEAD "[variant v]\nexpect = fail >= -1/10\n", 7, EXPECT_FORMAT "'fail >= -1/10'" },
	{ HEAD "[variant v]\nexpect = pass >= 8/10\n", 7, EXPECT_FORMAT "'pass >= 8/10'" },
	{ HEAD "[variant v]\nexpect = fail >= 0/10\n", 7, "'expect = fail >= K/N' needs 1 <= K <= N <= 1000, got 'fail >= 0/10'" },
	{ HEAD "[variant v]\nexpect = fail >= 11/10\n", 7,
	  "'expect = fail >= K/N' needs 1 <= K <= N <= 1000, got 'fail >= 11/10'" },
	{ HEAD "[variant v]\nexpect = fail >= 8/1001\n", 7,
	  "'expect = fail >= K/N' needs 1 <= K <= N <= 1000, got 'fail >= 8/1001'" },
	{ HEAD "[variant v]\nexpect = fail >= 1/99999999999999999999\n", 7,
	  EXPECT_FORMAT "'fail >= 1/99999999999999999999'" },
	{ HEAD "[variant v]\nexpect = fail =< 3/10\n", 7, EXPECT_FORMAT "'fail =< 3/10'" },
	{ HEAD "[variant v]\nexpect = pass <= 3/10\n", 7, EXPECT_FORMAT "'pass <= 3/10'" },
	{ HEAD "[variant v]\nexpect = fail <= 0/10\n", 7, "'expect = fail <= K/N' needs 1 <= K < N <= 1000, got 'fail <= 0/10'" },
	{ HEAD "[variant v]\nexpect = fail <= 10/10\n", 7,
	  "'expect = fail <= K/N' needs 1 <= K < N <= 1000, got 'fail <= 10/10'" },
	{ HEAD "[variant v]\nexpect = fail <= 3/1001\n", 7,
	  "'expect = fail <= K/N' needs 1 <= K < N <= 1000, got 'fail <= 3/1001'" },
	/* Titles. */
	{ HEAD FAILVF "expect_titles = A,,B\n", 10, "'expect_titles' has an empty title (titles are separated by commas)" },
	{ HEAD FAILVF "expect_titles =\n", 10, "'expect_titles' has an empty title (titles are separated by commas)" },
	{ HEAD FAILVF "forbid_titles = A, \n", 10, "'forbid_titles' has an empty title (titles are separated by commas)" },
	{ HEAD FAILVF "forbid_titles = 1,2,3,4,5\nforbid_titles = 6,7,8,9\n", 11,
	  "too many titles in 'forbid_titles' (at most 8)" },
	{ HEAD "[variant v]\nkernel = k\nexpect = pass\nexpect_titles = WARNING\n", 0,
	  "[variant v] has expect_titles but does not expect fail" },
	{ HEAD FAILVF "expect_titles = WARNING in f, kernel BUG in g\nforbid_titles = BUG in g\n", 0,
	  "[variant v] expects 'kernel BUG in g', which its forbid_titles 'BUG in g' forbids" },
	{ HEAD FAILVF "expect_titles = WARNING in f, kernel BUG in g\n", 10,
	  "[variant v] expect_titles has 'kernel BUG in g' after 'WARNING in f', which panic_on_warn=1 (the debug "
	  "flavour's) stops before: set panic_on_warn = no in the variant or in [vm]" },
	{ HEAD "[vm]\npanic_on_warn = maybe\n", 7, "'panic_on_warn' must be yes or no, got 'maybe'" },
	{ HEAD FAILVF "panic_on_warn =\n", 10, "'panic_on_warn' must be yes or no, got ''" },
	/* Page dumps. */
	{ HEAD FAILVF "expect_page = anon, huge\n", 10,
	  "'expect_page': unknown word 'huge' (anon, file, ksm, large, small, poisoned or a page flag such as lru, "
	  "locked, dirty; '!' negates)" },
	{ HEAD FAILVF "expect_page = ,\n", 10, "'expect_page' is empty" },
	{ HEAD FAILVF "expect_page = anon large lru locked dirty !ksm !file small head\n", 10,
	  "too many words in 'expect_page' (at most 8)" },
	{ HEAD "[variant v]\nkernel = k\nexpect = pass\nexpect_page = anon\n", 0,
	  "[variant v] has expect_page but does not expect fail" },
	/* Stack frames. */
	{ HEAD FAILVF "expect_stack = do_numa_page+0x205\n", 10,
	  "'expect_stack': 'do_numa_page+0x205' is not a function name (letters, digits, '_' and '.'; '!' in front "
	  "for one the stack must not have)" },
	{ HEAD FAILVF "expect_stack = ,\n", 10, "'expect_stack' is empty" },
	{ HEAD FAILVF "quiet_host = mostly\n", 10, "'quiet_host' must be yes or no, got 'mostly'" },
	{ HEAD FAILVF "expect_stack = a b c d e f g h i\n", 10, "too many functions in 'expect_stack' (at most 8)" },
	{ HEAD "[variant v]\nkernel = k\nexpect = pass\nexpect_stack = do_numa_page\n", 0,
	  "[variant v] has expect_stack but does not expect fail" },
	/* What a variant may set for itself. */
	{ HEAD FAILVF "memory = 10M\n", 10, "'memory' must be a size from 64M to 1T (" UNITS "), got '10M'" },
	{ HEAD FAILVF "cpus = 0\n", 10, "'cpus' must be an integer from 1 to 64, got '0'" },
	{ HEAD FAILVF "numa = 1G,x\n", 10, "bad node size 'x' in 'numa': must be from 1M to 1T (" UNITS ")" },
	{ HEAD FAILVF "timeout = 0\n", 10, "'timeout' must be an integer from 1 to 86400, got '0'" },
	{ HEAD FAILVF "args = a\nargs = b\n", 11, "duplicate key 'args' in [variant v] (first at line 10)" },
	{ HEAD FAILVF "sysctl = a=1\n", 10, "unknown key 'sysctl' in [variant v]" },
	{ HEAD FAILVF "memory = 2G\ncpus = 2\nnuma = 1G\n", 0,
	  "[variant v] numa node sizes add up to 1024M but memory is 2048M" },
	{ HEAD "[vm]\nmemory = 2G\ncpus = 2\nnuma = 1G,1G\n" FAILVF "cpus = 3\n", 0,
	  "[variant v] 3 cpus do not divide evenly among 2 NUMA nodes" },
	{ HEAD "[build]\nconfig = 1 2 3 4 5 6 7 8 9 10\n" FAILVF "config = a b c d e f g\n", 0,
	  "[variant v] has 17 config fragments with the case's (at most 16)" },
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
		     "[variant a]\nkernel = k\nexpect = pass\n[variant b]\nkernel = k\nexpect = fail\n"
		     "fixed_by = \"s\" (w)\nfixed_by = \"t\" (w)\nconfig = a.config\nconfig = b.config\n"
		     "expect_titles = A\nexpect_titles = B, C\nforbid_titles = D\nforbid_titles = E\n", &c);
	ck_assert_int_eq(c.variants[1].fixes.nnotes, 2);
	ck_assert_int_eq(c.variants[1].set.nconfigs, 2);
	ck_assert_int_eq(c.variants[1].nexpect_titles, 3);
	ck_assert_str_eq(c.variants[1].expect_titles[2], "C");
	ck_assert_int_eq(c.variants[1].nforbid_titles, 2);
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
		     "description = d;e # f\r\n[guest] ; why\r\nworkload = smoke\r\n", &c);
	ck_assert_str_eq(c.name, "x");
	ck_assert_str_eq(c.description, "d;e # f");
	ck_assert_str_eq(c.workload, "smoke");
}
END_TEST

static int keep_value(void *user, const char *section, const char *key, const char *value)
{
	(void)section;
	(void)key;
	*(char **)user = strdup(value);
	return 1;
}

/* Whether inih, as this host's libinih was built, cuts "k = a<sep>b". */
static bool inih_cuts_after(const char *sep)
{
	char text[64], *value = NULL;
	bool cut;

	snprintf(text, sizeof(text), "[s]\nk = a%sb\n", sep);
	ck_assert_int_eq(ini_parse_string(text, keep_value, &value), 0);
	ck_assert_ptr_nonnull(value);
	cut = !strchr(value, 'b');
	free(value);
	return cut;
}

/* Every separator inih would end a value at is refused with file:line, and
 * every one it keeps stays in the value: the parser and libinih agree. */
START_TEST(inline_comments_are_errors)
{
	static const char *const seps[] = { " ;", "\t;", " #", "\t#", ";", "#", " ; ", " # " };
	char text[512], err[512];
	struct case_def c;

	for (size_t i = 0; i < sizeof(seps) / sizeof(seps[0]); i++) {
		snprintf(text, sizeof(text), HEAD "[vm]\ncmdline = a%sb\n", seps[i]);
		int rc = load_bytes(text, strlen(text), &c, err, sizeof(err));
		if (inih_cuts_after(seps[i])) {
			ck_assert_msg(rc == -1, "'%s' cut by inih but accepted", seps[i]);
			ck_assert_msg(!strncmp(err, "mem.case:7: '", strlen("mem.case:7: '")) &&
					      strstr(err, "starts an inline comment"), "%s", err);
		} else {
			ck_assert_msg(rc == 0, "'%s': %s", seps[i], err);
			snprintf(err, sizeof(err), "a%sb", seps[i]);
			ck_assert_str_eq(c.cmdline, err);
		}
	}
	/* Debian's libinih: ';' after whitespace is a comment, '#' is not. */
	ck_assert(inih_cuts_after(" ;"));
	ck_assert(!inih_cuts_after(" #"));
	assert_fails(HEAD "[vm]\ncmdline = quiet ; panic=1\n", SIZE_MAX,
		     "mem.case:7: ';' after whitespace (column 17) starts an inline comment, which would cut the "
		     "value there: remove the space before it, or the comment");
	/* A comment after a section header cuts no value. */
	assert_loads(HEAD "[vm] ; the machine\nmemory = 512M\n", &c);
}
END_TEST

/* The path of a file to make, in a fresh dir (static buffer). */
static const char *scratch_path(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", test_temp_dir(), name);
	return path;
}

static void assert_load_refused(const char *path, const char *why)
{
	struct case_def c;
	char err[1024], want[1024];

	snprintf(want, sizeof(want), "%s: %s", path, why);
	ck_assert_int_eq(case_load(path, &c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, want);
}

/* A FIFO would block the read forever, /dev/zero would fill memory and a
 * directory used to say "Input/output error". */
START_TEST(case_files_that_are_not_files)
{
	const char *path = scratch_path("fifo.case");
	char big[600];
	FILE *f;

	ck_assert_int_eq(mkfifo(path, 0600), 0);
	assert_load_refused(path, "is a FIFO, not a regular file");
	assert_load_refused("/dev/zero", "is a device, not a regular file");
	path = scratch_path("dir.case");
	ck_assert_int_eq(mkdir(path, 0700), 0);
	assert_load_refused(path, "is a directory, not a regular file");
	snprintf(big, sizeof(big), "%s", scratch_path("link.case"));
	ck_assert_int_eq(symlink(test_temp_file(HEAD, ".case"), big), 0);
	assert_load_refused(big, "is a symbolic link, not a regular file (name the file itself)");
	/* Sparse: refused by its size, before a byte is read. */
	path = scratch_path("huge.case");
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_int_eq(fseeko(f, (off_t)2 << 30, SEEK_SET), 0);
	fputc('\n', f);
	fclose(f);
	assert_load_refused(path, "larger than 1 MiB, the most it reads");
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

START_TEST(fixes_are_structured)
{
	struct case_def c;

	assert_loads("[case]\nname = x\ndescription = d\n"
		     "fixes = 33dfe9204f29 (\"mm/gup: clear the LRU flag\"),33dfe9204f2912345 (\"Revert \"a (b)\"\")\n"
		     "fixed_by = \"mm: revert \"x\"\" (stable (6.12.57))\n"
		     "[guest]\nworkload = cma_longterm_pin\n", &c);
	ck_assert_int_eq(c.fixes.ncommits, 2);
	ck_assert_str_eq(c.fixes.commits[0].sha, "33dfe9204f29");
	ck_assert_str_eq(c.fixes.commits[0].subject, "mm/gup: clear the LRU flag");
	ck_assert_int_eq(c.fixes.commits[0].line, 4);
	ck_assert_str_eq(c.fixes.commits[1].sha, "33dfe9204f2912345");
	ck_assert_str_eq(c.fixes.commits[1].subject, "Revert \"a (b)\"");
	ck_assert_int_eq(c.fixes.nnotes, 1);
	ck_assert_str_eq(c.fixes.notes[0].subject, "mm: revert \"x\"");
	ck_assert_str_eq(c.fixes.notes[0].origin, "stable (6.12.57)");
	ck_assert_str_eq(c.fix, "33dfe9204f29 (\"mm/gup: clear the LRU flag\"); 33dfe9204f2912345 (\"Revert \"a (b)\"\"); "
				"\"mm: revert \"x\"\" (stable (6.12.57))");
	/* Cases that reproduce nothing need not name a fix. */
	assert_loads(HEAD "[variant v]\nkernel = k\nexpect = pass\n", &c);
	ck_assert_str_eq(c.fix, "");
}
END_TEST

/* The case's commits and the workload's tag are one source: each commit
 * must be named in guest/workloads/<workload>.c as well. */
START_TEST(fixes_must_agree_with_the_workload_tag)
{
	char want[1024];
	struct case_def c;

	snprintf(want, sizeof(want), "mem.case:3: fix 616b8371539a (\"mm: thp\") is not named in "
		 "%s/guest/workloads/cma_longterm_pin.c: the case's fixes and the workload's tag must agree", repo_root());
	assert_fails("[case]\nname = x\nfixes = 616b8371539a (\"mm: thp\")\ndescription = d\n"
		     "[guest]\nworkload = cma_longterm_pin\n", SIZE_MAX, want);
	snprintf(want, sizeof(want), "mem.case:9: fix 33dfe9204f29 (\"s\") is not named in "
		 "%s/guest/workloads/smoke.c: the case's fixes and the workload's tag must agree", repo_root());
	assert_fails(HEAD FAILV "fixes = 33dfe9204f29 (\"s\")\n", SIZE_MAX, want);
	/* 12 digits are compared: a longer id in the case is the same commit. */
	assert_loads("[case]\nname = x\ndescription = d\nfixes = 616b8371539a6000 (\"mm: thp\")\n"
		     "[guest]\nworkload = numa_thp_migrate\n", &c);
}
END_TEST

/* baseline = TEXT: a variant of the code before the change names no fix,
 * and may not name one beside it. */
START_TEST(baseline_variant_names_no_fix)
{
	char path[512], err[1024];
	struct case_def c, vc;
	const struct variant *v = NULL;

	snprintf(path, sizeof(path), "%s/cases/memcg-move-charge-rmap.case", repo_root());
	ck_assert_msg(case_load(path, &c, err, sizeof(err)) == 0, "%s", err);
	for (int i = 0; i < c.nvariants; i++)
		if (!strcmp(c.variants[i].name, "baseline-6.1"))
			v = &c.variants[i];
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(case_for_variant(&c, v, &vc, err, sizeof(err)), 0);
	ck_assert_int_eq(vc.fixes.ncommits + vc.fixes.nnotes, 0);
	ck_assert_str_eq(vc.fix, "none: a baseline, 6.1 before the series: rmap still takes lock_page_memcg()");
	assert_fails(HEAD "[variant b]\nkernel = deb:6.12\nexpect = pass\nbaseline = old code\n"
		     "fixed_by = \"x\" (y)\n", SIZE_MAX,
		     "mem.case: [variant b] is a baseline, the code before the change: it cannot also name fixes or "
		     "fixed_by");
}
END_TEST

START_TEST(expect_k_of_n)
{
	struct case_def c;
	char text[64];

	assert_loads("[case]\nname = x\ndescription = d\nfixed_by = \"s\" (w)\n[guest]\nworkload = smoke\n"
		     FAILV "[variant w]\nkernel = k\nexpect = fail>=3/3\n[variant x]\nkernel = k\nexpect = fail\n"
		     "[variant y]\nkernel = k\nexpect = fail >=  8/10\n[variant z]\nkernel = k\nexpect = fail<=3/10\n",
		     &c);
	ck_assert_int_eq(c.variants[1].expect, EXPECT_FAIL);
	ck_assert_int_eq(c.variants[1].rate_hits, 3);
	ck_assert_int_eq(c.variants[1].rate_runs, 3);
	ck_assert(!c.variants[1].rate_at_most);
	ck_assert_int_eq(c.variants[2].rate_runs, 0);
	variant_expect_text(&c.variants[3], text, sizeof(text));
	ck_assert_str_eq(text, "fail >= 8/10");
	ck_assert_int_eq(c.variants[4].expect, EXPECT_FAIL);
	ck_assert_int_eq(c.variants[4].rate_hits, 3);
	ck_assert_int_eq(c.variants[4].rate_runs, 10);
	ck_assert(c.variants[4].rate_at_most);
	variant_expect_text(&c.variants[4], text, sizeof(text));
	ck_assert_str_eq(text, "fail <= 3/10");
	variant_expect_text(&c.variants[2], text, sizeof(text));
	ck_assert_str_eq(text, "fail");
}
END_TEST

/* A variant runs the case with its own settings where it has them. */
START_TEST(variant_overrides_apply)
{
	struct case_def c, *vc = malloc(sizeof(*vc));
	char err[512] = "";

	assert_loads("[case]\nname = x\ndescription = d\ntimeout = 100\nfixes = 33dfe9204f29 (\"case fix\")\n"
		     "[vm]\nmemory = 1G\ncpus = 2\ncmdline = cma=448M\n"
		     "[guest]\nworkload = cma_longterm_pin\nargs = --pages 8\n[build]\nconfig = base.config\n"
		     "[variant same]\nkernel = k\nexpect = fail\n"
		     "[variant own]\nkernel = k\nexpect = pass\nargs = --pages 16 --mlock\ncmdline =\nmemory = 2G\n"
		     "cpus = 4\nnuma = 1G 1G\ntimeout = 300\nconfig = debug.config\n"
		     "fixed_by = \"mm/gup: check ref_count instead of lru before migration\" (stable)\n", &c);
	ck_assert_int_eq(case_for_variant(&c, &c.variants[0], vc, err, sizeof(err)), 0);
	ck_assert_str_eq(vc->args, "--pages 8");
	ck_assert_str_eq(vc->cmdline, "cma=448M");
	ck_assert_uint_eq(vc->mem_mb, 1024);
	ck_assert_int_eq(vc->nnuma, 0);
	ck_assert_int_eq(vc->timeout_s, 100);
	ck_assert_int_eq(vc->nconfigs, 1);
	ck_assert_str_eq(vc->fix, "33dfe9204f29 (\"case fix\")");
	ck_assert_int_eq(case_for_variant(&c, &c.variants[1], vc, err, sizeof(err)), 0);
	ck_assert_str_eq(vc->args, "--pages 16 --mlock");
	ck_assert_str_eq(vc->cmdline, "");
	ck_assert_uint_eq(vc->mem_mb, 2048);
	ck_assert_int_eq(vc->cpus, 4);
	ck_assert_int_eq(vc->nnuma, 2);
	ck_assert_uint_eq(vc->numa_mb[1], 1024);
	ck_assert_int_eq(vc->timeout_s, 300);
	ck_assert_int_eq(vc->nconfigs, 2);
	ck_assert_ptr_nonnull(strstr(vc->configs[0], "/base.config"));
	ck_assert_int_eq(vc->configs[1][0], '/');
	ck_assert_ptr_nonnull(strstr(vc->configs[1], "/debug.config"));
	ck_assert_int_eq(vc->fixes.ncommits, 0);
	ck_assert_str_eq(vc->fix, "\"mm/gup: check ref_count instead of lru before migration\" (stable)");
	/* The case itself is untouched. */
	ck_assert_str_eq(c.args, "--pages 8");
	ck_assert_int_eq(c.nconfigs, 1);
	free(vc);
}
END_TEST

/* flavor in [build] is every built variant's; a variant's own wins, a
 * prebuilt kernel keeps none, and --flavor overrides both. */
START_TEST(flavor_per_case_and_variant)
{
	struct case_def c, *vc = malloc(sizeof(*vc));
	char err[512] = "";

	assert_loads(HEAD "[build]\nflavor = debug\n"
		     "[variant built]\nkernel = src:deb-6.12\nexpect = pass\n"
		     "[variant plain]\nkernel = src:deb-6.12\nexpect = pass\nflavor = normal\n"
		     "[variant prebuilt]\nkernel = deb:6.12\nexpect = pass\n", &c);
	ck_assert_int_eq(case_for_variant(&c, &c.variants[0], vc, err, sizeof(err)), 0);
	ck_assert_str_eq(case_build_flavor(vc, c.variants[0].kernel), "debug");
	ck_assert_int_eq(case_for_variant(&c, &c.variants[1], vc, err, sizeof(err)), 0);
	ck_assert_ptr_null(case_build_flavor(vc, c.variants[1].kernel));
	ck_assert_int_eq(case_for_variant(&c, &c.variants[2], vc, err, sizeof(err)), 0);
	ck_assert_str_eq(vc->flavor, "debug");
	ck_assert_ptr_null(case_build_flavor(vc, c.variants[2].kernel));
	case_force_flavor(&c, "debug");
	ck_assert_int_eq(case_for_variant(&c, &c.variants[1], vc, err, sizeof(err)), 0);
	ck_assert_str_eq(case_build_flavor(vc, c.variants[1].kernel), "debug");
	case_force_flavor(&c, "normal");
	ck_assert_int_eq(case_for_variant(&c, &c.variants[0], vc, err, sizeof(err)), 0);
	ck_assert_ptr_null(case_build_flavor(vc, c.variants[0].kernel));
	free(vc);
}
END_TEST

/* arch in [vm] is every variant's; a variant's own wins; --arch overrides
 * both, except verify's, which leaves a variant's own. */
START_TEST(arch_per_case_and_variant)
{
	struct case_def c, *vc = malloc(sizeof(*vc));
	char err[512] = "";

	assert_loads(HEAD "[vm]\narch = arm64\n"
		     "[variant a]\nkernel = src:deb-6.12\nexpect = pass\n"
		     "[variant x]\nkernel = deb:6.12\nexpect = pass\narch = x86_64\n", &c);
	ck_assert_int_eq(c.arch, ARCH_ARM64);
	ck_assert_int_eq(case_for_variant(&c, &c.variants[0], vc, err, sizeof(err)), 0);
	ck_assert_int_eq(vc->arch, ARCH_ARM64);
	ck_assert_int_eq(case_for_variant(&c, &c.variants[1], vc, err, sizeof(err)), 0);
	ck_assert_int_eq(vc->arch, ARCH_X86_64);
	case_prefer_arch(&c, ARCH_X86_64);
	ck_assert_int_eq(case_for_variant(&c, &c.variants[0], vc, err, sizeof(err)), 0);
	ck_assert_int_eq(vc->arch, ARCH_X86_64);
	c.arch = ARCH_ARM64;
	case_prefer_arch(&c, ARCH_ARM64);
	ck_assert_int_eq(case_for_variant(&c, &c.variants[1], vc, err, sizeof(err)), 0);
	ck_assert_int_eq(vc->arch, ARCH_X86_64);
	case_force_arch(&c, ARCH_ARM64);
	ck_assert_int_eq(case_for_variant(&c, &c.variants[1], vc, err, sizeof(err)), 0);
	ck_assert_int_eq(vc->arch, ARCH_ARM64);
	assert_loads(HEAD "[vm]\nmemory = 512M\n", &c);
	ck_assert_int_eq(c.arch, ARCH_X86_64);
	free(vc);
}
END_TEST

/* A report expected after a WARNING needs panic_on_warn = no, in the
 * variant or in [vm]; the flavour decides only where the case is silent. */
START_TEST(panic_on_warn_per_case_and_variant)
{
	struct case_def c, *vc = malloc(sizeof(*vc));
	char err[512] = "";

	assert_loads(HEAD "[vm]\npanic_on_warn = yes\n"
		     "[variant both]\nkernel = k\nexpect = fail\nfixed_by = \"s\" (w)\n"
		     "expect_titles = WARNING in f, kernel BUG in g\npanic_on_warn = no\n"
		     "[variant plain]\nkernel = k\nexpect = pass\n", &c);
	ck_assert_int_eq(case_for_variant(&c, &c.variants[0], vc, err, sizeof(err)), 0);
	ck_assert_int_eq(vc->panic_on_warn, -1);
	ck_assert(!flavor_panic_on_warn("debug", vc->panic_on_warn));
	ck_assert_int_eq(case_for_variant(&c, &c.variants[1], vc, err, sizeof(err)), 0);
	ck_assert_int_eq(vc->panic_on_warn, 1);
	ck_assert(flavor_panic_on_warn("normal", vc->panic_on_warn));
	ck_assert(flavor_panic_on_warn("debug", 0));
	ck_assert(!flavor_panic_on_warn("normal", 0));
	ck_assert(!flavor_panic_on_warn(NULL, 0));
	assert_loads(HEAD "[vm]\npanic_on_warn = no\n[variant v]\nkernel = k\nexpect = fail\n"
		     "fixed_by = \"s\" (w)\nexpect_titles = WARNING in f, kernel BUG in g\n", &c);
	free(vc);
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

/* Writes text as DIR/NAME.case and loads it with case_load (a case file
 * from disk, the kind that comes from someone else). */
static int load_case_in(const char *dir, const char *name, const char *text, char *path, size_t pathlen,
			struct case_def *c, char *err, size_t errlen)
{
	FILE *f;

	snprintf(path, pathlen, "%s/%s.case", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	return case_load(path, c, err, errlen);
}

/* Loads HEAD + extra from a case file and expects "FILE:LINE: WANT...". */
static void assert_case_file_refused(const char *extra, int line, const char *want)
{
	char text[2048], path[512], err[2048] = "", prefix[2048];
	struct case_def c;

	snprintf(text, sizeof(text), "%s%s", HEAD, extra);
	ck_assert_int_eq(load_case_in(test_temp_dir(), "c", text, path, sizeof(path), &c, err, sizeof(err)), -1);
	snprintf(prefix, sizeof(prefix), "%s:%d: %s", path, line, want);
	ck_assert_msg(!strncmp(err, prefix, strlen(prefix)), "got '%s', want '%s...'", err, prefix);
}

static void assert_case_file_loads(const char *extra)
{
	char text[2048], path[512], err[2048] = "";
	struct case_def c;

	snprintf(text, sizeof(text), "%s%s", HEAD, extra);
	ck_assert_msg(load_case_in(test_temp_dir(), "c", text, path, sizeof(path), &c, err, sizeof(err)) == 0,
		      "%s", err);
}

/* QEMU opens a device's files as root before -runas: only the models the
 * cases need, with no property that could name a host file. */
START_TEST(device_models_are_a_fixed_list)
{
	static const struct {
		const char *device, *want;
	} bad[] = {
		{ "loader,file=/etc/passwd", "'device' loader,file=/etc/passwd: 'loader' is not a device model" },
		{ "edu,romfile=/etc/shadow", "'device' edu,romfile=/etc/shadow: 'romfile=/etc/shadow' may name a host" },
		{ "edu,romfile=shadow", "'device' edu,romfile=shadow: 'romfile=shadow' may name a host" },
		{ "edu,driver=loader", "'device' edu,driver=loader: 'driver=loader' may name" },
		{ "edu,id=a,,file=/etc/passwd", "'device' edu,id=a,,file=/etc/passwd: ',,' is not allowed" },
		{ "edu,x=../../etc/passwd", "'device' edu,x=../../etc/passwd: 'x=../../etc/passwd' may name" },
		{ "edu,on", "'device' edu,on: 'on' is not KEY=VALUE" },
		{ "driver=edu", "'device' driver=edu: 'driver=edu' is not a device model" },
		{ "{\"driver\":\"loader\",\"file\":\"/etc/passwd\"}", "'device' {" },
		{ "edu-x", "'device' edu-x: 'edu-x' is not a device model" },
		{ "", "'device' : '' is not a device model" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char extra[512];
		snprintf(extra, sizeof(extra), "[vm]\nmachine = q35\ndevice = %s\n", bad[i].device);
		assert_case_file_refused(extra, 8, bad[i].want);
	}
	assert_case_file_loads("[vm]\nmachine = q35\ndevice = edu\ndevice = virtio-iommu-pci\n"
			       "device = intel-iommu,caching-mode=on,intremap=on\ndevice = edu,id=edu0,addr=05.0\n");
}
END_TEST

/* A case file names host files (series, config, base_config, repro) only
 * inside the checkout. */
START_TEST(case_paths_stay_in_the_checkout)
{
	unsetenv("MMREPRO_ALLOW_HOST_PATHS");
	assert_case_file_refused("[variant v]\nkernel = src:deb-6.12\nexpect = pass\nseries = /etc\n", 9,
				 "'series' /etc is outside the checkout");
	assert_case_file_refused("[variant v]\nkernel = src:deb-6.12\nexpect = pass\nseries = patches/../..\n", 9,
				 "'series' patches/../.. is outside the checkout");
	assert_case_file_refused("[build]\nconfig = /etc/shadow\n", 7, "'config' /etc/shadow is outside the checkout");
	assert_case_file_refused("[build]\nconfig = config/base.config ../../../../../../../etc/shadow\n", 7,
				 "'config' ../../../../../../../etc/shadow is outside the checkout");
	assert_case_file_refused("[build]\nconfig = base:/etc/shadow\n", 7,
				 "'config' base:/etc/shadow: a whole config is named with 'base_config'");
	assert_case_file_refused("[variant v]\nkernel = k\nexpect = pass\nconfig = /etc/shadow\n", 9,
				 "'config' /etc/shadow is outside the checkout");
	assert_case_file_refused("[build]\nbase_config = /etc/shadow\n", 7,
				 "'base_config' /etc/shadow is outside the checkout");
	assert_case_file_refused("[build]\nbase_config = ../../../../../../../etc/shadow\n", 7,
				 "'base_config' ../../../../../../../etc/shadow is outside the checkout");
}
END_TEST

#define HEAD_NO_WORKLOAD "[case]\nname = x\ndescription = d\n[guest]\n"

START_TEST(case_repro_stays_in_the_checkout)
{
	char path[512], err[2048] = "", text[1024];
	const char *dir = test_temp_dir(), *program = "int main(void) { return 0; }\n";
	struct case_def c;

	unsetenv("MMREPRO_ALLOW_HOST_PATHS");
	ck_assert_int_eq(load_case_in(dir, "r", HEAD_NO_WORKLOAD "repro = /etc/passwd\n", path, sizeof(path), &c, err,
				      sizeof(err)), -1);
	snprintf(text, sizeof(text), "%s:5: 'repro' /etc/passwd is outside the checkout", path);
	ck_assert_msg(!strncmp(err, text, strlen(text)), "%s", err);
	/* Beside a case file outside the checkout is outside it too. */
	snprintf(text, sizeof(text), "%s/beside.c", dir);
	ck_assert_int_eq(write_file_atomic(text, program, strlen(program)), 0);
	ck_assert_int_eq(load_case_in(dir, "r", HEAD_NO_WORKLOAD "repro = beside.c\n", path, sizeof(path), &c, err,
				      sizeof(err)), -1);
	ck_assert_msg(strstr(err, ":5: 'repro' beside.c is outside the checkout"), "%s", err);
	ck_assert_msg(load_case_in(dir, "r", HEAD_NO_WORKLOAD "repro = tests/repro/exits-at-once.c\n", path,
				   sizeof(path), &c, err, sizeof(err)) == 0, "%s", err);
}
END_TEST

/* What the checkout holds loads from a case file anywhere. */
START_TEST(case_paths_in_the_checkout_load)
{
	char extra[1024];

	unsetenv("MMREPRO_ALLOW_HOST_PATHS");
	snprintf(extra, sizeof(extra), "[build]\nconfig = config/guest-6.12.config %s/config/base.config\n"
		 "base_config = tests/syzbot/good/config\n[variant v]\nkernel = src:deb-6.12\nexpect = pass\n"
		 "series = %s/patches/test-one-line\nconfig = config/guest.config\n", repo_root(), repo_root());
	assert_case_file_loads(extra);
	/* A fragment that does not exist is for the build to name. */
	assert_case_file_loads("[build]\nconfig = config/no-such.config\n");
}
END_TEST

/* A path outside that does not exist yet is refused as written: it could
 * appear later as a link to a root-only file. */
START_TEST(case_paths_missing_outside_are_refused)
{
	unsetenv("MMREPRO_ALLOW_HOST_PATHS");
	assert_case_file_refused("[build]\nconfig = /tmp/no-such-dir-mmrepro/x.config\n", 7,
				 "'config' /tmp/no-such-dir-mmrepro/x.config is outside the checkout");
	assert_case_file_refused("[build]\nconfig = config/../../no-such/x.config\n", 7,
				 "'config' config/../../no-such/x.config is outside the checkout");
	assert_case_file_refused("[variant v]\nkernel = src:deb-6.12\nexpect = pass\nseries = /tmp/no-such-series\n",
				 9, "'series' /tmp/no-such-series is outside the checkout");
}
END_TEST

/* MMREPRO_ALLOW_HOST_PATHS=1 is the explicit option for host paths. */
START_TEST(allow_host_paths_env)
{
	char extra[1024];

	snprintf(extra, sizeof(extra), "[variant v]\nkernel = src:deb-6.12\nexpect = pass\nseries = %s\n",
		 test_temp_file("From 0 Mon Sep 17 00:00:00 2001\n", ".mbox"));
	setenv("MMREPRO_ALLOW_HOST_PATHS", "yes", 1);
	assert_case_file_refused(extra, 9, "'series' /tmp/");
	setenv("MMREPRO_ALLOW_HOST_PATHS", "1", 1);
	assert_case_file_loads(extra);
	unsetenv("MMREPRO_ALLOW_HOST_PATHS");
	assert_case_file_refused(extra, 9, "'series' /tmp/");
}
END_TEST

/* --repro and --syzbot write their case under the cache's adhoc/, naming
 * the files given on the command line: those load. A case file beside it
 * (adhoc-x/) or below it does not get that exemption. */
START_TEST(adhoc_cases_may_name_host_paths)
{
	char cache[256], dir[300], path[512], err[2048] = "", repro[300];
	struct case_def c;
	char text[1024];

	unsetenv("MMREPRO_ALLOW_HOST_PATHS");
	snprintf(cache, sizeof(cache), "%s", test_temp_dir());
	setenv("MMREPRO_CACHE", cache, 1);
	snprintf(repro, sizeof(repro), "%s", test_temp_file("int main(void){return 0;}\n", ".c"));
	snprintf(text, sizeof(text), HEAD_NO_WORKLOAD "repro = %s\n", repro);
	snprintf(dir, sizeof(dir), "%s/adhoc", cache);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	ck_assert_msg(load_case_in(dir, "0123", text, path, sizeof(path), &c, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(c.repro, repro);
	snprintf(dir, sizeof(dir), "%s/adhoc-x", cache);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	ck_assert_int_eq(load_case_in(dir, "0123", text, path, sizeof(path), &c, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "is outside the checkout"), "%s", err);
	snprintf(dir, sizeof(dir), "%s/adhoc/sub", cache);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	ck_assert_int_eq(load_case_in(dir, "0123", text, path, sizeof(path), &c, err, sizeof(err)), -1);
	unsetenv("MMREPRO_CACHE");
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
	tcase_add_test(t, inline_comments_are_errors);
	tcase_add_test(t, case_files_that_are_not_files);
	tcase_add_test(t, series_must_exist);
	tcase_add_test(t, shipped_cases_parse);
	tcase_add_test(t, fixes_are_structured);
	tcase_add_test(t, fixes_must_agree_with_the_workload_tag);
	tcase_add_test(t, expect_k_of_n);
	tcase_add_test(t, baseline_variant_names_no_fix);
	tcase_add_test(t, variant_overrides_apply);
	tcase_add_test(t, flavor_per_case_and_variant);
	tcase_add_test(t, arch_per_case_and_variant);
	tcase_add_test(t, panic_on_warn_per_case_and_variant);
	tcase_add_test(t, device_models_are_a_fixed_list);
	tcase_add_test(t, case_paths_stay_in_the_checkout);
	tcase_add_test(t, case_repro_stays_in_the_checkout);
	tcase_add_test(t, case_paths_in_the_checkout_load);
	tcase_add_test(t, case_paths_missing_outside_are_refused);
	tcase_add_test(t, allow_host_paths_env);
	tcase_add_test(t, adhoc_cases_may_name_host_paths);
	suite_add_tcase(s, t);
	return s;
}
