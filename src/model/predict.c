// SPDX-License-Identifier: MIT
/*
 * The rules, as in Linux net/ipv4/tcp_timer.c:
 *  - keepalive: probes at last_rx + keepidle + k x keepintvl; abort when
 *    keepcnt probes are out (at last_rx + keepidle + keepintvl x keepcnt), or
 *    with TCP_USER_TIMEOUT at the first probe timer where the time since
 *    last_rx is at least the user timeout and a probe is out;
 *  - retransmission: RTO from 200 ms doubling up to 120 s; abort at the first
 *    timer where the time since the first lost segment is at least
 *    tcp_model_timeout(tcp_retries2), or the user timeout when set (the
 *    timer is clamped to fire exactly then); keepalive is not armed while
 *    data is unacknowledged;
 *  - a FIN or RST arrives within the round trip; after a restart, the
 *    survivor's next packet is answered with an RST.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "kernel.h"
#include "predict.h"
#include "wheel.h"
#include "topology.h"

int64_t tcp_model_timeout_ms(int64_t retries, int64_t rto_base_ms)
{
	int64_t thresh = 0;

	/* ilog2(TCP_RTO_MAX / rto_base) */
	for (int64_t q = TCP_RTO_MAX_MS / rto_base_ms; q > 1; q >>= 1)
		thresh++;
	if (retries <= thresh)
		return ((2LL << retries) - 1) * rto_base_ms;
	return ((2LL << thresh) - 1) * rto_base_ms + (retries - thresh) * TCP_RTO_MAX_MS;
}

int64_t retransmission_abort_ms(int64_t retries)
{
	int64_t model = tcp_model_timeout_ms(retries, TCP_RTO_MIN_MS), t = 0, rto = 2 * TCP_RTO_MIN_MS;

	/*
	 * The kernel stamps retrans_stamp when it sends the first
	 * retransmission, one RTO after the lost segment, and gives up at the
	 * first later timer at least the model timeout after that stamp.
	 */
	while (t < model) {
		t += rto;
		rto = rto * 2 > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS : rto * 2;
	}
	return TCP_RTO_MIN_MS + t;
}

int64_t syn_abort_ms(int64_t retries, int64_t linear, int64_t user_timeout_ms, int64_t *sent)
{
	int64_t model = tcp_model_timeout_ms(retries, TCP_TIMEOUT_INIT_MS), t = 0, rto = TCP_TIMEOUT_INIT_MS;

	for (int64_t k = 1;; k++) {
		/* Timer k fires with k - 1 retransmissions out. */
		t += rto;
		*sent = k - 1;
		if (user_timeout_ms > 0 && t >= user_timeout_ms)
			return user_timeout_ms;
		if (k - 1 >= retries + linear || (user_timeout_ms <= 0 && t >= model))
			return t;
		if (k > linear)
			rto = rto * 2 > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS : rto * 2;
	}
}

int64_t keepalive_abort_ms(int64_t idle, int64_t intvl, int64_t cnt, int64_t user_timeout)
{
	if (user_timeout <= 0)
		return idle + intvl * cnt;
	/* Timer k fires at idle + k x intvl with k probes out; the first with k >= 1 past the user timeout. */
	for (int64_t k = 1;; k++)
		if (idle + k * intvl >= user_timeout)
			return idle + k * intvl;
}

static int64_t gcd(int64_t a, int64_t b)
{
	while (b) {
		int64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* Probe slots times unanswered counts the chance is worked out over, at most. */
#define KILL_CHANCE_STATES (4 << 20)

double keepalive_kill_chance(int64_t first, int64_t idle, int64_t intvl, int64_t cnt, double q, int64_t until,
			     int64_t horizon)
{
	int64_t after_answer = idle > intvl ? idle : intvl;
	int64_t step = intvl > 0 && after_answer > 0 ? gcd(after_answer, intvl) : 0;
	double killed = 0;

	if (step <= 0 || cnt < 1 || first > horizon)
		return 0;
	/*
	 * Every probe falls on first + i x step: walk the slots in time order
	 * with the chance of being at each one with k probes unanswered.
	 */
	int64_t slots = (horizon - first) / step + 1, width = cnt + 1;
	if (slots > KILL_CHANCE_STATES / width)
		return -1;
	double *at = xcalloc((size_t)(slots * width), sizeof(*at));
	at[0] = 1;
	for (int64_t i = 0; i < slots; i++) {
		int64_t t = first + i * step, lost = i + intvl / step, answered = i + after_answer / step;
		for (int64_t k = 0; k <= cnt; k++) {
			double here = at[i * width + k];
			if (here == 0)
				continue;
			if (k == cnt) {
				killed += here;		/* the timer fires with cnt probes out: it gives up */
				continue;
			}
			if (t >= until)
				continue;		/* the loss is over: this probe is answered, and all after it */
			if (lost < slots)
				at[lost * width + k + 1] += q * here;
			if (answered < slots)
				at[answered * width] += (1 - q) * here;
		}
	}
	free(at);
	return killed;
}

/* @key as a host's sysctls set it, else @dflt. */
static int64_t host_sysctl(const struct sysctl_setting *ss, size_t n, const char *key, int64_t dflt)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(ss[i].key, key) == 0)
			return strtoll(ss[i].value, NULL, 10);
	return dflt;
}

int64_t side_sysctl(const struct side_cfg *c, const char *key, int64_t dflt)
{
	return host_sysctl(c->sysctls, c->n_sysctls, key, dflt);
}

/* @key as the side sets it, else as this kernel starts a namespace with it (@absent: no such sysctl). */
static int64_t sysctl_int(const struct side_cfg *c, const char *key, int64_t absent)
{
	return host_sysctl(c->sysctls, c->n_sysctls, key, kernel_default(key, absent));
}

int64_t side_keepidle_ms(const struct side_cfg *c)
{
	return c->keepidle_ms >= 0 ? c->keepidle_ms : sysctl_int(c, "net.ipv4.tcp_keepalive_time", 7200) * 1000;
}

int64_t side_keepintvl_ms(const struct side_cfg *c)
{
	return c->keepintvl_ms >= 0 ? c->keepintvl_ms : sysctl_int(c, "net.ipv4.tcp_keepalive_intvl", 75) * 1000;
}

