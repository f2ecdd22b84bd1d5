#!/bin/sh
test_description='gitolite3: an update policy-check accepted and gitolite refused is "accepted, not applied" in reconcile'
. "$(dirname "$0")/test-lib.sh"
. "$SHARNESS_TEST_SRCDIR/lib-servers.sh"

pc_require_root_and /usr/sbin/sshd openssh-server
pc_require_root_and /usr/share/gitolite3/gitolite-shell gitolite3

# As in t5200-gitolite.t: gitolite runs as root with its own HOME, a
# symbolic link from a path without spaces to the trash directory.
GLREAL="$SHARNESS_TRASH_DIRECTORY/gitolite-home"
mkdir "$GLREAL" &&
GLTMP=$(mktemp -d /tmp/pc-t8711.XXXXXX) &&
pc_remove_at_exit "$GLTMP" &&
ln -s "$GLREAL" "$GLTMP/home" || {
	skip_all="cannot make a temporary directory for gitolite's HOME"
	test_done
}
GLHOME="$GLTMP/home"

gl_setup() {
	env GIT_CONFIG_GLOBAL="$GLHOME/.gitconfig" USER=root HOME="$GLHOME" gitolite setup "$@"
}

# as USER COMMAND...: run a git command that reaches gitolite with USER's key.
as() {
	pc_as_key=$1
	shift
	GIT_SSH_COMMAND="$(pc_ssh_command "$SHARNESS_TRASH_DIRECTORY/keys/$pc_as_key")" "$@"
}

reconcile() {
	policy-check audit reconcile --repo "$k8s" "$SHARNESS_TRASH_DIRECTORY/audit/audit.log"
}

# The line of the audit log (1-based) of the last record matching PATTERN.
line_of() {
	grep -n "$1" "$SHARNESS_TRASH_DIRECTORY/audit/audit.log" | tail -n 1 | cut -d: -f1
}

test_expect_success 'setup: gitolite denies carol refs/heads/frozen; policy-check and reference-transaction installed directly' '
	pc_key admin && pc_key alice && pc_key bob && pc_key carol &&
	mkdir -p audit && chmod 700 audit &&
	policy-check audit keygen --origin test.example/policy-check audit/audit >/dev/null &&
	pc_write_policy pattern2 | sed "s/env: \[REMOTE_USER\]/env: [GL_USER]/" >policy.yml &&
	echo "work_branches: [\"feature/*\", \"hotfix/*\", frozen]" >>policy.yml &&
	policy-check lint --policy policy.yml >/dev/null &&
	gl_setup -pk keys/admin.pub >gitolite-setup.out 2>&1 &&
	pc_write_sshd_config "$PWD/sshd" \
		"AuthorizedKeysFile \"$GLHOME/.ssh/authorized_keys\"" \
		"SetEnv \"HOME=$GLHOME\"" &&
	pc_start_sshd "$PWD/sshd" &&
	gl="ssh://root@127.0.0.1:$PC_PORT" &&
	as admin git clone -q "$gl/gitolite-admin" admin &&
	for u in alice bob carol; do cp keys/$u.pub admin/keydir/ || return 1; done &&
	cat >admin/conf/gitolite.conf <<-CONF &&
	repo gitolite-admin
	    RW+     =   admin

	repo k8s
	    -       refs/heads/frozen   =   carol
	    RW+     =   alice bob
	    RW      =   carol
	CONF
	(
		cd admin &&
		git add conf keydir &&
		git commit -q -m "k8s, frozen for carol" &&
		as admin git push -q origin HEAD:master 2>../err
	) &&
	! grep "WARNING\|FATAL" err &&
	k8s="$GLHOME/repositories/k8s.git" &&
	policy-check install --policy "$PWD/policy.yml" --hook pre-receive --hook reference-transaction "$k8s" >/dev/null &&
	test "$(readlink "$k8s/hooks/update")" = "$GLHOME/.gitolite/hooks/common/update" &&
	grep "installed by policy-check" "$k8s/hooks/reference-transaction"
'

