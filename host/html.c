/* report.html: escaping, inline SVG charts, and the run/verify/gate/bisect pages made from a dir's JSON. */
#include "html.h"
#include "html_page.h"
#include "counters.h"
#include "series.h"
#include "stats.h"
#include "text.h"
#include "util.h"

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>

/* ---- escaping ------------------------------------------------------------ */

/* Marks that reorder text on screen: a console line must read as written. */
static bool is_bidi_control(unsigned cp)
{
	return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
	       cp == 0x200F || cp == 0x061C;
}

static void escape_ascii(FILE *f, unsigned char c)
{
	switch (c) {
	case '&': fputs("&amp;", f); return;
	case '<': fputs("&lt;", f); return;
	case '>': fputs("&gt;", f); return;
	case '"': fputs("&quot;", f); return;
	case '\'': fputs("&#39;", f); return;
	case '\n': case '\t': fputc(c, f); return;
	default: fputc(c < 0x20 || c == 0x7f ? '?' : c, f);
	}
}

void html_escape_n(FILE *f, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		unsigned cp = 0;
		size_t len;
		if (u[i] < 0x80) {
			escape_ascii(f, u[i++]);
			continue;
		}
		len = utf8_sequence_len(u + i, n - i, &cp);
		if (!len) {
			fputs("\xEF\xBF\xBD", f);
			i++;
			continue;
		}
		if (is_c1_control(cp) || is_bidi_control(cp))
			fputc('?', f);
		else
			fwrite(u + i, 1, len, f);
		i += len;
	}
}

void html_escape(FILE *f, const char *s)
{
	if (s)
		html_escape_n(f, s, strlen(s));
}

void html_url(FILE *f, const char *path)
{
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			     *p == '-' || *p == '.' || *p == '_' || *p == '~' || *p == '/';
		if (plain)
			fputc(*p, f);
		else
			fprintf(f, "%%%02X", *p);
	}
}

/* At most max characters of s (max >= 1), cut at a character boundary,
 * with an ellipsis when cut; callers put the whole text in a <title>. */
static void svg_label(FILE *f, const char *s, size_t max)
{
	size_t len = strlen(s), chars = 0, cut = len;

	for (size_t i = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xC0) == 0x80)
			continue;
		if (chars == max - 1)
			cut = i;
		chars++;
	}
	if (chars <= max)
		cut = len;
	html_escape_n(f, s, cut);
	if (cut < len)
		fputs("\xE2\x80\xA6", f);
}

/* ---- charts ---------------------------------------------------------------- */

enum { SVG_W = 760, PLOT_X = 250, PLOT_W = 380, LABEL_CHARS = 34, LEGEND_CHARS = 40 };
/* No red or green: in the tables those say bad and good, and a series is neither. */
static const char *const palette[] = { "#2e86de", "#e67e22", "#8e44ad", "#16a085",
				       "#7f8c8d", "#d35400", "#34495e", "#b7950b" };
#define PALETTE_N (sizeof(palette) / sizeof(palette[0]))

static double finite_or_zero(double v)
{
	return isfinite(v) ? v : 0;
}

/* Whole numbers and large ones without decimals, others to four digits. */
static void format_number(double v, char *buf, size_t len)
{
	v = finite_or_zero(v);
	if (fabs(v) < 1e15 && (v == floor(v) || fabs(v) >= 1000))
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.4g", v);
}

static void svg_open(FILE *f, double height)
{
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" viewBox=\"0 0 %d %.0f\" "
		"role=\"img\">\n", SVG_W, height, SVG_W, height);
}

static void figure_open(FILE *f, const char *title, size_t shown, size_t total)
{
	fputs("<figure><figcaption>", f);
	html_escape(f, title);
	if (shown < total)
		fprintf(f, " (the first %zu of %zu rows; all are in the JSON files)", shown, total);
	fputs("</figcaption>\n", f);
}

static void row_label(FILE *f, const char *label, double y)
{
	fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" dominant-baseline=\"middle\">", PLOT_X - 10, y);
	fputs("<title>", f);
	html_escape(f, label);
	fputs("</title>", f);
	svg_label(f, label, LABEL_CHARS);
	fputs("</text>\n", f);
}

static void legend(FILE *f, const char *const *names, const char *const *colors, size_t n)
{
	double x = PLOT_X;

	for (size_t i = 0; i < n; i++) {
		fprintf(f, "<rect x=\"%.0f\" y=\"6\" width=\"12\" height=\"12\" fill=\"%s\"/>", x, colors[i % PALETTE_N]);
		fprintf(f, "<text x=\"%.0f\" y=\"12\" dominant-baseline=\"middle\">", x + 16);
		svg_label(f, names[i], LEGEND_CHARS);
		fputs("</text>\n", f);
		x += 28 + 7.0 * (double)(strlen(names[i]) < LEGEND_CHARS ? strlen(names[i]) : LEGEND_CHARS);
	}
}

static bool any_negative(const struct html_bars *c, size_t rows)
{
	for (size_t i = 0; i < rows * c->nseries; i++)
		if (finite_or_zero(c->values[i]) < 0)
			return true;
	return false;
}

static void bars_row(FILE *f, const struct html_bars *c, size_t r, double y, double zero, double span)
{
	const double *v = c->values + r * c->nseries;
	double most = 0, bar_h = 12;
	char num[48];

	for (size_t s = 0; s < c->nseries; s++)
		most = fmax(most, fabs(finite_or_zero(v[s])));
	row_label(f, c->rows[r], y + (double)c->nseries * (bar_h + 2) / 2);
	for (size_t s = 0; s < c->nseries; s++) {
		double val = finite_or_zero(v[s]), w = most > 0 ? fabs(val) / most * span : 0;
		double x = val < 0 ? zero - w : zero, by = y + (double)s * (bar_h + 2);
		format_number(val, num, sizeof(num));
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" fill=\"%s\"><title>", x, by,
			w > 0 ? w : 0.5, bar_h, palette[s % PALETTE_N]);
		html_escape(f, c->series[s]);
		fprintf(f, ": %s</title></rect>", num);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" dominant-baseline=\"middle\" class=\"mute\">%s</text>\n",
			(val < 0 ? zero : x + w) + 4, by + bar_h / 2, num);
	}
}

void html_svg_bars(FILE *f, const struct html_bars *c)
{
	size_t rows = c->nrows < HTML_MAX_ROWS ? c->nrows : HTML_MAX_ROWS;
	double row_h = (double)c->nseries * 14 + 10, top = 30, height = top + (double)rows * row_h + 6;
	bool negative = any_negative(c, rows);
	double span = negative ? PLOT_W / 2.0 : PLOT_W, zero = PLOT_X + (negative ? span : 0);

	figure_open(f, c->title, rows, c->nrows);
	svg_open(f, height);
	legend(f, c->series, palette, c->nseries);
	for (size_t r = 0; r < rows; r++)
		bars_row(f, c, r, top + (double)r * row_h, zero, span);
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#59636e\"/>\n", zero, top - 4, zero,
		height - 4);
	if (!rows)
		fprintf(f, "<text x=\"%d\" y=\"%.0f\" class=\"mute\">no values</text>\n", PLOT_X + 6, top + 8);
	fputs("</svg></figure>\n", f);
}

/* Vertical grid lines at 0, 25, 50, 75 and 100 %. */
static void percent_grid(FILE *f, double top, double bottom)
{
	for (int pct = 0; pct <= 100; pct += 25) {
		double x = PLOT_X + PLOT_W * pct / 100.0;
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#d0d7de\"/>", x, top, x, bottom);
		fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\" class=\"mute\">%d%%</text>\n", x, top - 6,
			pct);
	}
}

static void rate_row(FILE *f, const struct html_rate *r, double y)
{
	struct interval ci;
	double rate, lo, hi, x;

	row_label(f, r->label, y);
	if (r->valid <= 0) {
		fprintf(f, "<text x=\"%d\" y=\"%.1f\" dominant-baseline=\"middle\" class=\"mute\">no valid run</text>\n",
			PLOT_X + 6, y);
		return;
	}
	ci = stats_wilson(r->hits, r->valid);
	rate = (double)r->hits / r->valid;
	lo = PLOT_X + PLOT_W * ci.lo, hi = PLOT_X + PLOT_W * ci.hi, x = PLOT_X + PLOT_W * rate;
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#1f2328\" stroke-width=\"1.5\"/>",
		lo, y, hi, y);
	for (int end = 0; end < 2; end++)
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#1f2328\" stroke-width=\"1.5\"/>",
			end ? hi : lo, y - 5, end ? hi : lo, y + 5);
	fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\"><title>%d of %d valid runs hit; 95%% "
		"interval %.0f-%.0f%%</title></circle>", x, y, r->hits ? "#c0392b" : "#27ae60", r->hits, r->valid,
		ci.lo * 100, ci.hi * 100);
	fprintf(f, "<text x=\"%d\" y=\"%.1f\" dominant-baseline=\"middle\">%d/%d (%.0f-%.0f%%)</text>\n",
		PLOT_X + PLOT_W + 12, y, r->hits, r->valid, ci.lo * 100, ci.hi * 100);
}

