#!/bin/sh
test_description='gitolite3 with policy-check as a repo-specific pre-receive hook beside its update hook'
. "$(dirname "$0")/test-lib.sh"
. "$SHARNESS_TEST_SRCDIR/lib-servers.sh"

pc_require_root_and /usr/sbin/sshd openssh-server
pc_require_root_and /usr/share/gitolite3/gitolite-shell gitolite3

# Gitolite runs here as root with its own HOME in the trash directory: sshd's
# SetEnv gives gitolite-shell that HOME, and gitolite writes the
# authorized_keys that sshd reads.  A real server uses a dedicated account
# (e.g. gitolite3) whose home directory this is.  Gitolite cannot live in a
# path with spaces (it globs its hook directory), and the trash directory has
# one, so HOME is a symbolic link from a temporary directory.
GLREAL="$SHARNESS_TRASH_DIRECTORY/gitolite-home"
mkdir "$GLREAL" &&
GLTMP=$(mktemp -d /tmp/pc-t5200.XXXXXX) &&
pc_remove_at_exit "$GLTMP" &&
ln -s "$GLREAL" "$GLTMP/home" || {
	skip_all="cannot make a temporary directory for gitolite's HOME"
	test_done
}
GLHOME="$GLTMP/home"

# gitolite setup as an administrator runs it on the server: git's defaults
# (gitolite acts on pushes to master of gitolite-admin), USER set.
gl_setup() {
	env GIT_CONFIG_GLOBAL="$GLHOME/.gitconfig" USER=root HOME="$GLHOME" gitolite setup "$@"
}

# The rc changes of contrib/integrations/gitolite/gitolite.rc.snippet.
configure_rc() {
	perl -0pi -e '
		s/^(\s*)# (LOCAL_CODE\s*=>\s*"\$ENV\{HOME\}\/local",)/$1$2/m or die "LOCAL_CODE\n";
		s/^(\s*)# (\x27repo-specific-hooks\x27,)/$1$2/m or die "repo-specific-hooks\n";
		s/^(\s*GIT_CONFIG_KEYS\s*=>\s*)\x27\x27/$1\x27policycheck\\.policy receive\\.advertisePushOptions\x27/m
			or die "GIT_CONFIG_KEYS\n";
	' "$GLHOME/.gitolite.rc"
}

# contrib/integrations/gitolite/gitolite.conf.example with the policy's path.
write_conf() {
	sed "s|@POLICY@|$SHARNESS_TRASH_DIRECTORY/policy.yml|" \
		"$PC_SRC_DIR/contrib/integrations/gitolite/gitolite.conf.example"
}

# as USER COMMAND...: run a git command that reaches gitolite with USER's key.
as() {
	pc_as_key=$1
	shift
	GIT_SSH_COMMAND="$(pc_ssh_command "$SHARNESS_TRASH_DIRECTORY/keys/$pc_as_key")" "$@"
}

# The last record a pre-receive hook wrote (reference-transaction adds others).
last_judged() {
	grep "\"hook\":\"pre-receive\"" "$SHARNESS_TRASH_DIRECTORY/audit/audit.log" | tail -n 1
}

test_expect_success 'setup: gitolite setup -pk admin.pub in a throwaway HOME, the rc, sshd' '
	pc_key admin && pc_key alice && pc_key bob && pc_key carol && pc_key dave &&
	mkdir -p audit && chmod 700 audit &&
	policy-check audit keygen --origin test.example/policy-check audit/audit >/dev/null &&
	pc_write_policy pattern2 | sed "s/env: \[REMOTE_USER\]/env: [GL_USER]/" >policy.yml &&
	grep "env: \[GL_USER\]" policy.yml &&
	gl_setup -pk keys/admin.pub >gitolite-setup.out 2>&1 &&
	configure_rc &&
	mkdir -p "$GLHOME/local/hooks/repo-specific" &&
	ln -s "$PC_HOOK_DIR/pre-receive" "$GLHOME/local/hooks/repo-specific/policy-check" &&
	pc_write_sshd_config "$PWD/sshd" \
		"AuthorizedKeysFile \"$GLHOME/.ssh/authorized_keys\"" \
		"SetEnv \"HOME=$GLHOME\"" &&
	pc_start_sshd "$PWD/sshd" &&
	gl="ssh://root@127.0.0.1:$PC_PORT"
'

test_expect_success 'the admin adds users, repositories and the hook through gitolite-admin' '
	# gitolite links only pre-receive, post-receive, post-update and pre-auto-gc
	# per repository; reference-transaction is installed directly.
	as admin git clone -q "$gl/gitolite-admin" admin &&
	for u in alice bob carol dave; do cp keys/$u.pub admin/keydir/ || return 1; done &&
	write_conf >admin/conf/gitolite.conf &&
	(
		cd admin &&
		git add conf keydir &&
		git commit -q -m "k8s with policy-check" &&
		as admin git push -q origin HEAD:master 2>../err
	) &&
	! grep "WARNING\|FATAL" err &&
	k8s="$GLHOME/repositories/k8s.git" &&
	k8s_real="$GLREAL/repositories/k8s.git" &&
	test "$(readlink "$k8s/hooks/pre-receive.h00-policy-check")" = "$GLHOME/local/hooks/repo-specific/policy-check" &&
	test -x "$k8s/hooks/pre-receive" &&
	test "$(readlink "$k8s/hooks/update")" = "$GLHOME/.gitolite/hooks/common/update" &&
	test "$(git -C "$k8s" config policycheck.policy)" = "$PWD/policy.yml" &&
	test "$(git -C "$k8s" config receive.advertisePushOptions)" = true &&
	policy-check install --hook reference-transaction --policy policy.yml "$k8s" >/dev/null
