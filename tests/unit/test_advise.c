// SPDX-License-Identifier: MIT
/*
 * The settings advisor: its search against the prediction it is built on
 * (every figure checked through advise_predict, so these hold however exact
 * the prediction gets), the traps, the JSON object, the programs'
 * equivalents and the scenarios of --verify.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "advise.h"
#include "commands.h"
#include "fault.h"

#include "unit.h"

static struct advise_targets targets(int64_t idle, int64_t busy, int64_t connect, int64_t middlebox, int64_t tolerate)
{
	return (struct advise_targets){ .target_ms = { idle, busy, connect }, .middlebox_idle_ms = middlebox,
					.tolerate_loss = tolerate, .knobs = KNOB_ALL };
}

static void side_of(const struct settings *s, struct side_cfg *c, struct sysctl_store *store)
{
	settings_side(s, c, store);
}

/* The latest predicted detection of @st with @s. */
static int64_t latest(const struct settings *s, enum advise_state st)
{
	struct side_cfg c;
	struct sysctl_store store;
	struct state_prediction p;

	side_of(s, &c, &store);
	advise_predict(&c, st, &p);
	assert_true(p.bounded);
	return p.latest;
}

static size_t count_kind(const struct trap *t, size_t n, enum trap_kind k)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += t[i].kind == k;
	return c;
}

static size_t traps_of(const struct settings *s, int64_t tolerate, bool sends, int64_t middlebox, struct trap *t)
{
	struct side_cfg c;
	struct sysctl_store store;

	side_of(s, &c, &store);
	return advise_traps(&c, tolerate, sends, middlebox, t);
}

static void test_knobs(void **state)
{
	unsigned k;
	char msg[200], names[100];

	(void)state;
	assert_int_equal(advise_parse_knobs("keepalive,user-timeout", &k, msg, sizeof(msg)), 0);
	assert_int_equal(k, KNOB_KEEPALIVE | KNOB_USER_TIMEOUT);
	/* Setting the timers switches keepalive on too. */
	assert_int_equal(advise_parse_knobs("keepalive-timers", &k, msg, sizeof(msg)), 0);
	assert_int_equal(k, KNOB_KEEPALIVE | KNOB_KEEPALIVE_TIMERS);
	assert_int_equal(advise_parse_knobs(" sysctls , all ", &k, msg, sizeof(msg)), 0);
	assert_int_equal(k, KNOB_ALL);
	assert_string_equal(advise_knob_names(names, sizeof(names), KNOB_ALL),
			    "keepalive,keepalive-timers,user-timeout,sysctls");
	assert_int_equal(advise_parse_knobs("keepalive,timers", &k, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "unknown knob 'timers'"));
	assert_int_equal(advise_parse_knobs(",", &k, msg, sizeof(msg)), -1);
}

