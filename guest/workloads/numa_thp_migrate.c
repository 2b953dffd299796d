/* THP migration between two NUMA nodes, three ways:
 *  (a) THPs faulted under mbind(MPOL_BIND, node 0) land on node 0 as THPs;
 *  (b) move_pages(2) of every THP head to node 1: all statuses 1, and
 *      thp_migration_success and pgmigrate_success grow (moved whole);
 *  (c) migrate_pages(2) of the process from node 1 back to node 0, then the
 *      data written before (a) is checked;
 *  (d) NUMA balancing: THPs first touched on node 0's CPU, then a thread on
 *      node 1's CPU keeps touching them until most of them are on node 1.
 * Raw syscalls throughout, no libnuma.
 *
 * Arguments: --thps N (default 32), --balance-seconds N (default 20).
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
#define PATTERN 0x6d6d726570726fULL

struct region {
	char *addr;            /* THP_SIZE aligned */
	size_t len;
	void *map;             /* what mmap returned, for munmap */
	size_t map_len;
	void **pages;          /* every 4K page, for move_pages(2) queries */
	int *status;
};

struct node_counts {
	long node0, node1, other;
};

static int nr_thps = 32;
static int balance_seconds = 20;
static int cpu_node0, cpu_node1;
static struct region bound, balanced;

static const struct tst_knob knobs[] = {
	{ "/sys/kernel/mm/transparent_hugepage/enabled", "madvise", false },
	{ "/proc/sys/kernel/numa_balancing", "1", false },
	/* Scan soon and often, so hinting faults come within seconds under TCG. */
	{ "/sys/kernel/debug/sched/numa_balancing/scan_delay_ms", "100", true },
	{ "/sys/kernel/debug/sched/numa_balancing/scan_period_min_ms", "100", true },
	{ NULL, NULL, false },
};

static const char *const kconfigs[] = {
	"CONFIG_NUMA", "CONFIG_TRANSPARENT_HUGEPAGE", "CONFIG_MIGRATION", "CONFIG_NUMA_BALANCING", NULL,
};

/* ---- regions ---- */

