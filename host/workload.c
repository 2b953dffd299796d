/* The three workload sources behind one interface. */
#include "workload.h"
#include "case.h"
#include "kernel.h"
#include "knob.h"
#include "kselftest.h"
#include "ktap.h"
#include "repro.h"
#include "result.h"
#include "util.h"
#include "../guest/protocol.h"

#define WORKLOAD_MAX_CONSOLE (16u << 20)

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum workload_source workload_source_of(const struct case_def *c)
{
	if (c->repro[0])
		return WORKLOAD_REPRO;
	if (c->kselftest[0])
		return WORKLOAD_KSELFTEST;
	return WORKLOAD_SUITE;
}

const char *workload_source_name(enum workload_source s)
{
	static const char *const names[] = { "workload", "repro", "kselftest" };
	return names[s];
}

bool workload_is_suite(const struct case_def *c)
{
	return workload_source_of(c) == WORKLOAD_SUITE && c->workload[0];
}

int workload_prepare(const struct case_def *c, char *err, size_t errlen)
{
	char bin[PATH_MAX];

	if (workload_source_of(c) != WORKLOAD_REPRO)
		return 0;
	return repro_compile(c->repro, c->repro_cflags, c->arch, bin, sizeof(bin), err, errlen);
}

static void add_file(struct workload_plan *p, const char *host, const char *guest)
{
	p->files = xrealloc(p->files, (size_t)(p->nfiles + 1) * sizeof(*p->files));
	memset(&p->files[p->nfiles], 0, sizeof(p->files[0]));
	xsnprintf(p->files[p->nfiles].host, sizeof(p->files[0].host), "%s", host);
	xsnprintf(p->files[p->nfiles].guest, sizeof(p->files[0].guest), "%s", guest);
	p->files[p->nfiles++].mode = 0755;
}

static bool is_executable(const char *path)
{
	return access(path, X_OK) == 0;
}

/* The guest binaries of arch: the host's own build/guest, or a cross-built
 * static set (build/guest-arm64). */
static void runner_path(struct workload_plan *p, enum arch arch, const char *name)
{
	xsnprintf(p->program, sizeof(p->program), "%s/build/%s/%s", repo_root(), arch_info(arch)->guest_dir, name);
}

static int plan_repro(const struct case_def *c, struct workload_plan *p, char *err, size_t errlen)
{
	char bin[PATH_MAX];
	int rc = repro_compile(c->repro, c->repro_cflags, c->arch, bin, sizeof(bin), err, errlen);

	if (rc)
		return rc;
	runner_path(p, c->arch, WORKLOAD_REPRO_RUNNER);
	add_file(p, bin, "mmrepro/bin/repro");
	xsnprintf(p->args, sizeof(p->args), "--binary %s/repro --runtime %d%s %s", PROTO_GUEST_BIN,
		  c->repro_time_s > 0 ? c->repro_time_s : WORKLOAD_REPRO_DEFAULT_S,
		  c->repro_exit_fails ? " --exit-fails" : "", c->args);
	return 0;
}

static void keep_unbuilt(struct workload_plan *p, struct kselftest_build *b)
{
	p->unbuilt = b->failed;
	p->nunbuilt = b->nfailed;
	b->failed = NULL;
	b->nfailed = 0;
}

static int untested(char *err, size_t errlen, const struct case_def *c)
{
	snprintf(err, errlen, "%s: none of the kselftests %s built from this tree", c->path, c->kselftest);
	return EXIT_UNTESTABLE;
}

