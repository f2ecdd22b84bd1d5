#!/bin/sh
test_description='a normal day with policy/pattern1.yml as shipped: features, promotions, a prd revert, a hotfix with its back-merges, a staging-only revert, without break-glass'
# The executable version of "A normal day: Pattern1" in policy-check-policy(5):
# same people, same steps, same order.  Change both together.
. "$(dirname "$0")/test-lib.sh"
. "$SHARNESS_TEST_SRCDIR/lib-examples.sh"
. "$SHARNESS_TEST_SRCDIR/lib-day.sh"

# sre: alice, bob, dave; app: carol, erin, frank.  main needs two approvals
# from sre; everything else one owner (CODEOWNERS: /k8s/ @sre @app).

# merge_into USER BRANCH FEATURE: USER merges origin/FEATURE into BRANCH
# with git's own message, in their clone.
merge_into() {
	git fetch -q origin &&
	git switch -q -C "$2" "origin/$2" &&
	ex_as "$1" git merge -q --no-ff --no-edit "origin/$3"
}

test_expect_success '08:00 alice (sre, admin) creates main, staging and develop; everyone clones' '
	ex_setup pattern1 &&
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
		sed -i "s/count: 1/count: 2/" k8s/overlays/dev/kustomization.yaml &&
		ex_as frank git commit -q -am "login: two replicas in dev" &&
		ex_push reject frank origin feature/login
	) &&
	grep "rules: commit [0-9a-f]* \"login: two replicas in dev\": message does not match rules.commit_message" err &&
	grep "hint: reword it (git rebase -i, then .reword.) and push again" err
'

test_expect_success '09:25 frank rewords his commit, as the hint says, and pushes again' '
	(
		cd frank &&
		ex_as frank git commit -q --amend -m "feat(login): two replicas in dev" &&
		ex_push accept frank origin feature/login
	)
'

test_expect_success '10:00 erin (app) merges feature/login into develop: her push is the approval' '
	(
		cd erin &&
		merge_into erin develop feature/login &&
		ex_push accept erin origin develop
	) &&
	grep "approved by: erin (pusher)" err
'

# A merge that conflicts is resolved on a new work branch, as the hint
# says; t8540 walks that through develop, staging and main with this policy.

test_expect_success '10:30 erin merges feature/login into main by mistake: staging comes first' '
	(
		cd erin &&
		merge_into erin main feature/login &&
		ex_push reject erin origin main
	) &&
	grep "promotion: commit [0-9a-f]* \"feat(login): room for the session cache\" is not on staging yet; main takes only changes already on staging" err &&
	grep "hint: merge the feature branch into staging first, then into main" err
'

test_expect_success '10:35 erin follows the hint: feature/login into staging' '
	(
		cd erin &&
		git switch -q -C main origin/main &&
		merge_into erin staging feature/login &&
		ex_push accept erin origin staging
	) &&
	grep "approved by: erin (pusher)" err
'

test_expect_success '11:00 frank (app) opens feature/banner; erin merges it into develop, and promotes it to staging' '
	(
		cd frank &&
		git switch -q -c feature/banner origin/develop &&
		sed -i "s/count: 2$/count: 3/" k8s/overlays/stg/kustomization.yaml &&
		ex_as frank git commit -q -am "feat(banner): a third replica in stg for the banner load" &&
		ex_push accept frank origin feature/banner
	) &&
	(
		cd erin &&
		merge_into erin develop feature/banner &&
		ex_push accept erin origin develop
	) &&
	day_promote erin --from feature/banner staging &&
	grep "approved by: erin (pusher)" err &&
	git -C server.git log --format=%s -1 staging | grep "^Merge branch .feature/banner. into staging$"
'

test_expect_success '13:00 alice (sre) merges feature/login into main; pushed with its work branch, both are rejected' '
	(
		cd alice &&
		merge_into alice main feature/login &&
		ex_push reject alice origin main HEAD:refs/heads/feature/login-to-main
	) &&
	grep "rejected refs/heads/main" err &&
	grep "needs 2 approvals from sre (branches.main.approvers)" err &&
	grep "hint: push this work branch alone first, so that approvers can fetch the commits they are asked to approve" err
'

test_expect_success '13:05 alice pushes the work branch alone, as the hint says' '
	(
		cd alice &&
		ex_push accept alice origin HEAD:refs/heads/feature/login-to-main &&
		ex_push reject alice origin main
	) &&
	grep "approval: refs/heads/main needs 2 approvals from sre (branches.main.approvers), has 1 (alice)" err &&
	grep "hint: policy-check approve [0-9a-f]* --target refs/heads/main (by one of bob, dave)" err
'

test_expect_success '13:10 bob and dave (sre) fetch the merge and approve it for main' '
	commit=$(day_hint_approve) && test -n "$commit" &&
	for u in bob dave; do
		(
			cd $u &&
			git fetch -q origin &&
			test "$(git rev-parse origin/feature/login-to-main)" = "$(git rev-parse $commit)" &&
			git log -p origin/main..origin/feature/login-to-main >/dev/null &&
			ex_approve $u origin/feature/login-to-main main
		) || return 1
	done
