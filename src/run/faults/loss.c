// SPDX-License-Identifier: MIT
/*
 * loss: a lossy link. The drop table of filter.c, but each rule drops only
 * `probability` percent of the connection's packets, at random (nftables
 * numgen). Nothing is certain: with repeat, the summary gives how often
 * each outcome came.
 */
#include <stdio.h>

#include "fault_priv.h"

static const struct filter_kind loss_filter = { .reject = false };

/* A share of the packets is lost: without it there is nothing to lose. */
static bool loss_validate(const struct fault_cfg *f, const char **key, char *msg, size_t len)
{
	if (f->probability > 0)
		return false;
	*key = "action";
	snprintf(msg, len, "action = loss needs probability = P%% (1 to 99)");
	return true;
}

/* Which packets go is chance: the kernel's rules give no one time. */
static void loss_predict(const struct variant *v, enum host side, const struct fault_cfg *f, int64_t last_rx,
			 struct prediction *p)
{
	predict_say(p, OUTCOME_COUNT, MECH_NONE, INT64_MIN,
		    "%lld%% of the packets are lost at random: the outcome is a matter of chance (see the rates with repeat)",
		    (long long)f->probability);
}

const struct fault_kind fault_loss = {
	.name = "loss", .table_rank = 6,
	.describe = "drop a share (probability = P%) of the connection's packets at random, in one or both directions",
	.validate = loss_validate, .predict = loss_predict,
	FAULT_FILTER_KIND(&loss_filter, FAULT_TAKES_PROBABILITY),
};
