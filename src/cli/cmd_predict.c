// SPDX-License-Identifier: MIT
/*
 * deadpeer predict: what the kernel's rules say each side of each run will
 * see, when, and the window the timer wheel's rounding allows; with -v the
 * timer instants before it. No root.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "kernel.h"
#include "names.h"
#include "predict.h"
#include "suite.h"

/* "4.085 s" */
static const char *secs(char *buf, size_t len, int64_t ms)
{
	char t[32];

	format_thousandths(t, sizeof(t), ms);
	snprintf(buf, len, "%s s", t);
	return buf;
}

/* "4.069–4.101 s" */
static const char *span(char *buf, size_t len, int64_t lo, int64_t hi)
{
	char a[24], b[24];

	format_thousandths(a, sizeof(a), lo);
	format_thousandths(b, sizeof(b), hi);
	snprintf(buf, len, "%s–%s s", a, b);
	return buf;
}

static void print_side(int side, const struct prediction *p, bool verbose)
{
	char what[48], t[32] = "", w[96] = "";

	if (p->outcome == OUTCOME_COUNT)
		snprintf(what, sizeof(what), "no prediction");
	else
		format_outcome(what, sizeof(what), p->outcome, p->mechanism);
	if (p->has_time)
		format_duration(t, sizeof(t), p->ms);
	if (p->has_window) {
		char s[64];
		snprintf(w, sizeof(w), ", window %s", span(s, sizeof(s), p->earliest_ms, p->latest_ms));
	}
	printf("  %s: %s%s%s%s  (%s)\n", host_name(side), what, p->has_time ? " at " : "", t, w, p->rule);
	if (!verbose)
		return;
	if (p->has_window)
		printf("    timer wheel at HZ %d; the window is every phase of the jiffy the chain starts in\n", p->hz);
	for (size_t i = 0; i < p->n_events; i++) {
		char a[64], b[64];
		const struct predicted_event *e = &p->events[i];
		printf("    %-28s %s%s\n", timer_event_name(e->kind), e->lo_ms == e->hi_ms ? "at " : "",
		       e->lo_ms == e->hi_ms ? secs(a, sizeof(a), e->lo_ms) : span(b, sizeof(b), e->lo_ms, e->hi_ms));
	}
}

const struct option predict_options[] = {
	{ "verbose", no_argument, NULL, 'v' },
	{ "hz", required_argument, NULL, 'H' },
	{ NULL, 0, NULL, 0 },
};

void predict_usage(FILE *f)
{
	fputs("usage: deadpeer predict [-v] [--hz N] [PATH...]\n\n"
	      "What the kernel's timer rules predict for each run of the scenario files (default: the shipped\n"
	      "suite): each side's outcome, mechanism, detection time and the window the timer wheel allows.\n"
	      "No root needed.\n"
	      "  -v, --verbose      also each timer instant of the chain (probes, retransmissions...)\n"
	      "      --hz N         another kernel's HZ (100, 250, 300, 1000) instead of this machine's\n"
	      "Exit 0, or 2: bad usage or an invalid scenario file.\n",
	      f);
}

enum status cmd_predict(int argc, char **argv)
{
	struct suite s;
	bool verbose = false;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":v", predict_options, NULL)) != -1) {
		switch (c) {
		case 'v':
			verbose = true;
			break;
		case 'H': {
			int64_t hz;
			if (parse_int64(optarg, &hz) < 0 || hz < 1 || hz > 10000) {
				fprintf(stderr, "deadpeer predict: --hz wants the kernel's HZ (1..10000), not '%s'\n", optarg);
				return STATUS_USAGE;
			}
			predict_set_hz((int)hz);
			break;
		}
		case ':':
			fprintf(stderr, "deadpeer predict: %s needs a value (the kernel's HZ: 100, 250, 300, 1000...)\n",
				argv[optind - 1]);
			return STATUS_USAGE;
		default:
			fprintf(stderr, "deadpeer predict: unknown option '%s'\n", argv[optind - 1]);
			return STATUS_USAGE;
		}
	}
	argv[optind - 1] = argv[0];
	if (suite_load_args(&s, "predict", argc - optind + 1, argv + optind - 1) < 0)
		return STATUS_USAGE;
	if (predict_hz() <= 0)
		fprintf(stderr, "deadpeer predict: this kernel's HZ is unknown (no CONFIG_HZ in /proc/config.gz or "
				"/boot/config-*, /proc/timer_list unreadable): nominal times without windows; --hz N gives them\n");
	for (size_t f = 0; f < s.n_files; f++) {
		size_t n = scenario_variant_count(s.files[f]);
		for (size_t i = 0; i < n; i++) {
			struct variant v;
			if (scenario_variant(s.files[f], i, &v, stderr) < 0)
				continue;
			printf("%s\n", v.name);
			for (int side = 0; side < SIDE_COUNT; side++) {
				struct prediction p;
				predict_side(&v, side, false, 0, &p);
				print_side(side, &p, verbose);
			}
			variant_release(&v);
		}
	}
	suite_free(&s);
	return STATUS_PASS;
}
