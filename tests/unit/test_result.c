#include "result.h"
#include "suites.h"
#include "util.h"

#include <errno.h>
#include <glob.h>
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

/* seed 001's v1 kernel, trimmed: the WARNING, the BUG, the panic after it. */
static const char two_reports[] =
	"[    1.0] boot line\n"
	"mmrepro-init: workload-start /run/mmrepro/bin/memcg_move_charge\n"
	"[    5.075516] ------------[ cut here ]------------\n"
	"[    5.075700] WARNING: CPU: 0 PID: 38 at mm/memcontrol.c:5741 mem_cgroup_move_account+0x31e/0x6b0\n"
	"[    5.076332] RIP: 0010:mem_cgroup_move_account+0x31e/0x6b0\n"
	"[    5.077472] Call Trace:\n"
	"[    5.077809]  <TASK>\n"
	"[    5.077983]  mem_cgroup_move_charge_pte_range+0x32c/0x5a0\n"
	"[    5.078224]  mem_cgroup_move_task+0x5e/0xe0\n"
	"[    5.079757]  </TASK>\n"
	"[    5.079975] ---[ end trace 0000000000000000 ]---\n"
	"mmrepro: TPASS: move1: 30104 kB of charges moved with the task\n"
	"[    5.154176] ------------[ cut here ]------------\n"
	"[    5.159453] kernel BUG at mm/memory.c:4078!\n"
	"[    5.159809] invalid opcode: 0000 [#1] SMP\n"
	"[    5.160003] RIP: 0010:do_swap_page+0x8b2/0x9f0\n"
	"[    5.160863] Call Trace:\n"
	"[    5.160903]  <TASK>\n"
	"[    5.160930]  __handle_mm_fault+0x928/0x1700\n"
	"[    5.161027]  handle_mm_fault+0x191/0x260\n"
	"[    5.161738]  </TASK>\n"
	"[    5.161871] ---[ end trace 0000000000000000 ]---\n"
	"[    5.164090] Kernel panic - not syncing: Fatal exception\n"
	"[    5.165700] Kernel Offset: disabled\n";

START_TEST(every_report_is_collected_in_order)
{
	struct run_result r;
	int n;

	memset(&r, 0, sizeof(r));
	result_collect_reports(&r, two_reports, strlen(two_reports), 2);
	/* The "Fatal exception" panic after the BUG is part of it, not a report. */
	ck_assert_int_eq(r.nreports, 2);
	ck_assert_int_eq(r.nboot_reports, 0);
	ck_assert(!r.reports_truncated);
	ck_assert_str_eq(r.reports[0].title, "WARNING in mem_cgroup_move_account");
	ck_assert_int_eq(r.reports[0].start_line, 3);
	ck_assert_int_eq(r.reports[0].end_line, 11);
	ck_assert_str_eq(r.reports[1].title, "kernel BUG in do_swap_page");
	ck_assert_str_eq(r.reports[1].guilty_frame, "do_swap_page");
	ck_assert_int_eq(r.reports[1].start_line, 13);
	ck_assert_ptr_eq(result_run_reports(&r, &n), r.reports);
	ck_assert_int_eq(n, 2);
	/* Collecting again replaces what was there. */
	result_collect_reports(&r, two_reports, strlen(two_reports), 2);
	ck_assert_int_eq(r.nreports, 2);
	result_free_reports(&r);
	ck_assert_ptr_null(r.reports);
	ck_assert_int_eq(r.nreports, 0);
}
END_TEST

/* Reports before the workload's first line are the boot's, not the run's,
 * unless the case counts boot failures as its bug. */
START_TEST(reports_before_the_workload_are_boot_reports)
{
	struct run_result r;
	int n;

	memset(&r, 0, sizeof(r));
	result_collect_reports(&r, two_reports, strlen(two_reports), 12);
	ck_assert_int_eq(r.nreports, 2);
	ck_assert_int_eq(r.nboot_reports, 1);
	ck_assert_str_eq(result_run_reports(&r, &n)->title, "kernel BUG in do_swap_page");
	ck_assert_int_eq(n, 1);
	result_collect_reports(&r, two_reports, strlen(two_reports), 0);
	ck_assert_int_eq(r.nboot_reports, 2);
	result_run_reports(&r, &n);
	ck_assert_int_eq(n, 0);
	r.boot_failure_is_bug = true;
	result_collect_reports(&r, two_reports, strlen(two_reports), 0);
	ck_assert_int_eq(r.nboot_reports, 0);
	result_free_reports(&r);
	result_collect_reports(&r, "no report\nat all\n", 17, 1);
	ck_assert_int_eq(r.nreports, 0);
	ck_assert_ptr_null(result_run_reports(&r, &n));
	result_free_reports(&r);
}
END_TEST

