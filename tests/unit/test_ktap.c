/* Unit tests of host/ktap.c. */
#include "ktap.h"
#include "suites.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses a copy of exactly len bytes, so ASan catches any read past len. */
static void parse_n(struct ktap_result *r, const char *test, const char *text, size_t len,
		    int exit_code, const char *end_reason)
{
	char *copy = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, text, len);
	ck_assert_int_eq(ktap_parse(test, copy, len, exit_code, end_reason, r), 0);
	free(copy);
}

static void parse(struct ktap_result *r, const char *text, int exit_code, const char *end_reason)
{
	parse_n(r, "cow", text, strlen(text), exit_code, end_reason);
}

static void check_sub(const struct ktap_result *r, int i, const char *name,
		      enum ktap_status st, const char *reason, int number)
{
	ck_assert_int_lt(i, r->n);
	ck_assert_str_eq(r->subs[i].name, name);
	ck_assert_str_eq(ktap_status_name(r->subs[i].status), ktap_status_name(st));
	ck_assert_str_eq(r->subs[i].reason, reason);
	ck_assert_int_eq(r->subs[i].number, number);
}

START_TEST(flat_kselftest_output)
{
	struct ktap_result r;

	parse(&r,
	      "TAP version 13\n"
	      "1..7\n"
	      "# Starting 7 tests\n"
	      "ok 1 mmap works\n"
	      "not ok 2 madvise fails\n"
	      "ok 3 # SKIP hugetlb not available\n"
	      "ok 4 # XFAIL known broken on 6.1\n"
	      "ok 5 - pin works # xfail: tolerated\n"
	      "not ok 6 flaky # TODO fix later\n"
	      "not ok 7 # error setup failed\n"
	      "# Planned tests != run tests (7 != 7)\n"
	      "# Totals: pass:1 fail:1 xfail:2 xpass:0 skip:1 error:1\n",
	      1, NULL);
	ck_assert_int_eq(r.n, 7);
	ck_assert_int_eq(r.planned, 7);
	ck_assert(!r.truncated);
	ck_assert_str_eq(r.summary, "Totals: pass:1 fail:1 xfail:2 xpass:0 skip:1 error:1");
	check_sub(&r, 0, "mmap works", KTAP_PASS, "", 1);
	check_sub(&r, 1, "madvise fails", KTAP_FAIL, "", 2);
	check_sub(&r, 2, "hugetlb not available", KTAP_SKIP, "hugetlb not available", 3);
	check_sub(&r, 3, "known broken on 6.1", KTAP_XFAIL, "known broken on 6.1", 4);
	check_sub(&r, 4, "pin works", KTAP_XFAIL, "tolerated", 5);
	check_sub(&r, 5, "flaky", KTAP_XFAIL, "fix later", 6);
	check_sub(&r, 6, "setup failed", KTAP_ERROR, "setup failed", 7);
	ck_assert_str_eq(r.subs[0].test, "cow");
	ck_assert_str_eq(r.subs[6].test, "cow");
	ck_assert_int_eq(ktap_count(&r, KTAP_XFAIL), 3);
	ktap_free(&r);
	ck_assert_int_eq(r.n, 0);
	ck_assert_ptr_null(r.subs);
}
END_TEST

START_TEST(nested_subtests_two_levels)
{
	struct ktap_result r;

	parse(&r,
	      "KTAP version 1\n"
	      "1..2\n"
	      "    KTAP version 1\n"
	      "    # Subtest: suite_a\n"
	      "    1..2\n"
	      "        KTAP version 1\n"
	      "        # Subtest: param\n"
	      "        1..2\n"
	      "        ok 1 p1\n"
	      "        not ok 2 p2\n"
	      "    not ok 1 param\n"
	      "    ok 2 case_b # SKIP no numa\n"
	      "not ok 1 suite_a\n"
	      "    KTAP version 1\n"
	      "    # Subtest: suite_b\n"
	      "    1..1\n"
	      "    ok 1 x\n"
	      "ok 2 suite_b\n",
	      1, NULL);
	ck_assert_int_eq(r.n, 4);
	ck_assert_int_eq(r.planned, 2);
	ck_assert(!r.truncated);
	check_sub(&r, 0, "suite_a: param: p1", KTAP_PASS, "", 1);
	check_sub(&r, 1, "suite_a: param: p2", KTAP_FAIL, "", 2);
	check_sub(&r, 2, "suite_a: case_b", KTAP_SKIP, "no numa", 2);
	check_sub(&r, 3, "suite_b: x", KTAP_PASS, "", 1);
	ktap_free(&r);
}
END_TEST

