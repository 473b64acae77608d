// SPDX-License-Identifier: MIT
/*
 * deadpeer run: load and check everything first (bad input: exit 2, nothing
 * created), check the machine (exit 3), then create the results directory and
 * run each selected run in turn, writing its CSV rows as it finishes.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "netns.h"
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
 * them, waits in one poll on their pipes and a signalfd, and writes each
 * run's rows the moment it finishes. Runs spend nearly all their time asleep
 * on kernel timers, so many can share two cores.
 *
 * A worker tells the scheduler two things over its pipe, each one message
 * written at once (a header, then its payload): that both sides are
 * connected, and the result. A worker that overstays what its run can take
 * (RUN_SETUP_LIMIT_MS until connected, run_span_ms after, plus a margin) is
 * stopped or hung: it is killed and its run reported as an error.
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
	bool interrupted;		/* SIGINT or SIGTERM: stop starting runs, end the running ones */
	int write_err;			/* results.csv could not be written: -errno; the suite stops */
};

/* Grace beyond what a run can take before the watchdog ends it. */
#define WATCHDOG_MARGIN_MS 10000
/* Descriptors the scheduler keeps besides one pipe per worker. */
#define FD_RESERVE 16

enum worker_msg_type { WORKER_ESTABLISHED = 1, WORKER_RESULT = 2 };

struct worker_msg {
	uint32_t type;			/* enum worker_msg_type */
	uint32_t len;			/* bytes of payload that follow */
};

/* A message no longer than PIPE_BUF is written whole or not at all. */
static_assert(sizeof(struct worker_msg) + sizeof(struct run_result) <= PIPE_BUF,
	      "a worker's result is one atomic pipe write");

struct worker {
	pid_t pid;			/* 0: the slot is free */
	int fd;				/* read end of the worker's pipe */
	size_t run;			/* index into runs */
	int64_t started_ns;
	int64_t limit_ns;		/* the watchdog ends the worker after this */
};

static int worker_send(int fd, enum worker_msg_type type, const void *payload, size_t len)
{
	char buf[sizeof(struct worker_msg) + sizeof(struct run_result)];
	struct worker_msg h = { type, (uint32_t)len };

	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy(buf + sizeof(h), payload, len);
	return write(fd, buf, sizeof(h) + len) == (ssize_t)(sizeof(h) + len) ? 0 : -1;
}

static void announce_established(void *arg)
{
	int *fd = arg;

	if (*fd >= 0)
		worker_send(*fd, WORKER_ESTABLISHED, NULL, 0);
}

/* The result goes to the scheduler as soon as it is known; the worker then releases its namespaces. */
static void publish(const struct run_result *r, void *arg)
{
	int *fd = arg;
	int ret = worker_send(*fd, WORKER_RESULT, r, sizeof(*r));

	close(*fd);
	if (ret == 0)
		*fd = -1;
}

/* Close every descriptor the worker inherited but does not own (other workers' pipes, the CSV...). */
static void close_inherited(int own)
{
	int home = netns_home_fd();
	unsigned keep[2] = { (unsigned)own, home >= 0 ? (unsigned)home : (unsigned)own };
	unsigned from = 3;

	if (keep[0] > keep[1]) {
		unsigned t = keep[0];
		keep[0] = keep[1];
		keep[1] = t;
	}
	for (int i = 0; i < 2; i++) {
		if (keep[i] > from)
			close_range(from, keep[i] - 1, 0);
		if (keep[i] + 1 > from)
			from = keep[i] + 1;
	}
	close_range(from, ~0U, 0);
}

static void NORETURN worker_main(const struct scheduler *sch, size_t i, int fd, pid_t parent)
{
	struct run_result r;
	char prefix[4500];
	struct run_opts ro = { .pcap_prefix = NULL };
	sigset_t none;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	close_inherited(fd);
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
	ro.established = announce_established;
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
		w->pid = 0;
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
	w->limit_ns = w->started_ns + (int64_t)(RUN_SETUP_LIMIT_MS + WATCHDOG_MARGIN_MS) * 1000000;
	return 0;
}

