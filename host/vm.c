/* The QEMU command line and the accelerator decision. */
#include "vm.h"
#include "case.h"
#include "json_read.h"
#include "util.h"

#include <json-c/json.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

int vm_qemu_opt_escape(const char *s, char *out, size_t len)
{
	size_t n = 0;

	for (; *s; s++) {
		if (n + 2 >= len)
			return -1;
		if (*s == ',')
			out[n++] = ',';
		out[n++] = *s;
	}
	if (n >= len)
		return -1;
	out[n] = '\0';
	return 0;
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

/* The host root, read-only: the guest runs host binaries and libraries
 * from it. It is the guest's only share; nothing comes back through it. */
static void root_share_args(struct argv_builder *b, const char *path)
{
	char escaped[8192];

	if (vm_qemu_opt_escape(path, escaped, sizeof(escaped)) < 0) {
		b->overflow = true;
		return;
	}
	arg(b, "-fsdev");
	arg(b, "local,id=hostroot,path=%s,security_model=none,readonly=on,multidevs=remap", escaped);
	arg(b, "-device");
	arg(b, "virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot");
}

/* The first UART (ttyS0, ttyAMA0) is the console on QEMU's stdout. The
 * result channel is x86's second UART (ttyS1), or on virt, which has
 * one UART, a virtio console (hvc0). */
static void serial_args(struct argv_builder *b, enum arch arch)
{
	arg(b, "-serial");
	arg(b, "stdio");
	arg(b, "-chardev");
	arg(b, "file,id=mmresults,path=/dev/fd/%d", VM_RESULTS_FD);
	if (arch == ARCH_X86_64) {
		arg(b, "-serial");
		arg(b, "chardev:mmresults");
	} else {
		arg(b, "-device");
		arg(b, "virtio-serial-pci");
		arg(b, "-device");
		arg(b, "virtconsole,chardev=mmresults");
	}
	arg(b, "-monitor");
	arg(b, "none");
}

/* The guest's scratch disk, /dev/vda: what it writes there is not read
 * back, and cache=unsafe spares the host's disk the guest's flushes. */
static void disk_args(struct argv_builder *b, const struct vm_config *c)
{
	char escaped[8192];

	if (!c->disk_mb)
		return;
	if (!c->disk || vm_qemu_opt_escape(c->disk, escaped, sizeof(escaped)) < 0) {
		b->overflow = true;
		return;
	}
	arg(b, "-drive");
	arg(b, "file=%s,format=raw,if=none,id=scratch,cache=unsafe", escaped);
	arg(b, "-device");
	arg(b, "virtio-blk-pci,drive=scratch");
}

static void machine_args(struct argv_builder *b, const struct vm_config *c)
{
	arg(b, "-accel");
	arg(b, "%s", c->kvm ? "kvm" : "tcg,thread=multi");
	arg(b, "-cpu");
	arg(b, "%s", c->kvm ? "host" : arch_info(c->arch)->cpu_tcg);
	arg(b, "-machine");
	arg(b, "%s%s", c->machine, c->iommu ? ",kernel-irqchip=split" : "");
	arg(b, "-m");
	arg(b, "%u", c->mem_mb);
	arg(b, "-smp");
	/* One socket per NUMA node, or the guest warns about the topology. */
	arg(b, "%d,sockets=%d", c->cpus, c->nnuma > 0 ? c->nnuma : 1);
	if (c->nnuma > 0)
		numa_args(b, c);
	if (c->iommu) {
		arg(b, "-device");
		arg(b, "intel-iommu,caching-mode=on");
	}
	for (int i = 0; i < c->ndevices; i++) {
		arg(b, "-device");
		arg(b, "%s", c->devices[i]);
	}
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
	machine_args(&b, c);
	serial_args(&b, c->arch);
	arg(&b, "-kernel");
	arg(&b, "%s", c->kernel);
	arg(&b, "-initrd");
	arg(&b, "%s", c->initrd);
	arg(&b, "-append");
	arg(&b, "%s", c->cmdline);
	if (c->root_share[0])
		root_share_args(&b, c->root_share);
	disk_args(&b, c);
	if (c->runas) {
		/* Kernel, initrd and /dev/kvm are opened before the switch; the
		 * 9p server then reads the host as this user, not as root. */
		arg(&b, "-runas");
		arg(&b, "%s", c->runas);
	}
	if (b.overflow)
		return -1;
	argv[b.argc] = NULL;
	return b.argc;
}

int vm_build_libvirt_argv(const struct vm_libvirt_call *c, char **argv, char *buf, size_t buflen)
{
	struct argv_builder b = { .argv = argv, .buf = buf, .left = buflen };

	arg(&b, "%s", c->self);
	arg(&b, "libvirt-vm");
	arg(&b, "--connect");
	arg(&b, "%s", c->uri);
	arg(&b, "--vm");
	arg(&b, "%s", c->vm_json);
	arg(&b, "--name");
	arg(&b, "%s", c->tag);
	arg(&b, "--xml-out");
	arg(&b, "%s", c->xml_out);
	if (b.overflow)
		return -1;
	argv[b.argc] = NULL;
	return b.argc;
}

void vm_kernel_cmdline(const struct case_def *c, char *out, size_t len)
{
	/* loglevel=5 keeps boot quiet (slow serial under TCG) but still shows
	 * KERN_WARNING and worse; the guest init raises it for the workload.
	 * oops=panic + panic=-1 + -no-reboot: the first oops ends the run. */
	xsnprintf(out, len, "console=%s loglevel=5 oops=panic panic=-1%s%s%s", arch_info(c->arch)->console,
		  c->arch == ARCH_X86_64 ? " tsc=reliable no_timer_check" : "", c->cmdline[0] ? " " : "", c->cmdline);
}

/* ---- the accelerator -------------------------------------------------- */

int vm_accel_parse(const char *s, enum accel_mode *mode)
{
	static const char *const names[] = { [ACCEL_AUTO] = "auto", [ACCEL_KVM] = "kvm", [ACCEL_TCG] = "tcg" };

	for (int i = 0; i < 3; i++)
		if (s && !strcmp(s, names[i])) {
			*mode = (enum accel_mode)i;
			return 0;
		}
	return -1;
}

static bool has_word(const char *text, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = text; p && (p = strstr(p, word)); p += wl) {
		bool start = p == text || p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n' || p[-1] == ':';
		bool end = p[wl] == '\0' || p[wl] == ' ' || p[wl] == '\t' || p[wl] == '\n';
		if (start && end)
			return true;
	}
	return false;
}

