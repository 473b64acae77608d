/* SPDX-License-Identifier: MIT */
/*
 * Subcommands: one file each, dispatched from main.c's table. Each prints its
 * own messages and returns how it went; main alone turns that into the
 * process's exit code.
 */
#ifndef DEADPEER_COMMANDS_H
#define DEADPEER_COMMANDS_H

#include <stdio.h>

enum status {
	STATUS_PASS,		/* every expectation met (or none given) */
	STATUS_FAILED,		/* an expectation failed or a run could not be completed */
	STATUS_USAGE,		/* bad usage or an invalid scenario file: nothing was run */
	STATUS_ENV,		/* this machine cannot run scenarios */
	STATUS_COUNT
};

enum status cmd_run(int argc, char **argv);
enum status cmd_check(int argc, char **argv);
enum status cmd_table(int argc, char **argv);
enum status cmd_predict(int argc, char **argv);
enum status cmd_advise(int argc, char **argv);
enum status cmd_report(int argc, char **argv);
enum status cmd_merge(int argc, char **argv);
/* deadpeer COMMAND --help: its usage, options and exit codes. */
void run_usage(FILE *f);
void predict_usage(FILE *f);
void check_usage(FILE *f);
void table_usage(FILE *f);
void report_usage(FILE *f);
void merge_usage(FILE *f);
void advise_usage(FILE *f);

/* The commands' names, NULL-terminated (the man page's test and completion are checked against it). */
extern const char *const command_names[];

#include <getopt.h>
/* The options of the commands that take any, as getopt_long takes them: the parsers' own tables. */
extern const struct option run_options[], predict_options[], advise_options[], merge_options[];

struct suite;
/* A warning on @err for each trap in the settings of @s's scenarios (check and run; nothing fails for it). */
void warn_traps(const struct suite *s, FILE *err);

#endif
