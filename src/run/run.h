/* SPDX-License-Identifier: MIT */
/*
 * One run of one variant: build the topology, start the endpoints, apply the
 * faults on schedule, collect what each side noticed, tear everything down.
 * A failed run is a result (error set), never an exit.
 */
#ifndef DEADPEER_RUN_H
#define DEADPEER_RUN_H

#include "record.h"
#include "scenario.h"

struct run_opts {
	const char *pcap_prefix;	/* keep "<prefix>-client.pcap" and "-server.pcap"; NULL: none */
	const char *suite_dir;		/* {suite} of application endpoints (sandbox_suite_dir); NULL: none */
	/*
	 * Called with the finished record as soon as it is complete, before the
	 * captures' sockets and the namespaces are released (which waits on the
	 * kernel), so that a caller can go on meanwhile. NULL: not called.
	 */
	void (*publish)(const struct observation *o, void *arg);
	/*
	 * Called once the run's network is built and its captures open, before
	 * the endpoints start: the part of a run that works the kernel hardest
	 * is over. NULL: not called.
	 */
	void (*built)(void *arg);
	/* Called once both sides are connected, when the fault timeline starts. NULL: not called. */
	void (*established)(void *arg);
	void *publish_arg;		/* passed to publish, built and established */
};

/*
 * The longest a run of @v may take, when nothing hangs: from the start of its
 * setup until both sides are connected (RUN_SETUP_LIMIT_MS, which a loaded
 * machine needs), and from then until its result is known (run_span_ms: the
 * first fault, the deadline, restarted services, the endpoints' stop).
 */
#define RUN_SETUP_LIMIT_MS 60000
/*
 * A run of @v builds its router with a bridge per subnet (a fault takes a
 * host off its link, or the router's sysctls name a bridge), and leaves
 * neighbour resolution to the kernel, whose table is shared by every
 * namespace (gc_thresh3): the scheduler keeps few of them at once.
 */
bool run_needs_bridges(const struct variant *v);
int64_t run_span_ms(const struct variant *v);

/*
 * Run @v once (@opts may be NULL) and record what happened in @o (obs_release
 * it afterwards). Always fills @o; returns 0, or -1 if the run failed.
 */
int run_variant(const struct variant *v, unsigned run, const struct run_opts *opts, struct observation *o);

#endif
