/* mmrepro: reproduce Linux mm bugs end to end in QEMU. See README.md. */
#include "adhoc.h"
#include "bisect.h"
#include "build.h"
#include "flavor.h"
#include "gate.h"
#include "html.h"
#include "jobs.h"
#include "case.h"
#include "console.h"
#include "kernel.h"
#include "newcase.h"
#include "libvirt.h"
#include "matrix.h"
#include "point.h"
#include "pool.h"
#include "report.h"
#include "reproduce.h"
#include "result.h"
#include "run.h"
#include "title.h"
#include "util.h"
#include "verify.h"
#include "vm.h"
#include "workload.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: mmrepro COMMAND [ARGS]\n"
	"  reproduce [--runs N] [--arch A]   the seed bugs: verify every case with variants (what ./run.sh\n"
	"                              runs; the x86_64 variants unless --arch arm64); kernels at hand\n"
	"                              (prebuilt, cached) first, expected hits first\n"
	"  quick                       every case on its default prebuilt kernels, no build (./run.sh quick)\n"
	"  list                        the cases, one line each\n"
	"  run CASE [--kernel SPEC] [--series S] [--config FRAG] [--runs N]\n"
	"           [--timeout S] [--out DIR [--force]] [--verbose]\n"
	"  verify CASE [--runs N] [--variant NAME] [--out DIR]   every variant against its expectation\n"
	"  gate --kernel BASE --series S [--cases a,b,...|--all] [--runs N] [--jobs J] [--config FRAG] [--out DIR]\n"
	"       [--fail-on-counters]   base vs base+series over the cases; blames the guilty patch; a case\n"
	"                              whose /proc/vmstat counters changed is 'changed' (exit 0, or 1 with\n"
	"                              --fail-on-counters)\n"
	"  bisect CASE --kernel git:TREE --good REV --bad REV [--runs N|auto] [--series S]   the first bad commit\n"
	"  bisect CASE --kernel BASE --series S [--runs N|auto]   the first patch of S at which CASE fails\n"
	"  bisect CASE --fix --kernel git:TREE --broken OLD --fixed NEW | --kernel BASE --series S\n"
	"                              the first commit (or patch) at which CASE stops failing\n"
	"    --runs auto (bisect's default): each point until Wald's test decides it at --alpha A\n"
	"                              (0.05), at most --max-runs M (20) runs; --title T on verify,\n"
	"                              gate, bisect: only that report is the bug, others 'other crash'\n"
	"  bisect --resume DIR         go on with an interrupted bisection\n"
	"  matrix CASE --knob NAME=V1,V2[,...] ... [--variant V] [--kernel SPEC [--series S]] [--runs N]\n"
	"           [--minimize] [--out DIR]   the case under every combination of the knob values (at most\n"
	"                              64), or with --minimize the fewest of the first values under which it\n"
	"                              still hits. Knobs: cpus, memory, numa (1G+1G or none), zram (SIZE or\n"
	"                              none), cmdline+ (cmdline+=WORD), vm.NAME, kernel.numa_balancing,\n"
	"                              thp.enabled, thp.defrag, thp.shrink_underused, mthp.SIZEkB.enabled;\n"
	"                              the value 'default' is the case's own; 3 runs per point unless --runs\n"
	"  every command that boots takes --accel auto|kvm|tcg (or MMREPRO_ACCEL), and\n"
	"    --jobs J|auto             J VMs at once, or as many as the cores and memory allow\n"
	"                              (run, verify, gate, bisect, matrix, reproduce)\n"
	"    --backend qemu|libvirt    direct QEMU (default) or a libvirt domain\n"
	"    --connect URI             the libvirt host (default qemu:///system)\n"
	"    --hosts FILE              runs over every slot of lines 'URI slots=N' ('qemu' = direct QEMU here)\n"
	"  run, verify, gate, bisect, matrix and build take --arch x86_64|arm64 (arm64: source kernels,\n"
	"    cross-built, booted on QEMU's virt machine; overrides the case's arch)\n"
	"  run, verify, gate, bisect and build take --flavor normal|debug (source kernels:\n"
	"    KASAN, lockdep, DEBUG_VM, DEBUG_LIST, DWARF, panic_on_warn=1; overrides the case's flavor)\n"
	"  run|verify|gate|bisect take, in place of CASE, a workload of your own:\n"
	"    --repro FILE.c [--repro-cflags F] [--repro-time S] [--repro-exit-fails]\n"
	"                               a C reproducer, run until S s or a report (or, with\n"
	"                               --repro-exit-fails, until it exits non-zero itself)\n"
	"    --syzbot DIR               a syzbot bundle: repro.c, config, title (or report.txt)\n"
	"    --kselftest mm[:TEST,...]  the kernel's own selftests, built from the tree under test\n"
	"    with --title T|/RE/ (only that report is the bug) and --cpus N --memory SIZE --numa SIZES\n"
	"    --cmdline ARGS --sysctl K=V (the VM)\n"
	"  new-case NAME [--repro FILE.c|--syzbot DIR|--kselftest SPEC] [--kernel SPEC] [--title T]\n"
	"                              write cases/NAME.case and its reproducer or a workload skeleton\n"
	"  classify [--first] FILE|-   classify a console log: one JSON line per report\n"
	"  report DIR                  (re)write DIR/report.html from the JSON files of a run, verify, gate, bisect or matrix\n"
	"  build --kernel SPEC [--series S] [--config FRAG...]   print the boot image path (bzImage, arm64 Image)\n"
	"  apply-check --kernel SRC --series S   does S apply to SRC's pristine tree (builds nothing)\n"
	"  cache ls|gc [--days N]\n"
	"kernel specs: deb:6.12 deb:6.1 image:PATH[,modules=DIR][,config=FILE]\n"
	"              src:deb-6.12 src:deb-6.1 git:TREE@REV dir:TREE\n"
	"exit codes: 0 no bug, 1 bug hit, 2 usage, 125 could not test, 130 interrupted\n";

static void usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "mmrepro: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", usage_text);
	exit(EXIT_USAGE);
}

