/* SPDX-License-Identifier: MIT */
/* The plan: the runs a suite expands to, in order. */
#ifndef DEADPEER_PLAN_H
#define DEADPEER_PLAN_H

#include "suite.h"

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
 * Release with plan_free. The list is not inherited by a forked child
 * (xcalloc_unshared): a child is given the runs it needs.
 */
struct planned *suite_plan(const struct suite *s, const struct plan_opts *o, size_t *count);
void plan_free(struct planned *p, size_t n);

/*
 * The name a run's files share: "<scenario>-<variant>-<run>", variants
 * numbered from 1 ("keepalive-2-1"), for pcap/ and runs/. Returns @buf.
 */
const char *planned_stem(const struct planned *p, char *buf, size_t len);

/*
 * What identifies a suite's run list, whatever machine or shard it runs on:
 * a hash (FNV-1a) of each run's scenario name, variant name and repetition.
 */
uint64_t plan_fingerprint(const struct planned *p, size_t n);

/*
 * suite.txt of a results directory: which deadpeer ran which suite (its
 * fingerprint and run count) and which shard of it, so that deadpeer merge
 * joins only shards of one suite. 0, or -1 with errno.
 */
int write_suite_info(const char *path, uint64_t suite, size_t runs, long shard_k, long shard_n);

#endif
