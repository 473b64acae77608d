#!/bin/bash
# Reliability (root): deadpeer killed at any moment — during setup, during a
# fault, during a crashed host's restart, during teardown — with SIGKILL,
# SIGTERM or SIGINT leaves no process (stopped ones included), no network
# namespace, no link, no rule and no changed sysctl behind; bad scenario
# files are refused with exit 2 and FILE:LINE before anything is created;
# what the machine cannot do is exit 3 before anything is created; and the
# same keepalive scenario repeated 20 times gives the same outcome each time
# with detection times spread no wider than the kernel's timer wheel allows.
set -u
DEADPEER=$(readlink -f "${1:?usage: reliability.sh PATH-TO-deadpeer MALFORMED-DIR}")
MALFORMED=$(readlink -f "${2:?usage: reliability.sh PATH-TO-deadpeer MALFORMED-DIR}")
. "$(dirname "$0")/lib.sh"
require_root

work=$(mktemp -d /tmp/deadpeer-reliability.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

host_state > before.txt
net_namespaces > ns-before.txt

# --- a suite with every kind of moving part ---------------------------------
mkdir suite
cat > suite/crash-restart.scn <<'SCN'
[scenario]
deadline = 6s
repeat = 2
[client]
keepalive = yes
keepidle = 3s
keepintvl = 1s
keepcnt = 3
[fault]
at = 300ms
action = crash
target = server
restart = 1s
restart_service = yes
SCN
cat > suite/freeze-long.scn <<'SCN'
[scenario]
deadline = 30s
[client]
traffic = stream
interval = 10ms
size = 60000
[fault]
at = 300ms
action = freeze
target = server
SCN
cat > suite/drop-long.scn <<'SCN'
[scenario]
deadline = 60s
family = ipv4, ipv6
[client]
keepalive = yes
keepidle = 30s
[fault]
at = 200ms
action = drop
target = server
[fault cable]
at = 400ms
action = link-down
target = client
duration = 500ms
SCN
cat > suite/middlebox.scn <<'SCN'
[scenario]
deadline = 10s
[client]
traffic = request
interval = 3s
[router]
idle_timeout = 1s
SCN
cat > suite/kill-fast.scn <<'SCN'
[scenario]
deadline = 500ms
repeat = 4
[fault]
at = 100ms
action = kill
target = server
SCN

# Wait for a moment of the suite: prints nothing, returns 0 when it came.
moment_setup() { [ -n "$(pgrep -P "$pid")" ]; }	# the first workers exist, endpoints maybe not yet
moment_fault() {
	local p
	for p in $(descendants "$pid"); do
		nsenter --net=/proc/"$p"/ns/net nft list tables 2>/dev/null | grep -q deadpeer_fault && return 0
	done
	return 1
}
first_ns=""
moment_restart() {
	# A server listening on :7000 in a namespace none of the first endpoints had: a restarted host.
	local p ns
	for p in $(descendants "$pid"); do
		ns=$(readlink /proc/"$p"/ns/net 2>/dev/null) || continue
		grep -qxF "$ns" seen-ns.txt 2>/dev/null && continue
		if [ -n "$(nsenter --net=/proc/"$p"/ns/net ss -Hltn 'sport = :7000' 2>/dev/null)" ] && [ -s seen-ns.txt ]; then
			return 0
		fi
	done
	# Remember the namespaces of the first second's endpoints.
	if [ "$(( $(date +%s%N) - start )) " -lt 700000000 ]; then
		for p in $(descendants "$pid"); do readlink /proc/"$p"/ns/net 2>/dev/null; done >> seen-ns.txt
	fi
	return 1
}
moment_teardown() {
	# A worker whose endpoints are gone while it is still alive: it is tearing its run down.
	local w
	for w in $(pgrep -P "$pid"); do
		if [ -z "$(pgrep -P "$w")" ] && grep -qx "$w" had-endpoints.txt 2>/dev/null; then
			return 0
		fi
		[ -n "$(pgrep -P "$w")" ] && echo "$w" >> had-endpoints.txt
	done
	return 1
}

kill_at() {
	local signal=$1 moment=$2 out=$3 suite=${4:-suite}
	rm -f seen-ns.txt had-endpoints.txt
	start=$(date +%s%N)
	"$DEADPEER" run -q -j 16 -o "$out" "$suite" > "$out.log" 2>&1 &
	pid=$!
	local came=no
	for _ in $(seq 600); do
		if "moment_$moment"; then came=yes; break; fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	local all="$pid $(descendants "$pid" | tr '\n' ' ')"
	local at=$(( ($(date +%s%N) - start) / 1000000 ))
	kill "-$signal" "$pid"
	wait "$pid" 2>/dev/null
	local rc=$?
	if [ $came = no ]; then
		not_ok "SIG$signal during $moment: the moment came" "it did not within 6 s"
		return
	fi
	local why
	why=$(wait_gone "$all" 10)
	check "SIG$signal during $moment (at ${at} ms, $(echo $all | wc -w) processes): every process is gone" test -z "$why"
	[ -n "$why" ] && echo "#   $why"
	local same=no
	for _ in $(seq 100); do
		net_namespaces > ns-after.txt
		cmp -s ns-before.txt ns-after.txt && { same=yes; break; }
		sleep 0.1
	done
	check "SIG$signal during $moment: no network namespace is left" test $same = yes
	[ $same = no ] && diff ns-before.txt ns-after.txt | sed 's/^/#   /'
	why=$(wait_no_deadpeer 10)
	check "SIG$signal during $moment: no deadpeer process is left" test -z "$why"
	[ -n "$why" ] && echo "$why" | sed 's/^/#   /'
	host_state > after.txt
	check "SIG$signal during $moment: links, addresses, routes, neighbours, rules, sysctls, mounts, cgroups and {suite} unchanged" cmp -s before.txt after.txt
	cmp -s before.txt after.txt || diff before.txt after.txt | head -20 | sed 's/^/#   /'
	if [ "$signal" != KILL ]; then
		check "SIG$signal during $moment: exit status 1" test $rc = 1
		check "SIG$signal during $moment: the CSV is valid" csv_valid "$out/results.csv"
	fi
}

for moment in setup fault restart teardown; do
	kill_at KILL $moment "k-$moment"
done

# --- programs that fork, daemonize and leave grandchildren --------------------
# Each server forks a worker and a double-forked daemon (its own session,
# reparented to the sandbox's init), each holding a sleep; the client holds
# its connection. Killed in the middle of a fault, or at the end of a run,
# none of them may survive, nor the sandboxes' cgroups, mounts or {suite}.
mkdir apps
cat > apps/daemonize.py <<'PY'
import os, socket, sys, time
def hold(tag):
    os.execvp("sh", ["sh", "-c", "sleep 1000; :", tag])
if os.fork() == 0:
    hold("deadpeer-app-worker")
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        hold("deadpeer-app-daemon")
    os._exit(0)
s = socket.create_server((sys.argv[1], int(sys.argv[2])), family=socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET)
c, _ = s.accept()
open(os.path.join(sys.argv[3], "suite-file"), "w").write("x")
time.sleep(1000)
PY
cat > apps/daemons.scn <<'SCN'
[scenario]
deadline = 20s
repeat = 3
[server]
app = python3 {dir}/daemonize.py {addr} {port} {suite}
[client]
app = python3 -c "import socket, sys, time; s = socket.create_connection((sys.argv[1], int(sys.argv[2]))); time.sleep(1000)" {peer} {port}
[fault]
at = 300ms
action = drop
target = server
SCN
# The same, ending on its own: the server killed, a short deadline.
sed 's/^deadline = 20s/deadline = 1s/; s/^at = 300ms/at = 100ms/; s/^action = drop/action = kill/' \
	apps/daemons.scn > apps/daemons-kill.scn
moment_apps() { pgrep -f deadpeer-app-daemon > /dev/null && moment_fault; }
kill_at KILL apps k-apps apps
kill_at TERM apps t-apps apps
# Finished normally: the suite's own end removes everything too.
"$DEADPEER" run -q -j 4 -o apps-done apps/daemons-kill.scn > apps-done.log 2>&1
rc=$?
check "an apps suite that ends normally exits 0 or 1 (got $rc)" test $rc -le 1
check "after it, no process of its programs is left" test -z "$(pgrep -f 'deadpeer-app-(worker|daemon)')"
host_state > after.txt
check "after it, mounts, cgroups and {suite} are as before" cmp -s before.txt after.txt
cmp -s before.txt after.txt || diff before.txt after.txt | head -20 | sed 's/^/#   /'

kill_at TERM fault t-fault
kill_at INT restart i-restart
kill_at TERM teardown t-teardown

# --- bad input: exit 2, FILE:LINE, nothing created --------------------------
# MALFORMED/EXPECTED: "FILE<TAB>LINE<TAB>the message's start", one per file.
malformed_ok=0
malformed_total=0
# Generated ones: too big to keep in the tree as they are.
head -c 300 /dev/zero | tr '\0' 'k' | sed 's/^/[scenario]\ndescription = /' > huge-line.scn
printf '[scenario]\n' > deep-sweep.scn
for i in 1 2 3 4 5 6; do printf '[fault f%d]\naction = drop\ntarget = server\nat = 1s, 2s, 3s, 4s, 5s, 6s\n' $i; done >> deep-sweep.scn
while IFS=$'\t' read -r file line message; do
	[ -z "$file" ] || [ "${file#\#}" != "$file" ] && continue
	case $file in
	huge-line.scn|deep-sweep.scn) path=$work/$file ;;
	*) path=$MALFORMED/$file ;;
	esac
	malformed_total=$((malformed_total + 1))
	net_namespaces > ns-mal-before.txt
	(cd "$work" && "$DEADPEER" run -o "mal-out" "$path" > mal.out 2> mal.err)
	rc=$?
	net_namespaces > ns-mal-after.txt
	want="$path:$line: $message"
	if [ $rc = 2 ] && grep -qF -- "$want" mal.err && [ ! -e mal-out ] && cmp -s ns-mal-before.txt ns-mal-after.txt; then
		malformed_ok=$((malformed_ok + 1))
	else
		not_ok "malformed $file: exit 2, '$line: $message', nothing created" "exit $rc" "$(head -3 mal.err)"
	fi
