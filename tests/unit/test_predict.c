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

/* An application heartbeat: a ping every @interval_ms, dead after @timeout_ms without an answer. */
static void heartbeat_on(struct side_cfg *c, int64_t interval_ms, int64_t timeout_ms)
{
	c->traffic = TRAFFIC_HEARTBEAT;
	c->interval_ms = interval_ms;
	c->heartbeat_timeout_ms = timeout_ms;
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
	/*
	 * A heartbeat every 500 ms with a 2 s timeout. The ping due at the
	 * fault's instant is answered before the process stops: 2 s (measured
	 * 2.000 s); a drop is in place first and loses it: 1.5 s (1.501 s).
	 */
	heartbeat_on(&v.side[HOST_CLIENT], 500, 2000);
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_HEARTBEAT);
	assert_int_equal(p.ms, 2000);
	assert_true(p.has_window && p.earliest_ms <= 1500 && p.latest_ms >= 2000);
	v.faults[0] = fault("drop", HOST_SERVER, 1000);
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.ms, 1500);
	/* Not at a ping's instant: no race, the last answer is the ping before. */
	v.faults[0] = fault("freeze", HOST_SERVER, 1200);
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.ms, 1000 + 2000 - 1200);
	/* the wheel's rounding, and the few ms a fault takes to be in place for a stream */
	assert_true(p.latest_ms - p.earliest_ms <= 30);
	v.faults[0] = fault("freeze", HOST_SERVER, 1000);
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

/* SYN retransmissions against the times measured on Linux 6.18 (README "Connecting to a dead peer"). */
static void test_syn_abort(void **state)
{
	int64_t sent;

	(void)state;
	/* 6 + 4: 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s, given up at 131 s after 10 retransmissions (measured 134-135 s). */
	assert_int_equal(syn_abort_ms(6, 4, 0, &sent), 131000);
	assert_int_equal(sent, 10);
	/* Without linear timeouts, the classic 1, 3, 7, 15, 31, 63 s and 127 s. */
	assert_int_equal(syn_abort_ms(6, 0, 0, &sent), 127000);
	assert_int_equal(sent, 6);
	/* tcp_syn_retries 2: the time limit (2^3 - 1) s ends it at 7 s, after 5 retransmissions, not 2 + 4. */
	assert_int_equal(syn_abort_ms(2, 4, 0, &sent), 7000);
	assert_int_equal(sent, 5);
	/* 3 + 4: 19 s; 3 + 0: 15 s. */
	assert_int_equal(syn_abort_ms(3, 4, 0, &sent), 19000);
	assert_int_equal(syn_abort_ms(3, 0, 0, &sent), 15000);
	/* TCP_USER_TIMEOUT: the timer is clamped to it. */
	assert_int_equal(syn_abort_ms(6, 4, 1500, &sent), 1500);
	assert_int_equal(sent, 1);
	/* ... unless the count ends it first. */
	assert_int_equal(syn_abort_ms(1, 0, 60000, &sent), 3000);
}

/* start = listening: a variant whose client connects at @connect_at with the syn sysctls set. */
static struct variant listening(int64_t connect_at)
{
	struct variant v = base();
	struct side_cfg *c = &v.side[HOST_CLIENT];

	v.start = START_LISTENING;
	c->connect_at_ms = connect_at;
	c->sysctls[c->n_sysctls++] = (struct sysctl_setting){ "net.ipv4.tcp_syn_retries", "2", 1 };
	c->sysctls[c->n_sysctls++] = (struct sysctl_setting){ "net.ipv4.tcp_syn_linear_timeouts", "4", 2 };
	return v;
}

