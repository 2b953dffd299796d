/* Per-subtest comparison of two sides' kselftest runs. */
#include "subtests.h"
#include "json_read.h"
#include "stats.h"
#include "util.h"

#include <dirent.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The nth subtest of its name in a run is named "NAME (#n)" from n = 2. */
static struct json_object *new_row(const char *suite, struct json_object *t, int nth)
{
	struct json_object *row = json_object_new_object();
	char *name = NULL, *path = NULL;
	int rc = nth > 1 ? asprintf(&name, "%s (#%d)", jtext(t, "name"), nth) : asprintf(&name, "%s", jtext(t, "name"));

	if (rc < 0)
		name = NULL;
	json_object_object_add(row, "test", json_object_new_string(jtext(t, "test")));
	json_object_object_add(row, "name", json_object_new_string(name ? name : ""));
	if (asprintf(&path, "%s.%s.%s", suite, jtext(t, "test"), name ? name : "") > 0)
		json_object_object_add(row, "path", json_object_new_string(path));
	free(name);
	free(path);
	return row;
}

/* One more run of a side for a row: failed, skipped, or passed. */
static void bump(struct json_object *row, const char *side, const char *status)
{
	struct json_object *s, *n = json_object_new_object();
	bool failed = !strcmp(status, "FAIL") || !strcmp(status, "ERROR");

	s = jget(row, side);
	json_object_object_add(n, "fail", json_object_new_int(jint_loose(s, "fail") + failed));
	json_object_object_add(n, "skip", json_object_new_int(jint_loose(s, "skip") + !strcmp(status, "SKIP")));
	json_object_object_add(n, "runs", json_object_new_int(jint_loose(s, "runs") + 1));
	json_object_object_add(row, side, n);
}

/* rows is an object keyed "TEST<US>NAME<US>K", K counting the subtests of
 * that name within the run (selftests reuse names: madv_populate prints
 * "MADV_POPULATE_READ" in two of its tests); side is "base" or "head". */
static void count_run(struct json_object *rows, const char *suite, struct json_object *subtests, const char *side)
{
	struct json_object *seen = json_object_new_object(), *k;

	for (size_t i = 0; i < json_object_array_length(subtests); i++) {
		struct json_object *t = json_object_array_get_idx(subtests, i), *row;
		char *name = NULL, *key = NULL;
		int nth;
		if (asprintf(&name, "%s\x1f%s", jtext(t, "test"), jtext(t, "name")) < 0)
			continue;
		nth = json_object_object_get_ex(seen, name, &k) ? json_object_get_int(k) + 1 : 1;
		json_object_object_add(seen, name, json_object_new_int(nth));
		if (asprintf(&key, "%s\x1f%d", name, nth) > 0 && !json_object_object_get_ex(rows, key, &row)) {
			row = new_row(suite, t, nth);
			json_object_object_add(rows, key, row);
		}
		if (key)
			bump(row, side, jtext(t, "status"));
		free(key);
		free(name);
	}
	json_object_put(seen);
}

static int count_side(struct json_object *rows, const char *suite, const char *dir, const char *side)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int runs = 0;

	while (d && (e = readdir(d))) {
		char path[PATH_MAX + 300];
		struct json_object *o, *subtests;
		int n;
		char tail;
		if (sscanf(e->d_name, "run-%d%c", &n, &tail) != 1)
			continue;
		xsnprintf(path, sizeof(path), "%s/%s/result.json", dir, e->d_name);
		o = jread_file(path, 64u << 20);
		if ((subtests = jarr(o, "subtests"))) {
			count_run(rows, suite, subtests, side);
			runs++;
		}
		json_object_put(o);
	}
	if (d)
		closedir(d);
	return runs;
}

const char *subtests_outcome(int bf, int bn, int hf, int hn)
{
	double up = stats_fisher_one_sided(hf, hn, bf, bn), down = stats_fisher_one_sided(bf, bn, hf, hn);

	if (!bn || !hn)
		return "not on both sides";
	if (!bf && !hf)
		return "clean";
	if (!bf && (hf == hn || hf >= 2 || up < 0.05))
		return "regression";
	if (!hf && (bf == bn || bf >= 2 || down < 0.05))
		return "fixed";
	if (bf == bn && hf == hn)
		return "still failing";
	return "flaky";
}

struct json_object *subtests_compare(const char *suite, const char *base_dir, const char *head_dir)
{
	struct json_object *rows = json_object_new_object(), *out = json_object_new_array();
	int runs = count_side(rows, suite, base_dir, "base") + count_side(rows, suite, head_dir, "head");

	json_object_object_foreach(rows, key, row) {
		struct json_object *b = json_object_object_get(row, "base"), *h = json_object_object_get(row, "head");
		(void)key;
		json_object_object_add(row, "outcome", json_object_new_string(subtests_outcome(
			jint_loose(b, "fail"), jint_loose(b, "runs"), jint_loose(h, "fail"), jint_loose(h, "runs"))));
		json_object_array_add(out, json_object_get(row));
	}
	json_object_put(rows);
	if (!runs) {
		json_object_put(out);
		return NULL;
	}
	return out;
}

int subtests_count(struct json_object *cmp, const char *outcome)
{
	int n = 0;

	for (size_t i = 0; cmp && i < json_object_array_length(cmp); i++)
		n += !strcmp(jtext(json_object_array_get_idx(cmp, i), "outcome"), outcome);
	return n;
}

const char *subtests_side_status(struct json_object *row, const char *side)
{
	struct json_object *s = json_object_object_get(row, side);

	if (!s || !jint_loose(s, "runs"))
		return "MISS";
	if (jint_loose(s, "fail"))
		return "FAIL";
	return jint_loose(s, "skip") == jint_loose(s, "runs") ? "SKIP" : "PASS";
}
