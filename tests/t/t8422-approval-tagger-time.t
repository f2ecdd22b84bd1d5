#!/bin/sh
test_description='approval key validity is checked at the tagger time only when it is present, readable and not after the push; otherwise at the push time'
. "$(dirname "$0")/test-lib.sh"

# frank and gina have no key in users: frank's allowed_signers line expired
# in 2020, gina's becomes valid in 2099.
PC_MORE_USERS="frank gina"
PC_ALLOWED_SIGNERS=allowed_signers
export PC_MORE_USERS PC_ALLOWED_SIGNERS

# approval_tag KEY NAME [TAGGER-LINE]: an approval tag of $commit for
# develop signed by keys/KEY, with TAGGER-LINE or no tagger line at all,
# written with hash-object --literally; pushed as refs/approvals/$commit/NAME
# by $pusher (stderr in err).  $tag is its id.
approval_tag() {
	{
		printf "object %s\ntype commit\ntag approval\n" "$commit" &&
		if test -n "${3:-}"; then printf "%s\n" "$3"; fi &&
		printf "\npolicy-check approval v1\n\ntarget: refs/heads/develop\n"
	} >"$2.payload" &&
	rm -f "$2.payload.sig" &&
	ssh-keygen -q -Y sign -n git -f "keys/$1" "$2.payload" 2>/dev/null &&
	cat "$2.payload" "$2.payload.sig" >"$2.tag" &&
	tag=$(git -C work hash-object -t tag -w --literally --stdin <"$2.tag")
}
# push_approval accept|reject NAME: the push of $tag, with pc_push.
push_approval() {
	(cd work && pc_push "$1" "$pusher" origin "$tag:refs/approvals/$commit/$2")
}

# git_verify_tag: git's view of $tag with the same allowed_signers file.
git_verify_tag() {
	git -C work -c gpg.ssh.allowedSignersFile="$PWD/allowed_signers" verify-tag "$tag"
}

test_expect_success 'setup: a commit on feature/a; frank signed in 2017 with a key that expired in 2020' '
	pc_key fkey && pc_key gkey &&
	{
		echo "frank@example.com valid-before=\"20200101Z\" $(cat keys/fkey.pub)" &&
		echo "gina@example.com valid-after=\"20990101Z\" $(cat keys/gkey.pub)"
	} >allowed_signers &&
	pc_setup_server pattern2 &&
	(
		cd work &&
		git checkout -q -b feature/a origin/develop &&
		pc_commit overlays/dev/a.yaml "a: 1" &&
		REMOTE_USER=carol git push -q origin feature/a
	) &&
	commit=$(git -C work rev-parse feature/a) &&
	pusher=frank &&
	approval_tag fkey in2017 "tagger frank <frank@example.com> 1500000000 +0000" &&
	git_verify_tag &&
	push_approval accept in2017
'

# name|key|tagger line (empty: none)
cat >cases <<\EOF
notagger|fkey|
unreadable|fkey|tagger frank <frank@example.com> yesterday +0000
overflow|fkey|tagger frank <frank@example.com> 99999999999999999999999 +0000
zero|fkey|tagger frank <frank@example.com> 0 +0000
notz|fkey|tagger frank <frank@example.com> 1500000000
future|gkey|tagger gina <gina@example.com> 4102444800 +0000
EOF

while IFS="|" read -r name key tagger; do
	test_expect_success "tagger time $name: the key is checked at the push time and is not valid then" '
		case $key in fkey) pusher=frank ;; *) pusher=gina ;; esac &&
		approval_tag $key $name "$tagger" &&
		push_approval reject $name &&
		grep "approval: refs/approvals/$commit/$name is not a valid approval: it is signed by SHA256:[A-Za-z0-9+/]*, a key of no user of the policy" err &&
		test_must_fail git -C server.git rev-parse -q --verify refs/approvals/$commit/$name
	'
done <cases

test_expect_success 'git verify-tag agrees: without a tagger time it checks the key now' '
	approval_tag fkey gitview &&
	test_must_fail git_verify_tag 2>verify.err &&
	cat verify.err &&
	pusher=frank &&
	push_approval reject gitview
'

test_done
