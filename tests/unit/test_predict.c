// SPDX-License-Identifier: MIT
/* The predictor against the kernel's own figures and the rules in README.md. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include "fault.h"
#include "predict.h"

static void test_model_timeout(void **state)
{
	(void)state;
	/* Linux: tcp_retries2 = 15 gives 924.6 s (Documentation/networking/ip-sysctl.rst). */
	assert_int_equal(tcp_model_timeout_ms(15, 200), 924600);
	/* Below the 120 s cap: (2^(r+1) - 1) x 200 ms. */
	assert_int_equal(tcp_model_timeout_ms(3, 200), 3000);
	assert_int_equal(tcp_model_timeout_ms(8, 200), 102200);
	assert_int_equal(tcp_model_timeout_ms(9, 200), 204600);
	assert_int_equal(tcp_model_timeout_ms(10, 200), 324600);
	/*
	 * The kernel counts it from the first retransmission (200 ms after the
	 * loss) and gives up at the first RTO timer past it; timers then come at
	 * 400, 1200, 2800, 6000 ... ms after the first retransmission.
	 */
	assert_int_equal(retransmission_abort_ms(3), 200 + 6000);
	assert_int_equal(retransmission_abort_ms(5), 200 + 25200);
	/* 924.6 s is "a lower bound for the effective timeout" (ip-sysctl.rst). */
	assert_int_equal(retransmission_abort_ms(15), 200 + 1044400);
}

static void test_keepalive(void **state)
{
	char b[32];

	(void)state;
	/* The defaults 7200/75/9: 2 h 11 min 15 s (seeds 000, 001, 003). */
	assert_int_equal(keepalive_abort_ms(7200000, 75000, 9, 0), 7875000);
	format_duration(b, sizeof(b), keepalive_abort_ms(7200000, 75000, 9, 0));
	assert_string_equal(b, "2h11m15s");
	/* 30/1/3 of seed 002: 33 s. */
	assert_int_equal(keepalive_abort_ms(30000, 1000, 3, 0), 33000);
	/* With TCP_USER_TIMEOUT the count no longer matters: first probe timer past it, one probe out. */
	assert_int_equal(keepalive_abort_ms(5000, 3000, 3, 10000), 11000);
	assert_int_equal(keepalive_abort_ms(5000, 3000, 3, 20000), 20000);
	assert_int_equal(keepalive_abort_ms(5000, 3000, 3, 1000), 8000);
	assert_int_equal(keepalive_abort_ms(5000, 3000, 10, 14000), 14000);
}

static struct variant base(void)
{
	struct variant v;

	memset(&v, 0, sizeof(v));
	for (int s = 0; s < SIDE_COUNT; s++) {
		v.side[s] = (struct side_cfg){ .keepidle_ms = -1, .keepintvl_ms = -1, .keepcnt = -1,
					       .traffic = TRAFFIC_IDLE, .interval_ms = 1000, .size = 100,
					       .heartbeat_timeout_ms = 3000, .port = 7000 };
	}
	v.router.idle_timeout_ms = -1;
	v.deadline_ms = 30000;
	return v;
}

/* SO_KEEPALIVE with TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT set. */
static void keepalive_on(struct side_cfg *c, int64_t idle_ms, int64_t intvl_ms, int64_t cnt)
{
	c->keepalive = true;
	c->keepidle_ms = idle_ms;
	c->keepintvl_ms = intvl_ms;
	c->keepcnt = cnt;
}

static struct fault_cfg fault(const char *a, enum host target, int64_t at)
{
	return (struct fault_cfg){ .name = "", .at_ms = at, .kind = fault_kind_find(a), .target = target,
				   .direction = DIR_BOTH, .restart_ms = -1 };
}

static void test_sides(void **state)
{
	struct variant v = base();
	struct prediction p;

	(void)state;
	/* Drop at the server, client keepalive 2/1/3, idle since the handshake 1 s before. */
	keepalive_on(&v.side[HOST_CLIENT], 2000, 1000, 3);
	v.faults[v.n_faults++] = fault("drop", HOST_SERVER, 1000);
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_TIMEOUT);
	assert_int_equal(p.mechanism, MECH_KEEPALIVE);
	assert_true(p.has_time);
	assert_int_equal(p.ms, 4000);
	/* A measured last_rx moves the prediction with it. */
	predict_side(&v, HOST_CLIENT, true, -1004, &p);
	assert_int_equal(p.ms, 3996);
	/* The other side, idle without keepalive: half-open. */
	predict_side(&v, HOST_SERVER, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_NONE);
	assert_false(p.has_time);

	/* Defaults from the side's sysctls when the options are absent. */
	v.side[HOST_CLIENT].keepidle_ms = -1;
	v.side[HOST_CLIENT].sysctls[v.side[HOST_CLIENT].n_sysctls++] =
		(struct sysctl_setting){ "net.ipv4.tcp_keepalive_time", "10", 1 };
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.ms, 12000);

	/* A drop lifted before keepalive gives up: nothing to notice. */
	v.faults[0].duration_ms = 2000;
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_NONE);
}

