// SPDX-License-Identifier: MIT
/*
 * deadpeer run: load and check everything first (bad input: exit 2, nothing
 * created), check the machine (exit 3), then create the results directory and
 * run each selected run in turn, writing its CSV rows as it finishes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "report.h"
#include "run.h"
#include "suite.h"

struct options {
	const char *output;
	long repeat;		/* 0: the files' */
	const char *filter;
	long shard_k, shard_n;	/* 1-based K of N; N = 0: no sharding */
	long jobs;
	bool tap, quiet, verbose, pcap;
};

struct planned {
	struct variant v;
	unsigned run;
};

static int parse_long(const char *opt, const char *text, long min, long *out)
{
	char *end;

	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno || *end || end == text || v < min) {
		fprintf(stderr, "deadpeer run: %s needs a whole number of at least %ld, got '%s'\n", opt, min, text);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "filter", required_argument, NULL, 'f' },
		{ "shard", required_argument, NULL, 's' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "pcap", no_argument, NULL, 'p' },
		{ "tap", no_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct options){ .jobs = 1 };
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:j:qv", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': o->output = optarg; break;
		case 'r': if (parse_long("--repeat", optarg, 1, &o->repeat)) return -1; break;
		case 'f': o->filter = optarg; break;
		case 'j': if (parse_long("--jobs", optarg, 1, &o->jobs)) return -1; break;
		case 't': o->tap = true; break;
		case 'q': o->quiet = true; break;
		case 'v': o->verbose = true; break;
		case 's': {
			char *slash = strchr(optarg, '/');
			char k[32];
			if (!slash || (size_t)(slash - optarg) >= sizeof(k)) {
				fprintf(stderr, "deadpeer run: --shard needs K/N such as 1/4, got '%s'\n", optarg);
				return -1;
			}
			snprintf(k, sizeof(k), "%.*s", (int)(slash - optarg), optarg);
			if (parse_long("--shard K", k, 1, &o->shard_k) || parse_long("--shard N", slash + 1, 1, &o->shard_n))
				return -1;
			if (o->shard_k > o->shard_n) {
				fprintf(stderr, "deadpeer run: --shard %s: K must be at most N\n", optarg);
				return -1;
			}
			break;
		}
		case 'p': o->pcap = true; break;
		default:
			fprintf(stderr, "Try 'deadpeer --help'.\n");
			return -1;
		}
	}
	return 0;
}

/* Expand, filter, repeat and shard: the deterministic list of runs. */
static struct planned *plan(const struct suite *s, const struct options *o, size_t *count)
{
	struct planned *p = NULL;
	size_t n = 0, seen = 0;

	for (size_t f = 0; f < s->n_files; f++) {
		size_t nv = scenario_variant_count(s->files[f]);
		for (size_t i = 0; i < nv; i++) {
			struct variant v;
			if (scenario_variant(s->files[f], i, &v, stderr) < 0)
				continue;
			bool keep = !o->filter || fnmatch(o->filter, scenario_name(s->files[f]), 0) == 0 ||
				    fnmatch(o->filter, v.name, 0) == 0;
			long repeat = o->repeat ? o->repeat : v.repeat;
			bool kept = false;
			for (long r = 1; keep && r <= repeat; r++) {
				if (o->shard_n && (long)(seen++ % (size_t)o->shard_n) != o->shard_k - 1)
					continue;
				p = reallocarray(p, n + 1, sizeof(*p));
				if (!p)
					abort();
				p[n] = (struct planned){ v, (unsigned)r };
				if (kept)
					p[n].v.name = xstrdup(v.name);	/* each planned run owns its name */
				kept = true;
				n++;
			}
			if (!kept)
				variant_release(&v);
		}
	}
	*count = n;
	return p;
}

