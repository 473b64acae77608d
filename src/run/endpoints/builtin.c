// SPDX-License-Identifier: MIT
/*
 * The endpoint process. It owns one TCP socket and runs its side's traffic
 * pattern in a ppoll loop that also watches the harness's control socket.
 * Everything that arrives is read at once; requests are echoed and pings
 * answered whatever the side's own pattern. The first sign that the peer is
 * gone (read returns 0, an error, a heartbeat deadline) is timestamped right
 * where the system call returns and reported as the side's result.
 *
 * Application frames: 1 byte type, 1 byte zero, 2 bytes payload length (big
 * endian), then the payload; a write of "size" bytes is one frame.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "endpoint.h"
#include "netns.h"

#define CTL_FD 3
#define FRAME_HDR 4
#define CONNECT_TIMEOUT_MS 5000

enum frame_type { F_DATA = 'D', F_REQUEST = 'Q', F_ANSWER = 'A', F_PING = 'P', F_PONG = 'O' };

int outcome_from_errno(int err, enum outcome *o)
{
	switch (err) {
	case 0:
		*o = OUTCOME_FIN;
		return 0;
	case ECONNRESET:
	case EPIPE:
	case ECONNABORTED:
	case ECONNREFUSED:
		*o = OUTCOME_RST;
		return 0;
	case ETIMEDOUT:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
	case ENONET:
	case EPROTO:
		*o = OUTCOME_TIMEOUT;
		return 0;
	default:
		return -1;
	}
}

struct child {
	const struct endpoint_args *a;
	int sock;			/* -1: no connection ever came (a server stopped while listening) */
	bool connected;			/* the handshake completed */
	int64_t last_rx_ns;
	int64_t next_tx_ns;		/* stream/request/heartbeat: next send */
	int64_t last_pong_ns;		/* heartbeat: last answer from the peer */
	bool awaiting;			/* request: an answer is outstanding */
	struct tcp_snapshot before;
	size_t rx_len, tx_len;
	uint8_t rx[FRAME_HDR + 65536];
	uint8_t tx[256 * 1024];
};

static void send_msg(const struct ep_msg *m)
{
	/* The harness may be gone; PDEATHSIG ends us then, so ignore errors. */
	ssize_t n = send(CTL_FD, m, sizeof(*m), MSG_NOSIGNAL);
	(void)n;
}

/* Report a setup failure to the harness and end: "cannot bind port 7000: Address in use". */
static void NORETURN PRINTF(2, 3) fail(int err, const char *fmt, ...)
{
	struct ep_msg m = { .type = EP_ERROR, .r.ts_ns = mono_ns() };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m.text, sizeof(m.text), fmt, ap);
	va_end(ap);
	if (err)
		snprintf(m.text + strlen(m.text), sizeof(m.text) - strlen(m.text), ": %s", strerror(err));
	send_msg(&m);
	_exit(1);
}

static void snapshot(int sock, struct tcp_snapshot *s)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int q = 0;

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(sock, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return;
	s->ts_ns = mono_ns();
	s->state = ti.tcpi_state;
	s->probes = ti.tcpi_probes;
	s->backoff = ti.tcpi_backoff;
	s->retransmits = ti.tcpi_retransmits;
	s->total_retrans = ti.tcpi_total_retrans;
	s->unacked = ti.tcpi_unacked;
	s->snd_wnd = len >= offsetof(struct tcp_info, tcpi_snd_wnd) + sizeof(ti.tcpi_snd_wnd) ? ti.tcpi_snd_wnd : 0;
	s->last_data_recv_ms = ti.tcpi_last_data_recv;
	s->last_ack_recv_ms = ti.tcpi_last_ack_recv;
	if (ioctl(sock, SIOCOUTQ, &q) == 0)
		s->outq = (uint32_t)q;
	if (ioctl(sock, SIOCOUTQNSD, &q) == 0)
		s->notsent = (uint32_t)q;
}

static int64_t get_sockopt_int(int sock, int level, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (getsockopt(sock, level, opt, &v, &len) < 0)
		return -1;
	return v;
}

