/* Seed 002: NUMA migration of THPs that sit on the deferred split list.
 *
 * The v5 patch "mm/migrate: split source folio if it is on deferred split
 * list" split such folios onto the list being walked (`from`), so the walk
 * ended early and migrate_misplaced_folio() hit BUG_ON(!list_empty()).
 *
 * THPs are faulted on node 0 (a 6.12 PMD THP is on the deferred list from
 * its first fault; half of them also lose one subpage to MADV_DONTNEED, so
 * they are partially mapped and PTE-mapped). The scenarios (the table at
 * the end) reach migrate_pages() from its callers:
 *   move_pages      move_pages(2) of one region to node 1, per-page statuses
 *                   checked, then every byte;
 *   numa_balancing  the task moves to node 1's CPU and keeps touching the
 *                   other region: hinting faults (do_numa_page() for the
 *                   PTE-mapped THPs, do_huge_pmd_numa_page() for the others)
 *                   call migrate_misplaced_folio();
 *   mbind           (on request) mbind(MPOL_BIND, node 1, MPOL_MF_MOVE) of a
 *                   fresh region: no byte changes, nothing stays isolated
 *                   (how many THPs moved is a value: mbind moves what it
 *                   can);
 *   compaction      (on request) /proc/sys/vm/compact_memory: compaction
 *                   skips THPs, so it must not reach the split at all.
 * With --fail-target-allocs, numa_balancing runs with every non-sleeping
 * page allocation of the faulting task failing (fail_page_alloc), as when
 * node 1 is short of free pages: the pieces of a split THP then fail the
 * one asynchronous retry migrate_pages() gives them, and nothing migrates.
 * Such a run asserts that the split and the failures happened, and that
 * no BUG followed and nothing stayed isolated.
 * Each prints its phase first, so a kernel report on the console shows
 * which caller reached the bug, and each checks that nr_isolated_anon comes
 * back to where it was: pages left on a list that migrate_pages() reported
 * as done stay isolated.
 */
#include "tst.h"

#include <errno.h>
#include <linux/mempolicy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define THP_SIZE PMD_SIZE

static int nr_thps = 32;
static int balance_seconds = 30;
/* --mbind-min-moved N: fewer THP heads than N on node 1 after mbind() is
 * the FAIL of folios left behind on the list (v5); -1 only records it. */
static int mbind_min_moved = -1;
static char *explicit_region, *balance_region;
static bool fail_target_allocs;

#define FAIL_PAGE_ALLOC_DIR "/sys/kernel/debug/fail_page_alloc"

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

/* Only this task, only allocations that cannot sleep (the migration
 * target's: alloc_misplaced_dst_folio() drops __GFP_RECLAIM), highmem
 * ones included (GFP_HIGHUSER_MOVABLE has __GFP_HIGHMEM). */
static void fail_allocations(bool on)
{
	static const char *const settings[][2] = {
		{ "probability", "100" }, { "interval", "1" }, { "times", "-1" }, { "space", "0" },
		{ "verbose", "0" }, { "task-filter", "Y" }, { "ignore-gfp-wait", "Y" },
		{ "ignore-gfp-highmem", "N" }, { "min-order", "0" },
	};
	char path[128];

	if (on && access(FAIL_PAGE_ALLOC_DIR, F_OK) < 0)
		tst_brk(TCONF, FAIL_PAGE_ALLOC_DIR " is missing: CONFIG_FAIL_PAGE_ALLOC and "
			"CONFIG_FAULT_INJECTION_DEBUG_FS are off (config/guest.config has them)");
	for (size_t i = 0; on && i < sizeof(settings) / sizeof(settings[0]); i++) {
		snprintf(path, sizeof(path), FAIL_PAGE_ALLOC_DIR "/%s", settings[i][0]);
		tst_write_file(path, "%s", settings[i][1]);
	}
	tst_write_file("/proc/thread-self/make-it-fail", "%d", on);
}

/* What a run whose target allocations all fail must show: the split was
 * reached, its pieces failed to migrate, and the kernel survived it. */
static void check_unlucky_retry(void)
{
	long split = tst_vmstat_delta("thp_migration_split"), failed = tst_vmstat_delta("pgmigrate_fail");

	if (split <= 0)
		tst_brk(TBROK, "no THP was split for migration (thp_migration_split 0): the retry of the pieces "
			"was never reached");
	if (failed <= 0)
		tst_brk(TBROK, "pgmigrate_fail is 0: the failing target allocations did not fail a migration");
	tst_res(TPASS, "NUMA balancing with the target's allocations failing: %ld THPs split, %ld pages failed "
		"to migrate, and no BUG", split, failed);
}

static void numa_balancing(void)
{
	struct tst_deadline end;
	int on1 = 0, rounds = 0;

	tst_pin_cpu(tst_cpu_of_node(1));
	if (fail_target_allocs)
		fail_allocations(true);
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
	if (fail_target_allocs) {
		fail_allocations(false);
		check_unlucky_retry();
	} else if (tst_vmstat_delta("numa_pages_migrated") <= 0)
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
				tst_res(TFAIL, "data changed by migration: THP %d page %zu holds %d, not %d",
					i, pg, p[off], want);
				return;
			}
		}
	}
	tst_res(TPASS, "data intact after migration");
}

