/* The load a quiet-host case is judged under: others' share of the CPU. */
#include "load.h"
#include "suites.h"

#include <string.h>

START_TEST(others_share_is_the_machine_minus_ours)
{
	struct load_sample a = { .busy_s = 100, .ours_s = 10, .wall_s = 1000, .cpus = 2, .ok = true };
	struct load_sample b = { .busy_s = 130, .ours_s = 30, .wall_s = 1020, .cpus = 2, .ok = true };

	/* 30 s busy in 20 s on 2 cores, 20 of them ours: 10 of 40 */
	ck_assert_double_eq_tol(load_others_share(&a, &b), 0.25, 1e-9);
	/* our children's time can exceed the machine's ticks when they were
	 * reaped late: never below 0 */
	b.ours_s = 60;
	ck_assert_double_eq_tol(load_others_share(&a, &b), 0, 1e-9);
	b.ok = false;
	ck_assert_double_eq_tol(load_others_share(&a, &b), -1, 1e-9);
	b.ok = true;
	b.wall_s = a.wall_s;
	ck_assert_double_eq_tol(load_others_share(&a, &b), -1, 1e-9);
}
END_TEST

START_TEST(too_busy_names_what_was_busy)
{
	char why[160] = "";

	ck_assert(!load_too_busy(0.1, 1, why, sizeof(why)));
	ck_assert(!load_too_busy(-1, 1, why, sizeof(why)));
	ck_assert(load_too_busy(0.6, 1, why, sizeof(why)));
	ck_assert_str_eq(why, "other work took 60% of the CPU while it ran");
	ck_assert(load_too_busy(0, 2, why, sizeof(why)));
	ck_assert_str_eq(why, "--jobs 2 ran VMs side by side");
	ck_assert(load_too_busy(0.5, 3, why, sizeof(why)));
	ck_assert_str_eq(why, "other work took 50% of the CPU and --jobs 3 ran VMs side by side");
}
END_TEST

START_TEST(a_real_sample_reads_the_machine)
{
	struct load_sample a, b;

	load_sample_take(&a);
	for (volatile long i = 0; i < 20000000; i++)
		;
	load_sample_take(&b);
	ck_assert(a.ok && b.ok);
	ck_assert_int_ge(a.cpus, 1);
	ck_assert(b.ours_s > a.ours_s);
	ck_assert(load_others_share(&a, &b) >= 0 && load_others_share(&a, &b) <= 1);
}
END_TEST

Suite *load_suite(void)
{
	Suite *s = suite_create("load");
	TCase *t = tcase_create("load");

	tcase_add_test(t, others_share_is_the_machine_minus_ours);
	tcase_add_test(t, too_busy_names_what_was_busy);
	tcase_add_test(t, a_real_sample_reads_the_machine);
	suite_add_tcase(s, t);
	return s;
}
