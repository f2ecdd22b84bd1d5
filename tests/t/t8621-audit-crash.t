#!/bin/sh
test_description='a crash between the write of the records and their checkpoint: the next append keeps what stands and moves aside what git did not apply'
. "$(dirname "$0")/test-lib.sh"

if ! grep -q "define PC_FAULT_INJECTION 1" "$PC_BUILD_DIR/config.h"; then
	skip_all='this build has no fault injection (configure --enable-fault-injection; contrib/test.sh does in _build-asan)'
	test_done
fi

PC_FAULT_LOG="$PWD/faults.log"
export PC_FAULT_LOG

# push accept|crash N [VAR=VALUE...]: alice pushes a new commit to
# feature/c and develop, with VAR=VALUE in the hooks' environment, and
# it is accepted, or fails because pre-receive was killed; the lines this
# push added to the log in new-records.
push() {
	lines=$(wc -l <audit/audit.log) &&
	(
		cd work &&
		git checkout -q -B feature/c origin/develop &&
		pc_commit "overlays/dev/c$2.yaml" "x: $2" &&
		want=$1 && shift 2 &&
		if test $want = accept; then
			PC_PUSH_ENV="$*" pc_push accept alice origin feature/c HEAD:refs/heads/develop
		else
			test_must_fail env REMOTE_USER=alice "$@" git push origin feature/c HEAD:refs/heads/develop 2>../err &&
			grep "pre-receive died of signal 9" ../err
		fi
	)
	status=$?
	tail -n +$((lines + 1)) audit/audit.log >new-records
	return $status
}
accept() { push accept "$@"; }
reject() { push crash "$@"; }

signed_size() {
	sed -n 2p audit/audit.log.checkpoint
}

strict_verify() {
	policy-check audit verify --strict --vkey audit/audit.vkey audit/audit.log
}

test_expect_success 'setup: a pattern2 server; a push without a crash is accepted' '
	echo "approvals: { self_approval: true }" >policy.extra &&
	pc_setup_server pattern2 &&
	accept 1 &&
	strict_verify
'

test_expect_success 'pre-receive dies after writing its accept records: the push is rejected, the lines are not records' '
	git -C server.git for-each-ref >refs.before &&
	n=$(signed_size) &&
	reject 2 PC_AUDIT_TEST_CRASH=pre-receive &&
	git -C server.git for-each-ref >refs.after &&
	test_cmp refs.before refs.after &&
	test $(grep -c "\"decision\":\"accept\"" new-records) = 2 &&
	cp new-records crashed.lines &&
	test "$(signed_size)" = "$n" &&
	pc_audit_verify 2>err &&
	grep "2 lines after the signed checkpoint (size $n) are not records" err &&
	policy-check audit show --json audit/audit.log >out &&
	test $(wc -l <out) = $n &&
	policy-check audit reconcile --repo server.git audit/audit.log
'

test_expect_success 'the next push moves them aside as an unfinished append git did not apply' '
	n=$(signed_size) &&
	accept 3 &&
	tail -n +$((n + 1)) audit/audit.log >new-records &&
	test_cmp crashed.lines audit/audit.log.unsigned.* &&
	grep "\"seq\":$n,.*\"op\":\"quarantine\",\"decision\":\"quarantined\",.*\"message\":\"moved 2 lines after the signed size $n (.*) to .*audit.log.unsigned.[0-9T]*Z; 2 of them from an append of a pre-receive or update hook that did not finish: its hook failed, so git did not apply them\"" new-records &&
	test $(grep -c "\"decision\":\"accept\"" new-records) = 2 &&
	strict_verify &&
	python3 "$PC_SRC_DIR/contrib/verify-checkpoint.py" audit/audit.vkey audit/audit.log &&
	policy-check audit reconcile --repo server.git audit/audit.log
'

test_expect_success 'reference-transaction dies after writing its record: git applied the push, the record stands' '
	rm -f audit/audit.log.unsigned.* &&
	n=$(signed_size) &&
	accept 4 PC_AUDIT_TEST_CRASH=reference-transaction &&
	grep -c "\"decision\":\"committed\"" new-records >count &&
	test "$(cat count)" = 2 &&
	test "$(signed_size)" = $((n + 2)) &&
	accept 5 &&
	! ls audit/audit.log.unsigned.* 2>/dev/null &&
	! grep "\"decision\":\"quarantined\"" new-records &&
	test "$(sed -n 2p audit/audit.log.checkpoint)" = "$(wc -l <audit/audit.log)" &&
	strict_verify &&
	policy-check audit reconcile --repo server.git audit/audit.log
'

# The third fsync of an append is the directory's, after the checkpoint
# is renamed into place: the push is rejected and its accepts voided.
# The void append dies before its own checkpoint: the voids stand.
test_expect_success 'the append of the void records dies before their checkpoint: the voids stand' '
	git -C server.git for-each-ref >refs.before &&
	reject 6 PC_FAULT=fsync:3 PC_AUDIT_TEST_CRASH=pre-receive:2 &&
	test "$(cat faults.log)" = fsync:3 &&
	git -C server.git for-each-ref >refs.after &&
	test_cmp refs.before refs.after &&
	test $(grep -c "\"decision\":\"void\"" new-records) = 2 &&
	n=$(signed_size) &&
	test $(wc -l <audit/audit.log) = $((n + 2)) &&
	accept 7 &&
	! ls audit/audit.log.unsigned.* 2>/dev/null &&
	test $(grep -c "\"decision\":\"void\"" audit/audit.log) = 2 &&
	strict_verify &&
	policy-check audit reconcile --repo server.git audit/audit.log
'

test_done
