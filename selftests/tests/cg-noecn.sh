#!/bin/sh
# Rate limit without ECN: a TCP sender that does not negotiate ECN is held
# to the limit by drops (within 5% over 5 s, first second at most 1.1x),
# and nothing is CE-marked; in mode drop, an ECN-capable flow is held by
# drops as well, unmarked. Neither goes over the limit.
#
#   world (sender) --netem 5 ms-- ct1 (receiver, cgroup lim: 40 Mbit/s)
# timeout: 120
# alone
. /selftests/lib.sh
ensure_module
world_setup
# Every connection starts afresh, not from the metrics of the previous one.
in_ns "$NS_W" sysctl -qw net.ipv4.tcp_no_metrics_save=1
container_new 1 lim
wan_delay 1 5
RATE=40	# Mbit/s
in_ct 1 sysctl -qw net.ipv4.tcp_ecn=1
counter() { cg_stat "$CG_TOP/lim" "$1"; }

n=0
for case in "0 ecn 10.200.1.2" "0 ecn [fd00:200:1::2]" "1 drop 10.200.1.2"; do
	set -- $case
	ecn=$1 mode=$2 dst=$3
	n=$((n + 1))
	in_ns "$NS_W" sysctl -qw net.ipv4.tcp_ecn=$ecn
	sluice cgroup set "$CG_CT1" rate ${RATE}mbit mode $mode || fail "cgroup set"
	m0=$(counter marked) d0=$(counter dropped) b0=$(counter bytes)
	bulk_recv 1 500$n r$n
	in_ns "$NS_W" sl-bulk send --to "$dst:500$n" --duration 7 >"$SL_TMP/s.out" 2>&1 ||
		fail "sender: $(cat "$SL_TMP/s.out")"
	bulk_stop r$n
	m1=$(counter marked) d1=$(counter dropped) b1=$(counter bytes)
	# The limit is on IP packets (headers included, as tc's rates are):
	# the receiver's timeline, scaled by what the entry charged per byte
	# of payload over the whole transfer.
	pay=$(sed -n 's/^summary bytes=\([0-9]*\).*/\1/p' "$SL_TMP/r$n.out")
	k=$(awk -v c="$((b1 - b0))" -v p="$pay" 'BEGIN { printf "%.4f", p ? c / p : 0 }')
	good=$(bulk_mbit r$n 1 6)
	avg=$(awk -v g="$good" -v k="$k" 'BEGIN { printf "%.2f", g * k }')
	one=$(awk -v g="$(bulk_mbit r$n 0 1)" -v k="$k" 'BEGIN { printf "%.2f", g * k }')
	log "tcp_ecn=$ecn mode $mode $dst: 5 s average $avg Mbit/s (goodput $good, IP bytes per payload byte $k), first second $one (limit $RATE); CE-marked $((m1 - m0)), dropped $((d1 - d0)); $(tail -1 "$SL_TMP/s.out")"
	expect_le "$mode $dst: 5 s average, Mbit/s (at most 1.05 x $RATE)" "$avg" "$(x 1.05 $RATE)"
	expect_ge "$mode $dst: 5 s average, Mbit/s (at least 0.95 x $RATE)" "$avg" "$(x 0.95 $RATE)"
	expect_le "$mode $dst: first second, Mbit/s (at most 1.1 x $RATE)" "$one" "$(x 1.1 $RATE)"
	expect_signalled "$mode $dst: no drops" "$((d1 - d0))" "$avg" $RATE
	expect_eq "$mode $dst: CE marks" "$((m1 - m0))" 0
done
