/* Writing a new case into the repository. */
#include "newcase.h"
#include "adhoc.h"
#include "case.h"
#include "repro.h"
#include "syzbot.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdbool.h>

static bool is_case_name(const char *s)
{
	if (!*s || strlen(s) > 48 || *s == '-')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

/* Creates path with text, never replacing a file that is there. */
static int write_new(const char *path, const char *text, size_t len, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	bool ok = fd >= 0 && write(fd, text, len) == (ssize_t)len;

	if (fd >= 0 && close(fd) < 0)
		ok = false;
	if (!ok) {
		snprintf(err, errlen, "%s: %s", path, fd < 0 && errno == EEXIST ? "already exists" : strerror(errno));
		if (fd >= 0)
			unlink(path);
		return EXIT_USAGE;
	}
	fprintf(stderr, "mmrepro: wrote %s\n", path);
	return 0;
}

/* The template's text with @NAME@ and @WORKLOAD@ replaced. */
static char *from_template(const char *file, const char *name, const char *workload)
{
	char path[PATH_MAX];
	char *tmpl, *out = NULL;
	size_t len, n;
	FILE *f;

	xsnprintf(path, sizeof(path), "%s/guest/lib/case-template/%s", repo_root(), file);
	if (!(tmpl = read_file_limited(path, 1u << 20, &len)))
		return NULL;
	f = open_memstream(&out, &n);
	for (const char *p = tmpl; *p; p++) {
		if (!strncmp(p, "@NAME@", 6)) {
			fputs(name, f);
			p += 5;
		} else if (!strncmp(p, "@WORKLOAD@", 10)) {
			fputs(workload, f);
			p += 9;
		} else {
			fputc(*p, f);
		}
	}
	fclose(f);
	free(tmpl);
	return out;
}

static int write_skeleton(const char *name, const char *case_path, char *err, size_t errlen)
{
	char workload[64], src[PATH_MAX];
	char *c_text, *case_text;
	int rc;

	snprintf(workload, sizeof(workload), "%s", name);
	for (char *p = workload; *p; p++)
		*p = *p == '-' ? '_' : *p;
	xsnprintf(src, sizeof(src), "%s/guest/workloads/%s.c", repo_root(), workload);
	c_text = from_template("workload.c.tmpl", name, workload);
	case_text = from_template("case.tmpl", name, workload);
	if (!c_text || !case_text) {
		snprintf(err, errlen, "cannot read the templates under %s/guest/lib/case-template", repo_root());
		rc = EXIT_UNTESTABLE;
	} else if (!(rc = write_new(src, c_text, strlen(c_text), err, errlen)) &&
		   (rc = write_new(case_path, case_text, strlen(case_text), err, errlen))) {
		unlink(src);
	}
	free(c_text);
	free(case_text);
	return rc;
}

static int copy_new(const char *from, const char *to, char *err, size_t errlen)
{
	size_t len;
	char *text = read_file_limited(from, 16u << 20, &len);
	int rc;

	if (!text) {
		snprintf(err, errlen, "%s: %s", from, strerror(errno));
		return EXIT_USAGE;
	}
	rc = write_new(to, text, len, err, errlen);
	free(text);
	return rc;
}

/* The files new-case made so far, removed again when a later step fails. */
struct made {
	char paths[3][PATH_MAX + 32];
	int n;
};

static int make_copy(struct made *m, const char *from, const char *to, char *err, size_t errlen)
{
	int rc = copy_new(from, to, err, errlen);

	if (!rc)
		xsnprintf(m->paths[m->n++], sizeof(m->paths[0]), "%s", to);
	return rc;
}

/* guest/repros/NAME.c (and NAME.config for a syzbot bundle), then the case. */
static int write_repro_case(const char *name, const struct adhoc_opts *a, const char *case_path, char *err,
			    size_t errlen)
{
	char rel[PATH_MAX], dir[PATH_MAX], src[PATH_MAX + 16], cfg[PATH_MAX + 16], bin[PATH_MAX];
	struct syzbot_bundle b = { 0 };
	struct made m = { .n = 0 };
	char *text;
	int rc;

	if (a->syzbot && (rc = syzbot_read(a->syzbot, &b, err, errlen)))
		return rc;
	xsnprintf(rel, sizeof(rel), "guest/repros/%s.c", name);
	xsnprintf(dir, sizeof(dir), "%s/guest/repros", repo_root());
	xsnprintf(src, sizeof(src), "%s/%s.c", dir, name);
	xsnprintf(cfg, sizeof(cfg), "%s/%s.config", dir, name);
	if ((rc = repro_compile(a->repro ? a->repro : b.repro_c, a->repro_cflags, ARCH_X86_64, bin, sizeof(bin), err, errlen)))
		return rc;
	if (!(text = adhoc_case_text(a, name, rel, err, errlen)))
		return EXIT_USAGE;
	mkdir_p(dir, 0755);
	rc = make_copy(&m, a->repro ? a->repro : b.repro_c, src, err, errlen);
	if (!rc && b.config[0])
		rc = make_copy(&m, b.config, cfg, err, errlen);
	if (!rc)
		rc = write_new(case_path, text, strlen(text), err, errlen);
	for (int i = 0; rc && i < m.n; i++)
		unlink(m.paths[i]);
	free(text);
	return rc;
}

int newcase_write(const char *name, const struct adhoc_opts *a, char *err, size_t errlen)
{
	char case_path[PATH_MAX];

	if (!is_case_name(name)) {
		snprintf(err, errlen, "new-case %s: a case name is lowercase letters, digits and '-' (at most 48)", name);
		return EXIT_USAGE;
	}
	xsnprintf(case_path, sizeof(case_path), "%s/cases/%s.case", repo_root(), name);
	if (file_exists(case_path)) {
		snprintf(err, errlen, "new-case %s: %s already exists", name, case_path);
		return EXIT_USAGE;
	}
	if (a->repro || a->syzbot)
		return write_repro_case(name, a, case_path, err, errlen);
	if (a->kselftest) {
		char *text = adhoc_case_text(a, name, NULL, err, errlen);
		int rc = text ? write_new(case_path, text, strlen(text), err, errlen) : EXIT_USAGE;
		free(text);
		return rc;
	}
	return write_skeleton(name, case_path, err, errlen);
}
