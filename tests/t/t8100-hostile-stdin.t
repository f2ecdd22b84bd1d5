#!/bin/sh
test_description='hostile pre-receive input: malformed, oversized and numerous update lines are refused with a clear message'
. "$(dirname "$0")/test-lib.sh"

Z=0000000000000000000000000000000000000000

# hook_stdin: run the installed pre-receive hook the way git does (cwd the
# bare repository, GIT_DIR=.) on stdin; its stderr goes to err.
hook_stdin() {
	(cd server.git && GIT_DIR=. REMOTE_USER=alice ./hooks/pre-receive) 2>err
}

# refused MESSAGE: the hook refused the push, said why, and wrote nothing.
refused() {
	grep "policy-check: rejected: $1" err &&
	test_cmp records.before audit/audit.log
}

test_expect_success 'setup: a pattern2 server and its tip' '
	pc_setup_server pattern2 &&
	tip=$(git -C server.git rev-parse main) &&
	cp audit/audit.log records.before
'

test_expect_success 'a well-formed line reaches the engine (the harness works)' '
	echo "$Z $tip refs/heads/feature/ok" | hook_stdin &&
	grep "policy-check: accepted refs/heads/feature/ok" err &&
	cp audit/audit.log records.before
'

test_expect_success 'object ids with non-hex digits' '
	echo "$Z ${tip%??}zz refs/heads/feature/x" | test_must_fail hook_stdin &&
	refused "update line 1: object ids must be 40 hex digits"
'

test_expect_success 'abbreviated and over-long object ids' '
	echo "$Z ${tip%????} refs/heads/feature/x" | test_must_fail hook_stdin &&
	refused "update line 1: object ids must be 40 hex digits" &&
	echo "$Z ${tip}0 refs/heads/feature/x" | test_must_fail hook_stdin &&
	refused "update line 1: object ids must be 40 hex digits"
'

test_expect_success 'missing fields, on a later line' '
	printf "%s\n%s\n" "$Z $tip refs/heads/feature/a" "$Z $tip" | test_must_fail hook_stdin &&
	refused "update line 2: update line is not .OLD NEW REF." &&
	echo "" | test_must_fail hook_stdin &&
	refused "update line 1: update line is not .OLD NEW REF."
'

test_expect_success 'a NUL byte in a line' '
	printf "$Z $tip refs/heads/feature/a\0b\n" | test_must_fail hook_stdin &&
	refused "update line 1: update line contains a NUL byte"
'

test_expect_success 'ref names git would never send: not under refs/, .., control bytes, CR' '
	for ref in heads/main refs/heads/a..b "refs/heads/a$(printf "\001")b" "refs/heads/a$(printf "\r")" \
		"refs/heads/sp ace" "refs/heads/x.lock" refs/heads/ "refs/heads/a\\b"; do
		printf "%s\n" "$Z $tip $ref" | test_must_fail hook_stdin &&
		refused "update line 1: invalid ref name" || return 1
	done
'

test_expect_success 'a 1 MiB line is refused at the line limit, without reading it all into memory' '
	{
		printf "%s %s refs/heads/" $Z $tip &&
		head -c 1048576 /dev/zero | tr "\0" a &&
		echo
	} | test_must_fail hook_stdin &&
	refused "update line 1 is longer than 4096 bytes"
'

test_expect_success '100,000 ref updates are refused at limits.max_refs' '
	awk -v z=$Z -v t=$tip "BEGIN { for (i = 0; i < 100000; i++) printf \"%s %s refs/heads/feature/r%d\\n\", z, t, i }" \
		>many &&
	test_must_fail hook_stdin <many &&
	refused "more than 10000 ref updates in one push (limits.max_refs)"
'

test_expect_success 'limits.max_refs is the configured one' '
	echo "limits: { max_refs: 3 }" >>policy.yml &&
	head -n 4 many | test_must_fail hook_stdin &&
	refused "more than 3 ref updates in one push (limits.max_refs)" &&
	head -n 3 many | hook_stdin &&
	grep "policy-check: accepted refs/heads/feature/r2" err
'

test_expect_success 'empty stdin: nothing to judge, nothing recorded' '
	cp audit/audit.log records.before &&
	hook_stdin </dev/null &&
	test_cmp records.before audit/audit.log
'

test_expect_success 'the update hook refuses malformed arguments' '
	(cd server.git && test_must_fail env GIT_DIR=. REMOTE_USER=alice "$PC_BUILD_DIR/hooks/update" refs/heads/x $Z) 2>err &&
	grep "policy-check: rejected: the update hook takes REF OLD NEW" err &&
	(cd server.git && test_must_fail env GIT_DIR=. REMOTE_USER=alice "$PC_BUILD_DIR/hooks/update" refs/heads/x $Z nothex) 2>err &&
	grep "policy-check: rejected: object ids must be 40 hex digits" err &&
	(cd server.git && test_must_fail env GIT_DIR=. REMOTE_USER=alice "$PC_BUILD_DIR/hooks/update" "refs/heads/a b" $Z $tip) 2>err &&
	grep "policy-check: rejected: invalid ref name" err &&
	test_cmp records.before audit/audit.log
'

test_expect_success 'the log still verifies' '
	pc_audit_verify
'

test_done
