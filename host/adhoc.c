/* Case files made from command-line options. */
#include "adhoc.h"
#include "build.h"
#include "case.h"
#include "kselftest.h"
#include "syzbot.h"
#include "title.h"
#include "util.h"
#include "workload.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BOOT_MARGIN_S 180
#define MAX_VALUE 180
#define MAX_MEMORY_MB (1L << 20)

bool adhoc_given(const struct adhoc_opts *a)
{
	return a->repro || a->syzbot || a->kselftest;
}

/* A value goes on one line of an ini file: no line breaks, no " ;" or
 * " #" that inih would take for a comment, and short enough for inih's
 * 200-byte line with its key. */
static int check_value(const char *opt, const char *v, char *err, size_t errlen)
{
	if (!v)
		return 0;
	if (strlen(v) > MAX_VALUE) {
		snprintf(err, errlen, "%s: at most %d characters (a case file's line)", opt, MAX_VALUE);
		return -1;
	}
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || ((*p == ';' || *p == '#') && p > v && p[-1] == ' ')) {
			snprintf(err, errlen, "%s: the value may not hold control bytes or ' ;'/' #'", opt);
			return -1;
		}
	return 0;
}

/* A file named on the command line goes into the case as its absolute path. */
static int check_path(const char *opt, const char *path, char *err, size_t errlen)
{
	char abs[PATH_MAX];

	if (!realpath(path, abs)) {
		snprintf(err, errlen, "%s %s: %s", opt, path, strerror(errno));
		return -1;
	}
	if (strlen(abs) > MAX_VALUE) {
		snprintf(err, errlen, "%s %s: its absolute path is over %d characters", opt, path, MAX_VALUE);
		return -1;
	}
	return 0;
}

/* The NUMA nodes' sizes, their sum in *total_mb. -1 with err on a bad one. */
static int numa_nodes(const char *numa, long *total_mb, char *err, size_t errlen)
{
	char *copy = xstrdup(numa), *save = NULL, *w;
	int n = 0;

	*total_mb = 0;
	for (w = strtok_r(copy, ",", &save); w && n >= 0; w = strtok_r(NULL, ",", &save)) {
		long mb = parse_size_mb(w);
		if (mb <= 0) {
			snprintf(err, errlen, "--numa %s: '%s' is not a node size (e.g. --numa 512M,512M)", numa, w);
			n = -1;
		} else {
			*total_mb += mb;
			n++;
		}
	}
	free(copy);
	return n;
}

/* What vm.c and the case loader would refuse, named by its option: the
 * nodes must add up to --memory (or give it) and share the CPUs evenly. */
static int check_numa(const struct adhoc_opts *a, char *err, size_t errlen)
{
	long total;
	int nodes = numa_nodes(a->numa, &total, err, errlen);

	if (nodes < 0)
		return -1;
	if (nodes > 8 || total < 64 || total > MAX_MEMORY_MB) {
		snprintf(err, errlen, "--numa %s: 1 to 8 nodes adding up to 64M..1T", a->numa);
		return -1;
	}
	if (a->memory && parse_size_mb(a->memory) != total) {
		snprintf(err, errlen, "--numa %s adds up to %ldM, not --memory %s", a->numa, total, a->memory);
		return -1;
	}
	if (a->cpus && (a->cpus < nodes || a->cpus % nodes)) {
		snprintf(err, errlen, "--cpus %d: %d NUMA nodes need a multiple of %d CPUs", a->cpus, nodes, nodes);
		return -1;
	}
	return 0;
}

static int check_sizes(const struct adhoc_opts *a, char *err, size_t errlen)
{
	if (a->memory && (parse_size_mb(a->memory) < 64 || parse_size_mb(a->memory) > MAX_MEMORY_MB)) {
		snprintf(err, errlen, "--memory %s: expected a size from 64M to 1T (K, M, G, T)", a->memory);
		return -1;
	}
	return a->numa ? check_numa(a, err, errlen) : 0;
}

