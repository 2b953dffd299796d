#include "build.h"
#include "suites.h"
#include "util.h"

#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	return kernel_get(spec, series, NULL, NULL, -1, false, &k, err, errlen);
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
	snprintf(spec, sizeof(spec), "image:%s,config=%s", image, image);
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

	snprintf(k.bzimage, sizeof(k.bzimage), "%s", fake_bzimage());
	kernel_choose_boot_image(&k);
	ck_assert_str_eq(k.boot_image, k.bzimage);
	snprintf(k.vmlinux, sizeof(k.vmlinux), "%s", fake_elf(&gnu, 1, 0));
	kernel_choose_boot_image(&k);
	ck_assert_str_eq(k.boot_image, k.bzimage);
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
		ck_assert_str_eq(k.boot_image, kasan[i].pvh ? k.vmlinux : k.bzimage);
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
	ck_assert_int_eq(kernel_get("deb:6.12", test_temp_dir(), NULL, NULL, -1, false, &k, err, sizeof(err)), EXIT_USAGE);
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
	ck_assert_int_eq(kernel_get("deb:6.12", NULL, NULL, "debug", -1, false, &k, err, sizeof(err)), EXIT_USAGE);
	ck_assert_str_eq(err, "--flavor debug needs a source kernel (src:, git:, dir:), not deb:6.12");
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
	const char *keep[] = { "kernels/fresh", "logs/new.log" }, *gone[] = { "kernels/abc.tmp-12", "kernels/stale",
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

Suite *build_suite(void)
{
	Suite *s = suite_create("build");
	TCase *t = tcase_create("config-and-key");

	tcase_add_test(t, fragment_lines_checked_against_config);
	tcase_add_test(t, cache_key_hashes_contents_in_order);
	tcase_add_test(t, makefile_version_parsed);
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
	suite_add_tcase(s, t);
	return s;
}
