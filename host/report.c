/* Kernel console classifier, in the spirit of syzkaller's pkg/report (but
 * with our own, smaller tables): find the first oops-like report in a raw
 * console log, give it a stable title and a guilty frame.
 *
 * One linear pass. Each line loses its printk prefix ("[   12.345678] ",
 * "[   12.345678][  T123] ", "<4>", trailing CR); the rest is checked for a
 * report header with a byte scan keyed on a few trigger characters, no
 * regex. Once a header is found, the lines after it are read as the report
 * body (RIP, Call Trace, end marker) and the scan stops.
 *
 * Self-contained on purpose: libc only, no util.c. */
#include "report.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Frames that are never the guilty one. Each is either an exact function
 * name or a prefix ending in '*'. Compiler suffixes (.isra.0, .constprop.0,
 * .part.0, .cold) are stripped before matching.
 *
 * Why each group is here:
 * - the oops/WARN/BUG machinery prints the report, it never causes it;
 * - page and list checkers (dump_page, bad_page, __list_del_entry_valid...)
 *   only detect a corruption made by their caller;
 * - lock primitives: a crash or hang inside _raw_spin_lock or mutex_lock is
 *   about the caller's lock (syzkaller does the same);
 * - schedule/wait primitives: a hung task is stuck in its caller's wait;
 * - timer, IRQ and NMI plumbing shows up in lockup and stall traces;
 * - KASAN/UBSAN/KFENCE reporting and the mem and str primitives they
 *   instrument: the bad access was made by the caller.
 *
 * Deliberately NOT skipped: __folio_* (e.g. __folio_split,
 * __folio_migrate_mapping, __folio_undo_large_rmappable: real mm logic,
 * often where the bug is), list_lru_* (real code, not list helpers), and the
 * fault path (handle_mm_fault, do_user_addr_fault): with a RIP they are
 * never reached, and without one they are the best we have. */
static const char *const skip_frames[] = {
	/* oops / WARN / BUG machinery */
	"dump_stack", "dump_stack_lvl", "__dump_stack", "show_stack",
	"show_stack_regs", "show_regs", "__show_regs", "show_trace_log_lvl",
	"sched_show_task", "warn_slowpath*", "__warn", "__warn_printk",
	"report_bug", "handle_bug", "exc_*", "asm_exc_*", "do_trap",
	"do_error_trap", "do_int3*", "die", "__die", "__die_body", "die_addr",
	"oops_*", "panic", "nmi_panic", "check_panic_on_warn", "page_fault_oops",
	"kernelmode_fixup_or_oops*", "no_context", "__bad_area_nosemaphore",
	"bad_area_nosemaphore", "fixup_exception",
	/* page, pte and list checkers */
	"dump_page", "__dump_page", "__dump_folio", "dump_mapping", "dump_vma",
	"dump_mm", "bad_page", "free_page_is_bad*", "check_new_page*",
	"check_free_page*", "print_bad_pte", "__list_add_valid*",
	"__list_del_entry_valid*", "__list_valid_slowpath", "__list_add",
	"__list_del", "__list_del_entry", "list_add", "list_add_tail",
	"list_del", "list_del_init", "list_move", "list_move_tail",
	"hlist_del*", "__hlist_del",
	/* lock primitives */
	"_raw_spin_*", "_raw_read_*", "_raw_write_*", "do_raw_spin_*",
	"do_raw_read_*", "do_raw_write_*", "native_queued_spin_lock_slowpath",
	"queued_spin_lock_slowpath", "__pv_queued_spin_lock_slowpath",
	"queued_read_lock_slowpath", "queued_write_lock_slowpath", "spin_bug",
	"spin_dump", "lock_acquire", "__lock_acquire", "lock_release",
	"__lock_release", "lock_acquired", "lock_contended", "lockdep_*",
	"__lockdep_*", "check_noncircular", "check_prev_add", "check_prevs_add",
	"validate_chain", "print_circular_bug", "print_usage_bug", "mark_lock*",
	"mutex_lock*", "__mutex_lock*", "mutex_unlock", "__mutex_unlock_slowpath",
	"mutex_trylock", "down_read*", "down_write*", "__down*", "up_read",
	"up_write", "rwsem_down_*", "percpu_down_*", "__percpu_down_*",
	"rt_mutex_*", "__rt_mutex_*", "rt_spin_*", "preempt_count_add",
	"preempt_count_sub", "__might_sleep", "___might_sleep", "__might_resched",
	"__might_fault",
	/* schedule and wait primitives */
	"__schedule", "schedule", "schedule_*", "preempt_schedule*",
	"io_schedule*", "context_switch", "__switch_to", "__switch_to_asm",
	"wait_for_completion*", "__wait_for_common", "do_wait_for_common",
	"wait_woken", "folio_wait_bit*", "__folio_lock", "__folio_lock_killable",
	"__folio_lock_or_retry", "folio_lock", "__lock_page*", "wait_on_page_bit*",
	"out_of_line_wait_on_bit*", "__wait_on_bit*", "bit_wait*",
	/* timer, IRQ and NMI plumbing */
	"watchdog_timer_fn", "__hrtimer_run_queues", "hrtimer_interrupt",
	"__sysvec_*", "sysvec_*", "asm_sysvec_*", "irq_exit_rcu",
	"__irq_exit_rcu", "handle_softirqs", "__do_softirq", "do_softirq*",
	"rcu_sched_clock_irq", "rcu_pending", "update_process_times", "tick_*",
	"print_cpu_stall*", "check_cpu_stall", "rcu_dump_cpu_stacks",
	"dump_cpu_task", "nmi_cpu_backtrace*", "nmi_trigger_cpumask_backtrace",
	"arch_trigger_cpumask_backtrace", "nmi_handle", "default_do_nmi",
	"end_repeat_nmi", "watchdog_overflow_callback",
	"watchdog_hardlockup_check", "__perf_event_overflow",
	"perf_event_nmi_handler",
	/* sanitizer reporting and the primitives they instrument */
	"kasan_*", "__kasan_*", "__asan_*", "check_region_inline",
	"check_memory_region*", "print_address_description*", "print_report",
	"describe_object*", "ubsan_*", "__ubsan_*", "kfence_*", "__kfence_*",
	"memcpy*", "memset*", "memmove*", "__memcpy*", "__memset*",
	"__memmove*", "memcmp", "strlen", "strnlen", "strcmp", "strncmp",
	"strcpy", "strncpy", "strscpy*",
};

