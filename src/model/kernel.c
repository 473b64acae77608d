// SPDX-License-Identifier: MIT
/*
 * The sysctl values a fresh network namespace starts with on this kernel.
 * A run's hosts are fresh namespaces, so these, not the values of the
 * namespace deadpeer was started in (which an administrator may have
 * changed), are what their TCP uses unless the scenario sets them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "kernel.h"

#define VALUE_MAX 24

static const char *const keys[] = {
	"net.ipv4.tcp_syn_retries",
	"net.ipv4.tcp_syn_linear_timeouts",
	"net.ipv4.tcp_retries2",
	"net.ipv4.tcp_keepalive_time",
	"net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes",
	/* A new device's neighbour parameters are those every device starts with, lo's included. */
	"net.ipv4.neigh.lo.mcast_solicit",
	"net.ipv4.neigh.lo.retrans_time_ms",
	"net.ipv6.neigh.lo.mcast_solicit",
	"net.ipv6.neigh.lo.retrans_time_ms",
};
#define N_KEYS ARRAY_SIZE(keys)

static char values[N_KEYS][VALUE_MAX];	/* "" where the kernel has no such sysctl */
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Into @out, each key's value as /proc/sys shows it to this process; only system calls (a forked child's). */
static void read_all(char paths[N_KEYS][80], char out[N_KEYS][VALUE_MAX])
{
	for (size_t i = 0; i < N_KEYS; i++) {
		int fd = open(paths[i], O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, out[i], VALUE_MAX - 1) : 0;

		out[i][n > 0 ? n : 0] = '\0';
		if (fd >= 0)
			close(fd);
	}
}

static void load(void)
{
	static char paths[N_KEYS][80];
	static char got[N_KEYS][VALUE_MAX];
	int pfd[2];
	pid_t pid;

	for (size_t i = 0; i < N_KEYS; i++) {
		snprintf(paths[i], sizeof(paths[i]), "/proc/sys/%s", keys[i]);
		for (char *p = paths[i] + strlen("/proc/sys/"); *p; p++)
			if (*p == '.')
				*p = '/';
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		read_all(paths, values);
		return;
	}
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
	} else {
		if (pid == 0) {
			/* A namespace of our own, gone when we exit; a user namespace makes it possible without root. */
			if (unshare(CLONE_NEWNET) < 0 && unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
				_exit(1);
			read_all(paths, got);
			_exit(write(pfd[1], got, sizeof(got)) == (ssize_t)sizeof(got) ? 0 : 1);
		}
		close(pfd[1]);
		ssize_t n;
		while ((n = read(pfd[0], got, sizeof(got))) < 0 && errno == EINTR)
			;
		int status = 0;
		close(pfd[0]);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (n == (ssize_t)sizeof(got) && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			memcpy(values, got, sizeof(values));
			return;
		}
	}
	read_all(paths, values);	/* the namespace we run in: the best left */
}

static size_t key_index(const char *key)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (strcmp(keys[i], key) == 0)
			return i;
	fprintf(stderr, "deadpeer: kernel_default: unknown key %s\n", key);
	abort();
}

bool kernel_has(const char *key)
{
	pthread_once(&once, load);
	return values[key_index(key)][0] != '\0';
}

int64_t kernel_default(const char *key, int64_t absent)
{
	size_t i = key_index(key);

	pthread_once(&once, load);
	return values[i][0] ? strtoll(values[i], NULL, 10) : absent;
}
