/* A case made from the command line: a C reproducer (--repro), a syzbot
 * bundle (--syzbot) or kernel selftests (--kselftest), with the VM shape
 * from options. It is written as an ordinary case file, so that run,
 * verify, gate and bisect (and their worker processes) load it as any
 * other, and new-case writes the same text into cases/. */
#ifndef MMREPRO_ADHOC_H
#define MMREPRO_ADHOC_H

#include <stdbool.h>
#include <stddef.h>

struct adhoc_opts {
	const char *repro, *repro_cflags, *syzbot, *kselftest, *title;
	const char *memory, *numa, *cmdline, *kernel;
	int repro_time_s, cpus;     /* 0: the default */
	bool repro_exit_fails;      /* --repro-exit-fails */
	const char **sysctls;       /* n of them */
	int nsysctls;
};

/* Whether the options name a workload source instead of a case. */
bool adhoc_given(const struct adhoc_opts *a);
/* Checks every option's value, naming the option on error (-1). */
int adhoc_check(const struct adhoc_opts *a, char *err, size_t errlen);
/* The case file's text for the options, named name ("" picks one from
 * the source). repro_path, when not NULL, is what `repro =` says (new-case
 * copies the file into the repository, NAME.c, and a syzbot config beside
 * it, NAME.config). malloc'd, or NULL with err. */
char *adhoc_case_text(const struct adhoc_opts *a, const char *name, const char *repro_path, char *err,
		      size_t errlen);
/* Writes the text to the cache (adhoc/<hash>.case) and gives its path.
 * Returns 0, or an exit code with err. */
int adhoc_case_file(const struct adhoc_opts *a, char *path, size_t len, char *err, size_t errlen);
/* A case name from a file or dir name: lowercase letters, digits, '-'. */
void adhoc_name_from(const char *prefix, const char *path, char *out, size_t len);

#endif
