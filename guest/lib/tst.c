/* mmrepro guest test library: messages, the forked workload, scenarios,
 * tags and the JSON result. See tst.h. */
#include "tst_lib.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MSG_LEN 512

static struct {
	const struct tst_test *test;
	pid_t parent_pid;
	pid_t test_pid;          /* the forked workload; 0 before the fork */
	bool in_cleanup;
	bool cg_set_up;
	double start;
	struct tst_lib_args args;
} lib;

static volatile sig_atomic_t interrupted_by;

static void finish(void) __attribute__((noreturn));

/* ---- messages ---- */

const char *tst_basename_(const char *file)
{
	const char *slash = strrchr(file, '/');

	return slash ? slash + 1 : file;
}

static const char *verdict_name(int v)
{
	switch (v) {
	case TPASS: return "PASS";
	case TFAIL: return "FAIL";
	case TBROK: return "BROK";
	case TCONF: return "CONF";
	case TINFO: return "INFO";
	}
	return "BROK";
}

void tst_console_(const char *fmt, ...)
{
	char line[MSG_LEN + 128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDOUT_FILENO, line, n) < 0)
		return;
}

static int normal_verdict(int v)
{
	return v == TPASS || v == TFAIL || v == TBROK || v == TCONF || v == TINFO ? v : TBROK;
}

void tst_vres_(const char *file, int line, int verdict, const char *fmt, va_list ap)
{
	char msg[MSG_LEN];

	file = tst_basename_(file);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	verdict = normal_verdict(verdict);
	tst_console_("mmrepro: %s:%d: T%s: %s", file, line, verdict_name(verdict), msg);
	if (verdict != TINFO)
		tst_store_record_(verdict, file, line, msg);
}

static void record_now(const char *file, int line, int verdict, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void record_now(const char *file, int line, int verdict, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tst_vres_(file, line, verdict, fmt, ap);
	va_end(ap);
}

static void run_cleanup(void)
{
	if (lib.in_cleanup || !lib.test || !lib.test->cleanup)
		return;
	lib.in_cleanup = true;
	lib.test->cleanup();
}

/* Where a test ends depends on who ends it: the parent finishes the run, the
 * workload process runs cleanup first, and anything else (children of the
 * workload) just exits with the verdict. A thread of the workload ends the
 * whole workload process. */
static void end_test(int verdict) __attribute__((noreturn));
static void end_test(int verdict)
{
	if (getpid() == lib.parent_pid || !lib.test_pid)
		finish();
	if (getpid() == lib.test_pid) {
		if (gettid() == lib.test_pid)
			run_cleanup();
		_exit(0);
	}
	_exit(verdict);
}

void tst_res_(const char *file, int line, enum tst_verdict v, const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	va_start(ap, fmt);
	tst_vres_(file, line, v, fmt, ap);
	va_end(ap);
	if (v == TBROK)
		end_test(v);
	errno = saved_errno;
}

void tst_brk_(const char *file, int line, enum tst_verdict v, const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	if (v == TINFO || v == TPASS)
		v = TBROK;
	va_start(ap, fmt);
	errno = saved_errno;  /* for %m */
	tst_vres_(file, line, v, fmt, ap);
	va_end(ap);
	end_test(v);
}

void tst_value(const char *key, const char *fmt, ...)
{
	char val[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	tst_value_set_(key, val);
}

void tst_value_long(const char *key, long v)
{
	tst_value(key, "%ld", v);
}

/* ---- tags ---- */

static bool is_sha12(const char *s)
{
	if (strlen(s) != 12)
		return false;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s))
			return false;
	return true;
}

/* A malformed tag is the workload's bug: found before anything runs. */
static void check_tags(const struct tst_tag *tags)
{
	for (const struct tst_tag *t = tags; t && t->name; t++) {
		if (!t->value || !*t->value)
			tst_brk(TBROK, "tag %s has no value", t->name);
		if (!strcmp(t->name, "linux-git") && !is_sha12(t->value))
			tst_brk(TBROK, "tag linux-git '%s' is not 12 lower-case hex digits", t->value);
	}
}

static json_object *tags_json(const struct tst_tag *tags)
{
	json_object *a = json_object_new_array();

	for (const struct tst_tag *t = tags; t && t->name; t++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(t->name));
		json_object_object_add(o, "value", json_object_new_string(t->value));
		json_object_array_add(a, o);
	}
	return a;
}

/* LTP's hint: what a failing kernel may be missing. */
static void print_tag_hints(const struct tst_tag *tags)
{
	bool any = false;

	for (const struct tst_tag *t = tags; t && t->name; t++) {
		if (!any)
			tst_console_("mmrepro: HINT: this kernel may be missing (or have broken) these fixes:");
		any = true;
		if (!strcmp(t->name, "linux-git"))
			tst_console_("mmrepro: HINT:   https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/"
				     "linux.git/commit/?id=%s", t->value);
		else
			tst_console_("mmrepro: HINT:   %s: %s", t->name, t->value);
	}
}

/* ---- scenarios ---- */

