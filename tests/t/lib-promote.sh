# lib-promote.sh: policy-check promote run in work/ as a user of a shipped
# example (t8560-t8562).  Sourced after test-lib.sh and lib-examples.sh.

# promote USER ARGS...: USER runs policy-check promote in work/; output in
# ../out, errors in ../err, the exit code in ../code.
promote() {
	pr_user=$1
	shift
	pr_code=0
	ex_as "$pr_user" policy-check promote --policy ../policy.yml "$@" >../out 2>../err || pr_code=$?
	echo $pr_code >../code
	cat ../out ../err
}

# approve_printed: every "  USER: policy-check approve COMMIT --target REF"
# line of ../out, run as USER with their key.
approve_printed() {
	sed -n "s/^  \([a-z]*\): policy-check approve \([0-9a-f]*\) --target \(.*\)/\1 \2 \3/p" ../out >../steps &&
	test -s ../steps &&
	while read user commit target; do
		ex_approve "$user" "$commit" "$target" >/dev/null || return 1
	done <../steps
}
