#!/bin/sh
test_description='the reference-transaction hook: a program of the C library alone, and its recorder

git runs the reference-transaction hook twice for every ref it updates.
"prepared" needs nothing, so the program git starts links only the C
library; for "committed" and "aborted" it becomes record-transaction,
from its own directory, which records what git did without loading
libgit2.'
. "$(dirname "$0")/test-lib.sh"

# needed FILE: the shared libraries FILE loads, one per line.
needed() {
	LC_ALL=C readelf -d "$1" | sed -n "s/.*(NEEDED).*\[\(.*\)\]/\1/p"
}

test_expect_success 'setup: a pattern2 server' '
	pc_setup_server pattern2
'

test_expect_success 'reference-transaction loads only the C library (and sanitizers in their build)' '
	needed "$PC_HOOK_DIR/reference-transaction" >libs &&
	cat libs &&
	grep "^libc\.so" libs &&
	! grep -v "^libc\.so\|^libasan\|^libubsan\|^libm\.so\|^libgcc_s\|^libstdc++\|^libpthread\|^libdl\|^librt" libs
'

test_expect_success 'record-transaction does not load libgit2; pre-receive does' '
	needed "$PC_HOOK_DIR/record-transaction" >libs &&
	cat libs &&
	grep "^libcrypto" libs &&
	! grep "^libgit2" libs &&
	needed "$PC_HOOK_DIR/pre-receive" | grep "^libgit2"
'

test_expect_success 'a push is recorded by pre-receive and, through the recorder, by reference-transaction' '
	(cd work && git checkout -q -b feature/one origin/main && pc_commit one "1" &&
		pc_push accept alice origin feature/one) &&
	tail -n 2 audit/audit.log >last &&
	grep "\"hook\":\"pre-receive\".*\"ref\":\"refs/heads/feature/one\".*\"decision\":\"accept\"" last &&
	grep "\"hook\":\"reference-transaction\".*\"ref\":\"refs/heads/feature/one\".*\"decision\":\"committed\"" last
'

test_expect_success '"prepared", or a state git may add later, reads its input and records nothing' '
	zero=0000000000000000000000000000000000000000 &&
	before=$(wc -l <audit/audit.log) &&
	for state in prepared someday ""; do
		printf "%s %s refs/heads/x\n" $zero $zero |
			(cd server.git && GIT_DIR=. "$PC_HOOK_DIR/reference-transaction" $state) || return 1
	done &&
	test $(wc -l <audit/audit.log) = $before
'

test_expect_success 'without record-transaction beside it, reference-transaction says so and git goes on' '
	mkdir -p lonely &&
	cp "$PC_HOOK_DIR/reference-transaction" lonely/ &&
	git init -q --bare lonely.git &&
	printf "#!/bin/sh\nexec \"%s\" \"\$@\"\n" "$PWD/lonely/reference-transaction" \
		>lonely.git/hooks/reference-transaction &&
	chmod +x lonely.git/hooks/reference-transaction &&
	git -C work push -q ../lonely.git HEAD:refs/heads/x 2>err &&
	cat err &&
	grep "policy-check: reference-transaction: cannot run .*lonely/record-transaction: No such file" err &&
	git -C lonely.git rev-parse --verify refs/heads/x
'

test_expect_success 'install refuses a hook directory without record-transaction' '
	git init -q --bare refused.git &&
	for h in pre-receive update; do cp "$PC_HOOK_DIR/$h" lonely/ || return 1; done &&
	test_must_fail env PC_HOOK_DIR="$PWD/lonely" policy-check install --policy policy.yml refused.git 2>err &&
	cat err &&
	grep "hook program .*lonely/record-transaction is missing" err
'

test_expect_success 'the audit log verifies' '
	pc_audit_verify
'

test_done
