// SPDX-License-Identifier: MIT
/* Packet classification on crafted frames: what each side's host sent and received. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include "wire.h"

#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define ACK 0x10

static const char *const client = "198.18.1.2", *const server = "198.19.1.2";

/* An Ethernet + IPv4 + TCP frame from @src to @dst with @len bytes of payload. */
static size_t frame4(uint8_t *f, const char *src, const char *dst, uint32_t seq, uint32_t ack, uint8_t flags,
		     uint16_t wnd, uint16_t len)
{
	memset(f, 0, 14 + 20 + 20 + len);
	f[12] = 0x08;
	f[13] = 0x00;
	uint8_t *ip = f + 14, *tcp = ip + 20;
	ip[0] = 0x45;
	uint16_t total = htons((uint16_t)(20 + 20 + len));
	memcpy(ip + 2, &total, 2);
	ip[8] = 64;
	ip[9] = 6;
	inet_pton(AF_INET, src, ip + 12);
	inet_pton(AF_INET, dst, ip + 16);
	uint32_t s = htonl(seq), a = htonl(ack);
	uint16_t w = htons(wnd);
	memcpy(tcp + 4, &s, 4);
	memcpy(tcp + 8, &a, 4);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	memcpy(tcp + 14, &w, 2);
	return 14 + 20 + 20 + len;
}

static enum wire_class out(struct wire_side *w, int64_t t, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t len)
{
	uint8_t f[2000];
	size_t n = frame4(f, client, server, seq, ack, flags, 64000, len);
	return wire_packet(w, t, f, n);
}

static enum wire_class in(struct wire_side *w, int64_t t, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
			  uint16_t len)
{
	uint8_t f[2000];
	size_t n = frame4(f, server, client, seq, ack, flags, wnd, len);
	return wire_packet(w, t, f, n);
}

static void test_keepalive_exchange(void **state)
{
	struct wire_side w;

	(void)state;
	wire_side_init(&w, client);
	assert_int_equal(out(&w, 1, 1000, 0, SYN, 0), WIRE_SYN);
	assert_int_equal(in(&w, 2, 5000, 1001, SYN | ACK, 65000, 0), WIRE_IN);
	assert_int_equal(out(&w, 3, 1001, 5001, ACK, 0), WIRE_ACK);
	/* SEG.SEQ = SND.NXT - 1, no data, nothing outstanding: a keepalive probe. */
	assert_int_equal(out(&w, 100, 1000, 5001, ACK, 0), WIRE_PROBE);
	assert_int_equal(in(&w, 101, 5001, 1001, ACK, 65000, 0), WIRE_PROBE_REPLY);
	/* With one garbage byte, as some stacks send it. */
	assert_int_equal(out(&w, 200, 1000, 5001, ACK, 1), WIRE_PROBE);
	assert_int_equal(out(&w, 300, 1000, 5001, ACK, 0), WIRE_PROBE);
	assert_int_equal(w.counts.probes, 3);
	assert_int_equal(w.counts.probe_replies, 1);
	assert_int_equal(w.counts.probe_reply_max_ns, 1);
	assert_int_equal(w.counts.retransmits, 0);
	/* The keepalive timer gives up with a reset. */
	assert_int_equal(out(&w, 400, 1001, 5001, RST | ACK, 0), WIRE_RST);
	assert_int_equal(w.counts.first_rst_out, 400);
	assert_int_equal(w.counts.last_in, 101);
}

static void test_data_and_retransmissions(void **state)
{
	struct wire_side w;

	(void)state;
	wire_side_init(&w, client);
	out(&w, 1, 1000, 0, SYN, 0);
	in(&w, 2, 5000, 1001, SYN | ACK, 65000, 0);
	assert_int_equal(out(&w, 10, 1001, 5001, ACK, 100), WIRE_DATA);
	assert_int_equal(out(&w, 20, 1101, 5001, ACK, 100), WIRE_DATA);
	/* Not yet acknowledged and sent again: retransmissions, never probes. */
	assert_int_equal(out(&w, 30, 1101, 5001, ACK, 100), WIRE_RETRANSMISSION);
	assert_int_equal(out(&w, 40, 1001, 5001, ACK, 200), WIRE_RETRANSMISSION);
	assert_int_equal(w.counts.data, 2);
	assert_int_equal(w.counts.retransmits, 2);
	assert_int_equal(w.counts.probes, 0);
	/* Acknowledged, the same shape as a probe is one again. */
	in(&w, 50, 5001, 1201, ACK, 65000, 0);
	assert_int_equal(out(&w, 60, 1200, 5001, ACK, 0), WIRE_PROBE);
	/* The peer closes, then resets. */
	assert_int_equal(in(&w, 70, 5001, 1201, FIN | ACK, 65000, 0), WIRE_IN_FIN);
	assert_int_equal(in(&w, 80, 5002, 1201, RST, 0, 0), WIRE_IN_RST);
	assert_int_equal(w.counts.first_fin_in, 70);
	assert_int_equal(w.counts.first_rst_in, 80);
}

