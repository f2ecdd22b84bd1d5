#!/bin/sh
test_description='SSH signatures: real keys and signatures from ssh-keygen and git, checked against ssh-keygen as an oracle'
. "$(dirname "$0")/test-lib.sh"

# test-lib.sh sets GIT_CONFIG_GLOBAL=/dev/null and then writes to it with
# git config --global; run as root, git's lock-and-rename replaces the
# device with a regular file, whose contents (anything sent to /dev/null
# since) git then fails to parse.  Keep a config file of our own.
GIT_CONFIG_GLOBAL="$PWD/.gitconfig"
export GIT_CONFIG_GLOBAL
git config --global init.defaultBranch main

H="$PC_BUILD_DIR/tests/helpers/pc-sshsig"
TYPES="ed25519 ecdsa256 ecdsa384 ecdsa521 rsa3072"

# Re-armor binary blob data from stdin the way ssh-keygen does.
armor() {
	echo "-----BEGIN SSH SIGNATURE-----" &&
	base64 -w 70 &&
	echo "-----END SSH SIGNATURE-----"
}
dearmor() {
	sed '1d;$d' "$1" | base64 -d
}
# ssh-keygen timestamp YYYYMMDDHHMMSS (UTC) -> seconds since the epoch
epoch() {
	date -u -d "$(echo "$1" | sed -E 's/^(....)(..)(..)(..)(..)(..)$/\1-\2-\3 \4:\5:\6/')" +%s
}

test_expect_success 'setup: one key of each type, each signing the same message' '
	ssh-keygen -q -t ed25519 -N "" -C ed25519 -f ed25519 &&
	ssh-keygen -q -t ecdsa -b 256 -N "" -C ecdsa256 -f ecdsa256 &&
	ssh-keygen -q -t ecdsa -b 384 -N "" -C ecdsa384 -f ecdsa384 &&
	ssh-keygen -q -t ecdsa -b 521 -N "" -C ecdsa521 -f ecdsa521 &&
	ssh-keygen -q -t rsa -b 3072 -m PEM -N "" -C rsa3072 -f rsa3072 &&
	ssh-keygen -q -t ed25519 -N "" -C other -f other &&
	printf "policy-check approval v1\n\ntarget: refs/heads/main\n" >msg &&
	for t in $TYPES other; do
		cp msg msg.$t &&
		ssh-keygen -q -Y sign -n git -f $t msg.$t 2>/dev/null &&
		test -s msg.$t.sig || return 1
	done
'

for t in $TYPES; do
	test_expect_success "a $t signature verifies and names its signer" '
		"$H" verify $t.pub git msg msg.$t.sig >out &&
		ssh-keygen -lf $t.pub | cut -d" " -f2 >expect &&
		test_cmp expect out &&
		ssh-keygen -Y check-novalidate -n git -s msg.$t.sig <msg
	'

	test_expect_success "$t: the fingerprint is the one ssh-keygen -lf prints" '
		"$H" fingerprint $t.pub | cut -d" " -f1 >out &&
		ssh-keygen -lf $t.pub | cut -d" " -f2 >expect &&
		test_cmp expect out
	'

	test_expect_success "$t: a changed message is a bad signature" '
		printf "x" | cat msg - >msg.changed &&
		test_expect_code 1 "$H" verify $t.pub git msg.changed msg.$t.sig 2>err &&
		grep "^bad signature: it does not match the signed data" err &&
		test_must_fail ssh-keygen -Y check-novalidate -n git -s msg.$t.sig <msg.changed
	'

	test_expect_success "$t: one changed bit in the signature is a bad signature" '
		"$H" rewrite msg.$t.sig flip - >flipped.sig &&
		! cmp msg.$t.sig flipped.sig &&
		test_expect_code 1 "$H" verify $t.pub git msg flipped.sig 2>err &&
		grep "^bad signature" err &&
		test_must_fail ssh-keygen -Y check-novalidate -n git -s flipped.sig <msg
	'
done

test_expect_success 'the rewrite helper changes nothing when asked to append nothing' '
	"$H" rewrite msg.ed25519.sig trailing "" >same.sig &&
	test_cmp msg.ed25519.sig same.sig
