// SPDX-License-Identifier: MIT
/*
 * Integration tests (root): real scenarios on the real kernel, in real
 * namespaces. Each asserts the outcome and a time window derived from the
 * kernel's rule. Windows allow for the timer wheel's rounding (up to 1/8 of
 * a timer's length for timers of a few seconds at HZ=250) plus scheduling
 * delay on a loaded 2-core machine.
 */
#define _GNU_SOURCE
#include "test_run.h"

/* Drop at the server; client keepalive I/V/C: timeout at last_rx + I + V x C. */
static void test_drop_keepalive(void **state)
{
	struct ran r;

	(void)state;
	run_text(&r, "[scenario]\ndeadline = 8s\n"
		     "[client]\nkeepalive = yes\nkeepidle = 2s\nkeepintvl = 1s\nkeepcnt = 3\n"
		     "[fault]\nat = 1s\naction = drop\ntarget = server\n");
	const struct side_result *c = &r.r.side[HOST_CLIENT];
	assert_int_equal(c->outcome, OUTCOME_TIMEOUT);
	assert_int_equal(c->mechanism, MECH_KEEPALIVE);
	assert_int_equal(c->err, 110 /* ETIMEDOUT */);
	assert_true(c->detected && c->has_last_rx);
	/* The last traffic was the handshake, about "at" before the fault. */
	assert_window("client last_rx", c->last_rx_ms, -1000 - LOAD_SLACK_MS, -900);
	assert_window("client detect - last_rx", c->detect_ms - c->last_rx_ms, 5000 - 20, late(5000));
	/* keepcnt probes went out on the wire, and the kernel's reset right before the socket said so. */
	assert_true(c->counted_on_wire);
	assert_int_equal(c->probes, 3);
	assert_true(c->has_wire_lag);
	assert_window("client wire lag (us)", c->wire_lag_us, 0, 20000);
	/* The prediction applies the same rule to the measured last_rx. */
	assert_true(c->has_prediction);
	assert_int_equal(c->predicted_outcome, OUTCOME_TIMEOUT);
	assert_window("client detect - predicted", c->detect_ms - c->predicted_ms, -20, late(5000) - 5000);
	assert_int_equal(r.r.side[HOST_SERVER].outcome, OUTCOME_NONE);
	done(&r);
}

/* kill -9 of the server: its kernel sends a FIN, the client reads 0 at once. */
static void test_kill_fin(void **state)
{
	struct ran r;

	(void)state;
	run_text(&r, "[scenario]\ndeadline = 3s\n[fault]\nat = 500ms\naction = kill\ntarget = server\n");
	assert_int_equal(r.r.side[HOST_SERVER].outcome, OUTCOME_KILLED);
	assert_int_equal(r.r.side[HOST_CLIENT].outcome, OUTCOME_FIN);
	assert_window("client detect", r.r.side[HOST_CLIENT].detect_ms, 0, 500);
	/* The FIN's arrival on the client's wire, then the read that returned 0. */
	assert_true(r.r.side[HOST_CLIENT].has_wire_lag);
	assert_window("client wire lag (us)", r.r.side[HOST_CLIENT].wire_lag_us, 0, 20000);
	done(&r);
}

/* A resetting firewall on the router: the client's next keepalive probe meets an RST. */
static void test_reject_router(void **state)
{
	struct ran r;

	(void)state;
	run_text(&r, "[scenario]\ndeadline = 6s\n"
		     "[client]\nkeepalive = yes\nkeepidle = 3s\nkeepintvl = 1s\nkeepcnt = 3\n"
		     "[fault]\nat = 1s\naction = reject\ntarget = router\n");
	const struct side_result *c = &r.r.side[HOST_CLIENT];
	assert_int_equal(c->outcome, OUTCOME_RST);
	assert_int_equal(c->mechanism, MECH_PROBE);
	/* First probe at last_rx + keepidle; the RST comes back within the round trip. */
	assert_window("client detect - last_rx", c->detect_ms - c->last_rx_ms, 3000 - 20, late(3000));
	assert_int_equal(r.r.side[HOST_SERVER].outcome, OUTCOME_NONE);
	done(&r);
}

