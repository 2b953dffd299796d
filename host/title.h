/* Title patterns (--title, a case's `title =`): a report title given
 * exactly, or /an extended regex/, as syzbot users name one bug. */
#ifndef MMREPRO_TITLE_H
#define MMREPRO_TITLE_H

#include <stdbool.h>
#include <stddef.h>

/* 0 when pattern is usable, or -1 with why (an empty pattern, a regex
 * that does not compile). */
int title_pattern_check(const char *pattern, char *why, size_t len);
/* Whether title is the pattern's bug: equal to it, or matched by /re/
 * anywhere in the title. An empty or unusable pattern matches nothing. */
bool title_matches(const char *pattern, const char *title);

#endif
