/* Unit tests of host/counters.c: Mann-Whitney U and Welch's t against
 * reference values, the flag rule, and counters read from hostile run dirs.
 *
 * The reference p-values come from scipy 1.10.1 (Debian's python3-scipy):
 * stats.mannwhitneyu(a, b, method='exact' | 'asymptotic') (its asymptotic
 * p uses the tie-corrected variance and a continuity correction, as ours)
 * and stats.ttest_ind(a, b, equal_var=False); the exact p-values with ties
 * (which scipy's exact method does not handle) from a brute-force count in
 * Python of every split of the pooled midranks (itertools.combinations),
 * given as hits/splits. */
#include "counters.h"
#include "suites.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void assert_close(double got, double want)
{
	ck_assert_msg(fabs(got - want) <= 1e-9 + 1e-6 * fabs(want), "p = %.12g, want %.12g", got, want);
}

START_TEST(mwu_exact_matches_scipy)
{
	const double a[] = { 1, 2, 3, 4 }, b[] = { 5, 6, 7, 8 };
	const double c[] = { 1.1, 3.3, 2.2, 5.5, 4.4 }, d[] = { 6.6, 2.5, 7.7, 8.8, 9.9, 10.0 };
	const double e[] = { 1, 2, 3 }, f[] = { 4, 5, 6 };
	bool exact = false;

	assert_close(counters_mwu_p(a, 4, b, 4, &exact), 0.02857142857142857);
	ck_assert(exact);
	assert_close(counters_mwu_p(b, 4, a, 4, NULL), 0.02857142857142857);
	assert_close(counters_mwu_p(c, 5, d, 6, NULL), 0.030303030303030304);
	/* 3 runs a side can never go under 0.05: the smallest p is 2/20. */
	assert_close(counters_mwu_p(e, 3, f, 3, NULL), 0.1);
}
END_TEST

START_TEST(mwu_exact_with_ties)
{
	const double zeros[] = { 0, 0, 0, 0 }, head[] = { 64, 64, 64, 64 };
	const double a[] = { 1, 2, 2, 3, 3 }, b[] = { 2, 3, 4, 4, 5 };
	const double c[] = { 0, 0, 1, 5 }, d[] = { 0, 2, 3, 3, 7 };

	assert_close(counters_mwu_p(head, 4, zeros, 4, NULL), 2.0 / 70);  /* 2/70 */
	assert_close(counters_mwu_p(a, 5, b, 5, NULL), 28.0 / 252);        /* 0.1111 */
	assert_close(counters_mwu_p(c, 4, d, 5, NULL), 48.0 / 126);        /* 0.3810 */
}
END_TEST

START_TEST(mwu_normal_approximation)
{
	/* 21 + 22 runs: past COUNTERS_EXACT_MAX_N, with many ties. */
	const double a[] = { 2, 1, 3, 5, 0, 0, 6, 4, 0, 2, 4, 0, 4, 1, 0, 0, 3, 3, 0, 1, 0 };
	const double b[] = { 8, 2, 3, 5, 2, 8, 2, 5, 2, 4, 6, 8, 4, 3, 6, 4, 3, 5, 7, 3, 3, 2 };
	bool exact = true;

	assert_close(counters_mwu_p(a, N(a), b, N(b), &exact), 0.000766821461861774);
	ck_assert(!exact);
}
END_TEST

START_TEST(mwu_degenerate)
{
	const double same[] = { 5, 5, 5, 5 }, one[] = { 1 };

	ck_assert(counters_mwu_p(same, 4, same, 4, NULL) == 1);  /* every value tied */
	ck_assert(counters_mwu_p(same, 4, one, 0, NULL) == 1);   /* an empty side */
	assert_close(counters_mwu_p(same, 1, one, 1, NULL), 1);   /* 1 vs 1: both splits as extreme */
}
END_TEST

START_TEST(welch_matches_scipy)
{
	const double a[] = { 1, 2, 3 }, b[] = { 4, 5, 7 };
	const double zeros[] = { 0, 0, 0 }, head[] = { 60, 64, 66 };
	const double c[] = { 10.5, 12.1, 9.8 }, d[] = { 11.0, 30.2, 5.5, 7.7 };
	const double two[] = { 60, 66 }, big[] = { 100, 101, 102 };

	assert_close(counters_welch_p(a, 3, b, 3), 0.041914517471454);
	assert_close(counters_welch_p(zeros, 3, head, 3), 0.0007747220464553098);
	assert_close(counters_welch_p(head, 3, zeros, 3), 0.0007747220464553098);
	assert_close(counters_welch_p(c, 3, d, 4), 0.6554477745414694);  /* df not a whole number */
	assert_close(counters_welch_p(zeros, 2, two, 2), 0.030292344376736283);
	assert_close(counters_welch_p(big, 3, a, 3), 2.7747958781457153e-08);
}
END_TEST

