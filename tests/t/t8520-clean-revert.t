#!/bin/sh
test_description='pattern1: a clean revert of a commit on the branch is accepted without from/require, with its approvals; an evil revert or a message naming another commit is judged as an ordinary commit'
. "$(dirname "$0")/test-lib.sh"

# merge_into BRANCH FEATURE: merge FEATURE into BRANCH, alice pushes it.
merge_into() {
	git checkout -q -B "$1" "origin/$1" &&
	git merge -q --no-ff -m "Merge branch '\''$2'\'' into $1" "$2" &&
	pc_push accept alice origin "$1"
}

test_expect_success 'setup: feature/a on develop and staging, feature/c on develop only' '
	cat >policy.extra <<-\EOF &&
	approvals: { required: 1, self_approval: false, pusher_is_approval: true }
	EOF
	pc_setup_server pattern1 &&
	(
		cd work &&
		git config user.email carol@example.com && git config user.name carol &&
		git checkout -q -b feature/a origin/main &&
		pc_commit overlays/stg/a.yaml "a: 1" "feat: a" &&
		git checkout -q -b feature/c origin/main &&
		pc_commit overlays/stg/c.yaml "c: 1" "feat: c" &&
		REMOTE_USER=carol git push -q origin feature/a feature/c &&
		merge_into develop feature/a &&
		merge_into staging feature/a &&
		merge_into develop feature/c
	)
'

test_expect_success 'git revert of feature/a pushed to staging alone: no promotion reason, only the approval it needs' '
	(
		cd work &&
		git checkout -q -B staging origin/staging &&
		git revert --no-edit feature/a >/dev/null &&
		git log -1 --format=%B | grep "^This reverts commit $(git rev-parse feature/a)\.$" &&
		pc_push reject alice origin staging
	) &&
	! grep "promotion:" err &&
	grep "approval:" err
'

test_expect_success 'pushed on a work branch by its author first, the revert is accepted on staging with the approval of alice'\''s push' '
	(
		cd work &&
		git checkout -q -B staging origin/staging &&
		GIT_COMMITTER_DATE="1800000000 +0000" git revert --no-edit feature/a >/dev/null &&
		pc_push accept carol origin HEAD:refs/heads/hotfix/revert-a &&
		pc_push accept alice origin staging
	) &&
	grep "approved by: alice (pusher)" err &&
	! grep "promotion:" err &&
	test "$(git -C server.git rev-parse staging)" = "$(git -C work rev-parse staging)" &&
	! git -C server.git cat-file -e staging:overlays/stg/a.yaml &&
	pc_audit_verify
'

test_expect_success 'an evil revert (git'\''s message, but a tree with one more change) is rejected as before' '
	(
		cd work &&
		git checkout -q -B staging origin/staging &&
		git revert --no-edit HEAD >/dev/null &&
		echo evil >overlays/stg/evil.yaml && git add overlays/stg/evil.yaml &&
		git commit -q --amend --no-edit &&
		git log -1 --format=%B | grep "^This reverts commit " &&
		pc_push reject alice origin staging
	) &&
	grep "promotion: commit [0-9a-f]* \"Revert \"Revert \"feat: a\"\"\" is not on develop yet" err
'

test_expect_success 'a message naming a commit that is not on staging is judged as an ordinary commit' '
	(
		cd work &&
		git checkout -q -B staging origin/staging &&
		git rm -q overlays/stg/a.yaml 2>/dev/null; echo gone >overlays/stg/c.yaml &&
		git add overlays/stg/c.yaml &&
		git commit -q -m "Revert \"feat: c\"" -m "This reverts commit $(git rev-parse feature/c)." &&
		pc_push reject alice origin staging
	) &&
	grep "promotion: commit [0-9a-f]* \"Revert \"feat: c\"\" is not on develop yet" err
'

test_expect_success 'a clean revert of a commit this same push brings (not on staging'\''s OLD) is judged as an ordinary commit' '
	(
		cd work &&
		git checkout -q -B staging origin/staging &&
		git merge -q --no-ff -m "Merge branch '\''feature/c'\'' into staging" feature/c &&
		git revert --no-edit feature/c >/dev/null &&
		pc_push reject alice origin staging
	) &&
	grep "promotion: commit [0-9a-f]* \"Revert \"feat: c\"\" is not on develop yet" err &&
	test $(grep -c "promotion:" err) = 2
'

test_done
