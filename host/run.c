/* One invocation of a case: the out dir, the initramfs, and each run's VM. */
#include "run.h"
#include "html.h"
#include "decode.h"
#include "flavor.h"
#include "build.h"
#include "syzbot.h"
#include "initramfs.h"
#include "libvirt.h"
#include "pool.h"
#include "util.h"
#include "vm.h"
#include "workload.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LOG_BYTES (16u << 20)
/* A case's scratch disk in its run dir, removed when the VM ends. */
#define RUN_DISK_IMAGE "disk.img"
#define MAX_RESULT_RECORD (1u << 20)
#define MAX_CHANNEL_BYTES (4u << 20)
/* A KVM that cannot run this guest shows nothing at all; a working one
 * prints the init's first line within a few seconds. */
#define KVM_PROBE_S 30
/* Attempts after the first that a run gets when TCG makes a known
 * artifact: it is rare (one boot in a CI run here), so two more make a
 * lost run rarer still. */
#define EMULATOR_RETRIES 2

static const char *const base_modules[] = { "virtio_pci", "9pnet_virtio", "9p" };

/* ---- the accelerator and QEMU's user ------------------------------------ */

void run_accel_init(struct accel_state *s, enum accel_mode mode)
{
	memset(s, 0, sizeof(*s));
	s->mode = mode;
	vm_accel_choose(mode, &s->choice);
	if (!s->choice.usable)
		die(EXIT_UNTESTABLE, "--accel kvm: %s; use --accel tcg or auto", s->choice.reason);
	fprintf(stderr, "mmrepro: accel: %s\n", s->choice.reason);
	s->announced = true;
}

const char *run_qemu_user(void)
{
	if (geteuid() != 0)
		return NULL;
	/* ./run.sh setup creates the dedicated user; nobody is the fallback. */
	return getpwnam("mmrepro-qemu") ? "mmrepro-qemu" : "nobody";
}

/* ---- the initramfs ---------------------------------------------------- */

static int module_list(const struct case_def *c, const char **mods, int max)
{
	int n = 0;

	for (size_t i = 0; i < sizeof(base_modules) / sizeof(base_modules[0]); i++)
		mods[n++] = base_modules[i];
	for (int i = 0; i < c->nmodules && n < max - 2; i++)
		mods[n++] = c->modules[i];
	if (c->zram[0] && n < max - 2)
		mods[n++] = "zram";
	if (c->disk_mb && n < max - 1)
		mods[n++] = "virtio_blk";
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
		{ "virtio_blk", "CONFIG_VIRTIO_BLK" }, { "ext4", "CONFIG_EXT4_FS" },
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

/* The job the guest init reads from the initramfs; paths are the guest's. */
static char *job_text(const struct case_def *c, const struct kernel *k, const struct workload_plan *p,
		      int timeout_s)
{
	const char *base = strrchr(p->program, '/');
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	fprintf(f, "[job]\n%s = %s/%s\n%s = %s\n%s = %s\n", PROTO_JOB_WORKLOAD, PROTO_GUEST_BIN,
		base ? base + 1 : p->program, PROTO_JOB_ARGS, p->args, PROTO_JOB_KCONFIG,
		k->config[0] ? PROTO_GUEST_DIR "/kconfig" : "");
	/* The guest kills the workload a little before the host kills QEMU, so
	 * that a hung workload still leaves its status behind. */
	fprintf(f, "%s = %d\n%s = %s\n%s = %s\n", PROTO_JOB_TIMEOUT, timeout_s > 60 ? timeout_s - 20 : timeout_s,
		PROTO_JOB_CGROUP, c->cgroup, PROTO_JOB_ZRAM, c->zram);
	if (!arch_info(c->arch)->host_root)
		fprintf(f, "%s = %s\n", PROTO_JOB_ROOT, PROTO_ROOT_INITRAMFS);
	if (strcmp(arch_info(c->arch)->result_port, PROTO_RESULT_PORT_DEFAULT))
		fprintf(f, "%s = %s\n", PROTO_JOB_RESULT_PORT, arch_info(c->arch)->result_port);
	for (int i = 0; i < c->nsysctls; i++)
		fprintf(f, "%s = %s\n", PROTO_JOB_SYSCTL, c->sysctls[i]);
	for (int i = 0; i < c->nknobs; i++)
		fprintf(f, "%s = %s %s %s\n", PROTO_JOB_KNOB, c->knobs[i].name, c->knobs[i].path, c->knobs[i].value);
	fclose(f);
	return text;
}

/* initramfs_build's messages come from libarchive ("Write error"), which
 * drops the errno: it is read here, right after the failure, so that a
 * full disk names the file and the errno. */
static int build_initramfs(const char *path, const struct initramfs_spec *s, char *err, size_t len)
{
	char why[512];
	int rc, e;

	errno = 0;
	rc = initramfs_build(path, s, err, len);
	e = errno;
	if (rc && util_disk_fault(e)) {
		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, len, "could not prepare the run: cannot write %s: %s (%s)", path, strerror(e), why);
	}
	return rc;
}