/* The example of the SPEC: 30 s idle and busy, 10 s to connect, a 350 s middlebox, one lost probe. */
static void test_search(void **state)
{
	struct advise_targets t = targets(30000, 30000, 10000, 350000, 1);
	struct advice *a = calloc(1, sizeof(*a));
	struct trap traps[MAX_TRAPS];

	(void)state;
	advise(&t, a);
	assert_true(advice_met(a));
	assert_int_equal(a->n_warnings, 0);
	/* keepcnt = tolerated + 1; whole seconds. */
	assert_true(a->s.keepalive);
	assert_int_equal(a->s.timers, ORIGIN_SOCKOPT);
	assert_int_equal(a->s.keepcnt, 2);
	assert_int_equal(a->s.keepidle_ms % 1000, 0);
	assert_int_equal(a->s.keepintvl_ms % 1000, 0);
	/* Every state within its target at the latest its window allows. */
	for (int st = 0; st < STATE_COUNT; st++) {
		assert_true(a->met[st]);
		assert_true(a->state[st].bounded);
		assert_true(a->state[st].earliest <= a->state[st].ms && a->state[st].ms <= a->state[st].latest);
		assert_true(a->state[st].latest <= t.target_ms[st]);
		assert_int_equal(latest(&a->s, st), a->state[st].latest);
	}
	/* The user timeout bounds busy and no longer than keepalive's own abort: keepcnt keeps its meaning. */
	assert_true(a->s.user_timeout_ms > 0);
	assert_true(a->s.user_timeout_ms <= keepalive_abort_ms(a->s.keepidle_ms, a->s.keepintvl_ms, a->s.keepcnt, 0));
	assert_int_equal(a->state[STATE_BUSY].mechanism, MECH_USER_TIMEOUT);
	/* No trap in it: one lost probe is survived, the probes beat the middlebox. */
	assert_int_equal(traps_of(&a->s, 1, true, 350000, traps), 0);
	/* keepidle is the largest that fits: a second more breaks the idle target or the tolerance. */
	struct settings more = a->s;
	more.keepidle_ms += 1000;
	int64_t own = keepalive_abort_ms(more.keepidle_ms, more.keepintvl_ms, more.keepcnt, 0);
	more.user_timeout_ms = own < a->s.user_timeout_ms ? own : a->s.user_timeout_ms;
	assert_true(latest(&more, STATE_IDLE) > 30000 || traps_of(&more, 1, true, 350000, traps) > 0);
	/* The user timeout is the largest busy allows, unless keepalive's own abort time is shorter. */
	struct settings longer = a->s;
	longer.user_timeout_ms += 1000;
	assert_true(latest(&longer, STATE_BUSY) > 30000 ||
		    a->s.user_timeout_ms == keepalive_abort_ms(a->s.keepidle_ms, a->s.keepintvl_ms, a->s.keepcnt, 0));
	/* The connect: tcp_syn_retries, the largest that fits. */
	assert_true(a->s.tcp_syn_retries >= 1);
	struct settings syn = a->s;
	syn.tcp_syn_retries++;
	assert_true(latest(&syn, STATE_CONNECT) > 10000);
	assert_true(a->n_why >= 3);
	free(a);
}

static void test_middlebox_only(void **state)
{
	struct advise_targets t = targets(0, 0, 0, 350000, 1);
	struct advice *a = calloc(1, sizeof(*a));
	struct trap traps[MAX_TRAPS];

	(void)state;
	advise(&t, a);
	assert_true(advice_met(a));
	assert_true(a->s.keepalive);
	assert_int_equal(a->s.user_timeout_ms, 0);
	/* The probes come before the middlebox forgets the flow, keepidle as long as that allows. */
	assert_int_equal(count_kind(traps, traps_of(&a->s, 1, false, 350000, traps), TRAP_MIDDLEBOX), 0);
	struct settings more = a->s;
	more.keepidle_ms += 1000;
	assert_int_equal(count_kind(traps, traps_of(&more, 1, false, 350000, traps), TRAP_MIDDLEBOX), 1);
	/* A middlebox of a second cannot be kept: keepidle is at least 1 s. */
	t = targets(0, 0, 0, 1000, 0);
	advise(&t, a);
	assert_false(a->middlebox_met);
	assert_false(advice_met(a));
	free(a);
}

