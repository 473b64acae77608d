// SPDX-License-Identifier: MIT
/*
 * Scenario files: every key parsed, every bad value and impossible
 * combination reported as "FILE:LINE: message" naming the key or value and
 * what was expected.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include "fault.h"
#include "scenario.h"

static char path[64];

static void write_file(const char *text)
{
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/deadpeer-parse-%d.scn", (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Load @text; return the scenario, with everything printed to stderr in *errors. */
static struct scenario *load(const char *text, char **errors)
{
	size_t len = 0;
	FILE *err;
	struct scenario *s;

	write_file(text);
	*errors = NULL;
	err = open_memstream(errors, &len);
	s = scenario_load(path, err);
	if (s) {
		/* Expand every variant, as check and run do. */
		size_t n = scenario_variant_count(s);
		for (size_t i = 0; i < n; i++) {
			struct variant v;
			if (scenario_variant(s, i, &v, err) < 0) {
				scenario_free(s);
				s = NULL;
				break;
			}
			variant_release(&v);
		}
	}
	fclose(err);
	unlink(path);
	return s;
}

/* @text must fail with "@path:@line: @message..." as its first error. */
static void expect_error(const char *text, int line, const char *message)
{
	char *errors, want[512];
	struct scenario *s = load(text, &errors);

	if (s)
		fail_msg("accepted:\n%s", text);
	snprintf(want, sizeof(want), "%s:%d: %s", path, line, message);
	if (strncmp(errors, want, strlen(want)) != 0)
		fail_msg("wanted  %s\ngot     %s", want, errors);
	free(errors);
}

static struct scenario *load_ok(const char *text)
{
	char *errors;
	struct scenario *s = load(text, &errors);

	if (!s)
		fail_msg("rejected: %s", errors);
	free(errors);
	return s;
}

static const char full[] =
	"# every key of the scenario format\n"
	"[scenario]\n"
	"name = server-crash-restart      ; default: the file name\n"
	"description = Server host loses power and reboots\n"
	"family = ipv6\n"
	"deadline = 20s\n"
	"repeat = 2\n"
	"\n"
	"[client]\n"
	"keepalive = yes\n"
	"keepidle = 3s\n"
	"keepintvl = 1s\n"
	"keepcnt = 3\n"
	"user_timeout = 0\n"
	"traffic = heartbeat\n"
	"interval = 100ms\n"
	"size = 100\n"
	"heartbeat_timeout = 2s\n"
	"sysctl.net.ipv4.tcp_retries2 = 5 ; written in the client's namespace\n"
	"[server]\n"
	"keepalive = no\n"
	"traffic = stream\n"
	"port = 8080\n"
	"[router]\n"
	"idle_timeout = 30s\n"
	"idle_action = reset\n"
	"sysctl.net.netfilter.nf_conntrack_tcp_loose = 0\n"
	"[fault]\n"
	"at = 1.5s\n"
	"action = crash\n"
	"target = server\n"
	"restart = 500ms\n"
	"restart_service = yes\n"
	"[fault second]\n"
	"at = 4s\n"
	"action = drop\n"
	"target = router\n"
	"direction = to-client\n"
	"duration = 2s\n"
	"[expect]\n"
	"client = rst within 1s..3s\n"
	"server = killed\n";

static void test_every_key(void **state)
{
	struct scenario *s = load_ok(full);
	struct variant v;

	(void)state;
	assert_string_equal(scenario_name(s), "server-crash-restart");
	assert_string_equal(scenario_description(s), "Server host loses power and reboots");
	assert_int_equal(scenario_variant_count(s), 1);
	assert_int_equal(scenario_variant(s, 0, &v, stderr), 0);
	assert_string_equal(v.name, "server-crash-restart");
	assert_int_equal(v.family, FAMILY_IPV6);
	assert_int_equal(v.deadline_ms, 20000);
	assert_int_equal(v.repeat, 2);
	const struct side_cfg *c = &v.side[HOST_CLIENT], *sv = &v.side[HOST_SERVER];
	assert_true(c->keepalive);
	assert_int_equal(c->keepidle_ms, 3000);
	assert_int_equal(c->keepintvl_ms, 1000);
	assert_int_equal(c->keepcnt, 3);
	assert_int_equal(c->user_timeout_ms, 0);
	assert_int_equal(c->traffic, TRAFFIC_HEARTBEAT);
	assert_int_equal(c->interval_ms, 100);
	assert_int_equal(c->size, 100);
	assert_int_equal(c->heartbeat_timeout_ms, 2000);
	assert_int_equal(c->n_sysctls, 1);
	assert_string_equal(c->sysctls[0].key, "net.ipv4.tcp_retries2");
	assert_string_equal(c->sysctls[0].value, "5");
	assert_int_equal(c->sysctls[0].line, 19);
	assert_false(sv->keepalive);
	assert_int_equal(sv->keepidle_ms, -1);
	assert_int_equal(sv->keepcnt, -1);
	assert_int_equal(sv->traffic, TRAFFIC_STREAM);
	assert_int_equal(sv->port, 8080);
	assert_int_equal(c->port, DEFAULT_PORT);
	assert_int_equal(v.router.idle_timeout_ms, 30000);
	assert_int_equal(v.router.idle_action, IDLE_RESET);
	assert_int_equal(v.router.n_sysctls, 1);
	assert_int_equal(v.n_faults, 2);
	assert_string_equal(v.faults[0].name, "");
	assert_int_equal(v.faults[0].at_ms, 1500);
	assert_ptr_equal(v.faults[0].kind, fault_kind_find("crash"));
	assert_int_equal(v.faults[0].target, HOST_SERVER);
	assert_int_equal(v.faults[0].restart_ms, 500);
	assert_true(v.faults[0].restart_service);
	assert_string_equal(v.faults[1].name, "second");
	assert_ptr_equal(v.faults[1].kind, fault_kind_find("drop"));
	assert_int_equal(v.faults[1].target, HOST_ROUTER);
	assert_int_equal(v.faults[1].direction, DIR_TO_CLIENT);
	assert_int_equal(v.faults[1].duration_ms, 2000);
	assert_string_equal(v.expect[HOST_CLIENT].text, "rst within 1s..3s");
	assert_int_equal(v.expect[HOST_CLIENT].outcome, OUTCOME_RST);
	assert_true(v.expect[HOST_CLIENT].any_mechanism);
	assert_true(v.expect[HOST_CLIENT].has_window);
	assert_int_equal(v.expect[HOST_CLIENT].min_ms, 1000);
	assert_int_equal(v.expect[HOST_CLIENT].max_ms, 3000);
	assert_int_equal(v.expect[HOST_SERVER].outcome, OUTCOME_KILLED);
	variant_release(&v);
	scenario_free(s);
}

