// SPDX-License-Identifier: MIT
/* Outcomes from errno, mechanisms from socket state, expectations against results. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "classify.h"
#include "unit.h"

static enum outcome from(int err)
{
	enum outcome o = OUTCOME_COUNT;

	assert_int_equal(outcome_from_errno(err, &o), 0);
	return o;
}

static void test_errno(void **state)
{
	enum outcome o;

	(void)state;
	assert_int_equal(from(0), OUTCOME_FIN);
	assert_int_equal(from(ECONNRESET), OUTCOME_RST);
	assert_int_equal(from(EPIPE), OUTCOME_RST);
	assert_int_equal(from(ETIMEDOUT), OUTCOME_TIMEOUT);
	/* The soft error the kernel reports instead of ETIMEDOUT after ICMP errors. */
	assert_int_equal(from(EHOSTUNREACH), OUTCOME_TIMEOUT);
	assert_int_equal(from(ENETUNREACH), OUTCOME_TIMEOUT);
	assert_int_equal(outcome_from_errno(EBADF, &o), -1);
	assert_int_equal(outcome_from_errno(ENOMEM, &o), -1);
}

static struct side_cfg cfg(bool keepalive, int64_t user_timeout)
{
	struct side_cfg c = { .keepalive = keepalive, .user_timeout_ms = user_timeout, .keepidle_ms = -1,
			      .keepintvl_ms = -1, .keepcnt = -1 };
	return c;
}

static void test_mechanism(void **state)
{
	struct side_cfg ka = cfg(true, 0), ka_ut = cfg(true, 5000), plain = cfg(false, 0), ut = cfg(false, 3000);
	struct tcp_snapshot idle = { .ts_ns = 1, .snd_wnd = 65535 };
	struct tcp_snapshot sending = { .ts_ns = 1, .unacked = 4, .outq = 800, .snd_wnd = 65535 };
	struct tcp_snapshot zero_window = { .ts_ns = 1, .outq = 800, .notsent = 800, .snd_wnd = 0 };
	struct tcp_snapshot window_and_flight = { .ts_ns = 1, .outq = 1600, .notsent = 800, .unacked = 1, .snd_wnd = 0 };
	struct tcp_snapshot dead = { .ts_ns = 2 };

	(void)state;
	/* Idle with keepalive: the keepalive timer decided. */
	assert_int_equal(classify_mechanism(OUTCOME_TIMEOUT, ETIMEDOUT, &ka, &idle, &dead), MECH_KEEPALIVE);
	/* Keepalive set but data in flight: keepalive is not armed, retransmission decides. */
	assert_int_equal(classify_mechanism(OUTCOME_TIMEOUT, ETIMEDOUT, &ka, &sending, &dead), MECH_RETRANSMISSION);
	assert_int_equal(classify_mechanism(OUTCOME_TIMEOUT, EHOSTUNREACH, &plain, &sending, &dead), MECH_RETRANSMISSION);
	assert_int_equal(classify_mechanism(OUTCOME_TIMEOUT, ETIMEDOUT, &ut, &sending, &dead), MECH_USER_TIMEOUT);
	assert_int_equal(classify_mechanism(OUTCOME_TIMEOUT, ETIMEDOUT, &ka_ut, &idle, &dead), MECH_USER_TIMEOUT);
	assert_int_equal(classify_mechanism(OUTCOME_TIMEOUT, ETIMEDOUT, &plain, &zero_window, &dead), MECH_ZERO_WINDOW);
	/* The zero-window probe timer is what expires, user timeout or not. */
	assert_int_equal(classify_mechanism(OUTCOME_TIMEOUT, ETIMEDOUT, &ut, &zero_window, &dead), MECH_ZERO_WINDOW);
	/* A segment still in flight means the retransmission timer runs, not the probe timer. */
	assert_int_equal(classify_mechanism(OUTCOME_TIMEOUT, ETIMEDOUT, &plain, &window_and_flight, &dead),
			 MECH_RETRANSMISSION);
	assert_int_equal(classify_mechanism(OUTCOME_TIMEOUT, ETIMEDOUT, &plain, &idle, &dead), MECH_NONE);
	/* What met the reset. */
	assert_int_equal(classify_mechanism(OUTCOME_RST, ECONNRESET, &ka, &idle, &dead), MECH_PROBE);
	assert_int_equal(classify_mechanism(OUTCOME_RST, ECONNRESET, &ka, &sending, &dead), MECH_DATA);
	assert_int_equal(classify_mechanism(OUTCOME_RST, ECONNRESET, &plain, &idle, &dead), MECH_NONE);
	assert_int_equal(classify_mechanism(OUTCOME_FIN, 0, &ka, &sending, &dead), MECH_NONE);
	assert_int_equal(classify_mechanism(OUTCOME_HEARTBEAT, 0, &ka, &idle, &dead), MECH_NONE);
}