'

test_expect_success 'a signature for namespace file is refused for git' '
	cp msg msg.file &&
	ssh-keygen -q -Y sign -n file -f ed25519 msg.file 2>/dev/null &&
	test_expect_code 1 "$H" verify ed25519.pub git msg msg.file.sig 2>err &&
	echo "signature namespace is '\''file'\'', expected '\''git'\''" >expect &&
	test_cmp expect err &&
	"$H" verify ed25519.pub file msg msg.file.sig
'

test_expect_success 'a good signature by another key than the expected one is refused' '
	test_expect_code 1 "$H" verify ed25519.pub git msg msg.other.sig 2>err &&
	grep "^signed by SHA256:.*, not by the expected key SHA256:" err
'

test_expect_success 'another key put into the blob does not carry the signature' '
	"$H" rewrite msg.ed25519.sig key other.pub >swapped.sig &&
	test_expect_code 1 "$H" verify other.pub git msg swapped.sig 2>err &&
	grep "^bad signature: .* ssh-ed25519 key $("$H" fingerprint other.pub | cut -d" " -f1)" err &&
	test_must_fail ssh-keygen -Y check-novalidate -n git -s swapped.sig <msg
'

test_expect_success 'an ecdsa signature in an ed25519 blob is the wrong algorithm for the key' '
	"$H" rewrite msg.ed25519.sig sig msg.ecdsa256.sig >mixed.sig &&
	test_expect_code 1 "$H" verify ed25519.pub git msg mixed.sig 2>err &&
	grep "^wrong algorithm for the key: a signature of type '\''ecdsa-sha2-nistp256'\'' cannot come from an ssh-ed25519 key" err
'

test_expect_success 'an ecdsa-sha2-nistp384 signature from a nistp256 key is the wrong algorithm' '
	"$H" rewrite msg.ecdsa256.sig sigtype ecdsa-sha2-nistp384 >mixed.sig &&
	test_expect_code 1 "$H" verify ecdsa256.pub git msg mixed.sig 2>err &&
	grep "^wrong algorithm for the key" err
'

test_expect_success 'armor without its END line is truncated' '
	sed "\$d" msg.ed25519.sig >cut.sig &&
	test_expect_code 1 "$H" verify ed25519.pub git msg cut.sig 2>err &&
	grep "^bad armor: no -----END SSH SIGNATURE----- line (the signature is truncated)" err
'

test_expect_success 'a blob cut short inside well-formed armor is truncated' '
	dearmor msg.ed25519.sig | head -c 120 | armor >short.sig &&
	test_expect_code 1 "$H" verify ed25519.pub git msg short.sig 2>err &&
	grep "^signature is truncated: it ends inside the signature" err &&
	dearmor msg.ed25519.sig | head -c 30 | armor >short.sig &&
	test_expect_code 1 "$H" verify ed25519.pub git msg short.sig 2>err &&
	grep "^signature is truncated: it ends inside the public key" err
'

test_expect_success 'garbage after the END line is refused' '
	{ cat msg.ed25519.sig && echo "garbage"; } >trail.sig &&
	test_expect_code 1 "$H" verify ed25519.pub git msg trail.sig 2>err &&
	grep "^bad armor: 8 bytes of trailing data after -----END SSH SIGNATURE-----" err
'

test_expect_success 'bytes after the blob (inside the armor) are trailing data' '
	"$H" rewrite msg.ed25519.sig trailing "xyz" >trail.sig &&
	test_expect_code 1 "$H" verify ed25519.pub git msg trail.sig 2>err &&
	grep "^signature: 3 bytes of trailing data after the signature blob" err &&
	test_must_fail ssh-keygen -Y check-novalidate -n git -s trail.sig <msg
'

test_expect_success 'bytes after the signature bytes (inside the signature field) are trailing data' '
	"$H" rewrite msg.rsa3072.sig sigtrailing "x" >trail.sig &&
	test_expect_code 1 "$H" verify rsa3072.pub git msg trail.sig 2>err &&
	grep "^signature: 1 bytes of trailing data after the signature bytes" err
'

