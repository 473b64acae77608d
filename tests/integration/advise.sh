#!/bin/bash
# deadpeer advise --verify (root): the scenarios it writes run, and every run
# lands in the window its prediction gives; advice with a trap in it fails its
# own verification; without root it writes the scenarios and exits 3; check
# warns about a trap without failing. Targets are scaled to seconds.
set -u
DEADPEER=${1:?usage: advise.sh PATH-TO-deadpeer}
DEADPEER=$(readlink -f "$DEADPEER")

. "$(dirname "$0")/lib.sh"
require_root

work=$(mktemp -d /tmp/deadpeer-advise.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

# The column @2 of results.csv @1 for scenario @3's side @4.
field() {
	python3 - "$@" <<'PY'
import csv, sys
path, col, scen, side = sys.argv[1:5]
for row in csv.DictReader(open(path)):
    if row["scenario"] == scen and row["side"] == side:
        print(row[col])
PY
}

# --- advice that holds: every run in its window ----------------------------
"$DEADPEER" advise --idle 8s --busy 6s --connect 8s --tolerate-loss 1 --verify -o good > good.txt 2>&1; rc=$?
check "advise --verify of advice that holds exits 0" test $rc = 0
check "it says so" grep -qx "Verified: every run landed in its predicted window." good.txt
for k in idle busy connect tolerate; do
	check "it wrote advise-$k.scn" test -f good/scenarios/advise-$k.scn
	check "advise-$k passed" test "$(field good/results/results.csv verdict advise-$k client)" = pass
done
check "the idle run timed out by keepalive's timer" \
	grep -q "^timeout$" <(field good/results/results.csv outcome advise-idle client)
check "the tolerance run lost probes and lived" \
	test "$(field good/results/results.csv outcome advise-tolerate client)" = none

# --- the same as JSON: the run's report goes to stderr ---------------------
"$DEADPEER" advise --idle 8s --busy 6s --json --verify -o json > json.txt 2> json.err; rc=$?
check "advise --json --verify exits 0" test $rc = 0
check "stdout is one JSON object that says it was verified" \
	python3 -c 'import json,sys; d=json.load(open("json.txt")); sys.exit(0 if d["verified"] is True and d["keepcnt"] == 2 else 1)'
check "the run's report went to stderr" grep -q "CSV: json/results/results.csv" json.err

# --- more target sets: one state at a time, a middlebox, a stack that sets keepalive's timers only
i=0
for targets in "--busy 3s" "--connect 4s" "--idle 12s --middlebox-idle 10s" "--idle 10s --knobs keepalive,keepalive-timers"; do
	i=$((i + 1))
	# shellcheck disable=SC2086 # the targets are several words
	"$DEADPEER" advise $targets --verify -o set$i > set$i.txt 2>&1; rc=$?
	check "advise $targets --verify exits 0" test $rc = 0
	check "advise $targets: verified" grep -qx "Verified: every run landed in its predicted window." set$i.txt
done
check "the middlebox advice keeps keepidle under its 10 s" \
	python3 -c 'import re,sys; m=re.search(r"TCP_KEEPIDLE\s+(\d+)", open("set3.txt").read()); sys.exit(0 if m and int(m.group(1)) < 10 else 1)'
check "with keepalive's timers only, no user timeout is advised" bash -c '! grep -Eq "^  TCP_USER_TIMEOUT +[0-9]" set4.txt'

# --- advice with a trap: its own verification catches it --------------------
# A 2 s busy target needs a user timeout shorter than keepidle + keepintvl:
# one lost probe ends a live idle connection, as the advice warns.
"$DEADPEER" advise --idle 6s --busy 2s --tolerate-loss 1 --verify -o trap > trap.txt 2>&1; rc=$?
check "advise --verify of advice with a trap exits 1" test $rc = 1
check "the advice warned about the trap" grep -q "1 lost probe in a row ends a live connection" trap.txt
check "the tolerance run failed: the user timeout ended the live connection" \
	test "$(field trap/results/results.csv outcome advise-tolerate client)/$(field trap/results/results.csv verdict advise-tolerate client)" = timeout/fail
check "the idle and busy runs still met their windows" \
	test "$(field trap/results/results.csv verdict advise-idle client)$(field trap/results/results.csv verdict advise-busy client)" = passpass

# --- without root: the scenarios are written, nothing runs ------------------
mkdir user && chown nobody user
(cd user && setpriv --reuid=nobody --regid=nogroup --clear-groups "$DEADPEER" advise --idle 8s --verify > out.txt 2> err.txt); rc=$?
check "advise --verify without root exits 3" test $rc = 3
check "it says where the scenarios are" grep -q "they are in advise-verify/scenarios: run them as root" user/err.txt
check "they are there" test -f user/advise-verify/scenarios/advise-idle.scn
check "nothing ran" test ! -e user/advise-verify/results/results.csv
setpriv --reuid=nobody --regid=nogroup --clear-groups "$DEADPEER" advise --idle 30s --json > user.json; rc=$?
check "advise without --verify needs no root" test $rc = 0 -a -s user.json

# --- check warns about a trap and still passes -------------------------------
cat > trap.scn <<'SCN'
[client]
keepalive = yes
keepidle = 2s
keepintvl = 1s
keepcnt = 9
user_timeout = 4s
[fault]
action = drop
target = router
SCN
"$DEADPEER" check trap.scn > out.txt 2> err.txt; rc=$?
check "check of a scenario with a trap exits 0" test $rc = 0
check "check warns about it" grep -q "^trap.scn: warning: trap, client: TCP_USER_TIMEOUT 4s" err.txt

finish
