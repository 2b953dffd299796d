#include "build.h"
#include "flavor.h"
#include "series.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
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

static int resolve_deb_source(struct build *b, const char *which)
{
	char package[64], *ver;

	if (strcmp(which, "deb-6.12") && strcmp(which, "deb-6.1"))
		return fail(b, EXIT_USAGE, "--kernel src:%s: Debian sources are src:deb-6.12 or src:deb-6.1", which);
	xsnprintf(package, sizeof(package), "linux-source-%s", which + 4);
	ver = capture_argv((char *[]){ "dpkg-query", "-W", "-f=${Version}", package, NULL }, NULL);
	if (!ver || !*ver) {
		free(ver);
		return fail(b, EXIT_UNTESTABLE, "--kernel src:%s: linux-source-%s is not installed; run ./run.sh setup",
			    which, which + 4);
	}
	/* The tree is named by the upstream version, so that a new Debian
	 * revision reuses the same object dir; the full version is the identity. */
	snprintf(b->src.base, sizeof(b->src.base), "deb-%.*s", (int)strcspn(ver, "-~+"), ver);
	snprintf(b->src.identity, sizeof(b->src.identity), "debian linux-source-%s %s", which + 4, ver);
	snprintf(b->src.deb_version, sizeof(b->src.deb_version), "%s", ver);
	xsnprintf(b->src.tree, sizeof(b->src.tree), "%s/src/%s", b->cache, b->src.base);
	snprintf(b->src.version, sizeof(b->src.version), "%s", which + 4);
	free(ver);
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
	at = strrchr(repo, '@');
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
	char abs[PATH_MAX], hash[65], mk[PATH_MAX + 16], x86[PATH_MAX + 16];
	struct stat st;

	if (!realpath(path, abs) || stat(abs, &st) < 0 || !S_ISDIR(st.st_mode))
		return fail(b, EXIT_USAGE, "--kernel dir:%s: no such directory", path);
	xsnprintf(mk, sizeof(mk), "%s/Makefile", abs);
	xsnprintf(x86, sizeof(x86), "%s/arch/x86", abs);
	if (!file_exists(mk) || !file_exists(x86))
		return fail(b, EXIT_USAGE, "--kernel dir:%s: not a kernel tree (it needs a Makefile and arch/x86)", path);
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

	switch (ks.kind) {
	case KERNEL_SRC: return resolve_deb_source(b, ks.arg);
	case KERNEL_GIT: return resolve_git_source(b, ks.arg);
	case KERNEL_DIR: return resolve_dir_source(b, ks.arg);
	default: return fail(b, EXIT_USAGE, "--kernel %s: not a source spec", b->req->spec);
	}
}

/* ---- locking and trees -------------------------------------------------- */

/* One lock per source base: its tree and object dir are shared by every
 * key built from it. */
static int lock_base(struct build *b)
{
	char dir[PATH_MAX + 8], path[PATH_MAX + 160];
	int fd;

	xsnprintf(dir, sizeof(dir), "%s/locks", b->cache);
	mkdir_p(dir, 0755);
	xsnprintf(path, sizeof(path), "%s/%s.lock", dir, b->src.base);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		fprintf(stderr, "mmrepro: waiting for another build of %s\n", b->src.base);
		flock(fd, LOCK_EX);
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
	char tarball[PATH_MAX];

	xsnprintf(tarball, sizeof(tarball), "/usr/src/linux-source-%s.tar.xz", b->src.version);
	if (remove_tree(tmp) < 0 || mkdir_p(tmp, 0755) < 0)
		return -1;
	return run_cmd((char *[]){ "tar", "-C", (char *)tmp, "--strip-components=1", "-xaf", tarball, NULL },
		       b->log, NULL) == 0 ? 0 : -1;
}

