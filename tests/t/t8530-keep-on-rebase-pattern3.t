#!/bin/sh
test_description='policy/pattern3.yml (approvals.keep_on_rebase: true): approvals survive a rebase that changes nothing they approved, and only that'
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

# approve USER REV TARGET: ex_approve, each approval a minute after the
# one before (the tagger time orders the candidates, newest first).
approve() {
	approve_t=$(($(cat "$SHARNESS_TRASH_DIRECTORY/tick") + 60)) &&
	echo "$approve_t" >"$SHARNESS_TRASH_DIRECTORY/tick" &&
	GIT_COMMITTER_DATE="@$approve_t +0000" &&
	export GIT_COMMITTER_DATE &&
	ex_approve "$@"
	approve_r=$?
	unset GIT_COMMITTER_DATE
	return $approve_r
}

# land BRANCH USER APPROVERS...: BRANCH (already pushed) goes to main with
# the approvals of APPROVERS; USER pushes it.
land() {
	land_branch=$1 land_user=$2
	shift 2
	for a in "$@"; do
		approve "$a" "$land_branch" main >/dev/null || return 1
	done &&
	ex_push accept "$land_user" origin "$land_branch:main"
}

# note FILE BRANCH TEXT [AT]: on a new branch BRANCH from main, alice
# writes the comment line TEXT at the end of FILE (at its top with AT=top).
note() {
	git fetch -q origin &&
	git switch -q -C "$2" origin/main &&
	if test "${4:-}" = top; then sed -i "1i # $3" "$1"; else echo "# $3" >>"$1"; fi &&
	ex_as alice git commit -q -am "chore: $3" &&
	ex_push accept alice origin "$2"
}

# rebase BRANCH: BRANCH rebased onto main as alice (git keeps the author),
# and pushed again.
rebase() {
	git fetch -q origin &&
	git switch -q "$1" &&
	ex_as alice git rebase -q origin/main &&
	ex_push accept alice origin "+$1"
}

# set_keep true|false: the server's policy with keep_on_rebase set so.
set_keep() {
	sed -i "s/^  keep_on_rebase: .*/  keep_on_rebase: $1/" "$SHARNESS_TRASH_DIRECTORY/policy.yml" &&
	grep -q "^  keep_on_rebase: $1$" "$SHARNESS_TRASH_DIRECTORY/policy.yml"
}

# The last decision of the pre-receive hook on refs/heads/main.
last_main_record() {
	grep "\"hook\":\"pre-receive\".*\"ref\":\"refs/heads/main\"" "$SHARNESS_TRASH_DIRECTORY/audit/audit.log" | tail -n 1
}

test_expect_success 'setup: the shipped Pattern3 policy, dev and stg run 1.4.0' '
	ex_setup pattern3 &&
	echo $(($(date +%s) - 86400)) >tick &&
	grep "^  keep_on_rebase: true$" policy.yml &&
	(
		cd work &&
		ex_push accept alice origin HEAD:refs/heads/main &&
		bump dev 1.4.0 && land HEAD alice carol &&
		bump stg 1.4.0 && land HEAD alice dave
	)
'

test_expect_success 'prd 1.4.0 is approved by two SREs and two of app; meanwhile dev moves on' '
	(
		cd work &&
		bump prd 1.4.0 &&
		git rev-parse HEAD >../approved &&
		approve bob HEAD main &&
		approve carol HEAD main &&
		approve dave HEAD main &&
		approve erin HEAD feature/web-prd &&
		bump dev 1.5.0 && land HEAD alice carol &&
		rebase feature/web-prd &&
		test "$(git rev-parse HEAD)" != "$(cat ../approved)"
	)
'

test_expect_success 'an approval for another target does not carry over' '
	(
		cd work &&
		ex_push reject alice origin HEAD:main
	) &&
	grep "needs 2 approvals from @sre in \[prd\] (CODEOWNERS:[0-9]*), has 1 (bob)" err &&
	! grep "needs 2 approvals from @app" err &&
	! grep "erin.s approval" err
'

test_expect_success 'with keep_on_rebase off the rebase voids every approval, as before' '
	test_when_finished "set_keep true" &&
	(
		cd work &&
		approve erin "$(cat ../approved)" main &&
		set_keep false &&
		ex_push reject alice origin HEAD:main
	) &&
	grep "needs 2 approvals from @sre in \[prd\] (CODEOWNERS:[0-9]*), has 0" err &&
	grep "needs 2 approvals from @app (CODEOWNERS:[0-9]*), has 0" err &&
	grep "environments.prd.approvers" err
'

