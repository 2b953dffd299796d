/* Trace decoding: every frame of a report to file:line with binutils'
 * addr2line -i (inlined frames included). A frame "func+0x1a/0x40" is an
 * offset into a function: its address comes from vmlinux's own ELF symbol
 * table (read here, mapped read-only; the size after the slash picks
 * between static functions of the same name), and addr2line turns
 * addresses into locations in one run per batch, argv only. */
#include "decode.h"
#include "arch.h"
#include "json_read.h"
#include "util.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* A run of addr2line on a kernel's DWARF takes seconds, mostly to load it,
 * and a console is guest output: the work per run has a bound. BATCH
 * addresses go to one addr2line run (their output, inlines and all, stays
 * well under CAPTURE_MAX); past MAX_FRAMES a report's frames and past
 * MAX_REPORTS a console's reports are listed as not decoded. */
#define BATCH 400
#define MAX_FRAMES 1200
#define MAX_REPORTS 8
#define MAX_LOG_BYTES (256u << 20) /* a console log larger than run.c keeps */

struct sym {
	uint32_t name; /* offset in strtab */
	uint64_t value, size;
};

struct decoder {
	char path[PATH_MAX];
	unsigned char *map;
	size_t size;
	const char *strtab;
	size_t strsize;
	struct sym *syms; /* FUNC and NOTYPE symbols, sorted by name */
	size_t nsyms;
};

/* One frame of a report being decoded. */
struct job {
	int line;
	struct report_symbol sym;
	char raw_name[128]; /* as in the log and the symbol table: "f.isra.0" */
	uint64_t addr;
	const char *error;
	struct json_object *locations;
};

void decode_find_vmlinux(const char *vmlinux, const char *release, char *out, size_t len)
{
	char dbg[PATH_MAX];

	out[0] = '\0';
	if (vmlinux && *vmlinux && file_exists(vmlinux)) {
		snprintf(out, len, "%s", vmlinux);
		return;
	}
	if (!release || !*release || strchr(release, '/'))
		return;
	/* where Debian's linux-image-<release>-dbg puts it */
	snprintf(dbg, sizeof(dbg), "/usr/lib/debug/boot/vmlinux-%s", release);
	if (file_exists(dbg))
		snprintf(out, len, "%s", dbg);
}

/* ---- ELF -------------------------------------------------------------- */

static bool in_file(const struct decoder *d, uint64_t off, uint64_t len)
{
	return off <= d->size && len <= d->size - off;
}

static const Elf64_Shdr *section(const struct decoder *d, unsigned i)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)d->map;

	return i < eh->e_shnum ? (const Elf64_Shdr *)(d->map + eh->e_shoff) + i : NULL;
}

/* The name of a section, or "" when it points outside .shstrtab. */
static const char *section_name(const struct decoder *d, const Elf64_Shdr *sh)
{
	const Elf64_Shdr *names = section(d, ((const Elf64_Ehdr *)d->map)->e_shstrndx);
	const char *base;

	if (!names || !in_file(d, names->sh_offset, names->sh_size) || sh->sh_name >= names->sh_size)
		return "";
	base = (const char *)d->map + names->sh_offset;
	return memchr(base + sh->sh_name, '\0', names->sh_size - sh->sh_name) ? base + sh->sh_name : "";
}

static bool elf_header_ok(const struct decoder *d)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)d->map;

	return d->size >= sizeof(*eh) && !memcmp(eh->e_ident, ELFMAG, SELFMAG) &&
	       eh->e_ident[EI_CLASS] == ELFCLASS64 && eh->e_ident[EI_DATA] == ELFDATA2LSB &&
	       eh->e_shentsize == sizeof(Elf64_Shdr) &&
	       in_file(d, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr));
}

static int by_name(const void *a, const void *b, void *strtab)
{
	return strcmp((const char *)strtab + ((const struct sym *)a)->name,
		      (const char *)strtab + ((const struct sym *)b)->name);
}

