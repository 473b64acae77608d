// SPDX-License-Identifier: MIT
/*
 * TCP's timer chains, as net/ipv4/tcp_timer.c (Linux 6.x) arms them, on the
 * timer wheel. Times inside a walk are jiffies; the kernel's millisecond
 * clock (tcp_time_stamp, against which retrans_stamp and the user timeout
 * are checked) is wheel_elapsed_ms.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "common.h"
#include "timers.h"

const char *timer_event_name(enum timer_event e)
{
	switch (e) {
	case TEV_PROBE:
		return "keepalive probe";
	case TEV_SYN:
		return "SYN retransmission";
	case TEV_TLP:
		return "tail loss probe";
	case TEV_RETRANSMIT:
		return "retransmission";
	case TEV_PROBE0:
		return "zero-window probe";
	case TEV_SOLICIT:
		return "neighbour solicitation timer";
	case TEV_ABORT:
		return "gives up";
	case TEV_RESET:
		return "reset";
	case TEV_COUNT:
		break;
	}
	return "?";
}

/* Keep the chain @w was walked from, for a run to walk again from its own start. */
static void keep_chain(struct wheel_window *w, enum chain_kind kind, wheel_walk_fn walk, const void *ctx, size_t len)
{
	_Static_assert(sizeof(struct rto_chain) <= WHEEL_CTX_MAX, "a chain fits a window");
	w->chain.kind = kind;
	w->chain.walk = walk;
	memcpy(w->chain.ctx, ctx, len);
}

void chain_rebase(struct wheel_chain *c, int64_t d)
{
	int64_t *reset = NULL;

	if (c->kind == CHAIN_KEEPALIVE)
		reset = &((struct keepalive_chain *)(void *)c->ctx)->reset_from_ms;
	else if (c->kind == CHAIN_RTO)
		reset = &((struct rto_chain *)(void *)c->ctx)->reset_from_ms;
	if (reset && *reset >= 0)
		*reset = *reset - d > 0 ? *reset - d : 0;
}

void chain_probe0_rto(struct wheel_chain *c, int64_t rto_us)
{
	struct probe0_chain *p = (struct probe0_chain *)(void *)c->ctx;
	int64_t srtt = rto_us - p->rto_min_us;

	if (c->kind != CHAIN_PROBE0)
		return;
	p->srtt_lo_us = p->srtt_hi_us = srtt > 0 ? srtt : 0;
}

/* Probes a chain walks at the most, whatever its settings say (a guard, far past any window's use). */
#define CHAIN_MAX 100000

/*
 * tcp_keepalive_timer: armed keepalive_time_when() after the last packet
 * received (at establishment, or by TCP_KEEPIDLE relative to rcv_tstamp),
 * and re-armed from its own firing.
 */
static int64_t walk_keepalive(const void *ctx, struct wheel_trace *t)
{
	const struct keepalive_chain *c = ctx;
	int hz = t->hz;
	int64_t rx = t->start->jiffy;
	int64_t idle = wheel_ms_to_jiffies(c->idle_ms, hz), intvl = wheel_ms_to_jiffies(c->intvl_ms, hz);
	int64_t user = c->user_timeout_ms > 0 ? wheel_ms_to_jiffies(c->user_timeout_ms, hz) : 0;
	/* After an answered probe the timer was re-armed for keepintvl as the probe left, just before. */
	int64_t now = c->after_probe ? wheel_arm(t, rx, intvl, true) : wheel_arm(t, rx, idle, false);

	for (int64_t probes = 0, n = 0; probes < CHAIN_MAX && n < CHAIN_MAX; n++) {
		int64_t elapsed = now - rx;	/* keepalive_time_elapsed(), in jiffies */
		if (elapsed < idle) {
			/* Not idle long enough yet: re-armed for the rest of keepidle. */
			now = wheel_arm(t, now, idle - elapsed, true);
			continue;
		}
		if ((user && elapsed >= user && probes > 0) || (!user && probes >= c->cnt)) {
			wheel_event(t, now, TEV_ABORT);
			return now;
		}
		if (c->reset_from_ms >= 0 && wheel_elapsed_ms(t, now) >= c->reset_from_ms) {
			wheel_event(t, now, TEV_RESET);
			return now;
		}
		wheel_event(t, now, TEV_PROBE);
		probes++;
		now = wheel_arm(t, now, intvl, true);
	}
	return now;
}

