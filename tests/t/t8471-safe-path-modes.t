#!/bin/sh
test_description='which modes of the policy, audit key and audit log the hooks accept, and that lint only warns'
. "$(dirname "$0")/test-lib.sh"

Z=0000000000000000000000000000000000000000

# judge N: the installed pre-receive hook judges the creation of
# refs/heads/feature/mN at main, as git would run it; stderr in err.
judge() {
	(cd server.git && echo "$Z $tip refs/heads/feature/m$1" | GIT_DIR=. REMOTE_USER=alice ./hooks/pre-receive) 2>err
}

test_expect_success 'setup: a pattern2 server' '
	pc_setup_server pattern2 &&
	tip=$(git -C server.git rev-parse main) &&
	judge 0 &&
	grep "policy-check: accepted refs/heads/feature/m0" err
'

# FILE MODE EXPECTED [WHAT THE MESSAGE SAYS]: the file (the directory, for
# a mode on audit) gets MODE for one judged push; then its mode is restored.
# Group write is refused for the policy and the key, allowed for the log
# and its directory (accounts of one group sharing a log); world write is
# refused everywhere, a sticky world-writable directory too for the log.
cat >cases <<-\EOF
policy.yml 0664 refused refusing a file writable by group or others (mode 0664); run chmod go-w
policy.yml 0646 refused refusing a file writable by others (mode 0646); run chmod go-w
policy.yml 0640 accepted
policy.yml 0444 accepted
audit/audit.key 0620 refused refusing a file writable by group or others (mode 0620); run chmod go-w
audit/audit.key 0640 accepted
audit/audit.log 0660 accepted
audit/audit.log 0664 accepted
audit/audit.log 0662 refused refusing a file writable by others (mode 0662); run chmod o-w
audit/audit.log 0602 refused refusing a file writable by others (mode 0602); run chmod o-w
EOF

test_expect_success 'each mode of the table is accepted or refused, with the fix' '
	n=0 &&
	while read file mode expect message; do
		n=$((n + 1)) &&
		old=$(stat -c %a "$file") &&
		chmod "$mode" "$file" &&
		if judge "$n"; then got=accepted; else got=refused; fi &&
		chmod "$old" "$file" &&
		if test "$got" != "$expect"; then
			echo "$file $mode: $got, expected $expect"; cat err; return 1
		fi &&
		if test "$expect" = refused; then
			grep "\(policy-check: rejected: \|internal: cannot write the audit record, so nothing can be accepted: \).*$file: $message $PWD/$file\$" err || {
				echo "$file $mode: the message does not say how to fix it"; cat err; return 1
			}
		else
			grep "policy-check: accepted refs/heads/feature/m$n" err || return 1
		fi
	done <cases &&
	pc_audit_verify
'

test_expect_success 'a policy or key in a directory writable by group is refused, unless sticky' '
	mkdir -p conf && cp policy.yml conf/policy.yml &&
	sed -i "s|log: audit/audit.log|log: ../audit/audit.log|; s|key: audit/audit.key|key: ../audit/audit.key|" conf/policy.yml &&
	git -C server.git config policycheck.policy "$PWD/conf/policy.yml" &&
	test_when_finished "git -C server.git config policycheck.policy \"$PWD/policy.yml\"" &&
	judge conf1 &&
	chmod 775 conf &&
	test_must_fail judge conf2 &&
	grep "policy-check: rejected: .*conf/policy.yml: refusing a file in a directory writable by group (.*conf); run chmod g-w .*conf," err &&
	chmod 1775 conf &&
	judge conf3 &&
	chmod 755 conf &&
	chmod 770 audit &&
	test_must_fail judge conf4 &&
	chmod 700 audit &&
	grep "internal: cannot write the audit record, so nothing can be accepted: .*audit.key: refusing a file in a directory writable by group" err
'

test_expect_success 'a log shared by a group: group-writable, in a setgid group directory (the key elsewhere)' '
	mkdir -p keydir && chmod 700 keydir && cp audit/audit.key keydir/ &&
	sed -i "s|key: audit/audit.key|key: keydir/audit.key|" policy.yml &&
	test_when_finished "chmod 700 audit && chmod 640 audit/audit.log && sed -i \"s|key: keydir/audit.key|key: audit/audit.key|\" policy.yml" &&
	chmod 2770 audit && chmod 660 audit/audit.log &&
	judge shared &&
	grep "policy-check: accepted refs/heads/feature/mshared" err &&
	chmod 2777 audit &&
	test_must_fail judge shared2 &&
	grep "internal: cannot write the audit record, so nothing can be accepted: .*audit.log: refusing a file in a world-writable directory" err
'

test_expect_success 'a log in a sticky world-writable directory is refused (the key elsewhere)' '
	mkdir -p keydir && chmod 700 keydir && cp audit/audit.key keydir/ &&
	sed -i "s|key: audit/audit.key|key: keydir/audit.key|" policy.yml &&
	chmod 1777 audit &&
	test_when_finished "chmod 700 audit && sed -i \"s|key: keydir/audit.key|key: audit/audit.key|\" policy.yml" &&
	test_must_fail judge sticky &&
	grep "internal: cannot write the audit record, so nothing can be accepted: .*audit.log: refusing a file in a world-writable directory" err
'

test_expect_success 'the first append refuses a new log in a world-writable directory, before creating anything' '
	mkdir -p newlog && chmod 777 newlog &&
	sed -i "s|log: audit/audit.log|log: newlog/audit.log|" policy.yml &&
	test_when_finished "sed -i \"s|log: newlog/audit.log|log: audit/audit.log|\" policy.yml" &&
	test_must_fail judge newlog &&
	grep "internal: cannot write the audit record, so nothing can be accepted: .*newlog/audit.log: refusing a file in a world-writable directory" err &&
	test -z "$(ls -A newlog)"
'

test_expect_success 'lint warns about a group-writable policy and a symbolic link, and does not fail' '
	chmod 664 policy.yml &&
	policy-check lint --policy policy.yml >out 2>err &&
	chmod 644 policy.yml &&
	grep "policy-check: warning: the hooks will refuse this policy: policy.yml: refusing a file writable by group or others (mode 0664); run chmod go-w policy.yml" err &&
	grep "policy-check: policy.yml: ok" out &&
	ln -s policy.yml linked.yml &&
	policy-check lint --policy linked.yml >out 2>err &&
	grep "policy-check: warning: the hooks will refuse this policy: linked.yml: refusing a symbolic link" err &&
	grep "policy-check: linked.yml: ok" out
'

test_expect_success 'with the modes restored every push is accepted again' '
	judge last &&
	grep "policy-check: accepted refs/heads/feature/mlast" err &&
	pc_audit_verify
'

test_done
