// SPDX-License-Identifier: MIT
/*
 * nftables filters through libnftnl: one inet table per fault with a base
 * chain per hook at NFT_FILTER_PRIORITY, so the drop or reject happens before
 * conntrack and before any rule that accepts established traffic. A table is
 * created and deleted in one batch each, so a fault is all or nothing.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>

#include "nlerr.h"

static const struct {
	const char *chain;
	uint32_t hooknum;
} hooks[NFT_HOOK_COUNT] = {
	[NFT_HOOK_INPUT] = { "input", NF_INET_LOCAL_IN },
	[NFT_HOOK_OUTPUT] = { "output", NF_INET_LOCAL_OUT },
	[NFT_HOOK_FORWARD] = { "forward", NF_INET_FORWARD },
};

/* ---- expressions and rules ---- */

/* Append a fresh @name expression to @r, which owns it from then on; NULL when out of memory. */
static struct nftnl_expr *add_expr(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	if (e)
		nftnl_rule_add_expr(r, e);
	return e;
}

/* The helpers below say whether they could add their expressions. */
static bool add_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = add_expr(r, "cmp");

	if (!e)
		return false;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	return nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len) == 0;
}

/* Load @len bytes at @offset of the transport header (TCP, ICMP...) into register 1. */
static bool add_l4_field(struct nftnl_rule *r, uint32_t offset, uint32_t len)
{
	struct nftnl_expr *e = add_expr(r, "payload");

	if (!e)
		return false;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_TRANSPORT_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	return true;
}

/* Register 1 &= @mask, over @len bytes. */
static bool add_bitwise(struct nftnl_rule *r, uint32_t mask, uint32_t len)
{
	struct nftnl_expr *e = add_expr(r, "bitwise");
	uint32_t zero = 0;

	if (!e)
		return false;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	return nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, len) == 0 &&
	       nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, len) == 0;
}

static bool add_verdict(struct nftnl_rule *r, int verdict)
{
	struct nftnl_expr *e = add_expr(r, "immediate");

	if (!e)
		return false;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	return true;
}

static bool add_reject_rst(struct nftnl_rule *r)
{
	struct nftnl_expr *e = add_expr(r, "reject");

	if (!e)
		return false;
	nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_TCP_RST);
	nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, 0);
	return true;
}

/* meta @key (a one-byte one: nfproto, l4proto) == @value */
static bool add_meta_is(struct nftnl_rule *r, uint32_t key, uint8_t value)
{
	struct nftnl_expr *e = add_expr(r, "meta");

	if (!e)
		return false;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	return add_cmp(r, NFT_CMP_EQ, &value, sizeof(value));
}

/* meta l4proto tcp */
static bool add_l4proto_tcp(struct nftnl_rule *r)
{
	return add_meta_is(r, NFT_META_L4PROTO, IPPROTO_TCP);
}

/* ct state & @states != 0 */
static bool add_ct_state(struct nftnl_rule *r, uint32_t states)
{
	struct nftnl_expr *e = add_expr(r, "ct");
	uint32_t zero = 0;

	if (!e)
		return false;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	return add_bitwise(r, states, sizeof(states)) && add_cmp(r, NFT_CMP_NEQ, &zero, sizeof(zero));
}

static struct nftnl_rule *rule_new(const char *table, enum nft_hook hook)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r)
		return NULL;
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	if (nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table) < 0 ||
	    nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, hooks[hook].chain) < 0) {
		nftnl_rule_free(r);
		return NULL;
	}
	return r;
}

/* @r if @complete, else NULL (and @r is freed): what the rule builders return. */
static struct nftnl_rule *rule_done(struct nftnl_rule *r, bool complete)
{
	if (complete)
		return r;
	nftnl_rule_free(r);
	return NULL;
}

/*
 * numgen random mod 100 < @percent: the random number is in host byte order
 * and cmp compares bytes, so it is turned to network order first.
 */
