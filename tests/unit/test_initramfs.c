#include "initramfs.h"
#include "suites.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads the archive back with libarchive and collects "path mode\n" lines
 * and the content of modules/order. */
static char *list_archive(const char *path, char *order, size_t len)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char *out = NULL;
	size_t outlen;
	FILE *f = open_memstream(&out, &outlen);

	archive_read_support_format_cpio(a);
	ck_assert_int_eq(archive_read_open_filename(a, path, 65536), ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		fprintf(f, "%s %o\n", archive_entry_pathname(e), archive_entry_mode(e));
		if (!strcmp(archive_entry_pathname(e), "modules/order")) {
			la_ssize_t n = archive_read_data(a, order, len - 1);
			order[n > 0 ? n : 0] = '\0';
		}
	}
	archive_read_free(a);
	fclose(f);
	return out;
}

/* The newest Debian module tree on this machine (./run.sh setup installs it). */
static int debian_modules(char *out, size_t len)
{
	struct dirent **list;
	int n = scandir("/lib/modules", &list, NULL, versionsort), found = 0;

	for (int i = n - 1; i >= 0; i--) {
		if (!found && strstr(list[i]->d_name, "6.12.") && strstr(list[i]->d_name, "-amd64")) {
			snprintf(out, len, "/lib/modules/%s", list[i]->d_name);
			found = 1;
		}
		free(list[i]);
	}
	if (n >= 0)
		free(list);
	return found ? 0 : -1;
}

START_TEST(init_with_libs_and_console_node)
{
	char path[256], order[4096], err[512] = "";
	struct initramfs_spec s = { .init_path = "/bin/true" };
	char *listing;

	snprintf(path, sizeof(path), "%s/initramfs.cpio", test_temp_dir());
	ck_assert_msg(initramfs_build(path, &s, err, sizeof(err)) == 0, "%s", err);
	listing = list_archive(path, order, sizeof(order));
	ck_assert_ptr_nonnull(strstr(listing, "init 100755\n"));
	ck_assert_ptr_nonnull(strstr(listing, "dev/console 20600\n"));
	ck_assert_ptr_nonnull(strstr(listing, "lib64/ld-linux-x86-64.so.2 100755\n"));
	ck_assert_ptr_nonnull(strstr(listing, "libc.so.6 100755\n"));
	ck_assert_ptr_nonnull(strstr(listing, "modules/order 100644\n"));
	free(listing);
}
END_TEST

START_TEST(modules_come_in_dependency_order)
{
	char dir[256], path[256], order[4096], err[512] = "";
	const char *mods[] = { "9p", "9pnet_virtio", NULL };
	struct initramfs_spec s = { .init_path = "/bin/true", .modules_dir = dir, .modules = mods };
	char *listing;

	ck_assert_msg(debian_modules(dir, sizeof(dir)) == 0, "no Debian 6.12 modules; run ./run.sh setup");
	snprintf(path, sizeof(path), "%s/initramfs.cpio", test_temp_dir());
	ck_assert_msg(initramfs_build(path, &s, err, sizeof(err)) == 0, "%s", err);
	listing = list_archive(path, order, sizeof(order));
	char *netfs = strstr(order, "netfs.ko"), *p9net = strstr(order, "9pnet.ko"), *p9 = strstr(order, "-9p.ko");
	ck_assert_msg(netfs && p9net && p9, "order:\n%s", order);
	ck_assert(netfs < p9);
	ck_assert(p9net < p9);
	free(listing);
}
END_TEST

START_TEST(unknown_module_is_named)
{
	char dir[256], path[256], err[512] = "";
	const char *mods[] = { "no_such_module_xyz", NULL };
	struct initramfs_spec s = { .init_path = "/bin/true", .modules_dir = dir, .modules = mods };

	ck_assert(debian_modules(dir, sizeof(dir)) == 0);
	snprintf(path, sizeof(path), "%s/initramfs.cpio", test_temp_dir());
	ck_assert_int_eq(initramfs_build(path, &s, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "no_such_module_xyz"), "%s", err);
	ck_assert(!file_exists(path));
}
END_TEST

START_TEST(missing_init_is_named)
{
	char path[256], err[512] = "";
	struct initramfs_spec s = { .init_path = "/nonexistent/init" };

	snprintf(path, sizeof(path), "%s/initramfs.cpio", test_temp_dir());
	ck_assert_int_eq(initramfs_build(path, &s, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "/nonexistent/init"), "%s", err);
}
END_TEST

Suite *initramfs_suite(void)
{
	Suite *s = suite_create("initramfs");
	TCase *t = tcase_create("cpio");

	tcase_add_test(t, init_with_libs_and_console_node);
	tcase_add_test(t, modules_come_in_dependency_order);
	tcase_add_test(t, unknown_module_is_named);
	tcase_add_test(t, missing_init_is_named);
	suite_add_tcase(s, t);
	return s;
}
