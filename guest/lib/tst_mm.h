/* mmrepro guest library: the one place for page sizes, pagemap and
 * kpageflags bits, ARRAY_SIZE, and the page, smaps, THP, data pattern,
 * NUMA, CPU and CMA helpers. */
#ifndef MMREPRO_TST_MM_H
#define MMREPRO_TST_MM_H

#include <linux/kernel-page-flags.h>  /* KPF_*: the uapi bit numbers of /proc/kpageflags */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* x86-64 and arm64 guests, both with 4K pages: tst_main() checks
 * sysconf(_SC_PAGESIZE) agrees. */
#define PAGE_SIZE 4096UL
#define PMD_SIZE (2UL << 20)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Not in the uapi header, but exported by /proc/kpageflags since 2.6.32
 * (the kernel's include/linux/kernel-page-flags.h). */
#ifndef KPF_MLOCKED
#define KPF_MLOCKED 33
#endif

/* /proc/PID/pagemap (Documentation/admin-guide/mm/pagemap.rst). */
#define PM_PFN_MASK ((1ULL << 55) - 1)
#define PM_SOFT_DIRTY (1ULL << 55)
#define PM_MMAP_EXCLUSIVE (1ULL << 56)
#define PM_UFFD_WP (1ULL << 57)
#define PM_FILE (1ULL << 61)
#define PM_SWAP (1ULL << 62)
#define PM_PRESENT (1ULL << 63)

/* Page helpers over /proc/self/pagemap and /proc/kpageflags (root only:
 * others read pfn 0). */
uint64_t tst_pagemap(const void *addr); /* raw entry */
/* Raw entries of npages consecutive pages from addr (page aligned). */
void tst_pagemap_range(const void *addr, size_t npages, uint64_t *entries);
uint64_t tst_pagemap_pfn(uint64_t entry); /* 0 if not present */
uint64_t tst_vaddr_to_pfn(const void *addr); /* 0 if not present */
uint64_t tst_kpageflags(uint64_t pfn);
bool tst_kpf(uint64_t pfn, int kpf_bit);  /* one bit of tst_kpageflags() */
/* How many of npages consecutive pages from addr are present with kpf_bit set. */
int tst_count_kpf(const void *addr, size_t npages, int kpf_bit);
/* Whether the multi-gen LRU is on (lru_gen/enabled bit 0): it has no
 * activate batch. */
bool tst_lru_gen_enabled(void);

/* mkswap's v1 header on a block device, for a guest without util-linux
 * (tst_swap.c: the init links it alone). 0, or -1 with why filled. */
int tst_write_swap_header(const char *dev, char *why, size_t len);
int tst_page_node(void *addr);  /* via move_pages(2) query, -errno */
int tst_pfn_node(uint64_t pfn); /* zone spans in /proc/zoneinfo, -1 if none */

/* An anonymous private mapping of len bytes whose start is aligned to
 * align (a power of two); the slack around it is unmapped. */
void *tst_mmap_aligned(size_t len, size_t align);

/* A field of the /proc/self/smaps entry of the VMA that holds addr ("Rss",
 * "AnonHugePages", "Private_Dirty": kB; "THPeligible": the number); -1
 * when that VMA has no such field. TBROK when no VMA holds addr. A VMA may
 * be larger than the mapping that made it: mmap and madvise merge
 * neighbours with the same flags. */
#define tst_smaps_field(addr, field) tst_smaps_field_(__FILE__, __LINE__, (addr), (field))
long tst_smaps_field_(const char *file, int line, const void *addr, const char *field);

/* n PMD-size THPs: a PMD-aligned anonymous mapping of n * PMD_SIZE bytes
 * (*len_out, when not NULL), MADV_HUGEPAGE, every page written once (so it
 * reads zero) and checked PMD-mapped through smaps' AnonHugePages (and,
 * as root, each THP's head in kpageflags). TCONF without THP support; TBROK
 * naming how many were PMD-mapped otherwise. Unmap with SAFE_MUNMAP. */
#define tst_alloc_pmd_thps(n, len_out) tst_alloc_pmd_thps_(__FILE__, __LINE__, (n), (len_out))
void *tst_alloc_pmd_thps_(const char *file, int line, int n, size_t *len_out);

/* A data pattern whose byte i depends only on seed and i (not on the
 * address): a copy or a remapped page checks equal, a stale, shifted,
 * zeroed or foreign page does not. The checks return the offset of the
 * first byte that differs, or -1 when none does. */
void tst_fill_pattern(void *p, size_t len, uint64_t seed);
long tst_check_pattern(const void *p, size_t len, uint64_t seed);
long tst_check_zero(const void *p, size_t len);

int tst_numa_nodes(void);       /* online nodes */
int tst_cpu_of_node(int node);  /* first CPU of a node, -1 if none */
int tst_online_cpus(void);
void tst_pin_cpu(int cpu);      /* the calling thread; new threads inherit */

/* CMA areas (debugfs cma/<area>/base_pfn and count, else the "cma: Reserved"
 * kernel log line). TBROK when CmaTotal is 0 or below min_mb. */
struct tst_cma_area {
	uint64_t base, count;   /* in pages */
};
int tst_cma_find(long min_mb, struct tst_cma_area *areas, int max);
bool tst_pfn_in_cma(const struct tst_cma_area *areas, int n, uint64_t pfn);

/* Drains the LRU and mlock batches of the CPU this thread runs on:
 * madvise(MADV_COLD) calls lru_add_drain() before it walks the range, and
 * on a page that was never faulted it does nothing else. */
void tst_drain_local_lru(void);
/* The same on every online CPU in turn, then back to the CPUs this thread
 * had: every CPU's batches drained, without lru_add_drain_all()'s callers
 * (compaction, drop_caches) doing anything else to the pages. */
void tst_drain_all_lru(void);

#endif
