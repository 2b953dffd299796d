/* Smoke test: proves the path host -> QEMU -> init -> workload -> result
 * works. Reads /proc/meminfo, maps and touches 16 MiB, checks a pattern;
 * with --disk-mb, the case's scratch disk too. */
#include "tst.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#define SMOKE_BYTES (16UL << 20)
#define DISK_DEVICE "/dev/vda"

static int disk_mb;

static void check_meminfo(void)
{
	long total = tst_meminfo_kb("MemTotal"), free_kb = tst_meminfo_kb("MemFree");

	if (total <= 0 || free_kb < 0)
		tst_brk(TBROK, "/proc/meminfo lacks MemTotal or MemFree");
	tst_value_long("MemTotal_kB", total);
	tst_value_long("MemFree_kB", free_kb);
	tst_res(TPASS, "/proc/meminfo: MemTotal %ld kB, MemFree %ld kB", total, free_kb);
}

static void check_uname(void)
{
	struct utsname u;

	if (uname(&u) < 0)
		tst_brk(TBROK, "uname: %m");
	tst_value("kernel_release", "%s", u.release);
	tst_value("kernel_version", "%s", u.version);
	tst_res(TINFO, "kernel %s %s", u.release, u.version);
}

static void check_memory(void)
{
	size_t words = SMOKE_BYTES / sizeof(uint64_t);
	uint64_t *p = SAFE_MMAP(NULL, SMOKE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	for (size_t i = 0; i < words; i++)
		p[i] = i * 0x9e3779b97f4a7c15ULL;
	for (size_t i = 0; i < words; i++) {
		if (p[i] != i * 0x9e3779b97f4a7c15ULL) {
			tst_res(TFAIL, "16 MiB pattern: word %zu reads %#llx", i, (unsigned long long)p[i]);
			SAFE_MUNMAP(p, SMOKE_BYTES);
			return;
		}
	}
	SAFE_MUNMAP(p, SMOKE_BYTES);
	tst_res(TPASS, "16 MiB mapped, touched and read back");
}

/* The disk's size as the kernel sees it, in 512-byte sectors. */
static long long disk_sectors(void)
{
	char text[64] = "";
	int fd = open("/sys/block/vda/size", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;

	if (fd >= 0)
		close(fd);
	return n > 0 ? atoll(text) : -1;
}

/* A block at the disk's start and one at its end, written, synced and read
 * back through the block layer. */
static void check_disk(void)
{
	char block[4096], back[4096];
	long long sectors = disk_sectors();
	off_t offsets[2] = { 0, ((off_t)disk_mb << 20) - (off_t)sizeof(block) };
	int fd;

	if (sectors < 0)
		tst_brk(TBROK, "no /sys/block/vda: the case's disk = %dM is not there", disk_mb);
	if (sectors != (long long)disk_mb * 2048) {
		tst_res(TFAIL, DISK_DEVICE " has %lld sectors, not the %d MiB the case asked for", sectors, disk_mb);
		return;
	}
	fd = SAFE_OPEN(DISK_DEVICE, O_RDWR);
	for (int i = 0; i < 2; i++) {
		memset(block, 'a' + i, sizeof(block));
		if (pwrite(fd, block, sizeof(block), offsets[i]) != (ssize_t)sizeof(block) || fsync(fd) < 0 ||
		    pread(fd, back, sizeof(back), offsets[i]) != (ssize_t)sizeof(back))
			tst_brk(TBROK, DISK_DEVICE " at %lld: %m", (long long)offsets[i]);
		if (memcmp(block, back, sizeof(block))) {
			tst_res(TFAIL, DISK_DEVICE " at %lld reads back other bytes", (long long)offsets[i]);
			SAFE_CLOSE(fd);
			return;
		}
	}
	SAFE_CLOSE(fd);
	tst_res(TPASS, DISK_DEVICE ": %d MiB, its first and last 4 KiB written and read back", disk_mb);
}

static void run(void)
{
	check_uname();
	check_meminfo();
	check_memory();
	if (disk_mb)
		check_disk();
}

static const struct tst_option options[] = {
	{ "disk-mb", TST_OPT_INT, &disk_mb, 0, 65536, NULL, "check the case's scratch disk of this size (0: none)" },
	{ NULL, 0, NULL, 0, 0, NULL, NULL },
};

static struct tst_test test = {
	.name = "smoke",
	.options = options,
	.runtime = 30,
	.run = run,
};

TST_MAIN(test)
