/* Seed 001: memcg v1 charge moving ("move_charge_at_immigrate") of THPs, of
 * folios that are not mapped, of anon folios mapped again after a swap-out,
 * and of folios whose last mapping elsewhere goes away during the move.
 *
 * "mm: remove lock_page_memcg() from rmap" v1 (Nov 2022) assumed that charge
 * moving only ever meets folios mapped by the moving task's page tables, and
 * added VM_WARN_ON_ONCE(!folio_mapped(folio)) to mem_cgroup_move_account().
 * But get_mctgt_type() also returns, for a pte that maps nothing,
 *   - the swap-cache folio of a swap pte (mc_handle_swap_pte), and
 *   - the page-cache or shmem folio behind a none pte of a file mapping
 *     (mc_handle_file_pte, only when the knob has MOVE_FILE, value 2),
 * and neither is mapped. v1 also left a "hidden else" in
 * page_add_anon_rmap(), so the first mapping of an anon folio (every
 * swap-in) skips __page_set_anon_rmap(), and do_swap_page() hits
 * VM_BUG_ON(!folio_test_anon(folio) ...) just before set_pte_at(); and KSM's
 * replace_page() then runs __page_check_anon_rmap() on a KSM page (NULL
 * anon_vma).
 *
 * Three scenarios (a table; each runs in a child of its own with memcgs of
 * its own):
 *
 * thp: get_mctgt_type_thp(). A PMD-aligned MADV_HUGEPAGE region, checked
 * PMD-mapped (smaps AnonHugePages, kpageflags THP heads), moves from thp-A
 * to thp-B: B's memory.stat rss_huge must be exactly the THPs, A's 0,
 * AnonHugePages unchanged and every byte intact.
 *
 * unmapped-folios (the seed's WARNING and BUG): a child process, in memcg A
 * (move_charge_at_immigrate=0 there, so joining moves nothing), builds:
 *   anon   --anon-mb of pattern-filled private anonymous memory (4K pages);
 *          MADV_PAGEOUT of its last 3/4 (swapped to zram; memory.force_empty
 *          of A on a kernel without MADV_PAGEOUT), then
 *          MADV_WILLNEED of the second quarter: swap-in readahead puts those
 *          pages in the swap cache without mapping them;
 *   shmem  a memfd of --shmem-mb written with write(2), mapped MAP_SHARED,
 *          read through the mapping, then MADV_DONTNEED on 3/4 of it: those
 *          pages stay in the page cache behind none ptes;
 *   file   --file-mb of a large host file read with read(2) (the 9p root is
 *          mounted cache=loose, so this fills the page cache, charged to A),
 *          mapped, read through the mapping, then MADV_DONTNEED: page-cache
 *          pages behind none ptes;
 *   ksm    --ksm-pages of private anon memory, 16 distinct page contents
 *          repeated, not yet mergeable.
 * Move 1: memory.move_charge_at_immigrate=3 on B, the child's pid into B:
 * the unmapped swap-cache, shmem and page-cache folios reach
 * mem_cgroup_move_account() (the v1 WARNING). Then every byte is checked,
 * which swaps the anon pages back in (the v1 do_swap_page BUG).
 * KSM: MADV_MERGEABLE, wait (bounded) for ksmd to merge; memory.force_empty
 * of B swaps out everything reclaimable, KSM pages included (MADV_PAGEOUT
 * skips them: their mapcount is above 1); MADV_WILLNEED puts half of them
 * back in the swap cache, unmapped. Move 2: knob=3 on A, the pid into A, so
 * KSM swap entries and their swap-cache folios move too. Then every byte is
 * checked again: swapped KSM pages come back through swapin readahead,
 * page_add_anon_rmap() for the first pte and ksm_might_need_to_copy() copies
 * for the others.
 *
 * unmap-elsewhere: Johannes Weiner's race (Nov 29, 2022: "the page is
 * mapped elsewhere and the other ptes are going away"), reached once the
 * folio_mapped() checks are back in mem_cgroup_move_account() but rmap no
 * longer takes lock_page_memcg(). A mover task in race/A writes a memfd
 * (its pages charged to A), maps it and drops its ptes again, so the walk
 * finds the pages through mc_handle_file_pte(); an unmapper process on CPU
 * 1 maps and unmaps the same pages, 16 at a time, while a controller on CPU
 * 0 writes the mover's pid into race/B, then race/A, ... (knob 3 on both),
 * each move released together with the unmapper by a barrier, until a hit
 * or --race-seconds. After each move, with the region unmapped everywhere,
 * mapped_file of A plus B must be what it was before the race (a lost
 * update leaves a page in one group, and memory.stat shows the other's -1
 * as 0); at the end the parent's total_mapped_file must match its
 * children, and every byte must be intact. 2 vCPUs: the move and the
 * unmaps must run at the same time; both hold spinlocks with preemption
 * (move_account: irqs) off, so one CPU can never interleave them.
 * A hit names its direction, read after the stats flush against the
 * parent's total_mapped_file (the true sum of both groups, which memory.stat
 * does not clamp at 0 as it does a group's own count):
 *   "drifted to the source"      source +n, destination -n, parent as before:
 *       the unmap dropped the mapcount before the move's mapped check and
 *       updated NR_FILE_MAPPED after the folio's memcg was switched (the
 *       window 6.12 still has between __folio_remove_rmap()'s mapcount
 *       drop and __lruvec_stat_mod_folio()'s folio_memcg());
 *   "drifted to the destination" destination +n, source -n, parent as before:
 *       the move saw the folio mapped and moved NR_FILE_MAPPED, then the
 *       unmap's update went to the memcg from before the switch (Johannes'
 *       "inverse", possible only while rmap takes no lock_page_memcg() and
 *       the move takes folios mapped elsewhere: v2);
 *   any other shape (the parent's total changed, both groups off) is a FAIL
 *   of its own words: no lost update between the groups explains it.
 * --race-spinners N keeps CPUs 2.. busy during the race (the case gives the
 * VM 2 + N vCPUs): with more busy vCPU threads than the host has cores,
 * the host preempts the unmapper's vCPU now and then inside its window.
 *
 * Verdict: FAIL when a byte differs, when the kernel accepted the knob but
 * the charges did not move, or when memory.stat rss or mapped_file of
 * either group disagrees with what the task maps after a move: the
 * destination more than 4 MiB above it or below 3/4 of it, the source more
 * than 4 MiB above 0 (v1 moved the mapped counters of unmapped folios: 20
 * MiB of mapped_file for 2 MiB mapped, its symptom on a kernel without
 * DEBUG_VM, where the WARNING is compiled out); in the race, when a lost
 * update shows. Kernel WARNINGs and BUGs are the host console classifier's
 * business, not the workload's. memory.usage_in_bytes of A and B around
 * each move, the page counts behind them and KSM's counters are values in
 * the result.
 *
 * CONF: no memcg v1 "memory" hierarchy (Debian 6.12 has MEMCG_V1 off; with
 * cgroup = v2 the workload tries a v1 mount of its own); a kernel that
 * refuses move_charge_at_immigrate=3, or is 6.13 or later, where the charge
 * moving code was removed. Up to 6.12 writing the knob only logs a one-time
 * deprecation notice (pr_warn_once in mem_cgroup_move_charge_write(), also
 * backported to 6.1.y) and charges still move: 6.12's mm/memcontrol-v1.c
 * stores the value and keeps can_attach, the precharge walk and
 * mem_cgroup_move_charge(). So 6.12 with MEMCG_V1 runs the test, and a
 * kernel that takes the knob but moves no charges is a FAIL, not a PASS.
 *
 * Options: see the table at the end.
 */
#include "tst.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define WORDS (PAGE_SIZE / sizeof(uint64_t))
#define KSM_GROUPS 16
#define KSM_DIR "/sys/kernel/mm/ksm"