/* Report kinds, in no particular order. */
enum kind {
	K_NONE,
	K_KBUG,           /* kernel BUG at mm/migrate.c:2720! */
	K_WARNING,        /* WARNING: CPU: 1 PID: 5 at file:line func+0x1/0x2 */
	K_PAGING,         /* BUG: unable to handle page fault for address: */
	K_NULLPTR,        /* BUG: kernel NULL pointer dereference, address: */
	K_GPF,            /* general protection fault...: 0000 [#1] */
	K_DIE,            /* other die() headers: invalid opcode: 0000 [#1] */
	K_BAD_PAGE_STATE, /* BUG: Bad page state in process ... */
	K_BAD_PAGE_MAP,   /* BUG: Bad page map in process ... */
	K_HUNG,           /* INFO: task X:1 blocked for more than 120 seconds. */
	K_RCU,            /* rcu: INFO: rcu_sched detected stalls on CPUs/tasks: */
	K_SOFTLOCKUP,     /* watchdog: BUG: soft lockup - CPU#0 stuck for 22s! */
	K_HARDLOCKUP,     /* watchdog: Watchdog detected hard LOCKUP on cpu 1 */
	K_KASAN,          /* BUG: KASAN: slab-use-after-free in func+0x1/0x2 */
	K_KFENCE,         /* BUG: KFENCE: use-after-free read in func+0x1/0x2 */
	K_UBSAN,          /* UBSAN: array-index-out-of-bounds in file:line:col */
	K_LIST,           /* list_del corruption. ... */
	K_LOCKDEP,        /* WARNING: possible circular locking dependency ... */
	K_BUG_OTHER,      /* any other "BUG: text" */
	K_PANIC,          /* Kernel panic - not syncing: msg */
};

/* Lockdep headers: kernel format, but not "WARNING: CPU:"; title prefix. */
static const struct {
	const char *header, *title;
} lockdep_headers[] = {
	{ "WARNING: possible circular locking dependency detected", "possible deadlock" },
	{ "WARNING: possible recursive locking detected", "possible deadlock" },
	{ "WARNING: possible irq lock inversion dependency detected", "possible deadlock" },
	{ "WARNING: inconsistent lock state", "inconsistent lock state" },
	{ "WARNING: suspicious RCU usage", "suspicious RCU usage" },
	{ "WARNING: bad unlock balance detected!", "bad unlock balance" },
};

/* Lines (after the prefix and leading blanks) that belong to a report
 * body: registers, trace headers, dump_page, KASAN, lockdep, stall details.
 * Used to find where a report without an end marker stops. */
static const char *const body_prefixes[] = {
	"RIP:", "RSP:", "RAX:", "RBX:", "RCX:", "RDX:", "RSI:", "RDI:", "RBP:",
	"R08:", "R09:", "R10:", "R11:", "R12:", "R13:", "R14:", "R15:", "FS:",
	"GS:", "CS:", "CR0:", "CR2:", "CR3:", "CR4:", "DR0:", "DR3:", "PKRU:",
	"Code:", "Call Trace:", "Call trace:", "Modules linked in:", "CPU:",
	"CPU#", "Hardware name:", "Workqueue:", "Tainted:", "Not tainted",
	"#PF:", "PGD ", "P4D ", "PUD ", "PMD ", "Oops", "invalid opcode",
	"---[ end", "------------[ cut here", "page:", "head:", "flags:", "raw:",
	"memcg:", "anon flags:", "ksm flags:", "page dumped because",
	"page_owner", "page_type:", "aops:", "addr:", "file:", "Read of size",
	"Write of size", "Free of addr", "The buggy address", "Allocated by task",
	"Freed by task", "Last potentially", "Second to last", "Memory state",
	"INFO:", "Sending NMI", "NMI backtrace", "task:", "Showing all locks",
	"stack backtrace:", "irq event stamp:", "hardirqs last", "softirqs last",
	"Kernel Offset:", "rcu:", "\"echo 0", "KASAN:", "Disabling lock debugging",
	"other info that", "Possible unsafe", "*** DEADLOCK", "the existing dependency",
	"-> #", "which lock already", "but task is already", "locks held by",
	"lock held by", "no locks held", "=====", "-----", "pc :", "lr :", "sp :",
	"note:", "Fixing recursive fault",
};

#define MAX_FRAMES 64
#define MAX_BODY_LINES 5000
#define UNREC_BEFORE_TRACE_END 40 /* interleaved noise tolerated in a body */
#define UNREC_AFTER_TRACE_END 3
#define CUT_HERE_WINDOW 10        /* WARN message lines between cut here and WARNING */
#define DUMP_PAGE_WINDOW 40       /* dump_page lines, page_owner lines */

struct frame {
	char name[128];
	bool reliable; /* not a "? func+0x1/0x2" guess */
	bool in_irq;   /* inside <IRQ>/<NMI>/<SOFTIRQ> */
};

struct hdr {
	enum kind kind;
	char text[200]; /* file:line, die description, sanitizer type, message */
	char func[128]; /* function named on the header line, if any */
	const char *lockdep_title;
};

struct body {
	struct hdr h;
	int start, end, last_rec;
	int unrec;
	bool done;
	bool trace_started, trace_done, in_irq;
	bool rip_seen;
	char rip[128];
	char access[8]; /* KASAN "Read" / "Write" */
	int nframes;
	struct frame frames[MAX_FRAMES];
};

/* ---- small string helpers on (pointer, length) ------------------------ */