/* Keeps the function and code symbols of .symtab, sorted by name. */
static bool read_symbols(struct decoder *d, const Elf64_Shdr *symtab)
{
	const Elf64_Shdr *strs = section(d, symtab->sh_link);
	const Elf64_Sym *all = (const Elf64_Sym *)(d->map + symtab->sh_offset);
	size_t n = symtab->sh_size / sizeof(Elf64_Sym);

	if (!strs || !in_file(d, strs->sh_offset, strs->sh_size) || !strs->sh_size ||
	    !in_file(d, symtab->sh_offset, symtab->sh_size))
		return false;
	d->strtab = (const char *)d->map + strs->sh_offset;
	d->strsize = strs->sh_size;
	if (d->strtab[d->strsize - 1] != '\0' || !(d->syms = calloc(n ? n : 1, sizeof(*d->syms))))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned type = ELF64_ST_TYPE(all[i].st_info);
		if ((type == STT_FUNC || type == STT_NOTYPE) && all[i].st_shndx != SHN_UNDEF && all[i].st_value &&
		    all[i].st_name && all[i].st_name < d->strsize)
			d->syms[d->nsyms++] = (struct sym){ all[i].st_name, all[i].st_value, all[i].st_size };
	}
	qsort_r(d->syms, d->nsyms, sizeof(*d->syms), by_name, (void *)d->strtab);
	return true;
}

/* Finds .symtab and the DWARF line tables; why is set when they are missing. */
static bool read_sections(struct decoder *d, char *why, size_t whylen)
{
	const Elf64_Shdr *symtab = NULL;
	bool lines = false;

	for (unsigned i = 0; i < ((const Elf64_Ehdr *)d->map)->e_shnum; i++) {
		const Elf64_Shdr *sh = section(d, i);
		const char *name = section_name(d, sh);
		if (sh->sh_type == SHT_SYMTAB)
			symtab = sh;
		lines |= !strcmp(name, ".debug_line") || !strcmp(name, ".zdebug_line");
	}
	if (!lines) {
		snprintf(why, whylen, "not decoded: %s has no debug info (a kernel built with "
			 "CONFIG_DEBUG_INFO_NONE)", d->path);
		return false;
	}
	if (!symtab || !read_symbols(d, symtab)) {
		snprintf(why, whylen, "not decoded: %s has no symbol table", d->path);
		return false;
	}
	return true;
}

struct decoder *decoder_open(const char *vmlinux, char *why, size_t whylen)
{
	struct decoder *d;
	struct stat st;
	int fd;