test_expect_success 'a trivial rebase over an unrelated trunk change keeps the four approvals' '
	(
		cd work &&
		ex_push accept alice origin HEAD:main &&
		git rev-parse HEAD >../pushed
	) &&
	short=$(git -C work rev-parse --short=7 "$(cat approved)") &&
	grep "approved by: .*bob (signature, made for $short)" err &&
	grep "approved by: .*erin (signature, made for $short)" err &&
	grep "approved by: .*carol (signature, made for $short)" err &&
	grep "approved by: .*dave (signature, made for $short)" err &&
	! grep "approved by: .*alice" err &&
	git -C server.git show main:overlays/prd/kustomization.yaml | grep "newTag: \"1.4.0\"" &&
	git -C server.git show main:overlays/dev/kustomization.yaml | grep "newTag: \"1.5.0\""
'

test_expect_success 'the audit record names the commit each approval was made for, and verifies' '
	last_main_record >record &&
	grep "\"new\":\"$(cat pushed)\"" record &&
	grep "{\"user\":\"bob\",\"via\":\"signature\",\"key\":\"SHA256:[^\"]*\",\"object\":\"[0-9a-f]*\",\"for\":\"$(cat approved)\"}" record &&
	grep "{\"user\":\"erin\",[^}]*\"for\":\"$(cat approved)\"}" record &&
	pc_audit_verify &&
	policy-check audit show --ref refs/heads/main audit/audit.log >show &&
	grep "bob (made for $(git -C work rev-parse --short=7 "$(cat approved)"))" show
'

test_expect_success 'a rebase where the approved file'\''s pre-image changed does not carry over' '
	(
		cd work &&
		note overlays/prd/kustomization.yaml feature/prd-b "reviewed by the SREs" &&
		git rev-parse --short=7 HEAD >../approved-b &&
		for a in bob erin carol dave; do approve $a HEAD main >/dev/null || exit 1; done &&
		note overlays/prd/kustomization.yaml feature/prd-c "owned by shop" top &&
		land HEAD alice bob erin carol dave &&
		rebase feature/prd-b &&
		ex_push reject alice origin HEAD:main
	) &&
	grep "needs 2 approvals from @sre in \[prd\] (CODEOWNERS:[0-9]*), has 0" err &&
	grep "bob.s approval for $(cat approved-b) does not carry over: overlays/prd/kustomization.yaml differs from what was approved" err &&
	grep "carol.s approval for $(cat approved-b) does not carry over: overlays/prd/kustomization.yaml differs from what was approved" err
'

test_expect_success 'a rebase plus another change in an approved path does not carry over' '
	(
		cd work &&
		note overlays/prd/kustomization.yaml feature/prd-e "checked twice" &&
		git rev-parse --short=7 HEAD >../approved-e &&
		for a in bob erin carol dave; do approve $a HEAD main >/dev/null || exit 1; done &&
		note overlays/dev/kustomization.yaml feature/dev-f "dev note" &&
		land HEAD alice carol &&
		rebase feature/prd-e &&
		git tag rebased-e &&
		echo "# and once more" >>overlays/prd/kustomization.yaml &&
		ex_as alice git commit -q -a --amend --no-edit &&
		ex_push accept alice origin +feature/prd-e &&
		ex_push reject alice origin HEAD:main
	) &&
	grep "needs 2 approvals from @sre in \[prd\] (CODEOWNERS:[0-9]*), has 0" err &&
	grep "erin.s approval for $(cat approved-e) does not carry over: overlays/prd/kustomization.yaml differs from what was approved" err
'

test_expect_success 'another change in a path someone else owns needs their approval; the rest carries over' '
	(
		cd work &&
		git switch -q -C feature/prd-e rebased-e &&
		echo "Shop" >README.md &&
		git add README.md &&
		ex_as alice git commit -q -m "docs: name the shop" &&
		ex_push accept alice origin +feature/prd-e &&
		ex_push reject alice origin HEAD:main
	) &&
	grep "README.md needs 1 approval from @app (CODEOWNERS:[0-9]*), has 0" err &&
	grep "overlays/prd/kustomization.yaml needs 2 approvals from @app (CODEOWNERS:[0-9]*), has 0" err &&
	grep "dave.s approval for $(cat approved-e) does not carry over: README.md is changed by this push, not by the approved commit" err &&
	! grep "from @sre" err &&
	! grep "environments.prd.approvers" err &&
	(
		cd work &&
		approve carol HEAD main &&
		approve dave HEAD main &&
		ex_push accept alice origin HEAD:main
	) &&
	grep "approved by: .*bob (signature, made for $(cat approved-e))" err &&
	grep "approved by: .*erin (signature, made for $(cat approved-e))" err &&
	grep "approved by: .*carol (signature)" err &&
	grep "approved by: .*dave (signature)" err &&
	pc_audit_verify
'

test_expect_success 'lint --repo still passes with the option on' '
	policy-check lint --policy policy.yml --repo server.git
'

test_done
