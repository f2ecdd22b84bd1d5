#!/bin/sh
test_description='approval refs: one per commit, target and approver; a limit per commit; the signer may revoke their own'
. "$(dirname "$0")/test-lib.sh"

# sign USER COMMIT TARGET: USER signs an approval tag with git tag -s; its id in $tag.
sign() {
	tag=$(
		cd work &&
		git -c user.email="$1@example.com" -c user.name="$1" -c gpg.format=ssh \
			-c user.signingkey="../keys/$1" \
			tag -s -m "policy-check approval v1" -m "target: $3" tmp-approval "$2" &&
		git rev-parse tmp-approval &&
		git tag -d tmp-approval >/dev/null
	)
}

# push_as accept|reject USER REFSPEC...: with pc_push; stderr in err.
push_as() {
	want=$1 user=$2 && shift 2 &&
	(cd work && pc_push "$want" "$user" origin "$@")
}

# audited REF OP DECISION: the last decision (pre-receive record) on REF
# has that op and decision.
audited() {
	grep "\"hook\":\"pre-receive\".*\"ref\":\"$1\"" audit/audit.log | tail -n 1 >rec &&
	grep "\"op\":\"$2\",\"decision\":\"$3\"" rec
}

test_expect_success 'setup: carol owns everything; develop merges feature/x, which bob pushes' '
	printf "* @carol\n" >CODEOWNERS &&
	pc_setup_server pattern2 &&
	(
		cd work &&
		git checkout -q -b feature/x origin/develop &&
		pc_commit overlays/dev/x.yaml "x: 1" &&
		REMOTE_USER=bob git push -q origin feature/x &&
		git checkout -q -b develop origin/develop &&
		git merge -q --no-ff -m "Merge feature/x" feature/x
	) &&
	commit=$(git -C work rev-parse develop) &&
	A=refs/approvals/$commit
'

test_expect_success 'a second approval of the same commit, target and approver is refused' '
	sign carol develop refs/heads/develop &&
	push_as accept carol "$tag:$A/one" &&
	grep "accepted $A/one" err &&
	push_as reject carol "$tag:$A/two" &&
	grep "rejected $A/two" err &&
	grep "approval: carol already approved $commit for refs/heads/develop with $A/one" err &&
	grep "hint: one approval per commit, target and approver counts: delete the other one first to replace it" err &&
	audited "$A/two" create reject &&
	# two of them in one push: the second is refused
	sign carol develop refs/heads/staging &&
	push_as reject carol "$tag:$A/s1" "$tag:$A/s2" &&
	grep "approval: carol already approved $commit for refs/heads/staging with $A/s1" err &&
	# another target, or another approver, is another approval
	push_as accept carol "$tag:$A/s1" &&
	grep "accepted $A/s1" err &&
	sign alice develop refs/heads/develop &&
	push_as accept alice "$tag:$A/alice" &&
	grep "accepted $A/alice" err
'

test_expect_success 'an approval ref named with an upper-case commit id is refused: no second name per commit' '
	sign carol develop refs/heads/main &&
	upper=$(echo "$commit" | tr a-f A-F) &&
	push_as reject carol "$tag:refs/approvals/$upper/one" &&
	grep "approval: refs/approvals/$upper/one is not refs/approvals/<commit-id>/<name>" err
'

test_expect_success 'the signer revokes an approval by deleting its ref; it no longer counts' '
	push_as reject carol ":$A/alice" &&
	grep "approval: approval $A/alice can only be deleted by the user who signed it (alice) or admins" err &&
	push_as accept carol ":$A/one" &&
	grep "accepted $A/one" err &&
	audited "$A/one" delete accept &&
	test_must_fail git -C server.git rev-parse -q --verify "$A/one" &&
	push_as reject bob develop &&
	grep "approval: overlays/dev/x.yaml needs 1 approval from @carol (CODEOWNERS:1), has 0" err &&
	pc_audit_verify
'

test_expect_success 'an approval deleted in the same push as the update it approved does not count' '
	sign carol develop refs/heads/develop &&
	push_as accept carol "$tag:$A/again" &&
	push_as reject bob ":$A/again" develop &&
	grep "approval: overlays/dev/x.yaml needs 1 approval from @carol (CODEOWNERS:1), has 0" err &&
	git -C server.git rev-parse -q --verify "$A/again" &&
	push_as accept bob develop &&
	grep "approved by: .*carol (signature)" err
'

test_expect_success 'limits.max_approvals_per_commit bounds the approval refs of one commit' '
	cp policy.yml policy.orig &&
	printf "limits:\n  max_approvals_per_commit: 4\n" >>policy.yml &&
	policy-check lint --policy policy.yml &&
	git -C server.git for-each-ref "$A/" >refs &&
	test $(wc -l <refs) = 3 &&
	sign bob develop refs/heads/develop &&
	push_as accept bob "$tag:$A/bob" &&
	sign bob develop refs/heads/main &&
	push_as reject bob "$tag:$A/bob-main" &&
	grep "approval: commit $commit would have 5 approval refs, more than limits.max_approvals_per_commit (4)" err &&
	grep "hint: delete approvals that are no longer needed, or raise limits.max_approvals_per_commit" err &&
	# a deletion in the same push makes room
	push_as accept bob ":$A/bob" "$tag:$A/bob-main" &&
	grep "accepted $A/bob-main" err &&
	printf "limits:\n  max_approvals_per_commit: 0\n" >>policy.orig &&
	test_must_fail policy-check lint --policy policy.orig 2>err &&
	grep "limits.max_approvals_per_commit" err
'

test_done
