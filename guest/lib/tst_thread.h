/* mmrepro guest library: what races need. Threads pinned to given CPUs, a
 * barrier that releases threads or processes together, a worker thread
 * that runs calls on its CPU, and processes that share a mapping. The
 * bounded "run until hit or deadline" loop is tst_run_until() (tst.h). */
#ifndef MMREPRO_TST_THREAD_H
#define MMREPRO_TST_THREAD_H

#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

/* A barrier in shared memory: it works between threads and between
 * processes forked after it was made. */
struct tst_barrier;
struct tst_barrier *tst_barrier_new(unsigned int parties);
void tst_barrier_wait(struct tst_barrier *b);
void tst_barrier_free(struct tst_barrier *b);

/* A thread that pins itself to cpu, then runs fn(arg). */
struct tst_thread {
	pthread_t id;
	int cpu;
	void (*fn)(void *arg);
	void *arg;
};
void tst_thread_start(struct tst_thread *t, int cpu, void (*fn)(void *arg), void *arg);
void tst_thread_join(struct tst_thread *t);

/* A thread pinned to cpu that runs calls on demand: tst_worker_call()
 * returns once fn(arg) has returned on the worker's CPU. Nothing is
 * allocated after tst_worker_start(), so a call disturbs no per-CPU state of
 * the caller's CPU (no heap, no munmap). */
struct tst_worker;
struct tst_worker *tst_worker_start(int cpu);
void tst_worker_call(struct tst_worker *w, void (*fn)(void *arg), void *arg);
void tst_worker_stop(struct tst_worker *w);

/* MAP_SHARED anonymous memory: both processes of a fork() see one copy. */
void *tst_shared_map(size_t len);
/* Forks a child pinned to cpu (-1: not pinned) that runs fn(arg) and exits 0
 * (tst_brk() in it exits with the verdict). */
pid_t tst_fork_on(int cpu, void (*fn)(void *arg), void *arg);
/* Waits for such a child. A signal, or an exit status other than 0 and
 * the verdicts it recorded itself (TFAIL, TBROK, TCONF), is TBROK naming what. */
void tst_reap(pid_t pid, const char *what);

#endif