static void test_data_in_flight(void **state)
{
	struct variant v = base();
	struct prediction p;

	(void)state;
	v.side[HOST_CLIENT].traffic = TRAFFIC_STREAM;
	keepalive_on(&v.side[HOST_CLIENT], 1000, 1000, 1);
	v.faults[v.n_faults++] = fault("crash", HOST_SERVER, 1000);
	/* Keepalive is not armed while data is unacknowledged: tcp_retries2 = 15 decides. */
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_TIMEOUT);
	assert_int_equal(p.mechanism, MECH_RETRANSMISSION);
	assert_int_equal(p.ms, 1044600);
	predict_side(&v, HOST_SERVER, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_KILLED);
	/* TCP_USER_TIMEOUT bounds it. */
	v.side[HOST_CLIENT].user_timeout_ms = 3000;
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.mechanism, MECH_USER_TIMEOUT);
	assert_int_equal(p.ms, 3200);
	/* After a restart, the first retransmission once the host is back meets an RST. */
	v.side[HOST_CLIENT].user_timeout_ms = 0;
	v.faults[0].restart_ms = 500;
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_RST);
	assert_int_equal(p.mechanism, MECH_DATA);
	assert_int_equal(p.ms, 600);	/* retransmissions at 200, 600 ms */
}

static void test_restart_probe_and_kill(void **state)
{
	struct variant v = base();
	struct prediction p;

	(void)state;
	keepalive_on(&v.side[HOST_CLIENT], 3000, 1000, 3);
	v.faults[v.n_faults++] = fault("crash", HOST_SERVER, 1000);
	v.faults[0].restart_ms = 500;
	/* The next probe, at last_rx (-1 s) + keepidle 3 s, finds the rebooted host. */
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_RST);
	assert_int_equal(p.mechanism, MECH_PROBE);
	assert_int_equal(p.ms, 2000);
	/* A reboot after three probes: the fourth timer aborts first. */
	v.faults[0].restart_ms = 6000;
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_TIMEOUT);
	assert_int_equal(p.ms, 5000);

	v.faults[0] = fault("kill", HOST_SERVER, 1000);
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_FIN);
	assert_int_equal(p.ms, 0);
}

static void test_freeze_and_heartbeat(void **state)
{
	struct variant v = base();
	struct prediction p;

	(void)state;
	keepalive_on(&v.side[HOST_CLIENT], 1000, 1000, 2);
	v.faults[v.n_faults++] = fault("freeze", HOST_SERVER, 1000);
	/* Keepalive does not see a hung process: its kernel answers. */
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_NONE);
	/* A heartbeat every 500 ms with a 2 s timeout: last answer 500 ms before the fault. */
	v.side[HOST_CLIENT].traffic = TRAFFIC_HEARTBEAT;
	v.side[HOST_CLIENT].interval_ms = 500;
	v.side[HOST_CLIENT].heartbeat_timeout_ms = 2000;
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_HEARTBEAT);
	assert_int_equal(p.ms, 1500);
	/* Thawed before it expires: nothing. */
	v.faults[0].duration_ms = 1000;
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_NONE);
}

/* An app side's options are the program's own: nothing is predicted but being the first fault's victim. */
static void test_app_side(void **state)
{
	struct variant v = base();
	struct prediction p;

	(void)state;
	v.side[HOST_SERVER].app.command = "redis-server";
	predict_side(&v, HOST_SERVER, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_COUNT);
	assert_false(p.has_time);
	assert_string_equal(p.rule, "the program sets its own socket options: see the measured run");
	v.faults[v.n_faults++] = fault("drop", HOST_SERVER, 1000);
	predict_side(&v, HOST_SERVER, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_COUNT);
	/* The built-in client facing it follows its own timers. */
	keepalive_on(&v.side[HOST_CLIENT], 2000, 1000, 3);
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_TIMEOUT);
	assert_int_equal(p.mechanism, MECH_KEEPALIVE);
	/* Crashed first, it is killed whatever its program did; crashed after a drop, nothing is certain. */
	v.faults[0] = fault("crash", HOST_SERVER, 1000);
	predict_side(&v, HOST_SERVER, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_KILLED);
	v.faults[0] = fault("drop", HOST_SERVER, 1000);
	v.faults[v.n_faults++] = fault("kill", HOST_SERVER, 2000);
	predict_side(&v, HOST_SERVER, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_COUNT);
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_TIMEOUT);
}

static bool near(double x, double y)
{
	double d = x - y;

	return (d < 0 ? -d : d) <= 1e-12;
}

