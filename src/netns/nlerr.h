/* SPDX-License-Identifier: MIT */
/* Inside the network layer: filling a struct netns_error (see netns.h). */
#ifndef DEADPEER_NLERR_H
#define DEADPEER_NLERR_H

#include <linux/netlink.h>

#include "netns.h"

/* Forget what an earlier call said: every call that takes @e starts here. @e may be NULL. */
void netns_error_clear(struct netns_error *e);
/* Keep @msg, said by @from, in @e (which may be NULL). */
void netns_error_set(struct netns_error *e, const char *from, const char *msg);
/*
 * Keep the extended ACK message of @nlh, an NLMSG_ERROR (or the NLMSG_DONE
 * that ends a failed dump), in @e if it carries one.
 */
void netns_error_from_ack(struct netns_error *e, const struct nlmsghdr *nlh);

#endif
