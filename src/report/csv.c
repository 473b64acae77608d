// SPDX-License-Identifier: MIT
/*
 * results.csv: the one table of its columns (name and text of each, which
 * the writer uses and the reader in cmd_table.c finds its columns by), an
 * RFC 4180 reader, and the one-line summary of a side.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "fault.h"
#include "names.h"
#include "predict.h"
#include "report.h"

void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void push_char(char **buf, size_t *len, size_t *cap, int c)
{
	if (*len + 1 >= *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*buf = xreallocarray(*buf, *cap, 1);
	}
	(*buf)[(*len)++] = (char)c;
	(*buf)[*len] = '\0';
}

static void push_field(char ***fields, size_t *n, char **buf, size_t *len, size_t *cap)
{
	*fields = xreallocarray(*fields, *n + 1, sizeof(**fields));
	(*fields)[(*n)++] = *buf ? *buf : xstrdup("");
	*buf = NULL;
	*len = *cap = 0;
}

int csv_read_row(FILE *f, char ***fields, size_t *n)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	bool quoted = false, any = false;
	int c;

	*fields = NULL;
	*n = 0;
	while ((c = getc(f)) != EOF) {
		any = true;
		if (quoted) {
			if (c != '"') {
				push_char(&buf, &len, &cap, c);
				continue;
			}
			c = getc(f);
			if (c == '"') {
				push_char(&buf, &len, &cap, c);
				continue;
			}
			quoted = false;
			if (c == EOF)
				break;
		}
		if (c == '"' && len == 0) {
			quoted = true;
		} else if (c == ',') {
			push_field(fields, n, &buf, &len, &cap);
		} else if (c == '\r' || c == '\n') {
			if (c == '\r' && (c = getc(f)) != '\n' && c != EOF)
				ungetc(c, f);
			push_field(fields, n, &buf, &len, &cap);
			return 1;
		} else {
			push_char(&buf, &len, &cap, c);
		}
	}
	if (quoted) {
		free(buf);
		csv_fields_free(*fields, *n);
		*fields = NULL;
		*n = 0;
		return -1;
	}
	if (!any)
		return 0;
	push_field(fields, n, &buf, &len, &cap);
	return 1;
}

void csv_fields_free(char **fields, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(fields[i]);
	free(fields);
}

int file_flush_checked(FILE *f)
{
	errno = 0;
	if (fflush(f) == 0 && !ferror(f))
		return 0;
	return errno ? -errno : -EIO;
}

const char *variant_label(const struct variant *v, char *buf, size_t len)
{
	return variant_name_label(v->name, buf, len);
}

const char *variant_name_label(const char *name, char *buf, size_t len)
{
	const char *open = strchr(name, '[');

	if (!open) {
		buf[0] = '\0';
		return buf;
	}
	snprintf(buf, len, "%s", open + 1);
	size_t n = strlen(buf);
	if (n && buf[n - 1] == ']')
		buf[n - 1] = '\0';
	return buf;
}

/*
 * One column's text for side @s of @r: written into @buf (of @len) and
 * returned, or returned as it is where @r already holds it (a name, the
 * scenario's description, the error).
 */
#define COLUMN(fn) static const char *fn(const struct run_result *r, int s, char *buf, size_t len)

static const char *num(char *buf, size_t len, bool have, int64_t v)
{
	if (!have)
		return "";
	snprintf(buf, len, "%" PRId64, v);
	return buf;
}

/* Microseconds as milliseconds, "12.345"; empty where the run did not get that far (negative). */
static const char *micros(char *buf, size_t len, int64_t us)
{
	if (us < 0)
		return "";
	format_thousandths(buf, len, us);
	return buf;
}

/* A socket option: what the socket reported, or else what the scenario set; empty where neither says. */
static const char *option(char *buf, size_t len, int64_t measured, int64_t configured)
{
	int64_t v = measured >= 0 ? measured : configured;

	return num(buf, len, v >= 0, v);
}

/* A killed side's probes and retransmits are not counted, nor those of a run that failed. */
static bool counted(const struct run_result *r, int s)
{
	return r->side[s].outcome != OUTCOME_KILLED && !r->failed;
}

/* ... and the wire's own counts only where the capture worked. */
static bool on_wire(const struct run_result *r, int s)
{
	return counted(r, s) && r->side[s].counted_on_wire;
}

/* The percent of the packets each fault with a probability loses, joined by "+": "30". */
COLUMN(col_probability)
{
	size_t k = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->v->n_faults && k < len; i++)
		if (r->v->faults[i].kind->takes & FAULT_TAKES_PROBABILITY)
			k += (size_t)snprintf(buf + k, len - k, "%s%" PRId64, k ? "+" : "", r->v->faults[i].probability);
	return buf;
}

