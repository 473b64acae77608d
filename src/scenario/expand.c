// SPDX-License-Identifier: MIT
/*
 * Sweep expansion: a scenario whose values are lists is the cross product of
 * them. Variant i picks, for each list, element (i / radix) % length, where
 * the radix is the product of the lengths of the lists before it, so the
 * first list varies fastest. Each variant is then checked for combinations
 * no run could honour, with the line of the key at fault.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "names.h"
#include "scenario_priv.h"

#define MAX_VARIANTS 10000

size_t scenario_variant_count(const struct scenario *s)
{
	size_t n = 1;

	for (size_t i = 0; i < s->n_entries; i++) {
		n *= s->entries[i].n_values;
		if (n > MAX_VARIANTS)
			return 0;
	}
	return n;
}

static void side_defaults(struct side_cfg *c, enum host side)
{
	*c = (struct side_cfg){
		.keepalive = false,
		.keepidle_ms = -1,
		.keepintvl_ms = -1,
		.keepcnt = -1,
		.user_timeout_ms = 0,
		.traffic = TRAFFIC_IDLE,
		.interval_ms = 1000,
		.size = 100,
		.heartbeat_timeout_ms = 3000,
		.port = DEFAULT_PORT,
		.app = { .ready = side == HOST_SERVER ? READY_LISTEN : READY_CONNECTED },
	};
}

static void fault_defaults(struct fault_cfg *f, const struct section *sec)
{
	*f = (struct fault_cfg){
		.name = sec->name,
		.line = sec->line,
		.at_ms = 1000,
		.kind = NULL,			/* required */
		.target = HOST_COUNT,		/* required */
		.direction = DIR_BOTH,
		.duration_ms = 0,
		.restart_ms = -1,
		.restart_service = false,
	};
}

struct checker {
	const struct scenario *s;
	FILE *err;
	int errors;
};

static void PRINTF(3, 4) complain(struct checker *c, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(c->err, "%s:%d: ", c->s->path, line);
	va_start(ap, fmt);
	vfprintf(c->err, fmt, ap);
	va_end(ap);
	fputc('\n', c->err);
	c->errors++;
}

/* The keys @f's kind does not take, in the order of the [fault] table; each a message. */
static void check_fault_keys(struct checker *c, const struct fault_cfg *f, size_t sec)
{
	const struct scenario *s = c->s;
	const struct fault_kind *k = f->kind;
	char kinds[256];

	if (f->target == HOST_ROUTER && !(k->takes & FAULT_TAKES_ROUTER))
		complain(c, scenario_key_line(s, sec, "target"), "target = router is only possible for %s, not %s",
			 fault_kind_names(kinds, sizeof(kinds), FAULT_TAKES_ROUTER, " and "), k->name);
	if (!(k->takes & FAULT_TAKES_DIRECTION) && scenario_has_key(s, sec, "direction"))
		complain(c, scenario_key_line(s, sec, "direction"), "direction applies only to %s, not %s",
			 fault_kind_names(kinds, sizeof(kinds), FAULT_TAKES_DIRECTION, " and "), k->name);
	if (!(k->takes & FAULT_TAKES_DURATION) && f->duration_ms > 0)
		complain(c, scenario_key_line(s, sec, "duration"), "duration does not apply to %s (%s)", k->name,
			 k->no_duration);
	if (!(k->takes & FAULT_TAKES_RESTART) && scenario_has_key(s, sec, "restart"))
		complain(c, scenario_key_line(s, sec, "restart"), "restart applies only to %s, not %s",
			 fault_kind_names(kinds, sizeof(kinds), FAULT_TAKES_RESTART, " and "), k->name);
	if (!(k->takes & FAULT_TAKES_PROBABILITY) && scenario_has_key(s, sec, "probability"))
		complain(c, scenario_key_line(s, sec, "probability"), "probability applies only to %s, not %s",
			 fault_kind_names(kinds, sizeof(kinds), FAULT_TAKES_PROBABILITY, " and "), k->name);
	if (!(k->takes & FAULT_TAKES_MTU) && scenario_has_key(s, sec, "mtu"))
		complain(c, scenario_key_line(s, sec, "mtu"), "mtu applies only to %s, not %s",
			 fault_kind_names(kinds, sizeof(kinds), FAULT_TAKES_MTU, " and "), k->name);
	/* The service is the server's: restarting it means nothing on another target. */
	if (f->restart_service && (!(k->takes & FAULT_TAKES_RESTART_SERVICE) || f->target != HOST_SERVER))
		complain(c, scenario_key_line(s, sec, "restart_service"),
			 "restart_service applies only to a %s of the server",
			 fault_kind_names(kinds, sizeof(kinds), FAULT_TAKES_RESTART_SERVICE, " or "));
}

