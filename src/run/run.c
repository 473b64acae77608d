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
#include "predict.h"
#include "run.h"
#include "wire.h"

static_assert((int)TOPO_CLIENT == (int)HOST_CLIENT && (int)TOPO_SERVER == (int)HOST_SERVER &&
	      (int)TOPO_ROUTER == (int)HOST_ROUTER, "hosts and topology nodes share their order");

#define SETUP_TIMEOUT_MS 5000
#define STOP_TIMEOUT_MS 2000

struct run_state {
	const struct variant *v;
	struct topology topo;
	struct fault_env env;
	int ctl[SIDE_COUNT];			/* control sockets, -1 when closed */
	bool started[SIDE_COUNT];		/* the endpoint process was started */
	bool decided[SIDE_COUNT];		/* a result (or a kill) is in */
	struct ep_msg result[SIDE_COUNT];	/* EP_RESULT of each side */
	int64_t established_ns;
	int64_t fault_ns;			/* first fault applied; 0 before */
	int64_t fault_lag_ns;		/* the first fault in effect (the kernel acknowledged it), after its scheduled instant */
	int64_t deadline_ns;			/* when undecided sides become "none" */
	int service_ctl;			/* control socket of env.service_pid, -1: none */
	const struct run_opts *opts;		/* may be NULL */
	struct capture *cap[SIDE_COUNT];	/* each endpoint host's capture; NULL when broken */
	struct pcap_dumper *file[SIDE_COUNT];	/* --pcap: where the host's packets go */
	struct wire_side wire[SIDE_COUNT];	/* what each side's host saw */
	bool on_wire[SIDE_COUNT];		/* captured from the start: counts come from the wire */
	char *error;				/* run_result.error */
	size_t error_len;
};

