#!/bin/sh
test_description='pattern3: a link into another environment needs that environment'"'"'s approvers'
. "$(dirname "$0")/test-lib.sh"

push_main() {
	REMOTE_USER=carol git push -q -f origin "HEAD:refs/heads/${1:-feature/x}" &&
	REMOTE_USER=alice git push origin HEAD:main 2>../err
}

test_expect_success 'setup: prd needs bob, one environment per push off' '
	cat >policy.extra <<-\EOF &&
	one_environment_per_push: false
	environments:
	  prd: { path: overlays/prd/, after: stg, approvers: [bob] }
	EOF
	pc_setup_server pattern3 &&
	(
		cd work &&
		for env in stg prd; do echo "p: $env" >overlays/$env/patch.yaml || return 1; done &&
		git add overlays && git commit -q -m "feat: patches" &&
		test_must_fail push_main feature/patches
	) &&
	grep "environments.prd.approvers" err &&
	(
		cd work &&
		git reset -q --hard HEAD^ &&
		pc_commit overlays/stg/patch.yaml "p: stg" && push_main feature/stg
	) &&
	grep "accepted refs/heads/main" err
'

test_expect_success 'a stg file replaced by a link into prd needs the prd approvers' '
	(
		cd work &&
		git rm -q overlays/stg/patch.yaml &&
		ln -s ../prd/kustomization.yaml overlays/stg/patch.yaml &&
		git add overlays && git commit -q -m "chore: stg patch is prd" &&
		test_must_fail push_main
	) &&
	grep "approval: .*(environments.prd.approvers)" err
'

test_expect_success 'a link inside stg needs no prd approver' '
	(
		cd work &&
		git reset -q --hard origin/main &&
		git rm -q overlays/stg/patch.yaml &&
		ln -s kustomization.yaml overlays/stg/patch.yaml &&
		git add overlays && git commit -q -m "chore: stg patch link" &&
		push_main
	) &&
	grep "accepted refs/heads/main" err
'

test_expect_success 'a change to a component prd includes needs the prd approvers' '
	(
		cd work &&
		git reset -q --hard origin/main &&
		pc_commit components/labels/kustomization.yaml "kind: Component" "feat: labels" &&
		push_main feature/labels &&
		grep "accepted refs/heads/main" ../err &&
		echo "components: [../../components/labels]" >>overlays/prd/kustomization.yaml &&
		git commit -q -am "feat: prd labels" &&
		REMOTE_USER=carol git push -q -f origin HEAD:refs/heads/feature/prd-labels &&
		REMOTE_USER=bob git push origin HEAD:main 2>../err &&
		grep "accepted refs/heads/main" ../err &&
		printf "kind: Component\nlabels:\n- pairs: {team: web}\n" >components/labels/kustomization.yaml &&
		git commit -q -am "feat: team label" &&
		test_must_fail push_main
	) &&
	grep "approval: .*(environments.prd.approvers)" err
'

test_done
