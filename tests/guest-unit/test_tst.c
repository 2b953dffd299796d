/* Unit tests of the guest library (guest/lib): each test runs tst_main() on
 * a small tst_test in a forked child, as a workload would, and checks its
 * exit status and the JSON result file it wrote. Runs on the host: the
 * library is plain user space. */
#include "guest_unit.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static char result_path[128];

void outcome_free(struct outcome *o)
{
	if (o->result)
		json_object_put(o->result);
	unlink(result_path);
}

struct outcome run_test(const struct tst_test *t, const char *const *args)
{
	struct outcome o = { .status = -1 };
	char *argv[16] = { (char *)t->name };
	json_object *v;
	int n = 1, status;
	pid_t pid;

	for (; args && *args && n < 15; args++)
		argv[n++] = (char *)*args;
	snprintf(result_path, sizeof(result_path), "/tmp/mmrepro-guest-unit-%d.json", (int)getpid());
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* The console lines would bury the test report; the result
		 * file holds what the tests check. */
		if (!freopen("/dev/null", "w", stdout))
			_exit(98);
		setenv("MMREPRO_RESULT", result_path, 1);
		unsetenv("MMREPRO_TIMEOUT");
		tst_main(n, argv, t);
		_exit(99);  /* tst_main never returns */
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	o.status = WEXITSTATUS(status);
	o.result = json_object_from_file(result_path);
	if (o.result && json_object_object_get_ex(o.result, "reason", &v))
		snprintf(o.reason, sizeof(o.reason), "%s", json_object_get_string(v));
	if (o.result && json_object_object_get_ex(o.result, "verdict", &v))
		snprintf(o.verdict, sizeof(o.verdict), "%s", json_object_get_string(v));
	return o;
}

const char *value_of(const struct outcome *o, const char *key)
{
	json_object *values, *v;

	if (!o->result || !json_object_object_get_ex(o->result, "values", &values) ||
	    !json_object_object_get_ex(values, key, &v))
		return NULL;
	return json_object_get_string(v);
}

/* ---- verdicts and file:line ---- */

static void run_pass(void) { tst_res(TPASS, "all good"); }
static void run_fail_then_pass(void)
{
	tst_res(TFAIL, "first failure");
	tst_res(TPASS, "later pass");
}
static void run_nothing(void) { }

START_TEST(test_verdicts)
{
	struct tst_test pass = { .name = "pass", .run = run_pass };
	struct tst_test fail = { .name = "fail", .run = run_fail_then_pass };
	struct tst_test none = { .name = "none", .run = run_nothing };
	struct outcome o = run_test(&pass, NULL);

	ck_assert_int_eq(o.status, 0);
	ck_assert_str_eq(o.verdict, "PASS");
	/* Every message carries the file:line of its call. */
	ck_assert_msg(strstr(o.reason, "test_tst.c:") && strstr(o.reason, ": all good"), "%s", o.reason);
	outcome_free(&o);
	o = run_test(&fail, NULL);
	ck_assert_int_eq(o.status, TFAIL);
	ck_assert_msg(strstr(o.reason, "first failure"), "%s", o.reason);
	outcome_free(&o);
	o = run_test(&none, NULL);
	ck_assert_int_eq(o.status, TBROK);
	ck_assert_str_eq(o.reason, "no result recorded");
	outcome_free(&o);
}
END_TEST

static void run_crash(void)
{
	tst_res(TPASS, "before the crash");
	raise(SIGILL);  /* not SIGSEGV: ASan would catch that one */
}

START_TEST(test_crash_is_brok)
{
	struct tst_test t = { .name = "crash", .run = run_crash };
	struct outcome o = run_test(&t, NULL);

	ck_assert_int_eq(o.status, TBROK);
	ck_assert_msg(strstr(o.reason, "killed by signal SIGILL"), "%s", o.reason);
	outcome_free(&o);
}
END_TEST

static void run_safe_munmap(void)
{
	SAFE_MUNMAP((void *)1, PAGE_SIZE);  /* unaligned: EINVAL */
	tst_res(TPASS, "not reached");
}

START_TEST(test_safe_macro_names_call_and_line)
{
	struct tst_test t = { .name = "safe", .run = run_safe_munmap };
	struct outcome o = run_test(&t, NULL);

	ck_assert_int_eq(o.status, TBROK);
	ck_assert_msg(strstr(o.reason, "test_tst.c:") && strstr(o.reason, "munmap(0x1, 4096) failed: Invalid argument"),
		      "%s", o.reason);
	outcome_free(&o);
}
END_TEST

