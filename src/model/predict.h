/* SPDX-License-Identifier: MIT */
/*
 * Prediction: what the kernel's documented rules (tcp_keepalive_timer,
 * tcp_retransmit_timer, tcp_model_timeout) say each side will see, and when.
 */
#ifndef DEADPEER_PREDICT_H
#define DEADPEER_PREDICT_H

#include "scenario.h"
#include "timers.h"
#include "wire.h"

/* Timer instants a prediction lists at the most. */
#define PREDICT_EVENTS_MAX 24

/* A timer instant the rule expects before its decision: what, and the window the wheel allows. */
struct predicted_event {
	enum timer_event kind;
	int64_t lo_ms, hi_ms;		/* on the prediction's clock */
};

struct prediction {
	enum outcome outcome;		/* OUTCOME_COUNT: nothing predicted (an app side); @rule says why */
	enum mechanism mechanism;
	bool has_time;
	int64_t ms;			/* from the first fault (no fault: establishment); the window's middle when it has one */
	char rule[240];			/* the rule that gave it, with the figures */
	/*
	 * The window the timer wheel's rounding allows at HZ @hz, offline
	 * (the jiffy and phase the chain starts at unknown): the measured time
	 * falls in [earliest_ms, latest_ms]. No window when HZ is unknown or
	 * the time is not a kernel timer's (a FIN, an application heartbeat).
	 */
	bool has_window;
	int64_t earliest_ms, latest_ms;
	int hz;
	size_t n_events;		/* the timer instants before the decision, in order */
	struct predicted_event events[PREDICT_EVENTS_MAX];
	/*
	 * The chain of timers the time came from, and its reference instant
	 * (ms, on the prediction's clock), for a run to walk again from the
	 * instant it saw (predict_in_run). chain.kind CHAIN_NONE: none.
	 */
	struct wheel_chain chain;
	int64_t chain_ref_ms;
	bool in_run;			/* ms and events are the run's own walk; the window stays predict's */
};

/*
 * The HZ predictions are worked out at: set by predict_set_hz (the CLI's
 * --hz, the tests), else this machine's (kernel_hz()); 0: unknown, the
 * nominal rules without windows.
 */
int predict_hz(void);
void predict_set_hz(int hz);
/*
 * @p's time is a packet's answer within the round trip (a FIN, a reset)
 * or an application's own timer: its window is that instant and the few
 * ms the endpoint takes to wake up and say so.
 */
void predict_round_trip(struct prediction *p);
/*
 * @p's time is the answer, within the round trip, to what the side sends at
 * that instant (@sent: a SYN, a request): a run places it at that packet.
 */
void predict_answer(struct prediction *p, enum wire_class sent);
/* Move @p, its window and its events @d ms later. */
void predict_shift(struct prediction *p, int64_t d);
/* Give @p a time from the window @w of a chain whose reference instant is @ref_ms. */
void predict_window(struct prediction *p, int64_t ref_ms, const struct wheel_window *w);

#define TCP_RTO_MIN_MS 200
#define TCP_RTO_MAX_MS 120000
#define TCP_TIMEOUT_INIT_MS 1000	/* a SYN's first RTO */

/* Linux tcp_model_timeout(): how long tcp_retries2 = @retries allows, from the first retransmitted segment. */
int64_t tcp_model_timeout_ms(int64_t retries, int64_t rto_base_ms);
/*
 * When the retransmission timer gives up, after the lost segment: the first
 * timer at least the model timeout after the first retransmission.
 */
int64_t retransmission_abort_ms(int64_t retries);
/*
 * When a connect's SYN retransmissions give up, after its first SYN (Linux
 * tcp_write_timeout in SYN-SENT): the first @linear RTOs stay at 1 s
 * (tcp_syn_linear_timeouts), then double; it gives up at the first timer
 * after @retries + @linear retransmissions, or at least
 * tcp_model_timeout(@retries, 1 s) after the first SYN, or, with
 * TCP_USER_TIMEOUT, at @user_timeout_ms (the timer is clamped to it).
 * *@sent: the retransmissions by then.
 */
