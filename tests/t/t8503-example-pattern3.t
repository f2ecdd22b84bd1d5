#!/bin/sh
test_description='policy/pattern3.yml as shipped: an image bump by an SRE reaches prd through dev and stg'
. "$(dirname "$0")/test-lib.sh"
. "$SHARNESS_TEST_SRCDIR/lib-examples.sh"

# bump ENV TAG: commit the image tag TAG in overlays/ENV as alice (sre) on
# a feature branch from main, and push the branch.
bump() {
	git fetch -q origin &&
	git switch -q -C "feature/web-$1" origin/main &&
	sed -i "s/newTag: .*/newTag: \"$2\"/" "overlays/$1/kustomization.yaml" &&
	grep -q "newTag: \"$2\"" "overlays/$1/kustomization.yaml" &&
	ex_as alice git commit -q -am "feat($1): web $2" &&
	ex_push accept alice origin "feature/web-$1"
}

test_expect_success 'setup: the example policy with fresh keys, the example repository' '
	ex_setup pattern3 &&
	policy-check lint --policy policy.yml &&
	(
		cd work &&
		ex_push accept alice origin HEAD:refs/heads/main
	) &&
	policy-check lint --policy policy.yml --repo server.git
'

test_expect_success 'dev: carol (app) approves alice'\''s bump, alice lands it on main' '
	(
		cd work &&
		bump dev 1.4.0 &&
		ex_push reject alice origin HEAD:main &&
		ex_approve carol HEAD main &&
		ex_push accept alice origin HEAD:main
	) &&
	grep "approved by: .*carol (signature)" err
'

test_expect_success 'stg: dave (app) approves with his second key (allowed_signers)' '
	(
		cd work &&
		bump stg 1.4.0 &&
		ex_push reject alice origin HEAD:main &&
		ex_as dave policy-check approve --key "$SHARNESS_TRASH_DIRECTORY/keys/signer2" \
			--target main HEAD &&
		ex_push accept alice origin HEAD:main
	) &&
	grep "approved by: .*dave (signature)" err
'

test_expect_success 'prd: two SREs other than the author and two of app must approve' '
	(
		cd work &&
		bump prd 1.4.0 &&
		ex_approve carol HEAD main &&
		ex_approve bob HEAD main &&
		ex_push reject alice origin HEAD:main
	) &&
	grep "needs 2 approvals from @sre in \[prd\] (CODEOWNERS:[0-9]*), has 1 (bob)" err &&
	grep "needs 2 approvals from @app (CODEOWNERS:[0-9]*), has 1 (carol)" err &&
	(
		cd work &&
		ex_approve erin HEAD main &&
		ex_approve dave HEAD main &&
		ex_push accept alice origin HEAD:main
	) &&
	grep "approved by: .*bob (signature)" err &&
	grep "approved by: .*erin (signature)" err &&
	! grep "approved by: .*alice" err &&
	git -C server.git show main:overlays/prd/kustomization.yaml >prd.yaml &&
	grep "newTag: \"1.4.0\"" prd.yaml &&
	pc_audit_verify
'

test_done
