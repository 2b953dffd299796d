/* KCIDB writer: patchset hash, ids, sanitising, and the schema validator. */
#include "kcidb.h"
#include "suites.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char patch_a[] = "diff --git a/f.txt b/f.txt\n-old\n+new\n";
static const char patch_b[] = "diff --git a/g.txt b/g.txt\n+added\n";
/* Computed once with the pipeline KCIDB documents, for files holding
 * patch_a and patch_b:  sha256sum a b | cut -c-64 | sha256sum  */
static const char hash_a_b[] = "0423fbabca40db762fb190fff39c1efbd3d22bcf1a636a2cdaa9c6cbb64d1c27";
static const char hash_b_a[] = "c11ec68151be28fc324f7ebf0064522119ddff8275f8f5687986db960735c1ef";

/* Runs tests/kcidb-validate.py on path; returns its exit status and, in
 * errors (malloc'd), what it printed. */
static int validate(const char *path, char **errors)
{
	char script[4096], file[256], log[256];
	int status;

	/* path may be test_temp_file's buffer, which the log's name reuses. */
	snprintf(file, sizeof(file), "%s", path);
	snprintf(script, sizeof(script), "%s/tests/kcidb-validate.py", repo_root());
	snprintf(log, sizeof(log), "%s", test_temp_file("", ".log"));
	status = run_cmd((char *[]){ "python3", script, file, NULL }, log, NULL);
	*errors = read_file(log, NULL);
	return status;
}

static void assert_valid(const char *path)
{
	char *errors;
	int status = validate(path, &errors);

	ck_assert_msg(status == 0, "kcidb-validate.py exited %d: %s", status, errors ? errors : "");
	free(errors);
}

