#!/bin/bash
# `make demo`: boots the test VM on Debian's 6.1 kernel (DEMO_KERNEL=...)
# and runs selftests/demo/*.sh in order, their output on this terminal.
set -euo pipefail
. "$(dirname "$0")/kernels.sh"
cd "$SLUICE_TOP"
make -s cli tools
k=${DEMO_KERNEL:-6.1}
vm_prepare "$k" || { echo "cannot prepare the $k VM (see $SLUICE_BUILD/$k/build.log)" >&2; exit 1; }
echo "== booting Debian $KVER in QEMU (software emulation, 2 vCPUs) ==" >&2
# Only the demo's own lines: the guest prints them after the marker.
VM_TIMEOUT=900 vm_boot "$k" "sltest.run=demo quiet loglevel=1" -serial stdio \
	-serial file:"$VMDIR/demo-results.log" </dev/null | tr -d '\r' |
	sed -n '/^=== sluice demo ===/,$p' | grep -v -E '^\[ *[0-9]+\.[0-9]+\]|reboot: Power down'
