/* verify's expectations: titles in order, forbidden titles, k of N. */
#include "suites.h"
#include "verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A FAIL run whose reports have these titles; the first nboot before the workload. */
static struct run_result run_with(const char *const *titles, int n, int nboot)
{
	struct run_result r;

	memset(&r, 0, sizeof(r));
	r.verdict = n > nboot ? V_FAIL : V_PASS;
	r.reports = calloc((size_t)(n ? n : 1), sizeof(*r.reports));
	r.nreports = n;
	r.nboot_reports = nboot;
	for (int i = 0; i < n; i++) {
		r.reports[i].crash = true;
		snprintf(r.reports[i].title, sizeof(r.reports[i].title), "%s", titles[i]);
		r.reports[i].start_line = 10 * (i + 1);
	}
	if (n > nboot) {
		r.report = r.reports[nboot];
		snprintf(r.reason, sizeof(r.reason), "%s", r.report.title);
	}
	return r;
}

static const char *const v1_titles[] = { "WARNING in mem_cgroup_move_account", "kernel BUG in do_swap_page",
					 "kernel panic: Fatal exception" };

static struct variant variant(const char *expect_titles, const char *forbid_titles, int rate_hits, int rate_runs)
{
	struct variant v;
	char *copy, *save, *t;

	memset(&v, 0, sizeof(v));
	v.expect = EXPECT_FAIL;
	v.rate_hits = rate_hits;
	v.rate_runs = rate_runs;
	copy = strdup(expect_titles);
	for (t = strtok_r(copy, "|", &save); t; t = strtok_r(NULL, "|", &save))
		snprintf(v.expect_titles[v.nexpect_titles++], CASE_TITLE_LEN, "%s", t);
	free(copy);
	copy = strdup(forbid_titles);
	for (t = strtok_r(copy, "|", &save); t; t = strtok_r(NULL, "|", &save))
		snprintf(v.forbid_titles[v.nforbid_titles++], CASE_TITLE_LEN, "%s", t);
	free(copy);
	return v;
}

START_TEST(titles_must_appear_in_order)
{
	struct run_result r = run_with(v1_titles, 3, 0);
	struct variant both = variant("WARNING in mem_cgroup_move_account|kernel BUG in do_swap_page", "", 0, 0);
	struct variant reversed = variant("kernel BUG in do_swap_page|WARNING in mem_cgroup_move_account", "", 0, 0);
	struct variant gap = variant("WARNING in mem_cgroup|kernel panic", "", 0, 0);
	struct variant twice = variant("WARNING in mem_cgroup_move_account|WARNING in mem_cgroup_move_account", "", 0, 0);
	struct variant missing = variant("WARNING in mem_cgroup_move_account|kernel BUG in migrate", "", 0, 0);

	ck_assert(verify_titles_in_order(&r, both.expect_titles, both.nexpect_titles));
	ck_assert(!verify_titles_in_order(&r, reversed.expect_titles, reversed.nexpect_titles));
	/* Substrings, and other reports may come between. */
	ck_assert(verify_titles_in_order(&r, gap.expect_titles, gap.nexpect_titles));
	ck_assert(!verify_titles_in_order(&r, twice.expect_titles, twice.nexpect_titles));
	ck_assert(!verify_titles_in_order(&r, missing.expect_titles, missing.nexpect_titles));
	ck_assert(verify_titles_in_order(&r, NULL, 0));
	free(r.reports);
	/* A boot report is not the run's. */
	r = run_with(v1_titles, 3, 1);
	ck_assert(!verify_titles_in_order(&r, both.expect_titles, both.nexpect_titles));
	free(r.reports);
}
END_TEST

START_TEST(page_words_check_the_first_run_report_with_a_dump)
{
	struct run_result r = run_with(v1_titles, 3, 0);
	const char anon_large[][CASE_PAGE_WORD_LEN] = { "anon", "large", "lru", "!locked" };
	const char file[][CASE_PAGE_WORD_LEN] = { "file" };

	ck_assert(!verify_page_matches(&r, anon_large, 4)); /* no report holds a dump */
	ck_assert(verify_page_matches(&r, anon_large, 0));
	r.reports[2].page = (struct report_page){ .present = true, .anon = true, .large = true, .order = 9 };
	strcpy(r.reports[2].page.flags, "uptodate|lru|head");
	ck_assert(verify_page_matches(&r, anon_large, 4));
	ck_assert(!verify_page_matches(&r, file, 1));
	/* the first dump decides, not any */
	r.reports[1].page = (struct report_page){ .present = true, .file = true };
	ck_assert(verify_page_matches(&r, file, 1));
	ck_assert(!verify_page_matches(&r, anon_large, 4));
	strcpy(r.reports[1].page.flags, "lru|locked");
	r.reports[1].page.anon = r.reports[1].page.large = true;
	ck_assert(!verify_page_matches(&r, anon_large, 4)); /* locked */
	free(r.reports);
}
END_TEST

