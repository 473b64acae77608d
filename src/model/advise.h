/* SPDX-License-Identifier: MIT */
/*
 * The settings advisor: detection targets in, socket options and sysctls
 * out, with what the prediction (predict.h) says each state will see. Pure:
 * every figure comes from predict_side on variants built here, never from a
 * formula of its own, so the advice is exactly as good as the prediction.
 */
#ifndef DEADPEER_ADVISE_H
#define DEADPEER_ADVISE_H

#include "predict.h"

/* The states a dead peer can be met in. */
enum advise_state {
	STATE_IDLE,		/* nothing to send: only keepalive probes notice */
	STATE_BUSY,		/* data unacknowledged: the retransmission timer decides */
	STATE_CONNECT,		/* connect(): the SYN retransmissions decide */
	STATE_COUNT
};
/* "idle", "busy", "connect" */
const char *advise_state_name(enum advise_state s);

/* What the user's stack can set (--knobs). */
enum {
	KNOB_KEEPALIVE = 1u << 0,		/* SO_KEEPALIVE on or off, nothing more */
	KNOB_KEEPALIVE_TIMERS = 1u << 1,	/* TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT (and SO_KEEPALIVE) */
	KNOB_USER_TIMEOUT = 1u << 2,		/* TCP_USER_TIMEOUT */
	KNOB_SYSCTLS = 1u << 3,			/* the host's net.ipv4.tcp_* sysctls */
	KNOB_ALL = (1u << 4) - 1,
};
/* Parse "keepalive,user-timeout" into KNOB_* bits; 0, or -1 with the bad word in @msg. */
int advise_parse_knobs(const char *text, unsigned *knobs, char *msg, size_t len);
/* The names of @knobs, comma-separated, into @buf. */
char *advise_knob_names(char *buf, size_t len, unsigned knobs);

struct advise_targets {
	int64_t target_ms[STATE_COUNT];	/* detect a dead peer within this; 0: no target */
	int64_t middlebox_idle_ms;	/* keep the flow alive through this idle timeout; 0: none */
	int64_t tolerate_loss;		/* lost keepalive probes in a row a live connection survives */
	unsigned knobs;			/* KNOB_* */
};

/* Where a setting comes from. */
enum origin {
	ORIGIN_DEFAULT,		/* left alone: the kernel's (this machine's) value */
	ORIGIN_SOCKOPT,		/* a socket option on each connection */
	ORIGIN_SYSCTL,		/* a sysctl of the host's network namespace */
};

/* The settings of one endpoint: what the advisor chooses, and what a scenario side holds. */
struct settings {
	bool keepalive;
	int64_t keepidle_ms, keepintvl_ms, keepcnt;	/* -1: the kernel's default */
	enum origin timers;		/* where the three come from (ORIGIN_DEFAULT when all are -1) */
	int64_t user_timeout_ms;	/* 0: off */
	int64_t tcp_retries2;		/* -1: the kernel's default */
	int64_t tcp_syn_retries;	/* -1: the kernel's default */
};

/*
 * The side of a run with these settings (traffic idle, the built-in
 * endpoint); its sysctl values are kept in @store, which must outlive it.
 */
struct sysctl_store {
	char key[5][48];
	char value[5][24];
};
void settings_side(const struct settings *s, struct side_cfg *c, struct sysctl_store *store);

/* What the prediction says of one state, with the window the measured time falls in. */
struct state_prediction {
	bool bounded;			/* a time is predicted; false: the side never notices */
	int64_t ms;			/* the rule's instant, from the peer's death (its last packet) */
	int64_t earliest, latest;	/* the window around it */
	enum outcome outcome;
	enum mechanism mechanism;
	char rule[240];
};
/*
 * @st of an endpoint with settings @c: idle (the peer dies right after its
 * last packet: the worst case), busy (a stream whose peer vanishes), or
 * connect (the SYNs are lost). Through predict_side on a variant built for it.
 */
void advise_predict(const struct side_cfg *c, enum advise_state st, struct state_prediction *out);
/*
 * The window a measured time falls in around @p's instant, @since_ms after
 * the instant its timers started from (the last packet heard, the lost
 * segment, the connect); @data: data is in flight (busy): timers never fire
 * early, and the kernel's timer wheel rounds each one up by at most 1/8 of
 * its delay.
 */