/* posix_fadvise(3) returns its error instead of setting errno. */
static void run_safe_fadvise(void)
{
	SAFE_POSIX_FADVISE(-1, 0, 0, POSIX_FADV_DONTNEED);
	tst_res(TPASS, "not reached");
}

START_TEST(test_safe_fadvise_reports_returned_error)
{
	struct tst_test t = { .name = "safe", .run = run_safe_fadvise };
	struct outcome o = run_test(&t, NULL);

	ck_assert_int_eq(o.status, TBROK);
	ck_assert_msg(strstr(o.reason, "posix_fadvise(-1, 0, 0, POSIX_FADV_DONTNEED) failed: Bad file descriptor"),
		      "%s", o.reason);
	outcome_free(&o);
}
END_TEST

/* ---- options ---- */

static int opt_int = 7;
static long opt_long;
static const char *opt_str;
static bool opt_flag;
static bool opt_list[3];
static const char *const list_words[] = { "a", "b", "c", NULL };

static const struct tst_option options[] = {
	{ "n", TST_OPT_INT, &opt_int, 1, 10, NULL, "a number" },
	{ "big", TST_OPT_LONG, &opt_long, 0, 1L << 40, NULL, "a long" },
	{ "name", TST_OPT_STR, &opt_str, 0, 0, NULL, "a string" },
	{ "flag", TST_OPT_FLAG, &opt_flag, 0, 0, NULL, "a flag" },
	{ "list", TST_OPT_LIST, opt_list, 0, 0, list_words, "a,b,c" },
	{ NULL, 0, NULL, 0, 0, NULL, NULL },
};

static void run_show_options(void)
{
	tst_value_long("n", opt_int);
	tst_value_long("big", opt_long);
	tst_value("name", "%s", opt_str ? opt_str : "");
	tst_value_long("flag", opt_flag);
	tst_value("list", "%d%d%d", opt_list[0], opt_list[1], opt_list[2]);
	tst_res(TPASS, "options read");
}

START_TEST(test_options_parsed)
{
	struct tst_test t = { .name = "opts", .options = options, .run = run_show_options };
	const char *const args[] = { "--n", "3", "--big=1099511627776", "--name", "x y", "--flag", "--list", "c,a", NULL };
	struct outcome o = run_test(&t, args);

	ck_assert_int_eq(o.status, 0);
	ck_assert_str_eq(value_of(&o, "n"), "3");
	ck_assert_str_eq(value_of(&o, "big"), "1099511627776");
	ck_assert_str_eq(value_of(&o, "name"), "x y");
	ck_assert_str_eq(value_of(&o, "flag"), "1");
	ck_assert_str_eq(value_of(&o, "list"), "101");
	outcome_free(&o);
}
END_TEST

static const struct {
	const char *args[4];
	const char *reason;
} bad_options[] = {
	{ { "--n", "11", NULL }, "--n: 11 is out of range 1..10" },
	{ { "--n", "3x", NULL }, "--n: '3x' is not a number" },
	{ { "--n", NULL }, "option --n needs a value" },
	{ { "--nope", "1", NULL }, "unknown option '--nope'" },
	{ { "--list", "a,d", NULL }, "--list: unknown 'd'" },
	{ { "--flag=1", NULL }, "--flag takes no value" },
	{ { "stray", NULL }, "unexpected argument 'stray'" },
	{ { "--runtime", "0", NULL }, "--runtime: 0 is out of range 1..86400" },
	{ { "--scenarios", "x", NULL }, "--scenarios: opts has no scenario table" },
};

START_TEST(test_bad_options_name_the_option)
{
	struct tst_test t = { .name = "opts", .options = options, .run = run_show_options };
	struct outcome o = run_test(&t, bad_options[_i].args);

	ck_assert_int_eq(o.status, TBROK);
	ck_assert_msg(strstr(o.reason, bad_options[_i].reason), "%s", o.reason);
	outcome_free(&o);
}
END_TEST

