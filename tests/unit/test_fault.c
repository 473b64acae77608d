// SPDX-License-Identifier: MIT
/*
 * The instant a fault is applied (the origin of every detection time) is read
 * before the fault acts: a peer that notices at once must never measure a
 * negative time. The clock is watched: each reading records whether the
 * target process had already been signalled.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include "fault.h"

static pid_t target;
static int readings;
static bool signalled_at[4];

/* Has @target been sent a signal? It is a zombie, stopped, or has one pending. */
static bool target_signalled(void)
{
	char path[64], line[256];
	bool hit = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)target);
	f = fopen(path, "r");
	if (!f)
		return true;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long mask;
		char state;
		if (sscanf(line, "State: %c", &state) == 1 && state != 'S')
			hit = true;	/* Z, X, T or running towards its end */
		if ((sscanf(line, "SigPnd: %llx", &mask) == 1 || sscanf(line, "ShdPnd: %llx", &mask) == 1) && mask)
			hit = true;
	}
	fclose(f);
	return hit;
}

static int64_t watched_clock(void)
{
	if (readings < (int)(sizeof(signalled_at) / sizeof(signalled_at[0])))
		signalled_at[readings] = target_signalled();
	readings++;
	return readings;	/* a clock that counts its readings */
}

/* A child asleep in pause(): state S, nothing pending, until the fault. */
static pid_t sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			pause();
	}
	assert_true(pid > 0);
	for (int i = 0; i < 1000; i++) {
		target = pid;
		if (!target_signalled())
			return pid;
		usleep(1000);
	}
	fail_msg("child %d never went to sleep", (int)pid);
	return pid;
}

static void check_action(const char *action)
{
	struct fault_cfg f = { .name = "", .kind = fault_kind_find(action), .target = HOST_SERVER };
	struct endpoint server = { .ops = &endpoint_builtin, .fd = -1 };
	struct fault_env env = { .clock = watched_clock, .ep = { [HOST_SERVER] = &server } };
	char err[256] = "";

	server.pid = sleeper();
	readings = 0;
	memset(signalled_at, 0, sizeof(signalled_at));
	assert_int_equal(fault_apply(&env, &f, 0, err, sizeof(err)), 0);
	/* start_ns is the first reading, taken while the target was untouched. */
	assert_int_equal(env.start_ns, 1);
	assert_false(signalled_at[0]);
	assert_true(env.effective_ns >= env.start_ns);
}

/* The sleeper goes whatever the test's verdict. */
static int reap_target(void **state)
{
	(void)state;
	if (target > 0) {
		kill(target, SIGKILL);
		waitpid(target, NULL, 0);
		target = 0;
	}
	return 0;
}

static void test_kill_instant_before(void **state)
{
	(void)state;
	check_action("kill");
}

static void test_freeze_instant_before(void **state)
{
	(void)state;
	check_action("freeze");
}

UNIT_TESTS(
	cmocka_unit_test_teardown(test_kill_instant_before, reap_target),
	cmocka_unit_test_teardown(test_freeze_instant_before, reap_target)
)
