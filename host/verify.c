/* `verify`: each declared variant against its expectation, with counts
 * and a 95% interval; results/<...>-verify/verify.json holds them all. */
#include "verify.h"
#include "flavor.h"
#include "pool.h"
#include "build.h"
#include "console.h"
#include "html.h"
#include "kernel.h"
#include "point.h"
#include "run.h"
#include "load.h"
#include "stack.h"
#include "stats.h"
#include "util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct outcome {
	struct tally t;            /* hits are runs that meet the variant's expectation of a failure */
	int runs, pass, fail, conf, brok, forbidden;
	double seconds;
	char title[256];           /* the first FAIL's report titles (or reason) */
	char forbidden_title[256]; /* the first forbidden report's title */
	char stack_miss[320];      /* the first failing run's expect_stack miss */
	double others_share;       /* of the CPU, while its point ran (load.h); -1 unknown */
	char load_warning[200];    /* a quiet-host variant ran under load */
	char reason[512];
	bool interrupted;
	/* --arch arm64 over a variant of a prebuilt (x86_64) kernel: not run,
	 * and not a mismatch. */
	bool other_arch;
	struct json_object *run_rows; /* per run: verdict, kind, titles */
};

static bool variant_quiet_host(const struct case_def *c, const struct variant *v)
{
	return v->quiet_host ? v->quiet_host > 0 : c->quiet_host;
}

bool verify_titles_in_order(const struct run_result *r, const char titles[][CASE_TITLE_LEN], int n)
{
	int nrep, next = 0;
	const struct report *rep = result_run_reports(r, &nrep);

	for (int i = 0; i < nrep && next < n; i++)
		if (strstr(rep[i].title, titles[next]))
			next++;
	return next == n;
}

const struct report *verify_forbidden_report(const struct run_result *r, const char titles[][CASE_TITLE_LEN],
					     int n)
{
	int nrep;
	const struct report *rep = result_run_reports(r, &nrep);

	for (int i = 0; i < nrep; i++)
		for (int j = 0; j < n; j++)
			if (strstr(rep[i].title, titles[j]))
				return &rep[i];
	return NULL;
}

bool verify_page_matches(const struct run_result *r, const char words[][CASE_PAGE_WORD_LEN], int n)
{
	int nrep;
	const struct report *rep = result_run_reports(r, &nrep);

	if (!n)
		return true;
	for (int i = 0; i < nrep; i++) {
		if (!rep[i].page.present)
			continue;
		for (int w = 0; w < n; w++)
			if (!report_page_is(&rep[i].page, words[w]))
				return false;
		return true;
	}
	return false; /* no run report holds a page dump */
}

/* stack: the run's expect_stack check when the caller has made it, else
 * NULL and it is made here if the run's kind needs it. */
static enum run_kind classify_run(const struct variant *v, const struct run_result *r, bool *forbidden,
				  const struct stack_check *stack)
{
	enum run_kind k = stats_classify(r, v->expect == EXPECT_FAIL ? v->expect_title : "");
	struct stack_check own;

	*forbidden = verify_forbidden_report(r, v->forbid_titles, v->nforbid_titles) != NULL;
	if (k == RUN_HIT && (*forbidden || !verify_titles_in_order(r, v->expect_titles, v->nexpect_titles) ||
			     !verify_page_matches(r, v->expect_page, v->nexpect_page)))
		return RUN_OTHER_CRASH;
	if (k == RUN_HIT && v->nexpect_stack) {
		if (!stack) {
			stack_check_run(r, v->expect_stack, v->nexpect_stack, &own);
			stack = &own;
		}
		if (!stack->ok)
			return RUN_OTHER_CRASH;
	}
	return k;
}

enum run_kind verify_classify(const struct variant *v, const struct run_result *r, bool *forbidden)
{
	return classify_run(v, r, forbidden, NULL);
}

