#!/bin/sh
test_description='self_approval: false bars who first pushed or signed a change, not only claimed e-mails'
. "$(dirname "$0")/test-lib.sh"

PC_MORE_USERS="dave erin"
export PC_MORE_USERS

# approve_as USER COMMIT TARGET: USER signs an approval and pushes it as USER.
approve_as() {
	(
		cd work &&
		git -c user.email="$1@example.com" -c user.name="$1" -c gpg.format=ssh \
			-c user.signingkey="../keys/$1" \
			tag -s -m "policy-check approval v1" -m "target: $3" tmp-approval "$2" &&
		REMOTE_USER="$1" git push -q origin "tmp-approval:refs/approvals/$(git rev-parse "$2^{commit}")/$1-${3##*/}" 2>../approve.err;
		status=$?
		git tag -d tmp-approval >/dev/null
		exit $status
	)
}

# feature NAME FILE CONTENT PUSHER [git commit options...]: a commit on
# feature/NAME (from develop) that PUSHER pushes; develop then merges it.
# With SIGNER set, the commit is SSH-signed with keys/$SIGNER; with
# COMMITTER set, that is its committer e-mail.
feature() {
	name=$1 file=$2 content=$3 pusher=$4 &&
	shift 4 &&
	(
		cd work &&
		git checkout -q -B "feature/$name" origin/develop &&
		mkdir -p "$(dirname "$file")" &&
		echo "$content" >"$file" &&
		git add "$file" &&
		if test -n "${SIGNER:-}"; then
			git -c gpg.format=ssh -c user.signingkey="../keys/$SIGNER" commit -q -S "$@" -m "feat: $name"
		elif test -n "${COMMITTER:-}"; then
			GIT_COMMITTER_EMAIL=$COMMITTER git commit -q "$@" -m "feat: $name"
		else
			git commit -q "$@" -m "feat: $name"
		fi &&
		REMOTE_USER=$pusher git push -q origin "feature/$name" &&
		git checkout -q -B develop origin/develop &&
		git merge -q --no-ff -m "Merge feature/$name" "feature/$name"
	)
}

# The index file that holds COMMIT's entries.
index_file() {
	echo "server.git/policy-check/pushers/$(echo "$1" | cut -c1-2)"
}

test_expect_success 'setup: [prd][2] owned by sre, everything else by sre or carol' '
	pc_key dave && pc_key erin &&
	cat >CODEOWNERS <<-\EOF &&
	* @sre @carol
	[prd][2]
	/overlays/prd/ @sre
	EOF
	cat >policy.extra <<-\EOF &&
	approvals: { required: 1, self_approval: false, pusher_is_approval: true }
	EOF
	pc_setup_server pattern2
'

test_expect_success 'the hook records who first pushed each new commit, authenticated' '
	init=$(git -C work rev-parse origin/main) &&
	grep "^$init alice [0-9a-f]\{64\}$" "$(index_file $init)"
'

test_expect_success 'promotion: the pusher still counts; whoever first pushed the change does not' '
	# dave (sre) first pushes a prd change under a made-up author e-mail
	feature p3 overlays/prd/p3.yaml "x: 6" dave --author="Nobody <nobody@example.com>" &&
	approve_as erin develop refs/heads/develop &&
	(cd work && REMOTE_USER=alice git push -q origin develop) &&
	approve_as erin develop refs/heads/staging &&
	(
		cd work &&
		git checkout -q -B staging origin/staging && git merge -q --ff-only origin/develop &&
		REMOTE_USER=alice git push -q origin staging
	) &&
	c=$(git -C work rev-parse feature/p3) &&
	approve_as dave staging refs/heads/main &&
	(
		cd work &&
		git checkout -q -B main origin/main && git merge -q --ff-only origin/staging &&
		pc_push reject bob origin main
	) &&
	grep "has 1 (bob)" err &&
	grep "dave cannot approve it: dave first pushed commit ${c%${c#???????}} \"feat: p3\"" err &&
	approve_as erin staging refs/heads/main &&
	(cd work && pc_push accept bob origin main) &&
	grep "approved by: bob (pusher), erin (signature)" err
