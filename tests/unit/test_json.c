/* json_read.c's getters and file readers on hostile documents, and text.c's UTF-8 checks and escaping. */
#include "json_read.h"
#include "suites.h"
#include "text.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct json_object *parse(const char *text)
{
	struct json_object *o = json_tokener_parse(text);

	ck_assert_ptr_nonnull(o);
	return o;
}

START_TEST(getters_answer_null_for_missing_keys_and_other_types)
{
	struct json_object *o = parse("{\"s\":\"x\",\"e\":\"\",\"n\":5,\"a\":[1],\"o\":{},\"z\":null,\"t\":true}");
	struct json_object *arr = parse("[{\"s\":\"x\"}]");

	ck_assert_ptr_null(jget(o, "missing"));
	ck_assert_ptr_null(jget(o, "z"));
	ck_assert_ptr_null(jget(NULL, "s"));
	ck_assert_ptr_null(jget(arr, "s")); /* an array is no object */
	ck_assert_str_eq(jstring(o, "s"), "x");
	ck_assert_str_eq(jstring(o, "e"), "");
	ck_assert_ptr_null(jstring(o, "n"));
	ck_assert_ptr_null(jstr(o, "e"));
	ck_assert_str_eq(jstr(o, "s"), "x");
	ck_assert_ptr_null(jarr(o, "o"));
	ck_assert_ptr_nonnull(jarr(o, "a"));
	ck_assert_ptr_null(jobj(o, "a"));
	ck_assert_ptr_nonnull(jobj(o, "o"));
	ck_assert(!jbool(o, "s"));
	ck_assert(!jbool(o, "n"));
	ck_assert(jbool(o, "t"));
	json_object_put(arr);
	json_object_put(o);
}
END_TEST

START_TEST(jtext_gives_any_value_as_text_and_empty_for_missing_or_null)
{
	struct json_object *o = parse("{\"s\":\"x\",\"n\":5,\"z\":null,\"b\":false}");

	ck_assert_str_eq(jtext(o, "s"), "x");
	ck_assert_str_eq(jtext(o, "n"), "5");
	ck_assert_str_eq(jtext(o, "b"), "false");
	ck_assert_str_eq(jtext(o, "z"), "");
	ck_assert_str_eq(jtext(o, "missing"), "");
	ck_assert_str_eq(jtext(NULL, "s"), "");
	json_object_put(o);
}
END_TEST

START_TEST(numbers_are_typed_and_ranged)
{
	struct json_object *o = parse("{\"i\":7,\"d\":-1.5,\"big\":3e9,\"s\":\"12\",\"i64\":9223372036854775807}");
	double d = 0;
	long long v = 0;

	json_object_object_add(o, "inf", json_object_new_double(INFINITY));
	ck_assert(jnum(o, "d", &d) && d == -1.5);
	ck_assert(!jnum(o, "s", &d));
	ck_assert(!jnum(o, "inf", &d));
	ck_assert_int_eq(jint(o, "i", -9), 7);
	ck_assert_int_eq(jint(o, "d", -9), -1);
	ck_assert_int_eq(jint(o, "big", -9), -9);
	ck_assert_int_eq(jint(o, "s", -9), -9);
	ck_assert(jint_in(o, "i", 1, 7, &v) && v == 7);
	ck_assert(!jint_in(o, "i", 8, 9, &v));
	ck_assert(!jint_in(o, "d", -10, 10, &v)); /* a double is no integer here */
	ck_assert(!jint_in(o, "s", 0, 100, &v));
	ck_assert(jint_in(o, "i64", 0, LLONG_MAX, &v) && v == LLONG_MAX);
	ck_assert(!jint_in(o, "missing", 0, 1, &v));
	json_object_put(o);
}
END_TEST

START_TEST(loose_getters_convert_as_json_c_does)
{
	struct json_object *o = parse("{\"s\":\"12\",\"d\":2.75,\"big\":1e20,\"word\":\"x\",\"zero\":0,\"e\":\"\"}");

	ck_assert(jdouble_loose(o, "s") == 12);
	ck_assert(jdouble_loose(o, "missing") == 0);
	ck_assert_int_eq(jint_loose(o, "d"), 2);
	ck_assert_int_eq(jint_loose(o, "s"), 12);
	ck_assert_int_eq(jint_loose(o, "big"), INT_MAX);
	ck_assert_int_eq(jint_loose(NULL, "s"), 0);
	ck_assert(jbool_loose(o, "word"));
	ck_assert(!jbool_loose(o, "e"));
	ck_assert(!jbool_loose(o, "zero"));
	ck_assert(!jbool_loose(o, "missing"));
	json_object_put(o);
}
END_TEST

