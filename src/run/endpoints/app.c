// SPDX-License-Identifier: MIT
/*
 * Application endpoints: an unmodified program as the client or the server,
 * in a sandbox of its own (sandbox.h), watched from outside (sockwatch.h).
 *
 * "The connection" is the first TCP connection established between the two
 * hosts on the server port, as the program's host sees it. Two views of it
 * are kept apart:
 *   - the kernel's: when its kernel saw the peer's FIN or RST, or gave up on
 *     it (the socket's error), with the socket's state and options then;
 *   - the program's: the first thing it did about it: a system call that
 *     returned the socket's error, a read that returned 0, closing the
 *     socket, exiting with it, or printing its notice line.
 * The side has decided when both views have (a program that closes first
 * ends the kernel's view as "none": the kernel had not noticed).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "endpoint.h"
#include "sandbox.h"
#include "sockwatch.h"

#define OUTPUT_LINE_MAX 4096
#define CLOSE_WINDOW_NS 10000000	/* a close() and the socket's release it causes */
#define NOTICE_GRACE_NS 50000000	/* a line printed before an exit, read after it */

struct app_ep {
	struct sandbox sb;
	struct sockwatch *sw;
	int kick;			/* eventfd: makes the run loop call observe() after stop() */
	int epfd;			/* the endpoint's descriptor: an epoll set over the ones above */
	const struct app_cfg *cfg;
	enum host side;
	uint16_t port;
	int family;			/* AF_INET, AF_INET6 */
	uint8_t peer[16];		/* the peer's address */
	regex_t ready_re, notice_re;
	bool has_ready_re, has_notice_re;
	char buf[OUTPUT_LINE_MAX];	/* output not yet ended by a newline */
	size_t buf_len;
	int64_t started_ns;
	bool listening, ready_line;
	bool established;		/* the connection is up */
	uint64_t conn;			/* its cookie */
	bool kernel_done, app_done;	/* each view has decided */
	bool err_pending;		/* the kernel ended it; the errno that says why is still to come */
	bool saw_close;			/* a change of the connection to CLOSE was reported */
	bool gone;			/* every process of the program has ended */
	bool stopping;			/* stop() was called: report what there is */
	bool reported;			/* the result went out */
	int64_t close_ns;		/* the latest close() of a descriptor of the connection */
	bool have_snapshot;
	struct sw_event last;		/* the connection's latest event: its socket then */
	struct ep_report r;		/* being built */
};

static struct app_ep *state(const struct endpoint *ep)
{
	return ep->priv;
}

/* Stop polling @fd and close it. */
static void drop_fd(struct app_ep *a, int *fd)
{
	if (a->epfd >= 0)
		epoll_ctl(a->epfd, EPOLL_CTL_DEL, *fd, NULL);
	close(*fd);
	*fd = -1;
}

/* An output line: the last one is kept; it may make the side ready, or be its notice. */
static void on_line(struct app_ep *a, char *line, int64_t ts)
{
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
		line[--n] = 0;
	if (!n)
		return;
	if (!a->r.app.line[0] || a->r.app.reaction != APP_REACT_LINE)
		snprintf(a->r.app.line, sizeof(a->r.app.line), "%s", line);
	if (a->has_ready_re && !a->ready_line && regexec(&a->ready_re, line, 0, NULL, 0) == 0)
		a->ready_line = true;
	if (!a->has_notice_re || !a->established || regexec(&a->notice_re, line, 0, NULL, 0) != 0)
		return;
	/*
	 * Output reaches us through a pipe, after the program's exit or close
	 * that followed it is already known: a notice read just after one was
	 * printed before it, and is the program's reaction, at that instant at
	 * the latest.
	 */
	bool printed_first = a->app_done && ts - a->r.app.ts_ns <= NOTICE_GRACE_NS &&
			     (a->r.app.reaction == APP_REACT_EXIT || a->r.app.reaction == APP_REACT_CLOSE);
	if (a->app_done && !printed_first)
		return;
	if (!a->app_done)
		a->r.app.ts_ns = ts;
	a->r.app.reaction = APP_REACT_LINE;
	snprintf(a->r.app.line, sizeof(a->r.app.line), "%s", line);
	a->app_done = true;
}

