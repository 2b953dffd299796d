/* libFuzzer target for the console classifier: report_parse_all with a
 * linear-time guard, report_parse and report_parse_from against it,
 * report_to_json and report_line_symbol. */
#include "report.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Generous for ASan+UBSan builds (a clean log classifies at a few ns/byte
 * uninstrumented; 400 ns/byte tripped once on a loaded machine, and 1000
 * once more with VMs beside it: a 64 KiB line of "kcompactd" took 166 ms
 * of CPU against 165.5). CPU time, so waiting for a core does not count,
 * but sharing caches does; a quadratic walk is still far beyond this. */
#define NS_PER_BYTE 2500.0
#define FIXED_NS 100e6
/* report_parse_from reads the whole log each call; the walk checks this
 * many reports against report_parse_all, which lists them in one pass. */
#define WALK_CHECKS 4
/* report_line_symbol on the lines of the first reports, at most this many. */
#define SYMBOL_LINES 2000

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die_if(int bad, const char *what, size_t size, int report)
{
	if (!bad)
		return;
	fprintf(stderr, "fuzz_report: %s (input %zu bytes, report %d)\n", what, size, report);
	abort();
}

static int count_lines(const char *data, size_t size)
{
	int lines = 0;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	return lines + (size && data[size - 1] != '\n');
}

static void check_timed(double start, size_t size, const char *what)
{
	double spent = cpu_ns() - start, limit = FIXED_NS + NS_PER_BYTE * (double)size;

	if (spent > limit) {
		fprintf(stderr, "fuzz_report: %s took %.1f ms for %zu bytes, limit %.1f ms\n", what, spent / 1e6,
			size, limit / 1e6);
		abort();
	}
}

static void check_report(const struct report *r, int prev_end, int lines, size_t size, int i)
{
	die_if(memchr(r->title, '\0', sizeof(r->title)) == NULL, "title not terminated", size, i);
	die_if(memchr(r->guilty_frame, '\0', sizeof(r->guilty_frame)) == NULL, "guilty_frame not terminated",
	       size, i);
	die_if(!r->crash || !r->title[0], "a listed report without crash or title", size, i);
	die_if(r->start_line <= prev_end, "report starts inside the one before", size, i);
	die_if(r->end_line < r->start_line, "report ends before it starts", size, i);
	die_if(r->end_line > lines, "report ends after the last line", size, i);
	die_if(r->guilty_frame[0] && !strstr(r->title, r->guilty_frame), "guilty frame not in the title", size, i);
}

static void check_json(const struct report *r, size_t size, int i)
{
	/* Every title and frame byte escaped as \u00XX still fits. */
	char json[8192], tiny[16];
	int n = report_to_json(r, json, sizeof(json));

	die_if(n < 0, "report_to_json does not fit 8 KiB", size, i);
	die_if((size_t)n != strlen(json), "report_to_json length is wrong", size, i);
	n = report_to_json(r, tiny, sizeof(tiny));
	die_if(n < 0 && tiny[0] != '\0', "report_to_json left a partial buffer", size, i);
}

static int same_report(const struct report *a, const struct report *b)
{
	return a->crash == b->crash && a->corrupted == b->corrupted && !strcmp(a->title, b->title) &&
	       !strcmp(a->guilty_frame, b->guilty_frame) && a->start_line == b->start_line &&
	       a->end_line == b->end_line;
}

/* The walk with report_parse_from gives the same first reports. */
static void check_walk(const char *data, size_t size, const struct report *all, int n)
{
	struct report r;
	int from = 1;

	for (int i = 0; i <= n && i < WALK_CHECKS; i++) {
		double start = cpu_ns();
		report_parse_from(data, size, from, &r);
		check_timed(start, size, "report_parse_from");
		die_if(i < n ? !same_report(&r, &all[i]) : r.crash, "report_parse_from differs from the list", size, i);
		from = r.end_line + 1;
	}
}

static void check_symbols(const char *data, size_t size)
{
	struct report_symbol s;
	const char *p = data, *end = data + size;

	for (int k = 0; p < end && k < SYMBOL_LINES; k++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (report_line_symbol(p, n, &s)) {
			die_if(s.start < p || s.start + s.len > p + n, "symbol outside its line", size, k);
			die_if(!s.name[0] || !memchr(s.name, '\0', sizeof(s.name)), "bad symbol name", size, k);
			die_if(!memchr(s.module, '\0', sizeof(s.module)), "module not terminated", size, k);
		}
		p += n + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
	const char *data = (const char *)bytes;
	int lines = count_lines(data, size), n;
	struct report *all, first;
	double start = cpu_ns();

	die_if(report_parse_all(data, size, &all, &n) != 0, "report_parse_all failed", size, 0);
	check_timed(start, size, "report_parse_all");
	for (int i = 0; i < n; i++) {
		check_report(&all[i], i ? all[i - 1].end_line : 0, lines, size, i);
		check_json(&all[i], size, i);
	}
	report_parse(data, size, &first);
	die_if(n ? !same_report(&first, &all[0]) : first.crash, "report_parse differs from the list", size, 0);
	check_json(&first, size, 0);
	check_walk(data, size, all, n);
	check_symbols(data, size);
	free(all);
	return 0;
}
