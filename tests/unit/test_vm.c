#include "case.h"
#include "suites.h"
#include "vm.h"

#include <string.h>

static const char *find_after(char **argv, const char *flag, int nth)
{
	for (int i = 0; argv[i]; i++)
		if (!strcmp(argv[i], flag) && nth-- == 0)
			return argv[i + 1];
	return NULL;
}

static int count(char **argv, const char *s)
{
	int n = 0;

	for (int i = 0; argv[i]; i++)
		n += !strcmp(argv[i], s);
	return n;
}

START_TEST(numa_guest_has_one_socket_and_backend_per_node)
{
	unsigned numa[] = { 1024, 1024 };
	struct vm_config c = { .qemu = "qemu-system-x86_64", .mem_mb = 2048, .cpus = 2, .numa_mb = numa,
			       .nnuma = 2, .machine = "pc", .kernel = "/k", .initrd = "/i",
			       .cmdline = "console=ttyS0", .root_share = "/" };
	char *argv[VM_MAX_ARGS], arena[8192];

	ck_assert_int_gt(vm_build_argv(&c, argv, arena, sizeof(arena)), 10);
	ck_assert_str_eq(argv[0], "qemu-system-x86_64");
	ck_assert_str_eq(find_after(argv, "-accel", 0), "tcg,thread=multi");
	ck_assert_str_eq(find_after(argv, "-smp", 0), "2,sockets=2");
	ck_assert_str_eq(find_after(argv, "-m", 0), "2048");
	ck_assert_str_eq(find_after(argv, "-object", 0), "memory-backend-ram,id=mem0,size=1024M");
	ck_assert_str_eq(find_after(argv, "-numa", 1), "node,nodeid=1,cpus=1,memdev=mem1");
	ck_assert_int_eq(count(argv, "-nodefaults"), 1);
	ck_assert_int_eq(count(argv, "-no-reboot"), 1);
	ck_assert_str_eq(find_after(argv, "-append", 0), "console=ttyS0");
}
END_TEST

START_TEST(no_writable_share_and_a_result_channel)
{
	struct vm_config c = { .qemu = "q", .mem_mb = 512, .cpus = 1, .machine = "pc", .kernel = "/k",
			       .initrd = "/i", .cmdline = "", .root_share = "/" };
	char *argv[VM_MAX_ARGS], arena[8192];

	ck_assert_int_gt(vm_build_argv(&c, argv, arena, sizeof(arena)), 0);
	ck_assert_int_eq(count(argv, "-fsdev"), 1);
	ck_assert_ptr_nonnull(strstr(find_after(argv, "-fsdev", 0), "readonly=on"));
	ck_assert_ptr_nonnull(strstr(find_after(argv, "-fsdev", 0), "path=/,"));
	ck_assert_str_eq(find_after(argv, "-serial", 0), "stdio");
	ck_assert_str_eq(find_after(argv, "-serial", 1), "chardev:mmresults");
	ck_assert_str_eq(find_after(argv, "-chardev", 0), "file,id=mmresults,path=/dev/fd/3");
	ck_assert_int_eq(count(argv, "-runas"), 0);
}
END_TEST

