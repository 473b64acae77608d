// SPDX-License-Identifier: MIT
/*
 * deadpeer merge -o DIR RESULTS...: join the results directories of shards
 * (deadpeer run --shard K/N, run anywhere) into one: results.csv, runs/,
 * pcap/, suite.txt, summary.txt, rates.csv and report.html.
 *
 * Everything is checked before anything is written: each input is a results
 * directory of deadpeer run (suite.txt, results.csv with this deadpeer's
 * columns); all come from the same deadpeer version and the same suite (its
 * fingerprint: the run list before sharding) cut into the same N; no two
 * are the same shard, and no run, record or capture is in two of them.
 * Missing shards are allowed and said.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "html.h"
#include "names.h"
#include "rates.h"
#include "report.h"

#define MAX_INPUTS 4096

const struct option merge_options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ NULL, 0, NULL, 0 },
};

void merge_usage(FILE *f)
{
	fputs("usage: deadpeer merge -o DIR RESULTS...\n\n"
	      "Join the results directories of the shards of one suite (deadpeer run --shard K/N, run on\n"
	      "any machines) into DIR: results.csv, runs/, pcap/, summary.txt, rates.csv and report.html.\n"
	      "Refused, naming the directories, when they come from different deadpeer versions or\n"
	      "suites, or overlap (the same shard, or the same run twice). DIR must not exist or be empty.\n"
	      "  -o, --output DIR   where the merged results go (required)\n"
	      "No root needed. Exit 0, or 2: bad usage or shards that cannot be merged (nothing is written).\n",
	      f);
}

/* One input's suite.txt. */
struct shard {
	const char *dir;
	char version[64];
	char suite[32];
	size_t runs;
	long n;
	long k[64];			/* the shards it holds (a merged directory: several) */
	size_t n_k;
	struct results res;
};

static int bad(const char *fmt, ...) PRINTF(1, 2);
static int bad(const char *fmt, ...)
{
	va_list ap;

	fputs("deadpeer merge: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/* "shard 1/4", "shard 1+3/4". */
static int parse_shards(struct shard *s, const char *text)
{
	char *end;
	const char *p = text;

	s->n_k = 0;
	for (;;) {
		long k = strtol(p, &end, 10);
		if (end == p || k < 1 || s->n_k >= ARRAY_SIZE(s->k))
			return -1;
		s->k[s->n_k++] = k;
		if (*end == '+') {
			p = end + 1;
			continue;
		}
		if (*end != '/')
			return -1;
		s->n = strtol(end + 1, &end, 10);
		return *end || s->n < 1 ? -1 : 0;
	}
}

static int read_suite(struct shard *s)
{
	char path[4200], line[256], shards[128] = "";
	FILE *f;
	const char *kind;
	bool ok[4] = { false };

	snprintf(path, sizeof(path), "%s/suite.txt", s->dir);
	if (open_regular(path, &f, &kind) > 0 || !f)
		return bad("\"%s\" is not a results directory of deadpeer run: no readable suite.txt (%s)", s->dir,
			   f || kind ? kind : strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "deadpeer ", 9))
			ok[0] = snprintf(s->version, sizeof(s->version), "%s", line + 9) > 0;
		else if (!strncmp(line, "suite ", 6))
			ok[1] = snprintf(s->suite, sizeof(s->suite), "%s", line + 6) > 0;
		else if (!strncmp(line, "runs ", 5))
			ok[2] = sscanf(line + 5, "%zu", &s->runs) == 1;
		else if (!strncmp(line, "shard ", 6))
			ok[3] = snprintf(shards, sizeof(shards), "%s", line + 6) > 0 && parse_shards(s, shards) == 0;
	}
	fclose(f);
	if (!ok[0] || !ok[1] || !ok[2] || !ok[3])
		return bad("%s: not a suite.txt of deadpeer run (it needs deadpeer, suite, runs and shard lines)", path);
	return 0;
}

/* results.csv has exactly this deadpeer's columns. */
static int same_columns(const struct shard *s)
{
	char path[4200], *have = NULL, *want = NULL;
	size_t hl = 0, wl = 0;
	FILE *f, *w = open_memstream(&want, &wl);
	const char *kind;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/results.csv", s->dir);
	if (!w || csv_header(w) < 0 || fclose(w) != 0)
		return bad("out of memory");
	if (open_regular(path, &f, &kind) > 0 || !f) {
		free(want);
		return bad("cannot read \"%s\": %s", path, f || kind ? kind : strerror(errno));
	}
	if (getline(&have, &hl, f) < 0 || strcmp(have, want))
		ret = bad("%s: its columns are not this deadpeer's (%s): it comes from another deadpeer version", path,
			  DEADPEER_VERSION);
	fclose(f);
	free(have);
	free(want);
	return ret;
}

