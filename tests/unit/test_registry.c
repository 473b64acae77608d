// SPDX-License-Identifier: MIT
/*
 * The table of fault kinds: every kind complete, and README.md's [fault] key
 * table listing exactly the kinds of the registry, in its order, so that a
 * kind added to the table cannot go undocumented.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fault.h"

static const char *readme;	/* argv[1] */

static void test_kinds_complete(void **state)
{
	(void)state;
	assert_true(fault_kind_count > 0);
	for (size_t i = 0; i < fault_kind_count; i++) {
		const struct fault_kind *k = fault_kinds[i];
		assert_non_null(k->name);
		assert_non_null(k->describe);
		assert_non_null(k->apply);
		assert_non_null(k->predict);
		/* Something lifts it exactly when the run loop can be told when. */
		assert_int_equal(!k->lift, !k->heal_ms);
		/* A kind without duration says why, for the message that refuses one. */
		assert_int_equal(!(k->takes & FAULT_TAKES_DURATION), k->no_duration != NULL);
		assert_ptr_equal(fault_kind_find(k->name), k);
		for (size_t j = 0; j < i; j++) {
			assert_string_not_equal(fault_kinds[j]->name, k->name);
			assert_int_not_equal(fault_kinds[j]->table_rank, k->table_rank);
		}
	}
	assert_null(fault_kind_find("dorp"));
}

/* How messages list the kinds that take a key (the full list is test_parse's "unknown action"). */
static void test_names(void **state)
{
	char buf[256];

	(void)state;
	assert_string_equal(fault_kind_names(buf, sizeof(buf), FAULT_TAKES_DIRECTION, " and "),
			    "drop, reject, loss and mtu-blackhole");
	assert_string_equal(fault_kind_names(buf, sizeof(buf), FAULT_TAKES_PROBABILITY, " and "), "loss");
	assert_string_equal(fault_kind_names(buf, sizeof(buf), FAULT_TAKES_RESTART, " and "), "crash");
	assert_string_equal(fault_kind_names(buf, sizeof(buf), FAULT_TAKES_MTU, " and "), "mtu-blackhole");
}

/* The backquoted words of @cell, ", "-joined: "`drop`, `reject`" gives "drop, reject". */
static void quoted_words(const char *cell, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (const char *p = strchr(cell, '`'); p && used < len; p = strchr(p, '`')) {
		const char *end = strchr(p + 1, '`');
		if (!end)
			break;
		used += (size_t)snprintf(out + used, len - used, "%s%.*s", used ? ", " : "", (int)(end - p - 1), p + 1);
		p = end + 1;
	}
}

/* The third cell of the first "| `action` |" row after the [fault] heading of README.md. */
static bool readme_actions(char *out, size_t len)
{
	FILE *f = fopen(readme, "r");
	char line[1024];
	bool in_fault = false, found = false;

	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "### ", 4) == 0)
			in_fault = strncmp(line, "### `[fault]`", 13) == 0;
		if (!in_fault || strncmp(line, "| `action` |", 12) != 0)
			continue;
		char *cell = strchr(line + 12, '|');	/* past the default's cell */
		assert_non_null(cell);
		quoted_words(cell, out, len);
		found = true;
	}
	fclose(f);
	return found;
}

static void test_readme_lists_the_registry(void **state)
{
	char documented[512], registry[512];

	(void)state;
	assert_true(readme_actions(documented, sizeof(documented)));
	assert_string_equal(documented, fault_kind_names(registry, sizeof(registry), 0, ", "));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds_complete),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_readme_lists_the_registry),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s README.md\n", argv[0]);
		return 2;
	}
	readme = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
