/* Run statistics: classifying runs, Wilson intervals, Fisher tests, point verdicts. */
#include "stats.h"
#include "json_read.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define Z_95 1.959963984540054
/* R's fisher.test tolerance: tables this close to the observed one's
 * probability count as "no more likely", absorbing rounding noise. */
#define FISHER_RELATIVE_TOLERANCE 1e-7

static bool mentions(const char *text, const char *expect_title)
{
	return text[0] && strstr(text, expect_title);
}

static enum run_kind classify_fail(const struct run_result *r, const char *expect_title)
{
	if (!expect_title || !expect_title[0])
		return RUN_HIT;
	if (mentions(r->report.title, expect_title))
		return RUN_HIT;
	if (!r->report.crash && mentions(r->reason, expect_title))
		return RUN_HIT;
	return RUN_OTHER_CRASH;
}

enum run_kind stats_classify(const struct run_result *r, const char *expect_title)
{
	switch (r->verdict) {
	case V_FAIL:
		/* A --title run already knows its report is not the bug. */
		return r->other_crash ? RUN_OTHER_CRASH : classify_fail(r, expect_title);
	case V_PASS:
		return RUN_CLEAN;
	case V_CONF:
		return RUN_CONF;
	case V_INTERRUPTED:
		return RUN_INTERRUPTED;
	case V_BROK:
	case V_RUNNING:
	case V_ABANDONED:
		break;
	}
	return RUN_INFRA;
}

const char *stats_run_kind_name(enum run_kind k)
{
	switch (k) {
	case RUN_HIT:
		return "hit";
	case RUN_OTHER_CRASH:
		return "other_crash";
	case RUN_CLEAN:
		return "clean";
	case RUN_INFRA:
		return "infra";
	case RUN_CONF:
		return "conf";
	case RUN_INTERRUPTED:
		return "interrupted";
	}
	return "?";
}

static void keep_first_title(char *dst, size_t len, const struct run_result *r)
{
	if (!dst[0])
		snprintf(dst, len, "%s", r->report.title[0] ? r->report.title : r->reason);
}

void stats_add(struct tally *t, const struct run_result *r, const char *expect_title)
{
	stats_add_kind(t, r, stats_classify(r, expect_title));
}

void stats_add_kind(struct tally *t, const struct run_result *r, enum run_kind kind)
{
	t->runs++;
	switch (kind) {
	case RUN_HIT:
		t->hits++;
		keep_first_title(t->hit_title, sizeof(t->hit_title), r);
		break;
	case RUN_OTHER_CRASH:
		t->other_crash++;
		keep_first_title(t->other_title, sizeof(t->other_title), r);
		break;
	case RUN_CLEAN:
		t->clean++;
		break;
	case RUN_INFRA:
		if (!t->infra++)
			snprintf(t->infra_reason, sizeof(t->infra_reason), "%s", r->reason);
		break;
	case RUN_CONF:
		if (!t->conf++)
			snprintf(t->conf_reason, sizeof(t->conf_reason), "%s", r->reason);
		break;
	case RUN_INTERRUPTED:
		t->interrupted++;
		break;
	}
}

int stats_valid(const struct tally *t)
{
	return t->hits + t->clean + t->other_crash;
}

struct interval stats_wilson(int hits, int n)
{
	struct interval ci = { 0, 1 };
	double p, z2n, centre, half;

	if (n <= 0 || hits < 0 || hits > n)
		return ci;
	p = (double)hits / n;
	z2n = Z_95 * Z_95 / n;
	centre = (p + z2n / 2) / (1 + z2n);
	half = Z_95 / (1 + z2n) * sqrt(p * (1 - p) / n + z2n / (4.0 * n));
	/* The bounds are exact at the extremes; rounding would leave 1e-16 off. */
	ci.lo = hits == 0 ? 0 : fmax(0, centre - half);
	ci.hi = hits == n ? 1 : fmin(1, centre + half);
	return ci;
}

static double log_choose(int n, int k)
{
	return lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0);
}

/* The 2x2 table with fixed margins: x of the total hits fall in head. */
struct fisher_table {
	int head_n, total_n, total_hits;
	int min_x, max_x;
	double log_all;
};

static bool fisher_table_init(struct fisher_table *t, int head_hits, int head_n, int base_hits, int base_n)
{
	if (head_n < 0 || base_n < 0 || head_hits < 0 || base_hits < 0 || head_hits > head_n ||
	    base_hits > base_n || head_n + base_n == 0)
		return false;
	t->head_n = head_n;
	t->total_n = head_n + base_n;
	t->total_hits = head_hits + base_hits;
	t->min_x = head_n - (t->total_n - t->total_hits);
	if (t->min_x < 0)
		t->min_x = 0;
	t->max_x = t->total_hits < head_n ? t->total_hits : head_n;
	t->log_all = log_choose(t->total_n, head_n);
	return true;
}

static double fisher_log_probability(const struct fisher_table *t, int x)
{
	return log_choose(t->total_hits, x) + log_choose(t->total_n - t->total_hits, t->head_n - x) - t->log_all;
}

double stats_fisher_one_sided(int head_hits, int head_n, int base_hits, int base_n)
{
	struct fisher_table t;
	double p = 0;

	if (!fisher_table_init(&t, head_hits, head_n, base_hits, base_n))
		return 1;
	for (int x = head_hits; x <= t.max_x; x++)
		p += exp(fisher_log_probability(&t, x));
	return fmin(1, p);
}

double stats_fisher_two_sided(int head_hits, int head_n, int base_hits, int base_n)
{
	struct fisher_table t;
	double p = 0, log_limit;

	if (!fisher_table_init(&t, head_hits, head_n, base_hits, base_n))
		return 1;
	log_limit = fisher_log_probability(&t, head_hits) + log1p(FISHER_RELATIVE_TOLERANCE);
	for (int x = t.min_x; x <= t.max_x; x++) {
		double lp = fisher_log_probability(&t, x);

		if (lp <= log_limit)
			p += exp(lp);
	}
	return fmin(1, p);
}

