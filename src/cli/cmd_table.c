// SPDX-License-Identifier: MIT
/*
 * deadpeer table: the README's "What the kernel actually does" tables,
 * regenerated from a results.csv so they never drift from what was measured.
 *
 * Runs are grouped by scenario and variant; repeats are summarised as the
 * median and range of the detection times. Scenarios whose description
 * starts with "Claim N" are listed by claim; those starting with "Compare"
 * (sweeps over fault.action) form a matrix of mechanism against fault; the
 * others follow the claims.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "fault.h"
#include "names.h"
#include "rates.h"
#include "report.h"

/* The columns this reads, found by their names; a results.csv without one of them is refused. */
static const enum csv_column read_columns[] = {
	COL_SCENARIO, COL_VARIANT, COL_SIDE, COL_ACTION, COL_TARGET, COL_KEEPALIVE, COL_KEEPIDLE_MS,
	COL_KEEPINTVL_MS, COL_KEEPCNT, COL_USER_TIMEOUT_MS, COL_TRAFFIC, COL_FAULT_AT_MS, COL_OUTCOME,
	COL_MECHANISM, COL_DETECT_MS, COL_PREDICTED_MS, COL_PREDICTED, COL_PROBES, COL_PROBE_REPLIES,
	COL_VERDICT, COL_DESCRIPTION, COL_ERROR, COL_PROBABILITY,
};

/* Columns newer than some results.csv files: read as empty where absent. */
static bool optional_column(enum csv_column c)
{
	return c == COL_PROBABILITY;
}

/* Every row of one side of one variant. */
struct side_rows {
	char ***rows;		/* each a row of struct table (borrowed) */
	size_t n;
};

struct group {
	char *scenario, *variant;	/* borrowed */
	struct side_rows side[2];	/* client, server */
};

struct table {
	char ***rows;		/* indexed by enum csv_column, NULL where not used; owned */
	size_t n_rows;
	struct group *groups;
	size_t n_groups;
};

/* The words read back into enums are this deadpeer's; false after saying which one is not. */
static bool row_words_known(char **row, const char *path, size_t line)
{
	if (name_find(host_words, SIDE_COUNT, row[COL_SIDE]) < 0) {
		fprintf(stderr, "%s:%zu: side '%s' is neither client nor server\n", path, line, row[COL_SIDE]);
		return false;
	}
	if (*row[COL_OUTCOME] && name_find(outcome_words, OUTCOME_COUNT, row[COL_OUTCOME]) < 0) {
		fprintf(stderr, "%s:%zu: unknown outcome '%s': not a results.csv of this deadpeer\n", path, line,
			row[COL_OUTCOME]);
		return false;
	}
	if (*row[COL_MECHANISM] && name_find(mechanism_words, MECH_COUNT, row[COL_MECHANISM]) < 0) {
		fprintf(stderr, "%s:%zu: unknown mechanism '%s': not a results.csv of this deadpeer\n", path, line,
			row[COL_MECHANISM]);
		return false;
	}
	return true;
}

static struct group *group_for(struct table *t, char *scenario, char *variant)
{
	for (size_t i = 0; i < t->n_groups; i++)
		if (strcmp(t->groups[i].scenario, scenario) == 0 && strcmp(t->groups[i].variant, variant) == 0)
			return &t->groups[i];
	t->groups = xreallocarray(t->groups, t->n_groups + 1, sizeof(*t->groups));
	t->groups[t->n_groups] = (struct group){ .scenario = scenario, .variant = variant };
	return &t->groups[t->n_groups++];
}

