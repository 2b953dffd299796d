/* report.html: one self-contained page (inline CSS and SVG, no script) per run, verify, gate or bisect dir. */
#ifndef MMREPRO_HTML_H
#define MMREPRO_HTML_H

#include <stddef.h>
#include <stdio.h>

/* The most rows a chart draws; more are counted in its caption. */
#define HTML_MAX_ROWS 200

/* Text for HTML content and attribute values: markup and quotes become
 * entities, control bytes (ESC, CR, NUL, DEL, C1) and bidi overrides
 * become '?', invalid UTF-8 becomes U+FFFD, so guest text stays text. */
void html_escape(FILE *f, const char *s);
void html_escape_n(FILE *f, const char *s, size_t n);
/* A relative link target: every byte outside [A-Za-z0-9._~/-]
 * percent-encoded (no scheme can appear, no attribute can be left). */
void html_url(FILE *f, const char *path);

/* Grouped horizontal bars: one row per label, one bar per series in each
 * row, each row scaled to its own largest magnitude (counters differ by
 * orders of magnitude), with the value written beside each bar. */
struct html_bars {
	const char *title;
	const char *const *rows;     /* nrows labels */
	size_t nrows;
	const char *const *series;   /* nseries names, in the legend */
	size_t nseries;
	const double *values;        /* nrows * nseries, row-major */
};
void html_svg_bars(FILE *f, const struct html_bars *c);

/* Hit rate per row, with its 95% Wilson interval as an error bar. */
struct html_rate {
	const char *label;
	int hits, valid;
};
void html_svg_rates(FILE *f, const struct html_rate *r, size_t n);

enum html_phase { PHASE_PREPARE, PHASE_BOOT, PHASE_WORKLOAD, PHASE_POWEROFF, PHASE_COUNT };
/* One stacked bar of phase seconds per row, on a common time axis. */
struct html_phases {
	const char *label;
	double s[PHASE_COUNT];
};
void html_svg_timeline(FILE *f, const struct html_phases *p, size_t n);

/* The subtests of a kselftest run (its result.json object), if it has
 * any: counts, the failing ones, the others folded (html_subtests.c). */
struct json_object;
void html_subtests(FILE *f, struct json_object *run);

/* The page for dir, from the first of gate.json, bisect.json, verify.json
 * and result.json found there, written to f. Returns 0, or -1 with err
 * naming the file (and line) that is missing or malformed. */
int html_render_dir(FILE *f, const char *dir, char *err, size_t errlen);
/* dir/report.html, atomically. Returns 0 or -1 with err filled. */
int html_report_dir(const char *dir, char *err, size_t errlen);
/* The same at the end of a command: a failure is a warning on stderr, and
 * never changes the command's verdict. */
void html_write_report(const char *dir);

#endif
