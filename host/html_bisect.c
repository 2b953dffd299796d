/* report.html of a bisection: a tree bisection's steps and culprit, or a
 * series blame's prefixes and first bad (or fixing) patch. */
#include "html.h"
#include "html_page.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static const char *point_case(const struct point *pts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (jstr(jat(point_runs(&pts[i]), 0), "case"))
			return jstr(jat(point_runs(&pts[i]), 0), "case");
	return NULL;
}

static bool fix_mode(struct json_object *doc)
{
	return jstr(doc, "mode") && !strcmp(jstr(doc, "mode"), "fix");
}

/* --runs as the bisection was given it: "auto" or a number (a file from
 * before bisect.json kept it: what its first end ran, or nothing). */
static const char *runs_word(struct json_object *doc, int fallback, char *buf, size_t len)
{
	double d;

	if (jstr(doc, "runs"))
		snprintf(buf, len, "%.10s", jstr(doc, "runs"));
	else if (jnum(doc, "runs", &d) || fallback > 0)
		snprintf(buf, len, "%d", jint(doc, "runs", fallback));
	else
		return NULL;
	return buf;
}

static void blame_banner(struct page *p, struct json_object *doc)
{
	char text[700];
	bool fix = jget(doc, "first_fixed_patch") || fix_mode(doc);
	int k = jint(doc, fix ? "first_fixed_patch" : "first_bad_patch", 0);

	if (k > 0) {
		snprintf(text, sizeof(text), "first %s patch: %d, %.300s (%.300s)", fix ? "fixing" : "bad", k,
			 jstr(doc, "subject") ? jstr(doc, "subject") : "?", jstr(doc, "file") ? jstr(doc, "file") : "?");
		banner(p, "bad", text);
	} else if (jint(doc, "exit_code", 0) == EXIT_INTERRUPTED) {
		banner(p, "warn", "interrupted");
	} else {
		banner(p, "warn", jstr(doc, "note") ? jstr(doc, "note") : fix ?
		       "no culprit: the base must be bad and base + series good" :
		       "no culprit: the base must be good and base + series bad");
	}
}

static void blame_facts(struct page *p, struct json_object *doc, const char *name, const struct point *pts,
			size_t n, const char *json_path)
{
	FILE *f = p->f;
	char runs[16], builds[16];
	struct json_object *first = jat(point_runs(&pts[0]), 0);

	bool fix = jget(doc, "first_fixed_patch") || fix_mode(doc);
	const char *runs_w = runs_word(doc, jint(jget(jat(jarr(doc, "ends"), 0), "tally"), "runs", 1), runs, sizeof(runs));

	snprintf(builds, sizeof(builds), "%d", jint(doc, "builds", 0) + 2);
	fputs("<dl class=\"facts\">\n", f);
	fact(f, "case", name);
	fact(f, "base", jstr(doc, "base"));
	fact_series(f, "series", jstr(doc, "series"));
	fact(f, "kernel release", jstr(first, "kernel_release"));
	fact(f, "runs per kernel", runs_w);
	fact(f, "kernels built", builds);
	for (size_t i = 0; i < n && !jstr(first, "accel_reason"); i++)
		first = jat(point_runs(&pts[i]), 0);
	fact(f, "accelerator", jstr(first, "accel_reason"));
	facts_host_date(f, json_path);
	const char *words[] = { "bisect", name, fix ? "--fix" : NULL, "--kernel", jstr(doc, "base"), "--series",
				jstr(doc, "series"), "--runs", runs_w };
	fact_command(f, words, sizeof(words) / sizeof(words[0]));
	fputs("</dl>\n", f);
}

/* base, base + patches 1..m, ..., base + series: the points in order. */
/* An end of a series blame by its kernel ("base", "base+series"): a
 * bisection that stopped at its first end lists only that one. */
static struct json_object *blame_end(struct json_object *doc, bool head)
{
	struct json_object *ends = jarr(doc, "ends");

	for (size_t i = 0; i < jlen(ends); i++)
		if (same_or_both_null(jstr(jat(ends, i), "kernel"), head ? "base+series" : "base"))
			return jat(ends, i);
	return NULL;
}

