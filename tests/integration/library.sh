#!/bin/bash
# The shipped scenario library (root): `deadpeer run` with no arguments runs
# it, every expectation holds, it stays within its time budget, every seed
# claim has its scenario, and the tables in README.md are what
# `deadpeer table` makes of this fresh run (numbers aside, which vary).
set -u
DEADPEER=$(readlink -f "${1:?usage: library.sh PATH-TO-deadpeer README.md}")
README=$(readlink -f "${2:?usage: library.sh PATH-TO-deadpeer README.md}")

. "$(dirname "$0")/lib.sh"
require_root

work=$(mktemp -d /tmp/deadpeer-library.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

# The library's shape, from check (no root needed for it).
"$DEADPEER" check > check.txt 2>&1
files=$(sed -n 's/^\([0-9]*\) files, [0-9]* runs$/\1/p' check.txt)
with_expect=$(grep -c '^      expect ' check.txt)
scn_with_expect=$(awk '/^[^ ]/ { file = $1 } /^      expect / { seen[file] = 1 } END { print length(seen) }' check.txt)
if [ "${files:-0}" -ge 14 ] && [ "$scn_with_expect" -ge 12 ]; then
	ok "the library has $files scenario files, $scn_with_expect with [expect] ($with_expect expectations)"
else
	not_ok "the library has at least 14 files, 12 with [expect]" "files=$files with_expect=$scn_with_expect"
fi

host_state > before.txt
start=$(date +%s)
"$DEADPEER" run -q -o run > run.txt 2>&1
rc=$?
took=$(( $(date +%s) - start ))
if [ $rc = 0 ]; then
	ok "deadpeer run with no arguments exits 0 ($(tail -2 run.txt | head -1))"
else
	not_ok "deadpeer run with no arguments exits 0" "exit $rc" "$(grep -A1 FAIL run.txt | head -20)"
fi
if [ "$took" -le 180 ]; then
	ok "the library ran in ${took}s (budget 180s)"
else
	not_ok "the library runs within 180s" "took ${took}s"
fi
host_state > after.txt
if cmp -s before.txt after.txt; then
	ok "the initial namespace is as before the suite ($(wc -l < after.txt) lines: links, addresses, routes, neighbours, nftables, net.* sysctls)"
else
	not_ok "the initial namespace is as before the suite" "$(diff before.txt after.txt | head -20)"
fi
fails=$(grep -c ',fail,' run/results.csv)
rows=$(( $(wc -l < run/results.csv) - 1 ))
if [ "$fails" = 0 ] && [ "$rows" -gt 0 ]; then
	ok "no row of $rows has verdict fail"
else
	not_ok "no row has verdict fail" "$fails of $rows rows failed"
fi

"$DEADPEER" table run > table.md 2> table.err
rc=$?
claims=$(awk -F'|' '/^\| [0-9]+ \|/ { gsub(/ /, "", $2); print $2 }' table.md | sort -nu | tr '\n' ' ')
if [ $rc = 0 ] && [ "$claims" = "1 2 3 4 5 6 7 8 9 10 11 12 " ]; then
	ok "deadpeer table lists every claim 1..12"
else
	not_ok "deadpeer table lists every claim 1..12" "exit $rc, claims: $claims" "$(cat table.err)"
fi
if grep -q '^| compare-heartbeat | heartbeat | heartbeat' table.md && grep -q '^| compare-idle-keepalive |' table.md; then
	ok "deadpeer table has the comparison matrix"
else
	not_ok "deadpeer table has the comparison matrix" "$(tail -10 table.md)"
fi

# README's tables, numbers aside, are this run's. A cell summing up repeated
# runs (a scenario with repeat, such as the lossy links) shows what chance
# made of them — which outcomes, how often, how many probes were answered —
# so it only has to be a cell of repeats in both.
normalize() {
	grep '^|' | sed -E 's/[0-9]+(\.[0-9]+)?/N/g; s/probes?/probes/g' |
		sed -E 's/\| [^|]*N of N \([^|]*/| (varies) /g; s/\| ([a-z/-]+)[^|]*(N runs\)|\(run N\))[^|]*/| \1 (repeated) /g'
}
sed -n '/<!-- table:begin -->/,/<!-- table:end -->/p' "$README" | normalize > readme.norm
normalize < table.md > fresh.norm
# Runs that all agreed this time may have disagreed when README was made: such
# a cell of repeats matches a README cell that says they varied.
awk -F'|' -v OFS='|' 'NR == FNR { line[FNR] = $0; next }
	{ n = split(line[FNR], r, "|")
	  for (i = 1; i <= NF && i <= n; i++) if (r[i] == " (varies) " && $i ~ / \(repeated\) $/) $i = " (varies) "
	  print }' readme.norm fresh.norm > fresh.tmp && mv fresh.tmp fresh.norm
if [ -s readme.norm ] && diff -u readme.norm fresh.norm > table.diff; then
	ok "README.md's tables match this run ($(wc -l < fresh.norm) lines)"
else
	not_ok "README.md's tables match this run (regenerate with: deadpeer table)" "$(head -30 table.diff)"
fi

# table refuses what is not a results.csv, with FILE:LINE.
printf 'a,b\r\n1,2\r\n' > other.csv
out=$("$DEADPEER" table other.csv 2>&1)
rc=$?
if [ $rc = 2 ] && [ "$out" = "other.csv:1: no column 'scenario': not a results.csv of this deadpeer" ]; then
	ok "deadpeer table on another CSV: exit 2, FILE:LINE message"
else
	not_ok "deadpeer table on another CSV: exit 2, FILE:LINE message" "exit $rc: $out"
fi
out=$("$DEADPEER" table missing-dir 2>&1)
rc=$?
if [ $rc = 2 ] && [[ "$out" == *'cannot open "missing-dir": No such file or directory'* ]]; then
	ok "deadpeer table on a missing path: exit 2"
else
	not_ok "deadpeer table on a missing path: exit 2" "exit $rc: $out"
fi

finish