int adhoc_check(const struct adhoc_opts *a, char *err, size_t errlen)
{
	char why[256];

	if (!!a->repro + !!a->syzbot + !!a->kselftest > 1) {
		snprintf(err, errlen, "--repro, --syzbot and --kselftest each name the workload: give one");
		return -1;
	}
	if (a->repro && check_path("--repro", a->repro, err, errlen) < 0)
		return -1;
	if (a->title && title_pattern_check(a->title, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "--title %s", why);
		return -1;
	}
	if (a->kselftest && kselftest_spec_check(a->kselftest, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "--kselftest %s", why);
		return -1;
	}
	for (int i = 0; i < a->nsysctls; i++)
		if (!strchr(a->sysctls[i], '=') || check_value("--sysctl", a->sysctls[i], err, errlen) < 0) {
			if (!strchr(a->sysctls[i], '='))
				snprintf(err, errlen, "--sysctl %s: expected NAME=VALUE", a->sysctls[i]);
			return -1;
		}
	if (a->cmdline && cmdline_has_end_of_params(a->cmdline)) {
		snprintf(err, errlen, "--cmdline %s", CMDLINE_END_OF_PARAMS_WHY);
		return -1;
	}
	if (check_value("--title", a->title, err, errlen) || check_value("--cmdline", a->cmdline, err, errlen) ||
	    check_value("--kernel", a->kernel, err, errlen) ||
	    check_value("--repro-cflags", a->repro_cflags, err, errlen) ||
	    check_value("--repro", a->repro, err, errlen) || check_value("--syzbot", a->syzbot, err, errlen))
		return -1;
	return check_sizes(a, err, errlen);
}

void adhoc_name_from(const char *prefix, const char *path, char *out, size_t len)
{
	char *copy = xstrdup(path), *base, *p;
	size_t n = (size_t)snprintf(out, len, "%s-", prefix), end = strlen(copy);

	while (end > 1 && copy[end - 1] == '/')
		copy[--end] = '\0';
	base = strrchr(copy, '/') ? strrchr(copy, '/') + 1 : copy;
	if (end > 2 && !strcmp(copy + end - 2, ".c"))
		copy[end - 2] = '\0';
	snprintf(out + n, len - n, "%.40s", base);
	free(copy);
	for (p = out + n; *p; p++)
		*p = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') :
		     ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')) ? *p : '-';
	if (!out[n])
		snprintf(out + n, len - n, "input");
}

static void vm_section(FILE *f, const struct adhoc_opts *a)
{
	long total = 0;
	int nodes = a->numa ? numa_nodes(a->numa, &total, (char[8]){ 0 }, 8) : 0;
	int cpus = a->cpus ? a->cpus : nodes > 2 ? nodes : 2;

	fprintf(f, "\n[vm]\n");
	if (a->memory || !nodes)
		fprintf(f, "memory = %s\n", a->memory ? a->memory : "1G");
	else
		fprintf(f, "memory = %ldM\n", total);
	fprintf(f, "cpus = %d\n", nodes && cpus % nodes ? nodes : cpus);
	if (a->numa)
		fprintf(f, "numa = %s\n", a->numa);
	if (a->cmdline)
		fprintf(f, "cmdline = %s\n", a->cmdline);
}

static int guest_section(FILE *f, const struct adhoc_opts *a, const struct syzbot_bundle *b, const char *repro_path)
{
	fprintf(f, "\n[guest]\n");
	if (a->kselftest)
		fprintf(f, "kselftest = %s\n", a->kselftest);
	else {
		char abs[PATH_MAX];
		const char *src = a->repro ? a->repro : b->repro_c;
		if (!repro_path && !realpath(src, abs))
			return -1;
		fprintf(f, "repro = %s\n", repro_path ? repro_path : abs);
		fprintf(f, "repro_time = %d\n", a->repro_time_s ? a->repro_time_s : WORKLOAD_REPRO_DEFAULT_S);
		if (a->repro_cflags)
			fprintf(f, "repro_cflags = %s\n", a->repro_cflags);
		if (a->repro_exit_fails)
			fprintf(f, "repro_exit = fails\n");
	}
	for (int i = 0; i < a->nsysctls; i++)
		fprintf(f, "sysctl = %s\n", a->sysctls[i]);
	return 0;
}

