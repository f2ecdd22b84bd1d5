#!/bin/sh
test_description='claimed OLD values: a stale no-op on the required branch does not satisfy Pattern1 require'
. "$(dirname "$0")/test-lib.sh"

RAW="$PC_BUILD_DIR/tests/helpers/pc-raw-push"

short() {
	git -C work rev-parse --short=7 "$1"
}

test_expect_success 'setup: a Pattern1 server, and feature E on feature/e only' '
	test -x "$RAW" &&
	pc_setup_server pattern1 &&
	(
		cd work &&
		git checkout -q -b feature/e origin/develop &&
		pc_commit overlays/stg/e.yaml "e: 1" "feat: e, never on develop" &&
		REMOTE_USER=alice git push -q origin feature/e
	) &&
	git -C work rev-parse origin/develop >I &&
	git -C work rev-parse feature/e >E &&
	git -C server.git for-each-ref >refs.before
'
I=$(cat I 2>/dev/null)
E=$(cat E 2>/dev/null)

test_expect_success 'honestly, staging takes E only once develop has it' '
	test_expect_code 1 env REMOTE_USER=alice "$RAW" -C work server.git >out 2>err <<-EOF &&
	$I $E refs/heads/staging
	EOF
	grep "^ng refs/heads/staging pre-receive hook declined" out &&
	grep "is not on develop" err
'

for mode in "" --atomic; do
	test_expect_success "require: \"E E develop\" does not put E on develop for staging ${mode:-(non-atomic)}" '
		test_expect_code 1 env REMOTE_USER=alice "$RAW" -C work $mode server.git >out 2>err <<-EOF &&
		$E $E refs/heads/develop
		$I $E refs/heads/staging
		EOF
		grep "^ng refs/heads/develop pre-receive hook declined" out &&
		grep "^ng refs/heads/staging pre-receive hook declined" out &&
		grep "protect: your view of refs/heads/develop is stale (it is at $(short $I), you sent $(short $E)): fetch and retry" err &&
		grep "commit $(short $E) \"feat: e, never on develop\" is not on develop" err &&
		git -C server.git for-each-ref >refs.now &&
		test_cmp refs.before refs.now &&
		pc_audit_verify &&
		tail -n 2 audit/audit.log >recs &&
		grep "\"ref\":\"refs/heads/develop\".*\"decision\":\"reject\".*your view of refs/heads/develop is stale" recs &&
		grep "\"ref\":\"refs/heads/staging\".*\"decision\":\"reject\"" recs
	'
done

test_done
