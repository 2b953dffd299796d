/* `verify`: each declared variant against its expectation, with counts
 * and a 95% interval; results/<...>-verify/verify.json holds them all. */
#include "verify.h"
#include "build.h"
#include "console.h"
#include "html.h"
#include "kernel.h"
#include "run.h"
#include "stats.h"
#include "util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct outcome {
	struct tally t;            /* hits are runs that hit the variant's title */
	int runs, pass, fail, conf, brok, title_ok;
	double seconds;
	char title[256];
	char reason[512];
	bool interrupted;
};

static void tally(struct outcome *oc, const struct run_result *r, int n, const char *want_title)
{
	for (int i = 0; i < n; i++) {
		stats_add(&oc->t, &r[i], want_title);
		oc->runs++;
		oc->seconds += r[i].total_s;
		switch (r[i].verdict) {
		case V_PASS: oc->pass++; break;
		case V_FAIL:
			oc->fail++;
			if (!want_title[0] || strstr(r[i].report.title, want_title) || strstr(r[i].reason, want_title))
				oc->title_ok++;
			if (!oc->title[0])
				snprintf(oc->title, sizeof(oc->title), "%s", r[i].report.title[0] ? r[i].report.title : r[i].reason);
			break;
		case V_CONF: oc->conf++; break;
		case V_INTERRUPTED: oc->interrupted = true; break;
		default: oc->brok++; break;
		}
		if (!oc->reason[0] || r[i].verdict == V_FAIL)
			snprintf(oc->reason, sizeof(oc->reason), "%s", r[i].reason);
	}
}

static bool matches(const struct variant *v, const struct outcome *oc)
{
	if (oc->runs == 0 || oc->interrupted)
		return false;
	switch (v->expect) {
	case EXPECT_FAIL: return oc->fail == oc->runs && oc->title_ok == oc->runs;
	case EXPECT_PASS: return oc->pass == oc->runs;
	case EXPECT_CONF: return oc->conf == oc->runs;
	default: return false;
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
	char got[96], hits[48];
	struct interval ci = stats_wilson(oc->t.hits, stats_valid(&oc->t));

	snprintf(hits, sizeof(hits), "%d/%d %.0f-%.0f%%", oc->t.hits, stats_valid(&oc->t), ci.lo * 100, ci.hi * 100);
	printf("%-22s %-8s %-22s %-17s %6.1f  %s%s%s\n", v->name, expect_name(v->expect),
	       got_text(v, oc, got, sizeof(got)), hits, oc->runs ? oc->seconds / oc->runs : 0,
	       oc->fail ? oc->title : oc->reason, stats_flaky(&oc->t) ? "   FLAKY" : "", ok ? "" : "   <-- MISMATCH");
}

static struct json_object *variant_json(const struct variant *v, const struct outcome *oc, bool ok)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "variant", json_object_new_string(v->name));
	json_object_object_add(o, "kernel", json_object_new_string(v->kernel));
	json_object_object_add(o, "series", json_object_new_string(v->series));
	json_object_object_add(o, "expect", json_object_new_string(expect_name(v->expect)));
	json_object_object_add(o, "expect_title", json_object_new_string(v->expect_title));
	json_object_object_add(o, "tally", stats_tally_json(&oc->t));
	json_object_object_add(o, "flaky", json_object_new_boolean(stats_flaky(&oc->t)));
	json_object_object_add(o, "matches", json_object_new_boolean(ok));
	json_object_object_add(o, "reason", json_object_new_string(oc->reason));
	json_object_object_add(o, "seconds_per_run", json_object_new_double(oc->runs ? oc->seconds / oc->runs : 0));
	return o;
}

static void write_verify_json(const char *dir, const struct case_def *c, struct json_object *variants)
{
	struct json_object *o = json_object_new_object();
	char path[PATH_MAX + 32];

	json_object_object_add(o, "case", json_object_new_string(c->name));
	json_object_object_add(o, "variants", variants);
	xsnprintf(path, sizeof(path), "%s/verify.json", dir);
	result_write_json(path, o);
	json_object_put(o);
}

