#!/bin/sh
test_description='pattern3 after: reads every kustomization name, whole images, includes and remotes'
. "$(dirname "$0")/test-lib.sh"

# push_main [BRANCH]: carol pushes the work branch, alice pushes main (err in ../err).
push_main() {
	REMOTE_USER=carol git push -q -f origin "HEAD:refs/heads/${1:-feature/x}" &&
	REMOTE_USER=alice git push origin HEAD:main 2>../err
}

# kust FILE [LINES...]: write a kustomization with resources ../../base and LINES.
kust() {
	f=$1 &&
	shift &&
	mkdir -p "$(dirname "$f")" &&
	printf "resources: [../../base]\n" >"$f" &&
	for l in "$@"; do printf "%s\n" "$l" >>"$f" || return 1; done
}

accepted() {
	grep "accepted refs/heads/main" err
}

test_expect_success 'setup: app 1.1.0 everywhere, 1.2.0 in dev only' '
	pc_setup_server pattern3 &&
	(
		cd work &&
		for env in dev stg prd; do
			kust overlays/$env/kustomization.yaml "images:" "- name: app" "  newTag: \"1.1.0\"" &&
			git add overlays/$env && git commit -q -m "feat: $env 1.1.0" &&
			push_main feature/$env || return 1
		done &&
		kust overlays/dev/kustomization.yaml "images:" "- name: app" "  newTag: \"1.2.0\"" &&
		git commit -q -am "feat: dev 1.2.0" && push_main feature/dev2
	) &&
	accepted
'

test_expect_success 'renaming prd kustomization.yaml to kustomization.yml is accepted' '
	(
		cd work &&
		git mv overlays/prd/kustomization.yaml overlays/prd/kustomization.yml &&
		git commit -q -m "chore: prd yml" && push_main
	) &&
	accepted
'

test_expect_success 'a kustomization.yml bump in prd to a tag stg never ran is rejected' '
	(
		cd work &&
		kust overlays/prd/kustomization.yml "images:" "- name: app" "  newTag: \"1.2.0\"" &&
		git commit -q -am "feat: prd 1.2.0" &&
		test_must_fail push_main
	) &&
	grep "environment: overlays/prd/kustomization.yml sets image app to tag 1.2.0, which stg has never run (overlays/stg/kustomization.yaml has tag 1.1.0)" err &&
	grep "hint: promote tag 1.2.0 to dev, then to stg, then push this again; or roll back to a value stg has run" err
'

test_expect_success 'a Kustomization bump in prd to a tag stg never ran is rejected' '
	(
		cd work &&
		git reset -q --hard origin/main &&
		git rm -q overlays/prd/kustomization.yml &&
		kust overlays/prd/Kustomization "images:" "- name: app" "  newTag: \"1.2.0\"" &&
		git add overlays/prd && git commit -q -m "feat: prd 1.2.0 as Kustomization" &&
		test_must_fail push_main
	) &&
	grep "environment: overlays/prd/Kustomization sets image app to tag 1.2.0, which stg has never run" err
'

test_expect_success 'two kustomization files in one overlay are rejected' '
	(
		cd work &&
		git reset -q --hard origin/main &&
		kust overlays/prd/Kustomization "images:" "- name: app" "  newTag: \"1.1.0\"" &&
		git add overlays/prd && git commit -q -m "feat: second kustomization" &&
		test_must_fail push_main
	) &&
	grep "environment: cannot judge the images of overlays/prd for prd: overlays/prd has more than one kustomization file" err
'

test_expect_success 'the same tag from another registry (newName) is rejected' '
	(
		cd work &&
		git reset -q --hard origin/main &&
		kust overlays/prd/kustomization.yml "images:" "- name: app" \
			"  newName: evil.example/app" "  newTag: \"1.1.0\"" &&
		git commit -q -am "feat: prd from another registry" &&
		test_must_fail push_main
	) &&
	grep "environment: overlays/prd/kustomization.yml sets image app to name evil.example/app, tag 1.1.0, which stg has never run (overlays/stg/kustomization.yaml has tag 1.1.0)" err
'

test_expect_success 'a key Kustomize reads without case (newtag) is read so too' '
	(
		cd work &&
		git reset -q --hard origin/main &&
		kust overlays/prd/kustomization.yml "images:" "- name: app" "  newtag: \"1.2.0\"" &&
		git commit -q -am "feat: prd 1.2.0 in lower case" &&
		test_must_fail push_main
	) &&
	grep "environment: overlays/prd/kustomization.yml sets image app to tag 1.2.0, which stg has never run" err
'

test_expect_success 'a merge key in an image entry is rejected' '
	(
		cd work &&
		git reset -q --hard origin/main &&
		kust overlays/prd/kustomization.yml "images:" "- name: app" "  <<: {newTag: \"1.2.0\"}" &&
		git commit -q -am "feat: prd 1.2.0 through a merge key" &&
		test_must_fail push_main
	) &&
	grep "environment: cannot judge the images of overlays/prd for prd: overlays/prd/kustomization.yml:4:3: merge keys (<<) are not supported in a kustomization" err
'