START_TEST(failed_parent_with_passing_children_is_kept)
{
	struct ktap_result r;

	parse(&r,
	      "KTAP version 1\n1..1\n"
	      "    1..2\n    ok 1 a\n    ok 2 b\n"
	      "not ok 1 suite # crashed in teardown\n",
	      1, NULL);
	ck_assert_int_eq(r.n, 3);
	check_sub(&r, 0, "suite: a", KTAP_PASS, "", 1);
	check_sub(&r, 1, "suite: b", KTAP_PASS, "", 2);
	check_sub(&r, 2, "suite", KTAP_FAIL, "crashed in teardown", 1);
	ktap_free(&r);
}
END_TEST

START_TEST(skip_directive_on_not_ok)
{
	struct ktap_result r;

	parse(&r, "1..3\nnot ok 1 thp # SKIP no THP\nok 2 foo # skip lower case\n"
		  "ok 3 test#3 \\# not a directive\n", 0, NULL);
	ck_assert_int_eq(r.n, 3);
	check_sub(&r, 0, "thp", KTAP_SKIP, "no THP", 1);
	check_sub(&r, 1, "foo", KTAP_SKIP, "lower case", 2);
	check_sub(&r, 2, "test#3 \\# not a directive", KTAP_PASS, "", 3);
	ck_assert_int_eq(ktap_count(&r, KTAP_FAIL), 0);
	ktap_free(&r);
}
END_TEST

START_TEST(truncated_output_gets_error_entries)
{
	struct ktap_result r;

	parse(&r, "TAP version 13\n1..5\nok 1 a\nok 2 b\n# running c\n", -1, "kernel crashed");
	ck_assert_int_eq(r.n, 5);
	ck_assert_int_eq(r.planned, 5);
	ck_assert(r.truncated);
	check_sub(&r, 0, "a", KTAP_PASS, "", 1);
	check_sub(&r, 1, "b", KTAP_PASS, "", 2);
	check_sub(&r, 2, "#3 (no result: output ended)", KTAP_ERROR, "kernel crashed", 3);
	check_sub(&r, 3, "#4 (no result: output ended)", KTAP_ERROR, "kernel crashed", 4);
	check_sub(&r, 4, "#5 (no result: output ended)", KTAP_ERROR, "kernel crashed", 5);
	ck_assert_int_eq(ktap_count(&r, KTAP_ERROR), 3);
	ktap_free(&r);
}
END_TEST

START_TEST(truncated_inside_a_subtest)
{
	struct ktap_result r;

	parse(&r, "KTAP version 1\n1..2\n    KTAP version 1\n    # Subtest: suite\n"
		  "    1..3\n    ok 1 a\n", -1, "timeout after 180 s");
	ck_assert(r.truncated);
	ck_assert_int_eq(r.n, 5);
	check_sub(&r, 0, "suite: a", KTAP_PASS, "", 1);
	check_sub(&r, 1, "suite: #2 (no result: output ended)", KTAP_ERROR, "timeout after 180 s", 2);
	check_sub(&r, 2, "suite: #3 (no result: output ended)", KTAP_ERROR, "timeout after 180 s", 3);
	check_sub(&r, 3, "#1 (no result: output ended)", KTAP_ERROR, "timeout after 180 s", 1);
	check_sub(&r, 4, "#2 (no result: output ended)", KTAP_ERROR, "timeout after 180 s", 2);
	ktap_free(&r);
}
END_TEST

START_TEST(bail_out_ends_parsing)
{
	struct ktap_result r;

	parse(&r, "TAP version 13\n1..4\nok 1 a\nBail out! cannot mmap: ENOMEM\n"
		  "ok 2 ignored\n# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0\n", 1, NULL);
	ck_assert_int_eq(r.n, 4);
	ck_assert(r.truncated);
	check_sub(&r, 0, "a", KTAP_PASS, "", 1);
	check_sub(&r, 1, "#2 (no result: bailed out)", KTAP_ERROR, "cannot mmap: ENOMEM", 2);
	check_sub(&r, 3, "#4 (no result: bailed out)", KTAP_ERROR, "cannot mmap: ENOMEM", 4);
	ck_assert_str_eq(r.summary, "Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0");
	ktap_free(&r);

	/* ksft_exit_fail_msg before any plan: the exit code gives the one entry. */
	parse(&r, "TAP version 13\nBail out! no hugetlb pages\n", 1, NULL);
	ck_assert_int_eq(r.n, 1);
	ck_assert_int_eq(r.planned, -1);
	ck_assert(!r.truncated);
	check_sub(&r, 0, "cow", KTAP_FAIL, "no hugetlb pages", 0);
	ktap_free(&r);
}
END_TEST

