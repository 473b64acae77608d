// SPDX-License-Identifier: MIT
/*
 * kill: SIGKILL of the target's endpoint process. Its kernel closes the
 * socket, so the peer reads a FIN within the round trip; nothing brings the
 * process back.
 */
#include <signal.h>

#include "fault_priv.h"

static int kill_apply(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len)
{
	return fault_signal_mark(env, f, SIGKILL, &env->killed[f->target], true, err, len);
}

static void kill_predict(const struct variant *v, enum host side, const struct fault_cfg *f, int64_t last_rx,
			 struct prediction *p)
{
	if (f->target == side)
		predict_say(p, OUTCOME_KILLED, MECH_NONE, INT64_MIN, "this side is the one killed");
	else
	{
		predict_say(p, OUTCOME_FIN, MECH_NONE, 0,
			    "the peer's kernel sends a FIN when its process dies: within the round trip");
		predict_round_trip(p);
	}
}

/* The server's listening socket dies with its process: its kernel resets the SYN (the validation refuses the client). */
static enum connect_fate kill_connect(const struct variant *v, const struct fault_cfg *f, int64_t connect_ms,
				      struct prediction *p)
{
	predict_syn_refused(connect_ms, connect_ms, "the server's kernel, with nothing listening,", p);
	return CONNECT_FAILS;
}

const struct fault_kind fault_kill = {
	.name = "kill", .table_rank = 4,
	.describe = "SIGKILL the target's endpoint process: its kernel closes the socket",
	.no_duration = "a killed process stays dead",
	.apply = kill_apply, .predict = kill_predict, .connect = kill_connect,
};
