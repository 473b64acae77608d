// SPDX-License-Identifier: MIT
/*
 * nftables batches, built and parsed back with libnftnl (as libnftnl's own
 * tests do): the right table, chains on the right hooks ahead of everything,
 * and rules that match the connection's port and drop or reset.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include "fault.h"

struct seen {
	int tables, chains, rules, deltables;
	uint32_t hooks[4];
	int32_t prio[4];
	char chain_names[4][32];
	/* per rule: port field offset, port, verdict kind */
	uint32_t offset[4];
	uint16_t port[4];
	char verdict[4][16];
	char rule_chain[4][32];
	/* a middlebox's rules (up to 4): what each matches, and its verdict */
	const char *table;	/* the table every message must name */
	bool middlebox;
	const char *loaded[4];	/* what the rule last loaded into register 1: "ct", "flags", "l4proto" */
	uint32_t ct_states[4];	/* ct state & this != 0; 0: no ct match */
	uint8_t flags_mask[4], flags[4];	/* tcp flags & mask == flags; mask 0: no flags match */
	/* per rule: numgen's modulus (0: none), the share it lets through "< share", and its place */
	uint32_t modulus[4], share[4];
	bool random_before_counter[4], counted[4];
};

/* A middlebox rule's expressions: ct state and tcp flags matches, counter, verdict. */
static void middlebox_expr(struct nftnl_expr *e, struct seen *s, int i)
{
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	uint32_t len;

	if (strcmp(name, "ct") == 0) {
		assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_CT_KEY), NFT_CT_STATE);
		s->loaded[i] = "ct";
	} else if (strcmp(name, "payload") == 0) {
		assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET), 13);	/* the TCP flags */
		s->loaded[i] = "flags";
	} else if (strcmp(name, "meta") == 0) {
		assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY), NFT_META_L4PROTO);
		s->loaded[i] = "l4proto";
	} else if (strcmp(name, "bitwise") == 0) {
		const void *mask = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_MASK, &len);
		if (strcmp(s->loaded[i], "ct") == 0) {
			assert_int_equal(len, 4);
			memcpy(&s->ct_states[i], mask, 4);
		} else {
			assert_string_equal(s->loaded[i], "flags");
			assert_int_equal(len, 1);
			s->flags_mask[i] = *(const uint8_t *)mask;
		}
	} else if (strcmp(name, "cmp") == 0) {
		const void *d = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);
		uint32_t op = nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP);
		if (strcmp(s->loaded[i], "ct") == 0) {
			assert_int_equal(op, NFT_CMP_NEQ);
			assert_int_equal(len, 4);
		} else if (strcmp(s->loaded[i], "flags") == 0) {
			assert_int_equal(op, NFT_CMP_EQ);
			s->flags[i] = *(const uint8_t *)d;
		} else {
			assert_int_equal(*(const uint8_t *)d, IPPROTO_TCP);
		}
	} else if (strcmp(name, "counter") == 0) {
		s->counted[i] = true;
	} else if (strcmp(name, "reject") == 0) {
		assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_REJECT_TYPE), NFT_REJECT_TCP_RST);
		strcpy(s->verdict[i], "reset");
	} else if (strcmp(name, "immediate") == 0) {
		strcpy(s->verdict[i], nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT) == NF_ACCEPT ? "accept" : "drop");
	} else {
		fail_msg("unexpected expression %s in a middlebox rule", name);
	}
}

