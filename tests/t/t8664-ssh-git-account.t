#!/bin/sh
test_description='the README'"'"'s ssh recipe: a locked system account with git-shell as its login shell owns the repository'
. "$(dirname "$0")/test-lib.sh"
. "$SHARNESS_TEST_SRCDIR/lib-servers.sh"

pc_require_root_and /usr/sbin/sshd openssh-server
if ! test_have_prereq OPEN_TO_OTHERS; then
	skip_all="other accounts cannot enter $(pc_closed_to_others): clone where they can to run this test"
	test_done
fi
if ! command -v useradd >/dev/null 2>&1; then
	skip_all="useradd is missing (Debian package passwd)"
	test_done
fi

# README.md, "Protect a bare repository", step by step: a system account
# (locked password, git-shell as login shell, as git-shell(1) recommends),
# the bare repository created and chowned to it, the audit directory
# writable by it and the key readable by its group; sshd with Debian's
# UsePAM yes (a locked password does not stop a key there).
account=pcgit$$
remove_account() {
	userdel "$account" >/dev/null 2>&1
	groupdel "$account" >/dev/null 2>&1
	return 0
}
# lib-servers.sh's EXIT trap stops the servers; the account goes first.
trap 'remove_account; pc_servers_on_exit' EXIT

authorized_keys() {
	sed -e "s|@KEY:alice@|$(cat keys/alice.pub)|" \
		-e "s|@KEY:carol@|$(cat keys/carol.pub)|" \
		"$PC_SRC_DIR/contrib/integrations/sshd/authorized_keys.git-shell.example"
}

as() {
	pc_as_key=$1
	shift
	GIT_SSH_COMMAND="$(pc_ssh_command "$SHARNESS_TRASH_DIRECTORY/keys/$pc_as_key")" "$@"
}

last_record() {
	grep "\"hook\":\"pre-receive\"" "$SHARNESS_TRASH_DIRECTORY/audit/audit.log" | tail -n 1
}

test_expect_success 'setup: the account, the repository and the audit log as the README creates them' '
	pc_key alice && pc_key bob && pc_key carol &&
	useradd --system --user-group --home-dir "$PWD/githome" --create-home \
		--shell /usr/bin/git-shell "$account" &&
	test "$(getent shadow "$account" | cut -d: -f2)" = "!" &&
	test "$(getent passwd "$account" | cut -d: -f7)" = /usr/bin/git-shell &&
	mkdir -p audit &&
	policy-check audit keygen --origin test.example/policy-check audit/audit >/dev/null &&
	chgrp "$account" audit/audit.key && chmod 0640 audit/audit.key &&
	chown "$account" audit && chmod 0750 audit &&
	pc_write_policy pattern2 >policy.yml &&
	git init -q --bare server.git &&
	policy-check install --policy policy.yml server.git >/dev/null &&
	chown -R "$account:" server.git &&
	pc_write_sshd_config "$PWD/sshd" "UsePAM yes" &&
	grep -v "^#" "$PC_SRC_DIR/contrib/integrations/sshd/sshd_config.example" >>sshd/sshd_config &&
	authorized_keys >sshd/authorized_keys &&
	pc_start_sshd "$PWD/sshd" &&
	url="ssh://$account@127.0.0.1:$PC_PORT$PWD/server.git"
'

test_expect_success 'alice (an admin) creates the branches over ssh; git-shell ran receive-pack as the account' '
	git init -q work &&
	(
		cd work &&
		mkdir -p overlays/dev overlays/prd &&
		echo "kind: Deployment" >overlays/dev/app.yaml &&
		printf "* @alice @bob @carol\n" >CODEOWNERS &&
		git add . && git commit -q -m "chore: initial layout" &&
		git remote add origin "$url" &&
		as alice pc_push accept alice origin HEAD:refs/heads/main HEAD:refs/heads/develop HEAD:refs/heads/staging &&
		as alice git fetch -q origin
	) &&
	last_record | grep "\"pusher\":\"alice\",\"identity\":\"REMOTE_USER\"" &&
	test "$(stat -c %U server.git/refs/heads/main)" = "$account" &&
	test "$(stat -c %U audit/audit.log)" = "$account"
'

test_expect_success 'carol'"'"'s feature branch is accepted, her push straight to main rejected' '
	(
		cd work &&
		git checkout -q -b feature/ssh origin/develop &&
		pc_commit overlays/dev/a.yaml "a: 1" &&
		as carol pc_push accept carol origin feature/ssh &&
		git checkout -q -b direct origin/main &&
		pc_commit overlays/prd/b.yaml "b: 1" "fix: straight to prd" &&
		as carol pc_push reject carol origin HEAD:main
	) &&
	grep "remote:   promotion: commit [0-9a-f]* \"fix: straight to prd\" is not on staging" err &&
	last_record | grep "\"pusher\":\"carol\".*\"ref\":\"refs/heads/main\".*\"decision\":\"reject\""
'

test_expect_success 'the client cannot choose its pusher (SetEnv REMOTE_USER)' '
	(
		cd work &&
		GIT_SSH_COMMAND="$(pc_ssh_command "$SHARNESS_TRASH_DIRECTORY/keys/carol") -o SetEnv=REMOTE_USER=alice" &&
		export GIT_SSH_COMMAND &&
		test_must_fail git push origin HEAD:main 2>../err
	) &&
	last_record | grep "\"pusher\":\"carol\""
'

test_expect_success 'the login shell is git-shell: no command, no interactive shell' '
	test_must_fail sh -c "$(pc_ssh_command "$PWD/keys/alice") $account@127.0.0.1 id" 2>err &&
	grep "unrecognized command .id." err &&
	test_must_fail sh -c "$(pc_ssh_command "$PWD/keys/alice") -T $account@127.0.0.1" </dev/null >out 2>&1 &&
	grep "Interactive git shell is not enabled" out
'

test_expect_success 'root reads the account'"'"'s repository after following git'"'"'s hint' '
	test_must_fail policy-check audit reconcile --repo server.git audit/audit.log 2>err &&
	grep "git config --global --add safe.directory" err &&
	git config --global --add safe.directory "$(cd server.git && pwd -P)" &&
	policy-check audit reconcile --repo server.git audit/audit.log &&
	policy-check status --repo server.git >out &&
	grep "develop -> staging" out &&
	pc_audit_verify
'

test_done