/* A frozen server's kernel still answers keepalive probes: nothing is noticed. */
static void test_freeze_keepalive(void **state)
{
	struct ran r;

	(void)state;
	run_text(&r, "[scenario]\ndeadline = 6s\n"
		     "[client]\nkeepalive = yes\nkeepidle = 1s\nkeepintvl = 1s\nkeepcnt = 2\n"
		     "[fault]\nat = 1s\naction = freeze\ntarget = server\n");
	const struct side_result *c = &r.r.side[HOST_CLIENT];
	assert_int_equal(c->outcome, OUTCOME_NONE);
	assert_false(c->detected);
	/* Probes every second were answered: the last reply is recent, well after the fault. */
	assert_true(c->has_last_rx);
	assert_window("client last_rx", c->last_rx_ms, 6000 - 1000 - late(1000), 6000 + LOAD_SLACK_MS);
	assert_int_equal(r.r.side[HOST_SERVER].outcome, OUTCOME_NONE);
	done(&r);
}

/* ... but an application heartbeat notices the hung server. */
static void test_freeze_heartbeat(void **state)
{
	struct ran r;

	(void)state;
	run_text(&r, "[scenario]\ndeadline = 6s\n"
		     "[client]\nkeepalive = yes\nkeepidle = 1s\nkeepintvl = 1s\nkeepcnt = 2\n"
		     "traffic = heartbeat\ninterval = 500ms\nheartbeat_timeout = 2s\n"
		     "[fault]\nat = 1s\naction = freeze\ntarget = server\n");
	const struct side_result *c = &r.r.side[HOST_CLIENT];
	assert_int_equal(c->outcome, OUTCOME_HEARTBEAT);
	/* The last pong came at most one interval before the fault. */
	assert_window("client detect", c->detect_ms, 2000 - 500 - 20, 2000 + LOAD_SLACK_MS);
	done(&r);
}

/* Streaming into a dropping router: TCP_USER_TIMEOUT ends it, keepalive plays no part. */
static void test_user_timeout_stream(void **state)
{
	struct ran r;

	(void)state;
	run_text(&r, "[scenario]\ndeadline = 8s\n"
		     "[client]\ntraffic = stream\ninterval = 100ms\nsize = 200\nuser_timeout = 3s\n"
		     "keepalive = yes\nkeepidle = 1s\nkeepintvl = 1s\nkeepcnt = 1\n"
		     "[fault]\nat = 1s\naction = drop\ntarget = router\n");
	const struct side_result *c = &r.r.side[HOST_CLIENT];
	assert_int_equal(c->outcome, OUTCOME_TIMEOUT);
	assert_int_equal(c->mechanism, MECH_USER_TIMEOUT);
	/* The first unacknowledged segment left within one interval after the fault. */
	assert_window("client detect", c->detect_ms, 3000 - 20, late(3000) + 100);
	assert_true(c->retransmits >= 3);
	done(&r);
}

/* A fault lifted before keepalive gives up leaves the connection alive. */
static void test_drop_heals(void **state)
{
	struct ran r;

	(void)state;
	run_text(&r, "[scenario]\ndeadline = 7s\n"
		     "[client]\nkeepalive = yes\nkeepidle = 2s\nkeepintvl = 1s\nkeepcnt = 3\n"
		     "[fault]\nat = 500ms\naction = drop\ntarget = server\nduration = 2500ms\n");
	const struct side_result *c = &r.r.side[HOST_CLIENT];
	assert_int_equal(c->outcome, OUTCOME_NONE);
	/* A probe after the drop was lifted was answered. */
	assert_window("client last_rx", c->last_rx_ms, 2500, 7000 + LOAD_SLACK_MS);
	done(&r);
}

