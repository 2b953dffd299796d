/* Case files: ini text fed to inih line by line and checked as it goes. */
#include "case.h"
#include "build.h"
#include "title.h"
#include "kselftest.h"
#include "workload.h"
#include "report.h"
#include "flavor.h"
#include "kernel.h"
#include "knob.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A case file is a page of ini; more is not one (or is /dev/zero). */
#define CASE_MAX_BYTES (1u << 20)
/* The workload or reproducer source read for its fix tags: repro.c's cap. */
#define SOURCE_MAX_BYTES (16u << 20)

/* QEMU builds -m from an unsigned number of MiB; 1 TiB keeps well clear. */
#define MAX_MEMORY_MB (1024L * 1024)
#define SIZE_UNITS "units K, KiB, M, MiB, G, GiB, T, TiB; bare numbers are MiB"

enum section_kind { SECTION_NONE, SECTION_CASE, SECTION_VM, SECTION_GUEST, SECTION_BUILD, SECTION_VARIANT };

/* A section header or key already seen, so a second one can name the first. */
struct seen {
	char *name;
	int section;                /* index of the key's header; -1 for a header */
	int line;
};

struct parse_ctx {
	const char *file;
	const char *text;           /* the case text; len bytes, maybe no NUL */
	size_t len, pos;
	int line;                   /* of the line inih is working on */
	struct case_def *c;
	enum section_kind kind;
	int section;                /* index in seen of the current header, -1 before one */
	struct variant *cur_variant;
	struct seen *seen;
	size_t nseen, seen_cap;
	char *err;
	size_t errlen;
	int err_line;               /* 0 until the first error */
	bool confine;               /* host paths must lie in the checkout */
};

const char *expect_name(enum expect e)
{
	switch (e) {
	case EXPECT_PASS: return "pass";
	case EXPECT_FAIL: return "fail";
	case EXPECT_CONF: return "conf";
	default: return "-";
	}
}

/* Returns the size of unit in KiB, or 0 for an unknown unit. */
static unsigned long long unit_kib(const char *unit)
{
	static const struct { const char *name; unsigned long long kib; } units[] = {
		{ "", 1024 }, { "K", 1 }, { "KiB", 1 }, { "M", 1024 }, { "MiB", 1024 },
		{ "G", 1024 * 1024 }, { "GiB", 1024 * 1024 },
		{ "T", 1024ULL * 1024 * 1024 }, { "TiB", 1024ULL * 1024 * 1024 },
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(unit, units[i].name))
			return units[i].kib;
	return 0;
}

long parse_size_mb(const char *s)
{
	unsigned long long n = 0, kib, per_unit;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++)
		if (__builtin_mul_overflow(n, 10, &n) || __builtin_add_overflow(n, (unsigned)(*s - '0'), &n))
			return -1;
	per_unit = unit_kib(s);
	if (!per_unit || __builtin_mul_overflow(n, per_unit, &kib) || kib % 1024)
		return -1;
	if (kib / 1024 > LONG_MAX)
		return -1;
	return (long)(kib / 1024);
}

static int fail(struct parse_ctx *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Keeps only the first error: later ones are usually its consequences. */
static int fail(struct parse_ctx *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->err_line)
		return 0;
	p->err_line = p->line;
	if (!p->errlen)
		return 0;
	n = snprintf(p->err, p->errlen, "%s:%d: ", p->file, p->line);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return 0;
}

/* Returns the index of the entry named name in section, or -1. */
static int find_seen(const struct parse_ctx *p, int section, const char *name)
{
	for (size_t i = 0; i < p->nseen; i++)
		if (p->seen[i].section == section && !strcmp(p->seen[i].name, name))
			return (int)i;
	return -1;
}

/* Takes ownership of name. */
static int add_seen(struct parse_ctx *p, char *name, int section)
{
	if (p->nseen == p->seen_cap) {
		size_t cap = p->seen_cap ? p->seen_cap * 2 : 16;
		struct seen *grown = realloc(p->seen, cap * sizeof(*grown));
		if (!grown) {
			free(name);
			return fail(p, "out of memory");
		}
		p->seen = grown;
		p->seen_cap = cap;
	}
	p->seen[p->nseen++] = (struct seen){ .name = name, .section = section, .line = p->line };
	return 1;
}

static void free_seen(struct parse_ctx *p)
{
	for (size_t i = 0; i < p->nseen; i++)
		free(p->seen[i].name);
	free(p->seen);
}

static bool is_word_of(const char *s, const char *punctuation)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(punctuation, *s))
			return false;
	return true;
}

static bool is_plain_word(const char *s)
{
	return is_word_of(s, "-_");
}

bool cmdline_has_end_of_params(const char *cmdline)
{
	for (const char *w = cmdline; *w;) {
		size_t len = strcspn(w, " \t");
		if (len == 2 && !strncmp(w, "--", 2))
			return true;
		w += len;
		w += strspn(w, " \t");
	}
	return false;
}

static int copy_value(struct parse_ctx *p, char *dst, size_t len, const char *key, const char *v)
{
	if (strlen(v) >= len)
		return fail(p, "value of '%s' is too long (at most %zu characters)", key, len - 1);
	strcpy(dst, v);
	return 1;
}

/* Appends the whitespace- or comma-separated words of v to a list. */
static int add_words(struct parse_ctx *p, char list[][256], int *n, const char *key, const char *v)
{
	char *buf = strdup(v), *save, *w;
	int ok = 1;

	if (!buf)
		return fail(p, "out of memory");
	for (w = strtok_r(buf, " \t,", &save); w && ok; w = strtok_r(NULL, " \t,", &save)) {
		if (*n >= CASE_MAX_LIST)
			ok = fail(p, "too many values for '%s' (at most %d)", key, CASE_MAX_LIST);
		else
			ok = copy_value(p, list[(*n)++], sizeof(list[0]), key, w);
	}
	free(buf);
	return ok;
}

static int parse_int(struct parse_ctx *p, int *dst, const char *key, const char *v, int min, int max)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < min || n > max)
		return fail(p, "'%s' must be an integer from %d to %d, got '%s'", key, min, max, v);
	*dst = (int)n;
	return 1;
}

static int parse_bool(struct parse_ctx *p, bool *dst, const char *key, const char *v)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
		*dst = true;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
		*dst = false;
	else
		return fail(p, "'%s' must be yes or no, got '%s'", key, v);
	return 1;
}

/* yes: 1, no: -1; 0 stays "not set". */
static int parse_tristate(struct parse_ctx *p, int *dst, const char *key, const char *v)
{
	bool b;
	int rc = parse_bool(p, &b, key, v);

	if (rc > 0)
		*dst = b ? 1 : -1;
	return rc;
}

static int parse_name(struct parse_ctx *p, const char *v)
{
	/* The name becomes a directory under results/. */
	if (!is_plain_word(v))
		return fail(p, "'name' must be a plain word (letters, digits, '-', '_'), got '%s'", v);
	return copy_value(p, p->c->name, sizeof(p->c->name), "name", v);
}

static int parse_boot_failure(struct parse_ctx *p, const char *v)
{
	if (!strcmp(v, "bug"))
		p->c->boot_failure_is_bug = true;
	else if (!strcmp(v, "untestable"))
		p->c->boot_failure_is_bug = false;
	else
		return fail(p, "'boot_failure' must be untestable or bug, got '%s'", v);
	return 1;
}

static const char *skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* One `SHA ("subject")` at *s; moves *s past it and a comma after it. */
static int parse_one_commit(struct parse_ctx *p, struct fix_list *l, const char **s)
{
	const char *sha = *s, *open, *end;
	size_t n = strspn(sha, "0123456789abcdef");
	struct fix_commit *f;

	if (n < 12 || n > 40 || (sha[n] && sha[n] != ' ' && sha[n] != '\t' && sha[n] != '('))
		return fail(p, "'fixes' needs SHA (\"subject\") with a SHA of 12 to 40 lowercase hex digits, got '%s'",
			    sha);
	open = skip_blanks(sha + n);
	/* The first `")` ends the subject; a subject may quote another one. */
	if (strncmp(open, "(\"", 2) || !(end = strstr(open + 2, "\")")))
		return fail(p, "'fixes': %.*s needs its subject as (\"subject\")", (int)n, sha);
	if (*skip_blanks(end + 2) && *skip_blanks(end + 2) != ',')
		return fail(p, "'fixes': a comma or the end of the line must follow %.*s (\"%.*s\")", (int)n, sha,
			    (int)(end - open - 2), open + 2);
	if (end == open + 2)
		return fail(p, "'fixes': %.*s has an empty subject", (int)n, sha);
	if ((size_t)(end - open - 2) >= sizeof(f->subject))
		return fail(p, "'fixes': the subject of %.*s is too long (at most %zu characters)", (int)n, sha,
			    sizeof(f->subject) - 1);
	if (l->ncommits >= CASE_MAX_FIXES)
		return fail(p, "too many commits in 'fixes' (at most %d)", CASE_MAX_FIXES);
	f = &l->commits[l->ncommits++];
	memcpy(f->sha, sha, n);
	f->sha[n] = '\0';
	memcpy(f->subject, open + 2, (size_t)(end - open - 2));
	f->subject[end - open - 2] = '\0';
	f->line = p->line;
	*s = skip_blanks(end + 2);
	if (**s == ',')
		*s = skip_blanks(*s + 1);
	return 1;
}

