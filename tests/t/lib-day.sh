# lib-day.sh: a normal day of an SRE team with a shipped example policy
# (t8570-t8572).  Sourced after test-lib.sh and lib-examples.sh: ex_setup
# has made the server; every person works in a clone of their own.

# day_clone USER...: a clone of server.git in USER/, committing as USER.
day_clone() {
	for u in "$@"; do
		git clone -q server.git "$u" &&
		git -C "$u" config user.name "$u" &&
		git -C "$u" config user.email "$u@example.com" || return 1
	done
}

# day_hint_approve: the commit the last rejection asks approvals for, as
# the engine's hint "policy-check approve COMMIT --target REF" names it.
day_hint_approve() {
	sed -n 's/.*hint: policy-check approve \([0-9a-f]*\) --target .*/\1/p' \
		"$SHARNESS_TRASH_DIRECTORY/err" | sed -n 1p
}

# day_no_break_glass: the audit log verifies, has a record of every push
# of the day, and none of them used break-glass.
day_no_break_glass() {
	pc_audit_verify &&
	policy-check audit show --json audit/audit.log >day-records &&
	test -s day-records &&
	policy-check audit show --json --break-glass audit/audit.log >day-break-glass &&
	! test -s day-break-glass &&
	test $(grep -c "\"break_glass\":null" audit/audit.log) = $(wc -l <audit/audit.log)
}

# day_promote USER ARGS...: USER runs policy-check promote in their clone;
# its output in out, git's and the server's in err.
day_promote() {
	dp_user=$1
	shift
	(
		cd "$SHARNESS_TRASH_DIRECTORY/$dp_user" &&
		ex_as "$dp_user" policy-check promote --policy ../policy.yml "$@" >../out 2>../err
	)
}
