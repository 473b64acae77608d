// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "topology.h"

/* A link the kernel has not turned on by then is broken, not slow. */
#define TOPO_LINK_UP_LIMIT_MS 30000

static const struct {
	const char *name;
	const char *v4, *v6;			/* the host's address */
	const char *cidr4, *cidr6;		/* with prefix */
	const char *gw4, *gw6;			/* default gateway (router side) */
	const char *router_if;			/* the router's port towards it (a veth end) */
	const char *bridge;			/* the router's interface on that subnet */
	const char *router_cidr4, *router_cidr6;
	uint8_t mac[6], router_mac[6], port_mac[6];
} nodes[TOPO_COUNT] = {
	[TOPO_CLIENT] = { "client", "198.18.1.2", "2001:db8:1::2", "198.18.1.2/24", "2001:db8:1::2/64",
			  "198.18.1.1", "2001:db8:1::1", "eth-client", "br-client", "198.18.1.1/24", "2001:db8:1::1/64",
			  { 0x02, 0xde, 0xad, 0x00, 0x01, 0x02 }, { 0x02, 0xde, 0xad, 0x00, 0x01, 0x01 },
			  { 0x02, 0xde, 0xad, 0x00, 0x01, 0x10 } },
	[TOPO_SERVER] = { "server", "198.19.1.2", "2001:db8:2::2", "198.19.1.2/24", "2001:db8:2::2/64",
			  "198.19.1.1", "2001:db8:2::1", "eth-server", TOPO_ROUTER_SERVER_BRIDGE, "198.19.1.1/24", "2001:db8:2::1/64",
			  { 0x02, 0xde, 0xad, 0x00, 0x02, 0x02 }, { 0x02, 0xde, 0xad, 0x00, 0x02, 0x01 },
			  { 0x02, 0xde, 0xad, 0x00, 0x02, 0x10 } },
	[TOPO_ROUTER] = { "router", "198.18.1.1", "2001:db8:1::1", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
			  { 0 }, { 0 }, { 0 } },
};

const char *topo_node_name(enum topo_node n) { return nodes[n].name; }
const char *topo_addr(enum topo_node n, bool v6) { return v6 ? nodes[n].v6 : nodes[n].v4; }
const char *topo_router_ifname(enum topo_node n) { return nodes[n].router_if; }
const char *topo_router_link(const struct topology *t, enum topo_node n)
{
	return (t->flags & TOPO_BRIDGED) ? nodes[n].bridge : nodes[n].router_if;
}

/*
 * No duplicate address detection in the namespaces of an IPv6 run: while an
 * interface's link-local address is tentative the router cannot send
 * neighbour solicitations, and the handshake's SYNs would wait for it and be
 * counted as retransmissions (which also raise the connection's initial RTO
 * to 3 s). An IPv4 run needs no neighbour discovery, and skips the writes
 * (the global IPv6 addresses never wait: they are added without DAD).
 */
static const char *const host_sysctls[][2] = {
	{ "net.ipv6.conf.all.accept_dad", "0" },
	{ "net.ipv6.conf.default.accept_dad", "0" },
};

static int host_open(struct topo_host *h, const char *name, bool v6, char *err, size_t len)
{
	struct netns_error ne = { 0 };
	char readback[64];
	int ret;

	h->nsfd = netns_new();
	if (h->nsfd < 0) {
		ret = h->nsfd;
		snprintf(err, len, "cannot create network namespace \"%s\": %s", name, strerror(-ret));
		return ret;
	}
	for (size_t i = 0; v6 && i < sizeof(host_sysctls) / sizeof(host_sysctls[0]); i++) {
		ret = netns_sysctl_write(h->nsfd, host_sysctls[i][0], host_sysctls[i][1], readback, sizeof(readback));
		if (ret) {
			snprintf(err, len, "cannot set %s in namespace \"%s\": %s", host_sysctls[i][0], name, strerror(-ret));
			return ret;
		}
	}
	ret = netns_rtnl_open(h->nsfd, &h->rtnl);
	if (!ret)
		ret = netns_nft_open(h->nsfd, &h->nft);
	if (!ret)
		ret = netns_link_set_up(h->rtnl, "lo", true, &ne);
	if (ret)
		snprintf(err, len, "cannot open netlink in namespace \"%s\": %s", name, netns_strerror(&ne, ret));
	return ret;
}

static void host_close(struct topo_host *h)
{
	netns_nft_close(h->nft);
	netns_rtnl_close(h->rtnl);
	if (h->nsfd >= 0)
		close(h->nsfd);
	*h = (struct topo_host){ .nsfd = -1 };
}

/* @call takes the caller's &ne; on failure the caller's @err says what failed, and why. */
#define TRY(call, ...)							\
	do {								\
		ret = (call);						\
		if (ret < 0) {						\
			snprintf(err, len, __VA_ARGS__);		\
			snprintf(err + strlen(err), len - strlen(err), ": %s", netns_strerror(&ne, ret)); \
			return ret;					\
		}							\
	} while (0)

