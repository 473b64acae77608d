// SPDX-License-Identifier: MIT
/*
 * deadpeer run: load and check everything first (bad input: exit 2, nothing
 * created), check the machine (exit 3), then create the results directory and
 * hand the runs to the scheduler, writing each run's CSV rows and record as it finishes;
 * at the end the summary and the rates of each outcome (rates.csv).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "plan.h"
#include "preflight.h"
#include "sandbox.h"
#include "rates.h"
#include "report.h"
#include "scheduler.h"
#include "suite.h"
#include "html.h"
#include "text.h"

/* Runs at once by default: they mostly sleep on kernel timers. */
/* A sweep that expands past this many runs is refused unless --max-runs says so. */
#define DEFAULT_MAX_RUNS 1000

struct options {
	const char *output;
	long repeat;		/* 0: the files' */
	const char *filter;
	long shard_k, shard_n;	/* 1-based K of N; N = 0: no sharding */
	long jobs;
	long max_runs;
	bool tap, quiet, verbose, pcap;
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

const struct option run_options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "repeat", required_argument, NULL, 'r' },
	{ "filter", required_argument, NULL, 'f' },
	{ "shard", required_argument, NULL, 's' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "max-runs", required_argument, NULL, 'm' },
	{ "pcap", no_argument, NULL, 'p' },
	{ "tap", no_argument, NULL, 't' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 },
};

void run_usage(FILE *f)
{
	fputs("usage: deadpeer run [options] [PATH...]\n\n"
	      "Run scenario files, or the *.scn files of directories (default: the shipped suite), as root.\n"
	      "  -o, --output DIR   write results.csv, summary.txt, rates.csv, runs/ and report.html in DIR\n"
	      "                     (default: results/<UTC timestamp>/, with results/latest)\n"
	      "      --repeat N     run every variant N times (overrides the files' repeat)\n"
	      "      --filter GLOB  run only scenarios whose name or variant name matches GLOB\n"
	      "      --shard K/N    run only the K-th of N deterministic slices of the runs\n"
	      "      --pcap         keep each host's capture in pcap/<scenario>-<variant>-<run>-<side>.pcap\n"
	      "  -j, --jobs N       runs at once (default: as many as this machine holds, at most 1024)\n"
	      "      --max-runs N   refuse a selection of more than N runs (default 1000)\n"
	      "      --tap          TAP output on stdout\n"
	      "  -q, --quiet        only the summary\n"
	      "  -v, --verbose      also print each run's error details and CSV row as it finishes\n"
	      "Exit 0: every expectation met; 1: one failed or a run could not complete; 2: bad usage or an\n"
	      "invalid scenario file (nothing is run); 3: this machine cannot run scenarios.\n",
	      f);
}

static int parse_options(int argc, char **argv, struct options *o)
{
	int c;

	*o = (struct options){ .jobs = 0, .max_runs = DEFAULT_MAX_RUNS };
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:j:qv", run_options, NULL)) != -1) {
		switch (c) {
		case 'o': o->output = optarg; break;
		case 'r': if (parse_long("--repeat", optarg, 1, &o->repeat)) return -1; break;
		case 'f': o->filter = optarg; break;
		case 'j': if (parse_long("--jobs", optarg, 1, &o->jobs)) return -1; break;
		case 'm': if (parse_long("--max-runs", optarg, 1, &o->max_runs)) return -1; break;
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
			fprintf(stderr, "Try 'deadpeer run --help'.\n");
			return -1;
		}
	}
	return 0;
}

/*
 * Hold @dir for this run until it ends: two runs writing one results.csv
 * would lose each other's rows. The lock goes with the process, however it
 * ends. Returns the locked descriptor, or -1 after a message.
 */
