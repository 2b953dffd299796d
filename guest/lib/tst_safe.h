/* mmrepro guest library: SAFE_* wrappers in LTP's style. Each calls the
 * function and, when it fails, ends the test with TBROK naming the call,
 * its arguments, the error and the caller's file:line. */
#ifndef MMREPRO_TST_SAFE_H
#define MMREPRO_TST_SAFE_H

#include <pthread.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

#define SAFE_MMAP(addr, len, prot, flags, fd, off) \
	safe_mmap(__FILE__, __LINE__, (addr), (len), (prot), (flags), (fd), (off))
#define SAFE_MUNMAP(addr, len) safe_munmap(__FILE__, __LINE__, (addr), (len))
#define SAFE_MADVISE(addr, len, advice) safe_madvise(__FILE__, __LINE__, (addr), (len), (advice), #advice)
#define SAFE_MPROTECT(addr, len, prot) safe_mprotect(__FILE__, __LINE__, (addr), (len), (prot))
#define SAFE_MLOCK(addr, len) safe_mlock2(__FILE__, __LINE__, (addr), (len), 0)
#define SAFE_MLOCK2(addr, len, flags) safe_mlock2(__FILE__, __LINE__, (addr), (len), (flags))
#define SAFE_MUNLOCK(addr, len) safe_munlock(__FILE__, __LINE__, (addr), (len))
#define SAFE_FORK() safe_fork(__FILE__, __LINE__)
#define SAFE_WAITPID(pid, status, opts) safe_waitpid(__FILE__, __LINE__, (pid), (status), (opts))
#define SAFE_KILL(pid, sig) safe_kill(__FILE__, __LINE__, (pid), (sig))
#define SAFE_OPEN(path, flags, ...) safe_open(__FILE__, __LINE__, (path), (flags), ##__VA_ARGS__)
#define SAFE_CLOSE(fd) safe_close(__FILE__, __LINE__, (fd))
/* len_strict: a short read or write is a failure too. */
#define SAFE_READ(len_strict, fd, buf, n) safe_read(__FILE__, __LINE__, (len_strict), (fd), (buf), (n))
#define SAFE_WRITE(len_strict, fd, buf, n) safe_write(__FILE__, __LINE__, (len_strict), (fd), (buf), (n))
#define SAFE_PREAD(fd, buf, n, off) safe_pread(__FILE__, __LINE__, (fd), (buf), (n), (off))
#define SAFE_PWRITE(fd, buf, n, off) safe_pwrite(__FILE__, __LINE__, (fd), (buf), (n), (off))
#define SAFE_PIPE(fds) safe_pipe(__FILE__, __LINE__, (fds))
#define SAFE_MKDIR(path, mode) safe_mkdir(__FILE__, __LINE__, (path), (mode))
#define SAFE_MEMFD_CREATE(name, flags) safe_memfd_create(__FILE__, __LINE__, (name), (flags))
#define SAFE_FTRUNCATE(fd, len) safe_ftruncate(__FILE__, __LINE__, (fd), (len))
#define SAFE_FSTAT(fd, st) safe_fstat(__FILE__, __LINE__, (fd), (st))
#define SAFE_POSIX_FADVISE(fd, off, len, advice) \
	safe_posix_fadvise(__FILE__, __LINE__, (fd), (off), (len), (advice), #advice)
#define SAFE_MINCORE(addr, len, vec) safe_mincore(__FILE__, __LINE__, (addr), (len), (vec))
#define SAFE_MALLOC(n) safe_malloc(__FILE__, __LINE__, (n))
#define SAFE_CALLOC(n, size) safe_calloc(__FILE__, __LINE__, (n), (size))
#define SAFE_STRDUP(s) safe_strdup(__FILE__, __LINE__, (s))
#define SAFE_SETRLIMIT(res, rl) safe_setrlimit(__FILE__, __LINE__, (res), (rl))
#define SAFE_PTHREAD_CREATE(t, attr, fn, arg) safe_pthread_create(__FILE__, __LINE__, (t), (attr), (fn), (arg))
#define SAFE_PTHREAD_JOIN(t, ret) safe_pthread_join(__FILE__, __LINE__, (t), (ret))

void *safe_mmap(const char *file, int line, void *addr, size_t len, int prot, int flags, int fd, off_t off);
void safe_munmap(const char *file, int line, void *addr, size_t len);
void safe_madvise(const char *file, int line, void *addr, size_t len, int advice, const char *name);
void safe_mprotect(const char *file, int line, void *addr, size_t len, int prot);
void safe_mlock2(const char *file, int line, const void *addr, size_t len, unsigned int flags);
void safe_munlock(const char *file, int line, const void *addr, size_t len);
/* The child of SAFE_FORK() is in the workload's process group: a timeout
 * or the end of the test kills it. */
pid_t safe_fork(const char *file, int line);
pid_t safe_waitpid(const char *file, int line, pid_t pid, int *status, int opts);
void safe_kill(const char *file, int line, pid_t pid, int sig);
/* The mode argument, as open(2), only with O_CREAT. */
int safe_open(const char *file, int line, const char *path, int flags, ...);
void safe_close(const char *file, int line, int fd);
ssize_t safe_read(const char *file, int line, int len_strict, int fd, void *buf, size_t n);
ssize_t safe_write(const char *file, int line, int len_strict, int fd, const void *buf, size_t n);
void safe_pread(const char *file, int line, int fd, void *buf, size_t n, off_t off);
void safe_pwrite(const char *file, int line, int fd, const void *buf, size_t n, off_t off);
void safe_pipe(const char *file, int line, int fds[2]);
/* An existing directory is fine. */
void safe_mkdir(const char *file, int line, const char *path, mode_t mode);
int safe_memfd_create(const char *file, int line, const char *name, unsigned int flags);
void safe_ftruncate(const char *file, int line, int fd, off_t len);
struct stat;
void safe_fstat(const char *file, int line, int fd, struct stat *st);
/* posix_fadvise(3) returns the error number instead of setting errno. */
void safe_posix_fadvise(const char *file, int line, int fd, off_t off, off_t len, int advice, const char *name);
void safe_mincore(const char *file, int line, void *addr, size_t len, unsigned char *vec);
void *safe_malloc(const char *file, int line, size_t n);
void *safe_calloc(const char *file, int line, size_t n, size_t size);
char *safe_strdup(const char *file, int line, const char *s);
void safe_setrlimit(const char *file, int line, int resource, const struct rlimit *rl);
void safe_pthread_create(const char *file, int line, pthread_t *t, const pthread_attr_t *attr,
			 void *(*fn)(void *), void *arg);
void safe_pthread_join(const char *file, int line, pthread_t t, void **ret);

#endif
