/* SPDX-License-Identifier: MIT */
/*
 * Where an application endpoint's processes live: one sandbox per app host
 * and run. Its first process is the init of a PID namespace of its own (so
 * that when it dies, every process the program started dies with it) and
 * of an IPC namespace (System V segments go with it), inside a cgroup of
 * its own (so that kill and freeze act on all of them at once), in a mount
 * namespace where /tmp, /run and /dev/shm are private tmpfs and /proc and
 * /sys show its PID and network namespaces. Nothing of it is bind-mounted
 * or named outside but the cgroup, which the session's janitor removes.
 *
 * The session (one per `deadpeer run` that has app sides) owns the cgroup
 * all sandboxes are created under and the {suite} directory; a janitor
 * process removes both when deadpeer exits, however it exits (SIGKILL
 * included): it waits for the end of a pipe only deadpeer holds.
 */
#ifndef DEADPEER_SANDBOX_H
#define DEADPEER_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Start the session: the parent cgroup, the {suite} directory, the janitor.
 * Call once, in the process that outlives every run, before the runs are
 * forked. 0, or -errno with @err saying what this machine lacks.
 */
int sandbox_session_begin(char *err, size_t len);
/* End it: everything is removed by the time it returns. */
void sandbox_session_end(void);
/* The {suite} directory; NULL without a session. */
const char *sandbox_suite_dir(void);

struct sandbox {
	pid_t init;			/* the PID namespace's init, our child; 0: none */
	int cgfd;			/* the sandbox's cgroup directory; -1: none */
	char cgname[64];		/* its name under the session's cgroup */
	int out;			/* read end of the program's stdout and stderr; -1: closed */
	int ctl;			/* read end of init's reports (struct sandbox_exit); -1: closed */
	bool frozen;
};

/* What init reports when the command's first process ends. */
struct sandbox_exit {
	int64_t ts_ns;			/* CLOCK_MONOTONIC, as init reaped it */
	int status;			/* wait status */
};

struct sandbox_spec {
	int nsfd;			/* the host's network namespace */
	char *const *argv;		/* the command, argv[0] looked up in PATH */
	char *const *envp;
	const char *user;		/* NULL: root */
	/* Directories that stay visible where the private mounts would hide them ({dir} in /tmp); NULL-ended. */
	const char *const *keep;
};

/* Start @spec in a fresh sandbox @sb: 0 or -errno with @err. */
int sandbox_start(struct sandbox *sb, const struct sandbox_spec *spec, char *err, size_t len);
/* SIGKILL every process in it at once (cgroup.kill): 0 or -errno. */
int sandbox_kill(struct sandbox *sb);
/* Freeze (or thaw) every process in it at once, and wait until they are: 0 or -errno. */
int sandbox_freeze(struct sandbox *sb, bool frozen);
/* Kill, reap and remove it; closes its descriptors. Idempotent. */
void sandbox_release(struct sandbox *sb);

#endif
