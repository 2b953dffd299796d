/* mmrepro guest library internals shared between its files; workloads use
 * tst.h only. */
#ifndef MMREPRO_TST_LIB_H
#define MMREPRO_TST_LIB_H

#include "tst.h"
#include "../protocol.h"

#include <json-c/json.h>
#include <stdarg.h>

/* The caller's file without its directories: "madv_free_mthp.c". */
const char *tst_basename_(const char *file);
/* One write(2) per line: no stdio buffer to duplicate across fork(). */
void tst_console_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tst_vres_(const char *file, int line, int verdict, const char *fmt, va_list ap);

/* The result store, shared with every process of the test. */
void tst_store_init_(void);
void tst_store_record_(int verdict, const char *file, int line, const char *msg);
void tst_value_set_(const char *key, const char *val);
int tst_store_total_(void);              /* results recorded so far, every kind */
void tst_store_counts_(int counts[4]);   /* PASS, FAIL, BROK, CONF */
int tst_store_verdict_(const char **reason);
json_object *tst_store_results_json_(void);
json_object *tst_store_values_json_(void);
int tst_store_dropped_(void);

/* Options: takes the library's and the test's options out of argv. */
struct tst_lib_args {
	int timeout_s;
	int runtime_s;             /* -1: not given */
	const char *scenarios;     /* NULL: all */
};
void tst_parse_options_(int argc, char **argv, const struct tst_test *t, struct tst_lib_args *lib);
bool tst_scenario_wanted_(const char *list, const struct tst_scenario *s);
void tst_check_scenario_list_(const struct tst_test *t, const char *list);

/* Needs and knobs (parent, before the fork). */
void tst_check_needs_(const struct tst_test *t);
void tst_apply_knobs_(const struct tst_knob *knobs);
void tst_restore_knobs_(void);
/* --list-knobs (protocol.h): the knobs the test writes, on stdout; exits. */
void tst_list_knobs_(const struct tst_knob *knobs) __attribute__((noreturn));

/* vmstat snapshots. */
void tst_vmstat_snapshot_(bool after);
json_object *tst_vmstat_delta_json_(void);

void tst_runtime_start_(int seconds);

#endif
