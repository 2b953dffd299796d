/* Unit tests for host/report.c: the console classifier.
 *
 * The corpus test reads every NAME.log / NAME.expect pair under
 * $MMREPRO_ROOT/tests/corpus (MMREPRO_ROOT defaults to "."). An .expect
 * file holds "key: value" lines: crash, title, guilty_frame (or null), and
 * optionally start_line and end_line; "source:" and unknown keys are
 * ignored. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "util.h"
#include "suites.h"

#define MIN_CORPUS 15

static struct report parse_str(const char *s)
{
	struct report r;

	ck_assert_int_eq(report_parse(s, strlen(s), &r), 0);
	return r;
}

/* ---- corpus ------------------------------------------------------------ */

struct expect {
	int crash; /* -1: missing */
	char title[256];
	char guilty[128];
	bool have_title, have_guilty;
	int start_line, end_line; /* -1: not given */
};

static void rstrip(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = 0;
}

static bool read_expect(const char *path, struct expect *e)
{
	FILE *f = fopen(path, "r");
	char line[1024];

	memset(e, 0, sizeof(*e));
	e->crash = -1;
	e->start_line = e->end_line = -1;
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':'), *v;
		rstrip(line);
		if (!colon || line[0] == '#')
			continue;
		*colon = 0;
		v = colon + 1;
		while (*v == ' ')
			v++;
		if (!strcmp(line, "crash"))
			e->crash = !strcmp(v, "true") ? 1 : !strcmp(v, "false") ? 0 : -1;
		else if (!strcmp(line, "title"))
			e->have_title = snprintf(e->title, sizeof(e->title), "%s", v) >= 0;
		else if (!strcmp(line, "guilty_frame"))
			e->have_guilty = snprintf(e->guilty, sizeof(e->guilty), "%s",
						  strcmp(v, "null") ? v : "") >= 0;
		else if (!strcmp(line, "start_line"))
			e->start_line = atoi(v);
		else if (!strcmp(line, "end_line"))
			e->end_line = atoi(v);
	}
	fclose(f);
	return true;
}

/* The JSON form must parse and agree with the struct. */
static int check_json(const char *name, const struct report *r)
{
	char buf[1024];
	int fails = 0;
	struct json_object *o, *v;

	if (report_to_json(r, buf, sizeof(buf)) < 0) {
		fprintf(stderr, "corpus %s: report_to_json failed\n", name);
		return 1;
	}
	o = json_tokener_parse(buf);
	if (!o) {
		fprintf(stderr, "corpus %s: invalid JSON: %s\n", name, buf);
		return 1;
	}
	if (!json_object_object_get_ex(o, "crash", &v) || json_object_get_boolean(v) != r->crash)
		fails++;
	if (!json_object_object_get_ex(o, "title", &v) || strcmp(json_object_get_string(v), r->title))
		fails++;
	if (!json_object_object_get_ex(o, "guilty_frame", &v) ||
	    (r->guilty_frame[0] ? !v || strcmp(json_object_get_string(v), r->guilty_frame) : v != NULL))
		fails++;
	if (!json_object_object_get_ex(o, "start_line", &v) || json_object_get_int(v) != r->start_line)
		fails++;
	if (!json_object_object_get_ex(o, "end_line", &v) || json_object_get_int(v) != r->end_line)
		fails++;
	if (json_object_object_length(o) != 5)
		fails++;
	if (fails)
		fprintf(stderr, "corpus %s: JSON disagrees with the report: %s\n", name, buf);
	json_object_put(o);
	return fails ? 1 : 0;
}

