#!/bin/sh
test_description='pushes through a real OpenSSH sshd: the pusher is set per key in authorized_keys'
. "$(dirname "$0")/test-lib.sh"
. "$SHARNESS_TEST_SRCDIR/lib-servers.sh"

pc_require_root_and /usr/sbin/sshd openssh-server

# contrib/integrations/sshd/authorized_keys.example with the keys filled in:
# alice gets REMOTE_USER from an environment= option (sshd lets only that
# variable through: PermitUserEnvironment REMOTE_USER), carol from her forced
# command, nobody from nothing.  git-shell allows git's own commands only.
authorized_keys() {
	sed -e "s|@KEY:alice@|$(cat keys/alice.pub)|" \
		-e "s|@KEY:carol@|$(cat keys/carol.pub)|" \
		-e "s|@KEY:nobody@|$(cat keys/nobody.pub)|" \
		"$PC_SRC_DIR/contrib/integrations/sshd/authorized_keys.example"
}

# contrib/integrations/sshd/sshd_config.example first, then the test's own.
sshd_config() {
	grep -v "^#" "$PC_SRC_DIR/contrib/integrations/sshd/sshd_config.example" >sshd/config.tmp &&
	cat sshd/sshd_config >>sshd/config.tmp &&
	mv sshd/config.tmp sshd/sshd_config
}

# as KEY COMMAND...: run a git command that reaches the server with KEY.
as() {
	pc_as_key=$1
	shift
	GIT_SSH_COMMAND="$(pc_ssh_command "$SHARNESS_TRASH_DIRECTORY/keys/$pc_as_key")" "$@"
}

# The last record a pre-receive hook wrote (reference-transaction adds others).
last_record() {
	grep "\"hook\":\"pre-receive\"" "$SHARNESS_TRASH_DIRECTORY/audit/audit.log" | tail -n 1
}

test_expect_success 'setup: a pattern2 server behind sshd on a random loopback port' '
	echo "tags: { pattern: \"v*\", create: [sre] }" >policy.extra &&
	pc_setup_server pattern2 &&
	pc_key nobody && pc_key stranger &&
	pc_write_sshd_config "$PWD/sshd" &&
	sshd_config &&
	grep "^PermitUserEnvironment REMOTE_USER" sshd/sshd_config &&
	authorized_keys >sshd/authorized_keys &&
	! grep -v "^#" sshd/authorized_keys | grep "@KEY" &&
	pc_start_sshd "$PWD/sshd" &&
	url="ssh://root@127.0.0.1:$PC_PORT$PWD/server.git" &&
	git -C work remote add ssh "$url"
'

test_expect_success 'alice clones over ssh (upload-pack through git-shell)' '
	as alice git clone -q "$url" clone &&
	test "$(git -C clone rev-parse origin/main)" = "$(git -C server.git rev-parse main)"
'

test_expect_success 'a push with the environment= key is judged with pusher alice' '
	(
		cd work &&
		git checkout -q -b feature/ssh-alice origin/develop &&
		pc_commit overlays/dev/a.yaml "a: 1" &&
		as alice git push ssh feature/ssh-alice 2>../err
	) &&
	grep "remote: policy-check: accepted refs/heads/feature/ssh-alice" err &&
	last_record >rec &&
	grep "\"pusher\":\"alice\",\"identity\":\"REMOTE_USER\"" rec &&
	grep "\"ref\":\"refs/heads/feature/ssh-alice\"" rec &&
	grep "\"repo\":\"$PWD/server.git\"" rec
'

test_expect_success 'a push with the forced-command key is judged with pusher carol' '
	(
		cd work &&
		git checkout -q -b feature/ssh-carol origin/develop &&
		pc_commit overlays/dev/c.yaml "c: 1" &&
		as carol git push ssh feature/ssh-carol 2>../err
	) &&
	grep "remote: policy-check: accepted refs/heads/feature/ssh-carol" err &&
	last_record | grep "\"pusher\":\"carol\",\"identity\":\"REMOTE_USER\""
'

test_expect_success 'two keys, two verdicts: a release tag by alice is accepted, by carol rejected' '
	(
		cd work &&
		git tag -a -m "release 1.0.0" v1.0.0 origin/main &&
		git tag -a -m "release 1.0.1" v1.0.1 origin/main &&
		as alice git push ssh v1.0.0 2>../err.alice &&
		test_must_fail as carol git push ssh v1.0.1 2>../err.carol
	) &&
	grep "remote: policy-check: accepted refs/tags/v1.0.0" err.alice &&
	grep "remote: policy-check: rejected refs/tags/v1.0.1" err.carol &&
	grep "remote: .*protect: tag v1.0.1 may only be created by sre" err.carol &&
	grep "\[remote rejected\] *v1.0.1 -> v1.0.1 (pre-receive hook declined)" err.carol &&
	git -C server.git rev-parse --verify refs/tags/v1.0.0 &&
	test_must_fail git -C server.git rev-parse --verify -q refs/tags/v1.0.1 &&
	last_record | grep "\"pusher\":\"carol\".*\"ref\":\"refs/tags/v1.0.1\".*\"decision\":\"reject\""
'

test_expect_success 'the client cannot choose its pusher: SetEnv REMOTE_USER is not accepted' '
	(
		cd work &&
		GIT_SSH_COMMAND="$(pc_ssh_command "$SHARNESS_TRASH_DIRECTORY/keys/carol") -o SetEnv=REMOTE_USER=alice" &&
		export GIT_SSH_COMMAND &&
		test_must_fail git push ssh v1.0.1 2>../err
	) &&
	grep "remote: policy-check: rejected refs/tags/v1.0.1" err &&
	last_record | grep "\"pusher\":\"carol\""
'

test_expect_success 'a key that names no pusher is unidentified and may push nothing' '
	(
		cd work &&
		git checkout -q -b feature/ssh-anon origin/develop &&
		test_must_fail as nobody git push ssh feature/ssh-anon 2>../err
	) &&
	grep "remote: policy-check: rejected refs/heads/feature/ssh-anon" err &&
	grep "protect: work branch feature/ssh-anon needs a known pusher, and the pusher is unidentified" err &&
	last_record | grep "\"pusher\":null"
'

test_expect_success 'a key missing from authorized_keys is refused by sshd before any hook' '
	wc -l <audit/audit.log >before &&
	(cd work && test_must_fail as stranger git push ssh feature/ssh-anon 2>../err) &&
	grep "Permission denied (publickey)" err &&
	wc -l <audit/audit.log >after &&
	test_cmp before after
'

test_expect_success 'a key cannot run anything but git: git-shell refuses a shell command' '
	test_must_fail sh -c "$(pc_ssh_command "$PWD/keys/alice") root@127.0.0.1 id" 2>err &&
	grep "unrecognized command" err
'

test_expect_success 'push options reach the hook over ssh: break-glass by alice' '
	(
		cd work &&
		git checkout -q -b hotfix origin/main &&
		pc_commit overlays/prd/fix.yaml "fix: 1" "fix: urgent prd fix" &&
		as alice git push -o "break-glass=INC-42 prd down, restoring" ssh HEAD:main 2>../err
	) &&
	grep "remote: policy-check: accepted with break-glass refs/heads/main" err &&
	last_record | grep "\"pusher\":\"alice\".*\"break_glass\":\"INC-42 prd down, restoring\""
'

test_expect_success 'sshd logged which key each push used, and the audit log verifies' '
	grep "Accepted publickey for root from 127.0.0.1" sshd.log &&
	grep "$(ssh-keygen -lf keys/carol.pub | cut -d" " -f2)" sshd.log &&
	pc_audit_verify
'

test_done