int64_t syn_abort_ms(int64_t retries, int64_t linear, int64_t user_timeout_ms, int64_t *sent);
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
int64_t side_syn_retries(const struct side_cfg *c);
/* tcp_rto_max_ms and tcp_rto_min_us (Linux 6.15, 6.11), or the constants they replaced on older kernels. */
int64_t side_rto_max_ms(const struct side_cfg *c);
int64_t side_rto_min_us(const struct side_cfg *c);
int64_t side_syn_linear_timeouts(const struct side_cfg *c);
/* The value of sysctl @key ("net.ipv4.tcp_retries1") among the side's own, or @dflt. */
int64_t side_sysctl(const struct side_cfg *c, const char *key, int64_t dflt);
/* When the side's first segment after @at_ms (from establishment) leaves, relative to @at_ms. */
int64_t side_first_send_ms(const struct side_cfg *c, int64_t at_ms);

/*
 * The shared rules each kind's predict (in run/faults/) builds on. Times are
 * relative to the fault; @last_rx is when the side last heard from its peer.
 */

/* How a broken path answers what a side sends, for predict_path_broken. */
enum path_reply {
	PATH_SILENT,		/* nothing comes back: the side's own timers decide */
	PATH_RESETS,		/* a TCP reset answers its next packet (a firewall that rejects) */
	PATH_RESTARTED,		/* the peer host is back f->restart_ms after the fault and resets */
	PATH_UNREACHABLE,	/* the peer host is gone: the router, failing to resolve it, answers with ICMP */
	PATH_SACKED,		/* silent to big segments only: the peer SACKs the small tail (an MTU black hole) */
};

/*
 * start = listening: what a fault in place when the client connects does to
 * the connect (struct fault_kind.connect).
 */
enum connect_fate {
	CONNECT_FAILS,		/* the connect fails: the client's prediction says how */
	CONNECT_UNDER_FAULT,	/* it completes, and the fault goes on acting on the connection */
	CONNECT_AFTER_FAULT,	/* it completes once the fault is over: nothing is left to notice */
};

/* When the client's last SYN retransmission leaves before its connect gives up, after the first SYN. */
int64_t syn_last_sent_ms(const struct variant *v);
/* The connect @connect_ms after the fault: its SYNs (or the SYN-ACKs) are lost. */
void predict_syn_lost(const struct variant *v, int64_t connect_ms, struct prediction *p);
/* The connect's SYN is answered with a reset at @at_ms (@why: who sends it). */
void predict_syn_refused(int64_t connect_ms, int64_t at_ms, const char *why, struct prediction *p);
/*
 * The server host is off the network from the fault until @back_ms (-1:
 * never); the router, failing to resolve its address, answers the queued
 * SYNs with ICMP host unreachable. With @service, it listens once back.
 */
enum connect_fate predict_host_gone(const struct variant *v, int64_t connect_ms, int64_t back_ms, bool service,
				    struct prediction *p);

/*
 * @side streams to a peer that stopped reading (frozen) at the fault: its
 * window closes once the peer's receive buffer is full, then the persist
 * timer probes it; with TCP_USER_TIMEOUT, that ends it (predicted with the
 * window), without, the answered probes go on (none).
 */
void predict_zero_window(const struct variant *v, enum host side, const struct fault_cfg *f, struct prediction *p);

/* Set @p; @ms is INT64_MIN for an outcome without a time. */
void predict_say(struct prediction *p, enum outcome o, enum mechanism m, int64_t ms, const char *fmt, ...)
	PRINTF(5, 6);
/* @side's path to its peer is cut at the fault: what its traffic and timers meet, and when. */
void predict_path_broken(const struct variant *v, enum host side, const struct fault_cfg *f, int64_t last_rx,
			 enum path_reply reply, struct prediction *p);
/* The same for a fault that may be lifted: lifted before it matters, nothing is noticed. */
void predict_path_cut(const struct variant *v, enum host side, const struct fault_cfg *f, int64_t last_rx,
		      enum path_reply reply, struct prediction *p);
/* A peer host off the network (its cable pulled): the router answers what is sent to it with ICMP. */
void predict_host_lost(const struct variant *v, enum host side, const struct fault_cfg *f, int64_t last_rx,
		       struct prediction *p);
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

/*
 * Inside a run: walk @p's chain again from the instant the run saw its
 * reference packet leave or arrive (@o's timeline of @side), on the jiffy
 * the run's clock mapping puts it in. @p's time and events become that
 * walk's; its window stays the offline one. Nothing changes when the
 * record has no clock or timeline, or the packet is not in it.
 */
struct observation;
void predict_in_run(const struct observation *o, enum host side, struct prediction *p);

#endif
