#!/bin/sh
test_description='audit reconcile finds ref changes that no accepted record explains'
. "$(dirname "$0")/test-lib.sh"

ZERO=0000000000000000000000000000000000000000
P=33333333333333333333333333333333

# append LOG [options]: a record about the server repository.
# A copy of base.log with its checkpoint and anchor, to append to: a log
# without them is refused (their lines cannot be told from added ones).
copy_log () {
	from=${2:-base} &&
	for f in "" .checkpoint .anchor; do
		cp $from.log$f $1.log$f || return 1
	done
}

append () {
	log=$1 && shift &&
	"$PC_BUILD_DIR/tests/helpers/pc-audit-append" --log "$log" --key k.key \
		--origin example.com/audit --no-sync --repo "$REPO" "$@" >/dev/null
}

# What git's hooks would log for a push of REF from OLD to NEW: the
# pre-receive decision, then what the reference-transaction hook saw.
pushed () {
	log=$1 ref=$2 old=$3 new=$4 &&
	append "$log" --hook pre-receive --ref "$ref" --old "$old" --new "$new" --decision accept &&
	append "$log" --plain --hook reference-transaction --ref "$ref" --old "$old" --new "$new" --decision committed
}

# The trash directory has a space in its name: keep values in files.
load () {
	REPO=$(cd server.git && pwd -P) && A=$(cat A) && B=$(cat B)
}

reconcile () {
	policy-check audit reconcile --repo server.git "$@"
}

test_expect_success 'setup: a bare repository with main pushed through the hooks' '
	policy-check audit keygen --origin example.com/audit k >/dev/null 2>&1 &&
	git init -q --bare server.git &&
	REPO=$(cd server.git && pwd -P) &&
	git init -q work &&
	(cd work && echo a >f && git add f && git commit -qm a && echo b >f && git commit -qam b) &&
	A=$(git -C work rev-parse HEAD~1) && B=$(git -C work rev-parse HEAD) &&
	git -C work push -q ../server.git HEAD~1:refs/heads/main HEAD:refs/tmp/b &&
	git -C server.git update-ref -d refs/tmp/b &&
	pushed base.log refs/heads/main $ZERO $A &&
	echo $A >A && echo $B >B
'

test_expect_success 'every ref explained: exit 0' '
	load &&
	reconcile base.log >out &&
	grep "every ref of server.git is explained by accepted records in base.log" out
'

test_expect_success 'a ref moved with git update-ref on the server is reported' '
	load &&
	copy_log moved &&
	git -C server.git update-ref refs/heads/main $B &&
	test_when_finished "git -C server.git update-ref refs/heads/main $A" &&
	test_expect_code 1 reconcile moved.log >out &&
	echo "refs/heads/main is at $(echo $B | cut -c1-10), but its last accepted record (moved.log:1) leaves it at $(echo $A | cut -c1-10)" >expect &&
	test_cmp expect out
'

test_expect_success 'the committed record that update-ref caused is reported too' '
	load &&
	copy_log bypass &&
	append bypass.log --plain --hook reference-transaction --ref refs/heads/main --old $A --new $B &&
	git -C server.git update-ref refs/heads/main $B &&
	test_when_finished "git -C server.git update-ref refs/heads/main $A" &&
	test_expect_code 1 reconcile bypass.log >out &&
	grep "^bypass.log:3: refs/heads/main was committed $(echo $A | cut -c1-10)..$(echo $B | cut -c1-10) with no accepted decision before it$" out &&
	grep "^refs/heads/main is at $(echo $B | cut -c1-10), but its last accepted record (bypass.log:1)" out
'

test_expect_success 'a later accepted push explains the ref again; the bypass stays on record' '
	load &&
	copy_log later bypass &&
	pushed later.log refs/heads/main $B $A &&
	test_expect_code 1 reconcile later.log >out &&
	test "$(wc -l <out)" = 1 &&
	grep "later.log:3: refs/heads/main was committed" out
'

