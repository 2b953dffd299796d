/* Seeds 000/003, the real symptom: a VM with a VFIO device fails to start.
 *
 * This guest (L1) has a vIOMMU and QEMU's "edu" PCI device, bound here to
 * vfio-pci. L2's RAM is a tmpfs file faulted into CMA. A few of its pages
 * are put in CPU 0's activate LRU batch (read twice through gup with
 * FOLL_TOUCH), which holds a reference while their LRU flag stays set. Then
 * the host's QEMU starts L2 with the device passed through: vfio type1 pins
 * all of L2's RAM with FOLL_LONGTERM, which must migrate it out of CMA.
 *
 * L2 is started from CPU 1, so that exec(2) dropping the forked mm (which
 * drains the *current* CPU's batches) cannot drain CPU 0's batch. The old
 * gup code drains only for folios without the LRU flag, so migration fails
 * on the batch's extra reference and vfio's DMA map fails with ENOMEM.
 *
 * L2 runs a 64 KiB "BIOS" that prints one line on its serial port and halts:
 * reaching that line means the VM started.
 */
#include "tst.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 16            /* below the 31-folio batch: it must not flush */
#define MAX_CMA_AREAS 8
#define L2_MARKER "L2-SERIAL-OK"
#define L2_RAM "/tmp/mmrepro-l2-ram"
#define L2_BIOS "/tmp/mmrepro-l2-bios.bin"
#define EDU_VENDOR "0x1234"
#define EDU_DEVICE "0x11e8"

static long l2_mb = 128, min_cma_mb = 256;
static int batch_pages = MAX_BATCH, start_timeout_s = 90;
static struct tst_cma_area cma[MAX_CMA_AREAS];
static int nr_cma;
static char bdf[32];
static char *l2_ram;

/* khugepaged calls lru_add_drain_all() on every scan, which would empty the
 * batch while L2 starts. */
static const struct tst_knob knobs[] = {
	{ "/sys/kernel/mm/transparent_hugepage/enabled", "never", true },
	{ NULL, NULL, false },
};

static const char *const kconfigs[] = { "CONFIG_CMA", "CONFIG_VFIO_PCI", "CONFIG_IOMMU_SUPPORT", NULL };

/* ---- the passed-through device ---- */

static bool sysfs_equals(const char *dev, const char *attr, const char *want)
{
	char path[512], buf[64];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", dev, attr);
	return tst_read_file(path, buf, sizeof(buf)) > 0 && !strcmp(buf, want);
}

static void find_edu(void)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;

	if (!d)
		tst_brk(TBROK, "no /sys/bus/pci/devices");
	while ((e = readdir(d)))
		if (sysfs_equals(e->d_name, "vendor", EDU_VENDOR) && sysfs_equals(e->d_name, "device", EDU_DEVICE))
			snprintf(bdf, sizeof(bdf), "%s", e->d_name);
	closedir(d);
	if (!bdf[0])
		tst_brk(TCONF, "no QEMU edu device (1234:11e8): the case must add -device edu");
	tst_value("device", "%s", bdf);
}

static int iommu_group(void)
{
	char path[512], link[512];
	long group;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		tst_brk(TCONF, "%s has no IOMMU group: no vIOMMU, or intel_iommu=on missing", bdf);
	link[n] = '\0';
	if (tst_parse_long(strrchr(link, '/') + 1, 0, 1 << 20, &group) < 0)
		tst_brk(TBROK, "%s -> %s: not an IOMMU group number", path, link);
	return (int)group;
}

static void bind_vfio(void)
{
	char path[512], devnode[64];
	int group = iommu_group();

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	tst_write_file(path, "vfio-pci");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", bdf);
	tst_try_write_file(path, "%s", bdf);
	tst_write_file("/sys/bus/pci/drivers_probe", "%s", bdf);
	snprintf(devnode, sizeof(devnode), "/dev/vfio/%d", group);
	if (access(devnode, R_OK | W_OK) < 0)
		tst_brk(TBROK, "%s bound to vfio-pci but %s is missing: %m", bdf, devnode);
	tst_value_long("iommu_group", group);
}

/* ---- L2's RAM in CMA ---- */

static long pages_in_cma(char *p, long npages)
{
	long n = 0;

	for (long i = 0; i < npages; i++)
		n += tst_pfn_in_cma(cma, nr_cma, tst_vaddr_to_pfn(p + i * PAGE_SIZE));
	return n;
}