static void NORETURN finish(struct child *ep, enum outcome o, int err, int64_t ts)
{
	struct ep_msg m = { .type = EP_RESULT, .r = { .ts_ns = ts, .outcome = o, .err = err } };

	snapshot(ep->sock, &m.r.after);
	m.r.before = ep->before;
	/*
	 * When the peer was last heard from: the kernel's receive times (data or
	 * any ACK, keepalive replies included) are the truth; the application's
	 * own read time is later by however long it took to read, or by a freeze.
	 */
	m.r.last_rx_ns = ep->last_rx_ns;
	if (m.r.after.ts_ns && ep->connected) {
		uint32_t ago = m.r.after.last_ack_recv_ms < m.r.after.last_data_recv_ms ?
			       m.r.after.last_ack_recv_ms : m.r.after.last_data_recv_ms;
		m.r.last_rx_ns = m.r.after.ts_ns - (int64_t)ago * 1000000;
	}
	m.r.keepalive = get_sockopt_int(ep->sock, SOL_SOCKET, SO_KEEPALIVE);
	m.r.keepidle_ms = get_sockopt_int(ep->sock, IPPROTO_TCP, TCP_KEEPIDLE) * 1000;
	m.r.keepintvl_ms = get_sockopt_int(ep->sock, IPPROTO_TCP, TCP_KEEPINTVL) * 1000;
	m.r.keepcnt = get_sockopt_int(ep->sock, IPPROTO_TCP, TCP_KEEPCNT);
	m.r.user_timeout_ms = get_sockopt_int(ep->sock, IPPROTO_TCP, TCP_USER_TIMEOUT);
	send_msg(&m);
	if (ep->sock >= 0)
		close(ep->sock);	/* as an application would once it knows */
	/* Consume a pending stop so that closing does not reset the harness's end. */
	enum ep_cmd cmd;
	while (recv(CTL_FD, &cmd, sizeof(cmd), MSG_DONTWAIT) > 0)
		;
	_exit(0);
}

