/* SPDX-License-Identifier: MIT */
/* Internals shared by parse.c (reading files) and expand.c (building variants). */
#ifndef DEADPEER_SCENARIO_PRIV_H
#define DEADPEER_SCENARIO_PRIV_H

#include "scenario.h"

enum section_kind {
	SECT_SCENARIO, SECT_CLIENT, SECT_SERVER, SECT_ROUTER, SECT_FAULT, SECT_EXPECT,
	SECT_COUNT
};

struct section {
	enum section_kind kind;
	char *name;		/* fault name, "" otherwise; owned */
	int line;		/* line of the "[...]" header */
	size_t fault;		/* SECT_FAULT: its index among the file's faults (< MAX_FAULTS) */
};

/* One "key = value[, value...]" line. */
struct entry {
	size_t section;		/* index into scenario.sections */
	char *key;		/* owned */
	char **values;		/* owned, stripped; n_values >= 1 */
	size_t n_values;
	int line;
	char **words;		/* "app": its value split into words (app_split: one block, owned); else NULL */
	size_t n_words;
};

struct scenario {
	char *path;		/* as given on the command line; owned */
	char *name;		/* [scenario] name, or the file name without .scn; owned */
	char *description;	/* owned, may be "" */
	char *dir;		/* the file's directory, absolute, for {dir}; owned; NULL until an app needs it */
	struct section *sections;
	size_t n_sections;
	struct entry *entries;
	size_t n_entries;
};

/* How a typed key is stored and checked; see the tables in parse.c. */
enum value_type { VT_BOOL, VT_DURATION, VT_SECONDS, VT_INT, VT_PERCENT, VT_ENUM, VT_FAULT_KIND };

struct key_def {
	const char *name;
	unsigned sections;		/* bit mask of 1 << enum section_kind */
	enum value_type type;
	size_t offset;			/* into the section's struct */
	int64_t min, max;		/* inclusive, in ms for durations */
	const char *const *words;	/* VT_ENUM: names, indexed by enum value (VT_FAULT_KIND: the registry's) */
	size_t n_words;
};

const struct key_def *key_lookup(enum section_kind kind, const char *key);
/* The table's @i-th key ("keepidle"), NULL past its end. */
const char *key_name(size_t i);
/* The keys section @kind takes, as its error messages list them ("at, action, target, ..."). */
const char *expected_keys(enum section_kind kind);

/*
 * Store @value for @k into @obj (the section's struct). Returns 0, or -1
 * with a message in @msg that names the key, quotes the value and says what
 * was expected.
 */
int key_apply(const struct key_def *k, void *obj, const char *value, char *msg, size_t len);

const char *section_kind_name(enum section_kind kind);

/* An [expect] key: the side it is about, with *@app set for client_app/server_app; -1: no such key. */
int expect_key(const char *key, bool *app);
/* A [client]/[server] key that only an application side takes: app, ready, notice, user, env.NAME. */
bool is_app_key(const char *key);
/*
 * Store a "ready" value into @a (READY_LINE: ready_regex points into
 * @value); 0, or -1 with @msg. The regex itself is checked by the parser.
 */
int app_ready_parse(const char *value, enum host side, struct app_cfg *a, char *msg, size_t len);
/* The regex of a "notice = line REGEX" value (pointing into @value), or NULL with @msg. */
const char *app_notice_parse(const char *value, char *msg, size_t len);

/* Is @key set in section @section? */
bool scenario_has_key(const struct scenario *s, size_t section, const char *key);
/* The line where @key is set in section @section, or the header's line. */
int scenario_key_line(const struct scenario *s, size_t section, const char *key);

#endif
