#!/bin/sh
test_description='the man pages render without warnings and document every command, option, policy key and record key'
. "$(dirname "$0")/test-lib.sh"

DOC="$PC_SRC_DIR/doc"
PAGES="policy-check.1 policy-check-policy.5 policy-check-audit.5"

if command -v groff >/dev/null 2>&1; then
	test_set_prereq GROFF
fi
if command -v man >/dev/null 2>&1 && man -l "$DOC/policy-check.1" >/dev/null 2>&1; then
	test_set_prereq MAN
fi
if ! test_have_prereq GROFF && ! test_have_prereq MAN; then
	skip_all="neither groff nor man is installed (Debian: groff-base, man-db)"
	test_done
fi

# render PAGE: the page as plain text, wide enough that no line wraps
# inside a name, without bold or underline.  Warnings go to stderr.
render() {
	if test_have_prereq GROFF; then
		groff -man -Tutf8 -ww -P-cbou -rLL=250n "$DOC/$1"
	else
		MANWIDTH=250 MANROFFOPT=-ww man -l "$DOC/$1"
	fi | sed "s/.$(printf '\b')//g"
}

# section FILE NAME: the lines of subsection NAME of a rendered page, up to
# the next subsection or section.
section() {
	awk -v name="   $2" '
		$0 == name { on = 1; next }
		on && (/^   [^ ]/ || /^[^ ]/) { exit }
		on { print }
	' "$1"
}

test_expect_success GROFF 'groff renders each page without a warning' '
	for p in $PAGES; do
		groff -man -Tutf8 -ww -z "$DOC/$p" 2>err &&
		if test -s err; then cat err; return 1; fi || return 1
	done
'

test_expect_success MAN 'man -l renders each page without a warning' '
	for p in $PAGES; do
		MANROFFOPT=-ww man -l "$DOC/$p" >out 2>err &&
		if test -s err; then cat err; return 1; fi &&
		grep -q "^NAME" out || return 1
	done
'

test_expect_success 'setup: the pages as text' '
	for p in $PAGES; do
		render $p >$p.txt 2>err &&
		if test -s err; then cat err; return 1; fi &&
		test -s $p.txt || return 1
	done
'

test_expect_success 'options are written as ASCII hyphens, not typographic ones' '
	for p in $PAGES; do
		! grep -n "$(printf "\342\200\220")-\|-$(printf "\342\200\220")" $p.txt || return 1
	done &&
	grep -e "--policy" policy-check.1.txt
'

test_expect_success 'every command of policy-check --help has its section in policy-check(1)' '
	policy-check --help >help &&
	sed -n "s/^ *\(usage: \)\{0,1\}policy-check \(audit [a-z-]*\|[a-z][a-z-]*\) .*/\2/p" help |
		sort -u >commands &&
	test $(wc -l <commands) -ge 12 &&
	while read cmd; do
		section policy-check.1.txt "$cmd" >sec &&
		if ! test -s sec; then echo "no section for $cmd"; return 1; fi || return 1
	done <commands
'

test_expect_success 'every option of every command is described in that command'\''s section' '
	while read cmd; do
		policy-check help $cmd | grep "policy-check $cmd " >usage &&
		section policy-check.1.txt "$cmd" >sec &&
		for opt in $(grep -o -E -e "(^|[[ |])-[a-z]\b" -e "--[a-z][a-z-]*" usage | sed "s/^[[ |]//" | sort -u); do
			grep -q -E -e "^ *(-[a-z], )?$opt\b" sec ||
			{ echo "$cmd: $opt is not described"; return 1; }
		done || return 1
	done <commands
'

