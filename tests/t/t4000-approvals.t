#!/bin/sh
test_description='code-owner approvals: the pusher and SSH-signed approval objects'
. "$(dirname "$0")/test-lib.sh"

PC_MORE_USERS="dave erin frank"
PC_ALLOWED_SIGNERS=allowed_signers
export PC_MORE_USERS PC_ALLOWED_SIGNERS

# approve_as accept|reject USER COMMIT TARGET: USER signs an approval and
# pushes it as USER, with pc_push; the pusher's stderr is in approve.err.
approve_as() {
	(
		cd work &&
		git -c user.email="$2@example.com" -c user.name="$2" -c gpg.format=ssh \
			-c user.signingkey="../keys/$2" \
			tag -s -m "policy-check approval v1" -m "target: $4" tmp-approval "$3" &&
		PC_PUSH_ERR=../approve.err pc_push "$1" "$2" origin \
			"tmp-approval:refs/approvals/$(git rev-parse "$3^{commit}")/$2";
		status=$?
		git tag -d tmp-approval >/dev/null
		exit $status
	)
}

test_expect_success 'setup: [prd][2] section owned by sre, optional docs section' '
	pc_key dave ecdsa 256 && pc_key erin rsa 3072 && pc_key frank && pc_key mallory &&
	# frank has no key in users: only an expired allowed_signers line.
	mv keys/frank.pub frank.pub &&
	echo "frank@example.com valid-before=\"20200101\" $(cat frank.pub)" >allowed_signers &&
	cat >CODEOWNERS <<-\EOF &&
	* @carol @sre
	[prd][2]
	/overlays/prd/ @sre
	^[docs]
	/docs/ @alice
	EOF
	cat >policy.extra <<-\EOF &&
	approvals: { required: 1, self_approval: false, pusher_is_approval: true }
	EOF
	pc_setup_server pattern2 &&
	(
		cd work &&
		git checkout -q -b feature/prd origin/develop &&
		sed -i "s/newTag: .*/newTag: \"2.0.0\"/" overlays/prd/kustomization.yaml &&
		git commit -q -am "feat: prd 2.0.0" &&
		REMOTE_USER=carol git push -q origin feature/prd &&
		git checkout -q -b develop origin/develop &&
		git merge -q --no-ff -m "Merge feature/prd" feature/prd
	)
'

test_expect_success 'no approval: rejected, naming path, section, line, owners and the approve command' '
	(cd work && pc_push reject carol origin develop) &&
	short=$(git -C work rev-parse --short=7 develop) &&
	grep "approval: overlays/prd/kustomization.yaml needs 2 approvals from @sre in \[prd\] (CODEOWNERS:3), has 0" err &&
	grep "hint: policy-check approve $short --target refs/heads/develop (by any of alice, bob, dave, erin, frank)" err
'

test_expect_success 'the pusher-owner counts as one approval: [prd][2] with one is still rejected' '
	(cd work && pc_push reject alice origin develop) &&
	grep "needs 2 approvals from @sre in \[prd\] (CODEOWNERS:3), has 1 (alice)" err
'

test_expect_success 'an approval for another commit does not count' '
	approve_as accept bob develop^1 refs/heads/develop &&
	(cd work && pc_push reject alice origin develop) &&
	grep "has 1 (alice)" err
'

test_expect_success 'an approval for another target ref does not count' '
	approve_as accept bob develop refs/heads/main &&
	(cd work && pc_push reject alice origin develop) &&
	grep "has 1 (alice)" err
'

test_expect_success 'an approval signed by a key of no user is rejected when pushed' '
	(
		cd work &&
		git -c gpg.format=ssh -c user.signingkey=../keys/mallory tag -s -m "policy-check approval v1" \
			-m "target: refs/heads/develop" bad develop &&
		pc_push reject carol origin \
			"bad:refs/approvals/$(git rev-parse develop)/mallory" &&
		git tag -d bad >/dev/null
	) &&
	grep "approval: refs/approvals/[0-9a-f]*/mallory is not a valid approval: it is signed by SHA256:.*, a key of no user of the policy" err
'

