#!/bin/sh
test_description='policy-check owners reads CODEOWNERS from a revision of a real repository'
. "$(dirname "$0")/test-lib.sh"

# commit_file REPO PATH MESSAGE: commit stdin as PATH in REPO.
commit_file () {
	mkdir -p "$1/$(dirname "$2")" &&
	cat >"$1/$2" &&
	git -C "$1" add "$2" &&
	git -C "$1" commit -q -m "$3"
}

test_expect_success 'setup: CODEOWNERS changes owners between two revisions' '
	git init -q repo &&
	commit_file repo CODEOWNERS one <<-\EOF &&
	# first revision
	*                @alice
	/overlays/prd/   @sre
	EOF
	git -C repo tag one &&
	commit_file repo CODEOWNERS two <<-\EOF &&
	# second revision
	*                @bob
	/overlays/       @ops
	[prd][2] @sre-leads
	/overlays/prd/
	^[Docs]
	*.md             docs@example.com
	EOF
	git -C repo tag two
'

test_expect_success '--rev answers from the first revision' '
	policy-check owners --repo repo --rev one overlays/prd/app.yaml README.md >actual &&
	cat >expect <<-\EOF &&
	overlays/prd/app.yaml
	  (default) @sre  (CODEOWNERS:3)
	README.md
	  (default) @alice  (CODEOWNERS:2)
	EOF
	test_cmp expect actual
'

