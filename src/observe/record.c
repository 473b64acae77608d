// SPDX-License-Identifier: MIT
/*
 * The observation record's encoding (see record.h). Each part of the record
 * is described once, by a function that walks its fields through a codec:
 * encoding, the codec appends each field; decoding, it fills each field from
 * the input. Writer and reader cannot drift apart, because they are the same
 * code.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record.h"

enum obs_tag {
	OBS_TAG_IDENT = 1,	/* scenario, variant, index, run */
	OBS_TAG_RUN = 2,	/* failed, error, instants, harness timings */
	OBS_TAG_SIDE = 3,	/* one per side: its endpoint's report and wire counts */
	OBS_TAG_TIMELINE = 4,	/* one per side with packets */
	OBS_TAG_APP = 5,	/* one per side: the options it set and the program's view */
	OBS_TAG_CLOCK = 6,	/* the jiffies' place on CLOCK_MONOTONIC */
	OBS_TAG_FAULTS = 7,	/* when each fault acted and was lifted */
};

#define OBS_MAGIC "DPOB"
#define OBS_HEADER_LEN 12	/* magic, version, flags, length */
#define ITEM_HEADER_LEN 6	/* tag, length */

struct codec {
	bool decode;
	/* encoding: a growing buffer */
	uint8_t *buf;
	size_t len, cap;
	/* decoding: what is left of the current item */
	const uint8_t *in;
	size_t left;
	int err;		/* first error: -ENOMEM encoding, -EBADMSG decoding */
};

static uint8_t *room(struct codec *c, size_t n)
{
	if (c->err)
		return NULL;
	if (c->len + n > c->cap) {
		size_t cap = c->cap ? c->cap : 256;
		while (cap < c->len + n)
			cap *= 2;
		uint8_t *p = realloc(c->buf, cap);
		if (!p) {
			c->err = -ENOMEM;
			return NULL;
		}
		c->buf = p;
		c->cap = cap;
	}
	c->len += n;
	return c->buf + c->len - n;
}

static const uint8_t *take(struct codec *c, size_t n)
{
	if (c->err || c->left < n) {
		c->err = c->err ? c->err : -EBADMSG;
		return NULL;
	}
	c->in += n;
	c->left -= n;
	return c->in - n;
}

/* An unsigned integer of @n bytes, little-endian. */
static void codec_uint(struct codec *c, uint64_t *v, size_t n)
{
	if (!c->decode) {
		uint8_t *p = room(c, n);
		for (size_t i = 0; p && i < n; i++)
			p[i] = (uint8_t)(*v >> (8 * i));
		return;
	}
	const uint8_t *p = take(c, n);
	*v = 0;
	for (size_t i = 0; p && i < n; i++)
		*v |= (uint64_t)p[i] << (8 * i);
}

static void codec_i64(struct codec *c, int64_t *v)
{
	uint64_t u = (uint64_t)*v;

	codec_uint(c, &u, 8);
	*v = (int64_t)u;
}

static void codec_u32(struct codec *c, uint32_t *v)
{
	uint64_t u = *v;

	codec_uint(c, &u, 4);
	*v = (uint32_t)u;
}

static void codec_u8(struct codec *c, uint8_t *v)
{
	uint64_t u = *v;

	codec_uint(c, &u, 1);
	*v = (uint8_t)u;
}

static void codec_bool(struct codec *c, bool *v)
{
	uint8_t u = *v;

	codec_u8(c, &u);
	if (c->decode && u > 1)
		c->err = c->err ? c->err : -EBADMSG;
	*v = u;
}

static void codec_int(struct codec *c, int *v)
{
	uint32_t u = (uint32_t)*v;

	codec_u32(c, &u);
	*v = (int)u;
}

/* An enum value below @count. */
static void codec_enum(struct codec *c, int *v, int count)
{
	codec_int(c, v);
	if (c->decode && (*v < 0 || *v >= count))
		c->err = c->err ? c->err : -EBADMSG;
}

