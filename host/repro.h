/* A user's C reproducer: compiled statically for the guest with the
 * host's gcc (or the cross gcc of an arm64 guest), cached by the hash of
 * its text, flags and compiler. */
#ifndef MMREPRO_REPRO_H
#define MMREPRO_REPRO_H

#include <stddef.h>

#include "arch.h"

/* The compile command for src into out, as an argv (malloc'd, NULL-
 * terminated; free the array, and *words: cflags split on blanks). */
char **repro_compile_argv(const char *src, const char *cflags, enum arch arch, const char *out, char **words);
/* Compiles src (or finds it in the cache) and puts the binary's path in
 * bin. Prints the compile command on stderr. Returns 0, or EXIT_USAGE
 * with the compiler's FILE:LINE: lines copied to stderr and err naming
 * src, or EXIT_UNTESTABLE when the cache cannot be written. */
int repro_compile(const char *src, const char *cflags, enum arch arch, char *bin, size_t binlen, char *err,
		  size_t errlen);

#endif
