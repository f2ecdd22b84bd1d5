#!/bin/sh
test_description='hostile CODEOWNERS: over the size limit, 100,000 lines, syntax errors; pushed, or already at the base'
. "$(dirname "$0")/test-lib.sh"

# push_codeowners accept|reject FILE: carol (an owner of everything under
# the initial CODEOWNERS) pushes FILE as CODEOWNERS to feature/co and
# develop, with pc_push; the pusher's stderr is in err.
push_codeowners() {
	(
		cd work &&
		git checkout -q -B feature/co origin/develop &&
		cp "../$2" CODEOWNERS &&
		git add CODEOWNERS &&
		git commit -q -m "chore: CODEOWNERS from $2" &&
		pc_push "$1" carol origin feature/co HEAD:refs/heads/develop
	)
}

# put_at_base FILE: FILE becomes CODEOWNERS on develop outside the hooks,
# as an administrator on the server could do (git fetch into the bare
# repository runs no pre-receive hook).
put_at_base() {
	(
		cd work &&
		git checkout -q -B base/co origin/develop &&
		cp "../$1" CODEOWNERS &&
		git add CODEOWNERS &&
		git commit -q -m "chore: CODEOWNERS from $1, outside the hooks"
	) &&
	git -C server.git fetch -q ../work "+base/co:refs/heads/develop" &&
	git -C work fetch -q origin
}

# change_develop accept|reject: carol pushes a change of overlays/dev to
# develop, judged under the CODEOWNERS now on develop (the base), with
# pc_push.  The pusher's stderr is in err.
change_develop() {
	(
		cd work &&
		git checkout -q -B feature/change origin/develop &&
		pc_commit overlays/dev/app.yaml "x: $(date +%s%N)" &&
		pc_push "$1" carol origin feature/change HEAD:refs/heads/develop
	)
}

test_expect_success 'setup' '
	# carol pushes and approves her own changes: what is judged here is
	# CODEOWNERS, not who may approve (t4000, t8410)
	echo "approvals: { self_approval: true }" >policy.extra &&
	pc_setup_server pattern2 &&
	printf "* @alice @bob @carol\n" >initial &&
	{
		echo "* @carol" &&
		awk "BEGIN { for (i = 0; i < 160000; i++) printf \"/docs/file-%06d.md @alice\\n\", i }"
	} >big &&
	test $(wc -c <big) -gt 3145728 &&
	printf "* @carol\n[unterminated\n/overlays/ @carol\n" >broken
'

test_expect_success 'a pushed CODEOWNERS over 3 MiB is rejected with the limit named' '
	push_codeowners reject big &&
	grep "remote: policy-check: rejected refs/heads/develop" err &&
	grep "remote: .*CODEOWNERS is [0-9]* bytes, over the limit of 3145728 bytes" err
'

test_expect_success 'a pushed CODEOWNERS with a syntax error is rejected with CODEOWNERS:LINE:COLUMN' '
	push_codeowners reject broken &&
	grep "remote: policy-check: rejected refs/heads/develop" err &&
	grep "remote: .*CODEOWNERS:2:[0-9]*: " err
'

test_expect_success 'CODEOWNERS over 3 MiB at the base rejects every update with the limit named, break-glass too' '
	put_at_base big &&
	change_develop reject &&
	grep "remote: policy-check: rejected refs/heads/develop" err &&
	grep "remote: .*CODEOWNERS is [0-9]* bytes, over the limit of 3145728 bytes" err &&
	(
		cd work &&
		pc_push reject alice -o "break-glass=INC-1 wave the limit through" \
			origin feature/change HEAD:refs/heads/develop
	) &&
	grep "remote: policy-check: rejected refs/heads/develop" err &&
	put_at_base initial &&
	change_develop accept &&
	pc_audit_verify
'

test_expect_success 'a CODEOWNERS syntax error at the base rejects with CODEOWNERS:LINE:COLUMN' '
	put_at_base broken &&
	change_develop reject &&
	grep "remote: policy-check: rejected refs/heads/develop" err &&
	grep "remote: .*CODEOWNERS:2:[0-9]*: " err &&
	put_at_base initial
'

test_expect_success 'CODEOWNERS with 100,000 lines (under the limit) is judged in bounded time' '
	awk "BEGIN { for (i = 0; i < 100000; i++) printf \"/d/f%d @bob\\n\", i; print \"/overlays/ @carol\" }" >many &&
	test $(wc -l <many) = 100001 &&
	test $(wc -c <many) -lt 3145728 &&
	push_codeowners accept many &&
	start=$(date +%s) &&
	change_develop accept &&
	end=$(date +%s) &&
	grep "remote:   approved by: carol (pusher)" err &&
	test $((end - start)) -lt 30 &&
	(
		cd work &&
		git checkout -q -B feature/d origin/develop &&
		pc_commit d/f99999 x &&
		pc_push reject carol origin feature/d HEAD:refs/heads/develop
	) &&
	grep "remote:   approval: d/f99999 needs 1 approval from @bob (CODEOWNERS:100000), has 0" err &&
	pc_audit_verify
'

test_done
