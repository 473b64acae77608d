// SPDX-License-Identifier: MIT
/*
 * Scenario files: INI read by inih through our own line reader, which counts
 * lines (inih's handler gets none), rejects over-long lines, strips "# " and
 * "; " comments, and recognises section headers itself. Every value is
 * checked here, element by element for lists, so that a file that loads can
 * always be expanded; combinations are checked per variant in expand.c.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <inttypes.h>
#include <math.h>
#include <pwd.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "names.h"
#include "scenario_priv.h"

#define S(kind) (1u << (kind))
#define SIDES (S(SECT_CLIENT) | S(SECT_SERVER))
/* A table of this file; those of names.c are sized by their enums' counts. */
#define ENUM(words) words, ARRAY_SIZE(words)

/* Kernel limits: MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL (32767 s), MAX_TCP_KEEPCNT (127). */
static const struct key_def key_defs[] = {
	{ "family", S(SECT_SCENARIO), VT_ENUM, offsetof(struct variant, family), 0, 0, family_words, FAMILY_COUNT },
	{ "deadline", S(SECT_SCENARIO), VT_DURATION, offsetof(struct variant, deadline_ms), 1, DURATION_MAX_MS, NULL, 0 },
	{ "start", S(SECT_SCENARIO), VT_ENUM, offsetof(struct variant, start), 0, 0, start_words, START_COUNT },
	{ "repeat", S(SECT_SCENARIO), VT_INT, offsetof(struct variant, repeat), 1, 1000, NULL, 0 },

	{ "keepalive", SIDES, VT_BOOL, offsetof(struct side_cfg, keepalive), 0, 0, NULL, 0 },
	{ "keepidle", SIDES, VT_SECONDS, offsetof(struct side_cfg, keepidle_ms), 1000, 32767000, NULL, 0 },
	{ "keepintvl", SIDES, VT_SECONDS, offsetof(struct side_cfg, keepintvl_ms), 1000, 32767000, NULL, 0 },
	{ "keepcnt", SIDES, VT_INT, offsetof(struct side_cfg, keepcnt), 1, 127, NULL, 0 },
	{ "user_timeout", SIDES, VT_DURATION, offsetof(struct side_cfg, user_timeout_ms), 0, INT32_MAX, NULL, 0 },
	{ "traffic", SIDES, VT_ENUM, offsetof(struct side_cfg, traffic), 0, 0, traffic_words, TRAFFIC_COUNT },
	{ "interval", SIDES, VT_DURATION, offsetof(struct side_cfg, interval_ms), 1, 3600000, NULL, 0 },
	{ "size", SIDES, VT_INT, offsetof(struct side_cfg, size), 4, 65536, NULL, 0 },
	{ "heartbeat_timeout", SIDES, VT_DURATION, offsetof(struct side_cfg, heartbeat_timeout_ms), 1, DURATION_MAX_MS, NULL, 0 },
	{ "connect_at", S(SECT_CLIENT), VT_DURATION, offsetof(struct side_cfg, connect_at_ms), 0, DURATION_MAX_MS, NULL, 0 },
	{ "port", S(SECT_SERVER), VT_INT, offsetof(struct side_cfg, port), 1, 65535, NULL, 0 },

	{ "idle_timeout", S(SECT_ROUTER), VT_SECONDS, offsetof(struct router_cfg, idle_timeout_ms), 1000, DURATION_MAX_MS, NULL, 0 },
	{ "idle_action", S(SECT_ROUTER), VT_ENUM, offsetof(struct router_cfg, idle_action), 0, 0,
	  idle_action_words, IDLE_ACTION_COUNT },

	{ "at", S(SECT_FAULT), VT_DURATION, offsetof(struct fault_cfg, at_ms), 0, DURATION_MAX_MS, NULL, 0 },
	{ "action", S(SECT_FAULT), VT_FAULT_KIND, offsetof(struct fault_cfg, kind), 0, 0, NULL, 0 },
	{ "target", S(SECT_FAULT), VT_ENUM, offsetof(struct fault_cfg, target), 0, 0, host_words, HOST_COUNT },
	{ "direction", S(SECT_FAULT), VT_ENUM, offsetof(struct fault_cfg, direction), 0, 0,
	  direction_words, DIR_COUNT },
	{ "duration", S(SECT_FAULT), VT_DURATION, offsetof(struct fault_cfg, duration_ms), 0, DURATION_MAX_MS, NULL, 0 },
	{ "restart", S(SECT_FAULT), VT_DURATION, offsetof(struct fault_cfg, restart_ms), 0, DURATION_MAX_MS, NULL, 0 },
	{ "restart_service", S(SECT_FAULT), VT_BOOL, offsetof(struct fault_cfg, restart_service), 0, 0, NULL, 0 },
	{ "probability", S(SECT_FAULT), VT_PERCENT, offsetof(struct fault_cfg, probability), 1, 99, NULL, 0 },
	/* IPv6's own minimum needs the variant's family: expand.c. */
	{ "mtu", S(SECT_FAULT), VT_INT, offsetof(struct fault_cfg, mtu), MTU_MIN_IPV4, LINK_MTU - 1, NULL, 0 },
};

const char *key_name(size_t i)
{
	return i < ARRAY_SIZE(key_defs) ? key_defs[i].name : NULL;
}

const struct key_def *key_lookup(enum section_kind kind, const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(key_defs); i++)
		if ((key_defs[i].sections & S(kind)) && strcmp(key_defs[i].name, key) == 0)
			return &key_defs[i];
	return NULL;
}

static const char *join_words(char *buf, size_t len, const char *const *words, size_t n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s", i ? ", " : "", words[i]);
	return buf;
}

/* A word key's value that is none of its @words: -1 with the message in @msg. */
static int unknown_word(const struct key_def *k, const char *value, const char *words, char *msg, size_t len)
{
	snprintf(msg, len, "unknown %s '%s' (expected %s)", k->name, value, words);
	return -1;
}

