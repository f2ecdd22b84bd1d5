#!/bin/sh
test_description='policy-check check gives the verdict the hook gives, without writing a record'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup' '
	pc_setup_server pattern2 &&
	(
		cd work && git branch -q staging origin/staging &&
		git checkout -q --detach origin/staging &&
		pc_commit overlays/stg/x.yaml "x: 1" "fix: direct on staging" &&
		# on no branch of the clone, so that the clone mirrors the server:
		# the commit is new to both, and its pusher is its first pusher
		git rev-parse HEAD >../mine
	) &&
	wc -l <audit/audit.log >lines.before
'

test_expect_success 'check in a clone rejects like the server would, exit 1' '
	(
		cd work &&
		test_expect_code 1 policy-check check --policy ../policy.yml --as alice \
			refs/heads/staging origin/staging $(cat ../mine) >../check.out
	) &&
	grep "policy-check: rejected refs/heads/staging" check.out &&
	grep "promotion: commit [0-9a-f]* \"fix: direct on staging\" is not on develop" check.out
'

test_expect_success 'the hook gives the same reasons for the same update' '
	(cd work && pc_push reject alice origin $(cat ../mine):refs/heads/staging) &&
	sed -n "s/^remote: //p" err | grep -v "audit record" | sed "s/ *$//" >hook.out &&
	sed "s/ *$//" check.out >check.trim &&
	test_cmp check.trim hook.out
'

test_expect_success 'check writes no audit record' '
	wc -l <audit/audit.log >lines.after &&
	test $(cat lines.after) -eq $(($(cat lines.before) + 1))
'

test_expect_success 'check --stdin reads pre-receive lines; an accepted update exits 0' '
	old=$(git -C work rev-parse origin/develop) &&
	new=$(git -C work rev-parse origin/develop) &&
	echo "0000000000000000000000000000000000000000 $new refs/heads/feature/new" |
		policy-check check --repo work --policy policy.yml --as carol --stdin >out &&
	grep "accepted refs/heads/feature/new" out
'

test_expect_success 'check: an OLD that is not the ref'\''s value here is stale, exit 1' '
	(
		cd work &&
		test_expect_code 1 policy-check check --policy ../policy.yml --as alice \
			refs/heads/staging $(cat ../mine) $(cat ../mine) >../check.out
	) &&
	grep "protect: your view of refs/heads/staging is stale (it is at $(git -C work rev-parse --short=7 origin/staging), you sent $(git -C work rev-parse --short=7 $(cat mine))): fetch and retry" check.out
'

test_expect_success 'check: usage errors and a bad policy exit 2' '
	test_expect_code 2 policy-check check --repo work --policy policy.yml main &&
	printf "version: 1\nnope: 1\n" >bad.yml &&
	test_expect_code 2 policy-check check --repo work --policy bad.yml main HEAD HEAD 2>err &&
	grep "bad.yml:2:1:" err
'

test_done
