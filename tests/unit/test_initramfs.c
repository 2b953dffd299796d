#include "initramfs.h"
#include "kernel.h"
#include "suites.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* The archive holds host files: only its owner may read it, whatever the
 * umask, a stale tmp file or an older archive it replaces. */
START_TEST(archive_is_private_whatever_the_umask)
{
	char path[256], tmp[270], err[512] = "";
	struct initramfs_spec s = { .init_path = "/bin/true", .job_text = "[job]\n" };
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "%s/initramfs.cpio", test_temp_dir());
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	umask(0);
	ck_assert_ptr_nonnull(f = fopen(tmp, "w"));
	fclose(f);
	ck_assert_int_eq(chmod(tmp, 0666), 0);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fclose(f);
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_msg(initramfs_build(path, &s, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, INITRAMFS_MODE);
	ck_assert_int_eq(INITRAMFS_MODE, 0600);
	ck_assert(!file_exists(tmp));
	umask(022);
}
END_TEST

/* A failed build leaves neither the archive nor its tmp file. */
START_TEST(failed_build_leaves_no_tmp_file)
{
	char path[256], tmp[270], err[512] = "";
	struct initramfs_spec s = { .init_path = "/nonexistent/init" };

	snprintf(path, sizeof(path), "%s/initramfs.cpio", test_temp_dir());
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ck_assert_int_eq(initramfs_build(path, &s, err, sizeof(err)), -1);
	ck_assert(!file_exists(path));
	ck_assert(!file_exists(tmp));
}
END_TEST

/* The kernel config travels as a regular file: a link swapped in for it
 * (to /etc/shadow) or a FIFO is refused, naming it. */
START_TEST(kconfig_that_is_not_a_regular_file_is_refused)
{
	char dir[128], link[200], fifo[200], path[200], err[1024] = "";
	struct initramfs_spec s = { .init_path = "/bin/true", .config_path = link };

	snprintf(dir, sizeof(dir), "%s", test_temp_dir());
	snprintf(link, sizeof(link), "%s/config", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo-config", dir);
	snprintf(path, sizeof(path), "%s/initramfs.cpio", dir);
	ck_assert_int_eq(symlink("/etc/shadow", link), 0);
	ck_assert_int_eq(initramfs_build(path, &s, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, link) && strstr(err, "symbolic link"), "%s", err);
	ck_assert(!file_exists(path));
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	s.config_path = fifo;
	ck_assert_int_eq(initramfs_build(path, &s, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, fifo) && strstr(err, "FIFO"), "%s", err);
}
END_TEST

/* A file with the x86 boot header kernel_image_release reads: "HdrS" at
 * 0x202, the version string's offset (from 0x200) at 0x20e. */
static void write_fake_bzimage(const char *path)
{
	unsigned char img[0x400] = { 0 };
	FILE *f = fopen(path, "w");

	memcpy(img + 0x202, "HdrS", 4);
	img[0x20e] = 0x00;
	img[0x20f] = 0x01;
	strcpy((char *)img + 0x300, "6.12.0-fake (test)");
	ck_assert_ptr_nonnull(f);
	fwrite(img, 1, sizeof(img), f);
	fclose(f);
}

static void write_text(const char *path, const char *text)
{
	ck_assert_int_eq(write_file_atomic(path, text, strlen(text)), 0);
}

static int resolve_with_config(const char *image, const char *config, struct kernel *k, char *err, size_t len)
{
	char spec[600];

	snprintf(spec, sizeof(spec), "image:%s,config=%s", image, config);
	return kernel_resolve_prebuilt(spec, k, err, len);
}

/* image:...,config= goes into the guest's initramfs: it must read as a
 * kernel config, or /etc/shadow (0600) would travel as one. */
START_TEST(image_config_must_be_a_kernel_config)
{
	char dir[128], image[200], secret[200], good[200], link[200], err[2048] = "";
	struct kernel k;

	snprintf(dir, sizeof(dir), "%s", test_temp_dir());
	snprintf(image, sizeof(image), "%s/bzImage", dir);
	snprintf(secret, sizeof(secret), "%s/shadow", dir);
	snprintf(good, sizeof(good), "%s/good.config", dir);
	snprintf(link, sizeof(link), "%s/link.config", dir);
	write_fake_bzimage(image);
	write_text(secret, "root:$y$j9T$abc:19000:0:99999:7:::\n");
	ck_assert_int_eq(chmod(secret, 0600), 0);
	write_text(good, "#\n# comment\n# CONFIG_KASAN is not set\n");
	ck_assert_int_eq(symlink(good, link), 0);
	ck_assert_int_eq(resolve_with_config(image, secret, &k, err, sizeof(err)), EXIT_USAGE);
	ck_assert_msg(strstr(err, "--kernel image:") && strstr(err, secret) && strstr(err, "not a kernel config"),
		      "%s", err);
	ck_assert_int_eq(resolve_with_config(image, link, &k, err, sizeof(err)), EXIT_USAGE);
	ck_assert_msg(strstr(err, link) && strstr(err, "symbolic link"), "%s", err);
	ck_assert_int_eq(resolve_with_config(image, "/dev/zero", &k, err, sizeof(err)), EXIT_USAGE);
	ck_assert_msg(strstr(err, "/dev/zero: is a device"), "%s", err);
	ck_assert_msg(resolve_with_config(image, good, &k, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(k.config, good);
	write_text(good, "CONFIG_X=y\n");
	ck_assert_msg(resolve_with_config(image, good, &k, err, sizeof(err)) == 0, "%s", err);
	write_text(good, "CONFIG_=y\n# CONFIG_X is set\nxCONFIG_Y=y\n");
	ck_assert_int_eq(resolve_with_config(image, good, &k, err, sizeof(err)), EXIT_USAGE);
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
	tcase_add_test(t, archive_is_private_whatever_the_umask);
	tcase_add_test(t, failed_build_leaves_no_tmp_file);
	tcase_add_test(t, kconfig_that_is_not_a_regular_file_is_refused);
	tcase_add_test(t, image_config_must_be_a_kernel_config);
	suite_add_tcase(s, t);
	return s;
}