static int mkdir_p(const char *path)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* results/<UTC timestamp>/ with results/latest pointing at it. */
static int make_output(const struct options *o, char *dir, size_t len)
{
	if (o->output) {
		snprintf(dir, len, "%s", o->output);
		if (mkdir_p(dir) < 0) {
			fprintf(stderr, "deadpeer run: cannot create output directory \"%s\": %s\n", dir, strerror(errno));
			return -1;
		}
		return 0;
	}
	time_t now = time(NULL);
	struct tm tm;
	char stamp[64];

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	if (mkdir("results", 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "deadpeer run: cannot create directory \"results\": %s\n", strerror(errno));
		return -1;
	}
	for (int i = 1;; i++) {
		char name[80];
		if (i == 1)
			snprintf(name, sizeof(name), "%s", stamp);
		else
			snprintf(name, sizeof(name), "%s-%d", stamp, i);
		snprintf(dir, len, "results/%s", name);
		if (mkdir(dir, 0755) == 0) {
			unlink("results/latest.tmp");
			if (symlink(name, "results/latest.tmp") == 0)
				rename("results/latest.tmp", "results/latest");
			return 0;
		}
		if (errno != EEXIST) {
			fprintf(stderr, "deadpeer run: cannot create directory \"%s\": %s\n", dir, strerror(errno));
			return -1;
		}
	}
}

static bool run_passed(const struct run_result *r)
{
	return !r->failed && r->side[0].verdict != VERDICT_FAIL && r->side[1].verdict != VERDICT_FAIL;
}

static void print_run_line(FILE *f, size_t i, size_t n, const struct planned *p, const struct run_result *r)
{
	char c[64], s[64];

	side_summary(c, sizeof(c), &r->side[HOST_CLIENT]);
	side_summary(s, sizeof(s), &r->side[HOST_SERVER]);
	if (r->failed)
		fprintf(f, "[%zu/%zu] %s #%u: ERROR %s\n", i + 1, n, p->v.name, p->run, r->error);
	else
		fprintf(f, "[%zu/%zu] %s #%u: client %s, server %s  %s\n", i + 1, n, p->v.name, p->run, c, s,
			run_passed(r) ? (r->side[0].verdict == VERDICT_PASS || r->side[1].verdict == VERDICT_PASS ? "pass" : "-")
				      : "FAIL");
	fflush(f);
}

/* -v: what each side's figures were, as in the CSV. */
static void print_details(FILE *f, const struct run_result *r)
{
	for (int s = 0; s < SIDE_COUNT && !r->failed; s++) {
		const struct side_result *sr = &r->side[s];
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
		if (sr->verdict != VERDICT_NONE)
			fprintf(f, " expected '%s': %s", r->v->expect[s].text, verdict_name(sr->verdict));
		fputc('\n', f);
	}
}

