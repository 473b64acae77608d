// SPDX-License-Identifier: MIT
/*
 * An application side's command ([client]/[server] app = COMMAND): split into
 * words the way a POSIX shell splits a simple command, without running one
 * (no expansion, no globbing, no operators), and its placeholders replaced
 * per word for a run. Pure functions but for app_which, which looks at the
 * file system and PATH as execvp would.
 *
 * Splitting: blanks separate words; '...' keeps everything literally; "..."
 * keeps everything but a backslash before $ ` " or \, which stands for that
 * character; outside quotes a backslash stands for the next character. An
 * empty pair of quotes is an empty word. An unquoted | & ; < > ( ) would be
 * a shell operator, which no shell interprets here: it is refused.
 *
 * Placeholders: {addr} {peer} {port} {family} {dir} {suite}, anywhere in a
 * word, any number of them; {{ and }} stand for literal braces; any other
 * {name}, a '{' without its '}' and a lone '}' are errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scenario.h"

/* ---- splitting -------------------------------------------------------- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * One block: the NULL-terminated array of @n pointers, then the @bytes of
 * @text (NUL-separated words) it points into. free() releases it all.
 */
static char **word_block(const char *text, size_t bytes, size_t n)
{
	char **words = xcalloc(1, (n + 1) * sizeof(char *) + bytes);
	char *p = (char *)(words + n + 1);

	memcpy(p, text, bytes);
	for (size_t i = 0; i < n; i++) {
		words[i] = p;
		p += strlen(p) + 1;
	}
	words[n] = NULL;
	return words;
}

int app_split(const char *cmd, char ***words, size_t *n, char *msg, size_t len)
{
	/* Every word is at most as long as its text, and a blank or the end follows it. */
	char *buf = xcalloc(strlen(cmd) + 2, 1), *out = buf;
	size_t count = 0;
	const char *p = cmd;

	*words = NULL;
	*n = 0;
	for (;;) {
		bool in_word = false;

		while (is_blank(*p))
			p++;
		if (!*p)
			break;
		while (*p && !is_blank(*p)) {
			in_word = true;
			if (*p == '\'') {
				const char *end = strchr(p + 1, '\'');
				if (!end) {
					snprintf(msg, len, "unterminated single quote");
					goto fail;
				}
				memcpy(out, p + 1, (size_t)(end - p - 1));
				out += end - p - 1;
				p = end + 1;
			} else if (*p == '"') {
				for (p++; *p != '"'; p++) {
					if (!*p) {
						snprintf(msg, len, "unterminated double quote");
						goto fail;
					}
					if (*p == '\\' && p[1] && strchr("$`\"\\", p[1]))
						p++;
					*out++ = *p;
				}
				p++;
			} else if (*p == '\\') {
				if (!p[1]) {
					snprintf(msg, len, "a backslash at the end escapes nothing");
					goto fail;
				}
				*out++ = p[1];
				p += 2;
			} else if (strchr("|&;<>()", *p)) {
				snprintf(msg, len, "'%c' would be a shell operator, and no shell runs the command "
					 "(quote it, or run sh -c '...')", *p);
				goto fail;
			} else {
				*out++ = *p++;
			}
		}
		if (in_word) {
			*out++ = '\0';
			if (++count > MAX_APP_WORDS) {
				snprintf(msg, len, "more than %d words", MAX_APP_WORDS);
				goto fail;
			}
		}
	}
	if (!count) {
		snprintf(msg, len, "empty command");
		goto fail;
	}
	*words = word_block(buf, (size_t)(out - buf), count);
	*n = count;
	free(buf);
	return 0;
fail:
	free(buf);
	return -1;
}

/* ---- placeholders ----------------------------------------------------- */

static const struct {
	const char *name;
	size_t offset;		/* of its value in struct app_subst */
} placeholders[] = {
	{ "addr", offsetof(struct app_subst, addr) },
	{ "peer", offsetof(struct app_subst, peer) },
	{ "port", offsetof(struct app_subst, port) },
	{ "family", offsetof(struct app_subst, family) },
	{ "dir", offsetof(struct app_subst, dir) },
	{ "suite", offsetof(struct app_subst, suite) },
};

/*
 * Replace the placeholders of @text from @s into @out (NULL: only measure);
 * the length of the result in *@outlen. @s NULL: check only, every known
 * placeholder counting as having a value. 0, or -EINVAL (malformed or
 * unknown) / -ENOENT (known, no value in @s) with @msg.
 */
