/* A run report's call stack as function names, for a case's expect_stack. */
#include "stack.h"
#include "json_read.h"
#include "report.h"
#include "result.h"
#include "util.h"

#include <json-c/json.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct names {
	char **v;
	size_t n, cap;
};

static void add_name(struct names *s, const char *name)
{
	if (!name || !*name)
		return;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 32;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = xstrdup(name);
}

static void free_names(struct names *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

bool stack_word_valid(const char *word)
{
	const char *name = word[0] == '!' ? word + 1 : word;

	if (!*name || strlen(word) >= STACK_WORD_LEN)
		return false;
	for (const char *p = name; *p; p++)
		if (!(*p == '_' || *p == '.' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9')))
			return false;
	return true;
}

/* The reliable frames of the report's console lines: what the kernel's
 * own unwinder printed, inlined functions not among them. */
static void console_names(const struct run_result *r, const struct report *rep, struct names *out)
{
	char path[PATH_MAX + 32];
	size_t len = 0, at = 0;
	char *log;
	int no = 0;

	snprintf(path, sizeof(path), "%s/console.log", r->dir);
	if (!(log = read_file_limited(path, 64u << 20, &len)))
		return;
	while (at < len && no < rep->end_line) {
		const char *line = log + at, *nl = memchr(line, '\n', len - at);
		size_t n = nl ? (size_t)(nl - line) : len - at;
		struct report_symbol sym;
		no++;
		at += n + 1;
		if (no >= rep->start_line && report_line_symbol(line, n, &sym) && sym.reliable)
			add_name(out, sym.name);
	}
	free(log);
}

/* One decoded frame: its function and every function inlined at it. */
static void frame_names(struct json_object *frame, struct names *out)
{
	struct json_object *reliable, *locs;

	if (json_object_object_get_ex(frame, "reliable", &reliable) && !json_object_get_boolean(reliable))
		return;
	add_name(out, jstring(frame, "function"));
	if (!(locs = jarr(frame, "locations")))
		return;
	for (size_t i = 0; i < json_object_array_length(locs); i++)
		add_name(out, jstring(json_object_array_get_idx(locs, i), "function"));
}

/* The decoded report that starts where rep does; sets why_not when it was
 * not decoded. */
static bool decoded_names(const struct run_result *r, const struct report *rep, struct names *out,
			  char *why_not, size_t len)
{
	size_t n = jlen(r->decoded);

	snprintf(why_not, len, "not decoded: no decoded frames in the result");
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(r->decoded, i), *start, *frames;
		if (!json_object_object_get_ex(e, "start_line", &start) || json_object_get_int(start) != rep->start_line)
			continue;
		if (!(frames = jarr(e, "frames"))) {
			snprintf(why_not, len, "%s", jstring(e, "not_decoded") ? jstring(e, "not_decoded") :
									       "not decoded");
			return false;
		}
		for (size_t f = 0; f < json_object_array_length(frames); f++)
			frame_names(json_object_array_get_idx(frames, f), out);
		return true;
	}
	return false;
}

static bool has_name(const struct names *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], name))
			return true;
	return false;
}

void stack_check_run(const struct run_result *r, const char words[][STACK_WORD_LEN], int n,
		     struct stack_check *out)
{
	int nrep;
	const struct report *rep = result_run_reports(r, &nrep);
	struct names names = { 0 };
	char why_not[160];

	memset(out, 0, sizeof(*out));
	out->ok = true;
	if (!n)
		return;
	if (!nrep) {
		out->ok = false;
		snprintf(out->why, sizeof(out->why), "no report to read a stack from");
		return;
	}
	out->decoded = decoded_names(r, &rep[0], &names, why_not, sizeof(why_not));
	console_names(r, &rep[0], &names);
	for (int i = 0; i < n && out->ok; i++) {
		bool negated = words[i][0] == '!';
		const char *name = words[i] + negated;
		if (has_name(&names, name) == negated) {
			char decoding[180] = "";
			out->ok = false;
			if (!out->decoded)
				snprintf(decoding, sizeof(decoding), " (%s)", why_not);
			snprintf(out->why, sizeof(out->why), "%s%s in the stack of '%.100s'%s", negated ? "forbidden " : "no ",
				 name, rep[0].title, decoding);
		}
	}
	free_names(&names);
}
