// SPDX-License-Identifier: MIT
/*
 * The settings advisor. Every time it states comes from predict_side on a
 * variant built for the question (advise_predict): the peer's path drops
 * everything right after its last packet (idle), under a stream (busy), or
 * before the first SYN (connect). The search is kept simple enough to
 * explain in a sentence each:
 *  - busy: TCP_USER_TIMEOUT, the largest whose latest detection fits the
 *    target (whole seconds from 10 s, else 100 ms steps); without it,
 *    tcp_retries2, the largest that fits;
 *  - idle: keepcnt = tolerated losses + 1; keepintvl in whole seconds, at
 *    most a quarter of the target spread over the probes (at most 75 s, the
 *    kernel's default), lowered a second at a time until a keepidle fits;
 *    keepidle, the largest whole second whose latest detection fits, whose
 *    probes come before the middlebox forgets the flow, and which leaves
 *    TCP_USER_TIMEOUT longer than the tolerated losses take;
 *  - connect: tcp_syn_retries, the largest that fits, when the user
 *    timeout does not already bound it.
 * Then each program's own knobs express the same advice.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advise.h"
#include "fault.h"

static const char *const state_names[STATE_COUNT] = { "idle", "busy", "connect" };

const char *advise_state_name(enum advise_state s)
{
	return state_names[s];
}

static const char *const knob_words[] = { "keepalive", "keepalive-timers", "user-timeout", "sysctls" };

int advise_parse_knobs(const char *text, unsigned *knobs, char *msg, size_t len)
{
	char buf[256], *save = NULL;

	*knobs = 0;
	if (strlen(text) >= sizeof(buf)) {
		snprintf(msg, len, "--knobs: too long");
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", text);
	for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		size_t i;
		w = strip(w);
		if (strcmp(w, "all") == 0) {
			*knobs |= KNOB_ALL;
			continue;
		}
		for (i = 0; i < ARRAY_SIZE(knob_words) && strcmp(w, knob_words[i]) != 0; i++)
			;
		if (i == ARRAY_SIZE(knob_words)) {
			snprintf(msg, len, "--knobs: unknown knob '%s' (expected keepalive, keepalive-timers, user-timeout, sysctls or all)",
				 w);
			return -1;
		}
		*knobs |= 1u << i;
	}
	if (!*knobs) {
		snprintf(msg, len, "--knobs: no knob given (expected keepalive, keepalive-timers, user-timeout, sysctls or all)");
		return -1;
	}
	/* Whoever sets the timers can switch keepalive on. */
	if (*knobs & KNOB_KEEPALIVE_TIMERS)
		*knobs |= KNOB_KEEPALIVE;
	return 0;
}

char *advise_knob_names(char *buf, size_t len, unsigned knobs)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(knob_words) && used < len; i++)
		if (knobs & (1u << i))
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "", knob_words[i]);
	return buf;
}

void settings_side(const struct settings *s, struct side_cfg *c, struct sysctl_store *store)
{
	struct {
		const char *key;
		int64_t value;
	} sys[ARRAY_SIZE(store->key)];
	size_t n = 0;

	*c = (struct side_cfg){ .keepalive = s->keepalive, .keepidle_ms = -1, .keepintvl_ms = -1, .keepcnt = -1,
				.user_timeout_ms = s->user_timeout_ms, .traffic = TRAFFIC_IDLE, .interval_ms = 1000,
				.size = 100, .heartbeat_timeout_ms = 3000, .port = DEFAULT_PORT, .connect_at_ms = 0 };
	if (s->timers == ORIGIN_SYSCTL) {
		if (s->keepidle_ms >= 0)
			sys[n++] = (typeof(sys[0])){ "net.ipv4.tcp_keepalive_time", s->keepidle_ms / 1000 };
		if (s->keepintvl_ms >= 0)
			sys[n++] = (typeof(sys[0])){ "net.ipv4.tcp_keepalive_intvl", s->keepintvl_ms / 1000 };
		if (s->keepcnt >= 0)
			sys[n++] = (typeof(sys[0])){ "net.ipv4.tcp_keepalive_probes", s->keepcnt };
	} else {
		c->keepidle_ms = s->keepidle_ms;
		c->keepintvl_ms = s->keepintvl_ms;
		c->keepcnt = s->keepcnt;
	}
	if (s->tcp_retries2 >= 0)
		sys[n++] = (typeof(sys[0])){ "net.ipv4.tcp_retries2", s->tcp_retries2 };
	if (s->tcp_syn_retries >= 0)
		sys[n++] = (typeof(sys[0])){ "net.ipv4.tcp_syn_retries", s->tcp_syn_retries };
	for (size_t i = 0; i < n; i++) {
		snprintf(store->key[i], sizeof(store->key[i]), "%s", sys[i].key);
		snprintf(store->value[i], sizeof(store->value[i]), "%" PRId64, sys[i].value);
		c->sysctls[i] = (struct sysctl_setting){ store->key[i], store->value[i], 0 };
	}
	c->n_sysctls = n;
}

/*
 * Until predict.h gives every prediction its own [earliest, latest] (the
 * exact model of issue 16 works them out from the timer wheel at the
 * machine's HZ), a bound that holds for any HZ: a timer never fires early,
 * and calc_wheel_index puts a delay on the level whose granularity is at
 * most 8/63 of it, rounding its expiry up to that; plus what the model
 * leaves out on top: a jiffy and waking the endpoint, and with data in
 * flight the tail loss probe before the first retransmission and an RTO
 * above 200 ms (measured 0.2 to 0.7 s past the rule on this kernel).
 * The one place to change when the prediction gets its windows.
 */
#define WHEEL_LATE_PER_MILLE 127
#define LATE_MS 100
#define DATA_LATE_MS 500
#define EARLY_MS 50

/* Waking the endpoint that reports it, on top of the wheel's window. */
#define WAKE_MS 20

void advise_window(const struct prediction *p, int64_t since_ms, bool data, int64_t *earliest, int64_t *latest)
{
	/* The model's own window at the machine's HZ, where it has one. */
	if (p->has_window) {
		*earliest = p->earliest_ms;
		*latest = p->latest_ms + WAKE_MS;
		return;
	}
	*earliest = p->ms > EARLY_MS ? p->ms - EARLY_MS : 0;
	*latest = p->ms + (p->ms + since_ms) * WHEEL_LATE_PER_MILLE / 1000 + (data ? DATA_LATE_MS : LATE_MS);
}

/* The latest a timer due @ms after it was armed can fire. */
static int64_t timer_latest(int64_t ms)
{
	struct prediction p = { .ms = ms, .has_time = true };
	int64_t e, l;

	advise_window(&p, 0, false, &e, &l);
	return l;
}

static const struct side_cfg plain_side = {
	.keepidle_ms = -1, .keepintvl_ms = -1, .keepcnt = -1, .traffic = TRAFFIC_IDLE, .interval_ms = 1000,
	.size = 100, .heartbeat_timeout_ms = 3000, .port = DEFAULT_PORT, .connect_at_ms = 0,
};

