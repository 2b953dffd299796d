/* Matrix knobs: parsing, what they set, workload conflicts; the minimisation on a fake oracle. */
#include "case.h"
#include "knob.h"
#include "matrix.h"
#include "suites.h"
#include "util.h"
#include "workload.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int parse(struct knob_list *l, bool first_only, char *err, size_t len, ...)
{
	const char *args[KNOB_MAX_KNOBS + 2];
	int n = 0;
	va_list ap;

	va_start(ap, len);
	for (const char *a; (a = va_arg(ap, const char *)) && n < KNOB_MAX_KNOBS + 2;)
		args[n++] = a;
	va_end(ap);
	err[0] = '\0';
	return knob_list_parse(args, n, first_only, l, err, len);
}

static void assert_refused(const char *arg, const char *want)
{
	struct knob_list l;
	char err[1024];

	ck_assert_msg(parse(&l, false, err, sizeof(err), arg, NULL) == -1, "'%s' was taken", arg);
	ck_assert_msg(strstr(err, want), "'%s' gave '%s', want '%s'", arg, err, want);
}

/* A two-node case as numa-thp-migrate has it. */
static void numa_case(struct case_def *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "t.case");
	snprintf(c->name, sizeof(c->name), "t");
	snprintf(c->workload, sizeof(c->workload), "numa_thp_migrate");
	c->mem_mb = 2048;
	c->cpus = 2;
	c->nnuma = 2;
	c->numa_mb[0] = c->numa_mb[1] = 1024;
	snprintf(c->cmdline, sizeof(c->cmdline), "cma=64M numa-balancing=enable");
	snprintf(c->sysctls[c->nsysctls++], sizeof(c->sysctls[0]), "kernel.numa_balancing=1");
	snprintf(c->sysctls[c->nsysctls++], sizeof(c->sysctls[0]), "vm.swappiness=60");
}

START_TEST(bad_knobs_are_refused_by_name)
{
	assert_refused("frob=1", "unknown knob 'frob'");
	assert_refused("thp.enabled", "expected NAME=V1,V2");
	assert_refused("=always", "expected NAME=V1,V2");
	assert_refused("thp.enabled=", "no values");
	assert_refused("thp.enabled=always,,never", "an empty value (write default");
	assert_refused("thp.enabled=always,", "an empty value");
	assert_refused("thp.enabled=always,always", "the value 'always' is given twice");
	assert_refused("thp.enabled=inherit", "'inherit' is not one of always, madvise, never");
	assert_refused("mthp.48kB.enabled=always", "not an mTHP knob");
	assert_refused("mthp.4096kB.enabled=always", "not an mTHP knob");
	assert_refused("vm.../x=1", "unknown knob");
	assert_refused("vm.swappiness=1 0", "one word");
	assert_refused("cpus=0", "from 1 to 64");
	assert_refused("cpus=2x", "from 1 to 64");
	assert_refused("memory=32M", "from 64M");
	assert_refused("numa=1G+", "joined by '+'");
	assert_refused("numa=1G,,2G", "an empty value");
	assert_refused("zram=lots", "a size such as 512M");
	assert_refused("cmdline+=a=1,b=2", "sets the same parameter");
	assert_refused("cmdline+=default", "besides default");
	assert_refused("cmdline+=a\"b", "PARAM=VALUE");
	assert_refused("cmdline+=--", "holds '--'");
	assert_refused("kernel.numa_balancing=4", "not one of 0, 1, 2, 3");
	assert_refused("thp.shrink_underused=yes", "not one of 0, 1");
	/* A terminal escape in a value reaches the message as '?'. */
	assert_refused("thp.enabled=\x1b]0;pwned\x07", "'?]0;pwned?' is not one of");
}
END_TEST

