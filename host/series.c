#include "series.h"
#include "util.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void series_free(struct series *s)
{
	for (int i = 0; i < s->npatches; i++)
		free(s->patches[i]);
	s->npatches = 0;
	if (s->split_dir[0]) {
		remove_tree(s->split_dir);
		s->split_dir[0] = '\0';
	}
}

/* The most a patch file may hold when series_parse reads it to check it. */
#define SERIES_PATCH_MAX (64u << 20)
/* A series file is a list of names: a FIFO or /dev/zero must not hang it. */
#define SERIES_LIST_MAX (1u << 20)

/* Whether path, resolved, lies under root (itself resolved). */
static bool resolves_under(const char *path, const char *root)
{
	char real[PATH_MAX];
	size_t n = strlen(root);

	if (!realpath(path, real))
		return false;
	return !strncmp(real, root, n) && (real[n] == '/' || (n == 1 && root[0] == '/'));
}

static bool has_dotdot(const char *name)
{
	for (const char *c = name; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL)
		if (!strncmp(c, "..", 2) && (c[2] == '/' || !c[2]))
			return true;
	return false;
}

/* Why the series entry `name` (path: dir/name) may not be applied, or NULL.
 * A listed name could point at any host file (../../etc/shadow, a link to
 * one), which git apply would read as root after the source is unpacked. */
/* Where a series' patches may come from: its own dir, or, for a series in
 * the repository's patches/, any series there (the seed variants share
 * patches: ../cma-gup-lru-drain-bug/0001-...). True for the shared one. */
static bool series_root(const char *dir, char *root, size_t len)
{
	char patches[PATH_MAX + 16], shared[PATH_MAX];

	root[0] = '\0';
	if (!realpath(dir, root))
		return false;
	xsnprintf(patches, sizeof(patches), "%s/patches", repo_root());
	if (!realpath(patches, shared) || !resolves_under(root, shared) || !strcmp(root, shared))
		return false;
	snprintf(root, len, "%s", shared);
	return true;
}

static const char *entry_refusal(const char *dir, const char *name, const char *path, char *why, size_t len)
{
	char root[PATH_MAX];
	struct stat st;
	char *text;
	bool patch, shared = series_root(dir, root, sizeof(root));

	if (name[0] == '/' || (has_dotdot(name) && !shared))
		return "leaves the series dir (an absolute path or '..')";
	if (lstat(path, &st) < 0)
		return "does not exist";
	if (S_ISLNK(st.st_mode))
		return "is a symbolic link (a series holds the patches themselves)";
	if (!S_ISREG(st.st_mode))
		return "is not a regular file";
	if (!root[0] || !resolves_under(path, root))
		return shared ? "leaves the repository's patches/ dir" : "leaves the series dir (through a linked directory)";
	if (!(text = read_file_limited(path, SERIES_PATCH_MAX, NULL))) {
		snprintf(why, len, "cannot be read: %s", errno == EFBIG ? "larger than 64 MiB" : strerror(errno));
		return why;
	}
	patch = series_text_is_patch(text);
	free(text);
	return patch ? NULL : "is not a patch (no diff --git, no ---/+++ pair)";
}

