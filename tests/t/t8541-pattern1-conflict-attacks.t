#!/bin/sh
test_description='policy/pattern1.yml as shipped: a conflict resolution brings nothing unreviewed'
. "$(dirname "$0")/test-lib.sh"
. "$SHARNESS_TEST_SRCDIR/lib-examples.sh"

# develop and staging have feature/a (memory 256Mi); feature/b (erin,
# memory 192Mi) conflicts with it in k8s/base/deployment.yaml.

# resolve VALUE: take feature/b's side of the conflict with memory VALUE.
resolve() {
	git checkout -q --theirs k8s/base/deployment.yaml &&
	sed -i "s/memory: .*/memory: $1/" k8s/base/deployment.yaml &&
	git add k8s/base/deployment.yaml
}

# resolution USER BRANCH TARGET: USER makes BRANCH from feature/b and
# merges TARGET into it; the conflict is left for the caller to resolve.
resolution() {
	git fetch -q origin &&
	git switch -q -c "$2" feature/b &&
	test_must_fail ex_as "$1" git merge -q "origin/$3"
}

# promote USER BRANCH TARGET: USER merges BRANCH into TARGET.
promote() {
	git fetch -q origin &&
	git switch -q -C "$3" "origin/$3" &&
	ex_as "$1" git merge -q --no-ff --no-edit "$2"
}

test_expect_success 'setup: feature/a on develop and staging, feature/b conflicts with it' '
	ex_setup pattern1 &&
	(
		cd work &&
		ex_push accept alice origin HEAD:refs/heads/main HEAD:refs/heads/develop \
			HEAD:refs/heads/staging &&
		git switch -q -c feature/a origin/main &&
		sed -i "s/memory: 128Mi/memory: 256Mi/" k8s/base/deployment.yaml &&
		ex_as carol git commit -q -am "feat: web gets 256Mi" &&
		ex_push accept carol origin feature/a &&
		git switch -q -c feature/b origin/main &&
		sed -i "s/memory: 128Mi/memory: 192Mi/" k8s/base/deployment.yaml &&
		ex_as erin git commit -q -am "feat: web gets 192Mi" &&
		ex_push accept erin origin feature/b &&
		promote frank feature/a develop && ex_push accept frank origin develop &&
		promote frank feature/a staging && ex_push accept frank origin staging
	)
'

test_expect_success 'a resolution that also changes a path that did not conflict is rejected, approved or not' '
	(
		cd work &&
		resolution erin feature/b-smuggle develop &&
		resolve 224Mi &&
		sed -i "s/count: 1/count: 9/" k8s/overlays/dev/kustomization.yaml &&
		git add k8s/overlays/dev/kustomization.yaml &&
		ex_as erin git commit -q --no-edit &&
		ex_push accept erin origin feature/b-smuggle &&
		promote frank feature/b-smuggle develop &&
		ex_approve carol develop develop &&
		ex_push reject frank origin develop
	) &&
	grep "promotion: merge commit [0-9a-f]* \"Merge remote-tracking branch .origin/develop. into feature/b[^\"]*\" resolves conflicts in k8s/base/deployment.yaml but also changes k8s/overlays/dev/kustomization.yaml, which did not conflict" err &&
	grep "hint: redo the resolution changing only the conflicting paths" err
'

test_expect_success 'a resolution pushed straight to develop is rejected' '
	(
		cd work &&
		git switch -q -C develop origin/develop &&
		test_must_fail ex_as frank git merge -q --no-ff feature/b &&
		resolve 224Mi && ex_as frank git commit -q --no-edit &&
		ex_approve carol develop develop &&
		ex_push reject frank origin develop
	) &&
	grep "resolves conflicts in k8s/base/deployment.yaml, and no work branch has it" err
'

