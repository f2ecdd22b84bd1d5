#!/bin/sh
test_description='pathological push-rule regexes hit the PCRE2 match limit: the push is rejected with the rule named, not hung'
. "$(dirname "$0")/test-lib.sh"

# within SECONDS CMD...: CMD finishes (whatever its status) within SECONDS.
within() {
	limit=$1 && shift &&
	start=$(date +%s) &&
	{ "$@"; status=$?; } &&
	test $(( $(date +%s) - start )) -lt "$limit" &&
	return $status
}

test_expect_success 'setup: catastrophic backtracking patterns in every regex rule' '
	pc_setup_server pattern2 &&
	cat >>policy.yml <<-\EOF
	rules:
	  commit_message: "^(a+)+$"
	  work_branch_name: "^feature/(b|bb)+$"
	  deny_paths: ["^(x+x+)+y$"]
	EOF
'

test_expect_success 'a 30,000-character commit message against (a+)+$' '
	(
		cd work &&
		git checkout -q -b feature/b origin/develop &&
		echo 1 >one &&
		git add one &&
		git commit -q -m "$(printf "%030000d!" 0 | tr 0 a)" &&
		within 30 pc_push reject carol origin feature/b
	) &&
	grep "remote:   rules: rules.commit_message hit the regex match limit on [0-9a-f]* \"aaaa" err
'

test_expect_success 'a long branch name against ^feature/(b|bb)+$' '
	(
		cd work &&
		git checkout -q -b "feature/$(printf "%0200d!" 0 | tr 0 b)" origin/develop &&
		git commit -q --allow-empty -m "aaa" &&
		within 30 pc_push reject carol origin HEAD
	) &&
	grep "remote:   rules: rules.work_branch_name hit the regex match limit" err
'

test_expect_success 'a long path against ^(x+x+)+y$' '
	(
		cd work &&
		git checkout -q -B feature/b origin/develop &&
		p=$(printf "%0200dyz" 0 | tr 0 x) &&
		echo 1 >"$p" &&
		git add "$p" &&
		git commit -q -m "aaaa" &&
		within 30 pc_push reject carol -f origin feature/b
	) &&
	grep "remote:   rules: rules.deny_paths hit the regex match limit" err
'

test_expect_success 'the limit does not reject what matches in time' '
	(
		cd work &&
		git checkout -q -B feature/b origin/develop &&
		echo 2 >two &&
		git add two &&
		git commit -q -m "$(printf "%05000d" 0 | tr 0 a)" &&
		pc_push accept carol -f origin feature/b
	) &&
	pc_audit_verify
'

test_done
