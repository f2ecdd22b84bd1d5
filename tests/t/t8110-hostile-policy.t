#!/bin/sh
test_description='every class of policy error rejects the push (fail closed) with FILE:LINE:COLUMN, and nothing is recorded'
. "$(dirname "$0")/test-lib.sh"

Z=0000000000000000000000000000000000000000

# judge: the installed pre-receive hook judges one update as git would run
# it; its stderr is in err.
judge() {
	(cd server.git && echo "$Z $tip refs/heads/feature/p" | GIT_DIR=. REMOTE_USER=alice ./hooks/pre-receive) 2>err
}

# refused WHERE MESSAGE: rejected as an invalid policy, the diagnostic is
# "policy.yml:WHERE: MESSAGE", and no record was written.
refused() {
	grep "policy-check: rejected: the server.s policy .*policy.yml is invalid" err &&
	grep "policy.yml:$1: $2" err &&
	test_cmp records.before audit/audit.log
}

test_expect_success 'setup: a pattern2 server whose policy accepts the update' '
	pc_setup_server pattern2 &&
	tip=$(git -C server.git rev-parse main) &&
	cp policy.yml policy.good &&
	judge &&
	grep "policy-check: accepted refs/heads/feature/p" err &&
	cp audit/audit.log records.before
'

# One line appended to the valid policy per case: the line (printf %b),
# the column of the diagnostic (0: anywhere), and the diagnostic.
cat >cases <<\EOF
bogus_key: 1	1	unknown key .bogus_key. at the top level
other_refs: [deny]	13	other_refs: expected deny or allow, found a list
tags: { pattern: "v*", create: [ghost] }	33	tags.create: .ghost. is not a user or group defined in the policy
tags: { pattern: "v*", create: [sre], x: 1 }	39	unknown key .x. in tags
branches: { main: { approvers: [nobody] } }	33	branches.main.approvers: .nobody. is not a user or group
branches: { "main[": {} }	13	branches: .main\[. is not a valid branch pattern
rules: { commit_message: "(" }	26	rules.commit_message: the regex does not compile
rules: { deny_paths: ["x", "["] }	28	rules.deny_paths: the regex does not compile
rules: { max_blob_size: 5XB }	25	rules.max_blob_size: .5XB. is not a size
approvals: { required: two }	24	approvals.required: expected a whole number
limits: { max_refs: -1 }	21	limits.max_refs: expected a whole number
approvals: { codeowners: [../../etc/passwd] }	27	approvals.codeowners: .\.\./\.\./etc/passwd. must not contain
enforcement: maybe	14	enforcement: .maybe. is not valid
strategy: pattern9	1	duplicate key .strategy.
rules: [	0	invalid YAML
rules: { commit_message: "\0377" }	27	not valid YAML text: invalid leading UTF-8 octet
rules: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[	71	the YAML is nested deeper than 64 levels
EOF

test_expect_success 'each class of error in turn' '
	n=$(wc -l <policy.good) &&
	while IFS="	" read -r line col msg; do
		cp policy.good policy.yml &&
		printf "%b\n" "$line" >>policy.yml &&
		if test "$col" = 0; then where="[0-9]*:[0-9]*"; else where="$((n + 1)):$col"; fi &&
		test_must_fail judge &&
		refused "$where" "$msg" || { echo "case: $line"; cat err; return 1; }
	done <cases
'

test_expect_success 'an alias bomb is refused, not expanded' '
	cp policy.good policy.yml &&
	echo "x0: &a0 [1, 1]" >>policy.yml &&
	for i in $(seq 1 30); do
		echo "x$i: &a$i [*a$((i - 1)), *a$((i - 1))]" >>policy.yml || return 1
	done &&
	test_must_fail judge &&
	refused "[0-9]*:[0-9]*" "aliases expand this document to more than 1000000 nodes"
'

test_expect_success 'a policy over 1 MiB is refused before it is parsed' '
	cp policy.good policy.yml &&
	head -c 1100000 /dev/zero | tr "\0" "#" >>policy.yml &&
	test_must_fail judge &&
	grep "policy.yml: file is [0-9]* bytes, over the limit of 1048576 bytes" err &&
	test_cmp records.before audit/audit.log
'

test_expect_success 'an empty policy, a list, a directory, a missing file' '
	: >policy.yml &&
	test_must_fail judge &&
	refused 1:1 "the policy is empty" &&
	echo "- version: 1" >policy.yml &&
	test_must_fail judge &&
	refused 1:1 "the policy must be a mapping" &&
	rm policy.yml && mkdir policy.yml &&
	test_must_fail judge &&
	grep "policy-check: rejected: .*policy.yml" err &&
	rmdir policy.yml &&
	test_must_fail judge &&
	grep "policy-check: rejected: .*policy.yml" err &&
	test_cmp records.before audit/audit.log
'

test_expect_success 'a policy with no audit section accepts nothing' '
	grep -v "^audit:\|^  log:\|^  key:\|^  origin:" policy.good >policy.yml &&
	test_must_fail judge &&
	refused 1:1 "missing required key .audit."
'

test_expect_success 'the valid policy accepts again, and the log verifies' '
	cp policy.good policy.yml &&
	judge &&
	grep "policy-check: accepted refs/heads/feature/p" err &&
	pc_audit_verify
'

test_done