START_TEST(duplicates_and_too_many_rows)
{
	struct knob_list l;
	char err[1024];

	ck_assert_int_eq(parse(&l, false, err, sizeof(err), "thp.defrag=always", "thp.defrag=never", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "--knob thp.defrag is given twice"));
	ck_assert_int_eq(parse(&l, false, err, sizeof(err), "mthp.64K.enabled=never", "mthp.64kB.enabled=always",
			       NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "the same file as mthp.64K.enabled"));
	ck_assert_int_eq(parse(&l, false, err, sizeof(err), "cmdline+=a=1", "cmdline+=a=2", NULL), -1);
	ck_assert_int_eq(parse(&l, false, err, sizeof(err), "cpus=1,2,3,4,5,6,7,8", "vm.swappiness=0,1,2,3,4,5,6,7,8",
			       NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "more than 64 combinations"));
	/* --minimize uses the first values only: no limit on the rows. */
	ck_assert_int_eq(parse(&l, true, err, sizeof(err), "cpus=1,2,3,4,5,6,7,8", "vm.swappiness=0,1,2,3,4,5,6,7,8",
			       NULL), 0);
	knob_list_free(&l);
	ck_assert_int_eq(parse(&l, false, err, sizeof(err), "cpus=1,2,3,4,5,6,7,8", "vm.swappiness=0,1,2,3,4,5,6,7",
			       NULL), 0);
	ck_assert_int_eq(knob_combinations(&l), 64);
	knob_list_free(&l);
	ck_assert_int_eq(parse(&l, false, err, sizeof(err), NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "give 1 to 16 --knob"));
}
END_TEST

START_TEST(rows_count_the_last_knob_fastest)
{
	struct knob_list l;
	struct knob_setting s[2];
	char err[256], text[256];

	ck_assert_int_eq(parse(&l, false, err, sizeof(err), "thp.defrag=always,never", "cpus=2,4,default", NULL), 0);
	ck_assert_int_eq(knob_combinations(&l), 6);
	knob_row(&l, 0, s);
	ck_assert_str_eq(s[0].value, "always");
	ck_assert_str_eq(s[1].value, "2");
	knob_row(&l, 4, s);
	ck_assert_str_eq(s[0].value, "never");
	ck_assert_str_eq(s[1].value, "4");
	knob_row(&l, 5, s);
	ck_assert(knob_is_default(&s[1]));
	knob_settings_text(s, 2, text, sizeof(text));
	ck_assert_str_eq(text, "thp.defrag=never");
	s[0].value = KNOB_DEFAULT;
	knob_settings_text(s, 2, text, sizeof(text));
	ck_assert_str_eq(text, "(the case's own)");
	knob_list_free(&l);
}
END_TEST

static void apply(struct case_def *c, const char *a, const char *b, int want, char *err, size_t len)
{
	struct knob_list l;
	struct knob_setting s[2];

	ck_assert_int_eq(parse(&l, false, err, len, a, b, NULL), 0);
	knob_row(&l, 0, s);
	ck_assert_int_eq(knob_apply(c, s, l.n, err, len), want);
	knob_list_free(&l);
}

START_TEST(shape_knobs_set_the_case_fields)
{
	struct case_def c;
	char err[1024];

	numa_case(&c);
	apply(&c, "numa=512M+512M", "cpus=4", 0, err, sizeof(err));
	ck_assert_int_eq(c.nnuma, 2);
	ck_assert_uint_eq(c.mem_mb, 1024);
	ck_assert_int_eq(c.cpus, 4);
	numa_case(&c);
	apply(&c, "memory=4G", "zram=256M", 0, err, sizeof(err));
	ck_assert_uint_eq(c.numa_mb[0], 2048);
	ck_assert_uint_eq(c.numa_mb[1], 2048);
	ck_assert_str_eq(c.zram, "256M");
	numa_case(&c);
	apply(&c, "numa=none", "zram=none", 0, err, sizeof(err));
	ck_assert_int_eq(c.nnuma, 0);
	ck_assert_uint_eq(c.mem_mb, 2048);
	ck_assert_str_eq(c.zram, "");
	numa_case(&c);
	apply(&c, "cpus=3", "thp.enabled=never", -1, err, sizeof(err));
	ck_assert_msg(strstr(err, "with the knobs cpus=3 thp.enabled=never: 3 cpus do not divide evenly"), "%s", err);
	numa_case(&c);
	apply(&c, "memory=2047M", "thp.enabled=never", -1, err, sizeof(err));
	ck_assert_msg(strstr(err, "does not split evenly over the case's 2 NUMA nodes"), "%s", err);
	/* numa= sets the memory to its nodes' sum, which must be a VM's size. */
	numa_case(&c);
	apply(&c, "numa=1T+1T", "cpus=2", -1, err, sizeof(err));
	ck_assert_msg(strstr(err, "the memory is 2097152M, not a size from 64M to 1T"), "%s", err);
	numa_case(&c);
	apply(&c, "numa=1M+1M", "cpus=2", -1, err, sizeof(err));
	ck_assert_msg(strstr(err, "the memory is 2M, not a size from 64M to 1T"), "%s", err);
}
END_TEST

