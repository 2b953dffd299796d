// SPDX-License-Identifier: GPL-2.0
/*
 * MADV_FREE in a parent makes reclaim discard pages that its fork child
 * still maps, when the pages were read back from zram before the fork:
 * the child, which never called MADV_FREE, reads zeros.
 *
 * Steps (all in this program, as root):
 *   1. 4 MiB of private anonymous memory, MADV_NOHUGEPAGE (order-0 folios
 *      only), filled with a pattern of odd bytes (never zero);
 *   2. MADV_PAGEOUT while this process is its only user: every page goes
 *      to swap, which must be zram;
 *   3. every page read back (read faults only). zram is SWP_SYNCHRONOUS_IO
 *      and the swap entries are not shared, so do_swap_page() reads each
 *      page without the swap cache, maps it with a clean PTE and frees
 *      its swap slot; nothing marks the folio dirty;
 *   4. fork(): the child checks every byte, then only waits;
 *   5. the parent calls MADV_FREE on the 4 MiB and writes memory.reclaim
 *      of its own memory cgroup (the child is in it too) until none of the
 *      4 MiB is resident in the parent;
 *   6. the child checks every byte again.
 * Exit 0: the child kept its data. Exit 1: it lost some (the last line
 * says how much, "BUG: ..."). Exit 4: could not test (no zram swap, no
 * cgroup v2 memory controller with memory.reclaim, pages that did not go
 * out or come back).
 *
 * Needs: Linux 5.19 or later (memory.reclaim), cgroup v2 mounted at
 * /sys/fs/cgroup with the memory controller available, and swap on zram.
 * If no swap is on at all, the program sets up /dev/zram0 itself (512 MiB,
 * its own swap header, swapon(2)); with swap on another device it refuses
 * (exit 4), because a disk keeps the swap cache and does not show the bug.
 *
 * Run as the init of an initramfs (pid 1), it mounts /proc, /sys, /dev
 * and cgroup v2 first and powers the machine off at the end, so a bare
 * kernel with CONFIG_ZRAM=y and this one file boot it under plain qemu.
 *
 * Build: gcc -O2 -static -o madv-free-swapin-fork madv-free-swapin-fork.c
 * The write-up, with the kernels measured and the run steps, is
 * madv-free-swapin-fork.md next to this file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE_SZ     4096UL
#define LEN         (4UL << 20)
#define ZRAM_SIZE   (512UL << 20)
#define CGROUP      "/sys/fs/cgroup/madv-free-swapin-fork"
#define MAX_ROUNDS  16
#define CANNOT_TEST 4

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

static void read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);

	buf[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
}

/* zram0 as swap, with a swap header of our own (what mkswap writes). */
static int swap_on_new_zram(void)
{
	char page[PAGE_SZ];
	uint32_t *info = (uint32_t *)(page + 1024);
	int fd;

	if (access("/sys/block/zram0", F_OK))
		write_file("/sys/class/zram-control/hot_add", "1");
	snprintf(page, sizeof(page), "%lu", ZRAM_SIZE);
	if (write_file("/sys/block/zram0/disksize", page))
		return -1;
	memset(page, 0, sizeof(page));
	info[0] = 1;                         /* version */
	info[1] = ZRAM_SIZE / PAGE_SZ - 1;   /* last page */
	memcpy(page + PAGE_SZ - 10, "SWAPSPACE2", 10);
	fd = open("/dev/zram0", O_WRONLY);
	if (fd < 0 || pwrite(fd, page, PAGE_SZ, 0) != (ssize_t)PAGE_SZ || fsync(fd))
		return -1;
	close(fd);
	return swapon("/dev/zram0", 0);
}

/* Swap must be on zram only: zram is what skips the swap cache. */
static int require_zram_swap(void)
{
	char swaps[4096], *line;
	int zram = 0, other = 0;

	read_file("/proc/swaps", swaps, sizeof(swaps));
	line = strchr(swaps, '\n');
	while (line && line[1]) {
		line++;
		if (!strncmp(line, "/dev/zram", 9))
			zram++;
		else
			other++;
		line = strchr(line, '\n');
	}
	if (!zram && !other) {
		if (swap_on_new_zram()) {
			perror("setting up swap on /dev/zram0");
			return -1;
		}
		return 0;
	}
	return other ? -1 : 0;
}

/* A memory cgroup of our own, for memory.reclaim; the fork child joins it
 * with us. */
