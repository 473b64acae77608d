// SPDX-License-Identifier: MIT
/*
 * The run loop. Order of a run:
 *   topology -> sysctls -> server listens -> client connects -> both
 *   established -> fault timeline (apply at "at", lift after "duration")
 *   -> wait until both sides decided or the deadline -> stop -> collect ->
 *   tear down.
 * Teardown needs no bookkeeping beyond the descriptors: endpoints are
 * killed and reaped, the namespace descriptors closed, and the kernel
 * removes the namespaces with their links and rules.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <pcap/pcap.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "fault.h"
#include "kernel.h"
#include "run.h"
#include "wire.h"

static_assert((int)TOPO_CLIENT == (int)HOST_CLIENT && (int)TOPO_SERVER == (int)HOST_SERVER &&
	      (int)TOPO_ROUTER == (int)HOST_ROUTER, "hosts and topology nodes share their order");

#define SETUP_TIMEOUT_MS 5000
#define STOP_TIMEOUT_MS 2000
/*
 * This long before a fault's instant (or a delayed connect's) the run
 * takes a real-time priority, and gives it back once the instant is
 * handled: a machine busy building other runs (nice 10) and destroying
 * their namespaces (the kernel's workers, nice 0) then wakes it on time.
 */
#define EVENT_RT_LEAD_MS 50

struct run_state {
	const struct variant *v;
	struct topology topo;
	struct fault_env env;
	struct endpoint ep[SIDE_COUNT];		/* the client and the server */
	struct observation *obs;		/* what the run saw, filled as it goes */
	int64_t fault_lag_ns;		/* the first fault in effect (the kernel acknowledged it), after its scheduled instant */
	struct endpoint service;		/* the server's program after a restart */
	bool applied[MAX_FAULTS], lifted[MAX_FAULTS];	/* each fault's state */
	int span[MAX_FAULTS];		/* each applied fault's slot in the record's faults; -1: none */
	const struct run_opts *opts;		/* may be NULL */
	struct capture *cap[SIDE_COUNT];	/* each endpoint host's capture; NULL when broken */
	struct pcap_dumper *file[SIDE_COUNT];	/* --pcap: where the host's packets go */
	struct wire_side wire[SIDE_COUNT];	/* what each side's host saw */
};

static int PRINTF(2, 3) run_fail(struct run_state *st, const char *fmt, ...)
{
	va_list ap;

	if (st->obs->error[0])
		return -1;	/* keep the first reason */
	va_start(ap, fmt);
	vsnprintf(st->obs->error, sizeof(st->obs->error), fmt, ap);
	va_end(ap);
	return -1;
}

static int apply_sysctls(struct run_state *st, enum host h, const struct sysctl_setting *ss, size_t n)
{
	char readback[256];

	for (size_t i = 0; i < n; i++) {
		int ret = netns_sysctl_write(st->topo.host[h].nsfd, ss[i].key, ss[i].value, readback, sizeof(readback));
		if (ret == -EIO)
			return run_fail(st, "%s:%d: sysctl %s in namespace \"%s\": wrote '%s', reads back '%s'",
					scenario_path(st->v->scenario), ss[i].line, ss[i].key, host_name(h),
					ss[i].value, readback);
		if (ret == -ENOENT)
			return run_fail(st, "%s:%d: sysctl %s does not exist in a network namespace of this kernel",
					scenario_path(st->v->scenario), ss[i].line, ss[i].key);
		if (ret < 0)
			return run_fail(st, "%s:%d: cannot set sysctl %s in namespace \"%s\": %s",
					scenario_path(st->v->scenario), ss[i].line, ss[i].key, host_name(h),
					strerror(-ret));
	}
	return 0;
}

struct packet_ctx {
	struct run_state *st;
	int side;
};

static void on_packet(void *user, int64_t ts, const struct pcap_pkthdr *h, const uint8_t *pkt)
{
	struct packet_ctx *c = user;
	struct run_state *st = c->st;

	if (st->file[c->side])
		capture_file_write(st->file[c->side], h, pkt);
	enum wire_class cls = wire_packet(&st->wire[c->side], ts, pkt, h->caplen);
	if (cls != WIRE_OTHER)
		obs_add_packet(st->obs, c->side, ts, cls);
}