static int prepare_deb_tree(struct build *b)
{
	char ready[PATH_MAX + 16], tmp[PATH_MAX + 16], *have;

	xsnprintf(ready, sizeof(ready), "%s.ready", b->src.tree);
	have = read_file(ready, NULL);
	if (have && !strcmp(have, b->src.deb_version)) {
		free(have);
		return 0;
	}
	free(have);
	fprintf(stderr, "mmrepro: unpacking linux-source-%s %s into %s\n", b->src.version, b->src.deb_version,
		b->src.tree);
	xsnprintf(tmp, sizeof(tmp), "%s.tmp", b->src.tree);
	if (unpack_deb_tarball(b, tmp) < 0)
		return fail(b, EXIT_UNTESTABLE, "cannot unpack /usr/src/linux-source-%s.tar.xz (see %s)",
			    b->src.version, b->log);
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
		char *frag = read_file(b->frags[i], NULL), *save, *line;
		int lineno = 0;
		if (!frag) {
			free(cfg);
			return fail(b, EXIT_USAGE, "%s: cannot read", b->frags[i]);
		}
		for (line = strtok_r(frag, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char symbol[128];
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

static int configure(struct build *b)
{
	char config[PATH_MAX + 16];

	if (kmake(b, "tinyconfig", false))
		return fail(b, EXIT_UNTESTABLE, "make tinyconfig failed in %s (see %s)", b->src.tree, b->log);
	if (merge_fragments(b) < 0)
		return fail(b, EXIT_UNTESTABLE, "merge_config.sh failed (see %s)", b->log);
	if (kmake(b, "olddefconfig", false))
		return fail(b, EXIT_UNTESTABLE, "make olddefconfig failed (see %s)", b->log);
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
	char o[PATH_MAX + 4], jobs[16], cc[32] = "CC=gcc";
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
	if (program_on_path("ccache"))
		snprintf(cc, sizeof(cc), "CC=ccache gcc");
	{
		char ccdir[PATH_MAX + 16];
		snprintf(ccdir, sizeof(ccdir), "%s/ccache", b->cache);
		setenv("CCACHE_DIR", ccdir, 0);
		setenv("CCACHE_BASEDIR", b->cache, 0);
		setenv("KBUILD_BUILD_TIMESTAMP", "mmrepro", 1);
		setenv("KBUILD_BUILD_USER", "mmrepro", 1);
		setenv("KBUILD_BUILD_HOST", "mmrepro", 1);
	}
	char *argv[] = { "make", "-C", b->src.tree, o, jobs, cc, (char *)target, NULL };
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
	xsnprintf(b->src.obj, sizeof(b->src.obj), "%s/obj/%s%s%s%s%.10s", b->cache, b->src.base,
		  flavor_changes_kernel(b->req->flavor) ? "+" : "",
		  flavor_changes_kernel(b->req->flavor) ? b->req->flavor : "", tag[0] ? "+cfg-" : "", tag);
}

/* The key hashes contents, not paths: the same series copied elsewhere
 * hits the same cache entry. The object dir comes from the same texts. */
static int compute_key(struct build *b)
{
	char *patches[SERIES_MAX_PATCHES + 1] = { 0 }, *frags[BUILD_MAX_CONFIGS + 5] = { 0 };
	char *gcc = capture_argv((char *[]){ "gcc", "--version", NULL }, NULL);
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
		build_cache_key(b->src.identity, gcc ? gcc : "?", (const char *const *)patches,
				(const char *const *)frags, b->key);
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
	xsnprintf(k->spec, sizeof(k->spec), "%s", b->req->spec);
	xsnprintf(k->kind, sizeof(k->kind), "%.3s", b->req->spec);
	xsnprintf(k->bzimage, sizeof(k->bzimage), "%s/bzImage", b->out);
	xsnprintf(k->vmlinux, sizeof(k->vmlinux), "%s/vmlinux", b->out);
	xsnprintf(k->config, sizeof(k->config), "%s/config", b->out);
	xsnprintf(k->series, sizeof(k->series), "%s", b->req->series ? b->req->series : "");
	xsnprintf(k->build_key, sizeof(k->build_key), "%s", b->key);
	xsnprintf(k->flavor, sizeof(k->flavor), "%s", flavor_find(b->req->flavor)->name);
	kernel_image_release(k->bzimage, k->release, sizeof(k->release));
	kernel_choose_boot_image(k);
}

static int copy_file(const char *src, const char *dst)
{
	char *argv[] = { "cp", "-f", (char *)src, (char *)dst, NULL };
	return run_cmd(argv, NULL, NULL) == 0 ? 0 : -1;
}

static void write_meta(struct build *b, const char *dir, double seconds)
{
	char path[PATH_MAX + 16], *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	fprintf(f, "{\n  \"spec\": \"%s\",\n  \"series\": \"%s\",\n  \"base\": \"%s\",\n  \"source\": \"%s\",\n"
		"  \"key\": \"%s\",\n  \"build_seconds\": %.1f,\n  \"built_at\": %ld,\n  \"patches\": %d\n}\n",
		b->req->spec, b->req->series ? b->req->series : "", b->src.base, b->src.identity, b->key,
		seconds, (long)time(NULL), b->series.npatches);
	fclose(f);
	xsnprintf(path, sizeof(path), "%s/meta.json", dir);
	write_file_atomic(path, text, len);
	free(text);
}

/* Outputs go to a temp dir renamed into place, so a crashed build never
 * leaves a directory that looks complete. */
static int store_outputs(struct build *b, double seconds)
{
	static const char *const files[][2] = {
		{ "arch/x86/boot/bzImage", "bzImage" }, { "vmlinux", "vmlinux" }, { ".config", "config" },
	};
	char tmp[PATH_MAX + 32], src[PATH_MAX * 2], dst[PATH_MAX * 2], cnt[PATH_MAX + 32], num[32];

	xsnprintf(tmp, sizeof(tmp), "%s.tmp-%d", b->out, (int)getpid());
	mkdir_p(tmp, 0755);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(src, sizeof(src), "%s/%s", b->src.obj, files[i][0]);
		snprintf(dst, sizeof(dst), "%s/%s", tmp, files[i][1]);
		if (copy_file(src, dst) < 0)
			return fail(b, EXIT_UNTESTABLE, "build produced no %s", src);
	}
	snprintf(dst, sizeof(dst), "%s/build.log", tmp);
	copy_file(b->log, dst);
	write_meta(b, tmp, seconds);
	if (rename(tmp, b->out) < 0 && errno != ENOTEMPTY && errno != EEXIST)
		return fail(b, EXIT_UNTESTABLE, "cannot move %s into place: %s", tmp, strerror(errno));
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
	rc = kmake(b, "bzImage", b->req->progress);
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

/* The cache lookup and, on a miss, the build under the base's lock. */
static int find_or_build(struct build *b, struct kernel *k)
{
	const struct build_request *req = b->req;
	char logdir[PATH_MAX + 16], complete[PATH_MAX + 32];
	int rc, lock;

	xsnprintf(complete, sizeof(complete), "%s/meta.json", b->out);
	if (!b->src.mutable_tree && file_exists(complete)) {
		fill_kernel(b, k);
		return 0;
	}
	xsnprintf(logdir, sizeof(logdir), "%s/logs", b->cache);
	mkdir_p(logdir, 0755);
	mkdir_p(b->src.obj, 0755);
	xsnprintf(b->log, sizeof(b->log), "%s/%s-%d.log", logdir, b->key, (int)getpid());
	fprintf(stderr, "mmrepro: building %s%s%s (key %s, log %s)\n", req->spec, req->series ? " + " : "",
		req->series ? req->series : "", b->key, b->log);
	lock = lock_base(b);
	if (lock < 0)
		return fail(b, EXIT_UNTESTABLE, "cannot lock the build dir of %s", b->src.base);
	/* Another process may have finished the same key while we waited. */
	rc = !b->src.mutable_tree && file_exists(complete) ? 0 : build_locked(b);
	close(lock);
	if (!rc)
		fill_kernel(b, k);
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
		rc = fail(&b, EXIT_UNTESTABLE, "cannot lock the build dir of %s", b.src.base);
	else if (!(rc = prepare_tree(&b)))
		rc = fn(b.src.tree, b.src.obj, b.log, arg);
	if (lock >= 0)
		close(lock);
	series_free(&b.series);
	return rc;
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
	       int signal_fd, bool progress, struct kernel *k, char *err, size_t errlen)
{
	struct build_request req = { .spec = spec, .series = series, .signal_fd = signal_fd,
				     .progress = progress, .flavor = flavor };
	int n = 0;

	if (!kernel_spec_needs_build(spec)) {
		if (series) {
			snprintf(err, errlen, "--series needs a source kernel (src:, git:, dir:), not %s", spec);
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

/* Incomplete outputs of crashed builds (*.tmp-*), and kernels whose dirs
 * were not used for keep_days days. */
static int gc_kernels(const char *cache, int keep_days, time_t now)
{
	char dir[PATH_MAX + 16], path[PATH_MAX * 2];
	struct dirent **list;
	int n, rc = 0;

	xsnprintf(dir, sizeof(dir), "%s/kernels", cache);
	n = scandir(dir, &list, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		const char *name = list[i]->d_name;
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (strcmp(name, ".") && strcmp(name, "..") && lstat(path, &st) == 0) {
			bool incomplete = strstr(name, ".tmp-") != NULL;
			bool stale = !incomplete && S_ISDIR(st.st_mode) && older_than_days(st.st_atime, now, keep_days);
			if (stale)
				printf("%s\n", path);
			if ((incomplete || stale) && remove_tree(path) < 0)
				rc = -1;
		}
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
