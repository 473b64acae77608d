// SPDX-License-Identifier: MIT
/*
 * report.html (html.h). The page, top to bottom: the banner and counts; the
 * summary table, failures first, each row linking to its run; the sweeps
 * (detection time against the swept value, the prediction as a line and its
 * window as a band); the repeats (each side's outcome rates and spread); then
 * every run, a <details> whose timeline the script draws when it opens.
 *
 * A timeline has a lane for the client, the router and the server. Each
 * packet a side's host captured is a mark from its lane to the router's:
 * what the side sent starts at its lane (a dot), what it received ends
 * there (an arrowhead), so a packet that crossed shows as two halves meeting
 * at the router and one the router dropped as a half alone. The faults'
 * spans are bands; each side's detection is a solid line labelled with
 * outcome and mechanism, the predicted instant a dashed one with its window.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "html.h"
#include "names.h"
#include "rates.h"

/* Failed runs whose timelines are open (and drawn) when the page loads, at most. */
#define OPEN_FAILURES_MAX 20

/* ---- escaping ---- */

static void html_esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* A JSON string that is also safe inside <script>: no "</", no "<!--". */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == '<' || c == '>' || c == '&')
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* ---- a run's data for the script ---- */

/* µs from @origin, for the page; the script's unit. */
static long long rel_us(int64_t ns, int64_t origin)
{
	return (long long)((ns - origin) / 1000);
}