/* Out of descriptors, processes or memory for now: a slot that frees up may bring them back. */
static bool transient(int err)
{
	return err == -EMFILE || err == -ENFILE || err == -EAGAIN || err == -ENOMEM;
}

/* Expected seconds a run takes: its first fault, its deadline, and setup. */
static int64_t run_estimate_ms(const struct variant *v)
{
	int64_t first = variant_first_fault_ms(v);

	return (first < 0 ? 0 : first) + v->deadline_ms + 300;
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

/* Stop starting runs and end the running ones: their processes and namespaces go with them. */
static void halt(struct scheduler *sch, struct worker *w, size_t nw)
{
	sch->interrupted = true;
	for (size_t k = 0; k < nw; k++)
		if (w[k].pid > 0)
			kill(w[k].pid, SIGKILL);
}

static void finish_run(struct scheduler *sch, size_t i)
{
	const struct options *o = sch->o;
	int ret;

	if (sch->live)
		fputs("\r\033[K", stderr);
	sch->finished[i] = true;
	sch->done++;
	if (!sch->write_err && (ret = csv_rows(sch->csv, &sch->res[i])) < 0) {
		sch->write_err = ret;
		fprintf(stderr, "deadpeer run: cannot write \"%s/results.csv\": %s; stopping the suite\n", sch->dir,
			strerror(-ret));
	}
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

/* A run that ends without its worker's result: an error row. */
static void fail_run(struct scheduler *sch, size_t i, const char *fmt, ...) PRINTF(3, 4);
static void fail_run(struct scheduler *sch, size_t i, const char *fmt, ...)
{
	va_list ap;

	sch->res[i] = (struct run_result){ .v = &sch->runs[i].v, .run = sch->runs[i].run, .failed = true };
	va_start(ap, fmt);
	vsnprintf(sch->res[i].error, sizeof(sch->res[i].error), fmt, ap);
	va_end(ap);
	finish_run(sch, i);
}

/* Read exactly @len bytes that a single write put in the pipe. */
static bool read_all(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

/* Handle one message of worker @w; false when the worker is done with (its slot is free). */
static bool worker_message(struct scheduler *sch, struct worker *w)
{
	struct worker_msg h;
	struct run_result r;
	size_t i = w->run;
	bool ok = read_all(w->fd, &h, sizeof(h));

	if (ok && h.type == WORKER_ESTABLISHED && h.len == 0) {
		int64_t limit_ms = run_span_ms(&sch->runs[i].v) + WATCHDOG_MARGIN_MS;
		w->limit_ns = mono_ns() + limit_ms * 1000000;
		return true;
	}
	ok = ok && h.type == WORKER_RESULT && h.len == sizeof(r) && read_all(w->fd, &r, sizeof(r));
	/*
	 * The slot is free once the result is in: the worker's release of its
	 * sockets and namespaces overlaps the next run, and it is reaped when it
	 * exits (in the loop, and before the suite ends).
	 */
	close(w->fd);
	w->pid = 0;
	if (ok) {
		r.v = &sch->runs[i].v;	/* the same variant, in this process's memory */
		sch->res[i] = r;
		finish_run(sch, i);
	} else if (!sch->interrupted) {
		fail_run(sch, i, "the run's process died");
	}	/* else: ended by the interruption, no row */
	return false;
}

/* The soft descriptor limit raised to the hard one; -j capped to what it allows. */
static long fit_jobs(long jobs, size_t n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return jobs;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || (rlim_t)jobs + FD_RESERVE <= rl.rlim_cur)
		return jobs;
	long fit = rl.rlim_cur > FD_RESERVE + 1 ? (long)(rl.rlim_cur - FD_RESERVE) : 1;
	if ((size_t)jobs > n && (size_t)fit >= n)
		return jobs;	/* more slots than runs: only the runs need descriptors */
	fprintf(stderr, "deadpeer run: -j %ld capped at %ld: this process may open %llu descriptors "
		"(ulimit -n) and needs one per run at once plus %d\n", jobs, fit, (unsigned long long)rl.rlim_cur,
		FD_RESERVE);
	return fit;
}

static int schedule(struct scheduler *sch)
{
	long jobs = fit_jobs(sch->o->jobs, sch->n);
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
			if (ret < 0 && transient(ret) && running)
				break;	/* try again when a run has finished */
			if (ret < 0) {
				fail_run(sch, next++, "cannot start a run: %s", strerror(-ret));
				continue;
			}
			next++;
			running++;
		}
		if (!running)
			break;
		if (sch->live)
			status_line(sch, running, next, start_ns, w, nw, jobs);
		int64_t now = mono_ns(), wake = INT64_MAX;
		for (size_t k = 0; k < nw; k++) {
			p[k] = (struct pollfd){ w[k].pid > 0 ? w[k].fd : -1, POLLIN, 0 };
			if (w[k].pid > 0 && w[k].limit_ns < wake)
				wake = w[k].limit_ns;
		}
		p[nw] = (struct pollfd){ sfd, POLLIN, 0 };
		int timeout = wake == INT64_MAX ? -1 : wake <= now ? 0 : (int)((wake - now) / 1000000 + 1);
		if (sch->live && (timeout < 0 || timeout > 1000))
			timeout = 1000;
		int ready = poll(p, nw + 1, timeout);
		if (ready > 0 && p[nw].revents) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) > 0 && !sch->interrupted)
				halt(sch, w, nw);
		}
		now = mono_ns();
		for (size_t k = 0; k < nw; k++) {
			if (w[k].pid <= 0)
				continue;
			if (ready > 0 && p[k].revents) {
				if (!worker_message(sch, &w[k]))
					running--;
				continue;
			}
			if (now < w[k].limit_ns)
				continue;
			/* Stopped or hung: no run takes this long. */
			kill(w[k].pid, SIGKILL);
			close(w[k].fd);
			w[k].pid = 0;
			running--;
			fail_run(sch, w[k].run, "the run's process gave no result %d s after the run should have ended "
				 "(stopped or hung?); it was killed", WATCHDOG_MARGIN_MS / 1000);
		}
		if (sch->write_err && !sch->interrupted)
			halt(sch, w, nw);
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
	int probe_ns = -1, lock = -1;
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
	if (make_output(&o, dir, sizeof(dir), &lock) < 0) {
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
	int ret = csv_header(csv);
	if (ret < 0) {
		fprintf(stderr, "deadpeer run: cannot write \"%s\": %s; nothing was run\n", path, strerror(-ret));
		fclose(csv);
		code = EXIT_FAILED;
		goto out;
	}

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
	if (fclose(csv) != 0 && !sch.write_err) {
		sch.write_err = -errno;
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
		sch.write_err = sch.write_err ? sch.write_err : ret;
	}
	if (sch.write_err)
		fprintf(human, "the results could not be written (%s): %zu of %zu runs finished, "
			"results.csv and summary.txt are incomplete\n", strerror(-sch.write_err), sch.done, n);
	else if (sch.interrupted)
		fprintf(human, "interrupted: %zu of %zu runs finished; their rows are kept\n", sch.done, n);
	fprintf(human, "CSV: %s/results.csv\n", dir);
	if (sch.write_err)
		code = EXIT_FAILED;
	/* The report on stdout is output like the files: a full disk or a closed pipe is an error too. */
	if ((ret = file_flush_checked(stdout)) < 0) {
		fprintf(stderr, "deadpeer run: cannot write to standard output: %s\n", strerror(-ret));
		code = EXIT_FAILED;
	}
	free(sch.finished);
	free(res);
out:
	if (probe_ns >= 0)
		close(probe_ns);
	if (lock >= 0)
		close(lock);
	plan_free(runs, n);
	suite_free(&s);
	return code;
}
