// SPDX-License-Identifier: MIT
/*
 * Integration tests (root): sockwatch against the real kernel, in the run
 * topology. A server process in the server host and a client process in the
 * client host, both plain sockets in forked children, stand in for the
 * unmodified programs; the watch is on the server host, port 7000. Each case
 * runs with each observer:
 *
 *  - fin: the client is killed; the server sees CLOSE_WAIT, its read()
 *    returns 0 (eof), a send() after its own shutdown fails with EPIPE, it
 *    closes the socket;
 *  - keepalive: the server has keepalive 1 s/1 s/1, the client's cable is
 *    pulled; the keepalive timer gives up with ETIMEDOUT, the blocked read()
 *    returns it, and the server exits without closing.
 *
 * Beside the watch under test runs a second eBPF watch: on the client host
 * when the first is eBPF (two programs loaded at once, each seeing only its
 * own namespace), on the server host when the first is the fallback (the
 * kernel's timestamps for the fallback's lag, and the same cookies). The
 * lags from a kernel event to sockwatch_read returning it, and how long
 * sockwatch_open takes, are printed, not asserted.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "common.h"
#include "netns.h"
#include "sockwatch.h"
#include "test_run.h"
#include "topology.h"

#define PORT 7000

struct sw_case;
#define MAX_EVENTS 512

/* One watch and everything it said, with when sockwatch_read returned each event. */
struct watch {
	const char *name;
	struct sockwatch *w;
	size_t n;
	struct sw_event ev[MAX_EVENTS];
	int64_t read_ns[MAX_EVENTS];
};

/* What a child tells the test, through its pipe. */
enum stage { ST_LISTENING, ST_ACCEPTED, ST_CONNECTED, ST_READ };

struct report {
	enum stage stage;
	int64_t ret;		/* ST_READ: what read() returned */
	int err;		/* ... and its errno */
	uint16_t port;		/* ST_CONNECTED: the client's port */
};

struct fixture {
	const struct sw_case *c;	/* what the test runs */
	struct topology t;
	struct watch main, other;	/* the watch under test, the second eBPF one */
	pid_t server, client;
	int server_out, client_out;	/* the children's reports */
	int server_go, client_go;	/* ... and the test's word to them */
};

static const char *const state_names[] = {
	"0", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
	"CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV",
};

static const char *state_name(unsigned s)
{
	return s < ARRAY_SIZE(state_names) ? state_names[s] : "?";
}

/* ---- the children ---- */

static void tell(int fd, enum stage stage, int64_t ret, int err, uint16_t port)
{
	struct report r = { stage, ret, err, port };

	if (write(fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(3);
}

static void must(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "test child: %s: %s\n", what, strerror(errno));
		_exit(2);
	}
}

/* How a child's socket is made. */
enum { CHILD_KEEPALIVE = 1, CHILD_V6 = 2 };

/* @addr (NULL: any) and @PORT, as a socket address of the family @flags say. */
static socklen_t sockaddr_of(struct sockaddr_storage *ss, int flags, const char *addr)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (flags & CHILD_V6) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(PORT);
		if (addr)
			inet_pton(AF_INET6, addr, &a6->sin6_addr);
		return sizeof(*a6);
	}
	a4->sin_family = AF_INET;
	a4->sin_port = htons(PORT);
	if (addr)
		inet_pton(AF_INET, addr, &a4->sin_addr);
	return sizeof(*a4);
}

/*
 * Listen on @PORT, accept one connection, then block in read() and report
 * what it returned. Without keepalive it reads only when @go says so, so
 * that CLOSE_WAIT lasts long enough for the fallback's dumps to see it;
 * with keepalive it exits when @go says so, so that the socket's end is
 * not the process's.
 */
