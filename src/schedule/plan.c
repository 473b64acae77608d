// SPDX-License-Identifier: MIT
/*
 * The plan: a suite expanded into its list of runs (variants, repetitions),
 * filtered by --filter and cut into --shard slices, in a fixed order.
 */
#define _GNU_SOURCE
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

struct planned *suite_plan(const struct suite *s, const struct plan_opts *o, size_t *count)
{
	struct planned *p = NULL;
	size_t n = 0, seen = 0;

	for (size_t f = 0; f < s->n_files; f++) {
		size_t nv = scenario_variant_count(s->files[f]);
		for (size_t i = 0; i < nv; i++) {
			struct variant v;
			if (scenario_variant(s->files[f], i, &v, stderr) < 0)
				continue;
			bool keep = !o->filter || fnmatch(o->filter, scenario_name(s->files[f]), 0) == 0 ||
				    fnmatch(o->filter, v.name, 0) == 0;
			long repeat = o->repeat ? o->repeat : v.repeat;
			bool kept = false;
			for (long r = 1; keep && r <= repeat; r++) {
				if (o->shard_n && (long)(seen++ % (size_t)o->shard_n) != o->shard_k - 1)
					continue;
				p = xreallocarray(p, n + 1, sizeof(*p));
				p[n] = (struct planned){ v, (unsigned)r };
				if (kept)
					p[n].v.name = xstrdup(v.name);	/* each planned run owns its name */
				kept = true;
				n++;
			}
			if (!kept)
				variant_release(&v);
		}
	}
	*count = n;
	/* The scheduler forks a worker per run: the table stays in the parent, each worker gets its own run. */
	struct planned *table = xcalloc_unshared(n, sizeof(*p));
	if (n)
		memcpy(table, p, n * sizeof(*p));
	free(p);
	return table;
}

void plan_free(struct planned *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		variant_release(&p[i].v);
	free_unshared(p, n, sizeof(*p));
}

const char *planned_stem(const struct planned *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s-%zu-%u", scenario_name(p->v.scenario), p->v.index + 1, p->run);
	return buf;
}

uint64_t plan_fingerprint(const struct planned *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	char run[32];

	for (size_t i = 0; i < n; i++) {
		const char *parts[] = { scenario_name(p[i].v.scenario), p[i].v.name, run };
		snprintf(run, sizeof(run), "%u", p[i].run);
		for (size_t k = 0; k < 3; k++)
			for (const char *c = parts[k];; c++) {
				h = (h ^ (unsigned char)*c) * 0x100000001b3ULL;
				if (!*c)
					break;
			}
	}
	return h;
}

int write_suite_info(const char *path, uint64_t suite, size_t runs, long shard_k, long shard_n)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f, "deadpeer %s\nsuite %016" PRIx64 "\nruns %zu\nshard %ld/%ld\n", DEADPEER_VERSION, suite, runs, shard_k,
		shard_n);
	return fclose(f) == 0 ? 0 : -1;
}
