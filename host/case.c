#include "case.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parse_ctx {
	struct case_def *c;
	struct variant *cur_variant;
	char err[256];
	int line;
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

long parse_size_mb(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || v < 0)
		return -1;
	if (*end == '\0' || !strcmp(end, "M") || !strcmp(end, "MiB"))
		return v;
	if (!strcmp(end, "G") || !strcmp(end, "GiB"))
		return v * 1024;
	return -1;
}

static int fail(struct parse_ctx *p, const char *fmt, const char *a, const char *b)
{
	if (!p->err[0])
		snprintf(p->err, sizeof(p->err), fmt, a, b);
	return 0;
}

static int copy_value(struct parse_ctx *p, char *dst, size_t len, const char *key, const char *v)
{
	if (strlen(v) >= len)
		return fail(p, "value of '%s' is too long%s", key, "");
	strcpy(dst, v);
	return 1;
}

/* Appends whitespace-separated words of v to a list. */
static int add_words(struct parse_ctx *p, char list[][256], int *n, const char *key, const char *v)
{
	char buf[1024], *save, *w;

	snprintf(buf, sizeof(buf), "%s", v);
	for (w = strtok_r(buf, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
		if (*n >= CASE_MAX_LIST)
			return fail(p, "too many values for '%s'%s", key, "");
		if (strlen(w) >= 256)
			return fail(p, "value of '%s' is too long%s", key, "");
		strcpy(list[(*n)++], w);
	}
	return 1;
}

static int parse_int(struct parse_ctx *p, int *dst, const char *key, const char *v, int min, int max)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (end == v || *end || n < min || n > max)
		return fail(p, "'%s' must be an integer in range, got '%s'", key, v);
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

static int parse_numa(struct parse_ctx *p, const char *v)
{
	char buf[256], *save, *w;
	struct case_def *c = p->c;

	snprintf(buf, sizeof(buf), "%s", v);
	c->nnuma = 0;
	for (w = strtok_r(buf, " ,", &save); w; w = strtok_r(NULL, " ,", &save)) {
		long mb = parse_size_mb(w);
		if (mb <= 0)
			return fail(p, "bad node size '%s' in 'numa'%s", w, "");
		if (c->nnuma >= 8)
			return fail(p, "at most 8 NUMA nodes%s%s", "", "");
		c->numa_mb[c->nnuma++] = (unsigned)mb;
	}
	return 1;
}

static int case_key(struct parse_ctx *p, const char *k, const char *v)
{
	struct case_def *c = p->c;

	if (!strcmp(k, "name"))
		return copy_value(p, c->name, sizeof(c->name), k, v);
	if (!strcmp(k, "description"))
		return copy_value(p, c->description, sizeof(c->description), k, v);
	if (!strcmp(k, "fix"))
		return copy_value(p, c->fix, sizeof(c->fix), k, v);
	if (!strcmp(k, "kernels"))
		return add_words(p, c->kernels, &c->nkernels, k, v);
	if (!strcmp(k, "timeout"))
		return parse_int(p, &c->timeout_s, k, v, 1, 86400);
	if (!strcmp(k, "idle_timeout"))
		return parse_int(p, &c->idle_timeout_s, k, v, 1, 86400);
	return fail(p, "unknown key '%s' in [case]%s", k, "");
}

static int vm_key(struct parse_ctx *p, const char *k, const char *v)
{
	struct case_def *c = p->c;
	long mb;

	if (!strcmp(k, "memory")) {
		mb = parse_size_mb(v);
		if (mb < 64)
			return fail(p, "'memory' must be a size of at least 64M, got '%s'%s", v, "");
		c->mem_mb = (unsigned)mb;
		return 1;
	}
	if (!strcmp(k, "cpus"))
		return parse_int(p, &c->cpus, k, v, 1, 64);
	if (!strcmp(k, "numa"))
		return parse_numa(p, v);
	if (!strcmp(k, "machine")) {
		if (strcmp(v, "pc") && strcmp(v, "q35"))
			return fail(p, "'machine' must be pc or q35, got '%s'%s", v, "");
		return copy_value(p, c->machine, sizeof(c->machine), k, v);
	}
	if (!strcmp(k, "iommu"))
		return parse_bool(p, &c->iommu, k, v);
	if (!strcmp(k, "device")) {
		if (c->ndevices >= CASE_MAX_LIST)
			return fail(p, "too many 'device' lines%s%s", "", "");
		return copy_value(p, c->devices[c->ndevices++], sizeof(c->devices[0]), k, v);
	}
	if (!strcmp(k, "cmdline"))
		return copy_value(p, c->cmdline, sizeof(c->cmdline), k, v);
	return fail(p, "unknown key '%s' in [vm]%s", k, "");
}

static int guest_key(struct parse_ctx *p, const char *k, const char *v)
{
	struct case_def *c = p->c;

	if (!strcmp(k, "workload")) {
		for (const char *s = v; *s; s++)
			if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
				return fail(p, "'workload' must be a name under guest/workloads, got '%s'%s", v, "");
		return copy_value(p, c->workload, sizeof(c->workload), k, v);
	}
	if (!strcmp(k, "args"))
		return copy_value(p, c->args, sizeof(c->args), k, v);
	if (!strcmp(k, "sysctl")) {
		if (!strchr(v, '='))
			return fail(p, "'sysctl' must be name=value, got '%s'%s", v, "");
		if (c->nsysctls >= CASE_MAX_LIST)
			return fail(p, "too many 'sysctl' lines%s%s", "", "");
		return copy_value(p, c->sysctls[c->nsysctls++], sizeof(c->sysctls[0]), k, v);
	}
	if (!strcmp(k, "modules")) {
		char tmp[CASE_MAX_LIST][256];
		int n = 0;
		if (!add_words(p, tmp, &n, k, v))
			return 0;
		for (int i = 0; i < n; i++) {
			if (c->nmodules >= CASE_MAX_LIST)
				return fail(p, "too many modules%s%s", "", "");
			if (!copy_value(p, c->modules[c->nmodules++], sizeof(c->modules[0]), k, tmp[i]))
				return 0;
		}
		return 1;
	}
	if (!strcmp(k, "cgroup")) {
		if (strcmp(v, "v2") && strncmp(v, "v1:", 3))
			return fail(p, "'cgroup' must be v2 or v1:CONTROLLERS, got '%s'%s", v, "");
		return copy_value(p, c->cgroup, sizeof(c->cgroup), k, v);
	}
	if (!strcmp(k, "zram")) {
		if (parse_size_mb(v) <= 0)
			return fail(p, "'zram' must be a size like 512M, got '%s'%s", v, "");
		return copy_value(p, c->zram, sizeof(c->zram), k, v);
	}
	return fail(p, "unknown key '%s' in [guest]%s", k, "");
}

static int build_key(struct parse_ctx *p, const char *k, const char *v)
{
	if (!strcmp(k, "config"))
		return add_words(p, p->c->configs, &p->c->nconfigs, k, v);
	return fail(p, "unknown key '%s' in [build]%s", k, "");
}

static int variant_key(struct parse_ctx *p, const char *k, const char *v)
{
	struct variant *var = p->cur_variant;

	if (!strcmp(k, "kernel"))
		return copy_value(p, var->kernel, sizeof(var->kernel), k, v);
	if (!strcmp(k, "series"))
		return copy_value(p, var->series, sizeof(var->series), k, v);
	if (!strcmp(k, "title"))
		return copy_value(p, var->expect_title, sizeof(var->expect_title), k, v);
	if (!strcmp(k, "expect")) {
		if (!strcmp(v, "pass"))
			var->expect = EXPECT_PASS;
		else if (!strcmp(v, "fail"))
			var->expect = EXPECT_FAIL;
		else if (!strcmp(v, "conf"))
			var->expect = EXPECT_CONF;
		else
			return fail(p, "'expect' must be pass, fail or conf, got '%s'%s", v, "");
		return 1;
	}
	return fail(p, "unknown key '%s' in [variant %s]", k, var->name);
}

static int start_variant(struct parse_ctx *p, const char *section)
{
	const char *name = section + strlen("variant ");
	struct case_def *c = p->c;

	if (!*name || strlen(name) >= sizeof(c->variants[0].name))
		return fail(p, "bad variant name in [%s]%s", section, "");
	for (int i = 0; i < c->nvariants; i++)
		if (!strcmp(c->variants[i].name, name))
			return fail(p, "duplicate [variant %s]%s", name, "");
	if (c->nvariants >= CASE_MAX_VARIANTS)
		return fail(p, "too many variants%s%s", "", "");
	p->cur_variant = &c->variants[c->nvariants++];
	strcpy(p->cur_variant->name, name);
	return 1;
}

static int on_line(void *user, const char *section, const char *key, const char *value)
{
	struct parse_ctx *p = user;

	if (!key) {
		/* inih calls us with key == NULL at each new section (INI_CALL_HANDLER_ON_NEW_SECTION) */
		return 1;
	}
	if (!strncmp(section, "variant ", 8)) {
		if (!p->cur_variant || strcmp(p->cur_variant->name, section + 8))
			if (!start_variant(p, section))
				return 0;
		return variant_key(p, key, value);
	}
	if (!strcmp(section, "case"))
		return case_key(p, key, value);
	if (!strcmp(section, "vm"))
		return vm_key(p, key, value);
	if (!strcmp(section, "guest"))
		return guest_key(p, key, value);
	if (!strcmp(section, "build"))
		return build_key(p, key, value);
	if (!*section)
		return fail(p, "key '%s' outside of any section%s", key, "");
	return fail(p, "unknown section [%s]%s", section, "");
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

static int validate(struct case_def *c, char *err, size_t errlen)
{
	unsigned total = 0;

	if (!c->name[0]) {
		snprintf(err, errlen, "%s: missing 'name' in [case]", c->path);
		return -1;
	}
	if (!c->description[0]) {
		snprintf(err, errlen, "%s: missing 'description' in [case]", c->path);
		return -1;
	}
	if (!c->workload[0]) {
		snprintf(err, errlen, "%s: missing 'workload' in [guest]", c->path);
		return -1;
	}
	for (int i = 0; i < c->nnuma; i++)
		total += c->numa_mb[i];
	if (c->nnuma && total != c->mem_mb) {
		snprintf(err, errlen, "%s: [vm] numa node sizes add up to %uM but memory is %uM",
			 c->path, total, c->mem_mb);
		return -1;
	}
	if (c->nnuma > c->cpus) {
		snprintf(err, errlen, "%s: [vm] %d NUMA nodes need at least %d cpus", c->path, c->nnuma, c->nnuma);
		return -1;
	}
	if (c->iommu && strcmp(c->machine, "q35")) {
		snprintf(err, errlen, "%s: [vm] iommu = yes needs machine = q35", c->path);
		return -1;
	}
	for (int i = 0; i < c->nconfigs; i++) {
		char abs[sizeof(c->configs[0])];
		if (c->configs[i][0] == '/')
			continue;
		/* Fragments are named relative to the repository, as series are. */
		if (snprintf(abs, sizeof(abs), "%s/%s", repo_root(), c->configs[i]) >= (int)sizeof(abs)) {
			snprintf(err, errlen, "%s: [build] config path %s is too long", c->path, c->configs[i]);
			return -1;
		}
		strcpy(c->configs[i], abs);
	}
	for (int i = 0; i < c->nvariants; i++) {
		struct variant *v = &c->variants[i];
		if (!v->kernel[0] || v->expect == EXPECT_NONE) {
			snprintf(err, errlen, "%s: [variant %s] needs 'kernel' and 'expect'", c->path, v->name);
			return -1;
		}
	}
	return 0;
}

int case_load(const char *path, struct case_def *c, char *err, size_t errlen)
{
	struct parse_ctx p = { .c = c };
	FILE *f;
	int line;

	set_defaults(c);
	snprintf(c->path, sizeof(c->path), "%s", path);
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	line = ini_parse_file(f, on_line, &p);
	fclose(f);
	if (line < 0) {
		snprintf(err, errlen, "%s: cannot read", path);
		return -1;
	}
	if (line > 0) {
		snprintf(err, errlen, "%s:%d: %s", path, line, p.err[0] ? p.err : "syntax error");
		return -1;
	}
	return validate(c, err, errlen);
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
