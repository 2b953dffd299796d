/* The kernel's selftests: specs, per-test needs, and builds from the tree. */
#include "kselftest.h"
#include "build.h"
#include "case.h"
#include "kernel.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TIMEOUT_S 180   /* tools/testing/selftests/mm/settings */
#define BOOT_MARGIN_S 120

/* What run_vmtests.sh arranges before each, stretched for TCG. */
static const struct kselftest_needs mm_table[] = {
	{ "cow", 0, 0, 32, true, 900, true, "hugetlb pages for its hugetlb cases, swap for MADV_PAGEOUT" },
	{ "gup_longterm", 0, 0, 32, false, 600, true, "hugetlb pages for its hugetlb cases" },
	{ "gup_test", 0, 0, 0, false, 300, false, "CONFIG_GUP_TEST (debugfs gup_test)" },
	{ "madv_populate", 0, 0, 0, false, 300, true, "" },
	{ "migration", 2, 4, 0, false, 600, true, "two NUMA nodes, and 3 CPUs or more (it skips with fewer than 2 threads besides its own)" },
	{ "compaction_test", 0, 0, 0, false, 600, false, "it sets vm.nr_hugepages itself; memory to fragment" },
	{ "split_huge_page_test", 0, 0, 0, false, 600, false, "debugfs split_huge_pages" },
	{ "soft-dirty", 0, 0, 0, false, 300, true, "CONFIG_MEM_SOFT_DIRTY" },
	{ "ksm_functional_tests", 0, 0, 0, false, 300, true, "CONFIG_KSM" },
	{ "ksm_tests", 2, 0, 0, false, 600, false, "two NUMA nodes for its merge-across-nodes test" },
	{ "mremap_test", 0, 0, 0, false, 300, false, "" },
	{ "mlock2-tests", 0, 0, 0, false, 300, false, "" },
	{ "khugepaged", 0, 0, 0, false, 900, false, "THP" },
	{ "uffd-unit-tests", 0, 0, 32, false, 600, false, "hugetlb pages for its hugetlb cases" },
	{ "mkdirty", 0, 0, 0, false, 300, false, "" },
	{ "pagemap_ioctl", 0, 0, 0, false, 300, false, "" },
};

