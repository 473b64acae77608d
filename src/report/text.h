/* SPDX-License-Identifier: MIT */
/* The human report: a line per finished run, details with -v, the summary. */
#ifndef DEADPEER_TEXT_H
#define DEADPEER_TEXT_H

#include <stdio.h>

#include "plan.h"
#include "report.h"

/* No side failed its expectation and the run completed. */
bool run_passed(const struct run_result *r);
/* "[3/12] name #1: client timeout/keepalive 5.012s, server none  pass" */
void print_run_line(FILE *f, size_t i, size_t n, const struct planned *p, const struct run_result *r);
/* -v: each side's figures, as in the CSV. */
void print_details(FILE *f, const struct run_result *r);
/* The table of every finished run, failures first, and the counts. */
void print_summary(FILE *f, const struct planned *p, const struct run_result *res, const bool *finished, size_t n);

#endif
