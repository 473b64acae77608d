// SPDX-License-Identifier: MIT
/* deadpeer predict: what the kernel's rules say each side of each run will see. No root. */
#include <stdio.h>

#include "commands.h"
#include "names.h"
#include "predict.h"
#include "suite.h"

enum status cmd_predict(int argc, char **argv)
{
	struct suite s;

	if (suite_load_args(&s, "predict", argc, argv) < 0)
		return STATUS_USAGE;
	for (size_t f = 0; f < s.n_files; f++) {
		size_t n = scenario_variant_count(s.files[f]);
		for (size_t i = 0; i < n; i++) {
			struct variant v;
			if (scenario_variant(s.files[f], i, &v, stderr) < 0)
				continue;
			printf("%s\n", v.name);
			for (int side = 0; side < SIDE_COUNT; side++) {
				struct prediction p;
				char what[48], t[32] = "";
				predict_side(&v, side, false, 0, &p);
				if (p.outcome == OUTCOME_COUNT)
					snprintf(what, sizeof(what), "no prediction");
				else
					format_outcome(what, sizeof(what), p.outcome, p.mechanism);
				if (p.has_time)
					format_duration(t, sizeof(t), p.ms);
				printf("  %s: %s%s%s  (%s)\n", host_name(side), what, p.has_time ? " at " : "", t, p.rule);
			}
			variant_release(&v);
		}
	}
	suite_free(&s);
	return STATUS_PASS;
}
