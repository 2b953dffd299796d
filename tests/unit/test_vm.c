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
			       .cmdline = "console=ttyS0", .root_share = "/", .out_share = "/out" };
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

START_TEST(exactly_one_writable_share)
{
	struct vm_config c = { .qemu = "q", .mem_mb = 512, .cpus = 1, .machine = "pc", .kernel = "/k",
			       .initrd = "/i", .cmdline = "", .root_share = "/", .out_share = "/res/run-1/guest" };
	char *argv[VM_MAX_ARGS], arena[8192];
	int writable = 0;

	ck_assert_int_gt(vm_build_argv(&c, argv, arena, sizeof(arena)), 0);
	for (int i = 0; argv[i]; i++)
		if (!strcmp(argv[i], "-fsdev"))
			writable += !strstr(argv[i + 1], "readonly=on");
	ck_assert_int_eq(writable, 1);
	ck_assert_ptr_nonnull(strstr(find_after(argv, "-fsdev", 0), "path=/,"));
	ck_assert_ptr_nonnull(strstr(find_after(argv, "-fsdev", 1), "path=/res/run-1/guest"));
}
END_TEST

START_TEST(kvm_and_iommu_and_devices)
{
	const char *devs[] = { "edu" };
	struct vm_config c = { .qemu = "q", .kvm = true, .mem_mb = 4096, .cpus = 2, .machine = "q35",
			       .iommu = true, .devices = devs, .ndevices = 1, .kernel = "/k", .initrd = "/i",
			       .cmdline = "", .root_share = "/", .out_share = "/o" };
	char *argv[VM_MAX_ARGS], arena[8192];

	ck_assert_int_gt(vm_build_argv(&c, argv, arena, sizeof(arena)), 0);
	ck_assert_str_eq(find_after(argv, "-accel", 0), "kvm");
	ck_assert_str_eq(find_after(argv, "-machine", 0), "q35,kernel-irqchip=split");
	ck_assert_str_eq(find_after(argv, "-device", 0), "intel-iommu,caching-mode=on");
	ck_assert_str_eq(find_after(argv, "-device", 1), "edu");
}
END_TEST

START_TEST(small_arena_is_refused)
{
	struct vm_config c = { .qemu = "q", .mem_mb = 512, .cpus = 1, .machine = "pc", .kernel = "/k",
			       .initrd = "/i", .cmdline = "", .root_share = "/", .out_share = "/o" };
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

Suite *vm_suite(void)
{
	Suite *s = suite_create("vm");
	TCase *t = tcase_create("argv");

	tcase_add_test(t, numa_guest_has_one_socket_and_backend_per_node);
	tcase_add_test(t, exactly_one_writable_share);
	tcase_add_test(t, kvm_and_iommu_and_devices);
	tcase_add_test(t, small_arena_is_refused);
	tcase_add_test(t, cmdline_panics_on_oops_and_keeps_case_extras);
	suite_add_tcase(s, t);
	return s;
}
