#!/bin/sh
test_description='many pushers at once: appends that wait for the audit lock queue their records, one append carries them (group commit), and nothing is accepted without its record signed on disk'
. "$(dirname "$0")/test-lib.sh"

LOCK=audit/audit.log.lock
PENDING=audit/audit.log.pending

# clones N: clones c1..cN of server.git, each with the branch feature/pI
clones() {
	i=1
	while test $i -le $1; do
		rm -rf c$i &&
		git clone -q server.git c$i &&
		git -C c$i checkout -q -b feature/p$i origin/develop || return 1
		i=$((i + 1))
	done
}

# pushes I K [VAR=VALUE...]: pusher I makes K commits and pushes each to
# feature/pI (as bob), alone; each result ("ok ID" or "fail ID") in out.I
pushes() {
	(
		cd c$1 &&
		k=$2 && who=$1 && shift 2 &&
		j=1 &&
		: >../out.$who &&
		while test $j -le $k; do
			f=p$who-$(git rev-parse --short HEAD) &&
			pc_commit "overlays/dev/$f.yaml" "x: $f" "feat: pusher $who push $j" &&
			id=$(git rev-parse HEAD) &&
			if env REMOTE_USER=bob "$@" git push -q origin HEAD:refs/heads/feature/p$who 2>../err.$who.$j
			then echo "ok $id" >>../out.$who
			else echo "fail $id" >>../out.$who
			fi
			j=$((j + 1))
		done
	)
}

# hold_lock: take the audit lock in the background until ./release exists
hold_lock() {
	rm -f release held &&
	flock "$LOCK" sh -c 'touch held; while test ! -f release; do sleep 0.05; done' >/dev/null 2>&1 &
	holder=$!
	wait_for held 1
}

release_lock() {
	touch release &&
	wait $holder
}

# wait_for GLOB N: until N files match GLOB (at most 60 s)
wait_for() {
	n=0
	while test $(ls -d $1 2>/dev/null | wc -l) -lt $2; do
		n=$((n + 1))
		if test $n -gt 1200; then
			echo "wait_for: $2 x $1 did not appear" && ls -la $(dirname "$1")
			return 1
		fi
		sleep 0.05
	done
}

# has_records ID REF: the log has exactly one pre-receive accept record and
# one reference-transaction committed record of REF to ID
has_records() {
	test $(grep -c "\"hook\":\"pre-receive\",.*\"ref\":\"$2\",\"old\":[^,]*,\"new\":\"$1\",\"op\":\"[a-z]*\",\"decision\":\"accept\"" audit/audit.log) = 1 &&
	test $(grep -c "\"hook\":\"reference-transaction\",.*\"ref\":\"$2\",\"old\":[^,]*,\"new\":\"$1\",\"op\":\"[a-z]*\",\"decision\":\"committed\"" audit/audit.log) = 1
}

# check_pushes I...: every push of pushers I... that was accepted has its
# records and left its branch there; echo the number of accepted pushes
check_pushes() {
	accepted=0
	for i in "$@"; do
		while read -r res id; do
			if test "$res" = ok; then
				has_records $id refs/heads/feature/p$i || { echo "no records of $id (pusher $i)" >&2; return 1; }
				accepted=$((accepted + 1))
			fi
		done <out.$i
		last=$(sed -n "s/^ok //p" out.$i | tail -n 1)
		if test -n "$last"; then
			test "$(git -C server.git rev-parse refs/heads/feature/p$i)" = "$last" || return 1
		fi
	done
	echo $accepted
}

strict_verify() {
	policy-check audit verify --strict --vkey audit/audit.vkey audit/audit.log
}

no_queue_left() {
	test -z "$(ls -A $PENDING 2>/dev/null)"
}

test_expect_success 'setup: a pattern2 server, 8 clones with a branch each' '
	pc_setup_server pattern2 &&
	clones 8
'

test_expect_success '8 pushers x 5 pushes at once: every push accepted, each with its records once, the log verifies' '
	records=$(wc -l <audit/audit.log) &&
	for i in 1 2 3 4 5 6 7 8; do
		pushes $i 5 &
	done &&
	wait &&
	cat out.* >all &&
	test $(grep -c "^ok " all) = 40 &&
	test $(check_pushes 1 2 3 4 5 6 7 8) = 40 &&
	test $(($(wc -l <audit/audit.log) - records)) = 80 &&
	strict_verify &&
	policy-check audit reconcile --repo server.git audit/audit.log &&
	no_queue_left
