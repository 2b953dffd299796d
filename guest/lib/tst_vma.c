/* mmrepro guest library: smaps fields, PMD-mapped THPs and data patterns.
 * See tst_mm.h. */
#include "tst.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define THP_DIR "/sys/kernel/mm/transparent_hugepage"
#define NO_VMA (-2L)

/* ---- /proc/self/smaps ---- */

/* "7f0c2e400000-7f0c2e600000 rw-p ..." opens each VMA's entry; a field
 * line ("AnonHugePages:  2048 kB") never reads as two hex numbers with a
 * dash between them. */
static bool vma_header(const char *line, uintptr_t *start, uintptr_t *end)
{
	unsigned long s, e;

	if (sscanf(line, "%lx-%lx ", &s, &e) != 2)
		return false;
	*start = s;
	*end = e;
	return true;
}

/* The field's number in the entry of the VMA holding addr: -1 when that
 * entry lacks it (or it is not a number), NO_VMA when no VMA holds addr.
 * getline: a long path in a header line must not be read as two lines. */
static long smaps_scan(FILE *f, uintptr_t addr, const char *field)
{
	size_t flen = strlen(field), cap = 0;
	bool inside = false, found = false;
	char *line = NULL;
	long v = -1;

	while (getline(&line, &cap, f) > 0) {
		uintptr_t start, end;
		char *num, *after;

		if (vma_header(line, &start, &end)) {
			if (inside || start > addr)
				break;
			inside = addr < end;
			found |= inside;
			continue;
		}
		if (!inside || strncmp(line, field, flen) || line[flen] != ':')
			continue;
		num = line + flen + 1;
		v = strtol(num, &after, 10);
		if (after == num)
			v = -1;
		break;
	}
	free(line);
	return found ? v : NO_VMA;
}

long tst_smaps_field_(const char *file, int line, const void *addr, const char *field)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	long v;

	if (!f)
		tst_brk_(file, line, TBROK, "open /proc/self/smaps: %m");
	v = smaps_scan(f, (uintptr_t)addr, field);
	fclose(f);
	if (v == NO_VMA)
		tst_brk_(file, line, TBROK, "no VMA in /proc/self/smaps holds %p (looking for %s)", addr, field);
	return v;
}

/* ---- PMD-mapped THPs ---- */

static void *mmap_pmd_aligned(const char *file, int line, size_t len)
{
	char *raw = safe_mmap(file, line, NULL, len + PMD_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			      -1, 0);
	char *p = (char *)(((uintptr_t)raw + PMD_SIZE - 1) & ~(uintptr_t)(PMD_SIZE - 1));
	size_t head = (size_t)(p - raw);

	if (head)
		safe_munmap(file, line, raw, head);
	safe_munmap(file, line, p + len, PMD_SIZE - head);
	return p;
}

/* As root, pagemap gives PFNs and kpageflags says which are THP heads;
 * -1 when they cannot be read (not root, no /proc/kpageflags). */
static int thp_heads(const char *p, int n)
{
	int heads = 0;

	if (access("/proc/kpageflags", R_OK) < 0 || !tst_vaddr_to_pfn(p))
		return -1;
	for (int i = 0; i < n; i++) {
		uint64_t pfn = tst_vaddr_to_pfn(p + (size_t)i * PMD_SIZE);

		heads += pfn && tst_kpf(pfn, KPF_THP) && tst_kpf(pfn, KPF_COMPOUND_HEAD);
	}
	return heads;
}

static long anon_huge_kb(const char *file, int line, const void *p)
{
	long kb = tst_smaps_field_(file, line, p, "AnonHugePages");

	return kb < 0 ? 0 : kb;
}

static void thp_mode(const char *name, char *buf, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), THP_DIR "/%s", name);
	if (tst_read_file(path, buf, len) < 0)
		snprintf(buf, len, "unreadable");
}

