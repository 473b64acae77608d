// SPDX-License-Identifier: MIT
/*
 * Integration tests (root): the network layer against the real kernel, in
 * one unnamed namespace of the test's own (gone when its descriptor is
 * closed). A fault filter's counters read back what it dropped or rejected;
 * errors come back as the kernel's errno, with its extended ACK message
 * where it gives one; a stale reply waiting on the socket is not taken for
 * the answer to the next request.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "netns.h"
#include "test_run.h"

struct ns {
	int fd;
	struct nl_sock *rtnl;
	struct mnl_socket *nft;
};

static int ns_setup(void **state)
{
	struct ns *ns = calloc(1, sizeof(*ns));
	struct netns_error ne = { 0 };

	assert_non_null(ns);
	ns->fd = netns_new();
	assert_true(ns->fd >= 0);
	assert_int_equal(netns_rtnl_open(ns->fd, &ns->rtnl), 0);
	assert_int_equal(netns_nft_open(ns->fd, &ns->nft), 0);
	assert_int_equal(netns_link_set_up(ns->rtnl, "lo", true, &ne), 0);
	*state = ns;
	return 0;
}

static int ns_teardown(void **state)
{
	struct ns *ns = *state;

	netns_nft_close(ns->nft);
	netns_rtnl_close(ns->rtnl);
	close(ns->fd);
	free(ns);
	return 0;
}

/* Add a one-rule filter table: drop (or reset) TCP towards @port at @hook. */
static int add_filter(struct ns *ns, const char *table, enum nft_hook hook, uint16_t port, bool reject,
		      struct netns_error *ne)
{
	struct nft_filter f = { .table = table, .rules = { { hook, false, port, reject } }, .n_rules = 1 };
	char buf[8192];
	int n = nft_filter_build(&f, buf, sizeof(buf));

	assert_true(n > 0);
	return netns_nft_send(ns->nft, buf, (size_t)n, ne);
}

static int delete_table(struct ns *ns, const char *table, struct netns_error *ne)
{
	char buf[2048];
	int n = nft_table_delete_build(table, buf, sizeof(buf));

	assert_true(n > 0);
	return netns_nft_send(ns->nft, buf, (size_t)n, ne);
}

static uint64_t packets(struct ns *ns, const char *table)
{
	struct netns_error ne = { 0 };
	uint64_t n = UINT64_MAX;
	int ret = netns_nft_table_packets(ns->nft, table, &n, &ne);

	if (ret)
		fail_msg("reading %s's counters: %s", table, netns_strerror(&ne, ret));
	return n;
}

struct connects {
	uint16_t port;
	bool block;		/* wait for connect's verdict, else leave it in SYN-SENT */
	int n;
	int fds[8];
	int errs[8];		/* each connect's errno */
};

/* Inside the namespace (a socket belongs to the namespace it was created in): connect to 127.0.0.1:port. */
static int connect_here(void *arg)
{
	struct connects *c = arg;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(c->port) };

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < c->n; i++) {
		c->fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (c->block ? 0 : SOCK_NONBLOCK), 0);
		if (c->fds[i] < 0)
			return -errno;
		c->errs[i] = connect(c->fds[i], (struct sockaddr *)&to, sizeof(to)) < 0 ? errno : 0;
	}
	return 0;
}

static void close_all(struct connects *c)
{
	for (int i = 0; i < c->n; i++)
		close(c->fds[i]);
}

/*
 * Five connects whose SYNs a drop filter eats in the output hook: each sends
 * one SYN before connect() returns, and the first retransmission is 1 s away,
 * so the count is exactly five. A table whose port sees no traffic reads 0.
 */
static void test_drop_counts_each_packet(void **state)
{
	struct ns *ns = *state;
	struct connects c = { .port = 7001, .n = 5 };
	struct netns_error ne = { 0 };

	assert_int_equal(add_filter(ns, "deadpeer_fault0", NFT_HOOK_OUTPUT, 7001, false, &ne), 0);
	assert_int_equal(add_filter(ns, "deadpeer_fault1", NFT_HOOK_INPUT, 7002, false, &ne), 0);
	assert_int_equal(packets(ns, "deadpeer_fault0"), 0);
	assert_int_equal(netns_call(ns->fd, connect_here, &c), 0);
	for (int i = 0; i < c.n; i++)
		assert_int_equal(c.errs[i], EINPROGRESS);
	uint64_t dropped = packets(ns, "deadpeer_fault0"), idle = packets(ns, "deadpeer_fault1");
	close_all(&c);
	print_message("  dropped %llu SYNs of %d, the idle table counted %llu\n", (unsigned long long)dropped, c.n,
		      (unsigned long long)idle);
	assert_int_equal(dropped, 5);
	assert_int_equal(idle, 0);
}

