/* Parses one kselftest's (K)TAP output into leaf subtests (see ktap.h). */
#include "ktap.h"
#include "text.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Test numbers and plans saturate here, so that K + KTAP_MAX_SUBTESTS
 * never overflows an int. */
#define NUM_MAX 999999999
#define KSFT_SKIP 4

struct level {
	int planned;     /* -1: no plan at this depth since it was last closed */
	int results;     /* result lines at this depth */
	int max_number;
	int first;       /* index of the first entry added since this depth's last result */
	char *subtest;   /* from "# Subtest: name", or NULL */
};

struct line_result {
	bool ok;
	int number;
	const char *desc, *why;
	size_t desc_len, why_len;
	enum ktap_status status;
};

struct parser {
	struct ktap_result *r;
	char *test;                 /* sanitised */
	struct level *lv;           /* KTAP_MAX_DEPTH of them */
	int exit_code;
	const char *end_reason;
	const char *diag, *bail, *skip;   /* last "# " line, "Bail out!" text, "1..0 # SKIP" text */
	size_t diag_len, bail_len, skip_len;
	bool bailed, full, oom;
};

static const char *const status_names[] = {
	[KTAP_PASS] = "PASS", [KTAP_FAIL] = "FAIL", [KTAP_SKIP] = "SKIP",
	[KTAP_XFAIL] = "XFAIL", [KTAP_ERROR] = "ERROR",
};

const char *ktap_status_name(enum ktap_status s)
{
	if ((unsigned)s >= sizeof(status_names) / sizeof(status_names[0]))
		return "?";
	return status_names[s];
}

int ktap_count(const struct ktap_result *r, enum ktap_status s)
{
	int c = 0;

	for (int i = 0; i < r->n; i++)
		c += r->subs[i].status == s;
	return c;
}

void ktap_free(struct ktap_result *r)
{
	for (int i = 0; i < r->n; i++) {
		free(r->subs[i].test);
		free(r->subs[i].name);
		free(r->subs[i].reason);
	}
	free(r->subs);
	memset(r, 0, sizeof(*r));
	r->planned = -1;
}

static bool starts(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && memcmp(s, prefix, k) == 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static size_t skip_blanks(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && is_blank(s[i]))
		i++;
	return i;
}

static size_t trim_end(const char *s, size_t n)
{
	while (n && is_blank(s[n - 1]))
		n--;
	return n;
}

/* Digits at s, saturating at NUM_MAX; returns how many were read. */
static size_t parse_num(const char *s, size_t n, int *out)
{
	long long v = 0;
	size_t i = 0;

	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		if (v < NUM_MAX)
			v = v * 10 + (s[i] - '0');
	*out = v > NUM_MAX ? NUM_MAX : (int)v;
	return i;
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s;
	int rc;

	va_start(ap, f);
	rc = vasprintf(&s, f, ap);
	va_end(ap);
	return rc < 0 ? NULL : s;
}

/* Length of the valid UTF-8 sequence at s, 0 when invalid. C1 controls
 * count as invalid: some terminals obey U+009B as CSI. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned cp = 0;
	size_t len = utf8_sequence_len(s, n, &cp);

	return is_c1_control(cp) ? 0 : len;
}

/* In place: invalid UTF-8 bytes and control bytes (NUL included) become
 * '?'. Returns the new length (never longer). */
static size_t clean_text(char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		size_t k = utf8_len((const unsigned char *)s + i, n - i);

		if (!k) {
			s[o++] = '?';
			i++;
			continue;
		}
		memmove(s + o, s + i, k);
		o += k;
		i += k;
	}
	return sanitize_bytes(s, o, s, false);
}

/* Ends t at byte n or before, on a character boundary, with "..." (t must
 * have room for n + 4 bytes). */
static void cut_at(char *t, size_t n)
{
	while (n > 0 && ((unsigned char)t[n] & 0xc0) == 0x80)
		n--;
	memcpy(t + n, "...", 4);
}

static void cap_text(char *t, size_t max)
{
	if (strlen(t) > max)
		cut_at(t, max - 3);
}

/* A sanitised, NUL-terminated copy of n bytes at s, at most max bytes. */
static char *make_text(const char *s, size_t n, size_t max)
{
	bool cut = n > max;
	size_t take = cut ? max : n;
	char *t = malloc(take + 1);

	if (!t)
		return NULL;
	memcpy(t, s, take);
	take = clean_text(t, take);
	t[take] = '\0';
	if (cut)
		cut_at(t, take < max - 3 ? take : max - 3);
	return t;
}