static int join_memcg(void)
{
	char pid[32];

	write_file("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
	if (mkdir(CGROUP, 0755) && errno != EEXIST)
		return -1;
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (write_file(CGROUP "/cgroup.procs", pid) || access(CGROUP "/memory.reclaim", W_OK))
		return -1;
	return 0;
}

static uint8_t byte_at(size_t off)
{
	return (uint8_t)(((off >> 12) * 131 + (off & (PAGE_SZ - 1)) * 7) | 1);
}

struct mismatch {
	size_t bad, first;
	uint8_t got;
};

static struct mismatch compare(const volatile uint8_t *p)
{
	struct mismatch m = { 0, 0, 0 };

	for (size_t off = 0; off < LEN; off++)
		if (p[off] != byte_at(off) && !m.bad++) {
			m.first = off;
			m.got = p[off];
		}
	return m;
}

static size_t resident_pages(void *p)
{
	unsigned char vec[LEN / PAGE_SZ];
	size_t n = 0;

	if (mincore(p, LEN, vec))
		return LEN / PAGE_SZ;
	for (size_t i = 0; i < LEN / PAGE_SZ; i++)
		n += vec[i] & 1;
	return n;
}

/* MADV_PAGEOUT while we are the only user, then read every page back. */
static int swap_out_and_in(uint8_t *p)
{
	for (int i = 0; i < 3 && resident_pages(p); i++)
		madvise(p, LEN, MADV_PAGEOUT);
	if (resident_pages(p)) {
		printf("cannot test: MADV_PAGEOUT left %zu pages resident\n", resident_pages(p));
		return -1;
	}
	if (compare(p).bad || resident_pages(p) != LEN / PAGE_SZ) {
		printf("cannot test: the data read back from swap is wrong or not resident\n");
		return -1;
	}
	return 0;
}

/* MADV_FREE, then reclaim the cgroup until nothing of p is resident here;
 * returns the rounds it took. */
static int free_and_reclaim(uint8_t *p, char *scratch)
{
	char current[32] = "", amount[32];
	long bytes;
	int rounds = 0;

	madvise(p, LEN, MADV_FREE);
	while (rounds < MAX_ROUNDS && resident_pages(p)) {
		rounds++;
		madvise(scratch, PAGE_SZ, MADV_COLD);   /* lru_add_drain(): the lazyfree batch */
		read_file(CGROUP "/memory.current", current, sizeof(current));
		bytes = strtol(current, NULL, 10);
		snprintf(amount, sizeof(amount), "%ld", bytes > (long)PAGE_SZ ? bytes : (long)PAGE_SZ);
		write_file(CGROUP "/memory.reclaim", amount);   /* EAGAIN when it falls short */
	}
	return rounds;
}

static int child_serve(const uint8_t *p, int cmd, int reply)
{
	struct mismatch m = compare(p);
	char c;

	if (write(reply, &m, sizeof(m)) != sizeof(m) || read(cmd, &c, 1) != 1)
		return 1;
	m = compare(p);
	return write(reply, &m, sizeof(m)) != sizeof(m);
}

/* As pid 1 nothing is mounted yet. */
static void mount_as_init(void)
{
	static const char *const what[][3] = {
		{ "proc", "/proc", "proc" }, { "sysfs", "/sys", "sysfs" },
		{ "devtmpfs", "/dev", "devtmpfs" }, { "cgroup2", "/sys/fs/cgroup", "cgroup2" },
	};

	for (size_t i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
		mkdir(what[i][1], 0755);
		if (mount(what[i][0], what[i][1], what[i][2], 0, NULL) && errno != EBUSY)
			printf("mount %s: %s\n", what[i][1], strerror(errno));
	}
}

static int setup(uint8_t **p, char **scratch)
{
	cpu_set_t one;
	struct utsname u;

	setvbuf(stdout, NULL, _IONBF, 0);
	uname(&u);
	printf("kernel %s\n", u.release);
	/* One CPU: the MADV_COLD drain then reaches every LRU batch. */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);
	if (require_zram_swap()) {
		printf("cannot test: swap must be on zram only (see /proc/swaps)\n");
		return -1;
	}
	if (join_memcg()) {
		printf("cannot test: no cgroup v2 memory controller with memory.reclaim at /sys/fs/cgroup\n");
		return -1;
	}
	*p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	*scratch = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*p == MAP_FAILED || *scratch == MAP_FAILED || madvise(*p, LEN, MADV_NOHUGEPAGE))
		return -1;
	**scratch = 1;
	for (size_t off = 0; off < LEN; off++)
		(*p)[off] = byte_at(off);
	return 0;
}

static int run(void)
{
	int cmd[2], reply[2], rounds;
	struct mismatch m;
	uint8_t *p;
	char *scratch;
	pid_t child;

	if (setup(&p, &scratch) || swap_out_and_in(p) || pipe(cmd) || pipe(reply))
		return CANNOT_TEST;
	signal(SIGPIPE, SIG_IGN);
	child = fork();
	if (child < 0)
		return CANNOT_TEST;
	if (child == 0)
		_exit(child_serve(p, cmd[0], reply[1]));
	if (read(reply[0], &m, sizeof(m)) != sizeof(m) || m.bad) {
		printf("cannot test: the child's data was wrong before MADV_FREE\n");
		kill(child, SIGKILL);
		return CANNOT_TEST;
	}
	rounds = free_and_reclaim(p, scratch);
	printf("parent: MADV_FREE and %d reclaim rounds, %zu of %lu pages still resident\n", rounds,
	       resident_pages(p), LEN / PAGE_SZ);
	if (write(cmd[1], "c", 1) != 1 || read(reply[0], &m, sizeof(m)) != sizeof(m)) {
		printf("cannot test: the fork child died\n");
		return CANNOT_TEST;
	}
	waitpid(child, NULL, 0);
	if (m.bad) {
		printf("BUG: fork child lost data after the parent's MADV_FREE: %zu of %lu bytes differ, first at "
		       "offset %#zx: expected 0x%02x, read 0x%02x\n", m.bad, LEN, m.first, byte_at(m.first), m.got);
		return 1;
	}
	printf("OK: the fork child reads all %lu bytes intact\n", LEN);
	return 0;
}

int main(void)
{
	int rc;

	if (getpid() != 1)
		return run();
	mount_as_init();
	rc = run();
	printf("exit status %d, powering off\n", rc);
	sync();
	reboot(RB_POWER_OFF);
	return rc;
}
