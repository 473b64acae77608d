// SPDX-License-Identifier: MIT
/*
 * reject: the same table as drop (filter.c), its rules answering with a TCP
 * reset, like a firewall that resets: a side whose packets meet it learns
 * at once, with an RST.
 */
#include "fault_priv.h"

static const struct filter_kind reject_filter = { .reject = true };

/* A heartbeat never comes first: the ping that would go unanswered is reset. */
static void reject_predict(const struct variant *v, enum host side, const struct fault_cfg *f, int64_t last_rx,
			   struct prediction *p)
{
	predict_path_cut(v, side, f, last_rx, PATH_RESETS, p);
}

const struct fault_kind fault_reject = {
	.name = "reject", .table_rank = 3,
	.describe = "like drop, but answer the connection's packets with a TCP reset",
	.predict = reject_predict,
	FAULT_FILTER_KIND(&reject_filter, 0),
};
