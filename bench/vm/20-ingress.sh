#!/bin/sh
# Benchmark (run in the VM by `make bench`): the cost of per-cgroup ingress
# accounting. Bulk TCP throughput (one flow, 3 s) from a sender namespace
# into a socket in a receiver namespace, the receiving process in a cgroup,
# with
#   - the module unloaded,
#   - the module loaded with no entries (the hooks behind the static key),
#   - the module loaded with 1,000 configured cgroups, each with a rate
#     that never binds (100gbit), the receiving one among them,
# interleaved, ROUNDS rounds, in the same boot. Reported as the median of
# each and as ratios to "unloaded"; target >= 0.95 with 1,000 entries.
#
#   world (sl-bulk send) ---- ct1 (sl-bulk recv, cgroup bench/c500)
. /selftests/lib.sh
ensure_module >/dev/null

ROUNDS=${BENCH_INGRESS_ROUNDS:-3}
N=${BENCH_INGRESS_ENTRIES:-1000}
SECS=${BENCH_INGRESS_SECONDS:-3}

world_setup >/dev/null
# The entries' cgroups hang off $CG_TOP/bench with no controllers enabled
# below it: 1,000 cgroups cost little memory.
container_new 1 bench/c500 >/dev/null
i=1
while [ $i -le "$N" ]; do
	mkdir -p "$CG_TOP/bench/c$i"
	i=$((i + 1))
done

entries() { # create the N entries
	local i=1
	while [ $i -le "$N" ]; do
		sluice cgroup set "$CG_TOP/bench/c$i" rate 100gbit || return 1
		i=$((i + 1))
	done
}
run() { # one transfer; prints Mbit/s
	bulk_recv 1 5001 r
	in_ns "$NS_W" sl-bulk send --to 10.200.1.2:5001 --duration "$SECS" >/dev/null 2>&1
	bulk_stop r
	sed -n 's/^summary .*bps=\([0-9]*\).*/\1/p' "$SL_TMP/r.out" | awk '{ printf "%.1f\n", $1 / 1e6 }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

: >"$SL_TMP/off"; : >"$SL_TMP/empty"; : >"$SL_TMP/full"
r=1
while [ $r -le "$ROUNDS" ]; do
	module_loaded && rmmod sluice
	run >>"$SL_TMP/off"
	modprobe sluice
	run >>"$SL_TMP/empty"
	t0=$(cut -d' ' -f1 /proc/uptime)
	entries || { echo "ingress: cannot create $N entries"; exit 1; }
	t1=$(cut -d' ' -f1 /proc/uptime)
	n=$(sluice cgroup show -j | jq '.cgroups | length')
	[ "$n" = "$N" ] || { echo "ingress: $n entries, not $N"; exit 1; }
	run >>"$SL_TMP/full"
	echo "# round $r: unloaded $(tail -1 "$SL_TMP/off"), no entries $(tail -1 "$SL_TMP/empty"), $N entries $(tail -1 "$SL_TMP/full") Mbit/s ($N entries set in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s)"
	r=$((r + 1))
done
# The receiving cgroup's entry did count the traffic.
got=$(sluice cgroup show -j | jq --arg p "${CG_TOP#/sys/fs/cgroup}/bench/c500" '.cgroups[] | select(.path == $p) | .bytes')

off=$(median <"$SL_TMP/off") empty=$(median <"$SL_TMP/empty") full=$(median <"$SL_TMP/full")
echo "ingress accounting: bulk TCP into a socket, $SECS s, median of $ROUNDS interleaved rounds"
echo "  module unloaded                 $off Mbit/s"
echo "  loaded, no entries              $empty Mbit/s   ratio $(awk -v a="$empty" -v b="$off" 'BEGIN { printf "%.3f", a / b }')"
echo "  loaded, $N entries            $full Mbit/s   ratio $(awk -v a="$full" -v b="$off" 'BEGIN { printf "%.3f", a / b }')   (target >= 0.95)"
echo "  (the receiving cgroup's entry counted $got bytes in the last round)"