START_TEST(no_ktap_uses_the_exit_code)
{
	struct ktap_result r;

	parse_n(&r, "hugetlb-madvise", "hugepages not configured\n# need 10 hugepages\n",
		strlen("hugepages not configured\n# need 10 hugepages\n"), 4, NULL);
	ck_assert_int_eq(r.n, 1);
	ck_assert_int_eq(r.planned, -1);
	check_sub(&r, 0, "hugetlb-madvise", KTAP_SKIP, "need 10 hugepages", 0);
	ck_assert_str_eq(r.subs[0].test, "hugetlb-madvise");
	ktap_free(&r);

	parse(&r, "plain text only\n", 4, NULL);
	check_sub(&r, 0, "cow", KTAP_SKIP, "exit 4", 0);
	ktap_free(&r);

	parse(&r, "Segmentation fault\n", 1, NULL);
	ck_assert_int_eq(r.n, 1);
	check_sub(&r, 0, "cow", KTAP_FAIL, "exit 1", 0);
	ktap_free(&r);

	parse(&r, "starting\n", -1, "timeout after 180 s");
	ck_assert_int_eq(r.n, 1);
	check_sub(&r, 0, "cow", KTAP_ERROR, "timeout after 180 s", 0);
	ck_assert(!r.truncated);
	ktap_free(&r);

	/* ksft_exit_skip before any plan. */
	parse(&r, "TAP version 13\n1..0 # SKIP no userfaultfd\n", 4, NULL);
	ck_assert_int_eq(r.n, 1);
	ck_assert_int_eq(r.planned, 0);
	ck_assert(!r.truncated);
	check_sub(&r, 0, "cow", KTAP_SKIP, "no userfaultfd", 0);
	ktap_free(&r);
}
END_TEST

START_TEST(exit_code_disagreeing_with_results)
{
	struct ktap_result r;

	parse(&r, "1..2\nok 1 a\nok 2 b\n# munmap failed\n", 1, NULL);
	ck_assert_int_eq(r.n, 3);
	check_sub(&r, 2, "cow", KTAP_FAIL, "munmap failed", 0);
	ktap_free(&r);

	parse(&r, "ok 1 a\n", -1, "kernel crashed");
	ck_assert_int_eq(r.n, 2);
	check_sub(&r, 1, "cow", KTAP_ERROR, "kernel crashed", 0);
	ktap_free(&r);

	/* ksft_exit_skip after a plan: the rest of the plan was skipped. */
	parse(&r, "1..3\nok 1 a\nok 2 # SKIP no hugetlb\n", 4, NULL);
	ck_assert_int_eq(r.n, 3);
	ck_assert(r.truncated);
	check_sub(&r, 2, "#3 (no result: test exited)", KTAP_SKIP, "exit 4", 3);
	ktap_free(&r);

	parse(&r, "1..1\nok 1 a\n", 0, NULL);
	ck_assert_int_eq(r.n, 1);
	ktap_free(&r);
}
END_TEST

START_TEST(hostile_names_are_sanitised)
{
	static const char text[] = "1..4\nok 1 a\x1b[31mb\xff\xc0\xaf\x7f" "c\xc2\x9b" "d\n"
				   "ok 2 ab\0cd # SKIP why\x07\n"
				   "ok 3 caf\xc3\xa9 \xe2\x9c\x93\n"
				   "not ok 4 \xed\xa0\x80 surrogate \xf4\x90\x80\x80 too big\n";
	struct ktap_result r;

	parse_n(&r, "cow\x1b", text, sizeof(text) - 1, 1, NULL);
	ck_assert_int_eq(r.n, 4);
	check_sub(&r, 0, "a?[31mb????c??d", KTAP_PASS, "", 1);
	check_sub(&r, 1, "ab?cd", KTAP_SKIP, "why?", 2);
	check_sub(&r, 2, "caf\xc3\xa9 \xe2\x9c\x93", KTAP_PASS, "", 3);
	check_sub(&r, 3, "??? surrogate ???? too big", KTAP_FAIL, "", 4);
	ck_assert_str_eq(r.subs[0].test, "cow?");
	ktap_free(&r);
}
END_TEST

