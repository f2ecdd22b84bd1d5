#!/bin/sh
test_description='allowed_signers principal patterns as OpenSSH matches them, including its 1024-byte element buffer'
. "$(dirname "$0")/test-lib.sh"

H="$PC_BUILD_DIR/tests/helpers/pc-sshsig"
PC_MORE_USERS=dave
PC_ALLOWED_SIGNERS=allowed_signers
export PC_MORE_USERS PC_ALLOWED_SIGNERS

# x N: N bytes of "x"
x() {
	awk -v n="$1" "BEGIN { while (n-- > 0) printf \"x\" }"
}

# signers LIST: an allowed_signers file giving dave's key to the principals LIST.
signers() {
	echo "$1 $(cut -d" " -f1,2 dave.pub)" >allowed_signers
}

# agree PRINCIPAL WANT: policy-check and ssh-keygen -Y verify both answer WANT
# (yes or no) for PRINCIPAL under the current allowed_signers.
agree() {
	if "$H" allows allowed_signers dave.pub "$1" git "$(date +%s)"; then ours=yes; else ours=no; fi
	if ssh-keygen -Y verify -f allowed_signers -I "$1" -n git -s msg.sig <msg >/dev/null 2>&1
	then theirs=yes; else theirs=no; fi
	echo "$1: policy-check $ours, ssh-keygen $theirs, expected $2"
	test "$ours" = "$theirs" && test "$ours" = "$2"
}

# approve_as accept|reject USER COMMIT TARGET: USER signs an approval and
# pushes it as USER, with pc_push; the pusher's stderr is in approve.err.
approve_as() {
	(
		cd work &&
		git -c user.email="$2@example.com" -c user.name="$2" -c gpg.format=ssh \
			-c user.signingkey="../keys/$2" \
			tag -s -m "policy-check approval v1" -m "target: $4" tmp-approval "$3" &&
		PC_PUSH_ERR=../approve.err pc_push "$1" "$2" origin \
			"tmp-approval:refs/approvals/$(git rev-parse "$3^{commit}")/$2";
		status=$?
		git tag -d tmp-approval >/dev/null
		exit $status
	)
}

test_expect_success 'setup: dave, whose key is only in allowed_signers, owns everything' '
	pc_key dave &&
	mv keys/dave.pub dave.pub &&
	echo "a message" >msg &&
	cp msg msg.tosign &&
	ssh-keygen -q -Y sign -n git -f keys/dave msg.tosign 2>/dev/null &&
	mv msg.tosign.sig msg.sig &&
	signers dave@example.com &&
	echo "* @dave" >CODEOWNERS &&
	pc_setup_server pattern2
'

test_expect_success 'an element of 1022 bytes is matched, as by ssh-keygen' '
	signers "$(x 1022),dave@example.com" &&
	agree dave@example.com yes &&
	signers "dave@example.com,!$(x 1022)" &&
	agree dave@example.com yes
'

test_expect_success 'an element of 1023 bytes makes the list match nothing, as in ssh-keygen' '
	signers "$(x 1023),dave@example.com" &&
	agree dave@example.com no &&
	signers "dave@example.com,$(x 1023)" &&
	agree dave@example.com no &&
	signers "dave@example.com,!$(x 1023)" &&
	agree dave@example.com no &&
	signers "*,$(x 5000)" &&
	agree dave@example.com no
'

test_expect_success 'patterns: * and ? only, ! excludes, [ is an ordinary character' '
	signers "d?ve@*,!*@evil.example" &&
	agree dave@example.com yes &&
	signers "[d]ave@example.com" &&
	agree dave@example.com no &&
	agree "[d]ave@example.com" yes
'

test_expect_success 'setup: carol changes a file dave owns' '
	(
		cd work &&
		git checkout -q -b feature/x origin/develop &&
		pc_commit base/app.yaml "kind: Service" &&
		REMOTE_USER=carol git push -q origin feature/x &&
		git checkout -q -b develop origin/develop &&
		git merge -q --no-ff -m "Merge feature/x" feature/x
	)
'

test_expect_success 'a push: dave listed after a 1023-byte element cannot approve' '
	signers "$(x 1023),dave@example.com" &&
	approve_as reject dave develop refs/heads/develop &&
	grep "is not a valid approval: it is signed by SHA256:" approve.err &&
	(cd work && pc_push reject carol origin develop) &&
	grep "needs 1 approval from @dave (CODEOWNERS:1), has 0" err
'

test_expect_success 'a push: after a 1022-byte element dave approves' '
	signers "$(x 1022),dave@example.com" &&
	approve_as accept dave develop refs/heads/develop &&
	(cd work && pc_push accept carol origin develop) &&
	grep "approved by: .*dave (signature)" err &&
	pc_audit_verify
'

test_done