static int expr_cb(struct nftnl_expr *e, void *data)
{
	struct seen *s = data;
	int i = s->rules;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (s->middlebox) {
		middlebox_expr(e, s, i);
		return 0;
	}
	if (strcmp(name, "payload") == 0) {
		s->offset[i] = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET);
		assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE), NFT_PAYLOAD_TRANSPORT_HEADER);
	} else if (strcmp(name, "cmp") == 0) {
		uint32_t len;
		const void *d = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);
		if (len == 2) {
			uint16_t p;
			memcpy(&p, d, 2);
			s->port[i] = ntohs(p);
		} else if (len == 4) {
			/* numgen's random number, turned to network order, compared as bytes */
			uint32_t v;
			memcpy(&v, d, 4);
			assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP), NFT_CMP_LT);
			s->share[i] = ntohl(v);
		} else {
			assert_int_equal(len, 1);
			assert_int_equal(*(const uint8_t *)d, IPPROTO_TCP);
		}
	} else if (strcmp(name, "numgen") == 0) {
		assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_NG_TYPE), NFT_NG_RANDOM);
		assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_NG_OFFSET), 0);
		s->modulus[i] = nftnl_expr_get_u32(e, NFTNL_EXPR_NG_MODULUS);
		s->random_before_counter[i] = !s->counted[i];
	} else if (strcmp(name, "byteorder") == 0) {
		assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_BYTEORDER_OP), NFT_BYTEORDER_HTON);
		assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_BYTEORDER_LEN), 4);
	} else if (strcmp(name, "counter") == 0) {
		s->counted[i] = true;
	} else if (strcmp(name, "reject") == 0) {
		assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_REJECT_TYPE), NFT_REJECT_TCP_RST);
		strcpy(s->verdict[i], "reject");
	} else if (strcmp(name, "immediate") == 0) {
		assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT), NF_DROP);
		strcpy(s->verdict[i], "drop");
	}
	return 0;
}

static struct seen parse_batch(const char *buf, size_t len, const char *table, bool middlebox)
{
	struct seen s;
	const struct nlmsghdr *nlh = (const void *)buf;
	int rem = (int)len;

	memset(&s, 0, sizeof(s));
	s.table = table;
	s.middlebox = middlebox;
	assert_true(mnl_nlmsg_ok(nlh, rem));
	assert_int_equal(nlh->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
	while (mnl_nlmsg_ok(nlh, rem)) {
		int type = nlh->nlmsg_type & 0xff;
		if (nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN || nlh->nlmsg_type == NFNL_MSG_BATCH_END) {
			nlh = mnl_nlmsg_next(nlh, &rem);
			continue;
		}
		assert_true(nlh->nlmsg_flags & NLM_F_ACK);
		if (type == NFT_MSG_NEWTABLE || type == NFT_MSG_DELTABLE) {
			struct nftnl_table *t = nftnl_table_alloc();
			assert_int_equal(nftnl_table_nlmsg_parse(nlh, t), 0);
			assert_string_equal(nftnl_table_get_str(t, NFTNL_TABLE_NAME), s.table);
			assert_int_equal(nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY), NFPROTO_INET);
			if (type == NFT_MSG_NEWTABLE)
				s.tables++;
			else
				s.deltables++;
			nftnl_table_free(t);
		} else if (type == NFT_MSG_NEWCHAIN) {
			struct nftnl_chain *c = nftnl_chain_alloc();
			assert_int_equal(nftnl_chain_nlmsg_parse(nlh, c), 0);
			s.hooks[s.chains] = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
			s.prio[s.chains] = nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO);
			snprintf(s.chain_names[s.chains], 32, "%s", nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
			s.chains++;
			nftnl_chain_free(c);
		} else if (type == NFT_MSG_NEWRULE) {
			struct nftnl_rule *r = nftnl_rule_alloc();
			assert_int_equal(nftnl_rule_nlmsg_parse(nlh, r), 0);
			snprintf(s.rule_chain[s.rules], 32, "%s", nftnl_rule_get_str(r, NFTNL_RULE_CHAIN));
			nftnl_expr_foreach(r, expr_cb, &s);
			s.rules++;
			nftnl_rule_free(r);
		} else {
			fail_msg("unexpected message type %d", type);
		}
		nlh = mnl_nlmsg_next(nlh, &rem);
	}
	return s;
}

static struct seen build_share(const char *action, enum host target, enum direction dir, int64_t percent)
{
	struct fault_cfg f = { .kind = fault_kind_find(action), .target = target, .direction = dir,
			       .probability = percent };
	struct nft_filter filter;
	char table[32], buf[8192];
	int n;

	fault_filter(&f, 3, 7000, &filter, table, sizeof(table));
	n = nft_filter_build(&filter, buf, sizeof(buf));
	assert_true(n > 0);
	return parse_batch(buf, (size_t)n, "deadpeer_fault3", false);
}

