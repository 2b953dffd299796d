/* Matrix knobs: their names, values, conflicts, and what they do to a case. */
#include "knob.h"
#include "util.h"
#include "../guest/protocol.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MEMORY_MB (1L << 20)
#define MAX_VALUE_LEN 63
/* More lines than any workload declares: the rest is hostile output. */
#define MAX_DECLARED 256

static const char *const thp_enabled[] = { "always", "madvise", "never", NULL };
static const char *const thp_defrag[] = { "always", "defer", "defer+madvise", "madvise", "never", NULL };
static const char *const mthp_enabled[] = { "always", "inherit", "madvise", "never", NULL };
static const char *const zero_or_one[] = { "0", "1", NULL };
/* 1 NUMA balancing, 2 memory tiering, 3 both. */
static const char *const numa_balancing[] = { "0", "1", "2", "3", NULL };

/* The names that are one knob each. shrink_underused is 6.12's switch
 * of the underused-THP shrinker (a PMD THP goes on the deferred split
 * list at its first fault only while it is 1); older kernels lack the
 * file, so the run is CONF there. */
static const struct fixed_knob {
	const char *name;
	enum knob_kind kind;
	const char *path;
	const char *const *choices;
} fixed_knobs[] = {
	{ "cpus", KNOB_CPUS, NULL, NULL },
	{ "memory", KNOB_MEMORY, NULL, NULL },
	{ "numa", KNOB_NUMA, NULL, NULL },
	{ "zram", KNOB_ZRAM, NULL, NULL },
	{ "cmdline+", KNOB_CMDLINE, NULL, NULL },
	{ "kernel.numa_balancing", KNOB_SYSCTL, "/proc/sys/kernel/numa_balancing", numa_balancing },
	{ "thp.enabled", KNOB_SYSFS, THP_SYSFS "/enabled", thp_enabled },
	{ "thp.defrag", KNOB_SYSFS, THP_SYSFS "/defrag", thp_defrag },
	{ "thp.shrink_underused", KNOB_SYSFS, THP_SYSFS "/shrink_underused", zero_or_one },
};

#define KNOB_NAMES "cpus, memory, numa, zram, cmdline+, vm.NAME, kernel.numa_balancing, thp.enabled, " \
		   "thp.defrag, thp.shrink_underused, mthp.SIZEkB.enabled"

/* ---- names -------------------------------------------------------------- */

static bool all_chars_in(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return false;
	return true;
}

/* vm.NAME: any file of /proc/sys/vm. */
static bool vm_sysctl(const char *name, struct knob *k)
{
	const char *rest = name + 3;

	if (strncmp(name, "vm.", 3) || !*rest || strlen(rest) > 48 || !all_chars_in(rest, "_"))
		return false;
	k->kind = KNOB_SYSCTL;
	snprintf(k->path, sizeof(k->path), "/proc/sys/vm/%s", rest);
	return true;
}

/* mthp.64kB.enabled (or 64K): hugepages-64kB/enabled, an mTHP size from
 * 16 kB (order 2) to 2048 kB (the PMD size) on x86-64. */
static bool mthp_size(const char *name, struct knob *k)
{
	char *end;
	long kb;

	if (strncmp(name, "mthp.", 5) || !isdigit((unsigned char)name[5]))
		return false;
	kb = strtol(name + 5, &end, 10);
	if (strcmp(end, "kB.enabled") && strcmp(end, "K.enabled"))
		return false;
	if (kb < 16 || kb > 2048 || (kb & (kb - 1)))
		return false;
	k->kind = KNOB_SYSFS;
	k->choices = mthp_enabled;
	snprintf(k->path, sizeof(k->path), THP_SYSFS "/hugepages-%ldkB/enabled", kb);
	return true;
}

