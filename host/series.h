/* A patch series: a quilt-style directory (a `series` file listing patches
 * in order, with # comments) or a b4/git-format-patch mbox. */
#ifndef MMREPRO_SERIES_H
#define MMREPRO_SERIES_H

#include <stdbool.h>
#include <stddef.h>

#define SERIES_MAX_PATCHES 256

struct series {
	char *patches[SERIES_MAX_PATCHES]; /* absolute paths, in order */
	int npatches;
	char split_dir[4096];              /* temp dir an mbox was split into */
};

/* Loads a series dir or mbox. Errors name the file and line; on error
 * nothing is left allocated. */
int series_load(const char *path, struct series *s, char *err, size_t errlen);
/* Parses the text of a quilt `series` file: patch names in order, with
 * comments, blank lines and patch options (-p1) stripped. dir is prepended.
 * Every entry must stay inside dir (no absolute path, no '..', no linked
 * dir leading out), be a regular file (not a symbolic link) and look like
 * a patch (series_text_is_patch); else err names file:line. */
int series_parse(const char *text, const char *dir, const char *file, struct series *s, char *err, size_t errlen);
void series_free(struct series *s);
/* Applies one patch to tree with git apply. On failure, msg names the patch
 * file and the hunk that failed. */
int series_apply_patch(const char *tree, const char *patch, const char *log, char *msg, size_t msglen);
/* Checks, without touching tree, that every patch of s applies to it in
 * order (git apply --check, all patches in one run). On failure, msg names
 * the first patch that does not apply and its hunk, as series_apply_patch
 * does. For a check against the pristine source before any build. */
int series_check_applies(const char *tree, const struct series *s, const char *log, char *msg, size_t msglen);
/* Extracts "error: patch failed: FILE:LINE" style details from git apply's
 * stderr into a one-line message. */
void series_describe_failure(const char *patch, const char *stderr_text, char *msg, size_t len);
/* Whether text holds a diff: a `diff --git` line, or a `--- ` line
 * directly followed by a `+++ ` line. */
bool series_text_is_patch(const char *text);
/* Whether a patch's diff touches what Kconfig reads (a Kconfig* file, a
 * configs/ fragment, scripts/kconfig/), so that a config made from the
 * unpatched tree may not hold for the patched one. */
bool series_text_touches_kconfig(const char *text);

/* The subject of a patch file ("mm/gup: ..." from its Subject: header,
 * without "[PATCH v5 2/3]", folded lines joined), or its file name. */
void series_patch_subject(const char *patch, char *out, size_t len);

#endif