int64_t side_keepcnt(const struct side_cfg *c)
{
	return c->keepcnt >= 0 ? c->keepcnt : sysctl_int(c, "net.ipv4.tcp_keepalive_probes", 9);
}

int64_t side_retries2(const struct side_cfg *c)
{
	return sysctl_int(c, "net.ipv4.tcp_retries2", 15);
}

int64_t side_rto_max_ms(const struct side_cfg *c)
{
	return sysctl_int(c, "net.ipv4.tcp_rto_max_ms", TCP_RTO_MAX_MS);
}

int64_t side_rto_min_us(const struct side_cfg *c)
{
	return sysctl_int(c, "net.ipv4.tcp_rto_min_us", TCP_RTO_MIN_MS * 1000);
}

int64_t side_syn_retries(const struct side_cfg *c)
{
	return sysctl_int(c, "net.ipv4.tcp_syn_retries", 6);
}

/* Kernels before 6.12 have no tcp_syn_linear_timeouts: every SYN RTO doubles, as with 0. */
int64_t side_syn_linear_timeouts(const struct side_cfg *c)
{
	return sysctl_int(c, "net.ipv4.tcp_syn_linear_timeouts", 0);
}

void predict_say(struct prediction *p, enum outcome o, enum mechanism m, int64_t ms, const char *fmt, ...)
{
	va_list ap;

	p->outcome = o;
	p->mechanism = m;
	p->has_time = ms != INT64_MIN;
	p->ms = p->has_time ? ms : 0;
	p->has_window = false;
	p->earliest_ms = p->latest_ms = p->ms;
	p->hz = 0;
	p->n_events = 0;
	p->chain.kind = CHAIN_NONE;
	p->in_run = false;
	va_start(ap, fmt);
	vsnprintf(p->rule, sizeof(p->rule), fmt, ap);
	va_end(ap);
}

static int hz_override = -1;

void predict_set_hz(int hz)
{
	hz_override = hz;
}

int predict_hz(void)
{
	return hz_override >= 0 ? hz_override : kernel_hz();
}

/*
 * How late after its instant a connect's first SYN may leave: the client
 * is told on the run's timeline and calls connect() (3 ms measured).
 */
#define CONNECT_LAG_MS 10
/* How far a side's measured last receive may read after its handshake (tcpi_last_data_recv is in jiffies). */
#define LAST_RX_SLACK_MS 10
/* How much earlier than the harness's origin an endpoint's own clock for its sends may start. */
#define ORIGIN_SLACK_MS 2
/* How far an application's own timer (poll, a timerfd: hrtimers, not the wheel) and the fault's instant may be off. */
#define APP_TIMER_SLACK_MS 10

void predict_round_trip(struct prediction *p)
{
	if (!p->has_time)
		return;
	p->has_window = true;
	p->hz = predict_hz();
	/* detect_ms counts from when the harness saw both sides connected, which each endpoint saw a little before */
	p->earliest_ms = p->ms - ORIGIN_SLACK_MS;
	p->latest_ms = p->ms + APP_TIMER_SLACK_MS;
	p->n_events = 0;
	p->chain.kind = CHAIN_NONE;
}

void predict_answer(struct prediction *p, enum wire_class sent)
{
	int cls = sent;

	p->chain.kind = CHAIN_ANSWER;
	p->chain.walk = NULL;
	memcpy(p->chain.ctx, &cls, sizeof(cls));
	p->chain_ref_ms = p->ms;
}

void predict_shift(struct prediction *p, int64_t d)
{
	if (!p->has_time)
		return;
	p->ms += d;
	p->earliest_ms += d;
	p->latest_ms += d;
	p->chain_ref_ms += d;
	for (size_t i = 0; i < p->n_events; i++) {
		p->events[i].lo_ms += d;
		p->events[i].hi_ms += d;
	}
}

void predict_window(struct prediction *p, int64_t ref_ms, const struct wheel_window *w)
{
	p->has_time = true;
	p->has_window = true;
	p->ms = ref_ms + w->mid_ms;
	p->earliest_ms = ref_ms + w->lo_ms;
	p->latest_ms = ref_ms + w->hi_ms;
	p->hz = predict_hz();
	p->n_events = 0;
	p->chain = w->chain;
	p->chain_ref_ms = ref_ms;
	for (size_t i = 0; i < w->n && p->n_events < PREDICT_EVENTS_MAX; i++)
		p->events[p->n_events++] = (struct predicted_event){ .kind = w->kind[i], .lo_ms = ref_ms + w->ev_lo_ms[i],
								      .hi_ms = ref_ms + w->ev_hi_ms[i] };
}

static const char *dur(char *buf, int64_t ms)
{
	format_duration(buf, 32, ms);
	return buf;
}

int64_t side_first_send_ms(const struct side_cfg *c, int64_t at_ms)
{
	if (c->traffic == TRAFFIC_STREAM)
		return 0;	/* data is always queued: the next segment goes at once */
	/* request/heartbeat: the next multiple of interval from establishment */
	int64_t k = (at_ms + c->interval_ms - 1) / c->interval_ms;
	return k * c->interval_ms - at_ms;
}

/* An application heartbeat expires heartbeat_timeout after the last answer before the fault. */
/*
 * A ping due at the fault's very instant races it. A fault on the path
 * (a rule, a link) is in place first and the ping is lost; one that stops
 * processes (crash, freeze, kill) lets that ping be answered first: so the
 * suite measured (2.0 s after crash and freeze, 1.5 s after drop and
 * link-down, with pings every 500 ms and a 2 s timeout).
 */
static bool answered_at_fault(const struct fault_cfg *f)
{
	const char *k = f->kind ? f->kind->name : "";

	return strcmp(k, "crash") == 0 || strcmp(k, "freeze") == 0 || strcmp(k, "kill") == 0;
}

bool predict_heartbeat_first(const struct side_cfg *c, const struct fault_cfg *f, int64_t lifted_ms,
			     struct prediction *p)
{
	char a[32], b[32];

