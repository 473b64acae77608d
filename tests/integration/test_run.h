/* SPDX-License-Identifier: MIT */
/* Helpers of the root-only integration tests: run a scenario text, check windows. */
#ifndef DEADPEER_TEST_RUN_H
#define DEADPEER_TEST_RUN_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "classify.h"
#include "run.h"

/* Scheduling delay allowed on top of the kernel's own rounding. */
#define LOAD_SLACK_MS 300

struct ran {
	struct scenario *s;
	struct variant v;
	struct observation obs;		/* what the run saw */
	struct run_result r;		/* what deadpeer makes of it */
};

static inline void run_text(struct ran *out, const char *text)
{
	char path[] = "/tmp/deadpeer-it-XXXXXX.scn";
	int fd = mkstemps(path, 4);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	out->s = scenario_load(path, stderr);
	unlink(path);
	assert_non_null(out->s);
	assert_int_equal(scenario_variant(out->s, 0, &out->v, stderr), 0);
	int ret = run_variant(&out->v, 1, NULL, &out->obs);
	classify_run(&out->v, &out->obs, &out->r);
	if (ret < 0)
		fail_msg("run failed: %s", out->r.error);
	for (int s = 0; s < SIDE_COUNT; s++) {
		const struct side_result *sr = &out->r.side[s];
		print_message("  %s: %s/%s detect=%lldms last_rx=%lldms probes=%u retrans=%u errno=%d\n",
			      host_name(s), outcome_name(sr->outcome), mechanism_name(sr->mechanism),
			      sr->detected ? (long long)sr->detect_ms : -1LL,
			      sr->has_last_rx ? (long long)sr->last_rx_ms : -1LL, sr->probes, sr->retransmits, sr->err);
	}
}

static inline void done(struct ran *r)
{
	obs_release(&r->obs);
	variant_release(&r->v);
	scenario_free(r->s);
}

static inline void assert_window(const char *what, int64_t value, int64_t lo, int64_t hi)
{
	if (value < lo || value > hi)
		fail_msg("%s = %lld ms, expected %lld..%lld ms", what, (long long)value, (long long)lo, (long long)hi);
}

/* Latest a timer of @ms can fire: the wheel rounds up by at most 1/8 of it. */
static inline int64_t late(int64_t ms)
{
	return ms + ms / 8 + LOAD_SLACK_MS;
}


/* Integration tests need root; without it they report a skip (exit 77). */
static inline bool skip_unless_root(void)
{
	if (geteuid() == 0)
		return false;
	fprintf(stderr, "integration tests need root: skipped\n");
	return true;
}

#define run_as_root(tests) \
	(skip_unless_root() ? 77 : cmocka_run_group_tests_name("integration", tests, NULL, NULL))

#endif