static void test_knobs_limit(void **state)
{
	struct advise_targets t = targets(30000, 30000, 0, 0, 1);
	struct advice *a = calloc(1, sizeof(*a));
	struct side_cfg c;
	struct sysctl_store store;
	char x[32];

	(void)state;
	/* Only keepalive on/off: the kernel's defaults, hours; the warning says so and what is closest. */
	t.knobs = KNOB_KEEPALIVE;
	advise(&t, a);
	assert_true(a->s.keepalive);
	assert_int_equal(a->s.keepidle_ms, -1);
	assert_int_equal(a->s.user_timeout_ms, 0);
	assert_false(a->met[STATE_IDLE]);
	assert_false(a->met[STATE_BUSY]);
	assert_false(advice_met(a));
	side_of(&a->s, &c, &store);
	format_duration(x, sizeof(x), keepalive_abort_ms(side_keepidle_ms(&c), side_keepintvl_ms(&c), side_keepcnt(&c), 0));
	bool defaults = false, idle = false;
	for (size_t i = 0; i < a->n_warnings; i++) {
		defaults |= strstr(a->warnings[i], "kernel's defaults") && strstr(a->warnings[i], x);
		idle |= strncmp(a->warnings[i], "idle: no setting meets 30s", 26) == 0;
	}
	assert_true(defaults);
	assert_true(idle);

	/* Sysctls but no socket timers: the keepalive timers and tcp_retries2 through the host. */
	t.knobs = KNOB_KEEPALIVE | KNOB_SYSCTLS;
	advise(&t, a);
	assert_true(advice_met(a));
	assert_int_equal(a->s.timers, ORIGIN_SYSCTL);
	assert_int_equal(a->s.user_timeout_ms, 0);
	assert_true(a->s.tcp_retries2 >= 1);
	side_of(&a->s, &c, &store);
	assert_int_equal(c.keepidle_ms, -1);
	assert_int_equal(side_keepidle_ms(&c), a->s.keepidle_ms);
	assert_int_equal(side_retries2(&c), a->s.tcp_retries2);
	struct settings more = a->s;
	more.tcp_retries2++;
	assert_true(latest(&more, STATE_BUSY) > 30000);

	/* No keepalive at all: an idle side never notices, and the warning says why. */
	t.knobs = KNOB_USER_TIMEOUT;
	advise(&t, a);
	assert_false(a->s.keepalive);
	assert_false(a->state[STATE_IDLE].bounded);
	assert_true(a->met[STATE_BUSY]);
	assert_false(a->met[STATE_IDLE]);

	/* A connect target with only the user timeout: set before connect(), it clamps the SYNs. */
	t = targets(0, 0, 10000, 0, 1);
	t.knobs = KNOB_USER_TIMEOUT;
	advise(&t, a);
	assert_true(advice_met(a));
	assert_true(a->s.user_timeout_ms > 0 && a->s.user_timeout_ms <= 10000);
	assert_int_equal(a->s.tcp_syn_retries, -1);
	free(a);
}

static void test_unmet(void **state)
{
	struct advise_targets t = targets(2000, 0, 0, 0, 3);
	struct advice *a = calloc(1, sizeof(*a));
	struct trap traps[MAX_TRAPS];

	(void)state;
	/* Surviving 3 lost probes takes at least 1 + 4 x 1 s: the closest is said. */
	advise(&t, a);
	assert_false(a->met[STATE_IDLE]);
	assert_int_equal(a->s.keepidle_ms, 1000);
	assert_int_equal(a->s.keepintvl_ms, 1000);
	assert_int_equal(a->s.keepcnt, 4);
	bool said = false;
	for (size_t i = 0; i < a->n_warnings; i++)
		said |= strstr(a->warnings[i], "no setting meets 2s") && strstr(a->warnings[i], "the closest");
	assert_true(said);

	/* A busy target that needs a user timeout too short for the tolerated losses: the targets first, the trap said. */
	t = targets(30000, 3000, 0, 0, 2);
	advise(&t, a);
	assert_true(a->met[STATE_IDLE] && a->met[STATE_BUSY]);
	assert_false(a->tolerance_met);
	assert_int_equal(count_kind(traps, traps_of(&a->s, 2, true, 0, traps), TRAP_USER_TIMEOUT_LOSS), 1);
	said = false;
	for (size_t i = 0; i < a->n_warnings; i++)
		said |= strncmp(a->warnings[i], "tolerate-loss: no setting", 25) == 0;
	assert_true(said);
	free(a);
}