char *html_run_data(const struct observation *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	/* Times count from the fault, as detect_ms does; without one, from the connection. */
	int64_t origin = o->fault_ns ? o->fault_ns : o->established_ns;

	if (!f)
		return NULL;
	fprintf(f, "{\"e\":%lld,\"end\":%lld,\"f\":[", o->established_ns ? rel_us(o->established_ns, origin) : 0LL,
		o->deadline_ns ? rel_us(o->deadline_ns, origin) : 0LL);
	for (uint32_t i = 0; i < o->n_faults; i++) {
		const struct obs_fault *ft = &o->faults[i];
		fprintf(f, "%s[", i ? "," : "");
		json_str(f, ft->kind);
		fprintf(f, ",%u,%lld,", ft->target, rel_us(ft->start_ns, origin));
		if (ft->end_ns)
			fprintf(f, "%lld]", rel_us(ft->end_ns, origin));
		else
			fputs("null]", f);
	}
	fputs("],\"p\":[", f);
	for (int s = 0; s < SIDE_COUNT; s++) {
		const struct obs_side *sd = &o->side[s];
		fprintf(f, "%s[", s ? "," : "");
		for (size_t i = 0; i < sd->n_timeline; i++)
			fprintf(f, "%s%d,%lld", i ? "," : "", (int)sd->timeline[i].cls,
				rel_us(sd->timeline[i].ts_ns, origin));
		fputc(']', f);
	}
	fprintf(f, "],\"drop\":[%u,%u]}", o->side[0].timeline_dropped, o->side[1].timeline_dropped);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- what the rows say ---- */

static const char *col(const struct html_run *r, int s, enum csv_column c)
{
	return r->side[s] ? r->side[s][c] : "";
}

/* The run's first row: the columns both sides share. */
static char **any_row(const struct html_run *r)
{
	return r->side[HOST_CLIENT] ? r->side[HOST_CLIENT] : r->side[HOST_SERVER];
}

static bool run_failed(const struct html_run *r)
{
	if (*any_row(r)[COL_ERROR])
		return true;
	for (int s = 0; s < SIDE_COUNT; s++)
		if (strcmp(col(r, s, COL_VERDICT), verdict_name(VERDICT_FAIL)) == 0)
			return true;
	return false;
}

static bool num_col(const char *v, double *out)
{
	char *end;

	if (!v || !*v)
		return false;
	*out = strtod(v, &end);
	return *end == '\0' && isfinite(*out);
}

/* "timeout/keepalive 4.088 s", "none", "killed". */
static void side_words(char *buf, size_t len, const struct html_run *r, int s)
{
	const char *o = col(r, s, COL_OUTCOME), *m = col(r, s, COL_MECHANISM);
	double ms;

	if (!r->side[s]) {
		snprintf(buf, len, "-");
		return;
	}
	int n = snprintf(buf, len, "%s%s%s", *o ? o : "-", *m && strcmp(m, "-") ? "/" : "",
			 *m && strcmp(m, "-") ? m : "");
	if (num_col(col(r, s, COL_DETECT_MS), &ms) && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " %.3f s", ms / 1000);
}

static void run_title(FILE *f, const struct html_run *r)
{
	char **row = any_row(r);

	html_esc(f, row[COL_SCENARIO]);
	if (*row[COL_VARIANT]) {
		fputs(" [", f);
		html_esc(f, row[COL_VARIANT]);
		fputc(']', f);
	}
	fputs(" #", f);
	html_esc(f, row[COL_RUN]);
}

/* ---- the style, the legend ---- */

static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:1100px;padding:0 1em;color:#222}"
	"h1{font-size:1.5em;margin:0}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}"
	".banner{color:#555;font-family:monospace}"
	"table{border-collapse:collapse;margin:.5em 0}td,th{padding:2px 8px;text-align:left;vertical-align:top}"
	"tr:nth-child(even){background:#f6f6f6}th{border-bottom:1px solid #aaa}"
	".fail{color:#b00;font-weight:bold}.pass{color:#070}.counts{font-size:1.1em;margin:.5em 0}"
	"details.run{border:1px solid #ddd;border-radius:4px;margin:.4em 0;padding:.2em .6em}"
	"details.run[open]{background:#fcfcfc}details.run>summary{cursor:pointer;font-family:monospace}"
	".cap{color:#444;margin:.3em 0}svg{display:block;max-width:100%}svg text{font:11px sans-serif}"
	".legend svg{display:inline-block;vertical-align:middle}.legend span{margin-right:1em;white-space:nowrap}"
	".chart{margin:1em 0}.note{color:#666;font-size:.9em}";

/* The kinds of marks: the class words the script maps, their colour and name. */
static const struct {
	const char *cls, *colour, *what;
} kinds[] = {
	{ "syn", "#2a9d3a", "SYN" },
	{ "data", "#1f5fbf", "data" },
	{ "ack", "#888", "ACK" },
	{ "retransmission", "#e07b00", "retransmission" },
	{ "probe", "#8e3fc0", "keepalive probe" },
	{ "probe-reply", "#c79be0", "probe reply" },
	{ "zero-window-probe", "#8a5a2b", "zero-window probe" },
	{ "fin", "#138a8a", "FIN" },
	{ "rst", "#d00", "RST" },
	{ "in-unreach", "#e0119d", "ICMP error" },
};

static void legend(FILE *f)
{
	fputs("<p class=\"legend\">", f);
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		fprintf(f, "<span><svg width=\"14\" height=\"14\"><circle cx=\"7\" cy=\"7\" r=\"5\" fill=\"%s\"/></svg> %s</span>",
			kinds[i].colour, kinds[i].what);
	fputs("<span>&#9679; sent &#9660; received (at the side's lane)</span>"
	      "<span><svg width=\"22\" height=\"12\"><rect width=\"22\" height=\"12\" fill=\"#f4c7c3\"/></svg> fault</span>"
	      "<span><svg width=\"22\" height=\"12\"><line x1=\"11\" x2=\"11\" y1=\"0\" y2=\"12\" stroke=\"#000\" stroke-width=\"3\"/></svg> detected</span>"
	      "<span><svg width=\"22\" height=\"12\"><rect width=\"22\" height=\"12\" fill=\"#cdebd0\"/><line x1=\"11\" x2=\"11\" y1=\"0\" y2=\"12\" stroke=\"#2a7\" stroke-dasharray=\"3 2\" stroke-width=\"2\"/></svg> predicted, its window</span>"
	      "</p>\n", f);
}

/* ---- charts: sweeps and repeats ---- */

/* A point of a chart: one side of one run. */
struct point {
	double x;			/* the swept value, or its category's index */
	double y, pred, lo, hi;		/* ms; NAN where absent */
	const struct html_run *run;
	size_t id;			/* the run's anchor */
	int side;
	bool fail;
};

#define CH_W 640
#define CH_H 240
#define CH_L 60
#define CH_R 20
#define CH_T 16
#define CH_B 40

/* A value of a sweep as a number: "1.5s" 1500 (ms), "100" 100; false for a word. */
static bool sweep_number(const char *v, double *out)
{
	char *end;
	double x = strtod(v, &end);

	if (end == v)
		return false;
	if (!*end)
		*out = x;
	else if (!strcmp(end, "ms"))
		*out = x;
	else if (!strcmp(end, "s"))
		*out = x * 1000;
	else if (!strcmp(end, "m") || !strcmp(end, "min"))
		*out = x * 60000;
	else if (!strcmp(end, "h"))
		*out = x * 3600000;
	else if (!strcmp(end, "%"))
		*out = x;
	else
		return false;
	return isfinite(*out);
}

static double nice_step(double span)
{
	double raw = span / 6, p = pow(10, floor(log10(raw))), m = raw / p;

	return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

static const char *side_colour[SIDE_COUNT] = { "#1f5fbf", "#e07b00" };

/*
 * Detection time (y, seconds) against x for @n points; @labels: the
 * categories' names when x is an index into them (n_labels of them), else
 * NULL and x is @xname's value. The prediction is a line per side through
 * the points' predicted times (numeric x), or a dash at each (categories).
 */
static void chart(FILE *f, struct point *pt, size_t n, const char *xname, char **labels, size_t n_labels)
{
	double xmin = INFINITY, xmax = -INFINITY, ymax = 0;

	for (size_t i = 0; i < n; i++) {
		xmin = fmin(xmin, pt[i].x);
		xmax = fmax(xmax, pt[i].x);
		ymax = fmax(ymax, isnan(pt[i].y) ? 0 : pt[i].y);
		ymax = fmax(ymax, isnan(pt[i].hi) ? 0 : pt[i].hi);
	}
	if (labels) {
		xmin = -0.5;
		xmax = (double)n_labels - 0.5;
	} else if (xmax <= xmin) {
		xmin -= 1;
		xmax += 1;
	} else {
		double pad = (xmax - xmin) * 0.05;
		xmin -= pad;
		xmax += pad;
	}
	if (ymax <= 0)
		ymax = 1000;
	ymax *= 1.12;
	double pw = CH_W - CH_L - CH_R, ph = CH_H - CH_T - CH_B;
#define X(v) (CH_L + ((v) - xmin) / (xmax - xmin) * pw)
#define Y(v) (CH_T + ph - (v) / ymax * ph)
	fprintf(f, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\">", CH_W, CH_H, CH_W);
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"#fafafa\" stroke=\"#ccc\"/>", CH_L,
		CH_T, pw, ph);
	double step = nice_step(ymax / 1000);
	for (double v = 0; v <= ymax / 1000; v += step)
		fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>"
			   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g s</text>",
			CH_L, CH_W - CH_R, Y(v * 1000), Y(v * 1000), CH_L - 4, Y(v * 1000) + 4, v);
	if (labels) {
		for (size_t i = 0; i < n_labels; i++) {
			fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", X((double)i), CH_H - CH_B + 14);
			html_esc(f, labels[i]);
			fputs("</text>", f);
		}
	} else {
		double xs = nice_step(xmax - xmin);
		for (double v = ceil(xmin / xs) * xs; v <= xmax; v += xs)
			fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>", X(v), CH_H - CH_B + 14,
				v);
	}
	fprintf(f, "<text x=\"%.0f\" y=\"%d\" text-anchor=\"middle\">", CH_L + pw / 2, CH_H - 6);
	html_esc(f, xname);
	fputs("</text>", f);
	/* The prediction: its window, then its line, per side. */
	for (int s = 0; s < SIDE_COUNT; s++) {
		if (labels) {
			for (size_t i = 0; i < n; i++) {
				if (pt[i].side != s || isnan(pt[i].pred))
					continue;
				if (!isnan(pt[i].lo) && !isnan(pt[i].hi))
					fprintf(f, "<rect class=\"pw\" x=\"%.1f\" width=\"24\" y=\"%.1f\" height=\"%.1f\" fill=\"%s\" opacity=\".15\"/>",
						X(pt[i].x) - 12, Y(pt[i].hi), Y(pt[i].lo) - Y(pt[i].hi) + 0.5, side_colour[s]);
				fprintf(f, "<line class=\"pl\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-dasharray=\"4 2\"/>",
					X(pt[i].x) - 12, X(pt[i].x) + 12, Y(pt[i].pred), Y(pt[i].pred), side_colour[s]);
			}
			continue;
		}
		/* Numeric: one value per x (the first run's), in x order. */
		struct point *line = calloc(n ? n : 1, sizeof(*line));
		size_t m = 0;
		if (!line)
			continue;
		for (size_t i = 0; i < n; i++) {
			bool seen = false;
			if (pt[i].side != s || isnan(pt[i].pred))
				continue;
			for (size_t j = 0; j < m; j++)
				seen |= line[j].x == pt[i].x;
			if (!seen)
				line[m++] = pt[i];
		}
		for (size_t i = 1; i < m; i++)	/* insertion sort: sweeps are short */
			for (size_t j = i; j > 0 && line[j - 1].x > line[j].x; j--) {
				struct point t = line[j];
				line[j] = line[j - 1];
				line[j - 1] = t;
			}
		if (m) {
			fputs("<path class=\"pw\" d=\"", f);
			for (size_t j = 0; j < m; j++)
				fprintf(f, "%c%.1f %.1f", j ? 'L' : 'M', X(line[j].x),
					Y(isnan(line[j].hi) ? line[j].pred : line[j].hi));
			for (size_t j = m; j-- > 0;)
				fprintf(f, "L%.1f %.1f", X(line[j].x), Y(isnan(line[j].lo) ? line[j].pred : line[j].lo));
			fprintf(f, "Z\" fill=\"%s\" opacity=\".15\"/><path class=\"pl\" d=\"", side_colour[s]);
			for (size_t j = 0; j < m; j++)
				fprintf(f, "%c%.1f %.1f", j ? 'L' : 'M', X(line[j].x), Y(line[j].pred));
			fprintf(f, "\" fill=\"none\" stroke=\"%s\" stroke-dasharray=\"4 2\"/>", side_colour[s]);
		}
		free(line);
	}
	/* The measured points; an undetected side sits on the top edge as a cross. */
	for (size_t i = 0; i < n; i++) {
		const struct point *p = &pt[i];
		char what[96], pred[48] = "";
		side_words(what, sizeof(what), p->run, p->side);
		if (!isnan(p->pred))
			snprintf(pred, sizeof(pred), ", predicted %.3f s", p->pred / 1000);
		fprintf(f, "<a href=\"#r%zu\">", p->id);
		if (isnan(p->y))
			fprintf(f, "<path class=\"pt nd\" d=\"M%.1f %.1fl6 6m0 -6l-6 6\" stroke=\"%s\" stroke-width=\"2\">",
				X(p->x) - 3, (double)CH_T + 2, p->fail ? "#d00" : side_colour[p->side]);
		else
			fprintf(f, "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"%s>", X(p->x), Y(p->y),
				side_colour[p->side], p->fail ? " stroke=\"#d00\" stroke-width=\"2.5\"" : "");
		fputs("<title>", f);
		run_title(f, p->run);
		fprintf(f, " %s: ", host_name(p->side));
		html_esc(f, what);
		html_esc(f, pred);
		fputs(isnan(p->y) ? "</title></path></a>" : "</title></circle></a>", f);
	}
	fputs("</svg>\n", f);
