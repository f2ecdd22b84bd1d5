#!/bin/sh
test_description='install keeps a repository'"'"'s own pre-receive and update hooks in hooks/NAME.d/ and runs them after its own verdict'
. "$(dirname "$0")/test-lib.sh"

# A repository that has hooks of its own before policy-check comes: a
# size check in pre-receive (no blob over 1000 bytes, read from the pushed
# objects in git's quarantine), which also notes every line it gets, and a
# per-ref check in update.  install keeps them in hooks/NAME.d/; they run
# once policy-check has accepted, and their verdict counts.  When they
# reject, git applies nothing and the audit log says so: the records of
# that push are rejections naming the hook, never accepts.

Z=0000000000000000000000000000000000000000

write_size_check() {
	cat >"$1" <<-EOF
	#!/bin/sh
	# size check: no blob over 1000 bytes
	while read old new ref; do
		echo "\$old \$new \$ref \${GIT_PUSH_OPTION_COUNT:-0}" >>"$PWD/size-check.log"
		test "\$new" = $Z && continue
		git rev-list --objects "\$new" --not --all |
		cut -d" " -f1 |
		git cat-file --batch-check="%(objecttype) %(objectsize) %(objectname)" |
		while read type size id; do
			if test "\$type" = blob && test "\$size" -gt 1000; then
				echo "size-check: \$ref: blob \$id is \$size bytes, over 1000" >&2
				exit 1
			fi
		done || exit 1
	done
	exit 0
	EOF
	chmod 755 "$1"
}

# The records a pre-receive hook wrote for ref $1.
records_for() {
	grep "\"hook\":\"pre-receive\".*\"ref\":\"$1\"" audit/audit.log
}

test_expect_success 'setup: a bare repository with its own pre-receive hook' '
	pc_key alice && pc_key bob && pc_key carol &&
	mkdir -p audit && chmod 700 audit &&
	policy-check audit keygen --origin test.example/policy-check audit/audit >/dev/null &&
	pc_write_policy pattern2 >policy.yml &&
	git init -q --bare server.git &&
	write_size_check server.git/hooks/pre-receive &&
	cp server.git/hooks/pre-receive size-check.orig
'

test_expect_success 'install keeps it as hooks/pre-receive.d/pre-receive, unchanged, and says so' '
	policy-check install --policy policy.yml server.git >out &&
	grep "^kept server.git/hooks/pre-receive as server.git/hooks/pre-receive.d/pre-receive: it runs after policy-check.s pre-receive\$" out &&
	grep "installed by policy-check" server.git/hooks/pre-receive &&
	test_cmp size-check.orig server.git/hooks/pre-receive.d/pre-receive &&
	test -x server.git/hooks/pre-receive.d/pre-receive
'

test_expect_success 'installing again changes nothing: the kept hook stays where it is' '
	policy-check install --policy policy.yml server.git >out &&
	! grep "^kept" out &&
	test_cmp size-check.orig server.git/hooks/pre-receive.d/pre-receive &&
	ls server.git/hooks/pre-receive.d >list &&
	echo pre-receive >expect &&
	test_cmp expect list
'

test_expect_success 'setup: alice creates the branches; both hooks accept' '
	git init -q work &&
	(
		cd work &&
		mkdir -p overlays/dev overlays/prd &&
		echo "kind: Deployment" >overlays/dev/app.yaml &&
		printf "* @alice @bob @carol\n" >CODEOWNERS &&
		git add . && git commit -q -m "chore: initial layout" &&
		git remote add origin ../server.git &&
		pc_push accept alice origin HEAD:refs/heads/main HEAD:refs/heads/develop HEAD:refs/heads/staging &&
		git fetch -q origin
	) &&
	test "$(wc -l <size-check.log)" = 3
'

test_expect_success 'a small change: accepted by policy-check, then by the size check, which read the same lines' '
	(
		cd work &&
		git checkout -q -b feature/small origin/develop &&
		pc_commit overlays/dev/small.yaml "small: 1" &&
		pc_push accept carol origin feature/small
	) &&
	echo "$Z $(git -C work rev-parse feature/small) refs/heads/feature/small 0" >expect &&
	tail -n 1 size-check.log >actual &&
	test_cmp expect actual &&
	records_for refs/heads/feature/small | grep "\"decision\":\"accept\"" &&
	test "$(git -C server.git rev-parse feature/small)" = "$(git -C work rev-parse feature/small)"