/* fixes = SHA ("subject")[, SHA ("subject") ...]; the key may repeat. */
static int parse_fixes(struct parse_ctx *p, struct fix_list *l, const char *v)
{
	const char *s = skip_blanks(v);

	if (!*s)
		return fail(p, "'fixes' needs SHA (\"subject\")");
	while (*s)
		if (!parse_one_commit(p, l, &s))
			return 0;
	return 1;
}

/* fixed_by = "subject" (where): the last `"` followed by a `(` ends the
 * subject, so that subjects may quote other subjects. */
static int parse_fixed_by(struct parse_ctx *p, struct fix_list *l, const char *v)
{
	size_t len = strlen(v);
	const char *close = NULL, *open;
	struct fix_note *f;

	for (const char *q = len ? v + len - 1 : v; q > v && !close; q--)
		if (*q == '"' && *skip_blanks(q + 1) == '(')
			close = q;
	if (v[0] != '"' || !close || v[len - 1] != ')')
		return fail(p, "'fixed_by' must be \"subject\" (where), got '%s'", v);
	open = skip_blanks(close + 1);
	if (close == v + 1 || open + 1 == v + len - 1)
		return fail(p, "'fixed_by' needs a non-empty subject and where, got '%s'", v);
	if (l->nnotes >= CASE_MAX_FIXES)
		return fail(p, "too many 'fixed_by' lines (at most %d)", CASE_MAX_FIXES);
	f = &l->notes[l->nnotes];
	if ((size_t)(close - v - 1) >= sizeof(f->subject) || (size_t)(v + len - open - 2) >= sizeof(f->origin))
		return fail(p, "'fixed_by': subject or where too long (at most %zu and %zu characters)",
			    sizeof(f->subject) - 1, sizeof(f->origin) - 1);
	snprintf(f->subject, sizeof(f->subject), "%.*s", (int)(close - v - 1), v + 1);
	snprintf(f->origin, sizeof(f->origin), "%.*s", (int)(v + len - open - 2), open + 1);
	l->nnotes++;
	return 1;
}

/* /proc/vmstat names: lower-case letters, digits and '_'. */
static int parse_counters(struct parse_ctx *p, const char *v)
{
	int first = p->c->ncounters;

	if (!add_words(p, p->c->counters, &p->c->ncounters, "counters", v))
		return 0;
	for (int i = first; i < p->c->ncounters; i++)
		if (strspn(p->c->counters[i], "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(p->c->counters[i]))
			return fail(p, "'counters': '%s' is not a /proc/vmstat name", p->c->counters[i]);
	return 1;
}

static int parse_title_key(struct parse_ctx *p, const char *v)
{
	char why[256];

	if (title_pattern_check(v, why, sizeof(why)) < 0)
		return fail(p, "'title': %s", why);
	return copy_value(p, p->c->title, sizeof(p->c->title), "title", v);
}

static int parse_case_expect(struct parse_ctx *p, const char *v)
{
	if (strcmp(v, "pass") && strcmp(v, "fail"))
		return fail(p, "'expect' in [case] must be pass or fail, got '%s'", v);
	p->c->expect = !strcmp(v, "pass") ? EXPECT_PASS : EXPECT_FAIL;
	return 1;
}

static int case_key(struct parse_ctx *p, const char *k, const char *v)
{
	struct case_def *c = p->c;

	if (!strcmp(k, "name"))
		return parse_name(p, v);
	if (!strcmp(k, "description"))
		return copy_value(p, c->description, sizeof(c->description), k, v);
	if (!strcmp(k, "fixes"))
		return parse_fixes(p, &c->fixes, v);
	if (!strcmp(k, "fixed_by"))
		return parse_fixed_by(p, &c->fixes, v);
	if (!strcmp(k, "fix"))
		return fail(p, "'fix' is replaced by 'fixes = SHA (\"subject\")' for upstream commits and "
			    "'fixed_by = \"subject\" (where)' for changes without one");
	if (!strcmp(k, "kernels"))
		return add_words(p, c->kernels, &c->nkernels, k, v);
	if (!strcmp(k, "counters"))
		return parse_counters(p, v);
	if (!strcmp(k, "timeout"))
		return parse_int(p, &c->timeout_s, k, v, 1, 86400);
	if (!strcmp(k, "idle_timeout"))
		return parse_int(p, &c->idle_timeout_s, k, v, 1, 86400);
	if (!strcmp(k, "boot_failure"))
		return parse_boot_failure(p, v);
	if (!strcmp(k, "quiet_host"))
		return parse_bool(p, &c->quiet_host, k, v);
	if (!strcmp(k, "title"))
		return parse_title_key(p, v);
	if (!strcmp(k, "expect"))
		return parse_case_expect(p, v);
	return fail(p, "unknown key '%s' in [case]", k);
}

static int parse_memory(struct parse_ctx *p, const char *v, unsigned *mem_mb)
{
	long mb = parse_size_mb(v);

	if (mb < 64 || mb > MAX_MEMORY_MB)
		return fail(p, "'memory' must be a size from 64M to 1T (" SIZE_UNITS "), got '%s'", v);
	*mem_mb = (unsigned)mb;
	return 1;
}

static int parse_numa(struct parse_ctx *p, const char *v, unsigned *numa_mb, int *nnuma)
{
	char *buf = strdup(v), *save, *w;
	int ok = 1;

	if (!buf)
		return fail(p, "out of memory");
	for (w = strtok_r(buf, " ,", &save); w && ok; w = strtok_r(NULL, " ,", &save)) {
		long mb = parse_size_mb(w);
		if (mb <= 0 || mb > MAX_MEMORY_MB)
			ok = fail(p, "bad node size '%s' in 'numa': must be from 1M to 1T (" SIZE_UNITS ")", w);
		else if (*nnuma >= CASE_MAX_NUMA)
			ok = fail(p, "at most %d NUMA nodes", CASE_MAX_NUMA);
		else
			numa_mb[(*nnuma)++] = (unsigned)mb;
	}
	free(buf);
	if (ok && !*nnuma)
		return fail(p, "'numa' needs at least one node size");
	return ok;
}

/* The QEMU device models the cases need: edu (a device for vfio-pci to
 * take), the vIOMMUs and an entropy source (its default backend is QEMU's
 * own, never a file the case names). Any other model, or a property that
 * names a host file (loader,file=, romfile=), would have QEMU open that
 * file as root before -runas drops to its own user. */
static const char *const device_models[] = { "edu", "intel-iommu", "virtio-iommu-pci", "virtio-rng-pci" };

static bool is_device_model(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(device_models) / sizeof(device_models[0]); i++)
		if (strlen(device_models[i]) == len && !strncmp(device_models[i], name, len))
			return true;
	return false;
}

static bool names_host_resource(const char *key, size_t len)
{
	static const char *const keys[] = { "driver", "drive", "chardev", "netdev", "memdev", "fd", "fds",
					    "vhostfd", "host", "sysfsdev" };
	char k[64];

	snprintf(k, sizeof(k), "%.*s", (int)(len < sizeof(k) ? len : sizeof(k) - 1), key);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(k, keys[i]))
			return true;
	return strstr(k, "file") || strstr(k, "path") || strstr(k, "rom");
}

