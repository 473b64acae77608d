// SPDX-License-Identifier: MIT
/*
 * Every enum's words; see names.h. Each table is sized by its initializer
 * and checked against the enum's count, so a value added to an enum without
 * its word (or a word left over) fails to build; test_names checks for holes.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "names.h"
#include "classify.h"
#include "scenario_priv.h"
#include "sockwatch.h"
#include "wire.h"

const char *const family_words[] = {
	[FAMILY_IPV4] = "ipv4",
	[FAMILY_IPV6] = "ipv6",
};
static_assert(ARRAY_SIZE(family_words) == FAMILY_COUNT, "a word for every family");

const char *const traffic_words[] = {
	[TRAFFIC_IDLE] = "idle",
	[TRAFFIC_STREAM] = "stream",
	[TRAFFIC_REQUEST] = "request",
	[TRAFFIC_HEARTBEAT] = "heartbeat",
};
static_assert(ARRAY_SIZE(traffic_words) == TRAFFIC_COUNT, "a word for every traffic pattern");

const char *const host_words[] = {
	[HOST_CLIENT] = "client",
	[HOST_SERVER] = "server",
	[HOST_ROUTER] = "router",
};
static_assert(ARRAY_SIZE(host_words) == HOST_COUNT, "a word for every host");

const char *const direction_words[] = {
	[DIR_BOTH] = "both",
	[DIR_TO_SERVER] = "to-server",
	[DIR_TO_CLIENT] = "to-client",
};
static_assert(ARRAY_SIZE(direction_words) == DIR_COUNT, "a word for every direction");

const char *const start_words[] = {
	[START_CONNECTED] = "connected",
	[START_LISTENING] = "listening",
};
static_assert(ARRAY_SIZE(start_words) == START_COUNT, "a word for every start");
const char *const idle_action_words[] = {
	[IDLE_DROP] = "drop",
	[IDLE_RESET] = "reset",
};
static_assert(ARRAY_SIZE(idle_action_words) == IDLE_ACTION_COUNT, "a word for every idle action");

const char *const outcome_words[] = {
	[OUTCOME_FIN] = "fin",
	[OUTCOME_RST] = "rst",
	[OUTCOME_TIMEOUT] = "timeout",
	[OUTCOME_HEARTBEAT] = "heartbeat",
	[OUTCOME_NONE] = "none",
	[OUTCOME_KILLED] = "killed",
	[OUTCOME_REFUSED] = "refused",
};
static_assert(ARRAY_SIZE(outcome_words) == OUTCOME_COUNT, "a word for every outcome");

const char *const mechanism_words[] = {
	[MECH_NONE] = "-",
	[MECH_KEEPALIVE] = "keepalive",
	[MECH_RETRANSMISSION] = "retransmission",
	[MECH_ZERO_WINDOW] = "zero-window",
	[MECH_USER_TIMEOUT] = "user-timeout",
	[MECH_PROBE] = "probe",
	[MECH_DATA] = "data",
	[MECH_SYN] = "syn",
};
static_assert(ARRAY_SIZE(mechanism_words) == MECH_COUNT, "a word for every mechanism");

const char *const verdict_words[] = {
	[VERDICT_NONE] = "-",
	[VERDICT_PASS] = "pass",
	[VERDICT_FAIL] = "fail",
};
static_assert(ARRAY_SIZE(verdict_words) == VERDICT_COUNT, "a word for every verdict");

const char *const wire_class_words[] = {
	[WIRE_OTHER] = "other",
	[WIRE_SYN] = "syn",
	[WIRE_ACK] = "ack",
	[WIRE_DATA] = "data",
	[WIRE_RETRANSMISSION] = "retransmission",
	[WIRE_PROBE] = "probe",
	[WIRE_ZERO_WINDOW_PROBE] = "zero-window-probe",
	[WIRE_FIN] = "fin",
	[WIRE_RST] = "rst",
	[WIRE_IN] = "in",
	[WIRE_PROBE_REPLY] = "probe-reply",
	[WIRE_IN_FIN] = "in-fin",
	[WIRE_IN_RST] = "in-rst",
	[WIRE_IN_UNREACH] = "in-unreach",
	[WIRE_IN_DATA] = "in-data",
};
static_assert(ARRAY_SIZE(wire_class_words) == WIRE_CLASS_COUNT, "a word for every wire class");

const char *const sw_type_words[] = {
	[SW_STATE] = "state",
	[SW_ERROR] = "error",
	[SW_RST_RECV] = "rst-recv",
	[SW_RST_SENT] = "rst-sent",
	[SW_DESTROY] = "destroy",
	[SW_SYSCALL] = "syscall",
};
static_assert(ARRAY_SIZE(sw_type_words) == SW_TYPE_COUNT, "a word for every sockwatch event type");

const char *const app_ready_words[] = {
	[READY_LISTEN] = "listen",
	[READY_CONNECTED] = "connected",
	[READY_LINE] = "line",
	[READY_AFTER] = "after",
};
static_assert(ARRAY_SIZE(app_ready_words) == READY_COUNT, "a word for every kind of readiness");

const char *const app_reaction_words[] = {
	[APP_REACT_NONE] = "none",
	[APP_REACT_ERROR] = "error",
	[APP_REACT_EOF] = "eof",
	[APP_REACT_CLOSE] = "close",
	[APP_REACT_EXIT] = "exit",
	[APP_REACT_LINE] = "line",
};
static_assert(ARRAY_SIZE(app_reaction_words) == APP_REACT_COUNT, "a word for every reaction");

const char *const observer_words[] = {
	[OBSERVER_BUILTIN] = "builtin",
	[OBSERVER_EBPF] = "ebpf",
	[OBSERVER_SOCK_DIAG] = "sock_diag",
};
static_assert(ARRAY_SIZE(observer_words) == OBSERVER_COUNT, "a word for every observer");

const char *const section_words[] = {
	[SECT_SCENARIO] = "scenario",
	[SECT_CLIENT] = "client",
	[SECT_SERVER] = "server",
	[SECT_ROUTER] = "router",
	[SECT_FAULT] = "fault",
	[SECT_EXPECT] = "expect",
};
static_assert(ARRAY_SIZE(section_words) == SECT_COUNT, "a word for every section");

const char *family_name(enum family f) { return family_words[f]; }
const char *traffic_name(enum traffic t) { return traffic_words[t]; }
const char *host_name(enum host h) { return host_words[h]; }
const char *direction_name(enum direction d) { return direction_words[d]; }
const char *idle_action_name(enum idle_action a) { return idle_action_words[a]; }
const char *outcome_name(enum outcome o) { return outcome_words[o]; }
const char *start_name(enum start s) { return start_words[s]; }
const char *mechanism_name(enum mechanism m) { return mechanism_words[m]; }
const char *verdict_name(enum verdict v) { return verdict_words[v]; }
const char *wire_class_name(enum wire_class c) { return wire_class_words[c]; }
const char *sw_type_name(enum sw_type t) { return sw_type_words[t]; }
const char *section_kind_name(enum section_kind kind) { return section_words[kind]; }
const char *app_ready_name(enum app_ready r) { return app_ready_words[r]; }
const char *app_reaction_name(enum app_reaction r) { return app_reaction_words[r]; }
const char *observer_name(enum observer o) { return observer_words[o]; }

int name_find(const char *const *table, size_t n, const char *word)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(table[i], word) == 0)
			return (int)i;
	return -1;
}

void format_outcome(char *buf, size_t len, enum outcome o, enum mechanism m)
{
	if (m != MECH_NONE)
		snprintf(buf, len, "%s/%s", outcome_name(o), mechanism_name(m));
	else
		snprintf(buf, len, "%s", outcome_name(o));
}
