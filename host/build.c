#include "build.h"
#include "arch.h"
#include "flavor.h"
#include "json_read.h"
#include "series.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Where a spec's sources live and what identifies them. */
struct source {
	char base[128];          /* deb-6.12.117-1_deb12u1, git-<repo hash>, dir-<path hash> */
	char identity[512];      /* what the cache key hashes for the source */
	char tree[PATH_MAX];     /* the tree make runs in */
	char obj[PATH_MAX];      /* out-of-tree object dir, one per base */
	char rev[64];            /* commit to reset the tree to ("" for dir:) */
	char repo[PATH_MAX];     /* git: the user's repository */
	char deb_version[64];    /* src:deb-*: the package version unpacked */
	char package[32];        /* src:deb-*: linux-source-6.12 */
	char tarball[PATH_MAX];  /* src:deb-*: the installed one, or a pinned one in debs/ */
	bool pinned;             /* src:deb-*=VERSION */
	char version[16];        /* "6.12", from the tree's Makefile */
	bool mutable_tree;       /* dir: trees change under us: always run make */
};

struct build {
	const struct build_request *req;
	struct source src;
	struct series series;
	char cache[PATH_MAX];
	char frags[BUILD_MAX_CONFIGS + 4][PATH_MAX];
	int nfrags;
	int nbase;               /* frags[0..nbase): a base config (syzbot's), merged first, not verified */
	char key[25];
	char config_stamp[25];   /* what the merged config depends on; "" when it cannot be reused */
	char out[PATH_MAX];      /* kernels/<key> */
	char log[PATH_MAX];
	char *err;
	size_t errlen;
};

static int fail(struct build *b, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct build *b, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->err, b->errlen, fmt, ap);
	va_end(ap);
	return code;
}

void build_cache_dir(char *out, size_t len)
{
	const char *env = getenv("MMREPRO_CACHE"), *home = getenv("HOME");

	if (env && *env)
		xsnprintf(out, len, "%s", env);
	else
		xsnprintf(out, len, "%s/.cache/mmrepro", home && *home ? home : "/tmp");
}

/* ---- sources ---------------------------------------------------------- */

/* Versions of a package, each once, in the order found (a growing list). */
struct versions {
	char **v;
	size_t n;
};

static void versions_add(struct versions *vs, const char *v, size_t len)
{
	for (size_t i = 0; i < vs->n; i++)
		if (strlen(vs->v[i]) == len && !strncmp(vs->v[i], v, len))
			return;
	vs->v = xrealloc(vs->v, (vs->n + 1) * sizeof(*vs->v));
	vs->v[vs->n] = xcalloc(1, len + 1);
	memcpy(vs->v[vs->n++], v, len);
}

static void versions_free(struct versions *vs)
{
	for (size_t i = 0; i < vs->n; i++)
		free(vs->v[i]);
	free(vs->v);
}

/* What `apt-cache madison PACKAGE` lists ("pkg | version | archive"): the
 * versions the archive still keeps, as of the last apt-get update. */
static void apt_versions(const char *package, struct versions *vs)
{
	char *out = capture_argv((char *[]){ "apt-cache", "madison", (char *)package, NULL }, NULL), *line, *save;

	for (line = out ? strtok_r(out, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		char *v = strchr(line, '|'), *end;
		if (!v || !(end = strchr(v + 1, '|')))
			continue;
		v += 1 + strspn(v + 1, " ");
		while (end > v && end[-1] == ' ')
			end--;
		if (end > v)
			versions_add(vs, v, (size_t)(end - v));
	}
	free(out);
}

/* debs/PACKAGE_VERSION: where a pinned version's tarball is kept. */
static void pinned_dir(const struct build *b, const char *version, char *out, size_t len)
{
	xsnprintf(out, len, "%s/debs/%s_%s", b->cache, b->src.package, version);
}

/* The versions fetched into this cache before: they build without the
 * archive, even once it has dropped them. */
static void cached_versions(const struct build *b, struct versions *vs)
{
	char dir[PATH_MAX + 8], prefix[40], tarball[PATH_MAX * 2];
	struct dirent **list;
	int n;

	xsnprintf(dir, sizeof(dir), "%s/debs", b->cache);
	snprintf(prefix, sizeof(prefix), "%s_", b->src.package);
	n = scandir(dir, &list, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		const char *name = list[i]->d_name, *v = name + strlen(prefix);
		snprintf(tarball, sizeof(tarball), "%s/%s/usr/src/%s.tar.xz", dir, name, b->src.package);
		if (!strncmp(name, prefix, strlen(prefix)) && !strstr(v, ".tmp-") && file_exists(tarball))
			versions_add(vs, v, strlen(v));
		free(list[i]);
	}
	if (n >= 0)
		free(list);
}

/* dpkg's order of version characters: '~' before anything, even the end. */
static int deb_order(char c)
{
	if (c >= '0' && c <= '9')
		return 0;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return c;
	return c == '~' ? -1 : c ? c + 256 : 0;
}

/* dpkg's verrevcmp, for two Debian revisions of one upstream version. */
static int deb_revision_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		int diff = 0;
		while ((*a && (*a < '0' || *a > '9')) || (*b && (*b < '0' || *b > '9'))) {
			if (deb_order(*a) != deb_order(*b))
				return deb_order(*a) - deb_order(*b);
			a++, b++;
		}
		while (*a == '0')
			a++;
		while (*b == '0')
			b++;
		for (; *a >= '0' && *a <= '9' && *b >= '0' && *b <= '9'; a++, b++)
			diff = diff ? diff : *a - *b;
		if (*a >= '0' && *a <= '9')
			return 1;
		if (*b >= '0' && *b <= '9')
			return -1;
		if (diff)
			return diff;
	}
	return 0;
}

/* The known version a pin names: itself, or for an upstream version (no
 * '-') its newest Debian revision. NULL when none. */
static const char *pick_pinned(const struct versions *vs, const char *pin)
{
	const char *best = NULL;
	size_t len = strlen(pin);

	for (size_t i = 0; i < vs->n; i++) {
		const char *v = vs->v[i], *dash = strrchr(v, '-');
		if (strchr(pin, '-')) {
			if (!strcmp(v, pin))
				return v;
		} else if (dash && (size_t)(dash - v) == len && !strncmp(v, pin, len) &&
			   (!best || deb_revision_cmp(dash + 1, strrchr(best, '-') + 1) > 0))
			best = v;
	}
	return best;
}

static int unknown_pin(struct build *b, const char *pin, const struct versions *vs)
{
	char *list = NULL;
	size_t len;
	FILE *f = open_memstream(&list, &len);
	int rc;

	for (size_t i = 0; i < vs->n; i++)
		fprintf(f, "%s%s", i ? ", " : "", vs->v[i]);
	fclose(f);
	rc = fail(b, EXIT_USAGE, "--kernel %s: apt and this cache know no version %s of %s; they know: %s "
		  "(apt-get update may list newer ones)", b->req->spec, pin,
		  b->src.package, vs->n ? list : "none");
	free(list);
	return rc;
}

/* A pinned version: the installed one, one fetched into this cache before,
 * or one the archive lists (fetched when the build needs it). */
static int resolve_pin(struct build *b, const char *pin, const char *installed)
{
	struct versions vs = { 0 };
	const char *pick;
	char dir[PATH_MAX];
	int rc = 0;

	if (installed)
		versions_add(&vs, installed, strlen(installed));
	cached_versions(b, &vs);
	pick = pick_pinned(&vs, pin);
	/* An exact version at hand needs no archive; an upstream one asks it
	 * for its newest revision. */
	if (!pick || !strchr(pin, '-')) {
		apt_versions(b->src.package, &vs);
		pick = pick_pinned(&vs, pin);
	}
	if (!pick)
		rc = unknown_pin(b, pin, &vs);
	else if (installed && !strcmp(pick, installed))
		xsnprintf(b->src.tarball, sizeof(b->src.tarball), "/usr/src/%s.tar.xz", b->src.package);
	else {
		pinned_dir(b, pick, dir, sizeof(dir));
		xsnprintf(b->src.tarball, sizeof(b->src.tarball), "%s/usr/src/%s.tar.xz", dir, b->src.package);
	}
	if (pick)
		snprintf(b->src.deb_version, sizeof(b->src.deb_version), "%s", pick);
	versions_free(&vs);
	return rc;
}

static int resolve_deb_source(struct build *b, const struct kernel_spec *ks)
{
	char which[16], *ver;
	int rc = 0;

	snprintf(which, sizeof(which), "%.*s", (int)ks->arg_len, ks->arg);
	if (ks->arg_len >= sizeof(which) || (strcmp(which, "deb-6.12") && strcmp(which, "deb-6.1")))
		return fail(b, EXIT_USAGE, "--kernel %s: Debian sources are src:deb-6.12 or src:deb-6.1", b->req->spec);
	snprintf(b->src.package, sizeof(b->src.package), "linux-source-%s", which + 4);
	ver = capture_argv((char *[]){ "dpkg-query", "-W", "-f=${Version}", b->src.package, NULL }, NULL);
	if (ver && !*ver) {
		free(ver);
		ver = NULL;
	}
	b->src.pinned = ks->pin[0] != '\0';
	if (b->src.pinned)
		rc = resolve_pin(b, ks->pin, ver);
	else if (!ver)
		rc = fail(b, EXIT_UNTESTABLE, "--kernel %s: %s is not installed; run ./run.sh setup, or pin a version "
			  "(%s=VERSION)", b->req->spec, b->src.package, b->req->spec);
	else {
		snprintf(b->src.deb_version, sizeof(b->src.deb_version), "%s", ver);
		xsnprintf(b->src.tarball, sizeof(b->src.tarball), "/usr/src/%s.tar.xz", b->src.package);
	}
	free(ver);
	if (rc)
		return rc;
	/* The tree is named by the upstream version, so that a new Debian
	 * revision reuses the same object dir; the full version is the identity. */
	snprintf(b->src.base, sizeof(b->src.base), "deb-%.*s", (int)strcspn(b->src.deb_version, "-~+"),
		 b->src.deb_version);
	snprintf(b->src.identity, sizeof(b->src.identity), "debian %s %s", b->src.package, b->src.deb_version);
	xsnprintf(b->src.tree, sizeof(b->src.tree), "%s/src/%s", b->cache, b->src.base);
	snprintf(b->src.version, sizeof(b->src.version), "%s", which + 4);
	return 0;
}

