/* KCIDB v5.3 documents: the checkout, builds and tests of one gate run. */
#ifndef MMREPRO_KCIDB_H
#define MMREPRO_KCIDB_H

#include <json-c/json.h>
#include <stdbool.h>

/* Every id is "mmrepro:<local>", its parts (run id, build suffix, case name)
 * sanitised to [A-Za-z0-9_.-]: any other byte becomes '_', an empty part "_".
 * KCIDB forbids nulls, so a NULL string, a time <= 0 and a duration < 0 (or
 * any non-finite number) mean "unknown" and the property is left out. */

struct kcidb_checkout {
	const char *tree_name;
	const char *git_commit_hash;    /* 40 hex digits, or NULL */
	const char *const *patch_paths; /* the series, in order */
	int npatches;                   /* 0: patchset_files and patchset_hash are left out */
	double start_time_unix;
	bool valid;
};

struct kcidb_build {
	const char *id_suffix;    /* "base", "head" */
	const char *status;       /* PASS FAIL ERROR MISS DONE SKIP */
	const char *config_name;
	const char *compiler;
	double duration_s;
	const char *log_url;      /* a URL, or a path made into a file:// URL */
	struct json_object *misc; /* consumed, even on error */
};

struct kcidb_test {
	const char *case_name;    /* path "mmrepro.<case>", '.' and others mapped to '_' */
	const char *status;       /* PASS FAIL ERROR MISS DONE SKIP */
	double start_time_unix;
	double duration_s;
	struct json_object *misc; /* consumed, even on error */
	/* More path segments under the case, e.g. { "mm", "cow", SUBTEST }
	 * for one kselftest subtest (each sanitised like the case name). */
	const char *const *subpath;
	int nsubpath;
};

/* SHA-256 of the newline-terminated SHA-256 hex digests of each patch, in
 * order: `sha256sum p1 p2 | cut -c-64 | sha256sum`. 0 or -errno; -EINVAL
 * for an empty series, which has no hash. */
int kcidb_patchset_hash(const char *const *patch_paths, int n, char out[65]);
/* A document holding checkout "mmrepro:<run_id>", or NULL with errno set: a
 * patch could not be read, or git_commit_hash is not 40 hex digits (EINVAL). */
struct json_object *kcidb_new(const char *run_id, const struct kcidb_checkout *co);
/* Adds build "mmrepro:<run_id>-<id_suffix>". 0, -EINVAL for a status KCIDB
 * does not know, -EEXIST when the (sanitised) id is already there. */
int kcidb_add_build(struct json_object *doc, const char *run_id, const struct kcidb_build *b);
/* Adds test "mmrepro:<run_id>-<build_suffix>-<case>". As kcidb_add_build,
 * and -ENOENT when that build has not been added. */
int kcidb_add_test(struct json_object *doc, const char *run_id, const char *build_suffix,
		   const struct kcidb_test *t);
/* Writes doc atomically (temp file + rename). 0 or -errno. */
int kcidb_write(struct json_object *doc, const char *path);
/* PASS->PASS, FAIL->FAIL, CONF->SKIP, BROK and anything else->ERROR. */
const char *kcidb_status_of_verdict(const char *mmrepro_verdict);

#endif
