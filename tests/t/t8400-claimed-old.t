#!/bin/sh
test_description='claimed OLD values: a command whose OLD is not the ref'\''s value counts for nothing (Pattern2, every ref class, check)'
. "$(dirname "$0")/test-lib.sh"

# The pusher writes every byte of a command line; stock git only sends
# what the server advertised, so these tests push with a client of ours.
RAW="$PC_BUILD_DIR/tests/helpers/pc-raw-push"
Z=0000000000000000000000000000000000000000

short() {
	git -C work rev-parse --short=7 "$1"
}

# the last N audit records
last_records() {
	tail -n "$1" audit/audit.log
}

# The server's refs but the published policy, which the hooks move when
# the policy file changes (dry-run below).
server_refs() {
	git -C server.git for-each-ref | grep -v "	refs/meta/policy-check$"
}

test_expect_success 'setup: a Pattern2 server, and a commit E never on develop' '
	test -x "$RAW" &&
	cat >policy.extra <<-\EOF &&
	tags: { pattern: "v*", create: [sre] }
	other_refs: allow
	EOF
	pc_setup_server pattern2 &&
	(
		cd work &&
		git checkout -q -b feature/e origin/develop &&
		pc_commit overlays/dev/e.yaml "e: 1" "feat: e, never on develop" &&
		git tag -a -m "release" v1 origin/main
	) &&
	I=$(git -C work rev-parse origin/develop) &&
	E=$(git -C work rev-parse feature/e) &&
	T=$(git -C work rev-parse v1) &&
	echo "$I" >I && echo "$E" >E && echo "$T" >T
'
I=$(cat I 2>/dev/null)
E=$(cat E 2>/dev/null)
T=$(cat T 2>/dev/null)

test_expect_success 'the raw client pushes an honest command and prints the report' '
	printf "%s %s refs/heads/feature/e\n%s %s refs/tags/v1\n" $Z $E $Z $T |
		REMOTE_USER=alice "$RAW" -C work --rev $E --rev $T --rev ^$I server.git >out 2>err &&
	cat >expect <<-\EOF &&
	unpack ok
	ok refs/heads/feature/e
	ok refs/tags/v1
	EOF
	test_cmp expect out &&
	grep "accepted refs/heads/feature/e" err &&
	test "$(git -C server.git rev-parse refs/heads/feature/e)" = "$E" &&
	server_refs >refs.before
'

# stale_push ARGS...: push the command lines on stdin as alice with the raw
# client; the push must be rejected and leave every ref of the server as it was.
stale_push() {
	test_expect_code 1 env REMOTE_USER=alice "$RAW" -C work "$@" server.git >out 2>err &&
	server_refs >refs.now &&
	test_cmp refs.before refs.now
}

test_expect_success 'Pattern2 from: "E E develop" does not put E on develop for staging (non-atomic)' '
	printf "%s %s refs/heads/develop\n%s %s refs/heads/staging\n" $E $E $I $E |
		stale_push &&
	grep "^ng refs/heads/develop pre-receive hook declined" out &&
	grep "^ng refs/heads/staging pre-receive hook declined" out &&
	grep "protect: your view of refs/heads/develop is stale (it is at $(short $I), you sent $(short $E)): fetch and retry" err &&
	grep "promotion: commit $(short $E) \"feat: e, never on develop\" is not on develop" err &&
	pc_audit_verify &&
	last_records 2 >recs &&
	grep "\"hook\":\"pre-receive\".*\"ref\":\"refs/heads/develop\".*\"decision\":\"reject\".*your view of refs/heads/develop is stale" recs &&
	grep "\"ref\":\"refs/heads/staging\".*\"decision\":\"reject\"" recs
'

test_expect_success 'Pattern2 from: the same trick in an atomic push, with side-band' '
	printf "%s %s refs/heads/develop\n%s %s refs/heads/staging\n" $E $E $I $E |
		stale_push --atomic --side-band &&
	grep "^ng refs/heads/develop pre-receive hook declined" out &&
	grep "^ng refs/heads/staging pre-receive hook declined" out &&
	grep "protect: your view of refs/heads/develop is stale (it is at $(short $I), you sent $(short $E)): fetch and retry" err &&
	pc_audit_verify &&
	last_records 2 >recs &&
	grep "\"ref\":\"refs/heads/develop\".*\"decision\":\"reject\".*your view of refs/heads/develop is stale" recs &&
	grep "\"ref\":\"refs/heads/staging\".*\"decision\":\"reject\"" recs