/* A loss's share, with or without "%", and a sweep of shares named as written. */
static void test_loss_probability(void **state)
{
	struct scenario *s = load_ok("[fault]\naction = loss\ntarget = router\ndirection = to-client\n"
				     "probability = 30 %, 5, 99%\n");
	struct variant v;

	(void)state;
	assert_int_equal(scenario_variant_count(s), 3);
	const int64_t want[] = { 30, 5, 99 };
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(scenario_variant(s, i, &v, stderr), 0);
		assert_ptr_equal(v.faults[0].kind, fault_kind_find("loss"));
		assert_int_equal(v.faults[0].target, HOST_ROUTER);
		assert_int_equal(v.faults[0].direction, DIR_TO_CLIENT);
		assert_int_equal(v.faults[0].probability, want[i]);
		if (i == 0)
			assert_non_null(strstr(v.name, "[fault.probability=30 %]"));
		variant_release(&v);
	}
	scenario_free(s);
	/* Other kinds never have one. */
	s = load_ok("[fault]\naction = drop\ntarget = router\n");
	assert_int_equal(scenario_variant(s, 0, &v, stderr), 0);
	assert_int_equal(v.faults[0].probability, 0);
	variant_release(&v);
	scenario_free(s);
}

static void test_defaults(void **state)
{
	struct scenario *s = load_ok("[scenario]\n");
	struct variant v;

	(void)state;
	assert_int_equal(scenario_variant(s, 0, &v, stderr), 0);
	/* The name defaults to the file name without .scn. */
	assert_non_null(strstr(v.name, "deadpeer-parse-"));
	assert_null(strstr(v.name, ".scn"));
	assert_int_equal(v.family, FAMILY_IPV4);
	assert_int_equal(v.repeat, 1);
	assert_int_equal(v.n_faults, 0);
	assert_false(v.side[HOST_CLIENT].keepalive);
	assert_int_equal(v.side[HOST_CLIENT].keepidle_ms, -1);
	assert_int_equal(v.side[HOST_CLIENT].traffic, TRAFFIC_IDLE);
	assert_int_equal(v.router.idle_timeout_ms, -1);
	assert_int_equal(v.router.idle_action, IDLE_DROP);
	assert_null(v.expect[HOST_CLIENT].text);
	variant_release(&v);
	scenario_free(s);
}

static void test_sweep(void **state)
{
	struct scenario *s = load_ok(
		"[scenario]\nname = sweep\nfamily = ipv4, ipv6\n"
		"[client]\nkeepalive = yes\nkeepidle = 1s, 2s, 3s\n"
		"[fault probe]\naction = drop\ntarget = server\nat = 1s,2s\n");
	struct variant v;

	(void)state;
	assert_int_equal(scenario_variant_count(s), 12);
	assert_int_equal(scenario_variant(s, 0, &v, stderr), 0);
	assert_string_equal(v.name, "sweep[family=ipv4,client.keepidle=1s,fault probe.at=1s]");
	variant_release(&v);
	/* The first list varies fastest. */
	assert_int_equal(scenario_variant(s, 1, &v, stderr), 0);
	assert_int_equal(v.family, FAMILY_IPV6);
	assert_int_equal(v.side[HOST_CLIENT].keepidle_ms, 1000);
	variant_release(&v);
	assert_int_equal(scenario_variant(s, 11, &v, stderr), 0);
	assert_string_equal(v.name, "sweep[family=ipv6,client.keepidle=3s,fault probe.at=2s]");
	assert_int_equal(v.family, FAMILY_IPV6);
	assert_int_equal(v.side[HOST_CLIENT].keepidle_ms, 3000);
	assert_int_equal(v.faults[0].at_ms, 2000);
	variant_release(&v);
	scenario_free(s);
}

static void test_bad_values(void **state)
{
	(void)state;
	expect_error("[scenario]\n[fault]\naction = dorp\n", 3,
		     "unknown action 'dorp' (expected drop, reject, link-down, kill, crash, freeze, loss, mtu-blackhole)");
	expect_error("[client]\nkeepcnt = 0\n", 2, "keepcnt: 0 is out of range (expected 1 to 127)");
	expect_error("[client]\nkeepcnt = 128\n", 2, "keepcnt: 128 is out of range (expected 1 to 127)");
	expect_error("[client]\nkeepcnt = three\n", 2, "keepcnt: 'three' is not a whole number");
	/* A loss's share: a whole percentage from 1 to 99, "%" optional; messages quote what was written. */
	expect_error("[fault]\naction = loss\ntarget = router\nprobability = 0\n", 4,
		     "probability: 0 is out of range (expected 1% to 99%)");
	expect_error("[fault]\naction = loss\ntarget = router\nprobability = 100%\n", 4,
		     "probability: 100% is out of range (expected 1% to 99%)");
	expect_error("[fault]\naction = loss\ntarget = router\nprobability = 150%\n", 4,
		     "probability: 150% is out of range (expected 1% to 99%)");
	expect_error("[fault]\naction = loss\ntarget = router\nprobability = 0.5%\n", 4,
		     "probability: '0.5%' is not a whole number (expected 1% to 99%)");
	expect_error("[fault]\naction = loss\ntarget = router\nprobability = 30%%\n", 4,
		     "probability: '30%%' is not a whole number (expected 1% to 99%)");
	expect_error("[fault]\naction = loss\ntarget = router\nprobability = %\n", 4,
		     "probability: '%' is not a whole number (expected 1% to 99%)");
	expect_error("[client]\nkeepidle = 1500ms\n", 2, "keepidle: '1500ms' is not a whole number of seconds");
	expect_error("[client]\nkeepidle = 0\n", 2, "keepidle: '0' is out of range (expected 1s to 9h6m7s)");
	expect_error("[client]\nkeepintvl = 3x\n", 2, "keepintvl: invalid duration '3x': unknown unit (expected ms, s, m or h)");
	expect_error("[client]\nkeepalive = maybe\n", 2, "keepalive: 'maybe' is not a boolean (expected yes or no)");
	expect_error("[client]\ntraffic = bulk\n", 2, "unknown traffic 'bulk' (expected idle, stream, request, heartbeat)");
	expect_error("[client]\nsize = 2\n", 2, "size: 2 is out of range (expected 4 to 65536)");
	expect_error("[client]\ninterval = 0\n", 2, "interval: '0' is out of range");
	expect_error("[client]\nuser_timeout = -1s\n", 2, "user_timeout: invalid duration '-1s'");
	expect_error("[scenario]\nfamily = ipv5\n", 2, "unknown family 'ipv5' (expected ipv4, ipv6)");
	expect_error("[scenario]\ndeadline = 0\n", 2, "deadline: '0' is out of range");
	expect_error("[scenario]\nrepeat = 0\n", 2, "repeat: 0 is out of range (expected 1 to 1000)");
	expect_error("[server]\nport = 70000\n", 2, "port: 70000 is out of range (expected 1 to 65535)");
	expect_error("[fault]\ndirection = sideways\n", 2, "unknown direction 'sideways' (expected both, to-server, to-client)");
	expect_error("[router]\nidle_timeout = 2s\nidle_action = reject\n", 3,
		     "unknown idle_action 'reject' (expected drop, reset)");
	expect_error("[fault]\ntarget = switch\n", 2, "unknown target 'switch' (expected client, server, router)");
	expect_error("[fault]\nrestart_service = 1\n", 2, "restart_service: '1' is not a boolean");
	expect_error("[scenario]\nname = has space\n", 2, "name 'has space' may hold only letters");
	expect_error("[client]\nkeepidle = 1s,,2s\n", 2, "keepidle: empty value in list");
	expect_error("[client]\nkeepidle =\n", 2, "keepidle: empty value");
	expect_error("[client]\nkeepidle = 1s, 2x\n", 2, "keepidle: invalid duration '2x'");
	/* The same text twice would make two variants of one name. */
	expect_error("[client]\nkeepcnt = 3, 3\n", 2, "keepcnt: '3' is listed twice");
	expect_error("[fault]\naction = drop, kill ,drop\n", 2, "action: 'drop' is listed twice");
	expect_error("[router]\nsysctl.net.ipv4.ip_forward = 1, 1\n", 2, "sysctl.net.ipv4.ip_forward: '1' is listed twice");
	struct scenario *s = load_ok("[client]\nkeepalive = yes\nkeepidle = 1s, 1000ms\n");
	assert_int_equal(scenario_variant_count(s), 2);
	scenario_free(s);
}

