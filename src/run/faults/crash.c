// SPDX-License-Identifier: MIT
/*
 * crash: the target host loses power. Its cable is pulled out for good, its
 * processes killed and its namespace released; with restart, a fresh host
 * is built in its place (and with restart_service, the server listens
 * again). The survivor meets a dead path, then, once the host is back, an
 * RST.
 */
#include <signal.h>
#include <stdio.h>

#include "fault_priv.h"

/*
 * Power loss. Taking the router's end of the host's cable down is the
 * instant: from then on no frame enters or leaves the host (its own end has
 * no carrier), whatever its kernel does; it takes one netlink round trip,
 * where deleting the pair waits for the kernel to unregister both devices.
 * Then its endpoint is killed (the FIN or RST its kernel emits has no
 * interface to leave by), the pair deleted and the namespace released, taking
 * its sockets with it. The router's bridge keeps its address, so the rest of
 * the network sees what it sees when a machine dies: neighbour resolution
 * fails and the router answers with ICMP host unreachable.
 */
static int crash_apply(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len)
{
	enum topo_node n = f->target == HOST_CLIENT ? TOPO_CLIENT : TOPO_SERVER;
	int ret = fault_host_down(env, f, err, len);

	if (!ret)
		ret = fault_link_set(env, f, false, err, len);
	if (ret)
		return ret;
	env->effective_ns = fault_clock(env);
	ret = fault_signal(env, f, SIGKILL, err, len);
	if (f->target == HOST_SERVER && env->service->pid > 0)
		env->service->ops->signal(env->service, SIGKILL);	/* reaped when the run ends */
	env->killed[f->target] = true;
	env->frozen[f->target] = false;
	char why[256];
	int unplugged = topology_unplug(env->topo, n, why, sizeof(why));
	topology_detach(env->topo, n);
	if (!ret && unplugged)
		snprintf(err, len, "%s", why);
	return ret ? ret : unplugged;
}

static int crash_lift(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len)
{
	return env->restart(env, f->target, f->restart_service, err, len);
}

/* The host comes back when restart says; without it, never. */
static int64_t crash_heal_ms(const struct fault_cfg *f)
{
	return f->restart_ms;
}

/*
 * A service restarts on the host that comes back: without restart there is
 * none. (restart_service on the client is refused by the generic check.)
 */
static bool crash_validate(const struct fault_cfg *f, const char **key, char *msg, size_t len)
{
	if (!f->restart_service || f->target != HOST_SERVER || f->restart_ms >= 0)
		return false;
	*key = "restart_service";
	snprintf(msg, len, "restart_service = yes needs restart = DURATION");
	return true;
}

/* A rebooted host has forgotten the connection: a heartbeat is never answered again. */
static void crash_predict(const struct variant *v, enum host side, const struct fault_cfg *f, int64_t last_rx,
			  struct prediction *p)
{
	if (f->target == side) {
		predict_say(p, OUTCOME_KILLED, MECH_NONE, INT64_MIN, "this side is the one crashed");
		return;
	}
	predict_path_broken(v, side, f, last_rx, f->restart_ms >= 0 ? PATH_RESTARTED : PATH_UNREACHABLE, p);
	predict_heartbeat_first(&v->side[side], f, -1, p);
}

/* A crashed server host is not there to answer: the router's neighbour resolution fails. */
static enum connect_fate crash_connect(const struct variant *v, const struct fault_cfg *f, int64_t connect_ms,
				       struct prediction *p)
{
	return predict_host_gone(v, connect_ms, f->restart_ms, f->restart_service, p);
}

const struct fault_kind fault_crash = {
	.name = "crash", .router_bridge = true, .table_rank = 0, .takes = FAULT_TAKES_RESTART | FAULT_TAKES_RESTART_SERVICE,
	.describe = "the target host loses power; restart brings a fresh host back, restart_service its server",
	.no_duration = "use restart to bring the host back",
	.validate = crash_validate, .apply = crash_apply, .lift = crash_lift,
	.heal_ms = crash_heal_ms, .predict = crash_predict, .connect = crash_connect,
};