'

test_expect_success 'a large file: policy-check has no objection, the size check rejects, the push is rejected' '
	(
		cd work &&
		git checkout -q -b feature/big origin/develop &&
		awk "BEGIN { for (i = 0; i < 200; i++) print \"line \" i \" of a large file\" }" >overlays/dev/big.yaml &&
		git add overlays/dev/big.yaml && git commit -q -m "feat: a big file" &&
		pc_push reject carol origin feature/big
	) &&
	grep "^remote: size-check: refs/heads/feature/big: blob [0-9a-f]* is [0-9]* bytes, over 1000" err &&
	grep "^remote: policy-check: rejected refs/heads/feature/big" err &&
	grep "^remote:   hook: hooks/pre-receive.d/pre-receive exited with status 1: the repository.s own pre-receive hook rejected the push" err &&
	grep "^remote:     hint: its own output above says why; policy-check itself accepted this update" err &&
	test_must_fail git -C server.git rev-parse --verify -q refs/heads/feature/big
'

test_expect_success 'the log records the push as rejected by that hook, and no accept for it' '
	records_for refs/heads/feature/big >recs &&
	test "$(wc -l <recs)" = 1 &&
	grep "\"decision\":\"reject\",.*\"reasons\":\[{\"rule\":\"hook\",\"message\":\"hooks/pre-receive.d/pre-receive exited with status 1: the repository.s own pre-receive hook rejected the push\"}\]" recs &&
	! grep "feature/big.*\"decision\":\"\(accept\|committed\)\"" audit/audit.log &&
	policy-check audit reconcile --repo server.git audit/audit.log >out 2>&1 ||
		{ cat out; false; }
'

test_expect_success 'a break-glass push is still subject to the repository'"'"'s own hook' '
	(
		cd work &&
		git checkout -q -b big-to-main origin/main &&
		git show feature/big:overlays/dev/big.yaml >overlays/prd/big.yaml &&
		git add overlays/prd/big.yaml && git commit -q -m "fix: big prd file" &&
		pc_push reject alice -o "break-glass=INC-1 prd down" origin HEAD:main
	) &&
	grep "^remote: size-check: refs/heads/main: blob" err &&
	grep "^remote:   hook: hooks/pre-receive.d/pre-receive exited with status 1" err &&
	records_for refs/heads/main | tail -n 1 | grep "\"decision\":\"reject\".*\"break_glass\":\"INC-1 prd down\"" &&
	tail -n 1 size-check.log | grep " refs/heads/main 1\$"
'

test_expect_success 'when policy-check rejects, the repository'"'"'s own hook is not run' '
	wc -l <size-check.log >before &&
	(
		cd work &&
		git checkout -q -b direct origin/main &&
		pc_commit overlays/prd/p.yaml "p: 1" "fix: straight to prd" &&
		pc_push reject carol origin HEAD:main
	) &&
	grep "remote:   promotion: commit [0-9a-f]* \"fix: straight to prd\" is not on staging" err &&
	! grep "hook: hooks/pre-receive.d" err &&
	wc -l <size-check.log >after &&
	test_cmp before after
'

test_expect_success 'every file of pre-receive.d runs, in name order; dot files and backups are skipped' '
	printf "#!/bin/sh\necho first >>\"%s/order.log\"\n" "$PWD" >server.git/hooks/pre-receive.d/00-first &&
	printf "#!/bin/sh\necho backup >>\"%s/order.log\"\nexit 1\n" "$PWD" >server.git/hooks/pre-receive.d/00-first~ &&
	printf "#!/bin/sh\necho dot >>\"%s/order.log\"\nexit 1\n" "$PWD" >server.git/hooks/pre-receive.d/.hidden &&
	printf "#!/bin/sh\necho not executable >>\"%s/order.log\"\nexit 1\n" "$PWD" >server.git/hooks/pre-receive.d/50-off &&
	printf "#!/bin/sh\ncat >/dev/null\necho last >>\"%s/order.log\"\n" "$PWD" >server.git/hooks/pre-receive.d/zz-last &&
	chmod 755 server.git/hooks/pre-receive.d/00-first server.git/hooks/pre-receive.d/00-first~ \
		server.git/hooks/pre-receive.d/.hidden server.git/hooks/pre-receive.d/zz-last &&
	(
		cd work &&
		git checkout -q -b feature/order origin/develop &&
		pc_commit overlays/dev/order.yaml "order: 1" &&
		pc_push accept carol origin feature/order
	) &&
	printf "first\nlast\n" >expect &&
	test_cmp expect order.log
