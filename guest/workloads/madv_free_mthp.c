/* Seed 004: "mm/madvise: enhance lazyfreeing with mTHP in madvise_free".
 *
 * Since 6.10 MADV_FREE marks a large folio lazyfree as a whole when the range
 * covers all of it, instead of splitting it first. The scenarios are the ones
 * the thread worried about (see the table at the end); reclaim is
 * memory.reclaim of a v2 memory cgroup that holds this process (and its fork
 * children), with swap on zram:
 *  1. fully covered private mTHPs: not split, and discarded by reclaim;
 *  2. written again after MADV_FREE: every written byte survives reclaim;
 *  3. half of each mTHP freed: the other half keeps its data;
 *  4. shared with a fork child that never calls MADV_FREE: the child keeps its
 *     data, for fresh mTHPs (4a) and for pages both processes read back from
 *     swap (4b: swap-cache pages with clean PTEs, where only the exclusivity
 *     check in madvise_free_pte_range() protects the child);
 *  5. sole owner after fork (the other process is gone, PTEs stay
 *     write-protected, writes copy out of the large folio): the writes survive.
 * On request (--scenarios swapin-fork), a probe that is not part of the
 * default run: pages read back from swap while exclusive (zram skips the swap
 * cache, so they come back with clean PTEs and a clean folio), then fork,
 * then MADV_FREE. Its controls: --folio-order small (every mTHP size off, so
 * only order-0 folios; also runs on kernels without mTHP) and --swap disk
 * (swap on the case's virtio disk, /dev/vda, in place of zram: swap-in then
 * keeps the swap cache).
 */
#include "tst.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_RECLAIM_ROUNDS 16
#define THP_DIR "/sys/kernel/mm/transparent_hugepage"
#define SWAP_DISK "/dev/vda"
#define ZRAM_DEV "/dev/zram0"

static const int mthp_kb[] = { 16, 32, 64, 128 };

static const struct tst_knob knobs[] = {
	/* PMD-sized THPs off, so every large folio here is an mTHP. */
	{ THP_DIR "/enabled", "never", false },
	{ THP_DIR "/hugepages-2048kB/enabled", "never", true },
	/* Optional: on kernels before 6.8 setup() reports CONF with the reason. */
	{ THP_DIR "/hugepages-16kB/enabled", "always", true },
	{ THP_DIR "/hugepages-32kB/enabled", "always", true },
	{ THP_DIR "/hugepages-64kB/enabled", "always", true },
	{ THP_DIR "/hugepages-128kB/enabled", "always", true },
	{ NULL, NULL, false },
};

static const char *const kconfigs[] = {
	"CONFIG_TRANSPARENT_HUGEPAGE", "CONFIG_MEMCG", "CONFIG_SWAP", NULL,
};

static int region_mb = 8;
static const char *folio_order_arg = "mthp";
static const char *swap_arg = "zram";
static size_t region_len;
static const struct tst_cg_group *reclaim_cg;
static pid_t live_twin;

/* ---- data patterns ---- */

struct mismatch {
	size_t count, off;
	uint8_t want, got;
};

/* Odd, so never zero: a zero byte always means a discarded page. */
static uint8_t old_byte(size_t off, uint8_t seed)
{
	return (uint8_t)(((off >> 12) * 131 + (off & (PAGE_SIZE - 1)) * 7 + seed) | 1);
}

/* Also odd, and never equal to the old byte at the same offset. */
static uint8_t new_byte(size_t off, uint8_t seed)
{
	return old_byte(off, seed) ^ 0x80;
}

static void note(struct mismatch *m, size_t off, uint8_t want, uint8_t got)
{
	if (!m->count++) {
		m->off = off;
		m->want = want;
		m->got = got;
	}
}

static void merge(struct mismatch *into, struct mismatch m)
{
	if (m.count && !into->count)
		*into = m;
	else
		into->count += m.count;
}

static void fill_old(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t off = 0; off < len; off++)
		p[off] = old_byte(off, seed);
}

static struct mismatch compare_old(const uint8_t *p, size_t from, size_t to, uint8_t seed)
{
	struct mismatch m = { 0 };

	for (size_t off = from; off < to; off++)
		if (p[off] != old_byte(off, seed))
			note(&m, off, old_byte(off, seed), p[off]);
	return m;
}

/* Writes after MADV_FREE: three bytes in every fifth page, so a folio holds
 * clean PTEs both before and after its first dirty one. */
static bool is_written_page(size_t pg)
{
	return pg % 5 == 2;
}

static bool is_written_byte(size_t off)
{
	size_t in_page = off % PAGE_SIZE;

	return is_written_page(off / PAGE_SIZE) && (in_page == 0 || in_page == PAGE_SIZE / 2 || in_page == PAGE_SIZE - 1);
}

static size_t write_new_bytes(uint8_t *p, size_t len, uint8_t seed)
{
	size_t n = 0;

	for (size_t pg = 0; pg < len / PAGE_SIZE; pg++) {
		if (!is_written_page(pg))
			continue;
		for (size_t off = pg * PAGE_SIZE; off < (pg + 1) * PAGE_SIZE; off++)
			if (is_written_byte(off)) {
				p[off] = new_byte(off, seed);
				n++;
			}
	}
	return n;
}

/* ---- regions, folios, residency ---- */

/* Sum of one per-size mTHP counter over the sizes enabled here; -1 if absent. */
static long mthp_stat_sum(const char *stat)
{
	char path[160], buf[32];
	long sum = 0, v;

	for (size_t i = 0; i < ARRAY_SIZE(mthp_kb); i++) {
		snprintf(path, sizeof(path), THP_DIR "/hugepages-%dkB/stats/%s", mthp_kb[i], stat);
		if (tst_read_file(path, buf, sizeof(buf)) < 0)
			return -1;
		if (tst_parse_long(buf, 0, __LONG_MAX__, &v) < 0)
			tst_brk(TBROK, "%s: not a number: '%s'", path, buf);
		sum += v;
	}
	return sum;
}

static uint64_t *pagemap_of(const void *p, size_t len)
{
	uint64_t *pm = SAFE_CALLOC(len / PAGE_SIZE, sizeof(*pm));

	tst_pagemap_range(p, len / PAGE_SIZE, pm);
	return pm;
}

/* Pages of the large folio whose head page i maps; 0 when page i maps no
 * large folio head. KPF_THP is set for mTHPs too. */
static size_t large_folio_at(const uint64_t *pm, size_t i, size_t npages)
{
	uint64_t pfn = tst_pagemap_pfn(pm[i]), flags;
	size_t run = 1;

	if (!pfn)
		return 0;
	flags = tst_kpageflags(pfn);
	if (!(flags >> KPF_THP & 1) || !(flags >> KPF_COMPOUND_HEAD & 1))
		return 0;
	while (i + run < npages && tst_pagemap_pfn(pm[i + run]) == pfn + run && tst_kpf(pfn + run, KPF_COMPOUND_TAIL))
		run++;
	return run > 1 ? run : 0;
}

struct folio_span {
	size_t first_page, npages;
};

/* Counts the large folios mapped whole and in order in [p, p+len); stores up
 * to max of them. */