'

test_expect_success 'a pusher who writes another e-mail as author is still barred as first pusher' '
	feature forge app/forge.yaml "x: 1" carol --author="Alice <alice@example.com>" &&
	c=$(git -C work rev-parse feature/forge) &&
	(cd work && pc_push reject carol origin develop) &&
	grep "needs 1 approval from @sre @carol (CODEOWNERS:1), has 0" err &&
	grep "hint: .*; carol cannot approve it: carol first pushed commit ${c%${c#???????}} \"feat: forge\"" err &&
	approve_as carol develop refs/heads/develop &&
	(cd work && pc_push reject carol origin develop) &&
	grep "has 0" err
'

test_expect_success 'an approver whose e-mail a pusher claims is barred, and the hint names the real first pusher' '
	feature claim app/claim.yaml "x: 2" carol --author="Bob <bob@example.com>" &&
	c=$(git -C work rev-parse feature/claim) &&
	approve_as bob develop refs/heads/develop &&
	(cd work && pc_push reject carol origin develop) &&
	grep "has 0" err &&
	grep "bob cannot approve it: commit ${c%${c#???????}} \"feat: claim\" names bob@example.com as its author, and carol first pushed it" err &&
	approve_as dave develop refs/heads/develop &&
	(cd work && pc_push accept carol origin develop) &&
	grep "approved by: dave (signature)" err
'

test_expect_success 'a committer e-mail is a claim too' '
	(COMMITTER=erin@example.com && feature committer app/committer.yaml "x: 3" carol) &&
	approve_as erin develop refs/heads/develop &&
	(cd work && pc_push reject carol origin develop) &&
	grep "erin cannot approve it: commit [0-9a-f]* \"feat: committer\" names erin@example.com as its committer, and carol first pushed it" err &&
	approve_as bob develop refs/heads/develop &&
	(cd work && REMOTE_USER=carol git push -q origin develop)
'

test_expect_success 'a validly signed commit bars its signer, whatever e-mails it carries' '
	(SIGNER=erin && feature signed overlays/prd/signed.yaml "x: 4" carol --author="Nobody <nobody@example.com>") &&
	c=$(git -C work rev-parse feature/signed) &&
	git -C work cat-file commit "$c" | grep "^gpgsig -----BEGIN SSH SIGNATURE-----" &&
	approve_as erin develop refs/heads/develop &&
	(cd work && pc_push reject alice origin develop) &&
	grep "overlays/prd/signed.yaml needs 2 approvals from @sre in \[prd\] (CODEOWNERS:3), has 1 (alice)" err &&
	grep "erin cannot approve it: erin signed commit ${c%${c#???????}} \"feat: signed\"" err &&
	approve_as dave develop refs/heads/develop &&
	(cd work && pc_push accept alice origin develop) &&
	grep "approved by: alice (pusher), dave (signature)" err
'

test_expect_success 'a signature by a key of no user bars nobody' '
	pc_key mallory &&
	(SIGNER=mallory && feature mallory app/mallory.yaml "x: 5" carol --author="Nobody <nobody@example.com>") &&
	(cd work && pc_push accept alice origin develop) &&
	grep "approved by: alice (pusher)" err
'

test_expect_success 'an index entry changed without the audit key is not trusted, and is reported' '
	feature tamper app/tamper.yaml "x: 7" carol &&
	c=$(git -C work rev-parse feature/tamper) &&
	f=$(index_file $c) &&
	grep "^$c carol " "$f" &&
	# free carol by naming someone else in her entry
	sed -i "s/^$c carol /$c erin /" "$f" &&
	(cd work && pc_push reject carol origin develop) &&
	grep "approval: first-pusher index entry policy-check/pushers/[0-9a-f][0-9a-f] line [0-9]* for commit ${c%${c#???????}} \"feat: tamper\" does not authenticate; it was ignored" err &&
	# an entry forged from scratch does not authenticate either
	sed -i "s/^$c erin /$c carol /" "$f" &&
	echo "$c bob $(printf %064d 0)" >>"$f" &&
	(cd work && pc_push reject alice origin develop) &&
	grep "first-pusher index entry .* does not authenticate; it was ignored" err &&
	sed -i "/^$c bob /d" "$f" &&
	(cd work && pc_push accept alice origin develop) &&
	grep "approved by: alice (pusher)" err
