/* Seeds 000/003: a FOLL_LONGTERM pin of CMA pages that sit in a per-CPU LRU
 * batch.
 *
 * folio_activate(), folio_deactivate() and folio_mark_lazyfree() queue a
 * folio, with a reference, on a per-CPU batch while it keeps its LRU flag.
 * The gup code before the fix drained the batches only for folios without
 * the LRU flag, so such a folio was not drained, its migration out of CMA
 * failed on the extra reference, and the long-term pin failed with ENOMEM
 * (io_uring buffer registration, a VM's memory pinned by vfio).
 *
 * For each batch kind and each way to pin, on a fresh window of --pages
 * virtually consecutive pages that all lie in CMA:
 *   lazyfree    MADV_FREE on the window (one call: madvise drains the local
 *               batches before it walks, so per-page calls would flush the
 *               pages queued by the previous call), then write every page
 *               again, on the same CPU;
 *   deactivate  make the pages active (two reads, see activate, then a
 *               drain), then MADV_COLD on the window: folio_deactivate()
 *               queues only active folios on the classic LRU;
 *   activate    read the pages twice through process_vm_readv(2) on
 *               ourselves: its gup walk (FOLL_TOUCH) calls
 *               mark_page_accessed(), which sets PG_referenced the first
 *               time and calls folio_activate() the second time;
 * then pin:
 *   io_uring       IORING_REGISTER_BUFFERS, one iovec per page;
 *   gup_benchmark  /sys/kernel/debug/gup_test PIN_LONGTERM_BENCHMARK (pins,
 *                  unpins, reports the bytes pinned);
 *   gup_longterm   /sys/kernel/debug/gup_test PIN_LONGTERM_TEST_START/STOP
 *                  (6.2 and later).
 * FAIL when the pin fails (ENOMEM/EFAULT, or fewer bytes pinned) or a pinned
 * page is still in CMA. The whole run stays on one CPU of the CMA's node, and
 * nothing between batching and pinning could drain the batches (no munmap,
 * no madvise, no heap, only pread of pagemap, kpageflags and vmstat). The
 * kind's vmstat counter (pglazyfree, pgdeactivate, pgactivate), which moves
 * when such a batch is drained, is reported around the pin as a diagnostic:
 * unchanged before it, and moved by it where gup drains.
 *
 * MGLRU is turned off for the run: with it, folio_mark_accessed() does not
 * batch at all and folio_deactivate() batches every folio.
 *
 * Arguments: --pages N (default 8; below 15, the 6.1 batch size),
 * --min-cma-mb N, --fault-mb N (default half of MemFree),
 * --batches lazyfree,deactivate,activate, --pins io_uring,gup_benchmark,gup_longterm.
 */
#include "tst.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/io_uring.h>
#include <linux/kernel-page-flags.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define PAGE 4096UL
#define MAX_PAGES 14            /* the 6.1 batch holds 15 and flushes when full */
#define FAULT_CHUNK (16UL << 20)
#define MAX_CMA_AREAS 8
#define PATTERN 0x636d6170696eULL
#define DEBUGFS "/sys/kernel/debug"

/* From mm/gup_test.h (not a uapi header), 6.1 and 6.12 alike. */
struct gup_test {
	__u64 get_delta_usec;
	__u64 put_delta_usec;
	__u64 addr;
	__u64 size;
	__u32 nr_pages_per_call;
	__u32 gup_flags;
	__u32 test_flags;
	__u32 which_pages[8];
};

struct pin_longterm_test {
	__u64 addr;
	__u64 size;
	__u32 flags;
};

#define PIN_LONGTERM_BENCHMARK _IOWR('g', 3, struct gup_test)
#define PIN_LONGTERM_TEST_START _IOW('g', 7, struct pin_longterm_test)
#define PIN_LONGTERM_TEST_STOP _IO('g', 8)
#define PIN_LONGTERM_TEST_FLAG_USE_WRITE 1
#define GUP_FOLL_WRITE 0x1      /* FOLL_WRITE, passed through by gup_test */

enum batch { LAZYFREE, DEACTIVATE, ACTIVATE, NR_BATCHES };
enum pin { IO_URING, GUP_BENCHMARK, GUP_LONGTERM, NR_PINS };

static const char *const batch_names[NR_BATCHES] = { "lazyfree", "deactivate", "activate" };
static const char *const pin_names[NR_PINS] = { "io_uring", "gup_benchmark", "gup_longterm" };
/* Counted when a batch of that kind is drained, not when it is built. */
static const char *const batch_counters[NR_BATCHES] = { "pglazyfree", "pgdeactivate", "pgactivate" };


