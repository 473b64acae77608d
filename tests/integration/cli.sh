#!/bin/bash
# CLI integration test (root): exit codes, error messages, what a run writes,
# and the promise that nothing is left behind or changed in the namespace the
# harness started in, even after kill -9. Uses ip, nft and nsenter from the
# outside only to check the harness.
set -u
DEADPEER=${1:?usage: cli.sh PATH-TO-deadpeer}
DEADPEER=$(readlink -f "$DEADPEER")

. "$(dirname "$0")/lib.sh"
require_root

work=$(mktemp -d /tmp/deadpeer-cli.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

# What the initial namespace looks like (lib.sh); must be identical after every run.
host_state > before.txt

# deadpeer runs each run in a worker process; the endpoints are the workers' children.
endpoints_of() {
	for w in $(pgrep -P "$1"); do pgrep -P "$w"; done | tr '\n' ' '
}

cat > fast.scn <<'SCN'
[scenario]
description = server killed: the client reads the FIN
deadline = 2s
[client]
keepalive = yes
keepidle = 1s, 2s
sysctl.net.ipv4.tcp_retries2 = 4
[fault]
at = 200ms
action = kill
target = server
[expect]
client = fin within 0..500ms
server = killed
SCN

cat > broken.scn <<'SCN'
[scenario]
name = broken
[fault]
at = 1s
action = dorp
target = server
SCN

# --- usage and validation ---------------------------------------------------
out=$("$DEADPEER" --version); check "--version prints the version" test "${out#deadpeer }" != "$out"
"$DEADPEER" --help > /dev/null; check "--help exits 0" test $? = 0
"$DEADPEER" frobnicate 2> err.txt; rc=$?
check "unknown command exits 2" test $rc = 2
check "unknown command is named" grep -q "unknown command 'frobnicate'" err.txt

"$DEADPEER" check broken.scn > out.txt 2> err.txt; rc=$?
check "check of a broken file exits 2" test $rc = 2
check "check names FILE:LINE and the bad value" grep -qx "broken.scn:5: unknown action 'dorp' (expected drop, reject, link-down, kill, crash, freeze, loss, mtu-blackhole)" err.txt
# --help describes every fault action the parser knows, in the same order.
"$DEADPEER" --help > help.txt
help_actions=$(sed -n '/^fault actions/,$p' help.txt | awk 'NR > 1 { printf "%s%s", sep, $1; sep = ", " }')
check "--help lists the fault actions the parser expects" grep -q "(expected $help_actions)\$" err.txt

"$DEADPEER" check fast.scn > out.txt; rc=$?
check "check of a good file exits 0" test $rc = 0
check "check lists both variants of the sweep" grep -q "fast\[client.keepidle=2s\]" out.txt

# Only regular files are read: a FIFO or a device used to block check, run
# and table forever. Each is refused at once with exit 2 and why.
mkfifo fifo.scn
timeout 10 "$DEADPEER" check fifo.scn > out.txt 2> err.txt; rc=$?
check "check of a FIFO exits 2 at once" test $rc = 2
check "check of a FIFO says it is not a regular file" grep -qx "fifo.scn: not a regular file (a FIFO); scenario files must be regular files" err.txt
timeout 10 "$DEADPEER" check /dev/zero > out.txt 2> err.txt; rc=$?
check "check of /dev/zero exits 2 at once" test $rc = 2
check "check of /dev/zero says it is a device" grep -qx "/dev/zero: not a regular file (a character device); scenario files must be regular files" err.txt
mkdir special && cp fast.scn special/ && mkfifo special/late.scn
timeout 10 "$DEADPEER" check special > out.txt 2> err.txt; rc=$?
check "a FIFO named *.scn in a directory exits 2 at once" test $rc = 2
check "a FIFO named *.scn in a directory is named" grep -qx "special/late.scn: not a regular file (a FIFO); scenario files must be regular files" err.txt
timeout 10 "$DEADPEER" table fifo.scn > out.txt 2> err.txt; rc=$?
check "table of a FIFO exits 2 at once" test $rc = 2
check "table of a FIFO says it is not a regular file" grep -qx "fifo.scn: not a regular file (a FIFO); deadpeer table reads only regular files" err.txt
mkdir fiforesults && mkfifo fiforesults/summary.txt
echo "scenario,variant,side,action,target,keepalive,keepidle_ms,keepintvl_ms,keepcnt,user_timeout_ms,traffic,fault_at_ms,outcome,mechanism,detect_ms,predicted_ms,predicted,probes,probe_replies,verdict,description,error" > fiforesults/results.csv
timeout 10 "$DEADPEER" table fiforesults > out.txt 2> err.txt; rc=$?
check "table with a FIFO summary.txt exits 2 at once" test $rc = 2
check "table with a FIFO summary.txt names it" grep -qx "fiforesults/summary.txt: not a regular file (a FIFO); deadpeer table reads only regular files" err.txt
rm -rf fifo.scn special fiforesults

# Symbolic links back up the tree are loops: each named once, at once, exit 2
# (four links to "." used to take seconds and print 262144 errors).
mkdir loopdir && cp fast.scn loopdir/ && for i in 1 2 3 4; do ln -s . loopdir/l$i; done
timeout 10 "$DEADPEER" check loopdir > out.txt 2> err.txt; rc=$?
check "a directory with symbolic link loops exits 2 at once" test $rc = 2
check "each symbolic link loop is named once" test "$(grep -cx 'loopdir/l[1-4]: symbolic link loop (same directory as loopdir)' err.txt) $(wc -l < err.txt)" = "4 4"
rm -rf loopdir

"$DEADPEER" run broken.scn fast.scn > out.txt 2> err.txt; rc=$?
check "run with a broken file exits 2" test $rc = 2
check "run with a broken file reports it" grep -q "^broken.scn:5: " err.txt
check "run with a broken file creates nothing" test ! -e results

"$DEADPEER" run --filter 'nomatch*' fast.scn > out.txt 2> err.txt; rc=$?
check "a filter that selects nothing exits 2" test $rc = 2
"$DEADPEER" run --shard 3/2 fast.scn > out.txt 2> err.txt; rc=$?
check "--shard K>N exits 2" test $rc = 2

# --- not root ---------------------------------------------------------------
setpriv --reuid=65534 --regid=65534 --clear-groups "$DEADPEER" run fast.scn > out.txt 2> err.txt; rc=$?
check "run without root exits 3" test $rc = 3
check "run without root says why" grep -q "needs root" err.txt
setpriv --reuid=65534 --regid=65534 --clear-groups "$DEADPEER" check fast.scn > out.txt 2> err.txt; rc=$?
check "check works without root" test $rc = 0

# --- a real run -------------------------------------------------------------
"$DEADPEER" run fast.scn > out.txt 2> err.txt; rc=$?
check "a passing run exits 0" test $rc = 0
check "results/latest points at the run" test -f results/latest/results.csv
check "the summary names the CSV" grep -q "CSV: results/[0-9]*T[0-9]*Z/results.csv" out.txt
check "the CSV has a header and two rows per run" test "$(wc -l < results/latest/results.csv)" = 5
check "the CSV header starts with the SPEC columns" grep -q "^scenario,variant,run,side,family,action,target,keepalive,keepidle_ms,keepintvl_ms,keepcnt,user_timeout_ms,traffic,fault_at_ms,outcome,mechanism,errno,detect_ms,last_rx_ms,predicted_ms,probes,retransmits,expected,verdict" results/latest/results.csv
check "the client read a FIN in both variants" test "$(grep -c ',client,ipv4,kill,server,yes,[12]000,.*,fin,-,,[0-9]*,' results/latest/results.csv)" = 2
check "a summary.txt is kept" test -s results/latest/summary.txt
host_state > after.txt
check "the initial namespace is unchanged after a run" cmp -s before.txt after.txt

"$DEADPEER" run --shard 2/2 -o shard fast.scn > out.txt 2> err.txt; rc=$?
check "--shard 2/2 runs one of the two variants" test "$(grep -c ',client,' shard/results.csv)" = 1

sed 's/^client = fin within 0..500ms/client = rst/' fast.scn > unmet.scn
"$DEADPEER" run -o unmet unmet.scn > out.txt 2> err.txt; rc=$?
check "an unmet expectation exits 1" test $rc = 1
check "the summary shows expected and got" grep -q "client: expected rst, got fin" out.txt
check "the CSV records the failed verdict" grep -q ',rst,fail,' unmet/results.csv

# --- rates over repeats: rates.csv, the summary and table agree ---------------
# keepalive 1s/1s/1 on a link losing 80% each way: a probe fails with p = 96%,
# surviving the 5 that fit in 6s is 0.04^5 = 1e-7; the client's reset reaches
# the server in 20% of the runs, so the server's outcomes are chance's.
cat > lossy.scn <<'SCN'
[scenario]
deadline = 6s
[client]
keepalive = yes
keepidle = 1s
keepintvl = 1s
keepcnt = 1
[fault]
at = 500ms
action = loss
target = router
probability = 80%
[expect]
client = timeout keepalive
SCN
"$DEADPEER" run --repeat 4 -o rates lossy.scn > out.txt 2> err.txt; rc=$?
check "a repeated loss run exits 0" test $rc = 0
check "rates.csv is written beside results.csv" test -f rates/rates.csv
check "rates.csv has its header" test "$(head -n 1 rates/rates.csv)" = $'scenario,variant,side,outcome,mechanism,runs,total,rate,median_detect_ms\r'
check "rates.csv is RFC 4180 with 9 columns" csv_valid rates/rates.csv "" 9
check "rates.csv: the client timed out by keepalive in 4 of 4" grep -q $'^lossy,,client,timeout,keepalive,4,4,1.000,[0-9][0-9]*\r$' rates/rates.csv
check "rates.csv: the server's outcomes add up to 4 runs, each rate runs/total" awk -F, '
	$3 == "server" { sum += $6; if ($7 != 4 || $8 != sprintf("%.3f", $6 / 4)) bad = 1 }
	END { exit bad || sum != 4 }' rates/rates.csv
check "results.csv records the loss's share" test "$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /^probability/) c = i; next } { print $c }' rates/results.csv | tr -d '\r' | sort -u)" = 80
check "the summary gives the client's rate" grep -q "client: timeout/keepalive 4 of 4 (100 %, median [0-9.]* s)" out.txt
check "summary.txt keeps the rates" grep -q "client: timeout/keepalive 4 of 4 (100 %, median [0-9.]* s)" rates/summary.txt
server_rates=$(grep -o "server: .*" rates/summary.txt | head -n 1)
check "the summary's server rates add up to 4 runs" test "$(echo "$server_rates" | grep -o '[0-9]* of 4' | awk '{ s += $1 } END { print s }')" = 4
"$DEADPEER" table rates > table.md 2> err.txt; rc=$?
check "table of a repeated run exits 0" test $rc = 0
check "table shows the loss and its share" grep -q '| lossy | client keepalive 1s/1s/1 | loss 80% router at 500ms |' table.md
# Where the runs disagree the table gives the summary's rates; where they agree, the outcome and its times.
server_cell=$(awk -F' [|] ' '$2 == "lossy" { print $7 }' table.md)
server_rates=${server_rates#server: }
case $server_rates in
*" 4 of 4 "*) want=${server_rates%% 4 of 4 *} ;;
*) want=$server_rates ;;
esac
check "table gives the server the summary's rates ($server_cell)" test "${server_cell#"$want"}" != "$server_cell"

