/* reproduce: the seed bugs, kernels at hand first, then the builds. */
#include "reproduce.h"
#include "case.h"
#include "json_read.h"
#include "outdir.h"
#include "pool.h"
#include "result.h"
#include "util.h"
#include "verify.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lower ranks run first; a row not yet planned, at its best. */
static int rank(const struct reproduce_row *r)
{
	return (r->ready || !r->planned ? 0 : 2) + (r->expect_fail ? 0 : 1);
}

int reproduce_next(const struct reproduce_row *rows, int n)
{
	int best = -1;

	for (int i = 0; i < n; i++)
		if (!rows[i].done && (best < 0 || rank(&rows[i]) < rank(&rows[best])))
			best = i;
	return best;
}

void reproduce_built(struct reproduce_row *rows, int n, int i)
{
	for (int j = 0; j < n; j++)
		if (rows[i].key[0] && !strcmp(rows[j].key, rows[i].key))
			rows[j].ready = true;
}

int reproduce_finish(struct verify_job **jobs, struct case_def *const *cases, int ncases,
		     struct json_object *summary)
{
	int worst = 0;

	for (int i = 0; i < ncases; i++) {
		if (!jobs[i])
			continue;
		printf("\n==== %s: %s\n", cases[i]->name, cases[i]->description);
		int code = verify_finish(jobs[i], summary);
		jobs[i] = NULL;
		if (code == EXIT_INTERRUPTED || worst == EXIT_INTERRUPTED)
			worst = EXIT_INTERRUPTED;
		else
			worst = code > worst ? code : worst;
	}
	return worst;
}

/* The bug hit first: when, and where. */
struct first_hit {
	bool seen;
	double seconds;
	char case_name[64], variant[64], kernel[256];
};

struct job_state {
	const struct reproduce_opts *o;
	struct case_def **cases;
	int ncases;
	struct verify_job **jobs;
	struct reproduce_row *rows;
	int nrows;
	struct json_object *order; /* the rows as they ran */
	struct first_hit hit;
};

/* Every case that declares variants, in the declared (file name) order. */
static void load_cases(struct job_state *s)
{
	char **paths, err[1024];
	int n = case_list_paths(&paths);

	if (n < 0)
		die(EXIT_USAGE, "cannot read %s/cases", repo_root());
	s->cases = xcalloc((size_t)n + 1, sizeof(*s->cases));
	for (int i = 0; i < n; i++) {
		struct case_def *c = xcalloc(1, sizeof(*c));
		if (case_load(paths[i], c, err, sizeof(err)) < 0)
			die(EXIT_USAGE, "%s", err);
		if (c->nvariants)
			s->cases[s->ncases++] = c;
		else
			free(c);
		free(paths[i]);
	}
	free(paths);
	s->jobs = xcalloc((size_t)s->ncases + 1, sizeof(*s->jobs));
}

static void make_rows(struct job_state *s)
{
	for (int i = 0; i < s->ncases; i++)
		s->nrows += s->cases[i]->nvariants;
	s->rows = xcalloc((size_t)s->nrows + 1, sizeof(*s->rows));
	for (int i = 0, r = 0; i < s->ncases; i++)
		for (int v = 0; v < s->cases[i]->nvariants; v++, r++) {
			s->rows[r].case_index = i;
			s->rows[r].variant_index = v;
			s->rows[r].expect_fail = s->cases[i]->variants[v].expect == EXPECT_FAIL;
		}
	printf("mmrepro: %d variants; those whose kernel is at hand (prebuilt, or in the cache) run first, expected "
	       "hits first, then those that need a build\n", s->nrows);
}

static void plan_row(struct job_state *s, struct reproduce_row *row)
{
	row->ready = verify_variant_ready(s->cases[row->case_index], row->variant_index, row->key, sizeof(row->key));
	row->planned = true;
}

static void note_first_hit(struct job_state *s, const struct reproduce_row *row)
{
	const struct case_def *c = s->cases[row->case_index];
	const struct variant *v = &c->variants[row->variant_index];
	struct first_hit *h = &s->hit;

	h->seen = true;
	h->seconds = now_seconds() - s->o->t0;
	snprintf(h->case_name, sizeof(h->case_name), "%s", c->name);
	snprintf(h->variant, sizeof(h->variant), "%s", v->name);
	snprintf(h->kernel, sizeof(h->kernel), "%s", v->kernel);
	fprintf(stderr, "mmrepro: first hit after %.0f s: %s %s on %s\n", h->seconds, h->case_name, h->variant, h->kernel);
}

static void note_order(struct job_state *s, const struct reproduce_row *row)
{
	const struct case_def *c = s->cases[row->case_index];
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "case", json_object_new_string(c->name));
	json_object_object_add(o, "variant", json_object_new_string(c->variants[row->variant_index].name));
	json_object_object_add(o, "kernel", json_object_new_string(c->variants[row->variant_index].kernel));
	json_object_object_add(o, "kernel_at_hand", json_object_new_boolean(row->ready));
	json_object_array_add(s->order, o);
}

