// SPDX-License-Identifier: MIT
/*
 * Integration tests (root): the other ways a peer vanishes — host crash with
 * and without restart, a pulled cable, a middlebox that forgets idle flows,
 * timelines of several faults — and which kernel timer decides. Windows come
 * from the kernel's rules; see test_run.h for the slack.
 */
#define _GNU_SOURCE
#include <errno.h>

#include "test_run.h"

/* Crash and reboot of the server: the client's next keepalive probe meets an RST. */
static void crash_restart(const char *family)
{
	char text[512];
	struct ran r;

	snprintf(text, sizeof(text),
		 "[scenario]\nfamily = %s\ndeadline = 8s\n"
		 "[client]\nkeepalive = yes\nkeepidle = 3s\nkeepintvl = 1s\nkeepcnt = 3\n"
		 "[fault]\nat = 1s\naction = crash\ntarget = server\nrestart = 500ms\nrestart_service = yes\n",
		 family);
	run_text(&r, text);
	const struct side_result *c = &r.r.side[HOST_CLIENT];
	assert_int_equal(r.r.side[HOST_SERVER].outcome, OUTCOME_KILLED);
	assert_int_equal(c->outcome, OUTCOME_RST);
	assert_int_equal(c->mechanism, MECH_PROBE);
	assert_int_equal(c->err, ECONNRESET);
	/* Nothing came from the crashed host: the last word was the handshake. */
	assert_window("client last_rx", c->last_rx_ms, -1000 - LOAD_SLACK_MS, -900);
	assert_window("client detect - last_rx", c->detect_ms - c->last_rx_ms, 3000 - 20, late(3000));
	done(&r);
}

static void test_crash_restart_ipv4(void **state)
{
	(void)state;
	crash_restart("ipv4");
}

static void test_crash_restart_ipv6(void **state)
{
	(void)state;
	crash_restart("ipv6");
}

/*
 * Crash without reboot while the client streams, tcp_retries2 = 3: the
 * retransmission timer gives up at the first timer past the model timeout
 * (2^4 - 1) x 200 ms = 3 s, at most one backoff step later (6.2 s). The
 * router's ICMP host unreachable is what the socket reports.
 */
static void test_crash_no_restart_stream(void **state)
{
	struct ran r;

	(void)state;
	run_text(&r, "[scenario]\ndeadline = 12s\n"
		     "[client]\ntraffic = stream\ninterval = 100ms\nsysctl.net.ipv4.tcp_retries2 = 3\n"
		     "[fault]\nat = 1s\naction = crash\ntarget = server\n");
	const struct side_result *c = &r.r.side[HOST_CLIENT];
	assert_int_equal(r.r.side[HOST_SERVER].outcome, OUTCOME_KILLED);
	assert_int_equal(c->outcome, OUTCOME_TIMEOUT);
	assert_int_equal(c->mechanism, MECH_RETRANSMISSION);
	assert_int_equal(c->err, EHOSTUNREACH);
	assert_window("client detect", c->detect_ms, 3000 - 20, late(6200) + 100);
	done(&r);
}

/* The client's cable is pulled: the server's keepalive finds out, the client never does. */
static void test_link_down_client(void **state)
{
	struct ran r;

	(void)state;
	run_text(&r, "[scenario]\ndeadline = 7s\n"
		     "[server]\nkeepalive = yes\nkeepidle = 2s\nkeepintvl = 1s\nkeepcnt = 3\n"
		     "[fault]\nat = 1s\naction = link-down\ntarget = client\n");
	const struct side_result *s = &r.r.side[HOST_SERVER];
	assert_int_equal(s->outcome, OUTCOME_TIMEOUT);
	assert_int_equal(s->mechanism, MECH_KEEPALIVE);
	assert_true(s->err == ETIMEDOUT || s->err == EHOSTUNREACH);
	assert_window("server detect - last_rx", s->detect_ms - s->last_rx_ms, 5000 - 20, late(5000));
	assert_int_equal(r.r.side[HOST_CLIENT].outcome, OUTCOME_NONE);
	done(&r);
}

/*
 * A middlebox forgets flows idle for 2 s. Requests every 4 s: the second one
 * finds no state, is dropped silently, and the retransmission timer
 * (tcp_retries2 = 3) ends the connection 3 to 6.2 s after it was sent.
 */
static void test_middlebox_breaks_idle(void **state)
{
	struct ran r;

	(void)state;
	run_text(&r, "[scenario]\ndeadline = 15s\n"
		     "[client]\ntraffic = request\ninterval = 4s\nsysctl.net.ipv4.tcp_retries2 = 3\n"
		     "[router]\nidle_timeout = 2s\n");
	const struct side_result *c = &r.r.side[HOST_CLIENT];
	assert_int_equal(c->outcome, OUTCOME_TIMEOUT);
	assert_int_equal(c->mechanism, MECH_RETRANSMISSION);
	/* No fault: times count from establishment; the first request was answered. */
	assert_window("client last_rx", c->last_rx_ms, -20, 100);
	assert_window("client detect", c->detect_ms, 4000 + 3000 - 20, 4000 + late(6200));
	assert_int_equal(r.r.side[HOST_SERVER].outcome, OUTCOME_NONE);
	done(&r);
}