static int plan_kselftest(const struct case_def *c, const struct kernel *k, int sfd, struct workload_plan *p,
			  char *err, size_t errlen)
{
	struct kselftest_spec s;
	struct kselftest_build b;
	char why[256], host[PATH_MAX + 128], guest[256];
	int rc;

	if (kselftest_spec_parse(c->kselftest, &s, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: kselftest %s", c->path, why);
		return EXIT_USAGE;
	}
	if (!(rc = kselftest_build(k, &s, sfd, &b, err, errlen))) {
		/* The runner gets the tests that built; the others are ERROR
		 * subtests from the host, not a broken run. */
		struct kselftest_spec built = { .ntests = 0 };
		snprintf(built.suite, sizeof(built.suite), "%s", s.suite);
		built.tests = xcalloc((size_t)s.ntests + 1, sizeof(*built.tests));
		for (int i = 0; i < s.ntests; i++) {
			struct kselftest_needs n = kselftest_needs_of(s.suite, s.tests[i]);
			fprintf(stderr, "mmrepro: kselftest %s/%s: timeout %d s%s%s\n", s.suite, s.tests[i], n.timeout_s,
				n.why[0] ? "; needs " : "", n.why);
			xsnprintf(host, sizeof(host), "%s/bin/%s", b.dir, s.tests[i]);
			xsnprintf(guest, sizeof(guest), "mmrepro/kselftest/%s", s.tests[i]);
			if (file_exists(host)) {
				add_file(p, host, guest);
				built.tests[built.ntests++] = s.tests[i];
			}
		}
		runner_path(p, c->arch, WORKLOAD_KSELFTEST_RUNNER);
		if (built.ntests)
			kselftest_runner_args(&built, p->args, sizeof(p->args));
		else
			rc = untested(err, errlen, c);
		free(built.tests);
		snprintf(p->source, sizeof(p->source), "%s", b.source);
		keep_unbuilt(p, &b);
	}
	kselftest_build_free(&b);
	kselftest_spec_free(&s);
	return rc;
}

int workload_plan(const struct case_def *c, const struct kernel *k, int signal_fd, struct workload_plan *p,
		  char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	switch (workload_source_of(c)) {
	case WORKLOAD_REPRO:
		return plan_repro(c, p, err, errlen);
	case WORKLOAD_KSELFTEST:
		if (c->arch != ARCH_X86_64) {
			snprintf(err, errlen, "%s: --kselftest builds the selftests with the host's compiler: x86_64 "
				 "guests only, not arch = %s", c->path, arch_info(c->arch)->name);
			return EXIT_USAGE;
		}
		return plan_kselftest(c, k, signal_fd, p, err, errlen);
	default:
		runner_path(p, c->arch, c->workload);
		xsnprintf(p->args, sizeof(p->args), "%s", c->args);
		return 0;
	}
}

void workload_plan_free(struct workload_plan *p)
{
	json_object_put(p->config_changes);
	free(p->files);
	for (int i = 0; i < p->nunbuilt; i++)
		free(p->unbuilt[i]);
	free(p->unbuilt);
	memset(p, 0, sizeof(*p));
}

/* ---- reading a kselftest run back ---------------------------------------- */

static void add_subtest(struct json_object *arr, const char *test, const char *name, const char *status,
			const char *reason)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "test", json_object_new_string(test));
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	json_object_array_add(arr, o);
}

/* "end cow exit=1" / "end cow timeout" / "end cow signal=Killed". */
static int parse_end(const char *line, size_t n, char *reason, size_t len)
{
	const char *sp = memchr(line, ' ', n);
	size_t rest = sp ? n - (size_t)(sp + 1 - line) : 0;

	snprintf(reason, len, "%.*s", (int)rest, sp ? sp + 1 : "");
	sanitize_text(reason, false);
	if (rest > 5 && !strncmp(sp + 1, "exit=", 5))
		return atoi(sp + 6);
	return -1;
}

static void add_ktap(struct json_object *arr, const char *test, const char *text, size_t len, int code,
		     const char *end)
{
	struct ktap_result k;

	if (ktap_parse(test, text, len, code, end, &k) < 0)
		return;
	for (int i = 0; i < k.n; i++)
		add_subtest(arr, k.subs[i].test, k.subs[i].name, ktap_status_name(k.subs[i].status), k.subs[i].reason);
	ktap_free(&k);
}

/* Where the end line's mark starts in a line: anywhere, since a test
 * killed mid-line leaves its partial last line before the runner's mark. */
static const char *end_mark(const char *p, size_t n)
{
	return memmem(p, n, PROTO_KSFT_END, strlen(PROTO_KSFT_END));
}

/* Each test's output lies between its begin and end lines; a test with a
 * begin and no end was cut off (the log ends). Returns tests seen. */
