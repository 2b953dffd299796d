/* Seeds 000/003, David Hildenbrand's question to 33dfe9204f29: "as long as a
 * page is on a LRU batch, we cannot isolate it". Which isolators does the
 * seed's fix (the LRU flag cleared while a folio sits in a batch) change?
 *
 * Every scenario builds a batch on this CPU (the CPU of the first online
 * node) over a window of --pages pages that were on the LRU, then runs one
 * isolator on the other vCPU (a worker thread), and looks at the window:
 *   pageout_activate  activate batch (two gup reads through
 *                     process_vm_readv(2): PG_referenced, then
 *                     folio_activate()), then MADV_PAGEOUT of the window
 *                     from the other CPU. madvise drains only its own
 *                     CPU's batches, so the batch stays: with the flag kept
 *                     (buggy, fixed) the pages are isolated and unmapped
 *                     into the swap cache, but pageout() does not write
 *                     them (is_page_cache_freeable() counts the batch's
 *                     reference) and nothing is freed; with the flag cleared
 *                     (seed-fix) folio_isolate_lru() fails and they stay
 *                     mapped. The assertion is the isolation: every page
 *                     of the window unmapped by the pageout (not present);
 *   pageout_lazyfree  the same over the lazyfree batch (MADV_FREE, not
 *                     written again: once the batch is drained, a lazyfree
 *                     page written again is kept by reclaim, a clean one
 *                     discarded, so its data may read back as zeroes);
 *   pageout_lru_add   the control: pages faulted anew sit in the lru_add
 *                     batch without the LRU flag on every kernel. The
 *                     assertion: the pageout skips them and, after every
 *                     CPU's batches are drained, pages all of them out;
 *   compact           activate batch, then /proc/sys/vm/compact_memory from
 *                     the other CPU: compact_nodes() calls
 *                     lru_add_drain_all() first, so the batch is emptied
 *                     (every page active) before the scanners run;
 *   collapse          activate batch over part of a 2 MiB range of small
 *                     pages, then MADV_COLLAPSE from the other CPU:
 *                     madvise_collapse() calls lru_add_drain_all() first
 *                     (khugepaged_do_scan() does the same every pass), so
 *                     the range becomes one THP.
 * A pageout that misses pages is tied to the batch: every CPU's batches are
 * drained and the pageout repeated; only when that one reaches the pages
 * is the miss a FAIL. The window's data is checked after every scenario.
 * Per-scenario vmstat deltas (pswpout, compact_isolated, thp_collapse_alloc,
 * ...) are recorded as values; the case's counters compare kernels.
 *
 * MGLRU is turned off: with it folio_mark_accessed() does not batch.
 */
#include "tst.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

#define MAX_PAGES 30            /* the 6.12 batch holds 31 and flushes when full */
#define PMD_SIZE_BYTES (2UL << 20)
#define PATTERN 0x6c72756261746368ULL

enum batch { ACTIVATE, LAZYFREE, LRU_ADD };

static int nr_pages = 16;
static struct tst_worker *other_cpu;
static bool lru_gen_on;

static const struct tst_knob knobs[] = {
	{ "/sys/kernel/mm/lru_gen/enabled", "n", true },
	/* Small pages where nothing asks for THPs; MADV_COLLAPSE ignores the mode. */
	{ "/sys/kernel/mm/transparent_hugepage/enabled", "madvise", false },
	{ NULL, NULL, false },
};

static const char *const kconfigs[] = { "CONFIG_SWAP", "CONFIG_TRANSPARENT_HUGEPAGE", "CONFIG_COMPACTION", NULL };

/* ---- pages ---- */

static uint64_t pattern_of(const char *page)
{
	return (uintptr_t)page ^ PATTERN;
}

static void write_pages(char *w, int n)
{
	for (int i = 0; i < n; i++)
		*(volatile uint64_t *)(w + (size_t)i * PAGE_SIZE) = pattern_of(w + (size_t)i * PAGE_SIZE);
}

/* Pages that read neither their pattern nor, where zero_ok (MADV_FREE'd
 * pages may be discarded), zero. */
static int count_lost_data(char *w, int n, bool zero_ok)
{
	int lost = 0;

	for (int i = 0; i < n; i++) {
		uint64_t v = *(volatile uint64_t *)(w + (size_t)i * PAGE_SIZE);

		lost += v != pattern_of(w + (size_t)i * PAGE_SIZE) && !(zero_ok && !v);
	}
	return lost;
}

