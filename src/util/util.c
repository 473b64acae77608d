// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include "common.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const struct {
	const char *suffix;
	int64_t ms;
} units[] = {
	{ "ms", 1 },
	{ "s", 1000 },
	{ "m", 60 * 1000 },
	{ "h", 3600 * 1000 },
	{ "", 1000 },		/* a bare number means seconds */
};

int parse_duration_ms(const char *text, int64_t *ms, const char **why)
{
	const char *p = text;
	int64_t whole = 0, frac = 0, frac_div = 1;
	bool digits = false;

	*why = "expected a duration such as 250ms, 1.5s, 2m or 1h";
	while (isdigit((unsigned char)*p)) {
		if (whole > DURATION_MAX_MS)
			goto too_long;
		whole = whole * 10 + (*p++ - '0');
		digits = true;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (frac_div < 1000000000) {
				frac = frac * 10 + (*p - '0');
				frac_div *= 10;
			} else if (*p != '0') {
				*why = "more than nanosecond precision";
				return -1;
			}
			p++;
			digits = true;
		}
	}
	if (!digits)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(p, units[i].suffix) != 0)
			continue;
		if (whole > DURATION_MAX_MS / units[i].ms)
			goto too_long;
		int64_t scaled = frac * units[i].ms;
		if (scaled % frac_div != 0) {
			*why = "not a whole number of milliseconds";
			return -1;
		}
		*ms = whole * units[i].ms + scaled / frac_div;
		if (*ms > DURATION_MAX_MS)
			goto too_long;
		return 0;
	}
	*why = "unknown unit (expected ms, s, m or h)";
	return -1;
too_long:
	*why = "longer than 30 days";
	return -1;
}

void format_thousandths(char *buf, size_t len, int64_t v)
{
	/* The magnitude through unsigned, so that INT64_MIN has one too. */
	uint64_t a = v < 0 ? -(uint64_t)v : (uint64_t)v;

	snprintf(buf, len, "%s%" PRIu64 ".%03" PRIu64, v < 0 ? "-" : "", a / 1000, a % 1000);
}

void format_duration(char *buf, size_t len, int64_t ms)
{
	const char *sign = ms < 0 ? "-" : "";
	int64_t a = ms < 0 ? -ms : ms;
	char t[32];

	if (a < 1000) {
		snprintf(buf, len, "%s%" PRId64 "ms", sign, a);
	} else if (a < 60000 && a % 1000 == 0) {
		snprintf(buf, len, "%s%" PRId64 "s", sign, a / 1000);
	} else if (a < 60000) {
		format_thousandths(t, sizeof(t), ms);
		snprintf(buf, len, "%ss", t);
	} else {
		int64_t h = a / 3600000, m = a / 60000 % 60;
		char sec[40] = "";

		/* What is left of the minute: "14.600s", "14s", or nothing. */
		if (a % 1000) {
			format_thousandths(t, sizeof(t), a % 60000);
			snprintf(sec, sizeof(sec), "%ss", t);
		} else if (a % 60000) {
			snprintf(sec, sizeof(sec), "%" PRId64 "s", a / 1000 % 60);
		}
		if (h)
			snprintf(buf, len, "%s%" PRId64 "h%" PRId64 "m%s", sign, h, m, sec);
		else
			snprintf(buf, len, "%s%" PRId64 "m%s", sign, m, sec);
	}
}

int parse_int64(const char *text, int64_t *out)
{
	char *end;

	if (!*text || isspace((unsigned char)*text))
		return -1;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

const char *errno_name(int err)
{
	if (!err)
		return "";
	const char *n = strerrorname_np(err);
	return n ? n : "E?";
}

char *strip(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static const char *file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFIFO: return "a FIFO";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	case S_IFSOCK: return "a socket";
	case S_IFDIR: return "a directory";
	case S_IFLNK: return "a symbolic link";
	default: return "an unknown kind of file";
	}
}

int open_regular(const char *path, FILE **f, const char **kind)
{
	struct stat st;
	int fd, flags, err;

	*f = NULL;
	*kind = NULL;
	/* Opening a device can do things by itself: refuse it unopened. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		*kind = file_kind(st.st_mode);
		return 1;
	}
	/* It may have been replaced since: what counts is what fd refers to. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		*kind = file_kind(st.st_mode);
		close(fd);
		return 1;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
		goto fail;
	*f = fdopen(fd, "r");
	if (!*f)
		goto fail;
	return 0;
fail:
	err = errno;
	close(fd);
	return -err;
}

/* Nothing sensible is left to do without memory: say so and stop where it happened. */
static void NORETURN out_of_memory(void)
{
	fputs("deadpeer: out of memory\n", stderr);
	abort();
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		out_of_memory();
	return p;
}

void *xreallocarray(void *p, size_t n, size_t size)
{
	p = reallocarray(p, n ? n : 1, size ? size : 1);
	if (!p)
		out_of_memory();
	return p;
}

static size_t unshared_len(size_t n, size_t size)
{
	size_t len, page = (size_t)sysconf(_SC_PAGESIZE);

	if (__builtin_mul_overflow(n, size, &len) || len > SIZE_MAX - page)
		out_of_memory();
	return (len + page - 1) / page * page;
}

void *xcalloc_unshared(size_t n, size_t size)
{
	if (!n || !size)
		return NULL;
	size_t len = unshared_len(n, size);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		out_of_memory();
	madvise(p, len, MADV_DONTFORK);		/* where it fails, children only cost more */
	return p;
}

void free_unshared(void *p, size_t n, size_t size)
{
	if (p)
		munmap(p, unshared_len(n, size));
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		out_of_memory();
	return p;
}

int write_all(int fd, const void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (size_t)n;
	}
	return 0;
}

int save_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int ret;

	if (fd < 0)
		return -errno;
	ret = write_all(fd, buf, len);
	if (close(fd) < 0 && !ret)
		ret = -errno;
	return ret;
}

int load_file(const char *path, size_t max, void **buf, size_t *len)
{
	struct stat st;
	size_t done = 0;
	char *p;
	int ret = 0, fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		ret = fstat(fd, &st) < 0 ? -errno : S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
		close(fd);
		return ret;
	}
	p = xcalloc((size_t)st.st_size + 1, 1);
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, p + done, (size_t)st.st_size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;	/* shorter than it said: what is there */
		done += (size_t)n;
	}
	if (done < (size_t)st.st_size && errno)
		ret = -errno;
	close(fd);
	if (ret) {
		free(p);
		return ret;
	}
	*buf = p;
	*len = done;
	return 0;
}

void close_all_but(const int *keep, size_t n)
{
	unsigned from = 3;

	for (;;) {
		unsigned next = ~0U;
		for (size_t i = 0; i < n; i++)
			if (keep[i] >= (int)from && (unsigned)keep[i] < next)
				next = (unsigned)keep[i];
		if (next > from)
			close_range(from, next == ~0U ? ~0U : next - 1, 0);
		if (next == ~0U)
			return;
		from = next + 1;
	}
}

int mkdir_p(const char *path)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0755) < 0 && errno != EEXIST ? -1 : 0;
}
