#!/bin/sh
# contrib/test.sh: install what is missing, build, and run every test:
#
#   _build       the normal build: make check (tests/t/t8300-valgrind.t runs
#                a sample of pushes with the hooks under valgrind), then
#                every unit test under valgrind
#   _build-asan  --enable-sanitizers --enable-fault-injection: make check
#                again, hooks included, with ASan, LeakSanitizer and UBSan
#                stopping at the first error; any sanitizer report fails the
#                run, even one from a command a test expected to fail
#   fuzzing      make fuzz-check: every fuzz target replays its corpus and
#                fuzzes for $PC_FUZZ_SECONDS seconds (default 30; 0 replays only)
#
# PC_QUICK=1 runs the normal build's make check only.  Ends with
# "N passed, N failed" (", N skipped" when any) over all of them.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. contrib/deps.sh
quick=${PC_QUICK:-0}
if [ "$quick" = 1 ]; then
	pc_need_packages $PC_BUILD_PACKAGES
else
	pc_need_packages $PC_BUILD_PACKAGES clang valgrind
fi
if [ -f contrib/integration-deps.sh ]; then . contrib/integration-deps.sh; pc_want_packages $PC_INTEGRATION_PACKAGES; fi
start=$(date +%s)

passed=0 failed=0 skipped=0
# tally FILE: add the PASS/FAIL/SKIP lines of FILE to the counts.
tally() {
	passed=$(( passed + $(grep -c '^PASS:' "$1" || true) ))
	failed=$(( failed + $(grep -c '^FAIL:' "$1" || true) ))
	skipped=$(( skipped + $(grep -c '^SKIP:' "$1" || true) ))
}
# check DIR: make check in DIR, counting test points (each TAP line), not
# files, from Automake's .trs files.
check() {
	status=0
	make -C "$1" -j"$(nproc)" check >"$1/check.out" 2>&1 || status=$?
	grep -E '^(PASS|FAIL|XFAIL|XPASS|ERROR|SKIP):' "$1/check.out" | grep -v '^PASS' || true
	count() { find "$1" -name '*.trs' -exec cat {} + 2>/dev/null | grep -c "^:test-result: $2" || true; }
	p=$(count "$1" PASS) s=$(count "$1" SKIP)
	f=$(( $(count "$1" FAIL) + $(count "$1" ERROR) + $(count "$1" XPASS) ))
	if [ "$status" != 0 ] && [ "$f" = 0 ]; then
		tail -n 40 "$1/check.out"
		f=1
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}
step() { echo "== $* ($(( $(date +%s) - start )) s)"; }

build=${PC_BUILD:-$top/_build}
step "build and make check in $build"
pc_build "$build"
check "$build"

if [ "$quick" != 1 ]; then
	# Unit tests under valgrind: memory errors and leaks fail them.  With
	# PC_UNIT_VALGRIND a randomised test runs a tenth of its rounds.
	step "unit tests under valgrind"
	: >"$build/valgrind.out"
	for t in "$build"/tests/unit/test-*; do
		case $t in *.o|*.log|*.trs|*.valgrind) continue ;; esac
		[ -x "$t" ] || continue
		name=${t#"$build"/}
		if PC_UNIT_VALGRIND=1 valgrind -q --error-exitcode=99 --leak-check=full --log-file="$t.valgrind" \
			--suppressions="$top/tests/unit/libgit2.supp" \
			"$t" >/dev/null 2>&1 && [ ! -s "$t.valgrind" ]; then
			echo "PASS: valgrind $name" >>"$build/valgrind.out"
		else
			echo "FAIL: valgrind $name (see $t.valgrind)" >>"$build/valgrind.out"
		fi
	done
	grep -v '^PASS' "$build/valgrind.out" || true
	tally "$build/valgrind.out"

	asan=${PC_BUILD_ASAN:-$top/_build-asan}
	step "sanitizer build and make check in $asan"
	pc_build "$asan" --enable-sanitizers --enable-fault-injection
	logs=$asan/sanitizer-logs
	rm -rf "$logs" && mkdir -p "$logs"
	# Reports go to files, so that a report from a command a test expected
	# to fail (a rejected push, a refused policy) cannot go unnoticed.
	ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=0:log_path=$logs/asan"
	UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan"
	export ASAN_OPTIONS UBSAN_OPTIONS
	check "$asan"
	unset ASAN_OPTIONS UBSAN_OPTIONS
	for f in "$logs"/*; do
		[ -e "$f" ] || continue
		echo "FAIL: sanitizer report $f:"
		head -n 30 "$f"
		failed=$((failed + 1))
	done

	step "fuzzing (${PC_FUZZ_SECONDS:-30} s per target)"
	make -s -C "$build" -j"$(nproc)" fuzz >"$build/fuzz-build.out" 2>&1 ||
		{ cat "$build/fuzz-build.out"; echo "FAIL: make fuzz" >>"$build/fuzz-build.out"; }
	tally "$build/fuzz-build.out"
	make -s -C "$build" fuzz-check >"$build/fuzz.out" 2>&1 || true
	cat "$build/fuzz.out"
	tally "$build/fuzz.out"
fi

step "done"
line="$passed passed, $failed failed"
[ "$skipped" != 0 ] && line="$line, $skipped skipped"
echo "$line"
[ "$failed" = 0 ]
