// SPDX-License-Identifier: MIT
/* Links, addresses and routes through libnl-route, on sockets bound to a namespace. */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <string.h>
#include <sys/socket.h>

#include "netns.h"

/* libnl folds kernel errors into its own codes; map back the ones that matter. */
static int nl2errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case 0: return 0;
	case NLE_EXIST: return -EEXIST;
	case NLE_NOMEM: return -ENOMEM;
	case NLE_PERM:
	case NLE_NOACCESS: return -EPERM;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_NODEV: return -ENODEV;
	case NLE_INVAL: return -EINVAL;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT: return -EAFNOSUPPORT;
	case NLE_BUSY: return -EBUSY;
	case NLE_NOADDR: return -EADDRNOTAVAIL;
	case NLE_RANGE: return -ERANGE;
	default: return -EIO;
	}
}

static int rtnl_open_here(void *arg)
{
	struct nl_sock **out = arg;
	struct nl_sock *sk = nl_socket_alloc();
	int err;

	if (!sk)
		return -ENOMEM;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err < 0) {
		nl_socket_free(sk);
		return nl2errno(err);
	}
	*out = sk;
	return 0;
}

int netns_rtnl_open(int nsfd, struct nl_sock **out)
{
	*out = NULL;
	return netns_call(nsfd, rtnl_open_here, out);
}

void netns_rtnl_close(struct nl_sock *sk)
{
	if (sk)
		nl_socket_free(sk);
}

static int set_mac(struct rtnl_link *link, const uint8_t mac[6])
{
	struct nl_addr *a = nl_addr_build(AF_LLC, mac, 6);

	if (!a)
		return -ENOMEM;
	rtnl_link_set_addr(link, a);
	nl_addr_put(a);
	return 0;
}

int netns_veth_add(struct nl_sock *sk, const char *name, const uint8_t mac[6],
		   int peer_nsfd, const char *peer_name, const uint8_t peer_mac[6])
{
	struct rtnl_link *link = rtnl_link_veth_alloc();
	struct rtnl_link *peer;
	int err;

	if (!link)
		return -ENOMEM;
	peer = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(link, name);
	rtnl_link_set_name(peer, peer_name);
	rtnl_link_set_ns_fd(peer, peer_nsfd);
	err = set_mac(link, mac);
	if (!err)
		err = set_mac(peer, peer_mac);
	if (!err)
		err = nl2errno(rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL));
	rtnl_link_put(peer);
	rtnl_link_veth_release(link);
	return err;
}

static int link_index(struct nl_sock *sk, const char *name, struct rtnl_link **out)
{
	int err = rtnl_link_get_kernel(sk, 0, name, out);

	return err < 0 ? nl2errno(err) : rtnl_link_get_ifindex(*out);
}

int netns_link_set_up(struct nl_sock *sk, const char *name, bool up)
{
	struct rtnl_link *cur = NULL, *req;
	int err = link_index(sk, name, &cur);

	if (err < 0)
		return err;
	req = rtnl_link_alloc();
	if (!req) {
		rtnl_link_put(cur);
		return -ENOMEM;
	}
	if (up)
		rtnl_link_set_flags(req, IFF_UP);
	else
		rtnl_link_unset_flags(req, IFF_UP);
	err = nl2errno(rtnl_link_change(sk, cur, req, 0));
	rtnl_link_put(req);
	rtnl_link_put(cur);
	return err;
}

int netns_bridge_add(struct nl_sock *sk, const char *name, const uint8_t mac[6])
{
	struct rtnl_link *link = rtnl_link_alloc();
	int err;

	if (!link)
		return -ENOMEM;
	rtnl_link_set_name(link, name);
	err = rtnl_link_set_type(link, "bridge");
	if (!err)
		err = set_mac(link, mac);
	if (!err)
		err = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(link);
	return nl2errno(err);
}

int netns_link_set_master(struct nl_sock *sk, const char *name, const char *master)
{
	struct rtnl_link *l = NULL, *m = NULL;
	int port = link_index(sk, name, &l);
	int bridge = port < 0 ? port : link_index(sk, master, &m);
	int err = bridge < 0 ? bridge : nl2errno(rtnl_link_enslave_ifindex(sk, bridge, port));

	if (l)
		rtnl_link_put(l);
	if (m)
		rtnl_link_put(m);
	return err;
}

int netns_link_delete(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *link = NULL;
	int err = link_index(sk, name, &link);

	if (err < 0)
		return err;
	err = nl2errno(rtnl_link_delete(sk, link));
	rtnl_link_put(link);
	return err;
}

int netns_addr_add(struct nl_sock *sk, const char *ifname, const char *cidr)
{
	struct rtnl_link *link = NULL;
	struct rtnl_addr *addr;
	struct nl_addr *local;
	int ifindex = link_index(sk, ifname, &link);
	int family = strchr(cidr, ':') ? AF_INET6 : AF_INET;
	int err;

	if (ifindex < 0)
		return ifindex;
	rtnl_link_put(link);
	err = nl_addr_parse(cidr, family, &local);
	if (err < 0)
		return nl2errno(err);
	addr = rtnl_addr_alloc();
	if (!addr) {
		nl_addr_put(local);
		return -ENOMEM;
	}
	rtnl_addr_set_ifindex(addr, ifindex);
	rtnl_addr_set_family(addr, family);
	err = rtnl_addr_set_local(addr, local);
	if (!err && family == AF_INET6)
		rtnl_addr_set_flags(addr, IFA_F_NODAD);
	if (!err)
		err = rtnl_addr_add(sk, addr, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_addr_put(addr);
	nl_addr_put(local);
	return nl2errno(err);
}

int netns_route_add_default(struct nl_sock *sk, const char *ifname, const char *gateway)
{
	struct rtnl_link *link = NULL;
	struct rtnl_route *route = NULL;
	struct rtnl_nexthop *nh = NULL;
	struct nl_addr *dst = NULL, *gw = NULL;
	int ifindex = link_index(sk, ifname, &link);
	int family = strchr(gateway, ':') ? AF_INET6 : AF_INET;
	int err;

	if (ifindex < 0)
		return ifindex;
	rtnl_link_put(link);
	err = nl_addr_parse("default", family, &dst);
	if (!err)
		err = nl_addr_parse(gateway, family, &gw);
	if (err < 0)
		goto out;
	route = rtnl_route_alloc();
	nh = rtnl_route_nh_alloc();
	if (!route || !nh) {
		err = -NLE_NOMEM;
		goto out;
	}
	rtnl_route_set_family(route, family);
	rtnl_route_set_table(route, RT_TABLE_MAIN);
	rtnl_route_set_dst(route, dst);
	rtnl_route_nh_set_gateway(nh, gw);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_add_nexthop(route, nh);
	nh = NULL;		/* the route owns it now */
	err = rtnl_route_add(sk, route, NLM_F_CREATE | NLM_F_EXCL);
out:
	if (nh)
		rtnl_route_nh_free(nh);
	if (route)
		rtnl_route_put(route);
	if (dst)
		nl_addr_put(dst);
	if (gw)
		nl_addr_put(gw);
	return nl2errno(err);
}