static void read_output(struct app_ep *a)
{
	for (;;) {
		ssize_t n = read(a->sb.out, a->buf + a->buf_len, sizeof(a->buf) - 1 - a->buf_len);
		int64_t ts = mono_ns();
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n == 0 || errno != EAGAIN) {
				/* The last line may lack its newline. */
				if (a->buf_len) {
					a->buf[a->buf_len] = 0;
					on_line(a, a->buf, ts);
					a->buf_len = 0;
				}
				drop_fd(a, &a->sb.out);
			}
			break;
		}
		/* A NUL would end the line early for the regular expressions: it is a blank to them. */
		for (ssize_t i = 0; i < n; i++)
			if (!a->buf[a->buf_len + (size_t)i])
				a->buf[a->buf_len + (size_t)i] = ' ';
		a->buf_len += (size_t)n;
		a->buf[a->buf_len] = 0;
		char *start = a->buf, *nl;
		while ((nl = strchr(start, '\n'))) {
			*nl = 0;
			on_line(a, start, ts);
			start = nl + 1;
		}
		a->buf_len -= (size_t)(start - a->buf);
		memmove(a->buf, start, a->buf_len);
		if (a->buf_len == sizeof(a->buf) - 1) {	/* a line longer than we keep: take it as it is */
			a->buf[a->buf_len] = 0;
			on_line(a, a->buf, ts);
			a->buf_len = 0;
		}
	}
}

static void read_ctl(struct app_ep *a)
{
	struct sandbox_exit e;
	ssize_t n;

	while ((n = read(a->sb.ctl, &e, sizeof(e))) == (ssize_t)sizeof(e)) {
		a->r.app.exited = true;
		a->r.app.exit_status = e.status;
	}
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		/* init is gone: so is every process of the program. */
		drop_fd(a, &a->sb.ctl);
		a->gone = true;
		if (a->established && !a->app_done) {
			a->r.app.reaction = APP_REACT_EXIT;
			a->r.app.ts_ns = mono_ns();
			a->app_done = true;
		}
	}
}

static void snapshot(const struct sw_event *e, struct tcp_snapshot *t)
{
	*t = (struct tcp_snapshot){
		.ts_ns = e->ts_ns,
		.state = e->tcp.state,
		.probes = e->tcp.probes_out,
		.backoff = e->tcp.backoff,
		.retransmits = e->tcp.retransmits,
		.total_retrans = e->tcp.total_retrans,
		.unacked = e->tcp.packets_out,
		.snd_wnd = e->tcp.snd_wnd,
		.last_data_recv_ms = e->tcp.last_data_recv_ms,
		.last_ack_recv_ms = e->tcp.last_ack_recv_ms,
	};
}

/* The socket's options and state as the latest event of the connection showed them. */
static void take_socket(struct app_ep *a, const struct sw_event *e)
{
	a->last = *e;
	a->have_snapshot = true;
	if (a->r.app.observer == OBSERVER_SOCK_DIAG) {
		/* tcp_info holds no options: keepalive shows only while its timer is pending. */
		if (e->tcp.keepalive)
			a->r.keepalive = 1;
		return;
	}
	a->r.keepalive = e->tcp.keepalive;
	a->r.keepidle_ms = e->tcp.keepidle_ms;
	a->r.keepintvl_ms = e->tcp.keepintvl_ms;
	a->r.keepcnt = e->tcp.keepcnt;
	a->r.user_timeout_ms = e->tcp.user_timeout_ms;
}

