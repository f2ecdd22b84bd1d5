#!/bin/sh
test_description='status shows per promotion step what blocks it: missing approvals and who can give them, as a dry run of the push, a merge made in memory only'
. "$(dirname "$0")/test-lib.sh"

if python3 -c "import json" 2>/dev/null; then
	test_set_prereq PYTHON3
fi

objects() {
	find server.git/objects -type f | sort
}

test_expect_success 'setup: carol'"'"'s feature/x reaches develop with bob'"'"'s approval' '
	pc_setup_server pattern2 &&
	(
		cd work &&
		git checkout -q -b feature/x origin/develop &&
		pc_commit app/x.txt "x" "feat: x" &&
		pc_push accept carol origin feature/x &&
		git config user.email bob@example.com &&
		REMOTE_USER=bob policy-check approve --key ../keys/bob --policy ../policy.yml \
			--target develop feature/x >/dev/null &&
		pc_push accept carol origin feature/x:develop
	)
'

test_expect_success 'develop -> staging as carol: blocked, the approval missing and who can give it' '
	objects >before &&
	policy-check status --repo server.git --policy policy.yml --as carol >out &&
	cat out &&
	short=$(git -C work rev-parse --short=7 feature/x) &&
	grep "^  develop -> staging: 1 commit waiting$" out &&
	grep "^    blocked: a fast-forward pushed by carol would be rejected:$" out &&
	grep "^      approval: app/x.txt needs 1 approval from @alice @bob @carol (CODEOWNERS:1), has 0$" out &&
	grep "^        hint: policy-check approve $short --target refs/heads/staging (by one of alice, bob); carol cannot approve it: carol first pushed commit $short \"feat: x\"$" out &&
	grep "^  staging -> main: up to date$" out
'

test_expect_success 'without --as, the identity variable is the pusher, as for check' '
	REMOTE_USER=alice policy-check status --repo server.git --policy policy.yml >out &&
	grep "^    ready: a fast-forward pushed by alice would be accepted$" out &&
	policy-check status --repo server.git --policy policy.yml >out &&
	grep "^    blocked: a fast-forward pushed by an unidentified pusher (give --as USER) would be rejected:$" out &&
	grep "^      protect: staging is protected and the pusher is unidentified$" out
'

test_expect_success 'once bob approves it for staging, the step is ready' '
	(
		cd work &&
		REMOTE_USER=bob policy-check approve --key ../keys/bob --policy ../policy.yml \
			--target staging feature/x >/dev/null
	) &&
	policy-check status --repo server.git --policy policy.yml --as carol >out &&
	grep "^    ready: a fast-forward pushed by carol would be accepted$" out
'

test_expect_success 'staging took a merge: the next promotion is judged as a merge, made in memory only' '
	(
		cd work &&
		git fetch -q origin &&
		git checkout -q -B staging origin/staging &&
		git merge -q --no-ff -m "Merge branch '"'"'develop'"'"' into staging" origin/develop &&
		pc_push accept alice origin staging &&
		git checkout -q -b feature/w origin/develop &&
		pc_commit app/w.txt "w" "feat: w" &&
		pc_push accept carol origin feature/w &&
		REMOTE_USER=bob policy-check approve --key ../keys/bob --policy ../policy.yml \
			--target develop feature/w >/dev/null &&
		pc_push accept carol origin feature/w:develop
	) &&
	objects >before &&
	policy-check status --repo server.git --policy policy.yml --as carol >out &&
	cat out &&
	grep "^    blocked: a merge pushed by carol would be rejected:$" out &&
	grep "^      approval: app/w.txt needs 1 approval from @alice @bob @carol (CODEOWNERS:1), has 0$" out &&
	grep "hint: policy-check approve [0-9a-f]* --target refs/heads/staging (by one of alice, bob); carol cannot approve it: carol first pushed commit" out &&
	grep "^      (the merge is not made yet: approvals are for the merge commit once it is pushed)$" out &&
	policy-check status --repo server.git --policy policy.yml --as alice >out &&
	grep "^    ready: a merge pushed by alice would be accepted$" out &&
	objects >after &&
	test_cmp before after
'

test_expect_success PYTHON3 'status --json: each step has its promotion, with the reasons' '
	policy-check status --json --repo server.git --policy policy.yml --as carol >json.out &&
	python3 -c "
import json, sys
doc = json.load(open(\"json.out\"))
s = doc[\"steps\"][0]
p = s[\"promotion\"]
assert sorted(p) == [\"accepted\", \"conflict\", \"error\", \"merge\", \"pusher\", \"reasons\"], p
assert p[\"pusher\"] == \"carol\" and p[\"merge\"] is True and p[\"accepted\"] is False and p[\"conflict\"] is False
assert p[\"error\"] is None
r = p[\"reasons\"][0]
assert sorted(r) == [\"hint\", \"message\", \"rule\"], r
assert r[\"rule\"] == \"approval\" and \"by one of alice, bob\" in r[\"hint\"], r
assert doc[\"steps\"][1][\"promotion\"] is None or doc[\"steps\"][1][\"state\"] == \"waiting\"
"
'

test_done
