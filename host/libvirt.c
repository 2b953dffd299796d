/* The libvirt backend: domain XML, volumes, and one domain's serial relay. */
#include "libvirt.h"
#include "json_read.h"
#include "result.h"
#include "text.h"
#include "util.h"
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the domain XML ---------------------------------------------------- */

static void xml_elem(FILE *f, const char *indent, const char *tag, const char *text)
{
	fprintf(f, "%s<%s>", indent, tag);
	xml_escape(f, text);
	fprintf(f, "</%s>\n", tag);
}

/* virt goes without the QEMU options the QEMU backend adds to -machine:
 * the GIC is a libvirt feature. */
static void os_xml(FILE *f, const struct vm_config *c, const char *kernel, const char *initrd)
{
	fprintf(f, "  <os>\n    <type arch='%s' machine='", arch_info(c->arch)->uname);
	if (c->arch == ARCH_ARM64)
		fputs("virt", f);
	else
		xml_escape(f, c->machine);
	fputs("'>hvm</type>\n", f);
	xml_elem(f, "    ", "kernel", kernel);
	xml_elem(f, "    ", "initrd", initrd);
	xml_elem(f, "    ", "cmdline", c->cmdline);
	fputs("  </os>\n", f);
	/* An arm64 guest finds its NUMA nodes in the device tree. */
	if (c->arch == ARCH_ARM64) {
		fputs("  <features>\n    <gic version='3'/>\n  </features>\n", f);
		return;
	}
	/* Without <acpi/> libvirt turns ACPI off, and the guest would see no
	 * SRAT: no NUMA nodes. The split irqchip is what the vIOMMU needs. */
	fprintf(f, "  <features>\n    <acpi/>\n    <apic/>\n%s  </features>\n",
		c->iommu ? "    <ioapic driver='qemu'/>\n" : "");
}

/* One socket per NUMA node, as the QEMU backend's -smp does. */
static void cpu_xml(FILE *f, const struct vm_config *c)
{
	int sockets = c->nnuma > 0 ? c->nnuma : 1, per_node = c->cpus / sockets;

	fprintf(f, "  <cpu mode='%s'>\n", c->kvm ? "host-passthrough" : "maximum");
	fprintf(f, "    <topology sockets='%d' dies='1' cores='%d' threads='1'/>\n", sockets, per_node);
	if (c->nnuma > 0) {
		fputs("    <numa>\n", f);
		for (int i = 0; i < c->nnuma; i++)
			fprintf(f, "      <cell id='%d' cpus='%d-%d' memory='%u' unit='MiB'/>\n", i, i * per_node,
				(i + 1) * per_node - 1, c->numa_mb[i]);
		fputs("    </numa>\n", f);
	}
	fputs("  </cpu>\n", f);
}

/* The host root, read-only, as the guest's only share (none for another
 * arch); serial0 is the console and serial1 (console1, a virtio console,
 * on arm64's one-UART virt) the result channel, both relayed over the
 * connection, so nothing depends on this machine's filesystem. */
static void devices_xml(FILE *f, const struct vm_config *c)
{
	fputs("  <devices>\n    <controller type='usb' model='none'/>\n    <memballoon model='none'/>\n", f);
	if (c->root_share[0]) {
		fputs("    <filesystem type='mount' accessmode='passthrough' multidevs='remap'>\n      <source dir='", f);
		xml_escape(f, c->root_share);
		fputs("'/>\n      <target dir='hostroot'/>\n      <readonly/>\n    </filesystem>\n", f);
	}
	fputs("    <serial type='pty'>\n      <target port='0'/>\n    </serial>\n", f);
	if (c->arch == ARCH_ARM64)
		fputs("    <console type='pty'>\n      <target type='virtio' port='1'/>\n    </console>\n", f);
	else
		fputs("    <serial type='pty'>\n      <target port='1'/>\n    </serial>\n", f);
	if (c->disk_mb && c->disk) {
		fputs("    <disk type='file' device='disk'>\n      <driver name='qemu' type='raw' cache='unsafe'/>\n"
		      "      <source file='", f);
		xml_escape(f, c->disk);
		fputs("'/>\n      <target dev='vda' bus='virtio'/>\n    </disk>\n", f);
	}
	if (c->iommu)
		fputs("    <iommu model='intel'>\n      <driver caching_mode='on'/>\n    </iommu>\n", f);
	fputs("  </devices>\n", f);
}

