/* Reads a syzbot bug directory and diffs its kernel config against the suite's fragments. */
#include "syzbot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "report.h"
#include "text.h"
#include "util.h"

/* Why read_file_limited refused path: util's words, with the size in
 * bytes a syzbot user can compare with the file. */
static const char *why_unreadable(const char *path, int e, size_t max, char *buf, size_t len)
{
	if (e == EFBIG) {
		snprintf(buf, len, "over %zu bytes", max);
		return buf;
	}
	return e == ENOENT ? "does not exist" : read_refusal(path, e, max, buf, len);
}

/* read_file_limited with err set. When optional, a missing file is NULL
 * with errno ENOENT and no message; errno is kept in every case. */
static char *read_regular(const char *path, size_t max, size_t *len, bool optional, char *err, size_t errlen)
{
	char why[64];
	char *text = read_file_limited(path, max, len);
	int e = errno;

	if (!text && !(optional && e == ENOENT))
		snprintf(err, errlen, "%s: %s", path, why_unreadable(path, e, max, why, sizeof(why)));
	errno = text ? 0 : e;
	return text;
}

/* The next line of [*p, end) without its newline; false at the end. */
static bool next_line(const char **p, const char *end, const char **line, size_t *n)
{
	const char *nl;

	if (*p >= end)
		return false;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	*line = *p;
	*n = (size_t)((nl ? nl : end) - *p);
	*p = nl ? nl + 1 : end;
	return true;
}

/* One option line: value_len 0 means unset. */
struct opt_line {
	const char *name, *value;
	size_t name_len, value_len;
};

static size_t name_span(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && (s[i] == '_' || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
			 (s[i] >= '0' && s[i] <= '9')))
		i++;
	return i;
}

/* Whether the line is "CONFIG_X=v" or "# CONFIG_X is not set" (CRLF and
 * trailing blanks allowed). CONFIG_X=n counts as unset: Kconfig reads both
 * the same for a bool or tristate, and writes the latter. */
static bool parse_option(const char *s, size_t n, struct opt_line *o)
{
	static const char unset[] = " is not set";
	bool comment;
	size_t k;

	while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	comment = n >= 2 && !strncmp(s, "# ", 2);
	if (comment)
		s += 2, n -= 2;
	if (n < 8 || strncmp(s, "CONFIG_", 7))
		return false;
	k = name_span(s, n);
	if (k <= 7)
		return false;
	*o = (struct opt_line){ .name = s, .name_len = k, .value = s + k, .value_len = 0 };
	if (comment)
		return n - k == strlen(unset) && !memcmp(s + k, unset, strlen(unset));
	if (k + 1 >= n || s[k] != '=')
		return false;
	o->value = s + k + 1;
	o->value_len = n - k - 1;
	if (o->value_len == 1 && o->value[0] == 'n')
		o->value_len = 0;
	return true;
}

/* Reads and checks a kernel config: text, no NUL byte, one option line at least. */
static char *load_config(const char *path, size_t *len, char *err, size_t errlen)
{
	char *text = read_regular(path, SYZBOT_CONFIG_MAX, len, false, err, errlen);
	const char *p, *line, *end;
	struct opt_line o;
	size_t n;

	if (!text)
		return NULL;
	if (strlen(text) != *len) {
		snprintf(err, errlen, "%s: holds a NUL byte, not a kernel config", path);
		free(text);
		return NULL;
	}
	for (p = text, end = text + *len; next_line(&p, end, &line, &n);)
		if (parse_option(line, n, &o))
			return text;
	snprintf(err, errlen, "%s: no CONFIG_X=... or '# CONFIG_X is not set' line: not a kernel config", path);
	free(text);
	return NULL;
}

/* Copies n bytes of s into out as terminal-safe UTF-8: control bytes, C1
 * controls (which terminals obey like ESC) and each invalid byte become
 * '?'. -1 when it does not fit outlen with its NUL. */
static int clean_title(const char *s, size_t n, char *out, size_t outlen)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		unsigned cp = 0;
		size_t len = utf8_sequence_len(u + i, n - i, &cp);
		bool bad = !len || is_c1_control(cp);
		size_t w = bad ? 1 : len;

		if (o + w >= outlen)
			return -1;
		if (bad)
			out[o] = '?';
		else if (len == 1)
			sanitize_bytes(s + i, 1, out + o, false);
		else
			memcpy(out + o, s + i, len);
		o += w;
		i += len ? len : 1;
	}
	out[o] = '\0';
	return 0;
}