	if (c->traffic != TRAFFIC_HEARTBEAT)
		return false;
	int64_t last_ping = (f->at_ms - 1) / c->interval_ms * c->interval_ms;
	bool race = f->at_ms % c->interval_ms == 0;
	if (race && answered_at_fault(f))
		last_ping = f->at_ms;
	int64_t t = last_ping + c->heartbeat_timeout_ms - f->at_ms;
	if (p->outcome != OUTCOME_NONE && p->has_time && p->ms <= t)
		return false;
	if (lifted_ms >= 0 && lifted_ms < t)
		return false;
	predict_say(p, OUTCOME_HEARTBEAT, MECH_NONE, t, "heartbeat: last answer at %s + heartbeat_timeout %s%s",
		    dur(a, last_ping - f->at_ms), dur(b, c->heartbeat_timeout_ms),
		    race ? " (the ping due at the fault's instant races it)" : "");
	/* Not a kernel timer: the window is the race and the scheduling of two user-space timers. */
	p->has_window = true;
	p->hz = predict_hz();
	int64_t lo = (f->at_ms - 1) / c->interval_ms * c->interval_ms + c->heartbeat_timeout_ms - f->at_ms;
	p->earliest_ms = lo - APP_TIMER_SLACK_MS;
	p->latest_ms = (race ? lo + c->interval_ms : lo) + APP_TIMER_SLACK_MS;
	/* A run sees which answer was the last (predict_in_run). */
	p->chain.kind = CHAIN_HEARTBEAT;
	p->chain.walk = NULL;
	memcpy(p->chain.ctx, &c->heartbeat_timeout_ms, sizeof(c->heartbeat_timeout_ms));
	p->chain_ref_ms = last_ping - f->at_ms;
	return true;
}

/* Does the reply reset @side's connection, and from when? */
static bool path_resets(const struct fault_cfg *f, enum host side, enum path_reply reply, int64_t *back)
{
	*back = reply == PATH_RESTARTED ? f->restart_ms : 0;
	if (reply == PATH_RESETS)
		return f->direction == DIR_BOTH || (f->direction == DIR_TO_SERVER) == (side == HOST_CLIENT);
	return reply == PATH_RESTARTED;
}

int64_t syn_last_sent_ms(const struct variant *v)
{
	const struct side_cfg *c = &v->side[HOST_CLIENT];
	int64_t r = side_syn_retries(c), l = side_syn_linear_timeouts(c), sent, last = 0, rto = TCP_TIMEOUT_INIT_MS;

	syn_abort_ms(r, l, c->user_timeout_ms, &sent);
	/* Retransmission k leaves when timer k fires: the same ladder as syn_abort_ms. */
	for (int64_t k = 1; k <= sent; k++) {
		last += rto;
		if (k > l)
			rto = rto * 2 > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS : rto * 2;
	}
	return last;
}

/* The SYN chain of the client's settings on the wheel: *@w, or false when HZ is unknown. */
static bool syn_chain_window(const struct side_cfg *c, struct wheel_window *w)
{
	int hz = predict_hz();
	struct syn_chain chain = { .retries = side_syn_retries(c), .linear = side_syn_linear_timeouts(c),
				   .user_timeout_ms = c->user_timeout_ms, .rto_max_ms = side_rto_max_ms(c) };

	if (hz <= 0)
		return false;
	syn_window(&chain, hz, w);
	return true;
}

void predict_syn_lost(const struct variant *v, int64_t connect_ms, struct prediction *p)
{
	const struct side_cfg *c = &v->side[HOST_CLIENT];
	int64_t r = side_syn_retries(c), l = side_syn_linear_timeouts(c), sent, t;
	struct wheel_window w;
	bool wheel = syn_chain_window(c, &w);
	char a[32], b[32];

	t = syn_abort_ms(r, l, c->user_timeout_ms, &sent);
	if (c->user_timeout_ms > 0 && t == c->user_timeout_ms) {
		predict_say(p, OUTCOME_TIMEOUT, MECH_SYN, connect_ms + t,
			    "SYN unanswered: TCP_USER_TIMEOUT %s after the connect at %s, %" PRId64 " SYN retransmission%s",
			    dur(a, c->user_timeout_ms), dur(b, connect_ms), sent, sent == 1 ? "" : "s");
	} else {
		char linear[64] = "RTO 1s, doubling";
		if (l > 0)
			snprintf(linear, sizeof(linear), "RTO 1s, doubling after the first %" PRId64 " timeouts", l);
		predict_say(p, OUTCOME_TIMEOUT, MECH_SYN, connect_ms + t,
			    "SYN unanswered: connect at %s, tcp_syn_retries %" PRId64 " + tcp_syn_linear_timeouts %" PRId64
			    " (%s): gives up after %" PRId64 " retransmissions, %s later (%s)",
			    dur(a, connect_ms), r, l, linear, sent, dur(b, t),
			    sent >= r + l ? "their count" : "tcp_model_timeout");
	}
	if (wheel) {
		w.hi_ms += CONNECT_LAG_MS;
		predict_window(p, connect_ms, &w);
	}
}

void predict_syn_refused(int64_t connect_ms, int64_t at_ms, const char *why, struct prediction *p)
{
	char a[32], b[32];

	if (at_ms == connect_ms) {
		predict_say(p, OUTCOME_REFUSED, MECH_NONE, at_ms, "connect at %s: %s answers the SYN with a reset",
			    dur(a, connect_ms), why);
		predict_round_trip(p);
		predict_answer(p, WIRE_SYN);
	} else
		predict_say(p, OUTCOME_REFUSED, MECH_NONE, at_ms, "connect at %s: %s answers a SYN with a reset at %s",
			    dur(a, connect_ms), why, dur(b, at_ms));
}

/* The router's neighbour resolution toward the server: solicitations x their interval (its sysctls, or the kernel's). */
static int64_t neigh_fail_ms(const struct variant *v, int64_t *solicit, int64_t *retrans)
{
	const char *fam = v->family == FAMILY_IPV6 ? "ipv6" : "ipv4";
	char key[96], lo[96];

	snprintf(lo, sizeof(lo), "net.%s.neigh.lo.mcast_solicit", fam);
	snprintf(key, sizeof(key), "net.%s.neigh.%s.mcast_solicit", fam, TOPO_ROUTER_SERVER_BRIDGE);
	*solicit = host_sysctl(v->router.sysctls, v->router.n_sysctls, key, kernel_default(lo, 3));
	snprintf(lo, sizeof(lo), "net.%s.neigh.lo.retrans_time_ms", fam);
	snprintf(key, sizeof(key), "net.%s.neigh.%s.retrans_time_ms", fam, TOPO_ROUTER_SERVER_BRIDGE);
	*retrans = host_sysctl(v->router.sysctls, v->router.n_sysctls, key, kernel_default(lo, 1000));
	return *solicit * *retrans;
}

