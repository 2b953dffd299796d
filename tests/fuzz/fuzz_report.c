/* libFuzzer target for the console classifier: report_parse, walking every
 * report with report_parse_from, report_to_json, and a linear-time guard. */
#include "report.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Generous for ASan+UBSan builds: a clean log classifies at ~1 ns/byte
 * uninstrumented. CPU time, so a busy machine does not trip it. */
#define NS_PER_BYTE 200.0
#define FIXED_NS 50e6
/* Each report_parse_from call rescans the log from its start to reach
 * from_line, so walking every report costs reports x size: a 1 MiB log of
 * one-line BUGs takes minutes. Walk until that much has been rescanned;
 * each call is still held to the linear bound above. */
#define WALK_BUDGET_BYTES (1ULL << 30)

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die_if(int bad, const char *what, size_t size, int from_line)
{
	if (!bad)
		return;
	fprintf(stderr, "fuzz_report: %s (input %zu bytes, from_line %d)\n", what, size, from_line);
	abort();
}

static int count_lines(const char *data, size_t size)
{
	int lines = 0;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	return lines + (size && data[size - 1] != '\n');
}

/* One call: must take time linear in size and give a sane line range. */
static void parse_checked(const char *data, size_t size, int from_line, int lines, struct report *r)
{
	double start = cpu_ns(), spent;

	report_parse_from(data, size, from_line, r);
	spent = cpu_ns() - start;
	if (spent > FIXED_NS + NS_PER_BYTE * (double)size) {
		fprintf(stderr, "fuzz_report: %.1f ms for %zu bytes, limit %.1f ms\n", spent / 1e6, size,
			(FIXED_NS + NS_PER_BYTE * (double)size) / 1e6);
		abort();
	}
	die_if(memchr(r->title, '\0', sizeof(r->title)) == NULL, "title not terminated", size, from_line);
	die_if(memchr(r->guilty_frame, '\0', sizeof(r->guilty_frame)) == NULL, "guilty_frame not terminated",
	       size, from_line);
	if (!r->crash)
		return;
	die_if(!r->title[0], "crash without a title", size, from_line);
	die_if(r->start_line < from_line, "report starts before from_line", size, from_line);
	die_if(r->end_line < r->start_line, "report ends before it starts", size, from_line);
	die_if(r->end_line > lines, "report ends after the last line", size, from_line);
}

static void check_json(const struct report *r, size_t size)
{
	/* Every title and frame byte escaped as \u00XX still fits. */
	char json[8192], tiny[16];
	int n = report_to_json(r, json, sizeof(json));

	die_if(n < 0, "report_to_json does not fit 8 KiB", size, 0);
	die_if((size_t)n != strlen(json), "report_to_json length is wrong", size, 0);
	n = report_to_json(r, tiny, sizeof(tiny));
	die_if(n < 0 && tiny[0] != '\0', "report_to_json left a partial buffer", size, 0);
}

static int same_report(const struct report *a, const struct report *b)
{
	return a->crash == b->crash && !strcmp(a->title, b->title) && !strcmp(a->guilty_frame, b->guilty_frame) &&
	       a->start_line == b->start_line && a->end_line == b->end_line;
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
	const char *data = (const char *)bytes;
	int lines = count_lines(data, size);
	unsigned long long rescanned = size;
	struct report r, first;

	parse_checked(data, size, 1, lines, &first);
	check_json(&first, size);
	die_if(report_parse(data, size, &r) != 0 || !same_report(&r, &first),
	       "report_parse differs from report_parse_from line 1", size, 1);
	for (int from = first.end_line + 1; first.crash && from <= lines && rescanned <= WALK_BUDGET_BYTES;
	     from = r.end_line + 1, rescanned += size) {
		parse_checked(data, size, from, lines, &r);
		if (!r.crash)
			break;
		check_json(&r, size);
	}
	return 0;
}