test_expect_success 'a rejected or aborted update does not explain a change' '
	load &&
	copy_log rejected &&
	append rejected.log --hook pre-receive --ref refs/heads/main --old $A --new $B --reason "protect:no" &&
	reconcile rejected.log &&
	copy_log aborted &&
	append aborted.log --hook pre-receive --ref refs/heads/main --old $A --new $B --decision accept &&
	append aborted.log --plain --hook reference-transaction --ref refs/heads/main --old $A --new $B --decision aborted &&
	reconcile aborted.log &&
	copy_log unfinished &&
	append unfinished.log --hook update --push $P --ref refs/heads/main --old $A --new $B --decision accept &&
	reconcile unfinished.log >out &&
	grep "^refs/heads/main: accepted in unfinished.log:3 (push $P) but not applied: the ref is still at $(echo $A | cut -c1-10);" out &&
	copy_log moved-unfinished unfinished &&
	git -C server.git update-ref -d refs/heads/main &&
	test_when_finished "git -C server.git update-ref refs/heads/main $A" &&
	test_expect_code 1 reconcile moved-unfinished.log >out &&
	grep "^refs/heads/main does not exist, but its last accepted record (moved-unfinished.log:3) leaves it at" out &&
	! grep "not applied" out
'

test_expect_success 'a ref created behind the hook is reported' '
	load &&
	copy_log created &&
	git -C server.git update-ref refs/heads/side $A &&
	test_when_finished "git -C server.git update-ref -d refs/heads/side" &&
	test_expect_code 1 reconcile created.log >out &&
	grep "^refs/heads/side is at $(echo $A | cut -c1-10), but no accepted record sets it$" out
'

test_expect_success 'a ref deleted behind the hook is reported; an accepted deletion explains it' '
	load &&
	copy_log deleted &&
	pushed deleted.log refs/heads/gone $ZERO $A &&
	test_expect_code 1 reconcile deleted.log >out &&
	grep "^refs/heads/gone does not exist, but its last accepted record (deleted.log:3) leaves it at $(echo $A | cut -c1-10)$" out &&
	pushed deleted.log refs/heads/gone $A $ZERO &&
	reconcile deleted.log
'

test_expect_success 'the nothing-to-nothing transaction of a deletion, as older hooks logged it, changes nothing' '
	load &&
	copy_log packed &&
	pushed packed.log refs/heads/gone $ZERO $A &&
	append packed.log --hook pre-receive --ref refs/heads/gone --old $A --new $ZERO --decision accept &&
	append packed.log --plain --hook reference-transaction --ref refs/heads/gone --old $ZERO --new $ZERO --decision aborted &&
	append packed.log --plain --hook reference-transaction --ref refs/heads/gone --old $A --new $ZERO --decision committed &&
	reconcile packed.log
'

test_expect_success 'approval refs count like any other ref' '
	load &&
	git -C server.git update-ref refs/approvals/$A/bob $A &&
	test_when_finished "git -C server.git update-ref -d refs/approvals/$A/bob" &&
	copy_log approvals &&
	test_expect_code 1 reconcile approvals.log >out &&
	grep "^refs/approvals/$A/bob is at" out &&
	pushed approvals.log refs/approvals/$A/bob $ZERO $A &&
	reconcile approvals.log
'

test_expect_success 'records of other repositories sharing the log are ignored' '
	load &&
	copy_log shared &&
	REPO=/srv/git/another.git append shared.log --plain --hook reference-transaction \
		--ref refs/heads/main --old $A --new $B &&
	REPO=/srv/git/another.git append shared.log --hook pre-receive --ref refs/heads/x --new $B --decision accept &&
	reconcile shared.log
'

test_expect_success 'the repository may be named through a symbolic link or a trailing slash' '
	load &&
	ln -s server.git link.git &&
	copy_log link &&
	REPO="$(pwd)/link.git/" pushed link.log refs/heads/other $ZERO $A &&
	git -C server.git update-ref refs/heads/other $A &&
	test_when_finished "git -C server.git update-ref -d refs/heads/other" &&
	reconcile link.log &&
	policy-check audit reconcile --repo link.git link.log
'

test_expect_success 'errors exit 2' '
	test_expect_code 2 policy-check audit reconcile --repo nowhere base.log 2>err &&
	grep "nowhere: not a git repository" err &&
	test_expect_code 2 reconcile missing.log 2>err &&
	grep "missing.log: cannot open" err &&
	test_expect_code 2 policy-check audit reconcile base.log
'

test_done