'

test_expect_success 'appends that find the lock taken queue their records, and one append carries them all' '
	records=$(wc -l <audit/audit.log) &&
	test_when_finished "touch release release2" &&
	hold_lock &&
	for i in 1 2 3 4; do
		pushes $i 1 &
	done &&
	wait_for "$PENDING/p*" 4 &&
	for f in $PENDING/p*; do
		test "$(stat -c %a "$f")" = 600 &&
		grep "^policy-check audit pending 1$" "$f" &&
		grep "^{\"v\":1,\"seq\":0,.*\"hook\":\"pre-receive\"" "$f" || return 1
	done &&
	release_lock &&
	wait &&
	test $(cat out.1 out.2 out.3 out.4 | grep -c "^ok ") = 4 &&
	test $(check_pushes 1 2 3 4) = 4 &&
	test $(($(wc -l <audit/audit.log) - records)) = 8 &&
	strict_verify &&
	no_queue_left
'

test_expect_success 'a queue whose writer is gone is removed, not appended, and so is what dead writers leave' '
	test_when_finished "touch release release2" &&
	hold_lock &&
	{ pushes 1 1 & p1=$!; } &&
	wait_for "$PENDING/p*" 1 &&
	q=$(ls $PENDING/p*) &&
	cp "$q" saved.queue &&
	release_lock &&
	wait $p1 &&
	grep -q "^ok " out.1 &&
	no_queue_left &&
	n=$(wc -l <audit/audit.log) &&
	cp saved.queue "$q" &&
	chmod 600 "$q" &&
	# and what writers that died leave: an answer without its queue, a queue never named
	echo stale >$PENDING/p00000000000000000000000000000000.done &&
	cp saved.queue $PENDING/.tmp-p11111111111111111111111111111111 &&
	chmod 600 $PENDING/.tmp-p11111111111111111111111111111111 &&
	(cd c2 && pc_commit overlays/dev/q.yaml q && PC_PUSH_ENV= pc_push accept bob origin HEAD:refs/heads/feature/p2) &&
	test $(($(wc -l <audit/audit.log) - n)) = 2 &&
	no_queue_left &&
	strict_verify
'

test_expect_success 'queues with a wrong HMAC or under another name are not appended, even with a waiting writer' '
	rm -f release2 &&
	p3n=$(grep -c "\"ref\":\"refs/heads/feature/p3\",.*\"decision\":\"accept\"" audit/audit.log) &&
	test_when_finished "touch release release2" &&
	hold_lock &&
	{ pushes 3 1 & p3=$!; } &&
	wait_for "$PENDING/p*" 1 &&
	q=$(ls $PENDING/p*) &&
	sed "s/\"decision\":\"accept\"/\"decision\":\"reject\"/" "$q" >forged &&
	! cmp -s forged "$q" &&
	# two more waiting writers, whose flocks this shell holds: a forged
	# queue, and a copy of the real one under another name
	f1=p0123456789abcdef0123456789abcdef f2=pfedcba9876543210fedcba9876543210 &&
	cp forged $PENDING/$f1 && cp "$q" $PENDING/$f2 && chmod 600 $PENDING/$f1 $PENDING/$f2 &&
	{ flock -s $PENDING/$f1 flock -s $PENDING/$f2 sh -c "while test ! -f release2; do sleep 0.05; done" >/dev/null 2>&1 & fake=$!; } &&
	n=$(wc -l <audit/audit.log) &&
	release_lock &&
	wait $p3 &&
	grep -q "^ok " out.3 &&
	test $(($(wc -l <audit/audit.log) - n)) = 2 &&
	test $(grep -c "\"ref\":\"refs/heads/feature/p3\",.*\"decision\":\"accept\"" audit/audit.log) = $((p3n + 1)) &&
	! grep "\"decision\":\"reject\"" audit/audit.log &&
	test -f $PENDING/$f1 && test -f $PENDING/$f2 &&
	touch release2 && wait $fake &&
	(cd c4 && pc_commit overlays/dev/q.yaml q && PC_PUSH_ENV= pc_push accept bob origin HEAD:refs/heads/feature/p4) &&
	test $(($(wc -l <audit/audit.log) - n)) = 4 &&
	no_queue_left &&
	strict_verify
