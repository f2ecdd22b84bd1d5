#!/bin/sh
test_description='rules.signed_commits reads a commit signature exactly as git verify-commit does: the gpgsig header only, other gpgsig* headers left out of the payload'
. "$(dirname "$0")/test-lib.sh"

# craft NAME: a commit object from the file NAME, written with git
# hash-object --literally into the clone; its id in $id.
craft() {
	id=$(git -C work hash-object -t commit -w --literally --stdin <"$1")
}

# push_as accept|reject BRANCH: carol pushes $id as feature/BRANCH, with
# pc_push; stderr in err.
push_as() {
	(cd work && pc_push "$1" carol origin "$id:refs/heads/feature/$2")
}

# git_sees_good / git_sees_no_good: git's own view of $id.
git_sees_good() {
	git -C work verify-commit "$id"
}
git_sees_no_good() {
	test_must_fail git -C work verify-commit "$id"
}

test_expect_success 'setup: carol signs a commit with gpg.format=ssh; signed_commits is on' '
	pc_setup_server pattern2 &&
	echo "carol@example.com $(cat keys/carol.pub)" >allowed &&
	(
		cd work &&
		git config gpg.format ssh &&
		git config user.signingkey "$PWD/../keys/carol" &&
		git config gpg.ssh.allowedSignersFile "$PWD/../allowed" &&
		git checkout -q -b feature/s origin/develop &&
		echo s >s.txt && git add s.txt &&
		git commit -q -S -m "feat: signed" &&
		git verify-commit HEAD &&
		git cat-file commit HEAD >../signed.raw
	) &&
	printf "rules:\n  signed_commits: true\n" >>policy.yml &&
	# the pieces of the signed commit: headers, the gpgsig lines, the message
	sed -n "/^gpgsig /q;p" signed.raw >head.txt &&
	sed -n "/^gpgsig /,/^ -----END/p" signed.raw >sig.txt &&
	test $(wc -l <sig.txt) -ge 3 &&
	sed -n "/^\$/,\$p" signed.raw >msg.txt &&
	cat head.txt sig.txt msg.txt >same.raw &&
	test_cmp signed.raw same.raw &&
	id=$(git -C work rev-parse HEAD) &&
	push_as accept good
'

test_expect_success 'where git sees no signature there is none: moved into the message, or only under gpgsig-sha256' '
	{ cat head.txt msg.txt && cat sig.txt; } >moved.raw &&
	craft moved.raw &&
	git_sees_no_good &&
	push_as reject moved &&
	grep "rules: commit [0-9a-f]* \"feat: signed.* is not signed (rules.signed_commits)" err &&

	{ cat head.txt && printf "\nfeat: signed\n\n" && cat sig.txt; } >inmsg.raw &&
	craft inmsg.raw &&
	git_sees_no_good &&
	push_as reject inmsg &&
	grep "is not signed (rules.signed_commits)" err &&

	{ cat head.txt && sed "1s/^gpgsig /gpgsig-sha256 /" sig.txt && cat msg.txt; } >only256.raw &&
	craft only256.raw &&
	git_sees_no_good &&
	push_as reject only256 &&
	grep "is not signed (rules.signed_commits)" err
'

test_expect_success 'an extra gpgsig-sha256 header is not signed data: accepted as git accepts it' '
	{ cat head.txt sig.txt && printf "gpgsig-sha256 not-a-signature\n continued\n" && cat msg.txt; } >sha256.raw &&
	craft sha256.raw &&
	git_sees_good &&
	push_as accept sha256 &&

	{ cat head.txt && printf "gpgsig-sha256 x\n y\n" && cat sig.txt msg.txt; } >sha256b.raw &&
	craft sha256b.raw &&
	git_sees_good &&
	push_as accept sha256b
'

test_expect_success 'a second gpgsig header: after the valid one accepted, before it refused, as git does' '
	{ cat head.txt sig.txt && printf "gpgsig garbage\n more\n" && cat msg.txt; } >second.raw &&
	craft second.raw &&
	git_sees_good &&
	push_as accept second &&

	{ cat head.txt && printf "gpgsig garbage\n" && cat sig.txt msg.txt; } >first.raw &&
	craft first.raw &&
	git_sees_no_good &&
	push_as reject first &&
	grep "rules: commit [0-9a-f]* \"feat: signed\": signature does not verify: bad armor" err &&

	{ cat head.txt sig.txt && printf "x-extra added\n" && cat msg.txt; } >extra.raw &&
	craft extra.raw &&
	git_sees_no_good &&
	push_as reject extra &&
	grep "signature does not verify" err
'

test_done