static inline bool is_digit(unsigned char c) { return (unsigned)(c - '0') < 10u; }
static inline bool is_hex(unsigned char c)
{
	return is_digit(c) || (unsigned)((c | 0x20) - 'a') < 6u;
}
static inline bool is_space(unsigned char c) { return c == ' ' || c == '\t'; }
static inline bool is_sym(unsigned char c)
{
	return is_digit(c) || (unsigned)((c | 0x20) - 'a') < 26u || c == '_' ||
	       c == '.' || c == '$';
}

static bool has_prefix(const char *s, size_t n, const char *lit, size_t litn)
{
	return n >= litn && memcmp(s, lit, litn) == 0;
}
#define STARTS(s, n, lit) has_prefix((s), (n), (lit), sizeof(lit) - 1)

static const char *find_lit(const char *s, size_t n, const char *lit, size_t litn)
{
	return memmem(s, n, lit, litn);
}
#define FIND(s, n, lit) find_lit((s), (n), (lit), sizeof(lit) - 1)

static size_t trim_left(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && is_space(s[i]))
		i++;
	return i;
}

/* Copies [s, s+n) into dst, always NUL-terminated, dropping control bytes. */
static void copy_text(char *dst, size_t dstlen, const char *s, size_t n)
{
	size_t j = 0;

	for (size_t i = 0; i < n && j + 1 < dstlen; i++) {
		unsigned char c = s[i];
		dst[j++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	while (j > 0 && dst[j - 1] == ' ')
		j--;
	dst[j] = 0;
}

/* Length of the printk prefix: optional "<N>" level, "[ secs.usecs]"
 * timestamp, optional "[ T123]"/"[ C1]" caller field, and one space. */
static size_t printk_prefix(const char *s, size_t n)
{
	size_t i = 0, j;

	if (n >= 3 && s[0] == '<' && is_digit(s[1])) {
		for (j = 1; j < n && j < 5 && is_digit(s[j]); j++)
			;
		if (j < n && s[j] == '>')
			i = j + 1;
	}
	if (i >= n || s[i] != '[')
		return i;
	j = i + 1;
	while (j < n && s[j] == ' ')
		j++;
	size_t d = j;
	while (j < n && is_digit(s[j]))
		j++;
	if (j == d || j >= n || s[j] != '.')
		return i;
	size_t f = ++j;
	while (j < n && is_digit(s[j]))
		j++;
	if (j == f || j >= n || s[j] != ']')
		return i;
	i = j + 1;
	/* caller id: "[  T123]" or "[    C1]", maybe after one space */
	j = i;
	if (j + 1 < n && s[j] == ' ' && s[j + 1] == '[')
		j++;
	if (j < n && s[j] == '[') {
		size_t k = j + 1;
		while (k < n && s[k] == ' ')
			k++;
		if (k < n && (s[k] == 'T' || s[k] == 'C')) {
			size_t e = ++k;
			while (k < n && is_digit(s[k]))
				k++;
			if (k > e && k < n && s[k] == ']')
				i = k + 1;
		}
	}
	if (i < n && s[i] == ' ')
		i++;
	return i;
}

/* ---- symbols and frames ---------------------------------------------- */

/* Parses "func+0x1f2/0x2b0" at s (after blanks); stores the name without
 * compiler suffixes (".isra.0", ".constprop.0", ".cold"). Returns bytes
 * consumed, 0 if s is not such a symbol. */
static size_t parse_symbol(const char *s, size_t n, char *out, size_t outlen)
{
	size_t i = 0, j;

	while (i < n && is_sym(s[i]))
		i++;
	if (i == 0 || s[0] == '.' || !has_prefix(s + i, n - i, "+0x", 3))
		return 0;
	j = i + 3;
	size_t h = j;
	while (j < n && is_hex(s[j]))
		j++;
	if (j == h || !has_prefix(s + j, n - j, "/0x", 3))
		return 0;
	j += 3;
	h = j;
	while (j < n && is_hex(s[j]))
		j++;
	if (j == h)
		return 0;
	if (out) {
		size_t len = 0;
		while (len < i && s[len] != '.')
			len++;
		if (len >= outlen)
			len = outlen - 1;
		memcpy(out, s, len);
		out[len] = 0;
	}
	return j;
}

/* Skips old-style "[<ffffffff81234567>] " address groups. */
static size_t skip_addr_groups(const char *s, size_t n)
{
	size_t i = trim_left(s, n);

	while (i + 1 < n && s[i] == '[' && s[i + 1] == '<') {
		const char *e = memchr(s + i, ']', n - i);
		if (!e)
			break;
		i = (size_t)(e - s) + 1;
		i += trim_left(s + i, n - i);
	}
	return i;
}

/* A Call Trace line: " func+0x1/0x2", " ? func+0x1/0x2 [mod]",
 * " [<ffffffff8123>] func+0x1/0x2". */
static bool parse_frame(const char *s, size_t n, char *name, size_t namelen,
			bool *reliable)
{
	size_t i = skip_addr_groups(s, n);

	*reliable = true;
	if (i + 1 < n && s[i] == '?' && s[i + 1] == ' ') {
		*reliable = false;
		i += 2;
	}
	return parse_symbol(s + i, n - i, name, namelen) != 0;
}

/* "RIP: 0010:func+0x1/0x2", "RIP: 0010:[<ffffffff8123>]  [<...>] func+..",
 * arm64 "pc : func+0x1/0x2". Returns true if the line is a RIP line. */
static bool parse_rip(const char *t, size_t n, char *out, size_t outlen, bool *symbolic)
{
	size_t i;

	*symbolic = false;
	if (STARTS(t, n, "RIP: "))
		i = 5;
	else if (STARTS(t, n, "pc : "))
		i = 5;
	else
		return false;
	if (t[0] == 'R') {
		size_t j = i;
		while (j < n && is_hex(t[j]))
			j++;
		if (j < n && t[j] == ':')
			i = j + 1;
	}
	i += skip_addr_groups(t + i, n - i);
	*symbolic = parse_symbol(t + i, n - i, out, outlen) != 0;
	return true;
}

static bool skipped(const char *name)
{
	for (size_t k = 0; k < sizeof(skip_frames) / sizeof(skip_frames[0]); k++) {
		const char *p = skip_frames[k];
		size_t len = strlen(p);
		if (p[len - 1] == '*') {
			if (strncmp(name, p, len - 1) == 0)
				return true;
		} else if (strcmp(name, p) == 0) {
			return true;
		}
	}
	return false;
}

/* ---- header detection ------------------------------------------------- */

/* Reads "file:line" (first token) and an optional symbol after it, as on
 * "WARNING: ... at mm/memcontrol.c:5707 mem_cgroup_move_account+0x3d/0x3b0"
 * or "WARNING: ... at mem_cgroup_move_account+0x3d/0x3b0". */
static bool parse_at(const char *s, size_t n, struct hdr *h)
{
	size_t i = trim_left(s, n), e = i;

	while (e < n && !is_space(s[e]))
		e++;
	if (e == i)
		return false;
	if (parse_symbol(s + i, e - i, h->func, sizeof(h->func)))
		return true;
	const char *colon = memrchr(s + i, ':', e - i);
	if (!colon || colon + 1 >= s + e || !is_digit(colon[1]))
		return false;
	copy_text(h->text, sizeof(h->text), s + i, e - i);
	i = e + trim_left(s + e, n - e);
	parse_symbol(s + i, n - i, h->func, sizeof(h->func));
	return true;
}

/* Generic "BUG: text": keeps the words up to the first one that carries a
 * number, an address or a path, so that the title is stable. */
static void generic_bug_text(const char *s, size_t n, char *out, size_t outlen)
{
	static const char *const dangling[] = { "at", "in", "on", "for", "of", "from", "-" };
	char buf[200];
	size_t j = 0, i = 0;
	const char *inproc = FIND(s, n, " in process ");

	if (inproc)
		n = (size_t)(inproc - s);
	while (i < n && j + 2 < sizeof(buf)) {
		i += trim_left(s + i, n - i);
		size_t w = i;
		bool stop = false, skip = false, last = false;
		while (i < n && !is_space(s[i]))
			i++;
		size_t wl = i - w;
		if (wl == 0)
			break;
		if (s[w] == '[')
			skip = true;
		for (size_t k = w; k < w + wl && !skip; k++) {
			unsigned char c = s[k];
			if (is_digit(c) || c == '/' || c == '=' || c == '#' ||
			    ((c == ':' || c == ',') && k != w + wl - 1))
				stop = true;
		}
		if (stop)
			break;
		if (skip)
			continue;
		if (s[w + wl - 1] == ':' || s[w + wl - 1] == ',' || s[w + wl - 1] == '!') {
			wl--;
			last = true;
		}
		if (wl == 1 && s[w] == '-')
			break;
		if (j && j + 1 < sizeof(buf))
			buf[j++] = ' ';
		if (j + wl >= sizeof(buf))
			wl = sizeof(buf) - j - 1;
		memcpy(buf + j, s + w, wl);
		j += wl;
		if (last)
			break;
	}
	buf[j] = 0;
	/* drop a dangling preposition: "... invalid context at <path>" */
	for (bool again = true; again;) {
		again = false;
		char *sp = strrchr(buf, ' ');
		if (!sp)
			break;
		for (size_t k = 0; k < sizeof(dangling) / sizeof(dangling[0]); k++)
			if (!strcmp(sp + 1, dangling[k])) {
				*sp = 0;
				again = true;
				break;
			}
	}
	copy_text(out, outlen, buf, strlen(buf));
}

/* Whether a header at offset p of line t stands where the kernel prints
 * it: at the start of the message, right after a printk prefix embedded in
 * the line ("...] ", when console output got interleaved), or, if
 * subsys is set, after a pr_fmt prefix such as "watchdog: " or
 * "NMI watchdog: ". A header quoted in the middle of some other message
 * ("test: the seed says: kernel BUG at ...") is not a report. */
static bool anchored(const char *t, size_t p, bool subsys)
{
	size_t b = trim_left(t, p);

	if (b == p)
		return true;
	if (p >= 2 && t[p - 1] == ' ' && t[p - 2] == ']')
		return true;
	if (!subsys || p < 3 || t[p - 1] != ' ' || t[p - 2] != ':' || p - b > 32)
		return false;
	for (size_t i = b; i < p - 2; i++) {
		unsigned char c = t[i];
		if (!(is_sym(c) || c == ' ' || c == '/' || c == '-'))
			return false;
	}
	return true;
}

/* "BUG: " at s (p is its offset in the line t). */
static bool detect_bug(const char *t, size_t tn, size_t p, struct hdr *h)
{
	const char *s = t + p + 5;
	size_t n = tn - p - 5;

	if (!anchored(t, p, true))
		return false;
	if (STARTS(s, n, "unable to handle kernel NULL pointer dereference") ||
	    STARTS(s, n, "kernel NULL pointer dereference")) {
		h->kind = K_NULLPTR;
	} else if (STARTS(s, n, "unable to handle ")) {
		h->kind = K_PAGING;
	} else if (STARTS(s, n, "Bad page state")) {
		h->kind = K_BAD_PAGE_STATE;
	} else if (STARTS(s, n, "Bad page map")) {
		h->kind = K_BAD_PAGE_MAP;
	} else if (STARTS(s, n, "soft lockup")) {
		h->kind = K_SOFTLOCKUP;
	} else if (STARTS(s, n, "KASAN: ") || STARTS(s, n, "KFENCE: ")) {
		size_t o = s[1] == 'A' ? 7 : 8;
		const char *in = FIND(s + o, n - o, " in ");
		size_t tl = in ? (size_t)(in - s - o) : n - o;
		h->kind = s[1] == 'A' ? K_KASAN : K_KFENCE;
		copy_text(h->text, sizeof(h->text), s + o, tl);
		if (in) {
			const char *f = in + 4;
			parse_symbol(f, (size_t)(t + tn - f), h->func, sizeof(h->func));
		}
	} else {
		/* Generic "BUG: ...": the text must start with a letter. */
		unsigned char c = n ? (unsigned char)s[0] : 0;
		if (!((unsigned)((c | 0x20) - 'a') < 26u))
			return false;
		h->kind = K_BUG_OTHER;
		generic_bug_text(s, n, h->text, sizeof(h->text));
		if (!h->text[0])
			return false;
	}
	return true;
}

/* die() header: "<desc>: 0000 [#1] ..." with the '[' of "[#" at p. */
static bool detect_die(const char *t, size_t n, size_t p, struct hdr *h)
{
	if (p + 2 >= n || t[p + 1] != '#' || !is_digit(t[p + 2]) || p < 8 || t[p - 1] != ' ')
		return false;
	size_t e = p - 1, b = e;
	while (b > 0 && is_hex(t[b - 1]))
		b--;
	if (e - b < 4 || e - b > 16 || b < 2 || t[b - 1] != ' ' || t[b - 2] != ':')
		return false;
	size_t de = b - 2, ds = trim_left(t, de);
	if (has_prefix(t + ds, de - ds, "Internal error: ", 16))
		ds += 16;
	if (has_prefix(t + ds, de - ds, "Oops: ", 6))
		ds += 6;
	const char *gpf = FIND(t + ds, de - ds, "general protection fault");
	if (gpf) {
		h->kind = K_GPF;
		return true;
	}
	h->kind = K_DIE;
	const char *comma = memchr(t + ds, ',', de - ds);
	if (comma)
		de = (size_t)(comma - t);
	h->text[0] = '\0';
	if (de > ds)
		copy_text(h->text, sizeof(h->text), t + ds, de - ds);
	/* A description of only control bytes (serial garbage) copies to "". */
	if (!h->text[0])
		strcpy(h->text, "Oops");
	return true;
}

static bool detect_panic(const char *t, size_t n, size_t p, struct hdr *h)
{
	static const char lit[] = "Kernel panic - not syncing: ";
	const size_t litn = sizeof(lit) - 1;

	if (!has_prefix(t + p, n - p, lit, litn))
		return false;
	/* "---[ end Kernel panic - not syncing: ... ]---" closes a panic */
	if (p >= 4 && memcmp(t + p - 4, "end ", 4) == 0)
		return false;
	const char *m = t + p + litn;
	size_t mn = n - p - litn;
	const char *x = FIND(m, mn, " exitcode=");
	if (x)
		mn = (size_t)(x - m);
	h->kind = K_PANIC;
	copy_text(h->text, sizeof(h->text), m, mn);
	return true;
}

static bool detect_warning(const char *t, size_t n, size_t p, struct hdr *h)
{
	const char *s = t + p;
	size_t m = n - p;

	if (STARTS(s, m, "WARNING: CPU: ")) {
		/* "WARNING: CPU: 0 PID: 1 at <file:line func | func>" */
		size_t i = 14;
		if (i >= m || !is_digit(s[i]))
			return false;
		const char *at = FIND(s + i, m - i, " at ");
		if (!at || !FIND(s + i, (size_t)(at - s) - i, "PID: "))
			return false;
		h->kind = K_WARNING;
		size_t o = (size_t)(at - s) + 4;
		parse_at(s + o, m - o, h);
		return true;
	}
	if (STARTS(s, m, "WARNING: at ")) {
		/* old format: only with a file:line or symbol after "at " */
		if (!parse_at(s + 12, m - 12, h))
			return false;
		h->kind = K_WARNING;
		return true;
	}
	if (p == 0 || (p <= 8 && trim_left(t, p) == p)) {
		for (size_t k = 0; k < sizeof(lockdep_headers) / sizeof(lockdep_headers[0]); k++) {
			const char *lh = lockdep_headers[k].header;
			if (has_prefix(s, m, lh, strlen(lh))) {
				h->kind = K_LOCKDEP;
				h->lockdep_title = lockdep_headers[k].title;
				return true;
			}
		}
	}
	return false;
}

static bool trigger[256];

static void init_trigger(void)
{
	if (trigger['B'])
		return;
	trigger['B'] = trigger['W'] = trigger['K'] = trigger['I'] = true;
	trigger['U'] = trigger['['] = true;
}

/* Finds a report header in a line (prefix already stripped). */
static bool detect(const char *t, size_t n, struct hdr *h)
{
	memset(h, 0, sizeof(*h));
	size_t lead = trim_left(t, n);
	const char *s = t + lead;
	size_t sn = n - lead;

	/* list debugging prints its own line, always at the start */
	if (sn > 14 && s[0] == 'l' &&
	    (STARTS(s, sn, "list_add corruption") || STARTS(s, sn, "list_del corruption") ||
	     STARTS(s, sn, "list_add double add"))) {
		h->kind = K_LIST;
		return true;
	}
	for (size_t i = 0; i + 4 < n; i++) {
		unsigned char c = t[i];
		if (!trigger[c])
			continue;
		const char *p = t + i;
		size_t m = n - i;
		switch (c) {
		case 'B':
			if (p[1] != 'U' || p[2] != 'G')
				break;
			if (p[3] == ':' && p[4] == ' ') {
				if (detect_bug(t, n, i, h))
					return true;
			} else if (p[3] == ' ' && m > 7 && p[4] == 'a' && p[5] == 't' &&
				   p[6] == ' ' && i >= 7 &&
				   (memcmp(p - 7, "kernel ", 7) == 0 || memcmp(p - 7, "Kernel ", 7) == 0) &&
				   anchored(t, i - 7, false)) {
				/* kernel BUG at mm/migrate.c:2720!
				 * Kernel BUG at func+0x1/0x2 [verbose debug info unavailable] */
				h->kind = K_KBUG;
				const char *f = p + 7;
				size_t fn = m - 7;
				if (!parse_symbol(f, fn, h->func, sizeof(h->func))) {
					const char *bang = memchr(f, '!', fn);
					size_t l = bang ? (size_t)(bang - f) : fn;
					const char *sp = memchr(f, ' ', l);
					if (sp)
						l = (size_t)(sp - f);
					copy_text(h->text, sizeof(h->text), f, l);
				}
				return true;
			}
			break;
		case 'W':
			if (p[1] == 'A' && STARTS(p, m, "WARNING: ")) {
				if (anchored(t, i, false) && detect_warning(t, n, i, h))
					return true;
			} else if (p[1] == 'a' && STARTS(p, m, "Watchdog detected hard LOCKUP") &&
				   anchored(t, i, true)) {
				h->kind = K_HARDLOCKUP;
				return true;
			}
			break;
		case 'K':
			if (p[1] == 'e' && anchored(t, i, false) && detect_panic(t, n, i, h))
				return true;
			break;
		case 'I':
			if (p[1] != 'N' || !STARTS(p, m, "INFO: ") || !anchored(t, i, true))
				break;
			if (STARTS(p + 6, m - 6, "task ") &&
			    (FIND(p, m, " blocked for more than ") || FIND(p, m, " can't die for more than "))) {
				h->kind = K_HUNG;
				return true;
			}
			if (STARTS(p + 6, m - 6, "rcu") && FIND(p, m, "detected") && FIND(p, m, "stall")) {
				h->kind = K_RCU;
				return true;
			}
			break;
		case 'U':
			if (p[1] == 'B' && STARTS(p, m, "UBSAN: ") && anchored(t, i, false)) {
				const char *in = FIND(p + 7, m - 7, " in ");
				size_t tl = in ? (size_t)(in - p - 7) : m - 7;
				h->kind = K_UBSAN;
				copy_text(h->text, sizeof(h->text), p + 7, tl);
				return true;
			}
			break;
		case '[':
			if (p[1] == '#' && detect_die(t, n, i, h))
				return true;
			break;
		}
		if (h->kind || h->text[0] || h->func[0])
			memset(h, 0, sizeof(*h)); /* a sub-parser that gave up */
	}
	return false;
}

/* Whether a header of kind `inner` seen inside a report of kind `outer` is
 * part of it (e.g. the "Oops: invalid opcode" line after "kernel BUG at"). */
static bool absorbs(enum kind outer, enum kind inner)
{
	switch (outer) {
	case K_KBUG:
	case K_PAGING:
	case K_NULLPTR:
		return inner == K_DIE;
	case K_LIST:
		return inner == K_KBUG || inner == K_WARNING || inner == K_DIE;
	default:
		return false;
	}
}

/* ---- report body ------------------------------------------------------ */

static bool is_separator(const char *t, size_t n)
{
	size_t i = 0;

	while (i < n && t[i] == '=')
		i++;
	return i >= 20;
}

static bool body_prefix(const char *t, size_t n)
{
	for (size_t k = 0; k < sizeof(body_prefixes) / sizeof(body_prefixes[0]); k++) {
		const char *p = body_prefixes[k];
		if (n && t[0] == p[0] && has_prefix(t, n, p, strlen(p)))
			return true;
	}
	return false;
}

/* Register dump lines; inside a trace they belong to an interrupt frame. */
static bool reg_line(const char *t, size_t n)
{
	static const char *const regs[] = {
		"Code:", "RSP:", "RAX:", "RDX:", "RBP:", "R10:", "R13:", "FS:",
		"CS:", "CR2:", "DR0:", "DR3:", "PKRU:",
	};

	for (size_t k = 0; k < sizeof(regs) / sizeof(regs[0]); k++)
		if (has_prefix(t, n, regs[k], strlen(regs[k])))
			return true;
	return false;
}

static bool sanitizer_kind(enum kind k)
{
	return k == K_KASAN || k == K_KFENCE || k == K_UBSAN;
}

/* Reads one line after the header. c: content after the printk prefix. */
static void body_line(struct body *b, int ln, const char *c, size_t cn)
{
	size_t lead = trim_left(c, cn);
	const char *t = c + lead;
	size_t n = cn - lead;
	bool rec = false;
	char name[128];
	bool reliable, symbolic;

	if (n == 0)
		return; /* blank lines neither extend nor break a report */
	if (STARTS(t, n, "---[ end trace") ||
	    (b->h.kind == K_PANIC && STARTS(t, n, "---[ end Kernel panic"))) {
		b->end = ln;
		b->done = true;
		return;
	}
	if (sanitizer_kind(b->h.kind) && is_separator(t, n)) {
		b->end = ln;
		b->done = true;
		return;
	}

	struct hdr h;
	if (detect(c, cn, &h)) {
		if (!absorbs(b->h.kind, h.kind)) {
			b->done = true;
			return;
		}
		rec = true;
	} else if (parse_rip(t, n, name, sizeof(name), &symbolic)) {
		if (!b->rip_seen && symbolic) {
			b->rip_seen = true;
			strcpy(b->rip, name);
		}
		rec = true;
		/* a user-mode RIP (0033) closes a syscall trace; a kernel one
		 * inside a trace is an interrupt frame, the trace goes on */
		if (b->nframes && !symbolic)
			b->trace_done = true;
	} else if (STARTS(t, n, "Call Trace:") || STARTS(t, n, "Call trace:")) {
		if (b->trace_started)
			b->trace_done = true;
		b->trace_started = true;
		rec = true;
	} else if (t[0] == '<' && n <= 16 && t[n - 1] == '>') {
		/* <TASK> </TASK> <IRQ> </IRQ> <NMI> </NMI> <SOFTIRQ> <EOI> */
		if (STARTS(t, n, "</TASK>") && b->nframes)
			b->trace_done = true;
		b->in_irq = !(t[1] == '/' || STARTS(t, n, "<TASK>") || STARTS(t, n, "<EOI>"));
		rec = true;
	} else if (parse_frame(t, n, name, sizeof(name), &reliable)) {
		if (b->trace_started && !b->trace_done && b->nframes < MAX_FRAMES) {
			struct frame *f = &b->frames[b->nframes++];
			strcpy(f->name, name);
			f->reliable = reliable;
			f->in_irq = b->in_irq;
		}
		rec = true;
	} else if (body_prefix(t, n) || lead > 0) {
		if (b->h.kind == K_KASAN && !b->access[0]) {
			if (STARTS(t, n, "Read of size"))
				strcpy(b->access, "Read");
			else if (STARTS(t, n, "Write of size"))
				strcpy(b->access, "Write");
		}
		if (b->nframes && lead == 0 && !reg_line(t, n))
			b->trace_done = true;
		rec = true;
	} else if (sanitizer_kind(b->h.kind)) {
		rec = true; /* everything up to the closing ==== line */
	}

	if (rec) {
		b->last_rec = ln;
		b->unrec = 0;
	} else if (++b->unrec > (b->trace_done ? UNREC_AFTER_TRACE_END : UNREC_BEFORE_TRACE_END)) {
		b->done = true;
	}
	if (ln - b->start > MAX_BODY_LINES)
		b->done = true;
}

/* ---- guilty frame and title ------------------------------------------- */

static const char *first_frame(const struct body *b, bool allow_irq)
{
	for (int i = 0; i < b->nframes; i++) {
		const struct frame *f = &b->frames[i];
		if (f->reliable && (allow_irq || !f->in_irq) && !skipped(f->name))
			return f->name;
	}
	return NULL;
}

static const char *guilty(const struct body *b)
{
	const char *rip = b->rip_seen && !skipped(b->rip) ? b->rip : NULL;
	const char *hf = b->h.func[0] && !skipped(b->h.func) ? b->h.func : NULL;
	const char *f;

	switch (b->h.kind) {
	case K_WARNING: /* the function on the WARNING line */
	case K_KASAN:   /* BUG: KASAN: type in func+0x1/0x2 */
	case K_KFENCE:
	case K_KBUG:    /* Kernel BUG at func+0x1/0x2 [verbose debug info unavailable] */
		if (hf)
			return hf;
		return rip ? rip : first_frame(b, true);
	case K_PAGING:
	case K_NULLPTR:
	case K_GPF:
	case K_DIE:
	case K_LIST:
	case K_UBSAN:
		return rip ? rip : first_frame(b, true);
	case K_RCU:
	case K_SOFTLOCKUP:
	case K_HARDLOCKUP:
		/* The interrupted code; the <IRQ> part is the watchdog itself. */
		if (rip)
			return rip;
		f = first_frame(b, false);
		return f ? f : first_frame(b, true);
	default:
		/* dump_stack() reports: Bad page state/map, hung task, lockdep,
		 * other BUG: lines, panic */
		return first_frame(b, true);
	}
}

static void set_title(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_title(struct report *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->title, sizeof(r->title), fmt, ap);
	va_end(ap);
}

static void finish(const struct body *b, struct report *r)
{
	const struct hdr *h = &b->h;
	const char *g = guilty(b);
	char in[160] = "";

	r->crash = true;
	r->start_line = b->start;
	r->end_line = b->end ? b->end : (b->last_rec > b->start ? b->last_rec : b->start);
	if (g) {
		snprintf(r->guilty_frame, sizeof(r->guilty_frame), "%s", g);
		snprintf(in, sizeof(in), " in %s", g);
	}

	switch (h->kind) {
	case K_KBUG:
		if (g || !h->text[0])
			set_title(r, "kernel BUG%s", in);
		else
			set_title(r, "kernel BUG at %s", h->text);
		break;
	case K_WARNING:
		if (g || !h->text[0])
			set_title(r, "WARNING%s", in);
		else
			set_title(r, "WARNING at %s", h->text);
		break;
	case K_PAGING:
		set_title(r, "BUG: unable to handle kernel paging request%s", in);
		break;
	case K_NULLPTR:
		set_title(r, "BUG: unable to handle kernel NULL pointer dereference%s", in);
		break;
	case K_GPF:
		set_title(r, "general protection fault%s", in);
		break;
	case K_DIE:
		set_title(r, "%s%s", h->text, in);
		break;
	case K_BAD_PAGE_STATE:
		set_title(r, "BUG: Bad page state%s", in);
		break;
	case K_BAD_PAGE_MAP:
		set_title(r, "BUG: Bad page map%s", in);
		break;
	case K_HUNG:
		set_title(r, "INFO: task hung%s", in);
		break;
	case K_RCU:
		set_title(r, "INFO: rcu detected stall%s", in);
		break;
	case K_SOFTLOCKUP:
		set_title(r, "BUG: soft lockup%s", in);
		break;
	case K_HARDLOCKUP:
		set_title(r, "BUG: hard lockup%s", in);
		break;
	case K_KASAN:
		set_title(r, "KASAN: %s%s%s%s", h->text, b->access[0] ? " " : "", b->access, in);
		break;
	case K_KFENCE:
		set_title(r, "KFENCE: %s%s", h->text, in);
		break;
	case K_UBSAN:
		set_title(r, "UBSAN: %s%s", h->text, in);
		break;
	case K_LIST:
		set_title(r, "BUG: corrupted list%s", in);
		break;
	case K_LOCKDEP:
		set_title(r, "%s%s", h->lockdep_title, in);
		break;
	case K_BUG_OTHER:
		set_title(r, "BUG: %s%s", h->text, in);
		break;
	case K_PANIC:
		set_title(r, "kernel panic: %s", h->text);
		break;
	case K_NONE:
		break;
	}
}

/* ---- public API -------------------------------------------------------- */

int report_parse(const char *log, size_t len, struct report *r)
{
	return report_parse_from(log, len, 1, r);
}

int report_parse_from(const char *log, size_t len, int from_line, struct report *r)
{
	struct body *b = NULL;
	struct body bs;
	/* context seen before the header */
	int cut_line = 0, sep_line = 0, dump_start = 0, dump_reason = 0;
	int ln = 0;
	size_t pos = 0;

	memset(r, 0, sizeof(*r));
	if (!log)
		return 0;
	init_trigger();
	while (pos < len) {
		const char *line = log + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		pos += n + (nl ? 1 : 0);
		while (n > 0 && line[n - 1] == '\r')
			n--;
		if (++ln < from_line)
			continue;

		size_t off = printk_prefix(line, n);
		const char *c = line + off;
		size_t cn = n - off;

		if (b) {
			body_line(b, ln, c, cn);
			if (b->done)
				break;
			continue;
		}

		/* Context that a header may claim as the start of its report. */
		size_t lead = trim_left(c, cn);
		const char *t = c + lead;
		size_t tn = cn - lead;
		if (tn) {
			if (t[0] == '-' && STARTS(t, tn, "------------[ cut here ]"))
				cut_line = ln;
			else if (t[0] == '=' && is_separator(t, tn))
				sep_line = ln;
			else if (t[0] == 'p' && STARTS(t, tn, "page:")) {
				/* first line of a dump_page() block */
				dump_start = ln;
				dump_reason = 0;
			} else if (t[0] == 'p' && STARTS(t, tn, "page dumped because: VM_"))
				dump_reason = ln;
		}

		struct hdr h;
		if (!detect(c, cn, &h))
			continue;
		b = &bs;
		memset(b, 0, sizeof(*b));
		b->h = h;
		b->start = ln;
		b->last_rec = ln;
		if (cut_line && ln - cut_line <= CUT_HERE_WINDOW &&
		    (h.kind == K_KBUG || h.kind == K_WARNING || h.kind == K_LIST))
			b->start = cut_line;
		if (sep_line && sep_line == ln - 1 &&
		    (sanitizer_kind(h.kind) || h.kind == K_LOCKDEP))
			b->start = sep_line;
		if ((h.kind == K_KBUG || h.kind == K_WARNING) && dump_reason && dump_start &&
		    dump_start < dump_reason && ln - dump_reason <= DUMP_PAGE_WINDOW &&
		    dump_reason - dump_start <= DUMP_PAGE_WINDOW && dump_start < b->start)
			b->start = dump_start;
		/* "kernel BUG at lib/list_debug.c" whose message line was lost */
		if ((h.kind == K_KBUG || h.kind == K_WARNING) && STARTS(h.text, strlen(h.text), "lib/list_debug.c"))
			b->h.kind = K_LIST;
	}
	if (b)
		finish(b, r);
	return 0;
}

/* Appends s as a JSON string (quotes included); invalid UTF-8 becomes
 * U+FFFD so that the output is always valid JSON. */
static size_t json_str(char *out, size_t cap, size_t o, const char *s)
{
#define PUT(ch) do { if (o + 1 < cap) out[o] = (ch); o++; } while (0)
	const unsigned char *u = (const unsigned char *)s;
	PUT('"');
	while (*u) {
		unsigned char c = *u;
		if (c == '"' || c == '\\') {
			PUT('\\');
			PUT((char)c);
			u++;
		} else if (c < 0x20 || c == 0x7f) {
			char esc[8];
			const char *e = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" :
					c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;
			if (!e) {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				e = esc;
			}
			for (; *e; e++)
				PUT(*e);
			u++;
		} else if (c < 0x80) {
			PUT((char)c);
			u++;
		} else {
			/* validate one UTF-8 sequence */
			int len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 0;
			int k = 1;
			if (c >= 0xf5)
				len = 0;
			for (; len && k < len; k++)
				if ((u[k] & 0xc0) != 0x80)
					break;
			if (len && k == len) {
				/* reject overlongs and surrogates */
				uint32_t cp = len == 2 ? ((c & 0x1fu) << 6) | (u[1] & 0x3fu) :
					      len == 3 ? ((c & 0x0fu) << 12) | ((u[1] & 0x3fu) << 6) | (u[2] & 0x3fu) :
							 ((c & 0x07u) << 18) | ((u[1] & 0x3fu) << 12) |
								 ((u[2] & 0x3fu) << 6) | (u[3] & 0x3fu);
				if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
				    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
					len = 0;
			} else {
				len = 0;
			}
			if (len) {
				for (int i = 0; i < len; i++)
					PUT((char)u[i]);
				u += len;
			} else {
				for (const char *e = "\\ufffd"; *e; e++)
					PUT(*e);
				u++;
			}
		}
	}
	PUT('"');
	return o;
#undef PUT
}

int report_to_json(const struct report *r, char *buf, size_t len)
{
	char title[sizeof(r->title) + 1], frame[sizeof(r->guilty_frame) + 1], num[64];
	size_t o = 0;

	if (!buf || len == 0) {
		errno = ENOSPC;
		return -1;
	}
	/* the struct may come from anywhere: never read past its arrays */
	memcpy(title, r->title, sizeof(r->title));
	title[sizeof(r->title)] = 0;
	memcpy(frame, r->guilty_frame, sizeof(r->guilty_frame));
	frame[sizeof(r->guilty_frame)] = 0;

#define APPEND(str) do { const char *a_ = (str); for (; *a_; a_++) { if (o + 1 < len) buf[o] = *a_; o++; } } while (0)
	APPEND(r->crash ? "{\"crash\":true,\"title\":" : "{\"crash\":false,\"title\":");
	o = json_str(buf, len, o, title);
	APPEND(",\"guilty_frame\":");
	if (frame[0])
		o = json_str(buf, len, o, frame);
	else
		APPEND("null");
	snprintf(num, sizeof(num), ",\"start_line\":%d,\"end_line\":%d}", r->start_line, r->end_line);
	APPEND(num);
#undef APPEND
	if (o >= len) {
		buf[0] = 0;
		errno = ENOSPC;
		return -1;
	}
	buf[o] = 0;
	return (int)o;
}
