#!/bin/sh
test_description='pattern1: "git revert -m 1" of a promotion merge on the branch is a clean revert (no require, its approvals); any other merge revert is judged as an ordinary commit'
. "$(dirname "$0")/test-lib.sh"

# merge_into BRANCH FEATURE: merge FEATURE into BRANCH, alice pushes it.
merge_into() {
	git checkout -q -B "$1" "origin/$1" &&
	git merge -q --no-ff -m "Merge branch '\''$2'\'' into $1" "$2" &&
	pc_push accept alice origin "$1"
}

test_expect_success 'setup: feature/a (two commits) merged into develop, staging and main' '
	cat >policy.extra <<-\EOF &&
	approvals: { required: 1, self_approval: false, pusher_is_approval: true }
	EOF
	pc_setup_server pattern1 &&
	(
		cd work &&
		git config user.email carol@example.com && git config user.name carol &&
		git checkout -q -b feature/a origin/main &&
		pc_commit overlays/prd/a.yaml "a: 1" "feat: a" &&
		pc_commit overlays/prd/b.yaml "b: 1" "feat: b" &&
		pc_push accept carol origin feature/a &&
		merge_into develop feature/a &&
		merge_into staging feature/a &&
		merge_into main feature/a
	)
'

test_expect_success 'git revert -m 1 of the merge on main: no promotion reason, accepted with the pusher'\''s approval' '
	(
		cd work &&
		git checkout -q -B main origin/main &&
		git revert --no-edit -m 1 HEAD >/dev/null &&
		git log -1 --format=%B | grep "^changes made to $(git rev-parse HEAD~1^1)\.$" &&
		pc_push accept carol origin HEAD:refs/heads/hotfix/revert-a &&
		pc_push accept alice origin main
	) &&
	! grep "promotion:" err &&
	grep "approved by: alice (pusher)" err &&
	! git -C server.git cat-file -e main:overlays/prd/a.yaml &&
	! git -C server.git cat-file -e main:overlays/prd/b.yaml &&
	git -C server.git cat-file -e staging:overlays/prd/a.yaml &&
	pc_audit_verify
'

test_expect_success 'feature/e on develop, then develop merged into staging' '
	(
		cd work &&
		git checkout -q -b feature/e origin/develop &&
		pc_commit overlays/stg/e.yaml "e: 1" "feat: e" &&
		pc_push accept carol origin feature/e &&
		merge_into develop feature/e &&
		git checkout -q -B staging origin/staging &&
		git merge -q --no-ff -m "Merge branch '\''develop'\'' into staging" origin/develop &&
		pc_push accept alice origin staging
	)
'

test_expect_success 'an evil merge revert (git'\''s message, one more change) is judged as an ordinary commit' '
	(
		cd work &&
		git checkout -q -B staging origin/staging &&
		git revert --no-edit -m 1 HEAD >/dev/null &&
		echo evil >overlays/stg/evil.yaml && git add overlays/stg/evil.yaml &&
		git commit -q --amend --no-edit &&
		git log -1 --format=%B | grep "^changes made to " &&
		pc_push reject alice origin staging
	) &&
	grep "promotion: commit [0-9a-f]* \"Revert \"Merge branch .develop. into staging\"\" is not on develop yet" err
'

test_expect_success 'a merge revert whose message names a parent other than the first is judged as an ordinary commit' '
	(
		cd work &&
		git checkout -q -B staging origin/staging &&
		git revert --no-edit -m 1 HEAD >/dev/null &&
		git log -1 --format=%B >msg &&
		sed -i "s/^changes made to [0-9a-f]*\./changes made to $(git rev-parse origin/staging^2)./" msg &&
		git commit -q --amend -F msg &&
		pc_push reject alice origin staging
	) &&
	grep "promotion: commit [0-9a-f]* \"Revert \"Merge branch .develop. into staging\"\" is not on develop yet" err
'

test_expect_success 'the same merge revert with git'\''s message, pushed first by carol, is accepted' '
	(
		cd work &&
		git checkout -q -B staging origin/staging &&
		git revert --no-edit -m 1 HEAD >/dev/null &&
		pc_push accept carol origin HEAD:refs/heads/hotfix/revert-e &&
		pc_push accept alice origin staging
	) &&
	! grep "promotion:" err &&
	grep "approved by: alice (pusher)" err &&
	! git -C server.git cat-file -e staging:overlays/stg/e.yaml &&
	pc_audit_verify
'

test_done
