/* Counter comparison: /proc/vmstat deltas of two test points, Mann-Whitney U or Welch's t per counter, the flag rule. */
#include "counters.h"
#include "json_read.h"
#include "util.h"

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- which counters ---------------------------------------------------------- */

static const char *const mm_prefixes[] = {
	"pgmigrate_", "thp_migration_", "thp_split_", "thp_deferred_split", "numa_pages_migrated",
	"numa_hint_faults", "pglazyfree", "nr_foll_pin_", "pgactivate", "pgdeactivate", "pswpin", "pswpout",
	"compact_migrate", "compact_fail", "compact_success", "thp_fault_", "pgdemote_", "pgpromote_",
};

bool counters_is_mm(const char *name)
{
	for (size_t i = 0; i < sizeof(mm_prefixes) / sizeof(mm_prefixes[0]); i++)
		if (!strncmp(name, mm_prefixes[i], strlen(mm_prefixes[i])))
			return true;
	return false;
}

/* A name as /proc/vmstat spells them: what a guest sends may be anything. */
static bool vmstat_name(const char *name)
{
	size_t len = strlen(name);

	return len && len <= 64 && strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == len;
}

/* ---- the runs ------------------------------------------------------------------ */

struct run_delta {
	int n;
	struct json_object *delta;
};

static int by_run(const void *a, const void *b)
{
	const struct run_delta *x = a, *y = b;
	return (x->n > y->n) - (x->n < y->n);
}

/* dir/NAME/guest/workload.json's vmstat_delta (a new reference), or NULL. */
static struct json_object *run_delta(const char *dir, const char *name)
{
	char path[PATH_MAX + 300];
	struct json_object *o, *d, *out = NULL;

	xsnprintf(path, sizeof(path), "%s/%s/guest/workload.json", dir, name);
	o = jread_file(path, 4u << 20);
	if ((d = jobj(o, "vmstat_delta")))
		out = json_object_get(d);
	json_object_put(o);
	return out;
}

struct json_object **counters_load_runs(const char *dir, size_t *n)
{
	struct run_delta *runs = NULL;
	struct json_object **out;
	size_t cap = 0;
	struct dirent *e;
	DIR *d = opendir(dir);

	*n = 0;
	while (d && (e = readdir(d))) {
		int num;
		char tail;
		struct json_object *delta;
		if (sscanf(e->d_name, "run-%d%c", &num, &tail) != 1 || !(delta = run_delta(dir, e->d_name)))
			continue;
		if (*n == cap)
			runs = xrealloc(runs, (cap = cap ? 2 * cap : 8) * sizeof(*runs));
		runs[(*n)++] = (struct run_delta){ num, delta };
	}
	if (d)
		closedir(d);
	if (*n)
		qsort(runs, *n, sizeof(*runs), by_run);
	out = xcalloc(*n + 1, sizeof(*out));
	for (size_t i = 0; i < *n; i++)
		out[i] = runs[i].delta;
	free(runs);
	return out;
}

static void free_runs(struct json_object **runs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_object_put(runs[i]);
	free(runs);
}

void counters_sample(struct json_object *const *runs, size_t n, const char *name, struct counter_sample *s)
{
	s->v = xcalloc(n + 1, sizeof(double));
	s->n = 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *v;
		double x;
		if (!json_object_object_get_ex(runs[i], name, &v)) {
			s->v[s->n++] = 0;
			continue;
		}
		if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
			continue;
		x = json_object_get_double(v);
		if (isfinite(x) && fabs(x) <= COUNTERS_MAX_ABS)
			s->v[s->n++] = x;
	}
}

double counters_mean(const struct counter_sample *s)
{
	double sum = 0;

	for (size_t i = 0; i < s->n; i++)
		sum += s->v[i];
	return s->n ? sum / (double)s->n : 0;
}

/* ---- Mann-Whitney U -------------------------------------------------------------- */

struct ranked {
	double v;
	int side; /* 0: a, 1: b */
};

static int by_value(const void *x, const void *y)
{
	double a = ((const struct ranked *)x)->v, b = ((const struct ranked *)y)->v;
	return (a > b) - (a < b);
}

/* Twice the midranks (integers) of a then b pooled, in r2 (N entries, the
 * a values first); returns the sum over tie groups of t^3 - t. */
