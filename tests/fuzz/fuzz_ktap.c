/* libFuzzer target for the guest's selftest output: ktap_parse on any
 * bytes (the first byte picks the exit code), with its promises checked:
 * every entry has a test, a name and a reason, names stay within
 * KTAP_NAME_MAX, and no control byte survives in them. */
#include "ktap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_text(const char *s)
{
	if (!s || strlen(s) > KTAP_NAME_MAX)
		abort();
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int codes[] = { 0, 1, 4, -1 };
	struct ktap_result r;
	int code = size ? codes[data[0] % 4] : 0;

	if (ktap_parse("fuzz", (const char *)data + (size > 0), size ? size - 1 : 0, code, "killed", &r) < 0)
		return 0;
	if (r.n < 1 || r.n > KTAP_MAX_SUBTESTS + 1)
		abort();
	for (int i = 0; i < r.n; i++) {
		check_text(r.subs[i].test);
		check_text(r.subs[i].name);
		check_text(r.subs[i].reason);
		if (r.subs[i].status > KTAP_ERROR)
			abort();
	}
	ktap_free(&r);
	return 0;
}
