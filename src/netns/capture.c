// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "capture.h"
#include "nlerr.h"

struct capture {
	pcap_t *p;
	int64_t realtime_minus_mono;	/* to bring pcap's wall-clock stamps onto CLOCK_MONOTONIC */
};

struct open_args {
	const char *ifname;
	pcap_t *p;
	char *errbuf;
};

/* pcap_activate's failures as errnos. */
static int activate_errno(int status)
{
	switch (status) {
	case PCAP_ERROR_NO_SUCH_DEVICE: return -ENODEV;
	case PCAP_ERROR_PERM_DENIED:
	case PCAP_ERROR_PROMISC_PERM_DENIED: return -EPERM;
	case PCAP_ERROR_IFACE_NOT_UP: return -ENETDOWN;
	default: return -EIO;
	}
}

/* The packet socket must be created inside the namespace; it stays bound to it. */
static int open_here(void *arg)
{
	struct open_args *a = arg;
	int status;

	a->p = pcap_create(a->ifname, a->errbuf);
	if (!a->p)
		return -ENOMEM;		/* all it does on Linux is allocate */
	pcap_set_snaplen(a->p, 192);		/* every header, no payload to speak of */
	pcap_set_immediate_mode(a->p, 1);	/* no batching: packets as they come */
	pcap_set_buffer_size(a->p, 256 << 10);	/* ~900 headers; drained as they arrive */
	pcap_set_tstamp_precision(a->p, PCAP_TSTAMP_PRECISION_NANO);
	status = pcap_activate(a->p);
	if (status < 0) {
		snprintf(a->errbuf, PCAP_ERRBUF_SIZE, "%s", pcap_geterr(a->p));
		pcap_close(a->p);
		a->p = NULL;
		return activate_errno(status);
	}
	return 0;
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The part of opening that happens outside the namespace: filter, non-blocking, clocks. On error @p is closed. */
static int finish_open(pcap_t *p, const char *filter, struct capture **out, struct netns_error *e)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct bpf_program prog;
	struct capture *c;
	int ret = 0;

	if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		ret = -EINVAL;
	} else {
		if (pcap_setfilter(p, &prog) < 0)
			ret = -EINVAL;
		pcap_freecode(&prog);
	}
	if (ret)
		snprintf(errbuf, sizeof(errbuf), "filter '%s': %s", filter, pcap_geterr(p));
	else if (pcap_setnonblock(p, 1, errbuf) < 0)
		ret = -EIO;
	c = ret ? NULL : calloc(1, sizeof(*c));
	if (!ret && !c)
		ret = -ENOMEM;
	if (ret) {
		netns_error_set(e, "libpcap", errbuf);
		pcap_close(p);
		return ret;
	}
	c->p = p;
	/* Sample the two clocks back to back, keeping the tightest of a few pairs. */
	int64_t best = INT64_MAX;
	for (int i = 0; i < 5; i++) {
		int64_t m1 = clock_ns(CLOCK_MONOTONIC), r = clock_ns(CLOCK_REALTIME), m2 = clock_ns(CLOCK_MONOTONIC);
		if (m2 - m1 < best) {
			best = m2 - m1;
			c->realtime_minus_mono = r - (m1 + (m2 - m1) / 2);
		}
	}
	*out = c;
	return 0;
}

int capture_open(int nsfd, const char *ifname, const char *filter, struct capture **out, struct netns_error *e)
{
	int nsfds[1] = { nsfd };

	return capture_open_many(nsfds, 1, ifname, filter, out, e);
}

struct open_job {
	int nsfd;
	struct open_args a;
	char errbuf[PCAP_ERRBUF_SIZE];
	int ret;
};

static void *open_thread(void *arg)
{
	struct open_job *j = arg;

	j->ret = netns_call(j->nsfd, open_here, &j->a);
	return NULL;
}

/*
 * Binding a packet socket and giving it a ring each wait for an RCU grace
 * period in the kernel (synchronize_net), and so does closing it: done one
 * after the other for two hosts that is most of a run's setup. Threads let
 * the waits overlap.
 */
