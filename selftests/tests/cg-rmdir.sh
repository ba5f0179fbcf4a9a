#!/bin/sh
# Lifecycle: removing a configured cgroup (rmdir) removes its entry within
# a second, the removal event appears in `sluice monitor` (text and JSON),
# and counting goes on for the others. (A cgroup can be removed only once
# it has no child cgroup, so no entry hangs off a removed one; that
# children's entries hang off the next configured ancestor when an entry
# is deleted is cg-account's check.) The leak check is the runner's (kmemleak on the debug kernel,
# and the module must unload at the end).
# timeout: 90
. /selftests/lib.sh
ensure_module
world_setup
container_new 1 web/a
REL=${CG_TOP#/sys/fs/cgroup}
mkdir "$CG_TOP/web/gone" "$CG_TOP/web/gone/kid" || fail "mkdir"
for c in web web/a web/gone web/gone/kid; do
	sluice cgroup set "$CG_TOP/$c" rate 100mbit || fail "cgroup set $c"
done
ids() { sluice cgroup show -j | jq -r '.cgroups[].path' | sort | tr '\n' ' '; }
has() { sluice cgroup show -j | jq -e --arg p "$REL/$1" '.cgroups[] | select(.path == $p)' >/dev/null; }
parent_of() { cg_stat "$CG_TOP/$1" parent_id; }

sluice monitor -t >"$SL_TMP/mon.txt" 2>&1 &
cleanup_add "kill $! 2>/dev/null"
sluice monitor -j >"$SL_TMP/mon.json" 2>"$SL_TMP/mon.json.err" &
cleanup_add "kill $! 2>/dev/null"
wait_for 10 grep -q listening "$SL_TMP/mon.txt" || fail "monitor did not start: $(cat "$SL_TMP/mon.txt")"
wait_for 10 grep -q listening "$SL_TMP/mon.json.err" || fail "monitor -j did not start: $(cat "$SL_TMP/mon.json.err")"

# Traffic into web/a meanwhile.
bulk_recv 1 5001 r -u
# It lasts until the test ends: the steps below take a few seconds on 6.1,
# more than ten on a busy KASAN VM.
in_ns "$NS_W" sl-bulk send -u --to 10.200.1.2:5001 --rate 10mbit --duration 300 >/dev/null 2>&1 &
cleanup_add "kill $! 2>/dev/null"
kid_id=$(stat -c %i "$CG_TOP/web/gone/kid")
web_id=$(stat -c %i "$CG_TOP/web")

# The deepest goes first, then its parent.
# The monitor stamps each event with CLOCK_MONOTONIC, which /proc/uptime
# follows: the latency is the kernel's, not this script's polling.
start=$(cut -d' ' -f1 /proc/uptime)
rmdir "$CG_TOP/web/gone/kid" || fail "rmdir kid"
wait_for 5 grep -q "cgroup-removed $REL/web/gone/kid id $kid_id" "$SL_TMP/mon.txt" ||
	fail "no removal event for kid: $(cat "$SL_TMP/mon.txt")"
end=$(grep " cgroup-removed $REL/web/gone/kid " "$SL_TMP/mon.txt" | sed 's/^\[\([0-9.]*\)\].*/\1/')
log "event $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s after the rmdir: $(grep kid "$SL_TMP/mon.txt")"
awk -v a="$start" -v b="$end" 'BEGIN { exit !(b != "" && b - a <= 1.0) }' || fail "the event took more than 1 s (rmdir at $start, event at $end)"
has web/gone/kid && fail "kid's entry is still there: $(ids)"
wait_for 2 grep -q "\"path\":\"$REL/web/gone/kid\"" "$SL_TMP/mon.json" ||
	fail "no JSON event: $(cat "$SL_TMP/mon.json")"
jq -e --argjson id "$kid_id" 'select(.event == "cgroup-removed" and .id == $id)' "$SL_TMP/mon.json" >/dev/null ||
	fail "bad JSON event: $(cat "$SL_TMP/mon.json")"

rmdir "$CG_TOP/web/gone" || fail "rmdir gone"
wait_for 2 grep -q "cgroup-removed $REL/web/gone id" "$SL_TMP/mon.txt" || fail "no event for gone"
has web/gone && fail "gone's entry is still there"
expect_eq "web/a's parent, after its sibling's removal" "$(parent_of web/a)" "$web_id"

# The others still count.
packets() { cg_stat "$CG_TOP/web/a" packets; }
p0=$(packets)
more() { [ "$(packets)" -gt "$p0" ]; }
wait_for 5 more || fail "web/a stopped counting ($p0 packets): $(cat "$SL_TMP/r.out")"
log "left: $(ids)"
