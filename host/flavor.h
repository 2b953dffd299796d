/* Kernel flavours: a named config fragment plus whether it boots with
 * panic_on_warn (the debug flavour's KASAN, lockdep, DEBUG_VM). */
#ifndef MMREPRO_FLAVOR_H
#define MMREPRO_FLAVOR_H

#include <stdbool.h>
#include <stddef.h>

struct flavor {
	const char *name;
	const char *fragment;   /* under config/, NULL for the plain kernel */
	/* Boots with panic_on_warn=1 unless the case says panic_on_warn = no. */
	bool panic_on_warn;
};

/* The flavour called name ("normal", "debug"), or NULL. NULL and "" are
 * the plain kernel. */
const struct flavor *flavor_find(const char *name);
/* The known names, comma-separated, for error messages. */
const char *flavor_names(void);
/* Whether name is a flavour that changes the built kernel (has a fragment). */
bool flavor_changes_kernel(const char *name);
/* Whether a kernel of flavour name boots with panic_on_warn=1, given the
 * case's panic_on_warn setting (1 yes, -1 no, 0 the flavour's choice). */
bool flavor_panic_on_warn(const char *name, int case_setting);
/* Writes the fragment's path (repo_root()/config/...) to out; false for a
 * flavour without one. */
bool flavor_fragment_path(const char *name, char *out, size_t len);

#endif
