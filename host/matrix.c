/* The knob matrix and its minimisation: each configuration a test point, matrix.json and a table. */
#include "matrix.h"
#include "html.h"
#include "build.h"
#include "console.h"
#include "kernel.h"
#include "knob.h"
#include "outdir.h"
#include "point.h"
#include "pool.h"
#include "result.h"
#include "run.h"
#include "stats.h"
#include "util.h"
#include "workload.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One configuration that ran: a matrix row or a minimisation try. */
struct row {
	char label[16];
	struct knob_setting *s;       /* one per knob */
	struct point_result pr;
	char note[200];               /* --minimize: what the try decided */
};

struct matrix {
	const struct matrix_opts *o;
	struct case_def base;         /* the case as the variant runs it */
	struct knob_list knobs;
	const char *spec;
	char series[PATH_MAX];        /* "" for none */
	const char **frags;
	char dir[PATH_MAX];
	char release[128];
	struct accel_state accel;
	struct point_ctx x;
	struct row *rows;
	int nrows;
	int *active;                  /* --minimize: knobs whose first value is not the default */
	int nactive;
};

/* ---- minimisation ---------------------------------------------------------- */

int matrix_minimize(int n, matrix_oracle oracle, void *arg, bool *keep)
{
	int rc;

	for (int i = 0; i < n; i++)
		keep[i] = true;
	rc = oracle(arg, keep, n, -1);
	if (rc == MATRIX_NO_HIT)
		return EXIT_UNTESTABLE;
	if (rc != MATRIX_HIT)
		return rc;
	for (int i = 0; i < n; i++) {
		keep[i] = false;
		rc = oracle(arg, keep, n, i);
		if (rc != MATRIX_HIT && rc != MATRIX_NO_HIT) {
			keep[i] = true;
			return rc;
		}
		keep[i] = rc == MATRIX_NO_HIT;
	}
	return 0;
}

/* ---- before anything is built ---------------------------------------------- */

static const struct variant *find_variant(const struct case_def *c, const char *name)
{
	for (int i = 0; name && i < c->nvariants; i++)
		if (!strcmp(c->variants[i].name, name))
			return &c->variants[i];
	return NULL;
}