static int make_initramfs(const struct case_def *c, const struct kernel *k, const struct workload_plan *p,
			  const char *out, int timeout_s, char *err, size_t len)
{
	const char *mods[CASE_MAX_LIST + 8];
	char init[PATH_MAX], path[PATH_MAX + 32], job_path[PATH_MAX + 32];
	char *job = job_text(c, k, p, timeout_s);
	struct initramfs_spec s = { .init_path = init, .config_path = k->config, .workload_path = p->program,
				    .job_text = job, .files = p->files, .nfiles = p->nfiles,
				    .static_init = c->arch != ARCH_X86_64 };
	int rc = 0;

	xsnprintf(init, sizeof(init), "%s/build/%s/init", repo_root(), arch_info(c->arch)->guest_dir);
	xsnprintf(job_path, sizeof(job_path), "%s/job.ini", out);
	xsnprintf(path, sizeof(path), "%s/initramfs.cpio", out);
	if ((rc = write_file_atomic(job_path, job, strlen(job))) < 0) {
		snprintf(err, len, "could not prepare the run: cannot write %s: %s", job_path, strerror(-rc));
	} else if (!file_exists(p->program) || !file_exists(init)) {
		snprintf(err, len, "%s: %s '%s' is not built (%s); run make%s", c->path,
			 workload_source_name(workload_source_of(c)), c->workload, file_exists(init) ? p->program : init,
			 c->arch == ARCH_X86_64 ? "" : " guest-arm64 (its cross compiler and libraries: ./run.sh setup)");
		rc = -1;
	} else if (k->modules_dir[0]) {
		module_list(c, mods, CASE_MAX_LIST + 8);
		s.modules_dir = k->modules_dir;
		s.modules = mods;
	} else {
		rc = check_builtin_modules(c, k, err, len);
	}
	if (!rc)
		rc = build_initramfs(path, &s, err, len);
	free(job);
	return rc;
}

/* ---- what could not be recorded ---------------------------------------- */

/* The files of one run that could not be written, as "NAME: strerror"
 * items, NAME relative to the out dir. A run whose record is incomplete
 * tested nothing, whatever the guest said (untestable_if_lost). */
#define LOST "could not record the run: "

struct record {
	const char *root;
	char lost[400];
	bool applied;   /* the run's verdict already says so */
};

static void note_lost(struct record *rec, const char *path, int rc)
{
	size_t n = strlen(rec->root), used = strlen(rec->lost);
	const char *name = !strncmp(path, rec->root, n) && path[n] == '/' ? path + n + 1 : path;
	char item[PATH_MAX + 64];

	if (rc >= 0)
		return;
	snprintf(item, sizeof(item), "%s: %s", name, strerror(-rc));
	if (!strstr(rec->lost, item))
		snprintf(rec->lost + used, sizeof(rec->lost) - used, "%s%s", used ? "; " : "", item);
}

static void write_noted(struct record *rec, const char *path, const char *data, size_t len)
{
	note_lost(rec, path, write_file_atomic(path, data, len));
}

/* The verdict was decided from the console as it arrived (console.c keeps
 * it in memory), so it is known even when console.log could not be
 * saved. Still, a verdict whose evidence is not on disk cannot be checked,
 * decoded or reported, and a full disk is the machine's fault, not the
 * kernel's: the run could not test (125, which git bisect skips), and the
 * verdict it would have had goes into the reason. An interrupted run
 * stays interrupted (130). */
static void untestable_if_lost(struct run_result *r, struct record *rec)
{
	char why[sizeof(r->reason)];

	if (!rec->lost[0] || rec->applied || r->verdict == V_INTERRUPTED)
		return;
	snprintf(why, sizeof(why), LOST "%.260s (its verdict would have been %s%s%.150s)",
		 rec->lost, r->other_crash ? "OTHER" : verdict_name(r->verdict), r->reason[0] ? ": " : "",
		 r->reason);
	r->verdict = V_BROK;
	r->other_crash = r->infra = false;
	snprintf(r->reason, sizeof(r->reason), "%s", why);
	sanitize_text(r->reason, false);
	rec->applied = true;
	fprintf(stderr, "mmrepro: run %d: %s\n", r->index, r->reason);
}

static int result_noted(struct record *rec, const struct run_result *r)
{
	char path[PATH_MAX + 32];
	int rc = result_write(r);

	xsnprintf(path, sizeof(path), "%s/result.json", r->dir);
	note_lost(rec, path, rc);
	if (rc < 0)
		fprintf(stderr, "mmrepro: run %d: cannot write %s: %s\n", r->index, path, strerror(-rc));
	return rc;
}

/* The run's result.json, last. When even it cannot be written, the run
 * is untestable in memory, which is what the command's exit code reads.
 * -1 when anything of the run was lost. */
static int write_result(struct run_result *r, struct record *rec)
{
	if (result_noted(rec, r) < 0)
		untestable_if_lost(r, rec);
	return rec->lost[0] ? -1 : 0;
}

/* ---- one VM ----------------------------------------------------------- */

/* KVM runs only the host's own architecture: another one is TCG. */
static bool uses_kvm(const struct case_def *c, const struct run_opts *o)
{
	return o->accel->choice.kvm && c->arch == ARCH_X86_64;
}

/* The VM description for a case on a kernel, whatever the backend. */
struct vm_desc {
	struct vm_config v;
	char initrd[PATH_MAX + 32], cmdline[1024], disk[PATH_MAX + 32];
	const char *devices[CASE_MAX_LIST];
};

