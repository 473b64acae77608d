/* SPDX-License-Identifier: MIT */
/*
 * The TCP sockets of one network namespace, watched from outside: what the
 * kernel does to them and what the program holding them is told, for a
 * program deadpeer does not control (SPEC.md, "Application endpoints").
 *
 * Two observers stand behind one interface:
 *
 *  - SW_EBPF: tracepoints (tp_btf) on socket state changes, error reports,
 *    resets and destruction, and on system call entry and exit, filtered in
 *    the kernel by the namespace and the port, delivered through a BPF ring
 *    buffer. Events fired from timers (keepalive, retransmission) run in
 *    whatever task the timer interrupted: they are attributed by namespace
 *    and cookie only, and their pid/tid mean nothing. It needs BTF
 *    (/sys/kernel/btf/vmlinux), the kernel's configuration (CONFIG_HZ, from
 *    /proc/config.gz or /boot/config-*) and root; x86_64 only.
 *
 *  - SW_SOCK_DIAG, when BPF cannot be loaded (or DEADPEER_OBSERVER=sock_diag):
 *    a NETLINK_SOCK_DIAG dump of the namespace's TCP sockets every 5 ms, and
 *    the kernel's destroy notifications. It sees states, not transitions: a
 *    socket's old_state is what the previous dump saw (TCP_CLOSE the first
 *    time), a transition quicker than 5 ms is missed, and a socket that
 *    leaves the tables (tcp_done: a timeout, a reset) is reported as
 *    SW_STATE to TCP_CLOSE when a dump no longer finds it. It never reports
 *    SW_ERROR, SW_RST_RECV, SW_RST_SENT or SW_SYSCALL, has no pid, tid or
 *    exiting, and of struct sw_tcp only what tcp_info holds (keepalive is
 *    true only while the keepalive timer is pending; the keepalive settings
 *    and user_timeout_ms are 0, unknown).
 *
 * Identity: events name a socket by its cookie, the kernel's 64-bit socket
 * identifier (bpf_get_socket_cookie, inet_diag_sockid.idiag_cookie): the
 * same number from both observers, never reused while the system runs. The
 * kernel allocates it the first time someone asks. The eBPF observer asks at
 * every tracepoint event, and on opening dumps the namespace once through
 * sock_diag so the sockets that already exist have one too; a system call
 * event reads the cookie stored in the socket (the helper does not take a
 * socket reached by pointer chasing), which is 0 only for a socket neither
 * has seen.
 *
 * Every function returns 0 (or what it documents) or a negative errno.
 * Built for the BPF target too (SOCKWATCH_BPF): then only the event layout.
 */
#ifndef DEADPEER_SOCKWATCH_H
#define DEADPEER_SOCKWATCH_H

#ifndef SOCKWATCH_BPF
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#endif

enum sw_type {
	SW_STATE,	/* old_state -> new_state (TCP_* numbers) */
	SW_ERROR,	/* the socket's error was reported: err = sk_err (ETIMEDOUT, ECONNRESET, EHOSTUNREACH...) */
	SW_RST_RECV,	/* a reset arrived for the socket */
	SW_RST_SENT,	/* the socket sent a reset (the kernel's resets for no socket are not reported) */
	SW_DESTROY,	/* the kernel freed the socket's TCP state; exiting: in a task that is exiting */
	/*
	 * A system call on a TCP socket of the namespace with the port, by any
	 * process in the namespace: a read-family call (read, readv, pread*,
	 * recvfrom, recvmsg, recvmmsg, splice from it) that failed or returned 0
	 * (eof), a write-family call (write, writev, pwrite*, sendto, sendmsg,
	 * sendmmsg, sendfile and splice to it) that failed, or close() of a
	 * descriptor of it (reported at entry, sys_ret 0), and a setsockopt()
	 * on it that succeeded (its tcp: the options after it). EAGAIN, EINTR and the
	 * kernel's internal restart codes are not failures the program acts on.
	 * Not seen: io_uring, connect(), an error read with getsockopt(SO_ERROR),
	 * a poll() that reports POLLERR or POLLHUP.
	 */
	SW_SYSCALL,
	SW_TYPE_COUNT
};