static void scenario_verdict(const int before[4], const int after[4], char *word, size_t len)
{
	static const char *const names[] = { "PASS", "FAIL", "BROK", "CONF" };
	static const int order[] = { 1, 2, 0, 3 };  /* FAIL, BROK, PASS, CONF */

	snprintf(word, len, "none");
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		if (after[order[i]] > before[order[i]]) {
			snprintf(word, len, "%s", names[order[i]]);
			return;
		}
	}
}

/* The plan: a scenario that records nothing is BROK, never silently
 * missing. Its verdict goes to the values as scenario.<name>. */
static void run_scenario(const struct tst_scenario *s)
{
	int before[4], after[4];
	char key[128], word[8];

	tst_store_counts_(before);
	tst_console_("mmrepro: scenario %s: %s", s->name, s->expect ? s->expect : "");
	s->fn();
	tst_store_counts_(after);
	if (after[0] + after[1] + after[3] == before[0] + before[1] + before[3])
		record_now(__FILE__, __LINE__, TBROK, "scenario %s returned without a result", s->name);
	tst_store_counts_(after);
	scenario_verdict(before, after, word, sizeof(word));
	snprintf(key, sizeof(key), "scenario.%s", s->name);
	tst_value(key, "%s", word);
}

bool tst_scenario_selected(const char *name)
{
	for (const struct tst_scenario *s = lib.test->scenarios; s && s->name; s++)
		if (!strcmp(s->name, name))
			return tst_scenario_wanted_(lib.args.scenarios, s);
	tst_brk(TBROK, "no scenario '%s' in the table", name);
}

static void run_scenarios(const struct tst_test *t)
{
	for (const struct tst_scenario *s = t->scenarios; s && s->name; s++)
		if (tst_scenario_wanted_(lib.args.scenarios, s))
			run_scenario(s);
}

static json_object *scenarios_json(const struct tst_test *t)
{
	json_object *a = json_object_new_array();

	for (const struct tst_scenario *s = t->scenarios; s && s->name; s++) {
		json_object *o = json_object_new_object();
		bool wanted = tst_scenario_wanted_(lib.args.scenarios, s);

		json_object_object_add(o, "name", json_object_new_string(s->name));
		json_object_object_add(o, "expect", json_object_new_string(s->expect ? s->expect : ""));
		json_object_object_add(o, "selected", json_object_new_boolean(wanted));
		json_object_array_add(a, o);
	}
	return a;
}

/* ---- the result file ---- */

/* Milliseconds are plenty; "%.17g" noise helps nobody reading the file. */
static json_object *seconds_json(double s)
{
	char text[32];

	snprintf(text, sizeof(text), "%.3f", s);
	return json_object_new_double_s(s, text);
}

static json_object *result_json(int verdict, const char *reason)
{
	const struct tst_test *t = lib.test;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "workload", json_object_new_string(t->name ? t->name : "?"));
	json_object_object_add(o, "tags", tags_json(t->tags));
	json_object_object_add(o, "verdict", json_object_new_string(verdict_name(verdict)));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	json_object_object_add(o, "results", tst_store_results_json_());
	if (t->scenarios)
		json_object_object_add(o, "scenarios", scenarios_json(t));
	json_object_object_add(o, "values", tst_store_values_json_());
	json_object_object_add(o, "vmstat_delta", tst_vmstat_delta_json_());
	json_object_object_add(o, "seconds", seconds_json(tst_now() - lib.start));
	if (tst_store_dropped_())
		json_object_object_add(o, "results_dropped", json_object_new_int(tst_store_dropped_()));
	return o;
}

static int fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd = copy ? open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	int r = fd < 0 || fsync(fd) < 0 ? -errno : 0;

	if (fd >= 0)
		close(fd);
	free(copy);
	return r;
}

/* tmp + fsync + rename: the host never sees half a file. */
static int write_atomically(const char *path, const char *text)
{
	char tmp[4096];
	size_t len = strlen(text);
	int fd, err = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0)
		err = errno ? -errno : -EIO;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	fsync_dir_of(path);
	return 0;
}

