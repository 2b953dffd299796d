/* --jobs N and --jobs auto: the number of VM slots on this machine. */
#include "jobs.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int jobs_parse(const char *s, int *jobs, bool *is_auto)
{
	char *end;
	long n;

	*is_auto = s && !strcmp(s, "auto");
	*jobs = 0;
	if (*is_auto)
		return 0;
	if (!s || *s < '0' || *s > '9')
		return -1;
	n = strtol(s, &end, 10);
	if (*end || n < 1 || n > JOBS_MAX)
		return -1;
	*jobs = (int)n;
	return 0;
}

/* TCG runs each vCPU on a host thread: a core per VM keeps them fair, and
 * beyond 2 cores one stays with the host (builds, the runner, the shell). */
static int cores_for_vms(int cores)
{
	if (cores < 1)
		return 1;
	return cores > 2 ? cores - 1 : cores;
}

int jobs_decide(const struct host_capacity *h, unsigned vm_mem_mb, char *why, size_t len)
{
	long per_vm = (long)vm_mem_mb + JOBS_QEMU_OVERHEAD_MB;
	long by_mem = h->avail_mb > 0 ? h->avail_mb / per_vm : 0;
	int by_cores = cores_for_vms(h->cores), n = by_cores;
	const char *limit = "cores";

	if (by_mem < n) {
		n = by_mem > 0 ? (int)by_mem : 1;
		limit = by_mem > 0 ? "memory" : "memory: not even one VM fits, so one anyway";
	}
	if (n > JOBS_MAX) {
		n = JOBS_MAX;
		limit = "the most --jobs takes";
	}
	snprintf(why, len, "%d cores, %d for VMs; %ld MiB available, %ld MiB a VM (%u guest + %d QEMU): room for %ld; "
		 "limited by %s", h->cores, by_cores, h->avail_mb, per_vm, vm_mem_mb, JOBS_QEMU_OVERHEAD_MB, by_mem, limit);
	return n;
}

/* MemAvailable from /proc/meminfo, in MiB; -1 when not there. */
static long mem_available_mb(void)
{
	char *text = read_file_limited("/proc/meminfo", 1 << 16, NULL), *p;
	long kb = -1;

	if (text && (p = strstr(text, "\nMemAvailable:")) && sscanf(p, "\nMemAvailable: %ld kB", &kb) != 1)
		kb = -1;
	free(text);
	return kb < 0 ? -1 : kb / 1024;
}

int jobs_host_capacity(struct host_capacity *h)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	h->cores = cores > 0 ? (int)cores : 1;
	h->avail_mb = mem_available_mb();
	return h->avail_mb < 0 || cores < 1 ? -1 : 0;
}