static double midranks2(const double *a, size_t na, const double *b, size_t nb, long *r2, int *side)
{
	size_t n = na + nb;
	struct ranked *p = xcalloc(n + 1, sizeof(*p));
	double ties = 0;

	for (size_t i = 0; i < n; i++)
		p[i] = (struct ranked){ i < na ? a[i] : b[i - na], i >= na };
	qsort(p, n, sizeof(*p), by_value);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && p[j].v == p[i].v; j++)
			;
		for (size_t k = i; k < j; k++) {
			r2[k] = (long)(i + 1 + j);
			side[k] = p[k].side;
		}
		ties += (double)(j - i) * (double)(j - i) * (double)(j - i) - (double)(j - i);
	}
	free(p);
	return ties;
}

/* P(|W2 - na(N+1)| >= dev2) over every way to give na of the N doubled
 * midranks to a: subsets counted by their sum. */
static double mwu_exact(const long *r2, size_t n, size_t na, long dev2)
{
	long max = (long)(n * (n + 1)), mid = (long)na * (long)(n + 1);
	double *cnt = xcalloc((na + 1) * (size_t)(max + 1), sizeof(double)), hit = 0, all = 0;

	cnt[0] = 1;
	for (size_t i = 0; i < n; i++)
		for (size_t k = (i + 1 < na ? i + 1 : na); k >= 1; k--)
			for (long s = max; s >= r2[i]; s--)
				cnt[k * (size_t)(max + 1) + (size_t)s] += cnt[(k - 1) * (size_t)(max + 1) + (size_t)(s - r2[i])];
	for (long s = 0; s <= max; s++) {
		double c = cnt[na * (size_t)(max + 1) + (size_t)s];
		all += c;
		if (labs(s - mid) >= dev2)
			hit += c;
	}
	free(cnt);
	return all > 0 && hit < all ? hit / all : 1;
}

static double mwu_normal(double w2, size_t na, size_t nb, double ties)
{
	double n = (double)(na + nb), u = w2 / 2 - (double)na * ((double)na + 1) / 2, mu = (double)na * (double)nb / 2;
	double var = (double)na * (double)nb / 12 * ((n + 1) - ties / (n * (n - 1)));
	double z = (fabs(u - mu) - 0.5) / sqrt(var);

	if (!(var > 0) || z <= 0)
		return 1;
	return fmin(1, erfc(z / M_SQRT2));
}

double counters_mwu_p(const double *a, size_t na, const double *b, size_t nb, bool *exact)
{
	size_t n = na + nb;
	long *r2, w2 = 0;
	int *side;
	double ties, p;

	if (exact)
		*exact = n <= COUNTERS_EXACT_MAX_N;
	if (!na || !nb)
		return 1;
	r2 = xcalloc(n, sizeof(*r2));
	side = xcalloc(n, sizeof(*side));
	ties = midranks2(a, na, b, nb, r2, side);
	for (size_t i = 0; i < n; i++)
		w2 += side[i] ? 0 : r2[i];
	if (ties == (double)n * (double)n * (double)n - (double)n)
		p = 1; /* every value tied: no order to test */
	else if (n <= COUNTERS_EXACT_MAX_N)
		p = mwu_exact(r2, n, na, labs(w2 - (long)na * (long)(n + 1)));
	else
		p = mwu_normal((double)w2, na, nb, ties);
	free(r2);
	free(side);
	return p;
}

/* ---- Welch's t ------------------------------------------------------------------ */

/* The continued fraction of the incomplete beta (modified Lentz). */
static double beta_cf(double a, double b, double x)
{
	double c = 1, d = 1 - (a + b) * x / (a + 1), h;

	d = 1 / (fabs(d) < 1e-300 ? 1e-300 : d);
	h = d;
	for (int m = 1; m <= 300; m++) {
		for (int odd = 0; odd < 2; odd++) {
			double num = odd ? -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
					 : m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
			d = 1 + num * d;
			c = 1 + num / c;
			d = 1 / (fabs(d) < 1e-300 ? 1e-300 : d);
			c = fabs(c) < 1e-300 ? 1e-300 : c;
			h *= d * c;
			if (odd && fabs(d * c - 1) < 1e-15)
				return h;
		}
	}
	return h;
}

