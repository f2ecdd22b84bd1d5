#!/bin/sh
test_description='a push rejected after its records were signed: the log voids its acceptance, and reconcile and show agree'
. "$(dirname "$0")/test-lib.sh"

if ! grep -q "define PC_FAULT_INJECTION 1" "$PC_BUILD_DIR/config.h"; then
	skip_all='this build has no fault injection (configure --enable-fault-injection; contrib/test.sh does in _build-asan)'
	test_done
fi

PC_FAULT_LOG="$PWD/faults.log"
export PC_FAULT_LOG

# push accept|reject N [VAR=VALUE]: alice pushes a new commit to feature/v
# and develop with pc_push, with VAR=VALUE in the hooks' environment;
# stderr in err, the records this push added in new-records.
push() {
	lines=$(wc -l <audit/audit.log) &&
	(
		cd work &&
		git checkout -q -B feature/v origin/develop &&
		pc_commit "overlays/dev/v$2.yaml" "x: $2" &&
		PC_PUSH_ENV=${3:-} pc_push "$1" alice origin feature/v HEAD:refs/heads/develop
	)
	status=$?
	tail -n +$((lines + 1)) audit/audit.log >new-records
	return $status
}

test_expect_success 'setup: a pattern2 server; a push without a fault is accepted' '
	# who approves is not what this is about: alice approves her own pushes
	echo "approvals: { self_approval: true }" >policy.extra &&
	pc_setup_server pattern2 &&
	push accept 1 &&
	policy-check audit reconcile --repo server.git audit/audit.log
'

# The third fsync of an append is the directory's, after the checkpoint
# was renamed into place: the records are signed by then.
test_expect_success 'the directory fsync after the checkpoint fails: the push is rejected, its accepts voided' '
	git -C server.git for-each-ref >refs.before &&
	push reject 2 PC_FAULT=fsync:3 &&
	test "$(cat faults.log)" = fsync:3 &&
	grep "remote:   internal: cannot write the audit record, so nothing can be accepted: .*fsync of the directory of the audit log failed.*its accept records are voided" err &&
	git -C server.git for-each-ref >refs.after &&
	test_cmp refs.before refs.after &&
	test $(grep -c "\"decision\":\"accept\"" new-records) = 2 &&
	test $(grep -c "\"decision\":\"void\"" new-records) = 2 &&
	first=$(sed -n "1s/^{\"v\":1,\"seq\":\([0-9]*\),.*/\1/p" new-records) &&
	push_id=$(sed -n "1s/.*\"push\":\"\([0-9a-f]*\)\".*/\1/p" new-records) &&
	for ref in feature/v develop; do
		accept=$(grep "\"push\":\"$push_id\".*\"ref\":\"refs/heads/$ref\".*\"decision\":\"accept\"" new-records) &&
		seq=$(echo "$accept" | sed "s/^{\"v\":1,\"seq\":\([0-9]*\),.*/\1/") &&
		new=$(echo "$accept" | sed "s/.*\"new\":\"\([0-9a-f]*\)\".*/\1/") &&
		grep "\"hook\":\"pre-receive\",.*\"push\":\"$push_id\",.*\"ref\":\"refs/heads/$ref\",.*\"new\":\"$new\",.*\"decision\":\"void\",.*\"message\":\"voids record $seq: " new-records ||
		return 1
	done &&
	echo "$push_id" >voided-push
'

test_expect_success 'the log with its void records verifies, with policy-check and without' '
	pc_audit_verify &&
	python3 "$PC_SRC_DIR/contrib/verify-checkpoint.py" audit/audit.vkey audit/audit.log
'

test_expect_success 'audit reconcile: every ref is explained, the voided accepts explain nothing' '
	policy-check audit reconcile --repo server.git audit/audit.log >out &&
	grep "every ref of server.git is explained" out
'

test_expect_success 'audit show: a voided accept is not an accept' '
	push_id=$(cat voided-push) &&
	policy-check audit show --json --decision accept audit/audit.log >accepts &&
	! grep "\"push\":\"$push_id\"" accepts &&
	test $(grep -c "\"push\":" accepts) -ge 2 &&
	policy-check audit show --json --decision voided audit/audit.log >voided &&
	test $(grep -c "\"push\":\"$push_id\".*\"decision\":\"accept\"" voided) = 2 &&
	test $(wc -l <voided) = 2 &&
	policy-check audit show --json --decision void audit/audit.log >voids &&
	test $(grep -c "\"push\":\"$push_id\".*\"decision\":\"void\"" voids) = 2 &&
	policy-check audit show --ref develop audit/audit.log >table &&
	grep "refs/heads/develop .* accept (voided) " table &&
	grep "refs/heads/develop .* void " table &&
	grep "internal: voids record [0-9]*: the audit log could not be synced" table
'

test_expect_success 'the same update pushed again is accepted, and reconcile still agrees' '
	push accept 2 &&
	policy-check audit reconcile --repo server.git audit/audit.log &&
	pc_audit_verify
'

test_expect_success 'a reject is not voided: a rejected push whose append fails late leaves no void' '
	(cd work && git checkout -q -B direct origin/main && pc_commit overlays/prd/x.yaml "x: 1") &&
	lines=$(wc -l <audit/audit.log) &&
	(cd work && PC_PUSH_ENV=PC_FAULT=fsync:3 pc_push reject carol origin HEAD:refs/heads/main) &&
	tail -n +$((lines + 1)) audit/audit.log >new-records &&
	grep "\"decision\":\"reject\"" new-records &&
	! grep "\"decision\":\"void\"" new-records &&
	! grep "accept records are voided" err &&
	policy-check audit reconcile --repo server.git audit/audit.log
'

test_done
