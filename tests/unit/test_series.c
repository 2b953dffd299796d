#include "series.h"
#include "suites.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

	write_in(dir, "a.patch", "diff --git a/f b/f\n");
	write_in(dir, "b.patch", "diff --git a/g b/g\n");
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

	write_in(dir, "a.patch", "diff --git a/f b/f\n");
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

/* A patch that creates the file `name` holding "x". */
static void write_new_file_patch(const char *dir, const char *patch, const char *name)
{
	char text[512];

	snprintf(text, sizeof(text), "diff --git a/%s b/%s\nnew file mode 100644\n--- /dev/null\n+++ b/%s\n"
		 "@@ -0,0 +1 @@\n+x\n", name, name, name);
	write_in(dir, patch, text);
}

static void assert_nothing_injected(const char *const *dirs, int n)
{
	for (int i = 0; i < n; i++)
		ck_assert_msg(!test_dir_has_entry_starting(dirs[i], "PWNED"), "a PWNED file appeared in %s", dirs[i]);
}

static const char *const hostile_names[] = {
	"x';touch${IFS}PWNED;'.patch", "$(touch${IFS}PWNED2).patch", "`touch${IFS}PWNED3`.patch", "a,b.patch",
};

START_TEST(hostile_patch_names_in_quilt_series_apply_without_a_shell)
{
	char tree[128], patches[128], log[160], orig[4096], err[512] = "", msg[1024] = "", path[256];
	const char *dirs[] = { tree, patches, orig, "." };
	struct series s;

	ck_assert_ptr_nonnull(getcwd(orig, sizeof(orig)));
	snprintf(tree, sizeof(tree), "%s", test_git_repo());
	snprintf(patches, sizeof(patches), "%s", test_temp_dir());
	snprintf(log, sizeof(log), "%s/apply.log", patches);
	ck_assert_int_eq(chdir(patches), 0);
	write_in(patches, "series", "x';touch${IFS}PWNED;'.patch\n$(touch${IFS}PWNED2).patch -p1\n"
		 "`touch${IFS}PWNED3`.patch\na,b.patch\n");
	for (int i = 0; i < 4; i++) {
		char file[8];
		snprintf(file, sizeof(file), "n%d", i);
		write_new_file_patch(patches, hostile_names[i], file);
	}
	ck_assert_msg(series_load(patches, &s, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(s.npatches, 4);
	for (int i = 0; i < s.npatches; i++)
		ck_assert_msg(series_apply_patch(tree, s.patches[i], log, msg, sizeof(msg)) == 0, "%s", msg);
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/n%d", tree, i);
		ck_assert_msg(file_exists(path), "patch %s was not applied", hostile_names[i]);
	}
	/* Applying one again fails, and the message names the hostile file. */
	ck_assert_int_eq(series_apply_patch(tree, s.patches[0], log, msg, sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, hostile_names[0]) != NULL, "%s", msg);
	series_free(&s);
	assert_nothing_injected(dirs, 4);
	ck_assert_int_eq(chdir(orig), 0);
}
END_TEST

/* Spaces and newlines cannot be listed in a quilt series (a line holds a
 * name and its options), but a patch path may still hold them. */
START_TEST(patch_paths_with_spaces_and_newlines_apply_without_a_shell)
{
	char tree[128], patches[128], log[160], orig[4096], err[512] = "", msg[1024] = "", path[300];
	const char *dirs[] = { tree, patches, orig, "." };
	const char *names[] = { "$(touch PWNED4) a.patch", "b\n`touch PWNED5`.patch", "c; touch PWNED6 #.patch" };
	struct series s;

	ck_assert_ptr_nonnull(getcwd(orig, sizeof(orig)));
	snprintf(tree, sizeof(tree), "%s", test_git_repo());
	snprintf(patches, sizeof(patches), "%s", test_temp_dir());
	snprintf(log, sizeof(log), "%s/apply.log", patches);
	ck_assert_int_eq(chdir(patches), 0);
	for (int i = 0; i < 3; i++) {
		char file[8];
		snprintf(file, sizeof(file), "m%d", i);
		write_new_file_patch(patches, names[i], file);
		snprintf(path, sizeof(path), "%s/%s", patches, names[i]);
		ck_assert_msg(series_apply_patch(tree, path, log, msg, sizeof(msg)) == 0, "%s", msg);
		snprintf(path, sizeof(path), "%s/%s", tree, file);
		ck_assert(file_exists(path));
	}
	write_in(patches, "series", "$(touch PWNED4) a.patch\n");
	ck_assert_int_eq(series_load(patches, &s, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "series:1: patch '$(touch' does not exist") != NULL, "%s", err);
	assert_nothing_injected(dirs, 4);
	ck_assert_int_eq(chdir(orig), 0);
}
END_TEST

START_TEST(bad_series_rejected)
{
	const char *empty = test_temp_dir();
	char listing[128], err[512] = "";
	struct series s;

	ck_assert_int_eq(series_load(empty, &s, err, sizeof(err)), -1);
	ck_assert_msg(!strncmp(err, "--series ", 9) && strstr(err, "no readable 'series' file"), "%s", err);
	snprintf(listing, sizeof(listing), "%s", test_temp_dir());
	write_in(listing, "series", "\n# only comments\n   \n");
	ck_assert_int_eq(series_load(listing, &s, err, sizeof(err)), -1);
	ck_assert_msg(!strncmp(err, "--series ", 9) && strstr(err, "lists no patches"), "%s", err);
	ck_assert_int_eq(series_load(test_temp_file("From x Mon Sep 17 00:00:00 2001\nFrom: A <a@example.org>\n"
						    "Subject: [PATCH 0/1] cover letter\n\n--- words\nno diff here\n",
						    ".mbox"), &s, err, sizeof(err)), -1);
	ck_assert_msg(!strncmp(err, "--series ", 9) && strstr(err, "no message in the mbox is a patch"), "%s", err);
	ck_assert_int_eq(series_load(test_temp_file("", ".mbox"), &s, err, sizeof(err)), -1);
	ck_assert_msg(!strncmp(err, "--series ", 9), "%s", err);
	ck_assert_int_eq(series_load("/nonexistent/x.mbox", &s, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "--series /nonexistent/x.mbox: No such file or directory");
}
END_TEST

START_TEST(mbox_with_cover_letter_and_patch_loads)
{
	static const char text[] = "From x Mon Sep 17 00:00:00 2001\nSubject: [PATCH 0/1] cover\n\nwords\n"
				   "From y Mon Sep 17 00:00:00 2001\nSubject: [PATCH 1/1] one\n\n---\n"
				   "--- a/f.txt\n+++ b/f.txt\n@@ -1 +1 @@\n-old\n+new\n";
	char err[512] = "";
	struct series s;

	ck_assert_msg(series_load(test_temp_file(text, ".mbox"), &s, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(s.npatches, 2);
	series_free(&s);
}
END_TEST

START_TEST(patch_text_detection)
{
	ck_assert(series_text_is_patch("Subject: x\n\ndiff --git a/f b/f\n"));
	ck_assert(series_text_is_patch("intro\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n"));
	ck_assert(!series_text_is_patch("Subject: x\n\n---\n 1 file changed\n"));
	ck_assert(!series_text_is_patch("--- a/f\nsomething\n+++ b/f\n"));
	ck_assert(!series_text_is_patch("--- a/f"));
	ck_assert(!series_text_is_patch(""));
}
END_TEST

/* A config merged from the unpatched tree is reused only when no patch
 * touches what Kconfig reads. */
START_TEST(kconfig_touching_patches_are_recognised)
{
	static const struct {
		const char *text;
		bool touches;
	} table[] = {
		{ "diff --git a/mm/gup.c b/mm/gup.c\n--- a/mm/gup.c\n+++ b/mm/gup.c\n@@ -1 +1 @@\n", false },
		{ "--- a/mm/Kconfig\n+++ b/mm/Kconfig\n@@ -1 +1 @@\n", true },
		{ "--- a/arch/x86/Kconfig.debug\n+++ b/arch/x86/Kconfig.debug\n", true },
		{ "--- a/arch/x86/configs/tiny.config\t2024-01-01\n+++ b/arch/x86/configs/tiny.config\n", true },
		{ "--- a/kernel/configs/debug.config\n+++ b/kernel/configs/debug.config\n", true },
		{ "--- a/scripts/kconfig/confdata.c\n+++ b/scripts/kconfig/confdata.c\n", true },
		{ "--- /dev/null\n+++ b/mm/Kconfig.new\n", true },
		{ "diff --git a/mm/x.c b/mm/Kconfig\nrename from mm/x.c\nrename to mm/Kconfig\n", true },
		{ "--- a/Documentation/Kconfig-howto.rst\n+++ b/Documentation/Kconfig-howto.rst\n", false },
		{ "Subject: mm: Kconfig is not a path here\n--- a/mm/memory.c\n+++ b/mm/memory.c\n", false },
		{ "", false },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		ck_assert_msg(series_text_touches_kconfig(table[i].text) == table[i].touches, "row %zu: %s", i,
			      table[i].text);
}
END_TEST

/* Loads a quilt dir whose series lists `entry` and expects the error
 * "DIR/series:2: patch 'ENTRY' WHY...". */
static void assert_entry_refused(const char *dir, const char *entry, const char *why)
{
	char list[600], err[1024] = "", want[1024];
	struct series s;

	snprintf(list, sizeof(list), "a.patch\n%s\n", entry);
	write_in(dir, "a.patch", "diff --git a/f b/f\n");
	write_in(dir, "series", list);
	ck_assert_int_eq(series_load(dir, &s, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s/series:2: patch '%s' %s", dir, entry, why);
	ck_assert_msg(!strncmp(err, want, strlen(want)), "got '%s', want '%s...'", err, want);
	ck_assert_int_eq(s.npatches, 0);
}

/* A series names files inside its own dir, and only patches: git apply
 * would otherwise read any host file as root, after the source is unpacked. */
START_TEST(series_entries_stay_inside_and_are_patches)
{
	char dir[128], outside[128], path[300];

	snprintf(dir, sizeof(dir), "%s", test_temp_dir());
	snprintf(outside, sizeof(outside), "%s", test_temp_dir());
	write_in(outside, "root-only.patch", "diff --git a/f b/f\n");
	assert_entry_refused(dir, "../../etc/passwd", "leaves the series dir");
	assert_entry_refused(dir, "sub/../../x.patch", "leaves the series dir");
	assert_entry_refused(dir, "/etc/passwd", "leaves the series dir");
	snprintf(path, sizeof(path), "%s/link.patch", dir);
	ck_assert_int_eq(symlink("/etc/shadow", path), 0);
	assert_entry_refused(dir, "link.patch", "is a symbolic link");
	snprintf(path, sizeof(path), "%s/fifo.patch", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	assert_entry_refused(dir, "fifo.patch", "is not a regular file");
	snprintf(path, sizeof(path), "%s/d", dir);
	ck_assert_int_eq(symlink(outside, path), 0);
	assert_entry_refused(dir, "d/root-only.patch", "leaves the series dir (through a linked directory)");
	write_in(dir, "notes.txt", "root:x:0:0:root:/root:/bin/bash\n");
	assert_entry_refused(dir, "notes.txt", "is not a patch");
	write_in(dir, "big.patch", "diff --git a/f b/f\n");
	snprintf(path, sizeof(path), "%s/big.patch", dir);
	ck_assert_int_eq(truncate(path, (off_t)65 << 20), 0);
	assert_entry_refused(dir, "big.patch", "cannot be read: larger than 64 MiB");
}
END_TEST

/* Names that merely hold dots stay usable; a subdir of the series works. */
START_TEST(series_entries_with_dots_and_subdirs_load)
{
	char dir[128], sub[200];
	char err[512] = "";
	struct series s;

	snprintf(dir, sizeof(dir), "%s", test_temp_dir());
	snprintf(sub, sizeof(sub), "%s/v2..fix", dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	write_in(dir, "0001-a..b.patch", "diff --git a/f b/f\n");
	write_in(sub, "0002.patch", "intro\n--- a/g\n+++ b/g\n");
	write_in(dir, "series", "0001-a..b.patch\nv2..fix/0002.patch\n");
	ck_assert_msg(series_load(dir, &s, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(s.npatches, 2);
	series_free(&s);
}
END_TEST

/* A series file that is a FIFO would block the read forever. */
START_TEST(series_list_that_is_a_fifo_is_refused)
{
	char dir[128], path[200], err[512] = "";
	struct series s;

	snprintf(dir, sizeof(dir), "%s", test_temp_dir());
	snprintf(path, sizeof(path), "%s/series", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(series_load(dir, &s, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "no readable 'series' file"), "%s", err);
}
END_TEST

/* Before any build: the whole series is checked against the pristine tree
 * (patches one after another, a file carried from one to the next), the
 * tree is left as it was, and a failure names its patch. */
START_TEST(series_check_applies_names_the_first_bad_patch)
{
	char tree[128], log[200], err[512] = "", msg[1024] = "";
	const char *head = "From 1 Mon Sep 17 00:00:00 2001\nSubject: [PATCH] x\n\n---\n";
	char bad[512];
	struct series s;
	char *text;

	snprintf(tree, sizeof(tree), "%s", test_git_repo());
	snprintf(log, sizeof(log), "%s/check.log", tree);
	ck_assert_msg(series_load(test_temp_file(mbox, ".mbox"), &s, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(series_check_applies(tree, &s, log, msg, sizeof(msg)) == 0, "%s", msg);
	/* In the other order the second (old -> new) comes after a patch that
	 * needs 'new': the first one named is the one that fails. */
	text = s.patches[0];
	s.patches[0] = s.patches[1];
	s.patches[1] = text;
	ck_assert_int_eq(series_check_applies(tree, &s, log, msg, sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, s.patches[0]) && strstr(msg, "does not apply"), "%s", msg);
	s.patches[1] = s.patches[0];
	s.patches[0] = text;
	snprintf(bad, sizeof(bad), "%sdiff --git a/f.txt b/f.txt\n--- a/f.txt\n+++ b/f.txt\n@@ -1 +1 @@\n-gone\n+x\n",
		 head);
	ck_assert_int_lt(s.npatches, SERIES_MAX_PATCHES);
	s.patches[s.npatches++] = xstrdup(test_temp_file(bad, ".patch"));
	ck_assert_int_eq(series_check_applies(tree, &s, log, msg, sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, s.patches[2]) && strstr(msg, "does not apply: hunk at f.txt:1"), "%s", msg);
	/* Nothing was applied: the tree holds what it held. */
	snprintf(bad, sizeof(bad), "%s/f.txt", tree);
	ck_assert_ptr_nonnull(text = read_file(bad, NULL));
	ck_assert_str_eq(text, "old\n");
	free(text);
	series_free(&s);
}
END_TEST

/* A b4 mbox starts with a cover letter, a message without a diff: it
 * checks and applies as nothing, and the patch after it applies. */
START_TEST(cover_letter_checks_and_applies_as_nothing)
{
	static const char text[] = "From x Mon Sep 17 00:00:00 2001\nSubject: [PATCH 0/1] cover\n\nwords\n"
				   "From y Mon Sep 17 00:00:00 2001\nSubject: [PATCH 1/1] one\n\n---\n"
				   "--- a/f.txt\n+++ b/f.txt\n@@ -1 +1 @@\n-old\n+new\n";
	char tree[128], log[200], err[512] = "", msg[1024] = "";
	struct series s;

	snprintf(tree, sizeof(tree), "%s", test_git_repo());
	snprintf(log, sizeof(log), "%s/apply.log", tree);
	ck_assert_msg(series_load(test_temp_file(text, ".mbox"), &s, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(s.npatches, 2);
	ck_assert_msg(series_check_applies(tree, &s, log, msg, sizeof(msg)) == 0, "%s", msg);
	for (int i = 0; i < s.npatches; i++)
		ck_assert_msg(series_apply_patch(tree, s.patches[i], log, msg, sizeof(msg)) == 0, "%s", msg);
	series_free(&s);
}
END_TEST

/* The repository's own series share patches with their siblings under
 * patches/ (../cma-gup-lru-drain-bug/0001-...): every one of them loads. */
START_TEST(repository_series_share_patches)
{
	char path[4200], err[1024];
	struct series sr;

	snprintf(path, sizeof(path), "%s/patches/cma-gup-lru-drain-seed-fix", repo_root());
	ck_assert_msg(series_load(path, &sr, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(sr.npatches, 2);
	series_free(&sr);
	snprintf(path, sizeof(path), "%s/patches/memcg-rmap-v2-mapped-check", repo_root());
	ck_assert_msg(series_load(path, &sr, err, sizeof(err)) == 0, "%s", err);
	series_free(&sr);
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
	tcase_add_test(t, hostile_patch_names_in_quilt_series_apply_without_a_shell);
	tcase_add_test(t, patch_paths_with_spaces_and_newlines_apply_without_a_shell);
	tcase_add_test(t, bad_series_rejected);
	tcase_add_test(t, mbox_with_cover_letter_and_patch_loads);
	tcase_add_test(t, patch_text_detection);
	tcase_add_test(t, kconfig_touching_patches_are_recognised);
	tcase_add_test(t, series_entries_stay_inside_and_are_patches);
	tcase_add_test(t, series_entries_with_dots_and_subdirs_load);
	tcase_add_test(t, series_list_that_is_a_fifo_is_refused);
	tcase_add_test(t, series_check_applies_names_the_first_bad_patch);
	tcase_add_test(t, cover_letter_checks_and_applies_as_nothing);
	tcase_add_test(t, repository_series_share_patches);
	suite_add_tcase(s, t);
	return s;
}