static void fault_l2_ram(void)
{
	size_t len = (size_t)l2_mb << 20;
	int fd = open(L2_RAM, O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		tst_brk(TBROK, "create %s: %m", L2_RAM);
	SAFE_FTRUNCATE(fd, (off_t)len);
	l2_ram = SAFE_MMAP(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	SAFE_CLOSE(fd);
	for (size_t off = 0; off < len; off += PAGE_SIZE)
		l2_ram[off] = 1;
}

/* The first run of batch_pages consecutive pages that all lie in CMA, above
 * L2's first MiB: QEMU's pc machine covers 0xa0000-0xfffff with VGA and
 * ROM, which vfio does not map, so pages there are never pinned. */
static char *cma_window(void)
{
	long npages = l2_mb << 20 >> 12, run = 0;

	for (long i = (1L << 20) / PAGE_SIZE; i < npages; i++) {
		run = tst_pfn_in_cma(cma, nr_cma, tst_vaddr_to_pfn(l2_ram + i * PAGE_SIZE)) ? run + 1 : 0;
		if (run == batch_pages)
			return l2_ram + (i + 1 - run) * PAGE_SIZE;
	}
	tst_brk(TBROK, "no %d consecutive L2 RAM pages in CMA", batch_pages);
}

/* ---- the activate batch ---- */

/* process_vm_readv(2) walks our page tables with FOLL_TOUCH: the first read
 * marks the pages referenced, the second calls folio_activate(), which puts
 * them in this CPU's activate batch with an extra reference. */
static void read_through_gup(char *w)
{
	static char sink[MAX_BATCH * 64];
	struct iovec local = { sink, (size_t)batch_pages * 64 }, remote[MAX_BATCH];

	for (int i = 0; i < batch_pages; i++)
		remote[i] = (struct iovec){ w + i * PAGE_SIZE, 64 };
	if (process_vm_readv(getpid(), &local, 1, remote, batch_pages, 0) != (ssize_t)local.iov_len)
		tst_brk(errno == ENOSYS ? TCONF : TBROK, "process_vm_readv: %m");
}

/* The freshly faulted L2 pages must leave the lru_add batch first: a page
 * without the LRU flag makes the old gup code call lru_add_drain_all(),
 * which would also empty the activate batch and hide the bug. */
static void fill_activate_batch(char *w)
{
	int referenced = 0;

	tst_drain_local_lru();
	read_through_gup(w);
	for (int i = 0; i < batch_pages; i++)
		referenced += tst_kpf(tst_vaddr_to_pfn(w + i * PAGE_SIZE), KPF_REFERENCED);
	if (referenced < batch_pages)
		tst_brk(TBROK, "a gup read marked only %d of %d pages referenced", referenced, batch_pages);
	read_through_gup(w);
}

/* ---- L2 ---- */

/* Reset vector F000:FFF0 jumps to F000:F000, which writes the marker to
 * COM1 (QEMU's UART needs no setup) and halts. */
static void write_l2_bios(void)
{
	static unsigned char rom[65536];
	const char *msg = L2_MARKER "\r\n";
	size_t at = 0xF000;
	FILE *f;

	memset(rom, 0xF4, sizeof(rom));
	rom[at++] = 0xBA, rom[at++] = 0xF8, rom[at++] = 0x03;       /* mov dx, 0x3f8 */
	for (const char *c = msg; *c; c++)
		rom[at++] = 0xB0, rom[at++] = (unsigned char)*c, rom[at++] = 0xEE; /* mov al, c; out dx, al */
	rom[at++] = 0xFA, rom[at++] = 0xF4, rom[at++] = 0xEB, rom[at++] = 0xFD; /* cli; hlt; jmp hlt */
	rom[0xFFF0] = 0xE9, rom[0xFFF1] = 0x0D, rom[0xFFF2] = 0xF0;   /* jmp near F000 */
	f = fopen(L2_BIOS, "wb");
	if (!f || fwrite(rom, 1, sizeof(rom), f) != sizeof(rom) || fclose(f) != 0)
		tst_brk(TBROK, "write %s: %m", L2_BIOS);
}

static pid_t start_l2(int out_fd, int cpu)
{
	char mem[128], size[32], dev[64];
	pid_t pid;

	snprintf(mem, sizeof(mem), "memory-backend-file,id=l2ram,mem-path=%s,size=%ldM,share=on", L2_RAM, l2_mb);
	snprintf(size, sizeof(size), "%ldM", l2_mb);
	snprintf(dev, sizeof(dev), "vfio-pci,host=%s", bdf);
	pid = SAFE_FORK();
	if (pid != 0)
		return pid;
	tst_pin_cpu(cpu);
	dup2(out_fd, 1);
	dup2(out_fd, 2);
	execlp("qemu-system-x86_64", "qemu-system-x86_64", "-nodefaults", "-no-user-config", "-display", "none",
	       "-accel", "tcg", "-machine", "pc,memory-backend=l2ram", "-m", size, "-object", mem, "-bios",
	       L2_BIOS, "-serial", "stdio", "-monitor", "none", "-device", dev, (char *)NULL);
	fprintf(stderr, "exec qemu-system-x86_64: %s\n", strerror(errno));
	_exit(127);
}

/* Collects L2's output until the marker, its exit, or the timeout. The
 * parent stays on CPU 0 and allocates nothing meanwhile. */
static bool wait_for_marker(int fd, pid_t pid, char *out, size_t len, int *status)
{
	size_t n = 0;
	struct tst_deadline end;

	tst_deadline_start(&end, start_timeout_s);
	out[0] = '\0';
	while (!tst_deadline_passed(&end) && !strstr(out, L2_MARKER)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 1000) <= 0)
			continue;
		ssize_t r = read(fd, out + n, len - n - 1);
		if (r <= 0)
			break;
		n += (size_t)r;
		out[n] = '\0';
	}
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	return strstr(out, L2_MARKER) != NULL;
}

