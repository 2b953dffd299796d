/* Unit tests of host/subtests.c (gate's per-subtest comparison) and the
 * KCIDB path of one subtest. */
#include "kcidb.h"
#include "subtests.h"
#include "suites.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

/* DIR/run-N/result.json holding the given subtests (test, name, status). */
static void write_run(const char *dir, int n, const char *const (*subs)[3], int nsubs)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/run-%d", dir, n);
	mkdir_p(path, 0755);
	snprintf(path, sizeof(path), "%s/run-%d/result.json", dir, n);
	f = fopen(path, "w");
	fputs("{\"verdict\":\"FAIL\",\"subtests\":[", f);
	for (int i = 0; i < nsubs; i++)
		fprintf(f, "%s{\"test\":\"%s\",\"name\":\"%s\",\"status\":\"%s\",\"reason\":\"\"}", i ? "," : "",
			subs[i][0], subs[i][1], subs[i][2]);
	fputs("]}", f);
	fclose(f);
}

static const char *outcome_of(struct json_object *cmp, const char *name)
{
	struct json_object *r = test_row_named(cmp, name);
	return r ? json_object_get_string(json_object_object_get(r, "outcome")) : "(missing)";
}

START_TEST(compare_names_the_regressed_subtest)
{
	char base[256], head[256];
	const char *const base_subs[][3] = { { "madv_populate", "WRITE with PROT_READ", "PASS" },
					     { "cow", "always fails here", "FAIL" },
					     { "cow", "hugetlb", "SKIP" }, { "cow", "hugetlb", "PASS" } };
	const char *const head_subs[][3] = { { "madv_populate", "WRITE with PROT_READ", "FAIL" },
					     { "cow", "always fails here", "FAIL" },
					     { "cow", "hugetlb", "SKIP" }, { "cow", "hugetlb", "FAIL" } };
	struct json_object *cmp;

	snprintf(base, sizeof(base), "%s", test_temp_dir());
	snprintf(head, sizeof(head), "%s", test_temp_dir());
	for (int n = 1; n <= 2; n++) {
		write_run(base, n, base_subs, 4);
		write_run(head, n, head_subs, 4);
	}
	cmp = subtests_compare("mm", base, head);
	ck_assert_ptr_nonnull(cmp);
	/* The second "hugetlb" of a run is a subtest of its own. */
	ck_assert_int_eq(json_object_array_length(cmp), 4);
	ck_assert_str_eq(outcome_of(cmp, "hugetlb (#2)"), "regression");
	ck_assert_str_eq(outcome_of(cmp, "WRITE with PROT_READ"), "regression");
	ck_assert_str_eq(outcome_of(cmp, "always fails here"), "still failing");
	ck_assert_str_eq(outcome_of(cmp, "hugetlb"), "clean");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(test_row_named(cmp, "WRITE with PROT_READ"), "path")),
			 "mm.madv_populate.WRITE with PROT_READ");
	ck_assert_int_eq(subtests_count(cmp, "regression"), 2);
	ck_assert_str_eq(subtests_side_status(test_row_named(cmp, "hugetlb"), "head"), "SKIP");
	ck_assert_str_eq(subtests_side_status(test_row_named(cmp, "WRITE with PROT_READ"), "base"), "PASS");
	ck_assert_str_eq(subtests_side_status(test_row_named(cmp, "WRITE with PROT_READ"), "head"), "FAIL");
	json_object_put(cmp);
}
END_TEST

START_TEST(no_subtests_gives_null)
{
	ck_assert_ptr_null(subtests_compare("mm", test_temp_dir(), "/nonexistent/dir"));
}
END_TEST

START_TEST(outcome_rules)
{
	ck_assert_str_eq(subtests_outcome(0, 1, 1, 1), "regression");     /* deterministic, one run a side */
	ck_assert_str_eq(subtests_outcome(0, 5, 2, 5), "regression");     /* at least twice */
	ck_assert_str_eq(subtests_outcome(0, 5, 1, 5), "flaky");
	ck_assert_str_eq(subtests_outcome(3, 3, 0, 3), "fixed");
	ck_assert_str_eq(subtests_outcome(3, 3, 3, 3), "still failing");
	ck_assert_str_eq(subtests_outcome(1, 3, 3, 3), "flaky");
	ck_assert_str_eq(subtests_outcome(0, 3, 0, 3), "clean");
	ck_assert_str_eq(subtests_outcome(0, 0, 1, 1), "not on both sides");
}
END_TEST

START_TEST(kcidb_subtest_path_and_id)
{
	struct kcidb_checkout co = { .tree_name = "src:deb-6.12", .start_time_unix = 1796184306, .valid = true };
	struct json_object *doc = kcidb_new("r1", &co), *t;
	struct kcidb_build b = { .id_suffix = "head", .status = "PASS", .duration_s = -1 };
	const char *parts[] = { "mm", "madv_populate", "MADV_POPULATE_WRITE with PROT_READ" };
	struct kcidb_test kt = { .case_name = "kselftest-mm", .status = "FAIL", .duration_s = -1,
				 .subpath = parts, .nsubpath = 3 };

	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(kcidb_add_build(doc, "r1", &b), 0);
	ck_assert_int_eq(kcidb_add_test(doc, "r1", "head", &kt), 0);
	t = json_object_array_get_idx(json_object_object_get(doc, "tests"), 0);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(t, "path")),
			 "mmrepro.kselftest-mm.mm.madv_populate.MADV_POPULATE_WRITE_with_PROT_READ");
	ck_assert_ptr_nonnull(strstr(json_object_get_string(json_object_object_get(t, "id")), "madv_populate"));
	json_object_put(doc);
}
END_TEST

Suite *subtests_suite(void)
{
	Suite *s = suite_create("subtests");
	TCase *t = tcase_create("subtests");

	tcase_add_test(t, compare_names_the_regressed_subtest);
	tcase_add_test(t, no_subtests_gives_null);
	tcase_add_test(t, outcome_rules);
	tcase_add_test(t, kcidb_subtest_path_and_id);
	suite_add_tcase(s, t);
	return s;
}