static size_t blame_points(struct page *p, struct json_object *doc, struct point **out)
{
	struct point *prefixes;
	size_t m = load_prefixes(p, ".", &prefixes), n = 0;

	*out = xcalloc(m + 3, sizeof(**out));
	for (int side = 0; side < 2; side++) {
		struct point *pt = &(*out)[side ? m + 1 : 0];
		snprintf(pt->label, sizeof(pt->label), "%s", side ? "base + series" : "base");
		snprintf(pt->rel, sizeof(pt->rel), "%s", side ? "head" : "base");
		point_load(p, pt, jget(blame_end(doc, side), "tally"));
	}
	memcpy(*out + 1, prefixes, m * sizeof(*prefixes));
	free(prefixes);
	n = m + 2;
	return n;
}

static int page_bisect_series(struct page *p, struct json_object *doc, const char *json_path)
{
	struct point *pts;
	size_t n = blame_points(p, doc, &pts);
	const char *name = point_case(pts, n);
	char what[700], subject[256];

	snprintf(what, sizeof(what), "%.100s, the first bad patch of %.250s on %.250s", name ? name : "?",
		 jstr(doc, "series") ? jstr(doc, "series") : "?", jstr(doc, "base") ? jstr(doc, "base") : "?");
	page_open(p, "bisect", what);
	blame_banner(p, doc);
	blame_facts(p, doc, name, pts, n, json_path);
	fputs("<h2>Steps</h2>\n<table>\n<tr><th>kernel</th><th>its last patch</th><th>hits/valid (95% CI)</th>"
	      "<th>verdict</th><th>run s</th></tr>\n", p->f);
	for (size_t i = 0; i < n; i++) {
		bool end = i == 0 || i == n - 1;
		struct json_object *e = blame_end(doc, i != 0);
		if (end)
			subject[0] = '\0';
		else
			prefix_subject(p, &pts[i], subject, sizeof(subject));
		if (!end || pts[i].doc || jget(e, "tally"))
			step_row(p->f, &pts[i], subject, end ? jstr(e, "verdict") : NULL);
	}
	fputs("</table>\n", p->f);
	section_rates(p, pts, n);
	section_counters(p, "Key counters, base + series against base", false,
			 (const struct point *const[]){ &pts[n - 1], &pts[0] }, 2);
	section_timeline(p, pts, n);
	section_hit(p, &pts[n - 1], "The first hit on base + series");
	page_close(p);
	points_free(pts, n);
	return 0;
}

/* ---- tree bisection ---- */

struct tree_entry {
	const char *label;          /* bad-end, good-end, step-N, culprit, parent */
	struct json_object *o;      /* its object in bisect.json */
};

static size_t tree_entries(struct json_object *doc, struct tree_entry **out, char (**labels)[32])
{
	struct json_object *ends = jget(doc, "ends"), *checks = jget(doc, "checks"), *steps = jarr(doc, "steps");
	size_t nsteps = rows_shown(jlen(steps));
	/* A fix bisection's ends are the broken and the fixed one. */
	static const char *const fixed[] = { "bad-end", "good-end", "broken-end", "fixed-end" };
	static const char *const check_names[] = { "culprit", "parent" };
	size_t n = 0;

	*out = xcalloc(nsteps + 7, sizeof(**out));
	*labels = xcalloc(nsteps + 1, sizeof(**labels));
	for (int i = 0; i < 4; i++)
		if (jget(ends, fixed[i]))
			(*out)[n++] = (struct tree_entry){ fixed[i], jget(ends, fixed[i]) };
	for (size_t i = 0; i < nsteps; i++) {
		snprintf((*labels)[i], sizeof((*labels)[i]), "step-%zu", i + 1);
		(*out)[n++] = (struct tree_entry){ (*labels)[i], jat(steps, i) };
	}
	for (int i = 0; i < 2; i++)
		if (jget(checks, check_names[i]))
			(*out)[n++] = (struct tree_entry){ check_names[i], jget(checks, check_names[i]) };
	return n;
}

static void tree_points(struct page *p, const struct tree_entry *e, size_t n, struct point *pts)
{
	for (size_t i = 0; i < n; i++) {
		const char *sha = jstr(e[i].o, "commit") ? jstr(e[i].o, "commit") : "?";
		snprintf(pts[i].label, sizeof(pts[i].label), "%s %.12s", e[i].label, sha);
		snprintf(pts[i].rel, sizeof(pts[i].rel), "%s-%.12s", e[i].label, sha);
		point_load(p, &pts[i], jget(e[i].o, "tally"));
	}
}