void html_svg_rates(FILE *f, const struct html_rate *r, size_t n)
{
	size_t rows = n < HTML_MAX_ROWS ? n : HTML_MAX_ROWS;
	double row_h = 24, top = 26, height = top + (double)rows * row_h + 8;

	figure_open(f, "Hit rate with its 95% Wilson interval", rows, n);
	svg_open(f, height);
	percent_grid(f, top, height - 4);
	for (size_t i = 0; i < rows; i++)
		rate_row(f, &r[i], top + row_h / 2 + (double)i * row_h);
	fputs("</svg></figure>\n", f);
}

static const char *const phase_names[PHASE_COUNT] = { "prepare", "boot", "workload", "power-off" };
static const char *const phase_colors[PHASE_COUNT] = { "#7f8c8d", "#2e86de", "#e67e22", "#8e44ad" };

/* A tick step of 1, 2 or 5 times a power of ten giving at most 8 ticks. */
static double tick_step(double most)
{
	static const double mult[] = { 1, 2, 5 };

	for (double base = 0.1; base < 1e300; base *= 10)
		for (int i = 0; i < 3; i++)
			if (most / (base * mult[i]) <= 8)
				return base * mult[i];
	return most;
}

static void time_axis(FILE *f, double most, double scale, double top, double bottom)
{
	double step = tick_step(most);

	for (int i = 0; i * step <= most * 1.0001 && i <= 20; i++) {
		double x = PLOT_X + i * step * scale;
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#d0d7de\"/>", x, top, x, bottom);
		fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\" class=\"mute\">%g s</text>\n", x,
			bottom + 14, i * step);
	}
}

static double phases_total(const struct html_phases *p)
{
	double t = 0;

	for (int k = 0; k < PHASE_COUNT; k++)
		t += fmax(0, finite_or_zero(p->s[k]));
	return t;
}

static void timeline_row(FILE *f, const struct html_phases *p, double y, double scale)
{
	double x = PLOT_X;

	row_label(f, p->label, y + 8);
	for (int k = 0; k < PHASE_COUNT; k++) {
		double s = fmax(0, finite_or_zero(p->s[k])), w = s * scale;
		if (w <= 0)
			continue;
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"16\" fill=\"%s\"><title>%s: %.2f s"
			"</title></rect>", x, y, w, phase_colors[k], phase_names[k], s);
		x += w;
	}
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" dominant-baseline=\"middle\" class=\"mute\">%.1f s</text>\n", x + 6,
		y + 8, phases_total(p));
}

void html_svg_timeline(FILE *f, const struct html_phases *p, size_t n)
{
	size_t rows = n < HTML_MAX_ROWS ? n : HTML_MAX_ROWS;
	double row_h = 24, top = 30, bottom = top + (double)rows * row_h, most = 0;

	for (size_t i = 0; i < rows; i++)
		most = fmax(most, phases_total(&p[i]));
	double scale = most > 0 ? PLOT_W / most : 0;
	figure_open(f, "Phases: prepare (initramfs), boot (QEMU start to the workload), workload, power-off", rows, n);
	svg_open(f, bottom + 24);
	legend(f, phase_names, phase_colors, PHASE_COUNT);
	if (most > 0)
		time_axis(f, most, scale, top, bottom);
	for (size_t i = 0; i < rows; i++)
		timeline_row(f, &p[i], top + (double)i * row_h + 4, scale);
	fputs("</svg></figure>\n", f);
}

#define MAX_CONSOLE_BYTES (256u << 20)

/* ---- test points: a dir of runs and its counts ------------------------------ */


static void rel_join(const char *rel, const char *name, char *out, size_t len)
{
	if (!rel[0] || !strcmp(rel, "."))
		snprintf(out, len, "%s", name);
	else
		snprintf(out, len, "%s/%s", rel, name);
}

/* Whether dir/rel stays under dir: rel comes from the JSON files (a row's
 * label, a variant's or a case's name), so it may say "../../etc" or
 * "/etc" (a link's href), or cross a symbolic link the results dir holds. */