/* "MODEL[,KEY=VALUE]...": no ",," escapes, no JSON, no path in a value. */
static int parse_device(struct parse_ctx *p, const char *v)
{
	size_t len = strcspn(v, ",");

	if (!is_device_model(v, len))
		return fail(p, "'device' %s: '%.*s' is not a device model a case may add (edu, intel-iommu, "
			    "virtio-iommu-pci, virtio-rng-pci)", v, (int)len, v);
	if (strstr(v, ",,"))
		return fail(p, "'device' %s: ',,' is not allowed", v);
	for (const char *o = v + len; *o; o += len) {
		const char *eq;
		o++;
		len = strcspn(o, ",");
		eq = memchr(o, '=', len);
		if (!eq || eq == o)
			return fail(p, "'device' %s: '%.*s' is not KEY=VALUE", v, (int)len, o);
		if (names_host_resource(o, (size_t)(eq - o)) || memchr(eq, '/', len - (size_t)(eq - o)))
			return fail(p, "'device' %s: '%.*s' may name a host file or device", v, (int)len, o);
	}
	if (p->c->ndevices >= CASE_MAX_LIST)
		return fail(p, "too many 'device' lines (at most %d)", CASE_MAX_LIST);
	return copy_value(p, p->c->devices[p->c->ndevices++], sizeof(p->c->devices[0]), "device", v);
}

/* A guest disk is sparse, but the guest may fill it: at most 64 GiB. */
static int parse_disk(struct parse_ctx *p, const char *v, unsigned *out)
{
	long mb = parse_size_mb(v);

	if (mb < 1 || mb > 64 * 1024)
		return fail(p, "'disk' must be a size from 1M to 64G (" SIZE_UNITS "), got '%s'", v);
	*out = (unsigned)mb;
	return 1;
}

static int parse_arch(struct parse_ctx *p, enum arch *out, const char *v)
{
	if (arch_parse(v, out) < 0)
		return fail(p, "'arch': expected %s, got '%s'", arch_names(), v);
	return 1;
}

static int vm_key(struct parse_ctx *p, const char *k, const char *v)
{
	struct case_def *c = p->c;

	if (!strcmp(k, "memory"))
		return parse_memory(p, v, &c->mem_mb);
	if (!strcmp(k, "cpus"))
		return parse_int(p, &c->cpus, k, v, 1, 64);
	if (!strcmp(k, "numa"))
		return parse_numa(p, v, c->numa_mb, &c->nnuma);
	if (!strcmp(k, "machine")) {
		if (strcmp(v, "pc") && strcmp(v, "q35"))
			return fail(p, "'machine' must be pc or q35, got '%s'", v);
		return copy_value(p, c->machine, sizeof(c->machine), k, v);
	}
	if (!strcmp(k, "iommu"))
		return parse_bool(p, &c->iommu, k, v);
	if (!strcmp(k, "arch"))
		return parse_arch(p, &c->arch, v);
	if (!strcmp(k, "device"))
		return parse_device(p, v);
	if (!strcmp(k, "disk"))
		return parse_disk(p, v, &c->disk_mb);
	if (!strcmp(k, "cmdline") && cmdline_has_end_of_params(v))
		return fail(p, "'cmdline' " CMDLINE_END_OF_PARAMS_WHY);
	if (!strcmp(k, "cmdline"))
		return copy_value(p, c->cmdline, sizeof(c->cmdline), k, v);
	if (!strcmp(k, "panic_on_warn"))
		return parse_tristate(p, &c->panic_on_warn, k, v);
	return fail(p, "unknown key '%s' in [vm]", k);
}

static bool is_regular_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool path_under(const char *path, const char *root)
{
	size_t n = strlen(root);

	return !strncmp(path, root, n) && (path[n] == '/' || !path[n]);
}

/* A case file is text from anyone (a mail, a tracker): the host files it
 * names reach the build, the guest and the results, so they must resolve
 * inside the checkout. A path that does not exist yet is judged as
 * written, so that it cannot turn up later as a file elsewhere. */
static int check_host_path(struct parse_ctx *p, const char *key, const char *v, const char *path)
{
	char real[PATH_MAX], root[PATH_MAX];
	bool inside;

	if (!p->confine)
		return 1;
	if (!realpath(repo_root(), root))
		return fail(p, "'%s' %s: the checkout %s: %s", key, v, repo_root(), strerror(errno));
	if (realpath(path, real))
		inside = path_under(real, root);
	else {
		snprintf(real, sizeof(real), "%s", path);
		inside = !strstr(path, "/..") && (path_under(path, root) || path_under(path, repo_root()));
	}
	if (inside)
		return 1;
	return fail(p, "'%s' %s is outside the checkout %s (it is %s); a case names host files only with "
		    "MMREPRO_ALLOW_HOST_PATHS=1", key, v, root, real);
}

static int parse_workload(struct parse_ctx *p, const char *v)
{
	char *path;
	int exists;

	if (!is_plain_word(v))
		return fail(p, "'workload' must be a name under guest/workloads, got '%s'", v);
	if (asprintf(&path, "%s/guest/workloads/%s.c", repo_root(), v) < 0)
		return fail(p, "out of memory");
	exists = is_regular_file(path);
	free(path);
	if (!exists)
		return fail(p, "workload '%s' does not exist (no guest/workloads/%s.c)", v, v);
	if (p->c->workload[0])
		return fail(p, "[guest] takes one of 'workload', 'repro' and 'kselftest'");
	return copy_value(p, p->c->workload, sizeof(p->c->workload), "workload", v);
}

/* repro = FILE.c: absolute, or relative to the repository (where
 * new-case puts it), or else to the case file's own dir. */
static int parse_repro(struct parse_ctx *p, const char *v)
{
	char path[PATH_MAX * 2], dir[PATH_MAX];
	const char *slash = strrchr(p->file, '/');

	if (!*v)
		return fail(p, "'repro' needs a C file");
	if (v[0] == '/')
		snprintf(path, sizeof(path), "%s", v);
	else {
		snprintf(path, sizeof(path), "%s/%s", repo_root(), v);
		snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - p->file) : 1, slash ? p->file : ".");
		if (!is_regular_file(path))
			snprintf(path, sizeof(path), "%s/%s", dir, v);
	}
	if (!is_regular_file(path))
		return fail(p, "'repro' %s is not a regular file (tried %s)", v, path);
	if (!realpath(path, dir))
		return fail(p, "'repro' %s: %s", v, strerror(errno));
	if (!check_host_path(p, "repro", v, dir))
		return 0;
	snprintf(path, sizeof(path), "%s", dir);
	if (p->c->workload[0])
		return fail(p, "[guest] takes one of 'workload', 'repro' and 'kselftest'");
	if (!copy_value(p, p->c->repro, sizeof(p->c->repro), "repro", path))
		return 0;
	return copy_value(p, p->c->workload, sizeof(p->c->workload), "repro", WORKLOAD_REPRO_RUNNER);
}

static int parse_kselftest_key(struct parse_ctx *p, const char *v)
{
	char why[256];

	if (kselftest_spec_check(v, why, sizeof(why)) < 0)
		return fail(p, "'kselftest': %s", why);
	if (p->c->workload[0])
		return fail(p, "[guest] takes one of 'workload', 'repro' and 'kselftest'");
	if (!copy_value(p, p->c->kselftest, sizeof(p->c->kselftest), "kselftest", v))
		return 0;
	return copy_value(p, p->c->workload, sizeof(p->c->workload), "kselftest", WORKLOAD_KSELFTEST_RUNNER);
}

static int parse_modules(struct parse_ctx *p, const char *v)
{
	char tmp[CASE_MAX_LIST][256];
	int n = 0;
	struct case_def *c = p->c;

	if (!add_words(p, tmp, &n, "modules", v))
		return 0;
	for (int i = 0; i < n; i++) {
		if (c->nmodules >= CASE_MAX_LIST)
			return fail(p, "too many modules (at most %d)", CASE_MAX_LIST);
		if (!copy_value(p, c->modules[c->nmodules++], sizeof(c->modules[0]), "modules", tmp[i]))
			return 0;
	}
	return 1;
}

static bool is_v1_controller(const char *name, size_t len)
{
	static const char *const known[] = { "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer",
					     "net_cls", "net_prio", "blkio", "perf_event", "hugetlb",
					     "pids", "rdma", "misc" };

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i]) == len && !strncmp(known[i], name, len))
			return true;
	return false;
}

