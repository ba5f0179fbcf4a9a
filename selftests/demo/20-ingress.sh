#!/bin/sh
# Demo: two "containers" (a network namespace and a cgroup each) receive
# bulk TCP traffic from the outside; one is limited; `sluice top` shows the
# rates live and the limit holding; then weights under a shared parent.
. /selftests/lib.sh
ensure_module >/dev/null

world_setup >/dev/null
container_new 1 demo/web >/dev/null
container_new 2 demo/batch >/dev/null
wan_delay 1 5
wan_delay 2 5
for ns in "$NS_W" "$NS_CT1" "$NS_CT2"; do in_ns "$ns" sysctl -qw net.ipv4.tcp_ecn=1; done
in_ns "$NS_W" sysctl -qw net.ipv4.tcp_no_metrics_save=1
say() { echo; echo "--- $*"; }
run() { echo "# $*"; "$@"; }
D=${CG_TOP}/demo

say "two containers: web (cgroup $D/web) and batch ($D/batch), each its own netns;"
echo "    clients 5 ms away send them bulk TCP (4 flows each, ECN on)"
run sluice cgroup set "$D"
run sluice cgroup set "$D/web"
run sluice cgroup set "$D/batch" rate 30mbit
bulk_recv 1 5001 web
bulk_recv 2 5002 batch
in_ns "$NS_W" sl-bulk send --ecn --to 10.200.1.2:5001 --flows 4 --duration 8 >/dev/null 2>&1 &
s1=$!
in_ns "$NS_W" sl-bulk send --ecn --to 10.200.2.2:5002 --flows 4 --duration 8 >/dev/null 2>&1 &
s2=$!
say "live, every second (sluice top -b -n 6)"
sluice top -b -n 6 | grep -v '^sluice top' | grep -v '^$' | awk 'NR == 1 || !/^CGROUP/'
wait $s1 $s2
bulk_stop web
bulk_stop batch
say "what the receivers got (payload, seconds 1 to 6)"
echo "web   (no limit):      $(bulk_mbit web 1 6) Mbit/s"
echo "batch (limit 30mbit):  $(bulk_mbit batch 1 6) Mbit/s"
say "the tree with its counters"
run sluice cgroup show

say "weights: the parent limited to 40mbit, web weight 300, batch weight 100"
run sluice cgroup set "$D" rate 40mbit
run sluice cgroup set "$D/web" weight 300
run sluice cgroup set "$D/batch" rate none weight 100
bulk_recv 1 5003 web2
bulk_recv 2 5004 batch2
in_ns "$NS_W" sl-bulk send --ecn --to 10.200.1.2:5003 --flows 4 --duration 5 >/dev/null 2>&1 &
s1=$!
in_ns "$NS_W" sl-bulk send --ecn --to 10.200.2.2:5004 --flows 4 --duration 8 >/dev/null 2>&1 &
s2=$!
say "live: 3:1 while both receive; web stops after 5 s and batch takes it all"
sluice top -b -n 8 | grep -v '^sluice top' | grep -v '^$' | awk 'NR == 1 || !/^CGROUP/'
wait $s1 $s2
bulk_stop web2
bulk_stop batch2
echo