enum connect_fate predict_host_gone(const struct variant *v, int64_t connect_ms, int64_t back_ms, bool service,
				    struct prediction *p)
{
	const struct side_cfg *c = &v->side[HOST_CLIENT];
	int64_t solicit, retrans, sent, gone = neigh_fail_ms(v, &solicit, &retrans);
	int64_t syn = syn_abort_ms(side_syn_retries(c), side_syn_linear_timeouts(c), c->user_timeout_ms, &sent);
	char a[32], b[32], d[32];

	if (back_ms >= 0 && back_ms <= connect_ms) {
		if (service)
			return CONNECT_AFTER_FAULT;
		predict_syn_refused(connect_ms, connect_ms, "the restarted server host, with nothing listening,", p);
		return CONNECT_FAILS;
	}
	/* Back while the router still asks: its next solicitation is answered and the queued SYN delivered. */
	if (back_ms >= 0 && back_ms < connect_ms + gone && back_ms < connect_ms + syn) {
		if (service)
			return CONNECT_AFTER_FAULT;
		int64_t t = connect_ms + (back_ms - connect_ms + retrans - 1) / retrans * retrans;
		predict_syn_refused(connect_ms, t, "the restarted server host (nothing listening), found by the router's next neighbour solicitation,", p);
		return CONNECT_FAILS;
	}
	if (syn <= gone) {
		predict_syn_lost(v, connect_ms, p);
		return CONNECT_FAILS;
	}
	predict_say(p, OUTCOME_TIMEOUT, MECH_SYN, connect_ms + gone,
		    "connect at %s to a host that is gone: the router gives up resolving its address after %" PRId64
		    " solicitations x %s and answers the SYNs with ICMP host unreachable (EHOSTUNREACH), %s later",
		    dur(a, connect_ms), solicit, dur(b, retrans), dur(d, gone));
	if (predict_hz() > 0 && solicit > 0) {
		/* The router's solicitation timer, armed when the first SYN arrives, re-armed as it fires. */
		struct wheel_window w;
		repeat_window(retrans, (int)solicit, predict_hz(), &w);
		w.hi_ms += CONNECT_LAG_MS;
		predict_window(p, connect_ms, &w);
	}
	return CONNECT_FAILS;
}

/* The largest segment on the run's links (MTU 1500, TCP timestamps on): what fits in one. */
static int64_t link_mss(const struct variant *v)
{
	return v->family == FAMILY_IPV6 ? 1500 - 40 - 20 - 12 : 1500 - 20 - 20 - 12;
}

/* How long a fault may take to be in place after its instant, for what a stream sends meanwhile. */
#define FAULT_IN_PLACE_MS 10

/* The smallest and largest smoothed round trip assumed on the run's veth links, µs. */
#define SRTT_LO_US 20
#define SRTT_HI_US 2000

/* The union of two windows, for a start that can be either. */
static void window_union(struct wheel_window *w, const struct wheel_window *o, int64_t shift)
{
	int64_t lo = o->lo_ms + shift, hi = o->hi_ms + shift;

	if (lo < w->lo_ms)
		w->lo_ms = lo;
	if (hi > w->hi_ms)
		w->hi_ms = hi;
	w->mid_ms = (w->lo_ms + w->hi_ms) / 2;
	size_t n = o->n < w->n ? o->n : w->n;
	for (size_t i = 0; i < n; i++) {
		if (o->ev_lo_ms[i] + shift < w->ev_lo_ms[i])
			w->ev_lo_ms[i] = o->ev_lo_ms[i] + shift;
		if (o->ev_hi_ms[i] + shift > w->ev_hi_ms[i])
			w->ev_hi_ms[i] = o->ev_hi_ms[i] + shift;
	}
	w->n = n;
}

/*
 * A side that sends into a path that answers nothing (or, from @back_ms
 * on, a reset): its next segment is lost, the tail loss probe and the
 * retransmission timer follow, on the wheel. Its next segment leaves at
 * the next multiple of its interval from establishment; one due at the
 * very instant of the fault may still get through, and then the one an
 * interval later is the first lost.
 */
static void predict_sender(const struct variant *v, enum host side, const struct fault_cfg *f, int64_t back_ms,
			   enum path_reply reply, struct prediction *p)
{
	const struct side_cfg *c = &v->side[side];
	int hz = predict_hz();
	int64_t k = (f->at_ms + c->interval_ms - 1) / c->interval_ms, t0 = k * c->interval_ms - f->at_ms;
	bool one = c->traffic != TRAFFIC_STREAM || c->size + 16 <= link_mss(v);
	int64_t r = side_retries2(c), rto_min_us = side_rto_min_us(c);
	struct rto_chain chain = { .srtt_lo_us = SRTT_LO_US, .srtt_hi_us = SRTT_HI_US, .rto_min_us = rto_min_us,
				   .rto_max_ms = side_rto_max_ms(c), .retries2 = r, .user_timeout_ms = c->user_timeout_ms,
				   .one_segment = one,
				   /* more segments leave before the RTO, each re-arming the probe */
				   .anchored = !one && c->interval_ms < rto_min_us / 1000,
				   .recovery = reply == PATH_SACKED,
				   .reset_from_ms = back_ms >= 0 ? back_ms - t0 : -1 };
	struct wheel_window w, later;
	/* IPv6's address unreachable (what the router says of a neighbour it cannot find) reverts nothing. */
	bool unreachable = reply == PATH_UNREACHABLE && v->family != FAMILY_IPV6;
	char a[32], b[32], d[32];

