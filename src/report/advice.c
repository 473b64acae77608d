// SPDX-License-Identifier: MIT
/* deadpeer advise's output: the advice as text for people, and as one JSON object. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "advise.h"

static const char *dur(char *buf, int64_t ms)
{
	format_duration(buf, 32, ms);
	return buf;
}

/* The settings a socket of @a ends up with (the kernel's defaults where the advice leaves them). */
static void effective(const struct advice *a, struct side_cfg *c, struct sysctl_store *store)
{
	settings_side(&a->s, c, store);
}

/* The kernel's own value of a sysctl the advice sets, for "(this kernel: N)". */
static int64_t kernel_value(const char *key)
{
	static const struct settings none = { .keepidle_ms = -1, .keepintvl_ms = -1, .keepcnt = -1, .tcp_retries2 = -1,
					      .tcp_syn_retries = -1 };
	struct side_cfg c;
	struct sysctl_store store;

	settings_side(&none, &c, &store);
	if (strcmp(key, "net.ipv4.tcp_retries2") == 0)
		return side_retries2(&c);
	if (strcmp(key, "net.ipv4.tcp_syn_retries") == 0)
		return side_syn_retries(&c);
	if (strcmp(key, "net.ipv4.tcp_keepalive_time") == 0)
		return side_keepidle_ms(&c) / 1000;
	if (strcmp(key, "net.ipv4.tcp_keepalive_intvl") == 0)
		return side_keepintvl_ms(&c) / 1000;
	return side_keepcnt(&c);
}

static void text_targets(FILE *f, const struct advice *a)
{
	const struct advise_targets *t = &a->t;
	char x[32], knobs[96];
	bool any = false;

	fputs("Targets: detect a dead peer within", f);
	for (int st = 0; st < STATE_COUNT; st++)
		if (t->target_ms[st]) {
			fprintf(f, "%s %s %s", any ? "," : "", dur(x, t->target_ms[st]),
				st == STATE_IDLE ? "while idle" : st == STATE_BUSY ? "while sending" : "while connecting");
			any = true;
		}
	if (!any)
		fputs(" (no time given)", f);
	if (t->middlebox_idle_ms)
		fprintf(f, "; keep idle flows through a middlebox that forgets them after %s", dur(x, t->middlebox_idle_ms));
	fprintf(f, "; survive %" PRId64 " lost probe%s in a row.\nKnobs: %s.\n\n", t->tolerate_loss,
		t->tolerate_loss == 1 ? "" : "s", advise_knob_names(knobs, sizeof(knobs), t->knobs));
}

static void text_settings(FILE *f, const struct advice *a)
{
	struct side_cfg c;
	struct sysctl_store store;

	effective(a, &c, &store);
	fputs("Socket options (on each connection that must notice, set before connect()):\n", f);
	if (!c.keepalive && !c.user_timeout_ms)
		fputs("  (none)\n", f);
	if (c.keepalive)
		fprintf(f, "  SO_KEEPALIVE      1\n");
	if (c.keepidle_ms > 0)
		fprintf(f, "  TCP_KEEPIDLE      %-10" PRId64 "(seconds)\n  TCP_KEEPINTVL     %-10" PRId64
			   "(seconds)\n  TCP_KEEPCNT       %" PRId64 "\n",
			c.keepidle_ms / 1000, c.keepintvl_ms / 1000, c.keepcnt);
	if (c.user_timeout_ms)
		fprintf(f, "  TCP_USER_TIMEOUT  %-10" PRId64 "(milliseconds)\n", c.user_timeout_ms);
	fputs("Sysctls (the host's network namespace: every connection in it):\n", f);
	if (!c.n_sysctls)
		fputs("  (none)\n", f);
	for (size_t i = 0; i < c.n_sysctls; i++)
		fprintf(f, "  %s = %-6s (this kernel: %" PRId64 ")\n", c.sysctls[i].key, c.sysctls[i].value,
			kernel_value(c.sysctls[i].key));
	fputc('\n', f);
}

