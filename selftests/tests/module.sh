#!/bin/sh
# The module loads and unloads cleanly, several times, with and without
# network namespaces around (each namespace gets and drops its state).
# timeout: 120
. /selftests/lib.sh

for round in 1 2 3; do
	if module_loaded; then
		rmmod sluice || fail "round $round: rmmod sluice failed"
	fi
	module_loaded && fail "round $round: still loaded after rmmod"
	modprobe sluice || fail "round $round: modprobe sluice failed"
	module_loaded || fail "round $round: not loaded after modprobe"
	grep -q 'sluice' /proc/net/netlink 2>/dev/null || true
	out=$(sluice version) || fail "round $round: sluice version failed after load"
	netns_new "m$round"
	in_ns "$NS" sluice version >/dev/null || fail "round $round: version fails in a new netns"
done
# Unload with a namespace still alive: its state goes with the module.
rmmod sluice || fail "rmmod with a live namespace failed"
modprobe sluice || fail "reload failed"
log "loaded and unloaded 4 times"
