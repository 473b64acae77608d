/* SPDX-License-Identifier: MIT */
/*
 * The kernel's timer wheel, as kernel/time/timer.c (Linux 5.10 to 6.18:
 * calc_wheel_index, calc_index, __run_timers) lays out and fires the
 * timers TCP arms (keepalive, retransmission, zero-window probe, SYN).
 *
 * A timer armed with expires = J + D lands on a level chosen by how far
 * ahead it is of the wheel's clock (delta = expires - base->clk); each level
 * n has a granularity of 8^n jiffies and the timer fires at its bucket's
 * expiry, ((expires >> 3n) + 1) << 3n: never early, at most one granularity
 * late. On level 0 that is expires + 1. A timer armed from another timer's
 * callback sees base->clk one ahead of jiffies (delta = D - 1). So:
 *  - a timer armed at a known jiffy fires at a known jiffy (wheel_fire);
 *  - a chain of timers, each armed from the previous one's firing, is
 *    deterministic once the first is armed: only the jiffy the chain starts
 *    in, and where in that jiffy, are unknown offline. wheel_window walks a
 *    chain from every start that matters and gives the window of what it
 *    can take in real time.
 * HZ is the machine's (kernel_hz()), never assumed.
 */
#ifndef DEADPEER_WHEEL_H
#define DEADPEER_WHEEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WHEEL_LVL_CLK_SHIFT 3	/* each level's granularity is 8 times the one below */
#define WHEEL_LVL_BITS 6	/* 64 buckets a level */

/* LVL_DEPTH: 9 levels for HZ > 100, else 8. */
int wheel_depth(int hz);
/* The level a timer @delta jiffies ahead of the wheel's clock goes on (the last for any further). */
int wheel_level(int64_t delta, int hz);
/* The jiffy a timer with @expires fires at, armed while the wheel's clock is @clk (calc_wheel_index). */
int64_t wheel_bucket_expiry(int64_t expires, int64_t clk, int hz);
/*
 * The jiffy a timer of @delay jiffies fires at, armed in jiffy @armed;
 * @in_callback: armed from a timer callback (base->clk is armed + 1).
 */
int64_t wheel_fire(int64_t armed, int64_t delay, bool in_callback, int hz);

/* The kernel's conversions at @hz: msecs_to_jiffies and usecs_to_jiffies round up, as does jiffies_to_msecs. */
int64_t wheel_ms_to_jiffies(int64_t ms, int hz);
int64_t wheel_us_to_jiffies(int64_t us, int hz);
int64_t wheel_jiffies_to_ms(int64_t j, int hz);
int64_t wheel_jiffies_to_us(int64_t j, int hz);

/* Events a walk records at the most (probes, retransmissions, SYNs). */
#define WHEEL_EVENTS_MAX 64

/*
 * Where a walk starts: the reference instant (a packet, a connect) lies
 * @phase of a jiffy into jiffy @jiffy, and a clock the kernel keeps in
 * milliseconds (tcp_time_stamp) may read @slack_ms off what the jiffies
 * say, as its milliseconds and the ticks do not line up; a walk with a
 * choice it cannot make offline (how long the round trip is) makes it
 * one way or the other by @alt, and the window covers both.
 */
/* Where jiffies fall on CLOCK_MONOTONIC: jiffy @jiffy began at @tick_ns, one every @tick_len ns. */
struct wheel_clock {
	int64_t tick_ns, tick_len, jiffy;
};

struct wheel_start {
	/*
	 * In a run: the kernel's millisecond clock (tcp_time_stamp_ms) is
	 * CLOCK_MONOTONIC's, so what it reads at each jiffy is known, and
	 * slack_ms is not needed. NULL offline.
	 */
	const struct wheel_clock *clock;
	int64_t jiffy;
	double phase;		/* 0 <= phase < 1 */
	int slack_ms;		/* 0: the millisecond clock truncates the difference, 1: rounds it up */
	bool alt;		/* walked both ways: the walk's other uncertain choice (a round trip's range) */
};