static void test_connect(void **state)
{
	struct variant v = listening(1000);
	struct prediction p;

	(void)state;
	/* Dropped SYNs: on the fault's clock, the connect at 1 s plus 7 s. */
	v.faults[v.n_faults++] = fault("drop", HOST_ROUTER, 0);
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_TIMEOUT);
	assert_int_equal(p.mechanism, MECH_SYN);
	assert_int_equal(p.ms, 8000);
	predict_side(&v, HOST_SERVER, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_NONE);
	/* Lifted at 2.5 s: a retransmitted SYN gets through. */
	v.faults[0].duration_ms = 2500;
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_NONE);
	/* Lifted after the last SYN retransmission (5 s after the connect) but before 7 s: nothing gets through. */
	v.faults[0].duration_ms = 1000 + 6000;
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_TIMEOUT);
	assert_int_equal(p.ms, 8000);
	v.faults[0].duration_ms = 1000 + 5000;
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_NONE);
	/* Lifted before the connect: nothing happens. */
	v.faults[0].duration_ms = 500;
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_NONE);

	/* A resetting firewall towards the server refuses at once; towards the client only, the SYN-ACK is lost. */
	v.faults[0] = fault("reject", HOST_SERVER, 0);
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_REFUSED);
	assert_int_equal(p.ms, 1000);
	v.faults[0].direction = DIR_TO_CLIENT;
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_TIMEOUT);
	assert_int_equal(p.mechanism, MECH_SYN);

	/* A killed server: its kernel resets the SYN, and the server side is the one killed. */
	v.faults[0] = fault("kill", HOST_SERVER, 500);
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_REFUSED);
	assert_int_equal(p.ms, 500);
	predict_side(&v, HOST_SERVER, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_KILLED);

	/* A lossy link loses some SYNs, not the connect: the loss then acts on the connection (chance). */
	v.faults[0] = fault("loss", HOST_ROUTER, 0);
	v.faults[0].probability = 30;
	predict_side(&v, HOST_SERVER, false, 0, &p);
	assert_false(p.outcome == OUTCOME_NONE && strstr(p.rule, "connect failed"));

	/* A frozen server's kernel completes the handshake: the connection is up, and keepalive is answered. */
	v.faults[0] = fault("freeze", HOST_SERVER, 0);
	keepalive_on(&v.side[HOST_CLIENT], 1000, 1000, 2);
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_NONE);

	/* A fault after the connect acts on the connection, counted from the connect: keepalive 1 + 1 x 2 s. */
	v.faults[0] = fault("drop", HOST_ROUTER, 1500);
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_TIMEOUT);
	assert_int_equal(p.mechanism, MECH_KEEPALIVE);
	assert_int_equal(p.ms, 1000 + 3000 - 1500);
}

/* A host that is gone: the router's neighbour resolution fails (3 x 1 s unless its sysctls say otherwise). */
static void test_connect_host_gone(void **state)
{
	struct variant v = listening(1000);
	struct prediction p;

	(void)state;
	v.faults[v.n_faults++] = fault("crash", HOST_SERVER, 0);
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_TIMEOUT);
	assert_int_equal(p.mechanism, MECH_SYN);
	assert_int_equal(p.ms, 1000 + 3000);
	predict_side(&v, HOST_SERVER, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_KILLED);
	v.router.sysctls[v.router.n_sysctls++] =
		(struct sysctl_setting){ "net.ipv4.neigh.br-server.mcast_solicit", "5", 1 };
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.ms, 1000 + 5000);
	/* TCP_USER_TIMEOUT shorter than the resolution: the SYN timer ends it first. */
	v.side[HOST_CLIENT].user_timeout_ms = 2000;
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.ms, 1000 + 2000);
	v.side[HOST_CLIENT].user_timeout_ms = 0;
	v.router.n_sysctls = 0;

	/* Back at 2.5 s with nothing listening: refused at the router's next solicitation (2 s after the connect). */
	v.faults[0].restart_ms = 2500;
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_REFUSED);
	assert_int_equal(p.ms, 3000);
	/* With its service: the connect completes; the server's process is still the one that crashed. */
	v.faults[0].restart_service = true;
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_NONE);
	predict_side(&v, HOST_SERVER, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_KILLED);

	/* The server's cable out for good: the same as a gone host. */
	v.faults[0] = fault("link-down", HOST_SERVER, 0);
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_TIMEOUT);
	assert_int_equal(p.ms, 4000);
	predict_side(&v, HOST_SERVER, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_NONE);
}

/* A client's request every 4 s through a middlebox that forgets flows idle for 2 s. */
static struct variant middlebox(enum idle_action action)
{
	struct variant v = base();

	v.router.idle_timeout_ms = 2000;
	v.router.idle_action = action;
	v.side[HOST_CLIENT].traffic = TRAFFIC_REQUEST;
	v.side[HOST_CLIENT].interval_ms = 4000;
	v.side[HOST_CLIENT].sysctls[v.side[HOST_CLIENT].n_sysctls++] =
		(struct sysctl_setting){ "net.ipv4.tcp_retries2", "3", 1 };
	return v;
}

/* @side of @v is predicted @o/@m at @ms (-1: without a time); the rule is returned. */
static const char *predicts(const struct variant *v, enum host side, enum outcome o, enum mechanism m, int64_t ms)
{
	static struct prediction p;

	predict_side(v, side, false, 0, &p);
	if (p.outcome != o || p.mechanism != m || p.has_time != (ms >= 0) || (ms >= 0 && p.ms != ms))
		fail_msg("%s: predicted %s/%s at %lld ms (%s), wanted %s/%s at %lld ms", host_name(side),
			 outcome_name(p.outcome), mechanism_name(p.mechanism), p.has_time ? (long long)p.ms : -1LL,
			 p.rule, outcome_name(o), mechanism_name(m), (long long)ms);
	return p.rule;
}