START_TEST(cmdline_words_replace_the_cases_parameter)
{
	struct case_def c;
	char err[1024];

	numa_case(&c);
	apply(&c, "cmdline+=numa_balancing=disable", "cmdline+=nokaslr", 0, err, sizeof(err));
	ck_assert_str_eq(c.cmdline, "cma=64M numa_balancing=disable nokaslr");
	numa_case(&c);
	memset(c.cmdline, 'x', sizeof(c.cmdline) - 1);
	c.cmdline[sizeof(c.cmdline) - 1] = '\0';
	apply(&c, "cmdline+=nokaslr", "cpus=2", -1, err, sizeof(err));
	ck_assert_msg(strstr(err, "over 511 characters"), "%s", err);
}
END_TEST

START_TEST(sysctl_and_sysfs_knobs_become_knob_lines)
{
	struct case_def c;
	char err[1024];

	numa_case(&c);
	apply(&c, "vm.swappiness=10", "mthp.64K.enabled=always", 0, err, sizeof(err));
	/* The case's own vm.swappiness line gives way; the other stays. */
	ck_assert_int_eq(c.nsysctls, 1);
	ck_assert_str_eq(c.sysctls[0], "kernel.numa_balancing=1");
	ck_assert_int_eq(c.nknobs, 2);
	ck_assert_str_eq(c.knobs[0].path, "/proc/sys/vm/swappiness");
	ck_assert_str_eq(c.knobs[0].value, "10");
	ck_assert_str_eq(c.knobs[1].name, "mthp.64K.enabled");
	ck_assert_str_eq(c.knobs[1].path, THP_SYSFS "/hugepages-64kB/enabled");
	apply(&c, "thp.shrink_underused=0", "kernel.numa_balancing=0", 0, err, sizeof(err));
	ck_assert_str_eq(c.knobs[2].path, THP_SYSFS "/shrink_underused");
	ck_assert_str_eq(c.knobs[3].path, "/proc/sys/kernel/numa_balancing");
	ck_assert_int_eq(c.nsysctls, 0);
}
END_TEST

