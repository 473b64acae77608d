// SPDX-License-Identifier: MIT
/*
 * The observation record: what is encoded comes back decoded, field for
 * field; a record cut short or damaged anywhere is refused, never read past;
 * a later version's items are skipped; and judging a stored record gives the
 * result judging the original gave.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "classify.h"
#include "predict.h"
#include "record.h"
#include "unit.h"

#define MS 1000000LL

/* A keepalive run as a real one would record it: the client timed out, the server saw nothing. */
static void sample(struct observation *o)
{
	int64_t est = 5000 * MS, fault = est + 1000 * MS;

	obs_init(o);
	snprintf(o->scenario, sizeof(o->scenario), "scenarios/keepalive.scn");
	snprintf(o->variant, sizeof(o->variant), "keepalive[client.keepidle=2s]");
	o->variant_index = 3;
	o->run = 2;
	o->established_ns = est;
	o->fault_ns = fault;
	o->deadline_ns = fault + 30000 * MS;
	o->setup_us = 41234;
	o->connect_us = 1234;
	o->teardown_us = 5678;
	o->fault_lag_us = 87;
	o->fault_hits = 4;
	/* jiffy 1000000 (a multiple of every granularity that matters here) began at 0 */
	o->clock = (struct obs_clock){ .hz = 250, .tick_ns = 0, .tick_ns_len = 4 * MS, .jiffy = 1000000 };
	/* A drop that is lifted, then a crash that lasts: the report's bands. */
	assert_int_equal(obs_fault_start(o, "drop", HOST_ROUTER, fault), 0);
	o->faults[0].end_ns = fault + 2500 * MS;
	assert_int_equal(obs_fault_start(o, "crash", HOST_SERVER, fault + 3000 * MS), 1);
	for (int s = 0; s < SIDE_COUNT; s++) {
		o->side[s].started = true;
		o->side[s].on_wire = true;
	}
	struct obs_side *c = &o->side[HOST_CLIENT];
	c->decided = true;
	c->report = (struct ep_report){
		.ts_ns = fault + 4080 * MS, .outcome = OUTCOME_TIMEOUT, .err = ETIMEDOUT, .last_rx_ns = est,
		.keepidle_ms = 2000, .keepintvl_ms = 1000, .keepcnt = 3, .user_timeout_ms = 0,
		.before = { .ts_ns = fault + 4000 * MS, .state = 1, .probes = 2, .snd_wnd = 65535 },
		.after = { .ts_ns = fault + 4080 * MS, .state = 7, .probes = 3, .total_retrans = 0 },
	};
	c->wire = (struct wire_counts){ .probes = 3, .first_rst_out = fault + 4079 * MS, .packets = 7 };
	c->report.keepalive = 1;
	c->report.app = (struct app_view){
		.observer = OBSERVER_EBPF, .reaction = APP_REACT_ERROR, .ts_ns = fault + 4081 * MS, .err = ETIMEDOUT,
		.exited = true, .exit_status = 2 << 8, .line = "psql: error: connection to server was lost",
		.observe_lag_ns = 43000, .connections = 2, .conn_ns = { est, fault + 6000 * MS },
	};
	/* The handshake before the origin, then the probes: deltas of both signs. */
	obs_add_packet(o, HOST_CLIENT, est - 2 * MS, WIRE_SYN);
	obs_add_packet(o, HOST_CLIENT, est - 1 * MS, WIRE_IN);
	obs_add_packet(o, HOST_CLIENT, est, WIRE_ACK);
	for (int k = 0; k < 3; k++)
		obs_add_packet(o, HOST_CLIENT, est + (2000 + 1000 * k) * MS + 17, WIRE_PROBE);
	obs_add_packet(o, HOST_CLIENT, est + 1 * MS, WIRE_RST);	/* out of order: still kept */
}

/* The sample, encoded: its length, the bytes in *@buf (free them). */
static size_t encoded_sample(struct observation *o, uint8_t **buf)
{
	size_t len;

	sample(o);
	assert_int_equal(obs_encode(o, buf, &len), 0);
	return len;
}

