// SPDX-License-Identifier: MIT
/*
 * The preflight: before anything is created for the user, check that this
 * process can run the selected variants at all, in one throwaway namespace.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "preflight.h"
#include "topology.h"

/*
 * Every sysctl the runs will write, written with the runs' own values in a
 * fresh namespace and read back: a name the kernel lacks, a value it refuses
 * or changes, and a file that cannot be read back are found before anything
 * runs.
 */
static int check_sysctls(int nsfd, const struct variant *const *vs, size_t n, char *msg, size_t len)
{
	for (size_t i = 0; i < n; i++) {
		const struct variant *v = vs[i];
		if (i && v->scenario == vs[i - 1]->scenario && v->index == vs[i - 1]->index)
			continue;	/* a repeat of the variant just checked */
		const struct { const struct sysctl_setting *ss; size_t n; const char *name; } hosts[] = {
			{ v->side[HOST_CLIENT].sysctls, v->side[HOST_CLIENT].n_sysctls, "client" },
			{ v->side[HOST_SERVER].sysctls, v->side[HOST_SERVER].n_sysctls, "server" },
			{ v->router.sysctls, v->router.n_sysctls, "router" },
		};
		for (size_t h = 0; h < ARRAY_SIZE(hosts); h++)
			for (size_t k = 0; k < hosts[h].n; k++) {
				const struct sysctl_setting *ss = &hosts[h].ss[k];
				const char *path = scenario_path(v->scenario);
				char readback[256];
				int ret = netns_sysctl_write(nsfd, ss->key, ss->value, readback, sizeof(readback));
				if (ret == 0)
					continue;
				if (ret == -ENOENT)
					snprintf(msg, len, "%s:%d: sysctl %s does not exist in a network namespace of this kernel "
						 "(as seen from a fresh %s namespace); nothing was run",
						 path, ss->line, ss->key, hosts[h].name);
				else if (ret == -EIO)
					snprintf(msg, len, "%s:%d: sysctl %s: the kernel took '%s' as '%s' in a network namespace; "
						 "give the value it keeps; nothing was run", path, ss->line, ss->key, ss->value,
						 readback);
				else if (ret == -EACCES && netns_sysctl_writable(nsfd, ss->key) == 0)
					snprintf(msg, len, "%s:%d: sysctl %s can be written but not read back, and deadpeer checks "
						 "every value it sets; nothing was run", path, ss->line, ss->key);
				else
					snprintf(msg, len, "%s:%d: sysctl %s cannot be written in a network namespace of this kernel: "
						 "%s (value '%s'%s); nothing was run", path, ss->line, ss->key, strerror(-ret),
						 ss->value, ret == -EPERM ? ", not allowed outside the initial namespace" : "");
				return -1;
			}
	}
	return 0;
}

/* This process's effective capability set (/proc/self/status, CapEff); all bits if unknown. */
static unsigned long long effective_capabilities(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long eff = ~0ULL;	/* cannot tell: let the kernel say */

	if (!f)
		return eff;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return eff;
}

/*
 * One throwaway namespace stands for the three of a run: a veth pair inside
 * it, an nftables reject rule, the middlebox's connection tracking if a run
 * has one, and every sysctl the runs set. Namespaces are torn down by the
 * kernel in the background, so one instead of three keeps that work off the
 * first runs' setup.
 */