/* An MTU the family's links cannot take (parse.c has checked IPv4's minimum, the least of both). */
static void check_mtu(struct checker *c, const struct fault_cfg *f, size_t sec, enum family family)
{
	if (family == FAMILY_IPV6 && f->mtu && f->mtu < MTU_MIN_IPV6)
		complain(c, scenario_key_line(c->s, sec, "mtu"), "mtu %lld is below IPv6's minimum of %d",
			 (long long)f->mtu, MTU_MIN_IPV6);
}

static void check_fault(struct checker *c, const struct fault_cfg *f, size_t sec, enum family family)
{
	const char *sp = *f->name ? " " : "", *key = NULL;
	char kinds[256], msg[256];

	if (!f->kind) {
		complain(c, f->line, "[fault%s%s] needs an action (%s)", sp, f->name,
			 fault_kind_names(kinds, sizeof(kinds), 0, ", "));
		return;
	}
	if (f->target == HOST_COUNT) {
		complain(c, f->line, "[fault%s%s] needs a target (client, server%s)", sp, f->name,
			 f->kind->takes & FAULT_TAKES_ROUTER ? ", router" : "");
		return;
	}
	check_fault_keys(c, f, sec);
	if (f->kind->validate && f->kind->validate(f, &key, msg, sizeof(msg)))
		complain(c, scenario_key_line(c->s, sec, key), "%s", msg);
	else if (f->kind->takes & FAULT_TAKES_MTU)
		check_mtu(c, f, sec, family);
}

/* The line of the first [expect] line of @side (in any [expect] section), or 1. */
static int expect_line(const struct scenario *s, enum host side)
{
	for (size_t i = 0; i < s->n_entries; i++)
		if (s->sections[s->entries[i].section].kind == SECT_EXPECT &&
		    strcmp(s->entries[i].key, host_name(side)) == 0)
			return s->entries[i].line;
	return 1;
}

/*
 * start = listening: the clock starts when the server listens and the
 * client connects at connect_at; a fault on the client's process or host
 * before then has no connection to act on.
 */
