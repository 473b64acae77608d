// SPDX-License-Identifier: MIT
/*
 * Integration tests (root): action = loss, a link that loses a share of the
 * connection's packets at random. What chance decides is not asserted;
 * what the kernel's rules make certain whatever is lost is:
 *  - keepalive with keepcnt 1 gives up at the first unanswered probe, one
 *    keepintvl after it, so the timeout comes keepidle + keepintvl after
 *    the last packet received and every probe but the last was answered;
 *  - what the rules dropped is counted (fault_hits): at least what the two
 *    hosts' wires say was sent and never arrived; a stream that loses half
 *    its segments retransmits; and the share of the server's ACKs lost
 *    under 50% loss is within 4 standard deviations of one half.
 */
#define _GNU_SOURCE
#include "test_run.h"

/*
 * 60% each way: a probe fails with p = 1 - 0.4^2 = 84%; 7 probes fit before
 * the deadline, and a run where all 7 are answered is 0.16^7 = 2.7e-6.
 */
static const char keepcnt1[] =
	"[scenario]\nfamily = %s\ndeadline = 8s\n"
	"[client]\nkeepalive = yes\nkeepidle = 1s\nkeepintvl = 1s\nkeepcnt = 1\n"
	"[fault]\nat = 500ms\naction = loss\ntarget = router\nprobability = 60%%\n";

static void keepcnt1_killed(const char *family)
{
	char text[512];
	struct ran r;

	snprintf(text, sizeof(text), keepcnt1, family);
	run_text(&r, text);
	const struct side_result *c = &r.r.side[HOST_CLIENT], *s = &r.r.side[HOST_SERVER];
	assert_int_equal(c->outcome, OUTCOME_TIMEOUT);
	assert_int_equal(c->mechanism, MECH_KEEPALIVE);
	assert_int_equal(c->err, 110 /* ETIMEDOUT */);
	assert_true(c->detected && c->has_last_rx);
	/* The last answer, then a probe keepidle later that fails, then the abort keepintvl after it. */
	assert_window("client detect - last_rx", c->detect_ms - c->last_rx_ms, 2000 - 20, late(2000));
	assert_true(c->counted_on_wire);
	print_message("  %s: %u probe(s), %u answered, %lld packets dropped\n", family, c->probes, c->probe_replies,
		      (long long)r.r.fault_hits);
	assert_true(c->probes >= 1);
	assert_int_equal(c->probe_replies, c->probes - 1);
	/* The rules matched at least the probe or the reply that was lost. */
	assert_true(r.r.fault_hits >= 1);
	/* Chance decides whether the client's reset reaches the server. */
	assert_true(s->outcome == OUTCOME_RST || s->outcome == OUTCOME_NONE);
	/* The prediction names no outcome, and says how likely the kill was. */
	assert_int_equal(c->predicted_outcome, OUTCOME_COUNT);
	done(&r);
}

static void test_keepcnt1_killed_ipv4(void **state)
{
	(void)state;
	keepcnt1_killed("ipv4");
}

static void test_keepcnt1_killed_ipv6(void **state)
{
	(void)state;
	keepcnt1_killed("ipv6");
}

/* The packets @s's host saw of the connection from @from until @until: those it sent (@sent) or received. */
static size_t packets_between(const struct observation *o, int s, int64_t from, int64_t until, bool sent)
{
	size_t n = 0;

	for (size_t i = 0; i < o->side[s].n_timeline; i++) {
		const struct obs_packet *p = &o->side[s].timeline[i];
		if (p->cls != WIRE_OTHER && p->ts_ns >= from && p->ts_ns < until)
			n += sent == (p->cls < WIRE_IN);
	}
	return n;
}

struct lost {
	size_t sent, arrived;		/* by @from's host, at the other host, from the fault to the deadline */
};

/* A run of @text: what side @from sent after the fault, and how much of it reached the other side. */
static struct lost run_lossy(struct ran *r, const char *text, int from)
{
	int64_t t0, t1;
	struct lost l;

