#!/bin/sh
test_description='audit proof prints C2SP tlog-proofs that audit check-proof and an independent checker accept'
. "$(dirname "$0")/test-lib.sh"

append () {
	"$PC_BUILD_DIR/tests/helpers/pc-audit-append" --log audit.log --key k.key \
		--origin example.com/audit --no-sync "$@" >/dev/null
}

check () {
	policy-check audit check-proof --vkey k.vkey "$@"
}

test_expect_success 'setup: 13 records' '
	policy-check audit keygen --origin example.com/audit k >/dev/null 2>&1 &&
	policy-check audit keygen --origin example.com/audit other >/dev/null 2>&1 &&
	append --count 13 --number-refs &&
	cp audit.log.checkpoint thirteen.checkpoint
'

test_expect_success 'a proof has the tlog-proof layout and ends with the checkpoint verbatim' '
	policy-check audit proof --index 5 audit.log >p5 &&
	sed -n 1p p5 >actual && echo "c2sp.org/tlog-proof@v1" >expect && test_cmp expect actual &&
	sed -n 2p p5 | grep "^extra [A-Za-z0-9+/=]*$" &&
	sed -n 3p p5 >actual && echo "index 5" >expect && test_cmp expect actual &&
	sed -n "4,7p" p5 | grep -c "^[A-Za-z0-9+/]\{43\}=$" >count && echo 4 >expect && test_cmp expect count &&
	test "$(sed -n 8p p5)" = "" &&
	sed -n "9,\$p" p5 >actual && test_cmp audit.log.checkpoint actual &&
	sed -n 2p p5 | cut -d" " -f2 | base64 -d >record && echo >>record &&
	sed -n 6p audit.log >expect && test_cmp expect record
'

test_expect_success 'every record has a proof that check-proof accepts' '
	for i in $(test_seq 0 12); do
		policy-check audit proof --index $i audit.log >p &&
		check p >out &&
		grep "^record $i is in example.com/audit at tree size 13, root $(sed -n 3p audit.log.checkpoint)$" out &&
		sed -n "$((i + 1))p" audit.log >expect && sed -n 2p out >actual && test_cmp expect actual || return 1
	done
'

test_expect_success 'an independent checker (hashlib, openssl) accepts the proof' '
	python3 - k.vkey p5 <<-\PY
	import base64, hashlib, os, subprocess, sys, tempfile
	name, key_id, key = open(sys.argv[1]).read().strip().split("+", 2)
	pub = base64.b64decode(key)[1:]
	lines = open(sys.argv[2], "rb").read().split(b"\n")
	assert lines[0] == b"c2sp.org/tlog-proof@v1"
	record = base64.b64decode(lines[1][len(b"extra "):])
	index = int(lines[2][len(b"index "):])
	blank = lines.index(b"", 3)
	path = [base64.b64decode(l) for l in lines[3:blank]]
	note = b"\n".join(lines[blank + 1:])
	text, sigs = note[:note.rindex(b"\n\n") + 1], note[note.rindex(b"\n\n") + 2:]
	origin, size, root = text.decode().split("\n")[:3]
	size, root = int(size), base64.b64decode(root)
	sig = base64.b64decode(sigs.decode().split(" ")[2])
	assert sig[:4].hex() == key_id
	with tempfile.TemporaryDirectory() as d:
	    der = bytes.fromhex("302a300506032b6570032100") + pub
	    open(d + "/k.pem", "wb").write(b"-----BEGIN PUBLIC KEY-----\n" + base64.encodebytes(der) + b"-----END PUBLIC KEY-----\n")
	    open(d + "/m", "wb").write(text)
	    open(d + "/s", "wb").write(sig[4:])
	    subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", d + "/k.pem", "-rawin",
	                    "-in", d + "/m", "-sigfile", d + "/s"], check=True, stdout=subprocess.DEVNULL)
	# RFC 9162 section 2.1.3.2
	h = lambda b: hashlib.sha256(b).digest()
	fn, sn, r = index, size - 1, h(b"\0" + record)
	for p in path:
	    assert sn != 0
	    if fn & 1 or fn == sn:
	        r = h(b"\1" + p + r)
	        while not fn & 1 and fn != 0:
	            fn >>= 1; sn >>= 1
	    else:
	        r = h(b"\1" + r + p)
	    fn >>= 1; sn >>= 1
	assert sn == 0 and r == root, "inclusion proof does not verify"
	PY
'