test_expect_success 'alice bootstraps main, develop, staging and frozen through gitolite' '
	git init -q work &&
	(
		cd work &&
		mkdir -p base overlays/dev &&
		echo "kind: Deployment" >base/app.yaml &&
		printf "resources: [../../base]\n" >overlays/dev/kustomization.yaml &&
		printf "* @alice @bob @carol\n" >CODEOWNERS &&
		git add . &&
		git commit -q -m "chore: initial layout" &&
		git remote add origin "$gl/k8s" &&
		as alice git push origin HEAD:main HEAD:develop HEAD:staging HEAD:frozen 2>../err &&
		as alice git fetch -q origin
	) &&
	grep "remote: policy-check: accepted refs/heads/frozen" err &&
	reconcile >out &&
	grep "every ref of .* is explained" out &&
	! grep "not applied" out
'

test_expect_success 'carol pushes frozen and a feature branch: policy-check accepts both, gitolite refuses frozen' '
	(
		cd work &&
		git checkout -q -b feature/gl-carol origin/develop &&
		pc_commit overlays/dev/c.yaml "c: 1" &&
		test_must_fail as carol git push origin HEAD:refs/heads/feature/gl-carol HEAD:refs/heads/frozen 2>../err
	) &&
	grep "remote: policy-check: accepted refs/heads/frozen" err &&
	grep "remote: policy-check: accepted refs/heads/feature/gl-carol" err &&
	grep "remote: FATAL: W refs/heads/frozen k8s carol DENIED by refs/heads/frozen" err &&
	test "$(git -C "$k8s" rev-parse frozen)" = "$(git -C work rev-parse origin/main)" &&
	test "$(git -C "$k8s" rev-parse feature/gl-carol)" = "$(git -C work rev-parse HEAD)" &&
	tail -n 1 audit/audit.log | grep "\"hook\":\"reference-transaction\".*\"ref\":\"refs/heads/feature/gl-carol\".*\"decision\":\"committed\""
'

test_expect_success 'reconcile: frozen is "accepted, not applied", still at its old value; exit 0' '
	n=$(line_of "\"hook\":\"pre-receive\".*\"pusher\":\"carol\".*\"ref\":\"refs/heads/frozen\"") &&
	push=$(sed -n "${n}p" audit/audit.log | sed "s/.*\"push\":\"\([0-9a-f]*\)\".*/\1/") &&
	old=$(git -C "$k8s" rev-parse frozen | cut -c1-10) &&
	reconcile >out &&
	echo "refs/heads/frozen: accepted in $SHARNESS_TRASH_DIRECTORY/audit/audit.log:$n (push $push) but not applied: the ref is still at $old; git or another hook refused it" >expect &&
	grep -v "^every ref" out >notes &&
	test_cmp expect notes &&
	grep "^every ref of .* is explained by accepted records in" out
'

test_expect_success 'a deletion gitolite refuses (carol has no +) is "accepted, not applied" too' '
	(cd work && test_must_fail as carol git push origin :feature/gl-carol 2>../err) &&
	grep "remote: policy-check: accepted refs/heads/feature/gl-carol" err &&
	grep "remote: FATAL: + refs/heads/feature/gl-carol k8s carol DENIED by fallthru" err &&
	reconcile >out &&
	grep "^refs/heads/feature/gl-carol: accepted in .* but not applied: the ref is still at $(git -C "$k8s" rev-parse feature/gl-carol | cut -c1-10);" out &&
	grep "^refs/heads/frozen: accepted in .* but not applied" out
'

test_expect_success 'frozen moved on the server behind the hooks is a finding again' '
	other=$(git -C "$k8s" commit-tree -p frozen -m "behind the hooks" "frozen^{tree}") &&
	git -C "$k8s" update-ref refs/heads/frozen $other &&
	test_expect_code 1 reconcile >out &&
	grep "^$SHARNESS_TRASH_DIRECTORY/audit/audit.log:[0-9]*: refs/heads/frozen was committed .* with no accepted decision before it$" out
'

test_expect_success 'the audit log verifies' '
	pc_audit_verify
'

test_done
