// SPDX-License-Identifier: MIT
/*
 * The kernel half of sockwatch (sockwatch.h): tracepoints that report what
 * happens to the TCP sockets of one network namespace with one port, and
 * the failing system calls made on them, into a ring buffer.
 *
 * Only tp_btf programs: fentry/fexit and kprobes are not available on every
 * kernel deadpeer runs on, and tracepoints are a stable interface. Socket
 * tracepoints often fire from timers and softirqs, in whatever task they
 * interrupted, so sockets are matched by their own namespace (sock_net),
 * never by the current task's. Each sockwatch loads its own copy, with the
 * namespace and port in .rodata, so parallel runs do not see each other.
 */
#include "vmlinux.h"
#include <asm/unistd.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* The event layout is sockwatch.h's, in the kernel's type names. */
typedef __u8 uint8_t;
typedef __u16 uint16_t;
typedef __u32 uint32_t;
typedef __u64 uint64_t;
typedef __s32 int32_t;
typedef __s64 int64_t;
#define SOCKWATCH_BPF
#include "sockwatch.h"

/* Macros of the kernel's headers, which BTF does not carry. */
#define AF_INET 2
#define AF_INET6 10
#define PF_EXITING 0x00000004
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define EINTR 4
#define EAGAIN 11
#define ERESTARTSYS 512
#define ERESTART_RESTARTBLOCK 516

/* "Dual MIT/GPL": GPL-compatible, which tracing programs and bpf_probe_read_kernel require. */
char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Set by sockwatch.c before loading. */
const volatile __u32 watch_inum;	/* the namespace's inode number (ns.inum) */
const volatile __u16 watch_port;

extern unsigned int CONFIG_HZ __kconfig;

/* Events the ring buffer had no room for; sockwatch_read reports them. */
__u64 lost;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

enum sys_family { SYS_NONE, SYS_READ, SYS_WRITE, SYS_SPLICE, SYS_CLOSE, SYS_SETSOCKOPT };

/* A system call of interest between its entry and its exit, by thread. */
struct pending {
	__s32 nr;
	__s32 fd, fd_out;	/* fd_out: splice's destination */
	__u64 count;		/* the length asked for, where the call has one; else 1 */
};

/* LRU: a thread killed inside a call never reaches its exit, and its entry must not stay forever. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct pending);
} pending SEC(".maps");

static __always_inline enum sys_family sys_family(long nr)
{
	switch (nr) {
	case __NR_read: case __NR_readv: case __NR_pread64: case __NR_preadv: case __NR_preadv2:
	case __NR_recvfrom: case __NR_recvmsg: case __NR_recvmmsg:
		return SYS_READ;
	case __NR_write: case __NR_writev: case __NR_pwrite64: case __NR_pwritev: case __NR_pwritev2:
	case __NR_sendto: case __NR_sendmsg: case __NR_sendmmsg: case __NR_sendfile:
		return SYS_WRITE;
	case __NR_splice:
		return SYS_SPLICE;
	case __NR_close:
		return SYS_CLOSE;
	case __NR_setsockopt:
		return SYS_SETSOCKOPT;
	default:
		return SYS_NONE;
	}
}

static __always_inline __u32 jiffies_ms(__u64 j)
{
	return CONFIG_HZ ? (__u32)(j * 1000 / CONFIG_HZ) : 0;
}

/*
 * The local port. tcp_set_state(TCP_CLOSE) releases the port before the
 * tracepoint fires, and that zeroes inet_num (skc_num); inet_sport keeps it,
 * but is set only once the port is chosen: take whichever is there.
 */
static __always_inline __u16 local_port(const struct sock *sk)
{
	__u16 num = BPF_CORE_READ(sk, __sk_common.skc_num);

	return num ? num : bpf_ntohs(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport));
}

/* A TCP socket of the watched namespace with the port as its local or remote one. */
static __always_inline bool watched(const struct sock *sk)
{
	__u16 family;

	if (!sk || BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum) != watch_inum)
		return false;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if ((family != AF_INET && family != AF_INET6) || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return false;
	return local_port(sk) == watch_port || bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport)) == watch_port;
}

