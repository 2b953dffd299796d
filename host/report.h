/* Kernel console classifier after syzkaller's Linux report parser: every
 * oops-like report of a console, in order, with syzkaller's title. */
#ifndef MMREPRO_REPORT_H
#define MMREPRO_REPORT_H

#include <stdbool.h>
#include <stddef.h>

struct report {
	bool crash;
	bool corrupted;         /* truncated or interleaved: titled "... in corrupted" */
	char title[256];        /* e.g. "kernel BUG in migrate_misplaced_folio" */
	char guilty_frame[128]; /* "" when none could be found */
	int start_line;         /* 1-based line range of the report; 0 if none */
	int end_line;
};

/* Parses a raw console log (timestamps, [T123]/[C1] caller fields, <N>
 * levels and CRLF allowed) and fills *r with its first report, or with
 * crash=false when there is none. Returns 0. */
int report_parse(const char *log, size_t len, struct report *r);

/* The first report whose header is on line from_line (1-based) or later.
 * The whole log is read, so the result is the same report that
 * report_parse_all lists (a panic that only follows an earlier report,
 * "Fatal exception", is never one); start_line is at least from_line.
 * Calling it again with r->end_line + 1 walks every report, but each call
 * reads the log from its start: report_parse_all does the walk in one pass. */
int report_parse_from(const char *log, size_t len, int from_line, struct report *r);

/* Every report of the log, in order, in a malloc'd array (*out is NULL
 * when *n is 0). Returns 0, or -1 with errno ENOMEM. */
int report_parse_all(const char *log, size_t len, struct report **out, int *n);

/* Writes {"crash":..,"title":..,"guilty_frame":..|null,"corrupted":..,
 * "start_line":..,"end_line":..} into buf. Returns the length written, or
 * -1 (errno ENOSPC, buf emptied) when it does not fit. */
int report_to_json(const struct report *r, char *buf, size_t len);

/* A "func+0x1a/0x40 [module]" symbol on a console line. */
struct report_symbol {
	const char *start;      /* where "func+0x1a/0x40" starts in the line */
	size_t len;             /* and its length */
	char name[128];         /* without compiler suffixes (.isra.0, .cold) */
	unsigned long offset, size;
	char module[64];        /* "" for the kernel image */
	bool reliable;          /* not a "? func+0x1/0x2" guess */
	bool return_address;    /* a Call Trace frame: offset is past the call */
};

/* Finds the frame or RIP symbol of one raw console line (printk prefix
 * allowed). False when the line holds none. */
bool report_line_symbol(const char *line, size_t n, struct report_symbol *s);

/* For the unit tests: the index of the first family row that is not
 * well-formed (a header the fast path would never look at, a title format
 * that disagrees with its frame rule), or -1 when all are. */
int report_table_check(void);

#endif