	run_text(r, text);
	t0 = r->obs.fault_ns;
	t1 = r->obs.deadline_ns;
	l.sent = packets_between(&r->obs, from, t0, t1, true);
	l.arrived = packets_between(&r->obs, !from, t0, t1, false);
	print_message("  %zu packets sent by the %s, %zu arrived; %lld dropped by the rule\n", l.sent,
		      host_name(from), l.arrived, (long long)r->r.fault_hits);
	assert_true(l.arrived <= l.sent);
	/*
	 * The rule's counter saw every one the wires say was lost (and counts on
	 * past the deadline), but for one or two sent just before the deadline
	 * whose arrival the other host's capture saw after it.
	 */
	assert_true(r->r.fault_hits >= (int64_t)(l.sent - l.arrived) - 2);
	return l;
}

/*
 * A stream under 50% loss towards the server: half its segments vanish, so
 * it retransmits (and backs off: far fewer segments go than were written).
 * No segment is lost tcp_retries2 = 15 times in a row in 3 s: no timeout.
 */
static void stream_retransmits(const char *family)
{
	char text[512];
	struct ran r;

	snprintf(text, sizeof(text),
		 "[scenario]\nfamily = %s\ndeadline = 3s\n"
		 "[client]\ntraffic = stream\ninterval = 20ms\nsize = 4000\n"
		 "[fault]\nat = 500ms\naction = loss\ntarget = router\ndirection = to-server\nprobability = 50%%\n",
		 family);
	struct lost l = run_lossy(&r, text, HOST_CLIENT);
	const struct side_result *c = &r.r.side[HOST_CLIENT];
	assert_int_equal(c->outcome, OUTCOME_NONE);
	assert_int_equal(r.r.side[HOST_SERVER].outcome, OUTCOME_NONE);
	assert_true(c->counted_on_wire);
	assert_true(c->retransmits > 0);
	/*
	 * Some were lost. How many were sent is chance too (a segment lost four
	 * times in a row holds the stream back 3 s), so the share is checked on
	 * the ACKs below, which do not stall.
	 */
	assert_true(l.sent > l.arrived);
	assert_true(r.r.fault_hits >= 1);
	done(&r);
}

static void test_stream_retransmits_ipv4(void **state)
{
	(void)state;
	stream_retransmits("ipv4");
}

static void test_stream_retransmits_ipv6(void **state)
{
	(void)state;
	stream_retransmits("ipv6");
}

/*
 * The share: 50% loss towards the client while the client streams. The
 * server's ACKs are lost, which stalls nothing (the next ACK covers the
 * lost one), so it sends many, each lost with p = 1/2 independently. With n
 * of them the share lost has a standard deviation of 0.5 / sqrt(n); the
 * window is 4 of them wide each way (6e-5 per run).
 */
static void test_share_of_acks_lost(void **state)
{
	struct ran r;

	(void)state;
	struct lost l = run_lossy(&r, "[scenario]\ndeadline = 3s\n"
			  "[client]\ntraffic = stream\ninterval = 20ms\nsize = 4000\n"
			  "[fault]\nat = 500ms\naction = loss\ntarget = router\ndirection = to-client\n"
			  "probability = 50%\n", HOST_SERVER);
	/* About 200 in 2.5 s here; 60 still make a window of 0.24..0.76. */
	assert_true(l.sent >= 60);
	/* |lost - n/2| <= 4 x sqrt(n)/2, squared: (2 lost - n)^2 <= 16 n. */
	int64_t n = (int64_t)l.sent, off = 2 * (int64_t)(l.sent - l.arrived) - n;
	print_message("  lost %zu of %zu; the window is (2 lost - n)^2 <= 16 n: %lld <= %lld\n",
		      l.sent - l.arrived, l.sent, (long long)(off * off), (long long)(16 * n));
	assert_true(off * off <= 16 * n);
	assert_int_equal(r.r.side[HOST_CLIENT].outcome, OUTCOME_NONE);
	done(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keepcnt1_killed_ipv4),
		cmocka_unit_test(test_keepcnt1_killed_ipv6),
		cmocka_unit_test(test_stream_retransmits_ipv4),
		cmocka_unit_test(test_stream_retransmits_ipv6),
		cmocka_unit_test(test_share_of_acks_lost),
	};

	return run_as_root(tests);
}