static void test_traps(void **state)
{
	struct settings s = { .keepalive = true, .keepidle_ms = 2000, .keepintvl_ms = 1000, .keepcnt = 9,
			      .timers = ORIGIN_SOCKOPT, .user_timeout_ms = 4000, .tcp_retries2 = -1, .tcp_syn_retries = -1 };
	struct trap t[MAX_TRAPS];
	size_t n;

	(void)state;
	/* keepalive-user-timeout.scn: 2/1/9 with a 4 s user timeout gives up after 2 lost probes, not 8. */
	n = traps_of(&s, -1, false, 0, t);
	assert_int_equal(n, 1);
	assert_int_equal(t[0].kind, TRAP_USER_TIMEOUT_LOSS);
	assert_non_null(strstr(t[0].text, "2 lost probes in a row end a live connection, where 8 should be survived"));
	/* One lost probe tolerated is fine with it; none asked for, nothing to say. */
	assert_int_equal(traps_of(&s, 1, false, 0, t), 0);
	assert_int_equal(traps_of(&s, 0, false, 0, t), 0);
	/* The trap: a user timeout shorter than keepidle + keepintvl dies on one lost probe. */
	s = (struct settings){ .keepalive = true, .keepidle_ms = 30000, .keepintvl_ms = 5000, .keepcnt = 3,
			       .timers = ORIGIN_SOCKOPT, .user_timeout_ms = 20000, .tcp_retries2 = -1, .tcp_syn_retries = -1 };
	n = traps_of(&s, 2, false, 0, t);
	assert_int_equal(count_kind(t, n, TRAP_USER_TIMEOUT_LOSS), 1);
	assert_non_null(strstr(t[0].text, "1 lost probe in a row ends a live connection"));
	/* Well past keepidle + 2 x keepintvl, even at the wheel's latest: survived. */
	s.user_timeout_ms = 60000;
	assert_int_equal(traps_of(&s, 2, false, 0, t), 0);

	/* Keepalive while sending: the retransmission timer decides, unless the user timeout bounds it. */
	s = (struct settings){ .keepalive = true, .keepidle_ms = 1000, .keepintvl_ms = 1000, .keepcnt = 1,
			       .timers = ORIGIN_SOCKOPT, .tcp_retries2 = -1, .tcp_syn_retries = -1 };
	n = traps_of(&s, 0, true, 0, t);
	assert_int_equal(count_kind(t, n, TRAP_BUSY), 1);
	assert_int_equal(traps_of(&s, 0, false, 0, t), 0);
	s.user_timeout_ms = 3000;
	assert_int_equal(count_kind(t, traps_of(&s, 0, true, 0, t), TRAP_BUSY), 0);
	/* A low tcp_retries2 that gives up before keepalive would is no trap either. */
	s.user_timeout_ms = 0;
	s.keepidle_ms = 60000;
	s.tcp_retries2 = 3;
	assert_int_equal(count_kind(t, traps_of(&s, 0, true, 0, t), TRAP_BUSY), 0);

	/* keepidle beyond the middlebox's timeout. */
	s = (struct settings){ .keepalive = true, .keepidle_ms = 400000, .keepintvl_ms = 10000, .keepcnt = 3,
			       .timers = ORIGIN_SOCKOPT, .tcp_retries2 = -1, .tcp_syn_retries = -1 };
	n = traps_of(&s, 2, false, 350000, t);
	assert_int_equal(count_kind(t, n, TRAP_MIDDLEBOX), 1);
	s.keepidle_ms = 60000;
	assert_int_equal(traps_of(&s, 2, false, 350000, t), 0);

	/* The kernel's defaults: hours. */
	s = (struct settings){ .keepalive = true, .keepidle_ms = -1, .keepintvl_ms = -1, .keepcnt = -1,
			       .tcp_retries2 = -1, .tcp_syn_retries = -1 };
	n = traps_of(&s, -1, false, 0, t);
	assert_int_equal(count_kind(t, n, TRAP_DEFAULTS), 1);
	/* Defaults set through the host's sysctls are a choice, not a trap. */
	s.timers = ORIGIN_SYSCTL;
	s.keepidle_ms = 10000;
	assert_int_equal(count_kind(t, traps_of(&s, -1, false, 0, t), TRAP_DEFAULTS), 0);
}

