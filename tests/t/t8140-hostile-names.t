#!/bin/sh
test_description='ref names, commit messages and paths with quotes, backslashes, control bytes and invalid UTF-8: escaped in the log, never raw on a terminal'
. "$(dirname "$0")/test-lib.sh"

# no_raw FILE: FILE has no control byte but tab and newline, and no DEL.
no_raw() {
	! LC_ALL=C grep -q "$(printf "[\001-\010\013-\037\177]")" "$1"
}

Q="q\"u'ote"
BAD=$(printf "\377\376")
ESC=$(printf "\033")

test_expect_success 'setup: a pattern2 server that rejects .env files and other messages than feat:' '
	pc_setup_server pattern2 &&
	cat >>policy.yml <<-\EOF
	rules:
	  commit_message: "^feat: "
	  deny_paths: ["[.]env$"]
	EOF
'

test_expect_success 'branch names with quotes, UTF-8 and invalid UTF-8 are accepted and recorded escaped' '
	(
		cd work &&
		git checkout -q -b feature/x origin/develop &&
		git commit -q --allow-empty -m "feat: names" &&
		pc_push accept carol origin "HEAD:refs/heads/feature/$Q" "HEAD:refs/heads/feature/ünï" \
			"HEAD:refs/heads/feature/$BAD"
	) &&
	cat >expect <<-\EOF &&
	"ref":"refs/heads/feature/q\"u'\''ote"
	"ref":"refs/heads/feature/ünï"
	"ref":"refs/heads/feature/\udcff\udcfe"
	EOF
	while read -r want; do grep -F "$want" audit/audit.log >/dev/null || return 1; done <expect &&
	iconv -f UTF-8 -t UTF-8 audit/audit.log >/dev/null &&
	no_raw audit/audit.log &&
	pc_audit_verify
'

test_expect_success 'commit messages with control bytes, escapes and invalid UTF-8' '
	(
		cd work &&
		git checkout -q -B feature/m origin/develop &&
		echo m >m &&
		git add m &&
		# git commit would convert invalid UTF-8 as Latin-1: write the object
		id=$(printf "tree %s\nparent %s\nauthor A <a@example.com> 1700000000 +0000\ncommitter C <c@example.com> 1700000000 +0000\n\nchore: \"q\" \\\\ \001\033[2J\177 \377\376 end\n" \
			$(git write-tree) $(git rev-parse HEAD) | git hash-object -t commit -w --stdin) &&
		git update-ref refs/heads/feature/m $id &&
		pc_push reject carol origin feature/m
	) &&
	grep "message does not match rules.commit_message" err &&
	no_raw err &&
	grep -F "\\\"q\\\" \\\\ ??[2J\\u007f \\udcff\\udcfe end" audit/audit.log &&
	iconv -f UTF-8 -t UTF-8 audit/audit.log >/dev/null &&
	no_raw audit/audit.log
'

test_expect_success 'a path with a newline and an escape sequence cannot forge report lines' '
	(
		cd work &&
		git checkout -q -B feature/p origin/develop &&
		p=$(printf "evil${ESC}[31m\nremote: policy-check: accepted refs/heads/main 1..2\n.env") &&
		mkdir -p "$(dirname "$p")" &&
		echo x >"$p" &&
		git add . &&
		git commit -q -m "feat: evil path" &&
		pc_push reject carol origin feature/p &&
		# check judges commits no local ref has: leave the commit on HEAD only
		git checkout -q --detach && git branch -q -D feature/p &&
		test_must_fail policy-check check --repo . --policy ../policy.yml --as carol \
			refs/heads/feature/p 0000000000000000000000000000000000000000 HEAD >../check.out 2>&1
	) &&
	grep "which matches rules.deny_paths" err &&
	! grep "^remote: policy-check: accepted refs/heads/main" err &&
	no_raw err &&
	grep "which matches rules.deny_paths" check.out &&
	! grep "^policy-check: accepted refs/heads/main" check.out &&
	no_raw check.out &&
	no_raw audit/audit.log &&
	pc_audit_verify
'

test_expect_success 'audit show prints none of it raw' '
	policy-check audit show audit/audit.log >show.out &&
	grep "feature/p" show.out &&
	no_raw show.out &&
	policy-check audit show --json audit/audit.log >show.json &&
	no_raw show.json &&
	iconv -f UTF-8 -t UTF-8 show.json >/dev/null
'

test_done
