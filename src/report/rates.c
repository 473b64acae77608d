// SPDX-License-Identifier: MIT
/* Rates of outcomes over repeated runs: see rates.h. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "rates.h"

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Failed runs (-1) after every outcome. */
static int outcome_rank(int o)
{
	return o < 0 ? OUTCOME_COUNT : o;
}

static int by_frequency(const void *a, const void *b)
{
	const struct rate *x = a, *y = b;

	if (x->runs != y->runs)
		return x->runs > y->runs ? -1 : 1;
	if (x->outcome != y->outcome)
		return outcome_rank(x->outcome) - outcome_rank(y->outcome);
	return x->mechanism - y->mechanism;
}

size_t rates_count(const struct rate_sample *s, size_t n, struct rate *out)
{
	int64_t *times = xcalloc(n + 1, sizeof(*times));
	size_t groups = 0;

	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		for (size_t g = 0; g < groups; g++)
			seen = seen || (out[g].outcome == s[i].outcome && out[g].mechanism == s[i].mechanism);
		if (seen)
			continue;
		struct rate *r = &out[groups++];
		size_t timed = 0;
		*r = (struct rate){ .outcome = s[i].outcome, .mechanism = s[i].mechanism };
		for (size_t j = i; j < n; j++) {
			if (s[j].outcome != r->outcome || s[j].mechanism != r->mechanism)
				continue;
			r->runs++;
			if (s[j].detected)
				times[timed++] = s[j].detect_ms;
		}
		if (timed) {
			/* The middle one; of an even count the upper of the two, as deadpeer table's medians. */
			qsort(times, timed, sizeof(*times), cmp_i64);
			r->has_median = true;
			r->median_ms = times[timed / 2];
		}
	}
	free(times);
	qsort(out, groups, sizeof(*out), by_frequency);
	return groups;
}

void format_percent(char *buf, size_t len, size_t part, size_t total)
{
	double pc = total ? 100.0 * (double)part / (double)total : 0;
	long whole = (long)(pc + 0.5);

	/* A rare outcome must not read as 0 %, nor an almost certain one as 100 %. */
	if ((whole == 0 && part) || (whole == 100 && part < total))
		snprintf(buf, len, "%.1f %%", pc);
	else
		snprintf(buf, len, "%ld %%", whole);
}

/* "timeout/keepalive"; "run failed" for the runs that could not be completed. */
static void rate_what(char *buf, size_t len, const struct rate *r)
{
	if (r->outcome < 0)
		snprintf(buf, len, "run failed");
	else
		format_outcome(buf, len, r->outcome, r->mechanism);
}

void rates_format(char *buf, size_t len, const struct rate *r, size_t n, size_t total)
{
	size_t k = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && k < len; i++) {
		char what[64], pc[32], t[32] = "";
		rate_what(what, sizeof(what), &r[i]);
		format_percent(pc, sizeof(pc), r[i].runs, total);
		if (r[i].has_median)
			format_thousandths(t, sizeof(t), r[i].median_ms);
		k += (size_t)snprintf(buf + k, len - k, "%s%s %zu of %zu (%s%s%s%s)", i ? ", " : "", what, r[i].runs,
				      total, pc, !r[i].has_median ? "" : r[i].runs > 1 ? ", median " : ", ", t,
				      r[i].has_median ? " s" : "");
	}
}

/* What a run's side counts as. */
static struct rate_sample sample_of(const struct run_result *r, int side)
{
	const struct side_result *s = &r->side[side];

	if (r->failed)
		return (struct rate_sample){ .outcome = -1, .mechanism = MECH_NONE };
	return (struct rate_sample){ s->outcome, s->mechanism, s->detected, s->detect_ms };
}

size_t rates_group_runs(const struct planned *p, const struct run_result *res, const bool *finished, size_t n,
			struct rate_group **out)
{
	struct rate_group *g = xcalloc(n + 1, sizeof(*g));
	size_t groups = 0;

	for (size_t i = 0; i < n; i++) {
		size_t k;
		if (!finished[i])
			continue;
		for (k = 0; k < groups && strcmp(g[k].v->name, p[i].v.name) != 0; k++)
			;
		if (k == groups) {
			g[groups].v = &p[i].v;
			for (int s = 0; s < SIDE_COUNT; s++)
				g[groups].side[s] = xcalloc(n, sizeof(*g[groups].side[s]));
			groups++;
		}
		for (int s = 0; s < SIDE_COUNT; s++)
			g[k].side[s][g[k].total] = sample_of(&res[i], s);
		g[k].total++;
	}
	*out = g;
	return groups;
}

void rates_groups_free(struct rate_group *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (int s = 0; s < SIDE_COUNT; s++)
			free(g[i].side[s]);
	free(g);
}

static const char *const rates_columns[] = {
	"scenario", "variant", "side", "outcome", "mechanism", "runs", "total", "rate", "median_detect_ms",
};

int rates_csv_header(FILE *f)
{
	for (size_t c = 0; c < ARRAY_SIZE(rates_columns); c++)
		fprintf(f, "%s%s", c ? "," : "", rates_columns[c]);
	fputs("\r\n", f);
	return file_flush_checked(f);
}

int rates_csv_rows(FILE *f, const struct rate_group *g)
{
	struct rate *r = xcalloc(g->total + 1, sizeof(*r));
	char label[512], rate[32], median[32];

	variant_label(g->v, label, sizeof(label));
	for (int s = 0; s < SIDE_COUNT; s++) {
		size_t n = rates_count(g->side[s], g->total, r);
		for (size_t i = 0; i < n; i++) {
			/* A failed run has no outcome, as in results.csv. */
			const char *fields[] = {
				scenario_name(g->v->scenario), label, host_name(s),
				r[i].outcome < 0 ? "" : outcome_name(r[i].outcome),
				r[i].outcome < 0 ? "" : mechanism_name(r[i].mechanism),
			};
			for (size_t c = 0; c < ARRAY_SIZE(fields); c++) {
				csv_field(f, fields[c]);
				fputc(',', f);
			}
			snprintf(rate, sizeof(rate), "%.3f", (double)r[i].runs / (double)g->total);
			snprintf(median, sizeof(median), "%" PRId64, r[i].median_ms);
			fprintf(f, "%zu,%zu,%s,%s\r\n", r[i].runs, g->total, rate, r[i].has_median ? median : "");
		}
	}
	free(r);
	return file_flush_checked(f);
}
