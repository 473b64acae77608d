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
/* deadpeer advise --help */
void advise_usage(FILE *f);

struct suite;
/* A warning on @err for each trap in the settings of @s's scenarios (check and run; nothing fails for it). */
void warn_traps(const struct suite *s, FILE *err);

#endif