#define SHORT_PIN (-1)      /* gup_test's benchmark pinned fewer bytes, no errno */

struct pin_outcome {
	int err;          /* errno of a failed pin, SHORT_PIN, 0 when it pinned */
	long pinned;      /* pages pinned */
	int in_cma;       /* window pages in CMA while pinned (or after a failure) */
};

static int nr_pages = 8;
static long min_cma_mb, fault_mb;
static bool want_batch[NR_BATCHES] = { true, true, true };
static bool want_pin[NR_PINS] = { true, true, true };

static struct tst_cma_area cma[MAX_CMA_AREAS];
static int nr_cma;
static bool lru_gen;
static char *scratch;               /* never faulted: an "unrelated" madvise target */
static char *fault_region;
static size_t fault_len;
static char **windows;
static int nr_windows, next_window;
static int uring_fd = -1, uring_errno;
static int gup_fd = -1, gup_errno, gup_longterm_errno;
static bool pin_conf_reported[NR_PINS];

static const struct tst_knob knobs[] = {
	{ "/sys/kernel/mm/lru_gen/enabled", "n", true },
	{ "/proc/sys/kernel/io_uring_disabled", "0", true },
	{ NULL, NULL, false },
};

static const char *const kconfigs[] = { "CONFIG_CMA", "CONFIG_IO_URING", NULL };

/* ---- arguments ---- */

static long long_arg(const char *name, const char *s, long min, long max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v < min || v > max)
		tst_brk(TBROK, "%s wants a number from %ld to %ld, got '%s'", name, min, max, s);
	return v;
}

static void parse_list(const char *opt, const char *arg, const char *const *names, int n, bool *want)
{
	char *copy = strdup(arg), *save, *w;

	memset(want, 0, n * sizeof(*want));
	for (w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		int i = 0;

		while (i < n && strcmp(w, names[i]))
			i++;
		if (i == n)
			tst_brk(TBROK, "%s: unknown '%s'", opt, w);
		want[i] = true;
	}
	free(copy);
}

static void parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pages", required_argument, NULL, 'p' },
		{ "min-cma-mb", required_argument, NULL, 'c' },
		{ "fault-mb", required_argument, NULL, 'f' },
		{ "batches", required_argument, NULL, 'b' },
		{ "pins", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'p')
			nr_pages = long_arg("--pages", optarg, 1, MAX_PAGES);
		else if (c == 'c')
			min_cma_mb = long_arg("--min-cma-mb", optarg, 0, 1L << 20);
		else if (c == 'f')
			fault_mb = long_arg("--fault-mb", optarg, 1, 1L << 20);
		else if (c == 'b')
			parse_list("--batches", optarg, batch_names, NR_BATCHES, want_batch);
		else if (c == 'i')
			parse_list("--pins", optarg, pin_names, NR_PINS, want_pin);
		else
			tst_brk(TBROK, "usage: cma_longterm_pin [--pages N] [--min-cma-mb N] [--fault-mb N] "
				"[--batches lazyfree,deactivate,activate] [--pins io_uring,gup_benchmark,gup_longterm]");
	}
}

/* ---- the CMA areas ---- */

static bool pfn_in_cma(uint64_t pfn)
{
	return tst_pfn_in_cma(cma, nr_cma, pfn);
}

static void find_cma(void)
{
	nr_cma = tst_cma_find(min_cma_mb, cma, MAX_CMA_AREAS);
}

/* The CPU that faults (and so batches) should be on the CMA's node, or the
 * allocations come from another node's memory. */
static void pin_to_cma_node(void)
{
	int node = tst_pfn_node(cma[0].base), cpu;

	cpu = tst_cpu_of_node(node < 0 ? 0 : node);
	if (cpu < 0)
		cpu = tst_cpu_of_node(0);
	tst_value_long("cma_node", node);
	tst_value_long("cpu", cpu);
	tst_pin_cpu(cpu);
}

/* ---- LRU helpers ---- */

/* madvise(MADV_COLD) calls lru_add_drain() before looking at the range, so
 * on a never-faulted page it only drains this CPU's batches. */
static void drain_local_lru_batches(void)
{
	if (madvise(scratch, PAGE, MADV_COLD) < 0)
		tst_brk(TBROK, "MADV_COLD on the scratch page: %m");
}

