/* SPDX-License-Identifier: MIT */
/* What every unit test program shares: cmocka, and its main. */
#ifndef DEADPEER_UNIT_H
#define DEADPEER_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* main(): run the tests given, a cmocka_unit_test(...) each, as one group. */
#define UNIT_TESTS(...)								\
	int main(void)								\
	{									\
		const struct CMUnitTest tests[] = { __VA_ARGS__ };		\
		return cmocka_run_group_tests(tests, NULL, NULL);		\
	}

#endif