/* The chance a lossy link kills an idle side by its keepalive, against sums worked by hand. */
static void test_kill_chance(void **state)
{
	(void)state;
	/* Every probe fails: killed once cnt of them fit; none fails: never. */
	assert_true(near(keepalive_kill_chance(500, 1000, 1000, 3, 1.0, INT64_MAX, 3500), 1));
	assert_true(near(keepalive_kill_chance(500, 1000, 1000, 3, 1.0, INT64_MAX, 3499), 0));
	assert_true(near(keepalive_kill_chance(500, 1000, 1000, 3, 0.0, INT64_MAX, 60000), 0));
	/*
	 * keepcnt 1: the first failed probe kills, keepintvl later. Probes at
	 * 500, 1500, ... ms; the one at 18.5s is the last whose abort (19.5s)
	 * is in a 20s deadline: alive only if all 19 were answered.
	 */
	double alive = 1;
	for (int i = 0; i < 19; i++)
		alive *= 0.49;
	assert_true(near(keepalive_kill_chance(500, 1000, 1000, 1, 0.51, INT64_MAX, 20000), 1 - alive));
	/* keepcnt 9 cannot be reached before 9.5s. */
	assert_true(near(keepalive_kill_chance(500, 1000, 1000, 9, 0.51, INT64_MAX, 9499), 0));
	/* The loss lifted at 1.5s: only the probe at 500 ms can fail. */
	assert_true(near(keepalive_kill_chance(500, 1000, 1000, 1, 0.3, 1500, 60000), 0.3));
	/*
	 * keepidle 3s, keepintvl 1s, keepcnt 2, q = 1/2, first probe at 0, 6s:
	 * lost, lost (killed at 2s): 1/4; lost, answered, lost, lost (6s): 1/16;
	 * answered, lost, lost (5s): 1/8. Anything else ends after 6s.
	 */
	assert_true(near(keepalive_kill_chance(0, 3000, 1000, 2, 0.5, INT64_MAX, 6000), 0.4375));
	/* Too many probes before the horizon to work out. */
	assert_true(keepalive_kill_chance(0, 1000, 1000, 127, 0.5, INT64_MAX, 720LL * 3600 * 1000) < 0);
}

/* loss: nothing certain but where nothing can end the connection; the rule gives the chance. */
static void test_loss(void **state)
{
	struct variant v = base();
	struct prediction p;

	(void)state;
	v.deadline_ms = 20000;
	v.faults[v.n_faults++] = fault("loss", HOST_ROUTER, 500);
	v.faults[0].probability = 30;
	/* Idle without keepalive on both sides: nothing is sent, nothing lost. */
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_NONE);
	/* keepalive 1s/1s/1 on 30% each way: p = 51% per probe. */
	keepalive_on(&v.side[HOST_CLIENT], 1000, 1000, 1);
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_COUNT);
	assert_false(p.has_time);
	assert_string_equal(p.rule, "a probe or its reply is lost with p = 51%; keepalive 1s/1s/1 gives up at 1 lost in "
				    "a row: killed by the deadline (20s) with probability 1 - 1.3e-06");
	/* The server hears of it only if the reset gets through. */
	predict_side(&v, HOST_SERVER, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_COUNT);
	/* One direction: only the probe can be lost. A measured last_rx after the fault is chance's doing. */
	v.faults[0].direction = DIR_TO_CLIENT;
	predict_side(&v, HOST_CLIENT, true, 2500, &p);
	assert_non_null(strstr(p.rule, "p = 30%"));
	assert_non_null(strstr(p.rule, "with probability 99.9%"));	/* 1 - 0.7^19 */
	/* keepcnt 30 does not fit before the deadline: certain, for both. */
	v.faults[0].direction = DIR_BOTH;
	keepalive_on(&v.side[HOST_CLIENT], 1000, 1000, 30);
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_NONE);
	predict_side(&v, HOST_SERVER, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_NONE);
	/* Too long a deadline to work it out: said so. */
	v.deadline_ms = 720LL * 3600 * 1000;
	keepalive_on(&v.side[HOST_CLIENT], 1000, 1000, 100);
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_COUNT);
	assert_non_null(strstr(p.rule, "too many keepalive probes"));
	/* A side that sends: retransmissions, chance. */
	v.side[HOST_CLIENT].traffic = TRAFFIC_STREAM;
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_COUNT);
	assert_non_null(strstr(p.rule, "retransmitted"));
}

UNIT_TESTS(
	cmocka_unit_test(test_app_side),
	cmocka_unit_test(test_model_timeout),
	cmocka_unit_test(test_keepalive),
	cmocka_unit_test(test_sides),
	cmocka_unit_test(test_data_in_flight),
	cmocka_unit_test(test_restart_probe_and_kill),
	cmocka_unit_test(test_freeze_and_heartbeat),
	cmocka_unit_test(test_kill_chance),
	cmocka_unit_test(test_loss)
)