static void test_bad_structure(void **state)
{
	(void)state;
	expect_error("[scenario]\n[clinet]\nkeepalive = yes\n", 2,
		     "unknown section [clinet] (expected scenario, client, server, router, fault, fault NAME, expect, expect WHEN)");
	expect_error("[client]\nkeepidl = 3s\n", 2, "unknown key 'keepidl' in [client] (expected keepalive, keepidle,");
	expect_error("[client]\nport = 80\n", 2, "unknown key 'port' in [client]");
	expect_error("[client]\nkeepidle = 3s\nkeepidle = 4s\n", 3, "'keepidle' is already set on line 2");
	expect_error("[client]\n[client]\n", 2, "section [client] appears twice (first on line 1)");
	expect_error("[fault a]\naction = kill\ntarget = server\n[fault a]\n", 4, "fault 'a' is already defined on line 1");
	expect_error("[scenario x]\n", 1, "section [scenario] takes no name, got 'x'");
	expect_error("[scenario\n", 1, "section header without closing ']'");
	expect_error("keepalive = yes\n", 1, "'keepalive = yes' is outside any section");
	expect_error("[client]\nkeepalive\n", 2, "expected 'key = value', got 'keepalive'");
}

static void test_long_and_binary_lines(void **state)
{
	char text[512];

	(void)state;
	snprintf(text, sizeof(text), "[scenario]\ndescription = %0300d\n", 0);
	expect_error(text, 2, "line too long (314 characters, at most 198)");
	write_file("[scenario]\nna\0me = x\n");
	FILE *f = fopen(path, "w");
	fwrite("[scenario]\nna\0me = x\n", 1, 21, f);
	fclose(f);
	char *errors = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&errors, &len);
	assert_null(scenario_load(path, err));
	fclose(err);
	assert_non_null(strstr(errors, ":2: line contains a NUL byte"));
	free(errors);
	unlink(path);
	expect_error("", 1, "empty scenario");
	expect_error("# only a comment\n", 1, "empty scenario");
}

static void test_sysctls(void **state)
{
	(void)state;
	expect_error("[client]\nsysctl.kernel.panic = 1\n", 2,
		     "sysctl 'kernel.panic' is not a network sysctl (only net.* is per namespace)");
	expect_error("[client]\nsysctl.net/../x = 1\n", 2, "invalid key 'sysctl.net/../x'");
	expect_error("[client]\nsysctl.net..x = 1\n", 2, "sysctl 'net..x' is not a valid name");
	expect_error("[scenario]\nsysctl.net.ipv4.tcp_retries2 = 5\n", 2, "unknown key 'sysctl.net.ipv4.tcp_retries2' in [scenario]");
	expect_error("[fault]\nsysctl.net.ipv4.tcp_retries2 = 5\n", 2, "unknown key 'sysctl.net.ipv4.tcp_retries2' in [fault]");
	/* Visible and writable in a run's namespace, but their effect is host-wide. */
	expect_error("[router]\nsysctl.net.netfilter.nf_hooks_lwtunnel = 1\n", 2,
		     "sysctl 'net.netfilter.nf_hooks_lwtunnel' is not per namespace: writing 1 turns on netfilter hooks "
		     "for lightweight tunnels host-wide, a static key that cannot be turned off again");
	expect_error("[client]\nsysctl.net.ipv4.tcp_allowed_congestion_control = reno\n", 2,
		     "sysctl 'net.ipv4.tcp_allowed_congestion_control' is not per namespace: it sets which congestion controls");
	scenario_free(load_ok("[router]\nsysctl.net.netfilter.nf_conntrack_tcp_loose = 0\n"
			      "[client]\nsysctl.net.ipv4.tcp_congestion_control = reno\n"));
}

static void test_expectations(void **state)
{
	(void)state;
	expect_error("[expect]\nclient = dead\n", 2,
		     "unknown outcome 'dead' (expected fin, rst, timeout, heartbeat, none, killed, refused)");
	expect_error("[expect]\nclient = timeout probe\n", 2,
		     "unknown mechanism 'probe' for timeout (expected keepalive, retransmission, zero-window, user-timeout, syn)");
	expect_error("[expect]\nclient = rst keepalive\n", 2, "unknown mechanism 'keepalive' for rst (expected probe, data, -)");
	expect_error("[expect]\nclient = fin keepalive\n", 2, "outcome 'fin' takes no mechanism, got 'keepalive'");
	expect_error("[expect]\nclient = rst within 3s\n", 2, "'within' needs a range MIN..MAX");
	expect_error("[expect]\nclient = rst within 3s..1s\n", 2, "empty range '3s..1s' (MIN is above MAX)");
	expect_error("[expect]\nclient = rst within 1x..3s\n", 2, "invalid range '1x..3s'");
	expect_error("[expect]\nclient = none within 1s..3s\n", 2, "outcome 'none' has no detection time");
	expect_error("[expect]\nclient = rst soon\n", 2, "unknown mechanism 'soon' for rst");
	expect_error("[expect]\nclient = rst within 1s..3s later\n", 2,
		     "unexpected 'later' (expected 'within MIN..MAX', 'probes N[..M]' or 'answered')");
	expect_error("[expect]\nclient = rst within 1s..3s within 1s..2s\n", 2, "'within' given twice");
	expect_error("[expect]\nclient = none probes\n", 2, "'probes' needs a count N or a range N..M");
	expect_error("[expect]\nclient = none probes -1\n", 2, "invalid probe count '-1'");
	expect_error("[expect]\nclient = none probes 3..x\n", 2, "invalid probe count '3..x'");
	expect_error("[expect]\nclient = none probes 99999999999999999999\n", 2, "invalid probe count");
	expect_error("[expect]\nclient = none probes 4..2\n", 2, "empty probe range '4..2' (N is above M)");
	expect_error("[expect]\nclient = none answered answered\n", 2, "'answered' given twice");
	expect_error("[expect]\nclient = killed probes 1\n", 2, "a killed side's probes are not counted; 'probes' and 'answered' do not apply");
	expect_error("[expect]\nrouter = none\n", 2,
		     "unknown key 'router' in [expect] (expected client, server, client_app, server_app)");
	expect_error("[expect]\nrouter_app = none\n", 2, "unknown key 'router_app' in [expect]");
	expect_error("[expect]\n_app = none\n", 2, "unknown key '_app' in [expect]");
	scenario_free(load_ok("[expect]\nclient = timeout retransmission within 0..1h\nserver = rst -\n"));
	scenario_free(load_ok("[expect]\nclient = none probes 2..4 answered\nserver = timeout keepalive probes 3 within 1s..9s\n"));
}

