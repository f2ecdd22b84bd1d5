#!/bin/sh
test_description='one commit approved for develop, staging and main by the same approver: refs/approvals/COMMIT/TARGET/WHO, checked against the object; approve run twice approves once'
. "$(dirname "$0")/test-lib.sh"

# recipe USER TARGET REV NAME: policy-check(1)'s plain-git recipe, as USER
# with their key, pushed as refs/approvals/<commit>/NAME by USER.
recipe() {
	c=$(git rev-parse "$3^{commit}") &&
	git -c user.email="$1@example.com" -c gpg.format=ssh -c user.signingkey="../keys$4/$1" \
		tag -s -m "policy-check approval v1" -m "target: refs/heads/$2" tmp-approval "$c" &&
	pc_push "$5" "$1" origin "tmp-approval:refs/approvals/$c/$6" && git tag -d tmp-approval >/dev/null
}

test_expect_success 'setup: carol pushes feature/x; her change needs alice or bob on each branch' '
	pc_setup_server pattern2 &&
	(
		cd work &&
		git checkout -q -b feature/x origin/develop &&
		pc_commit app/x.txt "x" "feat: x" &&
		pc_push accept carol origin feature/x &&
		pc_push reject carol origin feature/x:develop
	) &&
	grep "hint: policy-check approve [0-9a-f]* --target refs/heads/develop (by one of alice, bob)" err
'

test_expect_success 'the recipe: bob approves it for develop, then for staging: two refs, both count' '
	(
		cd work &&
		recipe bob develop feature/x "" accept develop/bob &&
		pc_push accept carol origin feature/x:develop &&
		git fetch -q origin &&
		pc_push reject carol origin origin/develop:refs/heads/staging &&
		recipe bob staging feature/x "" accept staging/bob &&
		pc_push accept carol origin origin/develop:refs/heads/staging
	) &&
	grep "approved by: bob (signature)" err &&
	c=$(git -C work rev-parse feature/x) &&
	git -C server.git rev-parse -q --verify refs/approvals/$c/develop/bob &&
	git -C server.git rev-parse -q --verify refs/approvals/$c/staging/bob
'

test_expect_success 'a name whose target is not the one signed is rejected, and the hint gives the right one' '
	c=$(git -C work rev-parse feature/x) &&
	(cd work && recipe alice staging feature/x "" reject main/alice) &&
	grep "approval: refs/approvals/$c/main/alice names the target refs/heads/main, but the approval is for refs/heads/staging" err &&
	grep "hint: push it as refs/approvals/$c/staging/alice" err &&
	(cd work && recipe alice staging feature/x "" reject refs/heads/main/alice) &&
	grep "names the target refs/heads/main, but the approval is for refs/heads/staging" err &&
	test_must_fail git -C server.git rev-parse -q --verify refs/approvals/$c/main/alice
'

test_expect_success 'a name that is another user of the policy is rejected: nobody takes another approver'"'"'s name' '
	c=$(git -C work rev-parse feature/x) &&
	(cd work && recipe carol main feature/x "" reject main/alice) &&
	grep "approval: refs/approvals/$c/main/alice names alice as its approver, but carol signed it" err &&
	grep "hint: push it as refs/approvals/$c/main/carol" err &&
	test_must_fail git -C server.git rev-parse -q --verify refs/approvals/$c/main/alice
'

test_expect_success 'the first layout (one name part) and the email form of the approver still count' '
	(
		cd work &&
		git fetch -q origin &&
		pc_push reject carol origin origin/staging:refs/heads/main &&
		recipe alice main feature/x "" accept anything &&
		pc_push accept carol origin origin/staging:refs/heads/main
	) &&
	grep "approved by: alice (signature)" err &&
	(cd work && recipe bob main feature/x "" accept main/bob-example.com)
'