static size_t find_large_folios(const void *p, size_t len, struct folio_span *spans, size_t max)
{
	size_t npages = len / PAGE_SIZE, n = 0;
	uint64_t *pm = pagemap_of(p, len);

	for (size_t i = 0; i < npages;) {
		size_t run = large_folio_at(pm, i, npages);

		if (!run) {
			i++;
			continue;
		}
		if (n < max)
			spans[n] = (struct folio_span){ i, run };
		n++;
		i += run;
	}
	free(pm);
	return n;
}

struct residency {
	size_t resident, swapped, gone;
};

static struct residency residency_of(const void *p, size_t len)
{
	struct residency r = { 0 };
	uint64_t *pm = pagemap_of(p, len);

	for (size_t i = 0; i < len / PAGE_SIZE; i++) {
		if (pm[i] & PM_PRESENT)
			r.resident++;
		else if (pm[i] & PM_SWAP)
			r.swapped++;
		else
			r.gone++;
	}
	free(pm);
	return r;
}

static uint8_t *fault_mthp_region(size_t len, uint8_t seed, const char *scenario)
{
	long alloc = mthp_stat_sum("anon_fault_alloc"), fallback = mthp_stat_sum("anon_fault_fallback");
	uint8_t *p = tst_mmap_aligned(len, PMD_SIZE);
	size_t folios;

	fill_old(p, len, seed);
	folios = find_large_folios(p, len, NULL, 0);
	if (!folios)
		tst_brk(TBROK, "%s: no mTHP could be allocated in %zu KiB (anon_fault_alloc %+ld, anon_fault_fallback %+ld)",
			scenario, len >> 10, mthp_stat_sum("anon_fault_alloc") - alloc,
			mthp_stat_sum("anon_fault_fallback") - fallback);
	tst_res(TINFO, "%s: %zu mTHPs in %zu KiB (anon_fault_alloc %+ld)", scenario, folios, len >> 10,
		mthp_stat_sum("anon_fault_alloc") - alloc);
	return p;
}

/* --folio-order small: the controls with every mTHP size off. */
static bool small_folios(void)
{
	return !strcmp(folio_order_arg, "small");
}

/* --swap disk: the control that keeps the swap cache at swap-in. */
static bool disk_swap(void)
{
	return !strcmp(swap_arg, "disk");
}

static void require_small_folios(const void *p, size_t len, const char *scenario, const char *when)
{
	size_t large = find_large_folios(p, len, NULL, 0);

	if (large)
		tst_brk(TBROK, "%s: %zu large folios %s, with every mTHP size off (--folio-order small)", scenario,
			large, when);
}

/* The region the --folio-order option asks for: mTHPs, or order-0 folios only. */
static uint8_t *fault_region(size_t len, uint8_t seed, const char *scenario)
{
	uint8_t *p;

	if (!small_folios())
		return fault_mthp_region(len, seed, scenario);
	p = tst_mmap_aligned(len, PMD_SIZE);
	fill_old(p, len, seed);
	require_small_folios(p, len, scenario, "at the first fault");
	tst_res(TINFO, "%s: %zu KiB of order-0 folios", scenario, len >> 10);
	return p;
}

/* ---- reclaim ---- */

/* MADV_FREE's per-CPU lazyfree batch holds a reference that would make
 * reclaim keep a lazyfree folio. We stay on one CPU, so draining this CPU is
 * enough. */
static void reclaim_cgroup_once(void)
{
	long current = SAFE_CG_READ_LONG(reclaim_cg, "memory.current");
	int rc = tst_cg_try_printf(reclaim_cg, "memory.reclaim", "%ld",
				   current > (long)PAGE_SIZE ? current : (long)PAGE_SIZE);

	if (rc < 0 && rc != -EAGAIN)
		tst_brk(TBROK, "write %s/memory.reclaim: %s", reclaim_cg->path, strerror(-rc));
}

/* Reclaims until nothing of [p, p+len) is resident in this process, at most
 * MAX_RECLAIM_ROUNDS times; returns the rounds it took. */
static int reclaim_until_evicted(const void *p, size_t len)
{
	int round = 0;

	while (round++ < MAX_RECLAIM_ROUNDS) {
		tst_drain_local_lru();
		reclaim_cgroup_once();
		if (residency_of(p, len).resident == 0)
			break;
	}
	return round > MAX_RECLAIM_ROUNDS ? MAX_RECLAIM_ROUNDS : round;
}

/* MADV_PAGEOUT skips shared folios, so callers page out before fork(). */
static void page_out(void *p, size_t len, const char *scenario)
{
	struct residency r;

	for (int i = 0; i < 3; i++) {
		SAFE_MADVISE(p, len, MADV_PAGEOUT);
		r = residency_of(p, len);
		if (!r.resident && !r.gone)
			return;
	}
	tst_brk(TBROK, "%s: MADV_PAGEOUT left %zu of %zu pages resident (%zu gone)", scenario, r.resident,
		len / PAGE_SIZE, r.gone);
}

/* ---- the fork child ("twin") that keeps a copy of a region ---- */

struct twin {
	pid_t pid;
	int cmd, reply;
};

/* The old data, except the first byte of each page in cow (may be NULL),
 * which the child wrote itself. */
static struct mismatch compare_twin(const uint8_t *p, size_t len, uint8_t seed, const bool *cow)
{
	struct mismatch m = compare_old(p, 0, len, seed), cowed = { 0 };

	if (!cow)
		return m;
	m = (struct mismatch){ 0 };
	for (size_t pg = 0; pg < len / PAGE_SIZE; pg++) {
		size_t off = pg * PAGE_SIZE;

		if (cow[pg] && p[off] != new_byte(off, seed))
			note(&cowed, off, new_byte(off, seed), p[off]);
		merge(&m, compare_old(p, off + (cow[pg] ? 1 : 0), off + PAGE_SIZE, seed));
	}
	merge(&m, cowed);
	return m;
}

/* The child writes one byte of each page in cow (copy on write: those pages
 * become its own), then only reads: each command byte makes it compare the
 * whole region with what it should hold and send back the result. */
static void twin_serve(uint8_t *p, size_t len, uint8_t seed, const bool *cow, int cmd, int reply)
{
	char c;

	for (size_t pg = 0; cow && pg < len / PAGE_SIZE; pg++)
		if (cow[pg])
			p[pg * PAGE_SIZE] = new_byte(pg * PAGE_SIZE, seed);
	while (read(cmd, &c, 1) == 1) {
		struct mismatch m = compare_twin(p, len, seed, cow);

		if (write(reply, &m, sizeof(m)) != (ssize_t)sizeof(m))
			break;
	}
	_exit(0);
}

static struct twin twin_spawn_cow(uint8_t *p, size_t len, uint8_t seed, const bool *cow)
{
	int cmd[2], reply[2];
	struct twin t;

	SAFE_PIPE(cmd);
	SAFE_PIPE(reply);
	t.pid = SAFE_FORK();
	if (t.pid == 0) {
		close(cmd[1]);
		close(reply[0]);
		twin_serve(p, len, seed, cow, cmd[0], reply[1]);
	}
	close(cmd[0]);
	close(reply[1]);
	t.cmd = cmd[1];
	t.reply = reply[0];
	live_twin = t.pid;
	return t;
}