static void test_expect(void **state)
{
	struct expect e;
	char msg[256];
	struct side_result r = { .outcome = OUTCOME_TIMEOUT, .mechanism = MECH_KEEPALIVE, .detected = true,
				 .detect_ms = 4100 };

	(void)state;
	assert_int_equal(expect_parse("timeout keepalive within 3.5s..5s", &e, msg, sizeof(msg)), 0);
	assert_int_equal(expect_verdict(&e, &r), VERDICT_PASS);
	r.detect_ms = 5001;
	assert_int_equal(expect_verdict(&e, &r), VERDICT_FAIL);
	r.detect_ms = 3499;
	assert_int_equal(expect_verdict(&e, &r), VERDICT_FAIL);
	r.detect_ms = 3500;
	assert_int_equal(expect_verdict(&e, &r), VERDICT_PASS);
	r.mechanism = MECH_RETRANSMISSION;
	assert_int_equal(expect_verdict(&e, &r), VERDICT_FAIL);
	assert_int_equal(expect_parse("timeout", &e, msg, sizeof(msg)), 0);
	assert_int_equal(expect_verdict(&e, &r), VERDICT_PASS);
	r.outcome = OUTCOME_RST;
	assert_int_equal(expect_verdict(&e, &r), VERDICT_FAIL);
	assert_int_equal(expect_parse("none", &e, msg, sizeof(msg)), 0);
	r = (struct side_result){ .outcome = OUTCOME_NONE };
	assert_int_equal(expect_verdict(&e, &r), VERDICT_PASS);

	/* Probe counts: only from the wire, inside the range, every one answered. */
	assert_int_equal(expect_parse("none probes 3..4 answered", &e, msg, sizeof(msg)), 0);
	r = (struct side_result){ .outcome = OUTCOME_NONE, .probes = 3, .probe_replies = 3 };
	assert_int_equal(expect_verdict(&e, &r), VERDICT_FAIL);	/* TCP_INFO only */
	r.counted_on_wire = true;
	assert_int_equal(expect_verdict(&e, &r), VERDICT_PASS);
	r.probe_replies = 2;
	assert_int_equal(expect_verdict(&e, &r), VERDICT_FAIL);
	r.probe_replies = r.probes = 5;
	assert_int_equal(expect_verdict(&e, &r), VERDICT_FAIL);
	r.probe_replies = r.probes = 2;
	assert_int_equal(expect_verdict(&e, &r), VERDICT_FAIL);
	assert_int_equal(expect_parse("none probes 2", &e, msg, sizeof(msg)), 0);
	r.probe_replies = 0;
	assert_int_equal(expect_verdict(&e, &r), VERDICT_PASS);

	memset(&e, 0, sizeof(e));
	assert_int_equal(expect_verdict(&e, &r), VERDICT_NONE);
}

/* The program's view: its reaction, and when, against client_app/server_app. */
static void test_app_expect(void **state)
{
	struct app_expect a;
	char msg[256];
	struct side_result r = { .app_reaction = APP_REACT_ERROR, .app_err = ECONNRESET, .app_detected = true,
				 .app_detect_ms = 4100, .outcome = OUTCOME_NONE };

	(void)state;
	assert_int_equal(app_expect_parse("error within 4s..5s", &a, msg, sizeof(msg)), 0);
	assert_int_equal(app_expect_verdict(&a, &r), VERDICT_PASS);
	r.app_detect_ms = 5000;
	assert_int_equal(app_expect_verdict(&a, &r), VERDICT_PASS);
	r.app_detect_ms = 5001;
	assert_int_equal(app_expect_verdict(&a, &r), VERDICT_FAIL);
	r.app_detect_ms = 3999;
	assert_int_equal(app_expect_verdict(&a, &r), VERDICT_FAIL);
	/* The kernel's detection time is not the program's. */
	r = (struct side_result){ .app_reaction = APP_REACT_ERROR, .detected = true, .detect_ms = 4100 };
	assert_int_equal(app_expect_verdict(&a, &r), VERDICT_FAIL);
	assert_int_equal(app_expect_parse("error", &a, msg, sizeof(msg)), 0);
	assert_int_equal(app_expect_verdict(&a, &r), VERDICT_PASS);
	r.app_reaction = APP_REACT_EOF;
	assert_int_equal(app_expect_verdict(&a, &r), VERDICT_FAIL);
	assert_int_equal(app_expect_parse("none", &a, msg, sizeof(msg)), 0);
	r = (struct side_result){ .app_reaction = APP_REACT_NONE };
	assert_int_equal(app_expect_verdict(&a, &r), VERDICT_PASS);
	assert_int_equal(app_expect_parse("exit", &a, msg, sizeof(msg)), 0);
	assert_int_equal(app_expect_verdict(&a, &r), VERDICT_FAIL);
	memset(&a, 0, sizeof(a));
	assert_int_equal(app_expect_verdict(&a, &r), VERDICT_NONE);
}