int key_apply(const struct key_def *k, void *obj, const char *value, char *msg, size_t len)
{
	char *field = (char *)obj + k->offset;
	char a[32], b[32], words[256];
	const char *why;
	int64_t v;

	switch (k->type) {
	case VT_BOOL:
		if (strcmp(value, "yes") == 0 || strcmp(value, "no") == 0) {
			*(bool *)field = value[0] == 'y';
			return 0;
		}
		snprintf(msg, len, "%s: '%s' is not a boolean (expected yes or no)", k->name, value);
		return -1;
	case VT_ENUM: {
		int w = name_find(k->words, k->n_words, value);
		if (w >= 0) {
			*(int *)field = w;
			return 0;
		}
		return unknown_word(k, value, join_words(words, sizeof(words), k->words, k->n_words), msg, len);
	}
	case VT_FAULT_KIND: {
		const struct fault_kind *kind = fault_kind_find(value);
		if (kind) {
			*(const struct fault_kind **)field = kind;
			return 0;
		}
		return unknown_word(k, value, fault_kind_names(words, sizeof(words), 0, ", "), msg, len);
	}
	case VT_PERCENT:
	case VT_INT: {
		/* A percentage may say so: "30%", "30 %"; messages quote what was written. */
		const char *unit = k->type == VT_PERCENT ? "%" : "";
		char num[32];
		const char *digits = value;
		size_t n = strlen(value);
		if (*unit && n && n < sizeof(num) && value[n - 1] == '%') {
			for (n--; n && isspace((unsigned char)value[n - 1]); n--)
				;
			snprintf(num, sizeof(num), "%.*s", (int)n, value);
			digits = num;
		}
		if (parse_int64(digits, &v) < 0) {
			snprintf(msg, len, "%s: '%s' is not a whole number (expected %" PRId64 "%s to %" PRId64 "%s)",
				 k->name, value, k->min, unit, k->max, unit);
			return -1;
		}
		if (v < k->min || v > k->max) {
			snprintf(msg, len, "%s: %s is out of range (expected %" PRId64 "%s to %" PRId64 "%s)",
				 k->name, value, k->min, unit, k->max, unit);
			return -1;
		}
		*(int64_t *)field = v;
		return 0;
	}
	case VT_DURATION:
	case VT_SECONDS:
		if (parse_duration_ms(value, &v, &why) < 0) {
			snprintf(msg, len, "%s: invalid duration '%s': %s", k->name, value, why);
			return -1;
		}
		if (k->type == VT_SECONDS && v % 1000) {
			snprintf(msg, len, "%s: '%s' is not a whole number of seconds (the kernel option takes seconds)",
				 k->name, value);
			return -1;
		}
		if (v < k->min || v > k->max) {
			format_duration(a, sizeof(a), k->min);
			format_duration(b, sizeof(b), k->max);
			snprintf(msg, len, "%s: '%s' is out of range (expected %s to %s)", k->name, value, a, b);
			return -1;
		}
		*(int64_t *)field = v;
		return 0;
	}
	snprintf(msg, len, "%s: internal error", k->name);
	return -1;
}

/*
 * The "MIN..MAX" after a "within" that strtok_r(@save) stands at, into
 * *@min_ms and *@max_ms; *@has set, and already set is an error. @untimed:
 * what has no detection time to check it against ("outcome 'none'"), which
 * makes any window an error; NULL: none. 0 or -1 with @msg.
 */
static int window_parse(char **save, bool *has, int64_t *min_ms, int64_t *max_ms, const char *untimed,
			char *msg, size_t len)
{
	const char *why;
	char *range, *dots;

	if (*has) {
		snprintf(msg, len, "'within' given twice");
		return -1;
	}
	range = strtok_r(NULL, " \t", save);
	if (!range || !(dots = strstr(range, ".."))) {
		snprintf(msg, len, "'within' needs a range MIN..MAX such as 1s..3s");
		return -1;
	}
	*dots = '\0';
	if (parse_duration_ms(range, min_ms, &why) < 0 || parse_duration_ms(dots + 2, max_ms, &why) < 0) {
		snprintf(msg, len, "invalid range '%s..%s': %s", range, dots + 2, why);
		return -1;
	}
	if (*min_ms > *max_ms) {
		snprintf(msg, len, "empty range '%s..%s' (MIN is above MAX)", range, dots + 2);
		return -1;
	}
	if (untimed) {
		snprintf(msg, len, "%s has no detection time to check 'within' against", untimed);
		return -1;
	}
	*has = true;
	return 0;
}

/*
 * Copy an expectation's @text into @buf (of @size) for strtok_r(@save) and
 * read its first word, which must be one of the @n words of @table: its
 * index, or -1 with @msg ("unknown @what 'x' (expected ...)"; without a
 * word, "empty expectation (expected @form)").
 */
static int expect_head(const char *text, char *buf, size_t size, char **save, const char *const *table, size_t n,
		       const char *what, const char *form, char *msg, size_t len)
{
	char words[256], *tok;
	int w;

	if (strlen(text) >= size) {
		snprintf(msg, len, "expectation too long");
		return -1;
	}
	strcpy(buf, text);
	tok = strtok_r(buf, " \t", save);
	if (!tok) {
		snprintf(msg, len, "empty expectation (expected %s)", form);
		return -1;
	}
	w = name_find(table, n, tok);
	if (w < 0) {
		join_words(words, sizeof(words), table, n);
		snprintf(msg, len, "unknown %s '%s' (expected %s)", what, tok, words);
	}
	return w;
}

