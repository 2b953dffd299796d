/* Every Check suite of the unit test binary. */
#ifndef MMREPRO_TEST_SUITES_H
#define MMREPRO_TEST_SUITES_H

#include <check.h>

Suite *case_suite(void);
Suite *report_suite(void);
Suite *vm_suite(void);
Suite *console_suite(void);
Suite *result_suite(void);
Suite *initramfs_suite(void);
Suite *series_suite(void);
Suite *build_suite(void);

/* Writes text to a fresh temp file and returns its path (static buffer). */
const char *test_temp_file(const char *text, const char *suffix);
/* A fresh temp directory. */
const char *test_temp_dir(void);

#endif