static void test_scenario_traps(void **state)
{
	struct scenario *sc = unit_load("[client]\nkeepalive = yes\nkeepidle = 2s\nkeepintvl = 1s\nkeepcnt = 9\nuser_timeout = 4s\n"
					"[server]\napp = cat\n[fault]\naction = drop\ntarget = router\n");
	struct variant v;
	struct trap t[MAX_TRAPS];

	(void)state;
	assert_int_equal(scenario_variant(sc, 0, &v, stderr), 0);
	assert_int_equal(advise_variant_traps(&v, HOST_CLIENT, t), 1);
	assert_int_equal(t[0].kind, TRAP_USER_TIMEOUT_LOSS);
	/* An app side sets its own options: nothing to say about it. */
	assert_int_equal(advise_variant_traps(&v, HOST_SERVER, t), 0);
	variant_release(&v);
	scenario_free(sc);

	/* A streaming side with keepalive and no user timeout. */
	sc = unit_load("[client]\ntraffic = stream\nkeepalive = yes\nkeepidle = 1s\nkeepintvl = 1s\nkeepcnt = 1\n"
		       "[fault]\naction = drop\ntarget = router\n");
	assert_int_equal(scenario_variant(sc, 0, &v, stderr), 0);
	assert_int_equal(advise_variant_traps(&v, HOST_CLIENT, t), 1);
	assert_int_equal(t[0].kind, TRAP_BUSY);
	variant_release(&v);
	scenario_free(sc);
}

/* ---- a minimal JSON reader, enough to check the object's shape ---- */

