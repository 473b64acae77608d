// SPDX-License-Identifier: MIT
/*
 * drop: an nftables table in the target's namespace silently drops the
 * connection's packets in the given direction (filter.c). Every packet is
 * lost until it is lifted: the sides' timers, or a heartbeat, decide.
 */
#include "fault_priv.h"

static const struct filter_kind drop_filter = { .reject = false };

const struct fault_kind fault_drop = {
	.name = "drop", .table_rank = 2,
	.describe = "silently drop the connection's packets at the target (nftables), in one or both directions",
	.predict = predict_path_lost,
	FAULT_FILTER_KIND(&drop_filter, 0),
};
