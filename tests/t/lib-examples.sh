# lib-examples.sh: the shipped example policies (policy/patternN.yml) with
# their own users, for tests that walk a normal day with them.  Sourced
# after test-lib.sh.

# ex_users PATTERN: the users the example policy defines.
ex_users() {
	sed -n 's/^  \([a-z][a-z0-9_-]*\): *{ *email:.*/\1/p' "$PC_POLICY_DIR/$1.yml"
}

# ex_id_var PATTERN: the variable the example policy reads the pusher from.
ex_id_var() {
	sed -n '/^identity:/,/^[a-z]/s/^  env: *\[\([A-Z_]*\).*/\1/p' "$PC_POLICY_DIR/$1.yml"
}

# ex_setup PATTERN: policy.yml is policy/PATTERN.yml unchanged except for
# the keys (a fresh ssh-keygen key per user, keys/NAME), the paths (its
# allowed_signers, copied here with a fresh key for each line) and the
# audit log and key (here, with the example's origin).  server.git has the
# hooks; work/ holds the example repository, and its protected branches
# (BRANCHES, "main" by default) were created by the admin alice.
ex_setup() {
	ex_pattern=$1
	shift
	ex_id=$(ex_id_var "$ex_pattern") && test -n "$ex_id" &&
	ex_origin=$(sed -n 's/^  origin: *//p' "$PC_POLICY_DIR/$ex_pattern.yml") &&
	set -- -e 's|^\(  log: *\).*|\1audit/audit.log|' -e 's|^\(  key: *\).*|\1audit/audit.key|' "$@" &&
	for u in $(ex_users "$ex_pattern"); do
		pc_key "$u" &&
		set -- "$@" -e "s|^\\(  $u: *{.*keys: *\\[\\)\"[^\"]*\"|\\1\"$(cat "keys/$u.pub")\"|" ||
		return 1
	done &&
	sed "$@" "$PC_POLICY_DIR/$ex_pattern.yml" >policy.yml &&
	for u in $(ex_users "$ex_pattern"); do
		grep -qF "$(cat "keys/$u.pub")" policy.yml || { echo "no key line for $u"; return 1; }
	done &&
	if grep -q "^allowed_signers: allowed_signers$" policy.yml; then
		pc_key signer2 &&
		sed "s|ssh-[a-z0-9-]* [A-Za-z0-9+/=]*|$(cut -d" " -f1,2 keys/signer2.pub)|" \
			"$PC_POLICY_DIR/allowed_signers" >allowed_signers
	fi &&
	mkdir -p audit && chmod 700 audit &&
	policy-check audit keygen --origin "$ex_origin" audit/audit >/dev/null &&
	git init -q --bare server.git &&
	policy-check install --policy policy.yml server.git >/dev/null &&
	git init -q work &&
	cp -R "$PC_POLICY_DIR/examples/$ex_pattern/." work/ &&
	(
		cd work &&
		git config user.name alice && git config user.email alice@example.com &&
		git add . && git commit -q -m "chore: import the example repository" &&
		git remote add origin ../server.git
	)
}

# ex_as USER CMD...: run CMD as USER: the policy's identity variable (and
# REMOTE_USER) name them, and git signs their commits with their name.
ex_as() {
	ex_user=$1
	shift
	env REMOTE_USER="$ex_user" "$ex_id=$ex_user" \
		GIT_AUTHOR_NAME="$ex_user" GIT_AUTHOR_EMAIL="$ex_user@example.com" \
		GIT_COMMITTER_NAME="$ex_user" GIT_COMMITTER_EMAIL="$ex_user@example.com" "$@"
}

# ex_push accept|reject USER GIT-PUSH-ARGS...: pc_push as USER with the
# policy's identity variable.
ex_push() {
	ex_want=$1 ex_user=$2
	shift 2
	PC_PUSH_ENV="$ex_id=$ex_user" pc_push "$ex_want" "$ex_user" "$@"
}

# ex_approve USER REV TARGET: USER signs an approval of REV for TARGET with
# their key and pushes it.
ex_approve() {
	ex_as "$1" policy-check approve --key "$SHARNESS_TRASH_DIRECTORY/keys/$1" --target "$3" "$2"
}