/* Devices libvirt has no element for (the edu device, say) go to QEMU
 * directly; libvirt marks such a domain as tainted (custom-argv). */
static void commandline_xml(FILE *f, const struct vm_config *c)
{
	if (c->ndevices == 0)
		return;
	fputs("  <qemu:commandline>\n", f);
	for (int i = 0; i < c->ndevices; i++) {
		fputs("    <qemu:arg value='-device'/>\n    <qemu:arg value='", f);
		xml_escape(f, c->devices[i]);
		fputs("'/>\n", f);
	}
	fputs("  </qemu:commandline>\n", f);
}

char *libvirt_domain_xml(const struct vm_config *c, const char *name, const char *kernel, const char *initrd)
{
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	fprintf(f, "<domain type='%s' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n",
		c->kvm ? "kvm" : "qemu");
	xml_elem(f, "  ", "name", name);
	fprintf(f, "  <memory unit='MiB'>%u</memory>\n  <vcpu>%d</vcpu>\n", c->mem_mb, c->cpus);
	os_xml(f, c, kernel, initrd);
	cpu_xml(f, c);
	/* The first oops panics and the kernel reboots (panic=-1): every way
	 * out of the guest ends the domain, as -no-reboot does. */
	fputs("  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>destroy</on_reboot>\n"
	      "  <on_crash>destroy</on_crash>\n", f);
	devices_xml(f, c);
	commandline_xml(f, c);
	fputs("</domain>\n", f);
	fclose(f);
	return text;
}

/* ---- errors ------------------------------------------------------------ */

/* libvirt would print every error to stderr itself; the callers here say
 * what failed, with libvirt's message, once. */
static void quiet_errors(void *opaque, virErrorPtr e)
{
	(void)opaque;
	(void)e;
}

static const char *lv_error(void)
{
	const char *m = virGetLastErrorMessage();

	return m && *m ? m : "unknown libvirt error";
}

int libvirt_probe(const char *uri, char *err, size_t len)
{
	virConnectPtr conn;

	virSetErrorFunc(NULL, quiet_errors);
	conn = virConnectOpen(uri);
	if (!conn) {
		snprintf(err, len, "%s", lv_error());
		return -1;
	}
	virConnectClose(conn);
	return 0;
}

bool libvirt_domain_exists(const char *uri, const char *name)
{
	virConnectPtr conn;
	virDomainPtr dom;

	virSetErrorFunc(NULL, quiet_errors);
	if (!(conn = virConnectOpen(uri)))
		return false;
	dom = virDomainLookupByName(conn, name);
	if (dom)
		virDomainFree(dom);
	virConnectClose(conn);
	return dom != NULL;
}

/* ---- one domain -------------------------------------------------------- */

enum { PORT_CONSOLE, PORT_RESULTS, NPORTS };

struct domain_run {
	const char *uri, *name, *pool_name;
	virConnectPtr conn;
	virStoragePoolPtr pool;
	virStorageVolPtr vol[3];   /* kernel, initrd, the scratch disk or NULL */
	virDomainPtr dom;
	virStreamPtr port[NPORTS];
	int out_fd[NPORTS];
	bool port_open[NPORTS];
	int signal_fd, signal_watch, timer;
	bool stop, lost, stopped;
	double stopped_at;
	char why[512];
};

static void lost(struct domain_run *d, const char *why)
{
	if (d->lost)
		return;
	d->lost = true;
	snprintf(d->why, sizeof(d->why), "%s", why);
}

/* The connection closed under us: the daemon died, the network dropped or
 * keepalive gave up. Not the guest's doing. */