void keepalive_window(const struct keepalive_chain *c, int hz, struct wheel_window *w)
{
	wheel_window(walk_keepalive, c, hz, w);
	keep_chain(w, CHAIN_KEEPALIVE, walk_keepalive, c, sizeof(*c));
}

/* tcp_model_timeout(): what @boundary retransmissions from @rto_base take, in jiffies, below and at the cap. */
static int64_t model_timeout_jiffies(int64_t boundary, int64_t rto_base, int64_t rto_max)
{
	int64_t thresh = 0;

	for (int64_t q = rto_max / rto_base; q > 1; q >>= 1)
		thresh++;	/* ilog2(TCP_RTO_MAX / rto_base) */
	if (boundary <= thresh)
		return ((2LL << boundary) - 1) * rto_base;
	return ((2LL << thresh) - 1) * rto_base + (boundary - thresh) * rto_max;
}

/*
 * tcp_clamp_rto_to_user_timeout: the timer re-armed for @rto jiffies, or for
 * what is left of the user timeout @elapsed ms after retrans_stamp if less
 * (1 jiffy when it has passed).
 */
static int64_t clamp_to_user_timeout(int64_t rto, int64_t user_timeout_ms, int64_t elapsed, int hz)
{
	int64_t remaining = user_timeout_ms - elapsed, left = wheel_ms_to_jiffies(remaining, hz);

	if (user_timeout_ms <= 0)
		return rto;
	return remaining <= 0 ? 1 : left < rto ? left : rto;
}

/*
 * The SYN timer: armed by tcp_connect() at icsk_rto = TCP_TIMEOUT_INIT;
 * each firing runs tcp_write_timeout() (give up?) and else retransmits,
 * counts, backs off, and re-arms, clamped to what is left of the user
 * timeout (tcp_clamp_rto_to_user_timeout). retrans_stamp is the first SYN.
 */
static int64_t walk_syn(const void *ctx, struct wheel_trace *t)
{
	const struct syn_chain *c = ctx;
	int hz = t->hz;
	int64_t rto = hz, rto_max = wheel_ms_to_jiffies(c->rto_max_ms, hz);
	int64_t model_ms = wheel_jiffies_to_ms(model_timeout_jiffies(c->retries, hz, rto_max), hz);
	int64_t limit_ms = c->user_timeout_ms > 0 ? c->user_timeout_ms : model_ms;
	int64_t now = wheel_arm(t, t->start->jiffy, rto, false);

	for (int64_t sent = 0; sent < CHAIN_MAX; sent++) {
		int64_t elapsed = wheel_elapsed_ms(t, now);
		if (sent >= c->retries + c->linear || (sent > 0 && elapsed >= limit_ms)) {
			wheel_event(t, now, TEV_ABORT);
			return now;
		}
		wheel_event(t, now, TEV_SYN);
		/* icsk_backoff is now sent + 1: the RTO doubles once it passes tcp_syn_linear_timeouts */
		if (sent + 1 > c->linear)
			rto = rto * 2 < rto_max ? rto * 2 : rto_max;
		now = wheel_arm(t, now, clamp_to_user_timeout(rto, c->user_timeout_ms, elapsed, hz), true);
	}
	return now;
}

void syn_window(const struct syn_chain *c, int hz, struct wheel_window *w)
{
	wheel_window(walk_syn, c, hz, w);
	keep_chain(w, CHAIN_SYN, walk_syn, c, sizeof(*c));
}

/* A packet leaves at jiffy @now: does it meet the reset, and end the walk? */
static bool meets_reset(struct wheel_trace *t, int64_t reset_from_ms, int64_t now)
{
	if (reset_from_ms < 0 || wheel_elapsed_ms(t, now) < reset_from_ms)
		return false;
	wheel_event(t, now, TEV_RESET);
	return true;
}

/* Where a retransmission timer chain stands, as tcp_retransmit_timer and tcp_ld_RTO_revert keep it. */
struct rto_state {
	int64_t base, cur, max;		/* the RTO without backoff, icsk_rto, tcp_rto_max, jiffies */
	int64_t backoff, sent;		/* icsk_backoff, icsk_retransmits */
	int64_t stamp;			/* retrans_stamp on the walk's millisecond clock; -1: not yet */
	int64_t limit_ms;
	int64_t last_tx_us;		/* the oldest segment last left, µs from the walk's reference instant */
	int64_t next;			/* the jiffy the timer fires at */
};

