// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static const char *const columns[] = {
	"scenario", "variant", "run", "side", "family", "action", "target", "keepalive",
	"keepidle_ms", "keepintvl_ms", "keepcnt", "user_timeout_ms", "traffic", "fault_at_ms",
	"outcome", "mechanism", "errno", "detect_ms", "last_rx_ms", "predicted_ms", "probes",
	"retransmits", "expected", "verdict", "wire_lag_ms", "model_error_ms", "counts_from", "zero_window_probes", "predicted", "error",
	"probe_replies", "probe_reply_max_ms", "description", "setup_ms", "connect_ms", "teardown_ms", "fault_lag_ms",
};

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
		*buf = realloc(*buf, *cap);
		if (!*buf)
			abort();
	}
	(*buf)[(*len)++] = (char)c;
	(*buf)[*len] = '\0';
}

static void push_field(char ***fields, size_t *n, char **buf, size_t *len, size_t *cap)
{
	*fields = reallocarray(*fields, *n + 1, sizeof(**fields));
	if (!*fields)
		abort();
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

/* Microseconds as milliseconds with three decimals; empty when negative (not measured). */
static void micros(char *buf, size_t len, int64_t us)
{
	if (us < 0)
		buf[0] = '\0';
	else
		snprintf(buf, len, "%" PRId64 ".%03" PRId64, us / 1000, us % 1000);
}

int file_flush_checked(FILE *f)
{
	errno = 0;
	if (fflush(f) == 0 && !ferror(f))
		return 0;
	return errno ? -errno : -EIO;
}

int csv_header(FILE *f)
{
	for (size_t i = 0; i < ARRAY_SIZE(columns); i++)
		fprintf(f, "%s%s", i ? "," : "", columns[i]);
	fputs("\r\n", f);
	return file_flush_checked(f);
}

const char *variant_label(const struct variant *v, char *buf, size_t len)
{
	const char *open = strchr(v->name, '[');

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

static void num(char *buf, size_t len, bool have, int64_t v)
{
	if (have)
		snprintf(buf, len, "%" PRId64, v);
	else
		buf[0] = '\0';
}

int csv_rows(FILE *f, const struct run_result *r)
{
	const struct variant *v = r->v;
	char label[512], actions[128] = "", targets[128] = "";

	variant_label(v, label, sizeof(label));
	for (size_t i = 0; i < v->n_faults; i++) {
		size_t a = strlen(actions), t = strlen(targets);
		snprintf(actions + a, sizeof(actions) - a, "%s%s", i ? "+" : "", action_name(v->faults[i].action));
		snprintf(targets + t, sizeof(targets) - t, "%s%s", i ? "+" : "", host_name(v->faults[i].target));
	}
	for (int s = 0; s < SIDE_COUNT; s++) {
		const struct side_result *sr = &r->side[s];
		const struct side_cfg *c = &v->side[s];
		char idle[24], intvl[24], cnt[24], ut[24], at[24], det[24], rx[24], pr[24], re[24], run[16];
		char lag[32] = "", pred[24], err[24], zw[24], predicted[48] = "", replies[24], reply_max[32] = "";
		char setup[32], connect[32], teardown[32], flag[32];
		int64_t ki = sr->keepidle_ms >= 0 ? sr->keepidle_ms : c->keepidle_ms;
		int64_t kv = sr->keepintvl_ms >= 0 ? sr->keepintvl_ms : c->keepintvl_ms;
		int64_t kc = sr->keepcnt >= 0 ? sr->keepcnt : c->keepcnt;
		int64_t u = sr->user_timeout_ms >= 0 ? sr->user_timeout_ms : c->user_timeout_ms;
		bool counted = sr->outcome != OUTCOME_KILLED && !r->failed;

		snprintf(run, sizeof(run), "%u", r->run);
		num(idle, sizeof(idle), ki >= 0, ki);
		num(intvl, sizeof(intvl), kv >= 0, kv);
		num(cnt, sizeof(cnt), kc >= 0, kc);
		num(ut, sizeof(ut), u >= 0, u);
		num(at, sizeof(at), r->fault_at_ms >= 0, r->fault_at_ms);
		num(det, sizeof(det), sr->detected, sr->detect_ms);
		num(rx, sizeof(rx), sr->has_last_rx, sr->last_rx_ms);
		num(pr, sizeof(pr), counted, sr->probes);
		num(re, sizeof(re), counted, sr->retransmits);
		num(pred, sizeof(pred), sr->has_prediction, sr->predicted_ms);
		num(zw, sizeof(zw), counted && sr->counted_on_wire, sr->zero_window_probes);
		if (sr->predicted_outcome != OUTCOME_COUNT)
			snprintf(predicted, sizeof(predicted), "%s%s%s", outcome_name(sr->predicted_outcome),
				 sr->predicted_mechanism != MECH_NONE ? "/" : "",
				 sr->predicted_mechanism != MECH_NONE ? mechanism_name(sr->predicted_mechanism) : "");
		num(err, sizeof(err), sr->has_prediction && sr->detected && sr->predicted_outcome == sr->outcome,
		    sr->detect_ms - sr->predicted_ms);
		micros(setup, sizeof(setup), r->setup_us);
		micros(connect, sizeof(connect), r->connect_us);
		micros(teardown, sizeof(teardown), r->teardown_us);
		micros(flag, sizeof(flag), r->fault_lag_us);
		num(replies, sizeof(replies), counted && sr->counted_on_wire, sr->probe_replies);
		if (counted && sr->counted_on_wire && sr->probe_replies)
			snprintf(reply_max, sizeof(reply_max), "%" PRId64 ".%03" PRId64, sr->probe_reply_max_us / 1000,
				 sr->probe_reply_max_us % 1000);
		if (sr->has_wire_lag)
			snprintf(lag, sizeof(lag), "%s%" PRId64 ".%03" PRId64, sr->wire_lag_us < 0 ? "-" : "",
				 (sr->wire_lag_us < 0 ? -sr->wire_lag_us : sr->wire_lag_us) / 1000,
				 (sr->wire_lag_us < 0 ? -sr->wire_lag_us : sr->wire_lag_us) % 1000);

		const char *fields[] = {
			scenario_name(v->scenario), label, run, host_name(s), family_name(v->family),
			actions, targets, c->keepalive ? "yes" : "no", idle, intvl, cnt, ut,
			traffic_name(c->traffic), at,
			r->failed ? "" : outcome_name(sr->outcome),
			r->failed ? "" : mechanism_name(sr->mechanism),
			errno_name(sr->err), det, rx, pred, pr, re,
			v->expect[s].text ? v->expect[s].text : "", verdict_name(sr->verdict), lag, err,
			!counted ? "" : sr->counted_on_wire ? "wire" : "tcp_info", zw, predicted, r->error,
			replies, reply_max, scenario_description(v->scenario), setup, connect, teardown, flag,
		};
		static_assert(ARRAY_SIZE(fields) == ARRAY_SIZE(columns), "one field per column");
		for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
			if (i)
				fputc(',', f);
			csv_field(f, fields[i]);
		}
		fputs("\r\n", f);
	}
	return file_flush_checked(f);
}

void side_summary(char *buf, size_t len, const struct side_result *s)
{
	char t[32] = "";

	if (s->detected)
		format_duration(t, sizeof(t), s->detect_ms);
	if (s->mechanism != MECH_NONE)
		snprintf(buf, len, "%s/%s %s", outcome_name(s->outcome), mechanism_name(s->mechanism), t);
	else
		snprintf(buf, len, "%s %s", outcome_name(s->outcome), t);
	size_t n = strlen(buf);
	while (n && buf[n - 1] == ' ')
		buf[--n] = '\0';
}
