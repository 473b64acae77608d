// SPDX-License-Identifier: MIT
/*
 * sockwatch.h's two observers: the BPF programs of bpf/sockwatch.bpf.c
 * through a ring buffer, or sock_diag dumps and destroy notifications. Both
 * decode into one queue of events, which sockwatch_read pops, so the caller
 * sees one kind of stream whichever observer fills it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "common.h"
#include "netns.h"
#include "sockwatch.h"
/* The skeleton holds the BPF object as one long string literal. */
#pragma GCC diagnostic ignored "-Woverlength-strings"
#include "sockwatch.skel.h"

/* How often the fallback looks at the sockets: a transition shorter than this can be missed. */
#define DIAG_PERIOD_NS (5 * 1000 * 1000)

/*
 * TCP states are the kernel's numbers; no uapi header but linux/bpf.h names
 * them all (BPF_TCP_*, the same values), and netinet/tcp.h cannot be
 * included with linux/tcp.h, whose tcp_info is the complete one.
 *
 * A dump asks for every state but time-wait and request sockets: those are
 * the kernel's, no longer or not yet a socket the program holds.
 */
#define DIAG_STATES \
	(((1u << (BPF_TCP_NEW_SYN_RECV + 1)) - 1) & ~(1u << BPF_TCP_TIME_WAIT) & ~(1u << BPF_TCP_NEW_SYN_RECV))

/* inet_diag's idiag_timer: 2 is the socket timer, which runs keepalive in these states. */
#define DIAG_TIMER_KEEPALIVE 2

/* A socket the fallback's dumps have seen. */
struct diag_sock {
	struct sw_event last;	/* as the last dump saw it */
	uint64_t gen;		/* the last dump that saw it */
};

struct sockwatch {
	enum sw_observer_kind kind;
	uint16_t port;
	int fd;				/* sockwatch_fd's */
	/* events decoded but not read yet: a ring */
	struct sw_event *queue;
	size_t head, count, cap;
	/* SW_EBPF */
	struct sockwatch_bpf *skel;
	struct ring_buffer *rb;
	uint64_t lost_seen;
	/* SW_SOCK_DIAG; dump_fd also for the eBPF observer's first dump */
	int dump_fd, notify_fd, timer_fd;
	uint32_t seq;
	bool notify_lost;
	uint64_t gen;
	struct diag_sock *socks;
	size_t n_socks;
	char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));	/* netlink replies and notices */
};

static void push(struct sockwatch *w, const struct sw_event *ev)
{
	if (w->count == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 64;
		struct sw_event *q = xreallocarray(NULL, cap, sizeof(*q));

		/* Unroll the ring into the new array, oldest first. */
		for (size_t i = 0; i < w->count; i++)
			q[i] = w->queue[(w->head + i) % w->cap];
		free(w->queue);
		w->queue = q;
		w->cap = cap;
		w->head = 0;
	}
	w->queue[(w->head + w->count) % w->cap] = *ev;
	w->count++;
}

static bool pop(struct sockwatch *w, struct sw_event *ev)
{
	if (!w->count)
		return false;
	*ev = w->queue[w->head];
	w->head = (w->head + 1) % w->cap;
	w->count--;
	return true;
}

/* ---- sock_diag ---- */

struct diag_open {
	int dump_fd, notify_fd;
	bool notify;		/* also the destroy notifications */
};

