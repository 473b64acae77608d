/* SPDX-License-Identifier: MIT */
/*
 * The scenario model. A scenario file is parsed (parse.c) into a struct
 * scenario that keeps every key with its list of values and its line; sweep
 * expansion (expand.c) turns it into concrete struct variant values, one per
 * element of the cross product, which is all the run loop ever sees.
 */
#ifndef DEADPEER_SCENARIO_H
#define DEADPEER_SCENARIO_H

#include <stdio.h>

#include "common.h"

enum family { FAMILY_IPV4, FAMILY_IPV6, FAMILY_COUNT };
enum traffic { TRAFFIC_IDLE, TRAFFIC_STREAM, TRAFFIC_REQUEST, TRAFFIC_HEARTBEAT, TRAFFIC_COUNT };
/* The three hosts of every run; the endpoints live on CLIENT and SERVER. */
enum host { HOST_CLIENT, HOST_SERVER, HOST_ROUTER, HOST_COUNT };
#define SIDE_COUNT 2	/* HOST_CLIENT and HOST_SERVER: the hosts with an endpoint */
enum direction { DIR_BOTH, DIR_TO_SERVER, DIR_TO_CLIENT, DIR_COUNT };
/* [scenario] start: where the run's clock starts, and whether the connect is part of the story. */
enum start {
	START_CONNECTED,	/* the connection is up before the clock starts (default) */
	START_LISTENING,	/* the clock starts when the server listens; the client connects at connect_at */
	START_COUNT
};
/* What the middlebox does with a segment of a flow it forgot: drop it, or answer with a TCP reset. */
enum idle_action { IDLE_DROP, IDLE_RESET, IDLE_ACTION_COUNT };
enum outcome {
	OUTCOME_FIN, OUTCOME_RST, OUTCOME_TIMEOUT, OUTCOME_HEARTBEAT, OUTCOME_NONE, OUTCOME_KILLED,
	OUTCOME_REFUSED,	/* the connect met a reset: ECONNREFUSED (start = listening) */
	OUTCOME_COUNT
};
enum mechanism {
	MECH_NONE,		/* "-": no mechanism applies or it is unknown */
	MECH_KEEPALIVE, MECH_RETRANSMISSION, MECH_ZERO_WINDOW, MECH_USER_TIMEOUT,
	MECH_PROBE, MECH_DATA,
	MECH_SYN,		/* the connect's SYN retransmissions gave up (start = listening) */
	MECH_COUNT
};

const char *family_name(enum family f);
const char *traffic_name(enum traffic t);
const char *host_name(enum host h);
const char *direction_name(enum direction d);
const char *idle_action_name(enum idle_action a);
const char *outcome_name(enum outcome o);
const char *start_name(enum start s);
const char *mechanism_name(enum mechanism m);

/* What a fault does; one per action, in run/faults/registry.c. */
struct fault_kind;

#define MAX_SYSCTLS 32
#define MAX_FAULTS 16
#define DEFAULT_PORT 7000
/* The MTU of every link of a run (veth and bridge default), and the least each family allows. */
#define LINK_MTU 1500
#define MTU_MIN_IPV4 68
#define MTU_MIN_IPV6 1280

struct sysctl_setting {
	const char *key;	/* "net.ipv4.tcp_retries2"; points into the scenario */
	const char *value;	/* as written; points into the scenario */
	int line;		/* where it was set, for messages */
};

/* When an application side counts as ready ([client]/[server] ready). */
enum app_ready {
	READY_LISTEN,		/* its host has a socket listening on the server port (server default) */
	READY_CONNECTED,	/* its host has the connection established (client default) */
	READY_LINE,		/* it printed a line matching ready_regex (and the connection is up) */
	READY_AFTER,		/* ready_after_ms after it started (and the connection is up) */
	READY_COUNT
};
/* "listen", "connected", "line", "after"; defined in names.c. */
const char *app_ready_name(enum app_ready r);

#define MAX_APP_ENV 32
#define APP_READY_AFTER_MAX_MS 30000	/* ready = after D: at most this */
#define MAX_APP_WORDS 256

struct env_setting {
	const char *name;	/* "PGPASSWORD"; points into the scenario */
	const char *value;	/* verbatim, placeholders not yet replaced */
	int line;
};

/*
 * An unmodified program as the endpoint ([client]/[server] app = COMMAND).
 * The command is split into words at parse time like a shell would (quotes,
 * backslashes, no expansion); placeholders ({addr}, {peer}, {port},
 * {family}, {dir}, {suite}) are replaced per word when a run starts
 * (app_command_argv in scenario/command.c).
 */