/* The guest mounts one v1 hierarchy per controller in "v1:a,b,c". */
static int parse_cgroup(struct parse_ctx *p, const char *v)
{
	if (!strcmp(v, "v2"))
		return copy_value(p, p->c->cgroup, sizeof(p->c->cgroup), "cgroup", v);
	if (strncmp(v, "v1:", 3))
		return fail(p, "'cgroup' must be v2 or v1:CONTROLLERS, got '%s'", v);
	for (const char *s = v + 3;; s++) {
		size_t len = strcspn(s, ",");
		if (!is_v1_controller(s, len))
			return fail(p, "unknown cgroup v1 controller '%.*s' in 'cgroup'", (int)len, s);
		s += len;
		if (!*s)
			break;
	}
	return copy_value(p, p->c->cgroup, sizeof(p->c->cgroup), "cgroup", v);
}

/* knob = NAME=VALUE: a sysfs knob the guest sets before the workload. */
static int parse_knob_line(struct parse_ctx *p, const char *v)
{
	char why[512];

	if (knob_case_line(p->c, v, why, sizeof(why)) < 0)
		return fail(p, "'knob' %s", why);
	return 1;
}

static int guest_key(struct parse_ctx *p, const char *k, const char *v)
{
	struct case_def *c = p->c;

	if (!strcmp(k, "workload"))
		return parse_workload(p, v);
	if (!strcmp(k, "repro"))
		return parse_repro(p, v);
	if (!strcmp(k, "repro_cflags"))
		return copy_value(p, c->repro_cflags, sizeof(c->repro_cflags), k, v);
	if (!strcmp(k, "repro_time"))
		return parse_int(p, &c->repro_time_s, k, v, 1, 86400);
	if (!strcmp(k, "repro_exit")) {
		if (strcmp(v, "fails") && strcmp(v, "ignored"))
			return fail(p, "'repro_exit' must be fails or ignored, got '%s'", v);
		c->repro_exit_fails = !strcmp(v, "fails");
		return 1;
	}
	if (!strcmp(k, "kselftest"))
		return parse_kselftest_key(p, v);
	if (!strcmp(k, "args"))
		return copy_value(p, c->args, sizeof(c->args), k, v);
	if (!strcmp(k, "sysctl")) {
		if (!strchr(v, '='))
			return fail(p, "'sysctl' must be name=value, got '%s'", v);
		if (c->nsysctls >= CASE_MAX_LIST)
			return fail(p, "too many 'sysctl' lines (at most %d)", CASE_MAX_LIST);
		return copy_value(p, c->sysctls[c->nsysctls++], sizeof(c->sysctls[0]), k, v);
	}
	if (!strcmp(k, "knob"))
		return parse_knob_line(p, v);
	if (!strcmp(k, "modules"))
		return parse_modules(p, v);
	if (!strcmp(k, "cgroup"))
		return parse_cgroup(p, v);
	if (!strcmp(k, "zram")) {
		if (parse_size_mb(v) <= 0)
			return fail(p, "'zram' must be a size like 512M (" SIZE_UNITS "), got '%s'", v);
		return copy_value(p, c->zram, sizeof(c->zram), k, v);
	}
	return fail(p, "unknown key '%s' in [guest]", k);
}

static int parse_flavor(struct parse_ctx *p, char *out, size_t len, const char *v)
{
	if (!flavor_find(v) || !*v)
		return fail(p, "'flavor': expected one of %s, got '%s'", flavor_names(), v);
	snprintf(out, len, "%s", v);
	return 1;
}

/* base_config = FILE: a whole kernel config (a syzbot report's), kept
 * among the fragments as "base:ABSPATH" (build.h). Relative to the
 * repository, as new-case writes it. */
static int parse_base_config(struct parse_ctx *p, const char *v)
{
	char path[PATH_MAX + 8];
	struct case_def *c = p->c;

	if (v[0] == '/')
		snprintf(path, sizeof(path), "%s%s", BUILD_BASE_PREFIX, v);
	else
		snprintf(path, sizeof(path), "%s%s/%s", BUILD_BASE_PREFIX, repo_root(), v);
	if (!check_host_path(p, "base_config", v, path + strlen(BUILD_BASE_PREFIX)))
		return 0;
	if (!is_regular_file(path + strlen(BUILD_BASE_PREFIX)))
		return fail(p, "'base_config' %s is not a regular file", v);
	if (c->nconfigs >= CASE_MAX_LIST)
		return fail(p, "too many config fragments (at most %d)", CASE_MAX_LIST);
	return copy_value(p, c->configs[c->nconfigs++], sizeof(c->configs[0]), "base_config", path);
}

/* config = FRAGMENT...: relative to the repository (resolve_configs). */
static int add_config_words(struct parse_ctx *p, char list[][256], int *n, const char *v)
{
	int first = *n;

	if (!add_words(p, list, n, "config", v))
		return 0;
	for (int i = first; i < *n; i++) {
		char path[PATH_MAX + 256];
		/* "base:PATH" is how base_config travels (build.h), never a fragment. */
		if (!strncmp(list[i], BUILD_BASE_PREFIX, strlen(BUILD_BASE_PREFIX)))
			return fail(p, "'config' %s: a whole config is named with 'base_config'", list[i]);
		snprintf(path, sizeof(path), "%s%s%s", list[i][0] == '/' ? "" : repo_root(),
			 list[i][0] == '/' ? "" : "/", list[i]);
		if (!check_host_path(p, "config", list[i], path))
			return 0;
	}
	return 1;
}

static int build_key(struct parse_ctx *p, const char *k, const char *v)
{
	if (!strcmp(k, "config"))
		return add_config_words(p, p->c->configs, &p->c->nconfigs, v);
	if (!strcmp(k, "flavor"))
		return parse_flavor(p, p->c->flavor, sizeof(p->c->flavor), v);
	if (!strcmp(k, "base_config"))
		return parse_base_config(p, v);
	return fail(p, "unknown key '%s' in [build]", k);
}

/* A series is a quilt directory with a series file, or an mbox. */
static int check_series_path(struct parse_ctx *p, const char *v, const char *path)
{
	struct stat st;
	char *list;
	bool has_list;

	if (stat(path, &st) < 0)
		return fail(p, "series '%s' does not exist (%s: %s)", v, path, strerror(errno));
	if (S_ISREG(st.st_mode))
		return 1;
	if (!S_ISDIR(st.st_mode))
		return fail(p, "series '%s' is neither a directory nor an mbox file", v);
	if (asprintf(&list, "%s/series", path) < 0)
		return fail(p, "out of memory");
	has_list = is_regular_file(list);
	free(list);
	if (!has_list)
		return fail(p, "series '%s' is a directory without a series file", v);
	return 1;
}

/* Relative series paths are from the repository, as verify resolves them. */
static int parse_series(struct parse_ctx *p, struct variant *var, const char *v)
{
	char *path;
	int ok;

	if (*v) {
		if (asprintf(&path, "%s%s%s", v[0] == '/' ? "" : repo_root(), v[0] == '/' ? "" : "/", v) < 0)
			return fail(p, "out of memory");
		ok = check_host_path(p, "series", v, path) && check_series_path(p, v, path);
		free(path);
		if (!ok)
			return 0;
	}
	return copy_value(p, var->series, sizeof(var->series), "series", v);
}

/* Reads "K/N" (digits only) into k and n; false when it is not that. */
static bool parse_ratio(const char *s, long *k, long *n)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	*k = strtol(s, &end, 10);
	if (*end != '/' || !isdigit((unsigned char)end[1]))
		return false;
	*n = strtol(end + 1, &end, 10);
	return !*end && !errno;
}

/* pass, fail, conf, "fail >= K/N" for a race that does not hit every
 * time, or "fail <= K/N" for a known residual race that hits now and then
 * (K < N: at most every run would expect nothing). */
