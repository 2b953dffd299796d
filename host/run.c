#include "run.h"
#include "initramfs.h"
#include "util.h"
#include "vm.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_LOG_BYTES (16u << 20)

static const char *const base_modules[] = { "virtio_pci", "9pnet_virtio", "9p" };

void run_default_out_dir(const char *case_name, const char *kernel_spec, char *out, size_t len)
{
	char stamp[32], kern[64], results[PATH_MAX], link[PATH_MAX + 16], tmp[PATH_MAX + 32];
	time_t t = time(NULL);

	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&t));
	snprintf(kern, sizeof(kern), "%s", kernel_spec);
	for (char *p = kern; *p; p++)
		if (*p == '/' || *p == ':' || *p == ',' || *p == '@')
			*p = '_';
	xsnprintf(results, sizeof(results), "%s/results", repo_root());
	xsnprintf(out, len, "%s/%s-%s-%s-%d", results, stamp, case_name, kern, (int)getpid());
	mkdir_p(out, 0755);
	/* results/latest moves atomically: a new link, then rename over. */
	xsnprintf(link, sizeof(link), "%s/latest", results);
	xsnprintf(tmp, sizeof(tmp), "%s/.latest.%d", results, (int)getpid());
	unlink(tmp);
	if (symlink(strrchr(out, '/') + 1, tmp) == 0 && rename(tmp, link) < 0)
		unlink(tmp);
}

static int module_list(const struct case_def *c, const char **mods, int max)
{
	int n = 0;

	for (size_t i = 0; i < sizeof(base_modules) / sizeof(base_modules[0]); i++)
		mods[n++] = base_modules[i];
	for (int i = 0; i < c->nmodules && n < max - 2; i++)
		mods[n++] = c->modules[i];
	if (c->zram[0] && n < max - 1)
		mods[n++] = "zram";
	mods[n] = NULL;
	return n;
}

/* Built kernels have no modules: every module a case names must be =y. */
static int check_builtin_modules(const struct case_def *c, const struct kernel *k, char *err, size_t len)
{
	static const struct { const char *mod, *config; } known[] = {
		{ "virtio_pci", "CONFIG_VIRTIO_PCI" }, { "9pnet_virtio", "CONFIG_NET_9P_VIRTIO" },
		{ "9p", "CONFIG_9P_FS" }, { "zram", "CONFIG_ZRAM" }, { "vfio-pci", "CONFIG_VFIO_PCI" },
		{ "vfio_pci", "CONFIG_VFIO_PCI" }, { "vfio_iommu_type1", "CONFIG_VFIO_IOMMU_TYPE1" },
	};
	const char *mods[CASE_MAX_LIST + 8];
	int n = module_list(c, mods, CASE_MAX_LIST + 8);

	for (int i = 0; i < n; i++) {
		const char *config = NULL;
		for (size_t j = 0; j < sizeof(known) / sizeof(known[0]); j++)
			if (!strcmp(known[j].mod, mods[i]))
				config = known[j].config;
		if (config && kernel_config_value(k, config) != 'y') {
			snprintf(err, len, "kernel %s has no modules and %s is not =y (module %s)",
				 k->spec, config, mods[i]);
			return -1;
		}
	}
	return 0;
}

static int make_initramfs(const struct case_def *c, const struct kernel *k, const char *out, char *err, size_t len)
{
	const char *mods[CASE_MAX_LIST + 8];
	char init[PATH_MAX], path[PATH_MAX + 32];
	struct initramfs_spec s = { .init_path = init, .config_path = k->config };

	xsnprintf(init, sizeof(init), "%s/build/guest/init", repo_root());
	xsnprintf(path, sizeof(path), "%s/initramfs.cpio", out);
	if (k->modules_dir[0]) {
		module_list(c, mods, CASE_MAX_LIST + 8);
		s.modules_dir = k->modules_dir;
		s.modules = mods;
	} else if (check_builtin_modules(c, k, err, len) < 0) {
		return -1;
	}
	return initramfs_build(path, &s, err, len);
}

