// SPDX-License-Identifier: GPL-2.0
/*
 * A FOLL_LONGTERM pin of CMA pages that sit in a per-CPU LRU batch fails
 * (ENOMEM) and leaves them in CMA.
 *
 * Seed threads 000 and 003: "Re: [PATCH] mm/gup: don't check page lru flag
 * before draining it" (David Hildenbrand, 2024-06-05) and its v2 review
 * (2024-07-03). folio_activate(), folio_deactivate() and
 * folio_mark_lazyfree() queue a folio, with a reference, on a per-CPU
 * batch while it keeps PG_lru. gup's long-term path drained the batches
 * only for a folio without PG_lru, so this one is not drained, its
 * migration out of CMA fails on the batch's reference, and
 * pin_user_pages(FOLL_LONGTERM) fails: io_uring buffer registration, or a
 * VM whose memory vfio pins, fails to start on a system with a big CMA.
 * Fixed by 33dfe9204f29 ("mm/gup: clear the LRU flag of a page before
 * adding to LRU batch", v6.11), later replaced in stable by 98c6d259319e
 * ("mm/gup: check ref_count instead of lru before migration") and
 * a09a8a1fbb37 ("mm/gup: local lru_add_drain() to avoid
 * lru_add_drain_all()"), which Debian 6.12.118 carries. In the mmrepro
 * suite the bug is patches/cma-gup-lru-drain-bug on Debian 6.12 (gup's old
 * "drain only if !folio_test_lru()" test put back).
 *
 * What it does (one CPU, cma= on the kernel command line):
 *   - faults anonymous base pages until it has windows of 8 virtually
 *     consecutive pages that all lie in CMA (pagemap PFNs against
 *     /sys/kernel/debug/cma/<area>/base_pfn and count, or the boot log's
 *     "cma: Reserved N MiB at ...");
 *   - per window: MADV_FREE on it (madvise drains this CPU's batches, then
 *     folio_mark_lazyfree() queues the 8 pages on the lazyfree batch, PG_lru
 *     still set), writes every page again, and pins it long-term with
 *     nothing in between that could drain: first io_uring
 *     IORING_REGISTER_BUFFERS, then (another window)
 *     /sys/kernel/debug/gup_test PIN_LONGTERM_BENCHMARK (CONFIG_GUP_TEST);
 *   - a pin must move every page out of CMA. If it fails or leaves pages in
 *     CMA, the batch is drained (MADV_COLD drains) and the same pin retried:
 *     when the retry succeeds, the batch's reference was the cause.
 *
 * The bug is no kernel report: the buggy kernel is silent, and this
 * program says so itself (6.12.118 + the bug patch):
 *   io_uring: IORING_REGISTER_BUFFERS: Cannot allocate memory; 8 of 8 pages still in CMA
 *   io_uring: after draining the LRU batch the same pin moved 8 of 8 pages out of CMA
 *   BUG: longterm pin left the page in CMA
 * and exits 1. A fixed kernel prints "... pinned 8 pages, all moved out of
 * CMA" for each pin and exits 0. Exit 4 (kselftest's skip): could not
 * test (no CMA, no window in CMA, no way to pin), with the reason.
 *
 * Reproduce with mmrepro (the case's VM: 1 CPU, 768M, cma=448M):
 *   ./build/mmrepro run --repro guest/repros/seed-000-cma-lru-batch-pin.c \
 *       --kernel src:deb-6.12 --series patches/cma-gup-lru-drain-bug \
 *       --cpus 1 --memory 768M --cmdline cma=448M --repro-time 60 --repro-exit-fails
 * The kernel prints nothing: the program's own exit status is the verdict
 * (--repro-exit-fails), and the FAIL's reason is its last line.
 * Measured (TCG, 6.12.118, twice each): every run (194 and 289 in 60 s)
 * failed both pins on the buggy kernel; without --series both pins moved
 * all 8 pages out of CMA in every run (235 and 302).
 * Its output of the last run is kept as results/latest/run-1/guest/repro.log.
 *
 * Build: gcc -O2 -static -pthread -o repro seed-000-cma-lru-batch-pin.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <linux/io_uring.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define PAGE_SZ     4096UL
#define NR_PAGES    8                 /* a window; the batch holds 31 */
#define NR_WINDOWS  4
#define CHUNK       (16UL << 20)
#define MAX_FAULT   (256UL << 20)
#define MAX_AREAS   8
#define KPF_LRU     5

/* From mm/gup_test.h (not a uapi header). */
struct gup_test {
	uint64_t get_delta_usec;
	uint64_t put_delta_usec;
	uint64_t addr;
	uint64_t size;
	uint32_t nr_pages_per_call;
	uint32_t gup_flags;
	uint32_t test_flags;
	uint32_t which_pages[8];
};
#define PIN_LONGTERM_BENCHMARK _IOWR('g', 3, struct gup_test)
#define GUP_FOLL_WRITE 0x1

static struct { uint64_t base, count; } cma[MAX_AREAS];
static int nr_cma, pagemap_fd, kpageflags_fd;
static char *drain_page;