static NORETURN void server_child(int nsfd, int out, int go, int flags)
{
	struct sockaddr_storage a;
	socklen_t len = sockaddr_of(&a, flags, NULL);
	int one = 1, l, c;
	char b;

	must(netns_enter(nsfd) == 0, "setns");
	l = socket(a.ss_family, SOCK_STREAM, 0);
	must(l >= 0, "socket");
	must(setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0, "SO_REUSEADDR");
	must(bind(l, (struct sockaddr *)&a, len) == 0, "bind");
	must(listen(l, 1) == 0, "listen");
	tell(out, ST_LISTENING, 0, 0, 0);
	c = accept(l, NULL, NULL);
	must(c >= 0, "accept");
	if (flags & CHILD_KEEPALIVE) {
		must(setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) == 0, "SO_KEEPALIVE");
		must(setsockopt(c, IPPROTO_TCP, TCP_KEEPIDLE, &one, sizeof(one)) == 0, "TCP_KEEPIDLE");
		must(setsockopt(c, IPPROTO_TCP, TCP_KEEPINTVL, &one, sizeof(one)) == 0, "TCP_KEEPINTVL");
		must(setsockopt(c, IPPROTO_TCP, TCP_KEEPCNT, &one, sizeof(one)) == 0, "TCP_KEEPCNT");
	}
	tell(out, ST_ACCEPTED, 0, 0, 0);
	if (!(flags & CHILD_KEEPALIVE))
		must(read(go, &b, 1) == 1, "waiting for the test");
	ssize_t n = read(c, &b, 1);
	tell(out, ST_READ, n, n < 0 ? errno : 0, 0);
	/* With keepalive the descriptor goes with the process, when the test says. */
	if (flags & CHILD_KEEPALIVE) {
		must(read(go, &b, 1) == 1, "waiting for the test");
		_exit(0);
	}
	/* A write-family failure that needs no timing: sending after our own shutdown is EPIPE. */
	must(shutdown(c, SHUT_WR) == 0, "shutdown");
	must(send(c, "x", 1, MSG_NOSIGNAL) < 0 && errno == EPIPE, "send after shutdown");
	close(c);
	_exit(0);
}

/* Connect to the server, report its port, and stay until killed. */
static NORETURN void client_child(int nsfd, int out, int go, int flags)
{
	struct sockaddr_storage to, me;
	socklen_t len = sockaddr_of(&to, flags, topo_addr(TOPO_SERVER, flags & CHILD_V6)), melen = sizeof(me);
	int s;

	must(netns_enter(nsfd) == 0, "setns");
	s = socket(to.ss_family, SOCK_STREAM, 0);
	must(s >= 0, "socket");
	must(connect(s, (struct sockaddr *)&to, len) == 0, "connect");
	must(getsockname(s, (struct sockaddr *)&me, &melen) == 0, "getsockname");
	/* sin_port and sin6_port are at the same place. */
	tell(out, ST_CONNECTED, 0, 0, ntohs(((struct sockaddr_in *)&me)->sin_port));
	for (;;)
		pause();
}

