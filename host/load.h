/* How busy the machine was with other work while ours ran: for cases
 * whose expectation only holds on a quiet host. */
#ifndef MMREPRO_LOAD_H
#define MMREPRO_LOAD_H

#include <stdbool.h>

struct load_sample {
	double busy_s;   /* CPU time of the whole machine, every core (/proc/stat) */
	double ours_s;   /* of this process and the children it has waited for */
	double wall_s;
	int cpus;
	bool ok;         /* /proc/stat could be read */
};

void load_sample_take(struct load_sample *s);

/* The share of the machine's CPU time between a and b that went to other
 * processes, 0..1; -1 when it cannot be told. */
double load_others_share(const struct load_sample *a, const struct load_sample *b);

/* Fills why and returns true when a quiet-host expectation is at risk:
 * other work took more than 15% of the CPU, or jobs > 1 of ours ran
 * side by side. */
bool load_too_busy(double others_share, int local_jobs, char *why, int len);

#endif