test_expect_success 'a character outside base64 is refused with its place' '
	sed "2s/^./*/" msg.ed25519.sig >bad64.sig &&
	test_expect_code 1 "$H" verify ed25519.pub git msg bad64.sig 2>err &&
	grep "^bad armor: line 2 has a character that is not base64 (0x2a at column 1)" err
'

test_expect_success 'base64 of an impossible length is refused' '
	sed "2s/^.//" msg.ed25519.sig >bad64.sig &&
	test_expect_code 1 "$H" verify ed25519.pub git msg bad64.sig 2>err &&
	grep "^bad armor: the base64 data is invalid" err
'

test_expect_success 'oversized armor is refused before it is decoded' '
	head -c 60000 /dev/zero | armor >big.sig &&
	test_expect_code 1 "$H" verify ed25519.pub git msg big.sig 2>err &&
	grep "^bad armor: the signature is [0-9]* bytes, more than the limit of 65536" err
'

test_expect_success 'garbage that is not armor at all' '
	head -c 300 /dev/urandom >garbage.sig &&
	test_expect_code 1 "$H" verify ed25519.pub git msg garbage.sig 2>err &&
	grep "^bad armor: the signature does not start with -----BEGIN SSH SIGNATURE-----" err &&
	head -c 300 /dev/urandom | armor >garbage.sig &&
	test_expect_code 1 "$H" verify ed25519.pub git msg garbage.sig 2>err &&
	grep "^not an SSH signature" err
'

test_expect_success 'version 2, an unknown hash and an empty namespace are refused' '
	"$H" rewrite msg.ed25519.sig version 2 >v2.sig &&
	test_expect_code 1 "$H" verify ed25519.pub git msg v2.sig 2>err &&
	grep "^unsupported signature version 2 (only version 1 is supported)" err &&
	test_must_fail ssh-keygen -Y check-novalidate -n git -s v2.sig <msg &&
	"$H" rewrite msg.ed25519.sig hashalg sha1 >h.sig &&
	test_expect_code 1 "$H" verify ed25519.pub git msg h.sig 2>err &&
	grep "^unsupported hash algorithm '\''sha1'\'' (sha256 or sha512)" err &&
	"$H" rewrite msg.ed25519.sig namespace "" >ns.sig &&
	test_expect_code 1 "$H" verify ed25519.pub git msg ns.sig 2>err &&
	grep "^signature: the namespace is empty" err
'

test_expect_success 'setup: RSA signatures made with openssl over the SSHSIG signed data' '
	openssl rsa -in rsa3072 -pubout -out rsa3072.pem 2>/dev/null &&
	"$H" signed-data git "" sha512 msg >signed-data &&
	openssl dgst -sha1 -sign rsa3072 -out raw.sha1 signed-data &&
	openssl dgst -sha256 -sign rsa3072 -out raw.sha256 signed-data &&
	"$H" assemble rsa3072.pub git "" sha512 ssh-rsa raw.sha1 >sha1.sig &&
	"$H" assemble rsa3072.pub git "" sha512 rsa-sha2-256 raw.sha256 >sha256.sig
'

test_expect_success 'the construction is sound: rsa-sha2-256 made this way verifies' '
	"$H" verify rsa3072.pub git msg sha256.sig &&
	ssh-keygen -Y check-novalidate -n git -s sha256.sig <msg
'

test_expect_success 'an ssh-rsa (SHA-1) signature is refused although it is mathematically valid' '
	openssl dgst -sha1 -verify rsa3072.pem -signature raw.sha1 signed-data &&
	test_expect_code 1 "$H" verify rsa3072.pub git msg sha1.sig 2>err &&
	grep "^refusing an ssh-rsa signature: it is made with SHA-1, which is broken" err &&
	test_must_fail ssh-keygen -Y check-novalidate -n git -s sha1.sig <msg 2>err &&
	grep "unsupported RSA signature algorithm ssh-rsa" err
'

test_expect_success 'an RSA signature shorter than the modulus is rejected as bad, not misread' '
	head -c 100 raw.sha256 >raw.short &&
	"$H" assemble rsa3072.pub git "" sha512 rsa-sha2-256 raw.short >short.sig &&
	test_expect_code 1 "$H" verify rsa3072.pub git msg short.sig 2>err &&
	grep "^bad signature" err