/* Whether dir is inside a git work tree or is a git dir. */
static bool is_git_repository(const char *dir)
{
	char *out = capture_argv((char *[]){ "git", "-C", (char *)dir, "rev-parse", "--git-dir", NULL }, NULL);
	bool yes = out != NULL;

	free(out);
	return yes;
}

/* The full hash of REV in repo, or NULL when it names no commit. */
static char *commit_of(const char *repo, const char *rev)
{
	char *arg, *sha;

	if (asprintf(&arg, "%s^{commit}", rev) < 0)
		return NULL;
	sha = capture_argv((char *[]){ "git", "-C", (char *)repo, "rev-parse", "--verify", "-q", arg, NULL }, NULL);
	free(arg);
	if (sha && strlen(sha) < 40) {
		free(sha);
		sha = NULL;
	}
	return sha;
}

static int check_git_spec(struct build *b, const char *spec, const char *repo, const char *rev)
{
	struct stat st;

	if (stat(repo, &st) < 0 || !S_ISDIR(st.st_mode))
		return fail(b, EXIT_USAGE, "--kernel git:%s: %s is not a directory", spec, repo);
	if (!is_git_repository(repo))
		return fail(b, EXIT_USAGE, "--kernel git:%s: %s is not a git repository", spec, repo);
	/* rev-parse would take "-x^{commit}" for an option. */
	if (rev[0] == '-')
		return fail(b, EXIT_USAGE, "--kernel git:%s: REV '%s' starts with '-'", spec, rev);
	return 0;
}

static int resolve_git_source(struct build *b, const char *spec)
{
	char repo[PATH_MAX], hash[65], *at, *sha;
	int rc;

	xsnprintf(repo, sizeof(repo), "%s", spec);
	at = kernel_git_split(repo);
	if (!at || !at[1])
		return fail(b, EXIT_USAGE, "--kernel git:%s: expected git:/path/to/linux@REV", spec);
	*at = '\0';
	if ((rc = check_git_spec(b, spec, repo, at + 1)))
		return rc;
	if (!(sha = commit_of(repo, at + 1)))
		return fail(b, EXIT_USAGE, "--kernel git:%s: '%s' is not a commit in %s", spec, at + 1, repo);
	sha256_hex(repo, strlen(repo), hash);
	snprintf(b->src.base, sizeof(b->src.base), "git-%.16s", hash);
	snprintf(b->src.identity, sizeof(b->src.identity), "git %s", sha);
	snprintf(b->src.rev, sizeof(b->src.rev), "%s", sha);
	xsnprintf(b->src.tree, sizeof(b->src.tree), "%s/worktrees/%s", b->cache, b->src.base);
	free(sha);
	xsnprintf(b->src.repo, sizeof(b->src.repo), "%s", repo);
	return 0;
}

static int resolve_dir_source(struct build *b, const char *path)
{
	char abs[PATH_MAX], hash[65], mk[PATH_MAX + 16], arch_dir[PATH_MAX + 16];
	const char *karch = arch_info(b->req->arch)->karch;
	struct stat st;

	if (!realpath(path, abs) || stat(abs, &st) < 0 || !S_ISDIR(st.st_mode))
		return fail(b, EXIT_USAGE, "--kernel dir:%s: no such directory", path);
	xsnprintf(mk, sizeof(mk), "%s/Makefile", abs);
	xsnprintf(arch_dir, sizeof(arch_dir), "%s/arch/%s", abs, karch);
	if (!file_exists(mk) || !file_exists(arch_dir))
		return fail(b, EXIT_USAGE, "--kernel dir:%s: not a kernel tree (it needs a Makefile and arch/%s)", path,
			    karch);
	if (b->req->series)
		return fail(b, EXIT_USAGE, "--kernel dir:%s: dir: trees are built as they are and never "
			    "modified; use git:TREE@REV or src: to apply --series", path);
	sha256_hex(abs, strlen(abs), hash);
	snprintf(b->src.base, sizeof(b->src.base), "dir-%.16s", hash);
	snprintf(b->src.identity, sizeof(b->src.identity), "dir %s pid %d time %ld", abs, (int)getpid(),
		 (long)time(NULL));
	xsnprintf(b->src.tree, sizeof(b->src.tree), "%s", abs);
	b->src.mutable_tree = true;
	return 0;
}

static int resolve_source(struct build *b)
{
	struct kernel_spec ks = kernel_spec_parse(b->req->spec);

	if (ks.error)
		return fail(b, EXIT_USAGE, "--kernel %s: %s", b->req->spec, ks.error);
	switch (ks.kind) {
	case KERNEL_SRC: return resolve_deb_source(b, &ks);
	case KERNEL_GIT: return resolve_git_source(b, ks.arg);
	case KERNEL_DIR: return resolve_dir_source(b, ks.arg);
	default: return fail(b, EXIT_USAGE, "--kernel %s: not a source spec", b->req->spec);
	}
}

/* ---- locking and trees -------------------------------------------------- */

static void base_lock_path(const char *cache, const char *base, char *out, size_t len)
{
	xsnprintf(out, len, "%s/locks/%s.lock", cache, base);
}

/* One lock per source base: its tree and object dir are shared by every
 * key built from it. Returns the locked fd, or -1 with the reason in err. */
static int lock_base(struct build *b)
{
	char dir[PATH_MAX + 8], path[PATH_MAX + 160];
	int fd;

	xsnprintf(dir, sizeof(dir), "%s/locks", b->cache);
	base_lock_path(b->cache, b->src.base, path, sizeof(path));
	if (mkdir_p(dir, 0755) < 0 || (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0)
		return fail(b, -1, "cannot lock the build dir of %s: %s: %s", b->src.base, path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		fprintf(stderr, "mmrepro: waiting for another build of %s\n", b->src.base);
		while (flock(fd, LOCK_EX) < 0)
			if (errno != EINTR) {
				int e = errno;
				close(fd);
				return fail(b, -1, "cannot lock the build dir of %s: %s: %s", b->src.base, path, strerror(e));
			}
	}
	return fd;
}

/* git -C tree ARGS... (NULL-terminated), output appended to the build log.
 * Returns 0 when git exited 0. */
static int git(struct build *b, const char *tree, ...) __attribute__((sentinel));
static int git(struct build *b, const char *tree, ...)
{
	va_list ap;
	size_t n = 0;
	char **argv;
	int rc;

	va_start(ap, tree);
	while (va_arg(ap, const char *))
		n++;
	va_end(ap);
	argv = xcalloc(n + 4, sizeof(*argv));
	argv[0] = "git";
	argv[1] = "-C";
	argv[2] = (char *)tree;
	va_start(ap, tree);
	for (size_t i = 0; i < n; i++)
		argv[3 + i] = va_arg(ap, char *);
	va_end(ap);
	rc = run_cmd(argv, b->log, NULL);
	free(argv);
	return rc == 0 ? 0 : -1;
}

/* A Debian tarball becomes a git repository once, so that resetting it
 * between series rewrites (and re-timestamps) only the files that differ. */
static int adopt_tree_as_git(struct build *b)
{
	const char *tree = b->src.tree;

	if (git(b, tree, "init", "-q", NULL) || git(b, tree, "add", "-A", "-f", ".", NULL) ||
	    git(b, tree, "-c", "user.name=mmrepro", "-c", "user.email=mmrepro@localhost", "commit", "-q", "-m",
		"pristine", NULL))
		return -1;
	return 0;
}

/* Unpacks the Debian tarball into a fresh tmp dir. */
static int unpack_deb_tarball(struct build *b, const char *tmp)
{
	if (remove_tree(tmp) < 0 || mkdir_p(tmp, 0755) < 0)
		return -1;
	return run_cmd((char *[]){ "tar", "-C", (char *)tmp, "--strip-components=1", "-xaf", b->src.tarball, NULL },
		       b->log, NULL) == 0 ? 0 : -1;
}

/* The one .deb apt-get download left in dir (its name escapes the
 * version), malloc'd, or NULL. */
static char *downloaded_deb(const char *dir)
{
	struct dirent **list;
	char *deb = NULL;
	int n = scandir(dir, &list, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		size_t len = strlen(list[i]->d_name);
		if (!deb && len > 4 && !strcmp(list[i]->d_name + len - 4, ".deb") &&
		    asprintf(&deb, "%s/%s", dir, list[i]->d_name) < 0)
			deb = NULL;
		free(list[i]);
	}
	if (n >= 0)
		free(list);
	return deb;
}

/* apt-get download PACKAGE=VERSION (apt checks it against the archive's
 * signed index), its tarball taken out with dpkg-deb -x, in a temp dir
 * renamed into place: a dir in debs/ is always whole. */
static int download_and_extract(struct build *b, const char *tmp)
{
	char arg[128], tarball[PATH_MAX * 2], *deb;
	int rc;

	snprintf(arg, sizeof(arg), "%s=%s", b->src.package, b->src.deb_version);
	if (remove_tree(tmp) < 0 || mkdir_p(tmp, 0755) < 0)
		return fail(b, EXIT_UNTESTABLE, "cannot create %s: %s", tmp, strerror(errno));
	fprintf(stderr, "mmrepro: downloading %s (apt-get download, log %s)\n", arg, b->log);
	if (run_cmd((char *[]){ "apt-get", "download", "-q", arg, NULL }, b->log, tmp) != 0 ||
	    !(deb = downloaded_deb(tmp)))
		return fail(b, EXIT_UNTESTABLE, "apt-get download %s failed (see %s)", arg, b->log);
	rc = run_cmd((char *[]){ "dpkg-deb", "-x", deb, (char *)tmp, NULL }, b->log, NULL);
	unlink(deb);
	free(deb);
	snprintf(tarball, sizeof(tarball), "%s/usr/src/%s.tar.xz", tmp, b->src.package);
	if (rc != 0 || !file_exists(tarball))
		return fail(b, EXIT_UNTESTABLE, "dpkg-deb -x of %s gave no usr/src/%s.tar.xz (see %s)", arg,
			    b->src.package, b->log);
	return 0;
}

static int fetch_pinned_tarball(struct build *b)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 32];
	int rc;

	if (file_exists(b->src.tarball))
		return 0;
	pinned_dir(b, b->src.deb_version, dir, sizeof(dir));
	xsnprintf(tmp, sizeof(tmp), "%s.tmp-%d", dir, (int)getpid());
	rc = download_and_extract(b, tmp);
	if (!rc && (remove_tree(dir) < 0 || rename(tmp, dir) < 0))
		rc = fail(b, EXIT_UNTESTABLE, "cannot move %s to %s: %s", tmp, dir, strerror(errno));
	if (rc)
		remove_tree(tmp);
	return rc;
}