/* Read every packet the captures hold; a capture whose interface went away is closed. */
static void pump(struct run_state *st)
{
	for (int s = 0; s < SIDE_COUNT; s++) {
		struct packet_ctx c = { st, s };
		if (st->cap[s] && capture_drain(st->cap[s], on_packet, &c) < 0) {
			capture_close(st->cap[s]);
			st->cap[s] = NULL;
		}
	}
}

/*
 * Open the captures of @n endpoint hosts at once (see capture_open_many), and
 * with --pcap their files; a restarted host keeps appending to its file.
 */
static int open_captures(struct run_state *st, const enum host *hosts, size_t n)
{
	char filter[160];
	int nsfds[SIDE_COUNT], ret;
	struct capture *caps[SIDE_COUNT];
	struct netns_error ne = { 0 };

	for (size_t i = 0; i < n; i++)
		nsfds[i] = st->topo.host[hosts[i]].nsfd;
	/* and the ICMP unreachables that answer it (a gone host: the router gives up resolving it) */
	snprintf(filter, sizeof(filter), "tcp port %u or (icmp and icmp[0] == 3) or (icmp6 and ip6[40] == 1)",
		 (unsigned)st->v->side[HOST_SERVER].port);
	ret = capture_open_many(nsfds, n, TOPO_HOST_IFNAME, filter, caps, &ne);
	if (ret < 0)
		return run_fail(st, "cannot capture on %s: %s", TOPO_HOST_IFNAME, netns_strerror(&ne, ret));
	for (size_t i = 0; i < n; i++) {
		enum host s = hosts[i];
		st->cap[s] = caps[i];
		if (st->opts && st->opts->pcap_prefix && !st->file[s]) {
			char path[4200];
			snprintf(path, sizeof(path), "%s-%s.pcap", st->opts->pcap_prefix, host_name(s));
			ret = capture_file_open(st->cap[s], path, &st->file[s], &ne);
			if (ret < 0)
				return run_fail(st, "cannot create \"%s\": %s", path, netns_strerror(&ne, ret));
		}
	}
	return 0;
}

/* Both endpoint hosts' captures, from the start: counts come from the wire. */
static int start_captures(struct run_state *st)
{
	static const enum host both[SIDE_COUNT] = { HOST_CLIENT, HOST_SERVER };

	for (int s = 0; s < SIDE_COUNT; s++)
		wire_side_init(&st->wire[s], topo_addr(s == HOST_CLIENT ? TOPO_CLIENT : TOPO_SERVER,
						       st->v->family == FAMILY_IPV6));
	if (open_captures(st, both, SIDE_COUNT) < 0)
		return -1;
	for (int s = 0; s < SIDE_COUNT; s++)
		st->obs->side[s].on_wire = true;
	return 0;
}

/* Close the captures; whoever needs their last packets pumps first. */
static void stop_captures(struct run_state *st)
{
	capture_close_many(st->cap, SIDE_COUNT);
	for (int s = 0; s < SIDE_COUNT; s++) {
		capture_file_close(st->file[s]);
		st->file[s] = NULL;
	}
}

/* A side has decided at @ts: what its host's wire shows after that is not its story. */
static void close_books(struct run_state *st, int s, int64_t ts)
{
	pump(st);
	if (ts < st->wire[s].cutoff_ns)
		st->wire[s].cutoff_ns = ts;
}

/* Side @s reported its result. */
static void decide(struct run_state *st, int s, const struct ep_report *r)
{
	/* The observer missed the connection's end: the run vouches for nothing, and is worth running again. */
	if (r->end_unseen && !st->obs->error[0]) {
		run_fail(st, "%s: the eBPF observer %s: the kernel's view is unknown", host_name(s),
			 r->events_lost ? "lost events (its ring buffer was full), the connection's end among them"
					: "missed the kernel's end of the connection (the socket was destroyed closed, "
					  "its change to CLOSE never reported)");
		st->obs->again = true;
	}
	close_books(st, s, r->ts_ns);
	st->obs->side[s].report = *r;
	st->obs->side[s].decided = true;
}