static bool interval_contains(struct interval ci, double v)
{
	return ci.lo <= v && v <= ci.hi;
}

enum point_verdict stats_point(const struct tally *t)
{
	int valid = stats_valid(t), n = t->runs - t->interrupted;

	if (t->hits >= 2 || (n < 4 && valid >= 1 && t->hits == valid))
		return POINT_BAD;
	if (t->hits == 0 && t->clean >= 1 && t->clean >= (n + 1) / 2)
		return POINT_GOOD;
	return POINT_SKIP;
}

bool stats_flaky(const struct tally *t)
{
	int valid = stats_valid(t);

	return t->hits > 0 && t->hits < valid && interval_contains(stats_wilson(t->hits, valid), 0.5);
}

int stats_sprt(int hits, int clean, double p_bad, double alpha)
{
	double p1 = fmin(0.95, fmax(0.05, p_bad)), p0 = STATS_SPRT_P_GOOD;
	double llr = hits * log(p1 / p0) + clean * log((1 - p1) / (1 - p0));
	double bound = log((1 - alpha) / alpha);

	if (llr >= bound)
		return POINT_BAD;
	if (llr <= -bound)
		return POINT_GOOD;
	return -1;
}

const char *stats_point_name(enum point_verdict v)
{
	switch (v) {
	case POINT_BAD:
		return "bad";
	case POINT_GOOD:
		return "good";
	case POINT_SKIP:
		return "skip";
	}
	return "?";
}

double stats_bisect_confidence(double p_bad, const int *valid_runs_of_good_steps, int n)
{
	double confidence = 1;

	if (p_bad <= 0)
		return 0;
	p_bad = fmin(1, p_bad);
	for (int i = 0; i < n; i++)
		confidence *= 1 - pow(1 - p_bad, valid_runs_of_good_steps[i]);
	return confidence;
}

static void add_int(struct json_object *o, const char *key, int v)
{
	json_object_object_add(o, key, json_object_new_int(v));
}

static void add_nonempty(struct json_object *o, const char *key, const char *s)
{
	if (s[0])
		json_object_object_add(o, key, json_object_new_string(s));
}

struct json_object *stats_tally_json(const struct tally *t)
{
	struct json_object *o = json_object_new_object(), *ci95 = json_object_new_array();
	int valid = stats_valid(t);
	struct interval ci = stats_wilson(t->hits, valid);

	add_int(o, "runs", t->runs);
	add_int(o, "hits", t->hits);
	add_int(o, "clean", t->clean);
	add_int(o, "other_crash", t->other_crash);
	add_int(o, "infra", t->infra);
	add_int(o, "conf", t->conf);
	add_int(o, "interrupted", t->interrupted);
	add_int(o, "valid", valid);
	json_object_object_add(o, "hit_rate", valid ? json_object_new_double((double)t->hits / valid) : NULL);
	json_object_array_add(ci95, json_object_new_double(ci.lo));
	json_object_array_add(ci95, json_object_new_double(ci.hi));
	json_object_object_add(o, "ci95", ci95);
	json_object_object_add(o, "verdict", json_object_new_string(stats_point_name(stats_point(t))));
	add_nonempty(o, "hit_title", t->hit_title);
	add_nonempty(o, "other_title", t->other_title);
	add_nonempty(o, "infra_reason", t->infra_reason);
	add_nonempty(o, "conf_reason", t->conf_reason);
	return o;
}

static void get_str(struct json_object *o, const char *key, char *out, size_t len)
{
	snprintf(out, len, "%s", jtext(o, key));
}

void stats_tally_from_json(struct json_object *o, struct tally *t)
{
	memset(t, 0, sizeof(*t));
	t->runs = jint_loose(o, "runs");
	t->hits = jint_loose(o, "hits");
	t->clean = jint_loose(o, "clean");
	t->other_crash = jint_loose(o, "other_crash");
	t->infra = jint_loose(o, "infra");
	t->conf = jint_loose(o, "conf");
	t->interrupted = jint_loose(o, "interrupted");
	get_str(o, "hit_title", t->hit_title, sizeof(t->hit_title));
	get_str(o, "other_title", t->other_title, sizeof(t->other_title));
	get_str(o, "infra_reason", t->infra_reason, sizeof(t->infra_reason));
	get_str(o, "conf_reason", t->conf_reason, sizeof(t->conf_reason));
}

/* Appends ", N label" when N is nonzero; snprintf keeps buf terminated when it is full. */
static size_t append_count(char *buf, size_t len, size_t used, int count, const char *label)
{
	if (!count || used >= len)
		return used;
	return used + (size_t)snprintf(buf + used, len - used, ", %d %s", count, label);
}

void stats_tally_text(const struct tally *t, char *buf, size_t len)
{
	int valid = stats_valid(t);
	struct interval ci = stats_wilson(t->hits, valid);
	size_t used;

	if (!len)
		return;
	if (valid)
		used = (size_t)snprintf(buf, len, "%d/%d hit (%.0f%%, 95%% CI %.0f-%.0f%%)", t->hits, valid,
					100.0 * t->hits / valid, 100 * ci.lo, 100 * ci.hi);
	else
		used = (size_t)snprintf(buf, len, "no valid run");
	used = append_count(buf, len, used, t->other_crash, "other crash");
	used = append_count(buf, len, used, t->infra, "infra");
	used = append_count(buf, len, used, t->conf, "conf");
	append_count(buf, len, used, t->interrupted, "interrupted");
}
