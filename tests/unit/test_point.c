/* Test points: the fragment list and the adaptive verdicts. */
#include "point.h"
#include "build.h"
#include "suites.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct tally tally_of(int hits, int clean, int other_crash)
{
	struct tally t;

	memset(&t, 0, sizeof(t));
	t.hits = hits;
	t.clean = clean;
	t.other_crash = other_crash;
	t.runs = hits + clean + other_crash;
	snprintf(t.other_title, sizeof(t.other_title), "WARNING in elsewhere");
	return t;
}

/* The case's fragments first, then the extra ones; one over the builder's
 * limit is an error naming the case and both counts. */
START_TEST(fragments_merge_in_order_and_refuse_too_many)
{
	struct case_def c;
	const char *extra[BUILD_MAX_CONFIGS + 1] = { "x.config", "y.config", NULL };
	char err[512] = "";
	const char **f;

	memset(&c, 0, sizeof(c));
	snprintf(c.path, sizeof(c.path), "cases/t.case");
	c.nconfigs = 2;
	snprintf(c.configs[0], sizeof(c.configs[0]), "a.config");
	snprintf(c.configs[1], sizeof(c.configs[1]), "b.config");
	ck_assert_ptr_nonnull(f = point_fragments(&c, extra, err, sizeof(err)));
	ck_assert_str_eq(f[0], "a.config");
	ck_assert_str_eq(f[2], "x.config");
	ck_assert_ptr_null(f[4]);
	free(f);
	ck_assert_ptr_nonnull(f = point_fragments(&c, NULL, err, sizeof(err)));
	ck_assert_ptr_null(f[2]);
	free(f);
	for (int i = 0; i < BUILD_MAX_CONFIGS; i++)
		extra[i] = "z.config";
	extra[BUILD_MAX_CONFIGS - 3] = NULL; /* 2 + 13 = 15: the most a build takes */
	ck_assert_ptr_nonnull(f = point_fragments(&c, extra, err, sizeof(err)));
	free(f);
	extra[BUILD_MAX_CONFIGS - 3] = "z.config";
	extra[BUILD_MAX_CONFIGS - 2] = NULL;  /* 16 */
	ck_assert_ptr_null(point_fragments(&c, extra, err, sizeof(err)));
	ck_assert_msg(strstr(err, "cases/t.case") && strstr(err, "2 [build]") && strstr(err, "14 --config"), "%s", err);
}
END_TEST

/* --runs auto: a bad end needs its minimum of valid runs; after it, one
 * hit or two clean runs of an always-hitting bug decide; a point whose
 * runs only crash otherwise stops as a skip saying so; the cap is a skip. */
START_TEST(adaptive_verdicts)
{
	struct point_ctx x = { .runs = 0, .seq = point_seq_start(0.05, 20) };
	struct tally t;
	char why[256];

	t = tally_of(1, 0, 0);
	ck_assert_int_eq(point_verdict(&x, &t, why, sizeof(why)), POINT_SKIP); /* not yet: 1 of 4 runs */
	t = tally_of(4, 0, 0);
	ck_assert_int_eq(point_verdict(&x, &t, why, sizeof(why)), POINT_BAD);
	t = tally_of(0, 13, 0);
	ck_assert_int_eq(point_verdict(&x, &t, why, sizeof(why)), POINT_SKIP);
	ck_assert_msg(strstr(why, "undecided after 13 runs"), "%s", why);
	t = tally_of(0, 14, 0);
	ck_assert_int_eq(point_verdict(&x, &t, why, sizeof(why)), POINT_GOOD);
	t = tally_of(4, 0, 0);
	point_learn_rate(&x, &t);
	ck_assert(x.seq.p_bad > 0.83 && x.seq.p_bad < 0.84); /* (4 + 1) / (4 + 2) */
	t = tally_of(1, 0, 0);
	ck_assert_int_eq(point_verdict(&x, &t, why, sizeof(why)), POINT_BAD);
	t = tally_of(0, 2, 0);
	ck_assert_int_eq(point_verdict(&x, &t, why, sizeof(why)), POINT_GOOD);
	t = tally_of(0, 0, 3);
	ck_assert_int_eq(point_verdict(&x, &t, why, sizeof(why)), POINT_SKIP);
	ck_assert_msg(strstr(why, "only other crashes (3): WARNING in elsewhere"), "%s", why);
	x.seq.p_bad = 0.05;
	t = tally_of(1, 19, 0);
	ck_assert_int_eq(point_verdict(&x, &t, why, sizeof(why)), POINT_SKIP);
	ck_assert_msg(strstr(why, "undecided after 20 runs: 1 hit, 19 clean"), "%s", why);
	/* Fixed runs keep stats_point's rules. */
	x.runs = 2;
	t = tally_of(0, 0, 2);
	ck_assert_int_eq(point_verdict(&x, &t, why, sizeof(why)), POINT_SKIP);
	t = tally_of(0, 2, 0);
	ck_assert_int_eq(point_verdict(&x, &t, why, sizeof(why)), POINT_GOOD);
}
END_TEST

Suite *point_suite(void)
{
	Suite *s = suite_create("point");
	TCase *t = tcase_create("point");

	tcase_add_test(t, fragments_merge_in_order_and_refuse_too_many);
	tcase_add_test(t, adaptive_verdicts);
	suite_add_tcase(s, t);
	return s;
}