/* Inside the namespace: a sock_diag socket belongs to the namespace it was created in. */
static int diag_open_in_ns(void *arg)
{
	struct diag_open *o = arg;
	static const int groups[] = { SKNLGRP_INET_TCP_DESTROY, SKNLGRP_INET6_TCP_DESTROY };
	struct sockaddr_nl any = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 2 };
	int rcvbuf = 1 << 20;

	o->dump_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (o->dump_fd < 0)
		return -errno;
	/* A dump answers at once; never let a lost reply hang the caller. */
	if (setsockopt(o->dump_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	if (!o->notify)
		return 0;
	o->notify_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_SOCK_DIAG);
	if (o->notify_fd < 0)
		return -errno;
	/* Notices pile up while the caller is busy; a larger buffer than the default loses fewer. */
	setsockopt(o->notify_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	/* Bound, so it has a port id: the kernel multicasts from port id 0 and skips sockets that have that one. */
	if (bind(o->notify_fd, (struct sockaddr *)&any, sizeof(any)) < 0)
		return -errno;
	for (size_t i = 0; i < ARRAY_SIZE(groups); i++)
		if (setsockopt(o->notify_fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &groups[i], sizeof(groups[i])) < 0)
			return -errno;
	return 0;
}

/* An event about the socket @r describes, with what its tcp_info (@ti, NULL if absent) says. */
static void diag_event(struct sw_event *ev, const struct inet_diag_msg *r, const struct tcp_info *ti, int64_t ts)
{
	memset(ev, 0, sizeof(*ev));
	ev->ts_ns = ts;
	ev->cookie = (uint64_t)r->id.idiag_cookie[1] << 32 | r->id.idiag_cookie[0];
	ev->family = r->idiag_family;
	ev->sport = ntohs(r->id.idiag_sport);
	ev->dport = ntohs(r->id.idiag_dport);
	memcpy(ev->saddr, r->id.idiag_src, r->idiag_family == AF_INET ? 4 : 16);
	memcpy(ev->daddr, r->id.idiag_dst, r->idiag_family == AF_INET ? 4 : 16);
	ev->tcp.state = r->idiag_state;
	/* The socket timer is keepalive's but in FIN-WAIT-2, where it is the FIN timeout. */
	ev->tcp.keepalive = r->idiag_timer == DIAG_TIMER_KEEPALIVE && r->idiag_state != BPF_TCP_FIN_WAIT2;
	if (!ti)
		return;
	ev->tcp.ca_state = ti->tcpi_ca_state;
	ev->tcp.probes_out = ti->tcpi_probes;
	ev->tcp.retransmits = ti->tcpi_retransmits;
	ev->tcp.backoff = ti->tcpi_backoff;
	ev->tcp.total_retrans = ti->tcpi_total_retrans;
	ev->tcp.packets_out = ti->tcpi_unacked;
	ev->tcp.snd_wnd = ti->tcpi_snd_wnd;
	ev->tcp.last_data_recv_ms = ti->tcpi_last_data_recv;
	ev->tcp.last_ack_recv_ms = ti->tcpi_last_ack_recv;
	ev->tcp.rto_ms = ti->tcpi_rto / 1000;
}

static struct diag_sock *diag_find(struct sockwatch *w, uint64_t cookie)
{
	for (size_t i = 0; i < w->n_socks; i++)
		if (w->socks[i].last.cookie == cookie)
			return &w->socks[i];
	return NULL;
}

static void diag_forget(struct sockwatch *w, struct diag_sock *s)
{
	*s = w->socks[--w->n_socks];
}

static void push_state(struct sockwatch *w, const struct sw_event *now, uint8_t old_state)
{
	struct sw_event ev = *now;

	ev.type = SW_STATE;
	ev.old_state = old_state;
	ev.new_state = now->tcp.state;
	push(w, &ev);
}

/*
 * The keepalive timer is pending only between probes and while nothing else
 * runs (a retransmission takes its place, tcp_done stops it): once seen, the
 * socket has SO_KEEPALIVE, and keeps it in later events.
 */
static void keepalive_sticks(const struct diag_sock *s, struct sw_event *ev)
{
	ev->tcp.keepalive |= s->last.tcp.keepalive;
}

/* A dump saw @ev's socket: a state it had not seen is a transition. */
static void diag_seen(struct sockwatch *w, struct sw_event *ev)
{
	struct diag_sock *s = diag_find(w, ev->cookie);

	if (!s) {
		w->socks = xreallocarray(w->socks, w->n_socks + 1, sizeof(*w->socks));
		s = &w->socks[w->n_socks++];
		push_state(w, ev, BPF_TCP_CLOSE);
	} else {
		keepalive_sticks(s, ev);
		if (s->last.tcp.state != ev->tcp.state)
			push_state(w, ev, s->last.tcp.state);
	}
	s->last = *ev;
	s->gen = w->gen;
}

/* The kernel freed @ev's socket: its last state change, if the dumps missed it, then the destruction. */
static void diag_destroyed(struct sockwatch *w, struct sw_event *ev)
{
	struct diag_sock *s = diag_find(w, ev->cookie);

	if (s) {
		keepalive_sticks(s, ev);
		if (s->last.tcp.state != ev->tcp.state)
			push_state(w, ev, s->last.tcp.state);
		diag_forget(w, s);
	}
	ev->type = SW_DESTROY;
	push(w, ev);
}

/* The TCP socket a sock_diag message describes, if it has the port: 1 with *@ev, else 0. */
static int diag_parse(const struct sockwatch *w, const struct nlmsghdr *nlh, int64_t ts, struct sw_event *ev)
{
	const struct inet_diag_msg *r = NLMSG_DATA(nlh);
	struct tcp_info ti;
	bool has_info = false;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*r)))
		return 0;
	if (ntohs(r->id.idiag_sport) != w->port && ntohs(r->id.idiag_dport) != w->port)
		return 0;
	int len = (int)(nlh->nlmsg_len - NLMSG_LENGTH(sizeof(*r)));
	for (const struct rtattr *a = (const void *)((const char *)r + NLMSG_ALIGN(sizeof(*r))); RTA_OK(a, len);
	     a = RTA_NEXT(a, len)) {
		if (a->rta_type == INET_DIAG_PROTOCOL && *(const uint8_t *)RTA_DATA(a) != IPPROTO_TCP)
			return 0;
		if (a->rta_type == INET_DIAG_INFO) {
			/* An older kernel's tcp_info is shorter: what it lacks stays 0. */
			memset(&ti, 0, sizeof(ti));
			memcpy(&ti, RTA_DATA(a), RTA_PAYLOAD(a) < sizeof(ti) ? RTA_PAYLOAD(a) : sizeof(ti));
			has_info = true;
		}
	}
	diag_event(ev, r, has_info ? &ti : NULL, ts);
	return 1;
}

