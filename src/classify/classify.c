// SPDX-License-Identifier: MIT
/*
 * Classification: which mechanism decided a side's outcome, judged from the
 * socket's state just before it died (data still unacknowledged, probes out,
 * the peer's window) and its options; and whether it met its expectation.
 */
#include "run.h"

enum mechanism classify_mechanism(enum outcome o, int err, const struct side_cfg *cfg,
				  const struct tcp_snapshot *before, const struct tcp_snapshot *after)
{
	bool data_out = before->outq > 0 || before->unacked > 0 || after->unacked > 0;
	/* Data waits behind a window the peer closed, and nothing is in flight. */
	bool window_closed = before->snd_wnd == 0 && before->unacked == 0 && before->outq > 0;

	switch (o) {
	case OUTCOME_TIMEOUT:
		/*
		 * Which timer ended it. The kernel arms exactly one of them: the
		 * zero-window probe timer while the peer's window is closed, the
		 * retransmission timer while data is unacknowledged (keepalive is
		 * not armed then), else the keepalive timer. TCP_USER_TIMEOUT
		 * bounds retransmissions (and replaces keepcnt), so with it set the
		 * retransmission and keepalive cases are "user-timeout"; the
		 * zero-window timer stays "zero-window" either way.
		 */
		if (window_closed)
			return MECH_ZERO_WINDOW;
		if (data_out)
			return cfg->user_timeout_ms > 0 ? MECH_USER_TIMEOUT : MECH_RETRANSMISSION;
		if (cfg->keepalive)
			return cfg->user_timeout_ms > 0 ? MECH_USER_TIMEOUT : MECH_KEEPALIVE;
		return MECH_NONE;
	case OUTCOME_RST:
		if (data_out)
			return MECH_DATA;
		return cfg->keepalive ? MECH_PROBE : MECH_NONE;
	case OUTCOME_FIN:
	case OUTCOME_HEARTBEAT:
	case OUTCOME_NONE:
	case OUTCOME_KILLED:
	case OUTCOME_COUNT:
		break;
	}
	(void)err;
	return MECH_NONE;
}

enum verdict expect_verdict(const struct expect *e, const struct side_result *r)
{
	if (!e->text)
		return VERDICT_NONE;
	if (r->outcome != e->outcome)
		return VERDICT_FAIL;
	if (!e->any_mechanism && r->mechanism != e->mechanism)
		return VERDICT_FAIL;
	if (e->has_window && (!r->detected || r->detect_ms < e->min_ms || r->detect_ms > e->max_ms))
		return VERDICT_FAIL;
	/* Probe counts are only believed from the wire. */
	if ((e->has_probes || e->answered) && !r->counted_on_wire)
		return VERDICT_FAIL;
	if (e->has_probes && (r->probes < e->probes_min || r->probes > e->probes_max))
		return VERDICT_FAIL;
	if (e->answered && r->probe_replies < r->probes)
		return VERDICT_FAIL;
	return VERDICT_PASS;
}