static int parse_expect(struct parse_ctx *p, struct variant *var, const char *v)
{
	static const char *const names[] = { [EXPECT_PASS] = "pass", [EXPECT_FAIL] = "fail", [EXPECT_CONF] = "conf" };
	const char *rest = skip_blanks(v + strnlen(v, 4));
	bool at_most = !strncmp(rest, "<=", 2);
	long k, n;

	for (int e = EXPECT_PASS; e <= EXPECT_CONF; e++)
		if (!strcmp(v, names[e])) {
			var->expect = (enum expect)e;
			return 1;
		}
	if (strncmp(v, "fail", 4) || (strncmp(rest, ">=", 2) && !at_most) ||
	    !parse_ratio(skip_blanks(rest + 2), &k, &n))
		return fail(p, "'expect' must be pass, fail, conf, fail >= K/N or fail <= K/N, got '%s'", v);
	if (!at_most && (k < 1 || k > n || n > CASE_MAX_RATE_RUNS))
		return fail(p, "'expect = fail >= K/N' needs 1 <= K <= N <= %d, got '%s'", CASE_MAX_RATE_RUNS, v);
	if (at_most && (k < 1 || k >= n || n > CASE_MAX_RATE_RUNS))
		return fail(p, "'expect = fail <= K/N' needs 1 <= K < N <= %d, got '%s'", CASE_MAX_RATE_RUNS, v);
	var->expect = EXPECT_FAIL;
	var->rate_hits = (int)k;
	var->rate_runs = (int)n;
	var->rate_at_most = at_most;
	return 1;
}

/* Comma-separated report titles, appended in order. */
static int parse_titles(struct parse_ctx *p, char list[][CASE_TITLE_LEN], int *n, const char *key, const char *v)
{
	const char *s = v;

	do {
		const char *t = skip_blanks(s);
		size_t len = strcspn(t, ",");
		s = t + len;
		while (len && (t[len - 1] == ' ' || t[len - 1] == '\t'))
			len--;
		if (!len)
			return fail(p, "'%s' has an empty title (titles are separated by commas)", key);
		if (*n >= CASE_MAX_TITLES)
			return fail(p, "too many titles in '%s' (at most %d)", key, CASE_MAX_TITLES);
		snprintf(list[(*n)++], CASE_TITLE_LEN, "%.*s", (int)len, t);
	} while (*s++ == ',');
	return 1;
}

/* A key whose value is words, commas or blanks between, each checked. */
struct word_list {
	char *words;                /* max entries of word_len bytes */
	size_t word_len;
	int max, *n;
	const char *noun;           /* "too many NOUN in 'key'" */
	bool (*valid)(const char *word);
	const char *before, *after; /* the error for a bad word: "'key': BEFORE'word'AFTER" */
};

static int parse_word_list(struct parse_ctx *p, const struct word_list *l, const char *key, const char *v)
{
	const char *s = v;

	*l->n = 0;
	for (;;) {
		s += strspn(s, ", \t");
		size_t len = strcspn(s, ", \t");
		if (!len)
			break;
		if (*l->n >= l->max)
			return fail(p, "too many %s in '%s' (at most %d)", l->noun, key, l->max);
		char *w = l->words + (size_t)*l->n * l->word_len;
		snprintf(w, l->word_len, "%.*s", (int)len, s);
		if (len >= l->word_len || !l->valid(w))
			return fail(p, "'%s': %s'%.*s'%s", key, l->before, (int)len, s, l->after);
		(*l->n)++;
		s += len;
	}
	if (!*l->n)
		return fail(p, "'%s' is empty", key);
	return 1;
}

/* "anon, large, !lru": words of report_page_is. */
static int parse_page_words(struct parse_ctx *p, struct variant *var, const char *key, const char *v)
{
	const struct word_list l = { var->expect_page[0], CASE_PAGE_WORD_LEN, CASE_MAX_PAGE_WORDS,
				     &var->nexpect_page, "words", report_page_word_known, "unknown word ",
				     " (anon, file, ksm, large, small, poisoned or a page flag such as lru, locked, dirty; "
				     "'!' negates)" };

	return parse_word_list(p, &l, key, v);
}

/* "do_numa_page, !do_huge_pmd_numa_page": function names. */
static int parse_stack_words(struct parse_ctx *p, struct variant *var, const char *key, const char *v)
{
	const struct word_list l = { var->expect_stack[0], STACK_WORD_LEN, STACK_MAX_WORDS, &var->nexpect_stack,
				     "functions", stack_word_valid, "",
				     " is not a function name (letters, digits, '_' and '.'; '!' in front for one the "
				     "stack must not have)" };

	return parse_word_list(p, &l, key, v);
}

/* What a variant may set in place of the case's [vm], [guest] and [build]. */
static int variant_override_key(struct parse_ctx *p, struct variant *var, const char *k, const char *v)
{
	struct variant_overrides *o = &var->set;

	if (!strcmp(k, "args")) {
		o->has_args = true;
		return copy_value(p, o->args, sizeof(o->args), k, v);
	}
	if (!strcmp(k, "cmdline") && cmdline_has_end_of_params(v))
		return fail(p, "'cmdline' " CMDLINE_END_OF_PARAMS_WHY);
	if (!strcmp(k, "cmdline")) {
		o->has_cmdline = true;
		return copy_value(p, o->cmdline, sizeof(o->cmdline), k, v);
	}
	if (!strcmp(k, "memory"))
		return parse_memory(p, v, &o->mem_mb);
	if (!strcmp(k, "cpus"))
		return parse_int(p, &o->cpus, k, v, 1, 64);
	if (!strcmp(k, "numa"))
		return parse_numa(p, v, o->numa_mb, &o->nnuma);
	if (!strcmp(k, "timeout"))
		return parse_int(p, &o->timeout_s, k, v, 1, 86400);
	if (!strcmp(k, "config"))
		return add_config_words(p, o->configs, &o->nconfigs, v);
	if (!strcmp(k, "flavor")) {
		o->flavor_line = p->line;
		return parse_flavor(p, o->flavor, sizeof(o->flavor), v);
	}
	if (!strcmp(k, "panic_on_warn"))
		return parse_tristate(p, &o->panic_on_warn, k, v);
	if (!strcmp(k, "arch")) {
		o->has_arch = true;
		o->arch_line = p->line;
		return parse_arch(p, &o->arch, v);
	}
	return fail(p, "unknown key '%s' in [variant %s]", k, var->name);
}

static int variant_key(struct parse_ctx *p, const char *k, const char *v)
{
	struct variant *var = p->cur_variant;

	if (!strcmp(k, "kernel"))
		return copy_value(p, var->kernel, sizeof(var->kernel), k, v);
	if (!strcmp(k, "series"))
		return parse_series(p, var, v);
	if (!strcmp(k, "title"))
		return copy_value(p, var->expect_title, sizeof(var->expect_title), k, v);
	if (!strcmp(k, "expect"))
		return parse_expect(p, var, v);
	if (!strcmp(k, "expect_titles")) {
		var->expect_titles_line = p->line;
		return parse_titles(p, var->expect_titles, &var->nexpect_titles, k, v);
	}
	if (!strcmp(k, "forbid_titles"))
		return parse_titles(p, var->forbid_titles, &var->nforbid_titles, k, v);
	if (!strcmp(k, "expect_page"))
		return parse_page_words(p, var, k, v);
	if (!strcmp(k, "expect_stack"))
		return parse_stack_words(p, var, k, v);
	if (!strcmp(k, "fixes"))
		return parse_fixes(p, &var->fixes, v);
	if (!strcmp(k, "fixed_by"))
		return parse_fixed_by(p, &var->fixes, v);
	if (!strcmp(k, "baseline"))
		return copy_value(p, var->baseline, sizeof(var->baseline), k, v);
	if (!strcmp(k, "quiet_host"))
		return parse_tristate(p, &var->quiet_host, k, v);
	return variant_override_key(p, var, k, v);
}

static int start_variant(struct parse_ctx *p, const char *name)
{
	struct case_def *c = p->c;

	/* verify writes each variant's runs under a directory of its name;
	 * dots are fine (debian-6.1) as long as the name is not . or .. */
	if (!is_word_of(name, "-_.") || name[0] == '.')
		return fail(p, "variant name must be letters, digits, '-', '_' and '.', not starting with '.', got '%s'",
			    name);
	if (strlen(name) >= sizeof(c->variants[0].name))
		return fail(p, "variant name '%s' is too long (at most %zu characters)", name,
			    sizeof(c->variants[0].name) - 1);
	if (c->nvariants >= CASE_MAX_VARIANTS)
		return fail(p, "too many variants (at most %d)", CASE_MAX_VARIANTS);
	p->cur_variant = &c->variants[c->nvariants++];
	strcpy(p->cur_variant->name, name);
	return 1;
}

static enum section_kind section_kind(const char *name)
{
	if (!strcmp(name, "case"))
		return SECTION_CASE;
	if (!strcmp(name, "vm"))
		return SECTION_VM;
	if (!strcmp(name, "guest"))
		return SECTION_GUEST;
	if (!strcmp(name, "build"))
		return SECTION_BUILD;
	if (!strncmp(name, "variant ", strlen("variant ")))
		return SECTION_VARIANT;
	return SECTION_NONE;
}