/* Copy every file of @in/@sub into @out/@sub; a file already there is an overlap. */
static int copy_dir(const char *in, const char *out, const char *sub)
{
	char from[4300], to[4300];
	DIR *d;
	struct dirent *e;
	int ret = 0;

	snprintf(from, sizeof(from), "%s/%s", in, sub);
	if (!(d = opendir(from)))
		return errno == ENOENT ? 0 : bad("cannot read \"%s\": %s", from, strerror(errno));
	snprintf(to, sizeof(to), "%s/%s", out, sub);
	if (mkdir(to, 0755) < 0 && errno != EEXIST) {
		closedir(d);
		return bad("cannot create \"%s\": %s", to, strerror(errno));
	}
	while (!ret && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(from, sizeof(from), "%s/%s/%s", in, sub, e->d_name);
		snprintf(to, sizeof(to), "%s/%s/%s", out, sub, e->d_name);
		int src = open(from, O_RDONLY | O_CLOEXEC), dst = -1;
		if (src < 0 || (dst = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0) {
			ret = bad(errno == EEXIST ? "%s is in two of the directories: they overlap" : "cannot copy %s: %s",
				  from, strerror(errno));
		} else {
			char buf[65536];
			ssize_t n;
			while ((n = read(src, buf, sizeof(buf))) > 0)
				if (write(dst, buf, (size_t)n) != n) {
					n = -1;
					break;
				}
			if (n < 0)
				ret = bad("cannot copy %s: %s", from, strerror(errno));
		}
		if (src >= 0)
			close(src);
		if (dst >= 0 && close(dst) < 0 && !ret)
			ret = bad("cannot write %s: %s", to, strerror(errno));
	}
	closedir(d);
	return ret;
}

/* results.csv: the header once, then each input's rows as they are. */
static int write_csv(const char *out, struct shard *in, size_t n)
{
	char path[4200];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), "%s/results.csv", out);
	if (!(f = fopen(path, "w")))
		return bad("cannot write \"%s\": %s", path, strerror(errno));
	ret = csv_header(f);
	for (size_t i = 0; i < n && !ret; i++) {
		char src[4200], *line = NULL, buf[65536];
		size_t cap = 0, got;
		snprintf(src, sizeof(src), "%s/results.csv", in[i].dir);
		FILE *r = fopen(src, "r");
		if (!r || getline(&line, &cap, r) < 0) {
			ret = -EIO;
		} else {
			while ((got = fread(buf, 1, sizeof(buf), r)) > 0)
				if (fwrite(buf, 1, got, f) != got)
					ret = -EIO;
		}
		free(line);
		if (r)
			fclose(r);
	}
	if (!ret)
		ret = file_flush_checked(f);
	if (fclose(f) != 0 && !ret)
		ret = -errno;
	return ret ? bad("cannot write \"%s\": %s", path, strerror(-ret)) : 0;
}

static const char *col(const struct html_run *r, int s, enum csv_column c)
{
	return r->side[s] ? r->side[s][c] : "";
}

static char **any(const struct html_run *r)
{
	return r->side[HOST_CLIENT] ? r->side[HOST_CLIENT] : r->side[HOST_SERVER];
}

static bool failed(const struct html_run *r)
{
	return *any(r)[COL_ERROR] || !strcmp(col(r, HOST_CLIENT, COL_VERDICT), "fail") ||
	       !strcmp(col(r, HOST_SERVER, COL_VERDICT), "fail");
}

/* A side as the summary writes it: "timeout/keepalive 4.088s", "none". */
static void side_text(char *buf, size_t len, const struct html_run *r, int s)
{
	const char *o = col(r, s, COL_OUTCOME), *m = col(r, s, COL_MECHANISM), *d = col(r, s, COL_DETECT_MS);
	bool mech = *m && strcmp(m, "-");

	if (*d)
		snprintf(buf, len, "%s%s%s %.3fs", *o ? o : "-", mech ? "/" : "", mech ? m : "", strtod(d, NULL) / 1000);
	else
		snprintf(buf, len, "%s%s%s", *o ? o : "-", mech ? "/" : "", mech ? m : "");
}