'

test_expect_success 'the reserved field is ignored the way ssh-keygen ignores it' '
	"$H" assemble rsa3072.pub git "future" sha512 rsa-sha2-256 raw.sha256 >res.sig &&
	"$H" verify rsa3072.pub git msg res.sig &&
	ssh-keygen -Y check-novalidate -n git -s res.sig <msg &&
	"$H" signed-data git "future" sha512 msg >signed-data.res &&
	openssl dgst -sha256 -sign rsa3072 -out raw.res signed-data.res &&
	"$H" assemble rsa3072.pub git "future" sha512 rsa-sha2-256 raw.res >res2.sig &&
	test_expect_code 1 "$H" verify rsa3072.pub git msg res2.sig 2>err &&
	grep "^bad signature" err &&
	test_must_fail ssh-keygen -Y check-novalidate -n git -s res2.sig <msg
'

test_expect_success 'a sha256 message hash verifies too' '
	"$H" signed-data git "" sha256 msg >signed-data.256 &&
	openssl dgst -sha512 -sign rsa3072 -out raw.256 signed-data.256 &&
	"$H" assemble rsa3072.pub git "" sha256 rsa-sha2-512 raw.256 >h256.sig &&
	"$H" verify rsa3072.pub git msg h256.sig &&
	ssh-keygen -Y check-novalidate -n git -s h256.sig <msg
'

test_expect_success 'a 1024-bit RSA key is refused' '
	ssh-keygen -q -t rsa -b 1024 -N "" -f rsa1024 &&
	test_expect_code 1 "$H" fingerprint rsa1024.pub 2>err &&
	grep "the RSA key has 1024 bits; at least 2048 are required" err
'

test_expect_success 'setup: a repository that signs with ssh' '
	git init -q repo &&
	git -C repo config gpg.format ssh &&
	git -C repo config user.signingkey "$PWD/ed25519" &&
	git -C repo config user.name "A U Thor" &&
	git -C repo config user.email author@example.com &&
	echo content >repo/file &&
	git -C repo add file &&
	git -C repo commit -q -m "first" &&
	echo "author@example.com $(cat ed25519.pub)" >repo-signers &&
	git -C repo config gpg.ssh.allowedSignersFile "$PWD/repo-signers"
'

test_expect_success 'a tag made with git tag -s verifies from its raw object' '
	commit=$(git -C repo rev-parse HEAD) &&
	git -C repo tag -s -m "policy-check approval v1" -m "target: refs/heads/main" approval $commit &&
	git -C repo verify-tag approval &&
	git -C repo cat-file tag approval >tag.raw &&
	grep "^-----BEGIN SSH SIGNATURE-----$" tag.raw &&
	"$H" tag tag.raw ed25519.pub >out &&
	ssh-keygen -lf ed25519.pub | cut -d" " -f2 >expect &&
	test_cmp expect out
'

test_expect_success 'a raw tag whose message was changed does not verify' '
	sed "s/target: refs\/heads\/main/target: refs\/heads\/prod/" tag.raw >tag.changed &&
	! cmp tag.raw tag.changed &&
	test_expect_code 1 "$H" tag tag.changed ed25519.pub 2>err &&
	grep "^bad signature" err
'

test_expect_success 'a tag signed by another key is not the expected key' '
	git -C repo -c user.signingkey="$PWD/other" tag -s -m "other" other-tag HEAD &&
	git -C repo cat-file tag other-tag >other.raw &&
	test_expect_code 1 "$H" tag other.raw ed25519.pub 2>err &&
	grep "not by the expected key" err &&
	test_must_fail git -C repo verify-tag other-tag
'

test_expect_success 'an unsigned tag has no SSH signature' '
	git -C repo tag -a -m "plain" plain HEAD &&
	git -C repo cat-file tag plain >plain.raw &&
	test_expect_code 1 "$H" tag plain.raw ed25519.pub 2>err &&
	grep "the tag has no SSH signature" err
'

