/* SPDX-License-Identifier: MIT */
/*
 * The three-host line every run uses (README.md, "How a run works"):
 *
 *   client eth0 --- eth-client [br-client  router  br-server] eth-server --- eth0 server
 *   198.18.1.2/24              198.18.1.1          198.19.1.1                198.19.1.2/24
 *   2001:db8:1::2/64           2001:db8:1::1       2001:db8:2::1             2001:db8:2::2/64
 *
 * Each host is an unnamed namespace held by a descriptor, cabled to the
 * router by a veth pair. In a bridged topology (a run whose faults pull or
 * replace a host's cable, or narrow the router's link) the router end is a
 * port of that subnet's bridge, and the router's addresses live on the
 * bridges, so they stay when a host's cable is unplugged, as a switch port
 * stays when the machine behind it dies; a host can then be unplugged and
 * detached (its namespace released) and attached again with the same
 * addresses and MAC, as after a reboot. Otherwise the router's addresses
 * and MAC are on its veth end itself: the same hosts, addresses and MACs on
 * the wire, without the bridges, whose destruction costs the kernel an RCU
 * barrier each under its global rtnl lock (which hundreds of runs at once
 * feel as seconds of stalled setups).
 */
#ifndef DEADPEER_TOPOLOGY_H
#define DEADPEER_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>

#include "netns.h"

enum topo_node { TOPO_CLIENT, TOPO_SERVER, TOPO_ROUTER, TOPO_COUNT };

struct topo_host {
	int nsfd;			/* -1 when detached */
	struct nl_sock *rtnl;		/* route netlink inside the host */
	struct mnl_socket *nft;		/* nfnetlink inside the host */
};

struct topology {
	struct topo_host host[TOPO_COUNT];
	unsigned flags;			/* TOPO_* */
};

enum {
	TOPO_BRIDGED = 1 << 0,		/* the router's side of each subnet is a bridge */
	TOPO_IPV6 = 1 << 1,		/* the run speaks IPv6: no duplicate address detection anywhere */
};

const char *topo_node_name(enum topo_node n);
/* The host's own address ("198.18.1.2"); @v6 picks the IPv6 one. Router: client side. */
const char *topo_addr(enum topo_node n, bool v6);
/* The router's port (veth end) that faces @n (client or server): "eth-client". */
const char *topo_router_ifname(enum topo_node n);
/*
 * The router's interface on @n's subnet, the one with its address: the
 * bridge its port belongs to ("br-client") in a bridged topology, else the
 * port itself.
 */
const char *topo_router_link(const struct topology *t, enum topo_node n);
/* The host interface of client and server. */
#define TOPO_HOST_IFNAME "eth0"
#define TOPO_ROUTER_SERVER_BRIDGE "br-server"	/* the router's side of the server's subnet */

/* Build all three hosts as @flags (TOPO_*) say. On failure everything is released and @err says why. */
int topology_create(struct topology *t, unsigned flags, char *err, size_t len);
/*
 * Set, in @nsfd, every sysctl topology_create sets in a run's namespaces
 * (a machine whose /proc/sys is read-only fails here): 0 or -errno with @err.
 */
int topology_check_sysctls(int nsfd, char *err, size_t len);
void topology_destroy(struct topology *t);

/* Create (again) the client or server host and its link to the router. */
int topology_attach(struct topology *t, enum topo_node n, char *err, size_t len);
/* Pull the host's cable out: delete its veth pair. Nothing enters or leaves it after. */
int topology_unplug(struct topology *t, enum topo_node n, char *err, size_t len);
/* Release the client or server host's namespace and netlink sockets. */
void topology_detach(struct topology *t, enum topo_node n);

#endif
