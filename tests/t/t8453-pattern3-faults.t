#!/bin/sh
test_description='fault injection: every allocation failure while judging a Pattern3 overlay rejects the push with a message'
. "$(dirname "$0")/test-lib.sh"

if ! grep -q "define PC_FAULT_INJECTION 1" "$PC_BUILD_DIR/config.h"; then
	skip_all='this build has no fault injection (configure --enable-fault-injection; contrib/test.sh does in _build-asan)'
	test_done
fi

# pre-receive runs through a wrapper that passes PC_FAULT_PRE_RECEIVE on
# as PC_FAULT and logs each fault injected to faults.log.
mkdir -p wrappers
for h in pre-receive update reference-transaction record-transaction; do
	cat >"wrappers/$h" <<-WRAP
	#!/bin/sh
	PC_FAULT=\${PC_FAULT_PRE_RECEIVE:-}
	PC_FAULT_LOG="$PWD/faults.log"
	export PC_FAULT PC_FAULT_LOG
	exec "$PC_BUILD_DIR/hooks/$h" "\$@"
	WRAP
	chmod +x "wrappers/$h"
done
PC_HOOK_DIR="$PWD/wrappers"
export PC_HOOK_DIR

test_expect_success 'setup: overlays with a component, patches and links; a prd push to judge' '
	pc_setup_server pattern3 &&
	(
		cd work &&
		mkdir -p components/c &&
		printf "kind: Component\nimages:\n- name: web\n  newTag: \"1\"\n" >components/c/kustomization.yaml &&
		for e in dev stg prd; do
			printf "resources: [../../base]\ncomponents: [../../components/c]\npatches:\n- path: p.yaml\nimages:\n- name: app\n  newTag: \"1.0.0\"\n" \
				>overlays/$e/kustomization.yaml &&
			echo "p: 1" >overlays/$e/p.yaml &&
			ln -s p.yaml overlays/$e/q.yaml || return 1
		done &&
		git add . && git commit -q -m "chore: layout" &&
		# Bootstrapped without the hooks: fetch does not run pre-receive.
		git -C ../server.git fetch -q ../work +HEAD:refs/heads/main &&
		git fetch -q origin &&
		sed -i "s/1.0.0/1.1.0/" overlays/prd/kustomization.yaml &&
		rm overlays/prd/q.yaml && ln -s ../stg/p.yaml overlays/prd/q.yaml &&
		git add . && git commit -q -m "feat: prd" &&
		REMOTE_USER=carol git push -q origin HEAD:refs/heads/feature/x &&
		test_must_fail env REMOTE_USER=alice git push origin HEAD:main 2>../err
	) &&
	grep "environment: overlays/prd/kustomization.yaml sets image app to tag 1.1.0, which stg has never run" err &&
	grep "environment: push changes the overlays of 2 environments (stg, prd)" err
'

# A push makes about 1,400 allocations; a sweep past this never ends.
max_n=${PC_FAULT_MAX_N:-5000}
# The whole sweep takes about 13 minutes under ASan, so by default every
# 4th allocation is tried, starting from one that moves with the day of the
# year: four days of CI runs cover them all, and a failure names its
# malloc:N.  PC_FAULT_STEP=1 sweeps every allocation.
step=${PC_FAULT_STEP:-4}
start=${PC_FAULT_START:-$(( $(date +%j | sed "s/^0*//") % step + 1 ))}
echo "# sweeping every allocation from $start in steps of $step"

test_expect_success 'each allocation failure rejects the push with a message' '
	n=$start && : >problems &&
	while :; do
		rm -f faults.log &&
		if (cd work && env REMOTE_USER=alice PC_FAULT_PRE_RECEIVE=malloc:$n git push origin HEAD:main) >out 2>&1
		then echo "malloc:$n: accepted" >>problems; fi &&
		if ! test -f faults.log; then break; fi &&
		if ! grep -q "remote: policy-check: rejected" out; then
			echo "malloc:$n: no message" >>problems; cat out >>problems
		fi &&
		if grep -q "Sanitizer\|runtime error" out; then
			echo "malloc:$n: sanitizer" >>problems; cat out >>problems
		fi &&
		n=$((n + step)) &&
		if test $n -gt $max_n; then echo "still reached at $max_n" >>problems; break; fi
	done &&
	cat problems &&
	test_must_be_empty problems
'

test_done
