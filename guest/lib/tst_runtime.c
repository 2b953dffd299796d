/* mmrepro guest library: the one runtime budget, loop deadlines and the
 * bounded "run until hit or deadline" loop. */
#include "tst_lib.h"

#include <stdlib.h>
#include <time.h>

#define DEFAULT_RUNTIME_S 60
/* What the init's timeout must leave after the budget: cleanup, the
 * vmstat snapshot and the result file. */
#define TIMEOUT_MARGIN_S 15

static double runtime_end;

double tst_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The budget starts before the needs are checked: the init's timeout
 * counts from the workload's start too. */
void tst_runtime_start_(int seconds)
{
	const char *timeout = getenv("MMREPRO_TIMEOUT");
	long limit = 0;
	double budget = seconds > 0 ? seconds : DEFAULT_RUNTIME_S;

	if (timeout && tst_parse_long(timeout, 1, 86400, &limit) == 0) {
		double cap = limit > 2 * TIMEOUT_MARGIN_S ? limit - TIMEOUT_MARGIN_S : limit / 2.0;

		if (budget > cap) {
			tst_res(TINFO, "runtime %.0f s cut to %.0f s: the init kills the workload after %ld s", budget,
				cap, limit);
			budget = cap;
		}
	}
	runtime_end = tst_now() + budget;
	tst_value("runtime_budget_s", "%.0f", budget);
}

double tst_remaining_runtime(void)
{
	double left = runtime_end - tst_now();

	return left > 0 ? left : 0;
}

void tst_deadline_start(struct tst_deadline *d, double seconds)
{
	double left = tst_remaining_runtime();

	d->budget = seconds < left ? seconds : left;
	d->end = tst_now() + d->budget;
}

bool tst_deadline_passed(const struct tst_deadline *d)
{
	return tst_now() >= d->end;
}

struct tst_until tst_run_until(bool (*attempt)(void *arg, long try), void *arg, double seconds, long max_tries)
{
	struct tst_deadline d;
	struct tst_until u = { false, 0, 0 };
	double t0 = tst_now();

	tst_deadline_start(&d, seconds);
	while (!u.hit && (!max_tries || u.tries < max_tries) && (u.tries == 0 || !tst_deadline_passed(&d)))
		u.hit = attempt(arg, u.tries++);
	u.seconds = tst_now() - t0;
	return u;
}
