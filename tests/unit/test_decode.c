/* Unit tests for host/decode.c: trace decoding with addr2line. The ELF
 * with DWARF decoded here is the suite's own build/mmrepro (built -g), so
 * the real addr2line runs on real line tables. */
#include <check.h>
#include <json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode.h"
#include "util.h"
#include "suites.h"

static const char *mmrepro_binary(char *buf, size_t len)
{
	const char *root = getenv("MMREPRO_ROOT");

	snprintf(buf, len, "%s/build/mmrepro", root && *root ? root : ".");
	ck_assert_msg(file_exists(buf), "%s is not built", buf);
	return buf;
}

/* A console with one WARNING whose frames name functions of build/mmrepro. */
static const char console[] = "[    1.000000] boot\n"
			      "[    2.000000] WARNING: CPU: 0 PID: 1 at host/report.c:10 report_parse_all+0x30/0x100\n"
			      "[    2.000001] Call Trace:\n"
			      "[    2.000002]  <TASK>\n"
			      "[    2.000003]  ? report_parse_from+0x20/0x90\n"
			      "[    2.000004]  report_parse+0x10/0x20\n"
			      "[    2.000005]  nosuch_fn+0x10/0x20\n"
			      "[    2.000006]  vfio_fn+0x10/0x20 [vfio]\n"
			      "[    2.000007]  </TASK>\n"
			      "[    2.000008] ---[ end trace 0000000000000000 ]---\n"
			      "after\n";

static struct json_object *frame(struct json_object *frames, size_t i, const char *key)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(json_object_array_get_idx(frames, i), key, &v);
	return v;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && !strcmp(s + n - t, tail);
}

START_TEST(test_clean_path)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "../../src/deb-6.12.117/mm/migrate.c", "mm/migrate.c" },
		{ "/root/.cache/mmrepro/obj/deb-6.12.117/../../src/deb-6.12.117/mm/migrate.c", "mm/migrate.c" },
		{ "/root/.cache/mmrepro/obj/deb-6.12.117/./include/generated/autoconf.h", "include/generated/autoconf.h" },
		{ "../../worktrees/git-0cce4366/include/linux/mm.h", "include/linux/mm.h" },
		{ "mm/./huge_memory.c", "mm/huge_memory.c" },
		{ "arch/x86/include/asm/../asm/atomic.h", "arch/x86/include/asm/atomic.h" },
		{ "mm/src/x.c", "mm/src/x.c" },
		{ "/usr/src/linux-6.1/mm/x.c", "mm/x.c" },
		{ "/../x.c", "/x.c" },
		{ "", "" },
	};
	char out[PATH_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		decode_clean_path(cases[i].in, out, sizeof(out));
		ck_assert_msg(!strcmp(out, cases[i].out), "%s: \"%s\", expected \"%s\"", cases[i].in, out,
			      cases[i].out);
	}
}
END_TEST

START_TEST(test_open_errors)
{
	char why[PATH_MAX + 128], bin[PATH_MAX], stripped[PATH_MAX + 32];
	const char *dir = test_temp_dir();

	ck_assert_ptr_null(decoder_open("", why, sizeof(why)));
	ck_assert_str_eq(why, "not decoded: no debug vmlinux");
	ck_assert_ptr_null(decoder_open("/nonexistent/vmlinux", why, sizeof(why)));
	ck_assert_msg(strstr(why, "cannot read /nonexistent/vmlinux"), "%s", why);
	ck_assert_ptr_null(decoder_open(test_temp_file("not an ELF file\n", ".txt"), why, sizeof(why)));
	ck_assert_msg(strstr(why, "is not a 64-bit little-endian ELF file"), "%s", why);
	ck_assert_ptr_null(decoder_open(dir, why, sizeof(why)));
	/* symbols but no DWARF: what the suite's kernels (DEBUG_INFO_NONE) give */
	snprintf(stripped, sizeof(stripped), "%s/stripped", dir);
	ck_assert_int_eq(run_cmd((char *[]){ "objcopy", "--strip-debug", (char *)mmrepro_binary(bin, sizeof(bin)),
					     stripped, NULL }, NULL, NULL), 0);
	ck_assert_ptr_null(decoder_open(stripped, why, sizeof(why)));
	ck_assert_msg(strstr(why, "has no debug info"), "%s", why);
}
END_TEST