START_TEST(test_parse_long)
{
	long v = 0;

	ck_assert_int_eq(tst_parse_long("42", 0, 100, &v), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(tst_parse_long("0x10", 0, 100, &v), 0);
	ck_assert_int_eq(v, 16);
	ck_assert_int_eq(tst_parse_long("-5", -10, 10, &v), 0);
	ck_assert_int_eq(v, -5);
	ck_assert_int_eq(tst_parse_long("", 0, 100, &v), -EINVAL);
	ck_assert_int_eq(tst_parse_long("1 ", 0, 100, &v), -EINVAL);
	ck_assert_int_eq(tst_parse_long("101", 0, 100, &v), -ERANGE);
	ck_assert_int_eq(tst_parse_long("99999999999999999999", 0, __LONG_MAX__, &v), -ERANGE);
}
END_TEST

/* ---- scenarios ---- */

static void scenario_pass(void) { tst_res(TPASS, "a passed"); }
static void scenario_silent(void) { }
static void scenario_extra(void) { tst_res(TPASS, "extra ran"); }

static const struct tst_scenario scenarios[] = {
	{ "a", scenario_pass, "records a PASS", false },
	{ "silent", scenario_silent, "forgets to record", false },
	{ "extra", scenario_extra, "on request only", true },
	{ NULL, NULL, NULL, false },
};

START_TEST(test_scenario_without_result_is_brok)
{
	struct tst_test t = { .name = "plan", .scenarios = scenarios };
	struct outcome o = run_test(&t, NULL);

	ck_assert_int_eq(o.status, TBROK);
	ck_assert_msg(strstr(o.reason, "scenario silent returned without a result"), "%s", o.reason);
	ck_assert_str_eq(value_of(&o, "scenario.a"), "PASS");
	ck_assert_str_eq(value_of(&o, "scenario.silent"), "BROK");
	ck_assert_ptr_null(value_of(&o, "scenario.extra"));
	outcome_free(&o);
}
END_TEST

START_TEST(test_scenario_selection)
{
	struct tst_test t = { .name = "plan", .scenarios = scenarios };
	const char *const pick[] = { "--scenarios", "extra,a", NULL };
	const char *const bad[] = { "--scenarios", "a,nosuch", NULL };
	struct outcome o = run_test(&t, pick);

	ck_assert_int_eq(o.status, 0);
	ck_assert_str_eq(value_of(&o, "scenario.extra"), "PASS");
	ck_assert_ptr_null(value_of(&o, "scenario.silent"));
	outcome_free(&o);
	o = run_test(&t, bad);
	ck_assert_int_eq(o.status, TBROK);
	ck_assert_msg(strstr(o.reason, "--scenarios: no scenario 'nosuch'"), "%s", o.reason);
	outcome_free(&o);
}
END_TEST

/* ---- tags ---- */

static const struct tst_tag good_tags[] = { { "linux-git", "33dfe9204f29" }, { "thread", "a note" }, { NULL, NULL } };
static const struct tst_tag bad_tags[] = { { "linux-git", "33dfe9204f2" }, { NULL, NULL } };
static void run_fail(void) { tst_res(TFAIL, "broken"); }

START_TEST(test_tags)
{
	struct tst_test good = { .name = "tags", .tags = good_tags, .run = run_fail };
	struct tst_test bad = { .name = "tags", .tags = bad_tags, .run = run_fail };
	struct outcome o = run_test(&good, NULL);
	json_object *tags, *first, *v;

	ck_assert_int_eq(o.status, TFAIL);
	ck_assert(json_object_object_get_ex(o.result, "tags", &tags));
	ck_assert_int_eq(json_object_array_length(tags), 2);
	first = json_object_array_get_idx(tags, 0);
	ck_assert(json_object_object_get_ex(first, "value", &v));
	ck_assert_str_eq(json_object_get_string(v), "33dfe9204f29");
	outcome_free(&o);
	o = run_test(&bad, NULL);
	ck_assert_int_eq(o.status, TBROK);
	ck_assert_msg(strstr(o.reason, "tag linux-git '33dfe9204f2' is not 12 lower-case hex digits"), "%s", o.reason);
	outcome_free(&o);
}
END_TEST

/* ---- the store survives writers killed mid-update ---- */

static void hammer(void *arg)
{
	for (long i = 0;; i++) {
		tst_value("hammered", "%ld", i);
		tst_res(TPASS, "hammer %ld", i);
	}
}

/* SIGKILL children while they write results: a lock one of them held
 * would hang the next writer, and the test's own report. */
static void run_kill_writers(void)
{
	for (int round = 0; round < 20; round++) {
		pid_t pid = tst_fork_on(-1, hammer, NULL);

		usleep(2000 + round * 300);
		SAFE_KILL(pid, SIGKILL);
		SAFE_WAITPID(pid, NULL, 0);
	}
	tst_value("after", "%s", "written");
	tst_res(TPASS, "still recording after 20 killed writers");
}

START_TEST(test_store_survives_killed_writers)
{
	struct tst_test t = { .name = "store", .run = run_kill_writers };
	struct outcome o;
	json_object *dropped;

	alarm(20);  /* a deadlock fails the test instead of hanging it */
	o = run_test(&t, NULL);
	ck_assert_int_eq(o.status, 0);
	ck_assert_str_eq(value_of(&o, "after"), "written");
	ck_assert_msg(strstr(o.reason, "still recording"), "%s", o.reason);
	/* Far more results than slots: counted, not silently lost. */
	ck_assert(json_object_object_get_ex(o.result, "results_dropped", &dropped));
	ck_assert_int_gt(json_object_get_int(dropped), 0);
	outcome_free(&o);
}
END_TEST

/* ---- runtime and loops ---- */

static bool never_hits(void *arg, long try)
{
	usleep(10000);
	return false;
}

static bool hits_third(void *arg, long try)
{
	return try == 2;
}

static void run_until(void)
{
	/* The last one spends what is left of the 1 s runtime. */
	struct tst_until v = tst_run_until(hits_third, NULL, 100, 0);
	struct tst_until w = tst_run_until(never_hits, NULL, 100, 5);
	struct tst_until u = tst_run_until(never_hits, NULL, 100, 0);

	tst_value("budget_respected", "%d", u.seconds >= 0.7 && u.seconds < 3 && !u.hit);
	tst_value("hit_on_third", "%d", v.hit && v.tries == 3);
	tst_value("max_tries", "%d", !w.hit && w.tries == 5);
	tst_res(TPASS, "loops ended");
}

START_TEST(test_run_until_respects_runtime)
{
	struct tst_test t = { .name = "until", .run = run_until };
	const char *const args[] = { "--runtime", "1", NULL };
	struct outcome o = run_test(&t, args);

	ck_assert_int_eq(o.status, 0);
	ck_assert_str_eq(value_of(&o, "budget_respected"), "1");
	ck_assert_str_eq(value_of(&o, "hit_on_third"), "1");
	ck_assert_str_eq(value_of(&o, "max_tries"), "1");
	outcome_free(&o);
}
END_TEST

/* ---- concurrency helpers ---- */

struct shared_counter {
	int arrived;
	int seen_by_child;
};

static struct tst_barrier *barrier;

static void child_side(void *arg)
{
	struct shared_counter *c = arg;

	__atomic_add_fetch(&c->arrived, 1, __ATOMIC_SEQ_CST);
	tst_barrier_wait(barrier);
	c->seen_by_child = 1;
}

static void where_am_i(void *arg)
{
	*(int *)arg = sched_getcpu();
}

static void run_concurrency(void)
{
	struct shared_counter *c = tst_shared_map(sizeof(*c));
	struct tst_worker *w = tst_worker_start(0);
	int cpu = -1;
	pid_t pid;

	barrier = tst_barrier_new(2);
	pid = tst_fork_on(0, child_side, c);
	while (!__atomic_load_n(&c->arrived, __ATOMIC_SEQ_CST))
		usleep(1000);
	tst_value("child_waited", "%d", !c->seen_by_child);  /* held at the barrier */
	tst_barrier_wait(barrier);
	tst_reap(pid, "the barrier child");
	tst_value("child_wrote_shared", "%d", c->seen_by_child);
	tst_worker_call(w, where_am_i, &cpu);
	tst_worker_stop(w);
	tst_value_long("worker_cpu", cpu);
	tst_res(TPASS, "concurrency helpers ran");
}

START_TEST(test_concurrency_helpers)
{
	struct tst_test t = { .name = "conc", .run = run_concurrency };
	struct outcome o;

	alarm(20);
	o = run_test(&t, NULL);
	ck_assert_int_eq(o.status, 0);
	ck_assert_str_eq(value_of(&o, "child_waited"), "1");
	ck_assert_str_eq(value_of(&o, "child_wrote_shared"), "1");
	ck_assert_str_eq(value_of(&o, "worker_cpu"), "0");
	outcome_free(&o);
}
END_TEST

/* ---- needs ---- */

static const char *const missing_cmd[] = { "mmrepro-no-such-command", NULL };

START_TEST(test_needs)
{
	struct tst_test cmd = { .name = "needs", .needs_cmds = missing_cmd, .run = run_pass };
	struct tst_test kver = { .name = "needs", .min_kver = "99.0", .run = run_pass };
	struct tst_test bad_kver = { .name = "needs", .min_kver = "six", .run = run_pass };
	struct outcome o = run_test(&cmd, NULL);

	ck_assert_int_eq(o.status, TCONF);
	ck_assert_msg(strstr(o.reason, "needs the command mmrepro-no-such-command"), "%s", o.reason);
	outcome_free(&o);
	o = run_test(&kver, NULL);
	ck_assert_int_eq(o.status, TCONF);
	ck_assert_msg(strstr(o.reason, "is older than 99.0"), "%s", o.reason);
	outcome_free(&o);
	o = run_test(&bad_kver, NULL);
	ck_assert_int_eq(o.status, TBROK);
	ck_assert_msg(strstr(o.reason, "min_kver 'six' is not MAJOR.MINOR"), "%s", o.reason);
	outcome_free(&o);
}
END_TEST

static void run_would_fail(void)
{
	tst_res(TFAIL, "--list-knobs must not run the test");
}

/* --list-knobs prints the knobs and exits 0: it writes no knob, checks no
 * need and writes no result (the host runs it, not the guest). */
/* The swap header a guest without util-linux writes: what the kernel's
 * sys_swapon reads (magic at the end of the first page, version 1, the
 * last page), and a clear refusal for what cannot hold swap. */
START_TEST(test_write_swap_header)
{
	char path[] = "/tmp/mmrepro-swap-XXXXXX", why[256];
	unsigned char page[PAGE_SIZE];
	uint32_t info[3];
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 4 << 20), 0);
	ck_assert_int_eq(tst_write_swap_header(path, why, sizeof(why)), 0);
	ck_assert_int_eq(pread(fd, page, sizeof(page), 0), (ssize_t)sizeof(page));
	ck_assert_int_eq(memcmp(page + PAGE_SIZE - 10, "SWAPSPACE2", 10), 0);
	memcpy(info, page + 1024, sizeof(info));
	ck_assert_uint_eq(info[0], 1);
	ck_assert_uint_eq(info[1], (4 << 20) / PAGE_SIZE - 1);
	ck_assert_uint_eq(info[2], 0);
	ck_assert_int_eq(ftruncate(fd, PAGE_SIZE), 0);
	ck_assert_int_eq(tst_write_swap_header(path, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "too small for swap"));
	close(fd);
	unlink(path);
	ck_assert_int_eq(tst_write_swap_header("/nonexistent/swap", why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "/nonexistent/swap: No such file or directory"));
}
END_TEST

