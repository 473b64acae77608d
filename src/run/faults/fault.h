/* SPDX-License-Identifier: MIT */
/*
 * Faults. Each kind (drop, reject, ...) is one struct fault_kind in a file of
 * its own (drop.c, ...) and one line of the table in registry.c: what it
 * accepts, how it is checked, applied, lifted and predicted. Nothing outside
 * these files names a kind: the parser, the checks, the run loop, the
 * predictor and the report all go through the table.
 */
#ifndef DEADPEER_FAULT_H
#define DEADPEER_FAULT_H

#include <sys/types.h>

#include "endpoint.h"
#include "predict.h"
#include "scenario.h"
#include "topology.h"

struct prediction;

/* What faults act on: the run's hosts and its endpoint processes. */
struct fault_env {
	struct topology *topo;
	struct endpoint *ep[SIDE_COUNT];	/* the client's and the server's programs */
	bool killed[SIDE_COUNT];	/* SIGKILLed by a fault */
	bool frozen[SIDE_COUNT];	/* SIGSTOPped and not yet continued */
	uint16_t port;			/* the server's port */
	struct endpoint *service;	/* the server's program after a restart (ep->pid 0: none) */
	/* Bring a crashed host back (addresses, sysctls, service); set by the run loop. */
	int (*restart)(struct fault_env *env, enum host h, bool service, char *err, size_t len);
	void *owner;			/* the run loop's state, for restart */
	int64_t hits;			/* packets the faults' rules matched; -1: no fault counts */
	int64_t start_ns;		/* set by fault_apply: the clock read before the fault acted */
	int64_t effective_ns;		/* set by fault_apply: when the fault took effect */
	/* The clock both are read from: mono_ns, unless a test watches when it is read. */
	int64_t (*clock)(void);
};

/* The [fault] keys a kind accepts besides at, action and target (struct fault_kind.takes). */
#define FAULT_TAKES_ROUTER		(1u << 0)	/* target = router */
#define FAULT_TAKES_DIRECTION		(1u << 1)
#define FAULT_TAKES_DURATION		(1u << 2)	/* lifted after it */
#define FAULT_TAKES_RESTART		(1u << 3)
#define FAULT_TAKES_RESTART_SERVICE	(1u << 4)	/* always of the server */
#define FAULT_TAKES_PROBABILITY		(1u << 5)	/* a share of the packets, not all */
#define FAULT_TAKES_MTU			(1u << 6)	/* a link's MTU in bytes */

struct fault_kind {
	const char *name;		/* the action's word in scenario files: "drop" */
	const char *describe;		/* one line for --help */
	unsigned takes;			/* FAULT_TAKES_* */
	/* Without FAULT_TAKES_DURATION: why, for the message that refuses one ("a killed process stays dead"). */
	const char *no_duration;
	/*
	 * Combinations @takes cannot say, checked once action and target are
	 * set (NULL: none): true with the message in @msg and, in *@key, the
	 * key whose line it names.
	 */
	bool (*validate)(const struct fault_cfg *f, const char **key, char *msg, size_t len);
	/* Fault number @index of a run: 0 or -errno with @err filled (see fault_apply). */
	int (*apply)(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len);
	/* Undo it; NULL: it cannot be undone, and heal_ms is NULL too. */
	int (*lift)(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len);
	/*
	 * Add to env->hits the packets it has acted on so far, read from the
	 * kernel (a filter's rule counters); NULL: it counts nothing. Called
	 * before it is lifted, and at the end of the run if it never was.
	 */
	void (*count)(struct fault_env *env, const struct fault_cfg *f, size_t index);
	/* When the run loop lifts it, in ms after it was applied; -1: never. */
	int64_t (*heal_ms)(const struct fault_cfg *f);
	/*
	 * What @side would see of @f alone, from the fault on (predict_side
	 * orders several); @last_rx is when the side last heard from its
	 * peer, relative to the fault. Built on the rules of predict.h.
	 */
	void (*predict)(const struct variant *v, enum host side, const struct fault_cfg *f, int64_t last_rx,
			struct prediction *p);
	/*
	 * start = listening, with the fault in place when the client connects
	 * @connect_ms after it: what the connect meets (predict.h: the
	 * predict_syn_* rules). NULL: the connect completes and the fault goes
	 * on acting on the connection (CONNECT_UNDER_FAULT).
	 */
	enum connect_fate (*connect)(const struct variant *v, const struct fault_cfg *f, int64_t connect_ms,
				     struct prediction *p);
	int table_rank;			/* column of the matrix in `deadpeer table`: lower first */
	/*
	 * It pulls or replaces a host's cable, or changes the router's link:
	 * the run's router keeps its addresses on a bridge per subnet (see
	 * topology.h), as a switch port outlives the machine behind it.
	 */
	bool router_bridge;
	const void *priv;		/* the kind's own data for code it shares with others (filter.c) */
};

/* THE table, in the order messages list the kinds (registry.c). */
extern const struct fault_kind *const fault_kinds[];
extern const size_t fault_kind_count;

/* The kind called @name, or NULL. */
const struct fault_kind *fault_kind_find(const char *name);
/*
 * Into @buf, the names of the kinds that accept every key of @takes (0: all
 * of them), in table order, separated by ", " but for the last one, which
 * follows @last: "drop and reject" with " and ". Returns @buf.
 */
char *fault_kind_names(char *buf, size_t len, unsigned takes, const char *last);

/*
 * Apply fault number @index of a run; 0 or -errno with @err filled.
 * env->start_ns is read before anything acts, so every consequence of the
 * fault comes after it (the origin of detection times); env->effective_ns
 * says when it took effect: when the kernel acknowledged it, or for a crash
 * when the cable was cut, before the rest of the crash (the kill, the
 * cleanup) follows.
 */
int fault_apply(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len);
/* Undo it (lift a filter, thaw, plug back, restart a crashed host). */
int fault_lift(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len);
/* A fault applied and never lifted, at the end of the run: count what it did (see fault_kind.count). */
void fault_settle(struct fault_env *env, const struct fault_cfg *f, size_t index);
/* When a fault is undone, in ms after it was applied; -1: never. */
int64_t fault_heal_ms(const struct fault_cfg *f);

/* The nftables filter a drop/reject fault installs (exposed for tests). */
void fault_filter(const struct fault_cfg *f, size_t index, uint16_t port, struct nft_filter *out, char *table, size_t len);

#endif