void advise_predict(const struct side_cfg *c, enum advise_state st, struct state_prediction *out)
{
	struct variant v;
	struct prediction p;

	memset(&v, 0, sizeof(v));
	v.family = FAMILY_IPV4;
	v.deadline_ms = DURATION_MAX_MS;
	v.repeat = 1;
	v.side[HOST_CLIENT] = *c;
	v.side[HOST_SERVER] = plain_side;
	v.router.idle_timeout_ms = -1;
	v.n_faults = 1;
	/* The peer's path drops everything: the side's own timers decide. */
	v.faults[0] = (struct fault_cfg){ .name = "", .at_ms = 1000, .kind = fault_kind_find("drop"),
					  .target = HOST_ROUTER, .direction = DIR_BOTH, .restart_ms = -1 };
	switch (st) {
	case STATE_IDLE:
		/* The worst case: the peer dies right after its last packet. */
		v.side[HOST_CLIENT].traffic = TRAFFIC_IDLE;
		predict_side(&v, HOST_CLIENT, true, 0, &p);
		break;
	case STATE_BUSY:
		v.side[HOST_CLIENT].traffic = TRAFFIC_STREAM;
		v.side[HOST_CLIENT].interval_ms = 100;
		v.side[HOST_CLIENT].size = 200;
		predict_side(&v, HOST_CLIENT, false, 0, &p);
		break;
	case STATE_CONNECT:
	case STATE_COUNT:
		v.start = START_LISTENING;
		v.side[HOST_CLIENT].connect_at_ms = 0;
		v.faults[0].at_ms = 0;
		predict_side(&v, HOST_CLIENT, false, 0, &p);
		break;
	}
	*out = (struct state_prediction){ .bounded = p.has_time && p.outcome != OUTCOME_NONE &&
							 p.outcome != OUTCOME_COUNT,
					  .ms = p.ms, .outcome = p.outcome, .mechanism = p.mechanism };
	snprintf(out->rule, sizeof(out->rule), "%s", p.rule);
	if (out->bounded)
		advise_window(&p, 0, st == STATE_BUSY, &out->earliest, &out->latest);
}

static void predict_settings(const struct settings *s, enum advise_state st, struct state_prediction *out)
{
	struct side_cfg c;
	struct sysctl_store store;

	settings_side(s, &c, &store);
	advise_predict(&c, st, out);
}

static const char *dur(char *buf, int64_t ms)
{
	format_duration(buf, 32, ms);
	return buf;
}

/* ---- traps ---- */

/* When the keepalive timer that finds @k probes out fires, after the last answer: keepidle + k x keepintvl. */
static int64_t probe_timer_ms(int64_t idle, int64_t intvl, int64_t k)
{
	return keepalive_abort_ms(idle, intvl, k, 0);
}

static bool trap_user_timeout(const struct side_cfg *c, int64_t tolerate, struct trap *t)
{
	char a[32], b[32], d[32], e[32], f[32], g[32];

	if (!c->keepalive || c->user_timeout_ms <= 0)
		return false;
	int64_t idle = side_keepidle_ms(c), intvl = side_keepintvl_ms(c), cnt = side_keepcnt(c);
	int64_t want = tolerate >= 0 ? tolerate : cnt - 1;
	/*
	 * The timer that would send probe k + 1 finds k out; with a user
	 * timeout the kernel gives up there once that long has passed since
	 * the last answer, whatever keepcnt says (tcp_keepalive_timer).
	 */
	for (int64_t k = 1; k <= want; k++) {
		int64_t at = probe_timer_ms(idle, intvl, k);
		if (c->user_timeout_ms > timer_latest(at))
			continue;
		t->kind = TRAP_USER_TIMEOUT_LOSS;
		snprintf(t->text, sizeof(t->text),
			 "TCP_USER_TIMEOUT %s is not longer than keepidle %s + %" PRId64 " x keepintvl %s = %s (up to %s with the timer wheel's rounding): "
			 "%" PRId64 " lost probe%s in a row end%s a live connection, where %" PRId64 " should be survived "
			 "(with a user timeout the keepalive timer gives up once it has passed with a probe out, whatever keepcnt says); "
			 "make it longer than %s",
			 dur(a, c->user_timeout_ms), dur(b, idle), k, dur(d, intvl), dur(e, at), dur(f, timer_latest(at)), k,
			 k == 1 ? "" : "s", k == 1 ? "s" : "", want, dur(g, timer_latest(probe_timer_ms(idle, intvl, want))));
		return true;
	}
	return false;
}

static bool trap_busy(const struct side_cfg *c, struct trap *t)
{
	struct state_prediction idle, busy;
	char a[32], b[32];

	if (!c->keepalive || c->user_timeout_ms > 0)
		return false;
	advise_predict(c, STATE_IDLE, &idle);
	advise_predict(c, STATE_BUSY, &busy);
	if (!idle.bounded || (busy.bounded && busy.ms <= idle.ms))
		return false;
	t->kind = TRAP_BUSY;
	snprintf(t->text, sizeof(t->text),
		 "keepalive cannot bound a busy connection: while data is unacknowledged the keepalive timer stays off and "
		 "the retransmission timer decides (tcp_retries2 = %" PRId64 "): %s, where keepalive alone would take %s; "
		 "TCP_USER_TIMEOUT (or a lower tcp_retries2) bounds it",
		 side_retries2(c), busy.bounded ? dur(a, busy.ms) : "never", dur(b, idle.ms));
	return true;
}

static bool trap_middlebox(const struct side_cfg *c, int64_t middlebox_ms, struct trap *t)
{
	char a[32], b[32], d[32];

	if (middlebox_ms <= 0 || !c->keepalive)
		return false;
	/* After an answered probe the next comes max(keepidle, keepintvl) after it. */
	int64_t idle = side_keepidle_ms(c), intvl = side_keepintvl_ms(c), gap = idle > intvl ? idle : intvl;
	if (timer_latest(gap) < middlebox_ms)
		return false;
	t->kind = TRAP_MIDDLEBOX;
	snprintf(t->text, sizeof(t->text),
		 "keepidle %s is not safely below the middlebox's idle timeout %s (the probe may come up to %s after the last packet): "
		 "the middlebox forgets the idle flow first and drops (or resets) the probe",
		 dur(a, gap), dur(b, middlebox_ms), dur(d, timer_latest(gap)));
	return true;
}

static bool trap_defaults(const struct side_cfg *c, struct trap *t)
{
	char a[32], b[32], d[32];

	if (!c->keepalive || c->keepidle_ms >= 0 || c->keepintvl_ms >= 0 || c->keepcnt >= 0)
		return false;
	for (size_t i = 0; i < c->n_sysctls; i++)
		if (strncmp(c->sysctls[i].key, "net.ipv4.tcp_keepalive_", 23) == 0)
			return false;
	int64_t idle = side_keepidle_ms(c), intvl = side_keepintvl_ms(c), cnt = side_keepcnt(c);
	t->kind = TRAP_DEFAULTS;
	snprintf(t->text, sizeof(t->text),
		 "keepalive with the kernel's defaults (tcp_keepalive_time %s, tcp_keepalive_intvl %s, tcp_keepalive_probes %" PRId64
		 "): a dead peer is found only %s after its last packet",
		 dur(a, idle), dur(b, intvl), cnt, dur(d, keepalive_abort_ms(idle, intvl, cnt, c->user_timeout_ms)));
	return true;
}

