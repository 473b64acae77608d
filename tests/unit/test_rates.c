// SPDX-License-Identifier: MIT
/*
 * Rates over repeated runs: how outcomes are counted and ordered, how the
 * summary and deadpeer table write them, and rates.csv.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "rates.h"
#include "unit.h"

#define TIMED(o, m, ms) { (o), (m), true, (ms) }
#define UNTIMED(o, m) { (o), (m), false, 0 }

static void test_percent(void **state)
{
	static const struct {
		size_t part, total;
		const char *text;
	} cases[] = {
		{ 12, 50, "24 %" }, { 1, 3, "33 %" }, { 2, 3, "67 %" }, { 5, 5, "100 %" }, { 0, 5, "0 %" },
		/* One in a thousand is not nothing, nor is 999 in a thousand everything. */
		{ 1, 1000, "0.1 %" }, { 999, 1000, "99.9 %" },
	};
	char b[32];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		format_percent(b, sizeof(b), cases[i].part, cases[i].total);
		assert_string_equal(b, cases[i].text);
	}
}

/* Most frequent first; ties in the enums' order; failed runs last; medians of the timed ones. */
static void test_count(void **state)
{
	const struct rate_sample s[] = {
		UNTIMED(OUTCOME_NONE, MECH_NONE),
		TIMED(OUTCOME_TIMEOUT, MECH_KEEPALIVE, 3000),
		UNTIMED(-1, MECH_NONE),
		TIMED(OUTCOME_TIMEOUT, MECH_KEEPALIVE, 1000),
		UNTIMED(OUTCOME_NONE, MECH_NONE),
		TIMED(OUTCOME_RST, MECH_NONE, 2000),
		TIMED(OUTCOME_TIMEOUT, MECH_KEEPALIVE, 2000),
		UNTIMED(OUTCOME_NONE, MECH_NONE),
		TIMED(OUTCOME_TIMEOUT, MECH_USER_TIMEOUT, 5000),
		TIMED(OUTCOME_TIMEOUT, MECH_USER_TIMEOUT, 7000),
	};
	struct rate r[ARRAY_SIZE(s)];
	size_t n = rates_count(s, ARRAY_SIZE(s), r);

	(void)state;
	assert_int_equal(n, 5);
	/* 3 and 3: timeout comes before none in enum outcome. */
	assert_int_equal(r[0].outcome, OUTCOME_TIMEOUT);
	assert_int_equal(r[0].mechanism, MECH_KEEPALIVE);
	assert_int_equal(r[0].runs, 3);
	assert_true(r[0].has_median);
	assert_int_equal(r[0].median_ms, 2000);
	assert_int_equal(r[1].outcome, OUTCOME_NONE);
	assert_int_equal(r[1].runs, 3);
	assert_false(r[1].has_median);
	/* Two runs: the upper of the middle two, as deadpeer table's medians. */
	assert_int_equal(r[2].mechanism, MECH_USER_TIMEOUT);
	assert_int_equal(r[2].runs, 2);
	assert_int_equal(r[2].median_ms, 7000);
	assert_int_equal(r[3].outcome, OUTCOME_RST);
	assert_int_equal(r[4].outcome, -1);
	assert_int_equal(r[4].runs, 1);

	/* All alike: one group of all of them. */
	n = rates_count(s + 1, 1, r);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].runs, 1);
	assert_int_equal(r[0].median_ms, 3000);
}

static void test_format(void **state)
{
	struct rate_sample s[50];
	struct rate r[50];
	char buf[512];

	(void)state;
	for (int i = 0; i < 50; i++)
		s[i] = (struct rate_sample)UNTIMED(OUTCOME_NONE, MECH_NONE);
	for (int i = 0; i < 12; i++)
		s[i * 4] = (struct rate_sample)TIMED(OUTCOME_TIMEOUT, MECH_KEEPALIVE, 3000 + 10 * i);
	rates_format(buf, sizeof(buf), r, rates_count(s, 50, r), 50);
	assert_string_equal(buf, "none 38 of 50 (76 %), timeout/keepalive 12 of 50 (24 %, median 3.060 s)");

	/* One run of an outcome has its time, not a median; a failed run says so. */
	const struct rate_sample t[] = {
		TIMED(OUTCOME_RST, MECH_NONE, 2051), UNTIMED(-1, MECH_NONE),
		TIMED(OUTCOME_TIMEOUT, MECH_KEEPALIVE, 1553), TIMED(OUTCOME_TIMEOUT, MECH_KEEPALIVE, 2575),
	};
	rates_format(buf, sizeof(buf), r, rates_count(t, 4, r), 4);
	assert_string_equal(buf, "timeout/keepalive 2 of 4 (50 %, median 2.575 s), rst 1 of 4 (25 %, 2.051 s), "
				 "run failed 1 of 4 (25 %)");
	/* Cut short, never overrun. */
	rates_format(buf, 20, r, rates_count(t, 4, r), 4);
	assert_int_equal(strlen(buf), 19);
}

