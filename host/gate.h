/* `gate`: every case on a base kernel and on base + a patch series, with
 * the same runs and VM shape; a case that the series makes fail blocks
 * it, and the guilty patch is named. */
#ifndef MMREPRO_GATE_H
#define MMREPRO_GATE_H

#include <stdbool.h>

#include "arch.h"
#include "vm.h"

struct pool;

struct gate_opts {
	const char *base;             /* a source spec: src:deb-6.12, git:TREE@REV */
	const char *series;           /* quilt dir or mbox */
	const char *const *configs;   /* --config fragments, NULL-terminated, or NULL */
	const char *flavor;           /* --flavor: every case's, or NULL: each case's own */
	bool has_arch;                /* --arch: every case's */
	enum arch arch;
	const char *const *cases;     /* case names, NULL-terminated; NULL: every case */
	int runs;
	int jobs;                     /* cases tested at once, each in its own worker */
	int timeout_s;                /* 0: each case's own */
	bool verbose;
	enum accel_mode accel;
	struct pool *pool;            /* the slots runs go to; jobs is its size */
	const char *out;              /* NULL: results/<stamp>-gate-... */
	const char *title;            /* --title: every case's bug, or NULL: each case's own */
	bool fail_on_counters;        /* a flagged counter exits 1, not 0 */
};

/* Exit code: 0 no regression (cases whose counters changed included), 1
 * a regression (or a series that does not apply, a head that does not
 * build, or with fail_on_counters a flagged counter), 2 bad input, 125
 * the base could not be tested, 130 interrupted. */
int gate_run(const struct gate_opts *o);

#endif
