// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <string.h>

#include "wire.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

void wire_side_init(struct wire_side *w, const char *addr)
{
	memset(w, 0, sizeof(*w));
	w->v6 = strchr(addr, ':') != NULL;
	inet_pton(w->v6 ? AF_INET6 : AF_INET, addr, w->addr);
	w->cutoff_ns = INT64_MAX;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Sequence space comparisons (RFC 1982). */
static bool before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/*
 * An ICMP destination unreachable (host or network: what tcp_v4_err and
 * tcp_v6_err revert the backoff for) quoting a segment of ours at SND.UNA.
 * @icmp: the ICMP message, @len of it captured.
 */
static enum wire_class wire_unreachable(struct wire_side *w, const uint8_t *icmp, size_t len)
{
	const uint8_t *q = icmp + 8, *src, *tcp;
	bool v6 = w->v6;

	if (len < 8)
		return WIRE_OTHER;
	/*
	 * v4: net (0) or host (1) unreachable; v6: no route (0) only. What a
	 * router sends for a neighbour it cannot resolve, address unreachable
	 * (3), reverts nothing in tcp_v6_err.
	 */
	if (v6 ? !(icmp[0] == 1 && icmp[1] == 0) : !(icmp[0] == 3 && icmp[1] <= 1))
		return WIRE_OTHER;
	len -= 8;
	if (v6) {
		if (len < 40 + 8 || (q[0] >> 4) != 6 || q[6] != 6)
			return WIRE_OTHER;
		src = q + 8;
		tcp = q + 40;
	} else {
		size_t hl = (size_t)(q[0] & 0x0f) * 4;
		if (len < 20 || (q[0] >> 4) != 4 || q[9] != 6 || hl < 20 || len < hl + 8)
			return WIRE_OTHER;
		src = q + 12;
		tcp = q + hl;
	}
	if (memcmp(src, w->addr, v6 ? 16 : 4) != 0 || !w->synced || be32(tcp + 4) != w->snd_una)
		return WIRE_OTHER;
	return WIRE_IN_UNREACH;
}

enum wire_class wire_packet(struct wire_side *w, int64_t ts, const uint8_t *f, size_t caplen)
{
	const uint8_t *ip, *tcp, *src;
	size_t ip_payload, hl;
	bool out;

	if (ts > w->cutoff_ns || caplen < 14)
		return WIRE_OTHER;
	uint16_t ethertype = be16(f + 12);
	ip = f + 14;
	caplen -= 14;
	if (ethertype == 0x0800 && !w->v6 && caplen >= 20 && (ip[0] >> 4) == 4 && ip[9] == 1) {
		hl = (size_t)(ip[0] & 0x0f) * 4;
		return hl < 20 || caplen < hl ? WIRE_OTHER : wire_unreachable(w, ip + hl, caplen - hl);
	}
	if (ethertype == 0x86dd && w->v6 && caplen >= 40 && (ip[0] >> 4) == 6 && ip[6] == 58)
		return wire_unreachable(w, ip + 40, caplen - 40);
	if (ethertype == 0x0800 && !w->v6) {
		if (caplen < 20 || (ip[0] >> 4) != 4 || ip[9] != 6)
			return WIRE_OTHER;
		hl = (size_t)(ip[0] & 0x0f) * 4;
		size_t total = be16(ip + 2);
		if (hl < 20 || total < hl || caplen < hl + 20)
			return WIRE_OTHER;
		ip_payload = total - hl;
		src = ip + 12;
		out = memcmp(src, w->addr, 4) == 0;
	} else if (ethertype == 0x86dd && w->v6) {
		if (caplen < 40 + 20 || (ip[0] >> 4) != 6 || ip[6] != 6)
			return WIRE_OTHER;
		hl = 40;
		ip_payload = be16(ip + 4);
		src = ip + 8;
		out = memcmp(src, w->addr, 16) == 0;
	} else {
		return WIRE_OTHER;
	}
	tcp = ip + hl;
	size_t thl = (size_t)(tcp[12] >> 4) * 4;
	if (thl < 20 || ip_payload < thl)
		return WIRE_OTHER;
	uint32_t seq = be32(tcp + 4), ack = be32(tcp + 8);
	uint8_t flags = tcp[13];
	uint32_t wnd = be16(tcp + 14);
	uint32_t len = (uint32_t)(ip_payload - thl);

	w->counts.packets++;
	if (!out) {
		w->counts.last_in = ts;
		if (w->synced && (flags & TH_ACK) && before(w->snd_una, ack))
			w->snd_una = ack;
		w->peer_wnd = wnd;
		if (flags & TH_RST) {
			if (!w->counts.first_rst_in)
				w->counts.first_rst_in = ts;
			return WIRE_IN_RST;
		}
		if (flags & TH_FIN) {
			if (!w->counts.first_fin_in)
				w->counts.first_fin_in = ts;
			return WIRE_IN_FIN;
		}
		if (w->probe_out && len == 0 && !(flags & TH_SYN)) {
			w->probe_out = false;
			if (w->probe_keepalive) {
				int64_t rtt = ts - w->probe_sent;
				w->counts.probe_replies++;
				if (rtt > w->counts.probe_reply_max_ns)
					w->counts.probe_reply_max_ns = rtt;
			}
			return WIRE_PROBE_REPLY;
		}
		return len ? WIRE_IN_DATA : WIRE_IN;
	}

	if (flags & TH_RST) {
		if (!w->counts.first_rst_out)
			w->counts.first_rst_out = ts;
		return WIRE_RST;
	}
	if (flags & TH_SYN) {
		/* The same SYN (or SYN-ACK) again: its timer fired unanswered. */
		if (w->synced && seq == w->snd_una && w->snd_nxt == seq + 1) {
			w->counts.retransmits++;
			return WIRE_RETRANSMISSION;
		}
		w->synced = true;
		w->snd_una = seq;
		w->snd_nxt = seq + 1;
		return WIRE_SYN;
	}
	if (!w->synced) {
		/* Joined mid-connection: take this segment as the reference. */
		w->synced = true;
		w->snd_una = w->snd_nxt = seq + len + !!(flags & TH_FIN);
		return len ? WIRE_DATA : WIRE_ACK;
	}
	uint32_t end = seq + len + !!(flags & TH_FIN);
	/* SEG.SEQ = SND.NXT - 1 with at most one byte, and nothing else outstanding. */
	if (len <= 1 && !(flags & TH_FIN) && seq == w->snd_nxt - 1 && w->snd_una == w->snd_nxt) {
		w->probe_out = true;
		w->probe_sent = ts;
		w->probe_keepalive = w->peer_wnd != 0;
		if (w->peer_wnd == 0) {
			w->counts.zero_window_probes++;
			return WIRE_ZERO_WINDOW_PROBE;
		}
		w->counts.probes++;
		return WIRE_PROBE;
	}
	if ((len || (flags & TH_FIN)) && before(seq, w->snd_nxt)) {
		w->counts.retransmits++;
		if (before(w->snd_nxt, end))
			w->snd_nxt = end;
		return WIRE_RETRANSMISSION;
	}
	if (before(w->snd_nxt, end))
		w->snd_nxt = end;
	if (flags & TH_FIN)
		return WIRE_FIN;
	if (len) {
		w->counts.data++;
		return WIRE_DATA;
	}
	return WIRE_ACK;
}