/* The faults' actions, or their targets, joined by "+": "drop+kill". */
static const char *fault_list(char *buf, size_t len, const struct variant *v, bool targets)
{
	size_t k = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < v->n_faults && k < len; i++)
		k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? "+" : "",
				      targets ? host_name(v->faults[i].target) : v->faults[i].kind->name);
	return buf;
}

/* Where the row was measured: this machine's kernel release, HZ and host name, read once. */
COLUMN(col_kernel)
{
	static struct utsname u;

	if (!u.release[0] && uname(&u) < 0)
		return "";
	return u.release;
}

COLUMN(col_hz) { int hz = predict_hz(); return num(buf, len, hz > 0, hz); }

COLUMN(col_host)
{
	static char name[256];

	if (!name[0] && gethostname(name, sizeof(name) - 1) < 0)
		name[0] = '\0';
	return name;
}

/* An application side: its socket options are what was read back from its sockets, never the file's. */
static bool app_side(const struct run_result *r, int s)
{
	return r->v->side[s].app.command != NULL;
}

/* SO_KEEPALIVE: an app side's as read back (empty: unknown), a built-in side's as configured. */
COLUMN(col_keepalive)
{
	int k = r->side[s].keepalive;

	if (!app_side(r, s))
		return r->v->side[s].keepalive ? "yes" : "no";
	return r->failed || k < 0 ? "" : k ? "yes" : "no";
}

/* A socket option: see option(); an app side has nothing configured to fall back on. */
static const char *side_option(const struct run_result *r, int s, char *buf, size_t len, int64_t measured,
			       int64_t configured)
{
	return option(buf, len, measured, app_side(r, s) ? -1 : configured);
}

const char *side_expected(const struct variant *v, int s, char *buf, size_t len)
{
	const char *k = v->expect[s].text, *a = v->expect_app[s].text;

	snprintf(buf, len, "%s%s%s", k ? k : "", k && a ? "; " : "", a ? a : "");
	return buf;
}

COLUMN(col_scenario) { return scenario_name(r->v->scenario); }
COLUMN(col_variant) { return variant_label(r->v, buf, len); }
COLUMN(col_run) { return num(buf, len, true, r->run); }
COLUMN(col_side) { return host_name(s); }
COLUMN(col_family) { return family_name(r->v->family); }
COLUMN(col_action) { return fault_list(buf, len, r->v, false); }
COLUMN(col_target) { return fault_list(buf, len, r->v, true); }
COLUMN(col_keepidle) { return side_option(r, s, buf, len, r->side[s].keepidle_ms, r->v->side[s].keepidle_ms); }
COLUMN(col_keepintvl) { return side_option(r, s, buf, len, r->side[s].keepintvl_ms, r->v->side[s].keepintvl_ms); }
COLUMN(col_keepcnt) { return side_option(r, s, buf, len, r->side[s].keepcnt, r->v->side[s].keepcnt); }
COLUMN(col_user_timeout)
{
	return side_option(r, s, buf, len, r->side[s].user_timeout_ms, r->v->side[s].user_timeout_ms);
}
COLUMN(col_traffic) { return app_side(r, s) ? "app" : traffic_name(r->v->side[s].traffic); }
COLUMN(col_fault_at) { return num(buf, len, r->fault_at_ms >= 0, r->fault_at_ms); }
COLUMN(col_outcome) { return r->failed ? "" : outcome_name(r->side[s].outcome); }
COLUMN(col_mechanism) { return r->failed ? "" : mechanism_name(r->side[s].mechanism); }
COLUMN(col_errno) { return errno_name(r->side[s].err); }
COLUMN(col_detect) { return num(buf, len, r->side[s].detected, r->side[s].detect_ms); }
COLUMN(col_last_rx) { return num(buf, len, r->side[s].has_last_rx, r->side[s].last_rx_ms); }
COLUMN(col_predicted_ms) { return num(buf, len, r->side[s].has_prediction, r->side[s].predicted_ms); }
COLUMN(col_probes) { return num(buf, len, counted(r, s), r->side[s].probes); }
COLUMN(col_retransmits) { return num(buf, len, counted(r, s), r->side[s].retransmits); }
COLUMN(col_expected) { return side_expected(r->v, s, buf, len); }
COLUMN(col_verdict) { return verdict_name(r->side[s].verdict); }

/* Signed: the side may notice before the wire event is seen on its host's interface. */
COLUMN(col_wire_lag)
{
	if (!r->side[s].has_wire_lag)
		return "";
	format_thousandths(buf, len, r->side[s].wire_lag_us);
	return buf;
}

