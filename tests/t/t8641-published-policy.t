#!/bin/sh
test_description='install publishes the policy at refs/meta/policy-check; the hooks keep it current and refuse pushes to it; check reads it'
. "$(dirname "$0")/test-lib.sh"

RAW="$PC_BUILD_DIR/tests/helpers/pc-raw-push"
ZERO=0000000000000000000000000000000000000000

# published FILE: the blob FILE of the server's refs/meta/policy-check, on stdout.
published() {
	git -C server.git cat-file blob "refs/meta/policy-check:$1"
}

test_expect_success 'setup: a server whose policy names an allowed_signers file' '
	test -x "$RAW" &&
	pc_key carol2 && pc_key dave &&
	printf "carol@example.com %s\n" "$(cat keys/carol2.pub)" >allowed_signers &&
	PC_ALLOWED_SIGNERS=allowed_signers pc_setup_server pattern2 &&
	grep "^allowed_signers: allowed_signers" policy.yml
'

test_expect_success 'install published the policy and allowed_signers, byte for byte' '
	git -C server.git cat-file -t refs/meta/policy-check >type &&
	echo commit >expect && test_cmp expect type &&
	git -C server.git ls-tree --name-only refs/meta/policy-check >names &&
	printf "allowed_signers\npolicy.yml\n" >expect && test_cmp expect names &&
	published policy.yml >pub.yml && test_cmp policy.yml pub.yml &&
	published allowed_signers >pub.signers && test_cmp allowed_signers pub.signers &&
	git -C server.git log -1 --format=%B refs/meta/policy-check >msg &&
	grep "^policy: sha256:$(sha256sum policy.yml | cut -d" " -f1)$" msg &&
	policy-check install --policy policy.yml server.git >out &&
	grep "^published .*policy.yml at refs/meta/policy-check of server.git$" out
'

test_expect_success 'the audit key is in no object the ref reaches' '
	git -C server.git rev-list --objects refs/meta/policy-check | cut -d" " -f1 >objs &&
	test $(wc -l <objs) -eq 4 &&
	sed -n 2p audit/audit.key >secret && test -s secret &&
	for o in $(cat objs); do
		git -C server.git cat-file -p $o >obj &&
		! grep -F -f secret obj && ! grep "PRIVATE KEY" obj || return 1
	done &&
	! git -C server.git ls-tree -r --name-only refs/meta/policy-check | grep -i key
'

test_expect_success 'a push with an unchanged policy leaves the ref as it is' '
	git -C server.git rev-parse refs/meta/policy-check >before &&
	(cd work && git switch -q -c feature/a origin/develop &&
		pc_commit overlays/dev/a.yaml "a: 1" "feat: a" && pc_push accept carol origin feature/a) &&
	git -C server.git rev-parse refs/meta/policy-check >after &&
	test_cmp before after
'

test_expect_success 'the policy file changes: the next push publishes it, on top of the last' '
	printf "rules:\n  commit_message: \"^(feat|fix|chore): \"\n" >>policy.yml &&
	policy-check lint --policy policy.yml >/dev/null &&
	(cd work && pc_commit overlays/dev/b.yaml "b: 1" "feat: b" && pc_push accept carol origin feature/a) &&
	published policy.yml >pub.yml && test_cmp policy.yml pub.yml &&
	git -C server.git rev-parse refs/meta/policy-check^ >parent &&
	test_cmp before parent
'

test_expect_success 'a push to refs/meta/ is rejected for everyone, admins with break-glass too' '
	(
		cd work &&
		git commit -q --allow-empty -m "chore: my policy" &&
		pc_push reject carol origin HEAD:refs/meta/policy-check &&
		grep "protect: refs/meta/policy-check is kept by the server (it publishes the policy there); nobody pushes to refs/meta/" ../err &&
		grep "hint: refs/meta/policy-check follows the server.s policy file: change that, on the server" ../err &&
		pc_push reject alice origin -o "break-glass=INC-1 fix the policy" HEAD:refs/meta/policy-check &&
		pc_push reject alice origin +HEAD:refs/meta/config &&
		pc_push reject alice origin :refs/meta/policy-check
	) &&
	git -C server.git rev-parse refs/meta/policy-check >now &&
	git -C server.git rev-parse --verify -q refs/meta/config >/dev/null && false || true &&
	published policy.yml >pub.yml && test_cmp policy.yml pub.yml
'

test_expect_success 'the raw client cannot move or delete it either, nor with dry-run' '
	M=$(git -C server.git rev-parse refs/meta/policy-check) &&
	C=$(git -C work rev-parse HEAD) &&
	echo "$M $C refs/meta/policy-check" |
		test_expect_code 1 env REMOTE_USER=alice "$RAW" -C work --rev $C --rev ^origin/develop server.git >out 2>err &&
	grep "^ng refs/meta/policy-check pre-receive hook declined" out &&
	echo "$M $ZERO refs/meta/policy-check" |
		test_expect_code 1 env REMOTE_USER=alice "$RAW" server.git >out 2>err &&
	grep "^ng refs/meta/policy-check pre-receive hook declined" out &&
	cp policy.yml policy.enforce &&
	echo "enforcement: dry-run" >>policy.yml &&
	echo "$M $ZERO refs/meta/policy-check" |
		test_expect_code 1 env REMOTE_USER=alice "$RAW" server.git >out 2>err &&
	grep "^ng refs/meta/policy-check pre-receive hook declined" out &&
	cp policy.enforce policy.yml &&
	git -C server.git cat-file -e refs/meta/policy-check
