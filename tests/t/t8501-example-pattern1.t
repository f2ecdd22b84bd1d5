#!/bin/sh
test_description='policy/pattern1.yml as shipped: an SRE hotfix reaches main through develop and staging'
. "$(dirname "$0")/test-lib.sh"
. "$SHARNESS_TEST_SRCDIR/lib-examples.sh"

# merge_into USER BRANCH: USER merges hotfix/web into BRANCH and pushes it.
merge_into() {
	git fetch -q origin &&
	git switch -q -C "$2" "origin/$2" &&
	ex_as "$1" git merge -q --no-ff -m "chore: merge hotfix/web into $2" hotfix/web &&
	ex_push accept "$1" origin "$2"
}

test_expect_success 'setup: the example policy with fresh keys, the example repository' '
	ex_setup pattern1 &&
	policy-check lint --policy policy.yml &&
	(
		cd work &&
		ex_push accept alice origin HEAD:refs/heads/main HEAD:refs/heads/develop \
			HEAD:refs/heads/staging
	) &&
	policy-check lint --policy policy.yml --repo server.git
'

test_expect_success 'alice (sre) pushes a hotfix of the prd overlay' '
	(
		cd work &&
		git fetch -q origin &&
		git switch -q -c hotfix/web origin/main &&
		sed -i "s/newTag: .*/newTag: \"1.2.1\"/" k8s/overlays/prd/kustomization.yaml &&
		grep -q "newTag: \"1.2.1\"" k8s/overlays/prd/kustomization.yaml &&
		ex_as alice git commit -q -am "fix(prd): web 1.2.1 stops the crash loop" &&
		ex_push accept alice origin hotfix/web
	)
'

test_expect_success 'bob (sre) merges it into develop, then staging: his push is the approval' '
	(
		cd work &&
		merge_into bob develop &&
		grep "approved by: bob (pusher)" ../err &&
		merge_into bob staging
	)
'

test_expect_success 'main needs two approvals from sre besides the author' '
	(
		cd work &&
		git switch -q main && git reset -q --hard origin/main &&
		git merge -q --ff-only hotfix/web &&
		ex_approve alice main main &&
		ex_push reject alice origin main
	) &&
	grep "needs 2 approvals from sre (branches.main.approvers), has 0" err
'

test_expect_success 'bob and dave (sre) sign approvals: the hotfix reaches main' '
	(
		cd work &&
		ex_approve bob main main &&
		ex_approve dave main main &&
		ex_push accept alice origin main
	) &&
	grep "approved by: .*bob (signature)" err &&
	grep "approved by: .*dave (signature)" err &&
	! grep "approved by: .*alice" err &&
	pc_audit_verify
'

test_done