/* A string of at most @size - 1 bytes: u32 length, then the bytes. */
static void codec_str(struct codec *c, char *s, size_t size)
{
	uint32_t n = c->decode ? 0 : (uint32_t)strnlen(s, size - 1);

	codec_u32(c, &n);
	if (!c->decode) {
		uint8_t *p = room(c, n);
		if (p)
			memcpy(p, s, n);
		return;
	}
	const uint8_t *p = n < size ? take(c, n) : NULL;
	if (!p) {
		c->err = c->err ? c->err : -EBADMSG;
		s[0] = '\0';
		return;
	}
	memcpy(s, p, n);
	s[n] = '\0';
}

/* Zigzag LEB128: small numbers of either sign in few bytes. */
static void codec_varint(struct codec *c, int64_t *v)
{
	if (!c->decode) {
		uint64_t u = ((uint64_t)*v << 1) ^ (uint64_t)(*v >> 63);
		do {
			uint8_t *p = room(c, 1);
			if (!p)
				return;
			*p = (uint8_t)((u & 0x7f) | (u > 0x7f ? 0x80 : 0));
			u >>= 7;
		} while (u);
		return;
	}
	uint64_t u = 0;
	for (unsigned shift = 0;; shift += 7) {
		const uint8_t *p = shift < 64 ? take(c, 1) : NULL;
		if (!p) {
			c->err = c->err ? c->err : -EBADMSG;
			return;
		}
		u |= (uint64_t)(*p & 0x7f) << shift;
		if (!(*p & 0x80))
			break;
	}
	*v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static void codec_snapshot(struct codec *c, struct tcp_snapshot *s)
{
	codec_i64(c, &s->ts_ns);
	codec_u8(c, &s->state);
	codec_u8(c, &s->probes);
	codec_u8(c, &s->backoff);
	codec_u8(c, &s->retransmits);
	codec_u32(c, &s->total_retrans);
	codec_u32(c, &s->unacked);
	codec_u32(c, &s->snd_wnd);
	codec_u32(c, &s->last_data_recv_ms);
	codec_u32(c, &s->last_ack_recv_ms);
	codec_u32(c, &s->notsent);
	codec_u32(c, &s->outq);
}

static void codec_report(struct codec *c, struct ep_report *r)
{
	int outcome = (int)r->outcome;

	codec_i64(c, &r->ts_ns);
	codec_enum(c, &outcome, OUTCOME_COUNT);
	r->outcome = (enum outcome)outcome;
	codec_int(c, &r->err);
	codec_i64(c, &r->last_rx_ns);
	codec_i64(c, &r->keepidle_ms);
	codec_i64(c, &r->keepintvl_ms);
	codec_i64(c, &r->keepcnt);
	codec_i64(c, &r->user_timeout_ms);
	codec_snapshot(c, &r->before);
	codec_snapshot(c, &r->after);
}

static void codec_app(struct codec *c, struct ep_report *r)
{
	struct app_view *a = &r->app;
	int observer = (int)a->observer, reaction = (int)a->reaction;

	codec_int(c, &r->keepalive);
	codec_enum(c, &observer, OBSERVER_COUNT);
	codec_enum(c, &reaction, APP_REACT_COUNT);
	a->observer = (enum observer)observer;
	a->reaction = (enum app_reaction)reaction;
	codec_i64(c, &a->ts_ns);
	codec_int(c, &a->err);
	codec_bool(c, &a->exited);
	codec_int(c, &a->exit_status);
	codec_str(c, a->line, sizeof(a->line));
	codec_u32(c, &a->connections);
	codec_i64(c, &a->observe_lag_ns);
	for (size_t i = 0; i < APP_CONNECTIONS_MAX; i++)
		codec_i64(c, &a->conn_ns[i]);
}

static void codec_wire(struct codec *c, struct wire_counts *w)
{
	codec_u32(c, &w->probes);
	codec_u32(c, &w->zero_window_probes);
	codec_u32(c, &w->retransmits);
	codec_u32(c, &w->data);
	codec_u32(c, &w->probe_replies);
	codec_i64(c, &w->probe_reply_max_ns);
	codec_i64(c, &w->first_rst_in);
	codec_i64(c, &w->first_fin_in);
	codec_i64(c, &w->first_rst_out);
	codec_i64(c, &w->last_in);
	codec_u32(c, &w->packets);
}

static void codec_ident(struct codec *c, struct observation *o)
{
	codec_str(c, o->scenario, sizeof(o->scenario));
	codec_str(c, o->variant, sizeof(o->variant));
	codec_u32(c, &o->variant_index);
	codec_u32(c, &o->run);
}

static void codec_run(struct codec *c, struct observation *o)
{
	codec_bool(c, &o->failed);
	codec_str(c, o->error, sizeof(o->error));
	codec_i64(c, &o->established_ns);
	codec_i64(c, &o->fault_ns);
	codec_i64(c, &o->deadline_ns);
	codec_i64(c, &o->setup_us);
	codec_i64(c, &o->connect_us);
	codec_i64(c, &o->teardown_us);
	codec_i64(c, &o->fault_lag_us);
	codec_i64(c, &o->fault_hits);
	/* Added after the first records: those end here, and leave it at -1. */
	if (!c->decode || c->left)
		codec_i64(c, &o->run_us);
}

static void codec_side(struct codec *c, struct obs_side *s)
{
	codec_bool(c, &s->started);
	codec_bool(c, &s->killed);
	codec_bool(c, &s->decided);
	codec_report(c, &s->report);
	codec_bool(c, &s->on_wire);
	codec_wire(c, &s->wire);
}

/* The packets: their count, then each as its class and the time since the one before. */
static void codec_timeline(struct codec *c, struct obs_side *s)
{
	uint32_t n = (uint32_t)s->n_timeline;
	int64_t prev = 0;

	codec_u32(c, &s->timeline_dropped);
	codec_u32(c, &n);
	if (c->decode) {
		/* Each packet takes two bytes at least: a count beyond that is a lie. */
		if (c->err || n > OBS_TIMELINE_MAX || n > c->left / 2) {
			c->err = c->err ? c->err : -EBADMSG;
			return;
		}
		free(s->timeline);
		s->timeline = n ? calloc(n, sizeof(*s->timeline)) : NULL;
		s->n_timeline = 0;
		s->timeline_cap = n;
		if (n && !s->timeline) {
			c->err = -ENOMEM;
			return;
		}
	}
	for (uint32_t i = 0; i < n && !c->err; i++) {
		struct obs_packet *p = &s->timeline[i];
		uint8_t cls = (uint8_t)p->cls;
		int64_t delta = p->ts_ns - prev;

		codec_u8(c, &cls);
		codec_varint(c, &delta);
		if (c->decode && cls >= WIRE_CLASS_COUNT)
			c->err = c->err ? c->err : -EBADMSG;
		if (c->decode) {
			p->cls = (enum wire_class)cls;
			p->ts_ns = prev + delta;
			s->n_timeline = i + 1;
		}
		prev = p->ts_ns;
	}
}

void obs_init(struct observation *o)
{
	*o = (struct observation){
		.setup_us = -1, .connect_us = -1, .teardown_us = -1, .run_us = -1, .fault_lag_us = -1, .fault_hits = -1,
	};
	for (int s = 0; s < SIDE_COUNT; s++) {
		o->side[s].report.keepalive = -1;
		o->side[s].report.app.observe_lag_ns = -1;
	}	/* records from before the APP item did not say */
}

void obs_release(struct observation *o)
{
	for (int s = 0; s < SIDE_COUNT; s++) {
		free(o->side[s].timeline);
		o->side[s].timeline = NULL;
		o->side[s].n_timeline = o->side[s].timeline_cap = 0;
	}
}

int obs_fault_start(struct observation *o, const char *kind, int target, int64_t start_ns)
{
	if (o->n_faults >= MAX_FAULTS)
		return -1;
	struct obs_fault *f = &o->faults[o->n_faults];
	*f = (struct obs_fault){ .target = (uint8_t)target, .start_ns = start_ns };
	snprintf(f->kind, sizeof(f->kind), "%s", kind);
	return (int)o->n_faults++;
}

void obs_add_packet(struct observation *o, int s, int64_t ts_ns, enum wire_class cls)
{
	struct obs_side *side = &o->side[s];

	if (side->n_timeline >= OBS_TIMELINE_MAX) {
		side->timeline_dropped++;
		return;
	}
	/* A failed allocation drops the packet from the list, not from the counts. */
	if (side->n_timeline == side->timeline_cap) {
		size_t cap = side->timeline_cap ? side->timeline_cap * 2 : 64;
		struct obs_packet *p = reallocarray(side->timeline, cap, sizeof(*p));
		if (!p) {
			side->timeline_dropped++;
			return;
		}
		side->timeline = p;
		side->timeline_cap = cap;
	}
	side->timeline[side->n_timeline++] = (struct obs_packet){ ts_ns, cls };
}

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Encode one item: its header, then what @fn writes, then its length patched in. */
static void item(struct codec *c, enum obs_tag tag, int side, struct observation *o,
		 void (*fn)(struct codec *c, struct observation *o, int side))
{
	size_t start = c->len;
	uint8_t *h = room(c, ITEM_HEADER_LEN);

	if (!h)
		return;
	put_u16(h, (uint16_t)tag);
	fn(c, o, side);
	if (!c->err)
		put_u32(c->buf + start + 2, (uint32_t)(c->len - start - ITEM_HEADER_LEN));
}

static void item_ident(struct codec *c, struct observation *o, int side) { codec_ident(c, o); }
static void item_run(struct codec *c, struct observation *o, int side) { codec_run(c, o); }

static void codec_clock(struct codec *c, struct obs_clock *k)
{
	int hz = k->hz;

	codec_int(c, &hz);
	k->hz = hz;
	codec_i64(c, &k->tick_ns);
	codec_i64(c, &k->tick_ns_len);
	codec_i64(c, &k->jiffy);
}

static void item_clock(struct codec *c, struct observation *o, int side) { codec_clock(c, &o->clock); }

/* The faults: their count, then each as its kind, target and span. */
static void codec_faults(struct codec *c, struct observation *o)
{
	codec_u32(c, &o->n_faults);
	if (c->decode && !c->err && o->n_faults > MAX_FAULTS)
		c->err = -EBADMSG;
	for (uint32_t i = 0; i < o->n_faults && !c->err; i++) {
		struct obs_fault *f = &o->faults[i];
		codec_str(c, f->kind, sizeof(f->kind));
		codec_u8(c, &f->target);
		codec_i64(c, &f->start_ns);
		codec_i64(c, &f->end_ns);
		if (c->decode && !c->err && f->target >= HOST_COUNT)
			c->err = -EBADMSG;
	}
}

static void item_faults(struct codec *c, struct observation *o, int side) { codec_faults(c, o); }

static void item_side(struct codec *c, struct observation *o, int side)
{
	uint8_t s = (uint8_t)side;

	codec_u8(c, &s);
	codec_side(c, &o->side[side]);
}

static void item_app(struct codec *c, struct observation *o, int side)
{
	uint8_t s = (uint8_t)side;

	codec_u8(c, &s);
	codec_app(c, &o->side[side].report);
}

static void item_timeline(struct codec *c, struct observation *o, int side)
{
	uint8_t s = (uint8_t)side;

	codec_u8(c, &s);
	codec_timeline(c, &o->side[side]);
}

int obs_encode(const struct observation *o, uint8_t **buf, size_t *len)
{
	struct codec c = { .decode = false };
	/* Encoding only reads the record; the codec's fields are shared with decoding. */
	struct observation *rw = (struct observation *)o;
	uint8_t *h = room(&c, OBS_HEADER_LEN);

	if (h) {
		memcpy(h, OBS_MAGIC, 4);
		put_u16(h + 4, OBS_VERSION);
		put_u16(h + 6, 0);
	}
	item(&c, OBS_TAG_IDENT, 0, rw, item_ident);
	item(&c, OBS_TAG_RUN, 0, rw, item_run);
	if (o->clock.hz > 0)
		item(&c, OBS_TAG_CLOCK, 0, rw, item_clock);
	if (o->n_faults)
		item(&c, OBS_TAG_FAULTS, 0, rw, item_faults);
	for (int s = 0; s < SIDE_COUNT; s++) {
		item(&c, OBS_TAG_SIDE, s, rw, item_side);
		item(&c, OBS_TAG_APP, s, rw, item_app);
		if (o->side[s].n_timeline || o->side[s].timeline_dropped)
			item(&c, OBS_TAG_TIMELINE, s, rw, item_timeline);
	}
	if (c.err) {
		free(c.buf);
		return c.err;
	}
	put_u32(c.buf + 8, (uint32_t)(c.len - OBS_HEADER_LEN));
	*buf = c.buf;
	*len = c.len;
	return 0;
}

int obs_decode(const uint8_t *buf, size_t len, struct observation *o)
{
	const uint8_t *end;
	unsigned seen = 0;

	obs_init(o);
	if (len < OBS_HEADER_LEN || memcmp(buf, OBS_MAGIC, 4) != 0)
		return -EBADMSG;
	if ((buf[4] | buf[5] << 8) > OBS_VERSION)
		return -EPROTONOSUPPORT;
	if (get_u32(buf + 8) != len - OBS_HEADER_LEN)
		return -EBADMSG;
	end = buf + len;
	for (const uint8_t *p = buf + OBS_HEADER_LEN; p < end;) {
		if ((size_t)(end - p) < ITEM_HEADER_LEN)
			return -EBADMSG;
		unsigned tag = p[0] | p[1] << 8;
		uint32_t n = get_u32(p + 2);
		p += ITEM_HEADER_LEN;
		if (n > (size_t)(end - p))
			return -EBADMSG;
		struct codec c = { .decode = true, .in = p, .left = n };
		uint8_t side = 0;
		switch (tag) {
		case OBS_TAG_IDENT:
			codec_ident(&c, o);
			break;
		case OBS_TAG_RUN:
			codec_run(&c, o);
			break;
		case OBS_TAG_CLOCK:
			codec_clock(&c, &o->clock);
			if (!c.err && (o->clock.hz < 0 || (o->clock.hz > 0 && o->clock.tick_ns_len <= 0)))
				return -EBADMSG;
			break;
		case OBS_TAG_FAULTS:
			codec_faults(&c, o);
			break;
		case OBS_TAG_SIDE:
		case OBS_TAG_APP:
		case OBS_TAG_TIMELINE:
			codec_u8(&c, &side);
			if (side >= SIDE_COUNT)
				return -EBADMSG;
			if (tag == OBS_TAG_SIDE)
				codec_side(&c, &o->side[side]);
			else if (tag == OBS_TAG_APP)
				codec_app(&c, &o->side[side].report);
			else
				codec_timeline(&c, &o->side[side]);
			break;
		default:
			break;	/* a later version's item: skipped */
		}
		if (c.err)
			return c.err;
		if (tag < 32)
			seen |= 1u << tag;
		p += n;
	}
	/* Without who it was and how it went, a record says nothing. */
	if (!(seen & (1u << OBS_TAG_IDENT)) || !(seen & (1u << OBS_TAG_RUN)))
		return -EBADMSG;
	return 0;
}

int obs_save(const char *path, const struct observation *o)
{
	uint8_t *buf;
	size_t len;
	int ret = obs_encode(o, &buf, &len);

	if (ret)
		return ret;
	ret = save_file(path, buf, len);
	free(buf);
	return ret;
}

int obs_load(const char *path, struct observation *o)
{
	void *buf;
	size_t len;
	int ret;

	obs_init(o);
	ret = load_file(path, OBS_MAX_BYTES, &buf, &len);
	if (ret)
		return ret;
	ret = obs_decode(buf, len, o);
	free(buf);
	return ret;
}
