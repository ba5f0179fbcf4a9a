#!/bin/sh
# The rate tests' watch, sl-stall, sees the guest stand still: a process
# that cannot run for 0.5 s (stopped with SIGSTOP, as a VM its host does
# not run) is reported as a stall of about that length, on every kernel.
# The rate tests measure again when the guest stood still (stall_retry in
# lib.sh; Documentation/testing.md), so a watch that saw nothing would
# leave them blind to it. Its bad options are refused with their message.
# timeout: 30
. /selftests/lib.sh

sl-stall --duration 3 >"$SL_TMP/stall.out" 2>&1 &
pid=$!
cleanup_add "kill $pid 2>/dev/null"
sleep 1
kill -STOP $pid
sleep 0.5
kill -CONT $pid
wait $pid || fail "sl-stall failed: $(cat "$SL_TMP/stall.out")"
log "stopped for 0.5 s: $(cat "$SL_TMP/stall.out")"
grep -q SCHED_FIFO "$SL_TMP/stall.out" && fail "sl-stall did not run as SCHED_FIFO: $(cat "$SL_TMP/stall.out")"
set -- $(sed -n 's/^stall ms=\([0-9.]*\) longest_ms=\([0-9.]*\) count=\([0-9]*\) seconds=\([0-9.]*\)$/\1 \2 \3 \4/p' "$SL_TMP/stall.out")
[ $# -eq 4 ] || fail "no stall line: $(cat "$SL_TMP/stall.out")"
# The stop began at most one tick (1 ms) after a wake-up was due.
awk -v l="$2" 'BEGIN { exit !(l >= 490) }' || fail "the longest stall is $2 ms, the stop 500"
awk -v t="$1" -v l="$2" -v s="$4" 'BEGIN { exit !(t >= l && t <= s * 1000) }' ||
	fail "stalls of $1 ms in all: not between the longest ($2) and the $4 s measured"
[ "$3" -ge 1 ] || fail "no stall counted"

# Bad options are refused, naming what is wrong.
expect_fail "invalid --duration 'x'" sl-stall --duration x
expect_fail "at least 0.001" sl-stall --tick-ms 0
expect_fail "unknown option '-x'" sl-stall -xh
expect_fail "option '--over-ms' needs an argument" sl-stall --over-ms