bool verify_matches(const struct variant *v, const struct tally *t, int forbidden_runs)
{
	if (t->runs == 0 || t->interrupted || forbidden_runs)
		return false;
	switch (v->expect) {
	case EXPECT_FAIL:
		if (!v->rate_runs)
			return t->hits == t->runs;
		if (t->hits + t->clean != t->runs)
			return false;
		/* Rounded to whole runs: one run that meets a residual race is
		 * no evidence that it hits more often than K/N (at most
		 * ceil(K/N of the runs)), and one run that misses a frequent
		 * race none that it hits less often (at least floor(...)). */
		if (v->rate_at_most)
			return (long)t->hits * v->rate_runs <= (long)v->rate_hits * t->runs + v->rate_runs - 1;
		return (long)t->hits * v->rate_runs + v->rate_runs - 1 >= (long)v->rate_hits * t->runs;
	case EXPECT_PASS: return t->clean == t->runs;
	case EXPECT_CONF: return t->conf == t->runs;
	default: return false;
	}
}

/* "WARNING in x, kernel BUG in y": the run's report titles, or its reason. */
static void run_titles(const struct run_result *r, char *buf, size_t len, struct json_object *list)
{
	int nrep;
	const struct report *rep = result_run_reports(r, &nrep);
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < nrep; i++) {
		json_object_array_add(list, json_object_new_string(rep[i].title));
		if (n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", rep[i].title);
	}
	if (!nrep)
		snprintf(buf, len, "%s", r->report.title[0] ? r->report.title : r->reason);
}

/* What expect_stack found in a failing run; the first miss is the row's
 * reason, so that a wrong path reads as such, not as a bare mismatch. */
static struct json_object *stack_row(const struct stack_check *s, struct outcome *oc)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "matches", json_object_new_boolean(s->ok));
	json_object_object_add(o, "decoded", json_object_new_boolean(s->decoded));
	if (!s->ok) {
		json_object_object_add(o, "why", json_object_new_string(s->why));
		if (!oc->stack_miss[0])
			snprintf(oc->stack_miss, sizeof(oc->stack_miss), "%s", s->why);
	}
	return o;
}

static void tally_run(struct outcome *oc, const struct variant *v, const struct run_result *r)
{
	bool forbidden, check_stack = v->nexpect_stack && r->verdict == V_FAIL;
	struct stack_check stack;
	enum run_kind k;
	struct json_object *row = json_object_new_object(), *titles = json_object_new_array();
	char text[sizeof(oc->title)];

	/* Read the console once: for the verdict's kind and for the row. */
	if (check_stack)
		stack_check_run(r, v->expect_stack, v->nexpect_stack, &stack);
	k = classify_run(v, r, &forbidden, check_stack ? &stack : NULL);

	stats_add_kind(&oc->t, r, k);
	run_titles(r, text, sizeof(text), titles);
	if (forbidden && !oc->forbidden++)
		snprintf(oc->forbidden_title, sizeof(oc->forbidden_title), "%s",
			 verify_forbidden_report(r, v->forbid_titles, v->nforbid_titles)->title);
	json_object_object_add(row, "run", json_object_new_int(r->index));
	json_object_object_add(row, "verdict", json_object_new_string(verdict_name(r->verdict)));
	json_object_object_add(row, "kind", json_object_new_string(stats_run_kind_name(k)));
	json_object_object_add(row, "forbidden", json_object_new_boolean(forbidden));
	json_object_object_add(row, "titles", titles);
	if (check_stack)
		json_object_object_add(row, "stack", stack_row(&stack, oc));
	json_object_array_add(oc->run_rows, row);
	if (r->verdict == V_FAIL && !oc->title[0])
		snprintf(oc->title, sizeof(oc->title), "%s", text);
}

static void tally(struct outcome *oc, const struct variant *v, const struct run_result *r, int n)
{
	for (int i = 0; i < n; i++) {
		tally_run(oc, v, &r[i]);
		oc->runs++;
		oc->seconds += r[i].total_s;
		switch (r[i].verdict) {
		case V_PASS: oc->pass++; break;
		case V_FAIL: oc->fail++; break;
		case V_CONF: oc->conf++; break;
		case V_INTERRUPTED: oc->interrupted = true; break;
		default: oc->brok++; break;
		}
		if (!oc->reason[0] || r[i].verdict == V_FAIL)
			snprintf(oc->reason, sizeof(oc->reason), "%s", r[i].reason);
	}
}