static bool stays_inside(const char *dir, const char *rel)
{
	char path[PATH_MAX * 3];
	size_t n = (size_t)snprintf(path, sizeof(path), "%s", dir);
	struct stat st;

	if (*rel == '/')
		return false;
	for (const char *c = rel; *c && n < sizeof(path);) {
		size_t len = strcspn(c, "/");
		if (len == 2 && !strncmp(c, "..", 2))
			return false;
		if (len && !(len == 1 && *c == '.')) {
			n += (size_t)snprintf(path + n, sizeof(path) - n, "/%.*s", (int)len, c);
			if (n < sizeof(path) && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
				return false;
		}
		c += len + (c[len] == '/');
	}
	return n < sizeof(path);
}

/* dir/rel/name, or "" (no file) where it would leave dir. */
void path_in(const struct page *p, const char *rel, const char *name, char *out, size_t len)
{
	char r[PATH_MAX * 2];

	rel_join(rel, name, r, sizeof(r));
	if (stays_inside(p->dir, r))
		snprintf(out, len, "%s/%s", p->dir, r);
	else if (len)
		out[0] = '\0';
}

struct json_object *point_runs(const struct point *pt)
{
	return jarr(pt->doc, "runs");
}

static void tally_run(struct tally *t, struct json_object *run)
{
	const char *v = jstr(run, "verdict");

	t->runs++;
	if (v && !strcmp(v, "FAIL"))
		t->hits++;
	else if (v && !strcmp(v, "PASS"))
		t->clean++;
	else if (v && !strcmp(v, "CONF"))
		t->conf++;
	else if (v && !strcmp(v, "INTERRUPTED"))
		t->interrupted++;
	else
		t->infra++;
}

/* Takes doc (one run's result.json is wrapped as a list of one); the
 * counts are the page's own tally when it has one, else the runs'. */
static void point_take(struct point *pt, struct json_object *doc, struct json_object *tally)
{
	struct json_object *runs;

	if (doc && !jarr(doc, "runs") && jstr(doc, "verdict")) {
		struct json_object *wrap = json_object_new_object();
		runs = json_object_new_array();
		json_object_array_add(runs, doc);
		json_object_object_add(wrap, "runs", runs);
		doc = wrap;
		pt->single = true;
	}
	pt->doc = doc;
	memset(&pt->t, 0, sizeof(pt->t));
	if (tally && json_object_is_type(tally, json_type_object)) {
		stats_tally_from_json(tally, &pt->t);
		return;
	}
	runs = point_runs(pt);
	for (size_t i = 0; i < jlen(runs); i++)
		tally_run(&pt->t, jat(runs, i));
}

void point_load(const struct page *p, struct point *pt, struct json_object *tally)
{
	char path[PATH_MAX * 2 + 32], err[256] = "";

	path_in(p, pt->rel, "result.json", path, sizeof(path));
	point_take(pt, load_json(path, false, err, sizeof(err)), tally);
}

void points_free(struct point *pts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_object_put(pts[i].doc);
	free(pts);
}

/* The dir of one run: run-N under the point's dir, or (a quick suite's
 * summary) run-N under CASE-KERNEL with ':' and '/' made '_'. */
static void run_rel(const struct page *p, const struct point *pt, struct json_object *run, char *out, size_t len)
{
	char name[600], path[PATH_MAX * 3];

	if (pt->single) {
		snprintf(out, len, "%s", pt->rel);
		return;
	}
	snprintf(name, sizeof(name), "run-%d", jint(run, "run", 1));
	rel_join(pt->rel, name, out, len);
	path_in(p, out, "result.json", path, sizeof(path));
	if (file_exists(path) || !jstr(run, "case") || !jstr(run, "kernel"))
		return;
	snprintf(name, sizeof(name), "%s-%s", jstr(run, "case"), jstr(run, "kernel"));
	for (char *c = name + strlen(jstr(run, "case")) + 1; *c; c++)
		if (*c == ':' || *c == '/')
			*c = '_';
	snprintf(name + strlen(name), sizeof(name) - strlen(name), "/run-%d", jint(run, "run", 1));
	rel_join(pt->rel, name, out, len);
}

struct json_object *first_hit(const struct point *pt)
{
	struct json_object *runs = point_runs(pt);

	for (size_t i = 0; i < jlen(runs); i++) {
		const char *v = jstr(jat(runs, i), "verdict");
		if (v && !strcmp(v, "FAIL"))
			return jat(runs, i);
	}
	return NULL;
}

/* ---- page parts ------------------------------------------------------------ */

static const char css[] =
	":root{--ok:#1e7e34;--bad:#b42318;--warn:#9a6700;--ink:#1f2328;--mute:#59636e;--line:#d0d7de;--bg:#f6f8fa}"
	"*{box-sizing:border-box}"
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;color:var(--ink);"
	"margin:0;background:#fff}"
	"main{max-width:1080px;margin:0 auto;padding:22px 28px 40px}"
	"h1{font-size:22px;margin:0 0 10px;word-break:break-word}"
	"h2{font-size:17px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}"
	"h3{font-size:14px;margin:16px 0 6px}"
	".banner{padding:12px 16px;border-radius:6px;font-size:17px;font-weight:600;color:#fff;margin:8px 0 16px;"
	"word-break:break-word}"
	".banner.ok{background:var(--ok)}.banner.bad{background:var(--bad)}.banner.warn{background:var(--warn)}"
	"dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:3px 18px;margin:0}"
	"dl.facts dt{color:var(--mute)}dl.facts dd{margin:0;word-break:break-word}"
	"code,pre{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:12.5px}"
	"code.cmd{background:var(--bg);padding:2px 6px;border-radius:4px;border:1px solid var(--line)}"
	"ol.patches{margin:4px 0 0;padding-left:22px}"
	"table{border-collapse:collapse;width:100%;margin:6px 0}"
	"th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}"
	"th{background:var(--bg);font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums;"
	"white-space:nowrap}td.nowrap{white-space:nowrap}td.wrap{word-break:break-word}"
	".v-PASS,.v-good,.v-clean,.v-yes,.v-fixed{color:var(--ok);font-weight:600}"
	".v-FAIL,.v-bad,.v-regression,.v-no,.v-still-failing,.v-head-does-not-build,.v-series-does-not-apply"
	"{color:var(--bad);font-weight:600}"
	".v-CONF,.v-BROK,.v-skip,.v-INTERRUPTED,.v-ABANDONED,.v-RUNNING,.v-interrupted,.v-flaky-inconclusive,"
	".v-could-not-test,.v-changed{color:var(--warn);font-weight:600}"
	"pre.console{background:#0d1117;color:#e6edf3;padding:8px 0;border-radius:6px;overflow-x:auto;"
	"line-height:1.4;margin:8px 0}"
	"pre.console span.l{display:block;padding:0 12px;white-space:pre}"
	"pre.console span.hl{background:#4c1419;color:#fff;box-shadow:inset 3px 0 #f85149}"
	"pre.console span.n{color:#7d8590;display:inline-block;min-width:4.5em;user-select:none}"
	".hit .title{font-size:16px;font-weight:600;color:var(--bad);margin:4px 0 8px;word-break:break-word}"
	"ol.frames{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:12.5px}"
	"figure{margin:12px 0}figcaption{color:var(--mute);margin-bottom:4px}"
	"svg{max-width:100%;height:auto}svg text{font:12px system-ui,'DejaVu Sans',sans-serif;fill:#1f2328}"
	"svg text.mute{fill:#59636e}"
	".note{color:var(--mute)}"
	"footer{margin-top:36px;color:var(--mute);font-size:12px;border-top:1px solid var(--line);padding-top:8px}";

void page_open(struct page *p, const char *kind, const char *what)
{
	FILE *f = p->f;

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
	      "img-src data:\"/>\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
	      "<link rel=\"icon\" href=\"data:,\"/>\n<title>mmrepro ", f);
	html_escape(f, kind);
	fputs(": ", f);
	html_escape(f, what);
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body><main>\n<h1>mmrepro %s: ", css, kind);
	html_escape(f, what);
	fputs("</h1>\n", f);
}

void page_close(struct page *p)
{
	fputs("<footer>Made by <code>mmrepro report</code> from the JSON files in this directory "
	      "(<code>./run.sh report DIR</code> makes it again). No script, nothing fetched: the page can be "
	      "mailed as it is; its links lead to the files beside it.</footer>\n</main></body></html>\n", p->f);
}

size_t rows_shown(size_t n)
{
	return n < HTML_MAX_ROWS ? n : HTML_MAX_ROWS;
}

void note_more_rows(FILE *f, size_t n, const char *json_name)
{
	if (n > HTML_MAX_ROWS)
		fprintf(f, "<p class=\"note\">%zu more rows in %s.</p>\n", n - HTML_MAX_ROWS, json_name);
}

void banner(struct page *p, const char *cls, const char *text)
{
	fprintf(p->f, "<div class=\"banner %s\">", cls);
	html_escape(p->f, text);
	fputs("</div>\n", p->f);
}

void fact_open(FILE *f, const char *name)
{
	fputs("<dt>", f);
	html_escape(f, name);
	fputs("</dt><dd>", f);
}

void fact(FILE *f, const char *name, const char *value)
{
	if (!value || !*value)
		return;
	fact_open(f, name);
	html_escape(f, value);
	fputs("</dd>\n", f);
}

/* A verdict word as a class name: letters and digits, the rest '-'. */
void verdict_span(FILE *f, const char *v)
{
	fputs("<span class=\"v-", f);
	for (const char *c = v; *c; c++) {
		bool word = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9');
		fputc(word ? *c : '-', f);
	}
	fputs("\">", f);
	html_escape(f, v);
	fputs("</span>", f);
}

static void file_link(const struct page *p, const char *rel, const char *name, const char *text)
{
	char target[PATH_MAX * 2];
	FILE *f = p->f;

	rel_join(rel, name, target, sizeof(target));
	if (!stays_inside(p->dir, target)) {
		html_escape(f, text);
		return;
	}
	fputs("<a href=\"", f);
	html_url(f, target);
	fputs("\">", f);
	html_escape(f, text);
	fputs("</a>", f);
}

/* The host this page was written on, and when its JSON was written. */
void facts_host_date(FILE *f, const char *json_path)
{
	struct utsname u;
	struct stat st;
	struct tm tm;
	char text[512];

	if (!uname(&u)) {
		snprintf(text, sizeof(text), "%s (%s %s; where this page was written)", u.nodename, u.sysname, u.release);
		fact(f, "host", text);
	}
	if (!stat(json_path, &st) && localtime_r(&st.st_mtime, &tm) &&
	    strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S %z", &tm))
		fact(f, "date", text);
}

static void shell_word(FILE *f, const char *w)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-";

	if (*w && strspn(w, safe) == strlen(w)) {
		html_escape(f, w);
		return;
	}
	fputs("&#39;", f);
	for (const char *c = w; *c;) {
		size_t k = strcspn(c, "'");
		html_escape_n(f, c, k);
		c += k;
		if (*c == '\'') {
			fputs("&#39;\\&#39;&#39;", f);
			c++;
		}
	}
	fputs("&#39;", f);
}

/* "./run.sh" and the words (NULL ones left out, with the option before
 * them), shell-quoted. */
void fact_command(FILE *f, const char *const *words, size_t n)
{
	fact_open(f, "reproduce with");
	fputs("<code class=\"cmd\">./run.sh", f);
	for (size_t i = 0; i < n; i++) {
		bool option = words[i] && words[i][0] == '-' && words[i][1] == '-' && i + 1 < n;
		if (!words[i] || (option && !words[i + 1] && strcmp(words[i], "--all")))
			continue;
		fputc(' ', f);
		shell_word(f, words[i]);
	}
	fputs("</code></dd>\n", f);
}

void patch_item(FILE *f, const char *subject, const char *file)
{
	fputs("<li>", f);
	html_escape(f, subject);
	if (file) {
		fputs(" <span class=\"note\">(", f);
		html_escape(f, file);
		fputs(")</span>", f);
	}
	fputs("</li>\n", f);
}

