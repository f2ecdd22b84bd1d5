#!/bin/sh
test_description='a normal day with policy/pattern3.yml as shipped: a feature, dev -> stg -> prd, a prd rollback to yesterday, a stg-only revert, without break-glass'
# The executable version of "A normal day: Pattern3" in policy-check-policy(5):
# same people, same steps, same order.  Change both together.
. "$(dirname "$0")/test-lib.sh"
. "$SHARNESS_TEST_SRCDIR/lib-examples.sh"
. "$SHARNESS_TEST_SRCDIR/lib-day.sh"

# sre: alice, bob, erin; app: carol, dave, frank.  Yesterday dev ran
# 1.3.0, stg and prd 1.2.0.  overlays/dev/ is owned by app, overlays/stg/
# by app or sre; overlays/prd/ needs two of app and two of sre.  One
# environment per push; the pusher's own push counts as their approval.

# set_tag USER ENV TAG MESSAGE: USER sets ENV's image tag in their clone
# and commits it.
set_tag() {
	sed -i "s/newTag: .*/newTag: \"$3\"/" "overlays/$2/kustomization.yaml" &&
	grep -q "newTag: \"$3\"" "overlays/$2/kustomization.yaml" &&
	ex_as "$1" git commit -q -am "$4"
}

# approve_all REV USER...: each USER fetches REV and approves it for main.
approve_all() {
	approve_rev=$1
	shift
	for u in "$@"; do
		(
			cd "$SHARNESS_TRASH_DIRECTORY/$u" &&
			git fetch -q origin &&
			git log -p origin/main.."$approve_rev" >/dev/null &&
			ex_approve "$u" "$approve_rev" main
		) || return 1
	done
}

test_expect_success '08:00 alice (sre, admin) creates main; everyone clones' '
	ex_setup pattern3 &&
	(
		cd work &&
		ex_push accept alice origin HEAD:refs/heads/main
	) &&
	policy-check lint --policy policy.yml --repo server.git &&
	day_clone alice bob carol dave erin frank
'

test_expect_success '09:00 carol (app) opens feature/login: web 1.4.0 in dev' '
	(
		cd carol &&
		git switch -q -c feature/login origin/main &&
		set_tag carol dev 1.4.0 "feat(dev): web 1.4.0 with the login page" &&
		ex_push accept carol origin feature/login
	)
'

# The shipped Pattern3 policy has no commit_message rule: no message is
# rejected here (t8570 and t8571 have that step).

test_expect_success '09:20 frank (app) adds a second dev replica, and pushes feature/login and main together: both are rejected' '
	(
		cd frank &&
		git fetch -q origin &&
		git switch -q -c feature/login origin/feature/login &&
		sed -i "s/count: 1/count: 2/" overlays/dev/kustomization.yaml &&
		ex_as frank git commit -q -am "feat(dev): a second replica for the login sessions" &&
		ex_push reject frank origin feature/login HEAD:main
	) &&
	grep "rejected refs/heads/main" err &&
	grep "approval: overlays/dev/kustomization.yaml needs 1 approval from @app" err &&
	grep "hint: push this work branch alone first, so that approvers can fetch the commits they are asked to approve" err
'

test_expect_success '09:25 frank pushes the work branch alone, as the hint says; main still needs an approval' '
	(
		cd frank &&
		ex_push accept frank origin feature/login &&
		ex_push reject frank origin HEAD:main
	) &&
	grep "hint: policy-check approve [0-9a-f]* --target refs/heads/main (by one of dave); carol cannot approve it: carol first pushed commit [0-9a-f]* \"feat(dev): web 1.4.0 with the login page\"; frank cannot approve it: frank first pushed commit [0-9a-f]* \"feat(dev): a second replica for the login sessions\"" err
'

test_expect_success '09:40 dave (app), whom the hint names, fetches feature/login and approves it; frank lands it on main' '
	commit=$(day_hint_approve) && test -n "$commit" &&
	test "$(sed -n "s/.*hint: policy-check approve .* (by one of \([a-z]*\));.*/\1/p" err)" = dave &&
	(cd dave && git fetch -q origin && test "$(git rev-parse origin/feature/login)" = "$(git rev-parse $commit)") &&
	approve_all origin/feature/login dave &&
	(
		cd frank &&
		ex_push accept frank origin HEAD:main
	) &&
	grep "approved by: .*dave (signature)" err &&
	! grep "approved by: .*frank" err &&
	! grep "approved by: .*carol" err
'

test_expect_success '11:00 frank (app) bumps prd to 1.4.0 by mistake: stg has never run it' '
	(
		cd frank &&
		git fetch -q origin &&
		git switch -q -c feature/web-1.4.0 origin/main &&
		set_tag frank prd 1.4.0 "feat(prd): web 1.4.0" &&
		ex_push accept frank origin feature/web-1.4.0 &&
		ex_push reject frank origin HEAD:main
	) &&
	grep "environment: overlays/prd/kustomization.yaml sets image registry.example.com/shop/web to tag 1.4.0, which stg has never run (overlays/stg/kustomization.yaml has tag 1.2.0)" err &&
	grep "hint: promote tag 1.4.0 to dev, then to stg, then push this again; or roll back to a value stg has run" err &&
	git -C server.git show main:overlays/dev/kustomization.yaml | grep "newTag: \"1.4.0\""
'

test_expect_success '11:05 frank follows the hint: dev runs 1.4.0 already, so he runs policy-check promote stg' '
	(cd frank && git switch -q -C main origin/main) &&
	test_expect_code 1 day_promote frank stg &&
	grep "^promotion of stg: registry.example.com/shop/web:1.4.0$" out &&
	grep "rejected refs/heads/main" err &&
	grep "^  bob: policy-check approve [0-9a-f]* --target main$" out &&
	! grep "^  frank:" out
