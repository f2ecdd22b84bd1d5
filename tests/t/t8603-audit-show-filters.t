#!/bin/sh
test_description='audit show: --pusher, --repo, --until, relative times, refused break-glass, and a table that fits 100 columns'
. "$(dirname "$0")/test-lib.sh"

if python3 -c "import json" 2>/dev/null; then
	test_set_prereq PYTHON3
fi

LOG=audit/audit.log

# field KEY <json-lines: the value of KEY in each record, one a line.
field() {
	python3 -c '
import json, sys
for line in sys.stdin:
    print(json.loads(line)[sys.argv[1]])
' "$1"
}

test_expect_success PYTHON3 'setup: a day of pushes into two repositories sharing one log' '
	pc_setup_server pattern2 &&
	git init -q --bare other.git &&
	policy-check install --policy policy.yml other.git >/dev/null &&
	(
		cd work &&
		git checkout -q -b feature/login origin/develop &&
		pc_commit overlays/dev/login.yaml "login: true" "feat: add login" &&
		pc_push accept carol origin feature/login &&
		git checkout -q -B develop origin/develop &&
		git merge -q --no-ff -m "Merge feature/login" feature/login &&
		pc_push accept alice origin develop &&
		git checkout -q -B staging origin/staging &&
		pc_commit overlays/stg/hack.yaml "x: 1" "fix: hot patch" &&
		pc_push reject carol origin staging &&
		pc_push reject carol -o "break-glass=INC-7 carol tries it" origin staging &&
		pc_push accept alice -o "break-glass=INC-8 staging is down" origin staging &&
		git -c user.email=bob@example.com -c gpg.format=ssh -c user.signingkey=../keys/bob \
			tag -s -m "policy-check approval v1" -m "target: refs/heads/main" tmp-approval HEAD &&
		pc_push accept bob origin "tmp-approval:refs/approvals/$(git rev-parse HEAD)/bob" &&
		git tag -d tmp-approval >/dev/null &&
		REMOTE_USER=carol git push -q ../other.git HEAD:refs/heads/feature/x
	) &&
	pc_audit_verify
'

test_expect_success PYTHON3 '--pusher keeps the records of one pusher' '
	policy-check audit show --json --pusher carol $LOG >out &&
	field pusher <out | sort -u >pushers &&
	echo carol >expect && test_cmp expect pushers &&
	test $(wc -l <out) -ge 4 &&
	policy-check audit show --json --pusher nobody $LOG >out &&
	! test -s out
'

test_expect_success PYTHON3 '--repo keeps one repository: its path as given, resolved, or a glob' '
	abs=$(cd server.git && pwd -P) &&
	policy-check audit show --json --repo server.git $LOG >out &&
	field repo <out | sort -u >repos &&
	echo "$abs" >expect && test_cmp expect repos &&
	policy-check audit show --json --repo "$abs" $LOG >out2 &&
	test_cmp out out2 &&
	policy-check audit show --json --decision accept --repo "**/other.git" $LOG >out &&
	test $(wc -l <out) = 1 &&
	field ref <out >refs && echo refs/heads/feature/x >expect && test_cmp expect refs
'

test_expect_success PYTHON3 '--since and --until take ages (30m, 1h, 7d, 2w) and absolute times' '
	sed "1s/\"time\":\"[^\"]*\"/\"time\":\"2020-01-01T10:00:00.000Z\"/" $LOG >old.log &&
	total=$(wc -l <old.log) &&
	policy-check audit show --json --since 1h old.log >out &&
	test $(wc -l <out) = $((total - 1)) &&
	policy-check audit show --json --until 7d old.log >out &&
	test $(wc -l <out) = 1 && field seq <out >seq && echo 0 >expect && test_cmp expect seq &&
	policy-check audit show --json --since 2w --until 30m old.log >out &&
	! test -s out &&
	policy-check audit show --json --until 2020-01-01T10:00:00Z old.log >out &&
	test $(wc -l <out) = 1 &&
	policy-check audit show --json --until 2020-01-01T09:59:59Z old.log >out &&
	! test -s out &&
	policy-check audit show --json --since 2019-12-31 --until 2020-01-02 old.log >out &&
	test $(wc -l <out) = 1
'

test_expect_success 'bad times exit 2 and say what a time is' '
	for t in 1y 7 h 1.5h -1d 10000000000d yesterday; do
		test_expect_code 2 policy-check audit show --until "$t" $LOG 2>err &&
		grep "an age such as 30m, 1h, 7d, 2w" err || return 1
	done
'

test_expect_success PYTHON3 '--break-glass lists accepted break-glass pushes and refused attempts' '
	policy-check audit show --json --break-glass $LOG >out &&
	field pusher <out | sort -u >pushers &&
	printf "alice\ncarol\n" >expect && test_cmp expect pushers &&
	grep "\"pusher\":\"carol\".*\"decision\":\"reject\".*\"rule\":\"break-glass\"" out &&
	grep "\"pusher\":\"alice\".*\"decision\":\"accept\".*\"break_glass\":\"INC-8 staging is down\"" out &&
	policy-check audit show --break-glass $LOG >table &&
	grep "carol .* reject " table &&
	grep "break-glass: carol may not use break-glass" table
'

test_expect_success 'the table of one repository fits 100 columns: no REPO column, short approval refs' '
	policy-check audit show --repo server.git $LOG >table &&
	sed 1q table >head &&
	! grep REPO head &&
	grep "^SEQ  TIME .* PUSHER  *REF  *CHANGE  *DECISION  *APPROVERS$" head &&
	id=$(git -C work rev-parse staging) &&
	short=$(echo $id | cut -c1-7) &&
	grep " refs/approvals/$short…/bob " table &&
	! grep "refs/approvals/$id" table &&
	grep -v "^    " table | awk "length > 100 { print; bad = 1 } END { exit bad }"
'

test_expect_success 'records of several repositories get the REPO column' '
	policy-check audit show $LOG >table &&
	grep "^SEQ  TIME .* PUSHER  *REPO  *REF " table &&
	grep "/other.git  *refs/heads/feature/x " table
'

test_done