static void kernel_decides(struct app_ep *a, const struct sw_event *e, enum outcome o, int err)
{
	if (a->kernel_done)
		return;
	a->kernel_done = true;
	a->r.app.observe_lag_ns = o == OUTCOME_NONE ? -1 : mono_ns() - e->ts_ns;
	a->r.outcome = o;
	a->r.err = err;
	a->r.ts_ns = e->ts_ns;
	snapshot(e, &a->r.after);
	if (a->have_snapshot)
		snapshot(&a->last, &a->r.before);
	else
		a->r.before = a->r.after;
	uint32_t quiet = e->tcp.last_data_recv_ms < e->tcp.last_ack_recv_ms ? e->tcp.last_data_recv_ms
									     : e->tcp.last_ack_recv_ms;
	a->r.last_rx_ns = e->ts_ns - (int64_t)quiet * 1000000;
}

static void app_reacts(struct app_ep *a, const struct sw_event *e, enum app_reaction r, int err)
{
	if (a->app_done)
		return;
	a->app_done = true;
	a->r.app.reaction = r;
	a->r.app.ts_ns = e->ts_ns;
	a->r.app.err = err;
	/* The program gave up on the connection first: its kernel had not noticed anything. */
	if (!a->kernel_done && (r == APP_REACT_CLOSE || r == APP_REACT_EXIT)) {
		kernel_decides(a, e, OUTCOME_NONE, 0);
		a->r.ts_ns = e->ts_ns;
	}
}

/* A close() of a descriptor of the connection just now: what follows is its doing. */
static bool recent_close(const struct app_ep *a, const struct sw_event *e)
{
	return a->close_ns && e->ts_ns - a->close_ns <= CLOSE_WINDOW_NS;
}

/*
 * The program let go of the connection: its last descriptor is gone, or it
 * shut it down. In its exit (the eBPF observer sees the task exiting), else
 * by a close(), a shutdown() or a descriptor replaced; the sock_diag
 * observer sees no task: for it, a close.
 */
static void let_go(struct app_ep *a, const struct sw_event *e)
{
	/* The socket goes within the close() that lets it go; an older close was of another descriptor. */
	if (!recent_close(a, e))
		a->close_ns = 0;
	if (e->exiting && !a->close_ns) {
		app_reacts(a, e, APP_REACT_EXIT, 0);
		return;
	}
	struct sw_event at = *e;
	if (a->close_ns)
		at.ts_ns = a->close_ns;
	app_reacts(a, &at, APP_REACT_CLOSE, 0);
}

/* The connection's error, from its error report, a reset, or a system call that returned it. */
static void kernel_error(struct app_ep *a, const struct sw_event *e, int err)
{
	enum outcome o;

	if (outcome_from_errno(err, &o) < 0)
		return;
	if (!a->kernel_done) {
		kernel_decides(a, e, o, err);
		return;
	}
	/* The kernel ended the connection a moment ago without saying why: this is why. */
	if (a->err_pending) {
		a->r.outcome = o;
		a->r.err = err;
		a->err_pending = false;
	}
}

static bool to_peer(const struct app_ep *a, const struct sw_event *e)
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	size_t n = a->family == AF_INET6 ? 16 : 4;
	const uint8_t *daddr = e->daddr;

	/* A dual-stack socket (an IPv6 listener taking IPv4) names its IPv4 peer ::ffff:a.b.c.d. */
	if (a->family == AF_INET && e->family == AF_INET6 && !memcmp(e->daddr, v4mapped, 12))
		daddr = e->daddr + 12;
	else if (e->family != a->family)
		return false;
	if (memcmp(daddr, a->peer, n))
		return false;
	return a->side == HOST_SERVER ? e->sport == a->port : e->dport == a->port;
}