/* Pages whose PTE reclaim took away: swapped out, or discarded (lazyfree). */
static int count_unmapped(char *w)
{
	uint64_t entries[MAX_PAGES];
	int n = 0;

	tst_pagemap_range(w, nr_pages, entries);
	for (int i = 0; i < nr_pages; i++)
		n += !(entries[i] & PM_PRESENT);
	return n;
}

static int count_kpf(char *w, int kpf)
{
	return tst_count_kpf(w, (size_t)nr_pages, kpf);
}

/* Anonymous small pages, written, drained onto the LRU. */
static char *fresh_window(size_t len)
{
	char *w = SAFE_MMAP(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	write_pages(w, (int)(len / PAGE_SIZE));
	tst_drain_local_lru();
	if (count_kpf(w, KPF_LRU) < nr_pages)
		tst_brk(TBROK, "after a drain only %d of %d pages are on the LRU", count_kpf(w, KPF_LRU), nr_pages);
	return w;
}

/* ---- batches, on this CPU ---- */

/* process_vm_readv(2) on ourselves walks the page tables with FOLL_TOUCH:
 * mark_page_accessed() on every page. */
static void read_through_gup(char *w)
{
	static char sink[MAX_PAGES * 64];
	struct iovec local = { sink, (size_t)nr_pages * 64 }, remote[MAX_PAGES];

	for (int i = 0; i < nr_pages; i++)
		remote[i] = (struct iovec){ w + (size_t)i * PAGE_SIZE, 64 };
	if (process_vm_readv(getpid(), &local, 1, remote, nr_pages, 0) != (ssize_t)local.iov_len)
		tst_brk(TBROK, "process_vm_readv: %m");
}

/* True when the window is batched the way the scenario needs. */
static bool make_batch(enum batch b, char *w)
{
	switch (b) {
	case ACTIVATE:
		read_through_gup(w);   /* PG_referenced */
		if (count_kpf(w, KPF_REFERENCED) < nr_pages) {
			tst_res(TCONF, "a gup read marked only %d of %d pages referenced",
				count_kpf(w, KPF_REFERENCED), nr_pages);
			return false;
		}
		read_through_gup(w);   /* folio_activate(): the activate batch */
		return true;
	case LAZYFREE:
		SAFE_MADVISE(w, (size_t)nr_pages * PAGE_SIZE, MADV_FREE);
		return true;
	default:
		SAFE_MADVISE(w, (size_t)nr_pages * PAGE_SIZE, MADV_DONTNEED);
		write_pages(w, nr_pages);
		return true;
	}
}

/* ---- isolators, on the other CPU ---- */

struct advice {
	char *addr;
	size_t len;
	int advice;
	int err;
};

static void advise_now(void *arg)
{
	struct advice *a = arg;

	a->err = madvise(a->addr, a->len, a->advice) < 0 ? errno : 0;
}

static int advise_on_other_cpu(char *addr, size_t len, int advice)
{
	struct advice a = { addr, len, advice, 0 };

	tst_worker_call(other_cpu, advise_now, &a);
	return a.err;
}

static void compact_now(void *arg)
{
	(void)arg;
	tst_write_file("/proc/sys/vm/compact_memory", "1");
}

/* ---- values ---- */

static void value(const char *scenario, const char *what, long v)
{
	char key[96];

	snprintf(key, sizeof(key), "%s.%s", scenario, what);
	tst_value_long(key, v);
}

struct counters {
	long v[6];
};

static const char *const counter_names[] = {
	"pswpout", "pgactivate", "compact_isolated", "compact_migrate_scanned", "thp_collapse_alloc",
	"pgmigrate_success",
};

static struct counters read_counters(void)
{
	struct counters c;

	for (size_t i = 0; i < ARRAY_SIZE(counter_names); i++)
		c.v[i] = tst_vmstat(counter_names[i]);
	return c;
}

static void record_counters(const char *scenario, struct counters before)
{
	struct counters after = read_counters();

	for (size_t i = 0; i < ARRAY_SIZE(counter_names); i++)
		value(scenario, counter_names[i], after.v[i] - before.v[i]);
}

static void check_data(const char *scenario, char *w, int n, bool zero_ok)
{
	int lost = count_lost_data(w, n, zero_ok);

	if (lost)
		tst_res(TFAIL, "%s: %d of %d pages lost their data", scenario, lost, n);
}

/* ---- pageout ---- */

static const char *const batch_names[] = { "activate", "lazyfree", "lru_add" };

/* The pages the first pageout missed: reached after every CPU's batches
 * are drained means the batch hid them. */
static void tie_to_batch(const char *scenario, enum batch b, char *w, int reached)
{
	size_t len = (size_t)nr_pages * PAGE_SIZE;
	int again;

	tst_drain_all_lru();
	if (advise_on_other_cpu(w, len, MADV_PAGEOUT))
		tst_brk(TBROK, "%s: MADV_PAGEOUT after the drain failed", scenario);
	again = count_unmapped(w);
	value(scenario, "reached_after_drain", again);
	if (again < nr_pages)
		tst_brk(TBROK, "%s: after draining every CPU's batches MADV_PAGEOUT still reached only %d of %d pages",
			scenario, again, nr_pages);
	if (b == LRU_ADD) {
		tst_res(TPASS, "%s: MADV_PAGEOUT from the other CPU skipped %d of %d freshly faulted pages (no LRU "
			"flag in the lru_add batch) and paged all out after a drain", scenario, nr_pages - reached,
			nr_pages);
		return;
	}
	tst_res(TFAIL, "%s: MADV_PAGEOUT from the other CPU skipped %d of %d pages sitting in this CPU's %s "
		"batch (not isolated: no LRU flag); after draining every CPU it reached them all", scenario,
		nr_pages - reached, nr_pages, batch_names[b]);
}

static void pageout_from_other_cpu(const char *scenario, enum batch b)
{
	size_t len = (size_t)nr_pages * PAGE_SIZE;
	char *w = fresh_window(len);
	struct counters before;
	int reached, err;

	if (!make_batch(b, w))
		return;
	value(scenario, "on_lru_in_batch", count_kpf(w, KPF_LRU));
	before = read_counters();
	err = advise_on_other_cpu(w, len, MADV_PAGEOUT);
	if (err)
		tst_brk(TBROK, "%s: MADV_PAGEOUT: %s", scenario, strerror(err));
	reached = count_unmapped(w);
	record_counters(scenario, before);
	value(scenario, "reached", reached);
	if (reached == nr_pages && b != LRU_ADD)
		tst_res(TPASS, "%s: MADV_PAGEOUT from the other CPU isolated and unmapped all %d pages of this CPU's %s batch",
			scenario, nr_pages, batch_names[b]);
	else if (reached == nr_pages)
		tst_res(TFAIL, "%s: MADV_PAGEOUT from the other CPU paged out freshly faulted pages still in the "
			"lru_add batch", scenario);
	else
		tie_to_batch(scenario, b, w, reached);
	check_data(scenario, w, nr_pages, b == LAZYFREE);
	SAFE_MUNMAP(w, len);
}

static void pageout_activate(void)
{
	if (lru_gen_on)
		tst_res(TCONF, "MGLRU is on: no activate batch");
	else
		pageout_from_other_cpu("pageout_activate", ACTIVATE);
}

static void pageout_lazyfree(void) { pageout_from_other_cpu("pageout_lazyfree", LAZYFREE); }
static void pageout_lru_add(void) { pageout_from_other_cpu("pageout_lru_add", LRU_ADD); }

/* ---- compaction, collapse ---- */

static void compact(void)
{
	size_t len = (size_t)nr_pages * PAGE_SIZE;
	char *w = fresh_window(len);
	struct counters before;
	int active;

	if (lru_gen_on || !make_batch(ACTIVATE, w)) {
		tst_res(TCONF, "compact: no activate batch (MGLRU on, or the pages were not referenced)");
		return;
	}
	before = read_counters();
	tst_worker_call(other_cpu, compact_now, NULL);
	record_counters("compact", before);
	active = count_kpf(w, KPF_ACTIVE);
	value("compact", "active_after", active);
	if (active == nr_pages)
		tst_res(TPASS, "compact: compact_memory from the other CPU drained this CPU's activate batch first "
			"(all %d pages active)", nr_pages);
	else
		tst_res(TFAIL, "compact: after compact_memory from the other CPU only %d of %d pages of this CPU's "
			"activate batch are active: the batch was not drained", active, nr_pages);
	check_data("compact", w, nr_pages, false);
	SAFE_MUNMAP(w, len);
}

static void collapse(void)
{
	int range_pages = (int)(PMD_SIZE_BYTES / PAGE_SIZE), err;
	char *range = tst_mmap_aligned(PMD_SIZE_BYTES, PMD_SIZE_BYTES);
	struct counters before;

	write_pages(range, range_pages);
	tst_drain_local_lru();
	if (tst_kpf(tst_vaddr_to_pfn(range), KPF_THP))
		tst_brk(TBROK, "collapse: the range is a THP already (THP mode not madvise?)");
	if (lru_gen_on || !make_batch(ACTIVATE, range)) {
		tst_res(TCONF, "collapse: no activate batch (MGLRU on, or the pages were not referenced)");
		return;
	}
	before = read_counters();
	err = advise_on_other_cpu(range, PMD_SIZE_BYTES, MADV_COLLAPSE);
	record_counters("collapse", before);
	value("collapse", "errno", err);
	if (err == EINVAL)
		tst_res(TCONF, "collapse: MADV_COLLAPSE: EINVAL (before 6.1, or THP off)");
	else if (!err && tst_kpf(tst_vaddr_to_pfn(range), KPF_THP))
		tst_res(TPASS, "collapse: MADV_COLLAPSE from the other CPU made one THP of a range with %d pages in "
			"this CPU's activate batch", nr_pages);
	else
		tst_res(TFAIL, "collapse: MADV_COLLAPSE from the other CPU: %s, range %s a THP (%d pages in this "
			"CPU's activate batch)", err ? strerror(err) : "success",
			tst_kpf(tst_vaddr_to_pfn(range), KPF_THP) ? "is" : "is not", nr_pages);
	check_data("collapse", range, range_pages, false);
	SAFE_MUNMAP(range, PMD_SIZE_BYTES);
}

/* ---- setup ---- */

/* The batches on the first CPU of node 0, the isolators on another one:
 * .min_cpus is 2 and the guest's CPUs are numbered from 0. */
static void setup(void)
{
	int cpu = tst_cpu_of_node(0) < 0 ? 0 : tst_cpu_of_node(0), other = cpu == 0 ? 1 : 0;

	tst_pin_cpu(cpu);
	other_cpu = tst_worker_start(other);
	tst_value_long("batch_cpu", cpu);
	tst_value_long("isolator_cpu", other);
	lru_gen_on = tst_lru_gen_enabled();
	tst_value("lru", "%s", lru_gen_on ? "MGLRU" : "classic");
}

static void cleanup(void)
{
	if (other_cpu)
		tst_worker_stop(other_cpu);
}

static const struct tst_option options[] = {
	{ "pages", TST_OPT_INT, &nr_pages, 1, MAX_PAGES, NULL, "pages per window (16; below 31, the batch size)" },
	{ NULL, 0, NULL, 0, 0, NULL, NULL },
};

static const struct tst_scenario scenarios[] = {
	TST_SCENARIO(pageout_lru_add, "control: MADV_PAGEOUT from the other CPU skips freshly faulted "
		     "pages (lru_add batch, no LRU flag) on every kernel and reaches them after a drain"),
	TST_SCENARIO(pageout_activate, "MADV_PAGEOUT from the other CPU isolates pages sitting in this "
		     "CPU's activate batch"),
	TST_SCENARIO(pageout_lazyfree, "MADV_PAGEOUT from the other CPU isolates pages sitting in this "
		     "CPU's lazyfree batch"),
	TST_SCENARIO(compact, "compact_memory from the other CPU drains this CPU's batches first"),
	TST_SCENARIO(collapse, "MADV_COLLAPSE from the other CPU collapses a range with pages in this "
		     "CPU's activate batch"),
	TST_SCENARIO_END,
};

static const struct tst_tag tags[] = {
	/* The change whose cost is measured (the seed's fix). */
	{ "linux-git", "33dfe9204f29" },  /* mm/gup: clear the LRU flag of a page before adding to LRU batch */
	{ NULL, NULL },
};

static struct tst_test test = {
	.name = "lru_batch_isolation",
	.tags = tags,
	.options = options,
	.scenarios = scenarios,
	.runtime = 90,
	.min_cpus = 2,
	.min_swap_mb = 64,
	.needs_kconfigs = kconfigs,
	.knobs = knobs,
	.setup = setup,
	.cleanup = cleanup,
};

TST_MAIN(test)
