/* SPDX-License-Identifier: MIT */
/*
 * TCP's timers on the timer wheel: each mechanism as the chain of timers
 * the kernel arms (net/ipv4/tcp_timer.c, tcp_output.c, Linux 6.x), walked
 * jiffy by jiffy on the wheel (wheel.h), so that what the kernel does with
 * the rounding (a 1 s keepalive interval is 256 jiffies at HZ = 250) is in
 * the prediction rather than in its error. Each gives the window
 * [earliest, latest] of its decision and of every timer instant before it,
 * in ms from the chain's reference instant, at a given HZ.
 */
#ifndef DEADPEER_TIMERS_H
#define DEADPEER_TIMERS_H

#include <stdbool.h>
#include <stdint.h>

#include "wheel.h"

/* What a chain's events are (wheel_window.kind). */
enum timer_event {
	TEV_PROBE,		/* a keepalive probe leaves */
	TEV_SYN,		/* a SYN retransmission leaves */
	TEV_TLP,		/* a tail loss probe leaves */
	TEV_RETRANSMIT,		/* an RTO retransmission leaves */
	TEV_PROBE0,		/* a zero-window probe leaves */
	TEV_SOLICIT,		/* a neighbour solicitation timer fires */
	TEV_ABORT,		/* the timer gives up: the connection is dead */
	TEV_RESET,		/* the packet at this instant draws a reset */
	TEV_COUNT
};

/* Which chain a window keeps (wheel_window.chain.kind): what its reference instant is. */
enum chain_kind {
	CHAIN_NONE,
	CHAIN_KEEPALIVE,	/* the last packet the side received */
	CHAIN_SYN,		/* the connect's first SYN */
	CHAIN_RTO,		/* the first segment the fault lost */
	CHAIN_PROBE0,		/* the ACK that closed the window */
	CHAIN_REPEAT,		/* what started the timers (the first SYN to a host the router cannot find) */
	CHAIN_ANSWER,		/* a packet's answer within the round trip (no walk: ctx is the int wire class it is sent as) */
	CHAIN_HEARTBEAT,	/* an application's own timer from the last answer (no walk: ctx is its int64_t timeout, ms) */
};

/*
 * A kept chain's reference instant moved @d ms later (a run placed it):
 * what the chain says in ms from it (when a reset starts) moves @d earlier.
 */
void chain_rebase(struct wheel_chain *c, int64_t d);
/*
 * The zero-window chain of a run that saw which RTO the persist timer was
 * first armed with (@rto_us, a whole number of jiffies): that, whatever the
 * round trip.
 */
void chain_probe0_rto(struct wheel_chain *c, int64_t rto_us);

/* "probe", "SYN"... for listing a chain's events. */
const char *timer_event_name(enum timer_event e);

/*
 * The keepalive timer (tcp_keepalive_timer) from the jiffy the side last
 * heard its peer, idle all along: it fires keepidle after it, then every
 * keepintvl with one more probe out, and gives up when it fires with
 * keepcnt probes out, or, with TCP_USER_TIMEOUT, at the first firing at
 * least msecs_to_jiffies(user timeout) after the last packet with a probe
 * out. With @reset_from_ms >= 0, the first probe at or after that many ms
 * draws a reset instead (a restarted peer, a rejecting firewall).
 */
struct keepalive_chain {
	int64_t idle_ms, intvl_ms, cnt, user_timeout_ms;
	int64_t reset_from_ms;		/* -1: no reset */
	/*
	 * The last packet received answered a probe: the timer was re-armed
	 * for keepintvl as that probe left (and, when keepintvl is shorter
	 * than keepidle, re-armed for the rest of keepidle when it fires).
	 */
	bool after_probe;
};
void keepalive_window(const struct keepalive_chain *c, int hz, struct wheel_window *w);

