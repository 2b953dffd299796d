/* Kernel builds: Debian source tarballs, git trees and plain trees, with a
 * quilt series or mbox applied, lean config fragments verified after
 * olddefconfig, and a content-addressed cache of the outputs. */
#ifndef MMREPRO_BUILD_H
#define MMREPRO_BUILD_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "kernel.h"

#define BUILD_MAX_CONFIGS 16
/* A configs[] entry "base:PATH" is a whole kernel config (a syzbot
 * report's) used as the base: merged first, the suite's fragments on top,
 * and not required to stick line by line. */
#define BUILD_BASE_PREFIX "base:"

struct build_request {
	const char *spec;            /* src:deb-6.12[=VERSION], git:/tree@rev, dir:/tree */
	const char *series;          /* dir with a `series` file, an .mbox, or NULL */
	const char *configs[BUILD_MAX_CONFIGS]; /* extra fragments, NULL-terminated */
	const char *flavor;          /* "debug", or NULL/"" for the plain kernel */
	enum arch arch;              /* what to build for: the object dir and key say it */
	int signal_fd;
	bool progress;               /* a progress line on stderr */
};

/* What building req would use, found without building or touching the
 * cache: build_kernel takes the same steps before its cache lookup. */
struct build_plan {
	char version[16];            /* "6.12": the kernel version of the source */
	char tree[PATH_MAX];         /* the tree make runs in (for git:, a worktree) */
	char fragments[BUILD_MAX_CONFIGS + 4][PATH_MAX]; /* in merge order */
	int nfragments;
	char key[25];
	/* The object dir: one per base, flavour and set of extra fragments. */
	char obj[PATH_MAX];
};

/* Fills plan for req. Returns 0, or an exit code with the reason in err:
 * EXIT_USAGE for bad input, including a source whose kernel version cannot
 * be read (no VERSION/PATCHLEVEL in its top Makefile). */
int build_plan(const struct build_request *req, struct build_plan *plan, char *err, size_t errlen);
/* Whether the cache holds a kernel of plan's key (its meta.json there; a
 * build still checks its digests before it uses it). */
bool build_plan_cached(const struct build_plan *plan);
/* "6.12" from the text of a kernel's top Makefile (its VERSION and
 * PATCHLEVEL lines). false when either is missing. */
bool build_makefile_version(const char *makefile, char *out, size_t len);
/* Builds (or finds in the cache) and fills k. Returns 0, or an exit code:
 * EXIT_USAGE for bad input, EXIT_UNTESTABLE when a patch does not apply or
 * the build fails (git bisect's "skip"), with the reason in err. */
int build_kernel(const struct build_request *req, struct kernel *k, char *err, size_t errlen);
/* Runs fn in the source tree of req (its spec reset, its series applied)
 * with the base's object dir and a log path, under the base's lock, so
 * that what fn builds comes from the very tree a kernel was built from
 * (its selftests). Returns fn's exit code, or one of the tree's own. */
typedef int (*build_tree_fn)(const char *tree, const char *obj, const char *log, void *arg);
int build_in_tree(const struct build_request *req, build_tree_fn fn, void *arg, char *err, size_t errlen);
/* Whether series applies to spec's pristine tree, found in seconds and
 * before anything is built (gate's base would otherwise build first).
 * 0, or the code and message a build of it would give. */
int build_check_series(const char *spec, const char *series, char *err, size_t errlen);
/* Any kernel spec: prebuilt ones are resolved, source ones built (or found
 * in the cache) in the given flavour (NULL: plain). configs is
 * NULL-terminated or NULL. Returns 0 or an exit code with the reason in err;
 * a series, or a flavour that changes the kernel, on a prebuilt kernel is
 * EXIT_USAGE. */
int kernel_get(const char *spec, const char *series, const char *const *configs, const char *flavor,
	       enum arch arch, int signal_fd, bool progress, struct kernel *k, char *err, size_t errlen);
/* Whether one fragment line (CONFIG_X=y, CONFIG_X="s", # CONFIG_X is not set,
 * comments and blanks) holds in the text of a final .config. */
bool build_config_line_holds(const char *config, const char *line);
/* The cache key: a hash of the source identity, the compiler, the patch
 * contents in order and the fragment contents in order (NULL-terminated
 * lists). 24 hex digits. */
void build_cache_key(const char *source, const char *compiler, const char *const *patches,
		     const char *const *fragments, char out[25]);
/* The cache root: $MMREPRO_CACHE or ~/.cache/mmrepro. */
void build_cache_dir(char *out, size_t len);
/* Checks a cached kernel dir (kernels/<key>): its meta.json, and its
 * bzImage, vmlinux and config, each a regular file with the SHA-256 that
 * meta.json recorded when the kernel was built. A meta.json written before
 * digests were recorded gets them now, once, if every image is whole by
 * its own headers. Returns 0, or -1 with the file and what is wrong in err. */
int build_cache_verify(const char *dir, char *err, size_t errlen);
int build_cache_ls(void);
/* Removes kernels whose last-used stamp is more than keep_days days old,
 * unless a build of their base holds its lock, build dirs (*.tmp-<pid>)
 * whose process is gone, and logs older than keep_days. */
int build_cache_gc(int keep_days);

#endif
