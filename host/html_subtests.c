/* report.html's table of kselftest subtests: counts, then the ones that
 * did not pass, then the rest folded. */
#include "html.h"
#include "json_read.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <string.h>

#define SHOWN_ROWS 300

static void row(FILE *f, struct json_object *t)
{
	const char *st = jtext(t, "status");

	fprintf(f, "<tr><td class=\"%s\">", !strcmp(st, "FAIL") || !strcmp(st, "ERROR") ? "bad" : "");
	html_escape(f, st);
	fputs("</td><td>", f);
	html_escape(f, jtext(t, "test"));
	fputs("</td><td>", f);
	html_escape(f, jtext(t, "name"));
	fputs("</td><td>", f);
	html_escape(f, jtext(t, "reason"));
	fputs("</td></tr>\n", f);
}

/* Rows whose status is (failing) or is not (!failing) FAIL/ERROR. */
static size_t rows(FILE *f, struct json_object *subtests, bool failing, size_t shown)
{
	for (size_t i = 0; i < json_object_array_length(subtests) && shown < SHOWN_ROWS; i++) {
		struct json_object *t = json_object_array_get_idx(subtests, i);
		const char *st = jtext(t, "status");
		if ((!strcmp(st, "FAIL") || !strcmp(st, "ERROR")) == failing) {
			row(f, t);
			shown++;
		}
	}
	return shown;
}

void html_subtests(FILE *f, struct json_object *run)
{
	static const char *const names[] = { "PASS", "FAIL", "SKIP", "XFAIL", "ERROR" };
	struct json_object *subtests;
	size_t n, counts[5] = { 0 }, shown;

	if (!(subtests = jarr(run, "subtests")))
		return;
	n = json_object_array_length(subtests);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < 5; k++)
			counts[k] += !strcmp(jtext(json_object_array_get_idx(subtests, i), "status"), names[k]);
	fprintf(f, "<section>\n<h2>Selftest subtests</h2>\n<p>%zu subtests: %zu pass, %zu fail, %zu skip, "
		"%zu xfail, %zu error</p>\n", n, counts[0], counts[1], counts[2], counts[3], counts[4]);
	fputs("<table>\n<tr><th>status</th><th>test</th><th>subtest</th><th>reason</th></tr>\n", f);
	shown = rows(f, subtests, true, 0);
	fputs("</table>\n<details><summary>the others</summary>\n<table>\n", f);
	shown = rows(f, subtests, false, shown);
	fputs("</table>\n</details>\n", f);
	if (shown < n)
		fprintf(f, "<p class=\"note\">%zu more subtests in result.json</p>\n", n - shown);
	fputs("</section>\n", f);
}
