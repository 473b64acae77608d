// SPDX-License-Identifier: MIT
/*
 * Each action is a pair of operations. drop/reject install an nftables table
 * in the target's namespace (hosts: input/output hooks, router: forward
 * hook) and lifting deletes it; kill and freeze signal the target's endpoint;
 * link-down takes the router's end of the target's cable down; crash pulls
 * the target's cable out for good, kills its processes and releases its
 * namespace, and a restart builds a fresh host in its place.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "fault.h"

struct fault_ops {
	int (*apply)(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len);
	int (*lift)(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len);
};

static int64_t fault_clock(const struct fault_env *env)
{
	return env->clock ? env->clock() : mono_ns();
}

void fault_filter(const struct fault_cfg *f, size_t index, uint16_t port, struct nft_filter *out,
		  char *table, size_t len)
{
	/* Hook and port field for packets towards the server and towards the client. */
	static const struct { enum nft_hook hook; bool sport; } to_server[HOST_COUNT] = {
		[HOST_CLIENT] = { NFT_HOOK_OUTPUT, false },
		[HOST_SERVER] = { NFT_HOOK_INPUT, false },
		[HOST_ROUTER] = { NFT_HOOK_FORWARD, false },
	}, to_client[HOST_COUNT] = {
		[HOST_CLIENT] = { NFT_HOOK_INPUT, true },
		[HOST_SERVER] = { NFT_HOOK_OUTPUT, true },
		[HOST_ROUTER] = { NFT_HOOK_FORWARD, true },
	};
	bool reject = f->action == ACTION_REJECT;

	snprintf(table, len, "deadpeer_fault%zu", index);
	*out = (struct nft_filter){ .table = table };
	if (f->direction != DIR_TO_CLIENT)
		out->rules[out->n_rules++] = (struct nft_filter_rule){
			to_server[f->target].hook, to_server[f->target].sport, port, reject };
	if (f->direction != DIR_TO_SERVER)
		out->rules[out->n_rules++] = (struct nft_filter_rule){
			to_client[f->target].hook, to_client[f->target].sport, port, reject };
}

static int host_down(struct fault_env *env, const struct fault_cfg *f, char *err, size_t len)
{
	if (env->topo->host[f->target].nsfd >= 0)
		return 0;
	snprintf(err, len, "cannot apply %s to the %s: it has crashed and not restarted", action_name(f->action),
		 host_name(f->target));
	return -EHOSTDOWN;
}

static int filter_apply(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len)
{
	char table[32], buf[8192];
	struct nft_filter filter;
	struct netns_error ne = { 0 };
	int ret = host_down(env, f, err, len);

	if (ret)
		return ret;
	fault_filter(f, index, env->port, &filter, table, sizeof(table));
	ret = nft_filter_build(&filter, buf, sizeof(buf));
	if (ret > 0)
		ret = netns_nft_send(env->topo->host[f->target].nft, buf, (size_t)ret, &ne);
	if (ret)
		snprintf(err, len, "cannot add nftables table %s in namespace \"%s\": %s", table,
			 host_name(f->target), netns_strerror(&ne, ret));
	return ret;
}

static int filter_lift(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len)
{
	char table[32], buf[2048];
	struct nft_filter filter;
	struct netns_error ne = { 0 };
	int ret;

	if (env->topo->host[f->target].nsfd < 0)
		return 0;	/* the host crashed meanwhile: its rules went with it */
	fault_filter(f, index, env->port, &filter, table, sizeof(table));
	ret = nft_table_delete_build(table, buf, sizeof(buf));
	if (ret > 0)
		ret = netns_nft_send(env->topo->host[f->target].nft, buf, (size_t)ret, &ne);
	if (ret)
		snprintf(err, len, "cannot delete nftables table %s in namespace \"%s\": %s", table,
			 host_name(f->target), netns_strerror(&ne, ret));
	return ret;
}

static int signal_target(struct fault_env *env, const struct fault_cfg *f, int sig, char *err, size_t len)
{
	pid_t pid = env->pid[f->target];

	if (pid <= 0 || env->killed[f->target])
		return 0;	/* already gone: nothing left to signal */
	if (kill(pid, sig) < 0) {
		int ret = -errno;
		snprintf(err, len, "cannot send %s to the %s (pid %d): %s", sigabbrev_np(sig),
			 host_name(f->target), (int)pid, strerror(errno));
		return ret;
	}
	return 0;
}

static int kill_apply(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len)
{
	int ret = signal_target(env, f, SIGKILL, err, len);

	if (!ret)
		env->killed[f->target] = true;
	return ret;
}

static int freeze_apply(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len)
{
	int ret = signal_target(env, f, SIGSTOP, err, len);

	if (!ret)
		env->frozen[f->target] = true;
	return ret;
}

static int freeze_lift(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len)
{
	int ret = signal_target(env, f, SIGCONT, err, len);

	if (!ret)
		env->frozen[f->target] = false;
	return ret;
}

static int link_set(struct fault_env *env, const struct fault_cfg *f, bool up, char *err, size_t len)
{
	enum topo_node n = f->target == HOST_CLIENT ? TOPO_CLIENT : TOPO_SERVER;
	const char *ifname = topo_router_ifname(n);
	struct netns_error ne = { 0 };
	int ret = netns_link_set_up(env->topo->host[TOPO_ROUTER].rtnl, ifname, up, &ne);

	if (ret)
		snprintf(err, len, "cannot set %s %s in namespace \"router\": %s", ifname, up ? "up" : "down",
			 netns_strerror(&ne, ret));
	return ret;
}

static int link_down_apply(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len)
{
	return link_set(env, f, false, err, len);
}

static int link_down_lift(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len)
{
	return link_set(env, f, true, err, len);
}

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
	int ret = host_down(env, f, err, len);

	if (!ret)
		ret = link_set(env, f, false, err, len);
	if (ret)
		return ret;
	env->effective_ns = fault_clock(env);
	ret = signal_target(env, f, SIGKILL, err, len);
	if (f->target == HOST_SERVER && env->service_pid > 0)
		kill(env->service_pid, SIGKILL);	/* reaped when the run ends */
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

static const struct fault_ops fault_ops[ACTION_COUNT] = {
	[ACTION_DROP] = { filter_apply, filter_lift },
	[ACTION_REJECT] = { filter_apply, filter_lift },
	[ACTION_LINK_DOWN] = { link_down_apply, link_down_lift },
	[ACTION_KILL] = { kill_apply, NULL },
	[ACTION_CRASH] = { crash_apply, crash_lift },
	[ACTION_FREEZE] = { freeze_apply, freeze_lift },
};

int fault_apply(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len)
{
	env->effective_ns = 0;
	env->start_ns = fault_clock(env);
	int ret = fault_ops[f->action].apply(env, f, index, err, len);
	if (!env->effective_ns)
		env->effective_ns = fault_clock(env);
	return ret;
}

int64_t fault_heal_ms(const struct fault_cfg *f)
{
	if (!fault_ops[f->action].lift)
		return -1;
	if (f->action == ACTION_CRASH)
		return f->restart_ms;
	return f->duration_ms > 0 ? f->duration_ms : -1;
}

int fault_lift(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len)
{
	return fault_ops[f->action].lift(env, f, index, err, len);
}
