/* Kernel flavours: a named config fragment plus the command line it needs
 * (the debug flavour's KASAN, lockdep, DEBUG_VM and panic_on_warn). */
#ifndef MMREPRO_FLAVOR_H
#define MMREPRO_FLAVOR_H

#include <stdbool.h>
#include <stddef.h>

struct flavor {
	const char *name;
	const char *fragment;   /* under config/, NULL for the plain kernel */
	const char *cmdline;    /* appended to the guest's command line, or "" */
};

/* The flavour called name ("normal", "debug"), or NULL. NULL and "" are
 * the plain kernel. */
const struct flavor *flavor_find(const char *name);
/* The known names, comma-separated, for error messages. */
const char *flavor_names(void);
/* Whether name is a flavour that changes the built kernel (has a fragment). */
bool flavor_changes_kernel(const char *name);
/* Writes the fragment's path (repo_root()/config/...) to out; false for a
 * flavour without one. */
bool flavor_fragment_path(const char *name, char *out, size_t len);

#endif
