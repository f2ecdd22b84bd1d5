#!/bin/sh
test_description='a lost, forged or replayed checkpoint never gets lines signed that the key did not write: LOG.anchor, fail closed, audit resign'
. "$(dirname "$0")/test-lib.sh"

# push N: alice pushes a new commit to feature/u and develop (accepted).
push() {
	(
		cd work &&
		git checkout -q -B feature/u origin/develop &&
		pc_commit "overlays/dev/u$1.yaml" "x: $1" &&
		pc_push accept alice origin feature/u HEAD:refs/heads/develop
	)
}

# forge SEQ: a well-formed record that nobody pushed: mallory's accept of a ref.
forge() {
	printf '{"v":1,"seq":%s,"time":"2026-01-01T00:00:00.000Z","hook":"pre-receive","repo":null,"push":"%s","pusher":"mallory","identity":"REMOTE_USER","ref":"refs/heads/forged","old":null,"new":"%s","op":"create","decision":"accept","dry_run":false,"break_glass":null,"reasons":[],"approvals":[],"policy":null,"codeowners":null}\n' \
		"$1" 0123456789abcdef0123456789abcdef 1111111111111111111111111111111111111111
}

signed_size() {
	sed -n 2p audit/audit.log.checkpoint
}

# records: the number of lines of the log
records() {
	wc -l <audit/audit.log
}

# The log was not changed since the auditor saved saved.checkpoint, only extended, and has no mallory.
auditor_ok() {
	policy-check audit verify --strict --vkey audit/audit.vkey --checkpoint saved.checkpoint audit/audit.log >out &&
	grep "consistent with saved.checkpoint" out &&
	! grep mallory audit/audit.log &&
	policy-check audit show audit/audit.log >out &&
	! grep mallory out
}

# fake_checkpoint FILE: a checkpoint of the whole of FILE (forged lines
# included) for the log's origin, with a signature line that is no signature.
fake_checkpoint() {
	python3 - "$1" "$(sed -n 1p audit/audit.log.checkpoint)" <<-\PY
	import base64, hashlib, sys
	lines = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
	def root(l):
	    if len(l) == 1:
	        return hashlib.sha256(b"\0" + l[0]).digest()
	    k = 1
	    while k * 2 < len(l):
	        k *= 2
	    return hashlib.sha256(b"\1" + root(l[:k]) + root(l[k:])).digest()
	o = sys.argv[2]
	sig = base64.b64encode(b"\0" * 68).decode()
	sys.stdout.write("%s\n%d\n%s\n\n\u2014 %s %s\n" % (o, len(lines), base64.b64encode(root(lines)).decode(), o, sig))
	PY
}

test_expect_success 'setup: a pattern2 server, one push, the auditor saves the checkpoint' '
	echo "approvals: { self_approval: true }" >policy.extra &&
	pc_setup_server pattern2 &&
	push 1 &&
	pc_audit_verify &&
	test -f audit/audit.log.anchor &&
	test "$(stat -c %a audit/audit.log.anchor)" = 644 &&
	cp audit/audit.log.checkpoint saved.checkpoint
'

test_expect_success 'forged lines, then the checkpoint deleted: the next push signs none of them and says why' '
	n=$(signed_size) &&
	forge $n >forged.line &&
	cat forged.line >>audit/audit.log &&
	rm audit/audit.log.checkpoint &&
	push 2 &&
	auditor_ok &&
	ls audit/audit.log.unsigned.* >moved &&
	test $(wc -l <moved) = 1 &&
	test_cmp forged.line "$(cat moved)" &&
	sed -n "$((n + 1))p" audit/audit.log >rec &&
	grep "\"op\":\"resign\",\"decision\":\"re-signed\"" rec &&
	grep "audit.log.checkpoint is missing: signed again the $n records that [^\"]*audit.log.anchor names as signed" rec &&
	sed -n "$((n + 2))p" audit/audit.log >rec &&
	grep "\"op\":\"quarantine\",\"decision\":\"quarantined\".*moved 1 line after the signed size $n .*1 not written by policy-check" rec &&
	policy-check audit show --decision re-signed audit/audit.log >out &&
	grep "signed again the $n records" out
'