/* A side's verdict: fail if either view's expectation fails; pass if one passes; "-" if none is set. */
static void test_side_verdict(void **state)
{
	struct expect k, no_k = { 0 };
	struct app_expect a, no_a = { 0 };
	char msg[256];
	struct side_result r = { .outcome = OUTCOME_TIMEOUT, .mechanism = MECH_KEEPALIVE, .detected = true,
				 .detect_ms = 4000, .app_reaction = APP_REACT_CLOSE, .app_detected = true,
				 .app_detect_ms = 4001 };

	(void)state;
	assert_int_equal(expect_parse("timeout keepalive", &k, msg, sizeof(msg)), 0);
	assert_int_equal(app_expect_parse("close within 4s..5s", &a, msg, sizeof(msg)), 0);
	assert_int_equal(side_verdict(&k, &a, &r, false), VERDICT_PASS);
	assert_int_equal(side_verdict(&k, &no_a, &r, false), VERDICT_PASS);
	assert_int_equal(side_verdict(&no_k, &a, &r, false), VERDICT_PASS);
	assert_int_equal(side_verdict(&no_k, &no_a, &r, false), VERDICT_NONE);
	/* The program reacted too late: the side fails though its kernel did as expected. */
	r.app_detect_ms = 6000;
	assert_int_equal(side_verdict(&k, &a, &r, false), VERDICT_FAIL);
	assert_int_equal(side_verdict(&k, &no_a, &r, false), VERDICT_PASS);
	/* The kernel did otherwise: fails whatever the program did. */
	r.app_detect_ms = 4001;
	r.outcome = OUTCOME_NONE;
	assert_int_equal(side_verdict(&k, &a, &r, false), VERDICT_FAIL);
	assert_int_equal(side_verdict(&no_k, &a, &r, false), VERDICT_PASS);
	/* A run that failed fails every side that expected anything. */
	assert_int_equal(side_verdict(&no_k, &a, &r, true), VERDICT_FAIL);
	assert_int_equal(side_verdict(&k, &no_a, &r, true), VERDICT_FAIL);
	assert_int_equal(side_verdict(&no_k, &no_a, &r, true), VERDICT_NONE);
}

#define MS 1000000LL

/*
 * The program's view of an app side, from its record: when it acted and how
 * long after its kernel, its reconnection, its exit status as a shell shows
 * it; the options it set decide the mechanism; and what sock_diag could not
 * tell, the wire does.
 */