START_TEST(commas_in_paths_are_doubled_and_runas_is_passed)
{
	struct vm_config c = { .qemu = "q", .mem_mb = 512, .cpus = 1, .machine = "pc", .kernel = "/k,1",
			       .initrd = "/i", .cmdline = "", .root_share = "/a,b,,c", .runas = "mmrepro-qemu" };
	char *argv[VM_MAX_ARGS], arena[8192], out[16];

	ck_assert_int_gt(vm_build_argv(&c, argv, arena, sizeof(arena)), 0);
	ck_assert_ptr_nonnull(strstr(find_after(argv, "-fsdev", 0), "path=/a,,b,,,,c,security_model"));
	/* -kernel takes a plain value, not an option list. */
	ck_assert_str_eq(find_after(argv, "-kernel", 0), "/k,1");
	ck_assert_str_eq(find_after(argv, "-runas", 0), "mmrepro-qemu");
	ck_assert_int_eq(vm_qemu_opt_escape(",,,,,,,,", out, sizeof(out)), -1);
	ck_assert_int_eq(vm_qemu_opt_escape("a,b", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "a,,b");
}
END_TEST

START_TEST(kvm_and_iommu_and_devices)
{
	const char *devs[] = { "edu" };
	struct vm_config c = { .qemu = "q", .kvm = true, .mem_mb = 4096, .cpus = 2, .machine = "q35",
			       .iommu = true, .devices = devs, .ndevices = 1, .kernel = "/k", .initrd = "/i",
			       .cmdline = "", .root_share = "/" };
	char *argv[VM_MAX_ARGS], arena[8192];

	ck_assert_int_gt(vm_build_argv(&c, argv, arena, sizeof(arena)), 0);
	ck_assert_str_eq(find_after(argv, "-accel", 0), "kvm");
	ck_assert_str_eq(find_after(argv, "-machine", 0), "q35,kernel-irqchip=split");
	ck_assert_str_eq(find_after(argv, "-device", 0), "intel-iommu,caching-mode=on");
	ck_assert_str_eq(find_after(argv, "-device", 1), "edu");
}
END_TEST

/* The scratch disk is an option list value: its path's commas doubled. */
START_TEST(scratch_disk_is_a_virtio_drive)
{
	struct vm_config c = { .qemu = "q", .mem_mb = 512, .cpus = 1, .machine = "pc", .kernel = "/k",
			       .initrd = "/i", .cmdline = "", .root_share = "/", .disk_mb = 64,
			       .disk = "/r/run,1/disk.img" };
	char *argv[VM_MAX_ARGS], arena[8192];

	ck_assert_int_gt(vm_build_argv(&c, argv, arena, sizeof(arena)), 0);
	ck_assert_str_eq(find_after(argv, "-drive", 0), "file=/r/run,,1/disk.img,format=raw,if=none,id=scratch,cache=unsafe");
	ck_assert_str_eq(find_after(argv, "-device", 1), "virtio-blk-pci,drive=scratch");
	c.disk_mb = 0;
	ck_assert_int_gt(vm_build_argv(&c, argv, arena, sizeof(arena)), 0);
	ck_assert_int_eq(count(argv, "-drive"), 0);
	/* A size without a file is a caller's bug, not a disk-less VM. */
	c.disk_mb = 64;
	c.disk = NULL;
	ck_assert_int_eq(vm_build_argv(&c, argv, arena, sizeof(arena)), -1);
}
END_TEST

START_TEST(small_arena_is_refused)
{
	struct vm_config c = { .qemu = "q", .mem_mb = 512, .cpus = 1, .machine = "pc", .kernel = "/k",
			       .initrd = "/i", .cmdline = "", .root_share = "/" };
	char *argv[VM_MAX_ARGS], arena[64];

	ck_assert_int_eq(vm_build_argv(&c, argv, arena, sizeof(arena)), -1);
}
END_TEST

START_TEST(cmdline_panics_on_oops_and_keeps_case_extras)
{
	struct case_def c;
	char out[1024];

	memset(&c, 0, sizeof(c));
	strcpy(c.cmdline, "cma=448M");
	vm_kernel_cmdline(&c, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, "console=ttyS0"));
	ck_assert_ptr_nonnull(strstr(out, "oops=panic"));
	ck_assert_ptr_nonnull(strstr(out, "panic=-1"));
	ck_assert_ptr_nonnull(strstr(out, " cma=448M"));
}
END_TEST

/* An arm64 guest: virt with GICv3, TCG's cheap pointer authentication,
 * PL011 console, results on a virtio console, no host root. */
START_TEST(arm64_guest_is_virt_with_a_virtio_console_and_no_root_share)
{
	unsigned numa[] = { 512, 512 };
	struct case_def cd;
	struct vm_config c = { .qemu = "qemu-system-aarch64", .arch = ARCH_ARM64, .mem_mb = 1024, .cpus = 2,
			       .numa_mb = numa, .nnuma = 2, .machine = "virt,gic-version=3", .kernel = "/Image",
			       .initrd = "/i", .cmdline = "console=ttyAMA0", .root_share = "" };
	char *argv[VM_MAX_ARGS], arena[8192], out[1024];

	ck_assert_int_gt(vm_build_argv(&c, argv, arena, sizeof(arena)), 10);
	ck_assert_str_eq(argv[0], "qemu-system-aarch64");
	ck_assert_str_eq(find_after(argv, "-machine", 0), "virt,gic-version=3");
	ck_assert_str_eq(find_after(argv, "-cpu", 0), "max,pauth-impdef=on");
	ck_assert_str_eq(find_after(argv, "-serial", 0), "stdio");
	ck_assert_int_eq(count(argv, "-serial"), 1);
	ck_assert_str_eq(find_after(argv, "-device", 0), "virtio-serial-pci");
	ck_assert_str_eq(find_after(argv, "-device", 1), "virtconsole,chardev=mmresults");
	ck_assert_int_eq(count(argv, "-fsdev"), 0);
	ck_assert_str_eq(find_after(argv, "-numa", 1), "node,nodeid=1,cpus=1,memdev=mem1");
	memset(&cd, 0, sizeof(cd));
	cd.arch = ARCH_ARM64;
	vm_kernel_cmdline(&cd, out, sizeof(out));
	ck_assert_ptr_nonnull(strstr(out, "console=ttyAMA0 "));
	ck_assert_ptr_null(strstr(out, "tsc="));
	ck_assert_str_eq(arch_info(ARCH_ARM64)->result_port, "/dev/hvc0");
}
END_TEST

