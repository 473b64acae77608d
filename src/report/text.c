// SPDX-License-Identifier: MIT
/* What a person reads: the line per finished run, -v's details, the summary table. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rates.h"
#include "text.h"

bool run_passed(const struct run_result *r)
{
	return !r->failed && r->side[0].verdict != VERDICT_FAIL && r->side[1].verdict != VERDICT_FAIL;
}

/* A run's word: "FAIL", "pass" where a side met its expectation, "-" where none was set. */
static const char *run_verdict(const struct run_result *r)
{
	if (!run_passed(r))
		return "FAIL";
	if (r->side[0].verdict == VERDICT_PASS || r->side[1].verdict == VERDICT_PASS)
		return verdict_name(VERDICT_PASS);
	return verdict_name(VERDICT_NONE);
}

/* A side as the run line shows it: the kernel's view, and a program's own beside it. */
static void side_line(char *buf, size_t len, const struct run_result *r, enum host side)
{
	const struct side_result *sr = &r->side[side];
	char app[64];

	side_summary(buf, len, sr);
	if (!r->v->side[side].app.command || sr->outcome == OUTCOME_KILLED)
		return;
	app_summary(app, sizeof(app), sr);
	size_t used = strlen(buf);
	snprintf(buf + used, len - used, " (program: %s)", app);
}

void print_run_line(FILE *f, size_t i, size_t n, const struct planned *p, const struct run_result *r)
{
	char c[160], s[160];

	side_line(c, sizeof(c), r, HOST_CLIENT);
	side_line(s, sizeof(s), r, HOST_SERVER);
	if (r->failed)
		fprintf(f, "[%zu/%zu] %s #%u: ERROR %s\n", i + 1, n, p->v.name, p->run, r->error);
	else
		fprintf(f, "[%zu/%zu] %s #%u: client %s, server %s  %s\n", i + 1, n, p->v.name, p->run, c, s,
			run_verdict(r));
	fflush(f);
}

/* -v: what each side's figures were, as in the CSV: outcome/mechanism are its two columns, "-" included. */
void print_details(FILE *f, const struct run_result *r)
{
	for (int s = 0; s < SIDE_COUNT && !r->failed; s++) {
		const struct side_result *sr = &r->side[s];
		char what[512];

		fprintf(f, "      %s: %s/%s", host_name(s), outcome_name(sr->outcome), mechanism_name(sr->mechanism));
		if (sr->err)
			fprintf(f, " %s", errno_name(sr->err));
		if (sr->detected)
			fprintf(f, " detect=%" PRId64 "ms", sr->detect_ms);
		if (sr->has_last_rx)
			fprintf(f, " last_rx=%" PRId64 "ms", sr->last_rx_ms);
		if (sr->outcome != OUTCOME_KILLED)
			fprintf(f, " probes=%u retransmits=%u", sr->probes, sr->retransmits);
		if (sr->before.ts_ns)
			fprintf(f, " [before: unacked=%u outq=%u notsent=%u snd_wnd=%u probes=%u]", sr->before.unacked,
				sr->before.outq, sr->before.notsent, sr->before.snd_wnd, sr->before.probes);
		if (r->v->side[s].app.command || r->v->expect_app[s].text) {
			app_summary(what, sizeof(what), sr);
			fprintf(f, " app=%s", what);
		}
		if (sr->verdict != VERDICT_NONE)
			fprintf(f, " expected '%s': %s", side_expected(r->v, s, what, sizeof(what)),
				verdict_name(sr->verdict));
		fputc('\n', f);
	}
}

/*
 * Each variant run more than once: how often each outcome came, per side
 * ("timeout/keepalive 12 of 50 (24 %, median 3.050 s), none 38 of 50 (76 %)").
 */
static void print_rates(FILE *f, const struct planned *p, const struct run_result *res, const bool *finished,
			size_t n, size_t width)
{
	struct rate_group *g;
	size_t groups = rates_group_runs(p, res, finished, n, &g);
	struct rate *r = xcalloc(n + 1, sizeof(*r));
	bool any = false;

	for (size_t i = 0; i < groups; i++) {
		if (g[i].total < 2)
			continue;
		if (!any)
			fprintf(f, "\n%-*s  rate of each outcome over the repeated runs\n", (int)width, "scenario");
		any = true;
		for (int s = 0; s < SIDE_COUNT; s++) {
			char line[1024];
			rates_format(line, sizeof(line), r, rates_count(g[i].side[s], g[i].total, r), g[i].total);
			fprintf(f, "%-*s  %s: %s\n", (int)width, s == 0 ? g[i].v->name : "", host_name(s), line);
		}
	}
	free(r);
	rates_groups_free(g, groups);
}

void print_summary(FILE *f, const struct planned *p, const struct run_result *res, const bool *finished,
			  size_t n)
{
	size_t width = strlen("scenario"), failed = 0, ran = 0;

	for (size_t i = 0; i < n; i++) {
		size_t w = strlen(p[i].v.name) + 4;
		if (!finished[i])
			continue;
		if (w > width)
			width = w;
		ran++;
		failed += !run_passed(&res[i]);
	}
	fprintf(f, "\n%-*s  %-31s %-31s %s\n", (int)width, "scenario", "client", "server", "verdict");
	/* Failures first, each with what was expected and what came. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			const struct run_result *r = &res[i];
			char name[600], c[64], s[64];
			if (!finished[i] || run_passed(r) != (pass == 1))
				continue;
			snprintf(name, sizeof(name), "%s #%u", p[i].v.name, p[i].run);
			side_summary(c, sizeof(c), &r->side[HOST_CLIENT]);
			side_summary(s, sizeof(s), &r->side[HOST_SERVER]);
			if (r->failed) {
				fprintf(f, "%-*s  ERROR: %s\n", (int)width, name, r->error);
				continue;
			}
			fprintf(f, "%-*s  %-31s %-31s %s\n", (int)width, name, c, s, run_verdict(r));
			for (int side = 0; side < SIDE_COUNT && !run_passed(r); side++) {
				char want[512], app[64] = "";
				if (r->side[side].verdict != VERDICT_FAIL)
					continue;
				if (p[i].v.expect_app[side].text) {
					strcpy(app, "; app ");
					app_summary(app + 6, sizeof(app) - 6, &r->side[side]);
				}
				fprintf(f, "%-*s    %s: expected %s, got %s%s\n", (int)width, "", host_name(side),
					side_expected(&p[i].v, side, want, sizeof(want)), side == HOST_CLIENT ? c : s, app);
			}
		}
	}
	print_rates(f, p, res, finished, n, width);
	fprintf(f, "\n%zu run%s, %zu passed, %zu failed", ran, ran == 1 ? "" : "s", ran - failed, failed);
	if (ran < n)
		fprintf(f, ", %zu not run", n - ran);
	fputc('\n', f);
}

