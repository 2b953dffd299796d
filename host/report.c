/* Kernel console classifier after syzkaller's pkg/report/linux.go: finds
 * every oops-like report of a raw console log, in order, and gives each the
 * title syzkaller would, a guilty frame and a corrupted flag.
 *
 * One linear pass. Each line loses its printk prefix ("[   12.345678] ",
 * "[   12.345678][  T123] ", "<4>", trailing CR); the message is checked
 * for a report header: a const table of families (below), each row one
 * header pattern, its title format and its guilty-frame rule, as in
 * syzkaller's oops table. No regex: literal prefixes and substrings, tried
 * only where a header can start (see detect). Once a header is found, the
 * lines after it are read as the report body (RIP, Call Trace, lockdep
 * "at:" lines, end marker) until the report ends, then the scan goes on.
 *
 * No global state and no allocation but report_parse_all's array, so
 * threads may classify at once. Self-contained on purpose: libc and text.c only. */
#include "report.h"
#include "text.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small string helpers on (pointer, length) ------------------------ */

struct span {
	const char *p;
	size_t n;
};

static inline bool is_digit(unsigned char c) { return (unsigned)(c - '0') < 10u; }
static inline bool is_alpha(unsigned char c) { return (unsigned)((c | 0x20) - 'a') < 26u; }
static inline bool is_hex(unsigned char c)
{
	return is_digit(c) || (unsigned)((c | 0x20) - 'a') < 6u;
}
static inline bool is_space(unsigned char c) { return c == ' ' || c == '\t'; }
static inline bool is_sym(unsigned char c)
{
	return is_digit(c) || is_alpha(c) || c == '_' || c == '.' || c == '$';
}

static bool has_prefix(const char *s, size_t n, const char *lit, size_t litn)
{
	return n >= litn && memcmp(s, lit, litn) == 0;
}
#define STARTS(s, n, lit) has_prefix((s), (n), (lit), sizeof(lit) - 1)
#define FIND(s, n, lit) ((const char *)memmem((s), (n), (lit), sizeof(lit) - 1))

static bool starts_str(const char *s, size_t n, const char *lit)
{
	return has_prefix(s, n, lit, strlen(lit));
}

static const char *find_str(const char *s, size_t n, const char *lit)
{
	return memmem(s, n, lit, strlen(lit));
}

static size_t trim_left(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && is_space(s[i]))
		i++;
	return i;
}

/* Copies [s, s+n) into dst, always NUL-terminated, control bytes turned
 * into spaces and trailing spaces dropped. */
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

/* "[   12.345678]": returns the length of the bracket, 0 if s is not one. */
static size_t timestamp_len(const char *s, size_t n)
{
	size_t j = 1, d, f;

	if (n < 4 || s[0] != '[')
		return 0;
	while (j < n && s[j] == ' ')
		j++;
	for (d = j; j < n && is_digit(s[j]); j++)
		;
	if (j == d || j >= n || s[j] != '.')
		return 0;
	for (f = ++j; j < n && is_digit(s[j]); j++)
		;
	return j > f && j < n && s[j] == ']' ? j + 1 : 0;
}

/* "[  T123]" or "[    C1]" (CONFIG_PRINTK_CALLER): its length, or 0. */
static size_t caller_len(const char *s, size_t n)
{
	size_t k = 1, e;

	if (n < 3 || s[0] != '[')
		return 0;
	while (k < n && s[k] == ' ')
		k++;
	if (k >= n || (s[k] != 'T' && s[k] != 'C'))
		return 0;
	for (e = ++k; k < n && is_digit(s[k]); k++)
		;
	return k > e && k < n && s[k] == ']' ? k + 1 : 0;
}

/* Length of the printk prefix: optional "<N>" level, "[ secs.usecs]"
 * timestamp, optional caller field (maybe after one space), one space.
 * *stamped tells whether a timestamp was there. */
static size_t printk_prefix(const char *s, size_t n, bool *stamped)
{
	size_t i = 0, j, t;

	if (n >= 3 && s[0] == '<' && is_digit(s[1])) {
		for (j = 1; j < n && j < 5 && is_digit(s[j]); j++)
			;
		if (j < n && s[j] == '>')
			i = j + 1;
	}
	t = timestamp_len(s + i, n - i);
	*stamped = t > 0;
	if (!t)
		return i;
	i += t;
	j = i + (i + 1 < n && s[i] == ' ' && s[i + 1] == '[');
	if ((t = caller_len(s + j, n - j)))
		i = j + t;
	if (i < n && s[i] == ' ')
		i++;
	return i;
}

/* ---- symbols and frames ------------------------------------------------ */

/* Reads up to 16 hex digits; returns how many, 0 if none. */
static size_t read_hex(const char *s, size_t n, unsigned long *v)
{
	size_t i = 0;

	*v = 0;
	while (i < n && is_hex(s[i])) {
		if (i < 16)
			*v = *v << 4 | (unsigned long)(is_digit(s[i]) ? s[i] - '0' : (s[i] | 0x20) - 'a' + 10);
		i++;
	}
	return i;
}

/* Parses "func+0x1f2/0x2b0" at s. The name stops at the first '.', so
 * compiler suffixes (.isra.0, .constprop.0, .part.0, .cold) are dropped.
 * Returns the bytes consumed, 0 if s is not such a symbol. */
