// SPDX-License-Identifier: MIT
/*
 * deadpeer run: load and check everything first (bad input: exit 2, nothing
 * created), check the machine (exit 3), then create the results directory and
 * run each selected run in turn, writing its CSV rows as it finishes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "report.h"
#include "run.h"
#include "suite.h"

/* Runs at once by default: they mostly sleep on kernel timers. */
#define DEFAULT_JOBS 16
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

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
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
	int c;

	*o = (struct options){ .jobs = DEFAULT_JOBS, .max_runs = DEFAULT_MAX_RUNS };
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:j:qv", longopts, NULL)) != -1) {
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
			fprintf(stderr, "Try 'deadpeer --help'.\n");
			return -1;
		}
	}
	return 0;
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

static void print_summary(FILE *f, const struct planned *p, const struct run_result *res, const bool *finished,
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
			const char *verdict = !run_passed(r) ? "FAIL" :
				(r->side[0].verdict == VERDICT_PASS || r->side[1].verdict == VERDICT_PASS) ? "pass" : "-";
			fprintf(f, "%-*s  %-31s %-31s %s\n", (int)width, name, c, s, verdict);
			for (int side = 0; side < SIDE_COUNT && !run_passed(r); side++)
				if (r->side[side].verdict == VERDICT_FAIL)
					fprintf(f, "%-*s    %s: expected %s, got %s\n", (int)width, "", host_name(side),
						p[i].v.expect[side].text, side == HOST_CLIENT ? c : s);
		}
	}
	fprintf(f, "\n%zu run%s, %zu passed, %zu failed", ran, ran == 1 ? "" : "s", ran - failed, failed);
	if (ran < n)
		fprintf(f, ", %zu not run", n - ran);
	fputc('\n', f);
}

/*
 * The scheduler. Each run is a worker process (it owns the run's namespaces
 * and endpoints, and dies with this process); this loop starts up to --jobs of
 * them, waits in one poll on their result pipes and a signalfd, and writes
 * each run's rows the moment it finishes. Runs spend nearly all their time
 * asleep on kernel timers, so many can share two cores.
 */
struct scheduler {
	const struct options *o;
	struct planned *runs;
	struct run_result *res;
	size_t n;
	FILE *csv, *human;
	const char *dir;
	bool live;			/* draw the status line on stderr */
	bool *finished;			/* res[i] is complete */
	size_t done;
	bool interrupted;
};

struct worker {
	pid_t pid;
	int fd;				/* result pipe */
	size_t run;			/* index into runs */
	int64_t started_ns;
};

/* The result goes to the scheduler as soon as it is known; the worker then releases its namespaces. */
static void publish(const struct run_result *r, void *arg)
{
	int *fd = arg;
	ssize_t w = write(*fd, r, sizeof(*r));

	close(*fd);
	if (w == (ssize_t)sizeof(*r))
		*fd = -1;
}

static void NORETURN worker_main(const struct scheduler *sch, size_t i, int fd, pid_t parent)
{
	struct run_result r;
	char prefix[4500];
	struct run_opts ro = { NULL };
	sigset_t none;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	/* Faults on time: the kernel may not batch this process's wakeups (default slack 50 us). */
	prctl(PR_SET_TIMERSLACK, 1UL);
	/* Ctrl-C reaches the whole process group: only the scheduler decides. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (sch->o->pcap) {
		/* pcap/<scenario>-<variant>-<run>-<side>.pcap, variants numbered from 1 */
		snprintf(prefix, sizeof(prefix), "%s/pcap/%s-%zu-%u", sch->dir, scenario_name(sch->runs[i].v.scenario),
			 sch->runs[i].v.index + 1, sch->runs[i].run);
		ro.pcap_prefix = prefix;
	}
	ro.publish = publish;
	ro.publish_arg = &fd;
	run_variant(&sch->runs[i].v, sch->runs[i].run, &ro, &r);
	_exit(fd < 0 ? 0 : 1);
}

static int start_worker(struct scheduler *sch, struct worker *w, size_t i)
{
	int p[2];
	pid_t parent = getpid();

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);		/* nothing buffered may be written twice */
	w->pid = fork();
	if (w->pid < 0) {
		int err = -errno;
		close(p[0]);
		close(p[1]);
		return err;
	}
	if (w->pid == 0) {
		close(p[0]);
		worker_main(sch, i, p[1], parent);
	}
	close(p[1]);
	w->fd = p[0];
	w->run = i;
	w->started_ns = mono_ns();
	return 0;
}

