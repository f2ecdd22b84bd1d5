#!/bin/sh
test_description='the bash completion completes commands, options and their values with plain bash'
. "$(dirname "$0")/test-lib.sh"

COMPLETION="$PC_SRC_DIR/contrib/completion/policy-check.bash"
if ! command -v bash >/dev/null 2>&1; then
	skip_all="bash is not installed"
	test_done
fi

# complete WORD...: the candidates bash would offer for the last word, one
# a line, sorted; the completion is sourced in a bash without
# bash-completion (--norc), as a user without that package would.
complete_words() {
	bash --norc --noprofile -c '
		. "$1" || exit 1
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_policy_check || exit 1
		if [ ${#COMPREPLY[@]} -gt 0 ]; then printf "%s\n" "${COMPREPLY[@]}"; fi
	' complete "$COMPLETION" "$@" | LC_ALL=C sort
}

test_expect_success 'the script registers _policy_check for policy-check' '
	bash --norc --noprofile -c ". \"$COMPLETION\" && complete -p policy-check" >out &&
	grep "complete -F _policy_check policy-check" out
'

test_expect_success 'commands: every command of policy-check --help, and help' '
	complete_words policy-check "" >out &&
	for c in lint check owners approve install status audit help --help --version; do
		grep -qx -e "$c" out || { echo "missing $c"; return 1; }
	done &&
	complete_words policy-check st >out &&
	echo status >expect && test_cmp expect out
'

test_expect_success 'audit subcommands, after audit and after help audit' '
	printf "%s\n" check-proof keygen proof reconcile report resign show tiles verify >expect &&
	complete_words policy-check audit "" >out &&
	test_cmp expect out &&
	complete_words policy-check help audit "" >out &&
	test_cmp expect out
'

test_expect_success 'options come from the command'\''s --help' '
	complete_words policy-check check -- >out &&
	printf "%s\n" --as --help --json --local --no-fetch --policy --push-option --remote --repo --stdin >expect &&
	test_cmp expect out &&
	complete_words policy-check audit show --b >out &&
	echo --break-glass >expect && test_cmp expect out &&
	complete_words policy-check owners README --re >out &&
	printf "%s\n" --repo --rev >expect && test_cmp expect out
'

test_expect_success 'option values: hooks, decisions, directories, files, refs' '
	complete_words policy-check install --hook "" >out &&
	printf "%s\n" pre-receive reference-transaction update >expect && test_cmp expect out &&
	complete_words policy-check audit show --decision re >out &&
	printf "%s\n" reject repaired >expect && test_cmp expect out &&
	mkdir -p dir1/sub && >file1.yml &&
	complete_words policy-check lint --repo di >out &&
	echo dir1 >expect && test_cmp expect out &&
	complete_words policy-check lint --policy file >out &&
	echo file1.yml >expect && test_cmp expect out &&
	git init -q repo && (cd repo && pc_commit a "a" && git branch develop &&
		complete_words policy-check check --as alice dev >../out) &&
	echo develop >expect && test_cmp expect out &&
	(cd repo && complete_words policy-check approve --target ma >../out) &&
	echo main >expect && test_cmp expect out
'

test_expect_success 'a value without candidates (--as USER) offers nothing' '
	complete_words policy-check check --as "" >out &&
	! test -s out
'

test_expect_success 'make install puts it where bash-completion looks' '
	grep "^bashcompletiondir = " "$PC_BUILD_DIR/Makefile" >dir &&
	grep -e "bash-completion/completions\$" dir &&
	rm -rf inst &&
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$PC_BUILD_DIR" install-bashcompletionDATA DESTDIR="$PWD/inst" >/dev/null &&
	find inst -path "*/bash-completion/completions/policy-check" >found &&
	test $(wc -l <found) -eq 1 &&
	cmp "$COMPLETION" "$(cat found)"
'

test_done