static struct seen build(const char *action, enum host target, enum direction dir)
{
	return build_share(action, target, dir, 0);
}

static void test_server_drop_both(void **state)
{
	struct seen s = build("drop", HOST_SERVER, DIR_BOTH);

	(void)state;
	assert_int_equal(s.tables, 1);
	assert_int_equal(s.chains, 2);
	assert_int_equal(s.hooks[0], NF_INET_LOCAL_IN);
	assert_int_equal(s.hooks[1], NF_INET_LOCAL_OUT);
	/* Ahead of conntrack (-200), raw (-300) and every filter chain. */
	assert_true(s.prio[0] < -300 && s.prio[1] < -300);
	assert_int_equal(s.rules, 2);
	/* Towards the server: input, destination port. Towards the client: output, source port. */
	assert_string_equal(s.rule_chain[0], "input");
	assert_int_equal(s.offset[0], 2);
	assert_int_equal(s.port[0], 7000);
	assert_string_equal(s.rule_chain[1], "output");
	assert_int_equal(s.offset[1], 0);
	assert_int_equal(s.port[1], 7000);
	assert_string_equal(s.verdict[0], "drop");
	assert_string_equal(s.verdict[1], "drop");
}

static void test_client_reject_one_way(void **state)
{
	struct seen s = build("reject", HOST_CLIENT, DIR_TO_SERVER);

	(void)state;
	assert_int_equal(s.chains, 1);
	assert_int_equal(s.hooks[0], NF_INET_LOCAL_OUT);
	assert_int_equal(s.rules, 1);
	assert_int_equal(s.offset[0], 2);
	assert_string_equal(s.verdict[0], "reject");
	s = build("reject", HOST_CLIENT, DIR_TO_CLIENT);
	assert_int_equal(s.hooks[0], NF_INET_LOCAL_IN);
	assert_int_equal(s.offset[0], 0);
}

static void test_router_forward(void **state)
{
	struct seen s = build("drop", HOST_ROUTER, DIR_BOTH);

	(void)state;
	assert_int_equal(s.chains, 1);
	assert_int_equal(s.hooks[0], NF_INET_FORWARD);
	assert_int_equal(s.rules, 2);
	assert_string_equal(s.rule_chain[0], "forward");
	assert_string_equal(s.rule_chain[1], "forward");
	assert_int_equal(s.offset[0], 2);
	assert_int_equal(s.offset[1], 0);
}

/* drop: every packet, no random number drawn. */
static void test_drop_takes_all(void **state)
{
	struct seen s = build("drop", HOST_ROUTER, DIR_BOTH);

	(void)state;
	for (int i = 0; i < s.rules; i++) {
		assert_int_equal(s.modulus[i], 0);
		assert_true(s.counted[i]);
	}
}

/*
 * loss: the drop rules, each with "numgen random mod 100 < P" before its
 * counter, so that the counter counts only the packets dropped.
 */
static void test_loss_random_share(void **state)
{
	struct seen s = build_share("loss", HOST_ROUTER, DIR_BOTH, 30);

	(void)state;
	assert_int_equal(s.chains, 1);
	assert_int_equal(s.hooks[0], NF_INET_FORWARD);
	assert_int_equal(s.rules, 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(s.port[i], 7000);
		assert_int_equal(s.modulus[i], 100);
		assert_int_equal(s.share[i], 30);
		assert_true(s.random_before_counter[i]);
		assert_true(s.counted[i]);
		assert_string_equal(s.verdict[i], "drop");
	}
	/* One direction: one rule, on the packets towards the client (source port). */
	s = build_share("loss", HOST_ROUTER, DIR_TO_CLIENT, 1);
	assert_int_equal(s.rules, 1);
	assert_int_equal(s.offset[0], 0);
	assert_int_equal(s.share[0], 1);
	s = build_share("loss", HOST_SERVER, DIR_TO_SERVER, 99);
	assert_int_equal(s.rules, 1);
	assert_int_equal(s.hooks[0], NF_INET_LOCAL_IN);
	assert_int_equal(s.share[0], 99);
}

