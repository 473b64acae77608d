/* SPDX-License-Identifier: MIT */
/*
 * The network layer: unnamed network namespaces held by file descriptors,
 * links, addresses and routes (libnl), sysctls, nftables filters (libnftnl)
 * and, in capture.h, packet captures (libpcap). It knows nothing of
 * scenarios, and none of its functions leaves the calling thread in another
 * namespace.
 *
 * Errors, one convention for the whole layer: every function returns 0 (or
 * what it documents: a descriptor, a length, a count) on success and a
 * negative errno on failure, never -1 with errno and never a message of its
 * own. Where the layer below can say more than an errno, the function also
 * takes a struct netns_error, which may be NULL:
 *
 *  - netlink requests (link.c, nft.c): the kernel's extended ACK message
 *    (NLMSGERR_ATTR_MSG; the sockets ask for it with NETLINK_EXT_ACK), such
 *    as "Nexthop has invalid gateway". The errno returned is then the
 *    kernel's own, not libnl's rounding of it;
 *  - captures (capture.c): libpcap's error text.
 *
 * Such a function clears the struct when it starts, so after a failure it
 * holds what was said about that failure, or nothing. The caller composes
 * the sentence users read, ending it with netns_strerror():
 *
 *	struct netns_error ne = { 0 };
 *	int ret = netns_link_set_up(sk, "eth0", true, &ne);
 *	if (ret < 0)
 *		printf("cannot set eth0 up: %s", netns_strerror(&ne, ret));
 *
 * which reads "Invalid argument (kernel: ...)" when the kernel said more,
 * and strerror's text alone when it did not.
 */
#ifndef DEADPEER_NETNS_H
#define DEADPEER_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nl_sock;
struct mnl_socket;

struct netns_error {
	const char *from;	/* who said msg: "kernel" or "libpcap"; NULL when nothing was said */
	char msg[256];		/* what it said beyond the errno; "" when nothing */
	char text[384];		/* netns_strerror()'s sentence */
};

/*
 * strerror(-@err), followed by " (kernel: <msg>)" when @e holds a message;
 * the text lives in @e (which may be NULL: then strerror's alone).
 */
const char *netns_strerror(struct netns_error *e, int err);

/* ---- namespaces (netns.c) ---- */

/*
 * Create a fresh, unnamed network namespace and return a file descriptor that
 * holds it. Nothing is mounted: the namespace disappears when the last
 * descriptor and the last process in it are gone, so a killed harness cannot
 * leak it.
 */
int netns_new(void);

/*
 * The descriptor of the namespace this process started in, opened on first
 * use and kept: a forked child that closes what it inherited keeps this one.
 */
int netns_home_fd(void);

/* Run @fn(@arg) with the calling thread inside @nsfd; returns what @fn returns. */
int netns_call(int nsfd, int (*fn)(void *arg), void *arg);

/* Move the calling thread into @nsfd for good (child processes only). */
int netns_enter(int nsfd);

/*
 * Write "net.ipv4.tcp_retries2" = "5" inside @nsfd and read it back; -EIO if
 * the kernel kept another value (the value read is left in @readback).
 */
int netns_sysctl_write(int nsfd, const char *key, const char *value, char *readback, size_t len);
/* 0 if @key exists in @nsfd and may be written, else -ENOENT, -EACCES...; writes nothing. */
int netns_sysctl_writable(int nsfd, const char *key);

/* ---- links, addresses, routes (link.c, libnl-route) ---- */

/*
 * A route netlink socket bound to @nsfd: everything sent on it acts there.
 * libnl takes a reply for the request only if its sequence number is the
 * one expected next; replies that the kernel did not send to this socket's
 * port are dropped unread.
 */
int netns_rtnl_open(int nsfd, struct nl_sock **out);
void netns_rtnl_close(struct nl_sock *sk);

/*
 * Create a veth pair: @name with @mac in the socket's namespace, @peer_name
 * with @peer_mac directly in @peer_nsfd. Neither end ever exists elsewhere.
 */
int netns_veth_add(struct nl_sock *sk, const char *name, const uint8_t mac[6],
		   int peer_nsfd, const char *peer_name, const uint8_t peer_mac[6], struct netns_error *e);
int netns_link_set_up(struct nl_sock *sk, const char *name, bool up, struct netns_error *e);
/*
 * Set link @name up, forwarding IPv4: what net.ipv4.ip_forward sets on
 * every link of a namespace, on this one, in the same request. (The sysctl
 * is a lookup under /proc/sys among every namespace's entries, and its
 * write retries until it gets the rtnl lock.) The kernel forwards a packet
 * when the link it came in on forwards.
 */
int netns_link_set_up_forwarding(struct nl_sock *sk, const char *name, struct netns_error *e);
/* Set the MTU of link @name (a bridge whose MTU is set keeps it whatever its ports' MTU). */
int netns_link_set_mtu(struct nl_sock *sk, const char *name, unsigned mtu, struct netns_error *e);
/*
 * Ask the kernel for link @name alone (RTM_GETLINK). Its answer waits for
 * the link's pending carrier change, which the kernel otherwise applies up
 * to a second later (linkwatch), with what follows from it (the neighbour
 * entries of a device that lost carrier are flushed). 0 or -errno.
 */
