#include "util.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void vmessage(const char *fmt, va_list ap)
{
	fputs("mmrepro: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	exit(code);
}

char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (n + 65536 + 1 > cap) {
			cap = (cap ? cap * 2 : 65536) + 65536 + 1;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	if (ferror(f)) {
		free(buf);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

int write_file_atomic(const char *path, const char *data, size_t len)
{
	char tmp[PATH_MAX];
	int fd, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/* A fresh file: a results dir may hold a link by that name (to a
	 * file of the user's, written through otherwise); a stale temp file
	 * or such a link goes first. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (len > 0) {
		ssize_t w = write(fd, data, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		data += w;
		len -= (size_t)w;
	}
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int mkdir_p(const char *path, int mode)
{
	char buf[PATH_MAX];
	char *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, (mode_t)mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, (mode_t)mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

bool file_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void xsnprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		die(EXIT_USAGE, "string too long: %.80s...", buf);
}

char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		die(EXIT_UNTESTABLE, "out of memory");
	return d;
}

void *xrealloc(void *p, size_t sz)
{
	void *grown = realloc(p, sz ? sz : 1);

	if (!grown)
		die(EXIT_UNTESTABLE, "out of memory");
	return grown;
}

void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (!p)
		die(EXIT_UNTESTABLE, "out of memory");
	return p;
}

const char *repo_root(void)
{
	static char root[PATH_MAX];
	char exe[PATH_MAX];
	const char *env = getenv("MMREPRO_ROOT");
	ssize_t n;

	if (root[0])
		return root;
	if (env && *env) {
		xsnprintf(root, sizeof(root), "%s", env);
		return root;
	}
	/* The binary lives in <root>/build/mmrepro. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return ".";
	exe[n] = '\0';
	xsnprintf(root, sizeof(root), "%s", dirname(dirname(exe)));
	return root;
}

/* Forks and execs argv with stdout and stderr on the given fds (-1:
 * inherited). Returns the child's pid, or -1. */
static pid_t spawn(char *const argv[], const char *cwd, int out_fd, int err_fd)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	if (cwd && chdir(cwd) < 0)
		_exit(127);
	if ((out_fd >= 0 && dup2(out_fd, 1) < 0) || (err_fd >= 0 && dup2(err_fd, 2) < 0))
		_exit(127);
	execvp(argv[0], argv);
	_exit(127);
}

/* The exit status (0..255), 128+signal, or -1 when exec failed (127). */
static int wait_exit_status(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status) == 127 ? -1 : WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/* Not through a link: the dir may be a results dir that is not ours. */
static int open_for_output(const char *path, bool append)
{
	return open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
}

int run_cmd(char *const argv[], const char *log_path, const char *cwd)
{
	int fd = -1;
	pid_t pid;

	if (log_path && (fd = open_for_output(log_path, true)) < 0)
		return -1;
	pid = spawn(argv, cwd, fd, fd);
	if (fd >= 0)
		close(fd);
	return pid < 0 ? -1 : wait_exit_status(pid);
}

int run_cmd_split(char *const argv[], const char *out_log, const char *err_file, const char *cwd)
{
	int out = open_for_output(out_log, true), err = open_for_output(err_file, false);
	pid_t pid = -1;

	if (out >= 0 && err >= 0)
		pid = spawn(argv, cwd, out, err);
	if (out >= 0)
		close(out);
	if (err >= 0)
		close(err);
	return pid < 0 ? -1 : wait_exit_status(pid);
}

/* The buffer never grows past max + 2: one byte over max tells EFBIG,
 * and one holds the NUL. */
static size_t next_cap(size_t cap, size_t max)
{
	size_t want = cap ? cap * 2 : 65536;

	return max < SIZE_MAX - 2 && want > max + 2 ? max + 2 : want;
}

char *read_fd_limited(int fd, size_t max, size_t *len)
{
	char *buf = NULL;
	size_t n = 0, cap = 0;
	ssize_t r;
	int err = 0;

	for (;;) {
		if (n + 1 >= cap) {
			char *nb = realloc(buf, cap = next_cap(cap, max));
			if (!nb) {
				err = ENOMEM;
				break;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = r < 0 ? EIO : 0;
			break;
		}
		n += (size_t)r;
		if (n > max) {
			err = EFBIG;
			break;
		}
	}
	if (err) {
		free(buf);
		errno = err;
		return NULL;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

char *capture_argv(char *const argv[], const char *cwd)
{
	int pipefd[2], devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	size_t n = 0;
	char *out = NULL;
	pid_t pid = -1;

	if (devnull >= 0 && pipe2(pipefd, O_CLOEXEC) == 0) {
		pid = spawn(argv, cwd, pipefd[1], devnull);
		close(pipefd[1]);
		if (pid > 0)
			out = read_fd_limited(pipefd[0], CAPTURE_MAX, &n);
		/* Closing before the wait: a child still writing past the cap
		 * gets SIGPIPE instead of blocking forever. */
		close(pipefd[0]);
	}
	if (devnull >= 0)
		close(devnull);
	if (pid > 0 && wait_exit_status(pid) != 0) {
		free(out);
		return NULL;
	}
	while (out && n > 0 && isspace((unsigned char)out[n - 1]))
		out[--n] = '\0';
	return out;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int remove_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	return nftw(path, remove_entry, 64, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

char *read_file_limited(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	char *buf = NULL;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		errno = EINVAL;
	else if ((unsigned long long)st.st_size > max)
		errno = EFBIG; /* a sparse file of gigabytes costs nothing to refuse */
	else
		buf = read_fd_limited(fd, max, len);
	int err = errno;
	close(fd);
	errno = buf ? 0 : err;
	return buf;
}

/* "1 MiB" for a whole number of MiB, else bytes. */
static void format_size(size_t n, char *buf, size_t len)
{
	if (n && n % (1u << 20) == 0)
		snprintf(buf, len, "%zu MiB", n >> 20);
	else
		snprintf(buf, len, "%zu bytes", n);
}

const char *read_refusal(const char *path, int e, size_t max, char *buf, size_t len)
{
	struct stat st;
	char size[32];

	if (e == EFBIG) {
		format_size(max, size, sizeof(size));
		snprintf(buf, len, "larger than %s, the most it reads", size);
		return buf;
	}
	if ((e == ELOOP || e == EINVAL) && lstat(path, &st) == 0) {
		if (S_ISLNK(st.st_mode))
			return "is a symbolic link, not a regular file (name the file itself)";
		if (S_ISDIR(st.st_mode))
			return "is a directory, not a regular file";
		if (S_ISFIFO(st.st_mode))
			return "is a FIFO, not a regular file";
		if (S_ISSOCK(st.st_mode))
			return "is a socket, not a regular file";
		if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
			return "is a device, not a regular file";
		return "is not a regular file";
	}
	return strerror(e);
}

char *read_regular_file(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
	char why[96];
	char *text = read_file_limited(path, max, len);
	int e = errno;

	if (!text)
		snprintf(err, errlen, "%s: %s", path, read_refusal(path, e, max, why, sizeof(why)));
	errno = text ? 0 : e;
	return text;
}

static char safe_byte(char c, bool keep_lines)
{
	unsigned char u = (unsigned char)c;

	if ((u == '\n' || u == '\t') && keep_lines)
		return c;
	return u < 0x20 || u == 0x7f ? '?' : c;
}

size_t sanitize_bytes(const char *s, size_t n, char *out, bool keep_lines)
{
	for (size_t i = 0; i < n; i++)
		out[i] = safe_byte(s[i], keep_lines);
	return n;
}

void sanitize_text(char *s, bool keep_lines)
{
	sanitize_bytes(s, strlen(s), s, keep_lines);
}

static void kill_own_group(int sig)
{
	(void)sig;
	kill(0, SIGKILL);
}

void exec_supervised(char *const argv[], pid_t runner)
{
	int status;
	pid_t child;

	signal(SIGUSR1, kill_own_group);
	/* The runner stops the group with SIGTERM: the program gets it and may
	 * clean up (the libvirt backend destroys its domain), and the
	 * supervisor waits for that instead of dying first. */
	signal(SIGTERM, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGUSR1);
	if (getppid() != runner)
		kill_own_group(0);
	child = fork();
	if (child == 0) {
		signal(SIGUSR1, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (child > 0 && waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			_exit(127);
	if (child < 0)
		_exit(127);
	/* A program killed by a signal: so is its supervisor, and the runner
	 * sees the same wait status as if it had waited for the program. */
	if (WIFSIGNALED(status)) {
		signal(WTERMSIG(status), SIG_DFL);
		raise(WTERMSIG(status));
	}
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

void sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

bool util_disk_fault(int e)
{
	return e == ENOSPC || e == EDQUOT || e == EIO || e == EROFS;
}