int expect_parse(const char *text, struct expect *e, char *msg, size_t len)
{
	char buf[256], words[256], untimed[32];
	char *save = NULL, *tok;
	int w;

	memset(e, 0, sizeof(*e));
	e->text = text;
	e->any_mechanism = true;
	w = expect_head(text, buf, sizeof(buf), &save, outcome_words, OUTCOME_COUNT, "outcome",
			"OUTCOME [MECHANISM] [within MIN..MAX] [probes N[..M]] [answered]", msg, len);
	if (w < 0)
		return -1;
	e->outcome = w;
	tok = strtok_r(NULL, " \t", &save);
	if (tok && strcmp(tok, "within") != 0 && strcmp(tok, "probes") != 0 && strcmp(tok, "answered") != 0) {
		w = name_find(mechanism_words, MECH_COUNT, tok);
		bool fits = false;
		switch (e->outcome) {
		case OUTCOME_TIMEOUT:
			fits = (w >= MECH_KEEPALIVE && w <= MECH_USER_TIMEOUT) || w == MECH_SYN;
			snprintf(words, sizeof(words), "keepalive, retransmission, zero-window, user-timeout, syn");
			break;
		case OUTCOME_RST:
			fits = w == MECH_PROBE || w == MECH_DATA || w == MECH_NONE;
			snprintf(words, sizeof(words), "probe, data, -");
			break;
		case OUTCOME_FIN:
		case OUTCOME_HEARTBEAT:
		case OUTCOME_NONE:
		case OUTCOME_KILLED:
		case OUTCOME_REFUSED:
		case OUTCOME_COUNT:
			snprintf(msg, len, "outcome '%s' takes no mechanism, got '%s'",
				 outcome_name(e->outcome), tok);
			return -1;
		}
		if (!fits) {
			snprintf(msg, len, "unknown mechanism '%s' for %s (expected %s)",
				 tok, outcome_name(e->outcome), words);
			return -1;
		}
		e->any_mechanism = false;
		e->mechanism = w;
		tok = strtok_r(NULL, " \t", &save);
	}
	while (tok) {
		char *range, *dots;

		if (strcmp(tok, "answered") == 0) {
			if (e->answered) {
				snprintf(msg, len, "'answered' given twice");
				return -1;
			}
			e->answered = true;
			tok = strtok_r(NULL, " \t", &save);
			continue;
		}
		if (strcmp(tok, "probes") == 0) {
			char *end;
			if (e->has_probes) {
				snprintf(msg, len, "'probes' given twice");
				return -1;
			}
			range = strtok_r(NULL, " \t", &save);
			if (!range) {
				snprintf(msg, len, "'probes' needs a count N or a range N..M such as 3 or 2..4");
				return -1;
			}
			dots = strstr(range, "..");
			if (dots)
				*dots = '\0';
			errno = 0;
			e->probes_min = strtoll(range, &end, 10);
			bool bad = !isdigit((unsigned char)*range) || *end || errno || e->probes_min > 1000000;
			e->probes_max = e->probes_min;
			if (!bad && dots) {
				errno = 0;
				e->probes_max = strtoll(dots + 2, &end, 10);
				bad = !isdigit((unsigned char)dots[2]) || *end || errno || e->probes_max > 1000000;
			}
			if (bad) {
				snprintf(msg, len, "invalid probe count '%s%s%s' (expected N or N..M, whole numbers up to 1000000)",
					 range, dots ? ".." : "", dots ? dots + 2 : "");
				return -1;
			}
			if (e->probes_min > e->probes_max) {
				snprintf(msg, len, "empty probe range '%s..%s' (N is above M)", range, dots + 2);
				return -1;
			}
			e->has_probes = true;
			tok = strtok_r(NULL, " \t", &save);
			continue;
		}
		if (strcmp(tok, "within") != 0) {
			snprintf(msg, len, "unexpected '%s' (expected 'within MIN..MAX', 'probes N[..M]' or 'answered')", tok);
			return -1;
		}
		snprintf(untimed, sizeof(untimed), "outcome '%s'", outcome_name(e->outcome));
		if (window_parse(&save, &e->has_window, &e->min_ms, &e->max_ms,
				 e->outcome == OUTCOME_NONE || e->outcome == OUTCOME_KILLED ? untimed : NULL, msg, len) < 0)
			return -1;
		tok = strtok_r(NULL, " \t", &save);
	}
	if ((e->has_probes || e->answered) && e->outcome == OUTCOME_KILLED) {
		snprintf(msg, len, "a killed side's probes are not counted; 'probes' and 'answered' do not apply");
		return -1;
	}
	return 0;
}

int app_expect_parse(const char *text, struct app_expect *e, char *msg, size_t len)
{
	char buf[256];
	char *save = NULL, *tok;
	int w;

	memset(e, 0, sizeof(*e));
	e->text = text;
	w = expect_head(text, buf, sizeof(buf), &save, app_reaction_words, APP_REACT_COUNT, "reaction",
			"REACTION [within MIN..MAX]", msg, len);
	if (w < 0)
		return -1;
	e->reaction = w;
	while ((tok = strtok_r(NULL, " \t", &save))) {
		if (strcmp(tok, "within") != 0) {
			snprintf(msg, len, "unexpected '%s' (expected 'within MIN..MAX')", tok);
			return -1;
		}
		if (window_parse(&save, &e->has_window, &e->min_ms, &e->max_ms,
				 e->reaction == APP_REACT_NONE ? "reaction 'none'" : NULL, msg, len) < 0)
			return -1;
	}
	return 0;
}

int expect_key(const char *key, bool *app)
{
	char side[16];
	size_t n = strlen(key);

	*app = n > 4 && n < sizeof(side) && strcmp(key + n - 4, "_app") == 0;
	if (!*app)
		return name_find(host_words, SIDE_COUNT, key);
	snprintf(side, sizeof(side), "%.*s", (int)(n - 4), key);
	return name_find(host_words, SIDE_COUNT, side);
}

/* ---- application sides ------------------------------------------------ */

bool is_app_key(const char *key)
{
	return strcmp(key, "app") == 0 || strcmp(key, "ready") == 0 || strcmp(key, "notice") == 0 ||
	       strcmp(key, "user") == 0 || strncmp(key, "env.", 4) == 0;
}

/* "line REGEX": the REGEX, or NULL when @value is not that form. */
static const char *line_regex(const char *value)
{
	if (strncmp(value, "line", 4) != 0 || (value[4] && value[4] != ' ' && value[4] != '\t'))
		return NULL;
	value += 4;
	while (*value == ' ' || *value == '\t')
		value++;
	return value;
}

int app_ready_parse(const char *value, enum host side, struct app_cfg *a, char *msg, size_t len)
{
	const char *re = line_regex(value), *why;
	int w = name_find(app_ready_words, READY_COUNT, value);

	if (re) {
		if (!*re) {
			snprintf(msg, len, "ready: 'line' needs a regular expression (ready = line REGEX)");
			return -1;
		}
		a->ready = READY_LINE;
		a->ready_regex = re;
		return 0;
	}
	if (strncmp(value, "after", 5) == 0 && (value[5] == ' ' || value[5] == '\t' || !value[5])) {
		char *copy = xstrdup(value + 5), *d = strip(copy);
		int rc = parse_duration_ms(d, &a->ready_after_ms, &why);
		if (rc < 0)
			snprintf(msg, len, "ready: invalid duration '%s': %s", d, why);
		else if (a->ready_after_ms > APP_READY_AFTER_MAX_MS)
			snprintf(msg, len, "ready: after %s is longer than a run may take to get going (at most 30s)", d);
		free(copy);
		if (rc < 0 || a->ready_after_ms > APP_READY_AFTER_MAX_MS)
			return -1;
		a->ready = READY_AFTER;
		return 0;
	}
	if (w == READY_LISTEN && side != HOST_SERVER) {
		snprintf(msg, len, "ready: listen is only for the server (the client connects: connected, line REGEX or after DURATION)");
		return -1;
	}
	if (w != READY_LISTEN && w != READY_CONNECTED) {
		snprintf(msg, len, "unknown ready '%s' (expected listen, connected, line REGEX or after DURATION)", value);
		return -1;
	}
	a->ready = w;
	return 0;
}

