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

START_TEST(crash_before_the_workload_is_untestable_unless_the_case_says_bug)
{
	struct console_result con = console_with(CONSOLE_EXITED, false);
	struct run_result r = with_workload(NULL);

	r.report.crash = true;
	strcpy(r.report.title, "kernel panic: VFS: Unable to mount root fs on unknown-block(0,0)");
	strcpy(r.qemu_error, "qemu-system-x86_64: warning: x");
	result_decide(&r, &con, NULL);
	ck_assert_int_eq(r.verdict, V_BROK);
	ck_assert_int_eq(verdict_exit_code(r.verdict), 125);
	ck_assert_ptr_nonnull(strstr(r.reason, "kernel crashed before the workload: kernel panic: VFS"));
	ck_assert_ptr_nonnull(strstr(r.reason, "; qemu: qemu-system-x86_64: warning: x"));
	/* The title stays for result.json. */
	ck_assert_str_eq(r.report.title, "kernel panic: VFS: Unable to mount root fs on unknown-block(0,0)");

	r = with_workload(NULL);
	r.boot_failure_is_bug = true;
	r.report.crash = true;
	strcpy(r.report.title, "kernel BUG in start_kernel");
	result_decide(&r, &con, NULL);
	ck_assert_int_eq(r.verdict, V_FAIL);
	ck_assert_str_eq(r.reason, "boot failure: kernel BUG in start_kernel");
	/* A hang before the workload, too. */
	con = console_with(CONSOLE_IDLE, false);
	r = with_workload(NULL);
	r.boot_failure_is_bug = true;
	result_decide(&r, &con, NULL);
	ck_assert_int_eq(r.verdict, V_FAIL);
}
END_TEST

START_TEST(guest_reasons_are_sanitised)
{
	struct console_result con = console_with(CONSOLE_EXITED, true);
	struct run_result r = with_workload("{\"verdict\":\"FAIL\",\"reason\":\"\\u001b[2Jgone\\r\\nline\"}");

	result_decide(&r, &con, "exit=1");
	ck_assert_int_eq(r.verdict, V_FAIL);
	ck_assert_str_eq(r.reason, "?[2Jgone??line");
	json_object_put(r.workload);
}
END_TEST

static struct guest_results channel(const char *text, size_t max)
{
	struct guest_results g;

	result_parse_channel(text, strlen(text), max, &g);
	return g;
}

START_TEST(result_channel_is_parsed_strictly)
{
	struct guest_results g = channel("mmrepro-result workload.status 6\nexit=0\n"
					 "mmrepro-result workload.json 2\n{}\nmmrepro-result-end\n", 100);

	ck_assert_str_eq(g.status, "exit=0");
	ck_assert_str_eq(g.json, "{}");
	ck_assert_str_eq(g.problem, "");
	result_free_channel(&g);
	/* A body may hold anything, newlines and NULs included; its length rules. */
	g = channel("mmrepro-result workload.json 5\na\nb\nc\n", 100);
	ck_assert_str_eq(g.json, "a\nb\nc");
	result_free_channel(&g);

	const char *bad[][2] = {
		{ "mmrepro-result ../../etc/passwd 1\nx\n", "malformed record header" },
		{ "mmrepro-result shadow 1\nx\n", "unknown record name" },
		{ "mmrepro-result workload.json 1\nx\nmmrepro-result workload.json 1\ny\n", "repeated record" },
		{ "mmrepro-result workload.json 1000\nx\n", "record over the size limit" },
		{ "mmrepro-result workload.json 50\nshort\n", "truncated record" },
		{ "mmrepro-result workload.json 99999999999999999999999\nx\n", "malformed record header" },
		{ "mmrepro-result workload.json -1\nx\n", "malformed record header" },
		{ "garbage\n", "malformed record header" },
		{ "mmrepro-result workload.status 3\na\rb\n", "status with a line break" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		g = channel(bad[i][0], 100);
		ck_assert_msg(!strcmp(g.problem, bad[i][1]), "row %zu: got '%s'", i, g.problem);
		result_free_channel(&g);
	}
	/* What came before a bad record is kept. */
	g = channel("mmrepro-result workload.status 6\nexit=0\nmmrepro-result evil 1\nx\n", 100);
	ck_assert_str_eq(g.status, "exit=0");
	ck_assert_ptr_null(g.json);
	result_free_channel(&g);
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
	tcase_add_test(t, crash_before_the_workload_is_untestable_unless_the_case_says_bug);
	tcase_add_test(t, guest_reasons_are_sanitised);
	tcase_add_test(t, result_channel_is_parsed_strictly);
	suite_add_tcase(s, t);
	return s;
}