static char *read_corpus_logs(size_t *len)
{
	char pattern[4096], *all = NULL;
	FILE *f = open_memstream(&all, len);
	glob_t g;

	snprintf(pattern, sizeof(pattern), "%s/tests/corpus/*.log", repo_root());
	ck_assert_int_eq(glob(pattern, 0, NULL, &g), 0);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		size_t n;
		char *text = read_file(g.gl_pathv[i], &n);
		ck_assert_ptr_nonnull(text);
		fwrite(text, 1, n, f);
		if (n && text[n - 1] != '\n')
			fputc('\n', f);
		free(text);
	}
	globfree(&g);
	fclose(f);
	return all;
}

/* The collection gives what report_parse_from(log, len, end_line + 1)
 * gives report after report, over every console in the corpus at once. */
START_TEST(collecting_equals_walking_with_report_parse_from)
{
	size_t len;
	char *log = read_corpus_logs(&len);
	struct run_result r;
	struct report want;
	int i = 0;

	memset(&r, 0, sizeof(r));
	result_collect_reports(&r, log, len, 1);
	for (int from = 1; report_parse_from(log, len, from, &want) == 0 && want.crash; from = want.end_line + 1) {
		ck_assert_int_lt(i, r.nreports);
		sanitize_text(want.title, false);
		ck_assert_str_eq(r.reports[i].title, want.title);
		ck_assert_int_eq(r.reports[i].start_line, want.start_line);
		ck_assert_int_eq(r.reports[i].end_line, want.end_line);
		i++;
	}
	ck_assert_int_eq(i, r.nreports);
	ck_assert_int_ge(r.nreports, 20);
	result_free_reports(&r);
	free(log);
}
END_TEST

/* A guest that prints a report a line keeps the host's memory bounded,
 * and says that it was cut. */
START_TEST(reports_are_capped_and_the_cap_is_said)
{
	static const char one[] = "[    1.0] kernel BUG at mm/x.c:1!\n[    1.1] invalid opcode: 0000 [#1] SMP\n"
				  "[    1.2] RIP: 0010:f\x1b[31m+0x1/0x2\n[    1.3] ---[ end trace 0 ]---\n";
	size_t n = (RESULT_MAX_REPORTS + 5) * (sizeof(one) - 1);
	char *log = malloc(n + 1);
	struct run_result r;

	for (size_t i = 0; i < RESULT_MAX_REPORTS + 5; i++)
		memcpy(log + i * (sizeof(one) - 1), one, sizeof(one) - 1);
	memset(&r, 0, sizeof(r));
	result_collect_reports(&r, log, n, 1);
	ck_assert_int_eq(r.nreports, RESULT_MAX_REPORTS);
	ck_assert(r.reports_truncated);
	for (int i = 0; i < r.nreports; i++)
		ck_assert_ptr_null(strchr(r.reports[i].title, '\x1b'));
	struct json_object *o = result_to_json(&r), *v;
	ck_assert(json_object_object_get_ex(o, "reports_truncated", &v) && json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(o, "reports", &v));
	ck_assert_int_eq((int)json_object_array_length(v), RESULT_MAX_REPORTS);
	json_object_put(o);
	result_free_reports(&r);
	free(log);
}
END_TEST

START_TEST(reports_go_to_result_json_in_order)
{
	struct run_result r;
	struct json_object *o, *a, *e, *v;

	memset(&r, 0, sizeof(r));
	strcpy(r.case_name, "c");
	result_collect_reports(&r, two_reports, strlen(two_reports), 12);
	o = result_to_json(&r);
	ck_assert(json_object_object_get_ex(o, "reports", &a));
	ck_assert_int_eq((int)json_object_array_length(a), 2);
	e = json_object_array_get_idx(a, 0);
	ck_assert(json_object_object_get_ex(e, "title", &v));
	ck_assert_str_eq(json_object_get_string(v), "WARNING in mem_cgroup_move_account");
	ck_assert(json_object_object_get_ex(e, "before_workload", &v) && json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(e, "start_line", &v));
	ck_assert_int_eq(json_object_get_int(v), 3);
	e = json_object_array_get_idx(a, 1);
	ck_assert(json_object_object_get_ex(e, "title", &v));
	ck_assert_str_eq(json_object_get_string(v), "kernel BUG in do_swap_page");
	ck_assert(json_object_object_get_ex(e, "before_workload", &v) && !json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(o, "reports_truncated", &v) && !json_object_get_boolean(v));
	json_object_put(o);
	result_free_reports(&r);
}
END_TEST