/*
 * A link of the router up; in an IPv4 run forwarding too, in the same
 * request (IPv6 has only its sysctl, written in topology_create).
 */
static int router_link_up(struct topology *t, const char *ifname, struct netns_error *ne)
{
	struct nl_sock *sk = t->host[TOPO_ROUTER].rtnl;

	return (t->flags & TOPO_IPV6) ? netns_link_set_up(sk, ifname, true, ne)
				       : netns_link_set_up_forwarding(sk, ifname, ne);
}

/* The router's address on @n's subnet, on its interface there. */
static int router_addresses(struct topology *t, enum topo_node n, char *err, size_t len)
{
	struct topo_host *r = &t->host[TOPO_ROUTER];
	const char *ifname = topo_router_link(t, n);
	struct netns_error ne = { 0 };
	int ret;

	const char *cidr = (t->flags & TOPO_IPV6) ? nodes[n].router_cidr6 : nodes[n].router_cidr4;

	TRY(netns_addr_add(r->rtnl, ifname, cidr, &ne), "cannot add address %s in namespace \"router\"", cidr);
	return 0;
}

int topology_attach(struct topology *t, enum topo_node n, char *err, size_t len)
{
	struct topo_host *h = &t->host[n], *r = &t->host[TOPO_ROUTER];
	struct netns_error ne = { 0 };
	int ret;

	ret = host_open(h, nodes[n].name, t->flags & TOPO_IPV6, err, len);
	if (ret < 0) {
		host_close(h);
		return ret;
	}
	/* Without a bridge, the router's end is its interface on the subnet: its MAC, its addresses. */
	TRY(netns_veth_add(r->rtnl, nodes[n].router_if, (t->flags & TOPO_BRIDGED) ? nodes[n].port_mac : nodes[n].router_mac, h->nsfd,
			   TOPO_HOST_IFNAME, nodes[n].mac, &ne),
	    "cannot create veth %s in namespace \"router\" with peer in \"%s\"", nodes[n].router_if, nodes[n].name);
	if (t->flags & TOPO_BRIDGED)
		TRY(netns_link_set_master(r->rtnl, nodes[n].router_if, nodes[n].bridge, &ne),
		    "cannot add %s to bridge %s in namespace \"router\"", nodes[n].router_if, nodes[n].bridge);
	else
		ret = router_addresses(t, n, err, len);
	if (ret < 0)
		return ret;
	TRY(router_link_up(t, nodes[n].router_if, &ne), "cannot set %s up in namespace \"router\"", nodes[n].router_if);
	/* The run's family only: a run is IPv4 or IPv6, and each address costs the kernel's work under rtnl. */
	bool v6 = t->flags & TOPO_IPV6;
	const char *cidr = v6 ? nodes[n].cidr6 : nodes[n].cidr4, *gw = v6 ? nodes[n].gw6 : nodes[n].gw4;
	TRY(netns_addr_add(h->rtnl, TOPO_HOST_IFNAME, cidr, &ne), "cannot add address %s in namespace \"%s\"", cidr,
	    nodes[n].name);
	TRY(netns_link_set_up(h->rtnl, TOPO_HOST_IFNAME, true, &ne),
	    "cannot set %s up in namespace \"%s\"", TOPO_HOST_IFNAME, nodes[n].name);
	TRY(netns_route_add_default(h->rtnl, TOPO_HOST_IFNAME, gw, &ne),
	    "cannot add default route via %s in namespace \"%s\"", gw, nodes[n].name);
	/*
	 * Ready only when every link on the path sends: the kernel turns a
	 * link's queue on apart from the request that set it up, and a busy
	 * machine (other runs' setups hold the rtnl lock it needs) can leave a
	 * link dropping everything for seconds. The host's end, then the
	 * router's, then the bridge, which comes up once its port forwards.
	 */
	TRY(netns_link_wait_up(h->rtnl, TOPO_HOST_IFNAME, TOPO_LINK_UP_LIMIT_MS, &ne),
	    "%s in namespace \"%s\" did not come up", TOPO_HOST_IFNAME, nodes[n].name);
	TRY(netns_link_wait_up(r->rtnl, nodes[n].router_if, TOPO_LINK_UP_LIMIT_MS, &ne),
	    "%s in namespace \"router\" did not come up", nodes[n].router_if);
	if (t->flags & TOPO_BRIDGED) {
		TRY(netns_link_wait_up(r->rtnl, nodes[n].bridge, TOPO_LINK_UP_LIMIT_MS, &ne),
		    "%s in namespace \"router\" did not come up", nodes[n].bridge);
		return 0;
	}
	/*
	 * Neighbours resolvable whatever else runs: the kernel's neighbour
	 * table has one limit for all namespaces (gc_thresh3, 1024 entries by
	 * default), and beyond it a host cannot resolve its gateway, nor the
	 * router the host, and the connect dies unheard. Without a fault that
	 * takes a host off its link (those build a bridged topology and keep
	 * the kernel's resolution, whose timers they measure), nothing in a
	 * run depends on resolving: every host stays where it is, answering ARP
	 * and neighbour solicitations (which no nftables rule of a fault
	 * touches). So the entries are written in, permanent, which that limit
	 * does not count: the host's gateway, and the router's way to the host,
	 * for the run's family.
	 */
	const char *self = v6 ? nodes[n].v6 : nodes[n].v4;
	TRY(netns_neigh_add(h->rtnl, TOPO_HOST_IFNAME, gw, nodes[n].router_mac, &ne),
	    "cannot add the neighbour %s in namespace \"%s\"", gw, nodes[n].name);
	TRY(netns_neigh_add(r->rtnl, nodes[n].router_if, self, nodes[n].mac, &ne),
	    "cannot add the neighbour %s in namespace \"router\"", self);
	return 0;
}