static void test_middlebox_drop(void **state)
{
	struct variant v = middlebox(IDLE_DROP);

	(void)state;
	/* middlebox-idle-breaks: the request at 4 s is lost; retransmission gives up 6.2 s later. */
	assert_non_null(strstr(predicts(&v, HOST_CLIENT, OUTCOME_TIMEOUT, MECH_RETRANSMISSION, 4000 + 6200),
			       "the middlebox forgot the flow at 2s (2s idle) and drops it"));
	predicts(&v, HOST_SERVER, OUTCOME_NONE, MECH_NONE, -1);
	/* middlebox-keepalive-keeps: probes every second keep the flow. */
	keepalive_on(&v.side[HOST_CLIENT], 1000, 1000, 3);
	predicts(&v, HOST_CLIENT, OUTCOME_NONE, MECH_NONE, -1);
	/* So do the server's, which the client's requests ride on too. */
	v.side[HOST_CLIENT].keepalive = false;
	keepalive_on(&v.side[HOST_SERVER], 1000, 1000, 3);
	predicts(&v, HOST_CLIENT, OUTCOME_NONE, MECH_NONE, -1);
	/* A request every 2 s: the flow is never idle for longer than the timeout. */
	v = middlebox(IDLE_DROP);
	v.side[HOST_CLIENT].interval_ms = 2000;
	predicts(&v, HOST_CLIENT, OUTCOME_NONE, MECH_NONE, -1);
	/* An idle client whose keepalive comes after the timeout: every probe is lost, keepalive gives up. */
	v = middlebox(IDLE_DROP);
	v.side[HOST_CLIENT].traffic = TRAFFIC_IDLE;
	keepalive_on(&v.side[HOST_CLIENT], 3000, 1000, 3);
	predicts(&v, HOST_CLIENT, OUTCOME_TIMEOUT, MECH_KEEPALIVE, 3000 + 3 * 1000);
	/* A heartbeat every 4 s that expires after 5 s: the last answer was at 0. */
	v = middlebox(IDLE_DROP);
	v.side[HOST_CLIENT].traffic = TRAFFIC_HEARTBEAT;
	v.side[HOST_CLIENT].heartbeat_timeout_ms = 5000;
	predicts(&v, HOST_CLIENT, OUTCOME_HEARTBEAT, MECH_NONE, 5000);
}

static void test_middlebox_reset(void **state)
{
	struct variant v = middlebox(IDLE_RESET);

	(void)state;
	/* The request at 4 s meets the RST; the server, which sends nothing, is not told. */
	predicts(&v, HOST_CLIENT, OUTCOME_RST, MECH_DATA, 4000);
	predicts(&v, HOST_SERVER, OUTCOME_NONE, MECH_NONE, -1);
	/* Keepalive within the timeout keeps the flow, resetting middlebox or not. */
	keepalive_on(&v.side[HOST_CLIENT], 2000, 1000, 3);
	predicts(&v, HOST_CLIENT, OUTCOME_NONE, MECH_NONE, -1);
	/* A probe after the timeout but before the next request is what meets the RST. */
	keepalive_on(&v.side[HOST_CLIENT], 3000, 1000, 3);
	predicts(&v, HOST_CLIENT, OUTCOME_RST, MECH_PROBE, 3000);
	/* A server probing 3 s after the first request's answer learns on its own, before the client. */
	v.side[HOST_CLIENT].keepalive = false;
	keepalive_on(&v.side[HOST_SERVER], 3000, 1000, 3);
	predicts(&v, HOST_SERVER, OUTCOME_RST, MECH_PROBE, 3000);
	predicts(&v, HOST_CLIENT, OUTCOME_RST, MECH_DATA, 4000);
	/*
	 * An idle client, keepalive 1s/3s: the probe at 1 s is answered, the
	 * timer comes back keepintvl later, and that probe at 4 s finds the flow
	 * forgotten at 3 s.
	 */
	v = middlebox(IDLE_RESET);
	v.side[HOST_CLIENT].traffic = TRAFFIC_IDLE;
	keepalive_on(&v.side[HOST_CLIENT], 1000, 3000, 3);
	assert_non_null(strstr(predicts(&v, HOST_CLIENT, OUTCOME_RST, MECH_PROBE, 4000), "forgot the flow at 3s"));
	/* Idle both, no keepalive: nobody ever sends, nobody learns. */
	v.side[HOST_CLIENT].keepalive = false;
	predicts(&v, HOST_CLIENT, OUTCOME_NONE, MECH_NONE, -1);
	/* A stream never lets the flow idle. */
	v.side[HOST_SERVER].traffic = TRAFFIC_STREAM;
	keepalive_on(&v.side[HOST_CLIENT], 3000, 1000, 3);
	predicts(&v, HOST_CLIENT, OUTCOME_NONE, MECH_NONE, -1);
}

