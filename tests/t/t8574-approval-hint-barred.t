#!/bin/sh
test_description='the approve hint names only owners whose approval can count, and says why each other owner cannot'
. "$(dirname "$0")/test-lib.sh"

PC_MORE_USERS="dave"
export PC_MORE_USERS

test_expect_success 'setup: app owns overlays/dev (carol, dave), only carol owns overlays/stg' '
	pc_key dave &&
	cat >CODEOWNERS <<-\EOF &&
	* @alice @bob
	/overlays/dev/ @carol @dave
	/overlays/stg/ @carol
	EOF
	cat >policy.extra <<-\EOF &&
	approvals: { required: 1, self_approval: false, pusher_is_approval: true }
	EOF
	pc_setup_server pattern3 &&
	(
		cd work &&
		git config user.name carol && git config user.email carol@example.com &&
		git checkout -q -b feature/dev origin/main &&
		pc_commit overlays/dev/x.yaml "x: 1" "feat: dev x" &&
		pc_push accept carol origin feature/dev
	)
'

test_expect_success 'carol wrote and first pushed it: the hint names dave only, and says why not carol' '
	(cd work && pc_push reject alice origin feature/dev:main) &&
	short=$(git -C work rev-parse --short=7 feature/dev) &&
	grep "approval: overlays/dev/x.yaml needs 1 approval from @carol @dave (CODEOWNERS:2), has 0" err &&
	grep "hint: policy-check approve $short --target refs/heads/main (by one of dave); carol cannot approve it: carol first pushed commit $short \"feat: dev x\"" err
'

test_expect_success 'the owner the hint names approves, and the push is accepted' '
	(
		cd work &&
		git -c user.email=dave@example.com -c gpg.format=ssh -c user.signingkey=../keys/dave \
			tag -s -m "policy-check approval v1" -m "target: refs/heads/main" tmp-approval feature/dev &&
		pc_push accept dave origin "tmp-approval:refs/approvals/$(git rev-parse feature/dev)/dave" &&
		pc_push accept alice origin feature/dev:main
	) &&
	grep "approved by: .*dave (signature)" err
'

test_expect_success 'when every owner made a commit of it, the hint says so and what would unblock it' '
	(
		cd work &&
		git checkout -q -b feature/stg origin/main &&
		pc_commit overlays/stg/y.yaml "y: 1" "feat: stg y" &&
		pc_push accept carol origin feature/stg &&
		pc_push reject alice origin feature/stg:main
	) &&
	short=$(git -C work rev-parse --short=7 feature/stg) &&
	grep "hint: policy-check approve $short --target refs/heads/main (nobody left can approve it: another user with a key must be added to its approvers (@carol), or break-glass by one of alice, bob, dave); carol cannot approve it: carol first pushed commit $short \"feat: stg y\"" err
'

test_done
