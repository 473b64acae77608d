// SPDX-License-Identifier: MIT
/* The commands' names, in main.c's order (it checks): for the man page's test and the completion. */
#include <stddef.h>

#include "commands.h"

const char *const command_names[] = { "run", "predict", "check", "table", "report", "merge", "advise", NULL };
