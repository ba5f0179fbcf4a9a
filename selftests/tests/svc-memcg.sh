#!/bin/sh
# Configuration memory is charged to the requester's memory cgroup
# (SL_GFP_CONF in kmod/sched.h): a request whose tables do not fit under
# its cgroup's memory.max is refused with a message, without the OOM
# killer, and changes nothing; a request that fits still succeeds there,
# and the refused one succeeds from a cgroup with room. Uncharged, the
# 2 MiB Maglev table below would be built whatever the limit. The backends
# a delete parks (until no packet can be assigning to them) are freed
# soon after without another request.
#
# timeout: 240
. /selftests/lib.sh
ensure_module
grep -qw memory /sys/fs/cgroup/cgroup.controllers || skip "no memory controller"

netns_new host; NS_H=$NS
# hc CMD...: CMD in the host namespace, as a process of cgroup $CG.
hc() { in_cg "$CG" /usr/sbin/ip netns exec "$NS_H" "$@"; }

if ! grep -qw memory /sys/fs/cgroup/cgroup.subtree_control; then
	echo +memory >/sys/fs/cgroup/cgroup.subtree_control || fail "cannot enable the memory controller"
	cleanup_add "echo -memory >/sys/fs/cgroup/cgroup.subtree_control"
fi
mkdir -p "$CG_TOP" || fail "cannot create $CG_TOP"
cleanup_add "cg_rmtree $CG_TOP"
echo +memory >"$CG_TOP/cgroup.subtree_control" || fail "cannot enable memory in $CG_TOP"
CG=$(cg_new small)

# 1,048,573 slots of 2 bytes: a 2 MiB table once the service has a backend.
h sluice service add tcp $VIP4:80 sched maglev table-size 1048573 || fail "service add maglev"
h sluice service add tcp 10.96.0.11:80 || fail "service add chbl"
# What a small request costs the cgroup: its peak, limit unset.
hc sluice backend add tcp 10.96.0.11:80 10.1.1.2:8080 || fail "backend add in the cgroup, no limit"
peak=$(cat "$CG/memory.peak")
limit=$((peak + 512 * 1024))
echo $limit >"$CG/memory.max" || fail "cannot set memory.max"
log "peak of a small request $peak bytes; memory.max $limit"
hc sluice backend add tcp 10.96.0.11:80 10.1.1.3:8080 || fail "a request that fits was refused under memory.max $limit"

SNAP=$(h sluice show -j)
expect_fail "not enough memory for the service's scheduler table" \
	hc sluice backend add tcp $VIP4:80 10.1.1.2:8080
[ "$(h sluice show -j)" = "$SNAP" ] || fail "the refused request changed the configuration: $(h sluice show -j)"
# A list of backends: their allocation succeeds, the table's does not,
# and they all go again.
expect_fail "not enough memory for the service's scheduler table" \
	hc sluice backend add tcp $VIP4:80 10.1.1.2:8080 10.1.1.3:8080 10.1.1.4:8080
[ "$(h sluice show -j)" = "$SNAP" ] || fail "the refused list changed the configuration: $(h sluice show -j)"
grep -q '^max [1-9]' "$CG/memory.events" || fail "memory.max was never hit: $(cat "$CG/memory.events")"
grep -q '^oom_kill 0$' "$CG/memory.events" || fail "the OOM killer ran: $(cat "$CG/memory.events")"

h sluice backend add tcp $VIP4:80 10.1.1.2:8080 || fail "the same request from the root cgroup failed"
[ "$(svc_jq tcp $VIP4 '.backends | length')" = 1 ] || fail "backend not added: $(h sluice show -j)"

