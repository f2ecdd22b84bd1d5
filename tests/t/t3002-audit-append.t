#!/bin/sh
test_description='audit appends: concurrency, torn lines, killed writers, full disks and every failure leave a log that verifies'
. "$(dirname "$0")/test-lib.sh"

HELPER="$PC_BUILD_DIR/tests/helpers/pc-audit-append"

test_line_count () {
	test "$(wc -l <"$3")" "$1" "$2"
}

append () {
	"$HELPER" --log audit.log --key k.key --origin example.com/audit "$@"
}

verify () {
	policy-check audit verify --vkey k.vkey "$@"
}

# Run a command with RLIMIT_FSIZE set to $1 bytes.
with_file_limit () {
	python3 -c 'import os, resource, sys
n = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (n, n))
os.execvp(sys.argv[2], sys.argv[2:])' "$@"
}

# Save the log and checkpoint, to show later that a failed append changed nothing.
snapshot () {
	cp audit.log before.log && cp audit.log.checkpoint before.checkpoint
}

unchanged () {
	test_cmp before.log audit.log && test_cmp before.checkpoint audit.log.checkpoint &&
	verify audit.log >/dev/null
}

grep -q "define PC_FAULT_INJECTION 1" "$PC_BUILD_DIR/config.h" && test_set_prereq FAULT_INJECTION
mkdir -p mnt && mount -t tmpfs -o size=64k,mode=0700 tmpfs mnt 2>/dev/null && umount mnt && test_set_prereq TMPFS

test_expect_success 'setup' '
	policy-check audit keygen --origin example.com/audit k >/dev/null 2>&1 &&
	append --count 3 >/dev/null &&
	verify audit.log
'

test_expect_success 'the first append creates the log, its checkpoint, lock and cache' '
	test -f audit.log && test -f audit.log.checkpoint && test -f audit.log.lock && test -f audit.log.state &&
	test "$(stat -c %a audit.log.checkpoint)" = 644 &&
	! test -e audit.log.checkpoint.tmp
'

test_expect_success 'records are written in the order and shape of doc/DESIGN.md section 7' '
	append --hook pre-receive --repo /srv/git/k8s.git --push 0123abcd --pusher alice \
		--identity GL_USERNAME --ref refs/heads/main --op update \
		--old 1111111111111111111111111111111111111111 --new 2222222222222222222222222222222222222222 \
		--reason "promotion:commit 9f8e7d6 is not on staging" \
		--approval "bob,signature,SHA256:abc,3333333333333333333333333333333333333333" \
		--policy sha256:feed --codeowners 4444444444444444444444444444444444444444 >out &&
	echo "first seq 3" >expect && test_cmp expect out &&
	tail -n 1 audit.log | sed "s/\"time\":\"[^\"]*\"/\"time\":T/" >actual &&
	cat >expect <<-\EOF &&
	{"v":1,"seq":3,"time":T,"hook":"pre-receive","repo":"/srv/git/k8s.git","push":"0123abcd","pusher":"alice","identity":"GL_USERNAME","ref":"refs/heads/main","old":"1111111111111111111111111111111111111111","new":"2222222222222222222222222222222222222222","op":"update","decision":"reject","dry_run":false,"break_glass":null,"reasons":[{"rule":"promotion","message":"commit 9f8e7d6 is not on staging"}],"approvals":[{"user":"bob","via":"signature","key":"SHA256:abc","object":"3333333333333333333333333333333333333333"}],"policy":"sha256:feed","codeowners":"4444444444444444444444444444444444444444"}
	EOF
	test_cmp expect actual &&
	tail -n 1 audit.log | grep -E "\"time\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z\"" &&
	verify audit.log
'

test_expect_success 'reference-transaction records carry ref, old, new and op without a verdict' '
	append --plain --hook reference-transaction --ref refs/heads/main --op update \
		--old 1111111111111111111111111111111111111111 --new 2222222222222222222222222222222222222222 >/dev/null &&
	tail -n 1 audit.log | grep "\"hook\":\"reference-transaction\"" | grep "\"decision\":\"committed\"" |
		grep "\"reasons\":\[\],\"approvals\":\[\]" &&
	verify audit.log
'

test_expect_success '8 concurrent writers x 25 appends keep every record and a valid tree' '
	mkdir conc && (
		cd conc &&
		for w in 1 2 3 4 5 6 7 8; do
			( "$HELPER" --log shared.log --key ../k.key --origin example.com/audit --count 25 \
				--pusher "w$w" --repo "/srv/git/repo$w.git" --number-refs >/dev/null 2>"err.$w"
			  echo $? >"rc.$w" ) &
		done &&
		wait &&
		for w in 1 2 3 4 5 6 7 8; do
			test "$(cat rc.$w)" = 0 && test_must_be_empty "err.$w" &&
			test "$(grep -c "\"pusher\":\"w$w\"" shared.log)" = 25 || return 1
		done &&
		test_line_count = 200 shared.log &&
		policy-check audit verify --vkey ../k.vkey shared.log >out &&
		grep "^200 records verified" out &&
		python3 "$PC_SRC_DIR/contrib/verify-checkpoint.py" ../k.vkey shared.log
	)