static int PRINTF(2, 3) run_fail(struct run_state *st, const char *fmt, ...)
{
	va_list ap;

	if (st->error[0])
		return -1;	/* keep the first reason */
	va_start(ap, fmt);
	vsnprintf(st->error, st->error_len, fmt, ap);
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
	wire_packet(&st->wire[c->side], ts, pkt, h->caplen);
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
	char filter[64];
	int nsfds[SIDE_COUNT], ret;
	struct capture *caps[SIDE_COUNT];
	struct netns_error ne = { 0 };

	for (size_t i = 0; i < n; i++)
		nsfds[i] = st->topo.host[hosts[i]].nsfd;
	snprintf(filter, sizeof(filter), "tcp port %u", (unsigned)st->v->side[HOST_SERVER].port);
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
		st->on_wire[s] = true;
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

/* Receive one message from side @s; false when its control socket closed. */
static bool recv_msg(struct run_state *st, int s, struct ep_msg *m)
{
	ssize_t n = recv(st->ctl[s], m, sizeof(*m), MSG_DONTWAIT);

	/*
	 * An endpoint that exits with our stop command unread makes the
	 * kernel flag ECONNRESET first; its messages are still queued behind.
	 */
	if (n < 0 && errno == ECONNRESET)
		n = recv(st->ctl[s], m, sizeof(*m), MSG_DONTWAIT);
	if (n == (ssize_t)sizeof(*m))
		return true;
	if (n < 0 && errno == EAGAIN)
		return false;
	close(st->ctl[s]);
	st->ctl[s] = -1;
	return false;
}

/*
 * Wait until side @s sends a message of @type (or any result), at most
 * @timeout_ms. Returns 0, or -1 with the run error set.
 */
static int wait_for(struct run_state *st, int s, enum ep_msg_type type, int timeout_ms)
{
	int64_t end = mono_ns() + (int64_t)timeout_ms * 1000000;

	while (st->ctl[s] >= 0) {
		int64_t left = (end - mono_ns()) / 1000000;
		struct pollfd p = { st->ctl[s], POLLIN, 0 };
		struct ep_msg m;

		if (left <= 0)
			break;
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		if (!recv_msg(st, s, &m))
			continue;
		if (m.type == EP_ERROR)
			return run_fail(st, "%s: %s", host_name(s), m.text);
		if (m.type == type)
			return 0;
		if (m.type == EP_RESULT) {
			close_books(st, s, m.ts_ns);
			st->result[s] = m;
			st->decided[s] = true;
			return 0;
		}
	}
	return run_fail(st, "the %s did not get %s within %d ms", host_name(s),
			type == EP_LISTENING ? "to listen" : "connected", timeout_ms);
}

static struct endpoint_args endpoint_args(const struct run_state *st, enum host s)
{
	const struct variant *v = st->v;

	return (struct endpoint_args){
		.side = s,
		.cfg = &v->side[s],
		.family = v->family,
		.server_addr = topo_addr(TOPO_SERVER, v->family == FAMILY_IPV6),
		.port = (uint16_t)v->side[HOST_SERVER].port,
		.nsfd = st->topo.host[s].nsfd,
	};
}

static int start_endpoint(struct run_state *st, enum host s)
{
	struct endpoint_args a = endpoint_args(st, s);
	pid_t pid = endpoint_spawn(&a, &st->ctl[s]);

	if (pid < 0)
		return run_fail(st, "cannot start the %s: %s", host_name(s), strerror((int)-pid));
	st->env.pid[s] = pid;
	st->started[s] = true;
	return 0;
}

/* The server after a crash and restart: a fresh process that only listens. */
static int start_service(struct run_state *st)
{
	struct endpoint_args a = endpoint_args(st, HOST_SERVER);
	struct ep_msg m;
	pid_t pid;

	if (st->service_ctl >= 0)
		close(st->service_ctl);
	pid = endpoint_spawn(&a, &st->service_ctl);
	if (pid < 0)
		return run_fail(st, "cannot restart the server's service: %s", strerror((int)-pid));
	st->env.service_pid = pid;
	struct pollfd p = { st->service_ctl, POLLIN, 0 };
	if (poll(&p, 1, SETUP_TIMEOUT_MS) <= 0 || recv(st->service_ctl, &m, sizeof(m), 0) != (ssize_t)sizeof(m) ||
	    m.type != EP_LISTENING)
		return run_fail(st, "the restarted server did not listen within %d ms", SETUP_TIMEOUT_MS);
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
		snprintf(err, len, "%s", st->error);
		return -EIO;
	}
	return 0;
}