static int enter_section(struct parse_ctx *p, const char *header, size_t len)
{
	char *name = strndup(header, len);
	int first;

	if (!name)
		return fail(p, "out of memory");
	first = find_seen(p, -1, name);
	p->kind = section_kind(name);
	if (first >= 0)
		fail(p, "duplicate section [%s] (first at line %d)", name, p->seen[first].line);
	else if (p->kind == SECTION_NONE)
		fail(p, "unknown section [%s]", name);
	else if (p->kind == SECTION_VARIANT)
		start_variant(p, name + strlen("variant "));
	if (p->err_line) {
		free(name);
		return 0;
	}
	if (!add_seen(p, name, -1))
		return 0;
	p->section = (int)p->nseen - 1;
	return 1;
}

static bool is_comment_or_blank(const char *s)
{
	return !*s || *s == ';' || *s == '#';
}

/* inih ends a value at a comment prefix (';' in Debian's build) that
 * follows whitespace, and drops the rest without a word: a title or a
 * cmdline cut short. */
static int check_inline_comment(struct parse_ctx *p, const char *s)
{
#if INI_ALLOW_INLINE_COMMENTS
	for (const char *t = s + 1; *t; t++)
		if (isspace((unsigned char)t[-1]) && strchr(INI_INLINE_COMMENT_PREFIXES, *t))
			return fail(p, "'%c' after whitespace (column %d) starts an inline comment, which would cut the "
				    "value there: remove the space before it, or the comment",
				    *t, (int)(t - s) + 1);
#endif
	return 1;
}

/* Checks what inih would get wrong or drop without a word: sections are
 * tracked here because inih keeps no record of them and the handler only
 * sees sections that have keys. */
static int check_raw_line(struct parse_ctx *p, const char *line)
{
	const char *s = line, *close;

	if (p->line == 1 && !strncmp(s, "\xEF\xBB\xBF", 3))
		s += 3;
	if (isspace((unsigned char)*s)) {
		while (isspace((unsigned char)*s))
			s++;
		/* inih would append it to the previous key as a continuation. */
		if (!is_comment_or_blank(s))
			return fail(p, "line starts with whitespace (continuation lines are not supported)");
		return 1;
	}
	if (is_comment_or_blank(s))
		return 1;
	if (*s != '[')
		return check_inline_comment(p, s);
	close = strchr(s, ']');
	if (!close)
		return fail(p, "unterminated section header '%s'", s);
	for (const char *t = close + 1; *t && !strchr(";#", *t); t++)
		if (!isspace((unsigned char)*t))
			return fail(p, "text after section header [%.*s]", (int)(close - s - 1), s + 1);
	return enter_section(p, s + 1, (size_t)(close - s - 1));
}

/* inih's fgets-like reader: hands it the case text a line at a time. inih
 * would split a line longer than its buffer and parse the rest as a new
 * line, so such a line ends the parse with an error. */
static char *read_line(char *buf, int size, void *stream)
{
	struct parse_ctx *p = stream;
	const char *start = p->text + p->pos, *newline;
	size_t n;

	if (p->err_line || p->pos >= p->len || size < 1)
		return NULL;
	newline = memchr(start, '\n', p->len - p->pos);
	n = newline ? (size_t)(newline - start) : p->len - p->pos;
	p->pos += n + (newline != NULL);
	p->line++;
	if (n && start[n - 1] == '\r')
		n--;
	if (n >= (size_t)size) {
		fail(p, "line too long (at most %d characters)", size - 1);
		return NULL;
	}
	if (memchr(start, '\0', n)) {
		fail(p, "NUL byte in line");
		return NULL;
	}
	memcpy(buf, start, n);
	buf[n] = '\0';
	return check_raw_line(p, buf) ? buf : NULL;
}

static bool key_may_repeat(enum section_kind kind, const char *key)
{
	bool fix_key = !strcmp(key, "fixes") || !strcmp(key, "fixed_by");

	return (kind == SECTION_CASE && (!strcmp(key, "kernels") || !strcmp(key, "counters") || fix_key)) ||
	       (kind == SECTION_VARIANT && (fix_key || !strcmp(key, "config") || !strcmp(key, "expect_titles") ||
					    !strcmp(key, "forbid_titles"))) ||
	       (kind == SECTION_VM && !strcmp(key, "device")) ||
	       (kind == SECTION_GUEST && (!strcmp(key, "sysctl") || !strcmp(key, "knob") || !strcmp(key, "modules"))) ||
	       (kind == SECTION_BUILD && !strcmp(key, "config"));
}

static int note_key(struct parse_ctx *p, const char *key)
{
	int first = find_seen(p, p->section, key);
	char *copy;

	if (first >= 0)
		return fail(p, "duplicate key '%s' in [%s] (first at line %d)", key,
			    p->seen[p->section].name, p->seen[first].line);
	copy = strdup(key);
	if (!copy)
		return fail(p, "out of memory");
	return add_seen(p, copy, p->section);
}

/* The section inih passes is ignored: read_line tracks the real one. */
static int on_key(void *user, const char *section, const char *key, const char *value)
{
	struct parse_ctx *p = user;

	if (p->err_line)
		return 0;
	if (p->kind == SECTION_NONE)
		return fail(p, "key '%s' outside of any section", key);
	if (!key_may_repeat(p->kind, key) && !note_key(p, key))
		return 0;
	switch (p->kind) {
	case SECTION_CASE: return case_key(p, key, value);
	case SECTION_VM: return vm_key(p, key, value);
	case SECTION_GUEST: return guest_key(p, key, value);
	case SECTION_BUILD: return build_key(p, key, value);
	case SECTION_VARIANT: return variant_key(p, key, value);
	default: return 0;
	}
}

static void set_defaults(struct case_def *c)
{
	memset(c, 0, sizeof(*c));
	c->timeout_s = 300;
	c->idle_timeout_s = 120;
	c->mem_mb = 1024;
	c->cpus = 1;
	strcpy(c->machine, "pc");
	strcpy(c->cgroup, "v2");
}

/* An arm64 guest is QEMU's virt machine: x86 machines, the Intel IOMMU
 * and PCI devices of the x86 host (VFIO) are not for it. */
static int check_arch_machine(const struct case_def *c, const char *where, char *err, size_t errlen)
{
	if (c->arch == ARCH_X86_64)
		return 0;
	if (strcmp(c->machine, "pc") || c->iommu || c->ndevices) {
		snprintf(err, errlen, "%s: %s arch = %s boots QEMU's virt machine: machine, iommu and device are "
			 "x86_64 settings", c->path, where, arch_info(c->arch)->name);
		return -1;
	}
	return 0;
}

/* What QEMU would refuse: vm.c gives each node cpus / nnuma CPUs. where
 * is the section the settings came from, [vm] or a variant's. */
int case_check_topology(const struct case_def *c, const char *where, char *err, size_t errlen)
{
	unsigned total = 0;

	for (int i = 0; i < c->nnuma; i++)
		total += c->numa_mb[i];
	if (c->nnuma && total != c->mem_mb) {
		snprintf(err, errlen, "%s: %s numa node sizes add up to %uM but memory is %uM", c->path, where, total,
			 c->mem_mb);
		return -1;
	}
	/* A matrix's numa= sets the memory to the nodes' sum. */
	if (c->mem_mb < 64 || c->mem_mb > MAX_MEMORY_MB) {
		snprintf(err, errlen, "%s: %s the memory is %uM, not a size from 64M to 1T", c->path, where, c->mem_mb);
		return -1;
	}
	if (c->nnuma > c->cpus) {
		snprintf(err, errlen, "%s: %s %d NUMA nodes need at least %d cpus", c->path, where, c->nnuma, c->nnuma);
		return -1;
	}
	if (c->nnuma && c->cpus % c->nnuma) {
		snprintf(err, errlen, "%s: %s %d cpus do not divide evenly among %d NUMA nodes", c->path, where,
			 c->cpus, c->nnuma);
		return -1;
	}
	if (c->iommu && strcmp(c->machine, "q35")) {
		snprintf(err, errlen, "%s: [vm] iommu = yes needs machine = q35", c->path);
		return -1;
	}
	return check_arch_machine(c, where, err, errlen);
}

