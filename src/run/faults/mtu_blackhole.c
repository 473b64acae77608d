// SPDX-License-Identifier: MIT
/*
 * mtu-blackhole: a path MTU black hole on the router. The router's interface
 * toward the receiving side takes MTU `mtu`, and an nftables table drops the
 * ICMP errors that would tell the sender so (fragmentation needed, packet
 * too big: the router's own errors leave through its output hook). Segments
 * bigger than the MTU vanish; small ones (ACKs, keepalive probes, small
 * writes) pass. Lifting gives the links their MTU back and deletes the table.
 *
 * The interface is the subnet's bridge, not the bridge's port: a veth end
 * refuses what comes in bigger than its own MTU too, which would make the
 * hole swallow the other direction's big segments as well.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>

#include "fault_priv.h"

/* Linux: the MSS tcp_mtu_probing falls back to (tcp_base_mss) and the least it halves down to. */
#define TCP_BASE_MSS 1024
#define TCP_MTU_PROBE_FLOOR 48

/* IP and TCP headers (with the timestamps option) in front of every segment's payload. */
static int64_t header_bytes(enum family family)
{
	return (family == FAMILY_IPV6 ? 40 : 20) + 20 + 12;
}

static enum host peer_of(enum host side)
{
	return side == HOST_CLIENT ? HOST_SERVER : HOST_CLIENT;
}

/* Do packets toward @to (client or server) leave the router through the hole? */
static bool hole_toward(const struct fault_cfg *f, enum host to)
{
	return f->direction == DIR_BOTH || (f->direction == DIR_TO_SERVER) == (to == HOST_SERVER);
}

/* The MTU is the router's links', and a minimum: without one there is no hole. */
static bool mtu_validate(const struct fault_cfg *f, const char **key, char *msg, size_t len)
{
	if (f->target != HOST_ROUTER) {
		*key = "target";
		snprintf(msg, len, "mtu-blackhole acts on the router's links: target = router");
		return true;
	}
	if (f->mtu)
		return false;
	*key = "action";
	snprintf(msg, len, "action = mtu-blackhole needs mtu = N, the link's MTU in bytes (%d to %d; IPv6 at least %d)",
		 MTU_MIN_IPV4, LINK_MTU - 1, MTU_MIN_IPV6);
	return true;
}

/* Give the router's interfaces toward the hole's sides MTU @mtu; 0 or -errno with @err. */
static int set_mtu(struct fault_env *env, const struct fault_cfg *f, int64_t mtu, char *err, size_t len)
{
	for (enum host to = HOST_CLIENT; to <= HOST_SERVER; to++) {
		const char *ifname = topo_router_link(env->topo, to == HOST_CLIENT ? TOPO_CLIENT : TOPO_SERVER);
		struct netns_error ne = { 0 };
		int ret = hole_toward(f, to) ?
			  netns_link_set_mtu(env->topo->host[TOPO_ROUTER].rtnl, ifname, (unsigned)mtu, &ne) : 0;
		if (ret) {
			snprintf(err, len, "cannot set the MTU of %s to %" PRId64 " in namespace \"router\": %s", ifname,
				 mtu, netns_strerror(&ne, ret));
			return ret;
		}
	}
	return 0;
}

/* The table first: from the instant the MTU drops, no ICMP error gets out. */
static int mtu_apply(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len)
{
	char table[32], buf[8192];
	int ret;

	fault_table_name(index, table, sizeof(table));
	ret = fault_table_send(env, f, nft_too_big_build(table, buf, sizeof(buf)), buf, "add", table, err, len);
	return ret ? ret : set_mtu(env, f, f->mtu, err, len);
}

static int mtu_lift(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len)
{
	int ret = set_mtu(env, f, LINK_MTU, err, len);

	return ret ? ret : fault_table_delete(env, f, index, err, len);
}

/*
 * Does @side send segments bigger than the MTU into the hole: its own stream
 * or requests, or its answers to the peer's requests (as big, when the
 * requests get through)? Into *@as, the side's traffic as the timers see it.
 */