static void check_start(struct checker *c, const struct variant *v, size_t client_sec)
{
	const struct scenario *s = c->s;
	int64_t connect_at = v->side[HOST_CLIENT].connect_at_ms;
	char a[32], b[32];

	if (v->start != START_LISTENING) {
		if (client_sec != SIZE_MAX && scenario_has_key(s, client_sec, "connect_at"))
			complain(c, scenario_key_line(s, client_sec, "connect_at"),
				 "connect_at needs start = listening in [scenario] (with start = connected, the client "
				 "is connected before the clock starts)");
		/* A connect's outcomes cannot happen to a connection made before the clock starts. */
		for (int side = 0; side < SIDE_COUNT; side++) {
			const struct expect *e = &v->expect[side];
			if (e->text && (e->outcome == OUTCOME_REFUSED || (!e->any_mechanism && e->mechanism == MECH_SYN)))
				complain(c, expect_line(s, side),
					 "%s = %s: a connect's outcome needs start = listening in [scenario]",
					 host_name(side), e->text);
		}
		return;
	}
	int64_t first = variant_first_fault_ms(v), end = (first < 0 ? 0 : first) + v->deadline_ms;
	if (connect_at >= end) {
		format_duration(a, sizeof(a), connect_at);
		format_duration(b, sizeof(b), end);
		complain(c, client_sec != SIZE_MAX ? scenario_key_line(s, client_sec, "connect_at") : 1,
			 "connect_at %s is not before the deadline, %s after the server listens: the client would never connect",
			 a, b);
	}
	if (v->side[HOST_CLIENT].app.command)
		complain(c, v->side[HOST_CLIENT].app.line,
			 "start = listening needs the built-in client: a program connects when it decides to, not at connect_at");
	for (size_t i = 0; i < s->n_sections; i++) {
		if (s->sections[i].kind != SECT_FAULT)
			continue;
		const struct fault_cfg *f = &v->faults[s->sections[i].fault];
		if (!f->kind || f->target != HOST_CLIENT ||
		    f->at_ms > connect_at || (f->kind->takes & FAULT_TAKES_ROUTER))
			continue;
		format_duration(a, sizeof(a), connect_at);
		format_duration(b, sizeof(b), f->at_ms);
		complain(c, scenario_key_line(s, i, "at"),
			 "start = listening: the client connects at %s, so a %s of the client at %s has no connection "
			 "to act on (target the server, or make at later than connect_at)", a, f->kind->name, b);
	}
}

/* The built-in endpoint's rules; an app side has none of its keys (parse.c refuses them). */
static void check_side(struct checker *c, const struct side_cfg *side, size_t sec)
{
	if (side->app.command)
		return;
	if (side->traffic == TRAFFIC_HEARTBEAT && side->heartbeat_timeout_ms <= side->interval_ms)
		complain(c, scenario_key_line(c->s, sec, "heartbeat_timeout"),
			 "heartbeat_timeout must be longer than interval, or every heartbeat expires before the next ping");
}

static void append_name(char **name, size_t *len, size_t *cap, const char *text)
{
	size_t n = strlen(text);

	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*name = xreallocarray(*name, *cap, 1);
	}
	memcpy(*name + *len, text, n + 1);
	*len += n;
}

/* An application side's key (app, ready, notice, user, env.NAME), checked by parse.c, into @a. */
static void set_app_key(const struct scenario *s, const struct entry *e, enum host side, struct app_cfg *a)
{
	char msg[256];

	if (strcmp(e->key, "app") == 0) {
		a->command = e->values[0];
		a->line = e->line;
		a->words = (const char *const *)e->words;
		a->n_words = e->n_words;
		a->dir = s->dir;
	} else if (strcmp(e->key, "ready") == 0) {
		(void)app_ready_parse(e->values[0], side, a, msg, sizeof(msg));
		a->ready_line = e->line;
	} else if (strcmp(e->key, "notice") == 0) {
		a->notice = app_notice_parse(e->values[0], msg, sizeof(msg));
		a->notice_line = e->line;
	} else if (strcmp(e->key, "user") == 0) {
		a->user = e->values[0];
		a->user_line = e->line;
	} else if (a->n_env < MAX_APP_ENV) {
		a->env[a->n_env++] = (struct env_setting){ e->key + 4, e->values[0], e->line };
	}
}

/*
 * An [expect] line of @e into @v: the kernel's view (client, server) or the
 * program's (client_app, server_app), whose line is kept in @app_line.
 */
static void set_expect(struct checker *c, struct variant *v, const struct entry *e, const char *value,
		       int app_line[SIDE_COUNT])
{
	char msg[512];
	bool app;
	int side = expect_key(e->key, &app);	/* checked by parse.c */
	int rc;

	if (app) {
		rc = app_expect_parse(value, &v->expect_app[side], msg, sizeof(msg));
		app_line[side] = e->line;
	} else {
		rc = expect_parse(value, &v->expect[side], msg, sizeof(msg));
	}
	if (rc < 0)
		complain(c, e->line, "%s", msg);
}

