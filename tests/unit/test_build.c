#include "build.h"
#include "suites.h"
#include "util.h"

#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char config[] =
	"#\n# Automatically generated file; DO NOT EDIT.\n#\nCONFIG_CMA=y\nCONFIG_CMA_AREAS=7\n"
	"# CONFIG_KSM is not set\nCONFIG_LOCALVERSION=\"-mm\"\nCONFIG_ZRAM=m\nCONFIG_CMA_DEBUGFS=y\n";

START_TEST(fragment_lines_checked_against_config)
{
	ck_assert(build_config_line_holds(config, "CONFIG_CMA=y"));
	ck_assert(build_config_line_holds(config, "CONFIG_CMA_AREAS=7"));
	ck_assert(build_config_line_holds(config, "CONFIG_LOCALVERSION=\"-mm\""));
	ck_assert(build_config_line_holds(config, "CONFIG_ZRAM=m"));
	ck_assert(build_config_line_holds(config, "# CONFIG_KSM is not set"));
	ck_assert(build_config_line_holds(config, "# CONFIG_ABSENT is not set"));
	ck_assert(build_config_line_holds(config, "CONFIG_ABSENT=n"));
	ck_assert(build_config_line_holds(config, "# a comment"));
	ck_assert(build_config_line_holds(config, ""));
	ck_assert(!build_config_line_holds(config, "CONFIG_KSM=y"));
	ck_assert(!build_config_line_holds(config, "CONFIG_ZRAM=y"));
	ck_assert(!build_config_line_holds(config, "CONFIG_CMA_AREAS=8"));
	/* A prefix of another symbol must not count. */
	ck_assert(!build_config_line_holds(config, "CONFIG_CM=y"));
	ck_assert(!build_config_line_holds(config, "CONFIG_DEBUGFS=y"));
	ck_assert(!build_config_line_holds(config, "# CONFIG_CMA is not set"));
	ck_assert(!build_config_line_holds(config, "CONFIG_CMA=n"));
	ck_assert(!build_config_line_holds(config, "garbage"));
}
END_TEST

START_TEST(cache_key_hashes_contents_in_order)
{
	const char *p1[] = { "patch A", "patch B", NULL }, *p2[] = { "patch B", "patch A", NULL };
	const char *p3[] = { "patch A", "patch B ", NULL }, *f1[] = { "CONFIG_CMA=y\n", NULL };
	const char *f2[] = { "CONFIG_CMA=y\nCONFIG_KSM=y\n", NULL };
	char k1[25], k2[25];

	build_cache_key("debian linux-source-6.12 6.12.117", "gcc 12.2.0", p1, f1, k1);
	ck_assert_uint_eq(strlen(k1), 24);
	build_cache_key("debian linux-source-6.12 6.12.117", "gcc 12.2.0", p1, f1, k2);
	ck_assert_str_eq(k1, k2);
	build_cache_key("debian linux-source-6.12 6.12.117", "gcc 12.2.0", p2, f1, k2);
	ck_assert_str_ne(k1, k2);
	build_cache_key("debian linux-source-6.12 6.12.117", "gcc 12.2.0", p3, f1, k2);
	ck_assert_str_ne(k1, k2);
	build_cache_key("debian linux-source-6.12 6.12.117", "gcc 12.2.0", p1, f2, k2);
	ck_assert_str_ne(k1, k2);
	build_cache_key("debian linux-source-6.12 6.12.118", "gcc 12.2.0", p1, f1, k2);
	ck_assert_str_ne(k1, k2);
	build_cache_key("debian linux-source-6.12 6.12.117", "gcc 13.1.0", p1, f1, k2);
	ck_assert_str_ne(k1, k2);
	build_cache_key("debian linux-source-6.12 6.12.117", "gcc 12.2.0", NULL, f1, k2);
	ck_assert_str_ne(k1, k2);
}
END_TEST

START_TEST(capture_argv_returns_trimmed_stdout_without_a_shell)
{
	char orig[4096], dir[128], *out;

	ck_assert_ptr_nonnull(getcwd(orig, sizeof(orig)));
	snprintf(dir, sizeof(dir), "%s", test_temp_dir());
	ck_assert_int_eq(chdir(dir), 0);
	out = capture_argv((char *[]){ "printf", "  one\\ntwo \\n\\n", NULL }, NULL);
	ck_assert_str_eq(out, "  one\ntwo");
	free(out);
	out = capture_argv((char *[]){ "echo", "$(touch PWNED) `touch PWNED2`; touch PWNED3", NULL }, NULL);
	ck_assert_str_eq(out, "$(touch PWNED) `touch PWNED2`; touch PWNED3");
	free(out);
	ck_assert(!test_dir_has_entry_starting(dir, "PWNED"));
	ck_assert(!test_dir_has_entry_starting(orig, "PWNED"));
	ck_assert_int_eq(chdir(orig), 0);
	out = capture_argv((char *[]){ "pwd", NULL }, dir);
	ck_assert_str_eq(out, dir);
	free(out);
}
END_TEST

START_TEST(capture_argv_fails_on_error_exit_and_too_much_output)
{
	char *out;

	ck_assert_ptr_null(capture_argv((char *[]){ "false", NULL }, NULL));
	/* Output before a non-zero exit does not count, and stderr is dropped. */
	ck_assert_ptr_null(capture_argv((char *[]){ "sh", "-c", "echo out; echo err >&2; exit 3", NULL }, NULL));
	ck_assert_ptr_null(capture_argv((char *[]){ "/nonexistent/program", NULL }, NULL));
	ck_assert_ptr_null(capture_argv((char *[]){ "true", NULL }, "/nonexistent/dir"));
	out = capture_argv((char *[]){ "sh", "-c", "echo out; echo err >&2", NULL }, NULL);
	ck_assert_str_eq(out, "out");
	free(out);
	/* Beyond the cap is an error, not a silently shortened result. */
	ck_assert_ptr_null(capture_argv((char *[]){ "head", "-c", "2000000", "/dev/zero", NULL }, NULL));
	out = capture_argv((char *[]){ "sh", "-c", "head -c 900000 /dev/zero | tr '\\0' a", NULL }, NULL);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(strlen(out), 900000);
	free(out);
}
END_TEST

START_TEST(run_cmd_split_logs_stdout_and_keeps_stderr_apart)
{
	char dir[128], log[160], errs[160], *text;

	snprintf(dir, sizeof(dir), "%s", test_temp_dir());
	snprintf(log, sizeof(log), "%s/log", dir);
	snprintf(errs, sizeof(errs), "%s/errs", dir);
	ck_assert_int_eq(run_cmd_split((char *[]){ "sh", "-c", "echo out1", NULL }, log, errs, NULL), 0);
	ck_assert_int_eq(run_cmd_split((char *[]){ "sh", "-c", "echo out2; echo e >&2; exit 4", NULL }, log, errs,
				       NULL), 4);
	text = read_file(log, NULL);
	ck_assert_str_eq(text, "out1\nout2\n");
	free(text);
	text = read_file(errs, NULL);
	ck_assert_str_eq(text, "e\n");
	free(text);
}
END_TEST