test_expect_success 'a digest stg runs is accepted; the same digest with another tag is not' '
	D=sha256:1111111111111111111111111111111111111111111111111111111111111111 &&
	(
		cd work &&
		git reset -q --hard origin/main &&
		kust overlays/dev/kustomization.yaml "images:" "- name: app" "  newTag: \"1.1.0\"" "  digest: $D" &&
		git commit -q -am "feat: dev digest" && push_main feature/dev-digest &&
		grep "accepted refs/heads/main" ../err &&
		kust overlays/stg/kustomization.yaml "images:" "- name: app" "  newTag: \"1.1.0\"" "  digest: $D" &&
		git commit -q -am "feat: stg digest" && push_main feature/stg-digest &&
		grep "accepted refs/heads/main" ../err &&
		kust overlays/prd/kustomization.yml "images:" "- name: app" "  newTag: \"1.1.0\"" "  digest: $D" &&
		git commit -q -am "feat: prd digest" && push_main feature/prd-digest &&
		grep "accepted refs/heads/main" ../err &&
		kust overlays/prd/kustomization.yml "images:" "- name: app" "  newTag: \"9.9.9\"" "  digest: $D" &&
		git commit -q -am "feat: prd other tag, same digest" &&
		test_must_fail push_main
	) &&
	grep "environment: overlays/prd/kustomization.yml sets image app to tag 9.9.9, digest $D, which stg has never run" err
'

test_expect_success 'an image change in a component counts for the environment that includes it' '
	(
		cd work &&
		git reset -q --hard origin/main &&
		mkdir -p components/prd-images &&
		printf "kind: Component\nimages:\n- name: app\n  newTag: \"1.1.0\"\n  digest: %s\n" "$D" \
			>components/prd-images/kustomization.yaml &&
		kust overlays/prd/kustomization.yml "components: [../../components/prd-images]" &&
		git add components overlays && git commit -q -m "feat: prd images from a component" &&
		push_main feature/component &&
		grep "accepted refs/heads/main" ../err &&
		sed -i "s/1.1.0/1.2.0/" components/prd-images/kustomization.yaml &&
		git commit -q -am "feat: component 1.2.0" &&
		test_must_fail push_main
	) &&
	grep "environment: components/prd-images/kustomization.yaml, included by overlays/prd/kustomization.yml, sets image app to tag 1.2.0, digest $D, which stg has never run" err
'

test_expect_success 'an image change in an included kustomization counts too' '
	(
		cd work &&
		git reset -q --hard origin/main &&
		mkdir -p apps/web &&
		printf "resources: [../../base]\nimages:\n- name: web\n  newTag: \"2.0\"\n" >apps/web/kustomization.yaml &&
		kust overlays/stg/kustomization.yaml "resources: [../../apps/web]" "images:" "- name: app" \
			"  newTag: \"1.1.0\"" "  digest: $D" &&
		sed -i "1d" overlays/stg/kustomization.yaml &&
		git add apps overlays && git commit -q -m "feat: stg includes web" &&
		test_must_fail push_main feature/web
	) &&
	grep "environment: apps/web/kustomization.yaml, included by overlays/stg/kustomization.yaml, sets image web to tag 2.0, which dev has never run (overlays/dev/kustomization.yaml has no such image)" err
'

test_expect_success 'a remote resource URL that changes is rejected with a reason' '
	(
		cd work &&
		git reset -q --hard origin/main &&
		kust overlays/stg/kustomization.yaml "- https://github.com/example/app//deploy?ref=v2" "images:" \
			"- name: app" "  newTag: \"1.1.0\"" "  digest: $D" &&
		sed -i "1s/.*/resources:\n- ..\/..\/base/" overlays/stg/kustomization.yaml &&
		git commit -q -am "feat: stg from a remote" &&
		test_must_fail push_main
	) &&
	grep "environment: overlays/stg/kustomization.yaml includes https://github.com/example/app//deploy?ref=v2 from outside the repository; what it deploys to stg cannot be checked against dev" err
'

test_expect_success 'a component included by stg and prd is a change to both' '
	(
		cd work &&
		git reset -q --hard origin/main &&
		pc_commit components/labels/kustomization.yaml "kind: Component" "feat: labels" &&
		push_main feature/labels &&
		grep "accepted refs/heads/main" ../err &&
		kust overlays/stg/kustomization.yaml "components: [../../components/labels]" "images:" \
			"- name: app" "  newTag: \"1.1.0\"" "  digest: $D" &&
		git commit -q -am "feat: stg labels" && push_main feature/stg-labels &&
		grep "accepted refs/heads/main" ../err &&
		kust overlays/prd/kustomization.yml \
			"components: [../../components/prd-images, ../../components/labels]" &&
		git commit -q -am "feat: prd labels" && push_main feature/prd-labels &&
		grep "accepted refs/heads/main" ../err &&
		printf "kind: Component\nlabels:\n- pairs: {team: web}\n" >components/labels/kustomization.yaml &&
		git commit -q -am "feat: team label" &&
		test_must_fail push_main
	) &&
	grep "environment: push changes the overlays of 2 environments (stg, prd); one environment per push" err
'

test_done