# --- wire capture: deadpeer's probe counts agree with tshark's analysis -------
cat > wire.scn <<'SCN'
[scenario]
name = wire
deadline = 8s
family = ipv4, ipv6
[client]
keepalive = yes
keepidle = 1s
keepintvl = 1s
keepcnt = 2
[fault]
at = 2500ms
action = drop
target = router
SCN
"$DEADPEER" run --pcap -o wire wire.scn > out.txt 2> err.txt; rc=$?
check "a --pcap run exits 0" test $rc = 0
for v in 1 2; do
	for side in client server; do
		f=wire/pcap/wire-$v-1-$side.pcap
		check "--pcap keeps $f" test -s "$f"
		if [ $v = 1 ]; then src=198.18.1.2; [ $side = server ] && src=198.19.1.2; filter="ip.src==$src"
		else src=2001:db8:1::2; [ $side = server ] && src=2001:db8:2::2; filter="ipv6.src==$src"; fi
		theirs=$(tshark -r "$f" -Y "tcp.analysis.keep_alive && $filter" 2>/dev/null | wc -l)
		ours=$(awk -F, -v v="$([ $v = 1 ] && echo family=ipv4 || echo family=ipv6)" -v s=$side '$2 == v && $4 == s { print $21 }' wire/results.csv)
		check "variant $v $side: deadpeer counts $ours probes, tshark $theirs" test "$ours" = "$theirs"
	done