static void describe_vm(const struct case_def *c, const struct kernel *k, const struct run_opts *o,
			const struct run_result *r, struct vm_desc *d)
{
	const struct arch_info *ai = arch_info(c->arch);

	d->v = (struct vm_config){
		.qemu = ai->qemu, .arch = c->arch, .kvm = uses_kvm(c, o),
		.mem_mb = c->mem_mb, .cpus = c->cpus, .numa_mb = c->numa_mb, .nnuma = c->nnuma,
		.machine = c->arch == ARCH_X86_64 ? c->machine : ai->machine,
		.iommu = c->iommu, .devices = d->devices, .ndevices = c->ndevices,
		.kernel = k->boot_image, .initrd = d->initrd, .cmdline = d->cmdline,
		.root_share = ai->host_root ? "/" : "", .runas = run_qemu_user(), .disk_mb = c->disk_mb, .disk = d->disk,
	};
	for (int i = 0; i < c->ndevices; i++)
		d->devices[i] = c->devices[i];
	xsnprintf(d->initrd, sizeof(d->initrd), "%s/initramfs.cpio", o->out_dir);
	xsnprintf(d->disk, sizeof(d->disk), "%s/" RUN_DISK_IMAGE, r->dir);
	vm_kernel_cmdline(c, d->cmdline, sizeof(d->cmdline));
	/* The flavour's panic_on_warn goes with the kernel built in it. */
	if (flavor_panic_on_warn(k->flavor, c->panic_on_warn))
		xsnprintf(d->cmdline + strlen(d->cmdline), sizeof(d->cmdline) - strlen(d->cmdline), " panic_on_warn=1");
}

/* The libvirt backend is this program in another role (libvirt-vm): it
 * behaves like QEMU towards the console pump, and it reads the VM
 * description from vm.json in the run dir. */
static int libvirt_argv(const struct vm_desc *d, const struct run_result *r, const char *uri, char **argv,
			char *arena, size_t arena_len)
{
	char vm_json[PATH_MAX + 32], self[PATH_MAX] = "", tag[96], xml_out[PATH_MAX + 32];
	struct json_object *o = vm_config_to_json(&d->v);
	struct vm_libvirt_call call = { .self = self, .uri = uri, .vm_json = vm_json, .tag = tag, .xml_out = xml_out };

	xsnprintf(vm_json, sizeof(vm_json), "%s/vm.json", r->dir);
	xsnprintf(xml_out, sizeof(xml_out), "%s/domain.xml", r->dir);
	snprintf(tag, sizeof(tag), "%s-r%d", r->case_name, r->index);
	result_write_json(vm_json, o);
	json_object_put(o);
	if (readlink("/proc/self/exe", self, sizeof(self) - 1) <= 0)
		return -1;
	return vm_build_libvirt_argv(&call, argv, arena, arena_len);
}

static int build_vm_argv(const struct case_def *c, const struct kernel *k, const struct run_opts *o,
			 const struct run_result *r, char **argv, char *arena, size_t arena_len)
{
	struct vm_desc d;

	describe_vm(c, k, o, r, &d);
	if (!strcmp(r->backend, "libvirt"))
		return libvirt_argv(&d, r, r->host, argv, arena, arena_len);
	return vm_build_argv(&d.v, argv, arena, arena_len);
}

/* The guest's empty scratch disk, sparse, owned by the user QEMU runs as
 * (it opens the image before it drops root, but a reopen must work too). */