test_expect_success 'a checkpoint whose text names forged lines but that the key did not sign counts for nothing' '
	rm -f audit/audit.log.unsigned.* &&
	n=$(signed_size) &&
	forge $n >>audit/audit.log &&
	fake_checkpoint audit/audit.log >audit/audit.log.checkpoint &&
	test "$(signed_size)" = $((n + 1)) &&
	push 3 &&
	auditor_ok &&
	test $(ls audit/audit.log.unsigned.* | wc -l) = 1 &&
	grep "audit.log.checkpoint is not valid: .*signed again the $n records that" audit/audit.log
'

test_expect_success 'without checkpoint and anchor a log with lines takes no push: the message names the files and the fix' '
	rm -f audit/audit.log.unsigned.* &&
	cp audit/audit.log before.log &&
	rm audit/audit.log.checkpoint audit/audit.log.anchor &&
	(
		cd work &&
		git checkout -q -B feature/u origin/develop &&
		pc_commit overlays/dev/u4.yaml "x: 4" &&
		pc_push reject alice origin feature/u HEAD:refs/heads/develop
	) &&
	grep "audit.log: no signed state to extend: .*audit.log.checkpoint is missing, and .*audit.log.anchor is missing" err &&
	grep "policy-check audit resign --key .*audit.key --origin .* .*audit/audit.log" err &&
	test_cmp before.log audit/audit.log &&
	! test -e audit/audit.log.checkpoint
'

test_expect_success 'audit resign re-signs the log as it is, after a record that says who and why' '
	n=$(records) &&
	o=$(sed -n 1p saved.checkpoint) &&
	policy-check audit resign --key audit/audit.key --origin "$o" --reason "checkpoint lost in a restore" \
		audit/audit.log >out &&
	grep "audit/audit.log: $((n + 1)) records signed" out &&
	sed -n "$((n + 1))p" audit/audit.log >rec &&
	grep "\"op\":\"resign\",\"decision\":\"re-signed\"" rec &&
	grep "re-signed all $n records as they are, by policy-check audit resign (run by $(id -un): checkpoint lost in a restore), because .*audit.log.checkpoint is missing, and .*audit.log.anchor is missing" rec &&
	auditor_ok &&
	push 4 &&
	auditor_ok
'

test_expect_success 'audit resign refuses a log whose checkpoint is valid, and usage errors exit 2' '
	o=$(sed -n 1p saved.checkpoint) &&
	cp audit/audit.log before.log &&
	test_expect_code 1 policy-check audit resign --key audit/audit.key --origin "$o" audit/audit.log 2>err &&
	grep "nothing to re-sign: .*audit.log.checkpoint is valid and the log extends it" err &&
	test_cmp before.log audit/audit.log &&
	test_expect_code 2 policy-check audit resign --origin "$o" audit/audit.log &&
	test_expect_code 2 policy-check audit resign --key audit/audit.key audit/audit.log
'

test_expect_success 'an older checkpoint put back alone: the anchor keeps the newer records signed' '
	cp audit/audit.log.checkpoint old.checkpoint &&
	cp audit/audit.log.anchor old.anchor &&
	old=$(signed_size) &&
	push 5 &&
	n=$(signed_size) &&
	cp audit/audit.log.checkpoint saved.checkpoint &&
	cp old.checkpoint audit/audit.log.checkpoint &&
	push 6 &&
	auditor_ok &&
	! ls audit/audit.log.unsigned.* 2>/dev/null &&
	grep "audit.log.checkpoint covers $old records, fewer than the $n that [^\"]*audit.log.anchor names as signed" audit/audit.log
'

test_expect_success 'an older checkpoint and anchor put back together: later records are moved aside, never signed again, and the auditor sees it' '
	old=$(sed -n 2p old.checkpoint) &&
	cp audit/audit.log.checkpoint saved.checkpoint &&
	cp old.checkpoint audit/audit.log.checkpoint &&
	cp old.anchor audit/audit.log.anchor &&
	push 7 &&
	sed -n "$((old + 1))p" audit/audit.log >rec &&
	grep "\"op\":\"quarantine\".*moved [0-9]* lines after the signed size $old .*not written by policy-check" rec &&
	test_expect_code 1 policy-check audit verify --vkey audit/audit.vkey --checkpoint saved.checkpoint audit/audit.log 2>err &&
	grep "audit.log.checkpoint (size [0-9]*) is older than saved.checkpoint (size [0-9]*): .* or the log was rolled back" err &&
	policy-check audit verify --strict --vkey audit/audit.vkey audit/audit.log
'

test_done