static void test_round_trip(void **state)
{
	struct observation o, back;
	uint8_t *buf;
	size_t len = encoded_sample(&o, &buf);

	(void)state;
	assert_int_equal(obs_decode(buf, len, &back), 0);
	assert_string_equal(back.scenario, o.scenario);
	assert_string_equal(back.variant, o.variant);
	assert_int_equal(back.variant_index, 3);
	assert_int_equal(back.run, 2);
	assert_int_equal(back.fault_ns, o.fault_ns);
	assert_int_equal(back.deadline_ns, o.deadline_ns);
	assert_int_equal(back.fault_lag_us, 87);
	assert_int_equal(back.fault_hits, 4);
	assert_memory_equal(&back.clock, &o.clock, sizeof(o.clock));
	assert_int_equal(back.n_faults, 2);
	for (uint32_t i = 0; i < 2; i++) {
		assert_string_equal(back.faults[i].kind, o.faults[i].kind);
		assert_int_equal(back.faults[i].target, o.faults[i].target);
		assert_int_equal(back.faults[i].start_ns, o.faults[i].start_ns);
		assert_int_equal(back.faults[i].end_ns, o.faults[i].end_ns);
	}
	assert_int_equal(back.faults[1].end_ns, 0);	/* in effect to the end */
	for (int s = 0; s < SIDE_COUNT; s++) {
		const struct obs_side *a = &o.side[s], *b = &back.side[s];
		assert_int_equal(b->started, a->started);
		assert_int_equal(b->decided, a->decided);
		assert_int_equal(b->killed, a->killed);
		assert_memory_equal(&b->report.before, &a->report.before, sizeof(a->report.before));
		assert_memory_equal(&b->report.after, &a->report.after, sizeof(a->report.after));
		assert_int_equal(b->report.ts_ns, a->report.ts_ns);
		assert_int_equal(b->report.outcome, a->report.outcome);
		assert_int_equal(b->report.err, a->report.err);
		assert_int_equal(b->report.keepcnt, a->report.keepcnt);
		assert_int_equal(b->report.keepalive, a->report.keepalive);
		/* The program's view, whole: app_view has no padding to differ in. */
		assert_int_equal(b->report.app.observer, a->report.app.observer);
		assert_int_equal(b->report.app.reaction, a->report.app.reaction);
		assert_int_equal(b->report.app.ts_ns, a->report.app.ts_ns);
		assert_int_equal(b->report.app.err, a->report.app.err);
		assert_int_equal(b->report.app.exited, a->report.app.exited);
		assert_int_equal(b->report.app.exit_status, a->report.app.exit_status);
		assert_string_equal(b->report.app.line, a->report.app.line);
		assert_int_equal(b->report.app.observe_lag_ns, a->report.app.observe_lag_ns);
		assert_int_equal(b->report.app.connections, a->report.app.connections);
		assert_memory_equal(b->report.app.conn_ns, a->report.app.conn_ns, sizeof(a->report.app.conn_ns));
		assert_memory_equal(&b->wire, &a->wire, sizeof(a->wire));
		assert_int_equal(b->n_timeline, a->n_timeline);
		for (size_t i = 0; i < a->n_timeline; i++) {
			assert_int_equal(b->timeline[i].ts_ns, a->timeline[i].ts_ns);
			assert_int_equal(b->timeline[i].cls, a->timeline[i].cls);
		}
	}
	/* Compact: a packet takes a few bytes, not a struct. */
	size_t n = o.side[HOST_CLIENT].n_timeline, bare;
	uint8_t *without;
	o.side[HOST_CLIENT].n_timeline = 0;
	assert_int_equal(obs_encode(&o, &without, &bare), 0);
	o.side[HOST_CLIENT].n_timeline = n;
	assert_true(len - bare <= 6 * n + 16);
	free(without);
	free(buf);
	obs_release(&o);
	obs_release(&back);
}

static void test_damage(void **state)
{
	struct observation o, back;
	uint8_t *buf;
	size_t len = encoded_sample(&o, &buf);

	(void)state;
	/* Every proper prefix is refused: the lengths say what is missing. */
	for (size_t n = 0; n < len; n++) {
		assert_int_equal(obs_decode(buf, n, &back), -EBADMSG);
		obs_release(&back);
	}
	/* A different magic, a newer version. */
	buf[0] = 'X';
	assert_int_equal(obs_decode(buf, len, &back), -EBADMSG);
	obs_release(&back);
	buf[0] = 'D';
	buf[4] = OBS_VERSION + 1;
	assert_int_equal(obs_decode(buf, len, &back), -EPROTONOSUPPORT);
	obs_release(&back);
	buf[4] = OBS_VERSION;
	/* Any single byte changed: refused or decoded, never read past (ASan would say). */
	for (size_t i = 0; i < len; i++) {
		uint8_t keep = buf[i];
		buf[i] ^= 0xff;
		(void)obs_decode(buf, len, &back);
		obs_release(&back);
		buf[i] = keep;
	}
	free(buf);
	obs_release(&o);
}

static void test_unknown_item_skipped(void **state)
{
	struct observation o, back;
	uint8_t *buf, *more;
	size_t len;
	const uint8_t item[] = { 0x99, 0x00, 3, 0, 0, 0, 'n', 'e', 'w' };

	(void)state;
	sample(&o);
	assert_int_equal(obs_encode(&o, &buf, &len), 0);
	more = malloc(len + sizeof(item));
	assert_non_null(more);
	memcpy(more, buf, len);
	memcpy(more + len, item, sizeof(item));
	uint32_t body = (uint32_t)(len + sizeof(item) - 12);
	for (int i = 0; i < 4; i++)
		more[8 + i] = (uint8_t)(body >> (8 * i));
	assert_int_equal(obs_decode(more, len + sizeof(item), &back), 0);
	assert_int_equal(back.side[HOST_CLIENT].n_timeline, o.side[HOST_CLIENT].n_timeline);
	free(more);
	free(buf);
	obs_release(&o);
	obs_release(&back);
}

