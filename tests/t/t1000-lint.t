#!/bin/sh
test_description='policy-check lint validates policy files and expands presets'
. "$(dirname "$0")/test-lib.sh"

# The users and groups of a policy, from its expansion, one name a line.
principals() {
	awk '/^(users|groups):/ { on = 1; next } /^[^ ]/ { on = 0 }
		on && /^  "/ { sub(/^  "/, ""); sub(/".*/, ""); print }' "$1"
}

for n in 1 2 3; do
	test_expect_success "the example policy pattern$n.yml is valid" '
		policy-check lint --policy "$PC_POLICY_DIR/pattern'$n'.yml" >out 2>err &&
		test_must_be_empty err &&
		echo "policy-check: $PC_POLICY_DIR/pattern'$n'.yml: ok" >expect &&
		test_cmp expect out
	'

	test_expect_success "the expansion of pattern$n.yml lints and expands to itself" '
		policy-check lint --expand --policy "$PC_POLICY_DIR/pattern'$n'.yml" >expanded.yml 2>err &&
		grep "^policy-check: .*pattern'$n'.yml: ok$" err &&
		grep "^strategy: pattern'$n'$" expanded.yml &&
		policy-check lint --policy expanded.yml &&
		policy-check lint --expand --policy expanded.yml >again.yml &&
		sed 1d expanded.yml >a && sed 1d again.yml >b &&
		test_cmp a b
	'

	test_expect_success "every owner in CODEOWNERS.pattern$n is defined by pattern$n.yml" '
		policy-check lint --expand --policy "$PC_POLICY_DIR/pattern'$n'.yml" >expanded.yml &&
		principals expanded.yml >known &&
		test -s known &&
		sed -e "s/#.*//" -e "/^ *\^*\[/d" "$PC_POLICY_DIR/CODEOWNERS.pattern'$n'" |
			tr " \t" "\n\n" | grep "@" >tokens &&
		test -s tokens &&
		while read -r t; do
			case "$t" in
			@*) grep -qx "${t#@}" known || { echo "unknown owner $t"; return 1; } ;;
			*) grep -q "^    email: \"$t\"$" expanded.yml || { echo "unknown email $t"; return 1; } ;;
			esac
		done <tokens
	'
done

test_expect_success 'CODEOWNERS.pattern2 has a [prd][2] section owning the production overlay' '
	sed -n "/^\[prd\]\[2\]/,/^\[/p" "$PC_POLICY_DIR/CODEOWNERS.pattern2" >section &&
	grep "^/k8s/overlays/prd/ *@sre" section
'

test_expect_success 'the presets expand as doc/DESIGN.md section 5 says' '
	cat >p1.yml <<-\EOF &&
	version: 1
	strategy: pattern1
	audit: {log: a.log, key: a.key, origin: example.org/pc}
	identity: {env: [REMOTE_USER]}
	EOF
	policy-check lint --expand --policy p1.yml >e1.yml &&
	sed -n "/^branches:/,/^work_branches/p" e1.yml >got &&
	cat >expect <<-\EOF &&
	branches:
	  "develop":
	    environment: "dev"
	    from: ["feature/*", "hotfix/*"]
	    require: []
	    approvers: []
	  "staging":
	    environment: "stg"
	    from: ["feature/*", "hotfix/*"]
	    require: ["develop"]
	    hotfix_from: []
	    approvers: []
	  "main":
	    environment: "prd"
	    from: ["feature/*", "hotfix/*"]
	    require: ["staging"]
	    hotfix_from: ["hotfix/*"]
	    approvers: []
	work_branches: ["feature/*", "hotfix/*"]
	EOF
	test_cmp expect got
'

test_expect_success 'the expansion carries the SHA-256 of the file and absolute paths' '
	mkdir -p conf &&
	cat >conf/p.yml <<-\EOF &&
	version: 1
	allowed_signers: keys/allowed_signers
	audit: {log: log/audit.log, key: /etc/pc/audit.key, origin: example.org/pc}
	identity: {env: [REMOTE_USER]}
	EOF
	mkdir -p conf/keys && cp "$PC_POLICY_DIR/allowed_signers" conf/keys/ &&
	policy-check lint --expand --policy conf/p.yml >e.yml &&
	sum=$(sha256sum conf/p.yml | cut -d" " -f1) &&
	head -n1 e.yml | grep "(sha256:$sum)" &&
	grep "^  log: \"$PWD/conf/log/audit.log\"$" e.yml &&
	grep "^  key: \"/etc/pc/audit.key\"$" e.yml &&
	grep "^allowed_signers: \"$PWD/conf/keys/allowed_signers\"$" e.yml
'

