#!/bin/sh
test_description='root runs the read-only commands on a repository the git account owns: git'"'"'s safe.directory rule, git'"'"'s hint'
. "$(dirname "$0")/test-lib.sh"

# An installation as README.md describes it: the bare repository belongs
# to a locked system account, and root runs lint, status and audit
# reconcile there.  git refuses such a repository ("dubious ownership")
# unless safe.directory lists it; policy-check follows the same rule and
# prints git's own hint, never libgit2's "config value 'safe.directory'
# was not found".
if test "$(id -u)" != 0; then
	skip_all="needs root to create a system account and chown a repository to it"
	test_done
fi
if ! test_have_prereq OPEN_TO_OTHERS; then
	skip_all="other accounts cannot enter $(pc_closed_to_others): clone where they can to run this test"
	test_done
fi
if ! command -v useradd >/dev/null 2>&1; then
	skip_all="useradd is missing (Debian package passwd)"
	test_done
fi

account=pcsd$$
trap 'userdel "$account" >/dev/null 2>&1' EXIT

# run_all: the three read-only commands as root, output in out.lint,
# out.status, out.reconcile; fails when any of them fails.
run_all() {
	policy-check lint --policy policy.yml --repo server.git >out.lint 2>&1 &&
	policy-check status --repo server.git >out.status 2>&1 &&
	policy-check audit reconcile --repo server.git audit/audit.log >out.reconcile 2>&1
}

test_expect_success 'setup: a repository owned by a locked system account' '
	pc_setup_server pattern2 &&
	useradd --system --no-create-home --shell /usr/bin/git-shell "$account" &&
	test "$(getent passwd "$account" | cut -d: -f7)" = /usr/bin/git-shell &&
	chown -R "$account:" server.git &&
	test "$(stat -c %U server.git)" = "$account" &&
	real=$(cd server.git && pwd -P)
'

test_expect_success 'git itself refuses it, and says how to add the exception' '
	test_must_fail git -C server.git rev-parse --git-dir 2>err.git &&
	grep "detected dubious ownership in repository at .$real." err.git &&
	sed -n "s/^	\(git config --global --add safe.directory .*\)/\1/p" err.git >hint &&
	grep "$real" hint
'

for cmd in lint status reconcile
do
	test_expect_success "$cmd refuses it with git's words and git's hint" '
		test_must_fail run_all &&
		case $cmd in
		lint) test_must_fail policy-check lint --policy policy.yml --repo server.git 2>err ;;
		status) test_must_fail policy-check status --repo server.git >out 2>err ;;
		reconcile) test_must_fail policy-check audit reconcile --repo server.git audit/audit.log 2>err ;;
		esac &&
		grep "detected dubious ownership in repository at .$real.; to add an exception for this directory, call: " err &&
		sed -n "s/.*, call: //p" err >hint.ours &&
		test_cmp hint hint.ours &&
		! grep "was not found" err
	'
done

test_expect_success 'with git'"'"'s hint followed, all three work' '
	git config --global --add safe.directory "$real" &&
	run_all &&
	grep "develop -> staging" out.status &&
	! grep "dubious" out.lint out.status out.reconcile
'

test_expect_success 'safe.directory=* works (libgit2 1.5 alone does not know it)' '
	git config --global --unset-all safe.directory &&
	test_must_fail run_all &&
	git config --global --add safe.directory "*" &&
	run_all
'

test_expect_success 'an empty safe.directory forgets the entries before it, as in git' '
	git config --global --add safe.directory "" &&
	test_must_fail git -C server.git rev-parse --git-dir 2>/dev/null &&
	test_must_fail run_all &&
	git config --global --add safe.directory "$real" &&
	git -C server.git rev-parse --git-dir &&
	run_all
'

test_expect_success 'root under sudo, as the owner (SUDO_UID), is trusted as git trusts it' '
	git config --global --unset-all safe.directory &&
	test_must_fail run_all &&
	SUDO_UID=$(id -u "$account") run_all
'

test_expect_success 'the account that owns it (the hooks'"'"' account) needs no exception' '
	git config --global --unset-all safe.directory 2>/dev/null;
	chmod 755 . &&
	setpriv --reuid="$account" --regid="$(id -g "$account")" --clear-groups \
		policy-check lint --policy "$PWD/policy.yml" --repo server.git >out 2>&1 ||
		{ cat out; false; }
'

test_done
