/* Seeds 000/003: a FOLL_LONGTERM pin of CMA pages that sit in a per-CPU LRU
 * batch.
 *
 * folio_activate(), folio_deactivate(), deactivate_file_folio() and
 * folio_mark_lazyfree() (deactivate_page() and mark_page_lazyfree() on
 * 6.1) queue a folio, with a reference, on a per-CPU batch while it keeps
 * its LRU flag.
 * The gup code before the fix drained the batches only for folios without
 * the LRU flag, so such a folio was not drained, its migration out of CMA
 * failed on the extra reference, and the long-term pin failed with ENOMEM
 * (io_uring buffer registration, a VM's memory pinned by vfio).
 *
 * Each scenario is one kind of batch; it runs for each way to pin, on a
 * fresh window of --pages virtually consecutive pages that all lie in CMA:
 *   lazyfree    MADV_FREE on the window (one call: madvise drains the local
 *               batches before it walks, so per-page calls would flush the
 *               pages queued by the previous call), then write every page
 *               again, on the same CPU;
 *   deactivate  make the pages active (two reads, see activate, then a
 *               drain), then MADV_COLD on the window: folio_deactivate()
 *               queues only active folios on the classic LRU;
 *   deactivate_file  page-cache pages of --file (on the 9p root: fadvise
 *               is a no-op on tmpfs and ramfs, whose noop bdi it skips),
 *               mapped read-only, then POSIX_FADV_DONTNEED on the window:
 *               a mapped folio cannot be dropped, so the invalidation calls
 *               deactivate_file_folio() on it. A probe in setup checks that
 *               fadvise drops an unmapped page of that file, or the
 *               scenario is CONF. Pinned read-only by gup_test only (io_uring
 *               pins writable); the data is checked against a copy;
 *   activate    read the pages twice through process_vm_readv(2) on
 *               ourselves: its gup walk (FOLL_TOUCH) calls
 *               mark_page_accessed(), which sets PG_referenced the first
 *               time and calls folio_activate() the second time;
 *   mlock       (on request) shmem pages already on the LRU, mapped for the
 *               first time through a mapping under mlock2(MLOCK_ONFAULT):
 *               each fault calls mlock_folio(), which queues the folio on
 *               the mlock batch with a reference and its LRU flag still
 *               set. 33dfe9204f29 cleared the flag for the other batches
 *               but not for this one: the bug reported after it was merged
 *               (a VM's mlock(MLOCK_ONFAULT) memory pinned by pKVM). It
 *               fails only with the pin on another CPU: each failed
 *               migration pass maps the page again, and for a VM_LOCKED
 *               vma remove_migration_pte() drains the mlock batch of the
 *               CPU doing the pin, so the pin's own retries empty a batch
 *               on that CPU;
 *   lru_add     (on request, the control) pages freshly faulted again: the
 *               lru_add batch holds them without the LRU flag, which every
 *               gup version drains. It must pass everywhere;
 *   move_tail   (on request; the case's disk, --disk) page-cache pages of a
 *               file on ext4, mapped shared and written, then MADV_PAGEOUT:
 *               reclaim does not write file pages outside kswapd, so it
 *               marks them PG_reclaim and puts them back; when
 *               sync_file_range() has written them, folio_end_writeback()
 *               calls folio_rotate_reclaimable(), which queues each on the
 *               lru_move_tail batch (see batch_move_tail). The setup runs
 *               the host's mkfs.ext4 (through the 9p root) on the disk.
 *               Pinned read-only by gup_test only: gup refuses writable
 *               long-term pins of a dirty-tracked file mapping;
 * then pin:
 *   io_uring       IORING_REGISTER_BUFFERS, one iovec per page;
 *   gup_benchmark  /sys/kernel/debug/gup_test PIN_LONGTERM_BENCHMARK (pins,
 *                  unpins, reports the bytes pinned);
 *   gup_longterm   /sys/kernel/debug/gup_test PIN_LONGTERM_TEST_START/STOP
 *                  (6.2 and later).
 * The pin runs on the batch's CPU, or with --pin-cpu other on another CPU
 * (a worker thread pinned there; the case needs 2 vCPUs).
 *
 * A failed pin (ENOMEM/EFAULT, or fewer bytes pinned) is tied to the batch
 * before it counts: every CPU's batches are drained (a local drain on each
 * CPU in turn) and the same pages pinned again. Only when that retry pins
 * them and moves them out of CMA is the first failure a FAIL; a failure
 * that survives the drain (say, no memory outside CMA to move to) is BROK
 * with its reason. A pin that succeeds but leaves pages in CMA is a FAIL.
 * The batch and the first pin happen with nothing in between that could
 * drain (no munmap, no madvise, no heap, only pread of pagemap, kpageflags
 * and vmstat). The kind's vmstat counter (pglazyfree, pgdeactivate,
 * pgactivate, unevictable_pgs_culled, pgrotated), which moves when such a
 * batch is drained, is reported around the pin as a diagnostic.
 *
 * MGLRU is turned off for the run: with it, folio_mark_accessed() does not
 * batch at all and folio_deactivate() batches every folio.
 */
#include "tst.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/io_uring.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/mount.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 0x01
#endif

#define MAX_PAGES 14            /* the 6.1 batch holds 15 and flushes when full */
#define FAULT_CHUNK (16UL << 20)
#define MAX_CMA_AREAS 8
#define PATTERN 0x636d6170696eULL
#define DEBUGFS "/sys/kernel/debug"
#define FILE_PROBE_GAP (1 << 20)  /* left unfaulted at the file's end for the fadvise probe */
#define FILE_MIN_BYTES (4 << 20)
/* Mapped pages fadvised before the window: see batch_deactivate_file(). */
#define FILE_LEAD_PAGES 31
#define DISK_FILE_BYTES (64UL << 20)

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

enum batch { LAZYFREE, DEACTIVATE, DEACTIVATE_FILE, ACTIVATE, MLOCK, LRU_ADD, MOVE_TAIL, NR_BATCHES };
enum pin { IO_URING, GUP_BENCHMARK, GUP_LONGTERM, NR_PINS };

static const char *const batch_names[NR_BATCHES] = {
	"lazyfree", "deactivate", "deactivate_file", "activate", "mlock", "lru_add", "move_tail",
};
static const char *const pin_names[NR_PINS + 1] = { "io_uring", "gup_benchmark", "gup_longterm", NULL };
/* Counted when a batch of that kind is drained, not when it is built. The
 * deactivate_file batch's mapped folios are left where they are when it is
 * drained (lru_deactivate_file_fn() returns for a mapped folio): no counter. */