/* [router] idle_timeout: the router becomes a stateful firewall whose flows expire. */
static int setup_middlebox(struct run_state *st)
{
	char buf[8192], seconds[32], readback[64];
	int nsfd = st->topo.host[TOPO_ROUTER].nsfd;
	struct netns_error ne = { 0 };
	int ret = nft_middlebox_build("deadpeer_middlebox", buf, sizeof(buf));

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

/* Scheduled fault events, in time order. */
struct event {
	int64_t at_ns;
	size_t fault;
	bool lift;
};

static int cmp_event(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	if (x->at_ns != y->at_ns)
		return x->at_ns < y->at_ns ? -1 : 1;
	if (x->fault != y->fault)
		return x->fault < y->fault ? -1 : 1;
	return (int)x->lift - (int)y->lift;
}

static bool all_decided(const struct run_state *st)
{
	for (int s = 0; s < SIDE_COUNT; s++)
		if (!st->decided[s] && !st->env.killed[s])
			return false;
	return true;
}

/* Read whatever the endpoints sent; a closed socket of a live side is an error. */
static int collect(struct run_state *st, struct pollfd *p)
{
	for (int s = 0; s < SIDE_COUNT; s++) {
		struct ep_msg m;

		if (st->ctl[s] < 0 || !p[s].revents)
			continue;
		while (st->ctl[s] >= 0 && recv_msg(st, s, &m)) {
			if (m.type == EP_ERROR)
				return run_fail(st, "%s: %s", host_name(s), m.text);
			if (m.type == EP_RESULT && !st->decided[s]) {
				close_books(st, s, m.ts_ns);
				st->result[s] = m;
				st->decided[s] = true;
			}
		}
		if (st->ctl[s] < 0 && !st->decided[s] && !st->env.killed[s])
			return run_fail(st, "the %s endpoint exited without a result", host_name(s));
	}
	return 0;
}

static int timeline(struct run_state *st)
{
	const struct variant *v = st->v;
	struct event ev[2 * MAX_FAULTS];
	size_t n = 0, next = 0;
	int64_t *deadline_ns = &st->deadline_ns;
	char err[256];

	for (size_t i = 0; i < v->n_faults; i++) {
		const struct fault_cfg *f = &v->faults[i];
		ev[n++] = (struct event){ st->established_ns + f->at_ms * 1000000, i, false };
		int64_t heal = fault_heal_ms(f);
		if (heal >= 0)
			ev[n++] = (struct event){ st->established_ns + (f->at_ms + heal) * 1000000, i, true };
	}
	qsort(ev, n, sizeof(ev[0]), cmp_event);
	if (!n)
		*deadline_ns = st->established_ns + v->deadline_ms * 1000000;

	while (!all_decided(st)) {
		int64_t now = mono_ns();

		while (next < n && ev[next].at_ns <= now) {
			const struct event *e = &ev[next++];
			const struct fault_cfg *f = &v->faults[e->fault];
			int ret = e->lift ? fault_lift(&st->env, f, e->fault, err, sizeof(err))
					  : fault_apply(&st->env, f, e->fault, err, sizeof(err));
			if (ret)
				return run_fail(st, "%s", err);
			if (!e->lift && !st->fault_ns) {
				/* Times count from the instant before the fault acted: nothing it causes comes earlier. */
				st->fault_ns = st->env.start_ns;
				st->fault_lag_ns = st->env.effective_ns - e->at_ns;
				*deadline_ns = st->fault_ns + v->deadline_ms * 1000000;
			}
		}
		if (*deadline_ns && now >= *deadline_ns)
			return 0;

		int64_t wake = *deadline_ns ? *deadline_ns : INT64_MAX;
		if (next < n && ev[next].at_ns < wake)
			wake = ev[next].at_ns;
		struct pollfd p[2 * SIDE_COUNT];
		for (int s = 0; s < SIDE_COUNT; s++) {
			p[s] = (struct pollfd){ st->ctl[s], POLLIN, 0 };
			p[SIDE_COUNT + s] = (struct pollfd){ st->cap[s] ? capture_fd(st->cap[s]) : -1, POLLIN, 0 };
		}
		int64_t d = wake - now;
		struct timespec ts = { d / 1000000000, d % 1000000000 };
		if (ppoll(p, 2 * SIDE_COUNT, &ts, NULL) > 0) {
			pump(st);
			if (collect(st, p) < 0)
				return -1;
		}
	}
	return 0;
}

/* Ask undecided sides for their final state, then make sure every endpoint is gone. */
static void stop_endpoints(struct run_state *st)
{
	int64_t end = mono_ns() + (int64_t)STOP_TIMEOUT_MS * 1000000;
	enum ep_cmd cmd = EP_CMD_STOP;

	for (int s = 0; s < SIDE_COUNT; s++) {
		if (st->ctl[s] < 0 || st->decided[s] || st->env.killed[s])
			continue;
		/* The stop is queued before SIGCONT, and a thawed endpoint reads it first. */
		if (send(st->ctl[s], &cmd, sizeof(cmd), MSG_NOSIGNAL) < 0)
			continue;
		if (st->env.frozen[s] && st->env.pid[s] > 0)
			kill(st->env.pid[s], SIGCONT);
	}
	for (;;) {
		struct pollfd p[SIDE_COUNT];
		bool waiting = false;
		for (int s = 0; s < SIDE_COUNT; s++) {
			waiting |= st->ctl[s] >= 0 && !st->decided[s] && !st->env.killed[s];
			p[s] = (struct pollfd){ st->decided[s] ? -1 : st->ctl[s], POLLIN, 0 };
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
		if (st->started[s] && !st->decided[s] && !st->env.killed[s])
			run_fail(st, "the %s endpoint did not report its result within %d ms of being asked "
				 "(stopped or hung by something outside deadpeer?)", host_name(s), STOP_TIMEOUT_MS);
	for (int s = 0; s < SIDE_COUNT; s++) {
		if (st->env.pid[s] > 0) {
			kill(st->env.pid[s], SIGKILL);
			while (waitpid(st->env.pid[s], NULL, 0) < 0 && errno == EINTR)
				;
			st->env.pid[s] = 0;
		}
		if (st->ctl[s] >= 0)
			close(st->ctl[s]);
		st->ctl[s] = -1;
	}
	if (st->env.service_pid > 0) {
		kill(st->env.service_pid, SIGKILL);
		while (waitpid(st->env.service_pid, NULL, 0) < 0 && errno == EINTR)
			;
		st->env.service_pid = 0;
	}
	if (st->service_ctl >= 0)
		close(st->service_ctl);
	st->service_ctl = -1;
}

static void fill_side(const struct run_state *st, enum host s, struct side_result *r)
{
	const struct ep_msg *m = &st->result[s];
	int64_t origin = st->fault_ns ? st->fault_ns : st->established_ns;
	const struct side_cfg *cfg = &st->v->side[s];

	*r = (struct side_result){
		.outcome = OUTCOME_NONE, .keepidle_ms = -1, .keepintvl_ms = -1, .keepcnt = -1,
		.user_timeout_ms = -1,
	};
	if (st->env.killed[s]) {
		r->outcome = OUTCOME_KILLED;
		return;
	}
	if (!st->decided[s])
		return;
	/*
	 * A frozen side thawed at the deadline may act on what queued up while
	 * it was stopped; whatever it notices after the deadline is too late.
	 */
	r->outcome = st->deadline_ns && m->ts_ns > st->deadline_ns ? OUTCOME_NONE : m->outcome;
	r->err = m->err;
	r->keepidle_ms = m->keepidle_ms;
	r->keepintvl_ms = m->keepintvl_ms;
	r->keepcnt = m->keepcnt;
	r->user_timeout_ms = m->user_timeout_ms;
	r->probes = m->after.probes;
	r->retransmits = m->after.total_retrans;
	r->before = m->before;
	if (m->last_rx_ns) {
		r->has_last_rx = true;
		r->last_rx_ms = (m->last_rx_ns - origin) / 1000000;
	}
	if (r->outcome != OUTCOME_NONE) {
		r->detected = true;
		r->detect_ms = (m->ts_ns - origin) / 1000000;
	}
	else
		r->err = 0;
	r->mechanism = classify_mechanism(r->outcome, r->err, cfg, &m->before, &m->after);

	/*
	 * Counts come from the wire, which sees every packet the host sent
	 * (after its own firewall). last_rx stays the socket's own view: the
	 * host's interface also sees packets that its firewall then drops, and
	 * the socket's receive time is what its keepalive timer counts from.
	 */
	const struct wire_side *w = &st->wire[s];
	if (!st->on_wire[s])
		return;
	r->counted_on_wire = true;
	r->probes = w->probes;
	r->retransmits = w->retransmits;
	r->zero_window_probes = w->zero_window_probes;
	r->probe_replies = w->probe_replies;
	r->probe_reply_max_us = w->probe_reply_max_ns / 1000;
	int64_t event = 0;
	switch (r->outcome) {
	case OUTCOME_FIN:
		event = w->first_fin_in;
		break;
	case OUTCOME_RST:
		event = w->first_rst_in;
		break;
	case OUTCOME_TIMEOUT:
		/* A keepalive timer that gives up sends a reset before it reports. */
		if (r->mechanism == MECH_KEEPALIVE || (r->mechanism == MECH_USER_TIMEOUT && !m->before.outq))
			event = w->first_rst_out;
		break;
	case OUTCOME_HEARTBEAT:
	case OUTCOME_NONE:
	case OUTCOME_KILLED:
	case OUTCOME_COUNT:
		break;
	}
	if (event && r->detected) {
		r->has_wire_lag = true;
		r->wire_lag_us = (m->ts_ns - event) / 1000;
	}
}

int64_t variant_first_fault_ms(const struct variant *v)
{
	int64_t first = -1;

	for (size_t i = 0; i < v->n_faults; i++)
		if (first < 0 || v->faults[i].at_ms < first)
			first = v->faults[i].at_ms;
	return first;
}

int64_t run_span_ms(const struct variant *v)
{
	int64_t first = variant_first_fault_ms(v);
	int64_t span = (first < 0 ? 0 : first) + v->deadline_ms + STOP_TIMEOUT_MS;
	for (size_t i = 0; i < v->n_faults; i++)
		if (v->faults[i].action == ACTION_CRASH && v->faults[i].restart_service)
			span += SETUP_TIMEOUT_MS;	/* waiting for the restarted service to listen */
	return span;
}

int run_variant(const struct variant *v, unsigned run, const struct run_opts *opts, struct run_result *res)
{
	struct run_state st = {
		.v = v, .ctl = { -1, -1 }, .error = res->error, .error_len = sizeof(res->error), .service_ctl = -1,
		.opts = opts,
	};
	int ret = -1;

	memset(res, 0, sizeof(*res));
	res->v = v;
	res->run = run;
	res->fault_at_ms = variant_first_fault_ms(v);

	st.env.topo = &st.topo;
	st.env.port = (uint16_t)v->side[HOST_SERVER].port;
	st.env.restart = restart_host;
	st.env.owner = &st;
	res->setup_us = res->connect_us = res->teardown_us = -1;
	int64_t t0 = mono_ns(), t1 = 0;
	if (topology_create(&st.topo, res->error, sizeof(res->error)) < 0)
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
	res->setup_us = (t1 - t0) / 1000;
	if (start_endpoint(&st, HOST_SERVER) || wait_for(&st, HOST_SERVER, EP_LISTENING, SETUP_TIMEOUT_MS) ||
	    start_endpoint(&st, HOST_CLIENT) || wait_for(&st, HOST_CLIENT, EP_ESTABLISHED, SETUP_TIMEOUT_MS) ||
	    wait_for(&st, HOST_SERVER, EP_ESTABLISHED, SETUP_TIMEOUT_MS))
		goto out;
	st.established_ns = mono_ns();
	res->connect_us = (st.established_ns - t1) / 1000;
	if (opts && opts->established)
		opts->established(opts->publish_arg);
	if (timeline(&st) < 0)
		goto out;
	ret = 0;
out:
	t0 = mono_ns();
	stop_endpoints(&st);
	pump(&st);		/* the last packets, before the books close */
	for (int s = 0; s < SIDE_COUNT; s++) {
		int werr = st.file[s] ? capture_file_flush(st.file[s]) : 0;
		if (werr)
			run_fail(&st, "cannot write the %s's capture file: %s", host_name(s), strerror(-werr));
	}
	res->teardown_us = (mono_ns() - t0) / 1000;
	res->fault_lag_us = st.fault_ns ? st.fault_lag_ns / 1000 : -1;
	res->failed = ret < 0 || res->error[0];
	for (int s = 0; s < SIDE_COUNT; s++) {
		struct prediction p;
		fill_side(&st, s, &res->side[s]);
		predict_side(v, s, res->side[s].has_last_rx, res->side[s].last_rx_ms, &p);
		res->side[s].has_prediction = p.has_time;
		res->side[s].predicted_outcome = p.outcome;
		res->side[s].predicted_mechanism = p.mechanism;
		res->side[s].predicted_ms = p.ms;
		res->side[s].verdict = res->failed ? (v->expect[s].text ? VERDICT_FAIL : VERDICT_NONE)
						   : expect_verdict(&v->expect[s], &res->side[s]);
	}
	if (opts && opts->publish)
		opts->publish(res, opts->publish_arg);
	stop_captures(&st);
	topology_destroy(&st.topo);
	return ret;
}

