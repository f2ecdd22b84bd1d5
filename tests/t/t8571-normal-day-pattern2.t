#!/bin/sh
test_description='a normal day with policy/pattern2.yml as shipped: a feature, develop -> staging -> main, a prd revert, a staging-only revert, without break-glass'
# The executable version of "A normal day: Pattern2" in policy-check-policy(5):
# same people, same steps, same order.  Change both together.
. "$(dirname "$0")/test-lib.sh"
. "$SHARNESS_TEST_SRCDIR/lib-examples.sh"
. "$SHARNESS_TEST_SRCDIR/lib-day.sh"

# sre: alice, bob, erin; app: carol, dave, frank.  main needs two
# approvals from sre; k8s/base/ is owned by sre, everything else by app;
# the pusher's own push counts as their approval.

# merge_into USER BRANCH FROM: USER merges origin/FROM into BRANCH with
# git's own message, in their clone.
merge_into() {
	git fetch -q origin &&
	git switch -q -C "$2" "origin/$2" &&
	ex_as "$1" git merge -q --no-ff --no-edit "origin/$3"
}

test_expect_success '08:00 alice (sre, admin) creates main, staging and develop; everyone clones' '
	ex_setup pattern2 &&
	(
		cd work &&
		ex_push accept alice origin HEAD:refs/heads/main HEAD:refs/heads/develop \
			HEAD:refs/heads/staging
	) &&
	policy-check lint --policy policy.yml --repo server.git &&
	day_clone alice bob carol dave erin frank
'

test_expect_success '09:00 carol (app) opens feature/login' '
	(
		cd carol &&
		git switch -q -c feature/login origin/develop &&
		sed -i "s/memory: 128Mi/memory: 192Mi/" k8s/base/deployment.yaml &&
		ex_as carol git commit -q -am "feat(login): room for the session cache" &&
		ex_push accept carol origin feature/login
	)
'

test_expect_success '09:20 frank (app) adds to feature/login; the commit-message rule stops him' '
	(
		cd frank &&
		git fetch -q origin &&
		git switch -q -c feature/login origin/feature/login &&
		sed -i "s/replicas: 1/replicas: 2/" k8s/base/deployment.yaml &&
		ex_as frank git commit -q -am "login: a second replica" &&
		ex_push reject frank origin feature/login
	) &&
	grep "rules: commit [0-9a-f]* \"login: a second replica\": message does not match rules.commit_message" err &&
	grep "hint: reword it (git rebase -i, then .reword.) and push again" err
'

test_expect_success '09:25 frank rewords his commit, as the hint says, and pushes again' '
	(
		cd frank &&
		ex_as frank git commit -q --amend -m "feat(login): a second replica" &&
		ex_push accept frank origin feature/login
	)
'

test_expect_success '10:00 erin (sre) merges feature/login into staging by mistake: develop comes first' '
	(
		cd erin &&
		merge_into erin staging feature/login &&
		ex_push reject erin origin staging
	) &&
	grep "promotion: commit [0-9a-f]* \"feat(login): room for the session cache\" is not on develop; staging takes changes only from develop" err &&
	grep "hint: merge it to develop, then promote develop -> staging" err
'

test_expect_success '10:05 erin follows the hint: feature/login into develop (her push approves k8s/base/)' '
	(
		cd erin &&
		git switch -q -C staging origin/staging &&
		merge_into erin develop feature/login &&
		ex_push accept erin origin develop
	) &&
	grep "approved by: erin (pusher)" err
'

test_expect_success '10:10 then promotes develop -> staging with policy-check promote' '
	day_promote erin staging &&
	grep "approved by: erin (pusher)" err &&
	test "$(git -C server.git rev-parse staging)" = "$(git -C server.git rev-parse develop)"
'

test_expect_success '13:00 dave (app) promotes staging -> main: two approvals from sre are missing' '
	test_expect_code 1 day_promote dave main &&
	grep "approval: .*needs 2 approvals from @sre" err &&
	grep "^  [a-z]*: policy-check approve [0-9a-f]* --target main$" out &&
	! grep "^  dave:" out