'

test_expect_success 'a torn last line is repaired by the next append and names nobody' '
	c=$(git -C work rev-parse develop) &&
	f=$(index_file $c) &&
	printf "%s car" "$c" >>"$f" &&
	feature torn app/torn.yaml "x: 8" carol &&
	grep "^$c car$" "$f" &&
	(cd work && REMOTE_USER=alice git push -q origin develop)
'

test_expect_success 'fail closed: a push whose first pushers cannot be recorded is rejected' '
	mv server.git/policy-check/pushers pushers.saved &&
	echo "not a directory" >server.git/policy-check/pushers &&
	(
		cd work &&
		git checkout -q -B feature/closed origin/develop &&
		pc_commit app/closed.yaml "x: 9" &&
		pc_push reject carol origin feature/closed
	) &&
	grep "internal: cannot record who first pushed the new commits, so they cannot be accepted: .*policy-check/pushers" err &&
	test_must_fail git -C server.git rev-parse --verify -q refs/heads/feature/closed &&
	rm server.git/policy-check/pushers &&
	mv pushers.saved server.git/policy-check/pushers &&
	(cd work && REMOTE_USER=carol git push -q origin feature/closed)
'

test_expect_success 'policy-check check reads the index: a first pusher is barred there too' '
	(
		cd work &&
		git checkout -q -B develop origin/develop &&
		git merge -q --no-ff -m "Merge feature/closed" feature/closed &&
		REMOTE_USER=carol git push -q origin develop:refs/heads/feature/closed-merge
	) &&
	c=$(git -C work rev-parse feature/closed) &&
	old=$(git -C server.git rev-parse develop) &&
	new=$(git -C work rev-parse develop) &&
	test_expect_code 1 policy-check check --repo server.git --policy policy.yml --as carol \
		refs/heads/develop "$old" "$new" >check.out &&
	grep "carol cannot approve it: carol first pushed commit ${c%${c#???????}}" check.out &&
	policy-check check --repo server.git --policy policy.yml --as alice \
		refs/heads/develop "$old" "$new" >check.out &&
	grep "accepted refs/heads/develop" check.out
'

test_expect_success 'concurrent pushes each append their entries whole' '
	for i in 1 2 3 4; do
		git clone -q server.git c$i &&
		(
			cd c$i &&
			git checkout -q -b feature/c$i origin/develop &&
			for j in 1 2 3 4 5 6 7 8; do
				pc_commit app/c$i-$j.yaml "x: $j" "feat: c$i $j" || exit 1
			done
		) || return 1
	done &&
	for i in 1 2 3 4; do
		(cd c$i && REMOTE_USER=carol git push -q origin feature/c$i 2>../c$i.err) &
	done &&
	wait &&
	for i in 1 2 3 4; do
		for c in $(git -C c$i rev-list origin/develop..feature/c$i); do
			test $(grep -c "^$c carol [0-9a-f]\{64\}$" "$(index_file $c)") = 1 || return 1
		done
	done
'

test_expect_success 'the update hook records first pushers when it is the one judging' '
	git init -q --bare upd.git &&
	policy-check install --policy policy.yml --hook update upd.git >/dev/null &&
	! test -e upd.git/hooks/pre-receive &&
	(
		cd work &&
		git checkout -q -B feature/upd origin/develop &&
		pc_commit app/upd.yaml "x: 1" &&
		REMOTE_USER=carol git push -q ../upd.git feature/upd
	) &&
	c=$(git -C work rev-parse feature/upd) &&
	grep "^$c carol [0-9a-f]\{64\}$" upd.git/policy-check/pushers/$(echo $c | cut -c1-2)
'

test_expect_success 'the audit log verifies' '
	pc_audit_verify
'

test_done