static int classify_name(const char *name, struct knob *k, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(fixed_knobs) / sizeof(fixed_knobs[0]); i++)
		if (!strcmp(name, fixed_knobs[i].name)) {
			k->kind = fixed_knobs[i].kind;
			k->choices = fixed_knobs[i].choices;
			snprintf(k->path, sizeof(k->path), "%s", fixed_knobs[i].path ? fixed_knobs[i].path : "");
			return 0;
		}
	if (vm_sysctl(name, k) || mthp_size(name, k))
		return 0;
	if (!strncmp(name, "mthp.", 5))
		snprintf(err, errlen, "'%.64s' is not an mTHP knob: mthp.SIZEkB.enabled with SIZE a power of two "
			 "from 16 to 2048", name);
	else
		snprintf(err, errlen, "unknown knob '%.64s' (known: " KNOB_NAMES ")", name);
	sanitize_text(err, false);
	return -1;
}

/* ---- values ------------------------------------------------------------- */

static bool one_of(const char *v, const char *const *choices)
{
	for (; *choices; choices++)
		if (!strcmp(v, *choices))
			return true;
	return false;
}

static void list_choices(const char *const *choices, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (; *choices && n < len; choices++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", *choices);
}

/* NODE+NODE...: each a size from 1M; "none" is no NUMA. */
static int numa_nodes(const char *v, unsigned *mb, int max)
{
	int n = 0;

	if (!strcmp(v, "none"))
		return 0;
	for (const char *p = v;; p++) {
		char word[32];
		size_t len = strcspn(p, "+");
		long size;
		if (!len || len >= sizeof(word) || n == max)
			return -1;
		snprintf(word, sizeof(word), "%.*s", (int)len, p);
		size = parse_size_mb(word);
		if (size <= 0 || size > MAX_MEMORY_MB)
			return -1;
		if (mb)
			mb[n] = (unsigned)size;
		n++;
		p += len;
		if (!*p)
			return n;
	}
}

static const char *shape_value_problem(enum knob_kind kind, const char *v)
{
	long n;

	switch (kind) {
	case KNOB_CPUS:
		n = strspn(v, "0123456789") == strlen(v) && strlen(v) < 4 ? atol(v) : 0;
		return n >= 1 && n <= 64 ? NULL : "expected a number of CPUs from 1 to 64";
	case KNOB_MEMORY:
		n = parse_size_mb(v);
		return n >= 64 && n <= MAX_MEMORY_MB ? NULL : "expected a size from 64M to 1T (K, M, G, T)";
	case KNOB_NUMA:
		return numa_nodes(v, NULL, CASE_MAX_NUMA) >= 0 ? NULL
		       : "expected node sizes joined by '+' (1G+1G, at most 8 nodes), or none";
	case KNOB_ZRAM:
		return !strcmp(v, "none") || (parse_size_mb(v) > 0 && strlen(v) < 32) ? NULL
		       : "expected a size such as 512M, or none";
	default:
		return NULL;
	}
}

/* The parameter a command line word sets: "numa_balancing" of
 * "numa_balancing=disable", the word itself for a flag. */
static void cmdline_param(const char *word, char *out, size_t len)
{
	snprintf(out, len, "%.*s", (int)strcspn(word, "="), word);
}

static int check_value(struct knob *k, const char *v, char *err, size_t errlen)
{
	const char *problem = NULL;
	char choices[128], param[64];

	if (!strcmp(v, KNOB_DEFAULT))
		return 0;
	if (strlen(v) > MAX_VALUE_LEN)
		problem = "longer than 63 characters";
	else if (k->choices && !one_of(v, k->choices)) {
		list_choices(k->choices, choices, sizeof(choices));
		snprintf(err, errlen, "--knob %s: '%s' is not one of %s (or " KNOB_DEFAULT ")", k->name, v, choices);
		sanitize_text(err, false);
		return -1;
	} else if (k->kind == KNOB_SYSCTL && !all_chars_in(v, "_.:+-"))
		problem = "a sysctl value here is one word of letters, digits and _.:+-";
	else if (k->kind == KNOB_CMDLINE && (!all_chars_in(v, "_.:=+/@-") || *v == '='))
		problem = "a command line word is PARAM or PARAM=VALUE of letters, digits and _.:=+/@-";
	else if (k->kind == KNOB_CMDLINE && cmdline_has_end_of_params(v))
		problem = CMDLINE_END_OF_PARAMS_WHY;
	else if (!(problem = shape_value_problem(k->kind, v)) && k->kind == KNOB_CMDLINE) {
		cmdline_param(v, param, sizeof(param));
		if (k->param[0] && strcmp(k->param, param))
			problem = "every value of one cmdline+= knob sets the same parameter (give each its own --knob)";
		snprintf(k->param, sizeof(k->param), "%s", param);
	}
	if (!problem)
		return 0;
	snprintf(err, errlen, "--knob %s: '%.64s': %s", k->name, v, problem);
	sanitize_text(err, false);
	return -1;
}

static int add_value(struct knob *k, const char *v, size_t len, char *err, size_t errlen)
{
	char *value = xcalloc(1, len + 1);

	memcpy(value, v, len);
	if (!len) {
		snprintf(err, errlen, "--knob %s: an empty value (write " KNOB_DEFAULT " for the case's own setting)", k->name);
		free(value);
		return -1;
	}
	for (int i = 0; i < k->nvalues; i++)
		if (!strcmp(k->values[i], value)) {
			snprintf(err, errlen, "--knob %s: the value '%.64s' is given twice", k->name, value);
			sanitize_text(err, false);
			free(value);
			return -1;
		}
	k->values = xrealloc(k->values, (size_t)(k->nvalues + 1) * sizeof(*k->values));
	k->values[k->nvalues++] = value;
	return check_value(k, value, err, errlen);
}

/* ---- one --knob ---------------------------------------------------------- */

static int split_values(struct knob *k, const char *list, char *err, size_t errlen)
{
	if (!*list) {
		snprintf(err, errlen, "--knob %s=: no values (give %s=V1,V2,...)", k->name, k->name);
		return -1;
	}
	for (const char *p = list;; p++) {
		size_t len = strcspn(p, ",");
		if (add_value(k, p, len, err, errlen) < 0)
			return -1;
		p += len;
		if (!*p)
			return 0;
	}
}

static void set_key(struct knob *k)
{
	if (k->kind == KNOB_CMDLINE)
		snprintf(k->key, sizeof(k->key), "cmdline+%s", k->param);
	else if (k->path[0])
		snprintf(k->key, sizeof(k->key), "%s", k->path);
	else
		snprintf(k->key, sizeof(k->key), "%s", k->name);
}

static int knob_parse(const char *arg, struct knob *k, char *err, size_t errlen)
{
	const char *eq = strchr(arg, '=');

	memset(k, 0, sizeof(*k));
	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(k->name)) {
		snprintf(err, errlen, "--knob %.80s: expected NAME=V1,V2,... (known: " KNOB_NAMES ")", arg);
		sanitize_text(err, false);
		return -1;
	}
	snprintf(k->name, sizeof(k->name), "%.*s", (int)(eq - arg), arg);
	if (classify_name(k->name, k, err, errlen) < 0 || split_values(k, eq + 1, err, errlen) < 0)
		return -1;
	if (k->kind == KNOB_CMDLINE && !k->param[0]) {
		snprintf(err, errlen, "--knob %s: give a command line word besides " KNOB_DEFAULT, arg);
		return -1;
	}
	set_key(k);
	return 0;
}

