#!/bin/sh
test_description='hostile approval signatures: truncated, oversized, trailing data, wrong namespace, wrong algorithm for the key'
. "$(dirname "$0")/test-lib.sh"

H="$PC_BUILD_DIR/tests/helpers/pc-sshsig"
armor() {
	echo "-----BEGIN SSH SIGNATURE-----" &&
	base64 -w 70 &&
	echo "-----END SSH SIGNATURE-----"
}
dearmor() {
	sed '1d;$d' "$1" | base64 -d
}

# payload [TAGGER-TIME]: the approval of develop's commit for develop, as
# git tag -s writes it, without the signature.
payload() {
	printf "object %s\ntype commit\ntag approval\ntagger Bob <bob@example.com> %s +0000\n\npolicy-check approval v1\n\ntarget: refs/heads/develop\n" \
		"$commit" "${1:-1700000000}"
}

# push_approval accept|reject NAME SIGFILE [PAYLOAD]: the tag PAYLOAD
# (default payload) + SIGFILE pushed by bob as refs/approvals/<commit>/NAME,
# with pc_push; stderr in err.
push_approval() {
	cat "${4:-payload.txt}" "$3" >"tag.$2" &&
	id=$(git -C work hash-object -t tag -w --stdin <"tag.$2") &&
	(cd work && pc_push "$1" bob origin "$id:refs/approvals/$commit/$2")
}

# refused NAME SIGFILE MESSAGE: the approval is rejected, saying MESSAGE.
refused() {
	push_approval reject "$1" "$2" &&
	grep "remote: .*$3" err
}

test_expect_success 'setup: a commit on feature/a, bob signs its approval; dave has an ecdsa key' '
	pc_key dave ecdsa 256 &&
	pc_setup_server pattern2 &&
	(
		cd work &&
		git checkout -q -b feature/a origin/develop &&
		pc_commit overlays/dev/a.yaml "a: 1" &&
		REMOTE_USER=carol git push -q origin feature/a
	) &&
	commit=$(git -C work rev-parse feature/a) &&
	payload >payload.txt &&
	cp payload.txt p.bob && ssh-keygen -q -Y sign -n git -f keys/bob p.bob 2>/dev/null &&
	cp payload.txt p.file && ssh-keygen -q -Y sign -n file -f keys/bob p.file 2>/dev/null &&
	cp payload.txt p.dave && ssh-keygen -q -Y sign -n git -f keys/dave p.dave 2>/dev/null
'

test_expect_success 'the well-formed approval is accepted (the harness works)' '
	push_approval accept good p.bob.sig
'

test_expect_success 'armor without its END line' '
	sed "\$d" p.bob.sig >cut.sig &&
	refused cut cut.sig "no -----END SSH SIGNATURE----- line"
'

test_expect_success 'a blob cut short inside well-formed armor' '
	dearmor p.bob.sig | head -c 120 | armor >short.sig &&
	refused short short.sig "signature is truncated"
'

test_expect_success 'armor over 64 KiB is refused before it is decoded' '
	head -c 60000 /dev/urandom | armor >big.sig &&
	test $(wc -c <big.sig) -gt 65536 &&
	refused big big.sig "bad armor: the signature is [0-9]* bytes, more than the limit of 65536"
'

test_expect_success 'bytes after the blob, inside the armor' '
	"$H" rewrite p.bob.sig trailing "xyz" >trail.sig &&
	refused trail trail.sig "trailing data after the signature blob"
'

test_expect_success 'garbage after the END line' '
	{ cat p.bob.sig && echo garbage; } >garbage.sig &&
	refused garbage garbage.sig "trailing data after -----END SSH SIGNATURE-----"
'

test_expect_success 'a signature for namespace file, not git' '
	refused ns p.file.sig "signature namespace is .file., expected .git."
'

test_expect_success 'an ecdsa signature in a blob that names bob'\''s ed25519 key' '
	"$H" rewrite p.bob.sig sig p.dave.sig >mixed.sig &&
	refused mixed mixed.sig "wrong algorithm for the key"
'

test_expect_success 'a changed payload does not verify' '
	sed "s/develop$/main/" payload.txt >payload.main &&
	push_approval reject changed p.bob.sig payload.main &&
	grep "remote: .*the signature does not verify" err
'

test_expect_success 'a signed approval whose tagger time overflows 64 bits is still an approval' '
	# one approval per commit, target and approver: bob revokes the first
	(cd work && pc_push accept bob origin ":refs/approvals/$commit/good") &&
	payload 99999999999999999999999 >payload.huge &&
	cp payload.huge p.huge && ssh-keygen -q -Y sign -n git -f keys/bob p.huge 2>/dev/null &&
	push_approval accept huge p.huge.sig payload.huge
'

test_expect_success 'none of them was recorded as accepted; the log verifies' '
	for name in cut short big trail garbage ns mixed changed; do
		! grep "\"ref\":\"refs/approvals/$commit/$name\".*\"decision\":\"accept\"" audit/audit.log ||
		return 1
	done &&
	pc_audit_verify
'

test_done