static void test_delete_and_overflow(void **state)
{
	char buf[8192];
	int n = nft_table_delete_build("deadpeer_fault3", buf, sizeof(buf));
	struct nft_filter f = { .table = "t", .rules = { { NFT_HOOK_INPUT, false, 1, false } }, .n_rules = 1 };

	(void)state;
	assert_true(n > 0);
	struct seen s = parse_batch(buf, (size_t)n, "deadpeer_fault3", false);
	assert_int_equal(s.deltables, 1);
	assert_int_equal(s.tables + s.chains + s.rules, 0);
	/* Too small a buffer is refused, never overrun. */
	assert_int_equal(nft_filter_build(&f, buf, 200), -ENOBUFS);
}

/* The middlebox's chain, rule by rule: the drop one as it always was, the reset one with a reset before the drop. */
static void test_middlebox(void **state)
{
	char buf[8192];
	int n = nft_middlebox_build("deadpeer_middlebox", false, buf, sizeof(buf));
	struct seen s;

	(void)state;
	assert_true(n > 0);
	s = parse_batch(buf, (size_t)n, "deadpeer_middlebox", true);
	assert_int_equal(s.tables, 1);
	assert_int_equal(s.chains, 1);
	assert_int_equal(s.hooks[0], NF_INET_FORWARD);
	/* At the filter priority, after deadpeer's own fault chains. */
	assert_int_equal(s.prio[0], 0);
	assert_true(s.prio[0] > NFT_FILTER_PRIORITY);
	assert_int_equal(s.rules, 3);
	/* ct state established,related accept */
	assert_int_equal(s.ct_states[0], NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED));
	assert_int_equal(s.flags_mask[0], 0);
	assert_string_equal(s.verdict[0], "accept");
	/* tcp flags & (fin|syn|rst|ack) == syn ct state new accept */
	assert_int_equal(s.flags_mask[1], TH_FIN | TH_SYN | TH_RST | TH_ACK);
	assert_int_equal(s.flags[1], TH_SYN);
	assert_int_equal(s.ct_states[1], NF_CT_STATE_BIT(IP_CT_NEW));
	assert_string_equal(s.verdict[1], "accept");
	/* meta l4proto tcp counter drop */
	assert_int_equal(s.ct_states[2], 0);
	assert_int_equal(s.flags_mask[2], 0);
	assert_true(s.counted[2]);
	assert_string_equal(s.verdict[2], "drop");

	n = nft_middlebox_build("deadpeer_middlebox", true, buf, sizeof(buf));
	assert_true(n > 0);
	struct seen r = parse_batch(buf, (size_t)n, "deadpeer_middlebox", true);
	assert_int_equal(r.rules, 4);
	assert_string_equal(r.verdict[0], "accept");
	assert_string_equal(r.verdict[1], "accept");
	/*
	 * tcp flags & (syn|rst) == 0 ct state new,invalid counter reject with
	 * tcp reset: a forgotten flow's segment, whatever nf_conntrack_tcp_loose
	 * makes of it; never a SYN, never a reset.
	 */
	assert_int_equal(r.flags_mask[2], TH_SYN | TH_RST);
	assert_int_equal(r.flags[2], 0);
	assert_int_equal(r.ct_states[2], NF_CT_STATE_INVALID_BIT | NF_CT_STATE_BIT(IP_CT_NEW));
	assert_true(r.counted[2]);
	assert_string_equal(r.verdict[2], "reset");
	/* What it does not answer is still dropped. */
	assert_int_equal(r.ct_states[3], 0);
	assert_string_equal(r.verdict[3], "drop");
	/* Too small a buffer is refused, never overrun. */
	assert_int_equal(nft_middlebox_build("deadpeer_middlebox", true, buf, 1500), -ENOBUFS);
}