/* A path MTU black hole of @mtu bytes on the router, both ways; the client streams 4000-byte writes. */
static struct variant mtu_hole(int64_t mtu)
{
	struct variant v = base();

	v.faults[v.n_faults] = fault("mtu-blackhole", HOST_ROUTER, 1000);
	v.faults[v.n_faults++].mtu = mtu;
	v.side[HOST_CLIENT].traffic = TRAFFIC_STREAM;
	v.side[HOST_CLIENT].interval_ms = 100;
	v.side[HOST_CLIENT].size = 4000;
	return v;
}

static void sysctl_set(struct side_cfg *c, const char *key, const char *value)
{
	c->sysctls[c->n_sysctls++] = (struct sysctl_setting){ key, value, 1 };
}

static void test_mtu_blackhole(void **state)
{
	struct variant v = mtu_hole(1280);
	struct prediction p;

	(void)state;
	/* Big segments vanish without a word: a dead path for the sender. */
	v.side[HOST_CLIENT].user_timeout_ms = 8000;
	predict_side(&v, HOST_CLIENT, true, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_TIMEOUT);
	assert_int_equal(p.mechanism, MECH_USER_TIMEOUT);
	assert_int_equal(p.ms, 8200);
	v.side[HOST_CLIENT].user_timeout_ms = 0;
	predict_side(&v, HOST_CLIENT, true, 0, &p);
	assert_int_equal(p.mechanism, MECH_RETRANSMISSION);
	assert_int_equal(p.ms, 1044600);
	/*
	 * The receiver's probes are small: answered until the sender gives up
	 * (8.2 s), then the next one, every keepidle 6 s, meets its RST.
	 */
	v.side[HOST_CLIENT].user_timeout_ms = 8000;
	keepalive_on(&v.side[HOST_SERVER], 6000, 1000, 3);
	predict_side(&v, HOST_SERVER, true, 100, &p);
	assert_int_equal(p.outcome, OUTCOME_RST);
	assert_int_equal(p.mechanism, MECH_PROBE);
	assert_int_equal(p.ms, 12100);
	/* Without keepalive it sends nothing and never learns. */
	v.side[HOST_SERVER].keepalive = false;
	predict_side(&v, HOST_SERVER, true, 100, &p);
	assert_int_equal(p.outcome, OUTCOME_NONE);
	/* Its heartbeat's pongs wait behind the sender's stalled data: the heartbeat expires. */
	heartbeat_on(&v.side[HOST_SERVER], 500, 2000);
	predict_side(&v, HOST_SERVER, true, 100, &p);
	assert_int_equal(p.outcome, OUTCOME_HEARTBEAT);
	assert_int_equal(p.ms, 1500);
	v.side[HOST_SERVER].traffic = TRAFFIC_IDLE;

	/* The hole only toward the client: the client's segments go the other way. */
	v.faults[0].direction = DIR_TO_CLIENT;
	predict_side(&v, HOST_CLIENT, true, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_NONE);
	assert_non_null(strstr(p.rule, "keepalive probes are small"));
	v.faults[0].direction = DIR_BOTH;
	/* Small writes pass: 1228 + 52 bytes of headers fit 1280, not with IPv6's 72. */
	v.side[HOST_CLIENT].size = 1228;
	predict_side(&v, HOST_CLIENT, true, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_NONE);
	v.family = FAMILY_IPV6;
	predict_side(&v, HOST_CLIENT, true, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_TIMEOUT);
	/* Lifted before the sender gives up: nothing to notice. */
	v.faults[0].duration_ms = 3000;
	predict_side(&v, HOST_CLIENT, true, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_NONE);
}

