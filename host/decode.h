/* Trace decoding: every frame of a report to file:line (inlined frames
 * included) with binutils' addr2line, for kernels with a debug vmlinux. */
#ifndef MMREPRO_DECODE_H
#define MMREPRO_DECODE_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdio.h>

#include "report.h"

struct decoder;

/* The vmlinux to decode a kernel's traces with: its own (suite-built
 * kernels), else Debian's -dbg one for its release when installed. Sets
 * out to "" when there is none. */
void decode_find_vmlinux(const char *vmlinux, const char *release, char *out, size_t len);

/* Reads vmlinux's ELF symbol table and checks it has DWARF line tables.
 * NULL when it cannot decode, with why set: "not decoded: no debug
 * vmlinux", "not decoded: vmlinux has no debug info", ... */
struct decoder *decoder_open(const char *vmlinux, char *why, size_t whylen);
void decoder_close(struct decoder *d);

/* Decodes every "func+0x1a/0x40" frame, RIP and lock line of report r
 * (lines r->start_line..r->end_line of log). Writes those lines to
 * decoded_log (NULL: none) each followed by its location, and returns in
 * *frames a new JSON array with one object per frame:
 * {"line","function","offset","reliable","address","locations":[{"function",
 * "file","line"}...]} (innermost inlined function first), or with "error"
 * instead of address and locations. Returns the number of frames decoded. */
int decode_report_frames(struct decoder *d, const char *log, size_t len, const struct report *r,
			 FILE *decoded_log, struct json_object **frames);

/* For the runner: decodes every report of <dir>/console.log with the
 * vmlinux decode_find_vmlinux picks, writes <dir>/console.decoded.log
 * (the console with each frame followed by its location) and returns the
 * array for result.json's "decoded": per report {"title","start_line",
 * "end_line","frames"} or, when nothing can be decoded, {"title",
 * "start_line","end_line","not_decoded": why}. NULL when the console has
 * no report or cannot be read. */
struct json_object *decode_console(const char *dir, const char *vmlinux, const char *release);

/* A path from DWARF as the kernel tree names it: "../../src/deb-6.12.117/
 * mm/migrate.c" and "/root/.cache/mmrepro/obj/deb-6.12.117/../../src/
 * deb-6.12.117/mm/migrate.c" become "mm/migrate.c". */
void decode_clean_path(const char *path, char *out, size_t len);

#endif
