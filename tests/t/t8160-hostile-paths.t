#!/bin/sh
test_description='configuration, key and log files that others could change are refused, with the reason'
. "$(dirname "$0")/test-lib.sh"

Z=0000000000000000000000000000000000000000

# judge N: the installed pre-receive hook judges the creation of
# refs/heads/feature/pN at main, as git would run it; stderr in err.
judge() {
	(cd server.git && echo "$Z $tip refs/heads/feature/p$1" | GIT_DIR=. REMOTE_USER=alice ./hooks/pre-receive) 2>err
}

# refused N WHAT: the update was refused, err says "refusing" and names
# WHAT, and no record accepts it.
refused() {
	test_must_fail judge "$1" &&
	grep "policy-check: rejected" err &&
	grep "refusing .*\|$2.*refusing" err &&
	grep "$2" err &&
	! grep "\"ref\":\"refs/heads/feature/p$1\".*\"decision\":\"accept\"" audit/audit.log
}

PC_ALLOWED_SIGNERS=allowed_signers
PC_MORE_USERS=erin
export PC_ALLOWED_SIGNERS PC_MORE_USERS

test_expect_success 'setup: a pattern2 server; erin signs through allowed_signers only' '
	mkdir -p signers &&
	ssh-keygen -q -t ed25519 -N "" -C erin -f signers/erin &&
	echo "erin@example.com $(cat signers/erin.pub)" >allowed_signers &&
	pc_setup_server pattern2 &&
	tip=$(git -C server.git rev-parse main) &&
	judge 0 &&
	grep "policy-check: accepted refs/heads/feature/p0" err
'

test_expect_success 'an audit key writable by group or others is refused' '
	chmod 660 audit/audit.key &&
	refused 1 "audit.key" &&
	grep "refusing a file writable by group or others" err &&
	chmod 600 audit/audit.key
'

test_expect_success 'an audit key in a world-writable directory is refused' '
	chmod 777 audit &&
	refused 2 "audit.key" &&
	grep "refusing a file in a world-writable directory" err &&
	chmod 700 audit
'

test_expect_success 'an audit key linked to a file in a directory anyone can write is refused' '
	mkdir -p open && chmod 777 open &&
	mv audit/audit.key open/audit.key &&
	ln -s ../open/audit.key audit/audit.key &&
	test_when_finished "rm audit/audit.key && mv open/audit.key audit/audit.key" &&
	refused 3 "audit.key"
'

test_expect_success 'an audit key that is a symbolic link is refused' '
	mkdir -p safe && chmod 700 safe &&
	mv audit/audit.key safe/audit.key &&
	ln -s ../safe/audit.key audit/audit.key &&
	test_when_finished "rm audit/audit.key && mv safe/audit.key audit/audit.key" &&
	refused 4 "audit.key"
'

test_expect_success 'a policy writable by group or others is refused' '
	chmod 666 policy.yml &&
	test_when_finished "chmod 644 policy.yml" &&
	refused 5 "policy.yml"
'

test_expect_success 'a policy that is a symbolic link is refused' '
	mv policy.yml real-policy.yml &&
	ln -s real-policy.yml policy.yml &&
	test_when_finished "rm policy.yml && mv real-policy.yml policy.yml" &&
	refused 6 "policy.yml"
'

test_expect_success 'an audit log writable by group or others is refused' '
	chmod 666 audit/audit.log &&
	test_when_finished "chmod 640 audit/audit.log" &&
	refused 7 "audit.log"
'

test_expect_success 'an audit log that is a symbolic link is refused' '
	mv audit/audit.log audit/real.log &&
	ln -s real.log audit/audit.log &&
	test_when_finished "rm audit/audit.log && mv audit/real.log audit/audit.log" &&
	refused 8 "audit.log"
'

test_expect_success 'an audit lock that is a symbolic link is refused, and its target left alone' '
	echo "not a lock" >elsewhere &&
	rm -f audit/audit.log.lock &&
	ln -s ../elsewhere audit/audit.log.lock &&
	test_when_finished "rm -f audit/audit.log.lock" &&
	test_must_fail judge 20 &&
	grep "policy-check: rejected" err &&
	grep "audit.log.lock: cannot open the audit lock: Too many levels of symbolic links" err &&
	! grep "\"ref\":\"refs/heads/feature/p20\".*\"decision\":\"accept\"" audit/audit.log &&
	echo "not a lock" >expect &&
	test_cmp expect elsewhere
'

test_expect_success 'an audit log in a world-writable directory is refused (the key elsewhere)' '
	mkdir -p keydir && chmod 700 keydir && cp audit/audit.key keydir/ &&
	sed -i "s|key: audit/audit.key|key: keydir/audit.key|" policy.yml &&
	chmod 777 audit &&
	test_when_finished "chmod 700 audit && sed -i \"s|key: keydir/audit.key|key: audit/audit.key|\" policy.yml" &&
	refused 9 "audit"
'

# allowed_signers decides whose signature approves: writable by others,
# anyone on the server could make their key an approver's.
# approve_as_erin accept|reject N: erin signs approval N and pushes it with
# pc_push; the pusher's stderr is in err.
approve_as_erin() {
	(
		cd work &&
		git -c user.email=erin@example.com -c user.name=erin -c gpg.format=ssh \
			-c user.signingkey=../signers/erin \
			tag -s -m "policy-check approval v1" -m "target: refs/heads/develop" "appr-$2" main &&
		pc_push "$1" erin origin "appr-$2:refs/approvals/$tip/erin-$2"
	)
}

test_expect_success 'erin'\''s approval counts while allowed_signers is safe' '
	approve_as_erin accept 1
'

test_expect_success 'an allowed_signers file writable by group or others is refused' '
	chmod 666 allowed_signers &&
	test_when_finished "chmod 644 allowed_signers" &&
	approve_as_erin reject 2 &&
	grep "allowed_signers.*refusing\|refusing.*allowed_signers" err
'

test_expect_success 'an allowed_signers file that is a symbolic link is refused' '
	mv allowed_signers real-signers &&
	ln -s real-signers allowed_signers &&
	test_when_finished "rm allowed_signers && mv real-signers allowed_signers" &&
	approve_as_erin reject 3 &&
	grep "allowed_signers.*refusing\|refusing.*allowed_signers" err
'

test_expect_success 'with everything safe again the push is accepted and the log verifies' '
	judge 10 &&
	grep "policy-check: accepted refs/heads/feature/p10" err &&
	pc_audit_verify
'

test_done
