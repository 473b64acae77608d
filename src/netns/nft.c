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
#include <poll.h>
#include <string.h>
#include <time.h>

#include "netns.h"

static const struct {
	const char *chain;
	uint32_t hooknum;
} hooks[NFT_HOOK_COUNT] = {
	[NFT_HOOK_INPUT] = { "input", NF_INET_LOCAL_IN },
	[NFT_HOOK_OUTPUT] = { "output", NF_INET_LOCAL_OUT },
	[NFT_HOOK_FORWARD] = { "forward", NF_INET_FORWARD },
};

/* Batch writer over a caller's buffer: refuses to write past its end. */
struct batch {
	char *buf;
	size_t len, used;
	uint32_t seq;
	bool overflow;
};

static struct nlmsghdr *batch_hdr(struct batch *b, uint16_t type, uint16_t flags)
{
	/* Every message here fits in 1 KiB; keep that much room to stay in bounds. */
	if (b->len - b->used < 1024) {
		b->overflow = true;
		return NULL;
	}
	return nftnl_nlmsg_build_hdr(b->buf + b->used, type, NFPROTO_INET, flags | NLM_F_ACK, b->seq++);
}

static void batch_next(struct batch *b, struct nlmsghdr *nlh)
{
	b->used += NLMSG_ALIGN(nlh->nlmsg_len);
}

static void batch_begin(struct batch *b)
{
	if (b->len - b->used < 64) {
		b->overflow = true;
		return;
	}
	struct nlmsghdr *nlh = nftnl_batch_begin(b->buf + b->used, b->seq++);
	batch_next(b, nlh);
}

static void batch_end(struct batch *b)
{
	if (b->overflow || b->len - b->used < 64) {
		b->overflow = true;
		return;
	}
	struct nlmsghdr *nlh = nftnl_batch_end(b->buf + b->used, b->seq++);
	batch_next(b, nlh);
}

static void add_expr(struct nftnl_rule *r, struct nftnl_expr *e)
{
	nftnl_rule_add_expr(r, e);
}

static struct nftnl_expr *expr_cmp(uint32_t sreg, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	return e;
}

static struct nftnl_expr *expr_verdict(int verdict);
static void add_l4proto_tcp(struct nftnl_rule *r);

/* meta l4proto tcp  tcp {s,d}port PORT  counter  {drop | reject with tcp reset} */
static struct nftnl_rule *build_rule(const char *table, const struct nft_filter_rule *fr)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nftnl_expr *e;
	uint16_t port = htons(fr->port);

	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, hooks[fr->hook].chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);

	add_l4proto_tcp(r);

	e = nftnl_expr_alloc("payload");
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_TRANSPORT_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, fr->match_sport ? 0 : 2);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, sizeof(port));
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	add_expr(r, e);
	add_expr(r, expr_cmp(NFT_REG_1, &port, sizeof(port)));

	add_expr(r, nftnl_expr_alloc("counter"));

	if (fr->reject) {
		e = nftnl_expr_alloc("reject");
		nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_TCP_RST);
		nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, 0);
	} else {
		e = expr_verdict(NF_DROP);
	}
	add_expr(r, e);
	return r;
}

size_t nft_filter_build(const struct nft_filter *f, void *buf, size_t len, uint32_t seq)
{
	struct batch b = { .buf = buf, .len = len, .seq = seq };
	struct nlmsghdr *nlh;
	bool used[NFT_HOOK_COUNT] = { false };

	batch_begin(&b);

	struct nftnl_table *t = nftnl_table_alloc();
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, f->table);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	if ((nlh = batch_hdr(&b, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL))) {
		nftnl_table_nlmsg_build_payload(nlh, t);
		batch_next(&b, nlh);
	}
	nftnl_table_free(t);

	for (size_t i = 0; i < f->n_rules; i++)
		used[f->rules[i].hook] = true;
	for (int h = 0; h < NFT_HOOK_COUNT; h++) {
		if (!used[h])
			continue;
		struct nftnl_chain *c = nftnl_chain_alloc();
		nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, f->table);
		nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, hooks[h].chain);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hooks[h].hooknum);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, NFT_FILTER_PRIORITY);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
		if ((nlh = batch_hdr(&b, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_EXCL))) {
			nftnl_chain_nlmsg_build_payload(nlh, c);
			batch_next(&b, nlh);
		}
		nftnl_chain_free(c);
	}

	for (size_t i = 0; i < f->n_rules; i++) {
		struct nftnl_rule *r = build_rule(f->table, &f->rules[i]);
		if ((nlh = batch_hdr(&b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND))) {
			nftnl_rule_nlmsg_build_payload(nlh, r);
			batch_next(&b, nlh);
		}
		nftnl_rule_free(r);
	}
	batch_end(&b);
	return b.overflow ? 0 : b.used;
}

static struct nftnl_expr *expr_bitwise(uint32_t mask, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("bitwise");
	uint32_t zero = 0;

	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, len);
	return e;
}

static struct nftnl_expr *expr_verdict(int verdict)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	return e;
}

static void add_ct_state(struct nftnl_rule *r, uint32_t states)
{
	struct nftnl_expr *e = nftnl_expr_alloc("ct");
	uint32_t zero = 0;

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	add_expr(r, e);
	add_expr(r, expr_bitwise(states, sizeof(states)));
	e = nftnl_expr_alloc("cmp");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_NEQ);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &zero, sizeof(zero));
	add_expr(r, e);
}