static bool add_random_share(struct nftnl_rule *r, uint8_t percent)
{
	struct nftnl_expr *ng = add_expr(r, "numgen"), *bo;
	uint32_t limit = htonl(percent);

	if (!ng)
		return false;
	nftnl_expr_set_u32(ng, NFTNL_EXPR_NG_DREG, NFT_REG_1);
	nftnl_expr_set_u32(ng, NFTNL_EXPR_NG_MODULUS, 100);
	nftnl_expr_set_u32(ng, NFTNL_EXPR_NG_TYPE, NFT_NG_RANDOM);
	nftnl_expr_set_u32(ng, NFTNL_EXPR_NG_OFFSET, 0);
	bo = add_expr(r, "byteorder");
	if (!bo)
		return false;
	nftnl_expr_set_u32(bo, NFTNL_EXPR_BYTEORDER_SREG, NFT_REG_1);
	nftnl_expr_set_u32(bo, NFTNL_EXPR_BYTEORDER_DREG, NFT_REG_1);
	nftnl_expr_set_u32(bo, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
	nftnl_expr_set_u32(bo, NFTNL_EXPR_BYTEORDER_LEN, sizeof(limit));
	nftnl_expr_set_u32(bo, NFTNL_EXPR_BYTEORDER_SIZE, sizeof(limit));
	return add_cmp(r, NFT_CMP_LT, &limit, sizeof(limit));
}

/*
 * meta l4proto tcp  tcp {s,d}port PORT  [numgen random mod 100 < PERCENT]  counter
 * {drop | reject with tcp reset}; NULL when out of memory.
 */
static struct nftnl_rule *filter_rule(const char *table, const struct nft_filter_rule *fr)
{
	struct nftnl_rule *r = rule_new(table, fr->hook);
	uint16_t port = htons(fr->port);
	uint32_t field = fr->match_sport ? offsetof(struct tcphdr, source) : offsetof(struct tcphdr, dest);

	if (!r)
		return NULL;
	return rule_done(r, add_l4proto_tcp(r) &&
			 add_l4_field(r, field, sizeof(port)) && add_cmp(r, NFT_CMP_EQ, &port, sizeof(port)) &&
			 (!fr->percent || add_random_share(r, fr->percent)) && add_expr(r, "counter") &&
			 (fr->reject ? add_reject_rst(r) : add_verdict(r, NF_DROP)));
}

/*
 * The ICMP error that tells a sender its packet was too big, in the output
 * hook: meta nfproto ipv4 meta l4proto icmp icmp type destination-unreachable
 * icmp code frag-needed counter drop, or (@v6) meta nfproto ipv6 meta l4proto
 * icmpv6 icmpv6 type packet-too-big counter drop. NULL when out of memory.
 */
static struct nftnl_rule *too_big_rule(const char *table, bool v6)
{
	static const uint8_t frag_needed[2] = { 3, 4 }, packet_too_big[1] = { 2 };	/* type (and code) */
	struct nftnl_rule *r = rule_new(table, NFT_HOOK_OUTPUT);
	const uint8_t *match = v6 ? packet_too_big : frag_needed;
	uint32_t n = v6 ? sizeof(packet_too_big) : sizeof(frag_needed);

	if (!r)
		return NULL;
	return rule_done(r, add_meta_is(r, NFT_META_NFPROTO, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4) &&
			 add_meta_is(r, NFT_META_L4PROTO, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP) &&
			 add_l4_field(r, 0, n) && add_cmp(r, NFT_CMP_EQ, match, n) &&
			 add_expr(r, "counter") && add_verdict(r, NF_DROP));
}

/* The middlebox's rules in chain order; MB_RESET only with idle_action = reset. */
enum middlebox_rule { MB_TRACKED, MB_NEW_FLOW, MB_RESET, MB_DROP_TCP, MB_RULES };

/* The middlebox's forward chain, rule by rule; NULL when out of memory. */
static struct nftnl_rule *middlebox_rule(const char *table, enum middlebox_rule kind)
{
	struct nftnl_rule *r = rule_new(table, NFT_HOOK_FORWARD);
	uint8_t syn = TH_SYN, none = 0;
	bool ok = false;

	if (!r)
		return NULL;
	switch (kind) {
	case MB_TRACKED:	/* ct state established,related accept */
		ok = add_ct_state(r, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED)) &&
		     add_verdict(r, NF_ACCEPT);
		break;
	case MB_NEW_FLOW:	/* tcp flags & (fin|syn|rst|ack) == syn ct state new accept */
		ok = add_l4proto_tcp(r) &&
		     add_l4_field(r, offsetof(struct tcphdr, th_flags), sizeof(syn)) &&
		     add_bitwise(r, TH_FIN | TH_SYN | TH_RST | TH_ACK, sizeof(syn)) &&
		     add_cmp(r, NFT_CMP_EQ, &syn, sizeof(syn)) &&
		     add_ct_state(r, NF_CT_STATE_BIT(IP_CT_NEW)) && add_verdict(r, NF_ACCEPT);
		break;
	case MB_RESET:
		/*
		 * tcp flags & (syn|rst) == 0 ct state new,invalid counter reject
		 * with tcp reset: a forgotten flow's segment is invalid to
		 * conntrack with nf_conntrack_tcp_loose = 0, new with 1; SYNs
		 * and resets are never answered with one.
		 */
		ok = add_l4proto_tcp(r) &&
		     add_l4_field(r, offsetof(struct tcphdr, th_flags), sizeof(syn)) &&
		     add_bitwise(r, TH_SYN | TH_RST, sizeof(syn)) &&
		     add_cmp(r, NFT_CMP_EQ, &none, sizeof(none)) &&
		     add_ct_state(r, NF_CT_STATE_INVALID_BIT | NF_CT_STATE_BIT(IP_CT_NEW)) &&
		     add_expr(r, "counter") && add_reject_rst(r);
		break;
	case MB_DROP_TCP:	/* meta l4proto tcp counter drop */
		ok = add_l4proto_tcp(r) && add_expr(r, "counter") && add_verdict(r, NF_DROP);
		break;
	case MB_RULES:
		break;
	}
	return rule_done(r, ok);
}

