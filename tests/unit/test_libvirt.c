/* The libvirt backend (domain XML, validated by virt-xml-validate, and a
 * domain's life on libvirt's test driver) and the pool of slots. */
#include "libvirt.h"
#include "pool.h"
#include "result.h"
#include "suites.h"
#include "util.h"
#include "vm.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

static const unsigned two_nodes[] = { 1024, 1024 };
static const char *const edu[] = { "edu,dma_mask=0xFFFFFFFF" };

static struct vm_config numa_iommu_vm(void)
{
	return (struct vm_config){ .mem_mb = 2048, .cpus = 4, .numa_mb = two_nodes, .nnuma = 2, .machine = "q35",
				   .iommu = true, .devices = edu, .ndevices = 1, .kernel = "/k", .initrd = "/i",
				   .cmdline = "console=ttyS0 x='<&>\"'", .root_share = "/" };
}

/* virt-xml-validate, from libvirt's client tools, against its own schema. */
static int validate(const char *xml)
{
	const char *path = test_temp_file(xml, ".xml");
	char *argv[] = { "virt-xml-validate", (char *)path, "domain", NULL };

	return run_cmd(argv, "/dev/null", NULL);
}

START_TEST(plain_domain_validates_and_boots_the_kernel_directly)
{
	struct vm_config c = { .mem_mb = 512, .cpus = 1, .machine = "pc", .kernel = "/k", .initrd = "/i",
			       .cmdline = "console=ttyS0", .root_share = "/" };
	char *xml = libvirt_domain_xml(&c, "mmrepro-t", "/pool/k", "/pool/i");

	ck_assert_int_eq(validate(xml), 0);
	ck_assert_ptr_nonnull(strstr(xml, "<domain type='qemu'"));
	ck_assert_ptr_nonnull(strstr(xml, "<kernel>/pool/k</kernel>"));
	ck_assert_ptr_nonnull(strstr(xml, "<initrd>/pool/i</initrd>"));
	ck_assert_ptr_nonnull(strstr(xml, "<cmdline>console=ttyS0</cmdline>"));
	ck_assert_ptr_nonnull(strstr(xml, "<on_crash>destroy</on_crash>"));
	ck_assert_ptr_nonnull(strstr(xml, "<on_reboot>destroy</on_reboot>"));
	ck_assert_ptr_nonnull(strstr(xml, "<readonly/>"));
	ck_assert_ptr_nonnull(strstr(xml, "accessmode='passthrough'"));
	ck_assert_ptr_nonnull(strstr(xml, "<cpu mode='maximum'>"));
	ck_assert_ptr_null(strstr(xml, "qemu:commandline"));
	ck_assert_ptr_null(strstr(xml, "<iommu"));
	free(xml);
}
END_TEST

START_TEST(arm64_domain_validates_with_gic3_and_a_virtio_console)
{
	struct vm_config c = { .arch = ARCH_ARM64, .mem_mb = 1024, .cpus = 2, .numa_mb = two_nodes, .nnuma = 2,
			       .machine = "virt,gic-version=3", .kernel = "/k", .initrd = "/i",
			       .cmdline = "console=ttyAMA0", .root_share = "" };
	char *xml = libvirt_domain_xml(&c, "mmrepro-t", "/pool/k", "/pool/i");

	ck_assert_int_eq(validate(xml), 0);
	ck_assert_ptr_nonnull(strstr(xml, "<type arch='aarch64' machine='virt'>hvm</type>"));
	ck_assert_ptr_nonnull(strstr(xml, "<gic version='3'/>"));
	ck_assert_ptr_nonnull(strstr(xml, "<target type='virtio' port='1'/>"));
	ck_assert_ptr_null(strstr(xml, "<filesystem"));
	ck_assert_ptr_null(strstr(xml, "<acpi/>"));
	ck_assert_ptr_null(strstr(xml, "<target port='1'/>"));
	free(xml);
}
END_TEST

