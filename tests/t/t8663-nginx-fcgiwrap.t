#!/bin/sh
test_description='pushes over smart HTTP: git-http-backend through fcgiwrap behind nginx with Basic auth'
. "$(dirname "$0")/test-lib.sh"
. "$SHARNESS_TEST_SRCDIR/lib-servers.sh"

pc_require_root_and /usr/sbin/nginx nginx
pc_require_root_and /usr/sbin/fcgiwrap fcgiwrap
pc_require_root_and /usr/bin/openssl openssl

# The shipped location (contrib/integrations/nginx/git-http-backend.conf),
# included unchanged in a server of the test's own: nginx's master started
# by root in the foreground (daemon off) with its prefix, error log, pid
# file and temporary directories in the trash directory, on a random
# loopback port; fcgiwrap on a socket of its own, started here.
write_nginx_conf() {
	cat <<-EOF
	user root;
	worker_processes 1;
	pid "$PWD/nginx/nginx.pid";
	error_log "$PWD/nginx/error.log" info;
	events { worker_connections 64; }
	http {
		access_log "$PWD/nginx/access.log";
		client_body_temp_path "$PWD/nginx/body";
		fastcgi_temp_path "$PWD/nginx/fastcgi";
		proxy_temp_path "$PWD/nginx/proxy";
		uwsgi_temp_path "$PWD/nginx/uwsgi";
		scgi_temp_path "$PWD/nginx/scgi";
		upstream git_fcgiwrap { server unix:$sock; }
		server {
			listen 127.0.0.1:@PORT@;
			set \$git_project_root "$PWD";
			set \$git_htpasswd "$PWD/htpasswd";
			include "$PC_SRC_DIR/contrib/integrations/nginx/git-http-backend.conf";
		}
	}
	EOF
}

# fcgiwrap on $sock, under timeout(1) like every server of lib-servers.sh
# (stopped with them); waits (at most 10 s) for its socket.
start_fcgiwrap() {
	timeout -k 5 "$PC_SERVER_LIFETIME" fcgiwrap -c 2 -s "unix:$sock" \
		>fcgiwrap.log 2>&1 </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	PC_SERVER_PIDS="$PC_SERVER_PIDS $!"
	n=0
	while ! test -S "$sock" && test $n -lt 100; do
		sleep 0.1
		n=$((n + 1))
	done
	test -S "$sock" || { cat fcgiwrap.log; return 1; }
}

# The last record a pre-receive hook wrote (reference-transaction adds others).
last_record() {
	grep "\"hook\":\"pre-receive\"" "$SHARNESS_TRASH_DIRECTORY/audit/audit.log" | tail -n 1
}

test_expect_success 'setup: a pattern2 server behind nginx and fcgiwrap on a random loopback port' '
	pc_setup_server pattern2 &&
	printf "alice:%s\ncarol:%s\n" "$(openssl passwd -5 alice-pw)" "$(openssl passwd -5 carol-pw)" >htpasswd &&
	sockdir=$(mktemp -d /tmp/pc-fcgiwrap.XXXXXX) &&
	pc_remove_at_exit "$sockdir" &&
	sock=$sockdir/fcgiwrap.sock &&
	start_fcgiwrap &&
	mkdir nginx &&
	write_nginx_conf >nginx.conf.in &&
	sed "s/@PORT@/8/" nginx.conf.in >nginx.conf &&
	nginx -t -q -p "$PWD/nginx/" -e "$PWD/nginx/error.log" -c "$PWD/nginx.conf" &&
	cat >start-nginx <<-\EOF &&
	sed "s/@PORT@/$PORT/" nginx.conf.in >nginx.conf &&
	exec nginx -p "$PWD/nginx/" -e "$PWD/nginx/error.log" -c "$PWD/nginx.conf" -g "daemon off;"
	EOF
	pc_start_server nginx "sh ./start-nginx" &&
	base="http://127.0.0.1:$PC_PORT" &&
	GIT_TERMINAL_PROMPT=0 &&
	export GIT_TERMINAL_PROMPT
'

