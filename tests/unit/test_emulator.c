/* The TCG artifact rule (emulator.c) on the shapes a report's Code: line takes. */
#include "emulator.h"
#include "report.h"
#include "suites.h"

#include <stdio.h>
#include <string.h>

struct code_case {
	const char *die;   /* the die line */
	const char *code;  /* the Code: line */
	enum emulator_artifact want;
};

static const struct code_case code_cases[] = {
	/* 6.12's die line; 6.1 prints no "Oops: " */
	{ "Oops: int3: 0000 [#1] PREEMPT SMP NOPTI", "Code: 41 54 55 53 66 <90> e8 71", EMU_TCG_STALE_INT3 },
	{ "int3: 0000 [#1] PREEMPT SMP NOPTI", "Code: 41 54 55 53 66 <90> e8 71", EMU_TCG_STALE_INT3 },
	/* the int3 is still in the text: a real one */
	{ "Oops: int3: 0000 [#1] PREEMPT SMP NOPTI", "Code: 41 54 55 53 cc <90> e8 71", EMU_NONE },
	{ "Oops: int3: 0000 [#1] PREEMPT SMP NOPTI", "Code: 41 54 55 53 CC <90> e8 71", EMU_NONE },
	/* nothing before the pointer, or no bytes at all: the line does not say */
	{ "Oops: int3: 0000 [#1] PREEMPT SMP NOPTI", "Code: <90> e8 71", EMU_NONE },
	{ "Oops: int3: 0000 [#1] PREEMPT SMP NOPTI", "Code: Unable to access opcode bytes at 0xffffffff81000000.",
	  EMU_NONE },
	{ "Oops: int3: 0000 [#1] PREEMPT SMP NOPTI", "Code: 41 54 55 53 6<90> e8", EMU_NONE },
	{ "Oops: int3: 0000 [#1] PREEMPT SMP NOPTI", "Code: 41 54 55 53 zz <90> e8", EMU_NONE },
	/* other dies never are */
	{ "Oops: invalid opcode: 0000 [#1] PREEMPT SMP NOPTI", "Code: 41 54 55 53 66 <0f> 0b", EMU_NONE },
	{ "Oops: general protection fault, probably for non-canonical address 0xdead: 0000 [#1] SMP",
	  "Code: 41 54 55 53 66 <48> 8b 07", EMU_NONE },
};

START_TEST(test_code_line_shapes)
{
	const struct code_case *t = &code_cases[_i];
	char log[1024];
	struct report r;

	snprintf(log, sizeof(log),
		 "[    1.000000] booting\n"
		 "[    1.666194] %s\n"
		 "[    1.666613] CPU: 1 UID: 0 PID: 0 Comm: swapper/1 Not tainted 6.12.118+deb12-amd64 #1\n"
		 "[    1.666895] RIP: 0010:sched_clock_cpu+0x9/0x190\n"
		 "[    1.667243] %s\n"
		 "[    1.667665] Call Trace:\n"
		 "[    1.668286]  <IRQ>\n"
		 "[    1.668642]  sysvec_call_function_single+0x71/0x90\n"
		 "[    1.668843]  </IRQ>\n",
		 t->die, t->code);
	report_parse(log, strlen(log), &r);
	ck_assert_msg(r.crash, "no report in case %d", _i);
	ck_assert_int_eq(emulator_artifact_of(log, strlen(log), &r), t->want);
}
END_TEST

/* The Code: line must be the report's own: one after its end says nothing. */
START_TEST(test_code_line_outside_report)
{
	const char *log = "[    1.0] Oops: int3: 0000 [#1] PREEMPT SMP NOPTI\n"
			  "[    1.1] RIP: 0010:sched_clock_cpu+0x9/0x190\n"
			  "[    1.2] Call Trace:\n"
			  "[    1.3]  sched_clock_cpu+0x9/0x190\n";
	struct report r;

	report_parse(log, strlen(log), &r);
	ck_assert(r.crash);
	r.end_line = 2;
	ck_assert_int_eq(emulator_artifact_of(log, strlen(log), &r), EMU_NONE);
	r.crash = false;
	ck_assert_int_eq(emulator_artifact_of(log, strlen(log), &r), EMU_NONE);
	ck_assert_int_eq(emulator_artifact_of(NULL, 0, &r), EMU_NONE);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(emulator_artifact_name(EMU_NONE), "");
	ck_assert_str_eq(emulator_artifact_name(EMU_TCG_STALE_INT3), "tcg-stale-int3");
	ck_assert_str_eq(emulator_artifact_why(EMU_NONE), "");
	ck_assert(strstr(emulator_artifact_why(EMU_TCG_STALE_INT3), "not a kernel bug"));
}
END_TEST

Suite *emulator_suite(void)
{
	Suite *s = suite_create("emulator");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_code_line_shapes, 0, sizeof(code_cases) / sizeof(code_cases[0]));
	tcase_add_test(tc, test_code_line_outside_report);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}