START_TEST(numa_iommu_and_extra_devices_validate)
{
	struct vm_config c = numa_iommu_vm();
	char *xml;

	c.kvm = true;
	xml = libvirt_domain_xml(&c, "mmrepro-t", "/k", "/i");
	ck_assert_int_eq(validate(xml), 0);
	ck_assert_ptr_nonnull(strstr(xml, "<domain type='kvm'"));
	ck_assert_ptr_nonnull(strstr(xml, "<cpu mode='host-passthrough'>"));
	ck_assert_ptr_nonnull(strstr(xml, "<topology sockets='2' dies='1' cores='2' threads='1'/>"));
	ck_assert_ptr_nonnull(strstr(xml, "<cell id='0' cpus='0-1' memory='1024' unit='MiB'/>"));
	ck_assert_ptr_nonnull(strstr(xml, "<cell id='1' cpus='2-3' memory='1024' unit='MiB'/>"));
	ck_assert_ptr_nonnull(strstr(xml, "<iommu model='intel'>"));
	ck_assert_ptr_nonnull(strstr(xml, "<ioapic driver='qemu'/>"));
	ck_assert_ptr_nonnull(strstr(xml, "<qemu:arg value='edu,dma_mask=0xFFFFFFFF'/>"));
	ck_assert_ptr_null(strstr(xml, "<disk"));
	free(xml);
	c.disk_mb = 64;
	c.disk = "/pool/d'isk";
	xml = libvirt_domain_xml(&c, "mmrepro-t", "/k", "/i");
	ck_assert_int_eq(validate(xml), 0);
	ck_assert_ptr_nonnull(strstr(xml, "<source file='/pool/d&apos;isk'/>"));
	ck_assert_ptr_nonnull(strstr(xml, "<target dev='vda' bus='virtio'/>"));
	free(xml);
}
END_TEST

START_TEST(hostile_values_are_escaped)
{
	struct vm_config c = numa_iommu_vm();
	const char *const evil[] = { "x'/><qemu:arg value='-monitor" };
	char *xml;

	c.devices = evil;
	c.root_share = "/a'b<c";
	xml = libvirt_domain_xml(&c, "n</name><evil/>", "/k", "/i");
	ck_assert_int_eq(validate(xml), 0);
	ck_assert_ptr_null(strstr(xml, "<evil/>"));
	ck_assert_ptr_null(strstr(xml, "value='-monitor'"));
	ck_assert_ptr_nonnull(strstr(xml, "x&apos;/&gt;&lt;qemu:arg"));
	ck_assert_ptr_nonnull(strstr(xml, "x=&apos;&lt;&amp;&gt;&quot;&apos;"));
	ck_assert_ptr_nonnull(strstr(xml, "<source dir='/a&apos;b&lt;c'/>"));
	free(xml);
}
END_TEST

START_TEST(libvirt_process_argv_is_built_like_qemus)
{
	struct vm_libvirt_call c = { .self = "/x/mmrepro", .uri = "qemu+tcp://h,1/system", .vm_json = "/r/vm.json",
				     .tag = "smoke-r1", .xml_out = "/r/domain.xml" };
	char *argv[VM_MAX_ARGS], arena[256], tiny[16];

	ck_assert_int_eq(vm_build_libvirt_argv(&c, argv, arena, sizeof(arena)), 10);
	ck_assert_str_eq(argv[0], "/x/mmrepro");
	ck_assert_str_eq(argv[1], "libvirt-vm");
	ck_assert_str_eq(argv[3], "qemu+tcp://h,1/system");
	ck_assert_str_eq(argv[7], "smoke-r1");
	ck_assert_str_eq(argv[9], "/r/domain.xml");
	ck_assert_ptr_null(argv[10]);
	ck_assert_int_eq(vm_build_libvirt_argv(&c, argv, tiny, sizeof(tiny)), -1);
}
END_TEST

