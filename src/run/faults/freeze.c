// SPDX-License-Identifier: MIT
/*
 * freeze: SIGSTOP of the target's endpoint process, a hung application
 * whose kernel still answers TCP; lifting sends SIGCONT. Only the
 * application's own heartbeat, or a user timeout on a closed window, can
 * tell.
 */
#include <signal.h>

#include "fault_priv.h"

static int freeze_apply(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len)
{
	return fault_signal_mark(env, f, SIGSTOP, &env->frozen[f->target], true, err, len);
}

static int freeze_lift(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len)
{
	return fault_signal_mark(env, f, SIGCONT, &env->frozen[f->target], false, err, len);
}

static void freeze_predict(const struct variant *v, enum host side, const struct fault_cfg *f, int64_t last_rx,
			   struct prediction *p)
{
	const struct side_cfg *c = &v->side[side];

	if (f->target == side) {
		predict_say(p, OUTCOME_NONE, MECH_NONE, INT64_MIN, "this side is frozen and notices nothing");
		return;
	}
	if (predict_heartbeat_first(c, f, fault_heal_ms(f), p))
		return;
	if (c->traffic == TRAFFIC_STREAM && c->user_timeout_ms > 0) {
		predict_zero_window(v, side, f, p);
		return;
	}
	predict_say(p, OUTCOME_NONE, MECH_NONE, INT64_MIN,
		    "the frozen peer's kernel answers probes and acknowledges data");
}

const struct fault_kind fault_freeze = {
	.name = "freeze", .table_rank = 5, .takes = FAULT_TAKES_DURATION,
	.describe = "SIGSTOP the target's endpoint process: a hung application whose kernel still answers",
	.apply = freeze_apply, .lift = freeze_lift, .heal_ms = fault_heal_after_duration, .predict = freeze_predict,
};