/* tcp_mtu_probing: the MSS falls to 1024 when tcp_retries1 runs out, and halves after, if it gives up later. */
static void test_mtu_probing(void **state)
{
	struct variant v = mtu_hole(1280);
	struct side_cfg *c = &v.side[HOST_CLIENT];
	struct prediction p;

	(void)state;
	sysctl_set(c, "net.ipv4.tcp_mtu_probing", "1");
	c->user_timeout_ms = 8000;
	predict_side(&v, HOST_CLIENT, true, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_NONE);
	assert_non_null(strstr(p.rule, "at the RTO timer 3s or 6.200s after the lost segment"));
	assert_non_null(strstr(p.rule, "1024 bytes fit the MTU 1280 by 6.200s"));
	/* The receiver then hears from it again. */
	keepalive_on(&v.side[HOST_SERVER], 6000, 1000, 3);
	predict_side(&v, HOST_SERVER, true, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_NONE);
	/* A user timeout that may come first (5.2 s) still ends it. */
	c->user_timeout_ms = 5000;
	predict_side(&v, HOST_CLIENT, true, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_TIMEOUT);
	/* tcp_retries2 = tcp_retries1: the same timer gives up, after probing. */
	c->user_timeout_ms = 0;
	sysctl_set(c, "net.ipv4.tcp_retries2", "3");
	predict_side(&v, HOST_CLIENT, true, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_TIMEOUT);
	assert_int_equal(p.ms, 6200);
	c->sysctls[c->n_sysctls - 1].value = "4";
	predict_side(&v, HOST_CLIENT, true, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_NONE);
	/* MTU 576: 1024 + 52 is too big, 512 fits one timer later (12.6 s); tcp_retries2 = 5 waits that long. */
	v.faults[0].mtu = 576;
	predict_side(&v, HOST_CLIENT, true, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_TIMEOUT);
	c->sysctls[c->n_sysctls - 1].value = "6";
	predict_side(&v, HOST_CLIENT, true, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_NONE);
	assert_non_null(strstr(p.rule, "512 bytes fit the MTU 576 by 12.600s"));
	/* Below 48 + 52 bytes nothing ever fits. */
	v.faults[0].mtu = 90;
	predict_side(&v, HOST_CLIENT, true, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_TIMEOUT);
}

