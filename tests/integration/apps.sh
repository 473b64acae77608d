#!/bin/bash
# Application endpoints (root): the shipped scenarios in scenarios/apps/ run
# Debian's own programs (socat, Redis, PostgreSQL, OpenSSH, python3) and
# every expectation holds; on top of the expectations, what users rely on in
# the CSV: the options each program set, read back from its socket, the
# program's view beside the kernel's (app_lag_ms large for a busy PostgreSQL
# backend, negative for a program whose own timeout acts first), exit
# statuses, the sock_diag fallback, the environment and placeholders a
# program gets, and readiness by an output line.
set -u
DEADPEER=$(readlink -f "${1:?usage: apps.sh PATH-TO-deadpeer SCENARIOS-DIR}")
SCENARIOS=$(readlink -f "${2:?usage: apps.sh PATH-TO-deadpeer SCENARIOS-DIR}")
. "$(dirname "$0")/lib.sh"
require_root

work=$(mktemp -d /tmp/deadpeer-apps.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
host_state > before.txt

# col SCENARIO SIDE COLUMN: one value of run.csv
col() {
	python3 - "$1" "$2" "$3" "${4:-run/results.csv}" <<'PY'
import csv, sys
for row in csv.DictReader(open(sys.argv[4], newline="")):
    if row["scenario"] == sys.argv[1] and row["side"] == sys.argv[2]:
        print(row[sys.argv[3]])
        break
PY
}
# passes WHAT OUT [OPTION...] FILE...: `deadpeer run -q -o OUT ...` exits 0; its output is shown when not.
passes() {
	local what=$1 out=$2 rc
	shift 2
	"$DEADPEER" run -q -o "$out" "$@" > "$out.txt" 2>&1
	rc=$?
	check "$what (exit $rc)" test $rc = 0
	[ $rc = 0 ] || sed 's/^/#   /' "$out.txt" | tail -30
}
# between VALUE MIN MAX: a number within [MIN, MAX]
between() { [ -n "$1" ] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }

passes "the apps suite passes" run -j 9 "$SCENARIOS/apps"
check "every app side was watched with eBPF" \
	test "$(python3 -c 'import csv; print({r["observer"] for r in csv.DictReader(open("run/results.csv")) if r["outcome"] != "killed"})')" = "{'ebpf'}"

# psql without keepalives: the kernel and psql both wait forever.
check "psql without keepalives: no SO_KEEPALIVE on its socket" test "$(col psql-no-keepalive client keepalive)" = no
check "psql without keepalives: never notices (kernel none, program none)" \
	test "$(col psql-no-keepalive client outcome)/$(col psql-no-keepalive client app_reaction)" = none/none
# psql with libpq keepalives 2/1/3: the options are read back from the socket, and psql acts on the error at once.
check "psql keepalives_idle=2 interval=1 count=3 read back from its socket" \
	test "$(col psql-keepalive client keepidle_ms)/$(col psql-keepalive client keepintvl_ms)/$(col psql-keepalive client keepcnt)" = 2000/1000/3
lag=$(col psql-keepalive client app_lag_ms)
check "psql reacts to its kernel's timeout within 1 s (app_lag_ms $lag)" between "$lag" 0 1000
check "psql exits with status 2 after the lost connection" test "$(col psql-keepalive client app_exit_status)" = 2
check "psql tcp_user_timeout 3500 ms read back" test "$(col psql-user-timeout client user_timeout_ms)" = 3500
# A backend in pg_sleep(10): its kernel knows at ~3 s, the backend at ~9 s.
lag=$(col postgres-backend-sleep server app_lag_ms)
check "a PostgreSQL backend in pg_sleep notices seconds after its kernel (app_lag_ms $lag)" between "$lag" 4000 8000
lag=$(col postgres-backend-check server app_lag_ms)
check "with client_connection_check_interval = 1s it notices within ~1 s of its kernel (app_lag_ms $lag)" between "$lag" 0 2000
# Redis: the server sets 3/1/3 on accepted sockets, redis-cli a fixed 15/5/3.
check "redis-server --tcp-keepalive 3 sets 3000/1000/3 on its client's socket" \
	test "$(col redis-subscriber server keepidle_ms)/$(col redis-subscriber server keepintvl_ms)/$(col redis-subscriber server keepcnt)" = 3000/1000/3
check "redis-cli's fixed keepalive is 15000/5000/3" \
	test "$(col redis-subscriber client keepidle_ms)/$(col redis-subscriber client keepintvl_ms)/$(col redis-subscriber client keepcnt)" = 15000/5000/3
s=$(col redis-subscriber server detect_ms) c=$(col redis-subscriber client detect_ms)
check "the Redis server notices its dead subscriber >20 s before redis-cli notices (server $s ms, client $c ms)" \
	test $(( ${c:-0} - ${s:-0} )) -ge 20000
# ssh: its alive messages end it; TCP keepalive (2 h) says nothing.
check "ssh: the kernel notices nothing, ssh's ServerAlive does" \
	test "$(col ssh-alive client outcome)/$(col ssh-alive client app_reaction)" = none/line
check "ssh exits with status 255" test "$(col ssh-alive client app_exit_status)" = 255
check "ssh's socket has the kernel's 2 h keepalive" test "$(col ssh-alive client keepidle_ms)" = 7200000
# A program whose own heartbeat acts first: negative lag.
lag=$(col python-own-timeout client app_lag_ms)
check "a program's own 2 s timeout acts before its kernel's keepalive (app_lag_ms $lag)" between "$lag" -6000 -2000
# socat blocked in read(): the error reaches it as the kernel gives up. The
# kernel wakes the reader at the instant of the abort; what is left is the
# wait for a CPU on a 2-core machine building 9 runs at once (12 ms seen in
# CI). A program that noticed by polling or by its own timer would be off by
# its period, seconds here.
lag=$(col socat-keepalive client app_lag_ms)
check "socat blocked in read() gets the error with its kernel (app_lag_ms $lag)" between "$lag" 0 100
check "socat's reaction is the error itself" test "$(col socat-keepalive client app_reaction)" = error
# The same alone (the suite above runs 9 at once on this machine's cores): the kernel's event reaches deadpeer at once.
"$DEADPEER" run -q -o alone "$SCENARIOS/apps/socat-keepalive.scn" > alone.txt 2>&1
ol=$(col socat-keepalive client observe_lag_ms alone/results.csv)
check "run alone, the kernel's event reached deadpeer within 5 ms (observe_lag_ms $ol)" \
	python3 -c 'import sys; sys.exit(not 0 <= float(sys.argv[1]) < 5)' "${ol:-x}"

# The sock_diag fallback: the same timing, fewer details, and it says so.
DEADPEER_OBSERVER=sock_diag "$DEADPEER" run -q -o sd "$SCENARIOS/apps/socat-keepalive.scn" > sd.txt 2>&1
d=$(col socat-keepalive client detect_ms sd/results.csv)
check "sock_diag fallback: observer says so" test "$(col socat-keepalive client observer sd/results.csv)" = sock_diag
check "sock_diag fallback: a keepalive timeout within the kernel's window ($d ms)" \
	test "$(col socat-keepalive client outcome sd/results.csv)" = timeout -a -n "$d" -a "$d" -ge 2500 -a "$d" -le 4100

# What a program gets: env.*, placeholders, private /tmp, readiness by a line, IPv6.
mkdir own
cat > own/client.sh <<'SH'
#!/bin/sh
if [ -e "$MARKER" ]; then tmp=shared; else tmp=private; fi
echo "env=$GREETING side=$DEADPEER_SIDE tmp=$tmp pid=$$"
exec socat -u "TCP:[$1]:$2" STDOUT
SH
chmod 755 own/client.sh
cat > own/own.scn <<'SCN'
[scenario]
family = ipv6
deadline = 2s
[server]
app = sh -c "echo listening on {addr} port {port} family {family}; exec socat -u TCP6-LISTEN:{port},reuseaddr STDOUT"
ready = line ^listening
[client]
app = {dir}/client.sh {peer} {port}
env.GREETING = hello {family}
env.MARKER = MARKER_PATH
[fault]
at = 200ms
action = kill
target = server
[expect]
client = fin
client_app = eof
SCN
touch "$work.marker"
sed -i "s|MARKER_PATH|$work.marker|" own/own.scn
passes "a scenario's own script runs beside it, in IPv6" own-run own/own.scn
rm -f "$work.marker"
check "env.NAME and placeholders reach the program, /tmp is empty and private, it is not PID 1" \
	test "$(col own client app_line own-run/results.csv)" = "env=hello 6 side=client tmp=private pid=2"
check "the server's ready line came with its address" \
	test "$(col own server app_line own-run/results.csv)" = "listening on 2001:db8:2::2 port 7000 family 6"

# A dual-stack server (an IPv6 socket taking IPv4, as Go, Node and python's http.server listen) in an IPv4 run.
cat > dual.scn <<'SCN'
[scenario]
deadline = 2s
[server]
app = python3 -c "import socket, time; s = socket.create_server(('::', {port}), family=socket.AF_INET6, dualstack_ipv6=True); c = s.accept(); time.sleep(60)"
[client]
app = socat -u TCP4:{peer}:{port} STDOUT
[fault]
at = 200ms
action = kill
target = client
[expect]
server = fin
SCN
passes "a dual-stack server's IPv4 connection is its connection" dual dual.scn

# freeze stops every process of a forking server at once; its kernel still answers the probes.
cat > freeze.scn <<'SCN'
[scenario]
deadline = 3s
[server]
app = socat TCP-LISTEN:{port},reuseaddr,fork EXEC:cat
[client]
app = socat -u "TCP:{peer}:{port},keepalive,keepidle=1,keepintvl=1,keepcnt=1" STDOUT
[fault]
at = 200ms
action = freeze
target = server
[expect]
client = none
client_app = none
server = none
SCN
# crash with restart_service: the command runs again in the new host, and a client that retries reconnects.
cat > restart.scn <<'SCN'
[scenario]
deadline = 6s
[server]
app = socat TCP-LISTEN:{port},reuseaddr,fork EXEC:cat
[client]
app = sh -c 'while :; do socat -u "TCP:{peer}:{port},keepalive,keepidle=1,keepintvl=1,keepcnt=1" STDOUT; sleep 0.5; done'
[fault]
at = 300ms
action = crash
target = server
restart = 1s
restart_service = yes
[expect]
client = timeout keepalive within 1s..3s
server = killed
SCN
passes "freeze and crash with restart_service act on an app's processes" fr freeze.scn restart.scn
rm=$(col restart client reconnect_ms fr/results.csv)
check "after the restart the client's retry connects again (connections $(col restart client connections fr/results.csv), reconnect_ms $rm)" \
	between "${rm:-0}" 1300 5000

# A program that is not there: FILE:LINE, exit 2, the package to install, nothing run.
printf '[client]\napp = redis-cli -p {port}\n' > nocli.scn
PATH=/nonexistent "$DEADPEER" run -o nothing nocli.scn > nocli.txt 2>&1
rc=$?
check "a missing program is exit 2 with FILE:LINE and its package" \
	grep -qF "nocli.scn:2: app: 'redis-cli' not found in PATH (it comes with Debian's package redis-tools" nocli.txt
check "... and nothing was created (exit $rc)" test $rc = 2 -a ! -e nothing

# SIGKILL in the middle of the shipped apps suite, once PostgreSQL, Redis and
# sshd (each with its forked workers or backends) are up.
# Their processes by name (pgrep -x matches a name of at most 15 characters: one name at a time).
programs() { for p in socat redis-server postgres sshd psql redis-cli ssh python3; do pgrep -x "$p"; done; }
"$DEADPEER" run -q -j 9 -o killed "$SCENARIOS/apps" > killed.txt 2>&1 &
pid=$!
up=no
for _ in $(seq 400); do
	if pgrep -x postgres > /dev/null && pgrep -x redis-server > /dev/null && pgrep -x sshd > /dev/null; then
		up=yes
		break
	fi
	sleep 0.05
done
sleep 1
running=$(programs | wc -l)
kill -KILL $pid
wait $pid 2>/dev/null
check "the apps suite's servers came up before the SIGKILL ($running programs' processes)" test $up = yes
why=$(wait_no_deadpeer 10)
check "after SIGKILL of deadpeer, no deadpeer process is left" test -z "$why"
gone=no
for _ in $(seq 100); do
	[ -z "$(programs)" ] && { gone=yes; break; }
	sleep 0.1
done
check "after SIGKILL of deadpeer, none of the programs' processes is left" test $gone = yes
[ $gone = yes ] || programs | xargs -r ps -o pid,args -p | sed 's/^/#   /'

host_state > after.txt
check "nothing is left: mounts, cgroups, {suite}, links, rules, sysctls" cmp -s before.txt after.txt
cmp -s before.txt after.txt || diff before.txt after.txt | head -20 | sed 's/^/#   /'
finish