static size_t parse_symbol(const char *s, size_t n, struct span *name, unsigned long *off,
			   unsigned long *size)
{
	size_t i = 0, j, h;
	unsigned long o, z;

	while (i < n && is_sym(s[i]))
		i++;
	if (i == 0 || s[0] == '.' || !has_prefix(s + i, n - i, "+0x", 3))
		return 0;
	j = i + 3;
	if (!(h = read_hex(s + j, n - j, &o)) || !has_prefix(s + j + h, n - j - h, "/0x", 3))
		return 0;
	j += h + 3;
	if (!(h = read_hex(s + j, n - j, &z)))
		return 0;
	if (name) {
		const char *dot = memchr(s, '.', i);
		name->p = s;
		name->n = dot ? (size_t)(dot - s) : i;
	}
	if (off)
		*off = o;
	if (size)
		*size = z;
	return j + h;
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
 * " [<ffffffff8123>] func+0x1/0x2". Returns where the symbol starts + 1,
 * or 0 when the line is not a frame. */
static size_t parse_frame(const char *s, size_t n, struct span *name, bool *reliable)
{
	size_t i = skip_addr_groups(s, n);

	*reliable = true;
	if (i + 1 < n && s[i] == '?' && s[i + 1] == ' ') {
		*reliable = false;
		i += 2;
	}
	return parse_symbol(s + i, n - i, name, NULL, NULL) ? i + 1 : 0;
}

/* Where the instruction pointer of a register dump names its function:
 * x86 "RIP: 0010:func+0x1/0x2" (4.x: "RIP: 0010:[<ffff>]  [<ffff>] func"),
 * 4.x "IP: [<ffff>] func", arm64 "pc : func", arm "PC is at func",
 * Returns the offset of what follows the
 * label, 0 when t is not such a line. */
static size_t rip_label(const char *t, size_t n)
{
	static const char *const labels[] = { "RIP: ", "IP: ", "pc : ", "PC is at " };
	size_t i = 0;

	for (size_t k = 0; k < sizeof(labels) / sizeof(labels[0]) && !i; k++)
		if (starts_str(t, n, labels[k]))
			i = strlen(labels[k]);
	if (!i)
		return 0;
	if (t[0] == 'R') {
		size_t j = i;
		while (j < n && is_hex(t[j]))
			j++;
		if (j < n && t[j] == ':')
			i = j + 1;
	}
	return i;
}

/* A RIP line; *name is set when it names a kernel function (a user-mode
 * "RIP: 0033:0x7f..." does not). */
static bool parse_rip(const char *t, size_t n, struct span *name, bool *symbolic)
{
	size_t i = rip_label(t, n);

	*symbolic = false;
	if (!i)
		return false;
	i += skip_addr_groups(t + i, n - i);
	*symbolic = parse_symbol(t + i, n - i, name, NULL, NULL) != 0;
	return true;
}

/* ---- frames that never name a bug -------------------------------------- */

/* Patterns are globs: "x" is the whole name, "x*" a prefix, "*x*" anywhere
 * in the name, '?' any one character, '|' separates alternatives. Names
 * have lost their compiler suffixes (.isra.0, ...) before they are matched.
 *
 * skip_always is syzkaller's linuxStackParams.skipPatterns (its unanchored
 * regexps are the "*x*" globs), grouped, with a few of our own marked
 * (ours). Each group says why its frames never name a bug. */
static const char *const skip_always[] = {
	/* The oops, WARN and BUG machinery prints a report, it never causes
	 * one; print_*, dump_* and warn_* are report printers (ours). */
	"*panic*", "*invalid_op*", "*report_bug*", "*fixup_bug*", "*print_report*", "*do_error*",
	"*_trap", "*do_trap_*", "*show_stack*", "*dump_stack*", "*walk_stack*", "*dump_backtrace*",
	"*warn_slowpath*", "*warn_alloc*", "*warn_bogus*", "*__warn*", "print_*", "dump_*", "warn_*",
	"handle_bug", "exc_*", "asm_exc_*", "die", "__die*", "die_addr", "oops_*", "page_fault_oops",
	"kernelmode_fixup_or_oops*", "no_context", "*bad_area_nosemaphore", "fixup_exception",
	"show_regs", "__show_regs", "show_trace_log_lvl", "sched_show_task",
	/* Sanitizer runtimes and the checks they call: the bad access was
	 * made by their caller. */
	"*__sanitizer*", "*__asan*", "*kasan*", "*hwasan*", "*__msan*", "*kmsan*", "*kcsan*",
	"*check_memory_region*", "*check_heap_object*", "*check_object*", "*read_word_at_a_time*",
	"*print_address_description*", "*ubsan*", "kfence_*", "__kfence_*", "check_region_inline",
	/* Allocators: a report inside one is about its caller's request. */
	"*alloc_page*", "*malloc*", "*zalloc*", "*calloc*", "*krealloc*", "*kmem_cache*",
	"*allocate_slab*", "*folio_alloc*", "*folio_unlock*", "*filemap_alloc_folio*",
	"*__filemap_get_folio*", "*find_or_create_page*", "*do_read_cache_folio*", "*read_cache_page*",
	"*pagecache_get_page*", "*grab_cache_page_write_begin*", "*slab_*", "kmalloc_slab",
	/* Debug objects: they check an object their caller owns. */
	"*debug_object*", "debug_print_object", "*timer_is_static_object*", "*work_is_static_object*",
	/* Lock primitives and lockdep: a crash, hang or splat inside them is
	 * about the lock their caller takes (lock_sock_nested, console_lock:
	 * ours). */
	"*lockdep*", "*lock_acquire*", "*lock_release*", "*lock_class*", "*mark_lock*",
	"*reacquire_held_locks*", "*mark_held_locks*", "*raw_spin_rq*", "*spin_lock*",
	"*spin_trylock*", "*spin_unlock*", "*read_lock*", "*read_trylock*", "*write_lock*",
	"*write_trylock*", "*read_unlock*", "*write_unlock*", "down", "*down_read*", "*down_write*",
	"*down_trylock*", "*up_read*", "*up_write*", "mutex_*", "__mutex_*", "rt_mutex_*",
	"*owner_on_cpu*", "*osq_lock*", "*osq_unlock*", "*print_unlock*", "*imbalance_bug*",
	"*bh_enable*", "*bh_disable*", "*perf_trace*", "lock_sock_nested", "console_lock",
	/* Atomics, bit operations, reference counts and wake-ups: the caller
	 * holds the object they act on. */
	"*atomic_*", "*atomic64_*", "*set_bit*", "*clear_bit*", "*change_bit*", "*test_bit*",
	"*__wake_up*", "refcount_*", "kref_*", "*ref_tracker*", "*seqprop_assert*",
	/* Memory and string primitives and printf: the caller passed the bad
	 * pointer or length. */
	"*memcpy*", "*memcmp*", "*memset*", "*memchr*", "*memmove*", "*memdup*", "*strcmp*",
	"*strncmp*", "*strcpy*", "*strlcpy*", "*strncpy*", "*strscpy*", "*strlen*", "*strstr*",
	"*strnstr*", "*strnlen*", "*strchr*", "*strdup*", "*strndup*", "*string*", "*pointer*",
	"*snprintf*", "*scnprintf*", "*kasprintf*", "*kvasprintf*", "*printk*", "*va_format*",
	"dev_info", "dev_notice", "dev_warn", "dev_err", "dev_alert", "dev_crit", "dev_emerg",
	/* User copies and their checks (__check_object_size, usercopy): the
	 * caller asked for the copy. */
	"*copy_to_user*", "*copy_from_user*", "*copy_to_iter*", "*copy_from_iter*",
	"*copy_page_to_iter*", "*copy_page_from_iter*", "*copy_folio_to_iter*", "copyin", "copyout",
	"*put_user*", "*get_user*", "*might_fault*", "*might_sleep*", "__might_resched",
	"__check_object_size", "check_preemption_disabled",
	/* List and tree helpers and the list checkers: the corruption was made
	 * by their caller. */
	"*list_add*", "*list_del*", "*list_replace*", "*list_move*", "*list_splice*", "rb_*",
	"__rb_*", "__list_valid_slowpath",
	/* Retpoline thunks. */
	"*_indirect_thunk_*",
	/* Work, timer and device teardown: they wait for or release an object
	 * of their caller. */
	"*del_timer*", "*flush_work*", "*__cancel_work_timer*", "*cancel_work_sync*",
	"*try_to_grab_pending*", "*flush_workqueue*", "*drain_workqueue*", "*destroy_workqueue*",
	"*queue_work*", "*finish_wait*", "*kthread_stop*", "*kobject_*", "*add_uevent_var*",
	"*get_device_parent*", "*device_add*", "*device_del*", "*device_unregister*",
	"*device_destroy*", "*device_release*", "*devres_release_all*", "*sysfs_remove*",
	NULL,
};

/* Syscall entry prefixes syzkaller strips from frame names, in its order,
 * so that "__x64_sys_madvise" reads "sys_madvise" on every arch. */
static const char *const strip_prefixes[] = {
	"SYSC_", "SyS_", "sys_", "__x64_", "__ia32_", "__arm64_", "____sys_", "___sys_", "__sys_",
	"__se_", "__se_sys_", "__do_sys_", "compat_SYSC_", "compat_SyS_", "ksys_",
};

/* Per family (syzkaller's per-format skip lists; ours marked). */
static const char *const skip_kasan[] = { "*kernel_fault*", "*tag_check*", "*mem_abort*", "*el1_*", "*el1h_*", NULL };
static const char *const skip_free[] = { "*slab_*", "*kfree*", "*vunmap*", "*vfree*", NULL };
static const char *const skip_spinlock[] = { "*spin_*", "*_lock*", "*_unlock*", NULL };
static const char *const skip_schedule[] = { "*schedule*", NULL };
static const char *const skip_preempt[] = {
	"*dump_stack*", "*preemption*", "*preempt*", "*debug_*", "*processor_id*", "*this_cpu*", NULL,
};
static const char *const skip_leak[] = {
	"*kmemleak*", "*mmap*", "*kmem*", "*slab*", "*alloc*", "*create_object*", "*idr_get*",
	"*list_lru_init*", "*kasprintf*", "*kvasprintf*", "*pcpu_create*", "*strdup*", "*strndup*",
	"*memdup*", NULL,
};
static const char *const skip_odebug[] = {
	"*debug_*", "*rcu*", "*hrtimer_*", "*timer_*", "*work_*", "*percpu_*", "*kmem_*", "*slab_*",
	"*kfree*", "*vunmap*", "*vfree*", "*__free_*", "*free_*", "*kmalloc*", "*kcalloc*",
	"*__alloc*", "*alloc_pages*", NULL,
};
static const char *const skip_usercopy[] = { "*usercopy*", "*__check*", NULL };
static const char *const skip_kobject[] = { "*kobject_*", NULL };
static const char *const skip_proc[] = { "*proc_*", NULL };
static const char *const skip_refcount[] = { "*refcount*", "*kobject_*", NULL };
static const char *const skip_locking[] = { "*lock_sock*", "*release_sock*", NULL };
static const char *const skip_kmalloc[] = { "*kmalloc*", "*krealloc*", "*slab*", "*kmem*", NULL };
static const char *const skip_vmalloc[] = { "*__vmalloc*", "*vmalloc*", "*vzalloc*", NULL };
static const char *const skip_rcu_usage[] = {
	"*rcu*", "*kmem*", "*slab*", "*kmalloc*", "*vmalloc*", "*kcalloc*", NULL,
};
static const char *const skip_key[] = { "*stack*", "*lock*", "*IRQ*", NULL };
static const char *const skip_ubsan[] = { "*ubsan*", "*overflow*", NULL };
static const char *const skip_kbug[] = { "skb_*", NULL };
static const char *const skip_stack_chk[] = { "*stack_chk*", NULL };
static const char *const skip_stack_end[] = { "*schedule*", "*retint_kernel*", NULL };
static const char *const skip_bad_stack[] = { "*bad_stack*", NULL };
static const char *const skip_deadlock[] = {
	"*process_one_work*", "*flush_workqueue*", "*drain_workqueue*", "*destroy_workqueue*", NULL,
};
/* (ours) Page checkers only detect the corruption their caller made. */
static const char *const skip_page_check[] = {
	"bad_page", "free_page_is_bad*", "check_new_page*", "check_free_page*", "__dump_*",
	"free_pages_prepare", "free_tail_page_prepare", NULL,
};
/* (ours) Stalls and lockups: the timer, IRQ and NMI code that detected or
 * printed them. */
#define STALL_PLUMBING                                                                            \
	"watchdog_timer_fn", "*hrtimer_interrupt*", "__hrtimer_run_queues", "irq_exit*",          \
		"__irq_exit_rcu", "handle_softirqs", "__do_softirq", "update_process_times", "tick_*", \
		"*nmi_cpu_backtrace*", "nmi_trigger_cpumask_backtrace",                           \
		"arch_trigger_cpumask_backtrace", "nmi_handle", "default_do_nmi", "end_repeat_nmi", \
		"watchdog_overflow_callback", "watchdog_hardlockup_check", "__perf_event_overflow", \
		"perf_event_nmi_handler"
static const char *const skip_lockup[] = { STALL_PLUMBING, NULL };
/* RCU stalls also skip RCU itself and the timer interrupt (syzkaller). */
static const char *const skip_rcu_stall[] = { "*apic_timer_interrupt*", "*rcu*", STALL_PLUMBING, NULL };

/* Stall anchors (syzkaller's linuxStallAnchorFrames): generic dispatchers
 * and entry points; the frame just above the first one names the stall. */
static const char *const stall_anchors[] = {
	"*process_one_work*", "*do_syscall_*", "*do_fast_syscall_*", "*sysenter_dispatch*",
	"*tracesys_phase2*", "*el0_svc_handler*", "*invoke_syscall*", "*ret_fast_syscall*",
	"*netif_receive_skb*", "*do_softirq*", "*call_timer_fn*", "*_run_timers*",
	"*run_timer_softirq*", "*hrtimer_run*", "*run_ksoftirqd*", "*smpboot_thread_fn*", "kthread",
	"*start_secondary*", "*cpu_startup_entry*", "*ret_from_fork*", "*vfs_write*", "*vfs_read*",
	"*vfs_iter_read*", "*vfs_iter_write*", "*do_iter_read*", "*do_iter_write*",
	"*call_read_iter*", "*call_write_iter*", "*new_sync_read*", "*new_sync_write*",
	"*vfs_ioctl*", "*ksys_ioctl*", "*compat_ioctl*", "*compat_sys_ioctl*",
	"*blkdev_driver_ioctl*", "*blkdev_ioctl*", "*do_iter_readv_writev*", "call_mmap*",
	"*mmap_region*", "*do_mmap*", "*do_dentry_open*", "*vfs_open*", "sock_sendmsg*",
	"sock_recvmsg*", "sock_release*", "__sock_release*", "setsockopt", "*kernel_setsockopt*",
	"*sock_common_setsockopt*", "listen", "*kernel_listen*", "*sk_common_release*", "sock_mmap*",
	"accept", "*kernel_accept*", "sock_do_ioctl*", "sock_ioctl*", "compat_sock_ioctl*",
	"nfnetlink_rcv_msg*", "rtnetlink_rcv_msg*", "netlink_dump*", "socketpair*", "connect*",
	"ioctl*", "sys_socketpair*", "sys_connect*", "sys_ioctl*", "*__do_fault*",
	"*do_page_fault*", "page_fault", "*__fput*", "*task_work_run*", "*exit_to_usermode*",
	"*smp_call_function*", "*tasklet_action*", "*tasklet_hi_action*", NULL,
};

/* Hung tasks (syzkaller's linuxHangTaskFrameExtractor): waits on these
 * are grouped by the thing waited for... */
static const struct {
	const char *frame, *name; /* name NULL: the frame itself */
} hang_anchors[] = {
	{ "*blk_mq_get_tag*", NULL }, { "*lock_sock*", NULL }, { "*__lock_sock*", NULL },
	{ "*rtnl_lock*", NULL }, { "*synchronize_rcu*", "synchronize_rcu" },
	{ "*synchronize_srcu*", "synchronize_rcu" }, { "*synchronize_net*", "synchronize_rcu" },
	{ "*synchronize_sched*", "synchronize_rcu" }, { "*rcu_barrier*", "rcu_barrier" },
	{ "*closure_sync*", NULL },
};
/* ...and otherwise the first frame that is not a way of waiting. */
static const char *const skip_hang[] = {
	"*sched*", "*_lock*", "*_slowlock*", "*down*", "*rwsem*", "*completion*", "*kthread*",
	"*wait*", "*synchronize*", "*context_switch*", "*__switch_to*", "*cancel_delayed_work*",
	"*rcu_barrier*", NULL,
};

/* The general case: '*' and '?' anywhere in [p, pe). */
static bool glob_wild(const char *p, const char *pe, const char *s, size_t n)
{
	const char *star = NULL;
	size_t i = 0, mark = 0;

	while (i < n) {
		if (p < pe && (*p == '?' || *p == s[i])) {
			p++;
			i++;
		} else if (p < pe && *p == '*') {
			star = p++;
			mark = i;
		} else if (star) {
			p = star + 1;
			i = ++mark;
		} else {
			return false;
		}
	}
	while (p < pe && *p == '*')
		p++;
	return p == pe;
}

/* The bytes a name holds: most patterns fail on their first or last byte. */
struct name_set {
	uint64_t bits[4];
};

static void name_set_of(const char *s, size_t n, struct name_set *ns)
{
	memset(ns, 0, sizeof(*ns));
	for (size_t i = 0; i < n; i++)
		ns->bits[(unsigned char)s[i] >> 6] |= 1ull << ((unsigned char)s[i] & 63);
}

static bool in_set(const struct name_set *ns, char c)
{
	return ns->bits[(unsigned char)c >> 6] >> ((unsigned char)c & 63) & 1;
}

/* Matches one glob alternative [p, pe) against the name [s, s+n); "*x*",
 * "x*", "*x" and "x" (nearly all of them) without the general matcher. */
static bool glob_one(const char *p, const char *pe, bool wild, const char *s, size_t n, const struct name_set *ns)
{
	bool lead = p < pe && *p == '*', trail = pe > p + lead && pe[-1] == '*';
	const char *core = p + lead;
	size_t cn = (size_t)(pe - core) - trail;

	if (wild)
		return glob_wild(p, pe, s, n);
	if (cn > n || (cn && (!in_set(ns, core[0]) || !in_set(ns, core[cn - 1]))))
		return false;
	if (lead && trail) {
		/* names and patterns are short: a plain loop beats memmem's setup */
		for (size_t i = 0; i + cn <= n; i++)
			if (s[i] == core[0] && !memcmp(s + i + 1, core + 1, cn - 1))
				return true;
		return false;
	}
	if (lead)
		return !memcmp(s + n - cn, core, cn);
	return (trail || cn == n) && !memcmp(s, core, cn);
}

static bool glob_set(const char *pat, const char *s, size_t n, const struct name_set *ns)
{
	for (;;) {
		size_t pl = 0;
		bool wild = false;
		for (; pat[pl] && pat[pl] != '|'; pl++)
			wild |= pat[pl] == '?' || (pat[pl] == '*' && pl && pat[pl + 1] && pat[pl + 1] != '|');
		if (glob_one(pat, pat + pl, wild, s, n, ns))
			return true;
		if (!pat[pl])
			return false;
		pat += pl + 1;
	}
}

static bool glob_match(const char *pat, const char *s, size_t n)
{
	struct name_set ns;

	name_set_of(s, n, &ns);
	return glob_set(pat, s, n, &ns);
}

/* A pattern of the skip and anchor lists: "*x*", "x*", "*x" or "x" only
 * (report_table_check makes sure), tried on its first byte before all else. */
static bool simple_match(const char *pat, const char *s, size_t n, const struct name_set *ns)
{
	const char *core = pat + (pat[0] == '*');

	return in_set(ns, core[0]) && glob_one(pat, core + strlen(core), false, s, n, ns);
}

static bool glob_any(const char *const *pats, const char *s, size_t n)
{
	struct name_set ns;

	name_set_of(s, n, &ns);
	for (; pats && *pats; pats++)
		if (simple_match(*pats, s, n, &ns))
			return true;
	return false;
}

/* Whether every pattern of a list is one simple_match takes. */
static bool simple_list(const char *const *pats)
{
	for (; pats && *pats; pats++) {
		const char *core = *pats + ((*pats)[0] == '*');
		size_t cn = strlen(core);
		cn -= cn && core[cn - 1] == '*';
		if (!cn || memchr(core, '*', cn) || strchr(core, '?') || strchr(core, '|'))
			return false;
	}
	return true;
}

/* ---- the families ------------------------------------------------------ */

/* How the guilty frame is found (syzkaller's stackFmt parts). */
enum frame_rule {
	FR_NONE,      /* no stack: the title names no function */
	FR_CRASH,     /* the header's function, else the RIP, else the Call Trace */
	FR_HEADER,    /* the header's function, else the Call Trace */
	FR_RIP,       /* the RIP, else the Call Trace */
	FR_RIP_ONLY,  /* the RIP */
	FR_STACK,     /* the Call Trace */
	FR_OPTIONAL,  /* the Call Trace if there is one; none is no corruption */
	FR_STALL,     /* the RIP and the Call Trace, read by the stall extractor */
	FR_RCU_STALL, /* the code the timer interrupt stopped, read the same way */
	FR_HANG,      /* the Call Trace, read by the hung-task extractor */
	FR_AT,        /* the "at: func" lock lines after the marker, then the Call Trace */
	FR_IPSYM,     /* the "[<addr>] func" line after the marker */
	FR_NAMED,     /* the bare function name after the marker ("last function: f") */
};

/* What %T in a title is made of, from the text after the header. */
enum text_rule {
	TX_NONE,
	TX_TYPE,  /* up to " in ", " on ", " at " or ',' ("use-after-free") */
	TX_REST,  /* all of it; a panic message loses " exitcode=..." */
	TX_WORDS, /* its leading words, without numbers, paths and addresses */
	TX_CALL,  /* up to "()" included ("__this_cpu_read()") */
	TX_DIE,   /* the die() description up to ',' ("Oops", "int3") */
};

#define F_SUBSYS (1u << 0)     /* may follow a pr_fmt prefix ("watchdog: ", "rcu: ") */
#define F_CORRUPTED (1u << 1)  /* always corrupted: the report it ends was lost */
#define F_AFTERMATH (1u << 2)  /* the panic after a report: a report only on its own */
#define F_SANITIZER (1u << 3)  /* the body runs to a ==== line */
#define F_CUT_HERE (1u << 4)   /* claims the "cut here" line and WARN message before it */
#define F_SEPARATOR (1u << 5)  /* claims the ==== line right before it */
#define F_DUMP_PAGE (1u << 6)  /* claims the dump_page() block before it (VM_BUG_ON_*) */
#define F_ABSORB_DIE (1u << 7) /* the die() header after it belongs to it */
#define F_LIST (1u << 8)       /* the BUG or WARN of its list check belongs to it */
#define F_LOCATION (1u << 9)   /* "WARNING: ... at file:line func", "kernel BUG at file:line" */
#define F_BOOTED (1u << 10)    /* only once the kernel has printed */
#define F_DIE (1u << 11)       /* matched on a die() header's description */
#define F_IGNORE (1u << 12)    /* looks like a header, is none */
#define F_NOSKIP (1u << 13)    /* its function is taken as it is (syzkaller's report regexps) */
#define F_LEAK (1u << 14)      /* its trace follows "backtrace:" (kmemleak) */
#define F_ACCESS (1u << 15)    /* %A: KASAN's "Read" or "Write" */
#define F_TRACE_FIRST (1u << 16) /* its frames follow the header, no "Call Trace:" (KFENCE, KMSAN) */
#define F_NO_TRACE (1u << 17)  /* prints no stack: not corrupted for the lack of one */

struct family {
	const char *header;      /* the message starts with it (F_DIE: the description holds it) */
	size_t hlen;             /* strlen(header), set by HDR() */
	const char *needle;      /* and holds it further on, if set */
	const char *title;       /* %T text, %A access, %F frame ("corrupted" if none), %I " in F" if any */
	enum text_rule text;
	enum frame_rule frame;
	const char *marker;      /* FR_AT, FR_IPSYM, FR_NAMED: the text the function follows */
	const char *at_file;     /* F_LOCATION: the file holds it */
	const char *at_func;     /* F_LOCATION: the function matches this glob */
	const char *const *skip; /* frames this family also skips */
	unsigned flags;
};

/* A header and its length, computed by the compiler. */
#define HDR(h) .header = h, .hlen = sizeof(h) - 1
#define KASAN_LIKE (F_SANITIZER | F_SEPARATOR | F_SUBSYS)
#define WARN_AT(file, func, ttl, sk) \
	{ HDR("WARNING: "), .at_file = file, .at_func = func, .title = ttl, .frame = FR_STACK, \
	  .skip = sk, .flags = F_LOCATION | F_CUT_HERE }
#define LOCKDEP(hdr, ttl, rule, mark, fl) \
	{ HDR("WARNING: " hdr), .title = ttl, .frame = rule, .marker = mark, .flags = F_SEPARATOR | (fl) }, \
	{ HDR("INFO: " hdr), .title = ttl, .frame = rule, .marker = mark, .flags = F_SEPARATOR | (fl) }
#define LOCKDEP_LIMIT(what) { HDR("BUG: " what), .title = "BUG: " what, .flags = F_SUBSYS }
#define AFTERMATH(msg, fl) \
	{ HDR("Kernel panic - not syncing: " msg), .title = "kernel panic: " msg, .flags = F_AFTERMATH | (fl) }
#define LIST_CHECK(hdr) \
	{ HDR(hdr), .title = "BUG: corrupted list in %F", .frame = FR_STACK, .flags = F_LIST | F_CUT_HERE }

/* One row per report family, syzkaller's title for each. The first row
 * that matches a header wins, so the specific rows come first. */
static const struct family families[] = {
	/* Not reports, though they look like headers. */
	{ HDR("INFO: lockdep is turned off"), .flags = F_IGNORE },
	{ HDR("INFO: NMI handler"), .flags = F_IGNORE },
	{ HDR("INFO: Stall ended before state dump start"), .flags = F_IGNORE },

	/* Sanitizers. */
	{ HDR("BUG: KASAN: double-free or invalid-free"), .title = "KASAN: invalid-free in %F",
	  .frame = FR_HEADER, .skip = skip_free, .flags = KASAN_LIKE },
	{ HDR("BUG: KASAN: double-free"), .title = "KASAN: invalid-free in %F", .frame = FR_HEADER,
	  .skip = skip_free, .flags = KASAN_LIKE },
	{ HDR("BUG: KASAN: invalid-free"), .title = "KASAN: invalid-free in %F", .frame = FR_HEADER,
	  .skip = skip_free, .flags = KASAN_LIKE },
	{ HDR("BUG: KASAN: "), .needle = " on address", .title = "KASAN: %T %A", .text = TX_TYPE,
	  .flags = KASAN_LIKE | F_ACCESS },
	{ HDR("BUG: KASAN: "), .title = "KASAN: %T %A in %F", .text = TX_TYPE, .frame = FR_HEADER,
	  .skip = skip_kasan, .flags = KASAN_LIKE | F_ACCESS },
	{ HDR("BUG: KMSAN: "), .title = "KMSAN: %T in %F", .text = TX_TYPE, .frame = FR_HEADER,
	  .flags = KASAN_LIKE | F_TRACE_FIRST },
	{ HDR("BUG: KCSAN: "), .title = "KCSAN: %T", .text = TX_REST, .flags = KASAN_LIKE },
	{ HDR("BUG: KFENCE: "), .title = "KFENCE: %T in %F", .text = TX_TYPE, .frame = FR_HEADER,
	  .flags = KASAN_LIKE | F_TRACE_FIRST },
	{ HDR("UBSAN: "), .title = "UBSAN: %T in %F", .text = TX_TYPE, .frame = FR_STACK,
	  .skip = skip_ubsan, .flags = F_SANITIZER | F_SEPARATOR },

	/* Faults. */
	{ HDR("BUG: unable to handle kernel paging request"),
	  .title = "BUG: unable to handle kernel paging request in %F", .frame = FR_RIP,
	  .flags = F_SUBSYS | F_ABSORB_DIE },
	{ HDR("BUG: unable to handle page fault for address"),
	  .title = "BUG: unable to handle kernel paging request in %F", .frame = FR_RIP,
	  .flags = F_SUBSYS | F_ABSORB_DIE },
	{ HDR("BUG: Unable to handle kernel data access on read"),
	  .title = "BUG: unable to handle kernel paging request in %F", .frame = FR_RIP,
	  .flags = F_SUBSYS | F_ABSORB_DIE },
	{ HDR("BUG: unable to handle kernel NULL pointer dereference"),
	  .title = "BUG: unable to handle kernel NULL pointer dereference in %F", .frame = FR_RIP,
	  .flags = F_SUBSYS | F_ABSORB_DIE },
	{ HDR("BUG: kernel NULL pointer dereference"),
	  .title = "BUG: unable to handle kernel NULL pointer dereference in %F", .frame = FR_RIP,
	  .flags = F_SUBSYS | F_ABSORB_DIE },
	{ HDR("BUG: Kernel NULL pointer dereference"),
	  .title = "BUG: unable to handle kernel NULL pointer dereference in %F", .frame = FR_RIP,
	  .flags = F_SUBSYS | F_ABSORB_DIE },
	{ HDR("BUG: unable to handle kernel"), .title = "BUG: unable to handle kernel",
	  .flags = F_SUBSYS | F_ABSORB_DIE | F_CORRUPTED },
	{ HDR("Unable to handle kernel "), .title = "BUG: unable to handle kernel %T in %F",
	  .text = TX_TYPE, .frame = FR_RIP, .flags = F_ABSORB_DIE },
	{ HDR("PANIC: double fault"), .title = "PANIC: double fault in %F", .frame = FR_RIP_ONLY,
	  .flags = F_ABSORB_DIE },
	{ HDR("BUG: "), .needle = "stack guard page was hit at", .title = "BUG: stack guard page was hit in %F",
	  .frame = FR_STALL, .flags = F_SUBSYS | F_ABSORB_DIE },
	{ HDR("general protection fault"), .title = "general protection fault in %F", .frame = FR_RIP,
	  .flags = F_DIE },
	{ HDR("stack segment"), .title = "stack segment fault in %F", .frame = FR_RIP, .flags = F_DIE },
	{ HDR("divide error"), .title = "divide error in %F", .frame = FR_RIP, .flags = F_DIE },
	{ HDR("invalid opcode"), .title = "invalid opcode in %F", .frame = FR_RIP, .flags = F_DIE },
	{ HDR(""), .title = "%T in %F", .text = TX_DIE, .frame = FR_RIP, .flags = F_DIE },

	/* BUG() and WARN(). */
	{ HDR("kernel BUG at "), .at_file = "mm/usercopy.c", .title = "BUG: bad usercopy in %F",
	  .frame = FR_STACK, .skip = skip_usercopy, .flags = F_LOCATION | F_CUT_HERE | F_ABSORB_DIE },
	{ HDR("kernel BUG at "), .at_file = "lib/list_debug.c", .title = "BUG: corrupted list in %F",
	  .frame = FR_STACK, .flags = F_LOCATION | F_CUT_HERE | F_ABSORB_DIE },
	{ HDR("kernel BUG at "), .title = "kernel BUG in %F", .frame = FR_CRASH, .skip = skip_kbug,
	  .flags = F_LOCATION | F_CUT_HERE | F_ABSORB_DIE | F_DUMP_PAGE },
	{ HDR("Kernel BUG at "), .title = "kernel BUG in %F", .frame = FR_CRASH, .skip = skip_kbug,
	  .flags = F_LOCATION | F_CUT_HERE | F_ABSORB_DIE | F_DUMP_PAGE },
	/* (ours) a WARN of the list checks is a list corruption like its BUG */
	WARN_AT("lib/list_debug.c", NULL, "BUG: corrupted list in %F", NULL),
	WARN_AT("lib/debugobjects.c", "debug_print*|debug_check*", "WARNING: ODEBUG bug in %F", skip_odebug),
	WARN_AT("mm/usercopy.c", "*usercopy_warn*", "WARNING: bad usercopy in %F", skip_usercopy),
	WARN_AT("lib/kobject.c", "kobject_*", "WARNING: kobject bug in %F", skip_kobject),
	WARN_AT("fs/proc/generic.c", "proc_register*", "WARNING: proc registration bug in %F", skip_proc),
	WARN_AT("lib/refcount.c", "refcount_*", "WARNING: refcount bug in %F", skip_refcount),
	WARN_AT("kernel/locking/lockdep.c", "*lock_*", "WARNING: locking bug in %F", skip_locking),
	WARN_AT("mm/vmalloc.c", "__vmalloc_node*", "WARNING: zero-size vmalloc in %F", skip_vmalloc),
	WARN_AT("mm/", "malloc*|?malloc*|k?malloc*", "WARNING: kmalloc bug in %F", skip_kmalloc),
	{ HDR("WARNING: "), .title = "WARNING in %F", .frame = FR_CRASH,
	  .flags = F_LOCATION | F_CUT_HERE | F_DUMP_PAGE },

	/* Lockdep and RCU: "WARNING: ..." since 4.11, "[ INFO: ... ]" before. */
	{ HDR("WARNING: possible circular locking dependency detected"), .title = "possible deadlock in %F",
	  .frame = FR_AT, .marker = "is trying to acquire lock", .skip = skip_deadlock, .flags = F_SEPARATOR },
	{ HDR("INFO: possible circular locking dependency detected"), .title = "possible deadlock in %F",
	  .frame = FR_AT, .marker = "is trying to acquire lock", .skip = skip_deadlock, .flags = F_SEPARATOR },
	LOCKDEP("possible irq lock inversion dependency detected", "possible deadlock in %F", FR_AT,
		"just changed the state of lock", F_NOSKIP),
	LOCKDEP("possible recursive locking detected", "possible deadlock in %F", FR_AT,
		"is trying to acquire lock", F_NOSKIP),
	LOCKDEP("inconsistent lock state", "inconsistent lock state in %F", FR_AT, "takes", F_NOSKIP),
	{ HDR("WARNING: "), .needle = "-unsafe lock order detected", .title = "possible deadlock in %F",
	  .frame = FR_AT, .marker = "is trying to acquire", .flags = F_SEPARATOR | F_NOSKIP },
	{ HDR("INFO: "), .needle = "-unsafe lock order detected", .title = "possible deadlock in %F",
	  .frame = FR_AT, .marker = "is trying to acquire", .flags = F_SEPARATOR | F_NOSKIP },
	{ HDR("WARNING: suspicious RCU usage"), .title = "WARNING: suspicious RCU usage in %F",
	  .frame = FR_STACK, .skip = skip_rcu_usage, .flags = F_SEPARATOR },
	{ HDR("INFO: suspicious RCU usage"), .title = "WARNING: suspicious RCU usage in %F",
	  .frame = FR_STACK, .skip = skip_rcu_usage, .flags = F_SEPARATOR },
	{ HDR("WARNING: bad unlock balance detected!"), .title = "WARNING: bad unlock balance in %F",
	  .frame = FR_IPSYM, .marker = "is trying to release lock", .flags = F_SEPARATOR | F_NOSKIP },
	{ HDR("BUG: bad unlock balance detected!"), .title = "BUG: bad unlock balance in %F",
	  .frame = FR_IPSYM, .marker = "is trying to release lock", .flags = F_SEPARATOR | F_NOSKIP },
	{ HDR("WARNING: held lock freed!"), .title = "WARNING: held lock freed in %F", .frame = FR_AT,
	  .flags = F_SEPARATOR | F_NOSKIP },
	{ HDR("BUG: held lock freed!"), .title = "BUG: held lock freed in %F", .frame = FR_AT,
	  .flags = F_SEPARATOR | F_NOSKIP },
	{ HDR("WARNING: "), .needle = "still has locks held!", .title = "WARNING: still has locks held in %F",
	  .frame = FR_AT, .flags = F_SEPARATOR | F_NOSKIP },
	{ HDR("BUG: "), .needle = "still has locks held!", .title = "BUG: still has locks held in %F",
	  .frame = FR_AT, .flags = F_SEPARATOR | F_NOSKIP },
	{ HDR("WARNING: lock held when returning to user space"),
	  .title = "WARNING: lock held when returning to user space in %F", .frame = FR_AT,
	  .marker = "leaving the kernel with locks still held", .flags = F_SEPARATOR | F_NOSKIP | F_NO_TRACE },
	{ HDR("BUG: lock held when returning to user space"),
	  .title = "BUG: lock held when returning to user space in %F", .frame = FR_AT,
	  .marker = "leaving the kernel with locks still held", .flags = F_SEPARATOR | F_NOSKIP | F_NO_TRACE },
	{ HDR("WARNING: Nested lock was not taken"), .title = "WARNING: nested lock was not taken in %F",
	  .frame = FR_STACK, .flags = F_SEPARATOR },
	{ HDR("INFO: trying to register non-static key"), .title = "INFO: trying to register non-static key in %F",
	  .frame = FR_STACK, .skip = skip_key },
	{ HDR("BUG: Invalid wait context"), .title = "BUG: Invalid wait context in %F", .frame = FR_STACK,
	  .flags = F_SEPARATOR },
	{ HDR("BUG: looking up invalid subclass"), .title = "BUG: looking up invalid subclass in %F",
	  .frame = FR_STACK },
	LOCKDEP_LIMIT("MAX_LOCKDEP_KEYS too low!"), LOCKDEP_LIMIT("MAX_LOCKDEP_ENTRIES too low!"),
	LOCKDEP_LIMIT("MAX_LOCKDEP_CHAINS too low!"), LOCKDEP_LIMIT("MAX_LOCKDEP_CHAIN_HLOCKS too low!"),
	LOCKDEP_LIMIT("MAX_STACK_TRACE_ENTRIES too low!"), LOCKDEP_LIMIT("MAX_LOCK_DEPTH too low!"),
	{ HDR("BUG: sleeping function called from invalid context"),
	  .title = "BUG: sleeping function called from invalid context in %F", .frame = FR_STACK,
	  .flags = F_SUBSYS },
	{ HDR("BUG: scheduling while atomic"), .title = "BUG: scheduling while atomic in %F",
	  .frame = FR_STACK, .skip = skip_schedule, .flags = F_SUBSYS },
	{ HDR("BUG: using "), .needle = "() in preemptible", .title = "BUG: using %T in preemptible code in %F",
	  .text = TX_CALL, .frame = FR_STACK, .skip = skip_preempt, .flags = F_SUBSYS },
	{ HDR("BUG: spinlock "), .title = "BUG: spinlock %T in %F", .text = TX_TYPE, .frame = FR_STACK,
	  .skip = skip_spinlock, .flags = F_SUBSYS },
	{ HDR("BUG: rwlock "), .title = "BUG: rwlock %T in %F", .text = TX_TYPE, .frame = FR_STACK,
	  .skip = skip_spinlock, .flags = F_SUBSYS },

	/* Hangs and stalls. */
	{ HDR("INFO: task "), .needle = "blocked for more than", .title = "INFO: task hung in %F",
	  .frame = FR_HANG, .flags = F_SUBSYS },
	{ HDR("INFO: task "), .needle = "can't die for more than", .title = "INFO: task can't die in %F",
	  .frame = FR_STACK, .skip = skip_schedule, .flags = F_SUBSYS },

	{ HDR("INFO: rcu_"), .needle = "stall", .title = "INFO: rcu detected stall in %F",
	  .frame = FR_RCU_STALL, .skip = skip_rcu_stall, .flags = F_SUBSYS },
	{ HDR("BUG: soft lockup"), .title = "BUG: soft lockup in %F", .frame = FR_STALL,
	  .skip = skip_lockup, .flags = F_SUBSYS },
	/* (ours) syzkaller has no hard lockup row */
	{ HDR("Watchdog detected hard LOCKUP"), .title = "BUG: hard lockup in %F", .frame = FR_STALL,
	  .skip = skip_lockup, .flags = F_SUBSYS },
	{ HDR("BUG: workqueue lockup"), .title = "BUG: workqueue lockup", .flags = F_SUBSYS },
	{ HDR("BUG: workqueue leaked"), .title = "BUG: workqueue leaked lock or atomic in %F",
	  .frame = FR_NAMED, .marker = "last function: |workfn=", .flags = F_SUBSYS | F_NOSKIP },
	{ HDR("unregister_netdevice: waiting for "), .needle = " to become free",
	  .title = "unregister_netdevice: waiting for DEV to become free" },

	/* Memory and lists. */
	{ HDR("BUG: memory leak"), .title = "memory leak in %F", .frame = FR_STACK, .skip = skip_leak,
	  .flags = F_LEAK },
	{ HDR("unreferenced object 0x"), .title = "memory leak in %F", .frame = FR_STACK,
	  .skip = skip_leak, .flags = F_LEAK | F_SUBSYS },
	{ HDR("BUG: Bad page state"), .title = "BUG: Bad page state in %F", .frame = FR_STACK,
	  .skip = skip_page_check, .flags = F_SUBSYS },
	{ HDR("BUG: Bad page map"), .title = "BUG: Bad page map in %F", .frame = FR_STACK,
	  .skip = skip_page_check, .flags = F_SUBSYS },
	{ HDR("BUG: Bad rss-counter state"), .title = "BUG: Bad rss-counter state", .flags = F_SUBSYS },
	{ HDR("BUG: non-zero nr_ptes on freeing mm"), .title = "BUG: non-zero nr_ptes on freeing mm",
	  .flags = F_SUBSYS },
	{ HDR("BUG: non-zero nr_pmds on freeing mm"), .title = "BUG: non-zero nr_pmds on freeing mm",
	  .flags = F_SUBSYS },
	{ HDR("BUG: non-zero pgtables_bytes on freeing mm"),
	  .title = "BUG: non-zero pgtables_bytes on freeing mm", .flags = F_SUBSYS },
	LIST_CHECK("list_add corruption"), LIST_CHECK("list_del corruption"), LIST_CHECK("list_add double add"),

	/* Panics and reboots. */
	{ HDR("Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: "),
	  .title = "kernel panic: stack is corrupted in %F", .frame = FR_HEADER, .skip = skip_stack_chk },
	{ HDR("Kernel panic - not syncing: corrupted stack end detected inside scheduler"),
	  .title = "kernel panic: corrupted stack end in %F", .frame = FR_STALL, .skip = skip_stack_end },
	{ HDR("Kernel panic - not syncing: kernel stack overflow"), .title = "kernel stack overflow in %F",
	  .frame = FR_STALL, .skip = skip_bad_stack },
	{ HDR("Kernel panic - not syncing: Attempted to kill init!"),
	  .title = "kernel panic: Attempted to kill init!" },
	{ HDR("Kernel panic - not syncing: Couldn't open N_TTY ldisc"),
	  .title = "kernel panic: Couldn't open N_TTY ldisc" },
	AFTERMATH("Fatal exception", F_CORRUPTED), AFTERMATH("panic_on_warn set", F_CORRUPTED),
	AFTERMATH("hung_task: blocked tasks", F_CORRUPTED), AFTERMATH("softlockup: hung tasks", 0),
	AFTERMATH("Hard LOCKUP", 0), AFTERMATH("RCU Stall", 0),
	{ HDR("Kernel panic - not syncing: "), .title = "kernel panic: %T", .text = TX_REST },
	{ HDR("Booting the kernel"), .title = "unexpected kernel reboot", .flags = F_BOOTED },

	/* Any other "BUG: ..." (ours: syzkaller has no catch-all). */
	{ HDR("BUG: "), .title = "BUG: %T%I", .text = TX_WORDS, .frame = FR_OPTIONAL, .flags = F_SUBSYS },
};
#define NFAMILIES (sizeof(families) / sizeof(families[0]))

/* The first byte of every header that is not a die() description; a line
 * whose message starts with none of them needs no closer look. */
static const bool header_start[256] = {
	['B'] = true, ['I'] = true, ['K'] = true, ['P'] = true, ['U'] = true,
	['W'] = true, ['k'] = true, ['l'] = true, ['u'] = true,
};

/* ---- header detection -------------------------------------------------- */

struct hdr {
	const struct family *fam;
	struct span rest;   /* what follows the header pattern (F_DIE: the description) */
	struct span func;   /* a function the header line names */
	struct span subsys; /* the pr_fmt prefix it followed ("kmemleak: "), if any */
};

/* "mm/migrate.c:2720" (maybe ending in '!' or ','): a '.' before the last
 * ':', digits after it. */
static bool is_file_line(const char *s, size_t n)
{
	const char *colon;

	while (n && (s[n - 1] == '!' || s[n - 1] == ','))
		n--;
	colon = memrchr(s, ':', n);
	if (!colon || colon + 1 >= s + n || !is_digit(colon[1]))
		return false;
	return memchr(s, '.', (size_t)(colon - s)) != NULL;
}

/* The file and function of a WARN or BUG location:
 * "CPU: 0 PID: 1 at mm/memcontrol.c:5706 mem_cgroup_move_account+0x3d/0x3b0",
 * "at mm/page_alloc.c:2411 __alloc_pages_nodemask+0x2b7/0x8d0()" (old),
 * "mm/vmscan.c:12 at shrink_folio_list+0x1/0x2, CPU#0: a/1" (6.16 on),
 * "mm/migrate.c:2720!" or "func+0x1/0x2 [verbose debug info unavailable]"
 * after "kernel BUG at ". WARN lines must say "at". */
static bool parse_location(const char *s, size_t n, bool need_at, struct span *file, struct span *func)
{
	bool at = !need_at;
	size_t i = 0;

	file->n = func->n = 0;
	for (int tokens = 0; i < n && tokens < 16; tokens++) {
		size_t e;
		i += trim_left(s + i, n - i);
		for (e = i; e < n && !is_space(s[e]); e++)
			;
		if (e == i)
			break;
		if (e - i == 2 && s[i] == 'a' && s[i + 1] == 't') {
			at = true;
		} else if (!func->n && parse_symbol(s + i, e - i, func, NULL, NULL)) {
			/* func set */
		} else if (!file->n && is_file_line(s + i, e - i)) {
			file->p = s + i;
			file->n = e - i;
		}
		i = e;
	}
	return at && (file->n || func->n);
}

static bool location_matches(const struct family *f, const char *s, size_t n, struct hdr *h)
{
	struct span file = { NULL, 0 };

	if (!parse_location(s, n, f->header[0] == 'W', &file, &h->func))
		return false;
	if (f->at_file && !(file.n && find_str(file.p, file.n, f->at_file)))
		return false;
	return !f->at_func || (h->func.n && glob_match(f->at_func, h->func.p, h->func.n));
}

/* The function named after " in " ("BUG: KASAN: use-after-free in f+0x1/0x2"),
 * or at the start ("...corrupted in: f+0x1/0x2"). */
static void header_function(const char *s, size_t n, struct span *func)
{
	const char *in = FIND(s, n, " in ");
	size_t i = in ? (size_t)(in - s) + 4 : trim_left(s, n);

	parse_symbol(s + i, n - i, func, NULL, NULL);
}

static void words_text(const char *s, size_t n, char *out, size_t outlen);

static bool row_matches(const struct family *f, const char *s, size_t n, bool booted, struct hdr *h)
{
	size_t hl = f->hlen;
	const char *rest = s + hl;
	size_t rn = n - hl;
	char words[8];

	if (!has_prefix(s, n, f->header, hl) || (f->needle && !find_str(rest, rn, f->needle)) ||
	    ((f->flags & F_BOOTED) && !booted))
		return false;
	memset(h, 0, sizeof(*h));
	h->fam = f;
	h->rest = (struct span){ rest, rn };
	if (f->flags & F_LOCATION)
		return location_matches(f, rest, rn, h);
	if (f->text == TX_WORDS) {
		/* "BUG: " and a message that starts with a word */
		words_text(rest, rn, words, sizeof(words));
		return rn && is_alpha((unsigned char)rest[0]) && words[0];
	}
	if (f->frame == FR_HEADER)
		header_function(rest, rn, &h->func);
	return true;
}

enum match { NO_MATCH, MATCH, IGNORED };

/* The rows whose header starts the text at s (via_subsys: after a pr_fmt
 * prefix, where only F_SUBSYS rows may stand). */
static enum match match_rows(const char *s, size_t n, bool via_subsys, bool booted, struct hdr *h)
{
	if (!n || !header_start[(unsigned char)s[0]])
		return NO_MATCH;
	for (size_t k = 0; k < NFAMILIES; k++) {
		const struct family *f = &families[k];
		if (f->header[0] != s[0] || (f->flags & F_DIE) || (via_subsys && !(f->flags & F_SUBSYS)))
			continue;
		if (row_matches(f, s, n, booted, h))
			return (f->flags & F_IGNORE) ? IGNORED : MATCH;
	}
	return NO_MATCH;
}

/* Length of a pr_fmt prefix ("watchdog: ", "NMI watchdog: ", "rcu: "),
 * 0 if s starts with none. */
static size_t subsys_prefix(const char *s, size_t n)
{
	for (size_t i = 0; i < n && i <= 32; i++) {
		unsigned char c = s[i];
		if (c == ':')
			return i > 0 && i + 1 < n && s[i + 1] == ' ' ? i + 2 : 0;
		if (!(is_sym(c) || c == ' ' || c == '/' || c == '-'))
			return 0;
	}
	return 0;
}

/* A message starting at s: a header, "[ INFO: ... ]" (lockdep before
 * 4.11), or a header after a pr_fmt prefix. */
static enum match match_message(const char *s, size_t n, bool booted, struct hdr *h)
{
	enum match m = match_rows(s, n, false, booted, h);
	size_t sp;

	if (m != NO_MATCH)
		return m;
	if (n > 2 && s[0] == '[' && s[1] == ' ' && (m = match_rows(s + 2, n - 2, false, booted, h)) != NO_MATCH)
		return m;
	sp = subsys_prefix(s, n);
	if (sp && (m = match_rows(s + sp, n - sp, true, booted, h)) == MATCH)
		h->subsys = (struct span){ s, sp };
	return m;
}

/* die(): "<description>: 0000 [#1] ..." ("general protection fault, probably
 * for non-canonical address 0x...: 0000 [#1] PREEMPT SMP", "Oops: invalid
 * opcode: 0000 [#1]", "Internal error: Oops: 0000000096000004 [#1]"). */
static bool die_description(const char *t, size_t n, struct span *desc)
{
	const char *m = FIND(t, n, " [#");
	size_t p, b, e, ds;

	if (!m)
		return false;
	p = (size_t)(m - t) + 1;
	if (p + 2 >= n || !is_digit(t[p + 2]) || p < 8)
		return false;
	for (e = p - 1, b = e; b > 0 && is_hex(t[b - 1]); b--)
		;
	if (e - b < 4 || e - b > 16 || b < 2 || t[b - 1] != ' ' || t[b - 2] != ':')
		return false;
	e = b - 2;
	ds = trim_left(t, e);
	if (has_prefix(t + ds, e - ds, "Internal error: ", 16))
		ds += 16;
	if (has_prefix(t + ds, e - ds, "Oops: ", 6))
		ds += 6;
	*desc = (struct span){ t + ds, e - ds };
	return true;
}

static bool detect_die(const char *t, size_t n, struct hdr *h)
{
	struct span desc;

	if (!die_description(t, n, &desc))
		return false;
	for (size_t k = 0; k < NFAMILIES; k++) {
		const struct family *f = &families[k];
		if ((f->flags & F_DIE) && (!f->header[0] || find_str(desc.p, desc.n, f->header))) {
			memset(h, 0, sizeof(*h));
			h->fam = f;
			h->rest = desc;
			return true;
		}
	}
	return false;
}

/* Finds a report header in a message (printk prefix already stripped). A
 * header must start the message, follow a pr_fmt prefix (F_SUBSYS rows),
 * or follow an embedded printk prefix ("...] ") where another CPU's output
 * cut in; one quoted inside some other message is not a report. */
static bool detect(const char *t, size_t n, bool booted, struct hdr *h)
{
	size_t lead = trim_left(t, n);
	enum match m = match_message(t + lead, n - lead, booted, h);

	if (m != NO_MATCH)
		return m == MATCH;
	if (detect_die(t, n, h))
		return true;
	for (const char *b = memchr(t + lead, ']', n - lead); b && b + 1 < t + n;
	     b = memchr(b + 1, ']', (size_t)(t + n - b - 1))) {
		size_t p = (size_t)(b - t) + 2;
		if (b[1] == ' ' && match_message(t + p, n - p, booted, h) == MATCH)
			return true;
	}
	return false;
}

/* ---- reading a log ------------------------------------------------------ */

#define MAX_BODY_LINES 5000
#define UNREC_BEFORE_TRACE_END 40 /* interleaved noise tolerated in a body */
#define UNREC_AFTER_TRACE_END 3
#define CUT_HERE_WINDOW 10        /* WARN message lines between cut here and WARNING */
#define DUMP_PAGE_WINDOW 40       /* dump_page lines, page_owner lines */

struct line {
	int ln;
	size_t pos;    /* of the raw line in the log */
	const char *c; /* the message, after the printk prefix */
	size_t cn;
};

/* One pass over a log, from report to report. */
struct scan {
	const char *log;
	size_t len, pos;
	int ln;
	bool booted;  /* the kernel has printed: a timestamp or its banner */
	int reports;  /* found so far */
	int prev_end; /* last line of the previous report */
	int cut_line, sep_line, dump_start, dump_reason; /* context a header may claim */
};

static bool next_line(struct scan *s, struct line *l)
{
	const char *raw = s->log + s->pos, *nl;
	size_t n, off;
	bool stamped;

	if (s->pos >= s->len)
		return false;
	nl = memchr(raw, '\n', s->len - s->pos);
	n = nl ? (size_t)(nl - raw) : s->len - s->pos;
	l->pos = s->pos;
	s->pos += n + (nl != NULL);
	while (n > 0 && raw[n - 1] == '\r')
		n--;
	off = printk_prefix(raw, n, &stamped);
	l->ln = ++s->ln;
	l->c = raw + off;
	l->cn = n - off;
	if (stamped || STARTS(l->c, l->cn, "Linux version "))
		s->booted = true;
	return true;
}

static bool is_separator(const char *t, size_t n)
{
	size_t i = 0;

	while (i < n && t[i] == '=')
		i++;
	return i >= 20;
}

static bool is_cut_here(const char *t, size_t n)
{
	return STARTS(t, n, "------------[ cut here ]");
}

/* Lines a header may claim as the start of its report. */
static void note_context(struct scan *s, const struct line *l)
{
	size_t lead = trim_left(l->c, l->cn);
	const char *t = l->c + lead;
	size_t n = l->cn - lead;

	if (!n)
		return;
	if (t[0] == '-' && is_cut_here(t, n)) {
		s->cut_line = l->ln;
	} else if (t[0] == '=' && is_separator(t, n)) {
		s->sep_line = l->ln;
	} else if (t[0] == 'p' && STARTS(t, n, "page:")) {
		s->dump_start = l->ln; /* first line of a dump_page() block */
		s->dump_reason = 0;
	} else if (t[0] == 'p' && STARTS(t, n, "page dumped because: VM_")) {
		s->dump_reason = l->ln;
	}
}

static int report_start(const struct scan *s, const struct hdr *h, int ln)
{
	unsigned f = h->fam->flags;
	int start = ln;

	if ((f & F_CUT_HERE) && s->cut_line && ln - s->cut_line <= CUT_HERE_WINDOW)
		start = s->cut_line;
	if ((f & F_SEPARATOR) && s->sep_line && s->sep_line == ln - 1)
		start = s->sep_line;
	if ((f & F_DUMP_PAGE) && s->dump_reason && s->dump_start && s->dump_start < s->dump_reason &&
	    ln - s->dump_reason <= DUMP_PAGE_WINDOW && s->dump_reason - s->dump_start <= DUMP_PAGE_WINDOW &&
	    s->dump_start < start)
		start = s->dump_start;
	return start > s->prev_end ? start : s->prev_end + 1;
}

/* ---- the report body ----------------------------------------------------- */

/* Frames past these never decide a title: syzkaller's extractors read at
 * most a few dozen. Decoding reads the lines again and sees every frame. */
#define MAX_FRAMES 64

struct frame {
	struct span name;
	bool reliable; /* not a "? func+0x1/0x2" guess */
	bool in_irq;   /* inside <IRQ>/<NMI>/<SOFTIRQ> */
	bool rip;      /* a RIP line inside the trace: an interrupt frame */
};

struct body {
	struct hdr h;
	int header_line, start, end, last_rec, unrec;
	bool done, cut; /* cut: another report's header ended it */
	bool trace_started, trace_done, in_irq;
	struct span rip;   /* the first kernel function on a RIP line */
	struct span at[2]; /* FR_AT: the first "at: func" lines after the marker */
	int nat;
	bool marker_seen;
	struct span named; /* FR_IPSYM, FR_NAMED */
	char access[8];    /* KASAN "Read" / "Write" */
	int keywords;      /* Call Trace, Allocated by task, backtrace: */
	bool keyword_open; /* the last keyword has no frame after it yet */
	bool keyword_bare; /* one had none before the next keyword */
	int nframes;
	struct frame frames[MAX_FRAMES];
};

/* Lines (after the prefix and leading blanks) that belong to a report
 * body: registers, trace headers, dump_page, KASAN, lockdep, kmemleak,
 * stall details. Used to find where a report without an end marker stops. */
static const char *const body_prefixes[] = {
	"RIP:", "RSP:", "RAX:", "RBX:", "RCX:", "RDX:", "RSI:", "RDI:", "RBP:", "R08:", "R09:",
	"R10:", "R11:", "R12:", "R13:", "R14:", "R15:", "FS:", "GS:", "CS:", "CR0:", "CR2:", "CR3:",
	"CR4:", "DR0:", "DR3:", "DR6:", "PKRU:", "Code:", "Modules linked in:", "CPU:", "CPU#",
	"Hardware name:", "Workqueue:", "Tainted:", "Not tainted", "#PF:", "PGD ", "P4D ", "PUD ",
	"PMD ", "PTE ", "Oops", "invalid opcode", "---[ end", "page:", "head:", "flags:", "raw:",
	"memcg:", "anon flags:", "ksm flags:", "page dumped because", "page_owner", "page_type:",
	"aops:", "addr:", "file:", "vma ", "Read of size", "Write of size", "Read at addr",
	"Write at addr", "Free of addr", "The buggy address", "Allocated by task", "Freed by task",
	"Last potentially", "Second to last", "Memory state", "INFO:", "Sending NMI", "NMI backtrace",
	"task:", "Showing all locks", "Showing busy workqueues", "stack backtrace:",
	"irq event stamp:", "hardirqs last", "softirqs last", "Kernel Offset:", "rcu:", "\"echo 0",
	"KASAN:", "Disabling lock debugging", "other info that", "Possible unsafe",
	"Possible interrupt unsafe", "*** DEADLOCK", "the existing dependency", "-> #",
	"which lock already", "but task is already", "locks held by", "lock held by",
	"no locks held", "is trying to", "just changed the state", "is freeing memory",
	"is leaving the kernel", "but there are no more locks", "inconsistent {", "{", "turning off",
	"The code is fine", "you didn't initialize", "caller is", "in_atomic():", "preempt_count:",
	"RCU nest depth:", "Preemption disabled at:", "last function:", "preempt=", "workqueue ",
	"pool ", "-----", "pc :", "lr :", "sp :", "note:", "Fixing recursive fault", "comm \"",
	"hex dump", "backtrace", "unreferenced object",
};

static bool body_prefix(const char *t, size_t n)
{
	for (size_t k = 0; k < sizeof(body_prefixes) / sizeof(body_prefixes[0]); k++) {
		const char *p = body_prefixes[k];
		if (t[0] == p[0] && starts_str(t, n, p))
			return true;
	}
	return false;
}

/* Register dump lines; inside a trace they belong to an interrupt frame. */
static bool reg_line(const char *t, size_t n)
{
	static const char *const regs[] = {
		"Code:", "RSP:", "RAX:", "RDX:", "RBP:", "R10:", "R13:", "FS:", "CS:", "CR2:", "DR0:",
		"DR3:", "DR6:", "PKRU:",
	};

	for (size_t k = 0; k < sizeof(regs) / sizeof(regs[0]); k++)
		if (starts_str(t, n, regs[k]))
			return true;
	return false;
}

static void open_body(struct body *b, const struct scan *s, const struct hdr *h, int ln)
{
	memset(b, 0, offsetof(struct body, frames));
	b->h = *h;
	b->header_line = ln;
	b->start = report_start(s, h, ln);
	b->last_rec = ln;
	if (h->fam->flags & F_TRACE_FIRST) {
		b->trace_started = b->keyword_open = true;
		b->keywords = 1;
	}
}

/* A body line's text: without the pr_fmt prefix the header had, which
 * kmemleak and RCU repeat on every line of their report. */
static struct span body_text(const struct body *b, const struct line *l)
{
	const struct span *sp = &b->h.subsys;

	if (sp->n && has_prefix(l->c, l->cn, sp->p, sp->n))
		return (struct span){ l->c + sp->n, l->cn - sp->n };
	return (struct span){ l->c, l->cn };
}

static bool ends_body(const struct body *b, const char *t, size_t n)
{
	const struct family *f = b->h.fam;

	if (STARTS(t, n, "---[ end trace"))
		return true;
	if (STARTS(t, n, "---[ end Kernel panic") && STARTS(f->header, strlen(f->header), "Kernel panic"))
		return true;
	return (f->flags & F_SANITIZER) && is_separator(t, n);
}

/* Whether a header of family inner seen inside the report b is part of it:
 * the "Oops: invalid opcode" line after "kernel BUG at", the BUG or WARN of
 * a list check after its message, kmemleak's object after syzkaller's
 * "BUG: memory leak". */
static bool absorbs(const struct body *b, const struct family *inner)
{
	const struct family *outer = b->h.fam;

	if ((outer->flags & F_ABSORB_DIE) && (inner->flags & F_DIE))
		return true;
	if ((outer->flags & F_LEAK) && (inner->flags & F_LEAK) && !b->trace_started)
		return true;
	return (outer->flags & F_LIST) && (inner->flags & (F_DIE | F_LOCATION));
}

static void rip_line(struct body *b, struct span name, bool symbolic)
{
	if (symbolic && !b->rip.n)
		b->rip = name;
	if (!b->trace_started || b->trace_done)
		return;
	/* A user-mode RIP (0033) closes a syscall trace; a kernel one inside
	 * a trace is an interrupt frame, the trace goes on. */
	if (!symbolic && b->nframes)
		b->trace_done = true;
	else if (symbolic && b->nframes < MAX_FRAMES)
		b->frames[b->nframes++] = (struct frame){ name, true, b->in_irq, true };
}

/* "Call Trace:" and the other words after which syzkaller wants frames. */
static bool trace_keyword(struct body *b, const char *t, size_t n)
{
	bool call = STARTS(t, n, "Call Trace:") || STARTS(t, n, "Call trace:");
	bool leak = (b->h.fam->flags & F_LEAK) && (STARTS(t, n, "backtrace:") || STARTS(t, n, "backtrace (crc"));
	bool alloc = STARTS(t, n, "Allocated by task") || STARTS(t, n, "Freed by task");

	if (!call && !leak && !alloc)
		return false;
	b->keyword_bare |= b->keyword_open;
	b->keyword_open = true;
	b->keywords++;
	if (call || leak) {
		if (b->trace_started)
			b->trace_done = true;
		b->trace_started = true;
	} else if (b->nframes) {
		b->trace_done = true;
	}
	return true;
}

static void frame_line(struct body *b, struct span name, bool reliable)
{
	if (reliable)
		b->keyword_open = false;
	if (b->trace_started && !b->trace_done && b->nframes < MAX_FRAMES)
		b->frames[b->nframes++] = (struct frame){ name, reliable, b->in_irq, false };
	else if (b->h.fam->frame == FR_IPSYM && b->marker_seen && !b->named.n)
		b->named = name;
}

/* RIP lines, Call Trace headers, <IRQ>-style markers and frames. */
static bool trace_line(struct body *b, const char *t, size_t n)
{
	struct span name;
	bool symbolic, reliable;

	if (parse_rip(t, n, &name, &symbolic)) {
		rip_line(b, name, symbolic);
		return true;
	}
	if (trace_keyword(b, t, n))
		return true;
	if (t[0] == '<' && n <= 16 && t[n - 1] == '>') {
		/* <TASK> </TASK> <IRQ> </IRQ> <NMI> </NMI> <SOFTIRQ> <EOI> */
		if (STARTS(t, n, "</TASK>") && b->nframes)
			b->trace_done = true;
		b->in_irq = !(t[1] == '/' || STARTS(t, n, "<TASK>") || STARTS(t, n, "<EOI>"));
		return true;
	}
	if (parse_frame(t, n, &name, &reliable)) {
		frame_line(b, name, reliable);
		return true;
	}
	return false;
}

/* Where one of the '|'-separated texts of alts occurs in s, and its length. */
static const char *find_alt(const char *s, size_t n, const char *alts, size_t *len)
{
	for (const char *p = alts;; p++) {
		const char *bar = strchr(p, '|');
		size_t pn = bar ? (size_t)(bar - p) : strlen(p);
		const char *hit = pn ? memmem(s, n, p, pn) : NULL;
		if (hit) {
			*len = pn;
			return hit;
		}
		if (!bar)
			return NULL;
		p = bar;
	}
}

/* The marker line and what follows it: lockdep's "at: func" lines, the
 * bare name after "last function: ". */
static void marker_line(struct body *b, const char *t, size_t n)
{
	const struct family *f = b->h.fam;
	const char *hit, *at;
	size_t len, i;

	if (f->marker && !b->marker_seen && (hit = find_alt(t, n, f->marker, &len))) {
		b->marker_seen = true;
		if (f->frame == FR_NAMED) {
			const char *s = hit + len, *e = t + n;
			for (i = 0; s + i < e && is_sym(s[i]) && s[i] != '.'; i++)
				;
			b->named = (struct span){ s, i };
		}
		return;
	}
	if (f->frame != FR_AT || b->nat >= 2 || (f->marker && !b->marker_seen) || !(at = FIND(t, n, ", at: ")))
		return;
	i = (size_t)(at - t) + 6;
	i += skip_addr_groups(t + i, n - i);
	if (parse_symbol(t + i, n - i, &b->at[b->nat], NULL, NULL))
		b->nat++;
}

/* Lines that are not trace lines: details to capture, and whether the
 * line belongs to the report at all. */
static bool detail_line(struct body *b, const char *t, size_t n, size_t lead)
{
	const struct family *f = b->h.fam;

	if (f->frame == FR_AT || f->frame == FR_IPSYM || f->frame == FR_NAMED)
		marker_line(b, t, n);
	if ((f->flags & F_ACCESS) && !b->access[0]) {
		if (STARTS(t, n, "Read of size") || STARTS(t, n, "Read at addr"))
			strcpy(b->access, "Read");
		else if (STARTS(t, n, "Write of size") || STARTS(t, n, "Write at addr"))
			strcpy(b->access, "Write");
	}
	/* The next report's opening lines are never this one's. */
	if ((t[0] == '-' && is_cut_here(t, n)) || (t[0] == '=' && is_separator(t, n)))
		return false;
	if (lead > 0 || body_prefix(t, n) || FIND(t, n, ", at: ")) {
		if (b->nframes && lead == 0 && !reg_line(t, n))
			b->trace_done = true;
		return true;
	}
	return (f->flags & F_SANITIZER) != 0; /* everything up to the closing ==== line */
}

static void body_line(struct body *b, const struct line *l, bool booted)
{
	struct span m = body_text(b, l);
	size_t lead = trim_left(m.p, m.n);
	const char *t = m.p + lead;
	size_t n = m.n - lead;
	struct hdr h;
	bool rec;

	if (n == 0)
		return; /* blank lines neither extend nor break a report */
	if (ends_body(b, t, n)) {
		b->end = l->ln;
		b->done = true;
		return;
	}
	if (detect(l->c, l->cn, booted, &h)) {
		if (!absorbs(b, h.fam)) {
			b->done = b->cut = true;
			return;
		}
		rec = true;
	} else {
		rec = trace_line(b, t, n) || detail_line(b, t, n, lead);
	}
	if (rec) {
		b->last_rec = l->ln;
		b->unrec = 0;
	} else if (++b->unrec > (b->trace_done ? UNREC_AFTER_TRACE_END : UNREC_BEFORE_TRACE_END)) {
		b->done = true;
	}
	if (l->ln - b->header_line > MAX_BODY_LINES)
		b->done = true;
}

/* ---- guilty frame --------------------------------------------------------- */

/* Candidate frames, in the order the family's rule reads them. */
struct picks {
	struct span name[MAX_FRAMES + 4];
	int n;
};

static void add_pick(struct picks *p, struct span s)
{
	if (s.n && p->n < (int)(sizeof(p->name) / sizeof(p->name[0])))
		p->name[p->n++] = s;
}

/* The trace's reliable frames from index from on; interrupt RIPs only if
 * rips, and no <IRQ>/<NMI> frames unless irq. */
static void add_frames(const struct body *b, struct picks *p, int from, bool irq, bool rips)
{
	for (int i = from; i < b->nframes; i++) {
		const struct frame *f = &b->frames[i];
		if (f->reliable && (irq || !f->in_irq) && (rips || !f->rip))
			add_pick(p, f->name);
	}
}

/* RCU stalls: the code the timer interrupt stopped (the frames after
 * apic_timer_interrupt, its RIP first), else as for other stalls. */
static void add_interrupted(const struct body *b, struct picks *p)
{
	for (int i = 0; i < b->nframes; i++)
		if (glob_match("*apic_timer_interrupt*", b->frames[i].name.p, b->frames[i].name.n)) {
			add_frames(b, p, i + 1, true, true);
			return;
		}
	add_pick(p, b->rip);
	add_frames(b, p, 0, false, false);
}

static void gather(const struct body *b, struct picks *p)
{
	p->n = 0;
	switch (b->h.fam->frame) {
	case FR_CRASH:
		add_pick(p, b->h.func);
		/* fall through */
	case FR_RIP:
		add_pick(p, b->rip);
		add_frames(b, p, 0, true, false);
		break;
	case FR_HEADER:
		add_pick(p, b->h.func);
		add_frames(b, p, 0, true, false);
		break;
	case FR_RIP_ONLY:
		add_pick(p, b->rip);
		break;
	case FR_STALL:
		add_pick(p, b->rip);
		add_frames(b, p, 0, false, false);
		break;
	case FR_RCU_STALL:
		add_interrupted(b, p);
		break;
	case FR_AT:
		add_pick(p, b->at[0]);
		add_pick(p, b->at[1]);
		add_frames(b, p, 0, true, false);
		break;
	case FR_IPSYM:
	case FR_NAMED:
		add_pick(p, b->named);
		break;
	default: /* FR_STACK, FR_OPTIONAL, FR_HANG */
		add_frames(b, p, 0, true, false);
		break;
	}
}

/* A frame's name as syzkaller compares it: syscall entry prefixes off. */
static void frame_name(struct span s, char *out, size_t outlen)
{
	size_t k;

	for (k = 0; k < sizeof(strip_prefixes) / sizeof(strip_prefixes[0]); k++) {
		size_t pl = strlen(strip_prefixes[k]);
		if (s.n > pl && has_prefix(s.p, s.n, strip_prefixes[k], pl)) {
			s.p += pl;
			s.n -= pl;
		}
	}
	copy_text(out, outlen, s.p, s.n);
}

/* Candidate i as syzkaller compares it (syscall prefixes off), into
 * out; false when a skip list drops it. */
static bool usable(const struct body *b, const struct picks *p, int i, char *out, size_t outlen)
{
	const struct family *f = b->h.fam;
	size_t len;

	frame_name(p->name[i], out, outlen);
	len = strlen(out);
	return len && ((f->flags & F_NOSKIP) || (!glob_any(skip_always, out, len) && !glob_any(f->skip, out, len)));
}

/* Stalls: the frame just above the first dispatcher or entry point, since
 * the top of a looping stack is random (syzkaller's stall extractor). */
static bool stall_pick(const struct body *b, const struct picks *p, char *out, size_t outlen)
{
	char name[128], prev[128] = "", first[128] = "";

	for (int i = 0; i < p->n; i++) {
		if (!usable(b, p, i, name, sizeof(name)))
			continue;
		if (glob_any(stall_anchors, name, strlen(name))) {
			bool self = strstr(name, "smp_call_function") || !prev[0];
			copy_text(out, outlen, self ? name : prev, strlen(self ? name : prev));
			return true;
		}
		memcpy(prev, name, sizeof(prev));
		if (!first[0])
			memcpy(first, name, sizeof(first));
	}
	copy_text(out, outlen, first, strlen(first)); /* (ours) no anchor: the top frame */
	return first[0] != 0;
}

/* Hung tasks: the thing waited for, else the first frame that is not a
 * way of waiting (syzkaller's hung-task extractor). */
static bool hang_pick(const struct body *b, const struct picks *p, char *out, size_t outlen)
{
	char name[128];

	for (int i = 0; i < p->n; i++) {
		if (!usable(b, p, i, name, sizeof(name)))
			continue;
		for (size_t k = 0; k < sizeof(hang_anchors) / sizeof(hang_anchors[0]); k++)
			if (glob_any((const char *const[]){ hang_anchors[k].frame, NULL }, name, strlen(name))) {
				const char *pick = hang_anchors[k].name ? hang_anchors[k].name : name;
				copy_text(out, outlen, pick, strlen(pick));
				return true;
			}
	}
	for (int i = 0; i < p->n; i++)
		if (usable(b, p, i, name, sizeof(name)) && !glob_any(skip_hang, name, strlen(name))) {
			copy_text(out, outlen, name, strlen(name));
			return true;
		}
	return false;
}

static bool pick_frame(const struct body *b, char *out, size_t outlen)
{
	enum frame_rule rule = b->h.fam->frame;
	struct picks p;

	gather(b, &p);
	if (rule == FR_STALL || rule == FR_RCU_STALL)
		return stall_pick(b, &p, out, outlen);
	if (rule == FR_HANG)
		return hang_pick(b, &p, out, outlen);
	for (int i = 0; i < p.n; i++)
		if (usable(b, &p, i, out, outlen))
			return true;
	return false;
}

/* ---- title ---------------------------------------------------------------- */

/* Generic "BUG: text": the words up to the first one that carries a
 * number, an address or a path, so that the title is stable. */
static size_t next_word(const char *s, size_t n, size_t *i, bool *last)
{
	size_t w, wl;

	*i += trim_left(s + *i, n - *i);
	for (w = *i; *i < n && !is_space(s[*i]); (*i)++)
		;
	wl = *i - w;
	*last = false;
	if (!wl || s[w] == '[')
		return wl; /* "[00000000]": the caller skips it */
	for (size_t k = w; k < w + wl; k++) {
		unsigned char c = s[k];
		if (is_digit(c) || c == '/' || c == '=' || c == '#' || ((c == ':' || c == ',') && k != w + wl - 1))
			return 0;
	}
	if (s[w + wl - 1] == ':' || s[w + wl - 1] == ',' || s[w + wl - 1] == '!') {
		wl--;
		*last = true;
	}
	return wl == 1 && s[w] == '-' ? 0 : wl;
}

static void drop_dangling(char *buf)
{
	static const char *const dangling[] = { "at", "in", "on", "for", "of", "from", "-" };

	for (bool again = true; again;) {
		char *sp = strrchr(buf, ' ');
		again = false;
		for (size_t k = 0; sp && k < sizeof(dangling) / sizeof(dangling[0]); k++)
			if (!strcmp(sp + 1, dangling[k])) {
				*sp = 0;
				again = true;
				break;
			}
	}
}

static void words_text(const char *s, size_t n, char *out, size_t outlen)
{
	char buf[200];
	size_t j = 0, i = 0, wl;
	const char *inproc = FIND(s, n, " in process ");
	bool last = false;

	if (inproc)
		n = (size_t)(inproc - s);
	while (!last && i < n && j + 2 < sizeof(buf)) {
		size_t w = i + trim_left(s + i, n - i);
		if (!(wl = next_word(s, n, &i, &last)))
			break;
		if (s[w] == '[')
			continue;
		if (j)
			buf[j++] = ' ';
		if (j + wl >= sizeof(buf))
			wl = sizeof(buf) - j - 1;
		memcpy(buf + j, s + w, wl);
		j += wl;
	}
	buf[j] = 0;
	drop_dangling(buf); /* "... invalid context at <path>" */
	copy_text(out, outlen, buf, strlen(buf));
}

/* %T of a title, by the family's text rule. */
static void header_text(const struct hdr *h, char *out, size_t outlen)
{
	const char *s = h->rest.p, *e = s + h->rest.n, *stop;
	static const char *const type_stops[] = { " in ", " on ", " at ", "," };

	out[0] = 0;
	switch (h->fam->text) {
	case TX_TYPE:
		for (size_t k = 0; k < sizeof(type_stops) / sizeof(type_stops[0]); k++)
			if ((stop = find_str(s, (size_t)(e - s), type_stops[k])))
				e = stop;
		break;
	case TX_REST:
		if ((stop = FIND(s, (size_t)(e - s), " exitcode=")))
			e = stop;
		break;
	case TX_WORDS:
		words_text(s, h->rest.n, out, outlen);
		return;
	case TX_CALL:
		if ((stop = FIND(s, (size_t)(e - s), "()")))
			e = stop + 2;
		break;
	case TX_DIE:
		if ((stop = memchr(s, ',', (size_t)(e - s))))
			e = stop;
		break;
	case TX_NONE:
		return;
	}
	copy_text(out, outlen, s + trim_left(s, (size_t)(e - s)), (size_t)(e - s) - trim_left(s, (size_t)(e - s)));
	if (h->fam->text == TX_DIE && !out[0])
		snprintf(out, outlen, "Oops"); /* a description of serial garbage */
}

static void append(char *dst, size_t cap, size_t *o, const char *s)
{
	while (*s && *o + 1 < cap)
		dst[(*o)++] = *s++;
	dst[*o] = 0;
}

/* Fills the title from the family's format: %T text, %A access, %F frame
 * ("corrupted" when there is none), %I " in frame" when there is one. */
static void make_title(const struct body *b, const char *frame, struct report *r)
{
	char text[200];
	size_t o = 0;

	header_text(&b->h, text, sizeof(text));
	r->title[0] = 0;
	for (const char *p = b->h.fam->title; *p; p++) {
		char lit[2] = { *p, 0 };
		if (*p != '%' || !p[1]) {
			append(r->title, sizeof(r->title), &o, lit);
			continue;
		}
		switch (*++p) {
		case 'T': append(r->title, sizeof(r->title), &o, text); break;
		case 'A': append(r->title, sizeof(r->title), &o, b->access); break;
		case 'F': append(r->title, sizeof(r->title), &o, frame ? frame : "corrupted"); break;
		case 'I':
			if (frame) {
				append(r->title, sizeof(r->title), &o, " in ");
				append(r->title, sizeof(r->title), &o, frame);
			}
			break;
		}
	}
	/* "KASAN: use-after-free  in f" when the access line was lost */
	for (char *dbl; (dbl = strstr(r->title, "  "));)
		memmove(dbl, dbl + 1, strlen(dbl));
}

/* syzkaller's corrupted report: one lost its header (F_CORRUPTED), or the
 * stack a title needs is missing or cut: no frame, no Call Trace, or a
 * Call Trace / Allocated / Freed / backtrace with no frame after it. */
static bool is_corrupted(const struct body *b, bool have_frame)
{
	const struct family *f = b->h.fam;

	if (f->flags & F_CORRUPTED)
		return true;
	if ((f->flags & F_ACCESS) && !b->access[0])
		return true;
	if (f->frame == FR_NONE || f->frame == FR_OPTIONAL || f->frame == FR_NAMED)
		return false;
	if (!have_frame)
		return true;
	if (f->flags & F_NO_TRACE)
		return false;
	return !b->keywords || b->keyword_bare || b->keyword_open;
}

static void finish(const struct body *b, struct report *r)
{
	char frame[128];
	bool have = b->h.fam->frame != FR_NONE && pick_frame(b, frame, sizeof(frame));

	memset(r, 0, sizeof(*r));
	r->crash = true;
	r->start_line = b->start;
	r->end_line = b->end ? b->end : b->last_rec;
	if (have)
		snprintf(r->guilty_frame, sizeof(r->guilty_frame), "%s", frame);
	r->corrupted = is_corrupted(b, have);
	make_title(b, have ? frame : NULL, r);
}

int report_table_check(void)
{
	if (!simple_list(skip_always) || !simple_list(stall_anchors) || !simple_list(skip_hang))
		return (int)NFAMILIES;
	for (size_t k = 0; k < sizeof(hang_anchors) / sizeof(hang_anchors[0]); k++)
		if (!simple_list((const char *const[]){ hang_anchors[k].frame, NULL }))
			return (int)NFAMILIES;
	for (size_t k = 0; k < NFAMILIES; k++) {
		const struct family *f = &families[k];
		bool wants_frame = f->title && strstr(f->title, "%F");
		bool no_frame = f->frame == FR_NONE || f->frame == FR_OPTIONAL;
		if ((!(f->flags & F_DIE) && !header_start[(unsigned char)f->header[0]]) || f->hlen != strlen(f->header))
			return (int)k;
		if (!(f->flags & F_IGNORE) && (!f->title || wants_frame == no_frame))
			return (int)k;
		if ((f->flags & F_LOCATION) && !STARTS(f->header, strlen(f->header), "WARNING: ") &&
		    !strstr(f->header, "BUG at "))
			return (int)k;
		if (((f->frame == FR_IPSYM || f->frame == FR_NAMED) && !f->marker) || !simple_list(f->skip))
			return (int)k;
	}
	return -1;
}

/* ---- the scan ------------------------------------------------------------- */

static void scan_init(struct scan *s, const char *log, size_t len)
{
	memset(s, 0, sizeof(*s));
	s->log = log;
	s->len = log ? len : 0;
}

static void read_body(struct scan *s, const struct line *hl, const struct hdr *h, struct report *r)
{
	struct body b;
	struct line l;

	open_body(&b, s, h, hl->ln);
	while (!b.done && next_line(s, &l)) {
		note_context(s, &l);
		body_line(&b, &l, s->booted);
		if (b.cut) {
			/* the line starts the next report: read it again */
			s->pos = l.pos;
			s->ln = l.ln - 1;
		}
	}
	finish(&b, r);
}

/* Reads the next report into *r; false at the end of the log. */
static bool scan_next(struct scan *s, struct report *r, int *header_line)
{
	struct line l;
	struct hdr h;

	while (next_line(s, &l)) {
		note_context(s, &l);
		if (!detect(l.c, l.cn, s->booted, &h))
			continue;
		if ((h.fam->flags & F_AFTERMATH) && s->reports)
			continue; /* "Fatal exception" after the report that caused it */
		read_body(s, &l, &h, r);
		*header_line = l.ln;
		s->reports++;
		s->prev_end = r->end_line;
		return true;
	}
	return false;
}

/* ---- page dumps (mm/debug.c dump_page) ------------------------------------ */

#define PAGE_DUMP_LINES 40 /* lines of one dump, interleaved noise included */

struct page_kv {
	struct span key, val;
};

static bool span_is(struct span s, const char *lit)
{
	return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

/* A signed decimal of 1 to 11 digits. */
static bool page_dec(struct span s, long *v)
{
	size_t i = s.n && s.p[0] == '-';
	long x = 0;

	if (i >= s.n || s.n - i > 11)
		return false;
	for (; i < s.n; i++) {
		if (!is_digit(s.p[i]))
			return false;
		x = x * 10 + (s.p[i] - '0');
	}
	*v = s.p[0] == '-' ? -x : x;
	return true;
}

/* 1 to 16 hex digits, "0x" optional; "(null)" is 0. */
static bool page_hex(struct span s, unsigned long *v)
{
	if (span_is(s, "(null)")) {
		*v = 0;
		return true;
	}
	if (s.n > 2 && s.p[0] == '0' && (s.p[1] | 0x20) == 'x') {
		s.p += 2;
		s.n -= 2;
	}
	return s.n >= 1 && s.n <= 16 && read_hex(s.p, s.n, v) == s.n;
}

/* The next blank-separated "key:value" token of t (value may be empty). */
static bool next_kv(const char *t, size_t n, size_t *i, struct page_kv *kv)
{
	size_t start, colon;

	while (*i < n && is_space(t[*i]))
		(*i)++;
	if (*i >= n)
		return false;
	for (start = *i; *i < n && !is_space(t[*i]); (*i)++)
		;
	for (colon = start; colon < *i && t[colon] != ':'; colon++)
		;
	kv->key = (struct span){ t + start, colon - start };
	kv->val = colon < *i ? (struct span){ t + colon + 1, *i - colon - 1 } : (struct span){ t + *i, 0 };
	return true;
}

static void page_field(struct report_page *p, bool ok)
{
	if (!ok)
		p->malformed = true;
}

static void page_reason(struct report_page *p, const char *s, size_t n)
{
	size_t lead = trim_left(s, n);

	if (n - lead >= sizeof(p->reason))
		p->malformed = true;
	copy_text(p->reason, sizeof(p->reason), s + lead, n - lead);
}

/* "page:%p refcount:%d mapcount:%d mapping:%p index:%#lx pfn:%#lx" and its
 * older forms (no pfn:, " compound_mapcount: %d"). t is past "page:". False
 * when refcount or mapcount is missing: no dump. */
static bool page_line(const char *t, size_t n, struct report_page *p)
{
	const char *poison = FIND(t, n, "is uninitialized and poisoned"), *why;
	struct page_kv kv;
	size_t i = 0;
	bool ref = false, map = false;

	if (poison) {
		/* pr_warn without a newline: the reason may follow on the same line */
		if ((why = FIND(poison, n - (size_t)(poison - t), "page dumped because:")))
			page_reason(p, why + 20, n - (size_t)(why + 20 - t));
		return p->poisoned = true;
	}
	while (next_kv(t, n, &i, &kv)) {
		if (span_is(kv.key, "refcount"))
			ref = page_dec(kv.val, &p->refcount);
		else if (span_is(kv.key, "mapcount"))
			map = page_dec(kv.val, &p->mapcount);
		else if (span_is(kv.key, "mapping"))
			page_field(p, p->have_mapping = page_hex(kv.val, &p->mapping));
		else if (span_is(kv.key, "index"))
			page_field(p, page_hex(kv.val, &p->index));
		else if (span_is(kv.key, "pfn"))
			page_field(p, p->have_pfn = page_hex(kv.val, &p->pfn));
		else if (span_is(kv.key, "compound_mapcount"))
			p->large = true;
	}
	return ref && map;
}

/* "head: order:%u mapcount:.." (6.x), "head:%p order:%u .." (5.x, 6.1)
 * or a hex dump of the head page: printed only for compound pages. */
static void head_line(const char *t, size_t n, struct report_page *p)
{
	struct page_kv kv;
	size_t i = 0;
	long order;

	p->large = true;
	while (next_kv(t, n, &i, &kv))
		if (span_is(kv.key, "order")) {
			bool ok = page_dec(kv.val, &order) && order >= 0 && order < 64;
			page_field(p, ok);
			p->order = ok ? (int)order : p->order;
		}
}

static bool flag_name_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!(is_digit(s[i]) || (s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
			return false;
	return n > 0;
}

/* "uptodate|lru|head|node=0|zone=2": the names, without the fields. */
static void flag_names(const char *s, size_t n, struct report_page *p)
{
	size_t o = 0, i = 0;

	while (i < n) {
		const char *bar = memchr(s + i, '|', n - i);
		size_t e = bar ? (size_t)(bar - s) : n;
		if (!memchr(s + i, '=', e - i)) {
			if (!flag_name_ok(s + i, e - i) || o + (o > 0) + (e - i) >= sizeof(p->flags)) {
				p->malformed = true;
			} else {
				if (o)
					p->flags[o++] = '|';
				memcpy(p->flags + o, s + i, e - i);
				o += e - i;
			}
		}
		i = e + 1;
	}
	p->flags[o] = 0;
}

/* " 0x17ffffc0000068(uptodate|lru|head|node=0|..)[ CMA]"; a line cut before
 * ')' keeps the names before its last '|'. */
static void flags_line(const char *t, size_t n, struct report_page *p)
{
	size_t i = trim_left(t, n), h = i;
	const char *open, *close, *last;

	while (h < n && t[h] != '(' && !is_space(t[h]))
		h++;
	p->have_flags = page_hex((struct span){ t + i, h - i }, &p->flags_raw);
	open = h < n && t[h] == '(' ? t + h + 1 : NULL;
	close = open ? memchr(open, ')', n - h - 1) : NULL;
	page_field(p, p->have_flags && close);
	if (close) {
		flag_names(open, (size_t)(close - open), p);
	} else if (open) {
		for (last = t + n; last > open && last[-1] != '|'; last--)
			;
		flag_names(open, last > open ? (size_t)(last - open - 1) : 0, p);
	}
}

/* "page_type: f5(slab)" (6.12), "page_type: 0xffffff7f(buddy)" */
static void page_type_line(const char *t, size_t n, struct report_page *p)
{
	const char *open = memchr(t, '(', n), *close = open ? memchr(open, ')', n - (size_t)(open - t)) : NULL;
	size_t len = close ? (size_t)(close - open - 1) : 0;

	if (!close || !flag_name_ok(open + 1, len) || len >= sizeof(p->page_type)) {
		p->malformed = true;
		return;
	}
	memcpy(p->page_type, open + 1, len);
	p->page_type[len] = 0;
}

/* One line after "page:"; false when it ends the dump. */
static bool dump_line(const char *t, size_t n, struct report_page *p)
{
	if (STARTS(t, n, "head:"))
		head_line(t + 5, n - 5, p);
	else if (STARTS(t, n, "memcg:"))
		page_field(p, p->have_memcg = page_hex((struct span){ t + 6, n - 6 }, &p->memcg));
	else if (STARTS(t, n, "anon flags:") && (p->anon = true))
		flags_line(t + 11, n - 11, p);
	else if (STARTS(t, n, "ksm flags:") && (p->ksm = true))
		flags_line(t + 10, n - 10, p);
	else if (STARTS(t, n, "flags:"))
		flags_line(t + 6, n - 6, p);
	else if (STARTS(t, n, "page_type:"))
		page_type_line(t + 10, n - 10, p);
	else if (STARTS(t, n, "aops:") || STARTS(t, n, "invalid mapping:"))
		p->file = true; /* dump_mapping() of a file page */
	else if (STARTS(t, n, "page dumped because:")) {
		page_reason(p, t + 20, n - 20);
		return false;
	}
	return true;
}

bool report_page_has_flag(const struct report_page *p, const char *name)
{
	size_t n = strlen(name), len = strnlen(p->flags, sizeof(p->flags));

	for (size_t i = 0; n && i + n <= len; i++)
		if ((i == 0 || p->flags[i - 1] == '|') && !memcmp(p->flags + i, name, n) &&
		    (i + n == len || p->flags[i + n] == '|'))
			return true;
	return false;
}

/* Page flag names of include/trace/events/mmflags.h, 4.x to 6.12. */
static const char *const page_flag_names[] = {
	"locked", "waiters", "error", "referenced", "uptodate", "dirty", "lru", "active", "workingset",
	"slab", "owner_priv_1", "owner_2", "arch_1", "reserved", "private", "private_2", "writeback",
	"head", "tail", "compound_head", "compound_tail", "swapcache", "mappedtodisk", "reclaim",
	"swapbacked", "unevictable", "mlocked", "uncached", "hwpoison", "young", "idle", "arch_2",
	"arch_3", "isolated", "reported", "dropbehind", "checked", "doublemap", "has_hwpoisoned",
	"large_rmappable", "partially_mapped", "pinned", "savepinned", "foreign", "xen_remapped",
	"slob_free", "anon_exclusive", "fscache", "readahead", "vmemmap_self_hosted",
};

/* The words of report_page_is besides flag names. */
static const char *const page_kind_words[] = { "anon", "file", "ksm", "large", "small", "poisoned" };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

bool report_page_word_known(const char *word)
{
	word += word[0] == '!';
	for (size_t i = 0; i < COUNT(page_kind_words); i++)
		if (!strcmp(word, page_kind_words[i]))
			return true;
	for (size_t i = 0; i < COUNT(page_flag_names); i++)
		if (!strcmp(word, page_flag_names[i]))
			return true;
	return false;
}

bool report_page_is(const struct report_page *p, const char *word)
{
	bool neg = word[0] == '!', is;

	word += neg;
	if (!strcmp(word, "anon"))
		is = p->anon;
	else if (!strcmp(word, "file"))
		is = p->file;
	else if (!strcmp(word, "ksm"))
		is = p->ksm;
	else if (!strcmp(word, "large"))
		is = p->large;
	else if (!strcmp(word, "small"))
		is = !p->large;
	else if (!strcmp(word, "poisoned"))
		is = p->poisoned;
	else
		is = report_page_has_flag(p, word);
	return p->present && is != neg;
}

static void page_finish(struct report_page *p)
{
	static const char *const compound[] = { "head", "tail", "compound_head", "compound_tail" };

	for (size_t i = 0; i < sizeof(compound) / sizeof(compound[0]); i++)
		p->large = p->large || report_page_has_flag(p, compound[i]);
	p->large = p->large || p->order > 0;
	if (!p->large)
		p->order = 0;
	p->file = !p->anon && !p->ksm &&
		  (p->file || (p->have_mapping && p->mapping && !p->page_type[0] && !report_page_has_flag(p, "slab")));
}

static const char *dump_text(const struct line *l, size_t *n)
{
	size_t lead = trim_left(l->c, l->cn);

	*n = l->cn - lead;
	return l->c + lead;
}

/* The dump whose "page:" line is first, up to last_line; the scan stops
 * after it (before a next "page:" line). */
static void read_dump(struct scan *s, const struct line *first, int last_line, struct report_page *p)
{
	struct report_page d = { .order = -1, .line = first->ln };
	struct line l;
	size_t n;
	const char *t = dump_text(first, &n);

	if (!page_line(t + 5, n - 5, &d))
		return;
	while (!d.poisoned && next_line(s, &l)) {
		t = dump_text(&l, &n);
		if (l.ln > last_line || l.ln - first->ln > PAGE_DUMP_LINES || STARTS(t, n, "page:")) {
			s->pos = l.pos;
			s->ln = l.ln - 1;
			break;
		}
		if (!dump_line(t, n, &d))
			break;
	}
	page_finish(&d);
	d.present = true;
	*p = d;
}

/* Gives each of the n reports (in order, not overlapping) the first page
 * dump inside its line range. One pass over the log. */
static void attach_pages(const char *log, size_t len, struct report *all, int n)
{
	struct scan s;
	struct line l;
	int k = 0;
	size_t tn;

	scan_init(&s, log, len);
	while (k < n && next_line(&s, &l)) {
		const char *t = dump_text(&l, &tn);
		while (k < n && l.ln > all[k].end_line)
			k++;
		if (k < n && l.ln >= all[k].start_line && !all[k].page.present && STARTS(t, tn, "page:"))
			read_dump(&s, &l, all[k].end_line, &all[k].page);
	}
}

/* ---- public API ----------------------------------------------------------- */

int report_parse(const char *log, size_t len, struct report *r)
{
	return report_parse_from(log, len, 1, r);
}

int report_parse_from(const char *log, size_t len, int from_line, struct report *r)
{
	struct scan s;
	int header_line;

	scan_init(&s, log, len);
	while (scan_next(&s, r, &header_line))
		if (header_line >= from_line) {
			if (r->start_line < from_line)
				r->start_line = from_line;
			attach_pages(log, len, r, 1);
			return 0;
		}
	memset(r, 0, sizeof(*r));
	return 0;
}

int report_parse_all(const char *log, size_t len, struct report **out, int *n)
{
	struct report r, *all = NULL, *grown;
	struct scan s;
	int cap = 0, header_line;

	*out = NULL;
	*n = 0;
	scan_init(&s, log, len);
	while (scan_next(&s, &r, &header_line)) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			if (!(grown = realloc(all, (size_t)cap * sizeof(*all)))) {
				free(all);
				*n = 0;
				errno = ENOMEM;
				return -1;
			}
			all = grown;
		}
		all[(*n)++] = r;
	}
	attach_pages(log, len, all, *n);
	*out = all;
	return 0;
}

bool report_line_symbol(const char *line, size_t n, struct report_symbol *sym)
{
	bool stamped;
	size_t off = printk_prefix(line, n, &stamped), i, used = 0, j;
	const char *t = line + off;
	size_t tn = n - off, lead = trim_left(t, tn);
	struct span name;

	memset(sym, 0, sizeof(*sym));
	while (tn > 0 && (t[tn - 1] == '\r' || t[tn - 1] == '\n'))
		tn--;
	if ((i = rip_label(t + lead, tn - lead))) {
		i += lead;
		i += skip_addr_groups(t + i, tn - i);
		used = parse_symbol(t + i, tn - i, &name, &sym->offset, &sym->size);
	} else if ((i = parse_frame(t, tn, &name, &sym->reliable))) {
		i--;
		used = parse_symbol(t + i, tn - i, &name, &sym->offset, &sym->size);
		sym->return_address = true;
	} else {
		/* another line naming a function: "WARNING: ... at file:line f+0x1/0x2",
		 * "..., at: f+0x1/0x2", "BUG: KASAN: ... in f+0x1/0x2" */
		for (i = 0; i < tn && !used; i++)
			if ((i == 0 || is_space(t[i - 1]) || t[i - 1] == ']') && is_sym((unsigned char)t[i]))
				used = parse_symbol(t + i, tn - i, &name, &sym->offset, &sym->size);
		i--;
	}
	if (!used)
		return false;
	sym->reliable = sym->reliable || !sym->return_address;
	sym->start = t + i;
	sym->len = used;
	copy_text(sym->name, sizeof(sym->name), name.p, name.n);
	j = i + used;
	if (j + 2 < tn && t[j] == ' ' && t[j + 1] == '[') {
		const char *close = memchr(t + j + 2, ']', tn - j - 2);
		if (close)
			copy_text(sym->module, sizeof(sym->module), t + j + 2, (size_t)(close - t - j - 2));
	}
	return true;
}

#define PUT(ch) do { if (o + 1 < cap) out[o] = (ch); o++; } while (0)

static size_t json_lit(char *out, size_t cap, size_t o, const char *s)
{
	for (; *s; s++)
		PUT(*s);
	return o;
}
#undef PUT

/* ---- page dumps as JSON ---------------------------------------------------- */

/* A copy of a char array that may come unterminated from anywhere. */
static void bounded(char *dst, const char *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = 0;
}

static size_t json_hex(char *out, size_t cap, size_t o, const char *key, bool have, unsigned long v)
{
	char num[64];

	if (have)
		snprintf(num, sizeof(num), ",\"%s\":\"0x%lx\"", key, v);
	else
		snprintf(num, sizeof(num), ",\"%s\":null", key);
	return json_lit(out, cap, o, num);
}

static size_t json_opt_str(char *out, size_t cap, size_t o, const char *key, const char *v)
{
	char k[32];

	snprintf(k, sizeof(k), ",\"%s\":", key);
	o = json_lit(out, cap, o, k);
	return v[0] ? json_quote(out, cap, o, v) : json_lit(out, cap, o, "null");
}

static size_t json_flag_list(char *out, size_t cap, size_t o, const char *flags)
{
	char name[sizeof(((struct report_page *)0)->flags)];

	o = json_lit(out, cap, o, ",\"flags\":[");
	for (const char *f = flags; *f;) {
		size_t len = strcspn(f, "|");
		bounded(name, f, len);
		o = json_quote(out, cap, o, name);
		f += len + (f[len] == '|');
		if (*f)
			o = json_lit(out, cap, o, ",");
	}
	return json_lit(out, cap, o, "]");
}

static size_t page_json_body(const struct report_page *p, char *out, size_t cap, size_t o)
{
	char flags[sizeof(p->flags) + 1], type[sizeof(p->page_type) + 1], why[sizeof(p->reason) + 1], num[160];
	bool order_known = !p->large || p->order >= 0;
	const char *kind = p->ksm ? "ksm" : p->anon ? "anon" : p->file ? "file" : "other";

	bounded(flags, p->flags, sizeof(p->flags));
	bounded(type, p->page_type, sizeof(p->page_type));
	bounded(why, p->reason, sizeof(p->reason));
	snprintf(num, sizeof(num), "{\"line\":%d,\"refcount\":%ld,\"mapcount\":%ld", p->line, p->refcount,
		 p->mapcount);
	o = json_lit(out, cap, o, num);
	o = json_hex(out, cap, o, "pfn", p->have_pfn, p->pfn);
	o = json_hex(out, cap, o, "mapping", p->have_mapping, p->mapping);
	o = json_hex(out, cap, o, "index", !p->poisoned, p->index);
	if (order_known && p->order >= 0 && p->order < 63)
		snprintf(num, sizeof(num), ",\"order\":%d,\"nr_pages\":%lu", p->order, 1UL << p->order);
	else
		snprintf(num, sizeof(num), ",\"order\":null,\"nr_pages\":null");
	o = json_lit(out, cap, o, num);
	snprintf(num, sizeof(num), ",\"large\":%s,\"kind\":\"%s\"", p->large ? "true" : "false", kind);
	o = json_lit(out, cap, o, num);
	o = json_flag_list(out, cap, o, flags);
	o = json_hex(out, cap, o, "flags_raw", p->have_flags, p->flags_raw);
	o = json_hex(out, cap, o, "memcg", p->have_memcg, p->memcg);
	o = json_opt_str(out, cap, o, "page_type", type);
	o = json_opt_str(out, cap, o, "reason", why);
	snprintf(num, sizeof(num), ",\"poisoned\":%s,\"malformed\":%s}", p->poisoned ? "true" : "false",
		 p->malformed ? "true" : "false");
	return json_lit(out, cap, o, num);
}

static int json_done(char *buf, size_t len, size_t o)
{
	if (o >= len) {
		buf[0] = 0;
		errno = ENOSPC;
		return -1;
	}
	buf[o] = 0;
	return (int)o;
}

int report_page_json(const struct report_page *p, char *buf, size_t len)
{
	if (!buf || len == 0) {
		errno = ENOSPC;
		return -1;
	}
	return json_done(buf, len, page_json_body(p, buf, len, 0));
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
	o = json_lit(buf, len, o, r->crash ? "{\"crash\":true,\"title\":" : "{\"crash\":false,\"title\":");
	o = json_quote(buf, len, o, title);
	o = json_lit(buf, len, o, ",\"guilty_frame\":");
	o = frame[0] ? json_quote(buf, len, o, frame) : json_lit(buf, len, o, "null");
	o = json_lit(buf, len, o, r->corrupted ? ",\"corrupted\":true" : ",\"corrupted\":false");
	snprintf(num, sizeof(num), ",\"start_line\":%d,\"end_line\":%d", r->start_line, r->end_line);
	o = json_lit(buf, len, o, num);
	if (r->page.present) {
		o = json_lit(buf, len, o, ",\"page\":");
		o = page_json_body(&r->page, buf, len, o);
	}
	return json_done(buf, len, json_lit(buf, len, o, "}"));
}
