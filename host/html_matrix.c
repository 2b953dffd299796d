/* report.html of a matrix: each combination of knob values with its hit
 * rate, or a minimisation's tries and the smallest set that still hits. */
#include "html.h"
#include "html_page.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static bool minimize_mode(struct json_object *doc)
{
	return jstr(doc, "mode") && !strcmp(jstr(doc, "mode"), "minimize");
}

static struct json_object *matrix_rows(struct json_object *doc)
{
	return jarr(doc, minimize_mode(doc) ? "tried" : "rows");
}

static void minimal_text(struct json_object *doc, char *buf, size_t len)
{
	struct json_object *min = jarr(doc, "minimal");
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < jlen(min) && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%.60s=%.60s", i ? " " : "",
					 jstr(jat(min, i), "knob") ? jstr(jat(min, i), "knob") : "?",
					 jstr(jat(min, i), "value") ? jstr(jat(min, i), "value") : "?");
	if (!jlen(min))
		snprintf(buf, len, "none: the case hits with its own settings");
}

static void matrix_banner(struct page *p, struct json_object *doc)
{
	struct json_object *rows = matrix_rows(doc);
	char text[700];
	size_t bad = 0;

	for (size_t i = 0; i < jlen(rows); i++)
		bad += jstr(jat(rows, i), "verdict") && !strcmp(jstr(jat(rows, i), "verdict"), "bad");
	if (minimize_mode(doc) && jget(doc, "minimal")) {
		char min[500];
		minimal_text(doc, min, sizeof(min));
		snprintf(text, sizeof(text), "smallest set that still hits: %s", min);
		banner(p, "bad", text);
	} else if (minimize_mode(doc)) {
		banner(p, "warn", "no minimal set: the first values did not make the case hit");
	} else {
		snprintf(text, sizeof(text), "%zu of %zu combinations hit", bad, jlen(rows));
		banner(p, bad ? "bad" : "ok", text);
	}
}

static void matrix_facts(struct page *p, struct json_object *doc, const char *json_path)
{
	struct json_object *knobs = jarr(doc, "knobs");
	char runs[16], line[600];
	FILE *f = p->f;

	snprintf(runs, sizeof(runs), "%d", jint(doc, "runs_per_point", 1));
	fputs("<dl class=\"facts\">\n", f);
	fact(f, "case", jstr(doc, "case"));
	fact(f, "variant", jstr(doc, "variant"));
	fact(f, "kernel", jstr(doc, "kernel"));
	fact(f, "release", jstr(doc, "release"));
	fact_series(f, "series", jstr(doc, "series"));
	fact(f, "runs per combination", runs);
	for (size_t i = 0; i < jlen(knobs); i++) {
		struct json_object *k = jat(knobs, i), *v = jarr(k, "values");
		size_t used = (size_t)snprintf(line, sizeof(line), "%.60s =", jstr(k, "name") ? jstr(k, "name") : "?");
		for (size_t j = 0; j < jlen(v) && used < sizeof(line); j++)
			used += (size_t)snprintf(line + used, sizeof(line) - used, "%s%.60s", j ? "," : " ",
						 jat(v, j) ? json_object_get_string(jat(v, j)) : "?");
		fact(f, "knob", line);
	}
	facts_host_date(f, json_path);
	fputs("</dl>\n", f);
}

static void matrix_row(FILE *f, struct json_object *row, const struct point *pt)
{
	char hits[64];

	tally_text(&pt->t, hits, sizeof(hits));
	fputs("<tr>", f);
	cell(f, NULL, jstr(row, "label"));
	cell(f, "wrap", jstr(row, "text"));
	cell(f, "num", hits);
	cell_verdict(f, jstr(row, "verdict"));
	cell_seconds(f, row, "run_seconds");
	cell(f, "wrap", jstr(row, "decision") ? jstr(row, "decision") : jstr(row, "reason"));
	fputs("</tr>\n", f);
}

int page_matrix(struct page *p)
{
	char path[PATH_MAX * 2], what[600];
	struct json_object *doc, *rows;
	struct point *pts;
	size_t n;

	path_in(p, ".", "matrix.json", path, sizeof(path));
	if (!(doc = load_json(path, true, p->err, p->errlen)))
		return -1;
	rows = matrix_rows(doc);
	n = rows_shown(jlen(rows));
	pts = xcalloc(n + 1, sizeof(*pts));
	snprintf(what, sizeof(what), "%.100s under %s", jstr(doc, "case") ? jstr(doc, "case") : "?",
		 minimize_mode(doc) ? "fewer and fewer settings" : "every combination of its knobs");
	page_open(p, "matrix", what);
	matrix_banner(p, doc);
	matrix_facts(p, doc, path);
	fputs("<h2>Combinations</h2>\n<table>\n<tr><th>row</th><th>settings</th><th>hits/valid (95% CI)</th>"
	      "<th>verdict</th><th>run s</th><th>note</th></tr>\n", p->f);
	for (size_t i = 0; i < n; i++) {
		struct json_object *row = jat(rows, i);
		const char *label = jstr(row, "label") ? jstr(row, "label") : "?";
		snprintf(pts[i].label, sizeof(pts[i].label), "%.190s", jstr(row, "text") ? jstr(row, "text") : label);
		snprintf(pts[i].rel, sizeof(pts[i].rel), "%.200s", label);
		point_load(p, &pts[i], jget(row, "tally"));
		matrix_row(p->f, row, &pts[i]);
	}
	fputs("</table>\n", p->f);
	note_more_rows(p->f, jlen(rows), "matrix.json");
	section_rates(p, pts, n);
	page_close(p);
	points_free(pts, n);
	json_object_put(doc);
	return 0;
}