/* Only where the outcome is the one predicted: another outcome's time says nothing of the model. */
COLUMN(col_model_error)
{
	const struct side_result *sr = &r->side[s];

	return num(buf, len, sr->has_prediction && sr->detected && sr->predicted_outcome == sr->outcome,
		   sr->detect_ms - sr->predicted_ms);
}

COLUMN(col_predicted_earliest) { return num(buf, len, r->side[s].has_window, r->side[s].predicted_earliest_ms); }
COLUMN(col_predicted_latest) { return num(buf, len, r->side[s].has_window, r->side[s].predicted_latest_ms); }
COLUMN(col_counts_from) { return !counted(r, s) ? "" : r->side[s].counted_on_wire ? "wire" : "tcp_info"; }
COLUMN(col_zero_window_probes) { return num(buf, len, on_wire(r, s), r->side[s].zero_window_probes); }

COLUMN(col_predicted)
{
	const struct side_result *sr = &r->side[s];

	if (sr->predicted_outcome == OUTCOME_COUNT)
		return "";
	format_outcome(buf, len, sr->predicted_outcome, sr->predicted_mechanism);
	return buf;
}

COLUMN(col_error) { return r->error; }
COLUMN(col_probe_replies) { return num(buf, len, on_wire(r, s), r->side[s].probe_replies); }

COLUMN(col_probe_reply_max)
{
	if (!on_wire(r, s) || !r->side[s].probe_replies)
		return "";
	format_thousandths(buf, len, r->side[s].probe_reply_max_us);
	return buf;
}

COLUMN(col_description) { return scenario_description(r->v->scenario); }
COLUMN(col_setup) { return micros(buf, len, r->setup_us); }
COLUMN(col_connect) { return micros(buf, len, r->connect_us); }
COLUMN(col_teardown) { return micros(buf, len, r->teardown_us); }
COLUMN(col_run_ms) { return micros(buf, len, r->run_us); }
COLUMN(col_fault_lag) { return micros(buf, len, r->fault_lag_us); }
COLUMN(col_fault_hits) { return num(buf, len, r->fault_hits >= 0, r->fault_hits); }

COLUMN(col_observer) { return r->failed ? "" : observer_name(r->side[s].observer); }
COLUMN(col_connections) { return num(buf, len, !r->failed, r->side[s].connections); }
COLUMN(col_reconnect) { return num(buf, len, r->side[s].has_reconnect, r->side[s].reconnect_ms); }
/* A killed side did nothing about its connection: it was the one that died. */
COLUMN(col_app_reaction)
{
	return r->failed || r->side[s].outcome == OUTCOME_KILLED ? "" : app_reaction_name(r->side[s].app_reaction);
}
COLUMN(col_app_detect) { return num(buf, len, r->side[s].app_detected, r->side[s].app_detect_ms); }
COLUMN(col_app_lag) { return num(buf, len, r->side[s].has_app_lag, r->side[s].app_lag_ms); }
COLUMN(col_app_exit_status) { return num(buf, len, r->side[s].app_exited, r->side[s].app_exit_status); }

/* What the program printed, bounded by its array whether or not it ends there. */
COLUMN(col_observe_lag)
{
	if (!r->side[s].has_observe_lag)
		return "";
	format_thousandths(buf, len, r->side[s].observe_lag_us);
	return buf;
}
COLUMN(col_app_line)
{
	snprintf(buf, len, "%.*s", (int)sizeof(r->side[s].app_line), r->side[s].app_line);
	return buf;
}