/* Expected seconds a run takes: its first fault, its deadline, and setup. */
static int64_t run_estimate_ms(const struct variant *v)
{
	int64_t first = v->n_faults ? INT64_MAX : 0;

	for (size_t i = 0; i < v->n_faults; i++)
		if (v->faults[i].at_ms < first)
			first = v->faults[i].at_ms;
	return first + v->deadline_ms + 300;
}

static void status_line(const struct scheduler *sch, size_t running, size_t next, int64_t start_ns,
			const struct worker *w, size_t nw, long jobs)
{
	int64_t now = mono_ns(), left_ms = 0, longest = 0;
	char el[32], eta[32];

	for (size_t k = 0; k < nw; k++) {
		if (w[k].pid <= 0)
			continue;
		int64_t rest = run_estimate_ms(&sch->runs[w[k].run].v) - (now - w[k].started_ns) / 1000000;
		if (rest > longest)
			longest = rest;
	}
	for (size_t i = next; i < sch->n; i++)
		left_ms += run_estimate_ms(&sch->runs[i].v);
	format_duration(el, sizeof(el), (now - start_ns) / 1000000 / 1000 * 1000);
	format_duration(eta, sizeof(eta), (longest + left_ms / jobs) / 1000 * 1000);
	fprintf(stderr, "\r\033[K[%zu done, %zu running, %zu left] elapsed %s, about %s to go", sch->done, running,
		sch->n - next, el, eta);
	fflush(stderr);
}

static void finish_run(struct scheduler *sch, size_t i)
{
	const struct options *o = sch->o;

	if (sch->live)
		fputs("\r\033[K", stderr);
	sch->finished[i] = true;
	sch->done++;
	csv_rows(sch->csv, &sch->res[i]);
	if (!o->quiet)
		print_run_line(sch->human, sch->done - 1, sch->n, &sch->runs[i], &sch->res[i]);
	if (o->verbose)
		print_details(sch->human, &sch->res[i]);
	if (o->tap) {
		printf("%s %zu - %s #%u%s%s\n", run_passed(&sch->res[i]) ? "ok" : "not ok", i + 1, sch->runs[i].v.name,
		       sch->runs[i].run, sch->res[i].failed ? " # error: " : "", sch->res[i].failed ? sch->res[i].error : "");
		fflush(stdout);
	}
}

static int schedule(struct scheduler *sch)
{
	long jobs = sch->o->jobs;
	size_t nw = (size_t)jobs < sch->n ? (size_t)jobs : sch->n, next = 0, running = 0;
	struct worker *w = xcalloc(nw, sizeof(*w));
	struct pollfd *p = xcalloc(nw + 1, sizeof(*p));
	sigset_t stop;
	int64_t start_ns = mono_ns();
	int sfd;

	sch->finished = xcalloc(sch->n, sizeof(bool));
	/* Endpoints orphaned by a killed run come to us, so none outlives the suite. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	/* An ignored signal never becomes pending (shells ignore SIGINT in background jobs). */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	sfd = signalfd(-1, &stop, SFD_CLOEXEC);

	while (sch->done < sch->n) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;	/* workers that have released everything, orphaned endpoints */
		for (size_t k = 0; k < nw && next < sch->n && !sch->interrupted; k++) {
			if (w[k].pid > 0)
				continue;
			int ret = start_worker(sch, &w[k], next);
			if (ret < 0) {
				snprintf(sch->res[next].error, sizeof(sch->res[next].error), "cannot start a run: %s",
					 strerror(-ret));
				sch->res[next].v = &sch->runs[next].v;
				sch->res[next].run = sch->runs[next].run;
				sch->res[next].failed = true;
				finish_run(sch, next++);
				continue;
			}
			next++;
			running++;
		}
		if (!running)
			break;
		if (sch->live)
			status_line(sch, running, next, start_ns, w, nw, jobs);
		for (size_t k = 0; k < nw; k++)
			p[k] = (struct pollfd){ w[k].pid > 0 ? w[k].fd : -1, POLLIN, 0 };
		p[nw] = (struct pollfd){ sfd, POLLIN, 0 };
		if (poll(p, nw + 1, sch->live ? 1000 : -1) <= 0)
			continue;
		if (p[nw].revents) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) > 0 && !sch->interrupted) {
				sch->interrupted = true;
				/* Stop starting runs and end the running ones: their processes and namespaces go with them. */
				for (size_t k = 0; k < nw; k++)
					if (w[k].pid > 0)
						kill(w[k].pid, SIGKILL);
			}
		}
		for (size_t k = 0; k < nw; k++) {
			if (w[k].pid <= 0 || !p[k].revents)
				continue;
			struct run_result r;
			ssize_t got = read(w[k].fd, &r, sizeof(r));
			close(w[k].fd);
			/*
			 * The slot is free once the result is in: the worker's release of
			 * its sockets and namespaces overlaps the next run, and it is
			 * reaped when it exits (below, and before the suite ends).
			 */
			w[k].pid = 0;
			running--;
			size_t i = w[k].run;
			if (got == (ssize_t)sizeof(r)) {
				sch->res[i] = r;
			} else if (sch->interrupted) {
				continue;	/* ended by the interruption: no row */
			} else {
				sch->res[i] = (struct run_result){ .v = &sch->runs[i].v, .run = sch->runs[i].run, .failed = true };
				snprintf(sch->res[i].error, sizeof(sch->res[i].error), "the run's process died");
			}
			finish_run(sch, i);
		}
	}
	if (sch->live)
		fputs("\r\033[K", stderr);
	/*
	 * Wait for the workers still releasing their namespaces, and reap what
	 * killed runs left (their endpoints die of PR_SET_PDEATHSIG): nothing of
	 * the suite outlives the command.
	 */
	for (int64_t end = mono_ns() + 30000000000LL; mono_ns() < end;) {
		pid_t pid = waitpid(-1, NULL, WNOHANG);
		if (pid < 0 && errno == ECHILD)
			break;
		if (pid <= 0)
			poll(NULL, 0, 1);
	}
	close(sfd);
	sigprocmask(SIG_UNBLOCK, &stop, NULL);
	free(p);
	free(w);
	return 0;
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