/* A rule as a line of words: "nfproto=2 l4proto=1 @th,0,2==0304 counter drop". */
static int sig_cb(struct nftnl_expr *e, void *data)
{
	char *sig = data, word[64] = "";
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	static const char *meta;	/* the key the next cmp compares */

	if (strcmp(name, "meta") == 0) {
		uint32_t key = nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY);
		meta = key == NFT_META_NFPROTO ? "nfproto" : key == NFT_META_L4PROTO ? "l4proto" : "meta?";
		return 0;
	}
	if (strcmp(name, "payload") == 0) {
		assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE), NFT_PAYLOAD_TRANSPORT_HEADER);
		snprintf(word, sizeof(word), "@th,%u,%u", nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET),
			 nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN));
		meta = NULL;
	} else if (strcmp(name, "cmp") == 0) {
		uint32_t len;
		const uint8_t *d = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);
		assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP), NFT_CMP_EQ);
		if (meta) {
			assert_int_equal(len, 1);
			snprintf(word, sizeof(word), "%s=%u", meta, d[0]);
		} else {
			strcpy(word, "==");
			for (uint32_t i = 0; i < len; i++)
				snprintf(word + strlen(word), sizeof(word) - strlen(word), "%02x", d[i]);
		}
		meta = NULL;
	} else if (strcmp(name, "counter") == 0) {
		strcpy(word, "counter");
	} else if (strcmp(name, "immediate") == 0) {
		strcpy(word, nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT) == NF_DROP ? "drop" : "verdict?");
	} else {
		snprintf(word, sizeof(word), "%s?", name);
	}
	/* A payload goes with the cmp after it, without a blank. */
	snprintf(sig + strlen(sig), 160 - strlen(sig), "%s%s", *sig && strncmp(word, "==", 2) ? " " : "", word);
	return 0;
}

/* The MTU black hole's table: the router's own "too big" errors dropped in its output hook, first. */
static void test_too_big(void **state)
{
	char buf[8192], sig[2][160] = { "", "" };
	int n = nft_too_big_build("deadpeer_fault3", buf, sizeof(buf)), rules = 0, chains = 0, tables = 0;
	const struct nlmsghdr *nlh = (const void *)buf;
	int rem = n;

	(void)state;
	assert_true(n > 0);
	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		int type = nlh->nlmsg_type & 0xff;
		if (nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN || nlh->nlmsg_type == NFNL_MSG_BATCH_END)
			continue;
		assert_true(nlh->nlmsg_flags & NLM_F_ACK);
		if (type == NFT_MSG_NEWTABLE) {
			tables++;
		} else if (type == NFT_MSG_NEWCHAIN) {
			struct nftnl_chain *c = nftnl_chain_alloc();
			assert_int_equal(nftnl_chain_nlmsg_parse(nlh, c), 0);
			assert_int_equal(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM), NF_INET_LOCAL_OUT);
			assert_true(nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO) < -300);
			chains++;
			nftnl_chain_free(c);
		} else {
			struct nftnl_rule *r = nftnl_rule_alloc();
			assert_int_equal(type, NFT_MSG_NEWRULE);
			assert_true(rules < 2);
			assert_int_equal(nftnl_rule_nlmsg_parse(nlh, r), 0);
			assert_string_equal(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), "output");
			nftnl_expr_foreach(r, sig_cb, sig[rules++]);
			nftnl_rule_free(r);
		}
	}
	assert_int_equal(tables, 1);
	assert_int_equal(chains, 1);
	assert_int_equal(rules, 2);
	/* icmp type destination-unreachable code frag-needed (3, 4); icmpv6 type packet-too-big (2). */
	assert_string_equal(sig[0], "nfproto=2 l4proto=1 @th,0,2==0304 counter drop");
	assert_string_equal(sig[1], "nfproto=10 l4proto=58 @th,0,1==02 counter drop");
	assert_int_equal(nft_too_big_build("t", buf, 1200), -ENOBUFS);
}

UNIT_TESTS(
	cmocka_unit_test(test_server_drop_both),
	cmocka_unit_test(test_client_reject_one_way),
	cmocka_unit_test(test_router_forward),
	cmocka_unit_test(test_drop_takes_all),
	cmocka_unit_test(test_loss_random_share),
	cmocka_unit_test(test_delete_and_overflow),
	cmocka_unit_test(test_middlebox),
	cmocka_unit_test(test_too_big)
)