/* Takes name and reason, which are NULL after a failed allocation. */
static void add_entry(struct parser *p, char *name, char *reason, enum ktap_status st, int number)
{
	struct ktap_result *r = p->r;
	char *test = name && reason ? strdup(p->test) : NULL;

	if (!test) {
		p->oom = true;
	} else if (r->n >= KTAP_MAX_SUBTESTS) {
		r->truncated = p->full = true;
	} else if (r->n == r->cap) {
		int cap = r->cap ? r->cap * 2 : 16;
		struct ktap_subtest *subs;

		cap = cap > KTAP_MAX_SUBTESTS ? KTAP_MAX_SUBTESTS : cap;
		subs = realloc(r->subs, (size_t)cap * sizeof(*subs));
		if (!subs)
			p->oom = true;
		else
			r->subs = subs, r->cap = cap;
	}
	if (p->oom || p->full) {
		free(test);
		free(name);
		free(reason);
		return;
	}
	r->subs[r->n++] = (struct ktap_subtest){ test, name, st, reason, number };
}

static bool is_bad(enum ktap_status s)
{
	return s == KTAP_FAIL || s == KTAP_ERROR;
}

static bool any_bad(const struct ktap_result *r, int from)
{
	for (int i = from; i < r->n; i++)
		if (is_bad(r->subs[i].status))
			return true;
	return false;
}

static void prefix_names(struct parser *p, int from, const char *parent)
{
	for (int i = from; i < p->r->n; i++) {
		char *s = fmt("%s: %s", parent, p->r->subs[i].name);

		if (!s) {
			p->oom = true;
			return;
		}
		cap_text(s, KTAP_NAME_MAX);
		free(p->r->subs[i].name);
		p->r->subs[i].name = s;
	}
}

/* Closes depths d and deeper: their next lines start a fresh block. */
static void reset_levels(struct parser *p, int d)
{
	for (; d < KTAP_MAX_DEPTH; d++) {
		struct level *l = &p->lv[d];

		free(l->subtest);
		*l = (struct level){ .planned = -1, .first = p->r->n };
	}
}

/* The directive after '#' at c: its status (-1: none, or XPASS) and the
 * length of its word ("skip", "SKIPPED", "TODO:" ...). */
static int directive(const char *c, size_t n, size_t *word)
{
	static const struct { const char *w; int st; } dirs[] = {
		{ "SKIP", KTAP_SKIP }, { "TODO", KTAP_XFAIL }, { "XFAIL", KTAP_XFAIL },
		{ "XPASS", -1 }, { "ERROR", KTAP_ERROR },
	};
	size_t k;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		k = strlen(dirs[i].w);
		if (n < k || strncasecmp(c, dirs[i].w, k))
			continue;
		while (k < n && !is_blank(c[k]) && c[k] != ':')
			k++;
		*word = k < n && c[k] == ':' ? k + 1 : k;
		return dirs[i].st;
	}
	*word = 0;
	return -1;
}

/* Splits "desc # DIRECTIVE why" (a '#' counts at the start or after a
 * blank, so "\#" and "test#3" stay in the description). */
static void split_directive(const char *s, size_t n, struct line_result *lr)
{
	size_t h = 0, word;
	int st;

	while (h < n && !(s[h] == '#' && (h == 0 || is_blank(s[h - 1]))))
		h++;
	lr->desc = s;
	lr->desc_len = trim_end(s, h);
	lr->status = lr->ok ? KTAP_PASS : KTAP_FAIL;
	if (h == n)
		return;
	s += h + 1;
	n -= h + 1;
	h = skip_blanks(s, n);
	st = directive(s + h, n - h, &word);
	if (st >= 0)
		lr->status = st;
	h += word;
	h += skip_blanks(s + h, n - h);
	lr->why = s + h;
	lr->why_len = n - h;
}

static bool parse_result(const char *s, size_t n, struct line_result *lr)
{
	size_t i, k;

	memset(lr, 0, sizeof(*lr));
	if (starts(s, n, "ok "))
		lr->ok = true, i = 3;
	else if (starts(s, n, "not ok "))
		i = 7;
	else
		return false;
	k = parse_num(s + i, n - i, &lr->number);
	if (!k || (i + k < n && !is_blank(s[i + k])))
		return false;
	i += k;
	i += skip_blanks(s + i, n - i);
	if (starts(s + i, n - i, "- "))
		i += 2;
	split_directive(s + i, n - i, lr);
	return true;
}

