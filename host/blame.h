/* Series blame: the first patch of a series that makes a test point
 * change from the base's verdict to the head's. */
#ifndef MMREPRO_BLAME_H
#define MMREPRO_BLAME_H

#include <stdbool.h>

#include "point.h"
#include "series.h"

struct blame_result {
	int first_bad;                /* 1-based patch index; 0 when inconclusive */
	int lo, hi;                   /* the candidates are patches lo+1..hi */
	char file[256], subject[256];
	int builds;
	char note[256];
};

/* With base good and base + all of s bad (fix: base bad, base + s good),
 * finds the first patch like the head: about log2(patches) incremental
 * builds of base + patches 1..k, each a test point under dir. Returns 0
 * or an exit code (interrupted). */
int bisect_series_blame(const struct point_ctx *x, const char *base, const struct series *s, bool fix,
			const char *dir, struct blame_result *out);

#endif
