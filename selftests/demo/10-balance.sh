#!/bin/sh
# Demo: a service balancing real TCP connections over three backends with
# consistent hashing and bounded loads; the live counts; the bound holding
# when one client is hot; a drain.
. /selftests/lib.sh
ensure_module >/dev/null

topo_setup 3 >/dev/null
topo_client_addrs 40 >/dev/null
for i in 1 2 3; do backend_start $i; done
say() { echo; echo "--- $*"; }
run() { echo "host# $*"; h "$@"; }
VIP=10.96.0.10:80

# open NAME N [sl-client options]: N connections held open in the background
open() {
	local name=$1 n=$2
	shift 2
	c sl-client -n "$n" --concurrent "$n" --timeout 30 \
		--hold-until-file "$SL_TMP/release-$name" --ready-file "$SL_TMP/ready-$name" \
		"$@" $VIP >"$SL_TMP/$name" 2>&1 &
	wait_for 120 test -e "$SL_TMP/ready-$name"
}
# who NAME: which backend answered how many of NAME's connections
who() { awk '$3 ~ /^b/ {print $3}' "$SL_TMP/$1" | sort | uniq -c | awk '{printf "%s: %s  ", $2, $1} END {print ""}'; }
srv_sum_is() { [ $(( $(backend_active 1) + $(backend_active 2) + $(backend_active 3) )) = "$1" ]; }
servers() { echo "servers' own counts: b1 $(backend_active 1)  b2 $(backend_active 2)  b3 $(backend_active 3)"; }
caps() {
	svc_bound tcp $VIP4 | awk '{printf "%s live %s (cap %s)  ", $1, $2, $3} END {print ""}'
}

echo
echo "=== balancing with bounded loads ==="
say "a service: TCP $VIP, CHBL, c = 1.25, affinity on the client address; three backends, in one request"
run sluice service add tcp $VIP balance 1.25 affinity src
run sluice backend add tcp $VIP "$(be4 1)" "$(be4 2)" "$(be4 3)"

say "40 clients (10.0.2.1-40) open 3 long-lived connections each"
open spread 120 --src "$(seq 1 40 | sed 's/^/10.0.2./' | tr '\n' ',' | sed 's/,$//')"
echo "answered by: $(who spread)"
run sluice show
wait_for 10 srv_sum_is 120
servers

say "one hot client (10.0.1.1) opens 120 more: its first choice fills up to"
echo "    ceil(c * (total + 1) / 3), the rest overflows in a key-seeded order"
open hot 120
echo "the hot client's connections went to: $(who hot)"
echo "per backend, live and cap = ceil(1.25 * total * w / W): $(caps)"
echo "assignments that left a full first choice: $(svc_jq tcp $VIP4 .stats.overflows)"
wait_for 10 srv_sum_is 240
servers

say "drain b2: weight 0 -- no new connections, the established ones go on"
run sluice backend set tcp $VIP "$(be4 2)" weight 0
c sl-client -n 60 --concurrent 10 --src "$(seq 1 40 | sed 's/^/10.0.2./' | tr '\n' ',' | sed 's/,$//')" $VIP >"$SL_TMP/after" 2>&1
echo "60 new connections went to: $(who after)"
echo "b2 still holds $(svc_be_live tcp $VIP4 10.1.2.2) live connections (its server: $(backend_active 2))"
run sluice show

say "everyone hangs up: the counts return to zero"
touch "$SL_TMP/release-spread" "$SL_TMP/release-hot"
zero() { [ "$(svc_jq tcp $VIP4 .stats.live)" = 0 ]; }
wait_for 30 zero
run sluice show
run sluice show -j
h sluice service del tcp $VIP
