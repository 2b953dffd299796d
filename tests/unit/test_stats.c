/* Unit tests of host/stats.c against values computed by hand (python3 math.comb and the Wilson formula). */
#include "stats.h"
#include "suites.h"

#include <math.h>
#include <string.h>

static struct run_result run_with(enum verdict v, bool crash, const char *title, const char *reason)
{
	struct run_result r;

	memset(&r, 0, sizeof(r));
	r.verdict = v;
	r.report.crash = crash;
	snprintf(r.report.title, sizeof(r.report.title), "%s", title);
	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	return r;
}

static struct tally tally_of(int hits, int clean, int other_crash, int infra, int conf, int interrupted)
{
	struct tally t;

	memset(&t, 0, sizeof(t));
	t.hits = hits;
	t.clean = clean;
	t.other_crash = other_crash;
	t.infra = infra;
	t.conf = conf;
	t.interrupted = interrupted;
	t.runs = hits + clean + other_crash + infra + conf + interrupted;
	return t;
}

static const char *point_of(int hits, int clean, int infra)
{
	struct tally t = tally_of(hits, clean, 0, infra, 0, 0);

	return stats_point_name(stats_point(&t));
}

START_TEST(classify_hits_by_title_substring)
{
	struct run_result r = run_with(V_FAIL, true, "kernel BUG in migrate_misplaced_folio", "");

	ck_assert_int_eq(stats_classify(&r, "migrate_misplaced_folio"), RUN_HIT);
	ck_assert_int_eq(stats_classify(&r, NULL), RUN_HIT);
	ck_assert_int_eq(stats_classify(&r, ""), RUN_HIT);
	ck_assert_int_eq(stats_classify(&r, "KASAN: use-after-free"), RUN_OTHER_CRASH);
	/* A console crash is judged by its title only, never by the reason. */
	snprintf(r.reason, sizeof(r.reason), "KASAN: use-after-free elsewhere");
	ck_assert_int_eq(stats_classify(&r, "KASAN: use-after-free"), RUN_OTHER_CRASH);
	ck_assert_str_eq(stats_run_kind_name(RUN_OTHER_CRASH), "other_crash");
}
END_TEST

START_TEST(classify_workload_fail_and_hangs)
{
	struct run_result fail = run_with(V_FAIL, false, "", "lazyfree: ENOMEM");
	struct run_result hang = run_with(V_FAIL, false, "hang: timeout during the workload",
					  "hang: timeout during the workload");

	ck_assert_int_eq(stats_classify(&fail, ""), RUN_HIT);
	ck_assert_int_eq(stats_classify(&fail, "ENOMEM"), RUN_HIT);
	ck_assert_int_eq(stats_classify(&fail, "kernel BUG"), RUN_OTHER_CRASH);
	ck_assert_int_eq(stats_classify(&hang, "hang:"), RUN_HIT);
	ck_assert_int_eq(stats_classify(&hang, "kernel BUG"), RUN_OTHER_CRASH);
}
END_TEST

START_TEST(classify_other_verdicts)
{
	const struct {
		enum verdict v;
		enum run_kind kind;
	} rows[] = {
		{ V_PASS, RUN_CLEAN },	   { V_CONF, RUN_CONF },	   { V_BROK, RUN_INFRA },
		{ V_ABANDONED, RUN_INFRA }, { V_RUNNING, RUN_INFRA }, { V_INTERRUPTED, RUN_INTERRUPTED },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct run_result r = run_with(rows[i].v, false, "", "kernel BUG in x");

		ck_assert_msg(stats_classify(&r, "kernel BUG") == rows[i].kind, "row %zu", i);
	}
}
END_TEST