static void on_event(struct app_ep *a, const struct sw_event *e)
{
	if (e->type == SW_STATE && e->new_state == TCP_LISTEN && e->sport == a->port) {
		a->listening = true;
		return;
	}
	if (e->type == SW_STATE && e->new_state == TCP_ESTABLISHED && to_peer(a, e)) {
		struct app_view *v = &a->r.app;
		if (v->connections < APP_CONNECTIONS_MAX)
			v->conn_ns[v->connections] = e->ts_ns;
		v->connections++;
		if (!a->established) {
			a->established = true;
			a->conn = e->cookie;
			take_socket(a, e);
		}
		return;
	}
	if (!a->established || e->cookie != a->conn)
		return;
	struct sw_tcp prev = a->last.tcp;
	if (!a->kernel_done && e->type != SW_SYSCALL)
		take_socket(a, e);
	switch (e->type) {
	case SW_STATE:
		if (e->new_state == TCP_CLOSE)
			a->saw_close = true;
		if (e->old_state == TCP_ESTABLISHED && e->new_state == TCP_CLOSE_WAIT)
			kernel_decides(a, e, OUTCOME_FIN, 0);
		else if (e->new_state == TCP_CLOSE && e->old_state != TCP_LISTEN && e->old_state != TCP_SYN_SENT &&
			 e->err && !a->kernel_done)
			/* The kernel ended it with an error, stored before the change: the surest word. */
			kernel_error(a, e, e->err);
		else if (e->new_state == TCP_CLOSE && e->old_state != TCP_LISTEN && e->old_state != TCP_SYN_SENT &&
			 !e->exiting && !recent_close(a, e) && !a->kernel_done) {
			/*
			 * tcp_done: the kernel ended the connection. Its error report
			 * says why, but it may come after this, or find the error
			 * already taken; until something says otherwise, a timer that
			 * had probes or retransmissions out gave up, else a reset.
			 * (sock_diag sees only that the socket is gone.)
			 */
			kernel_decides(a, e, prev.probes_out || prev.retransmits || prev.backoff ? OUTCOME_TIMEOUT
											      : OUTCOME_RST, 0);
			a->err_pending = a->r.app.observer == OBSERVER_EBPF;
		} else if ((e->old_state == TCP_ESTABLISHED && e->new_state == TCP_FIN_WAIT1) ||
			 (e->old_state == TCP_CLOSE_WAIT && e->new_state == TCP_LAST_ACK))
			let_go(a, e);
		break;
	case SW_RST_RECV:
		kernel_error(a, e, ECONNRESET);
		break;
	case SW_ERROR:
		/* Timestamping and zero-copy completions report no error: nothing died. */
		if (e->err)
			kernel_error(a, e, e->err);
		break;
	case SW_DESTROY:
		/*
		 * A socket is destroyed only once closed, and every way to CLOSE
		 * passes the state tracepoint: if none was reported, the kernel
		 * ended the connection unseen (its tracepoints did not fire, seen
		 * rarely under load). Its instant and cause are unknown.
		 */
		if (!a->kernel_done && !a->saw_close && a->r.app.observer == OBSERVER_EBPF)
			a->r.end_unseen = true;
		if (e->exiting)
			app_reacts(a, e, APP_REACT_EXIT, 0);
		else
			let_go(a, e);
		break;
	case SW_SYSCALL:
		/* The options the program set after connecting (redis-server sets keepalive once it accepts). */
		if (e->sys_nr == SYS_setsockopt) {
			if (!a->kernel_done)
				take_socket(a, e);
			break;
		}
		/* Closing one of several descriptors (a forking server's parent) lets nothing go. */
		if (e->sys_nr == SYS_close)
			a->close_ns = e->ts_ns;
		else if (e->sys_ret < 0) {
			kernel_error(a, e, (int)-e->sys_ret);
			app_reacts(a, e, APP_REACT_ERROR, (int)-e->sys_ret);
		}
		else
			app_reacts(a, e, APP_REACT_EOF, 0);
		break;
	case SW_RST_SENT:
	case SW_TYPE_COUNT:
		break;
	}
}