struct app_cfg {
	const char *command;		/* as written; NULL: the built-in endpoint */
	int line;			/* of "app" */
	const char *const *words;	/* the command split into words; points into the scenario */
	size_t n_words;
	enum app_ready ready;		/* default: listen for the server, connected for the client */
	const char *ready_regex;	/* READY_LINE: POSIX extended regex */
	int64_t ready_after_ms;		/* READY_AFTER */
	int ready_line;			/* of "ready"; 0: default */
	const char *notice;		/* POSIX extended regex of the line that counts as noticing; NULL: none */
	int notice_line;
	const char *user;		/* run as this user (and its primary group); NULL: root */
	int user_line;
	struct env_setting env[MAX_APP_ENV];
	size_t n_env;
	const char *dir;		/* the scenario file's directory (absolute) */
};

/* One endpoint host ([client] or [server]). Time values in milliseconds. */
struct side_cfg {
	bool keepalive;			/* SO_KEEPALIVE */
	int64_t keepidle_ms;		/* TCP_KEEPIDLE; -1: the host's tcp_keepalive_time */
	int64_t keepintvl_ms;		/* TCP_KEEPINTVL; -1: tcp_keepalive_intvl */
	int64_t keepcnt;		/* TCP_KEEPCNT; -1: tcp_keepalive_probes */
	int64_t user_timeout_ms;	/* TCP_USER_TIMEOUT; 0: off */
	enum traffic traffic;		/* what this side sends */
	int64_t interval_ms;		/* period of stream/request/heartbeat */
	int64_t size;			/* bytes per write, frame header included */
	int64_t heartbeat_timeout_ms;	/* heartbeat: silence that declares the peer dead */
	int64_t port;			/* server only: the listening port */
	int64_t connect_at_ms;		/* client only, start = listening: when it connects; -1: not given (0) */
	struct app_cfg app;		/* app.command NULL: the built-in endpoint */
	struct sysctl_setting sysctls[MAX_SYSCTLS];
	size_t n_sysctls;
};

struct router_cfg {
	int64_t idle_timeout_ms;	/* stateful middlebox idle timeout; -1: none */
	enum idle_action idle_action;	/* what it does with a forgotten flow's next segment */
	struct sysctl_setting sysctls[MAX_SYSCTLS];
	size_t n_sysctls;
};

struct fault_cfg {
	const char *name;		/* "" for [fault], NAME for [fault NAME] */
	int line;			/* line of the section header */
	int64_t at_ms;			/* after the connection is established */
	const struct fault_kind *kind;	/* the action: drop, reject, ... (run/faults/fault.h) */
	enum host target;
	enum direction direction;
	int64_t duration_ms;		/* 0: permanent */
	int64_t restart_ms;		/* crash: -1 never */
	bool restart_service;
	int64_t probability;		/* loss: percent of the packets lost; 0: not given */
	int64_t mtu;			/* mtu-blackhole: the link's MTU in bytes; 0: not given */
};

/* One [expect] line: OUTCOME [MECHANISM] [within MIN..MAX]. */
struct expect {
	const char *text;		/* verbatim; NULL: no expectation */
	enum outcome outcome;
	bool any_mechanism;		/* no MECHANISM given */
	enum mechanism mechanism;
	bool has_window;
	int64_t min_ms, max_ms;
	bool has_probes;		/* "probes N[..M]": keepalive probes seen on the wire */
	int64_t probes_min, probes_max;
	bool answered;			/* "answered": the peer acknowledged every one of them */
};

/* What a program did when its connection died, as application endpoints report it. */
enum app_reaction {
	APP_REACT_NONE,		/* nothing by the deadline */
	APP_REACT_ERROR,	/* a system call on the socket returned the socket's error */
	APP_REACT_EOF,		/* a read on the socket returned 0 */
	APP_REACT_CLOSE,	/* it closed the socket */
	APP_REACT_EXIT,		/* the process holding the socket exited */
	APP_REACT_LINE,		/* it printed its notice line */
	APP_REACT_COUNT
};
const char *app_reaction_name(enum app_reaction r);

/* One [expect] client_app / server_app line: REACTION [within MIN..MAX]. */
struct app_expect {
	const char *text;		/* verbatim; NULL: no expectation */
	enum app_reaction reaction;
	bool has_window;		/* on app_detect_ms */
	int64_t min_ms, max_ms;
};