/*
 * Wait until side @s is @type (or has decided), at most @timeout_ms. Returns
 * 0, or -1 with the run error set.
 */
static int wait_for(struct run_state *st, int s, enum ep_msg_type type, int timeout_ms)
{
	struct ep_msg m;
	int ret = st->ep[s].ops->ready(&st->ep[s], type, timeout_ms, &m);

	if (ret == 1)
		decide(st, s, &m.r);
	if (ret >= 0)
		return 0;
	if (m.type == EP_ERROR && m.r.ts_ns)
		return run_fail(st, "%s: %s", host_name(s), m.text);
	return run_fail(st, "the %s did not get %s within %d ms", host_name(s),
			type == EP_LISTENING ? "to listen" : "connected", timeout_ms);
}

static struct endpoint_args endpoint_args(const struct run_state *st, enum host s)
{
	const struct variant *v = st->v;

	bool v6 = v->family == FAMILY_IPV6;
	enum topo_node self = s == HOST_CLIENT ? TOPO_CLIENT : TOPO_SERVER;
	enum topo_node peer = s == HOST_CLIENT ? TOPO_SERVER : TOPO_CLIENT;

	return (struct endpoint_args){
		.side = s,
		.cfg = &v->side[s],
		.family = v->family,
		.server_addr = topo_addr(TOPO_SERVER, v6),
		.port = (uint16_t)v->side[HOST_SERVER].port,
		.nsfd = st->topo.host[s].nsfd,
		.addr = topo_addr(self, v6),
		.peer = topo_addr(peer, v6),
		.suite_dir = st->opts ? st->opts->suite_dir : NULL,
		.listening = v->start == START_LISTENING,
	};
}

static int start_endpoint(struct run_state *st, enum host s)
{
	struct endpoint_args a = endpoint_args(st, s);
	char err[256] = "";
	int ret = st->ep[s].ops->start(&st->ep[s], &a, err, sizeof(err));

	if (ret < 0)
		return run_fail(st, "cannot start the %s: %s", host_name(s), err[0] ? err : strerror(-ret));
	st->obs->side[s].started = true;
	return 0;
}

/* The server after a crash and restart: a fresh process that only listens. */
static int start_service(struct run_state *st)
{
	struct endpoint_args a = endpoint_args(st, HOST_SERVER);
	struct endpoint *svc = &st->service;
	struct ep_msg m;
	char err[256] = "";
	int ret;

	svc->ops->release(svc);
	ret = svc->ops->start(svc, &a, err, sizeof(err));
	if (ret < 0)
		return run_fail(st, "cannot restart the server's service: %s", err[0] ? err : strerror(-ret));
	if (svc->ops->ready(svc, EP_LISTENING, SETUP_TIMEOUT_MS, &m) != 0)
		return run_fail(st, "the restarted server did not listen%s%s", m.type == EP_ERROR ? ": " : "",
				m.type == EP_ERROR ? m.text : "");
	return 0;
}

/* fault_env.restart: a crashed host boots again, with no memory of the connection. */
static int restart_host(struct fault_env *env, enum host h, bool service, char *err, size_t len)
{
	struct run_state *st = env->owner;
	const struct side_cfg *cfg = &st->v->side[h];
	int ret = topology_attach(&st->topo, h == HOST_CLIENT ? TOPO_CLIENT : TOPO_SERVER, err, len);

	if (ret)
		return ret;
	pump(st);
	capture_close(st->cap[h]);
	st->cap[h] = NULL;
	if (open_captures(st, &h, 1) < 0 || apply_sysctls(st, h, cfg->sysctls, cfg->n_sysctls) < 0 ||
	    (service && h == HOST_SERVER && start_service(st) < 0)) {
		snprintf(err, len, "%s", st->obs->error);
		return -EIO;
	}
	return 0;
}

/*
 * [router] idle_timeout: the router becomes a stateful firewall whose flows
 * expire; idle_action says whether it drops or resets what comes after.
 */