/* The series path and, when it can still be read, its patches' subjects. */
static void series_list(FILE *f, const char *path)
{
	char full[PATH_MAX * 2], err[1024], subject[256];
	struct series s;

	html_escape(f, path);
	snprintf(full, sizeof(full), "%s%s%s", path[0] == '/' ? "" : repo_root(), path[0] == '/' ? "" : "/", path);
	memset(&s, 0, sizeof(s));
	if (series_load(full, &s, err, sizeof(err)) == 0) {
		fputs("<ol class=\"patches\">", f);
		for (int i = 0; i < s.npatches; i++) {
			const char *base = strrchr(s.patches[i], '/');
			series_patch_subject(s.patches[i], subject, sizeof(subject));
			patch_item(f, subject, base ? base + 1 : s.patches[i]);
		}
		fputs("</ol>", f);
		series_free(&s);
	}
}

void fact_series(FILE *f, const char *name, const char *path)
{
	if (!path)
		return;
	fact_open(f, name);
	series_list(f, path);
	fputs("</dd>\n", f);
}

void tally_text(const struct tally *t, char *buf, size_t len)
{
	int valid = stats_valid(t);
	struct interval ci = stats_wilson(t->hits, valid);

	if (valid)
		snprintf(buf, len, "%d/%d (%.0f-%.0f%%)", t->hits, valid, ci.lo * 100, ci.hi * 100);
	else
		snprintf(buf, len, "no valid run");
}