for t in ed25519 ecdsa384 rsa3072; do
	test_expect_success "a commit signed with git commit -S by $t verifies through libgit2's extraction" '
		echo $t >>repo/file &&
		git -C repo -c user.signingkey="$PWD/$t" commit -q -S -a -m "signed by $t" &&
		git -C repo cat-file commit HEAD | grep "^gpgsig -----BEGIN SSH SIGNATURE-----" &&
		"$H" commit repo HEAD $t.pub >out &&
		ssh-keygen -lf $t.pub | cut -d" " -f2 >expect &&
		test_cmp expect out
	'
done

test_expect_success 'an unsigned commit has no signature, and a signed one is not the other key' '
	echo more >>repo/file &&
	git -C repo commit -q -a -m "unsigned" &&
	test_expect_code 1 "$H" commit repo HEAD ed25519.pub 2>err &&
	grep "the commit has no signature" err &&
	test_expect_code 1 "$H" commit repo HEAD~1 ed25519.pub 2>err &&
	grep "not by the expected key" err
'

# allowed_signers: every case is asked of ssh-keygen -Y verify as well, and
# both must give the same answer.
agree() {
	principal=$1 ns=$2 when=$3 want=$4
	if "$H" allows signers ed25519.pub "$principal" "$ns" "$(epoch $when)"; then ours=yes; else ours=no; fi
	if ssh-keygen -Y verify -f signers -I "$principal" -n "$ns" -s msg.ed25519.$ns.sig \
		-Overify-time=${when}Z <msg >/dev/null 2>&1; then theirs=yes; else theirs=no; fi
	echo "$principal $ns $when: policy-check $ours, ssh-keygen $theirs, expected $want"
	test "$ours" = "$theirs" && test "$ours" = "$want"
}

test_expect_success 'setup: signatures in two namespaces and an allowed_signers file' '
	for ns in git file; do
		cp msg msg.ed25519.$ns &&
		ssh-keygen -q -Y sign -n $ns -f ed25519 msg.ed25519.$ns 2>/dev/null || return 1
	done &&
	key=$(cut -d" " -f1,2 ed25519.pub) &&
	cat >signers <<-EOF
	# comments and blank lines are skipped

	alice@example.com $key alice laptop
	bob@example.com namespaces="file" $key
	carol@example.com valid-after="20240101Z",valid-before="20241231235959Z" $key
	*@ops.example.com,!eve@ops.example.com NAMESPACES="git,fi?e" $key
	"dave@example.com" valid-after="202401011200" $key
	EOF
	cat signers
'

test_expect_success 'allowed_signers: principals, patterns and exclusions agree with ssh-keygen' '
	agree alice@example.com git 20240601000000 yes &&
	agree alice@example.org git 20240601000000 no &&
	agree ann@ops.example.com git 20240601000000 yes &&
	agree ann@ops.example.com file 20240601000000 yes &&
	agree eve@ops.example.com git 20240601000000 no
'

test_expect_success 'allowed_signers: namespaces= agrees with ssh-keygen' '
	agree bob@example.com file 20240601000000 yes &&
	agree bob@example.com git 20240601000000 no
'

test_expect_success 'allowed_signers: valid-after and valid-before (UTC) agree with ssh-keygen' '
	agree carol@example.com git 20231231235959 no &&
	agree carol@example.com git 20240101000000 yes &&
	agree carol@example.com git 20241231235959 yes &&
	agree carol@example.com git 20250101000000 no
'

test_expect_success 'allowed_signers: local times are read as ssh-keygen reads them' '
	(
	TZ=UTC && export TZ &&
	agree dave@example.com git 20240101115959 no &&
	agree dave@example.com git 20240101120000 yes &&
	TZ=JST-9 && export TZ &&
	agree dave@example.com git 20240101025959 no &&
	agree dave@example.com git 20240101030000 yes
	)
'

test_expect_success 'allowed_signers: in summer time a local time is taken as standard time, as ssh-keygen does' '
	key=$(cut -d" " -f1,2 ed25519.pub) &&
	echo "dave@example.com valid-after=\"202407011200\" $key" >signers &&
	(
	TZ=CET-1CEST,M3.5.0,M10.5.0/3 && export TZ &&
	agree dave@example.com git 20240701095959 no &&
	agree dave@example.com git 20240701100000 no &&
	agree dave@example.com git 20240701105959 no &&
	agree dave@example.com git 20240701110000 yes
	)
