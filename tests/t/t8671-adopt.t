#!/bin/sh
test_description='install adopts a repository that already has refs: one baseline record per ref, reconcile clean, bypasses still found'
. "$(dirname "$0")/test-lib.sh"

reconcile() {
	policy-check audit reconcile --repo server.git audit/audit.log
}

test_expect_success 'setup: a repository with branches and tags made without any hook' '
	pc_key alice && pc_key bob && pc_key carol &&
	mkdir -p audit && chmod 700 audit &&
	policy-check audit keygen --origin test.example/policy-check audit/audit >/dev/null &&
	pc_write_policy pattern2 >policy.yml &&
	git init -q --bare server.git &&
	git init -q work &&
	(
		cd work &&
		pc_commit app.yaml "v: 1" "chore: initial" &&
		git tag v1 &&
		git tag -a -m "release 1" r1 &&
		pc_commit app.yaml "v: 2" "feat: two" &&
		git remote add origin ../server.git &&
		git push -q origin HEAD:refs/heads/main HEAD~1:refs/heads/develop HEAD:refs/heads/staging \
			HEAD:refs/heads/feature/x v1 r1
	) &&
	git -C server.git for-each-ref --format="%(refname) %(objectname)" >refs.before &&
	test $(wc -l <refs.before) = 6
'

test_expect_success 'install writes one baseline record per ref, by the installing login' '
	policy-check install --policy policy.yml server.git >out &&
	cat out &&
	grep "^baseline server.git: 6 refs, audit records 0-5$" out &&
	grep "^installed .*server.git/hooks/pre-receive$" out &&
	test $(wc -l <audit/audit.log) = 6 &&
	repo=$(cd server.git && pwd -P) &&
	login=$(id -un) &&
	while read -r ref id; do
		grep "\"hook\":\"install\",\"repo\":\"$repo\",\"push\":\"[0-9a-f]*\",\"pusher\":\"$login\",\"identity\":\"login\",\"ref\":\"$ref\",\"old\":null,\"new\":\"$id\",\"op\":\"baseline\",\"decision\":\"baseline\"," audit/audit.log ||
		return 1
	done <refs.before &&
	pc_audit_verify
'

test_expect_success 'reconcile is clean right after the adoption' '
	reconcile >out &&
	echo "every ref of server.git is explained by accepted records in audit/audit.log" >expect &&
	test_cmp expect out
'

test_expect_success 'a push through the hooks after the adoption: still clean' '
	(
		cd work &&
		git checkout -q -b feature/y &&
		pc_commit y.yaml "y: 1" &&
		pc_push accept alice origin feature/y
	) &&
	reconcile >out &&
	echo "every ref of server.git is explained by accepted records in audit/audit.log" >expect &&
	test_cmp expect out &&
	pc_audit_verify
'

test_expect_success 'a later bypass (git update-ref) is still reported, and a reinstall does not explain it away' '
	git -C server.git update-ref refs/heads/develop refs/heads/main &&
	git -C server.git update-ref refs/heads/sneaky refs/heads/main &&
	test_expect_code 1 reconcile >out &&
	cat out &&
	grep "refs/heads/develop is at [0-9a-f]*, but its last accepted record (.*audit.log:[0-9]*) leaves it at " out &&
	grep "refs/heads/sneaky is at [0-9a-f]*, but no accepted record sets it" out &&
	lines=$(wc -l <audit/audit.log) &&
	policy-check install --policy policy.yml server.git >out &&
	! grep "^baseline" out &&
	test $(wc -l <audit/audit.log) = $lines &&
	test_expect_code 1 reconcile >out &&
	grep "refs/heads/develop is at" out &&
	grep "refs/heads/sneaky is at" out
'

test_expect_success 'the installer named by the identity variable when it is set' '
	git clone -q --bare server.git second.git &&
	REMOTE_USER=bob policy-check install --policy policy.yml second.git >out &&
	grep "^baseline second.git: " out &&
	repo=$(cd second.git && pwd -P) &&
	grep "\"hook\":\"install\",\"repo\":\"$repo\",.*\"pusher\":\"bob\",\"identity\":\"REMOTE_USER\",.*\"op\":\"baseline\"" audit/audit.log &&
	policy-check audit reconcile --repo second.git audit/audit.log &&
	policy-check audit show --decision baseline audit/audit.log >shown &&
	grep "baseline" shown &&
	pc_audit_verify
'

test_expect_success 'no baseline without a valid policy: the hooks are not installed either' '
	git clone -q --bare server.git third.git &&
	echo "bogus: 1" >bad.yml && cat policy.yml >>bad.yml &&
	git -C third.git config policycheck.policy "$PWD/bad.yml" &&
	test_expect_code 2 policy-check install third.git >out 2>err &&
	cat err &&
	grep "install: third.git has [0-9]* refs, and their baseline records need the policy .*bad.yml; fix it" err &&
	! test -e third.git/hooks/pre-receive &&
	git init -q --bare empty.git &&
	policy-check install empty.git >out &&
	! grep "^baseline" out &&
	test -x empty.git/hooks/pre-receive
'

test_done