static int prepare_deb_tree(struct build *b)
{
	char ready[PATH_MAX + 16], tmp[PATH_MAX + 16], *have;
	int rc;

	xsnprintf(ready, sizeof(ready), "%s.ready", b->src.tree);
	have = read_file(ready, NULL);
	if (have && !strcmp(have, b->src.deb_version)) {
		free(have);
		return 0;
	}
	free(have);
	if (b->src.pinned && (rc = fetch_pinned_tarball(b)))
		return rc;
	fprintf(stderr, "mmrepro: unpacking %s %s into %s\n", b->src.package, b->src.deb_version, b->src.tree);
	xsnprintf(tmp, sizeof(tmp), "%s.tmp", b->src.tree);
	if (unpack_deb_tarball(b, tmp) < 0)
		return fail(b, EXIT_UNTESTABLE, "cannot unpack %s (see %s)", b->src.tarball, b->log);
	if (remove_tree(b->src.tree) < 0 || rename(tmp, b->src.tree) < 0)
		return fail(b, EXIT_UNTESTABLE, "cannot move %s into place", tmp);
	if (adopt_tree_as_git(b) < 0)
		return fail(b, EXIT_UNTESTABLE, "cannot make %s a git repository (see %s)", b->src.tree, b->log);
	return write_file_atomic(ready, b->src.deb_version, strlen(b->src.deb_version)) < 0 ?
		fail(b, EXIT_UNTESTABLE, "cannot write %s", ready) : 0;
}

static int prepare_git_tree(struct build *b)
{
	const char *repo = b->src.repo;

	if (!file_exists(b->src.tree)) {
		char parent[PATH_MAX + 16];
		xsnprintf(parent, sizeof(parent), "%s/worktrees", b->cache);
		mkdir_p(parent, 0755);
		if (git(b, repo, "worktree", "add", "-f", "--detach", b->src.tree, b->src.rev, NULL))
			return fail(b, EXIT_UNTESTABLE, "git worktree add %s in %s failed (see %s)",
				    b->src.tree, repo, b->log);
	}
	return 0;
}

/* Back to the base commit: files a previous series touched get rewritten
 * with fresh mtimes, so make recompiles exactly what changed. */
static int reset_tree(struct build *b)
{
	if (b->src.mutable_tree)
		return 0;
	if (git(b, b->src.tree, "checkout", "-q", "-f", "--detach", b->src.rev[0] ? b->src.rev : "HEAD", NULL) ||
	    git(b, b->src.tree, "clean", "-q", "-fdx", NULL))
		return fail(b, EXIT_UNTESTABLE, "cannot reset %s (see %s)", b->src.tree, b->log);
	return 0;
}

static int apply_series(struct build *b)
{
	for (int i = 0; i < b->series.npatches; i++) {
		char msg[1024];
		if (series_apply_patch(b->src.tree, b->series.patches[i], b->log, msg, sizeof(msg)) < 0)
			return fail(b, EXIT_UNTESTABLE, "%s", msg);
	}
	return 0;
}

/* ---- config ------------------------------------------------------------- */

static void add_frag(struct build *b, const char *path)
{
	if (b->nfrags < BUILD_MAX_CONFIGS + 4)
		xsnprintf(b->frags[b->nfrags++], sizeof(b->frags[0]), "%s", path);
}

static int collect_fragments(struct build *b)
{
	char path[PATH_MAX];

	/* A base config (a syzbot report's) goes first, onto tinyconfig: the
	 * suite's fragments then override what the guest needs. */
	for (int i = 0; b->req->configs[i]; i++)
		if (!strncmp(b->req->configs[i], BUILD_BASE_PREFIX, strlen(BUILD_BASE_PREFIX))) {
			const char *base = b->req->configs[i] + strlen(BUILD_BASE_PREFIX);
			if (!file_exists(base))
				return fail(b, EXIT_USAGE, "base_config %s: no such file", base);
			add_frag(b, base);
			b->nbase++;
		}

	xsnprintf(path, sizeof(path), "%s/config/base.config", repo_root());
	add_frag(b, path);
	xsnprintf(path, sizeof(path), "%s/config/guest.config", repo_root());
	add_frag(b, path);
	/* Only versions with symbols of their own have a fragment; the version
	 * itself is always known here (detect_version). */
	xsnprintf(path, sizeof(path), "%s/config/guest-%s.config", repo_root(), b->src.version);
	if (file_exists(path))
		add_frag(b, path);
	if (arch_info(b->req->arch)->config) {
		xsnprintf(path, sizeof(path), "%s/config/%s", repo_root(), arch_info(b->req->arch)->config);
		add_frag(b, path);
	}
	/* Before the case's and --config fragments, so that those may still
	 * override a flavour's choice. */
	if (b->req->flavor && !flavor_find(b->req->flavor))
		return fail(b, EXIT_USAGE, "--flavor %s: expected one of %s", b->req->flavor, flavor_names());
	if (flavor_fragment_path(b->req->flavor, path, sizeof(path)))
		add_frag(b, path);
	for (int i = 0; b->req->configs[i]; i++) {
		if (!strncmp(b->req->configs[i], BUILD_BASE_PREFIX, strlen(BUILD_BASE_PREFIX)))
			continue;
		if (!file_exists(b->req->configs[i]))
			return fail(b, EXIT_USAGE, "--config %s: no such file", b->req->configs[i]);
		add_frag(b, b->req->configs[i]);
	}
	return 0;
}

static bool config_has_line(const char *config, const char *line, size_t len)
{
	for (const char *p = config; (p = strstr(p, line)); p += len)
		if ((p == config || p[-1] == '\n') && (p[len] == '\n' || p[len] == '\0'))
			return true;
	return false;
}

bool build_config_line_holds(const char *config, const char *line)
{
	char name[128], unset[160];
	const char *eq;
	size_t len = strlen(line);

	while (len && (line[len - 1] == ' ' || line[len - 1] == '\r'))
		len--;
	if (!len || (line[0] == '#' && strncmp(line, "# CONFIG_", 9)))
		return true;
	if (!strncmp(line, "# CONFIG_", 9)) {
		/* "# CONFIG_X is not set": absent from .config counts as not set. */
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(line + 2, " "), line + 2);
		snprintf(unset, sizeof(unset), "%s=", name);
		for (const char *p = config; (p = strstr(p, unset)); p++)
			if (p == config || p[-1] == '\n')
				return false;
		return true;
	}
	eq = memchr(line, '=', len);
	if (strncmp(line, "CONFIG_", 7) || !eq)
		return false;
	if (!strncmp(eq, "=n", len - (size_t)(eq - line)) && len - (size_t)(eq - line) == 2) {
		snprintf(unset, sizeof(unset), "# %.*s is not set", (int)(eq - line), line);
		char set[160];
		snprintf(set, sizeof(set), "%.*s=", (int)(eq - line), line);
		for (const char *p = config; (p = strstr(p, set)); p++)
			if (p == config || p[-1] == '\n')
				return false;
		return true;
	}
	{
		char want[512];
		snprintf(want, sizeof(want), "%.*s", (int)len, line);
		return config_has_line(config, want, strlen(want));
	}
}

/* The symbol a fragment line sets ("CONFIG_X=..." or "# CONFIG_X is not
 * set"), or "" for comments and blanks. */
static void fragment_symbol(const char *line, char *out, size_t len)
{
	const char *p = !strncmp(line, "# CONFIG_", 9) ? line + 2 : line;

	out[0] = '\0';
	if (!strncmp(p, "CONFIG_", 7))
		snprintf(out, len, "%.*s", (int)strcspn(p, "= \t"), p);
}

