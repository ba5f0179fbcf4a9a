#!/bin/sh
# Unloading the module while services exist and traffic flows: TCP
# connections held open and exchanging data, UDP flows being opened, IPv4
# and IPv6 services, tracked connections in flight. rmmod succeeds and
# the kernel stays quiet (the runner checks the log, and kmemleak on the debug
# kernel). Then a namespace with services and live connections is
# deleted, which must release everything too. Both times one service was
# deleted just before, its connections kept: the module still holds it.
#
# timeout: 120
. /selftests/lib.sh
ensure_module

topo_setup 2
for i in 1 2; do backend_start $i; done

setup() {
	h sluice service add tcp $VIP4:80 || fail "service add tcp"
	h sluice service add udp "[$VIP6]:80" || fail "service add udp6"
	for i in 1 2; do
		h sluice backend add tcp $VIP4:80 "$(be4 $i)" || fail "backend add tcp $i"
		h sluice backend add udp "[$VIP6]:80" "$(be6 $i)" || fail "backend add udp $i"
	done
}
setup

c sl-client -n 20 --concurrent 20 --timeout 10 --exchange-every 100 \
	--hold-until-file "$SL_TMP/release" --ready-file "$SL_TMP/ready" $VIP4:80 \
	>"$SL_TMP/held" 2>"$SL_TMP/held.err" &
HELD=$!
cleanup_add "kill $HELD 2>/dev/null"
wait_for 60 test -e "$SL_TMP/ready" || fail "held connections not ready: $(cat "$SL_TMP/held.err")"
expect_eq "live TCP connections" "$(svc_jq tcp $VIP4 .stats.live)" 20

# UDP flows keep coming while the module goes.
( while [ ! -e "$SL_TMP/stop" ]; do
	c sl-client -u -n 50 --concurrent 10 --timeout 2 "[$VIP6]:80" >/dev/null 2>&1
  done ) &
LOOP=$!
cleanup_add "touch $SL_TMP/stop; kill $LOOP 2>/dev/null"
udp_seen() { [ "$(svc_jq udp $VIP6 .stats.assigned)" -ge 50 ]; }
wait_for 30 udp_seen || fail "no UDP traffic"

# The TCP service goes first, with keep (TCP's default): its connections
# go on, so the module holds the deleted service until they end.
h sluice service del tcp $VIP4:80 || fail "service del tcp"
rmmod sluice || fail "rmmod with services and traffic failed"
module_loaded && fail "still loaded"
log "unloaded with services and traffic"
touch "$SL_TMP/stop"
wait $LOOP

# Without the module (and with no other NAT user in the namespace) the NAT
# core's hooks go too, so the held connections lose their translation:
# they only have to close.
touch "$SL_TMP/release"
wait $HELD
log "held connections after the unload: $(grep exchanges= "$SL_TMP/held.err")"

# Again, and this time the namespace goes with live connections in it.
modprobe sluice || fail "reload"
setup
rm -f "$SL_TMP/release" "$SL_TMP/ready"
c sl-client -n 10 --concurrent 10 --timeout 10 \
	--hold-until-file "$SL_TMP/release" --ready-file "$SL_TMP/ready" $VIP4:80 \
	>"$SL_TMP/held2" 2>"$SL_TMP/held2.err" &
HELD=$!
cleanup_add "kill $HELD 2>/dev/null"
wait_for 60 test -e "$SL_TMP/ready" || fail "held connections not ready: $(cat "$SL_TMP/held2.err")"
expect_eq "live TCP connections" "$(svc_jq tcp $VIP4 .stats.live)" 10
h sluice service del tcp $VIP4:80 || fail "service del tcp (2)"
netns_del "$NS_H"
wait_for 30 sh -c "! ip netns list | grep -q $NS_H" || fail "host namespace not deleted"
touch "$SL_TMP/release"
wait $HELD
log "namespace deleted with services and live connections"
# The module must still unload: no namespace state left behind.
rmmod sluice || fail "rmmod after the namespace went"
modprobe sluice || fail "reload"
exit 0
