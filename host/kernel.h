/* Kernel specs: what to boot, where its modules and .config live. */
#ifndef MMREPRO_KERNEL_H
#define MMREPRO_KERNEL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

struct build_request;

struct kernel {
	char spec[256];
	char kind[8];               /* deb, image, src, git, dir */
	char bzimage[PATH_MAX];
	char boot_image[PATH_MAX];  /* what QEMU's -kernel boots: vmlinux through
				     * its PVH entry where it has one, else bzimage */
	char modules_dir[PATH_MAX]; /* /lib/modules/<release>, "" if none */
	char config[PATH_MAX];      /* the kernel's .config, "" if unknown */
	char vmlinux[PATH_MAX];     /* for decoding traces, "" if none */
	char release[128];          /* uname -r, from the bzImage header */
	char series[PATH_MAX];      /* applied series, "" for none */
	char build_key[80];         /* cache key of a built kernel */
	char flavor[16];            /* "normal", or the flavour it was built in */
};

/* What a spec names, read from its prefix in one place; arg is what
 * follows the prefix (deb:6.12 -> "6.12"). */
enum kernel_kind { KERNEL_DEB, KERNEL_IMAGE, KERNEL_SRC, KERNEL_GIT, KERNEL_DIR, KERNEL_UNKNOWN };
struct kernel_spec {
	enum kernel_kind kind;
	const char *arg;            /* points into the spec */
};
struct kernel_spec kernel_spec_parse(const char *spec);
/* True for specs that need a build (src:, git:, dir:). */
bool kernel_spec_needs_build(const char *spec);
/* Resolves a prebuilt spec (deb:6.12, deb:6.1, image:PATH[,modules=DIR][,config=FILE][,vmlinux=FILE]).
 * Returns 0, or an exit code (EXIT_USAGE for a bad spec, including an image:
 * path that is missing or no bzImage; EXIT_UNTESTABLE for a Debian kernel
 * that is not installed) with a message naming the spec in err. */
int kernel_resolve_prebuilt(const char *spec, struct kernel *k, char *err, size_t errlen);
/* Reads the version string from a bzImage's setup header. */
int kernel_image_release(const char *bzimage, char *out, size_t len);
/* Whether an ELF kernel has a PVH entry point: the "Xen" note
 * XEN_ELFNOTE_PHYS32_ENTRY that QEMU's -kernel boots an ELF through. False
 * for anything else, a bzImage or an unreadable or malformed file included. */
bool kernel_has_pvh_entry(const char *elf_path);
/* Sets k->boot_image: k->vmlinux where it has a PVH entry (no firmware
 * decompressing a bzImage under emulation), else k->bzimage. A KASAN
 * kernel before 6.12 boots its bzImage: 6.1's PVH entry faults with it. */
void kernel_choose_boot_image(struct kernel *k);
/* Looks up CONFIG_NAME in the kernel's .config: 'y', 'm' or 0. */
char kernel_config_value(const struct kernel *k, const char *name);

#endif
