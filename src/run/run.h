/* SPDX-License-Identifier: MIT */
/*
 * One run of one variant: build the topology, start the endpoints, apply the
 * faults on schedule, collect what each side noticed, tear everything down.
 * A failed run is a result (error set), never an exit.
 */
#ifndef DEADPEER_RUN_H
#define DEADPEER_RUN_H

#include "endpoint.h"
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
	bool has_wire_lag;
	int64_t wire_lag_us;		/* detection minus the wire event that caused it */
	enum verdict verdict;
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
	int64_t teardown_us;		/* endpoints stopped, captures closed, namespaces released */
	int64_t fault_lag_us;		/* the first fault in effect, after its scheduled instant */
	int64_t fault_hits;		/* packets the faults' drop/reject rules matched; -1: not counted */
	struct side_result side[SIDE_COUNT];
};

struct run_opts {
	const char *pcap_prefix;	/* keep "<prefix>-client.pcap" and "-server.pcap"; NULL: none */
	/*
	 * Called with the finished result as soon as it is known, before the
	 * captures' sockets and the namespaces are released (which waits on the
	 * kernel), so that a caller can go on meanwhile. NULL: not called.
	 */
	void (*publish)(const struct run_result *r, void *arg);
	/* Called once both sides are connected, when the fault timeline starts. NULL: not called. */
	void (*established)(void *arg);
	void *publish_arg;		/* passed to publish and established */
};

/*
 * The longest a run of @v may take, when nothing hangs: from the start of its
 * setup until both sides are connected (RUN_SETUP_LIMIT_MS, which a loaded
 * machine needs), and from then until its result is known (run_span_ms: the
 * first fault, the deadline, restarted services, the endpoints' stop).
 */
#define RUN_SETUP_LIMIT_MS 60000
/* The earliest fault's "at" of @v, or -1 without faults. */
int64_t variant_first_fault_ms(const struct variant *v);
int64_t run_span_ms(const struct variant *v);

/* Run @v once (@opts may be NULL). Always fills @res; returns 0, or -1 if the run failed. */
int run_variant(const struct variant *v, unsigned run, const struct run_opts *opts, struct run_result *res);

/* Decide the verdict of a side against its expectation. */
enum verdict expect_verdict(const struct expect *e, const struct side_result *r);

/* Which timer or packet a side's outcome came from, from its socket state. */
enum mechanism classify_mechanism(enum outcome o, int err, const struct side_cfg *cfg,
				  const struct tcp_snapshot *before, const struct tcp_snapshot *after);

#endif
