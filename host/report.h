/* Kernel console classifier after syzkaller's Linux report parser: every
 * oops-like report of a console, in order, with syzkaller's title. */
#ifndef MMREPRO_REPORT_H
#define MMREPRO_REPORT_H

#include <stdbool.h>
#include <stddef.h>

/* A dump_page()/dump_folio() block inside a report (mm/debug.c, 4.x to
 * 6.12 formats): "page:", "head:", "memcg:", "[anon |ksm ]flags:",
 * "page_type:" and "page dumped because:" lines. Addresses keep the
 * kernel's hex; what the console did not print is left unset. */
struct report_page {
	bool present;
	bool poisoned;          /* "page:... is uninitialized and poisoned" */
	bool malformed;         /* a field did not parse or was cut to fit: left out or shortened */
	bool have_pfn, have_mapping, have_flags, have_memcg;
	bool anon, ksm, file;   /* file: a mapping that is not anon, ksm or slab */
	bool large;             /* a compound page or large folio */
	int line;               /* of its "page:" line */
	long refcount, mapcount;
	int order;              /* -1: large, order not printed; 0 for a small page */
	unsigned long pfn, mapping, index, memcg, flags_raw;
	char flags[320];        /* page flag names, "uptodate|lru|head"; no node=/zone= fields */
	char page_type[32];     /* "slab", "buddy", ... or "" */
	char reason[256];       /* "page dumped because: " text, control bytes blanked */
};

struct report {
	bool crash;
	bool corrupted;         /* truncated or interleaved: titled "... in corrupted" */
	char title[256];        /* e.g. "kernel BUG in migrate_misplaced_folio" */
	char guilty_frame[128]; /* "" when none could be found */
	int start_line;         /* 1-based line range of the report; 0 if none */
	int end_line;
	struct report_page page; /* the first page dump between start_line and end_line */
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
 * "start_line":..,"end_line":..[,"page":{..}]} into buf (page only when
 * the report holds a dump; its keys are report_page_json's). Returns the length written, or
 * -1 (errno ENOSPC, buf emptied) when it does not fit. */
int report_to_json(const struct report *r, char *buf, size_t len);

/* Whether the page dump has flag name (exact, e.g. "lru"). */
bool report_page_has_flag(const struct report_page *p, const char *name);

/* A word of a case's expect_page: anon, file, ksm, large, small, poisoned
 * or a page flag name (lru, locked, dirty, ...), "!" in front to negate. */
bool report_page_word_known(const char *word);
/* Whether the dump is present and shows word (see report_page_word_known). */
bool report_page_is(const struct report_page *p, const char *word);

/* Writes the page dump as a JSON object: {"line":..,"pfn":"0x.."|null,
 * "refcount":..,"mapcount":..,"mapping":"0x.."|null,"index":"0x..",
 * "order":..|null,"nr_pages":..|null,"large":..,"kind":"anon"|"ksm"|"file"|
 * "other","flags":[..],"flags_raw":"0x.."|null,"memcg":"0x.."|null,
 * "page_type":..|null,"reason":..|null,"poisoned":..,"malformed":..}.
 * Returns the length, or -1 (errno ENOSPC, buf emptied). */
int report_page_json(const struct report_page *p, char *buf, size_t len);

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
