// SPDX-License-Identifier: MIT
/*
 * Fuzz target for the scenario parser and sweep expansion (libFuzzer entry
 * point). Any input must load or be rejected with messages, never crash,
 * hang or leak. Built with -Dfuzzer=true under clang for real fuzzing; the
 * corpus runner (run_corpus.c) replays tests/fuzz/corpus as a unit test.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	char path[64];
	int fd = memfd_create("scenario", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (!sink)
		sink = fopen("/dev/null", "w");
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct scenario *s = scenario_load(path, sink);
	if (s) {
		/* Every variant, as check and run do: at most 10000 once loaded. */
		size_t n = scenario_variant_count(s);
		for (size_t i = 0; i < n; i++) {
			struct variant v;
			if (scenario_variant(s, i, &v, sink) == 0)
				variant_release(&v);
		}
		scenario_free(s);
	}
	close(fd);
	return 0;
}
