/* Guest architectures: what differs between an x86_64 and an arm64 guest,
 * from the kernel build to QEMU's command line, in one table. */
#ifndef MMREPRO_ARCH_H
#define MMREPRO_ARCH_H

#include <stdbool.h>

enum arch { ARCH_X86_64, ARCH_ARM64 };

struct arch_info {
	const char *name;          /* "x86_64", "arm64": the --arch and arch = word */
	const char *uname;         /* its uname -m (libvirt's arch name) */
	const char *karch;         /* the kernel's ARCH= (its arch/ dir) */
	const char *cross;         /* CROSS_COMPILE= ("" for the host's own) */
	const char *gcc;           /* its C compiler: the kernel's and the guest's */
	const char *image_target;  /* make target of the boot image */
	const char *image_path;    /* where make leaves it, in the object dir */
	const char *image_name;    /* its name in the kernel cache */
	const char *qemu;          /* QEMU system binary */
	const char *machine;       /* the default -machine */
	const char *cpu_tcg;       /* -cpu under TCG (what TCG runs fastest) */
	const char *console;       /* the guest's console device */
	const char *result_port;   /* the result channel's device in the guest */
	const char *guest_dir;     /* the suite's guest binaries, under build/ */
	const char *config;        /* a fragment of its own under config/, or NULL */
	bool host_root;            /* the guest can run the host's root over 9p */
};

const struct arch_info *arch_info(enum arch a);
/* 0 and *out for "x86_64" or "arm64"; -1 for anything else. */
int arch_parse(const char *name, enum arch *out);
/* "x86_64 or arm64", for messages. */
const char *arch_names(void);

#endif
