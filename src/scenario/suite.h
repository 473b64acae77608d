/* SPDX-License-Identifier: MIT */
/* A suite: the scenario files named on the command line, loaded and checked. */
#ifndef DEADPEER_SUITE_H
#define DEADPEER_SUITE_H

#include <stdio.h>

#include "scenario.h"

struct suite {
	struct scenario **files;	/* owned, in command-line then file-name order */
	size_t n_files;
};

/*
 * Load every file named by @paths (files, or directories whose *.scn files
 * are taken in name order; none: the shipped suite) and check every variant.
 * Returns 0, or -1 after printing each problem as "FILE:LINE: message".
 */
int suite_load(struct suite *s, char **paths, int n_paths, FILE *err);
/*
 * A command's arguments (argv[0] the command): every one a path, none an
 * option. Returns 0, or -1 after the messages, with nothing left to free.
 */
int suite_load_args(struct suite *s, const char *command, int argc, char **argv);
void suite_free(struct suite *s);

/* The directory of the shipped scenarios. */
const char *suite_default_dir(void);

#endif
