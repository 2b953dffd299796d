/* --jobs N and --jobs auto: parsing, and the slots a host has room for. */
#include "suites.h"
#include "jobs.h"

#include <string.h>

static int decide(int cores, long avail_mb, unsigned vm_mb, char *why, size_t len)
{
	struct host_capacity h = { .cores = cores, .avail_mb = avail_mb };

	return jobs_decide(&h, vm_mb, why, len);
}

START_TEST(two_cores_run_two_vms_when_memory_allows)
{
	char why[320];

	/* This machine's shape: 2 cores, 23 GiB available, the seed cases' 2 GiB. */
	ck_assert_int_eq(decide(2, 23621, 2048, why, sizeof(why)), 2);
	ck_assert_ptr_nonnull(strstr(why, "2 cores, 2 for VMs"));
	ck_assert_ptr_nonnull(strstr(why, "2304 MiB a VM (2048 guest + 256 QEMU)"));
	ck_assert_ptr_nonnull(strstr(why, "limited by cores"));
	ck_assert_int_eq(decide(1, 23621, 1024, why, sizeof(why)), 1);
}
END_TEST

START_TEST(beyond_two_cores_one_stays_with_the_host)
{
	char why[320];

	ck_assert_int_eq(decide(3, 64000, 1024, why, sizeof(why)), 2);
	ck_assert_int_eq(decide(16, 128000, 1024, why, sizeof(why)), 15);
	ck_assert_ptr_nonnull(strstr(why, "16 cores, 15 for VMs"));
}
END_TEST

START_TEST(memory_limits_the_slots)
{
	char why[320];

	/* 16 cores, but 5000 MiB holds only 3 VMs of 1280 MiB. */
	ck_assert_int_eq(decide(16, 5000, 1024, why, sizeof(why)), 3);
	ck_assert_ptr_nonnull(strstr(why, "room for 3; limited by memory"));
	/* Exactly one VM's worth, and a byte less: still one, said so. */
	ck_assert_int_eq(decide(8, 1280, 1024, why, sizeof(why)), 1);
	ck_assert_ptr_nonnull(strstr(why, "limited by memory"));
	ck_assert_int_eq(decide(8, 1279, 1024, why, sizeof(why)), 1);
	ck_assert_ptr_nonnull(strstr(why, "not even one VM fits"));
}
END_TEST

START_TEST(never_more_than_jobs_max_nor_less_than_one)
{
	char why[320];

	ck_assert_int_eq(decide(256, 4L << 20, 512, why, sizeof(why)), JOBS_MAX);
	ck_assert_ptr_nonnull(strstr(why, "the most --jobs takes"));
	ck_assert_int_eq(decide(0, 8000, 512, why, sizeof(why)), 1);
	ck_assert_int_eq(decide(4, 0, 512, why, sizeof(why)), 1);
}
END_TEST

START_TEST(parse_takes_auto_and_1_to_64_only)
{
	static const char *const bad[] = { "0", "-1", "abc", "auto5", "65", "", " 3", "+3", "3x", "Auto", "1.5" };
	bool is_auto;
	int jobs;

	ck_assert_int_eq(jobs_parse("auto", &jobs, &is_auto), 0);
	ck_assert(is_auto);
	ck_assert_int_eq(jobs, 0);
	ck_assert_int_eq(jobs_parse("1", &jobs, &is_auto), 0);
	ck_assert(!is_auto);
	ck_assert_int_eq(jobs, 1);
	ck_assert_int_eq(jobs_parse("64", &jobs, &is_auto), 0);
	ck_assert_int_eq(jobs, 64);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(jobs_parse(bad[i], &jobs, &is_auto) == -1 && !is_auto, "'%s' was taken", bad[i]);
}
END_TEST

START_TEST(this_machine_has_cores_and_memory)
{
	struct host_capacity h;

	ck_assert_int_eq(jobs_host_capacity(&h), 0);
	ck_assert_int_ge(h.cores, 1);
	ck_assert_int_gt(h.avail_mb, 0);
}
END_TEST

Suite *jobs_suite(void)
{
	Suite *s = suite_create("jobs");
	TCase *t = tcase_create("jobs");

	tcase_add_test(t, two_cores_run_two_vms_when_memory_allows);
	tcase_add_test(t, beyond_two_cores_one_stays_with_the_host);
	tcase_add_test(t, memory_limits_the_slots);
	tcase_add_test(t, never_more_than_jobs_max_nor_less_than_one);
	tcase_add_test(t, parse_takes_auto_and_1_to_64_only);
	tcase_add_test(t, this_machine_has_cores_and_memory);
	suite_add_tcase(s, t);
	return s;
}