/* "fail 10/10", or for a mix "fail 7/10 pass 3/10", counted the way the
 * variant expects first. */
static const char *got_text(const struct variant *v, const struct outcome *oc, char *buf, size_t len)
{
	const struct { const char *name; int n; enum expect e; } kinds[] = {
		{ "fail", oc->fail, EXPECT_FAIL }, { "pass", oc->pass, EXPECT_PASS },
		{ "conf", oc->conf, EXPECT_CONF }, { "brok", oc->brok, EXPECT_NONE },
	};
	size_t n = 0;

	buf[0] = '\0';
	if (oc->other_arch)
		return "not run";
	if (oc->runs == 0)
		return "brok";
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
			bool expected = kinds[i].e == v->expect;
			if (kinds[i].n == 0 || expected != (pass == 0))
				continue;
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s %d/%d", n ? " " : "",
					      kinds[i].name, kinds[i].n, oc->runs);
		}
	return buf;
}

static void print_row(const struct variant *v, const struct outcome *oc, bool ok)
{
	char got[96], hits[48], expect[32], forbidden[300] = "";
	struct interval ci = stats_wilson(oc->t.hits, stats_valid(&oc->t));

	variant_expect_text(v, expect, sizeof(expect));
	snprintf(hits, sizeof(hits), "%d/%d %.0f-%.0f%%", oc->t.hits, stats_valid(&oc->t), ci.lo * 100, ci.hi * 100);
	if (oc->forbidden)
		snprintf(forbidden, sizeof(forbidden), "   FORBIDDEN in %d: %s", oc->forbidden, oc->forbidden_title);
	else if (oc->stack_miss[0])
		snprintf(forbidden, sizeof(forbidden), "   STACK: %.280s", oc->stack_miss);
	if (oc->load_warning[0])
		snprintf(forbidden + strlen(forbidden), sizeof(forbidden) - strlen(forbidden), "   LOADED");
	printf("%-22s %-13s %-22s %-17s %6.1f  %s%s%s%s\n", v->name, expect, got_text(v, oc, got, sizeof(got)), hits,
	       oc->runs ? oc->seconds / oc->runs : 0, oc->fail ? oc->title : oc->reason, forbidden,
	       stats_flaky(&oc->t) ? "   FLAKY" : "", ok ? "" : "   <-- MISMATCH");
}

static struct json_object *page_words_array(const struct variant *v)
{
	struct json_object *a = json_object_new_array();

	for (int i = 0; i < v->nexpect_page; i++)
		json_object_array_add(a, json_object_new_string(v->expect_page[i]));
	return a;
}

static struct json_object *stack_words_array(const struct variant *v)
{
	struct json_object *a = json_object_new_array();

	for (int i = 0; i < v->nexpect_stack; i++)
		json_object_array_add(a, json_object_new_string(v->expect_stack[i]));
	return a;
}

static struct json_object *string_array(const char list[][CASE_TITLE_LEN], int n)
{
	struct json_object *a = json_object_new_array();

	for (int i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(list[i]));
	return a;
}

/* The fixes the variant runs with: its own, else the case's. */
static struct json_object *fixes_json(const struct fix_list *l)
{
	struct json_object *a = json_object_new_array();

	for (int i = 0; i < l->ncommits; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "commit", json_object_new_string(l->commits[i].sha));
		json_object_object_add(o, "subject", json_object_new_string(l->commits[i].subject));
		json_object_array_add(a, o);
	}
	for (int i = 0; i < l->nnotes; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "subject", json_object_new_string(l->notes[i].subject));
		json_object_object_add(o, "where", json_object_new_string(l->notes[i].origin));
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *expect_rate_json(const struct variant *v)
{
	struct json_object *o;

	if (!v->rate_runs)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "hits", json_object_new_int(v->rate_hits));
	json_object_object_add(o, "runs", json_object_new_int(v->rate_runs));
	json_object_object_add(o, "bound", json_object_new_string(v->rate_at_most ? "at_most" : "at_least"));
	return o;
}

