/* mmrepro guest library: pinned threads, barriers, workers and processes
 * that share a mapping (see tst_thread.h). */
#include "tst_lib.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct tst_barrier {
	pthread_barrier_t b;
};

void *tst_shared_map(size_t len)
{
	return SAFE_MMAP(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
}

struct tst_barrier *tst_barrier_new(unsigned int parties)
{
	struct tst_barrier *b = tst_shared_map(sizeof(*b));
	pthread_barrierattr_t attr;
	int err;

	pthread_barrierattr_init(&attr);
	pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	err = pthread_barrier_init(&b->b, &attr, parties);
	pthread_barrierattr_destroy(&attr);
	if (err)
		tst_brk(TBROK, "pthread_barrier_init(%u): %s", parties, strerror(err));
	return b;
}

void tst_barrier_wait(struct tst_barrier *b)
{
	int err = pthread_barrier_wait(&b->b);

	if (err && err != PTHREAD_BARRIER_SERIAL_THREAD)
		tst_brk(TBROK, "pthread_barrier_wait: %s", strerror(err));
}

void tst_barrier_free(struct tst_barrier *b)
{
	pthread_barrier_destroy(&b->b);
	SAFE_MUNMAP(b, sizeof(*b));
}

static void *thread_main(void *arg)
{
	struct tst_thread *t = arg;

	if (t->cpu >= 0)
		tst_pin_cpu(t->cpu);
	t->fn(t->arg);
	return NULL;
}

void tst_thread_start(struct tst_thread *t, int cpu, void (*fn)(void *arg), void *arg)
{
	t->cpu = cpu;
	t->fn = fn;
	t->arg = arg;
	SAFE_PTHREAD_CREATE(&t->id, NULL, thread_main, t);
}

void tst_thread_join(struct tst_thread *t)
{
	SAFE_PTHREAD_JOIN(t->id, NULL);
}

/* ---- workers ---- */

struct tst_worker {
	struct tst_thread thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	void (*fn)(void *arg);   /* the pending call; NULL when idle */
	void *arg;
	bool busy, stop;
};

static void worker_loop(void *arg)
{
	struct tst_worker *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->busy && !w->stop)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->stop)
			break;
		pthread_mutex_unlock(&w->lock);
		w->fn(w->arg);
		pthread_mutex_lock(&w->lock);
		w->busy = false;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
}

struct tst_worker *tst_worker_start(int cpu)
{
	struct tst_worker *w = SAFE_CALLOC(1, sizeof(*w));

	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	tst_thread_start(&w->thread, cpu, worker_loop, w);
	return w;
}

void tst_worker_call(struct tst_worker *w, void (*fn)(void *arg), void *arg)
{
	pthread_mutex_lock(&w->lock);
	w->fn = fn;
	w->arg = arg;
	w->busy = true;
	pthread_cond_broadcast(&w->cond);
	while (w->busy)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

void tst_worker_stop(struct tst_worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	tst_thread_join(&w->thread);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

/* ---- processes ---- */

pid_t tst_fork_on(int cpu, void (*fn)(void *arg), void *arg)
{
	pid_t pid = SAFE_FORK();

	if (pid)
		return pid;
	if (cpu >= 0)
		tst_pin_cpu(cpu);
	fn(arg);
	_exit(0);
}

void tst_reap(pid_t pid, const char *what)
{
	int status;

	SAFE_WAITPID(pid, &status, 0);
	if (WIFSIGNALED(status))
		tst_brk(TBROK, "%s (pid %d) was killed by SIG%s", what, pid,
			sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "?");
	/* TFAIL, TBROK and TCONF: the child recorded its result itself. */
	if (WEXITSTATUS(status) && WEXITSTATUS(status) != TFAIL && WEXITSTATUS(status) != TBROK &&
	    WEXITSTATUS(status) != TCONF)
		tst_brk(TBROK, "%s (pid %d) exited with status %d", what, pid, WEXITSTATUS(status));
}
