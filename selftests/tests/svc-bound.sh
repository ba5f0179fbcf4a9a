#!/bin/sh
# Bounded loads. With many concurrent long-lived TCP connections, every
# backend's live count stays within ceil(c * total * w / W), read both from
# `sluice show -j` and from the servers' own counts -- first with keys
# spread (affinity tuple), then with a few hot clients and affinity src,
# whose first choices overflow. Weights 1,1,2,1 make the caps differ.
# The counts return to zero once every connection has closed.
#
#   client (10.0.1.1, 10.0.2.1-2) ---- host (sluice) ---- b1 .. b4
#
# timeout: 180
. /selftests/lib.sh
ensure_module

topo_setup 4
topo_client_addrs 2
for i in 1 2 3 4; do backend_start $i; done
VIP=$VIP4:80

h sluice service add tcp $VIP balance 1.25 affinity tuple || fail "service add"
for i in 1 2 3 4; do
	w=1; [ $i = 3 ] && w=2
	h sluice backend add tcp $VIP "$(be4 $i)" weight $w || fail "backend add $i"
done

# servers_agree TOTAL: the servers' active counts equal sluice's per
# backend, and add up to TOTAL.
servers_agree() {
	local i sum=0 a l
	for i in 1 2 3 4; do
		a=$(backend_active $i); l=$(svc_be_live tcp $VIP4 10.1.$i.2)
		[ "$a" = "$l" ] || return 1
		sum=$((sum + a))
	done
	[ $sum = "$1" ]
}

# held N FILE-PREFIX [sl-client options]: N connections opened and held.
held() {
	local n=$1 p=$2
	shift 2
	c sl-client -n "$n" --concurrent "$n" --timeout 30 \
		--hold-until-file "$SL_TMP/release" --ready-file "$p.ready" "$@" $VIP \
		>"$p.out" 2>"$p.err" &
	echo $! >"$p.pid"
	cleanup_add "kill $! 2>/dev/null"
	wait_for 90 test -e "$p.ready" || fail "$n connections not ready: $(cat "$p.err")"
	[ "$(grep -cE ' b[1-4]$' "$p.out")" = "$n" ] ||
		fail "not every connection answered: $(grep ERROR "$p.out" | head -3; cat "$p.err")"
}

# 1. Spread keys: 120 connections, affinity tuple.
held 120 "$SL_TMP/spread"
expect_eq "live connections" "$(svc_jq tcp $VIP4 .stats.live)" 120
svc_check_bound tcp $VIP4
wait_for 20 servers_agree 120 || fail "servers' counts differ from sluice's: $(for i in 1 2 3 4; do echo "b$i $(backend_active $i)/$(svc_be_live tcp $VIP4 10.1.$i.2)"; done)"
log "servers' own counts agree with sluice's"

# 2. Hot clients: 2 addresses, 100 connections each, affinity src. Caps
# at 320 connections are 80 (weight 1) and 160 (weight 2): whichever
# backends the two keys prefer, one of them fills up and its connections
# overflow -- within the bound.
h sluice service set tcp $VIP affinity src || fail "service set affinity src"
before=$(svc_jq tcp $VIP4 .stats.overflows)
held 200 "$SL_TMP/hot" --src 10.0.2.1,10.0.2.2
expect_eq "live connections" "$(svc_jq tcp $VIP4 .stats.live)" 320
svc_check_bound tcp $VIP4
wait_for 20 servers_agree 320 || fail "servers' counts differ from sluice's: $(for i in 1 2 3 4; do echo "b$i $(backend_active $i)/$(svc_be_live tcp $VIP4 10.1.$i.2)"; done)"
over=$(svc_jq tcp $VIP4 .stats.overflows)
[ "$over" -gt "$before" ] || fail "hot clients never overflowed their first choice ($over)"
log "hot clients: $((over - before)) assignments left a full first choice"
# Each hot client's connections: on its first choice while not full, so
# they sit on few backends, and no backend holds more than its cap.
for s in 1 2; do
	log "client 10.0.2.$s: $(grep "^10.0.2.$s " "$SL_TMP/hot.out" | awk '{print $3}' | sort | uniq -c | tr -s ' \n' ' ')"
done

# 3. Everything closes: counts back to zero, on both sides.
touch "$SL_TMP/release"
for p in spread hot; do
	wait "$(cat "$SL_TMP/$p.pid")" || fail "client $p failed: $(cat "$SL_TMP/$p.err")"
done
zero() { [ "$(svc_json | jq '[.services[].stats.live, .services[].backends[].stats.live] | add')" = 0 ]; }
wait_for 30 zero || fail "live counts stay at $(svc_json | jq -c '[.services[].backends[].stats.live]')"
wait_for 30 servers_agree 0 || fail "servers still count connections"
log "every count back to zero"
exit 0
