/* Kernel specs: what to boot, where its modules and .config live. */
#ifndef MMREPRO_KERNEL_H
#define MMREPRO_KERNEL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "arch.h"

struct build_request;

struct kernel {
	char spec[256];
	char kind[8];               /* deb, image, src, git, dir */
	enum arch arch;             /* what it runs on: prebuilt ones are x86_64 */
	char image[PATH_MAX];       /* the boot image: a bzImage, or an arm64 Image */
	char boot_image[PATH_MAX];  /* what QEMU's -kernel boots: vmlinux through
				     * its PVH entry where it has one, else image */
	char modules_dir[PATH_MAX]; /* /lib/modules/<release>, "" if none */
	char config[PATH_MAX];      /* the kernel's .config, "" if unknown */
	char vmlinux[PATH_MAX];     /* for decoding traces, "" if none */
	char release[128];          /* uname -r, from the bzImage header */
	char series[PATH_MAX];      /* applied series, "" for none */
	char build_key[80];         /* cache key of a built kernel */
	char flavor[16];            /* "normal", or the flavour it was built in */
	char source_version[64];    /* what a built kernel was built from: the Debian
				     * package version (6.12.117-1~deb12u1) or the
				     * commit; "" for dir: and prebuilt kernels */
};

/* What a spec names, read from its prefix in one place; arg is what
 * follows the prefix (deb:6.12 -> "6.12"). A src: spec may end in a pin,
 * "=VERSION": a Debian package version (src:deb-6.12=6.12.117-1~deb12u1)
 * or an upstream one (src:deb-6.12=6.12.117, its newest Debian revision). */
enum kernel_kind { KERNEL_DEB, KERNEL_IMAGE, KERNEL_SRC, KERNEL_GIT, KERNEL_DIR, KERNEL_UNKNOWN };
#define KERNEL_PIN_MAX 64
struct kernel_spec {
	enum kernel_kind kind;
	const char *arg;            /* points into the spec, a pin included */
	size_t arg_len;             /* arg's length without the pin: 8 for deb-6.12=6.12.117 */
	char pin[KERNEL_PIN_MAX];   /* the pinned version, "" when none */
	const char *error;          /* why the spec is malformed (an empty or bad
				     * version), or NULL */
};
struct kernel_spec kernel_spec_parse(const char *spec);
/* In "TREE@REV" (a git: spec's argument), the '@' that ends TREE: the
 * first whose left side is a directory, else the first; NULL if none. */
char *kernel_git_split(char *spec);
/* True for specs that need a build (src:, git:, dir:). */
bool kernel_spec_needs_build(const char *spec);
/* Resolves a prebuilt spec (deb:6.12, deb:6.1, image:PATH[,modules=DIR][,config=FILE][,vmlinux=FILE]).
 * Returns 0, or an exit code (EXIT_USAGE for a bad spec, including an image:
 * path that is missing or no bzImage; EXIT_UNTESTABLE for a Debian kernel
 * that is not installed) with a message naming the spec in err. */
int kernel_resolve_prebuilt(const char *spec, struct kernel *k, char *err, size_t errlen);
/* Reads the release from a bzImage's setup header, or from an arm64
 * Image's banner. */
int kernel_image_release(const char *bzimage, char *out, size_t len);
/* Whether an ELF kernel has a PVH entry point: the "Xen" note
 * XEN_ELFNOTE_PHYS32_ENTRY that QEMU's -kernel boots an ELF through. False
 * for anything else, a bzImage or an unreadable or malformed file included. */
bool kernel_has_pvh_entry(const char *elf_path);
/* Sets k->boot_image: k->vmlinux where it has a PVH entry (no firmware
 * decompressing a bzImage under emulation), else k->image. A KASAN
 * kernel before 6.12 boots its bzImage: 6.1's PVH entry faults with it. */
void kernel_choose_boot_image(struct kernel *k);
/* Whether a kernel file is all there, judged from its own headers: a
 * bzImage as long as its setup header's setup_sects and syssize say, an
 * ELF vmlinux holding its program and section header tables and every
 * segment. They catch a truncated file, not a changed byte. */
bool kernel_bzimage_is_whole(const char *path);
bool kernel_elf_is_whole(const char *path);
/* An arm64 Image holds no size of its own: whole when its header's magic
 * and its banner are there (a cut copy loses the banner from about 40%
 * in); the cache's digests catch the rest. */
bool kernel_arm64_image_is_whole(const char *path);
/* Whether path starts with an arm64 Image header. */
bool kernel_image_is_arm64(const char *path);
/* Looks up CONFIG_NAME in the kernel's .config: 'y', 'm' or 0. */
char kernel_config_value(const struct kernel *k, const char *name);

#endif