static void test_judged_again(void **state)
{
	struct scenario *s = unit_load("[scenario]\nname = k\n[client]\nkeepalive = yes\nkeepidle = 2s\nkeepintvl = 1s\n"
				  "keepcnt = 3\n[fault]\naction = drop\ntarget = server\n"
				  "[expect]\nclient = timeout keepalive within 3s..5s probes 3\n");
	struct observation o, back;
	struct run_result a, b;
	struct variant v;
	char path[] = "/tmp/deadpeer-record-XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(scenario_variant(s, 0, &v, stderr), 0);
	sample(&o);
	classify_run(&v, &o, &a);
	assert_int_equal(a.side[HOST_CLIENT].outcome, OUTCOME_TIMEOUT);
	assert_int_equal(a.side[HOST_CLIENT].mechanism, MECH_KEEPALIVE);
	assert_int_equal(a.side[HOST_CLIENT].detect_ms, 4080);
	assert_int_equal(a.side[HOST_CLIENT].probes, 3);
	assert_int_equal(a.side[HOST_CLIENT].verdict, VERDICT_PASS);
	assert_int_equal(a.side[HOST_CLIENT].wire_lag_us, 1000);
	assert_int_equal(a.side[HOST_SERVER].outcome, OUTCOME_NONE);
	assert_int_equal(a.fault_hits, 4);
	/* Stored and read back, it is judged the same. */
	assert_int_equal(obs_save(path, &o), 0);
	assert_int_equal(obs_load(path, &back), 0);
	unlink(path);
	classify_run(&v, &back, &b);
	assert_memory_equal(&a.side, &b.side, sizeof(a.side));
	assert_int_equal(b.fault_hits, a.fault_hits);
	assert_int_equal(b.setup_us, a.setup_us);
	obs_release(&o);
	obs_release(&back);
	variant_release(&v);
	scenario_free(s);
}

/*
 * Inside the run the prediction is the chain walked from the jiffy its
 * packet came in: keepidle 2 s (500 jiffies at HZ 250, level 1: rounded up
 * to 8) then 1 s intervals from the timer's own callback. The last packet
 * in at 4.999 s (jiffy 1001249): probes at jiffies 1001752, 1002008,
 * 1002264, and the abort at 1002520, 10.080 s, 4.080 s after the fault.
 */
static void test_predicted_in_run(void **state)
{
	struct scenario *s = unit_load("[scenario]\nname = k\n[client]\nkeepalive = yes\nkeepidle = 2s\nkeepintvl = 1s\n"
				  "keepcnt = 3\n[fault]\naction = drop\ntarget = server\n");
	struct observation o;
	struct run_result r;
	struct variant v;

	(void)state;
	predict_set_hz(250);
	assert_int_equal(scenario_variant(s, 0, &v, stderr), 0);
	sample(&o);
	classify_run(&v, &o, &r);
	assert_int_equal(r.side[HOST_CLIENT].predicted_ms, 4080);
	/* The offline window holds it, and is wider: the jiffy was unknown there. */
	assert_true(r.side[HOST_CLIENT].predicted_earliest_ms <= 4080 && r.side[HOST_CLIENT].predicted_latest_ms >= 4080);
	assert_true(r.side[HOST_CLIENT].predicted_latest_ms - r.side[HOST_CLIENT].predicted_earliest_ms >= 24);
	/*
	 * 9 ms later (jiffy 1001252) the first timer lands in the next bucket:
	 * every timer after it, and the abort, 32 ms later.
	 */
	o.side[HOST_CLIENT].timeline[1].ts_ns = 5008 * MS;
	o.side[HOST_CLIENT].report.last_rx_ns = 5008 * MS;
	classify_run(&v, &o, &r);
	assert_int_equal(r.side[HOST_CLIENT].predicted_ms, 4112);
	/* Without the run's clock: predict's own, the window's middle. */
	o.clock.hz = 0;
	classify_run(&v, &o, &r);
	assert_int_equal(r.side[HOST_CLIENT].predicted_ms,
			 (r.side[HOST_CLIENT].predicted_earliest_ms + r.side[HOST_CLIENT].predicted_latest_ms + 1) / 2);
	predict_set_hz(-1);
	obs_release(&o);
	variant_release(&v);
	scenario_free(s);
}

UNIT_TESTS(
	cmocka_unit_test(test_predicted_in_run),
	cmocka_unit_test(test_round_trip),
	cmocka_unit_test(test_damage),
	cmocka_unit_test(test_unknown_item_skipped),
	cmocka_unit_test(test_judged_again)
)