static struct json_object *variant_json(const struct case_def *c, const struct variant *v,
					const struct outcome *oc, bool ok)
{
	struct json_object *o = json_object_new_object();
	static const struct fix_list none;
	const struct fix_list *fixes = v->baseline[0] ? &none : v->fixes.ncommits || v->fixes.nnotes ? &v->fixes
											       : &c->fixes;
	char expect[32];

	variant_expect_text(v, expect, sizeof(expect));
	json_object_object_add(o, "variant", json_object_new_string(v->name));
	json_object_object_add(o, "kernel", json_object_new_string(v->kernel));
	if (oc->other_arch)
		json_object_object_add(o, "not_run", json_object_new_string(oc->reason));
	json_object_object_add(o, "series", json_object_new_string(v->series));
	json_object_object_add(o, "expect", json_object_new_string(expect));
	json_object_object_add(o, "expect_rate", expect_rate_json(v));
	json_object_object_add(o, "expect_title", json_object_new_string(v->expect_title));
	json_object_object_add(o, "expect_titles", string_array(v->expect_titles, v->nexpect_titles));
	json_object_object_add(o, "expect_page", page_words_array(v));
	json_object_object_add(o, "expect_stack", stack_words_array(v));
	if (oc->stack_miss[0])
		json_object_object_add(o, "stack_miss", json_object_new_string(oc->stack_miss));
	json_object_object_add(o, "forbid_titles", string_array(v->forbid_titles, v->nforbid_titles));
	json_object_object_add(o, "fixes", fixes_json(fixes));
	if (v->baseline[0])
		json_object_object_add(o, "baseline", json_object_new_string(v->baseline));
	json_object_object_add(o, "tally", stats_tally_json(&oc->t));
	json_object_object_add(o, "forbidden_runs", json_object_new_int(oc->forbidden));
	json_object_object_add(o, "forbidden_title", oc->forbidden ? json_object_new_string(oc->forbidden_title) : NULL);
	json_object_object_add(o, "flaky", json_object_new_boolean(stats_flaky(&oc->t)));
	json_object_object_add(o, "quiet_host", json_object_new_boolean(variant_quiet_host(c, v)));
	json_object_object_add(o, "others_cpu_share",
			       oc->others_share >= 0 ? json_object_new_double(oc->others_share) : NULL);
	json_object_object_add(o, "load_warning",
			       oc->load_warning[0] ? json_object_new_string(oc->load_warning) : NULL);
	json_object_object_add(o, "matches", json_object_new_boolean(ok));
	json_object_object_add(o, "reason", json_object_new_string(oc->reason));
	json_object_object_add(o, "seconds_per_run", json_object_new_double(oc->runs ? oc->seconds / oc->runs : 0));
	json_object_object_add(o, "runs", json_object_get(oc->run_rows));
	return o;
}

/* 0, or -1 (said on stderr) when it could not be written. */
static int write_verify_json(const char *dir, const struct case_def *c, struct json_object *variants)
{
	struct json_object *o = json_object_new_object();
	char path[PATH_MAX + 32];
	int rc;

	json_object_object_add(o, "case", json_object_new_string(c->name));
	json_object_object_add(o, "variants", variants);
	xsnprintf(path, sizeof(path), "%s/verify.json", dir);
	if ((rc = result_write_json(path, o)) < 0)
		fprintf(stderr, "mmrepro: cannot write %s: %s\n", path, strerror(-rc));
	json_object_put(o);
	return rc < 0 ? -1 : 0;
}

struct verify_ctx {
	int runs, timeout_s, sfd;
	bool verbose;
	const char *dir;
	struct accel_state accel;
	struct pool *pool;
	const enum arch *only_arch;
};

struct variant_runs {
	struct outcome *oc;
	const struct variant *v;
};

static void count_run(void *arg, const struct run_result *r)
{
	struct variant_runs *vr = arg;

	tally(vr->oc, vr->v, r, 1);
}