int series_parse(const char *text, const char *dir, const char *file, struct series *s, char *err, size_t errlen)
{
	char *copy = xstrdup(text), *save = NULL, *line, detail[160];
	const char *why;
	int lineno = 0;

	for (line = copy; line; line = save) {
		char name[PATH_MAX], path[PATH_MAX * 2];
		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		lineno++;
		line[strcspn(line, "#")] = '\0';
		if (sscanf(line, "%4095s", name) != 1)
			continue;
		if (s->npatches >= SERIES_MAX_PATCHES) {
			snprintf(err, errlen, "%s:%d: more than %d patches", file, lineno, SERIES_MAX_PATCHES);
			free(copy);
			return -1;
		}
		if (strstr(line, " -p") && !strstr(line, " -p1")) {
			snprintf(err, errlen, "%s:%d: only -p1 patches are supported", file, lineno);
			free(copy);
			return -1;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if ((why = entry_refusal(dir, name, path, detail, sizeof(detail)))) {
			snprintf(err, errlen, "%s:%d: patch '%s' %s", file, lineno, name, why);
			free(copy);
			return -1;
		}
		s->patches[s->npatches++] = xstrdup(path);
	}
	free(copy);
	return 0;
}

static int load_dir(const char *dir, struct series *s, char *err, size_t errlen)
{
	char file[PATH_MAX + 16];
	char *text;
	int rc;

	xsnprintf(file, sizeof(file), "%s/series", dir);
	text = read_file_limited(file, SERIES_LIST_MAX, NULL);
	if (!text) {
		snprintf(err, errlen, "--series %s: no readable 'series' file in the directory", dir);
		return -1;
	}
	rc = series_parse(text, dir, file, s, err, errlen);
	free(text);
	if (!rc && s->npatches == 0) {
		snprintf(err, errlen, "--series %s: %s lists no patches", dir, file);
		return -1;
	}
	return rc;
}

bool series_text_is_patch(const char *text)
{
	for (const char *line = text; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (!strncmp(line, "diff --git ", 11))
			return true;
		if (!strncmp(line, "--- ", 4)) {
			const char *next = strchr(line, '\n');
			if (next && !strncmp(next + 1, "+++ ", 4))
				return true;
		}
	}
	return false;
}

/* A path Kconfig reads: a Kconfig* file, a defconfig or config fragment
 * (arch/x86/configs/tiny.config, kernel/configs/), or kconfig itself. */
static bool path_feeds_kconfig(const char *path, size_t len)
{
	const char *base = path;

	for (size_t i = 0; i < len; i++)
		if (path[i] == '/')
			base = path + i + 1;
	size_t base_len = len - (size_t)(base - path);

	if ((base_len == 7 && !strncmp(base, "Kconfig", 7)) || (base_len > 8 && !strncmp(base, "Kconfig.", 8)))
		return true;
	return memmem(path, len, "configs/", 8) ||
	       memmem(path, len, "scripts/kconfig/", 16) || (len > 7 && !memcmp(path + len - 7, ".config", 7));
}

/* The path of a "--- a/x" / "+++ b/x" / "rename to x" line, without its
 * a/ or b/ prefix and anything after a tab. */
static bool diff_line_path(const char *line, size_t len, const char **path, size_t *plen)
{
	static const char *const heads[] = { "--- ", "+++ ", "rename from ", "rename to ", "copy to " };

	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		size_t h = strlen(heads[i]);
		if (len <= h || strncmp(line, heads[i], h))
			continue;
		*path = line + h;
		*plen = strcspn(*path, "\t\n");
		if (*plen > len - h)
			*plen = len - h;
		if (*plen > 2 && ((*path)[0] == 'a' || (*path)[0] == 'b') && (*path)[1] == '/') {
			*path += 2;
			*plen -= 2;
		}
		return true;
	}
	return false;
}

bool series_text_touches_kconfig(const char *text)
{
	for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		size_t len = strcspn(line, "\n"), plen;
		const char *path;
		if (diff_line_path(line, len, &path, &plen) && path_feeds_kconfig(path, plen))
			return true;
	}
	return false;
}

static bool file_is_patch(const char *path)
{
	char *text = read_file(path, NULL);
	bool yes = text && series_text_is_patch(text);

	free(text);
	return yes;
}

/* Lists the split messages in order; more than SERIES_MAX_PATCHES is an
 * error rather than a silently shortened series. */
