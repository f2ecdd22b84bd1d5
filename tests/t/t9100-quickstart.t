#!/bin/sh
test_description='contrib/quickstart.sh: the demo runs, checks its own verdicts, and re-runs'
. "$(dirname "$0")/test-lib.sh"

quickstart() {
	PC_BUILD="$PC_BUILD_DIR" "$PC_SRC_DIR/contrib/quickstart.sh" --no-build "$@"
}

test_expect_success 'the example policies lint and their example repositories carry their CODEOWNERS' '
	for p in pattern1 pattern2 pattern3; do
		policy-check lint --policy "$PC_POLICY_DIR/$p.yml" || return 1
		test_cmp "$PC_POLICY_DIR/CODEOWNERS.$p" "$PC_POLICY_DIR/examples/$p/CODEOWNERS" || return 1
	done
'

test_expect_success 'each example repository is a Kustomize base with dev, stg and prd overlays' '
	for k in pattern1/k8s pattern2/k8s pattern3; do
		test -f "$PC_POLICY_DIR/examples/$k/base/kustomization.yaml" || return 1
		for env in dev stg prd; do
			f=$PC_POLICY_DIR/examples/$k/overlays/$env/kustomization.yaml &&
			grep "^images:" "$f" && grep "newTag: \"[0-9.]*\"" "$f" || return 1
		done
	done
'

test_expect_success 'the example CODEOWNERS give the example paths their owners' '
	for p in pattern1 pattern2 pattern3; do
		git init -q ex-$p &&
		cp -R "$PC_POLICY_DIR/examples/$p/." ex-$p/ &&
		git -C ex-$p add . && git -C ex-$p commit -q -m "chore: import" || return 1
	done &&
	while read p path owners; do
		policy-check owners --repo ex-$p --policy "$PC_POLICY_DIR/$p.yml" "$path" >owners.out &&
		grep -F "  $owners  (CODEOWNERS:" owners.out || return 1
	done <<-\EOF
	pattern1 VERSION [release] @platform/release (alice, bob, carol)
	pattern1 k8s/base/deployment.yaml (default) @sre (alice, bob, dave) @app (carol, erin, frank)
	pattern2 k8s/base/deployment.yaml (default) @sre (alice, bob, erin)
	pattern2 k8s/overlays/prd/kustomization.yaml [prd] (2 approvals) @sre (alice, bob, erin)
	pattern3 base/service.yaml (default) @sre (alice, bob, erin) @app (carol, dave, frank)
	pattern3 overlays/prd/kustomization.yaml [prd] (2 approvals) @sre (alice, bob, erin)
	EOF
'

test_expect_success 'the demo runs and every step gives its verdict' '
	quickstart --dir "$PWD/demo" >out 2>err &&
	test_must_be_empty err &&
	for n in 1 2 3 4 5 6 7 8 9 10 11 12 13; do
		grep "^==> $n\. " out || return 1
	done &&
	grep "^    remote: policy-check: accepted refs/heads/feature/web-memory" out &&
	grep "^    remote: policy-check: accepted refs/heads/develop" out &&
	grep "^    remote: policy-check: rejected refs/heads/staging" out &&
	grep "^    remote:   promotion: commit [0-9a-f]* \"fix(stg): try web 1.3.0\" is not on develop" out &&
	grep "^    remote: policy-check: accepted refs/heads/staging" out &&
	grep "^    remote: policy-check: rejected refs/heads/main" out &&
	grep "^    remote:   approval: refs/heads/main needs 2 approvals from sre (branches.main.approvers), has 0" out &&
	grep "^    remote: policy-check: accepted refs/approvals/[0-9a-f]*/main/alice-example.com" out &&
	grep "^    remote: policy-check: accepted refs/approvals/[0-9a-f]*/main/bob-example.com" out &&
	grep "^    remote:   approved by: alice (signature), bob (signature)" out &&
	grep "^    remote: policy-check: accepted with break-glass refs/heads/main" out &&
	grep "^    remote:   break-glass: INC-42 " out &&
	grep "^    [0-9]* records verified, root " out &&
	grep "^    the report: $PWD/demo/audit-report.html (one page" out &&
	head -n 1 demo/audit-report.html | grep "<title>Verified audit report" &&
	grep -F "<span class=\"mark break-glass\">BREAK-GLASS</span> INC-42 " demo/audit-report.html &&
	grep "^==> Done in [0-9]* s" out &&
	! grep "^To " out &&
	policy-check audit verify --vkey demo/audit/audit.vkey demo/audit/audit.log