static int split_log(struct json_object *arr, const char *log, size_t len, char ***seen)
{
	const size_t nb = strlen(PROTO_KSFT_BEGIN), ne = strlen(PROTO_KSFT_END);
	const char *body = NULL, *p = log, *end = log + len, *mark;
	char test[80] = "", reason[128];
	int nseen = 0;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);
		if (n > nb && !strncmp(p, PROTO_KSFT_BEGIN, nb)) {
			snprintf(test, sizeof(test), "%.*s", (int)(n - nb < 64 ? n - nb : 64), p + nb);
			sanitize_text(test, false);
			*seen = xrealloc(*seen, (size_t)(nseen + 1) * sizeof(**seen));
			(*seen)[nseen++] = xstrdup(test);
			body = eol ? eol + 1 : end;
		} else if (body && (mark = end_mark(p, n)) && (size_t)(p + n - mark) > ne) {
			int code = parse_end(mark + ne, (size_t)(p + n - mark) - ne, reason, sizeof(reason));
			add_ktap(arr, test, body, (size_t)(mark - body), code, reason);
			body = NULL;
		}
		p = eol ? eol + 1 : end;
	}
	if (body)
		add_ktap(arr, test, body, (size_t)(end - body), -1, "its output ended (the run was cut off)");
	return nseen;
}

/* The test whose begin line came last before console line `line`. */
static void test_at_line(const char *log, size_t len, int line, char *out, size_t outlen)
{
	const size_t nb = strlen(PROTO_KSFT_BEGIN);
	const char *p = log, *end = log + len;

	out[0] = '\0';
	for (int at = 1; p < end && at < line; at++) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *mark = memmem(p, eol ? (size_t)(eol - p) : (size_t)(end - p), PROTO_KSFT_BEGIN, nb);
		if (mark) {
			size_t n = strcspn(mark + nb, "\r\n");
			snprintf(out, outlen, "%.*s", (int)(n < 64 ? n : 64), mark + nb);
			sanitize_text(out, false);
		}
		p = eol ? eol + 1 : end;
	}
}

static bool was_seen(char **seen, int n, const char *test)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(seen[i], test))
			return true;
	return false;
}

/* A kernel report ends the VM before the log is sent: the test that was
 * running gets the crash, and the tests after it were never run. */
static int index_of(const struct kselftest_spec *s, const char *test)
{
	for (int i = 0; i < s->ntests; i++)
		if (!strcmp(s->tests[i], test))
			return i;
	return -1;
}

/* A kernel report ends the VM before the log is sent: the test that was
 * running gets the crash, the ones before it lost their output, and the
 * ones after it never ran. */
static void add_missing(struct json_object *arr, const struct kselftest_spec *s, const struct workload_plan *p,
			char **seen, int nseen, const char *crash_test, const char *title)
{
	int crashed = crash_test[0] ? index_of(s, crash_test) : -1;
	char why[400];

	for (int i = 0; i < s->ntests; i++) {
		const char *t = s->tests[i];
		bool unbuilt = false;
		for (int j = 0; j < p->nunbuilt; j++)
			unbuilt |= !strcmp(p->unbuilt[j], t);
		if (unbuilt)
			snprintf(why, sizeof(why), "did not build from this tree");
		else if (was_seen(seen, nseen, t))
			continue;
		else if (i == crashed)
			snprintf(why, sizeof(why), "the kernel crashed while it ran: %s", title);
		else if (crashed >= 0 && i < crashed)
			snprintf(why, sizeof(why), "its output was lost: the kernel crashed later, in %s", crash_test);
		else
			snprintf(why, sizeof(why), "not run: the run ended before it");
		add_subtest(arr, t, t, "ERROR", why);
	}
}

static void read_kselftest(const struct case_def *c, const struct workload_plan *p, struct run_result *r,
			   const struct guest_results *g)
{
	struct kselftest_spec s;
	struct json_object *arr = json_object_new_array();
	char why[256], **seen = NULL, path[PATH_MAX + 16];
	int nseen = 0;
	size_t clen;
	char *console;

	xsnprintf(path, sizeof(path), "%s/console.log", r->dir);
	console = read_file_limited(path, WORKLOAD_MAX_CONSOLE, &clen);
	if (r->report.crash && r->report.start_line > 0 && console)
		test_at_line(console, clen, r->report.start_line, r->report_test, sizeof(r->report_test));
	free(console);
	if (g->kselftest)
		nseen = split_log(arr, g->kselftest, g->kselftest_len, &seen);
	if (kselftest_spec_parse(c->kselftest, &s, why, sizeof(why)) == 0) {
		add_missing(arr, &s, p, seen, nseen, r->report_test, r->report.title);
		kselftest_spec_free(&s);
	}
	for (int i = 0; i < nseen; i++)
		free(seen[i]);
	free(seen);
	json_object_put(r->subtests);
	r->subtests = arr;
	snprintf(r->workload_source, sizeof(r->workload_source), "%s", p->source);
}