static void print_summary(FILE *f, const struct planned *p, const struct run_result *res, size_t n)
{
	size_t width = strlen("scenario"), failed = 0;

	for (size_t i = 0; i < n; i++) {
		size_t w = strlen(p[i].v.name) + 4;
		if (w > width)
			width = w;
		failed += !run_passed(&res[i]);
	}
	fprintf(f, "\n%-*s  %-31s %-31s %s\n", (int)width, "scenario", "client", "server", "verdict");
	/* Failures first, each with what was expected and what came. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			const struct run_result *r = &res[i];
			char name[600], c[64], s[64];
			if (run_passed(r) != (pass == 1))
				continue;
			snprintf(name, sizeof(name), "%s #%u", p[i].v.name, p[i].run);
			side_summary(c, sizeof(c), &r->side[HOST_CLIENT]);
			side_summary(s, sizeof(s), &r->side[HOST_SERVER]);
			if (r->failed) {
				fprintf(f, "%-*s  ERROR: %s\n", (int)width, name, r->error);
				continue;
			}
			const char *verdict = !run_passed(r) ? "FAIL" :
				(r->side[0].verdict == VERDICT_PASS || r->side[1].verdict == VERDICT_PASS) ? "pass" : "-";
			fprintf(f, "%-*s  %-31s %-31s %s\n", (int)width, name, c, s, verdict);
			for (int side = 0; side < SIDE_COUNT && !run_passed(r); side++)
				if (r->side[side].verdict == VERDICT_FAIL)
					fprintf(f, "%-*s    %s: expected %s, got %s\n", (int)width, "", host_name(side),
						p[i].v.expect[side].text, side == HOST_CLIENT ? c : s);
		}
	}
	fprintf(f, "\n%zu run%s, %zu passed, %zu failed\n", n, n == 1 ? "" : "s", n - failed, failed);
}

int cmd_run(int argc, char **argv)
{
	struct options o;
	struct suite s;
	struct planned *runs;
	struct run_result *res;
	size_t n;
	char dir[4096], path[4200], msg[512];
	int code = EXIT_PASS;

	if (parse_options(argc, argv, &o) < 0)
		return EXIT_USAGE;
	if (suite_load(&s, argv + optind, argc - optind, stderr) < 0) {
		suite_free(&s);
		return EXIT_USAGE;
	}
	runs = plan(&s, &o, &n);
	if (!n) {
		fprintf(stderr, "deadpeer run: no runs selected%s%s\n", o.filter ? " by --filter " : "",
			o.filter ? o.filter : "");
		suite_free(&s);
		return EXIT_USAGE;
	}
	if (run_preflight(msg, sizeof(msg)) < 0) {
		fprintf(stderr, "deadpeer: %s\n", msg);
		code = EXIT_ENV;
		goto out;
	}
	if (make_output(&o, dir, sizeof(dir)) < 0) {
		code = EXIT_USAGE;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/pcap", dir);
	if (o.pcap && mkdir(path, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "deadpeer run: cannot create directory \"%s\": %s\n", path, strerror(errno));
		code = EXIT_USAGE;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/results.csv", dir);
	FILE *csv = fopen(path, "w");
	if (!csv) {
		fprintf(stderr, "deadpeer run: cannot create \"%s\": %s\n", path, strerror(errno));
		code = EXIT_USAGE;
		goto out;
	}
	csv_header(csv);

	FILE *human = o.tap ? stderr : stdout;
	bool live = isatty(STDERR_FILENO) && !o.quiet;
	if (o.jobs > 1 && !o.quiet)
		fprintf(stderr, "deadpeer run: this version runs scenarios one at a time (--jobs %ld ignored)\n", o.jobs);
	if (o.tap)
		printf("1..%zu\n", n);
	res = xcalloc(n, sizeof(*res));
	for (size_t i = 0; i < n; i++) {
		if (live)
			fprintf(stderr, "\r\033[K[%zu done, 1 running, %zu left] %s", i, n - i - 1, runs[i].v.name);
		char prefix[4500];
		struct run_opts ro = { NULL };
		if (o.pcap) {
			/* pcap/<scenario>-<variant>-<run>-<side>.pcap, variants numbered from 1 */
			snprintf(prefix, sizeof(prefix), "%s/pcap/%s-%zu-%u", dir, scenario_name(runs[i].v.scenario),
				 runs[i].v.index + 1, runs[i].run);
			ro.pcap_prefix = prefix;
		}
		run_variant(&runs[i].v, runs[i].run, &ro, &res[i]);
		if (live)
			fputs("\r\033[K", stderr);
		csv_rows(csv, &res[i]);
		if (!o.quiet)
			print_run_line(human, i, n, &runs[i], &res[i]);
		if (o.verbose)
			print_details(human, &res[i]);
		if (o.tap)
			printf("%s %zu - %s #%u%s%s\n", run_passed(&res[i]) ? "ok" : "not ok", i + 1, runs[i].v.name,
			       runs[i].run, res[i].failed ? " # error: " : "", res[i].failed ? res[i].error : "");
		if (!run_passed(&res[i]))
			code = EXIT_FAILED;
	}
	fclose(csv);
	print_summary(human, runs, res, n);
	snprintf(path, sizeof(path), "%s/summary.txt", dir);
	FILE *sum = fopen(path, "w");
	if (sum) {
		print_summary(sum, runs, res, n);
		fclose(sum);
	}
	fprintf(human, "CSV: %s/results.csv\n", dir);
	free(res);
out:
	for (size_t i = 0; i < n; i++)
		variant_release(&runs[i].v);
	free(runs);
	suite_free(&s);
	return code;
}