static void set_options(int sock, const struct side_cfg *c)
{
	int one = 1;

	if (c->keepalive && setsockopt(sock, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) < 0)
		fail(errno, "cannot set %s", "SO_KEEPALIVE");
	const struct { int opt; int64_t v; int64_t unit; const char *name; } opts[] = {
		{ TCP_KEEPIDLE, c->keepidle_ms, 1000, "TCP_KEEPIDLE" },
		{ TCP_KEEPINTVL, c->keepintvl_ms, 1000, "TCP_KEEPINTVL" },
		{ TCP_KEEPCNT, c->keepcnt, 1, "TCP_KEEPCNT" },
		{ TCP_USER_TIMEOUT, c->user_timeout_ms, 1, "TCP_USER_TIMEOUT" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
		if (opts[i].v < 0 || (opts[i].opt == TCP_USER_TIMEOUT && opts[i].v == 0))
			continue;
		int v = (int)(opts[i].v / opts[i].unit);
		if (setsockopt(sock, IPPROTO_TCP, opts[i].opt, &v, sizeof(v)) < 0)
			fail(errno, "cannot set %s to %d", opts[i].name, v);
	}
}

static socklen_t make_addr(const struct endpoint_args *a, struct sockaddr_storage *ss, bool any)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == FAMILY_IPV6) {
		struct sockaddr_in6 *s6 = (void *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		if (!any)
			inet_pton(AF_INET6, a->server_addr, &s6->sin6_addr);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (void *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(a->port);
	if (!any)
		inet_pton(AF_INET, a->server_addr, &s4->sin_addr);
	return sizeof(*s4);
}

enum waited { WAIT_READY, WAIT_TIMEOUT, WAIT_STOPPED };

/* Wait for @events on @fd (-1 ms: for ever) while watching the control socket. */
static enum waited wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p[2] = { { fd, events, 0 }, { CTL_FD, POLLIN, 0 } };

	for (;;) {
		int r = poll(p, 2, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			fail(errno, "cannot %s", "poll");
		if (r == 0)
			return WAIT_TIMEOUT;
		return p[1].revents ? WAIT_STOPPED : WAIT_READY;
	}
}

/*
 * Stopped (or orphaned) before the connection existed. Where the connect is
 * part of the story, that is the side's result: it noticed nothing.
 */
static void NORETURN before_connection(struct child *ep)
{
	if (!ep->a->listening)
		_exit(0);
	finish(ep, OUTCOME_NONE, 0, mono_ns());
}

static int open_socket(const struct endpoint_args *a)
{
	int s = socket(a->family == FAMILY_IPV6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		fail(errno, "cannot create a %s socket", "TCP");
	return s;
}

static int serve(struct child *ep)
{
	const struct endpoint_args *a = ep->a;
	struct sockaddr_storage ss;
	socklen_t len = make_addr(a, &ss, true);
	int one = 1, ls = open_socket(a), s;

	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&ss, len) < 0)
		fail(errno, "cannot bind the server to port %u", a->port);
	if (listen(ls, 4) < 0)
		fail(errno, "cannot %s", "listen");
	struct ep_msg m = { .type = EP_LISTENING, .r.ts_ns = mono_ns() };
	send_msg(&m);
	if (wait_fd(ls, POLLIN, -1) == WAIT_STOPPED)
		before_connection(ep);
	s = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	if (s < 0)
		fail(errno, "cannot %s", "accept");
	close(ls);
	set_options(s, a->cfg);
	return s;
}

/*
 * A failed connect where the connect is part of the story: refused (the
 * SYN met a reset), or the kernel gave up (ETIMEDOUT, or the soft error it
 * holds, such as EHOSTUNREACH from a router). Anything else is a failure
 * of the run.
 */
static void NORETURN connect_failed(struct child *ep, int err, int64_t ts)
{
	enum outcome o = OUTCOME_REFUSED;

	if (err != ECONNREFUSED && (outcome_from_errno(err, &o) < 0 || o != OUTCOME_TIMEOUT))
		fail(err, "cannot connect to %s", ep->a->server_addr);
	finish(ep, o, err, ts);
}

static int dial(struct child *ep)
{
	const struct endpoint_args *a = ep->a;
	struct sockaddr_storage ss;
	socklen_t len = make_addr(a, &ss, false);
	int err = 0;

	ep->sock = open_socket(a);
	set_options(ep->sock, a->cfg);
	fcntl(ep->sock, F_SETFL, O_NONBLOCK);
	/* A connect that fails at once never left SYN-SENT either (2: TCP_SYN_SENT, which linux/tcp.h lacks). */
	ep->before.state = 2;
	if (connect(ep->sock, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
		if (a->listening)
			connect_failed(ep, errno, mono_ns());
		fail(errno, "cannot connect to %s", a->server_addr);
	}
	/* In SYN-SENT: what the classification sees if the connect fails (a reset may already have closed it). */
	snapshot(ep->sock, &ep->before);
	ep->before.state = 2;
	switch (wait_fd(ep->sock, POLLOUT, a->listening ? -1 : CONNECT_TIMEOUT_MS)) {
	case WAIT_READY:
		break;
	case WAIT_TIMEOUT:
		fail(ETIMEDOUT, "cannot connect to %s", a->server_addr);
	case WAIT_STOPPED:
		before_connection(ep);
	}
	int64_t ts = mono_ns();
	len = sizeof(err);
	getsockopt(ep->sock, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err && a->listening)
		connect_failed(ep, err, ts);
	if (err)
		fail(err, "cannot connect to %s", a->server_addr);
	return ep->sock;
}

static void queue_frame(struct child *ep, enum frame_type t, size_t payload)
{
	if (ep->tx_len + FRAME_HDR + payload > sizeof(ep->tx))
		return;		/* the peer stopped reading; nothing more fits */
	uint8_t *f = ep->tx + ep->tx_len;
	f[0] = (uint8_t)t;
	f[1] = 0;
	f[2] = (uint8_t)(payload >> 8);
	f[3] = (uint8_t)payload;
	memset(f + FRAME_HDR, 0x5a, payload);
	ep->tx_len += FRAME_HDR + payload;
}

static void flush(struct child *ep)
{
	while (ep->tx_len) {
		ssize_t n = send(ep->sock, ep->tx, ep->tx_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		int64_t now = mono_ns();
		if (n < 0) {
			enum outcome o;
			if (errno == EAGAIN || errno == EINTR)
				return;
			if (outcome_from_errno(errno, &o) < 0)
				fail(errno, "unexpected error from %s", "send");
			finish(ep, o, errno, now);
		}
		memmove(ep->tx, ep->tx + n, ep->tx_len - (size_t)n);
		ep->tx_len -= (size_t)n;
	}
}

static void handle_frames(struct child *ep, int64_t now)
{
	size_t off = 0;

	while (ep->rx_len - off >= FRAME_HDR) {
		const uint8_t *f = ep->rx + off;
		size_t payload = (size_t)f[2] << 8 | f[3];
		if (ep->rx_len - off < FRAME_HDR + payload)
			break;
		switch (f[0]) {
		case F_REQUEST:
			queue_frame(ep, F_ANSWER, payload);
			break;
		case F_PING:
			queue_frame(ep, F_PONG, payload);
			break;
		case F_ANSWER:
			ep->awaiting = false;
			break;
		case F_PONG:
			ep->last_pong_ns = now;
			break;
		default:
			break;
		}
		off += FRAME_HDR + payload;
	}
	memmove(ep->rx, ep->rx + off, ep->rx_len - off);
	ep->rx_len -= off;
}

static void drain(struct child *ep)
{
	for (;;) {
		ssize_t n = recv(ep->sock, ep->rx + ep->rx_len, sizeof(ep->rx) - ep->rx_len, MSG_DONTWAIT);
		int64_t now = mono_ns();
		if (n > 0) {
			ep->last_rx_ns = now;
			ep->rx_len += (size_t)n;
			handle_frames(ep, now);
			continue;
		}
		if (n == 0)
			finish(ep, OUTCOME_FIN, 0, now);
		if (errno == EAGAIN || errno == EINTR)
			return;
		enum outcome o;
		if (outcome_from_errno(errno, &o) < 0)
			fail(errno, "unexpected error from %s", "recv");
		finish(ep, o, errno, now);
	}
}

static void tick(struct child *ep, int64_t now)
{
	const struct side_cfg *c = ep->a->cfg;
	size_t payload = (size_t)c->size - FRAME_HDR;

	switch (c->traffic) {
	case TRAFFIC_IDLE:
	case TRAFFIC_COUNT:
		return;
	case TRAFFIC_STREAM:
		if (!ep->tx_len)	/* the kernel took the last write: write again */
			queue_frame(ep, F_DATA, payload);
		break;
	case TRAFFIC_REQUEST:
		if (!ep->awaiting) {
			queue_frame(ep, F_REQUEST, payload);
			ep->awaiting = true;
		}
		break;
	case TRAFFIC_HEARTBEAT:
		queue_frame(ep, F_PING, 0);
		break;
	}
	ep->next_tx_ns += c->interval_ms * 1000000;
	if (ep->next_tx_ns <= now)
		ep->next_tx_ns = now + c->interval_ms * 1000000;
}

static void NORETURN run_connection(struct child *ep)
{
	const struct side_cfg *c = ep->a->cfg;
	int64_t start = mono_ns();

	fcntl(ep->sock, F_SETFL, O_NONBLOCK);
	ep->last_pong_ns = start;
	ep->next_tx_ns = start;
	snapshot(ep->sock, &ep->before);
	struct ep_msg m = { .type = EP_ESTABLISHED, .r.ts_ns = start };
	send_msg(&m);

	for (;;) {
		int64_t now = mono_ns(), wake = INT64_MAX;
		struct pollfd p[2] = {
			{ CTL_FD, POLLIN, 0 },
			{ ep->sock, (short)(POLLIN | (ep->tx_len ? POLLOUT : 0)), 0 },
		};

		if (c->traffic != TRAFFIC_IDLE)
			wake = ep->next_tx_ns;
		if (c->traffic == TRAFFIC_HEARTBEAT && ep->last_pong_ns + c->heartbeat_timeout_ms * 1000000 < wake)
			wake = ep->last_pong_ns + c->heartbeat_timeout_ms * 1000000;
		struct timespec ts, *tp = NULL;
		if (wake != INT64_MAX) {
			int64_t d = wake > now ? wake - now : 0;
			ts = (struct timespec){ d / 1000000000, d % 1000000000 };
			tp = &ts;
		}
		int r = ppoll(p, 2, tp, NULL);
		if (r < 0 && errno != EINTR)
			fail(errno, "cannot %s", "poll");
		if (r > 0 && p[0].revents) {
			/* Stop (or the harness is gone): report what we believe now. */
			finish(ep, OUTCOME_NONE, 0, mono_ns());
		}
		if (r > 0 && (p[1].revents & (POLLIN | POLLERR | POLLHUP)))
			drain(ep);
		now = mono_ns();
		if (c->traffic == TRAFFIC_HEARTBEAT && now >= ep->last_pong_ns + c->heartbeat_timeout_ms * 1000000)
			finish(ep, OUTCOME_HEARTBEAT, 0, now);
		if (c->traffic != TRAFFIC_IDLE && now >= ep->next_tx_ns)
			tick(ep, now);
		if (ep->tx_len)
			flush(ep);
		snapshot(ep->sock, &ep->before);
	}
}

static void NORETURN endpoint_main(const struct endpoint_args *a)
{
	static struct child ep;	/* large buffers: keep them off the stack */

	ep.a = a;
	ep.sock = -1;
	ep.sock = a->side == HOST_SERVER ? serve(&ep) : dial(&ep);
	ep.connected = true;
	run_connection(&ep);
}

static pid_t spawn(const struct endpoint_args *a, int *ctl)
{
	int sv[2];
	pid_t parent = getpid(), pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int err = errno;
		close(sv[0]);
		close(sv[1]);
		return -err;
	}
	if (pid > 0) {
		close(sv[1]);
		*ctl = sv[0];
		return pid;
	}

	/* Child: die with the harness, even if it is SIGKILLed. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	if (dup2(sv[1], CTL_FD) < 0)
		_exit(1);
	if (netns_enter(a->nsfd) < 0)
		fail(errno, "cannot enter the namespace of the %s", host_name(a->side));
	close_range(CTL_FD + 1, ~0U, 0);
	endpoint_main(a);
}

/* ---- the harness's side: struct endpoint_ops over the control socket ---- */

static int builtin_start(struct endpoint *ep, const struct endpoint_args *a, char *err, size_t len)
{
	pid_t pid = spawn(a, &ep->fd);

	if (pid < 0) {
		snprintf(err, len, "%s", strerror((int)-pid));
		return (int)pid;
	}
	ep->pid = pid;
	return 0;
}

static int builtin_observe(struct endpoint *ep, struct ep_msg *m)
{
	ssize_t n;

	if (ep->fd < 0)
		return -1;
	n = recv(ep->fd, m, sizeof(*m), MSG_DONTWAIT);
	/*
	 * An endpoint that exits with our stop command unread makes the
	 * kernel flag ECONNRESET first; its messages are still queued behind.
	 */
	if (n < 0 && errno == ECONNRESET)
		n = recv(ep->fd, m, sizeof(*m), MSG_DONTWAIT);
	if (n == (ssize_t)sizeof(*m))
		return 1;
	if (n < 0 && errno == EAGAIN)
		return 0;
	close(ep->fd);
	ep->fd = -1;
	return -1;
}

static int builtin_ready(struct endpoint *ep, enum ep_msg_type want, int timeout_ms, struct ep_msg *m)
{
	int64_t end = mono_ns() + (int64_t)timeout_ms * 1000000;

	while (ep->fd >= 0) {
		int64_t left = (end - mono_ns()) / 1000000;
		struct pollfd p = { ep->fd, POLLIN, 0 };

		if (left <= 0)
			break;
		if (poll(&p, 1, (int)left) <= 0 || builtin_observe(ep, m) <= 0)
			continue;
		if (m->type == EP_ERROR)
			return -1;
		if (m->type == want)
			return 0;
		if (m->type == EP_RESULT)
			return 1;
	}
	m->type = EP_ERROR;
	snprintf(m->text, sizeof(m->text), "did not get %s within %d ms",
		 want == EP_LISTENING ? "to listen" : "connected", timeout_ms);
	return -1;
}

static int builtin_stop(struct endpoint *ep)
{
	enum ep_cmd cmd = EP_CMD_STOP;

	if (ep->fd < 0)
		return -ENOTCONN;
	return send(ep->fd, &cmd, sizeof(cmd), MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static int builtin_signal(struct endpoint *ep, int sig)
{
	if (ep->pid <= 0)
		return -ESRCH;
	return kill(ep->pid, sig) < 0 ? -errno : 0;
}

static void builtin_release(struct endpoint *ep)
{
	if (ep->pid > 0) {
		kill(ep->pid, SIGKILL);
		while (waitpid(ep->pid, NULL, 0) < 0 && errno == EINTR)
			;
		ep->pid = 0;
	}
	if (ep->fd >= 0)
		close(ep->fd);
	ep->fd = -1;
}

const struct endpoint_ops endpoint_builtin = {
	.name = "builtin",
	.start = builtin_start, .ready = builtin_ready, .observe = builtin_observe,
	.stop = builtin_stop, .signal = builtin_signal, .release = builtin_release,
};