static const char *str_at(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static struct json_object *entry_at(struct json_object *doc, const char *kind, size_t i)
{
	return json_object_array_get_idx(json_object_object_get(doc, kind), i);
}

static const char **two_patches(void)
{
	static const char *paths[2];

	paths[0] = xstrdup(test_temp_file(patch_a, ".patch"));
	paths[1] = xstrdup(test_temp_file(patch_b, ".patch"));
	return paths;
}

START_TEST(patchset_hash_matches_sha256sum_pipeline)
{
	const char **paths = two_patches();
	const char *reversed[] = { paths[1], paths[0] };
	const char *missing[] = { paths[0], "/nonexistent/x.patch" };
	char hash[65];

	ck_assert_int_eq(kcidb_patchset_hash(paths, 2, hash), 0);
	ck_assert_str_eq(hash, hash_a_b);
	ck_assert_int_eq(kcidb_patchset_hash(reversed, 2, hash), 0);
	ck_assert_str_eq(hash, hash_b_a);
	ck_assert_int_eq(kcidb_patchset_hash(missing, 2, hash), -ENOENT);
	ck_assert_int_eq(kcidb_patchset_hash(paths, 0, hash), -EINVAL);
}
END_TEST

static struct json_object *gate_document(const char **patches)
{
	struct kcidb_checkout co = { .tree_name = "mm-unstable",
				     .git_commit_hash = "0123456789ABCDEF0123456789abcdef01234567",
				     .patch_paths = patches, .npatches = 2, .start_time_unix = 1796184306.25,
				     .valid = true };
	struct json_object *doc = kcidb_new("run 1", &co);
	struct json_object *misc = json_tokener_parse("{\"kernel_spec\":\"src:deb-6.12\",\"gone\":null,"
						      "\"list\":[1,null,2.5]}");
	struct kcidb_build base = { "base", "PASS", "x86_64_defconfig", "gcc 12.2.0", 321.5,
				    "/tmp/base build.log", misc };
	struct kcidb_build head = { "head", "FAIL", "x86_64_defconfig", "gcc 12.2.0", 12, NULL, NULL };
	struct kcidb_test tests[] = {
		{ "cma-longterm-pin", kcidb_status_of_verdict("PASS"), 1796184400, 31.5, NULL, NULL, 0 },
		{ "madv-free-mthp", kcidb_status_of_verdict("FAIL"), 1796184500, 12.25,
		  json_tokener_parse("{\"reason\":\"kernel BUG\"}"), NULL, 0 },
		{ "numa-thp-migrate", kcidb_status_of_verdict("BROK"), 1796184600, 3, NULL, NULL, 0 },
	};

	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(kcidb_add_build(doc, "run 1", &base), 0);
	ck_assert_int_eq(kcidb_add_build(doc, "run 1", &head), 0);
	ck_assert_int_eq(kcidb_add_test(doc, "run 1", "base", &tests[0]), 0);
	ck_assert_int_eq(kcidb_add_test(doc, "run 1", "head", &tests[1]), 0);
	ck_assert_int_eq(kcidb_add_test(doc, "run 1", "head", &tests[2]), 0);
	return doc;
}

START_TEST(full_document_validates)
{
	char path[256];
	struct json_object *doc = gate_document(two_patches()), *back, *checkout, *build, *test;

	snprintf(path, sizeof(path), "%s/kcidb.json", test_temp_dir());
	ck_assert_int_eq(kcidb_write(doc, path), 0);
	json_object_put(doc);
	assert_valid(path);
	back = json_object_from_file(path);
	ck_assert_int_eq(json_object_object_length(back), 4);
	checkout = entry_at(back, "checkouts", 0);
	ck_assert_str_eq(str_at(checkout, "id"), "mmrepro:run_1");
	ck_assert_str_eq(str_at(checkout, "git_commit_hash"), "0123456789abcdef0123456789abcdef01234567");
	ck_assert_str_eq(str_at(checkout, "patchset_hash"), hash_a_b);
	ck_assert_str_eq(str_at(checkout, "start_time"), "2026-12-02T04:05:06.250000+00:00");
	build = entry_at(back, "builds", 0);
	ck_assert_str_eq(str_at(build, "checkout_id"), "mmrepro:run_1");
	ck_assert_str_eq(str_at(build, "log_url"), "file:///tmp/base%20build.log");
	ck_assert_str_eq(json_object_to_json_string(json_object_object_get(build, "misc")),
			 "{ \"kernel_spec\": \"src:deb-6.12\", \"list\": [ 1, 2.5 ] }");
	ck_assert(!json_object_object_get_ex(entry_at(back, "builds", 1), "log_url", NULL));
	test = entry_at(back, "tests", 2);
	ck_assert_str_eq(str_at(test, "id"), "mmrepro:run_1-head-numa-thp-migrate");
	ck_assert_str_eq(str_at(test, "build_id"), "mmrepro:run_1-head");
	ck_assert_str_eq(str_at(test, "path"), "mmrepro.numa-thp-migrate");
	ck_assert_str_eq(str_at(test, "status"), "ERROR");
	json_object_put(back);
}
END_TEST

/* One valid document; each broken one below changes one thing in it. */
#define VERSION "\"version\":{\"major\":5,\"minor\":3}"
#define CHECKOUTS "\"checkouts\":[{\"id\":\"mmrepro:r\",\"origin\":\"mmrepro\"}]"
#define BUILDS "\"builds\":[{\"id\":\"mmrepro:r-base\",\"origin\":\"mmrepro\",\"checkout_id\":\"mmrepro:r\"}]"
#define TEST_ENTRY(fields) \
	"\"tests\":[{\"id\":\"mmrepro:r-base-x\",\"origin\":\"mmrepro\",\"build_id\":\"mmrepro:r-base\"" fields "}]"

START_TEST(broken_documents_fail_validation)
{
	const char *broken[] = {
		"{" VERSION "," CHECKOUTS "," BUILDS "," TEST_ENTRY(",\"status\":null") "}",
		"{" VERSION "," CHECKOUTS "," BUILDS "," TEST_ENTRY("") ",\"extra\":1}",
		"{" VERSION "," CHECKOUTS "," BUILDS "," TEST_ENTRY(",\"status\":\"BROK\"") "}",
		"{" VERSION "," CHECKOUTS "," BUILDS "," TEST_ENTRY(",\"path\":\"mmrepro..x\"") "}",
		"{" VERSION "," CHECKOUTS "," BUILDS "," TEST_ENTRY(",\"path\":\"mmrepro.x\\n\"") "}",
		"{" VERSION "," CHECKOUTS "," BUILDS "," TEST_ENTRY(",\"misc\":{\"a\":[1,null]}") "}",
		"{" VERSION "," CHECKOUTS "," BUILDS "," TEST_ENTRY(",\"start_time\":\"yesterday\"") "}",
		"{" VERSION "," CHECKOUTS "," BUILDS "," TEST_ENTRY(",\"origin\":\"other\"") "}", /* a duplicate key */
		"{" VERSION "," CHECKOUTS "," BUILDS ","
		"\"tests\":[{\"id\":\"other:r-base-x\",\"origin\":\"mmrepro\",\"build_id\":\"mmrepro:r-base\"}]}",
		"{\"version\":{\"major\":5,\"minor\":2}," CHECKOUTS "," BUILDS "," TEST_ENTRY("") "}",
		"{" VERSION "," CHECKOUTS "," BUILDS "}",
		"{" VERSION ",\"checkouts\":[{\"id\":\"mmrepro:r\",\"origin\":\"mmrepro\",\"patchset_hash\":\"abc\"}],"
		BUILDS "," TEST_ENTRY("") "}",
		"{" VERSION ",\"checkouts\":[{\"id\":\"Bad:r\",\"origin\":\"mmrepro\"}]," BUILDS "," TEST_ENTRY("") "}",
		"{" VERSION "," CHECKOUTS ",\"builds\":[{\"id\":\"mmrepro:r-base\",\"origin\":\"mmrepro\"}],"
		TEST_ENTRY("") "}",
		/* What a schema cannot see: a dangling reference, a duplicate id. */
		"{" VERSION "," CHECKOUTS "," BUILDS ","
		"\"tests\":[{\"id\":\"mmrepro:t\",\"origin\":\"mmrepro\",\"build_id\":\"mmrepro:r-head\"}]}",
		"{" VERSION "," CHECKOUTS "," BUILDS ",\"tests\":[{\"id\":\"mmrepro:t\",\"origin\":\"mmrepro\","
		"\"build_id\":\"mmrepro:r-base\"},{\"id\":\"mmrepro:t\",\"origin\":\"mmrepro\","
		"\"build_id\":\"mmrepro:r-base\"}]}",
		"{" VERSION "," CHECKOUTS "," BUILDS "," TEST_ENTRY(",\"duration\":NaN") "}",
	};
	char *errors;

	assert_valid(test_temp_file("{" VERSION "," CHECKOUTS "," BUILDS "," TEST_ENTRY(",\"path\":\"mmrepro.x\"")
				    "}", ".json"));
	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		/* 1, not just non-zero: 2 would be a missing python3-jsonschema. */
		ck_assert_msg(validate(test_temp_file(broken[i], ".json"), &errors) == 1,
			      "broken document %zu passed: %s", i, broken[i]);
		ck_assert_msg(errors && strstr(errors, "$"), "no error path for %zu: %s", i, errors);
		free(errors);
	}
}
END_TEST

