#include "vm.h"
#include "case.h"
#include "util.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct argv_builder {
	char **argv;
	int argc;
	char *buf;
	size_t left;
	bool overflow;
};

static void arg(struct argv_builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void arg(struct argv_builder *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->buf, b->left, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->left || b->argc >= VM_MAX_ARGS - 1) {
		b->overflow = true;
		return;
	}
	b->argv[b->argc++] = b->buf;
	b->buf += n + 1;
	b->left -= (size_t)n + 1;
}

static void numa_args(struct argv_builder *b, const struct vm_config *c)
{
	int per_node = c->cpus / c->nnuma;

	for (int i = 0; i < c->nnuma; i++) {
		arg(b, "-object");
		arg(b, "memory-backend-ram,id=mem%d,size=%uM", i, c->numa_mb[i]);
		arg(b, "-numa");
		if (per_node > 1)
			arg(b, "node,nodeid=%d,cpus=%d-%d,memdev=mem%d", i, i * per_node,
			    (i + 1) * per_node - 1, i);
		else
			arg(b, "node,nodeid=%d,cpus=%d,memdev=mem%d", i, i, i);
	}
}

static void share_args(struct argv_builder *b, const char *id, const char *path, bool readonly)
{
	arg(b, "-fsdev");
	arg(b, "local,id=%s,path=%s,security_model=none%s", id, path, readonly ? ",readonly=on,multidevs=remap" : "");
	arg(b, "-device");
	arg(b, "virtio-9p-pci,fsdev=%s,mount_tag=%s", id, id);
}

int vm_build_argv(const struct vm_config *c, char **argv, char *buf, size_t buflen)
{
	struct argv_builder b = { .argv = argv, .buf = buf, .left = buflen };

	arg(&b, "%s", c->qemu);
	/* No default NIC, VGA or parallel port: nothing to probe, no iPXE ROM. */
	arg(&b, "-nodefaults");
	arg(&b, "-no-user-config");
	arg(&b, "-no-reboot");
	arg(&b, "-display");
	arg(&b, "none");
	arg(&b, "-accel");
	arg(&b, "%s", c->kvm ? "kvm" : "tcg,thread=multi");
	arg(&b, "-cpu");
	arg(&b, "%s", c->kvm ? "host" : "max");
	arg(&b, "-machine");
	arg(&b, "%s%s", c->machine, c->iommu ? ",kernel-irqchip=split" : "");
	arg(&b, "-m");
	arg(&b, "%u", c->mem_mb);
	arg(&b, "-smp");
	/* One socket per NUMA node, or the guest warns about the topology. */
	arg(&b, "%d,sockets=%d", c->cpus, c->nnuma > 0 ? c->nnuma : 1);
	if (c->nnuma > 0)
		numa_args(&b, c);
	if (c->iommu) {
		arg(&b, "-device");
		arg(&b, "intel-iommu,caching-mode=on");
	}
	for (int i = 0; i < c->ndevices; i++) {
		arg(&b, "-device");
		arg(&b, "%s", c->devices[i]);
	}
	arg(&b, "-serial");
	arg(&b, "stdio");
	arg(&b, "-monitor");
	arg(&b, "none");
	arg(&b, "-kernel");
	arg(&b, "%s", c->kernel);
	arg(&b, "-initrd");
	arg(&b, "%s", c->initrd);
	arg(&b, "-append");
	arg(&b, "%s", c->cmdline);
	share_args(&b, "hostroot", c->root_share, true);
	share_args(&b, "mmout", c->out_share, false);
	if (b.overflow)
		return -1;
	argv[b.argc] = NULL;
	return b.argc;
}

bool vm_kvm_usable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

void vm_kernel_cmdline(const struct case_def *c, char *out, size_t len)
{
	/* loglevel=5 keeps boot quiet (slow serial under TCG) but still shows
	 * KERN_WARNING and worse; the guest init raises it for the workload.
	 * oops=panic + panic=-1 + -no-reboot: the first oops ends the run. */
	xsnprintf(out, len, "console=ttyS0 loglevel=5 oops=panic panic=-1 "
		  "tsc=reliable no_timer_check%s%s", c->cmdline[0] ? " " : "", c->cmdline);
}