/* Fragments are named relative to the repository, as series are. */
static int resolve_configs(const char *path, const char *where, char list[][256], int n, char *err, size_t errlen)
{
	for (int i = 0; i < n; i++) {
		char abs[256];
		if (list[i][0] == '/' || !strncmp(list[i], BUILD_BASE_PREFIX, strlen(BUILD_BASE_PREFIX)))
			continue;
		if (snprintf(abs, sizeof(abs), "%s/%s", repo_root(), list[i]) >= (int)sizeof(abs)) {
			snprintf(err, errlen, "%s: %s config path %s is too long", path, where, list[i]);
			return -1;
		}
		strcpy(list[i], abs);
	}
	return 0;
}

static bool names_a_fix(const struct fix_list *l)
{
	return l->ncommits || l->nnotes;
}

int fix_list_text(const struct fix_list *l, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < l->ncommits + l->nnotes && n < len; i++) {
		const char *sep = i ? "; " : "";
		if (i < l->ncommits)
			n += (size_t)snprintf(buf + n, len - n, "%s%s (\"%s\")", sep, l->commits[i].sha,
					      l->commits[i].subject);
		else
			n += (size_t)snprintf(buf + n, len - n, "%s\"%s\" (%s)", sep, l->notes[i - l->ncommits].subject,
					      l->notes[i - l->ncommits].origin);
	}
	return n < len ? 0 : -1;
}

void variant_expect_text(const struct variant *v, char *buf, size_t len)
{
	if (v->expect == EXPECT_FAIL && v->rate_runs)
		snprintf(buf, len, "fail %s %d/%d", v->rate_at_most ? "<=" : ">=", v->rate_hits, v->rate_runs);
	else
		snprintf(buf, len, "%s", expect_name(v->expect));
}

static void apply_vm_overrides(struct case_def *out, const struct variant_overrides *o)
{
	if (o->has_args)
		strcpy(out->args, o->args);
	if (o->has_cmdline)
		strcpy(out->cmdline, o->cmdline);
	if (o->mem_mb)
		out->mem_mb = o->mem_mb;
	if (o->cpus)
		out->cpus = o->cpus;
	if (o->nnuma) {
		memcpy(out->numa_mb, o->numa_mb, sizeof(out->numa_mb));
		out->nnuma = o->nnuma;
	}
	if (o->timeout_s)
		out->timeout_s = o->timeout_s;
	if (o->flavor[0])
		strcpy(out->flavor, o->flavor);
	if (o->panic_on_warn)
		out->panic_on_warn = o->panic_on_warn;
	if (o->has_arch)
		out->arch = o->arch;
}

const char *case_build_flavor(const struct case_def *c, const char *spec)
{
	return flavor_changes_kernel(c->flavor) && kernel_spec_needs_build(spec) ? c->flavor : NULL;
}

void case_prefer_arch(struct case_def *c, enum arch arch)
{
	c->arch = arch;
}

void case_force_arch(struct case_def *c, enum arch arch)
{
	c->arch = arch;
	for (int i = 0; i < c->nvariants; i++)
		c->variants[i].set.has_arch = false;
}

unsigned case_max_mem_mb(const struct case_def *c)
{
	unsigned most = c->mem_mb;

	for (int i = 0; i < c->nvariants; i++)
		if (c->variants[i].set.mem_mb > most)
			most = c->variants[i].set.mem_mb;
	return most;
}

void case_force_flavor(struct case_def *c, const char *flavor)
{
	snprintf(c->flavor, sizeof(c->flavor), "%s", flavor);
	for (int i = 0; i < c->nvariants; i++)
		c->variants[i].set.flavor[0] = '\0';
}

int case_for_variant(const struct case_def *c, const struct variant *v, struct case_def *out, char *err,
		     size_t errlen)
{
	const struct variant_overrides *o = &v->set;
	char where[sizeof(v->name) + 16];

	*out = *c;
	apply_vm_overrides(out, o);
	snprintf(where, sizeof(where), "[variant %s]", v->name);
	if (c->nconfigs + o->nconfigs > CASE_MAX_LIST) {
		snprintf(err, errlen, "%s: %s has %d config fragments with the case's (at most %d)", c->path, where,
			 c->nconfigs + o->nconfigs, CASE_MAX_LIST);
		return -1;
	}
	for (int i = 0; i < o->nconfigs; i++)
		strcpy(out->configs[out->nconfigs++], o->configs[i]);
	if (v->baseline[0]) {
		memset(&out->fixes, 0, sizeof(out->fixes));
		snprintf(out->fix, sizeof(out->fix), "none: a baseline, %s", v->baseline);
	} else if (names_a_fix(&v->fixes)) {
		out->fixes = v->fixes;
		if (fix_list_text(&out->fixes, out->fix, sizeof(out->fix)) < 0) {
			snprintf(err, errlen, "%s: %s fixes are too long for one line of results", c->path, where);
			return -1;
		}
	}
	return case_check_topology(out, where, err, errlen);
}

/* Each commit the case names must be named in the workload's source too
 * (its tag), so that the two cannot drift apart. The first 12 digits are
 * compared: either side may give the id at any length from there. */
static int check_fixes_in_source(const struct case_def *c, const struct fix_list *l, const char *source,
				 const char *source_path, char *err, size_t errlen)
{
	for (int i = 0; i < l->ncommits; i++) {
		const struct fix_commit *f = &l->commits[i];
		char id[13];
		snprintf(id, sizeof(id), "%.12s", f->sha);
		if (!strstr(source, id)) {
			snprintf(err, errlen, "%s:%d: fix %s (\"%s\") is not named in %s: the case's fixes and the "
				 "workload's tag must agree", c->path, f->line, f->sha, f->subject, source_path);
			return -1;
		}
	}
	return 0;
}

static int check_fix_tags(const struct case_def *c, char *err, size_t errlen)
{
	bool any = c->fixes.ncommits > 0;
	char *path, *source;
	int rc = 0;

	for (int i = 0; i < c->nvariants; i++)
		any |= c->variants[i].fixes.ncommits > 0;
	if (!any || c->kselftest[0])
		return 0;
	if ((c->repro[0] ? asprintf(&path, "%s", c->repro) :
			   asprintf(&path, "%s/guest/workloads/%s.c", repo_root(), c->workload)) < 0) {
		snprintf(err, errlen, "%s: out of memory", c->path);
		return -1;
	}
	source = read_file_limited(path, SOURCE_MAX_BYTES, NULL);
	if (!source) {
		char why[96];
		snprintf(err, errlen, "%s: cannot read %s to check the fixes: %s", c->path, path,
			 read_refusal(path, errno, SOURCE_MAX_BYTES, why, sizeof(why)));
		rc = -1;
	}
	for (int i = -1; i < c->nvariants && !rc; i++)
		rc = check_fixes_in_source(c, i < 0 ? &c->fixes : &c->variants[i].fixes, source, path, err, errlen);
	free(source);
	free(path);
	return rc;
}

/* What each variant expects must be able to happen. */
static int validate_expectations(const struct case_def *c, const struct variant *v, char *err, size_t errlen)
{
	if (!v->kernel[0] || v->expect == EXPECT_NONE) {
		snprintf(err, errlen, "%s: [variant %s] needs 'kernel' and 'expect'", c->path, v->name);
		return -1;
	}
	if (v->nexpect_page && v->expect != EXPECT_FAIL) {
		snprintf(err, errlen, "%s: [variant %s] has expect_page but does not expect fail", c->path, v->name);
		return -1;
	}
	if (v->nexpect_stack && v->expect != EXPECT_FAIL) {
		snprintf(err, errlen, "%s: [variant %s] has expect_stack but does not expect fail", c->path, v->name);
		return -1;
	}
	if (v->nexpect_titles && v->expect != EXPECT_FAIL) {
		snprintf(err, errlen, "%s: [variant %s] has expect_titles but does not expect fail", c->path, v->name);
		return -1;
	}
	for (int i = 0; i < v->nexpect_titles; i++)
		for (int j = 0; j < v->nforbid_titles; j++)
			if (strstr(v->expect_titles[i], v->forbid_titles[j])) {
				snprintf(err, errlen, "%s: [variant %s] expects '%s', which its forbid_titles '%s' forbids",
					 c->path, v->name, v->expect_titles[i], v->forbid_titles[j]);
				return -1;
			}
	if (v->baseline[0] && names_a_fix(&v->fixes)) {
		snprintf(err, errlen, "%s: [variant %s] is a baseline, the code before the change: it cannot also "
			 "name fixes or fixed_by", c->path, v->name);
		return -1;
	}
	if (v->expect == EXPECT_FAIL && !names_a_fix(&v->fixes) && !names_a_fix(&c->fixes)) {
		snprintf(err, errlen, "%s: [variant %s] expects a failure, so the case must name its fix: "
			 "'fixes = SHA (\"subject\")' or 'fixed_by = \"subject\" (where)' in [case] or the variant",
			 c->path, v->name);
		return -1;
	}
	return 0;
}