static void knob_free(struct knob *k)
{
	for (int i = 0; i < k->nvalues; i++)
		free(k->values[i]);
	free(k->values);
}

void knob_list_free(struct knob_list *l)
{
	for (int i = 0; i < l->n; i++)
		knob_free(&l->knobs[i]);
	free(l->knobs);
	memset(l, 0, sizeof(*l));
}

int knob_combinations(const struct knob_list *l)
{
	long n = 1;

	for (int i = 0; i < l->n && n <= KNOB_MAX_COMBINATIONS; i++)
		n *= l->knobs[i].nvalues;
	return n > KNOB_MAX_COMBINATIONS ? KNOB_MAX_COMBINATIONS + 1 : (int)n;
}

static int check_duplicate(const struct knob_list *l, char *err, size_t errlen)
{
	const struct knob *last = &l->knobs[l->n - 1];

	for (int i = 0; i < l->n - 1; i++)
		if (!strcmp(l->knobs[i].key, last->key)) {
			snprintf(err, errlen, "--knob %s is given twice (%s%s): give its values in one --knob", last->name,
				 strcmp(l->knobs[i].name, last->name) ? "the same file as " : "",
				 strcmp(l->knobs[i].name, last->name) ? l->knobs[i].name : "one list of values");
			return -1;
		}
	return 0;
}

