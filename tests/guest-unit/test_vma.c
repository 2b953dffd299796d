/* Unit tests of the guest library's smaps, THP, pattern and scenario-table
 * helpers (tst_vma.c, TST_SCENARIO), on the host's own memory. */
#include "guest_unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

/* ---- data patterns ---- */

START_TEST(test_pattern_roundtrip)
{
	size_t len = 3 * PAGE_SIZE + 5;  /* not a whole number of words */
	unsigned char *buf = malloc(len + 3), *p = buf + 3;  /* nor aligned */
	unsigned char *copy = malloc(len);

	ck_assert_ptr_nonnull(buf);
	ck_assert_ptr_nonnull(copy);
	tst_fill_pattern(p, len, 42);
	ck_assert_int_eq(tst_check_pattern(p, len, 42), -1);
	/* Byte i depends on the offset only: a copy elsewhere checks equal. */
	memcpy(copy, p, len);
	ck_assert_int_eq(tst_check_pattern(copy, len, 42), -1);
	ck_assert_int_ge(tst_check_pattern(p, len, 43), 0);
	ck_assert_int_lt(tst_check_pattern(p, len, 43), 8);
	p[len - 1] ^= 0xff;
	ck_assert_int_eq(tst_check_pattern(p, len, 42), (long)len - 1);
	p[PAGE_SIZE + 3] ^= 1;
	ck_assert_int_eq(tst_check_pattern(p, len, 42), (long)PAGE_SIZE + 3);
	ck_assert_int_eq(tst_check_pattern(p, 0, 42), -1);
	/* A page shifted by one word is caught at its first byte. */
	ck_assert_int_lt(tst_check_pattern(copy + 8, PAGE_SIZE, 42), 8);
	free(copy);
	free(buf);
}
END_TEST

START_TEST(test_check_zero)
{
	size_t len = 2 * PAGE_SIZE + 7;
	unsigned char *p = calloc(1, len);

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(tst_check_zero(p, len), -1);
	ck_assert_int_eq(tst_check_zero(p, 0), -1);
	p[len - 1] = 1;
	ck_assert_int_eq(tst_check_zero(p, len), (long)len - 1);
	p[9] = 0x80;
	ck_assert_int_eq(tst_check_zero(p, len), 9);
	ck_assert_int_eq(tst_check_zero(p + 10, len - 11), -1);
	tst_fill_pattern(p, len, 7);
	ck_assert_int_lt(tst_check_zero(p, len), 8);
	free(p);
}
END_TEST

/* ---- smaps ---- */

/* 16 pages between two PROT_NONE pages: a VMA of its own, whatever the
 * process maps next to it. NOHUGEPAGE keeps mTHP out of the counts. */