done
check "probes were sent and counted on the wire" test "$(awk -F, '$4 == "client" && $27 == "wire" { print $21 }' wire/results.csv | sort -u)" = 4
check "the keepalive timeout has a wire lag under 20 ms" sh -c "awk -F, '\$4 == \"client\" { if (\$25 == \"\" || \$25 + 0 > 20) bad = 1 } END { exit bad }' wire/results.csv"

# --- many runs at once: same kernel windows, no cross-talk, TAP ---------------
cat > par.scn <<'SCN'
[scenario]
name = par
deadline = 4s
[client]
keepalive = yes
keepidle = 1s
keepintvl = 1s
keepcnt = 2
[fault]
at = 500ms
action = drop
target = router
[expect]
client = timeout keepalive within 2.4s..3.2s
server = none
SCN
start=$(date +%s%N)
"$DEADPEER" run -j 24 --repeat 24 --tap -o par par.scn > tap.txt 2> err.txt; rc=$?
wall=$(( ($(date +%s%N) - start) / 1000000 ))
check "24 parallel runs pass their kernel windows" test $rc = 0
check "TAP output starts with its version" test "$(head -n 1 tap.txt)" = "TAP version 13"
check "TAP plans 24 test points" grep -qx "1..24" tap.txt
check "TAP has 24 ok test points" test "$(grep -c '^ok [0-9]* - par #' tap.txt)" = 24
check "each run's client sent exactly keepcnt probes (no cross-talk)" \
	test "$(awk -F, '$4 == "client" && $21 == 2 && $15 == "timeout"' par/results.csv | wc -l)" = 24
