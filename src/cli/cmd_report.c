// SPDX-License-Identifier: MIT
/* deadpeer report [RESULTS]: write RESULTS/report.html again from what the directory keeps. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "html.h"

void report_usage(FILE *f)
{
	fputs("usage: deadpeer report [RESULTS_DIR]\n\n"
	      "Write RESULTS_DIR/report.html again (default: results/latest) from results.csv, runs/ and\n"
	      "summary.txt: the summary, the sweeps and repeats as charts, and each run's timeline. One\n"
	      "self-contained file that opens from disk. No root needed. Exit 0, or 2: not a results\n"
	      "directory or a malformed results.csv.\n",
	      f);
}

enum status cmd_report(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "results/latest";
	struct stat st;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: deadpeer report [RESULTS_DIR]  (default: results/latest)\n");
		return STATUS_USAGE;
	}
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		if (argc < 2)
			fprintf(stderr, "deadpeer report: no results/latest here: run 'deadpeer run' first, "
				"or name a results directory\n");
		else
			fprintf(stderr, "deadpeer report: \"%s\" is not a results directory\n", dir);
		return STATUS_USAGE;
	}
	long n = report_html_write(dir, stderr);
	if (n < 0)
		return STATUS_USAGE;
	printf("%s/report.html: %ld run%s\n", dir, n, n == 1 ? "" : "s");
	return STATUS_PASS;
}
