#!/bin/sh
test_description='every hook run writes one RFC 5424 line to the syslog socket the policy names, without ever failing a push'
. "$(dirname "$0")/test-lib.sh"

SINK="$PC_BUILD_DIR/tests/helpers/pc-dgram-sink"
# A unix socket path must fit in 108 bytes: the trash directory may not.
SOCKDIR=$(mktemp -d /tmp/pc-t8670.XXXXXX) || exit 1
SOCK="$SOCKDIR/log"
sink_pid=

start_sink() {
	rm -f "$SOCK" &&
	"$SINK" "$SOCK" "$PWD/syslog.out" $$ >/dev/null 2>&1 &
	sink_pid=$!
	n=0
	while ! test -S "$SOCK" && test $n -lt 100; do sleep 0.05; n=$((n + 1)); done
	test -S "$SOCK"
}

stop_sink() {
	if test -n "$sink_pid"; then kill "$sink_pid" 2>/dev/null; wait "$sink_pid" 2>/dev/null; fi
	sink_pid=
	rm -f "$SOCK"
}

# wait_lines N: syslog.out holds at least N lines (the sink writes them as they come).
wait_lines() {
	n=0
	while test "$(wc -l <syslog.out 2>/dev/null || echo 0)" -lt "$1" && test $n -lt 100; do
		sleep 0.05; n=$((n + 1))
	done
	test "$(wc -l <syslog.out)" -ge "$1"
}

# mark: the lines after this one are the next hook runs' (in new.out after wait_new).
mark() { : >>syslog.out && wc -l <syslog.out >mark; }
wait_new() {
	wait_lines $(($(cat mark) + $1)) &&
	tail -n +$(($(cat mark) + 1)) syslog.out >new.out
}

# The RFC 5424 frame: header, one SD element of escaped values, a message.
FRAME='^<[0-9]{1,3}>1 [0-9T:.-]+Z [!-~]+ policy-check [0-9]+ [!-~]+ \[policy-check@32473( [a-z-]+="([^]"\\]|\\.)*")*\] '

# sd_names FILE: the names of the SD-PARAMs of its first line, in order.
sd_names() {
	head -n 1 "$1" |
	sed -E -e 's/^<[0-9]+>1 [^ ]+ [^ ]+ [^ ]+ [^ ]+ [^ ]+ \[policy-check@32473((( [a-z-]+="([^]"\\]|\\.)*")*))\] .*/\1/' \
		-e 's/ ([a-z-]+)="([^]"\\]|\\.)*"/ \1/g' -e 's/^ //'
}

frames_ok() {
	grep -Ev "$FRAME" "$1" >bad.out
	test_must_be_empty bad.out &&
	iconv -f UTF-8 -t UTF-8 "$1" >/dev/null
}

test_expect_success 'setup: a pattern2 server whose policy sends its syslog lines to a socket of ours' '
	printf "approvals: { self_approval: true }\n" >policy.extra &&
	pc_setup_server pattern2 &&
	sed -i "s|^  origin: test.example/policy-check$|&\n  syslog: { socket: $SOCK, facility: local0 }|" policy.yml &&
	grep "^  syslog: { socket: $SOCK, facility: local0 }$" policy.yml &&
	policy-check lint --policy policy.yml &&
	start_sink
'

test_expect_success 'an accepted push: one line from pre-receive, one from reference-transaction' '
	mark &&
	(
		cd work &&
		git checkout -q -B feature/one origin/develop &&
		pc_commit overlays/dev/one.yaml "x: 1" &&
		pc_push accept alice origin feature/one
	) &&
	wait_new 2 &&
	cat new.out &&
	frames_ok new.out &&
	test $(wc -l <new.out) = 2 &&
	repo=$(cd server.git && pwd -P) &&
	pre=$(grep " pre-receive \[" new.out) &&
	# local0 (16) * 8 + info (6)
	case "$pre" in "<134>1 "*) ;; *) false ;; esac &&
	echo "$pre" | grep " repo=\"$repo\" pusher=\"alice\" identity=\"REMOTE_USER\" decision=\"accept\" refs=\"1\" records=\"[0-9]*\" ms=\"[0-9]*\" accept=\"refs/heads/feature/one\"\] $repo: alice: accepted 1 of 1 ref update(s)$" &&
	seq=$(echo "$pre" | sed "s/.* records=\"\([0-9]*\)\".*/\1/") &&
	sed -n "$((seq + 1))p" audit/audit.log | grep "\"seq\":$seq,.*\"ref\":\"refs/heads/feature/one\",.*\"decision\":\"accept\"" &&
	grep " reference-transaction \[policy-check@32473 .* decision=\"committed\" refs=\"1\" records=\"[0-9]*\" .* committed=\"refs/heads/feature/one\"\]" new.out
'

test_expect_success 'a rejected push: the line says reject, which ref and the first reason' '
	mark &&
	(
		cd work &&
		git checkout -q -B feature/two origin/develop &&
		pc_commit overlays/dev/two.yaml "x: 2" &&
		pc_push reject carol origin HEAD:refs/heads/main
	) &&
	wait_new 1 &&
	cat new.out &&
	frames_ok new.out &&
	test $(wc -l <new.out) = 1 &&
	# local0 * 8 + notice (5)
	grep "^<133>1 .* pre-receive \[policy-check@32473 .* pusher=\"carol\" .* decision=\"reject\" refs=\"1\" records=\"[0-9]*\" ms=\"[0-9]*\" reject=\"refs/heads/main\"\] .*: carol: rejected 1 of 1 ref update(s); refs/heads/main: " new.out
