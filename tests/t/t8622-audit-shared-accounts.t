#!/bin/sh
test_description='one audit log, two server accounts of one group: whatever their umask, each can append after the other'
. "$(dirname "$0")/test-lib.sh"
. "$SHARNESS_TEST_SRCDIR/lib-accounts.sh"
pc_two_accounts pc

# as USER UMASK N: USER pushes a new commit to feature/sN and develop from
# its own clone, with UMASK, as alice (REMOTE_USER); stderr in err-USER.
as() {
	runuser -u "$1" -- env HOME="$PWD/home-$1" GIT_CONFIG_GLOBAL="$PWD/gitconfig" PATH="$PATH" sh -c '
		umask $1 &&
		cd "work-$0" &&
		git fetch -q origin &&
		git checkout -q -B feature/s$2 origin/develop &&
		echo "x: $2" >overlays/dev/s$2.yaml &&
		git add overlays/dev/s$2.yaml &&
		git commit -q -m "feat: s$2" &&
		REMOTE_USER=alice git push origin feature/s$2 HEAD:refs/heads/develop 2>"../home-$0/err" &&
		git fetch -q origin
	' "$1" "$2" "$3"
	status=$?
	cp "home-$1/err" "err-$1"
	return $status
}

mode() {
	stat -c "%a %G" "$1"
}

test_expect_success 'setup: a pattern2 server shared by group, the log in a setgid group directory, the key elsewhere' '
	echo "approvals: { self_approval: true }" >policy.extra &&
	pc_setup_server pattern2 &&
	printf "[safe]\n\tdirectory = *\n" >gitconfig &&
	mkdir keydir && chgrp "$G" keydir && chmod 750 keydir &&
	mv audit/audit.key keydir/ && chgrp "$G" keydir/audit.key && chmod 640 keydir/audit.key &&
	sed -i "s|key: audit/audit.key|key: $PWD/keydir/audit.key|; s|log: audit/audit.log|log: $PWD/audit/audit.log|" policy.yml &&
	policy-check install --policy policy.yml server.git >/dev/null &&
	rm -rf audit/audit.log audit/audit.log.* &&
	chgrp "$G" audit && chmod 2770 audit &&
	git -C server.git config core.sharedRepository group &&
	chgrp -R "$G" server.git && chmod -R g+rwX server.git &&
	find server.git -type d -exec chmod g+s {} + &&
	for u in $A $B; do
		git clone -q server.git work-$u && mkdir home-$u &&
		git -C work-$u config user.name "$u" && git -C work-$u config user.email "$u@example.com" &&
		chown -R $u work-$u home-$u || return 1
	done
'

test_expect_success 'the first account (umask 0077, as gitolite3 has) creates the shared files group-writable' '
	as $A 077 1 &&
	grep "policy-check: accepted refs/heads/develop" err-$A &&
	for f in audit/audit.log audit/audit.log.lock audit/audit.log.state audit/audit.log.intent; do
		test "$(mode $f)" = "660 $G" || { echo "$f: $(mode $f)"; return 1; }
	done &&
	test "$(stat -c %a audit/audit.log.checkpoint)" = 644
'

# (main and staging were created before the log was started afresh:
# reconcile lists them, and only them)
test_expect_success 'the second account (umask 0022) appends after it, and the first again after that' '
	as $B 022 2 &&
	grep "policy-check: accepted refs/heads/develop" err-$B &&
	test "$(stat -c %a audit/audit.log.checkpoint)" = 644 &&
	test "$(stat -c %U audit/audit.log.checkpoint)" = $B &&
	as $A 077 3 &&
	grep "policy-check: accepted refs/heads/develop" err-$A &&
	test "$(stat -c %a audit/audit.log.checkpoint)" = 644 &&
	test "$(stat -c %U audit/audit.log.checkpoint)" = $A &&
	test $(grep -c "\"decision\":\"accept\"" audit/audit.log) = 6 &&
	policy-check audit verify --strict --vkey audit/audit.vkey audit/audit.log 2>err &&
	test_must_be_empty err &&
	policy-check audit tiles audit/audit.log &&
	test "$(stat -c "%a %G" audit/audit.log.tiles/tile/0)" = "2775 $G" &&
	test_expect_code 1 policy-check audit reconcile --repo server.git audit/audit.log >out &&
	grep "refs/heads/main is at .*, but no accepted record sets it" out &&
	! grep "refs/heads/develop\|refs/heads/feature" out
'

test_expect_success 'a log the other account cannot write: the push is rejected with the file to fix' '
	test_when_finished "chmod 660 audit/audit.log" &&
	chmod 600 audit/audit.log &&
	test_must_fail as $B 022 4 &&
	grep "permission denied: fix owner or mode of $PWD/audit/audit.log" err-$B
'

test_expect_success 'in a group-writable directory without setgid, new files take the directory group' '
	rm -rf audit/audit.log audit/audit.log.* &&
	chmod 0770 audit && chmod g-s audit &&
	as $A 077 5 &&
	grep "policy-check: accepted refs/heads/develop" err-$A &&
	for f in audit/audit.log audit/audit.log.lock audit/audit.log.state audit/audit.log.intent; do
		test "$(mode $f)" = "660 $G" || { echo "$f: $(mode $f)"; return 1; }
	done &&
	as $B 022 6 &&
	grep "policy-check: accepted refs/heads/develop" err-$B &&
	policy-check audit verify --strict --vkey audit/audit.vkey audit/audit.log
'

test_done