/* ---- batches ---- */

/*
 * Room kept past a batch's limit. libmnl's batch writes a message at its
 * current position and only then sees whether it went past the limit, so
 * the limit stays this far from the end of the buffer; the largest message
 * here (the middlebox's SYN rule and its reset rule, ~500 bytes) is about
 * half of it.
 */
#define MSG_ROOM 1024

/*
 * Sequence numbers are left 0: netns_nft_send numbers the messages it sends.
 * libmnl leaves the padding after an attribute as it finds it, so the buffer
 * starts zeroed: no stale bytes of the caller's stack go to the kernel.
 */
static int batch_start(struct mnl_nlmsg_batch **b, void *buf, size_t len)
{
	*b = NULL;
	if (len <= MSG_ROOM)
		return -ENOBUFS;
	memset(buf, 0, len);
	*b = mnl_nlmsg_batch_start(buf, len - MSG_ROOM);
	if (!*b)
		return -ENOMEM;
	nftnl_batch_begin(mnl_nlmsg_batch_current(*b), 0);
	return mnl_nlmsg_batch_next(*b) ? 0 : -ENOBUFS;
}

/* A message of @type at the batch's current position, acknowledged by the kernel. */
static struct nlmsghdr *batch_msg(struct mnl_nlmsg_batch *b, uint16_t type, uint16_t flags)
{
	return nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), type, NFPROTO_INET, flags | NLM_F_ACK, 0);
}

/* End the batch unless @err: its length, or -errno. */
static int batch_end(struct mnl_nlmsg_batch *b, int err)
{
	if (!err) {
		nftnl_batch_end(mnl_nlmsg_batch_current(b), 0);
		err = mnl_nlmsg_batch_next(b) ? (int)mnl_nlmsg_batch_size(b) : -ENOBUFS;
	}
	if (b)
		mnl_nlmsg_batch_stop(b);
	return err;
}