'

test_expect_success 'allowed_signers: lookup lists the principals allowed for a key' '
	key=$(cut -d" " -f1,2 ed25519.pub) &&
	cat >signers <<-EOF &&
	alice@example.com,*@ops.example.com,!eve@ops.example.com $key
	bob@example.com namespaces="file" $key
	carol@example.com valid-before="20200101Z" $key
	dave@example.com $(cut -d" " -f1,2 other.pub)
	EOF
	"$H" signers signers ed25519.pub git $(epoch 20240601000000) >out &&
	printf "alice@example.com\n*@ops.example.com\n" >expect &&
	test_cmp expect out &&
	"$H" signers signers ed25519.pub file $(epoch 20190601000000) >out &&
	printf "alice@example.com\n*@ops.example.com\nbob@example.com\ncarol@example.com\n" >expect &&
	test_cmp expect out &&
	"$H" signers signers other.pub git $(epoch 20240601000000) >out &&
	echo dave@example.com >expect &&
	test_cmp expect out
'

# FILE:LINE:COLUMN diagnostics; the key is appended to each line.
signers_error() {
	key=$(cut -d" " -f1,2 ed25519.pub) &&
	{ echo "# header" && echo "$1 $key"; } >bad-signers &&
	test_expect_code 1 "$H" signers bad-signers ed25519.pub git 0 2>err &&
	echo "bad-signers:$2" >expect &&
	test_cmp expect err
}

test_expect_success 'allowed_signers: cert-authority is refused and says so' '
	signers_error "*@example.com cert-authority" \
		"2:15: cert-authority is not supported: policy-check checks signatures of plain keys only; list each signer'\''s own key instead"
'

test_expect_success 'allowed_signers: an unquoted option value is refused, as ssh-keygen refuses it' '
	signers_error "a@example.com namespaces=git" \
		"2:26: the value of namespaces must be in double quotes, as ssh-keygen requires" &&
	test_must_fail ssh-keygen -Y verify -f bad-signers -I a@example.com -n git -s msg.ed25519.git.sig <msg
'

test_expect_success 'allowed_signers: unknown options, bad times and a reversed window are refused' '
	signers_error "a@example.com no-touch-required" \
		"2:15: unknown option '\''no-touch-required'\'' (known: namespaces, valid-after, valid-before)" &&
	signers_error "a@example.com valid-before=\"2024-01-01\"" \
		"2:29: invalid time '\''2024-01-01'\'' for valid-before: write YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, with Z for UTC" &&
	signers_error "a@example.com valid-after=\"20240101Z\",valid-before=\"20230101Z\"" \
		"2:39: valid-before is not later than valid-after"
'

test_expect_success 'allowed_signers: a bad key names its column' '
	printf "a@example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA==\n" >bad-signers &&
	test_expect_code 1 "$H" signers bad-signers ed25519.pub git 0 2>err &&
	echo "bad-signers:1:27: public key is truncated: it ends inside the ed25519 key" >expect &&
	test_cmp expect err &&
	printf "a@example.com ssh-dss AAAA\n" >bad-signers &&
	test_expect_code 1 "$H" signers bad-signers ed25519.pub git 0 2>err &&
	grep "^bad-signers:1:15: key: ssh-dss (DSA) keys are not supported" err
'

test_expect_success 'allowed_signers: every bad line is reported, not only the first' '
	key=$(cut -d" " -f1,2 ed25519.pub) &&
	printf "a@x cert-authority %s\nb@x %s\nc@x\nd@x foo=\"1\" %s\n" "$key" "$key" "$key" >bad-signers &&
	test_expect_code 1 "$H" signers bad-signers ed25519.pub git 0 2>err &&
	cut -d: -f1-3 err >out &&
	printf "bad-signers:1:5\nbad-signers:3:4\nbad-signers:4:5\n" >expect &&
	test_cmp expect out
'

test_expect_success 'verification timing helper runs (figures are reported, not asserted)' '
	"$H" bench ed25519.pub git msg msg.ed25519.sig 20 &&
	"$H" bench rsa3072.pub git msg msg.rsa3072.sig 20
'

test_done