/*
 * A connect's SYN timer (tcp_retransmit_timer, tcp_write_timeout in
 * SYN-SENT), from the first SYN: TCP_TIMEOUT_INIT (1 s), kept for the first
 * @linear timeouts, then doubled up to TCP_RTO_MAX; it gives up when it
 * fires with @retries + @linear retransmissions out, or, with one or more
 * out, once tcp_model_timeout(@retries, 1 s) has passed since the first
 * SYN, or the user timeout (which also clamps the timer).
 */
struct syn_chain {
	int64_t retries, linear, user_timeout_ms;
	int64_t rto_max_ms;
};
void syn_window(const struct syn_chain *c, int hz, struct wheel_window *w);

/*
 * A sender whose segment is lost at the reference instant, into a path
 * that answers nothing: the tail loss probe (tcp_schedule_loss_probe:
 * PTO = 2 srtt + tcp_rto_min_us with one segment out, + 2 ms with more,
 * never later than the RTO), then the retransmission timer
 * (tcp_retransmit_timer): the RTO is srtt + rttvar, rttvar at least
 * tcp_rto_min_us (so ~tcp_rto_min_us plus the round trip on a LAN),
 * doubling up to tcp_rto_max_ms. retrans_stamp is the first RTO
 * retransmission (the probe does not set it); the timer gives up at the
 * first firing where tcp_model_timeout(tcp_retries2, TCP_RTO_MIN) or the
 * user timeout has passed since, and is clamped to what is left of the
 * user timeout. With @anchored (more segments keep leaving before the RTO,
 * each re-arming the probe), the first RTO counts from the lost segment
 * itself rather than from the probe. With @reset_from_ms >= 0, the first
 * packet sent at or after it draws a reset.
 */
struct rto_chain {
	int64_t srtt_lo_us, srtt_hi_us;	/* the smoothed round trip, somewhere in this range */
	int64_t rto_min_us, rto_max_ms;
	int64_t retries2, user_timeout_ms;
	bool one_segment;		/* the loss leaves one segment in flight */
	bool anchored;
	/*
	 * Small segments still pass (an MTU black hole): the tail the probe
	 * resends is SACKed within the round trip, the kernel enters recovery
	 * and retransmits the lost segment at once, stamping retrans_stamp
	 * there, and arms the RTO from that ACK.
	 */
	bool recovery;
	int64_t reset_from_ms;		/* -1: no reset */
	/*
	 * Inside a run: when ICMP unreachables for the oldest segment arrived,
	 * µs after the lost segment left, in order. Each undoes one backoff
	 * (tcp_ld_RTO_revert, RFC 6069): the timer is re-armed for what is
	 * left of the reverted RTO since the segment was last sent, or the
	 * retransmission goes at once. Offline: none (NULL).
	 */
	const int64_t *icmp_us;
	size_t n_icmp;
};
void rto_window(const struct rto_chain *c, int hz, struct wheel_window *w);

/*
 * The persist timer of a sender facing a zero window (tcp_probe_timer,
 * tcp_send_probe0, tcp_ack_probe), from the ACK that closed the window:
 * armed for tcp_probe0_base (the RTO, at least TCP_RTO_MIN); its first
 * firing stamps icsk_probes_tstamp; each probe's answer (the peer's
 * kernel is alive) re-arms it for base << backoff, the backoff growing to
 * tcp_retries2, clamped to what is left of the user timeout (at least
 * TCP_TIMEOUT_MIN). Answered probes never run out: only TCP_USER_TIMEOUT
 * ends it, at the first firing msecs_to_jiffies(user timeout) or more
 * after the stamp.
 */
struct probe0_chain {
	int64_t srtt_lo_us, srtt_hi_us;	/* the round trip then: the RTO is rto_min + srtt */
	int64_t rto_min_us, retries2, user_timeout_ms;
};
void probe0_window(const struct probe0_chain *c, int hz, struct wheel_window *w);

/* @n timers of @each_ms, each armed as the previous one fires (neighbour resolution's solicitations). */
void repeat_window(int64_t each_ms, int n, int hz, struct wheel_window *w);

#endif
