#!/bin/sh
test_description='approvals.keep_on_rebase: no replay after a rollback, the bars of the new commits, the candidate limit, and the audit field'
. "$(dirname "$0")/test-lib.sh"

T=$SHARNESS_TRASH_DIRECTORY

# approve USER REV: USER approves REV for main, a minute after the approval
# before (the tagger time orders the candidates, newest first).
approve() {
	approve_t=$(($(cat "$T/tick") + 60)) &&
	echo "$approve_t" >"$T/tick" &&
	GIT_COMMITTER_DATE="@$approve_t +0000" REMOTE_USER="$1" \
		policy-check approve --key "$T/keys/$1" --target main "$2" >/dev/null
}

# as USER CMD...: CMD with USER as author and committer.
as() {
	as_user=$1
	shift
	env GIT_AUTHOR_NAME="$as_user" GIT_AUTHOR_EMAIL="$as_user@example.com" \
		GIT_COMMITTER_NAME="$as_user" GIT_COMMITTER_EMAIL="$as_user@example.com" "$@"
}

# change USER BRANCH FILE CONTENT: on BRANCH from main, USER commits FILE
# and pushes the branch.
change() {
	git fetch -q origin &&
	git switch -q -C "$2" origin/main &&
	mkdir -p "$(dirname "$3")" && printf "%s\n" "$4" >"$3" && git add "$3" &&
	as "$1" git commit -q -m "feat: $3 $4" &&
	pc_push accept "$1" origin "+$2"
}

# rebase USER BRANCH: USER rebases BRANCH onto main and pushes it.
rebase() {
	git fetch -q origin &&
	git switch -q "$2" &&
	as "$1" git rebase -q origin/main &&
	pc_push accept "$1" origin "+$2"
}

# limits LINE: the server's policy ends with LINE (none when empty).
limits() {
	sed -i "/^limits:/d" "$T/policy.yml" &&
	if test -n "$1"; then echo "$1" >>"$T/policy.yml"; fi
}

test_expect_success 'setup: bob owns prd, carol the rest; carol writes prd changes, alice dev ones' '
	echo $(($(date +%s) - 86400)) >tick &&
	cat >CODEOWNERS <<-\EOF &&
	* @carol
	/overlays/prd/ @bob
	EOF
	cat >policy.extra <<-\EOF &&
	one_environment_per_push: false
	approvals: { required: 1, self_approval: false, pusher_is_approval: false, keep_on_rebase: true }
	EOF
	pc_setup_server pattern3 &&
	grep "keep_on_rebase: true" policy.yml
'

test_expect_success 'an approval carried once over a rebase' '
	(
		cd work &&
		change carol feature/x overlays/prd/patch.yaml "v: 2" &&
		git rev-parse HEAD >../x &&
		approve bob HEAD &&
		change alice feature/dev1 overlays/dev/d.yaml "d: 1" &&
		approve carol HEAD &&
		pc_push accept alice origin HEAD:main &&
		rebase carol feature/x &&
		pc_push accept carol origin HEAD:main
	) &&
	grep "approved by: bob (signature, made for $(cut -c1-7 x))" err
'

test_expect_success 'the audit record says which commit each approval was made for' '
	grep "\"hook\":\"pre-receive\".*\"ref\":\"refs/heads/main\"" audit/audit.log >main.records &&
	tail -n 1 main.records | grep "\"user\":\"bob\",\"via\":\"signature\",[^}]*,\"for\":\"$(cat x)\"}" &&
	new=$(git -C server.git rev-parse main~1) &&
	grep "\"new\":\"$new\"" main.records | grep "\"user\":\"carol\",\"via\":\"signature\",[^}]*,\"for\":\"$new\"}" &&
	pc_audit_verify &&
	policy-check audit show --ref refs/heads/main audit/audit.log >show &&
	grep "bob (made for $(cut -c1-7 x))" show &&
	! grep "carol (made for" show
'

test_expect_success 'after a rollback the same change again does not replay the approval' '
	(
		cd work &&
		git fetch -q origin &&
		git switch -q -C feature/undo origin/main &&
		as alice git revert --no-edit HEAD >/dev/null &&
		pc_push accept alice origin feature/undo &&
		approve bob HEAD &&
		pc_push accept alice origin HEAD:main &&
		git switch -q -C feature/x2 origin/main &&
		as carol git cherry-pick "$(cat ../x)" >/dev/null &&
		pc_push accept carol origin feature/x2 &&
		test "$(git diff origin/main HEAD --stat | wc -l)" -gt 0 &&
		pc_push reject carol origin HEAD:main
	) &&
	grep "overlays/prd/patch.yaml needs 1 approval from @bob (CODEOWNERS:2), has 0" err &&
	grep "bob.s approval for $(cut -c1-7 x) does not carry over: overlays/prd/patch.yaml was changed on refs/heads/main since the approved commit forked from it" err
'

test_expect_success 'whoever pushes the rebased commits first cannot carry their own approval over' '
	(
		cd work &&
		change carol feature/y overlays/prd/y.yaml "y: 1" &&
		approve bob HEAD &&
		change alice feature/dev2 overlays/dev/d.yaml "d: 2" &&
		approve carol HEAD &&
		pc_push accept alice origin HEAD:main &&
		rebase bob feature/y &&
		pc_push reject carol origin HEAD:main
	) &&
	grep "overlays/prd/y.yaml needs 1 approval from @bob (CODEOWNERS:2), has 0" err &&
	grep "bob cannot approve it: bob first pushed commit" err
'

test_expect_success 'limits.max_approval_candidates: only the newest candidates are looked at' '
	test_when_finished "limits \"\"" &&
	(
		cd work &&
		change carol feature/z overlays/prd/z.yaml "z: 1" &&
		approve bob HEAD &&
		change alice feature/dev3 overlays/dev/d.yaml "d: 3" &&
		approve carol HEAD &&
		pc_push accept alice origin HEAD:main &&
		change carol feature/w overlays/prd/w.yaml "w: 1" &&
		approve bob HEAD &&
		rebase carol feature/z &&
		limits "limits: { max_approval_candidates: 1 }" &&
		pc_push reject carol origin HEAD:main
	) &&
	grep "overlays/prd/z.yaml needs 1 approval from @bob (CODEOWNERS:2), has 0" err &&
	grep "bob.s approval for [0-9a-f]* does not carry over: overlays/prd/z.yaml is changed by this push, not by the approved commit" err &&
	(
		cd work &&
		limits "limits: { max_approval_candidates: 3 }" &&
		pc_push accept carol origin HEAD:main
	) &&
	grep "approved by: bob (signature, made for" err &&
	pc_audit_verify
'

test_expect_success 'limits.max_rebase_commits: a target that moved further is not searched' '
	test_when_finished "limits \"\"" &&
	(
		cd work &&
		change carol feature/v overlays/prd/v.yaml "v: 1" &&
		approve bob HEAD &&
		change alice feature/dev4 overlays/dev/d.yaml "d: 4" &&
		as alice git commit -q --allow-empty -m "chore: one more" &&
		pc_push accept alice origin +feature/dev4 &&
		approve carol HEAD &&
		pc_push accept alice origin HEAD:main &&
		rebase carol feature/v &&
		limits "limits: { max_rebase_commits: 1 }" &&
		pc_push reject carol origin HEAD:main
	) &&
	grep "bob.s approval for [0-9a-f]* does not carry over: refs/heads/main moved more than 1 commits since the approved commit forked from it (limits.max_rebase_commits)" err &&
	(
		cd work &&
		limits "limits: { max_rebase_commits: 2 }" &&
		pc_push accept carol origin HEAD:main
	)
'

test_done