static bool sends_big(const struct variant *v, enum host side, const struct fault_cfg *f, struct side_cfg *as)
{
	const struct side_cfg *c = &v->side[side], *peer = &v->side[peer_of(side)];
	int64_t hdr = header_bytes(v->family);

	*as = *c;
	if (!hole_toward(f, peer_of(side)))
		return false;
	if ((c->traffic == TRAFFIC_STREAM || c->traffic == TRAFFIC_REQUEST) && c->size + hdr > f->mtu)
		return true;
	if (peer->traffic != TRAFFIC_REQUEST || peer->size + hdr <= f->mtu || hole_toward(f, side))
		return false;
	as->traffic = TRAFFIC_REQUEST;
	as->interval_ms = peer->interval_ms;
	return true;
}

/* The RTO timer after the one @at after a lost segment: they come at 200 ms x (2^(k+1) - 1), gaps capped. */
static int64_t next_timer(int64_t at)
{
	return at + (at + TCP_RTO_MIN_MS < TCP_RTO_MAX_MS ? at + TCP_RTO_MIN_MS : TCP_RTO_MAX_MS);
}

/*
 * tcp_mtu_probing (net/ipv4/tcp_timer.c): at the RTO timer where
 * tcp_retries1 runs out, the MSS drops to tcp_base_mss, and it halves at each
 * later timer (to 48 bytes at least) until a segment fits @mtu. The kernel
 * counts from the lost segment's own send (retrans_stamp), which the timers'
 * start may precede by a little: the first timer that qualifies is the one
 * tcp_model_timeout after the loss (*@first) or the next one, measured both.
 * Returns when a segment fits at the latest, from the loss, with the MSS in
 * *@mss; -1: none ever fits.
 */
static int64_t probing_fits_ms(const struct side_cfg *c, int64_t hdr, int64_t mtu, int64_t base, int64_t *first,
			       int64_t *mss)
{
	int64_t model = tcp_model_timeout_ms(side_sysctl(c, "net.ipv4.tcp_retries1", 3), TCP_RTO_MIN_MS), at;

	for (*first = TCP_RTO_MIN_MS; *first < model; *first = next_timer(*first))
		;
	at = next_timer(*first);
	*mss = base;
	while (*mss + hdr > mtu) {
		if (*mss <= TCP_MTU_PROBE_FLOOR)
			return -1;
		*mss = *mss / 2 > TCP_MTU_PROBE_FLOOR ? *mss / 2 : TCP_MTU_PROBE_FLOOR;
		at = next_timer(at);
	}
	return at;
}

/* A sender into the hole: a dead path, unless tcp_mtu_probing shrinks its segments before it gives up. */
static void predict_sender(const struct variant *w, enum host side, const struct fault_cfg *f, int64_t last_rx,
			   struct prediction *p)
{
	const struct side_cfg *c = &w->side[side];
	int64_t probing = side_sysctl(c, "net.ipv4.tcp_mtu_probing", 0), first;

	int64_t base = side_sysctl(c, "net.ipv4.tcp_base_mss", TCP_BASE_MSS);
	char a[32], b[32], d[32];

	/* A write of full segments and a tail that fits: the tail gets through, and its SACK starts recovery. */
	int64_t seg = (w->family == FAMILY_IPV6 ? LINK_MTU - 60 : LINK_MTU - 40) - 12, tail = c->size % seg, mss;
	bool sacked = c->size > seg && tail > 0 && tail + header_bytes(w->family) <= f->mtu;
	predict_path_cut(w, side, f, last_rx, sacked ? PATH_SACKED : PATH_SILENT, p);
	if (probing < 1 || p->outcome != OUTCOME_TIMEOUT)
		return;
	int64_t t0 = side_first_send_ms(c, f->at_ms), fits = probing_fits_ms(c, header_bytes(w->family), f->mtu, base,
									     &first, &mss);
	/* The timer that would give up checks after probing: on the same timer, it wins. */
	if (fits < 0 || t0 + fits >= p->ms)
		return;
	format_duration(a, sizeof(a), first);
	format_duration(b, sizeof(b), next_timer(first));
	format_duration(d, sizeof(d), fits);
	predict_say(p, OUTCOME_NONE, MECH_NONE, INT64_MIN,
		    "tcp_mtu_probing = %" PRId64 ": when tcp_retries1 runs out, at the RTO timer %s or %s after the "
		    "lost segment, the MSS drops to %" PRId64 ", halving at each later timer: %" PRId64 " bytes fit the "
		    "MTU %" PRId64 " by %s", probing, a, b, base, mss, f->mtu, d);
}