static void thp_shortfall(const char *file, int line, int mapped, int n, long kb, int heads)
{
	char enabled[128], defrag[128], heads_text[48] = "";

	thp_mode("enabled", enabled, sizeof(enabled));
	thp_mode("defrag", defrag, sizeof(defrag));
	if (heads >= 0)
		snprintf(heads_text, sizeof(heads_text), ", %d THP heads in kpageflags", heads);
	tst_brk_(file, line, TBROK,
		 "%d of %d THPs PMD-mapped (AnonHugePages +%ld kB%s); THP enabled: %s, defrag: %s. The guest runs "
		 "with the kernel's THP mode unless the test sets one: .knobs = { { \"" THP_DIR "/enabled\", "
		 "\"madvise\", false }, ... }",
		 mapped, n, kb, heads_text, enabled, defrag);
}

void *tst_alloc_pmd_thps_(const char *file, int line, int n, size_t *len_out)
{
	size_t len = (size_t)n * PMD_SIZE;
	long before_kb, gained_kb;
	int mapped, heads;
	char *p;

	if (n <= 0)
		tst_brk_(file, line, TBROK, "tst_alloc_pmd_thps(%d): want at least one THP", n);
	if (access(THP_DIR, F_OK) < 0)
		tst_brk_(file, line, TCONF, "THP is not available: no " THP_DIR " (CONFIG_TRANSPARENT_HUGEPAGE)");
	p = mmap_pmd_aligned(file, line, len);
	safe_madvise(file, line, p, len, MADV_HUGEPAGE, "MADV_HUGEPAGE");
	/* madvise may merge the range into a neighbour that has THPs of its
	 * own: count only what the faults below add. */
	before_kb = anon_huge_kb(file, line, p);
	for (size_t off = 0; off < len; off += PAGE_SIZE)
		((volatile char *)p)[off] = 0;
	gained_kb = anon_huge_kb(file, line, p) - before_kb;
	mapped = (int)(gained_kb / (long)(PMD_SIZE >> 10));
	mapped = mapped < 0 ? 0 : mapped > n ? n : mapped;
	heads = thp_heads(p, n);
	if (heads >= 0 && heads < mapped)
		mapped = heads;
	if (mapped < n)
		thp_shortfall(file, line, mapped, n, gained_kb, heads);
	if (len_out)
		*len_out = len;
	return p;
}

/* ---- data patterns ---- */

/* splitmix64: neighbouring words and seeds give unrelated values. */
static uint64_t pattern_word(uint64_t seed, uint64_t i)
{
	uint64_t z = seed + (i + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t chunk_at(size_t len, size_t off)
{
	return len - off < sizeof(uint64_t) ? len - off : sizeof(uint64_t);
}

static long first_diff(const unsigned char *a, const unsigned char *b, size_t n, size_t off)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return (long)(off + i);
	return -1;
}

void tst_fill_pattern(void *p, size_t len, uint64_t seed)
{
	unsigned char *b = p;

	for (size_t off = 0; off < len; off += sizeof(uint64_t)) {
		uint64_t w = pattern_word(seed, off / sizeof(uint64_t));

		memcpy(b + off, &w, chunk_at(len, off));
	}
}

long tst_check_pattern(const void *p, size_t len, uint64_t seed)
{
	const unsigned char *b = p;

	for (size_t off = 0; off < len; off += sizeof(uint64_t)) {
		uint64_t w = pattern_word(seed, off / sizeof(uint64_t));
		size_t n = chunk_at(len, off);

		if (memcmp(b + off, &w, n))
			return first_diff(b + off, (const unsigned char *)&w, n, off);
	}
	return -1;
}

long tst_check_zero(const void *p, size_t len)
{
	static const unsigned char zero[sizeof(uint64_t)];
	const unsigned char *b = p;

	for (size_t off = 0; off < len; off += sizeof(uint64_t)) {
		size_t n = chunk_at(len, off);

		if (memcmp(b + off, zero, n))
			return first_diff(b + off, zero, n, off);
	}
	return -1;
}