static int lock_output(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "deadpeer run: cannot open output directory \"%s\": %s\n", dir, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			fprintf(stderr, "deadpeer run: output directory \"%s\" is in use by another deadpeer run; "
				"wait for it or choose another with -o\n", dir);
		else
			fprintf(stderr, "deadpeer run: cannot lock output directory \"%s\": %s\n", dir, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* results/<UTC timestamp>/ with results/latest pointing at it; *@lock holds it. */
static int make_output(const struct options *o, char *dir, size_t len, int *lock)
{
	*lock = -1;
	if (o->output) {
		snprintf(dir, len, "%s", o->output);
		if (mkdir_p(dir) < 0) {
			fprintf(stderr, "deadpeer run: cannot create output directory \"%s\": %s\n", dir, strerror(errno));
			return -1;
		}
		*lock = lock_output(dir);
		return *lock < 0 ? -1 : 0;
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
			*lock = lock_output(dir);
			if (*lock < 0)
				return -1;
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

/* What the command does with each finished run: its CSV rows and its lines. */
struct output {
	const struct options *o;
	FILE *csv, *human;
	int write_err;			/* results.csv could not be written: -errno; the suite stops */
};

static int on_finish(struct scheduler *sch, size_t i, const uint8_t *record, size_t len)
{
	struct output *out = sch->arg;
	const struct options *o = out->o;
	const struct run_result *r = &sch->res[i];
	char stem[400], path[4600];
	int ret;

	if (!out->write_err && (ret = csv_rows(out->csv, r)) < 0) {
		out->write_err = ret;
		fprintf(stderr, "deadpeer run: cannot write \"%s/results.csv\": %s; stopping the suite\n", sch->dir,
			strerror(-ret));
	}
	snprintf(path, sizeof(path), "%s/runs/%s.obs", sch->dir, planned_stem(&sch->runs[i], stem, sizeof(stem)));
	if (!out->write_err && record && (ret = save_file(path, record, len)) < 0) {
		out->write_err = ret;
		fprintf(stderr, "deadpeer run: cannot write \"%s\": %s; stopping the suite\n", path, strerror(-ret));
	}
	if (!o->quiet)
		print_run_line(out->human, sch->done - 1, sch->n, &sch->runs[i], r);
	if (o->verbose)
		print_details(out->human, r);
	if (o->tap) {
		printf("%s %zu - %s #%u%s%s\n", run_passed(r) ? "ok" : "not ok", i + 1, sch->runs[i].v.name,
		       sch->runs[i].run, r->failed ? " # error: " : "", r->failed ? r->error : "");
		fflush(stdout);
	}
	return out->write_err ? -1 : 0;
}

/* rates.csv: each finished variant's outcomes per side, how often each came. 0 or -errno. */
static int write_rates(const char *path, const struct planned *p, const struct run_result *res,
		       const bool *finished, size_t n)
{
	struct rate_group *g;
	size_t groups = rates_group_runs(p, res, finished, n, &g);
	FILE *f = fopen(path, "w");
	int ret = f ? rates_csv_header(f) : -errno;

	for (size_t i = 0; i < groups && !ret; i++)
		ret = rates_csv_rows(f, &g[i]);
	if (f && fclose(f) != 0 && !ret)
		ret = -errno;
	rates_groups_free(g, groups);
	return ret;
}

/* "deadpeer 0.5 on Linux 6.1.0-28-amd64 x86_64, 2026-11-22 21:00 UTC: deadpeer run -j 8" */
static void banner(char *buf, size_t len, int argc, char **argv)
{
	struct utsname u;
	time_t now = time(NULL);
	struct tm tm;
	char when[32];
	size_t n;

	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	n = (size_t)snprintf(buf, len, "deadpeer %s on %s %s %s, %s: deadpeer", DEADPEER_VERSION, u.sysname, u.release,
			     u.machine, when);
	for (int i = 0; i < argc && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, " %s", argv[i]);
}

enum status cmd_run(int argc, char **argv)
{
	char header[1024];
	int probe_ns = -1, lock = -1;
	struct options o;
	struct suite s;
	struct planned *runs;
	struct run_result *res;
	size_t n;
	char dir[4096], path[4200], msg[512];
	enum status code = STATUS_PASS;

	banner(header, sizeof(header), argc, argv);	/* before getopt reorders argv */
	if (parse_options(argc, argv, &o) < 0)
		return STATUS_USAGE;
	if (suite_load(&s, argv + optind, argc - optind, stderr) < 0) {
		suite_free(&s);
		return STATUS_USAGE;
	}
	warn_traps(&s, stderr);
	struct plan_opts po = { o.filter, o.repeat, o.shard_k, o.shard_n };
	runs = suite_plan(&s, &po, &n);
	/* Which suite this is, whatever the shard: for deadpeer merge to join only shards of one suite. */
	struct plan_opts whole = { o.filter, o.repeat, 0, 0 };
	size_t n_whole;
	struct planned *all = suite_plan(&s, &whole, &n_whole);
	uint64_t suite_id = plan_fingerprint(all, n_whole);
	plan_free(all, n_whole);
	if (!n) {
		fprintf(stderr, "deadpeer run: no runs selected%s%s\n", o.filter ? " by --filter " : "",
			o.filter ? o.filter : "");
		suite_free(&s);
		return STATUS_USAGE;
	}
	if ((long)n > o.max_runs) {
		fprintf(stderr, "deadpeer run: the selection expands to %zu runs, more than the limit of %ld "
			"(check what your sweeps multiply to with 'deadpeer check', or raise it with --max-runs %zu)\n",
			n, o.max_runs, n);
		code = STATUS_USAGE;
		goto out;
	}
	const struct variant **vs = xcalloc(n, sizeof(*vs));
	for (size_t i = 0; i < n; i++)
		vs[i] = &runs[i].v;
	int pre = run_preflight(vs, n, &probe_ns, msg, sizeof(msg));
	bool apps = false;
	for (size_t i = 0; i < n; i++)
		for (int side = 0; side < SIDE_COUNT; side++)
			apps |= vs[i]->side[side].app.command != NULL;
	free(vs);
	/* Programs' sandboxes live under one cgroup, with a janitor that outlives us. */
	if (pre >= 0 && apps)
		pre = sandbox_session_begin(msg, sizeof(msg));
	if (pre < 0) {
		fprintf(stderr, "deadpeer: %s\n", msg);
		code = STATUS_ENV;
		goto out;
	}
	if (make_output(&o, dir, sizeof(dir), &lock) < 0) {
		code = STATUS_USAGE;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/suite.txt", dir);
	if (write_suite_info(path, suite_id, n_whole, o.shard_n ? o.shard_k : 1, o.shard_n ? o.shard_n : 1) < 0) {
		fprintf(stderr, "deadpeer run: cannot write \"%s\": %s\n", path, strerror(errno));
		code = STATUS_USAGE;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/runs", dir);
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "deadpeer run: cannot create directory \"%s\": %s\n", path, strerror(errno));
		code = STATUS_USAGE;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/pcap", dir);
	if (o.pcap && mkdir(path, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "deadpeer run: cannot create directory \"%s\": %s\n", path, strerror(errno));
		code = STATUS_USAGE;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/results.csv", dir);
	FILE *csv = fopen(path, "w");
	if (!csv) {
		fprintf(stderr, "deadpeer run: cannot create \"%s\": %s\n", path, strerror(errno));
		code = STATUS_USAGE;
		goto out;
	}
	int ret = csv_header(csv);
	if (ret < 0) {
		fprintf(stderr, "deadpeer run: cannot write \"%s\": %s; nothing was run\n", path, strerror(-ret));
		fclose(csv);
		code = STATUS_FAILED;
		goto out;
	}

	FILE *human = o.tap ? stderr : stdout;
	if (o.tap)
		printf("TAP version 13\n1..%zu\n", n);
	res = xcalloc_unshared(n, sizeof(*res));
	struct output out = { .o = &o, .csv = csv, .human = human };
	struct scheduler sch = {
		.runs = runs, .n = n, .jobs = o.jobs ? o.jobs : schedule_default_jobs(runs, n), .dir = dir, .pcap = o.pcap, .res = res,
		.live = isatty(STDERR_FILENO) && !o.quiet, .on_finish = on_finish, .arg = &out,
	};
	if (schedule(&sch) < 0 || sch.interrupted)
		code = STATUS_FAILED;
	for (size_t i = 0; i < n; i++)
		if (sch.finished[i] && !run_passed(&res[i]))
			code = STATUS_FAILED;
	if (fclose(csv) != 0 && !out.write_err) {
		out.write_err = -errno;
		fprintf(stderr, "deadpeer run: cannot write \"%s\": %s\n", path, strerror(errno));
	}
	print_summary(human, runs, res, sch.finished, n);
	snprintf(path, sizeof(path), "%s/summary.txt", dir);
	FILE *sum = fopen(path, "w");
	ret = sum ? 0 : -errno;
	if (sum) {
		fprintf(sum, "%s\n", header);
		print_summary(sum, runs, res, sch.finished, n);
		ret = file_flush_checked(sum);
		if (fclose(sum) != 0 && !ret)
			ret = -errno;
	}
	if (ret < 0) {
		fprintf(stderr, "deadpeer run: cannot write \"%s\": %s\n", path, strerror(-ret));
		out.write_err = out.write_err ? out.write_err : ret;
	}
	snprintf(path, sizeof(path), "%s/rates.csv", dir);
	if ((ret = write_rates(path, runs, res, sch.finished, n)) < 0) {
		fprintf(stderr, "deadpeer run: cannot write \"%s\": %s\n", path, strerror(-ret));
		out.write_err = out.write_err ? out.write_err : ret;
	}
	bool report = !out.write_err && report_html_write(dir, stderr) >= 0;
	if (!report && !out.write_err)
		code = STATUS_FAILED;
	if (out.write_err)
		fprintf(human, "the results could not be written (%s): %zu of %zu runs finished, "
			"results.csv, summary.txt and rates.csv are incomplete\n", strerror(-out.write_err), sch.done, n);
	else if (sch.interrupted)
		fprintf(human, "interrupted: %zu of %zu runs finished; their rows are kept\n", sch.done, n);
	fprintf(human, "CSV: %s/results.csv\n", dir);
	if (report)
		fprintf(human, "report: %s/report.html\n", dir);
	if (out.write_err)
		code = STATUS_FAILED;
	/* The report on stdout is output like the files: a full disk or a closed pipe is an error too. */
	if ((ret = file_flush_checked(stdout)) < 0) {
		fprintf(stderr, "deadpeer run: cannot write to standard output: %s\n", strerror(-ret));
		code = STATUS_FAILED;
	}
	free(sch.finished);
	free_unshared(res, n, sizeof(*res));
out:
	sandbox_session_end();
	if (probe_ns >= 0)
		close(probe_ns);
	if (lock >= 0)
		close(lock);
	plan_free(runs, n);
	suite_free(&s);
	return code;
}
