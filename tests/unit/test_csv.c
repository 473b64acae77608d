// SPDX-License-Identifier: MIT
/* results.csv: RFC 4180 quoting, the header, and the rows a run produces. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include "predict.h"
#include "report.h"

static char *field(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	csv_field(f, s);
	fclose(f);
	return buf;
}

static void check(const char *in, const char *out)
{
	char *got = field(in);

	assert_string_equal(got, out);
	free(got);
}

static void test_quoting(void **state)
{
	(void)state;
	check("plain", "plain");
	check("", "");
	check("a,b", "\"a,b\"");
	check("say \"hi\"", "\"say \"\"hi\"\"\"");
	check("two\nlines", "\"two\nlines\"");
	check("cr\rhere", "\"cr\rhere\"");
	check("timeout keepalive within 3.5s..5s", "timeout keepalive within 3.5s..5s");
}

static void test_header(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_int_equal(csv_header(f), 0);
	fclose(f);
	assert_string_equal(buf,
		"scenario,variant,run,side,family,action,target,keepalive,keepidle_ms,keepintvl_ms,keepcnt,"
		"user_timeout_ms,traffic,fault_at_ms,outcome,mechanism,errno,detect_ms,last_rx_ms,predicted_ms,"
		"probes,retransmits,expected,verdict,wire_lag_ms,model_error_ms,counts_from,zero_window_probes,predicted,error,"
		"probe_replies,probe_reply_max_ms,description,setup_ms,connect_ms,teardown_ms,fault_lag_ms,"
		"fault_hits,observer,connections,reconnect_ms,app_reaction,app_detect_ms,app_lag_ms,app_exit_status,"
		"app_line,observe_lag_ms,probability,predicted_earliest_ms,predicted_latest_ms,run_ms,kernel,hz,host\r\n");
	free(buf);
}

/* A scenario read from @text, through a file as the suite reads it. */
static struct scenario *scenario_of(const char *text)
{
	char path[] = "/tmp/deadpeer-csv-XXXXXX";
	int fd = mkstemp(path);
	struct scenario *s;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	s = scenario_load(path, stderr);
	unlink(path);
	assert_non_null(s);
	return s;
}

/* Both rows csv_rows writes for @r; the caller frees. */
static char *rows_of(const struct run_result *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(csv_rows(f, r), 0);
	fclose(f);
	/* Every row ends with where it was measured: this machine's kernel, HZ and host name; cut off here. */
	struct utsname u;
	char host[256] = "", where[600];
	int hz = predict_hz();
	assert_int_equal(uname(&u), 0);
	assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
	if (hz > 0)
		snprintf(where, sizeof(where), ",%s,%d,%s\r\n", u.release, hz, host);
	else
		snprintf(where, sizeof(where), ",%s,,%s\r\n", u.release, host);
	for (char *line = buf, *end; (end = strstr(line, "\r\n")); line = end + 2) {
		size_t w = strlen(where);
		char *at = end + 2 - w;
		assert_true(at >= line && strncmp(at, where, w) == 0);
		memmove(at + 2, end + 2, strlen(end + 2) + 1);
		at[0] = '\r';
		at[1] = '\n';
		end = at;
	}
	return buf;
}