static int setup_middlebox(struct run_state *st)
{
	char buf[8192], seconds[32], readback[64];
	int nsfd = st->topo.host[TOPO_ROUTER].nsfd;
	struct netns_error ne = { 0 };
	bool reset = st->v->router.idle_action == IDLE_RESET;
	int ret = nft_middlebox_build("deadpeer_middlebox", reset, buf, sizeof(buf));

	if (ret > 0)
		ret = netns_nft_send(st->topo.host[TOPO_ROUTER].nft, buf, (size_t)ret, &ne);
	if (ret)
		return run_fail(st, "cannot add the middlebox's nftables table in namespace \"router\": %s",
				netns_strerror(&ne, ret));
	snprintf(seconds, sizeof(seconds), "%lld", (long long)(st->v->router.idle_timeout_ms / 1000));
	ret = netns_sysctl_write(nsfd, "net.netfilter.nf_conntrack_tcp_timeout_established", seconds,
				 readback, sizeof(readback));
	if (ret)
		return run_fail(st, "cannot set net.netfilter.nf_conntrack_tcp_timeout_established in namespace \"router\": %s",
				strerror(-ret));
	return 0;
}

/* Scheduled events, in time order: a fault applied or lifted, or (start = listening) the client's connect. */
enum event_kind { EV_APPLY, EV_LIFT, EV_CONNECT };

struct event {
	int64_t at_ns;
	size_t fault;
	enum event_kind kind;
};

static int cmp_event(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	if (x->at_ns != y->at_ns)
		return x->at_ns < y->at_ns ? -1 : 1;
	/* The connect after the faults of its instant: connect_at = at means the fault is in place. */
	if ((x->kind == EV_CONNECT) != (y->kind == EV_CONNECT))
		return x->kind == EV_CONNECT ? 1 : -1;
	if (x->fault != y->fault)
		return x->fault < y->fault ? -1 : 1;
	return (int)x->kind - (int)y->kind;
}

static bool all_decided(const struct run_state *st)
{
	for (int s = 0; s < SIDE_COUNT; s++)
		if (!st->obs->side[s].decided && !st->env.killed[s])
			return false;
	return true;
}

/* Read whatever the endpoints reported; a live side that is gone without a result is an error. */
static int collect(struct run_state *st, struct pollfd *p)
{
	for (int s = 0; s < SIDE_COUNT; s++) {
		struct endpoint *ep = &st->ep[s];
		struct ep_msg m;

		if (ep->fd < 0 || !p[s].revents)
			continue;
		while (ep->ops->observe(ep, &m) > 0) {
			if (m.type == EP_ERROR)
				return run_fail(st, "%s: %s", host_name(s), m.text);
			if (m.type == EP_RESULT && !st->obs->side[s].decided)
				decide(st, s, &m.r);
		}
		if (ep->fd < 0 && !st->obs->side[s].decided && !st->env.killed[s])
			return run_fail(st, "the %s endpoint exited without a result", host_name(s));
	}
	return 0;
}

/*
 * Real-time (SCHED_FIFO, the lowest priority) or back to normal. Children
 * do not inherit it (an endpoint started at an instant). Where the run may
 * not (no CAP_SYS_NICE, a cgroup without real-time time), it stays normal:
 * its instants are as punctual as the machine allows, and recorded.
 */
static void event_priority(bool *rt, bool want)
{
	static bool denied;	/* asked once: a worker runs one run */
	struct sched_param sp = { .sched_priority = want ? 1 : 0 };

	if (*rt == want || (want && denied))
		return;
	if (sched_setscheduler(0, (want ? SCHED_FIFO : SCHED_OTHER) | SCHED_RESET_ON_FORK, &sp) == 0 || !want)
		*rt = want;
	else
		denied = true;
}