#undef X
#undef Y
}

static void point_of(struct point *p, const struct html_run *r, size_t id, int s, double x)
{
	double v;

	*p = (struct point){ .x = x, .y = NAN, .pred = NAN, .lo = NAN, .hi = NAN, .run = r, .id = id, .side = s,
			     .fail = run_failed(r) };
	if (num_col(col(r, s, COL_DETECT_MS), &v))
		p->y = v;
	if (num_col(col(r, s, COL_PREDICTED_MS), &v))
		p->pred = v;
	if (num_col(col(r, s, COL_PREDICTED_EARLIEST_MS), &v))
		p->lo = v;
	if (num_col(col(r, s, COL_PREDICTED_LATEST_MS), &v))
		p->hi = v;
}

/* A side worth a chart: one that detects, or was predicted to, in some run of the group. */
static bool side_charted(const struct html_run *runs, const size_t *idx, size_t n, int s)
{
	for (size_t i = 0; i < n; i++) {
		double v;
		const struct html_run *r = &runs[idx[i]];
		if (num_col(col(r, s, COL_DETECT_MS), &v) || num_col(col(r, s, COL_PREDICTED_MS), &v))
			return true;
	}
	return false;
}

/* The key of a variant's first "key=value" part whose value differs across @idx, or NULL. */
static char *swept_key(const struct html_run *runs, const size_t *idx, size_t n)
{
	const char *first = any_row(&runs[idx[0]])[COL_VARIANT];
	char *copy = strdup(first), *save = NULL;

	for (char *part = copy ? strtok_r(copy, ",", &save) : NULL; part; part = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(part, '=');
		if (!eq)
			continue;
		for (size_t i = 1; i < n; i++)
			if (!strstr(any_row(&runs[idx[i]])[COL_VARIANT], part)) {
				*eq = '\0';
				char *key = strdup(part);
				free(copy);
				return key;
			}
	}
	free(copy);
	return NULL;
}

