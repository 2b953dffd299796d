/* Test points: one kernel built once, run N times or until decided. */
#include "point.h"
#include "build.h"
#include "run.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char **point_fragments(const struct case_def *c, const char *const *extra, char *err, size_t errlen)
{
	int n = 0, nextra = 0;
	const char **out;

	while (extra && extra[nextra])
		nextra++;
	/* The builder's own limit: one more is refused here, naming both. */
	if (c->nconfigs + nextra > BUILD_MAX_CONFIGS - 1) {
		snprintf(err, errlen, "%s: its %d [build] config fragments and %d --config ones are %d, more than the %d "
			 "a build takes", c->path, c->nconfigs, nextra, c->nconfigs + nextra, BUILD_MAX_CONFIGS - 1);
		return NULL;
	}
	out = xcalloc((size_t)(c->nconfigs + nextra + 1), sizeof(*out));
	for (int i = 0; i < c->nconfigs; i++)
		out[n++] = c->configs[i];
	for (int i = 0; i < nextra; i++)
		out[n++] = extra[i];
	return out;
}

struct point_seq point_seq_start(double alpha, int max_runs)
{
	return (struct point_seq){ .alpha = alpha, .max_runs = max_runs, .min_valid = POINT_MIN_BAD_END_RUNS };
}

void point_learn_rate(struct point_ctx *x, const struct tally *t)
{
	x->seq.p_bad = (t->hits + 1.0) / (stats_valid(t) + 2.0);
	x->seq.min_valid = 1;
}

static void skip_reason(const struct tally *t, int n, char *why, size_t len)
{
	if (!t->hits && !t->clean && t->other_crash)
		snprintf(why, len, "only other crashes (%d): %s", t->other_crash, t->other_title);
	else if (!stats_valid(t))
		snprintf(why, len, "no valid run of %d: %s", n, t->conf ? t->conf_reason : t->infra_reason);
	else
		snprintf(why, len, "undecided after %d runs: %d hit, %d clean, %d other crash", n, t->hits, t->clean,
			 t->other_crash);
}

/* -1 while an adaptive point is not yet decided. */
static int adaptive_verdict(const struct point_seq *s, const struct tally *t)
{
	int n = t->runs - t->interrupted;
	int v = stats_sprt(t->hits, t->clean, s->p_bad > 0 ? s->p_bad : POINT_UNKNOWN_P_BAD, s->alpha);

	if (v == POINT_BAD && stats_valid(t) < s->min_valid && n < s->max_runs)
		return -1;
	/* Another bug crashes every run: more runs will not show this one. */
	if (!t->hits && !t->clean && t->other_crash >= POINT_MAX_OTHER_CRASHES)
		return POINT_SKIP;
	if (v >= 0)
		return v;
	return n >= s->max_runs ? POINT_SKIP : -1;
}

enum point_verdict point_verdict(const struct point_ctx *x, const struct tally *t, char *why, size_t len)
{
	int n = t->runs - t->interrupted;
	int v = x->runs ? (int)stats_point(t) : adaptive_verdict(&x->seq, t);

	if (v < 0)
		v = POINT_SKIP;
	if (why && len)
		why[0] = '\0';
	if (v == POINT_SKIP && why)
		skip_reason(t, n, why, len);
	return (enum point_verdict)v;
}

struct adaptive {
	const struct point_ctx *x;
	struct tally t;
};

static bool decided(void *arg, const struct run_result *r)
{
	struct adaptive *a = arg;

	stats_add(&a->t, r, "");
	return adaptive_verdict(&a->x->seq, &a->t) >= 0;
}

int point_test(const struct point_ctx *x, const char *spec, const char *series, const char *dir,
	       struct point_result *pr, char *err, size_t errlen)
{
	struct adaptive a = { .x = x };
	struct kernel k;
	struct run_result *r;
	double t0 = now_seconds();
	int rc, n, runs = x->runs ? x->runs : x->seq.max_runs;

	memset(pr, 0, sizeof(*pr));
	pr->verdict = POINT_SKIP;
	rc = kernel_get(spec, series, x->configs, case_build_flavor(x->c, spec), x->c->arch, x->signal_fd, true, &k,
			err, errlen);
	pr->build_s = now_seconds() - t0;
	if (rc) {
		snprintf(pr->why, sizeof(pr->why), "%s", err);
		return rc;
	}
	snprintf(pr->image, sizeof(pr->image), "%s", k.image);
	r = xcalloc((size_t)runs, sizeof(*r));
	struct run_opts ro = { .out_dir = dir, .variant = x->variant, .runs = runs, .timeout_s = x->timeout_s,
			       .echo = x->verbose, .quiet = !x->print_runs, .signal_fd = x->signal_fd,
			       .accel = x->accel, .pool = x->pool, .enough = x->runs ? NULL : decided,
			       .enough_arg = &a };
	t0 = now_seconds();
	n = run_case(x->c, &k, &ro, r);
	pr->run_s = now_seconds() - t0;
	for (int i = 0; i < n; i++) {
		stats_add(&pr->t, &r[i], "");
		if (x->each_run)
			x->each_run(x->each_arg, &r[i]);
	}
	run_free_results(r, n);
	free(r);
	pr->verdict = point_verdict(x, &pr->t, pr->why, sizeof(pr->why));
	return pr->t.interrupted ? EXIT_INTERRUPTED : 0;
}
