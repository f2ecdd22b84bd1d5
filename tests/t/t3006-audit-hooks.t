#!/bin/sh
test_description='logs written by the real hooks verify, show, prove and reconcile'
. "$(dirname "$0")/test-lib.sh"

VKEY=audit/audit.vkey
LOG=audit/audit.log

test_expect_success 'setup: a pattern2 server whose branches alice created through the hooks' '
	pc_setup_server pattern2 &&
	test -s $LOG &&
	grep -c "\"hook\":\"pre-receive\".*\"decision\":\"accept\"" $LOG >count &&
	test "$(cat count)" = 3
'

test_expect_success 'the log the hooks wrote verifies, also with the independent checker' '
	pc_audit_verify >out &&
	grep "^$(wc -l <$LOG) records verified" out &&
	python3 "$PC_SRC_DIR/contrib/verify-checkpoint.py" $VKEY $LOG
'

test_expect_success 'the reference-transaction hook recorded what git committed' '
	grep "\"hook\":\"reference-transaction\".*\"ref\":\"refs/heads/main\".*\"decision\":\"committed\"" $LOG
'

test_expect_success 'a rejected push is recorded and the log still verifies' '
	(
		cd work && git checkout -q -B staging origin/staging &&
		pc_commit overlays/stg/x.yaml "x: 1" "fix: direct on staging" &&
		pc_push reject carol origin staging
	) &&
	policy-check audit show --json --decision reject $LOG >rejects &&
	test "$(wc -l <rejects)" = 1 &&
	grep "\"pusher\":\"carol\",\"identity\":\"REMOTE_USER\",\"ref\":\"refs/heads/staging\"" rejects &&
	pc_audit_verify
'

test_expect_success 'the hooks name the repository so that reconcile finds every ref explained' '
	policy-check audit reconcile --repo server.git $LOG >out &&
	grep "every ref of server.git is explained" out
'

test_expect_success 'a work branch created and deleted through the hooks leaves reconcile clean' '
	(
		cd work && git checkout -q -B feature/short origin/develop &&
		pc_commit short.txt "short" "feat: a short-lived branch" &&
		pc_push accept carol origin feature/short &&
		pc_push accept carol origin :feature/short
	) &&
	# git deletes a loose ref in two transactions; the packed-refs one goes
	# from nothing to nothing, does nothing, and is not recorded
	grep "\"ref\":\"refs/heads/feature/short\".*\"decision\":\"committed\"" $LOG >short &&
	test "$(wc -l <short)" = 2 &&
	! grep "\"ref\":\"refs/heads/feature/short\".*\"decision\":\"aborted\"" $LOG &&
	policy-check audit reconcile --repo server.git $LOG >out &&
	grep "every ref of server.git is explained" out
'

test_expect_success 'git update-ref on the server is caught by reconcile' '
	old=$(git -C server.git rev-parse refs/heads/develop) &&
	new=$(git -C work rev-parse HEAD) &&
	# The objects, without a ref: a fetch only writes FETCH_HEAD.
	git -C server.git fetch -q ../work HEAD &&
	git -C server.git cat-file -e $new &&
	policy-check audit reconcile --repo server.git $LOG &&
	git -C server.git update-ref refs/heads/develop $new $old &&
	test_expect_code 1 policy-check audit reconcile --repo server.git $LOG >out &&
	grep "refs/heads/develop was committed $(echo $old | cut -c1-10)..$(echo $new | cut -c1-10) with no accepted decision before it" out &&
	grep "^refs/heads/develop is at $(echo $new | cut -c1-10), but its last accepted record" out &&
	pc_audit_verify
'

test_expect_success 'a record the hooks wrote can be proved to a third party' '
	n=$(($(wc -l <$LOG) - 1)) &&
	policy-check audit proof --index $n $LOG >proof &&
	policy-check audit check-proof --vkey $VKEY proof >out &&
	grep "^record $n is in test.example/policy-check" out
'

test_expect_success 'a ref name with quotes and invalid UTF-8 pushed through git round-trips through show --json' '
	# git refuses control characters and backslashes in ref names, not these.
	printf "refs/heads/feature/q\"uo\047te\377\376" >ref.bin &&
	ref=$(cat ref.bin) &&
	git check-ref-format "$ref" &&
	(cd work && git checkout -q -B hostile origin/main && pc_commit h.txt h "feat: hostile" &&
	 REMOTE_USER=carol git push -q origin "HEAD:$ref" 2>../err) &&
	policy-check audit show --json --ref "$ref" $LOG >out &&
	grep -c . out >n && test "$(cat n)" -ge 1 &&
	head -n 1 out >first &&
	python3 - first ref.bin <<-\PY &&
	import json, sys
	rec = json.loads(open(sys.argv[1], "rb").read())
	assert rec["ref"].encode("utf-8", "surrogateescape") == open(sys.argv[2], "rb").read(), rec["ref"]
	PY
	policy-check audit show --ref "$ref" $LOG >table &&
	grep -F "refs/heads/feature/q\"uo$(printf "\047")te\\xff\\xfe" table &&
	pc_audit_verify
'

test_done