/* The value of @key in variant name @v ("client.keepidle=2s,family=ipv4"), copied; NULL when absent. */
static char *variant_value(const char *v, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = v; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, key, kl) && p[kl] == '=')
			return strndup(p + kl + 1, strcspn(p + kl + 1, ","));
	return NULL;
}

static void sweep_section(FILE *f, const struct html_run *runs, size_t n_runs, const size_t *idx, size_t n)
{
	char *key = swept_key(runs, idx, n);
	char **values = calloc(n, sizeof(*values)), **labels = calloc(n, sizeof(*labels));
	struct point *pt = calloc(2 * n, sizeof(*pt));
	size_t n_labels = 0, m = 0;
	bool numeric = true;

	if (!key || !values || !labels || !pt)
		goto out;
	for (size_t i = 0; i < n; i++) {
		double x;
		values[i] = variant_value(any_row(&runs[idx[i]])[COL_VARIANT], key);
		if (!values[i] || !sweep_number(values[i], &x))
			numeric = false;
	}
	fputs("<h3>", f);
	html_esc(f, any_row(&runs[idx[0]])[COL_SCENARIO]);
	fputs(": detection time against ", f);
	html_esc(f, key);
	fputs("</h3>\n<p class=\"note\">", f);
	html_esc(f, any_row(&runs[idx[0]])[COL_DESCRIPTION]);
	fputs("</p>\n", f);
	for (size_t i = 0; i < n; i++) {
		double x = 0;
		if (numeric) {
			sweep_number(values[i], &x);
		} else {
			size_t j;
			const char *v = values[i] ? values[i] : "";
			for (j = 0; j < n_labels && strcmp(labels[j], v); j++)
				;
			if (j == n_labels)
				labels[n_labels++] = (char *)v;
			x = (double)j;
		}
		for (int s = 0; s < SIDE_COUNT; s++)
			if (runs[idx[i]].side[s] && side_charted(runs, idx, n, s))
				point_of(&pt[m++], &runs[idx[i]], idx[i], s, x);
	}
	char xname[300];
	bool ms = false;
	for (size_t i = 0; numeric && i < n; i++)
		ms |= values[i] && strpbrk(values[i], "smh") != NULL;
	snprintf(xname, sizeof(xname), "%s%s", key, ms ? " (ms)" : "");
	if (!m) {
		fputs("<p class=\"note\">Neither side detected anything, or was predicted to, in any of its variants.</p>\n", f);
		goto out;
	}
	chart(f, pt, m, xname, numeric ? NULL : labels, n_labels);
	fputs("<p class=\"note\">", f);
	for (int s = 0; s < SIDE_COUNT; s++)
		fprintf(f, "<span style=\"color:%s\">&#9679; %s</span> ", side_colour[s], host_name(s));
	fputs("measured (a cross on the top edge: not detected; red ring: the run failed), dashed: predicted, "
	      "shaded: its window. Each point links to its run.</p>\n", f);
out:
	(void)n_runs;
	for (size_t i = 0; values && i < n; i++)
		free(values[i]);
	free(values);
	free(labels);
	free(pt);
	free(key);
}

static int outcome_of(const struct html_run *r, int s)
{
	if (*any_row(r)[COL_ERROR])
		return -1;
	int o = name_find(outcome_words, OUTCOME_COUNT, col(r, s, COL_OUTCOME));
	return o < 0 ? -1 : o;
}

