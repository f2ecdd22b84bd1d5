#!/bin/sh
test_description='policy/pattern1.yml as shipped: a hotfix reaches main first, its back-merges are follow-ups until done'
. "$(dirname "$0")/test-lib.sh"
. "$SHARNESS_TEST_SRCDIR/lib-examples.sh"

if command -v python3 >/dev/null 2>&1; then
	test_set_prereq PYTHON3
fi

# merge_into USER BRANCH SOURCE: USER merges SOURCE into BRANCH and pushes it.
merge_into() {
	git fetch -q origin &&
	git switch -q -C "$2" "origin/$2" &&
	ex_as "$1" git merge -q --no-ff -m "Merge branch '$3' into $2" "$3" &&
	ex_push accept "$1" origin "$2"
}

# main_at REV: main fast-forwarded to REV, approved by bob and dave (sre),
# ready to push.
main_at() {
	git fetch -q origin &&
	git switch -q -C main origin/main &&
	git merge -q --ff-only "$1" &&
	ex_approve bob main main &&
	ex_approve dave main main
}

FOLLOW="hotfix/web: 1 commit on main not yet on staging, develop: merge hotfix/web into develop, then staging"

test_expect_success 'setup: the example policy with fresh keys, the example repository' '
	ex_setup pattern1 &&
	grep "^    hotfix_from: \[\"hotfix/\*\"\]" policy.yml &&
	(
		cd work &&
		ex_push accept alice origin HEAD:refs/heads/main HEAD:refs/heads/develop \
			HEAD:refs/heads/staging
	)
'

test_expect_success 'alice (sre) pushes a hotfix of the prd overlay' '
	(
		cd work &&
		git switch -q -c hotfix/web origin/main &&
		sed -i "s/newTag: .*/newTag: \"1.2.1\"/" k8s/overlays/prd/kustomization.yaml &&
		ex_as alice git commit -q -am "fix(prd): web 1.2.1 stops the crash loop" &&
		ex_push accept alice origin hotfix/web
	)
'

test_expect_success 'without approvals the hotfix is rejected on main, for the approvals only' '
	(
		cd work &&
		git switch -q -C main origin/main &&
		git merge -q --ff-only hotfix/web &&
		ex_push reject alice origin main
	) &&
	grep "needs 2 approvals from sre (branches.main.approvers), has 0" err &&
	! grep "is not on staging" err
'

test_expect_success 'alice cannot approve her own hotfix: one sre approval is not enough' '
	(
		cd work &&
		ex_approve alice main main &&
		ex_approve bob main main &&
		ex_push reject alice origin main
	) &&
	grep "needs 2 approvals from sre (branches.main.approvers), has 1 (bob)" err
'

test_expect_success 'with bob and dave (sre), the hotfix reaches main before staging, without break-glass' '
	(
		cd work &&
		ex_approve dave main main &&
		ex_push accept alice origin main
	) &&
	grep "remote: policy-check: accepted refs/heads/main " err &&
	grep "approved by: .*bob (signature)" err &&
	grep "approved by: .*dave (signature)" err &&
	! grep -i "break-glass" err &&
	grep "remote:   follow-up: $FOLLOW *$" err &&
	fix=$(git -C work rev-parse hotfix/web) &&
	grep "\"hook\":\"pre-receive\"" audit/audit.log | grep "\"ref\":\"refs/heads/main\"" | tail -n 1 >rec &&
	grep "\"decision\":\"accept\"" rec &&
	grep "\"codeowners\":\"[0-9a-f]*\",\"hotfix\":{\"branches\":\[\"hotfix/web\"\],\"commits\":\[\"$fix\"\],\"follow_up\":\[\"staging\",\"develop\"\]}}$" rec &&
	pc_audit_verify
'

test_expect_success 'only the judgements of the hotfix on main have a "hotfix" key; others keep their bytes' '
	grep "\"hotfix\":" audit/audit.log >with &&
	test $(wc -l <with) = 3 &&
	test $(grep -c "\"hook\":\"pre-receive\".*\"ref\":\"refs/heads/main\"" with) = 3 &&
	grep -v "\"hotfix\":" audit/audit.log >without &&
	test $(grep -c -v "\"codeowners\":\(null\|\"[0-9a-f]*\"\)}$" without) = 0
'

test_expect_success 'status and audit reconcile report the follow-up' '
	policy-check status --repo server.git --policy policy.yml >status &&
	sed -n "/^hotfix follow-ups:/,\$p" status >got &&
	printf "hotfix follow-ups:\n  %s\n" "$FOLLOW" >expect &&
	test_cmp expect got &&
	test_expect_code 1 policy-check audit reconcile --repo server.git audit/audit.log >rec &&
	cat rec &&
	test $(wc -l <rec) = 1 &&
	grep "^audit/audit.log:[0-9]*: follow-up: $FOLLOW$" rec