/* Fork a child running @fn(@nsfd, its report pipe, its go pipe, @flags): its pid, with the pipes' other ends. */
static pid_t spawn(int *out, int *go, void (*fn)(int, int, int, int), int nsfd, int flags)
{
	int rp[2], gp[2];
	pid_t pid;

	assert_int_equal(pipe2(rp, O_CLOEXEC), 0);
	assert_int_equal(pipe2(gp, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(rp[0]);
		close(gp[1]);
		fn(nsfd, rp[1], gp[0], flags);
		_exit(0);
	}
	close(rp[1]);
	close(gp[0]);
	*out = rp[0];
	*go = gp[1];
	return pid;
}

static struct report await_child(int fd, enum stage stage, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct report r;

	if (poll(&p, 1, timeout_ms) != 1)
		fail_msg("the child did not reach stage %d within %d ms", stage, timeout_ms);
	if (read(fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		fail_msg("the child died before stage %d", stage);
	assert_int_equal(r.stage, stage);
	return r;
}

/* ---- watching ---- */

static void print_event(const struct watch *wt, size_t i)
{
	const struct sw_event *ev = &wt->ev[i];
	char s[INET6_ADDRSTRLEN] = "?", d[INET6_ADDRSTRLEN] = "?";

	inet_ntop(ev->family, ev->saddr, s, sizeof(s));
	inet_ntop(ev->family, ev->daddr, d, sizeof(d));
	print_message("    %-13s %-8s %s:%u>%s:%u cookie=%llu", wt->name, sw_type_name(ev->type), s, ev->sport, d,
		      ev->dport, (unsigned long long)ev->cookie);
	if (ev->type == SW_STATE)
		print_message(" %s->%s", state_name(ev->old_state), state_name(ev->new_state));
	if (ev->type == SW_ERROR || ev->type == SW_SYSCALL)
		print_message(" err=%s", ev->err ? errno_name(ev->err) : "0");
	if (ev->type == SW_SYSCALL)
		print_message(" nr=%d ret=%lld", ev->sys_nr, (long long)ev->sys_ret);
	if (ev->type == SW_SYSCALL || ev->type == SW_DESTROY)
		print_message(" pid=%u exiting=%d", ev->pid, ev->exiting);
	print_message(" ka=%d/%u/%u/%u probes=%u lag=%.3fms\n", ev->tcp.keepalive, ev->tcp.keepidle_ms,
		      ev->tcp.keepintvl_ms, ev->tcp.keepcnt, ev->tcp.probes_out,
		      (double)(wt->read_ns[i] - ev->ts_ns) / 1e6);
}

static void drain(struct watch *wt)
{
	struct sw_event ev;
	int ret;

	if (!wt->w)
		return;
	while ((ret = sockwatch_read(wt->w, &ev)) == 1) {
		if (wt->n == MAX_EVENTS)
			fail_msg("%s: more than %d events", wt->name, MAX_EVENTS);
		wt->read_ns[wt->n] = mono_ns();
		wt->ev[wt->n] = ev;
		print_event(wt, wt->n++);
	}
	if (ret < 0)
		fail_msg("%s: sockwatch_read: %s", wt->name, strerror(-ret));
}

/* Wait up to @timeout_ms for either watch's descriptor, then read everything pending. */
static void pump(struct fixture *f, int timeout_ms)
{
	struct pollfd p[2] = { { .fd = sockwatch_fd(f->main.w), .events = POLLIN },
			       { .fd = f->other.w ? sockwatch_fd(f->other.w) : -1, .events = POLLIN } };

	poll(p, 2, timeout_ms);
	drain(&f->main);
	drain(&f->other);
}

#define ANY -1

struct want {
	enum sw_type type;
	int new_state;		/* SW_STATE */
	uint64_t cookie;	/* 0: any */
	int sys_nr;
};

static bool matches(const struct sw_event *ev, const struct want *m)
{
	return ev->type == m->type && (m->new_state == ANY || ev->new_state == m->new_state) &&
	       (!m->cookie || ev->cookie == m->cookie) && (m->sys_nr == ANY || ev->sys_nr == m->sys_nr);
}

/* The first event of @wt like @m, waiting up to @timeout_ms for it; NULL if none came. */
static const struct sw_event *wait_event(struct fixture *f, struct watch *wt, struct want m, int timeout_ms)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;

	for (;;) {
		for (size_t i = 0; i < wt->n; i++)
			if (matches(&wt->ev[i], &m))
				return &wt->ev[i];
		int64_t left = deadline - mono_ns();
		if (left <= 0)
			return NULL;
		pump(f, (int)(left / 1000000) + 1);
	}
}

/* The same, and the test fails if none came. */
static const struct sw_event *expect(struct fixture *f, struct watch *wt, struct want m, int timeout_ms,
				     const char *what)
{
	const struct sw_event *ev = wait_event(f, wt, m, timeout_ms);

	if (!ev)
		fail_msg("%s: no %s event within %d ms", wt->name, what, timeout_ms);
	return ev;
}

/* How long after the kernel event sockwatch_read returned it (@ref: the kernel's event, for the fallback). */
static double lag_ms(const struct watch *wt, const struct sw_event *ev, const struct sw_event *ref)
{
	return (double)(wt->read_ns[ev - wt->ev] - (ref ? ref : ev)->ts_ns) / 1e6;
}

static bool is_ebpf(const struct watch *wt)
{
	return sockwatch_kind(wt->w) == SW_EBPF;
}

static void open_watch(struct watch *wt, const char *name, int nsfd, const char *observer)
{
	char err[512];
	int64_t t0 = mono_ns();
	int ret;

	setenv("DEADPEER_OBSERVER", observer, 1);
	ret = sockwatch_open(&wt->w, nsfd, PORT, err, sizeof(err));
	unsetenv("DEADPEER_OBSERVER");
	if (ret < 0)
		fail_msg("sockwatch_open (%s): %s", observer, err);
	wt->name = name;
	assert_int_equal(sockwatch_kind(wt->w), strcmp(observer, "ebpf") == 0 ? SW_EBPF : SW_SOCK_DIAG);
	/* Asked for by name: no fallback, so nothing to explain. */
	assert_string_equal(err, "");
	print_message("  sockwatch_open %s: %.1f ms\n", name, (double)(mono_ns() - t0) / 1e6);
}

static bool case_v6(const struct sw_case *c);

/* @state holds the case the test runs, and then the fixture: a topology of the case's family. */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[512];

	assert_non_null(f);
	f->c = *state;
	if (topology_create(&f->t, case_v6(f->c) ? TOPO_IPV6 : 0, err, sizeof(err)) < 0)
		fail_msg("topology_create: %s", err);
	f->server = f->client = -1;
	f->server_out = f->client_out = f->server_go = f->client_go = -1;
	*state = f;
	return 0;
}

static void reap(pid_t *pid, int *out, int *go)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
	}
	if (*out >= 0)
		close(*out);
	if (*go >= 0)
		close(*go);
	*pid = *out = *go = -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	reap(&f->server, &f->server_out, &f->server_go);
	reap(&f->client, &f->client_out, &f->client_go);
	sockwatch_close(f->main.w);
	sockwatch_close(f->other.w);
	topology_destroy(&f->t);
	free(f);
	return 0;
}