static int make_disk(const struct case_def *c, const struct run_result *r, char *err, size_t len)
{
	char path[PATH_MAX + 32];
	const char *user = run_qemu_user();
	struct passwd *pw = user ? getpwnam(user) : NULL;
	int fd;

	if (!c->disk_mb || !strcmp(r->backend, "libvirt"))
		return 0;
	xsnprintf(path, sizeof(path), "%s/" RUN_DISK_IMAGE, r->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)c->disk_mb << 20) < 0 || (pw && fchown(fd, pw->pw_uid, pw->pw_gid) < 0)) {
		snprintf(err, len, "cannot make the %u MiB disk %s: %s", c->disk_mb, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

/* What the guest wrote to its disk is not kept: it is the guest's, and big. */
static void remove_disk(const struct run_result *r)
{
	char path[PATH_MAX + 32];

	xsnprintf(path, sizeof(path), "%s/" RUN_DISK_IMAGE, r->dir);
	unlink(path);
}

/* qemu.cmdline can be pasted into a shell: each argument single-quoted. */
static void save_cmdline(char **argv, const char *dir, struct record *rec)
{
	char path[PATH_MAX + 32], *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	for (int i = 0; argv[i]; i++) {
		fputc('\'', f);
		for (const char *p = argv[i]; *p; p++)
			fputs(*p == '\'' ? "'\\''" : (char[]){ *p, 0 }, f);
		fputs(argv[i + 1] ? "' \\\n  " : "'\n", f);
	}
	fclose(f);
	xsnprintf(path, sizeof(path), "%s/qemu.cmdline", dir);
	write_noted(rec, path, text, len);
	free(text);
}

/* The first report once the workload runs is the run's; one before it is
 * kept apart as a boot report (a case about boot failures takes any).
 * The console is read from the copy the pump kept in memory, the bytes
 * console.log holds: a log that could not be written or read back never
 * passes for a clean console. */
static void classify_console(struct run_result *r, const struct console_result *con)
{
	size_t len = con->log_len;
	const char *log = con->log, *init_error;
	int workload_line = con->mark_line[MARK_WORKLOAD_START];

	if (!log)
		return;
	report_parse(log, len, &r->report);
	if (r->report.crash && workload_line > 0 && r->report.start_line < workload_line &&
	    !r->boot_failure_is_bug) {
		r->boot_report = r->report;
		report_parse_from(log, len, workload_line, &r->report);
	}
	if ((init_error = strstr(log, PROTO_MARK_ERROR)))
		snprintf(r->init_error, sizeof(r->init_error), "%.*s", (int)strcspn(init_error, "\r\n"), init_error);
	sanitize_text(r->init_error, false);
	sanitize_text(r->report.title, false);
	sanitize_text(r->boot_report.title, false);
	result_collect_reports(r, log, len, workload_line);
}

/* Every report's frames to file:line: console.decoded.log and "decoded". */
static void decode_frames(struct run_result *r, const struct kernel *k)
{
	r->decoded = decode_console(r->dir, k->vmlinux, k->release);
}

/* The line of QEMU's stderr that says what went wrong: the first that
 * mentions an error, else the last one. */
static void qemu_error_line(const char *text, char *out, size_t len)
{
	const char *pick = NULL, *last = NULL;

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		size_t n = strcspn(p, "\n");
		if (n == 0)
			continue;
		last = p;
		if (!pick && (memmem(p, n, "rror", 4) || memmem(p, n, "annot", 5)))
			pick = p;
	}
	pick = pick ? pick : last;
	out[0] = '\0';
	if (pick)
		snprintf(out, len, "%.*s", (int)strcspn(pick, "\n"), pick);
	sanitize_text(out, false);
}

/* What the guest sent, kept as files the host itself writes. */
static void store_guest_results(struct run_result *r, const struct guest_results *g, struct record *rec)
{
	char dir[PATH_MAX + 16], path[PATH_MAX + 64];

	xsnprintf(dir, sizeof(dir), "%s/guest", r->dir);
	note_lost(rec, dir, mkdir_p(dir, 0755));
	if (g->status) {
		xsnprintf(path, sizeof(path), "%s/workload.status", dir);
		write_noted(rec, path, g->status, strlen(g->status));
	}
	if (g->json) {
		xsnprintf(path, sizeof(path), "%s/workload.json", dir);
		write_noted(rec, path, g->json, strlen(g->json));
		r->workload = json_tokener_parse(g->json);
	}
	if (g->kselftest) {
		xsnprintf(path, sizeof(path), "%s/%s", dir, PROTO_REC_KSELFTEST);
		write_noted(rec, path, g->kselftest, g->kselftest_len);
	}
	if (g->repro) {
		xsnprintf(path, sizeof(path), "%s/%s", dir, PROTO_REC_REPRO);
		write_noted(rec, path, g->repro, g->repro_len);
	}
	if (g->problem[0] && !r->init_error[0])
		snprintf(r->init_error, sizeof(r->init_error), "result channel: %s", g->problem);
}

static void boot_vm(const struct case_def *c, const struct kernel *k, const struct run_opts *o,
		    struct run_result *r, int timeout_s, struct console_result *con, struct record *rec)
{
	char log[PATH_MAX + 32], qerr[PATH_MAX + 32], arena[16384];
	char *argv[VM_MAX_ARGS];
	bool kvm = uses_kvm(c, o), probing = kvm && !o->accel->confirmed;
	struct console_opts co = {
		.log_path = log, .stderr_path = qerr, .timeout_s = timeout_s,
		.idle_timeout_s = c->idle_timeout_s, .max_log_bytes = MAX_LOG_BYTES,
		.signal_fd = o->signal_fd, .echo_fd = o->echo ? 2 : -1,
		.start_probe_s = probing ? KVM_PROBE_S : 0,
		.fatal_stderr = kvm ? "KVM internal error" : NULL,
		.results_channel = true, .max_results_bytes = MAX_CHANNEL_BYTES,
	};

	xsnprintf(log, sizeof(log), "%s/console.log", r->dir);
	xsnprintf(qerr, sizeof(qerr), "%s/qemu.stderr", r->dir);
	if (build_vm_argv(c, k, o, r, argv, arena, sizeof(arena)) < 0)
		die(EXIT_USAGE, "%s: VM command line too long", c->path);
	save_cmdline(argv, r->dir, rec);
	snprintf(r->accel, sizeof(r->accel), "%s", kvm ? "kvm" : "tcg");
	if (c->arch != ARCH_X86_64)
		snprintf(r->accel_reason, sizeof(r->accel_reason), "tcg (an %s guest on this x86_64 host)",
			 arch_info(c->arch)->name);
	else
		snprintf(r->accel_reason, sizeof(r->accel_reason), "%s", o->accel->choice.reason);
	console_run(argv, &co, con);
	note_lost(rec, log, -con->log_errno);
	note_lost(rec, qerr, -con->stderr_errno);
}

/* A KVM that cannot run the guest is found on the command's first boot;
 * in auto mode that boot's files are set aside and it reruns on TCG. */
static bool kvm_failed_first_boot(const struct case_def *c, const struct run_opts *o, struct run_result *r,
				  struct console_result *con)
{
	char why[300], from[PATH_MAX + 64], to[PATH_MAX + 64];

	if (!uses_kvm(c, o) || o->accel->confirmed)
		return false;
	/* Seen here: an internal-error hang, or an exit at once ("failed to
	 * set MSR") on a KVM host that is not what it seems (kvm_pvm). */
	if (con->end != CONSOLE_NO_START && con->end != CONSOLE_QEMU_FATAL &&
	    !(con->end == CONSOLE_EXITED && con->bytes == 0)) {
		o->accel->confirmed = con->bytes > 0;
		return false;
	}
	if (o->accel->mode != ACCEL_AUTO)
		return false;
	qemu_error_line(con->qemu_stderr ? con->qemu_stderr : "", r->qemu_error, sizeof(r->qemu_error));
	snprintf(why, sizeof(why), "%s%s%s", con->end == CONSOLE_NO_START ? "no console output" :
		 con->end == CONSOLE_EXITED ? "QEMU exited with no console output" : "QEMU error",
		 r->qemu_error[0] ? ": " : "", r->qemu_error);
	r->qemu_error[0] = '\0';
	for (int i = 0; i < 2; i++) {
		const char *name = i ? "qemu.stderr" : "console.log";
		xsnprintf(from, sizeof(from), "%s/%s", r->dir, name);
		xsnprintf(to, sizeof(to), "%s/kvm-attempt.%s", r->dir, name);
		rename(from, to);
	}
	vm_accel_fall_back(o->accel, why);
	console_result_free(con);
	return true;
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

/* The libvirt-vm process exits LIBVIRT_EXIT_INFRA when the host, not the
 * guest, failed: no connection, no domain, the daemon or link lost. */
static void host_failure(struct run_result *r, const struct console_result *con)
{
	if (strcmp(r->backend, "libvirt") || con->end != CONSOLE_EXITED || !WIFEXITED(con->exit_status) ||
	    WEXITSTATUS(con->exit_status) != LIBVIRT_EXIT_INFRA)
		return;
	r->infra = true;
	r->verdict = V_BROK;
	snprintf(r->reason, sizeof(r->reason), "infra: host %s failed: %s", r->host,
		 r->qemu_error[0] ? r->qemu_error : "see qemu.stderr");
}

/* A first report that QEMU's TCG made, not the kernel: the run tested
 * nothing, whatever its console said after. */
static void emulator_failure(struct run_result *r, const struct console_result *con)
{
	const struct report *first = r->boot_report.crash ? &r->boot_report : &r->report;

	/* An interrupted run stays interrupted: Ctrl-C never costs a retry. */
	if (r->verdict == V_INTERRUPTED || strcmp(r->accel, "tcg") ||
	    !(r->emulator = emulator_artifact_of(con->log, con->log_len, first)))
		return;
	r->verdict = V_BROK;
	r->other_crash = false;
	snprintf(r->reason, sizeof(r->reason), "emulator: %s: %s", first->title, emulator_artifact_why(r->emulator));
}

static int run_once(const struct case_def *c, const struct kernel *k, const struct run_opts *o,
		    const struct workload_plan *plan, struct run_result *r, int timeout_s)
{
	struct console_result con;
	struct guest_results g;
	struct record rec = { .root = o->out_dir };
	double start = now_seconds();
	char disk_err[PATH_MAX + 128];

	note_lost(&rec, r->dir, mkdir_p(r->dir, 0755));
	r->verdict = V_RUNNING;
	result_noted(&rec, r);
	if (make_disk(c, r, disk_err, sizeof(disk_err)) < 0) {
		r->verdict = V_BROK;
		snprintf(r->reason, sizeof(r->reason), "%s", disk_err);
		return write_result(r, &rec);
	}
	boot_vm(c, k, o, r, timeout_s, &con, &rec);
	if (kvm_failed_first_boot(c, o, r, &con))
		boot_vm(c, k, o, r, timeout_s, &con, &rec);
	remove_disk(r);
	r->console_end = con.end;
	qemu_error_line(con.qemu_stderr ? con.qemu_stderr : "", r->qemu_error, sizeof(r->qemu_error));
	classify_console(r, &con);
	decode_frames(r, k);
	result_parse_channel(con.results, con.results_len, MAX_RESULT_RECORD, &g);
	if (con.results_overflow)
		snprintf(g.problem, sizeof(g.problem), "over %u bytes", MAX_CHANNEL_BYTES);
	store_guest_results(r, &g, &rec);
	result_decide(r, &con, g.status);
	workload_read_results(c, plan, r, &g);
	result_apply_title(r);
	host_failure(r, &con);
	emulator_failure(r, &con);
	untestable_if_lost(r, &rec);
	result_free_channel(&g);
	phase_times(r, &con);
	console_result_free(&con);
	r->total_s = now_seconds() - start + r->prepare_s;
	return write_result(r, &rec);
}

/* The VM a run had, for result.json: what a reproducer's options set. */
static struct json_object *vm_shape_json(const struct case_def *c)
{
	struct json_object *o = json_object_new_object(), *numa = json_object_new_array(),
			   *sysctls = json_object_new_array(), *knobs = json_object_new_array();

	json_object_object_add(o, "memory_mb", json_object_new_int((int)c->mem_mb));
	json_object_object_add(o, "cpus", json_object_new_int(c->cpus));
	for (int i = 0; i < c->nnuma; i++)
		json_object_array_add(numa, json_object_new_int((int)c->numa_mb[i]));
	json_object_object_add(o, "numa_mb", numa);
	json_object_object_add(o, "cmdline", json_object_new_string(c->cmdline));
	for (int i = 0; i < c->nsysctls; i++)
		json_object_array_add(sysctls, json_object_new_string(c->sysctls[i]));
	json_object_object_add(o, "sysctls", sysctls);
	for (int i = 0; i < c->nknobs; i++) {
		char line[sizeof(c->knobs[0].name) + sizeof(c->knobs[0].value) + 2];
		snprintf(line, sizeof(line), "%s=%s", c->knobs[i].name, c->knobs[i].value);
		json_object_array_add(knobs, json_object_new_string(line));
	}
	json_object_object_add(o, "knobs", knobs);
	json_object_object_add(o, "zram", json_object_new_string(c->zram));
	json_object_object_add(o, "source", json_object_new_string(workload_source_name(workload_source_of(c))));
	return o;
}

static void init_result(struct run_result *r, const struct case_def *c, const struct kernel *k,
			const struct run_opts *o, int index)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->case_name, sizeof(r->case_name), "%s", c->name);
	snprintf(r->variant, sizeof(r->variant), "%s", o->variant ? o->variant : "");
	snprintf(r->kernel_spec, sizeof(r->kernel_spec), "%s", k->spec);
	snprintf(r->kernel_release, sizeof(r->kernel_release), "%s", k->release);
	snprintf(r->kernel_source, sizeof(r->kernel_source), "%s", k->source_version);
	snprintf(r->series, sizeof(r->series), "%s", k->series);
	snprintf(r->flavor, sizeof(r->flavor), "%s", k->flavor[0] ? k->flavor : "normal");
	snprintf(r->fix, sizeof(r->fix), "%s", c->fix);
	for (int i = 0; i < c->ncounters; i++)
		snprintf(r->counters + strlen(r->counters), sizeof(r->counters) - strlen(r->counters), "%s%s",
			 i ? " " : "", c->counters[i]);
	r->boot_failure_is_bug = c->boot_failure_is_bug;
	snprintf(r->title_pattern, sizeof(r->title_pattern), "%s", c->title);
	r->vm_shape = vm_shape_json(c);
	r->index = index;
	xsnprintf(r->dir, sizeof(r->dir), "%s/run-%d", o->out_dir, index);
	mkdir_p(r->dir, 0755);
}

