#include "suites.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *test_temp_file(const char *text, const char *suffix)
{
	static char path[256];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/mmrepro-test-XXXXXX%s", suffix);
	fd = mkstemps(path, (int)strlen(suffix));
	if (fd < 0)
		abort();
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

const char *test_temp_dir(void)
{
	static char path[64];

	snprintf(path, sizeof(path), "/tmp/mmrepro-test-XXXXXX");
	if (!mkdtemp(path))
		abort();
	return path;
}

int main(void)
{
	Suite *suites[] = { case_suite(), report_suite(), vm_suite(), console_suite(), result_suite(),
			    initramfs_suite(), series_suite(), build_suite() };
	SRunner *sr = srunner_create(suites[0]);
	int failed;

	for (size_t i = 1; i < sizeof(suites) / sizeof(suites[0]); i++)
		srunner_add_suite(sr, suites[i]);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