struct cli {
	const char *kernel, *series, *out, *variant, *cases, *good, *bad, *resume, *connect, *hosts;
	const char *flavor;          /* --flavor: overrides the case's; NULL keeps it */
	bool has_arch;               /* --arch: overrides the case's */
	enum arch arch;
	enum vm_backend backend;
	enum accel_mode accel;
	bool force;
	const char *configs[BUILD_MAX_CONFIGS];
	int nconfigs, runs, timeout_s, days, jobs;
	bool jobs_auto;              /* --jobs auto: jobs is chosen with the pool */
	bool verbose;
	/* --runs auto (runs is then 0), and whether --runs was given at all. */
	bool runs_auto, runs_given;
	/* bisect: --fix --broken OLD --fixed NEW, --alpha, --max-runs. */
	bool fix;
	const char *broken, *fixed;
	double alpha;
	int max_runs;
	bool alpha_given, max_runs_given;
	/* gate --fail-on-counters; matrix --knob NAME=V1,V2 (repeatable) and
	 * --minimize. */
	bool fail_on_counters, minimize;
	const char **knobs;
	int nknobs;
	/* A workload named by options instead of a case (adhoc.h). */
	struct adhoc_opts adhoc;
	const char *sysctls[CASE_MAX_LIST];
};

static int parse_int_opt(const char *opt, const char *v, int min, int max)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (end == v || *end || n < min || n > max) {
		fprintf(stderr, "mmrepro: %s: expected a number from %d to %d, got '%s'\n", opt, min, max, v);
		exit(EXIT_USAGE);
	}
	return (int)n;
}

static double parse_double_opt(const char *opt, const char *v, double min, double max)
{
	char *end, what[160];
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || *end || !(d >= min && d <= max)) {
		snprintf(what, sizeof(what), "%s %.60s: expected a number from %g to %g", opt, v, min, max);
		usage_error("%s", what);
	}
	return d;
}

/* --runs N, or --runs auto (bisect: until a sequential test decides). */
static void parse_runs(const char *v, struct cli *o)
{
	o->runs_given = true;
	o->runs_auto = !strcmp(v, "auto");
	o->runs = o->runs_auto ? 0 : parse_int_opt("--runs", v, 1, BISECT_MAX_RUNS);
}

static void parse_jobs(const char *v, struct cli *o)
{
	if (jobs_parse(v, &o->jobs, &o->jobs_auto) < 0)
		usage_error("--jobs %s: expected auto or a number from 1 to 64", v);
}

static void parse_backend(const char *v, struct cli *o)
{
	if (pool_backend_parse(v, &o->backend) < 0)
		usage_error("--backend %s: expected qemu or libvirt", v);
}

static void parse_arch_opt(const char *v, struct cli *o)
{
	if (arch_parse(v, &o->arch) < 0)
		usage_error("--arch %s: expected x86_64 or arm64", v);
	o->has_arch = true;
}

static void parse_flavor(const char *v, struct cli *o)
{
	if (!flavor_find(v) || !*v)
		usage_error("--flavor %s: expected normal or debug", v);
	o->flavor = v;
}

static void parse_source_opt(int ch, const char *v, struct cli *o)
{
	struct adhoc_opts *a = &o->adhoc;

	switch (ch) {
	case 'P': a->repro = v; break;
	case 'Q': a->repro_cflags = v; break;
	case 'T': a->repro_time_s = parse_int_opt("--repro-time", v, 1, 86400); break;
	case 'I': a->title = v; break;
	case 'U': a->cpus = parse_int_opt("--cpus", v, 1, 64); break;
	case 'M': a->memory = v; break;
	case 'N': a->numa = v; break;
	case 'L': a->cmdline = v; break;
	case 'Z': a->syzbot = v; break;
	case 'K': a->kselftest = v; break;
	case 'X': a->repro_exit_fails = true; break;
	case 'S':
		if (a->nsysctls >= CASE_MAX_LIST)
			usage_error("at most 16 --sysctl options%s", "");
		o->sysctls[a->nsysctls++] = v;
		break;
	}
}

/* bisect's --fix and adaptive runs, gate's counters, matrix's knobs. */
#define SEARCH_OPTS "WOEpmeqz"

static void parse_search_opt(int ch, const char *v, struct cli *o)
{
	switch (ch) {
	case 'W': o->fix = true; break;
	case 'O': o->broken = v; break;
	case 'E': o->fixed = v; break;
	case 'p':
		o->alpha = parse_double_opt("--alpha", v, 1e-6, 0.5);
		o->alpha_given = true;
		break;
	case 'm':
		/* Fewer runs than the bad end must show could decide nothing. */
		o->max_runs = parse_int_opt("--max-runs", v, POINT_MIN_BAD_END_RUNS, BISECT_MAX_RUNS);
		o->max_runs_given = true;
		break;
	case 'e': o->fail_on_counters = true; break;
	case 'q':
		o->knobs = xrealloc(o->knobs, (size_t)(o->nknobs + 2) * sizeof(*o->knobs));
		o->knobs[o->nknobs++] = v;
		o->knobs[o->nknobs] = NULL;
		break;
	case 'z': o->minimize = true; break;
	}
}

