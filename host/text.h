/* UTF-8 checks and escaping of text that may come from a guest: XML and JSON strings. */
#ifndef MMREPRO_TEXT_H
#define MMREPRO_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The length (1 to 4) of the well-formed UTF-8 sequence at s, n bytes
 * left, an ASCII byte (NUL too) counting 1; its code point in *cp (cp may
 * be NULL). 0 when n is 0 or the bytes are malformed: a stray continuation
 * or invalid lead byte, an overlong form, a surrogate, a code point past
 * U+10FFFF, or a sequence cut short. */
size_t utf8_sequence_len(const unsigned char *s, size_t n, unsigned *cp);
/* U+0080 to U+009F: valid UTF-8, but some terminals obey U+009B as CSI. */
bool is_c1_control(unsigned cp);
/* How many of s's first n bytes are well-formed UTF-8 from the start. */
size_t utf8_valid_prefix(const char *s, size_t n);

/* Text for XML attributes and content: markup escaped, and the control
 * bytes XML 1.0 forbids dropped. */
void xml_escape(FILE *f, const char *s);
/* Writes s as a JSON string (quotes included) into out at offset o, as far
 * as cap allows (the returned offset counts all of it, as snprintf does);
 * invalid UTF-8 becomes \ufffd so that the output is always valid JSON. */
size_t json_quote(char *out, size_t cap, size_t o, const char *s);

#endif