'

test_expect_success 'a ref that cannot be updated is a warning: the push is accepted' '
	(cd work && git switch -q feature/a) &&
	echo "# a comment" >>policy.yml &&
	>server.git/refs/meta/policy-check.lock &&
	(cd work && pc_commit overlays/dev/c.yaml "c: 1" "feat: c" && pc_push accept carol origin feature/a) &&
	grep "policy-check: warning: cannot publish the policy at refs/meta/policy-check (.*); clones still see the previous one there: tell an administrator" err &&
	rm server.git/refs/meta/policy-check.lock &&
	(cd work && pc_commit overlays/dev/d.yaml "d: 1" "feat: d" && pc_push accept carol origin feature/a) &&
	! grep warning err &&
	published policy.yml >pub.yml && test_cmp policy.yml pub.yml
'

test_expect_success 'audit reconcile does not take the published policy for an unexplained ref' '
	policy-check audit reconcile --repo server.git >out 2>&1 || true &&
	! grep "refs/meta/policy-check" out
'

test_expect_success 'check in a clone without --policy judges by the published policy' '
	git clone -q "file://$PWD/server.git" erin &&
	(
		cd erin &&
		git switch -q -c feature/e origin/develop &&
		echo x >e.txt && git add e.txt && git commit -q -m "e: not a conventional message" &&
		test_expect_code 1 policy-check check --as carol feature/e $ZERO HEAD >../check.out
	) &&
	grep "message does not match rules.commit_message" check.out &&
	! test -e erin/.git/policy-check.yml &&
	(cd erin && pc_push reject carol origin feature/e) &&
	sed -n "s/^remote: //p" err | grep -v "audit record" | sed "s/ *$//" >hook.out &&
	sed "s/ *$//" check.out >check.trim &&
	test_cmp check.trim hook.out
'

test_expect_success 'check uses the published allowed_signers' '
	sed -i "/^rules:/a\\  signed_commits: true" policy.yml &&
	policy-check lint --policy policy.yml >/dev/null &&
	(cd work && pc_push accept carol origin origin/develop:refs/heads/feature/republish) &&
	published policy.yml >pub.yml && test_cmp policy.yml pub.yml &&
	(
		cd erin &&
		git switch -q -c feature/f origin/develop &&
		echo f >f.txt && git add f.txt &&
		git -c gpg.format=ssh -c user.signingkey="$PWD/../keys/carol2" commit -q -S -m "feat: f" &&
		policy-check check --as carol --json feature/f $ZERO HEAD >../check.json &&
		git switch -q -c feature/g origin/develop &&
		echo g >g.txt && git add g.txt &&
		git -c gpg.format=ssh -c user.signingkey="$PWD/../keys/dave" commit -q -S -m "feat: g" &&
		test_expect_code 1 policy-check check --as carol feature/g $ZERO HEAD >../check.out &&
		pc_push accept carol origin feature/f
	) &&
	grep "\"accepted\":true" check.json &&
	grep "rules: commit [0-9a-f]* \"feat: g\" is signed by" check.out &&
	ls /tmp | grep "^policy-check\." >tmps || : &&
	test_must_be_empty tmps
'

test_expect_success 'a server that publishes no policy: check says what to do, exit 2' '
	git -C server.git update-ref -d refs/meta/policy-check &&
	(
		cd erin &&
		test_expect_code 2 policy-check check --as carol feature/f origin/feature/f HEAD 2>../err
	) &&
	grep "check: .origin. publishes no policy at refs/meta/policy-check (run policy-check install on the server to publish it); give --policy FILE" err &&
	(cd erin && policy-check check --policy ../policy.yml --as carol feature/f origin/feature/f feature/f >/dev/null)
'

test_expect_success 'with the update hook alone: it publishes (on a rejected push too), and refuses refs/meta/' '
	git init -q --bare upd.git &&
	policy-check install --hook update --policy policy.yml upd.git >/dev/null &&
	git -C upd.git rev-parse --verify -q refs/meta/policy-check >before &&
	echo "# changed for upd.git" >>policy.yml &&
	(
		cd work &&
		test_must_fail env REMOTE_USER=alice git push ../upd.git origin/main:refs/heads/main 2>../err &&
		grep "is not signed (rules.signed_commits)" ../err &&
		test_must_fail env REMOTE_USER=alice git push ../upd.git +origin/main:refs/meta/policy-check 2>../err
	) &&
	grep "nobody pushes to refs/meta/" err &&
	grep "update hook declined\|hook declined" err &&
	git -C upd.git cat-file blob refs/meta/policy-check:policy.yml >pub.yml &&
	test_cmp policy.yml pub.yml &&
	git -C upd.git rev-parse refs/meta/policy-check^ >parent &&
	test_cmp before parent
'

if test "$(id -u)" = 0; then test_set_prereq ROOT; fi

test_expect_success ROOT,OPEN_TO_OTHERS 'root installs into a repository of another account: what it publishes is that account'\''s' '
	git init -q --bare other.git &&
	chown -R 65534:65534 other.git &&
	chmod 755 . &&
	policy-check install --policy policy.yml other.git >out &&
	grep "^published .* at refs/meta/policy-check of other.git$" out &&
	find other.git ! -user 65534 ! -path other.git/config ! -path "other.git/hooks/*" >foreign &&
	test_must_be_empty foreign &&
	git -c safe.directory="*" -C other.git cat-file -e refs/meta/policy-check:policy.yml
'

test_done
