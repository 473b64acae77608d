// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel.h"
#include "netns.h"
#include "sandbox.h"
#include "classify.h"
#include "scheduler.h"

/*
 * The scheduler. Each run is a worker process (it owns the run's namespaces
 * and endpoints, and dies with this process); this loop starts up to --jobs of
 * them, waits in one epoll on their pipes and a signalfd, and writes each
 * run's rows the moment it finishes. Runs spend nearly all their time asleep
 * on kernel timers, so many can share two cores.
 *
 * A worker tells the scheduler two things over its pipe, each a message (a
 * header, then its payload): that both sides are connected, and the run's
 * observation record (record.h), which can be far longer than a pipe holds.
 * The scheduler reads what is there whenever the pipe is readable and acts on
 * a message once it is whole, so a worker stopped halfway through a message
 * holds up nothing but itself. A worker that overstays what its run can take
 * (RUN_SETUP_LIMIT_MS until connected, run_span_ms after, plus a margin) is
 * stopped or hung: it is killed and its run reported as an error.
 */

/*
 * Admission. Building a run's network (namespaces, links, addresses,
 * captures) is where the kernel works hardest, mostly under its one rtnl
 * lock, which also turns links on and destroys namespaces: a hundred runs
 * building at once only queue there, and take the CPUs from the runs
 * already on their timelines, whose faults then land late; a program's
 * start (PostgreSQL, sshd) takes the CPUs for a while too. So only a few
 * runs build and connect at once (BUILD_PER_CPU per online CPU); a run
 * leaves the queue when both its sides are connected. It builds its network
 * at a lower priority (BUILD_NICE) than the runs in flight, and is back at
 * the normal priority before its endpoints start. The runs that take
 * longest start first.
 *
 * Releasing a run's namespaces is also the kernel's work under that lock
 * (it destroys them in batches, in the background, for seconds when there
 * are hundreds): a worker whose record is in holds its namespaces until the
 * scheduler lets it go (SIGUSR1), which it does once no run is still being
 * built or connected, so no run's connect waits behind another's teardown,
 * and then a few at a time (let_go_paced), so that no batch the kernel
 * destroys at once keeps a CPU from the runs whose faults are due.
 */
#define BUILD_PER_CPU 2
#define BUILD_NICE 10
/* Workers holding their namespaces beyond this are let go anyway: memory, and the kernel's lookups. */
#define HOLD_MAX 128
#define LET_GO_BATCH 16
#define LET_GO_EVERY_MS 50

/* Grace beyond what a run can take before the watchdog ends it. */
#define WATCHDOG_MARGIN_MS 10000
/* Descriptors the scheduler keeps besides one pipe per worker. */
#define FD_RESERVE 16

/* WORKER_AGAIN: the record that follows is of a run worth running again (observation.again). */
enum worker_msg_type { WORKER_ESTABLISHED = 1, WORKER_RECORD = 2, WORKER_AGAIN = 3 };

/* Times a run is tried when its observer misses what it watches (observation.again). */
#define RUN_ATTEMPTS 3

struct worker_msg {
	uint32_t type;			/* enum worker_msg_type */
	uint32_t len;			/* bytes of payload that follow */
};

struct worker {
	pid_t pid;			/* 0: the slot is free */
	int fd;				/* read end of the worker's pipe, non-blocking */
	size_t run;			/* index into runs */
	bool established;		/* both sides connected */
	bool bridged;			/* run_needs_bridges */
	bool reaped;			/* exited and reaped before its pipe was done: its pid may be reused */
	bool again;			/* its run is worth running again (WORKER_AGAIN) */
	int64_t started_ns;
	int64_t limit_ns;		/* the watchdog ends the worker after this */
	struct worker_msg msg;		/* the message arriving */
	size_t have;			/* its bytes in so far, header and payload */
	uint8_t *in;			/* its payload (a record), msg.len bytes */
};

/* The scheduler's epoll set: each worker's pipe (its slot's index) and the signalfd (the slot count). */
static int ep = -1;

/* Runs to start again, before the next in order (a stack), and how many times each has started. */
static size_t *again_q;
static size_t n_again;
static uint8_t *attempts;

