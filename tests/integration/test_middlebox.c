// SPDX-License-Identifier: MIT
/*
 * Integration tests (root): [router] idle_action = reset. The router's
 * connection tracking forgets a flow idle for idle_timeout; the next segment
 * of it is answered with a TCP reset, whatever nf_conntrack_tcp_loose says
 * (with 0 conntrack calls the segment invalid, with 1 new without a SYN).
 * Only the sender of that segment gets the reset: its peer is not told.
 * No fault: times count from establishment.
 */
#define _GNU_SOURCE
#include <errno.h>

#include "test_run.h"

/* Both families, each with nf_conntrack_tcp_loose 0 (the segment is invalid) and 1 (new without a SYN). */
struct request_case {
	const char *family;
	int loose;
};
static struct request_case cases[] = { { "ipv4", 0 }, { "ipv4", 1 }, { "ipv6", 0 }, { "ipv6", 1 } };

/*
 * A request every 3 s through a middlebox that forgets flows after 2 s: the
 * request at 3 s meets the RST within the round trip; the server, which
 * sends nothing of its own, never hears of it.
 */
static void test_request_reset(void **state)
{
	const struct request_case *rc = *state;
	char text[512];
	struct ran r;

	snprintf(text, sizeof(text),
		 "[scenario]\nfamily = %s\ndeadline = 4s\n"
		 "[client]\ntraffic = request\ninterval = 3s\nsysctl.net.ipv4.tcp_retries2 = 3\n"
		 "[router]\nidle_timeout = 2s\nidle_action = reset\nsysctl.net.netfilter.nf_conntrack_tcp_loose = %d\n",
		 rc->family, rc->loose);
	print_message("  %s, nf_conntrack_tcp_loose = %d\n", rc->family, rc->loose);
	run_text(&r, text);
	const struct side_result *c = &r.r.side[HOST_CLIENT], *s = &r.r.side[HOST_SERVER];
	assert_int_equal(c->outcome, OUTCOME_RST);
	assert_int_equal(c->mechanism, MECH_DATA);
	assert_int_equal(c->err, ECONNRESET);
	/* The request timer runs from the endpoint's start, a few ms before establishment is recorded. */
	assert_window("client detect", c->detect_ms, 3000 - 100, 3000 + LOAD_SLACK_MS);
	assert_int_equal(c->retransmits, 0);
	assert_true(c->has_prediction);
	assert_int_equal(c->predicted_outcome, OUTCOME_RST);
	assert_int_equal(c->predicted_mechanism, MECH_DATA);
	/* In the run the reset is placed at the request the capture saw leave: the measured time, to a few ms. */
	assert_window("client predicted", c->predicted_ms, 3000 - 100, 3000 + LOAD_SLACK_MS);
	assert_window("client model error", c->detect_ms - c->predicted_ms, -10, 10);
	assert_int_equal(s->outcome, OUTCOME_NONE);
	assert_int_equal(s->predicted_outcome, OUTCOME_NONE);
	done(&r);
}

/*
 * An idle client with keepalive 3s/1s/3: the flow is forgotten at 2 s, and
 * the first probe, at last_rx + keepidle = 3 s, meets the RST instead of
 * the three unanswered probes a dropping middlebox would let it send.
 */
static void test_keepalive_probe_reset(void **state)
{
	struct ran r;

	(void)state;
	run_text(&r, "[scenario]\ndeadline = 4500ms\n"
		     "[client]\nkeepalive = yes\nkeepidle = 3s\nkeepintvl = 1s\nkeepcnt = 3\n"
		     "[router]\nidle_timeout = 2s\nidle_action = reset\n");
	const struct side_result *c = &r.r.side[HOST_CLIENT];
	assert_int_equal(c->outcome, OUTCOME_RST);
	assert_int_equal(c->mechanism, MECH_PROBE);
	assert_int_equal(c->err, ECONNRESET);
	assert_true(c->has_last_rx);
	/* A 3 s keepalive timer lands on the wheel's coarser level: late() allows for it. */
	assert_window("client detect - last_rx", c->detect_ms - c->last_rx_ms, 3000 - 20, late(3000));
	assert_int_equal(c->probes, 1);
	assert_true(c->has_prediction);
	assert_int_equal(c->predicted_outcome, OUTCOME_RST);
	assert_int_equal(c->predicted_mechanism, MECH_PROBE);
	assert_int_equal(r.r.side[HOST_SERVER].outcome, OUTCOME_NONE);
	done(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate(test_request_reset, &cases[0]),
		cmocka_unit_test_prestate(test_request_reset, &cases[1]),
		cmocka_unit_test_prestate(test_request_reset, &cases[2]),
		cmocka_unit_test_prestate(test_request_reset, &cases[3]),
		cmocka_unit_test(test_keepalive_probe_reset),
	};

	return run_as_root(tests);
}