START_TEST(vm_description_round_trips_through_json)
{
	struct vm_config c = numa_iommu_vm(), back;
	struct json_object *o = vm_config_to_json(&c);
	unsigned *numa;
	const char **devs;
	char err[128];

	ck_assert_int_eq(vm_config_from_json(o, &back, &numa, &devs, err, sizeof(err)), 0);
	ck_assert_int_eq(back.mem_mb, 2048);
	ck_assert_int_eq(back.cpus, 4);
	ck_assert_int_eq(back.nnuma, 2);
	ck_assert_int_eq(back.numa_mb[1], 1024);
	ck_assert(back.iommu);
	ck_assert_int_eq(back.ndevices, 1);
	ck_assert_str_eq(back.devices[0], edu[0]);
	ck_assert_str_eq(back.cmdline, c.cmdline);
	ck_assert_str_eq(back.machine, "q35");
	ck_assert_int_eq(back.disk_mb, 0);
	free(numa);
	free(devs);
	c.disk_mb = 256;
	json_object_put(o);
	o = vm_config_to_json(&c);
	ck_assert_int_eq(vm_config_from_json(o, &back, &numa, &devs, err, sizeof(err)), 0);
	ck_assert_int_eq(back.disk_mb, 256);
	ck_assert_int_eq(back.arch, ARCH_X86_64);
	free(numa);
	free(devs);
	c.arch = ARCH_ARM64;
	json_object_put(o);
	o = vm_config_to_json(&c);
	ck_assert_int_eq(vm_config_from_json(o, &back, &numa, &devs, err, sizeof(err)), 0);
	ck_assert_int_eq(back.arch, ARCH_ARM64);
	free(numa);
	free(devs);
	json_object_object_add(o, "arch", json_object_new_string("sparc"));
	ck_assert_int_eq(vm_config_from_json(o, &back, &numa, &devs, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "\"arch\" is not x86_64 or arm64");
	free(numa);
	free(devs);
	json_object_object_add(o, "arch", json_object_new_string("arm64"));
	json_object_object_add(o, "cpus", json_object_new_int(1000));
	ck_assert_int_eq(vm_config_from_json(o, &back, &numa, &devs, err, sizeof(err)), -1);
	free(numa);
	free(devs);
	json_object_put(o);
}
END_TEST

static void quiet(void *opaque, virErrorPtr e)
{
	(void)opaque;
	(void)e;
}

/* libvirt's test driver parses the XML as a real host would, and runs the
 * lifecycle, events included, without a daemon. */
START_TEST(domain_lifecycle_on_the_test_driver)
{
	struct vm_config c = numa_iommu_vm();
	char *xml;
	virConnectPtr conn;
	virDomainPtr dom;

	c.ndevices = 0;
	c.iommu = false;
	c.machine = "pc";
	xml = libvirt_domain_xml(&c, "mmrepro-life", "/k", "/i");
	virSetErrorFunc(NULL, quiet);
	conn = virConnectOpen("test:///default");
	ck_assert_ptr_nonnull(conn);
	/* The test driver takes no start flags; the real runs use PAUSED and
	 * AUTODESTROY (tests/libvirt-test.sh checks what they leave). */
	dom = virDomainCreateXML(conn, xml, 0);
	ck_assert_msg(dom != NULL, "%s", virGetLastErrorMessage());
	ck_assert_int_eq(virDomainIsActive(dom), 1);
	ck_assert_int_eq(virDomainSuspend(dom), 0);
	ck_assert_int_eq(virDomainResume(dom), 0);
	ck_assert_int_eq(virDomainGetMaxVcpus(dom), 4);
	ck_assert_int_eq(virDomainDestroy(dom), 0);
	virDomainFree(dom);
	ck_assert_ptr_null(virDomainLookupByName(conn, "mmrepro-life"));
	virConnectClose(conn);
	free(xml);
}
END_TEST

START_TEST(probe_names_an_unreachable_host)
{
	char err[512] = "";

	ck_assert_int_eq(libvirt_probe("test:///default", err, sizeof(err)), 0);
	ck_assert_int_eq(libvirt_probe("qemu+tcp://127.0.0.1:9/system", err, sizeof(err)), -1);
	ck_assert_msg(strlen(err) > 5, "no reason: '%s'", err);
	ck_assert(!libvirt_domain_exists("test:///default", "mmrepro-no-such"));
	ck_assert(libvirt_domain_exists("test:///default", "test"));
}
END_TEST

START_TEST(shim_refuses_bad_arguments_and_descriptions)
{
	const char *bad = test_temp_file("{\"cpus\": 2}", ".json");
	char *a1[] = { "libvirt-vm", "--connect", "test:///default", NULL };
	char *a2[] = { "libvirt-vm", "--connect", "test:///default", "--vm", (char *)bad, "--name", "x", NULL };

	ck_assert_int_eq(libvirt_vm_main(3, a1), EXIT_USAGE);
	ck_assert_int_eq(libvirt_vm_main(7, a2), EXIT_USAGE);
}
END_TEST

/* ---- the pool ----------------------------------------------------------- */

START_TEST(host_list_parses_uris_and_slots)
{
	struct pool p = { 0 };
	char err[256];
	const char *text = "# lab\nqemu+tcp://a/system slots=2\r\n\n  qemu+ssh://b/system\nqemu slots=3\n";

	ck_assert_int_eq(pool_parse_hosts("hosts", text, &p, err, sizeof(err)), 0);
	ck_assert_int_eq(p.nslots, 6);
	ck_assert_int_eq(p.nhosts, 3);
	ck_assert_str_eq(pool_slot_host(&p, 0), "qemu+tcp://a/system");
	ck_assert_int_eq(p.slots[1].host, 0);
	ck_assert_str_eq(pool_slot_host(&p, 2), "qemu+ssh://b/system");
	ck_assert_int_eq(p.slots[3].backend, BACKEND_QEMU);
	ck_assert_str_eq(pool_slot_host(&p, 5), "local");
	pool_free(&p);
}
END_TEST

START_TEST(host_list_errors_name_file_and_line)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "qemu:///system slots=0\n", "hosts:1: expected 'URI [slots=N]'" },
		{ "a://x\nqemu:///system slots=2 extra\n", "hosts:2: expected" },
		{ "qemu:///system cpus=2\n", "hosts:1: expected" },
		{ "\nnot-a-uri\n", "hosts:2: 'not-a-uri' is not a libvirt URI" },
		{ "qemu:///system\nqemu:///system\n", "hosts:2: host qemu:///system is listed twice" },
		{ "# nothing\n", "hosts: no hosts" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pool p = { 0 };
		char err[256] = "";
		ck_assert_int_eq(pool_parse_hosts("hosts", bad[i].text, &p, err, sizeof(err)), -1);
		ck_assert_msg(strstr(err, bad[i].want), "'%s' gave '%s'", bad[i].text, err);
		pool_free(&p);
	}
}
END_TEST

