#!/bin/sh
test_description='promotion checks cost what the push brings: long and many feature branches lock nobody out'
. "$(dirname "$0")/test-lib.sh"

# many_commits N PREFIX: N commits on the current branch, each changing PREFIX.txt.
many_commits() {
	i=0
	while test $i -lt "$1"; do
		i=$((i + 1))
		echo "$i" >"$2.txt" && git add "$2.txt" && git commit -q -m "feat: $2 $i" || return 1
	done
}

# merge_into accept|reject BRANCH FEATURE: merge FEATURE into BRANCH, push as alice
merge_into() {
	git checkout -q -B "$2" "origin/$2" &&
	git merge -q --no-ff -m "Merge $3 into $2" "$3" &&
	pc_push "$1" alice origin "$2"
}

test_expect_success 'setup: pattern2 with limits.max_commits 100, and a feature branch of 150 commits' '
	printf "limits: { max_commits: 100 }\n" >policy.extra &&
	pc_setup_server pattern2 &&
	(
		cd work &&
		git checkout -q -b feature/long origin/develop &&
		many_commits 90 long &&
		REMOTE_USER=carol git push -q origin feature/long &&
		many_commits 60 long2 &&
		REMOTE_USER=carol git push -q origin feature/long &&
		test "$(git rev-list --count origin/develop..origin/feature/long)" = 150
	)
'

test_expect_success 'a develop promotion of another feature is accepted despite the long branch' '
	(
		cd work &&
		git checkout -q -b feature/small origin/develop &&
		pc_commit overlays/dev/small.yaml "small: 1" "feat: small" &&
		REMOTE_USER=carol git push -q origin feature/small &&
		merge_into accept develop feature/small
	) &&
	! grep max_commits err
'

test_expect_success 'a feature branch that moved on after its merge still covers what was merged' '
	(
		cd work &&
		git checkout -q -b feature/moved origin/develop &&
		pc_commit overlays/dev/moved.yaml "moved: 1" "feat: moved" &&
		REMOTE_USER=carol git push -q origin feature/moved &&
		git checkout -q -B develop origin/develop &&
		git merge -q --no-ff -m "Merge feature/moved" feature/moved &&
		git checkout -q feature/moved &&
		pc_commit overlays/dev/moved.yaml "moved: 2" "feat: moved on" &&
		REMOTE_USER=carol git push -q origin feature/moved &&
		git checkout -q develop &&
		pc_push accept alice origin develop
	)
'

test_expect_success 'a commit on no feature branch is still rejected, and named' '
	(
		cd work &&
		git checkout -q -b feature/other origin/develop &&
		pc_commit overlays/dev/other.yaml "other: 1" "feat: other" &&
		REMOTE_USER=carol git push -q origin feature/other &&
		git checkout -q -B develop origin/develop &&
		pc_commit overlays/dev/direct.yaml "direct: 1" "feat: direct" &&
		git merge -q --no-ff -m "Merge feature/other" feature/other &&
		pc_push reject alice origin develop
	) &&
	grep "promotion: commit [0-9a-f]* \"feat: direct\" is not on feature/\*, hotfix/\*" err &&
	! grep "promotion: .*feat: other" err
'

test_expect_success 'a promotion bringing more than max_commits is still refused by the limit' '
	(
		cd work &&
		merge_into accept develop feature/other &&
		git checkout -q -B develop origin/develop &&
		git merge -q --no-ff -m "Merge feature/long" origin/feature/long &&
		pc_push reject alice origin develop
	) &&
	grep "update brings more than 100 commits (limits.max_commits)" err
'

test_expect_success 'setup: pattern1, develop 150 commits ahead of staging' '
	mkdir p1 &&
	(
		cd p1 &&
		printf "limits: { max_commits: 100 }\n" >policy.extra &&
		pc_setup_server pattern1 &&
		cd work &&
		git checkout -q -b feature/l1 origin/main &&
		many_commits 90 l1 &&
		REMOTE_USER=carol git push -q origin feature/l1 &&
		merge_into accept develop feature/l1 &&
		git checkout -q -b feature/l2 origin/main &&
		many_commits 60 l2 &&
		REMOTE_USER=carol git push -q origin feature/l2 &&
		merge_into accept develop feature/l2 &&
		git fetch -q origin &&
		test "$(git rev-list --count --no-merges origin/staging..origin/develop)" = 150
	)
'

test_expect_success 'pattern1: a feature merged into develop, then staging, is accepted (require develop)' '
	(
		cd p1/work &&
		git checkout -q -b feature/s origin/main &&
		pc_commit overlays/dev/s.yaml "s: 1" "feat: s" &&
		REMOTE_USER=carol git push -q origin feature/s &&
		merge_into accept develop feature/s &&
		merge_into accept staging feature/s
	)
'

test_expect_success 'pattern1: a feature not on develop is still a merge omission' '
	(
		cd p1/work &&
		git checkout -q -b feature/t origin/main &&
		pc_commit overlays/dev/t.yaml "t: 1" "feat: t" &&
		REMOTE_USER=carol git push -q origin feature/t &&
		merge_into reject staging feature/t
	) &&
	grep "promotion: commit [0-9a-f]* \"feat: t\" is not on develop yet" p1/err
'

test_expect_success 'setup: 300 feature branches' '
	(
		cd work &&
		git fetch -q origin &&
		dev=$(git rev-parse origin/develop) &&
		i=0 &&
		while test $i -lt 300; do
			i=$((i + 1)) &&
			printf "commit refs/heads/feature/f%03d\n" $i &&
			printf "committer C O Mitter <committer@example.com> 1700000000 +0000\n" &&
			printf "data <<END\nfeat: f%03d\nEND\nfrom %s\n" $i "$dev" &&
			printf "M 644 inline overlays/dev/f%03d.yaml\ndata <<END\nf: %d\nEND\n\n" $i $i ||
			return 1
		done | git fast-import --quiet &&
		REMOTE_USER=carol git push -q origin "refs/heads/feature/f*:refs/heads/feature/f*" &&
		test "$(git ls-remote origin "refs/heads/feature/f*" | wc -l)" = 300
	)
'

test_expect_success 'a develop promotion among 300 feature branches is accepted' '
	(cd work && merge_into accept develop feature/f150)
'

test_expect_success 'a promotion of several of the 300 at once is accepted' '
	(
		cd work &&
		git checkout -q -B develop origin/develop &&
		git merge -q --no-ff -m "Merge f001" feature/f001 &&
		git merge -q --no-ff -m "Merge f300" feature/f300 &&
		pc_push accept alice origin develop
	)
'

test_expect_success 'among 300 feature branches, a commit on none of them is rejected' '
	(
		cd work &&
		git checkout -q -B develop origin/develop &&
		pc_commit overlays/dev/stray.yaml "stray: 1" "feat: stray" &&
		git merge -q --no-ff -m "Merge f200" feature/f200 &&
		pc_push reject alice origin develop
	) &&
	grep "promotion: commit [0-9a-f]* \"feat: stray\" is not on feature/\*, hotfix/\*" err &&
	! grep "promotion: .*f200\"" err
'

test_expect_success 'the audit log of all of this verifies' '
	pc_audit_verify
'

test_done