done < "$MALFORMED/EXPECTED"
check "$malformed_ok of $malformed_total malformed files: exit 2 with their FILE:LINE message, no output directory, no namespace" \
	test "$malformed_ok" = "$malformed_total" -a "$malformed_total" -ge 25

# --- what the machine cannot do: exit 3, nothing created ---------------------
printf '[scenario]\ndeadline = 2s\n' > plain.scn
setpriv --reuid=65534 --regid=65534 --clear-groups "$DEADPEER" run -o env-out plain.scn > env.out 2> env.err; rc=$?
check "not root: exit 3 with a message" sh -c "[ $rc = 3 ] && grep -q 'needs root' env.err && [ ! -e env-out ]"
setpriv --inh-caps=-net_admin --bounding-set=-net_admin "$DEADPEER" run -o env-out plain.scn > env.out 2> env.err; rc=$?
check "root without CAP_NET_ADMIN: exit 3 with a message" sh -c "[ $rc = 3 ] && grep -q 'CAP_NET_ADMIN' env.err && [ ! -e env-out ]"
sed 's/^/#   /' env.err
printf '[scenario]\ndeadline = 2s\n[server]\nsysctl.net.ipv4.tcp_no_such_knob = 1\n' > nosysctl.scn
"$DEADPEER" run -o env-out nosysctl.scn > env.out 2> env.err; rc=$?
check "a sysctl this kernel lacks: exit 3, FILE:LINE, nothing run" sh -c "[ $rc = 3 ] && grep -qF 'nosysctl.scn:4: sysctl net.ipv4.tcp_no_such_knob does not exist in a network namespace' env.err && [ ! -e env-out ]"
printf '[scenario]\ndeadline = 2s\n[router]\nidle_timeout = 5s\nsysctl.net.netfilter.nf_conntrack_count = 3\n' > rosysctl.scn
"$DEADPEER" run -o env-out rosysctl.scn > env.out 2> env.err; rc=$?
check "a read-only sysctl: exit 3, FILE:LINE, nothing run" sh -c "[ $rc = 3 ] && grep -qF 'rosysctl.scn:5: sysctl net.netfilter.nf_conntrack_count cannot be written' env.err && [ ! -e env-out ]"

