/* Unit tests for host/report.c, the console classifier (its corpus is in
 * test_corpus.c). */
#include <check.h>
#include <errno.h>
#include <json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "util.h"
#include "suites.h"

static struct report parse_str(const char *s)
{
	struct report r;

	ck_assert_int_eq(report_parse(s, strlen(s), &r), 0);
	return r;
}

/* All reports of s; the caller frees. */
static struct report *parse_all(const char *s, int *n)
{
	struct report *all;

	ck_assert_int_eq(report_parse_all(s, strlen(s), &all, n), 0);
	return all;
}

START_TEST(test_table_is_well_formed)
{
	ck_assert_int_eq(report_table_check(), -1);
}
END_TEST

/* ---- formats ------------------------------------------------------------ */

/* One BUG report, rendered with the various printk prefixes. */
static const char *const bug_lines[] = {
	"Run /init as init process",
	"------------[ cut here ]------------",
	"kernel BUG at mm/migrate.c:2720!",
	"Oops: invalid opcode: 0000 [#1] PREEMPT SMP NOPTI",
	"CPU: 1 UID: 0 PID: 387 Comm: numa-thp Not tainted 6.12.117 #1",
	"RIP: 0010:migrate_misplaced_folio+0x2d5/0x2f0",
	"Call Trace:",
	" <TASK>",
	" ? die+0x36/0x90",
	" ? migrate_misplaced_folio+0x2d5/0x2f0",
	" do_huge_pmd_numa_page+0x1a4/0x2c0",
	" </TASK>",
	"Modules linked in:",
	"---[ end trace 0000000000000000 ]---",
	"Kernel panic - not syncing: Fatal exception",
};
#define NBUG (int)(sizeof(bug_lines) / sizeof(bug_lines[0]))

static char *render(const char *(*prefix)(int i, char *buf), const char *eol)
{
	size_t cap = 8192, o = 0;
	char *s = malloc(cap), pb[64];

	ck_assert_ptr_nonnull(s);
	for (int i = 0; i < NBUG; i++)
		o += (size_t)snprintf(s + o, cap - o, "%s%s%s", prefix(i, pb), bug_lines[i], eol);
	ck_assert_uint_lt(o, cap);
	return s;
}

static const char *pfx_none(int i, char *b) { (void)i; b[0] = 0; return b; }
static const char *pfx_ts(int i, char *b)
{
	sprintf(b, "[%5d.%06d] ", 38 + i / 10, 911020 + i * 41);
	return b;
}
static const char *pfx_caller(int i, char *b)
{
	sprintf(b, "[%5d.%06d][%6s] ", 38, 100 + i, i < 4 ? "T387" : "C1");
	return b;
}
static const char *pfx_level(int i, char *b)
{
	sprintf(b, "<%d>[%5d.%06d] ", i % 8, 38, 100 + i);
	return b;
}
static const char *pfx_ts_space_caller(int i, char *b)
{
	sprintf(b, "[%5d.%06d] [%6s] ", 38, 100 + i, "T1");
	return b;
}

START_TEST(test_prefix_variants)
{
	const char *(*pfx[])(int, char *) = { pfx_none, pfx_ts, pfx_caller, pfx_level, pfx_ts_space_caller };
	const char *eols[] = { "\n", "\r\n", "\r\r\n" };

	for (size_t p = 0; p < sizeof(pfx) / sizeof(pfx[0]); p++)
		for (size_t e = 0; e < sizeof(eols) / sizeof(eols[0]); e++) {
			char *log = render(pfx[p], eols[e]);
			int n;
			struct report *all = parse_all(log, &n);
			ck_assert_msg(n == 1, "prefix %zu eol %zu: %d reports", p, e, n);
			ck_assert_str_eq(all[0].title, "kernel BUG in migrate_misplaced_folio");
			ck_assert_str_eq(all[0].guilty_frame, "migrate_misplaced_folio");
			ck_assert(!all[0].corrupted);
			ck_assert_int_eq(all[0].start_line, 2);
			ck_assert_int_eq(all[0].end_line, 14);
			free(all);
			free(log);
		}
}
END_TEST

/* Found by fuzz_report: a die() header whose description is only control
 * bytes must still get a title. */
START_TEST(test_die_header_of_control_bytes)
{
	static const char log[] = "\x01,x: 0000 [#1] SMP\n";
	struct report r;

	report_parse(log, sizeof(log) - 1, &r);
	ck_assert(r.crash);
	ck_assert_str_eq(r.title, "Oops in corrupted");
	ck_assert(r.corrupted);
}
END_TEST

START_TEST(test_kbug_forms)
{
	struct report r;

	r = parse_str("kernel BUG at mm/migrate.c:2720!\n"
		      "Call Trace:\n"
		      " <TASK>\n"
		      " ? die+0x33/0x90\n"
		      " dump_page+0x1/0x2\n"
		      " _raw_spin_lock+0x1/0x2\n"
		      " migrate_pages_batch.constprop.0+0x5d2/0xd70 [vfio]\n"
		      " migrate_pages+0xa69/0xd20\n"
		      " </TASK>\n");
	ck_assert_str_eq(r.title, "kernel BUG in migrate_pages_batch");
	ck_assert_str_eq(r.guilty_frame, "migrate_pages_batch");
	ck_assert(!r.corrupted);
	ck_assert_int_eq(r.end_line, 9);

	/* nothing symbolic at all: syzkaller's "in corrupted", never a made-up frame */
	r = parse_str("kernel BUG at mm/migrate.c:2720!\nOops: invalid opcode: 0000 [#1] SMP\n");
	ck_assert(r.crash && r.corrupted);
	ck_assert_str_eq(r.title, "kernel BUG in corrupted");
	ck_assert_str_eq(r.guilty_frame, "");
	ck_assert_int_eq(r.start_line, 1);
	ck_assert_int_eq(r.end_line, 2);

	/* a RIP but no Call Trace: titled, but corrupted (truncated) */
	r = parse_str("kernel BUG at mm/huge_memory.c:2011!\n"
		      "RIP: 0010:[<ffffffff811d3c5e>]  [<ffffffff811d3c5e>] __split_huge_page+0x1de/0x210\n");
	ck_assert_str_eq(r.title, "kernel BUG in __split_huge_page");
	ck_assert(r.corrupted);

	/* old kernels: address groups before the symbol */
	r = parse_str("kernel BUG at mm/huge_memory.c:2011!\n"
		      "Call Trace:\n"
		      " [<ffffffff811d4a1b>] ? dump_page+0x1b/0x20\n"
		      " [<ffffffff811d4a1b>] split_huge_page_to_list+0x7b/0x90\n");
	ck_assert_str_eq(r.title, "kernel BUG in split_huge_page_to_list");
	ck_assert(!r.corrupted);

	/* verbose debug info unavailable: the function is on the header */
	r = parse_str("Kernel BUG at migrate_misplaced_folio+0x2d5/0x2f0 [verbose debug info unavailable]\n");
	ck_assert_str_eq(r.title, "kernel BUG in migrate_misplaced_folio");

	/* the build dir prefix of an out-of-tree build does not matter */
	r = parse_str("kernel BUG at ../../src/deb-6.12.117/lib/list_debug.c:62!\n"
		      "Call Trace:\n __list_del_entry_valid_or_report+0x1/0x2\n deferred_split_scan+0x1/0x2\n");
	ck_assert_str_eq(r.title, "BUG: corrupted list in deferred_split_scan");
}
END_TEST