	if (!vmlinux || !*vmlinux) {
		snprintf(why, whylen, "not decoded: no debug vmlinux");
		return NULL;
	}
	d = xcalloc(1, sizeof(*d));
	snprintf(d->path, sizeof(d->path), "%s", vmlinux);
	fd = open(vmlinux, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
		snprintf(why, whylen, "not decoded: cannot read %s: %s", vmlinux, fd < 0 ? strerror(errno) : "not a file");
		if (fd >= 0)
			close(fd);
		free(d);
		return NULL;
	}
	d->size = (size_t)st.st_size;
	d->map = mmap(NULL, d->size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (d->map == MAP_FAILED) {
		d->map = NULL;
		snprintf(why, whylen, "not decoded: cannot map %s: %s", vmlinux, strerror(errno));
	} else if (!elf_header_ok(d)) {
		snprintf(why, whylen, "not decoded: %s is not a 64-bit little-endian ELF file", vmlinux);
	} else if (read_sections(d, why, whylen)) {
		return d;
	}
	decoder_close(d);
	return NULL;
}

void decoder_close(struct decoder *d)
{
	if (!d)
		return;
	if (d->map)
		munmap(d->map, d->size);
	free(d->syms);
	free(d);
}

/* The address of name, the one whose size is size when several functions
 * share the name (static ones in different files). 0 and *error set when
 * there is none or no way to choose. */
static uint64_t lookup(const struct decoder *d, const char *name, uint64_t size, const char **error)
{
	size_t lo = 0, hi = d->nsyms, first, n = 0;
	uint64_t pick = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(d->strtab + d->syms[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (first = lo; lo < d->nsyms && !strcmp(d->strtab + d->syms[lo].name, name); lo++, n++)
		if (d->syms[lo].size == size)
			pick = pick ? pick : d->syms[lo].value;
	if (!pick && n == 1)
		pick = d->syms[first].value; /* the size was rounded or the log cut */
	*error = pick ? NULL : n ? "several functions of that name, none of that size" : "not in vmlinux";
	return pick;
}

/* ---- paths ------------------------------------------------------------ */

/* Lexically: drops "." and empty components and folds "dir/.." pairs. */
static void normalize(const char *in, char *out, size_t len)
{
	const char *comp[PATH_MAX / 2];
	size_t clen[PATH_MAX / 2], o = 0;
	int n = 0;

	for (const char *c = in; *c && n < PATH_MAX / 2;) {
		size_t l = strcspn(c, "/");
		bool up = l == 2 && c[0] == '.' && c[1] == '.';
		if (up && n > 0 && !(clen[n - 1] == 2 && !strncmp(comp[n - 1], "..", 2)))
			n--;
		else if (l && !(l == 1 && c[0] == '.') && !(up && in[0] == '/'))
			comp[n] = c, clen[n++] = l;
		c += l + (c[l] == '/');
	}
	out[0] = '\0';
	for (int i = 0; i < n && o + 1 < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%.*s", i || in[0] == '/' ? "/" : "", (int)clen[i], comp[i]);
}

void decode_clean_path(const char *path, char *out, size_t len)
{
	static const char *const roots[] = { "/src/", "/worktrees/", "/obj/" };
	char buf[PATH_MAX + 1], norm[PATH_MAX + 1];
	const char *p = norm, *hit;
	bool outside = path[0] == '/' || !strncmp(path, "../", 3);

	snprintf(buf, sizeof(buf), "%s", path);
	normalize(buf, norm, sizeof(norm));
	while (!strncmp(p, "../", 3))
		p += 3; /* "../../src/deb-6.12.117/mm/x.c": above the build dir */
	/* An out-of-tree build names files under the suite's source, worktree
	 * or object dir: what follows that dir's base name is the tree's path. */
	snprintf(buf, sizeof(buf), "/%s", p[0] == '/' ? p + 1 : p);
	for (size_t k = 0; outside && k < sizeof(roots) / sizeof(roots[0]); k++)
		if ((hit = strstr(buf, roots[k])) && strchr(hit + strlen(roots[k]), '/')) {
			snprintf(out, len, "%s", strchr(hit + strlen(roots[k]), '/') + 1);
			return;
		}
	snprintf(out, len, "%s", p);
}

/* ---- addr2line --------------------------------------------------------- */

static struct json_object *location(const char *fn, const char *where)
{
	struct json_object *o = json_object_new_object();
	char file[PATH_MAX];
	const char *colon = strrchr(where, ':');
	size_t flen = colon ? (size_t)(colon - where) : strlen(where);

	snprintf(file, sizeof(file), "%.*s", (int)flen, where);
	decode_clean_path(file, file, sizeof(file));
	json_object_object_add(o, "function", json_object_new_string(fn));
	json_object_object_add(o, "file", json_object_new_string(file));
	json_object_object_add(o, "line", json_object_new_int(colon ? atoi(colon + 1) : 0));
	return o;
}

/* Parses addr2line -a -i -f output: "0x<addr>", then function and
 * file:line pairs, innermost first, for each address in order. */
static void read_locations(char *out, struct job **jobs, size_t n)
{
	size_t cur = (size_t)-1;
	char *save = NULL, *fn = NULL;

	for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(l, "0x", 2) && !fn) {
			if (++cur < n)
				jobs[cur]->locations = json_object_new_array();
		} else if (!fn) {
			fn = l;
		} else {
			char *disc = strstr(l, " (discriminator");
			if (disc)
				*disc = '\0';
			if (cur < n && strncmp(l, "??", 2))
				json_object_array_add(jobs[cur]->locations, location(fn, l));
			fn = NULL;
		}
	}
}

/* One addr2line run over the jobs that have an address (at most BATCH). */
static void run_addr2line(const struct decoder *d, struct job *jobs, size_t n)
{
	char *argv[BATCH + 8], addrs[BATCH][24], tool[64], *out;
	struct job *with[BATCH];
	size_t argc = 0, k = 0;

	/* The host's binutils read only its own arch's DWARF. */
	snprintf(tool, sizeof(tool), "%saddr2line",
		 arch_info(((const Elf64_Ehdr *)d->map)->e_machine == EM_AARCH64 ? ARCH_ARM64 : ARCH_X86_64)->cross);
	argv[argc++] = tool;
	argv[argc++] = "-a";
	argv[argc++] = "-i";
	argv[argc++] = "-f";
	argv[argc++] = "-e";
	argv[argc++] = (char *)d->path;
	for (size_t i = 0; i < n && k < BATCH; i++)
		if (jobs[i].addr) {
			snprintf(addrs[k], sizeof(addrs[k]), "0x%" PRIx64, jobs[i].addr);
			argv[argc++] = addrs[k];
			with[k++] = &jobs[i];
		}
	argv[argc] = NULL;
	if (!k)
		return;
	out = capture_argv(argv, NULL);
	if (out)
		read_locations(out, with, k);
	for (size_t i = 0; i < k; i++)
		if (!with[i]->locations || !json_object_array_length(with[i]->locations))
			with[i]->error = out ? "no line information at that address" : "addr2line failed";
	free(out);
}

/* ---- reports ------------------------------------------------------------ */

/* The next line of log from *pos (without its end of line); false at the end. */
static bool next_line(const char *log, size_t len, size_t *pos, const char **line, size_t *n)
{
	const char *nl;

	if (*pos >= len)
		return false;
	*line = log + *pos;
	nl = memchr(*line, '\n', len - *pos);
	*n = nl ? (size_t)(nl - *line) : len - *pos;
	*pos += *n + (nl != NULL);
	while (*n && (*line)[*n - 1] == '\r')
		(*n)--;
	return true;
}

static void resolve(const struct decoder *d, struct job *j)
{
	const char *plus = memchr(j->sym.start, '+', j->sym.len);
	size_t rn = plus ? (size_t)(plus - j->sym.start) : j->sym.len;
	uint64_t base;

	snprintf(j->raw_name, sizeof(j->raw_name), "%.*s", (int)rn, j->sym.start);
	if (j->sym.module[0]) {
		j->error = "a module's frame";
		return;
	}
	if (!(base = lookup(d, j->raw_name, j->sym.size, &j->error)))
		return;
	/* a Call Trace frame is a return address: its call is the byte before */
	j->addr = base + j->sym.offset - (j->sym.return_address && j->sym.offset ? 1 : 0);
}

/* The frames of lines r->start_line..r->end_line. */
static size_t collect(const struct decoder *d, const char *log, size_t len, const struct report *r,
		      struct job **out)
{
	size_t pos = 0, n = 0, cap = 0, ln;
	const char *line;
	struct job *jobs = NULL;

	for (int no = 1; no <= r->end_line && next_line(log, len, &pos, &line, &ln); no++) {
		struct report_symbol sym;
		if (no < r->start_line || !report_line_symbol(line, ln, &sym))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			jobs = realloc(jobs, cap * sizeof(*jobs));
			if (!jobs)
				die(EXIT_UNTESTABLE, "out of memory decoding a trace");
		}
		memset(&jobs[n], 0, sizeof(jobs[n]));
		jobs[n].line = no;
		jobs[n].sym = sym;
		if (n < MAX_FRAMES)
			resolve(d, &jobs[n]);
		else
			jobs[n].error = "past the report's first 1200 frames";
		n++;
	}
	*out = jobs;
	return n;
}

static struct json_object *job_json(const struct job *j)
{
	struct json_object *o = json_object_new_object();
	char hex[24];