static int subst(const char *text, const struct app_subst *s, char *out, size_t *outlen, char *msg, size_t len)
{
	size_t k = 0;

	for (const char *p = text; *p; ) {
		const char *value = NULL;
		size_t n;

		if ((*p == '{' && p[1] == '{') || (*p == '}' && p[1] == '}')) {
			if (out)
				out[k] = *p;
			k++;
			p += 2;
			continue;
		}
		if (*p == '}') {
			snprintf(msg, len, "a lone '}' (write }} for a literal brace)");
			return -EINVAL;
		}
		if (*p != '{') {
			if (out)
				out[k] = *p;
			k++;
			p++;
			continue;
		}
		const char *end = strchr(p, '}');
		if (!end) {
			snprintf(msg, len, "'{' without its '}' (write {{ for a literal brace)");
			return -EINVAL;
		}
		n = (size_t)(end - p - 1);
		size_t i;
		for (i = 0; i < ARRAY_SIZE(placeholders); i++)
			if (strlen(placeholders[i].name) == n && strncmp(placeholders[i].name, p + 1, n) == 0)
				break;
		if (i == ARRAY_SIZE(placeholders)) {
			snprintf(msg, len, "unknown placeholder '{%.*s}' (expected {addr}, {peer}, {port}, {family}, "
				 "{dir} or {suite}; write {{ and }} for literal braces)", (int)n, p + 1);
			return -EINVAL;
		}
		if (s) {
			value = *(const char *const *)((const char *)s + placeholders[i].offset);
			if (!value) {
				snprintf(msg, len, "{%s} has no value here", placeholders[i].name);
				return -ENOENT;
			}
			if (out)
				memcpy(out + k, value, strlen(value));
			k += strlen(value);
		}
		p = end + 1;
	}
	if (out)
		out[k] = '\0';
	*outlen = k;
	return 0;
}

int app_subst_text(const char *text, const struct app_subst *s, char **out, char *msg, size_t len)
{
	size_t n;
	int rc = subst(text, s, NULL, &n, msg, len);

	if (rc || !out)
		return rc;
	*out = xcalloc(n + 1, 1);
	return subst(text, s, *out, &n, msg, len);
}

int app_command_argv(const struct app_cfg *a, const struct app_subst *s, char ***argv)
{
	char msg[160];
	size_t bytes = 0, n;
	int rc;

	*argv = NULL;
	for (size_t i = 0; i < a->n_words; i++) {
		if ((rc = subst(a->words[i], s, NULL, &n, msg, sizeof(msg))))
			return rc;
		bytes += n + 1;
	}
	char *buf = xcalloc(bytes ? bytes : 1, 1), *p = buf;
	for (size_t i = 0; i < a->n_words; i++) {
		(void)subst(a->words[i], s, p, &n, msg, sizeof(msg));	/* measured above: cannot fail */
		p += n + 1;
	}
	*argv = word_block(buf, bytes, a->n_words);
	free(buf);
	return 0;
}

int app_env_value(const char *value, const struct app_subst *s, char **out)
{
	char msg[160];

	*out = NULL;
	return app_subst_text(value, s, out, msg, sizeof(msg));
}

/* ---- finding the program ---------------------------------------------- */

static bool executable_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int app_which(const char *prog, char **path)
{
	const char *dirs = getenv("PATH");
	char cs[256];

	*path = NULL;
	if (!*prog)
		return -ENOENT;
	if (strchr(prog, '/')) {
		if (!executable_file(prog))
			return -EACCES;
		*path = xstrdup(prog);
		return 0;
	}
	if (!dirs) {	/* as execvp: the system's default search path */
		size_t n = confstr(_CS_PATH, cs, sizeof(cs));
		dirs = n && n <= sizeof(cs) ? cs : "/bin:/usr/bin";
	}
	for (const char *d = dirs;; ) {
		const char *colon = strchrnul(d, ':');
		char *candidate;
		/* An empty element is the current directory, as execvp takes it. */
		if (asprintf(&candidate, "%.*s%s%s", (int)(colon - d), d, colon == d ? "" : "/", prog) < 0)
			return -ENOMEM;
		if (executable_file(candidate)) {
			*path = candidate;
			return 0;
		}
		free(candidate);
		if (!*colon)
			break;
		d = colon + 1;
	}
	return -ENOENT;
}

/*
 * The Debian packages of the programs the shipped scenarios run, so that a
 * missing one is named with what to install.
 */
static const struct {
	const char *program, *package;
} packages[] = {
	{ "socat", "socat" },
	{ "redis-server", "redis-server" },
	{ "redis-cli", "redis-tools" },
	{ "psql", "postgresql-client" },
	{ "ssh", "openssh-client" },
	{ "sshd", "openssh-server" },
	{ "python3", "python3" },
	{ "nc", "netcat-openbsd" },
	{ "curl", "curl" },
};

const char *app_package(const char *prog)
{
	const char *base = strrchr(prog, '/');

	base = base ? base + 1 : prog;
	for (size_t i = 0; i < ARRAY_SIZE(packages); i++)
		if (!strcmp(base, packages[i].program))
			return packages[i].package;
	return NULL;
}