/* merge_config.sh lets a later fragment override an earlier one. */
static bool overridden_later(struct build *b, int frag, const char *symbol)
{
	char pattern[160], unset[160];

	snprintf(pattern, sizeof(pattern), "%s=", symbol);
	snprintf(unset, sizeof(unset), "# %s is not set", symbol);
	for (int i = frag + 1; i < b->nfrags; i++) {
		char *text = read_file(b->frags[i], NULL);
		bool found = false;
		for (char *line = text; line && *line && !found; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
			found = !strncmp(line, pattern, strlen(pattern)) || !strncmp(line, unset, strlen(unset));
		free(text);
		if (found)
			return true;
	}
	return false;
}

/* Every CONFIG_ line of every fragment (unless a later fragment overrides
 * it) must hold in the final .config. */
static int verify_config(struct build *b, const char *config_path)
{
	size_t len;
	char *cfg = read_file(config_path, &len);

	if (!cfg)
		return fail(b, EXIT_UNTESTABLE, "no .config at %s", config_path);
	for (int i = b->nbase; i < b->nfrags; i++) {
		char *frag = read_file(b->frags[i], NULL), *line, *next;
		int lineno = 0;
		if (!frag) {
			free(cfg);
			return fail(b, EXIT_USAGE, "%s: cannot read", b->frags[i]);
		}
		/* Blank lines count, so the error names the line an editor shows. */
		for (line = frag; *line; line = next) {
			char symbol[128];
			next = line + strcspn(line, "\n");
			if (*next)
				*next++ = '\0';
			lineno++;
			fragment_symbol(line, symbol, sizeof(symbol));
			if (build_config_line_holds(cfg, line) || (symbol[0] && overridden_later(b, i, symbol)))
				continue;
			int rc = fail(b, EXIT_UNTESTABLE, "%s:%d: '%s' did not stick after olddefconfig "
				      "(a dependency is missing or the symbol does not exist in this tree)",
				      b->frags[i], lineno, line);
			free(frag);
			free(cfg);
			return rc;
		}
		free(frag);
	}
	free(cfg);
	return 0;
}

static int kmake(struct build *b, const char *target, bool progress);

/* merge_config.sh -m -O . .config FRAGMENTS..., run in the object dir. */
static int merge_fragments(struct build *b)
{
	char script[PATH_MAX + 64];
	char **argv = xcalloc((size_t)b->nfrags + 7, sizeof(*argv));
	int n = 0, rc;

	xsnprintf(script, sizeof(script), "%s/scripts/kconfig/merge_config.sh", b->src.tree);
	argv[n++] = script;
	argv[n++] = "-m";
	argv[n++] = "-O";
	argv[n++] = ".";
	argv[n++] = ".config";
	for (int i = 0; i < b->nfrags; i++)
		argv[n++] = b->frags[i];
	rc = run_cmd(argv, b->log, b->src.obj);
	free(argv);
	return rc == 0 ? 0 : -1;
}

/* The merged config saved in an object dir, its stamp, and the .config
 * it becomes. */
struct template_files {
	char config[PATH_MAX + 32], stamp[PATH_MAX + 32], dot_config[PATH_MAX + 32];
};

static void template_files(struct build *b, struct template_files *t)
{
	xsnprintf(t->config, sizeof(t->config), "%s/.mmrepro-merged.config", b->src.obj);
	xsnprintf(t->stamp, sizeof(t->stamp), "%s/.mmrepro-merged.stamp", b->src.obj);
	xsnprintf(t->dot_config, sizeof(t->dot_config), "%s/.config", b->src.obj);
}

/* The merged config the last build of this object dir left, if it was made
 * from the same inputs: series rebuilds then skip tinyconfig and the merge
 * (about 10 s of a 30 s rebuild), and only olddefconfig runs. */
static bool reuse_template(struct build *b)
{
	struct template_files t;
	char *saved = NULL, *text = NULL;
	size_t len = 0;
	bool ok;

	template_files(b, &t);
	ok = b->config_stamp[0] && (saved = read_file(t.stamp, NULL)) && !strcmp(saved, b->config_stamp) &&
	     (text = read_file(t.config, &len)) && write_file_atomic(t.dot_config, text, len) == 0;
	free(saved);
	free(text);
	return ok;
}

static void save_template(struct build *b)
{
	struct template_files t;
	size_t len;
	char *text;

	template_files(b, &t);
	unlink(t.stamp);
	if (!b->config_stamp[0] || !(text = read_file(t.dot_config, &len)))
		return;
	/* The stamp last: a template without one is never used. */
	if (write_file_atomic(t.config, text, len) == 0)
		write_file_atomic(t.stamp, b->config_stamp, strlen(b->config_stamp));
	free(text);
}

static void build_log_note(struct build *b, const char *text)
{
	FILE *log = fopen(b->log, "a");

	if (log) {
		fputs(text, log);
		fclose(log);
	}
}

static int make_merged_config(struct build *b)
{
	int rc;

	if (reuse_template(b)) {
		build_log_note(b, "mmrepro: merged config reused from the last build of this object dir\n");
		return 0;
	}
	/* Ctrl-C during a config step is an interrupt (130), not a failed build. */
	if ((rc = kmake(b, "tinyconfig", false)))
		return rc == -2 ? fail(b, EXIT_INTERRUPTED, "build interrupted; partial log in %s", b->log) :
			fail(b, EXIT_UNTESTABLE, "make tinyconfig failed in %s (see %s)", b->src.tree, b->log);
	if (merge_fragments(b) < 0)
		return fail(b, EXIT_UNTESTABLE, "merge_config.sh failed (see %s)", b->log);
	save_template(b);
	return 0;
}

static int configure(struct build *b)
{
	char config[PATH_MAX + 16];
	int rc;

	if ((rc = make_merged_config(b)))
		return rc;
	if ((rc = kmake(b, "olddefconfig", false)))
		return rc == -2 ? fail(b, EXIT_INTERRUPTED, "build interrupted; partial log in %s", b->log) :
			fail(b, EXIT_UNTESTABLE, "make olddefconfig failed (see %s)", b->log);
	xsnprintf(config, sizeof(config), "%s/.config", b->src.obj);
	return verify_config(b, config);
}

/* ---- make with progress and Ctrl-C -------------------------------------- */

/* The *.o files under obj (any type, like find -name '*.o'). */
static long count_objects(const char *obj)
{
	char *roots[] = { (char *)obj, NULL };
	FTS *walk = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR | FTS_NOSTAT, NULL);
	FTSENT *e;
	long n = 0;

	if (!walk)
		return 0;
	while ((e = fts_read(walk))) {
		size_t len = strlen(e->fts_name);
		if (e->fts_info != FTS_DP && len >= 2 && !strcmp(e->fts_name + len - 2, ".o"))
			n++;
	}
	fts_close(walk);
	return n;
}

/* The estimate is only shown for a build from (nearly) nothing, where the
 * last full build's object count is what this one will compile too. */
static void show_progress(const char *phase, long done, long total, double start, bool cold)
{
	int secs = (int)(now_seconds() - start);
	int eta = cold && done >= 20 && done < total ? (int)((double)secs / (double)done * (double)(total - done)) : -1;

	if (total > 0 && done <= total && eta >= 0)
		fprintf(stderr, "\r[build] %-8s %3ld%% (%ld/%ld objects) %dm%02ds, about %dm%02ds left ", phase,
			done * 100 / total, done, total, secs / 60, secs % 60, eta / 60, eta % 60);
	else if (total > 0 && done <= total)
		fprintf(stderr, "\r[build] %-8s %3ld%% (%ld/%ld objects) %dm%02ds ", phase, done * 100 / total,
			done, total, secs / 60, secs % 60);
	else
		fprintf(stderr, "\r[build] %-8s %ld objects %dm%02ds ", phase, done, secs / 60, secs % 60);
}

/* What `command -v name` finds: an executable file in a $PATH directory
 * (an empty entry being the current one). */
static bool program_on_path(const char *name)
{
	const char *path = getenv("PATH"), *dir, *end;
	char full[PATH_MAX];
	struct stat st;

	for (dir = path ? path : "/usr/local/bin:/usr/bin:/bin"; dir; dir = *end ? end + 1 : NULL) {
		end = dir + strcspn(dir, ":");
		if (end == dir)
			snprintf(full, sizeof(full), "./%s", name);
		else if (snprintf(full, sizeof(full), "%.*s/%s", (int)(end - dir), dir, name) >= (int)sizeof(full))
			continue;
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
			return true;
	}
	return false;
}

static void child_exec_make(struct build *b, const char *target, int out_fd, pid_t runner)
{
	const struct arch_info *ai = arch_info(b->req->arch);
	char o[PATH_MAX + 4], jobs[16], cc[64], karch[32], cross[64];
	sigset_t none;

	setpgid(0, 0);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	dup2(out_fd, 1);
	dup2(out_fd, 2);
	snprintf(o, sizeof(o), "O=%s", b->src.obj);
	snprintf(jobs, sizeof(jobs), "-j%ld", sysconf(_SC_NPROCESSORS_ONLN));
	snprintf(cc, sizeof(cc), "CC=%s%s", program_on_path("ccache") ? "ccache " : "", ai->gcc);
	snprintf(karch, sizeof(karch), "ARCH=%s", ai->karch);
	snprintf(cross, sizeof(cross), "CROSS_COMPILE=%s", ai->cross);
	{
		char ccdir[PATH_MAX + 16];
		snprintf(ccdir, sizeof(ccdir), "%s/ccache", b->cache);
		setenv("CCACHE_DIR", ccdir, 0);
		setenv("CCACHE_BASEDIR", b->cache, 0);
		setenv("KBUILD_BUILD_TIMESTAMP", "mmrepro", 1);
		setenv("KBUILD_BUILD_USER", "mmrepro", 1);
		setenv("KBUILD_BUILD_HOST", "mmrepro", 1);
	}
	char *argv[] = { "make", "-C", b->src.tree, o, jobs, cc, karch, cross, (char *)target, NULL };
	/* A runner killed mid-build takes make and its compilers with it. */
	exec_supervised(argv, runner);
}

static bool interrupted(int sfd)
{
	struct signalfd_siginfo si;

	return sfd >= 0 && read(sfd, &si, sizeof(si)) == sizeof(si);
}

static long objects_in(const char *obj_dir)
{
	char path[PATH_MAX + 32], *prev;
	long n;

	xsnprintf(path, sizeof(path), "%s/.mmrepro-objects", obj_dir);
	prev = read_file(path, NULL);
	n = prev ? atol(prev) : 0;
	free(prev);
	return n;
}

/* The object count of the last full build of this base: the progress
 * line's estimate of the total. A base never built before borrows the
 * largest count of the others (the guest config is the same). */
static long previous_objects(struct build *b)
{
	char dir[PATH_MAX + 8], path[PATH_MAX * 2];
	struct dirent *e;
	DIR *d;
	long n = objects_in(b->src.obj);

	xsnprintf(dir, sizeof(dir), "%s/obj", b->cache);
	for (d = n ? NULL : opendir(dir); d && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		long other = objects_in(path);
		n = other > n ? other : n;
	}
	if (d)
		closedir(d);
	return n;
}

