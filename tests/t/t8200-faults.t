#!/bin/sh
test_description='fault injection: every failure point of a push rejects it with a message, and the audit log stays whole'
. "$(dirname "$0")/test-lib.sh"

if ! grep -q "define PC_FAULT_INJECTION 1" "$PC_BUILD_DIR/config.h"; then
	skip_all='this build has no fault injection (configure --enable-fault-injection; contrib/test.sh does in _build-asan)'
	test_done
fi

# The hooks run through wrappers that give each hook its own PC_FAULT:
# PC_FAULT_PRE_RECEIVE or PC_FAULT_REFERENCE_TRANSACTION.  Faults injected
# are logged to faults.log (PC_FAULT_LOG).
mkdir -p wrappers
for h in pre-receive reference-transaction record-transaction; do
	var=PC_FAULT_$(echo $h | tr a-z- A-Z_)
	cat >"wrappers/$h" <<-WRAP
	#!/bin/sh
	PC_FAULT=\${$var:-}
	PC_FAULT_LOG="$PWD/faults.log"
	export PC_FAULT PC_FAULT_LOG
	exec "$PC_BUILD_DIR/hooks/$h" "\$@"
	WRAP
	chmod +x "wrappers/$h"
done
PC_HOOK_DIR="$PWD/wrappers"
export PC_HOOK_DIR

# accepted: the number of pre-receive accept records in the log that stand:
# each void record takes one back (doc/audit-format.md, "The void record").
accepted() {
	echo $(( $(grep -c "\"hook\":\"pre-receive\".*\"decision\":\"accept\"" audit/audit.log) -
		$(grep -c "\"hook\":\"pre-receive\".*\"decision\":\"void\"" audit/audit.log) ))
}

# normalize: records without what differs from one push to the next.
normalize() {
	sed -e "s/\"seq\":[0-9]*,\"time\":\"[^\"]*\"//" -e "s/\"push\":\"[0-9a-f]*\"//" \
		-e "s/\"old\":\"[0-9a-f]*\",\"new\":\"[0-9a-f]*\"//"
}

attempts=0

# attempt TAG [VAR=VALUE]: one push, with VAR=VALUE in the environment, of
# a new commit to feature/f and to develop (two refs, promotion and
# approvals from CODEOWNERS at the base).  The same feature branch each
# time: the promotion check walks every feature branch, and a sweep of
# hundreds of pushes must not make each push slower than the last.  Leaves fired (the faults injected), err
# (the pusher's stderr) and pushed (0 or 1), and checks that the log
# verifies and that every ref that moved has an accept record of its new
# value among the records this push added: nothing accepted without a
# record.  Accept records of refs that did not move go to overrecorded.
attempt() {
	rm -f faults.log &&
	git -C server.git for-each-ref --format="%(objectname) %(refname)" | LC_ALL=C sort >refs.before &&
	before=$(accepted) &&
	lines=$(wc -l <audit/audit.log) &&
	attempts=$((attempts + 1)) &&
	(
		cd work &&
		git checkout -q -B feature/f origin/develop &&
		pc_commit "overlays/dev/a$attempts.yaml" "x: $1"
	) &&
	if (cd work && env REMOTE_USER=alice ${2:-} git push origin feature/f HEAD:refs/heads/develop) 2>err
	then pushed=1; else pushed=0; fi &&
	if test -f faults.log; then fired=$(cat faults.log); else fired=; fi &&
	git -C server.git for-each-ref --format="%(objectname) %(refname)" | LC_ALL=C sort >refs.after &&
	LC_ALL=C comm -13 refs.before refs.after >moved &&
	pc_audit_verify >/dev/null &&
	tail -n +$((lines + 1)) audit/audit.log >new-records &&
	while read -r id ref; do
		grep "\"ref\":\"$ref\",\"old\":\"[0-9a-f]*\",\"new\":\"$id\",.*\"decision\":\"accept\"" new-records >/dev/null || {
			echo "attempt $1 ($fired): $ref moved to $id without an accept record"
			return 1
		}
	done <moved &&
	normalize <new-records >new-records.norm &&
	if test "$(( $(accepted) - before ))" != "$(wc -l <moved)"; then
		echo "$fired: $(( $(accepted) - before )) accept records, $(wc -l <moved) refs moved" >>overrecorded
	fi
}

