#!/bin/sh
# A UDP flood into a limited cgroup is held to its limit while its
# sibling's TCP transfer gets its share: under a parent limited to
# 40 Mbit/s with equal weights, the flood (100 Mbit/s offered) is held to
# its 20 Mbit/s share and the TCP transfer gets at least 90% of its own.
#
#   world --netem 5 ms-- ct1 (cgroup p/flood: UDP receiver)
#         --netem 5 ms-- ct2 (cgroup p/tcp: TCP receiver)     p: 40 Mbit/s
#
# A measurement during which the guest stood still is made again (see
# attempts in lib.sh).
# timeout: 150
# alone
. /selftests/lib.sh
ensure_module
world_setup
# Every connection starts afresh, not from the metrics of the previous one.
in_ns "$NS_W" sysctl -qw net.ipv4.tcp_no_metrics_save=1
container_new 1 p/flood
container_new 2 p/tcp
wan_delay 1 5
wan_delay 2 5
RATE=40 SHARE=20
for ns in "$NS_W" "$NS_CT2"; do in_ns "$ns" sysctl -qw net.ipv4.tcp_ecn=1; done
sluice cgroup set "$CG_TOP/p" rate ${RATE}mbit || fail "cgroup set p"
sluice cgroup set "$CG_CT1" || fail "cgroup set p/flood"
sluice cgroup set "$CG_CT2" || fail "cgroup set p/tcp"

# measure: the flood and the TCP transfer side by side, once (attempts
# in lib.sh); per-attempt ports and names.
measure() {
	bulk_recv 1 500$TRY u$TRY -u
	bulk_recv 2 510$TRY t$TRY
	stall_start 7
	in_ns "$NS_W" sl-bulk send -u --to 10.200.1.2:500$TRY --rate 100mbit --size 1400 --duration 7 >"$SL_TMP/su.out" 2>&1 &
	su=$!
	in_ns "$NS_W" sl-bulk send --ecn --to 10.200.2.2:510$TRY --flows 2 --duration 7 >"$SL_TMP/st.out" 2>&1 ||
		fail "tcp sender: $(cat "$SL_TMP/st.out")"
	wait $su || fail "udp sender: $(cat "$SL_TMP/su.out")"
	bulk_stop u$TRY
	bulk_stop t$TRY
	stall_end
	ru=$(bulk_mbit u$TRY 1 6) rt=$(bulk_mbit t$TRY 1 6)
	log "flood: $ru Mbit/s of payload ($(tail -1 "$SL_TMP/su.out")); tcp: $rt Mbit/s; shares $SHARE of $RATE"
	ip=$(awk -v u="$ru" 'BEGIN { printf "%.2f", u * 1428 / 1400 }')
	expect_le "the flood's IP rate, Mbit/s (at most 1.05 x its share $SHARE)" "$ip" "$(x 1.05 $SHARE)"
}
attempts measure
expect_ge "the flood's IP rate, Mbit/s (at least 0.9 x its share $SHARE)" "$ip" "$(x 0.9 $SHARE)"
expect_ge "the TCP transfer, Mbit/s (at least 0.9 x its share $SHARE)" "$rt" "$(x 0.9 $SHARE)"