'

test_expect_success '11:10 bob (sre), whom promote names, approves; frank runs promote stg again: stg runs 1.4.0' '
	commit=$(sed -n "s/^  bob: policy-check approve \([0-9a-f]*\) .*/\1/p" out) &&
	(
		cd bob &&
		git fetch -q origin &&
		git log -p origin/main..$commit >/dev/null &&
		ex_approve bob $commit main
	) &&
	day_promote frank stg &&
	grep "approved by: .*bob (signature)" err &&
	git -C server.git show main:overlays/stg/kustomization.yaml | grep "newTag: \"1.4.0\""
'

test_expect_success '13:00 alice (sre) bumps prd to 1.4.0, which stg runs: prd needs two of sre and two of app' '
	(
		cd alice &&
		git fetch -q origin &&
		git switch -q -c feature/prd-1.4.0 origin/main &&
		set_tag alice prd 1.4.0 "feat(prd): web 1.4.0" &&
		ex_push accept alice origin feature/prd-1.4.0 &&
		ex_push reject alice origin HEAD:main
	) &&
	! grep "^remote:   environment:" err &&
	grep "needs 2 approvals from @sre in \[prd\] (CODEOWNERS:[0-9]*), has 0" err &&
	grep "needs 2 approvals from @app (CODEOWNERS:[0-9]*), has 0" err
'

test_expect_success '13:10 bob and erin (sre), carol and dave (app) approve it' '
	approve_all origin/feature/prd-1.4.0 bob erin carol dave
'

test_expect_success '13:12 meanwhile dave (app) lands a third dev replica, which frank approves' '
	(
		cd dave &&
		git fetch -q origin &&
		git switch -q -c feature/dev-replicas origin/main &&
		sed -i "s/count: 2/count: 3/" overlays/dev/kustomization.yaml &&
		ex_as dave git commit -q -am "feat(dev): a third replica" &&
		ex_push accept dave origin feature/dev-replicas
	) &&
	approve_all origin/feature/dev-replicas frank &&
	(
		cd dave &&
		ex_push accept dave origin HEAD:main
	)
'

# approvals.keep_on_rebase (on in the shipped Pattern3 policy): the rebase
# changes nothing in overlays/prd/, so the four approvals still count.
test_expect_success '13:15 main moved: alice rebases feature/prd-1.4.0, and the four approvals carry over: 1.4.0 is in prd' '
	(
		cd alice &&
		test_must_fail git push -q origin HEAD:main 2>/dev/null &&
		approved=$(git rev-parse HEAD) &&
		git fetch -q origin &&
		ex_as alice git rebase -q origin/main &&
		test "$(git rev-parse HEAD)" != "$approved" &&
		ex_push accept alice origin +feature/prd-1.4.0 &&
		ex_push accept alice origin HEAD:main &&
		echo "$approved" >../approved
	) &&
	for u in bob erin carol dave; do
		grep "approved by: .*$u (signature, made for $(cut -c1-7 approved))" err || return 1
	done &&
	! grep "approved by: .*alice" err &&
	git -C server.git show main:overlays/prd/kustomization.yaml | grep "newTag: \"1.4.0\"" &&
	git -C server.git show main:overlays/dev/kustomization.yaml | grep "count: 3"
'

test_expect_success '15:00 login breaks prd: erin (sre) rolls prd back to yesterday'\''s 1.2.0' '
	(
		cd erin &&
		git fetch -q origin &&
		git switch -q -c hotfix/prd-1.2.0 origin/main &&
		set_tag erin prd 1.2.0 "fix(prd): back to web 1.2.0, the login page fails" &&
		ex_push accept erin origin hotfix/prd-1.2.0 &&
		ex_push reject erin origin HEAD:main
	) &&
	! grep "^remote:   environment:" err &&
	grep "needs 2 approvals from @sre in \[prd\]" err
'

test_expect_success '15:05 alice and bob (sre), carol and frank (app) approve the rollback; erin lands it' '
	approve_all origin/hotfix/prd-1.2.0 alice bob carol frank &&
	(
		cd erin &&
		ex_push accept erin origin HEAD:main
	) &&
	! grep "approved by: .*erin" err &&
	git -C server.git show main:overlays/prd/kustomization.yaml | grep "newTag: \"1.2.0\""
'

test_expect_success '16:00 stg goes back too: dave (app) reverts the stg promotion, bob (sre) approves' '
	(
		cd dave &&
		git fetch -q origin &&
		git switch -q -c feature/revert-stg-1.4.0 origin/main &&
		stg=$(git log -1 --format=%H --grep="^chore(stg): promote 1.4.0 from dev$" origin/main) &&
		test -n "$stg" &&
		ex_as dave git revert --no-edit "$stg" >/dev/null &&
		grep "newTag: \"1.2.0\"" overlays/stg/kustomization.yaml &&
		ex_push accept dave origin feature/revert-stg-1.4.0
	) &&
	approve_all origin/feature/revert-stg-1.4.0 bob &&
	(
		cd dave &&
		ex_push accept dave origin HEAD:main
	) &&
	grep "approved by: .*bob (signature)" err &&
	git -C server.git show main:overlays/stg/kustomization.yaml | grep "newTag: \"1.2.0\"" &&
	git -C server.git show main:overlays/dev/kustomization.yaml | grep "newTag: \"1.4.0\""
'

test_expect_success '17:00 the audit log verifies, and no push of the day needed break-glass' '
	day_no_break_glass
'

test_done
