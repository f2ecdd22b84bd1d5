#!/bin/sh
test_description='hooks installed into a bare repository judge real pushes and fail closed'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup: a pattern2 server with the hooks installed' '
	pc_setup_server pattern2 &&
	test -x server.git/hooks/pre-receive &&
	test -x server.git/hooks/reference-transaction &&
	test "$(git -C server.git config receive.advertisePushOptions)" = true &&
	test "$(git -C server.git config policycheck.policy)" = "$PWD/policy.yml"
'

test_expect_success 'the admin bootstrap push was recorded and the log verifies' '
	grep "\"ref\":\"refs/heads/main\"" audit/audit.log &&
	grep "\"decision\":\"accept\"" audit/audit.log &&
	pc_audit_verify
'

test_expect_success 'a feature branch push by a known user is accepted' '
	(
		cd work &&
		git checkout -q -b feature/one &&
		pc_commit overlays/dev/extra.yaml "x: 1" &&
		pc_push accept carol origin feature/one
	) &&
	grep "remote: policy-check: audit record [0-9]" err
'

test_expect_success 'an unidentified pusher may not create a work branch' '
	(
		cd work &&
		git checkout -q -b feature/anon &&
		test_must_fail git push origin feature/anon 2>../err
	) &&
	grep "remote: policy-check: rejected refs/heads/feature/anon" err &&
	grep "protect: work branch feature/anon needs a known pusher" err
'

test_expect_success 'a rejected push leaves the server refs unchanged and is recorded' '
	test_must_fail git -C server.git rev-parse --verify -q refs/heads/feature/anon &&
	tail -n 3 audit/audit.log | grep "\"ref\":\"refs/heads/feature/anon\".*\"decision\":\"reject\"" &&
	pc_audit_verify
'

test_expect_success 'a broken policy rejects every push with FILE:LINE:COLUMN' '
	cp policy.yml policy.good &&
	printf "bogus_key: 1\n" >>policy.yml &&
	(
		cd work &&
		git checkout -q feature/one &&
		pc_commit a.txt a &&
		test_must_fail env REMOTE_USER=carol git push origin feature/one 2>../err
	) &&
	grep "remote: policy-check: rejected: the server.s policy .* is invalid" err &&
	grep "remote: .*policy.yml:[0-9]*:[0-9]*: .*bogus_key" err &&
	cp policy.good policy.yml
'

test_expect_success 'a missing audit key rejects the push: nothing is accepted without a record' '
	mv audit/audit.key audit/audit.key.away &&
	(
		cd work &&
		pc_push reject carol origin feature/one
	) &&
	grep "remote:   internal: cannot write the audit record, so nothing can be accepted" err &&
	mv audit/audit.key.away audit/audit.key &&
	test "$(git -C server.git rev-parse feature/one)" != "$(git -C work rev-parse feature/one)"
'

test_expect_success 'quarantined objects are found in a repository whose path contains a colon' '
	git init -q --bare "odd:name.git" &&
	policy-check install --policy policy.yml "odd:name.git" >/dev/null &&
	(
		cd work &&
		pc_push accept carol "../odd:name.git" feature/one
	)
'

test_expect_success 'the update hook judges one ref at a time' '
	git init -q --bare upd.git &&
	policy-check install --policy policy.yml --hook update upd.git >/dev/null &&
	test -x upd.git/hooks/update && ! test -e upd.git/hooks/pre-receive &&
	(
		cd work &&
		git checkout -q -b feature/two &&
		test_must_fail env REMOTE_USER=carol git push ../upd.git feature/one feature/two \
			HEAD:refs/heads/staging 2>../err
	) &&
	grep "remote: policy-check: accepted refs/heads/feature/one" err &&
	grep "remote: policy-check: rejected refs/heads/staging" err &&
	git -C upd.git rev-parse --verify refs/heads/feature/one &&
	test_must_fail git -C upd.git rev-parse --verify -q refs/heads/staging &&
	grep "\"hook\":\"update\"" audit/audit.log
'

test_expect_success 'install refuses to overwrite a foreign reference-transaction hook without --force' '
	git init -q --bare foreign.git &&
	printf "#!/bin/sh\nexit 0\n" >foreign.git/hooks/reference-transaction &&
	test_expect_code 2 policy-check install --policy policy.yml foreign.git 2>err &&
	grep "was not installed by policy-check" err &&
	policy-check install --policy policy.yml --force foreign.git &&
	grep "installed by policy-check" foreign.git/hooks/reference-transaction
'

test_expect_success 'install refuses an invalid policy' '
	printf "version: 2\n" >bad.yml &&
	test_expect_code 2 policy-check install --policy bad.yml foreign.git 2>err &&
	grep "bad.yml:1:" err
'

test_expect_success 'reference-transaction records what git really did' '
	grep "\"hook\":\"reference-transaction\".*\"decision\":\"committed\".*" audit/audit.log &&
	pc_audit_verify
'

test_expect_success 'reference-transaction "prepared" reads its input and records nothing' '
	cp audit/audit.log before.log &&
	z=0000000000000000000000000000000000000000 &&
	echo "$z $z refs/heads/x" >prepared.in &&
	# not even a repository is needed: the decision was pre-receive'"'"'s
	(cd "$SHARNESS_TRASH_DIRECTORY" && GIT_DIR=/nonexistent "$PC_HOOK_DIR/reference-transaction" prepared <prepared.in) &&
	test_cmp before.log audit/audit.log
'

test_done
