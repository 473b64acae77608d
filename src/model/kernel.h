/* SPDX-License-Identifier: MIT */
/*
 * What this kernel gives a fresh network namespace, read rather than
 * assumed: the sysctl values every run's hosts start with.
 */
#ifndef DEADPEER_KERNEL_H
#define DEADPEER_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The value of sysctl @key ("net.ipv4.tcp_syn_retries") in a fresh network
 * namespace of this kernel, or @absent when this kernel has no such sysctl.
 * Only the keys of the table in kernel.c are known; another one is a
 * programming error (abort). The values are read once per process, in a
 * child that enters a namespace of its own (as root, or in a user
 * namespace), so nothing is created that outlives it; where neither is
 * allowed, they are read from the namespace deadpeer runs in.
 */
int64_t kernel_default(const char *key, int64_t absent);
/* The same as text ("4096 131072 6291456" for tcp_rmem), or NULL when the kernel has no such sysctl. */
const char *kernel_default_text(const char *key);
/* Whether @key exists on this kernel (tcp_syn_linear_timeouts came with Linux 6.12). */
bool kernel_has(const char *key);

/*
 * HZ, the jiffy rate of the running kernel, which the timer wheel's
 * rounding depends on; read once, never assumed:
 *  1. CONFIG_HZ from the kernel's own configuration, /proc/config.gz
 *     (CONFIG_IKCONFIG_PROC) or /boot/config-$(uname -r) (what Debian,
 *     Ubuntu and Fedora install with the kernel);
 *  2. else measured: /proc/timer_list (root only) prints the jiffies with
 *     the CLOCK_MONOTONIC time; read until the count moves, twice, 200 ms
 *     apart, and the ticks between the two edges give the rate, snapped to
 *     the nearest HZ a kernel can be configured with (within 2 %).
 * 0 when neither is available: predictions then have no window.
 */
int kernel_hz(void);
/* CONFIG_HZ in the text of a kernel configuration; 0 if absent. */
int kernel_hz_from_config(const char *text, size_t len);
/* The HZ that @j0 jiffies at @ns0 and @j1 at @ns1 (CLOCK_MONOTONIC) show, snapped; 0 if implausible. */
int kernel_hz_from_ticks(int64_t j0, int64_t ns0, int64_t j1, int64_t ns1);

/*
 * Where jiffies fall on CLOCK_MONOTONIC (root only: /proc/timer_list):
 * jiffy @jiffy began at @tick_ns, and the next every @tick_len ns. Read once
 * per process; false when it cannot be read.
 */
bool kernel_jiffies_clock(int *hz, int64_t *tick_ns, int64_t *tick_len, int64_t *jiffy);

#endif