/* Why KVM cannot run a normal guest here, or "" when it can. */
static void kvm_obstacle(const struct accel_probe *p, char *why, size_t len)
{
	const char *mods = p->modules ? p->modules : "";
	const char *flags = p->cpu_flags ? p->cpu_flags : "";
	bool hw = has_word(flags, "vmx") || has_word(flags, "svm");
	bool mod = has_word(mods, "kvm_intel") || has_word(mods, "kvm_amd");
	const char *pvm = has_word(mods, "kvm_pvm") ? "; /dev/kvm is kvm_pvm" : "";

	why[0] = '\0';
	if (!p->kvm_opens)
		snprintf(why, len, "/dev/kvm cannot be opened read-write%s", pvm);
	else if (!hw)
		snprintf(why, len, "no vmx/svm in /proc/cpuinfo%s", pvm);
	else if (!mod)
		snprintf(why, len, "neither kvm_intel nor kvm_amd is loaded%s", pvm);
}

void vm_accel_decide(enum accel_mode mode, const struct accel_probe *p, struct accel_choice *out)
{
	char why[200];

	memset(out, 0, sizeof(*out));
	out->usable = true;
	if (mode == ACCEL_TCG) {
		snprintf(out->reason, sizeof(out->reason), "tcg (--accel tcg)");
		return;
	}
	kvm_obstacle(p, why, sizeof(why));
	if (mode == ACCEL_KVM && why[0]) {
		out->usable = false;
		snprintf(out->reason, sizeof(out->reason), "KVM cannot run a normal guest here: %s", why);
		return;
	}
	out->kvm = !why[0];
	if (mode == ACCEL_KVM)
		snprintf(out->reason, sizeof(out->reason), "kvm (--accel kvm)");
	else if (out->kvm)
		snprintf(out->reason, sizeof(out->reason), "kvm (/dev/kvm opens, vmx/svm and its module present)");
	else
		snprintf(out->reason, sizeof(out->reason), "tcg (%s)", why);
}

/* MMREPRO_HOST_ROOT lets the tests stand a fake /proc/cpuinfo and
 * /sys/module in front of the real /dev/kvm, to drive the KVM fallback. */
static void host_path(const char *path, char *out, size_t len)
{
	const char *root = getenv("MMREPRO_HOST_ROOT");

	xsnprintf(out, len, "%s%s", root ? root : "", path);
}

static char *cpu_flags_line(void)
{
	char path[4096];
	char *info, *line, *out;

	host_path("/proc/cpuinfo", path, sizeof(path));
	info = read_file_limited(path, 16u << 20, NULL);

	if (!info)
		return xstrdup("");
	line = strstr(info, "\nflags");
	out = line ? strndup(line + 1, strcspn(line + 1, "\n")) : NULL;
	free(info);
	return out ? out : xstrdup("");
}

static char *module_names(void)
{
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);
	char path[4096];
	DIR *d;
	struct dirent *e;

	host_path("/sys/module", path, sizeof(path));
	d = opendir(path);
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			fprintf(f, "%s\n", e->d_name);
	if (d)
		closedir(d);
	fclose(f);
	return text;
}