check "24 runs of a 3.5 s scenario took under 12 s ($wall ms)" test "$wall" -lt 12000

# --- Ctrl-C mid-suite ---------------------------------------------------------
cat > slow.scn <<'SCN'
[scenario]
deadline = 60s
[client]
keepalive = yes
keepidle = 1s
SCN
"$DEADPEER" run -j 3 -o sig fast.scn slow.scn > sig.txt 2>&1 &
pid=$!
for _ in $(seq 100); do
	[ -f sig/results.csv ] && [ "$(wc -l < sig/results.csv)" -ge 5 ] && break
	sleep 0.1
done
children=$(endpoints_of "$pid")
kill -INT "$pid"
wait "$pid"; rc=$?
check "SIGINT mid-suite exits non-zero" test $rc != 0
check "the finished runs' rows are kept" test "$(wc -l < sig/results.csv)" = 5
check "every CSV row is complete" csv_valid sig/results.csv 5 30
check "the partial summary says what happened" grep -q "interrupted: 2 of 3 runs finished" sig.txt
alive=0
for c in $children; do kill -0 "$c" 2>/dev/null && alive=1; done
check "no endpoint outlives an interrupted suite" test $alive = 0
host_state > after.txt
check "the initial namespace is unchanged after SIGINT" cmp -s before.txt after.txt