START_TEST(add_counts_and_keeps_first_titles)
{
	struct run_result runs[] = {
		run_with(V_PASS, false, "", "ok"),
		run_with(V_FAIL, true, "kernel BUG in migrate_misplaced_folio", ""),
		run_with(V_FAIL, true, "WARNING in other_function", ""),
		run_with(V_FAIL, true, "kernel BUG in migrate_misplaced_folio v2", ""),
		run_with(V_FAIL, false, "", "workload: corruption"),
		run_with(V_BROK, false, "", "QEMU could not start"),
		run_with(V_CONF, false, "", "CONFIG_CMA is not set"),
		run_with(V_INTERRUPTED, false, "", "interrupted"),
	};
	struct tally t;

	memset(&t, 0, sizeof(t));
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		stats_add(&t, &runs[i], "migrate_misplaced_folio");
	ck_assert_int_eq(t.runs, 8);
	ck_assert_int_eq(t.hits, 2);
	ck_assert_int_eq(t.clean, 1);
	ck_assert_int_eq(t.other_crash, 2);
	ck_assert_int_eq(t.infra, 1);
	ck_assert_int_eq(t.conf, 1);
	ck_assert_int_eq(t.interrupted, 1);
	ck_assert_int_eq(stats_valid(&t), 5);
	ck_assert_str_eq(t.hit_title, "kernel BUG in migrate_misplaced_folio");
	ck_assert_str_eq(t.other_title, "WARNING in other_function");
}
END_TEST

START_TEST(wilson_known_values)
{
	const struct {
		int hits, n;
		double lo, hi;
	} rows[] = {
		{ 0, 10, 0, 0.277533 },	     { 5, 10, 0.236593, 0.763407 }, { 10, 10, 0.722467, 1 },
		{ 1, 1, 0.206549, 1 },	     { 2, 10, 0.056682, 0.509838 }, { 9, 10, 0.595850, 0.982124 },
		{ 1, 3, 0.061492, 0.792340 }, { 3, 4, 0.300642, 0.954413 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct interval ci = stats_wilson(rows[i].hits, rows[i].n);

		ck_assert_msg(fabs(ci.lo - rows[i].lo) < 1e-4 && fabs(ci.hi - rows[i].hi) < 1e-4,
			      "wilson(%d,%d) = [%f,%f]", rows[i].hits, rows[i].n, ci.lo, ci.hi);
	}
	ck_assert_double_eq(stats_wilson(0, 10).lo, 0);
	ck_assert_double_eq(stats_wilson(10, 10).hi, 1);
	ck_assert_double_eq(stats_wilson(0, 0).lo, 0);
	ck_assert_double_eq(stats_wilson(0, 0).hi, 1);
}
END_TEST

START_TEST(fisher_known_values)
{
	ck_assert_double_eq_tol(stats_fisher_one_sided(5, 5, 0, 5), 1.0 / 252, 1e-12);
	ck_assert_double_eq_tol(stats_fisher_one_sided(2, 3, 0, 3), 0.2, 1e-12);
	ck_assert_double_eq_tol(stats_fisher_one_sided(3, 3, 0, 3), 0.05, 1e-12);
	ck_assert_double_eq_tol(stats_fisher_one_sided(0, 5, 0, 5), 1, 1e-12);
	ck_assert_double_eq_tol(stats_fisher_one_sided(3, 10, 1, 10), 0.291022, 1e-6);
	ck_assert_double_eq_tol(stats_fisher_two_sided(5, 5, 0, 5), 2.0 / 252, 1e-12);
	ck_assert_double_eq_tol(stats_fisher_two_sided(7, 20, 2, 20), 0.127386, 1e-6);
	ck_assert_double_eq_tol(stats_fisher_two_sided(3, 10, 1, 10), 0.582043, 1e-6);
	ck_assert_double_eq_tol(stats_fisher_two_sided(1, 10, 3, 10), 0.582043, 1e-6);
	/* A lower head rate gives no evidence that head is worse. */
	ck_assert_double_eq_tol(stats_fisher_one_sided(0, 5, 5, 5), 1, 1e-12);
}
END_TEST

START_TEST(fisher_is_stable_for_thousands_of_runs)
{
	ck_assert_double_eq_tol(stats_fisher_one_sided(30, 1000, 10, 1000), 0.00100417, 1e-7);
	ck_assert_double_eq_tol(stats_fisher_two_sided(30, 1000, 10, 1000), 0.00200833, 1e-7);
	ck_assert_double_eq_tol(stats_fisher_one_sided(1500, 3000, 1400, 3000), 0.00526701, 1e-7);
	ck_assert_double_eq_tol(stats_fisher_two_sided(1500, 3000, 1400, 3000), 0.01053403, 1e-7);
}
END_TEST

START_TEST(fisher_rejects_inconsistent_counts)
{
	ck_assert_double_eq(stats_fisher_one_sided(6, 5, 0, 5), 1);
	ck_assert_double_eq(stats_fisher_one_sided(-1, 5, 0, 5), 1);
	ck_assert_double_eq(stats_fisher_two_sided(0, 0, 0, 0), 1);
	ck_assert_double_eq(stats_fisher_one_sided(3, 3, 0, 0), 1);
}
END_TEST

START_TEST(flaky_is_an_interval_across_one_half)
{
	const int rows[][3] = { { 1, 2, 1 }, { 5, 5, 1 }, { 2, 8, 1 }, { 9, 1, 0 }, { 0, 4, 0 }, { 4, 0, 0 }, { 1, 19, 0 } };

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct tally t = tally_of(rows[i][0], rows[i][1], 0, 0, 0, 0);
		ck_assert_msg(stats_flaky(&t) == (bool)rows[i][2], "%d hits, %d clean", rows[i][0], rows[i][1]);
	}
}
END_TEST