static struct twin twin_spawn(uint8_t *p, size_t len, uint8_t seed)
{
	return twin_spawn_cow(p, len, seed, NULL);
}

static struct mismatch twin_check(const struct twin *t)
{
	struct mismatch m;

	if (write(t->cmd, "c", 1) != 1 || read(t->reply, &m, sizeof(m)) != (ssize_t)sizeof(m))
		tst_brk(TBROK, "the fork child died before checking its data");
	return m;
}

static void twin_reap(struct twin *t)
{
	close(t->cmd);
	close(t->reply);
	waitpid(t->pid, NULL, 0);
	live_twin = 0;
}

/* ---- verdict helpers ---- */

struct freed_check {
	struct mismatch lost, torn;
	size_t zero_pages, old_pages;
};

/* A freed page reads back as its old data or as zeros, as a whole; bytes
 * written after MADV_FREE must be there either way. */
static void check_freed_page(const uint8_t *p, size_t pg, uint8_t seed, bool with_writes, struct freed_check *c)
{
	size_t base = pg * PAGE_SIZE;
	bool zero = p[base + 1] == 0; /* offset 1 is never written */

	if (zero)
		c->zero_pages++;
	else
		c->old_pages++;
	for (size_t off = base; off < base + PAGE_SIZE; off++) {
		uint8_t want = zero ? 0 : old_byte(off, seed);

		if (with_writes && is_written_byte(off)) {
			if (p[off] != new_byte(off, seed))
				note(&c->lost, off, new_byte(off, seed), p[off]);
		} else if (p[off] != want) {
			note(&c->torn, off, want, p[off]);
		}
	}
}

static bool report_freed_check(const char *scenario, const struct freed_check *c)
{
	if (c->lost.count)
		tst_res(TFAIL, "%s: %zu written bytes lost after reclaim, first at offset 0x%zx: expected 0x%02x, read 0x%02x",
			scenario, c->lost.count, c->lost.off, c->lost.want, c->lost.got);
	if (c->torn.count)
		tst_res(TFAIL, "%s: %zu bytes are neither the old data nor zero, first at offset 0x%zx: expected 0x%02x, read 0x%02x",
			scenario, c->torn.count, c->torn.off, c->torn.want, c->torn.got);
	return !c->lost.count && !c->torn.count;
}

static void report_twin_data(const char *scenario, struct mismatch m, size_t len, int rounds)
{
	if (m.count)
		tst_res(TFAIL, "%s: the fork child lost data: %zu of %zu bytes differ, first at offset 0x%zx: expected 0x%02x, read 0x%02x%s",
			scenario, m.count, len, m.off, m.want, m.got, m.got == 0 ? " (its page was discarded)" : "");
	else
		tst_res(TPASS, "%s: the fork child reads all %zu bytes intact after the parent's MADV_FREE and %d reclaim rounds",
			scenario, len, rounds);
}

static void note_unevicted(const char *scenario, const void *p, size_t len, int rounds)
{
	struct residency r = residency_of(p, len);

	if (r.resident)
		tst_res(TINFO, "%s: %zu of %zu pages still resident after %d reclaim rounds", scenario, r.resident,
			len / PAGE_SIZE, rounds);
}

/* ---- scenario 1: fully covered private mTHPs ---- */

static void check_not_split(const char *scenario, size_t before, size_t after, long split_delta)
{
	tst_value_long("s1_split_at_madvise", split_delta);
	if (split_delta > 0 || after != before)
		tst_res(TFAIL, "%s: MADV_FREE split fully covered mTHPs: %zu of %zu left whole, stats/split %+ld",
			scenario, after, before, split_delta);
	else if (split_delta < 0)
		tst_res(TPASS, "%s: MADV_FREE left all %zu mTHPs whole (kpageflags; this kernel has no stats/split)",
			scenario, after);
	else
		tst_res(TPASS, "%s: MADV_FREE left all %zu mTHPs whole (kpageflags, stats/split +0)", scenario, after);
}

static size_t count_nonzero_pages(const uint8_t *p, size_t len, struct mismatch *first)
{
	size_t pages = 0;

	for (size_t pg = 0; pg < len / PAGE_SIZE; pg++) {
		struct mismatch m = { 0 };

		for (size_t off = pg * PAGE_SIZE; off < (pg + 1) * PAGE_SIZE; off++)
			if (p[off])
				note(&m, off, 0, p[off]);
		if (m.count && !pages++)
			*first = m;
	}
	return pages;
}

static void check_discarded(const char *scenario, const uint8_t *p, size_t len, long lazyfreed, int rounds)
{
	struct residency r = residency_of(p, len);
	struct mismatch first = { 0 };
	size_t kept = count_nonzero_pages(p, len, &first), npages = len / PAGE_SIZE;

	tst_value_long("s1_pglazyfreed", lazyfreed);
	tst_value_long("s1_reclaim_rounds", rounds);
	tst_value_long("s1_swapped_pages", (long)r.swapped);
	tst_value_long("s1_resident_pages", (long)r.resident);
	if (kept)
		tst_res(TFAIL, "%s: %zu of %zu pages not discarded after MADV_FREE and %d reclaim rounds "
			"(%zu were swapped out, %zu still resident, pglazyfreed %+ld); first at offset 0x%zx: expected 0x00, read 0x%02x",
			scenario, kept, npages, rounds, r.swapped, r.resident, lazyfreed, first.off, first.got);
	else if (lazyfreed < (long)npages)
		tst_res(TFAIL, "%s: all %zu pages read back as zero, but pglazyfreed moved only %+ld", scenario, npages,
			lazyfreed);
	else
		tst_res(TPASS, "%s: all %zu pages discarded by reclaim in %d rounds and read back as zero, pglazyfreed %+ld",
			scenario, npages, rounds, lazyfreed);
}

static void scenario_private_full(void)
{
	const char *name = "scenario 1 (fully covered mTHPs, private)";
	uint8_t *p = fault_mthp_region(region_len, 0x11, name);
	size_t before = find_large_folios(p, region_len, NULL, 0), after;
	long split0 = mthp_stat_sum("split"), split1, lazyfreed0 = tst_vmstat("pglazyfreed");
	long deferred0 = mthp_stat_sum("split_deferred");
	int rounds;

	SAFE_MADVISE(p, region_len, MADV_FREE);
	split1 = mthp_stat_sum("split");
	after = find_large_folios(p, region_len, NULL, 0);
	check_not_split(name, before, after, split0 < 0 ? -1 : split1 - split0);
	rounds = reclaim_until_evicted(p, region_len);
	/* Reclaim also swaps this process's own mTHPs (heap, stack), so a
	 * split there is noise: recorded, not judged. */
	tst_value_long("s1_split_during_reclaim", split0 < 0 ? -1 : mthp_stat_sum("split") - split1);
	tst_value_long("s1_split_deferred", mthp_stat_sum("split_deferred") - deferred0);
	check_discarded(name, p, region_len, tst_vmstat("pglazyfreed") - lazyfreed0, rounds);
	SAFE_MUNMAP(p, region_len);
}

