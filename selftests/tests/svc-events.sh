#!/bin/sh
# Events: when a key's first choice is full, `sluice monitor` hears a
# backend-full event naming the service and that backend (at most one a
# second per service).
#
#   client ---- host (sluice, c = 1.1) ---- b1, b2
#
# timeout: 60
. /selftests/lib.sh
ensure_module

topo_setup 2
for i in 1 2; do backend_start $i; done
VIP=$VIP4:80

h sluice service add tcp $VIP balance 1.1 affinity src || fail "service add"
for i in 1 2; do h sluice backend add tcp $VIP "$(be4 $i)" || fail "backend add $i"; done
h sluice monitor >"$SL_TMP/events" 2>&1 &
cleanup_add "kill $! 2>/dev/null"
wait_for 10 grep -q listening "$SL_TMP/events" || fail "sluice monitor: $(cat "$SL_TMP/events")"

# One client, 20 connections held: its first choice is full after 11.
c sl-client -n 20 --concurrent 20 --timeout 10 --hold-until-file "$SL_TMP/release" \
	--ready-file "$SL_TMP/ready" $VIP >"$SL_TMP/out" 2>&1 &
cleanup_add "kill $! 2>/dev/null"
wait_for 60 test -e "$SL_TMP/ready" || fail "connections not ready: $(cat "$SL_TMP/out")"
over=$(svc_jq tcp $VIP4 .stats.overflows)
[ "$over" -gt 0 ] || fail "no overflow with one hot client"
# The key's first choice is the backend that holds most of the client's
# connections: it takes them up to its cap (11 of 20), the other one only
# what overflows.
first=$(awk '$3 ~ /^b[12]$/ { n[$3]++ } END { for (b in n) if (n[b] > 10) print b }' "$SL_TMP/out")
[ -n "$first" ] || fail "no backend holds most of the connections: $(awk '{ print $3 }' "$SL_TMP/out" | sort | uniq -c | tr '\n' ' ')"
first=$(be4 "${first#b}")
wait_for 10 grep -q "^backend-full tcp $VIP backend " "$SL_TMP/events" ||
	fail "no backend-full event after $over overflows: $(cat "$SL_TMP/events")"
grep "^backend-full" "$SL_TMP/events" | grep -qv "^backend-full tcp $VIP backend $first\$" &&
	fail "a backend-full event names another backend than the first choice $first: $(cat "$SL_TMP/events")"
log "$over overflows; event: $(grep -m1 backend-full "$SL_TMP/events")"
n=$(grep -c backend-full "$SL_TMP/events")
[ "$n" -le 2 ] || fail "$n backend-full events in a burst: not rate limited"
touch "$SL_TMP/release"
exit 0