struct verify_ctx {
	int runs, timeout_s, sfd;
	bool verbose;
	const char *dir;
	struct accel_state accel;
};

static void verify_variant(const struct case_def *c, const struct variant *v, struct verify_ctx *x,
			   struct outcome *oc)
{
	char series[PATH_MAX], err[2048] = "", out[PATH_MAX + 80];
	const char *configs[CASE_MAX_LIST + 1] = { 0 };
	struct kernel k;
	int rc;

	memset(oc, 0, sizeof(*oc));
	for (int i = 0; i < c->nconfigs; i++)
		configs[i] = c->configs[i];
	if (v->series[0])
		snprintf(series, sizeof(series), "%s%s%s", v->series[0] == '/' ? "" : repo_root(),
			 v->series[0] == '/' ? "" : "/", v->series);
	rc = kernel_get(v->kernel, v->series[0] ? series : NULL, configs, x->sfd, true, &k, err, sizeof(err));
	if (rc) {
		snprintf(oc->reason, sizeof(oc->reason), "kernel: %s", err);
		oc->interrupted = rc == EXIT_INTERRUPTED;
		return;
	}
	snprintf(out, sizeof(out), "%s/%s", x->dir, v->name);
	struct run_result *r = xcalloc((size_t)x->runs, sizeof(*r));
	struct run_opts ro = { .out_dir = out, .variant = v->name, .runs = x->runs, .timeout_s = x->timeout_s,
			       .echo = x->verbose, .quiet = false, .signal_fd = x->sfd, .accel = &x->accel };
	int n = run_case(c, &k, &ro, r);
	tally(oc, r, n, v->expect == EXPECT_FAIL ? v->expect_title : "");
	run_free_results(r, n);
	free(r);
}

int verify_case(const struct case_def *c, const char *only, int runs, int timeout_s, bool verbose,
		enum accel_mode accel, struct json_object *summary)
{
	struct outcome oc[CASE_MAX_VARIANTS];
	char dir[PATH_MAX];
	int all_ok = 1, done = 0;
	bool stopped = false;
	struct verify_ctx x = { .runs = runs, .timeout_s = timeout_s, .verbose = verbose, .dir = dir };

	if (c->nvariants == 0)
		die(EXIT_USAGE, "%s: the case declares no [variant ...] sections", c->path);
	for (int i = 0; only && i < c->nvariants && !done; i++)
		done = !strcmp(only, c->variants[i].name);
	if (only && !done)
		die(EXIT_USAGE, "--variant %s: %s has no such variant", only, c->path);
	done = 0;
	run_accel_init(&x.accel, accel);
	x.sfd = console_signal_fd();
	run_default_out_dir(c->name, "verify", dir, sizeof(dir));
	for (int i = 0; i < c->nvariants; i++) {
		if (only && strcmp(only, c->variants[i].name))
			continue;
		verify_variant(c, &c->variants[i], &x, &oc[i]);
		done++;
		if ((stopped = oc[i].interrupted))
			break;
	}
	if (!done)
		die(EXIT_USAGE, "--variant %s: %s has no such variant", only, c->path);
	printf("\n%-22s %-8s %-22s %-17s %6s  %s\n", "variant", "expected", "got", "hits (95% CI)", "s/run",
	       "title or reason");
	struct json_object *json = json_object_new_array();
	for (int i = 0; i < c->nvariants; i++) {
		const struct variant *v = &c->variants[i];
		if (only && strcmp(only, v->name))
			continue;
		bool ok = matches(v, &oc[i]);
		all_ok &= ok;
		print_row(v, &oc[i], ok);
		json_object_array_add(json, variant_json(v, &oc[i], ok));
		if (summary) {
			struct json_object *row = variant_json(v, &oc[i], ok);
			json_object_object_add(row, "case", json_object_new_string(c->name));
			json_object_array_add(summary, row);
		}
		if (oc[i].interrupted)
			break;
	}
	write_verify_json(dir, c, json);
	html_write_report(dir);
	if (stopped)
		return EXIT_INTERRUPTED;
	printf("results: %s\n", dir);
	return console_signal_pending(x.sfd) ? EXIT_INTERRUPTED : all_ok ? 0 : 1;
}