/* The samples of side @s over runs [@a, @b) of @res, for the rates. */
static void samples(const struct results *res, size_t a, size_t b, int s, struct rate_sample *out)
{
	for (size_t i = a; i < b; i++) {
		const struct html_run *r = &res->runs[i];
		int o = name_find(outcome_words, OUTCOME_COUNT, col(r, s, COL_OUTCOME));
		int m = name_find(mechanism_words, MECH_COUNT, col(r, s, COL_MECHANISM));
		const char *d = col(r, s, COL_DETECT_MS);
		out[i - a] = (struct rate_sample){ .outcome = *any(r)[COL_ERROR] || o < 0 ? -1 : o,
						   .mechanism = m < 0 ? MECH_NONE : m, .detected = *d != '\0',
						   .detect_ms = *d ? (int64_t)strtod(d, NULL) : 0 };
	}
}

static bool same_variant(const struct html_run *a, const struct html_run *b)
{
	return !strcmp(any(a)[COL_SCENARIO], any(b)[COL_SCENARIO]) && !strcmp(any(a)[COL_VARIANT], any(b)[COL_VARIANT]);
}

/* summary.txt and rates.csv of the merged results. */
static int write_summary(const char *out, const struct results *res, const char *banner, const struct shard *in,
			 size_t n_in)
{
	char path[4200], name[700], c[96], s[96];
	size_t nfailed = 0;
	FILE *f, *r;

	snprintf(path, sizeof(path), "%s/summary.txt", out);
	if (!(f = fopen(path, "w")))
		return bad("cannot write \"%s\": %s", path, strerror(errno));
	fprintf(f, "%s\nmerged from:", banner);
	for (size_t i = 0; i < n_in; i++)
		fprintf(f, " %s", in[i].dir);
	fprintf(f, "\n\n%-56s %-31s %-31s %s\n", "scenario", "client", "server", "verdict");
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < res->n_runs; i++) {
			const struct html_run *run = &res->runs[i];
			if (failed(run) != (pass == 0))
				continue;
			char **row = any(run);
			snprintf(name, sizeof(name), "%s%s%s%s #%s", row[COL_SCENARIO], *row[COL_VARIANT] ? "[" : "",
				 row[COL_VARIANT], *row[COL_VARIANT] ? "]" : "", row[COL_RUN]);
			if (*row[COL_ERROR]) {
				fprintf(f, "%-56s ERROR: %s\n", name, row[COL_ERROR]);
				continue;
			}
			side_text(c, sizeof(c), run, HOST_CLIENT);
			side_text(s, sizeof(s), run, HOST_SERVER);
			fprintf(f, "%-56s %-31s %-31s %s\n", name, c, s, pass ? "pass" : "FAIL");
		}
	snprintf(path, sizeof(path), "%s/rates.csv", out);
	if (!(r = fopen(path, "w")) || rates_csv_header(r) < 0) {
		fclose(f);
		if (r)
			fclose(r);
		return bad("cannot write \"%s\": %s", path, strerror(errno));
	}
	fprintf(f, "\n%-56s %s\n", "scenario", "rate of each outcome over the repeated runs");
	struct rate_sample *smp = xcalloc(res->n_runs + 1, sizeof(*smp));
	struct rate *rt = xcalloc(res->n_runs + 1, sizeof(*rt));
	for (size_t a = 0, b; a < res->n_runs; a = b) {
		for (b = a + 1; b < res->n_runs && same_variant(&res->runs[a], &res->runs[b]); b++)
			;
		char **row = any(&res->runs[a]);
		snprintf(name, sizeof(name), "%s%s%s%s", row[COL_SCENARIO], *row[COL_VARIANT] ? "[" : "",
			 row[COL_VARIANT], *row[COL_VARIANT] ? "]" : "");
		for (int sd = 0; sd < SIDE_COUNT; sd++) {
			char text[512], rate[32], median[32];
			samples(res, a, b, sd, smp);
			size_t k = rates_count(smp, b - a, rt);
			if (b - a > 1) {
				rates_format(text, sizeof(text), rt, k, b - a);
				fprintf(f, "%-56s %s: %s\n", sd ? "" : name, host_name(sd), text);
			}
			for (size_t i = 0; i < k; i++) {
				const char *fields[] = { row[COL_SCENARIO], row[COL_VARIANT], host_name(sd),
							 rt[i].outcome < 0 ? "" : outcome_name(rt[i].outcome),
							 rt[i].outcome < 0 ? "" : mechanism_name(rt[i].mechanism) };
				for (size_t fi = 0; fi < ARRAY_SIZE(fields); fi++) {
					csv_field(r, fields[fi]);
					fputc(',', r);
				}
				snprintf(rate, sizeof(rate), "%.3f", (double)rt[i].runs / (double)(b - a));
				snprintf(median, sizeof(median), "%" PRId64, rt[i].median_ms);
				fprintf(r, "%zu,%zu,%s,%s\r\n", rt[i].runs, b - a, rate, rt[i].has_median ? median : "");
			}
		}
	}
	free(smp);
	free(rt);
	for (size_t i = 0; i < res->n_runs; i++)
		nfailed += failed(&res->runs[i]);
	fprintf(f, "\n%zu runs, %zu passed, %zu failed\n", res->n_runs, res->n_runs - nfailed, nfailed);
	int ret = file_flush_checked(f) < 0 || file_flush_checked(r) < 0;
	ret |= fclose(f) != 0;
	ret |= fclose(r) != 0;
	return ret ? bad("cannot write the summary in \"%s\"", out) : 0;
}