'

test_expect_success '13:10 bob and erin (sre), whom promote names, fetch staging and approve its tip for main' '
	grep "^  bob: policy-check approve" out &&
	grep "^  erin: policy-check approve" out &&
	commit=$(sed -n "s/^  bob: policy-check approve \([0-9a-f]*\) .*/\1/p" out) &&
	for u in bob erin; do
		(
			cd $u &&
			git fetch -q origin &&
			test "$(git rev-parse origin/staging)" = "$(git rev-parse $commit)" &&
			git log -p origin/main..origin/staging >/dev/null &&
			ex_approve $u origin/staging main
		) || return 1
	done
'

test_expect_success '13:15 dave runs promote main again: feature/login is in prd' '
	day_promote dave main &&
	grep "approved by: .*bob (signature)" err &&
	grep "approved by: .*erin (signature)" err &&
	git -C server.git show main:k8s/base/deployment.yaml | grep "memory: 192Mi"
'

test_expect_success '15:00 login breaks prd: bob (sre) reverts the promotion merge on main' '
	(
		cd bob &&
		git fetch -q origin &&
		git switch -q -C main origin/main &&
		ex_as bob git revert --no-edit -m 1 HEAD >/dev/null &&
		ex_push accept bob origin HEAD:refs/heads/hotfix/revert-login &&
		ex_push reject bob origin main
	) &&
	grep "approval: .*needs 2 approvals from @sre" err &&
	! grep "promotion:" err
'

test_expect_success '15:05 alice and erin (sre) approve the revert; bob pushes it to main' '
	for u in alice erin; do
		(
			cd $u &&
			git fetch -q origin &&
			ex_approve $u origin/hotfix/revert-login main
		) || return 1
	done &&
	(
		cd bob &&
		ex_push accept bob origin main
	) &&
	grep "approved by: .*alice (signature)" err &&
	grep "approved by: .*erin (signature)" err &&
	! grep "approved by: .*bob" err &&
	git -C server.git show main:k8s/base/deployment.yaml | grep "memory: 128Mi"
'

# Hotfixes that skip staging are Pattern1's (hotfix_from needs a require);
# here a fix goes through develop and staging like any change.

test_expect_success '15:30 frank (app) opens feature/banner; dave (app) promotes it to develop and staging' '
	(
		cd frank &&
		git fetch -q origin &&
		git switch -q -c feature/banner origin/develop &&
		sed -i "s/count: 2$/count: 3/" k8s/overlays/stg/kustomization.yaml &&
		ex_as frank git commit -q -am "feat(banner): a third replica in stg for the banner load" &&
		ex_push accept frank origin feature/banner
	) &&
	(
		cd dave &&
		merge_into dave develop feature/banner &&
		ex_push accept dave origin develop &&
		merge_into dave staging develop &&
		ex_push accept dave origin staging
	) &&
	grep "approved by: dave (pusher)" err
'

test_expect_success '16:00 the banner fails QA: carol (app) reverts the promotion on staging only' '
	(
		cd carol &&
		git fetch -q origin &&
		git switch -q -C staging origin/staging &&
		ex_as carol git revert --no-edit -m 1 HEAD >/dev/null &&
		ex_push accept carol origin HEAD:refs/heads/feature/revert-banner
	) &&
	(
		cd dave &&
		git fetch -q origin &&
		git switch -q -C staging origin/feature/revert-banner &&
		ex_push accept dave origin staging
	) &&
	grep "approved by: dave (pusher)" err &&
	! grep "promotion:" err &&
	git -C server.git show staging:k8s/overlays/stg/kustomization.yaml | grep "count: 2$" &&
	git -C server.git show develop:k8s/overlays/stg/kustomization.yaml | grep "count: 3$"
'

test_expect_success '17:00 the audit log verifies, and no push of the day needed break-glass' '
	day_no_break_glass
'

test_done