void cell(FILE *f, const char *cls, const char *text)
{
	fprintf(f, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	html_escape(f, text ? text : "");
	fputs("</td>", f);
}

void cell_verdict(FILE *f, const char *v)
{
	fputs("<td>", f);
	if (v)
		verdict_span(f, v);
	fputs("</td>", f);
}

void cell_seconds(FILE *f, struct json_object *o, const char *key)
{
	double s;
	char text[32] = "";

	if (jnum(o, key, &s))
		snprintf(text, sizeof(text), "%.1f", s);
	cell(f, "num", text);
}

/* ---- the report of a hit ----------------------------------------------------- */

enum { CONTEXT_LINES = 5, MAX_EXCERPT_LINES = 400, TAIL_LINES = 40, MAX_LINE_BYTES = 2000, MAX_ITEMS = 200 };

static void console_line(FILE *f, int n, const char *s, size_t len, bool hl)
{
	if (len && s[len - 1] == '\r')
		len--;
	fprintf(f, "<span class=\"l%s\"><span class=\"n\">%d</span>", hl ? " hl" : "", n);
	html_escape_n(f, s, len > MAX_LINE_BYTES ? MAX_LINE_BYTES : len);
	if (len > MAX_LINE_BYTES)
		fprintf(f, " [%zu more bytes]", len - MAX_LINE_BYTES);
	fputs("\n</span>", f);
}

static int count_lines(const char *text, size_t len)
{
	int n = len && text[len - 1] != '\n';

	for (const char *c = text; (c = memchr(c, '\n', len - (size_t)(c - text))); c++)
		n++;
	return n;
}

/* The report's lines (start..end, 1-based) with some context, or the tail
 * of the console when the run has no report lines. */
static void console_excerpt(struct page *p, const char *rel, int start, int end)
{
	char path[PATH_MAX * 3];
	size_t len;
	char *text;
	int total, from, to, n = 1;

	path_in(p, rel, "console.log", path, sizeof(path));
	if (!(text = read_file_limited(path, MAX_CONSOLE_BYTES, &len))) {
		fprintf(p->f, "<p class=\"note\">console.log: %s</p>\n", strerror(errno));
		return;
	}
	total = count_lines(text, len);
	end = end < start ? start : end;
	from = start > 0 ? (start > CONTEXT_LINES ? start - CONTEXT_LINES : 1) : (total > TAIL_LINES ? total - TAIL_LINES + 1 : 1);
	to = start > 0 ? end + CONTEXT_LINES : total;
	to = to - from >= MAX_EXCERPT_LINES ? from + MAX_EXCERPT_LINES - 1 : to;
	fprintf(p->f, "<h3>%s</h3>\n<pre class=\"console\">", start > 0 ? "Console, the report highlighted" :
		"The end of the console");
	for (const char *c = text; c < text + len && n <= to; n++) {
		const char *nl = memchr(c, '\n', len - (size_t)(c - text));
		size_t l = nl ? (size_t)(nl - c) : len - (size_t)(c - text);
		if (n >= from)
			console_line(p->f, n, c, l, start > 0 && n >= start && n <= end);
		c += l + 1;
	}
	fputs("</pre>\n", p->f);
	if (start > 0 && to < end)
		fprintf(p->f, "<p class=\"note\">The report goes on to line %d; see console.log.</p>\n", end);
	free(text);
}

static const char *first_str(struct json_object *o, const char *const *keys)
{
	for (; *keys; keys++)
		if (jstr(o, *keys))
			return jstr(o, *keys);
	return NULL;
}

/* One decoded frame: a string, or an object with a function and file:line. */
static void frame_item(FILE *f, struct json_object *fr)
{
	static const char *const fn_keys[] = { "function", "func", "symbol", "name", NULL };
	static const char *const file_keys[] = { "file", "path", "source", NULL };
	const char *fn = first_str(fr, fn_keys), *file = first_str(fr, file_keys);
	double line;

	fputs("<li>", f);
	if (json_object_is_type(fr, json_type_string))
		html_escape(f, json_object_get_string(fr));
	else if (!fn && !file)
		html_escape(f, json_object_to_json_string_ext(fr, JSON_C_TO_STRING_PLAIN));
	if (fn)
		html_escape(f, fn);
	if (file) {
		fputs(fn ? " <span class=\"note\">" : "<span class=\"note\">", f);
		html_escape(f, file);
		if (jnum(fr, "line", &line))
			fprintf(f, ":%.0f", line);
		else if (jstr(fr, "line")) {
			fputc(':', f);
			html_escape(f, jstr(fr, "line"));
		}
		fputs("</span>", f);
	}
	if (jbool(fr, "inlined") || jbool(fr, "inline"))
		fputs(" <span class=\"note\">(inlined)</span>", f);
	fputs("</li>\n", f);
}

/* Decoded frames: an array of frames, or a string saying why there are none. */
static void frames_list(FILE *f, struct json_object *d)
{
	size_t n = jlen(d);

	if (d && json_object_is_type(d, json_type_string)) {
		fputs("<p class=\"note\">", f);
		html_escape(f, json_object_get_string(d));
		fputs("</p>\n", f);
		return;
	}
	if (!n)
		return;
	fputs("<h3>Decoded trace</h3>\n<ol class=\"frames\">\n", f);
	for (size_t i = 0; i < n && i < MAX_ITEMS; i++)
		frame_item(f, jat(d, i));
	fputs("</ol>\n", f);
	if (n > MAX_ITEMS)
		fprintf(f, "<p class=\"note\">%zu more frames in result.json</p>\n", n - MAX_ITEMS);
}

static struct json_object *report_frames(struct json_object *rep)
{
	struct json_object *d = jget(rep, "decoded");

	return d ? d : jget(rep, "frames");
}

static void report_item(FILE *f, struct json_object *rep)
{
	const char *title = jstr(rep, "title"), *frame = jstr(rep, "guilty_frame");

	fputs("<li>", f);
	html_escape(f, title ? title : "(untitled report)");
	if (frame) {
		fputs(" <span class=\"note\">guilty frame ", f);
		html_escape(f, frame);
		fputs("</span>", f);
	}
	if (jint(rep, "start_line", 0) > 0)
		fprintf(f, " <span class=\"note\">console lines %d-%d</span>", jint(rep, "start_line", 0),
			jint(rep, "end_line", jint(rep, "start_line", 0)));
	if (jbool(rep, "corrupted"))
		fputs(" <span class=\"v-CONF\">corrupted</span>", f);
	if (jlen(report_frames(rep))) {
		fputs("<details><summary>decoded trace</summary>", f);
		frames_list(f, report_frames(rep));
		fputs("</details>", f);
	}
	fputs("</li>\n", f);
}

/* Every report of the run but the one shown, or the boot-time report
 * that result.json keeps apart. */
static void other_reports(FILE *f, struct json_object *run)
{
	struct json_object *reps = jarr(run, "reports");
	int shown = jint(run, "report_start_line", 0);
	size_t listed = 0;

	for (size_t i = 0; i < jlen(reps); i++) {
		struct json_object *rep = jat(reps, i);
		if (shown ? jint(rep, "start_line", 0) == shown : i == 0)
			continue;
		if (!listed++)
			fputs("<h3>The run's other reports</h3>\n<ul>\n", f);
		report_item(f, rep);
	}
	if (listed)
		fputs("</ul>\n", f);
	if (!reps && jstr(run, "boot_report_title")) {
		fputs("<h3>The run's other reports</h3>\n<ul><li>", f);
		html_escape(f, jstr(run, "boot_report_title"));
		fprintf(f, " <span class=\"note\">before the workload, console line %d</span></li></ul>\n",
			jint(run, "boot_report_start_line", 0));
	}
}

static void workload_checks(FILE *f, struct json_object *run)
{
	struct json_object *results = jarr(jget(run, "workload"), "results");
	size_t n = jlen(results);

	if (!n)
		return;
	fputs("<h3>The workload's checks</h3>\n<ul>\n", f);
	for (size_t i = 0; i < n && i < MAX_ITEMS; i++) {
		struct json_object *r = jat(results, i);
		fputs("<li>", f);
		verdict_span(f, jstr(r, "verdict") ? jstr(r, "verdict") : "?");
		fputc(' ', f);
		html_escape(f, jstr(r, "message"));
		fputs("</li>\n", f);
	}
	fputs("</ul>\n", f);
	if (n > MAX_ITEMS)
		fprintf(f, "<p class=\"note\">%zu more checks in result.json</p>\n", n - MAX_ITEMS);
}

static void hit_facts(FILE *f, struct json_object *run, const char *title)
{
	char text[64];

	fputs("<dl class=\"facts\">\n", f);
	fact(f, "guilty frame", jstr(run, "guilty_frame"));
	snprintf(text, sizeof(text), "%d", jint(run, "run", 1));
	fact(f, "run", text);
	if (jstr(run, "reason") && strcmp(jstr(run, "reason"), title))
		fact(f, "reason", jstr(run, "reason"));
	fact(f, "console ended", jstr(run, "console_end"));
	fputs("</dl>\n", f);
}

/* One run's report: its title, guilty frame, the console around the
 * report (or its end), the decoded trace, the workload's checks, and the
 * other reports. */
static void section_run_report(struct page *p, const struct point *pt, struct json_object *run, const char *heading)
{
	struct json_object *decoded;
	const char *title;
	char rel[PATH_MAX * 2];

	if (!run)
		return;
	run_rel(p, pt, run, rel, sizeof(rel));
	title = jstr(run, "title") ? jstr(run, "title") : jstr(run, "reason") ? jstr(run, "reason") : "(no title)";
	fputs("<section class=\"hit\">\n<h2>", p->f);
	html_escape(p->f, heading);
	fputs("</h2>\n<p class=\"title\">", p->f);
	html_escape(p->f, title);
	fputs("</p>\n", p->f);
	hit_facts(p->f, run, title);
	console_excerpt(p, rel, jint(run, "report_start_line", 0), jint(run, "report_end_line", 0));
	decoded = jget(run, "decoded") ? jget(run, "decoded") : report_frames(jat(jarr(run, "reports"), 0));
	frames_list(p->f, decoded);
	workload_checks(p->f, run);
	other_reports(p->f, run);
	fputs("<p>", p->f);
	file_link(p, rel, "console.log", "the full console.log");
	fputs(" · ", p->f);
	file_link(p, rel, "result.json", "result.json");
	fputs("</p>\n</section>\n", p->f);
}

void section_hit(struct page *p, const struct point *pt, const char *heading)
{
	section_run_report(p, pt, first_hit(pt), heading);
}

/* Without a hit, the first run that did not pass says why it could not test. */
static void section_first_untested(struct page *p, const struct point *pt, const char *heading)
{
	struct json_object *runs = point_runs(pt);

	if (first_hit(pt))
		return;
	for (size_t i = 0; i < jlen(runs); i++) {
		const char *v = jstr(jat(runs, i), "verdict");
		if (v && strcmp(v, "PASS")) {
			section_run_report(p, pt, jat(runs, i), heading);
			return;
		}
	}
}

/* ---- chart sections -------------------------------------------------------- */

void section_rates(struct page *p, const struct point *pts, size_t n)
{
	struct html_rate *r = xcalloc(n + 1, sizeof(*r));
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (pts[i].t.runs > 0)
			r[k++] = (struct html_rate){ pts[i].label, pts[i].t.hits, stats_valid(&pts[i].t) };
	if (k) {
		fputs("<h2>Hit rate</h2>\n", p->f);
		html_svg_rates(p->f, r, k);
	}
	free(r);
}

static bool run_phases(struct json_object *run, double s[PHASE_COUNT])
{
	struct json_object *sec = jget(run, "seconds");
	double total;

	if (!jnum(sec, "total", &total))
		return false;
	s[PHASE_PREPARE] = jnum(sec, "prepare", &s[PHASE_PREPARE]) ? fmax(0, s[PHASE_PREPARE]) : 0;
	s[PHASE_BOOT] = jnum(sec, "boot", &s[PHASE_BOOT]) ? fmax(0, s[PHASE_BOOT]) : 0;
	s[PHASE_WORKLOAD] = jnum(sec, "workload", &s[PHASE_WORKLOAD]) ? fmax(0, s[PHASE_WORKLOAD]) : 0;
	s[PHASE_POWEROFF] = fmax(0, total - s[PHASE_PREPARE] - s[PHASE_BOOT] - s[PHASE_WORKLOAD]);
	return true;
}

/* The mean phases over a point's runs that have them. */
static bool point_phases(const struct point *pt, double s[PHASE_COUNT])
{
	struct json_object *runs = point_runs(pt);
	double one[PHASE_COUNT];
	int n = 0;

	memset(s, 0, sizeof(double) * PHASE_COUNT);
	for (size_t i = 0; i < jlen(runs); i++) {
		if (!run_phases(jat(runs, i), one))
			continue;
		for (int k = 0; k < PHASE_COUNT; k++)
			s[k] += one[k];
		n++;
	}
	for (int k = 0; n && k < PHASE_COUNT; k++)
		s[k] /= n;
	return n > 0;
}

void section_timeline(struct page *p, const struct point *pts, size_t n)
{
	struct html_phases *ph = xcalloc(n + 1, sizeof(*ph));
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (point_phases(&pts[i], ph[k].s))
			ph[k++].label = pts[i].label;
	if (k) {
		fputs("<h2>Timeline, mean seconds per run</h2>\n", p->f);
		html_svg_timeline(p->f, ph, k);
	}
	free(ph);
}

/* One row per run of a single point. */
static void section_run_timeline(struct page *p, const struct point *pt, bool mixed)
{
	struct json_object *runs = point_runs(pt);
	size_t n = jlen(runs), k = 0;
	struct html_phases *ph = xcalloc(n + 1, sizeof(*ph));
	char (*labels)[64] = xcalloc(n + 1, sizeof(*labels));

	for (size_t i = 0; i < n; i++) {
		if (!run_phases(jat(runs, i), ph[k].s))
			continue;
		struct json_object *run = jat(runs, i);
		const char *c = mixed && jstr(run, "case") ? jstr(run, "case") : "";
		const char *k_spec = mixed && jstr(run, "kernel") ? jstr(run, "kernel") : "";
		snprintf(labels[k], sizeof(labels[k]), "%.30s%s%.16s%srun %d %s", c, *c ? " " : "", k_spec,
			 *k_spec ? " " : "", jint(run, "run", (int)i + 1), jstr(run, "verdict") ? jstr(run, "verdict") : "");
		ph[k].label = labels[k];
		k++;
	}
	if (k) {
		fputs("<h2>Timeline</h2>\n", p->f);
		html_svg_timeline(p->f, ph, k);
	}
	free(ph);
	free(labels);
}

/* ---- vmstat counters ----------------------------------------------------------- */

/* The run's declared counters (result.json "counters"), or the mm
 * counters (counters_is_mm: the list gate compares too) when a case
 * declares none. All of vmstat_delta stays in result.json. */
static bool charted_counter(struct json_object *run, const char *name)
{
	struct json_object *declared = jget(run, "counters");

	if (!declared || !json_object_is_type(declared, json_type_array))
		return counters_is_mm(name);
	for (size_t i = 0; i < jlen(declared); i++) {
		const char *d = json_object_get_string(jat(declared, i));
		if (d && !strcmp(d, name))
			return true;
	}
	return false;
}

struct counters {
	char **name;
	double *sum;
	size_t n, cap, dropped;
	int runs;           /* runs that sent a vmstat delta */
};

enum { MAX_COUNTERS = 4 * HTML_MAX_ROWS };

static void counters_add(struct counters *c, const char *name, double v)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->name[i], name)) {
			c->sum[i] += v;
			return;
		}
	if (c->n >= MAX_COUNTERS) {
		c->dropped++;
		return;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->name = xrealloc(c->name, c->cap * sizeof(*c->name));
		c->sum = xrealloc(c->sum, c->cap * sizeof(*c->sum));
	}
	c->name[c->n] = xstrdup(name);
	c->sum[c->n++] = v;
}

