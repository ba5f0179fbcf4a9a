#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run the algorithm benchmark: ./algo for quality and time, callgrind for
# instructions per choice, gnuplot for the plot. Writes out/results.md.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p out
res=out/results.md
K=200000

{
	echo "# sluice scheduler benchmark"
	echo
	echo "$(date -u +%Y-%m-%dT%H:%MZ), $(uname -m), $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)."
	echo "Command: make -C bench/algo"
	echo
	./algo all out

	if ! command -v valgrind >/dev/null; then
		echo "valgrind not found: no instruction counts (make deps installs it)"
		exit 0
	fi
	echo "## Instructions per choice (valgrind --tool=callgrind)"
	echo
	echo "Instructions executed inside the function (callgrind --toggle-collect), divided by"
	echo "the $K calls: exact, and independent of the machine's load. first = sl_table_first(),"
	echo "the lookup. pick, fast path = sl_table_pick() when the first choice has room (the"
	echo "lookup, counting the connection in the total and in the backend, the cap test)."
	echo "pick, steady state = sl_table_pick() with 10 N live connections at c = 1.25, each"
	echo "pick closing the oldest: includes the picks whose first choice is full and that"
	echo "probe further. Target: a chbl choice costs at most twice Maglev's lookup, plus"
	echo "the load check."
	echo
	echo "| N | chbl first | maglev first | ratio | chbl pick, fast path | maglev pick | ratio | load check (fast - first) | chbl pick, steady state |"
	echo "|---|---|---|---|---|---|---|---|---|"
	ir() {	# kind n mode -> Ir per call
		local fn=sl_table_first f
		[ "${3#pick}" != "$3" ] && fn=sl_table_pick
		[ "${3#hash}" != "$3" ] && fn=sl_hash
		f=$(mktemp)
		valgrind --tool=callgrind --callgrind-out-file="$f" --toggle-collect="$fn" \
			./algo ir "$1" "$2" "$3" "$K" >/dev/null 2>&1
		awk -v k="$K" '/^(summary|totals):/ { printf "%.1f", $2 / k; exit }' "$f"
		rm -f "$f"
	}
	div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
	sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a - b }'; }
	for n in 10 100 1000 10000; do
		cf=$(ir chbl $n first); mf=$(ir maglev $n first)
		cp=$(ir chbl $n pickfast); mp=$(ir maglev $n pickfast)
		cs=$(ir chbl $n pick)
		echo "| $n | $cf | $mf | $(div "$cf" "$mf") | $cp | $mp | $(div "$cp" "$mp") | $(sub "$cp" "$cf") | $cs |"
	done
	echo
	echo "sl_hash(): $(ir chbl 0 hash12) instructions for 12 bytes (IPv4 address pair and ports), $(ir chbl 0 hash36) for 36 (IPv6)."
	echo
} | tee "$res"

if command -v gnuplot >/dev/null; then
	gnuplot plot.gp && echo "plot: bench/algo/out/load.png"
else
	echo "gnuplot not found: no plot (make deps installs it)" >&2
fi