/* sysctl.* keys are written in the host's namespace: the kernel defaults they set apply there. */
static void test_sysctl_in_namespace(void **state)
{
	struct ran r;
	char before[64] = "", after[64] = "";
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_keepalive_time", "r");

	(void)state;
	assert_non_null(f);
	assert_non_null(fgets(before, sizeof(before), f));
	fclose(f);
	run_text(&r, "[scenario]\ndeadline = 6s\n"
		     "[client]\nkeepalive = yes\nsysctl.net.ipv4.tcp_keepalive_time = 2\n"
		     "sysctl.net.ipv4.tcp_keepalive_intvl = 1\nsysctl.net.ipv4.tcp_keepalive_probes = 2\n"
		     "[fault]\nat = 1s\naction = drop\ntarget = client\n");
	const struct side_result *c = &r.r.side[HOST_CLIENT];
	assert_int_equal(c->keepidle_ms, 2000);
	assert_int_equal(c->keepintvl_ms, 1000);
	assert_int_equal(c->keepcnt, 2);
	assert_int_equal(c->outcome, OUTCOME_TIMEOUT);
	assert_window("client detect - last_rx", c->detect_ms - c->last_rx_ms, 4000 - 20, late(4000));
	/* The server's namespace kept the kernel's defaults. */
	assert_int_equal(r.r.side[HOST_SERVER].keepidle_ms, 7200000);
	/* ... and so did the namespace the test runs in. */
	f = fopen("/proc/sys/net/ipv4/tcp_keepalive_time", "r");
	assert_non_null(f);
	assert_non_null(fgets(after, sizeof(after), f));
	fclose(f);
	assert_string_equal(before, after);
	done(&r);
}

/*
 * Requests into a dropping router with tcp_retries2 = 3: the retransmission
 * timer decides, at the first timer where the time since the first lost
 * segment is at least the model timeout (2^4 - 1) x 200 ms = 3 s, which is at
 * most one more backoff step, (2^5 - 1) x 200 ms = 6.2 s. Keepalive, set
 * with far shorter times, is not armed while data is unacknowledged.
 */
static void test_request_retransmission(void **state)
{
	struct ran r;

	(void)state;
	run_text(&r, "[scenario]\ndeadline = 12s\n"
		     "[client]\ntraffic = request\ninterval = 200ms\nkeepalive = yes\nkeepidle = 1s\n"
		     "keepintvl = 1s\nkeepcnt = 1\nsysctl.net.ipv4.tcp_retries2 = 3\n"
		     "[fault]\nat = 1s\naction = drop\ntarget = router\n");
	const struct side_result *c = &r.r.side[HOST_CLIENT];
	assert_int_equal(c->outcome, OUTCOME_TIMEOUT);
	assert_int_equal(c->mechanism, MECH_RETRANSMISSION);
	assert_window("client detect", c->detect_ms, 3000 - 20, late(6200) + 200);
	assert_true(c->retransmits >= 4);
	assert_int_equal(r.r.side[HOST_SERVER].outcome, OUTCOME_NONE);
	done(&r);
}

/* A freeze lifted before the heartbeat expires goes unnoticed: pongs resume. */
static void test_freeze_heals(void **state)
{
	struct ran r;

	(void)state;
	run_text(&r, "[scenario]\ndeadline = 5s\n"
		     "[client]\ntraffic = heartbeat\ninterval = 300ms\nheartbeat_timeout = 2s\n"
		     "[fault]\nat = 1s\naction = freeze\ntarget = server\nduration = 1s\n");
	assert_int_equal(r.r.side[HOST_CLIENT].outcome, OUTCOME_NONE);
	assert_int_equal(r.r.side[HOST_SERVER].outcome, OUTCOME_NONE);
	assert_window("client last_rx", r.r.side[HOST_CLIENT].last_rx_ms, 5000 - 300 - LOAD_SLACK_MS, 5000 + LOAD_SLACK_MS);
	done(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drop_keepalive),
		cmocka_unit_test(test_kill_fin),
		cmocka_unit_test(test_reject_router),
		cmocka_unit_test(test_freeze_keepalive),
		cmocka_unit_test(test_freeze_heartbeat),
		cmocka_unit_test(test_user_timeout_stream),
		cmocka_unit_test(test_drop_heals),
		cmocka_unit_test(test_sysctl_in_namespace),
		cmocka_unit_test(test_request_retransmission),
		cmocka_unit_test(test_freeze_heals),
	};

	return run_as_root(tests);
}
