#include "bisect.h"
#include "suites.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void head_of(const char *repo, char *sha, size_t len)
{
	char *out = capture_argv((char *[]){ "git", "-C", (char *)repo, "rev-parse", "HEAD", NULL }, NULL);

	ck_assert_ptr_nonnull(out);
	snprintf(sha, len, "%s", out);
	free(out);
}

static void write_doc(const char *dir, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/bisect.json", dir);
	ck_assert_int_eq(write_file_atomic(path, text, strlen(text)), 0);
}

/* A finished bisection resumed from its bisect.json names its culprit
 * again and returns 0 without building or running anything. */
START_TEST(resume_of_a_finished_bisection_builds_nothing)
{
	const char *repo = test_git_repo(), *dir = test_temp_dir();
	char sha[64], doc[2048];
	struct tree_bisect_opts o = { .resume = dir, .accel = ACCEL_TCG };

	head_of(repo, sha, sizeof(sha));
	snprintf(doc, sizeof(doc), "{\"case\":\"smoke\",\"kernel\":\"git:%s\",\"good\":\"%s\",\"bad\":\"%s\",\"runs\":1,"
		 "\"steps\":[],\"culprit\":{\"commit\":\"%s\",\"subject\":\"one\"}}", repo, sha, sha, sha);
	write_doc(dir, doc);
	ck_assert_int_eq(bisect_tree_command(&o), 0);
	/* The flavour it began in comes back with it. */
	o.resume = dir = test_temp_dir();
	snprintf(doc, sizeof(doc), "{\"case\":\"smoke\",\"kernel\":\"git:%s\",\"good\":\"%s\",\"bad\":\"%s\",\"runs\":1,"
		 "\"flavor\":\"debug\",\"steps\":[],\"culprit\":{\"commit\":\"%s\",\"subject\":\"one\"}}", repo, sha,
		 sha, sha);
	write_doc(dir, doc);
	ck_assert_int_eq(bisect_tree_command(&o), 0);
}
END_TEST

START_TEST(resume_refuses_what_is_not_a_bisection)
{
	const char *dir = test_temp_dir(), *repo = test_git_repo();
	char sha[64], doc[1024];
	struct tree_bisect_opts o = { .resume = dir, .accel = ACCEL_TCG };

	ck_assert_int_eq(bisect_tree_command(&o), EXIT_USAGE);
	write_doc(dir, "{\"case\":\"smoke\"");
	ck_assert_int_eq(bisect_tree_command(&o), EXIT_USAGE);
	head_of(repo, sha, sizeof(sha));
	snprintf(doc, sizeof(doc), "{\"case\":\"no-such-case\",\"kernel\":\"git:%s\",\"good\":\"%s\",\"bad\":\"%s\"}", repo,
		 sha, sha);
	write_doc(dir, doc);
	ck_assert_int_eq(bisect_tree_command(&o), EXIT_USAGE);
	snprintf(doc, sizeof(doc), "{\"case\":\"smoke\",\"kernel\":\"git:%s\",\"good\":\"%s\",\"bad\":\"%s\","
		 "\"flavor\":\"kasan\"}", repo, sha, sha);
	write_doc(dir, doc);
	ck_assert_int_eq(bisect_tree_command(&o), EXIT_USAGE);
}
END_TEST

START_TEST(tree_bisection_checks_its_input_first)
{
	const char *repo = test_git_repo();
	char path[512], err[512], spec[256];
	struct case_def c;
	struct tree_bisect_opts o = { .c = &c, .good = "HEAD", .bad = "HEAD", .runs = 1, .accel = ACCEL_TCG,
				      .out = test_temp_dir() };

	snprintf(path, sizeof(path), "%s/cases/smoke.case", repo_root());
	ck_assert_msg(case_load(path, &c, err, sizeof(err)) == 0, "%s", err);
	o.kernel = "src:deb-6.12";
	ck_assert_int_eq(bisect_tree_command(&o), EXIT_USAGE);
	o.kernel = "git:/nonexistent/linux";
	ck_assert_int_eq(bisect_tree_command(&o), EXIT_USAGE);
	snprintf(spec, sizeof(spec), "git:%s", repo);
	o.kernel = spec;
	o.good = "no-such-rev";
	ck_assert_int_eq(bisect_tree_command(&o), EXIT_USAGE);
	o.good = "HEAD";
	o.bad = "--output=/tmp/x";
	ck_assert_int_eq(bisect_tree_command(&o), EXIT_USAGE);
}
END_TEST

Suite *bisect_suite(void)
{
	Suite *s = suite_create("bisect");
	TCase *t = tcase_create("tree");

	tcase_add_test(t, resume_of_a_finished_bisection_builds_nothing);
	tcase_add_test(t, resume_refuses_what_is_not_a_bisection);
	tcase_add_test(t, tree_bisection_checks_its_input_first);
	tcase_set_timeout(t, 30);
	suite_add_tcase(s, t);
	return s;
}
