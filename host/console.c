/* QEMU's process, console, stderr and result channel, with every timeout. */
#include "console.h"
#include "../guest/protocol.h"
#include "util.h"
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define STDERR_KEEP (64u << 10)
#define STDERR_FILE_CAP (1u << 20)

static const char *const mark_names[MARK_COUNT] = {
	[MARK_INIT] = PROTO_MARK_INIT,
	[MARK_ROOT] = PROTO_MARK_ROOT,
	[MARK_WORKLOAD_START] = PROTO_MARK_WORKLOAD_START,
	[MARK_WORKLOAD_END] = PROTO_MARK_WORKLOAD_END,
	[MARK_POWEROFF] = PROTO_MARK_POWEROFF,
};

const char *console_end_name(enum console_end e)
{
	static const char *const names[] = { "exited", "timeout", "no-output", "console-flood",
					     "interrupted", "spawn-failed", "no-console-output", "qemu-error" };
	return names[e];
}

int console_line_mark(const char *line, size_t len)
{
	for (int m = 0; m < MARK_COUNT; m++) {
		size_t ml = strlen(mark_names[m]);
		/* The marker may follow a printk-free line start or a carriage return. */
		for (size_t i = 0; i + ml <= len && i < 4; i++)
			if (!memcmp(line + i, mark_names[m], ml))
				return m;
	}
	return -1;
}

int console_signal_fd(void)
{
	sigset_t set;

	/* A shell starts background jobs with SIGINT ignored; an ignored signal
	 * is discarded, never queued, so signalfd would not see it. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

bool console_signal_pending(int signal_fd)
{
	struct signalfd_siginfo si;

	return signal_fd >= 0 && read(signal_fd, &si, sizeof(si)) == sizeof(si);
}

struct child_fds {
	int console, err, results; /* write ends, -1 when absent */
};

static pid_t spawn(char *const argv[], const struct child_fds *fds)
{
	pid_t runner = getpid(), pid = fork();
	sigset_t none;

	if (pid != 0)
		return pid;
	/* QEMU gets its own process group: Ctrl-C reaches only the runner, which
	 * then kills the whole group itself, after saving what it has. */
	setpgid(0, 0);
	/* The supervisor does not exec, so handlers the runner's process had
	 * (a test harness's, say) would otherwise run in it. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	int null = open("/dev/null", O_RDWR);
	dup2(null, 0);
	dup2(fds->console, 1);
	dup2(fds->err >= 0 ? fds->err : fds->console, 2);
	if (fds->results >= 0)
		dup2(fds->results, VM_RESULTS_FD);
	else
		dup2(null, VM_RESULTS_FD);
	exec_supervised(argv, runner);
}

static void kill_group(pid_t pid, int *status)
{
	kill(-pid, SIGTERM);
	/* 5 s: the libvirt backend destroys its domain and removes its volumes. */
	for (int i = 0; i < 100; i++) {
		if (waitpid(pid, status, WNOHANG) == pid) {
			kill(-pid, SIGKILL);
			return;
		}
		usleep(50000);
	}
	kill(-pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
}

/* ---- the streams ------------------------------------------------------ */

/* A growing buffer with a cap: bytes past it are counted, not kept. Its
 * file, if any, gets the same bytes up to file_cap; the first write error
 * stops the file (file_errno), never the buffer. */
struct sink {
	char *data;
	size_t len, cap, alloc;
	bool overflow;
	int fd;                    /* -1: no file */
	size_t file_len, file_cap;
	int file_errno;
};

/* The console is kept twice, in the log file and in memory, both capped at
 * max_log_bytes; the verdict is read from the copy in memory. A log that
 * could not be written (a full disk) then never reads back as a clean
 * console, and the crash it missed is still known: the caller makes such a
 * run untestable and names the crash in its reason. The copy costs at most
 * the cap (16 MiB) for the length of one run; re-reading the file, or
 * stopping at the first write error, would each lose what the guest said. */
struct stream {
	struct sink log;
	int echo_fd;
	char line[4096];
	size_t line_len;
	int lines;
	double start;
	struct console_result *r;
};

static int write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

static void sink_keep(struct sink *k, const char *buf, size_t n)
{
	size_t keep = k->len < k->cap ? k->cap - k->len : 0;

	if (n > keep)
		k->overflow = true;
	if (n < keep)
		keep = n;
	if (!keep)
		return;
	if (k->len + keep + 1 > k->alloc) {
		size_t want = k->alloc ? k->alloc : 65536;
		while (want < k->len + keep + 1)
			want *= 2;
		k->data = xrealloc(k->data, want);
		k->alloc = want;
	}
	memcpy(k->data + k->len, buf, keep);
	k->len += keep;
	k->data[k->len] = '\0';
}

static void sink_add(struct sink *k, const char *buf, size_t n)
{
	sink_keep(k, buf, n);
	if (k->fd >= 0 && !k->file_errno && k->file_len < k->file_cap) {
		size_t w = n < k->file_cap - k->file_len ? n : k->file_cap - k->file_len;
		k->file_errno = write_all(k->fd, buf, w);
		k->file_len += w;
	}
}

static void end_line(struct stream *s)
{
	int m = console_line_mark(s->line, s->line_len);

	s->lines++;
	if (m >= 0 && s->r->mark_s[m] < 0) {
		s->r->mark_s[m] = now_seconds() - s->start;
		s->r->mark_line[m] = s->lines;
	}
	s->line_len = 0;
}

/* The terminal copy drops CRs and turns other control bytes into '?': a
 * guest must not drive the user's terminal with escape sequences. */
static void echo(struct stream *s, const char *buf, size_t n)
{
	char out[65536];
	size_t m = 0;

	for (size_t i = 0; i < n && m < sizeof(out); i++)
		if (buf[i] != '\r')
			m += sanitize_bytes(buf + i, 1, out + m, true);
	if (write(s->echo_fd, out, m) < 0)
		s->echo_fd = -1;
}

/* Writes a chunk to the log (up to the cap) and tracks init markers. */
static void consume(struct stream *s, const char *buf, size_t n)
{
	/* Unbuffered writes: the log is readable while the guest runs, and
	 * holds everything up to a SIGKILL of the runner. */
	sink_add(&s->log, buf, n);
	if (s->echo_fd >= 0)
		echo(s, buf, n);
	s->r->bytes += n;
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			end_line(s);
			continue;
		}
		if (s->line_len < sizeof(s->line))
			s->line[s->line_len++] = buf[i];
	}
}