/* Requests that pass are answered as big: then the answering side sends into the hole. */
static void test_mtu_answers(void **state)
{
	struct variant v = mtu_hole(1280);
	struct prediction p;

	(void)state;
	v.side[HOST_CLIENT].traffic = TRAFFIC_REQUEST;
	v.side[HOST_CLIENT].interval_ms = 1000;
	v.side[HOST_CLIENT].size = 2000;
	v.faults[0].direction = DIR_TO_CLIENT;
	sysctl_set(&v.side[HOST_SERVER], "net.ipv4.tcp_retries2", "3");
	/* The answer to the request at 1 s (the fault's instant) is lost; tcp_retries2 = 3 gives up 6.2 s later. */
	predict_side(&v, HOST_SERVER, true, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_TIMEOUT);
	assert_int_equal(p.mechanism, MECH_RETRANSMISSION);
	assert_int_equal(p.ms, 6200);
	/* Both ways, the request itself vanishes: the client is the one that gives up. */
	v.faults[0].direction = DIR_BOTH;
	predict_side(&v, HOST_SERVER, true, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_NONE);
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

/*
 * On the timer wheel at HZ = 250 (this kernel's), against what the suite
 * measured on Linux 6.18: every measured time inside the window.
 */
static void test_wheel_keepalive(void **state)
{
	struct variant v = base();
	struct prediction p;

	(void)state;
	predict_set_hz(250);
	keepalive_on(&v.side[HOST_CLIENT], 2000, 1000, 3);
	v.faults[v.n_faults++] = fault("drop", HOST_SERVER, 1000);
	/* Measured from last_rx: 5.079, 5.095, 5.095, 5.099, 5.103, 5.103 s (README: 4.07-4.10 s from the fault). */
	predict_side(&v, HOST_CLIENT, true, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_TIMEOUT);
	assert_int_equal(p.mechanism, MECH_KEEPALIVE);
	assert_true(p.has_window);
	assert_int_equal(p.hz, 250);
	assert_int_equal(p.earliest_ms, 5072);
	assert_int_equal(p.latest_ms, 5104);
	assert_int_equal(p.ms, 5088);
	/* Three probes, the first 2.000-2.032 s after last_rx, then 1.024 s apart; then it gives up. */
	assert_int_equal(p.n_events, 4);
	assert_int_equal(p.events[0].kind, TEV_PROBE);
	assert_int_equal(p.events[0].lo_ms, 2000);
	assert_int_equal(p.events[0].hi_ms, 2032);
	assert_int_equal(p.events[2].lo_ms, 4048);
	assert_int_equal(p.events[3].kind, TEV_ABORT);
	/* 2s/1s/9: measured 11.219 s. */
	v.side[HOST_CLIENT].keepcnt = 9;
	predict_side(&v, HOST_CLIENT, true, 0, &p);
	assert_true(p.earliest_ms <= 11219 && 11219 <= p.latest_ms);
	/* With TCP_USER_TIMEOUT 4 s: measured 4.067 s, at the third probe timer (2 probes out). */
	v.side[HOST_CLIENT].user_timeout_ms = 4000;
	predict_side(&v, HOST_CLIENT, true, 0, &p);
	assert_int_equal(p.mechanism, MECH_USER_TIMEOUT);
	assert_true(p.earliest_ms <= 4067 && 4067 <= p.latest_ms);
	assert_int_equal(p.n_events, 3);
	v.side[HOST_CLIENT].user_timeout_ms = 0;
	/* 3s/1s/3 against a crashed host back after 500 ms: the first probe meets the reset; measured 3.035, 3.055 s. */
	keepalive_on(&v.side[HOST_CLIENT], 3000, 1000, 3);
	v.faults[0] = fault("crash", HOST_SERVER, 1000);
	v.faults[0].restart_ms = 500;
	predict_side(&v, HOST_CLIENT, true, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_RST);
	assert_int_equal(p.mechanism, MECH_PROBE);
	assert_int_equal(p.earliest_ms, 3000);
	assert_int_equal(p.latest_ms, 3256);	/* 3 s is 750 jiffies: on the 64-jiffy level */
	/* From the fault, last_rx measured 1.002 s before it: the window moves with it. */
	predict_side(&v, HOST_CLIENT, true, -1002, &p);
	assert_true(p.earliest_ms <= 2033 && 2033 <= p.latest_ms);
	/* The same settings at HZ = 1000: a 1 s interval is on the 64-jiffy level, 1.024 s again. */
	predict_set_hz(1000);
	keepalive_on(&v.side[HOST_CLIENT], 2000, 1000, 3);
	v.faults[0] = fault("drop", HOST_SERVER, 1000);
	predict_side(&v, HOST_CLIENT, true, 0, &p);
	assert_int_equal(p.hz, 1000);
	assert_true(p.earliest_ms >= 5000 && p.latest_ms <= 5000 + 64 + 3 * 64);
	predict_set_hz(0);
}

static void test_wheel_syn(void **state)
{
	struct variant v = listening(0);
	struct prediction p;
	/* README: SYN retransmissions measured with the defaults (6 + 4), first SYN at 0; gives up at 135.0 s, 134.0 s (IPv6). */
	static const int64_t measured[] = { 1020, 2040, 3070, 4090, 5110, 7130, 11350, 19550, 35670, 69470 };

	(void)state;
	predict_set_hz(250);
	v.side[HOST_CLIENT].sysctls[0].value = "6";
	v.faults[v.n_faults++] = fault("drop", HOST_ROUTER, 0);
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.mechanism, MECH_SYN);
	assert_int_equal(p.n_events, 11);
	for (size_t i = 0; i < 10; i++) {
		assert_int_equal(p.events[i].kind, TEV_SYN);
		assert_true(p.events[i].lo_ms <= measured[i] && measured[i] <= p.events[i].hi_ms + 10);
	}
	assert_true(p.earliest_ms <= 134000 && 135000 <= p.latest_ms);
	/* Linear timeouts 0: retransmissions at 1.03, 3.04, 7.20, 15.39, 31.52, 63.78 s, gives up at 129.3 s. */
	v.side[HOST_CLIENT].sysctls[1].value = "0";
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	static const int64_t doubling[] = { 1030, 3040, 7200, 15390, 31520, 63780 };
	assert_int_equal(p.n_events, 7);
	for (size_t i = 0; i < 6; i++)
		assert_true(p.events[i].lo_ms <= doubling[i] && doubling[i] <= p.events[i].hi_ms + 10);
	assert_true(p.earliest_ms <= 129300 && 129300 <= p.latest_ms);
	/* tcp_syn_retries 2 (+ 4 linear): 5 retransmissions 1.024 s apart, gives up at 7.11-7.14 s (measured). */
	v = listening(0);
	v.faults[v.n_faults++] = fault("drop", HOST_ROUTER, 0);
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.earliest_ms, 7112);
	assert_int_equal(p.latest_ms, 7144 + 10);	/* and the few ms the SYN may leave after the connect's instant */
	assert_int_equal(p.n_events, 6);
	/* TCP_USER_TIMEOUT 3 s: measured 3.011 s; 1.5 s: 1.51-1.53 s, after one retransmission. */
	v.side[HOST_CLIENT].user_timeout_ms = 3000;
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_true(p.earliest_ms <= 3011 && 3011 <= p.latest_ms);
	assert_true(p.earliest_ms >= 3000);
	v.side[HOST_CLIENT].user_timeout_ms = 1500;
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_true(p.earliest_ms <= 1510 && 1530 <= p.latest_ms);
	assert_int_equal(p.n_events, 2);
	/* A crashed host: the router's three 1 s solicitation timers; measured 3.05-3.08 s after the connect. */
	v.side[HOST_CLIENT].user_timeout_ms = 0;
	v.faults[0] = fault("crash", HOST_SERVER, 0);
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.earliest_ms, 3048);
	assert_int_equal(p.latest_ms, 3080 + 10);
	/* The connect 1 s after the fault: the window moves to the fault's clock. */
	v.side[HOST_CLIENT].connect_at_ms = 1000;
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.earliest_ms, 4048);
	predict_set_hz(0);
}

