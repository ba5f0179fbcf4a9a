#!/bin/sh
# Balancing end to end: TCP and UDP, IPv4 and IPv6, a client on the host
# itself (LOCAL_OUT) and a client in its own namespace routed through the
# host (PRE_ROUTING). Every connection to the VIP reaches a backend and
# gets its reply; `conntrack -L` shows the translated flows; the live
# counts return to zero once the connections are over. Once the services
# are deleted, the VIPs answer no more.
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

# Deleting the services ends the translation: the VIP no longer answers.
for proto in tcp udp; do
	h sluice service del $proto $VIP4:80 || fail "service del $proto"
	h sluice service del $proto "[$VIP6]:80" || fail "service del $proto v6"
done
expect_eq "services left" "$(h sluice show -j | jq '.services | length')" 0
# Only the translation answered it: the VIPs are no local addresses (the
# host routes them out of the dummy vip0, where nothing listens), and the
# backends still answer when asked directly.
for vipip in $VIP4 $VIP6; do
	route=$(h ip route get $vipip)
	echo "$route" | grep -q "^local" && fail "$vipip is a local address of the host: $route"
	echo "$route" | grep -q " dev vip0 " || fail "the host's route to $vipip is not out of vip0: $route"
done
for fam in 4 6; do
	be=$(be$fam 1)
	c sl-client -n 1 --timeout 10 "$be" >$SL_TMP/direct 2>&1 ||
		fail "backend 1 does not answer at $be: $(cat $SL_TMP/direct)"
	grep -qE ' b1$' $SL_TMP/direct || fail "backend 1 at $be: $(cat $SL_TMP/direct)"
done
# Nothing answers at the VIP now, from the host or the client: TCP's
# connect and UDP's reply time out (UDP from fresh source ports, which no
# conntrack entry has seen).
for proto in tcp udp; do
	if [ $proto = tcp ]; then why=connect-timeout; else why=reply-timeout; fi
	for fam in 4 6; do
		if [ $fam = 4 ]; then vip=$VIP4:80; else vip="[$VIP6]:80"; fi
		flag=; [ $proto = udp ] && flag="-u --sport 3${fam}000"
		for who in h c; do
			out=$SL_TMP/gone$proto$fam$who
			$who sl-client $flag -n 1 --timeout 2 $vip >$out 2>&1 &&
				fail "$proto/IPv$fam from $who: the deleted service's VIP answered: $(cat $out)"
			grep -qE " ERROR $why\$" $out ||
				fail "$proto/IPv$fam from $who: want $why at the deleted service's VIP, got: $(cat $out)"
		done
	done
done
log "the deleted services' VIPs answer no more (TCP and UDP, IPv4 and IPv6, host and client)"
exit 0
