#!/bin/sh
test_description='an allowed_signers key that may sign for several policy users is ambiguous: its approvals count for nobody, and lint says where it comes from'
. "$(dirname "$0")/test-lib.sh"

# dave and erin have no key in users: dave signs with keys/dkey, which only
# allowed_signers names.
PC_MORE_USERS="dave erin"
PC_ALLOWED_SIGNERS=allowed_signers
export PC_MORE_USERS PC_ALLOWED_SIGNERS

# sign_approval COMMIT TARGET: dave signs an approval tag with git tag -s;
# the tag id in $tag, its payload and signature in tag.payload, tag.sig.
sign_approval() {
	(
		cd work &&
		git -c user.email=dave@example.com -c user.name=dave -c gpg.format=ssh \
			-c user.signingkey="../keys/dkey" \
			tag -s -m "policy-check approval v1" -m "target: $2" tmp-approval "$1" &&
		git rev-parse tmp-approval >../tag.id &&
		git cat-file tag tmp-approval >../tag.raw &&
		git tag -d tmp-approval >/dev/null
	) &&
	tag=$(cat tag.id) &&
	sed "/^-----BEGIN SSH SIGNATURE-----\$/,\$d" tag.raw >tag.payload &&
	sed -n "/^-----BEGIN SSH SIGNATURE-----\$/,\$p" tag.raw >tag.sig
}

# ssh_keygen_allows PRINCIPAL: ssh-keygen -Y verify (what git runs) takes
# the tag's signature for PRINCIPAL.
ssh_keygen_allows() {
	ssh-keygen -Y verify -f allowed_signers -I "$1" -n git -s tag.sig <tag.payload
}

test_expect_success 'setup: dave authors a change; his key is on one allowed_signers line for dave and erin' '
	pc_key dkey &&
	echo "dave@example.com,erin@example.com $(cat keys/dkey.pub)" >allowed_signers &&
	printf "* @sre\n" >CODEOWNERS &&
	printf "approvals: { required: 1, self_approval: false, pusher_is_approval: true }\n" >policy.extra &&
	pc_setup_server pattern2 &&
	(
		cd work &&
		git checkout -q -b feature/d origin/develop &&
		GIT_AUTHOR_EMAIL=dave@example.com GIT_AUTHOR_NAME=dave pc_commit overlays/dev/d.yaml "d: 1" &&
		REMOTE_USER=dave git push -q origin feature/d &&
		git checkout -q -b develop origin/develop &&
		git merge -q --no-ff -m "Merge feature/d" feature/d
	) &&
	commit=$(git -C work rev-parse develop)
'

test_expect_success 'a principals list naming two users: the approval is refused as ambiguous' '
	sign_approval develop refs/heads/develop &&
	ssh_keygen_allows dave@example.com &&
	ssh_keygen_allows erin@example.com &&
	(cd work && pc_push reject dave origin "$tag:refs/approvals/$commit/dave") &&
	grep "approval: refs/approvals/$commit/dave is not a valid approval: it is signed by SHA256:[A-Za-z0-9+/]*, a key that the allowed_signers file gives to 2 users of the policy (dave, erin): the signer is ambiguous and counts for none of them" err
'

test_expect_success 'a wildcard principal: the author cannot approve his own change as the first user of the policy' '
	echo "*@example.com $(cat keys/dkey.pub)" >allowed_signers &&
	sign_approval develop refs/heads/develop &&
	ssh_keygen_allows alice@example.com &&
	(cd work && pc_push reject dave origin \
		"$tag:refs/approvals/$commit/dave" develop) &&
	grep "refs/approvals/$commit/dave is not a valid approval: it is signed by SHA256:[A-Za-z0-9+/]*, a key that the allowed_signers file gives to 5 users of the policy (alice, bob, carol, dave, erin)" err &&
	grep "approval: overlays/dev/d.yaml needs 1 approval from @sre (CODEOWNERS:1), has 0" err &&
	test_must_fail git -C server.git rev-parse --verify -q "refs/approvals/$commit/dave"
'

test_expect_success 'a key given to one user on one line and to another on the next is ambiguous too' '
	{
		echo "dave@example.com $(cat keys/dkey.pub)" &&
		echo "erin@example.com $(cat keys/dkey.pub)"
	} >allowed_signers &&
	sign_approval develop refs/heads/develop &&
	(cd work && pc_push reject dave origin "$tag:refs/approvals/$commit/dave") &&
	grep "gives to 2 users of the policy (dave, erin): the signer is ambiguous" err
'

test_expect_success 'lint reports each line that gives a key to several users, as FILE:LINE:COLUMN' '
	{
		echo "# dave signs for dave only: fine" &&
		echo "dave@example.com $(cat keys/dkey.pub)" &&
		echo "\"erin@example.com,bob@example.com\" $(cat keys/dkey.pub)" &&
		echo "  *@example.com namespaces=\"git\" $(cat keys/dkey.pub)" &&
		echo "erin@example.com $(cat keys/dkey.pub)" &&
		echo "bob@example.com $(cat keys/alice.pub)"
	} >allowed_signers &&
	test_must_fail policy-check lint --policy policy.yml 2>err &&
	cat err &&
	grep "allowed_signers:3:2: principals .erin@example.com,bob@example.com. give this key to 2 users of the policy (bob, erin)" err &&
	grep "allowed_signers:4:3: principals .\*@example.com. give this key to 5 users of the policy (alice, bob, carol, dave, erin)" err &&
	grep "allowed_signers:5:1: this key is also on line 2 for dave; a signature by it would be ambiguous" err &&
	grep "allowed_signers:6:1: principals .bob@example.com. give this key to 2 users of the policy (alice (users.alice.keys), bob)" err &&
	test_must_fail grep "allowed_signers:[12]:" err &&
	echo "dave@example.com $(cat keys/dkey.pub)" >allowed_signers &&
	policy-check lint --policy policy.yml
'

test_done