test_expect_success 'a broken policy: every problem with LINE:COLUMN, exit 2' '
	cat >bad.yml <<-\EOF &&
	version: 1
	strategy: pattern2
	users:
	  alice: {email: alice@example.com}
	groups:
	  sre: [alice, mallory]
	admins: [sre, ops]
	rules:
	  max_blob_size: 5 MiB?
	  commit_message: "(feat"
	enforcment: dry-run
	identity: {env: [REMOTE_USER]}
	EOF
	test_expect_code 2 policy-check lint --policy bad.yml >out 2>err &&
	test_must_be_empty out &&
	cat >expect <<-\EOF &&
	bad.yml:1:1: missing required key '\''audit'\'' (log, key and origin); the hooks accept no push without an audit record
	bad.yml:6:16: groups.sre: '\''mallory'\'' is not a user defined under users
	bad.yml:7:15: admins: '\''ops'\'' is not a user or group defined in the policy
	bad.yml:9:18: rules.max_blob_size: '\''5 MiB?'\'' is not a size; write a number of bytes, or a number followed by KiB, MiB, GiB (1024-based) or KB, MB, GB (1000-based)
	bad.yml:10:19: rules.commit_message: the regex does not compile: missing closing parenthesis at offset 5
	EOF
	head -n 5 err >got &&
	test_cmp expect got &&
	grep "^bad.yml:11:1: unknown key '\''enforcment'\'' at the top level; did you mean '\''enforcement'\''?$" err &&
	test $(wc -l <err) = 6
'

test_expect_success 'a YAML syntax error is reported with its position' '
	printf "version: 1\nusers: [alice\n" >syntax.yml &&
	test_expect_code 2 policy-check lint --policy syntax.yml 2>err &&
	grep "^syntax.yml:3:1: invalid YAML: " err
'

test_expect_success 'a policy over 1 MiB is refused' '
	{ echo "version: 1" && head -c 2097152 /dev/zero | tr "\0" "#"; } >big.yml &&
	test_expect_code 2 policy-check lint --policy big.yml 2>err &&
	grep "^big.yml: file is 2097163 bytes, over the limit of 1048576 bytes (a policy file may be at most 1 MiB)$" err
'

test_expect_success 'an alias bomb is refused at once' '
	{
		echo "version: 1" &&
		echo "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]" &&
		prev=a &&
		for n in b c d e f g h i j; do
			echo "$n: &$n [*$prev, *$prev, *$prev, *$prev, *$prev, *$prev, *$prev, *$prev, *$prev]" &&
			prev=$n || return 1
		done &&
		echo "admins: *j"
	} >bomb.yml &&
	test_expect_code 2 timeout 5 policy-check lint --policy bomb.yml 2>err &&
	grep "aliases expand this document to more than 1000000 nodes" err
'

test_expect_success 'a missing policy file is a configuration error' '
	test_expect_code 2 policy-check lint --policy nowhere.yml 2>err &&
	grep "^nowhere.yml: cannot open: No such file or directory$" err
'

test_expect_success 'usage errors exit 2' '
	test_expect_code 2 policy-check lint --bogus 2>err &&
	grep "unknown option '\''--bogus'\''" err &&
	grep "^usage: policy-check lint" err &&
	test_expect_code 2 policy-check lint --policy 2>err &&
	grep "option '\''--policy'\'' needs a value" err &&
	test_expect_code 2 policy-check lint --policy "$PC_POLICY_DIR/pattern1.yml" extra 2>err &&
	grep "unexpected argument '\''extra'\''" err
'

test_expect_success '--repo reads $GIT_DIR/policy-check.yml and warns about missing branches' '
	git init -q --bare server.git &&
	cp "$PC_POLICY_DIR/pattern2.yml" server.git/policy-check.yml &&
	policy-check lint --repo server.git >out 2>err &&
	grep "policy-check: .*server.git/policy-check.yml: ok" out &&
	for b in develop staging main; do
		grep "warning: server.git: protected branch '\''$b'\'' does not exist yet" err || return 1
	done
'

test_expect_success '--repo: no warning once the protected branches exist' '
	git init -q work &&
	cp "$PC_POLICY_DIR/CODEOWNERS.pattern2" work/CODEOWNERS &&
	(cd work && git add CODEOWNERS && git commit -q -m init) &&
	git -C work push -q ../server.git HEAD:develop HEAD:staging HEAD:main &&
	policy-check lint --repo server.git >out 2>err &&
	test_must_be_empty err
'

test_expect_success '--repo follows git config policycheck.policy, relative to GIT_DIR' '
	mkdir -p policies &&
	cp "$PC_POLICY_DIR/pattern3.yml" policies/p3.yml &&
	cp "$PC_POLICY_DIR/allowed_signers" policies/ &&
	git -C server.git config policycheck.policy ../policies/p3.yml &&
	policy-check lint --repo server.git >out &&
	grep "server.git/../policies/p3.yml: ok" out &&
	(cd server.git && policy-check lint >../out) &&
	grep "p3.yml: ok" out
'

test_expect_success '--repo with a configured policy that does not exist' '
	git -C server.git config policycheck.policy ../policies/none.yml &&
	test_expect_code 2 policy-check lint --repo server.git 2>err &&
	grep "none.yml: cannot open" err
'

test_expect_success '--repo that is not a repository' '
	test_expect_code 2 policy-check lint --repo nowhere 2>err &&
	grep "nowhere: cannot open the repository" err
'

test_expect_success 'no policy and no repository is a usage error' '
	mkdir empty &&
	(cd empty && test_expect_code 2 policy-check lint 2>../err) &&
	grep "no policy to check; give --policy FILE or --repo DIR" err
'

test_done
