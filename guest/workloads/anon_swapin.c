/* Seed 001, the rmap half on its own: the first mapping of a swapped-in
 * anonymous page.
 *
 * "mm: remove lock_page_memcg() from rmap" v1 left a "hidden else" in 6.1's
 * page_add_anon_rmap(): for the first mapping of a page it updates the
 * stats and skips __page_set_anon_rmap(), so the page gets no anon_vma and
 * do_swap_page() hits VM_BUG_ON(!PageAnon(page) ...) just before
 * set_pte_at() (Hugh Dickins: "Blame me for the hidden else"). Every
 * swap-in is such a first mapping, with or without memcg, so this needs no
 * memcg v1 and no charge moving: it runs on any kernel with swap, 6.12 and
 * later included, where it guards the same invariant (do_swap_page() maps
 * a folio only once it is anon).
 *
 * Scenarios (the table at the end), each on its own region of 4K pages
 * filled with a pattern and swapped out to zram with MADV_PAGEOUT:
 *   direct     read back: zram is SWP_SYNCHRONOUS_IO, so the fault skips
 *              the swap cache and maps a new page for the first time;
 *   swapcache  MADV_WILLNEED first: readahead puts the pages in the swap
 *              cache unmapped, and the fault maps a swap-cache page for the
 *              first time;
 *   fork       fork, then the child reads (a shared swap entry: through the
 *              swap cache, the first mapping) and the parent reads (the
 *              second mapping of the same page);
 * and every byte must read back as written.
 */
#include "tst.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define WORDS (PAGE_SIZE / sizeof(uint64_t))

static int region_mb = 16;

static uint64_t pattern(uint64_t seed, size_t page, size_t word)
{
	uint64_t x = (seed << 56) ^ ((uint64_t)page << 12) ^ word;

	x *= 0x9E3779B97F4A7C15ULL;
	return x ^ (x >> 29);
}

static size_t region_pages(void)
{
	return (size_t)region_mb << 8;
}

static uint64_t *filled_region(uint64_t seed)
{
	size_t npages = region_pages();
	uint64_t *p = SAFE_MMAP(NULL, npages * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	/* 4K pages: each is swapped and mapped again on its own. */
	SAFE_MADVISE(p, npages * PAGE_SIZE, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < npages; i++)
		for (size_t w = 0; w < WORDS; w++)
			p[i * WORDS + w] = pattern(seed, i, w);
	return p;
}

/* Pages of the region that are swap entries now. */
static size_t swapped_pages(const uint64_t *p)
{
	size_t npages = region_pages(), n = 0;
	uint64_t *pm = SAFE_MALLOC(npages * sizeof(*pm));

	tst_pagemap_range(p, npages, pm);
	for (size_t i = 0; i < npages; i++)
		n += !(pm[i] & PM_PRESENT) && (pm[i] & PM_SWAP);
	free(pm);
	return n;
}

/* Most of the region must really be on swap, or the scenario tests
 * nothing: BROK naming how much. */
static void swap_out(uint64_t *p, const char *scenario)
{
	size_t npages = region_pages(), swapped;

	SAFE_MADVISE(p, npages * PAGE_SIZE, MADV_PAGEOUT);
	swapped = swapped_pages(p);
	tst_res(TINFO, "%s: %zu of %zu pages swapped out", scenario, swapped, npages);
	if (swapped * 10 < npages * 9)
		tst_brk(TBROK, "%s: MADV_PAGEOUT swapped out only %zu of %zu pages", scenario, swapped, npages);
}

/* Every word as written; the first difference is named. */
static bool check_region(const char *who, const uint64_t *p, uint64_t seed)
{
	size_t npages = region_pages();

	for (size_t i = 0; i < npages; i++) {
		for (size_t w = 0; w < WORDS; w++) {
			if (p[i * WORDS + w] == pattern(seed, i, w))
				continue;
			tst_res(TFAIL, "%s: page %zu word %zu reads %#llx, not %#llx", who, i, w,
				(unsigned long long)p[i * WORDS + w], (unsigned long long)pattern(seed, i, w));
			return false;
		}
	}
	return true;
}

static void scenario_direct(void)
{
	uint64_t *p = filled_region(1);
	long pswpin = tst_vmstat("pswpin");

	swap_out(p, "direct");
	if (check_region("direct swap-in", p, 1))
		tst_res(TPASS, "direct: %zu pages read back from swap intact (pswpin %+ld)", region_pages(),
			tst_vmstat("pswpin") - pswpin);
	SAFE_MUNMAP(p, region_pages() * PAGE_SIZE);
}

static void scenario_swapcache(void)
{
	uint64_t *p = filled_region(2);
	size_t swapped;

	swap_out(p, "swapcache");
	SAFE_MADVISE(p, region_pages() * PAGE_SIZE, MADV_WILLNEED);
	swapped = swapped_pages(p);
	tst_value_long("swapcache_still_swap_entries", (long)swapped);
	if (check_region("swap-cache swap-in", p, 2))
		tst_res(TPASS, "swapcache: %zu pages mapped from the swap cache intact", region_pages());
	SAFE_MUNMAP(p, region_pages() * PAGE_SIZE);
}

static void child_reads(void *arg)
{
	if (check_region("fork child", arg, 3))
		tst_res(TPASS, "fork: the child read all %zu pages back from swap", region_pages());
}

static void scenario_fork(void)
{
	uint64_t *p = filled_region(3);
	pid_t pid;

	swap_out(p, "fork");
	pid = tst_fork_on(-1, child_reads, p);
	tst_reap(pid, "the fork child");
	if (check_region("fork parent", p, 3))
		tst_res(TPASS, "fork: the parent read all %zu pages after the child", region_pages());
	SAFE_MUNMAP(p, region_pages() * PAGE_SIZE);
}

static const struct tst_option options[] = {
	{ "mb", TST_OPT_INT, &region_mb, 1, 256, NULL, "MiB per scenario (16)" },
	{ NULL, 0, NULL, 0, 0, NULL, NULL },
};

static const struct tst_scenario scenarios[] = {
	{ "direct", scenario_direct, "pages swapped in without the swap cache (zram) read back intact", false },
	{ "swapcache", scenario_swapcache, "pages mapped from the swap cache for the first time read back intact",
	  false },
	{ "fork", scenario_fork, "a shared swap entry, first mapped by the child, then by the parent", false },
	{ NULL, NULL, NULL, false },
};

static const struct tst_tag tags[] = {
	{ "thread", "<20221123181838.1373440-1-hannes@cmpxchg.org> \"mm: remove lock_page_memcg() from rmap\" v1" },
	{ "fix", "Hugh Dickins, \"mm: remove lock_page_memcg() from rmap - fix\" (the hidden else), 2022-11-23" },
	{ NULL, NULL },
};

static const char *const kconfigs[] = { "CONFIG_SWAP", NULL };

static struct tst_test test = {
	.name = "anon_swapin",
	.tags = tags,
	.options = options,
	.scenarios = scenarios,
	.runtime = 90,
	.needs_kconfigs = kconfigs,
	.min_swap_mb = 128,
};

TST_MAIN(test)