static int load(struct table *t, const char *path)
{
	FILE *f;
	const char *kind;
	char **fields;
	size_t n, line = 1;
	int index[COL_COUNT], ret;

	ret = open_regular(path, &f, &kind);
	if (ret > 0) {
		fprintf(stderr, "%s: not a regular file (%s); deadpeer table reads only regular files\n", path, kind);
		return -1;
	}
	if (ret < 0) {
		fprintf(stderr, "deadpeer table: cannot open \"%s\": %s\n", path, strerror(-ret));
		return -1;
	}
	if (csv_read_row(f, &fields, &n) != 1) {
		fprintf(stderr, "%s:1: empty file, not a deadpeer results.csv\n", path);
		fclose(f);
		return -1;
	}
	for (size_t u = 0; u < ARRAY_SIZE(read_columns); u++) {
		enum csv_column c = read_columns[u];
		index[c] = -1;
		for (size_t i = 0; i < n; i++)
			if (strcmp(fields[i], csv_column_name(c)) == 0)
				index[c] = (int)i;
		if (index[c] < 0 && !optional_column(c)) {
			fprintf(stderr, "%s:1: no column '%s': not a results.csv of this deadpeer\n", path,
				csv_column_name(c));
			csv_fields_free(fields, n);
			fclose(f);
			return -1;
		}
	}
	csv_fields_free(fields, n);
	while ((ret = csv_read_row(f, &fields, &n)) == 1) {
		line++;
		if (n == 1 && !*fields[0]) {	/* a blank line */
			csv_fields_free(fields, n);
			continue;
		}
		char **row = xcalloc(COL_COUNT, sizeof(*row));
		for (size_t u = 0; u < ARRAY_SIZE(read_columns); u++) {
			int i = index[read_columns[u]];
			row[read_columns[u]] = xstrdup(i >= 0 && (size_t)i < n ? fields[i] : "");
		}
		csv_fields_free(fields, n);
		if (!row_words_known(row, path, line)) {
			csv_fields_free(row, COL_COUNT);
			fclose(f);
			return -1;
		}
		t->rows = xreallocarray(t->rows, t->n_rows + 1, sizeof(*t->rows));
		t->rows[t->n_rows++] = row;
		struct group *g = group_for(t, row[COL_SCENARIO], row[COL_VARIANT]);
		struct side_rows *sr = &g->side[name_find(host_words, SIDE_COUNT, row[COL_SIDE])];
		sr->rows = xreallocarray(sr->rows, sr->n + 1, sizeof(*sr->rows));
		sr->rows[sr->n++] = row;
	}
	fclose(f);
	if (ret < 0) {
		fprintf(stderr, "%s:%zu: unterminated quoted field\n", path, line + 1);
		return -1;
	}
	return 0;
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->n_rows; i++)
		csv_fields_free(t->rows[i], COL_COUNT);
	for (size_t i = 0; i < t->n_groups; i++)
		for (int s = 0; s < 2; s++)
			free(t->groups[i].side[s].rows);
	free(t->rows);
	free(t->groups);
}

