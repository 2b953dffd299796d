/* mmrepro guest library: the SAFE_* wrappers (see tst_safe.h). */
#include "tst_lib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *prot_text(int prot, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", prot ? "" : "PROT_NONE", prot & PROT_READ ? "R" : "",
		 prot & PROT_WRITE ? "W" : "", prot & PROT_EXEC ? "X" : "");
	return buf;
}

void *safe_mmap(const char *file, int line, void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p = mmap(addr, len, prot, flags, fd, off);
	char pt[16];

	if (p == MAP_FAILED)
		tst_brk_(file, line, TBROK, "mmap(%p, %zu, %s, %#x, %d, %lld) failed: %m", addr, len,
			 prot_text(prot, pt, sizeof(pt)), flags, fd, (long long)off);
	return p;
}

void safe_munmap(const char *file, int line, void *addr, size_t len)
{
	if (munmap(addr, len) < 0)
		tst_brk_(file, line, TBROK, "munmap(%p, %zu) failed: %m", addr, len);
}

void safe_madvise(const char *file, int line, void *addr, size_t len, int advice, const char *name)
{
	if (madvise(addr, len, advice) < 0)
		tst_brk_(file, line, TBROK, "madvise(%p, %zu, %s) failed: %m", addr, len, name);
}

void safe_mprotect(const char *file, int line, void *addr, size_t len, int prot)
{
	char pt[16];

	if (mprotect(addr, len, prot) < 0)
		tst_brk_(file, line, TBROK, "mprotect(%p, %zu, %s) failed: %m", addr, len,
			 prot_text(prot, pt, sizeof(pt)));
}

/* Through syscall(2): mlock2 with flags 0 is mlock(2). */
void safe_mlock2(const char *file, int line, const void *addr, size_t len, unsigned int flags)
{
	if (syscall(SYS_mlock2, addr, len, flags) < 0)
		tst_brk_(file, line, TBROK, "mlock2(%p, %zu, %#x) failed: %m", addr, len, flags);
}

void safe_munlock(const char *file, int line, const void *addr, size_t len)
{
	if (munlock(addr, len) < 0)
		tst_brk_(file, line, TBROK, "munlock(%p, %zu) failed: %m", addr, len);
}

pid_t safe_fork(const char *file, int line)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		tst_brk_(file, line, TBROK, "fork() failed: %m");
	return pid;
}

pid_t safe_waitpid(const char *file, int line, pid_t pid, int *status, int opts)
{
	pid_t r;

	while ((r = waitpid(pid, status, opts)) < 0 && errno == EINTR)
		;
	if (r < 0)
		tst_brk_(file, line, TBROK, "waitpid(%d) failed: %m", pid);
	return r;
}

void safe_kill(const char *file, int line, pid_t pid, int sig)
{
	if (kill(pid, sig) < 0)
		tst_brk_(file, line, TBROK, "kill(%d, %d) failed: %m", pid, sig);
}

int safe_open(const char *file, int line, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;
	int fd;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = va_arg(ap, int);
		va_end(ap);
	}
	fd = open(path, flags | O_CLOEXEC, mode);
	if (fd < 0)
		tst_brk_(file, line, TBROK, "open(%s, %#x) failed: %m", path, flags);
	return fd;
}

void safe_close(const char *file, int line, int fd)
{
	if (close(fd) < 0)
		tst_brk_(file, line, TBROK, "close(%d) failed: %m", fd);
}

ssize_t safe_read(const char *file, int line, int len_strict, int fd, void *buf, size_t n)
{
	ssize_t r = read(fd, buf, n);

	if (r < 0)
		tst_brk_(file, line, TBROK, "read(%d, %zu) failed: %m", fd, n);
	if (len_strict && (size_t)r != n)
		tst_brk_(file, line, TBROK, "read(%d, %zu) returned %zd", fd, n, r);
	return r;
}

