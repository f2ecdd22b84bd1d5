#!/bin/sh
test_description='a branch or environment the policy lists keeps what its preset says unless it says otherwise; no protected branch takes changes from anywhere unless the policy says from: any'
. "$(dirname "$0")/test-lib.sh"

# entry NAME FILE: the lines of entry NAME of an expanded policy.
entry() {
	awk -v k="  \"$1\":" '$0 == k { on = 1; print; next } on && /^    / { print; next } { on = 0 }' "$2"
}

# promote_to_main: feature/m -> develop -> staging -> main, each by alice;
# main's push is checked as accepted (pc_push) and its stderr is in err.
promote_to_main() {
	git checkout -q -B feature/m origin/develop &&
	pc_commit overlays/dev/m.yaml "m: $1" "feat: m $1" &&
	REMOTE_USER=carol git push -q origin feature/m &&
	git checkout -q -B develop origin/develop &&
	git merge -q --no-ff -m "Merge feature/m" feature/m &&
	REMOTE_USER=alice git push -q origin develop &&
	git checkout -q -B staging origin/staging &&
	git merge -q --no-ff -m "Merge develop" origin/develop &&
	REMOTE_USER=alice git push -q origin staging &&
	git fetch -q origin &&
	git checkout -q -B main origin/main &&
	git merge -q --ff-only origin/staging &&
	pc_push accept alice origin main
}

test_expect_success 'setup: pattern2 whose main only adds approvals' '
	cat >policy.extra <<-\EOF &&
	branches:
	  main: { approvals: 1, approvers: [sre] }
	EOF
	pc_setup_server pattern2
'

test_expect_success 'lint --expand shows main merged with the preset' '
	policy-check lint --expand --policy policy.yml >expanded.yml &&
	entry main expanded.yml >got &&
	cat >expect <<-\EOF &&
	  "main":
	    environment: "prd"
	    from: ["staging"]
	    require: []
	    approvals: 1
	    approvers: ["sre"]
	EOF
	test_cmp expect got
'

test_expect_success 'a direct push to main is rejected: main still takes changes only from staging' '
	(
		cd work &&
		git checkout -q -B main origin/main &&
		pc_commit overlays/prd/direct.yaml "x: 1" "fix: straight to production" &&
		pc_push reject alice origin main
	) &&
	grep "promotion: commit [0-9a-f]* \"fix: straight to production\" is not on staging; main takes changes only from staging" err
'

test_expect_success 'the promotion develop -> staging -> main is accepted under the same policy' '
	(
		cd work &&
		git reset -q --hard origin/main &&
		promote_to_main 1
	)
'

test_expect_success 'pattern1: staging with approvals keeps require: [develop]' '
	mkdir p1 &&
	(
		cd p1 &&
		cat >policy.extra <<-\EOF &&
		branches:
		  staging: { approvals: 1 }
		EOF
		pc_setup_server pattern1 &&
		cd work &&
		git checkout -q -b feature/skip origin/staging &&
		pc_commit overlays/stg/skip.yaml "x: 1" "feat: skip develop" &&
		REMOTE_USER=carol git push -q origin feature/skip &&
		git checkout -q -B staging origin/staging &&
		git merge -q --no-ff -m "Merge feature/skip" feature/skip &&
		pc_push reject alice origin staging
	) &&
	grep "promotion: commit [0-9a-f]* \"feat: skip develop\" is not on develop yet" p1/err
'

test_expect_success 'pattern3: prd with approvals keeps after: stg, the trunk keeps its from' '
	mkdir p3 &&
	(
		cd p3 &&
		cat >policy.extra <<-\EOF &&
		branches:
		  main: { approvals: 1 }
		environments:
		  prd: { approvals: 1 }
		EOF
		pc_setup_server pattern3 &&
		policy-check lint --expand --policy policy.yml >expanded.yml &&
		entry prd expanded.yml >got &&
		printf "  \"prd\":\n    path: \"overlays/prd/\"\n    after: \"stg\"\n    approvals: 1\n    approvers: []\n" >expect &&
		test_cmp expect got &&
		cd work &&
		sed -i "s/newTag: .*/newTag: \"9.9.9\"/" overlays/prd/kustomization.yaml &&
		git commit -q -a -m "feat: prd to 9.9.9" &&
		REMOTE_USER=carol git push -q origin HEAD:refs/heads/feature/prd &&
		PC_PUSH_ERR=../err-env pc_push reject alice origin HEAD:main &&
		git reset -q --hard origin/main &&
		pc_commit overlays/dev/direct.yaml "x: 1" "fix: straight to the trunk" &&
		PC_PUSH_ERR=../err-from pc_push reject alice origin HEAD:main
	) &&
	grep "environment: overlays/prd/kustomization.yaml sets image app to tag 9.9.9, which stg has never run" p3/err-env &&
	grep "promotion: commit [0-9a-f]* \"fix: straight to the trunk\" is not on feature/\*, hotfix/\*" p3/err-from
'

