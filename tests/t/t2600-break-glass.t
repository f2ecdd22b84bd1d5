#!/bin/sh
test_description='break-glass for the listed groups, dry-run enforcement, both visible and recorded'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup: a direct commit on main is a violation' '
	pc_setup_server pattern2 &&
	(
		cd work && git checkout -q -B main origin/main &&
		pc_commit overlays/prd/fix.yaml "fix: 1" "fix: urgent prd fix"
	)
'

test_expect_success 'break-glass by a member of break_glass.groups is accepted, violations listed' '
	(cd work && pc_push accept alice -o "break-glass=INC-123 prd down, restoring" origin main) &&
	grep "remote: policy-check: accepted with break-glass refs/heads/main" err &&
	grep "remote:   break-glass: INC-123 prd down, restoring" err &&
	grep "remote:   promotion: commit [0-9a-f]* \"fix: urgent prd fix\" is not on staging" err &&
	grep "\"break_glass\":\"INC-123 prd down, restoring\"" audit/audit.log
'

test_expect_success 'break-glass by someone outside the groups is rejected' '
	(
		cd work && pc_commit overlays/prd/fix2.yaml "fix: 2" "fix: another" &&
		pc_push reject carol -o "break-glass=INC-124 I really need this" origin main
	) &&
	grep "break-glass: carol may not use break-glass (break_glass.groups: sre)" err
'

test_expect_success 'break-glass with a short reason is rejected' '
	(cd work && pc_push reject alice -o "break-glass=now" origin main) &&
	grep "break-glass: break-glass needs a reason of at least 10 characters" err
'

test_expect_success 'enforcement: dry-run accepts and records what it would reject' '
	echo "enforcement: dry-run" >>policy.yml &&
	(cd work && pc_push accept carol origin main) &&
	grep "remote: policy-check: dry-run, would reject refs/heads/main" err &&
	grep "remote:   promotion: commit [0-9a-f]* \"fix: another\" is not on staging" err &&
	grep "\"hook\":\"pre-receive\"" audit/audit.log | tail -n 1 | grep "\"decision\":\"accept\",\"dry_run\":true" &&
	pc_audit_verify
'

test_done