static char *result_name(struct parser *p, int d, const struct line_result *lr)
{
	if (lr->desc_len)
		return make_text(lr->desc, lr->desc_len, KTAP_NAME_MAX);
	if (d + 1 < KTAP_MAX_DEPTH && p->lv[d + 1].subtest)
		return strdup(p->lv[d + 1].subtest);
	if (lr->why_len)
		return make_text(lr->why, lr->why_len, KTAP_NAME_MAX);
	return fmt("#%d", lr->number);
}

/* A result at depth d summarises the entries added since the last one at
 * that depth, if any: those are its subtests, renamed "parent: child".
 * Subtests short of their own plan get no ERROR entries here: the parent's
 * line already says how the whole went. */
static void on_result(struct parser *p, int d, const struct line_result *lr)
{
	struct level *l = &p->lv[d];
	int from = l->first;
	char *name = result_name(p, d, lr);
	char *reason = make_text(lr->why ? lr->why : "", lr->why_len, KTAP_NAME_MAX);

	if (!name || !reason) {
		free(name);
		free(reason);
		p->oom = true;
		return;
	}
	if (from < p->r->n)
		prefix_names(p, from, name);
	/* A parent that failed where none of its subtests did (it crashed
	 * after them, say) is kept, or the failure would vanish. */
	if (from == p->r->n || (is_bad(lr->status) && !any_bad(p->r, from))) {
		add_entry(p, name, reason, lr->status, lr->number);
	} else {
		free(name);
		free(reason);
	}
	l->results++;
	if (lr->number > l->max_number)
		l->max_number = lr->number;
	reset_levels(p, d + 1);
	l->first = p->r->n;
}

static void on_plan(struct parser *p, int d, const char *s, size_t n)
{
	struct line_result dir = { .ok = true };
	int planned;
	size_t k = parse_num(s, n, &planned);

	if (!k || (k < n && !is_blank(s[k])))
		return;
	if (p->lv[d].planned < 0) {
		p->lv[d].planned = planned;
		if (d == 0 && p->r->planned < 0)
			p->r->planned = planned;
	}
	split_directive(s + k, n - k, &dir);
	if (d == 0 && dir.status == KTAP_SKIP && !p->skip)
		p->skip = dir.why, p->skip_len = dir.why_len;
}

static void on_diag(struct parser *p, int d, const char *s, size_t n)
{
	size_t k = 1 + skip_blanks(s + 1, n - 1);

	s += k;
	n -= k;
	if (d == 0 && starts(s, n, "Totals:")) {
		k = n < sizeof(p->r->summary) - 1 ? n : sizeof(p->r->summary) - 1;
		memcpy(p->r->summary, s, k);
		p->r->summary[clean_text(p->r->summary, k)] = '\0';
		return;
	}
	if (p->bailed)
		return;
	if (starts(s, n, "Subtest:")) {
		k = 8 + skip_blanks(s + 8, n - 8);
		free(p->lv[d].subtest);
		p->lv[d].subtest = make_text(s + k, n - k, KTAP_NAME_MAX);
		p->oom |= !p->lv[d].subtest;
		return;
	}
	/* kselftest's own bookkeeping says nothing about why a test failed. */
	if (d || !n || starts(s, n, "Planned tests != run tests") ||
	    memmem(s, n, "skipped test(s) detected", 24))
		return;
	p->diag = s;
	p->diag_len = n;
}

static void on_line(struct parser *p, const char *s, size_t n)
{
	struct line_result lr;
	size_t sp = 0;
	int d;

	while (sp < n && s[sp] == ' ')
		sp++;
	/* Noise: console lines are rarely indented by a multiple of 4. */
	if (sp % 4 || sp / 4 >= KTAP_MAX_DEPTH)
		return;
	d = (int)(sp / 4);
	s += sp;
	n -= sp;
	if (starts(s, n, "#"))
		on_diag(p, d, s, n);
	else if (p->bailed)
		return;
	else if (starts(s, n, "Bail out!")) {
		p->bailed = true;
		p->bail = s + 9 + skip_blanks(s + 9, n - 9);
		p->bail_len = n - (size_t)(p->bail - s);
	} else if (starts(s, n, "1.."))
		on_plan(p, d, s + 3, n - 3);
	else if (parse_result(s, n, &lr))
		on_result(p, d, &lr);
}