static int put_table(struct mnl_nlmsg_batch *b, const char *table, uint16_t type, uint16_t flags)
{
	struct nftnl_table *t = nftnl_table_alloc();
	int err = -ENOMEM;

	if (t && nftnl_table_set_str(t, NFTNL_TABLE_NAME, table) == 0) {
		nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
		nftnl_table_nlmsg_build_payload(batch_msg(b, type, flags), t);
		err = mnl_nlmsg_batch_next(b) ? 0 : -ENOBUFS;
	}
	if (t)
		nftnl_table_free(t);
	return err;
}

/* A base chain named after @hook, at priority @prio, that accepts what no rule drops. */
static int put_chain(struct mnl_nlmsg_batch *b, const char *table, enum nft_hook hook, int32_t prio)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	int err = -ENOMEM;

	if (c && nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table) == 0 &&
	    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, hooks[hook].chain) == 0 &&
	    nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter") == 0) {
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hooks[hook].hooknum);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
		nftnl_chain_nlmsg_build_payload(batch_msg(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_EXCL), c);
		err = mnl_nlmsg_batch_next(b) ? 0 : -ENOBUFS;
	}
	if (c)
		nftnl_chain_free(c);
	return err;
}

/* Append rule @r (NULL: building it ran out of memory), and free it. */
static int put_rule(struct mnl_nlmsg_batch *b, struct nftnl_rule *r)
{
	int err;

	if (!r)
		return -ENOMEM;
	nftnl_rule_nlmsg_build_payload(batch_msg(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND), r);
	err = mnl_nlmsg_batch_next(b) ? 0 : -ENOBUFS;
	nftnl_rule_free(r);
	return err;
}

int nft_filter_build(const struct nft_filter *f, void *buf, size_t len)
{
	struct mnl_nlmsg_batch *b;
	bool used[NFT_HOOK_COUNT] = { false };
	int err = batch_start(&b, buf, len);

	if (!err)
		err = put_table(b, f->table, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL);
	for (size_t i = 0; i < f->n_rules; i++)
		used[f->rules[i].hook] = true;
	for (int h = 0; h < NFT_HOOK_COUNT; h++)
		if (!err && used[h])
			err = put_chain(b, f->table, h, NFT_FILTER_PRIORITY);
	for (size_t i = 0; !err && i < f->n_rules; i++)
		err = put_rule(b, filter_rule(f->table, &f->rules[i]));
	return batch_end(b, err);
}

/* Start a batch that creates table @table with one base chain on @hook at @prio: 0 or -errno. */
static int one_chain_start(struct mnl_nlmsg_batch **b, const char *table, enum nft_hook hook, int32_t prio,
			   void *buf, size_t len)
{
	int err = batch_start(b, buf, len);

	if (!err)
		err = put_table(*b, table, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL);
	return err ? err : put_chain(*b, table, hook, prio);
}

int nft_middlebox_build(const char *table, bool reset, void *buf, size_t len)
{
	struct mnl_nlmsg_batch *b;
	/* At the filter priority: after deadpeer's fault chains, like a firewall on the path. */
	int err = one_chain_start(&b, table, NFT_HOOK_FORWARD, 0, buf, len);

	for (int kind = 0; !err && kind < MB_RULES; kind++)
		if (kind != MB_RESET || reset)
			err = put_rule(b, middlebox_rule(table, kind));
	return batch_end(b, err);
}

int nft_too_big_build(const char *table, void *buf, size_t len)
{
	struct mnl_nlmsg_batch *b;
	/* Ahead of everything: the router's own errors leave through its output hook. */
	int err = one_chain_start(&b, table, NFT_HOOK_OUTPUT, NFT_FILTER_PRIORITY, buf, len);

	for (int v6 = 0; !err && v6 < 2; v6++)
		err = put_rule(b, too_big_rule(table, v6));
	return batch_end(b, err);
}

int nft_table_delete_build(const char *table, void *buf, size_t len)
{
	struct mnl_nlmsg_batch *b;
	int err = batch_start(&b, buf, len);

	if (!err)
		err = put_table(b, table, NFT_MSG_DELTABLE, 0);
	return batch_end(b, err);
}