START_TEST(test_list_knobs)
{
	static const struct tst_knob knobs[] = {
		{ "/sys/kernel/mm/transparent_hugepage/enabled", "always", false },
		{ "/sys/kernel/mm/ksm/run", NULL, true },
		{ NULL, NULL, false },
	};
	struct tst_test t = { .name = "lister", .knobs = knobs, .min_kver = "99.0", .run = run_would_fail };
	char *argv[] = { "lister", "--list-knobs", NULL }, out[512] = "";
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		unsetenv("MMREPRO_RESULT");
		tst_main(2, argv, &t);
		_exit(99);
	}
	close(fds[1]);
	n = read(fds[0], out, sizeof(out) - 1);
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_gt(n, 0);
	ck_assert_str_eq(out, "knob /sys/kernel/mm/transparent_hugepage/enabled always\nknob /sys/kernel/mm/ksm/run\n");
}
END_TEST

static Suite *guest_lib_suite(void)
{
	Suite *s = suite_create("guest-lib");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_verdicts);
	tcase_add_test(tc, test_crash_is_brok);
	tcase_add_test(tc, test_safe_macro_names_call_and_line);
	tcase_add_test(tc, test_safe_fadvise_reports_returned_error);
	tcase_add_test(tc, test_options_parsed);
	tcase_add_loop_test(tc, test_bad_options_name_the_option, 0, ARRAY_SIZE(bad_options));
	tcase_add_test(tc, test_parse_long);
	tcase_add_test(tc, test_scenario_without_result_is_brok);
	tcase_add_test(tc, test_scenario_selection);
	tcase_add_test(tc, test_tags);
	tcase_add_test(tc, test_store_survives_killed_writers);
	tcase_add_test(tc, test_run_until_respects_runtime);
	tcase_add_test(tc, test_concurrency_helpers);
	tcase_add_test(tc, test_needs);
	tcase_add_test(tc, test_list_knobs);
	tcase_add_test(tc, test_write_swap_header);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(guest_lib_suite());
	int failed;

	srunner_add_suite(sr, guest_vma_suite());

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
