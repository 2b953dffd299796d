/* libFuzzer target for case files: case_load_buffer on arbitrary text. */
#include "case.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME "fuzz.case"

static void die_if(int bad, const char *what, const char *err)
{
	if (!bad)
		return;
	fprintf(stderr, "fuzz_case: %s (error: '%s')\n", what, err);
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* Workloads and series are looked up under the repository. */
	if (!getenv("MMREPRO_ROOT"))
		fprintf(stderr, "fuzz_case: MMREPRO_ROOT is not set, no workload will be found\n");
	return 0;
}

static int count_lines(const char *data, size_t size)
{
	int lines = 0;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	return lines + (size && data[size - 1] != '\n');
}

/* "fuzz.case:LINE: message" with LINE in the input, or "fuzz.case: message". */
static void check_error(const char *err, int lines)
{
	const char *s = err + strlen(NAME);
	long line;
	char *end;

	die_if(strncmp(err, NAME ":", strlen(NAME) + 1) != 0, "error does not start with the file name", err);
	if (s[1] == ' ') {
		die_if(!s[2], "error without a message", err);
		return;
	}
	line = strtol(s + 1, &end, 10);
	die_if(!isdigit((unsigned char)s[1]) || strncmp(end, ": ", 2) != 0 || !end[2], "malformed file:line", err);
	die_if(line < 1 || line > lines, "error line outside the input", err);
}

static void check_case(const struct case_def *c)
{
	unsigned total = 0;

	die_if(c->mem_mb < 64 || c->mem_mb > 1024 * 1024, "memory out of range", "");
	die_if(c->cpus < 1 || c->cpus > 64, "cpus out of range", "");
	die_if(c->nnuma < 0 || c->nnuma > CASE_MAX_NUMA, "bad NUMA node count", "");
	for (int i = 0; i < c->nnuma; i++)
		total += c->numa_mb[i];
	die_if(c->nnuma && (total != c->mem_mb || c->cpus % c->nnuma), "bad NUMA topology", "");
	die_if(!c->name[0] || strspn(c->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") !=
				      strlen(c->name), "name is not a plain word", c->name);
	die_if(c->nvariants < 0 || c->nvariants > CASE_MAX_VARIANTS, "bad variant count", "");
}

/* What a variant runs with was checked at load: applying it cannot fail. */
static void check_variants(const struct case_def *c)
{
	struct case_def *vc = malloc(sizeof(*vc));
	char err[1024] = "";

	for (int i = 0; vc && i < c->nvariants; i++) {
		const struct variant *v = &c->variants[i];
		die_if(case_for_variant(c, v, vc, err, sizeof(err)) < 0, "a loaded variant does not apply", err);
		check_case(vc);
		die_if(v->rate_runs && (v->expect != EXPECT_FAIL || v->rate_hits < 1 || v->rate_hits > v->rate_runs),
		       "bad k of N", "");
	}
	free(vc);
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
	struct case_def *c = malloc(sizeof(*c));
	char err[1024] = "";

	if (!c)
		return 0;
	if (case_load_buffer(NAME, (const char *)bytes, size, c, err, sizeof(err)) < 0)
		check_error(err, count_lines((const char *)bytes, size));
	else {
		check_case(c);
		check_variants(c);
	}
	free(c);
	return 0;
}