/*
 * Dump @family's TCP sockets with tcp_info. The sockwatch_bpf observer dumps
 * only so the kernel gives every existing socket its cookie; the fallback
 * takes each socket with the port to diag_seen.
 */
static int diag_dump(struct sockwatch *w, uint8_t family)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh = {
			.nlmsg_len = sizeof(msg),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = ++w->seq,
		},
		.req = {
			.sdiag_family = family,
			.sdiag_protocol = IPPROTO_TCP,
			.idiag_ext = 1 << (INET_DIAG_INFO - 1),
			.idiag_states = DIAG_STATES,
		},
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct sw_event ev;

	if (sendto(w->dump_fd, &msg, sizeof(msg), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(w->dump_fd, w->buf, sizeof(w->buf), 0);
		int64_t ts = mono_ns();

		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		for (struct nlmsghdr *nlh = (void *)w->buf; NLMSG_OK(nlh, n); nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_seq != w->seq)
				continue;	/* the rest of an earlier dump we gave up on */
			if (nlh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);
				return e->error ? e->error : -EPROTO;
			}
			if (w->kind == SW_SOCK_DIAG && diag_parse(w, nlh, ts, &ev))
				diag_seen(w, &ev);
		}
	}
}

/* One look at the namespace: both families, then what no longer is there. */
static int diag_poll(struct sockwatch *w)
{
	int64_t now;
	int ret;

	w->gen++;
	ret = diag_dump(w, AF_INET);
	if (!ret)
		ret = diag_dump(w, AF_INET6);
	if (ret < 0 || w->kind != SW_SOCK_DIAG)
		return ret;
	now = mono_ns();
	/* Gone from the tables without a destroy notice (yet): tcp_done took it out, its state is TCP_CLOSE. */
	for (size_t i = 0; i < w->n_socks;) {
		struct diag_sock *s = &w->socks[i];

		if (s->gen == w->gen) {
			i++;
			continue;
		}
		struct sw_event ev = s->last;
		ev.ts_ns = now;
		ev.tcp.state = BPF_TCP_CLOSE;
		push_state(w, &ev, s->last.tcp.state);
		diag_forget(w, s);
	}
	return 0;
}

/* The destroy notices waiting on the notify socket. */
static int diag_notices(struct sockwatch *w)
{
	struct sw_event ev;

	for (;;) {
		ssize_t n = recv(w->notify_fd, w->buf, sizeof(w->buf), 0);
		int64_t ts = mono_ns();

		if (n < 0 && errno == ENOBUFS) {
			w->notify_lost = true;	/* the socket overflowed: some notices are lost */
			continue;
		}
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		for (struct nlmsghdr *nlh = (void *)w->buf; NLMSG_OK(nlh, n); nlh = NLMSG_NEXT(nlh, n))
			if (diag_parse(w, nlh, ts, &ev))
				diag_destroyed(w, &ev);
	}
}