START_TEST(forbidden_titles_are_found_in_the_run_only)
{
	struct run_result r = run_with(v1_titles, 3, 0);
	struct variant v = variant("", "KASAN|kernel BUG in do_swap_page", 0, 0);

	ck_assert_ptr_eq(verify_forbidden_report(&r, v.forbid_titles, v.nforbid_titles), &r.reports[1]);
	ck_assert_ptr_null(verify_forbidden_report(&r, v.forbid_titles, 1));
	free(r.reports);
	r = run_with(v1_titles, 2, 2);
	ck_assert_ptr_null(verify_forbidden_report(&r, v.forbid_titles, v.nforbid_titles));
	free(r.reports);
}
END_TEST

/* Seed 001: v1 must show the WARNING then the BUG; v1-else-fix the WARNING
 * and never the BUG. */
START_TEST(classify_runs_of_the_memcg_variants)
{
	struct variant v1 = variant("WARNING in mem_cgroup_move_account|kernel BUG in do_swap_page", "", 0, 0);
	struct variant else_fix = variant("WARNING in mem_cgroup_move_account", "kernel BUG in do_swap_page", 0, 0);
	struct run_result v1_run = run_with(v1_titles, 3, 0), else_fix_run = run_with(v1_titles, 1, 0);
	bool forbidden;

	ck_assert_int_eq(verify_classify(&v1, &v1_run, &forbidden), RUN_HIT);
	ck_assert(!forbidden);
	ck_assert_int_eq(verify_classify(&v1, &else_fix_run, &forbidden), RUN_OTHER_CRASH);
	ck_assert_int_eq(verify_classify(&else_fix, &else_fix_run, &forbidden), RUN_HIT);
	ck_assert(!forbidden);
	ck_assert_int_eq(verify_classify(&else_fix, &v1_run, &forbidden), RUN_OTHER_CRASH);
	ck_assert(forbidden);
	free(v1_run.reports);
	free(else_fix_run.reports);
}
END_TEST

/* The plain title matches the reason of a workload FAIL too; expect_titles
 * need reports. */
START_TEST(classify_workload_fails_and_clean_runs)
{
	struct run_result r = run_with(NULL, 0, 0);
	struct variant by_reason = variant("", "", 0, 0), by_report = variant("scenario 4b", "", 0, 0);
	bool forbidden;

	ck_assert_int_eq(verify_classify(&by_reason, &r, &forbidden), RUN_CLEAN);
	r.verdict = V_FAIL;
	strcpy(r.reason, "scenario 4b: 12 pages lost");
	strcpy(by_reason.expect_title, "scenario 4b");
	ck_assert_int_eq(verify_classify(&by_reason, &r, &forbidden), RUN_HIT);
	ck_assert_int_eq(verify_classify(&by_report, &r, &forbidden), RUN_OTHER_CRASH);
	r.verdict = V_BROK;
	ck_assert_int_eq(verify_classify(&by_reason, &r, &forbidden), RUN_INFRA);
	/* A variant that expects a pass counts any FAIL as a hit of something. */
	struct variant pass = variant("", "", 0, 0);
	pass.expect = EXPECT_PASS;
	strcpy(pass.expect_title, "unrelated");
	r.verdict = V_FAIL;
	ck_assert_int_eq(verify_classify(&pass, &r, &forbidden), RUN_HIT);
	free(r.reports);
}
END_TEST

static struct tally counts(int hits, int clean, int other, int infra)
{
	struct tally t;

	memset(&t, 0, sizeof(t));
	t.hits = hits;
	t.clean = clean;
	t.other_crash = other;
	t.infra = infra;
	t.runs = hits + clean + other + infra;
	return t;
}