/* ---- scenario 2: written again after MADV_FREE ---- */

static struct freed_check check_freed_region(const uint8_t *p, size_t len, uint8_t seed, bool with_writes)
{
	struct freed_check c = { 0 };

	for (size_t pg = 0; pg < len / PAGE_SIZE; pg++)
		check_freed_page(p, pg, seed, with_writes && is_written_page(pg), &c);
	return c;
}

static void free_write_reclaim_check(const char *scenario, uint8_t *p, size_t len, uint8_t seed)
{
	size_t written;
	int rounds;
	struct freed_check c;

	SAFE_MADVISE(p, len, MADV_FREE);
	written = write_new_bytes(p, len, seed);
	rounds = reclaim_until_evicted(p, len);
	note_unevicted(scenario, p, len, rounds);
	c = check_freed_region(p, len, seed, true);
	if (report_freed_check(scenario, &c))
		tst_res(TPASS, "%s: all %zu bytes written after MADV_FREE survived %d reclaim rounds (%zu pages zero, %zu old)",
			scenario, written, rounds, c.zero_pages, c.old_pages);
}

static void scenario_redirtied(void)
{
	const char *name = "scenario 2 (written again after MADV_FREE)";
	uint8_t *p = fault_mthp_region(region_len, 0x22, name);

	free_write_reclaim_check(name, p, region_len, 0x22);
	SAFE_MUNMAP(p, region_len);
}

/* ---- scenario 3: half of each mTHP freed ---- */

static bool *free_first_halves(uint8_t *p, size_t len, size_t *nfolios)
{
	size_t npages = len / PAGE_SIZE;
	struct folio_span *spans = SAFE_CALLOC(npages / 2, sizeof(*spans));
	bool *freed = SAFE_CALLOC(npages, sizeof(*freed));

	*nfolios = find_large_folios(p, len, spans, npages / 2);
	for (size_t i = 0; i < *nfolios; i++) {
		size_t half = spans[i].npages / 2;

		SAFE_MADVISE(p + spans[i].first_page * PAGE_SIZE, half * PAGE_SIZE, MADV_FREE);
		for (size_t pg = spans[i].first_page; pg < spans[i].first_page + half; pg++)
			freed[pg] = true;
	}
	free(spans);
	return freed;
}

static void scenario_partial(void)
{
	const char *name = "scenario 3 (half of each mTHP freed)";
	uint8_t *p = fault_mthp_region(region_len, 0x33, name);
	size_t nfolios;
	bool *freed = free_first_halves(p, region_len, &nfolios);
	struct freed_check c = { 0 };
	struct mismatch kept = { 0 };
	int rounds = reclaim_until_evicted(p, region_len);

	note_unevicted(name, p, region_len, rounds);
	for (size_t pg = 0; pg < region_len / PAGE_SIZE; pg++) {
		if (freed[pg])
			check_freed_page(p, pg, 0x33, false, &c);
		else
			merge(&kept, compare_old(p, pg * PAGE_SIZE, (pg + 1) * PAGE_SIZE, 0x33));
	}
	if (kept.count)
		tst_res(TFAIL, "%s: %zu bytes outside the freed halves lost, first at offset 0x%zx: expected 0x%02x, read 0x%02x",
			name, kept.count, kept.off, kept.want, kept.got);
	if (report_freed_check(name, &c) && !kept.count)
		tst_res(TPASS, "%s: halves of %zu mTHPs freed (%zu pages zero, %zu old), the other halves intact after %d reclaim rounds",
			name, nfolios, c.zero_pages, c.old_pages, rounds);
	free(freed);
	SAFE_MUNMAP(p, region_len);
}

/* ---- scenario 4: shared with a fork child that never frees ---- */

/* This process frees the region and reclaim runs; the fork child, which
 * never freed anything, must still read every byte it had. */
static void free_reclaim_check_twin(const char *name, uint8_t *p, size_t len, struct twin *t)
{
	int rounds;

	SAFE_MADVISE(p, len, MADV_FREE);
	rounds = reclaim_until_evicted(p, len);
	note_unevicted(name, p, len, rounds);
	report_twin_data(name, twin_check(t), len, rounds);
	twin_reap(t);
	SAFE_MUNMAP(p, len);
}

static void scenario_shared_fresh(void)
{
	const char *name = "scenario 4a (mTHPs shared with a fork child)";
	uint8_t *p = fault_mthp_region(region_len, 0x44, name);
	struct twin t = twin_spawn(p, region_len, 0x44);

	free_reclaim_check_twin(name, p, region_len, &t);
}

/* Both processes fault the pages back from swap: the fork made the swap
 * entries shared, so the pages go through the swap cache and are mapped with
 * clean PTEs in both, and their only other copy is on swap. Nothing but the
 * exclusivity check in madvise_free_pte_range() then stops the parent from
 * freeing that swap copy and lazyfreeing pages the child still needs. */
static void scenario_shared_swapped(void)
{
	const char *name = "scenario 4b (shared with a fork child, read back from swap)";
	size_t len = region_len / 2;
	uint8_t *p = fault_mthp_region(len, 0x4b, name);
	struct mismatch m;
	struct twin t;
	long lazyfree0;

	page_out(p, len, name);
	t = twin_spawn(p, len, 0x4b);
	m = twin_check(&t);
	merge(&m, compare_old(p, 0, len, 0x4b));
	if (m.count) {
		tst_res(TFAIL, "%s: %zu bytes wrong after swap-in, before any MADV_FREE, first at offset 0x%zx: expected 0x%02x, read 0x%02x",
			name, m.count, m.off, m.want, m.got);
		twin_reap(&t);
		SAFE_MUNMAP(p, len);
		return;
	}
	lazyfree0 = tst_vmstat("pglazyfree");
	free_reclaim_check_twin(name, p, len, &t);
	tst_value_long("s4b_pglazyfree", tst_vmstat("pglazyfree") - lazyfree0);
}

/* ---- scenario 5: sole owner after fork ---- */

/* The thread's wp_page_reuse() example with the roles swapped: the child
 * exits, so this process is the folios' only mapper, but its PTEs stay
 * write-protected and not anon-exclusive from the fork. */
static void fork_and_let_child_exit(void)
{
	pid_t pid = SAFE_FORK();

	if (pid == 0)
		_exit(0);
	SAFE_WAITPID(pid, NULL, 0);
}

static void scenario_sole_owner_after_fork(void)
{
	const char *name = "scenario 5 (sole owner after fork, writes after MADV_FREE)";
	size_t len = region_len / 2;
	uint8_t *p = fault_mthp_region(len, 0x55, name);

	fork_and_let_child_exit();
	free_write_reclaim_check(name, p, len, 0x55);
	SAFE_MUNMAP(p, len);
}

/* ---- probe: exclusive swap-in, then fork ---- */

/* Pages the region out and reads it all back from swap: every byte must
 * still be fill, or the scenario cannot go on. */
static void page_out_and_read_back(uint8_t *p, size_t len, uint8_t fill, const char *name)
{
	struct mismatch m;

	page_out(p, len, name);
	m = compare_old(p, 0, len, fill);
	if (m.count)
		tst_brk(TBROK, "%s: read 0x%02x at offset 0x%zx back from swap, expected 0x%02x", name, m.got, m.off,
			m.want);
}