test_expect_success 'an approval with a tampered message is rejected when pushed' '
	(
		cd work &&
		git -c gpg.format=ssh -c user.signingkey=../keys/bob tag -s -m "policy-check approval v1" \
			-m "target: refs/heads/develop" good develop &&
		git cat-file tag good | sed "s/target: refs.heads.develop/target: refs\/heads\/main/" >forged &&
		forged=$(git hash-object -t tag -w forged) &&
		pc_push reject bob origin \
			"$forged:refs/approvals/$(git rev-parse develop)/forged" &&
		git tag -d good >/dev/null
	) &&
	grep "is not a valid approval: the signature does not verify" err
'

test_expect_success 'a plain commit at refs/approvals is rejected' '
	(cd work && pc_push reject bob origin \
		"develop:refs/approvals/$(git rev-parse develop)/plain") &&
	grep "is not a valid approval: it is a commit, not an annotated tag" err
'

test_expect_success 'a key outside its allowed_signers validity window is not a user key' '
	approve_as reject frank develop refs/heads/develop &&
	grep "is not a valid approval: it is signed by SHA256:" approve.err
'

test_expect_success 'pusher + one signed approval (ecdsa) meets [prd][2]: accepted and recorded' '
	approve_as accept dave develop refs/heads/develop &&
	(cd work && pc_push accept alice origin develop) &&
	grep "approved by: alice (pusher), dave (signature)" err &&
	tail -n 3 audit/audit.log | grep "\"approvals\":\\[{\"user\":\"alice\",\"via\":\"pusher\",\"key\":null,\"object\":null},{\"user\":\"dave\",\"via\":\"signature\",\"key\":\"SHA256:" &&
	pc_audit_verify
'

test_expect_success 'approval refs are create-only; deleting one is for its signer and admins' '
	ref=$(git -C server.git for-each-ref --format="%(refname)" refs/approvals | grep /dave | head -n 1) &&
	(cd work && pc_push reject carol origin ":$ref") &&
	grep "approval: approval $ref can only be deleted by the user who signed it (dave) or admins" err
'

test_expect_success 'two signed approvals (rsa, ed25519) by non-owner pusher: accepted' '
	(
		cd work &&
		git checkout -q -b feature/prd2 origin/develop &&
		sed -i "s/newTag: .*/newTag: \"2.1.0\"/" overlays/prd/kustomization.yaml &&
		git commit -q -am "feat: prd 2.1.0" &&
		REMOTE_USER=carol git push -q origin feature/prd2 &&
		git checkout -q develop && git merge -q --no-ff -m "Merge feature/prd2" feature/prd2
	) &&
	approve_as accept erin develop refs/heads/develop &&
	approve_as accept bob develop refs/heads/develop &&
	(cd work && pc_push accept carol origin develop)
'

test_expect_success 'an author does not approve their own change (self_approval: false)' '
	(
		cd work &&
		git checkout -q -b feature/bobs origin/develop &&
		sed -i "s/newTag: .*/newTag: \"2.2.0\"/" overlays/prd/kustomization.yaml &&
		GIT_AUTHOR_EMAIL=bob@example.com git commit -q -am "feat: bob changes prd" &&
		REMOTE_USER=carol git push -q origin feature/bobs &&
		git checkout -q develop && git merge -q --no-ff -m "Merge feature/bobs" feature/bobs
	) &&
	approve_as accept bob develop refs/heads/develop &&
	(cd work && pc_push reject alice origin develop) &&
	grep "has 1 (alice)" err &&
	grep "hint: .*; bob cannot approve it: commit [0-9a-f]* \"feat: bob changes prd\" names bob@example.com as its author, and carol first pushed it" err
'

test_expect_success 'the plain-git recipe approves in the same push as the branch update' '
	(
		cd work &&
		git -c gpg.format=ssh -c user.signingkey=../keys/erin tag -s -m "policy-check approval v1" \
			-m "target: refs/heads/develop" tmp-approval develop &&
		pc_push accept alice origin develop \
			"tmp-approval:refs/approvals/$(git rev-parse develop)/erin" &&
		git tag -d tmp-approval >/dev/null
	)
'

test_expect_success 'CODEOWNERS edited in the same push does not make the pusher an owner' '
	(
		cd work &&
		git checkout -q -b feature/grab origin/develop &&
		printf "* @carol\n[prd][2]\n/overlays/prd/ @carol\n" >CODEOWNERS &&
		sed -i "s/newTag: .*/newTag: \"9.9.9\"/" overlays/prd/kustomization.yaml &&
		git commit -q -am "feat: take over prd" &&
		REMOTE_USER=carol git push -q origin feature/grab &&
		git checkout -q develop && git reset -q --hard origin/develop &&
		git merge -q --no-ff -m "Merge feature/grab" feature/grab &&
		pc_push reject carol origin develop
	) &&
	grep "needs 2 approvals from @sre in \[prd\] (CODEOWNERS:3), has 0" err