static void test_zero_window_and_cutoff(void **state)
{
	struct wire_side w;

	(void)state;
	wire_side_init(&w, client);
	out(&w, 1, 1000, 0, SYN, 0);
	in(&w, 2, 5000, 1001, SYN | ACK, 65000, 0);
	out(&w, 10, 1001, 5001, ACK, 100);
	/* The peer acknowledges everything but closes its window. */
	in(&w, 11, 5001, 1101, ACK, 0, 0);
	assert_int_equal(out(&w, 20, 1100, 5001, ACK, 0), WIRE_ZERO_WINDOW_PROBE);
	assert_int_equal(w.counts.zero_window_probes, 1);
	assert_int_equal(w.counts.probes, 0);
	/* Its answer is a reply to a zero-window probe, not to a keepalive probe. */
	assert_int_equal(in(&w, 21, 5001, 1101, ACK, 0, 0), WIRE_PROBE_REPLY);
	assert_int_equal(w.counts.probe_replies, 0);
	/* Past the side's decision nothing counts. */
	w.cutoff_ns = 25;
	assert_int_equal(out(&w, 30, 1100, 5001, ACK, 0), WIRE_OTHER);
	assert_int_equal(w.counts.zero_window_probes, 1);
	/* Not TCP, or not IPv4 for an IPv4 side: ignored. */
	uint8_t f[100];
	size_t n = frame4(f, client, server, 1, 1, ACK, 1, 0);
	f[14 + 9] = 17;
	w.cutoff_ns = INT64_MAX;
	assert_int_equal(wire_packet(&w, 40, f, n), WIRE_OTHER);
	assert_int_equal(wire_packet(&w, 40, f, 10), WIRE_OTHER);
}

/*
 * The router's ICMP (IPv4: type 3) quoting a segment we sent: @code, from
 * the router's address, the quoted segment's sequence @seq.
 */
static size_t icmp4(uint8_t *f, uint8_t code, uint32_t seq)
{
	uint8_t quoted[100];

	frame4(quoted, client, server, seq, 1, ACK, 64000, 8);
	memset(f, 0, 14 + 20 + 8 + 28);
	f[12] = 0x08;
	uint8_t *ip = f + 14, *icmp = ip + 20;
	ip[0] = 0x45;
	uint16_t total = htons(20 + 8 + 28);
	memcpy(ip + 2, &total, 2);
	ip[9] = 1;
	inet_pton(AF_INET, "198.18.1.1", ip + 12);
	inet_pton(AF_INET, client, ip + 16);
	icmp[0] = 3;
	icmp[1] = code;
	memcpy(icmp + 8, quoted + 14, 28);	/* the quoted IP header and the TCP header's first 8 bytes */
	return 14 + 20 + 8 + 28;
}

static void test_unreachable_and_answers(void **state)
{
	struct wire_side w;
	uint8_t f[200];

	(void)state;
	wire_side_init(&w, client);
	out(&w, 1, 1000, 0, SYN, 0);
	in(&w, 2, 5000, 1001, SYN | ACK, 65000, 0);
	/* An answer with data is told from a bare ACK (a heartbeat's pong from a frozen peer's kernel ACK). */
	assert_int_equal(out(&w, 10, 1001, 5001, ACK, 100), WIRE_DATA);
	assert_int_equal(in(&w, 11, 5001, 1101, ACK, 65000, 100), WIRE_IN_DATA);
	assert_int_equal(in(&w, 12, 5101, 1101, ACK, 65000, 0), WIRE_IN);
	assert_int_equal(out(&w, 20, 1101, 5101, ACK, 100), WIRE_DATA);
	/* Host unreachable for the oldest unacknowledged segment: it reverts a backoff. */
	assert_int_equal(wire_packet(&w, 30, f, icmp4(f, 1, 1101)), WIRE_IN_UNREACH);
	assert_int_equal(wire_packet(&w, 31, f, icmp4(f, 0, 1101)), WIRE_IN_UNREACH);
	/* For a later segment (a tail loss probe's new data), or port unreachable: nothing to the timer. */
	assert_int_equal(wire_packet(&w, 32, f, icmp4(f, 1, 1201)), WIRE_OTHER);
	assert_int_equal(wire_packet(&w, 33, f, icmp4(f, 3, 1101)), WIRE_OTHER);
	/* Truncated quotes are not read past. */
	assert_int_equal(wire_packet(&w, 34, f, icmp4(f, 1, 1101) - 10), WIRE_OTHER);
	assert_int_equal(w.counts.packets, 6);	/* the TCP ones only */
}

UNIT_TESTS(
	cmocka_unit_test(test_unreachable_and_answers),
	cmocka_unit_test(test_keepalive_exchange),
	cmocka_unit_test(test_data_and_retransmissions),
	cmocka_unit_test(test_zero_window_and_cutoff)
)