/* µs from the walk's reference instant to the start of jiffy @at. */
static int64_t jiffy_us(const struct wheel_trace *t, int64_t at)
{
	return (int64_t)(((double)(at - t->start->jiffy) - t->start->phase) * 1e6 / t->hz);
}

/*
 * tcp_retransmit_timer at jiffy @at (@at_ms on the millisecond clock, @at_us
 * in µs), from the timer (@in_callback) or from an ICMP revert that clocked
 * it out: give up, or retransmit, back off, and re-arm. True: the walk ends.
 */
static bool rto_fire(const struct rto_chain *c, struct wheel_trace *t, struct rto_state *s, int64_t at, int64_t at_ms,
		     int64_t at_us, bool in_callback)
{
	int64_t elapsed = s->stamp < 0 ? 0 : at_ms - s->stamp;

	if (s->sent > 0 && elapsed >= s->limit_ms) {
		wheel_event(t, at, TEV_ABORT);
		s->next = at;
		return true;
	}
	if (meets_reset(t, c->reset_from_ms, at)) {
		s->next = at;
		return true;
	}
	wheel_event(t, at, TEV_RETRANSMIT);
	if (s->stamp < 0)
		s->stamp = at_ms;
	s->last_tx_us = at_us;
	s->sent++;
	s->backoff++;
	s->cur = s->cur * 2 < s->max ? s->cur * 2 : s->max;
	s->next = wheel_arm(t, at, clamp_to_user_timeout(s->cur, c->user_timeout_ms, elapsed, t->hz), in_callback);
	return false;
}

/*
 * An ICMP unreachable for the oldest segment arrives @us after the
 * reference instant, before the timer fires (tcp_ld_RTO_revert). True: the
 * walk ends (the retransmission it clocked out gave up).
 */
static bool rto_revert(const struct rto_chain *c, struct wheel_trace *t, struct rto_state *s, int64_t us)
{
	int64_t tick_us = 1000000 / t->hz;
	int64_t at = t->start->jiffy + (int64_t)floor(t->start->phase + (double)us / (double)tick_us);

	if (s->sent == 0 || s->backoff == 0)
		return false;
	s->backoff--;
	s->cur = s->backoff < 40 && (s->base << s->backoff) < s->max ? s->base << s->backoff : s->max;
	int64_t remaining = s->cur - wheel_us_to_jiffies(us - s->last_tx_us, t->hz);
	if (remaining > 0) {
		s->next = wheel_arm(t, at, remaining, false);
		return false;
	}
	return rto_fire(c, t, s, at, wheel_elapsed_us_ms(t, us), us, false);
}

static int64_t walk_rto(const void *ctx, struct wheel_trace *t)
{
	const struct rto_chain *c = ctx;
	int hz = t->hz;
	int64_t j0 = t->start->jiffy, srtt_us = t->start->alt ? c->srtt_hi_us : c->srtt_lo_us;
	int64_t tick_us = 1000000 / hz;
	/* __tcp_set_rto: srtt + rttvar, rttvar no less than tcp_rto_min_us (mdev_max_us) */
	int64_t rto = wheel_us_to_jiffies(srtt_us + c->rto_min_us, hz), rto_max = wheel_ms_to_jiffies(c->rto_max_ms, hz);
	int64_t model_ms = wheel_jiffies_to_ms(model_timeout_jiffies(c->retries2, hz / 5, wheel_ms_to_jiffies(120000, hz)), hz);
	struct rto_state s = { .max = rto_max, .stamp = -1,
			       .limit_ms = c->user_timeout_ms > 0 ? c->user_timeout_ms : model_ms };
	size_t k = 0;

	if (rto > rto_max)
		rto = rto_max;
	s.base = s.cur = rto;
	/* The probe, armed as the segment leaves (process context), no later than the RTO. */
	int64_t pto = wheel_us_to_jiffies(2 * srtt_us + (c->one_segment ? c->rto_min_us : 2000), hz);
	int64_t tlp = wheel_arm(t, j0, pto < rto ? pto : rto, false);
	if (meets_reset(t, c->reset_from_ms, tlp))
		return tlp;
	wheel_event(t, tlp, TEV_TLP);
	/* With one segment out the probe resends it: it last left then. */
	if (c->one_segment)
		s.last_tx_us = jiffy_us(t, tlp);
	if (c->recovery) {
		wheel_event(t, tlp, TEV_RETRANSMIT);
		s.stamp = wheel_elapsed_ms(t, tlp);
		s.last_tx_us = jiffy_us(t, tlp);
		s.next = wheel_arm(t, tlp, rto, false);
	} else if (c->anchored) {
		/*
		 * Re-armed by the probes of the later segments, the RTO ends up
		 * tcp_rto_delta_us() after the lost segment's own send: armed at a
		 * tick for what is left, rounded up to a jiffy, on level 0.
		 */
		int64_t left_us = rto * tick_us - (int64_t)((double)(tlp - j0) * tick_us - t->start->phase * tick_us);
		s.next = wheel_arm(t, tlp, wheel_us_to_jiffies(left_us > 1 ? left_us : 1, hz), true);
	} else {
		/* tcp_send_loss_probe: icsk_pending = 0, then tcp_rearm_rto restarts the RTO from now. */
		s.next = wheel_arm(t, tlp, rto, true);
	}
	for (int64_t n = 0; n < CHAIN_MAX; n++) {
		/* The ICMP unreachables that arrive before the timer fires (one in its own jiffy comes after it). */
		bool ended = false;
		while (!ended && k < c->n_icmp &&
		       j0 + (int64_t)floor(t->start->phase + (double)c->icmp_us[k] / (double)tick_us) < s.next)
			ended = rto_revert(c, t, &s, c->icmp_us[k++]);
		if (ended)
			return s.next;
		if (rto_fire(c, t, &s, s.next, wheel_elapsed_ms(t, s.next), jiffy_us(t, s.next), true))
			return s.next;
	}
	return s.next;
}