static const struct option cli_options[] = {
	{ "kernel", required_argument, 0, 'k' }, { "series", required_argument, 0, 's' },
	{ "config", required_argument, 0, 'c' }, { "runs", required_argument, 0, 'n' },
	{ "timeout", required_argument, 0, 't' }, { "out", required_argument, 0, 'o' },
	{ "variant", required_argument, 0, 'V' }, { "days", required_argument, 0, 'd' },
	{ "verbose", no_argument, 0, 'v' }, { "help", no_argument, 0, 'h' },
	{ "accel", required_argument, 0, 'a' }, { "force", no_argument, 0, 'f' },
	{ "cases", required_argument, 0, 'C' }, { "all", no_argument, 0, 'A' },
	{ "good", required_argument, 0, 'G' }, { "bad", required_argument, 0, 'B' },
	{ "resume", required_argument, 0, 'R' }, { "jobs", required_argument, 0, 'j' },
	{ "backend", required_argument, 0, 'b' }, { "connect", required_argument, 0, 'u' },
	{ "hosts", required_argument, 0, 'H' }, { "flavor", required_argument, 0, 'F' },
	{ "arch", required_argument, 0, 'r' },
	{ "repro", required_argument, 0, 'P' }, { "repro-cflags", required_argument, 0, 'Q' },
	{ "repro-time", required_argument, 0, 'T' }, { "title", required_argument, 0, 'I' },
	{ "cpus", required_argument, 0, 'U' }, { "memory", required_argument, 0, 'M' },
	{ "numa", required_argument, 0, 'N' }, { "cmdline", required_argument, 0, 'L' },
	{ "sysctl", required_argument, 0, 'S' }, { "syzbot", required_argument, 0, 'Z' },
	{ "kselftest", required_argument, 0, 'K' }, { "repro-exit-fails", no_argument, 0, 'X' },
	{ "fix", no_argument, 0, 'W' }, { "broken", required_argument, 0, 'O' },
	{ "fixed", required_argument, 0, 'E' }, { "alpha", required_argument, 0, 'p' },
	{ "max-runs", required_argument, 0, 'm' }, { "fail-on-counters", no_argument, 0, 'e' },
	{ "knob", required_argument, 0, 'q' }, { "minimize", no_argument, 0, 'z' }, { 0 },
};

/* Options each command takes, by their short letters ("h" is implied):
 * any other known option is a usage error rather than silently ignored. */
#define POOL_OPTS "jbuH"
/* A workload from options: a reproducer, a syzbot bundle, kselftests. */
#define SOURCE_OPTS "PQTIUMNLSZKX"
#define RUN_OPTS "kscntofvaFr" POOL_OPTS SOURCE_OPTS
#define VERIFY_OPTS "kntoVvaFr" POOL_OPTS SOURCE_OPTS
#define GATE_OPTS "kscntofvaCAFer" POOL_OPTS SOURCE_OPTS
#define BISECT_OPTS "kscntovaGBRFWOEpmr" POOL_OPTS SOURCE_OPTS
#define MATRIX_OPTS "kscntovaFVqzr" POOL_OPTS
#define NEW_CASE_OPTS "k" SOURCE_OPTS
#define REPRODUCE_OPTS "ntvar" POOL_OPTS
#define SUITE_OPTS "tva"
#define BUILD_OPTS "kscFr"
#define CACHE_OPTS "d"

static void refuse_unless_taken(const char *cmd, const char *taken, int ch)
{
	if (ch == 'h' || ch == '?' || ch == ':' || strchr(taken, ch))
		return;
	for (const struct option *op = cli_options; op->name; op++)
		if (op->val == ch) {
			char what[64];
			snprintf(what, sizeof(what), "%s does not take --%s", cmd, op->name);
			usage_error("%s", what);
		}
}

static void cli_defaults(struct cli *o)
{
	const char *env_accel = getenv("MMREPRO_ACCEL");

	memset(o, 0, sizeof(*o));
	o->runs = 1;
	o->alpha = 0.05;
	o->max_runs = 20;
	o->days = 30;
	o->jobs = 1;
	o->adhoc.sysctls = o->sysctls;
	if (env_accel && *env_accel && vm_accel_parse(env_accel, &o->accel) < 0)
		usage_error("MMREPRO_ACCEL=%s: expected auto, kvm or tcg", env_accel);
}

static void add_config(const char *v, struct cli *o)
{
	if (o->nconfigs >= BUILD_MAX_CONFIGS - 1)
		usage_error("too many --config options%s", "");
	/* make runs in the source tree: a relative path must not change
	 * meaning there. Freed at exit. */
	if (!(o->configs[o->nconfigs++] = realpath(v, NULL)))
		usage_error("--config %s: no such file", v);
}