START_TEST(test_smaps_field_of_own_mapping)
{
	char *raw = mmap(NULL, 18 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *p = raw + PAGE_SIZE;

	ck_assert_ptr_ne(raw, MAP_FAILED);
	ck_assert_int_eq(mprotect(raw, PAGE_SIZE, PROT_NONE), 0);
	ck_assert_int_eq(mprotect(p + 16 * PAGE_SIZE, PAGE_SIZE, PROT_NONE), 0);
	ck_assert_int_eq(madvise(p, 16 * PAGE_SIZE, MADV_NOHUGEPAGE), 0);
	for (int i = 0; i < 5; i++)
		p[i * PAGE_SIZE] = 1;
	ck_assert_int_eq(tst_smaps_field(p, "Size"), 64);
	ck_assert_int_eq(tst_smaps_field(p + 15 * PAGE_SIZE + 100, "Rss"), 20);
	ck_assert_int_eq(tst_smaps_field(p, "Private_Dirty"), 20);
	ck_assert_int_eq(tst_smaps_field(p, "Anonymous"), 20);
	ck_assert_int_eq(tst_smaps_field(p, "AnonHugePages"), 0);
	ck_assert_int_eq(tst_smaps_field(raw, "Rss"), 0);  /* the guard's own VMA */
	ck_assert_int_eq(tst_smaps_field(p, "NoSuchField"), -1);
	ck_assert_int_eq(tst_smaps_field(p, "VmFlags"), -1);  /* not a number */
	ck_assert_int_eq(tst_smaps_field(p, "Rs"), -1);       /* a prefix is not the field */
	munmap(raw, 18 * PAGE_SIZE);
}
END_TEST

static void run_smaps_unmapped(void)
{
	tst_smaps_field((void *)8, "Rss");
	tst_res(TPASS, "not reached");
}

START_TEST(test_smaps_field_without_vma_is_brok)
{
	struct tst_test t = { .name = "smaps", .run = run_smaps_unmapped };
	struct outcome o = run_test(&t, NULL);

	ck_assert_int_eq(o.status, TBROK);
	ck_assert_msg(strstr(o.reason, "test_vma.c:") && strstr(o.reason, "no VMA in /proc/self/smaps holds 0x8"),
		      "%s", o.reason);
	outcome_free(&o);
}
END_TEST

/* ---- TST_SCENARIO tables: this file is built with -Wextra -Werror ---- */

static void drop_tail(void) { tst_res(TPASS, "tail dropped"); }
static void keep_head(void) { tst_res(TPASS, "head kept"); }
static void slow_race(void) { tst_res(TPASS, "race ran"); }

static const struct tst_scenario macro_scenarios[] = {
	TST_SCENARIO(drop_tail, "the tail reads zero"),
	TST_SCENARIO(keep_head, "the head keeps its pattern"),
	TST_SCENARIO_ON_REQUEST(slow_race, "on request only"),
	TST_SCENARIO_END,
};

static const char *scenario_expect(const struct outcome *o, int i)
{
	json_object *a, *e;

	if (!json_object_object_get_ex(o->result, "scenarios", &a) ||
	    !json_object_object_get_ex(json_object_array_get_idx(a, i), "expect", &e))
		return NULL;
	return json_object_get_string(e);
}

START_TEST(test_scenario_macros)
{
	struct tst_test t = { .name = "macros", .scenarios = macro_scenarios };
	const char *const pick[] = { "--scenarios", "slow_race", NULL };
	struct outcome o = run_test(&t, NULL);

	ck_assert_int_eq(o.status, 0);
	ck_assert_str_eq(value_of(&o, "scenario.drop_tail"), "PASS");
	ck_assert_str_eq(value_of(&o, "scenario.keep_head"), "PASS");
	ck_assert_ptr_null(value_of(&o, "scenario.slow_race"));
	ck_assert_str_eq(scenario_expect(&o, 1), "the head keeps its pattern");
	ck_assert(!macro_scenarios[3].name && !macro_scenarios[3].fn && !macro_scenarios[3].on_request);
	outcome_free(&o);
	o = run_test(&t, pick);
	ck_assert_int_eq(o.status, 0);
	ck_assert_str_eq(value_of(&o, "scenario.slow_race"), "PASS");
	ck_assert_ptr_null(value_of(&o, "scenario.drop_tail"));
	outcome_free(&o);
}
END_TEST

/* ---- PMD-mapped THPs ---- */

#define NR_THPS 2

static void run_alloc_thps(void)
{
	size_t len = 0;
	char *p = tst_alloc_pmd_thps(NR_THPS, &len);

	tst_value_long("len", (long)len);
	tst_value_long("aligned", (uintptr_t)p % PMD_SIZE == 0);
	tst_value_long("zero_at", tst_check_zero(p, len));
	tst_value_long("anon_huge_kb", tst_smaps_field(p, "AnonHugePages"));
	tst_fill_pattern(p, len, 5);
	tst_value_long("pattern_at", tst_check_pattern(p, len, 5));
	SAFE_MUNMAP(p, len);
	tst_res(TPASS, "THPs mapped");
}

static void expect_thps(const struct outcome *o)
{
	char want[32];

	ck_assert_msg(o->status == 0, "%s", o->reason);
	snprintf(want, sizeof(want), "%lu", NR_THPS * PMD_SIZE);
	ck_assert_str_eq(value_of(o, "len"), want);
	ck_assert_str_eq(value_of(o, "aligned"), "1");
	ck_assert_str_eq(value_of(o, "zero_at"), "-1");
	ck_assert_str_eq(value_of(o, "pattern_at"), "-1");
	ck_assert_int_ge(atol(value_of(o, "anon_huge_kb")), (long)(NR_THPS * PMD_SIZE >> 10));
}

/* The host's THP mode decides the outcome; the test never changes it. */
START_TEST(test_alloc_pmd_thps_follows_host_mode)
{
	struct tst_test t = { .name = "thp", .run = run_alloc_thps };
	char mode[128];
	int r = tst_read_file("/sys/kernel/mm/transparent_hugepage/enabled", mode, sizeof(mode));
	struct outcome o = run_test(&t, NULL);

	if (r < 0) {
		ck_assert_int_eq(o.status, TCONF);
		ck_assert_msg(strstr(o.reason, "THP is not available"), "%s", o.reason);
	} else if (strstr(mode, "[never]")) {
		ck_assert_int_eq(o.status, TBROK);
		ck_assert_msg(strstr(o.reason, "test_vma.c:") && strstr(o.reason, "0 of 2 THPs PMD-mapped") &&
			      strstr(o.reason, "transparent_hugepage/enabled\", \"madvise\""), "%s", o.reason);
	} else {
		expect_thps(&o);
	}
	outcome_free(&o);
}
END_TEST

/* PR_SET_THP_DISABLE: the shortfall path on any host, its THP mode untouched. */
static void run_alloc_thps_disabled(void)
{
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) < 0)
		tst_brk(TBROK, "prctl(PR_SET_THP_DISABLE): %m");
	tst_alloc_pmd_thps(NR_THPS, NULL);
	tst_res(TPASS, "not reached");
}