static void tree_banner(struct page *p, struct json_object *doc)
{
	struct json_object *c = jget(doc, "culprit");
	char text[700];

	if (jstr(c, "commit")) {
		snprintf(text, sizeof(text), "%s: %.12s %.400s", fix_mode(doc) ? "fixed by" : "first bad commit",
			 jstr(c, "commit"), jstr(c, "subject") ? jstr(c, "subject") : "");
		banner(p, "bad", text);
	} else if (jlen(jarr(doc, "candidates"))) {
		snprintf(text, sizeof(text), "inconclusive: the first bad commit is one of %zu candidates",
			 jlen(jarr(doc, "candidates")));
		banner(p, "warn", text);
	} else if (jint(doc, "exit_code", -1) == EXIT_INTERRUPTED || !jget(doc, "exit_code")) {
		banner(p, "warn", "interrupted or still running: bisect --resume DIR goes on");
	} else {
		banner(p, "warn", "no culprit: the bad end must be bad and the good end good");
	}
}

static void tree_facts(struct page *p, struct json_object *doc, const struct point *pts, size_t n,
		       const char *json_path)
{
	FILE *f = p->f;
	char runs[16], text[64];
	double d;
	const char *accel = NULL;

	bool fix = fix_mode(doc);

	const char *runs_w = runs_word(doc, 0, runs, sizeof(runs));

	fputs("<dl class=\"facts\">\n", f);
	fact(f, "case", jstr(doc, "case"));
	fact(f, "kernel", jstr(doc, "kernel"));
	fact(f, "repository", jstr(doc, "repo"));
	fact(f, fix ? "fixed" : "good", jstr(doc, "good"));
	fact(f, fix ? "broken" : "bad", jstr(doc, "bad"));
	fact_series(f, "series on every commit", jstr(doc, "series"));
	fact(f, "runs per step", jget(doc, "runs_per_step") ? json_object_get_string(jget(doc, "runs_per_step")) : runs_w);
	snprintf(text, sizeof(text), "%.2f", jnum(doc, "p_bad", &d) ? d : 0);
	fact(f, "bad end hit rate", jget(doc, "p_bad") ? text : NULL);
	snprintf(text, sizeof(text), "%.3f", jnum(doc, "confidence", &d) ? d : 0);
	fact(f, "confidence", jget(doc, "confidence") ? text : NULL);
	for (size_t i = 0; i < n && !accel; i++)
		accel = jstr(jat(point_runs(&pts[i]), 0), "accel_reason");
	fact(f, "accelerator", accel);
	facts_host_date(f, json_path);
	const char *words[] = { "bisect", jstr(doc, "case"), "--kernel", jstr(doc, "kernel"), fix ? "--fix" : NULL,
				fix ? "--fixed" : "--good", jstr(doc, "good"), fix ? "--broken" : "--bad", jstr(doc, "bad"),
				"--series", jstr(doc, "series"), "--runs", runs_w };
	fact_command(f, words, sizeof(words) / sizeof(words[0]));
	fputs("</dl>\n", f);
}

static void tree_row(FILE *f, const struct tree_entry *e, const struct point *pt)
{
	char hits[64], sha[16];

	snprintf(sha, sizeof(sha), "%.12s", jstr(e->o, "commit") ? jstr(e->o, "commit") : "");
	tally_text(&pt->t, hits, sizeof(hits));
	fputs("<tr>", f);
	cell(f, NULL, e->label);
	fputs("<td><code>", f);
	html_escape(f, sha);
	fputs("</code></td>", f);
	cell(f, "wrap", jstr(e->o, "subject"));
	cell(f, "num", hits);
	cell_verdict(f, jstr(e->o, "verdict"));
	cell_seconds(f, e->o, "build_seconds");
	cell_seconds(f, e->o, "run_seconds");
	cell(f, "wrap", jstr(e->o, "skip_reason"));
	fputs("</tr>\n", f);
}

static void list_strings(FILE *f, const char *heading, struct json_object *a)
{
	if (!jlen(a))
		return;
	fputs("<h3>", f);
	html_escape(f, heading);
	fputs("</h3>\n<ul>\n", f);
	for (size_t i = 0; i < jlen(a); i++) {
		fputs("<li>", f);
		html_escape(f, json_object_get_string(jat(a, i)));
		fputs("</li>\n", f);
	}
	fputs("</ul>\n", f);
}