void rto_window(const struct rto_chain *c, int hz, struct wheel_window *w)
{
	wheel_window(walk_rto, c, hz, w);
	keep_chain(w, CHAIN_RTO, walk_rto, c, sizeof(*c));
}

static int64_t walk_probe0(const void *ctx, struct wheel_trace *t)
{
	const struct probe0_chain *c = ctx;
	int hz = t->hz;
	int64_t srtt_us = t->start->alt ? c->srtt_hi_us : c->srtt_lo_us;
	int64_t base = wheel_us_to_jiffies(srtt_us + c->rto_min_us, hz), user = wheel_ms_to_jiffies(c->user_timeout_ms, hz);
	int64_t now = wheel_arm(t, t->start->jiffy, base > hz / 5 ? base : hz / 5, false), stamp = now;

	if (base < hz / 5)
		base = hz / 5;	/* tcp_probe0_base: max(icsk_rto, TCP_RTO_MIN) */
	for (int64_t backoff = 0; backoff < CHAIN_MAX;) {
		if (now - stamp >= user) {
			wheel_event(t, now, TEV_ABORT);
			return now;
		}
		wheel_event(t, now, TEV_PROBE0);
		if (backoff < c->retries2)
			backoff++;
		/* The answer, within the jiffy, re-arms it (tcp_ack_probe: softirq, not the timer's callback). */
		int64_t when = backoff < 40 ? base << backoff : INT64_MAX / 4, remaining = user - (now - stamp);
		if (when > wheel_ms_to_jiffies(120000, hz))
			when = wheel_ms_to_jiffies(120000, hz);
		if (remaining < 2)
			remaining = 2;	/* TCP_TIMEOUT_MIN */
		now = wheel_arm(t, now, remaining < when ? remaining : when, false);
	}
	return now;
}

void probe0_window(const struct probe0_chain *c, int hz, struct wheel_window *w)
{
	wheel_window(walk_probe0, c, hz, w);
	keep_chain(w, CHAIN_PROBE0, walk_probe0, c, sizeof(*c));
}

struct repeat_chain {
	int64_t each_ms;
	int n;
};

static int64_t walk_repeat(const void *ctx, struct wheel_trace *t)
{
	const struct repeat_chain *c = ctx;
	int64_t each = wheel_ms_to_jiffies(c->each_ms, t->hz), now = t->start->jiffy;

	for (int i = 0; i < c->n; i++) {
		now = wheel_arm(t, now, each, i > 0);
		wheel_event(t, now, TEV_SOLICIT);
	}
	return now;
}

void repeat_window(int64_t each_ms, int n, int hz, struct wheel_window *w)
{
	struct repeat_chain c = { each_ms, n };

	wheel_window(walk_repeat, &c, hz, w);
	keep_chain(w, CHAIN_REPEAT, walk_repeat, &c, sizeof(c));
}
