#!/bin/bash
# `make bench`: boots the test VM once (Debian 6.1 by default,
# BENCH_KERNEL=6.12 for the other) and runs bench/vm/*.sh inside it. Each
# benchmark measures sluice against a peer in the same boot and prints
# ratios; absolute numbers under emulation drift, ratios hold.
# The output is also kept in build/bench-<kernel>.txt. BENCH=name[,name]
# runs only those scripts of bench/vm (e.g. BENCH=20-ingress).
# QEMU runs with the plugin bench/insn/slinsn.c, which counts the guest's
# instructions between the markers a benchmark sets with sl-mark; the
# benchmark's "insn ..." lines become instructions per unit of work
# (bench/insn/report.awk), a measure of cost that emulation does not blur.
set -euo pipefail
. "$(dirname "$0")/../selftests/kernels.sh"
cd "$SLUICE_TOP"
make -s cli tools
k=${BENCH_KERNEL:-6.1}
vm_prepare "$k" || { echo "cannot prepare the $k VM (see $SLUICE_BUILD/$k/build.log)" >&2; exit 1; }
plugin=$SLUICE_BUILD/slinsn.so
gcc -O2 -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden -o "$plugin" bench/insn/slinsn.c
out=$SLUICE_BUILD/bench-$k.txt
echo "== benchmarks on Debian $KVER (QEMU, TCG, 2 vCPUs) ==" | tee "$out"
# BENCH_PROFILE=1: also where the instructions go, by kernel function
# (bench/insn/profile.awk), the kernel at its link address to match its
# symbols, which the VM prints from /proc/kallsyms.
prof= append=
if [ "${BENCH_PROFILE:-}" = 1 ]; then
	prof=",prof=$VMDIR/bench-prof.log" append=" nokaslr sltest.prof=1"
fi
VM_TIMEOUT=3600 vm_boot "$k" "sltest.run=bench${BENCH:+ sltest.only=$BENCH} quiet loglevel=1$append" ${BENCH_QEMU:-} \
	-plugin "$plugin,out=$VMDIR/bench-insn.log$prof" \
	-serial file:"$VMDIR/bench-console.log" -serial file:"$VMDIR/bench-results.log" </dev/null
tr -d '\r' <"$VMDIR/bench-results.log" | sed -n 's/^T bench //p' >"$VMDIR/bench-out.txt"
grep -v '^insn ' "$VMDIR/bench-out.txt" | tee -a "$out"
if grep -q '^insn ' "$VMDIR/bench-out.txt"; then
	echo "guest instructions (all vCPUs) per unit of work, median over rounds, and paired ratios:" | tee -a "$out"
	grep '^insn ' "$VMDIR/bench-out.txt" | awk -f bench/insn/report.awk "$VMDIR/bench-insn.log" - | tee -a "$out"
fi
if [ -n "$prof" ]; then
	tr -d '\r' <"$VMDIR/bench-results.log" | sed -n 's/^K //p' | LC_ALL=C sort >"$VMDIR/bench-syms.txt"
	for p in ${BENCH_PROFILE_PAIRS:-chbl:mh chbl:mhct}; do
		grep '^insn ' "$VMDIR/bench-out.txt" |
			LC_ALL=C awk -v a="${p%:*}" -v b="${p#*:}" -f bench/insn/profile.awk \
				"$VMDIR/bench-syms.txt" "$VMDIR/bench-prof.log" -
	done | tee "$SLUICE_BUILD/bench-$k-profile.txt"
fi
grep -q '^E' "$VMDIR/bench-results.log" || { echo "the VM did not finish; see $VMDIR/bench-console.log" >&2; exit 1; }
