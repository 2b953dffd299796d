#include "series.h"
#include "suites.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void write_in(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

START_TEST(quilt_series_with_comments)
{
	const char *dir = test_temp_dir();
	struct series s;
	char err[512] = "";

	write_in(dir, "a.patch", "");
	write_in(dir, "b.patch", "");
	write_in(dir, "series", "# reintroduce the bug\na.patch\n\n  b.patch -p1 # inline comment\n");
	ck_assert_msg(series_load(dir, &s, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(s.npatches, 2);
	ck_assert_ptr_nonnull(strstr(s.patches[0], "/a.patch"));
	ck_assert_ptr_nonnull(strstr(s.patches[1], "/b.patch"));
	series_free(&s);
}
END_TEST

START_TEST(missing_patch_names_series_line)
{
	const char *dir = test_temp_dir();
	struct series s;
	char err[512] = "", want[300];

	write_in(dir, "a.patch", "");
	write_in(dir, "series", "a.patch\n# comment\nmissing.patch\n");
	ck_assert_int_eq(series_load(dir, &s, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s/series:3: patch 'missing.patch' does not exist", dir);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(empty_series_and_missing_dir)
{
	const char *dir = test_temp_dir();
	struct series s;
	char err[512] = "";

	write_in(dir, "series", "# nothing\n");
	ck_assert_int_eq(series_load(dir, &s, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "lists no patches"));
	ck_assert_int_eq(series_load("/nonexistent/series-dir", &s, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "--series /nonexistent/series-dir"));
}
END_TEST

static const char mbox[] =
	"From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001\n"
	"From: A <a@example.org>\nSubject: [PATCH 1/2] one\n\n---\n"
	"diff --git a/f.txt b/f.txt\n--- a/f.txt\n+++ b/f.txt\n@@ -1 +1 @@\n-old\n+new\n"
	"From 2222222222222222222222222222222222222222 Mon Sep 17 00:00:00 2001\n"
	"From: A <a@example.org>\nSubject: [PATCH 2/2] two\n\n---\n"
	"diff --git a/f.txt b/f.txt\n--- a/f.txt\n+++ b/f.txt\n@@ -1 +1 @@\n-new\n+newer\n";

START_TEST(mbox_splits_and_applies_in_order)
{
	const char *tree = test_temp_dir();
	char cmd[512], err[512] = "", msg[1024] = "", log[300];
	struct series s;

	write_in(tree, "f.txt", "old\n");
	snprintf(cmd, sizeof(cmd), "git -C %s init -q && git -C %s add f.txt", tree, tree);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(log, sizeof(log), "%s/apply.log", tree);
	ck_assert_msg(series_load(test_temp_file(mbox, ".mbox"), &s, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(s.npatches, 2);
	for (int i = 0; i < s.npatches; i++)
		ck_assert_msg(series_apply_patch(tree, s.patches[i], log, msg, sizeof(msg)) == 0, "%s", msg);
	snprintf(cmd, sizeof(cmd), "%s/f.txt", tree);
	char *text = read_file(cmd, NULL);
	ck_assert_str_eq(text, "newer\n");
	free(text);
	/* Applying the first patch again fails, and says which patch and hunk. */
	ck_assert_int_eq(series_apply_patch(tree, s.patches[0], log, msg, sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, s.patches[0]) && strstr(msg, "f.txt:1"), "%s", msg);
	series_free(&s);
}
END_TEST

START_TEST(failure_description_names_hunk)
{
	char msg[512];

	series_describe_failure("p/0001-x.patch", "Checking patch mm/gup.c...\nerror: patch failed: mm/gup.c:2345\n"
				"error: mm/gup.c: patch does not apply\n", msg, sizeof(msg));
	ck_assert_str_eq(msg, "patch p/0001-x.patch does not apply: hunk at mm/gup.c:2345 does not apply");
}
END_TEST

Suite *series_suite(void)
{
	Suite *s = suite_create("series");
	TCase *t = tcase_create("parse-apply");

	tcase_add_test(t, quilt_series_with_comments);
	tcase_add_test(t, missing_patch_names_series_line);
	tcase_add_test(t, empty_series_and_missing_dir);
	tcase_add_test(t, mbox_splits_and_applies_in_order);
	tcase_add_test(t, failure_description_names_hunk);
	suite_add_tcase(s, t);
	return s;
}
