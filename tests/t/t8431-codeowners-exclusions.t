#!/bin/sh
test_description='CODEOWNERS exclusions (!pattern) as GitLab reads them: a matching path needs nothing from that section'
. "$(dirname "$0")/test-lib.sh"

# push_change accept|reject USER PATH...: USER pushes one commit changing
# every PATH to feature/change and develop, with pc_push; the pusher's
# stderr is in err.
push_change() {
	want=$1 user=$2 &&
	shift 2 &&
	(
		cd work &&
		git checkout -q -B feature/change origin/develop &&
		for p in "$@"; do
			mkdir -p "$(dirname "$p")" &&
			echo "x: $(date +%s%N)" >"$p" &&
			git add "$p" || return 1
		done &&
		git commit -q -m "feat: change $*" &&
		pc_push "$want" "$user" origin feature/change HEAD:refs/heads/develop
	)
}

test_expect_success 'setup: exclusions in the default section and in [Ops]' '
	cat >CODEOWNERS <<-\EOF &&
	*                 @alice
	!*.lock
	/CODEOWNERS       @alice @bob @carol
	[Ops]
	!/overlays/dev/
	/overlays/        @bob
	EOF
	pc_setup_server pattern2 &&
	# who may approve is not what these tests are about: pushers approve their own changes
	echo "approvals: { self_approval: true }" >>policy.yml
'

test_expect_success 'an excluded path needs no approval: carol pushes a lock file alone' '
	push_change accept carol yarn.lock &&
	! grep "approval:" err
'

test_expect_success 'the exclusion frees only its own section: overlays/dev/ still needs alice' '
	push_change reject carol overlays/dev/app.yaml &&
	grep "remote:   approval: overlays/dev/app.yaml needs 1 approval from @alice (CODEOWNERS:1), has 0" err &&
	! grep "in \[Ops\]" err &&
	push_change accept alice overlays/dev/app.yaml
'

test_expect_success 'an exclusion before a matching line still wins (GitLab: exclusions are final)' '
	push_change reject alice overlays/prd/app.yaml &&
	grep "remote:   approval: overlays/prd/app.yaml needs 1 approval from @bob in \[Ops\] (CODEOWNERS:6), has 0" err &&
	push_change accept carol overlays/dev/x.lock
'

test_expect_success 'owners shows the exclusion that freed a path' '
	policy-check owners --repo work --rev origin/develop overlays/dev/x.lock overlays/prd/a >actual &&
	cat >expect <<-\EOF &&
	overlays/dev/x.lock
	  (default) excluded  (CODEOWNERS:2, !*.lock)
	  [Ops] excluded  (CODEOWNERS:5, !/overlays/dev/)
	overlays/prd/a
	  (default) @alice  (CODEOWNERS:1)
	  [Ops] @bob  (CODEOWNERS:6)
	EOF
	test_cmp expect actual
'

test_expect_success 'with approvals.unowned: deny an excluded path counts as unowned' '
	cp policy.yml policy.orig &&
	sed -i "s/^approvals: {/approvals: { unowned: deny,/" policy.yml &&
	push_change reject carol yarn.lock &&
	grep "remote:   approval: yarn.lock has no code owner (approvals.unowned: deny)" err &&
	cp policy.orig policy.yml &&
	pc_audit_verify
'

test_expect_success 'an exclusion that names owners rejects the push that brings it' '
	(
		cd work &&
		git checkout -q -B feature/co origin/develop &&
		echo "!/docs/ @carol" >>CODEOWNERS &&
		git commit -q -am "chore: an exclusion with owners" &&
		pc_push reject carol origin feature/co HEAD:refs/heads/develop
	) &&
	grep "remote: .*CODEOWNERS:7:9: an exclusion (!pattern) takes no owners" err
'

test_done