int knob_list_parse(const char *const *args, int n, bool first_values_only, struct knob_list *l, char *err,
		    size_t errlen)
{
	memset(l, 0, sizeof(*l));
	if (n < 1 || n > KNOB_MAX_KNOBS) {
		snprintf(err, errlen, "give 1 to %d --knob NAME=V1,V2,... options, not %d", KNOB_MAX_KNOBS, n);
		return -1;
	}
	l->knobs = xcalloc((size_t)n, sizeof(*l->knobs));
	for (int i = 0; i < n; i++) {
		l->n++;
		if (knob_parse(args[i], &l->knobs[i], err, errlen) < 0 || check_duplicate(l, err, errlen) < 0) {
			knob_list_free(l);
			return -1;
		}
	}
	if (!first_values_only && knob_combinations(l) > KNOB_MAX_COMBINATIONS) {
		snprintf(err, errlen, "the knobs give more than %d combinations, each a test point of its own: "
			 "give fewer values, or --minimize from their first values", KNOB_MAX_COMBINATIONS);
		knob_list_free(l);
		return -1;
	}
	return 0;
}

/* ---- rows and their text ------------------------------------------------- */

void knob_row(const struct knob_list *l, int row, struct knob_setting *s)
{
	for (int i = l->n - 1; i >= 0; i--) {
		s[i].knob = &l->knobs[i];
		s[i].value = l->knobs[i].values[row % l->knobs[i].nvalues];
		row /= l->knobs[i].nvalues;
	}
}

bool knob_is_default(const struct knob_setting *s)
{
	return !strcmp(s->value, KNOB_DEFAULT);
}

void knob_setting_text(const struct knob_setting *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s=%s", s->knob->name, s->value);
}

void knob_settings_text(const struct knob_setting *s, int n, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && used < len; i++) {
		char one[256];
		if (knob_is_default(&s[i]))
			continue;
		knob_setting_text(&s[i], one, sizeof(one));
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? " " : "", one);
	}
	if (!buf[0])
		snprintf(buf, len, "(the case's own)");
}

/* ---- applying settings to a case ----------------------------------------- */

static bool same_param(const char *a, size_t alen, const char *b)
{
	/* The kernel reads '-' and '_' in a parameter's name alike. */
	if (alen != strlen(b))
		return false;
	for (size_t i = 0; i < alen; i++)
		if (a[i] != b[i] && !(strchr("-_", a[i]) && strchr("-_", b[i])))
			return false;
	return true;
}

