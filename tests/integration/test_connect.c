// SPDX-License-Identifier: MIT
/*
 * Integration tests (root) of start = listening: the client's connect meets
 * the fault. Windows come from the kernel's rules: SYN retransmissions
 * (tcp_syn_retries, tcp_syn_linear_timeouts, TCP_USER_TIMEOUT), the
 * router's neighbour resolution for a host that is gone, and a reset
 * answering the SYN at once. Each runs for IPv4 and IPv6.
 */
#define _GNU_SOURCE
#include <errno.h>

#include "kernel.h"
#include "predict.h"
#include "test_run.h"

static const char *const families[] = { "ipv4", "ipv6" };

/*
 * The prediction keeps to the rule (@rule_ms, on the fault's clock): where
 * the model has the wheel's window (HZ known), timers never fire early and
 * at most a level's granularity late, and the measured time falls in it,
 * plus waking the endpoint.
 */
static void assert_predicted(const struct side_result *c, int64_t rule_ms)
{
	assert_true(c->has_prediction);
	if (!c->has_window) {
		assert_int_equal(c->predicted_ms, rule_ms);
		return;
	}
	assert_window("window's start", c->predicted_earliest_ms, rule_ms, late(rule_ms));
	assert_window("window's end", c->predicted_latest_ms, c->predicted_earliest_ms, late(rule_ms));
	assert_window("client detect in the window", c->detect_ms, c->predicted_earliest_ms,
		      c->predicted_latest_ms + 20);
}

/* A scenario text starting with [scenario] start = listening for @family, then @rest. */
static void run_listening(struct ran *r, const char *family, const char *rest)
{
	char text[1024];

	snprintf(text, sizeof(text), "[scenario]\nstart = listening\nfamily = %s\n%s", family, rest);
	run_text(r, text);
}

/*
 * SYNs silently dropped by the router. tcp_syn_retries = 2 ends the connect
 * at (2^3 - 1) s = 7 s whatever tcp_syn_linear_timeouts is: the time limit;
 * how many SYNs went out by then depends on it (5 with 4, 2 with 0).
 */
static void test_syn_dropped(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
		struct ran r;
		int64_t sent;
		run_listening(&r, families[i], "deadline = 10s\n[client]\nconnect_at = 500ms\n"
			      "sysctl.net.ipv4.tcp_syn_retries = 2\n[fault]\nat = 0\naction = drop\ntarget = router\n");
		const struct side_result *c = &r.r.side[HOST_CLIENT];
		assert_int_equal(c->outcome, OUTCOME_TIMEOUT);
		assert_int_equal(c->mechanism, MECH_SYN);
		assert_int_equal(c->err, ETIMEDOUT);
		assert_window("client detect", c->detect_ms, 500 + 7000 - 20, 500 + late(7000));
		syn_abort_ms(2, kernel_default("net.ipv4.tcp_syn_linear_timeouts", 0), 0, &sent);
		assert_true(c->counted_on_wire);
		assert_int_equal(c->retransmits, sent);
		assert_true(c->has_prediction);
		assert_int_equal(c->predicted_outcome, OUTCOME_TIMEOUT);
		assert_int_equal(c->predicted_mechanism, MECH_SYN);
		assert_predicted(c, 7500);
		assert_int_equal(r.r.side[HOST_SERVER].outcome, OUTCOME_NONE);
		done(&r);
	}
}

/* TCP_USER_TIMEOUT bounds the connect too: the SYN timer is clamped to it. */
static void test_syn_user_timeout(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
		struct ran r;
		run_listening(&r, families[i], "deadline = 5s\n[client]\nuser_timeout = 1500ms\n"
			      "[fault]\nat = 0\naction = drop\ntarget = server\ndirection = to-client\n");
		const struct side_result *c = &r.r.side[HOST_CLIENT];
		assert_int_equal(c->outcome, OUTCOME_TIMEOUT);
		assert_int_equal(c->mechanism, MECH_SYN);
		assert_window("client detect", c->detect_ms, 1500 - 20, late(1500));
		assert_predicted(c, 1500);
		done(&r);
	}
}