static int fail_all(struct run_result *r, const char *why, const char *root)
{
	struct record rec = { .root = root };

	r->verdict = V_BROK;
	snprintf(r->reason, sizeof(r->reason), "%s", why);
	return write_result(r, &rec);
}

/* A fresh result for another attempt at run r, its last one kept aside
 * as run-N.SUFFIX-K. */
static void next_attempt(struct run_result *r, const struct case_def *c, const struct kernel *k,
			 const struct run_opts *o, const char *suffix, int attempt, double prepare)
{
	char aside[PATH_MAX + 32];
	int retries = r->emulator_retries + !!r->emulator;

	xsnprintf(aside, sizeof(aside), "%s.%s-%d", r->dir, suffix, attempt);
	if (rename(r->dir, aside) < 0)
		fprintf(stderr, "mmrepro: cannot keep %s as %s: %s\n", r->dir, aside, strerror(errno));
	run_free_results(r, 1);
	init_result(r, c, k, o, r->index);
	r->prepare_s = prepare;
	r->emulator_retries = retries;
}

/* The run on a free slot. A host that fails costs a retry on another
 * slot, never a verdict: the failed attempt's files are kept aside as
 * run-N.infra-K. With no live slot left the run could not be tested. A
 * known emulator artifact (emulator.h) is run again on the same host, at
 * most EMULATOR_RETRIES times, its attempts kept as run-N.emulator-K. */
