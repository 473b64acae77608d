// SPDX-License-Identifier: MIT
/* Durations, number parsing, errno names: what every scenario value goes through. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

#include "common.h"

static int64_t dur(const char *text)
{
	int64_t ms = -12345;
	const char *why;

	assert_int_equal(parse_duration_ms(text, &ms, &why), 0);
	return ms;
}

static void bad_duration(const char *text, const char *reason)
{
	int64_t ms;
	const char *why = NULL;

	assert_int_equal(parse_duration_ms(text, &ms, &why), -1);
	assert_non_null(why);
	assert_non_null(strstr(why, reason));
}

static void test_durations(void **state)
{
	(void)state;
	assert_int_equal(dur("250ms"), 250);
	assert_int_equal(dur("1.5s"), 1500);
	assert_int_equal(dur("3"), 3000);
	assert_int_equal(dur("0"), 0);
	assert_int_equal(dur("2m"), 120000);
	assert_int_equal(dur("1h"), 3600000);
	assert_int_equal(dur("0.25s"), 250);
	assert_int_equal(dur("1.0005m"), 60030);
	assert_int_equal(dur("720h"), DURATION_MAX_MS);
}

static void test_bad_durations(void **state)
{
	(void)state;
	bad_duration("", "expected a duration");
	bad_duration("s", "expected a duration");
	bad_duration("-1s", "expected a duration");
	bad_duration("3 s", "unknown unit");
	bad_duration("3sec", "unknown unit");
	bad_duration("1.5ms", "whole number of milliseconds");
	bad_duration("0.0001s", "whole number of milliseconds");
	bad_duration("721h", "longer than 30 days");
	bad_duration("99999999999999999999", "longer than 30 days");
	bad_duration("1..5s", "unknown unit");
}

static void test_format(void **state)
{
	static const struct {
		int64_t v;
		const char *duration, *thousandths;
	} cases[] = {
		{ 7875000, "2h11m15s", "7875.000" },
		{ 7875001, "2h11m15.001s", "7875.001" },
		{ 1500, "1.500s", "1.500" },
		{ 3000, "3s", "3.000" },
		{ 250, "250ms", "0.250" },
		{ 0, "0ms", "0.000" },
		{ -52, "-52ms", "-0.052" },
		{ -1002, "-1.002s", "-1.002" },
		{ 924600, "15m24.600s", "924.600" },
		{ -3600000, "-1h0m", "-3600.000" },
	};
	char b[32];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		format_duration(b, sizeof(b), cases[i].v);
		assert_string_equal(b, cases[i].duration);
		format_thousandths(b, sizeof(b), cases[i].v);
		assert_string_equal(b, cases[i].thousandths);
	}
	/* Its magnitude taken through unsigned: no overflow at the very end of the range. */
	format_thousandths(b, sizeof(b), INT64_MIN);
	assert_string_equal(b, "-9223372036854775.808");
}

static void test_ints_and_errnos(void **state)
{
	int64_t v;

	(void)state;
	assert_int_equal(parse_int64("127", &v), 0);
	assert_int_equal(v, 127);
	assert_int_equal(parse_int64("-3", &v), 0);
	assert_int_equal(v, -3);
	assert_int_equal(parse_int64("3x", &v), -1);
	assert_int_equal(parse_int64("", &v), -1);
	assert_int_equal(parse_int64(" 3", &v), -1);
	assert_int_equal(parse_int64("99999999999999999999", &v), -1);
	assert_string_equal(errno_name(ETIMEDOUT), "ETIMEDOUT");
	assert_string_equal(errno_name(EHOSTUNREACH), "EHOSTUNREACH");
	assert_string_equal(errno_name(0), "");
}

/* A forked process keeps only the descriptors it names (and 0, 1, 2). */
static void test_close_all_but(void **state)
{
	int p[3][2];

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(pipe(p[i]), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close_all_but((int[]){ p[2][1], -1, p[0][0] }, 3);
		bool ok = fcntl(p[0][0], F_GETFD) >= 0 && fcntl(p[2][1], F_GETFD) >= 0 &&
			  fcntl(p[0][1], F_GETFD) < 0 && fcntl(p[1][0], F_GETFD) < 0 &&
			  fcntl(p[1][1], F_GETFD) < 0 && fcntl(p[2][0], F_GETFD) < 0 && fcntl(2, F_GETFD) >= 0;
		_exit(ok ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (int i = 0; i < 3; i++) {
		close(p[i][0]);
		close(p[i][1]);
	}
}

UNIT_TESTS(
	cmocka_unit_test(test_close_all_but),
	cmocka_unit_test(test_durations),
	cmocka_unit_test(test_bad_durations),
	cmocka_unit_test(test_format),
	cmocka_unit_test(test_ints_and_errnos)
)
