#!/bin/bash
# The benchmarks keep working (root): each bench/ script run at its smallest
# size exits 0 and prints its figures. The figures themselves are not judged
# here: benchmarks are measured with bench/, not asserted in tests.
set -u
export SETTLE=0	# bench/parallel: no pause between its levels here
export DEADPEER=$(readlink -f "${1:?usage: bench-smoke.sh PATH-TO-deadpeer BENCH-DIR}")
BENCH=$(readlink -f "${2:?usage: bench-smoke.sh PATH-TO-deadpeer BENCH-DIR}")
. "$(dirname "$0")/lib.sh"
require_root
work=$(mktemp -d /tmp/deadpeer-bench-smoke.XXXXXX)
trap 'rm -rf "$work"' EXIT

smoke() {	# NAME PATTERN ARGS...: runs bench/NAME ARGS, expects a line matching PATTERN
	local name=$1 pattern=$2
	shift 2
	"$BENCH/$name" "$@" > "$work/$name.out" 2> "$work/$name.err"
	local rc=$?
	if [ $rc = 0 ] && grep -Eq "$pattern" "$work/$name.out"; then
		ok "bench/$name $* prints its figures"
	else
		not_ok "bench/$name $* prints its figures" "exit $rc" "$(tail -5 "$work/$name.out" "$work/$name.err")"
	fi
}
smoke overhead '^ratio of medians: baseline / deadpeer = [0-9.]+x' 2
smoke fault-latency '^deadpeer drop, -j 6 +[0-9.]+ ' 1
smoke wire-lag '^ +3 +[0-9.]+ ' 3
smoke parallel '^ +2 +[0-9]+ ' 1 2
smoke apps '^socat +[0-9.]+ ' 1
smoke model-accuracy '^all: [0-9]+ sides' "$(dirname "$BENCH")/scenarios/keepalive-drop.scn"
"$DEADPEER" run -q -o "$work/results" "$(dirname "$BENCH")/scenarios/keepalive-drop.scn" > /dev/null 2>&1
smoke report-open '^/[^ ]*results +1 +' -n 1 "$work/results"
check "the baseline left no named namespace" test -z "$(ip netns list | grep dpb)"
finish