	json_object_object_add(o, "line", json_object_new_int(j->line));
	json_object_object_add(o, "function", json_object_new_string(j->raw_name));
	snprintf(hex, sizeof(hex), "0x%lx", j->sym.offset);
	json_object_object_add(o, "offset", json_object_new_string(hex));
	json_object_object_add(o, "reliable", json_object_new_boolean(j->sym.reliable));
	if (j->sym.module[0]) {
		char module[sizeof(j->sym.module)];
		memcpy(module, j->sym.module, sizeof(module));
		sanitize_text(module, false); /* guest bytes */
		json_object_object_add(o, "module", json_object_new_string(module));
	}
	if (j->error) {
		json_object_object_add(o, "error", json_object_new_string(j->error));
		return o;
	}
	snprintf(hex, sizeof(hex), "0x%" PRIx64, j->addr);
	json_object_object_add(o, "address", json_object_new_string(hex));
	json_object_object_add(o, "locations", json_object_get(j->locations));
	return o;
}

/* One report line, and after a frame its location: "(mm/swap.c:836)" for
 * the function the line names, then one line per function inlined into it. */
static void write_line(FILE *f, const char *line, size_t n, const struct job *j)
{
	size_t k;

	fwrite(line, 1, n, f);
	if (!j) {
		fputc('\n', f);
		return;
	}
	if (j->error) {
		fprintf(f, " (not decoded: %s)\n", j->error);
		return;
	}
	k = json_object_array_length(j->locations);
	for (size_t i = k; i-- > 0;) {
		struct json_object *loc = json_object_array_get_idx(j->locations, i);
		if (i == k - 1)
			fprintf(f, " (%s:%d)\n", jtext(loc, "file"), jint_loose(loc, "line"));
		else
			fprintf(f, "    inlined: %s (%s:%d)\n", jtext(loc, "function"), jtext(loc, "file"),
				jint_loose(loc, "line"));
	}
}

static void write_report(FILE *f, const char *log, size_t len, const struct report *r, const struct job *jobs,
			 size_t n)
{
	size_t pos = 0, ln, k = 0;
	const char *line;

	for (int no = 1; no <= r->end_line && next_line(log, len, &pos, &line, &ln); no++) {
		while (k < n && jobs[k].line < no)
			k++;
		if (no >= r->start_line)
			write_line(f, line, ln, k < n && jobs[k].line == no ? &jobs[k] : NULL);
	}
}

int decode_report_frames(struct decoder *d, const char *log, size_t len, const struct report *r,
			 FILE *decoded_log, struct json_object **frames)
{
	struct job *jobs;
	size_t n = collect(d, log, len, r, &jobs);
	int decoded = 0;

	for (size_t i = 0; i < n; i += BATCH)
		run_addr2line(d, jobs + i, n - i < BATCH ? n - i : BATCH);
	*frames = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object_array_add(*frames, job_json(&jobs[i]));
		decoded += !jobs[i].error;
	}
	if (decoded_log)
		write_report(decoded_log, log, len, r, jobs, n);
	for (size_t i = 0; i < n; i++)
		json_object_put(jobs[i].locations);
	free(jobs);
	return decoded;
}