START_TEST(options_make_local_or_libvirt_slots)
{
	struct pool p;
	char err[256];
	enum vm_backend b;

	ck_assert_int_eq(pool_init(&p, &(struct pool_opts){ .backend = BACKEND_QEMU, .jobs = 3 }, err, sizeof(err)), 0);
	ck_assert_int_eq(p.nslots, 3);
	ck_assert_ptr_null(p.slots[2].uri);
	pool_free(&p);
	ck_assert_int_eq(pool_init(&p, &(struct pool_opts){ .backend = BACKEND_LIBVIRT }, err, sizeof(err)), 0);
	ck_assert_int_eq(p.nslots, 1);
	ck_assert_str_eq(p.slots[0].uri, "qemu:///system");
	pool_free(&p);
	ck_assert_int_eq(pool_init(&p, &(struct pool_opts){ .hosts_file = "/nonexistent/h" }, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "--hosts /nonexistent/h"));
	ck_assert_int_eq(pool_backend_parse("libvirt", &b), 0);
	ck_assert_int_eq(b, BACKEND_LIBVIRT);
	ck_assert_int_eq(pool_backend_parse("xen", &b), -1);
}
END_TEST

START_TEST(unreachable_host_is_left_out)
{
	struct pool p = { 0 };
	char err[256];

	ck_assert_int_eq(pool_parse_hosts("h", "qemu+tcp://127.0.0.1:9/system slots=2\ntest:///default\n", &p, err,
					  sizeof(err)), 0);
	ck_assert_int_eq(pool_check_hosts(&p), 1);
	ck_assert_int_eq(pool_live_slots(&p), 1);
	int held, slot = pool_acquire(&p, -1, &held);
	ck_assert_int_eq(slot, 2);
	pool_release(held);
	pool_host_failed(&p, 2);
	ck_assert_int_eq(pool_acquire(&p, -1, &held), -1);
	pool_free(&p);
}
END_TEST

/* Two processes of one command never hold the same slot, and a host one
 * of them found failed is left out by the other too. */
START_TEST(slots_are_shared_between_processes)
{
	struct pool p;
	char err[256];
	int held, slot, status, pipefd[2];
	pid_t child;

	ck_assert_int_eq(pool_init(&p, &(struct pool_opts){ .backend = BACKEND_QEMU, .jobs = 2 }, err, sizeof(err)), 0);
	ck_assert_int_eq(pool_share(&p, test_temp_dir()), 0);
	slot = pool_acquire(&p, -1, &held);
	ck_assert_int_eq(slot, 0);
	ck_assert_int_eq(pipe(pipefd), 0);
	child = fork();
	if (child == 0) {
		int h, s = pool_acquire(&p, -1, &h);
		char c = (char)s;
		(void)!write(pipefd[1], &c, 1);
		pool_host_failed(&p, s);
		_exit(0);
	}
	char got;
	ck_assert_int_eq(read(pipefd[0], &got, 1), 1);
	ck_assert_int_eq(got, 1);
	waitpid(child, &status, 0);
	/* The child marked the one host failed: nothing is left here either. */
	ck_assert_int_eq(pool_live_slots(&p), 0);
	pool_release(held);
	ck_assert_int_eq(pool_acquire(&p, -1, &held), -1);
	pool_free(&p);
}
END_TEST