int cmd_run(int argc, char **argv)
{
	char header[1024];
	int probe_ns = -1;
	struct options o;
	struct suite s;
	struct planned *runs;
	struct run_result *res;
	size_t n;
	char dir[4096], path[4200], msg[512];
	int code = EXIT_PASS;

	banner(header, sizeof(header), argc, argv);	/* before getopt reorders argv */
	if (parse_options(argc, argv, &o) < 0)
		return EXIT_USAGE;
	if (suite_load(&s, argv + optind, argc - optind, stderr) < 0) {
		suite_free(&s);
		return EXIT_USAGE;
	}
	struct plan_opts po = { o.filter, o.repeat, o.shard_k, o.shard_n };
	runs = suite_plan(&s, &po, &n);
	if (!n) {
		fprintf(stderr, "deadpeer run: no runs selected%s%s\n", o.filter ? " by --filter " : "",
			o.filter ? o.filter : "");
		suite_free(&s);
		return EXIT_USAGE;
	}
	if ((long)n > o.max_runs) {
		fprintf(stderr, "deadpeer run: the selection expands to %zu runs, more than the limit of %ld "
			"(check what your sweeps multiply to with 'deadpeer check', or raise it with --max-runs %zu)\n",
			n, o.max_runs, n);
		code = EXIT_USAGE;
		goto out;
	}
	const struct variant **vs = xcalloc(n, sizeof(*vs));
	for (size_t i = 0; i < n; i++)
		vs[i] = &runs[i].v;
	int pre = run_preflight(vs, n, &probe_ns, msg, sizeof(msg));
	free(vs);
	if (pre < 0) {
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
	if (o.tap)
		printf("TAP version 13\n1..%zu\n", n);
	res = xcalloc(n, sizeof(*res));
	struct scheduler sch = {
		.o = &o, .runs = runs, .res = res, .n = n, .csv = csv, .human = human, .dir = dir,
		.live = isatty(STDERR_FILENO) && !o.quiet,
	};
	if (schedule(&sch) < 0 || sch.interrupted)
		code = EXIT_FAILED;
	for (size_t i = 0; i < n; i++)
		if (sch.finished[i] && !run_passed(&res[i]))
			code = EXIT_FAILED;
	fclose(csv);
	print_summary(human, runs, res, sch.finished, n);
	snprintf(path, sizeof(path), "%s/summary.txt", dir);
	FILE *sum = fopen(path, "w");
	if (sum) {
		fprintf(sum, "%s\n", header);
		print_summary(sum, runs, res, sch.finished, n);
		fclose(sum);
	}
	if (sch.interrupted)
		fprintf(human, "interrupted: %zu of %zu runs finished; their rows are kept\n", sch.done, n);
	fprintf(human, "CSV: %s/results.csv\n", dir);
	free(sch.finished);
	free(res);
out:
	if (probe_ns >= 0)
		close(probe_ns);
	plan_free(runs, n);
	suite_free(&s);
	return code;
}