test_expect_success 'check-proof takes the record from a file or stdin, and refuses another record' '
	sed -n 6p audit.log >rec5 &&
	check --record rec5 p5 >out &&
	grep "^record 5 is in example.com/audit" out &&
	! grep "^{" out &&
	check --record - p5 <rec5 >out &&
	grep "^record 5 is in" out &&
	sed -n 7p audit.log >rec6 &&
	test_expect_code 1 check --record rec6 p5 2>err &&
	grep "the record given is not the one the proof carries" err
'

test_expect_success 'a proof without its extra line needs --record, and then checks it' '
	sed 2d p5 >bare &&
	test_expect_code 2 check bare 2>err &&
	grep "give it with --record" err &&
	check --record rec5 bare >out &&
	grep "^record 5 is in" out &&
	test_expect_code 1 check --record rec6 bare 2>err &&
	grep "the inclusion proof does not verify: the record is not entry 5 of the tree signed at size 13" err
'

test_expect_success 'a changed hash, index or record in the proof is refused' '
	h=$(sed -n 5p p5) &&
	sed "5s|.*|$(sed -n 4p p5)|" p5 >bad &&
	test_expect_code 1 check bad 2>err &&
	grep "does not verify" err &&
	sed "3s/index 5/index 4/" p5 >bad &&
	test_expect_code 1 check bad 2>err &&
	grep "does not verify" err &&
	sed "2s|.*|extra $(sed -n 7p audit.log | tr -d "\n" | base64 -w0)|" p5 >bad &&
	test_expect_code 1 check bad 2>err &&
	grep "does not verify" err &&
	sed 4d p5 >bad &&
	test_expect_code 1 check bad
'

test_expect_success 'a proof is only as good as its checkpoint signature' '
	test_expect_code 1 policy-check audit check-proof --vkey other.vkey p5 2>err &&
	grep "the proof.s checkpoint: signed by another key named example.com/audit" err &&
	python3 - p5 bad <<-\PY &&
	import sys
	lines = open(sys.argv[1], "rb").read().split(b"\n")
	sig = lines[-2]
	i = len(sig) - 20
	lines[-2] = sig[:i] + (b"A" if sig[i:i + 1] != b"A" else b"B") + sig[i + 1:]
	open(sys.argv[2], "wb").write(b"\n".join(lines))
	PY
	! cmp -s p5 bad &&
	test_expect_code 1 check bad 2>err &&
	grep "does not verify: the note was modified" err
'

test_expect_success '--checkpoint requires the proof to be for the checkpoint the verifier holds' '
	check --checkpoint thirteen.checkpoint p5 >out &&
	append &&
	policy-check audit proof --index 5 audit.log >p5b &&
	test_expect_code 1 check --checkpoint thirteen.checkpoint p5b 2>err &&
	grep "the proof is for tree size 14, the checkpoint given is for size 13; ask for a proof against your checkpoint" err
'

test_expect_success 'malformed proofs are refused' '
	echo "not a proof" >bad &&
	test_expect_code 2 check bad 2>err && grep "the first line must be c2sp.org/tlog-proof@v1" err &&
	sed "3s/index 5/index 05/" p5 >bad &&
	test_expect_code 2 check bad 2>err && grep "index N" err &&
	sed "4s/.*/bm90IGEgaGFzaA==/" p5 >bad &&
	test_expect_code 2 check bad 2>err && grep "line 1 is not a base64 SHA-256 hash" err &&
	head -n 7 p5 >bad &&
	test_expect_code 2 check bad 2>err && grep "no blank line before the checkpoint" err
'

test_expect_success 'proof refuses an index outside the checkpoint and a record that does not match it' '
	test_expect_code 2 policy-check audit proof --index 14 audit.log 2>err &&
	grep "record 14 is not covered by the checkpoint (size 14)" err &&
	test_expect_code 2 policy-check audit proof --index -1 audit.log &&
	test_expect_code 2 policy-check audit proof --index x audit.log &&
	test_expect_code 2 policy-check audit proof audit.log &&
	cp audit.log saved.log &&
	sed -i "2s/main-1/main-X/" audit.log &&
	test_expect_code 1 policy-check audit proof --index 1 audit.log 2>err &&
	grep "warning: the tiles and the record found in the log do not prove record [0-9]* under the checkpoint: the proof is made from the whole log" err &&
	grep "audit.log does not match audit.log.checkpoint; run policy-check audit verify" err &&
	mv audit.log.tiles tiles.away &&
	test_expect_code 1 policy-check audit proof --index 0 audit.log 2>err &&
	grep "audit.log does not match audit.log.checkpoint; run policy-check audit verify" err &&
	mv tiles.away audit.log.tiles &&
	cp saved.log audit.log
'

test_done