size_t advise_traps(const struct side_cfg *c, int64_t tolerate, bool sends, int64_t middlebox_ms, struct trap *out)
{
	size_t n = 0;

	if (c->app.command)
		return 0;
	n += trap_user_timeout(c, tolerate, &out[n]);
	n += sends && trap_busy(c, &out[n]);
	n += trap_middlebox(c, middlebox_ms, &out[n]);
	n += trap_defaults(c, &out[n]);
	return n;
}

size_t advise_variant_traps(const struct variant *v, enum host side, struct trap *out)
{
	const struct side_cfg *c = &v->side[side];

	/* A heartbeat side has its own bound while it waits for a pong. */
	bool sends = c->traffic == TRAFFIC_STREAM || c->traffic == TRAFFIC_REQUEST;

	return advise_traps(c, -1, sends, v->router.idle_timeout_ms > 0 ? v->router.idle_timeout_ms : 0, out);
}

/* ---- the search ---- */

struct search {
	const struct advise_targets *t;
	struct settings s;		/* the candidate */
	bool keepalive_timers;		/* the keepalive timers can be set (socket options or sysctls) */
	bool strict_loss;		/* keepidle must leave the user timeout past the tolerated losses */
	int64_t busy_user_timeout;	/* the largest TCP_USER_TIMEOUT busy allows; 0: none is set */
	const struct advice *advice;	/* the advice so far, for the programs' searches */
	bool tolerance_conflict;	/* the targets need a user timeout too short for the tolerated losses */
	size_t vary;			/* setting_ok: the offset of the setting searched */
	enum advise_state judge;	/* ... and the state whose target judges it */
};

/* Whether @st's latest predicted detection with @s is within its target. */
static bool within(const struct settings *s, const struct advise_targets *t, enum advise_state st)
{
	struct state_prediction p;

	predict_settings(s, st, &p);
	return p.bounded && p.latest <= t->target_ms[st];
}

typedef bool (*accept_fn)(const struct search *s, int64_t value);

/* The largest multiple of @step in [@lo, @hi] that @ok accepts, @ok holding up to some value and not above; -1: none. */
static int64_t largest(const struct search *s, int64_t lo, int64_t hi, int64_t step, accept_fn ok)
{
	int64_t a = (lo + step - 1) / step, b = hi / step, best = -1;

	while (a <= b) {
		int64_t m = a + (b - a) / 2;
		if (ok(s, m * step)) {
			best = m * step;
			a = m + 1;
		} else {
			b = m - 1;
		}
	}
	return best;
}

static int64_t keepcnt_for(const struct advise_targets *t)
{
	return t->tolerate_loss + 1 > 127 ? 127 : t->tolerate_loss + 1;
}

/*
 * The user timeout that goes with keepalive timers @c: the one busy needs,
 * but no longer than the keepalive's own abort time, keepidle + keepintvl
 * x keepcnt. A longer one would stretch idle detection past it (with a
 * user timeout the kernel ignores keepcnt and probes on until it has
 * passed); one no longer than keepidle + (keepcnt - 1) x keepintvl would
 * end keepalive after fewer lost probes than keepcnt (a trap).
 */
static int64_t user_timeout_with(const struct search *s, const struct settings *c)
{
	int64_t own;

	if (!s->busy_user_timeout || !c->keepalive || c->keepidle_ms < 0)
		return s->busy_user_timeout;
	own = keepalive_abort_ms(c->keepidle_ms, c->keepintvl_ms, c->keepcnt, 0);
	return own < s->busy_user_timeout ? own : s->busy_user_timeout;
}

/* One setting at @value, judged by one state's target: what largest_setting searches over. */
static bool setting_ok(const struct search *s, int64_t value)
{
	struct settings c = s->s;

	*(int64_t *)((char *)&c + s->vary) = value;
	return within(&c, s->t, s->judge);
}

/*
 * The largest multiple of @step in [@lo, @hi] for the setting at @offset of
 * struct settings (user_timeout_ms, tcp_retries2, ...) with which @st meets
 * its target; -1: none.
 */
static int64_t largest_setting(const struct search *s, size_t offset, enum advise_state st, int64_t lo, int64_t hi,
			       int64_t step)
{
	struct search c = *s;

	c.vary = offset;
	c.judge = st;
	return largest(&c, lo, hi, step, setting_ok);
}

static bool keepidle_ok(const struct search *s, int64_t k)
{
	struct settings c = s->s;
	const struct advise_targets *t = s->t;

	c.keepidle_ms = k;
	c.user_timeout_ms = user_timeout_with(s, &c);
	if (t->target_ms[STATE_IDLE] && !within(&c, t, STATE_IDLE))
		return false;
	int64_t gap = k > c.keepintvl_ms ? k : c.keepintvl_ms;
	if (t->middlebox_idle_ms && timer_latest(gap) >= t->middlebox_idle_ms)
		return false;
	if (s->strict_loss) {
		struct side_cfg side;
		struct sysctl_store store;
		struct trap trap;
		settings_side(&c, &side, &store);
		if (trap_user_timeout(&side, t->tolerate_loss, &trap))
			return false;
	}
	return true;
}

/* keepintvl and keepidle for keepcnt = tolerated + 1 (see the top of the file); false: none fits. */
static bool search_keepalive(struct search *s)
{
	const struct advise_targets *t = s->t;
	int64_t cnt = keepcnt_for(t);
	int64_t budget = t->target_ms[STATE_IDLE] ? t->target_ms[STATE_IDLE] : t->middlebox_idle_ms;
	int64_t start = budget / (4 * cnt) / 1000 * 1000;

	start = start < 1000 ? 1000 : start > 75000 ? 75000 : start;
	s->s.keepcnt = cnt;
	for (int64_t intvl = start; intvl >= 1000; intvl -= 1000) {
		s->s.keepintvl_ms = intvl;
		int64_t k = largest(s, 1000, 32767000, 1000, keepidle_ok);
		if (k > 0) {
			s->s.keepidle_ms = k;
			return true;
		}
	}
	return false;
}

/*
 * A count sysctl (tcp_retries2, tcp_syn_retries) at @offset of struct
 * settings: the largest from 1 to the kernel's default (*@dflt, read by
 * @side_value) with which @st meets its target, set in the candidate (1,
 * the closest, when none does). Returns it, or -1: none.
 */
static int64_t sysctl_search(struct search *s, size_t offset, enum advise_state st,
			     int64_t (*side_value)(const struct side_cfg *c), int64_t *dflt)
{
	struct side_cfg c;
	struct sysctl_store store;

	settings_side(&s->s, &c, &store);
	*dflt = side_value(&c);
	int64_t r = largest_setting(s, offset, st, 1, *dflt, 1);
	*(int64_t *)((char *)&s->s + offset) = r > 0 ? r : 1;
	return r;
}

