/* The classifier's corpus: one Check test per tests/corpus/NAME.log.
 *
 * NAME.expect holds "key: value" lines. The first report's keys: crash,
 * title, guilty_frame (or null), corrupted, start_line, end_line (the last
 * four optional). Then one "report: START-END | title | guilty_frame or - |
 * ok or corrupted" line per report, in order; when there is any, the log
 * must have exactly those reports. "emulator: NAME" when the first report
 * is a known TCG artifact (emulator.h), none when absent. "source:" and
 * "#" lines are notes.
 *
 * MMREPRO_UPDATE_EXPECT=1 rewrites every .expect from the classifier's
 * output, keeping its notes, for review with git diff. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator.h"
#include "report.h"
#include "util.h"
#include "suites.h"

#define MIN_CORPUS 60

struct expect {
	int crash, corrupted;             /* -1: not given */
	char title[256], guilty[128], emulator[32];
	bool have_title, have_guilty;
	int start_line, end_line;         /* -1: not given */
	char reports[64][512];            /* "report:" values */
	int nreports;
	char notes[4096];                 /* source: and # lines, kept by updates */
};

static const char *corpus_dir(char *buf, size_t len)
{
	const char *root = getenv("MMREPRO_ROOT");

	snprintf(buf, len, "%s/tests/corpus", root && *root ? root : ".");
	return buf;
}

static int is_log(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return n > 4 && !strcmp(e->d_name + n - 4, ".log");
}

/* The i-th log of the corpus, in name order; false past the end. */
static bool corpus_log(int i, char *name, size_t len)
{
	char dir[4096];
	struct dirent **list;
	int n = scandir(corpus_dir(dir, sizeof(dir)), &list, is_log, alphasort);

	if (n < 0)
		return false;
	if (i < n)
		snprintf(name, len, "%.*s", (int)(strlen(list[i]->d_name) - 4), list[i]->d_name);
	for (int k = 0; k < n; k++)
		free(list[k]);
	free(list);
	return i < n;
}

static int corpus_size(void)
{
	char dir[4096];
	struct dirent **list;
	int n = scandir(corpus_dir(dir, sizeof(dir)), &list, is_log, alphasort);

	for (int k = 0; k < n; k++)
		free(list[k]);
	free(n >= 0 ? list : NULL);
	return n < 0 ? 0 : n;
}

static void rstrip(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = 0;
}

static void expect_key(struct expect *e, const char *key, const char *v)
{
	if (!strcmp(key, "crash"))
		e->crash = !strcmp(v, "true") ? 1 : !strcmp(v, "false") ? 0 : -1;
	else if (!strcmp(key, "corrupted"))
		e->corrupted = !strcmp(v, "true") ? 1 : !strcmp(v, "false") ? 0 : -1;
	else if (!strcmp(key, "title"))
		e->have_title = snprintf(e->title, sizeof(e->title), "%s", v) >= 0;
	else if (!strcmp(key, "guilty_frame"))
		e->have_guilty = snprintf(e->guilty, sizeof(e->guilty), "%s", strcmp(v, "null") ? v : "") >= 0;
	else if (!strcmp(key, "start_line"))
		e->start_line = atoi(v);
	else if (!strcmp(key, "end_line"))
		e->end_line = atoi(v);
	else if (!strcmp(key, "emulator"))
		snprintf(e->emulator, sizeof(e->emulator), "%s", v);
	else if (!strcmp(key, "report") && e->nreports < 64)
		snprintf(e->reports[e->nreports++], sizeof(e->reports[0]), "%s", v);
}

static bool read_expect(const char *path, struct expect *e)
{
	FILE *f = fopen(path, "r");
	char line[1024];

	memset(e, 0, sizeof(*e));
	e->crash = e->corrupted = e->start_line = e->end_line = -1;
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':'), *v;
		rstrip(line);
		if (line[0] == '#' || !strncmp(line, "source:", 7)) {
			size_t o = strlen(e->notes);
			snprintf(e->notes + o, sizeof(e->notes) - o, "%s\n", line);
			continue;
		}
		if (!colon)
			continue;
		*colon = 0;
		for (v = colon + 1; *v == ' '; v++)
			;
		expect_key(e, line, v);
	}
	fclose(f);
	return true;
}