const char *app_notice_parse(const char *value, char *msg, size_t len)
{
	const char *re = line_regex(value);

	if (!re || !*re) {
		snprintf(msg, len, "notice: expected 'line REGEX', got '%s'", value);
		return NULL;
	}
	return re;
}

/* ---- reading ---------------------------------------------------------- */

/* Longest line inih accepts with its INI_MAX_LINE buffer, newline excluded. */
#define MAX_LINE_CHARS (INI_MAX_LINE - 2)
/* What is kept of a line: the longest one accepted, after a BOM on line 1. */
#define LINE_KEEP (MAX_LINE_CHARS + 3)

struct reader {
	FILE *f;
	const char *path;
	FILE *err;
	int line;
	int errors;
	int read_errno;		/* the stream's error, 0: none */
	char buf[LINE_KEEP + 1];	/* the start of the current line */
	struct scenario *s;
	long cur;		/* current section index, -1 before the first */
	bool app_tried[SIDE_COUNT];	/* the side has an app line, valid or not */
};

static void report_va(struct reader *r, int line, const char *fmt, va_list ap)
{
	fprintf(r->err, "%s:%d: ", r->path, line);
	vfprintf(r->err, fmt, ap);
	fputc('\n', r->err);
	r->errors++;
}

static void PRINTF(2, 3) report(struct reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_va(r, r->line, fmt, ap);
	va_end(ap);
}

/* For checks made once the whole file is read: the line of the key at fault. */
static void PRINTF(3, 4) report_at(struct reader *r, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_va(r, line, fmt, ap);
	va_end(ap);
}

static bool valid_name_char(int c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '.';
}

/*
 * "[expect WHEN]": WHEN is "KEY=VALUE[, KEY=VALUE...]" as the swept parts of
 * variant names read ("fault.action=freeze"). Writes it to @out (as long as
 * @when at most) without the blanks around the items; false after a report.
 */
static bool when_normalize(struct reader *r, const char *when, char *out)
{
	char *copy = xstrdup(when);
	char *save = NULL;

	*out = '\0';
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		item = strip(item);
		char *eq = strchr(item, '=');
		if (!eq || eq == item || !eq[1]) {
			report(r, "[expect %s]: '%s' is not KEY=VALUE (for instance fault.action=freeze)", when, item);
			free(copy);
			return false;
		}
		if (*out)
			strcat(out, ",");
		strcat(out, item);
	}
	free(copy);
	if (!*out) {
		report(r, "[expect %s]: no KEY=VALUE to select variants by", when);
		return false;
	}
	return true;
}

static void add_section(struct reader *r, char *head)
{
	char when[INI_MAX_LINE];
	struct scenario *s = r->s;
	char *name = "";
	char *sp = strpbrk(head, " \t");
	int kind;

	if (sp) {
		*sp = '\0';
		name = strip(sp + 1);
	}
	kind = name_find(section_words, SECT_COUNT, head);
	if (kind < 0) {
		report(r, "unknown section [%s] (expected scenario, client, server, router, fault, fault NAME, expect, expect WHEN)",
		       head);
		r->cur = -2;
		return;
	}
	if (kind == SECT_EXPECT && *name) {
		if (!when_normalize(r, name, when)) {
			r->cur = -2;
			return;
		}
		name = when;
	} else if (kind != SECT_FAULT && *name) {
		report(r, "section [%s] takes no name, got '%s'", head, name);
		r->cur = -2;
		return;
	}
	for (const char *p = name; kind == SECT_FAULT && *p; p++)
		if (!valid_name_char((unsigned char)*p)) {
			report(r, "fault name '%s' may hold only letters, digits, '_', '-' and '.'", name);
			r->cur = -2;
			return;
		}
	for (size_t i = 0; i < s->n_sections; i++) {
		if (s->sections[i].kind == (enum section_kind)kind && strcmp(s->sections[i].name, name) == 0) {
			if (kind == SECT_FAULT && *name)
				report(r, "fault '%s' is already defined on line %d", name, s->sections[i].line);
			else if (*name)
				report(r, "section [expect %s] appears twice (first on line %d)", name, s->sections[i].line);
			else
				report(r, "section [%s] appears twice (first on line %d)", head, s->sections[i].line);
			r->cur = -2;
			return;
		}
	}
	size_t faults = 0;
	for (size_t i = 0; i < s->n_sections; i++)
		faults += s->sections[i].kind == SECT_FAULT;
	if (kind == SECT_FAULT && faults >= MAX_FAULTS) {
		report(r, "too many faults (at most %d)", MAX_FAULTS);
		r->cur = -2;
		return;
	}
	s->sections = xreallocarray(s->sections, s->n_sections + 1, sizeof(*s->sections));
	s->sections[s->n_sections] = (struct section){ kind, xstrdup(name), r->line, faults };
	r->cur = (long)s->n_sections++;
}