/* ---- the socket ---- */

static int nft_open_here(void *arg)
{
	struct mnl_socket **out = arg;
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	int on = 1;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;
		mnl_socket_close(nl);
		return err;
	}
	/* Kernels before 4.12 have no extended ACKs: their errors come without a message. */
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &on, sizeof(on));
	*out = nl;
	return 0;
}

int netns_nft_open(int nsfd, struct mnl_socket **out)
{
	*out = NULL;
	return netns_call(nsfd, nft_open_here, out);
}

void netns_nft_close(struct mnl_socket *nl)
{
	if (nl)
		mnl_socket_close(nl);
}

/*
 * @n consecutive sequence numbers, none 0 and none handed out before in
 * this process (until they wrap after 2^32): an answer to an earlier request
 * (one that timed out, or the unanswered tail of a failed batch) cannot pass
 * for an answer to this one.
 */
static uint32_t seq_take(uint32_t n)
{
	static uint32_t next = 1;
	uint32_t seq;

	do
		seq = __atomic_fetch_add(&next, n, __ATOMIC_RELAXED);
	while (seq == 0 || (uint32_t)(seq + n - 1) < seq);
	return seq;
}

/* What a request (or a batch of them) waits for, and what the kernel answered. */
struct wait {
	uint32_t portid;	/* this socket's: libmnl refuses replies sent to another */
	uint32_t seq, n_seq;	/* the requests' sequence numbers, seq .. seq + n_seq - 1 */
	unsigned pending;	/* answers still awaited: acks, or the end of a dump */
	int err;		/* the first error the kernel reported */
	struct netns_error *e;
	mnl_cb_t data;		/* a reply's data messages (a dump's rules); NULL: not wanted */
	void *arg;
};

/* A reply to other requests than these is stale (or stray): skipped, not counted. */
static bool ours(const struct wait *w, const struct nlmsghdr *nlh)
{
	return nlh->nlmsg_seq - w->seq < w->n_seq;
}

static void answered(struct wait *w, const struct nlmsghdr *nlh, int err)
{
	if (err > 0)
		err = -err;	/* some subsystems report positive errnos */
	if (err && !w->err) {
		w->err = err;
		netns_error_from_ack(w->e, nlh);
	}
	if (w->pending)
		w->pending--;
}

static int on_error(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

	if (!ours(data, nlh))
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	answered(data, nlh, err->error);
	return MNL_CB_OK;
}

/* The end of a dump, with the error that cut it short if any. */
static int on_done(const struct nlmsghdr *nlh, void *data)
{
	int err = 0;

	if (!ours(data, nlh))
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(err))
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	answered(data, nlh, err);
	return MNL_CB_OK;
}

static int on_data(const struct nlmsghdr *nlh, void *data)
{
	struct wait *w = data;

	return ours(w, nlh) && w->data ? w->data(nlh, w->arg) : MNL_CB_OK;
}

/*
 * Read replies until every answer is in. nfnetlink may abort a failed batch
 * without answering the rest of it, so once an error is in, a socket that
 * stays quiet for 50 ms ends the wait.
 */
static int wait_replies(struct mnl_socket *nl, struct wait *w)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = on_error, [NLMSG_DONE] = on_done };
	/* Room for a whole message: the kernel sizes a dump's messages to what the reader takes, at most 32 KiB. */
	_Alignas(struct nlmsghdr) char buf[32768];

	while (w->pending) {
		struct pollfd pfd = { mnl_socket_get_fd(nl), POLLIN, 0 };
		int r = poll(&pfd, 1, w->err ? 50 : 2000);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return w->err ? w->err : -ETIMEDOUT;
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		/* Sequence 0: ours() checks it per message, a batch has many. */
		if (mnl_cb_run2(buf, (size_t)n, 0, w->portid, on_data, w, ctl, NLMSG_MIN_TYPE) < 0)
			return w->err ? w->err : -errno;
	}
	return w->err;
}