/* "START-END | title | frame | ok" as the .expect files list reports. */
static void report_line(const struct report *r, char *buf, size_t len)
{
	snprintf(buf, len, "%d-%d | %s | %s | %s", r->start_line, r->end_line, r->title,
		 r->guilty_frame[0] ? r->guilty_frame : "-", r->corrupted ? "corrupted" : "ok");
}

static void write_expect(const char *path, const struct expect *e, const struct report *all, int n,
			 const char *emulator)
{
	FILE *f = fopen(path, "w");
	char line[512];

	ck_assert_msg(f != NULL, "cannot write %s: %s", path, strerror(errno));
	fprintf(f, "crash: %s\n", n ? "true" : "false");
	if (n) {
		fprintf(f, "title: %s\nguilty_frame: %s\ncorrupted: %s\nstart_line: %d\nend_line: %d\n",
			all[0].title, all[0].guilty_frame[0] ? all[0].guilty_frame : "null",
			all[0].corrupted ? "true" : "false", all[0].start_line, all[0].end_line);
	}
	if (emulator[0])
		fprintf(f, "emulator: %s\n", emulator);
	for (int i = 0; i < n; i++) {
		report_line(&all[i], line, sizeof(line));
		fprintf(f, "report: %s\n", line);
	}
	fputs(e->notes, f);
	fclose(f);
}

/* The JSON form must parse and agree with the struct. */
static int json_agrees(const char *name, const struct report *r)
{
	char buf[16384];
	struct json_object *o, *v;
	int bad = 0;

	if (report_to_json(r, buf, sizeof(buf)) < 0 || !(o = json_tokener_parse(buf))) {
		fprintf(stderr, "corpus %s: bad JSON: %s\n", name, buf);
		return 1;
	}
	bad += !json_object_object_get_ex(o, "crash", &v) || json_object_get_boolean(v) != r->crash;
	bad += !json_object_object_get_ex(o, "corrupted", &v) || json_object_get_boolean(v) != r->corrupted;
	bad += !json_object_object_get_ex(o, "title", &v) || strcmp(json_object_get_string(v), r->title);
	bad += !json_object_object_get_ex(o, "guilty_frame", &v) ||
	       (r->guilty_frame[0] ? !v || strcmp(json_object_get_string(v), r->guilty_frame) : v != NULL);
	bad += !json_object_object_get_ex(o, "start_line", &v) || json_object_get_int(v) != r->start_line;
	bad += !json_object_object_get_ex(o, "end_line", &v) || json_object_get_int(v) != r->end_line;
	bad += json_object_object_length(o) != 6 + r->page.present;
	bad += r->page.present != json_object_object_get_ex(o, "page", &v);
	if (bad)
		fprintf(stderr, "corpus %s: JSON disagrees with the report: %s\n", name, buf);
	json_object_put(o);
	return bad ? 1 : 0;
}

/* The first report against the single keys of the .expect. */
static int first_agrees(const char *name, const struct expect *e, const struct report *r)
{
	int bad = 0;

	if (r->crash != (e->crash == 1)) {
		fprintf(stderr, "corpus %s: crash %d, expected %d (\"%s\")\n", name, r->crash, e->crash, r->title);
		return 1;
	}
	if (!r->crash)
		return 0;
	if (e->have_title && strcmp(r->title, e->title) && ++bad)
		fprintf(stderr, "corpus %s: title \"%s\", expected \"%s\"\n", name, r->title, e->title);
	if (e->have_guilty && strcmp(r->guilty_frame, e->guilty) && ++bad)
		fprintf(stderr, "corpus %s: guilty_frame \"%s\", expected \"%s\"\n", name, r->guilty_frame, e->guilty);
	if (e->corrupted >= 0 && r->corrupted != e->corrupted && ++bad)
		fprintf(stderr, "corpus %s: corrupted %d, expected %d\n", name, r->corrupted, e->corrupted);
	if (((e->start_line >= 0 && r->start_line != e->start_line) ||
	     (e->end_line >= 0 && r->end_line != e->end_line)) && ++bad)
		fprintf(stderr, "corpus %s: lines %d-%d, expected %d-%d\n", name, r->start_line, r->end_line,
			e->start_line, e->end_line);
	return bad;
}

