#!/bin/sh
test_description='policy/pattern1.yml as shipped: a feature that conflicts reaches develop, staging and main by following the hint'
. "$(dirname "$0")/test-lib.sh"
. "$SHARNESS_TEST_SRCDIR/lib-examples.sh"

# Two app features set the memory limit of web: feature/a to 256Mi,
# feature/b to 192Mi.  feature/a reaches each branch first, so feature/b
# conflicts in each.  erin wrote feature/b and resolves its conflicts;
# frank (app) promotes to develop and staging, alice (sre) to main.

# resolve VALUE: take feature/b's side of the conflict with memory VALUE.
resolve() {
	git checkout -q --theirs k8s/base/deployment.yaml &&
	sed -i "s/memory: .*/memory: $1/" k8s/base/deployment.yaml &&
	! grep -q "^[<=>]\{7\}" k8s/base/deployment.yaml &&
	git add k8s/base/deployment.yaml
}

# merge_in_place USER TARGET: USER merges feature/b into TARGET, resolves
# the conflict right there and pushes: rejected, with the hint in err.
merge_in_place() {
	git fetch -q origin &&
	git switch -q -C "$2" "origin/$2" &&
	test_must_fail ex_as "$1" git merge -q --no-ff feature/b &&
	resolve 224Mi && ex_as "$1" git commit -q --no-edit &&
	ex_push reject "$1" origin "$2" &&
	grep "promotion: merge commit [0-9a-f]* \"Merge branch .feature/b.[^\"]*\" resolves conflicts in k8s/base/deployment.yaml, and no work branch has it" ../err &&
	git switch -q feature/b && git branch -q -D "$2"
}

# hint_word N: the Nth of (the commit to start from, what to merge into
# it, where to merge the result) that the hint in err names.
hint_word() {
	sed -n "s/^remote: *hint: resolve it on a new work branch: create one from \([0-9a-f]*\) (what was merged), merge \([^ ]*\) into it there, commit the resolution and push that branch alone, then merge that branch into \([^ ]*\) *\$/\\$1/p" err
}

# follow_hint RESOLVER PROMOTER BRANCH: every step the hint in err says:
# RESOLVER creates work branch BRANCH from the commit it names, merges the
# target into it, resolves and pushes that branch alone; PROMOTER merges
# that branch into the target and pushes.
follow_hint() {
	start=$(hint_word 1) into=$(hint_word 2) target=$(hint_word 3) &&
	test -n "$start" && test "$into" = "$target" &&
	(
		cd work &&
		git fetch -q origin &&
		git switch -q -c "$3" "$start" &&
		test_must_fail ex_as "$1" git merge -q "origin/$into" &&
		resolve 224Mi && ex_as "$1" git commit -q --no-edit &&
		ex_push accept "$1" origin "$3" &&
		git switch -q -C "$target" "origin/$target" &&
		ex_as "$2" git merge -q --no-ff --no-edit "$3" &&
		git show HEAD:k8s/base/deployment.yaml | grep "memory: 224Mi"
	)
}

test_expect_success 'setup: the example policy with fresh keys, the example repository' '
	ex_setup pattern1 &&
	(
		cd work &&
		ex_push accept alice origin HEAD:refs/heads/main HEAD:refs/heads/develop \
			HEAD:refs/heads/staging
	)
'

test_expect_success 'carol and erin push two features that change the same line' '
	(
		cd work &&
		git switch -q -c feature/a origin/main &&
		sed -i "s/memory: 128Mi/memory: 256Mi/" k8s/base/deployment.yaml &&
		ex_as carol git commit -q -am "feat: web gets 256Mi" &&
		ex_push accept carol origin feature/a &&
		git switch -q -c feature/b origin/main &&
		sed -i "s/memory: 128Mi/memory: 192Mi/" k8s/base/deployment.yaml &&
		ex_as erin git commit -q -am "feat: web gets 192Mi" &&
		ex_push accept erin origin feature/b
	)
'

test_expect_success 'develop: feature/a merges cleanly; feature/b conflicts, resolved in place it is rejected' '
	(
		cd work &&
		git switch -q -C develop origin/develop &&
		ex_as frank git merge -q --no-ff --no-edit feature/a &&
		ex_push accept frank origin develop &&
		merge_in_place frank develop
	) &&
	test "$(hint_word 1)" = "$(git -C work rev-parse --short=7 feature/b)" &&
	test "$(hint_word 3)" = develop
'

test_expect_success 'develop: following the hint, the resolution passes, approved by the promoter' '
	follow_hint erin frank feature/b-develop &&
	(cd work && ex_push accept frank origin develop) &&
	grep "approved by: frank (pusher)" err &&
	! grep "approved by: .*erin" err
'

test_expect_success 'staging: feature/a, then feature/b by the hint' '
	(
		cd work &&
		git fetch -q origin &&
		git switch -q -C staging origin/staging &&
		ex_as frank git merge -q --no-ff --no-edit feature/a &&
		ex_push accept frank origin staging &&
		merge_in_place frank staging
	) &&
	test "$(hint_word 3)" = staging &&
	follow_hint erin frank feature/b-staging &&
	(cd work && ex_push accept frank origin staging) &&
	grep "approved by: frank (pusher)" err
'

test_expect_success 'main: feature/a with two sre approvals, then feature/b by the hint' '
	(
		cd work &&
		git fetch -q origin &&
		git switch -q -C main origin/main &&
		ex_as alice git merge -q --no-ff --no-edit feature/a &&
		ex_approve bob main main && ex_approve dave main main &&
		ex_push accept alice origin main &&
		merge_in_place alice main
	) &&
	test "$(hint_word 3)" = main &&
	follow_hint erin alice feature/b-main &&
	(
		cd work &&
		ex_push reject alice origin main &&
		grep "needs 2 approvals from sre (branches.main.approvers), has 1 (alice)" ../err &&
		ex_approve bob main main && ex_approve dave main main &&
		ex_push accept alice origin main
	) &&
	grep "approved by: .*bob (signature)" err &&
	grep "approved by: .*dave (signature)" err &&
	test "$(git -C server.git show main:k8s/base/deployment.yaml | grep memory:)" = "            memory: 224Mi" &&
	pc_audit_verify
'

test_done