/* Output directory: absent (created) or empty. */
static int fresh_output(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d) {
		if (errno != ENOENT)
			return bad("cannot use \"%s\": %s", dir, strerror(errno));
		return 0;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			closedir(d);
			return bad("\"%s\" is not empty: merge writes into a new directory", dir);
		}
	closedir(d);
	return 0;
}

/* Undo a merge that failed half-way: the directory was created empty by it. */
static void remove_output(const char *out)
{
	static const char *const subs[] = { "runs", "pcap", "" };
	char path[4300];

	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		snprintf(path, sizeof(path), "%s/%s", out, subs[i]);
		DIR *d = opendir(path);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			char f[4600];
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(f, sizeof(f), "%s/%s", path, e->d_name);
			unlink(f);
		}
		if (d)
			closedir(d);
		rmdir(path);
	}
}

/* Everything the inputs must agree on; -1 after saying which disagree. */
static int check_inputs(struct shard *in, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char csv[4200];
		if (read_suite(&in[i]) < 0 || same_columns(&in[i]) < 0)
			return -1;
		if (strcmp(in[i].version, DEADPEER_VERSION))
			return bad("%s was measured by deadpeer %s, this is deadpeer %s: merge the shards of one version",
				   in[i].dir, in[i].version, DEADPEER_VERSION);
		snprintf(csv, sizeof(csv), "%s/results.csv", in[i].dir);
		if (results_load(&in[i].res, csv, stderr) < 0)
			return -1;
	}
	for (size_t i = 1; i < n; i++) {
		if (strcmp(in[i].suite, in[0].suite) || in[i].runs != in[0].runs)
			return bad("%s and %s are shards of different suites (suite %s of %zu runs, suite %s of %zu runs): "
				   "give both the same scenario files, --filter and --repeat",
				   in[0].dir, in[i].dir, in[0].suite, in[0].runs, in[i].suite, in[i].runs);
		if (in[i].n != in[0].n)
			return bad("%s and %s cut the suite differently (into %ld and %ld shards)", in[0].dir, in[i].dir,
				   in[0].n, in[i].n);
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			for (size_t a = 0; a < in[i].n_k; a++)
				for (size_t b = 0; b < in[j].n_k; b++)
					if (in[i].k[a] == in[j].k[b])
						return bad("%s and %s overlap: both hold shard %ld/%ld", in[i].dir, in[j].dir,
							   in[i].k[a], in[i].n);
	/* The same run twice (a shard run again into another directory, a directory given twice). */
	for (size_t i = 0; i < n; i++)
		for (size_t j = i; j < n; j++)
			for (size_t a = 0; a < in[i].res.n_runs; a++)
				for (size_t b = i == j ? a + 1 : 0; b < in[j].res.n_runs; b++) {
					char **x = any(&in[i].res.runs[a]), **y = any(&in[j].res.runs[b]);
					if (!strcmp(x[COL_RUN], y[COL_RUN]) && same_variant(&in[i].res.runs[a], &in[j].res.runs[b]))
						return bad("%s and %s overlap: both hold %s%s%s%s #%s", in[i].dir, in[j].dir,
							   x[COL_SCENARIO], *x[COL_VARIANT] ? "[" : "", x[COL_VARIANT],
							   *x[COL_VARIANT] ? "]" : "", x[COL_RUN]);
				}
	return 0;
}

