// SPDX-License-Identifier: MIT
/*
 * The man pages keep up with the program: deadpeer(1) names every command
 * and every option the commands' parsers take; deadpeer-scenario(5) every
 * section, every key the scenario parser knows (its table and the keys its
 * messages list), every fault action, outcome, mechanism and results.csv
 * column. The lists come from the program's own tables, so a key added
 * without its line in the page fails here.
 * Usage: test_man MAN_DIR
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fault.h"
#include "names.h"
#include "report.h"
#include "scenario_priv.h"
#include "unit.h"

static const char *man_dir;

static char *page(const char *name)
{
	char path[4096];
	void *buf;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", man_dir, name);
	assert_int_equal(load_file(path, 1 << 20, &buf, &len), 0);
	char *text = realloc(buf, len + 1);
	assert_non_null(text);
	text[len] = '\0';
	return text;
}

/* @word as roff writes it: each '-' as "\-". */
static void roff(const char *word, char *buf, size_t len)
{
	size_t n = 0;

	for (; *word && n + 3 < len; word++) {
		if (*word == '-')
			buf[n++] = '\\';
		buf[n++] = *word;
	}
	buf[n] = '\0';
}

/* The page has @word in bold: a ".B word" line (a tag of .TP) or \fBword\fR. */
static bool bold(const char *text, const char *word)
{
	char r[128], a[160], b[160];

	roff(word, r, sizeof(r));
	snprintf(a, sizeof(a), "\n.B %s\n", r);
	snprintf(b, sizeof(b), "\\fB%s\\fR", r);
	return strstr(text, a) || strstr(text, b);
}

/* A section heading (.SH) of the page names @word. */
static bool heading(const char *text, const char *word)
{
	for (const char *p = text; (p = strstr(p, word)); p++) {
		const char *line = p;
		while (line > text && line[-1] != '\n')
			line--;
		if (!strncmp(line, ".SH ", 4))
			return true;
	}
	return false;
}

static void must(bool ok, const char *page_name, const char *what, const char *word)
{
	if (!ok)
		fail_msg("%s does not describe %s '%s'", page_name, what, word);
}

static void test_commands(void **state)
{
	char *text = page("deadpeer.1");
	const struct option *tables[] = { run_options, predict_options, advise_options, merge_options };
	char opt[128], r[160];
	(void)state;

	for (size_t i = 0; command_names[i]; i++)
		must(bold(text, command_names[i]), "deadpeer.1", "the command", command_names[i]);
	for (size_t t = 0; t < ARRAY_SIZE(tables); t++)
		for (const struct option *o = tables[t]; o->name; o++) {
			snprintf(opt, sizeof(opt), "--%s", o->name);
			roff(opt, r, sizeof(r));
			must(strstr(text, r) != NULL, "deadpeer.1", "the option", opt);
		}
	free(text);
}

static void test_scenario(void **state)
{
	char *text = page("deadpeer-scenario.5");
	char head[64];
	(void)state;

	for (int k = 0; k < SECT_COUNT; k++) {
		snprintf(head, sizeof(head), "[%s]", section_kind_name((enum section_kind)k));
		must(heading(text, head), "deadpeer-scenario.5", "the section", section_kind_name((enum section_kind)k));
		/* The keys its messages list: "name, description, ..., env.*, sysctl.*". */
		char *list = strdup(expected_keys((enum section_kind)k)), *save = NULL;
		for (char *w = strtok_r(list, ", ", &save); w; w = strtok_r(NULL, ", ", &save))
			must(bold(text, w), "deadpeer-scenario.5", "the key", w);
		free(list);
	}
	for (size_t i = 0; key_name(i); i++)
		must(bold(text, key_name(i)), "deadpeer-scenario.5", "the key", key_name(i));
	for (size_t i = 0; i < fault_kind_count; i++)
		must(bold(text, fault_kinds[i]->name), "deadpeer-scenario.5", "the fault action", fault_kinds[i]->name);
	for (int o = 0; o < OUTCOME_COUNT; o++)
		must(bold(text, outcome_words[o]), "deadpeer-scenario.5", "the outcome", outcome_words[o]);
	for (int m = 0; m < MECH_COUNT; m++)
		must(bold(text, mechanism_words[m]), "deadpeer-scenario.5", "the mechanism", mechanism_words[m]);
	for (int c = 0; c < COL_COUNT; c++)
		must(bold(text, csv_column_name((enum csv_column)c)), "deadpeer-scenario.5", "the column",
		     csv_column_name((enum csv_column)c));
	free(text);
}

/* Each command's --help gives every option its parser takes. */
static void test_help(void **state)
{
	static const struct {
		void (*usage)(FILE *f);
		const struct option *opts;
	} cmds[] = { { run_usage, run_options }, { predict_usage, predict_options }, { advise_usage, advise_options },
		    { merge_usage, merge_options } };
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		char *buf = NULL, opt[128];
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		assert_non_null(f);
		cmds[i].usage(f);
		fclose(f);
		for (const struct option *o = cmds[i].opts; o->name; o++) {
			snprintf(opt, sizeof(opt), "--%s", o->name);
			if (!strstr(buf, opt))
				fail_msg("--help does not give %s:\n%s", opt, buf);
		}
		free(buf);
	}
}

/* A page that misses a word is caught (the check itself can fail). */
static void test_check_fails(void **state)
{
	(void)state;
	assert_true(bold("x\n.B keepidle\ny", "keepidle"));
	assert_true(bold("x \\fBlink\\-down\\fR y", "link-down"));
	assert_false(bold("x\n.B keepidle\ny", "keepintvl"));
	assert_false(bold("x keepidle y", "keepidle"));
	assert_true(heading("a\n.SH [client] AND [server]\nb", "[server]"));
	assert_false(heading("a\nthe [server] section\n", "[server]"));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_fails),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_scenario),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: test_man MAN_DIR\n");
		return 2;
	}
	man_dir = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
