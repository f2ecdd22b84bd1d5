#!/bin/sh
test_description='hotfix_from: what lint accepts, Pattern1 only, and a policy that turns it off'
. "$(dirname "$0")/test-lib.sh"

HEAD='version: 1
audit: {log: a.log, key: a.key, origin: example.org/pc}
identity: {env: [REMOTE_USER]}'

# lint_case STRATEGY BRANCHES-YAML MESSAGE: lint refuses the policy (exit 2)
# with MESSAGE, or accepts it when MESSAGE is "ok".
lint_case() {
	printf "%s\nstrategy: %s\nbranches:\n%s\n" "$HEAD" "$1" "$2" >case.yml &&
	if test "$3" = ok; then
		policy-check lint --policy case.yml
	else
		test_expect_code 2 policy-check lint --policy case.yml 2>err &&
		grep -F -e "$3" err
	fi
}

while IFS='	' read -r strategy branches message; do
	test_expect_success "lint: $strategy, $branches" "
		lint_case $strategy '$branches' \"$message\"
	"
done <<-\EOF
pattern1	  main: { hotfix_from: ["hotfix/*"] }	ok
pattern1	  main: { hotfix_from: [] }	ok
pattern1	  main: { require: [] }	ok
pattern1	  staging: { hotfix_from: ["hotfix/*"] }	ok
pattern1	  main: { hotfix_from: [develop] }	branches.main.hotfix_from: 'develop' matches the protected branch 'develop'; name work branches only (hotfix/*)
pattern1	  main: { hotfix_from: ["**"] }	branches.main.hotfix_from: '**' matches the protected branch 'develop'
pattern1	  main: { hotfix_from: ["urgent/*"] }	branches.main.hotfix_from: 'urgent/*' is neither a protected branch nor matches work_branches
pattern1	  main: { require: [], hotfix_from: ["hotfix/*"] }	branches.main.hotfix_from: main has no require, and hotfix_from only lets hotfix commits skip require
pattern2	  main: { hotfix_from: ["hotfix/*"] }	branches.main.hotfix_from: main has no require, and hotfix_from only lets hotfix commits skip require
EOF

test_expect_success 'lint --expand: main has hotfix_from from the Pattern1 preset, Pattern2 none' '
	printf "%s\nstrategy: pattern1\n" "$HEAD" >p1.yml &&
	policy-check lint --expand --policy p1.yml >e1.yml &&
	sed -n "/^  \"main\":/,/approvers/p" e1.yml >got &&
	grep "^    hotfix_from: \[\"hotfix/\*\"\]$" got &&
	printf "%s\nstrategy: pattern1\nbranches:\n  main: { require: [] }\n" "$HEAD" >p1b.yml &&
	policy-check lint --expand --policy p1b.yml >e1b.yml &&
	! grep "hotfix_from: \[\"" e1b.yml &&
	printf "%s\nstrategy: pattern2\n" "$HEAD" >p2.yml &&
	policy-check lint --expand --policy p2.yml >e2.yml &&
	! grep "hotfix_from" e2.yml
'

test_expect_success 'setup: Pattern1 with main approved by one sre, hotfix_from turned off' '
	printf "branches:\n  main: { hotfix_from: [] }\n" >policy.extra &&
	pc_setup_server pattern1 &&
	(
		cd work &&
		git switch -q -c hotfix/x origin/main &&
		echo fix >fix.txt && git add fix.txt &&
		git commit -q -m "fix: x" &&
		pc_push accept alice origin hotfix/x
	)
'

test_expect_success 'without hotfix_from a hotfix on main needs staging first, as before' '
	(
		cd work &&
		git switch -q -C main origin/main && git merge -q --ff-only hotfix/x &&
		pc_push reject bob origin main
	) &&
	grep "promotion: commit [0-9a-f]* \"fix: x\" is not on staging yet; main takes only changes already on staging" err &&
	! grep "follow-up" err
'

test_expect_success 'and status has no hotfix section' '
	policy-check status --repo server.git --policy policy.yml >status &&
	! grep "hotfix follow-ups" status
'

test_expect_success 'with the preset and the update hook too: accepted by both hooks, one follow-up' '
	mkdir two &&
	(
		cd two &&
		pc_setup_server pattern1 &&
		policy-check install --policy policy.yml --hook update server.git >/dev/null &&
		cd work &&
		git switch -q -c hotfix/y origin/main &&
		echo fix >fix.txt && git add fix.txt &&
		git commit -q -m "fix: y" &&
		pc_push accept alice origin hotfix/y &&
		git switch -q -C main origin/main && git merge -q --ff-only hotfix/y &&
		pc_push accept bob origin main &&
		grep "approved by: bob (pusher)" ../err &&
		grep "follow-up: hotfix/y: 1 commit on main not yet on staging, develop: merge hotfix/y into develop, then staging" ../err &&
		cd .. &&
		test $(grep "\"ref\":\"refs/heads/main\"" audit/audit.log | grep -c "\"decision\":\"accept\".*\"hotfix\":") = 2 &&
		test_expect_code 1 policy-check audit reconcile --repo server.git audit/audit.log >rec &&
		test $(grep -c "follow-up: hotfix/y: " rec) = 1
	)
'

test_done
