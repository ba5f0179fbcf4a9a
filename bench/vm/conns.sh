#!/bin/sh
# Benchmark (run in the VM by `make bench`): new TCP connections per second
# through a VIP, from a client namespace routed through the host to three
# backends, with
#   - sluice, scheduler chbl (c = 1.25, affinity tuple),
#   - sluice, scheduler maglev (affinity tuple),
#   - IPVS, scheduler mh with mh-port (NAT/masquerading forwarding),
# in the same boot, ROUNDS rounds of N short connections (connect, read the
# server's line, close) each, K at a time, the order of the three rotating
# from round to round. Each round gives paired ratios to its own IPVS mh
# run (a drift of the emulator's speed hits a round's three runs alike);
# reported are the median of those ratios with their range, and each
# scheduler's median rate. Target: chbl >= 1.0x mh.
#
#   client (10.0.2.1-8) ---- host: VIP 10.96.0.10 on vip0 ---- b1, b2, b3
. /selftests/lib.sh
ensure_module >/dev/null

N=${BENCH_CONNS_N:-3000}
K=${BENCH_CONNS_K:-32}
ROUNDS=${BENCH_CONNS_ROUNDS:-9}

topo_setup 3 >/dev/null
topo_client_addrs 8 >/dev/null
for i in 1 2 3; do backend_start $i; done
h() { in_ns "$NS_H" "$@"; }
c() { in_ns "$NS_C" "$@"; }
# IPVS needs the VIP as a local address; sluice does not mind.
h ip addr add $VIP4/32 dev vip0
# Room for every run's TIME_WAIT entries.
sysctl -qw net.netfilter.nf_conntrack_max=262144 2>/dev/null ||
	{ modprobe nf_conntrack; sysctl -qw net.netfilter.nf_conntrack_max=262144; }
modprobe ip_vs_mh 2>/dev/null
SRCS=10.0.2.1,10.0.2.2,10.0.2.3,10.0.2.4,10.0.2.5,10.0.2.6,10.0.2.7,10.0.2.8
VIP=$VIP4:80

now_cs() { tr -d . </proc/uptime | cut -d' ' -f1; }	# centiseconds

# measure NAME: one round; prints connections per second.
measure() {
	local t0 t1 ok
	t0=$(now_cs)
	c sl-client -n $N --concurrent $K --timeout 10 --src $SRCS $VIP >"$SL_TMP/out" 2>"$SL_TMP/err"
	t1=$(now_cs)
	ok=$(grep -cE ' b[123]$' "$SL_TMP/out")
	if [ "$ok" != "$N" ]; then
		echo "$1: only $ok of $N connections answered: $(cat "$SL_TMP/err")" >&2
		echo 0
		return
	fi
	echo $((N * 100 / (t1 - t0)))
}

setup() {
	case $1 in
	chbl|maglev)
		h sluice service add tcp $VIP sched "$1" affinity tuple
		for i in 1 2 3; do h sluice backend add tcp $VIP "$(be4 $i)"; done
		;;
	mh)
		h ipvsadm -A -t $VIP -s mh -b mh-port 2>/dev/null || h ipvsadm -A -t $VIP -s mh
		for i in 1 2 3; do h ipvsadm -a -t $VIP -r "$(be4 $i)" -m; done
		;;
	esac
}
teardown() {
	case $1 in
	chbl|maglev) h sluice service del tcp $VIP ;;
	mh) h ipvsadm -C ;;
	esac
	h conntrack -F >/dev/null 2>&1
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
range() { sort -n "$1" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f-%.2f", lo, hi }'; }
for s in chbl maglev mh; do : >"$SL_TMP/rate.$s"; done
: >"$SL_TMP/q.chbl"; : >"$SL_TMP/q.maglev"
for r in $(seq 1 $ROUNDS); do
	case $((r % 3)) in
	1) order="chbl maglev mh" ;;
	2) order="maglev mh chbl" ;;
	0) order="mh chbl maglev" ;;
	esac
	for s in $order; do
		setup $s
		v=$(measure $s)
		teardown $s
		eval "v_$s=$v"
		echo "$v" >>"$SL_TMP/rate.$s"
	done
	if [ "$v_mh" -gt 0 ]; then
		awk -v a="$v_chbl" -v b="$v_mh" 'BEGIN { printf "%.3f\n", a / b }' >>"$SL_TMP/q.chbl"
		awk -v a="$v_maglev" -v b="$v_mh" 'BEGIN { printf "%.3f\n", a / b }' >>"$SL_TMP/q.maglev"
	fi
	echo "# round $r ($order): chbl $v_chbl, maglev $v_maglev, mh $v_mh conns/s"
done

echo "new connections per second through a VIP ($N connections, $K at a time, $ROUNDS rounds;"
echo "ratio = median of the rounds' paired ratios to their own IPVS mh run (range)):"
echo "  sluice chbl    $(median <"$SL_TMP/rate.chbl")/s   $(median <"$SL_TMP/q.chbl")x IPVS mh ($(range "$SL_TMP/q.chbl"))"
echo "  sluice maglev  $(median <"$SL_TMP/rate.maglev")/s   $(median <"$SL_TMP/q.maglev")x IPVS mh ($(range "$SL_TMP/q.maglev"))"
echo "  IPVS mh        $(median <"$SL_TMP/rate.mh")/s   1.00x"
echo "target: sluice chbl >= 1.00x IPVS mh"
