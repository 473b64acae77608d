/* SPDX-License-Identifier: MIT */
/*
 * The words of the enums that people read and write (scenario files,
 * results.csv, the reports), one table per enum indexed by its values, so
 * that the parser, the CSV's writer and its reader cannot disagree. The
 * *_name() functions of these enums are declared beside each enum and
 * defined in names.c. (enum action keeps its own table in parse.c.)
 */
#ifndef DEADPEER_NAMES_H
#define DEADPEER_NAMES_H

#include "scenario.h"

/*
 * Declared without a size so that names.c, where each is defined, can check
 * that it has exactly one word per value; the sizes are the enums' *_COUNT.
 */
extern const char *const family_words[];	/* FAMILY_COUNT */
extern const char *const traffic_words[];	/* TRAFFIC_COUNT */
extern const char *const host_words[];		/* HOST_COUNT; the first SIDE_COUNT are the sides */
extern const char *const direction_words[];	/* DIR_COUNT */
extern const char *const idle_action_words[];	/* IDLE_ACTION_COUNT */
extern const char *const outcome_words[];	/* OUTCOME_COUNT */
extern const char *const start_words[];		/* START_COUNT */
extern const char *const mechanism_words[];	/* MECH_COUNT; MECH_NONE is "-" */
extern const char *const verdict_words[];	/* VERDICT_COUNT (run.h); VERDICT_NONE is "-" */
extern const char *const wire_class_words[];	/* WIRE_CLASS_COUNT (wire.h) */
extern const char *const sw_type_words[];	/* SW_TYPE_COUNT (sockwatch.h) */
extern const char *const section_words[];	/* SECT_COUNT (scenario_priv.h) */
extern const char *const app_ready_words[];	/* READY_COUNT */
extern const char *const app_reaction_words[];	/* APP_REACT_COUNT */
extern const char *const observer_words[];	/* OBSERVER_COUNT (endpoint.h) */

/* The value whose word is @word among the first @n of @table, or -1. */
int name_find(const char *const *table, size_t n, const char *word);

/*
 * An outcome with its mechanism as the reports write it: "timeout/keepalive",
 * "rst/probe"; the outcome alone without one ("fin", "none").
 */
void format_outcome(char *buf, size_t len, enum outcome o, enum mechanism m);

#endif