/* A program's "line" reaction is its notice line: a side without one never has it. */
static void check_app_expects(struct checker *c, const struct variant *v, const int app_line[SIDE_COUNT])
{
	for (int side = 0; side < SIDE_COUNT; side++)
		if (v->expect_app[side].text && v->expect_app[side].reaction == APP_REACT_LINE &&
		    !v->side[side].app.notice)
			complain(c, app_line[side], "%s_app: reaction 'line' needs notice = line REGEX in [%s]",
				 host_name(side), host_name(side));
}

/* How a swept value shows in variant names: "family=ipv6", "client.keepidle=1s", "fault probe.at=2s". */
static void sweep_part(const struct scenario *s, const struct entry *e, const char *value, char *buf, size_t len)
{
	const struct section *sec = &s->sections[e->section];

	if (sec->kind == SECT_SCENARIO)
		snprintf(buf, len, "%s=%s", e->key, value);
	else
		snprintf(buf, len, "%s%s%s.%s=%s", section_kind_name(sec->kind), *sec->name ? " " : "", sec->name,
			 e->key, value);
}

/* Is @item one of the swept values of this file? */
static bool sweeps(const struct scenario *s, const char *item)
{
	char part[512];

	for (size_t i = 0; i < s->n_entries; i++)
		for (size_t j = 0; s->entries[i].n_values > 1 && j < s->entries[i].n_values; j++) {
			sweep_part(s, &s->entries[i], s->entries[i].values[j], part, sizeof(part));
			if (strcmp(part, item) == 0)
				return true;
		}
	return false;
}

/* Is @item among the swept parts of @name ("x[a=1,b=2]")? */
static bool named(const char *name, const char *item)
{
	const char *p = strchr(name, '[');
	size_t n = strlen(item);

	while (p) {
		p++;
		if (strncmp(p, item, n) == 0 && (p[n] == ',' || (p[n] == ']' && !p[n + 1])))
			return true;
		p = strchr(p, ',');
	}
	return false;
}

/*
 * "[expect WHEN]" sections, in file order, replace the plain [expect] lines
 * of the variants whose name holds every KEY=VALUE of WHEN. A WHEN item that
 * no variant of the file can hold is a typo, reported at its header.
 */
