/* mmrepro guest test library: pages, NUMA nodes, CPUs and LRU batches.
 * See tst_mm.h. */
#include "tst.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* /proc/self/pagemap opened by a parent describes the parent's memory, so
 * the cached descriptor is reopened in each new process. */
static int pagemap_fd(void)
{
	static pid_t owner;
	static int fd = -1;

	if (fd >= 0 && owner == getpid())
		return fd;
	if (fd >= 0)
		close(fd);
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		tst_brk(TBROK, "open /proc/self/pagemap: %m");
	owner = getpid();
	return fd;
}

void tst_pagemap_range(const void *addr, size_t npages, uint64_t *entries)
{
	off_t off = (uintptr_t)addr / PAGE_SIZE * sizeof(uint64_t);

	SAFE_PREAD(pagemap_fd(), entries, npages * sizeof(uint64_t), off);
}

uint64_t tst_pagemap(const void *addr)
{
	uint64_t entry;

	tst_pagemap_range(addr, 1, &entry);
	return entry;
}

uint64_t tst_pagemap_pfn(uint64_t entry)
{
	return entry & PM_PRESENT ? entry & PM_PFN_MASK : 0;
}

uint64_t tst_vaddr_to_pfn(const void *addr)
{
	return tst_pagemap_pfn(tst_pagemap(addr));
}

uint64_t tst_kpageflags(uint64_t pfn)
{
	static int fd = -1;
	uint64_t flags;

	if (fd < 0)
		fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		tst_brk(TBROK, "open /proc/kpageflags: %m");
	SAFE_PREAD(fd, &flags, sizeof(flags), pfn * sizeof(flags));
	return flags;
}

bool tst_kpf(uint64_t pfn, int kpf_bit)
{
	return tst_kpageflags(pfn) >> kpf_bit & 1;
}

int tst_count_kpf(const void *addr, size_t npages, int kpf_bit)
{
	uint64_t *entries = calloc(npages ? npages : 1, sizeof(*entries));
	int n = 0;

	if (!entries)
		tst_brk(TBROK, "calloc of %zu pagemap entries: %m", npages);
	tst_pagemap_range(addr, npages, entries);
	for (size_t i = 0; i < npages; i++) {
		uint64_t pfn = tst_pagemap_pfn(entries[i]);
		n += pfn && tst_kpf(pfn, kpf_bit);
	}
	free(entries);
	return n;
}

bool tst_lru_gen_enabled(void)
{
	char buf[64];
	long v;

	if (tst_read_file("/sys/kernel/mm/lru_gen/enabled", buf, sizeof(buf)) <= 0)
		return false;
	if (tst_parse_long(buf, 0, __LONG_MAX__, &v) < 0)
		tst_brk(TBROK, "/sys/kernel/mm/lru_gen/enabled: not a number: '%s'", buf);
	return v & 1;
}

int tst_page_node(void *addr)
{
	int status = -EFAULT;

	if (syscall(SYS_move_pages, 0, 1UL, &addr, NULL, &status, 0) < 0)
		return -errno;
	return status;
}

/* Zones are listed as "Node N, zone NAME" followed by their "spanned" and
 * "start_pfn:" lines. */
int tst_pfn_node(uint64_t pfn)
{
	FILE *f = fopen("/proc/zoneinfo", "re");
	unsigned long long spanned = 0, start;
	char line[512];
	int node = -1, found = -1;

	if (!f)
		tst_brk(TBROK, "open /proc/zoneinfo: %m");
	while (found < 0 && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Node %d, zone", &node) == 1)
			spanned = 0;
		else if (sscanf(line, " spanned %llu", &spanned) == 1)
			continue;
		else if (sscanf(line, " start_pfn: %llu", &start) == 1 && pfn >= start && pfn < start + spanned)
			found = node;
	}
	fclose(f);
	return found;
}

static int first_in_list(const char *path)
{
	char buf[1024], *end;
	long v;

	if (tst_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	v = strtol(buf, &end, 10);
	return end == buf ? -1 : (int)v;
}

int tst_cpu_of_node(int node)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", node);
	if (access(path, F_OK) < 0)
		return node == 0 ? first_in_list("/sys/devices/system/cpu/online") : -1;
	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", node);
	return first_in_list(path);
}

void tst_pin_cpu(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		tst_brk(TBROK, "cannot pin to CPU %d", cpu);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		tst_brk(TBROK, "pin to CPU %d: %m", cpu);
}

void *tst_mmap_aligned(size_t len, size_t align)
{
	char *raw = SAFE_MMAP(NULL, len + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *p = (char *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
	size_t head = (size_t)(p - raw);

	if (head)
		SAFE_MUNMAP(raw, head);
	SAFE_MUNMAP(p + len, align - head);
	return p;
}

/* Never faulted, so MADV_COLD on it only drains. One per process: a page
 * of the parent's mapping is still unfaulted in a fork child. */
static void *drain_page(void)
{
	static void *page;

	if (!page)
		page = SAFE_MMAP(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return page;
}

void tst_drain_local_lru(void)
{
	SAFE_MADVISE(drain_page(), PAGE_SIZE, MADV_COLD);
}

void tst_drain_all_lru(void)
{
	int ncpus = (int)sysconf(_SC_NPROCESSORS_CONF);
	cpu_set_t old;

	if (sched_getaffinity(0, sizeof(old), &old) < 0)
		tst_brk(TBROK, "sched_getaffinity: %m");
	drain_page();
	for (int cpu = 0; cpu < ncpus && cpu < CPU_SETSIZE; cpu++) {
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one) < 0)
			continue;  /* offline */
		tst_drain_local_lru();
	}
	if (sched_setaffinity(0, sizeof(old), &old) < 0)
		tst_brk(TBROK, "sched_setaffinity back: %m");
}
