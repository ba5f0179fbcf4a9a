#!/bin/sh
# IPv6 fragments after the first have no ports. Where nothing reassembles
# them before LOCAL_IN (no conntrack in the namespace: IPv6 reassembles
# after the hook), each reaches the hook alone, and must be unattributed
# (Documentation/ingress.md). A socket lookup would read the IPv6
# header's first bytes as ports, the destination port being the low 16
# bits of the flow label, and charge (over a limit: drop) whatever socket
# is bound there. Container 1's UDP receiver on port 5001 (cgroup rx, an
# entry) must not be charged for later fragments of datagrams to port 9
# with the flow label 5001, which count as unattributed in its namespace;
# whole fragmented datagrams to it (the same flow label) reach it and are
# charged for their first fragments only, the ones with its port. Nothing
# here may use conntrack in ct1: that would reassemble before the hook.
#
#   world fd00:200:1::1 ---- fd00:200:1::2 ct1 (cgroup rx, UDP [::]:5001)
# timeout: 60
. /selftests/lib.sh
ensure_module
world_setup
container_new 1 rx
sluice cgroup set "$CG_CT1" || fail "cgroup set rx"
bulk_recv 1 5001 r -u --interval-ms 100

N=20
# unattr FIELD: ct1's unattributed packets or bytes.
unattr() { in_ct 1 sluice cgroup show -j | jq ".unattributed.$1"; }
# frag6 OPTIONS: sl-frag6 from the world to ct1; sets FIRST and LATER, the
# IP bytes of a first and of a later fragment.
frag6() {
	in_ns "$NS_W" sl-frag6 --src fd00:200:1::1 --flow-label 5001 "$@" \
		>"$SL_TMP/frag6.out" 2>&1 || fail "sl-frag6 $*: $(cat "$SL_TMP/frag6.out")"
	log "sl-frag6 $*: $(cat "$SL_TMP/frag6.out")"
	FIRST=$(sed -n 's/.* first_bytes=\([0-9]*\).*/\1/p' "$SL_TMP/frag6.out")
	LATER=$(sed -n 's/.* later_bytes=\([0-9]*\).*/\1/p' "$SL_TMP/frag6.out")
}

# Later fragments only, of datagrams to port 9 (no socket).
read -r p0 b0 <<EOF
$(cg_stat "$CG_CT1" packets bytes)
EOF
up0=$(unattr packets) ub0=$(unattr bytes)
frag6 --to '[fd00:200:1::2]:9' --send later -n $N --size 600
# seen: the hook saw all N, charged or not.
seen() { [ $(($(cg_stat "$CG_CT1" packets) - p0 + $(unattr packets) - up0)) -ge $N ]; }
wait_for 10 seen || fail "the hook did not see the $N fragments: reassembled before it? (rx's packets $p0 -> $(cg_stat "$CG_CT1" packets), unattributed $up0 -> $(unattr packets))"
read -r p1 b1 <<EOF
$(cg_stat "$CG_CT1" packets bytes)
EOF
up1=$(unattr packets) ub1=$(unattr bytes)
log "$N later fragments of $LATER bytes: rx charged $((p1 - p0)) packets $((b1 - b0)) bytes, unattributed $((up1 - up0)) packets $((ub1 - ub0)) bytes"
[ "$p1" = "$p0" ] || fail "later fragments charged to the socket on port 5001, the flow label's low 16 bits: $((p1 - p0)) of $N packets, $((b1 - b0)) bytes"
[ $((up1 - up0)) -ge $N ] || fail "only $((up1 - up0)) of $N later fragments unattributed"
[ $((ub1 - ub0)) -ge $((N * LATER)) ] || fail "unattributed bytes grew by $((ub1 - ub0)), less than $N x $LATER"

# Whole datagrams to the receiver: it gets them (reassembled after the
# hook), its cgroup is charged each first fragment, the others are
# unattributed.
M=10 size=600
frag6 --to '[fd00:200:1::2]:5001' -n $M --size $size
# received: the receiver has all M datagrams, so the hook saw every fragment.
received() { grep -q "total=$((M * size))\$" "$SL_TMP/r.out"; }
wait_for 10 received || fail "the receiver did not get the $M datagrams: $(tail -3 "$SL_TMP/r.out")"
read -r p2 b2 <<EOF
$(cg_stat "$CG_CT1" packets bytes)
EOF
up2=$(unattr packets)
log "$M datagrams of 2 fragments ($FIRST + $LATER bytes): rx charged $((p2 - p1)) packets $((b2 - b1)) bytes, unattributed $((up2 - up1)) packets"
expect_eq "packets charged to rx for $M datagrams (their first fragments)" $((p2 - p1)) $M
expect_eq "bytes charged to rx for $M first fragments of $FIRST bytes" $((b2 - b1)) $((M * FIRST))
[ $((up2 - up1)) -ge $M ] || fail "only $((up2 - up1)) of $M later fragments unattributed"