static bool is_test_name(const char *s, size_t n)
{
	if (!n || n > 64 || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.", s[i]))
			return false;
	return true;
}

static void add_test(struct kselftest_spec *s, const char *name, size_t n)
{
	s->tests = xrealloc(s->tests, (size_t)(s->ntests + 1) * sizeof(*s->tests));
	s->tests[s->ntests++] = strndup(name, n);
}

static void add_defaults(struct kselftest_spec *s)
{
	for (size_t i = 0; i < sizeof(mm_table) / sizeof(mm_table[0]); i++)
		if (mm_table[i].by_default)
			add_test(s, mm_table[i].test, strlen(mm_table[i].test));
}

static int parse_tests(struct kselftest_spec *s, const char *list, char *why, size_t len)
{
	for (const char *p = list;; p++) {
		size_t n = strcspn(p, ",");
		if (!is_test_name(p, n)) {
			snprintf(why, len, "'%.*s' is not a test name (letters, digits, _ - .)", (int)n, p);
			return -1;
		}
		for (int i = 0; i < s->ntests; i++)
			if (strlen(s->tests[i]) == n && !strncmp(s->tests[i], p, n)) {
				snprintf(why, len, "test '%.*s' is named twice", (int)n, p);
				return -1;
			}
		add_test(s, p, n);
		p += n;
		if (!*p)
			return 0;
	}
}

int kselftest_spec_parse(const char *text, struct kselftest_spec *s, char *why, size_t len)
{
	const char *colon = strchr(text, ':');
	size_t n = colon ? (size_t)(colon - text) : strlen(text);

	memset(s, 0, sizeof(*s));
	if ((n != 2 || strncmp(text, "mm", 2)) && (n != 6 || strncmp(text, "cgroup", 6))) {
		snprintf(why, len, "%s: expected mm[:TEST,...] or cgroup:TEST,... (the selftest dirs supported)", text);
		return -1;
	}
	snprintf(s->suite, sizeof(s->suite), "%.*s", (int)n, text);
	if (!colon && !strcmp(s->suite, "mm")) {
		add_defaults(s);
		return 0;
	}
	if (!colon || !colon[1]) {
		snprintf(why, len, "%s: name the tests after '%s:'", text, s->suite);
		return -1;
	}
	if (parse_tests(s, colon + 1, why, len) < 0) {
		kselftest_spec_free(s);
		return -1;
	}
	return 0;
}

int kselftest_spec_check(const char *text, char *why, size_t len)
{
	struct kselftest_spec s;

	if (kselftest_spec_parse(text, &s, why, len) < 0)
		return -1;
	kselftest_spec_free(&s);
	return 0;
}

void kselftest_spec_free(struct kselftest_spec *s)
{
	for (int i = 0; i < s->ntests; i++)
		free(s->tests[i]);
	free(s->tests);
	s->tests = NULL;
	s->ntests = 0;
}

struct kselftest_needs kselftest_needs_of(const char *suite, const char *test)
{
	struct kselftest_needs d = { .test = test, .timeout_s = DEFAULT_TIMEOUT_S, .why = "" };

	if (strcmp(suite, "mm"))
		return d;
	for (size_t i = 0; i < sizeof(mm_table) / sizeof(mm_table[0]); i++)
		if (!strcmp(mm_table[i].test, test))
			return mm_table[i];
	return d;
}

static bool has_sysctl(const struct case_def *c, const char *name)
{
	for (int i = 0; i < c->nsysctls; i++)
		if (!strncmp(c->sysctls[i], name, strlen(name)) && c->sysctls[i][strlen(name)] == '=')
			return true;
	return false;
}

/* Two nodes split the VM's memory and CPUs evenly (vm.c's topology). */
static void give_numa(struct case_def *c, int nodes)
{
	if (c->nnuma >= nodes)
		return;
	if (c->cpus < nodes || c->cpus % nodes)
		c->cpus = nodes;
	c->nnuma = nodes;
	for (int i = 0; i < nodes; i++)
		c->numa_mb[i] = c->mem_mb / (unsigned)nodes;
	c->mem_mb = c->numa_mb[0] * (unsigned)nodes;
}

static void give_needs(struct case_def *c, const struct kselftest_needs *n, int *hugepages, int *total_s,
		       int *longest_s)
{
	if (n->numa_nodes)
		give_numa(c, n->numa_nodes);
	/* More CPUs keep the nodes even: vm.c gives each node cpus / nodes. */
	if (n->cpus > c->cpus)
		c->cpus = c->nnuma && n->cpus % c->nnuma ? n->cpus + c->nnuma - n->cpus % c->nnuma : n->cpus;
	if (n->swap && !c->zram[0])
		snprintf(c->zram, sizeof(c->zram), "512M");
	*hugepages = n->hugepages > *hugepages ? n->hugepages : *hugepages;
	*total_s += n->timeout_s;
	*longest_s = n->timeout_s > *longest_s ? n->timeout_s : *longest_s;
}

int kselftest_apply_needs(struct case_def *c, char *err, size_t errlen)
{
	struct kselftest_spec s;
	char why[256];
	int hugepages = 0, total_s = 0, longest_s = 0;

	if (kselftest_spec_parse(c->kselftest, &s, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: kselftest %s", c->path, why);
		return -1;
	}
	for (int i = 0; i < s.ntests; i++) {
		struct kselftest_needs n = kselftest_needs_of(s.suite, s.tests[i]);
		give_needs(c, &n, &hugepages, &total_s, &longest_s);
	}
	if (hugepages && !has_sysctl(c, "vm.nr_hugepages") && c->nsysctls < CASE_MAX_LIST)
		snprintf(c->sysctls[c->nsysctls++], sizeof(c->sysctls[0]), "vm.nr_hugepages=%d", hugepages);
	if (c->timeout_s < BOOT_MARGIN_S + total_s)
		c->timeout_s = BOOT_MARGIN_S + total_s;
	/* Tests write their output to the result channel, not the console:
	 * a quiet console is no hang while one of them runs. */
	if (c->idle_timeout_s < longest_s + 60)
		c->idle_timeout_s = longest_s + 60;
	kselftest_spec_free(&s);
	return 0;
}

void kselftest_runner_args(const struct kselftest_spec *s, char *out, size_t len)
{
	size_t used = (size_t)snprintf(out, len, "--suite %s --tests ", s->suite);

	for (int i = 0; i < s->ntests && used < len; i++) {
		struct kselftest_needs n = kselftest_needs_of(s->suite, s->tests[i]);
		used += (size_t)snprintf(out + used, len - used, "%s%s:%d", i ? "," : "", s->tests[i], n.timeout_s);
	}
}

/* ---- building them from the tree ---------------------------------------- */

struct ksft_job {
	const struct kselftest_spec *spec;
	const char *out;       /* the cache dir of these binaries */
	char *err;
	size_t errlen;
};

static int make_tests(const char *tree, const char *obj, const char *log, void *arg)
{
	const struct ksft_job *j = arg;
	char hdr[PATH_MAX + 32], hobj[PATH_MAX + 16], khdr[PATH_MAX + 32], src[PATH_MAX + 64];
	char outdir[PATH_MAX + 16], bindir[PATH_MAX + 8];
	char **argv = xcalloc((size_t)j->spec->ntests + 10, sizeof(*argv));
	char **targets = xcalloc((size_t)j->spec->ntests + 1, sizeof(*targets));
	int n = 0;

	xsnprintf(hdr, sizeof(hdr), "INSTALL_HDR_PATH=%s/usr", j->out);
	xsnprintf(hobj, sizeof(hobj), "O=%s/obj", j->out);
	xsnprintf(khdr, sizeof(khdr), "KHDR_INCLUDES=-isystem %s/usr/include", j->out);
	xsnprintf(src, sizeof(src), "%s/tools/testing/selftests/%s", tree, j->spec->suite);
	xsnprintf(outdir, sizeof(outdir), "OUTPUT=%s/bin", j->out);
	xsnprintf(bindir, sizeof(bindir), "%s/bin", j->out);
	mkdir_p(bindir, 0755);
	/* Its own object dir: an in-tree make would leave the tree unclean
	 * for the kernel's O= builds. */
	if (run_cmd((char *[]){ "make", "-s", "-C", (char *)tree, hobj, hdr, "headers_install", NULL }, log, NULL)) {
		snprintf(j->err, j->errlen, "make headers_install failed in %s (see %s)", tree, log);
		free(argv);
		free(targets);
		return EXIT_UNTESTABLE;
	}
	(void)obj;
	argv[n++] = "make";
	argv[n++] = "-k";
	argv[n++] = "-j2";
	argv[n++] = "-C";
	argv[n++] = src;
	argv[n++] = outdir;
	argv[n++] = khdr;
	for (int i = 0; i < j->spec->ntests; i++)
		if (asprintf(&targets[i], "%s/bin/%s", j->out, j->spec->tests[i]) > 0)
			argv[n++] = targets[i];
	/* Failing tests are found by their missing binaries, not make's status. */
	run_cmd(argv, log, NULL);
	for (int i = 0; i < j->spec->ntests; i++)
		free(targets[i]);
	free(targets);
	free(argv);
	return 0;
}

/* The tree the tests come from: the kernel's own, or for Debian's
 * prebuilt images the packaged source of the same version line. */
static int tree_spec(const struct kernel *k, char *spec, size_t len, char *err, size_t errlen)
{
	if (kernel_spec_needs_build(k->spec)) {
		snprintf(spec, len, "%s", k->spec);
		return 0;
	}
	if (kernel_spec_parse(k->spec).kind == KERNEL_DEB) {
		snprintf(spec, len, "src:deb-%s", kernel_spec_parse(k->spec).arg);
		return 0;
	}
	snprintf(err, errlen, "--kernel %s: kselftests are built from a source tree; use src:, git:, dir: or deb:",
		 k->spec);
	return EXIT_USAGE;
}

static void note_failed(const struct kselftest_spec *s, struct kselftest_build *out)
{
	for (int i = 0; i < s->ntests; i++) {
		char bin[PATH_MAX + 80];
		xsnprintf(bin, sizeof(bin), "%s/bin/%s", out->dir, s->tests[i]);
		if (file_exists(bin))
			continue;
		out->failed = xrealloc(out->failed, (size_t)(out->nfailed + 1) * sizeof(*out->failed));
		out->failed[out->nfailed++] = xstrdup(s->tests[i]);
	}
}

int kselftest_build(const struct kernel *k, const struct kselftest_spec *s, int signal_fd,
		    struct kselftest_build *out, char *err, size_t errlen)
{
	char spec[300], cache[PATH_MAX];
	struct build_request req = { .spec = spec, .series = k->series[0] ? k->series : NULL, .signal_fd = signal_fd };
	struct build_plan plan;
	struct ksft_job job = { .spec = s, .out = out->dir, .err = err, .errlen = errlen };
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = tree_spec(k, spec, sizeof(spec), err, errlen)) || (rc = build_plan(&req, &plan, err, errlen)))
		return rc;
	build_cache_dir(cache, sizeof(cache));
	xsnprintf(out->dir, sizeof(out->dir), "%s/kselftest/%s/%s", cache, plan.key, s->suite);
	snprintf(out->source, sizeof(out->source), "%s%s%.200s (%s)", spec, req.series ? " + " : "",
		 req.series ? req.series : "", strrchr(plan.tree, '/') ? strrchr(plan.tree, '/') + 1 : plan.tree);
	note_failed(s, out);
	if (!out->nfailed)
		return 0;
	fprintf(stderr, "mmrepro: building kselftests %s from %s into %s\n", s->suite, out->source, out->dir);
	for (int i = 0; i < out->nfailed; i++)
		free(out->failed[i]);
	free(out->failed);
	out->failed = NULL;
	out->nfailed = 0;
	mkdir_p(out->dir, 0755);
	if ((rc = build_in_tree(&req, make_tests, &job, err, errlen)))
		return rc;
	note_failed(s, out);
	for (int i = 0; i < out->nfailed; i++)
		fprintf(stderr, "mmrepro: kselftest %s/%s did not build (see the log under %s/logs)\n", s->suite,
			out->failed[i], cache);
	return 0;
}

void kselftest_build_free(struct kselftest_build *b)
{
	for (int i = 0; i < b->nfailed; i++)
		free(b->failed[i]);
	free(b->failed);
	b->failed = NULL;
	b->nfailed = 0;
}
