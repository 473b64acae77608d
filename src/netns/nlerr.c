// SPDX-License-Identifier: MIT
/* The layer's errors: the kernel's extended ACK messages, and the sentence callers end their messages with. */
#define _GNU_SOURCE
#include <libmnl/libmnl.h>
#include <stdio.h>
#include <string.h>

#include "nlerr.h"

void netns_error_clear(struct netns_error *e)
{
	if (e) {
		e->from = NULL;
		e->msg[0] = '\0';
	}
}

void netns_error_set(struct netns_error *e, const char *from, const char *msg)
{
	if (!e || !msg || !*msg)
		return;
	e->from = from;
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
}

static int ack_attr(const struct nlattr *attr, void *data)
{
	const char **msg = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		*msg = mnl_attr_get_str(attr);
	return MNL_CB_OK;
}

void netns_error_from_ack(struct netns_error *e, const struct nlmsghdr *nlh)
{
	const char *payload = mnl_nlmsg_get_payload(nlh), *msg = NULL;
	size_t len = mnl_nlmsg_get_payload_len(nlh), off;

	if (!e || !(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (nlh->nlmsg_type == NLMSG_DONE) {
		off = sizeof(int);	/* the dump's error */
	} else {
		const struct nlmsgerr *err = (const void *)payload;
		/* The request comes back after the error, whole unless the kernel capped it to its header. */
		off = sizeof(*err);
		if (len >= off && !(nlh->nlmsg_flags & NLM_F_CAPPED) && err->msg.nlmsg_len > sizeof(err->msg))
			off += NLMSG_ALIGN(err->msg.nlmsg_len - sizeof(err->msg));
	}
	if (len <= off)
		return;
	mnl_attr_parse_payload(payload + off, len - off, ack_attr, &msg);
	netns_error_set(e, "kernel", msg);
}

const char *netns_strerror(struct netns_error *e, int err)
{
	if (!e)
		return strerror(-err);
	if (!e->msg[0])
		snprintf(e->text, sizeof(e->text), "%s", strerror(-err));
	else
		snprintf(e->text, sizeof(e->text), "%s (%s: %s)", strerror(-err), e->from, e->msg);
	return e->text;
}
