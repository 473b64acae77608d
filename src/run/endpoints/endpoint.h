/* SPDX-License-Identifier: MIT */
/*
 * Endpoints: the client and the server, each a child process inside its
 * host's namespace, talking to the harness over a SOCK_SEQPACKET pair with
 * fixed-size messages. They die with the harness (PR_SET_PDEATHSIG).
 */
#ifndef DEADPEER_ENDPOINT_H
#define DEADPEER_ENDPOINT_H

#include <sys/types.h>

#include "scenario.h"

/* What an endpoint knows of its socket, read with TCP_INFO and getsockopt. */
struct tcp_snapshot {
	int64_t ts_ns;			/* when it was taken; 0: never */
	uint8_t state;			/* tcpi_state */
	uint8_t probes;			/* tcpi_probes: unanswered keepalive/zero-window probes */
	uint8_t backoff;		/* tcpi_backoff */
	uint8_t retransmits;		/* tcpi_retransmits: current consecutive RTO count */
	uint32_t total_retrans;		/* tcpi_total_retrans */
	uint32_t unacked;		/* tcpi_unacked: segments in flight */
	uint32_t snd_wnd;		/* tcpi_snd_wnd: the peer's advertised window */
	uint32_t last_data_recv_ms;	/* tcpi_last_data_recv */
	uint32_t last_ack_recv_ms;	/* tcpi_last_ack_recv */
	uint32_t notsent;		/* bytes not yet sent (SIOCOUTQNSD) */
	uint32_t outq;			/* bytes not yet acknowledged (SIOCOUTQ) */
};

enum ep_msg_type { EP_LISTENING, EP_ESTABLISHED, EP_RESULT, EP_ERROR };

/* Who watched a side's socket. */
enum observer {
	OBSERVER_BUILTIN,	/* the built-in endpoint, from inside its own process */
	OBSERVER_EBPF,		/* tracepoints in the kernel, joined by socket cookie */
	OBSERVER_SOCK_DIAG,	/* sock_diag lookups and destroy notifications (no BPF) */
	OBSERVER_COUNT
};
const char *observer_name(enum observer o);

#define APP_LINE_MAX 160
#define APP_CONNECTIONS_MAX 16

/* The program's own view of its connection (SPEC "Application endpoints"). */
struct app_view {
	enum observer observer;
	enum app_reaction reaction;	/* the first thing it did about the dead connection */
	int64_t ts_ns;			/* when; 0: it did nothing */
	int err;			/* APP_REACT_ERROR: the errno its system call returned */
	bool exited;			/* the command's first process ended during the run */
	int exit_status;		/* then its wait status */
	char line[APP_LINE_MAX];	/* the notice line it printed, else the last line it printed */
	int64_t observe_lag_ns;		/* the kernel event that decided the kernel's view, until we had it; -1 */
	uint32_t connections;		/* TCP connections established between the hosts on the server port */
	int64_t conn_ns[APP_CONNECTIONS_MAX];	/* when the first ones were established */
};

/* What an endpoint reports when it decides: the instant, the errno, its socket. */
struct ep_report {
	int64_t ts_ns;			/* when it noticed, CLOCK_MONOTONIC */
	enum outcome outcome;
	int err;			/* errno that told, 0 for fin/heartbeat/none */
	int64_t last_rx_ns;		/* last time anything came from the peer; 0 unknown */
	int keepalive;			/* SO_KEEPALIVE as set; -1 unknown */
	int64_t keepidle_ms, keepintvl_ms, keepcnt, user_timeout_ms;	/* effective values */
	struct tcp_snapshot before;	/* last snapshot while the connection was alive */
	struct tcp_snapshot after;	/* snapshot when it was decided */
	struct app_view app;		/* the program's view (the built-in endpoint's, for it) */
	/*
	 * eBPF: the socket was destroyed closed without its end ever reported
	 * (the kernel's tracepoints did not fire for it): the kernel's view is
	 * unknown, not "none"; the harness fails the run saying so.
	 */
	bool end_unseen;
	bool events_lost;		/* the observer's ring buffer overflowed during the run */
};

/* Endpoint to harness. */
struct ep_msg {
	enum ep_msg_type type;
	struct ep_report r;		/* r.ts_ns: when, for every type; the rest for EP_RESULT */
	char text[200];			/* EP_ERROR: what went wrong */
};

/* Harness to endpoint. */
enum ep_cmd { EP_CMD_STOP = 1 };

struct endpoint_args {
	enum host side;			/* HOST_CLIENT or HOST_SERVER */
	const struct side_cfg *cfg;
	enum family family;
	const char *server_addr;	/* numeric */
	uint16_t port;
	int nsfd;			/* the host's namespace */
	const char *addr, *peer;	/* this host's and the peer's address, numeric */
	const char *suite_dir;		/* {suite}: shared by the suite's runs; NULL: none */
	/*
	 * start = listening: the connect is part of the story. The client waits
	 * for it as long as the kernel tries and reports its failure as its
	 * result (timeout, refused); a server stopped before anyone connected
	 * reports "none".
	 */
	bool listening;
};

/*
 * One side's program, as the run loop sees it. Every kind of endpoint (the
 * built-in one below; later, unmodified programs watched from outside)
 * implements these operations; the run loop knows no other.
 */
struct endpoint {
	const struct endpoint_ops *ops;
	pid_t pid;			/* its process; 0 when not started or reaped */
	int fd;				/* polled by the run loop for observe(); -1: closed */
	void *priv;			/* the kind's own state */
};

struct endpoint_ops {
	const char *name;
	/* Start it in its host's namespace: 0, or -errno with @err saying why. */
	int (*start)(struct endpoint *ep, const struct endpoint_args *a, char *err, size_t len);
	/*
	 * Wait at most @timeout_ms until it is @want (EP_LISTENING or
	 * EP_ESTABLISHED). Returns 0 when it is; 1 when it decided instead (the
	 * result in @m); -1 with @m->text saying why when it failed or did not
	 * get there in time.
	 */
	int (*ready)(struct endpoint *ep, enum ep_msg_type want, int timeout_ms, struct ep_msg *m);
	/*
	 * What it has reported since, without waiting: 1 with @m, 0 when
	 * nothing is pending, -1 when it is gone (fd closed).
	 */
	int (*observe)(struct endpoint *ep, struct ep_msg *m);
	/* Ask it for its final report; it answers through observe(). 0 or -errno. */
	int (*stop)(struct endpoint *ep);
	/* Deliver @sig to it (a fault's kill, freeze and thaw). 0 or -errno. */
	int (*signal)(struct endpoint *ep, int sig);
	/* Make sure it is gone: killed, reaped, its descriptors closed. */
	void (*release)(struct endpoint *ep);
};

/* The built-in client and server (builtin.c): a child process per side. */
extern const struct endpoint_ops endpoint_builtin;
/* An unmodified program, sandboxed and watched from outside (app.c). */
extern const struct endpoint_ops endpoint_app;
/* How long an app gets to be ready (a database, a login take longer than the built-in endpoint). */
#define ENDPOINT_APP_READY_MS 20000

/* The kind of endpoint a side's configuration asks for. */
static inline const struct endpoint_ops *endpoint_ops_for(const struct side_cfg *cfg)
{
	return cfg->app.command ? &endpoint_app : &endpoint_builtin;
}

/* Outcome an errno stands for when a read, write or poll reports it (0: fin). */
int outcome_from_errno(int err, enum outcome *o);

#endif
