/* SPDX-License-Identifier: MIT */
/* Subcommands: one file each, dispatched from main.c's table. Each returns the exit code. */
#ifndef DEADPEER_COMMANDS_H
#define DEADPEER_COMMANDS_H

enum exit_code {
	EXIT_PASS = 0,		/* every expectation met (or none given) */
	EXIT_FAILED = 1,	/* an expectation failed or a run could not be completed */
	EXIT_USAGE = 2,		/* bad usage or an invalid scenario file: nothing was run */
	EXIT_ENV = 3,		/* this machine cannot run scenarios */
};

int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_table(int argc, char **argv);
int cmd_predict(int argc, char **argv);

#endif
