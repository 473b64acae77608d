// SPDX-License-Identifier: MIT
/* HZ as the kernel's configuration and its clocks give it. */
#include <string.h>

#include "unit.h"

#include "kernel.h"

static void test_hz_from_config(void **state)
{
	static const char config[] = "#\n# Timer frequency\n#\n# CONFIG_HZ_100 is not set\nCONFIG_HZ_250=y\n"
				     "# CONFIG_HZ_1000 is not set\nCONFIG_HZ=250\nCONFIG_SCHED_HRTICK=y\n";
	static const char periodic[] = "CONFIG_HZ_PERIODIC=y\nCONFIG_NO_HZ=y\n";
	static const char thousand[] = "CONFIG_HZ=1000";

	(void)state;
	assert_int_equal(kernel_hz_from_config(config, strlen(config)), 250);
	assert_int_equal(kernel_hz_from_config(periodic, strlen(periodic)), 0);
	assert_int_equal(kernel_hz_from_config(thousand, strlen(thousand)), 1000);
	/* Only the start of a line counts. */
	assert_int_equal(kernel_hz_from_config("XCONFIG_HZ=100\n", 15), 0);
}

static void test_hz_from_ticks(void **state)
{
	(void)state;
	/* 50 jiffies in 200 ms: 250; a read's delay at either edge does not make it 256. */
	assert_int_equal(kernel_hz_from_ticks(1000, 0, 1050, 200000000), 250);
	assert_int_equal(kernel_hz_from_ticks(1000, 0, 1050, 199700000), 250);
	assert_int_equal(kernel_hz_from_ticks(1000, 0, 1200, 200000000), 1000);
	assert_int_equal(kernel_hz_from_ticks(1000, 0, 1060, 200000000), 300);
	assert_int_equal(kernel_hz_from_ticks(1000, 0, 1020, 200000000), 100);
	/* Too short to tell, or a rate no kernel is configured with. */
	assert_int_equal(kernel_hz_from_ticks(1000, 0, 1002, 10000000), 0);
	assert_int_equal(kernel_hz_from_ticks(1000, 0, 1140, 200000000), 0);
}

/* This machine's HZ, however it was found, is one a kernel can have. */
static void test_hz_here(void **state)
{
	int hz = kernel_hz();

	(void)state;
	if (hz == 0)
		skip();
	assert_true(hz == 100 || hz == 250 || hz == 300 || hz == 1000 || hz == 24 || hz == 32 || hz == 48 ||
		    hz == 64 || hz == 128 || hz == 200 || hz == 256 || hz == 500 || hz == 512 || hz == 1024 ||
		    hz == 1200);
}

UNIT_TESTS(
	cmocka_unit_test(test_hz_from_config),
	cmocka_unit_test(test_hz_from_ticks),
	cmocka_unit_test(test_hz_here)
)
