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

int series_parse(const char *text, const char *dir, const char *file, struct series *s, char *err, size_t errlen)
{
	char *copy = xstrdup(text), *save = NULL, *line;
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
		if (!file_exists(path)) {
			snprintf(err, errlen, "%s:%d: patch '%s' does not exist", file, lineno, name);
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
	text = read_file(file, NULL);
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
	char *argv[] = { "git", "-C", (char *)tree, "apply", "--verbose", "-p1", "--whitespace=nowarn", "--",
			 (char *)patch, NULL };
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