/*
 * Open the watches, start the server and the client; returns the server's
 * ESTABLISHED event (its cookie names the connection from then on).
 */
static struct sw_event connect_pair(struct fixture *f, const char *observer, int flags)
{
	int server_ns = f->t.host[TOPO_SERVER].nsfd, client_ns = f->t.host[TOPO_CLIENT].nsfd;
	bool v6 = flags & CHILD_V6;
	const struct sw_event *ev;
	struct want m = { SW_STATE, TCP_LISTEN, 0, ANY };
	uint8_t server_addr[16], client_addr[16];
	size_t addr_len = v6 ? 16 : 4;

	open_watch(&f->main, strcmp(observer, "ebpf") == 0 ? "ebpf@server" : "diag@server", server_ns, observer);
	if (is_ebpf(&f->main))
		open_watch(&f->other, "ebpf@client", client_ns, "ebpf");
	else
		open_watch(&f->other, "ebpf@server", server_ns, "ebpf");

	f->server = spawn(&f->server_out, &f->server_go, server_child, server_ns, flags);
	await_child(f->server_out, ST_LISTENING, 2000);
	ev = expect(f, &f->main, m, 1000, "LISTEN");
	assert_int_equal(ev->sport, PORT);

	f->client = spawn(&f->client_out, &f->client_go, client_child, client_ns, flags);
	uint16_t client_port = await_child(f->client_out, ST_CONNECTED, 2000).port;
	m.new_state = TCP_ESTABLISHED;
	ev = expect(f, &f->main, m, 1000, "ESTABLISHED");
	inet_pton(v6 ? AF_INET6 : AF_INET, topo_addr(TOPO_SERVER, v6), server_addr);
	inet_pton(v6 ? AF_INET6 : AF_INET, topo_addr(TOPO_CLIENT, v6), client_addr);
	assert_int_equal(ev->family, v6 ? AF_INET6 : AF_INET);
	assert_int_equal(ev->sport, PORT);
	assert_int_equal(ev->dport, client_port);
	assert_memory_equal(ev->saddr, server_addr, addr_len);
	assert_memory_equal(ev->daddr, client_addr, addr_len);
	assert_true(ev->cookie != 0);
	await_child(f->server_out, ST_ACCEPTED, 2000);
	return *ev;
}

/* Every event of the watch under test is about the server's sockets; the other's, about its own. */
static void check_namespaces(struct fixture *f, uint64_t cookie)
{
	struct want m = { SW_STATE, TCP_ESTABLISHED, 0, ANY };

	for (size_t i = 0; i < f->main.n; i++)
		assert_int_equal(f->main.ev[i].sport, PORT);
	if (is_ebpf(&f->main)) {
		/* The client host's watch saw the client's end, and only that. */
		for (size_t i = 0; i < f->other.n; i++)
			assert_int_equal(f->other.ev[i].dport, PORT);
		assert_true(expect(f, &f->other, m, 0, "client ESTABLISHED")->cookie != cookie);
	} else {
		/* Both observers name the connection by the same cookie. */
		m.cookie = cookie;
		expect(f, &f->other, m, 0, "ESTABLISHED with the fallback's cookie");
	}
}