static uint64_t read_u64(const char *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return 0;
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = 0;
	close(fd);
	return strtoull(buf, NULL, 0);
}

/* CMA areas from debugfs, else from the boot log. */
static void find_cma(void)
{
	DIR *d = opendir("/sys/kernel/debug/cma");
	struct dirent *e;
	char path[512], *log, *p;
	int len;

	while (d && (e = readdir(d)) && nr_cma < MAX_AREAS) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/debug/cma/%s/base_pfn", e->d_name);
		cma[nr_cma].base = read_u64(path);
		snprintf(path, sizeof(path), "/sys/kernel/debug/cma/%s/count", e->d_name);
		cma[nr_cma].count = read_u64(path);
		nr_cma += cma[nr_cma].count != 0;
	}
	if (d)
		closedir(d);
	if (nr_cma)
		return;
	len = klogctl(10, NULL, 0);
	log = calloc(1, len > 0 ? len + 1 : 1);
	len = klogctl(3, log, len);
	for (p = log; len > 0 && nr_cma < MAX_AREAS && (p = strstr(p, "cma: Reserved ")); p++) {
		unsigned long mib;
		unsigned long long at;

		if (sscanf(p, "cma: Reserved %lu MiB at %llx", &mib, &at) == 2) {
			cma[nr_cma].base = at / PAGE_SZ;
			cma[nr_cma++].count = (mib << 20) / PAGE_SZ;
		}
	}
	free(log);
}

static uint64_t pfn_of(const char *addr)
{
	uint64_t e = 0;

	if (pread(pagemap_fd, &e, sizeof(e), (uintptr_t)addr / PAGE_SZ * 8) != sizeof(e))
		return 0;
	return e >> 63 ? e & ((1ULL << 55) - 1) : 0;
}

static int in_cma(const char *addr)
{
	uint64_t pfn = pfn_of(addr);

	for (int i = 0; i < nr_cma; i++)
		if (pfn && pfn >= cma[i].base && pfn < cma[i].base + cma[i].count)
			return 1;
	return 0;
}

static int count_in_cma(const char *w)
{
	int n = 0;

	for (int i = 0; i < NR_PAGES; i++)
		n += in_cma(w + i * PAGE_SZ);
	return n;
}

static int count_lru(const char *w)
{
	int n = 0;

	for (int i = 0; i < NR_PAGES; i++) {
		uint64_t flags = 0, pfn = pfn_of(w + i * PAGE_SZ);

		if (pfn && pread(kpageflags_fd, &flags, 8, pfn * 8) == 8)
			n += flags >> KPF_LRU & 1;
	}
	return n;
}

/* madvise(MADV_COLD) starts with lru_add_drain(): this CPU's batches. */
static void drain_lru_batches(void)
{
	madvise(drain_page, PAGE_SZ, MADV_COLD);
}

static uint64_t pattern(const char *page)
{
	return (uintptr_t)page * 0x9e3779b97f4a7c15ULL;
}

static void write_window(char *w)
{
	for (int i = 0; i < NR_PAGES; i++)
		*(volatile uint64_t *)(w + i * PAGE_SZ) = pattern(w + i * PAGE_SZ);
}

static int window_intact(const char *w)
{
	for (int i = 0; i < NR_PAGES; i++)
		if (*(const uint64_t *)(w + i * PAGE_SZ) != pattern(w + i * PAGE_SZ))
			return 0;
	return 1;
}

/* Fault memory until NR_WINDOWS runs of NR_PAGES consecutive pages lie in
 * CMA. Base pages only: no THP. */
