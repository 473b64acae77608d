/* SPDX-License-Identifier: MIT */
#ifndef DEADPEER_PREFLIGHT_H
#define DEADPEER_PREFLIGHT_H

#include "scenario.h"

/*
 * Check that this process can run the @n variants at all (root, namespaces,
 * veth, nftables, connection tracking for a middlebox, and every sysctl they
 * set, in a throwaway topology). Returns 0, or -1 with a message for the user
 * in @msg ("FILE:LINE: ..." for a sysctl). On success *@keep holds the
 * throwaway namespace: close it once the runs are done, so that the kernel
 * tears it down after them rather than during the first ones' setup.
 */
int run_preflight(const struct variant *const *vs, size_t n, int *keep, char *msg, size_t len);

#endif