/* Lines from..to of log, as they are. */
static void copy_lines(FILE *f, const char *log, size_t len, int from, int to)
{
	size_t pos = 0, ln;
	const char *line;

	for (int no = 1; no <= to && next_line(log, len, &pos, &line, &ln); no++)
		if (no >= from) {
			fwrite(line, 1, ln, f);
			fputc('\n', f);
		}
}

static struct json_object *report_entry(const struct report *r)
{
	struct json_object *o = json_object_new_object();
	char title[sizeof(r->title)];

	memcpy(title, r->title, sizeof(title));
	sanitize_text(title, false); /* guest bytes, as run.c does for the run's title */
	json_object_object_add(o, "title", json_object_new_string(title));
	json_object_object_add(o, "start_line", json_object_new_int(r->start_line));
	json_object_object_add(o, "end_line", json_object_new_int(r->end_line));
	return o;
}

/* Decodes each report into its entry of out and into the decoded console f. */
static void decode_all(struct decoder *d, const char *log, size_t len, const struct report *all, int n,
		       struct json_object *out, FILE *f)
{
	int next = 1;

	for (int i = 0; i < n; i++) {
		struct json_object *e = report_entry(&all[i]), *frames;
		if (i < MAX_REPORTS) {
			copy_lines(f, log, len, next, all[i].start_line - 1);
			decode_report_frames(d, log, len, &all[i], f, &frames);
			json_object_object_add(e, "frames", frames);
			next = all[i].end_line + 1;
		} else {
			json_object_object_add(e, "not_decoded",
					       json_object_new_string("not decoded: only the first 8 reports are"));
		}
		json_object_array_add(out, e);
	}
	copy_lines(f, log, len, next, INT_MAX);
}

struct json_object *decode_console(const char *dir, const char *vmlinux, const char *release)
{
	char path[PATH_MAX + 32], found[PATH_MAX], why[PATH_MAX + 128];
	struct report *all = NULL;
	struct json_object *out = NULL;
	struct decoder *d;
	char *log, *text = NULL;
	size_t len, tlen = 0;
	int n = 0;
	FILE *f;

	xsnprintf(path, sizeof(path), "%s/console.log", dir);
	if (!(log = read_file_limited(path, MAX_LOG_BYTES, &len)) || report_parse_all(log, len, &all, &n) < 0 || !n)
		goto done;
	out = json_object_new_array();
	decode_find_vmlinux(vmlinux, release, found, sizeof(found));
	if (!(d = decoder_open(found, why, sizeof(why)))) {
		for (int i = 0; i < n; i++) {
			struct json_object *e = report_entry(&all[i]);
			json_object_object_add(e, "not_decoded", json_object_new_string(why));
			json_object_array_add(out, e);
		}
		goto done;
	}
	f = open_memstream(&text, &tlen);
	decode_all(d, log, len, all, n, out, f);
	fclose(f);
	xsnprintf(path, sizeof(path), "%s/console.decoded.log", dir);
	write_file_atomic(path, text, tlen);
	free(text);
	decoder_close(d);
done:
	free(all);
	free(log);
	return out;
}
