#!/bin/sh
test_description='check in an ordinary clone gives the server'\''s verdict: the server'\''s refs, not the clone'\''s branches'
. "$(dirname "$0")/test-lib.sh"

# A clone over file:// whose only local branch is the one it checked out:
# feature branches exist there only as origin/feature/*, and the clone's
# local develop (when it has one) may lag the server's.

test_expect_success 'setup: carol pushes feature/x; bob clones over file://' '
	pc_setup_server pattern2 &&
	(
		cd work &&
		git switch -q -c feature/x origin/develop &&
		pc_commit overlays/dev/x.yaml "x: 1" "feat: x" &&
		pc_push accept carol origin feature/x
	) &&
	git clone -q "file://$PWD/server.git" bob &&
	(
		cd bob &&
		git switch -q -c develop origin/develop &&
		git merge -q --no-ff --no-edit origin/feature/x &&
		git rev-parse HEAD >../merge
	)
'

test_expect_success 'check in the clone accepts the merge into develop, as the server does' '
	(
		cd bob &&
		policy-check check --policy ../policy.yml --as bob develop origin/develop HEAD >../check.out
	) &&
	grep "^policy-check: accepted refs/heads/develop" check.out &&
	! grep "not on feature" check.out
'

test_expect_success 'the server accepts the same push' '
	(cd bob && pc_push accept bob origin develop)
'

test_done