static int kmake(struct build *b, const char *target, bool progress)
{
	int pipefd[2], status = 0;
	FILE *log = fopen(b->log, "a"), *in;
	long total = previous_objects(b), done = 0;
	bool cold = progress && total > 0 && count_objects(b->src.obj) < total / 2;
	double start = now_seconds();
	char line[4096];
	pid_t pid, runner = getpid();

	if (!log || pipe2(pipefd, O_CLOEXEC) < 0) {
		if (log)
			fclose(log);
		return -1;
	}
	pid = fork();
	if (pid == 0)
		child_exec_make(b, target, pipefd[1], runner);
	close(pipefd[1]);
	in = fdopen(pipefd[0], "r");
	while (fgets(line, sizeof(line), in)) {
		fputs(line, log);
		if (!strncmp(line, "  CC ", 5) || !strncmp(line, "  AS ", 5)) {
			done++;
			if (progress)
				show_progress(target, done, total, start, cold);
		}
		if (interrupted(b->req->signal_fd)) {
			kill(-pid, SIGTERM);
			waitpid(pid, &status, 0);
			fclose(in);
			fclose(log);
			return -2;
		}
	}
	fclose(in);
	fclose(log);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (progress)
		fprintf(stderr, "\r[build] %s: %ld objects compiled in %.0fs%20s\n", target, done,
			now_seconds() - start, "");
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* ---- cache key and outputs ---------------------------------------------- */

void build_cache_key(const char *source, const char *compiler, const char *const *patches,
		     const char *const *fragments, char out[25])
{
	char *text = NULL, hex[65];
	size_t len;
	FILE *f = open_memstream(&text, &len);

	fprintf(f, "source %s\ncompiler %s\n", source, compiler);
	for (int i = 0; patches && patches[i]; i++)
		fprintf(f, "patch\n%s\n", patches[i]);
	for (int i = 0; fragments && fragments[i]; i++)
		fprintf(f, "fragment\n%s\n", fragments[i]);
	fclose(f);
	sha256_hex(text, len, hex);
	free(text);
	snprintf(out, 25, "%.24s", hex);
}

/* The object dir of a base, per flavour and per set of extra fragments
 * (a case's or a variant's config, --config; extra holds their texts, NULL
 * at the end): sharing one dir between configs would recompile everything
 * on every switch, since ccache misses once autoconf.h changes. The extra
 * fragments are named by a hash of their contents. */
static void choose_obj_dir(struct build *b, const char *const *extra)
{
	char tag[25] = "";

	if (extra[0])
		build_cache_key("extra fragments", "", NULL, extra, tag);
	bool native = b->req->arch == ARCH_X86_64;

	xsnprintf(b->src.obj, sizeof(b->src.obj), "%s/obj/%s%s%s%s%s%s%.10s", b->cache, b->src.base,
		  native ? "" : "+", native ? "" : arch_info(b->req->arch)->name,
		  flavor_changes_kernel(b->req->flavor) ? "+" : "",
		  flavor_changes_kernel(b->req->flavor) ? b->req->flavor : "", tag[0] ? "+cfg-" : "", tag);
}

/* What the merged config (tinyconfig plus the fragments, before
 * olddefconfig) depends on: the tree, the arch and the fragments' texts,
 * from the texts the key was made of. Empty when it cannot be reused: a
 * dir: tree changes under us, and a series that patches Kconfig may change
 * what tinyconfig gives. */
static void config_stamp(struct build *b, const char *const *patches, const char *const *frags)
{
	b->config_stamp[0] = '\0';
	if (b->src.mutable_tree)
		return;
	for (int i = 0; patches[i]; i++)
		if (series_text_touches_kconfig(patches[i]))
			return;
	build_cache_key(b->src.identity, arch_info(b->req->arch)->name, NULL, frags, b->config_stamp);
}

/* The key hashes contents, not paths: the same series copied elsewhere
 * hits the same cache entry. The object dir comes from the same texts. */
static int compute_key(struct build *b)
{
	char *patches[SERIES_MAX_PATCHES + 1] = { 0 }, *frags[BUILD_MAX_CONFIGS + 5] = { 0 };
	char *gcc = capture_argv((char *[]){ (char *)arch_info(b->req->arch)->gcc, "--version", NULL }, NULL);
	int rc = 0;

	/* Only the first line (what `gcc --version | head -1` gave), with the
	 * same trailing-blank trim, so existing cache keys stay valid. */
	if (gcc) {
		size_t n = strcspn(gcc, "\n");
		while (n > 0 && (gcc[n - 1] == ' ' || gcc[n - 1] == '\n'))
			n--;
		gcc[n] = '\0';
	}

	for (int i = 0; i < b->series.npatches && !rc; i++)
		if (!(patches[i] = read_file(b->series.patches[i], NULL)))
			rc = fail(b, EXIT_USAGE, "%s: cannot read", b->series.patches[i]);
	for (int i = 0; i < b->nfrags && !rc; i++)
		if (!(frags[i] = read_file(b->frags[i], NULL)))
			rc = fail(b, EXIT_USAGE, "%s: cannot read", b->frags[i]);
	if (!rc) {
		int nextra = 0;
		const char *extra[BUILD_MAX_CONFIGS + 1] = { 0 };
		while (b->req->configs[nextra])
			nextra++;
		/* The object dir is named by the extra texts: base ones first. */
		for (int i = 0; i < b->nbase; i++)
			extra[i] = frags[i];
		for (int i = b->nbase; i < nextra; i++)
			extra[i] = frags[b->nfrags - nextra + i];
		/* x86_64 keys stay what they were before other arches. */
		if (b->req->arch != ARCH_X86_64)
			snprintf(b->src.identity + strlen(b->src.identity), sizeof(b->src.identity) - strlen(b->src.identity),
				 "\narch %s", arch_info(b->req->arch)->name);
		build_cache_key(b->src.identity, gcc ? gcc : "?", (const char *const *)patches,
				(const char *const *)frags, b->key);
		config_stamp(b, (const char *const *)patches, (const char *const *)frags);
		xsnprintf(b->out, sizeof(b->out), "%s/kernels/%s", b->cache, b->key);
		/* collect_fragments adds the extra ones last. */
		choose_obj_dir(b, extra);
	}
	for (int i = 0; patches[i]; i++)
		free(patches[i]);
	for (int i = 0; frags[i]; i++)
		free(frags[i]);
	free(gcc);
	return rc;
}

static void fill_kernel(struct build *b, struct kernel *k)
{
	memset(k, 0, sizeof(*k));
	/* A pin names its exact version wherever the spec is recorded
	 * (result.json's "kernel"): src:deb-6.12=6.12.117 may map to another
	 * Debian revision once the archive has one. */
	if (b->src.pinned)
		xsnprintf(k->spec, sizeof(k->spec), "src:deb-%s=%s", b->src.version, b->src.deb_version);
	else
		xsnprintf(k->spec, sizeof(k->spec), "%s", b->req->spec);
	xsnprintf(k->kind, sizeof(k->kind), "%.3s", b->req->spec);
	xsnprintf(k->image, sizeof(k->image), "%s/%s", b->out, arch_info(b->req->arch)->image_name);
	k->arch = b->req->arch;
	xsnprintf(k->vmlinux, sizeof(k->vmlinux), "%s/vmlinux", b->out);
	xsnprintf(k->config, sizeof(k->config), "%s/config", b->out);
	xsnprintf(k->series, sizeof(k->series), "%s", b->req->series ? b->req->series : "");
	xsnprintf(k->build_key, sizeof(k->build_key), "%s", b->key);
	xsnprintf(k->flavor, sizeof(k->flavor), "%s", flavor_find(b->req->flavor)->name);
	snprintf(k->source_version, sizeof(k->source_version), "%s",
		 b->src.deb_version[0] ? b->src.deb_version : b->src.rev);
	kernel_image_release(k->image, k->release, sizeof(k->release));
	kernel_choose_boot_image(k);
}

static int copy_file(const char *src, const char *dst)
{
	char *argv[] = { "cp", "-f", (char *)src, (char *)dst, NULL };
	return run_cmd(argv, NULL, NULL) == 0 ? 0 : -1;
}

/* ---- the cache: digests, last use ---------------------------------------- */

/* What a cached kernel is made of; meta.json keeps the SHA-256 of each. */
#define NOUTPUTS 3

/* A cached kernel's files: its boot image (an arm64 Image where there is
 * one, else a bzImage), vmlinux and config. */
static void cache_outputs_of(const char *dir, const char *out[NOUTPUTS])
{
	char path[PATH_MAX + 16];
	struct stat st;

	xsnprintf(path, sizeof(path), "%s/%s", dir, arch_info(ARCH_ARM64)->image_name);
	out[0] = lstat(path, &st) == 0 ? arch_info(ARCH_ARM64)->image_name : arch_info(ARCH_X86_64)->image_name;
	out[1] = "vmlinux";
	out[2] = "config";
}

/* SHA-256 of a regular file, read in pieces (a vmlinux is tens of MB).
 * 0, or -1 with errno. */
static int file_sha256(const char *path, char out[65])
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), err = 0;
	size_t bufsz = 1 << 20;
	unsigned char md[EVP_MAX_MD_SIZE], *buf;
	unsigned n = 0;
	struct stat st;
	EVP_MD_CTX *ctx;
	ssize_t got;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	buf = xcalloc(1, bufsz);
	ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while ((got = read(fd, buf, bufsz)) != 0) {
		if (got < 0 && errno != EINTR) {
			err = errno;
			break;
		}
		if (got > 0)
			EVP_DigestUpdate(ctx, buf, (size_t)got);
	}
	EVP_DigestFinal_ex(ctx, md, &n);
	EVP_MD_CTX_free(ctx);
	free(buf);
	close(fd);
	for (unsigned i = 0; i < 32 && i < n; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
	errno = err;
	return err ? -1 : 0;
}