static void tree_culprit(FILE *f, struct json_object *doc)
{
	struct json_object *c = jget(doc, "culprit"), *checks = jget(doc, "checks");
	static const char *const names[] = { "culprit", "parent", "revert" };
	static const char *const what[] = { "the culprit, rerun with twice the runs", "its parent, rerun the same way",
					    "the new end (bad, or fixed) with the culprit reverted" };

	if (!c && !checks && !jlen(jarr(doc, "flags")) && !jlen(jarr(doc, "candidates")))
		return;
	fputs("<h2>The culprit and its checks</h2>\n<dl class=\"facts\">\n", f);
	fact(f, "commit", jstr(c, "commit"));
	fact(f, "subject", jstr(c, "subject"));
	fact(f, "author", jstr(c, "author"));
	fact(f, "date", jstr(c, "date"));
	fact(f, "title", jstr(c, "title"));
	for (int i = 0; i < 3; i++) {
		struct json_object *k = jget(checks, names[i]);
		char hits[64];
		struct tally t;
		if (!k)
			continue;
		stats_tally_from_json(jget(k, "tally"), &t);
		tally_text(&t, hits, sizeof(hits));
		fact_open(f, what[i]);
		verdict_span(f, jstr(k, "verdict") ? jstr(k, "verdict") : "?");
		fprintf(f, " %s", hits);
		fputs("</dd>\n", f);
	}
	fputs("</dl>\n", f);
	list_strings(f, "Flags", jarr(doc, "flags"));
	list_strings(f, "Candidates", jarr(doc, "candidates"));
}

static int page_bisect_tree(struct page *p, struct json_object *doc, const char *json_path)
{
	struct tree_entry *e;
	char (*labels)[32], what[700];
	size_t n = tree_entries(doc, &e, &labels), bad = 0, good = 0, hit = 0;
	struct point *pts = xcalloc(n + 2, sizeof(*pts));

	tree_points(p, e, n, pts);
	snprintf(pts[n].label, sizeof(pts[n].label), "%s end, culprit reverted", fix_mode(doc) ? "fixed" : "bad");
	snprintf(pts[n].rel, sizeof(pts[n].rel), "revert-runs");
	point_load(p, &pts[n], jget(jget(jget(doc, "checks"), "revert"), "tally"));
	for (size_t i = 0; i < n; i++) {
		bad = !strcmp(e[i].label, "bad-end") || !strcmp(e[i].label, "broken-end") ? i : bad;
		good = !strcmp(e[i].label, "good-end") || !strcmp(e[i].label, "fixed-end") ? i : good;
		hit = !strcmp(e[i].label, "culprit") && first_hit(&pts[i]) ? i : hit;
	}
	snprintf(what, sizeof(what), "%.100s in %.500s", jstr(doc, "case") ? jstr(doc, "case") : "?",
		 jstr(doc, "kernel") ? jstr(doc, "kernel") : "?");
	page_open(p, "bisect", what);
	tree_banner(p, doc);
	tree_facts(p, doc, pts, n, json_path);
	fputs("<h2>Steps</h2>\n<table>\n<tr><th>step</th><th>commit</th><th>subject</th><th>hits/valid (95% CI)</th>"
	      "<th>verdict</th><th>build s</th><th>run s</th><th>note</th></tr>\n", p->f);
	for (size_t i = 0; i < n; i++)
		tree_row(p->f, &e[i], &pts[i]);
	fputs("</table>\n", p->f);
	note_more_rows(p->f, jlen(jarr(doc, "steps")), "bisect.json");
	tree_culprit(p->f, doc);
	section_rates(p, pts, n + (pts[n].t.runs > 0));
	if (n)
		section_counters(p, "Key counters, bad end against good end", false,
				 (const struct point *const[]){ &pts[bad], &pts[good] }, bad == good ? 1 : 2);
	section_timeline(p, pts, n);
	if (n)
		section_hit(p, &pts[hit ? hit : bad], hit ? "The first hit on the culprit" : "The first hit on the bad end");
	page_close(p);
	points_free(pts, n + 1);
	free(e);
	free(labels);
	return 0;
}

int page_bisect(struct page *p)
{
	char path[PATH_MAX * 2];
	struct json_object *doc;
	int rc;

	path_in(p, ".", "bisect.json", path, sizeof(path));
	if (!(doc = load_json(path, true, p->err, p->errlen)))
		return -1;
	if (jstr(doc, "good") || jget(doc, "steps"))
		rc = page_bisect_tree(p, doc, path);
	else
		rc = page_bisect_series(p, doc, path);
	json_object_put(doc);
	return rc;
}