'

test_expect_success 'alice (admin in the policy) bootstraps main, develop and staging through gitolite' '
	git init -q work &&
	(
		cd work &&
		mkdir -p base overlays/dev overlays/stg overlays/prd &&
		echo "kind: Deployment" >base/app.yaml &&
		for env in dev stg prd; do
			printf "resources: [../../base]\n" >overlays/$env/kustomization.yaml || return 1
		done &&
		printf "* @alice @bob @carol\n" >CODEOWNERS &&
		git add . &&
		git commit -q -m "chore: initial layout" &&
		git remote add origin "$gl/k8s" &&
		as alice git push origin HEAD:main HEAD:develop HEAD:staging 2>../err &&
		as alice git fetch -q origin
	) &&
	grep "remote: policy-check: accepted refs/heads/main" err &&
	last_judged >rec &&
	grep "\"repo\":\"$k8s_real\"" rec &&
	grep "\"pusher\":\"alice\",\"identity\":\"GL_USER\"" rec
'

test_expect_success 'carol pushes a feature branch: gitolite allows it, policy-check accepts with pusher carol' '
	(
		cd work &&
		git checkout -q -b feature/gl-carol origin/develop &&
		pc_commit overlays/dev/c.yaml "c: 1" &&
		as carol git push origin feature/gl-carol 2>../err
	) &&
	grep "remote: policy-check: accepted refs/heads/feature/gl-carol" err &&
	last_judged | grep "\"pusher\":\"carol\",\"identity\":\"GL_USER\".*\"decision\":\"accept\"" &&
	tail -n 1 audit/audit.log | grep "\"hook\":\"reference-transaction\".*\"decision\":\"committed\""
'

test_expect_success 'gitolite allows carol to push main, policy-check rejects it (before gitolite.s update hook)' '
	(
		cd work &&
		git checkout -q -b direct origin/main &&
		pc_commit overlays/prd/p.yaml "p: 1" "fix: straight to prd" &&
		test_must_fail as carol git push origin HEAD:main 2>../err
	) &&
	grep "remote: policy-check: rejected refs/heads/main" err &&
	grep "remote:   promotion: commit [0-9a-f]* \"fix: straight to prd\" is not on staging" err &&
	grep "\[remote rejected\] *HEAD -> main (pre-receive hook declined)" err &&
	last_judged | grep "\"pusher\":\"carol\".*\"decision\":\"reject\"" &&
	test "$(git -C "$k8s" rev-parse main)" = "$(git -C work rev-parse origin/main)"
'

test_expect_success 'gitolite refuses a user without access before any hook runs' '
	wc -l <audit/audit.log >before &&
	(cd work && test_must_fail as dave git push origin feature/gl-carol:feature/gl-dave 2>../err) &&
	grep "FATAL: W any k8s dave DENIED by fallthru" err &&
	wc -l <audit/audit.log >after &&
	test_cmp before after
'

test_expect_success 'policy-check accepts, gitolite.s update hook still refuses (carol has no +): no committed record' '
	(cd work && test_must_fail as carol git push origin :feature/gl-carol 2>../err) &&
	grep "remote: policy-check: accepted refs/heads/feature/gl-carol" err &&
	grep "remote: FATAL: + refs/heads/feature/gl-carol k8s carol DENIED by fallthru" err &&
	git -C "$k8s" rev-parse --verify refs/heads/feature/gl-carol &&
	tail -n 1 audit/audit.log >rec &&
	grep "\"hook\":\"pre-receive\".*\"ref\":\"refs/heads/feature/gl-carol\".*\"op\":\"delete\".*\"decision\":\"accept\"" rec
'

test_expect_success 'hooks installed directly into gitolite repositories survive gitolite setup' '
	apps="$GLHOME/repositories/apps.git" &&
	apps_real="$GLREAL/repositories/apps.git" &&
	policy-check install --policy policy.yml "$apps" >/dev/null &&
	gl_setup >>gitolite-setup.out 2>&1 &&
	grep "installed by policy-check" "$apps/hooks/pre-receive" &&
	grep "installed by policy-check" "$k8s/hooks/reference-transaction" &&
	test -L "$k8s/hooks/pre-receive.h00-policy-check" &&
	test "$(readlink "$apps/hooks/update")" = "$GLHOME/.gitolite/hooks/common/update"
'

test_expect_success 'the directly installed pre-receive judges pushes with GL_USER' '
	(
		cd work &&
		test_must_fail as carol git push "$gl/apps" HEAD:refs/heads/main 2>../err
	) &&
	grep "remote: policy-check: rejected refs/heads/main" err &&
	last_judged | grep "\"repo\":\"$apps_real\".*\"pusher\":\"carol\",\"identity\":\"GL_USER\""
'

test_expect_success 'the audit log verifies' '
	pc_audit_verify
'

test_done