/* Cut a "# " or "; " comment that follows blank space or starts the line. */
static void cut_comment(char *line)
{
	for (char *p = line; *p; p++)
		if ((*p == '#' || *p == ';') && (p == line || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			return;
		}
}

/* What fetch_line learnt of a whole line, stored or not. */
struct line_info {
	size_t len;		/* bytes, newline and the CRs before it excluded */
	bool nul;		/* holds a NUL byte */
	size_t ctrl_col;	/* 1-based column of the first control character, 0: none */
	unsigned char ctrl;	/* that character */
};

static bool is_control(int c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/*
 * Read one line into r->buf, keeping at most its first LINE_KEEP bytes and
 * reading the rest only to count it and look at it, so that a line of any
 * length costs no memory. CRs at the end of a line (CRLF files) are line
 * ends, not content. Returns false at the end of the file, or on a read
 * error, which is kept in r->read_errno.
 */
static bool fetch_line(struct reader *r, struct line_info *li)
{
	size_t total = 0, cr_from = 0, crs = 0;
	int c;

	*li = (struct line_info){ 0 };
	while ((c = getc_unlocked(r->f)) != '\n') {
		if (c == EOF) {
			if (ferror(r->f)) {
				r->read_errno = errno ? errno : EIO;
				return false;
			}
			if (!total)
				return false;
			break;
		}
		if (total < LINE_KEEP)
			r->buf[total] = (char)c;
		total++;
		li->nul |= c == '\0';
		if (c == '\r') {
			if (!crs++)
				cr_from = total;
			continue;
		}
		if (crs && !li->ctrl_col) {	/* a CR followed by more of the line */
			li->ctrl_col = cr_from;
			li->ctrl = '\r';
		}
		crs = 0;
		if (is_control(c) && !li->ctrl_col) {
			li->ctrl_col = total;
			li->ctrl = (unsigned char)c;
		}
	}
	li->len = total - crs;
	r->buf[li->len < LINE_KEEP ? li->len : LINE_KEEP] = '\0';
	return true;
}

static char *read_line(char *str, int num, void *stream)
{
	struct reader *r = stream;
	struct line_info li;
	char *text = r->buf, *line;
	size_t n;

	if (!fetch_line(r, &li))
		return NULL;
	r->line++;
	str[0] = '\0';		/* whatever goes wrong, inih sees a blank line */
	if (li.nul) {
		report(r, "line contains a NUL byte");
		return str;
	}
	if (li.ctrl_col) {
		report(r, "control character 0x%02x at column %zu: binary data, not a scenario file", li.ctrl, li.ctrl_col);
		return str;
	}
	n = li.len;
	if (r->line == 1 && n >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
		text += 3;
		n -= 3;
	}
	if (n > MAX_LINE_CHARS || n >= (size_t)num - 1) {
		report(r, "line too long (%zu characters, at most %d)", n, MAX_LINE_CHARS);
		return str;
	}
	cut_comment(text);
	line = strip(text);	/* no leading blanks: inih's continuation lines never apply */
	if (!*line)
		return str;
	if (*line == '[') {
		size_t len = strlen(line);
		if (line[len - 1] != ']') {
			report(r, "section header without closing ']'");
			r->cur = -2;
			return str;
		}
		line[len - 1] = '\0';
		add_section(r, strip(line + 1));
		return str;
	}
	if (!strchr(line, '=')) {
		report(r, "expected 'key = value', got '%s'", line);
		return str;
	}
	if (r->cur == -1) {
		report(r, "'%s' is outside any section (start with [scenario])", line);
		return str;
	}
	if (r->cur == -2)	/* inside a section already reported as bad */
		return str;
	/* inih would split "a:b = c" at ':'; only '=' separates here. */
	char *eq = strchr(line, '=');
	if (memchr(line, ':', (size_t)(eq - line))) {
		report(r, "':' in key '%.*s' (keys are separated from values by '=')", (int)(eq - line), line);
		return str;
	}
	snprintf(str, (size_t)num, "%s\n", line);
	return str;
}

const char *expected_keys(enum section_kind kind)
{
	switch (kind) {
	case SECT_SCENARIO: return "name, description, family, start, deadline, repeat";
	case SECT_CLIENT: return "keepalive, keepidle, keepintvl, keepcnt, user_timeout, traffic, interval, size, "
				 "heartbeat_timeout, connect_at, app, ready, notice, user, env.*, sysctl.*";
	case SECT_SERVER: return "keepalive, keepidle, keepintvl, keepcnt, user_timeout, traffic, interval, size, "
				 "heartbeat_timeout, port, app, ready, notice, user, env.*, sysctl.*";
	case SECT_ROUTER: return "idle_timeout, idle_action, sysctl.*";
	case SECT_FAULT: return "at, action, target, direction, duration, restart, restart_service, probability, mtu";
	case SECT_EXPECT: return "client, server, client_app, server_app";
	case SECT_COUNT: break;
	}
	return "";
}

/*
 * net.* sysctls that a run's namespace can write although their effect is
 * not per namespace: writing one would change the host, which deadpeer never
 * does. Refused at parse time, each for its reason. (Global ones that the
 * kernel keeps read-only outside the initial namespace, such as
 * nf_conntrack_max, need no entry: the preflight finds them unwritable.)
 */
static const struct {
	const char *name;
	const char *reason;
} global_sysctls[] = {
	{ "net.netfilter.nf_hooks_lwtunnel",
	  "writing 1 turns on netfilter hooks for lightweight tunnels host-wide, a static key that cannot be turned off again" },
	{ "net.ipv4.tcp_allowed_congestion_control",
	  "it sets which congestion controls unprivileged sockets may use on the whole host (kernels that let a namespace write it change the global list)" },
};

static bool check_sysctl_key(struct reader *r, const char *key)
{
	const char *name = key + strlen("sysctl.");

	if (strncmp(name, "net.", 4) != 0) {
		report(r, "sysctl '%s' is not a network sysctl (only net.* is per namespace)", name);
		return false;
	}
	for (const char *p = name; *p; p++) {
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_' || *p == '.' || *p == '-')) {
			report(r, "sysctl '%s' has an invalid character '%c'", name, *p);
			return false;
		}
	}
	if (strstr(name, "..") || name[strlen(name) - 1] == '.') {
		report(r, "sysctl '%s' is not a valid name", name);
		return false;
	}
	for (size_t i = 0; i < ARRAY_SIZE(global_sysctls); i++)
		if (strcmp(name, global_sysctls[i].name) == 0) {
			report(r, "sysctl '%s' is not per namespace: %s", name, global_sysctls[i].reason);
			return false;
		}
	return true;
}

/*
 * Split "a, b ,c" into stripped elements; false (and a report) on an empty
 * one, or on one written twice (two variants would have the same name).
 * Equal values written differently, such as 1s and 1000ms, stay allowed.
 */
static bool split_list(struct reader *r, const char *key, const char *value, struct entry *e)
{
	char *copy = xstrdup(value), *save = copy;
	size_t n = 1;

	for (const char *p = value; *p; p++)
		n += *p == ',';
	e->values = xcalloc(n, sizeof(char *));
	for (char *tok = copy;; ) {
		char *comma = strchr(tok, ',');
		if (comma)
			*comma = '\0';
		char *v = strip(tok);
		if (!*v) {
			report(r, "%s: empty value%s", key, n > 1 ? " in list" : "");
			free(save);
			return false;
		}
		for (size_t i = 0; i < e->n_values; i++)
			if (strcmp(e->values[i], v) == 0) {
				report(r, "%s: '%s' is listed twice", key, v);
				free(save);
				return false;
			}
		e->values[e->n_values++] = xstrdup(v);
		if (!comma)
			break;
		tok = comma + 1;
	}
	free(save);
	return true;
}

static void entry_free(struct entry *e)
{
	for (size_t i = 0; i < e->n_values; i++)
		free(e->values[i]);
	free(e->values);
	free(e->words);
	free(e->key);
}

/*
 * glibc's regcomp copies a repeated atom's tree once per count ("a+" is
 * "aa*"), every quantifier a node of it, so nested and stacked counts
 * multiply: "((a{255}){255}){255}", "a" and 24 "+", "(o" and 65 "?" then
 * "{255}){255}" each take seconds and gigabytes to compile. A regex whose
 * tree would have more nodes than this is refused unread.
 */
#define REGEX_MAX_NODES 100000
#define REGEX_MAX_DEPTH MAX_LINE_CHARS	/* no line holds more groups */

/* The end of the bracket expression that starts at @p ('['), or @p itself when it has none. */
static const char *bracket_end(const char *p)
{
	const char *q = p + 1;

	q += *q == '^';
	q += *q == ']';		/* a ']' first is a member */
	for (; *q && *q != ']'; q++) {
		if (*q == '[' && (q[1] == ':' || q[1] == '.' || q[1] == '=')) {
			const char *close = strchr(q + 2, q[1]);
			while (close && close[1] != ']')
				close = strchr(close + 1, q[1]);
			if (close)
				q = close + 1;
		}
	}
	return *q ? q : p;
}

/* The decimal number at *@p, which is moved past it (not at all: none there). */
static double digits(const char **p)
{
	double v = 0;

	for (; isdigit((unsigned char)**p); (*p)++)
		v = v * 10 + (**p - '0');
	return v;
}

/* The last atom of @sum, of @last nodes, repeated @n times, with a node for the repetition. */
static void repeat(double *sum, double *last, double n)
{
	double grown = *last * (n > 1 ? n : 1) + 1;

	*sum += grown - *last;
	*last = grown;
}

/*
 * The nodes of the tree regcomp would build for @re, roughly: an atom is
 * one, a quantifier one more around what it repeats, and a count of n
 * repeats that n times ("+" twice).
 */
static double regex_nodes(const char *re)
{
	double sum[REGEX_MAX_DEPTH + 1] = { 0 }, last[REGEX_MAX_DEPTH + 1] = { 0 }, total = 0;
	int depth = 0;

	for (const char *p = re; *p; p++) {
		double atom = 1;
		switch (*p) {
		case '(':
			if (depth == REGEX_MAX_DEPTH)
				return INFINITY;
			depth++;
			sum[depth] = last[depth] = 0;
			continue;
		case ')':
			if (!depth)
				break;
			atom = sum[depth--];
			break;
		case '{': {
			const char *end = p + 1;
			double m = digits(&end), n = m;
			if (end == p + 1)
				break;		/* a literal '{' */
			if (*end == ',') {
				const char *from = ++end;
				n = digits(&end);
				if (end == from)	/* {m,}: m copies and a star */
					n = m + 1;
			}
			if (*end != '}')
				break;
			repeat(&sum[depth], &last[depth], n);
			p = end;
			continue;
		}
		case '+':	/* {1,}: the atom and a starred copy */
			repeat(&sum[depth], &last[depth], 2);
			continue;
		case '*':
		case '?':
			repeat(&sum[depth], &last[depth], 1);
			continue;
		case '[':
			p = bracket_end(p);
			break;
		case '\\':
			p += p[1] != '\0';
			break;
		case '|': case '^': case '$':
			continue;
		default:
			break;
		}
		sum[depth] += atom;
		last[depth] = atom;
	}
	for (int d = 0; d <= depth; d++)
		total += sum[d];
	return total;
}

/* @re of @key (ready, notice) must compile as regcomp(REG_EXTENDED | REG_NOSUB) will take it at run time. */
static bool check_regex(struct reader *r, const char *key, const char *re)
{
	regex_t rx;
	char why[160];
	int rc;

	if (regex_nodes(re) > REGEX_MAX_NODES) {
		report(r, "%s: the regular expression's repetitions multiply out to more than %d nodes "
		       "(it would take too long to build): '%s'", key, REGEX_MAX_NODES, re);
		return false;
	}
	rc = regcomp(&rx, re, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		regerror(rc, &rx, why, sizeof(why));
		report(r, "%s: invalid regular expression '%s': %s", key, re, why);
		return false;
	}
	regfree(&rx);
	return true;
}

/* The directory of the file being read, absolute (for {dir}); NULL after a report. */
static const char *scenario_dir(struct reader *r)
{
	const char *slash = strrchr(r->path, '/');
	char *d;

	if (r->s->dir)
		return r->s->dir;
	d = xstrdup(slash ? r->path : ".");
	if (slash)
		d[slash == r->path ? 1 : slash - r->path] = '\0';
	r->s->dir = realpath(d, NULL);
	if (!r->s->dir)
		report(r, "app: cannot resolve the scenario's directory '%s' for {dir}: %s", d, strerror(errno));
	free(d);
	return r->s->dir;
}

/*
 * "app = COMMAND": split into words; every placeholder known; the program,
 * its first word with {dir} replaced, found as execvp will find it.
 */
static bool check_app(struct reader *r, const char *value, struct entry *e)
{
	char msg[320], *prog = NULL, *path = NULL;
	const char *dir;
	int rc;

	if (app_split(value, &e->words, &e->n_words, msg, sizeof(msg)) < 0) {
		report(r, "app: %s%s", msg, strstr(msg, "unterminated") ?
		       " (a '#' or ';' after a blank starts a comment, inside quotes too)" : "");
		return false;
	}
	for (size_t i = 0; i < e->n_words; i++)
		if (app_subst_text(e->words[i], NULL, NULL, msg, sizeof(msg)) < 0) {
			report(r, "app: %s", msg);
			return false;
		}
	if (!(dir = scenario_dir(r)))
		return false;
	rc = app_subst_text(e->words[0], &(struct app_subst){ .dir = dir }, &prog, msg, sizeof(msg));
	if (rc < 0) {
		report(r, "app: the program's name may hold no placeholder but {dir}, as it is looked up "
		       "before anything runs: '%s'", e->words[0]);
		return false;
	}
	rc = app_which(prog, &path);
	const char *package = app_package(prog);
	if (rc == -ENOENT && package)
		report(r, "app: '%s' not found in PATH (it comes with Debian's package %s: apt-get install %s, "
		       "or scripts/install-deps)", prog, package, package);
	else if (rc == -ENOENT)
		report(r, "app: '%s' not found in PATH", prog);
	else if (rc < 0)
		report(r, "app: '%s' is not an executable file", prog);
	free(prog);
	free(path);
	return rc == 0;
}

static bool valid_env_name(const char *name)
{
	if (!isalpha((unsigned char)*name) && *name != '_')
		return false;
	for (; *name; name++)
		if (!isalnum((unsigned char)*name) && *name != '_')
			return false;
	return true;
}

/* How many keys of section @section start with @prefix ("sysctl.", "env."). */
static size_t count_prefixed(const struct scenario *s, size_t section, const char *prefix)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_entries; i++)
		n += s->entries[i].section == section && strncmp(s->entries[i].key, prefix, strlen(prefix)) == 0;
	return n;
}

