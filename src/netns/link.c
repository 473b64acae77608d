// SPDX-License-Identifier: MIT
/*
 * Links, addresses and routes through libnl-route, on sockets bound to a
 * namespace. Every request waits for the kernel's answer (libnl's
 * nl_wait_for_ack, or its pickup of a GET's reply), and libnl takes an answer
 * only if its sequence number is the next one it expects: a stray or stale
 * one fails the request with -EPROTO instead of being taken for ours.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <linux/ip.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#include "nlerr.h"

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
	case NLE_SEQ_MISMATCH: return -EPROTO;
	default: return -EIO;
	}
}

/*
 * One public call's requests. libnl reports the kernel's errors through the
 * socket's error callback, which keeps the exact errno (libnl's codes are
 * coarser) and the extended ACK message for the call.
 */
struct nl_call {
	struct nl_sock *sk;
	struct netns_error *e;
	int kernel_err;		/* the kernel's errno, negative; 0 if it reported none */
};

static int on_kernel_error(struct sockaddr_nl *nla, struct nlmsgerr *err, void *arg)
{
	struct nl_call *c = arg;

	/* libnl hands us the payload of the NLMSG_ERROR message: its header is just before. */
	netns_error_from_ack(c->e, (const struct nlmsghdr *)((const char *)err - NLMSG_HDRLEN));
	c->kernel_err = err->error < 0 ? err->error : -err->error;
	return NL_STOP;		/* fail the request, as libnl does without a callback */
}

static void call_begin(struct nl_call *c, struct nl_sock *sk, struct netns_error *e)
{
	*c = (struct nl_call){ .sk = sk, .e = e };
	netns_error_clear(e);
	nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, on_kernel_error, c);
}

/* Unhook @c (it lives on the caller's stack) and pass on @err. */
static int call_end(struct nl_call *c, int err)
{
	nl_socket_modify_err_cb(c->sk, NL_CB_DEFAULT, NULL, NULL);
	return err;
}

/* A libnl result as 0 or -errno: the kernel's own errno when the failure was its answer. */
static int nl_result(struct nl_call *c, int nlerr)
{
	if (nlerr >= 0)
		return 0;
	return c->kernel_err ? c->kernel_err : nl2errno(nlerr);
}

/*
 * Only the kernel answers requests, to this socket's port: anything else
 * (another process's message sent to our port) is skipped before libnl
 * looks at its sequence number.
 */
static int from_kernel(struct nl_msg *msg, void *arg)
{
	struct nl_sock *sk = arg;
	const struct sockaddr_nl *src = nlmsg_get_src(msg);
	const struct nlmsghdr *nlh = nlmsg_hdr(msg);

	if (src->nl_pid != 0 || (nlh->nlmsg_pid && nlh->nlmsg_pid != nl_socket_get_local_port(sk)))
		return NL_SKIP;
	return NL_OK;
}

static int rtnl_open_here(void *arg)
{
	struct nl_sock **out = arg;
	struct nl_sock *sk = nl_socket_alloc();
	int err, on = 1;

	if (!sk)
		return -ENOMEM;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err < 0) {
		nl_socket_free(sk);
		return nl2errno(err);
	}
	/* Kernels before 4.12 have no extended ACKs: their errors come without a message. */
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof(on));
	nl_socket_modify_cb(sk, NL_CB_MSG_IN, NL_CB_CUSTOM, from_kernel, sk);
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
		   int peer_nsfd, const char *peer_name, const uint8_t peer_mac[6], struct netns_error *e)
{
	struct rtnl_link *link, *peer;
	struct nl_call c;
	int err;

	call_begin(&c, sk, e);
	link = rtnl_link_veth_alloc();
	if (!link)
		return call_end(&c, -ENOMEM);
	peer = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(link, name);
	rtnl_link_set_name(peer, peer_name);
	rtnl_link_set_ns_fd(peer, peer_nsfd);
	err = set_mac(link, mac);
	if (!err)
		err = set_mac(peer, peer_mac);
	if (!err)
		err = nl_result(&c, rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL));
	rtnl_link_put(peer);
	rtnl_link_veth_release(link);
	return call_end(&c, err);
}

/*
 * The link called @name, in *@out (to put), and its index; or -errno. libnl
 * reads a lookup's answer with an error callback of its own, so a failed
 * lookup comes back through nl2errno, without a message.
 */
static int link_index(struct nl_call *c, const char *name, struct rtnl_link **out)
{
	int err = nl_result(c, rtnl_link_get_kernel(c->sk, 0, name, out));

	return err < 0 ? err : rtnl_link_get_ifindex(*out);
}

/*
 * The index of the link called @name in @sk's namespace, or -errno: asked
 * with an ioctl on the netlink socket itself, which takes no lock and has
 * the kernel describe nothing (a lookup over netlink builds the link's
 * whole description, some 2 KB, for an index).
 */