START_TEST(tally_survives_a_json_round_trip)
{
	struct tally t = tally_of(3, 2, 1, 4, 1, 0), back;
	struct json_object *o;

	snprintf(t.hit_title, sizeof(t.hit_title), "kernel BUG in x");
	snprintf(t.conf_reason, sizeof(t.conf_reason), "CONFIG_CMA is not set");
	o = stats_tally_json(&t);
	stats_tally_from_json(o, &back);
	ck_assert_int_eq(back.runs, t.runs);
	ck_assert_int_eq(back.hits, 3);
	ck_assert_int_eq(back.clean, 2);
	ck_assert_int_eq(back.other_crash, 1);
	ck_assert_int_eq(back.infra, 4);
	ck_assert_int_eq(back.conf, 1);
	ck_assert_str_eq(back.hit_title, "kernel BUG in x");
	ck_assert_str_eq(back.conf_reason, "CONFIG_CMA is not set");
	ck_assert_int_eq(stats_valid(&back), stats_valid(&t));
	json_object_put(o);
}
END_TEST

START_TEST(point_verdicts_follow_the_rules)
{
	struct tally t;

	ck_assert_str_eq(point_of(0, 4, 0), "good");
	ck_assert_str_eq(point_of(0, 1, 3), "skip"); /* valid 1 < ceil(4/2) */
	ck_assert_str_eq(point_of(0, 2, 2), "good"); /* valid 2 = ceil(4/2) */
	ck_assert_str_eq(point_of(0, 2, 3), "skip"); /* valid 2 < ceil(5/2) */
	ck_assert_str_eq(point_of(1, 0, 0), "bad");  /* N = 1, every valid run hit */
	ck_assert_str_eq(point_of(2, 0, 0), "bad");
	ck_assert_str_eq(point_of(1, 0, 2), "bad");  /* N = 3 < 4, the one valid run hit */
	ck_assert_str_eq(point_of(1, 0, 3), "skip"); /* N = 4: one hit alone is not enough */
	ck_assert_str_eq(point_of(1, 2, 0), "skip");  /* one hit in three */
	ck_assert_str_eq(point_of(10, 0, 0), "bad");
	ck_assert_str_eq(point_of(5, 5, 0), "bad");   /* a 50% bug is there */
	ck_assert_str_eq(point_of(9, 1, 0), "bad");   /* [0.596, 0.982] excludes 0.5 */
	ck_assert_str_eq(point_of(2, 8, 0), "bad");
	ck_assert_str_eq(point_of(1, 19, 0), "skip"); /* [0.009, 0.236]: one hit in twenty */
	ck_assert_str_eq(point_of(2, 98, 0), "bad");  /* rare but repeated */
	ck_assert_str_eq(point_of(0, 0, 4), "skip");
	ck_assert_str_eq(point_of(0, 0, 0), "skip");
	/* Interrupted runs leave N; conf runs stay in N but are not valid. */
	t = tally_of(0, 2, 0, 0, 0, 6);
	ck_assert_int_eq(stats_point(&t), POINT_GOOD);
	t = tally_of(0, 1, 0, 0, 3, 0);
	ck_assert_int_eq(stats_point(&t), POINT_SKIP);
	/* An unrelated crash is valid but never a hit. */
	t = tally_of(0, 3, 1, 0, 0, 0);
	ck_assert_int_eq(stats_point(&t), POINT_GOOD);
	/* Only other crashes: they may have hidden the bug, so not good. */
	t = tally_of(0, 0, 3, 0, 0, 0);
	ck_assert_int_eq(stats_point(&t), POINT_SKIP);
	t = tally_of(0, 1, 3, 0, 0, 0);
	ck_assert_int_eq(stats_point(&t), POINT_SKIP);
}
END_TEST