test_expect_success 'approve names the ref after the policy user of the signing key, or user.email without a policy' '
	(
		cd work &&
		git checkout -q -b feature/y origin/develop &&
		pc_commit app/y.txt "y" "feat: y" &&
		pc_push accept carol origin feature/y &&
		git config user.email bob@example.com &&
		REMOTE_USER=bob policy-check approve --key ../keys/bob --policy ../policy.yml \
			--target develop feature/y >../approve.out &&
		REMOTE_USER=bob policy-check approve --key ../keys/bob --target staging feature/y >../approve2.out
	) &&
	c=$(git -C work rev-parse feature/y) &&
	test "$(cat approve.out)" = "approval refs/approvals/$c/develop/bob for refs/heads/develop at $c" &&
	test "$(cat approve2.out)" = "approval refs/approvals/$c/staging/bob-example.com for refs/heads/staging at $c" &&
	git -C server.git rev-parse -q --verify refs/approvals/$c/develop/bob &&
	git -C server.git rev-parse -q --verify refs/approvals/$c/staging/bob-example.com
'

test_expect_success 'approve run again says the approval is there, exits 0 and makes no second one' '
	c=$(git -C work rev-parse feature/y) &&
	git -C server.git for-each-ref refs/approvals/$c >before &&
	(
		cd work &&
		REMOTE_USER=bob policy-check approve --key ../keys/bob --policy ../policy.yml \
			--target develop feature/y >../again.out 2>../again.err &&
		REMOTE_USER=bob policy-check approve --key ../keys/bob --target develop feature/y >../again2.out
	) &&
	grep "^approval refs/approvals/$c/develop/bob for refs/heads/develop at $c already exists: nothing to sign$" again.out &&
	grep "^approval refs/approvals/$c/develop/bob for refs/heads/develop at $c already exists: nothing to sign$" again2.out &&
	git -C server.git for-each-ref refs/approvals/$c >after &&
	test_cmp before after &&
	test "$(git -C work tag -l "policy-check-approval-*")" = ""
'

test_expect_success 'a fresh clone without the approval refs learns them from the remote' '
	c=$(git -C work rev-parse feature/y) &&
	git clone -q server.git fresh &&
	(
		cd fresh &&
		git config user.email bob@example.com &&
		REMOTE_USER=bob policy-check approve --key ../keys/bob --target staging "$c" >../fresh.out
	) &&
	grep "^approval refs/approvals/$c/staging/bob-example.com for refs/heads/staging at $c already exists" fresh.out &&
	git -C server.git for-each-ref refs/approvals/$c >after2 &&
	test_cmp after after2
'

test_expect_success 'one made with --no-push is pushed by the next run, not made twice' '
	c=$(git -C work rev-parse feature/y) &&
	(
		cd work &&
		REMOTE_USER=bob policy-check approve --key ../keys/bob --policy ../policy.yml --no-push \
			--target main feature/y >../np.out &&
		test_must_fail git -C ../server.git rev-parse -q --verify refs/approvals/$c/main/bob &&
		REMOTE_USER=bob policy-check approve --key ../keys/bob --policy ../policy.yml \
			--target main feature/y >../np2.out 2>../np2.err
	) &&
	grep "^approval refs/approvals/$c/main/bob for refs/heads/main at $c$" np.out &&
	grep "already exists: nothing to sign" np2.out &&
	grep "accepted refs/approvals/$c/main/bob" np2.err &&
	git -C server.git rev-parse -q --verify refs/approvals/$c/main/bob
'

test_expect_success 'without a policy, an email name taken by another key gets the next free name' '
	c=$(git -C work rev-parse feature/y) &&
	mkdir -p keys2 && ssh-keygen -q -t ed25519 -N "" -C other -f keys2/bob &&
	(
		cd work &&
		REMOTE_USER=bob policy-check approve --key ../keys2/bob --no-push \
			--target staging feature/y >../other.out
	) &&
	grep "^approval refs/approvals/$c/staging/bob-example.com-2 for refs/heads/staging at $c$" other.out &&
	test "$(git -C work tag -l "policy-check-approval-*")" = ""
'

test_expect_success 'one clone, several keys: user.email names alice, bob signs; the hooks take it as bob'"'"'s' '
	(
		cd work &&
		git config user.email alice@example.com &&
		git checkout -q -b feature/z origin/develop &&
		pc_commit app/z.txt "z" "feat: z" &&
		pc_push accept carol origin feature/z &&
		REMOTE_USER=bob policy-check approve --key ../keys/bob --target develop feature/z >../z.out 2>../z.err &&
		pc_push accept carol origin feature/z:develop
	) &&
	grep "approved by: bob (signature)" err
'

test_expect_success 'the audit log verifies' '
	pc_audit_verify
'

test_done
