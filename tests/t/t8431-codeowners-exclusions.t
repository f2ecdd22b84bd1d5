#!/bin/sh
test_description='CODEOWNERS exclusions (!pattern) as GitLab reads them: a matching path needs nothing from that section'
. "$(dirname "$0")/test-lib.sh"

# push_change USER PATH...: USER pushes one commit changing every PATH to
# feature/change and develop; the pusher's stderr is in err.
push_change() {
	user=$1 &&
	shift &&
	(
		cd work &&
		git checkout -q -B feature/change origin/develop &&
		for p in "$@"; do
			mkdir -p "$(dirname "$p")" &&
			echo "x: $(date +%s%N)" >"$p" &&
			git add "$p" || return 1
		done &&
		git commit -q -m "feat: change $*" &&
		REMOTE_USER=$user git push origin feature/change HEAD:refs/heads/develop 2>../err
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
	push_change carol yarn.lock &&
	grep "remote: policy-check: accepted refs/heads/develop" err &&
	! grep "approval:" err
'

test_expect_success 'the exclusion frees only its own section: overlays/dev/ still needs alice' '
	test_must_fail push_change carol overlays/dev/app.yaml &&
	grep "remote:   approval: overlays/dev/app.yaml needs 1 approval from @alice (CODEOWNERS:1), has 0" err &&
	! grep "in \[Ops\]" err &&
	push_change alice overlays/dev/app.yaml &&
	grep "remote: policy-check: accepted refs/heads/develop" err
'

test_expect_success 'an exclusion before a matching line still wins (GitLab: exclusions are final)' '
	test_must_fail push_change alice overlays/prd/app.yaml &&
	grep "remote:   approval: overlays/prd/app.yaml needs 1 approval from @bob in \[Ops\] (CODEOWNERS:6), has 0" err &&
	push_change carol overlays/dev/x.lock &&
	grep "remote: policy-check: accepted refs/heads/develop" err
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
	test_must_fail push_change carol yarn.lock &&
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
		test_must_fail env REMOTE_USER=carol git push origin feature/co HEAD:refs/heads/develop 2>../err
	) &&
	grep "remote: .*CODEOWNERS:7:9: an exclusion (!pattern) takes no owners" err
'

test_done
