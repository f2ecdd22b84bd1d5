#!/bin/sh
test_description='lines added to the audit log without the key are never signed: the next push moves them aside and records it'
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

# leaf FILE: the RFC 6962 leaf hash of the one line of FILE (without its newline).
leaf() {
	python3 -c 'import hashlib,sys; d=open(sys.argv[1],"rb").read().rstrip(b"\n"); print(hashlib.sha256(b"\0"+d).hexdigest())' "$1"
}

test_expect_success 'setup: a pattern2 server, one push, the auditor saves the checkpoint' '
	echo "approvals: { self_approval: true }" >policy.extra &&
	pc_setup_server pattern2 &&
	push 1 &&
	pc_audit_verify &&
	cp audit/audit.log.checkpoint saved.checkpoint
'

test_expect_success 'a forged line after the signed size: verify warns (--strict fails), show and reconcile ignore it' '
	n=$(signed_size) &&
	forge $n >forged.line &&
	cat forged.line >>audit/audit.log &&
	pc_audit_verify >out 2>err &&
	grep "^$n records verified" out &&
	grep "warning: .*audit.log: 1 lines after the signed checkpoint (size $n) are not records: no signature covers them" err &&
	test_expect_code 1 policy-check audit verify --strict --vkey audit/audit.vkey audit/audit.log 2>err &&
	grep "1 lines after the signed checkpoint (size $n) are not records" err &&
	policy-check audit show audit/audit.log >out 2>err &&
	! grep mallory out &&
	grep "warning: .*audit.log: 1 lines after the signed size $n are not records (no signature covers them): not shown" err &&
	policy-check audit show --json --decision accept audit/audit.log >out &&
	! grep mallory out &&
	policy-check audit reconcile --repo server.git audit/audit.log &&
	for f in html csv json; do
		policy-check audit report --vkey audit/audit.vkey --format $f audit/audit.log >report.$f ||
			return 1
		! grep -e mallory -e refs/heads/forged report.$f || return 1
	done
'

test_expect_success 'the next push moves the forged line aside and records that, with its hash' '
	n=$(signed_size) &&
	push 2 &&
	! grep mallory audit/audit.log &&
	ls audit/audit.log.unsigned.* >moved &&
	test $(wc -l <moved) = 1 &&
	test_cmp forged.line "$(cat moved)" &&
	sha=$(sha256sum <forged.line | cut -d" " -f1) &&
	bytes=$(wc -c <forged.line) &&
	grep "^{\"v\":1,\"seq\":$n,\"time\":\"[^\"]*\",\"hook\":\"audit\",\"repo\":null,\"push\":null,\"pusher\":null,\"identity\":null,\"ref\":null,\"old\":null,\"new\":null,\"op\":\"quarantine\",\"decision\":\"quarantined\",\"dry_run\":false,\"break_glass\":null,\"reasons\":\[{\"rule\":\"internal\",\"message\":\"moved 1 line after the signed size $n ($bytes bytes with sha256:$sha) to [^\"]*audit.log.unsigned.[0-9T]*Z; 1 not written by policy-check (no authenticated intent names them)\"}\],\"approvals\":\[\],\"policy\":null,\"codeowners\":null}$" audit/audit.log &&
	policy-check audit show audit/audit.log >out &&
	grep "quarantined" out &&
	! grep mallory out &&
	policy-check audit reconcile --repo server.git audit/audit.log
'

test_expect_success 'against the checkpoint saved before: consistent, and the forged line is in no signed tree' '
	policy-check audit verify --strict --vkey audit/audit.vkey --checkpoint saved.checkpoint audit/audit.log >out &&
	grep "consistent with saved.checkpoint" out &&
	python3 "$PC_SRC_DIR/contrib/verify-checkpoint.py" audit/audit.vkey audit/audit.log &&
	f=$(leaf forged.line) &&
	i=0 && while read -r line; do
		printf "%s\n" "$line" >one.line &&
		test "$(leaf one.line)" != "$f" || { echo "line $i is the forged one"; return 1; }
		i=$((i + 1))
	done <audit/audit.log
'

test_expect_success 'an intent written without the key does not make a forged line ours' '
	rm -f audit/audit.log.unsigned.* &&
	n=$(signed_size) &&
	off=$(wc -c <audit/audit.log) &&
	forge $n >forged.line &&
	cat forged.line >>audit/audit.log &&
	printf "policy-check audit intent 1\nsize %s\noffset %s\nstands 1\nleaf %s\nmac %064d\n" \
		"$n" "$off" "$(leaf forged.line)" 0 >audit/audit.log.intent &&
	push 3 &&
	! grep mallory audit/audit.log &&
	test_cmp forged.line audit/audit.log.unsigned.* &&
	grep "\"decision\":\"quarantined\".*1 not written by policy-check" audit/audit.log &&
	pc_audit_verify
'

test_expect_success 'a real record line replayed, and a final line without newline: both moved aside' '
	rm -f audit/audit.log.unsigned.* &&
	n=$(signed_size) &&
	tail -n 1 audit/audit.log >replayed.line &&
	cat replayed.line >>audit/audit.log &&
	printf "{\"v\":1,\"seq\":" >>audit/audit.log &&
	push 4 &&
	cat replayed.line >expect && printf "{\"v\":1,\"seq\":" >>expect &&
	test_cmp expect audit/audit.log.unsigned.* &&
	grep "\"message\":\"moved 1 line and a final line without newline after the signed size $n " audit/audit.log &&
	! grep "\"decision\":\"repaired\"" audit/audit.log &&
	policy-check audit verify --strict --vkey audit/audit.vkey --checkpoint saved.checkpoint audit/audit.log &&
	policy-check audit reconcile --repo server.git audit/audit.log
'

test_expect_success 'an intent put back from an earlier append does not cover later lines' '
	rm -f audit/audit.log.unsigned.* &&
	cp audit/audit.log.intent old.intent &&
	push 5 &&
	n=$(signed_size) &&
	forge $n >forged.line &&
	cat forged.line >>audit/audit.log &&
	cp old.intent audit/audit.log.intent &&
	push 6 &&
	! grep mallory audit/audit.log &&
	test_cmp forged.line audit/audit.log.unsigned.* &&
	pc_audit_verify
'

test_done