/* The regularised incomplete beta I_x(a, b). */
static double beta_inc(double a, double b, double x)
{
	double front;

	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
	if (x < (a + 1) / (a + b + 2))
		return front * beta_cf(a, b, x) / a;
	return 1 - front * beta_cf(b, a, 1 - x) / b;
}

static void mean_var(const double *v, size_t n, double *mean, double *var)
{
	double m = 0, ss = 0;

	for (size_t i = 0; i < n; i++)
		m += v[i];
	m /= (double)n;
	for (size_t i = 0; i < n; i++)
		ss += (v[i] - m) * (v[i] - m);
	*mean = m;
	*var = n > 1 ? ss / (double)(n - 1) : 0;
}

double counters_welch_p(const double *a, size_t na, const double *b, size_t nb)
{
	double ma, va, mb, vb, sa, sb, t, df;

	if (na < 2 || nb < 2)
		return 1;
	mean_var(a, na, &ma, &va);
	mean_var(b, nb, &mb, &vb);
	sa = va / (double)na;
	sb = vb / (double)nb;
	if (sa + sb <= 0)
		return ma == mb ? 1 : 0;
	t = (ma - mb) / sqrt(sa + sb);
	df = (sa + sb) * (sa + sb) / (sa * sa / (double)(na - 1) + sb * sb / (double)(nb - 1));
	return fmin(1, beta_inc(df / 2, 0.5, df / (df + t * t)));
}

double counters_test(const struct counter_sample *base, const struct counter_sample *head, const char **test)
{
	bool exact;
	double p;

	if (base->n >= COUNTERS_MWU_MIN_RUNS && head->n >= COUNTERS_MWU_MIN_RUNS) {
		p = counters_mwu_p(head->v, head->n, base->v, base->n, &exact);
		*test = exact ? "mann-whitney exact" : "mann-whitney normal";
		return p;
	}
	if (base->n >= 2 && head->n >= 2) {
		*test = "welch";
		return counters_welch_p(head->v, head->n, base->v, base->n);
	}
	*test = "none";
	return 1;
}

/* ---- the rule ------------------------------------------------------------------ */

double counters_ratio(double base_mean, double head_mean)
{
	if (base_mean == 0)
		return head_mean == 0 ? 1 : INFINITY;
	return head_mean / base_mean;
}

bool counters_flag(double base_mean, double head_mean, double p)
{
	double ratio = counters_ratio(base_mean, head_mean);

	return p < COUNTERS_P && fabs(head_mean - base_mean) >= COUNTERS_MIN_DIFF &&
	       (ratio >= COUNTERS_RATIO || ratio <= 1 / COUNTERS_RATIO);
}

/* ---- the comparison -------------------------------------------------------------- */

static struct json_object *values_json(const struct counter_sample *s)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < s->n; i++)
		json_object_array_add(a, json_object_new_double(s->v[i]));
	return a;
}

static struct json_object *compare_one(const char *name, struct json_object *const *base, size_t nb,
				       struct json_object *const *head, size_t nh)
{
	struct counter_sample b, h;
	struct json_object *row = json_object_new_object();
	const char *test;
	double bm, hm, p, ratio;