static void counters_free(struct counters *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->name[i]);
	free(c->name);
	free(c->sum);
	memset(c, 0, sizeof(*c));
}

/* A run's workload result: in result.json, else the guest's own file. */
static struct json_object *run_workload(const struct page *p, const struct point *pt, struct json_object *run,
					struct json_object **owned)
{
	char rel[PATH_MAX * 2], path[PATH_MAX * 3], err[256];

	*owned = NULL;
	if (jget(run, "workload"))
		return jget(run, "workload");
	run_rel(p, pt, run, rel, sizeof(rel));
	path_in(p, rel, "guest/workload.json", path, sizeof(path));
	return *owned = load_json(path, false, err, sizeof(err));
}

static void point_counters(const struct page *p, const struct point *pt, struct counters *c)
{
	struct json_object *runs = point_runs(pt);

	for (size_t i = 0; i < jlen(runs); i++) {
		struct json_object *owned, *w = run_workload(p, pt, jat(runs, i), &owned);
		struct json_object *vm = jget(w, "vmstat_delta");
		if (vm && json_object_is_type(vm, json_type_object)) {
			c->runs++;
			json_object_object_foreach(vm, key, val) {
				bool number = json_object_is_type(val, json_type_int) ||
					      json_object_is_type(val, json_type_double);
				if (number && charted_counter(jat(runs, i), key))
					counters_add(c, key, finite_or_zero(json_object_get_double(val)));
			}
		}
		json_object_put(owned);
	}
}

static double counter_mean(const struct counters *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->name[i], name))
			return c->runs ? c->sum[i] / c->runs : 0;
	return 0;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The counters any series has, sorted, once each, where one is nonzero. */
static size_t counter_rows(const struct counters *c, size_t ns, const char ***rows)
{
	size_t total = 0, n = 0;

	for (size_t s = 0; s < ns; s++)
		total += c[s].n;
	*rows = xcalloc(total + 1, sizeof(**rows));
	for (size_t s = 0; s < ns; s++)
		for (size_t i = 0; i < c[s].n; i++)
			(*rows)[n++] = c[s].name[i];
	qsort(*rows, n, sizeof(**rows), compare_names);
	total = 0;
	for (size_t i = 0; i < n; i++) {
		bool nonzero = false;
		if (total && !strcmp((*rows)[total - 1], (*rows)[i]))
			continue;
		for (size_t s = 0; s < ns; s++)
			nonzero |= counter_mean(&c[s], (*rows)[i]) != 0;
		if (nonzero)
			(*rows)[total++] = (*rows)[i];
	}
	return total;
}

static void counters_chart(FILE *f, const char *title, const struct counters *c, const char *const *series,
			   size_t ns)
{
	const char **rows;
	size_t nrows = counter_rows(c, ns, &rows), dropped = 0;
	double *values = xcalloc(nrows * ns + 1, sizeof(double));

	for (size_t r = 0; r < nrows; r++)
		for (size_t s = 0; s < ns; s++)
			values[r * ns + s] = counter_mean(&c[s], rows[r]);
	for (size_t s = 0; s < ns; s++)
		dropped += c[s].dropped;
	struct html_bars chart = { title, rows, nrows, series, ns, values };
	html_svg_bars(f, &chart);
	if (dropped)
		fprintf(f, "<p class=\"note\">%zu counter names beyond the first %d of a series are not drawn.</p>\n",
			dropped, MAX_COUNTERS);
	free(values);
	free(rows);
}

/* The mm counters of the given points (those with a workload delta), the
 * mean per run, side by side: the kernel under test against the fixed. */
void section_counters(struct page *p, const char *heading, bool folded, const struct point *const *pts,
			     size_t n)
{
	struct counters *c = xcalloc(n + 1, sizeof(*c));
	const char **series = xcalloc(n + 1, sizeof(*series)), **rows;
	size_t ns = 0, nrows, missing = 0;
	char *none = NULL;
	size_t none_len;
	FILE *nf = open_memstream(&none, &none_len);

	for (size_t i = 0; i < n; i++) {
		point_counters(p, pts[i], &c[ns]);
		if (c[ns].runs) {
			series[ns++] = pts[i]->label;
			continue;
		}
		counters_free(&c[ns]);
		fputs(missing++ ? ", " : "", nf);
		html_escape(nf, pts[i]->label);
	}
	fclose(nf);
	nrows = counter_rows(c, ns, &rows);
	free(rows);
	if (ns) {
		fputs(folded ? "<details><summary>" : "<h2>", p->f);
		html_escape(p->f, heading);
		fputs(folded ? "</summary>\n" : "</h2>\n", p->f);
		if (nrows)
			counters_chart(p->f, "/proc/vmstat deltas over the workload, mean per run, mm counters that "
				       "moved; each row is scaled to its largest value", c, series, ns);
		else
			fputs("<p class=\"note\">No mm counter moved during the workload.</p>\n", p->f);
		if (missing)
			fprintf(p->f, "<p class=\"note\">No workload result (so no counters) from: %s.</p>\n", none);
		if (folded)
			fputs("</details>\n", p->f);
	}
	for (size_t s = 0; s < ns; s++)
		counters_free(&c[s]);
	free(c);
	free(series);
	free(none);
}

/* Every counter of a run, for the curious, folded away. */
static void section_all_counters(struct page *p, const struct point *pt)
{
	struct json_object *runs = point_runs(pt);

	for (size_t i = 0; i < jlen(runs); i++) {
		struct json_object *owned, *w = run_workload(p, pt, jat(runs, i), &owned);
		struct json_object *vm = jget(w, "vmstat_delta");
		size_t rows = 0;
		if (vm && json_object_is_type(vm, json_type_object)) {
			fprintf(p->f, "<details><summary>Every /proc/vmstat delta of run %d</summary>\n<table>\n"
				"<tr><th>counter</th><th>delta</th></tr>\n", jint(jat(runs, i), "run", (int)i + 1));
			json_object_object_foreach(vm, key, val) {
				if (rows++ >= MAX_COUNTERS)
					continue;
				fputs("<tr>", p->f);
				cell(p->f, NULL, key);
				cell(p->f, "num", json_object_get_string(val));
				fputs("</tr>\n", p->f);
			}
			fputs("</table>", p->f);
			if (rows > MAX_COUNTERS)
				fprintf(p->f, "<p class=\"note\">%zu more in result.json</p>", rows - MAX_COUNTERS);
			fputs("</details>\n", p->f);
		}
		json_object_put(owned);
		if (rows)
			return;
	}
}

/* ---- the run page ------------------------------------------------------------ */

bool same_or_both_null(const char *a, const char *b)
{
	return a && b ? !strcmp(a, b) : a == b;
}

/* Runs of several cases or kernels: the quick suite's summary. */
static bool runs_mixed(const struct point *pt)
{
	struct json_object *runs = point_runs(pt), *first = jat(runs, 0);

	for (size_t i = 1; i < jlen(runs); i++)
		if (!same_or_both_null(jstr(first, "case"), jstr(jat(runs, i), "case")) ||
		    !same_or_both_null(jstr(first, "kernel"), jstr(jat(runs, i), "kernel")))
			return true;
	return false;
}

static void run_banner(struct page *p, const struct tally *t, struct json_object *first, bool mixed)
{
	char text[600];

	if (mixed && !t->hits && !t->infra && !t->interrupted) {
		/* The suite passes on CONF: an honest "not supported here". */
		snprintf(text, sizeof(text), "no bug: %d passed, %d not supported here (CONF)", t->clean, t->conf);
		banner(p, "ok", text);
		return;
	}
	if (t->hits)
		snprintf(text, sizeof(text), "BUG HIT in %d of %d runs: %.400s", t->hits, t->runs,
			 jstr(first, "title") ? jstr(first, "title") : jstr(first, "reason") ? jstr(first, "reason") : "");
	else if (t->interrupted)
		snprintf(text, sizeof(text), "interrupted after %d runs", t->runs);
	else if (t->runs && t->clean == t->runs)
		snprintf(text, sizeof(text), "no bug: %d of %d runs passed", t->clean, t->runs);
	else
		snprintf(text, sizeof(text), "could not test: %d of %d runs CONF or BROK (%.400s)", t->conf + t->infra,
			 t->runs, jstr(first, "reason") ? jstr(first, "reason") : "no run");
	banner(p, t->hits ? "bad" : t->runs && t->clean == t->runs ? "ok" : "warn", text);
}