static void probe_exclusive_swapin_then_fork(void)
{
	const char *name = "probe (read back from swap while exclusive, then fork)";
	size_t len = region_len / 2;
	uint8_t *p = fault_region(len, 0x66, name);
	struct twin t;

	page_out_and_read_back(p, len, 0x66, name);
	if (small_folios())
		require_small_folios(p, len, name, "after swap-in");
	tst_res(TINFO, "%s: %zu mTHPs after swap-in from %s", name, find_large_folios(p, len, NULL, 0), swap_arg);
	t = twin_spawn(p, len, 0x66);
	free_reclaim_check_twin(name, p, len, &t);
}

/* ---- the thread's own defects (on request) ---- */

/* Folios of the pages mapped at [p, p+npages): how many are lazyfree
 * (anonymous without PG_swapbacked, after the lazyfree batch drained). */
static size_t count_lazyfree(const uint8_t *p, size_t npages)
{
	uint64_t *pm = pagemap_of(p, npages * PAGE_SIZE);
	size_t n = 0;

	for (size_t i = 0; i < npages; i++) {
		uint64_t pfn = tst_pagemap_pfn(pm[i]), flags = pfn ? tst_kpageflags(pfn) : 0;

		n += (flags >> KPF_ANON & 1) && !(flags >> KPF_SWAPBACKED & 1);
	}
	free(pm);
	return n;
}

static struct folio_span *spans_of(const uint8_t *p, size_t len, size_t *n)
{
	struct folio_span *spans = SAFE_CALLOC(len / PAGE_SIZE / 2, sizeof(*spans));

	*n = find_large_folios(p, len, spans, len / PAGE_SIZE / 2);
	if (*n > len / PAGE_SIZE / 2)
		*n = len / PAGE_SIZE / 2;
	return spans;
}

/* Barry Song on v2's "goto skip_large_folio": the PTEs after a large
 * folio's first one need not map it. Here each mTHP is shared with a fork
 * child (so MADV_FREE must leave it), and its last two pages are unmapped
 * and written again in this process: small folios of ours, behind PTEs in
 * the mTHP's range. MADV_FREE of the range must lazyfree every one of them. */
static void scenario_skip_large_folio(void)
{
	const char *name = "skip-large-folio (small folios behind a shared mTHP's PTEs)";
	uint8_t *p = fault_mthp_region(region_len, 0x71, name);
	struct twin t = twin_spawn(p, region_len, 0x71);
	size_t n, small = 0, lazy = 0;
	struct folio_span *spans = spans_of(p, region_len, &n);

	for (size_t i = 0; i < n; i++) {
		uint8_t *tail = p + (spans[i].first_page + spans[i].npages - 2) * PAGE_SIZE;

		SAFE_MADVISE(tail, 2 * PAGE_SIZE, MADV_DONTNEED);
		memset(tail, 0x5a, 2 * PAGE_SIZE);
		small += 2;
	}
	SAFE_MADVISE(p, region_len, MADV_FREE);
	tst_drain_local_lru();
	for (size_t i = 0; i < n; i++)
		lazy += count_lazyfree(p + (spans[i].first_page + spans[i].npages - 2) * PAGE_SIZE, 2);
	tst_value_long("skip_large_folio_small_folios", (long)small);
	tst_value_long("skip_large_folio_lazyfree", (long)lazy);
	if (lazy < small)
		tst_res(TFAIL, "%s: MADV_FREE lazyfreed %zu of %zu small folios mapped behind %zu shared mTHPs: it "
			"skipped PTEs that map other folios", name, lazy, small, n);
	else
		tst_res(TPASS, "%s: all %zu small folios behind %zu shared mTHPs lazyfreed", name, small, n);
	report_twin_data(name, twin_check(&t), region_len, 0);
	twin_reap(&t);
	free(spans);
	SAFE_MUNMAP(p, region_len);
}

/* Pages whose PTE has the soft-dirty bit, as pagemap shows it. */
static void soft_dirty_bits(const uint8_t *p, size_t len, bool *bits)
{
	uint64_t *pm = pagemap_of(p, len);

	for (size_t i = 0; i < len / PAGE_SIZE; i++)
		bits[i] = pm[i] & PM_SOFT_DIRTY;
	free(pm);
}

/* After clear_refs 4 every PTE is write-protected; a write faults, makes
 * that one PTE writable and soft-dirty. Even spans: the first page written;
 * odd spans: all pages but the first. Each mTHP is then one PTE batch of
 * writable and read-only PTEs. */
static void mix_write_protection(uint8_t *p, const struct folio_span *spans, size_t n)
{
	if (tst_try_write_file("/proc/self/clear_refs", "4") < 0)
		tst_brk(TCONF, "clear_refs 4 (soft-dirty) refused: CONFIG_MEM_SOFT_DIRTY is off?");
	for (size_t i = 0; i < n; i++)
		for (size_t pg = 0; pg < spans[i].npages; pg++)
			if ((i % 2 == 0) == (pg == 0))
				p[(spans[i].first_page + pg) * PAGE_SIZE] ^= 0x80;
}

static size_t first_change(const bool *a, const bool *b, size_t n, size_t *count)
{
	size_t first = n;

	*count = 0;
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i] && !(*count)++)
			first = i;
	return first;
}

/* A write to a page whose PTE stayed write-protected must fault, and the
 * fault makes it soft-dirty: page 1 of each even span. */
static size_t writes_that_did_not_fault(uint8_t *p, const struct folio_span *spans, size_t n, bool *bits,
					size_t len)
{
	size_t missed = 0;

	for (size_t i = 0; i < n; i += 2)
		p[(spans[i].first_page + 1) * PAGE_SIZE] ^= 0x80;
	soft_dirty_bits(p, len, bits);
	for (size_t i = 0; i < n; i += 2)
		missed += !bits[spans[i].first_page + 1];
	return missed;
}

/* Ryan Roberts: a batch over a large folio's PTEs may mix read-only and
 * writable ones, so it may only clear the access and dirty bits. */
