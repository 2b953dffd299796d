/* Kernel flavours: names, their config fragments and command lines. */
#include "flavor.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

static const struct flavor flavors[] = {
	{ .name = "normal", .fragment = NULL },
	/* No 6.x Kconfig symbol sets panic_on_warn at build time, so the
	 * flavour sets it at boot: a WARNING stops the run at the report. */
	{ .name = "debug", .fragment = "flavor-debug.config", .panic_on_warn = true },
};

const struct flavor *flavor_find(const char *name)
{
	if (!name || !*name)
		return &flavors[0];
	for (size_t i = 0; i < sizeof(flavors) / sizeof(flavors[0]); i++)
		if (!strcmp(flavors[i].name, name))
			return &flavors[i];
	return NULL;
}

const char *flavor_names(void)
{
	return "normal, debug";
}

bool flavor_changes_kernel(const char *name)
{
	const struct flavor *f = flavor_find(name);

	return f && f->fragment;
}

bool flavor_panic_on_warn(const char *name, int case_setting)
{
	const struct flavor *f = flavor_find(name);

	if (case_setting)
		return case_setting > 0;
	return f && f->panic_on_warn;
}

bool flavor_fragment_path(const char *name, char *out, size_t len)
{
	const struct flavor *f = flavor_find(name);

	if (!f || !f->fragment)
		return false;
	snprintf(out, len, "%s/config/%s", repo_root(), f->fragment);
	return true;
}
