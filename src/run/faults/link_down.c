// SPDX-License-Identifier: MIT
/*
 * link-down: the cable between the target host and the router is pulled.
 * The router's end of the veth pair goes down, and the host's own interface
 * stays administratively up but loses carrier; lifting plugs it back.
 */
#include "fault_priv.h"

static int link_down_apply(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len)
{
	return fault_link_set(env, f, false, err, len);
}

static int link_down_lift(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len)
{
	return fault_link_set(env, f, true, err, len);
}

/*
 * The server's cable is out: to the router it is a host that stopped
 * answering, until the cable is back (its service never went away).
 * (The client's is refused before it connects.)
 */
static enum connect_fate link_down_connect(const struct variant *v, const struct fault_cfg *f, int64_t connect_ms,
					   struct prediction *p)
{
	return predict_host_gone(v, connect_ms, fault_heal_ms(f), true, p);
}

const struct fault_kind fault_link_down = {
	.name = "link-down", .router_bridge = true, .table_rank = 1, .takes = FAULT_TAKES_DURATION,
	.describe = "pull the cable between the target host and the router",
	.apply = link_down_apply, .lift = link_down_lift,
	.heal_ms = fault_heal_after_duration, .predict = predict_host_lost, .connect = link_down_connect,
};