static void repeat_section(FILE *f, const struct html_run *runs, const size_t *idx, size_t n)
{
	struct rate_sample *smp = calloc(n, sizeof(*smp));
	struct rate *rt = calloc(n, sizeof(*rt));
	struct point *pt = calloc(2 * n, sizeof(*pt));
	char *labels[SIDE_COUNT];
	size_t m = 0;

	if (!smp || !rt || !pt)
		goto out;
	char **first = any_row(&runs[idx[0]]);
	fputs("<h3>", f);
	html_esc(f, first[COL_SCENARIO]);
	if (*first[COL_VARIANT]) {
		fputs(" [", f);
		html_esc(f, first[COL_VARIANT]);
		fputc(']', f);
	}
	fprintf(f, ": %zu runs</h3>\n<table><tr><th>side</th><th>outcomes over %zu runs</th><th>detection spread</th></tr>\n",
		n, n);
	for (int s = 0; s < SIDE_COUNT; s++) {
		char text[512];
		double lo = INFINITY, hi = -INFINITY;
		labels[s] = (char *)host_name(s);
		for (size_t i = 0; i < n; i++) {
			const struct html_run *r = &runs[idx[i]];
			double v;
			smp[i] = (struct rate_sample){ .outcome = outcome_of(r, s), .mechanism = MECH_NONE };
			int mech = name_find(mechanism_words, MECH_COUNT, col(r, s, COL_MECHANISM));
			smp[i].mechanism = mech < 0 ? MECH_NONE : mech;
			if (num_col(col(r, s, COL_DETECT_MS), &v)) {
				smp[i].detected = true;
				smp[i].detect_ms = (int64_t)llround(v);
				lo = fmin(lo, v);
				hi = fmax(hi, v);
			}
			/* Spread across the category, so that equal times stay apart. */
			point_of(&pt[m++], r, idx[i], s, s + 0.3 * ((double)i / (double)n - 0.5));
		}
		size_t k = rates_count(smp, n, rt);
		rates_format(text, sizeof(text), rt, k, n);
		fprintf(f, "<tr><td>%s</td><td>", host_name(s));
		html_esc(f, text);
		if (isfinite(lo))
			fprintf(f, "</td><td>%.3f s to %.3f s</td></tr>\n", lo / 1000, hi / 1000);
		else
			fputs("</td><td>-</td></tr>\n", f);
	}
	fputs("</table>\n", f);
	chart(f, pt, m, "side", labels, SIDE_COUNT);
out:
	free(smp);
	free(rt);
	free(pt);
}

/* ---- the page ---- */

static void caption(FILE *f, const struct html_run *r)
{
	char **row = any_row(r);

	fputs("<p class=\"cap\">", f);
	if (*row[COL_DESCRIPTION]) {
		html_esc(f, row[COL_DESCRIPTION]);
		fputs("<br>", f);
	}
	if (*row[COL_ACTION]) {
		fputs("Fault: ", f);
		html_esc(f, row[COL_ACTION]);
		fputs(" of the ", f);
		html_esc(f, row[COL_TARGET]);
		fputs(" at ", f);
		html_esc(f, row[COL_FAULT_AT_MS]);
		fputs(" ms", f);
		if (*row[COL_PROBABILITY]) {
			fputs(", probability ", f);
			html_esc(f, row[COL_PROBABILITY]);
		}
		fputs(". ", f);
	}
	fputs("Family ", f);
	html_esc(f, row[COL_FAMILY]);
	fputs(".", f);
	for (int s = 0; s < SIDE_COUNT; s++) {
		if (!r->side[s])
			continue;
		fprintf(f, "<br><b>%s</b>: ", host_name(s));
		fputs("traffic ", f);
		html_esc(f, col(r, s, COL_TRAFFIC));
		fputs(", keepalive ", f);
		html_esc(f, col(r, s, COL_KEEPALIVE));
		if (!strcmp(col(r, s, COL_KEEPALIVE), "yes")) {
			fputs(" (idle ", f);
			html_esc(f, col(r, s, COL_KEEPIDLE_MS));
			fputs(" ms, interval ", f);
			html_esc(f, col(r, s, COL_KEEPINTVL_MS));
			fputs(" ms, count ", f);
			html_esc(f, col(r, s, COL_KEEPCNT));
			fputs(")", f);
		}
		fputs(", TCP_USER_TIMEOUT ", f);
		html_esc(f, *col(r, s, COL_USER_TIMEOUT_MS) ? col(r, s, COL_USER_TIMEOUT_MS) : "0");
		fputs(" ms; observed by ", f);
		html_esc(f, col(r, s, COL_OBSERVER));
		fputs("; expected ", f);
		html_esc(f, *col(r, s, COL_EXPECTED) ? col(r, s, COL_EXPECTED) : "nothing in particular");
		fputs(", ", f);
		const char *v = col(r, s, COL_VERDICT);
		fprintf(f, "<span class=\"%s\">", !strcmp(v, "fail") ? "fail" : "pass");
		html_esc(f, v);
		fputs("</span>", f);
		if (*col(r, s, COL_APP_REACTION)) {
			fputs("; the program: ", f);
			html_esc(f, col(r, s, COL_APP_REACTION));
			if (*col(r, s, COL_APP_DETECT_MS)) {
				fputs(" at ", f);
				html_esc(f, col(r, s, COL_APP_DETECT_MS));
				fputs(" ms", f);
			}
		}
	}
	if (*row[COL_ERROR]) {
		fputs("<br><span class=\"fail\">Error: ", f);
		html_esc(f, row[COL_ERROR]);
		fputs("</span>", f);
	}
	fputs("</p>\n", f);
}