/* One row; false when interrupted. */
static bool run_row(struct job_state *s, int i, int previous_case)
{
	struct reproduce_row *row = &s->rows[i];
	const struct case_def *c = s->cases[row->case_index];
	struct verify_opts v = { .runs = s->o->runs, .timeout_s = s->o->timeout_s, .verbose = s->o->verbose,
				 .accel = s->o->accel, .pool = s->o->pool, .only_arch = &s->o->only_arch };
	int hits;

	if (row->case_index != previous_case)
		printf("\n==== %s: %s\n", c->name, c->description);
	if (!s->jobs[row->case_index])
		s->jobs[row->case_index] = verify_begin(c, &v);
	note_order(s, row);
	hits = verify_run(s->jobs[row->case_index], row->variant_index);
	row->done = true;
	reproduce_built(s->rows, s->nrows, i);
	if (hits > 0 && !s->hit.seen)
		note_first_hit(s, row);
	return hits >= 0;
}

static void run_rows(struct job_state *s)
{
	int i, previous = -1;

	while ((i = reproduce_next(s->rows, s->nrows)) >= 0) {
		if (!s->rows[i].planned) {
			plan_row(s, &s->rows[i]);
			continue;
		}
		if (!run_row(s, i, previous))
			break;
		previous = s->rows[i].case_index;
	}
}

/* One line per variant: did the buggy kernels hit, did the fixed stay clean. */
static void print_summary(struct json_object *rows, const struct first_hit *h)
{
	printf("\n%-28s %-22s %-8s %-6s %s\n", "seed case", "variant", "expected", "ok", "hits (95% CI), title or reason");
	for (size_t i = 0; i < json_object_array_length(rows); i++) {
		struct json_object *r = json_object_array_get_idx(rows, i), *t, *ci;
		int hits = 0, valid = 0;
		double lo = 0, hi = 1;
		if (json_object_object_get_ex(r, "tally", &t)) {
			hits = jint_loose(t, "hits");
			valid = jint_loose(t, "valid");
			if (json_object_object_get_ex(t, "ci95", &ci)) {
				lo = json_object_get_double(json_object_array_get_idx(ci, 0));
				hi = json_object_get_double(json_object_array_get_idx(ci, 1));
			}
		}
		printf("%-28s %-22s %-8s %-6s %d/%d (%.0f-%.0f%%) %s\n", jtext(r, "case"), jtext(r, "variant"),
		       jtext(r, "expect"), jbool_loose(r, "matches") ? "yes" : "NO", hits, valid, lo * 100, hi * 100,
		       jtext(r, "reason"));
	}
	if (h->seen)
		printf("first hit after %.0f s: %s %s on %s\n", h->seconds, h->case_name, h->variant, h->kernel);
}

static struct json_object *first_hit_json(const struct first_hit *h)
{
	struct json_object *o;

	if (!h->seen)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "seconds", json_object_new_double(h->seconds));
	json_object_object_add(o, "case", json_object_new_string(h->case_name));
	json_object_object_add(o, "variant", json_object_new_string(h->variant));
	json_object_object_add(o, "kernel", json_object_new_string(h->kernel));
	return o;
}

/* results/<time>-reproduce-all-<pid>/reproduce.json; -1 when unwritten. */
static int write_summary(struct job_state *s, struct json_object *rows)
{
	struct json_object *o = json_object_new_object();
	const struct pool *p = s->o->pool;
	char dir[PATH_MAX], path[PATH_MAX + 32];
	int rc;

	run_default_out_dir("reproduce", "all", dir, sizeof(dir));
	xsnprintf(path, sizeof(path), "%s/reproduce.json", dir);
	json_object_object_add(o, "runs", json_object_new_int(s->o->runs));
	json_object_object_add(o, "jobs", json_object_new_int(p ? p->nslots : 1));
	json_object_object_add(o, "jobs_auto", p && p->jobs_auto ? json_object_new_string(p->jobs_auto) : NULL);
	json_object_object_add(o, "seconds", json_object_new_double(now_seconds() - s->o->t0));
	json_object_object_add(o, "first_hit", first_hit_json(&s->hit));
	json_object_object_add(o, "order", json_object_get(s->order));
	json_object_object_add(o, "variants", json_object_get(rows));
	if ((rc = result_write_json(path, o)) < 0)
		fprintf(stderr, "mmrepro: cannot write %s: %s\n", path, strerror(-rc));
	else
		printf("summary: %s\n", path);
	json_object_put(o);
	return rc < 0 ? -1 : 0;
}

static void free_state(struct job_state *s)
{
	for (int i = 0; i < s->ncases; i++)
		free(s->cases[i]);
	free(s->cases);
	free(s->jobs);
	free(s->rows);
	json_object_put(s->order);
}

int reproduce_command(const struct reproduce_opts *o)
{
	struct job_state s = { .o = o, .order = json_object_new_array() };
	struct json_object *rows = json_object_new_array();
	int worst;

	load_cases(&s);
	make_rows(&s);
	run_rows(&s);
	worst = reproduce_finish(s.jobs, s.cases, s.ncases, rows);
	print_summary(rows, &s.hit);
	if (write_summary(&s, rows) < 0 && worst != EXIT_INTERRUPTED)
		worst = EXIT_UNTESTABLE;
	json_object_put(rows);
	free_state(&s);
	return worst;
}