static bool same_report(const struct report *a, const struct report *b)
{
	return a->crash == b->crash && a->corrupted == b->corrupted && !strcmp(a->title, b->title) &&
	       !strcmp(a->guilty_frame, b->guilty_frame) && a->start_line == b->start_line &&
	       a->end_line == b->end_line;
}

/* Every report against the "report:" lines, and the walk with
 * report_parse_from against report_parse_all. */
static int all_agree(const char *name, const struct expect *e, const char *log, size_t len,
		     const struct report *all, int n)
{
	char got[512];
	struct report r;
	int bad = 0;

	if (e->nreports && n != e->nreports && ++bad)
		fprintf(stderr, "corpus %s: %d reports, expected %d\n", name, n, e->nreports);
	for (int i = 0; e->nreports && i < n && i < e->nreports; i++) {
		report_line(&all[i], got, sizeof(got));
		if (strcmp(got, e->reports[i]) && ++bad)
			fprintf(stderr, "corpus %s: report %d is \"%s\", expected \"%s\"\n", name, i + 1, got,
				e->reports[i]);
	}
	for (int i = 0, from = 1; i <= n; i++) {
		report_parse_from(log, len, from, &r);
		if (i == n ? r.crash : !same_report(&r, &all[i])) {
			fprintf(stderr, "corpus %s: report_parse_from(%d) is not report %d\n", name, from, i + 1);
			return bad + 1;
		}
		from = r.end_line + 1;
	}
	return bad;
}

START_TEST(test_corpus_file)
{
	char dir[4096], name[256], path[4600];
	struct report *all, none;
	struct expect e;
	const char *emulator;
	size_t len;
	char *log;
	int n, bad;

	ck_assert_msg(corpus_log(_i, name, sizeof(name)), "corpus entry %d is gone", _i);
	corpus_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s.log", dir, name);
	log = read_file(path, &len);
	ck_assert_msg(log != NULL, "corpus %s: cannot read %s", name, path);
	ck_assert_int_eq(report_parse_all(log, len, &all, &n), 0);
	snprintf(path, sizeof(path), "%s/%s.expect", dir, name);
	ck_assert_msg(read_expect(path, &e) || getenv("MMREPRO_UPDATE_EXPECT"), "corpus %s: no %s", name, path);
	emulator = emulator_artifact_name(n ? emulator_artifact_of(log, len, &all[0]) : EMU_NONE);
	if (getenv("MMREPRO_UPDATE_EXPECT"))
		write_expect(path, &e, all, n, emulator);
	ck_assert_msg(e.crash >= 0 || getenv("MMREPRO_UPDATE_EXPECT"), "corpus %s: no crash: line", name);
	memset(&none, 0, sizeof(none));
	bad = first_agrees(name, &e, n ? &all[0] : &none) + all_agree(name, &e, log, len, all, n);
	if (strcmp(emulator, e.emulator) && ++bad)
		fprintf(stderr, "corpus %s: emulator artifact \"%s\", expected \"%s\"\n", name, emulator, e.emulator);
	for (int i = 0; i < n; i++)
		bad += json_agrees(name, &all[i]);
	bad += json_agrees(name, &none);
	free(all);
	free(log);
	ck_assert_msg(bad == 0 || getenv("MMREPRO_UPDATE_EXPECT"), "corpus %s: %d mismatch(es), see stderr",
		      name, bad);
}
END_TEST