	counters_sample(base, nb, name, &b);
	counters_sample(head, nh, name, &h);
	bm = counters_mean(&b);
	hm = counters_mean(&h);
	p = counters_test(&b, &h, &test);
	ratio = counters_ratio(bm, hm);
	json_object_object_add(row, "name", json_object_new_string(name));
	json_object_object_add(row, "base_mean", json_object_new_double(bm));
	json_object_object_add(row, "head_mean", json_object_new_double(hm));
	json_object_object_add(row, "ratio", isfinite(ratio) ? json_object_new_double(ratio) : NULL);
	json_object_object_add(row, "p", json_object_new_double(p));
	json_object_object_add(row, "test", json_object_new_string(test));
	json_object_object_add(row, "base_values", values_json(&b));
	json_object_object_add(row, "head_values", values_json(&h));
	json_object_object_add(row, "flagged", json_object_new_boolean(counters_flag(bm, hm, p)));
	free(b.v);
	free(h.v);
	return row;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The well-formed mm names either side sent, sorted, once each, at most
 * COUNTERS_MAX_NAMES (the rest counted in *dropped). Borrowed from set. */
static size_t mm_names(struct json_object *set, struct json_object **runs, size_t n, const char ***names,
		       size_t *dropped)
{
	size_t count = 0, i = 0;

	for (size_t r = 0; r < n; r++) {
		json_object_object_foreach(runs[r], key, val) {
			(void)val;
			if (counters_is_mm(key) && vmstat_name(key) && !json_object_object_get_ex(set, key, NULL))
				json_object_object_add(set, key, NULL);
		}
	}
	count = (size_t)json_object_object_length(set);
	*names = xcalloc(count + 1, sizeof(**names));
	json_object_object_foreach(set, key, val) {
		(void)val;
		(*names)[i++] = key;
	}
	qsort(*names, count, sizeof(**names), by_name);
	*dropped = count > COUNTERS_MAX_NAMES ? count - COUNTERS_MAX_NAMES : 0;
	return count - *dropped;
}

static int by_p(const void *x, const void *y)
{
	struct json_object *a = *(struct json_object *const *)x, *b = *(struct json_object *const *)y;
	double pa = jdouble_loose(a, "p");
	double pb = jdouble_loose(b, "p");

	if (pa != pb)
		return (pa > pb) - (pa < pb);
	return strcmp(json_object_get_string(json_object_object_get(a, "name")),
		      json_object_get_string(json_object_object_get(b, "name")));
}

struct json_object *counters_compare(const char *base_dir, const char *head_dir, const char *const *names,
				     size_t nnames, size_t *dropped)
{
	size_t nb, nh, count = nnames;
	struct json_object **base = counters_load_runs(base_dir, &nb), **head = counters_load_runs(head_dir, &nh);
	struct json_object *out = json_object_new_array(), *set = json_object_new_object();
	const char **found = NULL;

	*dropped = 0;
	if (nb && nh && !nnames) {
		struct json_object **all = xcalloc(nb + nh, sizeof(*all));
		memcpy(all, base, nb * sizeof(*all));
		memcpy(all + nb, head, nh * sizeof(*all));
		count = mm_names(set, all, nb + nh, &found, dropped);
		free(all);
	}
	for (size_t i = 0; nb && nh && i < count; i++)
		json_object_array_add(out, compare_one(nnames ? names[i] : found[i], base, nb, head, nh));
	json_object_array_sort(out, by_p);
	free(found);
	json_object_put(set);
	free_runs(base, nb);
	free_runs(head, nh);
	return out;
}

int counters_flagged(struct json_object *cmp)
{
	int n = 0;

	for (size_t i = 0; cmp && json_object_is_type(cmp, json_type_array) && i < json_object_array_length(cmp); i++)
		n += jbool_loose(json_object_array_get_idx(cmp, i), "flagged");
	return n;
}

/* A mean as people read it: whole numbers without decimals. */
static void mean_text(double v, char *buf, size_t len)
{
	snprintf(buf, len, v == floor(v) && fabs(v) < 1e15 ? "%.0f" : "%.1f", v);
}

void counters_flagged_text(struct json_object *cmp, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; cmp && json_object_is_type(cmp, json_type_array) && i < json_object_array_length(cmp); i++) {
		struct json_object *row = json_object_array_get_idx(cmp, i);
		char b[32], h[32];
		if (!jbool_loose(row, "flagged") || used >= len)
			continue;
		mean_text(jdouble_loose(row, "base_mean"), b, sizeof(b));
		mean_text(jdouble_loose(row, "head_mean"), h, sizeof(h));
		used += (size_t)snprintf(buf + used, len - used, "%s%s %s -> %s (p %.2g)", used ? ", " : "",
					 json_object_get_string(json_object_object_get(row, "name")), b, h,
					 jdouble_loose(row, "p"));
	}
}

void counters_row_text(struct json_object *row, char *buf, size_t len)
{
	char b[32], h[32];
	const char *name = json_object_get_string(json_object_object_get(row, "name"));
	const char *test = json_object_get_string(json_object_object_get(row, "test"));

	mean_text(jdouble_loose(row, "base_mean"), b, sizeof(b));
	mean_text(jdouble_loose(row, "head_mean"), h, sizeof(h));
	snprintf(buf, len, "%s: base %s, head %s per run (%zu and %zu runs, %s p = %.2g)", name ? name : "?", b, h,
		 jlen(jget(row, "base_values")), jlen(jget(row, "head_values")), test ? test : "?",
		 jdouble_loose(row, "p"));
}
