// SPDX-License-Identifier: MIT
/*
 * The prediction inside a run. Offline, a chain of timers is walked from
 * every jiffy and phase its reference instant could fall in, and the
 * result is a window (predict.c). A run knows both: its capture saw the
 * packet the chain counts from (the last one received, for keepalive; the
 * lost segment, for the retransmission timer; the first SYN; the ACK that
 * closed the window) and its record holds where the jiffies fall on
 * CLOCK_MONOTONIC. Walked again from there, the chain gives the jiffy each
 * timer fires at, and the time is exact to the tick.
 *
 * A pure function of the prediction and the record, like classification:
 * a stored run is judged the same way again.
 */
#include <math.h>
#include <string.h>

#include "predict.h"
#include "record.h"
#include "timers.h"

/* How late after the socket's last receive, as it reports it, the packet may have come in. */
#define LAST_RX_SLACK_NS (10 * 1000000LL)

/* ICMP unreachables a run's walk takes into account at the most. */
#define ICMP_MAX 256

/* How far the packet the chain counts from may lie before the instant the prediction assumed. */
#define ANCHOR_BEFORE_NS (2 * 1000000LL)

static bool incoming(enum wire_class c)
{
	return c == WIRE_IN || c == WIRE_IN_DATA || c == WIRE_PROBE_REPLY || c == WIRE_IN_FIN;
}

/* The last packet received at or before @until: what rcv_tstamp holds then. */
static int64_t last_received(const struct obs_side *s, int64_t until)
{
	int64_t at = 0;

	for (size_t i = 0; i < s->n_timeline && s->timeline[i].ts_ns <= until; i++)
		if (incoming(s->timeline[i].cls))
			at = s->timeline[i].ts_ns;
	return at;
}

/* The first packet of class @c sent at or after @from. */
static int64_t first_sent(const struct obs_side *s, enum wire_class c, int64_t from)
{
	for (size_t i = 0; i < s->n_timeline; i++)
		if (s->timeline[i].cls == c && s->timeline[i].ts_ns >= from)
			return s->timeline[i].ts_ns;
	return 0;
}

/*
 * The first data segment sent at or after @from that the fault lost: none
 * of the peer's packets followed it before this side sent again (one sent
 * as the fault went in place may still have passed, and been answered).
 */
static int64_t first_lost(const struct obs_side *s, int64_t from)
{
	for (size_t i = 0; i < s->n_timeline; i++) {
		if (s->timeline[i].cls != WIRE_DATA || s->timeline[i].ts_ns < from)
			continue;
		bool answered = false;
		for (size_t k = i + 1; k < s->n_timeline && !answered; k++) {
			if (!incoming(s->timeline[k].cls) && s->timeline[k].cls != WIRE_IN_RST)
				break;
			answered = true;
		}
		if (!answered)
			return s->timeline[i].ts_ns;
	}
	return 0;
}

/*
 * The round trip the side's kernel measured before @until: its data
 * segments and the peer's packet right after each, the last few averaged
 * (srtt is a moving average too); 0 when none was seen.
 */
static int64_t round_trip_us(const struct obs_side *s, int64_t until)
{
	int64_t sum = 0, n = 0;

	for (size_t i = s->n_timeline; i-- > 1 && n < 8;) {
		const struct obs_packet *a = &s->timeline[i - 1], *b = &s->timeline[i];
		if (b->ts_ns >= until || a->cls != WIRE_DATA || !incoming(b->cls))
			continue;
		sum += b->ts_ns - a->ts_ns;
		n++;
	}
	return n ? sum / n / 1000 : 0;
}

/* The jiffy @ns falls in on the run's clock, and how far into it. */
static int64_t jiffy_of(const struct obs_clock *k, int64_t ns, double *phase)
{
	int64_t d = ns - k->tick_ns, n = d >= 0 ? d / k->tick_ns_len : -((-d + k->tick_ns_len - 1) / k->tick_ns_len);

	*phase = (double)(d - n * k->tick_ns_len) / (double)k->tick_ns_len;
	if (*phase >= 1)
		*phase = 0.999999;
	return k->jiffy + n;
}

/*
 * The packet @p's chain counts from, CLOCK_MONOTONIC ns; 0 when the run did
 * not see it. @ref: where the prediction put it.
 */
static int64_t anchor(const struct observation *o, const struct obs_side *s, struct prediction *p, int64_t ref)
{
	switch ((enum chain_kind)p->chain.kind) {
	case CHAIN_KEEPALIVE: {
		/*
		 * The socket's own last receive (tcpi_last_data_recv: jiffies,
		 * shown in ms) may read a few ms early: the packet is the last
		 * one in by a tick or two after it. The answer to a probe: the
		 * timer was re-armed for keepintvl as the probe left.
		 */
		int64_t at = last_received(s, ref + LAST_RX_SLACK_NS);
		struct keepalive_chain *k = (struct keepalive_chain *)(void *)p->chain.ctx;
		for (size_t i = 0; at && i < s->n_timeline; i++)
			if (s->timeline[i].ts_ns == at && incoming(s->timeline[i].cls))
				k->after_probe = s->timeline[i].cls == WIRE_PROBE_REPLY;
		return at;
	}
	case CHAIN_SYN:
	case CHAIN_REPEAT:
		return first_sent(s, WIRE_SYN, ref - ANCHOR_BEFORE_NS);
	case CHAIN_RTO:
		return first_lost(s, ref - ANCHOR_BEFORE_NS > o->fault_ns ? ref - ANCHOR_BEFORE_NS : o->fault_ns);
	case CHAIN_PROBE0: {
		/* The ACK that closed the window is the last packet in before the first zero-window probe. */
		int64_t probe = first_sent(s, WIRE_ZERO_WINDOW_PROBE, ref - ANCHOR_BEFORE_NS);
		int64_t ack = probe ? last_received(s, probe) : 0;
		double ph;
		if (!ack)
			return 0;
		/* The persist timer was armed at the ACK's jiffy for a whole number of jiffies, on level 0: fires at + 1. */
		int64_t armed = jiffy_of(&o->clock, ack, &ph), fired = jiffy_of(&o->clock, probe, &ph);
		int64_t rto = fired - armed - 1;
		if (rto < 1)
			return 0;
		chain_probe0_rto(&p->chain, rto * (o->clock.tick_ns_len / 1000));
		return ack;
	}
	case CHAIN_HEARTBEAT:
	case CHAIN_ANSWER:
	case CHAIN_NONE:
		break;
	}
	return 0;
}