START_TEST(test_find_vmlinux)
{
	char out[PATH_MAX], bin[PATH_MAX];

	decode_find_vmlinux(mmrepro_binary(bin, sizeof(bin)), "6.12.117+deb12-amd64", out, sizeof(out));
	ck_assert_str_eq(out, bin);
	decode_find_vmlinux("", "no-such-release", out, sizeof(out));
	ck_assert_str_eq(out, "");
	decode_find_vmlinux("/nonexistent", "../../etc", out, sizeof(out));
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_decode_frames)
{
	char why[PATH_MAX + 128], bin[PATH_MAX], *text = NULL;
	struct report r = { .crash = true, .start_line = 2, .end_line = 10 };
	struct json_object *frames, *locs;
	size_t tlen = 0;
	FILE *f = open_memstream(&text, &tlen);
	struct decoder *d = decoder_open(mmrepro_binary(bin, sizeof(bin)), why, sizeof(why));

	ck_assert_msg(d != NULL, "%s", why);
	ck_assert_int_eq(decode_report_frames(d, console, strlen(console), &r, f, &frames), 3);
	fclose(f);
	ck_assert_int_eq(json_object_array_length(frames), 5);
	/* the WARNING line's function, with its location in our source */
	ck_assert_str_eq(json_object_get_string(frame(frames, 0, "function")), "report_parse_all");
	ck_assert_int_eq(json_object_get_int(frame(frames, 0, "line")), 2);
	locs = frame(frames, 0, "locations");
	ck_assert_int_ge(json_object_array_length(locs), 1);
	struct json_object *loc = json_object_array_get_idx(locs, json_object_array_length(locs) - 1), *v;
	json_object_object_get_ex(loc, "file", &v);
	ck_assert_msg(ends_with(json_object_get_string(v), "host/report.c"), "%s", json_object_get_string(v));
	json_object_object_get_ex(loc, "line", &v);
	ck_assert_int_gt(json_object_get_int(v), 0);
	/* a "?" frame is decoded too, marked unreliable */
	ck_assert(!json_object_get_boolean(frame(frames, 1, "reliable")));
	ck_assert_ptr_nonnull(frame(frames, 1, "locations"));
	/* what cannot be decoded says why */
	ck_assert_str_eq(json_object_get_string(frame(frames, 3, "error")), "not in vmlinux");
	ck_assert_str_eq(json_object_get_string(frame(frames, 4, "module")), "vfio");
	ck_assert_str_eq(json_object_get_string(frame(frames, 4, "error")), "a module's frame");
	/* the decoded lines: the report's, each frame with its location */
	ck_assert_msg(strstr(text, "report_parse+0x10/0x20 (") && strstr(text, "host/report.c:"), "%s", text);
	ck_assert_msg(strstr(text, "nosuch_fn+0x10/0x20 (not decoded: not in vmlinux)\n"), "%s", text);
	ck_assert_ptr_null(strstr(text, "boot"));
	json_object_put(frames);
	free(text);
	decoder_close(d);
}
END_TEST

/* A guest can print reports of thousands of frames: past the first 1200
 * they are listed, not decoded. */
START_TEST(test_frame_cap)
{
	char why[PATH_MAX + 128], bin[PATH_MAX];
	size_t cap = 64 * 1400, o = 0;
	char *log = malloc(cap);
	struct report r = { .crash = true, .start_line = 1, .end_line = 1302 };
	struct json_object *frames;
	struct decoder *d = decoder_open(mmrepro_binary(bin, sizeof(bin)), why, sizeof(why));

	ck_assert_ptr_nonnull(log);
	ck_assert_msg(d != NULL, "%s", why);
	o += (size_t)snprintf(log + o, cap - o, "kernel BUG at x.c:1!\nCall Trace:\n");
	for (int i = 0; i < 1300; i++)
		o += (size_t)snprintf(log + o, cap - o, " report_parse+0x%x/0x20\n", 1 + i % 16);
	ck_assert_int_eq(decode_report_frames(d, log, o, &r, NULL, &frames), 1200);
	ck_assert_int_eq(json_object_array_length(frames), 1300);
	ck_assert_str_eq(json_object_get_string(frame(frames, 1299, "error")), "past the report's first 1200 frames");
	json_object_put(frames);
	decoder_close(d);
	free(log);
}
END_TEST

START_TEST(test_decode_console)
{
	char path[PATH_MAX + 64], bin[PATH_MAX], *text;
	const char *dir = test_temp_dir();
	struct json_object *out, *v;
	size_t len;

	snprintf(path, sizeof(path), "%s/console.log", dir);
	ck_assert_int_eq(write_file_atomic(path, console, strlen(console)), 0);
	out = decode_console(dir, mmrepro_binary(bin, sizeof(bin)), "");
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(json_object_array_length(out), 1);
	json_object_object_get_ex(json_object_array_get_idx(out, 0), "title", &v);
	ck_assert_str_eq(json_object_get_string(v), "WARNING in report_parse_all");
	ck_assert(json_object_object_get_ex(json_object_array_get_idx(out, 0), "frames", &v));
	json_object_put(out);
	snprintf(path, sizeof(path), "%s/console.decoded.log", dir);
	text = read_file(path, &len);
	ck_assert_ptr_nonnull(text);
	/* the whole console, lines outside the report as they are */
	ck_assert(!strncmp(text, "[    1.000000] boot\n[    2.000000] WARNING: CPU: 0", 50));
	ck_assert(ends_with(text, "---[ end trace 0000000000000000 ]---\nafter\n"));
	free(text);
	unlink(path);

	/* no debug vmlinux: each report says so, no decoded console */
	out = decode_console(dir, "", "no-such-release");
	json_object_object_get_ex(json_object_array_get_idx(out, 0), "not_decoded", &v);
	ck_assert_str_eq(json_object_get_string(v), "not decoded: no debug vmlinux");
	json_object_put(out);
	ck_assert(!file_exists(path));

	/* a clean console, or none: nothing */
	snprintf(path, sizeof(path), "%s/console.log", dir);
	ck_assert_int_eq(write_file_atomic(path, "boot\n", 5), 0);
	ck_assert_ptr_null(decode_console(dir, bin, ""));
	ck_assert_ptr_null(decode_console("/nonexistent", bin, ""));
}
END_TEST

Suite *decode_suite(void)
{
	Suite *s = suite_create("decode");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_clean_path);
	tcase_add_test(tc, test_open_errors);
	tcase_add_test(tc, test_find_vmlinux);
	tcase_add_test(tc, test_decode_frames);
	tcase_add_test(tc, test_frame_cap);
	tcase_add_test(tc, test_decode_console);
	suite_add_tcase(s, tc);
	return s;
}