static const char *const batch_counters[NR_BATCHES] = {
	"pglazyfree", "pgdeactivate", NULL, "pgactivate", "unevictable_pgs_culled", NULL, "pgrotated",
};

#define SHORT_PIN (-1)      /* gup_test's benchmark pinned fewer bytes, no errno */

struct pin_outcome {
	int err;          /* errno of a failed pin, SHORT_PIN, 0 when it pinned */
	long pinned;      /* pages pinned */
	int in_cma;       /* window pages in CMA while pinned (or after a failure) */
};

/* A window and where it is pinned: the same address, except for the mlock
 * batch, whose pages are pinned through their mlocked mapping. File pages
 * are mapped read-only and pinned without FOLL_WRITE; their data is checked
 * against a copy taken before the batch. */
struct window {
	char *addr;
	char *pin_at;
	bool read_only;
};

static int nr_pages = 8;
static long min_cma_mb, fault_mb;
static bool want_pin[NR_PINS] = { true, true, true };
static const char *pin_cpu_arg = "same";
static const char *file_path = "/usr/bin/qemu-system-x86_64";

static struct tst_cma_area cma[MAX_CMA_AREAS];
static int nr_cma;
static bool lru_gen;
static size_t fault_len, faulted;
static struct tst_worker *pin_worker;  /* --pin-cpu other */

/* Windows of CMA pages in anonymous memory and in a memfd (mlock). */
struct window_pool {
	char **w;
	int n, next, need;
	long in_cma;
};
static struct window_pool anon_pool, shmem_pool;
static char *shmem_view;   /* the memfd mapped without mlock, to find and check pages */
static int shmem_fd = -1;

/* deactivate_file: a file on the 9p root (a real backing device, unlike
 * tmpfs, whose fadvise is a no-op), mapped read-only. */
static struct window_pool file_pool;
static char *file_view, *file_copy;
static int file_fd = -1;
static const char *file_unusable;  /* why the scenario cannot run, or NULL */

/* move_tail: a file on ext4 made on --disk, mapped shared and writable. */
static const char *disk_dev = "/dev/vda";
static struct window_pool disk_pool;
static char *disk_view;
static int disk_fd = -1;
static const char *disk_unusable;

static int uring_fd = -1, uring_errno;
static int gup_fd = -1, gup_errno, gup_longterm_errno;
static bool pin_conf_reported[NR_PINS];

static const struct tst_knob knobs[] = {
	{ "/sys/kernel/mm/lru_gen/enabled", "n", true },
	{ "/proc/sys/kernel/io_uring_disabled", "0", true },
	{ NULL, NULL, false },
};

static const char *const kconfigs[] = { "CONFIG_CMA", "CONFIG_IO_URING", NULL };

/* ---- page state ---- */

static bool pfn_in_cma(uint64_t pfn)
{
	return tst_pfn_in_cma(cma, nr_cma, pfn);
}