static void test_rows(void **state)
{
	const char *text =
		"[scenario]\nname = quoted\ndescription = Drop, then \"keepalive\"\n[client]\nkeepalive = yes\nkeepidle = 2s, 3s\n"
		"[fault]\naction = drop\ntarget = server\n[expect]\nclient = timeout keepalive within 1s..9s\n";
	struct scenario *s;
	struct variant v;
	struct run_result r;
	char *buf;

	(void)state;
	s = scenario_of(text);
	assert_int_equal(scenario_variant(s, 1, &v, stderr), 0);
	memset(&r, 0, sizeof(r));
	r.v = &v;
	r.run = 2;
	r.fault_at_ms = 1000;
	r.setup_us = 12345;
	r.connect_us = 678;
	r.teardown_us = -1;
	r.run_us = 4567890;
	r.fault_lag_us = 87;
	r.fault_hits = 0;	/* counted, and nothing matched: 0, not empty */
	r.side[HOST_CLIENT] = (struct side_result){
		.outcome = OUTCOME_TIMEOUT, .mechanism = MECH_KEEPALIVE, .err = 110, .detected = true,
		.detect_ms = 4095, .has_last_rx = true, .last_rx_ms = -1004, .keepidle_ms = 3000,
		.keepintvl_ms = 1000, .keepcnt = 3, .user_timeout_ms = 0, .probes = 3, .verdict = VERDICT_PASS,
		.has_prediction = true, .predicted_outcome = OUTCOME_TIMEOUT, .predicted_mechanism = MECH_KEEPALIVE,
		.predicted_ms = 3996, .has_window = true, .predicted_earliest_ms = 3980, .predicted_latest_ms = 4012,
		.has_wire_lag = true, .wire_lag_us = 52, .counted_on_wire = true,
		.probe_replies = 2, .probe_reply_max_us = 1071,
	};
	r.side[HOST_SERVER] = (struct side_result){
		.outcome = OUTCOME_NONE, .keepidle_ms = -1, .keepintvl_ms = -1, .keepcnt = -1, .user_timeout_ms = -1,
		.predicted_outcome = OUTCOME_NONE,
	};
	buf = rows_of(&r);
	char *second = strstr(buf, "\r\n");
	assert_non_null(second);
	*second = '\0';
	assert_string_equal(buf,
		"quoted,client.keepidle=3s,2,client,ipv4,drop,server,yes,3000,1000,3,0,idle,1000,timeout,"
		"keepalive,ETIMEDOUT,4095,-1004,3996,3,0,timeout keepalive within 1s..9s,pass,0.052,99,wire,0,timeout/keepalive,,"
		"2,1.071,\"Drop, then \"\"keepalive\"\"\",12.345,0.678,,0.087,0,builtin,0,,none,,,,,,,3980,4012,4567.890");
	assert_string_equal(second + 2,
		"quoted,client.keepidle=3s,2,server,ipv4,drop,server,no,,,,0,idle,1000,none,-,,,,,0,0,,-,,,tcp_info,,none,,,,\"Drop, then \"\"keepalive\"\"\",12.345,0.678,,0.087,0,builtin,0,,none,,,,,,,,,4567.890\r\n");
	free(buf);
	variant_release(&v);
	scenario_free(s);
}

/* A side as a run starts it: nothing known yet, no prediction made. */
static const struct side_result unknown_side = {
	.outcome = OUTCOME_NONE, .keepidle_ms = -1, .keepintvl_ms = -1, .keepcnt = -1, .user_timeout_ms = -1,
	.predicted_outcome = OUTCOME_COUNT,
};

/* A failed run: no outcome and no counts, only the error and what was timed before it. */
static void test_rows_failed(void **state)
{
	struct scenario *s = scenario_of("[scenario]\nname = failing\ndescription = plain\n[server]\ntraffic = stream\n"
					 "user_timeout = 3500ms\n[fault]\naction = drop\ntarget = server\n"
					 "[expect]\nserver = timeout user-timeout\n");
	struct variant v;
	struct run_result r = { .run = 1, .failed = true, .fault_at_ms = 0, .setup_us = 999, .connect_us = -1,
				.teardown_us = -1, .run_us = -1, .fault_lag_us = -1, .fault_hits = -1,
				.side = { unknown_side, unknown_side } };
	char *buf;

	(void)state;
	assert_int_equal(scenario_variant(s, 0, &v, stderr), 0);
	r.v = &v;
	snprintf(r.error, sizeof(r.error), "setup: \"veth\" refused, EPERM");
	r.side[HOST_SERVER].outcome = OUTCOME_TIMEOUT;
	r.side[HOST_SERVER].probes = 4;
	buf = rows_of(&r);
	assert_string_equal(buf,
		"failing,,1,client,ipv4,drop,server,no,,,,0,idle,0,,,,,,,,,,-,,,,,,"
		"\"setup: \"\"veth\"\" refused, EPERM\",,,plain,0.999,,,,,,,,,,,,,,,,,\r\n"
		"failing,,1,server,ipv4,drop,server,no,,,,3500,stream,0,,,,,,,,,timeout user-timeout,-,,,,,,"
		"\"setup: \"\"veth\"\" refused, EPERM\",,,plain,0.999,,,,,,,,,,,,,,,,,\r\n");
	free(buf);
	variant_release(&v);
	scenario_free(s);
}