/* The case's words but those of param, then word. */
static int set_cmdline_word(struct case_def *c, const char *param, const char *word, char *err, size_t errlen)
{
	char out[sizeof(c->cmdline)];
	size_t n = 0;

	out[0] = '\0';
	for (const char *p = c->cmdline; *p;) {
		size_t len = strcspn(p, " \t");
		if (len && !same_param(p, strcspn(p, "= \t") < len ? strcspn(p, "= \t") : len, param))
			n += (size_t)snprintf(out + n, n < sizeof(out) ? sizeof(out) - n : 0, "%s%.*s", n ? " " : "",
					      (int)len, p);
		p += len;
		p += strspn(p, " \t");
	}
	n += (size_t)snprintf(out + n, n < sizeof(out) ? sizeof(out) - n : 0, "%s%s", n ? " " : "", word);
	if (n >= sizeof(out)) {
		snprintf(err, errlen, "cmdline+=%s: the command line would be over %zu characters", word, sizeof(out) - 1);
		return -1;
	}
	snprintf(c->cmdline, sizeof(c->cmdline), "%s", out);
	return 0;
}

/* A knob line in place of one for the same file, or a new one. */
static int add_case_knob(struct case_def *c, const char *name, const char *path, const char *value, char *err,
			 size_t errlen)
{
	struct case_knob *k = NULL;

	for (int i = 0; i < c->nknobs && !k; i++)
		if (!strcmp(c->knobs[i].path, path))
			k = &c->knobs[i];
	if (!k && c->nknobs == CASE_MAX_LIST) {
		snprintf(err, errlen, "%s=%s: more than %d knobs with the case's own", name, value, CASE_MAX_LIST);
		return -1;
	}
	if (!k)
		k = &c->knobs[c->nknobs++];
	snprintf(k->name, sizeof(k->name), "%s", name);
	snprintf(k->path, sizeof(k->path), "%s", path);
	snprintf(k->value, sizeof(k->value), "%s", value);
	return 0;
}

/* The case's own sysctl line for name goes: the knob's value replaces it. */
static void drop_case_sysctl(struct case_def *c, const char *name)
{
	int kept = 0;

	for (int i = 0; i < c->nsysctls; i++) {
		size_t len = strcspn(c->sysctls[i], "=");
		if (len == strlen(name) && !strncmp(c->sysctls[i], name, len))
			continue;
		if (kept != i)
			memcpy(c->sysctls[kept], c->sysctls[i], sizeof(c->sysctls[0]));
		kept++;
	}
	c->nsysctls = kept;
}

static int apply_one(struct case_def *c, const struct knob_setting *s, char *err, size_t errlen)
{
	const struct knob *k = s->knob;
	int n;

	switch (k->kind) {
	case KNOB_CPUS: c->cpus = atoi(s->value); return 0;
	case KNOB_MEMORY: c->mem_mb = (unsigned)parse_size_mb(s->value); return 0;
	case KNOB_NUMA:
		n = numa_nodes(s->value, c->numa_mb, CASE_MAX_NUMA);
		c->nnuma = n < 0 ? 0 : n;
		return 0;
	case KNOB_ZRAM:
		snprintf(c->zram, sizeof(c->zram), "%s", strcmp(s->value, "none") ? s->value : "");
		return 0;
	case KNOB_CMDLINE: return set_cmdline_word(c, k->param, s->value, err, errlen);
	case KNOB_SYSCTL: drop_case_sysctl(c, k->name); /* fall through */
	case KNOB_SYSFS: return add_case_knob(c, k->name, k->path, s->value, err, errlen);
	}
	return 0;
}

/* memory= alone splits over the case's nodes; numa= alone sets the memory. */
static int fit_memory_to_nodes(struct case_def *c, bool memory_set, bool numa_set, char *err, size_t errlen)
{
	unsigned total = 0;

	if (memory_set == numa_set || !c->nnuma)
		return 0;
	if (numa_set) {
		for (int i = 0; i < c->nnuma; i++)
			total += c->numa_mb[i];
		c->mem_mb = total;
		return 0;
	}
	if (c->mem_mb % (unsigned)c->nnuma) {
		snprintf(err, errlen, "memory=%uM does not split evenly over the case's %d NUMA nodes: give numa= too",
			 c->mem_mb, c->nnuma);
		return -1;
	}
	for (int i = 0; i < c->nnuma; i++)
		c->numa_mb[i] = c->mem_mb / (unsigned)c->nnuma;
	return 0;
}

