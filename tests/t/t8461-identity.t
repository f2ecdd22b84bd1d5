#!/bin/sh
test_description='the policy names the one identity variable its server sets; no implicit list, nothing a client can set; shipped examples own CODEOWNERS'
. "$(dirname "$0")/test-lib.sh"

KNOWN="GL_USERNAME (GitLab), GL_USER (gitolite), GITEA_PUSHER_NAME (Gitea, Forgejo) or REMOTE_USER (a web server's authentication in front of git-http-backend, or sshd's authorized_keys)"

# push_feature VAR=VALUE...: push a new feature branch with those variables
# set (and no other identity variable); git's stderr in err.
push_feature() {
	(
		cd work &&
		git checkout -q -B feature/id origin/develop &&
		pc_commit "id-$$-$(date +%s%N).txt" x "feat: id" &&
		env -u REMOTE_USER -u GL_USER -u GL_USERNAME -u GITEA_PUSHER_NAME "$@" \
			git push -f origin feature/id
	) 2>err
}

test_expect_success 'setup: a pattern2 server' '
	pc_setup_server pattern2 &&
	cp policy.yml policy.good &&
	sed "/^identity:/,/^  env:/d" policy.good >policy.none &&
	! grep "identity\|env:" policy.none &&
	push_feature REMOTE_USER=carol &&
	grep "remote: policy-check: accepted refs/heads/feature/id" err
'

test_expect_success 'lint: a policy without identity is invalid and lists the variables servers set' '
	test_expect_code 2 policy-check lint --policy policy.none 2>err &&
	echo "policy.none:1:1: missing required key '\''identity'\''; name the one variable your server sets to the pusher'\''s name, e.g. '\''identity: { env: [REMOTE_USER] }'\'': $KNOWN" >expect &&
	test_cmp expect err
'

test_expect_success 'without identity no variable names the pusher: a push with GL_USERNAME set is rejected' '
	cp policy.none policy.yml &&
	test_must_fail push_feature GL_USERNAME=carol &&
	grep "remote: policy-check: rejected: the server.s policy .*policy.yml is invalid" err &&
	grep "policy.yml:1:1: missing required key .identity." err &&
	cp policy.good policy.yml
'

test_expect_success 'lint: identity.env names exactly one variable' '
	sed "s/^  env: \[REMOTE_USER\]$/  env: [GL_USERNAME, REMOTE_USER]/" policy.good >two.yml &&
	line=$(grep -n "^  env: " two.yml | cut -d: -f1) &&
	test_expect_code 2 policy-check lint --policy two.yml 2>err &&
	echo "two.yml:$line:22: identity.env: name exactly one variable, the one your server sets; with several, the first one set names the pusher, so a client able to set one the server leaves unset could push as anyone" >expect &&
	test_cmp expect err &&
	cp two.yml policy.yml &&
	test_must_fail push_feature REMOTE_USER=carol &&
	grep "remote: policy-check: rejected: the server.s policy .*policy.yml is invalid" err &&
	cp policy.good policy.yml
'

test_expect_success 'lint: identity.env without a variable, or without env' '
	sed "s/^  env: \[REMOTE_USER\]$/  env: []/" policy.good >empty.yml &&
	line=$(grep -n "^  env: " empty.yml | cut -d: -f1) &&
	test_expect_code 2 policy-check lint --policy empty.yml 2>err &&
	echo "empty.yml:$line:8: identity.env: the list is empty; name the one variable your server sets to the pusher'\''s name: $KNOWN" >expect &&
	test_cmp expect err &&
	sed -e "s/^identity:$/identity: {}/" -e "/^  env: /d" policy.good >noenv.yml &&
	line=$(grep -n "^identity: {}" noenv.yml | cut -d: -f1) &&
	test_expect_code 2 policy-check lint --policy noenv.yml 2>err &&
	echo "noenv.yml:$line:11: identity: missing required key '\''env'\''; name the one variable your server sets to the pusher'\''s name, e.g. '\''env: [REMOTE_USER]'\'': $KNOWN" >expect &&
	test_cmp expect err
'

# Variables a client can set or shape, and why.
cat >client-vars <<\EOF
LANG	sshd accepts it from the client (AcceptEnv LANG LC_*)
LC_PUSHER	sshd accepts LC_* from the client (AcceptEnv LANG LC_*)
SSH_ORIGINAL_COMMAND	sshd sets SSH_* from the client's connection and command
GIT_PROTOCOL	git sets GIT_* variables, some from the client (GIT_PROTOCOL, push options)
HTTP_X_REMOTE_USER	a web server passes the client's request headers as HTTP_*
EOF

test_expect_success 'lint: a variable the client can set is refused, with why' '
	while IFS="	" read -r var why; do
		sed "s/^  env: \[REMOTE_USER\]$/  env: [$var]/" policy.good >client.yml &&
		line=$(grep -n "^  env: " client.yml | cut -d: -f1) &&
		test_expect_code 2 policy-check lint --policy client.yml 2>err &&
		echo "client.yml:$line:9: identity.env: '\''$var'\'' can come from the client: $why; name the variable your server sets: $KNOWN" >expect &&
		test_cmp expect err || return 1
	done <client-vars
'

test_expect_success 'a pusher named only by another variable is unidentified' '
	test_must_fail push_feature GL_USERNAME=alice GL_USER=alice GITEA_PUSHER_NAME=alice &&
	grep "remote: policy-check: rejected refs/heads/feature/id" err &&
	push_feature REMOTE_USER=alice &&
	grep "remote: policy-check: accepted refs/heads/feature/id" err
'

test_expect_success 'every shipped policy names exactly one identity variable' '
	for f in "$PC_POLICY_DIR"/pattern*.yml; do
		policy-check lint --expand --policy "$f" >expanded.yml &&
		grep -A1 "^identity:$" expanded.yml | sed -n 2p >env &&
		grep -E "^  env: \[\"[A-Z_]+\"\]$" env || { echo "$f: $(cat env)"; return 1; }
	done
'

# The owners of every place CODEOWNERS is looked for, by a shipped policy
# and its CODEOWNERS.
test_expect_success 'every shipped CODEOWNERS makes the admins owners of every CODEOWNERS location' '
	for n in 1 2 3; do
		rm -rf repo$n && git init -q repo$n &&
		cp "$PC_POLICY_DIR/CODEOWNERS.pattern$n" repo$n/CODEOWNERS &&
		git -C repo$n add CODEOWNERS && git -C repo$n commit -q -m owners &&
		policy-check owners --repo repo$n --policy "$PC_POLICY_DIR/pattern$n.yml" \
			CODEOWNERS .github/CODEOWNERS docs/CODEOWNERS .gitlab/CODEOWNERS >out &&
		grep -c "^  (default) @sre (alice, bob[a-z, ]*)  (CODEOWNERS:[0-9]*)$" out >count &&
		echo 4 >expect && test_cmp expect count &&
		! grep "^  (default) .*@app" out || { cat out; return 1; }
	done
'

test_done