/*
 * No fault: empty action, target and fault_at_ms. A killed side has no
 * counts; a wire lag can be negative or zero; a prediction without a time
 * still names its outcome; hours of microseconds stay in milliseconds.
 */
static void test_rows_killed(void **state)
{
	struct scenario *s = scenario_of("[scenario]\nname = nofault\ndescription = plain\n"
					 "[client]\ntraffic = request\n[expect]\nclient = none\n");
	struct variant v;
	struct run_result r = { .run = 3, .fault_at_ms = -1, .setup_us = 1, .connect_us = 1000,
				.teardown_us = 123456789, .run_us = -1, .fault_lag_us = -1, .fault_hits = -1 };
	char *buf, sum[64];

	(void)state;
	assert_int_equal(scenario_variant(s, 0, &v, stderr), 0);
	r.v = &v;
	r.side[HOST_CLIENT] = (struct side_result){
		.outcome = OUTCOME_RST, .mechanism = MECH_PROBE, .err = ECONNRESET, .detected = true, .detect_ms = 0,
		.has_last_rx = true, .last_rx_ms = 0, .keepidle_ms = 7200000, .keepintvl_ms = 75000, .keepcnt = 9,
		.user_timeout_ms = 0, .probes = 1, .verdict = VERDICT_FAIL,
		.predicted_outcome = OUTCOME_TIMEOUT, .predicted_mechanism = MECH_ZERO_WINDOW,
		.has_wire_lag = true, .wire_lag_us = -999, .counted_on_wire = true,
	};
	r.side[HOST_SERVER] = (struct side_result){
		.outcome = OUTCOME_KILLED, .keepidle_ms = -1, .keepintvl_ms = -1, .keepcnt = -1, .probes = 5,
		.retransmits = 5, .counted_on_wire = true, .has_prediction = true, .predicted_outcome = OUTCOME_KILLED,
		.has_wire_lag = true, .wire_lag_us = 0,
	};
	buf = rows_of(&r);
	assert_string_equal(buf,
		"nofault,,3,client,ipv4,,,no,7200000,75000,9,0,request,,rst,probe,ECONNRESET,0,0,,1,0,none,fail,"
		"-0.999,,wire,0,timeout/zero-window,,0,,plain,0.001,1.000,123456.789,,,builtin,0,,none,,,,,,,,,\r\n"
		"nofault,,3,server,ipv4,,,no,,,,0,idle,,killed,-,,,,0,,,,-,0.000,,,,killed,,,,plain,0.001,1.000,"
		"123456.789,,,builtin,0,,,,,,,,,,,\r\n");
	free(buf);
	side_summary(sum, sizeof(sum), &r.side[HOST_CLIENT]);
	assert_string_equal(sum, "rst/probe 0ms");
	side_summary(sum, sizeof(sum), &r.side[HOST_SERVER]);
	assert_string_equal(sum, "killed");
	variant_release(&v);
	scenario_free(s);
}

/*
 * Two faults: actions and targets joined by "+", fault_at_ms the earliest,
 * fault_hits the packets their rules matched, probability the loss's share. An outcome other than the one
 * predicted has no model error; a side counted from TCP_INFO has no wire
 * counts.
 */