enum { SEED_ANON = 1, SEED_SHMEM = 2, SEED_KSM = 3, SEED_THP = 4, SEED_RACE = 5 };

static int anon_mb = 32, shmem_mb = 8, file_mb = 4, ksm_npages = 256, ksm_wait_s = 20;
static int thp_mb = 8, race_mb = 1, race_seconds = 30, race_moves, race_spinners;
static const char *file_arg;

static const struct tst_cg_group *cg_a, *cg_b;

static const struct tst_knob knobs[] = {
	{ KSM_DIR "/run", "1", false },
	/* Scan fast: a few full scans of a few hundred pages merge them. */
	{ KSM_DIR "/pages_to_scan", "2000", false },
	{ KSM_DIR "/sleep_millisecs", "10", false },
	/* THPs only where asked for (the thp scenario's MADV_HUGEPAGE), and
	 * compaction for them there; optional: scenario thp is CONF without. */
	{ "/sys/kernel/mm/transparent_hugepage/enabled", "madvise", true },
	{ "/sys/kernel/mm/transparent_hugepage/defrag", "madvise", true },
	/* 6.12 puts every fresh PMD THP on the deferred split queue for the
	 * underused-THP shrinker, and its charge moving splits a THP found on
	 * that queue ("split or skip") and moves the pieces: with the default
	 * the thp scenario saw AnonHugePages 8192 -> 0 kB and rss_huge 0 in
	 * both groups. Off, the THP stays off the queue and moves whole, as on
	 * 6.1. (No such knob before 6.12.) */
	{ "/sys/kernel/mm/transparent_hugepage/shrink_underused", "0", true },
	{ NULL, NULL, false },
};

static const char *const kconfigs[] = { "CONFIG_MEMCG", "CONFIG_SWAP", "CONFIG_KSM", NULL };

/* ---- data ---- */

static inline uint64_t pattern(uint64_t seed, uint64_t page, uint64_t word)
{
	uint64_t x = (seed << 56) ^ (page << 12) ^ word;

	x *= 0x9E3779B97F4A7C15ULL;
	return x ^ (x >> 29) ^ seed;
}

static void fill_page(uint64_t *pg, uint64_t seed, uint64_t page)
{
	for (size_t w = 0; w < WORDS; w++)
		pg[w] = pattern(seed, page, w);
}

/* Content page i should hold: for KSM, one of KSM_GROUPS contents. */
static uint64_t content_of(uint64_t seed, size_t i)
{
	return seed == SEED_KSM ? i % KSM_GROUPS : i;
}

/* FAIL with the first differing word; PASS when every byte is as written. */
static bool verify_region(const char *what, const char *when, const uint64_t *p, size_t npages,
			  uint64_t seed)
{
	size_t bad = 0, first_pg = 0, first_w = 0;
	uint64_t got = 0, want = 0;

	for (size_t i = 0; i < npages; i++) {
		const uint64_t *pg = p + i * WORDS;
		uint64_t c = content_of(seed, i);

		for (size_t w = 0; w < WORDS; w++) {
			if (pg[w] == pattern(seed, c, w))
				continue;
			if (!bad++) {
				first_pg = i;
				first_w = w;
				got = pg[w];
				want = pattern(seed, c, w);
			}
			break;
		}
	}
	if (bad) {
		tst_res(TFAIL, "%s %s: %zu of %zu pages differ; first page %zu word %zu holds %#llx, not %#llx",
			what, when, bad, npages, first_pg, first_w, (unsigned long long)got,
			(unsigned long long)want);
		return false;
	}
	tst_res(TPASS, "%s %s: all %zu pages intact", what, when, npages);
	return true;
}

/* FNV-1a over the bytes: the file is compared with what read(2) returned. */
static uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

#define FNV_INIT 0xcbf29ce484222325ULL

/* ---- page state ---- */

struct counts {
	size_t present;     /* mapped by a pte */
	size_t swapped;     /* swap pte */
	size_t unmapped;    /* resident (page or swap cache), not mapped: charge moving's surprise */
	size_t ksm;         /* mapped KSM pages (kpageflags) */
};

static struct counts count_pages(const void *p, size_t npages, bool want_ksm)
{
	uint64_t *pm = SAFE_MALLOC(npages * sizeof(*pm));
	unsigned char *mc = SAFE_MALLOC(npages);
	struct counts c = { 0 };

	tst_pagemap_range(p, npages, pm);
	if (mincore((void *)p, npages * PAGE_SIZE, mc) < 0)
		tst_brk(TBROK, "mincore: %m");
	for (size_t i = 0; i < npages; i++) {
		if (pm[i] & PM_PRESENT) {
			c.present++;
			if (want_ksm && tst_kpf(tst_pagemap_pfn(pm[i]), KPF_KSM))
				c.ksm++;
			continue;
		}
		c.swapped += !!(pm[i] & PM_SWAP);
		c.unmapped += mc[i] & 1;
	}
	free(pm);
	free(mc);
	return c;
}

static void report_counts(const char *prefix, const char *what, struct counts c)
{
	char key[64];

	snprintf(key, sizeof(key), "%s_%s_present", prefix, what);
	tst_value_long(key, c.present);
	snprintf(key, sizeof(key), "%s_%s_swapped", prefix, what);
	tst_value_long(key, c.swapped);
	snprintf(key, sizeof(key), "%s_%s_unmapped_resident", prefix, what);
	tst_value_long(key, c.unmapped);
}

/* ---- cgroups ---- */

/* memory.usage_in_bytes (and memsw, where swap is accounted) of A and B. */
static void report_usage(const char *when, long *a, long *b)
{
	char key[64];

	*a = tst_cg_try_read_long(cg_a, "memory.usage_in_bytes");
	*b = tst_cg_try_read_long(cg_b, "memory.usage_in_bytes");
	snprintf(key, sizeof(key), "%s_A_usage_in_bytes", when);
	tst_value_long(key, *a);
	snprintf(key, sizeof(key), "%s_B_usage_in_bytes", when);
	tst_value_long(key, *b);
	snprintf(key, sizeof(key), "%s_A_memsw_usage_in_bytes", when);
	tst_value_long(key, tst_cg_try_read_long(cg_a, "memory.memsw.usage_in_bytes"));
	snprintf(key, sizeof(key), "%s_B_memsw_usage_in_bytes", when);
	tst_value_long(key, tst_cg_try_read_long(cg_b, "memory.memsw.usage_in_bytes"));
	tst_res(TINFO, "%s: usage A %ld kB, B %ld kB", when, *a >> 10, *b >> 10);
}

static void set_move_charge(const struct tst_cg_group *cg)
{
	int r = tst_cg_try_printf(cg, "memory.move_charge_at_immigrate", "3");

	if (r == -EINVAL || r == -ENOSYS)
		tst_brk(TCONF, "%s/memory.move_charge_at_immigrate refuses 3 (%s): memcg v1 charge moving is gone "
			"from this kernel", cg->path, strerror(-r));
	if (r < 0)
		tst_brk(TBROK, "write 3 to %s/memory.move_charge_at_immigrate: %s", cg->path, strerror(-r));
}

/* Charge moving was removed in 6.13 (writes of non-zero fail there, which
 * set_move_charge() turns into CONF as well). */
static void check_kernel_version(void)
{
	if (tst_kver_cmp("6.13") >= 0)
		tst_brk(TCONF, "memcg v1 charge moving was removed in 6.13: not testable on this kernel");
}

/* ---- the regions ---- */

struct regions {
	uint64_t *anon;
	size_t anon_pages;
	int shmem_fd;
	uint64_t *shmem;
	size_t shmem_pages;
	unsigned char *file;
	size_t file_pages;
	uint64_t file_hash;
	const char *file_path;
	uint64_t *ksm;
	size_t ksm_pages;
};