/* The title file's one line, trimmed. 1 found, 0 absent, -1 (err) refused. */
static int title_from_file(struct syzbot_bundle *b, char *err, size_t errlen)
{
	char path[PATH_MAX];
	size_t len;
	char *text, *s;
	int ret = -1;

	xsnprintf(path, sizeof(path), "%s/title", b->dir);
	if (!(text = read_regular(path, SYZBOT_TITLE_MAX, &len, true, err, errlen)))
		return errno == ENOENT ? 0 : -1;
	if (len && text[len - 1] == '\n')
		text[--len] = '\0';
	while (len && (text[len - 1] == '\r' || text[len - 1] == ' '))
		text[--len] = '\0';
	for (s = text; *s == ' '; s++)
		len--;
	if (strlen(s) != len)
		snprintf(err, errlen, "%s: holds a NUL byte", path);
	else if (memchr(s, '\n', len))
		snprintf(err, errlen, "%s: more than one line (a title is one line)", path);
	else if (!len)
		snprintf(err, errlen, "%s: is empty", path);
	else if (clean_title(s, len, b->title, sizeof(b->title)) < 0)
		snprintf(err, errlen, "%s: longer than %zu bytes", path, sizeof(b->title) - 1);
	else
		ret = 1;
	if (ret == 1)
		snprintf(b->title_source, sizeof(b->title_source), "title");
	free(text);
	return ret;
}

/* The first report's title in DIR/name. 1 found, 0 absent or no report, -1 (err). */
static int title_from_log(struct syzbot_bundle *b, const char *name, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct report *all = NULL;
	int n = 0, ret = 0;
	size_t len;
	char *text;

	xsnprintf(path, sizeof(path), "%s/%s", b->dir, name);
	if (!(text = read_regular(path, SYZBOT_LOG_MAX, &len, true, err, errlen)))
		return errno == ENOENT ? 0 : -1;
	if (report_parse_all(text, len, &all, &n) < 0) {
		snprintf(err, errlen, "%s: out of memory classifying it", path);
		ret = -1;
	}
	for (int i = 0; i < n && !ret; i++) {
		if (!all[i].crash || !all[i].title[0])
			continue;
		/* A title is at most as long as the text it is cleaned from. */
		clean_title(all[i].title, strlen(all[i].title), b->title, sizeof(b->title));
		snprintf(b->title_source, sizeof(b->title_source), "%s", name);
		ret = 1;
	}
	free(all);
	free(text);
	return ret;
}

static int find_title(struct syzbot_bundle *b, char *err, size_t errlen)
{
	static const char *const logs[] = { "report.txt", "console.log", "log.txt" };
	int r = title_from_file(b, err, errlen);

	for (size_t i = 0; !r && i < sizeof(logs) / sizeof(logs[0]); i++)
		r = title_from_log(b, logs[i], err, errlen);
	return r < 0 ? -1 : 0;
}

/* DIR/config or DIR/.config (both is ambiguous), checked; none is fine. */
static int find_config(struct syzbot_bundle *b, char *err, size_t errlen)
{
	char plain[PATH_MAX], dot[PATH_MAX];
	struct stat st;
	bool has_plain, has_dot;
	size_t len;
	char *text;

	xsnprintf(plain, sizeof(plain), "%s/config", b->dir);
	xsnprintf(dot, sizeof(dot), "%s/.config", b->dir);
	has_plain = lstat(plain, &st) == 0;
	has_dot = lstat(dot, &st) == 0;
	if (has_plain && has_dot) {
		snprintf(err, errlen, "%s: holds both config and .config: keep one", b->dir);
		return -1;
	}
	if (!has_plain && !has_dot)
		return 0;
	snprintf(b->config, sizeof(b->config), "%s", has_plain ? plain : dot);
	if (!(text = load_config(b->config, &len, err, errlen)))
		return -1;
	free(text);
	return 0;
}

static int check_repro(struct syzbot_bundle *b, char *err, size_t errlen)
{
	size_t len;
	char *text;

	xsnprintf(b->repro_c, sizeof(b->repro_c), "%s/repro.c", b->dir);
	if (!(text = read_regular(b->repro_c, SYZBOT_REPRO_MAX, &len, false, err, errlen)))
		return -1;
	free(text);
	if (!len) {
		snprintf(err, errlen, "%s: is empty", b->repro_c);
		return -1;
	}
	return 0;
}