static int worker_send(int fd, enum worker_msg_type type, const void *payload, size_t len)
{
	struct worker_msg h = { type, (uint32_t)len };

	if (write_all(fd, &h, sizeof(h)) < 0)
		return -1;
	return len && write_all(fd, payload, len) < 0 ? -1 : 0;
}

/* The network is built: back to the normal priority, which the endpoints inherit. */
static void announce_built(void *arg)
{
	(void)arg;
	setpriority(PRIO_PROCESS, 0, 0);
}

static void announce_established(void *arg)
{
	int *fd = arg;

	if (*fd >= 0)
		worker_send(*fd, WORKER_ESTABLISHED, NULL, 0);
}

/* The record goes to the scheduler as soon as it is complete; the worker then releases its namespaces. */
static void publish(const struct observation *o, void *arg)
{
	int *fd = arg;
	uint8_t *buf;
	size_t len;
	int ret = obs_encode(o, &buf, &len);

	if (ret == 0 && o->again)
		ret = worker_send(*fd, WORKER_AGAIN, NULL, 0);
	if (ret == 0) {
		ret = worker_send(*fd, WORKER_RECORD, buf, len);
		free(buf);
	}

	close(*fd);
	if (ret)
		return;		/* the scheduler counts this run as failed, and holds nothing for it */
	*fd = -1;
	/* Hold the namespaces until the scheduler says (SIGUSR1, blocked since the start). */
	sigset_t go;
	sigemptyset(&go);
	sigaddset(&go, SIGUSR1);
	while (sigwaitinfo(&go, NULL) < 0 && errno == EINTR)
		;
}

/* Close every descriptor the worker inherited but does not own (other workers' pipes, the CSV...). */
static void close_inherited(int own)
{
	int keep[] = { own, netns_home_fd() };

	close_all_but(keep, ARRAY_SIZE(keep));
}

static void NORETURN worker_main(const struct scheduler *sch, const struct planned *run, int fd, pid_t parent)
{
	struct observation o;
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
	sigaddset(&none, SIGUSR1);	/* taken by sigwaitinfo in publish() */
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (sch->pcap) {
		/* pcap/<scenario>-<variant>-<run>-<side>.pcap, variants numbered from 1 */
		char stem[400];
		snprintf(prefix, sizeof(prefix), "%s/pcap/%s", sch->dir, planned_stem(run, stem, sizeof(stem)));
		ro.pcap_prefix = prefix;
	}
	ro.suite_dir = sandbox_suite_dir();
	setpriority(PRIO_PROCESS, 0, BUILD_NICE);
	ro.built = announce_built;
	ro.publish = publish;
	ro.established = announce_established;
	ro.publish_arg = &fd;
	run_variant(&run->v, run->run, &ro, &o);
	_exit(fd < 0 ? 0 : 1);
}

static int start_worker(struct scheduler *sch, struct worker *w, size_t slot, size_t i, bool bridged)
{
	int p[2];
	pid_t parent = getpid();

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	/* The read end does not block: a message is taken in as it comes. */
	if (fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) {
		int err = -errno;
		close(p[0]);
		close(p[1]);
		return err;
	}
	fflush(NULL);		/* nothing buffered may be written twice */
	/* The list of runs is not inherited (suite_plan): the worker gets its own here. */
	struct planned run = sch->runs[i];
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
		worker_main(sch, &run, p[1], parent);
	}
	close(p[1]);
	w->fd = p[0];
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = slot };
	epoll_ctl(ep, EPOLL_CTL_ADD, w->fd, &ev);	/* cannot fail but for memory: the watchdog would end it */
	w->run = i;
	w->bridged = bridged;
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

static void status_line(const struct scheduler *sch, const size_t *order, size_t running, size_t next,
			int64_t start_ns, const struct worker *w, size_t nw, long jobs)
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
		left_ms += run_estimate_ms(&sch->runs[order[i]].v);
	for (size_t a = 0; a < n_again; a++)
		left_ms += run_estimate_ms(&sch->runs[again_q[a]].v);
	format_duration(el, sizeof(el), (now - start_ns) / 1000000 / 1000 * 1000);
	format_duration(eta, sizeof(eta), (longest + left_ms / jobs) / 1000 * 1000);
	fprintf(stderr, "\r\033[K[%zu done, %zu running, %zu left] elapsed %s, about %s to go", sch->done, running,
		sch->n - next + n_again, el, eta);
	fflush(stderr);
}