static void on_close(virConnectPtr conn, int reason, void *opaque)
{
	static const char *const why[] = { "I/O error", "end of file", "keepalive timeout", "closed by us" };
	char text[128];

	(void)conn;
	if (reason == VIR_CONNECT_CLOSE_REASON_CLIENT)
		return;
	snprintf(text, sizeof(text), "connection lost (%s)", reason >= 0 && reason < 4 ? why[reason] : "unknown");
	lost(opaque, text);
}

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
	struct domain_run *d = opaque;

	(void)conn;
	(void)dom;
	(void)detail;
	if (event == VIR_DOMAIN_EVENT_STOPPED && !d->stopped) {
		d->stopped = true;
		d->stopped_at = now_seconds();
	}
	return 0;
}

static void close_port(struct domain_run *d, int i, bool abort)
{
	if (!d->port_open[i])
		return;
	virStreamEventRemoveCallback(d->port[i]);
	if (abort)
		virStreamAbort(d->port[i]);
	else
		virStreamFinish(d->port[i]);
	d->port_open[i] = false;
}

/* Relays what a serial port has; a broken stream while the domain still
 * runs means the host went away. */
static void on_port(virStreamPtr st, int events, void *opaque)
{
	struct domain_run *d = opaque;
	int i = st == d->port[PORT_CONSOLE] ? PORT_CONSOLE : PORT_RESULTS;
	char buf[65536];
	int n;

	(void)events;
	while ((n = virStreamRecv(st, buf, sizeof(buf))) > 0)
		if (write(d->out_fd[i], buf, (size_t)n) < 0)
			d->out_fd[i] = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (n == -2)
		return;
	/* A port breaks when the domain goes away, and the stop event may come
	 * later: only a broken port of a domain that cannot be asked about
	 * (or still runs) means the host is lost. */
	if (n < 0 && !d->stopped && virDomainIsActive(d->dom) != 0)
		lost(d, lv_error());
	close_port(d, i, n < 0);
}

static void on_signal(int watch, int fd, int events, void *opaque)
{
	struct domain_run *d = opaque;
	struct signalfd_siginfo si;

	(void)watch;
	(void)events;
	if (read(fd, &si, sizeof(si)) == sizeof(si))
		d->stop = true;
}

static void on_tick(int timer, void *opaque)
{
	(void)timer;
	(void)opaque;
}

static int watch_signals(struct domain_run *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	d->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (d->signal_fd < 0)
		return -1;
	d->signal_watch = virEventAddHandle(d->signal_fd, VIR_EVENT_HANDLE_READABLE, on_signal, d, NULL);
	/* A tick, so the loop also notices a domain that stopped quietly. */
	d->timer = virEventAddTimeout(250, on_tick, d, NULL);
	return d->signal_watch < 0 || d->timer < 0 ? -1 : 0;
}

static int connect_host(struct domain_run *d)
{
	if (!(d->conn = virConnectOpen(d->uri))) {
		snprintf(d->why, sizeof(d->why), "cannot connect: %s", lv_error());
		return -1;
	}
	virConnectRegisterCloseCallback(d->conn, on_close, d, NULL);
	/* A remote host that stops answering is noticed in about 10 s. */
	virConnectSetKeepAlive(d->conn, 3, 3);
	return 0;
}

/* ---- volumes ----------------------------------------------------------- */

/* The named pool, or a transient dir pool the runner makes on first use
 * (two runners racing to make it is fine: the loser finds the winner's). */
static int open_pool(struct domain_run *d)
{
	char *xml = NULL;
	size_t len;
	FILE *f;

	if ((d->pool = virStoragePoolLookupByName(d->conn, d->pool_name)))
		return virStoragePoolIsActive(d->pool) == 1 || virStoragePoolCreate(d->pool, 0) == 0 ? 0 : -1;
	if (strcmp(d->pool_name, LIBVIRT_DEFAULT_POOL)) {
		snprintf(d->why, sizeof(d->why), "no storage pool '%s': %s", d->pool_name, lv_error());
		return -1;
	}
	f = open_memstream(&xml, &len);
	fprintf(f, "<pool type='dir'><name>%s</name><target><path>/var/lib/libvirt/%s</path></target></pool>",
		LIBVIRT_DEFAULT_POOL, LIBVIRT_DEFAULT_POOL);
	fclose(f);
	d->pool = virStoragePoolCreateXML(d->conn, xml, VIR_STORAGE_POOL_CREATE_WITH_BUILD);
	free(xml);
	if (!d->pool)
		d->pool = virStoragePoolLookupByName(d->conn, d->pool_name);
	if (!d->pool)
		snprintf(d->why, sizeof(d->why), "cannot create storage pool '%s': %s", d->pool_name, lv_error());
	return d->pool ? 0 : -1;
}

