#!/bin/sh
test_description='claimed OLD values in the update hook: git runs it before it checks OLD under the ref lock'
. "$(dirname "$0")/test-lib.sh"

RAW="$PC_BUILD_DIR/tests/helpers/pc-raw-push"

short() {
	git -C work rev-parse --short=7 "$1"
}

test_expect_success 'setup: a Pattern2 server with the update hook only' '
	test -x "$RAW" &&
	pc_setup_server pattern2 &&
	rm server.git/hooks/pre-receive &&
	policy-check install --policy policy.yml --hook update server.git >/dev/null &&
	test -x server.git/hooks/update &&
	(
		cd work &&
		git checkout -q -b feature/e origin/develop &&
		pc_commit overlays/dev/e.yaml "e: 1" "feat: e, never on develop"
	) &&
	git -C work rev-parse origin/develop >I &&
	git -C work rev-parse feature/e >E &&
	git -C server.git for-each-ref >refs.before
'
I=$(cat I 2>/dev/null)
E=$(cat E 2>/dev/null)

test_expect_success 'update hook: a stale no-op is declined by the hook, staging is not vouched for' '
	test_expect_code 1 env REMOTE_USER=alice "$RAW" -C work --rev $E --rev ^$I server.git >out 2>err <<-EOF &&
	$E $E refs/heads/develop
	$I $E refs/heads/staging
	EOF
	grep "^ng refs/heads/develop hook declined" out &&
	grep "^ng refs/heads/staging hook declined" out &&
	grep "protect: your view of refs/heads/develop is stale (it is at $(short $I), you sent $(short $E)): fetch and retry" err &&
	grep "commit $(short $E) \"feat: e, never on develop\" is not on develop" err &&
	git -C server.git for-each-ref >refs.now &&
	test_cmp refs.before refs.now &&
	pc_audit_verify &&
	tail -n 2 audit/audit.log >recs &&
	grep "\"hook\":\"update\".*\"ref\":\"refs/heads/develop\".*\"decision\":\"reject\".*your view of refs/heads/develop is stale" recs &&
	grep "\"hook\":\"update\".*\"ref\":\"refs/heads/staging\".*\"decision\":\"reject\"" recs
'

test_expect_success 'update hook: a stale OLD on a work branch is declined by the hook' '
	test_expect_code 1 env REMOTE_USER=carol "$RAW" -C work --rev $E --rev ^$I server.git >out 2>err <<-EOF &&
	$E $E refs/heads/feature/x
	EOF
	grep "^ng refs/heads/feature/x hook declined" out &&
	grep "protect: your view of refs/heads/feature/x is stale (it does not exist, you sent $(short $E)): fetch and retry" err &&
	pc_audit_verify &&
	tail -n 1 audit/audit.log | grep "\"hook\":\"update\".*\"ref\":\"refs/heads/feature/x\".*\"decision\":\"reject\""
'

test_expect_success 'update hook: an honest push still goes through' '
	REMOTE_USER=carol "$RAW" -C work --rev $E --rev ^$I server.git >out 2>err <<-EOF &&
	0000000000000000000000000000000000000000 $E refs/heads/feature/e
	EOF
	grep "^ok refs/heads/feature/e" out &&
	test "$(git -C server.git rev-parse refs/heads/feature/e)" = "$E"
'

test_done
