/* Seed 002: NUMA migration of THPs that sit on the deferred split list.
 *
 * The v5 patch "mm/migrate: split source folio if it is on deferred split
 * list" split such folios onto the list being walked (`from`), so the walk
 * ended early and migrate_misplaced_folio() hit BUG_ON(!list_empty()).
 *
 * THPs are faulted on node 0 (a 6.12 PMD THP is on the deferred list from
 * its first fault; half of them also lose one subpage to MADV_DONTNEED, so
 * they are partially mapped). First move_pages(2) of one region with the
 * per-page statuses checked, then NUMA balancing: the task moves to node 1's
 * CPU and keeps touching the other region, so hinting faults call
 * migrate_misplaced_folio() on those folios.
 */
#include "tst.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define THP_SIZE PMD_SIZE

static int nr_thps = 32;
static int balance_seconds = 30;
static char *explicit_region, *balance_region;

static const struct tst_knob knobs[] = {
	{ "/sys/kernel/mm/transparent_hugepage/enabled", "always", false },
	{ "/sys/kernel/mm/transparent_hugepage/defrag", "always", true },
	{ "/proc/sys/kernel/numa_balancing", "1", false },
	/* Scan fast, so hinting faults come within seconds under TCG. */
	{ "/sys/kernel/debug/sched/numa_balancing/scan_delay_ms", "0", true },
	{ "/sys/kernel/debug/sched/numa_balancing/scan_period_min_ms", "100", true },
	{ "/sys/kernel/debug/sched/numa_balancing/scan_size_mb", "1024", true },
	{ NULL, NULL, false },
};

static const char *const kconfigs[] = {
	"CONFIG_NUMA", "CONFIG_TRANSPARENT_HUGEPAGE", "CONFIG_MIGRATION", "CONFIG_NUMA_BALANCING", NULL,
};

static char *thp_region(void)
{
	size_t len = (size_t)nr_thps * THP_SIZE;
	char *p = tst_mmap_aligned(len, THP_SIZE);

	SAFE_MADVISE(p, len, MADV_HUGEPAGE);
	for (size_t off = 0; off < len; off += PAGE_SIZE)
		p[off] = (char)(off / PAGE_SIZE);
	return p;
}

static int count_thps(char *p)
{
	int n = 0;

	for (int i = 0; i < nr_thps; i++) {
		uint64_t pfn = tst_vaddr_to_pfn(p + (size_t)i * THP_SIZE);
		n += pfn && tst_kpf(pfn, KPF_THP);
	}
	return n;
}

/* Every other THP loses one subpage: partially mapped, on the deferred
 * split list even with the fixed code's folio_test_partially_mapped(). */
static void punch_subpages(char *p)
{
	for (int i = 0; i < nr_thps; i += 2)
		SAFE_MADVISE(p + (size_t)i * THP_SIZE + 17 * PAGE_SIZE, PAGE_SIZE, MADV_DONTNEED);
}

static int pages_on_node(char *p, int node)
{
	int n = 0;

	for (int i = 0; i < nr_thps; i++)
		n += tst_page_node(p + (size_t)i * THP_SIZE) == node;
	return n;
}

static void setup(void)
{
	int cpu0 = tst_cpu_of_node(0);

	if (cpu0 < 0 || tst_cpu_of_node(1) < 0)
		tst_brk(TCONF, "each of nodes 0 and 1 needs a CPU");
	tst_pin_cpu(cpu0);
	explicit_region = thp_region();
	balance_region = thp_region();
	tst_value_long("thps_explicit", count_thps(explicit_region));
	tst_value_long("thps_balance", count_thps(balance_region));
	if (count_thps(explicit_region) + count_thps(balance_region) < nr_thps)
		tst_brk(TBROK, "too few THPs: %d and %d of %d", count_thps(explicit_region),
			count_thps(balance_region), nr_thps);
	punch_subpages(explicit_region);
	punch_subpages(balance_region);
	tst_value_long("thp_deferred_split_page_after_punch", tst_vmstat_delta("thp_deferred_split_page"));
}

/* move_pages(2) of each THP head to node 1: only success or -EBUSY are
 * acceptable statuses; anything else is a migration failure to report. */
