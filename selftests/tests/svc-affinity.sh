#!/bin/sh
# Affinity, with CHBL and with Maglev: 40 clients (affinity src) each
# return to the same backend on a second round while no backend is full
# (balance 100 keeps every backend below its cap), and after one of 5
# backends is deleted, at least 1 - 1.2/5 of the clients that were not on
# it keep their backend, while those that were on it all get another.
# A second service with the same configuration on another VIP (the same
# seed by default) makes the very same choices, as another host would.
#
#   client (10.0.2.1-40) ---- host (sluice) ---- b1 .. b5
#
# timeout: 240
. /selftests/lib.sh
ensure_module

K=40
topo_setup 5
topo_client_addrs $K
for i in 1 2 3 4 5; do backend_start $i; done
SRCS=$(seq 1 $K | sed 's/^/10.0.2./' | tr '\n' ',' | sed 's/,$//')

# round VIP FILE: one connection from each client; FILE gets "src backend".
round() {
	c sl-client -n $K --concurrent 10 --timeout 10 --src "$SRCS" "$1" >"$2.raw" 2>"$2.err" ||
		fail "round to $1: $(cat "$2.err"; grep ERROR "$2.raw" | head -3)"
	awk '{print $1, $3}' "$2.raw" | sort >"$2"
	[ "$(wc -l <"$2")" = $K ] || fail "round to $1: $(wc -l <"$2") answers"
}
idle() { [ "$(svc_json | jq '[.services[].stats.live] | add')" = 0 ]; }

for sched in chbl maglev; do
	VIP=$VIP4:80
	TWIN=10.96.0.11:80
	for v in $VIP $TWIN; do
		h sluice service add tcp $v sched $sched balance 100 affinity src || fail "$sched: service add $v"
		for i in 1 2 3 4 5; do
			h sluice backend add tcp $v "$(be4 $i)" || fail "$sched: backend add $i"
		done
	done
	A=$SL_TMP/$sched
	round $VIP $A.1
	wait_for 20 idle || fail "$sched: connections stay live"
	round $VIP $A.2
	cmp -s $A.1 $A.2 || fail "$sched: clients changed backend between rounds: $(diff $A.1 $A.2 | head -6)"
	used=$(awk '{print $2}' $A.1 | sort -u | wc -l)
	[ "$used" = 5 ] || fail "$sched: $K clients used only $used of 5 backends"
	log "$sched: all $K clients returned to their backend ($used backends used)"

	round $TWIN $A.twin
	cmp -s $A.1 $A.twin || fail "$sched: a service with the same configuration chose differently: $(diff $A.1 $A.twin | head -6)"
	log "$sched: a second service with the same configuration made the same $K choices"

	h sluice backend del tcp $VIP "$(be4 3)" || fail "$sched: backend del"
	wait_for 20 idle || fail "$sched: connections stay live"
	round $VIP $A.3
	grep -q ' b3$' $A.3 && fail "$sched: a client still reaches the deleted backend"
	others=$(grep -vc ' b3$' $A.1)
	# "src before after" for every client
	awk 'NR == FNR { b[$1] = $2; next } { print $1, b[$1], $2 }' $A.1 $A.3 >$A.pairs
	kept=$(awk '$2 != "b3" && $2 == $3' $A.pairs | wc -l)
	moved_ok=$(awk '$2 == "b3"' $A.pairs | wc -l)
	log "$sched: after deleting 1 of 5 backends, $kept of the $others other clients kept theirs; $moved_ok moved off it"
	# kept >= (1 - 1.2/5) * others  <=>  5 * kept >= 3.8 * others
	[ $((50 * kept)) -ge $((38 * others)) ] ||
		fail "$sched: only $kept of $others clients kept their backend (want >= 76%)"

	for v in $VIP $TWIN; do h sluice service del tcp $v || fail "$sched: service del"; done
done
exit 0