START_TEST(arch_names_parse_strictly)
{
	enum arch a = ARCH_X86_64;

	ck_assert_int_eq(arch_parse("arm64", &a), 0);
	ck_assert_int_eq(a, ARCH_ARM64);
	ck_assert_int_eq(arch_parse("x86_64", &a), 0);
	ck_assert_int_eq(a, ARCH_X86_64);
	ck_assert_int_eq(arch_parse("aarch64", &a), -1);
	ck_assert_int_eq(arch_parse("ARM64", &a), -1);
	ck_assert_int_eq(arch_parse("", &a), -1);
	ck_assert_int_eq(arch_parse(NULL, &a), -1);
	ck_assert_str_eq(arch_info(ARCH_ARM64)->image_path, "arch/arm64/boot/Image");
	ck_assert_str_eq(arch_info(ARCH_X86_64)->image_name, "bzImage");
}
END_TEST

/* The accelerator decision, from fake host facts. */
static struct accel_choice decide(enum accel_mode mode, bool opens, const char *flags, const char *mods)
{
	struct accel_probe p = { .kvm_opens = opens, .cpu_flags = flags, .modules = mods };
	struct accel_choice c;

	vm_accel_decide(mode, &p, &c);
	return c;
}

START_TEST(auto_uses_kvm_only_with_hardware_virtualization_and_its_module)
{
	struct accel_choice c = decide(ACCEL_AUTO, true, "flags\t\t: fpu vme vmx sse", "kvm\nkvm_intel\n");

	ck_assert(c.kvm && c.usable);
	c = decide(ACCEL_AUTO, true, "flags\t\t: fpu svm", "kvm\nkvm_amd\n");
	ck_assert(c.kvm);
	/* This machine: /dev/kvm opens, but it is a PVM host. */
	c = decide(ACCEL_AUTO, true, "flags\t\t: fpu vme sse", "kvm\nkvm_pvm\n8250\n");
	ck_assert(!c.kvm && c.usable);
	ck_assert_str_eq(c.reason, "tcg (no vmx/svm in /proc/cpuinfo; /dev/kvm is kvm_pvm)");
	c = decide(ACCEL_AUTO, true, "flags\t\t: fpu vmx", "kvm\n");
	ck_assert(!c.kvm);
	ck_assert_ptr_nonnull(strstr(c.reason, "neither kvm_intel nor kvm_amd is loaded"));
	c = decide(ACCEL_AUTO, false, "flags\t\t: vmx", "kvm_intel\n");
	ck_assert(!c.kvm);
	ck_assert_ptr_nonnull(strstr(c.reason, "/dev/kvm cannot be opened"));
	/* Words, not substrings. */
	c = decide(ACCEL_AUTO, true, "flags\t\t: vmxfoo xsvm", "kvm_intel_x\nxkvm_amd\n");
	ck_assert(!c.kvm);
}
END_TEST

START_TEST(explicit_modes)
{
	struct accel_choice c = decide(ACCEL_KVM, true, "flags\t\t: fpu", "kvm\nkvm_pvm\n");
	enum accel_mode m;

	ck_assert(!c.usable);
	ck_assert_ptr_nonnull(strstr(c.reason, "KVM cannot run a normal guest here: no vmx/svm"));
	c = decide(ACCEL_KVM, true, "flags\t\t: vmx", "kvm_intel\n");
	ck_assert(c.usable && c.kvm);
	c = decide(ACCEL_TCG, true, "flags\t\t: vmx", "kvm_intel\n");
	ck_assert(c.usable && !c.kvm);
	ck_assert_int_eq(vm_accel_parse("tcg", &m), 0);
	ck_assert_int_eq(m, ACCEL_TCG);
	ck_assert_int_eq(vm_accel_parse("auto", &m), 0);
	ck_assert_int_eq(m, ACCEL_AUTO);
	ck_assert_int_eq(vm_accel_parse("KVM", &m), -1);
	ck_assert_int_eq(vm_accel_parse("", &m), -1);
}
END_TEST

Suite *vm_suite(void)
{
	Suite *s = suite_create("vm");
	TCase *t = tcase_create("argv");

	tcase_add_test(t, numa_guest_has_one_socket_and_backend_per_node);
	tcase_add_test(t, no_writable_share_and_a_result_channel);
	tcase_add_test(t, commas_in_paths_are_doubled_and_runas_is_passed);
	tcase_add_test(t, kvm_and_iommu_and_devices);
	tcase_add_test(t, scratch_disk_is_a_virtio_drive);
	tcase_add_test(t, small_arena_is_refused);
	tcase_add_test(t, cmdline_panics_on_oops_and_keeps_case_extras);
	tcase_add_test(t, arm64_guest_is_virt_with_a_virtio_console_and_no_root_share);
	tcase_add_test(t, arch_names_parse_strictly);
	tcase_add_test(t, auto_uses_kvm_only_with_hardware_virtualization_and_its_module);
	tcase_add_test(t, explicit_modes);
	suite_add_tcase(s, t);
	return s;
}
