#!/bin/sh
# Drain: after `backend set ... weight 0` no new connection lands on the
# backend, while the connections it had keep exchanging data and keep
# counting as its live load; weight 1 brings it back; the counts return
# to zero once everything has closed. IPv6, TCP.
#
#   client ---- host (sluice) ---- b1, b2, b3
#
# timeout: 120
. /selftests/lib.sh
ensure_module

topo_start 3
VIP="[$VIP6]:80"

h sluice service add tcp $VIP affinity tuple || fail "service add"
for i in 1 2 3; do h sluice backend add tcp $VIP "$(be6 $i)" || fail "backend add $i"; done

# 9 long-lived connections that exchange a message every 100 ms.
held_open 9 $VIP
X=$(awk '{print $3}' "$SL_TMP/held" | head -1)	# the backend to drain
x=${X#b}
nx=$(grep -c " $X\$" "$SL_TMP/held")
log "draining $X, which holds $nx of the 9 connections"

h sluice backend set tcp $VIP "$(be6 $x)" weight 0 || fail "backend set weight 0"
expect_eq "weight shown" "$(svc_jq tcp $VIP6 ".backends[] | select(.address == \"fd00:b:$x::2\") | .weight")" 0

# New connections avoid it.
c sl-client -n 60 --concurrent 10 --timeout 10 $VIP >"$SL_TMP/new" 2>"$SL_TMP/new.err" ||
	fail "new connections failed: $(cat "$SL_TMP/new.err")"
n=$(grep -c " $X\$" "$SL_TMP/new")
expect_eq "new connections on the drained backend" "$n" 0
expect_eq "new connections answered" "$(grep -cE ' b[123]$' "$SL_TMP/new")" 60
# Its established connections are still its load, and still open.
wait_for 20 sh -c "[ \"\$(sed -n 's/.*active=\([0-9]*\).*/\1/p' $SL_TMP/$X.count)\" = $nx ]" ||
	fail "$X's server holds $(backend_active $x) connections, want $nx"
expect_eq "$X's live count in sluice" "$(svc_be_live tcp $VIP6 fd00:b:$x::2)" "$nx"

# Data still flows over them: let a few more exchanges happen after the
# drain, then close; the client fails on any exchange that did not come
# back intact.
ex0=$(cut -d. -f1 /proc/uptime)
wait_for 10 sh -c "[ \$(cut -d. -f1 /proc/uptime) -ge $((ex0 + 2)) ]"
held_close
log "held connections: $(grep exchanges= "$SL_TMP/held.err")"

# Back in service: it takes new connections again.
h sluice backend set tcp $VIP "$(be6 $x)" weight 1 || fail "backend set weight 1"
c sl-client -n 60 --concurrent 10 --timeout 10 $VIP >"$SL_TMP/back" 2>"$SL_TMP/back.err" ||
	fail "connections after undraining failed: $(cat "$SL_TMP/back.err")"
grep -q " $X\$" "$SL_TMP/back" || fail "$X takes no connection after weight 1"

zero() { [ "$(svc_json | jq '[.services[].stats.live, .services[].backends[].stats.live] | add')" = 0 ]; }
wait_for 30 zero || fail "live counts stay at $(svc_json | jq -c '[.services[].backends[].stats.live]')"
log "every count back to zero"
exit 0