/* app, ready, notice, user, env.NAME: one value each, never a list (commas belong to commands and regexes). */
static bool check_app_key(struct reader *r, enum section_kind kind, const char *key, const char *value,
			  struct entry *e)
{
	enum host side = kind == SECT_CLIENT ? HOST_CLIENT : HOST_SERVER;
	struct app_cfg scratch = { 0 };
	const char *re;
	char msg[320];

	if (strcmp(key, "app") == 0) {
		r->app_tried[side] = true;
		if (!*value) {
			report(r, "app: empty command");
			return false;
		}
		return check_app(r, value, e);
	}
	if (strcmp(key, "ready") == 0) {
		if (app_ready_parse(value, side, &scratch, msg, sizeof(msg)) < 0) {
			report(r, "%s", msg);
			return false;
		}
		return scratch.ready != READY_LINE || check_regex(r, key, scratch.ready_regex);
	}
	if (strcmp(key, "notice") == 0) {
		if (!(re = app_notice_parse(value, msg, sizeof(msg)))) {
			report(r, "%s", msg);
			return false;
		}
		return check_regex(r, key, re);
	}
	if (strcmp(key, "user") == 0) {
		if (!*value || !getpwnam(value)) {
			report(r, "user: no such user '%s'", value);
			return false;
		}
		return true;
	}
	if (!valid_env_name(key + 4)) {
		report(r, "%s: '%s' is not a valid environment variable name (letters, digits and '_', not first a digit)",
		       key, key + 4);
		return false;
	}
	if (count_prefixed(r->s, (size_t)r->cur, "env.") >= MAX_APP_ENV) {
		report(r, "too many env.* in [%s] (at most %d)", section_kind_name(kind), MAX_APP_ENV);
		return false;
	}
	if (app_subst_text(value, NULL, NULL, msg, sizeof(msg)) < 0) {
		report(r, "%s: %s", key, msg);
		return false;
	}
	return true;
}

