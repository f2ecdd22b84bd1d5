#!/bin/sh
test_description='hostile CODEOWNERS at the base: over the size limit, 100,000 lines, syntax errors'
. "$(dirname "$0")/test-lib.sh"

# promote FILE: carol (an owner of everything under the initial
# CODEOWNERS) puts FILE as CODEOWNERS on feature/co and develop.
promote() {
	(
		cd work &&
		git checkout -q -B feature/co origin/develop &&
		cp "../$1" CODEOWNERS &&
		git add CODEOWNERS &&
		git commit -q -m "chore: CODEOWNERS from $1" &&
		REMOTE_USER=carol git push origin feature/co HEAD:refs/heads/develop 2>../err
	) &&
	grep "remote: policy-check: accepted refs/heads/develop" err
}

# change_develop: carol pushes a change of overlays/dev to develop, judged
# under the CODEOWNERS now on develop (the base).  The result is in err.
change_develop() {
	(
		cd work &&
		git checkout -q -B feature/change origin/develop &&
		pc_commit overlays/dev/app.yaml "x: $(date +%s%N)" &&
		REMOTE_USER=carol git push origin feature/change HEAD:refs/heads/develop 2>../err
	)
}

test_expect_success 'setup' '
	pc_setup_server pattern2
'

test_expect_success 'CODEOWNERS over 3 MiB at the base rejects the push with the limit named' '
	{
		echo "* @carol" &&
		awk "BEGIN { for (i = 0; i < 160000; i++) printf \"/docs/file-%06d.md @alice\\n\", i }"
	} >big &&
	test $(wc -c <big) -gt 3145728 &&
	promote big &&
	test_must_fail change_develop &&
	grep "remote: policy-check: rejected refs/heads/develop" err &&
	grep "remote: .*CODEOWNERS is [0-9]* bytes, over the limit of 3145728 bytes" err &&
	pc_audit_verify
'

test_expect_success 'until an administrator restores it with break-glass' '
	(
		cd work &&
		git checkout -q -B feature/co origin/develop &&
		printf "* @alice @bob @carol\n" >CODEOWNERS &&
		git commit -q -am "chore: restore CODEOWNERS" &&
		test_must_fail env REMOTE_USER=alice git push origin feature/co HEAD:refs/heads/develop 2>../err &&
		REMOTE_USER=alice git push -o "break-glass=INC-1 restore the CODEOWNERS" \
			origin feature/co HEAD:refs/heads/develop 2>../err
	) &&
	grep "remote: policy-check: accepted with break-glass refs/heads/develop" err &&
	change_develop &&
	grep "remote: policy-check: accepted refs/heads/develop" err
'

test_expect_success 'CODEOWNERS with 100,000 lines (under the limit) is judged in bounded time' '
	awk "BEGIN { for (i = 0; i < 100000; i++) printf \"/d/f%d @bob\\n\", i; print \"/overlays/ @carol\" }" >many &&
	test $(wc -l <many) = 100001 &&
	test $(wc -c <many) -lt 3145728 &&
	promote many &&
	start=$(date +%s) &&
	change_develop &&
	end=$(date +%s) &&
	grep "remote: policy-check: accepted refs/heads/develop" err &&
	grep "remote:   approved by: carol (pusher)" err &&
	test $((end - start)) -lt 30 &&
	(
		cd work &&
		git checkout -q -B feature/d origin/develop &&
		pc_commit d/f99999 x &&
		test_must_fail env REMOTE_USER=carol git push origin feature/d HEAD:refs/heads/develop 2>../err
	) &&
	grep "remote:   approval: d/f99999 needs 1 approval from @bob (CODEOWNERS:100000), has 0" err
'

test_expect_success 'a CODEOWNERS syntax error at the base rejects with CODEOWNERS:LINE:COLUMN' '
	printf "* @carol\n[unterminated\n/overlays/ @carol\n" >broken &&
	(
		cd work &&
		git checkout -q -B feature/co origin/develop &&
		cp ../broken CODEOWNERS && git add CODEOWNERS &&
		git commit -q -m "chore: broken owners" &&
		REMOTE_USER=carol git push origin feature/co HEAD:refs/heads/develop 2>../err
	) &&
	grep "remote: policy-check: accepted refs/heads/develop" err &&
	test_must_fail change_develop &&
	grep "remote: policy-check: rejected refs/heads/develop" err &&
	grep "remote: .*CODEOWNERS:2:[0-9]*: " err &&
	pc_audit_verify
'

test_done