/* A line at the end of a table of @max rows @width apart from @rows; past @max it is dropped. */
PRINTF(5, 6) static void add_line(char *rows, size_t width, size_t max, size_t *n, const char *fmt, ...)
{
	va_list ap;

	if (*n >= max)
		return;
	va_start(ap, fmt);
	vsnprintf(rows + *n * width, width, fmt, ap);
	va_end(ap);
	(*n)++;
}
#define why(a, ...) add_line((a)->why[0], sizeof((a)->why[0]), ADVICE_LINES, &(a)->n_why, __VA_ARGS__)
#define warn(a, ...) add_line((a)->warnings[0], sizeof((a)->warnings[0]), ADVICE_LINES, &(a)->n_warnings, __VA_ARGS__)
#define note(p, ...) add_line((p)->notes[0], sizeof((p)->notes[0]), PROGRAM_NOTES, &(p)->n_notes, __VA_ARGS__)

/* "26s (up to 29.4s)" */
static const char *span(char *buf, size_t len, const struct state_prediction *p)
{
	char a[32], b[32];

	if (!p->bounded)
		snprintf(buf, len, "never");
	else
		snprintf(buf, len, "%s (up to %s)", dur(a, p->ms), dur(b, p->latest));
	return buf;
}

static void advise_busy(struct search *s, struct advice *a)
{
	const struct advise_targets *t = s->t;
	int64_t target = t->target_ms[STATE_BUSY];
	struct state_prediction p;
	char x[32], y[96];

	predict_settings(&s->s, STATE_BUSY, &p);
	if (p.bounded && p.latest <= target) {
		why(a, "busy: the kernel's retransmission timeout already meets %s: %s", dur(x, target),
		    span(y, sizeof(y), &p));
		return;
	}
	if (t->knobs & KNOB_USER_TIMEOUT) {
		int64_t step = target >= 10000 ? 1000 : 100, max = target < INT32_MAX ? target : INT32_MAX;
		int64_t u = largest_setting(s, offsetof(struct settings, user_timeout_ms), STATE_BUSY, step, max, step);
		s->busy_user_timeout = u > 0 ? u : step;	/* else the closest */
		s->s.user_timeout_ms = s->busy_user_timeout;
		if (u > 0)
			why(a, "busy: TCP_USER_TIMEOUT %s, the largest %s whose latest detection while sending is within %s "
			       "(keepalive is not armed while data is unacknowledged: only the user timeout or tcp_retries2 bound it)",
			    dur(x, u), step == 1000 ? "whole second" : "multiple of 100ms", dur(y, target));
		return;
	}
	if (t->knobs & KNOB_SYSCTLS) {
		int64_t dflt, r = sysctl_search(s, offsetof(struct settings, tcp_retries2), STATE_BUSY, side_retries2, &dflt);
		if (r > 0)
			why(a, "busy: tcp_retries2 = %" PRId64 " (default %" PRId64 "), the largest whose latest detection while sending is within %s; "
			       "TCP_USER_TIMEOUT cannot be set, and keepalive is not armed while data is unacknowledged",
			    r, dflt, dur(x, target));
	}
}

static void advise_idle(struct search *s, struct advice *a)
{
	const struct advise_targets *t = s->t;
	char x[32], y[32], z[32], w[32];
	char mb[96] = "";

	if (!(t->knobs & KNOB_KEEPALIVE))
		return;		/* nothing to switch on: the warnings say what that means */
	s->s.keepalive = true;
	if (!s->keepalive_timers) {
		why(a, "idle: keepalive on; its timers cannot be set, so they are the kernel's");
		return;
	}
	s->s.timers = t->knobs & KNOB_KEEPALIVE_TIMERS ? ORIGIN_SOCKOPT : ORIGIN_SYSCTL;
	s->strict_loss = t->tolerate_loss > 0;
	bool found = search_keepalive(s);
	if (!found && s->strict_loss) {
		s->strict_loss = false;		/* the targets first: the tolerance trap is reported */
		found = search_keepalive(s);
		s->tolerance_conflict = found;
	}
	if (!found) {
		/* The closest: the quickest keepalive for the tolerated losses. */
		s->s.keepidle_ms = 1000;
		s->s.keepintvl_ms = 1000;
		s->s.keepcnt = keepcnt_for(t);
	}
	s->s.user_timeout_ms = user_timeout_with(s, &s->s);
	if (!found)
		return;
	if (t->middlebox_idle_ms)
		snprintf(mb, sizeof(mb), ", the probes come before the middlebox's %s", dur(w, t->middlebox_idle_ms));
	why(a, "idle: keepcnt %" PRId64 " = %" PRId64 " tolerated lost probe%s + 1; keepintvl %s (whole seconds, spreading the probes over at most a quarter of the %s); "
	       "keepidle %s, the largest whole second for which the latest detection fits%s%s, so that a healthy idle connection sends as few probes as possible",
	    s->s.keepcnt, t->tolerate_loss, t->tolerate_loss == 1 ? "" : "s", dur(x, s->s.keepintvl_ms),
	    t->target_ms[STATE_IDLE] ? "target" : "middlebox timeout", dur(y, s->s.keepidle_ms), mb,
	    s->strict_loss && s->s.user_timeout_ms ? ", and TCP_USER_TIMEOUT stays longer than the tolerated losses take" : "");
	if (s->s.user_timeout_ms > 0) {
		int64_t abort_ms = keepalive_abort_ms(s->s.keepidle_ms, s->s.keepintvl_ms, s->s.keepcnt, s->s.user_timeout_ms);
		int64_t lost = (abort_ms - s->s.keepidle_ms) / s->s.keepintvl_ms;
		why(a, "idle: TCP_USER_TIMEOUT %s: %s; with a user timeout the kernel ignores keepcnt and gives up at the first probe timer "
		       "at least that long after the last answer with a probe out, here at %s after %" PRId64 " unanswered probe%s",
		    dur(z, s->s.user_timeout_ms),
		    s->s.user_timeout_ms < s->busy_user_timeout ? "no longer than keepidle + keepintvl x keepcnt, so that it does not stretch keepalive"
		    : s->s.user_timeout_ms == keepalive_abort_ms(s->s.keepidle_ms, s->s.keepintvl_ms, s->s.keepcnt, 0)
			    ? "what busy needs, and just keepidle + keepintvl x keepcnt"
			    : "what busy needs",
		    dur(x, abort_ms), lost, lost == 1 ? "" : "s");
	}
}

static void advise_connect(struct search *s, struct advice *a)
{
	const struct advise_targets *t = s->t;
	int64_t target = t->target_ms[STATE_CONNECT];
	struct state_prediction p;
	char x[32], y[96];

	predict_settings(&s->s, STATE_CONNECT, &p);
	if (p.bounded && p.latest <= target) {
		why(a, "connect: %s already meets %s: %s", s->s.user_timeout_ms ? "TCP_USER_TIMEOUT (it bounds the SYN retransmissions too)"
										  : "the kernel's SYN retransmissions",
		    dur(x, target), span(y, sizeof(y), &p));
		return;
	}
	if (t->knobs & KNOB_SYSCTLS) {
		int64_t dflt, r = sysctl_search(s, offsetof(struct settings, tcp_syn_retries), STATE_CONNECT, side_syn_retries, &dflt);
		if (r > 0)
			why(a, "connect: tcp_syn_retries = %" PRId64 " (default %" PRId64 "), the largest whose latest connect failure is within %s "
			       "(a per-socket alternative: TCP_SYNCNT)",
			    r, dflt, dur(x, target));
		return;
	}
	if (!(t->knobs & KNOB_USER_TIMEOUT) || s->busy_user_timeout)
		return;
	/* The sysctl cannot be set: a user timeout set before connect() clamps the SYN timer. */
	int64_t step = target >= 10000 ? 1000 : 100, u = largest_setting(s, offsetof(struct settings, user_timeout_ms), STATE_CONNECT, step, target, step);
	s->busy_user_timeout = s->s.user_timeout_ms = u > 0 ? u : step;
	if (u > 0)
		why(a, "connect: TCP_USER_TIMEOUT %s set before connect() clamps the SYN retransmissions (tcp_syn_retries cannot be set); "
		       "it bounds a busy connection as well (set it again once connected to change that)",
		    dur(x, u));
}

