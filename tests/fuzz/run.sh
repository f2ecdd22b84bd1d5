#!/bin/sh
# tests/fuzz/run.sh DIR CORPUS TARGET...: for each target, run DIR/fuzz-TARGET
# over every file of CORPUS/TARGET/ once (the committed regressions), then
# fuzz it for $PC_FUZZ_SECONDS seconds (default 30; 0 replays only).
#
# Prints one "PASS: ..." or "FAIL: ..." line per step, as Automake does, so
# contrib/test.sh can count them; the fuzzing line gives the number of
# executions.  New inputs go to DIR/work/TARGET/, crashes to DIR/crashes/.
# Exits 1 when any step failed.
set -u
dir=$1 corpus=$2
shift 2
seconds=${PC_FUZZ_SECONDS:-30}
# Per input: anything slower than this is a hang.  Memory: ASan's shadow
# needs room, but a single input must not take more.
timeout=${PC_FUZZ_TIMEOUT:-10}
rss=${PC_FUZZ_RSS_MB:-2048}
status=0

mkdir -p "$dir/crashes"
for t in "$@"; do
	prog=$dir/fuzz-$t
	log=$dir/fuzz-$t.log
	seeds=$corpus/$t
	if [ ! -x "$prog" ]; then
		echo "FAIL: fuzz-$t: $prog was not built"
		status=1
		continue
	fi
	set -- "$seeds"/*
	if [ ! -e "$1" ]; then
		echo "FAIL: fuzz-$t: no seed corpus in $seeds"
		status=1
		continue
	fi
	n=$#
	if "$prog" -timeout="$timeout" -rss_limit_mb="$rss" "$@" >"$log" 2>&1; then
		echo "PASS: fuzz-$t replay ($n inputs)"
	else
		echo "FAIL: fuzz-$t replay: see $log"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -n 5
		status=1
		continue
	fi
	[ "$seconds" -gt 0 ] || continue
	mkdir -p "$dir/work/$t"
	if "$prog" -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb="$rss" \
		-print_final_stats=1 -artifact_prefix="$dir/crashes/$t-" \
		"$dir/work/$t" "$seeds" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
		echo "PASS: fuzz-$t fuzzing (${runs:-?} executions in $seconds s)"
	else
		echo "FAIL: fuzz-$t fuzzing: see $log"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|artifact_prefix|Test unit written)' "$log" | head -n 8
		status=1
	fi
done
exit $status
