#!/bin/sh
test_description='policy-check promote in pattern1 (the shipped example): a hotfix branch promoted with --from into develop, staging and main, pushed first as the work branch'
. "$(dirname "$0")/test-lib.sh"
. "$SHARNESS_TEST_SRCDIR/lib-examples.sh"
. "$SHARNESS_TEST_SRCDIR/lib-promote.sh"

srv() {
	git -C "$SHARNESS_TRASH_DIRECTORY/server.git" rev-parse "$1"
}

test_expect_success 'setup: the example policy; alice commits hotfix/web, not pushed yet' '
	ex_setup pattern1 &&
	(
		cd work &&
		ex_push accept alice origin HEAD:refs/heads/main HEAD:refs/heads/develop \
			HEAD:refs/heads/staging &&
		git switch -q -c hotfix/web &&
		sed -i "s/newTag: .*/newTag: \"1.2.1\"/" k8s/overlays/prd/kustomization.yaml &&
		ex_as alice git commit -q -am "fix(prd): web 1.2.1 stops the crash loop"
	)
'

test_expect_success 'promote develop without --from: exit 2, naming --from' '
	(
		cd work &&
		promote alice develop
	) &&
	test "$(cat code)" = 2 &&
	grep "promote: develop takes changes from more than one branch; name one with --from BRANCH" err
'

test_expect_success 'promote develop --from hotfix/web --dry-run: the work branch and develop, nothing pushed' '
	git -C server.git for-each-ref >refs.before &&
	(
		cd work &&
		promote alice --dry-run --from hotfix/web develop
	) &&
	test "$(cat code)" = 1 &&
	grep "^  $(git -C work rev-parse hotfix/web) refs/heads/hotfix/web (work branch, first" out &&
	grep "refs/heads/develop (fast-forward, was" out &&
	git -C server.git for-each-ref >refs.after &&
	test_cmp refs.before refs.after
'

test_expect_success 'promote develop pushes hotfix/web first, stops at the approval, passes after it' '
	(
		cd work &&
		promote alice --from hotfix/web develop
	) &&
	test "$(cat code)" = 1 &&
	test "$(srv hotfix/web)" = "$(git -C work rev-parse hotfix/web)" &&
	! grep "^  alice:" out &&
	(
		cd work &&
		approve_printed &&
		promote alice --from hotfix/web develop
	) &&
	test "$(cat code)" = 0 &&
	test "$(srv develop)" = "$(srv hotfix/web)"
'

test_expect_success 'staging, then main with two sre approvals besides alice' '
	(
		cd work &&
		promote alice --from hotfix/web staging &&
		test "$(cat ../code)" = 1 &&
		approve_printed &&
		promote alice --from hotfix/web staging &&
		test "$(cat ../code)" = 0 &&
		promote alice --from hotfix/web main &&
		test "$(cat ../code)" = 1 &&
		grep "^  bob: " ../out &&
		grep "^  dave: " ../out &&
		! grep "^  alice:" ../out &&
		approve_printed &&
		promote alice --from hotfix/web main
	) &&
	test "$(cat code)" = 0 &&
	test "$(srv main)" = "$(srv hotfix/web)" &&
	grep "approved by: .*bob (signature)" err &&
	grep "approved by: .*dave (signature)" err &&
	pc_audit_verify
'

test_expect_success 'a feature merged into develop that moved on: git'\''s merge, with git'\''s message' '
	(
		cd work &&
		git switch -q -c feature/a origin/develop &&
		pc_commit k8s/base/a.yaml "kind: ConfigMap" "feat(web): a" &&
		git switch -q -c feature/b origin/develop &&
		pc_commit k8s/base/b.yaml "kind: ConfigMap" "feat(web): b" &&
		ex_as carol git push -q origin feature/a feature/b &&
		promote alice --from feature/a develop &&
		test "$(cat ../code)" = 0 &&
		promote alice --from feature/b develop &&
		test "$(cat ../code)" = 0
	) &&
	git -C server.git log -1 --format=%s develop >subject &&
	echo "Merge branch '\''feature/b'\'' into develop" >expect &&
	test_cmp expect subject &&
	test "$(srv develop^2)" = "$(srv feature/b)"
'

test_done