static void test_combinations(void **state)
{
	(void)state;
	expect_error("[fault]\ntarget = server\n", 1, "[fault] needs an action");
	expect_error("[fault x]\naction = kill\n", 1, "[fault x] needs a target (client, server)");
	expect_error("[fault]\naction = kill\ntarget = router\n", 3, "target = router is only possible for drop, reject, loss and mtu-blackhole, not kill");
	expect_error("[fault]\naction = freeze\ntarget = server\ndirection = both\n", 4,
		     "direction applies only to drop, reject, loss and mtu-blackhole, not freeze");
	expect_error("[fault]\naction = drop\ntarget = router\nprobability = 30%\n", 4,
		     "probability applies only to loss, not drop");
	expect_error("[scenario]\n[fault]\naction = loss\ntarget = server\n", 3,
		     "action = loss needs probability = P% (1% to 99%)");
	/* In a sweep, the kinds that take no probability are named. */
	expect_error("[fault]\naction = loss, freeze\ntarget = server\nprobability = 5\n", 4,
		     "probability applies only to loss, not freeze");
	expect_error("[fault]\naction = kill\ntarget = server\nduration = 1s\n", 4,
		     "duration does not apply to kill (a killed process stays dead)");
	expect_error("[fault]\naction = crash\ntarget = server\nduration = 1s\n", 4,
		     "duration does not apply to crash (use restart to bring the host back)");
	expect_error("[fault]\naction = drop\ntarget = server\nrestart = 1s\n", 4, "restart applies only to crash, not drop");
	expect_error("[fault]\naction = crash\ntarget = client\nrestart = 1s\nrestart_service = yes\n", 5,
		     "restart_service applies only to a crash of the server");
	expect_error("[fault]\naction = crash\ntarget = server\nrestart_service = yes\n", 4,
		     "restart_service = yes needs restart = DURATION");
	expect_error("[client]\ntraffic = heartbeat\ninterval = 2s\nheartbeat_timeout = 1s\n", 4,
		     "heartbeat_timeout must be longer than interval");
	/* A combination that only some variants of a sweep make impossible is still an error. */
	expect_error("[fault]\naction = drop, kill\ntarget = router\n", 3,
		     "target = router is only possible for drop, reject, loss and mtu-blackhole, not kill");
	scenario_free(load_ok("[fault]\naction = crash\ntarget = server\nrestart_service = no\n"));
	/* What the middlebox does with a forgotten flow needs a middlebox, wherever idle_timeout comes. */
	expect_error("[router]\nidle_action = reset\n", 2, "idle_action needs idle_timeout");
	expect_error("[router]\nsysctl.net.netfilter.nf_conntrack_tcp_loose = 0\nidle_action = drop, reset\n", 3,
		     "idle_action needs idle_timeout");
	scenario_free(load_ok("[router]\nidle_action = reset\nidle_timeout = 2s\n"));
}

/* idle_action is swept like any key, and named as the variants show it. */
static void test_idle_action_sweep(void **state)
{
	struct scenario *s = load_ok("[scenario]\nname = mb\n[router]\nidle_timeout = 2s\nidle_action = drop, reset\n"
				     "[expect router.idle_action=reset]\nclient = rst data\n");
	struct variant v;

	(void)state;
	assert_int_equal(scenario_variant_count(s), 2);
	assert_int_equal(scenario_variant(s, 0, &v, stderr), 0);
	assert_string_equal(v.name, "mb[router.idle_action=drop]");
	assert_int_equal(v.router.idle_action, IDLE_DROP);
	assert_null(v.expect[HOST_CLIENT].text);
	variant_release(&v);
	assert_int_equal(scenario_variant(s, 1, &v, stderr), 0);
	assert_string_equal(v.name, "mb[router.idle_action=reset]");
	assert_int_equal(v.router.idle_action, IDLE_RESET);
	assert_int_equal(v.router.idle_timeout_ms, 2000);
	assert_int_equal(v.expect[HOST_CLIENT].mechanism, MECH_DATA);
	variant_release(&v);
	scenario_free(s);
}

/* start = listening: the connect is on the timeline; what cannot act before it is refused. */
static void test_start(void **state)
{
	struct scenario *s;
	struct variant v;

	(void)state;
	s = load_ok("[scenario]\nstart = listening\n[client]\nconnect_at = 1500ms\n"
		    "[fault]\nat = 0\naction = drop\ntarget = client\n[expect]\nclient = timeout syn within 8s..9s\n"
		    "server = none\n");
	assert_int_equal(scenario_variant(s, 0, &v, stderr), 0);
	assert_int_equal(v.start, START_LISTENING);
	assert_int_equal(v.side[HOST_CLIENT].connect_at_ms, 1500);
	assert_int_equal(v.expect[HOST_CLIENT].outcome, OUTCOME_TIMEOUT);
	assert_int_equal(v.expect[HOST_CLIENT].mechanism, MECH_SYN);
	variant_release(&v);
	scenario_free(s);
	s = load_ok("[scenario]\nstart = listening\n[fault]\nat = 0\naction = reject\ntarget = router\n"
		    "[expect]\nclient = refused within 0..100ms\n");
	assert_int_equal(scenario_variant(s, 0, &v, stderr), 0);
	assert_int_equal(v.side[HOST_CLIENT].connect_at_ms, 0);
	assert_int_equal(v.expect[HOST_CLIENT].outcome, OUTCOME_REFUSED);
	variant_release(&v);
	scenario_free(s);

	expect_error("[scenario]\nstart = later\n", 2, "unknown start 'later' (expected connected, listening)");
	expect_error("[client]\nconnect_at = 1s\n", 2, "connect_at needs start = listening in [scenario]");
	expect_error("[scenario]\nstart = connected\n[client]\nconnect_at = 1s\n", 4,
		     "connect_at needs start = listening in [scenario]");
	expect_error("[server]\nconnect_at = 1s\n", 2, "unknown key 'connect_at' in [server]");
	expect_error("[expect]\nclient = refused syn\n", 2, "outcome 'refused' takes no mechanism, got 'syn'");
	expect_error("[scenario]\nstart = listening\n[client]\nconnect_at = 2s\n[fault]\nat = 1s\naction = kill\n"
		     "target = client\n", 6,
		     "start = listening: the client connects at 2s, so a kill of the client at 1s has no connection to act on");
	expect_error("[scenario]\nstart = listening\n[fault]\nat = 0\naction = link-down\ntarget = client\n", 4,
		     "start = listening: the client connects at 0ms, so a link-down of the client at 0ms");
	expect_error("[scenario]\nstart = listening\n[client]\napp = /bin/true\n", 4,
		     "start = listening needs the built-in client");
	expect_error("[scenario]\nstart = listening\ndeadline = 2s\n[client]\nconnect_at = 3s\n", 5,
		     "connect_at 3s is not before the deadline, 2s after the server listens: the client would never connect");
	expect_error("[expect]\nclient = refused\n", 2,
		     "client = refused: a connect's outcome needs start = listening in [scenario]");
	expect_error("[expect]\nserver = none\nclient = timeout syn\n", 3,
		     "client = timeout syn: a connect's outcome needs start = listening in [scenario]");
	/* After the connect, the client's process is there to kill. */
	scenario_free(load_ok("[scenario]\nstart = listening\n[fault]\nat = 1s\naction = kill\ntarget = client\n"));
}