static int diag_read(struct sockwatch *w)
{
	uint64_t ticks;
	int ret = diag_notices(w);

	if (ret < 0)
		return ret;
	/* Dump only when the timer says so: a caller that reads in a loop must not dump in a loop. */
	if (read(w->timer_fd, &ticks, sizeof(ticks)) == (ssize_t)sizeof(ticks))
		ret = diag_poll(w);
	else if (errno != EAGAIN)
		ret = -errno;
	if (!ret && w->notify_lost) {
		w->notify_lost = false;
		return -ENOBUFS;
	}
	return ret;
}

static int epoll_add(int epfd, int fd)
{
	struct epoll_event e = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e) < 0 ? -errno : 0;
}

static int diag_start(struct sockwatch *w, int nsfd, char *err, size_t len)
{
	struct itimerspec period = { .it_interval.tv_nsec = DIAG_PERIOD_NS, .it_value.tv_nsec = DIAG_PERIOD_NS };
	struct diag_open o = { -1, -1, true };
	int ret = netns_call(nsfd, diag_open_in_ns, &o);

	w->dump_fd = o.dump_fd;
	w->notify_fd = o.notify_fd;
	if (ret < 0) {
		snprintf(err, len, "sock_diag: cannot open netlink sockets in the namespace: %s", strerror(-ret));
		return ret;
	}
	w->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	w->fd = epoll_create1(EPOLL_CLOEXEC);
	if (w->timer_fd < 0 || w->fd < 0 || timerfd_settime(w->timer_fd, 0, &period, NULL) < 0) {
		ret = -errno;
		snprintf(err, len, "sock_diag: cannot create its timer: %s", strerror(-ret));
		return ret;
	}
	ret = epoll_add(w->fd, w->notify_fd);
	if (!ret)
		ret = epoll_add(w->fd, w->timer_fd);
	/* The sockets there already, as the first dump finds them. */
	if (!ret)
		ret = diag_poll(w);
	if (ret < 0)
		snprintf(err, len, "sock_diag: %s", strerror(-ret));
	return ret;
}

/* ---- eBPF ---- */

/* libbpf's first warning since the last reset: why a load or an attach failed. */
static __thread char libbpf_said[256];

PRINTF(2, 0) static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	size_t n;

	if (level != LIBBPF_WARN || libbpf_said[0])
		return 0;
	vsnprintf(libbpf_said, sizeof(libbpf_said), fmt, ap);
	n = strlen(libbpf_said);
	while (n && libbpf_said[n - 1] == '\n')
		libbpf_said[--n] = '\0';
	return 0;
}

/* libbpf writes to stderr by default; a harness keeps its output for its own messages. */
static void libbpf_quiet(void)
{
	libbpf_set_print(libbpf_print);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct sockwatch *w = ctx;
	struct sw_event ev = { 0 };

	memcpy(&ev, data, size < sizeof(ev) ? size : sizeof(ev));
	push(w, &ev);
	return 0;
}

static int ebpf_start(struct sockwatch *w, int nsfd, char *err, size_t len)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct diag_open o = { -1, -1, false };
	struct stat st;
	const char *what;
	int ret;

	pthread_once(&once, libbpf_quiet);
	libbpf_said[0] = '\0';
	/* A namespace's inode number in nsfs is its ns.inum, what the programs compare. */
	if (fstat(nsfd, &st) < 0) {
		ret = -errno;
		snprintf(err, len, "eBPF: cannot stat the namespace: %s", strerror(-ret));
		return ret;
	}
	what = "open";
	w->skel = sockwatch_bpf__open();
	if (!w->skel) {
		ret = -errno;
		goto fail;
	}
	w->skel->rodata->watch_inum = (uint32_t)st.st_ino;
	w->skel->rodata->watch_port = w->port;
	what = "load";
	ret = sockwatch_bpf__load(w->skel);
	if (ret)
		goto fail;
	what = "attach";
	ret = sockwatch_bpf__attach(w->skel);
	if (ret)
		goto fail;
	what = "read the ring buffer of";
	w->rb = ring_buffer__new(bpf_map__fd(w->skel->maps.events), on_event, w, NULL);
	if (!w->rb) {
		ret = -errno;
		goto fail;
	}
	w->fd = ring_buffer__epoll_fd(w->rb);
	/*
	 * Now that every new socket gets its cookie from the programs, have
	 * the kernel give one to those that were there before, so a system
	 * call on one of them carries the same cookie as everything else.
	 */
	ret = netns_call(nsfd, diag_open_in_ns, &o);
	w->dump_fd = o.dump_fd;
	if (!ret)
		ret = diag_poll(w);
	if (ret < 0)
		snprintf(err, len, "eBPF: cannot list the namespace's sockets: %s", strerror(-ret));
	return ret;
