// SPDX-License-Identifier: MIT
/*
 * Classification: which mechanism decided a side's outcome, judged from the
 * socket's state just before it died (data still unacknowledged, probes out,
 * the peer's window) and its options; and whether it met its expectation.
 */
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "classify.h"
#include "predict.h"

enum mechanism classify_mechanism(enum outcome o, int err, const struct side_cfg *cfg,
				  const struct tcp_snapshot *before, const struct tcp_snapshot *after)
{
	bool data_out = before->outq > 0 || before->unacked > 0 || after->unacked > 0;
	/* Data waits behind a window the peer closed, and nothing is in flight. */
	bool window_closed = before->snd_wnd == 0 && before->unacked == 0 && before->outq > 0;

	switch (o) {
	case OUTCOME_TIMEOUT:
		/* A connect that never got an answer (start = listening): its SYN retransmissions gave up. */
		if (before->state == TCP_SYN_SENT)
			return MECH_SYN;
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
	case OUTCOME_REFUSED:
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

/* A wait status as a shell shows it: the exit code, or 128 + the signal. */
static int exit_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * The program's view (SPEC "Application endpoints"). A built-in endpoint
 * reacts the instant it notices, by the error or end of file that told it,
 * or by giving up on its heartbeat.
 */
static void app_view(const struct variant *v, const struct observation *o, enum host s, int64_t origin,
		     struct side_result *r)
{
	const struct obs_side *os = &o->side[s];
	const struct app_view *a = &os->report.app;

	r->observer = a->observer;
	if (!v->side[s].app.command) {
		/* Its one connection, unless its connect failed or none ever came (start = listening). */
		const struct tcp_snapshot *b = &os->report.before;
		r->connections = os->started && (!os->decided || (b->ts_ns && b->state != TCP_SYN_SENT)) ? 1 : 0;
		if (!r->detected)
			return;
		r->app_reaction = r->outcome == OUTCOME_FIN ? APP_REACT_EOF
				: r->outcome == OUTCOME_HEARTBEAT ? APP_REACT_CLOSE : APP_REACT_ERROR;
		r->app_err = r->app_reaction == APP_REACT_ERROR ? r->err : 0;
		r->app_detected = r->has_app_lag = true;
		r->app_detect_ms = r->detect_ms;
		r->app_lag_ms = 0;
		return;
	}
	r->connections = a->connections;
	r->has_observe_lag = os->decided && a->observe_lag_ns >= 0;
	r->observe_lag_us = r->has_observe_lag ? a->observe_lag_ns / 1000 : 0;
	for (uint32_t i = 0; o->fault_ns && i < a->connections && i < APP_CONNECTIONS_MAX; i++)
		if (a->conn_ns[i] > o->fault_ns) {
			r->has_reconnect = true;
			r->reconnect_ms = (a->conn_ns[i] - origin) / 1000000;
			break;
		}
	r->app_exited = a->exited;
	r->app_exit_status = a->exited ? exit_code(a->exit_status) : 0;
	snprintf(r->app_line, sizeof(r->app_line), "%s", a->line);
	if (!os->decided || os->killed || !a->ts_ns || a->reaction == APP_REACT_NONE)
		return;
	/* As for the kernel's view: what it does after the deadline is too late. */
	if (o->deadline_ns && a->ts_ns > o->deadline_ns)
		return;
	r->app_reaction = a->reaction;
	r->app_err = a->err;
	r->app_detected = true;
	r->app_detect_ms = (a->ts_ns - origin) / 1000000;
	if (r->detected) {
		r->has_app_lag = true;
		r->app_lag_ms = (a->ts_ns - os->report.ts_ns) / 1000000;
	}
}

/*
 * The options a side's socket had: the scenario's for the built-in
 * endpoint, what was read back from the program's socket for an app.
 */
static struct side_cfg effective_cfg(const struct side_cfg *cfg, const struct ep_report *m)
{
	struct side_cfg eff = *cfg;

	if (!cfg->app.command)
		return eff;
	eff.keepalive = m->keepalive > 0;
	eff.keepidle_ms = m->keepidle_ms;
	eff.keepintvl_ms = m->keepintvl_ms;
	eff.keepcnt = m->keepcnt;
	eff.user_timeout_ms = m->user_timeout_ms > 0 ? m->user_timeout_ms : 0;
	return eff;
}

enum verdict app_expect_verdict(const struct app_expect *e, const struct side_result *r)
{
	if (!e->text)
		return VERDICT_NONE;
	if (r->app_reaction != e->reaction)
		return VERDICT_FAIL;
	if (e->has_window && (!r->app_detected || r->app_detect_ms < e->min_ms || r->app_detect_ms > e->max_ms))
		return VERDICT_FAIL;
	return VERDICT_PASS;
}

enum verdict side_verdict(const struct expect *e, const struct app_expect *a, const struct side_result *r,
			  bool run_failed)
{
	enum verdict k, p;

	if (run_failed)
		return e->text || a->text ? VERDICT_FAIL : VERDICT_NONE;
	k = expect_verdict(e, r);
	p = app_expect_verdict(a, r);
	if (k == VERDICT_FAIL || p == VERDICT_FAIL)
		return VERDICT_FAIL;
	return k == VERDICT_PASS || p == VERDICT_PASS ? VERDICT_PASS : VERDICT_NONE;
}

/*
 * One side's figures from what it reported and what its host's wire showed.
 * Detection times count from @origin: the instant before the first fault
 * acted, or the establishment without faults.
 */
static void classify_side(const struct variant *v, const struct observation *o, enum host s, struct side_result *r)
{
	const struct obs_side *os = &o->side[s];
	const struct ep_report *m = &os->report;
	int64_t origin = o->fault_ns ? o->fault_ns : o->established_ns;

	*r = (struct side_result){
		.outcome = OUTCOME_NONE, .keepidle_ms = -1, .keepintvl_ms = -1, .keepcnt = -1,
		.user_timeout_ms = -1, .keepalive = -1,
	};
	if (os->killed) {
		r->outcome = OUTCOME_KILLED;
		app_view(v, o, s, origin, r);
		return;
	}
	if (!os->decided) {
		app_view(v, o, s, origin, r);
		return;
	}
	/*
	 * A frozen side thawed at the deadline may act on what queued up while
	 * it was stopped; whatever it notices after the deadline is too late.
	 */
	r->outcome = o->deadline_ns && m->ts_ns > o->deadline_ns ? OUTCOME_NONE : m->outcome;
	r->err = m->err;
	r->keepalive = m->keepalive;
	r->keepidle_ms = m->keepidle_ms;
	r->keepintvl_ms = m->keepintvl_ms;
	r->keepcnt = m->keepcnt;
	r->user_timeout_ms = m->user_timeout_ms;
	r->probes = m->after.probes;
	r->retransmits = m->after.total_retrans;
	r->before = m->before;
	if (m->last_rx_ns) {
		r->has_last_rx = true;
		r->last_rx_ms = (m->last_rx_ns - origin) / 1000000;
	}
	if (r->outcome != OUTCOME_NONE) {
		r->detected = true;
		r->detect_ms = (m->ts_ns - origin) / 1000000;
	} else {
		r->err = 0;
	}
	/*
	 * sock_diag sees a connection vanish, not why (no errno): its host's
	 * wire tells. The peer's FIN (the program closed within one look),
	 * else its reset, else its own kernel gave up on it.
	 */
	if (m->app.observer == OBSERVER_SOCK_DIAG && (r->outcome == OUTCOME_RST || r->outcome == OUTCOME_TIMEOUT) &&
	    !r->err && os->on_wire)
		r->outcome = os->wire.first_fin_in && os->wire.first_fin_in <= m->ts_ns ? OUTCOME_FIN
			   : os->wire.first_rst_in ? OUTCOME_RST : OUTCOME_TIMEOUT;
	struct side_cfg eff = effective_cfg(&v->side[s], m);
	r->mechanism = classify_mechanism(r->outcome, r->err, &eff, &m->before, &m->after);
	app_view(v, o, s, origin, r);

	/*
	 * Counts come from the wire, which sees every packet the host sent
	 * (after its own firewall). last_rx stays the socket's own view: the
	 * host's interface also sees packets that its firewall then drops, and
	 * the socket's receive time is what its keepalive timer counts from.
	 */
	const struct wire_counts *w = &os->wire;
	if (!os->on_wire)
		return;
	r->counted_on_wire = true;
	r->probes = w->probes;
	r->retransmits = w->retransmits;
	r->zero_window_probes = w->zero_window_probes;
	r->probe_replies = w->probe_replies;
	r->probe_reply_max_us = w->probe_reply_max_ns / 1000;
	int64_t event = 0;
	switch (r->outcome) {
	case OUTCOME_FIN:
		event = w->first_fin_in;
		break;
	case OUTCOME_RST:
	case OUTCOME_REFUSED:
		event = w->first_rst_in;
		break;
	case OUTCOME_TIMEOUT:
		/* A keepalive timer that gives up sends a reset before it reports. */
		if (r->mechanism == MECH_KEEPALIVE || (r->mechanism == MECH_USER_TIMEOUT && !m->before.outq))
			event = w->first_rst_out;
		break;
	case OUTCOME_HEARTBEAT:
	case OUTCOME_NONE:
	case OUTCOME_KILLED:
	case OUTCOME_COUNT:
		break;
	}
	if (event && r->detected) {
		r->has_wire_lag = true;
		r->wire_lag_us = (m->ts_ns - event) / 1000;
	}
}

void classify_run(const struct variant *v, const struct observation *o, struct run_result *r)
{
	memset(r, 0, sizeof(*r));
	r->v = v;
	r->run = o->run;
	r->failed = o->failed || o->error[0];
	snprintf(r->error, sizeof(r->error), "%s", o->error);
	r->fault_at_ms = variant_first_fault_ms(v);
	r->setup_us = o->setup_us;
	r->connect_us = o->connect_us;
	r->teardown_us = o->teardown_us;
	r->run_us = o->run_us;
	r->fault_lag_us = o->fault_lag_us;
	r->fault_hits = o->fault_hits;
	for (int s = 0; s < SIDE_COUNT; s++) {
		struct side_result *sr = &r->side[s];
		struct prediction p;

		classify_side(v, o, s, sr);
		predict_side(v, s, sr->has_last_rx, sr->last_rx_ms, &p);
		/* The run saw where its timers started: walked from there, the time is the run's own. */
		predict_in_run(o, s, &p);
		sr->has_prediction = p.has_time;
		sr->predicted_outcome = p.outcome;
		sr->predicted_mechanism = p.mechanism;
		sr->predicted_ms = p.ms;
		sr->has_window = p.has_time && p.has_window;
		sr->predicted_earliest_ms = p.earliest_ms;
		sr->predicted_latest_ms = p.latest_ms;
		sr->verdict = side_verdict(&v->expect[s], &v->expect_app[s], sr, r->failed);
	}
}