static int timeline_events(struct run_state *st, bool *rt)
{
	const struct variant *v = st->v;
	struct event ev[2 * MAX_FAULTS + 1];
	size_t n = 0, next = 0;
	int64_t *deadline_ns = &st->obs->deadline_ns;
	char err[256];

	for (size_t i = 0; i < v->n_faults; i++) {
		const struct fault_cfg *f = &v->faults[i];
		ev[n++] = (struct event){ st->obs->established_ns + f->at_ms * 1000000, i, EV_APPLY };
		int64_t heal = fault_heal_ms(f);
		if (heal >= 0)
			ev[n++] = (struct event){ st->obs->established_ns + (f->at_ms + heal) * 1000000, i, EV_LIFT };
	}
	if (v->start == START_LISTENING)
		ev[n++] = (struct event){ st->obs->established_ns + v->side[HOST_CLIENT].connect_at_ms * 1000000, 0,
					  EV_CONNECT };
	qsort(ev, n, sizeof(ev[0]), cmp_event);
	if (!v->n_faults)
		*deadline_ns = st->obs->established_ns + v->deadline_ms * 1000000;

	while (!all_decided(st)) {
		int64_t now = mono_ns();

		while (next < n && ev[next].at_ns <= now) {
			const struct event *e = &ev[next++];
			const struct fault_cfg *f = &v->faults[e->fault];
			if (e->kind == EV_CONNECT) {
				if (start_endpoint(st, HOST_CLIENT) < 0)
					return -1;
				continue;
			}
			bool lift = e->kind == EV_LIFT;
			int64_t lifting_ns = mono_ns();
			int ret = lift ? fault_lift(&st->env, f, e->fault, err, sizeof(err))
				       : fault_apply(&st->env, f, e->fault, err, sizeof(err));
			if (ret)
				return run_fail(st, "%s", err);
			st->applied[e->fault] = true;
			st->lifted[e->fault] = lift;
			if (!lift)
				st->span[e->fault] = obs_fault_start(st->obs, f->kind->name, f->target, st->env.start_ns);
			else if (st->span[e->fault] >= 0)
				st->obs->faults[st->span[e->fault]].end_ns = lifting_ns;
			if (!lift && !st->obs->fault_ns) {
				/* Times count from the instant before the fault acted: nothing it causes comes earlier. */
				st->obs->fault_ns = st->env.start_ns;
				st->fault_lag_ns = st->env.effective_ns - e->at_ns;
				*deadline_ns = st->obs->fault_ns + v->deadline_ms * 1000000;
			}
		}
		if (*deadline_ns && now >= *deadline_ns)
			return 0;

		int64_t wake = *deadline_ns ? *deadline_ns : INT64_MAX;
		int64_t lead_ns = next < n ? ev[next].at_ns - (int64_t)EVENT_RT_LEAD_MS * 1000000 : INT64_MAX;
		bool lead = now >= lead_ns;
		int64_t at = lead ? ev[next].at_ns : lead_ns;	/* the instant itself, or when to take the priority */
		event_priority(rt, lead);
		if (at < wake)
			wake = at;
		struct pollfd p[2 * SIDE_COUNT + 1];
		for (int s = 0; s < SIDE_COUNT; s++) {
			p[s] = (struct pollfd){ st->ep[s].fd, POLLIN, 0 };
			p[SIDE_COUNT + s] = (struct pollfd){ st->cap[s] ? capture_fd(st->cap[s]) : -1, POLLIN, 0 };
		}
		/* A restarted server is not a side that decides, but its output must not fill up and stop it. */
		p[2 * SIDE_COUNT] = (struct pollfd){ st->service.fd, POLLIN, 0 };
		int64_t d = wake - now;
		struct timespec ts = { d / 1000000000, d % 1000000000 };
		if (ppoll(p, 2 * SIDE_COUNT + 1, &ts, NULL) > 0) {
			pump(st);
			if (collect(st, p) < 0)
				return -1;
			struct ep_msg m;
			if (p[2 * SIDE_COUNT].revents)
				while (st->service.ops->observe(&st->service, &m) > 0)
					;
		}
	}
	return 0;
}

static int timeline(struct run_state *st)
{
	bool rt = false;
	int ret = timeline_events(st, &rt);

	event_priority(&rt, false);
	return ret;
}

