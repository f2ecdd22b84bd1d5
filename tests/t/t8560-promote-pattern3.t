#!/bin/sh
test_description='policy-check promote in pattern3 (the shipped example): stg and prd set to what the previous environment runs, stopping at missing approvals with the steps that pass'
. "$(dirname "$0")/test-lib.sh"
. "$SHARNESS_TEST_SRCDIR/lib-examples.sh"
. "$SHARNESS_TEST_SRCDIR/lib-promote.sh"

prd_tag() {
	git -C "$SHARNESS_TRASH_DIRECTORY/server.git" show main:overlays/$1/kustomization.yaml |
		sed -n "s/^ *newTag: *//p"
}

test_expect_success 'setup: the example policy, dev at 1.4.0 (carol approved)' '
	ex_setup pattern3 &&
	(
		cd work &&
		ex_push accept alice origin HEAD:refs/heads/main &&
		git switch -q -c feature/web-dev &&
		sed -i "s/newTag: .*/newTag: \"1.4.0\"/" overlays/dev/kustomization.yaml &&
		ex_as alice git commit -q -am "feat(dev): web 1.4.0" &&
		ex_push accept alice origin feature/web-dev &&
		ex_approve carol HEAD main &&
		ex_push accept alice origin HEAD:main
	) &&
	test "$(prd_tag dev)" = "\"1.4.0\""
'

test_expect_success 'promote stg --dry-run shows the commit and the verdict, pushes nothing' '
	git -C server.git for-each-ref >refs.before &&
	(
		cd work &&
		promote alice --dry-run stg
	) &&
	test "$(cat code)" = 1 &&
	grep "^promotion of stg: registry.example.com/shop/web:1.4.0$" out &&
	grep "refs/heads/feature/promote-stg-1.4.0 (work branch, first" out &&
	grep "refs/heads/main (promotion, was" out &&
	grep "^the server.s verdict, judged here:" out &&
	grep "rejected refs/heads/main" out &&
	grep "^dry run: nothing pushed; the server would reject this push" out &&
	git -C server.git for-each-ref >refs.after &&
	test_cmp refs.before refs.after
'

test_expect_success 'without the identity variable, git'\''s user.email names the user to judge as' '
	(
		cd work &&
		test_expect_code 1 policy-check promote --policy ../policy.yml --dry-run stg >../out
	) &&
	grep "alice cannot approve it: alice first pushed commit" out &&
	grep "^dry run: nothing pushed; the server would reject this push" out
'

test_expect_success 'promote stg stops at the missing approval, printing the server reason and the steps' '
	(
		cd work &&
		promote alice stg
	) &&
	test "$(cat code)" = 1 &&
	grep "^remote: policy-check: rejected refs/heads/main" err &&
	grep "^policy-check: promote: the server rejected refs/heads/main" err &&
	grep "^  dave: policy-check approve [0-9a-f]\{40\} --target main$" out &&
	! grep "^  alice:" out &&
	grep "^then push it again: git push origin [0-9a-f]\{40\}:refs/heads/main" out &&
	git -C server.git rev-parse --verify refs/heads/feature/promote-stg-1.4.0 &&
	test "$(prd_tag stg)" = "\"1.2.0\""
'

test_expect_success 'after the printed approvals, promote stg again reuses the commit and is accepted' '
	(
		cd work &&
		commit=$(sed -n "s/^then push it again: git push origin \([0-9a-f]*\):.*/\1/p" ../out) &&
		approve_printed &&
		promote alice stg &&
		grep "^reusing feature/promote-stg-1.4.0" ../out &&
		grep "^promoted: refs/heads/main is at $commit" ../out
	) &&
	test "$(cat code)" = 0 &&
	test "$(prd_tag stg)" = "\"1.4.0\""
'

test_expect_success 'promote prd: two SREs and two of app other than alice, as printed, then accepted' '
	(
		cd work &&
		promote alice prd
	) &&
	test "$(cat code)" = 1 &&
	grep "^  bob: policy-check approve" out &&
	grep "^  erin: policy-check approve" out &&
	! grep "^  alice:" out &&
	(
		cd work &&
		approve_printed &&
		promote alice prd
	) &&
	test "$(cat code)" = 0 &&
	test "$(prd_tag prd)" = "\"1.4.0\"" &&
	git -C server.git log -1 --format=%s main >subject &&
	echo "chore(prd): promote 1.4.0 from stg" >expect &&
	test_cmp expect subject &&
	pc_audit_verify
'

