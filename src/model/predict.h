/* SPDX-License-Identifier: MIT */
/*
 * Prediction: what the kernel's documented rules (tcp_keepalive_timer,
 * tcp_retransmit_timer, tcp_model_timeout) say each side will see, and when.
 */
#ifndef DEADPEER_PREDICT_H
#define DEADPEER_PREDICT_H

#include "scenario.h"

struct prediction {
	enum outcome outcome;		/* OUTCOME_COUNT: nothing predicted (an app side); @rule says why */
	enum mechanism mechanism;
	bool has_time;
	int64_t ms;			/* from the first fault (no fault: establishment) */
	char rule[240];			/* the rule that gave it, with the figures */
};

#define TCP_RTO_MIN_MS 200
#define TCP_RTO_MAX_MS 120000

/* Linux tcp_model_timeout(): how long tcp_retries2 = @retries allows, from the first retransmitted segment. */
int64_t tcp_model_timeout_ms(int64_t retries, int64_t rto_base_ms);
/*
 * When the retransmission timer gives up, after the lost segment: the first
 * timer at least the model timeout after the first retransmission.
 */
int64_t retransmission_abort_ms(int64_t retries);
/* When the keepalive timer gives up, after the last packet received. */
int64_t keepalive_abort_ms(int64_t idle_ms, int64_t intvl_ms, int64_t cnt, int64_t user_timeout_ms);

/*
 * The chance that an idle side's keepalive gives up on a live connection
 * whose every probe fails (the probe or its reply is lost) with probability
 * @q, independently (tcp_keepalive_timer: an answered probe resets the
 * count, and the next comes max(keepidle, keepintvl) later; an unanswered
 * one, keepintvl later; the timer gives up when it fires with @cnt probes
 * out). @first: the first probe, ms after the loss began; it lasts until
 * @until (INT64_MAX: for good), and only what gives up by @horizon counts.
 * Nominal times: the timer wheel's rounding is left out. Returns -1 when
 * too many probes fit before the horizon to work it out.
 */
double keepalive_kill_chance(int64_t first, int64_t idle_ms, int64_t intvl_ms, int64_t cnt, double q,
			     int64_t until, int64_t horizon);

/* Effective keepalive and retransmission settings of a side (options, its sysctls, kernel defaults). */
int64_t side_keepidle_ms(const struct side_cfg *c);
int64_t side_keepintvl_ms(const struct side_cfg *c);
int64_t side_keepcnt(const struct side_cfg *c);
int64_t side_retries2(const struct side_cfg *c);

/*
 * The shared rules each kind's predict (in run/faults/) builds on. Times are
 * relative to the fault; @last_rx is when the side last heard from its peer.
 */

/* How a broken path answers what a side sends, for predict_path_broken. */
enum path_reply {
	PATH_SILENT,		/* nothing comes back: the side's own timers decide */
	PATH_RESETS,		/* a TCP reset answers its next packet (a firewall that rejects) */
	PATH_RESTARTED,		/* the peer host is back f->restart_ms after the fault and resets */
};

/* Set @p; @ms is INT64_MIN for an outcome without a time. */
void predict_say(struct prediction *p, enum outcome o, enum mechanism m, int64_t ms, const char *fmt, ...)
	PRINTF(5, 6);
/* @side's path to its peer is cut at the fault: what its traffic and timers meet, and when. */
void predict_path_broken(const struct variant *v, enum host side, const struct fault_cfg *f, int64_t last_rx,
			 enum path_reply reply, struct prediction *p);
/* The same for a fault that may be lifted: lifted before it matters, nothing is noticed. */
void predict_path_cut(const struct variant *v, enum host side, const struct fault_cfg *f, int64_t last_rx,
		      enum path_reply reply, struct prediction *p);
/* A cut that loses every packet, where an application heartbeat may notice first (drop, link-down). */
void predict_path_lost(const struct variant *v, enum host side, const struct fault_cfg *f, int64_t last_rx,
		       struct prediction *p);
/*
 * An application heartbeat that expires before what @p says: true with @p
 * set. @lifted_ms: when the fault is lifted with the connection intact,
 * -1: never (a thawed or reconnected peer answers the next ping).
 */
bool predict_heartbeat_first(const struct side_cfg *c, const struct fault_cfg *f, int64_t lifted_ms,
			     struct prediction *p);

/*
 * Predict @side of @v. @last_rx_ms is when the side last heard from its peer
 * on the detect_ms clock; pass have_last_rx = false to assume the model's
 * value (an idle side last heard the handshake).
 */
void predict_side(const struct variant *v, enum host side, bool have_last_rx, int64_t last_rx_ms,
		  struct prediction *p);

#endif
