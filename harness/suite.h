/* SPDX-License-Identifier: MIT */
/* A suite: the scenario files named on the command line, loaded and checked. */
#ifndef DEADPEER_SUITE_H
#define DEADPEER_SUITE_H

#include <stdio.h>

#include "scenario.h"

struct suite {
	struct scenario **files;	/* owned, in command-line then file-name order */
	size_t n_files;
};

/*
 * Load every file named by @paths (files, or directories whose *.scn files
 * are taken in name order; none: the shipped suite) and check every variant.
 * Returns 0, or -1 after printing each problem as "FILE:LINE: message".
 */
int suite_load(struct suite *s, char **paths, int n_paths, FILE *err);
void suite_free(struct suite *s);

/* One run to do: a variant (owning its name) and its repetition number. */
struct planned {
	struct variant v;
	unsigned run;			/* 1-based */
};

struct plan_opts {
	const char *filter;		/* glob on scenario or variant names; NULL: all */
	long repeat;			/* 0: each file's repeat */
	long shard_k, shard_n;		/* keep the K-th (1-based) of N slices; N = 0: all */
};

/*
 * Expand, filter, repeat and shard the suite into its list of runs, in a
 * fixed order (files, then variants, then repetitions). Run i of the full
 * list belongs to shard (i mod N) + 1, so the N shards partition it.
 * Release with plan_free.
 */
struct planned *suite_plan(const struct suite *s, const struct plan_opts *o, size_t *count);
void plan_free(struct planned *p, size_t n);

/* The directory of the shipped scenarios. */
const char *suite_default_dir(void);

#endif