/* Ask undecided sides for their final state, then make sure every endpoint is gone. */
static void stop_endpoints(struct run_state *st)
{
	int64_t end = mono_ns() + (int64_t)STOP_TIMEOUT_MS * 1000000;

	for (int s = 0; s < SIDE_COUNT; s++) {
		struct endpoint *ep = &st->ep[s];
		if (ep->fd < 0 || st->obs->side[s].decided || st->env.killed[s])
			continue;
		/* The stop is queued before SIGCONT, and a thawed endpoint reads it first. */
		if (ep->ops->stop(ep) < 0)
			continue;
		if (st->env.frozen[s])
			ep->ops->signal(ep, SIGCONT);
	}
	for (;;) {
		struct pollfd p[SIDE_COUNT];
		bool waiting = false;
		for (int s = 0; s < SIDE_COUNT; s++) {
			waiting |= st->ep[s].fd >= 0 && !st->obs->side[s].decided && !st->env.killed[s];
			p[s] = (struct pollfd){ st->obs->side[s].decided ? -1 : st->ep[s].fd, POLLIN, 0 };
		}
		int64_t left = (end - mono_ns()) / 1000000;
		if (!waiting || left <= 0)
			break;
		if (poll(p, SIDE_COUNT, (int)left) > 0 && collect(st, p) < 0)
			break;
	}
	/*
	 * A live side that never answered (stopped or hung by someone else) has
	 * no figures: inventing "none" for it would be a result nobody measured.
	 */
	for (int s = 0; s < SIDE_COUNT; s++)
		if (st->obs->side[s].started && !st->obs->side[s].decided && !st->env.killed[s])
			run_fail(st, "the %s endpoint did not report its result within %d ms of being asked "
				 "(stopped or hung by something outside deadpeer?)", host_name(s), STOP_TIMEOUT_MS);
	/* A killed program's view still says what it did until then (an app's connections, its exit). */
	for (int s = 0; s < SIDE_COUNT; s++) {
		struct endpoint *ep = &st->ep[s];
		struct ep_msg m;
		if (st->env.killed[s] && ep->fd >= 0 && ep->ops->stop(ep) == 0 && ep->ops->observe(ep, &m) > 0 &&
		    m.type == EP_RESULT)
			st->obs->side[s].report.app = m.r.app;
	}
	for (int s = 0; s < SIDE_COUNT; s++)
		st->ep[s].ops->release(&st->ep[s]);
	st->service.ops->release(&st->service);
}

/*
 * The router's side of each subnet is a bridge when a fault needs one, or
 * when the router's sysctls name one ("net.ipv4.neigh.br-server.*").
 */
bool run_needs_bridges(const struct variant *v)
{
	for (size_t i = 0; i < v->n_faults; i++)
		if (v->faults[i].kind->router_bridge)
			return true;
	for (size_t i = 0; i < v->router.n_sysctls; i++)
		if (strstr(v->router.sysctls[i].key, ".br-"))
			return true;
	return false;
}

/* What is left of the run's setup limit, which started at @t0_ns (at least a second). */
static int setup_left_ms(int64_t t0_ns)
{
	int64_t left = RUN_SETUP_LIMIT_MS - (mono_ns() - t0_ns) / 1000000;

	return left < 1000 ? 1000 : (int)left;
}

int64_t run_span_ms(const struct variant *v)
{
	int64_t first = variant_first_fault_ms(v);
	int64_t span = (first < 0 ? 0 : first) + v->deadline_ms + STOP_TIMEOUT_MS;
	for (size_t i = 0; i < v->n_faults; i++)
		if (v->faults[i].restart_service)	/* only a kind that restarts the service takes the key */
			span += v->side[HOST_SERVER].app.command ? ENDPOINT_APP_READY_MS : SETUP_TIMEOUT_MS;
	return span;
}