/* The one list of columns: each one's header word and text, in the order of enum csv_column. */
static const struct {
	const char *name;
	const char *(*text)(const struct run_result *r, int s, char *buf, size_t len);
} columns[] = {
	[COL_SCENARIO] = { "scenario", col_scenario },
	[COL_VARIANT] = { "variant", col_variant },
	[COL_RUN] = { "run", col_run },
	[COL_SIDE] = { "side", col_side },
	[COL_FAMILY] = { "family", col_family },
	[COL_ACTION] = { "action", col_action },
	[COL_TARGET] = { "target", col_target },
	[COL_KEEPALIVE] = { "keepalive", col_keepalive },
	[COL_KEEPIDLE_MS] = { "keepidle_ms", col_keepidle },
	[COL_KEEPINTVL_MS] = { "keepintvl_ms", col_keepintvl },
	[COL_KEEPCNT] = { "keepcnt", col_keepcnt },
	[COL_USER_TIMEOUT_MS] = { "user_timeout_ms", col_user_timeout },
	[COL_TRAFFIC] = { "traffic", col_traffic },
	[COL_FAULT_AT_MS] = { "fault_at_ms", col_fault_at },
	[COL_OUTCOME] = { "outcome", col_outcome },
	[COL_MECHANISM] = { "mechanism", col_mechanism },
	[COL_ERRNO] = { "errno", col_errno },
	[COL_DETECT_MS] = { "detect_ms", col_detect },
	[COL_LAST_RX_MS] = { "last_rx_ms", col_last_rx },
	[COL_PREDICTED_MS] = { "predicted_ms", col_predicted_ms },
	[COL_PROBES] = { "probes", col_probes },
	[COL_RETRANSMITS] = { "retransmits", col_retransmits },
	[COL_EXPECTED] = { "expected", col_expected },
	[COL_VERDICT] = { "verdict", col_verdict },
	[COL_WIRE_LAG_MS] = { "wire_lag_ms", col_wire_lag },
	[COL_MODEL_ERROR_MS] = { "model_error_ms", col_model_error },
	[COL_COUNTS_FROM] = { "counts_from", col_counts_from },
	[COL_ZERO_WINDOW_PROBES] = { "zero_window_probes", col_zero_window_probes },
	[COL_PREDICTED] = { "predicted", col_predicted },
	[COL_ERROR] = { "error", col_error },
	[COL_PROBE_REPLIES] = { "probe_replies", col_probe_replies },
	[COL_PROBE_REPLY_MAX_MS] = { "probe_reply_max_ms", col_probe_reply_max },
	[COL_DESCRIPTION] = { "description", col_description },
	[COL_SETUP_MS] = { "setup_ms", col_setup },
	[COL_CONNECT_MS] = { "connect_ms", col_connect },
	[COL_TEARDOWN_MS] = { "teardown_ms", col_teardown },
	[COL_FAULT_LAG_MS] = { "fault_lag_ms", col_fault_lag },
	[COL_FAULT_HITS] = { "fault_hits", col_fault_hits },
	[COL_OBSERVER] = { "observer", col_observer },
	[COL_CONNECTIONS] = { "connections", col_connections },
	[COL_RECONNECT_MS] = { "reconnect_ms", col_reconnect },
	[COL_APP_REACTION] = { "app_reaction", col_app_reaction },
	[COL_APP_DETECT_MS] = { "app_detect_ms", col_app_detect },
	[COL_APP_LAG_MS] = { "app_lag_ms", col_app_lag },
	[COL_APP_EXIT_STATUS] = { "app_exit_status", col_app_exit_status },
	[COL_APP_LINE] = { "app_line", col_app_line },
	[COL_OBSERVE_LAG_MS] = { "observe_lag_ms", col_observe_lag },
	[COL_PROBABILITY] = { "probability", col_probability },
	[COL_PREDICTED_EARLIEST_MS] = { "predicted_earliest_ms", col_predicted_earliest },
	[COL_PREDICTED_LATEST_MS] = { "predicted_latest_ms", col_predicted_latest },
	[COL_RUN_MS] = { "run_ms", col_run_ms },
	[COL_KERNEL] = { "kernel", col_kernel },
	[COL_HZ] = { "hz", col_hz },
	[COL_HOST] = { "host", col_host },
};
static_assert(ARRAY_SIZE(columns) == COL_COUNT, "a name and a text for every column");

const char *csv_column_name(enum csv_column c)
{
	return columns[c].name;
}

int csv_header(FILE *f)
{
	for (size_t c = 0; c < COL_COUNT; c++)
		fprintf(f, "%s%s", c ? "," : "", columns[c].name);
	fputs("\r\n", f);
	return file_flush_checked(f);
}

int csv_rows(FILE *f, const struct run_result *r)
{
	/* As long as the longest text written into it: a variant's sweep or its faults' list. */
	char buf[512];

	for (int s = 0; s < SIDE_COUNT; s++) {
		for (size_t c = 0; c < COL_COUNT; c++) {
			if (c)
				fputc(',', f);
			csv_field(f, columns[c].text(r, s, buf, sizeof(buf)));
		}
		fputs("\r\n", f);
	}
	return file_flush_checked(f);
}

void app_summary(char *buf, size_t len, const struct side_result *s)
{
	char t[32];

	if (!s->app_detected) {
		snprintf(buf, len, "%s", app_reaction_name(s->app_reaction));
		return;
	}
	format_duration(t, sizeof(t), s->app_detect_ms);
	snprintf(buf, len, "%s %s", app_reaction_name(s->app_reaction), t);
}

void side_summary(char *buf, size_t len, const struct side_result *s)
{
	char what[48], t[32];

	format_outcome(what, sizeof(what), s->outcome, s->mechanism);
	if (!s->detected) {
		snprintf(buf, len, "%s", what);
		return;
	}
	format_duration(t, sizeof(t), s->detect_ms);
	snprintf(buf, len, "%s %s", what, t);
}
