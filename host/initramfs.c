#include "initramfs.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <libkmod.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define MAX_MODULES 128
#define MAX_LIBS 32

static int add_dir(struct archive *a, const char *path)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFDIR);
	archive_entry_set_perm(e, 0755);
	archive_entry_set_size(e, 0);
	r = archive_write_header(a, e);
	archive_entry_free(e);
	return r == ARCHIVE_OK ? 0 : -1;
}

static int add_console_node(struct archive *a)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	/* The kernel opens /dev/console for init's stdio before init runs. */
	archive_entry_set_pathname(e, "dev/console");
	archive_entry_set_filetype(e, AE_IFCHR);
	archive_entry_set_perm(e, 0600);
	archive_entry_set_rdev(e, makedev(5, 1));
	archive_entry_set_size(e, 0);
	r = archive_write_header(a, e);
	archive_entry_free(e);
	return r == ARCHIVE_OK ? 0 : -1;
}

static int add_bytes(struct archive *a, const char *path, const char *data, size_t len, int mode)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, mode);
	archive_entry_set_size(e, (la_int64_t)len);
	r = archive_write_header(a, e);
	if (r == ARCHIVE_OK && len && archive_write_data(a, data, len) != (la_ssize_t)len)
		r = ARCHIVE_FATAL;
	archive_entry_free(e);
	return r == ARCHIVE_OK ? 0 : -1;
}

/* Copies a host file (following links) to path inside the archive. */
static int add_file(struct archive *a, const char *src, const char *dst, int mode, char *err, size_t errlen)
{
	size_t len;
	char *data = read_file(src, &len);
	int r;

	if (!data) {
		snprintf(err, errlen, "initramfs: cannot read %s: %s", src, strerror(errno));
		return -1;
	}
	r = add_bytes(a, dst[0] == '/' ? dst + 1 : dst, data, len, mode);
	free(data);
	if (r < 0)
		snprintf(err, errlen, "initramfs: cannot add %s: %s", dst, archive_error_string(a));
	return r;
}

/* The shared libraries of the init binary, as the dynamic loader resolves
 * them (`ld.so --list`, run directly: no shell, no ldd script), each
 * stored at its resolved host path. */
static int list_libs(const char *bin, char **libs, int max, char *err, size_t errlen)
{
	char *argv[] = { "/lib64/ld-linux-x86-64.so.2", "--list", (char *)bin, NULL };
	char *out = capture_argv(argv, NULL), *save = NULL, *line;
	int n = 0, failed = 0;

	if (!out) {
		snprintf(err, errlen, "initramfs: the dynamic loader cannot list the libraries of %s", bin);
		return -1;
	}
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *path = strchr(line, '/');
		if (strstr(line, "not found")) {
			snprintf(err, errlen, "initramfs: %s needs a missing library: %s", bin, line);
			failed = 1;
			break;
		}
		if (!path)
			continue;
		if (n >= max) {
			snprintf(err, errlen, "initramfs: %s needs more than %d libraries", bin, max);
			failed = 1;
			break;
		}
		path[strcspn(path, " (")] = '\0';
		libs[n++] = xstrdup(path);
	}
	free(out);
	while (failed && n > 0)
		free(libs[--n]);
	return failed ? -1 : n;
}

static int add_init(struct archive *a, const char *init, bool static_init, char *err, size_t errlen)
{
	char *libs[MAX_LIBS];
	int n = static_init ? 0 : list_libs(init, libs, MAX_LIBS, err, errlen), r = 0;

	if (n < 0)
		return -1;
	if (add_file(a, init, "init", 0755, err, errlen) < 0)
		r = -1;
	for (int i = 0; i < n; i++) {
		char dir[PATH_MAX];
		/* Directories first: cpio extraction does not create parents. */
		snprintf(dir, sizeof(dir), "%s", libs[i] + 1);
		for (char *s = strchr(dir, '/'); s && !r; s = strchr(s + 1, '/')) {
			*s = '\0';
			r = add_dir(a, dir);
			*s = '/';
		}
		if (!r)
			r = add_file(a, libs[i], libs[i], 0755, err, errlen);
		free(libs[i]);
	}
	return r;
}

