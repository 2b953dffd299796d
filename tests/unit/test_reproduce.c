/* reproduce's order: kernels at hand first, expected hits first, and the
 * tables and summary in the declared order whatever order the rows ran. */
#include "suites.h"
#include "reproduce.h"
#include "case.h"
#include "json_read.h"
#include "result.h"
#include "verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct reproduce_row row(int c, int v, bool ready, bool expect_fail, const char *key)
{
	struct reproduce_row r = { .case_index = c, .variant_index = v, .planned = true, .ready = ready,
				   .expect_fail = expect_fail };

	snprintf(r.key, sizeof(r.key), "%s", key);
	return r;
}

/* The rows' positions in the order reproduce_next gives them. */
static void run_order(struct reproduce_row *rows, int n, int *order)
{
	int i, k = 0;

	while ((i = reproduce_next(rows, n)) >= 0) {
		order[k++] = i;
		rows[i].done = true;
	}
	ck_assert_int_eq(k, n);
}

START_TEST(ready_rows_first_and_expected_hits_first_among_them)
{
	struct reproduce_row rows[] = {
		row(0, 0, false, true, "k612"),  /* 0: a cold build, expected to hit */
		row(0, 1, true, false, ""),      /* 1: prebuilt, expected clean */
		row(0, 2, true, true, ""),       /* 2: prebuilt, expected to hit */
		row(1, 0, false, false, "k61"),  /* 3: a cold build, expected clean */
		row(1, 1, true, true, "kc"),     /* 4: in the cache, expected to hit */
		row(1, 2, true, false, "kc"),    /* 5: in the cache, expected clean */
	};
	int order[6], want[] = { 2, 4, 1, 5, 0, 3 };

	run_order(rows, 6, order);
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(order[i], want[i]);
	ck_assert_int_eq(reproduce_next(rows, 6), -1);
}
END_TEST

START_TEST(a_built_kernel_makes_the_rows_of_its_key_ready)
{
	struct reproduce_row rows[] = {
		row(0, 0, false, true, "k612"), row(0, 1, false, false, "k612"), row(0, 2, false, true, "k61"),
		row(0, 3, true, false, ""),     row(1, 0, false, false, "k612"),
	};

	/* Nothing at hand but a clean prebuilt row: it goes first all the same. */
	ck_assert_int_eq(reproduce_next(rows, 5), 3);
	rows[3].done = true;
	reproduce_built(rows, 5, 3);
	ck_assert(!rows[0].ready && !rows[2].ready);
	ck_assert_int_eq(reproduce_next(rows, 5), 0);
	rows[0].done = true;
	reproduce_built(rows, 5, 0);
	ck_assert(rows[1].ready && rows[4].ready);
	ck_assert(!rows[2].ready);
	/* Now the 6.12 rows, built, go before the 6.1 one, though it is an
	 * expected hit. */
	ck_assert_int_eq(reproduce_next(rows, 5), 1);
}
END_TEST

/* Rows are planned (a build plan each) only while one could still come
 * first: the row returned is the one a plan of every row would give. */
START_TEST(rows_are_planned_only_as_the_order_needs)
{
	struct reproduce_row rows[] = {
		row(0, 0, false, false, ""), row(0, 1, false, true, ""), row(1, 0, true, true, ""),
		row(1, 1, false, true, ""),
	};
	bool truly_ready[] = { false, false, true, true };

	for (int i = 0; i < 4; i++)
		rows[i].planned = i == 2; /* a prebuilt kernel needs no plan */
	/* Unplanned, an expected hit might be at hand: plan it first. */
	ck_assert_int_eq(reproduce_next(rows, 4), 1);
	rows[1].planned = true;
	ck_assert_int_eq(reproduce_next(rows, 4), 2);
	/* Row 3, declared later, never needed a plan to know row 2 goes first. */
	ck_assert(!rows[3].planned && !rows[0].planned);
	rows[2].done = true;
	ck_assert_int_eq(reproduce_next(rows, 4), 3);
	rows[3].planned = true;
	rows[3].ready = truly_ready[3];
	ck_assert_int_eq(reproduce_next(rows, 4), 3);
	rows[3].done = true;
	/* Now the clean row 0 might be at hand: planned, it needs a build, and
	 * the cold expected hit (row 1) goes before it. */
	ck_assert_int_eq(reproduce_next(rows, 4), 0);
	rows[0].planned = true;
	rows[0].ready = truly_ready[0];
	ck_assert_int_eq(reproduce_next(rows, 4), 1);
}
END_TEST

static const char case_a[] = "[case]\nname = order-a\ndescription = first case\nfixed_by = \"a fix\" (nowhere)\n[vm]\nmemory = 512M\n"
			     "[guest]\nworkload = smoke\n"
			     "[variant a-clean]\nkernel = deb:6.12\nexpect = pass\n"
			     "[variant a-hit]\nkernel = deb:6.12\nexpect = fail\ntitle = boom\n"
			     "[variant a-never-ran]\nkernel = src:deb-6.12\nexpect = fail\ntitle = boom\n";