static int local_jobs(const struct pool *pool)
{
	int n = 0;

	for (int i = 0; pool && i < pool->nslots; i++)
		n += pool->slots[i].backend == BACKEND_QEMU;
	return n ? n : 1;
}

/* A race whose rate was measured on a quiet host is not judged the same
 * way beside other work: say so where the verdict is read. */
static void note_load(const struct case_def *c, const struct variant *v, const struct verify_ctx *x,
		      struct outcome *oc, double others_share)
{
	char why[160];

	oc->others_share = others_share;
	if (!variant_quiet_host(c, v) || !load_too_busy(others_share, local_jobs(x->pool), why, sizeof(why)))
		return;
	snprintf(oc->load_warning, sizeof(oc->load_warning), "expects a quiet host, but %s", why);
	fprintf(stderr, "mmrepro: warning: %s [variant %s] %s: its rate may be the load's, not the kernel's\n",
		c->path, v->name, oc->load_warning);
}

/* v's series as a path (relative ones are the suite's), or NULL for none. */
static const char *series_path(const struct variant *v, char *buf, size_t len)
{
	if (!v->series[0])
		return NULL;
	snprintf(buf, len, "%s%s%s", v->series[0] == '/' ? "" : repo_root(), v->series[0] == '/' ? "" : "/", v->series);
	return buf;
}

static void verify_variant(const struct case_def *c, const struct variant *v, struct verify_ctx *x,
			   struct outcome *oc)
{
	char series[PATH_MAX], err[2048] = "", out[PATH_MAX + 80];
	struct case_def *vc = xcalloc(1, sizeof(*vc));
	struct variant_runs vr = { .oc = oc, .v = v };
	struct point_result pr;
	struct load_sample before, after;
	const char **frags;
	int rc;

	/* Checked when the case was loaded; an error here is a bug of ours. */
	if (case_for_variant(c, v, vc, err, sizeof(err)) < 0 || !(frags = point_fragments(vc, NULL, err, sizeof(err))))
		die(EXIT_USAGE, "%s", err);
	if (flavor_changes_kernel(vc->flavor) && !kernel_spec_needs_build(v->kernel))
		fprintf(stderr, "mmrepro: [variant %s]: %s is prebuilt, so it runs as it is, not in flavour %s\n",
			v->name, v->kernel, vc->flavor);
	if (x->only_arch && vc->arch != *x->only_arch)
		snprintf(oc->reason, sizeof(oc->reason), "not run: an %s variant (--arch %s runs it)",
			 arch_info(vc->arch)->name, arch_info(vc->arch)->name);
	else if (vc->arch != ARCH_X86_64 && !kernel_spec_needs_build(v->kernel))
		snprintf(oc->reason, sizeof(oc->reason), "not run: %s is an x86_64 kernel, not %s", v->kernel,
			 arch_info(vc->arch)->name);
	if (oc->reason[0]) {
		oc->other_arch = true;
		free(frags);
		free(vc);
		return;
	}
	snprintf(out, sizeof(out), "%s/%s", x->dir, v->name);
	struct point_ctx px = { .c = vc, .configs = frags, .runs = x->runs, .timeout_s = x->timeout_s,
				.signal_fd = x->sfd, .verbose = x->verbose, .accel = &x->accel, .pool = x->pool,
				.variant = v->name, .print_runs = true, .each_run = count_run, .each_arg = &vr };
	load_sample_take(&before);
	rc = point_test(&px, v->kernel, series_path(v, series, sizeof(series)), out, &pr, err, sizeof(err));
	load_sample_take(&after);
	/* A variant whose kernel never booted ran nothing the load could sway. */
	if (pr.t.runs)
		note_load(c, v, x, oc, load_others_share(&before, &after));
	if (rc && !pr.t.runs) {
		snprintf(oc->reason, sizeof(oc->reason), "kernel: %s", err);
		oc->interrupted = rc == EXIT_INTERRUPTED;
	}
	free(frags);
	free(vc);
}

/* The build request variant v of c makes, with frags (freed by the
 * caller) and series in the caller's buffers. */