static __always_inline void fill_tcp(struct sw_tcp *t, const struct sock *sk)
{
	const struct inet_connection_sock *icsk = (const void *)sk;
	const struct tcp_sock *tp = (const void *)sk;
	struct net *net = BPF_CORE_READ(sk, __sk_common.skc_net.net);
	__u32 now = (__u32)bpf_jiffies64();
	__u32 v;

	t->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	t->ca_state = BPF_CORE_READ_BITFIELD_PROBED(icsk, icsk_ca_state);
	t->probes_out = BPF_CORE_READ(icsk, icsk_probes_out);
	t->retransmits = BPF_CORE_READ(icsk, icsk_retransmits);
	t->backoff = BPF_CORE_READ(icsk, icsk_backoff);
	v = bpf_core_enum_value(enum sock_flags, SOCK_KEEPOPEN);
	t->keepalive = BPF_CORE_READ(sk, __sk_common.skc_flags) & (1UL << v);
	/* The socket's own setting, else the namespace's sysctl: what the keepalive timer uses. */
	v = BPF_CORE_READ(tp, keepalive_time);
	t->keepidle_ms = jiffies_ms(v ? v : BPF_CORE_READ(net, ipv4.sysctl_tcp_keepalive_time));
	v = BPF_CORE_READ(tp, keepalive_intvl);
	t->keepintvl_ms = jiffies_ms(v ? v : BPF_CORE_READ(net, ipv4.sysctl_tcp_keepalive_intvl));
	v = BPF_CORE_READ(tp, keepalive_probes);
	t->keepcnt = v ? v : BPF_CORE_READ(net, ipv4.sysctl_tcp_keepalive_probes);
	t->user_timeout_ms = BPF_CORE_READ(icsk, icsk_user_timeout);
	t->total_retrans = BPF_CORE_READ(tp, total_retrans);
	t->packets_out = BPF_CORE_READ(tp, packets_out);
	t->snd_wnd = BPF_CORE_READ(tp, snd_wnd);
	/* Both stamps are tcp_jiffies32. */
	t->last_data_recv_ms = jiffies_ms(now - BPF_CORE_READ(icsk, icsk_ack.lrcvtime));
	t->last_ack_recv_ms = jiffies_ms(now - BPF_CORE_READ(tp, rcv_tstamp));
	t->rto_ms = jiffies_ms(BPF_CORE_READ(icsk, icsk_rto));
}