static const char case_b[] = "[case]\nname = order-b\ndescription = second case\nfixed_by = \"a fix\" (nowhere)\n[vm]\nmemory = 512M\n"
			     "[guest]\nworkload = smoke\n"
			     "[variant b-hit]\nkernel = deb:6.12\nexpect = fail\ntitle = boom\n"
			     "[variant b-clean]\nkernel = deb:6.1\nexpect = pass\n";

static struct case_def *load(const char *text)
{
	struct case_def *c = calloc(1, sizeof(*c));
	char err[1024];

	ck_assert_msg(case_load(test_temp_file(text, ".case"), c, err, sizeof(err)) == 0, "%s", err);
	return c;
}

/* One run of variant i as a VM would have given it: a hit ("boom") or clean. */
static void record(struct verify_job *j, int i, bool hit)
{
	struct run_result r;

	memset(&r, 0, sizeof(r));
	r.index = 1;
	r.verdict = hit ? V_FAIL : V_PASS;
	r.total_s = 1;
	snprintf(r.reason, sizeof(r.reason), "%s", hit ? "boom" : "clean");
	verify_record(j, i, &r, 1);
}

static void assert_row(struct json_object *rows, size_t i, const char *c, const char *v)
{
	struct json_object *r = json_object_array_get_idx(rows, i);

	ck_assert_str_eq(jtext(r, "case"), c);
	ck_assert_str_eq(jtext(r, "variant"), v);
	ck_assert_msg(jbool_loose(r, "matches"), "%s %s does not match", c, v);
}

START_TEST(tables_and_summary_keep_the_declared_order)
{
	struct case_def *cases[2] = { load(case_a), load(case_b) };
	struct verify_opts oa = { .runs = 1, .out_dir = test_temp_dir() }, ob = oa;
	struct verify_job *jobs[2];
	struct json_object *summary = json_object_new_array(), *verify;
	char path[512];

	jobs[0] = verify_begin(cases[0], &oa);
	snprintf(path, sizeof(path), "%s/verify.json", oa.out_dir);
	ob.out_dir = test_temp_dir();
	jobs[1] = verify_begin(cases[1], &ob);
	/* Run across the cases and against each case's order. */
	record(jobs[1], 1, false);
	record(jobs[0], 1, true);
	record(jobs[1], 0, true);
	record(jobs[0], 0, false);
	ck_assert_int_eq(reproduce_finish(jobs, cases, 2, summary), 0);
	ck_assert(!jobs[0] && !jobs[1]);
	ck_assert_int_eq(json_object_array_length(summary), 4);
	assert_row(summary, 0, "order-a", "a-clean");
	assert_row(summary, 1, "order-a", "a-hit");
	assert_row(summary, 2, "order-b", "b-hit");
	assert_row(summary, 3, "order-b", "b-clean");
	/* The case's own verify.json too; the variant that never ran is not there. */
	ck_assert_ptr_nonnull(verify = jread_object(path, 1 << 20));
	struct json_object *vs = json_object_object_get(verify, "variants");
	ck_assert_int_eq(json_object_array_length(vs), 2);
	ck_assert_str_eq(jtext(json_object_array_get_idx(vs, 0), "variant"), "a-clean");
	ck_assert_str_eq(jtext(json_object_array_get_idx(vs, 1), "variant"), "a-hit");
	json_object_put(verify);
	json_object_put(summary);
	free(cases[0]);
	free(cases[1]);
}
END_TEST

START_TEST(a_mismatch_still_shows_whatever_the_order)
{
	struct case_def *cases[2] = { load(case_a), load(case_b) };
	struct verify_opts o = { .runs = 1, .out_dir = test_temp_dir() };
	struct verify_job *jobs[2] = { NULL, NULL };
	struct json_object *summary = json_object_new_array();

	/* Only case b ran, and its fixed variant crashed: exit 1, not hidden. */
	jobs[1] = verify_begin(cases[1], &o);
	record(jobs[1], 1, true);
	record(jobs[1], 0, true);
	ck_assert_int_eq(reproduce_finish(jobs, cases, 2, summary), 1);
	ck_assert_int_eq(json_object_array_length(summary), 2);
	ck_assert_str_eq(jtext(json_object_array_get_idx(summary, 0), "variant"), "b-hit");
	ck_assert(!jbool_loose(json_object_array_get_idx(summary, 1), "matches"));
	json_object_put(summary);
	free(cases[0]);
	free(cases[1]);
}
END_TEST

Suite *reproduce_suite(void)
{
	Suite *s = suite_create("reproduce");
	TCase *t = tcase_create("reproduce");

	tcase_add_test(t, ready_rows_first_and_expected_hits_first_among_them);
	tcase_add_test(t, a_built_kernel_makes_the_rows_of_its_key_ready);
	tcase_add_test(t, rows_are_planned_only_as_the_order_needs);
	tcase_add_test(t, tables_and_summary_keep_the_declared_order);
	tcase_add_test(t, a_mismatch_still_shows_whatever_the_order);
	suite_add_tcase(s, t);
	return s;
}
