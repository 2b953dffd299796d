/* KCIDB v5.3 writer: ids, statuses, times and patchset hashes for gate. */
#include "kcidb.h"
#include "json_read.h"
#include "text.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ORIGIN "mmrepro"

/* ---- hashing ---------------------------------------------------------- */

static void hex_of(const unsigned char *md, unsigned len, char *out)
{
	for (unsigned i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

static int sha256_file_hex(const char *path, char out[65])
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx;
	FILE *f = fopen(path, "rb");
	size_t n;
	int err = 0;

	if (!f)
		return -errno;
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		err = -ENOMEM;
	while (!err && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (!EVP_DigestUpdate(ctx, buf, n))
			err = -EIO;
	if (!err && ferror(f))
		err = errno ? -errno : -EIO;
	if (!err && !EVP_DigestFinal_ex(ctx, md, &mdlen))
		err = -EIO;
	if (!err)
		hex_of(md, mdlen, out);
	EVP_MD_CTX_free(ctx);
	fclose(f);
	return err;
}

int kcidb_patchset_hash(const char *const *patch_paths, int n, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char line[66];
	EVP_MD_CTX *ctx;
	int err = 0;

	if (n <= 0)
		return -EINVAL;
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		err = -ENOMEM;
	for (int i = 0; i < n && !err; i++) {
		err = sha256_file_hex(patch_paths[i], line);
		line[64] = '\n';
		if (!err && !EVP_DigestUpdate(ctx, line, 65))
			err = -EIO;
	}
	if (!err && !EVP_DigestFinal_ex(ctx, md, &mdlen))
		err = -EIO;
	if (!err)
		hex_of(md, mdlen, out);
	EVP_MD_CTX_free(ctx);
	return err;
}

/* ---- strings ---------------------------------------------------------- */

static bool is_ascii_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Writes s with every byte outside [A-Za-z0-9] and punct mapped to '_' (an
 * empty s as "_"); returns the end. */
static char *sanitize_part(char *out, const char *s, const char *punct)
{
	if (!s || !*s) {
		*out++ = '_';
		return out;
	}
	for (; *s; s++)
		*out++ = is_ascii_alnum(*s) || strchr(punct, *s) ? *s : '_';
	return out;
}

/* "mmrepro:" and the sanitised parts joined by '-'. */
static char *make_id(const char *const *parts, int nparts)
{
	size_t len = sizeof(ORIGIN ":");
	char *id, *end;

	for (int i = 0; i < nparts; i++)
		len += (parts[i] ? strlen(parts[i]) : 0) + 2;
	id = xcalloc(1, len);
	end = stpcpy(id, ORIGIN ":");
	for (int i = 0; i < nparts; i++) {
		if (i)
			*end++ = '-';
		end = sanitize_part(end, parts[i], "_.-");
	}
	*end = '\0';
	return id;
}

/* Path segments may not hold '.', the separator. */
static char *test_path(const struct kcidb_test *t)
{
	size_t len = sizeof(ORIGIN ".") + (t->case_name ? strlen(t->case_name) : 0) + 1;
	char *path, *end;

	for (int i = 0; i < t->nsubpath; i++)
		len += strlen(t->subpath[i]) + 1;
	path = xcalloc(1, len);
	end = sanitize_part(stpcpy(path, ORIGIN "."), t->case_name, "_-");
	for (int i = 0; i < t->nsubpath; i++) {
		*end++ = '.';
		end = sanitize_part(end, t->subpath[i], "_-");
	}
	*end = '\0';
	return path;
}

/* s as valid UTF-8 (malloc'd): invalid text (from a guest, say) would make
 * the whole file unreadable, so then every non-ASCII byte becomes '?'. */
static char *clean_text(const char *s)
{
	char *copy = xstrdup(s);

	if (utf8_valid_prefix(copy, strlen(copy)) < strlen(copy))
		for (char *p = copy; *p; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
	return copy;
}

static struct json_object *clean_string(const char *s)
{
	char *text = clean_text(s);
	struct json_object *o = json_object_new_string(text);

	free(text);
	return o;
}

/* ---- properties ------------------------------------------------------- */

static void set_string(struct json_object *o, const char *key, const char *value)
{
	if (value)
		json_object_object_add(o, key, clean_string(value));
}

static void set_owned_string(struct json_object *o, const char *key, char *value)
{
	set_string(o, key, value);
	free(value);
}

static void set_time(struct json_object *o, const char *key, double unix_s)
{
	char text[64];
	struct tm tm;
	long long us;
	time_t sec;

	/* Past year 9999 RFC 3339 has no form. */
	if (!isfinite(unix_s) || unix_s <= 0 || unix_s >= 253402300799.0)
		return;
	us = (long long)(unix_s * 1e6 + 0.5); /* unix_s > 0: adding 0.5 rounds */
	sec = (time_t)(us / 1000000);
	if (!gmtime_r(&sec, &tm))
		return;
	snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%06lld+00:00", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us % 1000000);
	set_string(o, key, text);
}

static void set_duration(struct json_object *o, const char *key, double seconds)
{
	if (isfinite(seconds) && seconds >= 0)
		json_object_object_add(o, key, json_object_new_double(seconds));
}

/* A deep copy of src without nulls (members and items are dropped) or
 * non-finite numbers, which json-c would write as bare NaN. */
static struct json_object *copy_without_nulls(struct json_object *src)
{
	struct json_object *copy, *item;

	switch (json_object_get_type(src)) {
	case json_type_null:
		return NULL;
	case json_type_double:
		return isfinite(json_object_get_double(src)) ? json_object_new_double(json_object_get_double(src))
							      : NULL;
	case json_type_string:
		return clean_string(json_object_get_string(src));
	case json_type_array:
		copy = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(src); i++)
			if ((item = copy_without_nulls(json_object_array_get_idx(src, i))))
				json_object_array_add(copy, item);
		return copy;
	case json_type_object:
		copy = json_object_new_object();
		json_object_object_foreach(src, key, value) {
			char *clean_key = clean_text(key);

			if ((item = copy_without_nulls(value)))
				json_object_object_add(copy, clean_key, item);
			free(clean_key);
		}
		return copy;
	default:
		return json_object_get(src);
	}
}

/* ---- URLs ------------------------------------------------------------- */

/* scheme://..., where a scheme is a letter and then letters, digits, + . - */
static bool is_url(const char *s)
{
	size_t scheme = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
	char first = (char)(s[0] | 0x20);

	return scheme > 0 && first >= 'a' && first <= 'z' && !strncmp(s + scheme, "://", 3);
}

/* A URL is kept as it is unless it holds blanks or control bytes, which no
 * URL may; NULL then. */
static char *url_as_is(const char *url)
{
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return NULL;
	return xstrdup(url);
}

/* file:// and the absolute path, percent-encoded; NULL (errno) without a
 * working directory to resolve a relative path against. */
static char *file_url(const char *path)
{
	char *cwd = path[0] == '/' ? NULL : getcwd(NULL, 0);
	size_t len = strlen(path) + (cwd ? strlen(cwd) + 1 : 0);
	char *url, *end;

	if (path[0] != '/' && !cwd)
		return NULL;
	url = xcalloc(1, sizeof("file://") + 3 * len);
	end = stpcpy(url, "file://");
	for (int part = cwd ? 0 : 1; part < 2; part++) {
		for (const char *p = part ? path : cwd; *p; p++) {
			if (is_ascii_alnum(*p) || strchr("-._~/", *p))
				*end++ = *p;
			else
				end += sprintf(end, "%%%02X", (unsigned char)*p);
		}
		if (!part)
			*end++ = '/';
	}
	*end = '\0';
	free(cwd);
	return url;
}

/* ---- entries ---------------------------------------------------------- */

static bool is_kcidb_status(const char *s)
{
	static const char *const statuses[] = { "FAIL", "ERROR", "MISS", "PASS", "DONE", "SKIP" };

	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (!strcmp(s, statuses[i]))
			return true;
	return false;
}

static bool array_has_id(struct json_object *array, const char *id)
{
	for (size_t i = 0; i < json_object_array_length(array); i++) {
		struct json_object *o = json_object_array_get_idx(array, i);

		if (jget(o, "id") && !strcmp(jtext(o, "id"), id))
			return true;
	}
	return false;
}

/* Why an entry cannot be added, or 0. */
static int entry_problem(struct json_object *array, const char *id, const char *status,
			 struct json_object *misc)
{
	if (!json_object_is_type(array, json_type_array))
		return -EINVAL;
	if (status && !is_kcidb_status(status))
		return -EINVAL;
	if (misc && !json_object_is_type(misc, json_type_object))
		return -EINVAL;
	return array_has_id(array, id) ? -EEXIST : 0;
}

/* Adds a copy of misc to o (an empty copy is left out) and drops misc. */
static void set_misc(struct json_object *o, struct json_object *misc)
{
	struct json_object *copy = copy_without_nulls(misc);

	if (copy && json_object_object_length(copy) > 0)
		json_object_object_add(o, "misc", copy);
	else
		json_object_put(copy);
	json_object_put(misc);
}

static struct json_object *new_entry(const char *id)
{
	struct json_object *o = json_object_new_object();

	set_string(o, "id", id);
	set_string(o, "origin", ORIGIN);
	return o;
}

/* ---- checkout --------------------------------------------------------- */

/* Lowercases a 40-hex-digit commit hash into out; false for anything else. */
static bool commit_hash(const char *in, char out[41])
{
	size_t i;

	for (i = 0; i < 40 && in[i]; i++) {
		char c = in[i] >= 'A' && in[i] <= 'F' ? (char)(in[i] - 'A' + 'a') : in[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		out[i] = c;
	}
	out[i] = '\0';
	return i == 40 && !in[i];
}

static int add_patchset(struct json_object *checkout, const struct kcidb_checkout *co)
{
	struct json_object *files;
	char hash[65];
	int err = kcidb_patchset_hash(co->patch_paths, co->npatches, hash);

	if (err)
		return err;
	files = json_object_new_array();
	for (int i = 0; i < co->npatches; i++) {
		const char *path = co->patch_paths[i], *slash = strrchr(path, '/');
		struct json_object *file = json_object_new_object();
		char *url = file_url(path);

		if (!url) {
			err = -errno;
			json_object_put(file);
			json_object_put(files);
			return err;
		}
		set_string(file, "name", slash ? slash + 1 : path);
		set_owned_string(file, "url", url);
		json_object_array_add(files, file);
	}
	json_object_object_add(checkout, "patchset_files", files);
	set_string(checkout, "patchset_hash", hash);
	return 0;
}

static int new_checkout(const char *run_id, const struct kcidb_checkout *co, struct json_object **out)
{
	char *id = make_id(&run_id, 1), hash[41];
	struct json_object *c;
	int err;

	if ((co->git_commit_hash && !commit_hash(co->git_commit_hash, hash)) || co->npatches < 0) {
		free(id);
		return -EINVAL;
	}
	c = new_entry(id);
	free(id);
	set_string(c, "tree_name", co->tree_name);
	set_string(c, "git_commit_hash", co->git_commit_hash ? hash : NULL);
	if (co->npatches > 0 && (err = add_patchset(c, co)) < 0) {
		json_object_put(c);
		return err;
	}
	json_object_object_add(c, "valid", json_object_new_boolean(co->valid));
	set_time(c, "start_time", co->start_time_unix);
	*out = c;
	return 0;
}

/* ---- the document ----------------------------------------------------- */

struct json_object *kcidb_new(const char *run_id, const struct kcidb_checkout *co)
{
	struct json_object *doc, *version, *checkout, *checkouts;
	int err = new_checkout(run_id, co, &checkout);

	if (err) {
		errno = -err;
		return NULL;
	}
	version = json_object_new_object();
	json_object_object_add(version, "major", json_object_new_int(5));
	json_object_object_add(version, "minor", json_object_new_int(3));
	checkouts = json_object_new_array();
	json_object_array_add(checkouts, checkout);
	doc = json_object_new_object();
	json_object_object_add(doc, "version", version);
	json_object_object_add(doc, "checkouts", checkouts);
	json_object_object_add(doc, "builds", json_object_new_array());
	json_object_object_add(doc, "tests", json_object_new_array());
	return doc;
}

/* Whether id is already in doc's array of that name: what an entry refers to. */
static bool doc_has(struct json_object *doc, const char *array, const char *id)
{
	struct json_object *entries = json_object_object_get(doc, array);

	return json_object_is_type(entries, json_type_array) && array_has_id(entries, id);
}

int kcidb_add_build(struct json_object *doc, const char *run_id, const struct kcidb_build *b)
{
	struct json_object *builds = json_object_object_get(doc, "builds"), *o;
	char *checkout_id = make_id(&run_id, 1);
	char *id = make_id((const char *const[]){ run_id, b->id_suffix }, 2);
	char *log_url = !b->log_url ? NULL : is_url(b->log_url) ? url_as_is(b->log_url) : file_url(b->log_url);
	int err = entry_problem(builds, id, b->status, b->misc);

	if (!err && b->log_url && !log_url)
		err = -EINVAL;
	if (!err && !doc_has(doc, "checkouts", checkout_id))
		err = -ENOENT;
	if (err) {
		free(checkout_id);
		free(id);
		free(log_url);
		json_object_put(b->misc);
		return err;
	}
	o = new_entry(id);
	free(id);
	set_owned_string(o, "checkout_id", checkout_id);
	set_string(o, "architecture", "x86_64");
	set_string(o, "compiler", b->compiler);
	set_string(o, "config_name", b->config_name);
	set_string(o, "status", b->status);
	set_duration(o, "duration", b->duration_s);
	set_owned_string(o, "log_url", log_url);
	set_misc(o, b->misc);
	json_object_array_add(builds, o);
	return 0;
}

int kcidb_add_test(struct json_object *doc, const char *run_id, const char *build_suffix,
		   const struct kcidb_test *t)
{
	struct json_object *tests = json_object_object_get(doc, "tests"), *o;
	const char **parts = xcalloc((size_t)t->nsubpath + 3, sizeof(*parts));
	char *build_id = make_id((const char *const[]){ run_id, build_suffix }, 2), *id;
	int err;

	parts[0] = run_id;
	parts[1] = build_suffix;
	parts[2] = t->case_name;
	for (int i = 0; i < t->nsubpath; i++)
		parts[3 + i] = t->subpath[i];
	id = make_id(parts, t->nsubpath + 3);
	free(parts);
	err = entry_problem(tests, id, t->status, t->misc);

	if (!err && !doc_has(doc, "builds", build_id))
		err = -ENOENT;
	if (err) {
		free(build_id);
		free(id);
		json_object_put(t->misc);
		return err;
	}
	o = new_entry(id);
	free(id);
	set_owned_string(o, "build_id", build_id);
	set_owned_string(o, "path", test_path(t));
	set_string(o, "status", t->status);
	set_time(o, "start_time", t->start_time_unix);
	set_duration(o, "duration", t->duration_s);
	set_misc(o, t->misc);
	json_object_array_add(tests, o);
	return 0;
}

int kcidb_write(struct json_object *doc, const char *path)
{
	const char *json = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	char *text;
	int n, err;

	if (!json)
		return -ENOMEM;
	n = asprintf(&text, "%s\n", json);
	if (n < 0)
		return -ENOMEM;
	err = write_file_atomic(path, text, (size_t)n);
	free(text);
	return err;
}

const char *kcidb_status_of_verdict(const char *mmrepro_verdict)
{
	static const char *const map[][2] = { { "PASS", "PASS" }, { "FAIL", "FAIL" }, { "CONF", "SKIP" },
					      { "BROK", "ERROR" } };

	for (size_t i = 0; mmrepro_verdict && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(mmrepro_verdict, map[i][0]))
			return map[i][1];
	return "ERROR";
}
