/* SPDX-License-Identifier: MIT */
/*
 * The scheduler: up to --jobs runs at once, each in a worker process that
 * owns its namespaces and endpoints; see scheduler.c.
 */
#ifndef DEADPEER_SCHEDULER_H
#define DEADPEER_SCHEDULER_H

#include "plan.h"
#include "classify.h"
#include "run.h"

struct scheduler {
	/* set by the caller */
	struct planned *runs;
	size_t n;
	long jobs;			/* runs at once (capped to the descriptors this process may open) */
	const char *dir;		/* the results directory */
	bool pcap;			/* keep each run's packets in dir/pcap/ */
	bool live;			/* draw the status line on stderr */
	/*
	 * Called as each run finishes, with res[i] complete and the run's encoded
	 * observation record (NULL when the run ended without one); < 0 stops the suite.
	 */
	int (*on_finish)(struct scheduler *sch, size_t i, const uint8_t *record, size_t len);
	void *arg;			/* the caller's, for on_finish */
	/* filled by schedule() */
	struct run_result *res;		/* n results, allocated by the caller */
	bool *finished;			/* res[i] is complete; allocated by schedule(), freed by the caller */
	size_t done;
	bool interrupted;		/* SIGINT or SIGTERM: stop starting runs, end the running ones */
	bool stop;			/* on_finish asked to stop */
};

/*
 * -j by default: as many runs as this machine holds at once, from the
 * memory available (half of it, at RUN_BUDGET_KIB a run, RUN_APP_BUDGET_KIB
 * when programs run as endpoints), at most SCHEDULE_JOBS_MAX and the @n runs.
 */
#define SCHEDULE_JOBS_MAX 1024
#define RUN_BUDGET_KIB (8 * 1024)
#define RUN_APP_BUDGET_KIB (128 * 1024)
long schedule_default_jobs(const struct planned *runs, size_t n);

/* Run every planned run; returns 0, or -1 (said on stderr) when it cannot wait for them. */
int schedule(struct scheduler *sch);

#endif