void workload_read_results(const struct case_def *c, const struct workload_plan *p, struct run_result *r,
			   const struct guest_results *g)
{
	if (p->config_changes && !r->config_changes)
		r->config_changes = json_object_get(p->config_changes);
	if (workload_source_of(c) == WORKLOAD_KSELFTEST)
		read_kselftest(c, p, r, g);
}

/* ---- the knobs a suite workload writes ---------------------------------- */

#define LIST_KNOBS_MAX_BYTES (64u << 10)

static void exec_list_knobs(const char *program, int out_fd)
{
	char *const argv[] = { (char *)program, (char *)PROTO_LIST_KNOBS, NULL };
	char *const envp[] = { NULL };
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	setpgid(0, 0);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(null, 2) < 0)
		_exit(127);
	execve(program, argv, envp);
	_exit(127);
}

/* Reads fd until EOF, the deadline or more than max bytes. */
static char *read_until(int fd, double deadline, size_t max, size_t *len, bool *timed_out)
{
	char *buf = xcalloc(1, max + 2);
	ssize_t got = 1;

	*len = 0;
	*timed_out = false;
	while (got > 0 && *len <= max) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int wait_ms = (int)((deadline - now_seconds()) * 1000);
		if (wait_ms <= 0 || poll(&p, 1, wait_ms) == 0) {
			*timed_out = true;
			break;
		}
		got = read(fd, buf + *len, max + 1 - *len);
		if (got < 0 && errno == EINTR)
			got = 1;
		else if (got > 0)
			*len += (size_t)got;
	}
	return buf;
}

/* The program's stdout, or NULL with err: it must exit 0 in time. */
static char *capture_list_knobs(const char *program, char *err, size_t errlen)
{
	int fds[2], status = 0;
	pid_t pid;
	size_t len;
	bool timed_out;
	char *out;

	if (pipe2(fds, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		snprintf(err, errlen, "cannot run %s: %s", program, strerror(errno));
		return NULL;
	}
	if (pid == 0)
		exec_list_knobs(program, fds[1]);
	setpgid(pid, pid);
	close(fds[1]);
	out = read_until(fds[0], now_seconds() + WORKLOAD_LIST_KNOBS_TIMEOUT_S, LIST_KNOBS_MAX_BYTES, &len, &timed_out);
	close(fds[0]);
	if (timed_out) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
	}
	waitpid(pid, &status, 0);
	if (timed_out || len > LIST_KNOBS_MAX_BYTES || strlen(out) != len || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		snprintf(err, errlen, "%s %s: %s", program, PROTO_LIST_KNOBS,
			 timed_out ? "no answer in time" : len > LIST_KNOBS_MAX_BYTES ? "too much output"
			 : strlen(out) != len ? "a NUL byte in its output" : "did not exit 0 (rebuild it: make all)");
		free(out);
		return NULL;
	}
	return out;
}

int workload_declared_knobs(const struct case_def *c, struct declared_knob **out, int *n, char *err,
			    size_t errlen)
{
	struct workload_plan p = { .nfiles = 0 };
	char why[256], *text;
	int rc;

	*out = NULL;
	*n = 0;
	if (!workload_is_suite(c))
		return 0;
	/* The host runs it to list its knobs: the host's own build. */
	runner_path(&p, ARCH_X86_64, c->workload);
	if (!is_executable(p.program)) {
		snprintf(err, errlen, "workload %s is not built (%s): run make all", c->workload, p.program);
		return EXIT_UNTESTABLE;
	}
	if (!(text = capture_list_knobs(p.program, err, errlen)))
		return EXIT_UNTESTABLE;
	rc = knob_parse_declared(text, out, n, why, sizeof(why));
	free(text);
	if (rc < 0) {
		snprintf(err, errlen, "workload %s %s: %s", c->workload, PROTO_LIST_KNOBS, why);
		return EXIT_UNTESTABLE;
	}
	return 0;
}