START_TEST(test_warning_forms)
{
	static const char trace[] = "Call Trace:\n caller_fn+0x1/0x2\n";
	char log[512];
	struct report r;

	r = parse_str("WARNING: CPU: 1 PID: 5 at mm/memcontrol.c:5706 mem_cgroup_move_account+0x3d/0x3b0\n"
		      "Call Trace:\n mem_cgroup_move_charge_pte_range+0x1/0x2\n");
	ck_assert_str_eq(r.title, "WARNING in mem_cgroup_move_account");
	ck_assert_str_eq(r.guilty_frame, "mem_cgroup_move_account");
	ck_assert(!r.corrupted);
	r = parse_str("WARNING: CPU: 0 PID: 1 at mem_cgroup_move_account+0x3d/0x3b0 [memcg_mod]\n");
	ck_assert_str_eq(r.title, "WARNING in mem_cgroup_move_account");
	ck_assert(r.corrupted); /* no stack */
	/* before 4.x: "WARNING: at file:line func()"; a skipped function
	 * (an allocator) hands over to its caller */
	snprintf(log, sizeof(log), "WARNING: at mm/page_alloc.c:2411 __alloc_pages_nodemask+0x2b7/0x8d0()\n%s", trace);
	r = parse_str(log);
	ck_assert_str_eq(r.title, "WARNING in caller_fn");
	/* 6.16 on: "WARNING: file:line at func, CPU#N: comm/pid" */
	snprintf(log, sizeof(log), "WARNING: mm/rmap.c:1234 at folio_add_anon_rmap_ptes+0x1/0x2, CPU#0: a/1\n%s", trace);
	r = parse_str(log);
	ck_assert_str_eq(r.title, "WARNING in folio_add_anon_rmap_ptes");
	/* function unknown, RIP known */
	r = parse_str("WARNING: CPU: 0 PID: 1 at mm/rmap.c:1234 0xffffffff81234567\n"
		      "RIP: 0010:folio_add_anon_rmap_ptes+0x1/0x2\nCall Trace:\n x+0x1/0x2\n");
	ck_assert_str_eq(r.title, "WARNING in folio_add_anon_rmap_ptes");
	/* nothing symbolic */
	r = parse_str("WARNING: CPU: 0 PID: 1 at mm/rmap.c:1234 0xffffffff81234567\n");
	ck_assert_str_eq(r.title, "WARNING in corrupted");
	ck_assert(r.corrupted);
	/* a WARNING of the list checks is a list corruption */
	r = parse_str("WARNING: CPU: 0 PID: 1 at lib/list_debug.c:62 __list_del_entry_valid_or_report+0x1/0x2\n"
		      "RIP: 0010:__list_del_entry_valid_or_report+0x1/0x2\n"
		      "Call Trace:\n <TASK>\n ? __warn+0x1/0x2\n free_pcppages_bulk+0x1/0x2\n </TASK>\n"
		      "---[ end trace 0000000000000000 ]---\n");
	ck_assert_str_eq(r.title, "BUG: corrupted list in free_pcppages_bulk");
	ck_assert_int_eq(r.end_line, 8);
}
END_TEST

/* The bug classes a WARNING's file and function select (syzkaller). */
static const struct {
	const char *where, *title;
} warn_classes[] = {
	{ "lib/refcount.c:28 refcount_warn_saturate+0x1/0x2", "WARNING: refcount bug in caller_fn" },
	{ "lib/debugobjects.c:514 debug_print_object+0x1/0x2", "WARNING: ODEBUG bug in caller_fn" },
	{ "lib/kobject.c:640 kobject_get+0x1/0x2", "WARNING: kobject bug in caller_fn" },
	{ "mm/util.c:630 kvmalloc_node+0x1/0x2", "WARNING: kmalloc bug in caller_fn" },
	{ "mm/slab_common.c:700 kmalloc_slab+0x1/0x2", "WARNING: kmalloc bug in caller_fn" },
	{ "mm/usercopy.c:81 usercopy_warn+0x1/0x2", "WARNING: bad usercopy in caller_fn" },
	{ "kernel/locking/lockdep.c:5432 lock_release+0x1/0x2", "WARNING: locking bug in caller_fn" },
	{ "fs/proc/generic.c:376 proc_register+0x1/0x2", "WARNING: proc registration bug in caller_fn" },
	{ "mm/vmalloc.c:3838 __vmalloc_node_range_noprof+0x1/0x2", "WARNING: zero-size vmalloc in caller_fn" },
	{ "mm/page_alloc.c:4702 __alloc_pages_noprof+0x1/0x2", "WARNING in caller_fn" },
	{ "lib/refcount.c:28 not_a_refcount_fn+0x1/0x2", "WARNING in not_a_refcount_fn" },
};

START_TEST(test_warning_bug_classes)
{
	char log[512];

	for (size_t i = 0; i < sizeof(warn_classes) / sizeof(warn_classes[0]); i++) {
		snprintf(log, sizeof(log),
			 "WARNING: CPU: 0 PID: 1 at %s\nCall Trace:\n <TASK>\n ? __warn+0x1/0x2\n"
			 " refcount_dec_and_test+0x1/0x2\n kobject_put+0x1/0x2\n __kmalloc+0x1/0x2\n"
			 " caller_fn+0x1/0x2\n </TASK>\n",
			 warn_classes[i].where);
		struct report r = parse_str(log);
		ck_assert_msg(!strcmp(r.title, warn_classes[i].title), "%s: \"%s\", expected \"%s\"",
			      warn_classes[i].where, r.title, warn_classes[i].title);
		ck_assert(!r.corrupted);
	}
}
END_TEST

/* Single lines (or short blocks), the title they get and whether it is
 * corrupted (a header with no stack after it, where its family needs one). */