static int closure_add(struct kmod_module *m, char **out, int *n, int max, char *err, size_t errlen, int depth)
{
	struct kmod_list *deps, *l;
	const char *path;

	if (depth > 32) {
		snprintf(err, errlen, "module dependency loop at %s", kmod_module_get_name(m));
		return -1;
	}
	deps = kmod_module_get_dependencies(m);
	kmod_list_foreach(l, deps) {
		struct kmod_module *d = kmod_module_get_module(l);
		int r = closure_add(d, out, n, max, err, errlen, depth + 1);
		kmod_module_unref(d);
		if (r < 0) {
			kmod_module_unref_list(deps);
			return -1;
		}
	}
	kmod_module_unref_list(deps);
	path = kmod_module_get_path(m);
	if (!path)
		return 0; /* built in */
	for (int i = 0; i < *n; i++)
		if (!strcmp(out[i], path))
			return 0;
	if (*n >= max) {
		snprintf(err, errlen, "too many modules");
		return -1;
	}
	out[(*n)++] = xstrdup(path);
	return 0;
}

int initramfs_module_closure(const char *modules_dir, const char *const *names,
			     char **out, int max, char *err, size_t errlen)
{
	struct kmod_ctx *ctx = kmod_new(modules_dir, NULL);
	int n = 0;

	if (!ctx) {
		snprintf(err, errlen, "libkmod: cannot open %s", modules_dir);
		return -1;
	}
	for (const char *const *name = names; *name && n >= 0; name++) {
		struct kmod_list *list = NULL, *l;
		if (kmod_module_new_from_lookup(ctx, *name, &list) < 0 || !list) {
			snprintf(err, errlen, "module '%s' not found in %s (neither a module nor built in)",
				 *name, modules_dir);
			n = -1;
			break;
		}
		kmod_list_foreach(l, list) {
			struct kmod_module *m = kmod_module_get_module(l);
			if (closure_add(m, out, &n, max, err, errlen, 0) < 0)
				n = -1;
			kmod_module_unref(m);
			if (n < 0)
				break;
		}
		kmod_module_unref_list(list);
	}
	kmod_unref(ctx);
	return n;
}

static int add_modules(struct archive *a, const struct initramfs_spec *s, char *err, size_t errlen)
{
	char *paths[MAX_MODULES];
	char order[MAX_MODULES * 80] = "";
	int n, r = 0;

	if (add_dir(a, "modules") < 0)
		return -1;
	if (!s->modules_dir || !s->modules || !s->modules[0])
		return add_bytes(a, "modules/order", "", 0, 0644);
	n = initramfs_module_closure(s->modules_dir, s->modules, paths, MAX_MODULES, err, errlen);
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		const char *base = strrchr(paths[i], '/') + 1;
		char dst[PATH_MAX];
		snprintf(dst, sizeof(dst), "modules/%02d-%s", i, base);
		if (!r)
			r = add_file(a, paths[i], dst, 0644, err, errlen);
		if (strlen(order) + strlen(dst) + 3 < sizeof(order)) {
			strcat(order, "/");
			strcat(order, dst);
			strcat(order, "\n");
		}
		free(paths[i]);
	}
	return r ? r : add_bytes(a, "modules/order", order, strlen(order), 0644);
}

/* The kernel's config, read as a regular file (never through a link that
 * may have been swapped in since the kernel was resolved), with a cap. */
static int add_kconfig(struct archive *a, const char *path, char *err, size_t errlen)
{
	char why[PATH_MAX + 128];
	size_t len;
	char *text = read_regular_file(path, INITRAMFS_KCONFIG_MAX, &len, why, sizeof(why));
	int r;

	if (!text) {
		snprintf(err, errlen, "initramfs: the kernel config %s", why);
		return -1;
	}
	r = add_bytes(a, "mmrepro/kconfig", text, len, 0644);
	free(text);
	if (r < 0)
		snprintf(err, errlen, "initramfs: cannot add the kernel config: %s", archive_error_string(a));
	return r;
}

