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
#include <unistd.h>
#include <cmocka.h>

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
		"probe_replies,probe_reply_max_ms,description,setup_ms,connect_ms,teardown_ms,fault_lag_ms\r\n");
	free(buf);
}

static void test_rows(void **state)
{
	char path[] = "/tmp/deadpeer-csv-XXXXXX";
	int fd = mkstemp(path);
	const char *text =
		"[scenario]\nname = quoted\ndescription = Drop, then \"keepalive\"\n[client]\nkeepalive = yes\nkeepidle = 2s, 3s\n"
		"[fault]\naction = drop\ntarget = server\n[expect]\nclient = timeout keepalive within 1s..9s\n";
	struct scenario *s;
	struct variant v;
	struct run_result r;
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	s = scenario_load(path, stderr);
	assert_non_null(s);
	assert_int_equal(scenario_variant(s, 1, &v, stderr), 0);
	memset(&r, 0, sizeof(r));
	r.v = &v;
	r.run = 2;
	r.fault_at_ms = 1000;
	r.setup_us = 12345;
	r.connect_us = 678;
	r.teardown_us = -1;
	r.fault_lag_us = 87;
	r.side[HOST_CLIENT] = (struct side_result){
		.outcome = OUTCOME_TIMEOUT, .mechanism = MECH_KEEPALIVE, .err = 110, .detected = true,
		.detect_ms = 4095, .has_last_rx = true, .last_rx_ms = -1004, .keepidle_ms = 3000,
		.keepintvl_ms = 1000, .keepcnt = 3, .user_timeout_ms = 0, .probes = 3, .verdict = VERDICT_PASS,
		.has_prediction = true, .predicted_outcome = OUTCOME_TIMEOUT, .predicted_mechanism = MECH_KEEPALIVE,
		.predicted_ms = 3996,
		.has_wire_lag = true, .wire_lag_us = 52, .counted_on_wire = true,
		.probe_replies = 2, .probe_reply_max_us = 1071,
	};
	r.side[HOST_SERVER] = (struct side_result){
		.outcome = OUTCOME_NONE, .keepidle_ms = -1, .keepintvl_ms = -1, .keepcnt = -1, .user_timeout_ms = -1,
		.predicted_outcome = OUTCOME_NONE,
	};
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(csv_rows(f, &r), 0);
	fclose(f);
	char *second = strstr(buf, "\r\n");
	assert_non_null(second);
	*second = '\0';
	assert_string_equal(buf,
		"quoted,client.keepidle=3s,2,client,ipv4,drop,server,yes,3000,1000,3,0,idle,1000,timeout,"
		"keepalive,ETIMEDOUT,4095,-1004,3996,3,0,timeout keepalive within 1s..9s,pass,0.052,99,wire,0,timeout/keepalive,,"
		"2,1.071,\"Drop, then \"\"keepalive\"\"\",12.345,0.678,,0.087");
	assert_string_equal(second + 2,
		"quoted,client.keepidle=3s,2,server,ipv4,drop,server,no,,,,0,idle,1000,none,-,,,,,0,0,,-,,,tcp_info,,none,,,,\"Drop, then \"\"keepalive\"\"\",12.345,0.678,,0.087\r\n");
	free(buf);
	variant_release(&v);
	scenario_free(s);
	unlink(path);
}

static void test_read(void **state)
{
	const char text[] = "a,\"b,c\",\"say \"\"hi\"\"\"\r\n,\"two\nlines\",\r\nlast,row\n\"open";
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");
	char **fields;
	size_t n;

	(void)state;
	assert_int_equal(csv_read_row(f, &fields, &n), 1);
	assert_int_equal(n, 3);
	assert_string_equal(fields[0], "a");
	assert_string_equal(fields[1], "b,c");
	assert_string_equal(fields[2], "say \"hi\"");
	csv_fields_free(fields, n);
	assert_int_equal(csv_read_row(f, &fields, &n), 1);
	assert_int_equal(n, 3);
	assert_string_equal(fields[0], "");
	assert_string_equal(fields[1], "two\nlines");
	assert_string_equal(fields[2], "");
	csv_fields_free(fields, n);
	assert_int_equal(csv_read_row(f, &fields, &n), 1);
	assert_int_equal(n, 2);
	assert_string_equal(fields[1], "row");
	csv_fields_free(fields, n);
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
	assert_int_equal(csv_read_row(f, &fields, &n), 1);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(fields[i], row[i]);
	csv_fields_free(fields, n);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_write_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