'

test_expect_success 'break-glass does not accept a stale claim' '
	printf "%s %s refs/heads/develop\n" $E $E |
		stale_push -o "break-glass=INC-1 restore develop now" &&
	grep "^ng refs/heads/develop pre-receive hook declined" out &&
	grep "protect: your view of refs/heads/develop is stale" err &&
	last_records 1 | grep "\"decision\":\"reject\".*\"break_glass\":\"INC-1 restore develop now\""
'

# class, OLD, NEW, ref, what the message says the ref is
while read class old new ref now; do
	test_expect_success "a line with a wrong OLD is rejected: $class $ref" '
		echo "$old $new $ref" | stale_push &&
		grep "^ng $ref pre-receive hook declined" out &&
		if test "$now" = none; then
			grep "protect: your view of $ref is stale (it does not exist, you sent $(short $old)): fetch and retry" err
		else
			grep "protect: your view of $ref is stale (it is at $(short $now), you sent $(short $old)): fetch and retry" err
		fi &&
		last_records 1 | grep "\"ref\":\"$ref\".*\"decision\":\"reject\".*is stale"
	'
done <<EOF
protected-no-op $E $E refs/heads/main $I
protected-create $Z $E refs/heads/main $I
work-no-op $I $I refs/heads/feature/e $E
work-create $Z $I refs/heads/feature/e $E
work-update $I $E refs/heads/feature/new none
tag-no-op $T $T refs/tags/v2 none
tag-create $Z $T refs/tags/v1 $T
approval-no-op $T $T refs/approvals/$E/bob none
other-no-op $I $I refs/custom/thing none
EOF

test_expect_success 'a zero OLD for a ref that does not exist is not stale' '
	echo "$Z $E refs/heads/feature/new" |
		REMOTE_USER=alice "$RAW" -C work server.git >out 2>err &&
	grep "^ok refs/heads/feature/new" out &&
	git -C server.git update-ref -d refs/heads/feature/new &&
	server_refs >refs.now &&
	test_cmp refs.before refs.now
'

test_expect_success 'two commands for one ref: both rejected, git would apply only one' '
	printf "%s %s refs/heads/feature/e\n%s %s refs/heads/feature/e\n" $E $I $E $E |
		stale_push &&
	test $(grep -c "^ng refs/heads/feature/e pre-receive hook declined" out) = 2 &&
	grep "protect: refs/heads/feature/e is named by more than one command of this push" err
'

test_expect_success 'check: a stale OLD is rejected with the same message, exit 1' '
	git -C work branch -f develop origin/develop &&
	test_expect_code 1 policy-check check --repo work --policy policy.yml --as alice \
		develop $E $E >out &&
	grep "protect: your view of refs/heads/develop is stale (it is at $(short $I), you sent $(short $E)): fetch and retry" out &&
	policy-check check --repo work --policy policy.yml --as alice develop $I $I >out &&
	grep "accepted refs/heads/develop" out
'

test_expect_success 'check --stdin: the develop trick is rejected, staging is not vouched for' '
	git -C work branch -f staging origin/staging &&
	printf "%s %s refs/heads/develop\n%s %s refs/heads/staging\n" $E $E $I $E |
		test_expect_code 1 policy-check check --repo work --policy policy.yml --as alice --stdin >out &&
	grep "protect: your view of refs/heads/develop is stale" out &&
	grep "promotion: commit $(short $E) \"feat: e, never on develop\" is not on develop" out
'

test_expect_success 'dry-run does not accept a stale claim either' '
	cp policy.yml policy.enforce &&
	echo "enforcement: dry-run" >>policy.yml &&
	printf "%s %s refs/heads/develop\n%s %s refs/heads/staging\n" $E $E $I $E |
		stale_push &&
	cp policy.enforce policy.yml &&
	grep "^ng refs/heads/develop pre-receive hook declined" out &&
	grep "^ng refs/heads/staging pre-receive hook declined" out &&
	grep "protect: your view of refs/heads/develop is stale" err &&
	last_records 2 >recs &&
	grep "\"ref\":\"refs/heads/develop\".*\"decision\":\"reject\",\"dry_run\":true" recs &&
	grep "\"ref\":\"refs/heads/staging\".*\"decision\":\"reject\",\"dry_run\":true" recs
'

test_expect_success 'the audit log verifies' '
	pc_audit_verify
'

test_done
