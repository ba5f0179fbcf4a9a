#!/bin/sh
# The module goes and comes back, cycle after cycle, while packets keep
# going through both of its halves: a UDP flood into a container whose
# cgroup has a rate, and new UDP flows to a service balanced over two
# backends. Each cycle unloads (hooks, NAT chain, every entry and service
# freed under traffic), loads and configures again. Every step must
# succeed; afterwards both halves work (the flood is charged again,
# every new flow is answered) and the kernel log is clean (the
# runner checks it, and kmemleak on the debug kernel).
#
# Each load and unload registers and unregisters netfilter hooks, which
# flips static keys and so patches kernel text on one vCPU while the other
# runs through it; see Documentation/testing.md for why the VMs run QEMU's
# TCG single-threaded.
#
# timeout: 300
. /selftests/lib.sh
ensure_module
world_setup
container_new 1 p/a
topo_setup 2
for i in 1 2; do backend_start $i; done

configure() {
	sluice cgroup set "$CG_CT1" rate 20mbit || fail "cgroup set ($1)"
	h sluice service add udp $VIP4:80 || fail "service add ($1)"
	for i in 1 2; do
		h sluice backend add udp $VIP4:80 "$(be4 $i)" || fail "backend add $i ($1)"
	done
}
configure "first load"

bulk_recv 1 5001 r -u
in_ns "$NS_W" sl-bulk send -u --to 10.200.1.2:5001 --rate 60mbit --duration 900 >/dev/null 2>&1 &
cleanup_add "kill $! 2>/dev/null"
( while [ ! -e "$SL_TMP/stop" ]; do
	c sl-client -u -n 20 --concurrent 5 --timeout 2 $VIP4:80 >/dev/null 2>&1
  done ) &
LOOP=$!
cleanup_add "touch $SL_TMP/stop; kill $LOOP 2>/dev/null"
wait_for 10 grep -q '^t=' "$SL_TMP/r.out" || fail "no flood: $(cat "$SL_TMP/r.out")"
flows_seen() { [ "$(svc_jq udp $VIP4 .stats.assigned)" -ge 20 ]; }
wait_for 30 flows_seen || fail "no flows to the service"

# 20 cycles take about 50 s on 6.1 and 6.12, 250 on the KASAN kernel,
# which gets 5 (its value is KASAN and kmemleak watching each unload).
cycles=20
[ -n "$SANITIZED" ] && cycles=5
for n in $(seq 1 "$cycles"); do
	rmmod sluice || fail "rmmod, cycle $n"
	modprobe sluice || fail "modprobe, cycle $n"
	configure "cycle $n"
done
log "$cycles unload/load cycles under traffic"

# Both halves work on the last load.
touch "$SL_TMP/stop"
wait $LOOP
c sl-client -u -n 40 --concurrent 8 --timeout 10 $VIP4:80 >"$SL_TMP/after" 2>"$SL_TMP/after.err" ||
	fail "flows after the cycles: $(cat "$SL_TMP/after.err")"
expect_eq "flows answered after the cycles" "$(grep -cE ' b[12]$' "$SL_TMP/after")" 40
b0=$(cg_stat "$CG_CT1" bytes)
sleep 2
b1=$(cg_stat "$CG_CT1" bytes)
[ -n "$b0" ] && [ -n "$b1" ] && [ "$b1" -gt "$b0" ] || fail "flood not charged after the cycles: '$b0' then '$b1'"
log "flood charged $((b1 - b0)) bytes in 2 s on the last load"
exit 0
