#!/bin/sh
test_description='pattern3: one trunk, environments as overlays, image promotion order'
. "$(dirname "$0")/test-lib.sh"

set_tag() {
	sed -i "s/newTag: .*/newTag: \"$2\"/" "overlays/$1/kustomization.yaml" &&
	git add "overlays/$1/kustomization.yaml" &&
	git commit -q -m "feat: $1 to $2"
}

push_feature() {
	REMOTE_USER=carol git push -q -f origin "HEAD:refs/heads/$1" &&
	REMOTE_USER=alice git push origin HEAD:main 2>../err
}

test_expect_success 'setup' '
	pc_setup_server pattern3
'

test_expect_success 'promoting an image dev -> stg -> prd in order is accepted' '
	(
		cd work &&
		set_tag dev 1.1.0 && push_feature feature/dev && grep "accepted refs/heads/main" ../err &&
		set_tag stg 1.1.0 && push_feature feature/stg && grep "accepted refs/heads/main" ../err &&
		set_tag prd 1.1.0 && push_feature feature/prd && grep "accepted refs/heads/main" ../err
	)
'

test_expect_success 'a prd image tag that stg never ran is rejected' '
	(
		cd work &&
		set_tag dev 1.2.0 && push_feature feature/dev2 &&
		set_tag prd 1.2.0 &&
		REMOTE_USER=carol git push -q origin HEAD:refs/heads/feature/prd2 &&
		test_must_fail env REMOTE_USER=alice git push origin HEAD:main 2>../err
	) &&
	grep "environment: overlays/prd/kustomization.yaml sets image app to tag 1.2.0, which stg has never run (overlays/stg/kustomization.yaml has tag 1.1.0)" err &&
	grep "hint: promote tag 1.2.0 to dev, then to stg, then push this again; or roll back to a value stg has run" err
'

test_expect_success 'base/ plus an overlay in one push is rejected (one_environment_per_push)' '
	(
		cd work &&
		git reset -q --hard origin/main &&
		pc_commit base/app.yaml "kind: Deployment2" "feat: base" &&
		set_tag dev 1.3.0 &&
		REMOTE_USER=carol git push -q origin HEAD:refs/heads/feature/mixed &&
		test_must_fail env REMOTE_USER=alice git push origin HEAD:main 2>../err
	) &&
	grep "environment: push changes shared path base/app.yaml and the overlay of dev" err
'

test_expect_success 'two overlays in one push are rejected' '
	(
		cd work &&
		git reset -q --hard origin/main &&
		set_tag dev 1.4.0 &&
		pc_commit overlays/stg/extra.yaml "e: 1" "feat: stg extra" &&
		REMOTE_USER=carol git push -q origin HEAD:refs/heads/feature/two &&
		test_must_fail env REMOTE_USER=alice git push origin HEAD:main 2>../err
	) &&
	grep "environment: push changes the overlays of 2 environments (dev, stg); one environment per push" err
'

test_expect_success 'a shared change alone is accepted' '
	(
		cd work &&
		git reset -q --hard origin/main &&
		pc_commit base/app.yaml "kind: Deployment3" "feat: base only" &&
		push_feature feature/base
	) &&
	grep "accepted refs/heads/main" err
'

test_done
