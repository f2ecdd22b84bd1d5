#!/bin/sh
test_description='the audit log keeps its tree as C2SP tlog tiles: written by each push, used for proofs only when they prove the record, checked by verify, rebuilt by audit tiles --rebuild'
. "$(dirname "$0")/test-lib.sh"

APPEND="$PC_BUILD_DIR/tests/helpers/pc-audit-append"
LOG=audit/audit.log

# push N: alice pushes a new commit to feature/u and develop (accepted).
push() {
	(
		cd work &&
		git checkout -q -B feature/u origin/develop &&
		pc_commit "overlays/dev/u$1.yaml" "x: $1" &&
		pc_push accept alice origin feature/u HEAD:refs/heads/develop
	)
}

signed_size() {
	sed -n 2p $LOG.checkpoint
}

# proofs_agree [INDEX...]: the proof of each record (all of them by default)
# is the same with the tiles and without them (from the log), and nothing
# is said on stderr.
proofs_agree() {
	n=$(signed_size) &&
	if test $# = 0; then set -- $(seq 0 $((n - 1))); fi &&
	for i in "$@"; do
		policy-check audit proof --index $i $LOG >with.$i 2>err.$i &&
		test_must_be_empty err.$i &&
		mv $LOG.tiles tiles.away &&
		policy-check audit proof --index $i $LOG >without.$i &&
		mv tiles.away $LOG.tiles &&
		test_cmp without.$i with.$i || return 1
	done
}

test_expect_success 'setup: a pattern2 server and three pushes' '
	echo "approvals: { self_approval: true }" >policy.extra &&
	pc_setup_server pattern2 &&
	push 1 && push 2 && push 3 &&
	pc_audit_verify
'

test_expect_success 'each push writes the tiles before its checkpoint: the partial tile of the signed size' '
	n=$(signed_size) &&
	test -f $LOG.tiles/tile/0/000.p/$n &&
	test $(wc -c <$LOG.tiles/tile/0/000.p/$n) = $((32 * n)) &&
	ls $LOG.tiles/tile/0/000.p >widths &&
	echo $n >expect &&
	test_cmp expect widths &&
	policy-check audit tiles $LOG >out &&
	grep "^the tiles of $n records match the log$" out
'

test_expect_success 'the proof of every record from the tiles is the one from the log, and checks' '
	proofs_agree &&
	policy-check audit check-proof --vkey audit/audit.vkey with.0 >out &&
	grep "^record 0 is in test.example/policy-check at tree size $(signed_size)" out
'

test_expect_success 'over several tiles and two levels: proofs agree for many sizes and indices' '
	"$APPEND" --log $LOG --key audit/audit.key --origin test.example/policy-check --count 3 --batch 100 \
		--no-sync --ref refs/heads/bulk &&
	push 4 &&
	"$APPEND" --log $LOG --key audit/audit.key --origin test.example/policy-check --count 2 --batch 77 \
		--no-sync --ref refs/heads/bulk &&
	n=$(signed_size) &&
	test -f $LOG.tiles/tile/0/000 && test -f $LOG.tiles/tile/1/000.p/1 &&
	proofs_agree 0 1 7 255 256 257 300 $((n - 2)) $((n - 1)) &&
	pc_audit_verify
'

test_expect_success 'python3: tile hashes are the RFC 6962 hashes of the lines (hashlib)' '
	if command -v python3 >/dev/null; then
		python3 - $LOG $(signed_size) <<-\PY
		import hashlib, sys
		log, n = sys.argv[1], int(sys.argv[2])
		lines = open(log, "rb").read().split(b"\n")[:n]
		leaf = [hashlib.sha256(b"\0" + l).digest() for l in lines]
		def mth(h):
		    if len(h) == 1:
		        return h[0]
		    k = 1
		    while k * 2 < len(h):
		        k *= 2
		    return hashlib.sha256(b"\1" + mth(h[:k]) + mth(h[k:])).digest()
		full = open(log + ".tiles/tile/0/000", "rb").read()
		assert full == b"".join(leaf[:256]), "tile/0/000 is not the first 256 leaf hashes"
		w = n % 256
		part = open(log + ".tiles/tile/0/001.p/%d" % w, "rb").read()
		assert part == b"".join(leaf[256:256 + w]), "the partial level-0 tile is not the leaf hashes"
		top = open(log + ".tiles/tile/1/000.p/1", "rb").read()
		assert top == mth(leaf[:256]), "tile/1/000.p/1 is not the root of the first 256 leaves"
		PY
	fi
'

