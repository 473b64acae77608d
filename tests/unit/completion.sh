#!/bin/bash
# The bash completion (completion/deadpeer, with Debian's bash-completion):
# the first word completes to every command `deadpeer --help` lists, each
# command's "--" to every long option its `--help` gives, a scenario path to
# .scn files and directories, and --knobs to its words after a comma.
set -u
DEADPEER=${1:?usage: completion.sh PATH-TO-deadpeer COMPLETION-FILE}
COMPLETION=${2:?usage: completion.sh PATH-TO-deadpeer COMPLETION-FILE}
. "$(dirname "$0")/../integration/lib.sh"

if [ ! -r /usr/share/bash-completion/bash_completion ]; then
	not_ok "bash-completion is installed (scripts/install-deps installs it)"
	finish
	exit
fi
. /usr/share/bash-completion/bash_completion
. "$COMPLETION"

# complete WORD...: what bash offers for the last word of "deadpeer WORD...".
complete_words() {
	COMP_WORDS=(deadpeer "$@")
	COMP_CWORD=$#
	COMP_LINE="deadpeer $*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_deadpeer deadpeer "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort
}

commands=$("$DEADPEER" --help | awk '$1 == "deadpeer" && $2 !~ /^-/ { print $2 }' | sort -u)
check "deadpeer --help lists commands" test -n "$commands"
check "the first word: every command" test "$(complete_words "" | grep -v '^--')" = "$commands"
check "the first word: a prefix" test "$(complete_words re)" = "$(printf 'report\n')"
for c in $commands; do
	want=$("$DEADPEER" "$c" --help | grep -oE -- '^ +(-[a-zA-Z], )?--[a-z][a-z-]*' | grep -o -- '--[a-z-]*' | sort -u)
	got=$(complete_words "$c" --)
	missing=$(comm -23 <(echo "$want") <(echo "$got"))
	check "deadpeer $c --: every option its --help gives${missing:+ (missing: $missing)}" test -z "$missing"
done

work=$(mktemp -d /tmp/deadpeer-completion.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
mkdir suite
touch a.scn b.txt suite/c.scn
check "run: .scn files and directories" test "$(complete_words run "")" = "$(printf 'a.scn\nsuite\n')"
check "report: directories" test "$(complete_words report "")" = "suite"
check "predict --hz: the usual values" test "$(complete_words predict --hz "")" = "$(printf '100\n1000\n250\n300\n')"
check "advise --knobs after a comma" test "$(complete_words advise --knobs keepalive,user)" = "keepalive,user-timeout"
finish
