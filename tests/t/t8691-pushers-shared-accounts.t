#!/bin/sh
test_description='the first-pusher index of a repository shared by a group stays writable by every account, whatever its umask'
. "$(dirname "$0")/test-lib.sh"
. "$SHARNESS_TEST_SRCDIR/lib-accounts.sh"
pc_two_accounts px

# as USER UMASK N: USER pushes a new commit to feature/sN from its own
# clone, with UMASK, as alice (REMOTE_USER); stderr in err-USER.
as() {
	runuser -u "$1" -- env HOME="$PWD/home-$1" GIT_CONFIG_GLOBAL="$PWD/gitconfig" PATH="$PATH" sh -c '
		umask $1 &&
		cd "work-$0" &&
		git fetch -q origin &&
		git checkout -q -B feature/s$2 origin/develop &&
		echo "x: $2" >overlays/dev/s$2.yaml &&
		git add overlays/dev/s$2.yaml &&
		git commit -q -m "feat: s$2" &&
		REMOTE_USER=alice git push origin feature/s$2 2>"../home-$0/err"
	' "$1" "$2" "$3"
	status=$?
	cp "home-$1/err" "err-$1"
	return $status
}

mode() {
	stat -c "%a %G" "$1"
}

# every directory and file of the index: group-writable, in the group
index_shared() {
	px=server.git/policy-check &&
	test -d $px/pushers &&
	for f in $px $px/pushers; do
		test "$(mode $f)" = "2770 $G" || { echo "$f: $(mode $f)"; return 1; }
	done &&
	for f in $px/pushers.lock $px/pushers/*; do
		test "$(mode $f)" = "660 $G" || { echo "$f: $(mode $f)"; return 1; }
	done
}

test_expect_success 'setup: a pattern2 repository shared by a group (core.sharedRepository), the audit log too' '
	pc_setup_server pattern2 &&
	printf "[safe]\n\tdirectory = *\n" >gitconfig &&
	mkdir keydir && chgrp "$G" keydir && chmod 750 keydir &&
	mv audit/audit.key keydir/ && chgrp "$G" keydir/audit.key && chmod 640 keydir/audit.key &&
	sed -i "s|key: audit/audit.key|key: $PWD/keydir/audit.key|; s|log: audit/audit.log|log: $PWD/audit/audit.log|" policy.yml &&
	policy-check install --policy policy.yml server.git >/dev/null &&
	rm -rf audit/audit.log audit/audit.log.* server.git/policy-check &&
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

test_expect_success 'the first account (umask 0077) creates the index group-writable' '
	as $A 077 1 &&
	grep "policy-check: accepted refs/heads/feature/s1" err-$A &&
	index_shared
'

test_expect_success 'the second account (umask 0022) records its commits in it, and the first again after that' '
	as $B 022 2 &&
	grep "policy-check: accepted refs/heads/feature/s2" err-$B &&
	as $A 077 3 &&
	grep "policy-check: accepted refs/heads/feature/s3" err-$A &&
	index_shared &&
	for n in 1 2 3; do
		c=$(git -C server.git rev-parse refs/heads/feature/s$n) &&
		grep "^$c alice " server.git/policy-check/pushers/$(echo $c | cut -c1-2) || return 1
	done
'

test_expect_success 'an index file the other account cannot write: the push is rejected with the file to fix' '
	test_when_finished "chmod 660 server.git/policy-check/pushers.lock" &&
	chmod 600 server.git/policy-check/pushers.lock &&
	chown $A server.git/policy-check/pushers.lock &&
	test_must_fail as $B 022 4 &&
	grep "permission denied: fix owner or mode of .*server.git/policy-check/pushers.lock" err-$B
'

test_done
