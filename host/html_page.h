/* The pieces report.html's pages share: the page being written, a test
 * point's runs, and the blocks and cells every page draws (html.c). */
#ifndef MMREPRO_HTML_PAGE_H
#define MMREPRO_HTML_PAGE_H

#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "json_read.h"
#include "stats.h"

struct page {
	FILE *f;
	const char *dir;
	char *err;
	size_t errlen;
};

struct point {
	char label[200];
	char rel[PATH_MAX];         /* its dir, relative to the page's */
	struct json_object *doc;    /* rel/result.json, as {"runs":[...]} */
	struct tally t;
	bool single;                /* rel is one run's dir, not an invocation's */
};

void banner(struct page *p, const char *cls, const char *text);
/* The rows of n a page draws (HTML_MAX_ROWS at most: each is a test point
 * with its runs loaded), and the note that names the rest. */
size_t rows_shown(size_t n);
void note_more_rows(FILE *f, size_t n, const char *json_name);
void cell(FILE *f, const char *cls, const char *text);
void cell_seconds(FILE *f, struct json_object *o, const char *key);
void cell_verdict(FILE *f, const char *v);
void fact(FILE *f, const char *name, const char *value);
void fact_command(FILE *f, const char *const *words, size_t n);
void fact_open(FILE *f, const char *name);
void fact_series(FILE *f, const char *name, const char *path);
void facts_host_date(FILE *f, const char *json_path);
struct json_object *first_hit(const struct point *pt);
size_t load_prefixes(struct page *p, const char *rel, struct point **out);
void page_close(struct page *p);
void page_open(struct page *p, const char *kind, const char *what);
void path_in(const struct page *p, const char *rel, const char *name, char *out, size_t len);
void point_load(const struct page *p, struct point *pt, struct json_object *tally);
struct json_object *point_runs(const struct point *pt);
void points_free(struct point *pts, size_t n);
void prefix_subject(const struct page *p, const struct point *pt, char *out, size_t len);
void section_counters(struct page *p, const char *heading, bool folded, const struct point *const *pts,
		      size_t n);
void section_hit(struct page *p, const struct point *pt, const char *heading);
void section_rates(struct page *p, const struct point *pts, size_t n);
void section_timeline(struct page *p, const struct point *pts, size_t n);
void step_row(FILE *f, const struct point *pt, const char *subject, const char *verdict);
void tally_text(const struct tally *t, char *buf, size_t len);
void verdict_span(FILE *f, const char *v);

void patch_item(FILE *f, const char *subject, const char *file);
void prefix_table(struct page *p, const struct point *pts, size_t n);
bool same_or_both_null(const char *a, const char *b);

/* The matrix page (html_matrix.c). */
int page_matrix(struct page *p);
/* The gate page (html_gate.c). */
int page_gate(struct page *p);
/* The bisect pages (html_bisect.c): a tree bisection's or a series blame's. */
int page_bisect(struct page *p);

#endif
