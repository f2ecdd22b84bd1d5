#!/bin/sh
test_description='audit show lists records as a table, filters them, and passes them through with --json'
. "$(dirname "$0")/test-lib.sh"

append () {
	"$PC_BUILD_DIR/tests/helpers/pc-audit-append" --log audit.log --key k.key \
		--origin example.com/audit --no-sync "$@" >/dev/null
}

# Drop the clock from the table: "2026-11-26 01:02" becomes "T".
untime () {
	sed "s/[0-9]\{4\}-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]/T/"
}

test_expect_success 'setup: records of several kinds, and a ref name a pusher chose to be hostile' '
	policy-check audit keygen --origin example.com/audit k >/dev/null 2>&1 &&
	append --pusher alice --repo /srv/git/k8s.git \
		--old 1111111111111111111111111111111111111111 --new 2222222222222222222222222222222222222222 \
		--approval bob,signature,SHA256:abc,3333333333333333333333333333333333333333 --approval alice,pusher &&
	append --pusher carol --ref refs/heads/feature/x --op create \
		--new 4444444444444444444444444444444444444444 \
		--reason "promotion:commit 9f8e7d6 \"hotfix typo\" is not on staging" \
		--reason "approval:needs 2 approvals from @sre, has 1 (alice)" &&
	append --pusher dave --ref refs/heads/main --break-glass "INC-123 restore the service" &&
	append --pusher erin --ref refs/tags/v1.0 --op create --dry-run --reason "protect:tags need sre" &&
	printf "refs/heads/a\"b\\\\c\001\033[31mred\nnl\377\376\342\200\256x" >ref.bin &&
	append --pusher mallory --ref "$(cat ref.bin)" &&
	test "$(wc -l <audit.log)" = 5 &&
	policy-check audit verify --vkey k.vkey audit.log
'

test_expect_success 'the table has a header, one row per record and the reasons below it' '
	policy-check audit show audit.log >out &&
	untime <out >actual &&
	sed -n 1,7p actual >head &&
	cat >expect <<-\EOF &&
	SEQ  TIME              PUSHER   REPO              REF                                                    CHANGE            DECISION          APPROVERS
	0    T  alice    /srv/git/k8s.git  refs/heads/main                                        1111111..2222222  accept            bob,alice
	1    T  carol    -                 refs/heads/feature/x                                   0000000..4444444  reject            -
	    promotion: commit 9f8e7d6 "hotfix typo" is not on staging
	    approval: needs 2 approvals from @sre, has 1 (alice)
	2    T  dave     -                 refs/heads/main                                        0000000..0000000  accept            -
	    break-glass: INC-123 restore the service
	EOF
	test_cmp expect head &&
	grep "^3    T  erin .* refs/tags/v1.0 .* reject (dry-run) " actual &&
	grep "^    protect: tags need sre$" actual
'

test_expect_success 'the table shows control bytes, invalid UTF-8 and bidi overrides as escapes' '
	policy-check audit show audit.log >out &&
	grep -F "refs/heads/a\"b\\\\c\\x01\\x1b[31mred\\x0anl\\xff\\xfe\\u202ex" out &&
	! grep -q "$(printf "\033")" out &&
	! grep -q "$(printf "\342\200\256")" out &&
	test "$(wc -l <out)" = 10
'

test_expect_success '--json passes every line through unchanged' '
	policy-check audit show --json audit.log >out &&
	test_cmp audit.log out
'

test_expect_success 'the hostile ref round-trips byte for byte through show --json' '
	policy-check audit show --json --ref "$(cat ref.bin)" audit.log >out &&
	test "$(wc -l <out)" = 1 &&
	! grep -q "$(printf "\033")" out &&
	python3 - out ref.bin <<-\PY
	import json, sys
	record = json.loads(open(sys.argv[1], "rb").read())
	ref = record["ref"].encode("utf-8", "surrogateescape")
	want = open(sys.argv[2], "rb").read()
	assert ref == want, (ref, want)
	PY
'

test_expect_success '--ref takes a full name, a short branch name or a glob' '
	policy-check audit show --json --ref refs/heads/main audit.log >out &&
	test "$(wc -l <out)" = 2 &&
	policy-check audit show --json --ref main audit.log >out2 &&
	test_cmp out out2 &&
	policy-check audit show --json --ref "feature/*" audit.log >out &&
	grep -c "\"pusher\":\"carol\"" out &&
	test "$(wc -l <out)" = 1 &&
	policy-check audit show --json --ref v1.0 audit.log >out &&
	grep "\"pusher\":\"erin\"" out
'

test_expect_success '--decision and --break-glass filter' '
	policy-check audit show --json --decision reject audit.log >out &&
	test "$(wc -l <out)" = 2 &&
	policy-check audit show --json --break-glass audit.log >out &&
	test "$(wc -l <out)" = 1 && grep "\"pusher\":\"dave\"" out &&
	policy-check audit show --decision accept --ref main audit.log >out &&
	test "$(wc -l <out)" = 4
'

test_expect_success '--since keeps records at or after a time, in any RFC 3339 form' '
	sed "1s/\"time\":\"[^\"]*\"/\"time\":\"2020-01-01T10:00:00.000Z\"/" audit.log >old.log &&
	policy-check audit show --json --since 2021-01-01 old.log >out &&
	test "$(wc -l <out)" = 4 &&
	policy-check audit show --json --since 2020-01-01T10:00:00Z old.log >out &&
	test "$(wc -l <out)" = 5 &&
	policy-check audit show --json --since "2020-01-01T10:00:00.001Z" old.log >out &&
	test "$(wc -l <out)" = 4 &&
	policy-check audit show --json --since "2020-01-01T11:00:00+01:00" old.log >out &&
	test "$(wc -l <out)" = 5 &&
	policy-check audit show --json --since "2020-01-01T09:59:59-00:01" old.log >out &&
	test "$(wc -l <out)" = 4 &&
	policy-check audit show --json --since 2999-01-01 old.log >out &&
	test_must_be_empty out
'

test_expect_success 'an invalid line is reported with its number; the others are still shown' '
	{ head -n 2 audit.log && echo "{\"not\":\"a record\"}" && tail -n 3 audit.log; } >bad.log &&
	test_expect_code 1 policy-check audit show --json bad.log >out 2>err &&
	grep "bad.log:3: not a valid record: record has 1 keys, expected 19" err &&
	test "$(wc -l <out)" = 5
'

test_expect_success 'a torn final line is skipped with a warning' '
	cp audit.log torn.log && printf "{\"v\":1,\"se" >>torn.log &&
	policy-check audit show --json torn.log >out 2>err &&
	test_cmp audit.log out &&
	grep "warning: torn.log:6: the final line has no newline" err
'

test_expect_success 'bad arguments exit 2' '
	test_expect_code 2 policy-check audit show --since yesterday audit.log 2>err &&
	grep "is not a time" err &&
	test_expect_code 2 policy-check audit show --since 2020-13-01 audit.log &&
	test_expect_code 2 policy-check audit show no-such.log 2>err &&
	grep "no-such.log: cannot open" err &&
	test_expect_code 2 policy-check audit show --frobnicate audit.log &&
	test_expect_code 2 policy-check audit show
'

test_done
