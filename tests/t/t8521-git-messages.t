#!/bin/sh
test_description='the shipped commit-message rule accepts git'\''s merge and revert messages; reports show quotes and UTF-8 as written'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup: pattern2 with the commit_message rule of the shipped policies' '
	grep "^  commit_message:" "$PC_POLICY_DIR/pattern1.yml" >rule &&
	grep "^  commit_message:" "$PC_POLICY_DIR/pattern2.yml" >rule2 &&
	test_cmp rule rule2 &&
	{ echo "rules:" && cat rule; } >policy.extra &&
	pc_setup_server pattern2 &&
	(
		cd work &&
		git checkout -q -b feature/x origin/develop &&
		pc_commit x.yaml "x: 1" "feat: x" &&
		pc_push accept carol origin feature/x
	)
'

test_expect_success 'git'\''s own "Merge branch '\''x'\'' into y" is accepted on develop' '
	(
		cd work &&
		git checkout -q -B develop origin/develop &&
		git merge -q --no-ff --no-edit feature/x &&
		git log -1 --format=%s >../subject &&
		pc_push accept alice origin develop
	) &&
	grep "^Merge branch '\''feature/x'\'' into develop$" subject
'

test_expect_success 'git'\''s "Merge remote-tracking branch" and "Revert \"...\"" are accepted on a work branch' '
	(
		cd work &&
		git checkout -q -b feature/y origin/develop &&
		git checkout -q -b feature/z origin/main &&
		pc_commit z.yaml "z: 1" "feat: z" &&
		pc_push accept carol origin feature/z &&
		git checkout -q feature/y &&
		git merge -q --no-ff --no-edit origin/feature/z &&
		git log -1 --format=%s >../subject1 &&
		git revert --no-edit HEAD~0 -m 1 >/dev/null &&
		git log -1 --format=%s >../subject2 &&
		pc_push accept carol origin feature/y
	) &&
	grep "^Merge remote-tracking branch '\''origin/feature/z'\'' into feature/y$" subject1 &&
	grep "^Revert \"Merge remote-tracking branch" subject2
'

test_expect_success 'a subject git did not write and no convention names is still rejected' '
	(
		cd work &&
		git checkout -q -b feature/w origin/develop &&
		pc_commit w.yaml "w: 1" "Merged stuff" &&
		pc_push reject carol origin feature/w
	) &&
	grep "message does not match rules.commit_message" err
'

test_expect_success 'a subject with quotes and UTF-8 shows as written in the report and the audit log' '
	(
		cd work &&
		git checkout -q -B develop origin/develop &&
		pc_commit d.yaml "d: 1" "fix: \"quoted\" ünïcode ✓" &&
		pc_push reject alice origin develop
	) &&
	grep "promotion: commit [0-9a-f]* \"fix: \"quoted\" ünïcode ✓\" is not on feature/\*" err &&
	grep -F "\"fix: \\\"quoted\\\" ünïcode ✓\\\" is not on" audit/audit.log &&
	pc_audit_verify
'

test_expect_success 'a long UTF-8 subject is cut between characters, never inside one' '
	(
		cd work &&
		git checkout -q -B develop origin/develop &&
		pc_commit e.yaml "e: 1" "fix: x ééééééééééééééééééééééééééééééééééééééééé" &&
		pc_push reject alice origin develop
	) &&
	grep "promotion: commit [0-9a-f]* \"fix: x é.*é\.\.\.\" is not on" err &&
	iconv -f UTF-8 -t UTF-8 err >/dev/null &&
	! grep -F "\\udc" audit/audit.log
'

test_done
