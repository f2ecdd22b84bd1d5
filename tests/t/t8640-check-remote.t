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

test_expect_success '--local judges against the local branches: the old false rejection' '
	(
		cd bob &&
		test_expect_code 1 policy-check check --local --policy ../policy.yml --as bob \
			develop origin/develop HEAD >../local.out
	) &&
	grep "protect: your view of refs/heads/develop is stale" local.out &&
	test_expect_code 2 policy-check check --repo bob --local --remote origin --policy policy.yml \
		main HEAD HEAD 2>err &&
	grep "local judges against the repository.s own refs" err
'

test_expect_success 'the merge on no branch, the local develop at the server'\''s: no "not on feature/*" either' '
	(
		cd bob &&
		git switch -q --detach HEAD &&
		git branch -f develop origin/develop &&
		policy-check check --policy ../policy.yml --as bob develop origin/develop HEAD >../check2.out &&
		test_expect_code 1 policy-check check --local --policy ../policy.yml --as bob \
			develop origin/develop HEAD >../local2.out &&
		git switch -q develop && git merge -q --ff-only HEAD@{1}
	) &&
	grep "^policy-check: accepted refs/heads/develop" check2.out &&
	grep "promotion: commit [0-9a-f]* \"feat: x\" is not on feature/\*" local2.out
'

test_expect_success 'a remote name that git would take for an option is refused' '
	test_expect_code 2 policy-check check --repo bob --remote=--upload-pack=touch --policy policy.yml \
		develop HEAD HEAD 2>err &&
	grep "check: .--upload-pack=touch. is no remote name" err
'

test_expect_success 'the server accepts the same push' '
	(cd bob && pc_push accept bob origin develop)
'

test_expect_success 'check copies every ref of the server, the published policy included' '
	(cd bob && policy-check check --policy ../policy.yml --as bob develop origin/develop origin/develop >/dev/null) &&
	git -C server.git for-each-ref --format="%(objectname) %(refname)" | sed "s| refs/| |" >server.refs &&
	git -C bob for-each-ref --format="%(objectname) %(refname)" refs/policy-check/origin/ |
		sed "s| refs/policy-check/origin/| |" >copy.refs &&
	test_cmp server.refs copy.refs &&
	grep " meta/policy-check$" copy.refs
'

test_expect_success 'the server moves on: check fetches; --no-fetch judges by the last copy' '
	(
		cd work &&
		git fetch -q origin &&
		git switch -q -c feature/y origin/feature/x &&
		pc_commit overlays/dev/y.yaml "y: 1" "feat: y" &&
		pc_push accept carol origin HEAD:refs/heads/feature/x
	) &&
	new=$(git -C work rev-parse HEAD) &&
	old=$(git -C bob rev-parse refs/policy-check/origin/heads/feature/x) &&
	(
		cd bob &&
		policy-check check --no-fetch --policy ../policy.yml --as carol \
			feature/x $old $old >../nofetch.out &&
		test_expect_code 1 policy-check check --policy ../policy.yml --as carol \
			feature/x $old $old >../fetch.out &&
		policy-check check --no-fetch --policy ../policy.yml --as carol feature/x $new $new >../again.out
	) &&
	grep "accepted refs/heads/feature/x" nofetch.out &&
	grep "your view of refs/heads/feature/x is stale (it is at $(git -C work rev-parse --short=7 $new)" fetch.out &&
	grep "accepted refs/heads/feature/x" again.out &&
	test "$(git -C bob rev-parse origin/feature/x)" = "$new"
'

test_expect_success '--remote NAME: another remote of the clone' '
	git -C bob remote add upstream "file://$PWD/server.git" &&
	(
		cd bob &&
		policy-check check --remote upstream --policy ../policy.yml --as bob develop origin/develop HEAD >../up.out
	) &&
	grep "accepted refs/heads/develop" up.out &&
	git -C bob rev-parse --verify -q refs/policy-check/upstream/heads/develop >/dev/null &&
	test_expect_code 2 policy-check check --repo bob --remote nosuch --policy policy.yml develop HEAD HEAD 2>err &&
	grep "check: this repository has no remote .nosuch. (git remote -v lists them)" err
'

test_expect_success 'a remote that cannot be reached: exit 2, and what to do' '
	git -C bob remote add gone "file://$PWD/gone.git" &&
	test_expect_code 2 policy-check check --repo bob --remote gone --policy policy.yml develop HEAD HEAD 2>err &&
	grep "check: cannot fetch the server.s refs from .gone.; fix what git says above, or judge against the last copy with --no-fetch" err &&
	test_expect_code 2 policy-check check --repo bob --remote gone --no-fetch --policy policy.yml develop HEAD HEAD 2>err &&
	grep "check: no copy of the refs of .gone. yet (refs/policy-check/gone/\*); run check once without --no-fetch" err
'

test_expect_success 'in the bare server itself check reads its own refs, as before' '
	policy-check check --repo server.git --policy policy.yml --as carol feature/x \
		$(git -C server.git rev-parse feature/x) $(git -C server.git rev-parse feature/x) >out &&
	grep "accepted refs/heads/feature/x" out &&
	! git -C server.git for-each-ref refs/policy-check | grep .
'

test_done