static void *map_anon(size_t len)
{
	void *p = SAFE_MMAP(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	/* 4K pages: each is paged out, moved and swapped in on its own. */
	if (madvise(p, len, MADV_NOHUGEPAGE) < 0 && errno != EINVAL)
		tst_brk(TBROK, "MADV_NOHUGEPAGE: %m");
	return p;
}

/* Reclaim of everything the memcg holds (v1's memory.force_empty works with
 * tasks inside, and unlike a lowered limit_in_bytes it cannot OOM them). */
static void force_empty(const struct tst_cg_group *cg)
{
	int err = tst_cg_try_printf(cg, "memory.force_empty", "0");

	if (err < 0)
		tst_res(TINFO, "write %s/memory.force_empty: %s", cg->path, strerror(-err));
}

/* MADV_PAGEOUT (5.4 and later); without it, reclaim of the whole memcg. */
static void page_out(void *p, size_t len, const struct tst_cg_group *cg, const char *what)
{
	if (madvise(p, len, MADV_PAGEOUT) == 0)
		return;
	if (errno != EINVAL)
		tst_brk(TBROK, "MADV_PAGEOUT (%s): %m", what);
	tst_res(TINFO, "no MADV_PAGEOUT: reclaiming all of %s through memory.force_empty", cg->path);
	force_empty(cg);
}

static void build_anon(struct regions *r)
{
	r->anon_pages = (size_t)anon_mb << 8;
	r->anon = map_anon(r->anon_pages * PAGE_SIZE);
	for (size_t i = 0; i < r->anon_pages; i++)
		fill_page(r->anon + i * WORDS, SEED_ANON, i);
}

/* Written with write(2), read through a shared mapping, then 3/4 of it
 * unmapped again (the page table stays, so charge moving walks those ptes). */
static void build_shmem(struct regions *r)
{
	uint64_t buf[WORDS];
	size_t len;

	r->shmem_pages = (size_t)shmem_mb << 8;
	len = r->shmem_pages * PAGE_SIZE;
	r->shmem_fd = SAFE_MEMFD_CREATE("mmrepro-memcg-shmem", MFD_CLOEXEC);
	for (size_t i = 0; i < r->shmem_pages; i++) {
		fill_page(buf, SEED_SHMEM, i);
		SAFE_PWRITE(r->shmem_fd, buf, PAGE_SIZE, i * PAGE_SIZE);
	}
	r->shmem = SAFE_MMAP(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, r->shmem_fd, 0);
	for (size_t i = 0; i < r->shmem_pages; i++)
		(void)*(volatile uint64_t *)(r->shmem + i * WORDS);
	SAFE_MADVISE(r->shmem, len / 4 * 3, MADV_DONTNEED);
}

/* A large regular file from the 9p root (cache=loose: read(2) fills the page
 * cache, charged to the reader's memcg). Nothing else in the guest reads it. */
static const char *pick_file(size_t need)
{
	static const char *const candidates[] = {
		"/usr/bin/qemu-system-x86_64", "/usr/lib/x86_64-linux-gnu/libicudata.so.72", NULL,
	};
	static char found[512];
	struct stat st;
	struct dirent *d;
	DIR *dir;

	if (file_arg)
		return file_arg;
	for (const char *const *c = candidates; *c; c++)
		if (stat(*c, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size >= need)
			return *c;
	dir = opendir("/usr/lib/x86_64-linux-gnu");
	while (dir && (d = readdir(dir))) {
		snprintf(found, sizeof(found), "/usr/lib/x86_64-linux-gnu/%s", d->d_name);
		/* Not libc or anything the guest itself has mapped: those are tiny
		 * next to the files this accepts. */
		if (stat(found, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size >= 2 * need) {
			closedir(dir);
			return found;
		}
	}
	if (dir)
		closedir(dir);
	return NULL;
}

static void build_file(struct regions *r)
{
	size_t len = (size_t)file_mb << 20, done = 0;
	static unsigned char buf[65536];
	int fd;

	r->file_pages = 0;
	r->file_path = file_mb > 0 ? pick_file(len) : NULL;
	if (!r->file_path) {
		tst_res(TINFO, "no host file of %d MiB found: page-cache part skipped", file_mb);
		return;
	}
	fd = SAFE_OPEN(r->file_path, O_RDONLY);
	r->file_hash = FNV_INIT;
	while (done < len) {
		ssize_t n = read(fd, buf, len - done < sizeof(buf) ? len - done : sizeof(buf));

		if (n <= 0)
			tst_brk(TBROK, "read %s at %zu: %s", r->file_path, done, n < 0 ? strerror(errno) : "EOF");
		r->file_hash = fnv1a(r->file_hash, buf, n);
		done += n;
	}
	r->file = SAFE_MMAP(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	SAFE_CLOSE(fd);
	r->file_pages = len / PAGE_SIZE;
	for (size_t i = 0; i < r->file_pages; i++)
		(void)*(volatile unsigned char *)(r->file + i * PAGE_SIZE);
	SAFE_MADVISE(r->file, len, MADV_DONTNEED);
	tst_value("file", "%s", r->file_path);
}

static void build_ksm(struct regions *r)
{
	r->ksm_pages = ksm_npages;
	r->ksm = map_anon(r->ksm_pages * PAGE_SIZE);
	for (size_t i = 0; i < r->ksm_pages; i++)
		fill_page(r->ksm + i * WORDS, SEED_KSM, content_of(SEED_KSM, i));
}

static void verify_all(struct regions *r, const char *when, bool with_ksm)
{
	verify_region("anon", when, r->anon, r->anon_pages, SEED_ANON);
	verify_region("shmem", when, r->shmem, r->shmem_pages, SEED_SHMEM);
	if (r->file_pages) {
		uint64_t h = fnv1a(FNV_INIT, r->file, r->file_pages * PAGE_SIZE);

		if (h != r->file_hash)
			tst_res(TFAIL, "file %s: the mapping reads differently from read(2) (hash %#llx, not %#llx)",
				when, (unsigned long long)h, (unsigned long long)r->file_hash);
		else
			tst_res(TPASS, "file %s: %zu page-cache pages read back as read(2) gave them", when,
				r->file_pages);
	}
	if (with_ksm)
		verify_region("ksm", when, r->ksm, r->ksm_pages, SEED_KSM);
}

/* ---- the steps ---- */

static void count_all(struct regions *r, const char *prefix, size_t *resident_pages)
{
	struct counts anon = count_pages(r->anon, r->anon_pages, false);
	struct counts shmem = count_pages(r->shmem, r->shmem_pages, false);
	struct counts file = r->file_pages ? count_pages(r->file, r->file_pages, false) : (struct counts){ 0 };

	report_counts(prefix, "anon", anon);
	report_counts(prefix, "shmem", shmem);
	report_counts(prefix, "file", file);
	tst_res(TINFO, "%s: anon %zu mapped, %zu swapped (%zu of them in the swap cache); "
		"shmem %zu mapped, %zu unmapped; file %zu unmapped", prefix, anon.present, anon.swapped,
		anon.unmapped, shmem.present, shmem.unmapped, file.unmapped);
	if (resident_pages)
		*resident_pages = anon.present + anon.unmapped + shmem.present + shmem.unmapped + file.unmapped;
}

/* The charges of what is resident should follow the task; a kernel that
 * took the knob but moves nothing would make every check meaningless. */
static void check_moved(const char *when, long from_before, long from_after, long to_before, long to_after,
			size_t resident_pages)
{
	long want = (long)(resident_pages * PAGE_SIZE) / 4;
	char key[64];

	snprintf(key, sizeof(key), "%s_moved_bytes", when);
	tst_value_long(key, to_after - to_before);
	if (to_after - to_before < want || from_before - from_after < want)
		tst_res(TFAIL, "%s: charges did not follow the task: source %+ld kB, destination %+ld kB, "
			"%zu kB resident", when, (from_after - from_before) >> 10, (to_after - to_before) >> 10,
			resident_pages * PAGE_SIZE >> 10);
	else
		tst_res(TPASS, "%s: %ld kB of charges moved with the task", when, (to_after - to_before) >> 10);
}

#define STAT_SLACK (4L << 20)

/* Pages the task maps now: anon and KSM for "rss", shmem and file for
 * "mapped_file" (memcg v1 memory.stat, local to the group). */
static void mapped_now(struct regions *r, size_t *anon, size_t *file)
{
	*anon = count_pages(r->anon, r->anon_pages, false).present + count_pages(r->ksm, r->ksm_pages, false).present;
	*file = count_pages(r->shmem, r->shmem_pages, false).present +
		(r->file_pages ? count_pages(r->file, r->file_pages, false).present : 0);
}

/* One counter of one group against the pages the task maps: at most the
 * slack above (the destination may also hold the task's heap, stack and
 * library pages charged to A), and at least 3/4 of it (the counters must
 * follow the pages; a page that failed to move stays behind). */
static void check_stat(const char *when, const char *side, const char *what, long stat, size_t pages)
{
	long expect = (long)(pages * PAGE_SIZE);
	char key[80];

	snprintf(key, sizeof(key), "%s_%s_%s_bytes", when, side, what);
	tst_value_long(key, stat);
	if (stat > expect + STAT_SLACK)
		tst_res(TFAIL, "%s: memory.stat %s of the %s is %ld kB, the task maps %ld kB there: mapped "
			"counters %s", when, what, side, stat >> 10, expect >> 10,
			expect ? "moved for folios nobody maps" : "left behind for folios that moved");
	else if (stat < expect - expect / 4)
		tst_res(TFAIL, "%s: memory.stat %s of the %s is %ld kB, the task maps %ld kB there: the mapped "
			"counters did not follow the pages", when, what, side, stat >> 10, expect >> 10);
	else
		tst_res(TPASS, "%s: memory.stat %s of the %s %ld kB for %ld kB the task maps there", when, what,
			side, stat >> 10, expect >> 10);
}

/* v1's effect on a kernel without DEBUG_VM: with the folio_mapped() tests
 * gone from mem_cgroup_move_account(), the mapped counters move for the
 * unmapped swap-cache, shmem and page-cache folios too (an unmapped
 * swap-cache folio is not PageAnon yet, so it lands in mapped_file). The
 * source's share goes negative, which memory.stat shows as 0, so the
 * destination's surplus is what gives it away; the source must hold none
 * of what the task maps after the task left. */
static void check_mapped_counters(const char *when, const struct tst_cg_group *from, const struct tst_cg_group *to,
				  struct regions *r)
{
	long rss = tst_cg_memory_stat(to, "rss"), mapped = tst_cg_memory_stat(to, "mapped_file");
	long src_rss = tst_cg_memory_stat(from, "rss"), src_mapped = tst_cg_memory_stat(from, "mapped_file");
	size_t anon, file;

	if (rss < 0 || mapped < 0 || src_rss < 0 || src_mapped < 0) {
		tst_res(TCONF, "%s: memory.stat of %s or %s has no rss or mapped_file", when, from->path, to->path);
		return;
	}
	mapped_now(r, &anon, &file);
	check_stat(when, "destination", "rss", rss, anon);
	check_stat(when, "destination", "mapped_file", mapped, file);
	check_stat(when, "source", "rss", src_rss, 0);
	check_stat(when, "source", "mapped_file", src_mapped, 0);
}

static void move_one(struct regions *r)
{
	size_t q = r->anon_pages / 4, resident;
	long a0, b0, a1, b1;
	struct counts c;

	page_out(r->anon + q * WORDS, 3 * q * PAGE_SIZE, cg_a, "anon");
	c = count_pages(r->anon, r->anon_pages, false);
	if (c.swapped < q)
		tst_brk(TBROK, "MADV_PAGEOUT swapped out only %zu of %zu anon pages (is swap on?)", c.swapped,
			3 * q);
	SAFE_MADVISE(r->anon + q * WORDS, q * PAGE_SIZE, MADV_WILLNEED);
	count_all(r, "move1_before", &resident);
	report_usage("move1_before", &a0, &b0);

	set_move_charge(cg_b);
	tst_res(TINFO, "move 1: task %d from A to B with move_charge_at_immigrate=3", getpid());
	tst_cg_join(cg_b, 0);
	report_usage("move1_after", &a1, &b1);
	count_all(r, "move1_after", NULL);
	check_moved("move1", a0, a1, b0, b1, resident);
	check_mapped_counters("move1", cg_a, cg_b, r);
}

static void merge_ksm(struct regions *r)
{
	long sharing0 = tst_read_long(KSM_DIR "/pages_sharing");
	long scans0 = tst_read_long(KSM_DIR "/full_scans");
	long want = (long)r->ksm_pages - KSM_GROUPS, sharing = sharing0;
	struct tst_deadline end;
	struct counts c;

	SAFE_MADVISE(r->ksm, r->ksm_pages * PAGE_SIZE, MADV_MERGEABLE);
	tst_deadline_start(&end, ksm_wait_s);
	while (!tst_deadline_passed(&end)) {
		sharing = tst_read_long(KSM_DIR "/pages_sharing") - sharing0;
		if (sharing >= want)
			break;
		usleep(100000);
	}
	c = count_pages(r->ksm, r->ksm_pages, true);
	tst_value_long("ksm_pages_sharing", sharing);
	tst_value_long("ksm_full_scans", tst_read_long(KSM_DIR "/full_scans") - scans0);
	tst_value_long("ksm_mapped_ksm_pages", c.ksm);
	if (sharing <= 0 || !c.ksm)
		tst_res(TCONF, "ksmd merged nothing in %.0f s: the KSM part is not tested", end.budget);
	else
		tst_res(TINFO, "ksm: %ld pages sharing, %zu of %zu pages are KSM pages", sharing, c.ksm,
			r->ksm_pages);
}

static void move_two(struct regions *r)
{
	size_t resident;
	long a0, b0, a1, b1;
	struct counts c;

	merge_ksm(r);
	/* MADV_PAGEOUT takes only the pages KSM left unmerged: it skips folios
	 * mapped more than once. Reclaiming all of B (memory.force_empty, which
	 * works with tasks inside) sends the KSM pages to swap with the rest. */
	page_out(r->ksm, r->ksm_pages * PAGE_SIZE, cg_b, "ksm");
	force_empty(cg_b);
	c = count_pages(r->ksm, r->ksm_pages, true);
	report_counts("move2_before", "ksm", c);
	tst_value_long("move2_before_ksm_mapped_ksm_pages", c.ksm);
	SAFE_MADVISE(r->ksm, r->ksm_pages / 2 * PAGE_SIZE, MADV_WILLNEED);
	SAFE_MADVISE(r->anon, r->anon_pages / 4 * PAGE_SIZE, MADV_WILLNEED);
	c = count_pages(r->ksm, r->ksm_pages, false);
	tst_res(TINFO, "ksm region before move 2: %zu swapped (%zu in the swap cache), %zu mapped", c.swapped,
		c.unmapped, c.present);
	count_all(r, "move2_before", &resident);
	resident += c.present + c.unmapped;
	report_usage("move2_before", &a0, &b0);

	set_move_charge(cg_a);
	tst_res(TINFO, "move 2: task %d from B to A with move_charge_at_immigrate=3", getpid());
	tst_cg_join(cg_a, 0);
	report_usage("move2_after", &a1, &b1);
	check_moved("move2", b0, b1, a0, a1, resident);
	check_mapped_counters("move2", cg_b, cg_a, r);
}

static void unmapped_child(void *arg)
{
	struct regions r = { .shmem_fd = -1 };

	(void)arg;
	tst_cg_join(cg_a, 0);
	build_anon(&r);
	build_shmem(&r);
	build_file(&r);
	build_ksm(&r);
	tst_res(TINFO, "in A: %d MiB anon, %d MiB shmem, %zu pages of %s, %zu KSM candidate pages", anon_mb,
		shmem_mb, r.file_pages, r.file_path ? r.file_path : "(no file)", r.ksm_pages);

	move_one(&r);
	verify_all(&r, "after move 1", false);
	move_two(&r);
	verify_all(&r, "after move 2", true);
	tst_value_long("pswpin", tst_vmstat_delta("pswpin"));
	tst_value_long("pswpout", tst_vmstat_delta("pswpout"));
}

/* Each scenario runs in a child of its own: it joins memcgs, and a BROK in
 * it ends only that scenario. */
static void run_in_child(void (*fn)(void *), void *arg, const char *what)
{
	int status = tst_fork_run(fn, arg, (int)tst_remaining_runtime());

	if (WIFSIGNALED(status))
		tst_res(TBROK, "%s: the child in the memcgs was killed by signal %d (%s)%s", what, WTERMSIG(status),
			strsignal(WTERMSIG(status)), WTERMSIG(status) == SIGKILL ? " (or ran out of runtime)" : "");
	else if (WIFEXITED(status) && WEXITSTATUS(status) && WEXITSTATUS(status) != TFAIL &&
		 WEXITSTATUS(status) != TBROK && WEXITSTATUS(status) != TCONF)
		tst_res(TBROK, "%s: the child exited with status %d", what, WEXITSTATUS(status));
}

static void scenario_unmapped(void)
{
	cg_a = tst_cg_mk("A");
	cg_b = tst_cg_mk("B");
	run_in_child(unmapped_child, NULL, "unmapped-folios");
}

/* ---- scenario thp: get_mctgt_type_thp() ---- */

#define THP_DIR "/sys/kernel/mm/transparent_hugepage"

/* AnonHugePages of the mapping that holds addr, in kB: smaps counts only
 * PMD-mapped THPs there. -1 when no mapping holds addr. */
static long smaps_anon_huge_kb(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	bool inside = false;
	char line[512];
	long kb = -1;

	if (!f)
		tst_brk(TBROK, "open /proc/self/smaps: %m");
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end;

		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			if (inside)
				break;
			inside = start <= (uintptr_t)addr && (uintptr_t)addr < end;
			continue;
		}
		if (inside && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* A PMD-aligned MADV_HUGEPAGE region, filled: its THPs are faulted in A. */
static uint64_t *build_thp(size_t npages, long *huge_kb)
{
	uint64_t *p = tst_mmap_aligned(npages * PAGE_SIZE, PMD_SIZE);
	size_t thp_pfns = 0;

	SAFE_MADVISE(p, npages * PAGE_SIZE, MADV_HUGEPAGE);
	for (size_t i = 0; i < npages; i++)
		fill_page(p + i * WORDS, SEED_THP, i);
	for (size_t i = 0; i < npages; i += PMD_SIZE / PAGE_SIZE) {
		uint64_t pfn = tst_vaddr_to_pfn(p + i * WORDS);

		thp_pfns += pfn && tst_kpf(pfn, KPF_THP) && tst_kpf(pfn, KPF_COMPOUND_HEAD);
	}
	*huge_kb = smaps_anon_huge_kb(p);
	tst_value_long("thp_AnonHugePages_kB", *huge_kb);
	tst_value_long("thp_heads_in_kpageflags", (long)thp_pfns);
	if (*huge_kb <= 0 || !thp_pfns)
		tst_brk(TCONF, "no PMD-mapped THP in the %zu kB MADV_HUGEPAGE region (AnonHugePages %ld kB, %zu "
			"THP heads): get_mctgt_type_thp() cannot be reached", npages * PAGE_SIZE >> 10, *huge_kb,
			thp_pfns);
	tst_res(TINFO, "thp: %ld of %zu kB PMD-mapped (AnonHugePages), %zu THP heads", *huge_kb,
		npages * PAGE_SIZE >> 10, thp_pfns);
	return p;
}

static void check_rss_huge(const char *who, const struct tst_cg_group *cg, long want)
{
	long got = tst_cg_memory_stat(cg, "rss_huge");
	char key[64];

	snprintf(key, sizeof(key), "thp_after_%s_rss_huge", who);
	tst_value_long(key, got);
	if (got == want)
		tst_res(TPASS, "thp: the %s's memory.stat rss_huge is %ld kB, as it should be", who, got >> 10);
	else
		tst_res(TFAIL, "thp: the %s's memory.stat rss_huge is %ld kB after the move, not %ld kB", who,
			got >> 10, want >> 10);
}

static void thp_child(void *arg)
{
	const struct tst_cg_group *const *g = arg;
	size_t npages = (size_t)thp_mb << 8;
	long huge_kb, a0, after_kb, split0;
	uint64_t *p;

	tst_cg_join(g[0], 0);
	p = build_thp(npages, &huge_kb);
	a0 = tst_cg_memory_stat(g[0], "rss_huge");
	tst_value_long("thp_before_A_rss_huge", a0);
	if (a0 != huge_kb << 10)
		tst_brk(TBROK, "thp: rss_huge of A is %ld kB before the move, but the task maps %ld kB of THPs",
			a0 >> 10, huge_kb);
	split0 = tst_vmstat("thp_split_page");
	set_move_charge(g[1]);
	tst_cg_join(g[1], 0);
	after_kb = smaps_anon_huge_kb(p);
	tst_value_long("thp_split_page_during_move", tst_vmstat("thp_split_page") - split0);
	if (after_kb != huge_kb)
		tst_res(TFAIL, "thp: AnonHugePages went from %ld to %ld kB during the move (%ld THPs split)", huge_kb,
			after_kb, tst_vmstat("thp_split_page") - split0);
	check_rss_huge("destination", g[1], huge_kb << 10);
	check_rss_huge("source", g[0], 0);
	verify_region("thp", "after the move", p, npages, SEED_THP);
}

static void scenario_thp(void)
{
	const struct tst_cg_group *g[2];

	if (access(THP_DIR "/enabled", F_OK) < 0) {
		tst_res(TCONF, "thp: no " THP_DIR ": a kernel without THP");
		return;
	}
	g[0] = tst_cg_mk("thp-A");
	g[1] = tst_cg_mk("thp-B");
	run_in_child(thp_child, g, "thp");
}

/* ---- scenario unmap-elsewhere: Johannes' race ---- */

/* The pages the unmapper maps (one fault-around window) and unmaps at a
 * time: 16 last-unmaps per madvise keep the unmap rate high. */
#define RACE_CHUNK 16
/* Longer than memcg's periodic stats flush (2 s). */
#define RACE_FLUSH_WAIT_US 2500000

/* MAP_SHARED: the controller, the mover and the unmapper see one copy. */
struct race_sync {
	int stop;           /* the move is over: the unmapper stops cycling */
	int quit;           /* no more moves: the unmapper and the spinners exit */
	long unmapped;      /* last-unmaps the unmapper did while moves ran */
};

/* What a hit left in the counters, read after the stats flush. A lost
 * update moves a page's worth of NR_FILE_MAPPED from one group to the
 * other: the parent's total (the sum of both, negatives included) stays as
 * it was, and the group that went negative reads 0. */
enum race_shape {
	RACE_SHAPE_NONE,
	/* Source +n, destination -n: the unmap dropped the mapcount before the
	 * move checked the folio mapped (6.12: get_mctgt_type()'s
	 * page_mapped(); v2: mem_cgroup_move_account()'s folio_mapped()), and
	 * its NR_FILE_MAPPED update read the folio's memcg after the move
	 * switched it. */
	RACE_SHAPE_TO_SOURCE,
	/* Destination +n, source -n: mem_cgroup_move_account() saw the folio
	 * mapped and moved NR_FILE_MAPPED, then the unmap's update read the
	 * memcg from before the switch (Johannes' "inverse", Nov 29). */
	RACE_SHAPE_TO_DESTINATION,
	/* Neither: the parent's total changed, or both groups are off. */
	RACE_SHAPE_OTHER,
};

struct race {
	const struct tst_cg_group *parent, *a, *b;
	int fd;                            /* the memfd whose pages are charged to A */
	size_t npages;
	pid_t mover, unmapper;
	struct tst_barrier *ready, *start, *done, *finish;
	struct race_sync *sync;
	pid_t *spinners;                   /* race_spinners of them, on CPUs 2, 3, ... */
	long own_mapped;                   /* mapped_file of A + B before the race */
	long parent_start;                 /* the parent's total_mapped_file before the race */
	long stale_reads;                  /* sums off until the periodic flush */
	long moved_bytes;                  /* charges that followed the mover, summed */
	enum race_shape shape;
	char finding[400];
};

static void die_with_parent(void)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		tst_brk(TBROK, "prctl(PR_SET_PDEATHSIG): %m");
	if (getppid() == 1)
		_exit(TBROK);
}

/* The mover: the task that is moved. It writes the region in A (the pages
 * are charged there) and maps it, but leaves none of it present in its
 * page tables. Why not present: the unmapper's unmap must be the *last*
 * unmap, the one page_remove_rmap() counts in NR_FILE_MAPPED; a pte of the
 * mover would keep the folio mapped through it. And why mapped at all: the
 * charge-moving walk visits only the mover's page tables, and reaches a
 * page-cache page behind a none pte through mc_handle_file_pte() (with
 * move_charge_at_immigrate bit 2); MADV_DONTNEED clears the ptes and keeps
 * the page table, so the walk still visits them. */
static void race_mover(void *arg)
{
	struct race *r = arg;
	size_t len = r->npages * PAGE_SIZE;
	uint64_t buf[WORDS], *map;

	die_with_parent();
	tst_cg_join(r->a, 0);
	for (size_t i = 0; i < r->npages; i++) {
		fill_page(buf, SEED_RACE, i);
		SAFE_PWRITE(r->fd, buf, PAGE_SIZE, i * PAGE_SIZE);
	}
	map = SAFE_MMAP(NULL, len, PROT_READ, MAP_SHARED, r->fd, 0);
	for (size_t i = 0; i < r->npages; i++)
		(void)*(volatile uint64_t *)(map + i * WORDS);
	SAFE_MADVISE(map, len, MADV_DONTNEED);
	if (count_pages(map, r->npages, false).present)
		tst_brk(TBROK, "race: the mover still maps pages of the region after MADV_DONTNEED");
	tst_barrier_wait(r->ready);
	tst_barrier_wait(r->finish);
}

/* Maps RACE_CHUNK pages (a read fault maps the whole fault-around window,
 * the other reads find them present) and unmaps them, over the region,
 * until the move is over. Each MADV_DONTNEED drops the last mapping of
 * each page: page_remove_rmap() decrements NR_FILE_MAPPED of the page's
 * memcg as it reads it. */
static void unmap_cycles(struct race *r, volatile const char *map)
{
	long unmapped = 0;

	while (!__atomic_load_n(&r->sync->stop, __ATOMIC_ACQUIRE)) {
		for (size_t c = 0; c < r->npages; c += RACE_CHUNK) {
			size_t n = r->npages - c < RACE_CHUNK ? r->npages - c : RACE_CHUNK;

			for (size_t i = c; i < c + n; i++)
				(void)map[i * PAGE_SIZE];
			SAFE_MADVISE((void *)(map + c * PAGE_SIZE), n * PAGE_SIZE, MADV_DONTNEED);
			unmapped += n;
		}
	}
	__atomic_add_fetch(&r->sync->unmapped, unmapped, __ATOMIC_RELAXED);
}

/* The other process: maps the same pages (charged to the mover's group)
 * while the move runs on the other CPU, and unmaps all before each check. */
static void race_unmapper(void *arg)
{
	struct race *r = arg;
	size_t len = r->npages * PAGE_SIZE;
	const char *map;

	die_with_parent();
	map = SAFE_MMAP(NULL, len, PROT_READ, MAP_SHARED, r->fd, 0);
	for (;;) {
		tst_barrier_wait(r->start);
		if (__atomic_load_n(&r->sync->quit, __ATOMIC_ACQUIRE))
			break;
		unmap_cycles(r, map);
		SAFE_MADVISE((void *)map, len, MADV_DONTNEED);
		tst_barrier_wait(r->done);
	}
}

/* The mover's own mapped pages (own, usually none) moved with it and sit
 * in the destination; a lost update took n of the destination's or the
 * source's pages' worth of NR_FILE_MAPPED to the other group, and the
 * group it took them from reads at least 0. */
static enum race_shape race_shape_of(long src, long dst, long own, bool parent_unchanged)
{
	if (!parent_unchanged)
		return RACE_SHAPE_OTHER;
	if (src > 0 && dst == (own > src ? own - src : 0))
		return RACE_SHAPE_TO_SOURCE;
	if (src == 0 && dst > own)
		return RACE_SHAPE_TO_DESTINATION;
	return RACE_SHAPE_OTHER;
}

static const char *race_shape_name(enum race_shape shape)
{
	switch (shape) {
	case RACE_SHAPE_TO_SOURCE: return "to-source";
	case RACE_SHAPE_TO_DESTINATION: return "to-destination";
	case RACE_SHAPE_OTHER: return "other";
	case RACE_SHAPE_NONE: break;
	}
	return "none";
}

/* The finding, in the words of the interleaving that leaves that shape. */
static void race_describe(struct race *r, long move, long src, long dst, long parent)
{
	const char *from = move % 2 ? "B" : "A", *to = move % 2 ? "A" : "B";

	if (r->shape == RACE_SHAPE_TO_SOURCE)
		snprintf(r->finding, sizeof(r->finding), "mapped_file drifted to the source at move %ld (%s to %s): "
			 "%s holds %ld kB for pages nobody maps and %s lost as much (reads %ld kB; the parent's "
			 "total_mapped_file is %ld kB, as before the race)", move + 1, from, to, from, src >> 10, to,
			 dst >> 10, parent >> 10);
	else if (r->shape == RACE_SHAPE_TO_DESTINATION)
		snprintf(r->finding, sizeof(r->finding), "mapped_file drifted to the destination at move %ld (%s to "
			 "%s): %s holds %ld kB more than the mover maps and %s lost as much (reads 0 kB; the parent's "
			 "total_mapped_file is %ld kB, as before the race)", move + 1, from, to, to,
			 (dst - r->own_mapped) >> 10, from, parent >> 10);
	else
		snprintf(r->finding, sizeof(r->finding), "mapped_file off in a shape no lost update between the two "
			 "groups leaves, at move %ld (%s to %s): %s reads %ld kB, %s %ld kB, the parent's "
			 "total_mapped_file %ld kB (%ld kB before the race; the mover maps %ld kB)", move + 1, from, to,
			 from, src >> 10, to, dst >> 10, parent >> 10, r->parent_start >> 10, r->own_mapped >> 10);
}

static void race_record_hit(struct race *r, long move, long src, long dst)
{
	long parent = tst_cg_memory_stat(r->parent, "total_mapped_file");

	r->shape = race_shape_of(src, dst, r->own_mapped, parent == r->parent_start);
	race_describe(r, move, src, dst, parent);
	tst_value_long("race_hit_move", move + 1);
	tst_value_long("race_hit_source_mapped_file", src);
	tst_value_long("race_hit_destination_mapped_file", dst);
	tst_value_long("race_hit_parent_total_mapped_file", parent);
	tst_value("race_hit_shape", "%s", race_shape_name(r->shape));
}

/* With the region unmapped everywhere, A and B together must hold the
 * mapped_file they held before the race (the mover's own pages, which it
 * maps and which move with it; usually none). memory.stat shows a group
 * that went negative as 0, so one lost update reads as a page too many.
 * From 6.8 or so the local counters come from the rstat flush, which runs
 * on a read only past a threshold of pending updates and otherwise every
 * 2 s: a sum that is off is read again after the periodic flush, and only
 * one that stays off is the race (measured: 36 kB pending in a 6.12 debug
 * run read 0 after the flush was waited for). */
static bool race_counters_wrong(struct race *r, long move, const struct tst_cg_group *from,
				const struct tst_cg_group *to)
{
	long mf = tst_cg_memory_stat(from, "mapped_file"), mt = tst_cg_memory_stat(to, "mapped_file");

	if (mf < 0 || mt < 0)
		tst_brk(TBROK, "race: memory.stat of %s or %s has no mapped_file", from->path, to->path);
	if (mf + mt == r->own_mapped)
		return false;
	usleep(RACE_FLUSH_WAIT_US);
	mf = tst_cg_memory_stat(from, "mapped_file");
	mt = tst_cg_memory_stat(to, "mapped_file");
	if (mf + mt == r->own_mapped) {
		r->stale_reads++;
		return false;
	}
	race_record_hit(r, move, mf, mt);
	return true;
}

/* One move, A to B or B to A, with the unmapper cycling on the other CPU
 * from the barrier until the move has returned. */
static bool race_attempt(void *arg, long move)
{
	struct race *r = arg;
	const struct tst_cg_group *from = move % 2 ? r->b : r->a, *to = move % 2 ? r->a : r->b;
	long to0 = tst_cg_try_read_long(to, "memory.usage_in_bytes"), to1;

	__atomic_store_n(&r->sync->stop, 0, __ATOMIC_RELEASE);
	tst_barrier_wait(r->start);
	tst_cg_join(to, r->mover);
	__atomic_store_n(&r->sync->stop, 1, __ATOMIC_RELEASE);
	tst_barrier_wait(r->done);
	to1 = tst_cg_try_read_long(to, "memory.usage_in_bytes");
	if (to1 > to0)
		r->moved_bytes += to1 - to0;
	return race_counters_wrong(r, move, from, to);
}

/* total_mapped_file (hierarchical, from the rstat flush) of the parent must
 * equal its children's mapped_file once the periodic flush (every 2 s) has
 * run. After a lost update the parent's total is right (the children's
 * +1 and -1 cancel) and a child's local count is not. */
static void race_check_hierarchy(const struct race *r)
{
	struct tst_deadline end;
	long parent = -1, a = -1, b = -1, ta = -1, tb = -1;

	tst_deadline_start(&end, 10);
	while (!tst_deadline_passed(&end)) {
		parent = tst_cg_memory_stat(r->parent, "total_mapped_file");
		a = tst_cg_memory_stat(r->a, "mapped_file");
		b = tst_cg_memory_stat(r->b, "mapped_file");
		ta = tst_cg_memory_stat(r->a, "total_mapped_file");
		tb = tst_cg_memory_stat(r->b, "total_mapped_file");
		if (parent == a + b && ta == a && tb == b)
			break;
		usleep(250000);
	}
	tst_value_long("race_end_parent_total_mapped_file", parent);
	tst_value_long("race_end_A_mapped_file", a);
	tst_value_long("race_end_B_mapped_file", b);
	if (parent == a + b && ta == a && tb == b)
		tst_res(TPASS, "race: total_mapped_file of the parent (%ld kB) is its children's mapped_file", parent >> 10);
	else
		tst_res(TFAIL, "race: after %.0f s of flushes, the parent's total_mapped_file is %ld kB, but A holds %ld "
			"kB (total %ld) and B %ld kB (total %ld)", end.budget, parent >> 10, a >> 10, ta >> 10, b >> 10,
			tb >> 10);
}

static void race_check_data(const struct race *r)
{
	uint64_t buf[WORDS];

	for (size_t i = 0; i < r->npages; i++) {
		SAFE_PREAD(r->fd, buf, PAGE_SIZE, i * PAGE_SIZE);
		for (size_t w = 0; w < WORDS; w++) {
			if (buf[w] != pattern(SEED_RACE, i, w)) {
				tst_res(TFAIL, "race: page %zu word %zu of the region holds %#llx, not %#llx", i, w,
					(unsigned long long)buf[w], (unsigned long long)pattern(SEED_RACE, i, w));
				return;
			}
		}
	}
	tst_res(TPASS, "race: all %zu pages of the region intact", r->npages);
}

/* Keeps a vCPU busy until the race is over. With more busy vCPUs than
 * the host has cores, the host preempts vCPU threads, the unmapper's among
 * them: preempted between the mapcount drop and the NR_FILE_MAPPED update,
 * its window lasts a host time slice instead of a few instructions. The
 * interleaving is the same one; only its window is wider. */
static void race_spinner(void *arg)
{
	struct race *r = arg;
	volatile unsigned long spins = 0;

	die_with_parent();
	while (!__atomic_load_n(&r->sync->quit, __ATOMIC_ACQUIRE))
		spins++;
}

static void race_start_spinners(struct race *r)
{
	if (!race_spinners)
		return;
	if (tst_online_cpus() < 2 + race_spinners)
		tst_brk(TBROK, "race: --race-spinners %d needs %d CPUs (mover, unmapper, spinners), %d online",
			race_spinners, 2 + race_spinners, tst_online_cpus());
	r->spinners = SAFE_MALLOC(sizeof(*r->spinners) * (size_t)race_spinners);
	for (int i = 0; i < race_spinners; i++)
		r->spinners[i] = tst_fork_on(2 + i, race_spinner, r);
	tst_res(TINFO, "race: %d spinners on CPUs 2-%d", race_spinners, 1 + race_spinners);
}

static void race_start(struct race *r)
{
	r->npages = (size_t)race_mb << 8;
	r->fd = SAFE_MEMFD_CREATE("mmrepro-memcg-race", MFD_CLOEXEC);
	r->sync = tst_shared_map(sizeof(*r->sync));
	r->ready = tst_barrier_new(2);
	r->start = tst_barrier_new(2);
	r->done = tst_barrier_new(2);
	r->finish = tst_barrier_new(2);
	r->mover = tst_fork_on(-1, race_mover, r);
	tst_barrier_wait(r->ready);
	/* Only now: with the knob set on A when the mover joined it, its
	 * library pages (charged to the root group) would have moved to A. */
	set_move_charge(r->a);
	set_move_charge(r->b);
	/* The mover's mapping and unmapping of the region may still be
	 * pending in the per-CPU stats: read the start after the flush. */
	usleep(RACE_FLUSH_WAIT_US);
	r->own_mapped = tst_cg_memory_stat(r->a, "mapped_file") + tst_cg_memory_stat(r->b, "mapped_file");
	r->parent_start = tst_cg_memory_stat(r->parent, "total_mapped_file");
	tst_value_long("race_own_mapped_file", r->own_mapped);
	tst_value_long("race_parent_total_mapped_file", r->parent_start);
	if (r->parent_start < 0)
		tst_brk(TBROK, "race: memory.stat of %s has no total_mapped_file", r->parent->path);
	if (r->own_mapped)
		tst_res(TINFO, "race: the mover maps %ld kB of its own file pages in A: a lost update that leaves "
			"the sum unchanged is not seen", r->own_mapped >> 10);
	r->unmapper = tst_fork_on(1, race_unmapper, r);
	race_start_spinners(r);
}

static void race_stop(struct race *r)
{
	__atomic_store_n(&r->sync->quit, 1, __ATOMIC_RELEASE);
	tst_barrier_wait(r->start);
	tst_reap(r->unmapper, "the unmapper");
	for (int i = 0; i < race_spinners; i++)
		tst_reap(r->spinners[i], "a spinner");
	free(r->spinners);
	tst_barrier_wait(r->finish);
	tst_reap(r->mover, "the mover");
}

static const char *race_shape_why(enum race_shape shape)
{
	switch (shape) {
	case RACE_SHAPE_TO_SOURCE:
		return "the other process's last unmap dropped the mapcount before the move checked whether the folio "
		       "was mapped (so the move left NR_FILE_MAPPED behind), and updated the memcg it read after the "
		       "move had switched the folio's memcg";
	case RACE_SHAPE_TO_DESTINATION:
		return "the move saw the folio mapped and moved NR_FILE_MAPPED, then the other process's last unmap "
		       "decremented the memcg it had read before the switch (rmap without lock_page_memcg(): "
		       "Johannes' \"inverse\" case)";
	case RACE_SHAPE_OTHER:
		return "not a lost update between the two groups (the parent's total changed, or both groups are off)";
	case RACE_SHAPE_NONE:
		break;
	}
	return "no shape recorded";
}

static void race_report(const struct race *r, struct tst_until u)
{
	long unmapped = __atomic_load_n(&r->sync->unmapped, __ATOMIC_RELAXED);

	tst_value_long("race_moves", u.tries);
	tst_value("race_seconds", "%.1f", u.seconds);
	tst_value_long("race_unmapped_pages", unmapped);
	tst_value_long("race_moved_bytes", r->moved_bytes);
	tst_value_long("race_stale_reads", r->stale_reads);
	if (u.hit)
		tst_res(TFAIL, "race: %s, after %.1f s: %s", r->finding, u.seconds, race_shape_why(r->shape));
	else
		tst_res(TPASS, "race: %ld moves in %.1f s, %ld pages unmapped elsewhere meanwhile: mapped_file of A and "
			"B back to %ld kB after every move", u.tries, u.seconds, unmapped, r->own_mapped >> 10);
	if (!r->moved_bytes)
		tst_res(TFAIL, "race: no charge followed the mover in %ld moves: the walk did not reach the region",
			u.tries);
	else
		tst_res(TINFO, "race: %ld kB of charges moved in all, %ld kB a move", r->moved_bytes >> 10,
			r->moved_bytes / (u.tries ? u.tries : 1) >> 10);
}

/* The controller, on CPU 0: it writes the mover's pid into the other
 * group, so the charge-moving walk (can_attach's precharge, then
 * mem_cgroup_move_charge() at attach) runs here, while the unmapper runs
 * on CPU 1. */
static void race_child(void *arg)
{
	struct race *r = arg;
	struct tst_until u;

	tst_pin_cpu(0);
	race_start(r);
	u = tst_run_until(race_attempt, r, race_seconds, race_moves);
	race_stop(r);
	race_report(r, u);
	/* After a hit the children's sum is off by design: the hit's shape
	 * has already been checked against the parent's total. */
	if (!u.hit)
		race_check_hierarchy(r);
	race_check_data(r);
}

static void scenario_race(void)
{
	struct race r = { .fd = -1 };

	if (tst_online_cpus() < 2) {
		tst_res(TCONF, "race: needs 2 CPUs (the move on one, the unmapper on the other), %d online",
			tst_online_cpus());
		return;
	}
	r.parent = tst_cg_mk("race");
	r.a = tst_cg_mk("race/A");
	r.b = tst_cg_mk("race/B");
	run_in_child(race_child, &r, "unmap-elsewhere");
}

/* ---- the test ---- */

static void setup(void)
{
	if (ksm_npages % KSM_GROUPS)
		tst_brk(TBROK, "--ksm-pages must be a multiple of %d, got %d", KSM_GROUPS, ksm_npages);
	if (thp_mb % 2)
		tst_brk(TBROK, "--thp-mb must be a multiple of 2 (one PMD), got %d", thp_mb);
	check_kernel_version();
	if (!tst_cg_has(tst_cg_test(), "memory.move_charge_at_immigrate"))
		tst_brk(TCONF, "%s has no memory.move_charge_at_immigrate", tst_cg_test()->path);
	tst_value("memcg_root", "%s", tst_cg_test()->path);
}

static const struct tst_option options[] = {
	{ "anon-mb", TST_OPT_INT, &anon_mb, 4, 256, NULL, "private anonymous memory (32)" },
	{ "shmem-mb", TST_OPT_INT, &shmem_mb, 1, 128, NULL, "shmem (8)" },
	{ "file-mb", TST_OPT_INT, &file_mb, 0, 64, NULL, "page cache of a host file (4; 0: none)" },
	{ "ksm-pages", TST_OPT_INT, &ksm_npages, 2 * KSM_GROUPS, 16384, NULL, "KSM pages, a multiple of 16 (256)" },
	{ "ksm-wait", TST_OPT_INT, &ksm_wait_s, 1, 3600, NULL, "seconds ksmd may take (20), within the runtime" },
	{ "file", TST_OPT_STR, &file_arg, 0, 0, NULL, "the host file to read (one is picked)" },
	{ "thp-mb", TST_OPT_INT, &thp_mb, 2, 256, NULL, "THP-backed anonymous memory, a multiple of 2 (8)" },
	{ "race-mb", TST_OPT_INT, &race_mb, 1, 64, NULL, "shmem the unmapper maps and unmaps (1)" },
	{ "race-seconds", TST_OPT_INT, &race_seconds, 1, 3600, NULL, "moves until a hit or this deadline (30)" },
	{ "race-moves", TST_OPT_INT, &race_moves, 0, 1000000, NULL, "at most this many moves (0: no limit)" },
	{ "race-spinners", TST_OPT_INT, &race_spinners, 0, 6, NULL,
	  "busy processes on CPUs 2, 3, ... during the race (0): more busy vCPUs than host cores" },
	{ NULL, 0, NULL, 0, 0, NULL, NULL },
};

static const struct tst_scenario scenarios[] = {
	{ "thp", scenario_thp,
	  "a PMD-mapped anonymous THP moves with the task (get_mctgt_type_thp): rss_huge all in the destination, "
	  "0 in the source, bytes intact", false },
	{ "unmapped-folios", scenario_unmapped,
	  "unmapped swap-cache, shmem and page-cache folios and swapped KSM pages move; every byte intact; the "
	  "destination's rss and mapped_file no more than the task maps", false },
	{ "unmap-elsewhere", scenario_race,
	  "a second process unmaps shared pages while the task moves A->B->A: mapped_file of both groups back to "
	  "0 after every move, the parent's total_mapped_file consistent, bytes intact", false },
	{ NULL, NULL, NULL, false },
};

static const struct tst_tag tags[] = {
	{ "thread", "<20221123181838.1373440-1-hannes@cmpxchg.org> \"mm: remove lock_page_memcg() from rmap\" v1" },
	{ "fix", "Hugh Dickins's \"hidden else\" fix, then \"mm: memcontrol: skip moving non-present pages "
		 "that are mapped elsewhere\" (v6.2)" },
	{ NULL, NULL },
};

static struct tst_test test = {
	.name = "memcg_move_charge",
	.tags = tags,
	.options = options,
	.scenarios = scenarios,
	.runtime = 150,
	.needs_kconfigs = kconfigs,
	.min_mem_mb = 512,
	.min_swap_mb = 256,
	.needs_cgroup_ctrl = "memory",
	.needs_cgroup_ver = TST_CG_V1,
	.knobs = knobs,
	.setup = setup,
};

TST_MAIN(test)