int netns_link_sync(struct nl_sock *sk, const char *name, struct netns_error *e);
/*
 * Wait until link @name is operationally up (IFF_RUNNING): its carrier is on
 * and the kernel has activated its transmit queue, which it does apart from
 * the request that set the link up, in linkwatch, behind the global rtnl
 * lock; until then every packet sent through it is dropped. Each lookup
 * makes the kernel apply the link's pending change at once. -ETIMEDOUT if it
 * is still not up after @limit_ms.
 */
int netns_link_wait_up(struct nl_sock *sk, const char *name, int limit_ms, struct netns_error *e);
/* Create a bridge with a fixed @mac (so ports coming and going never change it). */
int netns_bridge_add(struct nl_sock *sk, const char *name, const uint8_t mac[6], struct netns_error *e);
/* Make @name a port of bridge @master. */
int netns_link_set_master(struct nl_sock *sk, const char *name, const char *master, struct netns_error *e);
/* Delete link @name (for a veth, both ends go). */
int netns_link_delete(struct nl_sock *sk, const char *name, struct netns_error *e);
/* "198.18.1.2/24" or "2001:db8:1::2/64" (IPv6 without duplicate address detection). */
int netns_addr_add(struct nl_sock *sk, const char *ifname, const char *cidr, struct netns_error *e);
int netns_route_add_default(struct nl_sock *sk, const char *ifname, const char *gateway, struct netns_error *e);
/*
 * A permanent neighbour entry: @addr ("198.18.1.1" or "2001:db8:1::1") is
 * at @mac on @ifname. Permanent entries do not count against the kernel's
 * neighbour table limit (gc_thresh3), which is one for all namespaces.
 */
int netns_neigh_add(struct nl_sock *sk, const char *ifname, const char *addr, const uint8_t mac[6], struct netns_error *e);

/* ---- nftables (nft.c, libnftnl + libmnl) ---- */

enum nft_hook { NFT_HOOK_INPUT, NFT_HOOK_OUTPUT, NFT_HOOK_FORWARD, NFT_HOOK_COUNT };

/* Priority of deadpeer's chains: ahead of conntrack, raw and any filter. */
#define NFT_FILTER_PRIORITY (-500)

struct nft_filter_rule {
	enum nft_hook hook;
	bool match_sport;	/* match the TCP source port (else the destination port) */
	uint16_t port;
	bool reject;		/* answer with a TCP reset instead of dropping */
	uint8_t percent;	/* only that share of the packets, at random (numgen); 0: all of them */
};

/* One table of rules in family inet, added and removed as a whole. */
struct nft_filter {
	const char *table;
	struct nft_filter_rule rules[4];
	size_t n_rules;
};

/*
 * The builders write a batch (begin, the messages, end) into @buf for
 * netns_nft_send, which numbers its messages. They return the batch's
 * length, -ENOBUFS if @len is too small (nothing is written past it) or
 * -ENOMEM.
 *
 * nft_filter_build: the batch that creates @f (table, one base chain per
 * hook used, the rules; every rule counts what it matches).
 */
int nft_filter_build(const struct nft_filter *f, void *buf, size_t len);
/*
 * The batch for a stateful middlebox in table @table: a forward chain that
 * accepts packets of tracked (established or related) flows and TCP SYNs
 * that open a new flow, and silently drops (and counts) every other TCP
 * packet, so a flow whose conntrack entry expired is cut off without a word.
 * With @reset, a segment of a flow conntrack does not know (neither a SYN
 * nor a reset) is answered with a TCP reset instead, which only its sender
 * gets; the rest is still dropped.
 */
int nft_middlebox_build(const char *table, bool reset, void *buf, size_t len);
/*
 * The batch for a path MTU black hole in table @table: an output chain at
 * NFT_FILTER_PRIORITY that drops (and counts) the ICMP errors saying a packet
 * was too big, IPv4's fragmentation needed and ICMPv6's packet too big, so
 * the senders whose packets a link's MTU refuses are never told.
 */
int nft_too_big_build(const char *table, void *buf, size_t len);
/* The batch that deletes table @table with everything in it. */
int nft_table_delete_build(const char *table, void *buf, size_t len);

/* A netfilter netlink socket bound to @nsfd. */
int netns_nft_open(int nsfd, struct mnl_socket **out);
void netns_nft_close(struct mnl_socket *nl);
/*
 * Number the messages of @batch (a builder's) with sequence numbers not used
 * before in this process, send it and wait for the kernel's answer to each.
 * Replies not addressed to this socket's port, or with a sequence number
 * outside the batch (a stray or stale one), are not taken for answers.
 * Returns 0 or the first error the kernel reported, -ETIMEDOUT if it went
 * quiet (2 s) before answering everything.
 */
int netns_nft_send(struct mnl_socket *nl, void *batch, size_t len, struct netns_error *e);
/*
 * The packets counted so far by the counter expressions of every rule in
 * inet table @table, summed into @packets; counters start at 0 when their
 * rule is created, so for a fault's filter this is how many packets it
 * dropped or rejected. A packet that crosses two counting rules (output,
 * then input, over lo) counts twice. -ENOENT if there is no such table.
 */
int netns_nft_table_packets(struct mnl_socket *nl, const char *table, uint64_t *packets, struct netns_error *e);

#endif