static void run_facts(struct page *p, const struct point *pt, struct json_object *first, const char *json_path,
		      bool mixed)
{
	FILE *f = p->f;
	char runs[16];

	snprintf(runs, sizeof(runs), "%d", pt->t.runs > 0 ? pt->t.runs : 1);
	fputs("<dl class=\"facts\">\n", f);
	if (mixed) {
		fact(f, "accelerator", jstr(first, "accel_reason"));
		facts_host_date(f, json_path);
		fact_command(f, (const char *const[]){ "quick" }, 1);
		fputs("</dl>\n", f);
		return;
	}
	fact(f, "case", jstr(first, "case"));
	fact(f, "variant", jstr(first, "variant"));
	fact(f, "kernel", jstr(first, "kernel"));
	fact(f, "kernel release", jstr(first, "kernel_release"));
	fact_series(f, "series", jstr(first, "series"));
	fact(f, "fix it guards", jstr(first, "fix"));
	fact(f, "accelerator", jstr(first, "accel_reason") ? jstr(first, "accel_reason") : jstr(first, "accel"));
	fact(f, "VM backend", jstr(first, "backend"));
	facts_host_date(f, json_path);
	const char *words[] = { "run", jstr(first, "case"), "--kernel", jstr(first, "kernel"), "--series",
				jstr(first, "series"), "--runs", runs };
	fact_command(f, words, sizeof(words) / sizeof(words[0]));
	fputs("</dl>\n", f);
}

static void run_table(struct page *p, const struct point *pt, bool mixed)
{
	struct json_object *runs = point_runs(pt);
	char rel[PATH_MAX * 2], num[16];

	fprintf(p->f, "<h2>Runs</h2>\n<table>\n<tr>%s<th>run</th><th>verdict</th><th>title or reason</th>"
		"<th>seconds</th><th>ran on</th><th>files</th></tr>\n", mixed ? "<th>case</th><th>kernel</th>" : "");
	for (size_t i = 0; i < rows_shown(jlen(runs)); i++) {
		struct json_object *run = jat(runs, i);
		snprintf(num, sizeof(num), "%d", jint(run, "run", (int)i + 1));
		run_rel(p, pt, run, rel, sizeof(rel));
		fputs("<tr>", p->f);
		if (mixed) {
			cell(p->f, NULL, jstr(run, "case"));
			cell(p->f, "nowrap", jstr(run, "kernel"));
		}
		cell(p->f, "num", num);
		cell_verdict(p->f, jstr(run, "verdict"));
		cell(p->f, "wrap", jstr(run, "title") ? jstr(run, "title") : jstr(run, "reason"));
		cell_seconds(p->f, jget(run, "seconds"), "total");
		cell(p->f, "nowrap", jstr(run, "host"));
		fputs("<td>", p->f);
		file_link(p, rel, "console.log", "console.log");
		fputs("</td></tr>\n", p->f);
	}
	fputs("</table>\n", p->f);
	note_more_rows(p->f, jlen(runs), "result.json");
}

static int page_run(struct page *p)
{
	struct point *pt = xcalloc(1, sizeof(*pt));
	char path[PATH_MAX * 2], what[600];
	struct json_object *doc, *first;
	bool mixed;

	path_in(p, ".", "result.json", path, sizeof(path));
	if (!(doc = load_json(path, true, p->err, p->errlen))) {
		free(pt);
		return -1;
	}
	snprintf(pt->label, sizeof(pt->label), "this kernel");
	snprintf(pt->rel, sizeof(pt->rel), ".");
	point_take(pt, doc, NULL);
	first = jat(point_runs(pt), 0);
	mixed = runs_mixed(pt);
	snprintf(what, sizeof(what), "%.200s on %.300s", jstr(first, "case") ? jstr(first, "case") : "(no runs)",
		 jstr(first, "kernel") ? jstr(first, "kernel") : "?");
	if (mixed)
		snprintf(what, sizeof(what), "the quick suite, %d runs", pt->t.runs);
	page_open(p, "run", what);
	run_banner(p, &pt->t, first_hit(pt) ? first_hit(pt) : first, mixed);
	run_facts(p, pt, first, path, mixed);
	run_table(p, pt, mixed);
	html_subtests(p->f, first_hit(pt) ? first_hit(pt) : first);
	section_hit(p, pt, "The first hit");
	section_first_untested(p, pt, "The first run that did not pass");
	if (!mixed) {
		/* Rates and counters of different cases do not add up. */
		section_rates(p, pt, 1);
		section_counters(p, "Key counters", false, (const struct point *const[]){ pt }, 1);
	}
	section_run_timeline(p, pt, mixed);
	if (!mixed)
		section_all_counters(p, pt);
	page_close(p);
	points_free(pt, 1);
	return 0;
}

/* ---- the verify page --------------------------------------------------------- */

/* "hit 3/3", or a mix such as "hit 2/3 pass 1/3", from a variant's tally. */
static void got_text(const struct tally *t, char *buf, size_t len)
{
	const struct { const char *name; int n; } kinds[] = {
		{ "hit", t->hits }, { "other crash", t->other_crash }, { "pass", t->clean }, { "conf", t->conf },
		{ "brok", t->infra }, { "interrupted", t->interrupted },
	};
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && used < len; i++)
		if (kinds[i].n)
			used += (size_t)snprintf(buf + used, len - used, "%s%s %d/%d", used ? " " : "", kinds[i].name,
						 kinds[i].n, t->runs);
	if (!used)
		snprintf(buf, len, "no run");
}

static void verify_banner(struct page *p, struct json_object *variants)
{
	char text[600] = "";
	size_t bad = 0, used = 0;

	for (size_t i = 0; i < jlen(variants); i++) {
		if (jbool(jat(variants, i), "matches"))
			continue;
		if (used < sizeof(text))
			used += (size_t)snprintf(text + used, sizeof(text) - used, "%s%s", bad ? ", " : "",
						 jstr(jat(variants, i), "variant") ? jstr(jat(variants, i), "variant") : "?");
		bad++;
	}
	if (!jlen(variants)) {
		banner(p, "warn", "no variant was run");
	} else if (bad) {
		char full[700];
		snprintf(full, sizeof(full), "NOT AS EXPECTED: %zu of %zu variants (%s)", bad, jlen(variants), text);
		banner(p, "bad", full);
	} else {
		snprintf(text, sizeof(text), "every variant as expected (%zu of %zu)", jlen(variants), jlen(variants));
		banner(p, "ok", text);
	}
}

/* Each variant's series, when any has one. */
static void verify_series(FILE *f, struct json_object *variants, const struct point *pts, size_t n)
{
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		struct json_object *first = jat(point_runs(&pts[i]), 0);
		const char *series = jstr(first, "series") ? jstr(first, "series") : jstr(jat(variants, i), "series");
		if (!series)
			continue;
		if (!any)
			fact_open(f, "series");
		any = true;
		fputs("<div><b>", f);
		html_escape(f, pts[i].label);
		fputs("</b>: ", f);
		series_list(f, series);
		fputs("</div>", f);
	}
	if (any)
		fputs("</dd>\n", f);
}

static void verify_facts(struct page *p, struct json_object *doc, const struct point *pts, size_t n,
			 const char *json_path)
{
	FILE *f = p->f;
	const char *accel = NULL;
	char runs[16];
	int most = 1;

	fputs("<dl class=\"facts\">\n", f);
	fact(f, "case", jstr(doc, "case"));
	verify_series(f, jarr(doc, "variants"), pts, n);
	for (size_t i = 0; i < n; i++) {
		accel = accel ? accel : jstr(jat(point_runs(&pts[i]), 0), "accel_reason");
		most = pts[i].t.runs > most ? pts[i].t.runs : most;
	}
	fact(f, "accelerator", accel);
	facts_host_date(f, json_path);
	snprintf(runs, sizeof(runs), "%d", most);
	/* One variant: verify --variant ran it (or the case has no other). */
	const char *words[] = { "verify", jstr(doc, "case"), "--runs", runs, "--variant", n == 1 ? pts[0].label : NULL };
	fact_command(f, words, 6);
	fputs("</dl>\n", f);
}