	rto_window(&chain, hz, &w);
	if (t0 == 0) {
		/* The send due at the fault's instant may beat it: then the next one is the first lost. */
		if (chain.reset_from_ms >= 0)
			chain.reset_from_ms -= c->interval_ms;
		rto_window(&chain, hz, &later);
		window_union(&w, &later, c->interval_ms);
	}
	/*
	 * A stream has a segment leaving at every instant: the first one lost
	 * is the first after the fault's rule is in place, which takes a few ms
	 * (fault_lag_ms; the suite measured up to 7 ms on 2 loaded cores).
	 */
	if (c->traffic == TRAFFIC_STREAM)
		w.hi_ms += FAULT_IN_PLACE_MS;
	bool reset = w.n > 0 && w.kind[w.n - 1] == TEV_RESET;
	if (unreachable && !reset && w.n >= 2) {
		/*
		 * The router answers with ICMP host unreachable once its
		 * neighbour resolution fails (3 x 1 s after the first packet),
		 * and each for the lost segment undoes a backoff (RFC 6069,
		 * tcp_ld_RTO_revert): retransmissions come sooner, but the
		 * kernel still gives up no earlier than the limit after the first
		 * RTO retransmission, and the reverts may also move the last timer
		 * later by up to a resolution. Not walked: a window around it.
		 */
		int64_t solicit, retrans, limit = c->user_timeout_ms > 0 ? c->user_timeout_ms
									 : tcp_model_timeout_ms(r, TCP_RTO_MIN_MS);
		int64_t gone = neigh_fail_ms(v, &solicit, &retrans);
		w.lo_ms = w.ev_lo_ms[1] + limit;
		w.hi_ms += gone + retrans / 10;
		w.mid_ms = (w.lo_ms + w.hi_ms) / 2;
		w.n = 0;	/* a run walks the reverts: it sees the ICMPs arrive (predict_in_run) */
	}
	char icmp[64] = "";
	if (unreachable && !reset)
		snprintf(icmp, sizeof(icmp), "; ICMP unreachable reverts the backoff (RFC 6069)");
	if (reset)
		predict_say(p, OUTCOME_RST, MECH_DATA, INT64_MIN,
			    "RST to the first segment the restarted host gets: the lost one leaves at %s, then the tail loss probe and RTO retransmissions",
			    dur(a, t0));
	else if (c->user_timeout_ms > 0)
		predict_say(p, OUTCOME_TIMEOUT, MECH_USER_TIMEOUT, INT64_MIN,
			    "TCP_USER_TIMEOUT %s after the first retransmission (lost %s at %s, tail loss probe%s, RTO tcp_rto_min_us %s + srtt)%s",
			    dur(b, c->user_timeout_ms), one ? "segment" : "segments", dur(a, t0),
			    chain.recovery ? ", its SACK, recovery" : "", dur(d, rto_min_us / 1000), icmp);
	else
		predict_say(p, OUTCOME_TIMEOUT, MECH_RETRANSMISSION, INT64_MIN,
			    "retransmission: lost %s at %s, tail loss probe, RTO tcp_rto_min_us %s + srtt, doubling; gives up at the first timer %s after the first retransmission (tcp_retries2 %" PRId64 ")%s",
			    one ? "segment" : "segments", dur(a, t0), dur(d, rto_min_us / 1000),
			    dur(b, tcp_model_timeout_ms(r, TCP_RTO_MIN_MS)), r, icmp);
	predict_window(p, t0, &w);
}

/* The largest receive buffer the peer's autotuning may have reached: tcp_rmem's third field. */
static int64_t peer_rmem_max(const struct side_cfg *peer)
{
	const char *text = NULL;
	long long lo, dflt, max;

	for (size_t i = 0; i < peer->n_sysctls; i++)
		if (strcmp(peer->sysctls[i].key, "net.ipv4.tcp_rmem") == 0)
			text = peer->sysctls[i].value;
	if (!text)
		text = kernel_default_text("net.ipv4.tcp_rmem");
	if (text && sscanf(text, "%lld %lld %lld", &lo, &dflt, &max) == 3 && max > 0)
		return max;
	return 6 << 20;
}

void predict_zero_window(const struct variant *v, enum host side, const struct fault_cfg *f, struct prediction *p)
{
	const struct side_cfg *c = &v->side[side];
	int hz = predict_hz();
	char a[32], b[32];

	format_duration(a, sizeof(a), c->user_timeout_ms);
	if (c->user_timeout_ms <= 0) {
		predict_say(p, OUTCOME_NONE, MECH_NONE, INT64_MIN,
			    "the frozen peer's kernel answers probes and acknowledges data");
		return;
	}
	/*
	 * The window closes when the peer's receive buffer is full: at once,
	 * or, if its autotuning grew it to tcp_rmem's largest while it read,
	 * after half of that (tcp_adv_win_scale 1) at the stream's rate.
	 */
	int64_t fill_ms = peer_rmem_max(&v->side[!side]) / 2 * c->interval_ms / (c->size > 0 ? c->size : 1);
	format_duration(b, sizeof(b), fill_ms);
	predict_say(p, OUTCOME_TIMEOUT, MECH_ZERO_WINDOW, INT64_MIN,
		    "zero-window probes are answered; TCP_USER_TIMEOUT %s counts from the persist timer's first firing, an RTO after the window closed (within %s: the peer's receive buffer at the stream's rate)",
		    a, b);
	if (hz <= 0)
		return;
	struct probe0_chain chain = { .srtt_lo_us = SRTT_LO_US, .srtt_hi_us = 25000, .rto_min_us = side_rto_min_us(c),
				      .retries2 = side_retries2(c), .user_timeout_ms = c->user_timeout_ms };
	struct wheel_window w, late;
	probe0_window(&chain, hz, &w);
	/* Closed at once, or once the buffer is full; the window may reopen a crack once, one more timer. */
	late = w;
	window_union(&w, &late, fill_ms + wheel_jiffies_to_ms(2 * wheel_us_to_jiffies(25000 + chain.rto_min_us, hz), hz));
	predict_window(p, side_first_send_ms(c, f->at_ms), &w);
	p->n_events = 0;	/* which probes, when, depends on when the window closes: not listed */
}

void predict_path_broken(const struct variant *v, enum host side, const struct fault_cfg *f, int64_t last_rx,
			 enum path_reply reply, struct prediction *p)
{
	const struct side_cfg *c = &v->side[side];
	char a[32], b[32], d[32], e[32];
	int64_t idle = side_keepidle_ms(c), intvl = side_keepintvl_ms(c), cnt = side_keepcnt(c), back;
	bool sends = c->traffic != TRAFFIC_IDLE;
	bool restart = reply == PATH_RESTARTED;
	bool resets = path_resets(f, side, reply, &back);