static void write_job(const struct case_def *c, const struct kernel *k, const char *guest_dir, int timeout_s)
{
	char path[PATH_MAX + 16], *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	fprintf(f, "[job]\nworkload = %s/build/guest/%s\nargs = %s\nkconfig = %s\n", repo_root(),
		c->workload, c->args, k->config);
	/* The guest kills the workload a little before the host kills QEMU, so
	 * that a hung workload still leaves its status behind. */
	fprintf(f, "timeout = %d\ncgroup = %s\nzram = %s\n", timeout_s > 60 ? timeout_s - 20 : timeout_s,
		c->cgroup, c->zram);
	for (int i = 0; i < c->nsysctls; i++)
		fprintf(f, "sysctl = %s\n", c->sysctls[i]);
	fclose(f);
	xsnprintf(path, sizeof(path), "%s/job.ini", guest_dir);
	if (write_file_atomic(path, text, len) < 0)
		die(EXIT_UNTESTABLE, "cannot write %s: %s", path, strerror(errno));
	free(text);
}

static int build_vm_argv(const struct case_def *c, const struct kernel *k, const char *out,
			 const char *guest_dir, char **argv, char *arena, size_t arena_len)
{
	char initrd[PATH_MAX + 32], cmdline[1024];
	const char *devices[CASE_MAX_LIST];
	struct vm_config v = {
		.qemu = "qemu-system-x86_64", .kvm = vm_kvm_usable(), .mem_mb = c->mem_mb,
		.cpus = c->cpus, .numa_mb = c->numa_mb, .nnuma = c->nnuma, .machine = c->machine,
		.iommu = c->iommu, .devices = devices, .ndevices = c->ndevices,
		.kernel = k->bzimage, .initrd = initrd, .cmdline = cmdline,
		.root_share = "/", .out_share = guest_dir,
	};

	for (int i = 0; i < c->ndevices; i++)
		devices[i] = c->devices[i];
	xsnprintf(initrd, sizeof(initrd), "%s/initramfs.cpio", out);
	vm_kernel_cmdline(c, cmdline, sizeof(cmdline));
	return vm_build_argv(&v, argv, arena, arena_len);
}

static void save_cmdline(char **argv, const char *dir)
{
	char path[PATH_MAX + 32], *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	for (int i = 0; argv[i]; i++)
		fprintf(f, "'%s'%s", argv[i], argv[i + 1] ? " \\\n  " : "\n");
	fclose(f);
	xsnprintf(path, sizeof(path), "%s/qemu.cmdline", dir);
	write_file_atomic(path, text, len);
	free(text);
}

static void classify_console(struct run_result *r)
{
	char path[PATH_MAX + 32];
	size_t len;
	char *log, *init_error;

	xsnprintf(path, sizeof(path), "%s/console.log", r->dir);
	log = read_file(path, &len);
	if (log)
		report_parse(log, len, &r->report);
	if (log && (init_error = strstr(log, "mmrepro-init: error: ")))
		snprintf(r->init_error, sizeof(r->init_error), "%.*s", (int)strcspn(init_error, "\r\n"), init_error);
	free(log);
}

static char *read_guest_file(const char *guest_dir, const char *name)
{
	char path[PATH_MAX + 64];

	xsnprintf(path, sizeof(path), "%s/%s", guest_dir, name);
	return read_file(path, NULL);
}

static void phase_times(struct run_result *r, const struct console_result *con)
{
	const double *m = con->mark_s;

	r->init_s = m[MARK_INIT];
	r->boot_s = m[MARK_WORKLOAD_START] >= 0 ? m[MARK_WORKLOAD_START] : con->seconds;
	if (m[MARK_WORKLOAD_START] >= 0)
		r->workload_s = (m[MARK_WORKLOAD_END] >= 0 ? m[MARK_WORKLOAD_END] : con->seconds) -
				m[MARK_WORKLOAD_START];
}

