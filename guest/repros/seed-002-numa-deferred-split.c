// SPDX-License-Identifier: GPL-2.0
/*
 * kernel BUG at mm/migrate.c: BUG_ON(!list_empty(&migratepages)) in
 * migrate_misplaced_folio(), with NUMA balancing and THPs on the deferred
 * split list.
 *
 * Seed thread 002: "Re: [PATCH v5] mm/migrate: split source folio if it is
 * on deferred split list" (Baolin Wang, 2024-03-26). v5 split a THP that
 * sits on the deferred split list back onto the list being walked, `from`.
 * list_for_each_entry_safe() has already taken its next entry (the head),
 * so the walk ends early, the split pieces stay on the list, and the one
 * caller that migrates a single folio and then asserts the list is empty,
 * migrate_misplaced_folio() (NUMA hinting faults), hits its BUG_ON.
 * Fixed before merge by splitting onto split_folios instead (Baolin Wang's
 * review); merged as 6e49019db5f7 ("mm/migrate: split source folio if it is
 * on deferred split list", v6.10). In the mmrepro suite the bug is
 * patches/numa-deferred-split-v5 on Debian 6.12 (v5's form: no
 * folio_test_partially_mapped() test, pieces onto `from`).
 *
 * What it does:
 *   - THP enabled=always, defrag=always, kernel.numa_balancing=1, and the
 *     NUMA scanner made fast (the debugfs knobs under sched/numa_balancing);
 *   - runs on a CPU of node 0 with set_mempolicy(MPOL_BIND, node 0) and
 *     faults 32 PMD THPs there. On 6.12 every freshly faulted anonymous
 *     PMD THP is already on the deferred split list (the underused-THP
 *     shrinker); every other one also loses one subpage to MADV_DONTNEED,
 *     which makes it partially mapped and PTE-mapped;
 *   - drops the memory policy, moves to a CPU of node 1 and keeps touching
 *     every page: NUMA hinting faults (do_huge_pmd_numa_page() for the PMD
 *     mapped THPs, do_numa_page() for the PTE-mapped ones) call
 *     migrate_misplaced_folio() to move them to node 1;
 *   - checks that every page kept its contents, and stops when every THP
 *     is on node 1 or after 25 s.
 * Needs 2 NUMA nodes, each with a CPU, CONFIG_NUMA_BALANCING and THP.
 *
 * On the v5 kernel the first hinting fault on such a THP gives:
 *   kernel BUG at mm/migrate.c:2720!   (6.12.118)
 *   Oops: invalid opcode: 0000 [#1] SMP
 *   RIP: 0010:migrate_misplaced_folio+0x...
 *    __handle_mm_fault / handle_mm_fault / do_user_addr_fault
 * (title "kernel BUG in migrate_misplaced_folio") and this program is
 * killed. A fixed kernel migrates the THPs and it exits 0.
 * Exit status: 0 no problem seen (or the setup cannot test: a message says
 * so), 1 data changed, 2 setup failed.
 *
 * Reproduce with mmrepro (exit 1 = the titled report was seen):
 *   ./build/mmrepro run --repro guest/repros/seed-002-numa-deferred-split.c \
 *       --kernel src:deb-6.12 --series patches/numa-deferred-split-v5 \
 *       --numa 1G,1G --cpus 2 --memory 2G --sysctl kernel.numa_balancing=1 \
 *       --title 'kernel BUG in migrate_misplaced_folio' --repro-time 60
 * and without --series (the fixed kernel): exit 0.
 * Measured (TCG, 6.12.118, twice each): the v5 kernel hit the BUG in the
 * first run, 6-10 s after boot (once at a 4K address inside a punched
 * THP: do_numa_page()); the fixed kernel ran it 16 and 12 times in 60 s,
 * all 32 THPs reaching node 1 each time (thp_migration_split 239: the
 * partially mapped ones are split, as the merged fix does).
 *
 * Build: gcc -O2 -static -pthread -o repro seed-002-numa-deferred-split.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NR_THPS     32
#define THP_SIZE    (2UL << 20)
#define PAGE_SZ     4096UL
#define SECONDS     25

#define MPOL_DEFAULT 0
#define MPOL_BIND    2

static void write_knob(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, val, strlen(val)) < 0)
		printf("note: %s <- %s: %s\n", path, val, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* The first CPU listed in /sys/devices/system/node/nodeN/cpulist, or -1. */