/* ... while keepalive probes every second keep the flow in the middlebox's table. */
static void test_middlebox_keepalive_keeps(void **state)
{
	struct ran r;

	(void)state;
	run_text(&r, "[scenario]\ndeadline = 9s\n"
		     "[client]\ntraffic = request\ninterval = 4s\nkeepalive = yes\nkeepidle = 1s\nkeepintvl = 1s\n"
		     "keepcnt = 3\nsysctl.net.ipv4.tcp_retries2 = 3\n"
		     "[router]\nidle_timeout = 2s\n");
	const struct side_result *c = &r.r.side[HOST_CLIENT];
	assert_int_equal(c->outcome, OUTCOME_NONE);
	assert_int_equal(c->retransmits, 0);
	/* The request at 8 s was answered. */
	assert_window("client last_rx", c->last_rx_ms, 8000 - 20, 9000 + LOAD_SLACK_MS);
	done(&r);
}

/* Keepalive (1s/1s/1 would give up after 2 s) is not armed while data is in flight. */
static void test_keepalive_while_streaming(void **state)
{
	struct ran r;

	(void)state;
	run_text(&r, "[scenario]\ndeadline = 12s\n"
		     "[client]\ntraffic = stream\ninterval = 100ms\nkeepalive = yes\nkeepidle = 1s\n"
		     "keepintvl = 1s\nkeepcnt = 1\nsysctl.net.ipv4.tcp_retries2 = 3\n"
		     "[fault]\nat = 1s\naction = drop\ntarget = router\n");
	const struct side_result *c = &r.r.side[HOST_CLIENT];
	assert_int_equal(c->outcome, OUTCOME_TIMEOUT);
	assert_int_equal(c->mechanism, MECH_RETRANSMISSION);
	assert_int_equal(c->err, ETIMEDOUT);
	assert_window("client detect", c->detect_ms, 3000 - 20, late(6200) + 100);
	done(&r);
}

static void test_drop_ipv6(void **state)
{
	struct ran r;

	(void)state;
	run_text(&r, "[scenario]\nfamily = ipv6\ndeadline = 8s\n"
		     "[client]\nkeepalive = yes\nkeepidle = 2s\nkeepintvl = 1s\nkeepcnt = 3\n"
		     "[fault]\nat = 1s\naction = drop\ntarget = router\ndirection = to-client\n");
	const struct side_result *c = &r.r.side[HOST_CLIENT];
	assert_int_equal(c->outcome, OUTCOME_TIMEOUT);
	assert_int_equal(c->mechanism, MECH_KEEPALIVE);
	assert_window("client detect - last_rx", c->detect_ms - c->last_rx_ms, 5000 - 20, late(5000));
	assert_int_equal(c->retransmits, 0);
	done(&r);
}

/*
 * A timeline: a drop that heals after 1 s, well before keepalive (1s/1s/5)
 * would give up, then a kill at 3 s. The connection survives the first fault
 * and the client reads the FIN 2.5 s after the first fault began.
 */
static void test_timeline(void **state)
{
	struct ran r;

	(void)state;
	run_text(&r, "[scenario]\ndeadline = 8s\n"
		     "[client]\nkeepalive = yes\nkeepidle = 1s\nkeepintvl = 1s\nkeepcnt = 5\n"
		     "[fault late]\nat = 3s\naction = kill\ntarget = server\n"
		     "[fault]\nat = 500ms\naction = drop\ntarget = server\nduration = 1s\n");
	const struct side_result *c = &r.r.side[HOST_CLIENT];
	assert_int_equal(r.r.fault_at_ms, 500);
	assert_int_equal(c->outcome, OUTCOME_FIN);
	assert_window("client detect", c->detect_ms, 2500 - 20, 2500 + LOAD_SLACK_MS);
	assert_int_equal(r.r.side[HOST_SERVER].outcome, OUTCOME_KILLED);
	done(&r);
}

/*
 * The server hangs while the client streams: its receive buffer fills, the
 * window closes, and its kernel answers the zero-window probes. With
 * TCP_USER_TIMEOUT = 3 s the probe timer gives up 3 s after probing began.
 */
static void test_zero_window(void **state)
{
	struct ran r;

	(void)state;
	run_text(&r, "[scenario]\ndeadline = 12s\n"
		     "[client]\ntraffic = stream\ninterval = 10ms\nsize = 60000\nuser_timeout = 3s\n"
		     "[fault]\nat = 1s\naction = freeze\ntarget = server\n");
	const struct side_result *c = &r.r.side[HOST_CLIENT];
	assert_int_equal(c->outcome, OUTCOME_TIMEOUT);
	assert_int_equal(c->mechanism, MECH_ZERO_WINDOW);
	assert_int_equal(c->before.snd_wnd, 0);
	/* Filling the buffer takes up to a couple of seconds before probing starts. */
	assert_window("client detect", c->detect_ms, 3000 - 20, late(3000) + 2500);
	done(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_restart_ipv4),
		cmocka_unit_test(test_crash_restart_ipv6),
		cmocka_unit_test(test_crash_no_restart_stream),
		cmocka_unit_test(test_link_down_client),
		cmocka_unit_test(test_middlebox_breaks_idle),
		cmocka_unit_test(test_middlebox_keepalive_keeps),
		cmocka_unit_test(test_keepalive_while_streaming),
		cmocka_unit_test(test_drop_ipv6),
		cmocka_unit_test(test_timeline),
		cmocka_unit_test(test_zero_window),
	};

	return run_as_root(tests);
}
