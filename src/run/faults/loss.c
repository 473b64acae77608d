// SPDX-License-Identifier: MIT
/*
 * loss: a lossy link. The drop table of filter.c, but each rule drops only
 * `probability` percent of the connection's packets, at random (nftables
 * numgen). Which packets go is chance, so no outcome is certain but where
 * nothing is sent at all: the prediction gives, for an idle side with
 * keepalive, the chance that its keepalive kills the live connection by the
 * deadline, and with repeat the summary and rates.csv give how often each
 * outcome came.
 */
#include <inttypes.h>
#include <stdio.h>

#include "fault_priv.h"
#include "predict.h"

static const struct filter_kind loss_filter = { .reject = false };

/* A share of the packets is lost: without it there is nothing to lose. */
static bool loss_validate(const struct fault_cfg *f, const char **key, char *msg, size_t len)
{
	if (f->probability > 0)
		return false;
	*key = "action";
	snprintf(msg, len, "action = loss needs probability = P%% (1%% to 99%%)");
	return true;
}

/* The share of @side's own packets lost on their way to its peer (@outward), or of its peer's to it. */
static double lost_share(const struct fault_cfg *f, enum host side, bool outward)
{
	enum direction away = side == HOST_CLIENT ? DIR_TO_SERVER : DIR_TO_CLIENT;
	bool hit = f->direction == DIR_BOTH || (f->direction == away) == outward;

	return hit ? (double)f->probability / 100 : 0;
}

/* Where this fault's deadline lies, from the fault: the deadline counts from the first fault. */
static int64_t horizon_ms(const struct variant *v, const struct fault_cfg *f)
{
	/* With start = listening, @f's at counts from the connect (predict_side), the faults' from the listen. */
	int64_t at = f->at_ms + (v->start == START_LISTENING ? v->side[HOST_CLIENT].connect_at_ms : 0), first = at;

	for (size_t i = 0; i < v->n_faults; i++)
		if (v->faults[i].at_ms < first)
			first = v->faults[i].at_ms;
	return v->deadline_ms - (at - first);
}

/*
 * The chance that idle side @side's keepalive gives up by the deadline (see
 * keepalive_kill_chance); *@q the chance that one probe fails. Returns 1
 * with *@chance set (a side without keepalive never gives up: 0); 0 where
 * the rule does not apply: a side that sends, or whose keepalive counts with
 * TCP_USER_TIMEOUT; -1 where too many probes fit before the deadline.
 */
static int idle_kill_chance(const struct variant *v, enum host side, const struct fault_cfg *f, int64_t last_rx,
			     double *q, double *chance)
{
	const struct side_cfg *c = &v->side[side];
	int64_t idle = side_keepidle_ms(c), intvl = side_keepintvl_ms(c);
	int64_t after_answer = idle > intvl ? idle : intvl, first;

	*q = 1 - (1 - lost_share(f, side, true)) * (1 - lost_share(f, side, false));
	*chance = 0;
	if (c->traffic != TRAFFIC_IDLE || c->app.command || (c->keepalive && c->user_timeout_ms > 0))
		return 0;
	if (!c->keepalive)
		return 1;
	/*
	 * Probes before the loss were answered, each after_answer after the
	 * last. A measured last_rx after the fault is a probe that chance let
	 * through: count from the handshake instead.
	 */
	if (last_rx > 0)
		last_rx = -f->at_ms;
	for (first = last_rx + idle; first < 0; first += after_answer)
		;
	*chance = keepalive_kill_chance(first, idle, intvl, side_keepcnt(c), *q, fault_heal_ms(f) >= 0 ?
					fault_heal_ms(f) : INT64_MAX, horizon_ms(v, f));
	return *chance >= 0 ? 1 : -1;
}

/* "0.35%", "2.7e-06", "1 - 8.1e-04": a chance as a rule can state it. */
static void chance_text(char *buf, size_t len, double p)
{
	if (p > 0 && p < 0.001)
		snprintf(buf, len, "%.2g", p);
	else if (p > 0.999 && p < 1)
		snprintf(buf, len, "1 - %.2g", 1 - p);
	else
		snprintf(buf, len, "%.3g%%", 100 * p);
}

static void loss_predict(const struct variant *v, enum host side, const struct fault_cfg *f, int64_t last_rx,
			 struct prediction *p)
{
	const struct side_cfg *c = &v->side[side];
	enum host peer = side == HOST_CLIENT ? HOST_SERVER : HOST_CLIENT;
	double q, q_peer, mine, theirs;
	char a[32], b[32], dl[32], pq[32];

	int mine_rule = idle_kill_chance(v, side, f, last_rx, &q, &mine);
	if (mine_rule == 0) {
		predict_say(p, OUTCOME_COUNT, MECH_NONE, INT64_MIN,
			    "%" PRId64 "%% of the packets lost at random: lost segments are retransmitted, and whether "
			    "a timer gives up first is chance (see the rates with repeat)", f->probability);
		return;
	}
	if (mine_rule < 0) {
		predict_say(p, OUTCOME_COUNT, MECH_NONE, INT64_MIN,
			    "%" PRId64 "%% of the packets lost at random: too many keepalive probes fit before the "
			    "deadline to work out the chance of a kill (see the rates with repeat)", f->probability);
		return;
	}
	/*
	 * Certain only when nothing can end it: this side's keepalive cannot
	 * give up by the deadline, nor can its idle peer's send it a reset.
	 */
	bool peer_rule = idle_kill_chance(v, peer, f, -f->at_ms, &q_peer, &theirs) > 0;
	format_duration(dl, sizeof(dl), horizon_ms(v, f));
	if (mine == 0 && peer_rule && theirs == 0) {
		if (!c->keepalive && !v->side[peer].keepalive)
			predict_say(p, OUTCOME_NONE, MECH_NONE, INT64_MIN,
				    "idle without keepalive on either side: nothing is sent, so nothing is lost");
		else
			predict_say(p, OUTCOME_NONE, MECH_NONE, INT64_MIN,
				    "idle: even with every probe lost, no keepalive of either side can give up by the "
				    "deadline (%s)", dl);
		return;
	}
	if (!c->keepalive) {
		predict_say(p, OUTCOME_COUNT, MECH_NONE, INT64_MIN,
			    "idle without keepalive: only the peer's reset, if its timer gives up and the reset "
			    "is not lost, can tell it (see the rates with repeat)");
		return;
	}
	format_duration(a, sizeof(a), side_keepidle_ms(c));
	format_duration(b, sizeof(b), side_keepintvl_ms(c));
	chance_text(pq, sizeof(pq), q);
	char pk[32];
	chance_text(pk, sizeof(pk), mine);
	predict_say(p, OUTCOME_COUNT, MECH_NONE, INT64_MIN,
		    "a probe or its reply is lost with p = %s; keepalive %s/%s/%" PRId64 " gives up at %" PRId64
		    " lost in a row: killed by the deadline (%s) with probability %s",
		    pq, a, b, side_keepcnt(c), side_keepcnt(c), dl, pk);
}

const struct fault_kind fault_loss = {
	.name = "loss", .table_rank = 6,
	.describe = "drop a share (probability = P%) of the connection's packets at random, in one or both directions",
	.validate = loss_validate, .predict = loss_predict,
	FAULT_FILTER_KIND(&loss_filter, FAULT_TAKES_PROBABILITY),
};