static const char **variant_request(const struct case_def *c, const struct variant *v, struct case_def *vc,
				    struct build_request *req, char *series, size_t len)
{
	char err[2048];
	const char **frags;

	if (case_for_variant(c, v, vc, err, sizeof(err)) < 0 || !(frags = point_fragments(vc, NULL, err, sizeof(err))))
		return NULL;
	*req = (struct build_request){ .spec = v->kernel, .series = series_path(v, series, len), .signal_fd = -1,
				       .flavor = case_build_flavor(vc, v->kernel), .arch = vc->arch };
	for (int k = 0; frags[k] && k < BUILD_MAX_CONFIGS - 1; k++)
		req->configs[k] = frags[k];
	return frags;
}

bool verify_variant_ready(const struct case_def *c, int i, char *key, size_t len)
{
	struct case_def *vc;
	struct build_plan *plan;
	struct build_request req;
	const char **frags;
	char series[PATH_MAX], err[2048];
	bool ready = false;

	key[0] = '\0';
	if (!kernel_spec_needs_build(c->variants[i].kernel))
		return true;
	/* make decides what a dir: tree needs: it is never a cache hit. */
	if (kernel_spec_parse(c->variants[i].kernel).kind == KERNEL_DIR)
		return false;
	vc = xcalloc(1, sizeof(*vc));
	plan = xcalloc(1, sizeof(*plan));
	if ((frags = variant_request(c, &c->variants[i], vc, &req, series, sizeof(series)))) {
		if (build_plan(&req, plan, err, sizeof(err)) == 0) {
			snprintf(key, len, "%s", plan->key);
			ready = build_plan_cached(plan);
		}
		free(frags);
	}
	free(plan);
	free(vc);
	return ready;
}

struct verify_job {
	struct case_def c;
	struct verify_ctx x;
	char dir[PATH_MAX];
	struct outcome oc[CASE_MAX_VARIANTS];
	bool ran[CASE_MAX_VARIANTS];
};

/* The table, verify.json and the rows for a reproduce summary, of the
 * variants that ran, in the case's order; 1 when every one matched. */
static int report_variants(struct verify_job *j, struct json_object *summary)
{
	struct json_object *json = json_object_new_array();
	int all_ok = 1;

	printf("\n%-22s %-13s %-22s %-17s %6s  %s\n", "variant", "expected", "got", "hits (95% CI)", "s/run",
	       "title or reason");
	for (int i = 0; i < j->c.nvariants; i++) {
		const struct variant *v = &j->c.variants[i];
		struct outcome *oc = &j->oc[i];
		if (!j->ran[i])
			continue;
		bool ok = oc->other_arch || (verify_matches(v, &oc->t, oc->forbidden) && !oc->interrupted);
		all_ok &= ok;
		print_row(v, oc, ok);
		json_object_array_add(json, variant_json(&j->c, v, oc, ok));
		if (summary) {
			struct json_object *row = variant_json(&j->c, v, oc, ok);
			json_object_object_add(row, "case", json_object_new_string(j->c.name));
			json_object_array_add(summary, row);
		}
	}
	/* A verdict that could not be recorded tested nothing. */
	if (write_verify_json(j->dir, &j->c, json) < 0)
		return -1;
	return all_ok;
}

/* --out DIR: a new or empty directory, never one holding another verify's
 * results. */