START_TEST(case_knob_lines)
{
	struct case_def c;
	char err[512];

	numa_case(&c);
	ck_assert_int_eq(knob_case_line(&c, "mthp.2048kB.enabled=never", err, sizeof(err)), 0);
	ck_assert_str_eq(c.knobs[0].path, THP_SYSFS "/hugepages-2048kB/enabled");
	ck_assert_int_eq(knob_case_line(&c, "mthp.2048K.enabled=always", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "mthp.2048K.enabled is given twice");
	ck_assert_int_eq(knob_case_line(&c, "thp.enabled=sometimes", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "thp.enabled: 'sometimes' is not one of always, madvise, never (or default)");
	ck_assert_int_eq(knob_case_line(&c, "thp.enabled=always,never", err, sizeof(err)), -1);
	ck_assert_int_eq(knob_case_line(&c, "cpus=4", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "a case sets this with its own key"));
	ck_assert_int_eq(knob_case_line(&c, "thp.enabled", err, sizeof(err)), -1);
	/* A matrix knob on the same file replaces the case's line. */
	apply(&c, "mthp.2048kB.enabled=inherit", "cpus=2", 0, err, sizeof(err));
	ck_assert_int_eq(c.nknobs, 1);
	ck_assert_str_eq(c.knobs[0].value, "inherit");
}
END_TEST

START_TEST(case_file_knob_key)
{
	struct case_def c;
	char err[512] = "";
	const char *path = test_temp_file("[case]\nname = x\ndescription = d\n[guest]\nworkload = smoke\n"
					  "knob = thp.enabled=never\nknob = thp.defrag=madvise\n", ".case");

	ck_assert_msg(case_load(path, &c, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(c.nknobs, 2);
	ck_assert_str_eq(c.knobs[1].path, THP_SYSFS "/defrag");
	path = test_temp_file("[case]\nname = x\ndescription = d\n[guest]\nworkload = smoke\nknob = vm.swappiness=1\n",
			      ".case");
	ck_assert_int_eq(case_load(path, &c, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, ":6: 'knob' vm.swappiness: a case sets this with its own key"), "%s", err);
}
END_TEST

START_TEST(declared_knobs_are_parsed_strictly)
{
	struct declared_knob *d;
	char err[256];
	int n;

	ck_assert_int_eq(knob_parse_declared("knob /proc/sys/kernel/numa_balancing 1\nknob /sys/x\n", &d, &n, err,
					     sizeof(err)), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(d[0].value, "1");
	ck_assert_str_eq(d[1].path, "/sys/x");
	ck_assert_str_eq(d[1].value, "");
	free(d);
	ck_assert_int_eq(knob_parse_declared("", &d, &n, err, sizeof(err)), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(knob_parse_declared("knob /a 1\n\x1b[31mrm -rf /\n", &d, &n, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "line 2 is not 'knob PATH [VALUE]': '?[31mrm -rf /'");
	ck_assert_ptr_null(d);
	ck_assert_int_eq(knob_parse_declared("knob relative 1\n", &d, &n, err, sizeof(err)), -1);
	ck_assert_int_eq(knob_parse_declared("knob /a 1 2\n", &d, &n, err, sizeof(err)), -1);
	ck_assert_int_eq(knob_parse_declared("knob /a  1\n", &d, &n, err, sizeof(err)), -1);
}
END_TEST

START_TEST(a_knob_the_workload_sets_is_refused)
{
	const struct declared_knob d[] = { { THP_SYSFS "/enabled", "madvise" }, { "/proc/sys/kernel/numa_balancing", "1" },
					   { THP_SYSFS "/defrag", "" } };
	struct knob_list l;
	struct case_def c;
	char err[1024];

	numa_case(&c);
	ck_assert_int_eq(parse(&l, false, err, sizeof(err), "kernel.numa_balancing=0,1", NULL), 0);
	ck_assert_int_eq(knob_check_conflicts(&l, &c, "numa_thp_migrate", d, 3, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "--knob kernel.numa_balancing: workload numa_thp_migrate sets "
				  "/proc/sys/kernel/numa_balancing=1 itself"), "%s", err);
	knob_list_free(&l);
	/* A boot parameter the workload then overrides is the same conflict. */
	ck_assert_int_eq(parse(&l, false, err, sizeof(err), "cmdline+=transparent-hugepage=never", NULL), 0);
	ck_assert_int_eq(knob_check_conflicts(&l, &c, "w", d, 3, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "--knob cmdline+=transparent-hugepage: workload w sets " THP_SYSFS "/enabled"));
	knob_list_free(&l);
	ck_assert_int_eq(parse(&l, false, err, sizeof(err), "cmdline+=sysctl.kernel.numa_balancing=0", NULL), 0);
	ck_assert_int_eq(knob_check_conflicts(&l, &c, "w", d, 3, err, sizeof(err)), -1);
	knob_list_free(&l);
	/* Only saved and restored: the knob holds. */
	ck_assert_int_eq(parse(&l, false, err, sizeof(err), "thp.defrag=never", "cpus=2", NULL), 0);
	ck_assert_int_eq(knob_check_conflicts(&l, &c, "w", d, 3, err, sizeof(err)), 0);
	/* The case's own knob line, too. */
	ck_assert_int_eq(knob_case_line(&c, "thp.enabled=never", err, sizeof(err)), 0);
	ck_assert_int_eq(knob_check_conflicts(&l, &c, "w", d, 3, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "t.case: knob = thp.enabled=never: workload w sets"));
	knob_list_free(&l);
}
END_TEST

/* The real workload binary answers --list-knobs with what its source declares. */
START_TEST(real_workload_lists_its_knobs)
{
	struct case_def c;
	struct declared_knob *d;
	char err[1024] = "";
	int n, found = 0;

	numa_case(&c);
	ck_assert_msg(workload_declared_knobs(&c, &d, &n, err, sizeof(err)) == 0, "%s", err);
	for (int i = 0; i < n; i++)
		found += !strcmp(d[i].path, "/proc/sys/kernel/numa_balancing") && !strcmp(d[i].value, "1");
	ck_assert_int_eq(found, 1);
	free(d);
	snprintf(c.workload, sizeof(c.workload), "no-such-workload");
	ck_assert_int_eq(workload_declared_knobs(&c, &d, &n, err, sizeof(err)), EXIT_UNTESTABLE);
	ck_assert_ptr_nonnull(strstr(err, "workload no-such-workload is not built"));
	/* A reproducer's runner sets no knob. */
	snprintf(c.repro, sizeof(c.repro), "/x.c");
	ck_assert_int_eq(workload_declared_knobs(&c, &d, &n, err, sizeof(err)), 0);
	ck_assert_int_eq(n, 0);
}
END_TEST

/* ---- the minimisation on a fake oracle ---- */

struct fake {
	unsigned needed;   /* bit i: setting i is needed for a hit */
	int calls, stop_at;
	char log[256];
};

static int fake_oracle(void *arg, const bool *on, int n, int removed)
{
	struct fake *f = arg;
	bool hit = true;
	size_t len = strlen(f->log);

	if (++f->calls == f->stop_at)
		return EXIT_INTERRUPTED;
	for (int i = 0; i < n; i++)
		if ((f->needed >> i & 1) && !on[i])
			hit = false;
	snprintf(f->log + len, sizeof(f->log) - len, "%s%d%c", len ? " " : "", removed, hit ? '+' : '-');
	return hit ? MATRIX_HIT : MATRIX_NO_HIT;
}

START_TEST(minimize_keeps_what_the_hit_needs)
{
	struct fake f = { .needed = 0x5 };
	bool keep[4];

	ck_assert_int_eq(matrix_minimize(4, fake_oracle, &f, keep), 0);
	ck_assert(keep[0] && !keep[1] && keep[2] && !keep[3]);
	ck_assert_int_eq(f.calls, 5);
	ck_assert_str_eq(f.log, "-1+ 0- 1+ 2- 3+");
}
END_TEST

START_TEST(minimize_edge_cases)
{
	struct fake none = { .needed = 0 }, stop = { .needed = 0x1, .stop_at = 3 };
	bool keep[3];

	/* Nothing needed: every setting goes. */
	ck_assert_int_eq(matrix_minimize(3, fake_oracle, &none, keep), 0);
	ck_assert(!keep[0] && !keep[1] && !keep[2]);
	/* No setting at all: the case's own configuration must hit. */
	ck_assert_int_eq(matrix_minimize(0, fake_oracle, &none, keep), 0);
	ck_assert_int_eq(none.calls, 5);
	/* An interruption stops it with the setting being tried kept. */
	ck_assert_int_eq(matrix_minimize(3, fake_oracle, &stop, keep), EXIT_INTERRUPTED);
	ck_assert(keep[0] && keep[1] && keep[2]);
}
END_TEST

static int never_hits(void *arg, const bool *on, int n, int removed)
{
	(*(int *)arg)++;
	return MATRIX_NO_HIT;
}

START_TEST(minimize_needs_a_hitting_start)
{
	int calls = 0;
	bool keep[2];

	ck_assert_int_eq(matrix_minimize(2, never_hits, &calls, keep), EXIT_UNTESTABLE);
	ck_assert_int_eq(calls, 1);
}
END_TEST

Suite *knob_suite(void)
{
	Suite *s = suite_create("knob");
	TCase *tc = tcase_create("knob");

	tcase_add_test(tc, bad_knobs_are_refused_by_name);
	tcase_add_test(tc, duplicates_and_too_many_rows);
	tcase_add_test(tc, rows_count_the_last_knob_fastest);
	tcase_add_test(tc, shape_knobs_set_the_case_fields);
	tcase_add_test(tc, cmdline_words_replace_the_cases_parameter);
	tcase_add_test(tc, sysctl_and_sysfs_knobs_become_knob_lines);
	tcase_add_test(tc, case_knob_lines);
	tcase_add_test(tc, case_file_knob_key);
	tcase_add_test(tc, declared_knobs_are_parsed_strictly);
	tcase_add_test(tc, a_knob_the_workload_sets_is_refused);
	tcase_add_test(tc, real_workload_lists_its_knobs);
	tcase_add_test(tc, minimize_keeps_what_the_hit_needs);
	tcase_add_test(tc, minimize_edge_cases);
	tcase_add_test(tc, minimize_needs_a_hitting_start);
	suite_add_tcase(s, tc);
	return s;
}