static int read_chunk(virStreamPtr st, char *buf, size_t n, void *opaque)
{
	(void)st;
	return (int)read(*(int *)opaque, buf, n);
}

static virStorageVolPtr create_volume(struct domain_run *d, const char *name, long long size)
{
	char *xml = NULL;
	size_t len;
	FILE *f = open_memstream(&xml, &len);
	virStorageVolPtr vol;

	fputs("<volume><name>", f);
	xml_escape(f, name);
	fprintf(f, "</name><capacity unit='bytes'>%lld</capacity><target><format type='raw'/></target></volume>",
		size);
	fclose(f);
	vol = virStorageVolCreateXML(d->pool, xml, 0);
	free(xml);
	return vol;
}

/* Sends a local file to a new volume of the pool: the host may be far away
 * and see nothing of this machine. */
static virStorageVolPtr upload(struct domain_run *d, const char *path, const char *what)
{
	char name[300];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	virStorageVolPtr vol = NULL;
	virStreamPtr s = NULL;

	snprintf(name, sizeof(name), "%s.%s", d->name, what);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(d->why, sizeof(d->why), "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (!(vol = create_volume(d, name, (long long)st.st_size)) || !(s = virStreamNew(d->conn, 0)) ||
	    virStorageVolUpload(vol, s, 0, (unsigned long long)st.st_size, 0) < 0 ||
	    virStreamSendAll(s, read_chunk, &fd) < 0 || virStreamFinish(s) < 0) {
		snprintf(d->why, sizeof(d->why), "cannot upload %s as volume %s: %s", path, name, lv_error());
		if (vol) {
			virStorageVolDelete(vol, 0);
			virStorageVolFree(vol);
			vol = NULL;
		}
	}
out:
	if (s)
		virStreamFree(s);
	if (fd >= 0)
		close(fd);
	return vol;
}

/* The case's empty disk, made in the pool next to the kernel: the host may
 * be far away. */
static virStorageVolPtr scratch_disk(struct domain_run *d, struct vm_config *vm)
{
	char name[300];
	virStorageVolPtr vol;

	snprintf(name, sizeof(name), "%s.disk", d->name);
	if (!(vol = create_volume(d, name, (long long)vm->disk_mb << 20))) {
		snprintf(d->why, sizeof(d->why), "cannot make the %u MiB disk volume %s: %s", vm->disk_mb, name,
			 lv_error());
		return NULL;
	}
	vm->disk = virStorageVolGetPath(vol);
	return vol;
}

/* Volumes are named mmrepro-<this host>-<pid>-...: those of a runner of
 * this host that died before removing them are removed now. */
static void sweep_stale_volumes(struct domain_run *d)
{
	char prefix[128], host[64] = "";
	virStorageVolPtr *vols = NULL;
	int n = virStoragePoolListAllVolumes(d->pool, &vols, 0);

	gethostname(host, sizeof(host) - 1);
	snprintf(prefix, sizeof(prefix), "mmrepro-%s-", host);
	for (int i = 0; i < n; i++) {
		const char *name = virStorageVolGetName(vols[i]);
		long pid = name && !strncmp(name, prefix, strlen(prefix)) ? strtol(name + strlen(prefix), NULL, 10) : 0;
		if (pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH)
			virStorageVolDelete(vols[i], 0);
		virStorageVolFree(vols[i]);
	}
	free(vols);
}

/* ---- the domain -------------------------------------------------------- */

/* The kvm domain type only where the host offers it and has vmx/svm (a
 * kvm_pvm host offers it and cannot run the guest). */
