/* SPDX-License-Identifier: MIT */
/*
 * report.html: a results directory as one self-contained page (SPEC.md
 * "Visual report"). Built from what the directory keeps: results.csv for
 * what each run concluded, runs/NAME.obs for what it saw (packets, the faults'
 * spans, the instants), summary.txt for the banner. Nothing is fetched: the
 * page's CSS, SVG and its one small script are inline.
 *
 * The sweep and repeat charts are drawn here as SVG; each run's timeline is
 * drawn by the page's script from the run's data when it is opened, so
 * that a report of thousands of runs opens at once.
 */
#ifndef DEADPEER_HTML_H
#define DEADPEER_HTML_H

#include <stddef.h>
#include <stdio.h>

#include "record.h"
#include "report.h"

/* One run of the page: its rows of results.csv and what its record saw. */
struct html_run {
	char **side[SIDE_COUNT];	/* its row per side, indexed by enum csv_column ("" where absent); NULL: none */
	char *data;			/* its timeline as the page's JSON; NULL: no record */
};

/* A results.csv read back: its rows, and the rows grouped into runs (sorted by scenario, variant, run). */
struct results {
	char ***rows;			/* each indexed by enum csv_column ("" where absent); owned */
	size_t n_rows;
	struct html_run *runs;
	size_t n_runs;
};

/* Read @csv into @r (results_free it, whatever the result); 0, or -1 after a FILE:LINE message on @err. */
int results_load(struct results *r, const char *csv, FILE *err);
void results_free(struct results *r);

/* The JSON of @o's timeline for the page's script (allocated; NULL without memory). */
char *html_run_data(const struct observation *o);

/* Write the page of @n runs, in their order; @banner: summary.txt's first line or NULL. 0 or -errno. */
int html_render(FILE *f, const struct html_run *runs, size_t n, const char *banner) MUST_CHECK;

/*
 * Write @dir/report.html from @dir's results.csv, runs/ and summary.txt
 * (replacing it whole). Returns the number of runs shown, or -1 after
 * saying why on @err.
 */
long report_html_write(const char *dir, FILE *err);

#endif