test_expect_success 'every option line of every command'\''s --help is described in its section' '
	while read cmd; do
		policy-check $cmd --help >opthelp &&
		policy-check help $cmd >opthelp2 &&
		test_cmp opthelp opthelp2 &&
		section policy-check.1.txt "$cmd" >sec &&
		sed -n "s/^    \(-[a-zA-Z], \)\{0,1\} *\(--[a-z][a-z-]*\).*/\2/p" opthelp >opts &&
		test -s opts &&
		while read opt; do
			grep -q -E -e "^ *(-[a-z]( [A-Z|]+)?, )?$opt\b" sec ||
			{ echo "$cmd: $opt of --help is not described"; return 1; }
		done <opts || return 1
	done <commands
'

# Brackets are dropped: which options are optional is for the sections to say.
test_expect_success 'every form of --help is in the synopsis of policy-check(1)' '
	tr -s " " <help | tr -d "[]" | grep -v "policy-check COMMAND ARGS" |
		sed -n "s/^ *\(usage: \)\{0,1\}\(policy-check .*\)/\2/p" >forms &&
	test $(wc -l <forms) -ge 14 &&
	tr -s " " <policy-check.1.txt | tr -d "[]" >page &&
	while read form; do
		grep -q -F -e "$form" page || { echo "not in SYNOPSIS: $form"; return 1; }
	done <forms
'

test_expect_success 'every key the policy loader accepts is in policy-check-policy(5)' '
	cat >keys.yml <<-\EOF &&
	version: 1
	zq: 1
	identity: { zq: 1 }
	users: { u: { zq: 1 } }
	branches: { b: { zq: 1 } }
	tags: { zq: 1 }
	approvals: { zq: 1 }
	rules: { zq: 1 }
	break_glass: { zq: 1 }
	audit: { log: l, key: k, origin: o, zq: 1 }
	environments: { e: { zq: 1 } }
	limits: { zq: 1 }
	EOF
	test_expect_code 2 policy-check lint --policy keys.yml 2>err &&
	grep "unknown key .zq. at the top level; expected one of: " err |
		sed "s/.*expected one of: //" | tr -d " " | tr , "\n" >top &&
	grep "unknown key .zq. in " err | grep -v "at the top level" |
		sed "s/.*expected one of: //" | tr -d " " | tr , "\n" | sort -u >nested &&
	test $(wc -l <top) -ge 20 && test $(wc -l <nested) -ge 25 &&
	test $(grep -c "unknown key .zq." err) = 11 &&
	while read key; do
		grep -q "^   $key\$" policy-check-policy.5.txt ||
		{ echo "top-level key $key has no subsection"; return 1; }
	done <top &&
	while read key; do
		grep -q -E "^       $key( |\$)" policy-check-policy.5.txt ||
		{ echo "key $key is not described"; return 1; }
	done <nested
'

test_expect_success 'every key of an audit record, and every decision, is in policy-check-audit(5)' '
	policy-check audit keygen --origin example.com/docs k >/dev/null 2>&1 &&
	"$PC_BUILD_DIR/tests/helpers/pc-audit-append" --log a.log --key k.key \
		--origin example.com/docs --no-sync >/dev/null &&
	grep -o "\"[a-z_]*\":" a.log | tr -d "\":" | sort -u >rkeys &&
	test $(wc -l <rkeys) -ge 19 &&
	while read key; do
		grep -q -w -e "$key" policy-check-audit.5.txt ||
		{ echo "record key $key is not described"; return 1; }
	done <rkeys &&
	for d in accept reject committed aborted repaired void baseline; do
		grep -q -E "^ +$d( |\$)" policy-check-audit.5.txt ||
		{ echo "decision $d is not described"; return 1; }
	done
'

test_expect_success 'the pages name each other and nothing that does not exist' '
	for p in $PAGES; do
		for ref in $(grep -o "policy-check[a-z-]*([15])" $p.txt | sort -u); do
			name=${ref%(*} && sect=$(echo "$ref" | tr -dc 0-9) &&
			test -f "$DOC/$name.$sect" || { echo "$p: $ref does not exist"; return 1; }
		done || return 1
	done
'

test_done
