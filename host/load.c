/* How busy the machine was with other work while ours ran: for cases
 * whose expectation only holds on a quiet host. */
#include "load.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* Above this share of the CPU taken by others, a race's rate is not the
 * quiet host's any more: quiet runs here measured 0-9%, and one core of
 * two busy with a kernel build 25-50% (BENCHMARKS.md, "Rates under load"). */
#define OTHERS_SHARE_LIMIT 0.15

static double tv_s(struct timeval t)
{
	return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

/* The "cpu" line's busy ticks: everything but idle and iowait. */
static bool machine_busy_s(double *out)
{
	unsigned long long v[10] = { 0 };
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "re");
	int n = f ? fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
			   &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]) : 0;

	if (f)
		fclose(f);
	if (n < 8 || hz <= 0)
		return false;
	/* user nice system idle iowait irq softirq steal; guest time is in user */
	*out = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)hz;
	return true;
}

void load_sample_take(struct load_sample *s)
{
	struct rusage self, children;
	struct timespec now;

	memset(s, 0, sizeof(*s));
	s->ok = machine_busy_s(&s->busy_s) && getrusage(RUSAGE_SELF, &self) == 0 &&
		getrusage(RUSAGE_CHILDREN, &children) == 0;
	if (!s->ok)
		return;
	s->ours_s = tv_s(self.ru_utime) + tv_s(self.ru_stime) + tv_s(children.ru_utime) + tv_s(children.ru_stime);
	clock_gettime(CLOCK_MONOTONIC, &now);
	s->wall_s = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	s->cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
}

double load_others_share(const struct load_sample *a, const struct load_sample *b)
{
	double capacity = (b->wall_s - a->wall_s) * (b->cpus > 0 ? b->cpus : 1), others;

	if (!a->ok || !b->ok || capacity <= 0)
		return -1;
	others = (b->busy_s - a->busy_s) - (b->ours_s - a->ours_s);
	others = others < 0 ? 0 : others;
	return others > capacity ? 1 : others / capacity;
}

bool load_too_busy(double others_share, int local_jobs, char *why, int len)
{
	bool busy = others_share > OTHERS_SHARE_LIMIT;

	if (!busy && local_jobs <= 1)
		return false;
	if (busy && local_jobs > 1)
		snprintf(why, (size_t)len, "other work took %.0f%% of the CPU and --jobs %d ran VMs side by side",
			 others_share * 100, local_jobs);
	else if (busy)
		snprintf(why, (size_t)len, "other work took %.0f%% of the CPU while it ran", others_share * 100);
	else
		snprintf(why, (size_t)len, "--jobs %d ran VMs side by side", local_jobs);
	return true;
}