static int find_windows(char **win)
{
	char *mem = mmap(NULL, MAX_FAULT, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int n = 0, run = 0;

	if (mem == MAP_FAILED)
		return 0;
	madvise(mem, MAX_FAULT, MADV_NOHUGEPAGE);
	for (size_t off = 0; off < MAX_FAULT && n < NR_WINDOWS; off += CHUNK) {
		for (size_t pg = 0; pg < CHUNK / PAGE_SZ; pg++)
			*(volatile char *)(mem + off + pg * PAGE_SZ) = 1;
		for (size_t pg = 0; pg < CHUNK / PAGE_SZ && n < NR_WINDOWS; pg++) {
			char *page = mem + off + pg * PAGE_SZ;

			run = in_cma(page) ? run + 1 : 0;
			if (run == NR_PAGES) {
				win[n++] = page - (NR_PAGES - 1) * PAGE_SZ;
				run = 0;
			}
		}
	}
	for (int i = 0; i < n; i++)
		write_window(win[i]);
	return n;
}

/* The pins. Each returns 0 or an errno, and how many pages stayed in CMA
 * while pinned (or after the failure). */
static int uring_fd = -1, gup_fd = -1;

static int pin_io_uring(char *w, int *left_in_cma)
{
	struct iovec iov[NR_PAGES];
	int err = 0;

	for (int i = 0; i < NR_PAGES; i++)
		iov[i] = (struct iovec){ w + i * PAGE_SZ, PAGE_SZ };
	if (syscall(__NR_io_uring_register, uring_fd, IORING_REGISTER_BUFFERS, iov, NR_PAGES) < 0)
		err = errno;
	*left_in_cma = count_in_cma(w);
	if (!err)
		syscall(__NR_io_uring_register, uring_fd, IORING_UNREGISTER_BUFFERS, NULL, 0);
	return err;
}

/* gup_test pins, unpins and reports the bytes pinned: a failed pin reads
 * as size 0, not as an error. */
static int pin_gup_test(char *w, int *left_in_cma)
{
	struct gup_test g;
	int err = 0;

	memset(&g, 0, sizeof(g));
	g.addr = (uintptr_t)w;
	g.size = NR_PAGES * PAGE_SZ;
	g.nr_pages_per_call = NR_PAGES;
	g.gup_flags = GUP_FOLL_WRITE;
	if (ioctl(gup_fd, PIN_LONGTERM_BENCHMARK, &g) < 0)
		err = errno;
	else if (g.size < NR_PAGES * PAGE_SZ)
		err = ENOMEM;
	*left_in_cma = count_in_cma(w);
	return err;
}

/* 1: the batch made the pin fail (the bug); 0: it pinned and left CMA;
 * 2: it failed for another reason. */
static int try_pin(const char *name, int (*pin)(char *, int *), char *w)
{
	int err, left, on_lru, retry_left;

	if (count_in_cma(w) < NR_PAGES) {
		printf("%s: window no longer all in CMA, skipped\n", name);
		return 0;
	}
	/* The batch, then the pin, with nothing in between that drains. */
	madvise(w, NR_PAGES * PAGE_SZ, MADV_FREE);
	write_window(w);
	on_lru = count_lru(w);
	err = pin(w, &left);

	if (!err && !left) {
		printf("%s: pinned %d pages, all moved out of CMA\n", name, NR_PAGES);
		return window_intact(w) ? 0 : (printf("BUG: %s: data lost\n", name), 1);
	}
	printf("%s: %s%s; %d of %d pages still in CMA (%d of them flagged LRU while batched)\n", name,
	       err ? "pin failed: " : "pinned", err ? strerror(err) : "", left, NR_PAGES, on_lru);
	drain_lru_batches();
	err = pin(w, &retry_left);
	if (err || retry_left) {
		printf("%s: after draining the LRU batch the pin still gives %s, %d pages in CMA: "
		       "not the batch's reference\n", name, err ? strerror(err) : "success", retry_left);
		return 4;
	}
	printf("%s: after draining the LRU batch the same pin moved %d of %d pages out of CMA\n", name,
	       NR_PAGES - retry_left, NR_PAGES);
	return 1;
}

int main(void)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	struct io_uring_params params;
	char *win[NR_WINDOWS];
	int n, bug = 0, tested = 0, r;
	cpu_set_t cpu0;

	setvbuf(stdout, NULL, _IONBF, 0);
	/* Classic LRU: with MGLRU folio_mark_accessed() does not batch; the
	 * lazyfree batch is the same either way, but keep the seed's setup. */
	int fd = open("/sys/kernel/mm/lru_gen/enabled", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "n", 1) < 0)
			perror("lru_gen/enabled");
		close(fd);
	}
	setrlimit(RLIMIT_MEMLOCK, &unlimited);   /* io_uring charges buffers to it */
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	sched_setaffinity(0, sizeof(cpu0), &cpu0);   /* batch and pin on one CPU */

	find_cma();
	pagemap_fd = open("/proc/self/pagemap", O_RDONLY);
	kpageflags_fd = open("/proc/kpageflags", O_RDONLY);
	if (!nr_cma || pagemap_fd < 0) {
		printf("cannot test: no CMA area found (boot with cma=448M) or no pagemap\n");
		return 4;
	}
	drain_page = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	*drain_page = 1;
	n = find_windows(win);
	if (n < 2) {
		printf("cannot test: found %d windows of %d pages in CMA\n", n, NR_PAGES);
		return 4;
	}

	memset(&params, 0, sizeof(params));
	uring_fd = syscall(__NR_io_uring_setup, 4, &params);
	if (uring_fd >= 0) {
		r = try_pin("io_uring", pin_io_uring, win[0]);
		bug |= r == 1;
		tested += r != 2;
	} else {
		printf("io_uring_setup: %s: skipped\n", strerror(errno));
	}
	gup_fd = open("/sys/kernel/debug/gup_test", O_RDWR);
	if (gup_fd >= 0) {
		r = try_pin("gup_test", pin_gup_test, win[1]);
		bug |= r == 1;
		tested += r != 2;
	} else {
		printf("/sys/kernel/debug/gup_test: %s (CONFIG_GUP_TEST): skipped\n", strerror(errno));
	}

	if (bug) {
		printf("BUG: longterm pin left the page in CMA\n");
		return 1;
	}
	return tested ? 0 : 2;
}
