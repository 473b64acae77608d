// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netns.h"

/* The namespace this thread started in; opened once, never changed. */
static int home_fd = -1;

static int home(void)
{
	if (home_fd < 0)
		home_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	return home_fd;
}

int netns_home_fd(void)
{
	return home() < 0 ? -errno : home_fd;
}

static void go_home(void)
{
	if (setns(home(), CLONE_NEWNET) < 0) {
		/* Staying in a run namespace would corrupt everything after. */
		perror("deadpeer: cannot return to the original network namespace");
		abort();
	}
}

int netns_new(void)
{
	int fd, err;

	if (home() < 0)
		return -errno;
	/*
	 * Make sure we may come back before leaving: inside a user namespace
	 * that does not own the one we started in, unshare works but setns
	 * back fails, and the thread would be stranded.
	 */
	if (setns(home_fd, CLONE_NEWNET) < 0)
		return -errno;
	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	err = errno;
	go_home();
	return fd < 0 ? -err : fd;
}

int netns_call(int nsfd, int (*fn)(void *arg), void *arg)
{
	int ret;

	if (home() < 0)
		return -errno;
	if (setns(nsfd, CLONE_NEWNET) < 0)
		return -errno;
	ret = fn(arg);
	go_home();
	return ret;
}

int netns_enter(int nsfd)
{
	return setns(nsfd, CLONE_NEWNET) < 0 ? -errno : 0;
}

struct sysctl_op {
	const char *key;
	const char *value;
	char *buf;		/* where the value is read back; NULL: only see that it could be opened for writing */
	size_t len;
};

static void sysctl_path(char *path, size_t len, const char *key)
{
	snprintf(path, len, "/proc/sys/%s", key);
	for (char *p = path + strlen("/proc/sys/"); *p; p++)
		if (*p == '.')
			*p = '/';
}

/* Collapse runs of blanks: the kernel answers "4096\t131072" for "4096 131072". */
static void normalise(char *s)
{
	char *w = s;
	bool blank = false;

	for (char *r = s; *r; r++) {
		if (*r == ' ' || *r == '\t' || *r == '\n') {
			blank = w != s;
			continue;
		}
		if (blank)
			*w++ = ' ';
		blank = false;
		*w++ = *r;
	}
	*w = '\0';
}

static int sysctl_in_ns(void *arg)
{
	struct sysctl_op *op = arg;
	char path[512];
	ssize_t n;
	int fd;

	sysctl_path(path, sizeof(path), op->key);
	if (!op->buf) {
		/* Opening writes nothing: the value changes only with a write(). */
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		close(fd);
		return 0;
	}
	/*
	 * One open for both: a lookup under /proc/sys compares the name with
	 * the entries of every live namespace, so with hundreds of runs at
	 * once each open costs the kernel more than the write.
	 */
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, op->value, strlen(op->value));
	if (n >= 0)
		n = pread(fd, op->buf, op->len - 1, 0);
	int err = errno;
	close(fd);
	if (n < 0)
		return -err;
	op->buf[n] = '\0';
	normalise(op->buf);
	return 0;
}

int netns_sysctl_writable(int nsfd, const char *key)
{
	struct sysctl_op op = { key, NULL, NULL, 0 };

	return netns_call(nsfd, sysctl_in_ns, &op);
}

int netns_sysctl_write(int nsfd, const char *key, const char *value, char *readback, size_t len)
{
	struct sysctl_op op = { key, value, readback, len };
	char want[512];
	int ret = netns_call(nsfd, sysctl_in_ns, &op);

	if (ret < 0)
		return ret;
	snprintf(want, sizeof(want), "%s", value);
	normalise(want);
	return strcmp(want, readback) == 0 ? 0 : -EIO;
}
