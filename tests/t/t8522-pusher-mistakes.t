#!/bin/sh
test_description='a pusher'\''s own mistake is the pusher'\''s to fix: a kustomization that does not parse, and a work branch pushed with a rejected protected branch'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup: pattern3' '
	pc_setup_server pattern3
'

test_expect_success 'an empty entry under images: in a pushed kustomization is an environment rejection with a hint, not internal' '
	(
		cd work &&
		git checkout -q -b feature/empty origin/main &&
		printf "resources: [../../base]\nimages:\n-\n" >overlays/stg/kustomization.yaml &&
		git commit -q -am "feat: stg without images" &&
		pc_push accept carol origin feature/empty &&
		git checkout -q -B main origin/main &&
		git merge -q --no-ff --no-edit feature/empty &&
		pc_push reject alice origin main
	) &&
	! grep "internal" err &&
	! grep "server-side problem" err &&
	grep "environment: cannot judge the images of overlays/stg for stg: overlays/stg/kustomization.yaml:.*" err &&
	grep "hint: make it build with Kustomize from files in the repository, then push again" err
'

test_expect_success 'a kustomization that does not parse is an environment rejection with a hint, not internal' '
	(
		cd work &&
		git checkout -q -b feature/bad origin/main &&
		printf "resources: [../../base\nimages: {\n" >overlays/stg/kustomization.yaml &&
		git commit -q -am "feat: stg broken" &&
		pc_push accept carol origin feature/bad &&
		git checkout -q -B main origin/main &&
		git merge -q --no-ff --no-edit feature/bad &&
		pc_push reject alice origin main
	) &&
	! grep "internal" err &&
	! grep "server-side problem" err &&
	grep "environment: cannot judge the images of overlays/stg for stg: overlays/stg/kustomization.yaml:.*" err &&
	grep "hint: make it build with Kustomize from files in the repository, then push again" err
'

test_expect_success 'break-glass may accept a kustomization that does not parse: an environment violation, listed and recorded' '
	(
		cd work &&
		git checkout -q -B main origin/main &&
		git merge -q --no-ff --no-edit origin/feature/bad &&
		pc_push accept alice -o "break-glass=INC-7 stg must roll now" origin main
	) &&
	grep "accepted with break-glass refs/heads/main" err &&
	grep "environment: cannot judge the images of overlays/stg for stg: overlays/stg/kustomization.yaml" err &&
	! grep "internal" err &&
	pc_audit_verify
'

test_expect_success 'a work branch pushed with a rejected protected branch: the hint says to push it alone first' '
	(
		cd work &&
		git checkout -q -B feature/q origin/main &&
		pc_commit overlays/dev/q.yaml "q: 1" "feat: q" &&
		pc_push reject carol origin feature/q HEAD:main
	) &&
	grep "rejected refs/heads/main" err &&
	grep -A1 "rejected refs/heads/feature/q" err | grep "push: not applied: another ref of this push was rejected" &&
	grep "hint: push this work branch alone first, so that approvers can fetch the commits they are asked to approve" err &&
	test $(grep -c "hint: push this work branch alone" err) = 1 &&
	(
		cd work &&
		pc_push accept carol origin feature/q
	)
'

test_done