/* mtu-blackhole: the router's links only, an MTU each family's links can take, and mtu on nothing else. */
static void test_mtu_blackhole(void **state)
{
	(void)state;
	expect_error("[fault]\naction = drop\ntarget = router\nmtu = 1280\n", 4,
		     "mtu applies only to mtu-blackhole, not drop");
	expect_error("[fault]\naction = mtu-blackhole\ntarget = server\nmtu = 1280\n", 3,
		     "mtu-blackhole acts on the router's links: target = router");
	expect_error("[fault]\naction = mtu-blackhole\ntarget = router\n", 2,
		     "action = mtu-blackhole needs mtu = N, the link's MTU in bytes (68 to 1499; IPv6 at least 1280)");
	expect_error("[scenario]\nfamily = ipv6\n[fault]\naction = mtu-blackhole\ntarget = router\nmtu = 1000\n", 6,
		     "mtu 1000 is below IPv6's minimum of 1280");
	/* A sweep of families: the IPv6 variant is the one refused. */
	expect_error("[scenario]\nfamily = ipv4, ipv6\n[fault]\naction = mtu-blackhole\ntarget = router\nmtu = 576\n", 6,
		     "mtu 576 is below IPv6's minimum of 1280");
	expect_error("[fault]\naction = mtu-blackhole\ntarget = router\nmtu = 67\n", 4,
		     "mtu: 67 is out of range (expected 68 to 1499)");
	expect_error("[fault]\naction = mtu-blackhole\ntarget = router\nmtu = 1500\n", 4,
		     "mtu: 1500 is out of range (expected 68 to 1499)");
	expect_error("[fault]\naction = mtu-blackhole\ntarget = router\nmtu = 1280\nrestart = 1s\n", 5,
		     "restart applies only to crash, not mtu-blackhole");

	struct scenario *s = load_ok("[scenario]\nfamily = ipv6\n[fault]\naction = mtu-blackhole\ntarget = router\n"
				     "mtu = 1280\ndirection = to-server\nduration = 2s\n");
	struct variant v;
	assert_int_equal(scenario_variant(s, 0, &v, stderr), 0);
	assert_int_equal(v.faults[0].mtu, 1280);
	assert_int_equal(v.faults[0].direction, DIR_TO_SERVER);
	assert_int_equal(v.faults[0].duration_ms, 2000);
	variant_release(&v);
	scenario_free(s);
	scenario_free(load_ok("[fault]\naction = mtu-blackhole\ntarget = router\nmtu = 68\n"));
}

static void test_conditional_expects(void **state)
{
	struct scenario *s = load_ok(
		"[scenario]\nname = cmp\n"
		"[client]\nkeepalive = yes\nkeepidle = 1s, 2s\n"
		"[fault]\naction = crash, freeze\ntarget = server\n"
		"[expect fault.action=freeze]\nclient = none\n"
		"[expect]\nclient = timeout keepalive\nserver = killed\n"
		"[expect  fault.action=freeze , client.keepidle=2s ]\nserver = none probes 0\n");
	struct variant v;

	(void)state;
	assert_int_equal(scenario_variant_count(s), 4);
	/* crash, 1s: the plain [expect] */
	assert_int_equal(scenario_variant(s, 0, &v, stderr), 0);
	assert_string_equal(v.name, "cmp[client.keepidle=1s,fault.action=crash]");
	assert_string_equal(v.expect[HOST_CLIENT].text, "timeout keepalive");
	assert_string_equal(v.expect[HOST_SERVER].text, "killed");
	variant_release(&v);
	/* freeze, 1s: the client's line replaced, the server's kept */
	assert_int_equal(scenario_variant(s, 2, &v, stderr), 0);
	assert_string_equal(v.name, "cmp[client.keepidle=1s,fault.action=freeze]");
	assert_int_equal(v.expect[HOST_CLIENT].outcome, OUTCOME_NONE);
	assert_string_equal(v.expect[HOST_SERVER].text, "killed");
	variant_release(&v);
	/* freeze, 2s: both sections apply, in file order */
	assert_int_equal(scenario_variant(s, 3, &v, stderr), 0);
	assert_string_equal(v.expect[HOST_CLIENT].text, "none");
	assert_string_equal(v.expect[HOST_SERVER].text, "none probes 0");
	assert_true(v.expect[HOST_SERVER].has_probes);
	variant_release(&v);
	scenario_free(s);

	expect_error("[fault]\naction = crash, freeze\ntarget = server\n[expect fault.action=frezee]\nclient = none\n", 4,
		     "[expect fault.action=frezee]: 'fault.action=frezee' is not a value this file sweeps");
	expect_error("[fault]\naction = crash\ntarget = server\n[expect fault.action=crash]\nclient = none\n", 4,
		     "[expect fault.action=crash]: 'fault.action=crash' is not a value this file sweeps");
	expect_error("[expect freeze]\nclient = none\n", 1,
		     "[expect freeze]: 'freeze' is not KEY=VALUE (for instance fault.action=freeze)");
	expect_error("[expect ,]\nclient = none\n", 1, "[expect ,]: no KEY=VALUE to select variants by");
	expect_error("[fault]\naction = crash, freeze\ntarget = server\n[expect fault.action=crash]\n"
		     "[expect fault.action=crash]\n", 5,
		     "section [expect fault.action=crash] appears twice (first on line 4)");
	expect_error("[fault]\naction = crash, freeze\ntarget = server\n[expect fault.action=crash]\n"
		     "client = nothing\n", 5, "unknown outcome 'nothing'");
}