static int collect_messages(const char *mbox, const char *dir, struct series *s, char *err, size_t errlen)
{
	struct dirent **list;
	int n = scandir(dir, &list, NULL, alphasort), rc = 0;

	for (int i = 0; i < n; i++) {
		char path[PATH_MAX * 2];
		if (list[i]->d_name[0] != '.' && !rc) {
			if (s->npatches >= SERIES_MAX_PATCHES) {
				snprintf(err, errlen, "--series %s: more than %d messages", mbox, SERIES_MAX_PATCHES);
				rc = -1;
			} else {
				snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
				s->patches[s->npatches++] = xstrdup(path);
			}
		}
		free(list[i]);
	}
	if (n >= 0)
		free(list);
	return rc;
}

static bool any_patch(const struct series *s)
{
	for (int i = 0; i < s->npatches; i++)
		if (file_is_patch(s->patches[i]))
			return true;
	return false;
}

/* git mailsplit turns an mbox into one numbered file per message. */
static int load_mbox(const char *mbox, struct series *s, char *err, size_t errlen)
{
	char arg[PATH_MAX + 4], tmpl[] = "/tmp/mmrepro-mbox-XXXXXX";
	char *argv[] = { "git", "mailsplit", "-b", arg, (char *)mbox, NULL };

	if (!mkdtemp(tmpl)) {
		snprintf(err, errlen, "--series %s: cannot make a temp dir: %s", mbox, strerror(errno));
		return -1;
	}
	snprintf(s->split_dir, sizeof(s->split_dir), "%s", tmpl);
	snprintf(arg, sizeof(arg), "-o%s", tmpl);
	if (run_cmd(argv, "/dev/null", NULL) != 0) {
		snprintf(err, errlen, "--series %s: git mailsplit could not read it as an mbox", mbox);
		return -1;
	}
	if (collect_messages(mbox, tmpl, s, err, errlen) < 0)
		return -1;
	if (s->npatches == 0) {
		snprintf(err, errlen, "--series %s: the mbox holds no messages", mbox);
		return -1;
	}
	if (!any_patch(s)) {
		snprintf(err, errlen, "--series %s: no message in the mbox is a patch (no diff --git, no ---/+++ pair)",
			 mbox);
		return -1;
	}
	return 0;
}

int series_load(const char *path, struct series *s, char *err, size_t errlen)
{
	char abs[PATH_MAX];
	struct stat st;

	memset(s, 0, sizeof(*s));
	if (!realpath(path, abs) || stat(abs, &st) < 0) {
		snprintf(err, errlen, "--series %s: %s", path, strerror(errno));
		return -1;
	}
	if ((S_ISDIR(st.st_mode) ? load_dir(abs, s, err, errlen) : load_mbox(abs, s, err, errlen)) < 0) {
		series_free(s);
		return -1;
	}
	return 0;
}

void series_describe_failure(const char *patch, const char *text, char *msg, size_t len)
{
	const char *failed = strstr(text, "error: patch failed: ");
	const char *other = strstr(text, "error: ");
	char detail[512] = "git apply failed";

	if (failed)
		snprintf(detail, sizeof(detail), "hunk at %.*s does not apply",
			 (int)strcspn(failed + 21, "\n"), failed + 21);
	else if (other)
		snprintf(detail, sizeof(detail), "%.*s", (int)strcspn(other + 7, "\n"), other + 7);
	snprintf(msg, len, "patch %s does not apply: %s", patch, detail);
}

int series_apply_patch(const char *tree, const char *patch, const char *log, char *msg, size_t msglen)
{
	char errfile[] = "/tmp/mmrepro-apply-XXXXXX";
	/* --allow-empty: an mbox's cover letter is a message without a diff. */
	char *argv[] = { "git", "-C", (char *)tree, "apply", "--verbose", "-p1", "--whitespace=nowarn", "--allow-empty",
			 "--", (char *)patch, NULL };
	int fd = mkstemp(errfile), rc;
	char *text;

	if (fd < 0) {
		snprintf(msg, msglen, "cannot make a temp file: %s", strerror(errno));
		return -1;
	}
	close(fd);
	rc = run_cmd_split(argv, log, errfile, NULL);
	text = read_file(errfile, NULL);
	unlink(errfile);
	if (text) {
		FILE *f = fopen(log, "a");
		if (f) {
			fputs(text, f);
			fclose(f);
		}
	}
	if (rc != 0)
		series_describe_failure(patch, text ? text : "", msg, msglen);
	free(text);
	return rc == 0 ? 0 : -1;
}