static const struct {
	const char *log, *title;
	bool corrupted;
} positives[] = {
	{ "watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [kworker/0:1:12]\n", "BUG: soft lockup in corrupted", true },
	{ "INFO: task kworker/u4:2:58 blocked for more than 122 seconds.\n", "INFO: task hung in corrupted", true },
	{ "INFO: task khugepaged:52 can't die for more than 143 seconds.\n", "INFO: task can't die in corrupted", true },
	{ "rcu: INFO: rcu_sched detected stalls on CPUs/tasks:\n", "INFO: rcu detected stall in corrupted", true },
	{ "rcu: INFO: rcu_preempt detected expedited stalls on CPUs/tasks: { 1-... } 21002 jiffies s: 889 root: 0x2/.\n",
	  "INFO: rcu detected stall in corrupted", true },
	{ "INFO: rcu_sched self-detected stall on CPU { 0}  (t=21000 jiffies g=1234 c=1233 q=55)\n",
	  "INFO: rcu detected stall in corrupted", true },
	{ "NMI watchdog: Watchdog detected hard LOCKUP on cpu 1\n", "BUG: hard lockup in corrupted", true },
	{ "BUG: workqueue lockup - pool cpus=0 node=0 flags=0x0 nice=0 stuck for 31s!\n", "BUG: workqueue lockup", false },
	{ "BUG: scheduling while atomic: kworker/0:1/12/0x00000002\n", "BUG: scheduling while atomic in corrupted", true },
	{ "BUG: Bad page cache in process a.out  pfn:10a40\n", "BUG: Bad page cache", false },
	{ "BUG: Bad page state: 3 messages suppressed\n", "BUG: Bad page state in corrupted", true },
	{ "BUG: Bad rss-counter state mm:00000000a1b2c3d4 type:MM_ANONPAGES val:512\n", "BUG: Bad rss-counter state", false },
	{ "BUG: non-zero nr_pmds on freeing mm: 1\n", "BUG: non-zero nr_pmds on freeing mm", false },
	{ "BUG: MAX_LOCKDEP_CHAINS too low!\n", "BUG: MAX_LOCKDEP_CHAINS too low!", false },
	{ "UBSAN: array-index-out-of-bounds in mm/vmscan.c:123:45\n"
	  "index 5 is out of range for type 'long [5]'\n"
	  "Call Trace:\n <TASK>\n dump_stack_lvl+0x1/0x2\n ubsan_epilogue+0x1/0x2\n"
	  " __ubsan_handle_out_of_bounds+0x1/0x2\n shrink_lruvec+0x1/0x2\n </TASK>\n"
	  "================================================================================\n",
	  "UBSAN: array-index-out-of-bounds in shrink_lruvec", false },
	{ "==================================================================\n"
	  "BUG: KASAN: use-after-free in memcpy+0x1/0x2\n"
	  "Write of size 8 at addr ffff888100000000 by task a/1\n"
	  "Call Trace:\n kasan_report+0x1/0x2\n memcpy+0x1/0x2\n copy_mc_user_highpage+0x1/0x2\n",
	  "KASAN: use-after-free Write in copy_mc_user_highpage", false },
	{ "BUG: KASAN: double-free in free_pgtables+0x1/0x2\n", "KASAN: invalid-free in free_pgtables", true },
	{ "BUG: KASAN: wild-memory-access in f+0x1/0x2\nCall Trace:\n g+0x1/0x2\n", "KASAN: wild-memory-access in f", true },
	{ "BUG: KFENCE: use-after-free read in folio_try_get+0xb3/0x143\n\n"
	  "Use-after-free read at 0x000000007a2c1f3a (in kfence-#27):\n folio_try_get+0xb3/0x143\n",
	  "KFENCE: use-after-free read in folio_try_get", false },
	{ "BUG: KCSAN: data-race in a_fn / b_fn\n", "KCSAN: data-race in a_fn / b_fn", false },
	{ "general protection fault: 0000 [#1] SMP\nRIP: 0010:zap_pte_range+0x1/0x2\nCall Trace:\n f+0x1/0x2\n",
	  "general protection fault in zap_pte_range", false },
	{ "segment-related general protection fault: 0000 [#1] SMP\n", "general protection fault in corrupted", true },
	{ "divide error: 0000 [#1] PREEMPT SMP NOPTI\nRIP: 0010:compact_zone+0x1/0x2\nCall Trace:\n f+0x1/0x2\n",
	  "divide error in compact_zone", false },
	{ "Oops: stack segment: 0000 [#1] PREEMPT SMP NOPTI\n", "stack segment fault in corrupted", true },
	{ "Internal error: Oops: 0000000096000004 [#1] PREEMPT SMP\npc : folio_mapping+0x1/0x2\nCall trace:\n f+0x1/0x2\n",
	  "Oops in folio_mapping", false },
	{ "BUG: unable to handle kernel NULL pointer dereference at 0000000000000008\n"
	  "IP: [<ffffffff811a1b2c>] page_remove_rmap+0x1c/0x90\n"
	  "Oops: 0000 [#1] SMP\n"
	  "RIP: 0010:[<ffffffff811a1b2c>]  [<ffffffff811a1b2c>] page_remove_rmap+0x1c/0x90\n"
	  "Call Trace:\n try_to_unmap_one+0x1/0x2\n",
	  "BUG: unable to handle kernel NULL pointer dereference in page_remove_rmap", false },
	{ "BUG: unable to handle kernel paging request at ffffea0004e00008\n",
	  "BUG: unable to handle kernel paging request in corrupted", true },
	{ "BUG: unable to handle kernel \n", "BUG: unable to handle kernel", true },
	{ "list_del corruption, ffffea0004298048->next is LIST_POISON1 (dead000000000100)\n",
	  "BUG: corrupted list in corrupted", true },
	{ "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n",
	  "kernel panic: VFS: Unable to mount root fs on unknown-block(0,0)", false },
	{ "Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b\n",
	  "kernel panic: Attempted to kill init!", false },
	{ "Kernel panic - not syncing: Fatal exception in interrupt\n", "kernel panic: Fatal exception", true },
	{ "Kernel panic - not syncing: panic_on_warn set ...\n", "kernel panic: panic_on_warn set", true },
	/* interleaved console: the kernel line starts in the middle */
	{ "mmrepro: iteration 5[   38.911020] kernel BUG at mm/migrate.c:2720!\n", "kernel BUG in corrupted", true },
	{ "======================================================\n"
	  "WARNING: possible recursive locking detected\n", "possible deadlock in corrupted", true },
	{ "WARNING: suspicious RCU usage\n", "WARNING: suspicious RCU usage in corrupted", true },
	{ "[ BUG: Invalid wait context ]\n", "BUG: Invalid wait context in corrupted", true },
	{ "kmemleak: unreferenced object 0xffff888104a1c000 (size 64):\n"
	  "kmemleak:   backtrace (crc 5a1f9e0c):\n"
	  "kmemleak:     kmem_cache_alloc_noprof+0x24a/0x310\n"
	  "kmemleak:     anon_vma_clone+0x63/0x1f0\n", "memory leak in anon_vma_clone", false },
};

START_TEST(test_positive_lines)
{
	for (size_t i = 0; i < sizeof(positives) / sizeof(positives[0]); i++) {
		struct report r = parse_str(positives[i].log);
		ck_assert_msg(r.crash, "not flagged: %s", positives[i].log);
		ck_assert_msg(!strcmp(r.title, positives[i].title), "%s: title \"%s\", expected \"%s\"",
			      positives[i].log, r.title, positives[i].title);
		ck_assert_msg(r.corrupted == positives[i].corrupted, "%s: corrupted %d", positives[i].log, r.corrupted);
	}
}
END_TEST

static const char *const negatives[] = {
	"x86/cpu: User Mode Instruction Prevention (UMIP) activated\n",
	"ACPI: PM: (supports S0 S3 S4 S5)\n",
	"ACPI BIOS Error (bug): Could not resolve symbol [\\_SB.PCI0.LPCB.HEC], AE_NOT_FOUND (20240827/psargs-330)\n",
	"[Firmware Bug]: TSC_DEADLINE disabled due to Errata; please update microcode to version: 0x3a (or later)\n",
	"PCI: Using host bridge windows from ACPI; if necessary, use \"pci=nocrs\" and report a bug\n",
	"RAS: Correctable Errors collector initialized.\n",
	"cgroup: option changes via remount are deprecated (pid=1 comm=init)\n",
	"Cgroup memory moving (move_charge_at_immigrate) is deprecated. Please report your usecase to "
	"linux-mm@kvack.org if you depend on this functionality.\n",
	"memory cgroup charge migration is deprecated and will be removed soon\n",
	"qemu-system-x86_64: vfio: Cannot reset device 0000:00:03.0, no available reset mechanism.\n",
	"cma: Failed to reserve 1024 MiB on node -1\n",
	"warning: process `sysctl' used the deprecated sysctl system call with 1.23.\n",
	"Spectre V2 : WARNING: Unprivileged eBPF is enabled with eIBRS on, data leaks possible via Spectre v2 BHB attacks!\n",
	"WARNING: Unprivileged eBPF is enabled with eIBRS on\n",
	"WARNING: at least 2 GiB of memory is recommended\n",
	"WARNING: CPU count is low\n",
	"INFO: task list follows\n",
	"INFO: rcu_barrier not needed\n",
	"INFO: lockdep is turned off.\n",
	"INFO: NMI handler (perf_event_nmi_handler) took too long to run: 1.234 msecs\n",
	"traps: a.out[123] general protection fault ip:401136 sp:7ffd24b0 error:0 in a.out[401000+1000]\n",
	"traps: a.out[123] trap invalid opcode ip:401136 sp:7ffd24b0 error:0 in a.out[401000+1000]\n",
	"a.out[123]: segfault at 0 ip 0000000000401136 sp 00007ffd24b0 error 6 in a.out[401000+1000]\n",
	"Kernel command line: console=ttyS0 oops=panic panic=-1 panic_on_warn=1 softlockup_panic=1\n",
	"mmrepro: the seed says: kernel BUG at mm/migrate.c:2634!\n",
	"test: expected WARNING: CPU: 0 PID: 1 at foo.c:1 in the log\n",
	"---[ end Kernel panic - not syncing: Fatal exception ]---\n",
	"NMI watchdog: Perf NMI watchdog permanently disabled\n",
	"rcu: Preemptible hierarchical RCU implementation.\n",
	"BUG_ON() check disabled\n",
	"BUG: 123 is not a message\n",
	"kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)\n",
	/* the first boot's decompressor, before the kernel printed anything */
	"Decompressing Linux... Parsing ELF... done.\nBooting the kernel (entry_offset: 0x0000000000000000).\n",
	"page: refcount:1 mapcount:1 mapping:0000000000000000 index:0x0 pfn:0x10a400\n"
	"page dumped because: VM_BUG_ON_FOLIO(folio_test_lru(folio))\n",
	"Out of memory: Killed process 412 (memhog) total-vm:4198400kB, anon-rss:4063232kB\n",
	"hung_task: kernel.hung_task_timeout_secs = 120\n",
	"",
	"\n\n\r\n",
};