START_TEST(welch_degenerate)
{
	const double zeros[] = { 0, 0, 0 }, ones[] = { 1, 1, 1 }, x[] = { 3, 4 };

	ck_assert(counters_welch_p(zeros, 3, zeros, 3) == 1);  /* equal samples, no spread */
	ck_assert(counters_welch_p(zeros, 3, ones, 3) == 0);   /* no spread, means differ */
	ck_assert(counters_welch_p(x, 1, ones, 3) == 1);       /* one run: no test */
	ck_assert(counters_welch_p(x, 2, ones, 0) == 1);
}
END_TEST

START_TEST(test_choice_by_runs)
{
	double b[] = { 0, 0, 0, 0, 0 }, h[] = { 64, 64, 64, 64, 64 };
	struct counter_sample base = { b, 3 }, head = { h, 3 };
	const char *test;

	/* 3 runs a side: Welch, which can flag a counter that moves every run. */
	ck_assert(counters_test(&base, &head, &test) == 0);
	ck_assert_str_eq(test, "welch");
	base.n = head.n = 4;
	assert_close(counters_test(&base, &head, &test), 2.0 / 70);
	ck_assert_str_eq(test, "mann-whitney exact");
	head.n = 3;
	counters_test(&base, &head, &test);
	ck_assert_str_eq(test, "welch");
	head.n = 1;
	ck_assert(counters_test(&base, &head, &test) == 1);
	ck_assert_str_eq(test, "none");
}
END_TEST

START_TEST(flag_rule)
{
	ck_assert(counters_flag(0, 64, 0.001));      /* from 0 */
	ck_assert(!counters_flag(0, 0.5, 0.001));    /* from 0, but under one event a run */
	ck_assert(counters_flag(0, 1, 0.001));
	ck_assert(!counters_flag(0, 64, 0.05));      /* p must be under 0.05 */
	ck_assert(!counters_flag(100, 190, 0.001));  /* 1.9x: noise-sized */
	ck_assert(counters_flag(100, 200, 0.001));
	ck_assert(counters_flag(100, 50, 0.001));    /* halved */
	ck_assert(counters_flag(10, 0, 0.001));      /* stopped moving */
	ck_assert(!counters_flag(0.4, 1.2, 0.001));  /* 3x but under one event apart */
	ck_assert(!counters_flag(5, 5, 0));          /* equal means */
	ck_assert(!counters_flag(0, 0, 0));
	ck_assert(counters_flag(-10, 10, 0.001));    /* a gauge that changed sign */
	ck_assert(isinf(counters_ratio(0, 3)));
	assert_close(counters_ratio(0, 0), 1);
	assert_close(counters_ratio(4, 2), 0.5);
}
END_TEST