/* Take in everything pending: socket events, output, init's reports. */
static void pump(struct app_ep *a)
{
	struct sw_event e;

	uint64_t n;

	/* -ENOBUFS: events were lost; reading goes on. */
	for (int ret; a->sw && (ret = sockwatch_read(a->sw, &e)) != 0;)
		if (ret > 0)
			on_event(a, &e);
		else if (ret == -ENOBUFS)
			a->r.events_lost = true;
		else
			break;
	if (a->kick >= 0 && read(a->kick, &n, sizeof(n)) < 0 && errno != EAGAIN)
		close(a->kick), a->kick = -1;
	if (a->sb.out >= 0)
		read_output(a);
	if (a->sb.ctl >= 0)
		read_ctl(a);
}

static bool decided(const struct app_ep *a)
{
	return a->kernel_done && a->app_done;
}

/* The result as it stands; what has not happened is "none". */
static void result(struct app_ep *a, struct ep_msg *m)
{
	int64_t now = mono_ns();

	if (!a->kernel_done) {
		a->r.outcome = OUTCOME_NONE;
		a->r.ts_ns = now;
		if (a->have_snapshot) {
			snapshot(&a->last, &a->r.before);
			a->r.after = a->r.before;
		}
	}
	*m = (struct ep_msg){ .type = EP_RESULT, .r = a->r };
	a->reported = true;
}

static int wait_input(struct endpoint *ep, int timeout_ms)
{
	struct pollfd p = { ep->fd, POLLIN, 0 };

	return poll(&p, 1, timeout_ms);
}

static bool is_ready(const struct app_ep *a, enum ep_msg_type want, int64_t now)
{
	const struct app_cfg *c = a->cfg;
	bool cond = c->ready == READY_LINE ? a->ready_line
		  : c->ready == READY_AFTER ? now >= a->started_ns + c->ready_after_ms * 1000000
		  : true;

	/* A server is ready when it listens, whatever else it waits for: the client connects next. */
	if (want == EP_LISTENING)
		return a->listening && (c->ready == READY_LISTEN || cond);
	return a->established && cond;
}

static int app_ready(struct endpoint *ep, enum ep_msg_type want, int timeout_ms, struct ep_msg *m)
{
	struct app_ep *a = state(ep);
	const struct app_cfg *c = a->cfg;
	int64_t end = mono_ns() + (int64_t)(timeout_ms > ENDPOINT_APP_READY_MS ? timeout_ms : ENDPOINT_APP_READY_MS) * 1000000;

	/* ready = after D counts from the start; the wait covers it. */
	if (c->ready == READY_AFTER && a->started_ns + (c->ready_after_ms + ENDPOINT_APP_READY_MS) * 1000000 > end)
		end = a->started_ns + (c->ready_after_ms + ENDPOINT_APP_READY_MS) * 1000000;

	for (;;) {
		int64_t now = mono_ns();
		pump(a);
		if (is_ready(a, want, now))
			return 0;
		if (a->established && decided(a)) {
			result(a, m);
			return 1;
		}
		const char *waiting = want == EP_LISTENING ? (c->ready == READY_LINE ? "print its ready line" : "listen")
							   : a->established ? "print its ready line" : "connect";
		if (a->gone || now >= end) {
			char status[64] = "";
			if (a->r.app.exited)
				snprintf(status, sizeof(status), " (it exited with status %d)",
					 WIFEXITED(a->r.app.exit_status) ? WEXITSTATUS(a->r.app.exit_status)
									 : 128 + WTERMSIG(a->r.app.exit_status));
			*m = (struct ep_msg){ .type = EP_ERROR, .r.ts_ns = now };
			snprintf(m->text, sizeof(m->text), "'%s' did not %s%s%s%s", c->words[0], waiting,
				 a->gone ? " before it ended" : " in time", status,
				 a->r.app.line[0] ? "; it said: " : "");
			size_t used = strlen(m->text);
			snprintf(m->text + used, sizeof(m->text) - used, "%s", a->r.app.line);
			return -1;
		}
		int64_t wake = end;
		if (c->ready == READY_AFTER && a->started_ns + c->ready_after_ms * 1000000 < wake)
			wake = a->started_ns + c->ready_after_ms * 1000000;
		wait_input(ep, (int)((wake - now) / 1000000 + 1));
	}
}