/* The fallback's events against the kernel's: the same event of the eBPF watch beside it. */
static const struct sw_event *kernel_twin(struct fixture *f, const struct sw_event *ev)
{
	struct want m = { ev->type, ev->type == SW_STATE ? ev->new_state : ANY, ev->cookie, ANY };

	return is_ebpf(&f->main) ? NULL : expect(f, &f->other, m, 1000, "the kernel's twin");
}

/* A case returns false when the kernel's event it waits for missed eBPF (README "When the observer misses the end"). */
static bool fin(struct fixture *f, const char *observer, int flags)
{
	struct sw_event est;
	const struct sw_event *ev;
	struct want m;

	est = connect_pair(f, observer, flags);
	pid_t server = f->server;

	kill(f->client, SIGKILL);
	m = (struct want){ SW_STATE, TCP_CLOSE_WAIT, est.cookie, ANY };
	ev = expect(f, &f->main, m, 2000, "CLOSE_WAIT");
	assert_int_equal(ev->old_state, TCP_ESTABLISHED);
	print_message("  lag CLOSE_WAIT (%s): %.3f ms\n", observer, lag_ms(&f->main, ev, kernel_twin(f, ev)));

	/* The watch first, the child's report after: the lags are the watch's alone. */
	assert_int_equal(write(f->server_go, "r", 1), 1);
	if (is_ebpf(&f->main)) {
		m = (struct want){ SW_SYSCALL, ANY, est.cookie, SYS_read };
		ev = expect(f, &f->main, m, 1000, "read() eof");
		assert_int_equal(ev->sys_ret, 0);
		assert_int_equal(ev->err, 0);
		assert_int_equal(ev->pid, server);
		assert_int_equal(ev->tid, server);
		print_message("  lag read() eof: %.3f ms\n", lag_ms(&f->main, ev, NULL));
		m.sys_nr = SYS_sendto;
		ev = expect(f, &f->main, m, 1000, "send() error");
		assert_int_equal(ev->err, EPIPE);
		assert_int_equal(ev->sys_ret, -EPIPE);
		assert_int_equal(ev->pid, server);
		m.sys_nr = SYS_close;
		ev = expect(f, &f->main, m, 1000, "close()");
		assert_int_equal(ev->pid, server);
	}
	/* Closed in CLOSE_WAIT: LAST_ACK, the client's kernel acknowledges the FIN, the socket is freed. */
	m = (struct want){ SW_DESTROY, ANY, est.cookie, ANY };
	ev = expect(f, &f->main, m, 2000, "destroy");
	print_message("  lag destroy (%s): %.3f ms\n", observer, lag_ms(&f->main, ev, kernel_twin(f, ev)));
	assert_int_equal(await_child(f->server_out, ST_READ, 2000).ret, 0);
	check_namespaces(f, est.cookie);
	return true;
}

