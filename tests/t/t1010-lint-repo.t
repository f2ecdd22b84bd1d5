#!/bin/sh
test_description='lint --repo checks the CODEOWNERS at the tips of the protected branches'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup: a server whose CODEOWNERS names only known owners' '
	printf "* @carol @alice\n/overlays/prd/ @sre bob@example.com\n" >CODEOWNERS &&
	pc_setup_server pattern2
'

test_expect_success 'lint --repo accepts it' '
	policy-check lint --policy policy.yml --repo server.git >out &&
	grep "ok" out
'

test_expect_success 'an unknown owner on a protected branch is an error with BRANCH:FILE:LINE:COLUMN' '
	(
		cd work && git checkout -q -B staging origin/staging &&
		printf "* @carol\n/base/  @nobody @sre\n" >CODEOWNERS &&
		git commit -q -am "chore: owners" &&
		REMOTE_USER=alice git push -q -o "break-glass=bootstrap the owners file" origin staging
	) &&
	test_expect_code 2 policy-check lint --policy policy.yml --repo server.git 2>err &&
	grep "^staging:CODEOWNERS:2:9: unknown owner .@nobody.: not a user, group or user email of the policy" err
'

test_expect_success 'a CODEOWNERS syntax error is reported with its position' '
	(
		cd work &&
		printf "* @carol\n[prd\n" >CODEOWNERS &&
		git commit -q -am "chore: broken owners" &&
		REMOTE_USER=alice git push -q -o "break-glass=bootstrap the owners file" origin staging
	) &&
	test_expect_code 2 policy-check lint --policy policy.yml --repo server.git 2>err &&
	grep "^staging:CODEOWNERS:2:[0-9]*: " err
'

test_expect_success 'a missing or broken allowed_signers file is an error' '
	cp policy.yml p2.yml &&
	echo "allowed_signers: signers" >>p2.yml &&
	test_expect_code 2 policy-check lint --policy p2.yml 2>err &&
	grep "signers: cannot open" err &&
	echo "alice@example.com cert-authority $(cat keys/alice.pub)" >signers &&
	test_expect_code 2 policy-check lint --policy p2.yml 2>err &&
	grep "signers:1:" err
'

test_expect_success 'a missing protected branch is a warning, not an error' '
	git -C server.git update-ref -d refs/heads/staging &&
	git -C server.git update-ref refs/heads/staging refs/heads/develop &&
	git -C server.git update-ref -d refs/heads/main &&
	policy-check lint --policy policy.yml --repo server.git 2>err &&
	grep "warning: .*protected branch .main. does not exist yet" err
'

test_done