/* Connect unmet with a user timeout that busy or idle need longer: set another one for the connect. */
static const char *connect_hint(const struct search *s, const struct advice *a, char *buf, size_t len)
{
	struct search c = *s;
	int64_t target = s->t->target_ms[STATE_CONNECT], step = target >= 10000 ? 1000 : 100;
	char x[32], y[32];

	c.s = a->s;
	int64_t u = largest_setting(&c, offsetof(struct settings, user_timeout_ms), STATE_CONNECT, step, target, step);
	const char *syn = s->t->knobs & KNOB_SYSCTLS ? "even tcp_syn_retries = 1 takes longer" : "tcp_syn_retries cannot be set";

	if (u <= 0)
		snprintf(buf, len, "%s, and no user timeout is short enough: a program's own connect timeout can (see below)", syn);
	else
		snprintf(buf, len, "%s; a TCP_USER_TIMEOUT of %s set before connect() and %s once connected would "
				   "(or a program's own connect timeout, see below)", syn, dur(x, u), dur(y, a->s.user_timeout_ms));
	return buf;
}

/* The unmet targets and the traps of the advice, as warnings with what comes closest. */
static void advise_warnings(const struct search *s, struct advice *a)
{
	const struct advise_targets *t = s->t;
	struct side_cfg c;
	struct sysctl_store store;
	struct trap traps[MAX_TRAPS];
	char x[32], y[96], hint[256];

	settings_side(&a->s, &c, &store);
	size_t n = advise_traps(&c, t->tolerate_loss, true, t->middlebox_idle_ms, traps);
	a->tolerance_met = true;
	a->middlebox_met = !t->middlebox_idle_ms || a->s.keepalive;
	for (size_t i = 0; i < n; i++) {
		a->tolerance_met &= traps[i].kind != TRAP_USER_TIMEOUT_LOSS;
		a->middlebox_met &= traps[i].kind != TRAP_MIDDLEBOX;
		/* The busy trap is only one when busy is not otherwise in hand. */
		if (traps[i].kind == TRAP_BUSY && a->met[STATE_BUSY] && t->target_ms[STATE_BUSY])
			continue;
		warn(a, "%s", traps[i].text);
	}
	if (s->tolerance_conflict) {
		char u[32];
		warn(a, "tolerate-loss: no setting meets the targets and survives %" PRId64 " lost probe%s in a row: the TCP_USER_TIMEOUT "
			"they need (%s) ends keepalive sooner whatever keepidle and keepintvl are; the targets come first",
		     t->tolerate_loss, t->tolerate_loss == 1 ? "" : "s", dur(u, a->s.user_timeout_ms));
	}
	if (t->middlebox_idle_ms && !a->s.keepalive)
		warn(a, "middlebox: keepalive cannot be switched on with these knobs: an idle flow is forgotten after %s of silence and its next segment vanishes",
		     dur(x, t->middlebox_idle_ms));
	for (int st = 0; st < STATE_COUNT; st++) {
		if (a->met[st])
			continue;
		const struct state_prediction *p = &a->state[st];
		const char *how = "";
		if (st == STATE_IDLE && !(t->knobs & KNOB_KEEPALIVE))
			how = "keepalive cannot be switched on with these knobs, and without it an idle side never notices";
		else if (st == STATE_IDLE && !s->keepalive_timers)
			how = "only keepalive on/off can be set, and its timers are the kernel's; meeting it needs keepalive-timers or sysctls";
		else if (st == STATE_IDLE)
			how = "the quickest keepalive for the tolerated losses is advised";
		else if (st == STATE_BUSY && !(t->knobs & (KNOB_USER_TIMEOUT | KNOB_SYSCTLS)))
			how = "neither TCP_USER_TIMEOUT nor tcp_retries2 can be set";
		else if (st == STATE_BUSY)
			how = "even the smallest setting takes longer";
		else if (t->knobs & KNOB_USER_TIMEOUT)
			how = connect_hint(s, a, hint, sizeof(hint));
		else if (!(t->knobs & KNOB_SYSCTLS))
			how = "tcp_syn_retries cannot be set: a program's own connect timeout can (see below)";
		else
			how = "even tcp_syn_retries = 1 takes longer: a program's own connect timeout can (see below)";
		warn(a, "%s: no setting meets %s: %s; the closest: %s", state_names[st], dur(x, t->target_ms[st]), how,
		     span(y, sizeof(y), p));
	}
}

static void advise_programs(struct advice *a);

void advise(const struct advise_targets *t, struct advice *a)
{
	struct search s = { .t = t };

	memset(a, 0, sizeof(*a));
	a->t = *t;
	s.s = (struct settings){ .keepidle_ms = -1, .keepintvl_ms = -1, .keepcnt = -1, .timers = ORIGIN_DEFAULT,
				 .tcp_retries2 = -1, .tcp_syn_retries = -1 };
	s.keepalive_timers = (t->knobs & KNOB_KEEPALIVE) && (t->knobs & (KNOB_KEEPALIVE_TIMERS | KNOB_SYSCTLS));
	/* Busy and connect first: the user timeout they need shapes the keepalive. */
	if (t->target_ms[STATE_BUSY])
		advise_busy(&s, a);
	if (t->target_ms[STATE_CONNECT])
		advise_connect(&s, a);
	if (t->target_ms[STATE_IDLE] || t->middlebox_idle_ms)
		advise_idle(&s, a);
	a->s = s.s;
	for (int st = 0; st < STATE_COUNT; st++) {
		predict_settings(&a->s, st, &a->state[st]);
		a->met[st] = !t->target_ms[st] || (a->state[st].bounded && a->state[st].latest <= t->target_ms[st]);
	}
	advise_warnings(&s, a);
	advise_programs(a);
}

bool advice_met(const struct advice *a)
{
	for (int st = 0; st < STATE_COUNT; st++)
		if (!a->met[st])
			return false;
	return a->tolerance_met && a->middlebox_met;
}

/* ---- programs ---- */


PRINTF(2, 3) static void add_setting(struct program_advice *p, const char *fmt, ...)
{
	size_t used = strlen(p->settings);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->settings + used, sizeof(p->settings) - used, fmt, ap);
	va_end(ap);
}