/*
 * Run @i's record says it is worth running again: unless it has had its
 * tries, or the suite is ending, it starts again (its record is dropped).
 */
static bool run_again(struct scheduler *sch, size_t i, const uint8_t *buf, size_t len)
{
	struct observation o;

	if (attempts[i] >= RUN_ATTEMPTS || sch->interrupted || sch->stop)
		return false;
	if (obs_decode(buf, len, &o) < 0) {
		obs_release(&o);
		return false;
	}
	if (sch->live)
		fputs("\r\033[K", stderr);
	fprintf(stderr, "deadpeer run: %s #%u: %s; running it again (try %u of %d)\n", sch->runs[i].v.name,
		sch->runs[i].run, o.error, attempts[i] + 1U, RUN_ATTEMPTS);
	obs_release(&o);
	again_q[n_again++] = i;
	return true;
}

/* Workers whose run is over and which hold their namespaces until let go. */
static pid_t *held;
static size_t n_held;

/* A held worker that is gone (reaped): its pid may be another process's by now. */
static void drop_held(pid_t pid)
{
	for (size_t k = 0; k < n_held; k++)
		if (held[k] == pid) {
			memmove(held + k, held + k + 1, (n_held - k - 1) * sizeof(*held));
			n_held--;
			return;
		}
}

/* Let the @n longest held go. */
static void let_go_first(size_t n)
{
	for (size_t k = 0; k < n; k++)
		kill(held[k], SIGUSR1);
	memmove(held, held + n, (n_held - n) * sizeof(*held));
	n_held -= n;
}

static void let_go(void)
{
	let_go_first(n_held);
}

/*
 * Let the longest held go, LET_GO_BATCH at a time and one batch every
 * LET_GO_EVERY_MS: the kernel destroys what is let go together in one
 * batch, unregistering every interface of it under the rtnl lock without
 * yielding the CPU (a non-preemptible kernel), and a batch of hundreds of
 * namespaces holds a CPU for half a second, where other runs' faults are
 * due. Returns the milliseconds until the next batch may go, or -1.
 */
static int64_t let_go_paced(int64_t now_ns)
{
	static int64_t last_ns;
	int64_t wait_ms = LET_GO_EVERY_MS - (now_ns - last_ns) / 1000000;

	if (!n_held)
		return -1;
	/* A batch beyond HOLD_MAX (runs finishing faster than the pace lets go): the excess goes now. */
	size_t over = n_held > HOLD_MAX ? n_held - HOLD_MAX : 0;
	if (wait_ms > 0 && over < LET_GO_BATCH)
		return wait_ms;
	size_t n = n_held < LET_GO_BATCH ? n_held : LET_GO_BATCH;
	if (n < over)
		n = over;
	let_go_first(n);
	last_ns = now_ns;
	return n_held ? LET_GO_EVERY_MS : -1;
}

/* Stop starting runs and end the running ones: their processes and namespaces go with them. */
static void halt(struct scheduler *sch, struct worker *w, size_t nw)
{
	sch->interrupted = true;
	for (size_t k = 0; k < nw; k++)
		if (w[k].pid > 0 && !w[k].reaped)
			kill(w[k].pid, SIGKILL);
	for (size_t k = 0; k < n_held; k++)
		kill(held[k], SIGKILL);
	n_held = 0;
}

static void finish_run(struct scheduler *sch, size_t i, const uint8_t *record, size_t len)
{
	if (sch->live)
		fputs("\r\033[K", stderr);
	sch->finished[i] = true;
	sch->done++;
	if (sch->on_finish(sch, i, record, len) < 0)
		sch->stop = true;
}

