/* SPDX-License-Identifier: MIT */
/*
 * Prediction: what the kernel's documented rules (tcp_keepalive_timer,
 * tcp_retransmit_timer, tcp_model_timeout) say each side will see, and when.
 */
#ifndef DEADPEER_PREDICT_H
#define DEADPEER_PREDICT_H

#include "scenario.h"

struct prediction {
	enum outcome outcome;
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

/* Effective keepalive and retransmission settings of a side (options, its sysctls, kernel defaults). */
int64_t side_keepidle_ms(const struct side_cfg *c);
int64_t side_keepintvl_ms(const struct side_cfg *c);
int64_t side_keepcnt(const struct side_cfg *c);
int64_t side_retries2(const struct side_cfg *c);

/*
 * Predict @side of @v. @last_rx_ms is when the side last heard from its peer
 * on the detect_ms clock; pass have_last_rx = false to assume the model's
 * value (an idle side last heard the handshake).
 */
void predict_side(const struct variant *v, enum host side, bool have_last_rx, int64_t last_rx_ms,
		  struct prediction *p);

#endif