static void text_predictions(FILE *f, const struct advice *a)
{
	char x[32], y[32], z[32], what[48];

	fputs("Predicted detection of a dead peer, from its last packet (idle), the lost segment (busy) or the connect:\n", f);
	fprintf(f, "  %-8s %-9s %-10s %-22s %s\n", "state", "target", "predicted", "window", "");
	for (int st = 0; st < STATE_COUNT; st++) {
		const struct state_prediction *p = &a->state[st];
		char win[80] = "-";
		if (p->bounded)
			snprintf(win, sizeof(win), "%s .. %s", dur(y, p->earliest), dur(z, p->latest));
		snprintf(what, sizeof(what), "%s%s%s", p->bounded ? outcome_name(p->outcome) : "never",
			 p->bounded && p->mechanism != MECH_NONE ? "/" : "",
			 p->bounded && p->mechanism != MECH_NONE ? mechanism_name(p->mechanism) : "");
		fprintf(f, "  %-8s %-9s %-10s %-22s %s%s\n", advise_state_name(st),
			a->t.target_ms[st] ? dur(x, a->t.target_ms[st]) : "-", p->bounded ? dur(z, p->ms) : "never", win,
			what, a->met[st] ? "" : "  NOT MET");
		fprintf(f, "           %s\n", p->rule);
	}
	fputc('\n', f);
}

static void text_program(FILE *f, const struct program_advice *p)
{
	char x[32];

	fprintf(f, "  %s (%s):\n    %s\n    predicted:", p->name, p->where, p->settings);
	for (int st = 0; st < STATE_COUNT; st++) {
		const struct program_state *s = &p->state[st];
		if (!s->applies)
			continue;
		fprintf(f, "%s %s ", st ? ";" : "", advise_state_name(st));
		if (s->bounded)
			fprintf(f, "by %s (%s)", dur(x, s->latest), s->by);
		else
			fputs("never", f);
	}
	fputc('\n', f);
	for (size_t i = 0; i < p->n_notes; i++)
		fprintf(f, "    - %s\n", p->notes[i]);
}

void advice_text(FILE *f, const struct advice *a)
{
	text_targets(f, a);
	text_settings(f, a);
	text_predictions(f, a);
	fputs("Why:\n", f);
	for (size_t i = 0; i < a->n_why; i++)
		fprintf(f, "  - %s\n", a->why[i]);
	if (!a->n_why)
		fputs("  - no target asks for a setting\n", f);
	if (a->n_warnings) {
		fputs("\nWarnings:\n", f);
		for (size_t i = 0; i < a->n_warnings; i++)
			fprintf(f, "  - %s\n", a->warnings[i]);
	}
	fputs("\nThe same in programs (the latest predicted detection per state, and what decides it):\n", f);
	for (int i = 0; i < PROG_COUNT; i++)
		text_program(f, &a->prog[i]);
}

/* ---- JSON ---- */

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", f);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void json_ms(FILE *f, bool has, int64_t ms)
{
	if (has)
		fprintf(f, "%" PRId64, ms);
	else
		fputs("null", f);
}

/* @n strings, @stride bytes apart from @first (the rows of a char array). */
static void json_strings(FILE *f, const char *first, size_t stride, size_t n)
{
	fputc('[', f);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ", " : "", f);
		json_string(f, first + i * stride);
	}
	fputc(']', f);
}

static const char *origin_name(enum origin o)
{
	return o == ORIGIN_SOCKOPT ? "socket option" : o == ORIGIN_SYSCTL ? "sysctl" : "default";
}