static void parse_lines(struct parser *p, const char *text, size_t len)
{
	size_t pos = 0;

	while (pos < len && !p->oom && !p->full) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		size_t n = end - pos;

		if (n && text[pos + n - 1] == '\r')
			n--;
		on_line(p, text + pos, trim_end(text + pos, n));
		pos = end + 1;
	}
}

/* Why the missing results are missing: a word for their names, a reason. */
static char *missing_reason(struct parser *p, const char **kind)
{
	if (p->bailed) {
		*kind = "bailed out";
		return p->bail_len ? make_text(p->bail, p->bail_len, KTAP_NAME_MAX) : strdup("Bail out!");
	}
	if (p->exit_code >= 0 && !p->end_reason) {
		*kind = "test exited";
		return fmt("exit %d", p->exit_code);
	}
	*kind = "output ended";
	return p->end_reason ? make_text(p->end_reason, strlen(p->end_reason), KTAP_NAME_MAX)
			     : strdup("output ended");
}

static void add_missing(struct parser *p, struct level *l)
{
	/* A test that exits 4 by itself skipped the rest of its plan. */
	enum ktap_status st = p->exit_code == KSFT_SKIP && !p->bailed && !p->end_reason
			      ? KTAP_SKIP : KTAP_ERROR;
	int missing = l->planned - l->results;
	const char *kind;

	for (int i = 0; i < missing && !p->oom && !p->full; i++) {
		int k = l->max_number + 1 + i;
		char *reason = missing_reason(p, &kind);

		add_entry(p, fmt("#%d (no result: %s)", k, kind), reason, st, k);
	}
	if (missing > 0)
		p->r->truncated = true;
}

/* Output over: every open depth's missing results, deepest first. */
static void close_levels(struct parser *p)
{
	for (int d = KTAP_MAX_DEPTH - 1; d >= 0 && !p->oom && !p->full; d--) {
		struct level *l = &p->lv[d];

		add_missing(p, l);
		if (d > 0 && l->subtest && p->lv[d - 1].first < p->r->n && !p->oom)
			prefix_names(p, p->lv[d - 1].first, l->subtest);
	}
}

static char *exit_reason(struct parser *p)
{
	int code = p->exit_code;

	if (code == 0)
		return strdup("");
	if (code < 0 && p->end_reason)
		return make_text(p->end_reason, strlen(p->end_reason), KTAP_NAME_MAX);
	if (code == KSFT_SKIP && p->skip_len)
		return make_text(p->skip, p->skip_len, KTAP_NAME_MAX);
	if (code != KSFT_SKIP && p->bailed)
		return p->bail_len ? make_text(p->bail, p->bail_len, KTAP_NAME_MAX) : strdup("Bail out!");
	if (code > 0 && p->diag_len)
		return make_text(p->diag, p->diag_len, KTAP_NAME_MAX);
	return code < 0 ? strdup("killed") : fmt("exit %d", code);
}

/* The exit code speaks for a test that printed no result, and for one
 * whose exit code says it failed where no parsed result did. */
static void add_exit_entry(struct parser *p)
{
	int code = p->exit_code;
	enum ktap_status st = code == 0 ? KTAP_PASS : code == KSFT_SKIP ? KTAP_SKIP
			      : code < 0 ? KTAP_ERROR : KTAP_FAIL;

	if (p->r->n > 0 && (!is_bad(st) || any_bad(p->r, 0)))
		return;
	add_entry(p, strdup(p->test), exit_reason(p), st, 0);
}

int ktap_parse(const char *test, const char *text, size_t len, int exit_code,
	       const char *end_reason, struct ktap_result *out)
{
	struct parser p = { .r = out, .exit_code = exit_code, .end_reason = end_reason };

	memset(out, 0, sizeof(*out));
	out->planned = -1;
	test = test ? test : "";
	p.test = make_text(test, strlen(test), KTAP_NAME_MAX);
	p.lv = calloc(KTAP_MAX_DEPTH, sizeof(*p.lv));
	if (p.test && p.lv) {
		reset_levels(&p, 0);
		parse_lines(&p, text ? text : "", text ? len : 0);
		if (!p.oom && !p.full)
			close_levels(&p);
		if (!p.oom && !p.full)
			add_exit_entry(&p);
		reset_levels(&p, 0);
	} else {
		p.oom = true;
	}
	free(p.lv);
	free(p.test);
	if (p.oom) {
		ktap_free(out);
		return -1;
	}
	return 0;
}