# --- more that the machine cannot do: exit 3, nothing created -------------------
unshare -U -r "$DEADPEER" run -o env-out plain.scn > env.out 2> env.err; rc=$?
check "inside a user namespace: exit 3 with a message, not an abort" sh -c "[ $rc = 3 ] && grep -q 'user namespace' env.err && [ ! -e env-out ]"
sed 's/^/#   /' env.err
setpriv --inh-caps=-net_raw --bounding-set=-net_raw "$DEADPEER" run -o env-out plain.scn > env.out 2> env.err; rc=$?
check "root without CAP_NET_RAW: exit 3 with a message" sh -c "[ $rc = 3 ] && grep -q 'CAP_NET_RAW' env.err && [ ! -e env-out ]"
unshare -m sh -c 'mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys && exec "$0" run -o env-out plain.scn' \
	"$DEADPEER" > env.out 2> env.err; rc=$?
check "a read-only /proc/sys: exit 3 with a message" sh -c "[ $rc = 3 ] && grep -q 'Read-only file system' env.err && [ ! -e env-out ]"
sed 's/^/#   /' env.err
# Values the kernel refuses, changes or will not read back: found by writing them in the preflight.
while IFS='|' read -r setting message; do
	printf '[scenario]\ndeadline = 2s\n[client]\nsysctl.%s\n' "$setting" > badvalue.scn
	"$DEADPEER" run -o env-out badvalue.scn > env.out 2> env.err; rc=$?
	check "sysctl.$setting: exit 3, FILE:LINE, nothing run" \
		sh -c '[ "$1" = 3 ] && grep -qF "$2" env.err && [ ! -e env-out ]' _ "$rc" "badvalue.scn:4: sysctl $message"
	[ $rc = 3 ] || sed 's/^/#   /' env.err
