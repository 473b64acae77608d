// SPDX-License-Identifier: MIT
/*
 * Integration tests (root) of action = mtu-blackhole: the router's link
 * toward the server takes MTU 1280 and its ICMP "too big" errors are
 * dropped. A client streaming 4000-byte writes stalls and gives up like
 * facing a dead peer, while the server's small keepalive probes pass and are
 * answered; with tcp_mtu_probing = 1 the client shrinks its segments and
 * recovers. Windows as in test_faults.c: the kernel's rule, the timer
 * wheel's rounding, load.
 */
#define _GNU_SOURCE
#include "test_run.h"

/* The stall: TCP_USER_TIMEOUT 5s on the sender, the server's first probe at last_rx + 4s. */
static void stall(const char *family)
{
	char text[1024];
	struct ran r;

	snprintf(text, sizeof(text),
		 "[scenario]\nfamily = %s\ndeadline = 7s\n"
		 "[client]\ntraffic = stream\ninterval = 100ms\nsize = 4000\nuser_timeout = 5s\n"
		 "[server]\nkeepalive = yes\nkeepidle = 4s\nkeepintvl = 1s\nkeepcnt = 3\n"
		 "[fault]\nat = 1s\naction = mtu-blackhole\ntarget = router\nmtu = 1280\ndirection = to-server\n",
		 family);
	run_text(&r, text);
	const struct side_result *c = &r.r.side[HOST_CLIENT], *s = &r.r.side[HOST_SERVER];

	/*
	 * The sender gives up the user timeout after its lost segment left
	 * (at or just after the fault): the model says 5.2 s, from the first
	 * retransmission; the kernel counts from the lost segment's own send.
	 */
	assert_int_equal(c->outcome, OUTCOME_TIMEOUT);
	assert_int_equal(c->mechanism, MECH_USER_TIMEOUT);
	assert_int_equal(c->err, 110 /* ETIMEDOUT */);
	assert_window("client detect", c->detect_ms, 5000 - 20, late(5200));
	assert_int_equal(c->predicted_outcome, OUTCOME_TIMEOUT);
	assert_window("client detect - predicted", c->detect_ms - c->predicted_ms, -200 - 20, late(5200) - 5200);
	/* Nothing it sent got through after the fault: it retransmitted, backing off, and heard nothing new. */
	assert_true(c->counted_on_wire);
	assert_true(c->retransmits >= 3);
	assert_true(c->has_last_rx);
	assert_window("client last_rx", c->last_rx_ms, -200, 1000);
	/* The router's "too big" errors were made, and dropped. */
	assert_true(r.r.fault_hits > 0);

	/* Small segments pass: the server's probe at last_rx + 4 s is answered; the next would be at ~8 s. */
	assert_int_equal(s->outcome, OUTCOME_NONE);
	assert_true(s->counted_on_wire);
	assert_int_equal(s->probes, 1);
	assert_int_equal(s->probe_replies, 1);
	/* The kernel's rules go on: the next probe meets the RST of the client that gave up. */
	assert_int_equal(s->predicted_outcome, OUTCOME_RST);
	assert_int_equal(s->predicted_mechanism, MECH_PROBE);
	done(&r);
}

static void test_stall_ipv4(void **state)
{
	(void)state;
	stall("ipv4");
}

static void test_stall_ipv6(void **state)
{
	(void)state;
	stall("ipv6");
}

/*
 * tcp_mtu_probing = 1: when tcp_retries1 = 3 runs out, 3 s or 6.2 s after
 * the lost segment, the MSS falls to 1024 (1096 bytes on the wire with IPv6's
 * headers): the stream flows again, long before the 8 s user timeout.
 */
static void test_probing_recovers(void **state)
{
	struct ran r;

	(void)state;
	run_text(&r, "[scenario]\nfamily = ipv6\ndeadline = 7500ms\n"
		     "[client]\ntraffic = stream\ninterval = 100ms\nsize = 4000\nuser_timeout = 8s\n"
		     "sysctl.net.ipv4.tcp_mtu_probing = 1\n"
		     "[server]\nkeepalive = yes\nkeepidle = 4s\nkeepintvl = 1s\nkeepcnt = 3\n"
		     "[fault]\nat = 1s\naction = mtu-blackhole\ntarget = router\nmtu = 1280\ndirection = to-server\n");
	const struct side_result *c = &r.r.side[HOST_CLIENT];

	assert_int_equal(c->outcome, OUTCOME_NONE);
	assert_int_equal(c->predicted_outcome, OUTCOME_NONE);
	assert_int_equal(r.r.side[HOST_SERVER].outcome, OUTCOME_NONE);
	/* Acknowledged again up to the deadline, and no longer backing off. */
	assert_true(c->has_last_rx);
	assert_window("client last_rx", c->last_rx_ms, 7500 - 1000, 7500 + LOAD_SLACK_MS);
	assert_int_equal(r.obs.side[HOST_CLIENT].report.after.retransmits, 0);
	assert_true(c->retransmits >= 3);
	assert_true(r.r.fault_hits > 0);
	done(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stall_ipv4),
		cmocka_unit_test(test_stall_ipv6),
		cmocka_unit_test(test_probing_recovers),
	};

	return run_as_root(tests);
}
