/* Reading JSON that may be hostile: typed getters that answer NULL or a default, and parsing with a size limit. */
#ifndef MMREPRO_JSON_READ_H
#define MMREPRO_JSON_READ_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/* The value at key; NULL when o is not an object or has no such key (or
 * holds JSON null there). Every getter below reads through it. */
struct json_object *jget(struct json_object *o, const char *key);
struct json_object *jarr(struct json_object *o, const char *key);
struct json_object *jobj(struct json_object *o, const char *key);
/* The string at key, "" included; NULL for another type. */
const char *jstring(struct json_object *o, const char *key);
/* As jstring, but NULL for "" too. */
const char *jstr(struct json_object *o, const char *key);
/* Any value at key as json-c writes it as text (a string's own bytes);
 * "" when the key is missing or null. */
const char *jtext(struct json_object *o, const char *key);
/* A finite JSON number (integer or not); false for anything else. */
bool jnum(struct json_object *o, const char *key, double *out);
/* jnum's number as an int (truncated); dflt when absent or out of range. */
int jint(struct json_object *o, const char *key, int dflt);
/* A JSON integer (not a double) in [min, max]; false otherwise. */
bool jint_in(struct json_object *o, const char *key, long long min, long long max, long long *out);
/* true only for a JSON true. */
bool jbool(struct json_object *o, const char *key);
/* json-c's truth of any value at key (a non-empty string, a non-zero
 * number); false when missing. */
bool jbool_loose(struct json_object *o, const char *key);
/* json-c's own conversions of any type (a numeric string counts, an int
 * saturates); 0 when the key is missing. */
double jdouble_loose(struct json_object *o, const char *key);
int jint_loose(struct json_object *o, const char *key);
/* An array's length (0 for anything else) and its ith element (NULL past the end). */
size_t jlen(struct json_object *a);
struct json_object *jat(struct json_object *a, size_t i);

/* The JSON value in the file at path, read up to max bytes; NULL when
 * unreadable (errno from the read), too large or not JSON (EINVAL). */
struct json_object *jread_file(const char *path, size_t max);
/* As jread_file, but NULL (EINVAL) for a value that is not an object. */
struct json_object *jread_object(const char *path, size_t max);
/* The object at path; NULL when absent (an error only when required), or
 * unreadable, or not a JSON object (err names the file and line). */
struct json_object *load_json(const char *path, bool required, char *err, size_t errlen);

#endif