START_TEST(array_elements_past_the_end_or_of_non_arrays_are_null)
{
	struct json_object *o = parse("{\"a\":[1,2]}"), *a = jarr(o, "a");

	ck_assert_uint_eq(jlen(a), 2);
	ck_assert_int_eq(json_object_get_int(jat(a, 1)), 2);
	ck_assert_ptr_null(jat(a, 2));
	ck_assert_uint_eq(jlen(o), 0);
	ck_assert_ptr_null(jat(o, 0));
	ck_assert_uint_eq(jlen(NULL), 0);
	json_object_put(o);
}
END_TEST

/* Nesting deeper than json-c's limit must be refused, not recursed into. */
START_TEST(hostile_files_are_refused)
{
	size_t depth = 100000;
	char *deep = malloc(2 * depth + 1);
	struct json_object *o;
	const char *path;

	memset(deep, '[', depth);
	memset(deep + depth, ']', depth);
	deep[2 * depth] = '\0';
	path = test_temp_file(deep, ".json");
	errno = 0;
	ck_assert_ptr_null(jread_file(path, 1u << 20));
	ck_assert_int_eq(errno, EINVAL);
	free(deep);
	path = test_temp_file("{\"a\":1}", ".json");
	ck_assert_ptr_null(jread_file(path, 4)); /* over the size limit */
	path = test_temp_file("[1]", ".json");
	o = jread_file(path, 100);
	ck_assert_ptr_nonnull(o);
	json_object_put(o);
	errno = 0;
	ck_assert_ptr_null(jread_object(path, 100));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(jread_object("/nonexistent/x.json", 100));
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(load_json_names_file_and_line)
{
	char err[512] = "";
	const char *path = test_temp_file("{\n\"a\": 1,\n\"b\": }\n", ".json");
	char want[400];

	ck_assert_ptr_null(load_json(path, true, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s:3: not a JSON object", path);
	ck_assert_msg(strstr(err, want), "%s", err);
	path = test_temp_file("[1, 2]", ".json");
	ck_assert_ptr_null(load_json(path, true, err, sizeof(err)));
	ck_assert_msg(strstr(err, "another JSON type"), "%s", err);
	err[0] = '\0';
	ck_assert_ptr_null(load_json("/nonexistent/x.json", false, err, sizeof(err)));
	ck_assert_str_eq(err, "");
}
END_TEST

static size_t seq(const char *bytes, size_t n, unsigned *cp)
{
	return utf8_sequence_len((const unsigned char *)bytes, n, cp);
}

START_TEST(utf8_accepts_well_formed_sequences)
{
	unsigned cp = 0;

	ck_assert_uint_eq(seq("a", 1, &cp), 1);
	ck_assert_uint_eq(cp, 'a');
	ck_assert_uint_eq(seq("", 1, &cp), 1); /* the NUL byte */
	ck_assert_uint_eq(seq("\xC3\xA9", 2, &cp), 2);
	ck_assert_uint_eq(cp, 0xE9);
	ck_assert_uint_eq(seq("\xE2\x82\xAC", 3, &cp), 3);
	ck_assert_uint_eq(cp, 0x20AC);
	ck_assert_uint_eq(seq("\xF0\x9F\x98\x80", 4, &cp), 4);
	ck_assert_uint_eq(cp, 0x1F600);
	ck_assert_uint_eq(seq("\xF4\x8F\xBF\xBF", 4, NULL), 4);
	ck_assert_uint_eq(seq("\xC2\x80", 2, &cp), 2); /* a C1 control is valid UTF-8 */
	ck_assert(is_c1_control(cp) && is_c1_control(0x9B));
	ck_assert(!is_c1_control(0x7F) && !is_c1_control(0xA0));
}
END_TEST

START_TEST(utf8_refuses_overlong_surrogate_and_truncated_sequences)
{
	static const char *const bad[] = {
		"\xC0\x80", "\xC1\xBF",         /* overlong two-byte */
		"\xE0\x80\x80", "\xE0\x9F\xBF", /* overlong three-byte */
		"\xF0\x80\x80\x80", "\xF0\x8F\xBF\xBF", /* overlong four-byte */
		"\xED\xA0\x80", "\xED\xBF\xBF", /* surrogates */
		"\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF", /* past U+10FFFF, bad leads */
		"\x80", "\xBF",                 /* stray continuation bytes */
		"\xC3\x28", "\xE2\x28\xA1",     /* a continuation that is not one */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(seq(bad[i], strlen(bad[i]), NULL) == 0, "bad[%zu] accepted", i);
	ck_assert_uint_eq(seq("\xE2\x82\xAC", 2, NULL), 0); /* cut short by n */
	ck_assert_uint_eq(seq("\xF0\x9F\x98", 3, NULL), 0);
	ck_assert_uint_eq(seq("\xC3\xA9", 0, NULL), 0);
	ck_assert_uint_eq(seq("\xE2\x82", 3, NULL), 0); /* cut short by a NUL */
}
END_TEST

START_TEST(utf8_valid_prefix_stops_at_the_first_bad_byte)
{
	const char *s = "ab\xC3\xA9\xFF" "cd";

	ck_assert_uint_eq(utf8_valid_prefix(s, strlen(s)), 4);
	ck_assert_uint_eq(utf8_valid_prefix("abc", 3), 3);
	ck_assert_uint_eq(utf8_valid_prefix("a\xE2\x82", 3), 1);
	ck_assert_uint_eq(utf8_valid_prefix("", 0), 0);
}
END_TEST

START_TEST(xml_escape_escapes_markup_and_drops_forbidden_controls)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	xml_escape(f, "<a href=\"x\">&'\x01\x1b\n\t\xC3\xA9</a>");
	fclose(f);
	ck_assert_str_eq(buf, "&lt;a href=&quot;x&quot;&gt;&amp;&apos;\n\t\xC3\xA9&lt;/a&gt;");
	free(buf);
}
END_TEST

START_TEST(json_quote_writes_valid_json_within_cap)
{
	char out[64];
	size_t n = json_quote(out, sizeof(out), 0, "a\"\\\n\x01\x7f\xC3\xA9\xFF");
	struct json_object *o;

	out[n] = '\0';
	ck_assert_str_eq(out, "\"a\\\"\\\\\\n\\u0001\\u007f\xC3\xA9\\ufffd\"");
	o = json_tokener_parse(out);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(json_object_get_string(o), "a\"\\\n\x01\x7f\xC3\xA9\xEF\xBF\xBD");
	json_object_put(o);
	memset(out, 'z', sizeof(out));
	ck_assert_uint_eq(json_quote(out, 4, 0, "abcdef"), 8); /* the whole length, like snprintf */
	ck_assert_int_eq(memcmp(out, "\"ab", 3), 0);
	ck_assert_int_eq(out[3], 'z'); /* the last byte is left for the caller's NUL */
}
END_TEST

Suite *json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *t = tcase_create("json");

	tcase_add_test(t, getters_answer_null_for_missing_keys_and_other_types);
	tcase_add_test(t, jtext_gives_any_value_as_text_and_empty_for_missing_or_null);
	tcase_add_test(t, numbers_are_typed_and_ranged);
	tcase_add_test(t, loose_getters_convert_as_json_c_does);
	tcase_add_test(t, array_elements_past_the_end_or_of_non_arrays_are_null);
	tcase_add_test(t, hostile_files_are_refused);
	tcase_add_test(t, load_json_names_file_and_line);
	tcase_add_test(t, utf8_accepts_well_formed_sequences);
	tcase_add_test(t, utf8_refuses_overlong_surrogate_and_truncated_sequences);
	tcase_add_test(t, utf8_valid_prefix_stops_at_the_first_bad_byte);
	tcase_add_test(t, xml_escape_escapes_markup_and_drops_forbidden_controls);
	tcase_add_test(t, json_quote_writes_valid_json_within_cap);
	suite_add_tcase(s, t);
	return s;
}
