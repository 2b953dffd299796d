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
	struct bisect_opts o = { .resume = dir, .accel = ACCEL_TCG };

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
	struct bisect_opts o = { .resume = dir, .accel = ACCEL_TCG };

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
	struct bisect_opts o = { .c = &c, .good = "HEAD", .bad = "HEAD", .runs = 1, .accel = ACCEL_TCG,
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

static void commit_again(const char *repo)
{
	char file[512];
	FILE *f;

	snprintf(file, sizeof(file), "%s/f.txt", repo);
	ck_assert_ptr_nonnull(f = fopen(file, "w"));
	fputs("new\n", f);
	fclose(f);
	ck_assert_int_eq(run_cmd((char *[]){ "git", "-C", (char *)repo, "-c", "user.name=t", "-c", "user.email=t@t",
					     "commit", "-q", "-a", "-m", "two", NULL }, "/dev/null", NULL), 0);
}

/* Equal ends, or ends the wrong way round, are bad input: refused with 2
 * before anything is built, for a bug and for a fix bisection. */
START_TEST(tree_bisection_refuses_ends_that_leave_nothing_to_search)
{
	const char *repo = test_git_repo();
	char path[512], err[512], spec[256];
	struct case_def c;
	struct bisect_opts o = { .c = &c, .runs = 1, .accel = ACCEL_TCG, .out = test_temp_dir() };

	commit_again(repo);
	snprintf(path, sizeof(path), "%s/cases/smoke.case", repo_root());
	ck_assert_msg(case_load(path, &c, err, sizeof(err)) == 0, "%s", err);
	snprintf(spec, sizeof(spec), "git:%s", repo);
	o.kernel = spec;
	o.good = o.bad = "HEAD";
	ck_assert_int_eq(bisect_tree_command(&o), EXIT_USAGE);
	o.good = "HEAD~0";
	o.bad = "HEAD";
	ck_assert_int_eq(bisect_tree_command(&o), EXIT_USAGE);
	o.good = "HEAD";
	o.bad = "HEAD~1";
	ck_assert_int_eq(bisect_tree_command(&o), EXIT_USAGE);
	/* --fix: bad is the broken (old) end, good the fixed (new) one. */
	o.fix = true;
	o.good = "HEAD~1";
	o.bad = "HEAD";
	ck_assert_int_eq(bisect_tree_command(&o), EXIT_USAGE);
}
END_TEST

/* Numbers read back on --resume are checked as the options they came
 * from: no 0 or 10^9 runs per step, no hit rate of 3. */
START_TEST(resume_range_checks_its_numbers)
{
	const char *repo = test_git_repo();
	const char *bad[] = { "\"runs\":0", "\"runs\":1000000000", "\"runs\":\"x\"", "\"p_bad\":3",
			      "\"alpha\":0", "\"max_runs\":-1", "\"runs\":2,\"runs_per_step\":99999" };
	char sha[64], doc[2048];

	head_of(repo, sha, sizeof(sha));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *dir = test_temp_dir();
		struct bisect_opts o = { .resume = dir, .accel = ACCEL_TCG };
		snprintf(doc, sizeof(doc), "{\"case\":\"smoke\",\"kernel\":\"git:%s\",\"good\":\"%s\",\"bad\":\"%s\",%s,"
			 "\"steps\":[],\"culprit\":{\"commit\":\"%s\",\"subject\":\"one\"}}", repo, sha, sha, bad[i], sha);
		write_doc(dir, doc);
		ck_assert_msg(bisect_tree_command(&o) == EXIT_USAGE, "%s was taken", bad[i]);
	}
}
END_TEST

Suite *bisect_suite(void)
{
	Suite *s = suite_create("bisect");
	TCase *t = tcase_create("tree");

	tcase_add_test(t, resume_of_a_finished_bisection_builds_nothing);
	tcase_add_test(t, resume_refuses_what_is_not_a_bisection);
	tcase_add_test(t, tree_bisection_checks_its_input_first);
	tcase_add_test(t, tree_bisection_refuses_ends_that_leave_nothing_to_search);
	tcase_add_test(t, resume_range_checks_its_numbers);
	tcase_set_timeout(t, 30);
	suite_add_tcase(s, t);
	return s;
}
