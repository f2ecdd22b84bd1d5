#!/bin/sh
test_description='policy/pattern2.yml as shipped: a resolution develop accepted is promoted after its work branch is gone'
. "$(dirname "$0")/test-lib.sh"
. "$SHARNESS_TEST_SRCDIR/lib-examples.sh"

# carol's feature/a and frank's feature/b set the memory limit of web;
# feature/a reaches develop first, erin (sre) resolves the conflict on a work
# branch that is deleted once merged (as a forge does), and develop is
# then promoted to staging and main.

test_expect_success 'setup: the example policy with fresh keys, two conflicting features' '
	ex_setup pattern2 &&
	(
		cd work &&
		ex_push accept alice origin HEAD:refs/heads/main HEAD:refs/heads/develop \
			HEAD:refs/heads/staging &&
		git switch -q -c feature/a origin/develop &&
		sed -i "s/memory: 128Mi/memory: 256Mi/" k8s/base/deployment.yaml &&
		ex_as carol git commit -q -am "feat: web gets 256Mi" &&
		git switch -q -c feature/b origin/develop &&
		sed -i "s/memory: 128Mi/memory: 192Mi/" k8s/base/deployment.yaml &&
		ex_as frank git commit -q -am "feat: web gets 192Mi" &&
		ex_push accept carol origin feature/a &&
		ex_push accept frank origin feature/b &&
		git switch -q -c develop origin/develop &&
		ex_as bob git merge -q --no-ff --no-edit feature/a &&
		ex_push accept bob origin develop
	)
'

test_expect_success 'feature/b conflicts on develop; the hint leads to an accepted resolution' '
	(
		cd work &&
		test_must_fail ex_as bob git merge -q --no-ff feature/b &&
		git checkout -q --theirs k8s/base/deployment.yaml &&
		sed -i "s/memory: .*/memory: 224Mi/" k8s/base/deployment.yaml &&
		git add k8s/base/deployment.yaml && ex_as bob git commit -q --no-edit &&
		ex_push reject bob origin develop
	) &&
	start=$(sed -n "s/.*hint: resolve it on a new work branch: create one from \([0-9a-f]*\) (what was merged), merge develop into it there, commit the resolution and push that branch alone, then merge that branch into develop *\$/\1/p" err) &&
	test -n "$start" &&
	(
		cd work &&
		git switch -q -c feature/b-develop "$start" &&
		test_must_fail ex_as erin git merge -q origin/develop &&
		git checkout -q --theirs k8s/base/deployment.yaml &&
		sed -i "s/memory: .*/memory: 224Mi/" k8s/base/deployment.yaml &&
		git add k8s/base/deployment.yaml && ex_as erin git commit -q --no-edit &&
		ex_push accept erin origin feature/b-develop &&
		git switch -q -C develop origin/develop &&
		ex_as bob git merge -q --no-ff --no-edit feature/b-develop &&
		ex_push accept bob origin develop &&
		ex_push accept frank origin :feature/b-develop :feature/b
	)
'

test_expect_success 'develop -> staging brings the resolution develop accepted' '
	(
		cd work &&
		git fetch -q origin &&
		git switch -q -c staging origin/staging &&
		ex_as bob git merge -q --no-ff --no-edit origin/develop &&
		ex_push accept bob origin staging
	) &&
	grep "approved by: bob (pusher)" err
'

test_expect_success 'staging -> main: the resolver (erin, sre) cannot approve it' '
	(
		cd work &&
		git fetch -q origin &&
		git switch -q main && git reset -q --hard origin/main &&
		git merge -q --ff-only origin/staging &&
		ex_approve erin main main &&
		ex_push reject alice origin main
	) &&
	grep "needs 2 approvals from sre (branches.main.approvers), has 1 (alice)" err &&
	grep "erin cannot approve it: erin first pushed commit [0-9a-f]* \"Merge remote-tracking branch" err &&
	(
		cd work &&
		ex_approve bob main main &&
		ex_push accept alice origin main
	) &&
	grep "approved by: alice (pusher), bob (signature)" err &&
	test "$(git -C server.git show main:k8s/base/deployment.yaml | grep memory:)" = "            memory: 224Mi" &&
	pc_audit_verify
'

test_done