'

test_expect_success '13:15 alice pushes main: feature/login is in prd' '
	(
		cd alice &&
		ex_push accept alice origin main
	) &&
	grep "approved by: .*bob (signature)" err &&
	grep "approved by: .*dave (signature)" err &&
	git -C server.git show main:k8s/base/deployment.yaml | grep "memory: 192Mi"
'

test_expect_success '15:00 login breaks prd: dave reverts the merge on main' '
	(
		cd dave &&
		git fetch -q origin &&
		git switch -q -C main origin/main &&
		ex_as dave git revert --no-edit -m 1 HEAD >/dev/null &&
		git log -1 --format=%s | grep "^Revert \"Merge remote-tracking branch .origin/feature/login.\"$" &&
		ex_push accept dave origin HEAD:refs/heads/hotfix/revert-login &&
		ex_push reject dave origin main
	) &&
	grep "needs 2 approvals from sre (branches.main.approvers)" err &&
	! grep "promotion:" err
'

test_expect_success '15:05 alice and bob (sre) approve the revert; dave pushes it to main' '
	for u in alice bob; do
		(
			cd $u &&
			git fetch -q origin &&
			ex_approve $u origin/hotfix/revert-login main
		) || return 1
	done &&
	(
		cd dave &&
		ex_push accept dave origin main
	) &&
	grep "approved by: .*alice (signature)" err &&
	grep "approved by: .*bob (signature)" err &&
	! grep "approved by: .*dave" err &&
	git -C server.git show main:k8s/base/deployment.yaml | grep "memory: 128Mi"
'

test_expect_success '15:30 prd needs a probe fix now: dave (sre) pushes hotfix/probe from main' '
	(
		cd dave &&
		git fetch -q origin &&
		git switch -q -c hotfix/probe origin/main &&
		mkdir -p k8s/overlays/prd &&
		printf "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: probe }\ndata: { timeout: \"5s\" }\n" \
			>k8s/overlays/prd/probe.yaml &&
		git add k8s/overlays/prd/probe.yaml &&
		ex_as dave git commit -q -m "fix(prd): a 5s readiness timeout" &&
		ex_push accept dave origin hotfix/probe
	)
'

test_expect_success '15:35 alice and bob (sre) approve it for main; dave lands it before staging has it' '
	for u in alice bob; do
		(
			cd $u &&
			git fetch -q origin &&
			ex_approve $u origin/hotfix/probe main
		) || return 1
	done &&
	(
		cd dave &&
		git fetch -q origin &&
		git switch -q -C main origin/main &&
		git merge -q --ff-only hotfix/probe &&
		ex_push accept dave origin main
	) &&
	grep "approved by: .*alice (signature)" err &&
	grep "approved by: .*bob (signature)" err &&
	grep "remote:   follow-up: hotfix/probe: 1 commit on main not yet on staging, develop: merge hotfix/probe into develop, then staging" err
'

test_expect_success '15:40 status and audit reconcile show the back-merges still to do' '
	policy-check status --repo server.git --policy policy.yml >status &&
	grep "^  hotfix/probe: 2 commits on main not yet on staging, develop: merge hotfix/probe into develop, then staging" status &&
	test_expect_code 1 policy-check audit reconcile --repo server.git audit/audit.log >rec &&
	grep "follow-up: hotfix/probe: " rec
'

test_expect_success '15:45 erin (app) merges hotfix/probe back into develop, then staging: nothing is left to do' '
	for b in develop staging; do
		(
			cd erin &&
			git fetch -q origin &&
			git switch -q -C $b origin/$b &&
			ex_as erin git merge -q --no-ff -m "Merge branch '\''hotfix/probe'\'' into $b" origin/hotfix/probe &&
			ex_push accept erin origin $b
		) || return 1
	done &&
	policy-check status --repo server.git --policy policy.yml >status &&
	! grep "hotfix/probe:" status &&
	policy-check audit reconcile --repo server.git audit/audit.log >rec &&
	! grep "follow-up: hotfix/probe" rec
'

test_expect_success '16:00 the banner fails QA: carol (app) reverts it on staging only' '
	(
		cd carol &&
		git fetch -q origin &&
		git switch -q -C staging origin/staging &&
		ex_as carol git revert --no-edit origin/feature/banner >/dev/null &&
		ex_push accept carol origin HEAD:refs/heads/feature/revert-banner
	) &&
	(
		cd erin &&
		git fetch -q origin &&
		git switch -q -C staging origin/feature/revert-banner &&
		ex_push accept erin origin staging
	) &&
	grep "approved by: erin (pusher)" err &&
	! grep "promotion:" err &&
	git -C server.git show staging:k8s/overlays/stg/kustomization.yaml | grep "count: 2$" &&
	git -C server.git show develop:k8s/overlays/stg/kustomization.yaml | grep "count: 3$"
'

test_expect_success '17:00 the audit log verifies, and no push of the day needed break-glass' '
	day_no_break_glass
'

test_done