static void test_rows_two_faults(void **state)
{
	struct scenario *s = scenario_of("[scenario]\nname = two\ndescription = two faults, one kill\n"
					 "[client]\nkeepalive = yes\nkeepidle = 2s\nkeepintvl = 1s\nkeepcnt = 3\n"
					 "[fault]\nat = 500ms\naction = loss\nprobability = 30%\ntarget = server\nduration = 2500ms\n"
					 "[fault kill]\nat = 6s\naction = kill\ntarget = server\n"
					 "[expect]\nclient = fin within 5.4s..6s\nserver = killed\n");
	struct variant v;
	struct run_result r = { .run = 1, .fault_at_ms = 500, .setup_us = 7, .connect_us = 70, .teardown_us = 700, .run_us = -1,
				.fault_lag_us = 0, .fault_hits = 17 };
	char *buf, sum[64];

	(void)state;
	assert_int_equal(scenario_variant(s, 0, &v, stderr), 0);
	r.v = &v;
	r.side[HOST_CLIENT] = (struct side_result){
		.outcome = OUTCOME_FIN, .detected = true, .detect_ms = 5500, .has_last_rx = true, .last_rx_ms = 5499,
		.keepidle_ms = 2000, .keepintvl_ms = 1000, .keepcnt = 3, .user_timeout_ms = 0, .probes = 3,
		.verdict = VERDICT_PASS, .has_prediction = true, .predicted_outcome = OUTCOME_RST,
		.predicted_mechanism = MECH_DATA, .predicted_ms = 5500, .counted_on_wire = true, .probe_replies = 1,
		.probe_reply_max_us = 123456789012,
	};
	r.side[HOST_SERVER] = (struct side_result){
		.outcome = OUTCOME_HEARTBEAT, .detected = true, .detect_ms = -3, .keepidle_ms = -1, .keepintvl_ms = -1,
		.keepcnt = -1, .user_timeout_ms = -1, .has_prediction = true, .predicted_outcome = OUTCOME_HEARTBEAT,
		.predicted_ms = 1500, .has_wire_lag = true, .wire_lag_us = -1500000, .zero_window_probes = 9,
	};
	buf = rows_of(&r);
	assert_string_equal(buf,
		"two,,1,client,ipv4,loss+kill,server+server,yes,2000,1000,3,0,idle,500,fin,-,,5500,5499,5500,3,0,"
		"fin within 5.4s..6s,pass,,,wire,0,rst/data,,1,123456789.012,\"two faults, one kill\","
		"0.007,0.070,0.700,0.000,17,builtin,0,,none,,,,,,30,,,\r\n"
		"two,,1,server,ipv4,loss+kill,server+server,no,,,,0,idle,500,heartbeat,-,,-3,,1500,0,0,killed,-,"
		"-1500.000,-1503,tcp_info,,heartbeat,,,,\"two faults, one kill\",0.007,0.070,0.700,0.000,17,builtin,0,,none,,,,,,30,,,\r\n");
	free(buf);
	side_summary(sum, sizeof(sum), &r.side[HOST_SERVER]);
	assert_string_equal(sum, "heartbeat -3ms");
	variant_release(&v);
	scenario_free(s);
}

/*
 * An app side: its socket options are what was read back, never the file's
 * (traffic "app"); the program's view in the last columns; the expected
 * column holds both of a side's expectations.
 */
