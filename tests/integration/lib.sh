# Shared by the shell integration tests: TAP output, and what the machine
# looks like from the outside. Sourced; uses ip, nft, find and /proc only to
# check the harness.

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what" "command: $*"; fi; }
finish() { echo "1..$n"; [ "$failed" = 0 ]; }

require_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "1..0 # SKIP needs root"
		exit 77
	fi
}

# The initial namespace as deadpeer must leave it: links and their state,
# addresses, routes, configured (permanent) neighbours, the nftables ruleset,
# named namespaces, and every readable net.* sysctl. Learned neighbour
# entries and nf_conntrack_count change by themselves and are left out.
host_state() {
	ip -o link show
	ip -o addr show
	ip -o route show table all
	ip -o -6 route show table all
	ip neigh show nud permanent
	nft list ruleset
	ip netns list
	ls /run/netns 2>/dev/null
	find /proc/sys/net -type f -readable 2>/dev/null | grep -v nf_conntrack_count | sort |
		while read -r f; do printf '%s=%s\n' "$f" "$(tr '\t\n' '  ' < "$f" 2>/dev/null)"; done
	# What application endpoints' sandboxes use: mounts, cgroups, the {suite} directory.
	awk '{ print "mount", $5, $9 }' /proc/self/mountinfo | sort
	find "$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)" -type d -name 'deadpeer-*' 2>/dev/null
	ls -d /var/tmp/deadpeer.* 2>/dev/null
}

# Every network namespace something still holds: a process or thread in it,
# an open descriptor, or a bind mount.
net_namespaces() {
	{
		find /proc/[0-9]*/ns/net /proc/[0-9]*/task/[0-9]*/ns/net -maxdepth 0 -printf '%l\n' 2>/dev/null
		find /proc/[0-9]*/fd -lname 'net:*' -printf '%l\n' 2>/dev/null
		awk '$9 == "nsfs" { print $4 }' /proc/[0-9]*/mountinfo 2>/dev/null | grep -o 'net:\[[0-9]*\]'
	} | sort -u
}

# A process and all its descendants, stopped ones included.
descendants() {
	local p
	for p in $(pgrep -P "$1"); do
		echo "$p"
		descendants "$p"
	done
}

# Poll until none of the PIDs exists (zombies count as gone), for up to $2 s.
wait_gone() {
	local pids=$1 deadline=$(( $(date +%s) + $2 )) alive p
	while :; do
		alive=""
		for p in $pids; do
			if [ -e /proc/"$p" ] && [ "$(awk '{ print $3 }' /proc/"$p"/stat 2>/dev/null)" != Z ]; then
				alive="$alive $p"
			fi
		done
		[ -z "$alive" ] && return 0
		[ "$(date +%s)" -ge "$deadline" ] && { echo "still alive:$alive"; return 1; }
		sleep 0.1
	done
}

# deadpeer processes still alive (zombies waiting for init to reap them do not count).
live_deadpeers() {
	local p
	for p in $(pgrep -x deadpeer); do
		[ "$(awk '{ print $3 }' /proc/"$p"/stat 2>/dev/null)" = Z ] || echo "$p"
	done
}

# Poll for up to $1 s until no deadpeer process is alive; prints the survivors otherwise.
wait_no_deadpeer() {
	local deadline=$(( $(date +%s) + $1 )) left
	while :; do
		left=$(live_deadpeers | tr '\n' ' ')
		[ -z "$left" ] && return 0
		[ "$(date +%s)" -ge "$deadline" ] && { echo "$left"; ps -o pid,ppid,stat,args -p "${left// /,}" | sed 's/^/  /'; return 1; }
		sleep 0.1
	done
}

# FILE parses as CSV with a header and rows all of the header's width
# (at least $3 columns), and holds $2 lines if given.
csv_valid() {
	python3 - "$1" "${2:-}" "${3:-1}" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
ok = rows and len({len(r) for r in rows}) == 1 and len(rows[0]) >= int(sys.argv[3])
sys.exit(not (ok and (not sys.argv[2] or len(rows) == int(sys.argv[2]))))
PY
}
