/* SPDX-License-Identifier: MIT */
/*
 * Rates: how often each outcome came over a variant's repeated runs, per
 * side ("timeout/keepalive 12 of 50 (24 %, median 3.050 s)"). One
 * computation for the three places that show it: the summary and
 * rates.csv of `deadpeer run` (from its results) and `deadpeer table`
 * (from a results.csv).
 */
#ifndef DEADPEER_RATES_H
#define DEADPEER_RATES_H

#include <stdio.h>

#include "plan.h"
#include "report.h"

/* One side of one run, as the rates count it. */
struct rate_sample {
	int outcome;			/* enum outcome; -1: the run could not be completed */
	int mechanism;			/* enum mechanism */
	bool detected;
	int64_t detect_ms;
};

/* One outcome and mechanism of a side over its runs. */
struct rate {
	int outcome, mechanism;		/* as in struct rate_sample */
	size_t runs;			/* how many of the runs ended so */
	bool has_median;
	int64_t median_ms;		/* of those runs' detect_ms, where they have one */
};

/*
 * Group @n samples by outcome and mechanism into @out (room for @n): the
 * most frequent first, ties in the order of the enums, failed runs last.
 * Returns how many groups.
 */
size_t rates_count(const struct rate_sample *s, size_t n, struct rate *out);

/* "timeout/keepalive 12 of 50 (24 %, median 3.050 s), none 38 of 50 (76 %)" of @n rates over @total runs. */
void rates_format(char *buf, size_t len, const struct rate *r, size_t n, size_t total);

/* A share as people read it: "24 %", "0.4 %" (never 0 % or 100 % unless it is). */
void format_percent(char *buf, size_t len, size_t part, size_t total);

/* The finished runs of one variant of a `deadpeer run`. */
struct rate_group {
	const struct variant *v;	/* its first run's (borrowed) */
	size_t total;			/* finished runs */
	struct rate_sample *side[SIDE_COUNT];	/* one per finished run; owned */
};

/*
 * The finished runs of @p/@res (@n of them) by variant, in plan order.
 * Returns how many groups in *@out; free with rates_groups_free.
 */
size_t rates_group_runs(const struct planned *p, const struct run_result *res, const bool *finished, size_t n,
			struct rate_group **out);
void rates_groups_free(struct rate_group *g, size_t n);

/*
 * rates.csv (RFC 4180, like results.csv): the header, then one row per
 * outcome and mechanism per side per variant. Both return 0 or -errno.
 */
int rates_csv_header(FILE *f) MUST_CHECK;
int rates_csv_rows(FILE *f, const struct rate_group *g) MUST_CHECK;

#endif
