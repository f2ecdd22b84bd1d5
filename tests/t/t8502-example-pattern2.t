#!/bin/sh
test_description='policy/pattern2.yml as shipped: a feature by an SRE reaches main with two other SREs approving'
. "$(dirname "$0")/test-lib.sh"
. "$SHARNESS_TEST_SRCDIR/lib-examples.sh"

test_expect_success 'setup: the example policy with fresh keys, the example repository' '
	ex_setup pattern2 &&
	policy-check lint --policy policy.yml &&
	(
		cd work &&
		ex_push accept alice origin HEAD:refs/heads/main HEAD:refs/heads/develop \
			HEAD:refs/heads/staging
	) &&
	policy-check lint --policy policy.yml --repo server.git
'

test_expect_success 'alice (sre) pushes a feature changing k8s/base/' '
	(
		cd work &&
		git fetch -q origin &&
		git switch -q -c feature/web-memory origin/develop &&
		sed -i "s/memory: 128Mi/memory: 256Mi/" k8s/base/deployment.yaml &&
		grep -q "memory: 256Mi" k8s/base/deployment.yaml &&
		ex_as alice git commit -q -am "feat(web): raise the memory limit to 256Mi" &&
		ex_push accept alice origin feature/web-memory
	)
'

test_expect_success 'bob (sre) merges it into develop, then staging: his push is the approval' '
	(
		cd work &&
		git switch -q -c develop origin/develop &&
		ex_as bob git merge -q --no-ff -m "chore: merge feature/web-memory into develop" feature/web-memory &&
		ex_push accept bob origin develop &&
		grep "approved by: bob (pusher)" ../err &&
		git switch -q -c staging origin/staging &&
		ex_as bob git merge -q --no-ff -m "chore: merge develop into staging" develop &&
		ex_push accept bob origin staging
	)
'

test_expect_success 'staging -> main needs two approvals from sre, and alice wrote the change' '
	(
		cd work &&
		git switch -q main && git reset -q --hard origin/main &&
		git merge -q --ff-only staging &&
		ex_push reject carol origin main
	) &&
	grep "approval: .*needs 2 approvals from @sre" err
'

test_expect_success 'the author approving does not count' '
	(
		cd work &&
		ex_approve alice main main >../approve.out 2>&1 || :
	) &&
	(
		cd work &&
		ex_push reject carol origin main
	) &&
	grep "approval: .*needs 2 approvals from @sre" err
'

test_expect_success 'bob and erin (sre) sign approvals: staging -> main is accepted' '
	(
		cd work &&
		ex_approve bob main main &&
		ex_approve erin main main &&
		ex_push accept carol origin main
	) &&
	grep "approved by: .*bob (signature)" err &&
	grep "approved by: .*erin (signature)" err &&
	! grep "approved by: .*alice" err &&
	pc_audit_verify
'

test_done
