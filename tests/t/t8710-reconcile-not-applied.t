#!/bin/sh
test_description='audit reconcile: an accept git did not apply, while the reference-transaction hook records, is explained'
. "$(dirname "$0")/test-lib.sh"

ZERO=0000000000000000000000000000000000000000
P1=11111111111111111111111111111111
P2=22222222222222222222222222222222

# append LOG [options]: a record about the server repository.
append () {
	log=$1 && shift &&
	"$PC_BUILD_DIR/tests/helpers/pc-audit-append" --log "$log" --key k.key \
		--origin example.com/audit --no-sync --repo "$REPO" --pusher alice "$@" >/dev/null
}

# copy_log NEW [FROM]: FROM.log (default base) with its checkpoint and
# anchor, to append to: a log without them is refused.
copy_log () {
	from=${2:-base} &&
	for f in "" .checkpoint .anchor; do
		cp $from.log$f $1.log$f || return 1
	done
}

# The trash directory has a space in its name: keep values in files.
load () {
	REPO=$(cd server.git && pwd -P) && A=$(cat A) && B=$(cat B) && C=$(cat C) &&
	a=$(echo $A | cut -c1-10) && b=$(echo $B | cut -c1-10) && c=$(echo $C | cut -c1-10)
}

reconcile () {
	policy-check audit reconcile --repo server.git "$@"
}

test_expect_success 'setup: main at A, pushed and committed; an accept of A..B with no transaction after it' '
	policy-check audit keygen --origin example.com/audit k >/dev/null 2>&1 &&
	git init -q --bare server.git &&
	git init -q work &&
	(cd work && for v in a b c; do echo $v >f && git add f && git commit -qm $v || return 1; done) &&
	git -C work rev-parse HEAD~2 >A && git -C work rev-parse HEAD~1 >B && git -C work rev-parse HEAD >C &&
	git -C work push -q ../server.git HEAD~2:refs/heads/main HEAD:refs/tmp/c &&
	git -C server.git update-ref -d refs/tmp/c &&
	load &&
	append base.log --hook pre-receive --push $P1 --ref refs/heads/main --old $ZERO --new $A --decision accept &&
	append base.log --plain --hook reference-transaction --ref refs/heads/main --old $ZERO --new $A --decision committed &&
	copy_log refused &&
	append refused.log --hook pre-receive --push $P2 --ref refs/heads/main --old $A --new $B --decision accept &&
	append refused.log --hook pre-receive --push $P2 --ref refs/heads/frozen --old $ZERO --new $B --decision accept
'

test_expect_success 'the refused updates are "accepted, not applied", in ref order, and exit 0' '
	load &&
	reconcile refused.log >out &&
	cat >expect <<-EXPECT &&
	refs/heads/frozen: accepted in refused.log:4 (push $P2) but not applied: the ref still does not exist; git or another hook refused it
	refs/heads/main: accepted in refused.log:3 (push $P2) but not applied: the ref is still at $a; git or another hook refused it
	every ref of server.git is explained by accepted records in refused.log
	EXPECT
	test_cmp expect out
'

test_expect_success 'the update hook accepting the same update again changes nothing' '
	load &&
	copy_log twice refused &&
	append twice.log --hook update --push $P2 --ref refs/heads/main --old $A --new $B --decision accept &&
	reconcile twice.log >out &&
	grep "^refs/heads/main: accepted in twice.log:5 (push $P2) but not applied: the ref is still at $a;" out
'

test_expect_success 'a ref at neither the value before the accept nor its new value stays a finding' '
	load &&
	git -C server.git update-ref refs/heads/main $C &&
	test_when_finished "git -C server.git update-ref refs/heads/main $A" &&
	test_expect_code 1 reconcile refused.log >out &&
	grep "^refs/heads/main is at $c, but its last accepted record (refused.log:3) leaves it at $b$" out &&
	! grep "^refs/heads/main: accepted" out
'

test_expect_success 'the pusher-chosen OLD of a refused accept explains nothing: a ref moved behind the hooks stays a finding' '
	load &&
	git -C server.git update-ref refs/heads/main $B &&
	test_when_finished "git -C server.git update-ref refs/heads/main $A" &&
	copy_log laundered &&
	append laundered.log --hook pre-receive --push $P2 --ref refs/heads/main --old $B --new $C --decision accept &&
	test_expect_code 1 reconcile laundered.log >out &&
	grep "^refs/heads/main is at $b, but its last accepted record (laundered.log:3) leaves it at $c$" out &&
	! grep "not applied" out
'

test_expect_success 'a created ref that exists after all is not "not applied"' '
	load &&
	git -C server.git update-ref refs/heads/frozen $A &&
	test_when_finished "git -C server.git update-ref -d refs/heads/frozen" &&
	test_expect_code 1 reconcile refused.log >out &&
	grep "^refs/heads/frozen is at $a, but its last accepted record (refused.log:4) leaves it at $b$" out
'

test_expect_success 'without any reference-transaction record, "not applied" cannot be told from "moved back": a finding' '
	load &&
	append nort.log --hook pre-receive --push $P1 --ref refs/heads/main --old $ZERO --new $A --decision accept &&
	append nort.log --hook pre-receive --push $P2 --ref refs/heads/main --old $A --new $B --decision accept &&
	test_expect_code 1 reconcile nort.log >out &&
	grep "^refs/heads/main is at $a, but its last accepted record (nort.log:2) leaves it at $b$" out &&
	! grep "not applied" out
'

test_expect_success 'an accept that git applied later in the log is no longer pending' '
	load &&
	copy_log applied refused &&
	append applied.log --plain --hook reference-transaction --ref refs/heads/main --old $A --new $B --decision committed &&
	git -C server.git update-ref refs/heads/main $B &&
	test_when_finished "git -C server.git update-ref refs/heads/main $A" &&
	reconcile applied.log >out &&
	! grep "^refs/heads/main" out &&
	grep "^refs/heads/frozen: accepted in applied.log:4" out
'

test_expect_success 'the logs verify' '
	for log in refused twice laundered nort applied; do
		policy-check audit verify --vkey k.vkey $log.log >/dev/null || return 1
	done
'

test_done
