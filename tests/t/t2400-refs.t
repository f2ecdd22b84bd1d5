#!/bin/sh
test_description='tags are immutable and created by the listed users; other refs follow other_refs'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup' '
	cat >policy.extra <<-\EOF &&
	tags: { pattern: "v*", create: [sre] }
	other_refs: deny
	EOF
	pc_setup_server pattern2
'

test_expect_success 'a release tag by a member of sre is accepted' '
	(cd work && git tag -a -m "release" v1.0.0 && pc_push accept bob origin v1.0.0)
'

test_expect_success 'a release tag by someone else is rejected' '
	(cd work && git tag v1.0.1 && pc_push reject carol origin v1.0.1) &&
	grep "protect: tag v1.0.1 may only be created by sre" err
'

test_expect_success 'moving a tag is rejected' '
	(
		cd work && pc_commit x.txt x &&
		git tag -f -a -m moved v1.0.0 &&
		pc_push reject bob -f origin v1.0.0
	) &&
	grep "protect: tags are immutable: v1.0.0 cannot be moved" err
'

test_expect_success 'deleting a tag is rejected' '
	(cd work && pc_push reject alice origin :refs/tags/v1.0.0) &&
	grep "protect: tags are immutable: v1.0.0 cannot be deleted" err
'

test_expect_success 'a ref outside every rule is rejected with other_refs: deny' '
	(cd work && pc_push reject alice origin HEAD:refs/custom/thing) &&
	grep "protect: refs/custom/thing matches no rule of the policy (other_refs: deny)" err
'

test_expect_success 'a branch outside branches and work_branches is an other ref' '
	(cd work && pc_push reject alice origin HEAD:refs/heads/random) &&
	grep "protect: refs/heads/random matches no rule" err
'

test_expect_success 'work branches can be force-pushed and deleted by known users' '
	(
		cd work &&
		git checkout -q -b feature/tmp origin/develop &&
		pc_commit t.txt 1 &&
		REMOTE_USER=carol git push -q origin feature/tmp &&
		git commit -q --amend -m "feat: amended" &&
		pc_push accept carol -f origin feature/tmp &&
		pc_push accept carol origin :feature/tmp
	)
'

test_expect_success 'an invalid update line is refused by the hook (fail closed)' '
	(
		cd server.git &&
		echo "garbage line" | test_must_fail env GIT_DIR=. hooks/pre-receive 2>../err
	) &&
	grep "policy-check: rejected: update line 1: update line is not .OLD NEW REF." err
'

test_done