static void claim_verify_dir(const char *out, char *dir, size_t len)
{
	char err[PATH_MAX + 256], summary[PATH_MAX + 16];

	xsnprintf(dir, len, "%s", out);
	xsnprintf(summary, sizeof(summary), "%s/verify.json", dir);
	if (file_exists(summary))
		die(EXIT_USAGE, "--out %s: already holds a verify's results; choose another --out", out);
	if (run_claim_out_dir(dir, false, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "%s", err);
}

struct verify_job *verify_begin(const struct case_def *c, const struct verify_opts *o)
{
	struct verify_job *j = xcalloc(1, sizeof(*j));

	j->c = *c;
	j->x = (struct verify_ctx){ .runs = o->runs, .timeout_s = o->timeout_s, .verbose = o->verbose, .dir = j->dir,
				    .pool = o->pool, .only_arch = o->only_arch };
	run_accel_init(&j->x.accel, o->accel);
	j->x.sfd = console_signal_fd();
	if (o->out_dir)
		claim_verify_dir(o->out_dir, j->dir, sizeof(j->dir));
	else
		run_default_out_dir(c->name, "verify", j->dir, sizeof(j->dir));
	if (o->pool)
		pool_share(o->pool, j->dir);
	for (int i = 0; i < c->nvariants; i++) {
		j->oc[i].run_rows = json_object_new_array();
		j->oc[i].others_share = -1;
	}
	return j;
}

void verify_record(struct verify_job *j, int i, const struct run_result *r, int n)
{
	tally(&j->oc[i], &j->c.variants[i], r, n);
	j->ran[i] = true;
}

int verify_run(struct verify_job *j, int i)
{
	verify_variant(&j->c, &j->c.variants[i], &j->x, &j->oc[i]);
	j->ran[i] = true;
	return j->oc[i].interrupted ? -1 : j->oc[i].t.hits;
}

int verify_finish(struct verify_job *j, struct json_object *summary)
{
	int all_ok = report_variants(j, summary), sfd = j->x.sfd;
	bool stopped = false;

	for (int i = 0; i < j->c.nvariants; i++) {
		stopped |= j->ran[i] && j->oc[i].interrupted;
		json_object_put(j->oc[i].run_rows);
	}
	html_write_report(j->dir);
	if (!stopped)
		printf("results: %s\n", j->dir);
	free(j);
	if (stopped)
		return EXIT_INTERRUPTED;
	if (all_ok < 0)
		return EXIT_UNTESTABLE;
	return console_signal_pending(sfd) ? EXIT_INTERRUPTED : all_ok ? 0 : 1;
}

static int verify_variants(const struct case_def *c, const struct verify_opts *o, struct json_object *summary)
{
	const char *only = o->only_variant;
	struct verify_job *j;
	bool found = !only;

	for (int i = 0; only && i < c->nvariants && !found; i++)
		found = !strcmp(only, c->variants[i].name);
	if (!found)
		die(EXIT_USAGE, "--variant %s: %s has no such variant", only, c->path);
	j = verify_begin(c, o);
	for (int i = 0; i < c->nvariants; i++) {
		if (only && strcmp(only, c->variants[i].name))
			continue;
		if (verify_run(j, i) < 0)
			break;
	}
	return verify_finish(j, summary);
}

/* A case without variants is verified on its default kernels, each a
 * variant named after it that expects what the case expects. */
static struct case_def *with_default_variants(const struct case_def *c)
{
	struct case_def *d = xcalloc(1, sizeof(*d));

	*d = *c;
	for (int i = 0; i < c->nkernels && d->nvariants < CASE_MAX_VARIANTS; i++) {
		struct variant *v = &d->variants[d->nvariants++];
		memset(v, 0, sizeof(*v));
		snprintf(v->name, sizeof(v->name), "%s", c->kernels[i]);
		for (char *p = v->name; *p; p++)
			*p = *p == ':' || *p == '/' ? '-' : *p;
		snprintf(v->kernel, sizeof(v->kernel), "%s", c->kernels[i]);
		v->expect = c->expect == EXPECT_NONE ? EXPECT_PASS : c->expect;
	}
	return d;
}

int verify_case(const struct case_def *c, const struct verify_opts *o, struct json_object *summary)
{
	struct case_def *d;
	int rc;

	if (c->nvariants)
		return verify_variants(c, o, summary);
	if (!c->nkernels)
		die(EXIT_USAGE, "%s: no [variant ...] sections and no default kernels to verify on", c->path);
	if (c->nkernels > CASE_MAX_VARIANTS)
		die(EXIT_USAGE, "%s: more than %d default kernels to verify on", c->path, CASE_MAX_VARIANTS);
	d = with_default_variants(c);
	rc = verify_variants(d, o, summary);
	free(d);
	return rc;
}