test_expect_success 'promote prd again: nothing to promote, exit 0, nothing pushed' '
	git -C server.git for-each-ref >refs.before &&
	(
		cd work &&
		promote alice prd
	) &&
	test "$(cat code)" = 0 &&
	grep "^prd already runs stg; nothing to promote" out &&
	git -C server.git for-each-ref >refs.after &&
	test_cmp refs.before refs.after
'

test_expect_success 'promote prd --rollback 1.2.0 (a tag prd ran before): approvals as printed, accepted' '
	(
		cd work &&
		promote alice --rollback 1.2.0 prd
	) &&
	test "$(cat code)" = 1 &&
	! grep "^remote: environment:" err &&
	grep "^rollback of prd: registry.example.com/shop/web:1.2.0$" out &&
	(
		cd work &&
		approve_printed &&
		promote alice --rollback 1.2.0 prd
	) &&
	test "$(cat code)" = 0 &&
	test "$(prd_tag prd)" = "\"1.2.0\"" &&
	git -C server.git log -1 --format=%s main >subject &&
	echo "chore(prd): roll back to 1.2.0" >expect &&
	test_cmp expect subject
'

test_expect_success 'promote prd --rollback COMMIT restores the values prd had at that commit' '
	(
		cd work &&
		git fetch -q origin &&
		at=$(git log --format=%H -1 --grep="promote 1.4.0 from stg" origin/main) &&
		test -n "$at" &&
		promote alice --rollback "$at" prd &&
		test "$(cat ../code)" = 1 &&
		approve_printed &&
		promote alice --rollback "$at" prd
	) &&
	test "$(cat code)" = 0 &&
	test "$(prd_tag prd)" = "\"1.4.0\""
'

test_expect_success 'a rollback to a tag no environment ran: the verdict judged here stops it, nothing is pushed' '
	git -C server.git for-each-ref >refs.before &&
	(
		cd work &&
		promote alice --rollback 0.0.1 prd
	) &&
	test "$(cat code)" = 1 &&
	grep "^  environment: overlays/prd/kustomization.yaml sets image registry.example.com/shop/web to tag 0.0.1, which stg has never run" out &&
	grep "^policy-check: promote: the server would reject this for the reasons above, so nothing was pushed; fix them" err &&
	! grep "^remote:" err &&
	git -C server.git for-each-ref >refs.after &&
	test_cmp refs.before refs.after
'

# A tag with quotes, a backslash and a "comment", and how YAML must carry it.
cat >weird.tag <<\EOF
1.0 "x" \ # y
EOF
cat >weird.line <<\EOF
  newTag: "1.0 \"x\" \\ # y"
EOF

test_expect_success 'a value with quotes and backslashes is written as a quoted YAML scalar; the rest of the file is kept' '
	(
		cd work &&
		promote alice --dry-run --rollback "$(cat ../weird.tag)" prd &&
		test "$(cat ../code)" = 1 &&
		awk "/refs.heads.main .rollback, was/ { print \$1 }" ../out >../new.id &&
		git show "$(cat ../new.id):overlays/prd/kustomization.yaml" >../new.yaml &&
		git show origin/main:overlays/prd/kustomization.yaml >../old.yaml
	) &&
	grep -x -F -f weird.line new.yaml &&
	grep -F "to tag $(cat weird.tag), which stg has never run" out &&
	grep -v "newTag:" old.yaml >old.rest &&
	grep -v "newTag:" new.yaml >new.rest &&
	test_cmp old.rest new.rest &&
	grep -F "refs/heads/feature/promote-prd-1.0-x-y (work branch" out &&
	! grep "^next:" out
'

test_expect_success 'bad arguments: exit 2 with what to do' '
	(
		cd work &&
		promote alice qa &&
		test "$(cat ../code)" = 2 &&
		grep "promote: qa is not an environment of the policy; name one of: dev, stg, prd" ../err &&
		promote alice main &&
		test "$(cat ../code)" = 2 &&
		grep "in pattern3 promote names an environment, not the trunk main" ../err &&
		promote alice dev &&
		test "$(cat ../code)" = 2 &&
		grep "dev is the first environment" ../err &&
		promote alice --from feature/x prd &&
		test "$(cat ../code)" = 2 &&
		grep "from is for branch strategies" ../err &&
		promote alice &&
		test "$(cat ../code)" = 2 &&
		grep "^usage: policy-check promote" ../err &&
		promote alice --bogus prd &&
		test "$(cat ../code)" = 2 &&
		promote alice --remote nowhere prd &&
		test "$(cat ../code)" = 2 &&
		grep "git fetch nowhere failed" ../err
	) &&
	test_expect_code 2 policy-check promote --repo server.git --policy policy.yml prd 2>err &&
	grep "is a bare repository; run promote in a clone" err
'

test_done
