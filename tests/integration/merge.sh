#!/bin/bash
# deadpeer merge (root, for the runs): a suite run as two shards separately,
# as on two machines, merges into one directory whose results.csv, runs/,
# suite.txt, summary, rates and report hold every run once; shards that
# overlap, come from another suite or another deadpeer, and an output
# directory in use are refused with exit 2 and nothing written; a missing
# shard is allowed and said.
set -u
DEADPEER=${1:?usage: merge.sh PATH-TO-deadpeer}
DEADPEER=$(readlink -f "$DEADPEER")

. "$(dirname "$0")/lib.sh"
require_root

work=$(mktemp -d /tmp/deadpeer-merge.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

cat > ka.scn <<'SCN'
[scenario]
name = merge-keepalive
deadline = 6s
family = ipv4, ipv6
repeat = 2
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
client = timeout keepalive
SCN

"$DEADPEER" run -q --shard 1/2 -o shard1 ka.scn > run1.log 2>&1
check "shard 1/2 runs" test $? = 0
"$DEADPEER" run -q --shard 2/2 -o shard2 ka.scn > run2.log 2>&1
check "shard 2/2 runs" test $? = 0
check "each shard keeps suite.txt" grep -qx 'shard 2/2' shard2/suite.txt
check "... with the whole suite's run count" grep -qx 'runs 4' shard1/suite.txt
check "... and the same suite fingerprint" test "$(grep ^suite shard1/suite.txt)" = "$(grep ^suite shard2/suite.txt)"
check "rows say where they were measured" \
	grep -q ",$(uname -r),[0-9]*,$(hostname)"$'\r'"\$" shard1/results.csv

"$DEADPEER" merge -o merged shard1 shard2 > merge.log 2>&1
check "merge exits 0" test $? = 0
check "merge says what it joined" grep -qx 'merged: 4 runs from 2 directories (shards 1+2 of 2); report: merged/report.html' merge.log
check "results.csv: one header, every row" test "$(wc -l < merged/results.csv)" = 9
check "... the rows of both shards, as they were" \
	test "$(tail -n +2 merged/results.csv | sort | md5sum)" = "$(tail -q -n +2 shard1/results.csv shard2/results.csv | sort | md5sum)"
check "runs/: every record" test "$(ls merged/runs | wc -l)" = 4
check "suite.txt: both shards" grep -qx 'shard 1+2/2' merged/suite.txt
check "summary: every run" grep -qx '4 runs, 4 passed, 0 failed' merged/summary.txt
check "summary: the rates over both shards" grep -Eq 'client: timeout/keepalive 2 of 2 \(100 %' merged/summary.txt
check "rates.csv over both shards" grep -q '^merge-keepalive,family=ipv4,client,timeout,keepalive,2,2,1.000,' merged/rates.csv
check "report.html: every run" test "$(grep -o '<details class="run"' merged/report.html | wc -l)" = 4

# Merged directories merge again; a shard alone is allowed, and said.
"$DEADPEER" merge -o one shard1 > one.log 2> one.err
check "one shard of two: exit 0" test $? = 0
check "... saying what is missing" grep -qx 'deadpeer merge: 1 of 2 shards given: 2 of the suite'"'"'s 4 runs are missing' one.err

refused() {	# NAME PATTERN ARGS...: merge ARGS exits 2, says PATTERN, writes nothing
	local what=$1 pattern=$2
	shift 2
	rm -rf out
	"$DEADPEER" merge -o out "$@" > refused.log 2>&1
	local rc=$?
	if [ $rc = 2 ] && grep -Eq "$pattern" refused.log && [ ! -e out ]; then
		ok "$what"
	else
		not_ok "$what" "exit $rc" "$(cat refused.log)" "$(ls out 2>&1)"
	fi
}
refused "the same shard twice" 'shard1 and shard1 overlap: both hold shard 1/2' shard1 shard1
cp -r shard1 again
refused "a shard run twice" 'shard1 and again overlap: both hold shard 1/2' shard1 again
refused "a merged directory and one of its shards" 'merged and shard2 overlap: both hold shard 2/2' merged shard2
"$DEADPEER" run -q --shard 2/2 --repeat 1 -o other ka.scn > /dev/null 2>&1
refused "a shard of another suite" 'shard1 and other are shards of different suites' shard1 other
cp -r shard2 old
sed -i "1s/.*/deadpeer 0.0.9/" old/suite.txt
refused "a shard of another deadpeer" 'old was measured by deadpeer 0.0.9, this is deadpeer ' shard1 old
cp -r shard2 cols
sed -i '1s/,host\r$/\r/' cols/results.csv
refused "columns of another deadpeer" 'cols/results.csv: its columns are not this deadpeer' shard1 cols
refused "a directory that is no results" 'not a results directory of deadpeer run' shard1 "$work"
mkdir busy && touch busy/x
"$DEADPEER" merge -o busy shard1 shard2 > busy.log 2>&1
check "an output directory in use: exit 2" test $? = 2
check "... saying so" grep -q '"busy" is not empty' busy.log
"$DEADPEER" merge shard1 shard2 > usage.log 2>&1
check "no -o: exit 2" test $? = 2
finish