static int run_on_slot(const struct case_def *c, const struct kernel *k, const struct run_opts *o,
		       const struct workload_plan *plan, struct pool *pool, struct run_result *r, int timeout_s)
{
	double prepare = r->prepare_s;

	for (int emulated = 1, infra = 1;;) {
		int held, rc, slot = pool_acquire(pool, o->signal_fd, &held);
		if (slot < 0) {
			struct record rec = { .root = o->out_dir };
			r->verdict = slot == -2 ? V_INTERRUPTED : V_BROK;
			r->infra = slot == -1;
			snprintf(r->reason, sizeof(r->reason), "%s", slot == -2 ? "interrupted while waiting for a slot" :
				 "infra: no slot left (every host failed)");
			return write_result(r, &rec);
		}
		snprintf(r->host, sizeof(r->host), "%s", pool_slot_host(pool, slot));
		snprintf(r->backend, sizeof(r->backend), "%s", pool->slots[slot].backend == BACKEND_LIBVIRT ? "libvirt" : "qemu");
		r->slot = slot;
		r->jobs = pool->nslots;
		snprintf(r->jobs_auto, sizeof(r->jobs_auto), "%s", pool->jobs_auto ? pool->jobs_auto : "");
		rc = run_once(c, k, o, plan, r, timeout_s);
		pool_release(held);
		if (r->infra) {
			fprintf(stderr, "mmrepro: run %d: %s; retrying on another slot\n", r->index, r->reason);
			pool_host_failed(pool, slot);
			next_attempt(r, c, k, o, "infra", infra++, prepare);
		} else if (r->emulator && emulated <= EMULATOR_RETRIES) {
			fprintf(stderr, "mmrepro: run %d: %s; running it again\n", r->index, r->reason);
			next_attempt(r, c, k, o, "emulator", emulated++, prepare);
		} else {
			return rc;
		}
	}
}

