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
#include "predict.h"

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

static int64_t sysctl_int(const struct side_cfg *c, const char *key, int64_t dflt)
{
	for (size_t i = 0; i < c->n_sysctls; i++)
		if (strcmp(c->sysctls[i].key, key) == 0)
			return strtoll(c->sysctls[i].value, NULL, 10);
	return dflt;
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

void predict_say(struct prediction *p, enum outcome o, enum mechanism m, int64_t ms, const char *fmt, ...)
{
	va_list ap;

	p->outcome = o;
	p->mechanism = m;
	p->has_time = ms != INT64_MIN;
	p->ms = p->has_time ? ms : 0;
	va_start(ap, fmt);
	vsnprintf(p->rule, sizeof(p->rule), fmt, ap);
	va_end(ap);
}

static const char *dur(char *buf, int64_t ms)
{
	format_duration(buf, 32, ms);
	return buf;
}

/* When this side's first unacknowledged segment after the fault leaves, relative to the fault. */
static int64_t first_send_after(const struct side_cfg *c, int64_t at_ms)
{
	if (c->traffic == TRAFFIC_STREAM)
		return 0;	/* data is always queued: the next segment goes at once */
	/* request/heartbeat: the next multiple of interval from establishment */
	int64_t k = (at_ms + c->interval_ms - 1) / c->interval_ms;
	return k * c->interval_ms - at_ms;
}

/* An application heartbeat expires heartbeat_timeout after the last answer before the fault. */
bool predict_heartbeat_first(const struct side_cfg *c, const struct fault_cfg *f, int64_t lifted_ms,
			     struct prediction *p)
{
	char a[32], b[32];

	if (c->traffic != TRAFFIC_HEARTBEAT)
		return false;
	int64_t last_ping = (f->at_ms - 1) / c->interval_ms * c->interval_ms;
	int64_t t = last_ping + c->heartbeat_timeout_ms - f->at_ms;
	if (p->outcome != OUTCOME_NONE && p->has_time && p->ms <= t)
		return false;
	if (lifted_ms >= 0 && lifted_ms < t)
		return false;
	predict_say(p, OUTCOME_HEARTBEAT, MECH_NONE, t, "heartbeat: last answer at %s + heartbeat_timeout %s",
		    dur(a, last_ping - f->at_ms), dur(b, c->heartbeat_timeout_ms));
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
		int64_t t0 = first_send_after(c, f->at_ms);
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
	int64_t abort_ms = keepalive_abort_ms(idle, intvl, cnt, c->user_timeout_ms);
	if (resets) {
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

void predict_path_lost(const struct variant *v, enum host side, const struct fault_cfg *f, int64_t last_rx,
		       struct prediction *p)
{
	predict_path_cut(v, side, f, last_rx, PATH_SILENT, p);
	predict_heartbeat_first(&v->side[side], f, fault_heal_ms(f), p);
}

/* A middlebox that forgets idle flows breaks the first send after a long silence. */
static void predict_no_fault(const struct variant *v, enum host side, struct prediction *p)
{
	const struct side_cfg *c = &v->side[side];
	char a[32], b[32], d[32];

	if (v->router.idle_timeout_ms > 0 && c->traffic == TRAFFIC_REQUEST &&
	    c->interval_ms > v->router.idle_timeout_ms &&
	    !(c->keepalive && side_keepidle_ms(c) < v->router.idle_timeout_ms &&
	      side_keepintvl_ms(c) < v->router.idle_timeout_ms)) {
		int64_t r = side_retries2(c), t = c->interval_ms + retransmission_abort_ms(r);
		predict_say(p, OUTCOME_TIMEOUT, MECH_RETRANSMISSION, t,
			    "middlebox forgot the flow after %s idle: the request at %s is lost, retransmission gives up %s later",
			    dur(a, v->router.idle_timeout_ms), dur(b, c->interval_ms),
			    dur(d, retransmission_abort_ms(r)));
		return;
	}
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

void predict_side(const struct variant *v, enum host side, bool have_last_rx, int64_t last_rx_ms,
		  struct prediction *p)
{
	const struct fault_cfg *order[MAX_FAULTS];

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
		return;
	}
	/* Faults in time order: the first one that leads somewhere decides. */
	for (size_t i = 0; i < v->n_faults; i++) {
		int64_t offset = order[i]->at_ms - order[0]->at_ms;
		predict_fault(v, side, order[i], have_last_rx && i == 0, last_rx_ms, p);
		if (p->outcome != OUTCOME_NONE) {
			p->ms += offset;
			if (i > 0) {
				char o[32], rule[sizeof(p->rule) + 128];
				format_duration(o, sizeof(o), offset);
				snprintf(rule, sizeof(rule), "%.20s fault, %s after the first: %s",
					 *order[i]->name ? order[i]->name : "next", o, p->rule);
				snprintf(p->rule, sizeof(p->rule), "%.*s", (int)sizeof(p->rule) - 1, rule);
			}
			return;
		}
	}
}
