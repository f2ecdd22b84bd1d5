#!/bin/sh
test_description='install links the hook programs; what it takes for its own, and what not

git runs a hook that install put there without a shell in between: each
hook is a symbolic link to its program.  Reinstalling replaces what an
earlier install wrote (a link into another directory of hook programs, a
script of the installs before links), and never a link of somebody
else (gitolite links its update hook into its own directory).  The
reference-transaction program, which git starts twice for every ref,
does not even load libgit2.'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup: a pattern2 server; its hooks are links to the hook programs' '
	pc_setup_server pattern2 &&
	for h in pre-receive reference-transaction; do
		pc_is_our_hook server.git/hooks/$h || return 1
	done &&
	! test -e server.git/hooks/update
'

test_expect_success 'a push goes through the linked programs, and is recorded by both' '
	(cd work && git checkout -q -b feature/one origin/main && pc_commit one "1" &&
		pc_push accept alice origin feature/one) &&
	tail -n 2 audit/audit.log >last &&
	grep "\"hook\":\"pre-receive\".*\"ref\":\"refs/heads/feature/one\".*\"decision\":\"accept\"" last &&
	grep "\"hook\":\"reference-transaction\".*\"ref\":\"refs/heads/feature/one\".*\"decision\":\"committed\"" last
'

test_expect_success 'reinstalling over a script of an earlier install replaces it with a link' '
	git init -q --bare old.git &&
	printf "#!/bin/sh\n# installed by policy-check install; reinstall instead of editing\nexec %s \"\$@\"\n" \
		"$PC_HOOK_DIR/pre-receive" >old.git/hooks/pre-receive &&
	chmod +x old.git/hooks/pre-receive &&
	policy-check install --policy policy.yml old.git >out &&
	pc_is_our_hook old.git/hooks/pre-receive &&
	! test -e old.git/hooks/pre-receive.d &&
	! grep "^kept" out
'

test_expect_success 'reinstalling over a link into another directory of hook programs (an upgrade) replaces it' '
	mkdir -p old-libexec &&
	for h in pre-receive update reference-transaction; do
		cp "$PC_HOOK_DIR/$h" old-libexec/ || return 1
	done &&
	git init -q --bare moved.git &&
	ln -s "$PWD/old-libexec/pre-receive" moved.git/hooks/pre-receive &&
	policy-check install --policy policy.yml moved.git >out &&
	pc_is_our_hook moved.git/hooks/pre-receive &&
	! test -e moved.git/hooks/pre-receive.d
'

test_expect_success 'a link of the same name into a directory without our programs (gitolite) is not ours' '
	mkdir -p gitolite-hooks/common &&
	printf "#!/bin/sh\nexit 0\n" >gitolite-hooks/common/update &&
	chmod +x gitolite-hooks/common/update &&
	git init -q --bare gl.git &&
	ln -s "$PWD/gitolite-hooks/common/update" gl.git/hooks/update &&
	test_expect_code 2 policy-check install --policy policy.yml --hook update gl.git 2>err &&
	grep "gl.git/hooks/update is not a regular file" err &&
	test "$(readlink gl.git/hooks/update)" = "$PWD/gitolite-hooks/common/update" &&
	ln -s "$PWD/gitolite-hooks/common/update" gl.git/hooks/reference-transaction &&
	test_expect_code 2 policy-check install --policy policy.yml --hook reference-transaction gl.git 2>err &&
	grep "was not installed by policy-check" err
'

test_expect_success 'a relative PC_HOOK_DIR still gives links that work from anywhere' '
	git init -q --bare rel.git &&
	rel=$(realpath --relative-to=. "$PC_HOOK_DIR") &&
	PC_HOOK_DIR=$rel policy-check install --policy policy.yml rel.git >/dev/null &&
	case "$(readlink rel.git/hooks/pre-receive)" in /*) ;; *) false ;; esac &&
	pc_is_our_hook rel.git/hooks/pre-receive
'

test_expect_success 'the reference-transaction program does not load libgit2' '
	LC_ALL=C readelf -d "$PC_HOOK_DIR/reference-transaction" >dyn &&
	grep "(NEEDED)" dyn &&
	! grep "(NEEDED).*libgit2" dyn &&
	LC_ALL=C readelf -d "$PC_HOOK_DIR/pre-receive" | grep "(NEEDED).*libgit2"
'

test_expect_success 'the audit log verifies' '
	pc_audit_verify
'

test_done