done <<'CASES'
net.ipv4.route.flush = 1|net.ipv4.route.flush can be written but not read back
net.ipv4.tcp_retries2 = 3 4|net.ipv4.tcp_retries2: the kernel took '3 4' as '3'
net.ipv4.tcp_retries2 = 99999999999999999999|net.ipv4.tcp_retries2 cannot be written in a network namespace of this kernel: Invalid argument
net.ipv4.tcp_congestion_control = cubic|net.ipv4.tcp_congestion_control cannot be written in a network namespace of this kernel: Operation not permitted
CASES

# --- hostile conditions: a full disk, a shared directory, few descriptors, stopped processes ---
cat > quick.scn <<'SCN'
[scenario]
deadline = 500ms
[fault]
at = 100ms
action = kill
target = server
[expect]
client = fin
server = killed
SCN
# A full disk: a two-page tmpfs, private to this test, takes suite.txt, the header and a few rows.
unshare -m sh -c 'mkdir -p full && mount -t tmpfs -o size=8k tmpfs full && "$0" run -q -j 16 --repeat 16 -o full/out quick.scn; echo "rc=$?"; ls -l full/out' \
	"$DEADPEER" > full.out 2> full.err
check "a full disk: exit 1, not 0" grep -qx 'rc=1' full.out
check "a full disk: says which result file could not be written" grep -Eq 'cannot write ".*(results.csv|runs/[^"]*\.obs)": No space left on device' full.err
check "a full disk: the summary says the results are incomplete" grep -q 'the results could not be written' full.out
grep -v '^[a-z-]* [0-9]* ' full.err | head -5 | sed 's/^/#   /'

# Two runs into one directory: the second is refused before it touches the first's CSV.
"$DEADPEER" run -q -o shared --repeat 3 -j 1 quick.scn > shared1.out 2>&1 &
first=$!
for _ in $(seq 200); do [ -e shared/results.csv ] && break; sleep 0.02; done
"$DEADPEER" run -q -o shared quick.scn > shared2.out 2>&1; rc=$?
wait $first; rc1=$?
check "a second run into a directory in use: exit 2 with a message" sh -c "[ $rc = 2 ] && grep -q 'in use by another deadpeer run' shared2.out"
check "a second run into a directory in use: the first passes" test $rc1 = 0
check "a second run into a directory in use: the first's CSV is whole (header and 6 rows)" csv_valid shared/results.csv 7

# Few descriptors: -j is fitted to the limit instead of failing runs.
timeout -s KILL 120 bash -c 'ulimit -n 64; exec "$0" run -q -j 64 --repeat 64 -o fds quick.scn' "$DEADPEER" > fds.out 2> fds.err; rc=$?
check "ulimit -n 64 with -j 64: every run passes" sh -c "[ $rc = 0 ] && grep -q '64 runs, 64 passed' fds.out"
check "ulimit -n 64 with -j 64: says -j was capped" grep -q 'capped at' fds.err
grep -h 'Too many\|ERROR' fds.out fds.err | head -3 | sed 's/^/#   /'

# No negative detection time after a kill: the fault's instant is read before it acts.
"$DEADPEER" run -q -j 50 --repeat 200 -o negative quick.scn > negative.out 2>&1
neg=$(awk -F, 'NR > 1 && $18 != "" && $18 < 0' negative/results.csv | wc -l)
check "200 kills: no negative detection time ($neg)" test "$neg" = 0

# A stopped endpoint never reports: the run is an error, not an invented "none".
printf '[scenario]\ndeadline = 1s\n[expect]\nclient = none\nserver = none\n' > idle.scn
"$DEADPEER" run -o stopped-ep idle.scn > stopped-ep.out 2>&1 &
pid=$!
stopped=""
for _ in $(seq 300); do
	for w in $(pgrep -P "$pid"); do stopped=$(pgrep -P "$w" | tr '\n' ' '); done
	[ -n "$stopped" ] && break
	sleep 0.01