'

test_expect_success 'a pushed CODEOWNERS that does not parse or names unknown owners is refused' '
	(
		cd work &&
		git checkout -q -b feature/badco origin/develop &&
		printf "* @carol @sre\n[prd][2\n" >CODEOWNERS &&
		git commit -q -am "chore: broken owners" &&
		REMOTE_USER=carol git push -q origin feature/badco &&
		git checkout -q develop && git reset -q --hard origin/develop &&
		git merge -q --no-ff -m "Merge feature/badco" feature/badco &&
		pc_push reject alice origin develop &&
		grep "approval: the pushed CODEOWNERS is invalid: CODEOWNERS:2:" ../err &&
		git checkout -q feature/badco &&
		printf "* @carol @sre\n/docs/ @ghost\n" >CODEOWNERS &&
		git commit -q -am "chore: unknown owner" &&
		REMOTE_USER=carol git push -q origin feature/badco &&
		git checkout -q develop && git reset -q --hard origin/develop &&
		git merge -q --no-ff -m "Merge feature/badco" feature/badco &&
		pc_push reject alice origin develop &&
		grep "approval: the pushed CODEOWNERS:2 names unknown owner @ghost, who could never approve" ../err
	)
'

test_expect_success 'an optional section does not block' '
	(
		cd work &&
		git checkout -q -b feature/docs origin/develop &&
		pc_commit docs/readme.md "docs" "docs: readme" &&
		REMOTE_USER=carol git push -q origin feature/docs &&
		git checkout -q develop && git reset -q --hard origin/develop &&
		git merge -q --no-ff -m "Merge feature/docs" feature/docs &&
		# carol first pushed the change, so she cannot approve it; alice can
		pc_push accept alice origin develop
	)
'

test_expect_success 'policy-check approve makes and pushes an approval that counts; check agrees' '
	(
		cd work &&
		git checkout -q -b feature/p3 origin/develop &&
		sed -i "s/newTag: .*/newTag: \"3.0.0\"/" overlays/prd/kustomization.yaml &&
		git commit -q -am "feat: prd 3.0.0" &&
		REMOTE_USER=carol git push -q origin feature/p3 &&
		git checkout -q develop && git reset -q --hard origin/develop &&
		git merge -q --no-ff -m "Merge feature/p3" feature/p3 &&
		# check reads the local develop as the server'\''s: keep it there
		git checkout -q --detach && git branch -f develop origin/develop &&
		test_expect_code 1 policy-check check --policy ../policy.yml --as alice \
			develop origin/develop HEAD >../check.out &&
		git config user.email bob@example.com &&
		REMOTE_USER=bob policy-check approve --key ../keys/bob --target develop HEAD >../approve.out &&
		git fetch -q origin "refs/approvals/*:refs/approvals/*" &&
		policy-check check --policy ../policy.yml --as alice develop origin/develop HEAD >../check2.out &&
		pc_push accept alice origin HEAD:develop
	) &&
	grep "has 1 (alice)" check.out &&
	grep "approval refs/approvals/[0-9a-f]*/develop/bob-example.com for refs/heads/develop" approve.out &&
	grep "accepted refs/heads/develop" check2.out
'

test_expect_success 'unowned: deny rejects a path without owners' '
	sed "/^approvals:/d" policy.yml >policy2.yml &&
	printf "approvals: { unowned: deny, required: 1 }\n" >>policy2.yml &&
	(
		cd work &&
		git checkout -q -b feature/u origin/develop &&
		printf "[prd][2]\n/overlays/prd/ @sre\n" >CODEOWNERS &&
		git commit -q -am "chore: narrow owners" &&
		pc_commit misc/file.txt "m" "feat: misc" &&
		git branch -f develop feature/u~1 &&
		test_expect_code 1 policy-check check --local --policy ../policy2.yml --as alice \
			develop feature/u~1 feature/u >../check.out
	) &&
	grep "approval: misc/file.txt has no code owner (approvals.unowned: deny)" check.out
'

test_expect_success 'the audit log verifies' '
	pc_audit_verify
'

test_done
