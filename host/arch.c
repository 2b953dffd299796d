/* The table of guest architectures (arch.h). */
#include "arch.h"

#include <stddef.h>
#include <string.h>

static const struct arch_info arches[] = {
	[ARCH_X86_64] = {
		.name = "x86_64", .uname = "x86_64", .karch = "x86", .cross = "", .gcc = "gcc", .image_target = "bzImage",
		.image_path = "arch/x86/boot/bzImage", .image_name = "bzImage",
		.qemu = "qemu-system-x86_64", .machine = "pc", .cpu_tcg = "max", .console = "ttyS0",
		.result_port = "/dev/ttyS1", .guest_dir = "guest", .config = NULL, .host_root = true,
	},
	/* pauth-impdef: TCG's QARMA pointer authentication is most of an
	 * arm64 guest's CPU time; the implementation-defined one is cheap.
	 * GICv3 for more than 8 vCPUs and for the gic-version the kernels
	 * expect. The host root is x86 code, so the guest lives in its
	 * initramfs, and virt has one UART: results go over virtio-console. */
	[ARCH_ARM64] = {
		.name = "arm64", .uname = "aarch64", .karch = "arm64", .cross = "aarch64-linux-gnu-", .gcc = "aarch64-linux-gnu-gcc",
		.image_target = "Image",
		.image_path = "arch/arm64/boot/Image", .image_name = "Image",
		.qemu = "qemu-system-aarch64", .machine = "virt,gic-version=3", .cpu_tcg = "max,pauth-impdef=on",
		.console = "ttyAMA0", .result_port = "/dev/hvc0", .guest_dir = "guest-arm64",
		.config = "arch-arm64.config", .host_root = false,
	},
};

const struct arch_info *arch_info(enum arch a)
{
	return &arches[a == ARCH_ARM64 ? ARCH_ARM64 : ARCH_X86_64];
}

int arch_parse(const char *name, enum arch *out)
{
	for (size_t i = 0; name && i < sizeof(arches) / sizeof(arches[0]); i++)
		if (!strcmp(name, arches[i].name)) {
			*out = (enum arch)i;
			return 0;
		}
	return -1;
}

const char *arch_names(void)
{
	return "x86_64 or arm64";
}
