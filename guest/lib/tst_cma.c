/* CMA areas of the running kernel, for workloads that need to know whether
 * a page lies in CMA. */
#include "tst.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <unistd.h>

#define DEBUGFS "/sys/kernel/debug"

static void mount_debugfs(void)
{
	if (access(DEBUGFS "/cma", F_OK) == 0 || access(DEBUGFS "/gup_test", F_OK) == 0)
		return;
	if (mount("debugfs", DEBUGFS, "debugfs", 0, NULL) < 0 && errno != EBUSY)
		tst_res(TINFO, "mount debugfs on " DEBUGFS ": %m");
}

static bool read_u64(const char *path, uint64_t *v)
{
	char buf[64], *end;

	if (tst_read_file(path, buf, sizeof(buf)) <= 0)
		return false;
	*v = strtoull(buf, &end, 0);
	return end != buf;
}

/* CONFIG_CMA_DEBUGFS: cma/<area>/base_pfn and count (in pages). */
static int areas_from_debugfs(struct tst_cma_area *areas, int max)
{
	DIR *d = opendir(DEBUGFS "/cma");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		char path[512];
		struct tst_cma_area a;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), DEBUGFS "/cma/%s/base_pfn", e->d_name);
		if (!read_u64(path, &a.base))
			continue;
		snprintf(path, sizeof(path), DEBUGFS "/cma/%s/count", e->d_name);
		if (read_u64(path, &a.count) && a.count)
			areas[n++] = a;
	}
	closedir(d);
	return n;
}

/* Without CMA debugfs: mm/cma.c logs "cma: Reserved N MiB at 0x...". */
static int areas_from_kernel_log(struct tst_cma_area *areas, int max)
{
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0), n = 0;
	char *buf, *p;

	if (len <= 0 || !(buf = calloc(1, len + 1)))
		return 0;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len);
	for (p = buf; len > 0 && n < max && (p = strstr(p, "cma: Reserved ")); p++) {
		unsigned long mib;
		unsigned long long at;

		if (sscanf(p, "cma: Reserved %lu MiB at %llx", &mib, &at) == 2)
			areas[n++] = (struct tst_cma_area){ at / PAGE_SIZE, (uint64_t)mib << 20 >> 12 };
	}
	free(buf);
	return n;
}

bool tst_pfn_in_cma(const struct tst_cma_area *areas, int n, uint64_t pfn)
{
	for (int i = 0; i < n; i++)
		if (pfn >= areas[i].base && pfn < areas[i].base + areas[i].count)
			return true;
	return false;
}

int tst_cma_find(long min_mb, struct tst_cma_area *areas, int max)
{
	long total_kb = tst_meminfo_kb("CmaTotal");
	int n;

	tst_value_long("CmaTotal_kB", total_kb);
	tst_value_long("CmaFree_kB", tst_meminfo_kb("CmaFree"));
	if (total_kb < 0)
		tst_brk(TBROK, "/proc/meminfo has no CmaTotal although CONFIG_CMA is set");
	if (total_kb == 0 || total_kb < min_mb * 1024)
		tst_brk(TBROK, "cma= reservation failed: CmaTotal=%ld kB, the case needs %ld MiB", total_kb,
			min_mb);
	mount_debugfs();
	n = areas_from_debugfs(areas, max);
	if (!n)
		n = areas_from_kernel_log(areas, max);
	if (!n)
		tst_brk(TBROK, "CmaTotal=%ld kB but no CMA area found in " DEBUGFS "/cma or the kernel log",
			total_kb);
	tst_value("cma_base_pfn", "%#llx", (unsigned long long)areas[0].base);
	tst_value("cma_pages", "%llu", (unsigned long long)areas[0].count);
	tst_value_long("cma_areas", n);
	return n;
}