static void test_rows_app(void **state)
{
	struct scenario *s = scenario_of("[scenario]\nname = appcsv\ndescription = app\n[server]\napp = sh -c true\n"
					 "[client]\nkeepalive = yes\nkeepidle = 2s\n[fault]\naction = drop\ntarget = server\n"
					 "[expect]\nserver = timeout keepalive\nserver_app = error within 1s..5s\n"
					 "client_app = eof\n");
	struct variant v;
	struct run_result r = { .run = 1, .fault_at_ms = 1000, .setup_us = 1000, .connect_us = -1, .teardown_us = -1, .run_us = -1,
				.fault_lag_us = -1, .fault_hits = -1 };
	char *buf, sum[64];

	(void)state;
	assert_int_equal(scenario_variant(s, 0, &v, stderr), 0);
	r.v = &v;
	r.side[HOST_CLIENT] = (struct side_result){
		.outcome = OUTCOME_NONE, .keepalive = 0, .keepidle_ms = 2000, .keepintvl_ms = 75000, .keepcnt = 9,
		.user_timeout_ms = 0, .predicted_outcome = OUTCOME_COUNT, .verdict = VERDICT_FAIL,
		.observer = OBSERVER_BUILTIN, .connections = 1, .app_reaction = APP_REACT_NONE,
	};
	r.side[HOST_SERVER] = (struct side_result){
		.outcome = OUTCOME_TIMEOUT, .mechanism = MECH_KEEPALIVE, .err = ETIMEDOUT, .detected = true,
		.detect_ms = 4095, .keepalive = 1, .keepidle_ms = 15000, .keepintvl_ms = 5000, .keepcnt = 3,
		.user_timeout_ms = 0, .probes = 3, .predicted_outcome = OUTCOME_COUNT, .verdict = VERDICT_PASS,
		.observer = OBSERVER_EBPF, .connections = 2, .has_reconnect = true, .reconnect_ms = 1500,
		.app_reaction = APP_REACT_ERROR, .app_err = ECONNRESET, .app_detected = true, .app_detect_ms = 4100,
		.has_app_lag = true, .app_lag_ms = 5, .app_exited = true, .app_exit_status = 1,
		.app_line = "Error: reset, \"x\"",
	};
	buf = rows_of(&r);
	assert_string_equal(buf,
		"appcsv,,1,client,ipv4,drop,server,yes,2000,75000,9,0,idle,1000,none,-,,,,,0,0,eof,fail,,,tcp_info,,,,"
		",,app,1.000,,,,,builtin,1,,none,,,,,,,,,\r\n"
		"appcsv,,1,server,ipv4,drop,server,yes,15000,5000,3,0,app,1000,timeout,keepalive,ETIMEDOUT,4095,,,3,0,"
		"timeout keepalive; error within 1s..5s,pass,,,tcp_info,,,,,,app,1.000,,,,,ebpf,2,1500,error,4100,5,1,"
		"\"Error: reset, \"\"x\"\"\",,,,,\r\n");
	free(buf);
	app_summary(sum, sizeof(sum), &r.side[HOST_SERVER]);
	assert_string_equal(sum, "error 4.100s");
	app_summary(sum, sizeof(sum), &r.side[HOST_CLIENT]);
	assert_string_equal(sum, "none");

	/* Nothing read back: empty, not the scenario's defaults; a negative lag and exit status 0 are figures. */
	r.side[HOST_SERVER] = (struct side_result){
		.outcome = OUTCOME_NONE, .keepalive = -1, .keepidle_ms = -1, .keepintvl_ms = -1, .keepcnt = -1,
		.user_timeout_ms = -1, .predicted_outcome = OUTCOME_COUNT, .observer = OBSERVER_SOCK_DIAG,
		.connections = 1, .app_reaction = APP_REACT_LINE, .app_detected = true, .app_detect_ms = 900,
		.has_app_lag = true, .app_lag_ms = -3100, .app_exited = true, .app_exit_status = 0,
		.app_line = "ping timeout",
	};
	buf = rows_of(&r);
	assert_non_null(strstr(buf, "\r\nappcsv,,1,server,ipv4,drop,server,,,,,,app,1000,none,-,"));
	assert_non_null(strstr(buf, ",sock_diag,1,,line,900,-3100,0,ping timeout,,,,,\r\n"));
	free(buf);

	/* A failed run: no view of either kind, whatever the side held. */
	r.failed = true;
	r.side[HOST_SERVER].keepalive = 1;
	buf = rows_of(&r);
	assert_non_null(strstr(buf, "\r\nappcsv,,1,server,ipv4,drop,server,,,,,,app,1000,,,"));
	assert_non_null(strstr(buf, "app,1.000,,,,,,,,,900,-3100,0,ping timeout,,,,,\r\n"));
	free(buf);
	variant_release(&v);
	scenario_free(s);
}