/* The debug flavour's panic_on_warn=1 ends a run at its first WARNING, so
 * a variant expecting a report after one must say panic_on_warn = no. */
static int validate_warn_then_more(const struct case_def *effective, const struct variant *v, char *err,
				   size_t errlen)
{
	if (effective->panic_on_warn < 0)
		return 0;
	for (int i = 0; i + 1 < v->nexpect_titles; i++)
		if (!strncmp(v->expect_titles[i], "WARNING", strlen("WARNING"))) {
			snprintf(err, errlen, "%s:%d: [variant %s] expect_titles has '%s' after '%s', which "
				 "panic_on_warn=1 (the debug flavour's) stops before: set panic_on_warn = no "
				 "in the variant or in [vm]", effective->path, v->expect_titles_line, v->name,
				 v->expect_titles[i + 1],
				 v->expect_titles[i]);
			return -1;
		}
	return 0;
}

/* Prebuilt kernels (deb:, image:) are x86_64 ones. */
static int arch_needs_source(const struct case_def *c, const struct variant *v, enum arch arch, char *err,
			     size_t errlen)
{
	char where[64] = "";

	if (v->set.has_arch)
		snprintf(where, sizeof(where), ":%d", v->set.arch_line);
	snprintf(err, errlen, "%s%s: [variant %s] arch = %s%s needs a source kernel (src:, git:, dir:): %s is an "
		 "x86_64 kernel", c->path, where, v->name, arch_info(arch)->name, v->set.has_arch ? "" : " (from [vm])",
		 v->kernel);
	return -1;
}

static int validate_variants(struct case_def *c, char *err, size_t errlen)
{
	struct case_def *effective = xcalloc(1, sizeof(*effective));
	int rc = 0;

	for (int i = 0; i < c->nvariants && !rc; i++) {
		struct variant *v = &c->variants[i];
		char where[sizeof(v->name) + 16];
		snprintf(where, sizeof(where), "[variant %s]", v->name);
		rc = validate_expectations(c, v, err, errlen);
		if (!rc && flavor_changes_kernel(v->set.flavor) && !kernel_spec_needs_build(v->kernel)) {
			snprintf(err, errlen, "%s:%d: [variant %s] flavor = %s needs a source kernel (src:, git:, dir:), "
				 "not %s", c->path, v->set.flavor_line, v->name, v->set.flavor, v->kernel);
			rc = -1;
		}
		if (!rc)
			rc = resolve_configs(c->path, where, v->set.configs, v->set.nconfigs, err, errlen);
		if (!rc)
			rc = case_for_variant(c, v, effective, err, errlen);
		if (!rc && effective->arch != ARCH_X86_64 && !kernel_spec_needs_build(v->kernel))
			rc = arch_needs_source(c, v, effective->arch, err, errlen);
		if (!rc)
			rc = validate_warn_then_more(effective, v, err, errlen);
	}
	free(effective);
	return rc;
}

static int validate(struct case_def *c, char *err, size_t errlen)
{
	const char *missing = !c->name[0]          ? "'name' in [case]"
			      : !c->description[0] ? "'description' in [case]"
			      : !c->workload[0]    ? "'workload' in [guest] (or 'repro' or 'kselftest')"
						   : NULL;

	if (missing) {
		snprintf(err, errlen, "%s: missing %s", c->path, missing);
		return -1;
	}
	if (c->kselftest[0] && kselftest_apply_needs(c, err, errlen) < 0)
		return -1;
	if (case_check_topology(c, "[vm]", err, errlen) < 0 ||
	    resolve_configs(c->path, "[build]", c->configs, c->nconfigs, err, errlen) < 0)
		return -1;
	if (fix_list_text(&c->fixes, c->fix, sizeof(c->fix)) < 0) {
		snprintf(err, errlen, "%s: [case] fixes are too long for one line of results", c->path);
		return -1;
	}
	if (validate_variants(c, err, errlen) < 0)
		return -1;
	return check_fix_tags(c, err, errlen);
}

/* Returns inih's verdict merged with ours: the earliest error wins. */
static int parse_text(struct parse_ctx *p)
{
	int syntax_line = ini_parse_stream(read_line, p, on_key, p);

	if (syntax_line < 0) {
		snprintf(p->err, p->errlen, "%s: cannot parse (out of memory)", p->file);
		return -1;
	}
	if (syntax_line > 0 && (!p->err_line || syntax_line < p->err_line)) {
		snprintf(p->err, p->errlen, "%s:%d: syntax error", p->file, syntax_line);
		return -1;
	}
	return p->err_line ? -1 : 0;
}

static int load_buffer(const char *name, const char *text, size_t len, struct case_def *c, bool confine,
		       char *err, size_t errlen)
{
	struct parse_ctx p = { .file = name, .text = text, .len = len, .c = c, .section = -1,
			       .err = err, .errlen = errlen, .confine = confine };
	int rc;

	set_defaults(c);
	if (snprintf(c->path, sizeof(c->path), "%s", name) >= (int)sizeof(c->path)) {
		snprintf(err, errlen, "%s: path too long (at most %zu characters)", name, sizeof(c->path) - 1);
		return -1;
	}
	rc = parse_text(&p);
	free_seen(&p);
	return rc < 0 ? -1 : validate(c, err, errlen);
}

/* Text handed over in memory is the caller's own (a test, a case it
 * wrote): only case files read from disk come from someone else. */
int case_load_buffer(const char *name, const char *text, size_t len, struct case_def *c, char *err,
		     size_t errlen)
{
	return load_buffer(name, text, len, c, false, err, errlen);
}

/* --repro and --syzbot write their case (repro and base_config at the
 * absolute paths given on the command line) under the cache's adhoc/:
 * those options are explicit, so their case files may name host paths. */
static bool is_adhoc_case(const char *path)
{
	char cache[PATH_MAX], adhoc[PATH_MAX + 8], dir[PATH_MAX], real_adhoc[PATH_MAX], real_dir[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (!slash)
		return false;
	build_cache_dir(cache, sizeof(cache));
	snprintf(adhoc, sizeof(adhoc), "%s/adhoc", cache);
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	return realpath(adhoc, real_adhoc) && realpath(dir[0] ? dir : "/", real_dir) && !strcmp(real_adhoc, real_dir);
}

static bool host_paths_allowed(const char *path)
{
	const char *env = getenv("MMREPRO_ALLOW_HOST_PATHS");

	return (env && !strcmp(env, "1")) || is_adhoc_case(path);
}

int case_load(const char *path, struct case_def *c, char *err, size_t errlen)
{
	size_t len;
	char *text = read_regular_file(path, CASE_MAX_BYTES, &len, err, errlen);
	int rc;

	if (!text) {
		set_defaults(c);
		return -1;
	}
	rc = load_buffer(path, text, len, c, !host_paths_allowed(path), err, errlen);
	free(text);
	return rc;
}

int case_path(const char *name_or_path, char *out, size_t len)
{
	if (strchr(name_or_path, '/') || strstr(name_or_path, ".case")) {
		if (snprintf(out, len, "%s", name_or_path) >= (int)len)
			return -1;
	} else if (snprintf(out, len, "%s/cases/%s.case", repo_root(), name_or_path) >= (int)len) {
		return -1;
	}
	return file_exists(out) ? 0 : -1;
}

int case_list_paths(char ***paths)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	struct dirent **list;
	int n, count = 0;

	snprintf(dir, sizeof(dir), "%s/cases", repo_root());
	n = scandir(dir, &list, NULL, alphasort);
	if (n < 0)
		return -1;
	*paths = xcalloc((size_t)n + 1, sizeof(char *));
	for (int i = 0; i < n; i++) {
		size_t l = strlen(list[i]->d_name);
		if (l > 5 && !strcmp(list[i]->d_name + l - 5, ".case")) {
			snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
			(*paths)[count++] = xstrdup(path);
		}
		free(list[i]);
	}
	free(list);
	return count;
}