/* What the kernel does for a program whose socket has @s (the host's sysctls included). */
static void kernel_states(struct program_advice *p, const struct settings *s)
{
	for (int st = 0; st < STATE_COUNT; st++) {
		struct state_prediction sp;
		struct program_state *ps = &p->state[st];
		predict_settings(s, st, &sp);
		*ps = (struct program_state){ .applies = true, .bounded = sp.bounded, .earliest = sp.earliest,
					      .latest = sp.latest };
		snprintf(ps->by, sizeof(ps->by), "the kernel: %s%s%s", sp.bounded ? outcome_name(sp.outcome) : "nothing",
			 sp.mechanism != MECH_NONE ? "/" : "", sp.mechanism != MECH_NONE ? mechanism_name(sp.mechanism) : "");
	}
}

/* The program's own timer gives up in [@earliest, @latest]: it decides when it comes first. */
PRINTF(4, 5) static void app_timer(struct program_state *ps, int64_t earliest, int64_t latest, const char *fmt, ...)
{
	va_list ap;

	if (ps->bounded && ps->latest <= latest)
		return;
	ps->bounded = true;
	ps->earliest = earliest;
	ps->latest = latest;
	va_start(ap, fmt);
	vsnprintf(ps->by, sizeof(ps->by), fmt, ap);
	va_end(ap);
}

/* The host's sysctls of the advice, for a program that sets only its own options. */
static struct settings host_only(const struct advice *a)
{
	struct settings s = { .keepidle_ms = -1, .keepintvl_ms = -1, .keepcnt = -1, .timers = ORIGIN_DEFAULT,
			      .tcp_retries2 = a->s.tcp_retries2, .tcp_syn_retries = a->s.tcp_syn_retries };

	if (a->s.timers == ORIGIN_SYSCTL) {
		s.timers = ORIGIN_SYSCTL;
		s.keepidle_ms = a->s.keepidle_ms;
		s.keepintvl_ms = a->s.keepintvl_ms;
		s.keepcnt = a->s.keepcnt;
	}
	return s;
}

static void prog_libpq(const struct advice *a, struct program_advice *p)
{
	struct settings s = a->s;
	int64_t ct = a->t.target_ms[STATE_CONNECT];

	p->name = "libpq";
	p->where = "connection string; psql and every driver built on libpq";
	s.keepalive = true;	/* keepalives=1 is libpq's default */
	add_setting(p, "keepalives=1");
	if (a->s.timers == ORIGIN_SOCKOPT)
		add_setting(p, " keepalives_idle=%" PRId64 " keepalives_interval=%" PRId64 " keepalives_count=%" PRId64,
			    s.keepidle_ms / 1000, s.keepintvl_ms / 1000, s.keepcnt);
	if (s.user_timeout_ms)
		add_setting(p, " tcp_user_timeout=%" PRId64, s.user_timeout_ms);
	kernel_states(p, &s);
	if (ct) {
		int64_t n = ct / 1000 < 2 ? 2 : ct / 1000;
		add_setting(p, " connect_timeout=%" PRId64, n);
		app_timer(&p->state[STATE_CONNECT], (n - 1) * 1000, n * 1000, "connect_timeout %" PRId64 " s", n);
		note(p, "connect_timeout counts whole seconds of the clock (time()), so it ends %" PRId64 " to %" PRId64
			" s after the attempt began; it is at least 2 s, and starts again for each address a host name resolves to",
		     n - 1, n);
	}
	note(p, "libpq sets these before connect(), so tcp_user_timeout bounds the connect too; with keepalives=0 it sets no "
		"tcp_user_timeout either (fe-connect.c tries them in one chain)");
}

/* Redis: anet.c anetKeepAlive(interval): TCP_KEEPIDLE interval, TCP_KEEPINTVL interval / 3 (at least 1), TCP_KEEPCNT 3. */
static void redis_settings(const struct advice *a, int64_t n, struct settings *s)
{
	*s = host_only(a);
	s->keepalive = true;
	s->timers = ORIGIN_SOCKOPT;
	s->keepidle_ms = n * 1000;
	s->keepintvl_ms = (n / 3 ? n / 3 : 1) * 1000;
	s->keepcnt = 3;
}

static bool redis_ok(const struct search *sr, int64_t n)
{
	const struct advice *a = sr->advice;
	struct settings s;

	redis_settings(a, n / 1000, &s);
	if (a->t.target_ms[STATE_IDLE] && !within(&s, &a->t, STATE_IDLE))
		return false;
	return !a->t.middlebox_idle_ms || timer_latest(n) < a->t.middlebox_idle_ms;
}

static void prog_redis(const struct advice *a, struct program_advice *p)
{
	struct settings s;
	struct search sr = { .t = &a->t, .advice = a };
	int64_t n = 300;	/* Redis' default */
	char x[32];

	p->name = "Redis";
	p->where = "redis.conf or CONFIG SET; redis-server, for the connections it accepts";
	if (a->t.target_ms[STATE_IDLE] || a->t.middlebox_idle_ms) {
		n = largest(&sr, 1000, 32767000, 1000, redis_ok) / 1000;
		if (n <= 0)
			n = 1;
	}
	redis_settings(a, n, &s);
	add_setting(p, "tcp-keepalive %" PRId64, n);
	kernel_states(p, &s);
	p->state[STATE_CONNECT].applies = false;
	note(p, "redis-server sets TCP_KEEPIDLE %" PRId64 " s, TCP_KEEPINTVL %" PRId64 " s (N/3, at least 1) and TCP_KEEPCNT 3 on each "
		"connection it accepts (anet.c anetKeepAlive): a dead client is found about 2 x N after its last packet, %s here",
	     n, s.keepintvl_ms / 1000, dur(x, keepalive_abort_ms(s.keepidle_ms, s.keepintvl_ms, 3, 0)));
	if (a->t.tolerate_loss > 2)
		note(p, "its probe count is fixed at 3: it survives 2 lost probes in a row, not %" PRId64, a->t.tolerate_loss);
	note(p, "Redis sets no TCP_USER_TIMEOUT: a client that dies while a reply is in flight is found by tcp_retries2");
	note(p, "hiredis clients (redis-cli) apply the same rule to their own fixed 15 s (15/5/3: 30 s; scenarios/apps/redis-subscriber.scn)");
}