struct batch {
	const struct case_def *c;
	const struct kernel *k;
	const struct run_opts *o;
	struct pool *pool;
	struct workload_plan plan;
	struct run_result *results;
	int timeout_s, first, done;
	double prepare;
	const char *err;
};

/* 0, or -1 when some file of the run could not be written. */
static int start_run(struct batch *b, int i)
{
	struct run_result *r = &b->results[i];

	init_result(r, b->c, b->k, b->o, b->first + i);
	r->prepare_s = i == 0 ? b->prepare : 0;
	if (b->err[0])
		return fail_all(r, b->err, b->o->out_dir);
	return run_on_slot(b->c, b->k, b->o, &b->plan, b->pool, r, b->timeout_s);
}

static void run_serial(struct batch *b)
{
	for (int i = 0; i < b->o->runs; i++) {
		start_run(b, i);
		b->done++;
		if (!b->o->quiet)
			result_print_line(&b->results[i], stdout);
		if (b->results[i].verdict == V_INTERRUPTED)
			break;
		if (b->o->enough && b->o->enough(b->o->enough_arg, &b->results[i]))
			break;
	}
}

/* A run done in a child process, read back from its result.json. */
static void collect(struct batch *b, int i, int status)
{
	struct run_result *r = &b->results[i];

	if (result_read(r->dir, r) < 0 || r->verdict == V_RUNNING) {
		r->verdict = V_BROK;
		if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_UNTESTABLE)
			snprintf(r->reason, sizeof(r->reason), LOST "its result.json was not written (the run said "
				 "why on stderr)");
		else
			snprintf(r->reason, sizeof(r->reason), "the run's process died (wait status %d)", status);
		result_write(r);
	}
	if (!b->o->quiet)
		result_print_line(r, stdout);
}

static void interrupt_children(const pid_t *pids, int n)
{
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGINT);
}

static int wait_child(struct batch *b, pid_t *pids, bool *interrupted)
{
	int status;

	for (;;) {
		struct pollfd f = { .fd = b->o->signal_fd, .events = POLLIN };
		if (b->o->signal_fd >= 0 && poll(&f, 1, 100) > 0 && console_signal_pending(b->o->signal_fd)) {
			*interrupted = true;
			interrupt_children(pids, b->o->runs);
		}
		for (int i = 0; i < b->o->runs; i++)
			if (pids[i] > 0 && waitpid(pids[i], &status, WNOHANG) == pids[i]) {
				pids[i] = 0;
				collect(b, i, status);
				return i;
			}
		if (b->o->signal_fd < 0)
			usleep(100000);
	}
}

/* Each run in a process of its own, as many at once as there are live
 * slots; results keep their run order whatever slot finished first. */
static void run_parallel(struct batch *b)
{
	pid_t *pids = xcalloc((size_t)b->o->runs, sizeof(pid_t));
	int next = 0, running = 0, i;
	bool interrupted = false, enough = false;

	pool_share(b->pool, b->o->out_dir);
	fflush(NULL);
	while (running > 0 || (next < b->o->runs && !interrupted && !enough)) {
		while (!interrupted && !enough && next < b->o->runs && running < pool_live_slots(b->pool)) {
			init_result(&b->results[next], b->c, b->k, b->o, b->first + next);
			if ((pids[next] = fork()) == 0)
				_exit(start_run(b, next) < 0 ? EXIT_UNTESTABLE : 0);
			next++;
			running++;
		}
		if (running == 0)
			break;
		i = wait_child(b, pids, &interrupted);
		running--;
		b->done++;
		if (b->o->enough && b->o->enough(b->o->enough_arg, &b->results[i]))
			enough = true;
	}
	/* Every host failed: what is left could not be tested. */
	for (; !interrupted && !enough && next < b->o->runs; next++, b->done++) {
		start_run(b, next);
		if (!b->o->quiet)
			result_print_line(&b->results[next], stdout);
		if (b->o->enough && b->o->enough(b->o->enough_arg, &b->results[next]))
			enough = true;
	}
	free(pids);
}

static const char *base_config_of(const struct case_def *c)
{
	for (int i = 0; i < c->nconfigs; i++)
		if (!strncmp(c->configs[i], BUILD_BASE_PREFIX, strlen(BUILD_BASE_PREFIX)))
			return c->configs[i] + strlen(BUILD_BASE_PREFIX);
	return NULL;
}