/* corrupted and the page dump go to result.json and come back. */
START_TEST(page_dump_and_corrupted_round_trip)
{
	static const char log[] =
		"[    1.0] mmrepro-init: workload-start x\n"
		"[    2.0] BUG: Bad page state in process a  pfn:10a400\n"
		"[    2.1] page: refcount:0 mapcount:1 mapping:0000000000000000 index:0x7f8a40000 pfn:0x10a400\n"
		"[    2.2] head: order:9 mapcount:1 entire_mapcount:1 nr_pages_mapped:0 pincount:0\n"
		"[    2.3] memcg:ffff888104ac6000\n"
		"[    2.4] anon flags: 0x17ffffc0000068(uptodate|lru|head|node=0|zone=2)\n"
		"[    2.5] page dumped because: nonzero \"mapcount\"\n"
		"[    2.6] Call Trace:\n"
		"[    2.7]  free_unref_folios+0x4b5/0x6e0\n";
	struct run_result r, back;
	const struct report_page *p;

	memset(&r, 0, sizeof(r));
	memset(&back, 0, sizeof(back));
	strcpy(r.case_name, "c");
	snprintf(r.dir, sizeof(r.dir), "%s", test_temp_dir());
	result_collect_reports(&r, log, strlen(log), 1);
	ck_assert_int_eq(r.nreports, 1);
	r.reports[0].corrupted = true;
	ck_assert_int_eq(result_write(&r), 0);
	ck_assert_int_eq(result_read(r.dir, &back), 0);
	ck_assert_int_eq(back.nreports, 1);
	ck_assert(back.reports[0].corrupted);
	p = &back.reports[0].page;
	ck_assert(p->present && !p->malformed);
	ck_assert_int_eq(p->line, 3);
	ck_assert_int_eq(p->refcount, 0);
	ck_assert_int_eq(p->mapcount, 1);
	ck_assert(p->have_pfn && p->pfn == 0x10a400);
	ck_assert(p->have_mapping && p->mapping == 0);
	ck_assert_uint_eq(p->index, 0x7f8a40000UL);
	ck_assert(p->large && p->order == 9);
	ck_assert(p->have_memcg && p->memcg == 0xffff888104ac6000UL);
	ck_assert(p->anon && !p->file && !p->ksm);
	ck_assert(p->have_flags && p->flags_raw == 0x17ffffc0000068UL);
	ck_assert_str_eq(p->flags, "uptodate|lru|head");
	ck_assert_str_eq(p->reason, r.reports[0].page.reason);
	result_free_reports(&r);
	result_free_reports(&back);
}
END_TEST

/* The emulator artifact and its retries come back from result.json; a
 * hostile file's unknown artifact or negative count does not. */
START_TEST(emulator_artifact_round_trips)
{
	struct run_result r, back;
	char path[4300];
	FILE *f;

	memset(&r, 0, sizeof(r));
	memset(&back, 0, sizeof(back));
	strcpy(r.case_name, "c");
	snprintf(r.dir, sizeof(r.dir), "%s", test_temp_dir());
	r.verdict = V_BROK;
	r.emulator = EMU_TCG_STALE_INT3;
	r.emulator_retries = 2;
	ck_assert_int_eq(result_write(&r), 0);
	ck_assert_int_eq(result_read(r.dir, &back), 0);
	ck_assert_int_eq(back.emulator, EMU_TCG_STALE_INT3);
	ck_assert_int_eq(back.emulator_retries, 2);
	snprintf(path, sizeof(path), "%s/result.json", r.dir);
	f = fopen(path, "w");
	ck_assert(f != NULL);
	fputs("{\"verdict\":\"BROK\",\"emulator_artifact\":\"rm -rf\",\"emulator_retries\":-7}", f);
	fclose(f);
	ck_assert_int_eq(result_read(r.dir, &back), 0);
	ck_assert_int_eq(back.emulator, EMU_NONE);
	ck_assert_int_eq(back.emulator_retries, 0);
	result_free_reports(&back);
}
END_TEST

/* A summary that cannot be written says which file and why, and every
 * file is still tried. */
START_TEST(summary_write_failure_names_the_file)
{
	const char *dir = test_temp_dir();
	char out[512], failed[600], path[600];
	struct run_result r;

	memset(&r, 0, sizeof(r));
	strcpy(r.case_name, "smoke");
	r.index = 1;
	r.verdict = V_PASS;
	snprintf(out, sizeof(out), "%s/not-a-dir", dir);
	ck_assert_int_eq(write_file_atomic(out, "x", 1), 0);
	ck_assert_int_eq(result_write_summary_at(out, &r, 1, failed, sizeof(failed)), -ENOTDIR);
	snprintf(path, sizeof(path), "%s/result.json", out);
	ck_assert_str_eq(failed, path);
	ck_assert_int_eq(result_write_summary(out, &r, 1), -ENOTDIR);
	ck_assert_int_eq(result_write_summary_at(dir, &r, 1, failed, sizeof(failed)), 0);
	ck_assert_str_eq(failed, "");
	snprintf(r.dir, sizeof(r.dir), "%s", out);
	ck_assert_int_eq(result_write(&r), -ENOTDIR);
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
	tcase_add_test(t, every_report_is_collected_in_order);
	tcase_add_test(t, reports_before_the_workload_are_boot_reports);
	tcase_add_test(t, collecting_equals_walking_with_report_parse_from);
	tcase_add_test(t, reports_are_capped_and_the_cap_is_said);
	tcase_add_test(t, reports_go_to_result_json_in_order);
	tcase_add_test(t, page_dump_and_corrupted_round_trip);
	tcase_add_test(t, emulator_artifact_round_trips);
	tcase_add_test(t, summary_write_failure_names_the_file);
	suite_add_tcase(s, t);
	return s;
}
