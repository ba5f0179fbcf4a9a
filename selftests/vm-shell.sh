#!/bin/bash
# `make vm-shell [KERNEL=6.1|6.12|debug]`: the test VM with an interactive
# shell on the console (the module is loaded, the tests are in /selftests;
# `poweroff -f` leaves). Ctrl-A X quits QEMU.
set -euo pipefail
. "$(dirname "$0")/kernels.sh"
cd "$SLUICE_TOP"
make -s cli tools
k=${KERNEL:-6.1}
vm_prepare "$k" "${EXTRA_TESTS:-}" || { echo "cannot prepare the $k VM (see $SLUICE_BUILD/$k/build.log)" >&2; exit 1; }
echo "booting $KVER; the results port goes to $VMDIR/shell-results.log" >&2
vm_boot "$k" "sltest.shell=1" -serial mon:stdio -serial file:"$VMDIR/shell-results.log"