/* The SHA-256 of each output in dir as a JSON object, or NULL with the
 * file and reason in err. */
static struct json_object *output_digests(const char *dir, char *err, size_t errlen)
{
	struct json_object *sums = json_object_new_object();
	char path[PATH_MAX + 16], hex[65];
	const char *cache_outputs[NOUTPUTS];

	cache_outputs_of(dir, cache_outputs);
	for (size_t i = 0; i < NOUTPUTS; i++) {
		xsnprintf(path, sizeof(path), "%s/%s", dir, cache_outputs[i]);
		if (file_sha256(path, hex) < 0) {
			snprintf(err, errlen, "cannot hash %s: %s", path, strerror(errno));
			json_object_put(sums);
			return NULL;
		}
		json_object_object_add(sums, cache_outputs[i], json_object_new_string(hex));
	}
	return sums;
}

static int write_json(struct json_object *o, const char *path)
{
	int flags = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE;
	const char *text = json_object_to_json_string_ext(o, flags);
	char *nl;
	int rc;

	if (asprintf(&nl, "%s\n", text) < 0)
		return -ENOMEM;
	rc = write_file_atomic(path, nl, strlen(nl));
	free(nl);
	return rc;
}

static int write_meta(struct build *b, const char *dir, double seconds)
{
	struct json_object *o = json_object_new_object(), *sums;
	char path[PATH_MAX + 16], secs[32];
	int rc;

	json_object_object_add(o, "spec", json_object_new_string(b->req->spec));
	json_object_object_add(o, "series", json_object_new_string(b->req->series ? b->req->series : ""));
	json_object_object_add(o, "base", json_object_new_string(b->src.base));
	json_object_object_add(o, "source", json_object_new_string(b->src.identity));
	json_object_object_add(o, "key", json_object_new_string(b->key));
	snprintf(secs, sizeof(secs), "%.1f", seconds);
	json_object_object_add(o, "build_seconds", json_object_new_double_s(seconds, secs));
	json_object_object_add(o, "built_at", json_object_new_int64(time(NULL)));
	json_object_object_add(o, "patches", json_object_new_int(b->series.npatches));
	if (!(sums = output_digests(dir, b->err, b->errlen))) {
		json_object_put(o);
		return EXIT_UNTESTABLE;
	}
	json_object_object_add(o, "sha256", sums);
	xsnprintf(path, sizeof(path), "%s/meta.json", dir);
	rc = write_json(o, path);
	json_object_put(o);
	return rc < 0 ? fail(b, EXIT_UNTESTABLE, "cannot write %s: %s", path, strerror(-rc)) : 0;
}

/* `cache gc` judges a kernel's age by this file's mtime: booting a kernel
 * does not move its dir's atime. A cache that cannot be written still
 * serves, with a warning. */
static void stamp_used(const char *dir)
{
	char path[PATH_MAX + 16];
	int fd;

	xsnprintf(path, sizeof(path), "%s/last-used", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
	if (fd < 0 || futimens(fd, NULL) < 0)
		fprintf(stderr, "mmrepro: cannot stamp %s: %s (cache gc may take the kernel for unused)\n", path,
			strerror(errno));
	if (fd >= 0)
		close(fd);
}

static int fill_outputs(struct build *b, const char *tmp, double seconds)
{
	const struct arch_info *ai = arch_info(b->req->arch);
	const char *const files[][2] = {
		{ ai->image_path, ai->image_name }, { "vmlinux", "vmlinux" }, { ".config", "config" },
	};
	char src[PATH_MAX * 2], dst[PATH_MAX * 2];
	int rc;

	if (remove_tree(tmp) < 0 || mkdir_p(tmp, 0755) < 0)
		return fail(b, EXIT_UNTESTABLE, "cannot create %s: %s", tmp, strerror(errno));
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(src, sizeof(src), "%s/%s", b->src.obj, files[i][0]);
		snprintf(dst, sizeof(dst), "%s/%s", tmp, files[i][1]);
		if (copy_file(src, dst) < 0)
			return fail(b, EXIT_UNTESTABLE, "build produced no %s, or it cannot be copied to %s", src, dst);
	}
	snprintf(dst, sizeof(dst), "%s/build.log", tmp);
	copy_file(b->log, dst);
	if ((rc = write_meta(b, tmp, seconds)))
		return rc;
	stamp_used(tmp);
	return 0;
}

/* Outputs go to a temp dir renamed into place, so a crashed build never
 * leaves a directory that looks complete. */
static int store_outputs(struct build *b, double seconds)
{
	char tmp[PATH_MAX + 32], cnt[PATH_MAX + 32], num[32];
	int rc;

	xsnprintf(tmp, sizeof(tmp), "%s.tmp-%d", b->out, (int)getpid());
	rc = fill_outputs(b, tmp, seconds);
	/* find_or_build removed any earlier dir of this key, under the lock. */
	if (!rc && rename(tmp, b->out) < 0)
		rc = fail(b, EXIT_UNTESTABLE, "cannot move %s to %s: %s", tmp, b->out, strerror(errno));
	if (rc) {
		remove_tree(tmp);
		return rc;
	}
	xsnprintf(cnt, sizeof(cnt), "%s/.mmrepro-objects", b->src.obj);
	snprintf(num, sizeof(num), "%ld\n", count_objects(b->src.obj));
	write_file_atomic(cnt, num, strlen(num));
	return 0;
}

/* Where the last `lines` lines of text start (tail -n: a final newline
 * ends the last line rather than starting an empty one). */
static const char *last_lines(const char *text, size_t len, int lines)
{
	const char *p = text + len;

	if (p > text && p[-1] == '\n')
		p--;
	while (p > text) {
		if (p[-1] == '\n' && --lines == 0)
			break;
		p--;
	}
	return p;
}

static void print_log_tail(const char *log)
{
	size_t len;
	char *text = read_file(log, &len);

	fprintf(stderr, "---- last lines of %s ----\n", log);
	if (text)
		fputs(last_lines(text, len, 25), stderr);
	free(text);
}

/* A build that died mid-way (SIGKILL, power loss) may have left half-written
 * objects with fresh mtimes that make would take as up to date. Everything
 * in the object dir written after that build began goes; make redoes it. */
static void forget_dead_build(struct build *b, const char *marker)
{
	char *roots[] = { b->src.obj, NULL };
	struct stat since;
	FTS *walk;
	FTSENT *e;
	long n = 0;

	if (stat(marker, &since) < 0 || !(walk = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR, NULL)))
		return;
	while ((e = fts_read(walk)))
		if (e->fts_info == FTS_F && e->fts_statp->st_mtim.tv_sec >= since.st_mtim.tv_sec &&
		    strcmp(e->fts_path, marker) && unlink(e->fts_path) == 0)
			n++;
	fts_close(walk);
	fprintf(stderr, "mmrepro: an earlier build in %s died mid-way; removed the %ld files it wrote\n",
		b->src.obj, n);
}

static int build_locked_marked(struct build *b);
static int prepare_tree(struct build *b);

static int build_locked(struct build *b)
{
	char marker[PATH_MAX + 32];
	int rc;

	xsnprintf(marker, sizeof(marker), "%s/.mmrepro-building", b->src.obj);
	if (file_exists(marker))
		forget_dead_build(b, marker);
	write_file_atomic(marker, b->key, strlen(b->key));
	rc = build_locked_marked(b);
	/* Only a build that ended by itself leaves an object dir to trust. */
	if (rc != EXIT_INTERRUPTED)
		unlink(marker);
	return rc;
}

static int build_locked_marked(struct build *b)
{
	double start = now_seconds();
	int rc;

	rc = prepare_tree(b);
	if (!rc)
		rc = configure(b);
	if (rc)
		return rc;
	rc = kmake(b, arch_info(b->req->arch)->image_target, b->req->progress);
	if (rc == -2)
		return fail(b, EXIT_INTERRUPTED, "build interrupted; partial log in %s", b->log);
	if (rc) {
		print_log_tail(b->log);
		return fail(b, EXIT_UNTESTABLE, "kernel build failed for %s%s%s (log: %s)", b->req->spec,
			    b->req->series ? " + " : "", b->req->series ? b->req->series : "", b->log);
	}
	return store_outputs(b, now_seconds() - start);
}

/* The number of a "NAME = 6" line of a Makefile, or -1. */
static int makefile_number(const char *text, const char *name)
{
	size_t n = strlen(name);

	for (const char *line = text; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		const char *p = line + n;
		long v;
		if (strncmp(line, name, n))
			continue;
		p += strspn(p, " \t");
		if (*p != '=')
			continue;
		p += 1 + strspn(p + 1, " \t");
		if (*p < '0' || *p > '9')
			return -1;
		v = strtol(p, NULL, 10);
		return v > 9999 ? -1 : (int)v;
	}
	return -1;
}

bool build_makefile_version(const char *makefile, char *out, size_t len)
{
	int version = makefile_number(makefile, "VERSION"), patchlevel = makefile_number(makefile, "PATCHLEVEL");

	if (version < 0 || patchlevel < 0)
		return false;
	snprintf(out, len, "%d.%d", version, patchlevel);
	return true;
}

/* The top Makefile of the source. For git: it is read from the commit, not
 * the worktree: the worktree may not exist yet, or still hold the last
 * revision built, and the version must not depend on which. */
static char *source_makefile(struct build *b)
{
	char path[PATH_MAX + 16], *object, *text;

	if (!b->src.repo[0]) {
		xsnprintf(path, sizeof(path), "%s/Makefile", b->src.tree);
		return read_file(path, NULL);
	}
	if (asprintf(&object, "%s:Makefile", b->src.rev) < 0)
		return NULL;
	/* cat-file, not show: plumbing runs no textconv filter the repository
	 * may configure. */
	text = capture_argv((char *[]){ "git", "-C", b->src.repo, "cat-file", "blob", object, NULL }, NULL);
	free(object);
	return text;
}