/* A program any machine running the tests has in PATH. */
static const char app_sides[] =
	"[scenario]\nname = apps\n"
	"[server]\n"
	"app = sh -c 'exec sleep \"$0\"' {port} --bind={addr} --save \"\" x\\ y\n"
	"ready = line Ready to accept, at last\n"
	"notice = line (error|closed), \\{x\n"
	"user = nobody\n"
	"env.HOME = {suite}/home, with a comma\n"
	"env.EMPTY =\n"
	"port = 6379, 6380\n"
	"sysctl.net.ipv4.tcp_retries2 = 5\n"
	"[client]\n"
	"app = {dir}/../bin/sh -c true\n"
	"[fault]\naction = kill, freeze, crash\ntarget = server\n"
	"[expect]\nserver = killed\nserver_app = exit within 0..1s\nclient_app = eof\n";

static void test_app_sides(void **state)
{
	struct scenario *s = load_ok(app_sides);
	struct variant v;

	(void)state;
	/* Only port and action are lists: commas belong to commands, regexes and env values. */
	assert_int_equal(scenario_variant_count(s), 6);
	assert_int_equal(scenario_variant(s, 1, &v, stderr), 0);
	assert_string_equal(v.name, "apps[server.port=6380,fault.action=kill]");
	const struct app_cfg *a = &v.side[HOST_SERVER].app, *c = &v.side[HOST_CLIENT].app;
	assert_string_equal(a->command, "sh -c 'exec sleep \"$0\"' {port} --bind={addr} --save \"\" x\\ y");
	assert_int_equal(a->line, 4);
	const char *want[] = { "sh", "-c", "exec sleep \"$0\"", "{port}", "--bind={addr}", "--save", "", "x y" };
	assert_int_equal(a->n_words, ARRAY_SIZE(want));
	for (size_t i = 0; i < a->n_words; i++)
		assert_string_equal(a->words[i], want[i]);
	assert_int_equal(a->ready, READY_LINE);
	assert_string_equal(a->ready_regex, "Ready to accept, at last");
	assert_int_equal(a->ready_line, 5);
	assert_string_equal(a->notice, "(error|closed), \\{x");
	assert_int_equal(a->notice_line, 6);
	assert_string_equal(a->user, "nobody");
	assert_int_equal(a->user_line, 7);
	assert_int_equal(a->n_env, 2);
	assert_string_equal(a->env[0].name, "HOME");
	assert_string_equal(a->env[0].value, "{suite}/home, with a comma");
	assert_int_equal(a->env[0].line, 8);
	assert_string_equal(a->env[1].name, "EMPTY");
	assert_string_equal(a->env[1].value, "");
	assert_string_equal(a->dir, "/tmp");
	assert_int_equal(v.side[HOST_SERVER].port, 6380);
	assert_int_equal(v.side[HOST_SERVER].n_sysctls, 1);
	/* The client's defaults: ready once connected; {dir} kept in the word until a run. */
	assert_string_equal(c->words[0], "{dir}/../bin/sh");
	assert_int_equal(c->ready, READY_CONNECTED);
	assert_null(c->notice);
	assert_null(c->user);
	assert_int_equal(c->n_env, 0);
	/* Both views' expectations. */
	assert_string_equal(v.expect[HOST_SERVER].text, "killed");
	assert_string_equal(v.expect_app[HOST_SERVER].text, "exit within 0..1s");
	assert_int_equal(v.expect_app[HOST_SERVER].reaction, APP_REACT_EXIT);
	assert_true(v.expect_app[HOST_SERVER].has_window);
	assert_int_equal(v.expect_app[HOST_SERVER].max_ms, 1000);
	assert_null(v.expect[HOST_CLIENT].text);
	assert_int_equal(v.expect_app[HOST_CLIENT].reaction, APP_REACT_EOF);
	assert_false(v.expect_app[HOST_CLIENT].has_window);
	variant_release(&v);
	scenario_free(s);

	/* A built-in side keeps no app, and takes the server's ready default. */
	s = load_ok("[server]\napp = sh\nready = after 1.5s\n[expect]\nclient_app = error within 1s..2s\n");
	assert_int_equal(scenario_variant(s, 0, &v, stderr), 0);
	assert_int_equal(v.side[HOST_SERVER].app.ready, READY_AFTER);
	assert_int_equal(v.side[HOST_SERVER].app.ready_after_ms, 1500);
	assert_null(v.side[HOST_CLIENT].app.command);
	assert_int_equal(v.side[HOST_CLIENT].app.ready, READY_CONNECTED);
	assert_int_equal(v.expect_app[HOST_CLIENT].reaction, APP_REACT_ERROR);
	variant_release(&v);
	scenario_free(s);
	scenario_free(load_ok("[server]\napp = sh\nready = listen\n[client]\napp = sh\nready = connected\n"
			      "notice = line ^ERROR\n[expect]\nclient_app = line\nserver_app = none\n"));
}

/* A file that must fail: its text, and the line and start of its first message. */
struct bad_file {
	const char *text;
	int line;
	const char *message;
};

