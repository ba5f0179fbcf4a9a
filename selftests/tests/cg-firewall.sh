#!/bin/sh
# A packet the firewall drops is nobody's. The firewall here is a filter
# chain at firewalld's priority (filter + 10) that drops UDP to one port,
# in place before sluice registers its hook in that namespace (the usual
# order when firewalld starts at boot and the module is loaded later:
# a hook registered last at an equal priority runs first). Datagrams to
# the dropped port are not charged to the listener's cgroup; the same
# datagrams to an open port are. IPv4 and IPv6.
#
#   world ---- ct1 (cgroup fw/a, a listener on 6001 and one on 6002;
#                   table inet fw: udp dport 6001 drop)
# timeout: 120
. /selftests/lib.sh
world_setup
container_new 1 fw/a
if module_loaded; then
	rmmod sluice || fail "cannot unload sluice"
fi
in_ns "$NS_CT1" nft -f - <<'NFT' || fail "cannot add the firewall's table"
table inet fw {
	chain input {
		type filter hook input priority filter + 10;
		udp dport 6001 counter drop
	}
}
NFT
modprobe sluice || fail "cannot load sluice"
sluice cgroup set "$CG_CT1" || fail "cgroup set fw/a"
bulk_recv 1 6001 closed -u

# send DST PORT: 1 s of 1,000-byte datagrams at 8 Mbit/s from the world.
send() {
	in_ns "$NS_W" sl-bulk send -u --to "$1:$2" --rate 8mbit --size 1000 --duration 1 \
		>"$SL_TMP/s.out" 2>&1 || fail "sender to $1:$2: $(cat "$SL_TMP/s.out")"
}
fw_dropped() {
	in_ns "$NS_CT1" nft list chain inet fw input |
		sed -n 's/.*counter packets \([0-9]*\) .*/\1/p'
}

n=0
for dst in 10.200.1.2 "[fd00:200:1::2]"; do
	n=$((n + 1))
	d0=$(fw_dropped) b0=$(cg_stat "$CG_CT1" bytes)
	send "$dst" 6001
	d1=$(fw_dropped) b1=$(cg_stat "$CG_CT1" bytes)
	log "$dst:6001: the firewall dropped $((d1 - d0)) datagrams; fw/a charged $((b1 - b0)) bytes"
	[ $((d1 - d0)) -ge 100 ] || fail "the firewall dropped only $((d1 - d0)) datagrams to $dst:6001"
	expect_eq "bytes charged to fw/a for the datagrams the firewall dropped ($dst)" $((b1 - b0)) 0
	# The open port: every byte received is charged (with its headers).
	bulk_recv 1 6002 open$n -u
	send "$dst" 6002
	bulk_stop open$n
	got=$(sed -n 's/^summary bytes=\([0-9]*\).*/\1/p' "$SL_TMP/open$n.out")
	b2=$(cg_stat "$CG_CT1" bytes)
	log "$dst:6002: $got bytes received, fw/a charged $((b2 - b1)) bytes"
	[ "${got:-0}" -ge 100000 ] || fail "the receiver on $dst:6002 got only ${got:-no} bytes"
	[ $((b2 - b1)) -ge "$got" ] ||
		fail "the datagrams to the open port $dst:6002 charged $((b2 - b1)) bytes for $got received"
done