static void scenario_mixed_wp(void)
{
	const char *name = "mixed-wp (MADV_FREE over PTE batches of writable and write-protected PTEs)";
	uint8_t *p = fault_mthp_region(region_len, 0x72, name);
	size_t n, npages = region_len / PAGE_SIZE, changed, first, lazy = 0, missed;
	struct folio_span *spans = spans_of(p, region_len, &n);
	bool *before = SAFE_CALLOC(npages, sizeof(bool)), *after = SAFE_CALLOC(npages, sizeof(bool));

	mix_write_protection(p, spans, n);
	if (find_large_folios(p, region_len, NULL, 0) < n)
		tst_brk(TBROK, "%s: the writes after clear_refs split some mTHPs", name);
	soft_dirty_bits(p, region_len, before);
	tst_value("mixed_wp_span0_soft_dirty_before", "%d%d", before[spans[0].first_page],
		  before[spans[0].first_page + 1]);
	if (!before[spans[0].first_page] || before[spans[0].first_page + 1]) {
		tst_res(TCONF, "%s: soft-dirty does not track writes here (CONFIG_MEM_SOFT_DIRTY off? page 0 written: "
			"%d, page 1 not: %d)", name, before[spans[0].first_page], before[spans[0].first_page + 1]);
		free(before);
		free(after);
		free(spans);
		SAFE_MUNMAP(p, region_len);
		return;
	}
	SAFE_MADVISE(p, region_len, MADV_FREE);
	tst_drain_local_lru();
	soft_dirty_bits(p, region_len, after);
	first = first_change(before, after, npages, &changed);
	for (size_t i = 0; i < n; i++)
		lazy += count_lazyfree(p + spans[i].first_page * PAGE_SIZE, 1);
	tst_value("mixed_wp_span0_soft_dirty_after_free", "%d%d", after[spans[0].first_page],
		  after[spans[0].first_page + 1]);
	missed = writes_that_did_not_fault(p, spans, n, after, region_len);
	tst_value("mixed_wp_span0_soft_dirty_after_write", "%d%d", after[spans[0].first_page],
		  after[spans[0].first_page + 1]);
	if (changed)
		tst_res(TFAIL, "%s: MADV_FREE changed the soft-dirty bit of %zu PTEs (first page %zu: %d -> %d): it "
			"rewrote more than the access and dirty bits", name, changed, first, before[first], !before[first]);
	if (missed)
		tst_res(TFAIL, "%s: %zu writes to write-protected PTEs did not fault after MADV_FREE", name, missed);
	if (lazy < n)
		tst_res(TFAIL, "%s: only %zu of %zu mTHPs were lazyfreed", name, lazy, n);
	if (!changed && !missed && lazy == n)
		tst_res(TPASS, "%s: %zu mTHPs lazyfreed, every PTE kept its write protection and soft-dirty bit", name, n);
	free(before);
	free(after);
	free(spans);
	SAFE_MUNMAP(p, region_len);
}

static sigjmp_buf segv_jump;

static void on_segv(int sig)
{
	siglongjmp(segv_jump, 1);
}

/* A write that must raise SIGSEGV; true when it did. */
static bool write_faults(volatile uint8_t *at)
{
	struct sigaction sa = { .sa_handler = on_segv }, old;
	bool faulted = false;

	sigaction(SIGSEGV, &sa, &old);
	if (sigsetjmp(segv_jump, 1))
		faulted = true;
	else
		*at ^= 0x80;
	sigaction(SIGSEGV, &old, NULL);
	return faulted;
}

/* The form of Ryan's warning: mprotect(PROT_READ) the second half
 * of each of the first mTHPs, MADV_FREE everything: the read-only halves
 * still refuse writes, the writable halves are lazyfree. */
static void scenario_mprotect_split(void)
{
	const char *name = "mprotect-split (MADV_FREE over mTHPs half read-only)";
	uint8_t *p = fault_mthp_region(region_len, 0x73, name);
	size_t n, used, written = 0, lazy = 0, rw_pages = 0;
	struct folio_span *spans = spans_of(p, region_len, &n);

	used = n < 16 ? n : 16;
	for (size_t i = 0; i < used; i++) {
		size_t half = spans[i].npages / 2;

		SAFE_MPROTECT(p + (spans[i].first_page + half) * PAGE_SIZE, half * PAGE_SIZE, PROT_READ);
	}
	SAFE_MADVISE(p, region_len, MADV_FREE);
	tst_drain_local_lru();
	for (size_t i = 0; i < used; i++) {
		size_t half = spans[i].npages / 2;

		lazy += count_lazyfree(p + spans[i].first_page * PAGE_SIZE, half);
		rw_pages += half;
		written += !write_faults(p + (spans[i].first_page + half) * PAGE_SIZE);
	}
	if (written)
		tst_res(TFAIL, "%s: %zu writes to read-only halves succeeded after MADV_FREE", name, written);
	if (lazy < rw_pages)
		tst_res(TFAIL, "%s: %zu of %zu pages of the writable halves lazyfree", name, lazy, rw_pages);
	if (!written && lazy == rw_pages)
		tst_res(TPASS, "%s: %zu read-only halves raise SIGSEGV, %zu pages of the writable halves lazyfree", name,
			used, rw_pages);
	free(spans);
	SAFE_MUNMAP(p, region_len);
}

/* Lance Yang's question: an mTHP shared by fork, partly copied on write by
 * the child (page 0 of each), so the first page looks exclusive to us. The
 * pages came back from swap while exclusive, so no PTE is dirty: MADV_FREE
 * here must not take the child's pages 1..n with it. */
static void scenario_partial_cow(void)
{
	const char *name = "partial-cow (MADV_FREE of an mTHP the fork child partly copied)";
	size_t len = region_len / 2, n;
	uint8_t *p;
	bool *cow;
	struct folio_span *spans;
	struct twin t;

	if (small_folios()) {
		tst_res(TCONF, "%s: needs mTHPs, and --folio-order small turned them off", name);
		return;
	}
	p = fault_mthp_region(len, 0x74, name);
	cow = SAFE_CALLOC(len / PAGE_SIZE, sizeof(bool));
	page_out_and_read_back(p, len, 0x74, name);
	spans = spans_of(p, len, &n);
	tst_value_long("partial_cow_mthps_after_swapin", (long)n);
	if (!n)
		tst_res(TCONF, "%s: swap-in brought back no mTHP (mTHP swap-in needs 6.11 and zram)", name);
	for (size_t i = 0; i < n; i++)
		cow[spans[i].first_page] = true;
	t = twin_spawn_cow(p, len, 0x74, cow);
	free_reclaim_check_twin(name, p, len, &t);
	free(spans);
	free(cow);
}

/* ---- partial COW of a PG_dirty mTHP behind clean PTEs (v2 against the estimate) ---- */

/* Copies the old data into [p, p+len) through /proc/self/mem. The kernel
 * takes each page with GUP and writes it through its own mapping: the folio
 * gets PG_dirty, the PTEs stay as they were. */
static void write_through_proc_mem(uint8_t *p, size_t len, uint8_t seed)
{
	uint8_t *buf = SAFE_MALLOC(len);
	int fd = SAFE_OPEN("/proc/self/mem", O_RDWR);

	fill_old(buf, len, seed);
	SAFE_PWRITE(fd, buf, len, (off_t)(uintptr_t)p);
	SAFE_CLOSE(fd);
	free(buf);
}

/* Pages of [p, p+len) whose folio has the given kpageflags bit. */
static size_t count_pages_with_kpf(const uint8_t *p, size_t len, int kpf_bit)
{
	uint64_t *pm = pagemap_of(p, len);
	size_t n = 0;

	for (size_t i = 0; i < len / PAGE_SIZE; i++) {
		uint64_t pfn = tst_pagemap_pfn(pm[i]);

		n += pfn && tst_kpf(pfn, kpf_bit);
	}
	free(pm);
	return n;
}

/* Every mTHP in spans must be lazyfree (not swap-backed) and PG_dirty: the
 * state MADV_FREE and then a write through GUP leave behind. */
