#!/bin/sh
# contrib/test.sh: install what is missing, build, and run every test.
# Ends with "N passed, N failed" (", N skipped" when any).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. contrib/deps.sh
pc_need_packages $PC_BUILD_PACKAGES
if [ -f contrib/integration-deps.sh ]; then . contrib/integration-deps.sh; pc_want_packages $PC_INTEGRATION_PACKAGES; fi

build=${PC_BUILD:-$top/_build}
pc_build "$build"

status=0
make -C "$build" -j"$(nproc)" check >"$build/check.out" 2>&1 || status=$?
grep -E '^(PASS|FAIL|XFAIL|XPASS|ERROR|SKIP):' "$build/check.out" | grep -v '^PASS' || true

# Count test points (each TAP line), not files, from Automake's .trs files.
count() { find "$build" -name '*.trs' -exec cat {} + 2>/dev/null | grep -c "^:test-result: $1" || true; }
passed=$(count PASS); failed=$(( $(count FAIL) + $(count ERROR) + $(count XPASS) )); skipped=$(count SKIP)
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then
	tail -n 40 "$build/check.out"
	failed=1
fi
line="$passed passed, $failed failed"
[ "$skipped" != 0 ] && line="$line, $skipped skipped"
echo "$line"
[ "$failed" = 0 ]
