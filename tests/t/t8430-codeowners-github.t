#!/bin/sh
test_description='CODEOWNERS as GitHub reads it: [ and ] are ordinary characters, .github/CODEOWNERS is looked up first'
. "$(dirname "$0")/test-lib.sh"

# at_base: commit what is staged in work/ onto develop outside the hooks, as
# an administrator on the server could (git fetch into the bare repository
# runs no pre-receive hook).
at_base() {
	(
		cd work &&
		git checkout -q -B base/co origin/develop &&
		"$@" &&
		git commit -q -m "chore: owners, outside the hooks"
	) &&
	git -C server.git fetch -q ../work "+base/co:refs/heads/develop" &&
	git -C work fetch -q origin
}

# push_change accept|reject USER PATH: USER pushes a change of PATH to
# feature/change and develop, with pc_push; the pusher's stderr is in err.
push_change() {
	(
		cd work &&
		git checkout -q -B feature/change origin/develop &&
		pc_commit "$3" "x: $(date +%s%N)" &&
		pc_push "$1" "$2" origin feature/change HEAD:refs/heads/develop
	)
}

test_expect_success 'setup: a directory named [param] owned by carol, everything else by alice' '
	cat >CODEOWNERS <<-\EOF &&
	*                         @alice
	/apps/[param]/            @carol
	**/[id]/page.tsx          @carol
	EOF
	pc_setup_server pattern2 &&
	# who may approve is not what these tests are about: pushers approve their own changes
	echo "approvals: { self_approval: true }" >>policy.yml
'

test_expect_success 'a path under apps/[param]/ is owned by its line: carol pushes it alone' '
	push_change accept carol "apps/[param]/file.ts" &&
	grep "remote:   approved by: carol (pusher)" err
'

test_expect_success '[id] after ** is literal too' '
	push_change accept carol "web/app/[id]/page.tsx"
'

test_expect_success '[param] is no character class: apps/p/ stays with alice' '
	push_change reject carol apps/p/file.ts &&
	grep "remote: policy-check: rejected refs/heads/develop" err &&
	grep "remote:   approval: apps/p/file.ts needs 1 approval from @alice (CODEOWNERS:1), has 0" err &&
	push_change reject carol web/app/i/page.tsx &&
	grep "remote:   approval: web/app/i/page.tsx needs 1 approval from @alice (CODEOWNERS:1), has 0" err
'

test_expect_success 'owners shows the bracket line' '
	policy-check owners --repo work --rev origin/develop "apps/[param]/file.ts" apps/p/file.ts >actual &&
	cat >expect <<-\EOF &&
	apps/[param]/file.ts
	  (default) @carol  (CODEOWNERS:2)
	apps/p/file.ts
	  (default) @alice  (CODEOWNERS:1)
	EOF
	test_cmp expect actual
'

test_expect_success 'setup: .github/CODEOWNERS next to the root CODEOWNERS' '
	at_base sh -c "mkdir -p .github && echo \"* @bob\" >.github/CODEOWNERS && git add .github/CODEOWNERS"
'

test_expect_success '.github/CODEOWNERS wins over a CODEOWNERS at the top, as on GitHub' '
	push_change accept bob base/app.yaml &&
	push_change reject alice base/app.yaml &&
	grep "remote:   approval: base/app.yaml needs 1 approval from @bob (.github/CODEOWNERS:1), has 0" err
'

test_expect_success 'a list in approvals.codeowners is searched in the order written' '
	cp policy.yml policy.orig &&
	sed -i "s/^approvals: {/approvals: { codeowners: [CODEOWNERS, .github\/CODEOWNERS],/" policy.yml &&
	push_change accept alice base/app.yaml &&
	push_change reject bob base/app.yaml &&
	grep "remote:   approval: base/app.yaml needs 1 approval from @alice (CODEOWNERS:1), has 0" err &&
	cp policy.orig policy.yml
'

test_expect_success 'without .github/, the root CODEOWNERS answers again' '
	at_base git rm -q .github/CODEOWNERS &&
	push_change accept alice base/app.yaml &&
	pc_audit_verify
'

test_done
