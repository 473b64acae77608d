// SPDX-License-Identifier: MIT
/* deadpeer check: parse and validate, list the runs each file expands to. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "fault.h"
#include "suite.h"

/* An app side: its command as written, then how it is started and watched. */
static void describe_app(const char *side, const struct app_cfg *a)
{
	char t[32];

	printf("      %s: app %s\n", side, a->command);
	printf("        ready %s", app_ready_name(a->ready));
	if (a->ready == READY_LINE)
		printf(" %s", a->ready_regex);
	if (a->ready == READY_AFTER) {
		format_duration(t, sizeof(t), a->ready_after_ms);
		printf(" %s", t);
	}
	if (a->notice)
		printf("; notice line %s", a->notice);
	printf("; user %s", a->user ? a->user : "root");
	for (size_t k = 0; k < a->n_env; k++)
		printf("%s%s", k ? " " : "; env ", a->env[k].name);
	putchar('\n');
}

static void describe_side(const char *side, const struct side_cfg *c)
{
	char i[32] = "default", v[32] = "default", cnt[32] = "default";

	if (c->app.command) {
		describe_app(side, &c->app);
		return;
	}

	if (c->keepidle_ms >= 0)
		format_duration(i, sizeof(i), c->keepidle_ms);
	if (c->keepintvl_ms >= 0)
		format_duration(v, sizeof(v), c->keepintvl_ms);
	if (c->keepcnt >= 0)
		snprintf(cnt, sizeof(cnt), "%" PRId64, c->keepcnt);
	printf("      %s: %s", side, traffic_name(c->traffic));
	if (c->keepalive)
		printf(", keepalive %s/%s/%s", i, v, cnt);
	if (c->user_timeout_ms > 0) {
		format_duration(i, sizeof(i), c->user_timeout_ms);
		printf(", user_timeout %s", i);
	}
	putchar('\n');
}

void check_usage(FILE *f)
{
	fputs("usage: deadpeer check [PATH...]\n\n"
	      "Parse and validate scenario files, or the *.scn files of directories (default: the shipped\n"
	      "suite), and list the runs each expands to; warn about traps in their settings. No root needed.\n"
	      "Exit 0, or 2 with FILE:LINE: message for each error.\n",
	      f);
}

enum status cmd_check(int argc, char **argv)
{
	struct suite s;
	size_t runs = 0;

	if (suite_load_args(&s, "check", argc, argv) < 0)
		return STATUS_USAGE;
	warn_traps(&s, stderr);
	for (size_t f = 0; f < s.n_files; f++) {
		const struct scenario *sc = s.files[f];
		size_t n = scenario_variant_count(sc);

		printf("%s: %s, %zu variant%s\n", scenario_path(sc), scenario_name(sc), n, n == 1 ? "" : "s");
		for (size_t i = 0; i < n; i++) {
			struct variant v;
			char at[32], dur[32], dl[32];

			if (scenario_variant(sc, i, &v, stderr) < 0)
				continue;	/* suite_load checked them all */
			format_duration(dl, sizeof(dl), v.deadline_ms);
			printf("  %s  (%s, deadline %s, %" PRId64 " run%s)\n", v.name, family_name(v.family), dl,
			       v.repeat, v.repeat == 1 ? "" : "s");
			if (v.start == START_LISTENING) {
				format_duration(at, sizeof(at), v.side[HOST_CLIENT].connect_at_ms);
				printf("      start: the clock starts when the server listens; the client connects at %s\n", at);
			}
			describe_side("client", &v.side[HOST_CLIENT]);
			describe_side("server", &v.side[HOST_SERVER]);
			if (v.router.idle_timeout_ms >= 0) {
				format_duration(dur, sizeof(dur), v.router.idle_timeout_ms);
				printf("      router: middlebox, forgets flows idle %s, then %s\n", dur,
				       v.router.idle_action == IDLE_RESET ? "resets their next segment" : "drops them");
			}
			for (size_t k = 0; k < v.n_faults; k++) {
				const struct fault_cfg *fc = &v.faults[k];
				format_duration(at, sizeof(at), fc->at_ms);
				printf("      fault%s%s: %s %s at %s", *fc->name ? " " : "", fc->name,
				       fc->kind->name, host_name(fc->target), at);
				if (fc->kind->takes & FAULT_TAKES_DIRECTION)
					printf(", %s", direction_name(fc->direction));
				if (fc->kind->takes & FAULT_TAKES_MTU)
					printf(", mtu %" PRId64, fc->mtu);
				if (fc->kind->takes & FAULT_TAKES_PROBABILITY)
					printf(", %" PRId64 "%% of the packets", fc->probability);
				if (fc->duration_ms > 0) {
					format_duration(dur, sizeof(dur), fc->duration_ms);
					printf(", for %s", dur);
				}
				putchar('\n');
			}
			for (int side = 0; side < SIDE_COUNT; side++) {
				if (v.expect[side].text)
					printf("      expect %s: %s\n", host_name(side), v.expect[side].text);
				if (v.expect_app[side].text)
					printf("      expect %s_app: %s\n", host_name(side), v.expect_app[side].text);
			}
			runs += (size_t)v.repeat;
			variant_release(&v);
		}
	}
	printf("%zu file%s, %zu run%s\n", s.n_files, s.n_files == 1 ? "" : "s", runs, runs == 1 ? "" : "s");
	suite_free(&s);
	return STATUS_PASS;
}
