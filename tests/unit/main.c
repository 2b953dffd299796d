#include "suites.h"
#include "util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every temp file and dir of one test run lives under this dir, removed at
 * the end (tests run in forked children, so they cannot clean up after
 * themselves in the parent). */
static char scratch[64];

const char *test_temp_file(const char *text, const char *suffix)
{
	static char path[256];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/file-XXXXXX%s", scratch, suffix);
	fd = mkstemps(path, (int)strlen(suffix));
	if (fd < 0)
		abort();
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

const char *test_temp_dir(void)
{
	static char path[128];

	snprintf(path, sizeof(path), "%s/dir-XXXXXX", scratch);
	if (!mkdtemp(path))
		abort();
	return path;
}

bool test_dir_has_entry_starting(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;

	if (!d)
		abort();
	while ((e = readdir(d)) && !found)
		found = !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return found;
}

struct json_object *test_row_named(struct json_object *rows, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(rows); i++) {
		struct json_object *r = json_object_array_get_idx(rows, i);
		const char *n = json_object_get_string(json_object_object_get(r, "name"));
		if (n && !strcmp(n, name))
			return r;
	}
	return NULL;
}

const char *test_git_repo(void)
{
	static char repo[128];
	char file[160];
	FILE *f;

	snprintf(repo, sizeof(repo), "%s", test_temp_dir());
	snprintf(file, sizeof(file), "%s/f.txt", repo);
	f = fopen(file, "w");
	fputs("old\n", f);
	fclose(f);
	if (run_cmd((char *[]){ "git", "-C", repo, "init", "-q", NULL }, "/dev/null", NULL) ||
	    run_cmd((char *[]){ "git", "-C", repo, "add", "f.txt", NULL }, "/dev/null", NULL) ||
	    run_cmd((char *[]){ "git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m",
				"one", NULL }, "/dev/null", NULL))
		abort();
	return repo;
}

int main(void)
{
	Suite *suites[] = { case_suite(), report_suite(), decode_suite(), vm_suite(), console_suite(), result_suite(),
			    json_suite(),
			    initramfs_suite(), series_suite(), build_suite(), run_suite(), stats_suite(),
			    kcidb_suite(), bisect_suite(), libvirt_suite(), verify_suite(),
			    html_suite(), ktap_suite(), syzbot_suite(), repro_suite(), subtests_suite(),
			    point_suite(), counters_suite(), knob_suite(), stack_suite(), load_suite(), emulator_suite(),
			    jobs_suite(), reproduce_suite() };
	SRunner *sr = srunner_create(suites[0]);
	int failed;
	snprintf(scratch, sizeof(scratch), "/tmp/mmrepro-unit-XXXXXX");
	if (!mkdtemp(scratch))
		abort();
	for (size_t i = 1; i < sizeof(suites) / sizeof(suites[0]); i++)
		srunner_add_suite(sr, suites[i]);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (remove_tree(scratch) != 0)
		fprintf(stderr, "could not remove %s\n", scratch);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
