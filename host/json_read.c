/* Reading JSON that may be hostile: typed getters that answer NULL or a default, and parsing with a size limit. */
#include "json_read.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* report.html reads whole verify dirs' results: generous, but bounded. */
#define MAX_JSON_BYTES (256u << 20)

struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

struct json_object *jarr(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return v && json_object_is_type(v, json_type_array) ? v : NULL;
}

struct json_object *jobj(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return v && json_object_is_type(v, json_type_object) ? v : NULL;
}

const char *jstring(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

const char *jstr(struct json_object *o, const char *key)
{
	const char *s = jstring(o, key);

	return s && *s ? s : NULL;
}

const char *jtext(struct json_object *o, const char *key)
{
	const char *s = json_object_get_string(jget(o, key));

	return s ? s : "";
}

bool jnum(struct json_object *o, const char *key, double *out)
{
	struct json_object *v = jget(o, key);
	double d;

	if (!v || !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return false;
	d = json_object_get_double(v);
	if (!isfinite(d))
		return false;
	*out = d;
	return true;
}

int jint(struct json_object *o, const char *key, int dflt)
{
	double d;

	return jnum(o, key, &d) && d >= INT_MIN && d <= INT_MAX ? (int)d : dflt;
}

bool jint_in(struct json_object *o, const char *key, long long min, long long max, long long *out)
{
	struct json_object *v = jget(o, key);

	if (!v || !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return *out >= min && *out <= max;
}

bool jbool(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return v && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

bool jbool_loose(struct json_object *o, const char *key)
{
	return json_object_get_boolean(jget(o, key));
}

double jdouble_loose(struct json_object *o, const char *key)
{
	return json_object_get_double(jget(o, key));
}

int jint_loose(struct json_object *o, const char *key)
{
	return json_object_get_int(jget(o, key));
}

size_t jlen(struct json_object *a)
{
	return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

struct json_object *jat(struct json_object *a, size_t i)
{
	return i < jlen(a) ? json_object_array_get_idx(a, i) : NULL;
}

struct json_object *jread_file(const char *path, size_t max)
{
	char *text = read_file_limited(path, max, NULL);
	struct json_object *o;

	if (!text)
		return NULL;
	o = json_tokener_parse(text);
	free(text);
	if (!o)
		errno = EINVAL;
	return o;
}

struct json_object *jread_object(const char *path, size_t max)
{
	struct json_object *o = jread_file(path, max);

	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		errno = EINVAL;
		return NULL;
	}
	return o;
}

/* "not a JSON object (why)", naming the line where parsing stopped. */
static void parse_error(const char *path, const char *text, size_t len, struct json_tokener *tok, bool parsed,
			char *err, size_t errlen)
{
	enum json_tokener_error e = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	int line = 1;

	for (size_t i = 0; i < end && i < len; i++)
		line += text[i] == '\n';
	snprintf(err, errlen, "%s:%d: not a JSON object (%s)", path, line,
		 parsed ? "another JSON type" : e == json_tokener_continue ? "the text ends early" :
		 json_tokener_error_desc(e));
}

struct json_object *load_json(const char *path, bool required, char *err, size_t errlen)
{
	size_t len;
	char *text = read_file_limited(path, MAX_JSON_BYTES, &len);
	struct json_tokener *tok;
	struct json_object *o;

	if (!text) {
		if (required || errno != ENOENT)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success || !json_object_is_type(o, json_type_object)) {
		parse_error(path, text, len, tok, o != NULL, err, errlen);
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	free(text);
	return o;
}