static int preflight_in(int nsfd, const struct variant *const *vs, size_t n_vs, char *msg, size_t len)
{
	static const uint8_t mac_a[6] = { 0x02, 0xde, 0xad, 0x00, 0xff, 0x01 }, mac_b[6] = { 0x02, 0xde, 0xad, 0x00, 0xff, 0x02 };
	struct nl_sock *rtnl = NULL;
	struct mnl_socket *nft = NULL;
	struct nft_filter f = {
		.table = "deadpeer_preflight",
		.rules = { { NFT_HOOK_INPUT, false, 1, true } },
		.n_rules = 1,
	};
	struct capture *cap = NULL;
	struct netns_error ne = { 0 };
	char buf[8192];
	bool middlebox = false, reset = false;
	int ret;

	if ((ret = netns_rtnl_open(nsfd, &rtnl)) < 0 || (ret = netns_nft_open(nsfd, &nft)) < 0) {
		snprintf(msg, len, "this machine cannot run scenarios: cannot open netlink in a new namespace: %s", strerror(-ret));
		goto out;
	}
	if ((ret = netns_veth_add(rtnl, "probe0", mac_a, nsfd, "probe1", mac_b, &ne)) < 0) {
		snprintf(msg, len, "this machine cannot run scenarios: cannot create a veth pair (is the veth module available?): %s",
			 netns_strerror(&ne, ret));
		goto out;
	}
	ret = nft_filter_build(&f, buf, sizeof(buf));
	if (ret > 0)
		ret = netns_nft_send(nft, buf, (size_t)ret, &ne);
	if (ret) {
		snprintf(msg, len, "this machine cannot run scenarios: the kernel refused an nftables reject rule: %s",
			 netns_strerror(&ne, ret));
		goto out;
	}
	/* A middlebox needs connection tracking, whose sysctls appear with it. */
	for (size_t i = 0; i < n_vs; i++) {
		middlebox = middlebox || vs[i]->router.idle_timeout_ms >= 0;
		reset = reset || (vs[i]->router.idle_timeout_ms >= 0 && vs[i]->router.idle_action == IDLE_RESET);
	}
	if (middlebox) {
		ret = nft_middlebox_build("deadpeer_middlebox", reset, buf, sizeof(buf));
		if (ret > 0)
			ret = netns_nft_send(nft, buf, (size_t)ret, &ne);
		if (ret) {
			snprintf(msg, len, "this machine cannot run scenarios with [router] idle_timeout: the kernel refused "
				 "the middlebox's connection tracking rules: %s", netns_strerror(&ne, ret));
			goto out;
		}
	}
	/* Captures need packet sockets: CAP_NET_RAW, and a kernel with AF_PACKET. */
	ret = netns_link_set_up(rtnl, "probe0", true, &ne);
	if (ret)
		snprintf(buf, sizeof(buf), "cannot set probe0 up: %s", netns_strerror(&ne, ret));
	else if ((ret = capture_open(nsfd, "probe0", "tcp port 7000", &cap, &ne)) < 0)
		snprintf(buf, sizeof(buf), "cannot capture on probe0: %s", netns_strerror(&ne, ret));
	if (ret) {
		snprintf(msg, len, "this machine cannot run scenarios: cannot capture packets in a network namespace: %s",
			 buf);
		goto out;
	}
	ret = topology_check_sysctls(nsfd, buf, sizeof(buf));
	if (ret) {
		snprintf(msg, len, "this machine cannot run scenarios: %s", buf);
		goto out;
	}
	ret = check_sysctls(nsfd, vs, n_vs, msg, len);
out:
	capture_close(cap);
	netns_nft_close(nft);
	netns_rtnl_close(rtnl);
	return ret ? -1 : 0;
}

int run_preflight(const struct variant *const *vs, size_t n_vs, int *keep, char *msg, size_t len)
{
	*keep = -1;
	if (geteuid() != 0) {
		snprintf(msg, len, "deadpeer run needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to create network namespaces; try: sudo deadpeer run");
		return -1;
	}
	/* 12: CAP_NET_ADMIN, 21: CAP_SYS_ADMIN, 13: CAP_NET_RAW (linux/capability.h) */
	unsigned long long caps = effective_capabilities();
	bool net_admin = caps & (1ULL << 12), sys_admin = caps & (1ULL << 21), net_raw = caps & (1ULL << 13);
	if (!net_admin || !sys_admin) {
		snprintf(msg, len, "deadpeer run needs CAP_NET_ADMIN and CAP_SYS_ADMIN to create network namespaces; "
			 "this process runs as root without %s",
			 !net_admin && !sys_admin ? "either" : !net_admin ? "CAP_NET_ADMIN" : "CAP_SYS_ADMIN");
		return -1;
	}
	if (!net_raw) {
		snprintf(msg, len, "deadpeer run needs CAP_NET_RAW to capture each host's packets; "
			 "this process runs as root without it");
		return -1;
	}
	int nsfd = netns_new();
	if (nsfd == -EPERM) {
		snprintf(msg, len, "this machine cannot run scenarios: not permitted to enter a new network namespace and "
			 "come back to this one (inside a user namespace? deadpeer needs root in the initial one)");
		return -1;
	}
	if (nsfd < 0) {
		snprintf(msg, len, "this machine cannot run scenarios: cannot create a network namespace: %s", strerror(-nsfd));
		return -1;
	}
	int ret = preflight_in(nsfd, vs, n_vs, msg, len);
	if (ret)
		close(nsfd);
	else
		*keep = nsfd;
	return ret;
}