static bool lru_gen_enabled(void)
{
	char buf[64];

	if (tst_read_file("/sys/kernel/mm/lru_gen/enabled", buf, sizeof(buf)) <= 0)
		return false;
	return strtoul(buf, NULL, 0) & 1;
}

static int count_flag(char *w, int kpf)
{
	uint64_t entries[MAX_PAGES];
	int n = 0;

	tst_pagemap_range(w, nr_pages, entries);
	for (int i = 0; i < nr_pages; i++) {
		uint64_t pfn = tst_pagemap_pfn(entries[i]);
		n += pfn && (tst_kpageflags(pfn) >> kpf & 1);
	}
	return n;
}

static int count_in_cma(char *w)
{
	uint64_t entries[MAX_PAGES];
	int n = 0;

	tst_pagemap_range(w, nr_pages, entries);
	for (int i = 0; i < nr_pages; i++)
		n += pfn_in_cma(tst_pagemap_pfn(entries[i]));
	return n;
}

/* ---- the windows of CMA pages ---- */

static uint64_t pattern_of(const char *page)
{
	return (uintptr_t)page ^ PATTERN;
}

static void write_pages(char *p, size_t npages)
{
	for (size_t i = 0; i < npages; i++)
		*(volatile uint64_t *)(p + i * PAGE) = pattern_of(p + i * PAGE);
}

static int count_cases(void)
{
	int batches = 0, pins = 0;

	for (int b = 0; b < NR_BATCHES; b++)
		batches += want_batch[b];
	for (int p = 0; p < NR_PINS; p++)
		pins += want_pin[p];
	return batches * pins;
}

/* Takes every run of nr_pages consecutive pages in CMA as a window. */
static long scan_chunk(char *chunk, size_t npages, int need)
{
	uint64_t *entries = malloc(npages * sizeof(*entries));
	long in_cma = 0;
	int run = 0;

	if (!entries)
		tst_brk(TBROK, "out of memory for %zu pagemap entries", npages);
	tst_pagemap_range(chunk, npages, entries);
	for (size_t i = 0; i < npages; i++) {
		bool cma_page = pfn_in_cma(tst_pagemap_pfn(entries[i]));

		in_cma += cma_page;
		run = cma_page ? run + 1 : 0;
		if (run == nr_pages && nr_windows < need) {
			windows[nr_windows++] = chunk + (i + 1 - nr_pages) * PAGE;
			run = 0;
		}
	}
	free(entries);
	return in_cma;
}

/* Faults chunk by chunk until there is a window per case and as many again
 * in reserve (see take_window), or fault_len is reached. */
static void fault_until_windows(int cases)
{
	int need = 2 * cases;
	long in_cma = 0;
	size_t off;

	fault_region = mmap(NULL, fault_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fault_region == MAP_FAILED)
		tst_brk(TBROK, "mmap %zu MiB: %m", fault_len >> 20);
	/* Base pages only: a THP would be split by the partial madvise. */
	if (madvise(fault_region, fault_len, MADV_NOHUGEPAGE) < 0)
		tst_brk(TBROK, "MADV_NOHUGEPAGE: %m");
	windows = calloc(need, sizeof(*windows));
	if (!windows)
		tst_brk(TBROK, "out of memory");
	for (off = 0; off < fault_len && nr_windows < need; off += FAULT_CHUNK) {
		size_t len = fault_len - off < FAULT_CHUNK ? fault_len - off : FAULT_CHUNK;

		write_pages(fault_region + off, len / PAGE);
		in_cma += scan_chunk(fault_region + off, len / PAGE, need);
	}
	off = off < fault_len ? off : fault_len;
	tst_value_long("faulted_mb", off >> 20);
	tst_value_long("faulted_pages_in_cma", in_cma);
	if (nr_windows < cases)
		tst_brk(TBROK, "%zu MiB faulted, %ld pages in CMA, but only %d of %d runs of %d pages in CMA",
			off >> 20, in_cma, nr_windows, cases, nr_pages);
	tst_res(TINFO, "%zu MiB faulted, %ld pages in CMA, %d windows of %d pages", off >> 20, in_cma,
		nr_windows, nr_pages);
}

/* ---- batching ---- */

/* A read through process_vm_readv(2) walks our page tables with FOLL_TOUCH,
 * which calls mark_page_accessed() on each page. */
