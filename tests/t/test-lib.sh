# tests/t/test-lib.sh: sourced by every tests/t/tNNNN-*.t after it sets
# test_description.  Finds the built programs, isolates git from the
# user's configuration, and loads Debian's sharness.

: "${PC_BUILD_DIR:=$(cd "$(dirname "$0")/../../_build" 2>/dev/null && pwd)}"
: "${PC_SRC_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
export PC_BUILD_DIR PC_SRC_DIR

SHARNESS_TEST_DIRECTORY="$PC_BUILD_DIR/tests/t"
SHARNESS_BUILD_DIRECTORY="$PC_BUILD_DIR"
mkdir -p "$SHARNESS_TEST_DIRECTORY"
export SHARNESS_TEST_DIRECTORY SHARNESS_BUILD_DIRECTORY

# Hooks are found next to the policy-check binary in the build tree.
PC_HOOK_DIR="$PC_BUILD_DIR/hooks"
export PC_HOOK_DIR

# A git that reads no user or system configuration.
GIT_CONFIG_NOSYSTEM=1
GIT_AUTHOR_NAME="A U Thor"
GIT_AUTHOR_EMAIL=author@example.com
GIT_COMMITTER_NAME="C O Mitter"
GIT_COMMITTER_EMAIL=committer@example.com
GIT_AUTHOR_DATE="1700000000 +0000"
GIT_COMMITTER_DATE="1700000000 +0000"
export GIT_CONFIG_NOSYSTEM GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL \
	GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL GIT_AUTHOR_DATE GIT_COMMITTER_DATE
unset GL_USERNAME GL_USER GITEA_PUSHER_NAME REMOTE_USER GIT_DIR GIT_WORK_TREE

# The hooks refuse a policy, key or allowed_signers that group or others
# can write: the files the tests write must not depend on the caller's umask.
umask 022

# A test that replaced /dev/null with a file would break every later test.
if ! test -c /dev/null; then
	echo "Bail out! /dev/null is not a character device; restore it: mknod -m 666 /dev/null c 1 3"
	exit 1
fi

. /usr/share/sharness/sharness.sh

# sharness made HOME the trash directory: the global config lives there.
GIT_CONFIG_GLOBAL="$HOME/.gitconfig"
export GIT_CONFIG_GLOBAL
git config --global init.defaultBranch main
git config --global advice.detachedHead false

# The example policies and CODEOWNERS shipped in policy/.
PC_POLICY_DIR="$PC_SRC_DIR/policy"
export PC_POLICY_DIR

# ---- fixtures for tests that push into a protected server repository ----

# pc_key NAME [TYPE [BITS]]: an SSH key pair keys/NAME{,.pub} made by ssh-keygen.
pc_key() {
	mkdir -p keys &&
	if test -n "${3:-}"; then
		ssh-keygen -q -t "${2:-ed25519}" -b "$3" -N "" -C "$1" -f "keys/$1"
	else
		ssh-keygen -q -t "${2:-ed25519}" -N "" -C "$1" -f "keys/$1"
	fi
}

# Users named in PC_MORE_USERS (members of sre), with keys/NAME.pub when it exists.
pc_more_users() {
	for u in ${PC_MORE_USERS:-}; do
		if test -f "keys/$u.pub"; then
			printf '  %s: { email: %s@example.com, keys: ["%s"] }\n' "$u" "$u" "$(cat "keys/$u.pub")"
		else
			printf '  %s: { email: %s@example.com }\n' "$u" "$u"
		fi
	done
}

# pc_write_policy STRATEGY: a policy for users alice, bob (group sre, admins)
# and carol (group app) with their keys, on stdout.  Tests append to it.
pc_write_policy() {
	cat <<-POLICY
	version: 1
	strategy: $1
	identity:
	  env: [REMOTE_USER]
	users:
	  alice: { email: alice@example.com, keys: ["$(cat keys/alice.pub)"] }
	  bob:   { email: bob@example.com, keys: ["$(cat keys/bob.pub)"] }
	  carol: { email: carol@example.com, keys: ["$(cat keys/carol.pub)"] }
$(pc_more_users)
	$(test -n "${PC_ALLOWED_SIGNERS:-}" && echo "allowed_signers: $PC_ALLOWED_SIGNERS")
	groups:
	  sre: [alice, bob$(for u in ${PC_MORE_USERS:-}; do printf ', %s' "$u"; done)]
	  app: [carol]
	admins: [sre]
	break_glass: { groups: [sre] }
	audit:
	  log: audit/audit.log
	  key: audit/audit.key
	  origin: test.example/policy-check
	POLICY
}

# pc_setup_server STRATEGY: keys, audit key, policy.yml, server.git with the
# hooks installed, and a clone in work/ whose main, develop and staging
# (pattern1/2) or main (pattern3) were created by the admin alice.
# Extra policy lines come from the file policy.extra when it exists.
pc_setup_server() {
	pc_key alice && pc_key bob && pc_key carol &&
	mkdir -p audit && chmod 700 audit &&
	policy-check audit keygen --origin test.example/policy-check audit/audit >/dev/null &&
	pc_write_policy "$1" >policy.yml &&
	if test -f policy.extra; then cat policy.extra >>policy.yml; fi &&
	git init -q --bare server.git &&
	policy-check install --policy policy.yml server.git >/dev/null &&
	git init -q work &&
	(
		cd work &&
		mkdir -p base overlays/dev overlays/stg overlays/prd &&
		echo "kind: Deployment" >base/app.yaml &&
		printf "resources: [app.yaml]\n" >base/kustomization.yaml &&
		for env in dev stg prd; do
			printf "resources: [../../base]\nimages:\n- name: app\n  newTag: \"1.0.0\"\n" \
				>overlays/$env/kustomization.yaml || return 1
		done &&
		if test -f ../CODEOWNERS; then cp ../CODEOWNERS CODEOWNERS; else
			printf "* @alice @bob @carol\n" >CODEOWNERS; fi &&
		git add . &&
		git commit -q -m "chore: initial layout" &&
		git remote add origin ../server.git &&
		if test "$1" = pattern3; then
			REMOTE_USER=alice git push -q origin HEAD:refs/heads/main
		else
			REMOTE_USER=alice git push -q origin HEAD:refs/heads/main HEAD:refs/heads/develop \
				HEAD:refs/heads/staging
		fi &&
		git fetch -q origin
	)
}

