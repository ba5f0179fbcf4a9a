#!/bin/sh
# Rate limit without ECN: a TCP sender that does not negotiate ECN is held
# to the limit by drops (within 5% over 5 s, first second at most 1.1x),
# and nothing is CE-marked; in mode drop, an ECN-capable flow is held by
# drops as well, unmarked. Neither goes over the limit.
#
#   world (sender) --netem 5 ms-- ct1 (receiver, cgroup lim: 40 Mbit/s)
#
# A transfer during which the guest stood still is measured again (see
# attempts in lib.sh).
# timeout: 180
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

# transfer: one measurement in the current mode (attempts in lib.sh).
transfer() {
	n=$((n + 1))
	limited_transfer "$CG_CT1" r$n 500$n "$dst"
	log "tcp_ecn=$ecn mode $mode $dst: 5 s average $AVG Mbit/s (goodput $GOOD, IP bytes per payload byte $K), first second $ONE (limit $RATE); CE-marked $MARKED, dropped $DROPPED; $(tail -1 "$SL_TMP/r$n.send")"
	expect_le "$mode $dst: 5 s average, Mbit/s (at most 1.05 x $RATE)" "$AVG" "$(x 1.05 $RATE)"
	expect_le "$mode $dst: first second, Mbit/s (at most 1.1 x $RATE)" "$ONE" "$(x 1.1 $RATE)"
	expect_eq "$mode $dst: CE marks" "$MARKED" 0
}
n=0
for case in "0 ecn 10.200.1.2" "0 ecn [fd00:200:1::2]" "1 drop 10.200.1.2"; do
	set -- $case
	ecn=$1 mode=$2 dst=$3
	in_ns "$NS_W" sysctl -qw net.ipv4.tcp_ecn=$ecn
	sluice cgroup set "$CG_CT1" rate ${RATE}mbit mode $mode || fail "cgroup set"
	attempts transfer
	expect_ge "$mode $dst: 5 s average, Mbit/s (at least 0.95 x $RATE)" "$AVG" "$(x 0.95 $RATE)"
	expect_signalled "$mode $dst: no drops" "$DROPPED" "$AVG" $RATE
done
