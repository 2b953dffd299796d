/* Smoke test: proves the path host -> QEMU -> init -> workload -> result
 * works. Reads /proc/meminfo, maps and touches 16 MiB, checks a pattern. */
#include "tst.h"

#include <stdint.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#define SMOKE_BYTES (16UL << 20)

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

static void run(void)
{
	check_uname();
	check_meminfo();
	check_memory();
}

static struct tst_test test = {
	.name = "smoke",
	.runtime = 30,
	.run = run,
};

TST_MAIN(test)