static void case_section(FILE *f, const struct adhoc_opts *a, const struct syzbot_bundle *b, const char *name)
{
	int repro_s = a->repro_time_s ? a->repro_time_s : WORKLOAD_REPRO_DEFAULT_S;
	const char *title = a->title ? a->title : b->title;

	fprintf(f, "[case]\nname = %s\n", name);
	if (a->kselftest)
		fprintf(f, "description = the kernel's selftests %s\n", a->kselftest);
	else
		fprintf(f, "description = %s reproducer %s\n", a->syzbot ? "syzbot" : "C", a->syzbot ? a->syzbot : a->repro);
	fprintf(f, "kernels = %s\n", a->kernel ? a->kernel : "deb:6.12");
	fprintf(f, "expect = %s\n", a->kselftest ? "pass" : "fail");
	if (title && *title)
		fprintf(f, "title = %s\n", title);
	if (!a->kselftest)
		fprintf(f, "timeout = %d\nidle_timeout = %d\n", repro_s + BOOT_MARGIN_S, repro_s + BOOT_MARGIN_S);
}

char *adhoc_case_text(const struct adhoc_opts *a, const char *name, const char *repro_path, char *err,
		      size_t errlen)
{
	struct syzbot_bundle b = { 0 };
	char picked[80], abs[PATH_MAX], *text = NULL;
	size_t len;
	FILE *f;

	if (a->syzbot && syzbot_read(a->syzbot, &b, err, errlen))
		return NULL;
	if (check_value("the syzbot title", b.title, err, errlen) < 0)
		return NULL;
	if (!name || !*name)
		adhoc_name_from(a->kselftest ? "kselftest" : a->syzbot ? "syzbot" : "repro",
				a->kselftest ? a->kselftest : a->syzbot ? a->syzbot : a->repro, picked, sizeof(picked));
	f = open_memstream(&text, &len);
	case_section(f, a, &b, name && *name ? name : picked);
	vm_section(f, a);
	if (guest_section(f, a, &b, repro_path) < 0) {
		fclose(f);
		free(text);
		snprintf(err, errlen, "--repro %s: %s", a->repro ? a->repro : b.repro_c, strerror(errno));
		return NULL;
	}
	/* new-case keeps the bundle's config beside its copy of repro.c. */
	if (b.config[0] && repro_path)
		fprintf(f, "\n[build]\nbase_config = %.*s.config\n", (int)strlen(repro_path) - 2, repro_path);
	else if (b.config[0] && realpath(b.config, abs))
		fprintf(f, "\n[build]\nbase_config = %s\n", abs);
	fclose(f);
	return text;
}

int adhoc_case_file(const struct adhoc_opts *a, char *path, size_t len, char *err, size_t errlen)
{
	char cache[PATH_MAX], dir[PATH_MAX + 16], hash[65];
	char *text = adhoc_case_text(a, NULL, NULL, err, errlen);

	if (!text)
		return EXIT_USAGE;
	build_cache_dir(cache, sizeof(cache));
	xsnprintf(dir, sizeof(dir), "%s/adhoc", cache);
	sha256_hex(text, strlen(text), hash);
	xsnprintf(path, len, "%s/%.24s.case", dir, hash);
	if (mkdir_p(dir, 0755) < 0 || write_file_atomic(path, text, strlen(text)) < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		free(text);
		return EXIT_UNTESTABLE;
	}
	free(text);
	return 0;
}