START_TEST(long_names_are_cut)
{
	size_t n = 10240;
	char *text = malloc(3 * n + 64), *p = text;
	struct ktap_result r;

	ck_assert_ptr_nonnull(text);
	p += sprintf(p, "1..2\nok 1 ");
	memset(p, 'x', n);
	p += n;
	p += sprintf(p, " # SKIP ");
	memset(p, 'y', n);
	p += n;
	p += sprintf(p, "\nok 2 ");
	for (size_t i = 0; i < n / 2; i++)
		p += sprintf(p, "\xc3\xa9");
	*p++ = '\n';
	parse_n(&r, "cow", text, (size_t)(p - text), 0, NULL);
	ck_assert_int_eq(r.n, 2);
	ck_assert_uint_eq(strlen(r.subs[0].name), KTAP_NAME_MAX);
	ck_assert_uint_eq(strspn(r.subs[0].name, "x"), KTAP_NAME_MAX - 3);
	ck_assert_str_eq(r.subs[0].name + KTAP_NAME_MAX - 3, "...");
	ck_assert_uint_eq(strlen(r.subs[0].reason), KTAP_NAME_MAX);
	ck_assert_uint_eq(strspn(r.subs[0].reason, "y"), KTAP_NAME_MAX - 3);
	/* Cut on a character boundary: 254 whole "é", then "...". */
	ck_assert_uint_eq(strlen(r.subs[1].name), 254 * 2 + 3);
	ck_assert_str_eq(r.subs[1].name + 254 * 2, "...");
	ck_assert_int_eq(memcmp(r.subs[1].name + 252 * 2, "\xc3\xa9\xc3\xa9", 4), 0);
	ktap_free(&r);
	free(text);
}
END_TEST

START_TEST(caps_hold_against_floods)
{
	size_t n = (KTAP_MAX_SUBTESTS + 10) * 16;
	char *text = malloc(n), *p = text;
	struct ktap_result r;

	ck_assert_ptr_nonnull(text);
	for (int i = 1; i <= KTAP_MAX_SUBTESTS + 10; i++)
		p += sprintf(p, "ok %d t\n", i);
	parse_n(&r, "cow", text, (size_t)(p - text), 0, NULL);
	ck_assert_int_eq(r.n, KTAP_MAX_SUBTESTS);
	ck_assert(r.truncated);
	ck_assert_int_eq(r.subs[KTAP_MAX_SUBTESTS - 1].number, KTAP_MAX_SUBTESTS);
	ktap_free(&r);
	free(text);

	parse(&r, "1..99999999999999\nok 1 a\n", -1, NULL);
	ck_assert_int_eq(r.planned, 999999999);
	ck_assert_int_eq(r.n, KTAP_MAX_SUBTESTS);
	ck_assert(r.truncated);
	check_sub(&r, 1, "#2 (no result: output ended)", KTAP_ERROR, "output ended", 2);
	ktap_free(&r);
}
END_TEST

START_TEST(too_deep_lines_are_noise)
{
	size_t deep = KTAP_MAX_DEPTH * 4;
	char *text = malloc(deep + 64);
	struct ktap_result r;
	int len;

	ck_assert_ptr_nonnull(text);
	memset(text, ' ', deep);
	len = sprintf(text + deep, "ok 1 deep\nok 1 top\n");
	parse_n(&r, "cow", text, deep + (size_t)len, 0, NULL);
	ck_assert_int_eq(r.n, 1);
	check_sub(&r, 0, "top", KTAP_PASS, "", 1);
	ktap_free(&r);
	free(text);
}
END_TEST

START_TEST(duplicate_numbers_are_kept)
{
	struct ktap_result r;

	parse(&r, "1..2\nok 1 a\nnot ok 1 a\n", 1, NULL);
	ck_assert_int_eq(r.n, 2);
	ck_assert(!r.truncated);
	check_sub(&r, 0, "a", KTAP_PASS, "", 1);
	check_sub(&r, 1, "a", KTAP_FAIL, "", 1);
	ktap_free(&r);
}
END_TEST

START_TEST(crlf_line_ends)
{
	struct ktap_result r;

	parse(&r, "TAP version 13\r\n1..2\r\nok 1 first\r\nok 2 second # SKIP no swap\r\n"
		  "# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:1 error:0\r\n", 0, NULL);
	ck_assert_int_eq(r.n, 2);
	ck_assert_int_eq(r.planned, 2);
	check_sub(&r, 0, "first", KTAP_PASS, "", 1);
	check_sub(&r, 1, "second", KTAP_SKIP, "no swap", 2);
	ck_assert_str_eq(r.summary, "Totals: pass:1 fail:0 xfail:0 xpass:0 skip:1 error:0");
	ktap_free(&r);
}
END_TEST