# --- kill -9 mid-run --------------------------------------------------------
cat > long.scn <<'SCN'
[scenario]
deadline = 60s
[client]
keepalive = yes
keepidle = 30s
[fault]
at = 100ms
action = drop
target = server
SCN
"$DEADPEER" run -o killed long.scn > /dev/null 2>&1 &
pid=$!
children=""
for _ in $(seq 100); do
	children=$(endpoints_of "$pid")
	[ "$(echo $children | wc -w)" = 2 ] && break
	sleep 0.1
done
check "the run started two endpoints" test "$(echo $children | wc -w)" = 2
server=$(echo $children | cut -d' ' -f1)
ns=$(readlink /proc/"$server"/ns/net)
for _ in $(seq 50); do
	nsenter --net=/proc/"$server"/ns/net nft list tables 2>/dev/null | grep -q deadpeer_fault0 && break
	sleep 0.1
done
check "the fault's nftables table lives in the run's namespace" sh -c "nsenter --net=/proc/$server/ns/net nft list tables | grep -q deadpeer_fault0"
check "the run's namespace is not the initial one" test "$ns" != "$(readlink /proc/self/ns/net)"
kill -9 "$pid"
wait "$pid" 2>/dev/null
gone=no
for _ in $(seq 50); do
	alive=0
	for c in $children; do kill -0 "$c" 2>/dev/null && alive=1; done
	[ $alive = 0 ] && gone=yes && break
	sleep 0.1
done
check "endpoints die with a SIGKILLed harness" test $gone = yes
held=$(find /proc/[0-9]*/ns/net /proc/[0-9]*/fd -lname "$ns" 2>/dev/null | head -n 1)
check "nothing holds the run's namespace any more" test -z "$held"
host_state > after.txt
check "the initial namespace is unchanged after kill -9" cmp -s before.txt after.txt
if ! cmp -s before.txt after.txt; then diff before.txt after.txt | sed 's/^/#   /'; fi

# --- a crashed and restarted host leaves nothing behind ---------------------
cat > crash.scn <<'SCN'
[scenario]
deadline = 20s
[fault]
at = 500ms
action = crash
target = server
restart = 1s
restart_service = yes
SCN
"$DEADPEER" run -o crashed crash.scn > /dev/null 2>&1 &
pid=$!
old=""
for _ in $(seq 50); do
	first=$(endpoints_of "$pid" | cut -d' ' -f1)
	[ -n "$first" ] && old=$(readlink /proc/"$first"/ns/net 2>/dev/null) && [ -n "$old" ] && break
	sleep 0.1
done
# The first child is the server; after the crash and restart a new listening server appears.
new=""
for _ in $(seq 60); do
	for c in $(endpoints_of "$pid"); do
		ns=$(readlink /proc/"$c"/ns/net 2>/dev/null)
		[ -n "$ns" ] && [ "$ns" != "$old" ] && [ -n "$(nsenter --net=/proc/$c/ns/net ss -Hltn 'sport = :7000' 2>/dev/null)" ] && new=$c
	done
	[ -n "$new" ] && break
	sleep 0.1
done
check "a restarted server listens again in a new namespace" test -n "$new"
if [ -n "$new" ]; then
	check "the restarted host has the same MAC" sh -c "nsenter --net=/proc/$new/ns/net ip -o link show eth0 | grep -q 02:de:ad:00:02:02"
	# An IPv4 run: its family's address again, and no other family's.
	check "the restarted host has the same address" sh -c "nsenter --net=/proc/$new/ns/net ip -o addr show eth0 | grep -q 198.19.1.2/24 && ! nsenter --net=/proc/$new/ns/net ip -o addr show eth0 | grep -q 2001:db8"
fi
held=$(find /proc/[0-9]*/ns/net /proc/[0-9]*/fd -lname "$old" 2>/dev/null | head -n 1)
check "nothing holds the crashed host's old namespace" test -z "$held"
kill -9 "$pid"
wait "$pid" 2>/dev/null
host_state > after.txt
check "the initial namespace is unchanged after a crash run" cmp -s before.txt after.txt

echo "1..$n"
echo "# $((n - failed)) passed, $failed failed"
[ $failed = 0 ]
