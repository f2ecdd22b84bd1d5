#!/bin/sh
test_description='GitLab web UI (GL_PROTOCOL=web): policy-check prefixes its own lines with GL-HOOK-ERR:'
. "$(dirname "$0")/test-lib.sh"

# GitLab shows the user of its web UI (merge button, web editor, API) only
# the hook's output lines that start with "GL-HOOK-ERR: ".  The hook adds
# the prefix itself, to every line it prints, when GitLab says the change
# comes from there; git clients (GL_PROTOCOL=ssh or http) read the lines
# unprefixed.  No wrapper: the hooks are the ones `policy-check install`
# writes.

# hook_lines FILE: the lines the hook printed (git's "remote: " lines).
hook_lines() {
	sed -n "s/^remote: //p" "$1" | sed "s/ *\$//" | grep -v "^\$"
}

test_expect_success 'setup: a pattern2 server, hooks as install writes them' '
	pc_setup_server pattern2 &&
	grep "installed by policy-check" server.git/hooks/pre-receive &&
	(
		cd work &&
		git checkout -q -b direct origin/main &&
		pc_commit overlays/prd/p.yaml "p: 1" "fix: straight to prd" &&
		git checkout -q -b feature/web origin/develop &&
		pc_commit overlays/dev/d.yaml "d: 1"
	)
'

test_expect_success 'a rejected change from the web UI: every line of the report is prefixed' '
	(cd work && PC_PUSH_ENV="GL_PROTOCOL=web" pc_push reject carol origin direct:main) &&
	grep "^remote: GL-HOOK-ERR: policy-check: rejected refs/heads/main [0-9a-f]*\.\.[0-9a-f]*" err &&
	grep "^remote: GL-HOOK-ERR:   promotion: commit [0-9a-f]* \"fix: straight to prd\" is not on staging" err &&
	grep "^remote: GL-HOOK-ERR:     hint: " err &&
	grep "^remote: GL-HOOK-ERR: policy-check: audit record [0-9]*" err &&
	hook_lines err >lines &&
	test "$(wc -l <lines)" -gt 3 &&
	! grep -v "^GL-HOOK-ERR: " lines &&
	test "$(git -C server.git rev-parse main)" = "$(git -C work rev-parse origin/main)"
'

test_expect_success 'the audit record is the same as for a git client: the prefix is presentation only' '
	tail -n 1 audit/audit.log >rec &&
	grep "\"pusher\":\"carol\".*\"ref\":\"refs/heads/main\".*\"decision\":\"reject\"" rec &&
	! grep "GL-HOOK-ERR" audit/audit.log
'

test_expect_success 'an accepted change from the web UI is reported prefixed too' '
	(cd work && PC_PUSH_ENV="GL_PROTOCOL=web" pc_push accept carol origin feature/web) &&
	grep "^remote: GL-HOOK-ERR: policy-check: accepted refs/heads/feature/web" err &&
	hook_lines err >lines &&
	! grep -v "^GL-HOOK-ERR: " lines
'

for proto in ssh http
do
	test_expect_success "a git client (GL_PROTOCOL=$proto) reads the lines unprefixed" '
		(cd work && PC_PUSH_ENV="GL_PROTOCOL=$proto" pc_push reject carol origin direct:main) &&
		grep "^remote: policy-check: rejected refs/heads/main" err &&
		! grep "GL-HOOK-ERR" err
	'
done

test_expect_success 'a push that cannot be judged (the policy is invalid): every line prefixed, the push fails' '
	cp policy.yml policy.good &&
	echo "no_such_key: 1" >>policy.yml &&
	(cd work && test_must_fail env GL_PROTOCOL=web REMOTE_USER=carol git push origin HEAD:feature/web2 2>../err) &&
	grep "^remote: GL-HOOK-ERR: policy-check: rejected: the server.s policy .* is invalid" err &&
	grep "^remote: GL-HOOK-ERR: .*policy.yml:[0-9]*:[0-9]*: " err &&
	hook_lines err >lines &&
	! grep -v "^GL-HOOK-ERR: " lines &&
	test_must_fail git -C server.git rev-parse --verify -q refs/heads/feature/web2 &&
	cp policy.good policy.yml
'

test_expect_success 'the update hook prefixes its lines as well' '
	rm server.git/hooks/pre-receive &&
	policy-check install --hook update server.git >/dev/null &&
	(cd work && test_must_fail env GL_PROTOCOL=web REMOTE_USER=carol git push origin direct:main 2>../err) &&
	grep "^remote: GL-HOOK-ERR: policy-check: rejected refs/heads/main" err &&
	hook_lines err >lines &&
	grep -v "^GL-HOOK-ERR: " lines >others &&
	echo "error: hook declined to update refs/heads/main" >expect &&
	test_cmp expect others &&
	tail -n 1 audit/audit.log | grep "\"hook\":\"update\".*\"decision\":\"reject\"" &&
	policy-check install server.git >/dev/null
'

test_expect_success 'the audit log verifies' '
	pc_audit_verify
'

test_done
