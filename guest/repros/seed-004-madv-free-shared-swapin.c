// SPDX-License-Identifier: GPL-2.0
/*
 * MADV_FREE in one process makes reclaim discard pages that a fork child
 * still maps: the child reads zeros.
 *
 * Seed thread 004: "Re: [PATCH v2 1/1] mm/madvise: enhance lazyfreeing
 * with mTHP in madvise_free" (Ryan Roberts, David Hildenbrand, Barry Song,
 * 2024-03-07): the thread's worry that MADV_FREE decides a folio is
 * exclusive from an estimate (folio_estimated_sharers(), the mapcount of
 * one subpage). The series was merged as "mm/madvise: optimize lazyfreeing
 * with mTHP in madvise_free" (Lance Yang, v6.10); what protects a shared
 * folio in 6.12's madvise_free_pte_range() is the check, for a folio in the
 * swap cache or PG_dirty, that folio_mapcount() == folio_nr_pages() before
 * its swap is freed and PG_dirty cleared. In the mmrepro suite
 * patches/madv-free-mthp-no-exclusive-check drops that check on Debian
 * 6.12: a MUTATION standing for the thread's worry, not a posted version
 * (cases/madv-free-mthp.case, variant no-exclusive-check, "scenario 4b").
 *
 * What it does:
 *   - one CPU; mTHPs (16K..128K always, PMD THP never); swap on zram0
 *     (512M, swap header written here, swapon(2)) unless swap is on
 *     already; a memory cgroup of its own (cgroup v2 at /sys/fs/cgroup)
 *     for memory.reclaim;
 *   - fills 4 MiB of anonymous memory with a pattern of odd bytes and
 *     pages all of it out (MADV_PAGEOUT), then forks: the swap entries are
 *     now shared, so when the child and then the parent read every page
 *     back, the pages come through the swap cache and are mapped with clean
 *     PTEs in both, their only other copy on swap;
 *   - the parent calls MADV_FREE on the region and reclaims the cgroup
 *     (memory.reclaim) until none of the region is resident in the parent;
 *   - the child, which never freed anything, compares every byte.
 * A fixed kernel skips the shared folios (mapcount 2 != 1 page): the child
 * keeps its data, and this program exits 0. (The fork comes before the
 * swap-in on purpose: it shares the swap entries, so the pages come back
 * through the swap cache. Read back before the fork, from zram, they skip
 * the swap cache, and then stock 6.12 and 6.1 lose them too: that is
 * docs/findings/madv-free-swapin-fork.c, a separate defect.) With the check gone, MADV_FREE
 * frees their swap, clears PG_dirty and moves them to the lazyfree list;
 * reclaim then discards them from both processes, the child reads zeros,
 * and this program prints
 *   BUG: fork child lost data: 4194304 of 4194304 bytes differ, first at
 *   offset 0: expected 0x01, read 0x00 (page discarded)
 * and exits 1. No kernel report: the data loss is silent.
 * Exit 4 (kselftest's skip): could not test (no mTHP sysfs, no swap, no
 * memory.reclaim).
 *
 * Reproduce with mmrepro (the case's VM: 2 CPUs, 1G; swap and the cgroup
 * are set up here, the case's zram = 512M has no --repro option):
 *   ./build/mmrepro run --repro guest/repros/seed-004-madv-free-shared-swapin.c \
 *       --kernel src:deb-6.12 --series patches/madv-free-mthp-no-exclusive-check \
 *       --cpus 2 --memory 1G --repro-time 60 --repro-exit-fails
 * The kernel prints nothing: the program's own exit status is the verdict
 * (--repro-exit-fails), and the FAIL's reason is its last line.
 * Measured (TCG, 6.12.118, twice each): every finished run (158 and 98)
 * lost all 4 MiB on the buggy kernel; without --series the child was
 * intact in every finished run (125 and 73).
 *
 * Build: gcc -O2 -static -pthread -o repro seed-004-madv-free-shared-swapin.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE_SZ   4096UL
#define LEN       (4UL << 20)
#define ZRAM_SIZE (512UL << 20)
#define THP       "/sys/kernel/mm/transparent_hugepage"
#define CGROUP    "/sys/fs/cgroup/seed-004-madv-free"

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

static long read_long(const char *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = 0;
	close(fd);
	return strtol(buf, NULL, 10);
}

/* Swap on zram0 with a swap header of our own (what mkswap writes). */
static int swap_on_zram(void)
{
	char swaps[4096] = "", page[PAGE_SZ];
	int fd = open("/proc/swaps", O_RDONLY);
	uint32_t *info = (uint32_t *)(page + 1024);

	if (fd >= 0) {
		if (read(fd, swaps, sizeof(swaps) - 1) < 0)
			swaps[0] = 0;
		close(fd);
	}
	if (strchr(swaps, '\n') && strchr(swaps, '\n')[1])
		return 0;   /* a swap device is on already */
	if (access("/sys/block/zram0", F_OK))
		write_file("/sys/class/zram-control/hot_add", "1");
	snprintf(page, sizeof(page), "%lu", ZRAM_SIZE);
	if (write_file("/sys/block/zram0/disksize", page)) {
		perror("zram0/disksize");
		return -1;
	}
	memset(page, 0, sizeof(page));
	info[0] = 1;                              /* version */
	info[1] = ZRAM_SIZE / PAGE_SZ - 1;        /* last_page */
	memcpy(page + PAGE_SZ - 10, "SWAPSPACE2", 10);
	fd = open("/dev/zram0", O_WRONLY);
	if (fd < 0 || pwrite(fd, page, PAGE_SZ, 0) != PAGE_SZ || fsync(fd)) {
		perror("/dev/zram0");
		return -1;
	}
	close(fd);
	if (swapon("/dev/zram0", 0)) {
		perror("swapon /dev/zram0");
		return -1;
	}
	return 0;
}

