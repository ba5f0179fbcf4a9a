#!/bin/sh
# Deleting a backend. UDP, on-delete flush (UDP's default): its flows move
# at once -- the same 5-tuples, sent again, reach the other backends, its
# conntrack entries are gone and its load released. UDP, on-delete keep:
# flows of a deleted backend go on reaching it, until their service is
# deleted with flush. TCP, on-delete keep (TCP's
# default): an established connection to a deleted backend goes on
# exchanging data, new connections avoid it; added again, its kept
# connections are its load; and they even outlive the deletion of its
# service (the NAT hooks stay while kept connections need them), which,
# created again meanwhile, counts them as before; once they end, the hooks
# stay for their TIME_WAIT entries.
#
#   client ---- host (sluice) ---- b1, b2, b3
#
# timeout: 240
. /selftests/lib.sh
ensure_module

topo_start 3
VIP=$VIP4:80
N=30

# flows FILE: the same N UDP flows every time (fixed source ports).
flows() {
	c sl-client -u -n $N --concurrent 10 --sport 31000 --timeout 10 $VIP >"$1" 2>"$1.err" ||
		fail "UDP flows: $(cat "$1.err"; grep ERROR "$1" | head -3)"
}

# ---- UDP, flush ----
h sluice service add udp $VIP affinity src-port || fail "service add udp"
expect_eq "UDP's default on-delete" "$(svc_jq udp $VIP4 .on_delete)" flush
for i in 1 2 3; do h sluice backend add udp $VIP "$(be4 $i)" || fail "backend add $i"; done
flows "$SL_TMP/u1"
X=$(awk '{print $3}' "$SL_TMP/u1" | head -1); x=${X#b}
nx=$(grep -c " $X\$" "$SL_TMP/u1")
expect_eq "live UDP flows" "$(svc_jq udp $VIP4 .stats.live)" $N

h sluice backend del udp $VIP "$(be4 $x)" || fail "backend del $X"
# Released at once, not after a timeout.
expect_eq "live UDP flows right after deleting $X" "$(svc_jq udp $VIP4 .stats.live)" $((N - nx))
left=$(h conntrack -L -p udp 2>/dev/null | grep -c "src=10.1.$x.2 ")
expect_eq "conntrack entries of $X" "$left" 0
flows "$SL_TMP/u2"
grep -q " $X\$" "$SL_TMP/u2" && fail "a UDP flow still reaches the deleted $X"
# the flows of the other backends did not move
moved=$(awk 'NR == FNR { b[$2] = $3; next } b[$2] != "'$X'" && b[$2] != $3' "$SL_TMP/u1" "$SL_TMP/u2" | wc -l)
expect_eq "flows of other backends that moved" "$moved" 0
log "flush: $nx flows of $X moved at once to the others; $((N - nx)) stayed"

# ---- UDP, keep ----
h sluice service set udp $VIP on-delete keep || fail "service set on-delete keep"
Y=$(awk '{print $3}' "$SL_TMP/u2" | head -1); y=${Y#b}
ny=$(grep -c " $Y\$" "$SL_TMP/u2")
h sluice backend del udp $VIP "$(be4 $y)" || fail "backend del $Y"
flows "$SL_TMP/u3"
expect_eq "flows still reaching the deleted $Y" "$(grep -c " $Y\$" "$SL_TMP/u3")" "$ny"
expect_eq "live UDP flows" "$(svc_jq udp $VIP4 .stats.live)" $N
# `show` lists it apart, with them.
expect_eq "deleted backends shown" "$(svc_jq udp $VIP4 '[.deleted_backends[].address] | join(",")')" "10.1.$y.2"
expect_eq "live flows of the deleted $Y" "$(svc_be_live_deleted udp $VIP4 10.1.$y.2)" "$ny"
h sluice backend show udp $VIP | grep -q "^  -- 10.1.$y.2:8080 .* live $ny .*(deleted, its connections kept)\$" ||
	fail "backend show does not mark the deleted $Y: $(h sluice backend show udp $VIP)"
log "keep: the $ny flows of the deleted $Y go on reaching it"
# Deleting the service with flush takes the flows kept from $Y too.
h sluice service set udp $VIP on-delete flush || fail "service set on-delete flush"
h sluice service del udp $VIP || fail "service del udp"
left=$(h conntrack -L -p udp 2>/dev/null | grep -c "src=10.1.$y.2 ")
expect_eq "conntrack entries kept from $Y after the service's flush" "$left" 0
h conntrack -F >/dev/null 2>&1

# ---- TCP, keep ----
h sluice service add tcp $VIP affinity tuple || fail "service add tcp"
expect_eq "TCP's default on-delete" "$(svc_jq tcp $VIP4 .on_delete)" keep
for i in 1 2 3; do h sluice backend add tcp $VIP "$(be4 $i)" || fail "backend add $i"; done
held_open 6 $VIP
Z=$(awk '{print $3}' "$SL_TMP/held" | head -1); z=${Z#b}
nz=$(grep -c " $Z\$" "$SL_TMP/held")
h sluice backend del tcp $VIP "$(be4 $z)" || fail "backend del $Z"
c sl-client -n 30 --concurrent 10 --timeout 10 $VIP >"$SL_TMP/new" 2>"$SL_TMP/new.err" ||
	fail "new TCP connections: $(cat "$SL_TMP/new.err")"
expect_eq "new connections on the deleted $Z" "$(grep -c " $Z\$" "$SL_TMP/new")" 0
expect_eq "$Z's server still holds" "$(backend_active $z)" "$nz"
# the service still counts them, and only them once the 30 short ones are
# released (asynchronously: conntrack's state change, then the worker)
live6() { [ "$(svc_jq tcp $VIP4 .stats.live)" = 6 ]; }
wait_for 10 live6 || expect_eq "live TCP connections" "$(svc_jq tcp $VIP4 .stats.live)" 6
expect_eq "live count of the deleted $Z" "$(svc_be_live_deleted tcp $VIP4 10.1.$z.2)" "$nz"
expect_eq "live counts of the backends, deleted one included" \
	"$(svc_jq tcp $VIP4 '[.backends[], .deleted_backends[] | .stats.live] | add')" 6
# Added again while its kept connections live, it is the same backend:
# they are its load, and count towards its cap.
h sluice backend add tcp $VIP "$(be4 $z)" || fail "backend add $Z again"
expect_eq "live count of $Z, added again" "$(svc_be_live tcp $VIP4 10.1.$z.2)" "$nz"
expect_eq "deleted backends once $Z is back" "$(svc_jq tcp $VIP4 '.deleted_backends | length')" 0
# The service itself goes (it was the namespace's last): its connections,
# kept, go on.
h sluice service del tcp $VIP || fail "service del tcp"
# `show` lists it apart while they live, with its kept backends.
deleted_jq() {
	svc_json | jq -r --arg v "$VIP4" ".deleted_services[] | select(.proto == \"tcp\" and .vip == \$v) | $1"
}
expect_eq "live connections of the deleted service" "$(deleted_jq .stats.live)" 6
expect_eq "live connections of its kept backends" "$(deleted_jq '[.deleted_backends[].stats.live] | add')" 6
expect_eq "services (not deleted)" "$(svc_json | jq '.services | length')" 0
expect_fail "no such service" h sluice service show tcp $VIP
h sluice show | grep -q "^tcp $VIP .*(deleted, its connections kept)\$" ||
	fail "show does not mark the deleted service: $(h sluice show)"
# Created again while they live, it is the same service: they are its live
# total, and each backend added again (all three in one list) carries its
# own as its load.
h sluice service add tcp $VIP affinity tuple || fail "service add tcp again"
expect_eq "live TCP connections of the service created again" "$(svc_jq tcp $VIP4 .stats.live)" 6
expect_eq "deleted services once it is back" "$(svc_json | jq '.deleted_services | length')" 0
h sluice backend add tcp $VIP "$(be4 1)" "$(be4 2)" "$(be4 3)" || fail "backend add of b1-b3 again"
for i in 1 2 3; do
	expect_eq "live count of b$i in the service created again" \
		"$(svc_be_live tcp $VIP4 10.1.$i.2)" "$(backend_active $i)"
done
h sluice service del tcp $VIP || fail "service del tcp again"
ex0=$(cut -d. -f1 /proc/uptime)
wait_for 10 sh -c "[ \$(cut -d. -f1 /proc/uptime) -ge $((ex0 + 2)) ]"
held_close
log "keep: $nz connections to the deleted $Z went on ($(grep exchanges= "$SL_TMP/held.err"))"

# and the service is gone, deleted ones included once their connections ended
expect_eq "services left" "$(svc_json | jq '.services | length')" 0
no_deleted() { [ "$(svc_json | jq '.deleted_services | length')" = 0 ]; }
wait_for 10 no_deleted || fail "deleted services left: $(svc_json | jq -c .deleted_services)"

# The connections ended, but their conntrack entries, in TIME_WAIT, still
# need translating (a late FIN or ACK): the hooks stay, and conntrack with
# them, which then sees a connection to a backend's own address.
tw=$(h conntrack -L -p tcp 2>/dev/null | grep -c "TIME_WAIT src=10.0.1.1 dst=$VIP4 ")
[ "$tw" -gt 0 ] || fail "no TIME_WAIT entry left by the held connections: $(h conntrack -L 2>&1)"
# direct: a new connection from the client to b1 itself; 0 if conntrack
# tracked it, 1 if not, 2 if it failed.
direct() {
	c sl-client -n 1 --timeout 5 "$(be4 1)" >"$SL_TMP/direct" 2>&1 || return 2
	h conntrack -L -p tcp --orig-dst 10.1.1.2 2>/dev/null | grep -q "dport=8080 " || return 1
}
sleep 1		# long past the release of the connections (50 ms)
direct
expect_eq "the hooks (0: still there) with $tw TIME_WAIT entries" "$?" 0
# Once those entries are gone, the hooks go too.
untracked() { h conntrack -F >/dev/null 2>&1; direct; [ $? = 1 ]; }
wait_for 10 untracked || { direct; fail "the hooks stay after the TIME_WAIT entries went (direct: $?, $(cat "$SL_TMP/direct"))"; }
log "the hooks stayed for $tw TIME_WAIT entries, and went with them"
exit 0