'

test_expect_success 'the update hook: a per-ref check of its own is kept in update.d and rejects one ref' '
	cat >server.git/hooks/update <<-\EOF &&
	#!/bin/sh
	case $1 in refs/heads/feature/frozen-*) echo "freeze: $1 is frozen" >&2; exit 1 ;; esac
	exit 0
	EOF
	chmod 755 server.git/hooks/update &&
	policy-check install --hook update server.git >out &&
	grep "^kept .*hooks/update as .*hooks/update.d/update" out &&
	(
		cd work &&
		git checkout -q -b feature/frozen-1 origin/develop &&
		pc_commit overlays/dev/f.yaml "f: 1" &&
		git checkout -q -b feature/free origin/develop &&
		pc_commit overlays/dev/g.yaml "g: 1" &&
		test_must_fail env REMOTE_USER=carol git push origin feature/frozen-1 feature/free 2>../err
	) &&
	grep "^remote: freeze: refs/heads/feature/frozen-1 is frozen" err &&
	grep "^remote: policy-check: rejected refs/heads/feature/frozen-1" err &&
	grep "^remote:   hook: hooks/update.d/update exited with status 1: the repository.s own update hook rejected the push" err &&
	test_must_fail git -C server.git rev-parse --verify -q refs/heads/feature/frozen-1 &&
	git -C server.git rev-parse --verify refs/heads/feature/free &&
	grep "\"hook\":\"update\".*\"ref\":\"refs/heads/feature/frozen-1\".*\"decision\":\"reject\".*\"rule\":\"hook\"" audit/audit.log &&
	grep "\"hook\":\"update\".*\"ref\":\"refs/heads/feature/free\".*\"decision\":\"accept\"" audit/audit.log &&
	policy-check audit reconcile --repo server.git audit/audit.log
'

test_expect_success 'install refuses what it cannot keep safely: a hook that runs pre-receive.d itself, a symbolic link' '
	git init -q --bare gitea.git &&
	cat >gitea.git/hooks/pre-receive <<-\EOF &&
	#!/usr/bin/env bash
	# AUTO GENERATED BY GITEA, DO NOT MODIFY
	data=$(cat)
	for hook in ${GIT_DIR}/hooks/pre-receive.d/*; do
		echo "${data}" | "${hook}" || exit 1
	done
	EOF
	chmod 755 gitea.git/hooks/pre-receive &&
	cp gitea.git/hooks/pre-receive gitea.orig &&
	test_expect_code 2 policy-check install --policy policy.yml gitea.git 2>err &&
	grep "gitea.git/hooks/pre-receive runs hooks/pre-receive.d/ itself" err &&
	test_cmp gitea.orig gitea.git/hooks/pre-receive &&
	! test -e gitea.git/hooks/pre-receive.d &&
	git init -q --bare linked.git &&
	ln -s "$PWD/size-check.orig" linked.git/hooks/pre-receive &&
	test_expect_code 2 policy-check install --policy policy.yml linked.git 2>err &&
	grep "linked.git/hooks/pre-receive is not a regular file" err &&
	test -h linked.git/hooks/pre-receive
'

test_expect_success 'install refuses to overwrite a kept hook of the same name' '
	git init -q --bare twice.git &&
	mkdir twice.git/hooks/pre-receive.d &&
	echo "#!/bin/sh" >twice.git/hooks/pre-receive.d/pre-receive &&
	write_size_check twice.git/hooks/pre-receive &&
	test_expect_code 2 policy-check install --policy policy.yml twice.git 2>err &&
	grep "twice.git/hooks/pre-receive.d/pre-receive exists too; move one of them away" err &&
	! grep "installed by policy-check" twice.git/hooks/pre-receive &&
	echo "#!/bin/sh" >expect &&
	test_cmp expect twice.git/hooks/pre-receive.d/pre-receive
'

test_expect_success 'the audit log verifies' '
	pc_audit_verify
'

test_done
