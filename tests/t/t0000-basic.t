#!/bin/sh
test_description='the policy-check program runs and follows its exit-code contract'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'policy-check --version names the program' '
	policy-check --version >out &&
	grep "^policy-check [0-9]" out
'

test_expect_success 'policy-check --help lists every command of the contract' '
	policy-check --help >out &&
	for c in lint check owners approve install status "audit keygen" "audit verify" \
		"audit show" "audit proof" "audit reconcile"; do
		grep "policy-check $c" out || return 1
	done
'

test_expect_success 'an unknown command is a usage error (exit 2)' '
	test_expect_code 2 policy-check frobnicate 2>err &&
	grep "unknown command" err
'

test_expect_success 'no command at all is a usage error (exit 2)' '
	test_expect_code 2 policy-check
'

test_done