	if (sends) {
		int64_t t0 = side_first_send_ms(c, f->at_ms);
		if (predict_hz() > 0) {
			predict_sender(v, side, f, resets ? back : -1, reply, p);
			return;
		}
		if (resets) {
			/* The reset comes back to the first retransmission after the host is back. */
			int64_t t = t0, rto = TCP_RTO_MIN_MS;
			while (t < back) {
				t += rto;
				rto *= 2;
			}
			predict_say(p, OUTCOME_RST, MECH_DATA, t, "RST to the first %s at %s after the fault",
				    restart ? "retransmission once the host is back," : "data segment", dur(a, t));
			return;
		}
		if (c->user_timeout_ms > 0) {
			predict_say(p, OUTCOME_TIMEOUT, MECH_USER_TIMEOUT, t0 + TCP_RTO_MIN_MS + c->user_timeout_ms,
				    "TCP_USER_TIMEOUT %s after the first retransmission (lost segment at %s + RTO %s)",
				    dur(b, c->user_timeout_ms), dur(a, t0), dur(d, TCP_RTO_MIN_MS));
			return;
		}
		int64_t r = side_retries2(c);
		int64_t abort_ms = retransmission_abort_ms(r);
		predict_say(p, OUTCOME_TIMEOUT, MECH_RETRANSMISSION, t0 + abort_ms,
			    "retransmission: lost segment at %s, first retransmission 200ms later, abort at the first RTO timer %s or more after it (tcp_model_timeout, tcp_retries2 = %" PRId64 "): %s",
			    dur(a, t0), dur(b, tcp_model_timeout_ms(r, TCP_RTO_MIN_MS)), r, dur(d, abort_ms));
		return;
	}
	if (!c->keepalive) {
		predict_say(p, OUTCOME_NONE, MECH_NONE, INT64_MIN,
			    "idle without keepalive: nothing is ever sent, half-open forever");
		return;
	}
	/*
	 * An idle side hears only its handshake and the answers to its own
	 * probes. Probes before the fault were answered, the last of them is
	 * what it last heard (the timer then re-armed keepintvl from it); one
	 * due at the fault's very instant races it, and the window covers both.
	 */
	/* (a packet heard keepidle or more after the handshake can only have been a probe's answer) */
	bool after_probe = last_rx >= -f->at_ms + idle - LAST_RX_SLACK_MS, race = false;
	if (!after_probe) {
		int64_t next = -f->at_ms + idle, every = idle > intvl ? idle : intvl;
		for (int k = 0; next < 0 && k < 1000000; k++) {
			last_rx = next;
			after_probe = true;
			next += every;
		}
		race = next == 0;
	}
	int64_t abort_ms = keepalive_abort_ms(idle, intvl, cnt, c->user_timeout_ms);
	if (after_probe && intvl > idle)
		abort_ms += intvl - idle;	/* the first timer after an answered probe is keepintvl's */
	int hz = predict_hz();
	struct wheel_window w;
	struct keepalive_chain chain = { .idle_ms = idle, .intvl_ms = intvl, .cnt = cnt,
					 .user_timeout_ms = c->user_timeout_ms, .reset_from_ms = resets ? back - last_rx : -1,
					 .after_probe = after_probe };
	if (hz > 0) {
		/* On the wheel: which probe meets the reset, if any, is the wheel's to say. */
		keepalive_window(&chain, hz, &w);
		if (race) {
			struct wheel_window answered;
			struct keepalive_chain at_fault = chain;
			at_fault.after_probe = true;
			if (at_fault.reset_from_ms >= 0)
				at_fault.reset_from_ms = back;
			keepalive_window(&at_fault, hz, &answered);
			/* The fault is usually in place first: the time stays the lost probe's, the window takes both. */
			int64_t mid = w.mid_ms;
			if (answered.n == w.n && (w.n == 0 || answered.kind[w.n - 1] == w.kind[w.n - 1])) {
				window_union(&w, &answered, -last_rx);
				w.mid_ms = mid;
			}
		}
		if (w.n > 0 && w.kind[w.n - 1] == TEV_RESET) {
			int64_t k = (int64_t)w.n - 1;
			predict_say(p, OUTCOME_RST, MECH_PROBE, INT64_MIN,
				    "RST to the keepalive probe at last_rx %s + keepidle %s + %" PRId64 " x keepintvl %s",
				    dur(a, last_rx), dur(b, idle), k, dur(d, intvl));
			predict_window(p, last_rx, &w);
			return;
		}
	} else if (resets) {
		for (int64_t k = 0; last_rx + idle + k * intvl < abort_ms + last_rx; k++) {
			int64_t t = last_rx + idle + k * intvl;
			if (t >= back) {
				predict_say(p, OUTCOME_RST, MECH_PROBE, t,
					    "RST to the keepalive probe at last_rx %s + keepidle %s + %" PRId64 " x keepintvl %s",
					    dur(a, last_rx), dur(b, idle), k, dur(d, intvl));
				return;
			}
		}
	}
	if (c->user_timeout_ms > 0)
		predict_say(p, OUTCOME_TIMEOUT, MECH_USER_TIMEOUT, last_rx + abort_ms,
			    "keepalive with TCP_USER_TIMEOUT %s: first probe timer past it, at last_rx %s + %s",
			    dur(a, c->user_timeout_ms), dur(b, last_rx), dur(d, abort_ms));
	else
		predict_say(p, OUTCOME_TIMEOUT, MECH_KEEPALIVE, last_rx + abort_ms,
			    "keepalive: last_rx %s + keepidle %s + keepintvl %s x keepcnt %" PRId64 " = %s",
			    dur(a, last_rx), dur(b, idle), dur(d, intvl), cnt, dur(e, last_rx + abort_ms));
	if (hz > 0)
		predict_window(p, last_rx, &w);
}

void predict_path_cut(const struct variant *v, enum host side, const struct fault_cfg *f, int64_t last_rx,
		      enum path_reply reply, struct prediction *p)
{
	int64_t lifted = fault_heal_ms(f);
	char a[32];

	predict_path_broken(v, side, f, last_rx, reply, p);
	/* A fault lifted before it could matter leaves nothing to notice. */
	if (lifted >= 0 && p->has_time && p->ms > lifted)
		predict_say(p, OUTCOME_NONE, MECH_NONE, INT64_MIN,
			    "the %s is lifted after %s, before the kernel gives up", f->kind->name, dur(a, lifted));
}