cat >expect-two <<\EOF
overlays/prd/app.yaml
  (default) @ops  (CODEOWNERS:3)
  [prd] (2 approvals) @sre-leads  (CODEOWNERS:5, the section's default owners)
  [Docs] (optional) unowned  (no rule matches)
README.md
  (default) @bob  (CODEOWNERS:2)
  [prd] (2 approvals) unowned  (no rule matches)
  [Docs] (optional) docs@example.com  (CODEOWNERS:7)
EOF

test_expect_success '--rev answers from the second revision, with its sections' '
	policy-check owners --repo repo --rev two overlays/prd/app.yaml README.md >actual &&
	test_cmp expect-two actual
'

test_expect_success 'the default revision is HEAD and the default repository the current directory' '
	(cd repo && policy-check owners overlays/prd/app.yaml README.md) >actual &&
	test_cmp expect-two actual
'

test_expect_success 'a revision can be any commit-ish: a tag, HEAD~1, an abbreviated id' '
	policy-check owners --repo repo --rev=HEAD~1 README.md >a &&
	id=$(git -C repo rev-parse --short one) &&
	policy-check owners --repo repo --rev "$id" README.md >b &&
	policy-check owners --repo repo --rev one README.md >c &&
	test_cmp a b && test_cmp a c &&
	grep "@alice" a
'

test_expect_success 'a bare repository works the same' '
	git clone -q --bare repo bare.git &&
	policy-check owners --repo bare.git --rev one README.md >actual &&
	grep "^  (default) @alice  (CODEOWNERS:2)$" actual &&
	policy-check owners --repo bare.git overlays/prd/app.yaml README.md >actual &&
	test_cmp expect-two actual
'

test_expect_success 'the working tree is not read: only the committed CODEOWNERS counts' '
	echo "* @uncommitted" >repo/CODEOWNERS &&
	policy-check owners --repo repo README.md >actual &&
	grep "@bob" actual &&
	! grep uncommitted actual &&
	git -C repo checkout -q CODEOWNERS
'

test_expect_success 'paths are taken relative to the top: ./x and /x are x' '
	policy-check owners --repo repo ./docs/a.md /docs/a.md >actual &&
	test "$(grep -c "^docs/a.md$" actual)" = 2
'

test_expect_success 'un-owning lines and the last matching line are shown' '
	git init -q unown &&
	commit_file unown CODEOWNERS c <<-\EOF &&
	/apps/ @octocat
	/apps/github
	EOF
	policy-check owners --repo unown apps/github/x apps/web/x lib/x >actual &&
	cat >expect <<-\EOF &&
	apps/github/x
	  (default) unowned  (CODEOWNERS:2)
	apps/web/x
	  (default) @octocat  (CODEOWNERS:1)
	lib/x
	  (default) unowned  (no rule matches)
	EOF
	test_cmp expect actual
'

test_expect_success 'lookup order: .github/CODEOWNERS first, as on GitHub' '
	git init -q gh &&
	commit_file gh .github/CODEOWNERS a <<-\EOF &&
	* @from-github
	EOF
	commit_file gh docs/CODEOWNERS b <<-\EOF &&
	* @from-docs
	EOF
	commit_file gh .gitlab/CODEOWNERS c <<-\EOF &&
	* @from-gitlab
	EOF
	policy-check owners --repo gh x >actual &&
	grep "^  (default) @from-github  (.github/CODEOWNERS:1)$" actual
'

test_expect_success 'lookup order: a CODEOWNERS at the top does not take over from .github/' '
	commit_file gh CODEOWNERS d <<-\EOF &&
	* @from-top
	EOF
	policy-check owners --repo gh x >actual &&
	grep "^  (default) @from-github  (.github/CODEOWNERS:1)$" actual &&
	git -C gh rm -q .github/CODEOWNERS &&
	git -C gh commit -q -m no-github &&
	policy-check owners --repo gh x >actual &&
	grep "^  (default) @from-top  (CODEOWNERS:1)$" actual
'

test_expect_success 'lookup order: docs/ before .gitlab/, and a directory named CODEOWNERS is no file' '
	git -C gh rm -q CODEOWNERS &&
	mkdir gh/CODEOWNERS && touch gh/CODEOWNERS/keep &&
	git -C gh add CODEOWNERS/keep &&
	git -C gh commit -q -m e &&
	policy-check owners --repo gh x >actual &&
	grep "^  (default) @from-docs  (docs/CODEOWNERS:1)$" actual &&
	git -C gh rm -q docs/CODEOWNERS &&
	git -C gh commit -q -m f &&
	policy-check owners --repo gh x >actual &&
	grep "^  (default) @from-gitlab  (.gitlab/CODEOWNERS:1)$" actual
'

test_expect_success 'no CODEOWNERS in the revision is a configuration error (exit 2)' '
	git init -q none &&
	commit_file none README "no owners" </dev/null &&
	test_expect_code 2 policy-check owners --repo none x >out 2>err &&
	test_must_be_empty out &&
	grep "no CODEOWNERS file in this commit (looked for .github/CODEOWNERS, CODEOWNERS, docs/CODEOWNERS, .gitlab/CODEOWNERS) at HEAD" err
'

test_expect_success 'CODEOWNERS syntax errors are printed as FILE:LINE:COLUMN (exit 2)' '
	git init -q bad &&
	commit_file bad .github/CODEOWNERS bad <<-\EOF &&
	* @ok
	/src/    alice
	!secret @ok
	[Docs][0]
	EOF
	test_expect_code 2 policy-check owners --repo bad x >out 2>err &&
	test_must_be_empty out &&
	cat >expect <<-\EOF &&
	.github/CODEOWNERS:2:10: bad owner '"'"'alice'"'"': expected @user, @org/team or an email address
	.github/CODEOWNERS:3:9: an exclusion (!pattern) takes no owners: it frees the paths it matches from this section; remove the owners, or drop the '"'"'!'"'"' to own the paths
	.github/CODEOWNERS:4:8: approval count 0 is out of range; use 1 to 100
	policy-check: owners: CODEOWNERS at HEAD has 3 errors; fix them
	EOF
	test_cmp expect err
'

test_expect_success 'an earlier, valid revision of a now broken CODEOWNERS still answers' '
	commit_file bad .github/CODEOWNERS fixed <<-\EOF &&
	* @ok
	EOF
	policy-check owners --repo bad --rev HEAD x >actual &&
	grep "@ok" actual &&
	test_expect_code 2 policy-check owners --repo bad --rev HEAD~1 x 2>err &&
	grep "^.github/CODEOWNERS:2:10: bad owner" err
'

test_expect_success 'a CODEOWNERS over 3 MiB is refused (exit 2)' '
	git init -q big &&
	printf "* @a\n" >big/CODEOWNERS &&
	head -c 3145728 /dev/zero | tr "\\000" "#" >>big/CODEOWNERS &&
	git -C big add CODEOWNERS &&
	git -C big commit -q -m big &&
	test_expect_code 2 policy-check owners --repo big x 2>err &&
	grep "CODEOWNERS is 3145733 bytes, over the limit of 3145728 bytes" err
'

test_expect_success 'a missing repository is a configuration error (exit 2)' '
	test_expect_code 2 policy-check owners --repo nowhere x 2>err &&
	grep "cannot open the repository" err
'

test_expect_success 'a directory that is no repository is a configuration error (exit 2)' '
	mkdir plain &&
	test_expect_code 2 policy-check owners --repo plain x 2>err &&
	grep "cannot open the repository" err
'

test_expect_success 'an unknown revision is a configuration error (exit 2)' '
	test_expect_code 2 policy-check owners --repo repo --rev nosuch x 2>err &&
	grep "cannot resolve revision '"'"'nosuch'"'"' to a commit" err
'

test_expect_success 'a repository without commits is a configuration error (exit 2)' '
	git init -q empty &&
	test_expect_code 2 policy-check owners --repo empty x 2>err &&
	grep "cannot resolve revision '"'"'HEAD'"'"'" err
'

test_expect_success 'usage errors exit 2: no PATH, unknown option, missing value' '
	test_expect_code 2 policy-check owners --repo repo 2>err &&
	grep "name at least one PATH" err &&
	grep "^usage: policy-check owners" err &&
	test_expect_code 2 policy-check owners --frobnicate x 2>err &&
	grep "unknown option '"'"'--frobnicate'"'"'" err &&
	test_expect_code 2 policy-check owners x --rev 2>err &&
	grep "option '"'"'--rev'"'"' needs a value" err &&
	grep "^usage:" err &&
	test_expect_code 2 policy-check owners --rev= x 2>err &&
	grep "needs a non-empty value" err
'

test_expect_success 'options may follow the paths; after -- everything is a path' '
	policy-check owners README.md --repo repo --rev one >actual &&
	grep "@alice" actual &&
	policy-check owners --repo repo -- --rev >actual &&
	grep "^--rev$" actual
'

test_expect_success 'a PATH outside the repository is refused (exit 2)' '
	test_expect_code 2 policy-check owners --repo repo ../etc/passwd 2>err &&
	grep "is not a path inside the repository" err &&
	test_expect_code 2 policy-check owners --repo repo a/./b 2>err &&
	test_expect_code 2 policy-check owners --repo repo / 2>err
'

test_expect_success 'an unreadable --policy is a configuration error (exit 2)' '
	test_expect_code 2 policy-check owners --repo repo --policy missing.yml x 2>err &&
	grep "missing.yml: cannot open" err
'

test_expect_success 'setup: a policy with users, groups and its own CODEOWNERS paths' '
	cat >policy.yml <<-\EOF &&
	version: 1
	identity: { env: [REMOTE_USER] }
	users:
	  alice: { email: alice@example.com }
	  bob: { email: bob@example.com }
	groups:
	  sre: [alice, bob]
	  org/team: [bob]
	approvals:
	  codeowners: [owners/CODEOWNERS, CODEOWNERS]
	limits:
	  max_codeowners_size: 1KiB
	audit: { log: audit.log, key: audit.key, origin: example.com/test }
	EOF
	git init -q pol &&
	commit_file pol CODEOWNERS top <<-\EOF &&
	* @from-top
	EOF
	commit_file pol .github/CODEOWNERS gh <<-\EOF &&
	* @from-github
	EOF
	commit_file pol owners/CODEOWNERS owners <<-\EOF
	*          @alice
	/ops/      @sre bob@example.com
	/team/     @org/team @ghost
	EOF
'

test_expect_success 'with --policy, owners are shown with the users they stand for' '
	policy-check owners --repo pol --policy policy.yml README ops/run.sh team/x >actual &&
	cat >expect <<-\EOF &&
	README
	  (default) @alice  (owners/CODEOWNERS:1)
	ops/run.sh
	  (default) @sre (alice, bob) bob@example.com (bob)  (owners/CODEOWNERS:2)
	team/x
	  (default) @org/team (bob) @ghost (no user or group of the policy)  (owners/CODEOWNERS:3)
	EOF
	test_cmp expect actual
'

test_expect_success 'with --policy, CODEOWNERS is looked for in approvals.codeowners only' '
	git -C pol rm -q owners/CODEOWNERS && git -C pol commit -q -m no-owners &&
	policy-check owners --repo pol --policy policy.yml x >actual &&
	grep "^  (default) @from-top (no user or group of the policy)  (CODEOWNERS:1)$" actual &&
	git -C pol rm -q CODEOWNERS && git -C pol commit -q -m no-top &&
	test_expect_code 2 policy-check owners --repo pol --policy policy.yml x 2>err &&
	grep "no CODEOWNERS file in this commit (looked for owners/CODEOWNERS, CODEOWNERS) at HEAD" err &&
	policy-check owners --repo pol x >actual &&
	grep "@from-github" actual
'

test_expect_success 'with --policy, limits.max_codeowners_size applies (exit 2)' '
	{ echo "* @alice" && head -c 2000 /dev/zero | tr "\\000" "#"; } >big.txt &&
	mkdir -p pol/owners && cp big.txt pol/owners/CODEOWNERS &&
	git -C pol add owners/CODEOWNERS && git -C pol commit -q -m big &&
	test_expect_code 2 policy-check owners --repo pol --policy policy.yml x 2>err &&
	grep "owners/CODEOWNERS is 2009 bytes, over the limit of 1024 bytes at HEAD (limits.max_codeowners_size)" err &&
	policy-check owners --repo pol x >actual
'

test_expect_success 'an invalid --policy is a configuration error with its position (exit 2)' '
	printf "version: 1\nfrobnicate: yes\n" >bad-policy.yml &&
	test_expect_code 2 policy-check owners --repo repo --policy bad-policy.yml x 2>err &&
	grep "^bad-policy.yml:2:1: " err &&
	grep "policy-check lint --policy bad-policy.yml" err
'

test_expect_success 'help names the command' '
	policy-check owners --help >out &&
	grep "^usage: policy-check owners \[--repo DIR\] \[--rev REV\] \[--policy FILE\] \[--json\] PATH...$" out &&
	policy-check help owners >out &&
	grep "policy-check owners" out
'

test_done