'

test_expect_success 'a torn final line written by hand is reported, then cut off and recorded by the next append' '
	n=$(wc -l <audit.log) &&
	offset=$(wc -c <audit.log) &&
	printf "{\"v\":1,\"seq\":$n,\"ti" >>audit.log &&
	verify audit.log 2>err &&
	grep "warning: audit.log:$((n + 1)): the final line has no newline" err &&
	test_expect_code 1 verify --strict audit.log &&
	sha=$(printf "{\"v\":1,\"seq\":$n,\"ti" | sha256sum | cut -d" " -f1) &&
	len=$(printf "{\"v\":1,\"seq\":$n,\"ti" | wc -c) &&
	append --ref refs/heads/after-torn >out &&
	echo "first seq $((n + 1))" >expect && test_cmp expect out &&
	test_line_count = $((n + 2)) audit.log &&
	sed -n "$((n + 1))p" audit.log >repair &&
	grep "\"seq\":$n,.*\"hook\":\"audit\",.*\"decision\":\"repaired\"" repair &&
	grep "\"rule\":\"internal\",\"message\":\"truncated a torn final line at byte $offset: $len bytes with sha256:$sha, left by an append that did not finish\"" repair &&
	verify --strict audit.log
'

test_expect_success 'a writer killed after writing half a line is repaired by the next append' '
	n=$(wc -l <audit.log) &&
	test_expect_code 137 "$HELPER" --log audit.log --die-mid-line &&
	test "$(tail -c 1 audit.log)" != "" &&
	verify audit.log 2>err &&
	grep "final line has no newline" err &&
	append >/dev/null &&
	test_line_count = $((n + 2)) audit.log &&
	sed -n "$((n + 1))p" audit.log | grep "\"decision\":\"repaired\"" &&
	verify --strict audit.log
'

test_expect_success FAULT_INJECTION 'a writer killed by SIGKILL in the middle of pc_audit_append is repaired' '
	n=$(wc -l <audit.log) &&
	size=$(wc -c <audit.log) &&
	{ PC_AUDIT_TEST_TEAR_MS=20000 "$HELPER" --log audit.log --key k.key --origin example.com/audit \
		--ref refs/heads/killed >/dev/null & } &&
	pid=$! &&
	i=0 &&
	while test "$(wc -c <audit.log)" = "$size"; do
		i=$((i + 1)) && test $i -lt 400 || { kill -9 $pid; return 1; }
		sleep 0.05
	done &&
	kill -9 $pid && { wait $pid || :; } &&
	test_line_count = $n audit.log &&
	append --ref refs/heads/after-kill >/dev/null &&
	test_line_count = $((n + 2)) audit.log &&
	sed -n "$((n + 1))p" audit.log | grep "\"decision\":\"repaired\"" &&
	verify --strict audit.log
'

test_expect_success 'a file size limit (EFBIG) makes the append fail and loses nothing' '
	snapshot &&
	size=$(wc -c <audit.log) &&
	test_must_fail with_file_limit $((size + 100)) "$HELPER" --log audit.log --key k.key \
		--origin example.com/audit --ref refs/heads/too-big 2>err &&
	grep "audit.log: cannot append to the audit log: File too large; the file is at the size limit" err &&
	unchanged &&
	append --ref refs/heads/after-limit >/dev/null &&
	verify --strict audit.log
'

test_expect_success TMPFS 'a full file system (ENOSPC) makes the append fail and loses nothing' '
	mount -t tmpfs -o size=64k,mode=0700 tmpfs mnt &&
	test_when_finished "umount mnt" &&
	"$HELPER" --log mnt/a.log --key k.key --origin example.com/audit --count 3 >/dev/null &&
	{ dd if=/dev/zero of=mnt/filler bs=4096 count=100 2>/dev/null; :; } &&
	cp mnt/a.log before.log && cp mnt/a.log.checkpoint before.checkpoint &&
	test_must_fail "$HELPER" --log mnt/a.log --key k.key --origin example.com/audit --batch 40 2>err &&
	grep "No space left on device; free space on the file system that holds it" err &&
	test_cmp before.log mnt/a.log && test_cmp before.checkpoint mnt/a.log.checkpoint &&
	verify --strict mnt/a.log &&
	rm mnt/filler &&
	"$HELPER" --log mnt/a.log --key k.key --origin example.com/audit --batch 40 >/dev/null &&
	verify --strict mnt/a.log
'

test_expect_success 'a missing key fails before anything is written, naming the fix' '
	test_must_fail "$HELPER" --log new.log --key missing.key --origin example.com/audit 2>err &&
	grep "missing.key: the audit key does not exist; create it with policy-check audit keygen" err &&
	! test -e new.log
'