enum { FD_CONSOLE, FD_ERR, FD_RESULTS, FD_SIGNAL, NFDS };

struct pump {
	const struct console_opts *o;
	struct stream *s;
	struct sink err, res;
	int fd[FD_SIGNAL];          /* read ends, -1 once at EOF */
	double last_output;
	bool seen_output;
};

/* Reads what is there into a sink; closes the fd at EOF. */
static void read_into(int *fd, struct sink *k)
{
	char buf[65536];
	ssize_t n = read(*fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(*fd);
		*fd = -1;
		return;
	}
	sink_add(k, buf, (size_t)n);
}

/* After QEMU exits, what it wrote to stderr and the channel is still in
 * the pipes. */
static void drain(struct pump *p)
{
	double until = now_seconds() + 2;

	while ((p->fd[FD_ERR] >= 0 || p->fd[FD_RESULTS] >= 0) && now_seconds() < until) {
		struct pollfd f[2] = { { .fd = p->fd[FD_ERR], .events = POLLIN },
				       { .fd = p->fd[FD_RESULTS], .events = POLLIN } };
		if (poll(f, 2, 200) <= 0)
			continue;
		if (f[0].revents)
			read_into(&p->fd[FD_ERR], &p->err);
		if (f[1].revents)
			read_into(&p->fd[FD_RESULTS], &p->res);
	}
}

/* Which timeout has passed (or -1), and the poll wait until the next. */
static int check_deadlines(const struct pump *p, int *wait_ms)
{
	double now = now_seconds(), start = p->s->start;
	double deadline = start + p->o->timeout_s, idle = p->last_output + p->o->idle_timeout_s;
	double probe = p->o->start_probe_s && !p->seen_output ? start + p->o->start_probe_s : deadline;
	double next = deadline;

	if (now >= deadline)
		return CONSOLE_TIMEOUT;
	if (now >= idle)
		return CONSOLE_IDLE;
	if (now >= probe)
		return CONSOLE_NO_START;
	next = idle < next ? idle : next;
	next = probe < next ? probe : next;
	*wait_ms = (int)((next - now) * 1000) + 1;
	return -1;
}

static enum console_end read_console(struct pump *p, pid_t pid, int *status)
{
	char buf[65536];
	ssize_t n = read(p->fd[FD_CONSOLE], buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return (enum console_end)-1;
	if (n <= 0) {
		while (waitpid(pid, status, 0) < 0 && errno == EINTR)
			;
		drain(p);
		return CONSOLE_EXITED;
	}
	p->last_output = now_seconds();
	p->seen_output = true;
	consume(p->s, buf, (size_t)n);
	return p->s->r->bytes >= p->s->log.cap ? CONSOLE_FLOOD : (enum console_end)-1;
}

static enum console_end pump(struct pump *p, pid_t pid, int *status)
{
	const struct console_opts *o = p->o;

