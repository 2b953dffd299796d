/* The serial console of a running VM: spawns QEMU, streams its console to a
 * log file, enforces the overall and the no-output timeouts and the log cap,
 * and kills and reaps QEMU's process group on every path. */
#ifndef MMREPRO_CONSOLE_H
#define MMREPRO_CONSOLE_H

#include <stddef.h>

enum console_end {
	CONSOLE_EXITED,       /* QEMU exited by itself (guest powered off or panicked) */
	CONSOLE_TIMEOUT,      /* overall timeout */
	CONSOLE_IDLE,         /* no output for idle_timeout_s */
	CONSOLE_FLOOD,        /* the log reached max_log_bytes */
	CONSOLE_INTERRUPTED,  /* SIGINT/SIGTERM/SIGHUP reached the runner */
	CONSOLE_SPAWN_FAILED,
};

/* Lines the guest init prints ("mmrepro-init: <event>") whose arrival times
 * the console records, so that results can show time per phase. */
enum console_mark { MARK_INIT, MARK_ROOT, MARK_WORKLOAD_START, MARK_WORKLOAD_END, MARK_POWEROFF, MARK_COUNT };

struct console_opts {
	const char *log_path;
	const char *stderr_path;  /* QEMU's own stderr */
	int timeout_s;
	int idle_timeout_s;
	size_t max_log_bytes;
	int signal_fd;            /* signalfd for SIGINT/SIGTERM/SIGHUP, or -1 */
	int echo_fd;              /* also copy the console here (-1: no) */
};

struct console_result {
	enum console_end end;
	int exit_status;          /* QEMU's wait status */
	double seconds;
	double mark_s[MARK_COUNT]; /* seconds since start, < 0 when not seen */
	size_t bytes;
	int signal;               /* the signal for CONSOLE_INTERRUPTED */
};

int console_run(char *const argv[], const struct console_opts *o, struct console_result *r);
const char *console_end_name(enum console_end e);
/* Recognises an init marker in one console line; returns the mark or -1. */
int console_line_mark(const char *line, size_t len);
/* Blocks SIGINT/SIGTERM/SIGHUP and returns a signalfd for them. */
int console_signal_fd(void);

#endif