/* The case as --variant runs it, and the kernel and series it runs on. */
static void resolve_case(struct matrix *m)
{
	const struct matrix_opts *o = m->o;
	const struct variant *v = find_variant(o->c, o->variant);
	char err[2048];

	if (o->variant && (o->kernel || o->series))
		die(EXIT_USAGE, "matrix --variant %s runs on the variant's kernel and series: drop --kernel and --series",
		    o->variant);
	if (o->variant && !v)
		die(EXIT_USAGE, "--variant %s: %s has no such variant", o->variant, o->c->path);
	m->base = *o->c;
	if (v && case_for_variant(o->c, v, &m->base, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "%s", err);
	m->spec = v ? v->kernel : o->kernel ? o->kernel : o->c->nkernels ? o->c->kernels[0] : "deb:6.12";
	if (v && v->series[0])
		xsnprintf(m->series, sizeof(m->series), "%s%s%s", v->series[0] == '/' ? "" : repo_root(),
			  v->series[0] == '/' ? "" : "/", v->series);
	else if (!v && o->series)
		xsnprintf(m->series, sizeof(m->series), "%s", o->series);
}

/* Every configuration the command will try must be a VM QEMU can run
 * (--minimize: the start; a smaller one that is not is a try that
 * cannot hit). */
static void check_rows(struct matrix *m)
{
	int n = m->o->minimize ? 1 : knob_combinations(&m->knobs);
	struct knob_setting *s = xcalloc((size_t)m->knobs.n, sizeof(*s));
	struct case_def *c = xcalloc(1, sizeof(*c));
	char err[2048];

	for (int r = 0; r < n; r++) {
		*c = m->base;
		knob_row(&m->knobs, r, s);
		if (knob_apply(c, s, m->knobs.n, err, sizeof(err)) < 0)
			die(EXIT_USAGE, "%s", err);
	}
	free(c);
	free(s);
}

static void check_conflicts(struct matrix *m)
{
	struct declared_knob *d;
	char err[2048];
	int nd, rc = workload_declared_knobs(&m->base, &d, &nd, err, sizeof(err));

	if (rc)
		die(rc, "%s", err);
	if (knob_check_conflicts(&m->knobs, &m->base, m->base.workload, d, nd, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "%s", err);
	free(d);
}

/* The knobs --minimize works on: those whose first value changes something. */
static void pick_active(struct matrix *m)
{
	int extra = 0;

	m->active = xcalloc((size_t)m->knobs.n + 1, sizeof(*m->active));
	for (int i = 0; i < m->knobs.n; i++) {
		extra += m->knobs.knobs[i].nvalues - 1;
		if (strcmp(m->knobs.knobs[i].values[0], KNOB_DEFAULT))
			m->active[m->nactive++] = i;
	}
	if (extra)
		fprintf(stderr, "mmrepro: matrix --minimize starts from each knob's first value; %d other value%s "
			"not tried\n", extra, extra == 1 ? " is" : "s are");
}

static void check_input(struct matrix *m)
{
	char err[2048];

	resolve_case(m);
	if (knob_list_parse(m->o->knobs, m->o->nknobs, m->o->minimize, &m->knobs, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "matrix: %s", err);
	check_rows(m);
	check_conflicts(m);
	if (!(m->frags = point_fragments(&m->base, m->o->configs, err, sizeof(err))))
		die(EXIT_USAGE, "%s", err);
	if (m->o->minimize)
		pick_active(m);
}

/* ---- the results dir and the kernel ---------------------------------------- */

static void claim_dir(struct matrix *m)
{
	char err[PATH_MAX + 256], summary[PATH_MAX + 16];

	if (m->o->out)
		xsnprintf(m->dir, sizeof(m->dir), "%s", m->o->out);
	else
		run_default_out_dir(m->base.name, "matrix", m->dir, sizeof(m->dir));
	xsnprintf(summary, sizeof(summary), "%s/matrix.json", m->dir);
	if (file_exists(summary))
		die(EXIT_USAGE, "--out %s: already holds a matrix's results; choose another --out", m->dir);
	if (run_claim_out_dir(m->dir, false, err, sizeof(err)) < 0)
		die(EXIT_USAGE, "%s", err);
}

/* Built (or found) once, before the first point: a build failure ends
 * the command at once, and the release goes into matrix.json. */
static void get_kernel_once(struct matrix *m)
{
	struct kernel k;
	char err[2048] = "";
	int rc = kernel_get(m->spec, m->series[0] ? m->series : NULL, m->frags, case_build_flavor(&m->base, m->spec),
			    m->base.arch, m->x.signal_fd, true, &k, err, sizeof(err));

	if (rc)
		die(rc, "%s", err);
	snprintf(m->release, sizeof(m->release), "%s", k.release);
	printf("matrix: %s%s%s on %s%s%s (%s), %d run%s per point, results in %s\n", m->base.name,
	       m->o->variant ? " variant " : "", m->o->variant ? m->o->variant : "", m->spec, m->series[0] ? " + " : "",
	       m->series, k.release, m->o->runs, m->o->runs == 1 ? "" : "s", m->dir);
}

static void setup_run(struct matrix *m)
{
	claim_dir(m);
	if (m->o->pool)
		pool_share(m->o->pool, m->dir);
	run_accel_init(&m->accel, m->o->accel);
	m->x = (struct point_ctx){ .c = &m->base, .configs = m->frags, .runs = m->o->runs,
				   .timeout_s = m->o->timeout_s, .signal_fd = console_signal_fd(),
				   .verbose = m->o->verbose, .accel = &m->accel, .pool = m->o->pool };
	get_kernel_once(m);
}

/* ---- one configuration ------------------------------------------------------ */

static struct row *new_row(struct matrix *m, const char *prefix)
{
	struct row *r;

	m->rows = xrealloc(m->rows, (size_t)(m->nrows + 1) * sizeof(*m->rows));
	r = &m->rows[m->nrows++];
	memset(r, 0, sizeof(*r));
	snprintf(r->label, sizeof(r->label), "%s-%02d", prefix, m->nrows);
	r->s = xcalloc((size_t)m->knobs.n, sizeof(*r->s));
	return r;
}

/* Runs the case under r's settings: point_test's code, or 0 with a skip
 * when they give no VM QEMU can run (only a minimisation's try can). */
static int test_row(struct matrix *m, struct row *r)
{
	struct case_def *c = xcalloc(1, sizeof(*c));
	struct point_ctx x = m->x;
	char dir[PATH_MAX + 32], err[2048] = "";
	int rc = 0;

	*c = m->base;
	if (knob_apply(c, r->s, m->knobs.n, err, sizeof(err)) < 0) {
		r->pr.verdict = POINT_SKIP;
		snprintf(r->pr.why, sizeof(r->pr.why), "not run: %s", err);
	} else {
		x.c = c;
		xsnprintf(dir, sizeof(dir), "%s/%s", m->dir, r->label);
		rc = point_test(&x, m->spec, m->series[0] ? m->series : NULL, dir, &r->pr, err, sizeof(err));
	}
	free(c);
	return rc ? rc : r->pr.t.interrupted ? EXIT_INTERRUPTED : 0;
}

/* The title of the first hit, or why the point is what it is. */
static const char *row_reason(const struct row *r)
{
	if (r->pr.t.hits)
		return r->pr.t.hit_title;
	if (r->pr.why[0])
		return r->pr.why;
	return r->pr.t.other_crash ? r->pr.t.other_title : r->pr.t.conf ? r->pr.t.conf_reason : "";
}

static int column_width(const struct knob *k)
{
	int w = (int)strlen(k->name);

	for (int i = 0; i < k->nvalues; i++)
		w = (int)strlen(k->values[i]) > w ? (int)strlen(k->values[i]) : w;
	return w < (int)strlen(KNOB_DEFAULT) ? (int)strlen(KNOB_DEFAULT) : w;
}

static void print_header(const struct matrix *m, FILE *f)
{
	fprintf(f, "%-8s", m->o->minimize ? "try" : "row");
	for (int i = 0; i < m->knobs.n; i++)
		fprintf(f, " %-*s", column_width(&m->knobs.knobs[i]), m->knobs.knobs[i].name);
	fprintf(f, "  %-7s %-40s %6s  %s\n", "verdict", "hits/valid (95% CI)", "s/run",
		m->o->minimize ? "decision; title or reason" : "title or reason");
}

static void print_row(const struct matrix *m, const struct row *r, FILE *f)
{
	char tally[160];
	int runs = r->pr.t.runs ? r->pr.t.runs : 1;

	stats_tally_text(&r->pr.t, tally, sizeof(tally));
	fprintf(f, "%-8s", r->label);
	for (int i = 0; i < m->knobs.n; i++)
		fprintf(f, " %-*s", column_width(&m->knobs.knobs[i]), r->s[i].value);
	fprintf(f, "  %-7s %-40s %6.1f  %s%s%s\n", stats_point_name(r->pr.verdict), tally, r->pr.run_s / runs, r->note,
		r->note[0] ? "; " : "", row_reason(r));
}

/* ---- matrix.json ------------------------------------------------------------ */

static struct json_object *settings_json(const struct knob_setting *s, int n)
{
	struct json_object *a = json_object_new_array();

	for (int i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "knob", json_object_new_string(s[i].knob->name));
		json_object_object_add(o, "value", json_object_new_string(s[i].value));
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *row_json(const struct matrix *m, const struct row *r)
{
	struct json_object *o = json_object_new_object();
	char text[2048];

	knob_settings_text(r->s, m->knobs.n, text, sizeof(text));
	json_object_object_add(o, "label", json_object_new_string(r->label));
	json_object_object_add(o, "settings", settings_json(r->s, m->knobs.n));
	json_object_object_add(o, "text", json_object_new_string(text));
	json_object_object_add(o, "verdict", json_object_new_string(stats_point_name(r->pr.verdict)));
	json_object_object_add(o, "hit", json_object_new_boolean(r->pr.t.hits > 0));
	json_object_object_add(o, "tally", stats_tally_json(&r->pr.t));
	json_object_object_add(o, "reason", json_object_new_string(row_reason(r)));
	if (m->o->minimize)
		json_object_object_add(o, "decision", json_object_new_string(r->note));
	json_object_object_add(o, "build_seconds", json_object_new_double(r->pr.build_s));
	json_object_object_add(o, "run_seconds", json_object_new_double(r->pr.run_s));
	return o;
}

static struct json_object *knobs_json(const struct knob_list *l)
{
	struct json_object *a = json_object_new_array();

	for (int i = 0; i < l->n; i++) {
		struct json_object *o = json_object_new_object(), *values = json_object_new_array();
		for (int j = 0; j < l->knobs[i].nvalues; j++)
			json_object_array_add(values, json_object_new_string(l->knobs[i].values[j]));
		json_object_object_add(o, "name", json_object_new_string(l->knobs[i].name));
		json_object_object_add(o, "values", values);
		if (l->knobs[i].path[0])
			json_object_object_add(o, "path", json_object_new_string(l->knobs[i].path));
		json_object_array_add(a, o);
	}
	return a;
}

/* --minimize: the settings left on, as {knob, value}. */
static struct json_object *minimal_json(const struct matrix *m, const bool *keep)
{
	struct json_object *a = json_object_new_array();

	for (int j = 0; keep && j < m->nactive; j++)
		if (keep[j]) {
			const struct knob *k = &m->knobs.knobs[m->active[j]];
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "knob", json_object_new_string(k->name));
			json_object_object_add(o, "value", json_object_new_string(k->values[0]));
			json_object_array_add(a, o);
		}
	return a;
}

/* 0, or EXIT_UNTESTABLE (said on stderr) when it could not be written. */
static int write_json(const struct matrix *m, const bool *keep, int code)
{
	struct json_object *o = json_object_new_object(), *rows = json_object_new_array();
	char path[PATH_MAX + 16];
	int rc;

	for (int i = 0; i < m->nrows; i++)
		json_object_array_add(rows, row_json(m, &m->rows[i]));
	json_object_object_add(o, "case", json_object_new_string(m->base.name));
	json_object_object_add(o, "variant", m->o->variant ? json_object_new_string(m->o->variant) : NULL);
	json_object_object_add(o, "kernel", json_object_new_string(m->spec));
	json_object_object_add(o, "series", json_object_new_string(m->series));
	json_object_object_add(o, "release", json_object_new_string(m->release));
	json_object_object_add(o, "runs_per_point", json_object_new_int(m->o->runs));
	json_object_object_add(o, "mode", json_object_new_string(m->o->minimize ? "minimize" : "matrix"));
	json_object_object_add(o, "knobs", knobs_json(&m->knobs));
	json_object_object_add(o, m->o->minimize ? "tried" : "rows", rows);
	if (m->o->minimize)
		json_object_object_add(o, "minimal", code == EXIT_BUG ? minimal_json(m, keep) : NULL);
	json_object_object_add(o, "exit_code", json_object_new_int(code));
	xsnprintf(path, sizeof(path), "%s/matrix.json", m->dir);
	if ((rc = result_write_json(path, o)) < 0)
		fprintf(stderr, "mmrepro: cannot write %s: %s\n", path, strerror(-rc));
	json_object_put(o);
	return rc < 0 ? EXIT_UNTESTABLE : 0;
}

/* ---- the two modes ---------------------------------------------------------- */

static int run_matrix_rows(struct matrix *m)
{
	int n = knob_combinations(&m->knobs), rc = 0;

	for (int i = 0; i < n && !rc; i++) {
		struct row *r = new_row(m, "row");
		knob_row(&m->knobs, i, r->s);
		rc = test_row(m, r);
		fprintf(stderr, "[matrix] %d/%d ", i + 1, n);
		print_row(m, r, stderr);
	}
	return rc;
}

/* 1 when a row is bad, 0 when every row is good, 125 otherwise. */
static int matrix_exit_code(const struct matrix *m)
{
	int good = 0;

	for (int i = 0; i < m->nrows; i++) {
		if (m->rows[i].pr.verdict == POINT_BAD)
			return EXIT_BUG;
		good += m->rows[i].pr.verdict == POINT_GOOD;
	}
	return m->nrows && good == m->nrows ? EXIT_NO_BUG : EXIT_UNTESTABLE;
}

static void decide_note(struct row *r, const struct knob_setting *left_out, bool hit)
{
	char text[256];

	if (!left_out) {
		snprintf(r->note, sizeof(r->note), "start: %s", hit ? "hits" : "does not hit");
		return;
	}
	knob_setting_text(left_out, text, sizeof(text));
	snprintf(r->note, sizeof(r->note), "without %s: %s", text, hit ? "hits, not needed" : "no hit, needed");
}

/* The oracle of matrix_minimize: a try is a point; it hits with any hit. */
static int try_settings(void *arg, const bool *on, int n, int removed)
{
	struct matrix *m = arg;
	struct row *r = new_row(m, "try");
	struct knob_setting start[KNOB_MAX_KNOBS];
	int rc;

	knob_row(&m->knobs, 0, r->s);
	memcpy(start, r->s, (size_t)m->knobs.n * sizeof(*start));
	for (int j = 0; j < n; j++)
		if (!on[j])
			r->s[m->active[j]].value = KNOB_DEFAULT;
	rc = test_row(m, r);
	decide_note(r, removed >= 0 ? &start[m->active[removed]] : NULL, r->pr.t.hits > 0);
	fprintf(stderr, "[minimize] ");
	print_row(m, r, stderr);
	if (rc)
		return rc;
	return r->pr.t.hits > 0 ? MATRIX_HIT : MATRIX_NO_HIT;
}

static void print_minimal(const struct matrix *m, const bool *keep, int rc)
{
	int kept = 0;

	if (rc == EXIT_UNTESTABLE && m->nrows == 1)
		printf("the first values do not make the case hit: nothing to minimise (try more --runs, or other values)\n");
	if (rc)
		return;
	printf("minimal:");
	for (int j = 0; j < m->nactive; j++)
		if (keep[j]) {
			printf(" %s=%s", m->knobs.knobs[m->active[j]].name, m->knobs.knobs[m->active[j]].values[0]);
			kept++;
		}
	printf("%s\n", kept ? "" : " none: the case hits with its own settings");
}

static void print_table(const struct matrix *m)
{
	printf("\n");
	print_header(m, stdout);
	for (int i = 0; i < m->nrows; i++)
		print_row(m, &m->rows[i], stdout);
}

static void free_matrix(struct matrix *m)
{
	for (int i = 0; i < m->nrows; i++)
		free(m->rows[i].s);
	free(m->rows);
	free(m->active);
	free(m->frags);
	knob_list_free(&m->knobs);
	free(m);
}

int matrix_command(const struct matrix_opts *o)
{
	struct matrix *m = xcalloc(1, sizeof(*m));
	bool *keep;
	int rc, code;

	m->o = o;
	check_input(m);
	setup_run(m);
	keep = xcalloc((size_t)m->nactive + 1, sizeof(*keep));
	rc = o->minimize ? matrix_minimize(m->nactive, try_settings, m, keep) : run_matrix_rows(m);
	code = rc ? rc : o->minimize ? EXIT_BUG : matrix_exit_code(m);
	print_table(m);
	if (o->minimize)
		print_minimal(m, keep, rc);
	if (write_json(m, keep, code))
		code = code == EXIT_INTERRUPTED ? code : EXIT_UNTESTABLE;
	html_write_report(m->dir);
	printf("results: %s\n", m->dir);
	if (console_signal_pending(m->x.signal_fd))
		code = EXIT_INTERRUPTED;
	free(keep);
	free_matrix(m);
	return code;
}