/* One concrete run configuration: a scenario with every list resolved. */
struct variant {
	char *name;			/* "name" or "name[key=value,...]"; owned */
	const struct scenario *scenario;	/* the file it came from */
	size_t index;			/* position in the file's expansion */
	enum family family;
	enum start start;
	int64_t deadline_ms;
	int64_t repeat;
	struct side_cfg side[SIDE_COUNT];
	struct router_cfg router;
	struct fault_cfg faults[MAX_FAULTS];	/* in the order of the file */
	size_t n_faults;
	struct expect expect[SIDE_COUNT];
	struct app_expect expect_app[SIDE_COUNT];
};

/* A parsed scenario file; see parse.c. Opaque outside parse.c/expand.c. */
struct scenario;

/*
 * Read and validate @path. On error, every problem is printed to @err as
 * "FILE:LINE: message" and NULL is returned. Nothing outside the process
 * is touched.
 */
struct scenario *scenario_load(const char *path, FILE *err);
void scenario_free(struct scenario *s);
const char *scenario_name(const struct scenario *s);
const char *scenario_path(const struct scenario *s);
const char *scenario_description(const struct scenario *s);
/* The line of the "name" key, or 1 when the name comes from the file name. */
int scenario_name_line(const struct scenario *s);

/* Number of variants the file expands to (product of list lengths). */
size_t scenario_variant_count(const struct scenario *s);

/*
 * Build variant @index of @s into @v (its name is allocated; release with
 * variant_release). Returns 0, or -1 after printing "FILE:LINE: message"
 * lines to @err (impossible combinations).
 */
int scenario_variant(const struct scenario *s, size_t index, struct variant *v, FILE *err);
void variant_release(struct variant *v);
/* The earliest fault's "at" of @v, or -1 without faults. */
int64_t variant_first_fault_ms(const struct variant *v);

/* Parse an [expect] value; returns 0 or -1 with a message in @msg. */
int expect_parse(const char *text, struct expect *e, char *msg, size_t len);
/* Parse an [expect] client_app/server_app value (REACTION [within MIN..MAX]); 0 or -1 with @msg. */
int app_expect_parse(const char *text, struct app_expect *e, char *msg, size_t len);

/*
 * Application commands (command.c). The values of the placeholders for one
 * run: {addr} this host's address, {peer} the other's, {port} the server
 * port, {family} "4" or "6", {dir} the scenario file's directory (absolute),
 * {suite} the directory shared by the suite's runs. NULL: no value there.
 */
struct app_subst {
	const char *addr, *peer, *port, *family, *dir, *suite;
};

/*
 * Split @cmd into words as a shell would, without expanding anything
 * (quotes, backslashes; see command.c). Returns 0 with *@words, a
 * NULL-terminated array of *@n words in one allocated block (free() it), or
 * -1 with @msg: an unterminated quote, a trailing backslash, an unquoted
 * shell operator, no word at all, more than MAX_APP_WORDS words.
 */
int app_split(const char *cmd, char ***words, size_t *n, char *msg, size_t len);
/*
 * @text with its placeholders replaced from @s, into *@out (allocated; @out
 * NULL: only check). @s NULL: check the placeholders only. Returns 0, or
 * with @msg: -EINVAL for an unknown {name}, a '{' without its '}' or a lone
 * '}'; -ENOENT for a placeholder whose value in @s is NULL.
 */
int app_subst_text(const char *text, const struct app_subst *s, char **out, char *msg, size_t len);
/*
 * The argv of @a for a run: its words with their placeholders replaced,
 * NULL-terminated, in one allocated block (free() it). 0, or -EINVAL /
 * -ENOENT as app_subst_text (*@argv NULL).
 */
int app_command_argv(const struct app_cfg *a, const struct app_subst *s, char ***argv);
/* An env.NAME value with its placeholders replaced, allocated into *@out; 0 or as app_subst_text. */
int app_env_value(const char *value, const struct app_subst *s, char **out);
/*
 * Find @prog as execvp would: with a '/', it must be an executable regular
 * file (-EACCES otherwise); else the first such file in a directory of PATH
 * (-ENOENT: none). 0 with the path in *@path (allocated).
 */
int app_which(const char *prog, char **path);
/* The Debian package that installs @prog (a name or a path), for messages; NULL: not known. */
const char *app_package(const char *prog);

#endif
