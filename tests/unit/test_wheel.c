// SPDX-License-Identifier: MIT
/* The timer wheel against kernel/time/timer.c: its level table, its rounding, and chains of timers. */
#include "unit.h"

#include "timers.h"
#include "wheel.h"

/* The walk of the retransmission chain, as a window keeps it. */
static wheel_walk_fn walk_of(const struct rto_chain *c)
{
	struct wheel_window w;

	rto_window(c, 250, &w);
	return w.chain.walk;
}

/* The level ranges of the comment at the top of kernel/time/timer.c, in jiffies: LVL_START(n) = 63 << 3(n-1). */
static void test_levels(void **state)
{
	(void)state;
	assert_int_equal(wheel_depth(1000), 9);
	assert_int_equal(wheel_depth(250), 9);
	assert_int_equal(wheel_depth(100), 8);
	assert_int_equal(wheel_level(0, 250), 0);
	assert_int_equal(wheel_level(62, 250), 0);
	assert_int_equal(wheel_level(63, 250), 1);
	assert_int_equal(wheel_level(503, 250), 1);
	assert_int_equal(wheel_level(504, 250), 2);
	assert_int_equal(wheel_level(4031, 250), 2);
	assert_int_equal(wheel_level(4032, 250), 3);
	assert_int_equal(wheel_level((63LL << 21) - 1, 250), 7);
	assert_int_equal(wheel_level(63LL << 21, 250), 8);
	/* HZ = 100 has no level 8: everything beyond level 6 is on level 7. */
	assert_int_equal(wheel_level(63LL << 21, 100), 7);
	/* At HZ = 250: 1 s (250 jiffies) is on the 32 ms level, 2 s (500) too, 3 s (750) on the 256 ms one. */
	assert_int_equal(wheel_level(250, 250), 1);
	assert_int_equal(wheel_level(500, 250), 1);
	assert_int_equal(wheel_level(750, 250), 2);
	/* 7200 s = 1.8M jiffies: level 5, granularity 32768 jiffies (131 s). */
	assert_int_equal(wheel_level(1800000, 250), 5);
}

static void test_rounding(void **state)
{
	(void)state;
	/* Level 0: the jiffy after expiry, so that a timer armed late in a jiffy is never early. */
	assert_int_equal(wheel_fire(1000, 50, false, 250), 1051);
	assert_int_equal(wheel_fire(1000, 1, false, 250), 1002);
	/* Level 1: up to the next multiple of 8 past expiry. */
	assert_int_equal(wheel_fire(1000, 250, false, 250), 1256);
	assert_int_equal(wheel_fire(1006, 250, false, 250), 1264);
	assert_int_equal(wheel_fire(1005, 250, false, 250), 1256);
	/* From a callback, base->clk is one ahead: 63 jiffies is level 0 there, level 1 otherwise. */
	assert_int_equal(wheel_fire(1024, 63, true, 250), 1088);
	assert_int_equal(wheel_fire(1025, 63, false, 250), 1096);
	assert_int_equal(wheel_fire(1025, 63, true, 250), 1089);
	/* A 1 s timer re-armed from its own firing (a multiple of 8) every time: 256 jiffies apart. */
	assert_int_equal(wheel_fire(1256, 250, true, 250) - 1256, 256);
	/* Past the wheel's capacity: clamped to WHEEL_TIMEOUT_MAX, then rounded on the last level. */
	int64_t cutoff = 63LL << 24, max = cutoff - (1LL << 24);
	assert_int_equal(wheel_fire(0, cutoff + 12345, false, 250), max + (1LL << 24));
	/* Due already: the current bucket. */
	assert_int_equal(wheel_bucket_expiry(90, 100, 250), 100);
}

static void test_conversions(void **state)
{
	(void)state;
	assert_int_equal(wheel_ms_to_jiffies(200, 250), 50);
	assert_int_equal(wheel_ms_to_jiffies(201, 250), 51);
	assert_int_equal(wheel_ms_to_jiffies(1, 250), 1);
	assert_int_equal(wheel_ms_to_jiffies(0, 250), 0);
	assert_int_equal(wheel_ms_to_jiffies(10, 300), 3);
	assert_int_equal(wheel_ms_to_jiffies(11, 300), 4);
	assert_int_equal(wheel_jiffies_to_ms(1, 300), 4);
	assert_int_equal(wheel_jiffies_to_ms(3, 300), 10);
	assert_int_equal(wheel_jiffies_to_ms(50, 250), 200);
	assert_int_equal(wheel_us_to_jiffies(200100, 250), 51);
	assert_int_equal(wheel_jiffies_to_us(51, 250), 204000);
	assert_int_equal(wheel_jiffies_to_us(1, 300), 3333);
}

