#!/bin/sh
test_description='push rules judge every file a push stores: evil merges on work branches, tags of trees and blobs'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup' '
	cat >policy.extra <<-\EOF &&
	tags: { pattern: "v*", create: [sre] }
	rules:
	  deny_paths: ["(^|/)\\.env$", "\\.pem$"]
	  max_blob_size: 1KiB
	EOF
	pc_setup_server pattern2
'

# evil_merge N FILE CONTENT: on feature/eN, a merge of feature/eN-side that
# adds FILE of its own (git merge --no-commit, add, commit); pushed by carol
# and rejected (pc_push).
evil_merge() {
	git checkout -q -b "feature/e$1" origin/develop &&
	pc_commit "overlays/dev/e$1.yaml" "e: $1" "feat: e$1" &&
	git checkout -q -b "feature/e$1-side" origin/develop &&
	pc_commit "overlays/dev/e$1-side.yaml" "s: $1" "feat: e$1 side" &&
	git checkout -q "feature/e$1" &&
	git merge -q --no-ff --no-commit "feature/e$1-side" &&
	mkdir -p "$(dirname "$2")" &&
	printf "%s\n" "$3" >"$2" &&
	git add "$2" &&
	git commit -q -m "Merge feature/e$1-side" &&
	pc_push reject carol origin "feature/e$1"
}

big=$(printf "%02048d" 0)
for n in 1 2 3; do
	case $n in
	1) file=secret.pem content=PRIVATE why=", which matches rules.deny_paths '..pem.'" ;;
	2) file=config/.env content=SECRET=1 why=", which matches rules.deny_paths" ;;
	3) file=big.bin content=$big why=" of 2049 bytes, over rules.max_blob_size (1024 bytes)" ;;
	esac
	test_expect_success "an evil merge on a work branch that adds $file is rejected" "
		(cd work && evil_merge $n $file $content) &&
		grep \"rules: commit [0-9a-f]* .Merge feature/e$n-side. adds $file$why\" err
	"
done

test_expect_success 'a clean merge that merges the content of one file is accepted' '
	(
		cd work &&
		git checkout -q -b feature/c1 origin/develop &&
		printf "a\nb\nc\nd\ne\nf\n" >base/list.txt && git add base/list.txt &&
		git commit -q -m "feat: list" && REMOTE_USER=carol git push -q origin feature/c1 &&
		git checkout -q -b feature/c2 feature/c1 &&
		sed -i "s/^a$/A/" base/list.txt && git commit -q -am "feat: upper a" &&
		git checkout -q feature/c1 &&
		sed -i "s/^f$/F/" base/list.txt && git commit -q -am "feat: upper f" &&
		git merge -q --no-ff -m "Merge feature/c2" feature/c2 &&
		test "$(git show HEAD:base/list.txt | tr -d "\n")" = "AbcdeF" &&
		pc_push accept carol origin feature/c1
	)
'

test_expect_success 'a merge that keeps a file one parent already has is accepted' '
	(
		cd work &&
		git checkout -q -b feature/k1 origin/develop &&
		pc_commit overlays/dev/k1.yaml "k: 1" "feat: k1" &&
		git checkout -q -b feature/k2 origin/develop &&
		pc_commit overlays/dev/k2.yaml "k: 2" "feat: k2" &&
		git merge -q --no-ff -m "Merge feature/k1" feature/k1 &&
		pc_push accept carol origin feature/k2
	)
'

test_expect_success 'an annotated tag of a tree that holds a denied path is rejected' '
	(
		cd work &&
		blob=$(echo PRIVATE | git hash-object -w --stdin) &&
		tree=$(printf "100644 blob %s\tid.pem\n" "$blob" | git mktree) &&
		sub=$(printf "040000 tree %s\tkeys\n" "$tree" | git mktree) &&
		git tag -a -m "a tree" v1-tree "$sub" &&
		pc_push reject alice origin v1-tree
	) &&
	grep "rules: tree [0-9a-f]* adds keys/id.pem, which matches rules.deny_paths" err
'

test_expect_success 'a tag of a blob over max_blob_size is rejected' '
	(
		cd work &&
		blob=$(printf "%04096d" 0 | git hash-object -w --stdin) &&
		git tag v1-blob "$blob" &&
		pc_push reject alice origin v1-blob
	) &&
	grep "rules: refs/tags/v1-blob points at blob [0-9a-f]* of 4096 bytes, over rules.max_blob_size (1024 bytes)" err
'

test_expect_success 'a tag of a small clean tree is accepted' '
	(
		cd work &&
		blob=$(echo hello | git hash-object -w --stdin) &&
		tree=$(printf "100644 blob %s\treadme.txt\n" "$blob" | git mktree) &&
		git tag -a -m "a tree" v2-tree "$tree" &&
		pc_push accept alice origin v2-tree
	)
'

test_expect_success 'the audit log of all of this verifies' '
	pc_audit_verify
'

test_done