/* Reserve an event about @sk and fill what every type has; NULL when the ring is full. */
static __always_inline struct sw_event *event(const struct sock *sk, enum sw_type type, __u64 cookie)
{
	struct sw_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	__u64 id = bpf_get_current_pid_tgid();

	if (!ev) {
		__sync_fetch_and_add(&lost, 1);
		return NULL;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ts_ns = bpf_ktime_get_ns();
	ev->cookie = cookie;
	ev->type = type;
	ev->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	ev->sport = local_port(sk);
	ev->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (ev->family == AF_INET) {
		/* The macro reads sizeof(*dst) bytes: the destination's type sets how many. */
		BPF_CORE_READ_INTO((__be32 *)ev->saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__be32 *)ev->daddr, sk, __sk_common.skc_daddr);
	} else {
		BPF_CORE_READ_INTO((struct in6_addr *)ev->saddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO((struct in6_addr *)ev->daddr, sk, __sk_common.skc_v6_daddr);
	}
	ev->pid = id >> 32;
	ev->tid = (__u32)id;
	fill_tcp(&ev->tcp, sk);
	return ev;
}

/*
 * For a socket the tracepoint hands us: the helper allocates the cookie if
 * nobody had asked yet, so later system call events find it in the socket.
 */
static __always_inline struct sw_event *sock_event(const struct sock *sk, enum sw_type type)
{
	return event(sk, type, bpf_get_socket_cookie((void *)sk));
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(sw_state, const struct sock *sk, const int oldstate, const int newstate)
{
	struct sw_event *ev;

	if (!watched(sk) || !(ev = sock_event(sk, SW_STATE)))
		return 0;
	ev->old_state = oldstate;
	ev->new_state = newstate;
	/*
	 * When the kernel ends a connection (tcp_done_with_error) the error is
	 * stored before the change to CLOSE, and here, under the socket's lock,
	 * before anyone is woken: the error report that follows may find it
	 * already taken by the program (getsockopt(SO_ERROR) takes it unlocked).
	 */
	ev->err = BPF_CORE_READ(sk, sk_err);
	/* The tracepoint fires before the store; the event describes the socket as it is now. */
	ev->tcp.state = newstate;
	/*
	 * Meaningful for the changes only a task makes (a close or shutdown:
	 * ESTABLISHED to FIN_WAIT1, CLOSE_WAIT to LAST_ACK), in its exit or not.
	 */
	ev->exiting = BPF_CORE_READ(bpf_get_current_task_btf(), flags) & PF_EXITING;
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

SEC("tp_btf/inet_sk_error_report")
int BPF_PROG(sw_error, const struct sock *sk)
{
	struct sw_event *ev;

	if (!watched(sk) || !(ev = sock_event(sk, SW_ERROR)))
		return 0;
	ev->err = BPF_CORE_READ(sk, sk_err);
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(sw_rst_recv, struct sock *sk)
{
	struct sw_event *ev;

	if (!watched(sk) || !(ev = sock_event(sk, SW_RST_RECV)))
		return 0;
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(sw_rst_sent, const struct sock *sk, const struct sk_buff *skb, int reason)
{
	struct sw_event *ev;
	__u8 state;

	/* No socket (a reset for a segment nobody wanted), or a time-wait or request socket: not ours. */
	if (!sk)
		return 0;
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (state == TCP_TIME_WAIT || state == TCP_NEW_SYN_RECV)
		return 0;
	if (!watched(sk) || !(ev = sock_event(sk, SW_RST_SENT)))
		return 0;
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(sw_destroy, struct sock *sk)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct sw_event *ev;

	if (!watched(sk) || !(ev = sock_event(sk, SW_DESTROY)))
		return 0;
	ev->exiting = BPF_CORE_READ(task, flags) & PF_EXITING;
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

/* The current task is in the watched namespace (its system calls are the only ones that matter). */
static __always_inline bool task_watched(void)
{
	struct task_struct *task = bpf_get_current_task_btf();

	/* nsproxy is NULL in a task that is exiting: BPF_CORE_READ then reads 0. */
	return BPF_CORE_READ(task, nsproxy, net_ns, ns.inum) == watch_inum;
}

/* The socket behind descriptor @fd of the current task, or NULL. */
static __always_inline struct sock *fd_sock(int fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds, *file = NULL;
	struct socket *sock;
	umode_t mode;

	if (fd < 0 || !fdt || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	mode = BPF_CORE_READ(file, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(file, private_data);
	return sock ? BPF_CORE_READ(sock, sk) : NULL;
}

static __always_inline void syscall_event(struct sock *sk, long nr, long ret)
{
	/* A socket reached by pointer chasing: the helper refuses it, read the cookie stored in it. */
	struct sw_event *ev = event(sk, SW_SYSCALL, BPF_CORE_READ(sk, __sk_common.skc_cookie.counter));

	if (!ev)
		return;
	ev->sys_nr = nr;
	ev->sys_ret = ret;
	ev->err = ret < 0 ? -ret : 0;
	bpf_ringbuf_submit(ev, 0);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sw_sys_enter, struct pt_regs *regs, long id)
{
	enum sys_family f = sys_family(id);
	struct pending p = { .nr = id, .count = 1 };
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct sock *sk;

	/* Every system call of the machine passes here: the number and the namespace first, both cheap. */
	if (f == SYS_NONE || !task_watched())
		return 0;
	p.fd = BPF_CORE_READ(regs, di);
	if (f == SYS_CLOSE) {
		/* At the exit the descriptor is gone: report the close as it starts. */
		sk = fd_sock(p.fd);
		if (watched(sk))
			syscall_event(sk, id, 0);
		return 0;
	}
	if (id == __NR_read || id == __NR_pread64 || id == __NR_recvfrom)
		p.count = BPF_CORE_READ(regs, dx);
	if (f == SYS_SPLICE)
		p.fd_out = BPF_CORE_READ(regs, dx);	/* splice(fd_in, off_in, fd_out, ...) */
	bpf_map_update_elem(&pending, &tid, &p, BPF_ANY);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sw_sys_exit, struct pt_regs *regs, long ret)
{
	long nr = BPF_CORE_READ(regs, orig_ax);
	enum sys_family f = sys_family(nr);
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pending *pp, p;
	struct sock *sk;

	if (f == SYS_NONE || f == SYS_CLOSE)
		return 0;
	pp = bpf_map_lookup_elem(&pending, &tid);
	if (!pp)
		return 0;
	p = *pp;
	bpf_map_delete_elem(&pending, &tid);
	if (p.nr != nr || ret > 0 || ret == -EAGAIN || ret == -EINTR ||
	    (ret <= -ERESTARTSYS && ret >= -ERESTART_RESTARTBLOCK))
		return 0;
	/* Splice is a read of its source when that is our socket, else a write to its destination. */
	sk = fd_sock(p.fd);
	if (f == SYS_SPLICE) {
		f = SYS_READ;
		if (!watched(sk)) {
			sk = fd_sock(p.fd_out);
			f = SYS_WRITE;
		}
	}
	/* A socket option set: the event carries the socket's options after it. */
	if (f == SYS_SETSOCKOPT) {
		if (ret == 0 && watched(sk))
			syscall_event(sk, nr, 0);
		return 0;
	}
	/* 0 is the end of the stream from a read that asked for something; from a write, nothing. */
	if (ret == 0 && (f != SYS_READ || !p.count))
		return 0;
	if (watched(sk))
		syscall_event(sk, nr, ret);
	return 0;
}