static void map_region(struct region *r)
{
	size_t npages;

	r->len = (size_t)nr_thps * THP_SIZE;
	r->map_len = r->len + THP_SIZE;
	r->map = SAFE_MMAP(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r->addr = (char *)(((uintptr_t)r->map + THP_SIZE - 1) & ~(THP_SIZE - 1));
	SAFE_MADVISE(r->addr, r->len, MADV_HUGEPAGE);
	npages = r->len / PAGE_SIZE;
	r->pages = SAFE_CALLOC(npages, sizeof(*r->pages));
	r->status = SAFE_CALLOC(npages, sizeof(*r->status));
	for (size_t i = 0; i < npages; i++)
		r->pages[i] = r->addr + i * PAGE_SIZE;
}

static void unmap_region(struct region *r)
{
	if (!r->map)
		return;
	SAFE_MUNMAP(r->map, r->map_len);
	free(r->pages);
	free(r->status);
	memset(r, 0, sizeof(*r));
}

static void *thp_head(const struct region *r, int i)
{
	return r->addr + (size_t)i * THP_SIZE;
}

static void bind_to_node(struct region *r, int node)
{
	unsigned long mask = 1UL << node;

	if (syscall(SYS_mbind, r->addr, r->len, MPOL_BIND, &mask, sizeof(mask) * 8, 0) < 0)
		tst_brk(TBROK, "mbind(MPOL_BIND, node %d): %m", node);
}

static uint64_t pattern_at(size_t off)
{
	return off ^ PATTERN;
}

static void fill(struct region *r)
{
	for (size_t off = 0; off < r->len; off += PAGE_SIZE)
		*(volatile uint64_t *)(r->addr + off) = pattern_at(off);
}

/* Offset of the first page that lost its pattern, or -1. */
static long first_corrupted(const struct region *r)
{
	for (size_t off = 0; off < r->len; off += PAGE_SIZE)
		if (*(uint64_t *)(r->addr + off) != pattern_at(off))
			return off;
	return -1;
}

static int count_thps(const struct region *r)
{
	const uint64_t thp = 1ULL << KPF_THP | 1ULL << KPF_COMPOUND_HEAD;
	int n = 0;

	for (int i = 0; i < nr_thps; i++) {
		uint64_t pfn = tst_vaddr_to_pfn(thp_head(r, i));
		n += pfn && (tst_kpageflags(pfn) & thp) == thp;
	}
	return n;
}

/* Node of every 4K page, by a move_pages(2) query (nodes == NULL). */
static struct node_counts count_nodes(const struct region *r)
{
	size_t npages = r->len / PAGE_SIZE;
	struct node_counts c = { 0, 0, 0 };

	if (syscall(SYS_move_pages, 0, npages, r->pages, NULL, r->status, 0) < 0)
		tst_brk(TBROK, "move_pages query: %m");
	for (size_t i = 0; i < npages; i++) {
		if (r->status[i] == 0)
			c.node0++;
		else if (r->status[i] == 1)
			c.node1++;
		else
			c.other++;
	}
	return c;
}

static void value_counts(const char *prefix, struct node_counts c)
{
	char key[64];

	snprintf(key, sizeof(key), "%s_pages_node0", prefix);
	tst_value_long(key, c.node0);
	snprintf(key, sizeof(key), "%s_pages_node1", prefix);
	tst_value_long(key, c.node1);
	snprintf(key, sizeof(key), "%s_pages_other", prefix);
	tst_value_long(key, c.other);
}

/* ---- the steps ---- */

static void fault_bound_thps(void)
{
	struct node_counts c;
	long npages;
	int thps;

	map_region(&bound);
	npages = bound.len / PAGE_SIZE;
	bind_to_node(&bound, 0);
	fill(&bound);
	thps = count_thps(&bound);
	c = count_nodes(&bound);
	tst_value_long("bound_thps", thps);
	value_counts("bound_faulted", c);
	if (thps < nr_thps)
		tst_brk(TBROK, "only %d of %d bound regions were faulted as THPs", thps, nr_thps);
	if (c.node0 != npages)
		tst_res(TFAIL, "mbind(MPOL_BIND, node 0): %ld of %ld pages on node 0 (%ld on node 1)",
			c.node0, npages, c.node1);
	else
		tst_res(TPASS, "%d THPs faulted on node 0 under MPOL_BIND", thps);
}

static long step_delta(const char *counter, long before)
{
	return tst_vmstat(counter) - before;
}

static void check_move_statuses(const int *status, long rc, struct node_counts c)
{
	long npages = bound.len / PAGE_SIZE;

	int moved = 0, first_bad = -1;

	for (int i = 0; i < nr_thps; i++) {
		if (status[i] == 1)
			moved++;
		else if (first_bad < 0)
			first_bad = i;
	}
	tst_value_long("move_pages_status_node1", moved);
	tst_value_long("move_pages_returned", rc);
	if (first_bad < 0 && c.node1 == npages)
		tst_res(TPASS, "move_pages: all %d THPs report status 1, all %ld pages on node 1", nr_thps, npages);
	else if (first_bad < 0)
		tst_res(TFAIL, "move_pages: all %d THPs report status 1 but only %ld of %ld pages are on node 1",
			nr_thps, c.node1, npages);
	else
		tst_res(TFAIL, "move_pages: %d of %d THPs moved; THP %d status %d (%s)", moved, nr_thps,
			first_bad, status[first_bad],
			status[first_bad] < 0 ? strerror(-status[first_bad]) : "wrong node");
}

static void check_migration_counters(const char *step, long thp_success, long pgmigrate_success)
{
	if (tst_vmstat("thp_migration_success") < 0) {
		tst_res(TCONF, "%s: /proc/vmstat has no thp_migration_success", step);
		return;
	}
	if (thp_success > 0 && pgmigrate_success > 0)
		tst_res(TPASS, "%s: thp_migration_success +%ld, pgmigrate_success +%ld", step, thp_success,
			pgmigrate_success);
	else
		tst_res(TFAIL, "%s: thp_migration_success +%ld, pgmigrate_success +%ld (thp_migration_split +%ld)",
			step, thp_success, pgmigrate_success, tst_vmstat_delta("thp_migration_split"));
}

static void move_pages_to_node1(void)
{
	long thp_before = tst_vmstat("thp_migration_success");
	long pg_before = tst_vmstat("pgmigrate_success");
	void *heads[512];
	int nodes[512], status[512];
	long rc, thp_success, pg_success;
	struct node_counts c;

	for (int i = 0; i < nr_thps; i++) {
		heads[i] = thp_head(&bound, i);
		nodes[i] = 1;
		status[i] = -EINPROGRESS;
	}
	rc = syscall(SYS_move_pages, 0, (unsigned long)nr_thps, heads, nodes, status, MPOL_MF_MOVE);
	if (rc < 0) {
		tst_res(TFAIL, "move_pages to node 1: %m");
		return;
	}
	thp_success = step_delta("thp_migration_success", thp_before);
	pg_success = step_delta("pgmigrate_success", pg_before);
	tst_value_long("move_pages_thp_migration_success", thp_success);
	tst_value_long("move_pages_pgmigrate_success", pg_success);
	c = count_nodes(&bound);
	value_counts("after_move_pages", c);
	tst_value_long("after_move_pages_thps", count_thps(&bound));
	check_move_statuses(status, rc, c);
	check_migration_counters("move_pages", thp_success, pg_success);
}

static void migrate_process_to_node0(void)
{
	unsigned long from = 1UL << 1, to = 1UL << 0;
	long npages = bound.len / PAGE_SIZE;
	long thp_before = tst_vmstat("thp_migration_success");
	struct node_counts c;
	long rc, corrupted;

	rc = syscall(SYS_migrate_pages, 0, sizeof(from) * 8, &from, &to);
	if (rc < 0) {
		tst_res(TFAIL, "migrate_pages from node 1 to node 0: %m");
		return;
	}
	c = count_nodes(&bound);
	tst_value_long("migrate_pages_returned", rc);
	tst_value_long("migrate_pages_thp_migration_success", step_delta("thp_migration_success", thp_before));
	tst_value_long("after_migrate_pages_thps", count_thps(&bound));
	value_counts("after_migrate_pages", c);
	if (c.node0 == npages)
		tst_res(TPASS, "migrate_pages: all %ld pages back on node 0", npages);
	else
		tst_res(TFAIL, "migrate_pages: %ld of %ld pages on node 0 (%ld on node 1, %ld elsewhere)",
			c.node0, npages, c.node1, c.other);
	corrupted = first_corrupted(&bound);
	if (corrupted < 0)
		tst_res(TPASS, "data intact after move_pages and migrate_pages");
	else
		tst_res(TFAIL, "data changed by migration: page at offset %#lx", corrupted);
}

/* ---- NUMA balancing ---- */

struct toucher {
	const struct region *r;
	int cpu;
	volatile bool stop;
	long rounds;
};

/* Runs on node 1's CPU (a tst_thread pinned there). */
static void touch_from_node1(void *arg)
{
	struct toucher *t = arg;

	while (!t->stop) {
		for (size_t off = 0; off < t->r->len; off += PAGE_SIZE)
			(*(volatile char *)(t->r->addr + off))++;
		t->rounds++;
	}
}

struct node1_poll {
	struct node_counts c;
};

/* One poll: a hit when nine pages in ten are on node 1. */
static bool mostly_on_node1(void *arg, long try)
{
	struct node1_poll *p = arg;

	usleep(500000);
	p->c = count_nodes(&balanced);
	return p->c.node1 * 10 >= (long)(balanced.len / PAGE_SIZE) * 9;
}

static struct node_counts wait_for_node1(double *waited)
{
	struct node1_poll poll;
	struct tst_until u = tst_run_until(mostly_on_node1, &poll, balance_seconds, 0);

	*waited = u.seconds;
	return poll.c;
}

static void report_balancing(struct node_counts c, long migrated, double waited)
{
	long npages = balanced.len / PAGE_SIZE;

	value_counts("balance_after", c);
	tst_value_long("balance_numa_pages_migrated", migrated);
	tst_value("balance_seconds", "%.1f", waited);
	if (migrated > 0 && c.node1 * 2 > npages)
		tst_res(TPASS, "NUMA balancing: %ld of %ld pages on node 1 after %.1f s, numa_pages_migrated +%ld",
			c.node1, npages, waited, migrated);
	else
		tst_res(TFAIL, "NUMA balancing: %ld of %ld pages on node 1 after %.1f s, numa_pages_migrated +%ld",
			c.node1, npages, waited, migrated);
}

static void balance_to_node1(void)
{
	struct toucher t = { .r = &balanced, .cpu = cpu_node1 };
	struct tst_thread thread;
	long migrated_before = tst_vmstat("numa_pages_migrated");
	long faults_before = tst_vmstat("numa_hint_faults");
	long thp_before = tst_vmstat("thp_migration_success");
	struct node_counts c;
	double waited;

	if (cpu_node1 < 0) {
		tst_res(TCONF, "NUMA balancing: node 1 has no CPU to touch from");
		return;
	}
	map_region(&balanced);
	fill(&balanced);   /* first touch on node 0's CPU */
	tst_value_long("balance_thps", count_thps(&balanced));
	c = count_nodes(&balanced);
	value_counts("balance_before", c);
	if (c.node0 * 2 <= (long)(balanced.len / PAGE_SIZE))
		tst_brk(TBROK, "first touch on CPU %d left only %ld pages on node 0", cpu_node0, c.node0);
	tst_thread_start(&thread, cpu_node1, touch_from_node1, &t);
	c = wait_for_node1(&waited);
	t.stop = true;
	tst_thread_join(&thread);
	tst_value_long("balance_touch_rounds", t.rounds);
	tst_value_long("balance_numa_hint_faults", step_delta("numa_hint_faults", faults_before));
	tst_value_long("balance_thp_migration_success", step_delta("thp_migration_success", thp_before));
	report_balancing(c, step_delta("numa_pages_migrated", migrated_before), waited);
}

static void setup(void)
{
	cpu_node0 = tst_cpu_of_node(0);
	cpu_node1 = tst_cpu_of_node(1);
	tst_value_long("cpu_node0", cpu_node0);
	tst_value_long("cpu_node1", cpu_node1);
	if (cpu_node0 < 0)
		tst_brk(TCONF, "node 0 has no CPU");
	tst_pin_cpu(cpu_node0);
}

static void run(void)
{
	fault_bound_thps();
	move_pages_to_node1();
	migrate_process_to_node0();
	unmap_region(&bound);
	balance_to_node1();
}

static void cleanup(void)
{
	unmap_region(&bound);
	unmap_region(&balanced);
}

static const struct tst_option options[] = {
	{ "thps", TST_OPT_INT, &nr_thps, 1, 512, NULL, "THPs per region (32)" },
	{ "balance-seconds", TST_OPT_INT, &balance_seconds, 1, 3600, NULL,
	  "how long NUMA balancing may take (20), within the runtime" },
	{ NULL, 0, NULL, 0, 0, NULL, NULL },
};

static const struct tst_tag tags[] = {
	/* The commit that added the path this test guards, not a fix. */
	{ "mmrepro-note", "guards the THP migration path added by 616b8371539a "
			  "(mm: thp: enable thp migration in generic path)" },
	{ NULL, NULL },
};

static struct tst_test test = {
	.name = "numa_thp_migrate",
	.tags = tags,
	.options = options,
	.runtime = 120,
	.needs_kconfigs = kconfigs,
	.min_numa_nodes = 2,
	.knobs = knobs,
	.setup = setup,
	.run = run,
	.cleanup = cleanup,
};

TST_MAIN(test)
