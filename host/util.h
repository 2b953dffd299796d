/* Small helpers shared by the host modules. */
#ifndef MMREPRO_UTIL_H
#define MMREPRO_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Exit codes, the same everywhere so that `git bisect run` works. */
enum {
	EXIT_NO_BUG = 0,
	EXIT_BUG = 1,
	EXIT_USAGE = 2,
	EXIT_UNTESTABLE = 125,
	EXIT_INTERRUPTED = 130,
};

void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/* Reads a whole file; returns malloc'd NUL-terminated buffer or NULL (errno). */
char *read_file(const char *path, size_t *len);
/* Writes via a temp file in the same dir and rename(2): readers never see a
 * half-written file. Returns 0 or -errno. */
int write_file_atomic(const char *path, const char *data, size_t len);
int mkdir_p(const char *path, int mode);
bool file_exists(const char *path);
double now_seconds(void);
/* snprintf into a fixed buffer, dies on truncation (paths, commands). */
void xsnprintf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
char *xstrdup(const char *s);
void *xcalloc(size_t n, size_t sz);
/* realloc that dies (125) when memory runs out. */
void *xrealloc(void *p, size_t sz);
/* Directory of the mmrepro checkout (MMREPRO_ROOT or the binary's ../). */
const char *repo_root(void);
/* Whether errno e is the machine's fault (a full or broken disk), which
 * makes a run untestable (125) rather than the user's input wrong (2). */
bool util_disk_fault(int e);
/* SHA-256 of data as 64 lowercase hex digits and a NUL (libcrypto). */
void sha256_hex(const void *data, size_t len, char out[65]);
/* Runs argv, stdout/stderr appended to log_path (or inherited if NULL).
 * Returns the exit status (0..255), or -1 when it could not run. */
int run_cmd(char *const argv[], const char *log_path, const char *cwd);
/* Runs argv with stdout appended to out_log and stderr written to err_file
 * (truncated), so a caller can both log and parse the errors. */
int run_cmd_split(char *const argv[], const char *out_log, const char *err_file, const char *cwd);
/* The most output capture_argv keeps; more is an error, never a silent cut. */
#define CAPTURE_MAX (1024 * 1024)
/* Runs argv (no shell) in cwd (NULL: ours) and returns its stdout with
 * trailing whitespace trimmed (malloc'd), or NULL when it could not run,
 * exited non-zero or wrote more than CAPTURE_MAX. stderr goes to /dev/null. */
char *capture_argv(char *const argv[], const char *cwd);
/* rm -rf without a shell: symlinks are removed, never followed. 0 when the
 * path is gone (or never was), -1 otherwise. */
int remove_tree(const char *path);

/* In a forked child that leads its own process group: runs argv as a
 * grandchild and exits with its status. When `runner` (the parent) dies,
 * even by SIGKILL, it kills the whole group first, so no QEMU or make is
 * left behind. (A parent-death signal set on the program itself would not
 * do: QEMU's -runas switch of user clears it.) Never returns. */
void exec_supervised(char *const argv[], pid_t runner) __attribute__((noreturn));
/* Reads a regular file that something untrusted may have written or
 * replaced: never follows a symlink, refuses devices and FIFOs, and fails
 * with EFBIG beyond max bytes. NUL-terminated; NULL with errno on error. */
char *read_file_limited(const char *path, size_t max, size_t *len);
/* read_file_limited that writes "PATH: why" into err when it refuses or
 * fails: "is a directory, not a regular file", "is a FIFO ...", "larger
 * than 1 MiB, ...", or strerror. errno is kept. */
char *read_regular_file(const char *path, size_t max, size_t *len, char *err, size_t errlen);
/* The words read_regular_file uses for errno e from read_file_limited
 * (a second lstat tells a directory, FIFO, device or link apart). */
const char *read_refusal(const char *path, int e, size_t max, char *buf, size_t len);
/* Reads fd (a pipe, stdin) to EOF, NUL-terminated, in at most max + 2
 * bytes of memory: NULL with errno EFBIG beyond max (or ENOMEM, EIO). */
char *read_fd_limited(int fd, size_t max, size_t *len);
/* Makes text from the guest or a case file safe for a terminal: every
 * control byte (ESC, CR, BEL, ...) and DEL becomes '?'; newlines and tabs
 * stay only when keep_lines. */
void sanitize_text(char *s, bool keep_lines);
/* Sanitizes n bytes of s into out (which holds n bytes); returns n. */
size_t sanitize_bytes(const char *s, size_t n, char *out, bool keep_lines);

#endif
