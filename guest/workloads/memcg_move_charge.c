/* Seed 001: memcg v1 charge moving ("move_charge_at_immigrate") of folios
 * that are not mapped, and anon folios mapped again after a swap-out.
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
 * A child process, in memcg A (move_charge_at_immigrate=0 there, so joining
 * moves nothing), builds:
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
 * Verdict: FAIL when a byte differs, when the kernel accepted the knob but
 * the charges did not move, or when the destination's memory.stat rss or
 * mapped_file exceeds what the task maps by megabytes (v1 moved the mapped
 * counters of unmapped folios: its symptom on a kernel without DEBUG_VM). Kernel WARNINGs and BUGs are the host console
 * classifier's business, not the workload's. memory.usage_in_bytes of A and
 * B around each move, the page counts behind them and KSM's counters are
 * values in the result.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define WORDS (PAGE_SIZE / sizeof(uint64_t))
#define KSM_GROUPS 16
#define KSM_DIR "/sys/kernel/mm/ksm"

enum { SEED_ANON = 1, SEED_SHMEM = 2, SEED_KSM = 3 };

static int anon_mb = 32, shmem_mb = 8, file_mb = 4, ksm_npages = 256, ksm_wait_s = 20;
static const char *file_arg;

static const struct tst_cg_group *cg_a, *cg_b;

static const struct tst_knob knobs[] = {
	{ KSM_DIR "/run", "1", false },
	/* Scan fast: a few full scans of a few hundred pages merge them. */
	{ KSM_DIR "/pages_to_scan", "2000", false },
	{ KSM_DIR "/sleep_millisecs", "10", false },
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

static void check_stat(const char *when, const char *what, long stat, size_t pages)
{
	long expect = (long)(pages * PAGE_SIZE);
	char key[64];

	snprintf(key, sizeof(key), "%s_%s_bytes", when, what);
	tst_value_long(key, stat);
	if (stat > expect + STAT_SLACK)
		tst_res(TFAIL, "%s: memory.stat %s of the destination is %ld kB, the task maps %ld kB: mapped "
			"counters moved for folios nobody maps", when, what, stat >> 10, expect >> 10);
	else
		tst_res(TPASS, "%s: memory.stat %s %ld kB for %ld kB the task maps", when, what, stat >> 10,
			expect >> 10);
}

/* v1's effect on a kernel without DEBUG_VM: with the folio_mapped() tests
 * gone from mem_cgroup_move_account(), the mapped counters move for the
 * unmapped swap-cache, shmem and page-cache folios too. The destination may
 * hold a little more than the task's regions (its heap, stack and library
 * pages charged to A), never megabytes more. */
static void check_mapped_counters(const char *when, const struct tst_cg_group *to, struct regions *r)
{
	long rss = tst_cg_memory_stat(to, "rss"), mapped = tst_cg_memory_stat(to, "mapped_file");
	size_t anon, file;

	if (rss < 0 || mapped < 0) {
		tst_res(TCONF, "%s: %s/memory.stat has no rss or mapped_file", when, to->path);
		return;
	}
	mapped_now(r, &anon, &file);
	check_stat(when, "rss", rss, anon);
	check_stat(when, "mapped_file", mapped, file);
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
	check_mapped_counters("move1", cg_b, r);
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
	check_mapped_counters("move2", cg_a, r);
}

static void child(void *arg)
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

/* ---- the test ---- */

static void setup(void)
{
	if (ksm_npages % KSM_GROUPS)
		tst_brk(TBROK, "--ksm-pages must be a multiple of %d, got %d", KSM_GROUPS, ksm_npages);
	check_kernel_version();
	if (!tst_cg_has(tst_cg_test(), "memory.move_charge_at_immigrate"))
		tst_brk(TCONF, "%s has no memory.move_charge_at_immigrate", tst_cg_test()->path);
	cg_a = tst_cg_mk("A");
	cg_b = tst_cg_mk("B");
	tst_value("memcg_root", "%s", tst_cg_test()->path);
}

static void run(void)
{
	int status = tst_fork_run(child, NULL, (int)tst_remaining_runtime());

	if (WIFSIGNALED(status))
		tst_res(TBROK, "the child in the memcgs was killed by signal %d (%s)%s", WTERMSIG(status),
			strsignal(WTERMSIG(status)), WTERMSIG(status) == SIGKILL ? " (or ran out of runtime)" : "");
	else if (WIFEXITED(status) && WEXITSTATUS(status) && WEXITSTATUS(status) != TFAIL &&
		 WEXITSTATUS(status) != TBROK && WEXITSTATUS(status) != TCONF)
		tst_res(TBROK, "the child exited with status %d", WEXITSTATUS(status));
}

static const struct tst_option options[] = {
	{ "anon-mb", TST_OPT_INT, &anon_mb, 4, 256, NULL, "private anonymous memory (32)" },
	{ "shmem-mb", TST_OPT_INT, &shmem_mb, 1, 128, NULL, "shmem (8)" },
	{ "file-mb", TST_OPT_INT, &file_mb, 0, 64, NULL, "page cache of a host file (4; 0: none)" },
	{ "ksm-pages", TST_OPT_INT, &ksm_npages, 2 * KSM_GROUPS, 16384, NULL, "KSM pages, a multiple of 16 (256)" },
	{ "ksm-wait", TST_OPT_INT, &ksm_wait_s, 1, 3600, NULL, "seconds ksmd may take (20), within the runtime" },
	{ "file", TST_OPT_STR, &file_arg, 0, 0, NULL, "the host file to read (one is picked)" },
	{ NULL, 0, NULL, 0, 0, NULL, NULL },
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
	.runtime = 150,
	.needs_kconfigs = kconfigs,
	.min_mem_mb = 512,
	.min_swap_mb = 256,
	.needs_cgroup_ctrl = "memory",
	.needs_cgroup_ver = TST_CG_V1,
	.knobs = knobs,
	.setup = setup,
	.run = run,
};

TST_MAIN(test)