'

test_expect_success PYTHON3 'status --json lists the follow-up with the branches in the order to merge' '
	policy-check status --json --repo server.git --policy policy.yml >status.json &&
	python3 -c "
import json, sys
d = json.load(open(\"status.json\"))
f = d[\"follow_ups\"]
assert f == [{\"branch\": \"hotfix/web\", \"on\": \"main\", \"commits\": 1,
              \"missing\": [\"develop\", \"staging\"], \"error\": None}], f
"
'

test_expect_success 'the back-merge into develop is accepted normally; staging is still to do' '
	(
		cd work &&
		merge_into bob develop hotfix/web
	) &&
	! grep "follow-up" err &&
	policy-check status --repo server.git --policy policy.yml >status &&
	grep "^  hotfix/web: 1 commit on main not yet on staging: merge hotfix/web into staging$" status &&
	test_expect_code 1 policy-check audit reconcile --repo server.git audit/audit.log >rec &&
	grep "follow-up: hotfix/web: 1 commit on main not yet on staging: merge hotfix/web into staging$" rec
'

test_expect_success 'the back-merge into staging is accepted normally' '
	(
		cd work &&
		merge_into bob staging hotfix/web
	) &&
	grep "approved by: bob (pusher)" err
'

test_expect_success 'the follow-ups are then gone from status and reconcile' '
	policy-check status --repo server.git --policy policy.yml >status &&
	sed -n "/^hotfix follow-ups:/,\$p" status >got &&
	printf "hotfix follow-ups:\n  none\n" >expect &&
	test_cmp expect got &&
	policy-check audit reconcile --repo server.git audit/audit.log >rec &&
	grep "^every ref of server.git is explained by accepted records in audit/audit.log$" rec &&
	pc_audit_verify
'

test_expect_success 'attack: a feature commit not on staging, merged into a hotfix branch, is still rejected on main' '
	(
		cd work &&
		git switch -q -c feature/smuggle origin/main &&
		echo "replicas: 9" >k8s/base/extra.yaml && git add k8s/base/extra.yaml &&
		ex_as carol git commit -q -m "feat: nine replicas" &&
		ex_push accept carol origin feature/smuggle &&
		git switch -q -c hotfix/db origin/main &&
		ex_as alice git merge -q --no-ff -m "Merge branch '\''feature/smuggle'\'' into hotfix/db" feature/smuggle &&
		sed -i "s/newTag: .*/newTag: \"1.2.2\"/" k8s/overlays/prd/kustomization.yaml &&
		ex_as alice git commit -q -am "fix(prd): web 1.2.2" &&
		ex_push accept alice origin hotfix/db &&
		main_at hotfix/db &&
		ex_push reject alice origin main
	) &&
	grep "promotion: commit [0-9a-f]* \"feat: nine replicas\" is on hotfix/\* but also on another branch, so it is no hotfix commit; main takes only changes already on staging" err &&
	! grep "fix(prd): web 1.2.2" err
'

test_expect_success 'attack: the same once the feature branch is merged into develop and deleted' '
	(
		cd work &&
		merge_into bob develop feature/smuggle &&
		ex_push accept carol origin :refs/heads/feature/smuggle &&
		git switch -q main &&
		ex_push reject alice origin main
	) &&
	grep "promotion: commit [0-9a-f]* \"feat: nine replicas\" is on hotfix/\* but also on another branch" err
'

test_expect_success 'attack: a hotfix on a branch hotfix_from does not match gets nothing' '
	(
		cd work &&
		git switch -q -c feature/hotfix-cache origin/main &&
		sed -i "s/newTag: .*/newTag: \"1.2.3\"/" k8s/overlays/prd/kustomization.yaml &&
		ex_as alice git commit -q -am "fix(prd): web 1.2.3" &&
		ex_push accept alice origin feature/hotfix-cache &&
		main_at feature/hotfix-cache &&
		ex_push reject alice origin main
	) &&
	grep "promotion: commit [0-9a-f]* \"fix(prd): web 1.2.3\" is not on staging yet; main takes only changes already on staging" err
'

test_expect_success 'the rejected hotfixes left no follow-up behind' '
	policy-check status --repo server.git --policy policy.yml >status &&
	sed -n "/^hotfix follow-ups:/,\$p" status >got &&
	printf "hotfix follow-ups:\n  none\n" >expect &&
	test_cmp expect got &&
	{ policy-check audit reconcile --repo server.git audit/audit.log >rec; test $? -le 1; } &&
	! grep "follow-up" rec &&
	pc_audit_verify
'

test_done