static struct side_result side(enum outcome o, enum mechanism m, int64_t detect_ms)
{
	return (struct side_result){ .outcome = o, .mechanism = m, .detected = detect_ms >= 0, .detect_ms = detect_ms };
}

/*
 * rates.csv: a row per outcome and mechanism per side per variant, from the
 * finished runs only (a run not finished is not counted in total), in plan
 * order, quoted like results.csv.
 */
static void test_csv(void **state)
{
	struct scenario *s = unit_load("[scenario]\nname = lossy\nrepeat = 3\n[client]\nkeepalive = yes\n"
					 "keepcnt = 1, 9\n[fault]\naction = loss\nprobability = 30%\ntarget = router\n");
	struct planned p[6];
	struct run_result res[6];
	bool finished[6] = { true, true, true, true, true, false };
	struct rate_group *g;
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	memset(res, 0, sizeof(res));
	for (int i = 0; i < 6; i++) {
		assert_int_equal(scenario_variant(s, (size_t)i / 3, &p[i].v, stderr), 0);
		p[i].run = (unsigned)i % 3 + 1;
		res[i].v = &p[i].v;
		res[i].side[HOST_SERVER] = side(OUTCOME_NONE, MECH_NONE, -1);
	}
	res[0].side[HOST_CLIENT] = side(OUTCOME_TIMEOUT, MECH_KEEPALIVE, 1553);
	res[0].side[HOST_SERVER] = side(OUTCOME_RST, MECH_NONE, 1553);
	res[1].side[HOST_CLIENT] = side(OUTCOME_TIMEOUT, MECH_KEEPALIVE, 2575);
	res[2].failed = true;
	res[3].side[HOST_CLIENT] = side(OUTCOME_NONE, MECH_NONE, -1);
	res[4].side[HOST_CLIENT] = side(OUTCOME_NONE, MECH_NONE, -1);
	res[5].side[HOST_CLIENT] = side(OUTCOME_TIMEOUT, MECH_KEEPALIVE, 9000);

	size_t n = rates_group_runs(p, res, finished, 6, &g);
	assert_int_equal(n, 2);
	assert_int_equal(g[0].total, 3);
	assert_int_equal(g[1].total, 2);
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(rates_csv_header(f), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(rates_csv_rows(f, &g[i]), 0);
	fclose(f);
	assert_string_equal(buf,
		"scenario,variant,side,outcome,mechanism,runs,total,rate,median_detect_ms\r\n"
		"lossy,client.keepcnt=1,client,timeout,keepalive,2,3,0.667,2575\r\n"
		"lossy,client.keepcnt=1,client,,,1,3,0.333,\r\n"
		"lossy,client.keepcnt=1,server,rst,-,1,3,0.333,1553\r\n"
		"lossy,client.keepcnt=1,server,none,-,1,3,0.333,\r\n"
		"lossy,client.keepcnt=1,server,,,1,3,0.333,\r\n"
		"lossy,client.keepcnt=9,client,none,-,2,2,1.000,\r\n"
		"lossy,client.keepcnt=9,server,none,-,2,2,1.000,\r\n");
	free(buf);
	rates_groups_free(g, n);
	for (int i = 0; i < 6; i++)
		variant_release(&p[i].v);
	scenario_free(s);
}

UNIT_TESTS(
	cmocka_unit_test(test_percent),
	cmocka_unit_test(test_count),
	cmocka_unit_test(test_format),
	cmocka_unit_test(test_csv)
)
