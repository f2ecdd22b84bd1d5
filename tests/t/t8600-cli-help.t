#!/bin/sh
test_description='every command answers -h/--help from its option table; usage errors have one wording and exit 2'
. "$(dirname "$0")/test-lib.sh"

# Every command and audit subcommand, as "policy-check help" names them.
test_expect_success 'policy-check help and --help list every command, exit 0' '
	policy-check help >help.out &&
	policy-check --help >dash.out &&
	test_cmp help.out dash.out &&
	sed -n "/^commands:/,/^\$/s/^    \([a-z][a-z-]*\)  .*/\1/p" help.out >commands &&
	printf "%s\n" lint check owners approve install status audit >expect &&
	for c in $(cat expect); do grep -qx "$c" commands || { echo "missing $c"; return 1; }; done &&
	policy-check audit --help | sed -n "s/^    \([a-z][a-z-]*\)  .*/audit \1/p" >subs &&
	test $(wc -l <subs) -eq 9 &&
	{ grep -v "^audit\$" commands; cat subs; } >all &&
	test $(wc -l <all) -ge 12
'

test_expect_success 'each command: -h, --help and help COMMAND print the same help on stdout, exit 0' '
	while read cmd; do
		policy-check $cmd -h >h.out 2>h.err &&
		policy-check $cmd --help >help.out 2>help.err &&
		policy-check help $cmd >cmd.out 2>cmd.err &&
		test_cmp h.out help.out && test_cmp h.out cmd.out &&
		! test -s h.err && ! test -s help.err && ! test -s cmd.err &&
		grep -q "^usage: policy-check $cmd " h.out ||
		{ echo "help of $cmd"; cat h.out h.err; return 1; }
	done <all
'

test_expect_success 'each option line of a --help is in its synopsis, and each synopsis option has a line' '
	while read cmd; do
		policy-check $cmd --help >h.out &&
		sed -n "s/^\(usage:\)\{0,1\} *policy-check //p" h.out >synopsis &&
		grep -o -E -e "(^|[[ |])-[a-zA-Z]( |\$)" -e "--[a-z][a-z-]*" synopsis |
			tr -d "[| " | sort -u >used &&
		sed -n "s/^    \(-[a-zA-Z]\)\{0,1\},\{0,1\} *\(--[a-z][a-z-]*\).*/\1 \2/p" h.out >lines &&
		test -s used && test -s lines &&
		while read a b; do
			grep -q -x -e "$a" -e "${b:-$a}" used || { echo "$cmd: $a $b not in the synopsis"; return 1; }
		done <lines &&
		while read o; do
			grep -q -w -e "$o" lines || { echo "$cmd: $o has no help line"; return 1; }
		done <used || return 1
	done <all
'

test_expect_success 'a short option has its long form on the same help line' '
	policy-check check --help | grep "^    -o, --push-option OPTION  " &&
	policy-check install --help | grep "^    -f, --force  "
'

# command | arguments | the error line
while IFS="|" read cmd args msg; do
	test_expect_success "usage error: policy-check $cmd $args" "
		test_expect_code 2 policy-check $cmd $args >out 2>err &&
		! test -s out &&
		grep -x -F \"policy-check $msg\" err &&
		grep \"^usage: policy-check ${cmd%% *} \" err
	"
done <<-\TABLE
lint|--bogus|lint: unknown option '--bogus'
lint|--policy|lint: option '--policy' needs a value
lint|--expand=yes|lint: option '--expand' takes no value
lint|--expand --json|lint: --expand and --json both print on standard output; choose one
check|--foo main HEAD HEAD|check: unknown option '--foo'
check|-x main HEAD HEAD|check: unknown option '-x'
check|--repo|check: option '--repo' needs a value
check|-o|check: option '-o' needs a value
check|main HEAD|check: give REF OLD NEW, or --stdin
owners|--re x README|owners: ambiguous option '--re'
owners|--rev= x|owners: option '--rev' needs a non-empty value
owners|--json|owners: name at least one PATH
approve|--no-push|approve: name the COMMIT to approve
install|--hook|install: option '--hook' needs a value
install|-fx x.git|install: unknown option '-x'
status|extra|status: unexpected argument 'extra'
audit|frob|audit: unknown subcommand 'frob'
audit show|--json=1 log|audit show: option '--json' takes no value
audit show|--since|audit show: option '--since' needs a value
audit show|a b|audit show: unexpected argument 'b'
audit verify|log|audit verify: --vkey FILE|KEY is required
audit keygen|--origin x|audit keygen: name the PREFIX
TABLE

test_expect_success 'options take --name=value, abbreviations and may follow the operands' '
	pc_key alice && pc_key bob && pc_key carol &&
	pc_write_policy pattern2 >policy.yml &&
	policy-check lint --pol=policy.yml >out &&
	grep "policy.yml: ok" out &&
	git init -q repo && (cd repo && pc_commit README "hi" && printf "* @alice\n" >CODEOWNERS &&
		git add CODEOWNERS && git commit -q -m owners) &&
	policy-check owners README --repo=repo --rev HEAD >out &&
	grep "@alice" out &&
	policy-check owners --repo repo -- --rev >out &&
	grep "^--rev" out
'

test_expect_success 'help of an unknown command exits 2' '
	test_expect_code 2 policy-check help frob 2>err &&
	grep "unknown command" err
'

test_done
