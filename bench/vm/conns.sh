#!/bin/sh
# Benchmark (run in the VM by `make bench`): new TCP connections per second
# through a VIP, from a client namespace routed through the host to three
# backends, with
#   - sluice, scheduler chbl (c = 1.25, affinity tuple),
#   - sluice, scheduler maglev (affinity tuple),
#   - IPVS, scheduler mh with mh-port (NAT/masquerading forwarding), alone:
#     no conntrack in the namespace,
#   - IPVS mh as kube-proxy's IPVS mode runs it ("mh+ct"): conntrack on
#     (net.ipv4.vs.conntrack=1, so that conntrack sees IPVS's NAT) and a
#     nat chain for its masquerade rule (matching nothing here), which is
#     what sluice's own data path amounts to: conntrack plus NAT,
# in the same boot, ROUNDS rounds of N short connections (connect, read the
# server's line, close) each, K at a time, the order of the four rotating
# from round to round. Each round gives paired ratios to its own IPVS runs
# (a drift of the emulator's speed hits a round's runs alike); reported are
# the median of those ratios with their range, and each configuration's
# median rate. Target: chbl >= 1.0x mh.
#
#   client (10.0.2.1-8) ---- host: VIP 10.96.0.10 on vip0 ---- b1, b2, b3
. /selftests/lib.sh
ensure_module >/dev/null

N=${BENCH_CONNS_N:-3000}
K=${BENCH_CONNS_K:-32}
ROUNDS=${BENCH_CONNS_ROUNDS:-8}

topo_setup 3 >/dev/null
topo_client_addrs 8 >/dev/null
for i in 1 2 3; do backend_start $i; done
# IPVS needs the VIP as a local address; sluice does not mind.
h ip addr add $VIP4/32 dev vip0
# Room for every run's TIME_WAIT entries.
sysctl -qw net.netfilter.nf_conntrack_max=262144 2>/dev/null ||
	{ modprobe nf_conntrack; sysctl -qw net.netfilter.nf_conntrack_max=262144; }
modprobe ip_vs_mh 2>/dev/null
SRCS=10.0.2.1,10.0.2.2,10.0.2.3,10.0.2.4,10.0.2.5,10.0.2.6,10.0.2.7,10.0.2.8
VIP=$VIP4:80

now_cs() { tr -d . </proc/uptime | cut -d' ' -f1; }	# centiseconds

# measure NAME ROUND: one run; prints connections per second, and notes
# the instruction-count markers around it (bench/insn/slinsn.c).
measure() {
	local t0 t1 ok m0 m1
	m0=$(sl-mark)
	t0=$(now_cs)
	c sl-client -n $N --concurrent $K --timeout 10 --src $SRCS $VIP >"$SL_TMP/out" 2>"$SL_TMP/err"
	t1=$(now_cs)
	m1=$(sl-mark)
	echo "insn conns $1 $2 $m0 $m1 $N mh" >>"$SL_TMP/insn"
	ok=$(grep -cE ' b[123]$' "$SL_TMP/out")
	if [ "$ok" != "$N" ]; then
		echo "$1: only $ok of $N connections answered: $(cat "$SL_TMP/err");" \
			"failed: $(grep -vE ' b[123]$' "$SL_TMP/out" | head -3 | tr '\n' ' ')" >&2
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
	mh|mhct)
		if [ "$1" = mhct ]; then
			h sysctl -qw net.ipv4.vs.conntrack=1
			echo 'table ip slbench { chain post { type nat hook postrouting priority srcnat; meta mark 0x4000 masquerade; }; }' |
				h nft -f -
		fi
		h ipvsadm -A -t $VIP -s mh -b mh-port 2>/dev/null || h ipvsadm -A -t $VIP -s mh
		for i in 1 2 3; do h ipvsadm -a -t $VIP -r "$(be4 $i)" -m; done
		;;
	esac
}
teardown() {
	case $1 in
	# sluice lets go of conntrack and its hooks once the last
	# connection it tracked is released (asynchronously) and no
	# translated TCP entry is left (TIME_WAIT): flush those first, and
	# let the release be done before IPVS runs alone.
	chbl|maglev) h conntrack -F >/dev/null 2>&1; sleep 0.2; h sluice service del tcp $VIP; sleep 1 ;;
	mh) h ipvsadm -C ;;
	mhct)
		h ipvsadm -C
		h nft delete table ip slbench
		h sysctl -qw net.ipv4.vs.conntrack=0
		;;
	esac
	h conntrack -F >/dev/null 2>&1
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
range() { sort -n "$1" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f-%.2f", lo, hi }'; }
: >"$SL_TMP/insn"
ALL="chbl maglev mh mhct"
for s in $ALL; do : >"$SL_TMP/rate.$s"; done
for q in chbl.mh maglev.mh chbl.mhct maglev.mhct; do : >"$SL_TMP/q.$q"; done
# ratio A B: A's rate over B's this round, appended to q.A.B.
ratio() {
	eval "a=\$v_$1 b=\$v_$2"
	[ "$b" -gt 0 ] || return 0
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f\n", a / b }' >>"$SL_TMP/q.$1.$2"
}
for r in $(seq 1 $ROUNDS); do
	# Rotate: round r starts at configuration (r - 1) mod 4.
	k=$(( (r - 1) % 4 ))
	order=$(echo $ALL $ALL | cut -d' ' -f$((k + 1))-$((k + 4)))
	for s in $order; do
		setup $s
		v=$(measure $s $r)
		teardown $s
		eval "v_$s=$v"
		echo "$v" >>"$SL_TMP/rate.$s"
	done
	for q in chbl.mh maglev.mh chbl.mhct maglev.mhct; do ratio ${q%.*} ${q#*.}; done
	echo "# round $r ($order): chbl $v_chbl, maglev $v_maglev, mh $v_mh, mh+ct $v_mhct conns/s"
done

q() { echo "$(median <"$SL_TMP/q.$1")x ($(range "$SL_TMP/q.$1"))"; }
echo "new connections per second through a VIP ($N connections, $K at a time, $ROUNDS rounds;"
echo "ratio = median of the rounds' paired ratios to their own IPVS run (range)):"
echo "                 rate    vs IPVS mh            vs IPVS mh+ct"
echo "  sluice chbl    $(median <"$SL_TMP/rate.chbl")/s   $(q chbl.mh)   $(q chbl.mhct)"
echo "  sluice maglev  $(median <"$SL_TMP/rate.maglev")/s   $(q maglev.mh)   $(q maglev.mhct)"
echo "  IPVS mh        $(median <"$SL_TMP/rate.mh")/s   1.00x"
echo "  IPVS mh+ct     $(median <"$SL_TMP/rate.mhct")/s                         1.00x"
echo "(mh+ct: IPVS with conntrack on and a nat chain, as kube-proxy's IPVS mode runs it)"
echo "target: sluice chbl >= 1.00x IPVS mh"
# For bench/run.sh: instructions per connection, from the markers.
cat "$SL_TMP/insn"