static bool host_runs_kvm(virConnectPtr conn)
{
	char *caps = virConnectGetCapabilities(conn);
	bool ok = caps && strstr(caps, "<domain type='kvm'") &&
		  (strstr(caps, "<feature name='vmx'/>") || strstr(caps, "<feature name='svm'/>"));

	free(caps);
	return ok;
}

static int open_port(struct domain_run *d, int i, enum arch arch)
{
	const char *const alias[] = { "serial0", arch == ARCH_ARM64 ? "console1" : "serial1" };

	if (!(d->port[i] = virStreamNew(d->conn, VIR_STREAM_NONBLOCK)) ||
	    virDomainOpenConsole(d->dom, alias[i], d->port[i], VIR_DOMAIN_CONSOLE_FORCE) < 0 ||
	    virStreamEventAddCallback(d->port[i], VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR |
					      VIR_STREAM_EVENT_HANGUP, on_port, d, NULL) < 0) {
		snprintf(d->why, sizeof(d->why), "cannot open %s: %s", alias[i], lv_error());
		return -1;
	}
	d->port_open[i] = true;
	return 0;
}

/* Started paused, so that both serial ports are relayed from the guest's
 * first byte; autodestroy, so that a runner killed outright leaves no
 * domain behind. */
static int start_domain(struct domain_run *d, struct vm_config *vm, const char *xml_out)
{
	char *xml;

	if (vm->kvm && !host_runs_kvm(d->conn)) {
		fprintf(stderr, "mmrepro-libvirt: %s offers no usable KVM; the domain runs on TCG\n", d->uri);
		vm->kvm = false;
	}
	xml = libvirt_domain_xml(vm, d->name, virStorageVolGetPath(d->vol[0]), virStorageVolGetPath(d->vol[1]));
	if (xml_out)
		write_file_atomic(xml_out, xml, strlen(xml));
	d->dom = virDomainCreateXML(d->conn, xml, VIR_DOMAIN_START_PAUSED | VIR_DOMAIN_START_AUTODESTROY);
	free(xml);
	if (!d->dom) {
		snprintf(d->why, sizeof(d->why), "cannot start the domain: %s", lv_error());
		return -1;
	}
	virConnectDomainEventRegisterAny(d->conn, d->dom, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
					 VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), d, NULL);
	if (open_port(d, PORT_CONSOLE, vm->arch) < 0 || open_port(d, PORT_RESULTS, vm->arch) < 0)
		return -1;
	if (virDomainResume(d->dom) < 0) {
		snprintf(d->why, sizeof(d->why), "cannot resume the domain: %s", lv_error());
		return -1;
	}
	return 0;
}

/* Until the guest is gone and its ports drained, the host is lost, or a
 * signal asks to stop. */
static void relay(struct domain_run *d)
{
	while (!d->stop && !d->lost && (d->port_open[PORT_CONSOLE] || d->port_open[PORT_RESULTS])) {
		if (d->stopped && now_seconds() - d->stopped_at > 2)
			break;
		if (virEventRunDefaultImpl() < 0) {
			lost(d, lv_error());
			break;
		}
	}
}

static void teardown(struct domain_run *d)
{
	for (int i = 0; i < NPORTS; i++) {
		close_port(d, i, true);
		if (d->port[i])
			virStreamFree(d->port[i]);
	}
	if (d->dom) {
		if (!d->lost && virDomainIsActive(d->dom) == 1)
			virDomainDestroy(d->dom);
		virDomainFree(d->dom);
	}
	for (int i = 0; i < 3; i++)
		if (d->vol[i]) {
			if (!d->lost)
				virStorageVolDelete(d->vol[i], 0);
			virStorageVolFree(d->vol[i]);
		}
	if (d->pool)
		virStoragePoolFree(d->pool);
	if (d->conn) {
		virConnectUnregisterCloseCallback(d->conn, on_close);
		virConnectClose(d->conn);
	}
	if (d->timer >= 0)
		virEventRemoveTimeout(d->timer);
	if (d->signal_watch >= 0)
		virEventRemoveHandle(d->signal_watch);
}

struct vm_args {
	const char *uri, *vm_json, *tag, *pool, *xml_out;
};