/* Wald's test at alpha 0.05 (bound log 19 = 2.944): a deterministic bug is
 * decided by one run either way; a 30% bug needs 9 clean runs for good but
 * one hit for bad; other crashes move nothing. */
START_TEST(sprt_decides_as_wald_says)
{
	ck_assert_int_eq(stats_sprt(1, 0, 1.0, 0.05), POINT_BAD);
	ck_assert_int_eq(stats_sprt(0, 1, 1.0, 0.05), POINT_GOOD);
	ck_assert_int_eq(stats_sprt(0, 0, 1.0, 0.05), -1);
	ck_assert_int_eq(stats_sprt(0, 1, 5.0 / 6, 0.05), -1);
	ck_assert_int_eq(stats_sprt(0, 2, 5.0 / 6, 0.05), POINT_GOOD);
	ck_assert_int_eq(stats_sprt(0, 8, 0.3, 0.05), -1);
	ck_assert_int_eq(stats_sprt(0, 9, 0.3, 0.05), POINT_GOOD);
	ck_assert_int_eq(stats_sprt(1, 0, 0.3, 0.05), POINT_BAD);
	/* A hit among many clean runs of a rare bug: the evidence cancels. */
	ck_assert_int_eq(stats_sprt(1, 9, 0.3, 0.05), -1);
	/* A stricter alpha asks for more. */
	ck_assert_int_eq(stats_sprt(0, 1, 1.0, 0.01), -1);
	/* p_bad outside 0.05..0.95 is clamped, never divides by 0. */
	ck_assert_int_eq(stats_sprt(0, 1, 2.0, 0.05), POINT_GOOD);
	ck_assert_int_eq(stats_sprt(0, 100, 0.0, 0.05), POINT_GOOD);
}
END_TEST

START_TEST(bisect_confidence_known_values)
{
	const int two_steps[] = { 2, 2 };
	const int mixed[] = { 3, 1, 4 };

	ck_assert_double_eq_tol(stats_bisect_confidence(0.5, two_steps, 2), 0.5625, 1e-12);
	ck_assert_double_eq_tol(stats_bisect_confidence(1, two_steps, 2), 1, 1e-12);
	ck_assert_double_eq_tol(stats_bisect_confidence(0, two_steps, 2), 0, 1e-12);
	ck_assert_double_eq_tol(stats_bisect_confidence(0.5, NULL, 0), 1, 1e-12);
	/* (1 - 0.8^3)(1 - 0.8)(1 - 0.8^4) */
	ck_assert_double_eq_tol(stats_bisect_confidence(0.2, mixed, 3), 0.488 * 0.2 * 0.5904, 1e-12);
}
END_TEST