/* A run that ends without its worker's record: an error row. */
static void fail_run(struct scheduler *sch, size_t i, const char *fmt, ...) PRINTF(3, 4);
static void fail_run(struct scheduler *sch, size_t i, const char *fmt, ...)
{
	struct observation o;
	va_list ap;

	obs_init(&o);
	o.run = sch->runs[i].run;
	o.failed = true;
	va_start(ap, fmt);
	vsnprintf(o.error, sizeof(o.error), fmt, ap);
	va_end(ap);
	classify_run(&sch->runs[i].v, &o, &sch->res[i]);
	finish_run(sch, i, NULL, 0);
}

/* The run's record has arrived whole: judge it. */
static void worker_record(struct scheduler *sch, size_t i, const uint8_t *buf, size_t len)
{
	struct observation o;
	int ret = obs_decode(buf, len, &o);

	if (ret < 0) {
		obs_release(&o);
		fail_run(sch, i, "the run's record could not be read: %s", strerror(-ret));
		return;
	}
	classify_run(&sch->runs[i].v, &o, &sch->res[i]);
	obs_release(&o);
	finish_run(sch, i, buf, len);
}

/* Free worker @w's slot. */
static void worker_release(struct worker *w)
{
	/* Deregistered before the close: a worker being forked may hold a copy of the pipe for a moment. */
	epoll_ctl(ep, EPOLL_CTL_DEL, w->fd, NULL);
	close(w->fd);
	free(w->in);
	*w = (struct worker){ .fd = -1 };
}

/*
 * Read what worker @w has sent and act on every whole message; false when the
 * worker is done with (its slot is free).
 */