int capture_open_many(const int *nsfds, size_t n, const char *ifname, const char *filter, struct capture **out,
		      struct netns_error *e)
{
	struct open_job jobs[8];
	pthread_t th[8];
	bool started[8] = { false };
	int ret = 0;

	netns_error_clear(e);
	if (n > 8)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		out[i] = NULL;
		jobs[i] = (struct open_job){ .nsfd = nsfds[i], .a = { ifname, NULL, jobs[i].errbuf } };
		jobs[i].errbuf[0] = '\0';
		/* The last one runs on this thread; a thread that cannot start is done here too. */
		started[i] = i + 1 < n && pthread_create(&th[i], NULL, open_thread, &jobs[i]) == 0;
		if (!started[i])
			open_thread(&jobs[i]);
	}
	for (size_t i = 0; i < n; i++)
		if (started[i])
			pthread_join(th[i], NULL);
	for (size_t i = 0; i < n; i++)
		if (jobs[i].ret < 0 && !ret) {
			netns_error_set(e, "libpcap", jobs[i].errbuf);
			ret = jobs[i].ret;
		}
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].ret < 0)
			continue;
		if (ret)
			pcap_close(jobs[i].a.p);	/* another one failed */
		else
			ret = finish_open(jobs[i].a.p, filter, &out[i], e);	/* closes it on error */
	}
	if (ret)
		capture_close_many(out, n);
	return ret;
}

static void *close_thread(void *arg)
{
	capture_close(arg);
	return NULL;
}

void capture_close_many(struct capture **c, size_t n)
{
	pthread_t th[8];
	bool started[8] = { false };

	for (size_t i = 0; i < n && i < 8; i++) {
		started[i] = c[i] && i + 1 < n && pthread_create(&th[i], NULL, close_thread, c[i]) == 0;
		if (!started[i])
			capture_close(c[i]);
		c[i] = NULL;
	}
	for (size_t i = 0; i < n && i < 8; i++)
		if (started[i])
			pthread_join(th[i], NULL);
}

void capture_close(struct capture *c)
{
	if (!c)
		return;
	pcap_close(c->p);
	free(c);
}

int capture_fd(const struct capture *c)
{
	return pcap_get_selectable_fd(c->p);
}

struct drain_ctx {
	struct capture *c;
	capture_cb cb;
	void *user;
};

static void on_packet(u_char *arg, const struct pcap_pkthdr *h, const u_char *pkt)
{
	struct drain_ctx *d = (struct drain_ctx *)arg;
	/* With nanosecond precision, tv_usec holds nanoseconds. */
	int64_t rt = (int64_t)h->ts.tv_sec * 1000000000 + h->ts.tv_usec;

	d->cb(d->user, rt - d->c->realtime_minus_mono, h, pkt);
}

int capture_drain(struct capture *c, capture_cb cb, void *user)
{
	struct drain_ctx d = { c, cb, user };
	int total = 0;

	for (;;) {
		int n = pcap_dispatch(c->p, -1, on_packet, (u_char *)&d);
		if (n < 0)
			return -ENODEV;
		if (n == 0)
			return total;
		total += n;
	}
}

int capture_file_open(struct capture *c, const char *path, struct pcap_dumper **out, struct netns_error *e)
{
	netns_error_clear(e);
	errno = 0;
	*out = pcap_dump_open(c->p, path);
	if (*out)
		return 0;
	if (errno)
		return -errno;	/* fopen's: libpcap's text only repeats the path and errno */
	netns_error_set(e, "libpcap", pcap_geterr(c->p));
	return -EIO;
}

void capture_file_write(struct pcap_dumper *d, const struct pcap_pkthdr *h, const uint8_t *pkt)
{
	pcap_dump((u_char *)d, h, pkt);
}

int capture_file_flush(struct pcap_dumper *d)
{
	pcap_dumper_t *pd = (pcap_dumper_t *)d;

	errno = 0;
	if (pcap_dump_flush(pd) == 0 && !ferror(pcap_dump_file(pd)))
		return 0;
	return errno ? -errno : -EIO;
}

void capture_file_close(struct pcap_dumper *d)
{
	if (d)
		pcap_dump_close(d);
}
