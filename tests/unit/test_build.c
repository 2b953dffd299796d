#include "build.h"
#include "suites.h"

#include <string.h>

static const char config[] =
	"#\n# Automatically generated file; DO NOT EDIT.\n#\nCONFIG_CMA=y\nCONFIG_CMA_AREAS=7\n"
	"# CONFIG_KSM is not set\nCONFIG_LOCALVERSION=\"-mm\"\nCONFIG_ZRAM=m\nCONFIG_CMA_DEBUGFS=y\n";

START_TEST(fragment_lines_checked_against_config)
{
	ck_assert(build_config_line_holds(config, "CONFIG_CMA=y"));
	ck_assert(build_config_line_holds(config, "CONFIG_CMA_AREAS=7"));
	ck_assert(build_config_line_holds(config, "CONFIG_LOCALVERSION=\"-mm\""));
	ck_assert(build_config_line_holds(config, "CONFIG_ZRAM=m"));
	ck_assert(build_config_line_holds(config, "# CONFIG_KSM is not set"));
	ck_assert(build_config_line_holds(config, "# CONFIG_ABSENT is not set"));
	ck_assert(build_config_line_holds(config, "CONFIG_ABSENT=n"));
	ck_assert(build_config_line_holds(config, "# a comment"));
	ck_assert(build_config_line_holds(config, ""));
	ck_assert(!build_config_line_holds(config, "CONFIG_KSM=y"));
	ck_assert(!build_config_line_holds(config, "CONFIG_ZRAM=y"));
	ck_assert(!build_config_line_holds(config, "CONFIG_CMA_AREAS=8"));
	/* A prefix of another symbol must not count. */
	ck_assert(!build_config_line_holds(config, "CONFIG_CM=y"));
	ck_assert(!build_config_line_holds(config, "CONFIG_DEBUGFS=y"));
	ck_assert(!build_config_line_holds(config, "# CONFIG_CMA is not set"));
	ck_assert(!build_config_line_holds(config, "CONFIG_CMA=n"));
	ck_assert(!build_config_line_holds(config, "garbage"));
}
END_TEST

START_TEST(cache_key_hashes_contents_in_order)
{
	const char *p1[] = { "patch A", "patch B", NULL }, *p2[] = { "patch B", "patch A", NULL };
	const char *p3[] = { "patch A", "patch B ", NULL }, *f1[] = { "CONFIG_CMA=y\n", NULL };
	const char *f2[] = { "CONFIG_CMA=y\nCONFIG_KSM=y\n", NULL };
	char k1[25], k2[25];

	build_cache_key("debian linux-source-6.12 6.12.117", "gcc 12.2.0", p1, f1, k1);
	ck_assert_uint_eq(strlen(k1), 24);
	build_cache_key("debian linux-source-6.12 6.12.117", "gcc 12.2.0", p1, f1, k2);
	ck_assert_str_eq(k1, k2);
	build_cache_key("debian linux-source-6.12 6.12.117", "gcc 12.2.0", p2, f1, k2);
	ck_assert_str_ne(k1, k2);
	build_cache_key("debian linux-source-6.12 6.12.117", "gcc 12.2.0", p3, f1, k2);
	ck_assert_str_ne(k1, k2);
	build_cache_key("debian linux-source-6.12 6.12.117", "gcc 12.2.0", p1, f2, k2);
	ck_assert_str_ne(k1, k2);
	build_cache_key("debian linux-source-6.12 6.12.118", "gcc 12.2.0", p1, f1, k2);
	ck_assert_str_ne(k1, k2);
	build_cache_key("debian linux-source-6.12 6.12.117", "gcc 13.1.0", p1, f1, k2);
	ck_assert_str_ne(k1, k2);
	build_cache_key("debian linux-source-6.12 6.12.117", "gcc 12.2.0", NULL, f1, k2);
	ck_assert_str_ne(k1, k2);
}
END_TEST

Suite *build_suite(void)
{
	Suite *s = suite_create("build");
	TCase *t = tcase_create("config-and-key");

	tcase_add_test(t, fragment_lines_checked_against_config);
	tcase_add_test(t, cache_key_hashes_contents_in_order);
	suite_add_tcase(s, t);
	return s;
}