static void test_timer_window(void **state)
{
	int64_t lo, hi;

	(void)state;
	/* 200 ms at HZ = 250: 50 jiffies on level 0, 200 ms to 204 ms after it is armed. */
	wheel_timer_window(200, 250, &lo, &hi);
	assert_int_equal(lo, 200);
	assert_int_equal(hi, 204);
	/* 1 s: level 1, up to 32 ms late. */
	wheel_timer_window(1000, 250, &lo, &hi);
	assert_int_equal(lo, 1000);
	assert_int_equal(hi, 1032);
	/* At HZ = 1000, 1 s is on level 2 (64 ms). */
	wheel_timer_window(1000, 1000, &lo, &hi);
	assert_int_equal(hi, 1064);
}

/* A chain: keepidle, then keepintvl x cnt, each armed from the previous firing; ends at the last. */
struct chain {
	int64_t first, next;
	int count;
};

static int64_t walk_chain(const void *ctx, struct wheel_trace *t)
{
	const struct chain *c = ctx;
	int64_t now = wheel_arm(t, t->start->jiffy, c->first, false);

	for (int k = 0; k < c->count; k++) {
		wheel_event(t, now, 0);
		now = wheel_arm(t, now, c->next, true);
	}
	return now;
}

static void test_chain_window(void **state)
{
	struct wheel_window w;
	struct chain c = { .first = 500, .next = 250, .count = 3 };

	(void)state;
	/*
	 * Keepalive 2s/1s/3 at HZ = 250: the first timer fires 501..508 jiffies
	 * after the last packet, each next one exactly 256 later (a multiple of
	 * 8 plus 250, rounded up): 5.072..5.104 s where 5 s is nominal. The
	 * suite measured 5.079, 5.095, 5.095, 5.099, 5.103, 5.103 s.
	 */
	wheel_window(walk_chain, &c, 250, &w);
	assert_true(w.exact);
	assert_int_equal(w.lo_ms, 5072);
	assert_int_equal(w.hi_ms, 5104);
	assert_int_equal(w.n, 3);
	assert_int_equal(w.ev_lo_ms[0], 2000);
	assert_int_equal(w.ev_hi_ms[0], 2032);
	assert_int_equal(w.ev_lo_ms[2], 2000 + 2 * 1024);
	/* 2s/1s/9: 11.216..11.248 s; measured 11.219 s. */
	c.count = 9;
	wheel_window(walk_chain, &c, 250, &w);
	assert_int_equal(w.lo_ms, 11216);
	assert_int_equal(w.hi_ms, 11248);
	/* 15s/5s/3 (redis-cli): 64-jiffy levels, 5 s intervals of 5.12 s: 30.360..30.616 s; measured 30.579 s. */
	c = (struct chain){ .first = 3750, .next = 1250, .count = 3 };
	wheel_window(walk_chain, &c, 250, &w);
	assert_int_equal(w.lo_ms, 30360);
	assert_int_equal(w.hi_ms, 30616);
	/* The defaults 7200s/75s/9: the first probe up to 131 s late, each interval 75.776 s. */
	c = (struct chain){ .first = 7200 * 250, .next = 75 * 250, .count = 9 };
	wheel_window(walk_chain, &c, 250, &w);
	assert_int_equal(w.lo_ms, 7200000 + 9 * 75776);
	assert_int_equal(w.hi_ms, 7200000 + 131072 + 9 * 75776);
	/* A short first timer and long later ones: every phase of the first firing counts. */
	c = (struct chain){ .first = 10, .next = 75 * 250, .count = 2 };
	wheel_window(walk_chain, &c, 250, &w);
	assert_true(w.exact);
	assert_true(w.lo_ms >= 40 + 2 * 75000 && w.lo_ms < 40 + 2 * 75000 + 2048);
	assert_true(w.hi_ms <= 44 + 2 * (75000 + 2048) + 4);
	/* At HZ = 1000 the defaults are on level 6 (262 s): sampled, and still around the nominal time. */
	c = (struct chain){ .first = 7200000, .next = 75000, .count = 9 };
	wheel_window(walk_chain, &c, 1000, &w);
	assert_true(w.lo_ms <= 7200000 + 9 * 75000 + 9 * 4096);
	assert_true(w.hi_ms >= 7200000 + 9 * 75000 + 262144);
	assert_true(w.hi_ms <= 7200000 + 262144 + 9 * (75000 + 4096) + 1000);
}

