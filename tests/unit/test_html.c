// SPDX-License-Identifier: MIT
/*
 * report.html: what the page says of the runs it is given. Failures come
 * first and open; every run has its section; a sweep is charted against its
 * value in order, a repeat's outcome rates are the rates' own words; text
 * from a scenario file cannot end the page's script or add markup; nothing
 * is fetched from anywhere; a record becomes the script's data, times from
 * the fault in µs.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "names.h"
#include "unit.h"

#define MS 1000000LL

/* The rows of the runs under test, and their strings. */
static char **rows[64];
static size_t n_rows;

static char **row(const char *scenario, const char *variant, const char *run, int side, const char *outcome,
		  const char *mechanism, const char *detect, const char *predicted, const char *verdict)
{
	char **r = calloc(COL_COUNT, sizeof(*r));

	assert_non_null(r);
	for (int c = 0; c < COL_COUNT; c++)
		r[c] = strdup("");
	free(r[COL_SCENARIO]);
	r[COL_SCENARIO] = strdup(scenario);
	free(r[COL_VARIANT]);
	r[COL_VARIANT] = strdup(variant);
	free(r[COL_RUN]);
	r[COL_RUN] = strdup(run);
	free(r[COL_SIDE]);
	r[COL_SIDE] = strdup(host_name(side));
	free(r[COL_OUTCOME]);
	r[COL_OUTCOME] = strdup(outcome);
	free(r[COL_MECHANISM]);
	r[COL_MECHANISM] = strdup(mechanism);
	free(r[COL_DETECT_MS]);
	r[COL_DETECT_MS] = strdup(detect);
	free(r[COL_PREDICTED_MS]);
	r[COL_PREDICTED_MS] = strdup(predicted);
	free(r[COL_VERDICT]);
	r[COL_VERDICT] = strdup(verdict);
	rows[n_rows++] = r;
	return r;
}

static void set(char **r, enum csv_column c, const char *v)
{
	free(r[c]);
	r[c] = strdup(v);
}

static void rows_free(void)
{
	for (size_t i = 0; i < n_rows; i++) {
		for (int c = 0; c < COL_COUNT; c++)
			free(rows[i][c]);
		free(rows[i]);
	}
	n_rows = 0;
}

/* A run whose client detects (or not) and whose server sees nothing. */
static struct html_run run_of(const char *scenario, const char *variant, const char *run, const char *outcome,
			      const char *mechanism, const char *detect, const char *predicted, const char *verdict)
{
	return (struct html_run){ .side = {
		row(scenario, variant, run, HOST_CLIENT, outcome, mechanism, detect, predicted, verdict),
		row(scenario, variant, run, HOST_SERVER, "none", "-", "", "", "pass") } };
}

