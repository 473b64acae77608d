// SPDX-License-Identifier: MIT
/*
 * The timer wheel, following kernel/time/timer.c (Linux 5.10 to 6.18; the
 * layout has not changed since "timers: Use only bucket expiry for base
 * next_expiry value" and "timers: Simplify calc_index()" of 2020):
 *
 *   #define LVL_CLK_SHIFT 3
 *   #define LVL_SHIFT(n)  ((n) * LVL_CLK_SHIFT)
 *   #define LVL_START(n)  ((LVL_SIZE - 1) << (((n) - 1) * LVL_CLK_SHIFT))
 *   #define LVL_BITS 6, LVL_SIZE 64, LVL_DEPTH 9 (HZ > 100) or 8
 *   #define WHEEL_TIMEOUT_CUTOFF (LVL_START(LVL_DEPTH))
 *   #define WHEEL_TIMEOUT_MAX (WHEEL_TIMEOUT_CUTOFF - LVL_GRAN(LVL_DEPTH - 1))
 *   calc_index:  expires = (expires >> LVL_SHIFT(lvl)) + 1;
 *                *bucket_expiry = expires << LVL_SHIFT(lvl);
 *   __run_timers: base->clk++ before the callbacks run ("while executing
 *                timers, base->clk is set 1 offset ahead of jiffies").
 */
#include <math.h>
#include <string.h>

#include "wheel.h"

static int64_t lvl_start(int n)
{
	return ((1LL << WHEEL_LVL_BITS) - 1) << ((n - 1) * WHEEL_LVL_CLK_SHIFT);
}

int wheel_depth(int hz)
{
	return hz > 100 ? 9 : 8;
}

int wheel_level(int64_t delta, int hz)
{
	int depth = wheel_depth(hz);

	for (int lvl = 0; lvl < depth - 1; lvl++)
		if (delta < lvl_start(lvl + 1))
			return lvl;
	return depth - 1;
}

int64_t wheel_bucket_expiry(int64_t expires, int64_t clk, int hz)
{
	int64_t delta = expires - clk;
	int depth = wheel_depth(hz), lvl, shift;

	if (delta < 0)
		return clk;	/* already due: the current bucket */
	if (delta >= lvl_start(depth))	/* obscenely far: the capacity limit of the wheel */
		expires = clk + lvl_start(depth) - (1LL << ((depth - 1) * WHEEL_LVL_CLK_SHIFT));
	lvl = wheel_level(delta, hz);
	shift = lvl * WHEEL_LVL_CLK_SHIFT;
	return ((expires >> shift) + 1) << shift;
}

int64_t wheel_fire(int64_t armed, int64_t delay, bool in_callback, int hz)
{
	return wheel_bucket_expiry(armed + delay, armed + (in_callback ? 1 : 0), hz);
}

static int64_t div_up(int64_t a, int64_t b)
{
	return a <= 0 ? a / b : (a + b - 1) / b;
}

int64_t wheel_ms_to_jiffies(int64_t ms, int hz)
{
	return div_up(ms * hz, 1000);
}

int64_t wheel_us_to_jiffies(int64_t us, int hz)
{
	return div_up(us * hz, 1000000);
}

int64_t wheel_jiffies_to_ms(int64_t j, int hz)
{
	return div_up(j * 1000, hz);
}

int64_t wheel_jiffies_to_us(int64_t j, int hz)
{
	/* exact where HZ divides a second's microseconds; the 64-bit kernel truncates otherwise */
	return j * 1000000 / hz;
}

static int shift_of(int64_t delta, int hz)
{
	return wheel_level(delta, hz) * WHEEL_LVL_CLK_SHIFT;
}

int64_t wheel_arm(struct wheel_trace *t, int64_t now, int64_t delay, bool in_callback)
{
	int shift = shift_of(delay - (in_callback ? 1 : 0), t->hz);

	if (t->timers++ == 0)
		t->first_shift = shift;
	else if (shift > t->max_shift)
		t->max_shift = shift;
	return wheel_fire(now, delay, in_callback, t->hz);
}

void wheel_event(struct wheel_trace *t, int64_t at, int kind)
{
	if (t->n < WHEEL_EVENTS_MAX) {
		t->at[t->n] = at;
		t->kind[t->n] = kind;
	}
	t->n++;
}

/* What CLOCK_MONOTONIC reads, in ms, @us µs after the start's reference instant (a run's start only). */
static int64_t clock_ms(const struct wheel_start *s, double us)
{
	const struct wheel_clock *k = s->clock;
	double ns = (double)k->tick_ns + ((double)(s->jiffy - k->jiffy) + s->phase) * (double)k->tick_len + us * 1000.0;

	return (int64_t)floor(ns / 1e6);
}

int64_t wheel_elapsed_us_ms(const struct wheel_trace *t, int64_t us)
{
	const struct wheel_start *s = t->start;

	if (s->clock)
		return clock_ms(s, (double)us) - clock_ms(s, 0);
	return s->slack_ms > 0 ? (us + 999) / 1000 : us / 1000;
}

int64_t wheel_elapsed_ms(const struct wheel_trace *t, int64_t at)
{
	if (t->start->clock) {
		/* at the jiffy's start, as the timer fires: the clock has read a little more by then */
		double us = ((double)(at - t->start->jiffy) - t->start->phase) * 1e6 / t->hz;
		return clock_ms(t->start, us + 1) - clock_ms(t->start, 0);
	}
	double ms = ((double)(at - t->start->jiffy) - t->start->phase) * 1000.0 / t->hz;

	return (int64_t)(t->start->slack_ms > 0 ? ceil(ms - 1e-9) : floor(ms + 1e-9));
}

