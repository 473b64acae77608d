// SPDX-License-Identifier: MIT
/*
 * deadpeer advise: detection targets in, settings out (model/advise.c),
 * printed for people or as JSON. --verify writes the scenarios that check
 * the advice, with [expect] windows from the prediction of each file as
 * written, and runs them through `deadpeer run`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "advise.h"
#include "commands.h"
#include "suite.h"

#define DEFAULT_VERIFY_DIR "advise-verify"

void advise_usage(FILE *f)
{
	fputs("usage: deadpeer advise [--idle D] [--busy D] [--connect D] [--middlebox-idle D]\n"
	      "                       [--tolerate-loss N] [--knobs LIST] [--json] [--verify [-o DIR]]\n\n"
	      "Settings that detect a dead peer within the targets, what the kernel's rules predict for\n"
	      "them, and the same in libpq, Redis, OpenSSH, gRPC and socat. At least one target:\n"
	      "  --idle D             while the connection is idle (keepalive)\n"
	      "  --busy D             while data is unacknowledged (TCP_USER_TIMEOUT, tcp_retries2)\n"
	      "  --connect D          while connecting (tcp_syn_retries, TCP_USER_TIMEOUT)\n"
	      "  --middlebox-idle D   keep idle flows alive through a middlebox that forgets them after D\n"
	      "  --tolerate-loss N    lost keepalive probes in a row a live connection survives (default 1)\n"
	      "  --knobs LIST         what can be set, comma-separated (default all): keepalive (on/off only),\n"
	      "                       keepalive-timers, user-timeout, sysctls\n"
	      "  --json               one JSON object instead of text\n"
	      "  --verify             write the scenarios that check the advice into DIR/scenarios and run\n"
	      "                       them (root); the advice holds if every run lands in its window\n"
	      "  -o, --output DIR     with --verify (default " DEFAULT_VERIFY_DIR "); the run goes in DIR/results\n"
	      "  -h, --help           this text\n"
	      "Durations: 250ms, 30s, 5m, 1h. Exit 0: every target met (and verified), 1: one cannot be\n"
	      "met (the closest is printed) or a verifying run missed its window, 2: bad usage, 3: --verify\n"
	      "without the rights to run scenarios.\n",
	      f);
}

struct advise_opts {
	struct advise_targets t;
	bool json, verify;
	const char *dir;
};

PRINTF(1, 2) static int bad(const char *fmt, ...)
{
	va_list ap;

	fputs("deadpeer advise: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'deadpeer advise --help'.\n", stderr);
	return -1;
}

static int duration_opt(const char *opt, const char *text, int64_t *ms)
{
	const char *why = NULL;

	if (parse_duration_ms(text, ms, &why) < 0)
		return bad("%s: '%s' is not a duration (such as 30s, 5m or 1h)", opt, text);
	if (*ms <= 0 || *ms > DURATION_MAX_MS)
		return bad("%s: '%s' is out of range (more than 0, at most 30 days)", opt, text);
	return 0;
}

const struct option advise_options[] = {
	{ "idle", required_argument, NULL, 'i' },
	{ "busy", required_argument, NULL, 'b' },
	{ "connect", required_argument, NULL, 'c' },
	{ "middlebox-idle", required_argument, NULL, 'm' },
	{ "tolerate-loss", required_argument, NULL, 't' },
	{ "knobs", required_argument, NULL, 'k' },
	{ "json", no_argument, NULL, 'j' },
	{ "verify", no_argument, NULL, 'v' },
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* 0, 1 (--help: done), or -1 after a message. */
static int parse_options(int argc, char **argv, struct advise_opts *o)
{
	char msg[256];
	int c;

	*o = (struct advise_opts){ .t = { .tolerate_loss = 1, .knobs = KNOB_ALL } };
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", advise_options, NULL)) != -1) {
		switch (c) {
		case 'i': if (duration_opt("--idle", optarg, &o->t.target_ms[STATE_IDLE])) return -1; break;
		case 'b': if (duration_opt("--busy", optarg, &o->t.target_ms[STATE_BUSY])) return -1; break;
		case 'c': if (duration_opt("--connect", optarg, &o->t.target_ms[STATE_CONNECT])) return -1; break;
		case 'm': if (duration_opt("--middlebox-idle", optarg, &o->t.middlebox_idle_ms)) return -1; break;
		case 't':
			if (parse_int64(optarg, &o->t.tolerate_loss) < 0 || o->t.tolerate_loss < 0 || o->t.tolerate_loss > 126)
				return bad("--tolerate-loss: '%s' is not a whole number from 0 to 126", optarg);
			break;
		case 'k':
			if (advise_parse_knobs(optarg, &o->t.knobs, msg, sizeof(msg)) < 0)
				return bad("%s", msg);
			break;
		case 'j': o->json = true; break;
		case 'v': o->verify = true; break;
		case 'o': o->dir = optarg; break;
		case 'h':
			advise_usage(stdout);
			return 1;
		case ':':
			return bad("%s needs a value", argv[optind - 1]);
		default:
			return bad("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad("unexpected argument '%s'", argv[optind]);
	if (!o->t.target_ms[STATE_IDLE] && !o->t.target_ms[STATE_BUSY] && !o->t.target_ms[STATE_CONNECT] &&
	    !o->t.middlebox_idle_ms)
		return bad("give at least one target: --idle, --busy, --connect or --middlebox-idle");
	if (o->dir && !o->verify)
		return bad("-o goes with --verify");
	if (!o->dir)
		o->dir = DEFAULT_VERIFY_DIR;
	return 0;
}

/* Write the scenario of kind @k into @path, its [expect] from the prediction of the file itself. 0 or -1. */
static int write_scenario(const struct advice *a, enum verify_kind k, const char *path)
{
	char text[4096], expect[512];
	int n = verify_scenario(a, k, text, sizeof(text)), ret;
	struct scenario *sc;
	struct variant v;
	struct prediction p;

	if (n < 0 || (ret = save_file(path, text, (size_t)n)) < 0) {
		fprintf(stderr, "deadpeer advise: cannot write \"%s\": %s\n", path, n < 0 ? "too long" : strerror(-ret));
		return -1;
	}
	/* What `deadpeer predict` says of this very file. */
	if (!(sc = scenario_load(path, stderr)) || scenario_variant(sc, 0, &v, stderr) < 0) {
		fprintf(stderr, "deadpeer advise: internal error: the scenario written to \"%s\" does not load\n", path);
		scenario_free(sc);
		return -1;
	}
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	int m = verify_expect(a, k, &p, variant_first_fault_ms(&v), expect, sizeof(expect));
	variant_release(&v);
	scenario_free(sc);
	if (m < 0 || (size_t)n + (size_t)m >= sizeof(text)) {
		fprintf(stderr, "deadpeer advise: cannot write \"%s\": too long\n", path);
		return -1;
	}
	memcpy(text + n, expect, (size_t)m + 1);
	if ((ret = save_file(path, text, (size_t)(n + m))) < 0) {
		fprintf(stderr, "deadpeer advise: cannot write \"%s\": %s\n", path, strerror(-ret));
		return -1;
	}
	return 0;
}

/* --verify: the scenarios into DIR/scenarios, the run into DIR/results. */
static enum status verify(const struct advice *a, const struct advise_opts *o)
{
	char scen[4096], results[4096], path[4200];

	snprintf(scen, sizeof(scen), "%s/scenarios", o->dir);
	snprintf(results, sizeof(results), "%s/results", o->dir);
	if (mkdir_p(scen) < 0) {
		fprintf(stderr, "deadpeer advise: cannot create directory \"%s\": %s\n", scen, strerror(errno));
		return STATUS_USAGE;
	}
	for (int k = 0; k < VERIFY_COUNT; k++) {
		snprintf(path, sizeof(path), "%s/%s.scn", scen, verify_name(k));
		unlink(path);	/* a file of an earlier advice must not run with this one */
		if (verify_wanted(a, k) && write_scenario(a, k, path) < 0)
			return STATUS_USAGE;
	}
	char *argv[] = { "run", "-o", results, scen, NULL };
	int saved = -1;
	if (o->json) {
		/* stdout is for the JSON object: the run's report goes to stderr. */
		fflush(stdout);
		saved = dup(STDOUT_FILENO);
		dup2(STDERR_FILENO, STDOUT_FILENO);
	} else {
		printf("\nVerifying: the scenarios are in %s, the run goes in %s\n", scen, results);
		fflush(stdout);
	}
	enum status st = cmd_run(4, argv);
	if (saved >= 0) {
		fflush(stdout);
		dup2(saved, STDOUT_FILENO);
		close(saved);
	}
	if (st == STATUS_ENV)
		fprintf(stderr, "deadpeer advise: --verify runs scenarios, which needs root; they are in %s: "
			"run them as root with 'deadpeer run %s'\n", scen, scen);
	return st;
}

enum status cmd_advise(int argc, char **argv)
{
	struct advise_opts o;
	struct advice *a;
	int r = parse_options(argc, argv, &o);
	enum status st = STATUS_PASS;

	if (r)
		return r > 0 ? STATUS_PASS : STATUS_USAGE;
	a = xcalloc(1, sizeof(*a));
	advise(&o.t, a);
	if (!o.json)
		advice_text(stdout, a);
	if (o.verify)
		st = verify(a, &o);
	if (o.json) {
		advice_json(stdout, a, o.verify ? st == STATUS_PASS : -1);
		fputc('\n', stdout);
	} else if (o.verify && st == STATUS_PASS) {
		printf("Verified: every run landed in its predicted window.\n");
	} else if (o.verify && st != STATUS_ENV) {
		printf("NOT verified: a run missed its predicted window (see above).\n");
	}
	if (st == STATUS_PASS && !advice_met(a))
		st = STATUS_FAILED;
	free(a);
	if (fflush(stdout) != 0 && st == STATUS_PASS)
		st = STATUS_FAILED;
	return st;
}

void warn_traps(const struct suite *s, FILE *err)
{
	for (size_t f = 0; f < s->n_files; f++) {
		const struct scenario *sc = s->files[f];
		size_t n = scenario_variant_count(sc);
		for (size_t i = 0; i < n; i++) {
			struct variant v;
			if (scenario_variant(sc, i, &v, err) < 0)
				continue;	/* suite_load checked them all */
			for (int side = 0; side < SIDE_COUNT; side++) {
				struct trap traps[MAX_TRAPS];
				size_t k = advise_variant_traps(&v, side, traps);
				for (size_t t = 0; t < k; t++)
					fprintf(err, "%s: warning: %s, %s: %s\n", scenario_path(sc), v.name, host_name(side),
						traps[t].text);
			}
			variant_release(&v);
		}
	}
}