/* A side's figures for the script: outcome words, detection, prediction and window, the program's. */
static void side_json(FILE *f, const struct html_run *r, int s)
{
	static const enum csv_column nums[] = { COL_DETECT_MS, COL_PREDICTED_MS, COL_PREDICTED_EARLIEST_MS,
						COL_PREDICTED_LATEST_MS, COL_APP_DETECT_MS, COL_LAST_RX_MS };
	char what[96];

	side_words(what, sizeof(what), r, s);
	fputs("{\"o\":", f);
	json_str(f, r->side[s] ? col(r, s, COL_OUTCOME) : "");
	fputs(",\"m\":", f);
	json_str(f, r->side[s] ? col(r, s, COL_MECHANISM) : "");
	fputs(",\"ar\":", f);
	json_str(f, r->side[s] ? col(r, s, COL_APP_REACTION) : "");
	for (size_t i = 0; i < ARRAY_SIZE(nums); i++) {
		double v;
		static const char *names[] = { "d", "pr", "lo", "hi", "ad", "lr" };
		if (num_col(col(r, s, nums[i]), &v))
			fprintf(f, ",\"%s\":%.3f", names[i], v);
	}
	fputc('}', f);
}

extern const char html_script[];

int html_render(FILE *f, const struct html_run *runs, size_t n, const char *banner)
{
	size_t failed = 0, *order = calloc(n ? n : 1, sizeof(*order)), k = 0;
	bool *done = calloc(n ? n : 1, sizeof(*done));

	if (!order || !done) {
		free(order);
		free(done);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		failed += run_failed(&runs[i]);
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"viewport\" content=\"width=device-width\"><title>deadpeer report", f);
	fprintf(f, " - %zu runs, %zu failed</title><style>%s</style></head>\n<body>\n<h1>deadpeer report</h1>\n", n,
		failed, style);
	if (banner) {
		fputs("<p class=\"banner\">", f);
		html_esc(f, banner);
		fputs("</p>\n", f);
	}
	fprintf(f, "<p class=\"counts\" id=\"counts\">%zu runs, <span class=\"pass\">%zu passed</span>, "
		   "<span class=\"%s\">%zu failed</span></p>\n",
		n, n - failed, failed ? "fail" : "pass", failed);

	/* Summary: failures first, then the rest, each in results.csv's order. */
	fputs("<h2 id=\"summary\">Summary</h2>\n<table id=\"summary-table\"><tr><th>run</th><th>client</th><th>server</th>"
	      "<th>verdict</th></tr>\n", f);
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			const struct html_run *r = &runs[i];
			char c[128], s[128];
			if (run_failed(r) != (pass == 0))
				continue;
			side_words(c, sizeof(c), r, HOST_CLIENT);
			side_words(s, sizeof(s), r, HOST_SERVER);
			fprintf(f, "<tr class=\"%s\"><td><a href=\"#r%zu\">", pass ? "ok" : "failed", i);
			run_title(f, r);
			fputs("</a></td><td>", f);
			html_esc(f, c);
			fputs("</td><td>", f);
			html_esc(f, s);
			fprintf(f, "</td><td class=\"%s\">%s</td></tr>\n", pass ? "pass" : "fail",
				pass ? "pass" : *any_row(r)[COL_ERROR] ? "ERROR" : "FAIL");
		}
	fputs("</table>\n", f);

	/* Sweeps: a scenario with more than one variant; repeats: a variant with more than one run. */
	fputs("<h2 id=\"sweeps\">Sweeps</h2>\n", f);
	size_t sweeps = 0;
	for (size_t i = 0; i < n; i++) {
		if (done[i])
			continue;
		k = 0;
		bool several = false;
		for (size_t j = i; j < n; j++)
			if (!strcmp(any_row(&runs[j])[COL_SCENARIO], any_row(&runs[i])[COL_SCENARIO])) {
				order[k++] = j;
				done[j] = true;
				several |= strcmp(any_row(&runs[j])[COL_VARIANT], any_row(&runs[i])[COL_VARIANT]) != 0;
			}
		if (several) {
			sweep_section(f, runs, n, order, k);
			sweeps++;
		}
	}
	if (!sweeps)
		fputs("<p class=\"note\">No scenario of these results sweeps a value.</p>\n", f);
	fputs("<h2 id=\"repeats\">Repeats</h2>\n", f);
	memset(done, 0, n * sizeof(*done));
	size_t repeats = 0;
	for (size_t i = 0; i < n; i++) {
		if (done[i])
			continue;
		k = 0;
		for (size_t j = i; j < n; j++)
			if (!strcmp(any_row(&runs[j])[COL_SCENARIO], any_row(&runs[i])[COL_SCENARIO]) &&
			    !strcmp(any_row(&runs[j])[COL_VARIANT], any_row(&runs[i])[COL_VARIANT])) {
				order[k++] = j;
				done[j] = true;
			}
		if (k > 1) {
			repeat_section(f, runs, order, k);
			repeats++;
		}
	}
	if (!repeats)
		fputs("<p class=\"note\">No variant of these results was run more than once.</p>\n", f);

	/* The runs; the script draws a timeline when its run opens. */
	fputs("<h2 id=\"runs\">Runs</h2>\n", f);
	legend(f);
	fputs("<p class=\"note\">Times are from the fault (0 s). A timeline is drawn when its run is opened; "
	      "<a href=\"#all\" id=\"open-all\">open every run</a>. Hover a mark for its time and kind; drag across a timeline to zoom in, double-click to zoom out.</p>\n"
	      "<noscript><p class=\"fail\">The timelines are drawn by the page's script: allow it to see them.</p></noscript>\n",
	      f);
	size_t opened = 0;
	for (size_t i = 0; i < n; i++) {
		const struct html_run *r = &runs[i];
		char c[128], s[128];
		bool open = run_failed(r) && opened < OPEN_FAILURES_MAX;
		opened += open;
		side_words(c, sizeof(c), r, HOST_CLIENT);
		side_words(s, sizeof(s), r, HOST_SERVER);
		fprintf(f, "<details class=\"run\" id=\"r%zu\" data-i=\"%zu\"%s><summary>", i, i, open ? " open" : "");
		run_title(f, r);
		fputs(": client ", f);
		html_esc(f, c);
		fputs(", server ", f);
		html_esc(f, s);
		fprintf(f, " <span class=\"%s\">%s</span></summary>\n", run_failed(r) ? "fail" : "pass",
			run_failed(r) ? "FAIL" : "pass");
		caption(f, r);
		fprintf(f, "<div class=\"tl\">%s</div></details>\n",
			r->data ? "" : "<p class=\"note\">No record of this run's packets (runs/ has no file for it).</p>");
	}

	/* The data: the wire classes' words once, then per run its sides' figures and its record. */
	fputs("<script type=\"application/json\" id=\"deadpeer-data\">{\"k\":[", f);
	for (int c = 0; c < WIRE_CLASS_COUNT; c++) {
		if (c)
			fputc(',', f);
		json_str(f, wire_class_name((enum wire_class)c));
	}
	fputs("],\"kinds\":{", f);
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (i)
			fputc(',', f);
		json_str(f, kinds[i].cls);
		fputs(":[", f);
		json_str(f, kinds[i].colour);
		fputc(',', f);
		json_str(f, kinds[i].what);
		fputc(']', f);
	}
	fputs("},\"r\":[", f);
	for (size_t i = 0; i < n; i++) {
		const struct html_run *r = &runs[i];
		fprintf(f, "%s{\"s\":[", i ? ",\n" : "\n");
		side_json(f, r, HOST_CLIENT);
		fputc(',', f);
		side_json(f, r, HOST_SERVER);
		fprintf(f, "],\"w\":%s}", r->data ? r->data : "null");
	}
	fprintf(f, "]}</script>\n<script>%s</script>\n</body></html>\n", html_script);
	free(order);
	free(done);
	return file_flush_checked(f);
}

