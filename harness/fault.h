/* SPDX-License-Identifier: MIT */
/* Faults: one table of operations per action (apply, lift), see fault.c. */
#ifndef DEADPEER_FAULT_H
#define DEADPEER_FAULT_H

#include <sys/types.h>

#include "scenario.h"
#include "topology.h"

/* What faults act on: the run's hosts and its endpoint processes. */
struct fault_env {
	struct topology *topo;
	pid_t pid[SIDE_COUNT];		/* endpoint processes; 0 once reaped */
	bool killed[SIDE_COUNT];	/* SIGKILLed by a fault */
	bool frozen[SIDE_COUNT];	/* SIGSTOPped and not yet continued */
	uint16_t port;			/* the server's port */
};

/* Apply fault number @index of a run; 0 or -errno with @err filled. */
int fault_apply(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len);
/* Undo it after its duration; only called when fault_liftable(). */
int fault_lift(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len);
bool fault_liftable(const struct fault_cfg *f);

/* The nftables filter a drop/reject fault installs (exposed for tests). */
void fault_filter(const struct fault_cfg *f, size_t index, uint16_t port, struct nft_filter *out, char *table, size_t len);

#endif