/* The first n patches of s, one after another, in the file at fd: git
 * apply --check carries a file from one patch to the next only within one
 * input (given as separate files, each is checked against the tree). */
static int concat_first(int fd, const struct series *s, int n)
{
	for (int i = 0; i < n; i++) {
		size_t len;
		char *text = read_file_limited(s->patches[i], SERIES_PATCH_MAX, &len);
		bool ok = text && write(fd, text, len) == (ssize_t)len && write(fd, "\n", 1) == 1;

		free(text);
		if (!ok)
			return -1;
	}
	return 0;
}

/* git apply --check of the first n patches of s; stderr goes to errfile,
 * stdout to log. 0 when they all apply, -1 when not, -2 when it cannot tell. */
static int check_first(const char *tree, const struct series *s, int n, const char *log, const char *errfile)
{
	char input[] = "/tmp/mmrepro-series-XXXXXX";
	char *argv[] = { "git", "-C", (char *)tree, "apply", "--check", "-p1", "--whitespace=nowarn", "--allow-empty",
			 "--", input, NULL };
	int fd = mkstemp(input), rc = -2;

	if (fd < 0)
		return -2;
	if (concat_first(fd, s, n) == 0)
		rc = run_cmd_split(argv, log, errfile, NULL) == 0 ? 0 : -1;
	close(fd);
	unlink(input);
	return rc;
}

int series_check_applies(const char *tree, const struct series *s, const char *log, char *msg, size_t msglen)
{
	char errfile[] = "/tmp/mmrepro-check-XXXXXX";
	int fd = mkstemp(errfile), bad = -1, rc;
	char *text;

	if (fd < 0) {
		snprintf(msg, msglen, "cannot make a temp file: %s", strerror(errno));
		return -1;
	}
	close(fd);
	if ((rc = check_first(tree, s, s->npatches, log, errfile)) == 0) {
		unlink(errfile);
		return 0;
	}
	/* The first prefix that fails ends with the patch to name. */
	for (int n = 1; n <= s->npatches && bad < 0 && rc != -2; n++)
		if ((rc = check_first(tree, s, n, log, errfile)) == -1)
			bad = n - 1;
	text = read_file_limited(errfile, CAPTURE_MAX, NULL);
	unlink(errfile);
	if (rc == -2)
		snprintf(msg, msglen, "cannot check the series against %s: %s", tree, strerror(errno));
	else
		series_describe_failure(bad >= 0 ? s->patches[bad] : "the series", text ? text : "", msg, msglen);
	free(text);
	return -1;
}

void series_patch_subject(const char *patch, char *out, size_t len)
{
	char *text = read_file_limited(patch, 16u << 20, NULL), *subj = NULL, *p;
	const char *base = strrchr(patch, '/');
	size_t n = 0;

	snprintf(out, len, "%s", base ? base + 1 : patch);
	if (text)
		subj = !strncmp(text, "Subject: ", 9) ? text : strstr(text, "\nSubject: ");
	if (!subj) {
		free(text);
		return;
	}
	p = subj + (subj[0] == '\n') + 9;
	if (*p == '[' && strchr(p, ']'))
		p = strchr(p, ']') + 1;
	while (*p == ' ')
		p++;
	/* Header lines fold onto the next line when it starts with a blank. */
	for (; *p && n + 1 < len; p++) {
		if (*p == '\n' && (p[1] == ' ' || p[1] == '\t'))
			continue;
		if (*p == '\n')
			break;
		if (*p == '\t' || (*p == ' ' && n && out[n - 1] == ' '))
			continue;
		out[n++] = *p;
	}
	out[n] = '\0';
	sanitize_text(out, false);
	free(text);
}