/*
 * Once the file is read: a side with app takes none of the built-in
 * endpoint's keys, and a side without one none of the app's.
 */
static void check_app_sides(struct reader *r)
{
	static const char *const options[] = { "keepalive", "keepidle", "keepintvl", "keepcnt", "user_timeout" };
	static const char *const traffic[] = { "traffic", "interval", "size", "heartbeat_timeout" };
	const struct scenario *s = r->s;

	for (size_t i = 0; i < s->n_entries; i++) {
		const struct entry *e = &s->entries[i];
		enum section_kind kind = s->sections[e->section].kind;
		bool app;

		if (kind != SECT_CLIENT && kind != SECT_SERVER)
			continue;
		app = r->app_tried[kind == SECT_CLIENT ? HOST_CLIENT : HOST_SERVER];
		if (!app && is_app_key(e->key) && strcmp(e->key, "app") != 0)
			report_at(r, e->line, "%s applies only to a side with app = COMMAND", e->key);
		for (size_t k = 0; app && k < ARRAY_SIZE(options); k++)
			if (strcmp(e->key, options[k]) == 0)
				report_at(r, e->line, "%s: a side with app sets no socket options: the program sets its own",
					  e->key);
		for (size_t k = 0; app && k < ARRAY_SIZE(traffic); k++)
			if (strcmp(e->key, traffic[k]) == 0)
				report_at(r, e->line, "%s: a side with app has no built-in traffic: the program makes its own",
					  e->key);
	}
}

