#!/bin/sh
test_description='pushes over smart HTTP: git-http-backend behind lighttpd with Basic auth'
. "$(dirname "$0")/test-lib.sh"
. "$SHARNESS_TEST_SRCDIR/lib-servers.sh"

pc_require_root_and /usr/sbin/lighttpd lighttpd
pc_require_root_and /usr/bin/openssl openssl

# The shipped snippet serves /git/; this file adds what the test needs
# around it, and an /open/ location without authentication that stands for a
# misconfigured server (anonymous pushes allowed by http.receivepack=true).
write_lighttpd_conf() {
	cat <<-EOF
	server.bind = "127.0.0.1"
	server.port = @PORT@
	server.document-root = "$PWD/www"
	server.errorlog = "$PWD/lighttpd-error.log"
	server.pid-file = "$PWD/lighttpd.pid"
	var.git_project_root = "$PWD"
	var.git_htpasswd = "$PWD/htpasswd"
	include "$PC_SRC_DIR/contrib/integrations/lighttpd/git-http-backend.conf"
	\$HTTP["url"] =~ "^/open/" {
		alias.url += ( "/open/" => "/usr/lib/git-core/git-http-backend/" )
		cgi.assign = ( "" => "" )
		setenv.add-environment = ( "GIT_PROJECT_ROOT" => "$PWD/open", "GIT_HTTP_EXPORT_ALL" => "" )
	}
	EOF
}

# The last record a pre-receive hook wrote (reference-transaction adds others).
last_record() {
	grep "\"hook\":\"pre-receive\"" "$SHARNESS_TRASH_DIRECTORY/audit/audit.log" | tail -n 1
}

test_expect_success 'setup: a pattern2 server behind lighttpd on a random loopback port' '
	pc_setup_server pattern2 &&
	printf "alice:%s\ncarol:%s\n" "$(openssl passwd -5 alice-pw)" "$(openssl passwd -5 carol-pw)" >htpasswd &&
	mkdir www open &&
	git clone -q --bare server.git open/server.git &&
	policy-check install --policy policy.yml open/server.git >/dev/null &&
	git -C open/server.git config http.receivepack true &&
	write_lighttpd_conf >lighttpd.conf.in &&
	sed "s/@PORT@/0/" lighttpd.conf.in >lighttpd.conf &&
	lighttpd -t -f lighttpd.conf &&
	pc_start_server lighttpd "sed \"s/@PORT@/\$PORT/\" lighttpd.conf.in >lighttpd.conf && exec lighttpd -D -f lighttpd.conf" &&
	base="http://127.0.0.1:$PC_PORT" &&
	GIT_TERMINAL_PROMPT=0 &&
	export GIT_TERMINAL_PROMPT
'

test_expect_success 'an anonymous push is stopped by the web server (401) before any hook' '
	wc -l <audit/audit.log >before &&
	(
		cd work &&
		git checkout -q -b feature/http-anon origin/develop &&
		test_must_fail git push "$base/git/server.git" feature/http-anon 2>../err
	) &&
	grep "could not read Username for .http://127.0.0.1:$PC_PORT.: terminal prompts disabled" err &&
	wc -l <audit/audit.log >after &&
	test_cmp before after
'

test_expect_success 'a wrong password is stopped by the web server too' '
	(cd work && test_must_fail git push "http://alice:wrong@127.0.0.1:$PC_PORT/git/server.git" \
		feature/http-anon 2>../err) &&
	grep "Authentication failed for" err &&
	wc -l <audit/audit.log >after &&
	test_cmp before after
'

test_expect_success 'alice (credentials in the URL) pushes; the hook sees pusher alice from REMOTE_USER' '
	(
		cd work &&
		git checkout -q -b feature/http-alice origin/develop &&
		pc_commit overlays/dev/a.yaml "a: 1" &&
		git push "http://alice:alice-pw@127.0.0.1:$PC_PORT/git/server.git" feature/http-alice 2>../err
	) &&
	grep "remote: policy-check: accepted refs/heads/feature/http-alice" err &&
	grep "remote: policy-check: audit record [0-9]" err &&
	last_record >rec &&
	grep "\"pusher\":\"alice\",\"identity\":\"REMOTE_USER\"" rec &&
	grep "\"repo\":\"$PWD/server.git\"" rec &&
	test "$(git -C server.git rev-parse feature/http-alice)" = "$(git -C work rev-parse feature/http-alice)"
'

test_expect_success 'a rejected push shows our remote: lines through HTTP (carol, credential helper)' '
	(
		cd work &&
		git checkout -q -b direct origin/main &&
		pc_commit overlays/prd/b.yaml "b: 1" "fix: straight to prd" &&
		test_must_fail git -c credential.helper= \
			-c credential.helper="!f() { test \"\$1\" = get && printf \"username=carol\\npassword=carol-pw\\n\"; }; f" \
			push "$base/git/server.git" HEAD:main 2>../err
	) &&
	grep "remote: policy-check: rejected refs/heads/main [0-9a-f]*\.\.[0-9a-f]*" err &&
	grep "remote:   promotion: commit [0-9a-f]* \"fix: straight to prd\" is not on staging" err &&
	grep "\[remote rejected\] *HEAD -> main (pre-receive hook declined)" err &&
	last_record | grep "\"pusher\":\"carol\".*\"ref\":\"refs/heads/main\".*\"decision\":\"reject\"" &&
	test "$(git -C server.git rev-parse main)" = "$(git -C work rev-parse origin/main)"
'

test_expect_success 'push options reach the hook over HTTP: break-glass by alice' '
	(
		cd work &&
		git push -o "break-glass=INC-7 prd down, restoring" \
			"http://alice:alice-pw@127.0.0.1:$PC_PORT/git/server.git" HEAD:main 2>../err
	) &&
	grep "remote: policy-check: accepted with break-glass refs/heads/main" err &&
	last_record | grep "\"pusher\":\"alice\".*\"break_glass\":\"INC-7 prd down, restoring\""
'

test_expect_success 'without the web server auth (misconfigured /open/), our hook rejects the unidentified pusher' '
	(
		cd work &&
		git checkout -q feature/http-anon &&
		test_must_fail git push "$base/open/server.git" feature/http-anon 2>../err
	) &&
	grep "remote: policy-check: rejected refs/heads/feature/http-anon" err &&
	grep "protect: work branch feature/http-anon needs a known pusher, and the pusher is unidentified" err &&
	last_record | grep "\"repo\":\"$PWD/open/server.git\".*\"pusher\":null" &&
	test_must_fail git -C open/server.git rev-parse --verify -q refs/heads/feature/http-anon
'

test_expect_success 'the audit log verifies' '
	pc_audit_verify
'

test_done