/* The version picks config/guest-<version>.config, which is part of the
 * key: a spec whose version is unknown would be configured (and keyed)
 * differently from the same spec once it is known. */
static int detect_version(struct build *b)
{
	char *mk;
	bool ok;

	if (b->src.version[0])
		return 0;
	mk = source_makefile(b);
	ok = mk && build_makefile_version(mk, b->src.version, sizeof(b->src.version));
	free(mk);
	if (!ok)
		return fail(b, EXIT_USAGE, "--kernel %s: not a kernel tree: no VERSION and PATCHLEVEL in %s", b->req->spec,
			    b->src.repo[0] ? "the commit's top Makefile" : "its top Makefile");
	return 0;
}

/* Everything a cache lookup needs (source, version, fragments, key), in
 * this order, with nothing written yet. The series is loaded first: a bad
 * one is a usage error, reported before any source is looked up, let alone
 * unpacked. */
static int plan_build(struct build *b)
{
	int rc;

	build_cache_dir(b->cache, sizeof(b->cache));
	if (b->req->series && series_load(b->req->series, &b->series, b->err, b->errlen) < 0)
		return EXIT_USAGE;
	if ((rc = resolve_source(b)) || (rc = detect_version(b)) || (rc = collect_fragments(b)))
		return rc;
	return compute_key(b);
}

static int refuse(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* meta.json of a kernel dir, parsed; NULL with errno when it is missing,
 * unreadable or no JSON object. */
static struct json_object *read_meta(const char *dir)
{
	char path[PATH_MAX + 16];

	xsnprintf(path, sizeof(path), "%s/meta.json", dir);
	return jread_object(path, 1 << 20);
}

/* An output is a regular file (never a link to something else). */
static int stat_output(const char *path, struct stat *st, char *err, size_t errlen)
{
	if (lstat(path, st) < 0)
		return refuse(err, errlen, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st->st_mode))
		return refuse(err, errlen, "%s: not a regular file", path);
	return 0;
}