static bool only_id_bytes(const char *local)
{
	return local[strspn(local, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")] == '\0';
}

static struct json_object *doc_with_builds(const char *run_id)
{
	struct kcidb_checkout co = { .valid = true };
	struct kcidb_build build = { .id_suffix = "head", .duration_s = -1 };
	struct json_object *doc = kcidb_new(run_id, &co);

	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(kcidb_add_build(doc, run_id, &build), 0);
	return doc;
}

START_TEST(hostile_case_names_are_sanitised)
{
	const char *names[] = { "../x", "a b", "q\"uote'", "", "tab\there", "dots.in.name", "\xff\xfe", "$(rm -rf /)" };
	const char *run_id = "../../run \"1\"";
	struct json_object *doc = doc_with_builds(run_id);
	char path[256];
	regex_t test_path;

	ck_assert_int_eq(regcomp(&test_path, "^([a-zA-Z0-9_-]+(\\.[a-zA-Z0-9_-]+)*)?$", REG_EXTENDED | REG_NOSUB), 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct kcidb_test t = { .case_name = names[i], .status = "PASS", .duration_s = NAN };
		struct json_object *test;

		ck_assert_int_eq(kcidb_add_test(doc, run_id, "head", &t), 0);
		test = entry_at(doc, "tests", i);
		ck_assert_msg(only_id_bytes(str_at(test, "id") + strlen("mmrepro:")), "id %s", str_at(test, "id"));
		ck_assert_msg(!regexec(&test_path, str_at(test, "path"), 0, NULL, 0), "path %s", str_at(test, "path"));
	}
	regfree(&test_path);
	ck_assert_str_eq(str_at(entry_at(doc, "tests", 0), "id"), "mmrepro:.._.._run__1_-head-.._x");
	ck_assert_str_eq(str_at(entry_at(doc, "tests", 0), "path"), "mmrepro.___x");
	ck_assert_str_eq(str_at(entry_at(doc, "tests", 3), "path"), "mmrepro._");
	/* Sanitising is lossy; the writer refuses the id it would repeat. */
	ck_assert_int_eq(kcidb_add_test(doc, run_id, "head", &(struct kcidb_test){ .case_name = "a_b" }), -EEXIST);
	snprintf(path, sizeof(path), "%s/kcidb.json", test_temp_dir());
	ck_assert_int_eq(kcidb_write(doc, path), 0);
	json_object_put(doc);
	assert_valid(path);
}
END_TEST

START_TEST(entries_are_checked_before_they_are_added)
{
	struct json_object *doc = doc_with_builds("r");
	struct kcidb_checkout bad_hash = { .git_commit_hash = "0123456789abcdef" };
	struct kcidb_checkout not_hex = { .git_commit_hash = "0123456789abcdef0123456789abcdef0123456X" };
	struct kcidb_build base = { .id_suffix = "base", .status = "BROK" };

	ck_assert_int_eq(kcidb_add_build(doc, "r", &base), -EINVAL);
	base.status = "PASS";
	base.misc = json_object_new_array();
	ck_assert_int_eq(kcidb_add_build(doc, "r", &base), -EINVAL);
	base.misc = NULL;
	base.log_url = "https://example.invalid/a log";
	ck_assert_int_eq(kcidb_add_build(doc, "r", &base), -EINVAL);
	base.log_url = "https://example.invalid/log";
	ck_assert_int_eq(kcidb_add_build(doc, "other-run", &base), -ENOENT);
	ck_assert_int_eq(kcidb_add_build(doc, "r", &base), 0);
	ck_assert_str_eq(str_at(entry_at(doc, "builds", 1), "log_url"), "https://example.invalid/log");
	ck_assert_int_eq(kcidb_add_build(doc, "r", &base), -EEXIST);
	ck_assert_int_eq(kcidb_add_test(doc, "r", "nobuild", &(struct kcidb_test){ .case_name = "x" }), -ENOENT);
	ck_assert_int_eq(kcidb_add_test(doc, "r", "head",
					&(struct kcidb_test){ .case_name = "x", .status = "pass",
							      .misc = json_object_new_object() }),
			 -EINVAL);
	json_object_put(doc);
	errno = 0;
	ck_assert_ptr_null(kcidb_new("r", &bad_hash));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(kcidb_new("r", &not_hex));
	ck_assert_ptr_null(kcidb_new("r", &(struct kcidb_checkout){ .patch_paths = (const char *[]){ "/nonexistent" },
								     .npatches = 1 }));
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(unknown_values_are_left_out)
{
	struct kcidb_checkout co = { .start_time_unix = 0 };
	struct json_object *doc = kcidb_new(NULL, &co), *checkout, *build, *test;
	struct kcidb_build b = { .id_suffix = "base", .duration_s = NAN,
				 .misc = json_tokener_parse("{\"only\":null}") };
	struct kcidb_test t = { .case_name = "c", .start_time_unix = -5, .duration_s = INFINITY,
				.misc = json_object_new_object() };

	json_object_object_add(t.misc, "reason", json_object_new_string("bad \xc3\x28 utf-8"));
	json_object_object_add(t.misc, "nan", json_object_new_double(NAN));
	ck_assert_int_eq(kcidb_add_build(doc, NULL, &b), 0);
	ck_assert_int_eq(kcidb_add_test(doc, "", "base", &t), 0);
	checkout = entry_at(doc, "checkouts", 0);
	build = entry_at(doc, "builds", 0);
	test = entry_at(doc, "tests", 0);
	ck_assert_str_eq(str_at(checkout, "id"), "mmrepro:_");
	ck_assert_str_eq(str_at(checkout, "valid"), "false");
	for (const char *const *key = (const char *const[]){ "tree_name", "git_commit_hash", "patchset_files",
							       "patchset_hash", "start_time", NULL };
	     *key; key++)
		ck_assert_msg(!json_object_object_get_ex(checkout, *key, NULL), "checkout has %s", *key);
	ck_assert_int_eq(json_object_object_length(build), 4); /* id origin checkout_id architecture */
	ck_assert_str_eq(json_object_to_json_string(json_object_object_get(test, "misc")),
			 "{ \"reason\": \"bad ?( utf-8\" }");
	ck_assert(!json_object_object_get_ex(test, "start_time", NULL));
	ck_assert(!json_object_object_get_ex(test, "duration", NULL));
	json_object_put(doc);
}
END_TEST

START_TEST(verdicts_map_to_statuses)
{
	ck_assert_str_eq(kcidb_status_of_verdict("PASS"), "PASS");
	ck_assert_str_eq(kcidb_status_of_verdict("FAIL"), "FAIL");
	ck_assert_str_eq(kcidb_status_of_verdict("CONF"), "SKIP");
	ck_assert_str_eq(kcidb_status_of_verdict("BROK"), "ERROR");
	ck_assert_str_eq(kcidb_status_of_verdict("RUNNING"), "ERROR");
	ck_assert_str_eq(kcidb_status_of_verdict(NULL), "ERROR");
}
END_TEST

Suite *kcidb_suite(void)
{
	Suite *s = suite_create("kcidb");
	TCase *t = tcase_create("kcidb");

	/* Each validation starts python3 with jsonschema; ASan makes it slower. */
	tcase_set_timeout(t, 60);
	tcase_add_test(t, patchset_hash_matches_sha256sum_pipeline);
	tcase_add_test(t, full_document_validates);
	tcase_add_test(t, broken_documents_fail_validation);
	tcase_add_test(t, hostile_case_names_are_sanitised);
	tcase_add_test(t, entries_are_checked_before_they_are_added);
	tcase_add_test(t, unknown_values_are_left_out);
	tcase_add_test(t, verdicts_map_to_statuses);
	suite_add_tcase(s, t);
	return s;
}
