/* Kernel console classifier, in the spirit of syzkaller's report parser:
 * find the first oops-like report, give it a stable title and guilty frame. */
#ifndef MMREPRO_REPORT_H
#define MMREPRO_REPORT_H

#include <stdbool.h>
#include <stddef.h>

struct report {
	bool crash;
	char title[256];        /* e.g. "kernel BUG in migrate_misplaced_folio" */
	char guilty_frame[128]; /* "" when none could be found */
	int start_line;         /* 1-based line range of the report; 0 if none */
	int end_line;
};

/* Parses a raw console log (timestamps and [T123]/[C1] caller fields
 * allowed). Returns 0; fills *r with crash=false when nothing was found. */
int report_parse(const char *log, size_t len, struct report *r);

/* Same, but ignores the lines before from_line (1-based; line numbers in
 * *r still count from the start of log). Call it again with
 * r->end_line + 1 to walk every report in a log. */
int report_parse_from(const char *log, size_t len, int from_line, struct report *r);

/* Writes {"crash":..,"title":..,"guilty_frame":..|null,"start_line":..,
 * "end_line":..} into buf. Returns the length written, or -1 (errno
 * ENOSPC, buf emptied) when it does not fit. */
int report_to_json(const struct report *r, char *buf, size_t len);

#endif