static int app_observe(struct endpoint *ep, struct ep_msg *m)
{
	struct app_ep *a = state(ep);

	if (!a || ep->fd < 0)
		return -1;
	pump(a);	/* even once reported: what keeps coming must not keep the run loop awake */
	if (a->reported)
		return 0;
	/*
	 * Both views decided, the program is still watched until it ends or
	 * the run does: whether it exits, and when it reconnects.
	 */
	if ((decided(a) && a->gone) || a->stopping) {
		result(a, m);
		return 1;
	}
	return 0;
}

static int app_stop(struct endpoint *ep)
{
	struct app_ep *a = state(ep);

	if (!a)
		return -ESRCH;
	uint64_t one = 1;

	a->stopping = true;
	return write(a->kick, &one, sizeof(one)) < 0 ? -errno : 0;
}

static int app_signal(struct endpoint *ep, int sig)
{
	struct app_ep *a = state(ep);

	if (!a)
		return -ESRCH;
	switch (sig) {
	case SIGKILL:
		return sandbox_kill(&a->sb);
	case SIGSTOP:
		return sandbox_freeze(&a->sb, true);
	case SIGCONT:
		return sandbox_freeze(&a->sb, false);
	default:
		return -EINVAL;
	}
}

static void app_release(struct endpoint *ep)
{
	struct app_ep *a = state(ep);

	if (a) {
		sandbox_release(&a->sb);
		if (a->kick >= 0)
			close(a->kick);
		if (a->sw)
			sockwatch_close(a->sw);
		if (a->has_ready_re)
			regfree(&a->ready_re);
		if (a->has_notice_re)
			regfree(&a->notice_re);
		free(a);
	}
	if (ep->fd >= 0)
		close(ep->fd);
	ep->fd = -1;
	ep->pid = 0;
	ep->priv = NULL;
}