void predict_host_lost(const struct variant *v, enum host side, const struct fault_cfg *f, int64_t last_rx,
		       struct prediction *p)
{
	enum path_reply reply = f->target != side && f->target != HOST_ROUTER ? PATH_UNREACHABLE : PATH_SILENT;

	predict_path_cut(v, side, f, last_rx, reply, p);
	predict_heartbeat_first(&v->side[side], f, fault_heal_ms(f), p);
}

void predict_path_lost(const struct variant *v, enum host side, const struct fault_cfg *f, int64_t last_rx,
		       struct prediction *p)
{
	predict_path_cut(v, side, f, last_rx, PATH_SILENT, p);
	predict_heartbeat_first(&v->side[side], f, fault_heal_ms(f), p);
}

/*
 * A middlebox that forgets flows idle for its timeout. Every packet, from
 * either side, refreshes the flow: a request or ping and its answer (which
 * both sides then last heard), a keepalive probe and its ACK (which only the
 * prober hears: the probe is below the peer's window). The first packet
 * after a silence of the timeout finds no state.
 */
struct flow_side {
	const struct side_cfg *c;
	int64_t data_at;	/* its next request or ping; INT64_MAX: it sends none */
	int64_t last_rx;	/* when it last heard its peer */
	bool probed;		/* ... in the answer to its own keepalive probe */
};

/* When @s sends next, and whether that is data (else a keepalive probe). */
static int64_t next_send(const struct flow_side *s, bool *data)
{
	int64_t t = s->data_at;

	*data = true;
	if (s->c->keepalive) {
		int64_t idle = side_keepidle_ms(s->c), intvl = side_keepintvl_ms(s->c);
		/* After an answered probe the timer next fires keepintvl later, and probes if keepidle has passed. */
		int64_t probe = s->last_rx + (s->probed && intvl > idle ? intvl : idle);
		if (probe < t) {
			t = probe;
			*data = false;
		}
	}
	return t;
}

/*
 * Does @c alone keep a flow from idling for @timeout? An exchange ends with
 * an ACK a little after its first segment, so a gap of exactly the timeout
 * between sends is a little less on the wire: the flow survives it.
 */
static bool keeps_busy(const struct side_cfg *c, int64_t timeout)
{
	if (c->traffic == TRAFFIC_STREAM || (c->traffic != TRAFFIC_IDLE && c->interval_ms <= timeout))
		return true;
	return c->keepalive && side_keepidle_ms(c) <= timeout && side_keepintvl_ms(c) <= timeout;
}

/*
 * When the middlebox forgets the flow, the silence since the handshake
 * played out until then; INT64_MAX: not before the deadline. @fs is each
 * side as it stands then.
 */
static int64_t flow_forgotten(const struct variant *v, struct flow_side fs[SIDE_COUNT])
{
	int64_t timeout = v->router.idle_timeout_ms, last = 0;

	for (int s = 0; s < SIDE_COUNT; s++) {
		const struct side_cfg *c = &v->side[s];
		/* The first request or ping goes at establishment, the next ones every interval. */
		fs[s] = (struct flow_side){ .c = c, .data_at = c->traffic == TRAFFIC_IDLE ? INT64_MAX : c->interval_ms };
		if (keeps_busy(c, timeout))
			return INT64_MAX;
	}
	/* No side refreshes the flow every timeout: silences of it come soon, a few packets apart. */
	for (int n = 0; n < 100000 && last < v->deadline_ms; n++) {
		bool data[SIDE_COUNT];
		int64_t t[SIDE_COUNT] = { next_send(&fs[0], &data[0]), next_send(&fs[1], &data[1]) };
		int s = t[1] < t[0];
		if (t[s] - last > timeout)
			return last + timeout;
		last = t[s];
		fs[s].last_rx = last;
		fs[s].probed = !data[s];
		if (data[s]) {
			fs[!s].last_rx = last;
			fs[!s].probed = false;
			fs[s].data_at += fs[s].c->interval_ms;
		}
	}
	return INT64_MAX;
}

/* @side's view of a flow the middlebox forgot at @gone_ms, from establishment. */
static void predict_forgotten(const struct variant *v, enum host side, const struct flow_side *s, int64_t gone_ms,
			      struct prediction *p)
{
	/* From the middlebox on, the path is like one cut at that moment: it drops, or resets like a reject. */
	struct fault_cfg f = { .name = "", .at_ms = gone_ms, .direction = DIR_BOTH, .restart_ms = -1 };
	char a[32], b[32], d[32], rule[sizeof(p->rule) + 160];
	bool data;
	int64_t t = next_send(s, &data);

	format_duration(a, sizeof(a), gone_ms);
	format_duration(b, sizeof(b), v->router.idle_timeout_ms);
	if (v->router.idle_action == IDLE_RESET) {
		/* Only the sender of a segment gets the RST: each side learns at its own next send. */
		if (t == INT64_MAX)
			predict_say(p, OUTCOME_NONE, MECH_NONE, INT64_MIN,
				    "the middlebox forgot the flow at %s (%s idle) and resets its next segment, but this side never sends one",
				    a, b);
		else
			predict_say(p, OUTCOME_RST, data ? MECH_DATA : MECH_PROBE, t,
				    "the middlebox forgot the flow at %s (%s idle) and resets the next segment: this side's %s at %s",
				    a, b, !data ? "keepalive probe" : s->c->traffic == TRAFFIC_HEARTBEAT ? "ping" : "request",
				    dur(d, t));
		if (data) {
			predict_round_trip(p);
			predict_answer(p, WIRE_DATA);
		}
		return;
	}
	predict_path_broken(v, side, &f, s->last_rx - gone_ms, PATH_SILENT, p);
	predict_heartbeat_first(s->c, &f, -1, p);
	if (p->has_time)
		predict_shift(p, gone_ms);
	snprintf(rule, sizeof(rule), "the middlebox forgot the flow at %s (%s idle) and drops it; from then, %s",
		 a, b, p->rule);
	snprintf(p->rule, sizeof(p->rule), "%.*s", (int)sizeof(p->rule) - 1, rule);
}