test_expect_success 'a key that others can read is refused' '
	cp k.key loose.key && chmod 644 loose.key &&
	test_must_fail "$HELPER" --log new.log --key loose.key --origin example.com/audit 2>err &&
	grep "loose.key: refusing a private key that others can read (mode 0644); run chmod o-rwx on it" err &&
	chmod 660 loose.key &&
	test_must_fail "$HELPER" --log new.log --key loose.key --origin example.com/audit 2>err &&
	grep "writable by group or others" err &&
	! test -e new.log
'

test_expect_success 'a log in a missing directory or that is a directory is refused' '
	test_must_fail "$HELPER" --log nodir/a.log --key k.key --origin example.com/audit 2>err &&
	grep "nodir/a.log.lock: cannot open the audit lock: No such file or directory; create its directory" err &&
	mkdir adir &&
	test_must_fail "$HELPER" --log adir --key k.key --origin example.com/audit 2>err &&
	grep "adir: cannot open the audit log for appending: Is a directory" err
'

test_expect_success 'an unusable origin is refused' '
	test_must_fail "$HELPER" --log audit.log --key k.key --origin "two words" 2>err &&
	grep "cannot name a key" err
'

test_expect_success 'without the state cache the tree is rebuilt from the log' '
	rm audit.log.state &&
	append >/dev/null &&
	test -f audit.log.state &&
	verify --strict audit.log
'

test_expect_success 'a garbled, stale or tampered cache is detected and rebuilt' '
	cp audit.log.state stale.state &&
	append --count 2 >/dev/null &&
	cp stale.state audit.log.state &&
	append >/dev/null &&
	verify --strict audit.log &&
	echo garbage >audit.log.state &&
	append >/dev/null &&
	verify --strict audit.log &&
	sed -i "s/^edge \(.\)/edge 0/; s/^edge 00/edge 11/" audit.log.state &&
	append >/dev/null &&
	verify --strict audit.log &&
	python3 "$PC_SRC_DIR/contrib/verify-checkpoint.py" k.vkey audit.log
'

test_expect_success 'appending to a log with records removed below its checkpoint is refused' '
	snapshot &&
	head -n 2 before.log >audit.log &&
	test_must_fail append 2>err &&
	grep "audit.log: has 2 records but audit.log.checkpoint covers [0-9]*: records were removed; restore the log from a backup" err &&
	test_line_count = 2 audit.log &&
	cp before.log audit.log && unchanged
'

test_expect_success 'appending to a log whose signed records were changed is refused' '
	snapshot &&
	sed -i "2s/refs\/heads\/main/refs\/heads\/evil/" audit.log &&
	rm audit.log.state &&
	test_must_fail append 2>err &&
	grep "audit.log: the first [0-9]* records do not match the root signed in audit.log.checkpoint" err &&
	cp before.log audit.log && unchanged
'

test_expect_success 'a garbled checkpoint is signed again from the anchor, and the append says so' '
	snapshot &&
	n=$(wc -l <audit.log) &&
	echo junk >audit.log.checkpoint &&
	append >/dev/null &&
	test $(wc -l <audit.log) = $((n + 2)) &&
	sed -n "$((n + 1))p" audit.log >rec &&
	grep "\"op\":\"resign\",\"decision\":\"re-signed\"" rec &&
	grep "audit.log.checkpoint is not valid: .*: signed again the $n records that audit.log.anchor names as signed" rec &&
	verify --checkpoint before.checkpoint audit.log >/dev/null
'

for point in write fsync fsync:2 rename lock open:2 open:3 open:7 open:8; do
	test_expect_success FAULT_INJECTION "a failure at $point leaves the log as it was" "
		snapshot &&
		test_must_fail env PC_FAULT=$point \"\$HELPER\" --log audit.log --key k.key --origin example.com/audit 2>err &&
		cat err &&
		! test -e audit.log.checkpoint.tmp &&
		unchanged
	"
done

test_expect_success FAULT_INJECTION 'a failure to cut a torn line leaves the log as it was' '
	printf "{\"v\":1,\"seq\":" >>audit.log &&
	snapshot &&
	test_must_fail env PC_FAULT=truncate "$HELPER" --log audit.log --key k.key --origin example.com/audit 2>err &&
	grep "audit.log: cannot truncate the torn final line" err &&
	unchanged &&
	append >/dev/null &&
	verify --strict audit.log
'

test_expect_success FAULT_INJECTION 'a failed directory fsync after the rename reports the error; the records stay signed' '
	n=$(wc -l <audit.log) &&
	test_must_fail env PC_FAULT=fsync:3 "$HELPER" --log audit.log --key k.key --origin example.com/audit 2>err &&
	grep "fsync of the directory of the audit log failed" err &&
	test_line_count = $((n + 1)) audit.log &&
	verify --strict audit.log
'

test_expect_success FAULT_INJECTION 'allocation failures anywhere in an append fail cleanly' '
	for i in $(test_seq 1 60); do
		env PC_FAULT=malloc:$i "$HELPER" --log audit.log --key k.key --origin example.com/audit \
			--reason "rules:x" >/dev/null 2>&1
		verify --strict audit.log >/dev/null || return 1
	done
'

test_done
