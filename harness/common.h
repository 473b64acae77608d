/* SPDX-License-Identifier: MIT */
/* Small helpers shared by every harness module: attributes, clocks, units. */
#ifndef DEADPEER_COMMON_H
#define DEADPEER_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#if HAVE_ATTRIBUTE_FORMAT
#define PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define PRINTF(a, b)
#endif
#if HAVE_ATTRIBUTE_WARN_UNUSED_RESULT
#define MUST_CHECK __attribute__((warn_unused_result))
#else
#define MUST_CHECK
#endif
#if HAVE_ATTRIBUTE_NORETURN
#define NORETURN __attribute__((noreturn))
#else
#define NORETURN
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Nanoseconds on CLOCK_MONOTONIC: the one clock every timestamp uses. */
int64_t mono_ns(void);

/* Longest duration a scenario may give: 30 days, in milliseconds. */
#define DURATION_MAX_MS (30LL * 24 * 3600 * 1000)

/*
 * Parse "250ms", "1.5s", "2m", "1h" or a bare number of seconds into
 * milliseconds. Returns 0, or -1 with a reason in @why when the text is not
 * a duration or not a whole number of milliseconds.
 */
int parse_duration_ms(const char *text, int64_t *ms, const char **why) MUST_CHECK;

/* Format milliseconds the way a person reads them: "2h11m15s", "1.5s", "250ms". */
void format_duration(char *buf, size_t len, int64_t ms);

/* Parse a whole decimal number; returns 0 or -1. */
int parse_int64(const char *text, int64_t *out) MUST_CHECK;

/* Symbolic errno name ("ETIMEDOUT"), or "" for 0. */
const char *errno_name(int err);

/* Strip leading and trailing blanks in place; returns @s advanced. */
char *strip(char *s);

/* xmalloc-style helpers: abort with a message on out-of-memory. */
void *xcalloc(size_t n, size_t size) __attribute__((malloc));
char *xstrdup(const char *s) __attribute__((malloc));

#endif