# pc_commit FILE CONTENT [MESSAGE]: commit a change in the current clone.
pc_commit() {
	mkdir -p "$(dirname "$1")" &&
	printf "%s\n" "$2" >"$1" &&
	git add "$1" &&
	git commit -q -m "${3:-feat: change $1}"
}

# pc_audit_verify: the server's audit log verifies.
pc_audit_verify() {
	policy-check audit verify --vkey "$SHARNESS_TRASH_DIRECTORY/audit/audit.vkey" "$SHARNESS_TRASH_DIRECTORY/audit/audit.log"
}

# pc_closed_to_others: the first directory above the build or the trash
# directory that other accounts cannot enter (no x for others), or nothing.
# The tests that run hooks as another account need the path open (a clone
# under a mktemp -d directory or a 0700 home is not).
pc_closed_to_others() {
	for pc_d in "$PC_BUILD_DIR" "$SHARNESS_TRASH_DIRECTORY"; do
		while test -n "$pc_d" && test "$pc_d" != /; do
			case $(stat -c %A "$pc_d" 2>/dev/null) in
			?????????x|?????????t) ;;
			*) echo "$pc_d"; return 0 ;;
			esac
			pc_d=$(dirname "$pc_d")
		done
	done
}
if test -z "$(pc_closed_to_others)"; then
	test_set_prereq OPEN_TO_OTHERS
fi

# pc_push accept|reject USER [GIT-PUSH-ARGS...]: push from the current clone
# as USER (REMOTE_USER), then check the result as git's check_push_result
# does: the push succeeds (accept) or fails (reject); git reports each ref
# as updated (accept) or as declined by the hook (reject); and policy-check
# reports every ref git sent as accepted (with break-glass or in dry-run
# too), or at least one as rejected and
# none of them as applied.  The pusher's stderr stays in ${PC_PUSH_ERR:-../err}
# for the test to read the reasons.  PC_PUSH_ENV holds more VAR=VALUE words
# for the pusher's environment (split on blanks, as env takes them), for
# tests that inject a fault into the hooks with PC_FAULT=...; with
# GL_PROTOCOL=web among them, policy-check's lines must carry GitLab's
# "GL-HOOK-ERR: " prefix.
pc_push() {
	pc_push_want=$1 pc_push_user=$2
	shift 2
	pc_push_pfx=
	case " ${PC_PUSH_ENV:-} " in *" GL_PROTOCOL=web "*) pc_push_pfx="GL-HOOK-ERR: " ;; esac
	pc_push_err=${PC_PUSH_ERR:-../err}
	pc_push_status=0
	pc_push_dir=$(git rev-parse --git-dir) || return 1
	env REMOTE_USER="$pc_push_user" ${PC_PUSH_ENV:-} git push --porcelain "$@" >"$pc_push_dir/push.porcelain" 2>"$pc_push_err" ||
		pc_push_status=$?
	# "<flag>TAB<src>:<dst>TAB<summary>" per ref, as "<flag> <dst>" with the
	# fast-forward flag (a space) as _; ! is a rejection, = up to date.
	sed -n -e 's/^ /_/' -e 's/^\(.\)	[^	]*:\([^	]*\)	.*/\1 \2/p' "$pc_push_dir/push.porcelain" >"$pc_push_dir/push.refs"
	if ! test -s "$pc_push_dir/push.refs"; then
		echo "pc_push: git reported no ref:" && cat "$pc_push_dir/push.porcelain" "$pc_push_err"
		return 1
	fi
	case $pc_push_want in
	accept)
		if test $pc_push_status != 0 || grep -q "^!" "$pc_push_dir/push.refs"; then
			echo "pc_push: expected the push to be accepted:" && cat "$pc_push_dir/push.porcelain" "$pc_push_err"
			return 1
		fi
		while read -r flag ref; do
			test "$flag" = "=" && continue
			grep -q "^remote: ${pc_push_pfx}policy-check: \(accepted\|accepted with break-glass\|dry-run, would reject\) $ref " \
				"$pc_push_err" || {
				echo "pc_push: policy-check did not report $ref as accepted:" && cat "$pc_push_err"
				return 1
			}
		done <"$pc_push_dir/push.refs"
		;;
	reject)
		if test $pc_push_status = 0 || grep -vq "^[!=]" "$pc_push_dir/push.refs" ||
		   ! grep -q "hook declined" "$pc_push_dir/push.porcelain"; then
			echo "pc_push: expected the hook to decline every ref:" && cat "$pc_push_dir/push.porcelain" "$pc_push_err"
			return 1
		fi
		# the rejection must name a ref of this push, not any ref at all
		while read -r flag ref; do
			grep -q "^remote: ${pc_push_pfx}policy-check: rejected $ref " "$pc_push_err" && break
		done <"$pc_push_dir/push.refs" || {
			echo "pc_push: policy-check reported no ref of this push as rejected:" && cat "$pc_push_err"
			return 1
		}
		;;
	*)
		echo "pc_push: accept or reject, not $pc_push_want"
		return 1
		;;
	esac
}
