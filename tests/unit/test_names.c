// SPDX-License-Identifier: MIT
/* names.c: every value of every enum has a word, no two alike, and name_find inverts it. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include "names.h"
#include "classify.h"
#include "scenario_priv.h"
#include "sockwatch.h"
#include "wire.h"

/* A designated initializer that skips a value leaves a NULL the static_asserts cannot see. */
static void check_table(const char *const *table, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_non_null(table[i]);
		assert_true(table[i][0] != '\0');
		assert_int_equal(name_find(table, n, table[i]), (int)i);
	}
	assert_int_equal(name_find(table, n, "no such word"), -1);
}

static void test_tables(void **state)
{
	(void)state;
	check_table(family_words, FAMILY_COUNT);
	check_table(traffic_words, TRAFFIC_COUNT);
	check_table(host_words, HOST_COUNT);
	check_table(direction_words, DIR_COUNT);
	check_table(idle_action_words, IDLE_ACTION_COUNT);
	check_table(outcome_words, OUTCOME_COUNT);
	check_table(mechanism_words, MECH_COUNT);
	check_table(verdict_words, VERDICT_COUNT);
	check_table(wire_class_words, WIRE_CLASS_COUNT);
	check_table(sw_type_words, SW_TYPE_COUNT);
	check_table(section_words, SECT_COUNT);
	check_table(app_ready_words, READY_COUNT);
	check_table(app_reaction_words, APP_REACT_COUNT);
	check_table(observer_words, OBSERVER_COUNT);
}

/* The words scenario files and results.csv already hold: renaming one breaks them. */
static void test_words(void **state)
{
	(void)state;
	assert_string_equal(family_name(FAMILY_IPV6), "ipv6");
	assert_string_equal(traffic_name(TRAFFIC_REQUEST), "request");
	assert_string_equal(host_name(HOST_ROUTER), "router");
	assert_string_equal(direction_name(DIR_TO_CLIENT), "to-client");
	assert_string_equal(idle_action_name(IDLE_RESET), "reset");
	assert_string_equal(outcome_name(OUTCOME_KILLED), "killed");
	assert_string_equal(mechanism_name(MECH_NONE), "-");
	assert_string_equal(mechanism_name(MECH_ZERO_WINDOW), "zero-window");
	assert_string_equal(verdict_name(VERDICT_NONE), "-");
	assert_string_equal(verdict_name(VERDICT_FAIL), "fail");
	assert_string_equal(wire_class_name(WIRE_ZERO_WINDOW_PROBE), "zero-window-probe");
	assert_string_equal(section_kind_name(SECT_EXPECT), "expect");
	assert_string_equal(app_ready_name(READY_LISTEN), "listen");
	assert_string_equal(app_ready_name(READY_AFTER), "after");
	assert_string_equal(app_reaction_name(APP_REACT_NONE), "none");
	assert_string_equal(app_reaction_name(APP_REACT_EOF), "eof");
	assert_string_equal(app_reaction_name(APP_REACT_LINE), "line");
	assert_string_equal(observer_name(OBSERVER_BUILTIN), "builtin");
	assert_string_equal(observer_name(OBSERVER_EBPF), "ebpf");
	assert_string_equal(observer_name(OBSERVER_SOCK_DIAG), "sock_diag");
}

static void test_format_outcome(void **state)
{
	char buf[64];

	(void)state;
	format_outcome(buf, sizeof(buf), OUTCOME_TIMEOUT, MECH_KEEPALIVE);
	assert_string_equal(buf, "timeout/keepalive");
	format_outcome(buf, sizeof(buf), OUTCOME_RST, MECH_NONE);
	assert_string_equal(buf, "rst");
	format_outcome(buf, sizeof(buf), OUTCOME_NONE, MECH_NONE);
	assert_string_equal(buf, "none");
}

UNIT_TESTS(
	cmocka_unit_test(test_tables),
	cmocka_unit_test(test_words),
	cmocka_unit_test(test_format_outcome)
)