int topology_unplug(struct topology *t, enum topo_node n, char *err, size_t len)
{
	struct netns_error ne = { 0 };
	int ret;

	TRY(netns_link_delete(t->host[TOPO_ROUTER].rtnl, nodes[n].router_if, &ne),
	    "cannot delete %s in namespace \"router\"", nodes[n].router_if);
	return 0;
}

/* The router's interface on a subnet: a bridge, which outlives the hosts plugged into it. */
static int add_subnet(struct topology *t, enum topo_node n, char *err, size_t len)
{
	struct topo_host *r = &t->host[TOPO_ROUTER];
	struct netns_error ne = { 0 };
	int ret;

	TRY(netns_bridge_add(r->rtnl, nodes[n].bridge, nodes[n].router_mac, &ne),
	    "cannot create bridge %s in namespace \"router\"", nodes[n].bridge);
	ret = router_addresses(t, n, err, len);
	if (ret < 0)
		return ret;
	TRY(router_link_up(t, nodes[n].bridge, &ne), "cannot set %s up in namespace \"router\"", nodes[n].bridge);
	return 0;
}

void topology_detach(struct topology *t, enum topo_node n)
{
	host_close(&t->host[n]);
}

static const char ipv6_forwarding[] = "net.ipv6.conf.all.forwarding";
static const char *const forwarding[] = { "net.ipv4.ip_forward", ipv6_forwarding };

int topology_check_sysctls(int nsfd, char *err, size_t len)
{
	char readback[64];
	int ret;

	for (size_t i = 0; i < sizeof(host_sysctls) / sizeof(host_sysctls[0]); i++) {
		ret = netns_sysctl_write(nsfd, host_sysctls[i][0], host_sysctls[i][1], readback, sizeof(readback));
		if (ret) {
			snprintf(err, len, "cannot set %s in a network namespace: %s", host_sysctls[i][0], strerror(-ret));
			return ret;
		}
	}
	for (size_t i = 0; i < sizeof(forwarding) / sizeof(forwarding[0]); i++) {
		ret = netns_sysctl_write(nsfd, forwarding[i], "1", readback, sizeof(readback));
		if (ret) {
			snprintf(err, len, "cannot set %s in a network namespace: %s", forwarding[i], strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int topology_create(struct topology *t, unsigned flags, char *err, size_t len)
{
	struct topo_host *r = &t->host[TOPO_ROUTER];
	char readback[64];
	int ret;

	for (int i = 0; i < TOPO_COUNT; i++)
		t->host[i] = (struct topo_host){ .nsfd = -1 };
	t->flags = flags;
	ret = host_open(r, "router", flags & TOPO_IPV6, err, len);
	/* The router forwards the run's family: IPv4 per link (router_link_up), IPv6 by its sysctl. */
	if (!ret && (flags & TOPO_IPV6) &&
	    (ret = netns_sysctl_write(r->nsfd, ipv6_forwarding, "1", readback, sizeof(readback))))
		snprintf(err, len, "cannot set %s in namespace \"router\": %s", ipv6_forwarding, strerror(-ret));
	if (!ret && (flags & TOPO_BRIDGED))
		ret = add_subnet(t, TOPO_CLIENT, err, len);
	if (!ret && (flags & TOPO_BRIDGED))
		ret = add_subnet(t, TOPO_SERVER, err, len);
	if (!ret)
		ret = topology_attach(t, TOPO_CLIENT, err, len);
	if (!ret)
		ret = topology_attach(t, TOPO_SERVER, err, len);
	if (ret)
		topology_destroy(t);
	return ret;
}

void topology_destroy(struct topology *t)
{
	for (int i = 0; i < TOPO_COUNT; i++)
		host_close(&t->host[i]);
}
