#include "result.h"
#include "suites.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct console_result console_with(enum console_end end, bool reached_workload)
{
	struct console_result c;

	memset(&c, 0, sizeof(c));
	c.end = end;
	for (int m = 0; m < MARK_COUNT; m++)
		c.mark_s[m] = -1;
	c.mark_s[MARK_INIT] = 1;
	if (reached_workload)
		c.mark_s[MARK_WORKLOAD_START] = 2;
	return c;
}

static struct run_result with_workload(const char *json)
{
	struct run_result r;

	memset(&r, 0, sizeof(r));
	strcpy(r.case_name, "c");
	r.index = 1;
	r.workload = json ? json_tokener_parse(json) : NULL;
	return r;
}

START_TEST(workload_verdicts_map)
{
	struct console_result con = console_with(CONSOLE_EXITED, true);
	const char *cases[][2] = {
		{ "{\"verdict\":\"PASS\",\"reason\":\"ok\"}", "PASS" },
		{ "{\"verdict\":\"FAIL\",\"reason\":\"lazyfree: ENOMEM\"}", "FAIL" },
		{ "{\"verdict\":\"CONF\",\"reason\":\"CONFIG_CMA is not set\"}", "CONF" },
		{ "{\"verdict\":\"BROK\",\"reason\":\"setup\"}", "BROK" },
	};
	for (size_t i = 0; i < 4; i++) {
		struct run_result r = with_workload(cases[i][0]);
		result_decide(&r, &con, "exit=0");
		ck_assert_str_eq(verdict_name(r.verdict), cases[i][1]);
		json_object_put(r.workload);
	}
}
END_TEST

START_TEST(crash_wins_over_workload_pass)
{
	struct console_result con = console_with(CONSOLE_EXITED, true);
	struct run_result r = with_workload("{\"verdict\":\"PASS\"}");

	r.report.crash = true;
	strcpy(r.report.title, "kernel BUG in migrate_misplaced_folio");
	result_decide(&r, &con, NULL);
	ck_assert_int_eq(r.verdict, V_FAIL);
	ck_assert_str_eq(r.reason, "kernel BUG in migrate_misplaced_folio");
	json_object_put(r.workload);
}
END_TEST

START_TEST(boot_that_never_reached_workload_is_untestable)
{
	struct console_result con = console_with(CONSOLE_IDLE, false);
	struct run_result r = with_workload(NULL);

	result_decide(&r, &con, NULL);
	ck_assert_int_eq(r.verdict, V_BROK);
	ck_assert_int_eq(verdict_exit_code(r.verdict), 125);
	ck_assert_ptr_nonnull(strstr(r.reason, "boot did not reach the workload"));
}
END_TEST

START_TEST(hang_during_workload_is_a_hit)
{
	struct console_result con = console_with(CONSOLE_TIMEOUT, true);
	struct run_result r = with_workload(NULL);

	result_decide(&r, &con, NULL);
	ck_assert_int_eq(r.verdict, V_FAIL);
	ck_assert_ptr_nonnull(strstr(r.report.title, "hang"));
}
END_TEST

START_TEST(interrupt_is_reported)
{
	struct console_result con = console_with(CONSOLE_INTERRUPTED, true);
	struct run_result r = with_workload(NULL);

	result_decide(&r, &con, NULL);
	ck_assert_int_eq(r.verdict, V_INTERRUPTED);
	ck_assert_int_eq(verdict_exit_code(r.verdict), 130);
}
END_TEST

START_TEST(exit_codes_follow_git_bisect)
{
	struct run_result r[3];

	memset(r, 0, sizeof(r));
	r[0].verdict = V_PASS;
	r[1].verdict = V_PASS;
	r[2].verdict = V_PASS;
	ck_assert_int_eq(verdict_exit_code_many(r, 3), 0);
	r[1].verdict = V_BROK;
	ck_assert_int_eq(verdict_exit_code_many(r, 3), 125);
	r[2].verdict = V_FAIL;
	ck_assert_int_eq(verdict_exit_code_many(r, 3), 1);
	r[0].verdict = V_CONF;
	r[1].verdict = V_CONF;
	r[2].verdict = V_CONF;
	ck_assert_int_eq(verdict_exit_code_many(r, 3), 125);
	ck_assert_int_eq(verdict_exit_code_many(r, 0), 125);
}
END_TEST

START_TEST(files_are_written_and_parse_back)
{
	const char *dir = test_temp_dir();
	struct run_result r[2];
	char path[512];

	memset(r, 0, sizeof(r));
	for (int i = 0; i < 2; i++) {
		strcpy(r[i].case_name, "smoke");
		strcpy(r[i].kernel_spec, "deb:6.12");
		strcpy(r[i].reason, "a <reason> & \"quotes\"");
		r[i].index = i + 1;
		snprintf(r[i].dir, sizeof(r[i].dir), "%s", dir);
	}
	r[0].verdict = V_PASS;
	r[1].verdict = V_FAIL;
	strcpy(r[1].report.title, "WARNING in mem_cgroup_move_account");
	r[1].report.crash = true;
	ck_assert_int_eq(result_write(&r[1]), 0);
	snprintf(path, sizeof(path), "%s/result.json", dir);
	struct json_object *o = json_object_from_file(path), *v;
	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, "title", &v));
	ck_assert_str_eq(json_object_get_string(v), "WARNING in mem_cgroup_move_account");
	ck_assert(json_object_object_get_ex(o, "exit_code", &v));
	ck_assert_int_eq(json_object_get_int(v), 1);
	json_object_put(o);

	ck_assert_int_eq(result_write_summary(dir, r, 2), 0);
	o = json_object_from_file(path);
	ck_assert(json_object_object_get_ex(o, "hits", &v));
	ck_assert_int_eq(json_object_get_int(v), 1);
	json_object_put(o);
	snprintf(path, sizeof(path), "%s/junit.xml", dir);
	char *junit = read_file(path, NULL);
	ck_assert_ptr_nonnull(strstr(junit, "tests=\"2\" failures=\"1\""));
	ck_assert_ptr_nonnull(strstr(junit, "a &lt;reason&gt; &amp; &quot;quotes&quot;"));
	free(junit);
	snprintf(path, sizeof(path), "%s/results.tap", dir);
	char *tap = read_file(path, NULL);
	ck_assert_ptr_nonnull(strstr(tap, "1..2\nok 1 - smoke deb:6.12 run 1\nnot ok 2 - smoke deb:6.12 run 2 # FAIL"));
	free(tap);
}
END_TEST

Suite *result_suite(void)
{
	Suite *s = suite_create("result");
	TCase *t = tcase_create("verdicts");

	tcase_add_test(t, workload_verdicts_map);
	tcase_add_test(t, crash_wins_over_workload_pass);
	tcase_add_test(t, boot_that_never_reached_workload_is_untestable);
	tcase_add_test(t, hang_during_workload_is_a_hit);
	tcase_add_test(t, interrupt_is_reported);
	tcase_add_test(t, exit_codes_follow_git_bisect);
	tcase_add_test(t, files_are_written_and_parse_back);
	suite_add_tcase(s, t);
	return s;
}
