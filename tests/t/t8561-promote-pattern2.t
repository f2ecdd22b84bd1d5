#!/bin/sh
test_description='policy-check promote in pattern2 (the shipped example): develop to staging to main by fast-forward or git'\''s merge, with the approvals main needs'
. "$(dirname "$0")/test-lib.sh"
. "$SHARNESS_TEST_SRCDIR/lib-examples.sh"
. "$SHARNESS_TEST_SRCDIR/lib-promote.sh"

# feature USER NAME MEMORY: USER pushes feature/NAME (from develop) setting
# the memory limit, and bob merges it into develop.
feature() {
	git fetch -q origin &&
	git switch -q -C "feature/$2" origin/develop &&
	sed -i "s/memory: .*/memory: $3/" k8s/base/deployment.yaml &&
	ex_as "$1" git commit -q -am "feat(web): memory $3" &&
	ex_push accept "$1" origin "feature/$2" &&
	git switch -q -C develop origin/develop &&
	ex_as bob git merge -q --no-ff -m "Merge branch '\''feature/$2'\'' into develop" "feature/$2" &&
	ex_push accept bob origin develop
}

srv() {
	git -C "$SHARNESS_TRASH_DIRECTORY/server.git" rev-parse "$1"
}

test_expect_success 'setup: the example policy, alice'\''s feature on develop' '
	ex_setup pattern2 &&
	(
		cd work &&
		ex_push accept alice origin HEAD:refs/heads/main HEAD:refs/heads/develop \
			HEAD:refs/heads/staging &&
		feature alice web-memory 256Mi
	)
'

test_expect_success 'promote staging --dry-run: a fast-forward, judged, nothing pushed' '
	(
		cd work &&
		promote bob --dry-run staging
	) &&
	test "$(cat code)" = 0 &&
	grep "^  $(srv develop) refs/heads/staging (fast-forward, was" out &&
	grep "^policy-check: accepted refs/heads/staging" out &&
	grep "^dry run: nothing pushed$" out &&
	test "$(srv staging)" = "$(srv main)"
'

test_expect_success 'promote staging fast-forwards staging to develop' '
	(
		cd work &&
		promote bob staging
	) &&
	test "$(cat code)" = 0 &&
	grep "^remote: policy-check: accepted refs/heads/staging" err &&
	test "$(srv staging)" = "$(srv develop)"
'

test_expect_success 'promote main stops at two sre approvals, alice (the author) not among those printed' '
	(
		cd work &&
		promote carol main
	) &&
	test "$(cat code)" = 1 &&
	grep "^remote:   approval: .*needs 2 approvals from @sre" err &&
	grep "^  bob: policy-check approve $(srv staging) --target main$" out &&
	grep "^  erin: policy-check approve $(srv staging) --target main$" out &&
	! grep "^  alice:" out &&
	test "$(srv main)" != "$(srv staging)"
'

test_expect_success 'after the printed approvals, promote main is accepted (the same fast-forward)' '
	(
		cd work &&
		approve_printed &&
		promote carol main
	) &&
	test "$(cat code)" = 0 &&
	grep "approved by: .*bob (signature)" err &&
	grep "approved by: .*erin (signature)" err &&
	test "$(srv main)" = "$(srv staging)"
'

test_expect_success 'staging that went its own way (a --no-ff merge): promote staging makes git'\''s merge' '
	(
		cd work &&
		feature alice web-cpu 300Mi &&
		git switch -q -C staging origin/staging &&
		ex_as bob git merge -q --no-ff -m "Merge branch '\''develop'\'' into staging" develop &&
		ex_push accept bob origin staging &&
		feature alice web-more 512Mi
	) &&
	before=$(srv staging) &&
	(
		cd work &&
		promote bob staging
	) &&
	test "$(cat code)" = 0 &&
	grep "^merge: Merge branch .develop. into staging$" out &&
	git -C server.git log -1 --format=%s staging >subject &&
	echo "Merge branch '\''develop'\'' into staging" >expect &&
	test_cmp expect subject &&
	test "$(srv staging^1)" = "$before" &&
	test "$(srv staging^2)" = "$(srv develop)" &&
	git -C work merge-tree --write-tree "$before" "$(srv develop)" >tree &&
	test "$(cat tree)" = "$(srv staging^{tree})"
