#!/bin/sh
test_description='the hooks find the policy git config names, however the config spells it

Both hooks read policycheck.policy from the repository config directly
when the value there is plain, and leave every other spelling to git
itself (git config), never to libgit2, which the reference-transaction
hook does not link.  Each case writes one spelling and
pushes through the hooks: both hooks must record the policy that git
config itself names (the sha256 of policy-b.yml), never policy.yml.'
. "$(dirname "$0")/test-lib.sh"

# expect_b: the last pre-receive and reference-transaction records name
# policy-b.yml, as git config does.
expect_b() {
	test "$(git -C server.git config --get policycheck.policy)" != "$PWD/policy.yml" &&
	sha=$(sha256sum policy-b.yml | cut -d" " -f1) &&
	for hook in pre-receive reference-transaction; do
		grep "\"hook\":\"$hook\"" audit/audit.log | tail -n 1 >last &&
		grep "\"policy\":\"sha256:$sha\"" last || { cat last; return 1; }
	done
}

# spell N: replace the policycheck settings of server.git by stdin, then
# push feature/N through the hooks.
spell() {
	git -C server.git config --remove-section policycheck 2>/dev/null
	cat >>server.git/config &&
	(cd work && git checkout -q -B feature/$1 origin/main && pc_commit f$1 "$1" &&
		pc_push accept alice origin feature/$1) &&
	expect_b
}

test_expect_success 'setup: a second policy, the same rules with one more comment' '
	pc_setup_server pattern2 &&
	{ cat policy.yml && echo "# policy b"; } >policy-b.yml &&
	A=$PWD/policy.yml B=$PWD/policy-b.yml
'

test_expect_success 'a plain absolute value' '
	printf "[policycheck]\n\tpolicy = %s\n" "$B" | spell 1
'

test_expect_success 'the last value of the file wins, across sections too' '
	printf "[policycheck]\n\tpolicy = %s\n\tpolicy = %s\n[core]\n\tx = 1\n[policycheck]\n\tpolicy = %s\n" \
		"$A" "$A" "$B" | spell 2
'

test_expect_success 'section and key names are case-insensitive; a subsection is another section' '
	printf "[PolicyCheck]\n\tPOLICY=%s\n[policycheck \"x\"]\n\tpolicy = %s\n" "$B" "$A" | spell 3
'

test_expect_success 'a value relative to GIT_DIR' '
	printf "[policycheck]\n\tpolicy = ../policy-b.yml\n" | spell 4
'

test_expect_success 'a quoted value, a value with a comment after it (left to git)' '
	printf "[policycheck]\n\tpolicy = %s\n\tpolicy = \"%s\"\n" "$A" "$B" | spell 5 &&
	printf "[policycheck]\n\tpolicy = %s ; a comment\n" "$B" | spell 6
'

test_expect_success 'an include after the value overrides it (left to git)' '
	printf "[policycheck]\n\tpolicy = %s\n" "$B" >server.git/b.config &&
	printf "[policycheck]\n\tpolicy = %s\n[include]\n\tpath = b.config\n" "$A" | spell 7
'

test_expect_success 'no value in the repository: the global configuration names it (left to git)' '
	git config --global policycheck.policy "$B" &&
	printf "" | spell 8 &&
	git config --global --unset policycheck.policy
'

test_expect_success 'a value git cannot read (a key without a value): the push is refused, naming it' '
	git -C server.git config --remove-section policycheck 2>/dev/null
	cp server.git/config config.good &&
	printf "[policycheck]\n\tpolicy\n" >>server.git/config &&
	(cd work && git checkout -q -B feature/9 origin/main && pc_commit f9 "9" &&
		test_must_fail env REMOTE_USER=alice git push origin feature/9 2>../err) &&
	cp config.good server.git/config &&
	git -C server.git config policycheck.policy "$A" &&
	cat err &&
	grep "^remote: policy-check: rejected: .*server.git: git config policycheck.policy: git says it cannot be read" err &&
	test_must_fail git -C server.git rev-parse -q --verify refs/heads/feature/9
'

test_expect_success 'the log the hooks wrote verifies' '
	pc_audit_verify
'

test_done
