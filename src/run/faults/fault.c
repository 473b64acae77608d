// SPDX-License-Identifier: MIT
/*
 * What every kind of fault goes through: fault_apply reads the instants
 * around the kind's apply, fault_lift and fault_heal_ms ask the kind. And the
 * mechanism several kinds share: finding a crashed target, signalling an
 * endpoint, taking a cable down. The kinds themselves are in their own files
 * (drop.c, ...), listed in registry.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "fault_priv.h"

/* A cable plugged back whose links the kernel has not turned on by then is broken, not slow. */
#define FAULT_LINK_UP_LIMIT_MS 30000

int64_t fault_clock(const struct fault_env *env)
{
	return env->clock ? env->clock() : mono_ns();
}

int fault_host_down(struct fault_env *env, const struct fault_cfg *f, char *err, size_t len)
{
	if (env->topo->host[f->target].nsfd >= 0)
		return 0;
	snprintf(err, len, "cannot apply %s to the %s: it has crashed and not restarted", f->kind->name,
		 host_name(f->target));
	return -EHOSTDOWN;
}

int fault_signal(struct fault_env *env, const struct fault_cfg *f, int sig, char *err, size_t len)
{
	struct endpoint *ep = env->ep[f->target];
	int ret;

	if (ep->pid <= 0 || env->killed[f->target])
		return 0;	/* already gone: nothing left to signal */
	ret = ep->ops->signal(ep, sig);
	if (ret < 0)
		snprintf(err, len, "cannot send %s to the %s (pid %d): %s", sigabbrev_np(sig),
			 host_name(f->target), (int)ep->pid, strerror(-ret));
	return ret;
}

int fault_signal_mark(struct fault_env *env, const struct fault_cfg *f, int sig, bool *state, bool value, char *err,
		      size_t len)
{
	int ret = fault_signal(env, f, sig, err, len);

	if (!ret)
		*state = value;
	return ret;
}

int fault_link_set(struct fault_env *env, const struct fault_cfg *f, bool up, char *err, size_t len)
{
	enum topo_node n = f->target == HOST_CLIENT ? TOPO_CLIENT : TOPO_SERVER;
	const char *ifname = topo_router_ifname(n);
	struct netns_error ne = { 0 };
	int ret = netns_link_set_up(env->topo->host[TOPO_ROUTER].rtnl, ifname, up, &ne);

	/*
	 * The cable is out: make the router's bridge, left without a port with
	 * carrier, forget its neighbours now rather than up to a second later,
	 * whenever the kernel's link watcher gets to it. A SYN that arrived in
	 * between would otherwise be lost without an answer and the router's
	 * "host unreachable" come a second later (3 s or 4 s after a connect,
	 * by chance). As a router whose entry for the host has expired.
	 */
	if (!ret && !up)
		ret = netns_link_sync(env->topo->host[TOPO_ROUTER].rtnl, topo_router_link(env->topo, n), &ne);
	/*
	 * Plugged back: the cable works once the host's end, which regained
	 * carrier, and the bridge have their queues on again (also linkwatch's).
	 */
	if (!ret && up)
		ret = netns_link_wait_up(env->topo->host[n].rtnl, TOPO_HOST_IFNAME, FAULT_LINK_UP_LIMIT_MS, &ne);
	if (!ret && up)
		ret = netns_link_wait_up(env->topo->host[TOPO_ROUTER].rtnl, topo_router_link(env->topo, n), FAULT_LINK_UP_LIMIT_MS,
					 &ne);
	if (ret)
		snprintf(err, len, "cannot set %s %s in namespace \"router\": %s", ifname, up ? "up" : "down",
			 netns_strerror(&ne, ret));
	return ret;
}

int64_t fault_heal_after_duration(const struct fault_cfg *f)
{
	return f->duration_ms > 0 ? f->duration_ms : -1;
}

int fault_apply(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len)
{
	env->effective_ns = 0;
	env->start_ns = fault_clock(env);
	int ret = f->kind->apply(env, f, index, err, len);
	if (!env->effective_ns)
		env->effective_ns = fault_clock(env);
	return ret;
}

int64_t fault_heal_ms(const struct fault_cfg *f)
{
	return f->kind->lift ? f->kind->heal_ms(f) : -1;
}

void fault_settle(struct fault_env *env, const struct fault_cfg *f, size_t index)
{
	if (f->kind->count)
		f->kind->count(env, f, index);
}

int fault_lift(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len)
{
	fault_settle(env, f, index);
	return f->kind->lift(env, f, index, err, len);
}