/* Once the file is read: idle_action says what the middlebox does, so there must be one. */
static void check_router(struct reader *r)
{
	const struct scenario *s = r->s;

	for (size_t i = 0; i < s->n_entries; i++) {
		const struct entry *e = &s->entries[i];
		if (s->sections[e->section].kind == SECT_ROUTER && strcmp(e->key, "idle_action") == 0 &&
		    !scenario_has_key(s, e->section, "idle_timeout"))
			report_at(r, e->line, "idle_action needs idle_timeout");
	}
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
	struct reader *r = user;
	struct scenario *s = r->s;
	enum section_kind kind = s->sections[r->cur].kind;
	struct entry e = { .section = (size_t)r->cur, .line = r->line };
	char msg[512];
	(void)section;

	for (const char *p = key; *p; p++)
		if (!valid_name_char((unsigned char)*p)) {
			report(r, "invalid key '%s'", key);
			return 1;
		}
	for (size_t i = 0; i < s->n_entries; i++)
		if (s->entries[i].section == e.section && strcmp(s->entries[i].key, key) == 0) {
			report(r, "'%s' is already set on line %d", key, s->entries[i].line);
			return 1;
		}

	if (kind == SECT_SCENARIO && (strcmp(key, "name") == 0 || strcmp(key, "description") == 0)) {
		if (!*value) {
			report(r, "%s: empty value", key);
			return 1;
		}
		if (key[0] == 'n') {
			for (const char *p = value; *p; p++)
				if (!valid_name_char((unsigned char)*p)) {
					report(r, "name '%s' may hold only letters, digits, '_', '-' and '.'", value);
					return 1;
				}
			free(s->name);
			s->name = xstrdup(value);
		} else {
			free(s->description);
			s->description = xstrdup(value);
		}
		e.values = xcalloc(1, sizeof(char *));
		e.values[e.n_values++] = xstrdup(value);
	} else if (kind == SECT_EXPECT) {
		struct expect ex;
		struct app_expect ax;
		bool app;
		if (expect_key(key, &app) < 0) {
			report(r, "unknown key '%s' in [expect] (expected %s)", key, expected_keys(kind));
			return 1;
		}
		if (strchr(value, ',')) {
			report(r, "%s: an expectation is not a list (it applies to every variant; "
				  "for some variants only, use an [expect KEY=VALUE] section)", key);
			return 1;
		}
		if ((app ? app_expect_parse(value, &ax, msg, sizeof(msg)) : expect_parse(value, &ex, msg, sizeof(msg))) < 0) {
			report(r, "%s", msg);
			return 1;
		}
		e.values = xcalloc(1, sizeof(char *));
		e.values[e.n_values++] = xstrdup(value);
	} else if ((kind == SECT_CLIENT || kind == SECT_SERVER) && is_app_key(key)) {
		if (!check_app_key(r, kind, key, value, &e)) {
			entry_free(&e);
			return 1;
		}
		e.values = xcalloc(1, sizeof(char *));
		e.values[e.n_values++] = xstrdup(value);
	} else if (strncmp(key, "sysctl.", 7) == 0 && kind != SECT_SCENARIO && kind != SECT_FAULT) {
		if (!check_sysctl_key(r, key) || !split_list(r, key, value, &e)) {
			entry_free(&e);
			return 1;
		}
		if (count_prefixed(s, e.section, "sysctl.") >= MAX_SYSCTLS) {
			report(r, "too many sysctls in [%s] (at most %d)", section_kind_name(kind), MAX_SYSCTLS);
			entry_free(&e);
			return 1;
		}
	} else {
		const struct key_def *k = key_lookup(kind, key);
		if (!k) {
			report(r, "unknown key '%s' in [%s] (expected %s)", key, section_kind_name(kind), expected_keys(kind));
			return 1;
		}
		if (!split_list(r, key, value, &e)) {
			entry_free(&e);
			return 1;
		}
		/* Check every element against a scratch object of the section's type. */
		union { struct variant v; struct side_cfg side; struct router_cfg router; struct fault_cfg fault; } scratch;
		for (size_t i = 0; i < e.n_values; i++) {
			if (key_apply(k, &scratch, e.values[i], msg, sizeof(msg)) < 0) {
				report(r, "%s", msg);
				entry_free(&e);
				return 1;
			}
		}
	}
	e.key = xstrdup(key);
	s->entries = xreallocarray(s->entries, s->n_entries + 1, sizeof(*s->entries));
	s->entries[s->n_entries++] = e;
	return 1;
}

static char *default_name(const char *path)
{
	const char *base = strrchr(path, '/');
	char *name = xstrdup(base ? base + 1 : path);
	size_t n = strlen(name);

	if (n > 4 && strcmp(name + n - 4, ".scn") == 0)
		name[n - 4] = '\0';
	for (char *p = name; *p; p++)
		if (!valid_name_char((unsigned char)*p))
			*p = '_';
	return name;
}

struct scenario *scenario_load(const char *path, FILE *err)
{
	struct scenario *s = xcalloc(1, sizeof(*s));
	struct reader r = { .path = path, .err = err, .s = s, .cur = -1 };
	const char *kind;
	int rc;

	s->path = xstrdup(path);
	s->name = default_name(path);
	s->description = xstrdup("");
	rc = open_regular(path, &r.f, &kind);
	if (rc > 0)
		fprintf(err, "%s: not a regular file (%s); scenario files must be regular files\n", path, kind);
	else if (rc < 0)
		fprintf(err, "%s: cannot open: %s\n", path, strerror(-rc));
	if (rc) {
		scenario_free(s);
		return NULL;
	}
	rc = ini_parse_stream(read_line, &r, handler, &r);
	if (rc == -2) {		/* inih could not allocate its line buffer */
		r.read_errno = ENOMEM;
	} else if (rc < 0) {
		fprintf(err, "%s: cannot read: %s\n", path, strerror(errno));
		r.errors++;
	} else if (rc > 0 && !r.errors) {
		r.line = rc;
		report(&r, "syntax error");
	}
	if (r.read_errno || ferror(r.f)) {
		fprintf(err, "%s: read error: %s\n", path, strerror(r.read_errno ? r.read_errno : EIO));
		r.errors++;
	}
	fclose(r.f);
	check_app_sides(&r);
	check_router(&r);
	if (!r.errors && s->n_sections == 0) {
		fprintf(err, "%s:1: empty scenario (expected at least a [scenario] section)\n", path);
		r.errors++;
	}
	if (!r.errors) {
		size_t n = scenario_variant_count(s);
		if (n == 0) {
			fprintf(err, "%s:1: the sweep expands to more than 10000 variants\n", path);
			r.errors++;
		}
	}
	if (r.errors) {
		scenario_free(s);
		return NULL;
	}
	return s;
}

void scenario_free(struct scenario *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_entries; i++)
		entry_free(&s->entries[i]);
	for (size_t i = 0; i < s->n_sections; i++)
		free(s->sections[i].name);
	free(s->entries);
	free(s->sections);
	free(s->path);
	free(s->name);
	free(s->description);
	free(s->dir);
	free(s);
}

const char *scenario_name(const struct scenario *s) { return s->name; }
const char *scenario_path(const struct scenario *s) { return s->path; }
const char *scenario_description(const struct scenario *s) { return s->description; }

int scenario_name_line(const struct scenario *s)
{
	for (size_t i = 0; i < s->n_sections; i++)
		if (s->sections[i].kind == SECT_SCENARIO)
			return scenario_key_line(s, i, "name") == s->sections[i].line ? 1 : scenario_key_line(s, i, "name");
	return 1;
}

bool scenario_has_key(const struct scenario *s, size_t section, const char *key)
{
	for (size_t i = 0; i < s->n_entries; i++)
		if (s->entries[i].section == section && strcmp(s->entries[i].key, key) == 0)
			return true;
	return false;
}

int scenario_key_line(const struct scenario *s, size_t section, const char *key)
{
	for (size_t i = 0; i < s->n_entries; i++)
		if (s->entries[i].section == section && strcmp(s->entries[i].key, key) == 0)
			return s->entries[i].line;
	return s->sections[section].line;
}