/* ---- from a results directory ---- */

void results_free(struct results *l)
{
	for (size_t i = 0; i < l->n_rows; i++) {
		for (int c = 0; c < COL_COUNT; c++)
			free(l->rows[i][c]);
		free(l->rows[i]);
	}
	free(l->rows);
	for (size_t i = 0; i < l->n_runs; i++)
		free(l->runs[i].data);
	free(l->runs);
}

/* The columns the page cannot do without; the others may be absent from an older results.csv. */
static bool column_needed(enum csv_column c)
{
	return c == COL_SCENARIO || c == COL_VARIANT || c == COL_RUN || c == COL_SIDE;
}

static int load_csv(struct results *l, const char *path, FILE *err)
{
	FILE *f;
	const char *kind;
	char **fields;
	size_t nf, line = 1;
	int where[COL_COUNT], ret;

	if (open_regular(path, &f, &kind) > 0 || !f) {
		fprintf(err, "deadpeer report: cannot read \"%s\": %s\n", path, f || kind ? kind : strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	if (csv_read_row(f, &fields, &nf) != 1) {
		fprintf(err, "%s:1: no header row\n", path);
		fclose(f);
		return -1;
	}
	for (int c = 0; c < COL_COUNT; c++) {
		where[c] = -1;
		for (size_t i = 0; i < nf; i++)
			if (!strcmp(fields[i], csv_column_name((enum csv_column)c)))
				where[c] = (int)i;
		if (where[c] < 0 && column_needed((enum csv_column)c)) {
			fprintf(err, "%s:1: no column \"%s\": not a results.csv of deadpeer\n", path,
				csv_column_name((enum csv_column)c));
			csv_fields_free(fields, nf);
			fclose(f);
			return -1;
		}
	}
	csv_fields_free(fields, nf);
	while ((ret = csv_read_row(f, &fields, &nf)) == 1) {
		line++;
		char **row = calloc(COL_COUNT, sizeof(*row));
		char ***rows = reallocarray(l->rows, l->n_rows + 1, sizeof(*rows));
		if (!row || !rows) {
			free(row);
			if (rows)
				l->rows = rows;
			csv_fields_free(fields, nf);
			fclose(f);
			fprintf(err, "deadpeer report: out of memory\n");
			return -1;
		}
		l->rows = rows;
		l->rows[l->n_rows++] = row;
		for (int c = 0; c < COL_COUNT; c++)
			row[c] = strdup(where[c] >= 0 && (size_t)where[c] < nf ? fields[where[c]] : "");
		csv_fields_free(fields, nf);
		for (int c = 0; c < COL_COUNT; c++)
			if (!row[c]) {
				fclose(f);
				fprintf(err, "deadpeer report: out of memory\n");
				return -1;
			}
		if (name_find(host_words, SIDE_COUNT, row[COL_SIDE]) < 0) {
			fprintf(err, "%s:%zu: side '%s' is neither client nor server\n", path, line, row[COL_SIDE]);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	if (ret < 0) {
		fprintf(err, "%s:%zu: malformed record (an unterminated quote)\n", path, line + 1);
		return -1;
	}
	return 0;
}

static int cmp_run(const void *pa, const void *pb)
{
	char **a = any_row(pa), **b = any_row(pb);
	int c = strcmp(a[COL_SCENARIO], b[COL_SCENARIO]);

	if (!c)
		c = strcmp(a[COL_VARIANT], b[COL_VARIANT]);
	if (!c) {
		unsigned long ra = strtoul(a[COL_RUN], NULL, 10), rb = strtoul(b[COL_RUN], NULL, 10);
		c = ra < rb ? -1 : ra > rb;
	}
	return c;
}

/* Rows into runs: a run is its scenario, variant and repetition; in the order they first appear. */
static int group_runs(struct results *l)
{
	l->runs = calloc(l->n_rows ? l->n_rows : 1, sizeof(*l->runs));
	if (!l->runs)
		return -1;
	for (size_t i = 0; i < l->n_rows; i++) {
		char **row = l->rows[i];
		int s = name_find(host_words, SIDE_COUNT, row[COL_SIDE]);
		size_t j;
		for (j = 0; j < l->n_runs; j++) {
			char **o = any_row(&l->runs[j]);
			if (!strcmp(o[COL_SCENARIO], row[COL_SCENARIO]) && !strcmp(o[COL_VARIANT], row[COL_VARIANT]) &&
			    !strcmp(o[COL_RUN], row[COL_RUN]) && !l->runs[j].side[s])
				break;
		}
		if (j == l->n_runs)
			l->n_runs++;
		l->runs[j].side[s] = row;
	}
	/* results.csv is in the order runs finished; the page is in the order people look things up. */
	qsort(l->runs, l->n_runs, sizeof(*l->runs), cmp_run);
	return 0;
}

/* "compare-idle-3-12.obs": scenario "compare-idle", variant 3, run 12; false for another name. */
static bool parse_stem(const char *name, char *scenario, size_t len, unsigned *run)
{
	size_t n = strlen(name);
	const char *dash[2] = { NULL, NULL };

	if (n < 5 || strcmp(name + n - 4, ".obs"))
		return false;
	for (const char *p = name + n - 4; p > name && (!dash[0] || !dash[1]); p--)
		if (p[-1] == '-') {
			if (!dash[0])
				dash[0] = p - 1;
			else
				dash[1] = p - 1;
		}
	if (!dash[1] || (size_t)(dash[1] - name) >= len)
		return false;
	snprintf(scenario, len, "%.*s", (int)(dash[1] - name), name);
	*run = (unsigned)strtoul(dash[0] + 1, NULL, 10);
	return true;
}

static void attach_records(struct results *l, const char *dir, FILE *err)
{
	char path[4300];
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof(path), "%s/runs", dir);
	if (!(d = opendir(path)))
		return;		/* results from before records were kept: the page says so per run */
	while ((e = readdir(d))) {
		char scenario[300];
		unsigned run;
		struct observation o;
		if (!parse_stem(e->d_name, scenario, sizeof(scenario), &run))
			continue;
		snprintf(path, sizeof(path), "%s/runs/%s", dir, e->d_name);
		int ret = obs_load(path, &o);
		if (ret < 0) {
			fprintf(err, "deadpeer report: %s: %s; its run is shown without its timeline\n", path,
				ret == -EBADMSG ? "not a record, or a damaged one" : strerror(-ret));
			obs_release(&o);
			continue;
		}
		char label[sizeof(o.variant)];
		variant_name_label(o.variant, label, sizeof(label));
		for (size_t j = 0; j < l->n_runs; j++) {
			char **row = any_row(&l->runs[j]);
			if (l->runs[j].data || strcmp(row[COL_SCENARIO], scenario) || strcmp(row[COL_VARIANT], label) ||
			    strtoul(row[COL_RUN], NULL, 10) != run)
				continue;
			l->runs[j].data = html_run_data(&o);
			break;
		}
		obs_release(&o);
	}
	closedir(d);
}

int results_load(struct results *l, const char *csv, FILE *err)
{
	*l = (struct results){ 0 };
	return load_csv(l, csv, err) < 0 || group_runs(l) < 0 ? -1 : 0;
}

long report_html_write(const char *dir, FILE *err)
{
	struct results l = { 0 };
	char path[4300], tmp[4400], banner[1100] = "";
	FILE *f;
	const char *kind;
	long ret = -1;

	snprintf(path, sizeof(path), "%s/results.csv", dir);
	if (results_load(&l, path, err) < 0)
		goto out;
	attach_records(&l, dir, err);
	snprintf(path, sizeof(path), "%s/summary.txt", dir);
	if (open_regular(path, &f, &kind) == 0 && f) {
		if (fgets(banner, sizeof(banner), f))
			banner[strcspn(banner, "\n")] = '\0';
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/report.html", dir);
	snprintf(tmp, sizeof(tmp), "%s/.report.html.tmp", dir);
	if (!(f = fopen(tmp, "w"))) {
		fprintf(err, "deadpeer report: cannot write \"%s\": %s\n", tmp, strerror(errno));
		goto out;
	}
	int r = html_render(f, l.runs, l.n_runs, strncmp(banner, "deadpeer ", 9) ? NULL : banner);
	if (fclose(f) != 0 && !r)
		r = -errno;
	if (r < 0 || rename(tmp, path) < 0) {
		fprintf(err, "deadpeer report: cannot write \"%s\": %s\n", path, strerror(r < 0 ? -r : errno));
		unlink(tmp);
		goto out;
	}
	ret = (long)l.n_runs;
out:
	results_free(&l);
	return ret;
}