static void add_l4proto_tcp(struct nftnl_rule *r)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");
	uint8_t proto = IPPROTO_TCP;

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_L4PROTO);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	add_expr(r, e);
	add_expr(r, expr_cmp(NFT_REG_1, &proto, sizeof(proto)));
}

/* TCP flags byte, bits as in the header. */
#define TCPF_FIN_ 0x01
#define TCPF_SYN_ 0x02
#define TCPF_RST_ 0x04
#define TCPF_ACK_ 0x10

static struct nftnl_rule *middlebox_rule(const char *table, int kind)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, hooks[NFT_HOOK_FORWARD].chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	switch (kind) {
	case 0:		/* ct state established,related accept */
		add_ct_state(r, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED));
		add_expr(r, expr_verdict(NF_ACCEPT));
		break;
	case 1: {	/* tcp flags & (fin|syn|rst|ack) == syn ct state new accept */
		struct nftnl_expr *e = nftnl_expr_alloc("payload");
		uint8_t syn = TCPF_SYN_;
		add_l4proto_tcp(r);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_TRANSPORT_HEADER);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, 13);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, 1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
		add_expr(r, e);
		add_expr(r, expr_bitwise(TCPF_FIN_ | TCPF_SYN_ | TCPF_RST_ | TCPF_ACK_, 1));
		add_expr(r, expr_cmp(NFT_REG_1, &syn, sizeof(syn)));
		add_ct_state(r, NF_CT_STATE_BIT(IP_CT_NEW));
		add_expr(r, expr_verdict(NF_ACCEPT));
		break;
	}
	default:	/* meta l4proto tcp counter drop */
		add_l4proto_tcp(r);
		add_expr(r, nftnl_expr_alloc("counter"));
		add_expr(r, expr_verdict(NF_DROP));
		break;
	}
	return r;
}

size_t nft_middlebox_build(const char *table, void *buf, size_t len, uint32_t seq)
{
	struct batch b = { .buf = buf, .len = len, .seq = seq };
	struct nlmsghdr *nlh;

	batch_begin(&b);
	struct nftnl_table *t = nftnl_table_alloc();
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	if ((nlh = batch_hdr(&b, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL))) {
		nftnl_table_nlmsg_build_payload(nlh, t);
		batch_next(&b, nlh);
	}
	nftnl_table_free(t);

	/* At the filter priority: after deadpeer's fault chains, like a firewall on the path. */
	struct nftnl_chain *c = nftnl_chain_alloc();
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, hooks[NFT_HOOK_FORWARD].chain);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_INET_FORWARD);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, 0);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	if ((nlh = batch_hdr(&b, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_EXCL))) {
		nftnl_chain_nlmsg_build_payload(nlh, c);
		batch_next(&b, nlh);
	}
	nftnl_chain_free(c);

	for (int kind = 0; kind < 3; kind++) {
		struct nftnl_rule *r = middlebox_rule(table, kind);
		if ((nlh = batch_hdr(&b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND))) {
			nftnl_rule_nlmsg_build_payload(nlh, r);
			batch_next(&b, nlh);
		}
		nftnl_rule_free(r);
	}
	batch_end(&b);
	return b.overflow ? 0 : b.used;
}

size_t nft_table_delete_build(const char *table, void *buf, size_t len, uint32_t seq)
{
	struct batch b = { .buf = buf, .len = len, .seq = seq };
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	batch_begin(&b);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	if ((nlh = batch_hdr(&b, NFT_MSG_DELTABLE, 0))) {
		nftnl_table_nlmsg_build_payload(nlh, t);
		batch_next(&b, nlh);
	}
	nftnl_table_free(t);
	batch_end(&b);
	return b.overflow ? 0 : b.used;
}

static int nft_open_here(void *arg)
{
	struct mnl_socket **out = arg;
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;
		mnl_socket_close(nl);
		return err;
	}
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

/* Messages in the batch that carry NLM_F_ACK: all but begin and end. */
static unsigned count_acked(const void *batch, size_t len)
{
	unsigned n = 0;
	const struct nlmsghdr *nlh = batch;
	int rem = (int)len;

	while (mnl_nlmsg_ok(nlh, rem)) {
		n += !!(nlh->nlmsg_flags & NLM_F_ACK);
		nlh = mnl_nlmsg_next(nlh, &rem);
	}
	return n;
}

int netns_nft_send(struct mnl_socket *nl, const void *batch, size_t len)
{
	char buf[16384];
	unsigned want = count_acked(batch, len), got = 0;
	int first_err = 0;

	if (mnl_socket_sendto(nl, batch, len) < 0)
		return -errno;
	/*
	 * nfnetlink answers each message with an ack or an error; on an error
	 * it may abort the batch without answering the rest, so stop waiting
	 * once an error is in and the socket goes quiet.
	 */
	while (got < want) {
		struct pollfd pfd = { mnl_socket_get_fd(nl), POLLIN, 0 };
		int r = poll(&pfd, 1, first_err ? 50 : 2000);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return first_err ? first_err : -ETIMEDOUT;
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		const struct nlmsghdr *nlh = (const void *)buf;
		int rem = (int)n;
		while (mnl_nlmsg_ok(nlh, rem)) {
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
				if (e->error && !first_err)
					first_err = e->error;
				got++;
			}
			nlh = mnl_nlmsg_next(nlh, &rem);
		}
	}
	return first_err;
}
