#!/bin/sh
test_description='the hook scripts shipped for GitLab and Gitea, run by git as the pre-receive hook'
. "$(dirname "$0")/test-lib.sh"

# GitLab and Gitea cannot run here; what can be tested is our side: the
# scripts in contrib/integrations run policy-check with the forge's pusher
# variable and keep its exit status; policy-check itself prefixes the report
# for GitLab's web UI (GL_PROTOCOL=web).

# use_script FILE: FILE, pointed at the hooks of this build, as server.git's
# pre-receive hook in place of the one policy-check install wrote.
use_script() {
	sed "s|^hook=.*|hook='$PC_HOOK_DIR/pre-receive'|" "$PC_SRC_DIR/contrib/integrations/$1" \
		>server.git/hooks/pre-receive &&
	chmod 755 server.git/hooks/pre-receive &&
	grep "^hook='$PC_HOOK_DIR/pre-receive'" server.git/hooks/pre-receive
}

# identity VAR: the policy names the pusher by VAR only.
identity() {
	sed "s/^  env: \[.*\]$/  env: [$1]/" policy.yml >policy.tmp &&
	mv policy.tmp policy.yml &&
	grep "^  env: \[$1\]$" policy.yml
}

test_expect_success 'setup: a pattern2 server whose pre-receive is the GitLab wrapper' '
	pc_setup_server pattern2 &&
	identity GL_USERNAME &&
	use_script gitlab/pre-receive.d-policy-check &&
	(
		cd work &&
		git checkout -q -b direct origin/main &&
		pc_commit overlays/prd/p.yaml "p: 1" "fix: straight to prd" &&
		git checkout -q -b feature/gl origin/develop &&
		pc_commit overlays/dev/d.yaml "d: 1"
	)
'

test_expect_success 'GitLab, a git client (GL_PROTOCOL=ssh): the report is unprefixed' '
	(cd work && test_must_fail env GL_USERNAME=carol GL_PROTOCOL=ssh git push origin direct:main 2>../err) &&
	grep "^remote: policy-check: rejected refs/heads/main" err &&
	! grep "GL-HOOK-ERR" err &&
	tail -n 1 audit/audit.log | grep "\"pusher\":\"carol\",\"identity\":\"GL_USERNAME\".*\"decision\":\"reject\""
'

test_expect_success 'GitLab, the web UI (GL_PROTOCOL=web): every line is prefixed GL-HOOK-ERR, the push still fails' '
	(cd work && test_must_fail env GL_USERNAME=carol GL_PROTOCOL=web git push origin direct:main 2>../err) &&
	grep "^remote: GL-HOOK-ERR: policy-check: rejected refs/heads/main" err &&
	grep "^remote: GL-HOOK-ERR:   promotion: commit [0-9a-f]* \"fix: straight to prd\" is not on staging" err &&
	! grep "^remote: policy-check" err &&
	grep "\[remote rejected\] *direct -> main (pre-receive hook declined)" err &&
	test "$(git -C server.git rev-parse main)" = "$(git -C work rev-parse origin/main)"
'

test_expect_success 'GitLab, the web UI: an accepted push is accepted through the script' '
	(cd work && GL_USERNAME=carol GL_PROTOCOL=web git push origin feature/gl 2>../err) &&
	grep "^remote: GL-HOOK-ERR: policy-check: accepted refs/heads/feature/gl" err &&
	test "$(git -C server.git rev-parse feature/gl)" = "$(git -C work rev-parse feature/gl)"
'

test_expect_success 'GitLab: no GL_USERNAME means an unidentified pusher, rejected' '
	(cd work && test_must_fail env GL_PROTOCOL=http git push origin feature/gl:feature/gl-anon 2>../err) &&
	grep "protect: work branch feature/gl-anon needs a known pusher, and the pusher is unidentified" err
'

test_expect_success 'Gitea: the pre-receive.d script runs policy-check with GITEA_PUSHER_NAME' '
	identity GITEA_PUSHER_NAME &&
	use_script gitea/pre-receive.d-policy-check &&
	(cd work && test_must_fail env GITEA_PUSHER_NAME=carol git push origin direct:main 2>../err) &&
	grep "^remote: policy-check: rejected refs/heads/main" err &&
	tail -n 1 audit/audit.log | grep "\"pusher\":\"carol\",\"identity\":\"GITEA_PUSHER_NAME\"" &&
	(cd work && GITEA_PUSHER_NAME=alice git push -o "break-glass=INC-9 prd down, restoring" origin direct:main 2>../err) &&
	grep "^remote: policy-check: accepted with break-glass refs/heads/main" err
'

test_expect_success 'the audit log verifies' '
	pc_audit_verify
'

test_done
