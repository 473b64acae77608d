// SPDX-License-Identifier: MIT
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "common.h"
#include "fault.h"

static const struct {
	const char *name;
	enum status (*fn)(int argc, char **argv);
	void (*usage)(FILE *f);		/* deadpeer NAME --help */
	const char *args;
	const char *description;
} commands[] = {
	{ "run", cmd_run, run_usage, "[options] [PATH...]", "run scenario files or directories (default: the shipped suite)" },
	{ "predict", cmd_predict, predict_usage, "[-v] [--hz N] [PATH...]", "print each side's predicted outcome, detection time and its window per run (-v: the timer instants); no root needed" },
	{ "check", cmd_check, check_usage, "[PATH...]", "parse and validate only; list the runs a file expands to; no root needed" },
	{ "table", cmd_table, table_usage, "[RESULTS]", "Markdown tables of a run's results.csv, by claim and mechanism (default: results/latest)" },
	{ "report", cmd_report, report_usage, "[RESULTS]", "write RESULTS/report.html again, the run-by-run picture (default: results/latest)" },
	{ "merge", cmd_merge, merge_usage, "-o DIR RESULTS...", "join the results directories of a suite's shards, run on any machines, into one" },
	{ "advise", cmd_advise, advise_usage, "[options]", "settings that meet detection targets, and why; no root needed (--verify runs them)" },
};


static void usage(FILE *f)
{
	fputs("usage:\n", f);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  deadpeer %-7s %-23s %s\n", commands[i].name, commands[i].args, commands[i].description);
	fputs("  deadpeer --help | --version\n\n"
	      "run options:\n"
	      "  -o, --output DIR   write results.csv and the summary in DIR\n"
	      "                     (default: results/<UTC timestamp>/, with results/latest)\n"
	      "      --repeat N     run every variant N times (overrides the files' repeat)\n"
	      "      --filter GLOB  run only scenarios whose name or variant name matches GLOB\n"
	      "      --shard K/N    run only the K-th of N deterministic slices of the runs\n"
	      "      --pcap         keep each host's capture in pcap/<scenario>-<variant>-<run>-<side>.pcap\n"
	      "  -j, --jobs N       runs at once (default 16)\n"
	      "      --max-runs N   refuse a selection of more than N runs (default 1000)\n"
	      "      --tap          TAP output on stdout\n"
	      "  -q, --quiet        only the summary\n"
	      "  -v, --verbose      also print each run's error details and CSV row as it finishes\n\n"
	      "each command's own options: deadpeer COMMAND --help\n\n"
	      "exit codes: 0 all expectations met, 1 an expectation failed or a run could not\n"
	      "complete, 2 bad usage or invalid scenario file, 3 this machine cannot run scenarios\n\n"
	      "fault actions ([fault] action = ...):\n", f);
	/* One column of names, as wide as the longest. */
	int width = 0;
	for (size_t i = 0; i < fault_kind_count; i++)
		if ((int)strlen(fault_kinds[i]->name) > width)
			width = (int)strlen(fault_kinds[i]->name);
	for (size_t i = 0; i < fault_kind_count; i++)
		fprintf(f, "  %-*s %s\n", width, fault_kinds[i]->name, fault_kinds[i]->describe);
}

/* The exit codes README.md documents, one per way a command can end. */
static const int exit_codes[] = {
	[STATUS_PASS] = 0,
	[STATUS_FAILED] = 1,
	[STATUS_USAGE] = 2,
	[STATUS_ENV] = 3,
};
static_assert(ARRAY_SIZE(exit_codes) == STATUS_COUNT, "an exit code for every status");

static enum status dispatch(int argc, char **argv)
{
	/* The man page's test and the completion read command_names: the same commands, in the same order. */
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		assert(command_names[i] && strcmp(command_names[i], commands[i].name) == 0);
	assert(!command_names[ARRAY_SIZE(commands)]);
	if (argc < 2) {
		usage(stderr);
		return STATUS_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return STATUS_PASS;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("deadpeer %s\n", DEADPEER_VERSION);
		return STATUS_PASS;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
			commands[i].usage(stdout);
			return STATUS_PASS;
		}
		return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "deadpeer: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return STATUS_USAGE;
}

int main(int argc, char **argv)
{
	return exit_codes[dispatch(argc, argv)];
}
