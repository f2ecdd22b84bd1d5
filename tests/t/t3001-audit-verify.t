#!/bin/sh
test_description='audit verify checks the tree, the signed checkpoint and every record, and catches each kind of tampering'
. "$(dirname "$0")/test-lib.sh"

# git's test_line_count: test_line_count = N FILE
test_line_count () {
	test "$(wc -l <"$3")" "$1" "$2"
}

# Change one base64 character of a checkpoint's signature: character 50
# lies in the signature bytes, after the 4-byte key id.
corrupt_signature () {
	python3 - "$1" <<-\PY
	import sys
	lines = open(sys.argv[1], "rb").read().split(b"\n")
	name, sig = lines[4].rsplit(b" ", 1)
	c = b"A" if sig[50:51] != b"A" else b"B"
	lines[4] = name + b" " + sig[:50] + c + sig[51:]
	open(sys.argv[1], "wb").write(b"\n".join(lines))
	PY
}

append () {
	"$PC_BUILD_DIR/tests/helpers/pc-audit-append" --log audit.log --key k.key \
		--origin example.com/audit --no-sync "$@"
}

verify () {
	policy-check audit verify --vkey k.vkey "$@"
}

# Restore the untouched log of ten records before each tampering.
fresh () {
	cp good.log audit.log && cp good.checkpoint audit.log.checkpoint
}

test_expect_success 'setup: a key and ten records' '
	policy-check audit keygen --origin example.com/audit k >/dev/null 2>&1 &&
	policy-check audit keygen --origin example.com/audit attacker >/dev/null 2>&1 &&
	policy-check audit keygen --origin other.example/log other >/dev/null 2>&1 &&
	append --count 5 --pusher alice --number-refs &&
	cp audit.log.checkpoint five.checkpoint &&
	append --count 5 --pusher bob --number-refs &&
	test_line_count = 10 audit.log &&
	cp audit.log good.log && cp audit.log.checkpoint good.checkpoint
'

test_expect_success 'an intact log verifies and prints the signed size and root' '
	verify audit.log >out &&
	root=$(sed -n 3p audit.log.checkpoint) &&
	echo "10 records verified, root $root" >expect &&
	test_cmp expect out
'

test_expect_success 'the verifier key may be given inline instead of as a file' '
	verify audit.log >expect &&
	policy-check audit verify --vkey "$(cat k.vkey)" audit.log >out &&
	test_cmp expect out
'

test_expect_success 'the independent Python verifier accepts our checkpoint and tree' '
	python3 "$PC_SRC_DIR/contrib/verify-checkpoint.py" k.vkey audit.log >out &&
	grep "^OK: 10 records, root $(sed -n 3p audit.log.checkpoint)" out
'

test_expect_success 'our root equals the independent one for every size from 1 to 40' '
	mkdir sizes && (
		cd sizes &&
		for n in $(test_seq 1 40); do
			"$PC_BUILD_DIR/tests/helpers/pc-audit-append" --log l --key ../k.key \
				--origin example.com/audit --no-sync --ref "refs/heads/n$n" >/dev/null &&
			ours=$(policy-check audit verify --vkey ../k.vkey l | sed "s/.*root //") &&
			theirs=$(python3 "$PC_SRC_DIR/contrib/verify-checkpoint.py" ../k.vkey l | sed "s/.*root \([^,]*\),.*/\1/") &&
			test "$ours" = "$theirs" || return 1
		done
	)
'

test_expect_success 'an edited byte is caught: the root no longer matches' '
	fresh &&
	sed -i "3s/\"pusher\":\"alice\"/\"pusher\":\"alicf\"/" audit.log &&
	! cmp -s good.log audit.log &&
	test_expect_code 1 verify audit.log 2>err &&
	grep "audit.log: tree root of the first 10 records does not match the signed checkpoint" err &&
	test_must_fail python3 "$PC_SRC_DIR/contrib/verify-checkpoint.py" k.vkey audit.log
'

test_expect_success 'an edit that breaks the JSON names the line' '
	fresh &&
	sed -i "7s/\"v\":1,/\"v\":1,,/" audit.log &&
	test_expect_code 1 verify audit.log 2>err &&
	grep "audit.log:7: not a valid record: not JSON: column 8" err &&
	grep "tree root" err
'

test_expect_success 'a deleted line is caught at the line where the seq jumps' '
	fresh &&
	sed -i 4d audit.log &&
	test_expect_code 1 verify audit.log 2>err &&
	grep "audit.log:4: seq is 4, expected 3" err &&
	grep "has 9 records, but the signed checkpoint covers 10" err
'

test_expect_success 'an inserted line is caught' '
	fresh &&
	sed -i 5p audit.log &&
	test_expect_code 1 verify audit.log 2>err &&
	grep "audit.log:6: seq is 4, expected 5" err &&
	grep "tree root of the first 10 records does not match" err
'

test_expect_success 'two swapped lines are caught' '
	fresh &&
	sed -i -e "2{h;d}" -e "3G" audit.log &&
	test_line_count = 10 audit.log &&
	test_expect_code 1 verify audit.log 2>err &&
	grep "audit.log:2: seq is 2, expected 1" err
'

test_expect_success 'a truncated log is caught' '
	fresh &&
	head -n 7 good.log >audit.log &&
	test_expect_code 1 verify audit.log 2>err &&
	grep "audit.log: has 7 records, but the signed checkpoint covers 10: records were deleted or the log was truncated" err
'

