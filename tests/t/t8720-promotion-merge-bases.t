#!/bin/sh
test_description='clean merges: the merge bases found in one pass give the verdicts libgit2 gives, on hostile histories'
. "$(dirname "$0")/test-lib.sh"

# The clean-merge check learns each merge's base from one pass over the
# push (src/engine/merge-bases.c) and asks libgit2 for the merges that
# pass leaves open.  These pushes bring chains of merges where the two
# could differ: features forked from one old point, from below what the
# push brings and from other features, criss-cross merges with two bases,
# evil merges, and commit dates the pusher forged (far in the past, far in
# the future, going backwards).  Each verdict is the one libgit2 alone
# gives (the same tests pass with the check before the one-pass bases).

# dated SECONDS CMD...: CMD with author and committer dates SECONDS since 1970
dated() {
	dated_when=$1
	shift
	GIT_AUTHOR_DATE="@$dated_when +0000" GIT_COMMITTER_DATE="@$dated_when +0000" "$@"
}

PAST=100000000		# 1973
FUTURE=4000000000	# 2096

# feature NAME FROM N WHEN STEP: feature/NAME from FROM with N commits, each
# adding overlays/dev/NAME/fK.yaml, dated WHEN, WHEN+STEP, ...; carol pushes it
feature() {
	git checkout -q -B "feature/$1" "$2" &&
	feature_i=0 feature_when=$4 &&
	mkdir -p "overlays/dev/$1" &&
	while test $feature_i -lt "$3"; do
		feature_i=$((feature_i + 1)) &&
		echo "$1: $feature_i" >"overlays/dev/$1/f$feature_i.yaml" &&
		git add "overlays/dev/$1" &&
		dated $feature_when git commit -q -m "feat: $1 part $feature_i" &&
		feature_when=$((feature_when + $5)) || return 1
	done &&
	REMOTE_USER=carol git push -q origin "feature/$1"
}

# merge_in NAME WHEN: merge feature/NAME into the current branch, --no-ff, dated WHEN
merge_in() {
	dated "$2" git merge -q --no-ff -m "Merge feature/$1" "feature/$1"
}

# evil_merge NAME WHEN PATH: merge feature/NAME, and change PATH inside the merge
evil_merge() {
	git merge -q --no-ff --no-commit "feature/$1" &&
	mkdir -p "$(dirname "$3")" &&
	echo "evil: $1" >"$3" &&
	git add "$3" &&
	dated "$2" git commit -q -m "Merge feature/$1"
}

# on_develop: the clone's develop at the server's
on_develop() {
	git fetch -q origin &&
	git checkout -q -B develop origin/develop
}

test_expect_success 'setup' '
	pc_setup_server pattern2
'

test_expect_success 'features forked from one old point, dated 1973 and 2096, merged in turn: accepted' '
	(
		cd work &&
		old=$(git rev-parse origin/develop) &&
		feature o1 $old 3 $PAST 86400 &&
		feature o2 $old 2 $FUTURE -86400 &&
		feature o3 $old 4 $PAST 1 &&
		feature o4 $old 1 $FUTURE 1 &&
		feature o5 $old 2 1700000000 -3600 &&
		on_develop &&
		merge_in o1 $FUTURE &&
		merge_in o2 $PAST &&
		merge_in o3 $((FUTURE + 100)) &&
		merge_in o4 $((PAST - 100)) &&
		merge_in o5 1700000000 &&
		test "$(git rev-list --merges --count origin/develop..develop)" = 5 &&
		pc_push accept alice origin develop
	)
'

test_expect_success 'an evil merge among merges of old forks with forged dates is rejected, with its path' '
	(
		cd work &&
		old=$(git rev-parse origin/develop) &&
		feature e1 $old 2 $FUTURE 1 &&
		feature e2 $old 2 $PAST 1 &&
		feature e3 $old 2 $FUTURE -1 &&
		on_develop &&
		merge_in e1 $PAST &&
		evil_merge e2 $FUTURE overlays/prd/sneaky.yaml &&
		merge_in e3 $((PAST + 1)) &&
		pc_push reject alice origin develop
	) &&
	grep "promotion: merge commit [0-9a-f]* \"Merge feature/e2\" is not a clean merge of its parents: overlays/prd/sneaky.yaml differs from the automatic merge" err &&
	! grep "Merge feature/e[13]" err
'

