/* mmrepro guest library: the options of a test (.options) and of the
 * library, and the one number parser. */
#include "tst_lib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tst_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, strncmp(s, "0x", 2) ? 10 : 16);
	if (end == s || *end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static void usage(const struct tst_test *t)
{
	tst_console_("mmrepro: usage: %s [--timeout S] [--runtime S]%s", t->name,
		     t->scenarios ? " [--scenarios a,b]" : "");
	for (const struct tst_option *o = t->options; o && o->name; o++)
		tst_console_("mmrepro:   --%s%s  %s", o->name, o->type == TST_OPT_FLAG ? "" : " VALUE",
			     o->help ? o->help : "");
	for (const struct tst_scenario *s = t->scenarios; s && s->name; s++)
		tst_console_("mmrepro:   scenario %s%s: %s", s->name, s->on_request ? " (on request)" : "",
			     s->expect ? s->expect : "");
}

static long number(const char *opt, const char *value, long min, long max)
{
	long v = 0;
	int r = tst_parse_long(value, min, max, &v);

	if (r == -EINVAL)
		tst_brk(TBROK, "--%s: '%s' is not a number", opt, value);
	if (r == -ERANGE)
		tst_brk(TBROK, "--%s: %s is out of range %ld..%ld", opt, value, min, max);
	return v;
}

static size_t count_choices(const char *const *choices)
{
	size_t n = 0;

	while (choices && choices[n])
		n++;
	return n;
}

/* "a,b": those words true, every other false; an unknown word is TBROK. */
static void parse_list(const struct tst_option *o, const char *value)
{
	size_t n = count_choices(o->choices);
	bool *want = o->dest;
	char *copy = SAFE_STRDUP(value), *save, *w;

	memset(want, 0, n * sizeof(*want));
	for (w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		size_t i = 0;

		while (i < n && strcmp(w, o->choices[i]))
			i++;
		if (i == n)
			tst_brk(TBROK, "--%s: unknown '%s'", o->name, w);
		want[i] = true;
	}
	free(copy);
}

static void set_option(const struct tst_option *o, const char *value)
{
	switch (o->type) {
	case TST_OPT_INT:
		*(int *)o->dest = (int)number(o->name, value, o->min, o->max);
		break;
	case TST_OPT_LONG:
		*(long *)o->dest = number(o->name, value, o->min, o->max);
		break;
	case TST_OPT_STR:
		*(const char **)o->dest = value;
		break;
	case TST_OPT_FLAG:
		*(bool *)o->dest = true;
		break;
	case TST_OPT_LIST:
		parse_list(o, value);
		break;
	}
}

static const struct tst_option *find_option(const struct tst_test *t, const char *name, size_t len)
{
	for (const struct tst_option *o = t->options; o && o->name; o++)
		if (strlen(o->name) == len && !strncmp(o->name, name, len))
			return o;
	return NULL;
}

static const struct tst_option library_options[] = {
	{ "timeout", TST_OPT_INT, NULL, 0, 86400, NULL, "kill the workload after S seconds" },
	{ "runtime", TST_OPT_INT, NULL, 1, 86400, NULL, "the runtime budget every loop checks" },
	{ "scenarios", TST_OPT_STR, NULL, 0, 0, NULL, "run only these scenarios" },
	{ NULL, 0, NULL, 0, 0, NULL, NULL },
};

/* The library's own options write into lib; the table above only names
 * them and their ranges. */
static bool library_option(const char *name, size_t len, const char *value, struct tst_lib_args *lib)
{
	for (const struct tst_option *o = library_options; o->name; o++) {
		if (strlen(o->name) != len || strncmp(o->name, name, len))
			continue;
		if (!strcmp(o->name, "timeout"))
			lib->timeout_s = (int)number(o->name, value, o->min, o->max);
		else if (!strcmp(o->name, "runtime"))
			lib->runtime_s = (int)number(o->name, value, o->min, o->max);
		else
			lib->scenarios = value;
		return true;
	}
	return false;
}

static bool is_library_option(const char *name, size_t len)
{
	for (const struct tst_option *o = library_options; o->name; o++)
		if (strlen(o->name) == len && !strncmp(o->name, name, len))
			return true;
	return false;
}

/* --name VALUE, --name=VALUE, or --flag. Returns how many argv words it used. */
static int take_one(const struct tst_test *t, char **argv, int left, struct tst_lib_args *lib)
{
	const char *arg = argv[0] + 2, *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	const struct tst_option *o = find_option(t, arg, len);
	const char *value = eq ? eq + 1 : left > 1 ? argv[1] : NULL;
	int used = eq ? 1 : 2;

	if (o && o->type == TST_OPT_FLAG) {
		if (eq)
			tst_brk(TBROK, "--%s takes no value", o->name);
		set_option(o, NULL);
		return 1;
	}
	if (!o && !is_library_option(arg, len)) {
		usage(t);
		tst_brk(TBROK, "unknown option '%s'", argv[0]);
	}
	if (!value)
		tst_brk(TBROK, "option %.*s needs a value", (int)len + 2, argv[0]);
	if (!o)
		library_option(arg, len, value, lib);
	else
		set_option(o, value);
	return used;
}

void tst_parse_options_(int argc, char **argv, const struct tst_test *t, struct tst_lib_args *lib)
{
	lib->timeout_s = 0;
	lib->runtime_s = -1;
	lib->scenarios = NULL;
	for (int i = 1; i < argc;) {
		if (strncmp(argv[i], "--", 2) || !argv[i][2]) {
			usage(t);
			tst_brk(TBROK, "unexpected argument '%s'", argv[i]);
		}
		i += take_one(t, argv + i, argc - i, lib);
	}
}

/* NULL or "" selects every scenario that is not on request. */
bool tst_scenario_wanted_(const char *list, const struct tst_scenario *s)
{
	size_t len = strlen(s->name);

	if (!list || !*list)
		return !s->on_request;
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");

		if (n == len && !strncmp(p, s->name, len))
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}

void tst_check_scenario_list_(const struct tst_test *t, const char *list)
{
	if (!list)
		return;
	if (!t->scenarios)
		tst_brk(TBROK, "--scenarios: %s has no scenario table", t->name);
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		const struct tst_scenario *s = t->scenarios;

		while (s->name && (strlen(s->name) != n || strncmp(s->name, p, n)))
			s++;
		if (!s->name) {
			usage(t);
			tst_brk(TBROK, "--scenarios: no scenario '%.*s'", (int)n, p);
		}
		p += n + (p[n] == ',');
	}
}