/* dir/NAME/guest/workload.json with text, or a run dir without it (NULL). */
static void write_run(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/guest", dir, name);
	ck_assert_int_eq(mkdir_p(path, 0755), 0);
	if (!text)
		return;
	snprintf(path, sizeof(path), "%s/%s/guest/workload.json", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static void sample_of(const char *dir, const char *name, struct counter_sample *s)
{
	size_t n;
	struct json_object **runs = counters_load_runs(dir, &n);

	counters_sample(runs, n, name, s);
	for (size_t i = 0; i < n; i++)
		json_object_put(runs[i]);
	free(runs);
}

START_TEST(reads_hostile_runs)
{
	char dir[256], link[512], target[512];
	struct counter_sample s;
	size_t n;
	struct json_object **runs;

	snprintf(dir, sizeof(dir), "%s", test_temp_dir());
	write_run(dir, "run-1", "{\"vmstat_delta\":{\"a\":5,\"b\":1.5}}");
	write_run(dir, "run-2", "{\"vmstat_delta\":{\"a\":99999999999999999999999999,\"b\":\"12\"}}");
	write_run(dir, "run-3", "{\"vmstat_delta\":{\"a\":NaN,\"b\":Infinity}}");
	write_run(dir, "run-4", "{\"vmstat_delta\":{\"a\":1e999,\"b\":true}}");
	write_run(dir, "run-5", "{\"vmstat_delta\":{\"a\":-7,\"b\":null,\"c\":{\"x\":1}}}");
	write_run(dir, "run-6", NULL);                                         /* no workload.json */
	write_run(dir, "run-7", "{\"vmstat_delta\":{\"a\": 3");               /* cut short */
	write_run(dir, "run-8", "{\"vmstat_delta\":[1,2,3]}");                 /* not an object */
	write_run(dir, "run-9", "[{\"vmstat_delta\":{\"a\":1}}]");
	write_run(dir, "run-9.infra-1", "{\"vmstat_delta\":{\"a\":1000}}");   /* a failed host's */
	write_run(dir, "run-x", "{\"vmstat_delta\":{\"a\":1000}}");
	write_run(dir, "run-10", "{\"vmstat_delta\":{\"b\":2}}");              /* a missing: 0 */
	write_run(dir, "run-11", NULL);
	snprintf(target, sizeof(target), "%s/run-1/guest/workload.json", dir);
	snprintf(link, sizeof(link), "%s/run-11/guest/workload.json", dir);
	ck_assert_int_eq(symlink(target, link), 0);                            /* never followed */

	runs = counters_load_runs(dir, &n);
	ck_assert_uint_eq(n, 6);  /* runs 1-5 and 10, in run order */
	for (size_t i = 0; i < n; i++)
		json_object_put(runs[i]);
	free(runs);
	sample_of(dir, "a", &s);
	ck_assert_uint_eq(s.n, 3);
	ck_assert(s.v[0] == 5 && s.v[1] == -7 && s.v[2] == 0);
	free(s.v);
	sample_of(dir, "b", &s);
	ck_assert_uint_eq(s.n, 2);
	ck_assert(s.v[0] == 1.5 && s.v[1] == 2);
	free(s.v);
	sample_of(dir, "c", &s);  /* an object is no number; the runs without it count 0 */
	ck_assert_uint_eq(s.n, 5);
	free(s.v);
	sample_of("/nonexistent/dir", "a", &s);
	ck_assert_uint_eq(s.n, 0);
	free(s.v);
}
END_TEST

/* dir/run-1..n, each with a workload.json whose vmstat_delta holds deltas[i]. */
static void write_side(const char *dir, const char *const *deltas, size_t n)
{
	char name[32], *text;

	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "run-%zu", i + 1);
		ck_assert_int_gt(asprintf(&text, "{\"workload\":\"x\",\"vmstat_delta\":{%s}}", deltas[i]), 0);
		write_run(dir, name, text);
		free(text);
	}
}

START_TEST(compare_declared_counters)
{
	char base[256], head[256], text[300];
	const char *b[] = { "\"thp_migration_success\":96,\"numa_hint_faults\":1000",
			    "\"thp_migration_success\":94,\"numa_hint_faults\":1100",
			    "\"thp_migration_success\":96,\"numa_hint_faults\":900" };
	const char *h[] = { "\"thp_migration_success\":96,\"thp_migration_fail\":64,\"numa_hint_faults\":1050",
			    "\"thp_migration_success\":95,\"thp_migration_fail\":64,\"numa_hint_faults\":950",
			    "\"thp_migration_success\":96,\"thp_migration_fail\":64,\"numa_hint_faults\":1000" };
	const char *names[] = { "numa_hint_faults", "thp_migration_fail", "thp_migration_success", "pgmigrate_fail" };
	size_t dropped = 9;
	struct json_object *cmp, *r;

	snprintf(base, sizeof(base), "%s", test_temp_dir());
	snprintf(head, sizeof(head), "%s", test_temp_dir());
	write_side(base, b, 3);
	write_side(head, h, 3);
	cmp = counters_compare(base, head, names, 4, &dropped);
	ck_assert_uint_eq(dropped, 0);
	ck_assert_uint_eq(json_object_array_length(cmp), 4);
	ck_assert_int_eq(counters_flagged(cmp), 1);
	r = json_object_array_get_idx(cmp, 0);  /* sorted by p: the flagged one first */
	ck_assert_str_eq(json_object_get_string(json_object_object_get(r, "name")), "thp_migration_fail");
	ck_assert(json_object_get_boolean(json_object_object_get(r, "flagged")));
	ck_assert(json_object_get_double(json_object_object_get(r, "base_mean")) == 0);
	ck_assert(json_object_get_double(json_object_object_get(r, "head_mean")) == 64);
	ck_assert(json_object_get_double(json_object_object_get(r, "p")) == 0);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(r, "test")), "welch");
	ck_assert(json_object_is_type(json_object_object_get(r, "ratio"), json_type_null));
	ck_assert_uint_eq(json_object_array_length(json_object_object_get(r, "head_values")), 3);
	/* Noise and a counter neither side moved do not flag. */
	ck_assert(!json_object_get_boolean(json_object_object_get(test_row_named(cmp, "numa_hint_faults"), "flagged")));
	r = test_row_named(cmp, "pgmigrate_fail");
	ck_assert(!json_object_get_boolean(json_object_object_get(r, "flagged")));
	ck_assert(json_object_get_double(json_object_object_get(r, "p")) == 1);
	counters_flagged_text(cmp, text, sizeof(text));
	ck_assert_str_eq(text, "thp_migration_fail 0 -> 64 (p 0)");
	counters_row_text(json_object_array_get_idx(cmp, 0), text, sizeof(text));
	ck_assert_str_eq(text, "thp_migration_fail: base 0, head 64 per run (3 and 3 runs, welch p = 0)");
	json_object_put(cmp);
}
END_TEST

