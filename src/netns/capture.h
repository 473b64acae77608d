/* SPDX-License-Identifier: MIT */
/*
 * Packet captures (libpcap) opened inside a namespace: immediate delivery,
 * kernel timestamps in nanoseconds, converted to CLOCK_MONOTONIC so they
 * compare with everything else deadpeer measures.
 */
#ifndef DEADPEER_CAPTURE_H
#define DEADPEER_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "netns.h"

struct capture;
struct pcap_pkthdr;
struct pcap_dumper;

/* Called for every packet: @mono_ns its kernel timestamp on CLOCK_MONOTONIC. */
typedef void (*capture_cb)(void *user, int64_t mono_ns, const struct pcap_pkthdr *h, const uint8_t *pkt);

/*
 * Capture @ifname inside @nsfd through the BPF @filter: 0 or -errno, with
 * libpcap's own words in @e (see netns.h).
 */
int capture_open(int nsfd, const char *ifname, const char *filter, struct capture **out, struct netns_error *e);
void capture_close(struct capture *c);

/*
 * capture_open on @ifname in each of @n namespaces (at most 8) at once, and
 * capture_close of several at once: the kernel's waits overlap. On error
 * nothing stays open.
 */
int capture_open_many(const int *nsfds, size_t n, const char *ifname, const char *filter, struct capture **out,
		      struct netns_error *e);
void capture_close_many(struct capture **c, size_t n);
/* A descriptor that polls readable when packets wait. */
int capture_fd(const struct capture *c);
/*
 * Hand every waiting packet to @cb, oldest first. Returns the number of
 * packets, or -ENODEV when the capture broke (its interface went away).
 */
int capture_drain(struct capture *c, capture_cb cb, void *user);

/* A pcap file (nanosecond timestamps) for packets of @c's link type, in *@out: 0 or -errno. */
int capture_file_open(struct capture *c, const char *path, struct pcap_dumper **out, struct netns_error *e);
void capture_file_write(struct pcap_dumper *d, const struct pcap_pkthdr *h, const uint8_t *pkt);
/* Push what was written to the file to the kernel: 0, or -errno (a full disk) of the first failure. */
int capture_file_flush(struct pcap_dumper *d);
void capture_file_close(struct pcap_dumper *d);

#endif
