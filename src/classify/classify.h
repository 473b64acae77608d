/* SPDX-License-Identifier: MIT */
/*
 * What deadpeer makes of a run: from its observation record and its variant,
 * each side's outcome, the mechanism behind it, when it was detected, what
 * the kernel's rules predicted, and the verdict against the expectation. Pure
 * functions: the same record always gives the same result, so a stored record
 * can be judged again.
 */
#ifndef DEADPEER_CLASSIFY_H
#define DEADPEER_CLASSIFY_H

#include "record.h"
#include "scenario.h"

enum verdict { VERDICT_NONE, VERDICT_PASS, VERDICT_FAIL, VERDICT_COUNT };
/* "pass", "fail", "-"; defined in names.c. */
const char *verdict_name(enum verdict v);

struct side_result {
	enum outcome outcome;
	enum mechanism mechanism;
	int err;			/* errno that reported it; 0 if none */
	bool detected;			/* detect_ms is meaningful */
	int64_t detect_ms;		/* from the first fault (or establishment) */
	bool has_last_rx;
	int64_t last_rx_ms;		/* same origin as detect_ms */
	int64_t keepidle_ms, keepintvl_ms, keepcnt, user_timeout_ms;	/* effective; -1 unknown */
	uint32_t probes, retransmits;	/* from TCP_INFO */
	struct tcp_snapshot before;	/* the socket just before it was decided */
	bool counted_on_wire;		/* probes and retransmits from the capture, not TCP_INFO */
	uint32_t zero_window_probes;	/* from the capture */
	uint32_t probe_replies;		/* keepalive probes the peer acknowledged, from the capture */
	int64_t probe_reply_max_us;	/* the slowest acknowledgement of a probe */
	bool has_prediction;		/* the kernel's rules say something for this side */
	enum outcome predicted_outcome;	/* OUTCOME_COUNT: no prediction made */
	enum mechanism predicted_mechanism;
	int64_t predicted_ms;		/* on the detect_ms clock */
	bool has_window;		/* the wheel's window below holds */
	int64_t predicted_earliest_ms, predicted_latest_ms;
	bool has_wire_lag;
	int64_t wire_lag_us;		/* detection minus the wire event that caused it */
	/* The program's view (SPEC "Application endpoints"); built-in sides describe themselves. */
	int keepalive;			/* SO_KEEPALIVE as the side set it; -1 unknown */
	enum observer observer;
	enum app_reaction app_reaction;
	int app_err;			/* APP_REACT_ERROR: the errno */
	bool app_detected;		/* app_detect_ms is meaningful */
	int64_t app_detect_ms;		/* same origin as detect_ms */
	bool has_app_lag;
	int64_t app_lag_ms;		/* app_detect_ms - detect_ms */
	bool app_exited;
	int app_exit_status;		/* exit code, or 128 + signal */
	char app_line[APP_LINE_MAX];
	bool has_observe_lag;
	int64_t observe_lag_us;		/* an app's deciding kernel event until deadpeer had it */
	uint32_t connections;
	bool has_reconnect;
	int64_t reconnect_ms;		/* the first connection established after the fault */
	enum verdict verdict;		/* of both expectations: kernel view and program view */
};

struct run_result {
	const struct variant *v;
	unsigned run;			/* 1-based repetition */
	bool failed;			/* the run could not be completed */
	char error[256];		/* why, when failed */
	int64_t fault_at_ms;		/* first fault's "at"; -1 without faults */
	/* Where the harness's own time went, in microseconds; -1 where the run did not get that far. */
	int64_t setup_us;		/* namespaces, links, addresses, rules, sysctls, captures */
	int64_t connect_us;		/* endpoints started until both sides established */
	int64_t run_us;			/* from both sides connected until the endpoints were stopped */
	int64_t teardown_us;		/* endpoints stopped, captures closed, namespaces released */
	int64_t fault_lag_us;		/* the first fault in effect, after its scheduled instant */
	int64_t fault_hits;		/* packets the fault rules matched; -1: not counted */
	struct side_result side[SIDE_COUNT];
};

/* Judge the run @o of @v: every field of @r is derived from them. */
void classify_run(const struct variant *v, const struct observation *o, struct run_result *r);

/* Which timer or packet a side's outcome came from, from its socket state. */
enum mechanism classify_mechanism(enum outcome o, int err, const struct side_cfg *cfg,
				  const struct tcp_snapshot *before, const struct tcp_snapshot *after);

/* Decide the verdict of a side against its expectation. */
enum verdict expect_verdict(const struct expect *e, const struct side_result *r);
/* The same for its program's view: app_reaction, and app_detect_ms within the window. */
enum verdict app_expect_verdict(const struct app_expect *e, const struct side_result *r);
/*
 * A side's one verdict from both: fail if either fails, pass if one passes,
 * "-" without either expectation. A run that failed fails every side that
 * expected something.
 */
enum verdict side_verdict(const struct expect *e, const struct app_expect *a, const struct side_result *r,
			  bool run_failed);

#endif