test_expect_success 'an anonymous push is stopped by nginx (401) before any hook' '
	wc -l <audit/audit.log >before &&
	(
		cd work &&
		git checkout -q -b feature/nginx-anon origin/develop &&
		test_must_fail git push "$base/git/server.git" feature/nginx-anon 2>../err
	) &&
	grep "could not read Username for .http://127.0.0.1:$PC_PORT.: terminal prompts disabled" err &&
	wc -l <audit/audit.log >after &&
	test_cmp before after
'

test_expect_success 'a wrong password is stopped by nginx too' '
	(cd work && test_must_fail git push "http://alice:wrong@127.0.0.1:$PC_PORT/git/server.git" \
		feature/nginx-anon 2>../err) &&
	grep "Authentication failed for" err &&
	wc -l <audit/audit.log >after &&
	test_cmp before after
'

test_expect_success 'alice clones through nginx (upload-pack)' '
	git clone -q "http://alice:alice-pw@127.0.0.1:$PC_PORT/git/server.git" clone &&
	test "$(git -C clone rev-parse origin/main)" = "$(git -C server.git rev-parse main)"
'

test_expect_success 'alice pushes: accepted, and recorded with pusher alice from REMOTE_USER' '
	(
		cd work &&
		git checkout -q -b feature/nginx-alice origin/develop &&
		pc_commit overlays/dev/a.yaml "a: 1" &&
		pc_push accept alice "http://alice:alice-pw@127.0.0.1:$PC_PORT/git/server.git" feature/nginx-alice
	) &&
	grep "remote: policy-check: audit record [0-9]" err &&
	last_record >rec &&
	grep "\"pusher\":\"alice\",\"identity\":\"REMOTE_USER\"" rec &&
	grep "\"ref\":\"refs/heads/feature/nginx-alice\".*\"decision\":\"accept\"" rec &&
	grep "\"repo\":\"$PWD/server.git\"" rec &&
	test "$(git -C server.git rev-parse feature/nginx-alice)" = "$(git -C work rev-parse feature/nginx-alice)"
'

test_expect_success 'carol'"'"'s push straight to main is rejected; she reads the reasons through HTTP' '
	(
		cd work &&
		git checkout -q -b direct origin/main &&
		pc_commit overlays/prd/b.yaml "b: 1" "fix: straight to prd" &&
		pc_push reject carol "http://carol:carol-pw@127.0.0.1:$PC_PORT/git/server.git" HEAD:main
	) &&
	grep "remote:   promotion: commit [0-9a-f]* \"fix: straight to prd\" is not on staging" err &&
	last_record | grep "\"pusher\":\"carol\",\"identity\":\"REMOTE_USER\".*\"ref\":\"refs/heads/main\".*\"decision\":\"reject\"" &&
	test "$(git -C server.git rev-parse main)" = "$(git -C work rev-parse origin/main)"
'

test_expect_success 'the pusher is the authenticated user: neither the client'"'"'s REMOTE_USER nor a header changes it' '
	(
		cd work &&
		REMOTE_USER=alice test_must_fail git -c http.extraHeader="Remote-User: alice" \
			push "http://carol:carol-pw@127.0.0.1:$PC_PORT/git/server.git" HEAD:main 2>../err
	) &&
	grep "remote: policy-check: rejected refs/heads/main" err &&
	last_record | grep "\"pusher\":\"carol\",\"identity\":\"REMOTE_USER\""
'

test_expect_success 'push options reach the hook through nginx: break-glass by alice' '
	(
		cd work &&
		pc_push accept alice -o "break-glass=INC-8 prd down, restoring" \
			"http://alice:alice-pw@127.0.0.1:$PC_PORT/git/server.git" HEAD:main
	) &&
	grep "remote: policy-check: accepted with break-glass refs/heads/main" err &&
	last_record | grep "\"pusher\":\"alice\".*\"break_glass\":\"INC-8 prd down, restoring\""
'

test_expect_success 'nginx logged each request with its user; the log verifies and explains every ref' '
	grep "127.0.0.1 - alice \[.*\] \"POST /git/server.git/git-receive-pack HTTP/1.1\" 200" nginx/access.log &&
	grep "127.0.0.1 - carol \[.*\] \"POST /git/server.git/git-receive-pack HTTP/1.1\" 200" nginx/access.log &&
	pc_audit_verify &&
	policy-check audit reconcile --repo server.git audit/audit.log
'

test_done
