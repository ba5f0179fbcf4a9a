#!/bin/sh
# Weights: two children at 1:3 under a parent limited to 40 Mbit/s, both
# saturating with 4 TCP flows each, get shares within 10% of 25% and 75%;
# when one stops, the other reaches at least 90% of the parent's rate
# within 1 second (measured with `sluice top -j`, every 0.25 s).
#
#   world --netem 20 ms-- ct1 (cgroup p/a, weight 100)
#         --netem 20 ms-- ct2 (cgroup p/b, weight 300)    p: rate 40 Mbit/s
#
# 20 ms rather than cg-limit's 5: p/a's share, 10 Mbit/s over 4 flows, is
# 2 KB per flow per 5 ms round trip, under two segments, where a TCP
# window cannot be cut without halving the flow; p/a then fell short of
# its share by 5-11% (22.2-23.8% of the parent for 25%) however exact the
# limiter. At 20 ms each flow has about five segments in flight.
#
# A measurement during which the guest stood still is made again (see
# attempts in lib.sh).
# timeout: 180
# alone
. /selftests/lib.sh
ensure_module
world_setup
# Every connection starts afresh, not from the metrics of the previous one.
in_ns "$NS_W" sysctl -qw net.ipv4.tcp_no_metrics_save=1
container_new 1 p/a
container_new 2 p/b
wan_delay 1 20
wan_delay 2 20
RATE=40
for ns in "$NS_W" "$NS_CT1" "$NS_CT2"; do in_ns "$ns" sysctl -qw net.ipv4.tcp_ecn=1; done
sluice cgroup set "$CG_TOP/p" rate ${RATE}mbit || fail "cgroup set p"
sluice cgroup set "$CG_CT1" weight 100 || fail "cgroup set p/a"
sluice cgroup set "$CG_CT2" weight 300 || fail "cgroup set p/b"
REL=${CG_TOP#/sys/fs/cgroup}

# measure: both children busy, then p/a stopping, once (attempts in
# lib.sh); per-attempt ports and names.
measure() {
	bulk_recv 1 500$TRY a$TRY --interval-ms 250
	bulk_recv 2 510$TRY b$TRY --interval-ms 250
	sluice top -j -d 0.25 >"$SL_TMP/top.out" 2>&1 &
	top=$!
	cleanup_add "kill $top 2>/dev/null"
	stall_start 9
	in_ns "$NS_W" sl-bulk send --ecn --to 10.200.1.2:500$TRY --flows 4 --duration 6 >"$SL_TMP/sa.out" 2>&1 &
	sa=$!
	in_ns "$NS_W" sl-bulk send --ecn --to 10.200.2.2:510$TRY --flows 4 --duration 9 >"$SL_TMP/sb.out" 2>&1 &
	sb=$!
	wait $sa || fail "sender a: $(cat "$SL_TMP/sa.out")"
	wait $sb || fail "sender b: $(cat "$SL_TMP/sb.out")"
	bulk_stop a$TRY
	bulk_stop b$TRY
	kill $top 2>/dev/null
	wait $top 2>/dev/null
	stall_end

	# Shares while both run: seconds 1.5 to 5 of each receiver.
	ra=$(bulk_mbit a$TRY 1.5 5) rb=$(bulk_mbit b$TRY 1.5 5)
	log "both busy: p/a $ra Mbit/s, p/b $rb Mbit/s (parent limit $RATE)"
	total=$(awk -v a="$ra" -v b="$rb" 'BEGIN { printf "%.2f", a + b }')
	share=$(awk -v a="$ra" -v b="$rb" 'BEGIN { printf "%.4f", a / (a + b) }')
	expect_le "the parent's total, Mbit/s (at most 1.05 x $RATE)" "$total" "$(x 1.05 $RATE)"
}
attempts measure
# The shares are the weights' only while the parent's limit binds (with
# less traffic than the limit each child takes what it gets), so they are
# checked when the total reaches 90% of it (for the time the guest ran,
# as expect_ge takes the bound) -- always, on 6.1 and 6.12, where the
# total's lower bound is asserted.
expect_ge "the parent's total, Mbit/s (at least 0.9 x $RATE)" "$total" "$(x 0.9 $RATE)"
if awk -v t="$total" -v b="$(ge_bound "$(x 0.9 $RATE)")" 'BEGIN { exit !(t >= b) }'; then
	expect_le "p/a's share (at most 27.5%): a $ra, b $rb" "$share" 0.275
	expect_le "p/a's share (at least 22.5%): a $ra, b $rb" 0.225 "$share"
else
	log "shares not checked: the parent's limit did not bind"
fi

# After a stops: the first top sample where a is below 10% of the parent's
# rate after the last one where it was busy (a stall of its flows earlier
# on is not its stop), then b must reach 90% of it within 1 s.
jq -r --arg a "$REL/p/a" --arg b "$REL/p/b" \
	'[.t, (.cgroups[] | select(.path == $a) | .bps), (.cgroups[] | select(.path == $b) | .bps)] | @tsv' \
	"$SL_TMP/top.out" >"$SL_TMP/top.tsv"
res=$(awk -v r=$RATE '{ n++; T[n] = $1; A[n] = $2 / 1e6; B[n] = $3 / 1e6 }
	END {
		for (i = 1; i <= n; i++) if (A[i] > 0.5 * r * 0.25) last = i
		for (i = last + 1; last && i <= n; i++) if (A[i] < 0.1 * r) { s = i; break }
		for (i = s + 1; s && i <= n && T[i] <= T[s] + 1.0; i++) {
			seen = seen sprintf(" %.1f", B[i])
			if (B[i] > best) { best = B[i]; when = T[i] - T[s] }
		}
		printf "%s %.2f %.2f%s", s ? "ok" : "none", best, when, seen
	}' "$SL_TMP/top.tsv")
set -- $res
log "after p/a stopped: p/b reached $2 Mbit/s within $3 s (samples:$(shift 3; printf ' %s' "$@"))"
log "p/b's receiver, Mbit/s per 0.25 s from 5 s:$(awk '/^t=/ { split($1, t, "="); split($2, n, "=");
	if (t[2] > 5 && t[2] <= 8.05) printf " %.1f", n[2] * 32 / 1e6 }' "$SL_TMP/b$TRY.out")"
log "marked/dropped: $(sluice cgroup show -j | jq -r '.cgroups[] | "\(.path) \(.marked)/\(.dropped)"' | tr '\n' ' ')"
[ "$1" = ok ] || fail "p/a never stopped in top's samples: $(cat "$SL_TMP/top.tsv")"
expect_ge "p/b's best rate within 1 s of p/a stopping, Mbit/s (at least 0.9 x $RATE)" "$2" "$(x 0.9 $RATE)"