'

test_expect_success 'hostile ref and pusher names cannot break the frame or the UTF-8' '
	mark &&
	ref=$(printf "refs/heads/feature/a]b\"c\\377d") &&
	user=$(printf "x\"] [fake@1 a=\"b\\\\\nz") &&
	(
		cd work &&
		git checkout -q -B feature/three origin/develop &&
		pc_commit overlays/dev/three.yaml "x: 3" &&
		env REMOTE_USER="$user" git push origin "HEAD:$ref" 2>../err
		true
	) &&
	wait_new 1 &&
	cat new.out &&
	frames_ok new.out &&
	test $(wc -l <new.out) -ge 1 &&
	grep -F "=\"refs/heads/feature/a\\]b\\\"c\\xffd\"" new.out &&
	grep -F " pusher=\"x\\\"\\] [fake@1 a=\\\"b\\\\\\x0az\" " new.out &&
	# the parameters, as a parser reads the escaped values: no "fake" element, no "a"
	sd_names new.out >names &&
	echo "repo pusher identity decision refs records ms reject" >expect &&
	test_cmp expect names
'

test_expect_success 'an invalid policy: the line names it, on the socket PC_SYSLOG_SOCKET names' '
	cp policy.yml policy.good &&
	echo "limits: { max_refs: many }" >>policy.yml &&
	mark &&
	(
		cd work &&
		git checkout -q -B feature/four origin/develop &&
		pc_commit overlays/dev/four.yaml "x: 4" &&
		PC_PUSH_ENV="PC_SYSLOG_SOCKET=$SOCK" pc_push reject alice origin feature/four ||
		# no ref is reported rejected by name: every push is
		grep "policy-check: rejected: the server.s policy .* is invalid" ../err
	) &&
	wait_new 1 &&
	cat new.out &&
	frames_ok new.out &&
	# user (1) * 8 + err (3): the policy that names local0 could not be read
	grep "^<11>1 .* pre-receive \[policy-check@32473 repo=\"[^\"]*\" decision=\"error\" error=\"the server.s policy .*policy.yml is invalid: .*max_refs.*\" refs=\"0\" ms=\"[0-9]*\"\] " new.out &&
	cp policy.good policy.yml
'

test_expect_success 'an audit key that cannot be read: the line says so' '
	mv audit/audit.key audit/audit.key.away &&
	mark &&
	(
		cd work &&
		git checkout -q -B feature/five origin/develop &&
		pc_commit overlays/dev/five.yaml "x: 5" &&
		pc_push reject alice origin feature/five
	) &&
	mv audit/audit.key.away audit/audit.key &&
	wait_new 1 &&
	cat new.out &&
	frames_ok new.out &&
	grep "^<131>1 .* pre-receive \[policy-check@32473 .* decision=\"error\" error=\"cannot \(record who first pushed the new commits\|write the audit record\): .*audit.key.*\" refs=\"1\" ms=\"[0-9]*\" reject=\"refs/heads/feature/five\"\]" new.out
'

test_expect_success 'audit.syslog: off sends nothing' '
	cp policy.yml policy.good &&
	sed -i "s|^  syslog: .*|  syslog: off|" policy.yml &&
	mark &&
	(
		cd work &&
		git checkout -q -B feature/six origin/develop &&
		pc_commit overlays/dev/six.yaml "x: 6" &&
		pc_push accept alice origin feature/six
	) &&
	sleep 0.3 &&
	test "$(wc -l <syslog.out)" = "$(cat mark)" &&
	cp policy.good policy.yml
'

test_expect_success 'no syslog to reach (no socket, a stopped one, a file) never fails a push' '
	stop_sink &&
	(
		cd work &&
		git checkout -q -B feature/seven origin/develop &&
		pc_commit overlays/dev/seven.yaml "x: 7" &&
		pc_push accept alice origin feature/seven
	) &&
	: >"$SOCK" &&
	(
		cd work &&
		pc_commit overlays/dev/seven.yaml "x: 7b" &&
		pc_push accept alice origin feature/seven
	) &&
	rm -f "$SOCK" &&
	start_sink &&
	kill -STOP $sink_pid &&
	# a receiver that never reads: its queue fills, and the sends fail at once
	(
		cd work &&
		for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
			pc_commit overlays/dev/seven.yaml "x: 7-$i" &&
			timeout 60 env REMOTE_USER=alice git push -q origin feature/seven 2>>../err || return 1
		done
	) &&
	kill -CONT $sink_pid &&
	pc_audit_verify
'

test_expect_success 'lint checks audit.syslog' '
	sed "s|^  syslog: .*|  syslog: { socket: log.sock, facility: local9, enabled: maybe, level: 3 }|" policy.yml >bad.yml &&
	test_must_fail policy-check lint --policy bad.yml 2>err &&
	cat err &&
	grep "audit.syslog.socket: .log.sock. must be an absolute path" err &&
	grep "audit.syslog.facility: .local9. is not valid" err &&
	grep "audit.syslog.enabled: expected true or false" err &&
	grep "level" err &&
	sed "s|^  syslog: .*|  syslog: on|" policy.yml >on.yml &&
	policy-check lint --policy on.yml &&
	policy-check lint --expand --policy policy.yml >expanded.yml &&
	grep -A3 "^  syslog:" expanded.yml >syslog.expanded &&
	printf "  syslog:\n    enabled: true\n    socket: \"%s\"\n    facility: local0\n" "$SOCK" >expect &&
	test_cmp expect syslog.expanded
'

stop_sink
rm -rf "$SOCKDIR"
test_done