'

test_expect_success 'a second run wipes the folder and tells the same story' '
	echo stale >demo/stale &&
	quickstart --dir "$PWD/demo" >out2 2>err &&
	test_must_be_empty err &&
	! test -e demo/stale &&
	grep "records verified" out >n1 && grep "records verified" out2 >n2 &&
	test "$(cut -d" " -f5 n1)" = "$(cut -d" " -f5 n2)" &&
	grep "^==> [0-9]*\. " out | cut -d" " -f2 >h1 &&
	grep "^==> [0-9]*\. " out2 | cut -d" " -f2 >h2 &&
	test "$(wc -l <h1)" = 13 &&
	test_cmp h1 h2
'

test_expect_success 'the "try pushes by hand" lines work as printed' '
	sed -n "/Try pushes by hand/,/^The clones/p" out | grep "^  [^ ]" | sed "s/^  //" >try.lines &&
	test "$(wc -l <try.lines)" -ge 8 &&
	{
		echo "set -u" &&
		while IFS= read -r line; do
			case $line in
			*"# rejected"*) printf "if %s; then echo \"unexpected: accepted\"; exit 1; fi\n" "${line%%#*}" ;;
			*) printf "%s || exit 1\n" "$line" ;;
			esac
		done <try.lines
	} >try.sh &&
	(unset GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL &&
		sh try.sh >try.out 2>&1) &&
	grep "remote: policy-check: accepted refs/heads/feature/replicas" try.out &&
	grep "remote: policy-check: rejected refs/heads/develop" try.out &&
	grep "^policy-check: accepted refs/heads/develop" try.out &&
	grep "remote:   approved by: alice (pusher)" try.out
'

test_expect_success 'the demo fails when a step does not give its verdict' '
	mkdir -p fake/contrib &&
	cp "$PC_SRC_DIR/contrib/quickstart.sh" fake/contrib/ &&
	cp -R "$PC_POLICY_DIR" fake/policy &&
	sed -i "s/^enforcement: .*/enforcement: dry-run/" fake/policy/pattern2.yml &&
	grep "^enforcement: dry-run" fake/policy/pattern2.yml &&
	test_expect_code 1 env PC_BUILD="$PC_BUILD_DIR" fake/contrib/quickstart.sh --no-build \
		--dir "$PWD/fake-demo" >out3 2>err3 &&
	grep "^quickstart: step 5: the push was accepted; expected: rejected refs/heads/staging" err3 &&
	! grep "^==> 6\. " out3
'

test_expect_success 'a folder the demo did not make is never wiped' '
	mkdir precious && echo keep >precious/file &&
	test_expect_code 2 quickstart --dir precious >out4 2>err4 &&
	grep "quickstart: precious exists and was not made by quickstart.sh" err4 &&
	test "$(cat precious/file)" = keep
'

test_expect_success 'without a build, --no-build says how to get one' '
	test_expect_code 2 env PC_BUILD="$PWD/nowhere" "$PC_SRC_DIR/contrib/quickstart.sh" --no-build \
		--dir "$PWD/demo3" 2>err5 &&
	grep "no built policy-check in $PWD/nowhere; run contrib/quickstart.sh without --no-build" err5 &&
	! test -e demo3
'

test_expect_success 'a bad option is a usage error' '
	test_expect_code 2 quickstart --frobnicate 2>err6 &&
	grep "^usage: contrib/quickstart.sh \[--dir DIR\] \[--no-build\]" err6
'

test_done
