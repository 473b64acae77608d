// SPDX-License-Identifier: MIT
/*
 * THE table of fault kinds. Its order is the order in which messages and
 * --help list them. Adding a kind: its file here, defining
 * `const struct fault_kind fault_NAME`, and one line in the table below;
 * meson.build reads the table to compile NAME.c and declare fault_NAME
 * (fault_kinds.h), so keep one `&fault_NAME,` a line.
 */
#include <stdio.h>
#include <string.h>

#include "fault_priv.h"

const struct fault_kind *const fault_kinds[] = {
	&fault_drop,
	&fault_reject,
	&fault_link_down,
	&fault_kill,
	&fault_crash,
	&fault_freeze,
	&fault_loss,
	&fault_mtu_blackhole,
};

const size_t fault_kind_count = ARRAY_SIZE(fault_kinds);

const struct fault_kind *fault_kind_find(const char *name)
{
	for (size_t i = 0; i < fault_kind_count; i++)
		if (strcmp(fault_kinds[i]->name, name) == 0)
			return fault_kinds[i];
	return NULL;
}

char *fault_kind_names(char *buf, size_t len, unsigned takes, const char *last)
{
	const struct fault_kind *match[ARRAY_SIZE(fault_kinds)];
	size_t n = 0, used = 0;

	for (size_t i = 0; i < fault_kind_count; i++)
		if ((fault_kinds[i]->takes & takes) == takes)
			match[n++] = fault_kinds[i];
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", !i ? "" : i + 1 < n ? ", " : last,
					 match[i]->name);
	return buf;
}