/* A measured instant @ms is inside event @i's window (or the decision's, i < 0). */
static void inside(const struct prediction *p, int i, int64_t ms)
{
	int64_t lo = i < 0 ? p->earliest_ms : p->events[i].lo_ms, hi = i < 0 ? p->latest_ms : p->events[i].hi_ms;

	if (ms < lo || ms > hi)
		fail_msg("%lld ms outside %s %d's window %lld..%lld ms", (long long)ms, i < 0 ? "decision" : "event", i,
			 (long long)lo, (long long)hi);
}

/*
 * A sender into a silent path, against packet captures of the suite on
 * Linux 6.18 (HZ = 250): the tail loss probe first, the RTO of
 * tcp_rto_min_us plus the round trip (51 jiffies: 204 ms), doubling.
 */
static void test_wheel_sender(void **state)
{
	struct variant v = base();
	struct side_cfg *c = &v.side[HOST_CLIENT];
	struct prediction p;

	(void)state;
	predict_set_hz(250);
	/*
	 * user-timeout-stream: 200 bytes every 100 ms, TCP_USER_TIMEOUT 3 s, a
	 * drop at 1 s. Captured: lost segment at 0.3 ms, the probe (new data,
	 * Nagle held it) at 206.5, retransmissions at 414.5, 834.6, 1666.5,
	 * 3330.6 ms; the user timeout 3 s after the first: 3.418 s.
	 */
	c->traffic = TRAFFIC_STREAM;
	c->interval_ms = 100;
	c->size = 200;
	c->user_timeout_ms = 3000;
	c->sysctls[c->n_sysctls++] = (struct sysctl_setting){ "net.ipv4.tcp_rto_min_us", "200000", 1 };
	c->sysctls[c->n_sysctls++] = (struct sysctl_setting){ "net.ipv4.tcp_rto_max_ms", "120000", 2 };
	v.faults[v.n_faults++] = fault("drop", HOST_ROUTER, 1000);
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_TIMEOUT);
	assert_int_equal(p.mechanism, MECH_USER_TIMEOUT);
	assert_int_equal(p.events[0].kind, TEV_TLP);
	inside(&p, 0, 207);
	assert_int_equal(p.events[1].kind, TEV_RETRANSMIT);
	inside(&p, 1, 414);
	inside(&p, 2, 835);
	inside(&p, 3, 1666);
	inside(&p, 4, 3331);
	inside(&p, -1, 3418);
	/* stream-keepalive-useless: the same stream, tcp_retries2 = 3, no user timeout: 6.858 s. */
	c->user_timeout_ms = 0;
	c->sysctls[c->n_sysctls++] = (struct sysctl_setting){ "net.ipv4.tcp_retries2", "3", 3 };
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.mechanism, MECH_RETRANSMISSION);
	inside(&p, -1, 6858);
	/*
	 * compare-stream: 60000 bytes every 10 ms, many segments in flight.
	 * Captured: lost burst at 9.9 ms, probe 8.4 ms later, then (later
	 * bursts re-arming the probe) the RTO 208.4 ms after the lost burst,
	 * then 420, 832, 1664 ms apart; gave up at 6.558 s (6.581 s with
	 * keepalive, which a busy connection never arms).
	 */
	c->interval_ms = 10;
	c->size = 60000;
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	inside(&p, 0, 18);
	inside(&p, 1, 218);
	inside(&p, 2, 638);
	inside(&p, 3, 1470);
	inside(&p, 4, 3134);
	inside(&p, -1, 6558);
	inside(&p, -1, 6581);
	/* compare-stream-user-timeout[drop]: TCP_USER_TIMEOUT 3 s, 3.213 s. */
	c->user_timeout_ms = 3000;
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	inside(&p, -1, 3213);
	/* the wheel's rounding, and the few ms a fault takes to be in place for a stream */
	assert_true(p.latest_ms - p.earliest_ms <= 30);
	/*
	 * A frozen reader (hung-reader-zero-window, compare-stream-user-timeout):
	 * the window closes when its buffer fills, the persist timer's answered
	 * probes run until TCP_USER_TIMEOUT; measured 3.956 and 3.941 s.
	 */
	v.faults[0] = fault("freeze", HOST_SERVER, 1000);
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_TIMEOUT);
	assert_int_equal(p.mechanism, MECH_ZERO_WINDOW);
	assert_true(p.has_window);
	inside(&p, -1, 3956);
	inside(&p, -1, 3941);
	assert_true(p.earliest_ms >= 3000);
	/* Without a user timeout the answered probes go on. */
	c->user_timeout_ms = 0;
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.outcome, OUTCOME_NONE);
	/*
	 * A crashed server: the router's ICMP unreachable (3 s of resolution
	 * after the first lost packet) reverts the backoff. Measured 3.686 s
	 * (100 ms writes), 3.898 and 4.749 s (bursts): no earlier than 3 s
	 * after the first retransmission, and before the silent path's time.
	 */
	v.faults[0] = fault("crash", HOST_SERVER, 1000);
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.mechanism, MECH_RETRANSMISSION);
	assert_non_null(strstr(p.rule, "RFC 6069"));
	inside(&p, -1, 3898);
	inside(&p, -1, 4749);
	assert_true(p.earliest_ms >= 3200);
	c->interval_ms = 100;
	c->size = 200;
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	inside(&p, -1, 3686);
	/*
	 * mtu-blackhole-stall: 4000-byte writes into a hole of 1280: the
	 * 1104-byte tail passes, its SACK starts recovery, which retransmits
	 * at once (6.3 ms after the loss, captured) and stamps retrans_stamp:
	 * TCP_USER_TIMEOUT 8 s ends it at 8.030 s (IPv4), 8.018 s (IPv6).
	 */
	c->size = 4000;
	c->user_timeout_ms = 8000;
	v.faults[0] = fault("mtu-blackhole", HOST_ROUTER, 1000);
	v.faults[0].mtu = 1280;
	v.faults[0].direction = DIR_TO_SERVER;
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.mechanism, MECH_USER_TIMEOUT);
	inside(&p, -1, 8030);
	inside(&p, -1, 8018);
	assert_true(p.latest_ms < 8200);
	/* A request every 4 s through a middlebox that forgot the flow: the request at 4 s times out 6.71 s later. */
	v = middlebox(IDLE_DROP);
	predict_side(&v, HOST_CLIENT, false, 0, &p);
	assert_int_equal(p.mechanism, MECH_RETRANSMISSION);
	inside(&p, -1, 10710);
	predict_set_hz(0);
}

