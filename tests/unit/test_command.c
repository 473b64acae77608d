// SPDX-License-Identifier: MIT
/*
 * command.c: an app's command split into words as a shell would (quotes,
 * backslashes, nothing expanded), its placeholders replaced per word, and
 * the program found as execvp finds it.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include "scenario.h"

/* @cmd splits into the @n words of @want, NULL-terminated, in one block. */
static void split_ok(const char *cmd, size_t n, const char *const *want)
{
	char **words, msg[128] = "";
	size_t got;

	if (app_split(cmd, &words, &got, msg, sizeof(msg)) < 0)
		fail_msg("'%s' refused: %s", cmd, msg);
	assert_int_equal(got, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(words[i], want[i]);
	assert_null(words[n]);
	free(words);
}

static void split_fails(const char *cmd, const char *message)
{
	char **words = (char **)1, msg[128] = "";
	size_t n = 99;

	assert_int_equal(app_split(cmd, &words, &n, msg, sizeof(msg)), -1);
	assert_null(words);
	assert_int_equal(n, 0);
	if (strncmp(msg, message, strlen(message)) != 0)
		fail_msg("'%s': wanted '%s', got '%s'", cmd, message, msg);
}

static void test_split_words(void **state)
{
	(void)state;
	split_ok("redis-server", 1, (const char *const[]){ "redis-server" });
	split_ok("  a \t b  c ", 3, (const char *const[]){ "a", "b", "c" });
	/* The SPEC's example: an empty argument from "". */
	split_ok("redis-server --port {port} --save \"\" --protected-mode no", 7,
		 (const char *const[]){ "redis-server", "--port", "{port}", "--save", "", "--protected-mode", "no" });
	split_ok("''", 1, (const char *const[]){ "" });
	split_ok("a '' b", 3, (const char *const[]){ "a", "", "b" });
}

static void test_split_quotes(void **state)
{
	(void)state;
	/* Single quotes keep everything, backslashes and double quotes included. */
	split_ok("sh -c 'echo \"hi\" \\n $HOME'", 3, (const char *const[]){ "sh", "-c", "echo \"hi\" \\n $HOME" });
	/* Double quotes: \" \\ \$ \` stand for the character; any other backslash stays. */
	split_ok("echo \"a \\\"b\\\" \\\\ \\$x \\` \\n\"", 2,
		 (const char *const[]){ "echo", "a \"b\" \\ $x ` \\n" });
	/* Quoted parts join the word around them. */
	split_ok("--opt='a b'\"c d\"e", 1, (const char *const[]){ "--opt=a bc de" });
	split_ok("'it'\\''s'", 1, (const char *const[]){ "it's" });
	/* Nothing is expanded or globbed. */
	split_ok("ls * ~ $HOME `id` ?", 6, (const char *const[]){ "ls", "*", "~", "$HOME", "`id`", "?" });
}

static void test_split_escapes(void **state)
{
	(void)state;
	split_ok("a\\ b c", 2, (const char *const[]){ "a b", "c" });
	split_ok("\\'x\\\" \\\\", 2, (const char *const[]){ "'x\"", "\\" });
	split_ok("a\\|b \\; \\&", 3, (const char *const[]){ "a|b", ";", "&" });
	split_ok("'a|b' \"c;d\"", 2, (const char *const[]){ "a|b", "c;d" });
}

static void test_split_errors(void **state)
{
	char cmd[2048];
	size_t k = 0;

	(void)state;
	split_fails("echo 'open", "unterminated single quote");
	split_fails("echo \"open", "unterminated double quote");
	split_fails("echo \"a\\\"", "unterminated double quote");
	split_fails("echo a\\", "a backslash at the end escapes nothing");
	split_fails("", "empty command");
	split_fails("  \t ", "empty command");
	split_fails("a | b", "'|' would be a shell operator");
	split_fails("a>b", "'>' would be a shell operator");
	split_fails("a &", "'&' would be a shell operator");
	split_fails("(a)", "'(' would be a shell operator");
	/* Over-long: more words than an argv of MAX_APP_WORDS. */
	for (int i = 0; i <= MAX_APP_WORDS; i++)
		k += (size_t)snprintf(cmd + k, sizeof(cmd) - k, "w%d ", i);
	split_fails(cmd, "more than 256 words");
	/* Exactly as many is fine. */
	cmd[k - strlen("w256 ")] = '\0';
	char **words, msg[64];
	size_t n;
	assert_int_equal(app_split(cmd, &words, &n, msg, sizeof(msg)), 0);
	assert_int_equal(n, MAX_APP_WORDS);
	assert_string_equal(words[255], "w255");
	assert_null(words[256]);
	free(words);
}

static const struct app_subst run4 = {
	.addr = "198.19.1.2", .peer = "198.18.1.2", .port = "7000", .family = "4",
	.dir = "/srv/scenarios", .suite = "/tmp/deadpeer-suite.x",
};

static void subst_ok(const char *text, const char *want)
{
	char *out = NULL, msg[256] = "";

	if (app_subst_text(text, &run4, &out, msg, sizeof(msg)) < 0)
		fail_msg("'%s' refused: %s", text, msg);
	assert_string_equal(out, want);
	free(out);
	/* Checking alone (no values) says the same. */
	assert_int_equal(app_subst_text(text, NULL, NULL, msg, sizeof(msg)), 0);
}

static void subst_fails(const char *text, int rc, const char *message)
{
	char *out = NULL, msg[256] = "";

	assert_int_equal(app_subst_text(text, &run4, &out, msg, sizeof(msg)), rc);
	assert_null(out);
	if (strncmp(msg, message, strlen(message)) != 0)
		fail_msg("'%s': wanted '%s', got '%s'", text, message, msg);
}

static void test_placeholders(void **state)
{
	(void)state;
	subst_ok("{addr}", "198.19.1.2");
	subst_ok("--bind={addr}:{port}", "--bind=198.19.1.2:7000");
	subst_ok("host={peer} port={port} family={family}", "host=198.18.1.2 port=7000 family=4");
	subst_ok("{dir}/client.py", "/srv/scenarios/client.py");
	subst_ok("{suite}/pgdata{suite}", "/tmp/deadpeer-suite.x/pgdata/tmp/deadpeer-suite.x");
	subst_ok("no placeholder", "no placeholder");
	subst_ok("", "");
	/* Literal braces. */
	subst_ok("{{port}}", "{port}");
	subst_ok("awk {{print $1}}", "awk {print $1}");
	subst_ok("{{{port}}}", "{7000}");
	subst_ok("}}{{", "}{");
}

static void test_placeholder_errors(void **state)
{
	char msg[256];

	(void)state;
	subst_fails("{host}", -EINVAL, "unknown placeholder '{host}' (expected {addr}, {peer}, {port}, {family}, "
		    "{dir} or {suite}; write {{ and }} for literal braces)");
	subst_fails("x{}y", -EINVAL, "unknown placeholder '{}'");
	subst_fails("{print $1}", -EINVAL, "unknown placeholder '{print $1}'");
	subst_fails("{PORT}", -EINVAL, "unknown placeholder '{PORT}'");
	subst_fails("{port", -EINVAL, "'{' without its '}' (write {{ for a literal brace)");
	subst_fails("a}b", -EINVAL, "a lone '}' (write }} for a literal brace)");
	subst_fails("{port}}", -EINVAL, "a lone '}'");
	/* Known, but without a value here. */
	struct app_subst no_suite = run4;
	no_suite.suite = NULL;
	char *out = NULL;
	assert_int_equal(app_subst_text("{suite}/x", &no_suite, &out, msg, sizeof(msg)), -ENOENT);
	assert_string_equal(msg, "{suite} has no value here");
	assert_null(out);
	/* Checking only: the syntax, every known name has a value. */
	assert_int_equal(app_subst_text("{suite}", NULL, NULL, msg, sizeof(msg)), 0);
	assert_int_equal(app_subst_text("{nope}", NULL, NULL, msg, sizeof(msg)), -EINVAL);
}

static void test_command_argv(void **state)
{
	char **words, **argv, msg[128];
	size_t n;
	struct app_cfg a = { 0 };

	(void)state;
	assert_int_equal(app_split("redis-cli -h {peer} -p {port} -e '{{x}}' \"\" {dir}/{family}", &words, &n, msg,
				   sizeof(msg)), 0);
	a.words = (const char *const *)words;
	a.n_words = n;
	assert_int_equal(app_command_argv(&a, &run4, &argv), 0);
	const char *want[] = { "redis-cli", "-h", "198.18.1.2", "-p", "7000", "-e", "{x}", "", "/srv/scenarios/4" };
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		assert_string_equal(argv[i], want[i]);
	assert_null(argv[ARRAY_SIZE(want)]);
	free(argv);		/* one block */

	struct app_subst v6 = run4;
	v6.addr = "2001:db8:2::2";
	v6.family = "6";
	v6.peer = NULL;
	argv = (char **)1;
	assert_int_equal(app_command_argv(&a, &v6, &argv), -ENOENT);
	assert_null(argv);
	free(words);

	assert_int_equal(app_split("x {bad}", &words, &n, msg, sizeof(msg)), 0);
	a.words = (const char *const *)words;
	a.n_words = n;
	assert_int_equal(app_command_argv(&a, &run4, &argv), -EINVAL);
	free(words);
}

static void test_env_value(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(app_env_value("host={peer} port={port}", &run4, &out), 0);
	assert_string_equal(out, "host=198.18.1.2 port=7000");
	free(out);
	assert_int_equal(app_env_value("", &run4, &out), 0);
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(app_env_value("{{literal}}", &run4, &out), 0);
	assert_string_equal(out, "{literal}");
	free(out);
	assert_int_equal(app_env_value("{oops}", &run4, &out), -EINVAL);
	assert_null(out);
}

static void test_which(void **state)
{
	char dir[] = "/tmp/deadpeer-which-XXXXXX", file[64], *path, *old;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/prog", dir);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\n", f);
	fclose(f);
	old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;

	/* Not executable yet: neither by path nor in PATH. */
	assert_int_equal(app_which(file, &path), -EACCES);
	assert_null(path);
	setenv("PATH", dir, 1);
	assert_int_equal(app_which("prog", &path), -ENOENT);
	chmod(file, 0755);
	assert_int_equal(app_which(file, &path), 0);
	assert_string_equal(path, file);
	free(path);
	/* The first directory of PATH that has it (an empty element is the current directory). */
	char list[128];
	snprintf(list, sizeof(list), "/nonexistent::%s:/bin", dir);
	setenv("PATH", list, 1);
	assert_int_equal(app_which("prog", &path), 0);
	assert_string_equal(path, file);
	free(path);
	assert_int_equal(app_which("no-such-program-here", &path), -ENOENT);
	/* A directory is not an executable file. */
	assert_int_equal(app_which(dir, &path), -EACCES);
	assert_int_equal(app_which("", &path), -ENOENT);

	if (old)
		setenv("PATH", old, 1);
	else
		unsetenv("PATH");
	free(old);
	unlink(file);
	rmdir(dir);
}

/* A missing program is named with the package to install, whether given by name or by path. */
static void test_package(void **state)
{
	(void)state;
	assert_string_equal(app_package("redis-cli"), "redis-tools");
	assert_string_equal(app_package("/usr/sbin/sshd"), "openssh-server");
	assert_string_equal(app_package("psql"), "postgresql-client");
	assert_null(app_package("my-own-service"));
	assert_null(app_package("/opt/redis-cli/run"));
}

UNIT_TESTS(
	cmocka_unit_test(test_package),
	cmocka_unit_test(test_split_words),
	cmocka_unit_test(test_split_quotes),
	cmocka_unit_test(test_split_escapes),
	cmocka_unit_test(test_split_errors),
	cmocka_unit_test(test_placeholders),
	cmocka_unit_test(test_placeholder_errors),
	cmocka_unit_test(test_command_argv),
	cmocka_unit_test(test_env_value),
	cmocka_unit_test(test_which)
)