static struct json_object *change_json(const struct config_change *ch)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "option", json_object_new_string(ch->name));
	json_object_object_add(o, "report", json_object_new_string(ch->from));
	json_object_object_add(o, "suite", json_object_new_string(ch->to));
	return o;
}

/* A report's config (base_config) is the build's base: what the suite's
 * fragments changed in it is printed and kept in each result.json. */
static struct json_object *base_config_changes(const struct case_def *c, const struct kernel *k)
{
	const char *base = base_config_of(c), *frags[BUILD_MAX_CONFIGS + 5] = { 0 };
	struct build_request req = { .spec = k->spec, .series = k->series[0] ? k->series : NULL,
				     .flavor = strcmp(k->flavor, "normal") ? k->flavor : NULL };
	struct build_plan plan;
	struct config_change *ch = NULL;
	struct json_object *arr;
	char err[1024];
	int n = 0;

	if (!base)
		return NULL;
	if (!kernel_spec_needs_build(k->spec)) {
		fprintf(stderr, "mmrepro: %s is prebuilt: the report's config %s is not used\n", k->spec, base);
		return json_object_new_string("not used: a prebuilt kernel boots with its own config");
	}
	for (int i = 0; i < c->nconfigs && i < BUILD_MAX_CONFIGS - 1; i++)
		req.configs[i] = c->configs[i];
	if (build_plan(&req, &plan, err, sizeof(err)) == 0) {
		for (int i = 1; i < plan.nfragments && i < BUILD_MAX_CONFIGS + 4; i++)
			frags[i - 1] = plan.fragments[i];
		n = syzbot_config_changes(base, frags, &ch, err, sizeof(err));
	}
	arr = json_object_new_array();
	for (int i = 0; i < n; i++) {
		fprintf(stderr, "mmrepro: the report's config: %s=%s -> %s (the suite needs it)\n", ch[i].name,
			ch[i].from[0] ? ch[i].from : "(unset)", ch[i].to[0] ? ch[i].to : "(unset)");
		json_object_array_add(arr, change_json(&ch[i]));
	}
	free(ch);
	return arr;
}

/* The summaries are the command's record of its runs: when one cannot be
 * written, no run of the command counts, in memory (the exit code) and,
 * where the disk still takes it, in each run's result.json. */
static void write_summaries(const char *out, struct run_result *results, int n)
{
	char failed[PATH_MAX + 64];
	int rc = result_write_summary_at(out, results, n, failed, sizeof(failed));

	if (rc == 0)
		return;
	fprintf(stderr, "mmrepro: cannot write %s: %s\n", failed, strerror(-rc));
	for (int i = 0; i < n; i++) {
		struct record rec = { .root = out };
		if (!strncmp(results[i].reason, LOST, strlen(LOST)))
			continue;
		note_lost(&rec, failed, rc);
		untestable_if_lost(&results[i], &rec);
		result_write(&results[i]);
	}
	result_write_summary_at(out, results, n, NULL, 0);
}

int run_case(const struct case_def *c, const struct kernel *k, const struct run_opts *o,
	     struct run_result *results)
{
	char err[1024] = "";
	struct pool local = { 0 };
	struct batch b = { .c = c, .k = k, .o = o, .results = results, .err = err, .pool = o->pool,
			   .timeout_s = o->timeout_s ? o->timeout_s : c->timeout_s, .first = o->first_run };
	double t0 = now_seconds();

	if (b.first <= 0 && (b.first = run_claim_out_dir(o->out_dir, o->force, err, sizeof(err))) < 0)
		die(EXIT_USAGE, "%s", err);
	if (!b.pool) {
		pool_init(&local, &(struct pool_opts){ .backend = BACKEND_QEMU, .jobs = 1 }, err, sizeof(err));
		b.pool = &local;
	}
	if (workload_plan(c, k, o->signal_fd, &b.plan, err, sizeof(err)) == 0)
		make_initramfs(c, k, &b.plan, o->out_dir, b.timeout_s, err, sizeof(err));
	b.plan.config_changes = base_config_changes(c, k);
	b.prepare = now_seconds() - t0;
	/* A KVM not yet seen to work is tried by one run first (it may fall
	 * back to TCG for the command); the others then follow it. */
	if (b.pool->nslots > 1 && o->runs > 1 && !(o->accel->choice.kvm && !o->accel->confirmed))
		run_parallel(&b);
	else
		run_serial(&b);
	write_summaries(o->out_dir, results, b.done);
	html_write_report(o->out_dir);
	outdir_release(o->out_dir);
	pool_free(&local);
	workload_plan_free(&b.plan);
	return b.done;
}

void run_free_results(struct run_result *r, int n)
{
	for (int i = 0; i < n; i++) {
		if (r[i].workload)
			json_object_put(r[i].workload);
		result_free_reports(&r[i]);
		if (r[i].decoded)
			json_object_put(r[i].decoded);
		json_object_put(r[i].subtests);
		json_object_put(r[i].vm_shape);
		json_object_put(r[i].config_changes);
		r[i].subtests = r[i].vm_shape = r[i].config_changes = NULL;
	}
}
