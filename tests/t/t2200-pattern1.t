#!/bin/sh
test_description='pattern1: each feature merged separately into develop, staging, main; merge omission caught'
. "$(dirname "$0")/test-lib.sh"

# merge_into accept|reject BRANCH FEATURE: merge FEATURE into BRANCH, push as alice
merge_into() {
	git checkout -q -B "$2" "origin/$2" &&
	git merge -q --no-ff -m "Merge $3 into $2" "$3" &&
	pc_push "$1" alice origin "$2"
}

test_expect_success 'setup' '
	pc_setup_server pattern1 &&
	(
		cd work &&
		git checkout -q -b feature/a origin/main &&
		pc_commit overlays/dev/a.yaml "a: 1" "feat: a" &&
		git checkout -q -b feature/b origin/main &&
		pc_commit overlays/dev/b.yaml "b: 1" "feat: b" &&
		REMOTE_USER=carol git push -q origin feature/a feature/b
	)
'

test_expect_success 'feature/a merged into develop, then staging, then main is accepted' '
	(
		cd work &&
		merge_into accept develop feature/a &&
		merge_into accept staging feature/a &&
		merge_into accept main feature/a
	)
'

test_expect_success 'feature/b merged into staging without develop is a merge omission' '
	(
		cd work &&
		merge_into reject staging feature/b
	) &&
	grep "promotion: commit [0-9a-f]* \"feat: b\" is not on develop yet; staging takes only changes already on develop" err &&
	grep "hint: merge the feature branch into develop first, then into staging" err
'

test_expect_success 'a commit authored directly on develop is rejected (not from a feature branch)' '
	(
		cd work &&
		git checkout -q -B develop origin/develop &&
		pc_commit overlays/dev/direct.yaml "d: 1" "fix: direct" &&
		pc_push reject alice origin develop
	) &&
	grep "promotion: commit [0-9a-f]* \"fix: direct\" is not on feature/\*, hotfix/\*" err
'

test_expect_success 'status shows the feature that skipped an environment' '
	(
		cd work && git checkout -q -B staging origin/staging &&
		git merge -q --no-ff -m "Merge feature/b" feature/b &&
		REMOTE_USER=carol git push -q origin staging:refs/heads/feature/b-merged
	) &&
	git -C server.git update-ref refs/heads/staging "$(git -C work rev-parse staging)" &&
	policy-check status --repo server.git >out &&
	grep "strategy: pattern1" out &&
	grep "feature/b .*reached a later environment without an earlier one" out
'

test_done