static const struct bad_file app_errors[] = {
	{ "[server]\napp =\n", 2, "app: empty command" },
	{ "[server]\napp = sh -c 'exit 1\n", 2,
	  "app: unterminated single quote (a '#' or ';' after a blank starts a comment, inside quotes too)" },
	{ "[server]\napp = sh -c \"echo a ; echo b\"\n", 2, "app: unterminated double quote" },
	{ "[server]\napp = sh a\\\n", 2, "app: a backslash at the end escapes nothing" },
	{ "[server]\napp = redis-cli | grep x\n", 2,
	  "app: '|' would be a shell operator, and no shell runs the command (quote it, or run sh -c '...')" },
	{ "[server]\napp = sh -p {host}\n", 2, "app: unknown placeholder '{host}' (expected {addr}, {peer}, "
	  "{port}, {family}, {dir} or {suite}; write {{ and }} for literal braces)" },
	{ "[server]\napp = awk '{print $1}'\n", 2, "app: unknown placeholder '{print $1}'" },
	{ "[server]\napp = sh }\n", 2, "app: a lone '}'" },
	{ "[server]\napp = {suite}/bin/x\n", 2, "app: the program's name may hold no placeholder but {dir}, "
	  "as it is looked up before anything runs: '{suite}/bin/x'" },
	{ "[client]\napp = deadpeer-no-such-program -h {peer}\n", 2, "app: 'deadpeer-no-such-program' not found in PATH" },
	{ "[client]\napp = {dir}/deadpeer-no-such-script.sh\n", 2,
	  "app: '/tmp/deadpeer-no-such-script.sh' is not an executable file" },
	{ "[client]\napp = /tmp\n", 2, "app: '/tmp' is not an executable file" },
	{ "[router]\napp = sh\n", 2, "unknown key 'app' in [router]" },

	{ "[server]\napp = sh\nready = soon\n", 3,
	  "unknown ready 'soon' (expected listen, connected, line REGEX or after DURATION)" },
	{ "[client]\napp = sh\nready = listen\n", 3, "ready: listen is only for the server" },
	{ "[server]\napp = sh\nready = line\n", 3, "ready: 'line' needs a regular expression" },
	{ "[server]\napp = sh\nready = lines x\n", 3, "unknown ready 'lines x'" },
	{ "[server]\napp = sh\nready = after 2x\n", 3, "ready: invalid duration '2x': unknown unit (expected ms, s, m or h)" },
	{ "[server]\napp = sh\nready = line x(\n", 3, "ready: invalid regular expression 'x(': Unmatched ( or \\(" },
	{ "[server]\napp = sh\nnotice = line a{2,1}\n", 3, "notice: invalid regular expression 'a{2,1}': " },
	{ "[server]\napp = sh\nnotice = ERROR\n", 3, "notice: expected 'line REGEX', got 'ERROR'" },
	/* Nested counts that would take regcomp seconds and gigabytes: refused before it sees them. */
	{ "[server]\napp = sh\nnotice = line ((a{255}){255}){255}\n", 3,
	  "notice: the regular expression's repetitions multiply out to more than 100000 nodes" },
	{ "[server]\napp = sh\nready = line ([ab]{1000}x){101}\n", 3, "ready: the regular expression's" },
	{ "[server]\napp = sh\nready = line (e+++++++++++++++++++++++++++++ x)\n", 3, "ready: the regular expression's" },
	{ "[server]\napp = sh\nready = line ((((((((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)\n", 3,
	  "ready: the regular expression's" },
	{ "[server]\napp = sh\nnotice = line (clo?????????????????????????????????????????????????????????????????"
	  "{255}){255}\n", 3, "notice: the regular expression's" },
	{ "[server]\napp = sh\nuser = deadpeer-no-such-user\n", 3, "user: no such user 'deadpeer-no-such-user'" },
	{ "[server]\napp = sh\nenv.1X = y\n", 3, "env.1X: '1X' is not a valid environment variable name" },
	{ "[server]\napp = sh\nenv.A-B = y\n", 3, "env.A-B: 'A-B' is not a valid environment" },
	{ "[server]\napp = sh\nenv. = y\n", 3, "env.: '' is not a valid environment" },
	{ "[server]\napp = sh\nenv.X = {nope}\n", 3, "env.X: unknown placeholder '{nope}'" },
	{ "[server]\napp = sh\nenv.X = 1\nenv.X = 2\n", 4, "'env.X' is already set on line 3" },

	/* The built-in endpoint's keys on an app side are refused at their own line, wherever app stands. */
	{ "[client]\nkeepidle = 3s\napp = sh\n", 2, "keepidle: a side with app sets no socket options: the program sets its own" },
	{ "[server]\napp = sh\ntraffic = stream\n", 3,
	  "traffic: a side with app has no built-in traffic: the program makes its own" },
	/* An app line that was refused does not make its side built-in. */
	{ "[server]\napp = deadpeer-no-such-program\nkeepalive = yes\nready = listen\n", 2,
	  "app: 'deadpeer-no-such-program' not found in PATH" },
	/* ... and the app's keys need an app. */
	{ "[server]\nready = listen\n", 2, "ready applies only to a side with app = COMMAND" },
	{ "[client]\nnotice = line x\n", 2, "notice applies only to a side with app = COMMAND" },
	{ "[client]\nuser = nobody\n", 2, "user applies only to a side with app = COMMAND" },
	{ "[server]\napp = sh\n[client]\nenv.X = y\n", 4, "env.X applies only to a side with app = COMMAND" },
};

static void test_app_errors(void **state)
{
	static const char *const options[] = { "keepalive = yes", "keepidle = 1s", "keepintvl = 1s", "keepcnt = 3",
					       "user_timeout = 3s" };
	static const char *const traffic[] = { "traffic = stream", "interval = 1s", "size = 10",
					       "heartbeat_timeout = 3s" };
	char text[128], message[128];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(app_errors); i++)
		expect_error(app_errors[i].text, app_errors[i].line, app_errors[i].message);
	/* As many environment variables as an app_cfg holds, and not one more. */
	char *many = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&many, &len);
	fputs("[server]\napp = sh\n", f);
	for (int i = 0; i < MAX_APP_ENV; i++)
		fprintf(f, "env.V%d = %d\n", i, i);
	fflush(f);
	scenario_free(load_ok(many));
	fputs("env.ONE_MORE = x\n", f);
	fclose(f);
	expect_error(many, MAX_APP_ENV + 3, "too many env.* in [server] (at most 32)");
	free(many);
	for (size_t i = 0; i < ARRAY_SIZE(options) + ARRAY_SIZE(traffic); i++) {
		bool option = i < ARRAY_SIZE(options);
		const char *set = option ? options[i] : traffic[i - ARRAY_SIZE(options)];
		snprintf(text, sizeof(text), "[server]\napp = sh\n%s\n", set);
		snprintf(message, sizeof(message), "%.*s: a side with app %s", (int)strcspn(set, " "), set,
			 option ? "sets no socket options" : "has no built-in traffic");
		expect_error(text, 3, message);
	}
}

static void test_app_expectations(void **state)
{
	(void)state;
	expect_error("[expect]\nclient_app = crashed\n", 2,
		     "unknown reaction 'crashed' (expected none, error, eof, close, exit, line)");
	expect_error("[expect]\nclient_app = error within 2s\n", 2, "'within' needs a range MIN..MAX");
	expect_error("[expect]\nclient_app = error within 2s..1s\n", 2, "empty range '2s..1s' (MIN is above MAX)");
	expect_error("[expect]\nclient_app = error within 1s..2s within 1s..2s\n", 2, "'within' given twice");
	expect_error("[expect]\nclient_app = error soon\n", 2, "unexpected 'soon' (expected 'within MIN..MAX')");
	expect_error("[expect]\nclient_app = none within 1s..2s\n", 2,
		     "reaction 'none' has no detection time to check 'within' against");
	expect_error("[expect]\nclient_app = error, eof\n", 2, "client_app: an expectation is not a list");
	expect_error("[expect]\nserver_app =\n", 2, "empty expectation (expected REACTION [within MIN..MAX])");
	/* Its notice line is the only way a program has a "line" reaction. */
	expect_error("[server]\napp = sh\n[expect]\nserver_app = line\n", 4,
		     "server_app: reaction 'line' needs notice = line REGEX in [server]");
	expect_error("[expect]\nclient_app = line within 1s..2s\n", 2,
		     "client_app: reaction 'line' needs notice = line REGEX in [client]");
	/* In [expect WHEN] too. */
	struct scenario *s = load_ok("[server]\napp = sh\n[fault]\naction = kill, freeze\ntarget = server\n"
				     "[expect]\nclient = fin\nserver_app = exit\n"
				     "[expect fault.action=freeze]\nclient = none\nserver_app = none\n");
	struct variant v;
	assert_int_equal(scenario_variant(s, 1, &v, stderr), 0);
	assert_non_null(strstr(v.name, "[fault.action=freeze]"));
	assert_int_equal(v.expect[HOST_CLIENT].outcome, OUTCOME_NONE);
	assert_int_equal(v.expect_app[HOST_SERVER].reaction, APP_REACT_NONE);
	variant_release(&v);
	assert_int_equal(scenario_variant(s, 0, &v, stderr), 0);
	assert_int_equal(v.expect_app[HOST_SERVER].reaction, APP_REACT_EXIT);
	variant_release(&v);
	scenario_free(s);
}