done
[ -n "$stopped" ] && kill -STOP $stopped
wait $pid; rc=$?
check "a stopped endpoint: exit 1 and the run's error says it did not report" \
	sh -c "[ $rc = 1 ] && grep -q 'endpoint did not report its result' stopped-ep/results.csv"
why=$(wait_gone "$stopped" 10)
check "a stopped endpoint: it is gone afterwards" test -z "$why"

# A stopped worker: the watchdog ends its run and the suite goes on.
"$DEADPEER" run -o stopped-w --repeat 2 -j 2 idle.scn > stopped-w.out 2>&1 &
pid=$!
worker=""
for _ in $(seq 300); do
	for w in $(pgrep -P "$pid"); do [ -n "$(pgrep -P "$w")" ] && worker=$w; done
	[ -n "$worker" ] && break
	sleep 0.01
done
sleep 0.3
[ -n "$worker" ] && kill -STOP "$worker"
t0=$(date +%s)
for _ in $(seq 600); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then
	not_ok "a stopped worker: the suite ends" "still running after 60 s"
	kill -KILL $pid; kill -CONT "$worker"
else
	wait $pid; rc=$?
	check "a stopped worker: the suite ends after $(( $(date +%s) - t0 )) s with exit 1" test $rc = 1
	check "a stopped worker: its run is an error, the other passes" \
		sh -c "grep -q 'gave no result' stopped-w/results.csv && grep -q '1 passed, 1 failed' stopped-w.out"
fi
why=$(wait_gone "$worker" 10)
check "a stopped worker: it is gone afterwards" test -z "$why"

# --- repeatability -----------------------------------------------------------
# keepidle 2s, keepintvl 1s, keepcnt 3 under a drop: four timers (idle, three
# intervals), each rounded up by the timer wheel to its level's granularity
# (8^level jiffies), plus a jiffy of tick on each end. That is the spread the
# kernel allows; deadpeer must not add to it.
# HZ: the kernel's configuration if it is there, else jiffies counted over 2 s.
hz=$(sed -n 's/^CONFIG_HZ=//p' "/boot/config-$(uname -r)" 2>/dev/null)
if [ -z "$hz" ]; then
	j0=$(awk '/^jiffies:/ { print $2; exit }' /proc/timer_list); t0=$(date +%s%N); sleep 2
	j1=$(awk '/^jiffies:/ { print $2; exit }' /proc/timer_list); t1=$(date +%s%N)
	hz=$(( (j1 - j0) * 1000000000 / (t1 - t0) ))
	for h in 100 250 300 1000; do [ $(( hz - h )) -ge -10 ] && [ $(( hz - h )) -le 10 ] && hz=$h; done
fi
gran_ms() {	# granularity of a timer of $1 ms
	local j=$(( $1 * hz / 1000 )) level=0 g=1 start=63
	while [ $j -gt $start ]; do level=$((level + 1)); g=$((g * 8)); start=$((start * 8)); done
	echo $(( g * 1000 / hz ))
}
bound=$(( $(gran_ms 2000) + 3 * $(gran_ms 1000) + 2 * 1000 / hz ))
cat > repeat.scn <<'SCN'
[scenario]
deadline = 8s
[client]
keepalive = yes
keepidle = 2s
keepintvl = 1s
keepcnt = 3
[fault]
at = 1s
action = drop
target = server
direction = both
[expect]
client = timeout keepalive within 3.5s..5s probes 3
server = none
SCN
"$DEADPEER" run -q -j 20 --repeat 20 -o rep repeat.scn > rep.log 2>&1; rc=$?
check "20 repeats: all pass" test $rc = 0
outcomes=$(awk -F, '$4 == "client" { print $15 "/" $16 }' rep/results.csv | sort | uniq -c | sed 's/^ *//')
check "20 repeats: one client outcome ($outcomes)" test "$outcomes" = "20 timeout/keepalive"
# The spread of the time from the last packet received to the decision, which is what the timers measure.
read -r lo hi <<< "$(awk -F, '$4 == "client" { v = $18 - $19; if (min == "" || v < min) min = v; if (v > max) max = v } END { print min, max }' rep/results.csv)"
spread=$((hi - lo))
check "20 repeats: keepalive timeout after the last traffic spreads ${spread} ms ($lo..$hi ms), within the wheel's ${bound} ms at HZ=$hz" test "$spread" -le "$bound"
echo "# repeatability: 20 runs, last_rx to timeout $lo..$hi ms, spread $spread ms (bound $bound ms at HZ=$hz)"

finish
