/* Compiling a user's C reproducer for the guest. */
#include "repro.h"
#include "build.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPRO_MAX_SOURCE (16u << 20)

char **repro_compile_argv(const char *src, const char *cflags, enum arch arch, const char *out, char **words)
{
	static const char *const flags[] = { "-O2", "-static", "-pthread", "-w" };
	size_t nflags = sizeof(flags) / sizeof(flags[0]), n = 0, cap = nflags + 7;
	char **argv, *save = NULL, *w;

	*words = xstrdup(cflags ? cflags : "");
	for (const char *p = *words; *p; p++)
		cap += *p == ' ' || *p == '\t';
	argv = xcalloc(cap + 1, sizeof(*argv));
	argv[n++] = (char *)arch_info(arch)->gcc;
	for (size_t i = 0; i < nflags; i++)
		argv[n++] = (char *)flags[i];
	for (w = strtok_r(*words, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
		argv[n++] = w;
	argv[n++] = "-o";
	argv[n++] = (char *)out;
	/* A reproducer saved as "repro" or "r.txt" is still C. */
	argv[n++] = "-x";
	argv[n++] = "c";
	argv[n++] = (char *)src;
	return argv;
}

static void print_command(char **argv)
{
	fprintf(stderr, "mmrepro: compiling:");
	for (int i = 0; argv[i]; i++)
		fprintf(stderr, " %s", argv[i]);
	fputc('\n', stderr);
}

/* The key covers what changes the binary: the text, the flags, the compiler. */
static void repro_key(const char *text, size_t len, const char *cflags, enum arch arch, char key[65])
{
	char *gcc = capture_argv((char *[]){ (char *)arch_info(arch)->gcc, "--version", NULL }, NULL);
	char *all = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&all, &n);

	fprintf(f, "%s\n%s\n", gcc ? gcc : "?", cflags ? cflags : "");
	fwrite(text, 1, len, f);
	fclose(f);
	sha256_hex(all, n, key);
	free(all);
	free(gcc);
}

static int compile_into(const char *src, const char *cflags, enum arch arch, const char *bin, char *err,
			size_t errlen)
{
	char tmp[PATH_MAX + 32], errfile[PATH_MAX + 32], *words;
	char **argv;
	int rc;

	xsnprintf(tmp, sizeof(tmp), "%s.tmp-%d", bin, (int)getpid());
	xsnprintf(errfile, sizeof(errfile), "%s.err-%d", bin, (int)getpid());
	argv = repro_compile_argv(src, cflags, arch, tmp, &words);
	print_command(argv);
	rc = run_cmd_split(argv, "/dev/null", errfile, NULL);
	free(argv);
	free(words);
	if (rc != 0) {
		size_t len;
		char *out = read_file_limited(errfile, 1u << 20, &len);
		if (out)
			fwrite(out, 1, len, stderr);
		free(out);
		unlink(errfile);
		unlink(tmp);
		snprintf(err, errlen, "%s: does not compile (gcc exit %d; its errors are above)", src, rc);
		return EXIT_USAGE;
	}
	unlink(errfile);
	if (rename(tmp, bin) < 0) {
		snprintf(err, errlen, "%s: cannot store the binary at %s: %s", src, bin, strerror(errno));
		unlink(tmp);
		return EXIT_UNTESTABLE;
	}
	return 0;
}

int repro_compile(const char *src, const char *cflags, enum arch arch, char *bin, size_t binlen, char *err,
		  size_t errlen)
{
	char cache[PATH_MAX], dir[PATH_MAX + 96], key[65];
	size_t len;
	char *text = read_file_limited(src, REPRO_MAX_SOURCE, &len);

	if (!text) {
		snprintf(err, errlen, "%s: cannot read the reproducer: %s", src, strerror(errno ? errno : EINVAL));
		return EXIT_USAGE;
	}
	repro_key(text, len, cflags, arch, key);
	free(text);
	build_cache_dir(cache, sizeof(cache));
	xsnprintf(dir, sizeof(dir), "%s/repro/%.24s", cache, key);
	if (mkdir_p(dir, 0755) < 0) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return EXIT_UNTESTABLE;
	}
	xsnprintf(bin, binlen, "%s/repro", dir);
	if (file_exists(bin)) {
		fprintf(stderr, "mmrepro: %s: compiled binary from the cache (%s)\n", src, bin);
		return 0;
	}
	return compile_into(src, cflags, arch, bin, err, errlen);
}