# A list that takes back a backend deleted with keep, whose connections
# live, and adds a new one, refused for memory: the deleted one stays
# deleted with its connections (show -j unchanged), and the same list from
# a cgroup with room brings it back with them as its load. A server on
# the host itself serves them (10.1.1.9 on lo, the VIP routed to a dummy).
ip -n "$NS_H" link set lo up
ip -n "$NS_H" addr add 10.1.1.9/32 dev lo
ip -n "$NS_H" link add vip0 type dummy
ip -n "$NS_H" link set vip0 up
ip -n "$NS_H" route add 10.96.0.0/16 dev vip0
h sl-server --id local --tcp 10.1.1.9:8080 --pid-file "$SL_TMP/local.pid" >"$SL_TMP/local.log" 2>&1 &
cleanup_add "kill $! 2>/dev/null"
wait_for 10 test -s "$SL_TMP/local.pid" || fail "the local server did not start: $(cat "$SL_TMP/local.log")"
h sluice backend del tcp $VIP4:80 10.1.1.2:8080 || fail "backend del"
h sluice backend add tcp $VIP4:80 10.1.1.9:8080 || fail "backend add of the local server"
h sl-client -n 2 --concurrent 2 --timeout 10 --hold-until-file "$SL_TMP/release" \
	--ready-file "$SL_TMP/ready" $VIP4:80 >"$SL_TMP/held" 2>"$SL_TMP/held.err" &
HELD=$!
cleanup_add "kill $HELD 2>/dev/null"
wait_for 30 test -e "$SL_TMP/ready" || fail "held connections not ready: $(cat "$SL_TMP/held.err")"
h sluice backend del tcp $VIP4:80 10.1.1.9:8080 || fail "backend del (keep) of the local server"
expect_eq "live connections of the deleted backend" "$(svc_be_live_deleted tcp $VIP4 10.1.1.9)" 2
SNAP=$(h sluice show -j)
expect_fail "not enough memory for the service's scheduler table" \
	hc sluice backend add tcp $VIP4:80 10.1.1.9:8080 10.1.1.10:8080
[ "$(h sluice show -j)" = "$SNAP" ] || fail "the refused list changed the configuration: $(h sluice show -j)"
h sluice backend add tcp $VIP4:80 10.1.1.9:8080 10.1.1.10:8080 || fail "the list from the root cgroup failed"
expect_eq "live connections of the backend taken back" "$(svc_be_live tcp $VIP4 10.1.1.9)" 2
expect_eq "deleted backends once it is back" "$(svc_jq tcp $VIP4 '.deleted_backends | length')" 0
touch "$SL_TMP/release"
wait $HELD || fail "held connections failed: $(cat "$SL_TMP/held.err")"
log "a list refused for memory left the deleted backend and its 2 connections as they were"

# What a delete parks is freed without another request: 16,000 backends
# (2 MiB of them, and their table) added and deleted from a cgroup of
# their own leave less than 1 MiB charged to it (per-CPU charge caches)
# once their grace period has passed.
CG=$(cg_new parked)
base=$(cat "$CG/memory.current")
awk 'BEGIN { for (i = 0; i < 16000; i++) printf "10.8.%d.%d:80\n", i / 250, i % 250 + 1 }' >"$SL_TMP/list"
# shellcheck disable=SC2046
hc sluice backend add tcp 10.96.0.11:80 $(cat "$SL_TMP/list") || fail "16,000 backends added from a cgroup"
added=$(cat "$CG/memory.current")
[ $((added - base)) -ge $((2 * 1048576)) ] || fail "16,000 backends added: only $((added - base)) bytes charged to their cgroup"
# shellcheck disable=SC2046
hc sluice backend del tcp 10.96.0.11:80 $(cat "$SL_TMP/list") || fail "16,000 backends deleted"
freed() { [ "$(cat "$CG/memory.current")" -le $((base + 1048576)) ]; }
wait_for 20 freed || fail "16,000 backends deleted: $(cat "$CG/memory.current") bytes still charged (before: $base, added: $added)"
log "16,000 backends added and deleted: charged $base, $added, then $(cat "$CG/memory.current") bytes"