int run_variant(const struct variant *v, unsigned run, const struct run_opts *opts, struct observation *o)
{
	struct run_state st = { .v = v, .obs = o, .opts = opts };
	int ret = -1;

	for (size_t i = 0; i < MAX_FAULTS; i++)
		st.span[i] = -1;

	obs_init(o);
	snprintf(o->scenario, sizeof(o->scenario), "%s", scenario_path(v->scenario));
	snprintf(o->variant, sizeof(o->variant), "%s", v->name);
	o->variant_index = (uint32_t)v->index;
	o->run = run;
	/* Where the jiffies fall, for the prediction to place each timer the run arms (predict_in_run). */
	int hz;
	if (kernel_jiffies_clock(&hz, &o->clock.tick_ns, &o->clock.tick_ns_len, &o->clock.jiffy))
		o->clock.hz = hz;
	for (int s = 0; s < SIDE_COUNT; s++) {
		st.ep[s] = (struct endpoint){ .ops = endpoint_ops_for(&v->side[s]), .fd = -1 };
		st.env.ep[s] = &st.ep[s];
	}
	st.service = (struct endpoint){ .ops = endpoint_ops_for(&v->side[HOST_SERVER]), .fd = -1 };
	st.env.service = &st.service;
	st.env.hits = -1;
	st.env.topo = &st.topo;
	st.env.port = (uint16_t)v->side[HOST_SERVER].port;
	st.env.restart = restart_host;
	st.env.owner = &st;
	int64_t t0 = mono_ns(), t1 = 0;
	if (topology_create(&st.topo, (run_needs_bridges(v) ? TOPO_BRIDGED : 0) | (v->family == FAMILY_IPV6 ? TOPO_IPV6 : 0),
			    o->error, sizeof(o->error)) < 0)
		goto out;
	if (v->router.idle_timeout_ms >= 0 && setup_middlebox(&st))
		goto out;
	if (apply_sysctls(&st, HOST_CLIENT, v->side[HOST_CLIENT].sysctls, v->side[HOST_CLIENT].n_sysctls) ||
	    apply_sysctls(&st, HOST_SERVER, v->side[HOST_SERVER].sysctls, v->side[HOST_SERVER].n_sysctls) ||
	    apply_sysctls(&st, HOST_ROUTER, v->router.sysctls, v->router.n_sysctls))
		goto out;
	if (start_captures(&st) < 0)
		goto out;
	t1 = mono_ns();
	o->setup_us = (t1 - t0) / 1000;
	if (opts && opts->built)
		opts->built(opts->publish_arg);
	/*
	 * Every link sends (topology_attach waited for it), so the endpoints
	 * are waited for as long as they take, within the run's setup limit:
	 * a busy machine makes them slow, not broken; a connect that fails
	 * says so itself.
	 */
	if (start_endpoint(&st, HOST_SERVER) || wait_for(&st, HOST_SERVER, EP_LISTENING, setup_left_ms(t0)))
		goto out;
	/* start = listening: the clock starts now, and the client connects on the timeline. */
	if (v->start != START_LISTENING &&
	    (start_endpoint(&st, HOST_CLIENT) || wait_for(&st, HOST_CLIENT, EP_ESTABLISHED, setup_left_ms(t0)) ||
	     wait_for(&st, HOST_SERVER, EP_ESTABLISHED, setup_left_ms(t0))))
		goto out;
	o->established_ns = mono_ns();
	o->connect_us = (o->established_ns - t1) / 1000;
	if (opts && opts->established)
		opts->established(opts->publish_arg);
	if (timeline(&st) < 0)
		goto out;
	ret = 0;
out:
	t0 = mono_ns();
	stop_endpoints(&st);
	if (o->established_ns)
		o->run_us = (mono_ns() - o->established_ns) / 1000;
	pump(&st);		/* the last packets, before the books close */
	for (int s = 0; s < SIDE_COUNT; s++) {
		int werr = st.file[s] ? capture_file_flush(st.file[s]) : 0;
		if (werr)
			run_fail(&st, "cannot write the %s's capture file: %s", host_name(s), strerror(-werr));
		o->side[s].killed = st.env.killed[s];
		o->side[s].wire = st.wire[s].counts;
	}
	/* What the faults still in place did, read before their namespaces go. */
	for (size_t i = 0; i < v->n_faults; i++)
		if (st.applied[i] && !st.lifted[i])
			fault_settle(&st.env, &v->faults[i], i);
	o->fault_hits = st.env.hits;
	o->teardown_us = (mono_ns() - t0) / 1000;
	o->fault_lag_us = o->fault_ns ? st.fault_lag_ns / 1000 : -1;
	o->failed = ret < 0 || o->error[0];
	if (opts && opts->publish)
		opts->publish(o, opts->publish_arg);
	stop_captures(&st);
	topology_destroy(&st.topo);
	return o->failed ? -1 : 0;
}