/* The socket's TCP state when the event happened. */
struct sw_tcp {
	uint8_t state;			/* SW_STATE: new_state */
	uint8_t ca_state;
	uint8_t probes_out;		/* keepalive or zero-window probes unanswered */
	uint8_t retransmits;		/* retransmission timeouts in a row */
	uint8_t backoff;
	bool keepalive;			/* SO_KEEPALIVE */
	uint32_t keepidle_ms, keepintvl_ms, keepcnt;	/* in force: the socket's own, else its namespace's */
	uint32_t user_timeout_ms;	/* TCP_USER_TIMEOUT, 0: none */
	uint32_t total_retrans, packets_out, snd_wnd;
	uint32_t last_data_recv_ms;	/* since data last arrived */
	uint32_t last_ack_recv_ms;	/* since an acknowledgement last arrived */
	uint32_t rto_ms;
};

struct sw_event {
	int64_t ts_ns;			/* CLOCK_MONOTONIC, when it happened (sock_diag: when the dump saw it) */
	uint64_t cookie;		/* the socket, see above */
	enum sw_type type;
	uint8_t family;			/* AF_INET or AF_INET6 */
	uint8_t old_state, new_state;	/* SW_STATE */
	uint16_t sport, dport;		/* host byte order */
	uint8_t saddr[16], daddr[16];	/* AF_INET: the first 4 bytes */
	int32_t err;			/* SW_ERROR, SW_STATE: sk_err; SW_SYSCALL: -sys_ret (0 for eof and close) */
	int32_t sys_nr;			/* SW_SYSCALL: the system call's number (x86_64) */
	int64_t sys_ret;		/* SW_SYSCALL: what it returned */
	uint32_t pid, tid;		/* current task: for SW_SYSCALL, and SW_DESTROY in a close or exit */
	/*
	 * SW_DESTROY, and SW_STATE changes a task makes (a close or shutdown):
	 * in a task that is exiting (the descriptor went with the process).
	 */
	bool exiting;
	struct sw_tcp tcp;
};

enum sw_observer_kind { SW_EBPF, SW_SOCK_DIAG };

#ifndef SOCKWATCH_BPF
struct sockwatch;

/*
 * Watch the TCP sockets with local or remote port @port in the network
 * namespace @nsfd (IPv4 and IPv6). The observer is eBPF unless the
 * environment says DEADPEER_OBSERVER=sock_diag; when eBPF cannot be loaded,
 * sock_diag, and @err then says why eBPF could not be (it is "" otherwise).
 * DEADPEER_OBSERVER=ebpf forbids the fallback. On failure @err says why.
 * The calling thread enters @nsfd only to create the sock_diag sockets
 * there (netns_call), and is back in its own namespace when this returns.
 */
int sockwatch_open(struct sockwatch **w, int nsfd, uint16_t port, char *err, size_t len);
/*
 * A descriptor that polls readable when events may be pending (sock_diag:
 * also every 5 ms, its time to look). Read until sockwatch_read returns 0
 * before polling again: events already taken from the kernel wait in a
 * queue the descriptor does not show.
 */
int sockwatch_fd(const struct sockwatch *w);
/*
 * The next event: 1 with *@ev, 0 when none is pending, or -errno. Never
 * blocks. -ENOBUFS says that events were lost (the ring buffer or the
 * notification socket was full) since the last call; reading may go on.
 */
int sockwatch_read(struct sockwatch *w, struct sw_event *ev);
enum sw_observer_kind sockwatch_kind(const struct sockwatch *w);
void sockwatch_close(struct sockwatch *w);

/* "state", "error", "rst-recv", "rst-sent", "destroy", "syscall". */
const char *sw_type_name(enum sw_type t);
#endif

#endif