/* Every parent dir of f->guest, then the file. */
static int add_extra(struct archive *a, const struct initramfs_file *f, char *err, size_t errlen)
{
	char dir[sizeof(f->guest)];

	if (strstr(f->guest, "..") || f->guest[0] == '/') {
		snprintf(err, errlen, "initramfs: refusing the path %s", f->guest);
		return -1;
	}
	for (const char *p = strchr(f->guest, '/'); p; p = strchr(p + 1, '/')) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(p - f->guest), f->guest);
		if (strcmp(dir, "mmrepro") && strcmp(dir, "mmrepro/bin") && add_dir(a, dir) < 0)
			return -1;
	}
	return add_file(a, f->host, f->guest, f->mode, err, errlen);
}

/* The suite's own files under /mmrepro, which the init bind-mounts at
 * INITRAMFS_GUEST_DIR in the guest's root. */
static int add_suite_files(struct archive *a, const struct initramfs_spec *s, char *err, size_t errlen)
{
	char dst[PATH_MAX];
	int r = add_dir(a, "mmrepro") || add_dir(a, "mmrepro/bin") ? -1 : 0;

	if (!r && s->job_text)
		r = add_bytes(a, "job.ini", s->job_text, strlen(s->job_text), 0644);
	if (!r && s->workload_path) {
		const char *base = strrchr(s->workload_path, '/');
		snprintf(dst, sizeof(dst), "mmrepro/bin/%s", base ? base + 1 : s->workload_path);
		r = add_file(a, s->workload_path, dst, 0755, err, errlen);
	}
	if (!r && s->config_path && s->config_path[0])
		r = add_kconfig(a, s->config_path, err, errlen);
	for (int i = 0; i < s->nfiles && !r; i++)
		r = add_extra(a, &s->files[i], err, errlen);
	return r;
}

/* The archive holds host files (the kernel's config, modules, a
 * reproducer): it is written 0600, whatever the umask, so that it is never
 * more readable than the most private of them. A stale tmp file (and the
 * mode it was made with) goes first. */
static int open_private(const char *tmp, char *err, size_t errlen)
{
	int fd;

	if (unlink(tmp) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "initramfs: cannot remove %s: %s", tmp, strerror(errno));
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, INITRAMFS_MODE);
	if (fd < 0 || fchmod(fd, INITRAMFS_MODE) < 0) {
		snprintf(err, errlen, "initramfs: cannot write %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int initramfs_build(const char *out_path, const struct initramfs_spec *s, char *err, size_t errlen)
{
	static const char *const dirs[] = { "dev", "proc", "sys", "newroot", "tmp", "lib", "lib64", "usr", NULL };
	struct archive *a;
	char tmp[PATH_MAX];
	int r = 0, fd, e;

	xsnprintf(tmp, sizeof(tmp), "%s.tmp", out_path);
	if ((fd = open_private(tmp, err, errlen)) < 0)
		return -1;
	a = archive_write_new();
	archive_write_set_format_cpio_newc(a);
	if (archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		snprintf(err, errlen, "initramfs: cannot write %s: %s", tmp, archive_error_string(a));
		r = -1;
	}
	for (const char *const *d = dirs; *d && !r; d++)
		r = add_dir(a, *d);
	if (!r)
		r = add_console_node(a);
	if (!r)
		r = add_init(a, s->init_path, s->static_init, err, errlen);
	if (!r)
		r = add_modules(a, s, err, errlen);
	if (!r)
		r = add_suite_files(a, s, err, errlen);
	if (archive_write_close(a) != ARCHIVE_OK && !r) {
		snprintf(err, errlen, "initramfs: %s", archive_error_string(a));
		r = -1;
	}
	e = errno;
	archive_write_free(a);
	if (close(fd) < 0 && !r) {
		e = errno;
		snprintf(err, errlen, "initramfs: cannot write %s: %s", tmp, strerror(e));
		r = -1;
	}
	if (!r && rename(tmp, out_path) < 0) {
		e = errno;
		snprintf(err, errlen, "initramfs: rename %s: %s", out_path, strerror(e));
		r = -1;
	}
	if (r)
		unlink(tmp);
	if (r && !err[0])
		snprintf(err, errlen, "initramfs: cannot write archive entries");
	/* The caller reads errno to tell a full disk from a bad input. */
	errno = r ? e : errno;
	return r;
}