/*
 * More sections than any fixed table would hold: 64 distinct [expect WHEN]
 * headers, then faults. Every fault must still be expanded and checked.
 */
static char *many_sections(const char *faults)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	fputs("[scenario]\nname = many\ndeadline = 1s, 2s\n", f);
	for (int i = 0; i < 64; i++) {
		fputs("[expect ", f);
		for (int b = 0; b < 6; b++)
			fprintf(f, "%sdeadline=%ds", b ? "," : "", (i >> b & 1) + 1);
		fputs("]\nclient = none\n", f);
	}
	fputs(faults, f);
	fclose(f);
	return text;
}

static void test_many_sections(void **state)
{
	char *text = many_sections("[fault]\naction = drop\ntarget = server\n"
				   "[fault late]\nat = 2s\naction = kill\ntarget = client\n");
	struct scenario *s = load_ok(text);
	struct variant v;

	(void)state;
	free(text);
	assert_int_equal(scenario_variant_count(s), 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(scenario_variant(s, i, &v, stderr), 0);
		assert_int_equal(v.n_faults, 2);
		assert_string_equal(v.faults[0].name, "");
		assert_ptr_equal(v.faults[0].kind, fault_kind_find("drop"));
		assert_int_equal(v.faults[0].target, HOST_SERVER);
		assert_int_equal(v.faults[0].at_ms, 1000);
		assert_string_equal(v.faults[1].name, "late");
		assert_ptr_equal(v.faults[1].kind, fault_kind_find("kill"));
		assert_int_equal(v.faults[1].target, HOST_CLIENT);
		assert_int_equal(v.faults[1].at_ms, 2000);
		/* each variant is selected by one [expect WHEN] (all 1s, or all 2s) */
		assert_string_equal(v.expect[HOST_CLIENT].text, "none");
		variant_release(&v);
	}
	scenario_free(s);

	/* A fault past the 64th section is still checked, not dropped. */
	text = many_sections("[fault]\ntarget = server\n");
	expect_error(text, 132, "[fault] needs an action");
	free(text);
	text = many_sections("[fault]\n");
	expect_error(text, 132, "[fault] needs an action");
	free(text);
}

/* @file must be refused, unread, as "@file: not a regular file (@kind); ...". */
static void expect_not_regular(const char *file, const char *kind)
{
	char *errors = NULL, want[256];
	size_t len = 0;
	FILE *err = open_memstream(&errors, &len);

	alarm(10);	/* a read that blocks fails the test instead of hanging it */
	assert_null(scenario_load(file, err));
	alarm(0);
	fclose(err);
	snprintf(want, sizeof(want), "%s: not a regular file (%s); scenario files must be regular files\n", file, kind);
	assert_string_equal(errors, want);
	free(errors);
}

static void test_not_regular(void **state)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char fifo[64];
	int fd;

	(void)state;
	snprintf(fifo, sizeof(fifo), "/tmp/deadpeer-fifo-%d.scn", (int)getpid());
	unlink(fifo);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	expect_not_regular(fifo, "a FIFO");	/* opening it used to wait for a writer forever */
	unlink(fifo);
	expect_not_regular("/dev/null", "a character device");
	snprintf(addr.sun_path, sizeof(addr.sun_path), "/tmp/deadpeer-sock-%d.scn", (int)getpid());
	unlink(addr.sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	expect_not_regular(addr.sun_path, "a socket");
	close(fd);
	unlink(addr.sun_path);
	expect_not_regular("/tmp", "a directory");
}

/*
 * In a child (it measures its own peak memory): a 64 MiB line is counted,
 * not stored. Returns 0, or 1 for a wrong message, 2 when reading it raised
 * the peak resident size by more than 8 MiB.
 */
static int long_line_child(void)
{
	static char chunk[1 << 16];
	char file[64], want[128], *errors = NULL;
	struct rusage before, after;
	size_t len = 0;
	bool written;
	int fd = memfd_create("long-line", MFD_CLOEXEC);

	if (fd < 0)
		return 1;
	memset(chunk, 'k', sizeof(chunk));
	written = write(fd, "[scenario]\n", 11) == 11;
	for (int i = 0; i < 1024; i++)
		written = written && write(fd, chunk, sizeof(chunk)) == (ssize_t)sizeof(chunk);
	written = written && write(fd, "\n", 1) == 1;
	if (!written)
		return 1;
	snprintf(file, sizeof(file), "/proc/self/fd/%d", fd);
	getrusage(RUSAGE_SELF, &before);
	FILE *err = open_memstream(&errors, &len);
	struct scenario *s = scenario_load(file, err);
	fclose(err);
	getrusage(RUSAGE_SELF, &after);
	snprintf(want, sizeof(want), "%s:2: line too long (67108864 characters, at most 198)\n", file);
	if (s || strcmp(errors, want) != 0) {
		fprintf(stderr, "wanted %sgot    %s", want, errors);
		return 1;
	}
	if (after.ru_maxrss - before.ru_maxrss > 8192) {
		fprintf(stderr, "reading the line raised the peak resident size by %ld KiB\n",
			after.ru_maxrss - before.ru_maxrss);
		return 2;
	}
	free(errors);
	return 0;
}

static void test_long_line_memory(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(long_line_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_read_error(void **state)
{
	char *errors = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&errors, &len);

	(void)state;
	/* A regular file whose read fails (EIO at address 0): an error, never an empty scenario. */
	assert_null(scenario_load("/proc/self/mem", err));
	fclose(err);
	assert_string_equal(errors, "/proc/self/mem: read error: Input/output error\n");
	free(errors);
}

UNIT_TESTS(
	cmocka_unit_test(test_start),
	cmocka_unit_test(test_every_key),
	cmocka_unit_test(test_defaults),
	cmocka_unit_test(test_loss_probability),
	cmocka_unit_test(test_sweep),
	cmocka_unit_test(test_idle_action_sweep),
	cmocka_unit_test(test_bad_values),
	cmocka_unit_test(test_bad_structure),
	cmocka_unit_test(test_long_and_binary_lines),
	cmocka_unit_test(test_sysctls),
	cmocka_unit_test(test_expectations),
	cmocka_unit_test(test_combinations),
	cmocka_unit_test(test_mtu_blackhole),
	cmocka_unit_test(test_conditional_expects),
	cmocka_unit_test(test_app_sides),
	cmocka_unit_test(test_app_errors),
	cmocka_unit_test(test_app_expectations),
	cmocka_unit_test(test_many_sections),
	cmocka_unit_test(test_not_regular),
	cmocka_unit_test(test_long_line_memory),
	cmocka_unit_test(test_read_error)
)
