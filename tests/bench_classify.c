/* make bench-classify: classifier throughput in process (report_parse_all
 * over clean and over report-dense logs built from the corpus) and the
 * cost of decoding a report's frames with addr2line.
 * Usage: bench-classify ROOT [DWARF_ELF [VMLINUX_WITHOUT_DWARF]] */
#include "decode.h"
#include "report.h"
#include "util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TARGET_BYTES (64u << 20)
#define PASSES 5

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The corpus logs with (crashes) or without reports, repeated to
 * TARGET_BYTES. */
static char *build_log(const char *root, bool crashes, size_t *len)
{
	char dir[4096], path[8192];
	struct dirent **list;
	int n;
	char *all = xcalloc(TARGET_BYTES + (1u << 20), 1);
	size_t o = 0;

	snprintf(dir, sizeof(dir), "%s/tests/corpus", root);
	if ((n = scandir(dir, &list, NULL, alphasort)) < 0)
		die(EXIT_USAGE, "cannot read %s", dir);
	while (o < TARGET_BYTES) {
		size_t before = o;
		for (int i = 0; i < n && o < TARGET_BYTES; i++) {
			size_t l = strlen(list[i]->d_name), flen;
			if (l < 5 || strcmp(list[i]->d_name + l - 4, ".log"))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
			char *text = read_file(path, &flen);
			struct report r;
			report_parse(text, flen, &r);
			if (r.crash == crashes && o + flen < TARGET_BYTES + (1u << 20)) {
				memcpy(all + o, text, flen);
				o += flen;
			}
			free(text);
		}
		if (o == before)
			die(EXIT_USAGE, "no %s logs in %s", crashes ? "crash" : "clean", dir);
	}
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
	*len = o;
	return all;
}

static void throughput(const char *root, bool crashes)
{
	size_t len;
	char *log = build_log(root, crashes, &len);
	double t[PASSES];
	int reports = 0;

	for (int p = 0; p < PASSES; p++) {
		struct report *all;
		double start = now();
		report_parse_all(log, len, &all, &reports);
		t[p] = now() - start;
		free(all);
	}
	qsort(t, PASSES, sizeof(t[0]), compare);
	printf("classifier, %s: %.0f MB/s median (%.0f..%.0f) over %.1f MB, %d reports (%.1f per MB), "
	       "report_parse_all in process, %d passes\n",
	       crashes ? "report-dense logs" : "clean logs", len / 1e6 / t[PASSES / 2], len / 1e6 / t[PASSES - 1],
	       len / 1e6 / t[0], len / 1e6, reports, reports / (len / 1e6), PASSES);
	free(log);
}

/* One report of nframes frames naming functions of the ELF (a symbol that
 * exists in it, repeated). */
static char *frames_log(int nframes, size_t *len)
{
	size_t cap = 128 + (size_t)nframes * 64, o = 0;
	char *s = xcalloc(cap, 1);

	o += (size_t)snprintf(s + o, cap - o, "kernel BUG at host/report.c:1!\nCall Trace:\n");
	for (int i = 0; i < nframes; i++)
		o += (size_t)snprintf(s + o, cap - o, " %s+0x%x/0x200\n",
				      i % 3 == 0 ? "report_parse_all" : i % 3 == 1 ? "report_parse_from" : "report_to_json",
				      0x10 + i % 16);
	*len = o;
	return s;
}

static void decoding(const char *elf, int nframes)
{
	char why[8192];
	size_t len;
	char *log = frames_log(nframes, &len);
	struct report r;
	struct json_object *frames;
	double t0 = now(), t1, t2;
	struct decoder *d = decoder_open(elf, why, sizeof(why));

	if (!d)
		die(EXIT_USAGE, "%s", why);
	t1 = now();
	report_parse(log, len, &r);
	int ok = decode_report_frames(d, log, len, &r, NULL, &frames);
	t2 = now();
	printf("decoding, %s: open %.1f ms, one report of %d frames %.1f ms (%.2f ms per frame, %d decoded)\n",
	       elf, (t1 - t0) * 1e3, nframes, (t2 - t1) * 1e3, (t2 - t1) * 1e3 / nframes, ok);
	json_object_put(frames);
	decoder_close(d);
	free(log);
}

/* The runner's own path on a real run: every report of run_dir's
 * console.log decoded against a real kernel's DWARF vmlinux (rewrites
 * run_dir/console.decoded.log). */
static void decoding_console(const char *run_dir, const char *vmlinux)
{
	for (int i = 0; i < 3; i++) {
		double t0 = now();
		struct json_object *all = decode_console(run_dir, vmlinux, "");
		double ms = (now() - t0) * 1e3;
		size_t reports = all ? json_object_array_length(all) : 0, frames = 0;

		for (size_t k = 0; k < reports; k++) {
			struct json_object *f;
			if (json_object_object_get_ex(json_object_array_get_idx(all, k), "frames", &f))
				frames += json_object_array_length(f);
		}
		printf("decoding %s/console.log against %s: %zu reports, %zu frames, %.0f ms\n", run_dir, vmlinux,
		       reports, frames, ms);
		json_object_put(all);
	}
}

int main(int argc, char **argv)
{
	char why[8192];

	if (argc < 2)
		die(EXIT_USAGE, "usage: bench-classify ROOT [DWARF_ELF [VMLINUX_WITHOUT_DWARF [RUN_DIR DWARF_VMLINUX]]]");
	throughput(argv[1], false);
	throughput(argv[1], true);
	if (argc > 2) {
		decoding(argv[2], 20);
		decoding(argv[2], 60);
	}
	if (argc > 3) {
		double t0 = now();
		struct decoder *d = decoder_open(argv[3], why, sizeof(why));
		printf("decoding, a vmlinux without DWARF: %.2f ms to find out (%s)\n", (now() - t0) * 1e3,
		       d ? "it has DWARF" : why);
		decoder_close(d);
	}
	if (argc > 5)
		decoding_console(argv[4], argv[5]);
	return 0;
}