/* A case that declares none: the mm counters either side sent, names from
 * the guest checked, and a flood of names counted, not compared. */
START_TEST(compare_default_mm_counters)
{
	char base[256], head[256], flood[80 * 300];
	const char *b[] = { "\"pgmigrate_success\":10,\"pgfault\":5,\"nr_free_pages\":-3",
			    "\"pgmigrate_success\":10,\"pgmigrate_<b>\":1,\"PGMIGRATE_X\":1" };
	const char *h[] = { "\"pgmigrate_success\":10,\"thp_split_pmd\":2", "\"pgmigrate_success\":10" };
	const char *hf[] = { flood };
	size_t dropped, used = 0;
	struct json_object *cmp;

	snprintf(base, sizeof(base), "%s", test_temp_dir());
	snprintf(head, sizeof(head), "%s", test_temp_dir());
	write_side(base, b, 2);
	write_side(head, h, 2);
	cmp = counters_compare(base, head, NULL, 0, &dropped);
	ck_assert_uint_eq(json_object_array_length(cmp), 2);
	ck_assert_ptr_nonnull(test_row_named(cmp, "pgmigrate_success"));
	ck_assert_ptr_nonnull(test_row_named(cmp, "thp_split_pmd"));
	ck_assert_int_eq(counters_flagged(cmp), 0);
	json_object_put(cmp);

	for (int i = 0; i < COUNTERS_MAX_NAMES + 20; i++)
		used += (size_t)snprintf(flood + used, sizeof(flood) - used, "%s\"pgmigrate_%04d\":1", i ? "," : "", i);
	snprintf(head, sizeof(head), "%s", test_temp_dir());
	write_side(head, hf, 1);
	cmp = counters_compare(base, head, NULL, 0, &dropped);
	ck_assert_uint_eq(json_object_array_length(cmp), COUNTERS_MAX_NAMES);
	ck_assert_uint_eq(dropped, 21);  /* 276 sent, and the base's pgmigrate_success */
	json_object_put(cmp);

	/* A side with no run that sent a delta: nothing to compare. */
	cmp = counters_compare(base, "/nonexistent", NULL, 0, &dropped);
	ck_assert_uint_eq(json_object_array_length(cmp), 0);
	ck_assert_int_eq(counters_flagged(cmp), 0);
	json_object_put(cmp);
	ck_assert_int_eq(counters_flagged(NULL), 0);
}
END_TEST

START_TEST(mm_list)
{
	ck_assert(counters_is_mm("thp_migration_fail"));
	ck_assert(counters_is_mm("numa_pages_migrated"));
	ck_assert(counters_is_mm("pswpout"));
	ck_assert(!counters_is_mm("pgfault"));
	ck_assert(!counters_is_mm("nr_free_pages"));
}
END_TEST

Suite *counters_suite(void)
{
	Suite *s = suite_create("counters");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, mwu_exact_matches_scipy);
	tcase_add_test(tc, mwu_exact_with_ties);
	tcase_add_test(tc, mwu_normal_approximation);
	tcase_add_test(tc, mwu_degenerate);
	tcase_add_test(tc, welch_matches_scipy);
	tcase_add_test(tc, welch_degenerate);
	tcase_add_test(tc, test_choice_by_runs);
	tcase_add_test(tc, flag_rule);
	tcase_add_test(tc, reads_hostile_runs);
	tcase_add_test(tc, compare_declared_counters);
	tcase_add_test(tc, compare_default_mm_counters);
	tcase_add_test(tc, mm_list);
	suite_add_tcase(s, tc);
	return s;
}