/* Each family the classifier knows has a log in the corpus: the titles
 * (or their start, where a frame follows) that some .expect must hold. */
static const char *const family_titles[] = {
	"kernel BUG in ", "WARNING in ", "WARNING: refcount bug in ", "WARNING: ODEBUG bug in ",
	"WARNING: kobject bug in ", "WARNING: kmalloc bug in ", "WARNING: bad usercopy in ",
	"BUG: bad usercopy in ", "WARNING: locking bug in ", "WARNING: proc registration bug in ",
	"WARNING: zero-size vmalloc in ", "general protection fault in ",
	"BUG: unable to handle kernel NULL pointer dereference in ",
	"BUG: unable to handle kernel paging request in ", "divide error in ", "invalid opcode in ",
	"stack segment fault in ", "PANIC: double fault in ", "kernel stack overflow in ",
	"BUG: stack guard page was hit in ", "KASAN: slab-use-after-free Read in ",
	"KASAN: slab-out-of-bounds Write in ", "KASAN: invalid-free in ", "KFENCE: ", "KMSAN: uninit-value in ",
	"KCSAN: data-race in ", "UBSAN: shift-out-of-bounds in ", "UBSAN: array-index-out-of-bounds in ",
	"possible deadlock in ", "inconsistent lock state in ", "WARNING: bad unlock balance in ",
	"WARNING: held lock freed in ", "WARNING: lock held when returning to user space in ",
	"WARNING: still has locks held in ", "WARNING: suspicious RCU usage in ",
	"INFO: trying to register non-static key in ", "BUG: sleeping function called from invalid context in ",
	"BUG: scheduling while atomic in ", "BUG: using smp_processor_id() in preemptible code in ",
	"BUG: using __this_cpu_read() in preemptible code in ", "BUG: spinlock ", "INFO: task hung in ",
	"INFO: task can't die in ", "INFO: rcu detected stall in ", "BUG: soft lockup in ", "BUG: hard lockup in ",
	"BUG: workqueue lockup", "BUG: workqueue leaked lock or atomic in ",
	"unregister_netdevice: waiting for DEV to become free", "memory leak in ", "BUG: Bad page state in ",
	"BUG: Bad page map in ", "BUG: Bad rss-counter state", "BUG: non-zero nr_ptes on freeing mm",
	"BUG: non-zero pgtables_bytes on freeing mm", "BUG: corrupted list in ",
	"kernel panic: Attempted to kill init!", "kernel panic: Fatal exception", "kernel panic: stack is corrupted in ",
	"unexpected kernel reboot", " in corrupted",
};

START_TEST(test_corpus_covers_families)
{
	char dir[4096], name[256], path[4600];
	bool seen[sizeof(family_titles) / sizeof(family_titles[0])] = { false };
	struct expect e;

	corpus_dir(dir, sizeof(dir));
	for (int i = 0; corpus_log(i, name, sizeof(name)); i++) {
		snprintf(path, sizeof(path), "%s/%s.expect", dir, name);
		if (!read_expect(path, &e))
			continue;
		for (size_t k = 0; k < sizeof(family_titles) / sizeof(family_titles[0]); k++)
			for (int j = 0; j < e.nreports && !seen[k]; j++)
				seen[k] = strstr(e.reports[j], family_titles[k]) != NULL;
	}
	for (size_t k = 0; k < sizeof(family_titles) / sizeof(family_titles[0]); k++)
		ck_assert_msg(seen[k], "no corpus log has a report titled \"%s...\"", family_titles[k]);
}
END_TEST

TCase *corpus_tcase(void)
{
	TCase *tc = tcase_create("corpus");
	int n = corpus_size();

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_corpus_file, 0, n > MIN_CORPUS ? n : MIN_CORPUS);
	tcase_add_test(tc, test_corpus_covers_families);
	return tc;
}
