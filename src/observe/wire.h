/* SPDX-License-Identifier: MIT */
/*
 * What one side's host saw on its wire, packet by packet, classified from
 * that side's point of view: keepalive probes (SEG.SEQ = SND.NXT - 1, no data
 * or one byte, nothing unacknowledged) and the peer's replies to them, data,
 * retransmissions, zero-window probes, FIN and RST.
 */
#ifndef DEADPEER_WIRE_H
#define DEADPEER_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

enum wire_class {
	WIRE_OTHER,		/* not our connection, or not TCP */
	WIRE_SYN, WIRE_ACK, WIRE_DATA, WIRE_RETRANSMISSION, WIRE_PROBE, WIRE_ZERO_WINDOW_PROBE,
	WIRE_FIN, WIRE_RST,
	/* from the peer */
	WIRE_IN, WIRE_PROBE_REPLY, WIRE_IN_FIN, WIRE_IN_RST,
	/* an ICMP host or network unreachable for our oldest unacknowledged segment (RFC 6069's revert) */
	WIRE_IN_UNREACH,
	WIRE_IN_DATA,		/* from the peer, with data (an answer), where WIRE_IN has none */
	WIRE_CLASS_COUNT
};

/* What one side's host sent and received on its connection, as counted from its wire. */
struct wire_counts {
	/* what this side sent */
	uint32_t probes, zero_window_probes, retransmits, data;
	uint32_t probe_replies;		/* keepalive probes the peer acknowledged */
	int64_t probe_reply_max_ns;	/* the slowest of those acknowledgements */
	/* wire events, CLOCK_MONOTONIC ns; 0: none */
	int64_t first_rst_in, first_fin_in, first_rst_out, last_in;
	uint32_t packets;
};

struct wire_side {
	uint8_t addr[16];		/* this side's address (4 bytes used for IPv4) */
	bool v6;
	int64_t cutoff_ns;		/* packets after this are not counted (the side had decided) */
	struct wire_counts counts;

	/* sequence tracking of our direction */
	bool synced;
	uint32_t snd_nxt, snd_una, peer_wnd;
	bool probe_out;			/* a probe waits for its reply */
	bool probe_keepalive;		/* ... and it is a keepalive probe, sent at probe_sent */
	int64_t probe_sent;
};

void wire_side_init(struct wire_side *w, const char *addr);

/* Account one Ethernet frame of this side's host; returns its class. */
enum wire_class wire_packet(struct wire_side *w, int64_t ts_ns, const uint8_t *frame, size_t caplen);

/* "probe", "in-rst"...; defined in names.c with the other enums' words. */
const char *wire_class_name(enum wire_class c);

#endif
