#!/bin/sh
test_description='lint proves every approval requirement can be met once the author is excluded'
. "$(dirname "$0")/test-lib.sh"

# ex_repo PATTERN BRANCHES...: a repository holding policy/examples/PATTERN
# with BRANCHES at its commit.
ex_repo() {
	p=$1
	shift
	git init -q "ex-$p" &&
	cp -R "$PC_POLICY_DIR/examples/$p/." "ex-$p/" &&
	git -C "ex-$p" add . &&
	git -C "ex-$p" commit -q -m "chore: import the example repository" &&
	for b in "$@"; do
		git -C "ex-$p" update-ref "refs/heads/$b" HEAD || return 1
	done
}

test_expect_success 'setup: keys' '
	pc_key alice && pc_key bob && pc_key carol && pc_key dave
'

test_expect_success 'each shipped policy passes lint --repo on its example repository' '
	ex_repo pattern1 main develop staging &&
	ex_repo pattern2 main develop staging &&
	ex_repo pattern3 main &&
	for p in pattern1 pattern2 pattern3; do
		policy-check lint --policy "$PC_POLICY_DIR/$p.yml" --repo "ex-$p" >out 2>err &&
		grep ": ok$" out &&
		! grep -i "can never\|must be able to sign" err || return 1
	done
'

test_expect_success 'prd needing 2 approvals from a group of 2 (self_approval false) is an error' '
	pc_write_policy pattern3 >p3.yml &&
	cat >>p3.yml <<-\EOF &&
	environments:
	  dev: { path: overlays/dev/ }
	  stg: { path: overlays/stg/, after: dev }
	  prd: { path: overlays/prd/, after: stg, approvals: 2, approvers: [sre] }
	approvals:
	  self_approval: false
	EOF
	test_expect_code 2 policy-check lint --policy p3.yml 2>err &&
	line=$(grep -n "^  prd:" p3.yml | cut -d: -f1) &&
	grep "^p3.yml:$line:3: environment .prd. needs 2 approvals and the author of a change cannot approve it (self_approval is false), so 3 of its approvers must be able to sign for a change by one of them to be approved, but only 2 can (alice, bob): add a member with a key (users.<name>.keys, or a line of allowed_signers naming their email) or lower the count to 1$" err
'

test_expect_success 'the same with self_approval true passes' '
	sed "s/self_approval: false/self_approval: true/" p3.yml >p3-self.yml &&
	policy-check lint --policy p3-self.yml
'

test_expect_success 'a third member without a key does not count; an allowed_signers line gives one' '
	PC_MORE_USERS=erin pc_write_policy pattern2 >p2.yml &&
	cat >>p2.yml <<-\EOF &&
	branches:
	  main: { approvals: 2, approvers: [sre] }
	EOF
	test_expect_code 2 policy-check lint --policy p2.yml 2>err &&
	grep "^p2.yml:[0-9]*:3: branch .main. needs 2 approvals .*but only 2 can (alice, bob)" err &&
	pc_key erin &&
	printf "erin@example.com namespaces=\"git\" %s\n" "$(cat keys/erin.pub)" >signers &&
	sed "s|^allowed_signers:.*||" p2.yml >p2s.yml &&
	echo "allowed_signers: signers" >>p2s.yml &&
	policy-check lint --policy p2s.yml
'

test_expect_success 'setup: a repository whose CODEOWNERS needs [Prd][2] from sre (two users)' '
	git init -q repo &&
	printf "* @alice @bob @carol\n[Prd][2]\n/overlays/prd/ @sre\n" >repo/CODEOWNERS &&
	git -C repo add CODEOWNERS &&
	git -C repo commit -q -m "chore: owners" &&
	git -C repo update-ref refs/heads/develop HEAD && git -C repo update-ref refs/heads/staging HEAD &&
	pc_write_policy pattern2 >co.yml
'

test_expect_success 'lint --repo: [Prd][2] @sre with sre of two users is an error at BRANCH:FILE:LINE:COLUMN' '
	test_expect_code 2 policy-check lint --policy co.yml --repo repo 2>err &&
	grep "^main:CODEOWNERS:3:16: ./overlays/prd/. (section \[Prd\]) needs 2 approvals .*so 3 of its approvers must be able to sign .* but only 2 can (alice, bob): add a member with a key" err &&
	grep "^develop:CODEOWNERS:3:16: " err
'

test_expect_success 'lint --repo: a section without [N] asks for the branch'\''s approvals' '
	printf "* @alice @bob @carol\n/overlays/prd/ @sre\n" >repo/CODEOWNERS &&
	git -C repo commit -q -am "chore: owners" &&
	git -C repo update-ref refs/heads/develop HEAD && git -C repo update-ref refs/heads/staging HEAD &&
	policy-check lint --policy co.yml --repo repo &&
	cat >>co.yml <<-\EOF &&
	branches:
	  main: { approvals: 2 }
	EOF
	test_expect_code 2 policy-check lint --policy co.yml --repo repo 2>err &&
	grep "^main:CODEOWNERS:2:16: ./overlays/prd/. needs 2 approvals" err &&
	! grep "^develop:" err &&
	! grep "^main:CODEOWNERS:1:" err
'

test_expect_success 'lint --repo: in Pattern3 a line owning a prd path asks for prd'\''s approvals' '
	printf "* @alice @bob @carol\n/overlays/dev/ @sre\n/overlays/prd/ @sre\n" >repo/CODEOWNERS &&
	git -C repo commit -q -am "chore: owners" &&
	sed "s/self_approval: false/self_approval: true/" p3.yml >p3-co.yml &&
	policy-check lint --policy p3-co.yml --repo repo &&
	sed "s/approvers: \[sre\] }/approvers: [alice, bob, carol] }/" p3.yml >p3-co2.yml &&
	test_expect_code 2 policy-check lint --policy p3-co2.yml --repo repo 2>err &&
	grep "^main:CODEOWNERS:3:16: ./overlays/prd/. needs 2 approvals" err &&
	! grep "^main:CODEOWNERS:[12]:" err &&
	! grep "^p3-co2.yml:" err
'

test_done