START_TEST(result_reads_back_what_it_wrote)
{
	struct run_result r = { .index = 3, .verdict = V_FAIL, .slot = 1, .infra = false, .total_s = 4.5 };
	struct run_result back = { 0 };

	snprintf(r.dir, sizeof(r.dir), "%s", test_temp_dir());
	snprintf(r.case_name, sizeof(r.case_name), "c");
	snprintf(r.kernel_spec, sizeof(r.kernel_spec), "deb:6.12");
	snprintf(r.host, sizeof(r.host), "qemu+tcp://h/system");
	snprintf(r.backend, sizeof(r.backend), "libvirt");
	snprintf(r.reason, sizeof(r.reason), "kernel BUG in f");
	snprintf(r.counters, sizeof(r.counters), "pgmigrate_success thp_split_page");
	r.report.crash = true;
	snprintf(r.report.title, sizeof(r.report.title), "kernel BUG in f");
	r.report.start_line = 7;
	r.workload = json_tokener_parse("{\"verdict\":\"FAIL\"}");
	struct report reps[2] = { { .crash = true, .title = "WARNING in a", .start_line = 3, .end_line = 5 },
				  { .crash = true, .title = "kernel BUG in f", .start_line = 7, .end_line = 9 } };
	r.reports = reps;
	r.nreports = 2;
	r.nboot_reports = 1;
	ck_assert_int_eq(result_write(&r), 0);
	ck_assert_int_eq(result_read(r.dir, &back), 0);
	ck_assert_int_eq(back.verdict, V_FAIL);
	ck_assert_str_eq(back.host, "qemu+tcp://h/system");
	ck_assert_str_eq(back.backend, "libvirt");
	ck_assert_int_eq(back.slot, 1);
	ck_assert_str_eq(back.report.title, "kernel BUG in f");
	ck_assert_int_eq(back.report.start_line, 7);
	ck_assert(back.report.crash);
	ck_assert(back.workload != NULL);
	ck_assert(back.total_s > 4.4 && back.total_s < 4.6);
	ck_assert_int_eq(back.nreports, 2);
	ck_assert_str_eq(back.counters, "pgmigrate_success thp_split_page");
	ck_assert_int_eq(back.nboot_reports, 1);
	ck_assert_str_eq(back.reports[1].title, "kernel BUG in f");
	ck_assert_int_eq(back.reports[1].end_line, 9);
	result_free_reports(&back);
	json_object_put(back.workload);
	json_object_put(r.workload);
	ck_assert_int_eq(result_read("/nonexistent", &back), -1);
}
END_TEST

Suite *libvirt_suite(void)
{
	Suite *s = suite_create("libvirt");
	TCase *t = tcase_create("libvirt");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, plain_domain_validates_and_boots_the_kernel_directly);
	tcase_add_test(t, numa_iommu_and_extra_devices_validate);
	tcase_add_test(t, arm64_domain_validates_with_gic3_and_a_virtio_console);
	tcase_add_test(t, hostile_values_are_escaped);
	tcase_add_test(t, libvirt_process_argv_is_built_like_qemus);
	tcase_add_test(t, vm_description_round_trips_through_json);
	tcase_add_test(t, domain_lifecycle_on_the_test_driver);
	tcase_add_test(t, probe_names_an_unreachable_host);
	tcase_add_test(t, shim_refuses_bad_arguments_and_descriptions);
	tcase_add_test(t, host_list_parses_uris_and_slots);
	tcase_add_test(t, host_list_errors_name_file_and_line);
	tcase_add_test(t, options_make_local_or_libvirt_slots);
	tcase_add_test(t, unreachable_host_is_left_out);
	tcase_add_test(t, slots_are_shared_between_processes);
	tcase_add_test(t, result_reads_back_what_it_wrote);
	suite_add_tcase(s, t);
	return s;
}