START_TEST(remove_tree_removes_without_following_links)
{
	char dir[128], outside[160], path[256];

	snprintf(dir, sizeof(dir), "%s", test_temp_dir());
	snprintf(outside, sizeof(outside), "%s", test_temp_file("keep", ".txt"));
	snprintf(path, sizeof(path), "%s/a/b", dir);
	ck_assert_int_eq(mkdir_p(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/a/b/link", dir);
	ck_assert_int_eq(symlink(outside, path), 0);
	snprintf(path, sizeof(path), "%s/a/b/file", dir);
	ck_assert_int_eq(write_file_atomic(path, "x", 1), 0);
	ck_assert_int_eq(remove_tree(dir), 0);
	ck_assert(!file_exists(dir));
	ck_assert(file_exists(outside));
	ck_assert_int_eq(remove_tree(dir), 0);
}
END_TEST

/* kernel_get with MMREPRO_CACHE in a temp dir; returns the exit code. */
static int get_kernel(const char *spec, const char *series, char *err, size_t errlen)
{
	struct kernel k;
	char cache[128];

	snprintf(cache, sizeof(cache), "%s", test_temp_dir());
	setenv("MMREPRO_CACHE", cache, 1);
	err[0] = '\0';
	return kernel_get(spec, series, NULL, NULL, ARCH_X86_64, -1, false, &k, err, errlen);
}

START_TEST(hostile_git_spec_is_usage_error_and_runs_nothing)
{
	char orig[4096], dir[128], err[1024];
	const char *specs[] = { "git:/x'; touch PWNED; echo '@HEAD", "git:/tmp/$(touch PWNED2)@HEAD" };

	ck_assert_ptr_nonnull(getcwd(orig, sizeof(orig)));
	snprintf(dir, sizeof(dir), "%s", test_temp_dir());
	ck_assert_int_eq(chdir(dir), 0);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(get_kernel(specs[i], NULL, err, sizeof(err)), EXIT_USAGE);
		ck_assert_msg(!strncmp(err, "--kernel ", 9), "%s", err);
	}
	ck_assert(!test_dir_has_entry_starting(dir, "PWNED"));
	ck_assert(!test_dir_has_entry_starting(orig, "PWNED"));
	ck_assert(!test_dir_has_entry_starting("/tmp", "$(touch PWNED2)"));
	ck_assert_int_eq(chdir(orig), 0);
}
END_TEST

static void assert_usage_error(const char *spec, const char *series, const char *want)
{
	char err[1024];

	ck_assert_int_eq(get_kernel(spec, series, err, sizeof(err)), EXIT_USAGE);
	ck_assert_msg(strstr(err, want) != NULL, "%s: got '%s', want '%s'", spec, err, want);
	ck_assert_msg(!strncmp(err, series ? "--series " : "--kernel ", 9), "%s", err);
}

START_TEST(git_spec_checked_up_front)
{
	char repo[128], spec[300];
	const char *plain = test_temp_dir();

	snprintf(repo, sizeof(repo), "%s", test_git_repo());
	assert_usage_error("git:/nonexistent/linux@HEAD", NULL, "is not a directory");
	snprintf(spec, sizeof(spec), "git:%s@HEAD", plain);
	assert_usage_error(spec, NULL, "is not a git repository");
	snprintf(spec, sizeof(spec), "git:%s@no-such-branch", repo);
	assert_usage_error(spec, NULL, "'no-such-branch' is not a commit");
	snprintf(spec, sizeof(spec), "git:%s@--output=x", repo);
	assert_usage_error(spec, NULL, "starts with '-'");
	snprintf(spec, sizeof(spec), "git:%s", repo);
	assert_usage_error(spec, NULL, "expected git:/path/to/linux@REV");
}
END_TEST

START_TEST(dir_spec_checked_up_front)
{
	char spec[300];

	assert_usage_error("dir:/nonexistent/linux", NULL, "no such directory");
	snprintf(spec, sizeof(spec), "dir:%s", test_temp_file("not a dir", ".txt"));
	assert_usage_error(spec, NULL, "no such directory");
	snprintf(spec, sizeof(spec), "dir:%s", test_temp_dir());
	assert_usage_error(spec, NULL, "not a kernel tree");
}
END_TEST

/* A file with just enough of an x86 setup header for kernel_image_release:
 * "HdrS" at 0x202 and the version string pointer at 0x20e. */
static const char *fake_bzimage(void)
{
	static char path[160];
	unsigned char img[0x400] = { 0 };
	FILE *f;

	memcpy(img + 0x202, "HdrS", 4);
	img[0x20e] = 0x00;
	img[0x20f] = 0x01;
	memcpy(img + 0x300, "6.12.0-test (builder) #1", 24);
	snprintf(path, sizeof(path), "%s/bzImage", test_temp_dir());
	f = fopen(path, "wb");
	fwrite(img, 1, sizeof(img), f);
	fclose(f);
	return path;
}

/* An arm64 Image: its header's magic at 0x38, and the banner far in. */
static const char *fake_arm64_image(const char *banner)
{
	static char path[160];
	unsigned char img[0x2000] = { 0 };
	FILE *f;

	memcpy(img + 0x38, "ARM\x64", 4);
	memcpy(img + 0x1000, banner, strlen(banner));
	snprintf(path, sizeof(path), "%s/Image", test_temp_dir());
	f = fopen(path, "wb");
	fwrite(img, 1, sizeof(img), f);
	fclose(f);
	return path;
}

/* An arm64 Image's release comes from its banner; a cut one, with no
 * banner, is neither whole nor readable; image: refuses one (prebuilt
 * images boot as x86_64). */
START_TEST(arm64_image_release_and_wholeness)
{
	char release[128], spec[300], err[1024];
	const char *img = fake_arm64_image("Linux version 6.12.118+ (mmrepro@mmrepro) #1 SMP");
	struct kernel k;

	ck_assert(kernel_image_is_arm64(img));
	ck_assert_int_eq(kernel_image_release(img, release, sizeof(release)), 0);
	ck_assert_str_eq(release, "6.12.118+");
	ck_assert(kernel_arm64_image_is_whole(img));
	snprintf(spec, sizeof(spec), "image:%s", img);
	ck_assert_int_eq(kernel_resolve_prebuilt(spec, &k, err, sizeof(err)), EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "an arm64 kernel comes from a source spec with --arch arm64"));
	img = fake_arm64_image("Linux version 6.12.118+");
	ck_assert_int_eq(kernel_image_release(img, release, sizeof(release)), -1);
	ck_assert(!kernel_arm64_image_is_whole(img));
	ck_assert(!kernel_image_is_arm64(fake_bzimage()));
}
END_TEST

