/* SPDX-License-Identifier: MIT */
/*
 * The network layer: unnamed network namespaces held by file descriptors,
 * links, addresses and routes (libnl), sysctls, and nftables filters
 * (libnftnl). It knows nothing of scenarios. Every function returns 0 (or a
 * file descriptor) on success and a negative errno on failure; none of them
 * leaves the calling thread in another namespace.
 */
#ifndef DEADPEER_NETNS_H
#define DEADPEER_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nl_sock;
struct mnl_socket;

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
int netns_sysctl_read(int nsfd, const char *key, char *buf, size_t len);
/* 0 if @key exists in @nsfd and may be written, else -ENOENT, -EACCES...; writes nothing. */
int netns_sysctl_writable(int nsfd, const char *key);

/* ---- links, addresses, routes (link.c, libnl-route) ---- */

/* A route netlink socket bound to @nsfd: everything sent on it acts there. */
int netns_rtnl_open(int nsfd, struct nl_sock **out);
void netns_rtnl_close(struct nl_sock *sk);

/*
 * Create a veth pair: @name with @mac in the socket's namespace, @peer_name
 * with @peer_mac directly in @peer_nsfd. Neither end ever exists elsewhere.
 */
int netns_veth_add(struct nl_sock *sk, const char *name, const uint8_t mac[6],
		   int peer_nsfd, const char *peer_name, const uint8_t peer_mac[6]);
int netns_link_set_up(struct nl_sock *sk, const char *name, bool up);
/* Create a bridge with a fixed @mac (so ports coming and going never change it). */
int netns_bridge_add(struct nl_sock *sk, const char *name, const uint8_t mac[6]);
/* Make @name a port of bridge @master. */
int netns_link_set_master(struct nl_sock *sk, const char *name, const char *master);
/* Delete link @name (for a veth, both ends go). */
int netns_link_delete(struct nl_sock *sk, const char *name);
/* "198.18.1.2/24" or "2001:db8:1::2/64" (IPv6 without duplicate address detection). */
int netns_addr_add(struct nl_sock *sk, const char *ifname, const char *cidr);
int netns_route_add_default(struct nl_sock *sk, const char *ifname, const char *gateway);

/* ---- nftables (nft.c, libnftnl + libmnl) ---- */

enum nft_hook { NFT_HOOK_INPUT, NFT_HOOK_OUTPUT, NFT_HOOK_FORWARD, NFT_HOOK_COUNT };

/* Priority of deadpeer's chains: ahead of conntrack, raw and any filter. */
#define NFT_FILTER_PRIORITY (-500)

struct nft_filter_rule {
	enum nft_hook hook;
	bool match_sport;	/* match the TCP source port (else the destination port) */
	uint16_t port;
	bool reject;		/* answer with a TCP reset instead of dropping */
};

/* One table of rules in family inet, added and removed as a whole. */
struct nft_filter {
	const char *table;
	struct nft_filter_rule rules[4];
	size_t n_rules;
};

/*
 * Build the batch that creates @f (table, one base chain per hook used, the
 * rules) into @buf. Returns the batch length, or 0 if @len is too small.
 */
size_t nft_filter_build(const struct nft_filter *f, void *buf, size_t len, uint32_t seq);
/*
 * Build the batch for a stateful middlebox in table @table: a forward chain
 * that accepts packets of tracked (established or related) flows and TCP
 * SYNs that open a new flow, and silently drops every other TCP packet, so a
 * flow whose conntrack entry expired is cut off without a word.
 */
size_t nft_middlebox_build(const char *table, void *buf, size_t len, uint32_t seq);
/* Build the batch that deletes table @table with everything in it. */
size_t nft_table_delete_build(const char *table, void *buf, size_t len, uint32_t seq);

int netns_nft_open(int nsfd, struct mnl_socket **out);
void netns_nft_close(struct mnl_socket *nl);
/* Send a batch built above and wait for the kernel's answer to every message. */
int netns_nft_send(struct mnl_socket *nl, const void *batch, size_t len);

#endif
