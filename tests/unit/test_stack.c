/* expect_stack: a report's functions from its console frames and, where
 * the kernel was decoded, the functions inlined into them. */
#include "result.h"
#include "stack.h"
#include "suites.h"

#include <json-c/json.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A BUG from the seed-002 case's shape: do_numa_page() is inlined into
 * __handle_mm_fault(), so the console never names it. */
static const char oops[] =
	"[   10.000000] mmrepro-init: workload-start\n"
	"[   12.000001] ------------[ cut here ]------------\n"
	"[   12.000002] kernel BUG at mm/migrate.c:2631!\n"
	"[   12.000003] Oops: invalid opcode: 0000 [#1] PREEMPT SMP NOPTI\n"
	"[   12.000004] CPU: 1 UID: 0 PID: 123 Comm: toucher Not tainted 6.12.118 #1\n"
	"[   12.000005] RIP: 0010:migrate_misplaced_folio+0x2a6/0x2b0\n"
	"[   12.000006] Call Trace:\n"
	"[   12.000007]  <TASK>\n"
	"[   12.000008]  ? die+0x36/0x90\n"
	"[   12.000009]  __handle_mm_fault+0x8f1/0x1020\n"
	"[   12.000010]  handle_mm_fault+0xe1/0x2b0\n"
	"[   12.000011]  exc_page_fault+0x6b/0x150\n"
	"[   12.000012]  </TASK>\n"
	"[   12.000013] ---[ end trace 0000000000000000 ]---\n";

static struct run_result oops_run(void)
{
	struct run_result r;
	char path[4200];
	FILE *f;

	memset(&r, 0, sizeof(r));
	snprintf(r.dir, sizeof(r.dir), "%s", test_temp_dir());
	snprintf(path, sizeof(path), "%s/console.log", r.dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(oops, f);
	fclose(f);
	result_collect_reports(&r, oops, strlen(oops), 1);
	ck_assert_int_ge(r.nreports, 1);
	ck_assert_str_eq(r.reports[0].title, "kernel BUG in migrate_misplaced_folio");
	return r;
}

static struct stack_check check(const struct run_result *r, const char *a, const char *b)
{
	char words[2][STACK_WORD_LEN] = { "", "" };
	struct stack_check s;

	snprintf(words[0], sizeof(words[0]), "%s", a);
	if (b)
		snprintf(words[1], sizeof(words[1]), "%s", b);
	stack_check_run(r, words, b ? 2 : 1, &s);
	return s;
}

START_TEST(console_frames_without_decoding)
{
	struct run_result r = oops_run();
	struct stack_check s = check(&r, "__handle_mm_fault", "migrate_misplaced_folio");

	ck_assert(s.ok);
	ck_assert(!s.decoded);
	s = check(&r, "do_numa_page", NULL);
	ck_assert(!s.ok);
	ck_assert_msg(strstr(s.why, "no do_numa_page in the stack of 'kernel BUG in migrate_misplaced_folio' (not decoded"),
		      "%s", s.why);
	/* a "? die" guess is no frame */
	ck_assert(check(&r, "!die", NULL).ok);
	s = check(&r, "!handle_mm_fault", NULL);
	ck_assert(!s.ok);
	ck_assert_msg(strstr(s.why, "forbidden handle_mm_fault in the stack"), "%s", s.why);
	free(r.reports);
}
END_TEST

START_TEST(decoded_frames_add_inlined_functions)
{
	struct run_result r = oops_run();
	char json[600];
	struct stack_check s;

	snprintf(json, sizeof(json),
		 "[{\"title\":\"t\",\"start_line\":%d,\"frames\":[{\"function\":\"__handle_mm_fault\",\"reliable\":true,"
		 "\"locations\":[{\"function\":\"do_numa_page\"},{\"function\":\"handle_pte_fault\"}]},"
		 "{\"function\":\"die\",\"reliable\":false,\"locations\":[{\"function\":\"do_huge_pmd_numa_page\"}]}]}]",
		 r.reports[0].start_line);
	r.decoded = json_tokener_parse(json);
	s = check(&r, "do_numa_page", "!do_huge_pmd_numa_page");
	ck_assert_msg(s.ok, "%s", s.why);
	ck_assert(s.decoded);
	json_object_put(r.decoded);
	/* hostile shapes read as "not decoded", never as frames */
	snprintf(json, sizeof(json), "[{\"start_line\":%d,\"frames\":\"do_numa_page\"},7,{\"start_line\":\"x\"}]",
		 r.reports[0].start_line);
	r.decoded = json_tokener_parse(json);
	s = check(&r, "do_numa_page", NULL);
	ck_assert(!s.ok && !s.decoded);
	json_object_put(r.decoded);
	free(r.reports);
}
END_TEST

START_TEST(no_report_and_bad_words)
{
	struct run_result r;
	struct stack_check s;

	memset(&r, 0, sizeof(r));
	s = check(&r, "do_numa_page", NULL);
	ck_assert(!s.ok);
	ck_assert_str_eq(s.why, "no report to read a stack from");
	ck_assert(stack_word_valid("do_numa_page"));
	ck_assert(stack_word_valid("!copy_page.isra.0"));
	ck_assert(!stack_word_valid("!"));
	ck_assert(!stack_word_valid("f+0x1/0x2"));
	ck_assert(!stack_word_valid("a b"));
}
END_TEST

Suite *stack_suite(void)
{
	Suite *s = suite_create("stack");
	TCase *t = tcase_create("stack");

	tcase_add_test(t, console_frames_without_decoding);
	tcase_add_test(t, decoded_frames_add_inlined_functions);
	tcase_add_test(t, no_report_and_bad_words);
	suite_add_tcase(s, t);
	return s;
}
