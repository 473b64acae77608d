/* SPDX-License-Identifier: MIT */
/* What the kinds' files (drop.c, ...) share: fault.c's mechanism and filter.c's tables. */
#ifndef DEADPEER_FAULT_PRIV_H
#define DEADPEER_FAULT_PRIV_H

#include "fault.h"
#include "fault_kinds.h"	/* generated from registry.c's table: each kind's declaration */
#include "predict.h"

/* The clock a fault's instants are read from (env->clock or mono_ns). */
int64_t fault_clock(const struct fault_env *env);
/* 0, or -EHOSTDOWN with @err filled when the target has crashed and not come back. */
int fault_host_down(struct fault_env *env, const struct fault_cfg *f, char *err, size_t len);
/* Send @sig to the target's endpoint, unless it is already gone; 0 or -errno with @err. */
int fault_signal(struct fault_env *env, const struct fault_cfg *f, int sig, char *err, size_t len);
/* fault_signal, then *@state = @value once it is delivered (killed, frozen). */
int fault_signal_mark(struct fault_env *env, const struct fault_cfg *f, int sig, bool *state, bool value, char *err,
		      size_t len);
/* Set the router's end of the target's cable up or down; 0 or -errno with @err. */
int fault_link_set(struct fault_env *env, const struct fault_cfg *f, bool up, char *err, size_t len);
/* heal_ms of the kinds a duration lifts: after it, or never without one. */
int64_t fault_heal_after_duration(const struct fault_cfg *f);

/*
 * A kind's nftables table in the target's namespace, one per fault: its
 * name, "deadpeer_fault3" for fault 3 of a run (@table of at least 32
 * bytes); sending a builder's batch of @n bytes (or its -errno) there, with
 * "cannot @verb nftables table ..." in @err on failure; deleting it (lift);
 * adding the packets its rules' counters matched to env->hits (count).
 */
void fault_table_name(size_t index, char *table, size_t len);
int fault_table_send(struct fault_env *env, const struct fault_cfg *f, int n, void *batch, const char *verb,
		     const char *table, char *err, size_t len);
int fault_table_delete(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len);
void fault_table_count(struct fault_env *env, const struct fault_cfg *f, size_t index);

/* drop and reject: a filter table in the target's namespace (filter.c). */
struct filter_kind {
	bool reject;		/* the rules answer with a TCP reset instead of dropping */
};
int fault_filter_apply(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len);

/* What a filter in place does to the client's connect (start = listening). */
enum connect_fate fault_filter_connect(const struct variant *v, const struct fault_cfg *f, int64_t connect_ms,
				       struct prediction *p);
/*
 * The fields of struct fault_kind drop, reject and loss share: one table,
 * the same keys, and @more (loss takes a probability).
 */
#define FAULT_FILTER_KIND(filter, more)							\
	.takes = FAULT_TAKES_ROUTER | FAULT_TAKES_DIRECTION | FAULT_TAKES_DURATION | (more),		\
	.apply = fault_filter_apply,								\
	.lift = fault_table_delete,								\
	.count = fault_table_count,								\
	.connect = fault_filter_connect,							\
	.heal_ms = fault_heal_after_duration,							\
	.priv = (filter)

#endif
