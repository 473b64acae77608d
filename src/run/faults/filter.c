// SPDX-License-Identifier: MIT
/*
 * drop and reject install the same nftables table in the target's namespace
 * (hosts: input/output hooks, router: forward hook) and lifting deletes it;
 * they differ only in the verdict of its rules, their struct filter_kind.
 * Sending a kind's table, deleting it and reading its counters serve every
 * kind with a table of its own (mtu-blackhole's too).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fault_priv.h"

void fault_filter(const struct fault_cfg *f, size_t index, uint16_t port, struct nft_filter *out,
		  char *table, size_t len)
{
	/* Hook and port field for packets towards the server and towards the client. */
	static const struct { enum nft_hook hook; bool sport; } to_server[HOST_COUNT] = {
		[HOST_CLIENT] = { NFT_HOOK_OUTPUT, false },
		[HOST_SERVER] = { NFT_HOOK_INPUT, false },
		[HOST_ROUTER] = { NFT_HOOK_FORWARD, false },
	}, to_client[HOST_COUNT] = {
		[HOST_CLIENT] = { NFT_HOOK_INPUT, true },
		[HOST_SERVER] = { NFT_HOOK_OUTPUT, true },
		[HOST_ROUTER] = { NFT_HOOK_FORWARD, true },
	};
	const struct filter_kind *fk = f->kind->priv;
	bool reject = fk->reject;

	fault_table_name(index, table, len);
	*out = (struct nft_filter){ .table = table };
	uint8_t percent = (uint8_t)f->probability;

	if (f->direction != DIR_TO_CLIENT)
		out->rules[out->n_rules++] = (struct nft_filter_rule){
			to_server[f->target].hook, to_server[f->target].sport, port, reject, percent };
	if (f->direction != DIR_TO_SERVER)
		out->rules[out->n_rules++] = (struct nft_filter_rule){
			to_client[f->target].hook, to_client[f->target].sport, port, reject, percent };
}

void fault_table_name(size_t index, char *table, size_t len)
{
	snprintf(table, len, "deadpeer_fault%zu", index);
}

int fault_table_send(struct fault_env *env, const struct fault_cfg *f, int n, void *batch, const char *verb,
		     const char *table, char *err, size_t len)
{
	struct netns_error ne = { 0 };
	int ret = n > 0 ? netns_nft_send(env->topo->host[f->target].nft, batch, (size_t)n, &ne) : n;

	if (ret)
		snprintf(err, len, "cannot %s nftables table %s in namespace \"%s\": %s", verb, table,
			 host_name(f->target), netns_strerror(&ne, ret));
	return ret;
}

int fault_filter_apply(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len)
{
	char table[32], buf[8192];
	struct nft_filter filter;
	int ret = fault_host_down(env, f, err, len);

	if (ret)
		return ret;
	fault_filter(f, index, env->port, &filter, table, sizeof(table));
	return fault_table_send(env, f, nft_filter_build(&filter, buf, sizeof(buf)), buf, "add", table, err, len);
}

int fault_table_delete(struct fault_env *env, const struct fault_cfg *f, size_t index, char *err, size_t len)
{
	char table[32], buf[2048];

	if (env->topo->host[f->target].nsfd < 0)
		return 0;	/* the host crashed meanwhile: its rules went with it */
	fault_table_name(index, table, sizeof(table));
	return fault_table_send(env, f, nft_table_delete_build(table, buf, sizeof(buf)), buf, "delete", table, err,
				len);
}

void fault_table_count(struct fault_env *env, const struct fault_cfg *f, size_t index)
{
	char table[32];
	uint64_t packets;

	/* A crashed host took its table, and its counters, with it: nothing to add. */
	if (env->topo->host[f->target].nsfd < 0)
		return;
	fault_table_name(index, table, sizeof(table));
	if (netns_nft_table_packets(env->topo->host[f->target].nft, table, &packets, NULL) < 0)
		return;
	env->hits = (env->hits < 0 ? 0 : env->hits) + (int64_t)packets;
}

/*
 * The SYN towards the server meets the filter first: a reject answers it
 * with a reset, a drop loses it. A filter only towards the client lets the
 * SYN through and catches the SYN-ACK: the client hears nothing either way.
 */
enum connect_fate fault_filter_connect(const struct variant *v, const struct fault_cfg *f, int64_t connect_ms,
				       struct prediction *p)
{
	const struct filter_kind *fk = f->kind->priv;
	int64_t heal = fault_heal_ms(f);

	if (heal >= 0 && heal <= connect_ms)
		return CONNECT_AFTER_FAULT;
	/* A lossy link loses some SYNs, and a retransmission gets through: the loss then acts on the connection. */
	if (f->probability > 0)
		return CONNECT_UNDER_FAULT;
	if (fk->reject && f->direction != DIR_TO_CLIENT) {
		char why[64];
		snprintf(why, sizeof(why), "the %s's firewall", host_name(f->target));
		predict_syn_refused(connect_ms, connect_ms, why, p);
		return CONNECT_FAILS;
	}
	/* A drop lifted before the last SYN retransmission lets that one through. */
	if (heal >= 0 && heal <= connect_ms + syn_last_sent_ms(v))
		return CONNECT_AFTER_FAULT;
	predict_syn_lost(v, connect_ms, p);
	return CONNECT_FAILS;
}