static int link_ifindex(struct nl_sock *sk, const char *name)
{
	struct ifreq ifr = { 0 };

	if (strlen(name) >= sizeof(ifr.ifr_name))
		return -ENODEV;
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(nl_socket_get_fd(sk), SIOCGIFINDEX, &ifr) < 0)
		return -errno;
	return ifr.ifr_ifindex;
}

/* Begin a call on @sk about interface @ifname: its index, or -errno (the call then ended). */
static int call_begin_on(struct nl_call *c, struct nl_sock *sk, struct netns_error *e, const char *ifname)
{
	int ifindex;

	call_begin(c, sk, e);
	ifindex = link_ifindex(sk, ifname);
	return ifindex < 0 ? call_end(c, ifindex) : ifindex;
}

/* A link known by its index alone, for a request about it; NULL without memory. */
static struct rtnl_link *link_by_index(int ifindex)
{
	struct rtnl_link *link = rtnl_link_alloc();

	if (link)
		rtnl_link_set_ifindex(link, ifindex);
	return link;
}

/*
 * Set link @name up (@up 1) or down (0) or leave it (-1), its MTU unless @mtu
 * is 0, and with @forward its IPv4 forwarding on.
 */
static int link_change(struct nl_sock *sk, const char *name, int up, unsigned mtu, bool forward, struct netns_error *e)
{
	struct rtnl_link *cur = NULL, *req;
	struct nl_call c;
	int err;

	err = call_begin_on(&c, sk, e, name);
	if (err < 0)
		return err;
	cur = link_by_index(err);
	req = rtnl_link_alloc();
	if (!cur || !req) {
		if (cur)
			rtnl_link_put(cur);
		if (req)
			rtnl_link_put(req);
		return call_end(&c, -ENOMEM);
	}
	if (up > 0)
		rtnl_link_set_flags(req, IFF_UP);
	else if (up == 0)
		rtnl_link_unset_flags(req, IFF_UP);
	if (mtu)
		rtnl_link_set_mtu(req, mtu);
	err = forward ? nl2errno(rtnl_link_inet_set_conf(req, IPV4_DEVCONF_FORWARDING, 1)) : 0;
	if (!err)
		err = nl_result(&c, rtnl_link_change(sk, cur, req, 0));
	rtnl_link_put(req);
	rtnl_link_put(cur);
	return call_end(&c, err);
}

int netns_link_set_up(struct nl_sock *sk, const char *name, bool up, struct netns_error *e)
{
	return link_change(sk, name, up, 0, false, e);
}

int netns_link_set_up_forwarding(struct nl_sock *sk, const char *name, struct netns_error *e)
{
	return link_change(sk, name, 1, 0, true, e);
}

int netns_link_set_mtu(struct nl_sock *sk, const char *name, unsigned mtu, struct netns_error *e)
{
	return link_change(sk, name, -1, mtu, false, e);
}

int netns_link_sync(struct nl_sock *sk, const char *name, struct netns_error *e)
{
	struct rtnl_link *link = NULL;
	struct nl_call c;

	/* A lookup over netlink (not link_ifindex): the kernel applies the link's pending change first. */
	call_begin(&c, sk, e);
	int err = link_index(&c, name, &link);
	if (link)
		rtnl_link_put(link);
	return call_end(&c, err < 0 ? err : 0);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int netns_link_wait_up(struct nl_sock *sk, const char *name, int limit_ms, struct netns_error *e)
{
	int64_t end = now_ms() + limit_ms;
	struct rtnl_link *link = NULL;
	struct nl_call c;
	int err;

	call_begin(&c, sk, e);
	for (;;) {
		/* Each lookup makes the kernel apply the link's pending change now (linkwatch_sync_dev). */
		err = link_index(&c, name, &link);
		if (err < 0)
			return call_end(&c, err);
		bool running = rtnl_link_get_flags(link) & IFF_RUNNING;	/* operationally up */
		rtnl_link_put(link);
		link = NULL;
		if (running)
			return call_end(&c, 0);
		if (now_ms() >= end)
			return call_end(&c, -ETIMEDOUT);
		/* A change still to come (a bridge waits for its port): look again shortly. */
		poll(NULL, 0, 1);
	}
}

int netns_bridge_add(struct nl_sock *sk, const char *name, const uint8_t mac[6], struct netns_error *e)
{
	struct rtnl_link *link;
	struct nl_call c;
	int err;

	call_begin(&c, sk, e);
	link = rtnl_link_alloc();
	if (!link)
		return call_end(&c, -ENOMEM);
	rtnl_link_set_name(link, name);
	err = nl2errno(rtnl_link_set_type(link, "bridge"));
	if (!err)
		err = set_mac(link, mac);
	if (!err)
		err = nl_result(&c, rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL));
	rtnl_link_put(link);
	return call_end(&c, err);
}