/* A firewall that resets: ECONNREFUSED within the round trip of the connect. */
static void test_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
		struct ran r;
		run_listening(&r, families[i], "deadline = 3s\n[client]\nconnect_at = 1s\n"
			      "[fault]\nat = 0\naction = reject\ntarget = router\n");
		const struct side_result *c = &r.r.side[HOST_CLIENT];
		assert_int_equal(c->outcome, OUTCOME_REFUSED);
		assert_int_equal(c->err, ECONNREFUSED);
		assert_window("client detect", c->detect_ms, 1000, 1000 + LOAD_SLACK_MS);
		/* The reset came in on the client's wire before the connect said so. */
		assert_true(c->has_wire_lag);
		assert_int_equal(c->predicted_outcome, OUTCOME_REFUSED);
		assert_int_equal(c->connections, 0);
		assert_int_equal(r.r.side[HOST_SERVER].outcome, OUTCOME_NONE);
		done(&r);
	}
}

/* The server killed before the connect: its kernel resets the SYN; the server side is the one killed. */
static void test_killed_listener(void **state)
{
	struct ran r;

	(void)state;
	run_listening(&r, "ipv4", "deadline = 2s\n[client]\nconnect_at = 1s\n"
		      "[fault]\nat = 500ms\naction = kill\ntarget = server\n");
	assert_int_equal(r.r.side[HOST_CLIENT].outcome, OUTCOME_REFUSED);
	assert_window("client detect", r.r.side[HOST_CLIENT].detect_ms, 500, 500 + LOAD_SLACK_MS);
	assert_int_equal(r.r.side[HOST_SERVER].outcome, OUTCOME_KILLED);
	done(&r);
}

/*
 * A crashed server host: the router cannot resolve its address and, after
 * mcast_solicit (3) solicitations 1 s apart, answers the SYNs with ICMP
 * host unreachable: EHOSTUNREACH, a timeout with mechanism syn. (The
 * crash makes the router forget its neighbours at once: see fault_link_set.)
 */
static void test_host_gone(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
		struct ran r;
		run_listening(&r, families[i], "deadline = 8s\n[client]\nconnect_at = 1s\n"
			      "[fault]\nat = 0\naction = crash\ntarget = server\n");
		const struct side_result *c = &r.r.side[HOST_CLIENT];
		assert_int_equal(c->outcome, OUTCOME_TIMEOUT);
		assert_int_equal(c->mechanism, MECH_SYN);
		assert_int_equal(c->err, EHOSTUNREACH);
		assert_window("client detect", c->detect_ms, 1000 + 3000, 1000 + late(3000));
		assert_predicted(c, 4000);
		assert_int_equal(r.r.side[HOST_SERVER].outcome, OUTCOME_KILLED);
		done(&r);
	}
}

/* No fault: the client connects at connect_at, nothing happens, and the run ends at the deadline. */
static void test_no_fault(void **state)
{
	struct ran r;

	(void)state;
	run_listening(&r, "ipv4", "deadline = 1500ms\n[client]\nconnect_at = 500ms\n");
	assert_int_equal(r.r.side[HOST_CLIENT].outcome, OUTCOME_NONE);
	assert_int_equal(r.r.side[HOST_SERVER].outcome, OUTCOME_NONE);
	assert_int_equal(r.r.side[HOST_CLIENT].connections, 1);
	assert_int_equal(r.r.side[HOST_SERVER].connections, 1);
	done(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syn_dropped),
		cmocka_unit_test(test_syn_user_timeout),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_killed_listener),
		cmocka_unit_test(test_host_gone),
		cmocka_unit_test(test_no_fault),
	};

	return run_as_root(tests);
}
