/* Every Check suite of the unit test binary. */
#ifndef MMREPRO_TEST_SUITES_H
#define MMREPRO_TEST_SUITES_H

#include <check.h>
#include <json-c/json.h>
#include <stdbool.h>

Suite *case_suite(void);
Suite *report_suite(void);
/* The classifier's corpus, one test per log (test_corpus.c). */
TCase *corpus_tcase(void);
Suite *decode_suite(void);
Suite *vm_suite(void);
Suite *console_suite(void);
Suite *result_suite(void);
Suite *initramfs_suite(void);
Suite *series_suite(void);
Suite *build_suite(void);
Suite *run_suite(void);
Suite *stats_suite(void);
Suite *kcidb_suite(void);
Suite *bisect_suite(void);
Suite *libvirt_suite(void);
Suite *verify_suite(void);
Suite *html_suite(void);
Suite *ktap_suite(void);
Suite *syzbot_suite(void);
Suite *repro_suite(void);
Suite *subtests_suite(void);
Suite *point_suite(void);
Suite *counters_suite(void);
Suite *knob_suite(void);
Suite *stack_suite(void);
Suite *load_suite(void);
Suite *json_suite(void);
Suite *emulator_suite(void);
Suite *jobs_suite(void);
Suite *reproduce_suite(void);

/* Writes text to a fresh temp file and returns its path (static buffer). */
const char *test_temp_file(const char *text, const char *suffix);
/* The object of a JSON array whose "name" is name, or NULL. */
struct json_object *test_row_named(struct json_object *rows, const char *name);
/* A fresh temp directory. */
const char *test_temp_dir(void);
/* Whether any entry of dir starts with prefix (a file an injected command
 * would have created). */
bool test_dir_has_entry_starting(const char *dir, const char *prefix);
/* A fresh git repository holding one commit of f.txt ("old\n") (static buffer). */
const char *test_git_repo(void);

#endif