static int count_flag(char *w, int kpf)
{
	return tst_count_kpf(w, (size_t)nr_pages, kpf);
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

/* The CPU that faults (and so batches) should be on the CMA's node, or the
 * allocations come from another node's memory. */
static int pin_to_cma_node(void)
{
	int node = tst_pfn_node(cma[0].base), cpu;

	cpu = tst_cpu_of_node(node < 0 ? 0 : node);
	if (cpu < 0)
		cpu = tst_cpu_of_node(0);
	tst_value_long("cma_node", node);
	tst_value_long("cpu", cpu);
	tst_pin_cpu(cpu);
	return cpu;
}

/* ---- the windows of CMA pages ---- */

static uint64_t pattern_of(const char *page)
{
	return (uintptr_t)page ^ PATTERN;
}

static void write_pages(char *p, size_t npages)
{
	for (size_t i = 0; i < npages; i++)
		*(volatile uint64_t *)(p + i * PAGE_SIZE) = pattern_of(p + i * PAGE_SIZE);
}

/* File pages are only read: the mapping is read-only. */
static void read_pages(char *p, size_t npages)
{
	for (size_t i = 0; i < npages; i++)
		(void)*(volatile char *)(p + i * PAGE_SIZE);
}

static int count_pins(void)
{
	int pins = 0;

	for (int p = 0; p < NR_PINS; p++)
		pins += want_pin[p];
	return pins;
}

/* Takes every run of nr_pages consecutive pages in CMA as a window. */
static void scan_chunk(struct window_pool *pool, char *chunk, size_t npages)
{
	uint64_t *entries = SAFE_MALLOC(npages * sizeof(*entries));
	int run = 0;

	tst_pagemap_range(chunk, npages, entries);
	for (size_t i = 0; i < npages; i++) {
		bool cma_page = pfn_in_cma(tst_pagemap_pfn(entries[i]));

		pool->in_cma += cma_page;
		run = cma_page ? run + 1 : 0;
		if (run == nr_pages && pool->n < pool->need) {
			pool->w[pool->n++] = chunk + (i + 1 - nr_pages) * PAGE_SIZE;
			run = 0;
		}
	}
	free(entries);
}

/* Faults region in (touch: write or read) chunk by chunk until the pool
 * has its windows or the fault budget is spent. */
static void fault_until_windows(struct window_pool *pool, char *region, size_t len, const char *what,
				void (*touch)(char *, size_t))
{
	size_t off;

	for (off = 0; off < len && pool->n < pool->need && faulted < fault_len; off += FAULT_CHUNK) {
		size_t chunk = len - off < FAULT_CHUNK ? len - off : FAULT_CHUNK;

		touch(region + off, chunk / PAGE_SIZE);
		scan_chunk(pool, region + off, chunk / PAGE_SIZE);
		faulted += chunk;
	}
	if (pool->n < pool->need / 2)
		tst_brk(TBROK, "%s: %zu MiB faulted, %ld pages in CMA, but only %d of %d runs of %d pages in CMA",
			what, off >> 20, pool->in_cma, pool->n, pool->need / 2, nr_pages);
	tst_res(TINFO, "%s: %zu MiB faulted, %ld pages in CMA, %d windows of %d pages", what, off >> 20,
		pool->in_cma, pool->n, nr_pages);
}

/* A window per case and as many again in reserve (see take_window). */
static void pool_init(struct window_pool *pool, int cases)
{
	pool->need = 2 * cases;
	pool->w = SAFE_CALLOC(pool->need, sizeof(*pool->w));
}

static void fault_anon_windows(int cases)
{
	char *region;

	if (!cases)
		return;
	pool_init(&anon_pool, cases);
	region = SAFE_MMAP(NULL, fault_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	/* Base pages only: a THP would be split by the partial madvise. */
	SAFE_MADVISE(region, fault_len, MADV_NOHUGEPAGE);
	fault_until_windows(&anon_pool, region, fault_len, "anon", write_pages);
	tst_value_long("faulted_pages_in_cma", anon_pool.in_cma);
}

/* shmem pages are written through a plain shared mapping; the mlock batch
 * maps each window again under mlock (batch_mlock). */
static void fault_shmem_windows(int cases)
{
	size_t len = fault_len - faulted;

	if (!cases)
		return;
	pool_init(&shmem_pool, cases);
	shmem_fd = SAFE_MEMFD_CREATE("mmrepro-cma-mlock", MFD_CLOEXEC);
	SAFE_FTRUNCATE(shmem_fd, (off_t)len);
	shmem_view = SAFE_MMAP(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, shmem_fd, 0);
	fault_until_windows(&shmem_pool, shmem_view, len, "shmem", write_pages);
	tst_value_long("shmem_pages_in_cma", shmem_pool.in_cma);
}

/* Why the file cannot hold the deactivate_file windows, or NULL. */
static const char *file_unfit(const struct stat *st, char *why, size_t len)
{
	if (!S_ISREG(st->st_mode))
		snprintf(why, len, "--file %s is not a regular file", file_path);
	else if (st->st_size < FILE_MIN_BYTES)
		snprintf(why, len, "--file %s has %lld bytes, fewer than the %d MiB the windows and the probe need",
			 file_path, (long long)st->st_size, FILE_MIN_BYTES >> 20);
	else
		return NULL;
	return why;
}

/* Whether POSIX_FADV_DONTNEED drops an unmapped clean page of the file: a
 * file system without a backing device (tmpfs, ramfs: the noop bdi)
 * ignores it, and no folio would reach the deactivate_file batch. The
 * probe is the last page, FILE_PROBE_GAP past the faulted part and so out
 * of fault-around's reach: nothing maps it. */
static const char *fadvise_ignored(size_t len, char *why, size_t why_len)
{
	off_t probe = (off_t)(len - PAGE_SIZE);
	unsigned char resident;
	char byte;

	SAFE_PREAD(file_fd, &byte, 1, probe);
	SAFE_POSIX_FADVISE(file_fd, probe, PAGE_SIZE, POSIX_FADV_DONTNEED);
	SAFE_MINCORE(file_view + probe, PAGE_SIZE, &resident);
	if (!(resident & 1))
		return NULL;
	snprintf(why, why_len, "--file %s: POSIX_FADV_DONTNEED kept an unmapped clean page (a file system "
		 "without a backing device ignores it)", file_path);
	return why;
}

/* Page-cache pages of --file, read through a read-only shared mapping. A
 * file that cannot serve is CONF for the scenario, with the reason. */
static void fault_file_windows(int cases)
{
	static char why[PATH_MAX + 160];
	struct stat st;
	size_t len;

	if (!cases)
		return;
	file_fd = open(file_path, O_RDONLY | O_CLOEXEC);
	if (file_fd < 0) {
		snprintf(why, sizeof(why), "--file %s: %s", file_path, strerror(errno));
		file_unusable = why;
		return;
	}
	SAFE_FSTAT(file_fd, &st);
	if ((file_unusable = file_unfit(&st, why, sizeof(why))))
		return;
	len = (size_t)st.st_size & ~(PAGE_SIZE - 1);
	pool_init(&file_pool, cases);
	file_view = SAFE_MMAP(NULL, len, PROT_READ, MAP_SHARED, file_fd, 0);
	read_pages(file_view, FILE_LEAD_PAGES);
	fault_until_windows(&file_pool, file_view + FILE_LEAD_PAGES * PAGE_SIZE,
			    len - FILE_PROBE_GAP - FILE_LEAD_PAGES * PAGE_SIZE, "file", read_pages);
	tst_value_long("file_pages_in_cma", file_pool.in_cma);
	file_unusable = fadvise_ignored(len, why, sizeof(why));
	file_copy = SAFE_MALLOC(MAX_PAGES * PAGE_SIZE);
	memset(file_copy, 0, MAX_PAGES * PAGE_SIZE);  /* faulted now, not between batch and pin */
}

/* mkfs.ext4 of the host (through the 9p root) on the case's scratch disk. */
static bool make_ext4(char *why, size_t why_len)
{
	int status;
	pid_t pid = SAFE_FORK();

	if (!pid) {
		execl("/sbin/mkfs.ext4", "mkfs.ext4", "-q", "-F", disk_dev, (char *)NULL);
		_exit(127);
	}
	SAFE_WAITPID(pid, &status, 0);
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return true;
	snprintf(why, why_len, "mkfs.ext4 -q -F %s: exit status %d", disk_dev,
		 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return false;
}

/* Where the file lives, or NULL with the reason in why: a missing disk or
 * a kernel without ext4 makes the scenario CONF. */
static const char *mount_disk(char *why, size_t why_len)
{
	static const char dir[] = "/tmp/mmrepro-disk";

	if (access(disk_dev, F_OK) < 0) {
		snprintf(why, why_len, "--disk %s: %s (the case needs disk = SIZE in [vm])", disk_dev, strerror(errno));
		return NULL;
	}
	if (!make_ext4(why, why_len))
		return NULL;
	SAFE_MKDIR(dir, 0700);
	if (mount(disk_dev, dir, "ext4", 0, NULL) < 0) {
		snprintf(why, why_len, "mount -t ext4 %s: %s", disk_dev, strerror(errno));
		return NULL;
	}
	return dir;
}

/* The file's pages are written through the shared mapping (page cache,
 * movable: CMA serves it), then written back, so that each window starts
 * clean and on the LRU. */
static void fault_disk_windows(int cases)
{
	static char why[PATH_MAX + 160];
	char path[PATH_MAX];
	size_t len = DISK_FILE_BYTES;
	const char *dir;

	if (!cases)
		return;
	if (!(dir = mount_disk(why, sizeof(why)))) {
		disk_unusable = why;
		return;
	}
	snprintf(path, sizeof(path), "%s/pages", dir);
	disk_fd = SAFE_OPEN(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	SAFE_FTRUNCATE(disk_fd, (off_t)len);
	pool_init(&disk_pool, cases);
	disk_view = SAFE_MMAP(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, disk_fd, 0);
	fault_until_windows(&disk_pool, disk_view, len, "disk", write_pages);
	if (fsync(disk_fd) < 0)
		tst_brk(TBROK, "fsync %s: %m", path);
	tst_value_long("disk_pages_in_cma", disk_pool.in_cma);
	if (!file_copy) {
		file_copy = SAFE_MALLOC(MAX_PAGES * PAGE_SIZE);
		memset(file_copy, 0, MAX_PAGES * PAGE_SIZE);
	}
}

/* A window whose pages all still lie in CMA: compaction may have moved some
 * since they were faulted, and a page outside CMA would pin trivially. */
static char *take_window(struct window_pool *pool)
{
	while (pool->next < pool->n) {
		char *w = pool->w[pool->next++];

		if (count_in_cma(w) == nr_pages)
			return w;
	}
	tst_brk(TBROK, "no window of %d pages is left in CMA", nr_pages);
}

/* ---- batching ---- */

/* A read through process_vm_readv(2) walks our page tables with FOLL_TOUCH,
 * which calls mark_page_accessed() on each page. */
static bool read_through_gup(char *w, const char *label)
{
	static char sink[MAX_PAGES * 64];
	struct iovec local = { sink, (size_t)nr_pages * 64 }, remote[MAX_PAGES];

	for (int i = 0; i < nr_pages; i++)
		remote[i] = (struct iovec){ w + i * PAGE_SIZE, 64 };
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
	return read_through_gup(w, label);
}

static bool batch_deactivate(char *w, const char *label)
{
	if (!lru_gen) {
		int active;

		if (!batch_activate(w, label))
			return false;
		tst_drain_local_lru();
		active = count_flag(w, KPF_ACTIVE);
		if (active < nr_pages) {
			tst_res(TCONF, "%s: only %d of %d pages became active", label, active, nr_pages);
			return false;
		}
	}
	SAFE_MADVISE(w, nr_pages * PAGE_SIZE, MADV_COLD);
	return true;
}

static bool batch_lazyfree(char *w)
{
	SAFE_MADVISE(w, nr_pages * PAGE_SIZE, MADV_FREE);
	write_pages(w, nr_pages);  /* dirty again: the data must stay */
	return true;
}

/* The pages are on the LRU (the caller drained). A mapping of just the
 * window (so fault-around maps nothing else), mlock2(MLOCK_ONFAULT) on it
 * while it maps nothing, then a read of each page: the fault maps the
 * page-cache folio and mlock_folio() queues it with its LRU flag set. */
static bool batch_mlock(struct window *win, const char *label)
{
	off_t off = win->addr - shmem_view;
	char *locked = SAFE_MMAP(NULL, nr_pages * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, shmem_fd, off);
	int queued = 0;

	SAFE_MLOCK2(locked, nr_pages * PAGE_SIZE, MLOCK_ONFAULT);
	for (int i = 0; i < nr_pages; i++)
		(void)*(volatile char *)(locked + i * PAGE_SIZE);
	win->pin_at = locked;
	/* Mlocked but not yet moved to the unevictable list: in the batch. */
	for (int i = 0; i < nr_pages; i++) {
		uint64_t flags = tst_kpageflags(tst_vaddr_to_pfn(locked + i * PAGE_SIZE));

		queued += (flags >> KPF_MLOCKED & 1) && !(flags >> KPF_UNEVICTABLE & 1) && (flags >> KPF_LRU & 1);
	}
	if (queued < nr_pages) {
		tst_res(TCONF, "%s: only %d of %d pages sit in the mlock batch with the LRU flag", label, queued,
			nr_pages);
		return false;
	}
	return true;
}

/* The pages are mapped, clean and on the LRU (the caller drained).
 * POSIX_FADV_DONTNEED cannot drop a mapped page: mapping_evict_folio()
 * gives up on the mapping's references, and deactivate_file_folio() queues
 * the folio, with a reference, on this CPU's deactivate_file batch. (On
 * such a failure fadvise drains every CPU and walks the range again, which
 * queues the folios once more.)
 *
 * The walk takes the range a folio_batch (PAGEVEC_SIZE: 15 on 6.1, 31 on
 * 6.12) at a time, and its first folio_batch_release() calls
 * lru_add_drain(), which empties the batch it has just filled; later
 * releases do not drain. So the advice starts FILE_LEAD_PAGES (31) mapped
 * pages before the window: the window comes in a later round and stays in
 * the batch (measured on 6.1: without the lead every pin passed, on the
 * buggy kernel too, and no batched folio was left). */
static bool batch_deactivate_file(char *w)
{
	off_t window = w - file_view, lead = FILE_LEAD_PAGES * PAGE_SIZE;

	memcpy(file_copy, w, nr_pages * PAGE_SIZE);
	SAFE_POSIX_FADVISE(file_fd, window - lead, lead + (off_t)(nr_pages * PAGE_SIZE), POSIX_FADV_DONTNEED);
	return true;
}

/* Freed and faulted again: new folios, in the lru_add batch without the
 * LRU flag. They must land in CMA again for the control to mean anything. */
static bool batch_lru_add(char *w, const char *label)
{
	int in_cma, on_lru;

	SAFE_MADVISE(w, nr_pages * PAGE_SIZE, MADV_DONTNEED);
	write_pages(w, nr_pages);
	in_cma = count_in_cma(w);
	on_lru = count_flag(w, KPF_LRU);
	if (in_cma < nr_pages || on_lru) {
		tst_res(TCONF, "%s: refaulted pages: %d of %d in CMA, %d already on the LRU", label, in_cma,
			nr_pages, on_lru);
		return false;
	}
	return true;
}

/* Pages of the window by pfn whose flags hold every bit of want and none
 * of unwanted: the window is not mapped while it waits for writeback. */
static int count_pfns(const uint64_t *pfns, uint64_t want, uint64_t unwanted)
{
	int n = 0;

	for (int i = 0; i < nr_pages; i++) {
		uint64_t f = pfns[i] ? tst_kpageflags(pfns[i]) : 0;

		n += pfns[i] && (f & want) == want && !(f & unwanted);
	}
	return n;
}

#define KPF(bit) (1ULL << (bit))

/* Polls the window's flags until its writeback has ended (10 s at most).
 * Not SYNC_FILE_RANGE_WAIT_AFTER: __filemap_fdatawait_range() releases its
 * folio_batch, and the first folio_batch_release() calls lru_add_drain(),
 * which empties the move_tail batch the writeback has just filled whenever
 * it had a folio still under writeback to wait for (with it, 13 of the 16
 * windows of a verify --runs 2 were no longer batched when checked). */
static void wait_written(const uint64_t *pfns)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };

	for (int i = 0; i < 1000; i++) {
		if (count_pfns(pfns, 0, KPF(KPF_WRITEBACK) | KPF(KPF_DIRTY)) == nr_pages)
			return;
		nanosleep(&tick, NULL);
	}
}

/* Dirty file pages written back with PG_reclaim set. MADV_PAGEOUT (the
 * caller drained this CPU first) isolates them, unmaps them and, as only
 * kswapd writes file pages from reclaim, marks them PG_reclaim and puts
 * them back active: through this CPU's lru_add batch, which is drained
 * here, since folio_rotate_reclaimable() skips a folio without the LRU
 * flag. sync_file_range() then writes them; folio_end_writeback() sees
 * PG_reclaim, and folio_rotate_reclaimable() (not locked, not dirty, on
 * the LRU) queues each on the lru_move_tail batch of the CPU that ends the
 * writeback: with one vCPU, this one. pgrotated counts them when that
 * batch is drained. */
static bool batch_move_tail(struct window *win, const char *label)
{
	off_t off = win->addr - disk_view;
	size_t len = nr_pages * PAGE_SIZE;
	uint64_t entries[MAX_PAGES], pfns[MAX_PAGES];
	int marked, queued;

	write_pages(win->addr, nr_pages);
	memcpy(file_copy, win->addr, len);
	tst_pagemap_range(win->addr, nr_pages, entries);
	for (int i = 0; i < nr_pages; i++)
		pfns[i] = tst_pagemap_pfn(entries[i]);
	SAFE_MADVISE(win->addr, len, MADV_PAGEOUT);
	marked = count_pfns(pfns, KPF(KPF_RECLAIM) | KPF(KPF_DIRTY), 0);
	tst_drain_local_lru();
	if (sync_file_range(disk_fd, off, (off_t)len, SYNC_FILE_RANGE_WRITE) < 0)
		tst_brk(TBROK, "sync_file_range: %m");
	wait_written(pfns);
	/* Rotated but not yet moved: still active (lru_move_tail() clears it).
	 * The LRU flag is set on the old kernels, clear with the seed's fix. */
	queued = count_pfns(pfns, KPF(KPF_ACTIVE), KPF(KPF_RECLAIM) | KPF(KPF_DIRTY) | KPF(KPF_WRITEBACK));
	tst_value_long("move_tail.on_lru_in_batch", count_pfns(pfns, KPF(KPF_LRU), 0));
	if (marked < nr_pages || queued < nr_pages) {
		tst_res(TCONF, "%s: MADV_PAGEOUT marked %d of %d dirty pages for reclaim, and after their writeback "
			"%d sit active, clean, waiting to be rotated (%d active, %d dirty or under writeback, %d still "
			"PG_reclaim)", label, marked, nr_pages, queued, count_pfns(pfns, KPF(KPF_ACTIVE), 0),
			nr_pages - count_pfns(pfns, 0, KPF(KPF_WRITEBACK) | KPF(KPF_DIRTY)),
			count_pfns(pfns, KPF(KPF_RECLAIM), 0));
		return false;
	}
	return true;
}

static bool make_batch(enum batch b, struct window *win, const char *label)
{
	switch (b) {
	case LAZYFREE: return batch_lazyfree(win->addr);
	case DEACTIVATE: return batch_deactivate(win->addr, label);
	case DEACTIVATE_FILE: return batch_deactivate_file(win->addr);
	case ACTIVATE: return batch_activate(win->addr, label);
	case MLOCK: return batch_mlock(win, label);
	case LRU_ADD: return batch_lru_add(win->addr, label);
	case MOVE_TAIL: return batch_move_tail(win, label);
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
		iov[i] = (struct iovec){ w + i * PAGE_SIZE, PAGE_SIZE };
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

static struct pin_outcome pin_gup_benchmark(char *w, bool write)
{
	struct gup_test g;
	struct pin_outcome o = { 0, 0, 0 };

	memset(&g, 0, sizeof(g));
	g.addr = (uintptr_t)w;
	g.size = nr_pages * PAGE_SIZE;
	g.nr_pages_per_call = nr_pages;
	g.gup_flags = write ? GUP_FOLL_WRITE : 0;
	if (ioctl(gup_fd, PIN_LONGTERM_BENCHMARK, &g) < 0)
		o.err = errno;
	else
		o.pinned = g.size / PAGE_SIZE;  /* a failed pin reads as 0 bytes, not as an error */
	if (!o.err && o.pinned < nr_pages)
		o.err = SHORT_PIN;
	o.in_cma = count_in_cma(w);
	return o;
}

static struct pin_outcome pin_gup_longterm(char *w, bool write)
{
	struct pin_longterm_test t = { (uintptr_t)w, nr_pages * PAGE_SIZE,
				       write ? PIN_LONGTERM_TEST_FLAG_USE_WRITE : 0 };
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

struct pin_call {
	enum pin p;
	const struct window *win;
	struct pin_outcome o;
};

static void pin_now(void *arg)
{
	struct pin_call *c = arg;
	bool write = !c->win->read_only;

	switch (c->p) {
	case IO_URING: c->o = pin_io_uring(c->win->pin_at); break;
	case GUP_BENCHMARK: c->o = pin_gup_benchmark(c->win->pin_at, write); break;
	default: c->o = pin_gup_longterm(c->win->pin_at, write); break;
	}
}

/* On this CPU, or on the worker's (another CPU) with --pin-cpu other. */
static struct pin_outcome do_pin(enum pin p, const struct window *win)
{
	struct pin_call c = { p, win, { 0, 0, 0 } };

	if (pin_worker)
		tst_worker_call(pin_worker, pin_now, &c);
	else
		pin_now(&c);
	return c.o;
}

/* ---- one case ---- */

static const char *pin_call_name(enum pin p)
{
	static const char *const calls[NR_PINS] = {
		"IORING_REGISTER_BUFFERS", "PIN_LONGTERM_BENCHMARK", "PIN_LONGTERM_TEST_START",
	};
	return calls[p];
}

static const char *outcome_word(struct pin_outcome o)
{
	return o.err == SHORT_PIN ? "short_pin" : o.err ? strerrorname_np(o.err) : "pinned";
}

static void report_values(const char *key_prefix, struct pin_outcome o, long migrate_fail, long migrate_ok)
{
	char key[96];

	snprintf(key, sizeof(key), "%s.outcome", key_prefix);
	tst_value(key, "%s", outcome_word(o));
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

	if (!batch_counters[b])
		return;
	snprintf(key, sizeof(key), "%s.%s_before_pin", key_prefix, batch_counters[b]);
	tst_value_long(key, drained[1] - drained[0]);
	snprintf(key, sizeof(key), "%s.%s_by_pin", key_prefix, batch_counters[b]);
	tst_value_long(key, drained[2] - drained[1]);
	if (drained[1] != drained[0])
		tst_res(TINFO, "%s: %s moved by %ld before the pin: something drained the batch early",
			label, batch_counters[b], drained[1] - drained[0]);
}

static void describe_failure(char *buf, size_t len, enum pin p, struct pin_outcome o, long migrate_fail)
{
	if (o.err == SHORT_PIN)
		snprintf(buf, len, "%s pinned %ld of %d pages, %d of %d pages still in CMA, pgmigrate_fail +%ld",
			 pin_call_name(p), o.pinned, nr_pages, o.in_cma, nr_pages, migrate_fail);
	else
		snprintf(buf, len, "%s -> %s, %d of %d pages still in CMA, pgmigrate_fail +%ld", pin_call_name(p),
			 strerrorname_np(o.err), o.in_cma, nr_pages, migrate_fail);
}

/* One letter per page of the window, for the record of a failed pin:
 * l on the LRU, a active, r referenced, s swap-backed (anon not lazyfree),
 * c in CMA; '-' for a page not present. */
static void record_page_flags(const char *key_prefix, const char *what, char *w)
{
	static const struct { int kpf; char c; } bits[] = {
		{ KPF_LRU, 'l' }, { KPF_ACTIVE, 'a' }, { KPF_REFERENCED, 'r' }, { KPF_SWAPBACKED, 's' },
	};
	uint64_t entries[MAX_PAGES];
	char flags[MAX_PAGES * 8], key[96];
	size_t n = 0;

	tst_pagemap_range(w, nr_pages, entries);
	for (int i = 0; i < nr_pages; i++) {
		uint64_t pfn = tst_pagemap_pfn(entries[i]), f = pfn ? tst_kpageflags(pfn) : 0;

		if (i)
			flags[n++] = ',';
		if (!pfn)
			flags[n++] = '-';
		for (size_t b = 0; pfn && b < ARRAY_SIZE(bits); b++)
			if (f >> bits[b].kpf & 1)
				flags[n++] = bits[b].c;
		if (pfn && pfn_in_cma(pfn))
			flags[n++] = 'c';
	}
	flags[n] = '\0';
	snprintf(key, sizeof(key), "%s.%s_flags", key_prefix, what);
	tst_value(key, "%s", flags);
}

/* Drains every CPU's batches and pins again; the values go under
 * key_prefix.tag_*. */
static struct pin_outcome pin_after_drain(const char *key_prefix, const char *tag, enum pin p, struct window *win)
{
	struct pin_outcome o;
	long fail0, ok0;
	char key[96];

	tst_drain_all_lru();
	snprintf(key, sizeof(key), "%s_drained", tag);
	record_page_flags(key_prefix, key, win->pin_at);
	fail0 = tst_vmstat("pgmigrate_fail");
	ok0 = tst_vmstat("pgmigrate_success");
	o = do_pin(p, win);
	snprintf(key, sizeof(key), "%s.%s_outcome", key_prefix, tag);
	tst_value(key, "%s", outcome_word(o));
	snprintf(key, sizeof(key), "%s.%s_in_cma", key_prefix, tag);
	tst_value_long(key, o.in_cma);
	snprintf(key, sizeof(key), "%s.%s_pgmigrate_fail", key_prefix, tag);
	tst_value_long(key, tst_vmstat("pgmigrate_fail") - fail0);
	snprintf(key, sizeof(key), "%s.%s_pgmigrate_success", key_prefix, tag);
	tst_value_long(key, tst_vmstat("pgmigrate_success") - ok0);
	snprintf(key, sizeof(key), "%s_pinned", tag);
	record_page_flags(key_prefix, key, win->pin_at);
	return o;
}

/* The first pin failed: drain every CPU's batches and pin again. Only a
 * retry that pins and leaves CMA shows the batch's reference was the cause.
 *
 * One more drain and retry is allowed, because the retry itself can batch
 * a page: pin_user_pages_fast() (io_uring) walks with FOLL_TOUCH, and
 * mark_page_accessed() on a page that is already PG_referenced calls
 * folio_activate(), which queues it, LRU flag set, on the pinning CPU's
 * activate batch; the buggy gup does not drain that either. It happens
 * with the pin on the other CPU after a lazyfree batch: the failed pass
 * touched the first page (PG_referenced) and put it back through the
 * pinning CPU's lru_add batch, so when the batch's CPU was drained it had
 * no LRU flag and lru_lazyfree() skipped it, the one step that would have
 * cleared PG_referenced. The second retry finds it active and untouched by
 * folio_activate(). pin_user_pages() (gup_test) does not set FOLL_TOUCH. */
static void tie_to_batch(const char *key_prefix, const char *label, enum pin p, struct window *win,
			 struct pin_outcome first, long migrate_fail)
{
	struct pin_outcome retry;
	char why[256];
	bool again = false;

	describe_failure(why, sizeof(why), p, first, migrate_fail);
	record_page_flags(key_prefix, "failed", win->pin_at);
	retry = pin_after_drain(key_prefix, "retry", p, win);
	if (retry.err || retry.in_cma) {
		again = true;
		retry = pin_after_drain(key_prefix, "retry2", p, win);
	}
	if (retry.err || retry.in_cma)
		tst_brk(TBROK, "%s: %s; after draining every CPU's LRU batches, twice, the pin still gives %s with %d "
			"pages in CMA: not the batch's reference", label, why, outcome_word(retry), retry.in_cma);
	tst_res(TFAIL, "%s: %s; after draining every CPU's LRU batches the same pin moved all %d pages out of "
		"CMA%s: the batch's reference made it fail", label, why, nr_pages,
		again ? " (at the second retry: the first one's FOLL_TOUCH had batched a page again)" : "");
}

static void report(const char *key_prefix, const char *label, enum pin p, struct window *win,
		   struct pin_outcome o, long migrate_fail, long migrate_ok)
{
	if (o.err > 0 && o.err != ENOMEM && o.err != EFAULT)
		tst_brk(TBROK, "%s: %s: %s", label, pin_call_name(p), strerror(o.err));
	if (o.err)
		tie_to_batch(key_prefix, label, p, win, o, migrate_fail);
	else if (o.in_cma)
		tst_res(TFAIL, "%s: %s pinned %d pages but %d of them are still in CMA", label, pin_call_name(p),
			nr_pages, o.in_cma);
	else
		tst_res(TPASS, "%s: %s pinned %d pages, all moved out of CMA (pgmigrate_success +%ld)", label,
			pin_call_name(p), nr_pages, migrate_ok);
}

static void check_data(const char *label, const struct window *win)
{
	char *w = win->addr;

	if (win->read_only) {
		if (memcmp(w, file_copy, nr_pages * PAGE_SIZE))
			tst_res(TFAIL, "%s: the file pages read back differently after the pin", label);
		return;
	}
	for (int i = 0; i < nr_pages; i++) {
		char *page = w + i * PAGE_SIZE;

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

static long counter_or_zero(const char *name)
{
	return name ? tst_vmstat(name) : 0;
}

static struct window window_for(enum batch b)
{
	struct window win = { NULL, NULL, b == DEACTIVATE_FILE || b == MOVE_TAIL };
	struct window_pool *pools[NR_BATCHES] = {
		[MLOCK] = &shmem_pool, [DEACTIVATE_FILE] = &file_pool, [MOVE_TAIL] = &disk_pool,
	};

	win.addr = take_window(pools[b] ? pools[b] : &anon_pool);
	win.pin_at = win.addr;
	return win;
}

/* The move_tail batch held the pages if pgrotated counted them when it
 * was drained: by the pin (gup's drain), by a retry's drain, or now. */
static void confirm_rotated(const char *key_prefix, const char *label, long pgrotated_batched)
{
	char key[96];
	long rotated;

	tst_drain_all_lru();
	rotated = tst_vmstat("pgrotated") - pgrotated_batched;
	snprintf(key, sizeof(key), "%s.pgrotated_after_batch", key_prefix);
	tst_value_long(key, rotated);
	if (rotated < nr_pages)
		tst_brk(TBROK, "%s: pgrotated counted %ld of the %d pages: they were not in the move_tail batch",
			label, rotated, nr_pages);
}

/* Drained, on the LRU, batched, pinned: nothing in between may drain. The
 * pages still flagged LRU in the batch are counted for the record: the
 * seed's fix clears the flag of what it batches. */
static void run_case(enum batch b, enum pin p)
{
	struct window win = window_for(b);
	long fail_before, ok_before, fail, ok, drained[3];
	char key_prefix[64], label[96], key[96];
	struct pin_outcome o;
	int on_lru;

	snprintf(key_prefix, sizeof(key_prefix), "%s.%s", batch_names[b], pin_names[p]);
	snprintf(label, sizeof(label), "%s batch, %s%s", batch_names[b], pin_names[p],
		 pin_worker ? " on another CPU" : "");
	tst_drain_local_lru();
	if (count_flag(win.addr, KPF_LRU) < nr_pages)
		tst_brk(TBROK, "%s: after a drain only %d of %d pages are on the LRU", label,
			count_flag(win.addr, KPF_LRU), nr_pages);
	fail_before = tst_vmstat("pgmigrate_fail");
	ok_before = tst_vmstat("pgmigrate_success");
	drained[0] = counter_or_zero(batch_counters[b]);
	if (!make_batch(b, &win, label))
		return;
	drained[1] = counter_or_zero(batch_counters[b]);
	on_lru = count_flag(win.pin_at, KPF_LRU);
	o = do_pin(p, &win);
	drained[2] = counter_or_zero(batch_counters[b]);
	fail = tst_vmstat("pgmigrate_fail") - fail_before;
	ok = tst_vmstat("pgmigrate_success") - ok_before;
	snprintf(key, sizeof(key), "%s.on_lru_in_batch", key_prefix);
	tst_value_long(key, on_lru);
	report_values(key_prefix, o, fail, ok);
	report_drains(key_prefix, label, b, drained);
	report(key_prefix, label, p, &win, o, fail, ok);
	check_data(label, &win);
	if (b == MOVE_TAIL)
		confirm_rotated(key_prefix, label, drained[1]);
	if (win.pin_at != win.addr)
		SAFE_MUNMAP(win.pin_at, nr_pages * PAGE_SIZE);
}

/* io_uring pins its buffers with FOLL_WRITE: a read-only file mapping
 * refuses that, and 6.1's io_uring refuses file-backed buffers anyway. */
static bool pin_fits(enum batch b, enum pin p)
{
	if (b == MOVE_TAIL && p == IO_URING) {
		tst_res(TCONF, "move_tail batch, io_uring: gup refuses a writable long-term pin of a shared ext4 "
			"mapping (dirty tracking); gup_test pins the pages read-only");
		return false;
	}
	if (b != DEACTIVATE_FILE || p != IO_URING)
		return true;
	tst_res(TCONF, "deactivate_file batch, io_uring: io_uring pins writable and takes no buffer of a "
		"file mapping; gup_test pins the file pages read-only");
	return false;
}

static void run_batch(enum batch b)
{
	if (b == DEACTIVATE_FILE && file_unusable) {
		tst_res(TCONF, "deactivate_file batch: %s", file_unusable);
		return;
	}
	if (b == MOVE_TAIL && disk_unusable) {
		tst_res(TCONF, "move_tail batch: %s", disk_unusable);
		return;
	}
	for (int p = 0; p < NR_PINS; p++)
		if (want_pin[p] && pin_available(p) && pin_fits(b, p))
			run_case(b, p);
}

static void scenario_lazyfree(void) { run_batch(LAZYFREE); }
static void scenario_deactivate(void) { run_batch(DEACTIVATE); }
static void scenario_deactivate_file(void) { run_batch(DEACTIVATE_FILE); }
static void scenario_activate(void) { run_batch(ACTIVATE); }
static void scenario_mlock(void) { run_batch(MLOCK); }
static void scenario_lru_add(void) { run_batch(LRU_ADD); }
static void scenario_move_tail(void) { run_batch(MOVE_TAIL); }

/* ---- setup, cleanup ---- */

static int selected_anon_batches(void)
{
	static const char *const anon[] = { "lazyfree", "deactivate", "activate", "lru_add" };
	int n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(anon); i++)
		n += tst_scenario_selected(anon[i]);
	return n;
}

static bool cpu_online(int cpu)
{
	char path[96], buf[8];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d", cpu);
	if (access(path, F_OK) < 0)
		return false;
	/* No "online" file: a CPU that cannot go offline (cpu0). */
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	return tst_read_file(path, buf, sizeof(buf)) < 0 || buf[0] == '1';
}

/* --pin-cpu other: a worker on the first online CPU that is not ours. */
static void start_pin_worker(int batch_cpu)
{
	int other = -1;

	if (!strcmp(pin_cpu_arg, "same"))
		return;
	if (strcmp(pin_cpu_arg, "other"))
		tst_brk(TBROK, "--pin-cpu wants same or other, got '%s'", pin_cpu_arg);
	for (int cpu = 0; cpu < sysconf(_SC_NPROCESSORS_CONF) && other < 0; cpu++)
		if (cpu != batch_cpu && cpu_online(cpu))
			other = cpu;
	if (other < 0)
		tst_brk(TCONF, "--pin-cpu other: no online CPU besides %d (the case needs cpus = 2)", batch_cpu);
	pin_worker = tst_worker_start(other);
	tst_value_long("pin_cpu", other);
}

static void setup(void)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	int cpu, pins = count_pins();

	if (!fault_mb)
		fault_mb = tst_meminfo_kb("MemFree") / 1024 / 2;
	fault_len = (size_t)fault_mb << 20;
	/* io_uring charges registered buffers to RLIMIT_MEMLOCK without
	 * CAP_IPC_LOCK, and that failure is ENOMEM too; mlock2 needs it too. */
	SAFE_SETRLIMIT(RLIMIT_MEMLOCK, &unlimited);
	nr_cma = tst_cma_find(min_cma_mb, cma, MAX_CMA_AREAS);
	cpu = pin_to_cma_node();
	lru_gen = tst_lru_gen_enabled();
	tst_value("lru", "%s", lru_gen ? "MGLRU" : "classic");
	if (want_pin[IO_URING])
		open_io_uring();
	if (want_pin[GUP_BENCHMARK] || want_pin[GUP_LONGTERM])
		open_gup_test();
	start_pin_worker(cpu);
	fault_anon_windows(selected_anon_batches() * pins);
	fault_shmem_windows(tst_scenario_selected("mlock") ? pins : 0);
	fault_file_windows(tst_scenario_selected("deactivate_file") ? pins - want_pin[IO_URING] : 0);
	fault_disk_windows(tst_scenario_selected("move_tail") ? pins - want_pin[IO_URING] : 0);
	tst_value_long("faulted_mb", faulted >> 20);
}

static void cleanup(void)
{
	if (pin_worker)
		tst_worker_stop(pin_worker);
	if (uring_fd >= 0)
		close(uring_fd);
	if (gup_fd >= 0)
		close(gup_fd);
	if (file_fd >= 0)
		close(file_fd);
	if (disk_fd >= 0)
		close(disk_fd);
}

static const struct tst_option options[] = {
	{ "pages", TST_OPT_INT, &nr_pages, 1, MAX_PAGES, NULL, "pages per window (8; below 15, the 6.1 batch size)" },
	{ "min-cma-mb", TST_OPT_LONG, &min_cma_mb, 0, 1L << 20, NULL, "CmaTotal the case reserved" },
	{ "fault-mb", TST_OPT_LONG, &fault_mb, 1, 1L << 20, NULL, "memory to fault looking for windows "
	  "(half of MemFree)" },
	{ "pins", TST_OPT_LIST, want_pin, 0, 0, pin_names, "io_uring,gup_benchmark,gup_longterm" },
	{ "pin-cpu", TST_OPT_STR, &pin_cpu_arg, 0, 0, NULL, "same (the batch's CPU) or other" },
	{ "file", TST_OPT_STR, &file_path, 0, 0, NULL, "a file of 4 MiB or more on a file system with a backing "
	  "device, for deactivate_file (/usr/bin/qemu-system-x86_64, on the 9p root)" },
	{ "disk", TST_OPT_STR, &disk_dev, 0, 0, NULL, "the case's scratch disk, made ext4 for move_tail (/dev/vda)" },
	{ NULL, 0, NULL, 0, 0, NULL, NULL },
};

static const struct tst_scenario scenarios[] = {
	{ "lazyfree", scenario_lazyfree, "pages in the lazyfree batch are pinned and moved out of CMA", false },
	{ "deactivate", scenario_deactivate, "pages in the deactivate batch are pinned and moved out of CMA",
	  false },
	{ "deactivate_file", scenario_deactivate_file, "mapped page-cache pages in the deactivate_file batch "
	  "(POSIX_FADV_DONTNEED) are pinned read-only and moved out of CMA", false },
	{ "activate", scenario_activate, "pages in the activate batch are pinned and moved out of CMA", false },
	{ "mlock", scenario_mlock,
	  "mlock(MLOCK_ONFAULT) pages in the mlock batch (LRU flag set) are pinned and moved out of CMA", true },
	{ "move_tail", scenario_move_tail, "dirty ext4 page-cache pages marked for reclaim by MADV_PAGEOUT, in the "
	  "move_tail batch once written back, are pinned read-only and moved out of CMA", true },
	{ "lru_add", scenario_lru_add, "control: freshly faulted pages (no LRU flag) are pinned and moved out "
	  "of CMA on every kernel", true },
	{ NULL, NULL, NULL, false },
};

static const struct tst_tag tags[] = {
	/* The seed's fix; the mlock batch escaped it. */
	{ "linux-git", "33dfe9204f29" },  /* mm/gup: clear the LRU flag of a page before adding to LRU batch */
	/* The rework that replaced it (Hugh Dickins, 2025; in Debian 6.12.117 and 6.1.192). */
	{ "linux-git", "98c6d259319e" },  /* mm/gup: check ref_count instead of lru before migration */
	{ "linux-git", "a09a8a1fbb37" },  /* mm/gup: local lru_add_drain() to avoid lru_add_drain_all() */
	{ NULL, NULL },
};

static struct tst_test test = {
	.name = "cma_longterm_pin",
	.tags = tags,
	.options = options,
	.scenarios = scenarios,
	.runtime = 150,
	.needs_kconfigs = kconfigs,
	.knobs = knobs,
	.setup = setup,
	.cleanup = cleanup,
};

TST_MAIN(test)
