/* The serial console of a running VM: spawns QEMU under a supervisor that
 * kills it if the runner dies, streams its console to a log file, collects
 * its stderr and the guest's result channel, enforces the timeouts and the
 * caps, and kills and reaps QEMU's process group on every path. */
#ifndef MMREPRO_CONSOLE_H
#define MMREPRO_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

enum console_end {
	CONSOLE_EXITED,       /* QEMU exited by itself (guest powered off or panicked) */
	CONSOLE_TIMEOUT,      /* overall timeout */
	CONSOLE_IDLE,         /* no output for idle_timeout_s */
	CONSOLE_FLOOD,        /* the log reached max_log_bytes */
	CONSOLE_INTERRUPTED,  /* SIGINT/SIGTERM/SIGHUP reached the runner */
	CONSOLE_SPAWN_FAILED,
	CONSOLE_NO_START,     /* no console byte within start_probe_s */
	CONSOLE_QEMU_FATAL,   /* QEMU's stderr showed the fatal_stderr text */
};

/* Lines the guest init prints ("mmrepro-init: <event>") whose arrival times
 * the console records, so that results can show time per phase. */
enum console_mark { MARK_INIT, MARK_ROOT, MARK_WORKLOAD_START, MARK_WORKLOAD_END, MARK_POWEROFF, MARK_COUNT };

struct console_opts {
	const char *log_path;     /* the console, as it arrives, up to max_log_bytes */
	const char *stderr_path;  /* QEMU's own stderr */
	int timeout_s;
	int idle_timeout_s;
	size_t max_log_bytes;
	int signal_fd;            /* signalfd for SIGINT/SIGTERM/SIGHUP, or -1 */
	int echo_fd;              /* also copy the console, sanitised, here (-1: no) */
	int start_probe_s;        /* 0, or end early when the console stays empty this long */
	const char *fatal_stderr; /* NULL, or text on QEMU's stderr that ends the run */
	bool results_channel;     /* give the child VM_RESULTS_FD and collect what it writes */
	size_t max_results_bytes; /* beyond it the channel's bytes are dropped */
};

struct console_result {
	enum console_end end;
	int exit_status;          /* QEMU's wait status */
	double seconds;
	double mark_s[MARK_COUNT]; /* seconds since start, < 0 when not seen */
	int mark_line[MARK_COUNT]; /* 1-based console line of the mark, 0 when not seen */
	size_t bytes;
	int signal;               /* the signal for CONSOLE_INTERRUPTED */
	char *results;            /* the result channel's bytes (malloc'd, NUL-terminated) */
	size_t results_len;
	bool results_overflow;
	char *qemu_stderr;        /* QEMU's stderr, up to 64 KiB (malloc'd) */
	/* The console as it arrived, what the log keeps of it: its first
	 * max_log_bytes (malloc'd, NUL-terminated; NULL when nothing came).
	 * The verdict is read from it, never from the log file. */
	char *log;
	size_t log_len;
	int log_errno;            /* 0, or why the log file could not be (fully) written */
	int stderr_errno;         /* 0, or why the stderr file could not be */
};

/* Runs argv to its end. A log or stderr file that cannot be written does
 * not stop the run: the first errno is in log_errno / stderr_errno, and
 * what the guest said is still in r->log. A log that cannot be opened is
 * a spawn failure (QEMU is not started). -1 on a spawn failure. */
int console_run(char *const argv[], const struct console_opts *o, struct console_result *r);
void console_result_free(struct console_result *r);
const char *console_end_name(enum console_end e);
/* Recognises an init marker in one console line; returns the mark or -1. */
int console_line_mark(const char *line, size_t len);
/* Blocks SIGINT/SIGTERM/SIGHUP and returns a signalfd for them. */
int console_signal_fd(void);
/* True when a signal is waiting on the signalfd (it is consumed). */
bool console_signal_pending(int signal_fd);

#endif