/* The program's environment: a clean one, the run's facts, then the scenario's env.NAME. */
static char **make_env(const struct endpoint_args *args, const struct app_subst *sub)
{
	const struct app_cfg *c = &args->cfg->app;
	size_t n = 0, cap = 16 + c->n_env;
	char **env = xcalloc(cap + 1, sizeof(char *));
	char *s;

#define PUT(...) do { if (asprintf(&s, __VA_ARGS__) < 0) s = xstrdup(""); env[n++] = s; } while (0)
	PUT("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	PUT("HOME=/tmp");
	PUT("LANG=C.UTF-8");
	PUT("DEADPEER_SIDE=%s", host_name(args->side));
	PUT("DEADPEER_ADDR=%s", sub->addr);
	PUT("DEADPEER_PEER=%s", sub->peer);
	PUT("DEADPEER_PORT=%s", sub->port);
	PUT("DEADPEER_FAMILY=%s", sub->family);
	if (c->user) {
		PUT("USER=%s", c->user);
		PUT("LOGNAME=%s", c->user);
	}
	if (sub->suite)
		PUT("DEADPEER_SUITE=%s", sub->suite);
#undef PUT
	for (size_t i = 0; i < c->n_env; i++) {
		char *value;
		if (app_env_value(c->env[i].value, sub, &value) < 0)
			value = xstrdup(c->env[i].value);
		size_t len = strlen(c->env[i].name);
		/* A scenario's setting replaces ours. */
		for (size_t k = 0; k < n; k++)
			if (!strncmp(env[k], c->env[i].name, len) && env[k][len] == '=') {
				free(env[k]);
				env[k] = env[--n];
			}
		if (asprintf(&s, "%s=%s", c->env[i].name, value) < 0)
			s = xstrdup("");
		free(value);
		env[n++] = s;
	}
	env[n] = NULL;
	return env;
}

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static int app_start(struct endpoint *ep, const struct endpoint_args *args, char *err, size_t len)
{
	const struct app_cfg *c = &args->cfg->app;
	struct app_ep *a = xcalloc(1, sizeof(*a));
	char port[8];
	struct app_subst sub = {
		.addr = args->addr, .peer = args->peer, .port = port,
		.family = args->family == FAMILY_IPV6 ? "6" : "4",
		.dir = c->dir, .suite = args->suite_dir,
	};
	int ret;

	ep->priv = a;
	ep->fd = -1;
	a->kick = a->epfd = -1;
	a->cfg = c;
	a->side = args->side;
	a->port = args->port;
	a->family = args->family == FAMILY_IPV6 ? AF_INET6 : AF_INET;
	a->sb = (struct sandbox){ .cgfd = -1, .out = -1, .ctl = -1 };
	a->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (a->kick < 0)
		return -errno;
	a->r = (struct ep_report){ .keepalive = -1, .keepidle_ms = -1, .keepintvl_ms = -1, .keepcnt = -1,
				   .user_timeout_ms = -1, .app.observe_lag_ns = -1 };
	snprintf(port, sizeof(port), "%u", (unsigned)args->port);
	if (inet_pton(a->family, args->peer, a->peer) != 1)
		return -EINVAL;
	if (c->ready == READY_LINE && regcomp(&a->ready_re, c->ready_regex, REG_EXTENDED | REG_NOSUB) == 0)
		a->has_ready_re = true;
	if (c->notice && regcomp(&a->notice_re, c->notice, REG_EXTENDED | REG_NOSUB) == 0)
		a->has_notice_re = true;

	/* Watching starts before the program does: its first socket is seen. */
	ret = sockwatch_open(&a->sw, args->nsfd, args->port, err, len);
	if (ret)
		return ret;
	a->r.app.observer = sockwatch_kind(a->sw) == SW_EBPF ? OBSERVER_EBPF : OBSERVER_SOCK_DIAG;

	char **argv = NULL, **envp = make_env(args, &sub);
	ret = app_command_argv(c, &sub, &argv);
	/* The program starts in its private /tmp: a relative path means where deadpeer was started, as checked. */
	char *abs = NULL, cwd[PATH_MAX];
	if (ret == 0 && strchr(argv[0], '/') && argv[0][0] != '/' && getcwd(cwd, sizeof(cwd)) &&
	    asprintf(&abs, "%s/%s", cwd, argv[0]) > 0)
		argv[0] = abs;
	if (ret == 0) {
		const char *keep[] = { c->dir, args->suite_dir, NULL };
		struct sandbox_spec spec = {
			.nsfd = args->nsfd, .argv = argv, .envp = envp, .user = c->user, .keep = keep,
		};
		ret = sandbox_start(&a->sb, &spec, err, len);
	} else {
		snprintf(err, len, "cannot build the command line: %s", strerror(-ret));
	}
	free(argv);	/* one block */
	free(abs);
	free_strv(envp);
	if (ret)
		return ret;
	a->started_ns = mono_ns();
	ep->pid = a->sb.init;
	fcntl(a->sb.out, F_SETFL, O_NONBLOCK);
	fcntl(a->sb.ctl, F_SETFL, O_NONBLOCK);

	/* One descriptor for the run loop to poll: socket events, output, init. */
	ep->fd = a->epfd = epoll_create1(EPOLL_CLOEXEC);
	int fds[] = { sockwatch_fd(a->sw), a->sb.out, a->sb.ctl, a->kick };
	for (size_t i = 0; ep->fd >= 0 && i < ARRAY_SIZE(fds); i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fds[i] };
		if (epoll_ctl(ep->fd, EPOLL_CTL_ADD, fds[i], &ev) < 0)
			return -errno;
	}
	return ep->fd < 0 ? -errno : 0;
}

const struct endpoint_ops endpoint_app = {
	.name = "app",
	.start = app_start,
	.ready = app_ready,
	.observe = app_observe,
	.stop = app_stop,
	.signal = app_signal,
	.release = app_release,
};