START_TEST(console_noise_is_ignored)
{
	struct ktap_result r;

	parse(&r,
	      "TAP version 13\n"
	      "[   12.345678] BUG: Bad page state in process cow  pfn:1234\n"
	      "1..3\n"
	      "# [RUN] R/O longterm GUP pin\n"
	      "ok 1 pin\n"
	      "[   12.400000] ok 7 from the kernel\n"
	      "random text ok 9\n"
	      "  ok 8 two-space indent\n"
	      "okay 5 not a result\n"
	      "ok x not a number\n"
	      "ok 2 unpin\n"
	      "\tnot ok 6 tab indent\n"
	      "not ok 3 fork\n",
	      1, NULL);
	ck_assert_int_eq(r.n, 3);
	ck_assert(!r.truncated);
	check_sub(&r, 0, "pin", KTAP_PASS, "", 1);
	check_sub(&r, 1, "unpin", KTAP_PASS, "", 2);
	check_sub(&r, 2, "fork", KTAP_FAIL, "", 3);
	ktap_free(&r);
}
END_TEST

START_TEST(empty_input)
{
	struct ktap_result r;

	parse_n(&r, "cow", "", 0, 0, NULL);
	ck_assert_int_eq(r.n, 1);
	ck_assert_int_eq(r.planned, -1);
	ck_assert(!r.truncated);
	ck_assert_str_eq(r.summary, "");
	check_sub(&r, 0, "cow", KTAP_PASS, "", 0);
	ktap_free(&r);

	ck_assert_int_eq(ktap_parse(NULL, NULL, 0, -1, NULL, &r), 0);
	ck_assert_int_eq(r.n, 1);
	check_sub(&r, 0, "", KTAP_ERROR, "killed", 0);
	ktap_free(&r);
}
END_TEST

START_TEST(reads_stop_at_len)
{
	static const char text[] = "1..2\nok 1 foo\nok 2 barbaz";
	struct ktap_result r;

	parse_n(&r, "cow", text, strlen("1..2\nok 1 foo\nok 2 ba"), 0, NULL);
	ck_assert_int_eq(r.n, 2);
	check_sub(&r, 1, "ba", KTAP_PASS, "", 2);
	ktap_free(&r);
}
END_TEST

START_TEST(status_names)
{
	ck_assert_str_eq(ktap_status_name(KTAP_PASS), "PASS");
	ck_assert_str_eq(ktap_status_name(KTAP_FAIL), "FAIL");
	ck_assert_str_eq(ktap_status_name(KTAP_SKIP), "SKIP");
	ck_assert_str_eq(ktap_status_name(KTAP_XFAIL), "XFAIL");
	ck_assert_str_eq(ktap_status_name(KTAP_ERROR), "ERROR");
	ck_assert_str_eq(ktap_status_name((enum ktap_status)42), "?");
}
END_TEST

Suite *ktap_suite(void)
{
	Suite *s = suite_create("ktap");
	TCase *t = tcase_create("ktap");

	tcase_add_test(t, flat_kselftest_output);
	tcase_add_test(t, nested_subtests_two_levels);
	tcase_add_test(t, failed_parent_with_passing_children_is_kept);
	tcase_add_test(t, skip_directive_on_not_ok);
	tcase_add_test(t, truncated_output_gets_error_entries);
	tcase_add_test(t, truncated_inside_a_subtest);
	tcase_add_test(t, bail_out_ends_parsing);
	tcase_add_test(t, no_ktap_uses_the_exit_code);
	tcase_add_test(t, exit_code_disagreeing_with_results);
	tcase_add_test(t, hostile_names_are_sanitised);
	tcase_add_test(t, long_names_are_cut);
	tcase_add_test(t, caps_hold_against_floods);
	tcase_add_test(t, too_deep_lines_are_noise);
	tcase_add_test(t, duplicate_numbers_are_kept);
	tcase_add_test(t, crlf_line_ends);
	tcase_add_test(t, console_noise_is_ignored);
	tcase_add_test(t, empty_input);
	tcase_add_test(t, reads_stop_at_len);
	tcase_add_test(t, status_names);
	suite_add_tcase(s, t);
	return s;
}