test_expect_success 'setup: a pattern2 server; a push with no fault is accepted' '
	# alice pushes and approves her own commits: what is tested here is
	# the failure points, not who may approve (t8410)
	echo "approvals: { self_approval: true }" >policy.extra &&
	pc_setup_server pattern2 &&
	attempt create &&
	attempt clean &&
	test "$pushed" = 1 && test -z "$fired" &&
	grep "remote: policy-check: accepted refs/heads/develop" err &&
	grep "\"decision\":\"accept\".*\"approvals\":\[{\"user\":\"alice\",\"via\":\"pusher\"" new-records &&
	cp new-records.norm clean-records.norm
'

# sweep HOOK POINT: n = 1, 2, ... until the n-th call of POINT no longer
# happens in HOOK.  In pre-receive an injected fault must reject the push
# with a message, unless it was absorbed (listed in absorbed): then the
# push is accepted with its records, as without the fault.  In
# reference-transaction git has already moved the refs; the push stands
# and the hook may only fail to add its record.  Appends "HOOK POINT: N
# calls" to swept.
sweep() {
	var=PC_FAULT_$(echo $1 | tr a-z- A-Z_) &&
	n=1 &&
	while :; do
		attempt "$2-$n" "$var=$2:$n" || return 1
		if test -z "$fired"; then
			test "$pushed" = 1 || { cat err; return 1; }
			break
		fi
		if test "$1" = pre-receive && test "$pushed" = 1; then
			# Absorbed: a cache that could not be read or written (the
			# audit log's state, rebuilt from the log), or an allocation
			# for the report after the records were written.  Then the
			# records are those of a push without the fault.
			grep "remote: policy-check: audit record" err || {
				echo "fault $fired in $1 accepted the push without a record:"; cat err; return 1
			}
			test_cmp clean-records.norm new-records.norm || {
				echo "fault $fired in $1 changed what was recorded"; return 1
			}
			echo "$fired" >>absorbed
		elif test "$1" = pre-receive; then
			grep "remote: policy-check: rejected" err || {
				echo "fault $fired in $1 rejected the push without saying why:"; cat err; return 1
			}
		fi
		n=$((n + 1))
		if test $n -gt $max_n; then
			echo "$1 $2: still reached at the $max_n-th call; raise PC_FAULT_MAX_N"
			return 1
		fi
	done
	echo "$1 $2: $((n - 1)) calls" >>swept
}

# A push makes a few thousand allocations; a sweep that goes beyond this
# is one that never ends.
max_n=${PC_FAULT_MAX_N:-5000}

for point in open read lock write fsync rename truncate malloc; do
	test_expect_success "pre-receive: each failure of $point rejects the push" "
		sweep pre-receive $point
	"
done

test_expect_success 'a torn final line: the truncate that repairs it can fail too' '
	printf "{\"torn\":" >>audit/audit.log &&
	sweep pre-receive truncate &&
	grep "pre-receive truncate: [1-9]" swept
'

for point in open write fsync rename malloc; do
	test_expect_success "reference-transaction: a failure of $point does not undo the push and leaves the log whole" "
		sweep reference-transaction $point
	"
done

test_expect_success 'the points were reached; absorbed faults are listed' '
	cat swept &&
	if test -f absorbed; then echo "absorbed (accepted with records):"; cat absorbed; fi &&
	for point in open read lock write fsync rename malloc; do
		grep "pre-receive $point: [1-9]" swept || return 1
	done
'

# A failure after the records and the checkpoint are written (the fsync of
# the directory after the rename) rejects the push: its accept records are
# signed and stay, so the append voids each of them with a record.
test_expect_success 'a rejected push leaves no accept record that stands' '
	if test -f overrecorded; then cat overrecorded; false; fi
'

test_expect_success 'after every fault, audit reconcile explains every ref' '
	policy-check audit reconcile --repo server.git audit/audit.log
'

test_done