test_expect_success 'from: any is how a branch takes changes from anywhere' '
	mkdir any &&
	(
		cd any &&
		pc_key alice && pc_key bob && pc_key carol &&
		mkdir -p audit && chmod 700 audit &&
		policy-check audit keygen --origin test.example/policy-check audit/audit >/dev/null &&
		pc_write_policy pattern2 | sed "/^strategy:/d" >policy.yml &&
		printf "branches:\n  main: { from: any }\n" >>policy.yml &&
		policy-check lint --expand --policy policy.yml >expanded.yml &&
		grep "^    from: any$" expanded.yml &&
		policy-check lint --policy expanded.yml &&
		git init -q --bare server.git &&
		policy-check install --policy policy.yml server.git >/dev/null &&
		git init -q work && cd work &&
		pc_commit a.txt 1 "chore: first" &&
		git remote add origin ../server.git &&
		REMOTE_USER=alice git push -q origin HEAD:refs/heads/main &&
		pc_commit a.txt 2 "fix: direct" &&
		pc_push accept alice origin HEAD:main
	)
'

# lint: the policy (pattern2 unless the case says "none"), the lines
# appended to it, and the diagnostic as FILE:LINE:COLUMN.
test_expect_success 'lint: a protected branch that does not say where its changes come from' '
	pc_write_policy pattern2 >base.yml &&
	n=$(wc -l <base.yml) &&
	{ cat base.yml && printf "branches:\n  \"release/*\": { approvals: 2 }\n"; } >unknown.yml &&
	test_expect_code 2 policy-check lint --policy unknown.yml 2>err &&
	echo "unknown.yml:$((n + 2)):3: branches.release/*: missing '\''from'\''; strategy pattern2 does not define this branch, so list the branches it takes changes from, or write '\''from: any'\'' to take them from anywhere" >expect &&
	test_cmp expect err &&

	{ sed "/^strategy:/d" base.yml && printf "branches:\n  main: { approvals: 2 }\n"; } >nostrategy.yml &&
	test_expect_code 2 policy-check lint --policy nostrategy.yml 2>err &&
	echo "nostrategy.yml:$((n + 1)):3: branches.main: missing '\''from'\''; list the branches it takes changes from, or write '\''from: any'\'' to take them from anywhere" >expect &&
	test_cmp expect err &&

	{ cat base.yml && printf "branches:\n  main: { from: [] }\n"; } >empty.yml &&
	test_expect_code 2 policy-check lint --policy empty.yml 2>err &&
	echo "empty.yml:$((n + 2)):17: branches.main.from: the list is empty; list the branches it takes changes from, or write '\''from: any'\'' to take them from anywhere" >expect &&
	test_cmp expect err &&

	{ sed "/^strategy:/d" base.yml && printf "environments:\n  dev: {}\n"; } >envs.yml &&
	test_expect_code 2 policy-check lint --policy envs.yml 2>err &&
	echo "envs.yml:$((n)):1: environments: they make the trunk '\''main'\'' a protected branch, which needs '\''from'\''; list it under branches with the branches it takes changes from (or '\''from: any'\''), or use '\''strategy: pattern3'\''" >expect &&
	test_cmp expect err
'

test_expect_success 'a push under a policy with such a branch is rejected (fail closed)' '
	cp policy.yml policy.good &&
	printf "  \"release/*\": { approvals: 2 }\n" >>policy.yml &&
	(
		cd work &&
		git checkout -q -B feature/n origin/develop &&
		pc_commit n.txt 1 "feat: n" &&
		test_must_fail env REMOTE_USER=carol git push origin feature/n 2>../err
	) &&
	grep "remote: policy-check: rejected: the server.s policy .*policy.yml is invalid" err &&
	grep "policy.yml:[0-9]*:3: branches.release/\*: missing .from." err &&
	cp policy.good policy.yml
'

test_expect_success 'the example policies of policy-check-policy(5) lint, with keys filled in' '
	awk "/^\\.EX/ { on = 1; buf = \"\"; next }
		/^\\.EE/ { if (buf ~ /^version: 1/) { n++; printf \"%s\", buf > (\"doc-example\" n \".yml\") } on = 0; next }
		on { buf = buf \$0 \"\\n\" }" "$PC_SRC_DIR/doc/policy-check-policy.5" &&
	test -f doc-example3.yml &&
	alice=$(sed -n "s/^  alice: .*keys: \\[\"\\(ssh-ed25519 [^ \"]*\\).*/\\1/p" "$PC_POLICY_DIR/pattern2.yml") &&
	bob=$(sed -n "s/^  bob: .*keys: \\[\"\\(ssh-ed25519 [^ \"]*\\).*/\\1/p" "$PC_POLICY_DIR/pattern2.yml") &&
	test -n "$alice" && test -n "$bob" &&
	for u in carol dave erin frank; do
		test -f keys/$u.pub || pc_key $u || return 1
	done &&
	for f in doc-example*.yml; do
		sed -e "s/\\\\-/-/g" -e "s/\\\\(aq/'\''/g" -e "s/\\\\e/\\\\/g" \
			-e "/^  alice:/s|ssh-ed25519 AAAA\\.\\.\\.|$alice|" \
			-e "/^  bob:/s|ssh-ed25519 AAAA\\.\\.\\.|$bob|" "$f" >"$f.txt" &&
		for u in carol dave erin frank; do
			sed -i "/^  $u:/s|ssh-ed25519 AAAA\\.\\.\\.|$(cut -d" " -f1,2 keys/$u.pub)|" "$f.txt" ||
			return 1
		done &&
		policy-check lint --policy "$f.txt" || return 1
	done &&
	policy-check lint --expand --policy doc-example1.yml.txt >expanded.yml &&
	entry main expanded.yml >got &&
	grep "^    from: \\[\"staging\"\\]$" got
'

test_done
