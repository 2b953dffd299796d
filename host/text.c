/* UTF-8 checks and escaping of text that may come from a guest: XML and JSON strings. */
#include "text.h"

#include <string.h>

size_t utf8_sequence_len(const unsigned char *s, size_t n, unsigned *cp)
{
	static const unsigned least[] = { 0, 0, 0x80, 0x800, 0x10000 };
	unsigned c;
	size_t len;

	if (!n)
		return 0;
	if (s[0] < 0x80)
		len = 1, c = s[0];
	else if (s[0] >= 0xC2 && s[0] <= 0xDF)
		len = 2, c = s[0] & 0x1Fu;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		len = 3, c = s[0] & 0x0Fu;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		len = 4, c = s[0] & 0x07u;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3Fu);
	}
	if (c < least[len] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	if (cp)
		*cp = c;
	return len;
}

bool is_c1_control(unsigned cp)
{
	return cp >= 0x80 && cp <= 0x9f;
}

size_t utf8_valid_prefix(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, len;

	while (i < n && (len = utf8_sequence_len(u + i, n - i, NULL)))
		i += len;
	return i;
}

void xml_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
				fputc(*s, f);
		}
	}
}

/* The escape JSON has for a control byte, quote or backslash; NULL for
 * the ones that take \u00XX. */
static const char *json_short_escape(unsigned char c)
{
	switch (c) {
	case '"': return "\\\"";
	case '\\': return "\\\\";
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\t': return "\\t";
	case '\b': return "\\b";
	case '\f': return "\\f";
	default: return NULL;
	}
}

static size_t put_bytes(char *out, size_t cap, size_t o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++, o++)
		if (o + 1 < cap)
			out[o] = s[i];
	return o;
}

size_t json_quote(char *out, size_t cap, size_t o, const char *s)
{
	const unsigned char *u = (const unsigned char *)s, *end = u + strlen(s);

	o = put_bytes(out, cap, o, "\"", 1);
	while (u < end) {
		const char *e = json_short_escape(*u);
		char esc[8];
		size_t len;
		if (e || *u < 0x20 || *u == 0x7f) {
			if (!e)
				snprintf(esc, sizeof(esc), "\\u%04x", *u);
			o = put_bytes(out, cap, o, e ? e : esc, strlen(e ? e : esc));
			u++;
		} else if ((len = utf8_sequence_len(u, (size_t)(end - u), NULL))) {
			o = put_bytes(out, cap, o, (const char *)u, len);
			u += len;
		} else {
			o = put_bytes(out, cap, o, "\\ufffd", 6);
			u++;
		}
	}
	return put_bytes(out, cap, o, "\"", 1);
}