static int set_dir(struct syzbot_bundle *b, const char *dir, char *err, size_t errlen)
{
	struct stat st;
	size_t len = strlen(dir);

	/* Room for the longest name joined to it, so later joins never fail. */
	if (len + sizeof("/console.log") > sizeof(b->dir)) {
		snprintf(err, errlen, "%.64s...: path too long", dir);
		return -1;
	}
	while (len > 1 && dir[len - 1] == '/')
		len--;
	snprintf(b->dir, sizeof(b->dir), "%.*s", (int)len, dir);
	if (stat(b->dir, &st) < 0) {
		snprintf(err, errlen, "%s: %s", b->dir, errno == ENOENT ? "no such directory" : strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", b->dir);
		return -1;
	}
	return 0;
}

int syzbot_read(const char *dir, struct syzbot_bundle *b, char *err, size_t errlen)
{
	char syz[PATH_MAX];
	struct stat st;

	memset(b, 0, sizeof(*b));
	if (errlen)
		err[0] = '\0';
	if (set_dir(b, dir, err, errlen) < 0 || check_repro(b, err, errlen) < 0 || find_config(b, err, errlen) < 0 ||
	    find_title(b, err, errlen) < 0)
		return EXIT_USAGE;
	xsnprintf(syz, sizeof(syz), "%s/repro.syz", b->dir);
	b->has_repro_syz = lstat(syz, &st) == 0 && S_ISREG(st.st_mode);
	return 0;
}

/* The fragments' options, then (after sorting) the config's value of each. */
struct frag_opt {
	struct config_change c;     /* name, to; from once the config is read */
	size_t seq;                 /* order of appearance: the last one wins */
};

struct opt_list {
	struct frag_opt *v;
	size_t n, cap;
};

/* Copies n bytes of s into a field of size cap; false when it does not fit. */
static bool copy_field(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

static int add_option(struct opt_list *l, const struct opt_line *o, const char *path, int lineno, char *err,
		      size_t errlen)
{
	struct frag_opt f;

	memset(&f, 0, sizeof(f));
	if (!copy_field(f.c.name, sizeof(f.c.name), o->name, o->name_len) ||
	    !copy_field(f.c.to, sizeof(f.c.to), o->value, o->value_len)) {
		snprintf(err, errlen, "%s:%d: %.*s: name over %zu or value over %zu bytes", path, lineno,
			 (int)(o->name_len > 96 ? 96 : o->name_len), o->name, sizeof(f.c.name) - 1, sizeof(f.c.to) - 1);
		return -1;
	}
	if (l->n == l->cap)
		l->v = xrealloc(l->v, (l->cap = l->cap ? 2 * l->cap : 64) * sizeof(*l->v));
	f.seq = l->n;
	l->v[l->n++] = f;
	return 0;
}

static int add_fragment(struct opt_list *l, const char *path, char *err, size_t errlen)
{
	size_t len, n;
	const char *p, *end, *line;
	struct opt_line o;
	int lineno = 0, ret = 0;
	char *text = read_regular(path, SYZBOT_FRAGMENT_MAX, &len, false, err, errlen);

	if (!text)
		return -1;
	for (p = text, end = text + len; !ret && next_line(&p, end, &line, &n);) {
		size_t blank = 0;

		lineno++;
		while (blank < n && (line[blank] == ' ' || line[blank] == '\t' || line[blank] == '\r'))
			blank++;
		if (parse_option(line, n, &o))
			ret = add_option(l, &o, path, lineno, err, errlen);
		else if (blank < n && line[blank] != '#') {
			snprintf(err, errlen, "%s:%d: not CONFIG_X=value, '# CONFIG_X is not set' or a comment", path,
				 lineno);
			ret = -1;
		}
	}
	free(text);
	return ret;
}

static int cmp_opt(const void *a, const void *b)
{
	const struct frag_opt *x = a, *y = b;
	int c = strcmp(x->c.name, y->c.name);

	return c ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorts by name and keeps each name's last value, as merge_config.sh does. */
static void dedupe(struct opt_list *l)
{
	size_t k = 0;

	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), cmp_opt);
	for (size_t i = 0; i < l->n; i++) {
		if (k && !strcmp(l->v[k - 1].c.name, l->v[i].c.name))
			k--;
		l->v[k++] = l->v[i];
	}
	l->n = k;
}

static int cmp_name(const void *key, const void *elem)
{
	return strcmp(key, ((const struct frag_opt *)elem)->c.name);
}

/* Fills each option's from with the config's value (later lines win). */
static int read_current(struct opt_list *l, const char *path, char *err, size_t errlen)
{
	size_t len, n;
	const char *p, *end, *line;
	struct opt_line o;
	int lineno = 0, ret = 0;
	char *text = load_config(path, &len, err, errlen);

	if (!text)
		return -1;
	for (p = text, end = text + len; !ret && next_line(&p, end, &line, &n);) {
		char name[sizeof(l->v[0].c.name)];
		struct frag_opt *f;

		lineno++;
		if (!parse_option(line, n, &o) || !copy_field(name, sizeof(name), o.name, o.name_len))
			continue;
		if (!l->n || !(f = bsearch(name, l->v, l->n, sizeof(*l->v), cmp_name)))
			continue;
		if (!copy_field(f->c.from, sizeof(f->c.from), o.value, o.value_len)) {
			snprintf(err, errlen, "%s:%d: %s: value over %zu bytes", path, lineno, name, sizeof(f->c.from) - 1);
			ret = -1;
		}
	}
	free(text);
	return ret;
}

int syzbot_config_changes(const char *config_path, const char *const *fragments, struct config_change **out,
			  char *err, size_t errlen)
{
	struct opt_list l = { 0 };
	size_t k = 0;
	int ret = 0;

	*out = NULL;
	for (size_t i = 0; fragments && fragments[i] && !ret; i++)
		ret = add_fragment(&l, fragments[i], err, errlen);
	if (!ret) {
		dedupe(&l);
		ret = read_current(&l, config_path, err, errlen);
	}
	for (size_t i = 0; !ret && i < l.n; i++)
		if (strcmp(l.v[i].c.from, l.v[i].c.to))
			l.v[k++].c = l.v[i].c;
	if (!ret && k) {
		*out = xcalloc(k, sizeof(**out));
		for (size_t i = 0; i < k; i++)
			(*out)[i] = l.v[i].c;
	}
	free(l.v);
	return ret ? -1 : (int)k;
}