/* A reject filter answers each SYN with a reset: every connect is refused at once, and counted once. */
static void test_reject_counts_each_refusal(void **state)
{
	struct ns *ns = *state;
	struct connects c = { .port = 7003, .block = true, .n = 3 };
	struct netns_error ne = { 0 };

	assert_int_equal(add_filter(ns, "deadpeer_fault2", NFT_HOOK_OUTPUT, 7003, true, &ne), 0);
	assert_int_equal(netns_call(ns->fd, connect_here, &c), 0);
	close_all(&c);
	for (int i = 0; i < c.n; i++)
		assert_int_equal(c.errs[i], ECONNREFUSED);
	assert_int_equal(packets(ns, "deadpeer_fault2"), 3);
}

/* Errors: a table that is not there, one added twice; the socket still answers right after. */
static void test_errors(void **state)
{
	struct ns *ns = *state;
	struct netns_error ne = { 0 };
	uint64_t n = 42;

	assert_int_equal(netns_nft_table_packets(ns->nft, "deadpeer_none", &n, &ne), -ENOENT);
	assert_int_equal(n, 0);
	assert_int_equal(add_filter(ns, "deadpeer_twice", NFT_HOOK_INPUT, 7004, false, &ne), 0);
	int ret = add_filter(ns, "deadpeer_twice", NFT_HOOK_INPUT, 7004, false, &ne);
	print_message("  table added twice: %s\n", netns_strerror(&ne, ret));
	assert_int_equal(ret, -EEXIST);
	assert_int_equal(packets(ns, "deadpeer_twice"), 0);
	assert_int_equal(delete_table(ns, "deadpeer_twice", &ne), 0);
	assert_int_equal(netns_nft_table_packets(ns->nft, "deadpeer_twice", &n, &ne), -ENOENT);
}

/*
 * Leave an answer waiting on the socket: the kernel's -ENOENT for a table
 * that does not exist, with a sequence number of no request of ours.
 */
static void leave_stale_reply(struct ns *ns)
{
	_Alignas(struct nlmsghdr) char buf[512] = { 0 };
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	assert_non_null(t);
	assert_int_equal(nftnl_table_set_str(t, NFTNL_TABLE_NAME, "deadpeer_none"), 0);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_ACK, 0x7fff0000);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	assert_true(mnl_socket_sendto(ns->nft, nlh, nlh->nlmsg_len) > 0);
	usleep(20000);		/* let the kernel answer before the next request goes out */
}

/* The stale -ENOENT is skipped: neither a counter read nor a batch takes it for its own answer. */
static void test_stale_reply_skipped(void **state)
{
	struct ns *ns = *state;
	struct netns_error ne = { 0 };
	uint64_t n = 42;

	assert_int_equal(add_filter(ns, "deadpeer_stale", NFT_HOOK_INPUT, 7005, false, &ne), 0);
	leave_stale_reply(ns);
	assert_int_equal(netns_nft_table_packets(ns->nft, "deadpeer_stale", &n, &ne), 0);
	assert_int_equal(n, 0);
	leave_stale_reply(ns);
	assert_int_equal(delete_table(ns, "deadpeer_stale", &ne), 0);
}

/* Route netlink: the kernel explains why a gateway it cannot reach is refused. */
static void test_kernel_message(void **state)
{
	struct ns *ns = *state;
	struct netns_error ne = { 0 };
	int ret = netns_route_add_default(ns->rtnl, "lo", "192.0.2.1", &ne);

	print_message("  default route via an unreachable gateway: %s\n", netns_strerror(&ne, ret));
	assert_true(ret < 0);
	assert_non_null(ne.from);
	assert_string_equal(ne.from, "kernel");
	assert_true(ne.msg[0] != '\0');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_drop_counts_each_packet, ns_setup, ns_teardown),
		cmocka_unit_test_setup_teardown(test_reject_counts_each_refusal, ns_setup, ns_teardown),
		cmocka_unit_test_setup_teardown(test_errors, ns_setup, ns_teardown),
		cmocka_unit_test_setup_teardown(test_stale_reply_skipped, ns_setup, ns_teardown),
		cmocka_unit_test_setup_teardown(test_kernel_message, ns_setup, ns_teardown),
	};
	return run_as_root(tests);
}
