#!/bin/bash
# meson install to a prefix (root, for the run): the installed deadpeer runs
# its installed suite from anywhere, its man pages and completion are where
# man and bash-completion look.
set -u
SOURCE=${1:?usage: install.sh SOURCE-DIR}
SOURCE=$(readlink -f "$SOURCE")

. "$(dirname "$0")/lib.sh"
require_root

work=$(mktemp -d /tmp/deadpeer-install.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

meson setup build "$SOURCE" --prefix="$work/prefix" -Dtests=disabled > setup.log 2>&1 &&
	ninja -C build > build.log 2>&1 && meson install -C build > install.log 2>&1
check "meson setup, ninja and meson install to a prefix" test $? = 0
dp=$work/prefix/bin/deadpeer
check "bin/deadpeer is installed" test -x "$dp"
check "the suite is installed" test -f "$work/prefix/share/deadpeer/scenarios/keepalive-drop.scn"
check "deadpeer(1) is installed" test -f "$work/prefix/share/man/man1/deadpeer.1"
check "deadpeer-scenario(5) is installed" test -f "$work/prefix/share/man/man5/deadpeer-scenario.5"
check "man finds deadpeer-scenario(5) there" \
	bash -c "MANPAGER=cat man -M '$work/prefix/share/man' 5 deadpeer-scenario 2>/dev/null | grep -q 'deadpeer-scenario'"
check "the completion is installed" test -f "$work/prefix/share/bash-completion/completions/deadpeer"

mkdir elsewhere && cd elsewhere || exit 1
"$dp" check > check.log 2>&1
check "the installed deadpeer checks its installed suite" grep -q "^$work/prefix/share/deadpeer/scenarios/keepalive-drop.scn: " check.log
"$dp" run -q --filter keepalive-drop -o res > run.log 2>&1
check "and runs it" test $? = 0
check "... keepalive-drop passes" grep -qx '1 run, 1 passed, 0 failed' res/summary.txt
check "... with its report" test -s res/report.html
finish