static void verify_row(FILE *f, struct json_object *v, const struct point *pt)
{
	char got[200], hits[64];
	double s;

	const char *release = jstr(jat(point_runs(pt), 0), "kernel_release");

	got_text(&pt->t, got, sizeof(got));
	tally_text(&pt->t, hits, sizeof(hits));
	fputs("<tr>", f);
	cell(f, NULL, pt->label);
	fputs("<td class=\"nowrap\">", f);
	html_escape(f, jstr(v, "kernel"));
	if (release) {
		fputs("<br/><span class=\"note\">", f);
		html_escape(f, release);
		fputs("</span>", f);
	}
	fputs("</td>", f);
	cell(f, NULL, jstr(v, "expect"));
	cell(f, "nowrap", got);
	cell(f, "num", hits);
	snprintf(got, sizeof(got), "%.1f", jnum(v, "seconds_per_run", &s) ? s : 0);
	cell(f, "num", jnum(v, "seconds_per_run", &s) ? got : "");
	fputs("<td>", f);
	verdict_span(f, jbool(v, "matches") ? "yes" : "no");
	if (jbool(v, "flaky"))
		fputs(" <span class=\"v-CONF\">FLAKY</span>", f);
	fputs("</td>", f);
	cell(f, "wrap", pt->t.hit_title[0] ? pt->t.hit_title : jstr(v, "reason"));
	fputs("</tr>\n", f);
}

static int page_verify(struct page *p)
{
	char path[PATH_MAX * 2], heading[300];
	struct json_object *doc, *variants;
	struct point *pts;
	size_t n;

	path_in(p, ".", "verify.json", path, sizeof(path));
	if (!(doc = load_json(path, true, p->err, p->errlen)))
		return -1;
	variants = jarr(doc, "variants");
	n = rows_shown(jlen(variants));
	pts = xcalloc(n + 1, sizeof(*pts));
	for (size_t i = 0; i < n; i++) {
		const char *name = jstr(jat(variants, i), "variant");
		snprintf(pts[i].label, sizeof(pts[i].label), "%s", name ? name : "?");
		snprintf(pts[i].rel, sizeof(pts[i].rel), "%s", name ? name : "?");
		point_load(p, &pts[i], jget(jat(variants, i), "tally"));
	}
	page_open(p, "verify", jstr(doc, "case") ? jstr(doc, "case") : "?");
	verify_banner(p, variants);
	verify_facts(p, doc, pts, n, path);
	fputs("<h2>Variants</h2>\n<table>\n<tr><th>variant</th><th>kernel</th><th>expected</th><th>got</th>"
	      "<th>hits (95% CI)</th><th>s/run</th><th>as expected</th><th>title or reason</th></tr>\n", p->f);
	for (size_t i = 0; i < n; i++)
		verify_row(p->f, jat(variants, i), &pts[i]);
	fputs("</table>\n", p->f);
	note_more_rows(p->f, jlen(variants), "verify.json");
	section_rates(p, pts, n);
	const struct point **all = xcalloc(n + 1, sizeof(*all));
	for (size_t i = 0; i < n; i++)
		all[i] = &pts[i];
	section_counters(p, "Key counters, variant by variant", false, all, n);
	free(all);
	section_timeline(p, pts, n);
	for (size_t i = 0; i < n; i++) {
		snprintf(heading, sizeof(heading), "%s: the first hit", pts[i].label);
		section_hit(p, &pts[i], heading);
		snprintf(heading, sizeof(heading), "%s: not as expected, the first run that did not pass", pts[i].label);
		if (!jbool(jat(variants, i), "matches"))
			section_first_untested(p, &pts[i], heading);
	}
	page_close(p);
	points_free(pts, n);
	json_object_put(doc);
	return 0;
}

/* ---- series blame steps (gate and bisect --series) ----------------------------- */

/* The base + patches 1..m test points a series blame left under rel
 * (prefix-M/runs), in order of m. */
size_t load_prefixes(struct page *p, const char *rel, struct point **out)
{
	size_t n = 0;
	char sub[PATH_MAX * 2], path[PATH_MAX * 3];

	*out = xcalloc(SERIES_MAX_PATCHES + 1, sizeof(**out));
	for (int m = 1; m <= SERIES_MAX_PATCHES; m++) {
		snprintf(path, sizeof(path), "prefix-%d/runs", m);
		rel_join(rel, path, sub, sizeof(sub));
		path_in(p, sub, "result.json", path, sizeof(path));
		if (!file_exists(path))
			continue;
		struct point *pt = &(*out)[n++];
		snprintf(pt->label, sizeof(pt->label), "patches 1..%d", m);
		snprintf(pt->rel, sizeof(pt->rel), "%s", sub);
		point_load(p, pt, NULL);
	}
	return n;
}

/* The subject of the last patch of a prefix: its copy, prefix-M/000M.patch. */
void prefix_subject(const struct page *p, const struct point *pt, char *out, size_t len)
{
	char dir[PATH_MAX * 2], name[32], path[PATH_MAX * 3];
	int m = atoi(strstr(pt->label, "..") ? strstr(pt->label, "..") + 2 : "0");

	snprintf(dir, sizeof(dir), "%s", pt->rel);
	if (strrchr(dir, '/'))
		*strrchr(dir, '/') = '\0';
	snprintf(name, sizeof(name), "%04d.patch", m);
	path_in(p, dir, name, path, sizeof(path));
	out[0] = '\0';
	if (file_exists(path))
		series_patch_subject(path, out, len);
}

static double point_run_seconds(const struct point *pt)
{
	struct json_object *runs = point_runs(pt);
	double sum = 0, s;

	for (size_t i = 0; i < jlen(runs); i++)
		if (jnum(jget(jat(runs, i), "seconds"), "total", &s))
			sum += s;
	return sum;
}

void step_row(FILE *f, const struct point *pt, const char *subject, const char *verdict)
{
	char hits[64], secs[32];

	tally_text(&pt->t, hits, sizeof(hits));
	snprintf(secs, sizeof(secs), "%.1f", point_run_seconds(pt));
	fputs("<tr>", f);
	cell(f, NULL, pt->label);
	cell(f, "wrap", subject);
	cell(f, "num", hits);
	cell_verdict(f, verdict ? verdict : stats_point_name(stats_point(&pt->t)));
	cell(f, "num", secs);
	fputs("</tr>\n", f);
}

void prefix_table(struct page *p, const struct point *pts, size_t n)
{
	char subject[256];

	if (!n)
		return;
	fputs("<table>\n<tr><th>kernel</th><th>its last patch</th><th>hits/valid (95% CI)</th><th>verdict</th>"
	      "<th>run s</th></tr>\n", p->f);
	for (size_t i = 0; i < n; i++) {
		prefix_subject(p, &pts[i], subject, sizeof(subject));
		step_row(p->f, &pts[i], subject, NULL);
	}
	fputs("</table>\n", p->f);
}

/* ---- entry points --------------------------------------------------------------- */

int html_render_dir(FILE *f, const char *dir, char *err, size_t errlen)
{
	static const struct { const char *file; int (*page)(struct page *); } kinds[] = {
		{ "gate.json", page_gate }, { "bisect.json", page_bisect }, { "matrix.json", page_matrix },
		{ "verify.json", page_verify }, { "result.json", page_run },
	};
	struct page p = { .f = f, .dir = dir, .err = err, .errlen = errlen };
	char path[PATH_MAX * 2];

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, kinds[i].file);
		if (file_exists(path))
			return kinds[i].page(&p);
	}
	snprintf(err, errlen, "%s: no gate.json, bisect.json, matrix.json, verify.json or result.json: not a results dir", dir);
	return -1;
}

int html_report_dir(const char *dir, char *err, size_t errlen)
{
	char *text = NULL, path[PATH_MAX * 2];
	size_t len;
	FILE *f = open_memstream(&text, &len);
	int rc;

	if (!f) {
		snprintf(err, errlen, "report.html: %s", strerror(errno));
		return -1;
	}
	rc = html_render_dir(f, dir, err, errlen);
	fclose(f);
	snprintf(path, sizeof(path), "%s/report.html", dir);
	if (!rc && (rc = write_file_atomic(path, text, len)))
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
	free(text);
	return rc ? -1 : 0;
}

void html_write_report(const char *dir)
{
	char err[1024];

	if (html_report_dir(dir, err, sizeof(err)) < 0)
		fprintf(stderr, "mmrepro: warning: no report.html: %s\n", err);
}