START_TEST(test_corpus)
{
	const char *root = getenv("MMREPRO_ROOT");
	char dir[4096], path[4600];
	struct dirent **list;
	int n, entries = 0, failures = 0;

	snprintf(dir, sizeof(dir), "%s/tests/corpus", root && *root ? root : ".");
	n = scandir(dir, &list, NULL, alphasort);
	ck_assert_msg(n >= 0, "cannot read %s: %s", dir, strerror(errno));
	for (int i = 0; i < n; i++) {
		const char *name = list[i]->d_name;
		size_t nl = strlen(name), len;
		struct expect e;
		struct report r;
		char *log;

		if (nl < 5 || strcmp(name + nl - 4, ".log")) {
			free(list[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%.*s.expect", dir, (int)(nl - 4), name);
		if (!read_expect(path, &e) || e.crash < 0) {
			fprintf(stderr, "corpus %s: missing or bad .expect (%s)\n", name, path);
			failures++;
			free(list[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		log = read_file(path, &len);
		if (!log) {
			fprintf(stderr, "corpus %s: cannot read\n", name);
			failures++;
			free(list[i]);
			continue;
		}
		entries++;
		report_parse(log, len, &r);
		free(log);
		if (r.crash != (e.crash == 1)) {
			fprintf(stderr, "corpus %s: crash %d, expected %d (title \"%s\" lines %d-%d)\n",
				name, r.crash, e.crash, r.title, r.start_line, r.end_line);
			failures++;
		} else if (r.crash) {
			if (e.have_title && strcmp(r.title, e.title)) {
				fprintf(stderr, "corpus %s: title \"%s\", expected \"%s\"\n", name, r.title, e.title);
				failures++;
			}
			if (e.have_guilty && strcmp(r.guilty_frame, e.guilty)) {
				fprintf(stderr, "corpus %s: guilty_frame \"%s\", expected \"%s\"\n", name,
					r.guilty_frame, e.guilty);
				failures++;
			}
			if ((e.start_line >= 0 && r.start_line != e.start_line) ||
			    (e.end_line >= 0 && r.end_line != e.end_line)) {
				fprintf(stderr, "corpus %s: lines %d-%d, expected %d-%d\n", name,
					r.start_line, r.end_line, e.start_line, e.end_line);
				failures++;
			}
		} else if (r.title[0] || r.guilty_frame[0] || r.start_line || r.end_line) {
			fprintf(stderr, "corpus %s: no crash but fields set\n", name);
			failures++;
		}
		failures += check_json(name, &r);
		free(list[i]);
	}
	free(list);
	ck_assert_msg(entries >= MIN_CORPUS, "corpus %s has %d entries, need at least %d", dir,
		      entries, MIN_CORPUS);
	ck_assert_msg(failures == 0, "%d corpus failure(s), see stderr", failures);
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

/* Found by fuzz_report: a die() header whose description is only control
 * bytes must still get a title. */
START_TEST(test_die_header_of_control_bytes)
{
	static const char log[] = "\x01,x: 0000 [#1] SMP\n";
	struct report r;

	report_parse(log, sizeof(log) - 1, &r);
	ck_assert(r.crash);
	ck_assert_str_eq(r.title, "Oops");
}
END_TEST

START_TEST(test_prefix_variants)
{
	const char *(*pfx[])(int, char *) = { pfx_none, pfx_ts, pfx_caller, pfx_level, pfx_ts_space_caller };
	const char *eols[] = { "\n", "\r\n", "\r\r\n" };

	for (size_t p = 0; p < sizeof(pfx) / sizeof(pfx[0]); p++)
		for (size_t e = 0; e < sizeof(eols) / sizeof(eols[0]); e++) {
			char *log = render(pfx[p], eols[e]);
			struct report r = parse_str(log);
			ck_assert_msg(r.crash, "prefix %zu eol %zu", p, e);
			ck_assert_str_eq(r.title, "kernel BUG in migrate_misplaced_folio");
			ck_assert_str_eq(r.guilty_frame, "migrate_misplaced_folio");
			ck_assert_int_eq(r.start_line, 2);
			ck_assert_int_eq(r.end_line, 14);
			free(log);
		}
}
END_TEST

START_TEST(test_kbug_without_rip)
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
	ck_assert_int_eq(r.end_line, 9);

	/* nothing symbolic at all: keep file:line */
	r = parse_str("kernel BUG at mm/migrate.c:2720!\nOops: invalid opcode: 0000 [#1] SMP\n");
	ck_assert(r.crash);
	ck_assert_str_eq(r.title, "kernel BUG at mm/migrate.c:2720");
	ck_assert_str_eq(r.guilty_frame, "");
	ck_assert_int_eq(r.start_line, 1);
	ck_assert_int_eq(r.end_line, 2);

	/* old kernels: address groups before the symbol */
	r = parse_str("kernel BUG at mm/huge_memory.c:2011!\n"
		      "RIP: 0010:[<ffffffff811d3c5e>]  [<ffffffff811d3c5e>] __split_huge_page+0x1de/0x210\n");
	ck_assert_str_eq(r.title, "kernel BUG in __split_huge_page");
	r = parse_str("kernel BUG at mm/huge_memory.c:2011!\n"
		      "Call Trace:\n"
		      " [<ffffffff811d4a1b>] ? dump_page+0x1b/0x20\n"
		      " [<ffffffff811d4a1b>] split_huge_page_to_list+0x7b/0x90\n");
	ck_assert_str_eq(r.title, "kernel BUG in split_huge_page_to_list");

	/* verbose debug info unavailable: the function is on the header */
	r = parse_str("Kernel BUG at migrate_misplaced_folio+0x2d5/0x2f0 [verbose debug info unavailable]\n");
	ck_assert_str_eq(r.title, "kernel BUG in migrate_misplaced_folio");
}
END_TEST

START_TEST(test_warning_forms)
{
	struct report r;

	r = parse_str("WARNING: CPU: 1 PID: 5 at mm/memcontrol.c:5706 mem_cgroup_move_account+0x3d/0x3b0\n");
	ck_assert_str_eq(r.title, "WARNING in mem_cgroup_move_account");
	ck_assert_str_eq(r.guilty_frame, "mem_cgroup_move_account");
	r = parse_str("WARNING: CPU: 0 PID: 1 at mem_cgroup_move_account+0x3d/0x3b0 [memcg_mod]\n");
	ck_assert_str_eq(r.title, "WARNING in mem_cgroup_move_account");
	r = parse_str("WARNING: at mm/page_alloc.c:2411 __alloc_pages_nodemask+0x2b7/0x8d0()\n");
	ck_assert_str_eq(r.title, "WARNING in __alloc_pages_nodemask");
	/* function unknown, RIP known */
	r = parse_str("WARNING: CPU: 0 PID: 1 at mm/rmap.c:1234 0xffffffff81234567\n"
		      "RIP: 0010:folio_add_anon_rmap_ptes+0x1/0x2\n");
	ck_assert_str_eq(r.title, "WARNING in folio_add_anon_rmap_ptes");
	/* nothing symbolic */
	r = parse_str("WARNING: CPU: 0 PID: 1 at mm/rmap.c:1234 0xffffffff81234567\n");
	ck_assert_str_eq(r.title, "WARNING at mm/rmap.c:1234");
	ck_assert_str_eq(r.guilty_frame, "");
	/* a WARNING in a list checker is a list corruption */
	r = parse_str("WARNING: CPU: 0 PID: 1 at lib/list_debug.c:62 __list_del_entry_valid_or_report+0x1/0x2\n"
		      "RIP: 0010:__list_del_entry_valid_or_report+0x1/0x2\n"
		      "Call Trace:\n"
		      " <TASK>\n"
		      " ? __warn+0x1/0x2\n"
		      " free_pcppages_bulk+0x1/0x2\n"
		      " </TASK>\n"
		      "---[ end trace 0000000000000000 ]---\n");
	ck_assert_str_eq(r.title, "BUG: corrupted list in free_pcppages_bulk");
	ck_assert_int_eq(r.end_line, 8);
}
END_TEST

/* Single lines (or short blocks) and the title they must get. */
static const struct {
	const char *log, *title;
} positives[] = {
	{ "watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [kworker/0:1:12]\n", "BUG: soft lockup" },
	{ "INFO: task kworker/u4:2:58 blocked for more than 122 seconds.\n", "INFO: task hung" },
	{ "INFO: task khugepaged:52 can't die for more than 143 seconds.\n", "INFO: task hung" },
	{ "rcu: INFO: rcu_sched detected stalls on CPUs/tasks:\n", "INFO: rcu detected stall" },
	{ "rcu: INFO: rcu_preempt detected expedited stalls on CPUs/tasks: { 1-... } 21002 jiffies s: 889 root: 0x2/.\n",
	  "INFO: rcu detected stall" },
	{ "INFO: rcu_sched self-detected stall on CPU { 0}  (t=21000 jiffies g=1234 c=1233 q=55)\n",
	  "INFO: rcu detected stall" },
	{ "NMI watchdog: Watchdog detected hard LOCKUP on cpu 1\n", "BUG: hard lockup" },
	{ "BUG: workqueue lockup - pool cpus=0 node=0 flags=0x0 nice=0 stuck for 31s!\n", "BUG: workqueue lockup" },
	{ "BUG: scheduling while atomic: kworker/0:1/12/0x00000002\n", "BUG: scheduling while atomic" },
	{ "BUG: using smp_processor_id() in preemptible [00000000] code: numa/12\n",
	  "BUG: using smp_processor_id() in preemptible code" },
	{ "BUG: Bad page cache in process a.out  pfn:10a40\n", "BUG: Bad page cache" },
	{ "BUG: Bad page state: 3 messages suppressed\n", "BUG: Bad page state" },
	{ "UBSAN: array-index-out-of-bounds in mm/vmscan.c:123:45\n"
	  "index 5 is out of range for type 'long [5]'\n"
	  "Call Trace:\n"
	  " <TASK>\n"
	  " dump_stack_lvl+0x1/0x2\n"
	  " ubsan_epilogue+0x1/0x2\n"
	  " __ubsan_handle_out_of_bounds+0x1/0x2\n"
	  " shrink_lruvec+0x1/0x2\n"
	  " </TASK>\n"
	  "================================================================================\n",
	  "UBSAN: array-index-out-of-bounds in shrink_lruvec" },
	{ "==================================================================\n"
	  "BUG: KASAN: use-after-free in memcpy+0x1/0x2\n"
	  "Write of size 8 at addr ffff888100000000 by task a/1\n"
	  "Call Trace:\n"
	  " kasan_report+0x1/0x2\n"
	  " memcpy+0x1/0x2\n"
	  " copy_mc_user_highpage+0x1/0x2\n",
	  "KASAN: use-after-free Write in copy_mc_user_highpage" },
	{ "BUG: KASAN: double-free in free_pgtables+0x1/0x2\n", "KASAN: double-free in free_pgtables" },
	{ "BUG: KFENCE: use-after-free read in folio_try_get+0xb3/0x143\n",
	  "KFENCE: use-after-free read in folio_try_get" },
	{ "general protection fault: 0000 [#1] SMP\nRIP: 0010:zap_pte_range+0x1/0x2\n",
	  "general protection fault in zap_pte_range" },
	{ "segment-related general protection fault: 0000 [#1] SMP\n", "general protection fault" },
	{ "divide error: 0000 [#1] PREEMPT SMP NOPTI\nRIP: 0010:compact_zone+0x1/0x2\n", "divide error in compact_zone" },
	{ "Oops: stack segment: 0000 [#1] PREEMPT SMP NOPTI\n", "stack segment" },
	{ "Internal error: Oops: 0000000096000004 [#1] PREEMPT SMP\npc : folio_mapping+0x1/0x2\n",
	  "Oops in folio_mapping" },
	{ "BUG: unable to handle kernel NULL pointer dereference at 0000000000000008\n"
	  "IP: [<ffffffff811a1b2c>] foo+0x1/0x2\n"
	  "Oops: 0000 [#1] SMP\n"
	  "RIP: 0010:[<ffffffff811a1b2c>]  [<ffffffff811a1b2c>] page_remove_rmap+0x1c/0x90\n",
	  "BUG: unable to handle kernel NULL pointer dereference in page_remove_rmap" },
	{ "BUG: unable to handle kernel paging request at ffffea0004e00008\n",
	  "BUG: unable to handle kernel paging request" },
	{ "list_del corruption, ffffea0004298048->next is LIST_POISON1 (dead000000000100)\n",
	  "BUG: corrupted list" },
	{ "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n",
	  "kernel panic: VFS: Unable to mount root fs on unknown-block(0,0)" },
	{ "Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b\n",
	  "kernel panic: Attempted to kill init!" },
	/* interleaved console: the kernel line starts in the middle */
	{ "mmrepro: iteration 5[   38.911020] kernel BUG at mm/migrate.c:2720!\n", "kernel BUG at mm/migrate.c:2720" },
	{ "======================================================\n"
	  "WARNING: possible recursive locking detected\n", "possible deadlock" },
	{ "WARNING: suspicious RCU usage\n", "suspicious RCU usage" },
};

START_TEST(test_positive_lines)
{
	for (size_t i = 0; i < sizeof(positives) / sizeof(positives[0]); i++) {
		struct report r = parse_str(positives[i].log);
		ck_assert_msg(r.crash, "not flagged: %s", positives[i].log);
		ck_assert_msg(!strcmp(r.title, positives[i].title), "%s: title \"%s\", expected \"%s\"",
			      positives[i].log, r.title, positives[i].title);
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
	"Please report your usecase to linux-mm@kvack.org if you depend on this functionality.\n",
	"qemu-system-x86_64: vfio: Cannot reset device 0000:00:03.0, no available reset mechanism.\n",
	"cma: Failed to reserve 1024 MiB on node -1\n",
	"warning: process `sysctl' used the deprecated sysctl system call with 1.23.\n",
	"Spectre V2 : WARNING: Unprivileged eBPF is enabled with eIBRS on, data leaks possible via Spectre v2 BHB attacks!\n",
	"WARNING: at least 2 GiB of memory is recommended\n",
	"WARNING: CPU count is low\n",
	"INFO: task list follows\n",
	"INFO: rcu_barrier not needed\n",
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
	}
}
END_TEST

START_TEST(test_first_report_wins)
{
	struct report r;

	r = parse_str("boot\n"
		      "WARNING: CPU: 0 PID: 1 at mm/a.c:1 first_func+0x1/0x2\n"
		      "---[ end trace 0000000000000000 ]---\n"
		      "kernel BUG at mm/b.c:2!\n"
		      "RIP: 0010:second_func+0x1/0x2\n");
	ck_assert_str_eq(r.title, "WARNING in first_func");
	ck_assert_int_eq(r.start_line, 2);
	ck_assert_int_eq(r.end_line, 3);

	/* walking the reports one after the other */
	static const char two[] = "boot\n"
				  "WARNING: CPU: 0 PID: 1 at mm/a.c:1 first_func+0x1/0x2\n"
				  "---[ end trace 0000000000000000 ]---\n"
				  "kernel BUG at mm/b.c:2!\n"
				  "RIP: 0010:second_func+0x1/0x2\n";
	report_parse_from(two, sizeof(two) - 1, r.end_line + 1, &r);
	ck_assert_str_eq(r.title, "kernel BUG in second_func");
	ck_assert_int_eq(r.start_line, 4);
	ck_assert_int_eq(r.end_line, 5);
	report_parse_from(two, sizeof(two) - 1, r.end_line + 1, &r);
	ck_assert(!r.crash);
	report_parse_from(two, sizeof(two) - 1, 0, &r);
	ck_assert_int_eq(r.start_line, 2);

	/* a panic after a report is not the report */
	r = parse_str("BUG: Bad page state in process a  pfn:1\n"
		      "Call Trace:\n"
		      " bad_page+0x1/0x2\n"
		      " free_unref_folios+0x1/0x2\n"
		      "Kernel panic - not syncing: Fatal exception\n");
	ck_assert_str_eq(r.title, "BUG: Bad page state in free_unref_folios");
	ck_assert_int_eq(r.end_line, 4);

	/* the next hung task closes the first one */
	r = parse_str("INFO: task a:1 blocked for more than 120 seconds.\n"
		      "task:a state:D stack:0 pid:1 tgid:1 ppid:0 flags:0x00004000\n"
		      "Call Trace:\n"
		      " <TASK>\n"
		      " __schedule+0x1/0x2\n"
		      " io_schedule+0x1/0x2\n"
		      " folio_wait_bit_common+0x1/0x2\n"
		      " migrate_pages_batch+0x1/0x2\n"
		      " </TASK>\n"
		      "INFO: task b:2 blocked for more than 120 seconds.\n");
	ck_assert_str_eq(r.title, "INFO: task hung in migrate_pages_batch");
	ck_assert_int_eq(r.end_line, 9);
}
END_TEST

START_TEST(test_report_range)
{
	struct report r;

	/* noise inside the trace is tolerated, the end marker closes it */
	r = parse_str("a\n"
		      "b\n"
		      "------------[ cut here ]------------\n"
		      "sched: message of the WARN\n"
		      "second line of it\n"
		      "WARNING: CPU: 1 PID: 0 at arch/x86/kernel/smpboot.c:350 topology_sane.isra.0+0x5c/0x70\n"
		      "Call Trace:\n"
		      " <TASK>\n"
		      "userspace noise\n"
		      " set_cpu_sibling_map+0x2a4/0x5d0\n"
		      " </TASK>\n"
		      "---[ end trace 0000000000000000 ]---\n"
		      "after\n");
	ck_assert_str_eq(r.title, "WARNING in topology_sane");
	ck_assert_int_eq(r.start_line, 3);
	ck_assert_int_eq(r.end_line, 12);

	/* no end marker: the report ends at its last trace line */
	r = parse_str("BUG: Bad page map in process a  pte:1 pmd:2\n"
		      "page: refcount:1 mapcount:-1 mapping:0000000000000000 index:0x0 pfn:0x1\n"
		      "Call Trace:\n"
		      " <TASK>\n"
		      " dump_stack_lvl+0x1/0x2\n"
		      " print_bad_pte+0x1/0x2\n"
		      " zap_pte_range+0x1/0x2\n"
		      " </TASK>\n"
		      "one\ntwo\nthree\nfour\nfive\n");
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

START_TEST(test_frames)
{
	struct report r;

	/* soft lockup: RIP in a lock helper, IRQ part skipped */
	r = parse_str("watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [a:1]\n"
		      "RIP: 0010:native_queued_spin_lock_slowpath+0x80/0x2c0\n"
		      "Call Trace:\n"
		      " <IRQ>\n"
		      " watchdog_timer_fn+0x1/0x2\n"
		      " some_irq_handler+0x1/0x2\n"
		      " </IRQ>\n"
		      " <TASK>\n"
		      " _raw_spin_lock+0x1/0x2\n"
		      " __folio_split+0x1/0x2\n"
		      " </TASK>\n");
	ck_assert_str_eq(r.title, "BUG: soft lockup in __folio_split");
	ck_assert_str_eq(r.guilty_frame, "__folio_split");

	/* a register dump inside the trace (interrupt frame) does not end it */
	r = parse_str("rcu: INFO: rcu_preempt self-detected stall on CPU\n"
		      "Call Trace:\n"
		      " <IRQ>\n"
		      " rcu_dump_cpu_stacks+0x1/0x2\n"
		      " </IRQ>\n"
		      " <TASK>\n"
		      " asm_sysvec_apic_timer_interrupt+0x1a/0x20\n"
		      "RIP: 0010:queued_spin_lock_slowpath+0x1/0x2\n"
		      "Code: 00 00 <8b> 03\n"
		      "RSP: 0018:ffffc90000d0fc50 EFLAGS: 00000202\n"
		      " do_raw_spin_lock+0x1/0x2\n"
		      " khugepaged_scan_mm_slot+0x1/0x2\n"
		      " </TASK>\n");
	ck_assert_str_eq(r.title, "INFO: rcu detected stall in khugepaged_scan_mm_slot");

	/* all frames unreliable or skipped: no guilty frame */
	r = parse_str("BUG: Bad page state in process a  pfn:1\n"
		      "Call Trace:\n"
		      " ? foo+0x1/0x2\n"
		      " dump_stack_lvl+0x1/0x2\n"
		      " bad_page+0x1/0x2\n");
	ck_assert_str_eq(r.title, "BUG: Bad page state");
	ck_assert_str_eq(r.guilty_frame, "");

	/* frames outside the first Call Trace (KASAN alloc stacks) are not used */
	r = parse_str("BUG: KASAN: use-after-free in kasan_check_range+0x1/0x2\n"
		      "Read of size 8 at addr ffff888100000000 by task a/1\n"
		      "Call Trace:\n"
		      " <TASK>\n"
		      " kasan_report+0x1/0x2\n"
		      " </TASK>\n"
		      "Allocated by task 1:\n"
		      " kasan_save_stack+0x1/0x2\n"
		      " anon_vma_fork+0x1/0x2\n");
	ck_assert_str_eq(r.title, "KASAN: use-after-free Read");
}
END_TEST

START_TEST(test_robustness)
{
	struct report r;
	char buf[64];

	ck_assert_int_eq(report_parse(NULL, 0, &r), 0);
	ck_assert(!r.crash);
	ck_assert_int_eq(report_parse("", 0, &r), 0);
	ck_assert(!r.crash);

	/* NUL bytes inside the log do not stop the scan */
	static const char nul[] = "a\0b\nc\0\0\nkernel BUG at mm/x.c:1!\nRIP: 0010:f\0oo+0x1/0x2\n";
	report_parse(nul, sizeof(nul) - 1, &r);
	ck_assert(r.crash);
	ck_assert_int_eq(r.start_line, 3);
	ck_assert_str_eq(r.title, "kernel BUG at mm/x.c:1");

	/* a header cut at the end of the buffer */
	static const char cut[] = "kernel BUG a";
	report_parse(cut, sizeof(cut) - 1, &r);
	ck_assert(!r.crash);
	report_parse("BUG: ", 5, &r);
	ck_assert(!r.crash);
	report_parse("x [#", 4, &r);
	ck_assert(!r.crash);
	report_parse("WARNING: CPU: 1", 15, &r);
	ck_assert(!r.crash);

	/* only the first len bytes count */
	static const char part[] = "ok\nkernel BUG at mm/x.c:1!\n";
	report_parse(part, 3, &r);
	ck_assert(!r.crash);

	/* a huge line without a newline, then a report */
	size_t big = 4u << 20;
	char *s = malloc(big + 64);
	ck_assert_ptr_nonnull(s);
	memset(s, 'B', big);
	strcpy(s + big, "\nBUG: Bad page state in process a  pfn:1\n");
	report_parse(s, strlen(s), &r);
	ck_assert(r.crash);
	ck_assert_int_eq(r.start_line, 2);
	free(s);

	/* very long function names and titles are truncated, not overflowed */
	s = malloc(8192);
	ck_assert_ptr_nonnull(s);
	strcpy(s, "kernel BUG at mm/x.c:1!\nRIP: 0010:");
	size_t o = strlen(s);
	memset(s + o, 'f', 1000);
	strcpy(s + o + 1000, "+0x1/0x2\n");
	report_parse(s, strlen(s), &r);
	ck_assert(r.crash);
	ck_assert_uint_lt(strlen(r.guilty_frame), sizeof(r.guilty_frame));
	ck_assert_uint_lt(strlen(r.title), sizeof(r.title));
	free(s);
	s = malloc(8192);
	ck_assert_ptr_nonnull(s);
	strcpy(s, "Kernel panic - not syncing: ");
	memset(s + strlen(s), 'x', 4000);
	s[4028] = 0;
	report_parse(s, strlen(s), &r);
	ck_assert(r.crash);
	ck_assert_uint_gt(strlen(r.title), 150);
	ck_assert_uint_lt(strlen(r.title), sizeof(r.title));
	free(s);
	(void)buf;
}
END_TEST

START_TEST(test_json)
{
	struct report r;
	char buf[1024];
	int n;

	memset(&r, 0, sizeof(r));
	n = report_to_json(&r, buf, sizeof(buf));
	ck_assert_str_eq(buf, "{\"crash\":false,\"title\":\"\",\"guilty_frame\":null,\"start_line\":0,\"end_line\":0}");
	ck_assert_int_eq(n, (int)strlen(buf));

	r = parse_str("x\n------------[ cut here ]------------\nkernel BUG at mm/migrate.c:2720!\n"
		      "RIP: 0010:migrate_misplaced_folio+0x2d5/0x2f0\n---[ end trace 0000000000000000 ]---\n");
	report_to_json(&r, buf, sizeof(buf));
	ck_assert_str_eq(buf, "{\"crash\":true,\"title\":\"kernel BUG in migrate_misplaced_folio\","
			      "\"guilty_frame\":\"migrate_misplaced_folio\",\"start_line\":2,\"end_line\":5}");

	/* escaping: quotes, backslash, controls, invalid UTF-8, valid UTF-8 */
	memset(&r, 0, sizeof(r));
	r.crash = true;
	strcpy(r.title, "kernel panic: a \"quoted\" \\path\\ \t\x01 \xff\xfe \xc3\xa9 \xed\xa0\x80 \xe2\x82");
	strcpy(r.guilty_frame, "f\"o");
	r.start_line = 3;
	r.end_line = 4;
	n = report_to_json(&r, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_str_eq(buf, "{\"crash\":true,\"title\":\"kernel panic: a \\\"quoted\\\" \\\\path\\\\ \\t\\u0001 "
			      "\\ufffd\\ufffd \xc3\xa9 \\ufffd\\ufffd\\ufffd \\ufffd\\ufffd\","
			      "\"guilty_frame\":\"f\\\"o\",\"start_line\":3,\"end_line\":4}");
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

Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_corpus);
	tcase_add_test(tc, test_prefix_variants);
	tcase_add_test(tc, test_die_header_of_control_bytes);
	tcase_add_test(tc, test_kbug_without_rip);
	tcase_add_test(tc, test_warning_forms);
	tcase_add_test(tc, test_positive_lines);
	tcase_add_test(tc, test_negative_lines);
	tcase_add_test(tc, test_first_report_wins);
	tcase_add_test(tc, test_report_range);
	tcase_add_test(tc, test_frames);
	tcase_add_test(tc, test_robustness);
	tcase_add_test(tc, test_json);
	suite_add_tcase(s, tc);
	return s;
}