int knob_apply(struct case_def *c, const struct knob_setting *s, int n, char *err, size_t errlen)
{
	bool memory_set = false, numa_set = false;
	char text[1024], where[1100];

	for (int i = 0; i < n; i++) {
		if (knob_is_default(&s[i]))
			continue;
		memory_set |= s[i].knob->kind == KNOB_MEMORY;
		numa_set |= s[i].knob->kind == KNOB_NUMA;
		if (apply_one(c, &s[i], err, errlen) < 0)
			return -1;
	}
	if (fit_memory_to_nodes(c, memory_set, numa_set, err, errlen) < 0)
		return -1;
	knob_settings_text(s, n, text, sizeof(text));
	snprintf(where, sizeof(where), "with the knobs %s:", text);
	return case_check_topology(c, where, err, errlen);
}

/* split_values speaks of --knob; a case line has no such option. */
static void drop_option_prefix(char *err)
{
	if (!strncmp(err, "--knob ", 7))
		memmove(err, err + 7, strlen(err + 7) + 1);
}

static int case_line_value(struct case_def *c, struct knob *k, const char *value, char *err, size_t errlen)
{
	if (k->kind != KNOB_SYSFS) {
		snprintf(err, errlen, "%s: a case sets this with its own key (cpus, memory, numa, cmdline in [vm]; "
			 "sysctl, zram in [guest]); knob = takes thp.* and mthp.* knobs", k->name);
		return -1;
	}
	if (strchr(value, ',') || !strcmp(value, KNOB_DEFAULT)) {
		snprintf(err, errlen, "%s=%.64s: one value to write (a matrix varies knobs with --knob)", k->name, value);
		sanitize_text(err, false);
		return -1;
	}
	if (add_value(k, value, strlen(value), err, errlen) < 0) {
		drop_option_prefix(err);
		return -1;
	}
	for (int i = 0; i < c->nknobs; i++)
		if (!strcmp(c->knobs[i].path, k->path)) {
			snprintf(err, errlen, "%s is given twice", k->name);
			return -1;
		}
	return add_case_knob(c, k->name, k->path, value, err, errlen);
}

int knob_case_line(struct case_def *c, const char *line, char *err, size_t errlen)
{
	const char *eq = strchr(line, '=');
	struct knob k;
	int rc;

	memset(&k, 0, sizeof(k));
	if (!eq || eq == line || (size_t)(eq - line) >= sizeof(k.name)) {
		snprintf(err, errlen, "%.80s: expected NAME=VALUE, e.g. thp.enabled=never", line);
		sanitize_text(err, false);
		return -1;
	}
	snprintf(k.name, sizeof(k.name), "%.*s", (int)(eq - line), line);
	if (classify_name(k.name, &k, err, errlen) < 0)
		return -1;
	rc = case_line_value(c, &k, eq + 1, err, errlen);
	knob_free(&k);
	return rc;
}

/* ---- what a workload writes itself ---------------------------------------- */

static bool plain_word(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return false;
	return len > 0;
}

/* "knob PATH" or "knob PATH VALUE"; -1 for anything else. */
static int declared_line(const char *line, size_t len, struct declared_knob *d)
{
	const char *head = PROTO_KNOB_LINE " ", *path = line + strlen(head), *sp;
	size_t plen, vlen;

	memset(d, 0, sizeof(*d));
	if (len <= strlen(head) || strncmp(line, head, strlen(head)) || *path != '/')
		return -1;
	sp = memchr(path, ' ', len - strlen(head));
	plen = sp ? (size_t)(sp - path) : len - strlen(head);
	vlen = sp ? len - strlen(head) - plen - 1 : 0;
	if (plen >= sizeof(d->path) || vlen >= sizeof(d->value) || !plain_word(path, plen) ||
	    (sp && !plain_word(sp + 1, vlen)))
		return -1;
	memcpy(d->path, path, plen);
	if (sp)
		memcpy(d->value, sp + 1, vlen);
	return 0;
}

