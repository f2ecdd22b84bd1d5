#!/bin/sh
test_description='pattern3: symbolic links and renames are judged by where they land'
. "$(dirname "$0")/test-lib.sh"

push_main() {
	REMOTE_USER=carol git push -q -f origin "HEAD:refs/heads/${1:-feature/x}" &&
	REMOTE_USER=alice git push origin HEAD:main 2>../err
}

accepted() {
	grep "accepted refs/heads/main" err
}

# link TARGET PATH: commit a symbolic link PATH -> TARGET (replacing PATH).
link() {
	git rm -q -r --ignore-unmatch "$2" &&
	mkdir -p "$(dirname "$2")" &&
	ln -s "$1" "$2" &&
	git add "$2" &&
	git commit -q -m "chore: link $2"
}

test_expect_success 'setup: prd and stg run 1.0.0, dev runs 1.2.0' '
	pc_setup_server pattern3 &&
	(
		cd work &&
		sed -i "s/1.0.0/1.2.0/" overlays/dev/kustomization.yaml &&
		git commit -q -am "feat: dev 1.2.0" && push_main feature/dev &&
		pc_commit README.md notes && push_main feature/readme &&
		for env in dev stg prd; do
			pc_commit overlays/$env/patch.yaml "p: $env" && push_main feature/$env || return 1
		done
	) &&
	accepted
'

test_expect_success 'prd kustomization.yaml replaced by a link into dev is judged as dev content' '
	(
		cd work &&
		link ../dev/kustomization.yaml overlays/prd/kustomization.yaml &&
		test_must_fail push_main
	) &&
	grep "environment: overlays/prd/kustomization.yaml sets image app to tag 1.2.0, which stg has never run (overlays/stg/kustomization.yaml has tag 1.0.0)" err &&
	grep "environment: push changes the overlays of 2 environments (dev, prd); one environment per push" err
'

test_expect_success 'a link in stg into the prd overlay is a change to prd' '
	(
		cd work &&
		git reset -q --hard origin/main &&
		link ../prd/patch.yaml overlays/stg/patch.yaml &&
		test_must_fail push_main
	) &&
	grep "environment: push changes the overlays of 2 environments (stg, prd); one environment per push" err
'

test_expect_success 'an environment directory replaced by a link to another is a change to both' '
	(
		cd work &&
		git reset -q --hard origin/main &&
		link prd overlays/stg &&
		test_must_fail push_main
	) &&
	grep "environment: push changes the overlays of 2 environments (stg, prd); one environment per push" err
'

test_expect_success 'a link in an overlay into a shared path is a shared change' '
	(
		cd work &&
		git reset -q --hard origin/main &&
		link ../../base/app.yaml overlays/stg/app.yaml &&
		test_must_fail push_main
	) &&
	grep "environment: push changes shared path overlays/stg/app.yaml and the overlay of stg" err
'

test_expect_success 'links in an overlay that leave the repository or every environment are rejected' '
	(
		cd work &&
		git reset -q --hard origin/main &&
		ln -s ../../../outside overlays/dev/escape.yaml &&
		ln -s /etc/passwd overlays/dev/absolute.yaml &&
		ln -s ../../README.md overlays/dev/readme.yaml &&
		ln -s missing.yaml overlays/dev/dangling.yaml &&
		ln -s loop-b overlays/dev/loop-a &&
		ln -s loop-a overlays/dev/loop-b &&
		git add overlays && git commit -q -m "chore: links" &&
		test_must_fail push_main
	) &&
	grep "environment: symbolic link overlays/dev/escape.yaml cannot be followed: symbolic link overlays/dev/escape.yaml -> ../../../outside leaves the repository" err &&
	grep "environment: symbolic link overlays/dev/absolute.yaml cannot be followed: symbolic link overlays/dev/absolute.yaml -> /etc/passwd leaves the repository" err &&
	grep "environment: symbolic link overlays/dev/readme.yaml points to README.md, outside every environment and shared path" err &&
	grep "environment: symbolic link overlays/dev/dangling.yaml points to overlays/dev/missing.yaml, which does not exist" err &&
	grep "environment: symbolic link overlays/dev/loop-a cannot be followed: overlays/dev/loop-a: too many symbolic links (a loop?)" err &&
	grep "hint: point it at a file inside the repository under an environment or shared path" err
'

test_expect_success 'a link inside its own overlay is accepted' '
	(
		cd work &&
		git reset -q --hard origin/main &&
		link patch.yaml overlays/dev/patch-link.yaml &&
		push_main
	) &&
	accepted
'

test_expect_success 'without one environment per push: setup' '
	echo "one_environment_per_push: false" >>policy.yml &&
	policy-check install --policy policy.yml server.git >/dev/null
'

test_expect_success 'renaming dev kustomization into prd as Kustomization is judged in prd' '
	(
		cd work &&
		git reset -q --hard origin/main &&
		git rm -q overlays/prd/kustomization.yaml &&
		git mv overlays/dev/kustomization.yaml overlays/prd/Kustomization &&
		git commit -q -m "chore: move dev to prd" &&
		test_must_fail push_main
	) &&
	grep "environment: overlays/prd/Kustomization sets image app to tag 1.2.0, which stg has never run (overlays/stg/kustomization.yaml has tag 1.0.0)" err
'

test_expect_success 'prd linked to stg: accepted while they are equal' '
	(
		cd work &&
		git reset -q --hard origin/main &&
		link ../stg/kustomization.yaml overlays/prd/kustomization.yaml &&
		push_main
	) &&
	accepted
'

test_expect_success 'then a stg bump that reaches prd through the link is judged for prd' '
	(
		cd work &&
		sed -i "s/1.0.0/1.2.0/" overlays/stg/kustomization.yaml &&
		git commit -q -am "feat: stg 1.2.0" &&
		test_must_fail push_main
	) &&
	grep "environment: overlays/prd/kustomization.yaml sets image app to tag 1.2.0, which stg has never run (overlays/stg/kustomization.yaml has tag 1.0.0)" err &&
	! grep "sets image app to tag 1.2.0, which dev has never run" err
'

test_expect_success 'a directory link into another overlay brings its kustomizations along' '
	(
		cd work &&
		git reset -q --hard origin/main &&
		mkdir -p overlays/dev/web &&
		printf "resources: [../../../base]\nimages:\n- name: web\n  newTag: \"2.0\"\n" \
			>overlays/dev/web/kustomization.yaml &&
		git add overlays && git commit -q -m "feat: dev web" && push_main feature/web &&
		grep "accepted refs/heads/main" ../err &&
		link ../dev/web overlays/prd/web &&
		test_must_fail push_main
	) &&
	grep "environment: overlays/prd/web/kustomization.yaml sets image web to tag 2.0, which stg has never run (overlays/stg/web has no such image)" err
'

test_done