test_expect_success 'an evil merge that changes a path its own feature changed is rejected' '
	(
		cd work &&
		on_develop &&
		merge_in e1 $PAST &&
		evil_merge e2 $FUTURE overlays/dev/e2/f1.yaml &&
		pc_push reject alice origin develop
	) &&
	grep "promotion: merge commit [0-9a-f]* \"Merge feature/e2\" is not a clean merge of its parents: overlays/dev/e2/f1.yaml differs from the automatic merge" err
'

test_expect_success 'the old forks without the evil merge are accepted, and promoted to staging --no-ff' '
	(
		cd work &&
		on_develop &&
		merge_in e1 $PAST &&
		merge_in e2 $FUTURE &&
		merge_in e3 $((PAST + 1)) &&
		pc_push accept alice origin develop &&
		git fetch -q origin &&
		git checkout -q -B staging origin/staging &&
		dated $PAST git merge -q --no-ff -m "Merge develop into staging" origin/develop &&
		test "$(git rev-list --merges --count origin/staging..staging)" = 9 &&
		pc_push accept alice origin staging
	)
'

test_expect_success 'a second parent forked from another feature, not from develop: accepted when clean' '
	(
		cd work &&
		old=$(git rev-parse origin/develop) &&
		feature base1 $old 2 $FUTURE 1 &&
		feature child1 feature/base1 2 $PAST 1 &&
		feature o6 $old 1 $PAST 1 &&
		on_develop &&
		merge_in o6 $FUTURE &&
		merge_in child1 $PAST &&
		pc_push accept alice origin develop
	)
'

test_expect_success 'a second parent forked below what the push brings: evil rejected, clean accepted' '
	(
		cd work &&
		low=$(git rev-parse origin/develop~2) &&
		feature low1 $low 2 $PAST -1 &&
		feature o7 origin/develop 1 $FUTURE 1 &&
		on_develop &&
		merge_in o7 $PAST &&
		evil_merge low1 $FUTURE overlays/stg/low.yaml &&
		pc_push reject alice origin develop &&
		grep "promotion: merge commit [0-9a-f]* \"Merge feature/low1\" is not a clean merge of its parents: overlays/stg/low.yaml differs" ../err &&
		on_develop &&
		merge_in o7 $PAST &&
		merge_in low1 $FUTURE &&
		pc_push accept alice origin develop
	)
'

test_expect_success 'criss-cross merges with two merge bases: clean accepted, evil rejected' '
	(
		cd work &&
		old=$(git rev-parse origin/develop) &&
		feature cc $old 1 $FUTURE 1 &&
		feature d1 $old 1 $PAST 1 &&
		on_develop &&
		merge_in d1 $FUTURE &&
		d1=$(git rev-parse HEAD) &&
		merge_in cc $PAST &&
		git checkout -q feature/cc &&
		dated $((FUTURE + 5)) git merge -q --no-ff -m "Merge develop into feature/cc" $d1 &&
		echo "cc: 2" >overlays/dev/cc/f2.yaml && git add overlays/dev/cc &&
		dated $PAST git commit -q -m "feat: cc part 2" &&
		REMOTE_USER=carol git push -q origin feature/cc &&
		git checkout -q develop &&
		merge_in cc $((PAST - 5)) &&
		test "$(git merge-base --all HEAD^1 HEAD^2 | wc -l)" = 2 &&
		git tag criss-cross &&
		git reset -q --hard HEAD^1 &&
		evil_merge cc $FUTURE overlays/prd/cc.yaml &&
		test "$(git merge-base --all HEAD^1 HEAD^2 | wc -l)" = 2 &&
		pc_push reject alice origin develop &&
		grep "promotion: merge commit [0-9a-f]* \"Merge feature/cc\" is not a clean merge of its parents: overlays/prd/cc.yaml differs" ../err &&
		git reset -q --hard criss-cross &&
		pc_push accept alice origin develop
	)
'

test_expect_success 'staging takes all of it by fast-forward, and main after it' '
	(
		cd work &&
		git fetch -q origin &&
		git checkout -q -B staging origin/staging &&
		{ git merge -q --ff-only origin/develop 2>/dev/null ||
		  dated $FUTURE git merge -q --no-ff -m "Merge develop into staging" origin/develop; } &&
		pc_push accept alice origin staging &&
		git fetch -q origin &&
		git checkout -q -B main origin/main &&
		git merge -q --ff-only origin/staging &&
		pc_push accept alice origin main
	) &&
	pc_audit_verify
'

test_done
