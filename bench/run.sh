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
VM_TIMEOUT=3600 vm_boot "$k" "sltest.run=bench${BENCH:+ sltest.only=$BENCH} quiet loglevel=1" ${BENCH_QEMU:-} \
	-plugin "$plugin,out=$VMDIR/bench-insn.log" \
	-serial file:"$VMDIR/bench-console.log" -serial file:"$VMDIR/bench-results.log" </dev/null
tr -d '\r' <"$VMDIR/bench-results.log" | sed -n 's/^T bench //p' >"$VMDIR/bench-out.txt"
grep -v '^insn ' "$VMDIR/bench-out.txt" | tee -a "$out"
if grep -q '^insn ' "$VMDIR/bench-out.txt"; then
	echo "guest instructions (all vCPUs) per unit of work, median over rounds, and paired ratios:" | tee -a "$out"
	grep '^insn ' "$VMDIR/bench-out.txt" | awk -f bench/insn/report.awk "$VMDIR/bench-insn.log" - | tee -a "$out"
fi
grep -q '^E' "$VMDIR/bench-results.log" || { echo "the VM did not finish; see $VMDIR/bench-console.log" >&2; exit 1; }