static void test_app_view(void **state)
{
	struct scenario *s = unit_load("[client]\napp = sh -c true\n[fault]\nat = 1s\naction = drop\ntarget = server\n");
	struct variant v;
	struct observation o;
	struct run_result r;
	int64_t est = 1000 * MS, fault = est + 1000 * MS;

	(void)state;
	assert_int_equal(scenario_variant(s, 0, &v, stderr), 0);
	obs_init(&o);
	o.established_ns = est;
	o.fault_ns = fault;
	o.deadline_ns = fault + 20000 * MS;
	struct obs_side *c = &o.side[HOST_CLIENT];
	c->started = c->decided = true;
	c->report = (struct ep_report){
		.ts_ns = fault + 5600 * MS, .outcome = OUTCOME_TIMEOUT, .err = ETIMEDOUT, .keepalive = 1,
		.keepidle_ms = 4000, .keepintvl_ms = 1000, .keepcnt = 2, .user_timeout_ms = 0,
		.after = { .probes = 2 },
		.app = { .observer = OBSERVER_EBPF, .reaction = APP_REACT_LINE, .ts_ns = fault + 1600 * MS,
			 .exited = true, .exit_status = SIGKILL, .line = "peer not responding", .observe_lag_ns = 40000,
			 .connections = 2, .conn_ns = { est, fault + 7000 * MS } },
	};
	o.side[HOST_SERVER].started = o.side[HOST_SERVER].decided = true;
	/* The built-in server's last look at its established socket (TCP_ESTABLISHED). */
	o.side[HOST_SERVER].report = (struct ep_report){ .ts_ns = o.deadline_ns, .outcome = OUTCOME_NONE,
							 .before = { .ts_ns = o.deadline_ns - MS, .state = 1 } };
	classify_run(&v, &o, &r);
	const struct side_result *sr = &r.side[HOST_CLIENT];
	assert_int_equal(sr->outcome, OUTCOME_TIMEOUT);
	assert_int_equal(sr->mechanism, MECH_KEEPALIVE);	/* from the keepalive it set, not the file */
	assert_int_equal(sr->keepalive, 1);
	assert_int_equal(sr->detect_ms, 5600);
	assert_int_equal(sr->observer, OBSERVER_EBPF);
	assert_int_equal(sr->app_reaction, APP_REACT_LINE);
	assert_int_equal(sr->app_detect_ms, 1600);
	assert_true(sr->has_app_lag);
	assert_int_equal(sr->app_lag_ms, -4000);	/* its own timeout acted first */
	assert_true(sr->app_exited);
	assert_int_equal(sr->app_exit_status, 128 + SIGKILL);
	assert_string_equal(sr->app_line, "peer not responding");
	assert_int_equal(sr->connections, 2);
	assert_true(sr->has_reconnect);
	assert_int_equal(sr->reconnect_ms, 7000);
	assert_true(sr->has_observe_lag);
	assert_int_equal(sr->observe_lag_us, 40);

	/* What the program does after the deadline is too late. */
	c->report.app.ts_ns = o.deadline_ns + 1;
	classify_run(&v, &o, &r);
	assert_int_equal(r.side[HOST_CLIENT].app_reaction, APP_REACT_NONE);
	assert_false(r.side[HOST_CLIENT].app_detected);

	/* sock_diag saw the connection vanish: the wire says a FIN came first. */
	c->report.app = (struct app_view){ .observer = OBSERVER_SOCK_DIAG, .reaction = APP_REACT_CLOSE,
					   .ts_ns = fault + 3 * MS, .connections = 1, .conn_ns = { est } };
	c->report.outcome = OUTCOME_RST;
	c->report.err = 0;
	c->report.ts_ns = fault + 3 * MS;
	c->on_wire = true;
	c->wire.first_fin_in = fault + 1 * MS;
	classify_run(&v, &o, &r);
	assert_int_equal(r.side[HOST_CLIENT].outcome, OUTCOME_FIN);
	assert_false(r.side[HOST_CLIENT].has_reconnect);
	/* ... no FIN and no reset: its kernel gave up. */
	c->wire.first_fin_in = 0;
	classify_run(&v, &o, &r);
	assert_int_equal(r.side[HOST_CLIENT].outcome, OUTCOME_TIMEOUT);
	c->wire.first_rst_in = fault + 2 * MS;
	classify_run(&v, &o, &r);
	assert_int_equal(r.side[HOST_CLIENT].outcome, OUTCOME_RST);

	/* A built-in side describes itself: it reacts the instant it notices. */
	const struct side_result *srv = &r.side[HOST_SERVER];
	assert_int_equal(srv->observer, OBSERVER_BUILTIN);
	assert_int_equal(srv->app_reaction, APP_REACT_NONE);
	assert_int_equal(srv->connections, 1);
	/* One whose connect failed (start = listening) had none; nor had a server that never accepted one. */
	o.side[HOST_SERVER].report.before.state = 2;	/* TCP_SYN_SENT */
	classify_run(&v, &o, &r);
	assert_int_equal(srv->connections, 0);
	o.side[HOST_SERVER].report.before = (struct tcp_snapshot){ 0 };
	classify_run(&v, &o, &r);
	assert_int_equal(srv->connections, 0);
	obs_release(&o);
	variant_release(&v);
	scenario_free(s);
}

UNIT_TESTS(
	cmocka_unit_test(test_app_view),
	cmocka_unit_test(test_errno),
	cmocka_unit_test(test_mechanism),
	cmocka_unit_test(test_expect),
	cmocka_unit_test(test_app_expect),
	cmocka_unit_test(test_side_verdict)
)