test_expect_success 'a corrupted tile: the proof is made from the log and says so; verify names the tile' '
	printf "forged-hash-forged-hash-forged!!" | dd of=$LOG.tiles/tile/0/000 bs=32 seek=6 conv=notrunc 2>/dev/null &&
	policy-check audit proof --index 7 $LOG >proof 2>err &&
	test_cmp without.7 proof &&
	grep "warning: the tiles and the record found in the log do not prove record [0-9]* under the checkpoint: the proof is made from the whole log" err &&
	policy-check audit check-proof --vkey audit/audit.vkey proof >out &&
	grep "^record 7 is in" out &&
	test_expect_code 1 pc_audit_verify 2>err &&
	grep "audit.log.tiles/tile/0/000: does not match the log (it was modified); run policy-check audit tiles --rebuild" err &&
	test_expect_code 1 policy-check audit tiles $LOG 2>err &&
	grep "audit.log.tiles/tile/0/000: does not match the log" err
'

test_expect_success 'a corrupted partial tile: the push still signs the root of its own tree and leaves the tiles alone' '
	policy-check audit tiles --rebuild $LOG &&
	n=$(signed_size) && w=$((n % 256)) &&
	printf "forged-hash-forged-hash-forged!!" | dd of=$LOG.tiles/tile/0/001.p/$w bs=32 seek=1 conv=notrunc 2>/dev/null &&
	push 5 &&
	test -f $LOG.tiles/tile/0/001.p/$w &&
	! test -f $LOG.tiles/tile/0/001.p/$(( $(signed_size) % 256 )) &&
	pc_audit_verify >out 2>err &&
	grep "records verified" out &&
	grep "warning: .*audit.log.tiles: .* missing .*run policy-check audit tiles --rebuild" err &&
	policy-check audit proof --index 3 $LOG >proof 2>err &&
	policy-check audit check-proof --vkey audit/audit.vkey proof
'

test_expect_success 'deleted tiles: verify warns with the command, proofs read the log, audit tiles --rebuild restores them' '
	rm -rf $LOG.tiles &&
	push 6 &&
	! test -d $LOG.tiles &&
	pc_audit_verify 2>err &&
	grep "warning: .*audit.log.tiles: .* missing .*run policy-check audit tiles --rebuild .*audit.log" err &&
	policy-check audit proof --index 2 $LOG >proof 2>err &&
	test_must_be_empty err &&
	policy-check audit tiles --rebuild $LOG >out &&
	grep "^rebuilt the tiles of $(signed_size) records in $LOG.tiles$" out &&
	pc_audit_verify 2>err &&
	test_must_be_empty err &&
	proofs_agree 0 2 255 256 $(( $(signed_size) - 1 )) &&
	push 7 &&
	policy-check audit tiles $LOG
'

test_expect_success 'a tile directory replaced by a symbolic link: nothing is written through it' '
	mv $LOG.tiles/tile/0 elsewhere &&
	ln -s "$PWD/elsewhere" $LOG.tiles/tile/0 &&
	find elsewhere -type f | sort >before &&
	push 9 &&
	find elsewhere -type f | sort >after &&
	test_cmp before after &&
	pc_audit_verify 2>err &&
	grep "warning: .*audit.log.tiles" err &&
	rm $LOG.tiles/tile/0 && rm -rf elsewhere &&
	policy-check audit tiles --rebuild $LOG &&
	pc_audit_verify 2>err &&
	test_must_be_empty err
'

test_expect_success 'verify --checkpoint OLD --consistency-only proves the log grew, from the tiles' '
	cp $LOG.checkpoint saved.checkpoint &&
	push 8 &&
	policy-check audit verify --vkey audit/audit.vkey --checkpoint saved.checkpoint --consistency-only $LOG >out 2>err &&
	grep "^consistent with saved.checkpoint$" out &&
	test_must_be_empty err &&
	mv $LOG.tiles tiles.away &&
	policy-check audit verify --vkey audit/audit.vkey --checkpoint saved.checkpoint --consistency-only $LOG >out 2>err &&
	mv tiles.away $LOG.tiles &&
	grep "^consistent with saved.checkpoint$" out &&
	grep "warning: .*no tiles prove the consistency of the two checkpoints: checked against the log instead" err &&
	test_expect_code 2 policy-check audit verify --vkey audit/audit.vkey --consistency-only $LOG 2>err &&
	grep "consistency-only needs --checkpoint FILE" err
'

test_expect_success 'in a group-shared directory the tile directories take its group and stay group-writable' '
	mkdir shared &&
	if chgrp 4242 shared 2>/dev/null; then
		chmod 2770 shared &&
		(umask 077 && "$APPEND" --log shared/a.log --key audit/audit.key --origin test.example/policy-check \
			--count 2 --batch 200 --no-sync) &&
		for d in shared/a.log.tiles shared/a.log.tiles/tile shared/a.log.tiles/tile/0 shared/a.log.tiles/tile/0/001.p; do
			test "$(stat -c "%a %g" $d)" = "2775 4242" || { stat -c "%n %a %g" $d; return 1; }
		done &&
		test "$(stat -c %a shared/a.log.tiles/tile/0/000)" = 644
	fi
'

test_done