void advice_json(FILE *f, const struct advice *a, int verified)
{
	const struct advise_targets *t = &a->t;
	struct side_cfg c;
	struct sysctl_store store;
	char knobs[96];

	effective(a, &c, &store);
	fputs("{\"targets\": {", f);
	for (int st = 0; st < STATE_COUNT; st++) {
		fprintf(f, "\"%s_ms\": ", advise_state_name(st));
		json_ms(f, t->target_ms[st] > 0, t->target_ms[st]);
		fputs(", ", f);
	}
	fputs("\"middlebox_idle_ms\": ", f);
	json_ms(f, t->middlebox_idle_ms > 0, t->middlebox_idle_ms);
	fprintf(f, ", \"tolerate_loss\": %" PRId64 ", \"knobs\": [", t->tolerate_loss);
	advise_knob_names(knobs, sizeof(knobs), t->knobs);
	for (char *save = NULL, *w = strtok_r(knobs, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		fputs(w == knobs ? "" : ", ", f);
		json_string(f, w);
	}
	fprintf(f, "]},\n \"keepalive\": %s, \"keepidle_ms\": %" PRId64 ", \"keepintvl_ms\": %" PRId64 ", \"keepcnt\": %" PRId64
		   ", \"keepalive_timers\": \"%s\",\n \"user_timeout_ms\": %" PRId64 ", \"tcp_retries2\": %" PRId64
		   ", \"tcp_syn_retries\": %" PRId64 ",\n \"sysctls\": {",
		c.keepalive ? "true" : "false", side_keepidle_ms(&c), side_keepintvl_ms(&c), side_keepcnt(&c),
		origin_name(a->s.timers), c.user_timeout_ms, side_retries2(&c), side_syn_retries(&c));
	for (size_t i = 0; i < c.n_sysctls; i++) {
		fputs(i ? ", " : "", f);
		json_string(f, c.sysctls[i].key);
		fprintf(f, ": %s", c.sysctls[i].value);
	}
	fputs("},\n \"predicted\": {", f);
	for (int st = 0; st < STATE_COUNT; st++) {
		const struct state_prediction *p = &a->state[st];
		fprintf(f, "%s\"%s_ms\": ", st ? ", " : "", advise_state_name(st));
		json_ms(f, p->bounded, p->ms);
		fprintf(f, ", \"%s_earliest_ms\": ", advise_state_name(st));
		json_ms(f, p->bounded, p->earliest);
		fprintf(f, ", \"%s_latest_ms\": ", advise_state_name(st));
		json_ms(f, p->bounded, p->latest);
		fprintf(f, ", \"%s_rule\": ", advise_state_name(st));
		json_string(f, p->rule);
	}
	fputs("},\n \"met\": {", f);
	for (int st = 0; st < STATE_COUNT; st++)
		fprintf(f, "\"%s\": %s, ", advise_state_name(st), a->met[st] ? "true" : "false");
	fprintf(f, "\"tolerate_loss\": %s, \"middlebox\": %s},\n \"why\": ", a->tolerance_met ? "true" : "false",
		a->middlebox_met ? "true" : "false");
	json_strings(f, a->why[0], sizeof(a->why[0]), a->n_why);
	fputs(",\n \"warnings\": ", f);
	json_strings(f, a->warnings[0], sizeof(a->warnings[0]), a->n_warnings);
	fputs(",\n \"programs\": {", f);
	for (int i = 0; i < PROG_COUNT; i++) {
		const struct program_advice *p = &a->prog[i];
		fprintf(f, "%s\n  ", i ? "," : "");
		json_string(f, p->name);
		fputs(": {\"where\": ", f);
		json_string(f, p->where);
		fputs(", \"settings\": ", f);
		json_string(f, p->settings);
		for (int st = 0; st < STATE_COUNT; st++) {
			const struct program_state *s = &p->state[st];
			fprintf(f, ", \"%s\": ", advise_state_name(st));
			if (!s->applies) {
				fputs("null", f);
				continue;
			}
			fputs("{\"earliest_ms\": ", f);
			json_ms(f, s->bounded, s->earliest);
			fputs(", \"latest_ms\": ", f);
			json_ms(f, s->bounded, s->latest);
			fputs(", \"by\": ", f);
			json_string(f, s->bounded ? s->by : "nothing");
			fputc('}', f);
		}
		fputs(", \"notes\": ", f);
		json_strings(f, p->notes[0], sizeof(p->notes[0]), p->n_notes);
		fputc('}', f);
	}
	fputs("}", f);
	if (verified >= 0)
		fprintf(f, ",\n \"verified\": %s", verified ? "true" : "false");
	fputs("}", f);
}