/* A memory cgroup of our own, for memory.reclaim; the fork child joins it
 * with us. */
static int join_memcg(void)
{
	char pid[32];

	write_file("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
	if (mkdir(CGROUP, 0755) && errno != EEXIST)
		return -1;
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (write_file(CGROUP "/cgroup.procs", pid) || access(CGROUP "/memory.reclaim", W_OK))
		return -1;
	return 0;
}

static uint8_t byte_at(size_t off)
{
	return (uint8_t)(((off >> 12) * 131 + (off & (PAGE_SZ - 1)) * 7) | 1);   /* odd: never 0 */
}

/* What the child reports: how many bytes differ, and the first one. */
struct mismatch {
	size_t bad, first;
	uint8_t got;
};

static struct mismatch compare(const uint8_t *p)
{
	struct mismatch m = { 0, 0, 0 };

	for (size_t off = 0; off < LEN; off++)
		if (p[off] != byte_at(off) && !m.bad++) {
			m.first = off;
			m.got = p[off];
		}
	return m;
}

static size_t resident_pages(void *p)
{
	unsigned char vec[LEN / PAGE_SZ];
	size_t n = 0;

	if (mincore(p, LEN, vec))
		return LEN / PAGE_SZ;
	for (size_t i = 0; i < LEN / PAGE_SZ; i++)
		n += vec[i] & 1;
	return n;
}

int main(void)
{
	static const char *const sizes[] = { "16", "32", "64", "128" };
	int cmd[2], reply[2], rounds = 0;
	struct mismatch m;
	char *raw, *scratch, c, path[128];
	uint8_t *p;
	cpu_set_t one;
	pid_t child;
	long current;

	setvbuf(stdout, NULL, _IONBF, 0);
	/* One CPU: draining its LRU batches drains them all. */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);
	if (access(THP "/hugepages-64kB/enabled", F_OK)) {
		printf("cannot test: no mTHP sysfs (kernel before 6.8)\n");
		return 4;
	}
	write_file(THP "/enabled", "never");
	write_file(THP "/hugepages-2048kB/enabled", "never");
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), THP "/hugepages-%skB/enabled", sizes[i]);
		write_file(path, "always");
	}
	if (swap_on_zram() || join_memcg()) {
		printf("cannot test: no swap on zram or no memory cgroup with memory.reclaim\n");
		return 4;
	}
	signal(SIGPIPE, SIG_IGN);

	raw = mmap(NULL, LEN + (2UL << 20), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return 4;
	p = (uint8_t *)(((uintptr_t)raw + (2UL << 20) - 1) & ~((2UL << 20) - 1));
	scratch = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (scratch == MAP_FAILED)
		return 4;
	*scratch = 1;
	for (size_t off = 0; off < LEN; off++)
		p[off] = byte_at(off);

	/* Page it all out while we are its only user (MADV_PAGEOUT skips
	 * shared folios). */
	for (int i = 0; i < 3 && resident_pages(p); i++)
		madvise(p, LEN, MADV_PAGEOUT);
	if (resident_pages(p)) {
		printf("cannot test: MADV_PAGEOUT left %zu pages resident\n", resident_pages(p));
		return 4;
	}

	/* The child reads everything back from swap (through the swap cache:
	 * the entries are shared), then waits, and compares again on request. */
	if (pipe(cmd) || pipe(reply))
		return 4;
	child = fork();
	if (child == 0) {
		m = compare(p);
		if (write(reply[1], &m, sizeof(m)) != sizeof(m) || read(cmd[0], &c, 1) != 1)
			_exit(0);
		m = compare(p);
		_exit(write(reply[1], &m, sizeof(m)) != sizeof(m));
	}
	if (read(reply[0], &m, sizeof(m)) != sizeof(m) || m.bad || compare(p).bad) {
		printf("cannot test: data wrong after swap-in, before MADV_FREE\n");
		kill(child, SIGKILL);
		return 4;
	}

	/* Now the pages are mapped clean in both processes, and shared. */
	madvise(p, LEN, MADV_FREE);
	current = read_long(CGROUP "/memory.current");
	while (rounds++ < 16 && resident_pages(p)) {
		char amount[32];

		madvise(scratch, PAGE_SZ, MADV_COLD);   /* lru_add_drain(): the lazyfree batch */
		snprintf(amount, sizeof(amount), "%ld", current > (long)PAGE_SZ ? current : (long)PAGE_SZ);
		write_file(CGROUP "/memory.reclaim", amount);   /* EAGAIN when it falls short */
	}
	printf("MADV_FREE and %d reclaim rounds: %zu of %lu pages still resident in the parent\n", rounds - 1,
	       resident_pages(p), LEN / PAGE_SZ);

	if (write(cmd[1], "c", 1) != 1 || read(reply[0], &m, sizeof(m)) != sizeof(m)) {
		printf("cannot test: the fork child died\n");
		return 4;
	}
	waitpid(child, NULL, 0);
	if (m.bad) {
		printf("BUG: fork child lost data: %zu of %lu bytes differ, first at offset %#zx: "
		       "expected 0x%02x, read 0x%02x%s\n", m.bad, LEN, m.first, byte_at(m.first), m.got,
		       m.got ? "" : " (page discarded)");
		return 1;
	}
	printf("the fork child reads all %lu bytes intact\n", LEN);
	return 0;
}