/* The tests above the wheel's assert the rules' nominal times: HZ unknown, as on a kernel that does not say. */
static int nominal(void **state)
{
	(void)state;
	predict_set_hz(0);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	/* (HZ back to unknown after each, failed or not) */
	cmocka_unit_test_teardown(test_wheel_keepalive, nominal),
	cmocka_unit_test_teardown(test_wheel_syn, nominal),
	cmocka_unit_test_teardown(test_wheel_sender, nominal),
	cmocka_unit_test(test_syn_abort),
	cmocka_unit_test(test_connect),
	cmocka_unit_test(test_connect_host_gone),
	cmocka_unit_test(test_app_side),
	cmocka_unit_test(test_model_timeout),
	cmocka_unit_test(test_keepalive),
	cmocka_unit_test(test_sides),
	cmocka_unit_test(test_data_in_flight),
	cmocka_unit_test(test_restart_probe_and_kill),
	cmocka_unit_test(test_freeze_and_heartbeat),
	cmocka_unit_test(test_middlebox_drop),
	cmocka_unit_test(test_middlebox_reset),
	cmocka_unit_test(test_mtu_blackhole),
	cmocka_unit_test(test_mtu_probing),
	cmocka_unit_test(test_mtu_answers),
	cmocka_unit_test(test_kill_chance),
	cmocka_unit_test(test_loss)
	};
	return cmocka_run_group_tests(tests, nominal, NULL);
}