	for (;;) {
		struct pollfd f[NFDS];
		int wait_ms = 0, end = check_deadlines(p, &wait_ms);

		if (end >= 0)
			return (enum console_end)end;
		for (int i = 0; i < FD_SIGNAL; i++)
			f[i] = (struct pollfd){ .fd = p->fd[i], .events = POLLIN };
		f[FD_SIGNAL] = (struct pollfd){ .fd = o->signal_fd, .events = POLLIN };
		if (poll(f, NFDS, wait_ms) < 0 && errno != EINTR)
			return CONSOLE_SPAWN_FAILED;
		if (o->signal_fd >= 0 && (f[FD_SIGNAL].revents & POLLIN)) {
			struct signalfd_siginfo si;
			if (read(o->signal_fd, &si, sizeof(si)) == sizeof(si))
				p->s->r->signal = (int)si.ssi_signo;
			return CONSOLE_INTERRUPTED;
		}
		if (f[FD_ERR].revents)
			read_into(&p->fd[FD_ERR], &p->err);
		if (o->fatal_stderr && p->err.data && strstr(p->err.data, o->fatal_stderr))
			return CONSOLE_QEMU_FATAL;
		if (f[FD_RESULTS].revents)
			read_into(&p->fd[FD_RESULTS], &p->res);
		if (f[FD_CONSOLE].revents & (POLLIN | POLLHUP)) {
			end = (int)read_console(p, pid, status);
			if (end >= 0)
				return (enum console_end)end;
		}
	}
}

static void close_all(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Three pipes: console, stderr, result channel ([i][0] read, [i][1] write). */
static int open_pipes(int pipes[3][2], bool results)
{
	for (int i = 0; i < 3; i++) {
		if (i == FD_RESULTS && !results)
			continue;
		if (pipe2(pipes[i], O_CLOEXEC) < 0)
			return -1;
		fcntl(pipes[i][0], F_SETFL, O_NONBLOCK);
	}
	return 0;
}

static void finish(struct pump *p, struct console_result *r)
{
	if (p->s->line_len)
		end_line(p->s);
	close_all(p->fd, FD_SIGNAL);
	r->results = p->res.data;
	r->results_len = p->res.len;
	r->results_overflow = p->res.overflow;
	r->qemu_stderr = p->err.data;
}

static int open_file(const char *path, int *err)
{
	/* Not through a link a resumed dir may hold in a run dir's place. */
	int fd = path ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666) : -1;

	if (path && fd < 0)
		*err = errno;
	return fd;
}

/* close() is where some filesystems (NFS, a quota) report a failed write. */
static void close_sink(struct sink *k, int *err)
{
	if (k->fd >= 0 && close(k->fd) < 0 && !k->file_errno)
		k->file_errno = errno;
	k->fd = -1;
	if (!*err)
		*err = k->file_errno;
}

static void spawn_and_pump(char *const argv[], struct pump *p, int pipes[3][2], struct console_result *r)
{
	int status = 0;
	pid_t pid;

	p->s->start = p->last_output = now_seconds();
	pid = spawn(argv, &(struct child_fds){ pipes[0][1], pipes[1][1], pipes[2][1] });
	for (int i = 0; i < 3; i++) {
		if (pipes[i][1] >= 0)
			close(pipes[i][1]);
		p->fd[i] = pipes[i][0];
	}
	if (pid < 0) {
		r->end = CONSOLE_SPAWN_FAILED;
		close_all(p->fd, FD_SIGNAL);
		return;
	}
	r->end = pump(p, pid, &status);
	if (r->end != CONSOLE_EXITED)
		kill_group(pid, &status);
	finish(p, r);
	r->exit_status = status;
	r->seconds = now_seconds() - p->s->start;
	if (r->end == CONSOLE_EXITED && WIFEXITED(status) && WEXITSTATUS(status) == 127)
		r->end = CONSOLE_SPAWN_FAILED;
}

int console_run(char *const argv[], const struct console_opts *o, struct console_result *r)
{
	struct stream s = { .echo_fd = o->echo_fd, .r = r,
			    .log = { .cap = o->max_log_bytes, .file_cap = o->max_log_bytes, .fd = -1 } };
	struct pump p = { .o = o, .s = &s, .err = { .cap = STDERR_KEEP, .file_cap = STDERR_FILE_CAP, .fd = -1 },
			  .res = { .cap = o->max_results_bytes, .fd = -1 } };
	int pipes[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } };

	memset(r, 0, sizeof(*r));
	for (int m = 0; m < MARK_COUNT; m++)
		r->mark_s[m] = -1;
	s.log.fd = open_file(o->log_path, &r->log_errno);
	p.err.fd = open_file(o->stderr_path, &r->stderr_errno);
	if (s.log.fd < 0 || open_pipes(pipes, o->results_channel) < 0) {
		r->end = CONSOLE_SPAWN_FAILED;
		close_all(&pipes[0][0], 6);
	} else {
		spawn_and_pump(argv, &p, pipes, r);
	}
	close_sink(&s.log, &r->log_errno);
	close_sink(&p.err, &r->stderr_errno);
	r->log = s.log.data;
	r->log_len = s.log.len;
	return r->end == CONSOLE_SPAWN_FAILED ? -1 : 0;
}

void console_result_free(struct console_result *r)
{
	free(r->results);
	free(r->qemu_stderr);
	free(r->log);
	r->results = r->qemu_stderr = r->log = NULL;
}
