#!/bin/sh
test_description='pattern3 after: a rollback to a value the previous environment (or this one) ran'
. "$(dirname "$0")/test-lib.sh"

# set_tag ENV TAG: commit ENV's overlay at image tag TAG.
set_tag() {
	sed -i "s/newTag: .*/newTag: \"$2\"/" "overlays/$1/kustomization.yaml" &&
	git add "overlays/$1/kustomization.yaml" &&
	git commit -q -m "feat: $1 to $2"
}

# push_as USER accept|reject: carol pushes the work branch, USER pushes main.
push_as() {
	REMOTE_USER=carol git push -q -f origin HEAD:refs/heads/feature/x &&
	pc_push "$2" "$1" origin HEAD:main
}

test_expect_success 'setup: prd needs bob; 1.0.0 -> 1.1.0 through dev, stg, prd' '
	cat >policy.extra <<-\EOF &&
	environments:
	  prd: { path: overlays/prd/, after: stg, approvers: [bob] }
	EOF
	pc_setup_server pattern3 &&
	(
		cd work &&
		set_tag dev 1.1.0 && push_as alice accept &&
		set_tag stg 1.1.0 && push_as alice accept &&
		set_tag prd 1.1.0 && push_as bob accept
	)
'

test_expect_success 'git revert of the prd promotion is a rollback, and is accepted' '
	(
		cd work &&
		git revert --no-edit HEAD >/dev/null &&
		grep "newTag: \"1.0.0\"" overlays/prd/kustomization.yaml &&
		push_as bob accept
	)
'

test_expect_success 'prd forward to 1.1.0 again, then back to 1.0.0 by hand (stg ran it)' '
	(
		cd work &&
		set_tag prd 1.1.0 && push_as bob accept &&
		set_tag prd 1.0.0 && push_as bob accept
	)
'

test_expect_success 'prd to a tag stg never ran is rejected, with a hint that works' '
	(
		cd work &&
		set_tag prd 0.9.9 && push_as bob reject
	) &&
	grep "environment: overlays/prd/kustomization.yaml sets image app to tag 0.9.9, which stg has never run (overlays/stg/kustomization.yaml has tag 1.1.0)" err &&
	grep "hint: promote tag 0.9.9 to dev, then to stg, then push this again; or roll back to a value stg has run" err &&
	(
		cd work &&
		git reset -q --hard origin/main &&
		set_tag dev 0.9.9 && push_as alice accept &&
		set_tag stg 0.9.9 && push_as alice accept &&
		set_tag prd 0.9.9 && push_as bob accept
	)
'

test_expect_success 'rolling stg back is accepted when dev ran the value' '
	(
		cd work &&
		set_tag stg 1.1.0 && push_as alice accept
	)
'

test_expect_success 'a rollback of prd (to 1.0.0, which stg ran) still needs the prd approvers' '
	(
		cd work &&
		set_tag prd 1.0.0 && push_as alice reject
	) &&
	grep "approval: .*(environments.prd.approvers)" err &&
	! grep "^environment:" err &&
	(cd work && push_as bob accept)
'

test_expect_success 'a value only a merged side branch had never ran in stg' '
	(
		cd work &&
		git checkout -q -b side &&
		set_tag stg 0.8.0 &&
		set_tag stg 1.1.0 &&
		git checkout -q main 2>/dev/null || git checkout -q -b main origin/main &&
		git reset -q --hard origin/main &&
		pc_commit README "readme" "docs: readme" &&
		git merge -q --no-ff -m "merge: side" side &&
		push_as alice accept &&
		set_tag prd 0.8.0 && push_as bob reject
	) &&
	grep "sets image app to tag 0.8.0, which stg has never run" err
'

test_expect_success 'a merge whose first parent is a side branch (foxtrot) is rejected on the trunk' '
	(
		cd work &&
		git checkout -q -b fox origin/main~1 &&
		was=$(sed -n "s/.*newTag: \"\(.*\)\"/\1/p" overlays/stg/kustomization.yaml) &&
		set_tag stg 0.7.0 &&
		set_tag stg "$was" &&
		git merge -q --no-ff -m "merge: main into fox" origin/main &&
		git diff --quiet origin/main HEAD -- overlays &&
		push_as alice reject
	) &&
	grep "environment: the first parents of main do not lead to main.s tip before the push" err &&
	grep "hint: merge the other way round" err
'

# own_setup LIMIT: a server in own/ whose first layout has stg at 0.5.0, a
# tag dev never had, with limits.max_rollback_commits LIMIT.
own_setup() {
	mkdir own &&
	(
		cd own &&
		printf "limits: { max_rollback_commits: %s }\n" "$1" >policy.extra &&
		pc_setup_server pattern3 &&
		rm -rf server.git &&
		git init -q --bare server.git &&
		policy-check install --policy policy.yml server.git >/dev/null &&
		cd work &&
		sed -i "s/newTag: .*/newTag: \"0.5.0\"/" overlays/stg/kustomization.yaml &&
		git commit -q --amend -a -m "chore: initial layout" &&
		REMOTE_USER=alice git push -q -f origin HEAD:refs/heads/main &&
		git fetch -q origin
	)
}

test_expect_success 'rolling stg back to a tag only stg itself ran is accepted' '
	own_setup 2 &&
	(
		cd own/work &&
		set_tag stg 1.0.0 && push_as alice accept &&
		set_tag stg 0.5.0 && push_as alice accept
	)
'

test_expect_success 'a rollback further back than limits.max_rollback_commits is rejected, naming the limit' '
	(
		cd own/work &&
		set_tag stg 1.0.0 && push_as alice accept &&
		pc_commit README "one" "docs: one" && push_as alice accept &&
		pc_commit README "two" "docs: two" && push_as alice accept &&
		set_tag stg 0.5.0 && push_as alice reject
	) &&
	grep "environment: overlays/stg/kustomization.yaml sets image app to tag 0.5.0, which dev has not run in the last 2 trunk commits (limits.max_rollback_commits; overlays/dev/kustomization.yaml has tag 1.0.0)" own/err &&
	grep "hint: promote tag 0.5.0 to dev, then push this again; or roll back to a value dev has run (or raise limits.max_rollback_commits)" own/err
'

test_done
