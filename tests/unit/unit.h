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

#ifdef DEADPEER_SCENARIO_H
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A scenario from @text, through a file as users give them (the tests that include scenario.h). */
static inline struct scenario *unit_load(const char *text)
{
	char path[] = "/tmp/deadpeer-unit-XXXXXX.scn";
	int fd = mkstemps(path, 4);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct scenario *s = scenario_load(path, stderr);
	unlink(path);
	assert_non_null(s);
	return s;
}
#endif

#endif