ssize_t safe_write(const char *file, int line, int len_strict, int fd, const void *buf, size_t n)
{
	ssize_t r = write(fd, buf, n);

	if (r < 0)
		tst_brk_(file, line, TBROK, "write(%d, %zu) failed: %m", fd, n);
	if (len_strict && (size_t)r != n)
		tst_brk_(file, line, TBROK, "write(%d, %zu) returned %zd", fd, n, r);
	return r;
}

void safe_pread(const char *file, int line, int fd, void *buf, size_t n, off_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = pread(fd, (char *)buf + done, n - done, off + done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			tst_brk_(file, line, TBROK, "pread(%d, %zu, %lld) failed: %s", fd, n, (long long)(off + done),
				 r < 0 ? strerror(errno) : "end of file");
		done += r;
	}
}

void safe_pwrite(const char *file, int line, int fd, const void *buf, size_t n, off_t off)
{
	ssize_t r = pwrite(fd, buf, n, off);

	if (r != (ssize_t)n)
		tst_brk_(file, line, TBROK, "pwrite(%d, %zu, %lld) failed: %s", fd, n, (long long)off,
			 r < 0 ? strerror(errno) : "short write");
}

void safe_pipe(const char *file, int line, int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		tst_brk_(file, line, TBROK, "pipe() failed: %m");
}

void safe_mkdir(const char *file, int line, const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		tst_brk_(file, line, TBROK, "mkdir(%s, %#o) failed: %m", path, mode);
}

int safe_memfd_create(const char *file, int line, const char *name, unsigned int flags)
{
	int fd = memfd_create(name, flags);

	if (fd < 0)
		tst_brk_(file, line, TBROK, "memfd_create(%s, %#x) failed: %m", name, flags);
	return fd;
}

void safe_ftruncate(const char *file, int line, int fd, off_t len)
{
	if (ftruncate(fd, len) < 0)
		tst_brk_(file, line, TBROK, "ftruncate(%d, %lld) failed: %m", fd, (long long)len);
}

void safe_fstat(const char *file, int line, int fd, struct stat *st)
{
	if (fstat(fd, st) < 0)
		tst_brk_(file, line, TBROK, "fstat(%d) failed: %m", fd);
}

void safe_posix_fadvise(const char *file, int line, int fd, off_t off, off_t len, int advice, const char *name)
{
	int err = posix_fadvise(fd, off, len, advice);

	if (err)
		tst_brk_(file, line, TBROK, "posix_fadvise(%d, %lld, %lld, %s) failed: %s", fd, (long long)off,
			 (long long)len, name, strerror(err));
}

void safe_mincore(const char *file, int line, void *addr, size_t len, unsigned char *vec)
{
	if (mincore(addr, len, vec) < 0)
		tst_brk_(file, line, TBROK, "mincore(%p, %zu) failed: %m", addr, len);
}

void *safe_malloc(const char *file, int line, size_t n)
{
	void *p = malloc(n);

	if (!p)
		tst_brk_(file, line, TBROK, "malloc(%zu) failed", n);
	return p;
}

void *safe_calloc(const char *file, int line, size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		tst_brk_(file, line, TBROK, "calloc(%zu, %zu) failed", n, size);
	return p;
}

char *safe_strdup(const char *file, int line, const char *s)
{
	char *p = strdup(s);

	if (!p)
		tst_brk_(file, line, TBROK, "strdup() failed");
	return p;
}

void safe_setrlimit(const char *file, int line, int resource, const struct rlimit *rl)
{
	if (setrlimit(resource, rl) < 0)
		tst_brk_(file, line, TBROK, "setrlimit(%d) failed: %m", resource);
}

void safe_pthread_create(const char *file, int line, pthread_t *t, const pthread_attr_t *attr,
			 void *(*fn)(void *), void *arg)
{
	int err = pthread_create(t, attr, fn, arg);

	if (err)
		tst_brk_(file, line, TBROK, "pthread_create() failed: %s", strerror(err));
}

void safe_pthread_join(const char *file, int line, pthread_t t, void **ret)
{
	int err = pthread_join(t, ret);

	if (err)
		tst_brk_(file, line, TBROK, "pthread_join() failed: %s", strerror(err));
}
