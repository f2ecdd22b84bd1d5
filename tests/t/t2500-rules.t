#!/bin/sh
test_description='push rules: commit messages, branch names, denied paths, blob size, signed commits, match limits'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup' '
	cat >policy.extra <<-\EOF &&
	rules:
	  commit_message: "^(feat|fix|docs|chore|refactor|revert)(\\([\\w./-]+\\))?!?: \\S"
	  work_branch_name: "^(feature|hotfix)/[a-z0-9._-]+$"
	  deny_paths: ["(^|/)\\.env$", "\\.pem$"]
	  max_blob_size: 1KiB
	EOF
	pc_setup_server pattern2 &&
	(cd work && git checkout -q -b feature/ok origin/develop)
'

test_expect_success 'a conventional commit message is accepted' '
	(cd work && pc_commit a.txt a "feat(app): add a" && pc_push accept carol origin feature/ok)
'

test_expect_success 'a commit message that does not match is rejected with the rule' '
	(cd work && pc_commit b.txt b "added stuff" && pc_push reject carol origin feature/ok) &&
	grep "rules: commit [0-9a-f]* \"added stuff\": message does not match rules.commit_message" err &&
	grep "hint: reword it" err
'

test_expect_success 'a branch name that does not match is rejected' '
	(cd work && git reset -q --hard HEAD~1 && git checkout -q -b feature/Bad_Name &&
	 pc_push reject carol origin feature/Bad_Name) &&
	grep "rules: branch name feature/Bad_Name does not match rules.work_branch_name" err
'

test_expect_success 'a denied path is rejected even when a later commit removes it' '
	(
		cd work && git checkout -q feature/ok &&
		pc_commit config/.env "SECRET=1" "feat: config" &&
		git rm -q config/.env && git commit -q -m "fix: remove env" &&
		pc_push reject carol origin feature/ok
	) &&
	grep "rules: commit [0-9a-f]* \"feat: config\" adds config/.env, which matches rules.deny_paths" err
'

test_expect_success 'a commit sent under an approval ref meets the rules there, and when a branch brings it' '
	(
		cd work && git reset -q --hard origin/feature/ok &&
		pc_commit keys/server.pem "PRIVATE" "feat: add cert" &&
		git -c gpg.format=ssh -c user.signingkey=../keys/bob tag -s -m "policy-check approval v1" \
			-m "target: refs/heads/feature/ok" smuggle HEAD &&
		pc_push reject bob origin "smuggle:refs/approvals/$(git rev-parse HEAD)/bob" &&
		grep "rules: commit [0-9a-f]* \"feat: add cert\" adds keys/server.pem, which matches rules.deny_paths" ../err &&
		pc_push reject carol origin feature/ok
	) &&
	grep "rules: commit [0-9a-f]* \"feat: add cert\" adds keys/server.pem, which matches rules.deny_paths" err
'

test_expect_success 'an annotated tag that brings new commits is held to the rules too' '
	(
		cd work && git reset -q --hard origin/feature/ok &&
		pc_commit d.txt d "no convention here" &&
		git tag -a -m "tag" sneaky-tag &&
		pc_push reject alice origin sneaky-tag
	) &&
	grep "rules: commit [0-9a-f]* \"no convention here\": message does not match rules.commit_message" err
'

test_expect_success 'a blob over max_blob_size is rejected' '
	(
		cd work && git reset -q --hard origin/feature/ok &&
		head -c 2048 /dev/zero | tr "\0" x >big.txt && git add big.txt && git commit -q -m "feat: big" &&
		pc_push reject carol origin feature/ok
	) &&
	grep "rules: commit [0-9a-f]* \"feat: big\" adds big.txt of 2048 bytes, over rules.max_blob_size (1024 bytes)" err
'

test_expect_success 'a pathological regex hits the match limit and rejects, quickly' '
	cp policy.yml policy.good &&
	sed -i "s/^  commit_message: .*/  commit_message: \"^(a+)+\$\"/" policy.yml &&
	(
		cd work && git reset -q --hard origin/feature/ok &&
		printf "%s!" "$(head -c 5000 /dev/zero | tr "\0" a)" >msg &&
		echo c >c.txt && git add c.txt && git commit -q -F msg &&
		pc_push reject carol origin feature/ok
	) &&
	grep "rules: rules.commit_message hit the regex match limit" err &&
	cp policy.good policy.yml
'

test_expect_success 'signed_commits: unsigned commits are rejected, SSH-signed ones by a user key accepted' '
	sed -i "s/^  max_blob_size: 1KiB/  max_blob_size: 1KiB\n  signed_commits: true/" policy.yml &&
	(
		cd work && git reset -q --hard origin/feature/ok &&
		pc_commit s.txt s "feat: unsigned" &&
		pc_push reject carol origin feature/ok &&
		grep "rules: commit [0-9a-f]* \"feat: unsigned\" is not signed (rules.signed_commits)" ../err &&
		git reset -q --hard origin/feature/ok &&
		echo s >s.txt && git add s.txt &&
		git -c gpg.format=ssh -c user.signingkey="$PWD/../keys/carol" commit -q -S -m "feat: signed" &&
		pc_push accept carol origin feature/ok
	)
'

test_expect_success 'signed_commits: a signature by a key of no user is rejected' '
	pc_key mallory &&
	(
		cd work &&
		echo m >m.txt && git add m.txt &&
		git -c gpg.format=ssh -c user.signingkey="$PWD/../keys/mallory" commit -q -S -m "feat: by mallory" &&
		pc_push reject carol origin feature/ok
	) &&
	grep "rules: commit [0-9a-f]* \"feat: by mallory\" is signed by SHA256:[A-Za-z0-9+/]*, a key of no user of the policy" err
'

test_done