static void prog_openssh(const struct advice *a, struct program_advice *p)
{
	struct settings s = host_only(a);
	int64_t target = 0, c = 3, i;
	char x[32];

	p->name = "OpenSSH";
	p->where = "ssh_config or ssh -o; the client";
	for (int st = STATE_IDLE; st <= STATE_BUSY; st++)
		if (a->t.target_ms[st] && (!target || a->t.target_ms[st] < target))
			target = a->t.target_ms[st];
	/* ssh quits at the (CountMax + 1)-th check without a reply: (CountMax + 1) x Interval, to the second. */
	while (c > 0 && target && (c + 1) * 1000 > target)
		c--;
	i = target ? target / ((c + 1) * 1000) : a->t.middlebox_idle_ms ? 60 : 0;
	if (target && i < 1)
		i = 1;
	if (a->t.middlebox_idle_ms && i * 1000 >= a->t.middlebox_idle_ms - 1000)
		i = a->t.middlebox_idle_ms / 1000 - 2 > 0 ? a->t.middlebox_idle_ms / 1000 - 2 : 1;
	s.keepalive = true;	/* TCPKeepAlive yes, its default: the kernel's timers */
	kernel_states(p, &s);
	if (i > 0) {
		add_setting(p, "ServerAliveInterval %" PRId64 ", ServerAliveCountMax %" PRId64 ", ", i, c);
		for (int st = STATE_IDLE; st <= STATE_BUSY; st++)
			app_timer(&p->state[st], (c + 1) * i * 1000 - 1000, (c + 1) * i * 1000,
				  "ServerAlive: %" PRId64 " x %" PRId64 " s without a reply", c + 1, i);
		note(p, "ssh gives up at the check after ServerAliveCountMax unanswered ones: (%" PRId64 " + 1) x %" PRId64 " s = %s "
			"after the last packet from the server, up to 1 s sooner (it counts whole seconds; clientloop.c), also while sending; "
			"ssh_config(5) says CountMax x Interval",
		     c, i, dur(x, (c + 1) * i * 1000));
	}
	add_setting(p, "TCPKeepAlive yes");
	if (a->t.target_ms[STATE_CONNECT]) {
		int64_t n = a->t.target_ms[STATE_CONNECT] / 1000 ? a->t.target_ms[STATE_CONNECT] / 1000 : 1;
		add_setting(p, ", ConnectTimeout %" PRId64, n);
		app_timer(&p->state[STATE_CONNECT], n * 1000, n * 1000 + LATE_MS, "ConnectTimeout %" PRId64 " s", n);
	}
	note(p, "TCPKeepAlive only switches SO_KEEPALIVE on, with the host's tcp_keepalive_* sysctls; ssh sets no TCP_USER_TIMEOUT. "
		"sshd's ClientAliveInterval and ClientAliveCountMax are the server's side of the same (scenarios/apps/ssh-alive.scn)");
}

static void prog_grpc(const struct advice *a, struct program_advice *p)
{
	struct settings s = host_only(a);
	int64_t w = a->s.user_timeout_ms, time_ms;
	int64_t idle = a->t.target_ms[STATE_IDLE];

	p->name = "gRPC";
	p->where = "channel arguments; the C core and the languages built on it";
	if (!w && a->t.target_ms[STATE_BUSY]) {
		struct search sr = { .t = &a->t, .s = s };
		w = largest_setting(&sr, offsetof(struct settings, user_timeout_ms), STATE_BUSY, 1000, a->t.target_ms[STATE_BUSY], 1000);
	}
	if (w <= 0)
		w = 20000;	/* GRPC_ARG_KEEPALIVE_TIMEOUT_MS' default */
	/* A ping after KEEPALIVE_TIME without a read, its ack awaited KEEPALIVE_TIMEOUT. */
	time_ms = idle ? (idle - LATE_MS - w) / 1000 * 1000 : 300000;
	if (idle && time_ms < 10000 && idle - LATE_MS - 10000 >= 1000) {
		/* Pings at least 10 s apart (grpc-java raises shorter ones to 10 s): a shorter wait for the ack. */
		time_ms = 10000;
		w = (idle - LATE_MS - time_ms) / 1000 * 1000;
	}
	if (a->t.middlebox_idle_ms && time_ms >= a->t.middlebox_idle_ms - 1000)
		time_ms = (a->t.middlebox_idle_ms - 2000) / 1000 * 1000;
	if (time_ms < 1000)
		time_ms = 1000;
	s.user_timeout_ms = w;	/* the client sets TCP_USER_TIMEOUT = KEEPALIVE_TIMEOUT once KEEPALIVE_TIME is set */
	add_setting(p, "GRPC_ARG_KEEPALIVE_TIME_MS=%" PRId64 ", GRPC_ARG_KEEPALIVE_TIMEOUT_MS=%" PRId64
		       ", GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS=1",
		    time_ms, w);
	kernel_states(p, &s);
	for (int st = STATE_IDLE; st <= STATE_BUSY; st++)
		app_timer(&p->state[st], time_ms + w, time_ms + w + LATE_MS,
			  "keepalive ping after %" PRId64 " ms, unanswered for %" PRId64 " ms", time_ms, w);
	note(p, "with GRPC_ARG_KEEPALIVE_TIME_MS set, a client sets TCP_USER_TIMEOUT to GRPC_ARG_KEEPALIVE_TIMEOUT_MS (%" PRId64
		" ms) before connecting (socket_utils_common_posix.cc), so it bounds sending and connecting too; servers set it "
		"(20 s by default) on what they accept",
	     w);
	note(p, "without GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS=1 no ping goes while no call is active: an idle channel is not checked");
	note(p, "a server closes connections that ping more often than its GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS "
		"(5 min by default) with GOAWAY too_many_pings: set it at most %" PRId64 " ms on the server",
	     time_ms);
}

static void prog_socat(const struct advice *a, struct program_advice *p)
{
	struct settings s = a->s;

	p->name = "socat";
	p->where = "TCP address options; socat 1.7.4";
	add_setting(p, "TCP:HOST:PORT");
	if (s.keepalive)
		add_setting(p, ",keepalive");
	if (s.timers == ORIGIN_SOCKOPT)
		add_setting(p, ",keepidle=%" PRId64 ",keepintvl=%" PRId64 ",keepcnt=%" PRId64, s.keepidle_ms / 1000,
			    s.keepintvl_ms / 1000, s.keepcnt);
	if (s.user_timeout_ms)
		add_setting(p, ",setsockopt-int=6:18:%" PRId64, s.user_timeout_ms);
	if (a->s.tcp_syn_retries > 0)
		add_setting(p, ",syncnt=%" PRId64, a->s.tcp_syn_retries);
	kernel_states(p, &s);
	/* setsockopt-int acts once connected: the connect does not have the user timeout. */
	s.user_timeout_ms = 0;
	struct state_prediction sp;
	predict_settings(&s, STATE_CONNECT, &sp);
	p->state[STATE_CONNECT].bounded = sp.bounded;
	p->state[STATE_CONNECT].earliest = sp.earliest;
	p->state[STATE_CONNECT].latest = sp.latest;
	if (a->t.target_ms[STATE_CONNECT]) {
		int64_t ct = a->t.target_ms[STATE_CONNECT];
		add_setting(p, ",connect-timeout=%" PRId64 ".%03" PRId64, ct / 1000, ct % 1000);
		app_timer(&p->state[STATE_CONNECT], ct, ct + LATE_MS, "connect-timeout");
	}
	if (a->s.user_timeout_ms)
		note(p, "socat has no option for TCP_USER_TIMEOUT: setsockopt-int=6:18:N sets it (IPPROTO_TCP 6, TCP_USER_TIMEOUT 18) once "
			"connected, so it does not bound the connect");
	if (a->s.tcp_syn_retries > 0)
		note(p, "syncnt (TCP_SYNCNT) is the per-socket tcp_syn_retries");
}

static void advise_programs(struct advice *a)
{
	prog_libpq(a, &a->prog[PROG_LIBPQ]);
	prog_redis(a, &a->prog[PROG_REDIS]);
	prog_openssh(a, &a->prog[PROG_OPENSSH]);
	prog_grpc(a, &a->prog[PROG_GRPC]);
	prog_socat(a, &a->prog[PROG_SOCAT]);
}