static void require_dirty_lazyfree(const uint8_t *p, const struct folio_span *spans, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t pfn = tst_vaddr_to_pfn(p + spans[i].first_page * PAGE_SIZE);
		uint64_t flags = pfn ? tst_kpageflags(pfn) : 0;

		if (!(flags >> KPF_DIRTY & 1) || (flags >> KPF_SWAPBACKED & 1))
			tst_brk(TBROK, "%s: mTHP %zu is %s, %s after MADV_FREE and the write through /proc/self/mem "
				"(want PG_dirty and lazyfree: was it reclaimed in between?)", name, i,
				flags >> KPF_DIRTY & 1 ? "dirty" : "clean",
				flags >> KPF_SWAPBACKED & 1 ? "swap-backed" : "lazyfree");
	}
}

static uint64_t kpagecount_of(int fd, const uint8_t *addr)
{
	uint64_t pfn = tst_vaddr_to_pfn(addr), count = 0;

	if (pfn)
		SAFE_PREAD(fd, &count, sizeof(count), (off_t)(pfn * sizeof(count)));
	return count;
}

/* True when page 0 of each mTHP is mapped once (the fork child copied it)
 * and every other page twice. */
static bool cow_shape_holds(const uint8_t *p, const struct folio_span *spans, size_t n)
{
	int fd = SAFE_OPEN("/proc/kpagecount", O_RDONLY);
	bool holds = true;

	for (size_t i = 0; i < n && holds; i++)
		for (size_t pg = 0; pg < spans[i].npages && holds; pg++)
			holds = kpagecount_of(fd, p + (spans[i].first_page + pg) * PAGE_SIZE) == (pg ? 2 : 1);
	SAFE_CLOSE(fd);
	return holds;
}

/* The child copies page 0 of each mTHP on its own; wait until it has. */
static void wait_for_cow_shape(const uint8_t *p, const struct folio_span *spans, size_t n, const char *name)
{
	struct tst_deadline d;

	tst_deadline_start(&d, 20);
	while (!cow_shape_holds(p, spans, n)) {
		if (tst_deadline_passed(&d))
			tst_brk(TBROK, "%s: /proc/kpagecount never showed page 0 of each mTHP mapped once and "
				"the rest twice", name);
		usleep(10000);
	}
}

static void value_with_prefix(const char *prefix, const char *name, long v)
{
	char key[64];

	snprintf(key, sizeof(key), "%s_%s", prefix, name);
	tst_value_long(key, v);
}

/* Values under prefix ("pcd", "pcp"): mTHPs before and after MADV_FREE,
 * pages whose folio is still PG_dirty. */
static void record_after_free(const char *prefix, const uint8_t *p, size_t len, size_t n, const char *name)
{
	size_t whole = find_large_folios(p, len, NULL, 0);
	size_t dirty = count_pages_with_kpf(p, len, KPF_DIRTY);

	value_with_prefix(prefix, "mthps_before_free", (long)n);
	value_with_prefix(prefix, "mthps_after_free", (long)whole);
	value_with_prefix(prefix, "dirty_pages_after_free", (long)dirty);
	tst_res(TINFO, "%s: after MADV_FREE %zu of %zu mTHPs whole, %zu of %zu pages PG_dirty", name, whole, n,
		dirty, len / PAGE_SIZE);
}

/* The fork child copies page 0 of each mTHP in spans, this process frees
 * the region and reclaims, the child checks that it still holds seed's data. */
static void cow_page0_free_reclaim_check(const char *prefix, const char *name, uint8_t *p, size_t len,
					 uint8_t seed, const struct folio_span *spans, size_t n)
{
	bool *cow = SAFE_CALLOC(len / PAGE_SIZE, sizeof(bool));
	long lazyfreed0;
	struct twin t;

	for (size_t i = 0; i < n; i++)
		cow[spans[i].first_page] = true;
	t = twin_spawn_cow(p, len, seed, cow);
	wait_for_cow_shape(p, spans, n, name);
	lazyfreed0 = tst_vmstat("pglazyfreed");
	SAFE_MADVISE(p, len, MADV_FREE);
	tst_drain_local_lru();
	record_after_free(prefix, p, len, n, name);
	free_reclaim_check_twin(name, p, len, &t);
	value_with_prefix(prefix, "pglazyfreed", tst_vmstat("pglazyfreed") - lazyfreed0);
	free(cow);
}

/* Lance Yang's question on v2, without the swap-in path: MADV_FREE, then a
 * write through /proc/self/mem, leaves each mTHP PG_dirty behind clean PTEs
 * (its data is nowhere else). A fork child copies page 0 of each, so page 0
 * looks exclusive and pages 1..n-1 are shared. MADV_FREE in this process must
 * not clear PG_dirty: the child's clean PTEs would let reclaim discard its
 * pages. v2's per-page loop splits the folio instead; the first page's
 * mapcount alone lets it through. */
static void scenario_partial_cow_pg_dirty(void)
{
	const char *name = "partial-cow-pg-dirty (MADV_FREE of a PG_dirty mTHP the fork child partly copied)";
	size_t len = region_len / 2, n;
	uint8_t *p = fault_mthp_region(len, 0x0f, name);
	struct folio_span *spans = spans_of(p, len, &n);

	SAFE_MADVISE(p, len, MADV_FREE);
	write_through_proc_mem(p, len, 0x75);
	tst_drain_local_lru();
	require_dirty_lazyfree(p, spans, n, name);
	cow_page0_free_reclaim_check("pcd", name, p, len, 0x75, spans, n);
	free(spans);
}

/* The control: the same shape, but the data written by the CPU, so every
 * PTE is dirty in both processes. try_to_unmap_one() moves a dirty PTE's
 * bit to the folio and keeps it, so whatever MADV_FREE decides, the child
 * keeps its data: this one cannot tell the variants apart. */
static void scenario_partial_cow_pte_dirty(void)
{
	const char *name = "partial-cow-pte-dirty (MADV_FREE of an mTHP with dirty PTEs the fork child partly copied)";
	size_t len = region_len / 2, n;
	uint8_t *p = fault_mthp_region(len, 0x76, name);
	struct folio_span *spans = spans_of(p, len, &n);

	cow_page0_free_reclaim_check("pcp", name, p, len, 0x76, spans, n);
	free(spans);
}

/* ---- setup ---- */

static bool swap_listed(const char *dev)
{
	char swaps[4096];

	return tst_read_file("/proc/swaps", swaps, sizeof(swaps)) >= 0 && strstr(swaps, dev);
}

static void require_zram_swap(void)
{
	if (!swap_listed("zram"))
		tst_brk(TBROK, "no swap on zram in /proc/swaps (the case sets zram = 512M)");
}

/* mkswap from the host's root (read-only over 9p), as the init does for
 * zram; a guest with no host root (arm64) writes the header itself. */