/* Isolated pages come back within a moment of the migration; pages left
 * on a list that migrate_pages() reported as done never do. */
static void check_isolated(const char *phase, long before)
{
	struct tst_deadline d;
	long now = tst_vmstat("nr_isolated_anon");
	char key[64];

	tst_deadline_start(&d, 3);
	while (now > before && !tst_deadline_passed(&d)) {
		usleep(100000);
		now = tst_vmstat("nr_isolated_anon");
	}
	snprintf(key, sizeof(key), "%s_nr_isolated_anon", phase);
	tst_value_long(key, now);
	if (now > before)
		tst_res(TFAIL, "%s: nr_isolated_anon is %ld, %ld before: pages left isolated", phase, now, before);
	else
		tst_res(TPASS, "%s: nr_isolated_anon back to %ld", phase, now);
}

static void phase(const char *name)
{
	tst_res(TINFO, "phase: %s (a kernel report from here on is this caller's)", name);
	tst_value("last_phase", "%s", name);
}

static void scenario_move_pages(void)
{
	long isolated = tst_vmstat("nr_isolated_anon");

	phase("move_pages");
	explicit_migration();
	verify_data(explicit_region);
	check_isolated("move_pages", isolated);
}

static void scenario_numa_balancing(void)
{
	long isolated = tst_vmstat("nr_isolated_anon");

	phase("numa_balancing");
	numa_balancing();
	check_isolated("numa_balancing", isolated);
}

/* A fresh region of THPs on node 0, half of them partially mapped. */
static char *fresh_region(void)
{
	char *p;

	tst_pin_cpu(tst_cpu_of_node(0));
	p = thp_region();
	punch_subpages(p);
	return p;
}

static void scenario_mbind(void)
{
	long isolated = tst_vmstat("nr_isolated_anon");
	char *p = fresh_region();
	unsigned long node1 = 1UL << 1;
	int on1;

	phase("mbind");
	if (syscall(SYS_mbind, p, (size_t)nr_thps * THP_SIZE, MPOL_BIND, &node1, sizeof(node1) * 8,
		    MPOL_MF_MOVE) < 0)
		tst_res(TFAIL, "mbind(MPOL_BIND, node 1, MPOL_MF_MOVE): %m");
	/* Without MPOL_MF_STRICT mbind() moves what it can and says nothing
	 * of the rest: a count (16 of 32 heads on 6.12.117: the punched THPs'
	 * first pages are gone), a verdict only with --mbind-min-moved. */
	on1 = pages_on_node(p, 1);
	tst_value_long("mbind_heads_on_node1", on1);
	tst_res(TINFO, "mbind(MPOL_MF_MOVE): %d of %d folio heads on node 1", on1, nr_thps);
	if (mbind_min_moved >= 0 && on1 < mbind_min_moved)
		tst_res(TFAIL, "mbind moved %d of %d THP heads to node 1, fewer than %d: folios left on the "
			"migration list and put back unmoved (v5's unhandled folios)", on1, nr_thps, mbind_min_moved);
	verify_data(p);
	check_isolated("mbind", isolated);
}

static void scenario_compaction(void)
{
	long isolated = tst_vmstat("nr_isolated_anon");
	char *p = fresh_region();

	phase("compaction");
	tst_write_file("/proc/sys/vm/compact_memory", "1");
	tst_value_long("compaction_thp_migration_split", tst_vmstat_delta("thp_migration_split"));
	verify_data(p);
	check_isolated("compaction", isolated);
}

static const struct tst_option options[] = {
	{ "thps", TST_OPT_INT, &nr_thps, 2, 512, NULL, "THPs per region (32)" },
	{ "balance-seconds", TST_OPT_INT, &balance_seconds, 1, 3600, NULL,
	  "how long NUMA balancing may take (30), within the runtime" },
	{ "mbind-min-moved", TST_OPT_INT, &mbind_min_moved, 0, 512, NULL,
	  "FAIL when mbind leaves fewer THP heads on node 1 (unset: a value only)" },
	{ "fail-target-allocs", TST_OPT_FLAG, &fail_target_allocs, 0, 0, NULL,
	  "numa_balancing with this task's non-sleeping page allocations failing (fail_page_alloc)" },
	{ NULL, 0, NULL, 0, 0, NULL, NULL },
};

static const struct tst_scenario scenarios[] = {
	{ "move_pages", scenario_move_pages, "move_pages(2) moves every THP, no byte changes, nothing stays isolated",
	  false },
	{ "numa_balancing", scenario_numa_balancing,
	  "NUMA hinting faults move the THPs to node 1 (do_numa_page, do_huge_pmd_numa_page)", false },
	{ "mbind", scenario_mbind, "on request: mbind(MPOL_MF_MOVE) changes no byte and leaves nothing isolated",
	  true },
	{ "compaction", scenario_compaction, "on request: compaction (which skips THPs) leaves the data and "
	  "nr_isolated_anon as they were", true },
	{ NULL, NULL, NULL, false },
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
	.scenarios = scenarios,
	.runtime = 90,
	.needs_kconfigs = kconfigs,
	.min_numa_nodes = 2,
	.min_cpus = 2,
	.knobs = knobs,
	.setup = setup,
};

TST_MAIN(test)
