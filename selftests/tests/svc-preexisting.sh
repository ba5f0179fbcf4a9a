#!/bin/sh
# A flow to a VIP that began before its service existed, and was never
# answered, is balanced once the service is there. Its conntrack entry
# was confirmed before sluice's NAT hooks were registered (here a
# forward rule with `ct state new` keeps conntrack on in the host), so
# its packets still come as "new" but NAT can no longer be set up on it.
# sluice ends that entry and drops the packet; the client's next datagram
# makes a new entry, which is balanced and answered. Balanced in place,
# the old entry counted one more live connection per datagram and
# translated none.
# timeout: 60
. /selftests/lib.sh
ensure_module
topo_start 1
echo 'table ip slpre { chain f { type filter hook forward priority 0; ct state new counter; }; }' |
	h nft -f - || fail "nft: cannot add the forward chain"

# Before the service: unanswered (the VIP routes to a dummy device).
c sl-client -u -n 1 --sport 33000 --timeout 1 $VIP4:80 >"$SL_TMP/before" 2>&1 &&
	fail "answered before the service existed: $(cat "$SL_TMP/before")"
h conntrack -L -p udp --sport 33000 2>/dev/null | grep -q UNREPLIED ||
	fail "no unreplied conntrack entry for the flow: $(h conntrack -L 2>&1)"

h sluice service add udp $VIP4:80 || fail "service add"
h sluice backend add udp $VIP4:80 "$(be4 1)" || fail "backend add"
# The same flow (same socket address, resent every 200 ms).
c sl-client -u -n 1 --sport 33000 --timeout 5 $VIP4:80 >"$SL_TMP/after" 2>&1 ||
	fail "the flow was not balanced once the service existed: $(cat "$SL_TMP/after")"
grep -q ' b1$' "$SL_TMP/after" || fail "no answer from b1: $(cat "$SL_TMP/after")"
log "client: $(tr '\n' ' ' <"$SL_TMP/after")"
expect_eq "live connections of the service" "$(svc_jq udp $VIP4 '.stats.live')" 1
n=$(h conntrack -L -p udp --sport 33000 2>/dev/null | grep -c .)
log "conntrack: $(h conntrack -L -p udp --sport 33000 2>/dev/null | tr '\n' ' ')"
expect_eq "conntrack entries of the flow" "$n" 1
h conntrack -L -p udp --sport 33000 2>/dev/null | grep -q "src=10.1.1.2 dst=10.0.1.1 sport=8080" ||
	fail "the flow's entry is not translated to the backend"
