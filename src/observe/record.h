/* SPDX-License-Identifier: MIT */
/*
 * The observation record: everything one run saw, and nothing it concluded.
 * Per side: what its endpoint reported (when, which errno, its socket just
 * before and when it decided), whether a fault killed it, what its host's
 * wire showed (counts, and the timeline of its packets); per run: the
 * instants everything is measured from and where the harness's time went.
 *
 * Classification, prediction and verdict are functions of a record and its
 * variant (classify_run), so a stored record can be judged again. The
 * record crosses from a run's worker to the scheduler, and is kept in the
 * results directory, in the encoding below; its layout in memory is never
 * written anywhere.
 *
 * Encoding (all integers little-endian):
 *   header  "DPOB", u16 version, u16 flags (0), u32 length of what follows
 *   items   u16 tag, u32 length, payload; a reader skips tags it does not know
 * A decoder checks every length against what is left, so a truncated or
 * corrupt record is refused, never read past.
 */
#ifndef DEADPEER_RECORD_H
#define DEADPEER_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "endpoint.h"
#include "scenario.h"
#include "wire.h"

#define OBS_VERSION 1
/* Packets listed in a side's timeline at the most; later ones are only counted. */
#define OBS_TIMELINE_MAX 100000
/* The largest record a reader accepts. */
#define OBS_MAX_BYTES (64u << 20)

/* One packet on a side's host: when, and what it was from that side's point of view. */
struct obs_packet {
	int64_t ts_ns;			/* CLOCK_MONOTONIC */
	enum wire_class cls;
};

/*
 * Where the kernel's jiffies fall on CLOCK_MONOTONIC during the run: jiffy
 * @jiffy began at @tick_ns, and one begins every @tick_ns_len after. hz 0:
 * not known (not root, no /proc/timer_list).
 */
struct obs_clock {
	int32_t hz;
	int64_t tick_ns, tick_ns_len;
	int64_t jiffy;
};

/* When one fault of the run was in effect, on CLOCK_MONOTONIC. */
struct obs_fault {
	char kind[24];			/* its action: "drop" */
	uint8_t target;			/* enum host */
	int64_t start_ns;		/* the clock read just before it acted */
	int64_t end_ns;			/* lifted (healed, the host restarted); 0: in effect to the end */
};

/* What a side's host and endpoint showed. */
struct obs_side {
	bool started;			/* its endpoint was started */
	bool killed;			/* a fault killed it (kill, crash) */
	bool decided;			/* its endpoint reported a result */
	struct ep_report report;	/* that result, when decided */
	bool on_wire;			/* captured from the start: the counts below are complete */
	struct wire_counts wire;
	struct obs_packet *timeline;	/* owned; in capture order */
	size_t n_timeline, timeline_cap;
	uint32_t timeline_dropped;	/* packets past OBS_TIMELINE_MAX */
};

struct observation {
	/* which run: enough to find its variant again */
	char scenario[256];		/* the scenario file's path */
	char variant[512];		/* the variant's name, as in the CSV */
	uint32_t variant_index;		/* position in the file's expansion */
	uint32_t run;			/* 1-based repetition */

	bool failed;			/* the run could not be completed */
	char error[256];		/* why */
	/*
	 * Not recorded: the run failed through no doing of its scenario (the
	 * observer missed the kernel's event) and is worth running again.
	 */
	bool again;
	/* Instants, CLOCK_MONOTONIC ns; 0: did not happen. */
	int64_t established_ns;		/* both sides connected */
	int64_t fault_ns;		/* just before the first fault acted: the origin of detection times */
	int64_t deadline_ns;		/* when undecided sides became "none" */
	/* Where the harness's own time went, µs; -1: the run did not get that far. */
	int64_t setup_us, connect_us, teardown_us;
	int64_t run_us;			/* from both sides connected until the endpoints were stopped */
	int64_t fault_lag_us;		/* the first fault in effect, after its scheduled instant; -1: none */
	int64_t fault_hits;		/* packets the fault rules matched; -1: not counted */
	struct obs_clock clock;
	struct obs_fault faults[MAX_FAULTS];	/* those applied, in the order they acted */
	uint32_t n_faults;
	struct obs_side side[SIDE_COUNT];
};

/* An empty record: nothing measured (-1s), no timelines. */
void obs_init(struct observation *o);
/* Release the timelines. */
void obs_release(struct observation *o);
/* Fault @kind on @target acted at @start_ns; returns its slot (-1: no room). */
int obs_fault_start(struct observation *o, const char *kind, int target, int64_t start_ns);
/* Append a packet to side @s's timeline (counted only, past OBS_TIMELINE_MAX). */
void obs_add_packet(struct observation *o, int s, int64_t ts_ns, enum wire_class cls);

/* Encode @o; *@buf is allocated (free it). Returns 0 or -ENOMEM. */
int obs_encode(const struct observation *o, uint8_t **buf, size_t *len);
/*
 * Decode @len bytes into @o (obs_release it afterwards, whatever the result).
 * Returns 0; -EBADMSG when it is not a record or is truncated or corrupt;
 * -EPROTONOSUPPORT when it comes from a newer deadpeer.
 */
int obs_decode(const uint8_t *buf, size_t len, struct observation *o);

/* Write @o to @path (created, replaced); 0 or -errno. */
int obs_save(const char *path, const struct observation *o);
/* Read @path into @o; 0, -errno, or obs_decode's errors. */
int obs_load(const char *path, struct observation *o);

#endif
