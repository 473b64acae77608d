/* SPDX-License-Identifier: MIT */
/* Small helpers shared by every harness module: attributes, clocks, units. */
#ifndef DEADPEER_COMMON_H
#define DEADPEER_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

/*
 * @v thousandths as a decimal with three places and its sign: microseconds
 * as milliseconds ("12.345", "-0.052"), or milliseconds as seconds. The one
 * place that does that arithmetic, for the CSV and the tables alike.
 */
void format_thousandths(char *buf, size_t len, int64_t v);

/* Parse a whole decimal number; returns 0 or -1. */
int parse_int64(const char *text, int64_t *out) MUST_CHECK;

/* Symbolic errno name ("ETIMEDOUT"), or "" for 0. */
const char *errno_name(int err);

/* Strip leading and trailing blanks in place; returns @s advanced. */
char *strip(char *s);

/*
 * Open @path for reading if it is a regular file, and never block doing so:
 * anything else (a FIFO, a device, a socket, a directory) is refused before
 * it is opened, and once more on the open descriptor (opened O_NONBLOCK,
 * checked with fstat, then made blocking), so what is read is what was
 * checked. Returns 0 with the stream in *@f; -errno when it cannot be opened;
 * 1 when it is not a regular file, with *@kind saying what it is ("a FIFO").
 */
int open_regular(const char *path, FILE **f, const char **kind) MUST_CHECK;

/* mkdir -p: @path and the directories above it (mode 0755); 0, or -1 with errno. */
int mkdir_p(const char *path);

/* Close every descriptor from 3 up but the @n in @keep (negative ones are ignored). */
void close_all_but(const int *keep, size_t n);

/* Write all @len bytes of @buf to @fd, through short writes and EINTR: 0 or -errno. */
int write_all(int fd, const void *buf, size_t len) MUST_CHECK;

/* Create or replace @path with @len bytes of @buf; 0 or -errno (a full disk: -ENOSPC). */
int save_file(const char *path, const void *buf, size_t len) MUST_CHECK;

/*
 * Read the regular file @path whole, at most @max bytes: 0 with *@buf
 * (allocated, free it) and *@len; -errno, -EINVAL when it is not a regular
 * file, -EFBIG when it is larger than @max.
 */
int load_file(const char *path, size_t max, void **buf, size_t *len) MUST_CHECK;

/* Allocation that cannot fail: out of memory, they say so and abort. */
void *xcalloc(size_t n, size_t size) __attribute__((malloc));
void *xreallocarray(void *p, size_t n, size_t size) MUST_CHECK;
char *xstrdup(const char *s) __attribute__((malloc));
/*
 * Zeroed memory for @n items of @size that a forked child does not get
 * (MADV_DONTFORK): a parent's big tables, whose page tables every fork would
 * otherwise copy and every child's exit tear down again. NULL when @n is 0.
 * Release with free_unshared and the same @n and @size.
 */
void *xcalloc_unshared(size_t n, size_t size);
void free_unshared(void *p, size_t n, size_t size);

#endif