void advise_window(const struct prediction *p, int64_t since_ms, bool data, int64_t *earliest, int64_t *latest);

/* A known trap in a setting. */
enum trap_kind {
	TRAP_USER_TIMEOUT_LOSS,	/* TCP_USER_TIMEOUT ends keepalive after fewer lost probes than wanted */
	TRAP_BUSY,		/* keepalive cannot bound a busy connection */
	TRAP_MIDDLEBOX,		/* the middlebox forgets the flow before the first probe */
	TRAP_DEFAULTS,		/* keepalive with the kernel's defaults: hours */
	TRAP_COUNT
};
struct trap {
	enum trap_kind kind;
	char text[640];
};
#define MAX_TRAPS TRAP_COUNT
/*
 * The traps in side @c's settings. @tolerate: lost probes in a row it
 * should survive (-1: what its keepcnt promises, keepcnt - 1); @sends: it
 * sends data (the busy trap only matters then); @middlebox_ms: a
 * middlebox's idle timeout on its path (0: none). Returns how many, into
 * @out (room for MAX_TRAPS).
 */
size_t advise_traps(const struct side_cfg *c, int64_t tolerate, bool sends, int64_t middlebox_ms, struct trap *out);
/* The traps of a scenario variant's built-in sides (an app side sets its own options): per side into @out. */
size_t advise_variant_traps(const struct variant *v, enum host side, struct trap *out);

/* One program's equivalent of the advice. */
enum program { PROG_LIBPQ, PROG_REDIS, PROG_OPENSSH, PROG_GRPC, PROG_SOCAT, PROG_COUNT };
#define PROGRAM_NOTES 5
struct program_state {
	bool applies;			/* the program has this state (a server does not connect) */
	bool bounded;			/* it notices by a predicted time */
	int64_t earliest, latest;
	char by[160];			/* what decides */
};
struct program_advice {
	const char *name;		/* "libpq" */
	const char *where;		/* "connection string" */
	char settings[600];		/* what to write there */
	struct program_state state[STATE_COUNT];
	char notes[PROGRAM_NOTES][400];
	size_t n_notes;
};

#define ADVICE_LINES 12
struct advice {
	struct advise_targets t;
	struct settings s;		/* the advice */
	struct state_prediction state[STATE_COUNT];
	bool met[STATE_COUNT];		/* the target is met (or there is none) */
	bool tolerance_met;		/* the keepalive survives t.tolerate_loss lost probes */
	bool middlebox_met;		/* an idle flow is refreshed within the middlebox's timeout */
	char why[ADVICE_LINES][400];	/* the reasoning, a line each */
	size_t n_why;
	char warnings[ADVICE_LINES][700];	/* traps and targets no setting meets, with the closest */
	size_t n_warnings;
	struct program_advice prog[PROG_COUNT];
};

/* Work out the advice for @t into @a. */
void advise(const struct advise_targets *t, struct advice *a);
/* Whether every target, the tolerance and the middlebox are met. */
bool advice_met(const struct advice *a);

/* The scenarios that check the advice (advise --verify). */
enum verify_kind { VERIFY_IDLE, VERIFY_BUSY, VERIFY_CONNECT, VERIFY_TOLERATE, VERIFY_COUNT };
/* "advise-idle", ... */
const char *verify_name(enum verify_kind k);
/*
 * Whether @a gets a scenario of kind @k (the tolerance one needs keepalive
 * and a tolerance; the others a state with a bounded prediction or a target).
 */
bool verify_wanted(const struct advice *a, enum verify_kind k);
/*
 * The scenario file of kind @k, without its [expect] section, into @buf.
 * Returns the length, or -1 when it does not fit.
 */
int verify_scenario(const struct advice *a, enum verify_kind k, char *buf, size_t len);
/*
 * Its [expect] section, from what the prediction says of that very file
 * (@p: its client; @fault_at_ms: when its fault comes), into @buf.
 */
int verify_expect(const struct advice *a, enum verify_kind k, const struct prediction *p, int64_t fault_at_ms,
		  char *buf, size_t len);

/*
 * The advice as one JSON object (no trailing newline) into @f; @verified:
 * 1 or 0 when --verify ran its scenarios (every run in its window or not),
 * -1 when it did not.
 */
void advice_json(FILE *f, const struct advice *a, int verified);
/* The advice as text into @f. */
void advice_text(FILE *f, const struct advice *a);

#endif