/* No fault: only a middlebox that forgets idle flows can break the connection. */
static void predict_no_fault(const struct variant *v, enum host side, struct prediction *p)
{
	struct flow_side fs[SIDE_COUNT];
	int64_t gone = v->router.idle_timeout_ms > 0 ? flow_forgotten(v, fs) : INT64_MAX;

	if (gone != INT64_MAX)
		predict_forgotten(v, side, &fs[side], gone, p);
	else if (v->router.idle_timeout_ms > 0)
		predict_say(p, OUTCOME_NONE, MECH_NONE, INT64_MIN,
			    "no fault, and the flow is never idle long enough for the middlebox to forget it");
	else
		predict_say(p, OUTCOME_NONE, MECH_NONE, INT64_MIN, "no fault: the connection stays up");
}

/* What @side sees of @f alone; the kind decides, from when the side last heard its peer. */
static void predict_fault(const struct variant *v, enum host side, const struct fault_cfg *f, bool have_last_rx,
			  int64_t last_rx_ms, struct prediction *p)
{
	const struct side_cfg *c = &v->side[side];
	int64_t last_rx = have_last_rx ? last_rx_ms : (c->traffic == TRAFFIC_IDLE ? -f->at_ms : 0);

	f->kind->predict(v, side, f, last_rx, p);
}

static int by_at(const void *a, const void *b)
{
	const struct fault_cfg *x = *(const struct fault_cfg *const *)a, *y = *(const struct fault_cfg *const *)b;

	return x->at_ms < y->at_ms ? -1 : x->at_ms > y->at_ms;
}

/*
 * start = listening: the faults applied before the client connects decide
 * whether it gets a connection. True when the connect fails: @p is the
 * client's prediction (on the first fault's clock). Faults whose connect
 * fate is CONNECT_AFTER_FAULT are marked in @over: the connection they
 * let through never meets them.
 */
static bool predict_connect(const struct variant *v, const struct fault_cfg *const *order, bool *over,
			    struct prediction *p)
{
	int64_t connect_at = v->side[HOST_CLIENT].connect_at_ms;

	for (size_t i = 0; i < v->n_faults && order[i]->at_ms <= connect_at; i++) {
		const struct fault_cfg *f = order[i];
		int64_t heal = fault_heal_ms(f);
		enum connect_fate fate = heal >= 0 && f->at_ms + heal <= connect_at ? CONNECT_AFTER_FAULT
								       : CONNECT_UNDER_FAULT;

		/* The kind knows best, lifted or not (a crashed host may come back with nothing listening). */
		if (f->kind->connect)
			fate = f->kind->connect(v, f, connect_at - f->at_ms, p);
		if (fate == CONNECT_FAILS) {
			predict_shift(p, f->at_ms - order[0]->at_ms);
			return true;
		}
		over[i] = fate == CONNECT_AFTER_FAULT;
	}
	return false;
}

void predict_side(const struct variant *v, enum host side, bool have_last_rx, int64_t last_rx_ms,
		  struct prediction *p)
{
	const struct fault_cfg *order[MAX_FAULTS];
	struct fault_cfg shifted[MAX_FAULTS];
	bool over[MAX_FAULTS] = { false };
	bool listening = v->start == START_LISTENING;
	int64_t connect_at = listening ? v->side[HOST_CLIENT].connect_at_ms : 0;

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < v->n_faults; i++)
		order[i] = &v->faults[i];
	qsort(order, v->n_faults, sizeof(order[0]), by_at);
	if (v->side[side].app.command) {
		/*
		 * A program's socket options and traffic are its own, unknown
		 * until it runs: only being the first fault's victim is certain.
		 */
		if (v->n_faults) {
			predict_fault(v, side, order[0], have_last_rx, last_rx_ms, p);
			if (p->outcome == OUTCOME_KILLED)
				return;
		}
		predict_say(p, OUTCOME_COUNT, MECH_NONE, INT64_MIN,
			    "the program sets its own socket options: see the measured run");
		return;
	}
	if (!v->n_faults) {
		predict_no_fault(v, side, p);
		/* Its times count from the connection; with start = listening the clock started at the listen. */
		if (p->has_time)
			predict_shift(p, connect_at);
		return;
	}
	if (listening && !predict_connect(v, order, over, p)) {
		predict_say(p, OUTCOME_NONE, MECH_NONE, INT64_MIN, "the connect completes, and nothing breaks it");
		/* A fault over by then killed no connection, but it may have killed this side's process. */
		for (size_t i = 0; i < v->n_faults; i++) {
			struct prediction k;
			if (!over[i])
				continue;
			order[i]->kind->predict(v, side, order[i], 0, &k);
			if (k.outcome == OUTCOME_KILLED) {
				*p = k;
				return;
			}
		}
	} else if (listening) {
		if (side == HOST_CLIENT)
			return;
		/* No connection ever reached the server: it notices nothing, unless a fault is its own end. */
		for (size_t i = 0; i < v->n_faults; i++) {
			order[i]->kind->predict(v, side, order[i], 0, p);
			if (p->outcome == OUTCOME_KILLED)
				return;
		}
		predict_say(p, OUTCOME_NONE, MECH_NONE, INT64_MIN, "the client's connect failed: no connection reached the server");
		return;
	}
	/*
	 * Faults in time order: the first one that leads somewhere decides.
	 * With start = listening the connection exists from connect_at: a
	 * fault in place before acts on it from then, for what is left of it.
	 */
	for (size_t i = 0; i < v->n_faults; i++) {
		const struct fault_cfg *f = order[i];
		int64_t from = f->at_ms > connect_at ? f->at_ms : connect_at;
		if (over[i])
			continue;
		shifted[i] = *f;
		shifted[i].at_ms = from - connect_at;
		if (f->duration_ms > 0)
			shifted[i].duration_ms = f->at_ms + f->duration_ms - from;
		int64_t offset = from - order[0]->at_ms;
		predict_fault(v, side, &shifted[i], have_last_rx && i == 0 && !listening, last_rx_ms, p);
		if (p->outcome != OUTCOME_NONE) {
			predict_shift(p, offset);
			if (offset > 0 && i > 0) {
				char o[32], rule[sizeof(p->rule) + 128];
				format_duration(o, sizeof(o), offset);
				snprintf(rule, sizeof(rule), "%.20s fault, %s after the first: %s",
					 *f->name ? f->name : "next", o, p->rule);
				snprintf(p->rule, sizeof(p->rule), "%.*s", (int)sizeof(p->rule) - 1, rule);
			}
			return;
		}
	}
}