/*
 * A side that sends nothing big, facing a peer that gives up at @gone: its
 * small segments pass until then (keepalive probes answered), and the first
 * one after it meets the peer kernel's RST.
 */
static void predict_survivor(const struct variant *v, enum host side, const struct fault_cfg *f, int64_t gone,
			     int64_t last_rx, struct prediction *p)
{
	const struct side_cfg *c = &v->side[side];
	int64_t idle = side_keepidle_ms(c), intvl = side_keepintvl_ms(c), t = last_rx + idle;
	char a[32], b[32];

	format_duration(a, sizeof(a), gone);
	if (c->traffic == TRAFFIC_STREAM || c->traffic == TRAFFIC_HEARTBEAT) {
		t = gone + side_first_send_ms(c, f->at_ms + gone);
		format_duration(b, sizeof(b), t);
		predict_say(p, OUTCOME_RST, MECH_DATA, t,
			    "the peer's big segments vanish and it gives up at %s; this side's next small write, at %s, "
			    "meets its kernel's RST", a, b);
		return;
	}
	if (!c->keepalive) {
		predict_say(p, OUTCOME_NONE, MECH_NONE, INT64_MIN,
			    "the peer's big segments vanish and it gives up at %s; this side sends nothing and never learns",
			    a);
		return;
	}
	/* Answered probes restart the count: one every max(keepidle, keepintvl) after the first. */
	for (int64_t period = idle > intvl ? idle : intvl; t < gone; t += period)
		;
	format_duration(b, sizeof(b), t);
	predict_say(p, OUTCOME_RST, MECH_PROBE, t,
		    "keepalive probes are small: they pass and are answered until the peer gives up at %s (its big "
		    "segments vanish); the next probe, at %s, meets its kernel's RST", a, b);
}

static void mtu_predict(const struct variant *v, enum host side, const struct fault_cfg *f, int64_t last_rx,
			struct prediction *p)
{
	struct variant w = *v;
	int64_t hdr = header_bytes(v->family);

	if (sends_big(v, side, f, &w.side[side])) {
		predict_sender(&w, side, f, last_rx, p);
		return;
	}
	if (sends_big(v, peer_of(side), f, &w.side[peer_of(side)])) {
		struct prediction peer;
		predict_sender(&w, peer_of(side), f, 0, &peer);
		if (peer.outcome == OUTCOME_TIMEOUT)
			predict_survivor(v, side, f, peer.ms, last_rx, p);
		else
			predict_say(p, OUTCOME_NONE, MECH_NONE, INT64_MIN,
				    "the peer's big segments vanish, but it does not give up (the hole is lifted, or "
				    "tcp_mtu_probing shrinks them); small segments pass meanwhile");
		/* The peer's answers wait behind its stalled data: a heartbeat's pongs too. */
		predict_heartbeat_first(&v->side[side], f, fault_heal_ms(f), p);
		return;
	}
	predict_say(p, OUTCOME_NONE, MECH_NONE, INT64_MIN,
		    "segments up to %" PRId64 " bytes of payload pass: keepalive probes are small: they pass, "
		    "and the side believes the connection is up", f->mtu - hdr);
}

const struct fault_kind fault_mtu_blackhole = {
	.name = "mtu-blackhole", .router_bridge = true, .table_rank = 7,
	.describe = "a path MTU black hole: the router's link takes MTU mtu = N and its ICMP \"too big\" errors are "
		    "dropped; big segments vanish, small ones pass",
	.takes = FAULT_TAKES_ROUTER | FAULT_TAKES_DIRECTION | FAULT_TAKES_DURATION | FAULT_TAKES_MTU,
	.validate = mtu_validate,
	.apply = mtu_apply, .lift = mtu_lift, .count = fault_table_count,
	.heal_ms = fault_heal_after_duration, .predict = mtu_predict,
};