START_TEST(image_spec_checked_up_front)
{
	char image[160], spec[600], err[1024];
	struct kernel k;

	snprintf(image, sizeof(image), "%s", fake_bzimage());
	assert_usage_error("image:/nonexistent/bzImage", NULL, "/nonexistent/bzImage does not exist");
	snprintf(spec, sizeof(spec), "image:%s", test_temp_file("just text\n", ".txt"));
	assert_usage_error(spec, NULL, "is not a readable x86 bzImage");
	snprintf(spec, sizeof(spec), "image:%s,modules=/nonexistent/modules", image);
	assert_usage_error(spec, NULL, "modules dir /nonexistent/modules does not exist");
	snprintf(spec, sizeof(spec), "image:%s,config=/nonexistent/config", image);
	assert_usage_error(spec, NULL, "config /nonexistent/config does not exist");
	snprintf(spec, sizeof(spec), "image:%s,vmlinux=/nonexistent/vmlinux", image);
	assert_usage_error(spec, NULL, "vmlinux /nonexistent/vmlinux does not exist");
	/* A config= must be a kernel config: a bzImage is not. */
	snprintf(spec, sizeof(spec), "image:%s,config=%s", image, image);
	assert_usage_error(spec, NULL, "not a kernel config");
	snprintf(spec, sizeof(spec), "image:%s,config=%s", image, test_temp_file("CONFIG_MMU=y\n", ".config"));
	ck_assert_msg(kernel_resolve_prebuilt(spec, &k, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(k.release, "6.12.0-test");
	ck_assert_str_eq(k.boot_image, image);
}
END_TEST

struct fake_note {
	const char *name;
	uint32_t type, descsz;
};

/* An x86-64 ELF with one PT_NOTE segment holding notes, written short by
 * cut bytes (static buffer for the path). */
static const char *fake_elf(const struct fake_note *notes, int nnotes, size_t cut)
{
	static char path[160];
	static int seq;
	unsigned char img[1024] = { 0 };
	size_t at = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr);
	Elf64_Ehdr h = { .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
			 .e_phoff = sizeof(Elf64_Ehdr), .e_ehsize = sizeof(Elf64_Ehdr),
			 .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 1 };
	Elf64_Phdr ph = { .p_type = PT_NOTE, .p_offset = at, .p_align = 4 };
	FILE *f;

	memcpy(h.e_ident, ELFMAG, SELFMAG);
	h.e_ident[EI_CLASS] = ELFCLASS64;
	h.e_ident[EI_DATA] = ELFDATA2LSB;
	h.e_ident[EI_VERSION] = EV_CURRENT;
	for (int i = 0; i < nnotes; i++) {
		Elf64_Nhdr n = { .n_namesz = (uint32_t)strlen(notes[i].name) + 1, .n_descsz = notes[i].descsz,
				 .n_type = notes[i].type };
		memcpy(img + at, &n, sizeof(n));
		memcpy(img + at + sizeof(n), notes[i].name, n.n_namesz);
		at += sizeof(n) + ((n.n_namesz + 3) & ~3u) + (notes[i].descsz < 64 ? (notes[i].descsz + 3) & ~3u : 0);
	}
	ph.p_filesz = at - ph.p_offset;
	memcpy(img, &h, sizeof(h));
	memcpy(img + sizeof(h), &ph, sizeof(ph));
	snprintf(path, sizeof(path), "%s/vmlinux-%d", test_temp_dir(), seq++);
	f = fopen(path, "wb");
	fwrite(img, 1, at - cut, f);
	fclose(f);
	return path;
}

START_TEST(pvh_entry_found_only_in_a_well_formed_xen_note)
{
	const struct fake_note pvh = { "Xen", 18, 4 }, other_xen = { "Xen", 17, 8 }, gnu = { "GNU", 3, 20 };
	const struct fake_note build_id_then_pvh[] = { gnu, other_xen, pvh };
	const struct fake_note wrong_owner[] = { { "GNU", 18, 4 } }, huge_desc[] = { { "Xen", 17, 0xffffffffu }, pvh };

	ck_assert(kernel_has_pvh_entry(fake_elf(&pvh, 1, 0)));
	ck_assert(kernel_has_pvh_entry(fake_elf(build_id_then_pvh, 3, 0)));
	ck_assert(!kernel_has_pvh_entry(fake_elf(&other_xen, 1, 0)));
	ck_assert(!kernel_has_pvh_entry(fake_elf(wrong_owner, 1, 0)));
	/* A note whose size runs past its segment ends the walk. */
	ck_assert(!kernel_has_pvh_entry(fake_elf(huge_desc, 2, 0)));
	/* A file shorter than its note segment. */
	ck_assert(!kernel_has_pvh_entry(fake_elf(&pvh, 1, 4)));
	ck_assert(!kernel_has_pvh_entry(fake_bzimage()));
	ck_assert(!kernel_has_pvh_entry(test_temp_file("", ".elf")));
	ck_assert(!kernel_has_pvh_entry("/nonexistent/vmlinux"));
}
END_TEST

START_TEST(boot_image_is_vmlinux_only_with_a_pvh_entry)
{
	const struct fake_note pvh = { "Xen", 18, 4 }, gnu = { "GNU", 3, 20 };
	struct kernel k = { .vmlinux = "" };

	snprintf(k.image, sizeof(k.image), "%s", fake_bzimage());
	kernel_choose_boot_image(&k);
	ck_assert_str_eq(k.boot_image, k.image);
	snprintf(k.vmlinux, sizeof(k.vmlinux), "%s", fake_elf(&gnu, 1, 0));
	kernel_choose_boot_image(&k);
	ck_assert_str_eq(k.boot_image, k.image);
	snprintf(k.vmlinux, sizeof(k.vmlinux), "%s", fake_elf(&pvh, 1, 0));
	kernel_choose_boot_image(&k);
	ck_assert_str_eq(k.boot_image, k.vmlinux);
	/* KASAN before 6.12 (or of unknown release) faults at the PVH entry. */
	static const struct { const char *config, *release; bool pvh; } kasan[] = {
		{ "CONFIG_X=y\nCONFIG_KASAN=y\n", "6.1.192", false },
		{ "CONFIG_X=y\nCONFIG_KASAN=y\n", "", false },
		{ "CONFIG_X=y\nCONFIG_KASAN=y\n", "6.12.117", true },
		{ "CONFIG_KSM=y\n", "6.1.192", true },
	};
	for (size_t i = 0; i < sizeof(kasan) / sizeof(kasan[0]); i++) {
		snprintf(k.config, sizeof(k.config), "%s", test_temp_file(kasan[i].config, ".config"));
		snprintf(k.release, sizeof(k.release), "%s", kasan[i].release);
		kernel_choose_boot_image(&k);
		ck_assert_str_eq(k.boot_image, kasan[i].pvh ? k.vmlinux : k.image);
	}
}
END_TEST

/* A bad series is a usage error before any tree is touched: no worktree,
 * no unpacked sources, and for src: not even the package lookup. */
START_TEST(bad_series_is_usage_error_before_any_tree)
{
	char repo[128], spec[300], cache[160], path[300], err[1024];
	struct kernel k;

	snprintf(repo, sizeof(repo), "%s", test_git_repo());
	snprintf(spec, sizeof(spec), "git:%s@HEAD", repo);
	assert_usage_error(spec, test_temp_dir(), "no readable 'series' file");
	assert_usage_error(spec, "/nonexistent/series", "No such file");
	assert_usage_error(spec, test_temp_file("From x Mon Sep 17 00:00:00 2001\nSubject: hi\n\nno patch\n", ".mbox"),
			   "no message in the mbox is a patch");
	assert_usage_error("src:deb-6.12", test_temp_dir(), "no readable 'series' file");
	snprintf(cache, sizeof(cache), "%s", getenv("MMREPRO_CACHE"));
	snprintf(path, sizeof(path), "%s/worktrees", cache);
	ck_assert(!file_exists(path));
	snprintf(path, sizeof(path), "%s/src", cache);
	ck_assert(!file_exists(path));
	/* The series is checked against prebuilt kernels too. */
	ck_assert_int_eq(kernel_get("deb:6.12", test_temp_dir(), NULL, NULL, ARCH_X86_64, -1, false, &k, err, sizeof(err)), EXIT_USAGE);
}
END_TEST

START_TEST(makefile_version_parsed)
{
	char v[16];

	ck_assert(build_makefile_version("# SPDX-License-Identifier: GPL-2.0\nVERSION = 6\nPATCHLEVEL = 12\n"
					 "SUBLEVEL = 57\nEXTRAVERSION =\n", v, sizeof(v)));
	ck_assert_str_eq(v, "6.12");
	ck_assert(build_makefile_version("VERSION = 6\nPATCHLEVEL = 1\n", v, sizeof(v)));
	ck_assert_str_eq(v, "6.1");
	ck_assert(build_makefile_version("VERSION=5\nPATCHLEVEL\t=\t15\n", v, sizeof(v)));
	ck_assert_str_eq(v, "5.15");
	ck_assert(!build_makefile_version("VERSION = 6\n", v, sizeof(v)));
	ck_assert(!build_makefile_version("PATCHLEVEL = 12\n", v, sizeof(v)));
	ck_assert(!build_makefile_version("VERSIONX = 6\nPATCHLEVEL = 12\n", v, sizeof(v)));
	ck_assert(!build_makefile_version("VERSION = six\nPATCHLEVEL = 12\n", v, sizeof(v)));
	ck_assert(!build_makefile_version("", v, sizeof(v)));
}
END_TEST

/* A fresh repository in which each call commits a kernel-like top Makefile
 * of version.patchlevel; sha gets the new commit. */
static void commit_makefile(const char *repo, int version, int patchlevel, char sha[41])
{
	char path[300], text[200], *out;

	snprintf(path, sizeof(path), "%s/.git", repo);
	if (!file_exists(path))
		ck_assert_int_eq(run_cmd((char *[]){ "git", "-C", (char *)repo, "init", "-q", NULL }, "/dev/null", NULL), 0);
	snprintf(path, sizeof(path), "%s/Makefile", repo);
	snprintf(text, sizeof(text), "# SPDX-License-Identifier: GPL-2.0\nVERSION = %d\nPATCHLEVEL = %d\nSUBLEVEL = 0\n"
		 "EXTRAVERSION =\nNAME = Baby Opossum Posse\n", version, patchlevel);
	ck_assert_int_eq(write_file_atomic(path, text, strlen(text)), 0);
	ck_assert_int_eq(run_cmd((char *[]){ "git", "-C", (char *)repo, "add", "Makefile", NULL }, "/dev/null", NULL), 0);
	ck_assert_int_eq(run_cmd((char *[]){ "git", "-C", (char *)repo, "-c", "user.name=t", "-c", "user.email=t@t",
					     "commit", "-q", "-m", "version", NULL }, "/dev/null", NULL), 0);
	out = capture_argv((char *[]){ "git", "-C", (char *)repo, "rev-parse", "HEAD", NULL }, NULL);
	ck_assert_ptr_nonnull(out);
	snprintf(sha, 41, "%s", out);
	free(out);
}

static bool plan_has_fragment(const struct build_plan *plan, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/config/%s", repo_root(), name);
	for (int i = 0; i < plan->nfragments; i++)
		if (!strcmp(plan->fragments[i], path))
			return true;
	return false;
}

/* build_plan for spec with MMREPRO_CACHE at cache; asserts success. */
static void plan_spec(const char *spec, const char *cache, struct build_plan *plan)
{
	struct build_request req = { .spec = spec, .signal_fd = -1 };
	char err[1024] = "";

	setenv("MMREPRO_CACHE", cache, 1);
	ck_assert_msg(build_plan(&req, plan, err, sizeof(err)) == 0, "%s: %s", spec, err);
}

/* `build` and a later `run` of the same git: spec must share one key: the
 * version fragment cannot depend on whether the worktree exists yet. */
START_TEST(git_spec_key_same_before_and_after_worktree)
{
	static struct build_plan first, again;
	char repo[128], cache[128], sha[41], spec[300], path[300];

	snprintf(repo, sizeof(repo), "%s", test_temp_dir());
	snprintf(cache, sizeof(cache), "%s", test_temp_dir());
	commit_makefile(repo, 6, 12, sha);
	snprintf(spec, sizeof(spec), "git:%s@%s", repo, sha);
	plan_spec(spec, cache, &first);
	snprintf(path, sizeof(path), "%s/worktrees", cache);
	ck_assert(!file_exists(path));
	ck_assert_str_eq(first.version, "6.12");
	ck_assert(plan_has_fragment(&first, "guest-6.12.config"));
	ck_assert(!plan_has_fragment(&first, "guest-6.1.config"));
	/* What prepare_git_tree does before the first compile. */
	ck_assert_int_eq(run_cmd((char *[]){ "git", "-C", repo, "worktree", "add", "-f", "--detach", first.tree, sha, NULL },
				 "/dev/null", NULL), 0);
	snprintf(path, sizeof(path), "%s/Makefile", first.tree);
	ck_assert(file_exists(path));
	plan_spec(spec, cache, &again);
	ck_assert_str_eq(again.key, first.key);
	ck_assert_int_eq(again.nfragments, first.nfragments);
	for (int i = 0; i < first.nfragments; i++)
		ck_assert_str_eq(again.fragments[i], first.fragments[i]);
}
END_TEST

/* Bisect moves one worktree between revisions: the version is the one of
 * the commit asked for, not of whatever the worktree last held. */
START_TEST(git_spec_version_read_at_its_commit_not_worktree)
{
	static struct build_plan new_plan, old_plan;
	char repo[128], cache[128], sha612[41], sha61[41], spec[300];

	snprintf(repo, sizeof(repo), "%s", test_temp_dir());
	snprintf(cache, sizeof(cache), "%s", test_temp_dir());
	commit_makefile(repo, 6, 12, sha612);
	commit_makefile(repo, 6, 1, sha61);
	snprintf(spec, sizeof(spec), "git:%s@%s", repo, sha612);
	plan_spec(spec, cache, &new_plan);
	ck_assert_int_eq(run_cmd((char *[]){ "git", "-C", repo, "worktree", "add", "-f", "--detach", new_plan.tree,
					     sha612, NULL }, "/dev/null", NULL), 0);
	snprintf(spec, sizeof(spec), "git:%s@%s", repo, sha61);
	plan_spec(spec, cache, &old_plan);
	ck_assert_str_eq(old_plan.tree, new_plan.tree);
	ck_assert_str_eq(old_plan.version, "6.1");
	ck_assert(plan_has_fragment(&old_plan, "guest-6.1.config"));
	ck_assert(!plan_has_fragment(&old_plan, "guest-6.12.config"));
	ck_assert_str_ne(old_plan.key, new_plan.key);
}
END_TEST

/* A directory that looks like a kernel tree (arch/x86, a top Makefile with
 * the given text) and its dir: spec. */
static void fake_kernel_tree(const char *makefile, char *tree, size_t tree_len, char *spec, size_t spec_len)
{
	char path[512];

	snprintf(tree, tree_len, "%s", test_temp_dir());
	snprintf(path, sizeof(path), "%s/arch/x86", tree);
	ck_assert_int_eq(mkdir_p(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/Makefile", tree);
	ck_assert_int_eq(write_file_atomic(path, makefile, strlen(makefile)), 0);
	snprintf(spec, spec_len, "dir:%s", tree);
}

/* dir: reads its own Makefile through the same parser; src: is named by
 * its package. */
START_TEST(dir_and_src_specs_planned_with_their_version)
{
	static struct build_plan plan;
	struct build_request req = { .spec = "src:deb-6.1", .signal_fd = -1 };
	char tree[128], spec[300], err[1024];
	int rc;

	fake_kernel_tree("VERSION = 6\nPATCHLEVEL = 1\n", tree, sizeof(tree), spec, sizeof(spec));
	plan_spec(spec, test_temp_dir(), &plan);
	ck_assert_str_eq(plan.version, "6.1");
	ck_assert(plan_has_fragment(&plan, "guest-6.1.config"));
	rc = build_plan(&req, &plan, err, sizeof(err));
	ck_assert_msg(rc == 0 || rc == EXIT_UNTESTABLE, "%d: %s", rc, err);
	if (rc == 0)
		ck_assert(plan_has_fragment(&plan, "guest-6.1.config"));
}
END_TEST

/* A tree without a readable version is refused, never built without its
 * version fragment. */
START_TEST(source_without_version_is_usage_error)
{
	char repo[128], tree[128], path[300], spec[300], err[1024];

	snprintf(repo, sizeof(repo), "%s", test_git_repo());
	snprintf(spec, sizeof(spec), "git:%s@HEAD", repo);
	ck_assert_int_eq(get_kernel(spec, NULL, err, sizeof(err)), EXIT_USAGE);
	ck_assert_msg(strstr(err, "not a kernel tree: no VERSION and PATCHLEVEL") != NULL, "%s", err);
	snprintf(path, sizeof(path), "%s/worktrees", getenv("MMREPRO_CACHE"));
	ck_assert(!file_exists(path));
	fake_kernel_tree("all:\n", tree, sizeof(tree), spec, sizeof(spec));
	assert_usage_error(spec, NULL, "not a kernel tree: no VERSION and PATCHLEVEL");
}
END_TEST

/* A flavour adds its fragment after the guest ones and before --config
 * ones, so it has its own key; an unknown one, or one on a prebuilt
 * kernel, is a usage error. */
START_TEST(flavor_adds_its_fragment_and_key)
{
	static struct build_plan plain, debug;
	struct build_request req = { .signal_fd = -1, .flavor = "debug" };
	char tree[128], path[300], spec[300], err[1024] = "";
	struct kernel k;

	fake_kernel_tree("VERSION = 6\nPATCHLEVEL = 12\n", tree, sizeof(tree), spec, sizeof(spec));
	plan_spec(spec, test_temp_dir(), &plain);
	ck_assert(!plan_has_fragment(&plain, "flavor-debug.config"));
	req.spec = spec;
	ck_assert_msg(build_plan(&req, &debug, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(debug.nfragments, plain.nfragments + 1);
	snprintf(path, sizeof(path), "%s/config/flavor-debug.config", repo_root());
	ck_assert_str_eq(debug.fragments[debug.nfragments - 1], path);
	ck_assert_str_ne(debug.key, plain.key);
	req.flavor = "fast";
	ck_assert_int_eq(build_plan(&req, &debug, err, sizeof(err)), EXIT_USAGE);
	ck_assert_str_eq(err, "--flavor fast: expected one of normal, debug");
	ck_assert_int_eq(kernel_get("deb:6.12", NULL, NULL, "debug", ARCH_X86_64, -1, false, &k, err, sizeof(err)), EXIT_USAGE);
	ck_assert_str_eq(err, "--flavor debug needs a source kernel (src:, git:, dir:), not deb:6.12");
}
END_TEST

/* A report's config (base:PATH) is merged first, before the suite's own
 * fragments, which then override what the guest needs; it gets an object
 * dir and key of its own, and a missing one is a usage error. */
START_TEST(base_config_goes_first_with_its_own_obj_dir)
{
	static struct build_plan plain, based;
	struct build_request req = { .signal_fd = -1 };
	char tree[128], spec[300], base[400], cfg[300], err[1024] = "", want[400];

	fake_kernel_tree("VERSION = 6\nPATCHLEVEL = 12\n", tree, sizeof(tree), spec, sizeof(spec));
	snprintf(cfg, sizeof(cfg), "%s", test_temp_file("# CONFIG_9P_FS is not set\nCONFIG_KASAN=y\n", ".config"));
	snprintf(base, sizeof(base), "%s%s", BUILD_BASE_PREFIX, cfg);
	req.spec = spec;
	ck_assert_msg(build_plan(&req, &plain, err, sizeof(err)) == 0, "%s", err);
	req.configs[0] = base;
	ck_assert_msg(build_plan(&req, &based, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(based.nfragments, plain.nfragments + 1);
	ck_assert_str_eq(based.fragments[0], cfg);
	snprintf(want, sizeof(want), "%s/config/base.config", repo_root());
	ck_assert_str_eq(based.fragments[1], want);
	ck_assert_str_ne(based.key, plain.key);
	ck_assert(!strncmp(based.obj, plain.obj, strlen(plain.obj)) && strstr(based.obj, "+cfg-"));
	snprintf(base, sizeof(base), "%s/nonexistent/config", BUILD_BASE_PREFIX);
	ck_assert_int_eq(build_plan(&req, &based, err, sizeof(err)), EXIT_USAGE);
	ck_assert_msg(strstr(err, "base_config /nonexistent/config: no such file") != NULL, "%s", err);
}
END_TEST

/* Each flavour and each set of extra fragments has an object dir of its
 * own, named by the fragments' contents, so switching configs never
 * recompiles a shared tree. */
START_TEST(obj_dir_per_flavor_and_extra_fragments)
{
	static struct build_plan plain, debug, extra, same, other;
	struct build_request req = { .signal_fd = -1 };
	char tree[128], spec[300], frag[300], copy[300], err[1024] = "", want[400];

	fake_kernel_tree("VERSION = 6\nPATCHLEVEL = 12\n", tree, sizeof(tree), spec, sizeof(spec));
	snprintf(frag, sizeof(frag), "%s", test_temp_file("CONFIG_MEM_SOFT_DIRTY=y\n", ".config"));
	snprintf(copy, sizeof(copy), "%s", test_temp_file("CONFIG_MEM_SOFT_DIRTY=y\n", ".config"));
	req.spec = spec;
	ck_assert_msg(build_plan(&req, &plain, err, sizeof(err)) == 0, "%s", err);
	req.flavor = "debug";
	ck_assert_msg(build_plan(&req, &debug, err, sizeof(err)) == 0, "%s", err);
	snprintf(want, sizeof(want), "%s+debug", plain.obj);
	ck_assert_str_eq(debug.obj, want);
	req.flavor = NULL;
	req.configs[0] = frag;
	ck_assert_msg(build_plan(&req, &extra, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(strlen(extra.obj), strlen(plain.obj) + strlen("+cfg-") + 10);
	ck_assert(!strncmp(extra.obj, plain.obj, strlen(plain.obj)));
	req.configs[0] = copy;
	ck_assert_msg(build_plan(&req, &same, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(same.obj, extra.obj);
	req.configs[0] = test_temp_file("CONFIG_KSM=y\n", ".config");
	ck_assert_msg(build_plan(&req, &other, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_ne(other.obj, extra.obj);
}
END_TEST

START_TEST(cache_gc_removes_incomplete_and_stale_only)
{
	char cache[128], path[300];
	const char *keep[] = { "kernels/fresh", "logs/new.log" }, *gone[] = { "kernels/abc.tmp-2147483647", "kernels/stale",
									     "logs/old.log" };
	struct timespec old[2] = { { .tv_sec = time(NULL) - 30 * 86400 }, { .tv_sec = time(NULL) - 30 * 86400 } };

	snprintf(cache, sizeof(cache), "%s", test_temp_dir());
	setenv("MMREPRO_CACHE", cache, 1);
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", cache, i < 2 ? gone[i] : keep[0]);
		ck_assert_int_eq(mkdir_p(path, 0755), 0);
	}
	snprintf(path, sizeof(path), "%s/logs", cache);
	ck_assert_int_eq(mkdir_p(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/logs/new.log", cache);
	ck_assert_int_eq(write_file_atomic(path, "n", 1), 0);
	snprintf(path, sizeof(path), "%s/logs/old.log", cache);
	ck_assert_int_eq(write_file_atomic(path, "o", 1), 0);
	ck_assert_int_eq(utimensat(AT_FDCWD, path, old, 0), 0);
	snprintf(path, sizeof(path), "%s/kernels/stale", cache);
	ck_assert_int_eq(utimensat(AT_FDCWD, path, old, 0), 0);
	ck_assert_int_eq(build_cache_gc(7), 0);
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", cache, keep[i]);
		ck_assert_msg(file_exists(path), "%s was removed", keep[i]);
	}
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", cache, gone[i]);
		ck_assert_msg(!file_exists(path), "%s was kept", gone[i]);
	}
}
END_TEST

/* A src: spec's pin is read once, by kernel_spec_parse; git: and dir:
 * paths may hold '=' and are left whole. */
START_TEST(spec_pins_parsed)
{
	struct kernel_spec ks = kernel_spec_parse("src:deb-6.12=6.12.117-1~deb12u1");
	const char *bad[] = { "src:deb-6.12=6.12;x", "src:deb-6.12=-1", "src:deb-6.12=v6.12", "src:deb-6.12=6.12 1",
			      "src:deb-6.12=6.12.117=1", "src:deb-6.12=1:6.12.117-1",
			      "src:deb-6.12=6.12.11111111111111111111111111111111111111111111111111111111111111111" };

	ck_assert_int_eq(ks.kind, KERNEL_SRC);
	ck_assert_uint_eq(ks.arg_len, 8);
	ck_assert(!strncmp(ks.arg, "deb-6.12", ks.arg_len));
	ck_assert_str_eq(ks.pin, "6.12.117-1~deb12u1");
	ck_assert_ptr_null(ks.error);
	ks = kernel_spec_parse("src:deb-6.12=6.12.117");
	ck_assert_str_eq(ks.pin, "6.12.117");
	ck_assert_ptr_null(ks.error);
	ks = kernel_spec_parse("src:deb-6.12");
	ck_assert_str_eq(ks.pin, "");
	ck_assert_uint_eq(ks.arg_len, 8);
	ck_assert_ptr_null(ks.error);
	ks = kernel_spec_parse("src:deb-6.12=");
	ck_assert_str_eq(ks.error, "empty version after '='");
	ck_assert_str_eq(ks.pin, "");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(kernel_spec_parse(bad[i]).error != NULL, "%s was taken", bad[i]);
	ks = kernel_spec_parse("git:/src/a=b@HEAD");
	ck_assert_int_eq(ks.kind, KERNEL_GIT);
	ck_assert_str_eq(ks.arg, "/src/a=b@HEAD");
	ck_assert_uint_eq(ks.arg_len, strlen(ks.arg));
	ck_assert_str_eq(ks.pin, "");
	ck_assert_ptr_null(ks.error);
	ks = kernel_spec_parse("deb:6.12");
	ck_assert_int_eq(ks.kind, KERNEL_DEB);
	ck_assert_str_eq(ks.arg, "6.12");
}
END_TEST

/* A bad pin or a version nobody knows is a usage error naming the spec
 * (and, for the latter, what versions there are), before anything is
 * fetched or built. */
START_TEST(bad_or_unknown_pin_is_usage_error)
{
	char err[2048], path[300];

	assert_usage_error("src:deb-6.12=", NULL, "--kernel src:deb-6.12=: empty version after '='");
	assert_usage_error("src:deb-6.12=6.12;touch x", NULL, "a version holds only");
	assert_usage_error("src:deb-6.13=6.13.1", NULL, "Debian sources are src:deb-6.12 or src:deb-6.1");
	ck_assert_int_eq(get_kernel("src:deb-6.12=0.0.1-1", NULL, err, sizeof(err)), EXIT_USAGE);
	ck_assert_msg(strstr(err, "--kernel src:deb-6.12=0.0.1-1: apt and this cache know no version 0.0.1-1 of "
			     "linux-source-6.12; they know: ") != NULL, "%s", err);
	ck_assert_int_eq(get_kernel("src:deb-6.12=0.0.1", NULL, err, sizeof(err)), EXIT_USAGE);
	ck_assert_msg(strstr(err, "know no version 0.0.1 of") != NULL, "%s", err);
	snprintf(path, sizeof(path), "%s/debs", getenv("MMREPRO_CACHE"));
	ck_assert(!file_exists(path));
}
END_TEST

/* debs/linux-source-6.12_VERSION/usr/src/linux-source-6.12.tar.xz in cache,
 * as fetch_pinned_tarball leaves it. */
static void fake_fetched(const char *cache, const char *version)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/debs/linux-source-6.12_%s/usr/src", cache, version);
	ck_assert_int_eq(mkdir_p(path, 0755), 0);
	strcat(path, "/linux-source-6.12.tar.xz");
	ck_assert_int_eq(write_file_atomic(path, "xz", 2), 0);
}

/* A pinned version fetched before needs no archive; an upstream pin is
 * its newest Debian revision (dpkg's order: 10 after 2, ~ before all);
 * each version is its own key, and its tree is named by upstream version. */
START_TEST(pinned_versions_planned_from_the_cache)
{
	static struct build_plan exact, upstream, other;
	char cache[128], want[300];

	snprintf(cache, sizeof(cache), "%s", test_temp_dir());
	fake_fetched(cache, "6.12.1-2~bpo1");
	fake_fetched(cache, "6.12.1-10~bpo1");
	fake_fetched(cache, "6.12.1-10~~bpo1");
	fake_fetched(cache, "6.12.2-1");
	plan_spec("src:deb-6.12=6.12.1-10~bpo1", cache, &exact);
	plan_spec("src:deb-6.12=6.12.1", cache, &upstream);
	plan_spec("src:deb-6.12=6.12.1-2~bpo1", cache, &other);
	ck_assert_str_eq(upstream.key, exact.key);
	ck_assert_str_ne(other.key, exact.key);
	snprintf(want, sizeof(want), "%s/src/deb-6.12.1", cache);
	ck_assert_str_eq(exact.tree, want);
	ck_assert_str_eq(other.tree, want);
	ck_assert_str_eq(exact.version, "6.12");
	ck_assert(plan_has_fragment(&exact, "guest-6.12.config"));
	plan_spec("src:deb-6.12=6.12.2", cache, &other);
	snprintf(want, sizeof(want), "%s/src/deb-6.12.2", cache);
	ck_assert_str_eq(other.tree, want);
}
END_TEST

/* Pinning the installed version is the unpinned kernel: one key, one
 * cache entry. */
START_TEST(pin_of_the_installed_version_is_the_same_kernel)
{
	static struct build_plan plain, pinned, upstream;
	char *ver = capture_argv((char *[]){ "dpkg-query", "-W", "-f=${Version}", "linux-source-6.12", NULL }, NULL);
	char spec[200], cache[128];

	if (!ver || !*ver) {
		free(ver);
		return; /* linux-source-6.12 is not installed here */
	}
	snprintf(cache, sizeof(cache), "%s", test_temp_dir());
	plan_spec("src:deb-6.12", cache, &plain);
	snprintf(spec, sizeof(spec), "src:deb-6.12=%s", ver);
	plan_spec(spec, cache, &pinned);
	ck_assert_str_eq(pinned.key, plain.key);
	snprintf(spec, sizeof(spec), "src:deb-6.12=%.*s", (int)strcspn(ver, "-"), ver);
	plan_spec(spec, cache, &upstream);
	ck_assert_str_eq(upstream.tree, plain.tree);
	free(ver);
}
END_TEST

/* '@' in REV (a reflog entry) and in the tree path: the split is at the
 * first '@' whose left side is a directory. */
START_TEST(git_spec_split_at_the_tree)
{
	static struct build_plan by_sha, by_reflog, at_dir;
	char parent[128], repo[200], cache[128], sha1[41], sha2[41], spec[400];

	snprintf(parent, sizeof(parent), "%s", test_temp_dir());
	snprintf(cache, sizeof(cache), "%s", test_temp_dir());
	snprintf(repo, sizeof(repo), "%s/li@nux", parent);
	ck_assert_int_eq(mkdir_p(repo, 0755), 0);
	commit_makefile(repo, 6, 12, sha1);
	commit_makefile(repo, 6, 1, sha2);
	snprintf(spec, sizeof(spec), "git:%s@%s", repo, sha1);
	plan_spec(spec, cache, &by_sha);
	snprintf(spec, sizeof(spec), "git:%s@HEAD@{1}", repo);
	plan_spec(spec, cache, &by_reflog);
	ck_assert_str_eq(by_reflog.key, by_sha.key);
	ck_assert_str_eq(by_reflog.version, "6.12");
	snprintf(spec, sizeof(spec), "git:%s@HEAD", repo);
	plan_spec(spec, cache, &at_dir);
	ck_assert_str_eq(at_dir.version, "6.1");
	snprintf(spec, sizeof(spec), "git:%s/nonexistent@x@HEAD@{1}", parent);
	assert_usage_error(spec, NULL, "/nonexistent is not a directory");
}
END_TEST

/* A cache that cannot be written names the lock file and the errno. */
START_TEST(unwritable_cache_names_the_lock_and_errno)
{
	char repo[128], spec[300], cache[300], sha[41], err[1024];
	struct kernel k;

	snprintf(repo, sizeof(repo), "%s", test_temp_dir());
	commit_makefile(repo, 6, 12, sha);
	snprintf(cache, sizeof(cache), "%s/cache", test_temp_file("a file, not a dir\n", ".txt"));
	setenv("MMREPRO_CACHE", cache, 1);
	snprintf(spec, sizeof(spec), "git:%s@%s", repo, sha);
	ck_assert_int_eq(kernel_get(spec, NULL, NULL, NULL, ARCH_X86_64, -1, false, &k, err, sizeof(err)), EXIT_UNTESTABLE);
	ck_assert_msg(strstr(err, "cannot lock the build dir of git-") && strstr(err, "/cache/locks/git-") &&
		      strstr(err, ".lock: Not a directory"), "%s", err);
}
END_TEST

static void write_bytes(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* A kernel dir as an older mmrepro left it: whole images (a bzImage whose
 * header says 1024 bytes, an ELF with one note segment) and a meta.json
 * without digests. */
static void fake_kernel_files(const char *dir)
{
	unsigned char img[0x400] = { 0 };
	const struct fake_note pvh = { "Xen", 18, 4 };
	char path[600], *elf;
	size_t elf_len;

	ck_assert_int_eq(mkdir_p(dir, 0755), 0);
	memcpy(img + 0x202, "HdrS", 4);
	img[0x1f1] = 1;
	img[0x20f] = 0x01;
	memcpy(img + 0x300, "6.12.0-fake", 11);
	snprintf(path, sizeof(path), "%s/bzImage", dir);
	write_bytes(path, img, sizeof(img));
	elf = read_file(fake_elf(&pvh, 1, 0), &elf_len);
	snprintf(path, sizeof(path), "%s/vmlinux", dir);
	write_bytes(path, elf, elf_len);
	free(elf);
	snprintf(path, sizeof(path), "%s/config", dir);
	write_bytes(path, "CONFIG_X=y\n", 11);
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	write_bytes(path, "{ \"base\": \"git-fake\", \"key\": \"k\" }\n", 35);
}

/* kernels/<key> of a git: spec in a temp cache, as an older mmrepro left it. */
static void fake_cached_kernel(struct build_plan *plan, char *spec, size_t speclen, char *dir, size_t dirlen)
{
	char repo[128], cache[128], sha[41];

	snprintf(repo, sizeof(repo), "%s", test_temp_dir());
	snprintf(cache, sizeof(cache), "%s", test_temp_dir());
	commit_makefile(repo, 6, 12, sha);
	snprintf(spec, speclen, "git:%s@%s", repo, sha);
	plan_spec(spec, cache, plan);
	snprintf(dir, dirlen, "%s/kernels/%s", cache, plan->key);
	fake_kernel_files(dir);
}

static int lookup(const char *spec, char *err, size_t errlen)
{
	struct kernel k;

	err[0] = '\0';
	return kernel_get(spec, NULL, NULL, NULL, ARCH_X86_64, -1, false, &k, err, errlen);
}

static void corrupt_byte(const char *path, long at)
{
	FILE *f = fopen(path, "r+b");
	int c;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, at, SEEK_SET), 0);
	c = fgetc(f);
	ck_assert_int_eq(fseek(f, at, SEEK_SET), 0);
	fputc(c ^ 0x20, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* An older kernel's digests are recorded at its first use; from then on a
 * changed byte, a truncated vmlinux or a missing bzImage is refused (125)
 * naming the file, with no object dir to rebuild it from. */
START_TEST(cached_kernel_checked_against_its_digests)
{
	static struct build_plan plan;
	char spec[300], dir[300], path[400], err[2048], *meta;
	struct kernel k;

	fake_cached_kernel(&plan, spec, sizeof(spec), dir, sizeof(dir));
	ck_assert_msg(kernel_get(spec, NULL, NULL, NULL, ARCH_X86_64, -1, false, &k, err, sizeof(err)) == 0, "%s", err);
	snprintf(path, sizeof(path), "%s/bzImage", dir);
	ck_assert_str_eq(k.image, path);
	ck_assert_str_eq(k.release, "6.12.0-fake");
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	meta = read_file(path, NULL);
	ck_assert_msg(strstr(meta, "\"vmlinux\": \"") && strstr(meta, "\"sha256_recorded_at\""), "%s", meta);
	free(meta);
	snprintf(path, sizeof(path), "%s/vmlinux", dir);
	corrupt_byte(path, 100);
	ck_assert_int_eq(lookup(spec, err, sizeof(err)), EXIT_UNTESTABLE);
	ck_assert_msg(strstr(err, "/vmlinux: changed on disk since it was built") && strstr(err, "remove "), "%s", err);
	corrupt_byte(path, 100);
	ck_assert_msg(lookup(spec, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(truncate(path, 100), 0);
	ck_assert_int_eq(lookup(spec, err, sizeof(err)), EXIT_UNTESTABLE);
	ck_assert_msg(strstr(err, "/vmlinux: changed on disk"), "%s", err);
	snprintf(path, sizeof(path), "%s/bzImage", dir);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(lookup(spec, err, sizeof(err)), EXIT_UNTESTABLE);
	ck_assert_msg(strstr(err, "/bzImage: No such file or directory"), "%s", err);
}
END_TEST

/* Without digests to go by, a truncated image, a missing one or a link is
 * still refused: the images must be whole by their own headers. */
START_TEST(undigested_kernel_must_be_whole)
{
	static struct build_plan plan;
	char spec[300], dir[300], path[400], err[2048];

	fake_cached_kernel(&plan, spec, sizeof(spec), dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/vmlinux", dir);
	ck_assert_int_eq(truncate(path, 100), 0);
	ck_assert_int_eq(lookup(spec, err, sizeof(err)), EXIT_UNTESTABLE);
	ck_assert_msg(strstr(err, "/vmlinux: truncated, or no kernel vmlinux"), "%s", err);
	fake_cached_kernel(&plan, spec, sizeof(spec), dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/bzImage", dir);
	ck_assert_int_eq(truncate(path, 1000), 0);
	ck_assert_int_eq(lookup(spec, err, sizeof(err)), EXIT_UNTESTABLE);
	ck_assert_msg(strstr(err, "/bzImage: truncated"), "%s", err);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(symlink("/etc/hostname", path), 0);
	ck_assert_int_eq(lookup(spec, err, sizeof(err)), EXIT_UNTESTABLE);
	ck_assert_msg(strstr(err, "/bzImage: not a regular file"), "%s", err);
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	write_bytes(path, "{ \"sha256\": 1 }", 15);
	ck_assert_int_eq(lookup(spec, err, sizeof(err)), EXIT_UNTESTABLE);
	ck_assert_msg(strstr(err, "/meta.json: \"sha256\" is not an object"), "%s", err);
	ck_assert(!kernel_bzimage_is_whole(path));
	ck_assert(!kernel_elf_is_whole(path));
}
END_TEST

/* With the base's object dir at hand a damaged kernel is rebuilt: the
 * damaged dir goes and the build starts (here its fake tree cannot make
 * tinyconfig). */
START_TEST(damaged_kernel_rebuilt_where_its_object_dir_is)
{
	static struct build_plan plan;
	char spec[300], dir[300], path[400], err[2048];

	fake_cached_kernel(&plan, spec, sizeof(spec), dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/config", dir);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkdir_p(plan.obj, 0755), 0);
	ck_assert_int_eq(lookup(spec, err, sizeof(err)), EXIT_UNTESTABLE);
	ck_assert_msg(strstr(err, "make tinyconfig failed in "), "%s", err);
	ck_assert(!file_exists(dir));
}
END_TEST

/* A pinned kernel carries the exact version it resolved to in its spec
 * (what result.json records as "kernel") and in source_version. */
START_TEST(pinned_kernel_records_its_exact_version)
{
	static struct build_plan plan;
	char cache[128], dir[300], err[2048];
	struct kernel k;

	snprintf(cache, sizeof(cache), "%s", test_temp_dir());
	fake_fetched(cache, "6.12.1-3");
	plan_spec("src:deb-6.12=6.12.1", cache, &plan);
	snprintf(dir, sizeof(dir), "%s/kernels/%s", cache, plan.key);
	fake_kernel_files(dir);
	ck_assert_msg(kernel_get("src:deb-6.12=6.12.1", NULL, NULL, NULL, ARCH_X86_64, -1, false, &k, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(k.spec, "src:deb-6.12=6.12.1-3");
	ck_assert_str_eq(k.source_version, "6.12.1-3");
	ck_assert_str_eq(k.kind, "src");
}
END_TEST

static void make_kernel_dir(const char *cache, const char *name, const char *meta, time_t stamp, time_t dir_time)
{
	char path[400];
	struct timespec t[2] = { { .tv_sec = stamp }, { .tv_sec = stamp } }, d[2] = { { .tv_sec = dir_time },
										 { .tv_sec = dir_time } };

	snprintf(path, sizeof(path), "%s/kernels/%s", cache, name);
	ck_assert_int_eq(mkdir_p(path, 0755), 0);
	if (meta) {
		snprintf(path, sizeof(path), "%s/kernels/%s/meta.json", cache, name);
		ck_assert_int_eq(write_file_atomic(path, meta, strlen(meta)), 0);
		ck_assert_int_eq(utimensat(AT_FDCWD, path, d, 0), 0);
	}
	if (stamp) {
		snprintf(path, sizeof(path), "%s/kernels/%s/last-used", cache, name);
		ck_assert_int_eq(write_file_atomic(path, "", 0), 0);
		ck_assert_int_eq(utimensat(AT_FDCWD, path, t, 0), 0);
	}
	snprintf(path, sizeof(path), "%s/kernels/%s", cache, name);
	ck_assert_int_eq(utimensat(AT_FDCWD, path, d, 0), 0);
}

static bool kernel_dir_exists(const char *cache, const char *name)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/kernels/%s", cache, name);
	return file_exists(path);
}

/* Age is the last-used stamp, not the dir's times: a kernel built long ago
 * and used today stays, one stamped long ago goes even if its dir was
 * touched; a dir from before stamps goes by its own and meta.json's times. */
START_TEST(cache_gc_judges_age_by_last_use)
{
	char cache[128];
	time_t now = time(NULL), old = now - 30 * 86400;

	snprintf(cache, sizeof(cache), "%s", test_temp_dir());
	setenv("MMREPRO_CACHE", cache, 1);
	make_kernel_dir(cache, "used-today", "{}", now, old);
	make_kernel_dir(cache, "used-long-ago", "{}", old, now);
	make_kernel_dir(cache, "unstamped-old", "{}", 0, old);
	make_kernel_dir(cache, "unstamped-new", "{}", 0, now);
	ck_assert_int_eq(build_cache_gc(7), 0);
	ck_assert(kernel_dir_exists(cache, "used-today"));
	ck_assert(!kernel_dir_exists(cache, "used-long-ago"));
	ck_assert(!kernel_dir_exists(cache, "unstamped-old"));
	ck_assert(kernel_dir_exists(cache, "unstamped-new"));
}
END_TEST

/* A build of the kernel's base holds its lock: the kernel stays until the
 * lock is free. A *.tmp-<pid> dir stays while its process lives. */
START_TEST(cache_gc_skips_locked_bases_and_live_builds)
{
	char cache[128], path[300], live[64], dead[64];
	time_t old = time(NULL) - 30 * 86400;
	pid_t child = fork();
	int fd;

	if (child == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(child, NULL, 0), child);
	snprintf(cache, sizeof(cache), "%s", test_temp_dir());
	setenv("MMREPRO_CACHE", cache, 1);
	make_kernel_dir(cache, "locked", "{ \"base\": \"deb-6.12.1\" }", old, old);
	snprintf(live, sizeof(live), "abc.tmp-%d", (int)getpid());
	snprintf(dead, sizeof(dead), "abc.tmp-%d", (int)child);
	make_kernel_dir(cache, live, NULL, 0, old);
	make_kernel_dir(cache, dead, NULL, 0, time(NULL));
	make_kernel_dir(cache, "abc.tmp-x", NULL, 0, time(NULL));
	snprintf(path, sizeof(path), "%s/locks", cache);
	ck_assert_int_eq(mkdir_p(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/locks/deb-6.12.1.lock", cache);
	ck_assert_int_ge(fd = open(path, O_RDWR | O_CREAT, 0644), 0);
	ck_assert_int_eq(flock(fd, LOCK_EX), 0);
	ck_assert_int_eq(build_cache_gc(7), 0);
	ck_assert(kernel_dir_exists(cache, "locked"));
	ck_assert(kernel_dir_exists(cache, live));
	ck_assert(!kernel_dir_exists(cache, dead));
	ck_assert(!kernel_dir_exists(cache, "abc.tmp-x"));
	close(fd);
	ck_assert_int_eq(build_cache_gc(7), 0);
	ck_assert(!kernel_dir_exists(cache, "locked"));
	ck_assert(kernel_dir_exists(cache, live));
}
END_TEST

Suite *build_suite(void)
{
	Suite *s = suite_create("build");
	TCase *t = tcase_create("config-and-key");

	tcase_add_test(t, fragment_lines_checked_against_config);
	tcase_add_test(t, cache_key_hashes_contents_in_order);
	tcase_add_test(t, makefile_version_parsed);
	tcase_add_test(t, arm64_image_release_and_wholeness);
	tcase_add_test(t, git_spec_key_same_before_and_after_worktree);
	tcase_add_test(t, git_spec_version_read_at_its_commit_not_worktree);
	tcase_add_test(t, dir_and_src_specs_planned_with_their_version);
	suite_add_tcase(s, t);
	t = tcase_create("no-shell");
	tcase_add_test(t, capture_argv_returns_trimmed_stdout_without_a_shell);
	tcase_add_test(t, capture_argv_fails_on_error_exit_and_too_much_output);
	tcase_add_test(t, run_cmd_split_logs_stdout_and_keeps_stderr_apart);
	tcase_add_test(t, remove_tree_removes_without_following_links);
	tcase_add_test(t, hostile_git_spec_is_usage_error_and_runs_nothing);
	tcase_add_test(t, cache_gc_removes_incomplete_and_stale_only);
	suite_add_tcase(s, t);
	t = tcase_create("input-checks");
	tcase_add_test(t, git_spec_checked_up_front);
	tcase_add_test(t, dir_spec_checked_up_front);
	tcase_add_test(t, image_spec_checked_up_front);
	tcase_add_test(t, pvh_entry_found_only_in_a_well_formed_xen_note);
	tcase_add_test(t, boot_image_is_vmlinux_only_with_a_pvh_entry);
	tcase_add_test(t, bad_series_is_usage_error_before_any_tree);
	tcase_add_test(t, source_without_version_is_usage_error);
	tcase_add_test(t, flavor_adds_its_fragment_and_key);
	tcase_add_test(t, obj_dir_per_flavor_and_extra_fragments);
	tcase_add_test(t, base_config_goes_first_with_its_own_obj_dir);
	tcase_add_test(t, spec_pins_parsed);
	tcase_add_test(t, bad_or_unknown_pin_is_usage_error);
	tcase_add_test(t, git_spec_split_at_the_tree);
	tcase_add_test(t, unwritable_cache_names_the_lock_and_errno);
	/* apt-cache madison reads the archive's lists: about a second each. */
	tcase_set_timeout(t, 60);
	suite_add_tcase(s, t);
	t = tcase_create("cache");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, pinned_versions_planned_from_the_cache);
	tcase_add_test(t, pin_of_the_installed_version_is_the_same_kernel);
	tcase_add_test(t, pinned_kernel_records_its_exact_version);
	tcase_add_test(t, cached_kernel_checked_against_its_digests);
	tcase_add_test(t, undigested_kernel_must_be_whole);
	tcase_add_test(t, damaged_kernel_rebuilt_where_its_object_dir_is);
	tcase_add_test(t, cache_gc_judges_age_by_last_use);
	tcase_add_test(t, cache_gc_skips_locked_bases_and_live_builds);
	suite_add_tcase(s, t);
	return s;
}
