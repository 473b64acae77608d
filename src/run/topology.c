// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "topology.h"

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
const char *topo_router_bridge(enum topo_node n) { return nodes[n].bridge; }

/*
 * No duplicate address detection in run namespaces: while an interface's
 * link-local address is tentative the router cannot send neighbour
 * solicitations, and the handshake's SYNs would wait for it and be counted as
 * retransmissions (which also raise the connection's initial RTO to 3 s).
 */
static const char *const host_sysctls[][2] = {
	{ "net.ipv6.conf.all.accept_dad", "0" },
	{ "net.ipv6.conf.default.accept_dad", "0" },
};

static int host_open(struct topo_host *h, const char *name, char *err, size_t len)
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
	for (size_t i = 0; i < sizeof(host_sysctls) / sizeof(host_sysctls[0]); i++) {
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

int topology_attach(struct topology *t, enum topo_node n, char *err, size_t len)
{
	struct topo_host *h = &t->host[n], *r = &t->host[TOPO_ROUTER];
	struct netns_error ne = { 0 };
	int ret;

	ret = host_open(h, nodes[n].name, err, len);
	if (ret < 0) {
		host_close(h);
		return ret;
	}
	TRY(netns_veth_add(r->rtnl, nodes[n].router_if, nodes[n].port_mac, h->nsfd, TOPO_HOST_IFNAME, nodes[n].mac,
			   &ne),
	    "cannot create veth %s in namespace \"router\" with peer in \"%s\"", nodes[n].router_if, nodes[n].name);
	TRY(netns_link_set_master(r->rtnl, nodes[n].router_if, nodes[n].bridge, &ne),
	    "cannot add %s to bridge %s in namespace \"router\"", nodes[n].router_if, nodes[n].bridge);
	TRY(netns_link_set_up(r->rtnl, nodes[n].router_if, true, &ne),
	    "cannot set %s up in namespace \"router\"", nodes[n].router_if);
	TRY(netns_addr_add(h->rtnl, TOPO_HOST_IFNAME, nodes[n].cidr4, &ne),
	    "cannot add address %s in namespace \"%s\"", nodes[n].cidr4, nodes[n].name);
	TRY(netns_addr_add(h->rtnl, TOPO_HOST_IFNAME, nodes[n].cidr6, &ne),
	    "cannot add address %s in namespace \"%s\"", nodes[n].cidr6, nodes[n].name);
	TRY(netns_link_set_up(h->rtnl, TOPO_HOST_IFNAME, true, &ne),
	    "cannot set %s up in namespace \"%s\"", TOPO_HOST_IFNAME, nodes[n].name);
	TRY(netns_route_add_default(h->rtnl, TOPO_HOST_IFNAME, nodes[n].gw4, &ne),
	    "cannot add default route via %s in namespace \"%s\"", nodes[n].gw4, nodes[n].name);
	TRY(netns_route_add_default(h->rtnl, TOPO_HOST_IFNAME, nodes[n].gw6, &ne),
	    "cannot add default route via %s in namespace \"%s\"", nodes[n].gw6, nodes[n].name);
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
	TRY(netns_addr_add(r->rtnl, nodes[n].bridge, nodes[n].router_cidr4, &ne),
	    "cannot add address %s in namespace \"router\"", nodes[n].router_cidr4);
	TRY(netns_addr_add(r->rtnl, nodes[n].bridge, nodes[n].router_cidr6, &ne),
	    "cannot add address %s in namespace \"router\"", nodes[n].router_cidr6);
	TRY(netns_link_set_up(r->rtnl, nodes[n].bridge, true, &ne),
	    "cannot set %s up in namespace \"router\"", nodes[n].bridge);
	return 0;
}

void topology_detach(struct topology *t, enum topo_node n)
{
	host_close(&t->host[n]);
}

static const char *const forwarding[] = { "net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding" };

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

int topology_create(struct topology *t, char *err, size_t len)
{
	struct topo_host *r = &t->host[TOPO_ROUTER];
	char readback[64];
	int ret;

	for (int i = 0; i < TOPO_COUNT; i++)
		t->host[i] = (struct topo_host){ .nsfd = -1 };
	ret = host_open(r, "router", err, len);
	for (size_t i = 0; !ret && i < sizeof(forwarding) / sizeof(forwarding[0]); i++) {
		ret = netns_sysctl_write(r->nsfd, forwarding[i], "1", readback, sizeof(readback));
		if (ret)
			snprintf(err, len, "cannot set %s in namespace \"router\": %s", forwarding[i], strerror(-ret));
	}
	if (!ret)
		ret = add_subnet(t, TOPO_CLIENT, err, len);
	if (!ret)
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