/* Arms walked at the most for one window; beyond, starts are sampled. */
#define WALK_BUDGET (1LL << 23)
/* A start far from zero and a multiple of every granularity. */
#define BASE_JIFFY (1LL << 40)

/* What the walks from many starts did: the range of their end and of each event, in jiffies from the start instant. */
struct walk_range {
	double lo, hi, ev_lo[WHEEL_EVENTS_MAX], ev_hi[WHEEL_EVENTS_MAX];
	size_t n;			/* events every walk recorded */
	int kind[WHEEL_EVENTS_MAX];	/* of the first walk */
	bool any;
};

static void range_init(struct walk_range *r)
{
	r->lo = INFINITY;
	r->hi = -INFINITY;
	r->n = SIZE_MAX;
	r->any = false;
	for (size_t i = 0; i < WHEEL_EVENTS_MAX; i++) {
		r->ev_lo[i] = INFINITY;
		r->ev_hi[i] = -INFINITY;
	}
}

/* Walk from @s, and take what it did into @r. */
static void range_walk(struct walk_range *r, wheel_walk_fn walk, const void *ctx, int hz, const struct wheel_start *s)
{
	struct wheel_trace t = { .hz = hz, .start = s };
	double end = (double)(walk(ctx, &t) - s->jiffy) - s->phase;
	size_t m = t.n < WHEEL_EVENTS_MAX ? t.n : WHEEL_EVENTS_MAX;

	if (!r->any)
		memcpy(r->kind, t.kind, sizeof(r->kind));
	r->any = true;
	r->lo = end < r->lo ? end : r->lo;
	r->hi = end > r->hi ? end : r->hi;
	if (m < r->n)
		r->n = m;
	for (size_t i = 0; i < m; i++) {
		double at = (double)(t.at[i] - s->jiffy) - s->phase;
		r->ev_lo[i] = at < r->ev_lo[i] ? at : r->ev_lo[i];
		r->ev_hi[i] = at > r->ev_hi[i] ? at : r->ev_hi[i];
	}
}

/* @r as a window in ms, each edge widened by @widen jiffies. */
static void range_window(const struct walk_range *r, int hz, double widen, struct wheel_window *w)
{
	w->lo_ms = (int64_t)floor((r->lo - widen) * 1000.0 / hz);
	w->hi_ms = (int64_t)ceil((r->hi + widen) * 1000.0 / hz);
	w->mid_ms = (int64_t)llround((r->lo + r->hi) / 2 * 1000.0 / hz);
	w->n = r->n == SIZE_MAX ? 0 : r->n;
	memcpy(w->kind, r->kind, sizeof(w->kind));
	for (size_t i = 0; i < w->n; i++) {
		w->ev_lo_ms[i] = (int64_t)floor((r->ev_lo[i] - widen) * 1000.0 / hz);
		w->ev_hi_ms[i] = (int64_t)ceil((r->ev_hi[i] + widen) * 1000.0 / hz);
	}
}

/* The four walks from one start: the millisecond clock's slack either way, the walk's own choice either way. */
static void range_walk_start(struct walk_range *r, wheel_walk_fn walk, const void *ctx, int hz, int64_t jiffy,
			     double phase, const struct wheel_clock *clock)
{
	for (int choice = 0; choice < 4; choice++) {
		struct wheel_start s = { .clock = clock, .jiffy = jiffy, .phase = phase, .slack_ms = choice & 1,
					 .alt = choice >> 1 };
		if (clock && s.slack_ms)
			continue;	/* the clock's readings are known */
		range_walk(r, walk, ctx, hz, &s);
	}
}

void wheel_window(wheel_walk_fn walk, const void *ctx, int hz, struct wheel_window *w)
{
	static const double phases[] = { 0, 0.999 };
	struct wheel_start s = { .jiffy = BASE_JIFFY };
	struct wheel_trace t = { .hz = hz, .start = &s };
	struct walk_range r;
	int64_t period, step = 1;

	memset(w, 0, sizeof(*w));
	walk(ctx, &t);
	int shift = t.first_shift > t.max_shift ? t.first_shift : t.max_shift;
	period = 1LL << shift;
	int64_t cost = period * 8 * (t.timers > 0 ? t.timers : 1);
	while (cost / step > WALK_BUDGET && step < period)
		step *= 2;
	w->exact = step == 1;
	range_init(&r);
	for (int64_t j = 0; j < period; j += step)
		for (int edge = 0; edge < (step > 1 ? 2 : 1); edge++)
			for (int ph = 0; ph < 2; ph++)
				range_walk_start(&r, walk, ctx, hz, BASE_JIFFY + j + (edge ? step - 1 : 0), phases[ph],
						 NULL);
	/* Sampled: a start between two samples may land up to a step either way. */
	range_window(&r, hz, step > 1 ? (double)step : 0, w);
}

void wheel_walk_at(wheel_walk_fn walk, const void *ctx, int hz, int64_t jiffy, double phase,
		   const struct wheel_clock *clock, struct wheel_window *w)
{
	struct walk_range r;

	memset(w, 0, sizeof(*w));
	w->exact = true;
	range_init(&r);
	range_walk_start(&r, walk, ctx, hz, jiffy, phase, clock);
	range_window(&r, hz, 0, w);
}

void wheel_timer_window(int64_t delay_ms, int hz, int64_t *lo_ms, int64_t *hi_ms)
{
	int64_t d = wheel_ms_to_jiffies(delay_ms, hz);

	/* Armed anywhere in jiffy J, it fires at a jiffy J + d + 1 .. J + d + 8^level. */
	*lo_ms = d * 1000 / hz;
	*hi_ms = div_up((d + (1LL << shift_of(d, hz))) * 1000, hz);
}
