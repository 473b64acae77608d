/* SPDX-License-Identifier: MIT */
/* Reports: results.csv (RFC 4180), the line per finished run, the summary. */
#ifndef DEADPEER_REPORT_H
#define DEADPEER_REPORT_H

#include <stdio.h>

#include "classify.h"

/* Write @s as one CSV field, quoted when it holds a comma, quote or line break. */
void csv_field(FILE *f, const char *s);

/*
 * Read one RFC 4180 record. On success returns 1 with @fields (an array of
 * *@n strings, owned by the caller: free with csv_fields_free); 0 at the end
 * of the file; -1 on a malformed record (an unterminated quote).
 */
int csv_read_row(FILE *f, char ***fields, size_t *n);
void csv_fields_free(char **fields, size_t n);

/*
 * The columns of results.csv, in their order: those of SPEC.md "Reports",
 * then the harness's own. csv.c holds each one's name and how it is
 * written; a reader finds its columns by csv_column_name().
 */
enum csv_column {
	COL_SCENARIO, COL_VARIANT, COL_RUN, COL_SIDE, COL_FAMILY, COL_ACTION, COL_TARGET, COL_KEEPALIVE,
	COL_KEEPIDLE_MS, COL_KEEPINTVL_MS, COL_KEEPCNT, COL_USER_TIMEOUT_MS, COL_TRAFFIC, COL_FAULT_AT_MS,
	COL_OUTCOME, COL_MECHANISM, COL_ERRNO, COL_DETECT_MS, COL_LAST_RX_MS, COL_PREDICTED_MS, COL_PROBES,
	COL_RETRANSMITS, COL_EXPECTED, COL_VERDICT, COL_WIRE_LAG_MS, COL_MODEL_ERROR_MS, COL_COUNTS_FROM,
	COL_ZERO_WINDOW_PROBES, COL_PREDICTED, COL_ERROR, COL_PROBE_REPLIES, COL_PROBE_REPLY_MAX_MS,
	COL_DESCRIPTION, COL_SETUP_MS, COL_CONNECT_MS, COL_TEARDOWN_MS, COL_FAULT_LAG_MS, COL_FAULT_HITS,
	/* SPEC "Application endpoints": who observed, and the program's view. */
	COL_OBSERVER, COL_CONNECTIONS, COL_RECONNECT_MS, COL_APP_REACTION, COL_APP_DETECT_MS, COL_APP_LAG_MS,
	COL_APP_EXIT_STATUS, COL_APP_LINE, COL_OBSERVE_LAG_MS,
	/* SPEC "more network faults": a lossy link's share. */
	COL_PROBABILITY,
	/* The window the timer wheel's rounding allows the prediction (SPEC "Prediction"). */
	COL_PREDICTED_EARLIEST_MS, COL_PREDICTED_LATEST_MS,
	/* How long the run itself took. */
	COL_RUN_MS,
	/* SPEC "Beyond one machine": where the row was measured. */
	COL_KERNEL, COL_HZ, COL_HOST,
	COL_COUNT
};

/* The header word of column @c ("detect_ms"). */
const char *csv_column_name(enum csv_column c);

/*
 * The header row: every column's name, in order.
 * Returns 0, or -errno when it could not be written (a full disk).
 */
int csv_header(FILE *f) MUST_CHECK;
/* One row per side of @r, flushed so an interrupted suite keeps it; 0 or -errno as csv_header. */
int csv_rows(FILE *f, const struct run_result *r) MUST_CHECK;

/*
 * Flush @f and say whether everything written to it since it was opened
 * reached the kernel: 0, or -errno of the first failure (-EIO if unknown).
 */
int file_flush_checked(FILE *f) MUST_CHECK;

/* "timeout/keepalive 5.012s"; the outcome alone when not detected ("none"). */
void side_summary(char *buf, size_t len, const struct side_result *s);
/* The program's view the same way: "error 5.1s", "none". */
void app_summary(char *buf, size_t len, const struct side_result *s);
/*
 * What side @s of @v expects, as the expected column writes it: its [expect]
 * line, its _app line, or both joined by "; "; "" for neither. Returns @buf.
 */
const char *side_expected(const struct variant *v, int s, char *buf, size_t len);
/* The sweep part of a variant name ("client.keepidle=1s"), "" without a sweep. */
const char *variant_label(const struct variant *v, char *buf, size_t len);
/* The same of a variant's name as a record keeps it ("keepalive[client.keepidle=1s]"). */
const char *variant_name_label(const char *name, char *buf, size_t len);

#endif