START_TEST(test_negative_lines)
{
	for (size_t i = 0; i < sizeof(negatives) / sizeof(negatives[0]); i++) {
		struct report r = parse_str(negatives[i]);
		ck_assert_msg(!r.crash, "flagged \"%s\" as \"%s\"", negatives[i], r.title);
		ck_assert_int_eq(r.start_line, 0);
		ck_assert_str_eq(r.title, "");
		ck_assert(!r.corrupted);
	}
}
END_TEST

/* ---- every report, in order ---------------------------------------------- */

static const char two_reports[] = "boot\n"
				  "WARNING: CPU: 0 PID: 1 at mm/a.c:1 first_func+0x1/0x2\n"
				  "Call Trace:\n x+0x1/0x2\n"
				  "---[ end trace 0000000000000000 ]---\n"
				  "kernel BUG at mm/b.c:2!\n"
				  "RIP: 0010:second_func+0x1/0x2\n"
				  "Call Trace:\n y+0x1/0x2\n"
				  "Kernel panic - not syncing: Fatal exception\n";

START_TEST(test_every_report_in_order)
{
	struct report r, *all;
	int n;

	/* a boot-time WARNING no longer masks the BUG after it */
	all = parse_all(two_reports, &n);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(all[0].title, "WARNING in first_func");
	ck_assert_int_eq(all[0].start_line, 2);
	ck_assert_int_eq(all[0].end_line, 5);
	ck_assert_str_eq(all[1].title, "kernel BUG in second_func");
	ck_assert_int_eq(all[1].start_line, 6);
	ck_assert_int_eq(all[1].end_line, 9);
	free(all);

	/* report_parse gives the first; report_parse_from walks the same list */
	r = parse_str(two_reports);
	ck_assert_str_eq(r.title, "WARNING in first_func");
	report_parse_from(two_reports, sizeof(two_reports) - 1, r.end_line + 1, &r);
	ck_assert_str_eq(r.title, "kernel BUG in second_func");
	report_parse_from(two_reports, sizeof(two_reports) - 1, r.end_line + 1, &r);
	ck_assert(!r.crash); /* the Fatal exception panic is the BUG's aftermath */
	report_parse_from(two_reports, sizeof(two_reports) - 1, 0, &r);
	ck_assert_int_eq(r.start_line, 2);
	/* from inside a report: the next one */
	report_parse_from(two_reports, sizeof(two_reports) - 1, 3, &r);
	ck_assert_str_eq(r.title, "kernel BUG in second_func");

	/* NULL log */
	ck_assert_int_eq(report_parse_all(NULL, 5, &all, &n), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_ptr_null(all);
}
END_TEST

START_TEST(test_aftermath_panics)
{
	struct report *all;
	int n;

	/* alone, the panic is the report, flagged corrupted (its cause was lost) */
	all = parse_all("x\nKernel panic - not syncing: Fatal exception\n", &n);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(all[0].title, "kernel panic: Fatal exception");
	ck_assert(all[0].corrupted);
	free(all);

	/* after a report, a hung-task panic is not one; kill init always is */
	all = parse_all("INFO: task a:1 blocked for more than 120 seconds.\n"
			"Call Trace:\n __schedule+0x1/0x2\n rtnl_lock+0x1/0x2\n f+0x1/0x2\n"
			"Kernel panic - not syncing: hung_task: blocked tasks\n"
			"Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000009\n", &n);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(all[0].title, "INFO: task hung in rtnl_lock");
	ck_assert_str_eq(all[1].title, "kernel panic: Attempted to kill init!");
	ck_assert(!all[1].corrupted);
	free(all);

	/* a reboot only once the kernel has printed */
	all = parse_all("Booting the kernel.\n[    0.000000] Linux version 6.12\nBooting the kernel.\n", &n);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(all[0].title, "unexpected kernel reboot");
	ck_assert_int_eq(all[0].start_line, 3);
	free(all);
}
END_TEST

START_TEST(test_report_range)
{
	struct report r;

	/* noise inside the trace is tolerated, the end marker closes it */
	r = parse_str("a\nb\n"
		      "------------[ cut here ]------------\n"
		      "sched: message of the WARN\n"
		      "second line of it\n"
		      "WARNING: CPU: 1 PID: 0 at arch/x86/kernel/smpboot.c:350 topology_sane.isra.0+0x5c/0x70\n"
		      "Call Trace:\n <TASK>\nuserspace noise\n set_cpu_sibling_map+0x2a4/0x5d0\n </TASK>\n"
		      "---[ end trace 0000000000000000 ]---\n"
		      "after\n");
	ck_assert_str_eq(r.title, "WARNING in topology_sane");
	ck_assert_int_eq(r.start_line, 3);
	ck_assert_int_eq(r.end_line, 12);

	/* no end marker: the report ends at its last trace line */
	r = parse_str("BUG: Bad page map in process a  pte:1 pmd:2\n"
		      "page: refcount:1 mapcount:-1 mapping:0000000000000000 index:0x0 pfn:0x1\n"
		      "Call Trace:\n <TASK>\n dump_stack_lvl+0x1/0x2\n print_bad_pte+0x1/0x2\n zap_pte_range+0x1/0x2\n"
		      " </TASK>\none\ntwo\nthree\nfour\nfive\n");
	ck_assert_str_eq(r.title, "BUG: Bad page map in zap_pte_range");
	ck_assert_int_eq(r.end_line, 8);

	/* log ends right after the header */
	r = parse_str("x\nkernel BUG at mm/migrate.c:2720!");
	ck_assert_int_eq(r.start_line, 2);
	ck_assert_int_eq(r.end_line, 2);

	/* cut here too far away is not claimed */
	r = parse_str("------------[ cut here ]------------\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n"
		      "kernel BUG at mm/migrate.c:2720!\n");
	ck_assert_int_eq(r.start_line, 13);
}
END_TEST

START_TEST(test_cut_here_of_the_next_report)
{
	struct report *all;
	int n;

	/* the second WARNING's cut here line is its own, not the first's */
	all = parse_all("WARNING: CPU: 0 PID: 1 at mm/a.c:1 f+0x1/0x2\nCall Trace:\n g+0x1/0x2\n"
			"------------[ cut here ]------------\n"
			"WARNING: CPU: 0 PID: 1 at mm/b.c:2 h+0x1/0x2\nCall Trace:\n i+0x1/0x2\n", &n);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(all[0].end_line, 3);
	ck_assert_int_eq(all[1].start_line, 4);
	free(all);
}
END_TEST

/* ---- guilty frames -------------------------------------------------------- */

START_TEST(test_stall_and_hang_extractors)
{
	struct report r;

	/* soft lockup: RIP in a lock helper; the frame above the first
	 * dispatcher (kthread) names it */
	r = parse_str("watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [a:1]\n"
		      "RIP: 0010:native_queued_spin_lock_slowpath+0x80/0x2c0\n"
		      "Call Trace:\n <IRQ>\n watchdog_timer_fn+0x1/0x2\n </IRQ>\n <TASK>\n"
		      " _raw_spin_lock+0x1/0x2\n __folio_split+0x1/0x2\n khugepaged+0x1/0x2\n kthread+0x1/0x2\n </TASK>\n");
	ck_assert_str_eq(r.title, "BUG: soft lockup in khugepaged");

	/* no dispatcher in a cut stack: the top frame (ours) */
	r = parse_str("watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [a:1]\n"
		      "RIP: 0010:native_queued_spin_lock_slowpath+0x80/0x2c0\n"
		      "Call Trace:\n <TASK>\n _raw_spin_lock+0x1/0x2\n __folio_split+0x1/0x2\n </TASK>\n");
	ck_assert_str_eq(r.title, "BUG: soft lockup in __folio_split");

	/* smp_call_function is its own anchor */
	r = parse_str("watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [a:1]\n"
		      "RIP: 0010:smp_call_function_many_cond+0x1/0x2\n"
		      "Call Trace:\n <TASK>\n on_each_cpu_cond_mask+0x1/0x2\n do_syscall_64+0x1/0x2\n </TASK>\n");
	ck_assert_str_eq(r.title, "BUG: soft lockup in smp_call_function_many_cond");

	/* RCU: the code the timer interrupt stopped; the syscall entry is an
	 * anchor and the syscall name loses its __x64_ prefix */
	r = parse_str("rcu: INFO: rcu_preempt self-detected stall on CPU\n"
		      "Call Trace:\n <IRQ>\n rcu_dump_cpu_stacks+0x1/0x2\n </IRQ>\n <TASK>\n"
		      " asm_sysvec_apic_timer_interrupt+0x1a/0x20\n"
		      "RIP: 0010:queued_spin_lock_slowpath+0x1/0x2\nCode: 00 00 <8b> 03\n"
		      "RSP: 0018:ffffc90000d0fc50 EFLAGS: 00000202\n"
		      " do_raw_spin_lock+0x1/0x2\n madvise_cold_or_pageout_pte_range+0x1/0x2\n"
		      " __x64_sys_madvise+0x1/0x2\n do_syscall_64+0x1/0x2\n </TASK>\n");
	ck_assert_str_eq(r.title, "INFO: rcu detected stall in sys_madvise");
	ck_assert(!r.corrupted);

	/* hung task: waits on synchronize_* are grouped as synchronize_rcu */
	r = parse_str("INFO: task a:1 blocked for more than 120 seconds.\n"
		      "Call Trace:\n <TASK>\n __schedule+0x1/0x2\n schedule+0x1/0x2\n synchronize_srcu+0x1/0x2\n"
		      " f+0x1/0x2\n </TASK>\n");
	ck_assert_str_eq(r.title, "INFO: task hung in synchronize_rcu");
	/* else the first frame that is not a way of waiting */
	r = parse_str("INFO: task a:1 blocked for more than 120 seconds.\n"
		      "Call Trace:\n <TASK>\n __schedule+0x1/0x2\n io_schedule+0x1/0x2\n folio_wait_bit_common+0x1/0x2\n"
		      " __folio_lock+0x1/0x2\n migrate_pages_batch+0x1/0x2\n </TASK>\n");
	ck_assert_str_eq(r.title, "INFO: task hung in migrate_pages_batch");
}
END_TEST

START_TEST(test_lockdep_frames)
{
	struct report r;

	/* circular: the function taking the new lock */
	r = parse_str("WARNING: possible circular locking dependency detected\n"
		      "a/1 is trying to acquire lock:\n"
		      "ffff888 (&mm->mmap_lock){++++}-{4:4}, at: do_user_addr_fault+0x3b0/0x1080\n"
		      "but task is already holding lock:\n"
		      "ffff889 (lock#4){+.+.}-{4:4}, at: __lru_add_drain_all+0x3f/0x1f0\n"
		      "stack backtrace:\nCall Trace:\n dump_stack_lvl+0x1/0x2\n f+0x1/0x2\n");
	ck_assert_str_eq(r.title, "possible deadlock in do_user_addr_fault");
	ck_assert(!r.corrupted);
	/* skipped there (a workqueue function): the held lock's */
	r = parse_str("WARNING: possible circular locking dependency detected\n"
		      "kworker/1 is trying to acquire lock:\n"
		      "ffff888 ((wq_completion)events){+.+.}-{0:0}, at: process_one_work+0x1/0x2\n"
		      "but task is already holding lock:\n"
		      "ffff889 (lock#4){+.+.}-{4:4}, at: __lru_add_drain_all+0x3f/0x1f0\n"
		      "Call Trace:\n f+0x1/0x2\n");
	ck_assert_str_eq(r.title, "possible deadlock in __lru_add_drain_all");
	/* bad unlock balance: the [<addr>] line after "is trying to release lock" */
	r = parse_str("WARNING: bad unlock balance detected!\n"
		      "a/1 is trying to release lock (&mm->mmap_lock) at:\n"
		      "[<ffffffff812f1c3a>] mmap_read_unlock+0x2a/0x40\n"
		      "but there are no more locks to release!\nCall Trace:\n f+0x1/0x2\n");
	ck_assert_str_eq(r.title, "WARNING: bad unlock balance in mmap_read_unlock");
	/* older kernels print "BUG:" with the same body */
	r = parse_str("BUG: held lock freed!\n"
		      "a/1 is freeing memory ffff-ffff, with a lock still held there!\n"
		      " (&anon_vma->rwsem){++++}, at: [<ffffffff811a0b0c>] unlink_anon_vmas+0x10f/0x1a0\n"
		      "Call Trace:\n f+0x1/0x2\n");
	ck_assert_str_eq(r.title, "BUG: held lock freed in unlink_anon_vmas");
}
END_TEST

START_TEST(test_frames)
{
	struct report r;

	/* all frames unreliable or skipped: corrupted, never a made-up frame */
	r = parse_str("BUG: Bad page state in process a  pfn:1\n"
		      "Call Trace:\n ? foo+0x1/0x2\n dump_stack_lvl+0x1/0x2\n bad_page+0x1/0x2\n");
	ck_assert_str_eq(r.title, "BUG: Bad page state in corrupted");
	ck_assert_str_eq(r.guilty_frame, "");
	ck_assert(r.corrupted);

	/* frames outside the first Call Trace (KASAN alloc stacks) are not used */
	r = parse_str("BUG: KASAN: use-after-free in kasan_check_range+0x1/0x2\n"
		      "Read of size 8 at addr ffff888100000000 by task a/1\n"
		      "Call Trace:\n <TASK>\n kasan_report+0x1/0x2\n </TASK>\n"
		      "Allocated by task 1:\n kasan_save_stack+0x1/0x2\n anon_vma_fork+0x1/0x2\n");
	ck_assert_str_eq(r.title, "KASAN: use-after-free Read in corrupted");
	ck_assert(r.corrupted);

	/* a Call Trace with no frame after it is a cut report */
	r = parse_str("BUG: KASAN: use-after-free in rmap_walk_anon+0x1/0x2\n"
		      "Read of size 8 at addr ffff888100000000 by task a/1\n"
		      "Call Trace:\n <TASK>\n rmap_walk_anon+0x1/0x2\n </TASK>\nAllocated by task 1:\n");
	ck_assert_str_eq(r.title, "KASAN: use-after-free Read in rmap_walk_anon");
	ck_assert(r.corrupted);
}
END_TEST

/* ---- robustness ----------------------------------------------------------- */

START_TEST(test_robustness)
{
	struct report r;

	ck_assert_int_eq(report_parse(NULL, 0, &r), 0);
	ck_assert(!r.crash);
	ck_assert_int_eq(report_parse("", 0, &r), 0);
	ck_assert(!r.crash);

	/* NUL bytes inside the log do not stop the scan */
	static const char nul[] = "a\0b\nc\0\0\nkernel BUG at mm/x.c:1!\nRIP: 0010:f\0oo+0x1/0x2\n";
	report_parse(nul, sizeof(nul) - 1, &r);
	ck_assert(r.crash);
	ck_assert_int_eq(r.start_line, 3);
	ck_assert_str_eq(r.title, "kernel BUG in corrupted");

	/* a header cut at the end of the buffer */
	report_parse("kernel BUG a", 12, &r);
	ck_assert(!r.crash);
	report_parse("BUG: ", 5, &r);
	ck_assert(!r.crash);
	report_parse("x [#", 4, &r);
	ck_assert(!r.crash);
	report_parse("WARNING: CPU: 1", 15, &r);
	ck_assert(!r.crash);

	/* only the first len bytes count */
	report_parse("ok\nkernel BUG at mm/x.c:1!\n", 3, &r);
	ck_assert(!r.crash);
}
END_TEST

START_TEST(test_huge_inputs)
{
	struct report r;
	size_t big = 4u << 20;
	char *s = malloc(big + 64);

	/* a huge line without a newline, then a report */
	ck_assert_ptr_nonnull(s);
	memset(s, 'B', big);
	strcpy(s + big, "\nBUG: Bad page state in process a  pfn:1\n");
	report_parse(s, strlen(s), &r);
	ck_assert(r.crash);
	ck_assert_int_eq(r.start_line, 2);

	/* very long function names and titles are truncated, not overflowed */
	strcpy(s, "kernel BUG at mm/x.c:1!\nRIP: 0010:");
	size_t o = strlen(s);
	memset(s + o, 'f', 1000);
	strcpy(s + o + 1000, "+0x1/0x2\n");
	report_parse(s, strlen(s), &r);
	ck_assert(r.crash);
	ck_assert_uint_lt(strlen(r.guilty_frame), sizeof(r.guilty_frame));
	ck_assert_uint_lt(strlen(r.title), sizeof(r.title));
	strcpy(s, "Kernel panic - not syncing: ");
	memset(s + strlen(s), 'x', 4000);
	s[4028] = 0;
	report_parse(s, strlen(s), &r);
	ck_assert(r.crash);
	ck_assert_uint_gt(strlen(r.title), 150);
	ck_assert_uint_lt(strlen(r.title), sizeof(r.title));
	free(s);
}
END_TEST

struct thread_job {
	const char *log;
	struct report first;
	int n;
};

static void *classify_in_thread(void *arg)
{
	struct thread_job *j = arg;
	struct report *all;

	for (int k = 0; k < 200; k++) {
		report_parse_all(j->log, strlen(j->log), &all, &j->n);
		if (j->n)
			j->first = all[0];
		free(all);
	}
	return NULL;
}

/* No hidden state: two threads may classify at once. */
START_TEST(test_threads)
{
	static const char kasan[] = "BUG: KASAN: slab-use-after-free in rmap_walk_anon+0x1/0x2\n"
				    "Read of size 8 at addr ffff888100000000 by task a/1\n"
				    "Call Trace:\n kasan_report+0x1/0x2\n rmap_walk_anon+0x1/0x2\n";
	struct thread_job jobs[2] = { { .log = two_reports }, { .log = kasan } };
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, classify_in_thread, &jobs[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	ck_assert_int_eq(jobs[0].n, 2);
	ck_assert_str_eq(jobs[0].first.title, "WARNING in first_func");
	ck_assert_int_eq(jobs[1].n, 1);
	ck_assert_str_eq(jobs[1].first.title, "KASAN: slab-use-after-free Read in rmap_walk_anon");
}
END_TEST

START_TEST(test_json)
{
	struct report r;
	char buf[1024];
	int n;

	memset(&r, 0, sizeof(r));
	n = report_to_json(&r, buf, sizeof(buf));
	ck_assert_str_eq(buf, "{\"crash\":false,\"title\":\"\",\"guilty_frame\":null,\"corrupted\":false,"
			      "\"start_line\":0,\"end_line\":0}");
	ck_assert_int_eq(n, (int)strlen(buf));

	r = parse_str("x\n------------[ cut here ]------------\nkernel BUG at mm/migrate.c:2720!\n"
		      "RIP: 0010:migrate_misplaced_folio+0x2d5/0x2f0\nCall Trace:\n f+0x1/0x2\n"
		      "---[ end trace 0000000000000000 ]---\n");
	report_to_json(&r, buf, sizeof(buf));
	ck_assert_str_eq(buf, "{\"crash\":true,\"title\":\"kernel BUG in migrate_misplaced_folio\","
			      "\"guilty_frame\":\"migrate_misplaced_folio\",\"corrupted\":false,"
			      "\"start_line\":2,\"end_line\":7}");

	/* escaping: quotes, backslash, controls, invalid UTF-8, valid UTF-8 */
	memset(&r, 0, sizeof(r));
	r.crash = r.corrupted = true;
	strcpy(r.title, "kernel panic: a \"quoted\" \\path\\ \t\x01 \xff\xfe \xc3\xa9 \xed\xa0\x80 \xe2\x82");
	strcpy(r.guilty_frame, "f\"o");
	r.start_line = 3;
	r.end_line = 4;
	n = report_to_json(&r, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_str_eq(buf, "{\"crash\":true,\"title\":\"kernel panic: a \\\"quoted\\\" \\\\path\\\\ \\t\\u0001 "
			      "\\ufffd\\ufffd \xc3\xa9 \\ufffd\\ufffd\\ufffd \\ufffd\\ufffd\","
			      "\"guilty_frame\":\"f\\\"o\",\"corrupted\":true,\"start_line\":3,\"end_line\":4}");
	struct json_object *o = json_tokener_parse(buf);
	ck_assert_ptr_nonnull(o);
	json_object_put(o);

	/* an unterminated title array is not read past its end */
	memset(r.title, 'x', sizeof(r.title));
	n = report_to_json(&r, buf, sizeof(buf));
	ck_assert_int_gt(n, (int)sizeof(r.title));

	/* too small a buffer */
	errno = 0;
	ck_assert_int_eq(report_to_json(&r, buf, 10), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(report_to_json(&r, buf, 0), -1);
}
END_TEST

START_TEST(test_line_symbol)
{
	struct report_symbol s;
	static const char frame[] = "[   38.1][ T387]  ? migrate_pages_batch.constprop.0+0x5d2/0xd70 [vfio]\r\n";
	static const char rip[] = "RIP: 0010:migrate_misplaced_folio+0x2d5/0x2f0";
	static const char at[] = "ffff (lock#4){+.+.}-{4:4}, at: __lru_add_drain_all+0x3f/0x1f0";

	ck_assert(report_line_symbol(frame, strlen(frame), &s));
	ck_assert_str_eq(s.name, "migrate_pages_batch");
	ck_assert_uint_eq(s.offset, 0x5d2);
	ck_assert_uint_eq(s.size, 0xd70);
	ck_assert_str_eq(s.module, "vfio");
	ck_assert(!s.reliable && s.return_address);
	ck_assert(!strncmp(s.start, "migrate_pages_batch.constprop.0+0x5d2/0xd70", s.len));

	ck_assert(report_line_symbol(rip, strlen(rip), &s));
	ck_assert_str_eq(s.name, "migrate_misplaced_folio");
	ck_assert(s.reliable && !s.return_address);
	ck_assert_str_eq(s.module, "");

	ck_assert(report_line_symbol(at, strlen(at), &s));
	ck_assert_str_eq(s.name, "__lru_add_drain_all");
	ck_assert_uint_eq(s.offset, 0x3f);

	ck_assert(!report_line_symbol("Code: 00 00 <8b> 03", 19, &s));
	ck_assert(!report_line_symbol("RIP: 0033:0x7f0b5a6f6719", 24, &s));
}
END_TEST

/* ---- page dumps ---------------------------------------------------------- */

/* 6.12's __dump_folio of a PMD-mapped THP (VM_WARN_ON_ONCE_FOLIO), with
 * printk caller fields and CRLF. */
static const char dump_612[] =
	"[   34.180223][  T387] mmrepro: numa-thp: moving task to node 1\r\n"
	"[   34.184344][  T387] page: refcount:513 mapcount:1 mapping:0000000000000000 index:0x7f8a40000 pfn:0x10a400\r\n"
	"[   34.186214][  T387] head: order:9 mapcount:1 entire_mapcount:1 nr_pages_mapped:0 pincount:0\r\n"
	"[   34.187000][  T387] memcg:ffff888104ac6000\r\n"
	"[   34.190129][  T387] anon flags: 0x17ffffc0000068(uptodate|lru|head|node=0|zone=2|lastcpupid=0x1fffff)\r\n"
	"[   34.194511][  T387] raw: 0017ffffc0000068 ffffea0004290008 ffffea0004298008 ffff888104ac6f01\r\n"
	"[   34.204121][  T387] head: 00000007f8a40000 0000000000000000 0000020100000000 ffff888104ac6000\r\n"
	"[   34.206008][  T387] page dumped because: VM_WARN_ON_ONCE_FOLIO(!folio_test_hugetlb(old) && !memcg)\r\n"
	"[   34.207000][  T387] ------------[ cut here ]------------\r\n"
	"[   34.208000][  T387] WARNING: CPU: 1 PID: 387 at mm/memcontrol.c:7763 mem_cgroup_migrate+0x1b5/0x1d0\r\n"
	"[   34.209000][  T387] RIP: 0010:mem_cgroup_migrate+0x1b5/0x1d0\r\n"
	"[   34.210000][  T387] Call Trace:\r\n"
	"[   34.211000][  T387]  migrate_folio_move+0x1a/0x40\r\n"
	"[   34.212000][  T387] ---[ end trace 0000000000000000 ]---\r\n";

/* 6.1's __dump_page of a tail page of a file THP, without timestamps:
 * "page:%p", "head:%p order:", dump_mapping's aops line, no type prefix. */
static const char dump_61[] =
	"boot\n"
	"page:00000000d7a1b2c3 refcount:3 mapcount:2 mapping:000000006f1e2d3c index:0x201 pfn:0x12a201\n"
	"head:00000000a9b8c7d6 order:2 compound_mapcount:0 compound_pincount:0\n"
	"memcg:ffff888100a1c000\n"
	"aops:shmem_aops ino:2a dentry name:\"memfd:x\"\n"
	"flags: 0x200000000081016(referenced|uptodate|lru|locked|swapbacked|head|node=0|zone=2) CMA\n"
	"raw: 0200000000000000 ffffea0004a88001 dead000000000122 0000000000000000\n"
	"head: 0200000000081016 ffffea0004a88001 dead000000000122 ffff888100a1c000\n"
	"page dumped because: VM_BUG_ON_FOLIO(!folio_test_locked(folio))\n"
	"------------[ cut here ]------------\n"
	"kernel BUG at mm/filemap.c:1534!\n"
	"invalid opcode: 0000 [#1] PREEMPT SMP PTI\n"
	"RIP: 0010:__filemap_remove_folio+0x3c/0x40\n"
	"Call Trace:\n"
	" <TASK>\n"
	" shmem_undo_range+0x2ee/0x6a0\n"
	" </TASK>\n"
	"---[ end trace 0000000000000000 ]---\n";

START_TEST(test_page_dump_612)
{
	struct report r = parse_str(dump_612);
	const struct report_page *p = &r.page;

	ck_assert_str_eq(r.title, "WARNING in mem_cgroup_migrate");
	ck_assert_int_eq(r.start_line, 2);
	ck_assert(p->present && !p->malformed && !p->poisoned);
	ck_assert_int_eq(p->line, 2);
	ck_assert_int_eq(p->refcount, 513);
	ck_assert_int_eq(p->mapcount, 1);
	ck_assert(p->have_mapping && p->mapping == 0);
	ck_assert_uint_eq(p->index, 0x7f8a40000UL);
	ck_assert(p->have_pfn && p->pfn == 0x10a400);
	ck_assert(p->large);
	ck_assert_int_eq(p->order, 9);
	ck_assert(p->have_memcg && p->memcg == 0xffff888104ac6000UL);
	ck_assert(p->anon && !p->ksm && !p->file);
	ck_assert(p->have_flags && p->flags_raw == 0x17ffffc0000068UL);
	ck_assert_str_eq(p->flags, "uptodate|lru|head");
	ck_assert(report_page_has_flag(p, "lru") && !report_page_has_flag(p, "lr"));
	ck_assert(!report_page_has_flag(p, "node"));
	ck_assert_str_eq(p->page_type, "");
	ck_assert_str_eq(p->reason, "VM_WARN_ON_ONCE_FOLIO(!folio_test_hugetlb(old) && !memcg)");
}
END_TEST

START_TEST(test_page_dump_61)
{
	struct report r = parse_str(dump_61);
	const struct report_page *p = &r.page;

	ck_assert_str_eq(r.title, "kernel BUG in __filemap_remove_folio");
	ck_assert_int_eq(r.start_line, 2);
	ck_assert(p->present && !p->malformed);
	ck_assert_int_eq(p->line, 2);
	ck_assert_int_eq(p->refcount, 3);
	ck_assert_int_eq(p->mapcount, 2);
	ck_assert(p->have_mapping && p->mapping == 0x6f1e2d3cUL);
	ck_assert_uint_eq(p->index, 0x201);
	ck_assert(p->have_pfn && p->pfn == 0x12a201);
	ck_assert(p->large);
	ck_assert_int_eq(p->order, 2);
	ck_assert(p->have_memcg && p->memcg == 0xffff888100a1c000UL);
	ck_assert(p->file && !p->anon && !p->ksm);
	ck_assert(p->have_flags && p->flags_raw == 0x200000000081016UL);
	ck_assert_str_eq(p->flags, "referenced|uptodate|lru|locked|swapbacked|head");
	ck_assert_str_eq(p->reason, "VM_BUG_ON_FOLIO(!folio_test_locked(folio))");

	/* the same dump as JSON, through json-c */
	char buf[8192];
	struct json_object *o, *v;
	ck_assert_int_gt(report_page_json(p, buf, sizeof(buf)), 0);
	ck_assert_ptr_nonnull(o = json_tokener_parse(buf));
	ck_assert(json_object_object_get_ex(o, "pfn", &v));
	ck_assert_str_eq(json_object_get_string(v), "0x12a201");
	ck_assert(json_object_object_get_ex(o, "nr_pages", &v));
	ck_assert_int_eq(json_object_get_int(v), 4);
	ck_assert(json_object_object_get_ex(o, "kind", &v));
	ck_assert_str_eq(json_object_get_string(v), "file");
	ck_assert(json_object_object_get_ex(o, "flags", &v));
	ck_assert_int_eq((int)json_object_array_length(v), 6);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(v, 3)), "locked");
	ck_assert(json_object_object_get_ex(o, "memcg", &v));
	ck_assert_str_eq(json_object_get_string(v), "0xffff888100a1c000");
	ck_assert(json_object_object_get_ex(o, "page_type", &v) && v == NULL);
	json_object_put(o);
	ck_assert_int_eq(report_page_json(p, buf, 40), -1);
	ck_assert_str_eq(buf, "");
}
END_TEST

/* A small anon page of 6.12's bad page state, a KASAN slab page, a 5.4
 * "page:%px" line without pfn and a ksm page. */
START_TEST(test_page_dump_kinds)
{
	struct report r = parse_str("BUG: Bad page state in process a  pfn:10a400\n"
				    "page: refcount:0 mapcount:1 mapping:0000000000000000 index:0x7f8a40000 pfn:0x10a400\n"
				    "flags: 0x17ffffc0000000(node=0|zone=2|lastcpupid=0x1fffff)\n"
				    "page_type: f5(slab)\n"
				    "page dumped because: nonzero mapcount\n"
				    "Call Trace:\n free_unref_folios+0x4b5/0x6e0\n");

	ck_assert(r.page.present && !r.page.large && r.page.order == 0);
	ck_assert_str_eq(r.page.flags, "");
	ck_assert_str_eq(r.page.page_type, "slab");
	ck_assert(!r.page.anon && !r.page.file);
	ck_assert_str_eq(r.page.reason, "nonzero mapcount");

	r = parse_str("BUG: Bad page map in process k  pte:8000000107a0b025\n"
		      "page:ffffea000269f500 refcount:1 mapcount:-1 mapping:ffff8880aa401c40 index:0x0 "
		      "compound_mapcount: 0\n"
		      "ksm flags: 0xfffe0000010000(head)\n"
		      "page dumped because: bad pte\nCall Trace:\n vm_normal_page+0x1/0x2\n");
	ck_assert(r.page.present && r.page.ksm && !r.page.file && !r.page.have_pfn);
	ck_assert_int_eq(r.page.mapcount, -1);
	ck_assert(r.page.large);
	ck_assert_int_eq(r.page.order, -1); /* compound, order not printed */
	char buf[8192];
	ck_assert_int_gt(report_page_json(&r.page, buf, sizeof(buf)), 0);
	ck_assert_ptr_nonnull(strstr(buf, "\"order\":null,\"nr_pages\":null"));
	ck_assert_ptr_nonnull(strstr(buf, "\"pfn\":null"));
}
END_TEST

/* The console is hostile: cut lines, junk values, long text, control bytes,
 * a dump outside any report, two dumps in one report. */
START_TEST(test_page_dump_hostile)
{
	char big[4096];
	struct report r;

	r = parse_str("page: refcount:1 mapcount:0 mapping:0 index:0x0 pfn:0x1\nflags: 0x1(lru)\n"
		      "page dumped because: not in a report\nfine\n");
	ck_assert(!r.crash && !r.page.present);

	r = parse_str("BUG: Bad page state in process a  pfn:1\n"
		      "page: refcount:x1 mapcount:1 mapping:0 index:0x0 pfn:0x1\n"
		      "Call Trace:\n f+0x1/0x2\n");
	ck_assert(r.crash && !r.page.present); /* no refcount: not a dump */

	r = parse_str("BUG: Bad page state in process a  pfn:1\n"
		      "page: refcount:1 mapcount:0 mapping:zz index:0x11112222333344445 pfn:0x1\n"
		      "memcg:ffff88810\x01\n"
		      "anon flags: 0x17ffffc0000068(uptodate|LRU\x1b[31m|lock\n"
		      "page_type: f5(sl ab)\n"
		      "page dumped because: bad\x1b[2J\x07 state\n"
		      "page: refcount:9 mapcount:9 mapping:0 index:0x0 pfn:0x2\n"
		      "Call Trace:\n f+0x1/0x2\n");
	ck_assert(r.page.present && r.page.malformed);
	ck_assert(!r.page.have_mapping && !r.page.have_memcg);
	ck_assert_int_eq(r.page.refcount, 1); /* the first dump, not the second */
	ck_assert_str_eq(r.page.flags, "uptodate"); /* "LRU..." rejected, "lock" cut */
	ck_assert_str_eq(r.page.page_type, "");
	ck_assert_str_eq(r.page.reason, "bad [2J  state");

	/* a reason far longer than its field; a flags list longer than its own */
	memset(big, 0, sizeof(big));
	strcpy(big, "BUG: Bad page state in process a  pfn:1\npage: refcount:1 mapcount:0 pfn:0x1\nflags: 0x1(");
	for (int i = 0; i < 100; i++)
		strcat(big, "referenced|");
	strcat(big, "lru)\npage dumped because: ");
	memset(big + strlen(big), 'y', 1500);
	strcat(big, "\nCall Trace:\n f+0x1/0x2\n");
	r = parse_str(big);
	ck_assert(r.page.present && r.page.malformed);
	ck_assert_uint_eq(strlen(r.page.reason), sizeof(r.page.reason) - 1);
	ck_assert_uint_lt(strlen(r.page.flags), sizeof(r.page.flags));
	ck_assert(report_page_has_flag(&r.page, "referenced"));

	/* poisoned: pr_warn without a newline runs into the reason */
	r = parse_str("BUG: Bad page state in process a  pfn:1\n"
		      "page:ffffea0004290000 is uninitialized and poisonedpage dumped because: nonzero mapcount\n"
		      "Call Trace:\n f+0x1/0x2\n");
	ck_assert(r.page.present && r.page.poisoned && !r.page.have_pfn);
	ck_assert_str_eq(r.page.reason, "nonzero mapcount");

	/* a dump cut off by the end of the log */
	r = parse_str("BUG: Bad page state in process a  pfn:1\npage: refcount:1 mapcount:0 pfn:0x1\nanon fla");
	ck_assert(r.page.present && !r.page.anon && !r.page.have_flags);
}
END_TEST

Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_table_is_well_formed);
	tcase_add_test(tc, test_prefix_variants);
	tcase_add_test(tc, test_die_header_of_control_bytes);
	tcase_add_test(tc, test_kbug_forms);
	tcase_add_test(tc, test_warning_forms);
	tcase_add_test(tc, test_warning_bug_classes);
	tcase_add_test(tc, test_positive_lines);
	tcase_add_test(tc, test_negative_lines);
	tcase_add_test(tc, test_every_report_in_order);
	tcase_add_test(tc, test_aftermath_panics);
	tcase_add_test(tc, test_report_range);
	tcase_add_test(tc, test_cut_here_of_the_next_report);
	tcase_add_test(tc, test_stall_and_hang_extractors);
	tcase_add_test(tc, test_lockdep_frames);
	tcase_add_test(tc, test_frames);
	tcase_add_test(tc, test_robustness);
	tcase_add_test(tc, test_huge_inputs);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_line_symbol);
	tcase_add_test(tc, test_page_dump_612);
	tcase_add_test(tc, test_page_dump_61);
	tcase_add_test(tc, test_page_dump_kinds);
	tcase_add_test(tc, test_page_dump_hostile);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, corpus_tcase());
	return s;
}