/* ---- the scenarios that check the advice ---- */

static const char *const verify_names[VERIFY_COUNT] = { "advise-idle", "advise-busy", "advise-connect", "advise-tolerate" };

const char *verify_name(enum verify_kind k)
{
	return verify_names[k];
}

bool verify_wanted(const struct advice *a, enum verify_kind k)
{
	switch (k) {
	case VERIFY_IDLE:
		return a->t.target_ms[STATE_IDLE] || a->s.keepalive;
	case VERIFY_BUSY:
		return a->t.target_ms[STATE_BUSY] || a->s.user_timeout_ms || a->s.tcp_retries2 >= 0;
	case VERIFY_CONNECT:
		return a->t.target_ms[STATE_CONNECT] || a->s.tcp_syn_retries >= 0;
	case VERIFY_TOLERATE:
	case VERIFY_COUNT:
		break;
	}
	return a->s.keepalive && a->t.tolerate_loss > 0 && a->s.keepidle_ms > 0;
}

/* When the tolerance scenario's drop starts, after the connection is up: before the first probe. */
#define TOLERATE_FAULT_AT_MS 500

/* The tolerance run's drop is lifted just before probe tolerate + 1 can leave (timers never fire early). */
static int64_t tolerate_heal_ms(const struct advice *a)
{
	int64_t next = probe_timer_ms(a->s.keepidle_ms, a->s.keepintvl_ms, a->t.tolerate_loss);
	int64_t margin = a->s.keepintvl_ms / 2 < 300 ? a->s.keepintvl_ms / 2 : 300;

	return next - margin;
}

/* Whether the tolerance run surely loses exactly the tolerated probes: the last of them leaves before the heal, at the latest. */
static bool tolerate_exact(const struct advice *a)
{
	return timer_latest(probe_timer_ms(a->s.keepidle_ms, a->s.keepintvl_ms, a->t.tolerate_loss - 1)) <
	       tolerate_heal_ms(a);
}

/* The deadline, from the fault: the latest the state's prediction allows, and 2 s more. */
static int64_t verify_deadline(const struct advice *a, enum verify_kind k)
{
	enum advise_state st = k == VERIFY_BUSY ? STATE_BUSY : k == VERIFY_CONNECT ? STATE_CONNECT : STATE_IDLE;
	const struct state_prediction *p = &a->state[st];

	if (k == VERIFY_TOLERATE)
		return timer_latest(probe_timer_ms(a->s.keepidle_ms, a->s.keepintvl_ms, a->t.tolerate_loss)) + 1000 -
		       TOLERATE_FAULT_AT_MS;
	if (p->bounded)
		return p->latest + 2000;
	return (a->t.target_ms[st] ? a->t.target_ms[st] : 10000) + 2000;
}

int verify_scenario(const struct advice *a, enum verify_kind k, char *buf, size_t len)
{
	static const char *const what[VERIFY_COUNT] = {
		"idle: the client waits for data; 1 s after the connection is up the router drops everything both ways",
		"busy: the client streams; 1 s after the connection is up the router drops everything both ways",
		"connect: the router drops everything from before the client connects",
		"a live idle connection loses every probe the advice tolerates, then the path heals",
	};
	struct side_cfg c;
	struct sysctl_store store;
	char targets[160] = "", x[32];
	size_t n = 0;
	int w;

	settings_side(&a->s, &c, &store);
	for (int st = 0; st < STATE_COUNT; st++)
		if (a->t.target_ms[st]) {
			format_duration(x, sizeof(x), a->t.target_ms[st]);
			n += (size_t)snprintf(targets + n, sizeof(targets) - n, " %s %s", state_names[st], x);
		}
	w = snprintf(buf, len,
		     "# Written by deadpeer advise --verify for the targets%s, tolerating %" PRId64 " lost probe%s.\n"
		     "# %s.\n[scenario]\nname = %s\ndescription = advise --verify: %s\ndeadline = %" PRId64 "ms\n%s\n[client]\n",
		     *targets ? targets : " (none)", a->t.tolerate_loss, a->t.tolerate_loss == 1 ? "" : "s", what[k],
		     verify_names[k], what[k], verify_deadline(a, k), k == VERIFY_CONNECT ? "start = listening\n" : "");
#define PUT(...)								\
	do {									\
		if (w >= 0 && (size_t)w < len)					\
			w += snprintf(buf + w, len - (size_t)w, __VA_ARGS__);	\
	} while (0)
	if (c.keepalive)
		PUT("keepalive = yes\n");
	if (c.keepidle_ms > 0)
		PUT("keepidle = %" PRId64 "s\nkeepintvl = %" PRId64 "s\nkeepcnt = %" PRId64 "\n", c.keepidle_ms / 1000,
		    c.keepintvl_ms / 1000, c.keepcnt);
	if (c.user_timeout_ms)
		PUT("user_timeout = %" PRId64 "ms\n", c.user_timeout_ms);
	for (size_t i = 0; i < c.n_sysctls; i++)
		PUT("sysctl.%s = %s\n", c.sysctls[i].key, c.sysctls[i].value);
	if (k == VERIFY_BUSY)
		PUT("traffic = stream\ninterval = 100ms\nsize = 200\n");
	PUT("\n[fault]\nat = %s\naction = drop\ntarget = router\ndirection = both\n",
	    k == VERIFY_CONNECT ? "0" : k == VERIFY_TOLERATE ? "500ms" : "1s");
	if (k == VERIFY_TOLERATE)
		PUT("duration = %" PRId64 "ms\n", tolerate_heal_ms(a) - TOLERATE_FAULT_AT_MS);
#undef PUT
	return w >= 0 && (size_t)w < len ? w : -1;
}

int verify_expect(const struct advice *a, enum verify_kind k, const struct prediction *p, int64_t fault_at_ms,
		  char *buf, size_t len)
{
	int64_t lo, hi;
	int w;

	if (k == VERIFY_TOLERATE) {
		/* Lifted before probe tolerate + 1: the connection lives, and that probe is answered. */
		if (tolerate_exact(a))
			w = snprintf(buf, len, "\n[expect]\nclient = none probes %" PRId64 "\nserver = none\n",
				     a->t.tolerate_loss + 1);
		else
			w = snprintf(buf, len, "\n[expect]\nclient = none\nserver = none\n");
	} else if (!p->has_time || p->outcome == OUTCOME_NONE || p->outcome == OUTCOME_COUNT) {
		w = snprintf(buf, len, "\n[expect]\nclient = none\nserver = none\n");
	} else {
		/* An idle side's timers run from its last packet, the handshake: fault_at before the fault. */
		advise_window(p, k == VERIFY_IDLE ? fault_at_ms : 0, k == VERIFY_BUSY, &lo, &hi);
		w = snprintf(buf, len, "\n[expect]\nclient = %s%s%s within %" PRId64 "ms..%" PRId64 "ms\nserver = none\n",
			     outcome_name(p->outcome), p->mechanism != MECH_NONE ? " " : "",
			     p->mechanism != MECH_NONE ? mechanism_name(p->mechanism) : "", lo, hi);
	}
	return w >= 0 && (size_t)w < len ? w : -1;
}
