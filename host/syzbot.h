/* A syzbot bug as mailed (repro.c, the kernel .config, the title) read from a directory. */
#ifndef MMREPRO_SYZBOT_H
#define MMREPRO_SYZBOT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* What one may save from a syzbot mail or dashboard page into DIR: the
 * "C reproducer" link (x/repro.c) as repro.c, the "kernel config" link
 * (x/.config) as config or .config, the "syz repro" link as repro.syz, the
 * crash report (x/report.txt) as report.txt, the console output (x/log.txt)
 * as console.log or log.txt, and the mail's subject without "[syzbot]" as
 * title. */
#define SYZBOT_CONFIG_MAX (8u << 20)   /* a kernel .config is about 250 kB */
#define SYZBOT_REPRO_MAX (16u << 20)   /* repros embed images: some MB at most */
#define SYZBOT_LOG_MAX (64u << 20)     /* report.txt, console.log, log.txt */
#define SYZBOT_TITLE_MAX 1024          /* the title file, in bytes */
#define SYZBOT_FRAGMENT_MAX (1u << 20)

/* A syzbot bug as mailed: a C reproducer, the kernel .config, the title. */
struct syzbot_bundle {
	char dir[PATH_MAX];
	char repro_c[PATH_MAX];     /* DIR/repro.c (required) */
	char config[PATH_MAX];      /* DIR/config or DIR/.config, "" if none */
	char title[256];            /* sanitised: control bytes and invalid UTF-8 replaced */
	char title_source[64];      /* "title", "report.txt", "console.log", "log.txt", or "" */
	bool has_repro_syz;         /* repro.syz is present (and ignored) */
};

/* Reads DIR. Returns 0, or EXIT_USAGE (2, from util.h) with err naming the
 * path and what is wrong: DIR missing or not a directory; repro.c missing,
 * empty or not a regular file; both config and .config present; a config
 * that is not a regular file, over SYZBOT_CONFIG_MAX, or holds no line
 * "CONFIG_X=..." or "# CONFIG_X is not set"; a title file that is empty,
 * over 1 kB, not one line, or longer than title[] once sanitised; a
 * report.txt or console log that is not a regular file or over
 * SYZBOT_LOG_MAX. The title comes from DIR/title (first line, spaces
 * around it trimmed), else from the first report's title in DIR/report.txt,
 * else in DIR/console.log, else in DIR/log.txt, as report_parse_all gives
 * it; none found: title "" (not an error: then any crash counts). Every
 * file is opened without following a symlink and without blocking, so a
 * FIFO, device, symlink or directory is refused naming the file, never
 * waited on. repro.syz counts as present only as a regular file. */
int syzbot_read(const char *dir, struct syzbot_bundle *b, char *err, size_t errlen);

/* One option whose value a fragment changes in a config; "" = unset (an
 * option absent, "# CONFIG_X is not set" and CONFIG_X=n are all unset). */
struct config_change {
	char name[96];              /* "CONFIG_9P_FS" */
	char from[64];              /* in the config */
	char to[64];                /* in the fragments */
};

/* Compares the config at config_path (checked as syzbot_read checks one)
 * with the NULL-terminated list of fragment files (lines CONFIG_X=v,
 * "# CONFIG_X is not set", other "#" comments and blank lines, as in
 * config/ *.config; a later fragment overrides an earlier one, as
 * merge_config.sh does) and fills *out with a malloc'd array of every option
 * whose value the fragments change, sorted by name (NULL when none). Returns
 * the count, or -1 with err naming the file (and line): an unreadable file,
 * a fragment line that is none of those, a name or value longer than the
 * fields hold. */
int syzbot_config_changes(const char *config_path, const char *const *fragments, struct config_change **out,
			  char *err, size_t errlen);

#endif
