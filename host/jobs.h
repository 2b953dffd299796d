/* --jobs: how many VMs run at once on this machine, given or chosen
 * (--jobs auto) from its online cores and available memory. */
#ifndef MMREPRO_JOBS_H
#define MMREPRO_JOBS_H

#include <stdbool.h>
#include <stddef.h>

#define JOBS_MAX 64
/* What a TCG QEMU holds beyond the guest's RAM: its own code and the
 * translated-code buffer, which grows with what the guest runs. */
#define JOBS_QEMU_OVERHEAD_MB 256

struct host_capacity {
	int cores;          /* online */
	long avail_mb;      /* MemAvailable */
};

/* "auto" (*is_auto, *jobs 0) or a number from 1 to JOBS_MAX; -1 for
 * anything else ("0", "-1", "abc", "auto5"). */
int jobs_parse(const char *s, int *jobs, bool *is_auto);
/* The VM slots a host h has room for, each VM of vm_mem_mb of guest RAM:
 * a core per VM (one kept for the host where there are more than 2), and
 * the guest's RAM plus QEMU's overhead per VM; at least 1. why says which
 * limit chose it. */
int jobs_decide(const struct host_capacity *h, unsigned vm_mem_mb, char *why, size_t len);
/* This machine's online cores and available memory; -1 when unreadable. */
int jobs_host_capacity(struct host_capacity *h);

#endif
