/* Title patterns: exact titles and /regex/ ones. */
#include "title.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_regex(const char *pattern, size_t n)
{
	return n >= 2 && pattern[0] == '/' && pattern[n - 1] == '/';
}

static int compile(const char *pattern, regex_t *re, char *why, size_t len)
{
	size_t n = strlen(pattern);
	char *body = strndup(pattern + 1, n - 2);
	int rc = body ? regcomp(re, body, REG_EXTENDED | REG_NOSUB) : REG_ESPACE;

	if (rc && why) {
		char msg[128];
		regerror(rc, re, msg, sizeof(msg));
		snprintf(why, len, "%s: not a valid extended regex (%s)", pattern, msg);
	}
	free(body);
	return rc ? -1 : 0;
}

int title_pattern_check(const char *pattern, char *why, size_t len)
{
	size_t n = strlen(pattern);
	regex_t re;

	if (!n || (is_regex(pattern, n) && n == 2)) {
		snprintf(why, len, "an empty title matches no report");
		return -1;
	}
	if (!is_regex(pattern, n))
		return 0;
	if (compile(pattern, &re, why, len) < 0)
		return -1;
	regfree(&re);
	return 0;
}

bool title_matches(const char *pattern, const char *title)
{
	size_t n = strlen(pattern);
	regex_t re;
	bool hit;

	if (!n)
		return false;
	if (!is_regex(pattern, n))
		return !strcmp(pattern, title);
	if (n == 2 || compile(pattern, &re, NULL, 0) < 0)
		return false;
	hit = regexec(&re, title, 0, NULL, 0) == 0;
	regfree(&re);
	return hit;
}
