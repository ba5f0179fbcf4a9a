#!/bin/sh
# Balancing end to end: TCP and UDP, IPv4 and IPv6, a client on the host
# itself (LOCAL_OUT) and a client in its own namespace routed through the
# host (PRE_ROUTING). Every connection to the VIP reaches a backend and
# gets its reply; `conntrack -L` shows the translated flows; the live
# counts return to zero once the connections are over.
#
#   client ---- host (VIP on vip0, sluice) ---- b1, b2, b3 (sl-server :8080)
#
# timeout: 150
. /selftests/lib.sh
ensure_module

topo_start 3

N=24
for proto in tcp udp; do
	for fam in 4 6; do
		if [ $fam = 4 ]; then vip=$VIP4:80; vipip=$VIP4; else vip="[$VIP6]:80"; vipip=$VIP6; fi
		# UDP: each datagram from its own source port, so that no two
		# share a 5-tuple (and so a conntrack entry) by port reuse.
		flag=; [ $proto = udp ] && flag="-u --sport 2${fam}000"
		h sluice service add $proto $vip affinity tuple || fail "$proto/$fam: service add"
		for i in 1 2 3; do
			if [ $fam = 4 ]; then be=10.1.$i.2:8080; else be="[fd00:b:$i::2]:8080"; fi
			h sluice backend add $proto $vip $be || fail "$proto/$fam: backend add $be"
		done
		for who in host client; do
			out=$SL_TMP/$proto$fam$who
			if [ $who = host ]; then
				h sl-client $flag -n $N --concurrent 8 --timeout 10 $vip >$out 2>$out.err ||
					fail "$proto/IPv$fam from the $who: $(cat $out.err; grep ERROR $out | head -3)"
			else
				c sl-client $flag -n $N --concurrent 8 --timeout 10 $vip >$out 2>$out.err ||
					fail "$proto/IPv$fam from the $who: $(cat $out.err; grep ERROR $out | head -3)"
			fi
			ok=$(grep -cE ' b[123]$' $out)
			expect_eq "$proto/IPv$fam from the $who: answered connections" "$ok" "$N"
			used=$(awk '{print $3}' $out | sort -u | wc -l)
			[ "$used" -ge 2 ] || fail "$proto/IPv$fam from the $who: all $N connections on one backend (affinity tuple)"
			log "$proto/IPv$fam from the $who: $N/$N answered by $used backends"
		done
		# conntrack shows the flows translated to the backends.
		flows=$(h conntrack -L -p $proto -d $vipip 2>/dev/null | grep -cE "src=(10\.1\.[123]\.2|fd00:b:[123]::2) ")
		[ "$flows" -ge $N ] || fail "$proto/IPv$fam: conntrack shows $flows translated flows: $(h conntrack -L -p $proto 2>&1 | head -5)"
		log "$proto/IPv$fam: conntrack -L shows $flows flows translated to backends"
		assigned=$(h sluice show -j | jq "[.services[] | select(.proto==\"$proto\" and .vip==\"$vipip\") | .stats.assigned] | add")
		expect_eq "$proto/IPv$fam: connections assigned" "$assigned" $((2 * N))
	done
done

# TCP connections are over: no live load. UDP flows live as long as their
# conntrack entries; flushing them ends them.
live_tcp() { [ "$(h sluice show -j | jq '[.services[] | select(.proto=="tcp") | .stats.live, (.backends[].stats.live)] | add')" = 0 ]; }
wait_for 20 live_tcp || fail "TCP live counts stay at $(h sluice show -j | jq -c '[.services[] | select(.proto=="tcp") | .stats.live]')"
h conntrack -F >/dev/null 2>&1
live_all() { [ "$(h sluice show -j | jq '[.services[] | .stats.live, (.backends[].stats.live)] | add')" = 0 ]; }
wait_for 20 live_all || fail "live counts stay at $(h sluice show -j | jq -c '[.services[] | .stats.live]') after a conntrack flush"
log "all live counts back to zero"

# Deleting services unregisters the hooks: the VIP no longer answers.
for proto in tcp udp; do
	h sluice service del $proto $VIP4:80 || fail "service del $proto"
	h sluice service del $proto "[$VIP6]:80" || fail "service del $proto v6"
done
expect_eq "services left" "$(h sluice show -j | jq '.services | length')" 0
exit 0
