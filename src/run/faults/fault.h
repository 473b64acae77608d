/* SPDX-License-Identifier: MIT */
/* Faults: one table of operations per action (apply, lift), see fault.c. */
#ifndef DEADPEER_FAULT_H
#define DEADPEER_FAULT_H

#include <sys/types.h>

#include "endpoint.h"
#include "scenario.h"
#include "topology.h"

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
	int64_t start_ns;		/* set by fault_apply: the clock read before the fault acted */
	int64_t effective_ns;		/* set by fault_apply: when the fault took effect */
	/* The clock both are read from: mono_ns, unless a test watches when it is read. */
	int64_t (*clock)(void);
};

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
/* When a fault is undone, in ms after it was applied; -1: never. */
int64_t fault_heal_ms(const struct fault_cfg *f);

/* The nftables filter a drop/reject fault installs (exposed for tests). */
void fault_filter(const struct fault_cfg *f, size_t index, uint16_t port, struct nft_filter *out, char *table, size_t len);

#endif