static bool read_through_gup(char *w, const char *label)
{
	static char sink[MAX_PAGES * 64];
	struct iovec local = { sink, (size_t)nr_pages * 64 }, remote[MAX_PAGES];

	for (int i = 0; i < nr_pages; i++)
		remote[i] = (struct iovec){ w + i * PAGE, 64 };
	if (process_vm_readv(getpid(), &local, 1, remote, nr_pages, 0) == (ssize_t)local.iov_len)
		return true;
	if (errno != ENOSYS)
		tst_brk(TBROK, "process_vm_readv: %m");
	tst_res(TCONF, "%s: process_vm_readv(2) is not built in (CONFIG_CROSS_MEMORY_ATTACH)", label);
	return false;
}

static bool batch_activate(char *w, const char *label)
{
	int referenced;

	if (lru_gen) {
		tst_res(TCONF, "%s: MGLRU is on and could not be turned off: no activate batch", label);
		return false;
	}
	if (!read_through_gup(w, label))
		return false;
	referenced = count_flag(w, KPF_REFERENCED);
	if (referenced < nr_pages) {
		tst_res(TCONF, "%s: a gup read marked only %d of %d pages referenced", label, referenced,
			nr_pages);
		return false;
	}
	/* referenced -> folio_activate() -> the activate batch */
	if (!read_through_gup(w, label))
		return false;
	return true;
}

static bool batch_deactivate(char *w, const char *label)
{
	if (!lru_gen) {
		int active;

		if (!batch_activate(w, label))
			return false;
		drain_local_lru_batches();
		active = count_flag(w, KPF_ACTIVE);
		if (active < nr_pages) {
			tst_res(TCONF, "%s: only %d of %d pages became active", label, active, nr_pages);
			return false;
		}
	}
	if (madvise(w, nr_pages * PAGE, MADV_COLD) < 0)
		tst_brk(TBROK, "MADV_COLD: %m");
	return true;
}

static bool batch_lazyfree(char *w)
{
	if (madvise(w, nr_pages * PAGE, MADV_FREE) < 0)
		tst_brk(TBROK, "MADV_FREE: %m");
	write_pages(w, nr_pages);  /* dirty again: the data must stay */
	return true;
}

static bool make_batch(enum batch b, char *w, const char *label)
{
	switch (b) {
	case LAZYFREE: return batch_lazyfree(w);
	case DEACTIVATE: return batch_deactivate(w, label);
	case ACTIVATE: return batch_activate(w, label);
	default: return false;
	}
}

/* ---- pinning ---- */

static void open_io_uring(void)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	uring_fd = syscall(SYS_io_uring_setup, 4, &p);
	if (uring_fd < 0)
		uring_errno = errno;
}

static void open_gup_test(void)
{
	gup_fd = open(DEBUGFS "/gup_test", O_RDWR | O_CLOEXEC);
	if (gup_fd < 0) {
		gup_errno = errno;
		return;
	}
	/* STOP with nothing pinned succeeds where START/STOP exist (6.2+). */
	if (ioctl(gup_fd, PIN_LONGTERM_TEST_STOP) < 0)
		gup_longterm_errno = errno;
}

/* Why a pin method cannot run here, or NULL. */
static const char *pin_unavailable(enum pin p, char *why, size_t len)
{
	if (p == IO_URING && uring_fd < 0)
		snprintf(why, len, "io_uring_setup: %s", strerror(uring_errno));
	else if (p != IO_URING && gup_fd < 0)
		snprintf(why, len, DEBUGFS "/gup_test: %s (CONFIG_GUP_TEST off?)", strerror(gup_errno));
	else if (p == GUP_LONGTERM && gup_longterm_errno)
		snprintf(why, len, "PIN_LONGTERM_TEST_STOP: %s (the kernel predates START/STOP)",
			 strerror(gup_longterm_errno));
	else
		return NULL;
	return why;
}

static struct pin_outcome pin_io_uring(char *w)
{
	struct iovec iov[MAX_PAGES];
	struct pin_outcome o = { 0, 0, 0 };

	for (int i = 0; i < nr_pages; i++)
		iov[i] = (struct iovec){ w + i * PAGE, PAGE };
	if (syscall(SYS_io_uring_register, uring_fd, IORING_REGISTER_BUFFERS, iov, nr_pages) < 0) {
		o.err = errno;
		o.in_cma = count_in_cma(w);
		return o;
	}
	o.pinned = nr_pages;
	o.in_cma = count_in_cma(w);
	if (syscall(SYS_io_uring_register, uring_fd, IORING_UNREGISTER_BUFFERS, NULL, 0) < 0)
		tst_brk(TBROK, "IORING_UNREGISTER_BUFFERS: %m");
	return o;
}