START_TEST(tally_json_has_every_field)
{
	struct tally t = tally_of(3, 1, 0, 1, 0, 0);
	struct json_object *o, *v;

	snprintf(t.hit_title, sizeof(t.hit_title), "kernel BUG in x");
	o = stats_tally_json(&t);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "runs")), 5);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "hits")), 3);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "clean")), 1);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "other_crash")), 0);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "infra")), 1);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "conf")), 0);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "interrupted")), 0);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "valid")), 4);
	ck_assert_double_eq_tol(json_object_get_double(json_object_object_get(o, "hit_rate")), 0.75, 1e-12);
	v = json_object_object_get(o, "ci95");
	ck_assert_int_eq(json_object_array_length(v), 2);
	ck_assert_double_eq_tol(json_object_get_double(json_object_array_get_idx(v, 0)), 0.300642, 1e-6);
	ck_assert_double_eq_tol(json_object_get_double(json_object_array_get_idx(v, 1)), 0.954413, 1e-6);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "verdict")), "bad"); /* 3/4 */
	ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "hit_title")), "kernel BUG in x");
	ck_assert(!json_object_object_get_ex(o, "other_title", NULL));
	json_object_put(o);
	t = tally_of(0, 0, 0, 2, 0, 0);
	o = stats_tally_json(&t);
	ck_assert(json_object_object_get_ex(o, "hit_rate", &v));
	ck_assert_ptr_null(v);
	ck_assert(!json_object_object_get_ex(o, "hit_title", NULL));
	ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "verdict")), "skip");
	json_object_put(o);
}
END_TEST

START_TEST(tally_text_is_short)
{
	struct tally t = tally_of(3, 1, 0, 1, 0, 0);
	char buf[128], tiny[12];

	stats_tally_text(&t, buf, sizeof(buf));
	ck_assert_str_eq(buf, "3/4 hit (75%, 95% CI 30-95%), 1 infra");
	t = tally_of(0, 0, 1, 2, 1, 3);
	stats_tally_text(&t, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0/1 hit (0%, 95% CI 0-79%), 1 other crash, 2 infra, 1 conf, 3 interrupted");
	t = tally_of(0, 0, 0, 2, 0, 0);
	stats_tally_text(&t, buf, sizeof(buf));
	ck_assert_str_eq(buf, "no valid run, 2 infra");
	t = tally_of(3, 1, 0, 1, 0, 0);
	stats_tally_text(&t, tiny, sizeof(tiny));
	ck_assert_str_eq(tiny, "3/4 hit (75");
}
END_TEST

Suite *stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *t = tcase_create("stats");

	tcase_add_test(t, classify_hits_by_title_substring);
	tcase_add_test(t, classify_workload_fail_and_hangs);
	tcase_add_test(t, classify_other_verdicts);
	tcase_add_test(t, add_counts_and_keeps_first_titles);
	tcase_add_test(t, wilson_known_values);
	tcase_add_test(t, fisher_known_values);
	tcase_add_test(t, fisher_is_stable_for_thousands_of_runs);
	tcase_add_test(t, fisher_rejects_inconsistent_counts);
	tcase_add_test(t, point_verdicts_follow_the_rules);
	tcase_add_test(t, flaky_is_an_interval_across_one_half);
	tcase_add_test(t, tally_survives_a_json_round_trip);
	tcase_add_test(t, bisect_confidence_known_values);
	tcase_add_test(t, sprt_decides_as_wald_says);
	tcase_add_test(t, tally_json_has_every_field);
	tcase_add_test(t, tally_text_is_short);
	suite_add_tcase(s, t);
	return s;
}