static int parse_vm_args(int argc, char **argv, struct vm_args *a)
{
	static const struct option opts[] = {
		{ "connect", required_argument, 0, 'c' }, { "vm", required_argument, 0, 'v' },
		{ "name", required_argument, 0, 'n' },	  { "pool", required_argument, 0, 'p' },
		{ "xml-out", required_argument, 0, 'x' }, { 0 },
	};
	int ch;

	memset(a, 0, sizeof(*a));
	a->pool = LIBVIRT_DEFAULT_POOL;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': a->uri = optarg; break;
		case 'v': a->vm_json = optarg; break;
		case 'n': a->tag = optarg; break;
		case 'p': a->pool = optarg; break;
		case 'x': a->xml_out = optarg; break;
		default: return -1;
		}
	}
	return a->uri && a->vm_json && a->tag && optind == argc ? 0 : -1;
}

/* mmrepro-<host>-<pid>-<tag>, in the characters a domain name may hold. */
static void domain_name(const char *tag, char *out, size_t len)
{
	char host[64] = "";

	gethostname(host, sizeof(host) - 1);
	snprintf(out, len, "mmrepro-%s-%ld-%s", host, (long)getpid(), tag);
	for (char *p = out; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9') &&
		    *p != '-' && *p != '_' && *p != '.')
			*p = '_';
}

static int load_vm(const char *path, struct json_object **o, struct vm_config *vm, unsigned **numa,
		   const char ***devices, char *err, size_t len)
{
	char why[128];

	if (!(*o = jread_file(path, 1u << 20))) {
		snprintf(err, len, "%s: cannot read the VM description", path);
		return -1;
	}
	if (vm_config_from_json(*o, vm, numa, devices, why, sizeof(why)) < 0) {
		snprintf(err, len, "%s: %s", path, why);
		return -1;
	}
	return 0;
}

static int run_domain(struct domain_run *d, struct vm_config *vm, const char *xml_out)
{
	if (watch_signals(d) < 0 || connect_host(d) < 0 || open_pool(d) < 0)
		return -1;
	sweep_stale_volumes(d);
	if (!(d->vol[0] = upload(d, vm->kernel, "kernel")) || !(d->vol[1] = upload(d, vm->initrd, "initrd")))
		return -1;
	if (vm->disk_mb && !(d->vol[2] = scratch_disk(d, vm)))
		return -1;
	if (start_domain(d, vm, xml_out) < 0)
		return -1;
	relay(d);
	return d->lost ? -1 : 0;
}

int libvirt_vm_main(int argc, char **argv)
{
	struct vm_args a;
	struct json_object *o = NULL;
	struct vm_config vm;
	unsigned *numa = NULL;
	const char **devices = NULL;
	char name[256], err[512];
	struct domain_run d = { .out_fd = { 1, VM_RESULTS_FD }, .signal_fd = -1, .signal_watch = -1, .timer = -1 };
	int rc = 0;

	if (parse_vm_args(argc, argv, &a) < 0) {
		fprintf(stderr, "usage: mmrepro libvirt-vm --connect URI --vm VM.json --name TAG [--pool P] [--xml-out F]\n");
		return EXIT_USAGE;
	}
	if (load_vm(a.vm_json, &o, &vm, &numa, &devices, err, sizeof(err)) < 0) {
		fprintf(stderr, "mmrepro-libvirt: %s\n", err);
		rc = EXIT_USAGE;
		goto out;
	}
	domain_name(a.tag, name, sizeof(name));
	d.uri = a.uri;
	d.name = name;
	d.pool_name = a.pool;
	virSetErrorFunc(NULL, quiet_errors);
	/* A runner that closed its end is stopping us anyway: write errors, not
	 * SIGPIPE, so the domain and volumes are still cleaned up. */
	signal(SIGPIPE, SIG_IGN);
	virEventRegisterDefaultImpl();
	if (run_domain(&d, &vm, a.xml_out) < 0) {
		fprintf(stderr, "mmrepro-libvirt: %s: %s\n", a.uri, d.why);
		rc = LIBVIRT_EXIT_INFRA;
	}
	teardown(&d);
out:
	free(numa);
	free(devices);
	if (o)
		json_object_put(o);
	return rc;
}