START_TEST(k_of_n_needs_the_share_and_clean_misses)
{
	struct variant v = variant("", "", 8, 10), all = variant("", "", 0, 0);
	struct tally t;

	t = counts(8, 2, 0, 0);
	ck_assert(verify_matches(&v, &t, 0));
	t = counts(7, 3, 0, 0);
	ck_assert(!verify_matches(&v, &t, 0));
	t = counts(2, 0, 0, 0);
	ck_assert(verify_matches(&v, &t, 0));
	/* Rounded down to whole runs: 8/10 of 2 runs wants one hit, of 1
	 * run none (one run that misses says nothing about an 80% race). */
	t = counts(1, 1, 0, 0);
	ck_assert(verify_matches(&v, &t, 0));
	t = counts(0, 2, 0, 0);
	ck_assert(!verify_matches(&v, &t, 0));
	t = counts(0, 1, 0, 0);
	ck_assert(verify_matches(&v, &t, 0));
	t = counts(15, 5, 0, 0);
	ck_assert(!verify_matches(&v, &t, 0));
	/* A miss must be clean: another crash or an untestable run is no miss. */
	t = counts(9, 0, 1, 0);
	ck_assert(!verify_matches(&v, &t, 0));
	t = counts(9, 0, 0, 1);
	ck_assert(!verify_matches(&v, &t, 0));
	/* A forbidden title anywhere is a mismatch. */
	t = counts(10, 0, 0, 0);
	ck_assert(verify_matches(&v, &t, 0));
	ck_assert(!verify_matches(&v, &t, 1));
	/* Plain fail: every run. */
	ck_assert(verify_matches(&all, &t, 0));
	t = counts(9, 1, 0, 0);
	ck_assert(!verify_matches(&all, &t, 0));
	t = counts(0, 0, 0, 0);
	ck_assert(!verify_matches(&v, &t, 0));
	ck_assert(!verify_matches(&all, &t, 0));
	t = counts(10, 0, 0, 0);
	t.interrupted = 1;
	ck_assert(!verify_matches(&all, &t, 0));
}
END_TEST

/* fail <= K/N: a known residual race; the other runs must be clean. */
START_TEST(at_most_k_of_n_allows_clean_runs_and_a_few_hits)
{
	struct variant v = variant("", "", 3, 10);
	struct tally t;

	v.rate_at_most = true;
	t = counts(0, 10, 0, 0);
	ck_assert(verify_matches(&v, &t, 0));
	t = counts(3, 7, 0, 0);
	ck_assert(verify_matches(&v, &t, 0));
	t = counts(4, 6, 0, 0);
	ck_assert(!verify_matches(&v, &t, 0));
	/* Rounded up to whole runs: 3/10 of 3 runs allows one hit, of 1 run one. */
	t = counts(1, 2, 0, 0);
	ck_assert(verify_matches(&v, &t, 0));
	t = counts(2, 1, 0, 0);
	ck_assert(!verify_matches(&v, &t, 0));
	t = counts(1, 0, 0, 0);
	ck_assert(verify_matches(&v, &t, 0));
	t = counts(7, 13, 0, 0);
	ck_assert(!verify_matches(&v, &t, 0));
	/* Another crash or an untestable run is neither a hit nor clean. */
	t = counts(0, 9, 1, 0);
	ck_assert(!verify_matches(&v, &t, 0));
	t = counts(1, 8, 0, 1);
	ck_assert(!verify_matches(&v, &t, 0));
	t = counts(0, 10, 0, 0);
	ck_assert(!verify_matches(&v, &t, 1));
	t = counts(0, 0, 0, 0);
	ck_assert(!verify_matches(&v, &t, 0));
}
END_TEST

START_TEST(pass_and_conf_need_every_run)
{
	struct variant pass = variant("", "", 0, 0), conf = variant("", "", 0, 0);
	struct tally t = counts(0, 3, 0, 0);

	pass.expect = EXPECT_PASS;
	conf.expect = EXPECT_CONF;
	ck_assert(verify_matches(&pass, &t, 0));
	t = counts(1, 2, 0, 0);
	ck_assert(!verify_matches(&pass, &t, 0));
	t = counts(0, 0, 0, 0);
	t.conf = t.runs = 2;
	ck_assert(verify_matches(&conf, &t, 0));
	ck_assert(!verify_matches(&pass, &t, 0));
}
END_TEST

Suite *verify_suite(void)
{
	Suite *s = suite_create("verify");
	TCase *t = tcase_create("expectations");

	tcase_add_test(t, titles_must_appear_in_order);
	tcase_add_test(t, page_words_check_the_first_run_report_with_a_dump);
	tcase_add_test(t, forbidden_titles_are_found_in_the_run_only);
	tcase_add_test(t, classify_runs_of_the_memcg_variants);
	tcase_add_test(t, classify_workload_fails_and_clean_runs);
	tcase_add_test(t, k_of_n_needs_the_share_and_clean_misses);
	tcase_add_test(t, at_most_k_of_n_allows_clean_runs_and_a_few_hits);
	tcase_add_test(t, pass_and_conf_need_every_run);
	suite_add_tcase(s, t);
	return s;
}
