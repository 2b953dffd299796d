#include "verify.h"
#include "build.h"
#include "console.h"
#include "kernel.h"
#include "run.h"
#include "util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct outcome {
	int runs, pass, fail, conf, brok, title_ok;
	double seconds;
	char title[256];
	char reason[512];
	bool interrupted;
};

static void tally(struct outcome *oc, const struct run_result *r, int n, const char *want_title)
{
	for (int i = 0; i < n; i++) {
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
	tally(oc, r, n, v->expect_title);
	run_free_results(r, n);
	free(r);
}

int verify_case(const struct case_def *c, const char *only, int runs, int timeout_s, bool verbose,
		enum accel_mode accel)
{
	struct outcome oc[CASE_MAX_VARIANTS];
	char dir[PATH_MAX], buf[96];
	int all_ok = 1, done = 0;
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
		if (oc[i].interrupted)
			break;
	}
	if (!done)
		die(EXIT_USAGE, "--variant %s: %s has no such variant", only, c->path);
	printf("\n%-22s %-8s %-22s %8s  %s\n", "variant", "expected", "got", "s/run", "title or reason");
	for (int i = 0; i < c->nvariants; i++) {
		const struct variant *v = &c->variants[i];
		if (only && strcmp(only, v->name))
			continue;
		bool ok = matches(v, &oc[i]);
		all_ok &= ok;
		printf("%-22s %-8s %-22s %8.1f  %s%s\n", v->name, expect_name(v->expect),
		       got_text(v, &oc[i], buf, sizeof(buf)), oc[i].runs ? oc[i].seconds / oc[i].runs : 0,
		       oc[i].fail ? oc[i].title : oc[i].reason, ok ? "" : "   <-- MISMATCH");
		if (oc[i].interrupted)
			return EXIT_INTERRUPTED;
	}
	printf("results: %s\n", dir);
	return console_signal_pending(x.sfd) ? EXIT_INTERRUPTED : all_ok ? 0 : 1;
}