/* QEMU's report of the long-term pin failing: vfio_dma_map(...) = -12
 * (Cannot allocate memory). Other vfio errors are setup problems. */
static const char *vfio_dma_map_failed(const char *out)
{
	const char *p = strstr(out, "vfio_dma_map");
	static char line[256];

	if (!p || !(strstr(p, "-12") || strstr(p, "Cannot allocate memory") || strstr(p, "-14")))
		return NULL;
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(p, "\n"), p);
	return line;
}

static const char *last_line(char *out)
{
	char *p;

	while ((p = strrchr(out, '\n')) && p[1] == '\0')
		*p = '\0';
	p = strrchr(out, '\n');
	return p ? p + 1 : out;
}

static void setup(void)
{
	if (tst_cpu_of_node(0) < 0)
		tst_brk(TCONF, "node 0 has no CPU");
	nr_cma = tst_cma_find(min_cma_mb, cma, MAX_CMA_AREAS);
	find_edu();
	bind_vfio();
	write_l2_bios();
	tst_pin_cpu(0);
	fault_l2_ram();
}

static void run(void)
{
	long npages = l2_mb << 20 >> 12, before = pages_in_cma(l2_ram, npages), pins = tst_vmstat("nr_foll_pin_acquired");
	char out[8192], *w = cma_window();
	int fds[2], status = 0;
	bool started;

	tst_value_long("l2_pages", npages);
	tst_value_long("l2_pages_in_cma_before", before);
	SAFE_PIPE(fds);
	fill_activate_batch(w);
	pid_t pid = start_l2(fds[1], 1);
	close(fds[1]);
	started = wait_for_marker(fds[0], pid, out, sizeof(out), &status);
	close(fds[0]);
	pins = tst_vmstat("nr_foll_pin_acquired") - pins;
	tst_value_long("foll_pins_acquired", pins);
	tst_value_long("l2_pages_in_cma_after", pages_in_cma(l2_ram, npages));
	tst_value_long("pgmigrate_fail", tst_vmstat_delta("pgmigrate_fail"));
	tst_value_long("pgmigrate_success", tst_vmstat_delta("pgmigrate_success"));
	if (started && pins >= npages)
		tst_res(TPASS, "L2 with vfio-pci %s reached its first serial line; %ld pins, %ld of %ld pages moved "
			"out of CMA", bdf, pins, before - pages_in_cma(l2_ram, npages), before);
	else if (started)
		tst_res(TFAIL, "L2 started but only %ld of %ld RAM pages were pinned", pins, npages);
	else if (vfio_dma_map_failed(out))
		tst_res(TFAIL, "L2 failed to start (activate batch of %d CMA pages): %s", batch_pages,
			vfio_dma_map_failed(out));
	else
		tst_brk(TBROK, "L2 QEMU neither started nor reported a vfio error: %s", last_line(out));
}

static void cleanup(void)
{
	unlink(L2_RAM);
	unlink(L2_BIOS);
}

static const struct tst_option options[] = {
	{ "l2-mb", TST_OPT_LONG, &l2_mb, 16, 4096, NULL, "L2's RAM in MiB (128)" },
	{ "min-cma-mb", TST_OPT_LONG, &min_cma_mb, 0, 1L << 20, NULL, "CmaTotal the case reserved (256)" },
	{ "batch-pages", TST_OPT_INT, &batch_pages, 1, MAX_BATCH, NULL, "pages in the activate batch (16)" },
	{ "start-timeout", TST_OPT_INT, &start_timeout_s, 1, 3600, NULL,
	  "seconds L2 may take to print its line (90), within the runtime" },
	{ NULL, 0, NULL, 0, 0, NULL, NULL },
};

static const struct tst_tag tags[] = {
	{ "linux-git", "33dfe9204f29" },  /* mm/gup: clear the LRU flag of a page before adding to LRU batch */
	{ NULL, NULL },
};

static const char *const cmds[] = { "qemu-system-x86_64", NULL };

static struct tst_test test = {
	.name = "cma_vfio_nested",
	.tags = tags,
	.options = options,
	.runtime = 180,
	.needs_kconfigs = kconfigs,
	.needs_cmds = cmds,
	.min_cpus = 2,
	.knobs = knobs,
	.setup = setup,
	.run = run,
	.cleanup = cleanup,
};

TST_MAIN(test)