static int write_result(int verdict, const char *reason)
{
	const char *path = getenv("MMREPRO_RESULT");
	json_object *o;
	int r;

	if (!path || !*path || !lib.test)
		return 0;
	o = result_json(verdict, reason);
	r = write_atomically(path, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return r;
}

static int exit_code(int verdict)
{
	return verdict == TCONF ? 32 : verdict;
}

/* Parent only: knobs back, groups removed, the result written, the verdict
 * as exit status. */
static void finish(void)
{
	static bool finishing;
	const char *reason;
	int verdict, r;

	/* A TBROK from the steps below comes back here: do them once. */
	if (!finishing) {
		finishing = true;
		tst_vmstat_snapshot_(true);
		if (lib.cg_set_up)
			tst_cg_cleanup_();
		tst_restore_knobs_();
	}
	verdict = tst_store_verdict_(&reason);
	if (verdict == TFAIL && lib.test)
		print_tag_hints(lib.test->tags);
	r = write_result(verdict, reason);
	if (r < 0) {
		record_now(__FILE__, __LINE__, TBROK, "cannot write result %s: %s", getenv("MMREPRO_RESULT"),
			   strerror(-r));
		verdict = tst_store_verdict_(&reason);
	}
	tst_console_("mmrepro: verdict %s: %s", verdict_name(verdict), reason);
	exit(exit_code(verdict));
}

/* ---- the forked workload ---- */

static void on_interrupt(int sig)
{
	interrupted_by = sig;
}

static void catch_interrupts(bool on)
{
	struct sigaction sa = { .sa_handler = on ? on_interrupt : SIG_DFL };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Waits for pid; on timeout (or an interrupt of the parent) kills its whole
 * process group. Leftovers in the group are killed either way, while the
 * unreaped child still holds the group's id. */
int tst_wait_or_kill(pid_t pid, double timeout_s, bool *timed_out)
{
	double t0 = tst_now();
	int status = -1;

	*timed_out = false;
	for (;;) {
		siginfo_t info = { .si_pid = 0 };

		if (waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0 && errno != EINTR)
			return -1;
		if (info.si_pid == pid)
			break;
		if (interrupted_by || (timeout_s > 0 && tst_now() - t0 >= timeout_s)) {
			*timed_out = !interrupted_by;
			break;
		}
		usleep(20000);
	}
	kill(-pid, SIGKILL);
	if (*timed_out || interrupted_by)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

/* The child leads its own process group, so a timeout kills its helpers
 * too, and dies with its parent. */
static pid_t fork_child(void)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		tst_brk(TBROK, "fork: %m");
	if (pid > 0) {
		setpgid(pid, pid);
		return pid;
	}
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(TBROK);
	return 0;
}

int tst_fork_run(void (*f)(void *), void *arg, int timeout_s)
{
	bool timed_out;
	pid_t pid = fork_child();

	if (pid == 0) {
		f(arg);
		_exit(0);
	}
	return tst_wait_or_kill(pid, timeout_s, &timed_out);
}

static void run_workload_child(void)
{
	const struct tst_test *t = lib.test;

	lib.test_pid = getpid();
	catch_interrupts(false);
	if (t->setup)
		t->setup();
	run_scenarios(t);
	if (t->run)
		t->run();
	run_cleanup();
	fflush(NULL);
	_exit(0);
}

static const char *signal_name(int sig)
{
	const char *abbrev = sigabbrev_np(sig);

	return abbrev ? abbrev : "?";
}

static void report_child_end(int status, bool timed_out, int timeout_s)
{
	if (interrupted_by)
		record_now(__FILE__, __LINE__, TBROK, "interrupted by SIG%s", signal_name(interrupted_by));
	else if (timed_out)
		record_now(__FILE__, __LINE__, TBROK, "workload timed out after %d s", timeout_s);
	else if (status < 0)
		record_now(__FILE__, __LINE__, TBROK, "waitpid: %m");
	else if (WIFSIGNALED(status))
		record_now(__FILE__, __LINE__, TBROK, "workload killed by signal SIG%s (%s)",
			   signal_name(WTERMSIG(status)), strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status))
		record_now(__FILE__, __LINE__, TBROK, "workload exited with status %d", WEXITSTATUS(status));
}

static void run_workload(int timeout_s)
{
	bool timed_out;
	pid_t pid;
	int status;

	pid = fork_child();
	if (pid == 0)
		run_workload_child();
	lib.test_pid = pid;
	status = tst_wait_or_kill(pid, timeout_s, &timed_out);
	report_child_end(status, timed_out, timeout_s);
}

/* ---- main ---- */

int tst_main(int argc, char **argv, const struct tst_test *t)
{
	/* Before anything else: the host runs this, not the guest. */
	if (argc == 2 && !strcmp(argv[1], PROTO_LIST_KNOBS))
		tst_list_knobs_(t->knobs);
	lib.start = tst_now();
	lib.test = t;
	lib.parent_pid = getpid();
	tst_store_init_();
	setvbuf(stdout, NULL, _IOLBF, 0);
	catch_interrupts(true);
	if (sysconf(_SC_PAGESIZE) != (long)PAGE_SIZE)
		tst_brk(TBROK, "page size is %ld, tst_mm.h assumes %lu", sysconf(_SC_PAGESIZE), PAGE_SIZE);
	check_tags(t->tags);
	tst_parse_options_(argc, argv, t, &lib.args);
	tst_check_scenario_list_(t, lib.args.scenarios);
	tst_runtime_start_(lib.args.runtime_s >= 0 ? lib.args.runtime_s : t->runtime);
	tst_check_needs_(t);
	if (t->needs_cgroup_ctrl) {
		lib.cg_set_up = true;
		tst_cg_setup_(t->name, t->needs_cgroup_ctrl, t->needs_cgroup_ver);
	}
	tst_apply_knobs_(t->knobs);
	tst_vmstat_snapshot_(false);
	run_workload(lib.args.timeout_s);
	finish();
}