'

# The crash cases need fault injection (configure --enable-fault-injection;
# contrib/test.sh does in _build-asan).
if grep -q "define PC_FAULT_INJECTION 1" "$PC_BUILD_DIR/config.h"; then
	test_set_prereq FAULT
fi

test_expect_success FAULT 'pre-receive killed while it carries queued records: its push is rejected, the others append theirs again' '
	records=$(wc -l <audit/audit.log) &&
	git -C server.git for-each-ref >refs.before &&
	test_when_finished "touch release release2" &&
	hold_lock &&
	for i in 5 6 7 8; do
		pushes $i 1 PC_AUDIT_TEST_CRASH_BATCH=pre-receive &
	done &&
	wait_for "$PENDING/p*" 4 &&
	release_lock &&
	wait &&
	# each leader that carried others died; the last one carried nobody
	test $(cat out.5 out.6 out.7 out.8 | grep -c "^fail ") = 3 &&
	test $(cat out.5 out.6 out.7 out.8 | grep -c "^ok ") = 1 &&
	test $(cat err.[5678].1 | grep -c "pre-receive died of signal 9") = 3 &&
	test $(check_pushes 5 6 7 8) = 1 &&
	# three batches moved aside: 4, 3 and 2 accept records (the quarantine
	# records of the two leaders that died after moving lines are in them)
	test $(ls audit/audit.log.unsigned.* | wc -l) = 3 &&
	test $(cat audit/audit.log.unsigned.* | grep -c "\"decision\":\"accept\"") = 9 &&
	test $(cat audit/audit.log.unsigned.* | grep -c "\"decision\":\"quarantined\"") = 2 &&
	test $(tail -n +$((records + 1)) audit/audit.log | grep -c "\"decision\":\"quarantined\"") = 1 &&
	# accept records of the rejected pushes are not in the signed log
	test $(tail -n +$((records + 1)) audit/audit.log | grep -c "\"decision\":\"accept\"") = 1 &&
	strict_verify &&
	policy-check audit reconcile --repo server.git audit/audit.log &&
	no_queue_left
'

test_expect_success FAULT 'reference-transaction killed while it carries queued records: the lines stand, and nobody appends them twice' '
	rm -f audit/audit.log.unsigned.* &&
	records=$(wc -l <audit/audit.log) &&
	mv server.git/hooks/reference-transaction server.git/hooks/rt.real &&
	cat >server.git/hooks/reference-transaction <<-EOF &&
	#!/bin/sh
	if test "\$1" = committed; then
		touch "$PWD/rt-waiting.\$\$"
		while test ! -f "$PWD/rt-go"; do sleep 0.05; done
	fi
	exec "\$(dirname "\$0")/rt.real" "\$@"
	EOF
	chmod +x server.git/hooks/reference-transaction &&
	rm -f rt-go rt-waiting.* &&
	for i in 1 2 3 4; do
		pushes $i 1 PC_AUDIT_TEST_CRASH_BATCH=reference-transaction &
	done &&
	wait_for "rt-waiting.*" 4 &&
	test_when_finished "touch release release2" &&
	hold_lock &&
	touch rt-go &&
	wait_for "$PENDING/p*" 4 &&
	release_lock &&
	wait &&
	mv server.git/hooks/rt.real server.git/hooks/reference-transaction &&
	# the one that carried the three others died; git had applied its update
	test $(cat err.[1234].1 | grep -c "reference-transaction died of signal 9") = 1 &&
	test $(cat out.1 out.2 out.3 out.4 | grep -c "^ok ") = 4 &&
	test $(check_pushes 1 2 3 4) = 4 &&
	test $(($(wc -l <audit/audit.log) - records)) = 8 &&
	! ls audit/audit.log.unsigned.* &&
	strict_verify &&
	policy-check audit reconcile --repo server.git audit/audit.log &&
	no_queue_left
'

test_done