static void run_mkswap(const char *dev)
{
	char *argv[] = { "/sbin/mkswap", "-q", (char *)dev, NULL };
	char why[256];
	int status;
	pid_t pid;

	if (access(argv[0], X_OK) < 0) {
		if (tst_write_swap_header(dev, why, sizeof(why)) < 0)
			tst_brk(TBROK, "--swap disk: %s", why);
		return;
	}
	pid = SAFE_FORK();

	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	SAFE_WAITPID(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		tst_brk(TBROK, "--swap disk: /sbin/mkswap %s failed (wait status 0x%x)", dev, status);
}

/* Only the disk: zram's swap-in would skip the swap cache for what lands there. */
static void swap_on_disk(void)
{
	if (access(SWAP_DISK, F_OK) < 0)
		tst_brk(TBROK, "--swap disk: no %s (the case needs [vm] disk = SIZE)", SWAP_DISK);
	if (swap_listed(ZRAM_DEV) && swapoff(ZRAM_DEV) < 0)
		tst_brk(TBROK, "swapoff %s: %m", ZRAM_DEV);
	run_mkswap(SWAP_DISK);
	if (swapon(SWAP_DISK, 0) < 0)
		tst_brk(TBROK, "swapon %s: %m", SWAP_DISK);
	if (swap_listed("zram"))
		tst_brk(TBROK, "--swap disk: zram swap still in /proc/swaps after swapoff");
}

/* Every mTHP size to never; on a kernel without mTHP there is nothing to do. */
static void turn_off_mthp(void)
{
	DIR *d = opendir(THP_DIR);
	struct dirent *e;
	char path[300];
	int rc;

	if (!d)
		tst_brk(TCONF, "no %s (CONFIG_TRANSPARENT_HUGEPAGE off?)", THP_DIR);
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "hugepages-", 10))
			continue;
		snprintf(path, sizeof(path), THP_DIR "/%s/enabled", e->d_name);
		rc = tst_try_write_file(path, "never");
		/* Sizes that anonymous memory cannot use (8kB) have no enabled file. */
		if (rc < 0 && rc != -ENOENT)
			tst_brk(TBROK, "--folio-order small: write never to %s: %s", path, strerror(-rc));
	}
	closedir(d);
}

static void setup_folio_order_and_swap(void)
{
	if (strcmp(folio_order_arg, "mthp") && !small_folios())
		tst_brk(TBROK, "--folio-order wants mthp or small, got '%s'", folio_order_arg);
	if (strcmp(swap_arg, "zram") && !disk_swap())
		tst_brk(TBROK, "--swap wants zram or disk, got '%s'", swap_arg);
	tst_value("folio_order", "%s", folio_order_arg);
	tst_value("swap", "%s", swap_arg);
	if (small_folios())
		turn_off_mthp();
	else if (access(THP_DIR "/hugepages-64kB/enabled", F_OK) < 0)
		tst_brk(TCONF, "no mTHP sysfs (kernel before 6.8)");
	if (disk_swap())
		swap_on_disk();
	else
		require_zram_swap();
}

static void setup(void)
{
	if (region_mb % 2)
		tst_brk(TBROK, "--mb must be even (whole PMD-sized regions), got %d", region_mb);
	region_len = (size_t)region_mb << 20;
	setup_folio_order_and_swap();
	signal(SIGPIPE, SIG_IGN);
	/* One CPU, so draining this CPU's LRU batches drains them all. */
	tst_pin_cpu(sched_getcpu());
	reclaim_cg = tst_cg_mk("reclaim");
	tst_cg_join(reclaim_cg, 0);
	if (!tst_cg_has(reclaim_cg, "memory.reclaim"))
		tst_brk(TBROK, "%s/memory.reclaim: %m", reclaim_cg->path);
}

static void cleanup(void)
{
	if (live_twin > 0) {
		kill(live_twin, SIGKILL);
		waitpid(live_twin, NULL, 0);
	}
	if (reclaim_cg)
		tst_cg_leave(0);
}

static const struct tst_option options[] = {
	{ "mb", TST_OPT_INT, &region_mb, 2, 256, NULL, "MiB per region, even (8)" },
	{ "folio-order", TST_OPT_STR, &folio_order_arg, 0, 0, NULL,
	  "mthp (16K..128K mTHPs, kernels 6.8 and later) or small (every mTHP size off: order-0 folios only)" },
	{ "swap", TST_OPT_STR, &swap_arg, 0, 0, NULL,
	  "zram (the case's zram swap) or disk (mkswap and swapon " SWAP_DISK ", zram swapped off)" },
	{ NULL, 0, NULL, 0, 0, NULL, NULL },
};

static const struct tst_scenario scenarios[] = {
	{ "private-full", scenario_private_full,
	  "fully covered private mTHPs stay whole at MADV_FREE and are discarded by reclaim", false },
	{ "redirtied", scenario_redirtied, "bytes written after MADV_FREE survive reclaim", false },
	{ "partial", scenario_partial, "the half of each mTHP not freed keeps its data", false },
	{ "shared-fresh", scenario_shared_fresh, "a fork child that never frees keeps its data", false },
	{ "shared-swapped", scenario_shared_swapped,
	  "a fork child keeps pages both read back from swap (the exclusivity check)", false },
	{ "sole-owner-after-fork", scenario_sole_owner_after_fork,
	  "writes after MADV_FREE survive when the fork child has gone", false },
	{ "swapin-fork", probe_exclusive_swapin_then_fork,
	  "on request: pages read back from swap while exclusive, then shared by fork, stay in the child",
	  true },
	{ "skip-large-folio", scenario_skip_large_folio,
	  "on request: small folios behind a shared mTHP's PTEs are lazyfreed (Barry Song on v2)", true },
	{ "mixed-wp", scenario_mixed_wp,
	  "on request: MADV_FREE keeps write protection and soft-dirty of every PTE in a mixed batch (Ryan Roberts)",
	  true },
	{ "mprotect-split", scenario_mprotect_split,
	  "on request: read-only halves of mTHPs still refuse writes, writable halves are lazyfree", true },
	{ "partial-cow", scenario_partial_cow,
	  "on request: the fork child keeps an mTHP it partly copied on write (Lance Yang on v2)", true },
	{ "partial-cow-pg-dirty", scenario_partial_cow_pg_dirty,
	  "on request: the fork child keeps a PG_dirty mTHP behind clean PTEs whose first page it copied "
	  "(v2's per-page loop against the first page's mapcount)", true },
	{ "partial-cow-pte-dirty", scenario_partial_cow_pte_dirty,
	  "on request: the same with the data written by the CPU (dirty PTEs): the child keeps it on every variant",
	  true },
	{ NULL, NULL, NULL, false },
};

static const struct tst_tag tags[] = {
	{ "fix", "mm/madvise: optimize lazyfreeing with mTHP in madvise_free (Lance Yang, v6.10)" },
	{ "thread", "[PATCH v2 1/1] mm/madvise: enhance lazyfreeing with mTHP in madvise_free, 2024-03-07" },
	{ NULL, NULL },
};

static struct tst_test test = {
	.name = "madv_free_mthp",
	.tags = tags,
	.options = options,
	.scenarios = scenarios,
	.runtime = 120,
	.needs_kconfigs = kconfigs,
	.min_mem_mb = 512,
	.needs_cgroup_ctrl = "memory",
	.needs_cgroup_ver = TST_CG_V2,
	.knobs = knobs,
	.setup = setup,
	.cleanup = cleanup,
};

TST_MAIN(test)
