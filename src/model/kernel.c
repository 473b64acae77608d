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
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "common.h"
#include "kernel.h"

#define VALUE_MAX 48

static const char *const keys[] = {
	"net.ipv4.tcp_syn_retries",
	"net.ipv4.tcp_syn_linear_timeouts",
	"net.ipv4.tcp_retries2",
	"net.ipv4.tcp_keepalive_time",
	"net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes",
	"net.ipv4.tcp_rto_min_us",
	"net.ipv4.tcp_rto_max_ms",
	"net.ipv4.tcp_retries1",
	"net.ipv4.tcp_rmem",
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

const char *kernel_default_text(const char *key)
{
	size_t i = key_index(key);

	pthread_once(&once, load);
	return values[i][0] ? values[i] : NULL;
}

int64_t kernel_default(const char *key, int64_t absent)
{
	size_t i = key_index(key);

	pthread_once(&once, load);
	return values[i][0] ? strtoll(values[i], NULL, 10) : absent;
}

int kernel_hz_from_config(const char *text, size_t len)
{
	static const char key[] = "CONFIG_HZ=";

	for (size_t i = 0; i + sizeof(key) - 1 < len; i++) {
		if ((i > 0 && text[i - 1] != '\n') || strncmp(text + i, key, sizeof(key) - 1) != 0)
			continue;
		long hz = 0;
		for (size_t k = i + sizeof(key) - 1; k < len && text[k] >= '0' && text[k] <= '9' && hz < 100000; k++)
			hz = hz * 10 + (text[k] - '0');
		return hz > 0 && hz < 100000 ? (int)hz : 0;
	}
	return 0;
}

int kernel_hz_from_ticks(int64_t j0, int64_t ns0, int64_t j1, int64_t ns1)
{
	/* Every CONFIG_HZ choice of kernel/Kconfig.hz and the architectures' own. */
	static const int choices[] = { 24, 32, 48, 64, 100, 128, 200, 250, 256, 300, 500, 512, 1000, 1024, 1200 };
	double rate, best_err = 1e9;
	int best = 0;

	if (ns1 - ns0 < 50 * 1000000LL || j1 <= j0)
		return 0;
	rate = (double)(j1 - j0) * 1e9 / (double)(ns1 - ns0);
	for (size_t i = 0; i < ARRAY_SIZE(choices); i++) {
		double err = rate > choices[i] ? rate / choices[i] : choices[i] / rate;
		if (err < best_err) {
			best_err = err;
			best = choices[i];
		}
	}
	return best_err < 1.02 ? best : 0;
}

/* The whole of a (small) file, NUL-terminated; NULL if it cannot be read. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 65536;
			buf = xreallocarray(buf, cap, 1);
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int hz_from_config_gz(const char *path)
{
	gzFile gz = gzopen(path, "rb");
	char line[256];
	int hz = 0;

	if (!gz)
		return 0;
	while (!hz && gzgets(gz, line, sizeof(line)))
		hz = kernel_hz_from_config(line, strlen(line));
	gzclose(gz);
	return hz;
}

static int hz_from_config_file(const char *path)
{
	size_t len;
	char *text = slurp(path, &len);
	int hz = text ? kernel_hz_from_config(text, len) : 0;

	free(text);
	return hz;
}

/* One read of /proc/timer_list: "now at T nsecs" and the first "jiffies: N". */
static bool timer_list_sample(int64_t *jiffies, int64_t *ns)
{
	size_t len;
	char *text = slurp("/proc/timer_list", &len);
	const char *now = text ? strstr(text, "now at ") : NULL, *j = text ? strstr(text, "\njiffies: ") : NULL;
	bool ok = now && j;

	if (ok) {
		*ns = strtoll(now + strlen("now at "), NULL, 10);
		*jiffies = strtoll(j + strlen("\njiffies: "), NULL, 10);
	}
	free(text);
	return ok;
}

/*
 * The instant jiffies next changes, as well as reads can place it: read
 * until the count moves (a read takes well under a jiffy), and take the
 * first read that shows the new count.
 */
static bool timer_list_edge(int64_t *jiffies, int64_t *ns)
{
	int64_t j0, t0;

	if (!timer_list_sample(&j0, &t0))
		return false;
	for (int i = 0; i < 10000; i++) {
		if (!timer_list_sample(jiffies, ns))
			return false;
		if (*jiffies != j0)
			return true;
	}
	return false;
}

/* The first "@key: N" (".last_tick      : N") after @from in @text, as a number; false if none. */
static bool timer_list_field(const char *text, const char *key, int64_t *v)
{
	const char *k = strstr(text, key);

	if (!k)
		return false;
	k += strlen(key);
	while (*k == ' ')
		k++;
	if (*k++ != ':')
		return false;
	*v = strtoll(k, NULL, 10);
	return true;
}

static bool jiffies_clock_ok;
static int64_t clock_tick_ns, clock_tick_len, clock_jiffy;
static pthread_once_t clock_once = PTHREAD_ONCE_INIT;

/*
 * Ticks fall on a grid of TICK_NSEC on CLOCK_MONOTONIC (tick_sched's
 * last_tick is one of its points), and jiffies advance by one at each. A
 * read of /proc/timer_list prints the time first and the jiffies a little
 * later: only a read whose time is well inside a tick (not near its start,
 * where the tick handler may not have run yet, nor its end, where the count
 * may move before it is printed) places the count it shows. Two such reads
 * must agree.
 */
static void load_clock(void)
{
	int h = kernel_hz();
	int64_t tick = h > 0 ? (1000000000LL + h / 2) / h : 0, grid0 = 0, at_grid0 = 0;
	int agree = 0;

	for (int i = 0; i < 2000 && h > 0 && agree < 2; i++) {
		size_t len;
		char *text = slurp("/proc/timer_list", &len);
		const char *now_s = text ? strstr(text, "now at ") : NULL, *j_s = text ? strstr(text, "\njiffies: ") : NULL;
		int64_t now, j, grid;

		if (!now_s || !j_s || !timer_list_field(text, ".last_tick", &grid) || grid <= 0) {
			free(text);
			return;
		}
		now = strtoll(now_s + strlen("now at "), NULL, 10);
		j = strtoll(j_s + strlen("\njiffies: "), NULL, 10);
		free(text);
		if (!grid0)
			grid0 = grid;
		int64_t k = (now - grid0) >= 0 ? (now - grid0) / tick : -((grid0 - now + tick - 1) / tick);
		int64_t into = now - grid0 - k * tick;
		if (into < tick * 4 / 10 || into > tick * 9 / 10)
			continue;
		if (agree && j - k != at_grid0) {
			agree = 0;	/* the two disagree: start over */
			continue;
		}
		at_grid0 = j - k;
		agree++;
	}
	if (agree < 2)
		return;
	clock_tick_ns = grid0;
	clock_tick_len = tick;
	clock_jiffy = at_grid0;
	jiffies_clock_ok = true;
}

bool kernel_jiffies_clock(int *hz_out, int64_t *tick_ns, int64_t *tick_len, int64_t *jiffy)
{
	pthread_once(&clock_once, load_clock);
	if (!jiffies_clock_ok)
		return false;
	*hz_out = kernel_hz();
	*tick_ns = clock_tick_ns;
	*tick_len = clock_tick_len;
	*jiffy = clock_jiffy;
	return true;
}

static int hz_from_timer_list(void)
{
	int64_t j0, ns0, j1, ns1;
	struct timespec gap = { 0, 200 * 1000000L };

	if (!timer_list_edge(&j0, &ns0))
		return 0;
	while (nanosleep(&gap, &gap) < 0 && errno == EINTR)
		;
	if (!timer_list_edge(&j1, &ns1))
		return 0;
	return kernel_hz_from_ticks(j0, ns0, j1, ns1);
}

static int hz;
static pthread_once_t hz_once = PTHREAD_ONCE_INIT;

static void load_hz(void)
{
	struct utsname u;
	char path[sizeof(u.release) + 32];

	hz = hz_from_config_gz("/proc/config.gz");
	if (!hz && uname(&u) == 0) {
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		hz = hz_from_config_file(path);
	}
	if (!hz)
		hz = hz_from_timer_list();
}

int kernel_hz(void)
{
	pthread_once(&hz_once, load_hz);
	return hz;
}