static void explicit_migration(void)
{
	void *pages[512];
	int nodes[512], status[512], bad = 0, moved = 0;
	long rc;

	for (int i = 0; i < nr_thps; i++) {
		pages[i] = explicit_region + (size_t)i * THP_SIZE;
		nodes[i] = 1;
	}
	rc = syscall(SYS_move_pages, 0, (unsigned long)nr_thps, pages, nodes, status, 0);
	if (rc < 0)
		tst_brk(TBROK, "move_pages: %s", strerror(errno));
	for (int i = 0; i < nr_thps; i++) {
		if (status[i] == 1)
			moved++;
		else if (status[i] != -EBUSY) {
			if (!bad)
				tst_res(TFAIL, "move_pages: THP %d status %d (%s)", i, status[i],
					status[i] < 0 ? strerror(-status[i]) : "wrong node");
			bad++;
		}
	}
	tst_value_long("move_pages_moved", moved);
	tst_value_long("move_pages_bad_status", bad);
	tst_value_long("move_pages_unmigrated_returned", rc);
	if (!bad)
		tst_res(TPASS, "move_pages: %d of %d THPs to node 1, no unexpected status", moved, nr_thps);
}

static void touch_all(char *p)
{
	for (size_t off = 0; off < (size_t)nr_thps * THP_SIZE; off += PAGE_SIZE)
		p[off]++;
}

static void numa_balancing(void)
{
	struct tst_deadline end;
	int on1 = 0, rounds = 0;

	tst_pin_cpu(tst_cpu_of_node(1));
	tst_deadline_start(&end, balance_seconds);
	while (!tst_deadline_passed(&end)) {
		touch_all(balance_region);
		rounds++;
		on1 = pages_on_node(balance_region, 1);
		if (on1 == nr_thps && tst_vmstat_delta("numa_pages_migrated") > 0)
			break;
		usleep(50000);
	}
	tst_value_long("balance_rounds", rounds);
	tst_value_long("balance_heads_on_node1", on1);
	tst_value_long("numa_hint_faults", tst_vmstat_delta("numa_hint_faults"));
	tst_value_long("numa_pages_migrated", tst_vmstat_delta("numa_pages_migrated"));
	tst_value_long("thp_migration_split", tst_vmstat_delta("thp_migration_split"));
	tst_value_long("pgmigrate_fail", tst_vmstat_delta("pgmigrate_fail"));
	if (tst_vmstat_delta("numa_pages_migrated") <= 0)
		tst_res(TFAIL, "NUMA balancing migrated nothing in %.0f s (%ld hinting faults)", end.budget,
			tst_vmstat_delta("numa_hint_faults"));
	else if (on1 * 2 < nr_thps)
		tst_res(TFAIL, "only %d of %d folio heads reached node 1", on1, nr_thps);
	else
		tst_res(TPASS, "NUMA balancing: %d of %d folio heads on node 1, %ld pages migrated", on1,
			nr_thps, tst_vmstat_delta("numa_pages_migrated"));
}

/* Migration must not change a byte: every page still holds its index,
 * except the subpage MADV_DONTNEED dropped, which reads back as zero. */
static void verify_data(char *p)
{
	for (int i = 0; i < nr_thps; i++) {
		for (size_t pg = 0; pg < THP_SIZE / PAGE_SIZE; pg++) {
			size_t off = (size_t)i * THP_SIZE + pg * PAGE_SIZE;
			char want = i % 2 == 0 && pg == 17 ? 0 : (char)(off / PAGE_SIZE);
			if (p[off] != want) {
				tst_res(TFAIL, "data changed after move_pages: THP %d page %zu holds %d, not %d",
					i, pg, p[off], want);
				return;
			}
		}
	}
	tst_res(TPASS, "data intact after move_pages");
}

static void run(void)
{
	explicit_migration();
	verify_data(explicit_region);
	numa_balancing();
}

static const struct tst_option options[] = {
	{ "thps", TST_OPT_INT, &nr_thps, 2, 512, NULL, "THPs per region (32)" },
	{ "balance-seconds", TST_OPT_INT, &balance_seconds, 1, 3600, NULL,
	  "how long NUMA balancing may take (30), within the runtime" },
	{ NULL, 0, NULL, 0, 0, NULL, NULL },
};

static const struct tst_tag tags[] = {
	/* The form merged upstream, split pieces on split_folios (v6.10). */
	{ "linux-git", "6e49019db5f7" },
	{ "thread", "v5 review: Baolin Wang, 2024-03-26, split onto split_folios, not from" },
	{ NULL, NULL },
};

static struct tst_test test = {
	.name = "numa_deferred_split",
	.tags = tags,
	.options = options,
	.runtime = 90,
	.needs_kconfigs = kconfigs,
	.min_numa_nodes = 2,
	.min_cpus = 2,
	.knobs = knobs,
	.setup = setup,
	.run = run,
};

TST_MAIN(test)