enum status cmd_merge(int argc, char **argv)
{
	const char *out = NULL;
	char banner[4096], path[4200];
	struct shard *in;
	size_t n, len;
	int c;
	bool created = false;
	enum status code = STATUS_USAGE;

	len = (size_t)snprintf(banner, sizeof(banner), "deadpeer %s: deadpeer", DEADPEER_VERSION);
	for (int i = 0; i < argc && len < sizeof(banner); i++)
		len += (size_t)snprintf(banner + len, sizeof(banner) - len, " %s", argv[i]);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:", merge_options, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case ':': bad("%s needs a directory", argv[optind - 1]); return STATUS_USAGE;
		default: bad("unknown option '%s'\nTry 'deadpeer merge --help'.", argv[optind - 1]); return STATUS_USAGE;
		}
	}
	n = (size_t)(argc - optind);
	if (!out || !n || n > MAX_INPUTS) {
		bad("%s\nusage: deadpeer merge -o DIR RESULTS...", !out ? "-o DIR is required" : n ? "too many directories"
											       : "no results directories given");
		return STATUS_USAGE;
	}
	in = xcalloc(n, sizeof(*in));
	for (size_t i = 0; i < n; i++)
		in[i].dir = argv[optind + (int)i];
	if (check_inputs(in, n) < 0 || fresh_output(out) < 0)
		goto done;
	if (mkdir(out, 0755) < 0 && errno != EEXIST) {
		bad("cannot create \"%s\": %s", out, strerror(errno));
		goto done;
	}
	created = true;
	for (size_t i = 0; i < n; i++)
		if (copy_dir(in[i].dir, out, "runs") < 0 || copy_dir(in[i].dir, out, "pcap") < 0)
			goto done;
	if (write_csv(out, in, n) < 0)
		goto done;
	/* suite.txt: the same suite, the shards it now holds. */
	FILE *f;
	snprintf(path, sizeof(path), "%s/suite.txt", out);
	if (!(f = fopen(path, "w"))) {
		bad("cannot write \"%s\": %s", path, strerror(errno));
		goto done;
	}
	fprintf(f, "deadpeer %s\nsuite %s\nruns %zu\nshard ", DEADPEER_VERSION, in[0].suite, in[0].runs);
	size_t held = 0;
	for (long k = 1; k <= in[0].n; k++)
		for (size_t i = 0; i < n; i++)
			for (size_t a = 0; a < in[i].n_k; a++)
				if (in[i].k[a] == k)
					fprintf(f, "%s%ld", held++ ? "+" : "", k);
	fprintf(f, "/%ld\n", in[0].n);
	if (fclose(f) != 0) {
		bad("cannot write \"%s\": %s", path, strerror(errno));
		goto done;
	}
	struct results merged;
	snprintf(path, sizeof(path), "%s/results.csv", out);
	if (results_load(&merged, path, stderr) < 0 || write_summary(out, &merged, banner, in, n) < 0) {
		results_free(&merged);
		goto done;
	}
	long shown = report_html_write(out, stderr);
	if (shown < 0) {
		results_free(&merged);
		goto done;
	}
	printf("%s: %zu runs from %zu director%s (shards", out, merged.n_runs, n, n == 1 ? "y" : "ies");
	held = 0;
	for (long k = 1; k <= in[0].n; k++)
		for (size_t i = 0; i < n; i++)
			for (size_t a = 0; a < in[i].n_k; a++)
				if (in[i].k[a] == k)
					printf("%s%ld", held++ ? "+" : " ", k);
	printf(" of %ld); report: %s/report.html\n", in[0].n, out);
	if (held < (size_t)in[0].n)
		fprintf(stderr, "deadpeer merge: %zu of %ld shards given: %zu of the suite's %zu runs are missing\n", held,
			in[0].n, in[0].runs > merged.n_runs ? in[0].runs - merged.n_runs : 0, in[0].runs);
	results_free(&merged);
	code = STATUS_PASS;
done:
	if (code != STATUS_PASS && created)
		remove_output(out);
	for (size_t i = 0; i < n; i++)
		results_free(&in[i].res);
	free(in);
	return code;
}