static struct pin_outcome pin_gup_benchmark(char *w)
{
	struct gup_test g;
	struct pin_outcome o = { 0, 0, 0 };

	memset(&g, 0, sizeof(g));
	g.addr = (uintptr_t)w;
	g.size = nr_pages * PAGE;
	g.nr_pages_per_call = nr_pages;
	g.gup_flags = GUP_FOLL_WRITE;
	if (ioctl(gup_fd, PIN_LONGTERM_BENCHMARK, &g) < 0)
		o.err = errno;
	else
		o.pinned = g.size / PAGE;  /* a failed pin reads as 0 bytes, not as an error */
	if (!o.err && o.pinned < nr_pages)
		o.err = SHORT_PIN;
	o.in_cma = count_in_cma(w);
	return o;
}

static struct pin_outcome pin_gup_longterm(char *w)
{
	struct pin_longterm_test t = { (uintptr_t)w, nr_pages * PAGE, PIN_LONGTERM_TEST_FLAG_USE_WRITE };
	struct pin_outcome o = { 0, 0, 0 };

	if (ioctl(gup_fd, PIN_LONGTERM_TEST_START, &t) < 0) {
		o.err = errno;
		o.in_cma = count_in_cma(w);
		return o;
	}
	o.pinned = nr_pages;
	o.in_cma = count_in_cma(w);
	if (ioctl(gup_fd, PIN_LONGTERM_TEST_STOP) < 0)
		tst_brk(TBROK, "PIN_LONGTERM_TEST_STOP: %m");
	return o;
}

static struct pin_outcome do_pin(enum pin p, char *w)
{
	switch (p) {
	case IO_URING: return pin_io_uring(w);
	case GUP_BENCHMARK: return pin_gup_benchmark(w);
	default: return pin_gup_longterm(w);
	}
}

/* ---- one case ---- */

/* A window whose pages all still lie in CMA: compaction may have moved some
 * since they were faulted, and a page outside CMA would pin trivially. */
static char *take_window(void)
{
	while (next_window < nr_windows) {
		char *w = windows[next_window++];

		if (count_in_cma(w) == nr_pages)
			return w;
	}
	tst_brk(TBROK, "no window of %d pages is left in CMA", nr_pages);
}

static const char *pin_call(enum pin p)
{
	static const char *const calls[NR_PINS] = {
		"IORING_REGISTER_BUFFERS", "PIN_LONGTERM_BENCHMARK", "PIN_LONGTERM_TEST_START",
	};
	return calls[p];
}

static void report_values(const char *key_prefix, struct pin_outcome o, long migrate_fail, long migrate_ok)
{
	char key[96];

	snprintf(key, sizeof(key), "%s.outcome", key_prefix);
	tst_value(key, "%s", o.err == SHORT_PIN ? "short_pin" : o.err ? strerrorname_np(o.err) : "pinned");
	snprintf(key, sizeof(key), "%s.in_cma", key_prefix);
	tst_value_long(key, o.in_cma);
	snprintf(key, sizeof(key), "%s.pgmigrate_fail", key_prefix);
	tst_value_long(key, migrate_fail);
	snprintf(key, sizeof(key), "%s.pgmigrate_success", key_prefix);
	tst_value_long(key, migrate_ok);
}

/* Diagnostics only: the batch counter should not move before the pin (the
 * batch is intact), and moves by the pin where gup drains the batch. */
static void report_drains(const char *key_prefix, const char *label, enum batch b, const long drained[3])
{
	char key[96];

	snprintf(key, sizeof(key), "%s.%s_before_pin", key_prefix, batch_counters[b]);
	tst_value_long(key, drained[1] - drained[0]);
	snprintf(key, sizeof(key), "%s.%s_by_pin", key_prefix, batch_counters[b]);
	tst_value_long(key, drained[2] - drained[1]);
	if (drained[1] != drained[0])
		tst_res(TINFO, "%s: %s moved by %ld before the pin: something drained the batch early",
			label, batch_counters[b], drained[1] - drained[0]);
}