test_expect_success 'a log truncated in the middle of a line is caught' '
	fresh &&
	head -c 1000 good.log >audit.log &&
	test_expect_code 1 verify audit.log 2>err &&
	grep "but the signed checkpoint covers 10" err &&
	grep "the final line has no newline" err
'

test_expect_success 'an older checkpoint put back is reported; --strict makes it an error' '
	fresh &&
	cp five.checkpoint audit.log.checkpoint &&
	verify audit.log >out 2>err &&
	grep "^5 records verified" out &&
	grep "warning: audit.log: 5 lines after the signed checkpoint (size 5) are not records: no signature covers them" err &&
	test_expect_code 1 verify --strict audit.log 2>err &&
	grep "5 lines after the signed checkpoint" err
'

test_expect_success 'an older checkpoint put back is an error against the checkpoint the auditor saved' '
	fresh &&
	cp five.checkpoint audit.log.checkpoint &&
	test_expect_code 1 verify --checkpoint good.checkpoint audit.log 2>err &&
	grep "audit.log.checkpoint (size 5) is older than good.checkpoint (size 10)" err
'

test_expect_success 'a saved older checkpoint proves the log only grew' '
	fresh &&
	verify --checkpoint five.checkpoint audit.log >out &&
	grep "^10 records verified" out &&
	grep "^consistent with five.checkpoint" out &&
	verify --checkpoint good.checkpoint audit.log >out &&
	grep "^consistent with good.checkpoint" out
'

test_expect_success 'history rewritten and re-signed with the real key is caught by the saved checkpoint' '
	fresh &&
	sed -i "2s/\"pusher\":\"alice\"/\"pusher\":\"mallory\"/" audit.log &&
	rm -f audit.log.checkpoint audit.log.state &&
	test_must_fail append --ref refs/heads/cover-up 2>err &&
	grep "do not match the root signed in audit.log.anchor" err &&
	policy-check audit resign --key k.key --origin example.com/audit audit.log >/dev/null &&
	append --ref refs/heads/cover-up >/dev/null &&
	verify audit.log >out &&
	grep "^12 records verified" out &&
	test_expect_code 1 verify --checkpoint five.checkpoint audit.log 2>err &&
	grep "the log is not consistent with five.checkpoint: its first 5 records changed" err
'

test_expect_success 'a log rewritten and re-signed with another key is caught' '
	fresh &&
	sed -i "3s/\"pusher\":\"alice\"/\"pusher\":\"mallory\"/" audit.log &&
	rm -f audit.log.checkpoint audit.log.state &&
	policy-check audit resign --key attacker.key --origin example.com/audit audit.log >/dev/null &&
	policy-check audit verify --vkey attacker.vkey audit.log &&
	test_expect_code 1 verify audit.log 2>err &&
	grep "audit.log.checkpoint: signed by another key named example.com/audit (key id [0-9a-f]*), not by the verifier key" err &&
	test_must_fail python3 "$PC_SRC_DIR/contrib/verify-checkpoint.py" k.vkey audit.log
'

test_expect_success 'a changed signature is caught' '
	fresh &&
	corrupt_signature audit.log.checkpoint &&
	! cmp -s good.checkpoint audit.log.checkpoint &&
	test_expect_code 1 verify audit.log 2>err &&
	grep "does not verify: the note was modified after it was signed" err
'

test_expect_success 'a changed checkpoint body is caught by its signature' '
	fresh &&
	sed -i "2s/10/9/" audit.log.checkpoint &&
	test_expect_code 1 verify audit.log 2>err &&
	grep "does not verify" err
'

test_expect_success 'a verifier key for another origin finds no signature' '
	fresh &&
	test_expect_code 1 policy-check audit verify --vkey other.vkey audit.log 2>err &&
	grep "not signed by other.example/log; the note is signed by: example.com/audit" err
'

test_expect_success 'a missing checkpoint fails verification' '
	fresh &&
	rm audit.log.checkpoint &&
	test_expect_code 1 verify audit.log 2>err &&
	grep "audit.log.checkpoint: cannot open" err
'

test_expect_success 'a line that is JSON but not a record is named' '
	fresh &&
	sed -i "8s/\"op\":\"update\",//" audit.log &&
	test_expect_code 1 verify audit.log 2>err &&
	grep "audit.log:8: not a valid record: record has 18 keys, expected 19" err
'

test_expect_success 'keys out of order are not a valid record' '
	fresh &&
	sed -i "9s/\"pusher\":\"bob\",\"identity\":null/\"identity\":null,\"pusher\":\"bob\"/" audit.log &&
	test_expect_code 1 verify audit.log 2>err &&
	grep "audit.log:9: not a valid record: record: key 7 must be \"pusher\"" err
'

test_expect_success 'usage errors and unreadable input exit 2' '
	fresh &&
	test_expect_code 2 policy-check audit verify audit.log &&
	test_expect_code 2 policy-check audit verify --vkey k.vkey &&
	test_expect_code 2 policy-check audit verify --vkey k.vkey --bogus audit.log &&
	test_expect_code 2 policy-check audit verify --vkey no-such.vkey audit.log 2>err &&
	grep "no-such.vkey: cannot open" err &&
	test_expect_code 2 policy-check audit verify --vkey "x+1234+AAAA" audit.log 2>err &&
	grep "key id must be 8 hex digits" err &&
	test_expect_code 2 verify no-such.log 2>err &&
	grep "no-such.log: cannot open" err
'

test_done