static bool worker_input(struct scheduler *sch, struct worker *w)
{
	size_t i = w->run, head = sizeof(w->msg);

	for (;;) {
		/* The header, then its payload into a buffer of its size: nothing is held between messages. */
		uint8_t *dst = w->have < head ? (uint8_t *)&w->msg + w->have : w->in + (w->have - head);
		size_t want = w->have < head ? head - w->have : head + w->msg.len - w->have;
		ssize_t n = read(w->fd, dst, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;	/* the rest comes later */
		if (n <= 0)
			break;
		w->have += (size_t)n;
		if (w->have == head) {
			if (w->msg.len > OBS_MAX_BYTES || (w->msg.type != WORKER_RECORD && w->msg.len))
				goto broken;
			if (w->msg.type == WORKER_AGAIN) {
				w->again = true;
				w->have = 0;
				continue;
			}
			if (w->msg.type == WORKER_ESTABLISHED) {
				w->established = true;
				w->limit_ns = mono_ns() + (run_span_ms(&sch->runs[i].v) + WATCHDOG_MARGIN_MS) * 1000000;
				w->have = 0;
				continue;
			}
			if (w->msg.type != WORKER_RECORD || !(w->in = malloc(w->msg.len ? w->msg.len : 1)))
				goto broken;
		}
		if (w->have == head + w->msg.len) {
			/*
			 * The slot is free once the record is in: the worker's
			 * release of its sockets and namespaces overlaps the next
			 * run, and it is reaped when it exits.
			 */
			if (!w->again || !run_again(sch, i, w->in, w->msg.len))
				worker_record(sch, i, w->in, w->msg.len);
			if (!w->reaped)
				held[n_held++] = w->pid;
			worker_release(w);
			return false;
		}
	}
broken:
	worker_release(w);
	if (!sch->interrupted)
		fail_run(sch, i, "the run's process died");
	/* else: ended by the interruption, no row */
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

/* A number read from a file of /proc/sys (the init namespace's, read only); @dflt if unreadable. */
static long proc_long(const char *path, long dflt)
{
	FILE *f = fopen(path, "re");
	long v;

	if (!f)
		return dflt;
	if (fscanf(f, "%ld", &v) != 1)
		v = dflt;
	fclose(f);
	return v;
}

/*
 * Bridged runs at once: each resolves up to 4 neighbours per family in the
 * kernel's table, whose limit (gc_thresh3) is one for all namespaces;
 * half of it is left to the rest of the machine.
 */
static size_t bridged_slots(void)
{
	long v4 = proc_long("/proc/sys/net/ipv4/neigh/default/gc_thresh3", 1024);
	long v6 = proc_long("/proc/sys/net/ipv6/neigh/default/gc_thresh3", 1024);
	long least = v4 < v6 ? v4 : v6;

	return least >= 16 ? (size_t)least / 8 : 1;
}

long schedule_default_jobs(const struct planned *runs, size_t n)
{
	long jobs = SCHEDULE_JOBS_MAX, avail_kib = 0;
	bool apps = false;
	char line[256];
	FILE *f = fopen("/proc/meminfo", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &avail_kib) == 1)
			break;
	if (f)
		fclose(f);
	for (size_t i = 0; i < n; i++)
		apps |= runs[i].v.side[HOST_CLIENT].app.command || runs[i].v.side[HOST_SERVER].app.command;
	/* What a run holds, its namespaces' kernel memory included; a program's more. */
	long per_run_kib = apps ? RUN_APP_BUDGET_KIB : RUN_BUDGET_KIB;
	if (avail_kib > 0 && avail_kib / 2 / per_run_kib < jobs)
		jobs = avail_kib / 2 / per_run_kib;
	if ((size_t)jobs > n)
		jobs = (long)n;
	return jobs < 1 ? 1 : jobs;
}

/* How many runs may build their network at once. */
static size_t build_slots(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	return (size_t)(cpus > 0 ? cpus : 1) * BUILD_PER_CPU;
}

static const struct scheduler *order_of;

/* Longest first, then in plan order. */
static int cmp_longest(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int64_t ex = run_estimate_ms(&order_of->runs[x].v), ey = run_estimate_ms(&order_of->runs[y].v);

	if (ex != ey)
		return ex > ey ? -1 : 1;
	return x < y ? -1 : x > y;
}

int schedule(struct scheduler *sch)
{
	long jobs = fit_jobs(sch->jobs, sch->n);
	size_t nw = (size_t)jobs < sch->n ? (size_t)jobs : sch->n, next = 0, running = 0;
	struct worker *w = xcalloc(nw, sizeof(*w));
	struct epoll_event *ev = xcalloc(nw + 1, sizeof(*ev));
	bool *ready = xcalloc(nw, sizeof(*ready));
	sigset_t stop;
	int64_t start_ns = mono_ns();
	int sfd, status = 0;

	size_t *order = xcalloc(sch->n ? sch->n : 1, sizeof(*order)), slots = build_slots(), bslots = bridged_slots();

	for (size_t i = 0; i < sch->n; i++)
		order[i] = i;
	order_of = sch;
	qsort(order, sch->n, sizeof(*order), cmp_longest);
	sch->finished = xcalloc(sch->n, sizeof(bool));
	/* A worker per try is held: a run tried again holds more than one. */
	held = xcalloc(sch->n ? sch->n * RUN_ATTEMPTS : 1, sizeof(*held));
	n_held = 0;
	again_q = xcalloc(sch->n ? sch->n : 1, sizeof(*again_q));
	n_again = 0;
	attempts = xcalloc(sch->n ? sch->n : 1, sizeof(*attempts));
	/*
	 * Where the jiffies fall is the machine's, read once here (from
	 * /proc/timer_list, which is long) and inherited by every worker.
	 */
	int hz;
	int64_t tick_ns, tick_len, jiffy;
	kernel_jiffies_clock(&hz, &tick_ns, &tick_len, &jiffy);
	/* Endpoints orphaned by a killed run come to us, so none outlives the suite. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGCHLD);	/* a child to reap: only then is the list of children walked */
	/* An ignored signal never becomes pending (shells ignore SIGINT in background jobs). */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	sfd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
	/* One wait on every worker's pipe that costs nothing per idle worker (1000 of them). */
	ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event sev = { .events = EPOLLIN, .data.u64 = nw };
	if (ep < 0 || sfd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &sev) < 0) {
		fprintf(stderr, "deadpeer run: cannot wait for the runs: %s\n", strerror(errno));
		status = -1;
		goto out;
	}
	bool reap = true;

	int64_t pace_ms = -1;	/* when the next held workers may go */
	while (sch->done < sch->n) {
		pid_t gone;
		while (reap && (gone = waitpid(-1, NULL, WNOHANG)) > 0) {
			drop_held(gone);	/* workers that have released everything, orphaned endpoints */
			for (size_t k = 0; k < nw; k++)
				if (w[k].pid == gone)
					w[k].reaped = true;	/* killed from outside: its pipe says the rest */
		}
		reap = false;
		size_t building = 0, bridged = 0;
		for (size_t k = 0; k < nw; k++) {
			building += w[k].pid > 0 && !w[k].established;
			bridged += w[k].pid > 0 && w[k].bridged;
		}
		for (size_t k = 0; k < nw && (n_again || next < sch->n) && building < slots && !sch->interrupted; k++) {
			if (w[k].pid > 0)
				continue;
			size_t i = n_again ? again_q[n_again - 1] : order[next];
			bool b = run_needs_bridges(&sch->runs[i].v);
			if (b && bridged >= bslots)
				break;	/* when one of them has finished */
			bridged += b;
			int ret = start_worker(sch, &w[k], k, i, b);
			if (ret < 0 && transient(ret) && running)
				break;	/* try again when a run has finished */
			if (n_again)
				n_again--;
			else
				next++;
			if (ret < 0) {
				fail_run(sch, i, "cannot start a run: %s", strerror(-ret));
				continue;
			}
			attempts[i]++;
			running++;
			building++;
		}
		if (!running)
			break;
		if (sch->live)
			status_line(sch, order, running, next, start_ns, w, nw, jobs);
		int64_t now = mono_ns(), wake = INT64_MAX;
		for (size_t k = 0; k < nw; k++)
			if (w[k].pid > 0 && w[k].limit_ns < wake)
				wake = w[k].limit_ns;
		int timeout = wake == INT64_MAX ? -1 : wake <= now ? 0 : (int)((wake - now) / 1000000 + 1);
		if (pace_ms >= 0 && (timeout < 0 || timeout > pace_ms))
			timeout = (int)pace_ms;
		if (sch->live && (timeout < 0 || timeout > 1000))
			timeout = 1000;
		int n_ev = epoll_wait(ep, ev, (int)nw + 1, timeout);
		for (int e = 0; e < n_ev; e++) {
			if (ev[e].data.u64 < nw) {
				ready[ev[e].data.u64] = true;
				continue;
			}
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) > 0) {
				if (si.ssi_signo == SIGCHLD)
					reap = true;
				else if (!sch->interrupted)
					halt(sch, w, nw);
			}
		}
		now = mono_ns();
		for (size_t k = 0; k < nw; k++) {
			if (w[k].pid <= 0)
				continue;
			if (ready[k]) {
				ready[k] = false;
				if (!worker_input(sch, &w[k]))
					running--;
				continue;
			}
			if (now < w[k].limit_ns)
				continue;
			/* Stopped or hung: no run takes this long. */
			size_t i = w[k].run;
			if (!w[k].reaped)
				kill(w[k].pid, SIGKILL);
			worker_release(&w[k]);
			running--;
			fail_run(sch, i, "the run's process gave no result %d s after the run should have ended "
				 "(stopped or hung?); it was killed", WATCHDOG_MARGIN_MS / 1000);
		}
		if (sch->stop && !sch->interrupted)
			halt(sch, w, nw);
		bool connecting = false;
		for (size_t k = 0; k < nw; k++)
			connecting |= w[k].pid > 0 && !w[k].established;
		pace_ms = -1;
		if (!connecting || n_held > HOLD_MAX)
			pace_ms = let_go_paced(mono_ns());
	}
	let_go();
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
out:
	for (size_t k = 0; k < nw; k++)
		if (w[k].pid > 0)
			worker_release(&w[k]);	/* interrupted: killed in halt() */
	if (sfd >= 0)
		close(sfd);
	if (ep >= 0)
		close(ep);
	ep = -1;
	sigprocmask(SIG_UNBLOCK, &stop, NULL);
	free(ev);
	free(ready);
	free(w);
	free(order);
	free(held);
	held = NULL;
	free(again_q);
	again_q = NULL;
	free(attempts);
	attempts = NULL;
	return status;
}