/*
 * The persist timer against hung-reader-zero-window's capture (HZ = 250,
 * TCP_USER_TIMEOUT 3 s, the RTO grown to 220 ms by the round trips of a
 * filling buffer): the window closes with the ACK at 704.3 ms, probes at
 * 928.2, 1392.2, 2288.2 ms (224, 464, 896 ms apart), gives up at 3956 ms.
 */
static void test_probe0(void **state)
{
	struct probe0_chain c = { .srtt_lo_us = 20000, .srtt_hi_us = 20000, .rto_min_us = 200000, .retries2 = 15,
				  .user_timeout_ms = 3000 };
	struct wheel_window w;

	(void)state;
	probe0_window(&c, 250, &w);
	assert_int_equal(w.n, 4);
	assert_int_equal(w.kind[0], TEV_PROBE0);
	assert_int_equal(w.kind[3], TEV_ABORT);
	/* From the window's closing: the first probe an RTO (55 jiffies) later, rounded on level 0. */
	assert_true(w.ev_lo_ms[0] <= 928 - 704 && 928 - 704 <= w.ev_hi_ms[0]);
	assert_true(w.ev_lo_ms[1] <= 1392 - 704 && 1392 - 704 <= w.ev_hi_ms[1]);
	assert_true(w.ev_lo_ms[2] <= 2288 - 704 && 2288 - 704 <= w.ev_hi_ms[2]);
	assert_true(w.lo_ms <= 3956 - 704 && 3956 - 704 <= w.hi_ms);
	/* The user timeout counts from the first probe: the last timer is clamped to what is left of it. */
	assert_true(w.lo_ms >= 224 - 4 + 3000);
	assert_true(w.hi_ms - w.lo_ms <= 40);
}

/* The retransmission chain's shape: a probe, then RTOs doubling from tcp_rto_min_us + srtt. */
static void test_rto_chain(void **state)
{
	struct rto_chain c = { .srtt_lo_us = 100, .srtt_hi_us = 100, .rto_min_us = 200000, .rto_max_ms = 120000,
			       .retries2 = 15, .one_segment = true, .reset_from_ms = -1 };
	struct wheel_window w;

	(void)state;
	probe0_window(&(struct probe0_chain){ .srtt_lo_us = 100, .srtt_hi_us = 100, .rto_min_us = 200000,
					      .retries2 = 15, .user_timeout_ms = 1000 }, 250, &w);
	assert_true(w.hi_ms < 2000);
	rto_window(&c, 250, &w);
	/* The default tcp_retries2 = 15: 924.6 s of tcp_model_timeout after the first retransmission, at the 120 s cap. */
	assert_int_equal(w.kind[0], TEV_TLP);
	assert_int_equal(w.kind[w.n < WHEEL_EVENTS_MAX ? w.n - 1 : 0], TEV_ABORT);
	assert_true(w.lo_ms > 924600 && w.hi_ms < 924600 + 3 * 120000);
	/* The probe 204..208 ms after the send, the first retransmission 208 ms after the probe. */
	assert_true(w.ev_lo_ms[0] >= 204 - 4 && w.ev_hi_ms[0] <= 208);
	assert_true(w.ev_lo_ms[1] >= 412 - 4 && w.ev_hi_ms[1] <= 416);
	/*
	 * tcp_rto_min_us = 5 ms (Linux 6.11+): the retransmissions come fast,
	 * but tcp_retries2's time limit is still tcp_model_timeout from the
	 * constant TCP_RTO_MIN (200 ms): 3 s for tcp_retries2 = 3.
	 */
	c.rto_min_us = 5000;
	c.retries2 = 3;
	rto_window(&c, 1000, &w);
	assert_true(w.ev_hi_ms[1] < 20);
	assert_true(w.lo_ms >= 3000 && w.hi_ms < 3000 + 3000);
	/* A host back after 1 s resets the first packet after it. */
	c.rto_min_us = 200000;
	c.reset_from_ms = 1000;
	rto_window(&c, 250, &w);
	assert_int_equal(w.kind[w.n - 1], TEV_RESET);
	assert_true(w.lo_ms >= 1000 && w.hi_ms <= 1800);
}

/*
 * Walked from a known jiffy, a chain is exact: the keepalive timer of a
 * 1 s keepidle (250 jiffies, level 1, granularity 8) armed at a multiple of
 * 8 fires 256 jiffies later, armed 7 into the bucket 257 later. The window
 * over every start holds both.
 */