int netns_nft_send(struct mnl_socket *nl, void *batch, size_t len, struct netns_error *e)
{
	struct wait w = { .portid = mnl_socket_get_portid(nl), .e = e };
	struct nlmsghdr *nlh;
	uint32_t i = 0;
	int rem;

	netns_error_clear(e);
	for (nlh = batch, rem = (int)len; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem))
		w.n_seq++;
	w.seq = seq_take(w.n_seq);
	/* Begin and end carry no NLM_F_ACK: every other message is answered. */
	for (nlh = batch, rem = (int)len; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		nlh->nlmsg_seq = w.seq + i++;
		w.pending += !!(nlh->nlmsg_flags & NLM_F_ACK);
	}
	if (mnl_socket_sendto(nl, batch, len) < 0)
		return -errno;
	return wait_replies(nl, &w);
}

/* ---- reading counters ---- */

/* One request (not a batch) and its answer: an ack, or the end of a dump whose messages go to @data. */
static int request(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t data, void *arg, struct netns_error *e)
{
	struct wait w = { .portid = mnl_socket_get_portid(nl), .seq = seq_take(1), .n_seq = 1, .pending = 1,
			  .e = e, .data = data, .arg = arg };

	nlh->nlmsg_seq = w.seq;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return wait_replies(nl, &w);
}

struct table_count {
	const char *table;
	uint64_t packets;
};

static int add_counter(struct nftnl_expr *e, void *data)
{
	uint64_t *packets = data;

	if (strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "counter") == 0)
		*packets += nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
	return 0;
}

static int count_rule(const struct nlmsghdr *nlh, void *data)
{
	struct table_count *c = data;
	struct nftnl_rule *r;
	const char *table;

	if ((nlh->nlmsg_type & 0xff) != NFT_MSG_NEWRULE)
		return MNL_CB_OK;
	r = nftnl_rule_alloc();
	if (!r) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	if (nftnl_rule_nlmsg_parse(nlh, r) < 0) {
		nftnl_rule_free(r);
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	/* The kernel filters the dump by table, but kernels before 4.17 send every table's rules. */
	table = nftnl_rule_get_str(r, NFTNL_RULE_TABLE);
	if (table && strcmp(table, c->table) == 0)
		nftnl_expr_foreach(r, add_counter, &c->packets);
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

int netns_nft_table_packets(struct mnl_socket *nl, const char *table, uint64_t *packets, struct netns_error *e)
{
	_Alignas(struct nlmsghdr) char buf[MSG_ROOM] = { 0 };	/* zeroed padding, as in batch_start */
	struct table_count c = { table, 0 };
	struct nftnl_table *t;
	struct nftnl_rule *r;
	int err;

	*packets = 0;
	netns_error_clear(e);
	/* A dump of a table that does not exist is empty: ask for the table first to tell the two apart. */
	t = nftnl_table_alloc();
	if (!t || nftnl_table_set_str(t, NFTNL_TABLE_NAME, table) < 0) {
		if (t)
			nftnl_table_free(t);
		return -ENOMEM;
	}
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nftnl_table_nlmsg_build_payload(nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_ACK, 0), t);
	nftnl_table_free(t);
	err = request(nl, (struct nlmsghdr *)buf, NULL, NULL, e);
	if (err)
		return err;

	r = nftnl_rule_alloc();
	if (!r || nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table) < 0) {
		if (r)
			nftnl_rule_free(r);
		return -ENOMEM;
	}
	nftnl_rule_nlmsg_build_payload(nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, NFPROTO_INET, NLM_F_DUMP, 0), r);
	nftnl_rule_free(r);
	/* A dump that a ruleset change interrupted (NLM_F_DUMP_INTR, -EINTR) is read again. */
	for (int tries = 0; tries < 3; tries++) {
		c.packets = 0;
		err = request(nl, (struct nlmsghdr *)buf, count_rule, &c, e);
		if (err != -EINTR)
			break;
	}
	if (!err)
		*packets = c.packets;
	return err;
}