static void apply_conditional_expects(struct checker *c, struct variant *v, int app_line[SIDE_COUNT])
{
	const struct scenario *s = c->s;

	for (size_t i = 0; i < s->n_sections; i++) {
		const struct section *sec = &s->sections[i];
		bool match = true;

		if (sec->kind != SECT_EXPECT || !*sec->name)
			continue;
		char *when = xstrdup(sec->name), *save = NULL;
		for (char *item = strtok_r(when, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
			if (!sweeps(s, item)) {
				complain(c, sec->line, "[expect %s]: '%s' is not a value this file sweeps "
					 "(write it as the variant names show it, such as fault.action=freeze)",
					 sec->name, item);
				match = false;
				break;
			}
			match = match && named(v->name, item);
		}
		free(when);
		for (size_t j = 0; match && j < s->n_entries; j++) {
			const struct entry *e = &s->entries[j];
			if (e->section == i)
				set_expect(c, v, e, e->values[0], app_line);
		}
	}
}

int scenario_variant(const struct scenario *s, size_t index, struct variant *v, FILE *err)
{
	struct checker c = { .s = s, .err = err };
	size_t side_section[SIDE_COUNT] = { SIZE_MAX, SIZE_MAX };
	size_t radix = 1, len = 0, cap = 0, swept = 0;
	int app_line[SIDE_COUNT] = { 0 };
	char *name = NULL;
	char msg[512];

	memset(v, 0, sizeof(*v));
	v->scenario = s;
	v->index = index;
	v->family = FAMILY_IPV4;
	v->deadline_ms = 30000;
	v->repeat = 1;
	side_defaults(&v->side[HOST_CLIENT], HOST_CLIENT);
	side_defaults(&v->side[HOST_SERVER], HOST_SERVER);
	v->router.idle_timeout_ms = -1;
	v->router.idle_action = IDLE_DROP;

	for (size_t i = 0; i < s->n_sections; i++) {
		const struct section *sec = &s->sections[i];
		if (sec->kind == SECT_FAULT) {
			fault_defaults(&v->faults[sec->fault], sec);
			v->n_faults++;
		} else if (sec->kind == SECT_CLIENT) {
			side_section[HOST_CLIENT] = i;
		} else if (sec->kind == SECT_SERVER) {
			side_section[HOST_SERVER] = i;
		}
	}

	append_name(&name, &len, &cap, s->name);
	for (size_t i = 0; i < s->n_entries; i++) {
		const struct entry *e = &s->entries[i];
		const struct section *sec = &s->sections[e->section];
		const char *value = e->values[(index / radix) % e->n_values];
		struct sysctl_setting *ss = NULL;
		size_t *nss = NULL;
		void *obj = NULL;

		radix *= e->n_values;
		if (e->n_values > 1) {
			char part[512];
			part[0] = swept++ ? ',' : '[';
			sweep_part(s, e, value, part + 1, sizeof(part) - 1);
			append_name(&name, &len, &cap, part);
		}
		switch (sec->kind) {
		case SECT_SCENARIO:
			obj = v;
			break;
		case SECT_CLIENT:
		case SECT_SERVER: {
			enum host h = sec->kind == SECT_CLIENT ? HOST_CLIENT : HOST_SERVER;
			struct side_cfg *side = &v->side[h];
			if (is_app_key(e->key)) {
				set_app_key(s, e, h, &side->app);
				continue;
			}
			obj = side;
			ss = side->sysctls;
			nss = &side->n_sysctls;
			break;
		}
		case SECT_ROUTER:
			obj = &v->router;
			ss = v->router.sysctls;
			nss = &v->router.n_sysctls;
			break;
		case SECT_FAULT:
			obj = &v->faults[sec->fault];
			break;
		case SECT_EXPECT:
			if (!*sec->name)	/* [expect WHEN]: once the variant's name is known */
				set_expect(&c, v, e, value, app_line);
			continue;
		case SECT_COUNT:
			continue;
		}
		if (strncmp(e->key, "sysctl.", 7) == 0 && ss) {
			ss[*nss] = (struct sysctl_setting){ e->key + 7, value, e->line };
			(*nss)++;
			continue;
		}
		const struct key_def *k = key_lookup(sec->kind, e->key);
		if (k && key_apply(k, obj, value, msg, sizeof(msg)) < 0)
			complain(&c, e->line, "%s", msg);
	}
	if (swept)
		append_name(&name, &len, &cap, "]");
	v->name = name;
	apply_conditional_expects(&c, v, app_line);
	check_app_expects(&c, v, app_line);

	for (size_t i = 0; i < s->n_sections; i++)
		if (s->sections[i].kind == SECT_FAULT)
			check_fault(&c, &v->faults[s->sections[i].fault], i, v->family);
	for (int side = 0; side < SIDE_COUNT; side++)
		if (side_section[side] != SIZE_MAX)
			check_side(&c, &v->side[side], side_section[side]);
	check_start(&c, v, side_section[HOST_CLIENT]);

	if (c.errors) {
		variant_release(v);
		return -1;
	}
	return 0;
}

void variant_release(struct variant *v)
{
	free(v->name);
	v->name = NULL;
}

int64_t variant_first_fault_ms(const struct variant *v)
{
	int64_t first = -1;

	for (size_t i = 0; i < v->n_faults; i++)
		if (first < 0 || v->faults[i].at_ms < first)
			first = v->faults[i].at_ms;
	return first;
}