static int check_digests(const char *dir, struct json_object *sums, char *err, size_t errlen)
{
	const char *cache_outputs[NOUTPUTS];

	cache_outputs_of(dir, cache_outputs);
	for (size_t i = 0; i < NOUTPUTS; i++) {
		char path[PATH_MAX + 16], hex[65];
		const char *want;
		struct stat st;
		xsnprintf(path, sizeof(path), "%s/%s", dir, cache_outputs[i]);
		if (stat_output(path, &st, err, errlen) < 0)
			return -1;
		if (!(want = jstring(sums, cache_outputs[i])))
			return refuse(err, errlen, "%s/meta.json: no sha256 of %s", dir, cache_outputs[i]);
		if (file_sha256(path, hex) < 0)
			return refuse(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		if (strcmp(hex, want))
			return refuse(err, errlen, "%s: changed on disk since it was built (its SHA-256 is not the one "
				      "in meta.json)", path);
	}
	return 0;
}

static bool output_whole(const char *name, const char *path, const struct stat *st)
{
	if (!strcmp(name, "bzImage"))
		return kernel_bzimage_is_whole(path);
	if (!strcmp(name, "Image"))
		return kernel_arm64_image_is_whole(path);
	if (!strcmp(name, "vmlinux"))
		return kernel_elf_is_whole(path);
	return st->st_size > 0;
}

/* A meta.json from before digests (an older mmrepro): trusted once, then
 * checked like any other. Rebuilding every such kernel instead would cost
 * minutes each (a cold build is half an hour on 2 cores), and could not
 * happen at all in a cache copied without its sources; the older builds,
 * too, moved their outputs into place whole. Each image must be whole by
 * its own headers, which catches the damage a full disk or a cut copy
 * does (a truncated or missing file); a byte changed before this first
 * check is the one case missed. */
static int adopt_undigested(const char *dir, struct json_object *meta, char *err, size_t errlen)
{
	struct json_object *sums;
	char path[PATH_MAX + 16];
	struct stat st;
	const char *cache_outputs[NOUTPUTS];
	int rc;

	cache_outputs_of(dir, cache_outputs);
	for (size_t i = 0; i < NOUTPUTS; i++) {
		xsnprintf(path, sizeof(path), "%s/%s", dir, cache_outputs[i]);
		if (stat_output(path, &st, err, errlen) < 0)
			return -1;
		if (!output_whole(cache_outputs[i], path, &st))
			return refuse(err, errlen, "%s: truncated, or no kernel %s (its meta.json, from an older mmrepro, "
				      "has no digest to check it against)", path, cache_outputs[i]);
	}
	if (!(sums = output_digests(dir, err, errlen)))
		return -1;
	json_object_object_add(meta, "sha256", sums);
	json_object_object_add(meta, "sha256_recorded_at", json_object_new_int64(time(NULL)));
	xsnprintf(path, sizeof(path), "%s/meta.json", dir);
	if ((rc = write_json(meta, path)) < 0)
		fprintf(stderr, "mmrepro: cannot record digests in %s: %s\n", path, strerror(-rc));
	else
		fprintf(stderr, "mmrepro: recorded the SHA-256 of %s's outputs (built by an older mmrepro)\n", dir);
	return 0;
}

int build_cache_verify(const char *dir, char *err, size_t errlen)
{
	struct json_object *meta = read_meta(dir), *sums = NULL;
	bool has;
	int rc;

	if (!meta)
		return refuse(err, errlen, "%s/meta.json: %s", dir, errno == EINVAL ? "not a JSON object" : strerror(errno));
	has = json_object_object_get_ex(meta, "sha256", &sums);
	if (has && json_object_is_type(sums, json_type_object))
		rc = check_digests(dir, sums, err, errlen);
	else if (has)
		rc = refuse(err, errlen, "%s/meta.json: \"sha256\" is not an object", dir);
	else
		rc = adopt_undigested(dir, meta, err, errlen);
	json_object_put(meta);
	return rc;
}

enum cache_state { CACHE_MISS, CACHE_HIT, CACHE_DAMAGED };

/* A dir without meta.json never looked complete (builds rename theirs in
 * whole): a miss. Anything else must check out. */
static enum cache_state cache_lookup(struct build *b, char *why, size_t len)
{
	char meta[PATH_MAX + 16];
	struct stat st;

	xsnprintf(meta, sizeof(meta), "%s/meta.json", b->out);
	if (b->src.mutable_tree || lstat(meta, &st) < 0)
		return CACHE_MISS;
	return build_cache_verify(b->out, why, len) == 0 ? CACHE_HIT : CACHE_DAMAGED;
}

static int use_cached(struct build *b, struct kernel *k)
{
	stamp_used(b->out);
	fill_kernel(b, k);
	return 0;
}

/* Under the lock: a damaged or incomplete dir of the key goes before the
 * build renames its own into place. */
static int build_in_place_of(struct build *b)
{
	struct stat st;

	if (lstat(b->out, &st) == 0 && remove_tree(b->out) < 0)
		return fail(b, EXIT_UNTESTABLE, "cannot remove %s: %s", b->out, strerror(errno));
	return build_locked(b);
}

/* The cache lookup and, on a miss, the build under the base's lock. A
 * damaged kernel is never used: it is rebuilt where its object dir makes
 * that cheap, else refused naming the file. */
static int find_or_build(struct build *b, struct kernel *k)
{
	const struct build_request *req = b->req;
	char logdir[PATH_MAX + 16], why[PATH_MAX + 256];
	enum cache_state state = cache_lookup(b, why, sizeof(why));
	int rc, lock;

	if (state == CACHE_HIT)
		return use_cached(b, k);
	if (state == CACHE_DAMAGED && !file_exists(b->src.obj))
		return fail(b, EXIT_UNTESTABLE, "%s; not using it, and this cache has no object dir %s to rebuild it "
			    "from: remove %s to rebuild it from scratch", why, b->src.obj, b->out);
	if (state == CACHE_DAMAGED)
		fprintf(stderr, "mmrepro: %s; not using it: rebuilding\n", why);
	if (!program_on_path(arch_info(req->arch)->gcc))
		return fail(b, EXIT_UNTESTABLE, "cannot build %s for %s: no %s on PATH (./run.sh setup installs it)",
			    req->spec, arch_info(req->arch)->name, arch_info(req->arch)->gcc);
	xsnprintf(logdir, sizeof(logdir), "%s/logs", b->cache);
	mkdir_p(logdir, 0755);
	mkdir_p(b->src.obj, 0755);
	xsnprintf(b->log, sizeof(b->log), "%s/%s-%d.log", logdir, b->key, (int)getpid());
	fprintf(stderr, "mmrepro: building %s%s%s (key %s, log %s)\n", req->spec, req->series ? " + " : "",
		req->series ? req->series : "", b->key, b->log);
	if ((lock = lock_base(b)) < 0)
		return EXIT_UNTESTABLE;
	/* Another process may have built (or rebuilt) the same key while we waited. */
	rc = cache_lookup(b, why, sizeof(why)) == CACHE_HIT ? 0 : build_in_place_of(b);
	close(lock);
	if (!rc)
		use_cached(b, k);
	return rc;
}

int build_plan(const struct build_request *req, struct build_plan *plan, char *err, size_t errlen)
{
	struct build b = { .req = req, .err = err, .errlen = errlen };
	int rc = plan_build(&b);

	series_free(&b.series);
	memset(plan, 0, sizeof(*plan));
	if (rc)
		return rc;
	snprintf(plan->version, sizeof(plan->version), "%s", b.src.version);
	snprintf(plan->tree, sizeof(plan->tree), "%s", b.src.tree);
	for (int i = 0; i < b.nfrags; i++)
		snprintf(plan->fragments[i], sizeof(plan->fragments[i]), "%s", b.frags[i]);
	plan->nfragments = b.nfrags;
	snprintf(plan->key, sizeof(plan->key), "%s", b.key);
	snprintf(plan->obj, sizeof(plan->obj), "%s", b.src.obj);
	return 0;
}

bool build_plan_cached(const struct build_plan *plan)
{
	char cache[PATH_MAX], meta[PATH_MAX + 64];

	build_cache_dir(cache, sizeof(cache));
	xsnprintf(meta, sizeof(meta), "%s/kernels/%s/meta.json", cache, plan->key);
	return plan->key[0] && file_exists(meta);
}

/* The tree as build_locked_marked leaves it before configuring. */
static int prepare_tree(struct build *b)
{
	enum kernel_kind kind = kernel_spec_parse(b->req->spec).kind;
	int rc = 0;

	if (kind == KERNEL_SRC)
		rc = prepare_deb_tree(b);
	else if (kind == KERNEL_GIT)
		rc = prepare_git_tree(b);
	if (!rc)
		rc = reset_tree(b);
	if (!rc)
		rc = apply_series(b);
	return rc;
}

int build_in_tree(const struct build_request *req, build_tree_fn fn, void *arg, char *err, size_t errlen)
{
	struct build b = { .req = req, .err = err, .errlen = errlen };
	char logdir[PATH_MAX + 16];
	int rc = plan_build(&b), lock;

	if (rc) {
		series_free(&b.series);
		return rc;
	}
	xsnprintf(logdir, sizeof(logdir), "%s/logs", b.cache);
	mkdir_p(logdir, 0755);
	mkdir_p(b.src.obj, 0755);
	xsnprintf(b.log, sizeof(b.log), "%s/%s-tree-%d.log", logdir, b.key, (int)getpid());
	if ((lock = lock_base(&b)) < 0)
		rc = EXIT_UNTESTABLE;
	else if (!(rc = prepare_tree(&b)))
		rc = fn(b.src.tree, b.src.obj, b.log, arg);
	if (lock >= 0)
		close(lock);
	series_free(&b.series);
	return rc;
}

static int tree_ready(const char *tree, const char *obj, const char *log, void *arg)
{
	(void)tree, (void)obj, (void)log, (void)arg;
	return 0;
}

int build_check_series(const char *spec, const char *series, char *err, size_t errlen)
{
	struct build_request req = { .spec = spec, .series = series, .signal_fd = -1 };

	return build_in_tree(&req, tree_ready, NULL, err, errlen);
}

int build_kernel(const struct build_request *req, struct kernel *k, char *err, size_t errlen)
{
	struct build b = { .req = req, .err = err, .errlen = errlen };
	int rc = plan_build(&b);

	if (!rc)
		rc = find_or_build(&b, k);
	series_free(&b.series);
	return rc;
}

int kernel_get(const char *spec, const char *series, const char *const *configs, const char *flavor,
	       enum arch arch, int signal_fd, bool progress, struct kernel *k, char *err, size_t errlen)
{
	struct build_request req = { .spec = spec, .series = series, .signal_fd = signal_fd,
				     .progress = progress, .flavor = flavor, .arch = arch };
	int n = 0;

	if (!kernel_spec_needs_build(spec)) {
		if (series) {
			snprintf(err, errlen, "--series needs a source kernel (src:, git:, dir:), not %s", spec);
			return EXIT_USAGE;
		}
		if (arch != ARCH_X86_64) {
			snprintf(err, errlen, "--arch %s needs a source kernel (src:, git:, dir:): %s is an x86_64 kernel",
				 arch_info(arch)->name, spec);
			return EXIT_USAGE;
		}
		if (flavor_changes_kernel(flavor)) {
			snprintf(err, errlen, "--flavor %s needs a source kernel (src:, git:, dir:), not %s", flavor, spec);
			return EXIT_USAGE;
		}
		return kernel_resolve_prebuilt(spec, k, err, errlen);
	}
	for (; configs && configs[n]; n++) {
		if (n >= BUILD_MAX_CONFIGS - 1) {
			snprintf(err, errlen, "more than %d config fragments", BUILD_MAX_CONFIGS - 1);
			return EXIT_USAGE;
		}
		req.configs[n] = configs[n];
	}
	return build_kernel(&req, k, err, errlen);
}

/* ---- cache ls / gc ------------------------------------------------------ */

int build_cache_ls(void)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	struct dirent **list;
	int n;

	build_cache_dir(dir, sizeof(dir));
	strncat(dir, "/kernels", sizeof(dir) - strlen(dir) - 1);
	n = scandir(dir, &list, NULL, alphasort);
	if (n < 0) {
		printf("(empty cache: %s)\n", dir);
		return 0;
	}
	for (int i = 0; i < n; i++) {
		char *meta;
		if (list[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s/meta.json", dir, list[i]->d_name);
			meta = read_file(path, NULL);
			printf("%s  %s\n", list[i]->d_name, meta ? "complete" : "INCOMPLETE");
			if (meta) {
				for (char *p = meta; *p; p++)
					if (*p == '\n')
						*p = ' ';
				printf("    %s\n", meta);
			}
			free(meta);
		}
		free(list[i]);
	}
	free(list);
	return 0;
}

/* find -atime/-mtime +N: more than N whole days old. */
static bool older_than_days(time_t when, time_t now, int days)
{
	return (now - when) / 86400 > days;
}

/* When a kernel was last used: its last-used stamp, written by every
 * lookup that returns it and by the build that made it. A dir from before
 * the stamp gets the newest of its own times and meta.json's, so that it
 * is judged no older than it was before. */
static time_t kernel_last_used(const char *dir, const struct stat *st)
{
	char path[PATH_MAX + 16];
	struct stat s;
	time_t when = st->st_atime > st->st_mtime ? st->st_atime : st->st_mtime;

	xsnprintf(path, sizeof(path), "%s/last-used", dir);
	if (lstat(path, &s) == 0)
		return s.st_mtime;
	xsnprintf(path, sizeof(path), "%s/meta.json", dir);
	if (lstat(path, &s) == 0 && s.st_mtime > when)
		when = s.st_mtime;
	return when;
}

/* Whether a "<key>.tmp-<pid>" build dir belongs to a live process. A pid
 * reused since keeps the dir one more round, which is the safe mistake. */
static bool tmp_owner_alive(const char *name)
{
	const char *p = strstr(name, ".tmp-");
	char *end;
	long pid;

	if (!p)
		return false;
	errno = 0;
	pid = strtol(p + 5, &end, 10);
	if (errno || *end || end == p + 5 || pid <= 0 || pid > INT_MAX)
		return false;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* The lock of the base a kernel dir was built from (its meta.json's
 * "base"), taken without waiting: -1 when a build of that base holds it,
 * -2 when there is no lock to take (no meta.json, no lock file yet). */
static int try_lock_kernel_base(const char *cache, const char *dir)
{
	struct json_object *meta = read_meta(dir);
	const char *base = jstring(meta, "base");
	char path[PATH_MAX + 160];
	int fd = -2;

	if (base && !strchr(base, '/')) {
		base_lock_path(cache, base, path, sizeof(path));
		fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
			close(fd);
			fd = -1;
		} else if (fd < 0)
			fd = -2;
	}
	json_object_put(meta);
	return fd;
}

/* One entry of kernels/: 1 when it went, 0 when kept, -1 on an error. */
static int gc_kernel(const char *cache, const char *dir, const char *name, int keep_days, time_t now)
{
	char path[PATH_MAX * 2];
	struct stat st;
	int lock, rc = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (lstat(path, &st) < 0)
		return 0;
	if (strstr(name, ".tmp-")) {
		if (tmp_owner_alive(name))
			return 0;
		return remove_tree(path) < 0 ? -1 : 1;
	}
	if (!S_ISDIR(st.st_mode) || !older_than_days(kernel_last_used(path, &st), now, keep_days))
		return 0;
	/* A build of its base may be about to use or replace it. */
	if ((lock = try_lock_kernel_base(cache, path)) == -1) {
		printf("%s: kept, a build of its base is running\n", path);
		return 0;
	}
	/* Used while we took the lock? */
	if (lstat(path, &st) == 0 && older_than_days(kernel_last_used(path, &st), now, keep_days)) {
		printf("%s\n", path);
		rc = remove_tree(path) < 0 ? -1 : 1;
	}
	if (lock >= 0)
		close(lock);
	return rc;
}

/* Incomplete outputs of builds that died (*.tmp-<pid> of a dead pid), and
 * kernels not used for keep_days days, unless a build of their base runs. */
static int gc_kernels(const char *cache, int keep_days, time_t now)
{
	char dir[PATH_MAX + 16];
	struct dirent **list;
	int n, rc = 0;

	xsnprintf(dir, sizeof(dir), "%s/kernels", cache);
	n = scandir(dir, &list, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		if (strcmp(list[i]->d_name, ".") && strcmp(list[i]->d_name, "..") &&
		    gc_kernel(cache, dir, list[i]->d_name, keep_days, now) < 0)
			rc = -1;
		free(list[i]);
	}
	if (n >= 0)
		free(list);
	return rc;
}

/* Build logs older than keep_days days. */
static int gc_logs(const char *cache, int keep_days, time_t now)
{
	char dir[PATH_MAX + 16], *roots[] = { dir, NULL };
	FTS *walk;
	FTSENT *e;
	int rc = 0;

	xsnprintf(dir, sizeof(dir), "%s/logs", cache);
	if (!file_exists(dir) || !(walk = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR, NULL)))
		return 0;
	while ((e = fts_read(walk)))
		if (e->fts_info == FTS_F && older_than_days(e->fts_statp->st_mtime, now, keep_days) &&
		    unlink(e->fts_path) < 0)
			rc = -1;
	fts_close(walk);
	return rc;
}

int build_cache_gc(int keep_days)
{
	char cache[PATH_MAX];
	time_t now = time(NULL);
	int kernels, logs;

	build_cache_dir(cache, sizeof(cache));
	kernels = gc_kernels(cache, keep_days, now);
	logs = gc_logs(cache, keep_days, now);
	return kernels || logs ? EXIT_UNTESTABLE : 0;
}
