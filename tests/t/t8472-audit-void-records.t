#!/bin/sh
test_description='void records, in every build: reconcile and show take a voided accept as no acceptance'
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

# The trash directory has a space in its name: keep values in files.
load () {
	REPO=$(cd server.git && pwd -P) && A=$(cat A) && B=$(cat B)
}

reconcile () {
	policy-check audit reconcile --repo server.git "$@"
}

# copy_log FROM TO: FROM.log with its checkpoint and anchor, to append to
# (a log without them is refused: its lines cannot be told from added ones).
copy_log () {
	for f in "" .checkpoint .anchor; do
		cp $1.log$f $2.log$f || return 1
	done
}

test_expect_success 'setup: main at A, pushed through the hooks; an accept of A..B that git never applied' '
	policy-check audit keygen --origin example.com/audit k >/dev/null 2>&1 &&
	git init -q --bare server.git &&
	git init -q work &&
	(cd work && echo a >f && git add f && git commit -qm a && echo b >f && git commit -qam b) &&
	git -C work rev-parse HEAD~1 >A && git -C work rev-parse HEAD >B &&
	git -C work push -q ../server.git HEAD~1:refs/heads/main &&
	load &&
	append base.log --hook pre-receive --push $P1 --ref refs/heads/main --old $ZERO --new $A --decision accept &&
	append base.log --plain --hook reference-transaction --ref refs/heads/main --old $ZERO --new $A --decision committed &&
	copy_log base unvoided &&
	append unvoided.log --hook pre-receive --push $P2 --ref refs/heads/main --old $A --new $B --decision accept &&
	reconcile unvoided.log >out &&
	grep "^refs/heads/main: accepted in unvoided.log:3 (push $P2) but not applied: the ref is still at" out
'

test_expect_success 'reconcile: a void record of that accept explains main at A' '
	load &&
	copy_log unvoided voided &&
	append voided.log --hook pre-receive --push $P2 --ref refs/heads/main --old $A --new $B --decision void &&
	reconcile voided.log >out &&
	grep "every ref of server.git is explained" out &&
	! grep "not applied" out
'

test_expect_success 'reconcile: a void of another push, ref or value voids nothing' '
	load &&
	n=0 &&
	for other in "--push $P1 --ref refs/heads/main --new $B" "--push $P2 --ref refs/heads/other --new $B" \
		"--push $P2 --ref refs/heads/main --new $A"; do
		n=$((n + 1)) &&
		copy_log unvoided other$n &&
		append other$n.log --hook pre-receive --old $A --decision void $other &&
		reconcile other$n.log >out &&
		grep "^refs/heads/main: accepted in other$n.log:3 (push $P2) but not applied" out ||
		return 1
	done
'

test_expect_success 'reconcile: a void from the reference-transaction hook voids nothing' '
	load &&
	copy_log unvoided rt &&
	append rt.log --plain --hook reference-transaction --push $P2 --ref refs/heads/main --old $A --new $B --decision void &&
	reconcile rt.log >out &&
	grep "^refs/heads/main: accepted in rt.log:3 (push $P2) but not applied" out
'

test_expect_success 'show: the voided accept is "accept (voided)", not an accept' '
	policy-check audit show voided.log >table &&
	grep "^2  .* refs/heads/main .* accept (voided) " table &&
	grep "^3  .* refs/heads/main .* void " table &&
	policy-check audit show --json --decision accept voided.log >accepts &&
	test $(wc -l <accepts) = 1 &&
	grep "\"push\":\"$P1\"" accepts &&
	policy-check audit show --json --decision voided voided.log >v &&
	test $(wc -l <v) = 1 &&
	grep "\"seq\":2,.*\"push\":\"$P2\".*\"decision\":\"accept\"" v &&
	policy-check audit show --json --decision void voided.log >vv &&
	grep "\"seq\":3,.*\"decision\":\"void\"" vv &&
	policy-check audit show --json --decision accept unvoided.log >accepts &&
	test $(wc -l <accepts) = 2
'

test_expect_success 'the logs verify, with policy-check and without' '
	policy-check audit verify --vkey k.vkey voided.log &&
	python3 "$PC_SRC_DIR/contrib/verify-checkpoint.py" k.vkey voided.log
'

test_done
