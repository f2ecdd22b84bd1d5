#!/bin/sh
test_description='pattern2: feature -> develop -> staging -> main, and nothing else'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup' '
	pc_setup_server pattern2 &&
	(
		cd work &&
		git checkout -q -b feature/login origin/develop &&
		pc_commit overlays/dev/login.yaml "login: true" "feat: add login" &&
		REMOTE_USER=carol git push -q origin feature/login
	)
'

test_expect_success 'a feature merged into develop is accepted' '
	(
		cd work &&
		git checkout -q -b develop origin/develop &&
		git merge -q --no-ff -m "Merge feature/login" feature/login &&
		# carol first pushed the feature, so another owner merges it
		pc_push accept alice origin develop
	)
'

test_expect_success 'a direct commit on staging is rejected' '
	(
		cd work &&
		git checkout -q -b staging origin/staging &&
		pc_commit overlays/stg/hack.yaml "x: 1" "fix: hot patch" &&
		pc_push reject alice origin staging
	) &&
	grep "promotion: commit [0-9a-f]* \"fix: hot patch\" is not on develop; staging takes changes only from develop" err &&
	grep "hint: merge it to develop, then promote develop -> staging" err
'

test_expect_success 'develop -> staging promotion is accepted' '
	(
		cd work &&
		git reset -q --hard origin/staging &&
		git merge -q --no-ff -m "Merge develop into staging" origin/develop &&
		pc_push accept alice origin staging
	)
'

test_expect_success 'skipping a stage (feature straight to main) is rejected' '
	(
		cd work &&
		git checkout -q -b feature/skip origin/main &&
		pc_commit overlays/prd/skip.yaml "x: 2" "feat: skip the queue" &&
		REMOTE_USER=carol git push -q origin feature/skip &&
		git checkout -q -B main origin/main &&
		git merge -q --no-ff -m "Merge feature/skip" feature/skip &&
		pc_push reject alice origin main
	) &&
	grep "promotion: commit [0-9a-f]* \"feat: skip the queue\" is not on staging; main takes changes only from staging" err &&
	grep "hint: merge it to develop, promote develop -> staging, then staging -> main" err
'

test_expect_success 'staging -> main by fast-forward is accepted' '
	(
		cd work &&
		git fetch -q origin &&
		git reset -q --hard origin/main &&
		git merge -q --ff-only origin/staging &&
		pc_push accept alice origin main
	)
'

test_expect_success 'an evil merge (extra change inside the merge) is rejected with the path' '
	(
		cd work &&
		git checkout -q -b feature/evil origin/develop &&
		pc_commit overlays/dev/evil.yaml "a: 1" "feat: innocent" &&
		REMOTE_USER=carol git push -q origin feature/evil &&
		git checkout -q develop &&
		git reset -q --hard origin/develop &&
		git merge -q --no-ff --no-commit feature/evil &&
		echo "sneaky: true" >overlays/prd/sneaky.yaml &&
		git add overlays/prd/sneaky.yaml &&
		git commit -q -m "Merge feature/evil" &&
		pc_push reject carol origin develop
	) &&
	grep "promotion: merge commit [0-9a-f]* \"Merge feature/evil\" is not a clean merge of its parents: overlays/prd/sneaky.yaml differs from the automatic merge" err
'

test_expect_success 'a conflict-resolving merge is rejected with the conflicting path' '
	(
		cd work &&
		git checkout -q -b feature/c1 origin/develop &&
		pc_commit base/app.yaml "kind: A" "feat: a" &&
		git checkout -q -b feature/c2 origin/develop &&
		pc_commit base/app.yaml "kind: B" "feat: b" &&
		REMOTE_USER=carol git push -q origin feature/c1 feature/c2 &&
		git checkout -q develop &&
		git reset -q --hard origin/develop &&
		git merge -q --no-ff -m "Merge c1" feature/c1 &&
		test_must_fail git merge -q --no-ff -m "Merge c2" feature/c2 &&
		echo "kind: C" >base/app.yaml &&
		git add base/app.yaml &&
		git commit -q -m "Merge c2" &&
		pc_push reject carol origin develop
	) &&
	grep "promotion: merge commit [0-9a-f]* \"Merge c2\" resolves conflicts in base/app.yaml" err
'

test_expect_success 'a non-fast-forward push to a protected branch is rejected' '
	(
		cd work &&
		git checkout -q -B staging origin/staging &&
		git reset -q --hard HEAD~1 &&
		pc_push reject alice -f origin staging
	) &&
	grep "protect: non-fast-forward update of protected branch staging is not allowed" err
'

test_expect_success 'deleting a protected branch is rejected, even for an admin' '
	(
		cd work &&
		pc_push reject alice origin :staging
	) &&
	grep "protect: protected branch staging cannot be deleted" err
'

test_expect_success 'creating a protected branch is for admins only' '
	git -C server.git update-ref -d refs/heads/staging &&
	(
		cd work &&
		pc_push reject carol origin origin/develop:refs/heads/staging
	) &&
	grep "protect: only admins (sre) may create protected branch staging" err &&
	(cd work && pc_push accept bob origin origin/develop:refs/heads/staging)
'

test_expect_success 'the audit log of all of this verifies' '
	pc_audit_verify
'

test_done
