#!/bin/sh
test_description='the approve hint names only who can still approve: not the barred, not who has no key, not who already counts; with nobody left it says what would unblock'
. "$(dirname "$0")/test-lib.sh"

# sre: alice, bob, dave (a key) and erin (no key).
PC_MORE_USERS="dave erin"
export PC_MORE_USERS

test_expect_success 'setup: app/ is owned by alice and erin, ops/ needs 2 of alice dave erin, db/ 3 of alice bob dave erin' '
	pc_key dave &&
	cat >CODEOWNERS <<-\EOF &&
	* @alice @bob
	/app/ @alice @erin
	[Ops][2]
	/ops/ @alice @dave @erin
	[Db][3]
	/db/ @alice @bob @dave @erin
	EOF
	cat >policy.extra <<-\EOF &&
	approvals: { required: 1, self_approval: false, pusher_is_approval: true }
	EOF
	pc_setup_server pattern3 &&
	(
		cd work &&
		for f in app ops db; do
			git checkout -q -b feature/$f origin/main &&
			pc_commit $f/x.txt "x" "feat: $f x" &&
			pc_push accept carol origin feature/$f || return 1
		done
	)
'

test_expect_success 'an owner without a key is not named, and the hint says why' '
	(cd work && pc_push reject bob origin feature/app:main) &&
	short=$(git -C work rev-parse --short=7 feature/app) &&
	grep "approval: app/x.txt needs 1 approval from @alice @erin (CODEOWNERS:2), has 0" err &&
	grep "hint: policy-check approve $short --target refs/heads/main (by one of alice); erin cannot approve it: no key of theirs is in the policy (users.erin.keys, or allowed_signers for erin@example.com) *$" err
'

test_expect_success 'an owner whose approval already counts is not asked again' '
	(cd work && pc_push reject alice origin feature/ops:main) &&
	short=$(git -C work rev-parse --short=7 feature/ops) &&
	grep "approval: ops/x.txt needs 2 approvals from @alice @dave @erin in \[Ops\] (CODEOWNERS:4), has 1 (alice)" err &&
	grep "hint: policy-check approve $short --target refs/heads/main (by one of dave); erin cannot approve it: no key" err
'

test_expect_success 'too few left: the hint names them and says who else would unblock it' '
	(cd work && pc_push reject alice origin feature/db:main) &&
	short=$(git -C work rev-parse --short=7 feature/db) &&
	grep "approval: db/x.txt needs 3 approvals from @alice @bob @dave @erin in \[Db\] (CODEOWNERS:6), has 1 (alice)" err &&
	grep "hint: policy-check approve $short --target refs/heads/main (by any of bob, dave)" err &&
	(
		cd work &&
		git checkout -q -b feature/db2 origin/main &&
		pc_commit db/y.txt "y" "feat: db y" &&
		pc_push accept dave origin feature/db2 &&
		pc_push reject alice origin feature/db2:main
	) &&
	short=$(git -C work rev-parse --short=7 feature/db2) &&
	grep "hint: policy-check approve $short --target refs/heads/main (by bob, but it needs 2 more and nobody else can give one: another user with a key must be added to its approvers (@alice @bob @dave @erin), or break-glass by one of alice, bob, dave, erin); dave cannot approve it: dave first pushed commit $short \"feat: db y\"; erin cannot approve it: no key" err
'

test_expect_success 'nobody left: the hint says so, and break-glass by whom' '
	(
		cd work &&
		git checkout -q -b feature/ops2 origin/main &&
		pc_commit ops/y.txt "y" "feat: ops y" &&
		pc_push accept dave origin feature/ops2 &&
		pc_push reject alice origin feature/ops2:main
	) &&
	short=$(git -C work rev-parse --short=7 feature/ops2) &&
	grep "hint: policy-check approve $short --target refs/heads/main (nobody left can approve it: another user with a key must be added to its approvers (@alice @dave @erin), or break-glass by one of alice, bob, dave, erin); dave cannot approve it: dave first pushed commit $short \"feat: ops y\"; erin cannot approve it: no key" err
'

test_expect_success 'the owner the hint names approves, and the push goes through' '
	(
		cd work &&
		git checkout -q feature/ops &&
		git -c gpg.format=ssh -c user.signingkey=../keys/dave \
			tag -s -m "policy-check approval v1" -m "target: refs/heads/main" tmp-approval feature/ops &&
		pc_push accept dave origin "tmp-approval:refs/approvals/$(git rev-parse feature/ops)/main/dave" &&
		pc_push accept alice origin feature/ops:main
	) &&
	grep "approved by: alice (pusher), dave (signature)" err
'

test_done