/* What one walk did: the jiffies of its events, and the granularity of the timers it armed. */
struct wheel_trace {
	int hz;
	const struct wheel_start *start;
	size_t n;			/* events recorded (more are counted in n, not kept) */
	int64_t at[WHEEL_EVENTS_MAX];	/* their jiffies */
	int kind[WHEEL_EVENTS_MAX];	/* what each was, in the walk's own words */
	int timers;			/* timers armed */
	int first_shift;		/* the first timer's granularity, as a shift */
	int max_shift;			/* the largest of the later ones' */
};

/* Arm a timer in a walk at jiffy @now for @delay jiffies (see wheel_fire); returns the jiffy it fires at. */
int64_t wheel_arm(struct wheel_trace *t, int64_t now, int64_t delay, bool in_callback);
/* Record an event of @kind at jiffy @at. */
void wheel_event(struct wheel_trace *t, int64_t at, int kind);
/* Milliseconds from the start's reference instant to jiffy @at, as a millisecond clock would read them. */
int64_t wheel_elapsed_ms(const struct wheel_trace *t, int64_t at);
/* The same to the instant @us µs after the reference instant. */
int64_t wheel_elapsed_us_ms(const struct wheel_trace *t, int64_t us);

/* A chain of timers: from @s, returns the jiffy it ends at (the decision), recording what it does in @t. */
typedef int64_t (*wheel_walk_fn)(const void *ctx, struct wheel_trace *t);

/* The largest chain description a window keeps. */
#define WHEEL_CTX_MAX 96

/* The window of times a chain can take, in ms from its reference instant. */
struct wheel_window {
	int64_t lo_ms, hi_ms;		/* the end: earliest and latest */
	int64_t mid_ms;			/* the middle, the best single guess */
	size_t n;			/* events every walk recorded */
	int kind[WHEEL_EVENTS_MAX];	/* of the walk from phase 0 of a jiffy */
	int64_t ev_lo_ms[WHEEL_EVENTS_MAX], ev_hi_ms[WHEEL_EVENTS_MAX];
	bool exact;			/* every start was walked (else sampled, and widened by the step) */
	/*
	 * The chain itself, kept so that a run that knows the jiffy and phase
	 * its reference instant fell in can walk it again from there
	 * (wheel_walk_at). kind 0: none kept (timers.h says what the others are).
	 */
	struct wheel_chain {
		int kind;
		wheel_walk_fn walk;
		unsigned char ctx[WHEEL_CTX_MAX];
	} chain;
};

/*
 * Walk @walk from every start that can make a difference (each jiffy
 * modulo the largest granularity in the chain, at the start and the end
 * of that jiffy, with the millisecond clock's slack either way) and give
 * the window of its end and of each event. When the largest granularity
 * is too coarse to walk every jiffy of, starts are sampled and the window
 * widened by the sampling step.
 */
void wheel_window(wheel_walk_fn walk, const void *ctx, int hz, struct wheel_window *w);

/*
 * Walk @walk from one known start: its reference instant lies @phase of a
 * jiffy into jiffy @jiffy (absolute, as the kernel counts them: the
 * buckets' alignment depends on it). Only the millisecond clock's slack
 * and the walk's own uncertain choice are left: the window is a jiffy or
 * two wide, in ms from the reference instant. With @clock (a run's), the
 * millisecond clock's readings are known too.
 */
void wheel_walk_at(wheel_walk_fn walk, const void *ctx, int hz, int64_t jiffy, double phase,
		   const struct wheel_clock *clock, struct wheel_window *w);

/* The window of a single timer of @delay_ms armed at any instant: [earliest, latest] ms. */
void wheel_timer_window(int64_t delay_ms, int hz, int64_t *lo_ms, int64_t *hi_ms);

#endif