START_TEST(test_alloc_pmd_thps_shortfall_is_brok)
{
	struct tst_test t = { .name = "thp", .run = run_alloc_thps_disabled };
	struct outcome o = run_test(&t, NULL);

	if (access("/sys/kernel/mm/transparent_hugepage", F_OK) < 0) {
		ck_assert_int_eq(o.status, TCONF);
	} else {
		ck_assert_int_eq(o.status, TBROK);
		ck_assert_msg(strstr(o.reason, "test_vma.c:") && strstr(o.reason, "0 of 2 THPs PMD-mapped") &&
			      strstr(o.reason, "THP enabled: ") && strstr(o.reason, ".knobs"), "%s", o.reason);
	}
	outcome_free(&o);
}
END_TEST

static void run_alloc_zero_thps(void)
{
	tst_alloc_pmd_thps(0, NULL);
	tst_res(TPASS, "not reached");
}

START_TEST(test_alloc_pmd_thps_rejects_zero)
{
	struct tst_test t = { .name = "thp", .run = run_alloc_zero_thps };
	struct outcome o = run_test(&t, NULL);

	ck_assert_int_eq(o.status, TBROK);
	ck_assert_msg(strstr(o.reason, "tst_alloc_pmd_thps(0)"), "%s", o.reason);
	outcome_free(&o);
}
END_TEST

Suite *guest_vma_suite(void)
{
	Suite *s = suite_create("guest-lib-vma");
	TCase *tc = tcase_create("vma");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_pattern_roundtrip);
	tcase_add_test(tc, test_check_zero);
	tcase_add_test(tc, test_smaps_field_of_own_mapping);
	tcase_add_test(tc, test_smaps_field_without_vma_is_brok);
	tcase_add_test(tc, test_scenario_macros);
	tcase_add_test(tc, test_alloc_pmd_thps_follows_host_mode);
	tcase_add_test(tc, test_alloc_pmd_thps_shortfall_is_brok);
	tcase_add_test(tc, test_alloc_pmd_thps_rejects_zero);
	suite_add_tcase(s, tc);
	return s;
}
