/* SPDX-License-Identifier: MIT */
/*
 * What this kernel gives a fresh network namespace, read rather than
 * assumed: the sysctl values every run's hosts start with.
 */
#ifndef DEADPEER_KERNEL_H
#define DEADPEER_KERNEL_H

#include <stdbool.h>
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
/* Whether @key exists on this kernel (tcp_syn_linear_timeouts came with Linux 6.12). */
bool kernel_has(const char *key);

#endif