static char *render(const struct html_run *runs, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(html_render(f, runs, n, "deadpeer 0.1.0 on Linux: deadpeer run"), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_failures_first(void **state)
{
	struct html_run runs[3] = {
		run_of("keepalive", "", "1", "timeout", "keepalive", "4088", "4088", "pass"),
		run_of("stream", "", "1", "none", "-", "", "3500", "fail"),
		run_of("crash", "", "1", "", "", "", "", ""),
	};
	(void)state;
	set(runs[2].side[HOST_CLIENT], COL_ERROR, "cannot create the router");
	set(runs[2].side[HOST_SERVER], COL_ERROR, "cannot create the router");
	char *page = render(runs, 3);

	assert_int_equal(count(page, "<details class=\"run\""), 3);
	assert_non_null(strstr(page, "3 runs, <span class=\"pass\">1 passed</span>, <span class=\"fail\">2 failed</span>"));
	/* In the summary table the two failures come before the pass, each linking to its run. */
	const char *table = strstr(page, "id=\"summary-table\"");
	assert_non_null(table);
	const char *r0 = strstr(table, "href=\"#r0\""), *r1 = strstr(table, "href=\"#r1\""), *r2 = strstr(table, "href=\"#r2\"");
	assert_true(r1 && r2 && r0 && r1 < r0 && r2 < r0);
	/* Failed runs are open (and drawn on loading); the pass is closed. */
	assert_non_null(strstr(page, "id=\"r1\" data-i=\"1\" open>"));
	assert_non_null(strstr(page, "id=\"r2\" data-i=\"2\" open>"));
	assert_non_null(strstr(page, "id=\"r0\" data-i=\"0\">"));
	assert_non_null(strstr(page, "Error: cannot create the router"));
	assert_non_null(strstr(page, "timeout/keepalive 4.088 s"));
	/* Self-contained: nothing to fetch (the SVG namespace is a name, not a request). */
	assert_null(strstr(page, " src="));
	assert_null(strstr(page, "<link"));
	assert_null(strstr(page, "url("));
	assert_null(strstr(page, "@import"));
	assert_int_equal(count(page, "http"), count(page, "http://www.w3.org/2000/svg"));
	free(page);
	rows_free();
}

static void test_escaped(void **state)
{
	struct html_run r = run_of("x", "", "1", "none", "-", "", "", "pass");
	(void)state;
	set(r.side[HOST_CLIENT], COL_DESCRIPTION, "a \"peer\" & </script><script>alert(1)</script>");
	char *page = render(&r, 1);

	assert_null(strstr(page, "<script>alert"));
	assert_non_null(strstr(page, "a &quot;peer&quot; &amp; &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
	/* Two scripts, the data and the code, and each ends once. */
	assert_int_equal(count(page, "</script>"), 2);
	free(page);
	rows_free();
}

/* The cx of each measured point in the page, in order. */
static size_t points(const char *page, double *cx, size_t max)
{
	size_t n = 0;

	for (const char *p = page; n < max && (p = strstr(p, "<circle class=\"pt\" cx=\"")); p++)
		cx[n++] = strtod(p + strlen("<circle class=\"pt\" cx=\""), NULL);
	return n;
}

static void test_sweep(void **state)
{
	struct html_run runs[3] = {
		run_of("ka", "client.keepidle=1s", "1", "timeout", "keepalive", "4088", "4088", "pass"),
		run_of("ka", "client.keepidle=500ms", "1", "timeout", "keepalive", "3500", "3504", "pass"),
		run_of("ka", "client.keepidle=2s", "1", "timeout", "keepalive", "5100", "5112", "pass"),
	};
	double cx[8];
	(void)state;
	char *page = render(runs, 3);

	assert_non_null(strstr(page, "ka: detection time against client.keepidle</h3>"));
	assert_non_null(strstr(page, ">client.keepidle (ms)</text>"));
	/* The client's three points (the server neither detects nor is predicted to: not charted), placed by value. */
	assert_int_equal(points(page, cx, 8), 3);
	assert_true(cx[1] < cx[0] && cx[0] < cx[2]);
	/* The prediction is one line through the three, and its window. */
	assert_int_equal(count(page, "<path class=\"pl\""), 1);
	free(page);
	rows_free();

	/* Words: categories, in the order they come, a dash of prediction at each. */
	struct html_run fam[2] = {
		run_of("dead", "family=ipv4", "1", "timeout", "syn", "3574", "3562", "pass"),
		run_of("dead", "family=ipv6", "1", "timeout", "syn", "3577", "3562", "pass"),
	};
	page = render(fam, 2);
	assert_non_null(strstr(page, "text-anchor=\"middle\">ipv4</text>"));
	assert_non_null(strstr(page, "text-anchor=\"middle\">ipv6</text>"));
	assert_int_equal(points(page, cx, 8), 2);
	assert_true(cx[0] < cx[1]);
	assert_int_equal(count(page, "<line class=\"pl\""), 2);
	free(page);
	rows_free();
}

static void test_repeats(void **state)
{
	struct html_run runs[4] = {
		run_of("lossy", "", "1", "timeout", "keepalive", "1532", "", "pass"),
		run_of("lossy", "", "2", "timeout", "keepalive", "2560", "", "pass"),
		run_of("lossy", "", "3", "none", "-", "", "", "pass"),
		run_of("lossy", "", "4", "timeout", "keepalive", "1544", "", "pass"),
	};
	(void)state;
	char *page = render(runs, 4);

	assert_non_null(strstr(page, "lossy: 4 runs</h3>"));
	assert_non_null(strstr(page, "timeout/keepalive 3 of 4 (75 %, median 1.544 s), none 1 of 4 (25 %)"));
	assert_non_null(strstr(page, "1.532 s to 2.560 s"));
	/* A scenario without variants is no sweep. */
	assert_non_null(strstr(page, "No scenario of these results sweeps a value."));
	free(page);
	rows_free();
}

static void test_run_data(void **state)
{
	struct observation o;
	int64_t est = 7000 * MS, fault = est + 1000 * MS;
	char want[512];
	(void)state;

	obs_init(&o);
	o.established_ns = est;
	o.fault_ns = fault;
	o.deadline_ns = fault + 10000 * MS;
	obs_fault_start(&o, "drop", HOST_ROUTER, fault);
	o.faults[0].end_ns = fault + 2500 * MS;
	obs_add_packet(&o, HOST_CLIENT, est - 1 * MS, WIRE_SYN);
	obs_add_packet(&o, HOST_CLIENT, fault + 2000 * MS + 17000, WIRE_PROBE);
	obs_add_packet(&o, HOST_SERVER, fault + 2000 * MS + 90000, WIRE_PROBE_REPLY);
	char *data = html_run_data(&o);
	snprintf(want, sizeof(want),
		 "{\"e\":-1000000,\"end\":10000000,\"f\":[[\"drop\",2,0,2500000]],\"p\":[[%d,-1001000,%d,2000017],[%d,2000090]],"
		 "\"drop\":[0,0]}",
		 WIRE_SYN, WIRE_PROBE, WIRE_PROBE_REPLY);
	assert_string_equal(data, want);
	free(data);
	obs_release(&o);
}

UNIT_TESTS(cmocka_unit_test(test_failures_first), cmocka_unit_test(test_escaped), cmocka_unit_test(test_sweep),
	   cmocka_unit_test(test_repeats), cmocka_unit_test(test_run_data))