static int cpu_of_node(int node)
{
	char path[64], buf[64] = "";
	int fd, cpu = -1;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", node);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) > 0 && sscanf(buf, "%d", &cpu) != 1)
		cpu = -1;
	close(fd);
	return cpu;
}

static void run_on_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		perror("sched_setaffinity");
		exit(4);
	}
}

static char page_byte(size_t pg)
{
	return (char)(pg % 251 + 1);   /* never 0: a zero page could be split off */
}

static int punched(size_t pg)
{
	/* every other THP lost its subpage 17 */
	return (pg / 512) % 2 == 0 && pg % 512 == 17;
}

/* How many THP heads move_pages(2) finds on node. */
static int heads_on_node(char *p, int node)
{
	void *pages[NR_THPS];
	int status[NR_THPS], n = 0;

	for (int i = 0; i < NR_THPS; i++)
		pages[i] = p + i * THP_SIZE;
	if (syscall(__NR_move_pages, 0, NR_THPS, pages, NULL, status, 0) < 0)
		return -1;
	for (int i = 0; i < NR_THPS; i++)
		n += status[i] == node;
	return n;
}

int main(void)
{
	size_t len = NR_THPS * THP_SIZE, npages = len / PAGE_SZ;
	int cpu0 = cpu_of_node(0), cpu1 = cpu_of_node(1), on1 = 0, rounds = 0;
	unsigned long node0 = 1;
	char *raw, *p;
	time_t end;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (cpu0 < 0 || cpu1 < 0) {
		printf("needs two NUMA nodes with a CPU each (node0 cpu %d, node1 cpu %d)\n", cpu0, cpu1);
		return 0;
	}
	write_knob("/sys/kernel/mm/transparent_hugepage/enabled", "always");
	write_knob("/sys/kernel/mm/transparent_hugepage/defrag", "always");
	write_knob("/proc/sys/kernel/numa_balancing", "1");
	write_knob("/sys/kernel/debug/sched/numa_balancing/scan_delay_ms", "0");
	write_knob("/sys/kernel/debug/sched/numa_balancing/scan_period_min_ms", "100");
	write_knob("/sys/kernel/debug/sched/numa_balancing/scan_size_mb", "1024");

	/* THPs on node 0, faulted from node 0's CPU. */
	run_on_cpu(cpu0);
	if (syscall(__NR_set_mempolicy, MPOL_BIND, &node0, 8 * sizeof(node0))) {
		perror("set_mempolicy(MPOL_BIND, node 0)");
		return 4;
	}
	raw = mmap(NULL, len + THP_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED) {
		perror("mmap");
		return 4;
	}
	p = (char *)(((uintptr_t)raw + THP_SIZE - 1) & ~(THP_SIZE - 1));
	madvise(p, len, MADV_HUGEPAGE);
	for (size_t pg = 0; pg < npages; pg++)
		p[pg * PAGE_SZ] = page_byte(pg);
	/* Half of them partially mapped: PTE-mapped, on the deferred list on
	 * every kernel that has one. */
	for (size_t pg = 0; pg < npages; pg++)
		if (punched(pg))
			madvise(p + pg * PAGE_SZ, PAGE_SZ, MADV_DONTNEED);
	printf("%d THPs faulted, %d heads on node 0\n", NR_THPS, heads_on_node(p, 0));

	/* Let NUMA balancing move them: default policy, node 1's CPU. */
	syscall(__NR_set_mempolicy, MPOL_DEFAULT, NULL, 0);
	run_on_cpu(cpu1);
	end = time(NULL) + SECONDS;
	while (time(NULL) < end) {
		for (size_t pg = 0; pg < npages; pg++) {
			char want = punched(pg) ? 0 : page_byte(pg);

			if (p[pg * PAGE_SZ] != want) {
				printf("BUG: page %zu holds %d, not %d, after migration\n", pg,
				       p[pg * PAGE_SZ], want);
				return 1;
			}
		}
		rounds++;
		on1 = heads_on_node(p, 1);
		if (on1 == NR_THPS)
			break;
		usleep(50000);
	}
	printf("%d rounds: %d of %d THP heads on node 1\n", rounds, on1, NR_THPS);
	return 0;
}