static void test_walk_at(void **state)
{
	struct keepalive_chain k = { .idle_ms = 1000, .intvl_ms = 1000, .cnt = 1, .reset_from_ms = -1 };
	struct wheel_window all, at;

	(void)state;
	keepalive_window(&k, 250, &all);
	assert_int_equal(all.chain.kind, CHAIN_KEEPALIVE);
	wheel_walk_at(all.chain.walk, all.chain.ctx, 250, 1 << 20, 0, NULL, &at);
	assert_int_equal(at.kind[0], TEV_PROBE);
	assert_int_equal(at.ev_lo_ms[0], 1024);
	assert_int_equal(at.ev_hi_ms[0], 1024);
	wheel_walk_at(all.chain.walk, all.chain.ctx, 250, (1 << 20) + 7, 0, NULL, &at);
	assert_int_equal(at.ev_lo_ms[0], 1028);
	assert_true(all.ev_lo_ms[0] <= 1024 - 4 && all.ev_hi_ms[0] >= 1028);
	/* Half a jiffy in, the same bucket: half a jiffy less from the reference instant. */
	wheel_walk_at(all.chain.walk, all.chain.ctx, 250, 1 << 20, 0.5, NULL, &at);
	assert_int_equal(at.ev_lo_ms[0], 1022);
}

/*
 * An ICMP unreachable for the oldest segment undoes a backoff
 * (tcp_ld_RTO_revert): the timer is re-armed for the reverted RTO less the
 * time since the segment last left, so the next retransmission comes one
 * RTO step early; one that arrives when that has already passed
 * retransmits at once.
 */
static void test_rto_revert(void **state)
{
	struct rto_chain c = { .srtt_lo_us = 100, .srtt_hi_us = 100, .rto_min_us = 200000, .rto_max_ms = 120000,
			       .retries2 = 15, .one_segment = true, .reset_from_ms = -1 };
	struct wheel_window plain, icmp;
	int64_t at_us[2];

	(void)state;
	wheel_walk_at(walk_of(&c), &c, 250, 1 << 20, 0, NULL, &plain);
	/* TLP, then retransmissions 1..4: 204 ms (51 jiffies), then 408, 816, 1632 ms apart. */
	assert_int_equal(plain.kind[3], TEV_RETRANSMIT);
	int64_t r2 = plain.ev_lo_ms[2], r3 = plain.ev_lo_ms[3], r4 = plain.ev_lo_ms[4];
	assert_true(r4 - r3 >= 1632 && r4 - r3 <= 1632 + 64);
	/* 1 ms after retransmission 3: the RTO goes back to 816 ms, counted from it. */
	at_us[0] = (r3 + 1) * 1000;
	c.icmp_us = at_us;
	c.n_icmp = 1;
	wheel_walk_at(walk_of(&c), &c, 250, 1 << 20, 0, NULL, &icmp);
	assert_int_equal(icmp.ev_lo_ms[3], r3);
	/* (203 jiffies from the ICMP's: level 1, up to 8 jiffies of rounding) */
	assert_true(icmp.ev_lo_ms[4] - r3 >= 816 && icmp.ev_lo_ms[4] - r3 <= 816 + 32);
	/* 900 ms after it, past the reverted 816 ms: retransmitted at once. */
	at_us[0] = (r3 + 900) * 1000;
	wheel_walk_at(walk_of(&c), &c, 250, 1 << 20, 0, NULL, &icmp);
	assert_true(icmp.ev_lo_ms[4] >= r3 + 900 - 4 && icmp.ev_hi_ms[4] <= r3 + 900 + 4);
	/* Before any RTO retransmission (backoff 0) it changes nothing. */
	at_us[0] = 10000;
	wheel_walk_at(walk_of(&c), &c, 250, 1 << 20, 0, NULL, &icmp);
	assert_int_equal(icmp.ev_lo_ms[2], r2);
	assert_int_equal(icmp.ev_lo_ms[4], r4);
}

UNIT_TESTS(
	cmocka_unit_test(test_walk_at),
	cmocka_unit_test(test_rto_revert),
	cmocka_unit_test(test_probe0),
	cmocka_unit_test(test_rto_chain),
	cmocka_unit_test(test_levels),
	cmocka_unit_test(test_rounding),
	cmocka_unit_test(test_conversions),
	cmocka_unit_test(test_timer_window),
	cmocka_unit_test(test_chain_window)
)