static void run_once(const struct case_def *c, const struct kernel *k, const struct run_opts *o,
		     struct run_result *r, int timeout_s)
{
	char guest_dir[PATH_MAX + 16], log[PATH_MAX + 32], qerr[PATH_MAX + 32], arena[16384];
	char *argv[VM_MAX_ARGS], *status;
	struct console_result con;
	struct console_opts co = {
		.log_path = log, .stderr_path = qerr, .timeout_s = timeout_s,
		.idle_timeout_s = c->idle_timeout_s, .max_log_bytes = MAX_LOG_BYTES,
		.signal_fd = o->signal_fd, .echo_fd = o->echo ? 2 : -1,
	};
	double start = now_seconds();

	xsnprintf(guest_dir, sizeof(guest_dir), "%s/guest", r->dir);
	xsnprintf(log, sizeof(log), "%s/console.log", r->dir);
	xsnprintf(qerr, sizeof(qerr), "%s/qemu.stderr", r->dir);
	mkdir_p(guest_dir, 0755);
	write_job(c, k, guest_dir, timeout_s);
	if (build_vm_argv(c, k, o->out_dir, guest_dir, argv, arena, sizeof(arena)) < 0)
		die(EXIT_USAGE, "%s: QEMU command line too long", c->path);
	save_cmdline(argv, r->dir);
	r->verdict = V_RUNNING;
	result_write(r);

	console_run(argv, &co, &con);
	r->console_end = con.end;
	classify_console(r);
	status = read_guest_file(guest_dir, "workload.status");
	char *wj = read_guest_file(guest_dir, "workload.json");
	r->workload = wj ? json_tokener_parse(wj) : NULL;
	free(wj);
	result_decide(r, &con, status);
	free(status);
	phase_times(r, &con);
	r->total_s = now_seconds() - start + r->prepare_s;
	result_write(r);
}

static void init_result(struct run_result *r, const struct case_def *c, const struct kernel *k,
			const struct run_opts *o, int index)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->case_name, sizeof(r->case_name), "%s", c->name);
	snprintf(r->variant, sizeof(r->variant), "%s", o->variant ? o->variant : "");
	snprintf(r->kernel_spec, sizeof(r->kernel_spec), "%s", k->spec);
	snprintf(r->kernel_release, sizeof(r->kernel_release), "%s", k->release);
	snprintf(r->series, sizeof(r->series), "%s", k->series);
	snprintf(r->fix, sizeof(r->fix), "%s", c->fix);
	r->index = index;
	xsnprintf(r->dir, sizeof(r->dir), "%s/run-%d", o->out_dir, index);
	mkdir_p(r->dir, 0755);
}

static void fail_all(struct run_result *r, const char *why)
{
	r->verdict = V_BROK;
	snprintf(r->reason, sizeof(r->reason), "%s", why);
	result_write(r);
}

int run_case(const struct case_def *c, const struct kernel *k, const struct run_opts *o,
	     struct run_result *results)
{
	char workload[PATH_MAX], err[1024] = "";
	int timeout_s = o->timeout_s ? o->timeout_s : c->timeout_s, done = 0;
	double t0 = now_seconds(), prepare;

	mkdir_p(o->out_dir, 0755);
	xsnprintf(workload, sizeof(workload), "%s/build/guest/%s", repo_root(), c->workload);
	if (!file_exists(workload))
		snprintf(err, sizeof(err), "%s: workload '%s' is not built (%s); run make", c->path,
			 c->workload, workload);
	else
		make_initramfs(c, k, o->out_dir, err, sizeof(err));
	prepare = now_seconds() - t0;
	for (int i = 0; i < o->runs; i++) {
		struct run_result *r = &results[i];
		init_result(r, c, k, o, i + 1);
		r->prepare_s = i == 0 ? prepare : 0;
		if (err[0])
			fail_all(r, err);
		else
			run_once(c, k, o, r, timeout_s);
		done++;
		if (!o->quiet)
			result_print_line(r, stdout);
		if (r->verdict == V_INTERRUPTED)
			break;
	}
	result_write_summary(o->out_dir, results, done);
	return done;
}

void run_free_results(struct run_result *r, int n)
{
	for (int i = 0; i < n; i++)
		if (r[i].workload)
			json_object_put(r[i].workload);
}