test_expect_success 'a work branch pushed with it in the same push does not count' '
	(
		cd work &&
		ex_push reject frank origin develop:refs/heads/feature/b-same-push develop
	) &&
	grep "rejected refs/heads/develop .*" err &&
	grep "resolves conflicts in k8s/base/deployment.yaml, and no work branch has it" err &&
	grep "hint: push this work branch alone first" err
'

test_expect_success 'develop merged into a feature, pushed straight to develop: the hint starts from the feature' '
	(
		cd work &&
		git switch -q feature/b &&
		resolution erin feature/b-local develop &&
		resolve 224Mi && ex_as erin git commit -q --no-edit &&
		ex_push reject erin origin feature/b-local:develop
	) &&
	grep "resolves conflicts in k8s/base/deployment.yaml, and no work branch has it" err &&
	grep "hint: resolve it on a new work branch: create one from $(git -C work rev-parse --short=7 feature/b) (what was merged), merge develop into it there" err
'

test_expect_success 'whoever pushed the resolution first cannot approve it' '
	(
		cd work &&
		git switch -q feature/b &&
		resolution frank feature/b-frank develop &&
		resolve 224Mi && ex_as frank git commit -q --no-edit &&
		ex_push accept frank origin feature/b-frank &&
		promote frank feature/b-frank develop &&
		ex_push reject frank origin develop
	) &&
	grep "approval: k8s/base/deployment.yaml needs 1 approval from @sre @app (CODEOWNERS:5), has 0" err &&
	grep "frank cannot approve it: frank first pushed commit [0-9a-f]* \"Merge remote-tracking branch .origin/develop. into feature/b[^\"]*\"" err &&
	! grep "resolves conflicts" err &&
	(
		cd work &&
		ex_approve carol develop develop &&
		ex_push accept frank origin develop
	) &&
	grep "approved by: carol (signature)" err
'

test_expect_success 'a resolution that brings a commit not on develop onto staging is rejected' '
	(
		cd work &&
		git switch -q -c feature/b-staging feature/b &&
		echo "extra" >k8s/base/extra.txt && git add k8s/base/extra.txt &&
		ex_as erin git commit -q -m "feat: not on develop" &&
		git fetch -q origin &&
		test_must_fail ex_as erin git merge -q origin/staging &&
		resolve 224Mi && ex_as erin git commit -q --no-edit &&
		ex_push accept erin origin feature/b-staging &&
		promote frank feature/b-staging staging &&
		ex_push reject frank origin staging
	) &&
	grep "promotion: commit [0-9a-f]* \"feat: not on develop\" is not on develop yet; staging takes only changes already on develop" err &&
	! grep "resolves conflicts" err
'

test_expect_success 'the same resolution without that commit reaches staging' '
	(
		cd work &&
		git switch -q feature/b &&
		resolution erin feature/b-staging2 staging &&
		resolve 224Mi && ex_as erin git commit -q --no-edit &&
		ex_push accept erin origin feature/b-staging2 &&
		promote frank feature/b-staging2 staging &&
		ex_push accept frank origin staging
	)
'

test_expect_success 'a merge with changes of its own and no conflict stays rejected, even from a work branch' '
	(
		cd work &&
		git switch -q -c feature/c origin/main &&
		echo "c" >k8s/base/c.txt && git add k8s/base/c.txt &&
		ex_as carol git commit -q -m "feat: c" &&
		ex_push accept carol origin feature/c &&
		git switch -q -c feature/c-evil origin/develop &&
		ex_as carol git merge -q --no-ff --no-commit feature/c &&
		sed -i "s/count: 1/count: 9/" k8s/overlays/dev/kustomization.yaml &&
		git add k8s/overlays/dev/kustomization.yaml &&
		ex_as carol git commit -q -m "Merge branch '\''feature/c'\'' into feature/c-evil" &&
		ex_push accept carol origin feature/c-evil &&
		promote frank feature/c-evil develop &&
		ex_push reject frank origin develop
	) &&
	grep "is not a clean merge of its parents: k8s/overlays/dev/kustomization.yaml differs from the automatic merge" err
'

test_done