static int parse_cli(int argc, char **argv, struct cli *o, const char *cmd, const char *taken)
{
	int ch;

	cli_defaults(o);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "k:s:c:n:t:o:V:d:vhfa:C:AG:B:R:j:b:u:H:F:P:Q:T:I:U:M:N:L:S:Z:K:XWO:E:p:m:eq:z",
				 cli_options, NULL)) != -1) {
		refuse_unless_taken(cmd, taken, ch);
		if (strchr(SOURCE_OPTS, ch) && ch) {
			parse_source_opt(ch, optarg, o);
			continue;
		}
		if (strchr(SEARCH_OPTS, ch) && ch) {
			parse_search_opt(ch, optarg, o);
			continue;
		}
		switch (ch) {
		case 'k': o->kernel = optarg; break;
		case 's': o->series = optarg; break;
		case 'c': add_config(optarg, o); break;
		case 'n': parse_runs(optarg, o); break;
		case 't': o->timeout_s = parse_int_opt("--timeout", optarg, 1, 86400); break;
		case 'o': o->out = optarg; break;
		case 'V': o->variant = optarg; break;
		case 'd': o->days = parse_int_opt("--days", optarg, 0, 100000); break;
		case 'v': o->verbose = true; break;
		case 'f': o->force = true; break;
		case 'C': o->cases = optarg; break;
		case 'A': o->cases = NULL; break;
		case 'G': o->good = optarg; break;
		case 'B': o->bad = optarg; break;
		case 'R': o->resume = optarg; break;
		case 'j': parse_jobs(optarg, o); break;
		case 'b': parse_backend(optarg, o); break;
		case 'u': o->connect = optarg; break;
		case 'H': o->hosts = optarg; break;
		case 'F': parse_flavor(optarg, o); break;
		case 'r': parse_arch_opt(optarg, o); break;
		case 'a':
			if (vm_accel_parse(optarg, &o->accel) < 0)
				usage_error("--accel %s: expected auto, kvm or tcg", optarg);
			break;
		case 'h': fputs(usage_text, stdout); exit(0);
		default: usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (o->runs_auto && strcmp(cmd, "bisect"))
		usage_error("%s: --runs auto goes with bisect; give a number of runs", cmd);
	return optind;
}

/* --jobs auto: the slots this machine has room for, for VMs of vm_mem_mb
 * of guest RAM each; the choice and why are said once, on stderr. */
static int auto_jobs(unsigned vm_mem_mb, char *why, size_t len)
{
	struct host_capacity h;
	int n = 1;

	if (jobs_host_capacity(&h) < 0)
		snprintf(why, len, "this machine's cores or available memory could not be read");
	else
		n = jobs_decide(&h, vm_mem_mb, why, len);
	fprintf(stderr, "mmrepro: jobs: auto -> %d (%s)\n", n, why);
	return n;
}

/* The slots a booting command runs on, its VMs at most vm_mem_mb of guest
 * RAM each (for --jobs auto). Unreachable hosts are named and left out;
 * with no slot left the command cannot test anything. */
static struct pool *command_pool(const struct cli *o, unsigned vm_mem_mb)
{
	struct pool *p = xcalloc(1, sizeof(*p));
	struct pool_opts po = { .backend = o->backend, .connect = o->connect, .jobs = o->jobs, .hosts_file = o->hosts };
	char err[1024], why[320];

	if (o->connect && o->backend != BACKEND_LIBVIRT)
		usage_error("--connect %s goes with --backend libvirt", o->connect);
	if (o->hosts && (o->connect || o->backend == BACKEND_LIBVIRT || o->jobs > 1 || o->jobs_auto))
		usage_error("--hosts %s gives the hosts and their slots: drop --backend, --connect and --jobs", o->hosts);
	if (o->jobs_auto && o->connect && !strstr(o->connect, ":///"))
		usage_error("--jobs auto counts this machine's cores and memory, not those of %s: give --jobs N",
			    o->connect);
	if (o->jobs_auto) {
		po.jobs = auto_jobs(vm_mem_mb, why, sizeof(why));
		po.jobs_auto = why;
	}
	if (pool_init(p, &po, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "%s", err);
	if (pool_check_hosts(p) == 0)
		die(EXIT_UNTESTABLE, "no slot left to run on: every host is unreachable");
	return p;
}

static void load_case(const char *name, struct case_def *c)
{
	char path[4096], err[1024];

	if (case_path(name, path, sizeof(path)) < 0)
		die(EXIT_USAGE, "no case '%s' (see ./run.sh list)", name);
	if (case_load(path, c, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "%s", err);
}

static bool vm_opts_given(const struct adhoc_opts *a)
{
	return a->repro_cflags || a->repro_time_s || a->repro_exit_fails || a->cpus || a->memory || a->numa || a->cmdline || a->nsysctls;
}

/* The case a command runs: a case name or file (argv[i]), or one made
 * from --repro, --syzbot or --kselftest. A reproducer is compiled here,
 * before any kernel is built. Returns the index after the case. */
static int command_case_file(struct cli *o, int argc, char **argv, int i, const char *cmd, struct case_def *c,
			     char *path, size_t len)
{
	char err[2048];
	int rc;

	if (adhoc_given(&o->adhoc)) {
		if (i < argc) {
			snprintf(err, sizeof(err), "%s takes a case or --repro/--syzbot/--kselftest, not both (got '%s')",
				 cmd, argv[i]);
			usage_error("%s", err);
		}
		o->adhoc.kernel = o->kernel;
		if (adhoc_check(&o->adhoc, err, sizeof(err)) < 0)
			usage_error("%s", err);
		if ((rc = adhoc_case_file(&o->adhoc, path, len, err, sizeof(err))))
			die(rc, "%s", err);
	} else {
		if (i >= argc)
			usage_error("%s: which case? (or --repro FILE.c, --syzbot DIR, --kselftest mm:TEST)", cmd);
		if (vm_opts_given(&o->adhoc))
			usage_error("--repro-cflags, --repro-time, --cpus, --memory, --numa, --cmdline and --sysctl "
				    "shape a --repro, --syzbot or --kselftest run, not case %s", argv[i]);
		if (case_path(argv[i], path, len) < 0)
			die(EXIT_USAGE, "no case '%s' (see ./run.sh list)", argv[i]);
		i++;
	}
	load_case(path, c);
	/* Before the reproducer is compiled: it is compiled for this arch.
	 * verify keeps a variant's own arch (and runs only this arch's). */
	if (o->has_arch && !strcmp(cmd, "verify"))
		case_prefer_arch(c, o->arch);
	else if (o->has_arch)
		case_force_arch(c, o->arch);
	if (o->adhoc.title && !adhoc_given(&o->adhoc)) {
		if (adhoc_check(&o->adhoc, err, sizeof(err)) < 0)
			usage_error("%s", err);
		snprintf(c->title, sizeof(c->title), "%s", o->adhoc.title);
	}
	if ((rc = workload_prepare(c, err, sizeof(err))))
		die(rc, "%s", err);
	return i;
}

static int command_case(struct cli *o, int argc, char **argv, int i, const char *cmd, struct case_def *c)
{
	char path[4096];

	return command_case_file(o, argc, argv, i, cmd, c, path, sizeof(path));
}

/* Resolves any kernel spec, building it when it names a source, or dies
 * with the reason and its exit code. */
static void get_kernel(const char *spec, const char *series, const char *const *configs, const char *flavor,
		       enum arch arch, int signal_fd, struct kernel *k)
{
	char err[2048] = "";
	int rc = kernel_get(spec, series, configs, flavor, arch, signal_fd, isatty(2) || getenv("MMREPRO_PROGRESS"), k,
			    err, sizeof(err));

	if (rc)
		die(rc, "%s", err);
}

/* The case's own fragments, then the --config ones (point.h), or dies. */
static const char **all_fragments(const struct case_def *c, const struct cli *o)
{
	char err[PATH_MAX + 200];
	const char **f = point_fragments(c, o->configs, err, sizeof(err));

	if (!f)
		die(EXIT_USAGE, "%s", err);
	return f;
}

/* A signal that arrived while results were written still ends the
 * command as interrupted, after the write. */
static int exit_code_after(int code, int sfd)
{
	return console_signal_pending(sfd) ? EXIT_INTERRUPTED : code;
}

static int cmd_run(int argc, char **argv)
{
	struct cli o;
	struct case_def c;
	struct kernel k;
	struct accel_state accel;
	char out[4096], err[1024];
	const char **fragments;
	int i = parse_cli(argc, argv, &o, "run", RUN_OPTS), n, sfd, first = 0;
	const char *spec;
	struct run_result *results;
	struct pool *pool;

	i = command_case(&o, argc, argv, i, "run", &c);
	if (i < argc)
		usage_error("run: unexpected argument '%s'", argv[i]);
	if (o.force && !o.out)
		usage_error("--force goes with --out DIR%s", "");
	/* A bad --out is found before any kernel is built. */
	if (o.out && (first = run_claim_out_dir(o.out, o.force, err, sizeof(err))) < 0)
		die(EXIT_USAGE, "%s", err);
	run_accel_init(&accel, o.accel);
	pool = command_pool(&o, case_max_mem_mb(&c));
	sfd = console_signal_fd();
	fragments = all_fragments(&c, &o);
	if (o.flavor)
		case_force_flavor(&c, o.flavor);
	spec = o.kernel ? o.kernel : (c.nkernels ? c.kernels[0] : "deb:6.12");
	if (flavor_changes_kernel(o.flavor) && !kernel_spec_needs_build(spec))
		usage_error("--flavor %s needs a source kernel (--kernel src:, git:, dir:)", o.flavor);
	get_kernel(spec, o.series, fragments, case_build_flavor(&c, spec), c.arch, sfd, &k);
	if (o.out)
		snprintf(out, sizeof(out), "%s", o.out);
	else
		run_default_out_dir(c.name, k.spec, out, sizeof(out));
	results = xcalloc((size_t)o.runs, sizeof(*results));
	struct run_opts ro = { .out_dir = out, .runs = o.runs, .timeout_s = o.timeout_s, .echo = o.verbose,
			       .signal_fd = sfd, .accel = &accel, .first_run = first, .pool = pool };
	n = run_case(&c, &k, &ro, results);
	fprintf(stderr, "results: %s\n", out);
	int code = exit_code_after(verdict_exit_code_many(results, n), sfd);
	run_free_results(results, n);
	free(results);
	free(fragments);
	pool_free(pool);
	free(pool);
	return code;
}

/* The most classify reads: four times what a run keeps of a console
 * (run.c's MAX_LOG_BYTES, 16 MiB), so any console.log of ours fits, and a
 * sparse file or /dev/zero is refused instead of read. The whole log is
 * classified at once, as a run does: a window would lose the scan's context
 * (whether the kernel has booted, the report before) and could cut a report
 * in two. report_parse_all still holds about 1 KiB per report it finds. */
#define CLASSIFY_MAX_BYTES (64u << 20)

/* classify's input, FILE or - (stdin), or dies naming it. */
static char *read_classify_input(const char *path, size_t *len)
{
	char err[PATH_MAX + 128], why[96];
	char *log;
	int e;

	if (strcmp(path, "-")) {
		log = read_regular_file(path, CLASSIFY_MAX_BYTES, len, err, sizeof(err));
		e = errno;
	} else {
		log = read_fd_limited(STDIN_FILENO, CLASSIFY_MAX_BYTES, len);
		e = errno;
		snprintf(err, sizeof(err), "standard input: %s", read_refusal("", e, CLASSIFY_MAX_BYTES, why, sizeof(why)));
	}
	if (!log)
		die(e == ENOMEM ? EXIT_UNTESTABLE : EXIT_USAGE, "classify: cannot read %s", err);
	return log;
}

/* One JSON object per report, in order (--first: only the first; a clean
 * log prints one crash=false object). */
static int cmd_classify(int argc, char **argv)
{
	char *log, json[16384];
	size_t len;
	struct report *all, none = { 0 };
	int n, first = argc == 3 && !strcmp(argv[1], "--first");
	const char *path = argv[argc - 1];

	if (argc != 2 + first || !strcmp(path, "--first"))
		usage_error("classify: give [--first] and one FILE or -%s", "");
	log = read_classify_input(path, &len);
	/* --first holds one report, not an array of every report the log has
	 * (about 1 KiB each, so a log of nothing but headers costs 45 times its
	 * size). */
	if (first) {
		report_parse(log, len, &none);
		n = none.crash;
		all = NULL;
	} else if (report_parse_all(log, len, &all, &n) < 0) {
		die(EXIT_UNTESTABLE, "classify: out of memory");
	}
	for (int i = 0; i < (n ? n : 1) && (i == 0 || !first); i++) {
		report_to_json(n && !first ? &all[i] : &none, json, sizeof(json));
		puts(json);
	}
	free(all);
	free(log);
	return n ? EXIT_BUG : EXIT_NO_BUG;
}

static int cmd_report(int argc, char **argv)
{
	char err[2048];

	if (argc != 2)
		usage_error("report: give one results DIR%s", "");
	if (html_report_dir(argv[1], err, sizeof(err)) < 0)
		die(EXIT_USAGE, "report: %s", err);
	printf("%s/report.html\n", argv[1]);
	return 0;
}

static int all_case_paths(char ***paths)
{
	int n = case_list_paths(paths);

	if (n < 0)
		die(EXIT_USAGE, "cannot read %s/cases", repo_root());
	return n;
}

static void free_paths(char **paths, int n)
{
	for (int i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

/* The most guest RAM a VM of these cases takes (names: NULL for every
 * case), for --jobs auto. A case that does not load is left to the
 * command to refuse. */
static unsigned cases_max_mem_mb(const char *const *names)
{
	char **paths = NULL, path[4096], err[1024];
	int n = names ? 0 : all_case_paths(&paths);
	unsigned most = 0;
	struct case_def *c = xcalloc(1, sizeof(*c));

	for (int i = 0; names ? names[i] != NULL : i < n; i++) {
		if (names && case_path(names[i], path, sizeof(path)) < 0)
			continue;
		if (case_load(names ? path : paths[i], c, err, sizeof(err)) == 0 && case_max_mem_mb(c) > most)
			most = case_max_mem_mb(c);
	}
	free(c);
	free_paths(paths, n);
	return most;
}

static int cmd_list(void)
{
	char **names;
	int n = all_case_paths(&names);

	for (int i = 0; i < n; i++) {
		struct case_def c;
		char err[1024];
		if (case_load(names[i], &c, err, sizeof(err)) < 0) {
			fprintf(stderr, "mmrepro: %s\n", err);
			free_paths(names, n);
			return EXIT_USAGE;
		}
		sanitize_text(c.description, false);
		printf("%-28s %s\n", c.name, c.description);
	}
	free_paths(names, n);
	return 0;
}

/* ./run.sh quick: every case on each of its default prebuilt kernels, once. */
static int cmd_suite(int argc, char **argv)
{
	char **names, suite_dir[4096];
	int n = all_case_paths(&names), worst = 0, total = 0, sfd = console_signal_fd();
	struct cli o;
	struct accel_state accel;
	struct run_result *results = NULL;
	int cap = 0;

	parse_cli(argc, argv, &o, "quick", SUITE_OPTS);
	run_accel_init(&accel, o.accel);
	run_default_out_dir("suite", "default", suite_dir, sizeof(suite_dir));
	printf("%-24s %-14s %-6s %-5s %7s  %s\n", "case", "kernel", "run", "got", "time", "reason");
	for (int i = 0; i < n && worst != EXIT_INTERRUPTED; i++) {
		struct case_def c;
		char err[1024];
		if (case_load(names[i], &c, err, sizeof(err)) < 0)
			die(EXIT_USAGE, "%s", err);
		for (int j = 0; j < c.nkernels && worst != EXIT_INTERRUPTED; j++) {
			struct kernel k;
			char out[4400];
			if (kernel_spec_needs_build(c.kernels[j]))
				continue;
			get_kernel(c.kernels[j], NULL, NULL, NULL, ARCH_X86_64, sfd, &k);
			snprintf(out, sizeof(out), "%s/%s-%s", suite_dir, c.name, c.kernels[j]);
			for (char *p = out + strlen(suite_dir) + 1; *p; p++)
				if (*p == ':' || *p == '/')
					*p = '_';
			struct run_opts ro = { .out_dir = out, .runs = 1, .timeout_s = o.timeout_s,
					       .echo = o.verbose, .signal_fd = sfd, .accel = &accel };
			if (total == cap) {
				cap = cap ? 2 * cap : 16;
				results = xrealloc(results, (size_t)cap * sizeof(*results));
			}
			if (run_case(&c, &k, &ro, &results[total]) < 1)
				continue;
			int code = verdict_exit_code(results[total].verdict);
			if (code == EXIT_INTERRUPTED) {
				worst = code;
				break;
			}
			/* The suite passes on PASS and CONF: CONF is an honest "not here". */
			if (results[total].verdict != V_PASS && results[total].verdict != V_CONF)
				worst = code > worst ? code : worst;
			total++;
		}
	}
	/* Results that could not be recorded tested nothing. */
	if (result_write_summary(suite_dir, results, total) < 0)
		worst = worst == EXIT_INTERRUPTED ? worst : EXIT_UNTESTABLE;
	html_write_report(suite_dir);
	run_free_results(results, total);
	free(results);
	free_paths(names, n);
	fprintf(stderr, "results: %s\n", suite_dir);
	return exit_code_after(worst, sfd);
}

static int cmd_build(int argc, char **argv)
{
	struct cli o;
	struct kernel k;
	int i = parse_cli(argc, argv, &o, "build", BUILD_OPTS);

	if (i < argc)
		usage_error("build: unexpected argument '%s'", argv[i]);
	if (!o.kernel)
		usage_error("build: --kernel SPEC is required%s", "");
	get_kernel(o.kernel, o.series, o.configs, o.flavor, o.has_arch ? o.arch : ARCH_X86_64, console_signal_fd(), &k);
	puts(k.image);
	return 0;
}

/* apply-check --kernel SRC --series S: whether S applies to the pristine
 * tree, in seconds, building nothing (make check-series). */
static int cmd_apply_check(int argc, char **argv)
{
	struct cli o;
	char err[2048];
	int i = parse_cli(argc, argv, &o, "apply-check", "ks"), rc;

	if (i < argc)
		usage_error("apply-check: unexpected argument '%s'", argv[i]);
	if (!o.kernel || !o.series || !kernel_spec_needs_build(o.kernel))
		usage_error("apply-check: --kernel SRC (src:, git:, dir:) and --series S are required%s", "");
	if ((rc = build_check_series(o.kernel, o.series, err, sizeof(err))))
		die(rc, "%s", err);
	printf("%s applies to %s\n", o.series, o.kernel);
	return 0;
}

static int cmd_cache(int argc, char **argv)
{
	struct cli o;
	int i = parse_cli(argc, argv, &o, "cache", CACHE_OPTS);

	if (i >= argc)
		usage_error("cache: ls or gc?%s", "");
	if (!strcmp(argv[i], "ls"))
		return build_cache_ls();
	if (!strcmp(argv[i], "gc"))
		return build_cache_gc(o.days);
	usage_error("cache: unknown subcommand '%s'", argv[i]);
	return EXIT_USAGE;
}

static int cmd_verify(int argc, char **argv)
{
	struct cli o;
	struct case_def c;
	int i = parse_cli(argc, argv, &o, "verify", VERIFY_OPTS);

	i = command_case(&o, argc, argv, i, "verify", &c);
	if (i < argc)
		usage_error("verify: unexpected argument '%s'", argv[i]);
	if (o.kernel && c.nvariants)
		usage_error("verify --kernel %s: the case's variants name their kernels", o.kernel);
	if (o.kernel && !adhoc_given(&o.adhoc)) {
		c.nkernels = 1;
		snprintf(c.kernels[0], sizeof(c.kernels[0]), "%s", o.kernel);
	}
	if (o.flavor)
		case_force_flavor(&c, o.flavor);
	struct verify_opts v = { .only_variant = o.variant, .out_dir = o.out, .runs = o.runs, .timeout_s = o.timeout_s,
				 .verbose = o.verbose, .accel = o.accel, .pool = command_pool(&o, case_max_mem_mb(&c)),
				 .only_arch = o.has_arch ? &o.arch : NULL };
	return verify_case(&c, &v, NULL);
}

/* "a,b,c" into a NULL-terminated list (the strings point into a copy). */
static const char **split_cases(const char *list)
{
	char *copy = xstrdup(list), *save = NULL, *w;
	const char **out = xcalloc(strlen(list) + 2, sizeof(char *));
	int n = 0;

	for (w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save))
		out[n++] = w;
	if (!n)
		usage_error("--cases %s: name at least one case", list);
	return out;
}

/* new-case NAME [--repro FILE.c|--syzbot DIR|--kselftest SPEC] [--kernel SPEC]
 * [--title T] [VM options]: the case file, and its reproducer or a
 * workload skeleton, ready to run. */
static int cmd_new_case(int argc, char **argv)
{
	struct cli o;
	char err[2048];
	int i = parse_cli(argc, argv, &o, "new-case", NEW_CASE_OPTS), rc;

	if (i >= argc)
		usage_error("new-case: give the new case's NAME%s", "");
	if (i + 1 < argc)
		usage_error("new-case: unexpected argument '%s'", argv[i + 1]);
	o.adhoc.kernel = o.kernel;
	if (adhoc_check(&o.adhoc, err, sizeof(err)) < 0)
		usage_error("%s", err);
	if (!adhoc_given(&o.adhoc) && (o.adhoc.title || vm_opts_given(&o.adhoc) || o.kernel))
		usage_error("new-case %s: without --repro, --syzbot or --kselftest it writes a workload skeleton; "
			    "edit its case file for the kernels and the VM", argv[i]);
	if ((rc = newcase_write(argv[i], &o.adhoc, err, sizeof(err))))
		die(rc, "%s", err);
	printf("next: ./run.sh run %s%s%s   then: ./run.sh verify %s\n", argv[i], o.kernel ? " --kernel " : "",
	       o.kernel ? o.kernel : "", argv[i]);
	return 0;
}

static int cmd_gate(int argc, char **argv)
{
	struct cli o;
	int i = parse_cli(argc, argv, &o, "gate", GATE_OPTS);

	if (i < argc)
		usage_error("gate: unexpected argument '%s'", argv[i]);
	if (!o.kernel || !o.series)
		usage_error("gate: --kernel BASE and --series S are required%s", "");
	if (!kernel_spec_needs_build(o.kernel))
		usage_error("gate: --kernel %s: the base must be a source kernel (src:, git:) to apply a series", o.kernel);
	char adhoc_path[4096];
	const char *adhoc_cases[2] = { adhoc_path, NULL };
	const char **cases = adhoc_given(&o.adhoc) ? adhoc_cases : o.cases ? split_cases(o.cases) : NULL;
	if (adhoc_given(&o.adhoc)) {
		struct case_def *c = xcalloc(1, sizeof(*c));
		if (o.cases)
			usage_error("gate --cases %s: --repro, --syzbot and --kselftest make the one case to gate", o.cases);
		command_case_file(&o, argc, argv, i, "gate", c, adhoc_path, sizeof(adhoc_path));
		free(c);
	} else if (vm_opts_given(&o.adhoc)) {
		usage_error("gate: the VM options go with --repro, --syzbot or --kselftest%s", "");
	} else if (o.adhoc.title) {
		char why[256];
		if (title_pattern_check(o.adhoc.title, why, sizeof(why)) < 0)
			usage_error("--title %s", why);
	}
	struct pool *pool = command_pool(&o, cases_max_mem_mb(cases));
	struct gate_opts g = { .base = o.kernel, .series = o.series, .configs = o.configs, .flavor = o.flavor,
			       .has_arch = o.has_arch, .arch = o.arch,
			       .runs = o.runs,
			       .jobs = pool_live_slots(pool), .pool = pool,
			       .timeout_s = o.timeout_s, .verbose = o.verbose, .accel = o.accel, .out = o.out,
			       .cases = cases,
			       .title = adhoc_given(&o.adhoc) ? NULL : o.adhoc.title, .fail_on_counters = o.fail_on_counters };
	if (o.force)
		usage_error("gate: --force is not supported; choose a new --out%s", "");
	return gate_run(&g);
}

/* --fix --broken OLD --fixed NEW, or --good/--bad: into o's bad (the
 * hitting end) and good (the clean end). */
static void bisect_ends(struct cli *o)
{
	if (o->fix && (o->good || o->bad))
		usage_error("bisect --fix takes --broken OLD and --fixed NEW, not --good/--bad%s", "");
	if (!o->fix && (o->broken || o->fixed))
		usage_error("--broken and --fixed go with bisect --fix%s", "");
	if (o->fix) {
		o->bad = o->broken;
		o->good = o->fixed;
	}
	if ((o->good || o->bad) && (!o->good || !o->bad))
		usage_error(o->fix ? "bisect --fix: a tree bisection needs both --broken and --fixed%s"
				   : "bisect: a tree bisection needs both --good and --bad%s", "");
}

/* bisect --resume DIR goes on as it began: what it tests, and how, come
 * from DIR/bisect.json; an option that would change them is refused
 * rather than silently dropped. */
static void refuse_on_resume(const struct cli *o)
{
	if (o->flavor)
		usage_error("bisect --resume DIR goes on in the flavour it began in (DIR/bisect.json), "
			    "not --flavor %s", o->flavor);
	if (o->has_arch)
		usage_error("bisect --resume DIR goes on for the arch it began with, not --arch %s", arch_info(o->arch)->name);
	if (o->fix || o->runs_given || o->broken || o->fixed || o->good || o->bad || o->alpha_given ||
	    o->max_runs_given || o->kernel || o->series || o->nconfigs || o->out || o->adhoc.title ||
	    adhoc_given(&o->adhoc) || vm_opts_given(&o->adhoc))
		usage_error("bisect --resume DIR goes on as it began (DIR/bisect.json): no --fix, --runs, --alpha, "
			    "--max-runs, ends, --kernel, --series, --config, --title, --out or workload options%s", "");
}

static int cmd_bisect(int argc, char **argv)
{
	struct cli o;
	struct case_def c;
	int i = parse_cli(argc, argv, &o, "bisect", BISECT_OPTS);
	struct bisect_opts b = { .runs = o.runs_given ? o.runs : 0, .alpha = o.alpha, .max_runs = o.max_runs,
				 .accel = o.accel, .verbose = o.verbose, .timeout_s = o.timeout_s, .configs = o.configs,
				 .out = o.out, .fix = o.fix };

	if (o.resume) {
		if (i < argc)
			usage_error("bisect --resume DIR takes no case (it is in DIR/bisect.json), got '%s'", argv[i]);
		refuse_on_resume(&o);
		b.resume = o.resume;
		b.out = NULL;
		b.pool = command_pool(&o, cases_max_mem_mb(NULL));
		return bisect_tree_command(&b);
	}
	if (o.runs_given && !o.runs_auto && (o.alpha_given || o.max_runs_given)) {
		const char *opt = o.alpha_given ? "--alpha" : "--max-runs";
		char what[200];
		snprintf(what, sizeof(what), "bisect --runs %d runs every point %d times: %s goes with --runs auto",
			 o.runs, o.runs, opt);
		usage_error("%s", what);
	}
	bisect_ends(&o);
	i = command_case(&o, argc, argv, i, "bisect", &c);
	if (i < argc)
		usage_error("bisect: unexpected argument '%s'", argv[i]);
	if (o.flavor)
		case_force_flavor(&c, o.flavor);
	if (!o.kernel)
		usage_error("bisect: --kernel is required%s", "");
	b.c = &c;
	b.kernel = o.kernel;
	b.series = o.series;
	b.good = o.good;
	b.bad = o.bad;
	if (o.good) {
		b.pool = command_pool(&o, case_max_mem_mb(&c));
		return bisect_tree_command(&b);
	}
	if (!o.series)
		usage_error(o.fix ? "bisect --fix: give --broken REV --fixed REV (a tree) or --series S (the fixing patch)%s"
				  : "bisect: give --good REV --bad REV (a tree) or --series S (blame a patch)%s", "");
	if (!kernel_spec_needs_build(o.kernel))
		usage_error("bisect: --kernel %s: the base must be a source kernel (src:, git:)", o.kernel);
	b.pool = command_pool(&o, case_max_mem_mb(&c));
	return bisect_series_command(&b);
}

/* matrix CASE --knob NAME=V1,V2 ... [--variant V] [--minimize]: knob
 * checks, the workload's own knobs and each row's VM are refused before
 * anything is built (matrix.c). */
static int cmd_matrix(int argc, char **argv)
{
	struct cli o;
	struct case_def c;
	int i = parse_cli(argc, argv, &o, "matrix", MATRIX_OPTS);

	i = command_case(&o, argc, argv, i, "matrix", &c);
	if (i < argc)
		usage_error("matrix: unexpected argument '%s'", argv[i]);
	if (!o.nknobs)
		usage_error("matrix %s: give at least one --knob NAME=V1,V2,...", c.name);
	if (o.flavor && flavor_changes_kernel(o.flavor) && o.kernel && !kernel_spec_needs_build(o.kernel))
		usage_error("--flavor %s needs a source kernel (--kernel src:, git:, dir:)", o.flavor);
	if (o.flavor)
		case_force_flavor(&c, o.flavor);
	struct matrix_opts mo = { .c = &c, .variant = o.variant, .kernel = o.kernel, .series = o.series,
				  .configs = o.configs, .knobs = o.knobs, .nknobs = o.nknobs,
				  .runs = o.runs_given ? o.runs : MATRIX_DEFAULT_RUNS, .minimize = o.minimize,
				  .out = o.out, .timeout_s = o.timeout_s, .verbose = o.verbose, .accel = o.accel };
	mo.pool = command_pool(&o, case_max_mem_mb(&c));
	return matrix_command(&mo);
}

/* The product's job: reproduce every seed bug and show its fix holds. */
static int cmd_reproduce(int argc, char **argv)
{
	struct reproduce_opts r = { .t0 = now_seconds() };
	struct cli o;

	if (parse_cli(argc, argv, &o, "reproduce", REPRODUCE_OPTS) < argc)
		usage_error("reproduce: unexpected argument '%s'", argv[argc - 1]);
	r.runs = o.runs;
	r.timeout_s = o.timeout_s;
	r.verbose = o.verbose;
	r.accel = o.accel;
	/* The x86_64 rows unless --arch asks for another's: an arm64 kernel
	 * is a cold cross build of its own. */
	r.only_arch = o.has_arch ? o.arch : ARCH_X86_64;
	r.pool = command_pool(&o, cases_max_mem_mb(NULL));
	return reproduce_command(&r);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "reproduce";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "reproduce"))
		return cmd_reproduce(argc > 1 ? argc - 1 : argc, argc > 1 ? argv + 1 : argv);
	if (!strcmp(cmd, "quick") || !strcmp(cmd, "suite"))
		return cmd_suite(argc - 1, argv + 1);
	if (!strcmp(cmd, "list"))
		return cmd_list();
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "classify"))
		return cmd_classify(argc - 1, argv + 1);
	if (!strcmp(cmd, "report"))
		return cmd_report(argc - 1, argv + 1);
	if (!strcmp(cmd, "apply-check"))
		return cmd_apply_check(argc - 1, argv + 1);
	if (!strcmp(cmd, "build"))
		return cmd_build(argc - 1, argv + 1);
	if (!strcmp(cmd, "cache"))
		return cmd_cache(argc - 1, argv + 1);
	if (!strcmp(cmd, "verify"))
		return cmd_verify(argc - 1, argv + 1);
	if (!strcmp(cmd, "gate"))
		return cmd_gate(argc - 1, argv + 1);
	if (!strcmp(cmd, "new-case"))
		return cmd_new_case(argc - 1, argv + 1);
	if (!strcmp(cmd, "bisect"))
		return cmd_bisect(argc - 1, argv + 1);
	if (!strcmp(cmd, "matrix"))
		return cmd_matrix(argc - 1, argv + 1);
	/* The libvirt backend's own process, started by a run (not for users). */
	if (!strcmp(cmd, "libvirt-vm"))
		return libvirt_vm_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		fputs(usage_text, stdout);
		return 0;
	}
	usage_error("unknown command '%s'", cmd);
	return EXIT_USAGE;
}
