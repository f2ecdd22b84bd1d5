#!/bin/sh
test_description='deny_paths and max_blob_size over many commits: a tree read once per path, never a check skipped'
. "$(dirname "$0")/test-lib.sh"

# The commits of a push are walked newest first; a subtree that a commit
# brings whole (no parent has a directory there) is remembered with its
# path, and the same tree at the same path is not walked again.  These
# cases are the ones where remembering a tree by its id alone, or a tree
# that was only partly checked, would let a file through.

test_expect_success 'setup' '
	cat >policy.extra <<-\EOF &&
	rules:
	  deny_paths: ["(^|/)\\.env$", "^secrets/"]
	  max_blob_size: 1KiB
	EOF
	pc_setup_server pattern2 &&
	(cd work && git checkout -q -b feature/seen origin/develop)
'

# same_tree A B: the trees at paths A and B of HEAD are one object.
same_tree() {
	test "$(git rev-parse "HEAD:$1")" = "$(git rev-parse "HEAD:$2")"
}

test_expect_success 'a tree under an allowed path, then the same tree under a denied path: rejected' '
	(
		cd work && git checkout -q -B feature/seen1 origin/develop &&
		pc_commit docs/cfg/a.txt "token" "feat: docs" &&
		mkdir -p secrets && cp -r docs/cfg secrets/cfg && git add secrets &&
		git commit -q -m "feat: the same files under secrets" &&
		same_tree docs/cfg secrets/cfg &&
		pc_push reject carol origin feature/seen1
	) &&
	grep "rules: commit [0-9a-f]* \"feat: the same files under secrets\" adds secrets/cfg/a.txt, which matches rules.deny_paths" err &&
	! grep "adds docs/cfg/a.txt" err
'

test_expect_success 'the same tree under the denied path first, then under an allowed path: rejected' '
	(
		cd work && git checkout -q -B feature/seen2 origin/develop &&
		pc_commit secrets/cfg/a.txt "token" "feat: secrets first" &&
		mkdir -p docs && cp -r secrets/cfg docs/cfg && git add docs &&
		git commit -q -m "feat: the same files under docs" &&
		same_tree docs/cfg secrets/cfg &&
		pc_push reject carol origin feature/seen2
	) &&
	grep "rules: commit [0-9a-f]* \"feat: secrets first\" adds secrets/cfg/a.txt, which matches rules.deny_paths" err &&
	! grep "adds docs/cfg/a.txt" err
'

test_expect_success 'a directory of allowed files brought twice at one path: accepted' '
	(
		cd work && git checkout -q -B feature/seen3 origin/develop &&
		pc_commit lib/x/a.txt "a" "feat: lib" &&
		git rm -q -r lib && git commit -q -m "refactor: drop lib" &&
		pc_commit lib/x/a.txt "a" "feat: lib again" &&
		pc_push accept carol origin feature/seen3
	)
'

test_expect_success 'a denied directory brought twice at one path: rejected, once per tree and path' '
	(
		cd work && git checkout -q -B feature/seen4 origin/develop &&
		pc_commit conf/app/.env "X=1" "feat: env" &&
		git rm -q -r conf && git commit -q -m "fix: drop env" &&
		pc_commit conf/app/.env "X=1" "feat: env again" &&
		pc_push reject carol origin feature/seen4
	) &&
	grep "rules: commit [0-9a-f]* \"feat: env again\" adds conf/app/.env, which matches rules.deny_paths" err &&
	test "$(grep -c "adds conf/app/.env" err)" = 1
'

# A big blob already on the server (pushed when the limit was higher)
# sits in lib/.  N4 restores lib/ to a tree the push also brings in N2;
# N4 checks only what its parent lacks (not big.bin), N2 must check
# big.bin (its parent N1 had deleted it).  Walked newest first, N4 comes
# before N2: a shortcut on N4's partly checked lib/ would let N2 through.
test_expect_success 'setup: a big blob on the server from before the limit' '
	cp policy.yml policy.strict &&
	sed -i "/max_blob_size/d" policy.yml &&
	(
		cd work && git checkout -q -B feature/big origin/develop &&
		mkdir -p lib && head -c 2048 /dev/zero | tr "\0" x >lib/big.bin &&
		echo 1 >lib/x.txt && git add lib && git commit -q -m "feat: big lib" &&
		pc_push accept carol origin feature/big
	) &&
	cp policy.strict policy.yml
'

test_expect_success 'a big blob reached again only through a tree the push walked already: rejected' '
	(
		cd work &&
		git rm -q lib/big.bin && git commit -q -m "chore: N1 drop big" &&
		git checkout -q HEAD~1 -- lib/big.bin && git commit -q -m "feat: N2 big again" &&
		n2=$(git rev-parse HEAD:lib) &&
		echo 2 >lib/x.txt && git commit -q -a -m "feat: N3 edit x" &&
		echo 1 >lib/x.txt && git commit -q -a -m "revert: N4 x back" &&
		test "$(git rev-parse HEAD:lib)" = "$n2" &&
		pc_push reject carol origin feature/big
	) &&
	grep "rules: commit [0-9a-f]* \"feat: N2 big again\" adds lib/big.bin of 2048 bytes, over rules.max_blob_size (1024 bytes)" err &&
	test "$(grep -c "over rules.max_blob_size" err)" = 1
'

test_expect_success 'the same with a denied file on the server from before the rule' '
	sed -i "/deny_paths/d" policy.yml &&
	(
		cd work && git checkout -q -B feature/env origin/develop &&
		pc_commit app/.env "X=1" "feat: env before the rule" &&
		echo 1 >app/x.txt && git add app && git commit -q -m "feat: x" &&
		pc_push accept carol origin feature/env
	) &&
	cp policy.strict policy.yml &&
	(
		cd work &&
		git rm -q app/.env && git commit -q -m "chore: N1 drop env" &&
		git checkout -q HEAD~1 -- app/.env && git commit -q -m "feat: N2 env again" &&
		echo 2 >app/x.txt && git commit -q -a -m "feat: N3 edit x" &&
		echo 1 >app/x.txt && git commit -q -a -m "revert: N4 x back" &&
		pc_push reject carol origin feature/env
	) &&
	grep "rules: commit [0-9a-f]* \"feat: N2 env again\" adds app/.env, which matches rules.deny_paths" err
'

test_done