void vm_accel_choose(enum accel_mode mode, struct accel_choice *out)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	struct accel_probe p = { .kvm_opens = fd >= 0 };

	if (fd >= 0)
		close(fd);
	p.cpu_flags = cpu_flags_line();
	p.modules = module_names();
	vm_accel_decide(mode, &p, out);
	free((char *)p.cpu_flags);
	free((char *)p.modules);
}

void vm_accel_fall_back(struct accel_state *s, const char *why)
{
	s->choice.kvm = false;
	snprintf(s->choice.reason, sizeof(s->choice.reason), "tcg (KVM failed its first boot: %s)", why);
	fprintf(stderr, "mmrepro: accel: %s\n", s->choice.reason);
}

/* ---- the description as JSON ------------------------------------------- */

struct json_object *vm_config_to_json(const struct vm_config *c)
{
	struct json_object *o = json_object_new_object(), *numa = json_object_new_array(),
			   *devs = json_object_new_array();

	json_object_object_add(o, "kvm", json_object_new_boolean(c->kvm));
	json_object_object_add(o, "arch", json_object_new_string(arch_info(c->arch)->name));
	json_object_object_add(o, "mem_mb", json_object_new_int64(c->mem_mb));
	json_object_object_add(o, "cpus", json_object_new_int(c->cpus));
	for (int i = 0; i < c->nnuma; i++)
		json_object_array_add(numa, json_object_new_int64(c->numa_mb[i]));
	json_object_object_add(o, "numa_mb", numa);
	json_object_object_add(o, "machine", json_object_new_string(c->machine));
	json_object_object_add(o, "iommu", json_object_new_boolean(c->iommu));
	for (int i = 0; i < c->ndevices; i++)
		json_object_array_add(devs, json_object_new_string(c->devices[i]));
	json_object_object_add(o, "devices", devs);
	json_object_object_add(o, "kernel", json_object_new_string(c->kernel));
	json_object_object_add(o, "initrd", json_object_new_string(c->initrd));
	json_object_object_add(o, "cmdline", json_object_new_string(c->cmdline));
	json_object_object_add(o, "root_share", json_object_new_string(c->root_share));
	json_object_object_add(o, "disk_mb", json_object_new_int64(c->disk_mb));
	return o;
}

/* The lists: NUMA node sizes and extra devices. */
static int lists_from_json(struct json_object *o, struct vm_config *c, unsigned **numa, const char ***devices)
{
	struct json_object *na = jarr(o, "numa_mb"), *da = jarr(o, "devices");
	size_t nn = jlen(na), nd = jlen(da);

	if (!na || !da || nn > 64 || nd > 64)
		return -1;
	*numa = xcalloc(nn + 1, sizeof(**numa));
	*devices = xcalloc(nd + 1, sizeof(**devices));
	for (size_t i = 0; i < nn; i++) {
		long long mb = json_object_get_int64(json_object_array_get_idx(na, i));
		if (mb < 1 || mb > (1LL << 20))
			return -1;
		(*numa)[i] = (unsigned)mb;
	}
	for (size_t i = 0; i < nd; i++)
		if (!((*devices)[i] = json_object_get_string(json_object_array_get_idx(da, i))))
			return -1;
	c->numa_mb = nn ? *numa : NULL;
	c->nnuma = (int)nn;
	c->devices = *devices;
	c->ndevices = (int)nd;
	return 0;
}

int vm_config_from_json(struct json_object *o, struct vm_config *c, unsigned **numa, const char ***devices,
			char *err, size_t len)
{
	struct json_object *kvm;
	long long mem, cpus, disk = 0;

	memset(c, 0, sizeof(*c));
	*numa = NULL;
	*devices = NULL;
	c->machine = jstring(o, "machine");
	c->kernel = jstring(o, "kernel");
	c->initrd = jstring(o, "initrd");
	c->cmdline = jstring(o, "cmdline");
	c->root_share = jstring(o, "root_share");
	if (!c->machine || !c->kernel || !c->initrd || !c->cmdline || !c->root_share ||
	    !jint_in(o, "mem_mb", 16, 1LL << 20, &mem) || !jint_in(o, "cpus", 1, 64, &cpus) ||
	    (jget(o, "disk_mb") && !jint_in(o, "disk_mb", 0, 64 * 1024, &disk)) ||
	    !json_object_object_get_ex(o, "kvm", &kvm) || lists_from_json(o, c, numa, devices)) {
		snprintf(err, len, "a field is missing or out of range");
		return -1;
	}
	/* Absent in the vm.json of an older mmrepro: x86_64. */
	if (jget(o, "arch") && arch_parse(jstring(o, "arch"), &c->arch) < 0) {
		snprintf(err, len, "\"arch\" is not %s", arch_names());
		return -1;
	}
	c->kvm = json_object_get_boolean(kvm);
	c->iommu = jbool_loose(o, "iommu");
	c->mem_mb = (unsigned)mem;
	c->cpus = (int)cpus;
	c->disk_mb = (unsigned)disk;
	return 0;
}
