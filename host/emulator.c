/* Known TCG artifacts among a console's reports (emulator.h). */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "emulator.h"

/* The log's next line from *pos, as [*s, *e); false past its end. */
static bool next_line(const char *log, size_t len, size_t *pos, const char **s, const char **e)
{
	const char *nl;

	if (*pos >= len)
		return false;
	*s = log + *pos;
	nl = memchr(*s, '\n', len - *pos);
	*e = nl ? nl : log + len;
	*pos = (size_t)(*e - log) + 1;
	return true;
}

static bool has(const char *s, const char *e, const char *needle)
{
	size_t n = strlen(needle);

	for (; (size_t)(e - s) >= n; s++)
		if (!memcmp(s, needle, n))
			return true;
	return false;
}

static bool hex_byte(const char *p, const char *e)
{
	return e - p >= 2 && isxdigit((unsigned char)p[0]) && isxdigit((unsigned char)p[1]) &&
	       (e - p == 2 || p[2] == ' ');
}

/* A "Code:" line's byte before the one at the instruction pointer
 * ("<xx>"): an int3 trap leaves the pointer just past the int3, so that
 * byte is the int3 itself while the text still holds it. 1 when it is
 * 0xcc, 0 when it is another byte, -1 when the line does not say. */
static int int3_still_in_code(const char *s, const char *e)
{
	const char *lt = memchr(s, '<', (size_t)(e - s)), *p;

	if (!lt || lt - s < 3 || lt[-1] != ' ')
		return -1;
	p = lt - 3;
	if (!hex_byte(p, lt) || (p > s && p[-1] != ' ' && p[-1] != ':'))
		return -1;
	return (tolower((unsigned char)p[0]) == 'c' && tolower((unsigned char)p[1]) == 'c') ? 1 : 0;
}

enum emulator_artifact emulator_artifact_of(const char *log, size_t len, const struct report *r)
{
	const char *s, *e;
	size_t pos = 0;
	bool int3 = false;

	if (!log || !r->crash || r->start_line <= 0)
		return EMU_NONE;
	for (int line = 1; next_line(log, len, &pos, &s, &e) && line <= r->end_line; line++) {
		if (line < r->start_line)
			continue;
		if (!int3 && has(s, e, "int3: 0000 [#"))
			int3 = true;
		else if (int3 && has(s, e, "Code: "))
			return int3_still_in_code(s, e) == 0 ? EMU_TCG_STALE_INT3 : EMU_NONE;
	}
	return EMU_NONE;
}

const char *emulator_artifact_name(enum emulator_artifact a)
{
	return a == EMU_TCG_STALE_INT3 ? "tcg-stale-int3" : "";
}

const char *emulator_artifact_why(enum emulator_artifact a)
{
	if (a == EMU_TCG_STALE_INT3)
		return "an int3 trap where the code no longer holds an int3: QEMU's TCG ran a stale "
		       "translation of text the kernel had patched (a QEMU bug, fixed in 8.1), not a kernel bug";
	return "";
}