/* "4.088 s"; from an hour on also "(2 h 11 min 14 s)". */
static void seconds(char *buf, size_t len, int64_t ms)
{
	int64_t a = ms < 0 ? -ms : ms;
	char t[32], hms[64] = "";

	if (a >= 3600000)
		snprintf(hms, sizeof(hms), " (%" PRId64 " h %" PRId64 " min %" PRId64 " s)", (a + 500) / 3600000,
			 (a + 500) / 60000 % 60, (a + 500) / 1000 % 60);
	format_thousandths(t, sizeof(t), ms);
	snprintf(buf, len, "%s s%s", t, hms);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* "timeout/keepalive" (checked words: see row_words_known); "run failed" without an outcome. */
static void what(char *buf, size_t len, char **row)
{
	int o = name_find(outcome_words, OUTCOME_COUNT, row[COL_OUTCOME]);
	int m = name_find(mechanism_words, MECH_COUNT, row[COL_MECHANISM]);

	if (o < 0)
		snprintf(buf, len, "run failed");
	else
		format_outcome(buf, len, o, m < 0 ? MECH_NONE : m);
}

/* A row as the rates count it (its words are checked: see row_words_known). */
static struct rate_sample row_sample(char **row)
{
	int m = name_find(mechanism_words, MECH_COUNT, row[COL_MECHANISM]);

	return (struct rate_sample){
		.outcome = name_find(outcome_words, OUTCOME_COUNT, row[COL_OUTCOME]),
		.mechanism = m < 0 ? MECH_NONE : m,
		.detected = *row[COL_DETECT_MS] != '\0',
		.detect_ms = strtoll(row[COL_DETECT_MS], NULL, 10),
	};
}

/*
 * What a side saw over its runs: "timeout/keepalive 4.088 s", with repeats
 * "timeout/keepalive 4.05 s median (4.03 s..4.10 s, 5 runs)"; when runs
 * disagree, the rate of each outcome, most frequent first ("timeout/keepalive
 * 12 of 50 (24 %, median 3.050 s), none 38 of 50 (76 %)"). @probes adds the
 * wire's probe counts.
 */
static void saw(char *buf, size_t len, const struct side_rows *sr, bool probes)
{
	char first[64], other[64], t[128], lo[128], hi[128];
	bool same = true;
	size_t n = 0, k;
	int64_t *times = xcalloc(sr->n + 1, sizeof(*times));

	what(first, sizeof(first), sr->rows[0]);
	for (size_t i = 0; i < sr->n; i++) {
		what(other, sizeof(other), sr->rows[i]);
		same = same && strcmp(first, other) == 0;
		if (*sr->rows[i][COL_DETECT_MS])
			times[n++] = strtoll(sr->rows[i][COL_DETECT_MS], NULL, 10);
	}
	if (!same) {
		struct rate_sample *samples = xcalloc(sr->n, sizeof(*samples));
		struct rate *rates = xcalloc(sr->n, sizeof(*rates));
		for (size_t i = 0; i < sr->n; i++)
			samples[i] = row_sample(sr->rows[i]);
		rates_format(buf, len, rates, rates_count(samples, sr->n, rates), sr->n);
		free(rates);
		free(samples);
		free(times);
		return;
	}
	k = (size_t)snprintf(buf, len, "%s", first);
	qsort(times, n, sizeof(*times), cmp_i64);
	if (n == 1) {
		seconds(t, sizeof(t), times[0]);
		k += (size_t)snprintf(buf + k, k < len ? len - k : 0, " %s", t);
	} else if (n > 1) {
		seconds(t, sizeof(t), times[n / 2]);
		seconds(lo, sizeof(lo), times[0]);
		seconds(hi, sizeof(hi), times[n - 1]);
		k += (size_t)snprintf(buf + k, k < len ? len - k : 0, " %s median (%s..%s, %zu runs)", t, lo, hi, n);
	}
	if (probes && *sr->rows[0][COL_PROBES] && strcmp(sr->rows[0][COL_PROBES], "0") != 0) {
		const char *p = sr->rows[0][COL_PROBES], *r = sr->rows[0][COL_PROBE_REPLIES];
		bool all = *r && strcmp(p, r) == 0;
		k += (size_t)snprintf(buf + k, k < len ? len - k : 0, "; %s probe%s, %s", p, strcmp(p, "1") ? "s" : "",
				      all ? "all answered" : !*r || strcmp(r, "0") == 0 ? "none answered" : "some answered");
		if (sr->n > 1)
			snprintf(buf + k, k < len ? len - k : 0, " (run 1)");
	}
	free(times);
}

/* "timeout/keepalive 4.000 s", "none", or "" when the rules say nothing. */
static void predicted(char *buf, size_t len, char **row)
{
	char t[128];

	if (!*row[COL_PREDICTED]) {
		snprintf(buf, len, "-");
		return;
	}
	if (*row[COL_PREDICTED_MS]) {
		seconds(t, sizeof(t), strtoll(row[COL_PREDICTED_MS], NULL, 10));
		snprintf(buf, len, "%s %s", row[COL_PREDICTED], t);
	} else {
		snprintf(buf, len, "%s", row[COL_PREDICTED]);
	}
}

/* A duration in ms as the scenario files write it: "2s", "250ms". */
static void dur(char *buf, size_t len, const char *ms)
{
	long long v = strtoll(ms, NULL, 10);

	if (v % 1000 == 0)
		snprintf(buf, len, "%llds", v / 1000);
	else
		snprintf(buf, len, "%lldms", v);
}

/* "stream, keepalive 2s/1s/3, user timeout 3s"; "" for an idle side without timers. */
static void side_setting(char *buf, size_t len, char **row)
{
	char a[32], b[32];
	size_t k = 0;

	buf[0] = '\0';
	if (strcmp(row[COL_TRAFFIC], traffic_name(TRAFFIC_IDLE)) != 0)
		k += (size_t)snprintf(buf + k, len - k, "%s", row[COL_TRAFFIC]);
	if (strcmp(row[COL_KEEPALIVE], "yes") == 0) {
		dur(a, sizeof(a), row[COL_KEEPIDLE_MS]);
		dur(b, sizeof(b), row[COL_KEEPINTVL_MS]);
		k += (size_t)snprintf(buf + k, len - k, "%skeepalive %s/%s/%s", k ? ", " : "", a, b, row[COL_KEEPCNT]);
	}
	if (*row[COL_USER_TIMEOUT_MS] && strcmp(row[COL_USER_TIMEOUT_MS], "0") != 0) {
		dur(a, sizeof(a), row[COL_USER_TIMEOUT_MS]);
		snprintf(buf + k, len - k, "%suser timeout %s", k ? ", " : "", a);
	}
}

static void setting(char *buf, size_t len, const struct group *g)
{
	char c[128], s[128];

	side_setting(c, sizeof(c), g->side[0].rows[0]);
	side_setting(s, sizeof(s), g->side[1].rows[0]);
	if (!*c && !*s)
		snprintf(buf, len, "idle, no keepalive");
	else if (!*s)
		snprintf(buf, len, "client %s", c);
	else if (!*c)
		snprintf(buf, len, "server %s", s);
	else
		snprintf(buf, len, "client %s; server %s", c, s);
}

/*
 * "drop server at 1s"; several faults: "drop server, kill server at 500ms";
 * a loss with its share: "loss 30% router at 500ms".
 */
static void fault(char *buf, size_t len, char **row)
{
	char at[32], *sp = NULL;
	size_t k = 0;

	if (!*row[COL_ACTION]) {
		snprintf(buf, len, "none");
		return;
	}
	char *actions = xstrdup(row[COL_ACTION]), *targets = xstrdup(row[COL_TARGET]);
	char *shares = xstrdup(row[COL_PROBABILITY]), *share = strtok_r(shares, "+", &sp);
	char *sa = NULL, *st = NULL;
	buf[0] = '\0';
	for (char *a = strtok_r(actions, "+", &sa), *t = strtok_r(targets, "+", &st); a;
	     a = strtok_r(NULL, "+", &sa), t = t ? strtok_r(NULL, "+", &st) : NULL) {
		const struct fault_kind *kind = fault_kind_find(a);
		k += (size_t)snprintf(buf + k, k < len ? len - k : 0, "%s%s", k ? ", " : "", a);
		/* The shares are those of the kinds that take one, in order. */
		if (kind && (kind->takes & FAULT_TAKES_PROBABILITY) && share) {
			k += (size_t)snprintf(buf + k, k < len ? len - k : 0, " %s%%", share);
			share = strtok_r(NULL, "+", &sp);
		}
		k += (size_t)snprintf(buf + k, k < len ? len - k : 0, " %s", t ? t : "?");
	}
	dur(at, sizeof(at), row[COL_FAULT_AT_MS]);
	if (k < len)
		snprintf(buf + k, len - k, " at %s", at);
	free(actions);
	free(targets);
	free(shares);
}

/* "Claim 8: ..." -> 8; 0 otherwise. */
static int claim_of(const char *description)
{
	return strncmp(description, "Claim ", 6) == 0 ? atoi(description + 6) : 0;
}

static bool is_compare(const struct group *g)
{
	return strncmp(g->side[0].rows[0][COL_DESCRIPTION], "Compare", 7) == 0 &&
	       strncmp(g->variant, "fault.action=", 13) == 0 && !strchr(g->variant, ',');
}

static int by_claim(const void *a, const void *b)
{
	const struct group *x = *(const struct group *const *)a, *y = *(const struct group *const *)b;
	int cx = claim_of(x->side[0].rows[0][COL_DESCRIPTION]), cy = claim_of(y->side[0].rows[0][COL_DESCRIPTION]);
	int r;

	/* Claims in order, then the scenarios that illustrate no claim. */
	if (!cx != !cy)
		return !cx - !cy;
	if (cx != cy)
		return cx - cy;
	if ((r = strcmp(x->scenario, y->scenario)))
		return r;
	return strcmp(x->variant, y->variant);
}

static void print_claims(struct table *t)
{
	struct group **list = xcalloc(t->n_groups + 1, sizeof(*list));
	size_t n = 0;
	char set[300], flt[128], cs[400], cp[200], ss[400], sp[200];

	for (size_t i = 0; i < t->n_groups; i++)
		if (t->groups[i].side[0].n && t->groups[i].side[1].n && !is_compare(&t->groups[i]))
			list[n++] = &t->groups[i];
	qsort(list, n, sizeof(*list), by_claim);
	printf("| claim | scenario | setting | fault | client saw | client predicted | server saw | server predicted |\n");
	printf("|---|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < n; i++) {
		const struct group *g = list[i];
		int claim = claim_of(g->side[0].rows[0][COL_DESCRIPTION]);
		char name[256];
		snprintf(name, sizeof(name), "%s%s%s%s", g->scenario, *g->variant ? "[" : "", g->variant,
			 *g->variant ? "]" : "");
		setting(set, sizeof(set), g);
		fault(flt, sizeof(flt), g->side[0].rows[0]);
		saw(cs, sizeof(cs), &g->side[0], true);
		saw(ss, sizeof(ss), &g->side[1], true);
		predicted(cp, sizeof(cp), g->side[0].rows[0]);
		predicted(sp, sizeof(sp), g->side[1].rows[0]);
		if (claim)
			printf("| %d ", claim);
		else
			printf("| - ");
		printf("| %s | %s | %s | %s | %s | %s | %s |\n", name, set, flt, cs, cp, ss, sp);
	}
	free(list);
}

static int traffic_rank(const char *traffic)
{
	static const int rank[TRAFFIC_COUNT] = {
		[TRAFFIC_IDLE] = 0, [TRAFFIC_REQUEST] = 1, [TRAFFIC_STREAM] = 2, [TRAFFIC_HEARTBEAT] = 3,
	};
	int t = name_find(traffic_words, TRAFFIC_COUNT, traffic);

	return t < 0 ? TRAFFIC_COUNT : rank[t];
}

/* No timer, keepalive, user timeout, both. */
static int timer_rank(char *const *row)
{
	return (strcmp(row[COL_KEEPALIVE], "yes") == 0) + 2 * (strtoll(row[COL_USER_TIMEOUT_MS], NULL, 10) > 0);
}

/* Matrix rows: idle before streaming before heartbeats, then without timers before with. */
static int by_mechanism(const void *a, const void *b)
{
	char *const *x = (*(const struct group *const *)a)->side[0].rows[0];
	char *const *y = (*(const struct group *const *)b)->side[0].rows[0];
	int r;

	if ((r = traffic_rank(x[COL_TRAFFIC]) - traffic_rank(y[COL_TRAFFIC])))
		return r;
	if ((r = timer_rank(x) - timer_rank(y)))
		return r;
	return strcmp(x[COL_SCENARIO], y[COL_SCENARIO]);
}

static int by_table_rank(const void *a, const void *b)
{
	const struct fault_kind *x = *(const struct fault_kind *const *)a, *y = *(const struct fault_kind *const *)b;

	if (x->table_rank != y->table_rank)
		return x->table_rank < y->table_rank ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The matrix's columns: every fault kind, by its table_rank. */
static const struct fault_kind **matrix_columns(void)
{
	const struct fault_kind **kinds = xcalloc(fault_kind_count, sizeof(*kinds));

	memcpy(kinds, fault_kinds, fault_kind_count * sizeof(*kinds));
	qsort(kinds, fault_kind_count, sizeof(*kinds), by_table_rank);
	return kinds;
}

static void print_matrix(struct table *t)
{
	const struct fault_kind **cols = matrix_columns();
	struct group **rows = xcalloc(t->n_groups + 1, sizeof(*rows));
	bool *used = xcalloc(fault_kind_count, sizeof(*used));
	size_t n = 0;
	char cell[400], set[300];

	/* One row per scenario (its first variant stands for it); the columns are the faults swept. */
	for (size_t i = 0; i < t->n_groups; i++) {
		struct group *g = &t->groups[i];
		if (!g->side[0].n || !is_compare(g))
			continue;
		for (size_t a = 0; a < fault_kind_count; a++)
			used[a] = used[a] || strcmp(g->variant + 13, cols[a]->name) == 0;
		bool seen = false;
		for (size_t j = 0; j < n; j++)
			seen = seen || strcmp(rows[j]->scenario, g->scenario) == 0;
		if (!seen)
			rows[n++] = g;
	}
	if (!n)
		goto out;
	qsort(rows, n, sizeof(*rows), by_mechanism);
	printf("\nWhich mechanism detects which fault at the server (what the client saw, from the fault):\n\n");
	printf("| scenario | client setting |");
	for (size_t a = 0; a < fault_kind_count; a++)
		if (used[a])
			printf(" %s |", cols[a]->name);
	printf("\n|---|---|");
	for (size_t a = 0; a < fault_kind_count; a++)
		if (used[a])
			printf("---|");
	printf("\n");
	for (size_t i = 0; i < n; i++) {
		side_setting(set, sizeof(set), rows[i]->side[0].rows[0]);
		printf("| %s | %s |", rows[i]->scenario, *set ? set : "idle, no keepalive");
		for (size_t a = 0; a < fault_kind_count; a++) {
			if (!used[a])
				continue;
			const struct group *g = NULL;
			for (size_t j = 0; j < t->n_groups; j++)
				if (strcmp(t->groups[j].scenario, rows[i]->scenario) == 0 &&
				    strcmp(t->groups[j].variant + 13, cols[a]->name) == 0 && t->groups[j].side[0].n)
					g = &t->groups[j];
			if (g)
				saw(cell, sizeof(cell), &g->side[0], false);
			printf(" %s |", g ? cell : "");
		}
		printf("\n");
	}
out:
	free(rows);
	free(used);
	free(cols);
}

void table_usage(FILE *f)
{
	fputs("usage: deadpeer table [RESULTS_DIR | results.csv]\n\n"
	      "Markdown tables of a run's results.csv (default: results/latest), by claim and mechanism, as\n"
	      "README.md shows them. No root needed. Exit 0, or 2: no such results or a malformed file.\n",
	      f);
}

enum status cmd_table(int argc, char **argv)
{
	const char *arg = argc > 1 ? argv[1] : "results/latest";
	char csv[4200], summary[4200], line[1100];
	struct table t = { 0 };
	struct stat st;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: deadpeer table [RESULTS_DIR | results.csv]  (default: results/latest)\n");
		return STATUS_USAGE;
	}
	if (argc < 2 && stat(arg, &st) < 0) {
		fprintf(stderr, "deadpeer table: no results/latest here: run 'deadpeer run' first, "
			"or name a results directory or results.csv\n");
		return STATUS_USAGE;
	}
	if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(csv, sizeof(csv), "%s/results.csv", arg);
		snprintf(summary, sizeof(summary), "%s/summary.txt", arg);
	} else {
		const char *slash = strrchr(arg, '/');
		snprintf(csv, sizeof(csv), "%s", arg);
		snprintf(summary, sizeof(summary), "%.*ssummary.txt", slash ? (int)(slash - arg + 1) : 0, arg);
	}
	if (load(&t, csv) < 0) {
		table_free(&t);
		return STATUS_USAGE;
	}
	/* summary.txt is optional, but never read from a FIFO or a device. */
	FILE *f;
	const char *kind;
	if (open_regular(summary, &f, &kind) > 0) {
		fprintf(stderr, "%s: not a regular file (%s); deadpeer table reads only regular files\n", summary, kind);
		table_free(&t);
		return STATUS_USAGE;
	}
	if (f) {
		if (fgets(line, sizeof(line), f) && strncmp(line, "deadpeer ", 9) == 0) {
			line[strcspn(line, "\n")] = '\0';
			printf("Measured with %s\n\n", line);
		}
		fclose(f);
	}
	print_claims(&t);
	print_matrix(&t);
	table_free(&t);
	return STATUS_PASS;
}