/* The reader's names are the writer's: the header is every csv_column_name in order. */
static void test_column_names(void **state)
{
	char *buf = NULL, *expect = NULL;
	size_t len = 0, elen = 0;
	FILE *f = open_memstream(&buf, &len), *e = open_memstream(&expect, &elen);

	(void)state;
	assert_int_equal(csv_header(f), 0);
	fclose(f);
	for (int c = 0; c < COL_COUNT; c++)
		fprintf(e, "%s%s", c ? "," : "", csv_column_name(c));
	fputs("\r\n", e);
	fclose(e);
	assert_string_equal(buf, expect);
	assert_string_equal(csv_column_name(COL_DETECT_MS), "detect_ms");
	assert_string_equal(csv_column_name(COL_FAULT_LAG_MS), "fault_lag_ms");
	assert_string_equal(csv_column_name(COL_FAULT_HITS), "fault_hits");
	assert_string_equal(csv_column_name(COL_OBSERVER), "observer");
	assert_string_equal(csv_column_name(COL_OBSERVE_LAG_MS), "observe_lag_ms");
	assert_string_equal(csv_column_name(COL_COUNT - 1), "host");
	free(buf);
	free(expect);
}

/* The next record of @f is the @n fields of @want. */
static void expect_row(FILE *f, size_t n, const char *const *want)
{
	char **fields;
	size_t got;

	assert_int_equal(csv_read_row(f, &fields, &got), 1);
	assert_int_equal(got, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(fields[i], want[i]);
	csv_fields_free(fields, got);
}

static void test_read(void **state)
{
	const char text[] = "a,\"b,c\",\"say \"\"hi\"\"\"\r\n,\"two\nlines\",\r\nlast,row\n\"open";
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");
	char **fields;
	size_t n;

	(void)state;
	expect_row(f, 3, (const char *const[]){ "a", "b,c", "say \"hi\"" });
	expect_row(f, 3, (const char *const[]){ "", "two\nlines", "" });
	expect_row(f, 2, (const char *const[]){ "last", "row" });
	/* An unterminated quote is an error, then the end. */
	assert_int_equal(csv_read_row(f, &fields, &n), -1);
	assert_int_equal(csv_read_row(f, &fields, &n), 0);
	fclose(f);

	/* What csv_rows writes reads back field for field. */
	char *buf = NULL;
	size_t len = 0;
	f = open_memstream(&buf, &len);
	const char *row[] = { "x", "a,b", "q\"q", "", "line\nbreak" };
	for (size_t i = 0; i < 5; i++) {
		if (i)
			fputc(',', f);
		csv_field(f, row[i]);
	}
	fputs("\r\n", f);
	fclose(f);
	f = fmemopen(buf, len, "r");
	expect_row(f, 5, row);
	assert_int_equal(csv_read_row(f, &fields, &n), 0);
	fclose(f);
	free(buf);
}

/* A full disk: the header is refused with ENOSPC, not silently lost. */
static void test_write_error(void **state)
{
	FILE *f = fopen("/dev/full", "w");

	(void)state;
	if (!f)
		skip();
	assert_int_equal(csv_header(f), -ENOSPC);
	fclose(f);
}

UNIT_TESTS(
	cmocka_unit_test(test_quoting),
	cmocka_unit_test(test_header),
	cmocka_unit_test(test_read),
	cmocka_unit_test(test_rows),
	cmocka_unit_test(test_rows_failed),
	cmocka_unit_test(test_rows_killed),
	cmocka_unit_test(test_rows_two_faults),
	cmocka_unit_test(test_rows_app),
	cmocka_unit_test(test_column_names),
	cmocka_unit_test(test_write_error)
)
