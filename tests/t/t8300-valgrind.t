#!/bin/sh
test_description='a sample of pushes with every hook run under valgrind: no memory error, no leak'
. "$(dirname "$0")/test-lib.sh"

if ! command -v valgrind >/dev/null; then
	skip_all='valgrind is not installed (apt-get install valgrind)'
	test_done
fi
if grep -q '^PC_CFLAGS = .*-fsanitize' "$PC_BUILD_DIR/Makefile"; then
	skip_all='this build uses the sanitizers, which do not run under valgrind'
	test_done
fi

# Hook programs wrapped by valgrind: each run leaves vg/NAME.PID.log,
# empty unless valgrind found something, and a mark in vg/ran.  Children
# are traced: reference-transaction execs record-transaction.
mkdir -p wrappers vg
for h in pre-receive update reference-transaction record-transaction; do
	cat >"wrappers/$h" <<-WRAP
	#!/bin/sh
	echo $h >>"$PWD/vg/ran"
	exec valgrind -q --error-exitcode=99 --leak-check=full --trace-children=yes --trace-children-skip='*/git' \\
		--log-file="$PWD/vg/$h.%p.log" "$PC_BUILD_DIR/hooks/$h" "\$@"
	WRAP
	chmod +x "wrappers/$h"
done
PC_HOOK_DIR="$PWD/wrappers"
export PC_HOOK_DIR

# vg_clean: every hook run so far ran under valgrind and found nothing.
vg_clean() {
	test -s vg/ran &&
	for f in vg/*.log; do
		test -e "$f" || continue
		if test -s "$f"; then cat "$f"; return 1; fi
	done
}

test_expect_success 'setup: the admin bootstraps a pattern2 server through valgrind-wrapped hooks' '
	pc_setup_server pattern2 &&
	grep pre-receive vg/ran &&
	grep reference-transaction vg/ran &&
	vg_clean &&
	pc_audit_verify
'

test_expect_success 'an accepted feature push' '
	(
		cd work &&
		git checkout -q -b feature/vg &&
		pc_commit overlays/dev/app.yaml "x: 1" &&
		pc_push accept carol origin feature/vg
	) &&
	vg_clean
'

test_expect_success 'a rejected push: unidentified pusher and a direct commit on staging' '
	(
		cd work &&
		git checkout -q -b staging origin/staging &&
		pc_commit overlays/stg/app.yaml "x: 2" &&
		pc_push reject carol origin staging feature/vg:feature/other
	) &&
	grep "remote: policy-check: rejected refs/heads/staging" err &&
	vg_clean
'

test_expect_success 'a signed approval object is verified' '
	(
		cd work &&
		git -c gpg.format=ssh -c user.signingkey=../keys/bob -c user.email=bob@example.com \
			tag -s -m "policy-check approval v1" -m "target: refs/heads/develop" appr feature/vg &&
		pc_push accept bob origin "appr:refs/approvals/$(git rev-parse feature/vg)/bob"
	) &&
	vg_clean
'

test_expect_success 'an invalid policy and malformed stdin are refused' '
	cp policy.yml policy.good &&
	printf "rules: { commit_message: \"(\" }\n" >>policy.yml &&
	(
		cd work &&
		git checkout -q feature/vg &&
		pc_commit b.txt b &&
		test_must_fail env REMOTE_USER=carol git push origin feature/vg 2>../err
	) &&
	grep "remote: policy-check: rejected: the server.s policy" err &&
	cp policy.good policy.yml &&
	(
		cd server.git &&
		echo "not an update line" | test_must_fail env GIT_DIR=. ../wrappers/pre-receive 2>../err
	) &&
	grep "policy-check: rejected: update line 1" err &&
	vg_clean &&
	pc_audit_verify
'

test_done