static bool keepalive(struct fixture *f, const char *observer, int flags)
{
	struct sw_event est;
	const struct sw_event *ev;
	char err[256];
	struct want m;

	est = connect_pair(f, observer, flags | CHILD_KEEPALIVE);
	pid_t server = f->server;

	/* Nothing leaves the client host any more, and nothing reaches it: the probe goes unanswered. */
	if (topology_unplug(&f->t, TOPO_CLIENT, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	int64_t unplugged = mono_ns();
	m = (struct want){ SW_STATE, TCP_CLOSE, est.cookie, ANY };
	ev = wait_event(f, &f->main, m, 5000);
	if (!ev && is_ebpf(&f->main)) {
		/*
		 * The kernel gave up (the blocked read() says so, from the
		 * process) but none of its abort's tracepoints reached the
		 * programs: the rare miss deadpeer detects and runs again.
		 */
		m = (struct want){ SW_SYSCALL, ANY, est.cookie, SYS_read };
		ev = expect(f, &f->main, m, 1000, "CLOSE (nor read() error)");
		assert_int_equal(ev->err, ETIMEDOUT);
		print_message("  the kernel ended the connection (read() failed with ETIMEDOUT), no CLOSE reached eBPF\n");
		return false;
	}
	if (!ev)
		fail_msg("%s: no CLOSE event within 5000 ms", f->main.name);
	assert_int_equal(ev->old_state, TCP_ESTABLISHED);
	/* The fallback knows keepalive is on from its pending timer; the settings only eBPF reads. */
	assert_true(ev->tcp.keepalive);
	print_message("  CLOSE %.0f ms after the unplug; lag (%s): %.3f ms\n", (double)(ev->ts_ns - unplugged) / 1e6,
		      observer, lag_ms(&f->main, ev, kernel_twin(f, ev)));
	if (is_ebpf(&f->main)) {
		assert_int_equal(ev->tcp.keepidle_ms, 1000);
		assert_int_equal(ev->tcp.keepintvl_ms, 1000);
		assert_int_equal(ev->tcp.keepcnt, 1);
		m = (struct want){ SW_ERROR, ANY, est.cookie, ANY };
		ev = expect(f, &f->main, m, 1000, "error");
		assert_int_equal(ev->err, ETIMEDOUT);
		assert_true(ev->tcp.keepalive);
		assert_int_equal(ev->tcp.keepidle_ms, 1000);
		assert_int_equal(ev->tcp.keepcnt, 1);
		assert_int_equal(ev->tcp.probes_out, 1);
		print_message("  lag error: %.3f ms\n", lag_ms(&f->main, ev, NULL));
	}
	if (is_ebpf(&f->main)) {
		m = (struct want){ SW_SYSCALL, ANY, est.cookie, SYS_read };
		ev = expect(f, &f->main, m, 1000, "read() error");
		assert_int_equal(ev->err, ETIMEDOUT);
		assert_int_equal(ev->sys_ret, -ETIMEDOUT);
		assert_int_equal(ev->pid, server);
		print_message("  lag read() error: %.3f ms\n", lag_ms(&f->main, ev, NULL));
	}
	struct report r = await_child(f->server_out, ST_READ, 2000);
	assert_int_equal(r.ret, -1);
	assert_int_equal(r.err, ETIMEDOUT);
	/* The server exits with the socket open: the kernel frees it as the process goes. */
	assert_int_equal(write(f->server_go, "x", 1), 1);
	m = (struct want){ SW_DESTROY, ANY, est.cookie, ANY };
	ev = expect(f, &f->main, m, 2000, "destroy");
	if (is_ebpf(&f->main)) {
		assert_true(ev->exiting);
		assert_int_equal(ev->pid, server);
	}
	check_namespaces(f, est.cookie);
	return true;
}

/* Each case with each observer; IPv6 once more for fin, the addresses being read from other fields. */
static const struct sw_case {
	const char *name;
	bool (*run)(struct fixture *f, const char *observer, int flags);
	const char *observer;
	int flags;
} cases[] = {
	{ "fin_ebpf", fin, "ebpf", 0 },
	{ "fin_sock_diag", fin, "sock_diag", 0 },
	{ "fin_ipv6_ebpf", fin, "ebpf", CHILD_V6 },
	{ "fin_ipv6_sock_diag", fin, "sock_diag", CHILD_V6 },
	{ "keepalive_ebpf", keepalive, "ebpf", 0 },
	{ "keepalive_sock_diag", keepalive, "sock_diag", 0 },
};

static bool case_v6(const struct sw_case *c)
{
	return c->flags & CHILD_V6;
}

/* As deadpeer does with a run: a case whose kernel event missed eBPF is tried again, in a new topology. */
#define CASE_ATTEMPTS 3

static void test_case(void **state)
{
	const struct sw_case *c = ((struct fixture *)*state)->c;

	for (int attempt = 1; !c->run(*state, c->observer, c->flags); attempt++) {
		if (attempt == CASE_ATTEMPTS)
			fail_msg("%s: the kernel's event missed eBPF %d times in a row", c->name, CASE_ATTEMPTS);
		print_message("  %s again (try %d of %d)\n", c->name, attempt + 1, CASE_ATTEMPTS);
		teardown(state);
		*state = (void *)c;
		setup(state);
	}
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(cases)];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		tests[i] = (struct CMUnitTest){ cases[i].name, test_case, setup, teardown, (void *)&cases[i] };
	return run_as_root(tests);
}
