/* A run report's call stack as function names, for a case's expect_stack. */
#ifndef MMREPRO_STACK_H
#define MMREPRO_STACK_H

#include <stdbool.h>
#include <stddef.h>

struct run_result;

#define STACK_MAX_WORDS 8
#define STACK_WORD_LEN 64

/* What expect_stack = a, !b asked and what the run's first report showed. */
struct stack_check {
	bool ok;
	bool decoded;          /* inlined functions were known (DWARF) */
	char why[320];         /* "no do_numa_page in the stack of 'kernel BUG in ...' (not decoded: ...)" */
};

/* Whether a function name (no spaces, no '+') may be a word, "!" allowed. */
bool stack_word_valid(const char *word);

/* Checks each word against the first report of run r from the workload
 * on: a name must be a reliable frame of it, or a function inlined into
 * one where the kernel's frames were decoded; "!name" must be neither.
 * The frames come from result.json's decoded frames when there are any,
 * and from the console's own frame lines always. */
void stack_check_run(const struct run_result *r, const char words[][STACK_WORD_LEN], int n,
		     struct stack_check *out);

#endif