static const char *json_ws(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

static const char *json_value(const char *p);

static const char *json_str(const char *p)
{
	if (*p != '"')
		return NULL;
	for (p++; *p && *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\' && !*++p)
			return NULL;
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *json_value(const char *p)
{
	p = json_ws(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		p = json_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				if (!(p = json_str(json_ws(p))))
					return NULL;
				p = json_ws(p);
				if (*p++ != ':')
					return NULL;
			}
			if (!(p = json_value(p)))
				return NULL;
			p = json_ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (*p == '"')
		return json_str(p);
	if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0)
		return p + 4;
	if (strncmp(p, "false", 5) == 0)
		return p + 5;
	const char *q = p;
	if (*q == '-')
		q++;
	while (isdigit((unsigned char)*q))
		q++;
	return q > p ? q : NULL;
}

/* The integer after "key": in @json (the first one), or INT64_MIN when it is null or absent. */
static int64_t json_int(const char *json, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\": ", key);
	p = strstr(json, k);
	assert_non_null(p);
	p += strlen(k);
	return strncmp(p, "null", 4) == 0 ? INT64_MIN : strtoll(p, NULL, 10);
}

static void test_json(void **state)
{
	struct advise_targets t = targets(30000, 30000, 10000, 350000, 1);
	struct advice *a = calloc(1, sizeof(*a));
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	advise(&t, a);
	f = open_memstream(&buf, &len);
	advice_json(f, a, -1);
	fclose(f);
	const char *end = json_value(buf);
	assert_non_null(end);
	assert_int_equal(*json_ws(end), '\0');
	assert_int_equal(json_int(buf, "keepidle_ms"), a->s.keepidle_ms);
	assert_int_equal(json_int(buf, "keepintvl_ms"), a->s.keepintvl_ms);
	assert_int_equal(json_int(buf, "keepcnt"), 2);
	assert_int_equal(json_int(buf, "user_timeout_ms"), a->s.user_timeout_ms);
	assert_int_equal(json_int(buf, "tcp_syn_retries"), a->s.tcp_syn_retries);
	assert_true(json_int(buf, "tcp_retries2") >= 1);
	const char *pred = strstr(buf, "\"predicted\": {");
	assert_non_null(pred);
	assert_int_equal(json_int(pred, "idle_ms"), a->state[STATE_IDLE].ms);
	assert_int_equal(json_int(pred, "busy_ms"), a->state[STATE_BUSY].ms);
	assert_int_equal(json_int(pred, "connect_ms"), a->state[STATE_CONNECT].ms);
	assert_non_null(strstr(buf, "\"warnings\": []"));
	const char *progs = strstr(buf, "\"programs\": {");
	assert_non_null(progs);
	for (const char *name = "libpq\0Redis\0OpenSSH\0gRPC\0socat\0"; *name; name += strlen(name) + 1) {
		char key[32];
		snprintf(key, sizeof(key), "\"%s\": {", name);
		assert_non_null(strstr(progs, key));
	}
	assert_null(strstr(buf, "\"verified\""));
	free(buf);

	/* Unbounded states are null; --verify's verdict is a member of its own. */
	t = targets(0, 30000, 0, 0, 0);
	t.knobs = KNOB_USER_TIMEOUT;
	advise(&t, a);
	f = open_memstream(&buf, &len);
	advice_json(f, a, 1);
	fclose(f);
	assert_non_null(json_value(buf));
	assert_int_equal(json_int(strstr(buf, "\"predicted\""), "idle_ms"), INT64_MIN);
	assert_non_null(strstr(buf, "\"verified\": true}"));
	free(buf);
	free(a);
}

static const struct program_advice *prog(const struct advice *a, const char *name)
{
	for (int i = 0; i < PROG_COUNT; i++)
		if (strcmp(a->prog[i].name, name) == 0)
			return &a->prog[i];
	fail_msg("no program %s", name);
	return NULL;
}

static void test_programs(void **state)
{
	struct advise_targets t = targets(30000, 30000, 10000, 0, 1);
	struct advice *a = calloc(1, sizeof(*a));
	const struct program_advice *p;
	char want[200];
	int64_t n, i, c;

	(void)state;
	advise(&t, a);
	/* libpq takes the same socket options, and connect_timeout in whole seconds. */
	p = prog(a, "libpq");
	snprintf(want, sizeof(want), "keepalives=1 keepalives_idle=%" PRId64 " keepalives_interval=%" PRId64
		 " keepalives_count=2 tcp_user_timeout=%" PRId64 " connect_timeout=10",
		 a->s.keepidle_ms / 1000, a->s.keepintvl_ms / 1000, a->s.user_timeout_ms);
	assert_string_equal(p->settings, want);
	for (int st = 0; st < STATE_COUNT; st++)
		assert_true(p->state[st].bounded && p->state[st].latest <= t.target_ms[st]);
	/* Redis: tcp-keepalive N gives N / N/3 / 3; N the largest that fits. */
	p = prog(a, "Redis");
	assert_int_equal(sscanf(p->settings, "tcp-keepalive %" SCNd64, &n), 1);
	struct settings r = { .keepalive = true, .keepidle_ms = n * 1000, .keepintvl_ms = (n / 3 ? n / 3 : 1) * 1000,
			      .keepcnt = 3, .timers = ORIGIN_SOCKOPT, .tcp_retries2 = -1, .tcp_syn_retries = -1 };
	assert_int_equal(p->state[STATE_IDLE].latest, latest(&r, STATE_IDLE));
	assert_true(p->state[STATE_IDLE].latest <= 30000);
	r.keepidle_ms += 1000;
	r.keepintvl_ms = ((n + 1) / 3 ? (n + 1) / 3 : 1) * 1000;
	assert_true(latest(&r, STATE_IDLE) > 30000);
	assert_false(p->state[STATE_CONNECT].applies);
	/* OpenSSH: (CountMax + 1) x Interval within the target, also while sending. */
	p = prog(a, "OpenSSH");
	assert_int_equal(sscanf(p->settings, "ServerAliveInterval %" SCNd64 ", ServerAliveCountMax %" SCNd64, &i, &c), 2);
	assert_int_equal(p->state[STATE_IDLE].latest, (c + 1) * i * 1000);
	assert_true((c + 1) * i * 1000 <= 30000 && (c + 1) * (i + 1) * 1000 > 30000);
	assert_int_equal(p->state[STATE_BUSY].latest, (c + 1) * i * 1000);
	assert_non_null(strstr(p->settings, "ConnectTimeout 10"));
	/* gRPC: the client's TCP_USER_TIMEOUT is its keepalive timeout. */
	p = prog(a, "gRPC");
	assert_non_null(strstr(p->settings, "GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS=1"));
	for (int st = 0; st < STATE_COUNT; st++)
		assert_true(p->state[st].bounded && p->state[st].latest <= t.target_ms[st]);
	/* socat: its address options; the user timeout through setsockopt-int, which does not bound the connect. */
	p = prog(a, "socat");
	snprintf(want, sizeof(want), ",keepidle=%" PRId64 ",", a->s.keepidle_ms / 1000);
	assert_non_null(strstr(p->settings, want));
	snprintf(want, sizeof(want), "setsockopt-int=6:18:%" PRId64, a->s.user_timeout_ms);
	assert_non_null(strstr(p->settings, want));
	assert_non_null(strstr(p->settings, "connect-timeout=10.000"));

	/* libpq's connect_timeout is at least 2 s. */
	t = targets(0, 0, 1500, 0, 0);
	advise(&t, a);
	assert_non_null(strstr(prog(a, "libpq")->settings, "connect_timeout=2"));
	free(a);
}

/* The scenario text of @k with its [expect] from the prediction of that very text; the prediction into @p. */
static struct scenario *verify_file(const struct advice *a, enum verify_kind k, struct prediction *p, char *text, size_t len)
{
	struct scenario *sc;
	struct variant v;
	int n = verify_scenario(a, k, text, len);

	assert_true(n > 0);
	sc = unit_load(text);
	assert_int_equal(scenario_variant(sc, 0, &v, stderr), 0);
	predict_side(&v, HOST_CLIENT, false, 0, p);
	int m = verify_expect(a, k, p, variant_first_fault_ms(&v), text + n, len - (size_t)n);
	assert_true(m > 0);
	variant_release(&v);
	scenario_free(sc);
	return unit_load(text);
}

static void test_verify_scenarios(void **state)
{
	/* Scaled targets, seconds, as a test run would use. */
	struct advise_targets t = targets(8000, 6000, 8000, 0, 1);
	struct advice *a = calloc(1, sizeof(*a));
	char text[4096];
	struct prediction p;
	struct variant v;

	(void)state;
	advise(&t, a);
	assert_true(advice_met(a));
	for (int k = 0; k < VERIFY_COUNT; k++) {
		assert_true(verify_wanted(a, k));
		struct scenario *sc = verify_file(a, k, &p, text, sizeof(text));
		assert_int_equal(scenario_variant(sc, 0, &v, stderr), 0);
		assert_string_equal(v.name, verify_name(k));
		const struct expect *e = &v.expect[HOST_CLIENT];
		if (k == VERIFY_TOLERATE) {
			/* The drop ends before the probe after the tolerated ones: nothing to notice. */
			assert_int_equal(p.outcome, OUTCOME_NONE);
			assert_int_equal(e->outcome, OUTCOME_NONE);
			assert_true(v.faults[0].at_ms + v.faults[0].duration_ms <
				    keepalive_abort_ms(a->s.keepidle_ms, a->s.keepintvl_ms, t.tolerate_loss, 0));
			assert_true(v.faults[0].at_ms < a->s.keepidle_ms);
		} else {
			enum advise_state st = k == VERIFY_IDLE ? STATE_IDLE : k == VERIFY_BUSY ? STATE_BUSY : STATE_CONNECT;
			/* The file's prediction is the advice's, from its fault (the idle side heard the handshake 1 s before). */
			assert_int_equal(p.ms + (k == VERIFY_IDLE ? variant_first_fault_ms(&v) : 0), a->state[st].ms);
			assert_int_equal(e->outcome, p.outcome);
			assert_int_equal(e->mechanism, p.mechanism);
			assert_true(e->has_window && e->min_ms <= p.ms && p.ms <= e->max_ms);
			assert_true(v.deadline_ms > e->max_ms);
		}
		assert_int_equal(v.expect[HOST_SERVER].outcome, OUTCOME_NONE);
		variant_release(&v);
		scenario_free(sc);
	}
	/* Without a tolerance there is no tolerance run; without a connect target no connect run. */
	t = targets(8000, 0, 0, 0, 0);
	advise(&t, a);
	assert_true(verify_wanted(a, VERIFY_IDLE));
	assert_false(verify_wanted(a, VERIFY_TOLERATE));
	assert_false(verify_wanted(a, VERIFY_CONNECT));
	free(a);
}

/* cmd_advise with @args (NULL-terminated), its stdout thrown away. */
static enum status run_advise(const char *const *args)
{
	char *argv[16];
	int argc = 0, devnull = open("/dev/null", O_WRONLY), saved = dup(STDOUT_FILENO);

	for (; args[argc]; argc++)
		argv[argc] = (char *)args[argc];
	argv[argc] = NULL;
	fflush(stdout);
	dup2(devnull, STDOUT_FILENO);
	enum status st = cmd_advise(argc, argv);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(devnull);
	return st;
}

static void test_command_line(void **state)
{
	(void)state;
	assert_int_equal(run_advise((const char *[]){ "advise", NULL }), STATUS_USAGE);
	assert_int_equal(run_advise((const char *[]){ "advise", "--idle", "soon", NULL }), STATUS_USAGE);
	assert_int_equal(run_advise((const char *[]){ "advise", "--idle", "0", NULL }), STATUS_USAGE);
	assert_int_equal(run_advise((const char *[]){ "advise", "--idle", "30s", "--knobs", "timers", NULL }), STATUS_USAGE);
	assert_int_equal(run_advise((const char *[]){ "advise", "--idle", "30s", "--tolerate-loss", "-1", NULL }),
			 STATUS_USAGE);
	assert_int_equal(run_advise((const char *[]){ "advise", "--idle", "30s", "-o", "dir", NULL }), STATUS_USAGE);
	assert_int_equal(run_advise((const char *[]){ "advise", "--idle", "30s", "extra", NULL }), STATUS_USAGE);
	assert_int_equal(run_advise((const char *[]){ "advise", "--idle", NULL }), STATUS_USAGE);
	assert_int_equal(run_advise((const char *[]){ "advise", "--help", NULL }), STATUS_PASS);
	/* Met: 0; a target no setting meets: 1 (with the closest printed). */
	assert_int_equal(run_advise((const char *[]){ "advise", "--idle", "30s", "--busy", "30s", "--json", NULL }),
			 STATUS_PASS);
	assert_int_equal(run_advise((const char *[]){ "advise", "--idle", "30s", "--knobs", "keepalive", NULL }),
			 STATUS_FAILED);
}

UNIT_TESTS(cmocka_unit_test(test_knobs), cmocka_unit_test(test_search), cmocka_unit_test(test_middlebox_only),
	   cmocka_unit_test(test_knobs_limit), cmocka_unit_test(test_unmet), cmocka_unit_test(test_traps),
	   cmocka_unit_test(test_scenario_traps), cmocka_unit_test(test_json), cmocka_unit_test(test_programs),
	   cmocka_unit_test(test_verify_scenarios), cmocka_unit_test(test_command_line))
