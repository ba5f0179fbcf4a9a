#!/bin/sh
# The outer packets of a UDP tunnel are nobody's. A VXLAN device's socket
# belongs to the cgroup of whoever brought the device up (here "tun");
# the inner packets it hands back to the stack go to their own receiver
# (container 1's cgroup). The receiver's cgroup is charged the inner
# packets, the tunnel's cgroup nothing, and the outer packets are counted
# as unattributed in the container's namespace (Documentation/ingress.md).
# Charged to the tunnel socket's cgroup, every overlay byte counted twice.
#
#   world 10.200.1.1 --- 10.200.1.2 ct1      (underlay, veth)
#   world 192.168.77.1 === 192.168.77.2 ct1  (VXLAN 42 over it)
# timeout: 60
. /selftests/lib.sh
ensure_module
modprobe vxlan 2>/dev/null || skip "no vxlan module in this kernel"
world_setup
container_new 1 rx
CG_TUN=$(cg_new tun)
sluice cgroup set "$CG_CT1" || fail "cgroup set rx"
sluice cgroup set "$CG_TUN" || fail "cgroup set tun"
ip -n "$NS_W" link add vx0 type vxlan id 42 local 10.200.1.1 remote 10.200.1.2 dstport 4789 ||
	fail "cannot create a VXLAN device"
ip -n "$NS_CT1" link add vx0 type vxlan id 42 local 10.200.1.2 remote 10.200.1.1 dstport 4789
ip -n "$NS_W" addr add 192.168.77.1/24 dev vx0
ip -n "$NS_CT1" addr add 192.168.77.2/24 dev vx0
ip -n "$NS_W" link set vx0 up
# The device's UDP socket is made now, in the cgroup of this process.
in_cg "$CG_TUN" /usr/sbin/ip -n "$NS_CT1" link set vx0 up || fail "cannot bring the VXLAN device up"

read -r tp0 <<EOT
$(cg_stat "$CG_TUN" packets)
EOT
read -r rp0 <<EOT
$(cg_stat "$CG_CT1" packets)
EOT
u0=$(in_ct 1 sluice cgroup show -j | jq .unattributed.packets)
bulk_recv 1 5001 u -u
in_ns "$NS_W" sl-bulk send -u --to 192.168.77.2:5001 --rate 8mbit --size 1000 --duration 2 >"$SL_TMP/su.out" 2>&1 ||
	fail "udp sender: $(cat "$SL_TMP/su.out")"
bulk_stop u
tp=$(($(cg_stat "$CG_TUN" packets) - tp0)) rp=$(($(cg_stat "$CG_CT1" packets) - rp0))
u=$(($(in_ct 1 sluice cgroup show -j | jq .unattributed.packets) - u0))
log "sent: $(tail -1 "$SL_TMP/su.out"); received: $(tail -1 "$SL_TMP/u.out")"
log "charged: rx $rp packets, tun $tp; unattributed in ct1's namespace $u"
# Every datagram that got through is charged to the receiver, and no more
# than were sent: against the datagrams counted at both ends, not a fixed
# number (the KASAN kernel's sender gets 200-400 of 2,000 out in 2 s).
sent=$(sed -n 's/^total .*datagrams=\([0-9]*\).*/\1/p' "$SL_TMP/su.out")
got=$(($(sed -n 's/^summary bytes=\([0-9]*\).*/\1/p' "$SL_TMP/u.out") / 1000))
[ "${sent:-0}" -ge 100 ] && [ "$got" -ge 100 ] ||
	fail "too few datagrams to tell: ${sent:-no} sent, $got received"
[ "$rp" -ge "$got" ] || fail "the receiver's cgroup was charged $rp packets for $got datagrams received"
[ "$rp" -le "$sent" ] || fail "the receiver's cgroup was charged $rp packets for $sent datagrams sent"
expect_eq "packets charged to the tunnel socket's cgroup" "$tp" 0
[ "$u" -ge "$rp" ] || fail "only $u outer packets counted as unattributed for $rp inner ones"