/*
 * An application heartbeat expires its timeout after the last answer it
 * got: the run saw which that was (a ping sent as the fault went in place
 * may or may not have been answered). @ref: the answer the prediction
 * assumed.
 */
static void heartbeat_in_run(const struct obs_side *s, int64_t origin, int64_t ref, struct prediction *p)
{
	int64_t timeout, last = 0;

	memcpy(&timeout, p->chain.ctx, sizeof(timeout));
	/* The last answer in before the timer it started would have expired. */
	for (size_t i = 0; i < s->n_timeline; i++) {
		if (s->timeline[i].ts_ns >= ref + timeout * 1000000 && last)
			break;
		if (s->timeline[i].cls == WIRE_IN_DATA)
			last = s->timeline[i].ts_ns;
	}
	if (!last)
		return;
	p->ms = (last + timeout * 1000000 - origin) / 1000000;
	p->chain_ref_ms = (last - origin) / 1000000;
	p->in_run = true;
}

void predict_in_run(const struct observation *o, enum host side, struct prediction *p)
{
	const struct obs_side *s = &o->side[side];
	int64_t origin = o->fault_ns ? o->fault_ns : o->established_ns;
	struct wheel_window w;
	double phase;

	if (!p->has_time || p->chain.kind == CHAIN_NONE || !origin || !s->n_timeline)
		return;
	int64_t ref = origin + p->chain_ref_ms * 1000000;
	if (p->chain.kind == CHAIN_HEARTBEAT) {
		heartbeat_in_run(s, origin, ref, p);
		return;
	}
	if (p->chain.kind == CHAIN_ANSWER) {
		int cls;
		memcpy(&cls, p->chain.ctx, sizeof(cls));
		int64_t at = first_sent(s, (enum wire_class)cls, ref - ANCHOR_BEFORE_NS);
		if (at) {
			p->ms = (at - origin) / 1000000;
			p->chain_ref_ms = p->ms;
			p->in_run = true;
		}
		return;
	}
	if (!p->chain.walk || o->clock.hz <= 0 || o->clock.hz != p->hz)
		return;
	int64_t at = anchor(o, s, p, ref);
	if (!at)
		return;
	int64_t at_ms = (at - origin) / 1000000;	/* truncated, as detect_ms is */
	chain_rebase(&p->chain, at_ms - p->chain_ref_ms);
	int64_t jiffy = jiffy_of(&o->clock, at, &phase);
	int64_t icmp[ICMP_MAX];
	struct rto_chain *rto = p->chain.kind == CHAIN_RTO ? (struct rto_chain *)(void *)p->chain.ctx : NULL;
	if (rto) {
		/*
		 * The round trip, which the probe's timeout is twice of: a few
		 * hundred µs either way can move it a jiffy, and with it the
		 * whole chain.
		 */
		int64_t rtt = round_trip_us(s, at);
		if (rtt > 0)
			rto->srtt_lo_us = rto->srtt_hi_us = rtt;
		/* The unreachables for the lost segment the router sent back: each reverts a backoff. */
		rto->n_icmp = 0;
		for (size_t i = 0; i < s->n_timeline && rto->n_icmp < ICMP_MAX; i++)
			if (s->timeline[i].cls == WIRE_IN_UNREACH && s->timeline[i].ts_ns > at)
				icmp[rto->n_icmp++] = (s->timeline[i].ts_ns - at) / 1000;
		rto->icmp_us = icmp;
	}
	struct wheel_clock clock = { .tick_ns = o->clock.tick_ns, .tick_len = o->clock.tick_ns_len, .jiffy = o->clock.jiffy };
	wheel_walk_at(p->chain.walk, p->chain.ctx, o->clock.hz, jiffy, phase, &clock, &w);
	if (rto) {
		rto->icmp_us = NULL;	/* the array was this walk's */
		rto->n_icmp = 0;
	}
	/* The walk's times count from the packet itself: on the prediction's clock, in ns, then ms. */
	double from = (double)(at - origin) / 1e6;
	p->ms = (int64_t)floor(from + (double)w.mid_ms);
	p->n_events = 0;
	for (size_t i = 0; i < w.n && p->n_events < PREDICT_EVENTS_MAX; i++)
		p->events[p->n_events++] = (struct predicted_event){ .kind = w.kind[i],
								      .lo_ms = (int64_t)floor(from + (double)w.ev_lo_ms[i]),
								      .hi_ms = (int64_t)ceil(from + (double)w.ev_hi_ms[i]) };
	p->chain_ref_ms = at_ms;
	p->in_run = true;
}