fail:
	snprintf(err, len, "eBPF: cannot %s sockwatch's BPF programs: %s%s%s%s", what, strerror(-ret),
		 libbpf_said[0] ? " (" : "", libbpf_said, libbpf_said[0] ? ")" : "");
	return ret;
}

static int ebpf_read(struct sockwatch *w)
{
	uint64_t lost;
	int ret = ring_buffer__consume(w->rb);

	if (ret < 0)
		return ret;
	lost = __atomic_load_n(&w->skel->bss->lost, __ATOMIC_RELAXED);
	if (lost != w->lost_seen) {
		w->lost_seen = lost;
		return -ENOBUFS;
	}
	return 0;
}

/* ---- the interface ---- */

static void release(struct sockwatch *w)
{
	/* The ring buffer's epoll descriptor is w->fd then, and ring_buffer__free closes it. */
	if (w->rb)
		ring_buffer__free(w->rb);
	else if (w->fd >= 0)
		close(w->fd);
	sockwatch_bpf__destroy(w->skel);
	if (w->dump_fd >= 0)
		close(w->dump_fd);
	if (w->notify_fd >= 0)
		close(w->notify_fd);
	if (w->timer_fd >= 0)
		close(w->timer_fd);
	free(w->socks);
	free(w->queue);
	*w = (struct sockwatch){ .kind = w->kind, .port = w->port, .fd = -1, .dump_fd = -1, .notify_fd = -1,
				 .timer_fd = -1 };
}

static struct sockwatch *sockwatch_new(uint16_t port)
{
	struct sockwatch *w = xcalloc(1, sizeof(*w));

	*w = (struct sockwatch){ .port = port, .fd = -1, .dump_fd = -1, .notify_fd = -1, .timer_fd = -1 };
	return w;
}

int sockwatch_open(struct sockwatch **out, int nsfd, uint16_t port, char *err, size_t len)
{
	const char *want = getenv("DEADPEER_OBSERVER");
	bool ebpf = !want || !*want || strcmp(want, "ebpf") == 0;
	bool fallback = !want || !*want || strcmp(want, "sock_diag") == 0;
	struct sockwatch *w = sockwatch_new(port);
	char why[256] = "";	/* why eBPF is not used */
	int ret = -EINVAL;

	*out = NULL;
	snprintf(err, len, "DEADPEER_OBSERVER='%s': neither ebpf nor sock_diag", want ? want : "");
	if (ebpf) {
		w->kind = SW_EBPF;
		ret = ebpf_start(w, nsfd, why, sizeof(why));
		if (ret < 0)
			release(w);
		snprintf(err, len, "%s", why);
	}
	if (ret < 0 && fallback) {
		w->kind = SW_SOCK_DIAG;
		ret = diag_start(w, nsfd, err, len);
		if (!ret)
			snprintf(err, len, "%s", why);
		else if (why[0])
			snprintf(err + strlen(err), len - strlen(err), "; %s", why);
	}
	if (ret < 0) {
		sockwatch_close(w);
		return ret;
	}
	*out = w;
	return 0;
}

int sockwatch_fd(const struct sockwatch *w)
{
	return w->fd;
}

enum sw_observer_kind sockwatch_kind(const struct sockwatch *w)
{
	return w->kind;
}

int sockwatch_read(struct sockwatch *w, struct sw_event *ev)
{
	int ret;

	if (pop(w, ev))
		return 1;
	ret = w->kind == SW_EBPF ? ebpf_read(w) : diag_read(w);
	if (ret < 0)
		return ret;
	return pop(w, ev) ? 1 : 0;
}

void sockwatch_close(struct sockwatch *w)
{
	if (!w)
		return;
	release(w);
	free(w);
}