static void report(const char *label, enum pin p, struct pin_outcome o, long migrate_fail, long migrate_ok)
{
	if (o.err > 0 && o.err != ENOMEM && o.err != EFAULT)
		tst_brk(TBROK, "%s: %s: %s", label, pin_call(p), strerror(o.err));
	if (o.err == SHORT_PIN)
		tst_res(TFAIL, "%s: %s pinned %ld of %d pages, %d of %d pages still in CMA, pgmigrate_fail +%ld",
			label, pin_call(p), o.pinned, nr_pages, o.in_cma, nr_pages, migrate_fail);
	else if (o.err)
		tst_res(TFAIL, "%s: %s -> %s, %d of %d pages still in CMA, pgmigrate_fail +%ld",
			label, pin_call(p), strerrorname_np(o.err), o.in_cma, nr_pages, migrate_fail);
	else if (o.in_cma)
		tst_res(TFAIL, "%s: %s pinned %d pages but %d of them are still in CMA", label, pin_call(p),
			nr_pages, o.in_cma);
	else
		tst_res(TPASS, "%s: %s pinned %d pages, all moved out of CMA (pgmigrate_success +%ld)", label,
			pin_call(p), nr_pages, migrate_ok);
}

static void check_data(const char *label, char *w)
{
	for (int i = 0; i < nr_pages; i++) {
		char *page = w + i * PAGE;

		if (*(uint64_t *)page != pattern_of(page)) {
			tst_res(TFAIL, "%s: page %d lost its data", label, i);
			return;
		}
	}
}

static bool pin_available(enum pin p)
{
	char why[256];

	if (!pin_unavailable(p, why, sizeof(why)))
		return true;
	if (!pin_conf_reported[p])
		tst_res(TCONF, "%s: %s", pin_names[p], why);
	pin_conf_reported[p] = true;
	return false;
}

static void run_case(enum batch b, enum pin p)
{
	char key_prefix[64], label[64], *w = take_window();
	long fail_before, ok_before, fail, ok, drained[3];
	struct pin_outcome o;

	snprintf(key_prefix, sizeof(key_prefix), "%s.%s", batch_names[b], pin_names[p]);
	snprintf(label, sizeof(label), "%s batch, %s", batch_names[b], pin_names[p]);
	drain_local_lru_batches();
	if (count_flag(w, KPF_LRU) < nr_pages)
		tst_brk(TBROK, "%s: after a drain only %d of %d pages are on the LRU", label,
			count_flag(w, KPF_LRU), nr_pages);
	fail_before = tst_vmstat("pgmigrate_fail");
	ok_before = tst_vmstat("pgmigrate_success");
	drained[0] = tst_vmstat(batch_counters[b]);
	if (!make_batch(b, w, label))
		return;
	drained[1] = tst_vmstat(batch_counters[b]);
	o = do_pin(p, w);
	drained[2] = tst_vmstat(batch_counters[b]);
	fail = tst_vmstat("pgmigrate_fail") - fail_before;
	ok = tst_vmstat("pgmigrate_success") - ok_before;
	report_values(key_prefix, o, fail, ok);
	report_drains(key_prefix, label, b, drained);
	report(label, p, o, fail, ok);
	check_data(label, w);
}

/* ---- setup, run, cleanup ---- */

static void setup(int argc, char **argv)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };

	parse_args(argc, argv);
	if (!fault_mb)
		fault_mb = tst_meminfo_kb("MemFree") / 1024 / 2;
	fault_len = (size_t)fault_mb << 20;
	/* io_uring charges registered buffers to RLIMIT_MEMLOCK without
	 * CAP_IPC_LOCK, and that failure is ENOMEM too. */
	setrlimit(RLIMIT_MEMLOCK, &unlimited);
	find_cma();
	pin_to_cma_node();
	lru_gen = lru_gen_enabled();
	tst_value("lru", "%s", lru_gen ? "MGLRU" : "classic");
	scratch = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (scratch == MAP_FAILED)
		tst_brk(TBROK, "mmap: %m");
	if (want_pin[IO_URING])
		open_io_uring();
	if (want_pin[GUP_BENCHMARK] || want_pin[GUP_LONGTERM])
		open_gup_test();
	fault_until_windows(count_cases());
}

static void run(void)
{
	for (int b = 0; b < NR_BATCHES; b++)
		for (int p = 0; p < NR_PINS; p++)
			if (want_batch[b] && want_pin[p] && pin_available(p))
				run_case(b, p);
}

static void cleanup(void)
{
	if (uring_fd >= 0)
		close(uring_fd);
	if (gup_fd >= 0)
		close(gup_fd);
}

static struct tst_test test = {
	.name = "cma_longterm_pin",
	.fix_commit = "33dfe9204f29 (\"mm/gup: clear the LRU flag of a page before adding to LRU batch\")",
	.needs_kconfigs = kconfigs,
	.knobs = knobs,
	.setup = setup,
	.run = run,
	.cleanup = cleanup,
};

TST_MAIN(test)
