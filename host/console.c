#include "console.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const mark_names[MARK_COUNT] = {
	[MARK_INIT] = "mmrepro-init: start",
	[MARK_ROOT] = "mmrepro-init: root-mounted",
	[MARK_WORKLOAD_START] = "mmrepro-init: workload-start",
	[MARK_WORKLOAD_END] = "mmrepro-init: workload-end",
	[MARK_POWEROFF] = "mmrepro-init: poweroff",
};

const char *console_end_name(enum console_end e)
{
	static const char *const names[] = { "exited", "timeout", "no-output", "console-flood",
					     "interrupted", "spawn-failed" };
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

static pid_t spawn(char *const argv[], int out_fd, const char *stderr_path)
{
	pid_t pid = fork();
	sigset_t none;

	if (pid != 0)
		return pid;
	/* QEMU gets its own process group: Ctrl-C reaches only the runner, which
	 * then kills the whole group itself, after saving what it has. */
	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	int null = open("/dev/null", O_RDONLY);
	int err = stderr_path ? open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0644) : -1;
	dup2(null, 0);
	dup2(out_fd, 1);
	dup2(err >= 0 ? err : out_fd, 2);
	execvp(argv[0], argv);
	fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static void kill_group(pid_t pid, int *status)
{
	kill(-pid, SIGTERM);
	for (int i = 0; i < 40; i++) {
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

struct stream {
	FILE *log;
	int echo_fd;
	char line[4096];
	size_t line_len;
	double start;
	struct console_result *r;
	size_t cap;
};

static void end_line(struct stream *s)
{
	int m = console_line_mark(s->line, s->line_len);

	if (m >= 0 && s->r->mark_s[m] < 0)
		s->r->mark_s[m] = now_seconds() - s->start;
	s->line_len = 0;
}

/* Writes a chunk to the log (up to the cap) and tracks init markers. */
static void consume(struct stream *s, const char *buf, size_t n)
{
	size_t room = s->r->bytes < s->cap ? s->cap - s->r->bytes : 0;

	/* Flushed per chunk: the log is readable while the guest runs, and
	 * holds everything up to a SIGKILL of the runner. */
	fwrite(buf, 1, n < room ? n : room, s->log);
	fflush(s->log);
	if (s->echo_fd >= 0 && write(s->echo_fd, buf, n) < 0)
		s->echo_fd = -1;
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

static enum console_end pump(int fd, pid_t pid, const struct console_opts *o, struct stream *s, int *status)
{
	double last_output = s->start;
	char buf[65536];

	for (;;) {
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = o->signal_fd, .events = POLLIN } };
		double now = now_seconds();
		double deadline = s->start + o->timeout_s, idle = last_output + o->idle_timeout_s;
		double next = deadline < idle ? deadline : idle;
		int ms = next > now ? (int)((next - now) * 1000) + 1 : 0;

		if (now >= deadline)
			return CONSOLE_TIMEOUT;
		if (now >= idle)
			return CONSOLE_IDLE;
		if (poll(p, o->signal_fd >= 0 ? 2 : 1, ms) < 0 && errno != EINTR)
			return CONSOLE_SPAWN_FAILED;
		if (o->signal_fd >= 0 && (p[1].revents & POLLIN)) {
			struct signalfd_siginfo si;
			if (read(o->signal_fd, &si, sizeof(si)) == sizeof(si))
				s->r->signal = (int)si.ssi_signo;
			return CONSOLE_INTERRUPTED;
		}
		if (!(p[0].revents & (POLLIN | POLLHUP)))
			continue;
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			return CONSOLE_EXITED;
		}
		last_output = now_seconds();
		consume(s, buf, (size_t)n);
		if (s->r->bytes >= s->cap)
			return CONSOLE_FLOOD;
	}
}

int console_run(char *const argv[], const struct console_opts *o, struct console_result *r)
{
	struct stream s = { .echo_fd = o->echo_fd, .r = r, .cap = o->max_log_bytes };
	int pipefd[2], status = 0;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	for (int m = 0; m < MARK_COUNT; m++)
		r->mark_s[m] = -1;
	s.log = fopen(o->log_path, "w");
	if (!s.log || pipe2(pipefd, O_CLOEXEC) < 0) {
		r->end = CONSOLE_SPAWN_FAILED;
		if (s.log)
			fclose(s.log);
		return -1;
	}
	s.start = now_seconds();
	pid = spawn(argv, pipefd[1], o->stderr_path);
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		fclose(s.log);
		r->end = CONSOLE_SPAWN_FAILED;
		return -1;
	}
	r->end = pump(pipefd[0], pid, o, &s, &status);
	if (r->end != CONSOLE_EXITED)
		kill_group(pid, &status);
	if (s.line_len)
		end_line(&s);
	close(pipefd[0]);
	fclose(s.log);
	r->exit_status = status;
	r->seconds = now_seconds() - s.start;
	if (r->end == CONSOLE_EXITED && WIFEXITED(status) && WEXITSTATUS(status) == 127)
		r->end = CONSOLE_SPAWN_FAILED;
	return 0;
}