static int bad_declared(struct declared_knob **out, int *n, int line, const char *text, size_t len, char *err,
			size_t errlen)
{
	snprintf(err, errlen, "line %d is not 'knob PATH [VALUE]': '%.*s'", line + 1, len < 60 ? (int)len : 60, text);
	sanitize_text(err, false);
	free(*out);
	*out = NULL;
	*n = 0;
	return -1;
}

int knob_parse_declared(const char *text, struct declared_knob **out, int *n, char *err, size_t errlen)
{
	int line = 0;

	*out = NULL;
	*n = 0;
	for (const char *p = text; *p; line++) {
		size_t len = strcspn(p, "\n");
		if (line == MAX_DECLARED)
			return bad_declared(out, n, line, p, len, err, errlen);
		*out = xrealloc(*out, (size_t)(*n + 1) * sizeof(**out));
		if (declared_line(p, len, &(*out)[*n]) < 0)
			return bad_declared(out, n, line, p, len, err, errlen);
		(*n)++;
		p += len + (p[len] == '\n');
	}
	return 0;
}

/* The file a boot parameter sets, which a workload writing it would
 * override: the ones the kernel's sysfs or sysctls also hold. */
static bool cmdline_param_path(const char *param, char *path, size_t len)
{
	if (same_param(param, strlen(param), "transparent_hugepage"))
		snprintf(path, len, THP_SYSFS "/enabled");
	else if (same_param(param, strlen(param), "numa_balancing"))
		snprintf(path, len, "/proc/sys/kernel/numa_balancing");
	else if (!strncmp(param, "sysctl.", 7) && param[7]) {
		snprintf(path, len, "/proc/sys/%s", param + 7);
		for (char *p = path + 10; *p; p++)
			*p = *p == '.' ? '/' : *p;
	} else
		return false;
	return true;
}

static const struct declared_knob *written_by(const struct declared_knob *d, int nd, const char *path)
{
	for (int i = 0; i < nd; i++)
		if (d[i].value[0] && !strcmp(d[i].path, path))
			return &d[i];
	return NULL;
}

static int refuse(const char *what, const char *workload, const struct declared_knob *w, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: workload %s sets %s=%s itself (its struct tst_knob), after the guest has set "
		 "the knob, so the knob would be silently lost: vary another knob, or change the workload",
		 what, workload, w->path, w->value);
	sanitize_text(err, false);
	return -1;
}

int knob_check_conflicts(const struct knob_list *l, const struct case_def *c, const char *workload,
			 const struct declared_knob *d, int nd, char *err, size_t errlen)
{
	char path[256], what[256];
	const struct declared_knob *w;

	for (int i = 0; l && i < l->n; i++) {
		const struct knob *k = &l->knobs[i];
		bool has_path = k->kind == KNOB_CMDLINE ? cmdline_param_path(k->param, path, sizeof(path))
							: snprintf(path, sizeof(path), "%s", k->path) > 0;
		snprintf(what, sizeof(what), "--knob %s%s%s", k->name, k->kind == KNOB_CMDLINE ? "=" : "",
			 k->kind == KNOB_CMDLINE ? k->param : "");
		if (has_path && (w = written_by(d, nd, path)))
			return refuse(what, workload, w, err, errlen);
	}
	for (int i = 0; i < c->nknobs; i++)
		if ((w = written_by(d, nd, c->knobs[i].path))) {
			snprintf(what, sizeof(what), "%s: knob = %s=%s", c->path, c->knobs[i].name, c->knobs[i].value);
			return refuse(what, workload, w, err, errlen);
		}
	return 0;
}