'

test_expect_success 'promote staging again: nothing to promote' '
	(
		cd work &&
		promote bob staging
	) &&
	test "$(cat code)" = 0 &&
	grep "^staging already has everything of develop" out
'

test_expect_success 'promote staging --rollback COMMIT: git revert of each commit since, approved, accepted' '
	before=$(git -C server.git rev-parse staging^1) &&
	(
		cd work &&
		promote bob --dry-run --rollback "$before" staging
	) &&
	grep "^rollback of staging to ${before%${before#???????}}: git revert of each commit since, newest first" out &&
	test "$(git -C server.git rev-parse staging^1)" = "$before" &&
	(
		cd work &&
		promote bob --rollback "$before" staging &&
		test "$(cat ../code)" = 1 &&
		! grep "^remote:   promotion:" ../err &&
		grep "^remote:   approval:" ../err &&
		! grep "^  bob:" ../out &&
		approve_printed &&
		promote bob --rollback "$before" staging &&
		grep "^reusing feature/rollback-staging-" ../out
	) &&
	test "$(cat code)" = 0 &&
	test "$(git -C server.git rev-parse staging^{tree})" = "$(git -C server.git rev-parse $before^{tree})" &&
	git -C server.git log -1 --format=%B staging >msg &&
	grep "^This reverts commit [0-9a-f]\{40\}\.$" msg
'

test_expect_success 'bad arguments: exit 2 with what to do' '
	(
		cd work &&
		git switch -q -c feature/c0 origin/develop &&
		pc_commit k8s/base/c0.yaml "kind: ConfigMap" "feat(web): c0" &&
		promote bob qa &&
		test "$(cat ../code)" = 2 &&
		grep "promote: qa is not a protected branch of the policy" ../err &&
		promote bob --rollback HEAD~1 --from develop staging &&
		test "$(cat ../code)" = 2 &&
		grep "rollback and --from do not go together" ../err &&
		promote bob --rollback "$(git rev-parse feature/c0)" staging &&
		test "$(cat ../code)" = 2 &&
		grep "is not on staging.s history at origin; name a commit staging pointed at before" ../err &&
		promote bob --rollback no-such-rev staging &&
		test "$(cat ../code)" = 2 &&
		grep "no-such-rev. is not a commit here" ../err &&
		promote bob --from feature/none staging &&
		test "$(cat ../code)" = 2 &&
		grep "there is no branch feature/none here or at origin" ../err &&
		promote bob "" &&
		test "$(cat ../code)" = 2 &&
		promote bob staging main &&
		test "$(cat ../code)" = 2 &&
		grep "^usage: policy-check promote" ../err
	) &&
	mv policy.yml policy.yml.away &&
	(
		cd work &&
		promote bob staging &&
		test "$(cat ../code)" = 2 &&
		grep "name the server.s policy with --policy FILE" ../err
	) &&
	mv policy.yml.away policy.yml
'

test_expect_success 'a conflict between develop and staging: exit 1, nothing pushed, the way out named' '
	(
		cd work &&
		git fetch -q origin &&
		git switch -q -C feature/c1 origin/develop &&
		pc_commit k8s/base/extra.yaml "kind: Secret" "feat(web): extra one way" &&
		ex_push accept alice origin feature/c1 &&
		git switch -q -C feature/c2 origin/staging &&
		pc_commit k8s/base/extra.yaml "kind: Service" "feat(web): extra other way" &&
		ex_push accept alice origin feature/c2 &&
		promote bob --from feature/c1 develop &&
		test "$(cat ../code)" = 0
	) &&
	git -C server.git update-ref refs/heads/staging $(git -C work rev-parse feature/c2) &&
	git -C server.git for-each-ref >refs.before &&
	(
		cd work &&
		promote bob staging
	) &&
	test "$(cat code)" = 1 &&
	grep "promote: develop does not merge cleanly into staging; merge develop into a work branch from staging, resolve the conflicts there" err &&
	git -C server.git for-each-ref >refs.after &&
	test_cmp refs.before refs.after
'

test_done
