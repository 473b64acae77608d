// SPDX-License-Identifier: MIT
/* Planning a suite: sweeps times repeats, filters, and shards that partition it exactly. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "plan.h"

static char dir[] = "/tmp/deadpeer-plan-XXXXXX";

static void write_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	write_file("a.scn", "[scenario]\nname = a\nrepeat = 2\nfamily = ipv4, ipv6\n"
			    "[client]\nkeepalive = yes\nkeepidle = 1s, 2s, 3s\n");
	write_file("b.scn", "[scenario]\nname = b\n");
	/* Subdirectories are part of the suite; other files are not. */
	char sub[128];
	snprintf(sub, sizeof(sub), "%s/compare", dir);
	if (mkdir(sub, 0755) < 0)
		return -1;
	write_file("compare/c.scn", "[scenario]\nname = c\n");
	write_file("compare/notes.txt", "not a scenario\n");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* "name #run" of every planned run, in order. */
static size_t names(const struct plan_opts *o, char out[64][80])
{
	struct suite s;
	char *paths[] = { dir };
	size_t n;

	assert_int_equal(suite_load(&s, paths, 1, stderr), 0);
	struct planned *p = suite_plan(&s, o, &n);
	assert_true(n <= 64);
	for (size_t i = 0; i < n; i++)
		snprintf(out[i], 80, "%s #%u", p[i].v.name, p[i].run);
	plan_free(p, n);
	suite_free(&s);
	return n;
}

static void test_expansion(void **state)
{
	char all[64][80];
	struct plan_opts o = { 0 };

	(void)state;
	/* 2 families x 3 keepidles x repeat 2, then b once, then compare/c; in name order. */
	assert_int_equal(names(&o, all), 14);
	assert_string_equal(all[0], "a[family=ipv4,client.keepidle=1s] #1");
	assert_string_equal(all[1], "a[family=ipv4,client.keepidle=1s] #2");
	assert_string_equal(all[2], "a[family=ipv6,client.keepidle=1s] #1");
	assert_string_equal(all[11], "a[family=ipv6,client.keepidle=3s] #2");
	assert_string_equal(all[12], "b #1");
	assert_string_equal(all[13], "c #1");
	o.repeat = 1;
	assert_int_equal(names(&o, all), 8);
	o.filter = "a*ipv6*";
	assert_int_equal(names(&o, all), 3);
	assert_string_equal(all[2], "a[family=ipv6,client.keepidle=3s] #1");
	o.filter = "b";
	assert_int_equal(names(&o, all), 1);
}

static void test_shards_partition(void **state)
{
	char all[64][80], part[64][80];
	int seen[64] = { 0 };

	(void)state;
	for (long shards = 1; shards <= 5; shards++) {
		struct plan_opts o = { 0 };
		size_t total = names(&o, all), sum = 0;
		memset(seen, 0, sizeof(seen));
		for (long k = 1; k <= shards; k++) {
			o.shard_k = k;
			o.shard_n = shards;
			size_t n = names(&o, part);
			sum += n;
			/* Deterministic: the same slice twice is the same list. */
			char again[64][80];
			assert_int_equal(names(&o, again), n);
			for (size_t i = 0; i < n; i++) {
				assert_string_equal(part[i], again[i]);
				size_t j = 0;
				while (j < total && strcmp(all[j], part[i]) != 0)
					j++;
				assert_true(j < total);
				seen[j]++;
			}
		}
		/* Every run in exactly one shard. */
		assert_int_equal(sum, total);
		for (size_t j = 0; j < total; j++)
			assert_int_equal(seen[j], 1);
	}
}

static void test_duplicate_names(void **state)
{
	char path[160], *paths[] = { path };
	struct suite s;
	FILE *err;
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	/* compare/c.scn is named c; so is a second file: the suite is refused, naming both. */
	write_file("c.scn", "[scenario]\ndescription = another c\n");
	snprintf(path, sizeof(path), "%s", dir);
	err = open_memstream(&buf, &len);
	assert_int_equal(suite_load(&s, paths, 1, err), -1);
	fclose(err);
	char want[512];
	snprintf(want, sizeof(want), "%s/compare/c.scn:2: scenario name 'c' is already used by %s/c.scn\n", dir, dir);
	assert_string_equal(buf, want);
	free(buf);
	suite_free(&s);
	snprintf(path, sizeof(path), "%s/c.scn", dir);
	unlink(path);
}

/* A fresh directory @sub (a mkdtemp template) holding one valid a.scn. */
static void temp_suite_dir(char *sub)
{
	char path[160];
	FILE *f;

	assert_non_null(mkdtemp(sub));
	snprintf(path, sizeof(path), "%s/a.scn", sub);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[scenario]\n", f);
	fclose(f);
}

/* A *.scn entry of a directory that is not a regular file is an error, never read. */
static void test_special_files(void **state)
{
	char sub[] = "/tmp/deadpeer-plan-fifo-XXXXXX", path[160], want[512], cmd[160];
	char *paths[] = { sub }, *buf = NULL;
	size_t len = 0;
	struct suite s;
	FILE *err;

	(void)state;
	temp_suite_dir(sub);
	snprintf(path, sizeof(path), "%s/b.scn", sub);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/pipe", sub);	/* not *.scn: not part of the suite */
	assert_int_equal(mkfifo(path, 0600), 0);
	err = open_memstream(&buf, &len);
	alarm(10);	/* reading the FIFO used to block forever */
	assert_int_equal(suite_load(&s, paths, 1, err), -1);
	alarm(0);
	fclose(err);
	snprintf(want, sizeof(want), "%s/b.scn: not a regular file (a FIFO); scenario files must be regular files\n", sub);
	assert_string_equal(buf, want);
	free(buf);
	suite_free(&s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", sub);
	assert_int_equal(system(cmd), 0);
}

/*
 * Symbolic links to a directory on the way down are loops: each reported
 * once where it is, and not followed (4 links to "." used to be scanned 4^9
 * times over, printing 262144 errors).
 */
static void test_symlink_loops(void **state)
{
	char sub[] = "/tmp/deadpeer-plan-loop-XXXXXX", path[160], want[1024], cmd[160];
	char *paths[] = { sub }, *buf = NULL;
	size_t len = 0, k = 0;
	struct suite s;
	FILE *err;

	(void)state;
	temp_suite_dir(sub);
	/* In name order: deeper/up (a link to its parent), then l1..l4 (links to "."). */
	snprintf(path, sizeof(path), "%s/deeper", sub);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/deeper/up", sub);
	assert_int_equal(symlink("..", path), 0);
	k = (size_t)snprintf(want, sizeof(want), "%s/deeper/up: symbolic link loop (same directory as %s)\n", sub, sub);
	for (int i = 1; i <= 4; i++) {
		snprintf(path, sizeof(path), "%s/l%d", sub, i);
		assert_int_equal(symlink(".", path), 0);
		k += (size_t)snprintf(want + k, sizeof(want) - k, "%s/l%d: symbolic link loop (same directory as %s)\n",
				      sub, i, sub);
	}
	err = open_memstream(&buf, &len);
	alarm(10);
	assert_int_equal(suite_load(&s, paths, 1, err), -1);
	alarm(0);
	fclose(err);
	assert_string_equal(buf, want);
	free(buf);
	suite_free(&s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", sub);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expansion),
		cmocka_unit_test(test_shards_partition),
		cmocka_unit_test(test_duplicate_names),
		cmocka_unit_test(test_special_files),
		cmocka_unit_test(test_symlink_loops),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