int netns_link_set_master(struct nl_sock *sk, const char *name, const char *master, struct netns_error *e)
{
	struct nl_call c;
	int port = call_begin_on(&c, sk, e, name);

	if (port < 0)
		return port;
	int bridge = link_ifindex(sk, master);
	int err = bridge < 0 ? bridge : nl_result(&c, rtnl_link_enslave_ifindex(sk, bridge, port));

	return call_end(&c, err);
}

int netns_link_delete(struct nl_sock *sk, const char *name, struct netns_error *e)
{
	struct nl_call c;
	int err = call_begin_on(&c, sk, e, name);

	if (err < 0)
		return err;
	struct rtnl_link *link = link_by_index(err);
	if (!link)
		return call_end(&c, -ENOMEM);
	err = nl_result(&c, rtnl_link_delete(sk, link));
	rtnl_link_put(link);
	return call_end(&c, err);
}

int netns_addr_add(struct nl_sock *sk, const char *ifname, const char *cidr, struct netns_error *e)
{
	struct rtnl_addr *addr = NULL;
	struct nl_addr *local = NULL;
	int family = strchr(cidr, ':') ? AF_INET6 : AF_INET;
	struct nl_call c;
	int ifindex = call_begin_on(&c, sk, e, ifname), err;

	if (ifindex < 0)
		return ifindex;
	err = nl2errno(nl_addr_parse(cidr, family, &local));
	if (!err && !(addr = rtnl_addr_alloc()))
		err = -ENOMEM;
	if (!err) {
		rtnl_addr_set_ifindex(addr, ifindex);
		rtnl_addr_set_family(addr, family);
		err = nl2errno(rtnl_addr_set_local(addr, local));
	}
	if (!err && family == AF_INET6)
		rtnl_addr_set_flags(addr, IFA_F_NODAD);
	if (!err)
		err = nl_result(&c, rtnl_addr_add(sk, addr, NLM_F_CREATE | NLM_F_EXCL));
	if (addr)
		rtnl_addr_put(addr);
	if (local)
		nl_addr_put(local);
	return call_end(&c, err);
}

int netns_route_add_default(struct nl_sock *sk, const char *ifname, const char *gateway, struct netns_error *e)
{
	struct rtnl_route *route = NULL;
	struct rtnl_nexthop *nh = NULL;
	struct nl_addr *dst = NULL, *gw = NULL;
	int family = strchr(gateway, ':') ? AF_INET6 : AF_INET;
	struct nl_call c;
	int ifindex = call_begin_on(&c, sk, e, ifname), err;

	if (ifindex < 0)
		return ifindex;
	err = nl2errno(nl_addr_parse("default", family, &dst));
	if (!err)
		err = nl2errno(nl_addr_parse(gateway, family, &gw));
	if (err < 0)
		goto out;
	route = rtnl_route_alloc();
	nh = rtnl_route_nh_alloc();
	if (!route || !nh) {
		err = -ENOMEM;
		goto out;
	}
	rtnl_route_set_family(route, family);
	rtnl_route_set_table(route, RT_TABLE_MAIN);
	rtnl_route_set_dst(route, dst);
	rtnl_route_nh_set_gateway(nh, gw);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_add_nexthop(route, nh);
	nh = NULL;		/* the route owns it now */
	err = nl_result(&c, rtnl_route_add(sk, route, NLM_F_CREATE | NLM_F_EXCL));
out:
	if (nh)
		rtnl_route_nh_free(nh);
	if (route)
		rtnl_route_put(route);
	if (dst)
		nl_addr_put(dst);
	if (gw)
		nl_addr_put(gw);
	return call_end(&c, err);
}

int netns_neigh_add(struct nl_sock *sk, const char *ifname, const char *addr, const uint8_t mac[6], struct netns_error *e)
{
	struct rtnl_neigh *n = NULL;
	struct nl_addr *dst = NULL, *ll = NULL;
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	struct nl_call c;
	int ifindex = call_begin_on(&c, sk, e, ifname), err;

	if (ifindex < 0)
		return ifindex;
	err = nl2errno(nl_addr_parse(addr, family, &dst));
	if (!err && !(ll = nl_addr_build(AF_LLC, mac, 6)))
		err = -ENOMEM;
	if (!err && !(n = rtnl_neigh_alloc()))
		err = -ENOMEM;
	if (!err) {
		rtnl_neigh_set_ifindex(n, ifindex);
		rtnl_neigh_set_family(n, family);
		rtnl_neigh_set_state(n, NUD_PERMANENT);
		rtnl_neigh_set_lladdr(n, ll);
		err = nl2errno(rtnl_neigh_set_dst(n, dst));
	}
	if (!err)
		err = nl_result(&c, rtnl_neigh_add(sk, n, NLM_F_CREATE | NLM_F_EXCL));
	if (n)
		rtnl_neigh_put(n);
	if (ll)
		nl_addr_put(ll);
	if (dst)
		nl_addr_put(dst);
	return call_end(&c, err);
}
