#!/bin/sh
# Unloading the module while cgroup entries exist and traffic flows leaves
# nothing behind: rmmod succeeds, the hooks stop (traffic goes on, no
# longer held to the 4 Mbit/s of its parent: 16 Mbit/s are sent, more
# than 6 arrive), a new load starts with no entries. The runner then checks the kernel log and,
# on the debug kernel, kmemleak.
# timeout: 60
. /selftests/lib.sh
ensure_module
world_setup
container_new 1 p/a
sluice cgroup set "$CG_TOP/p" rate 4mbit || fail "cgroup set p"
sluice cgroup set "$CG_CT1" || fail "cgroup set p/a"
for i in $(seq 1 20); do
	sluice cgroup set "$(cg_new "many/$i")" rate ${i}mbit || fail "cgroup set many/$i"
done
bulk_recv 1 5001 r -u
in_ns "$NS_W" sl-bulk send -u --to 10.200.1.2:5001 --rate 16mbit --duration 12 >/dev/null 2>&1 &
wait_for 5 grep -q '^t=' "$SL_TMP/r.out" || fail "no traffic: $(cat "$SL_TMP/r.out")"
rmmod sluice || fail "rmmod with entries and traffic failed"
module_loaded && fail "still loaded"
# Traffic still flows, unlimited now: the receiver's rate over the two
# seconds after the first whole second past rmmod.
t0=$(awk -F'[= ]' '/^t=/ { t = $2 } END { printf "%d", t + 1 }' "$SL_TMP/r.out")
wait_for 8 awk -F'[= ]' -v e=$((t0 + 2)) '/^t=/ && $2 >= e { f = 1 } END { exit !f }' "$SL_TMP/r.out" ||
	fail "traffic stopped after rmmod: $(tail -3 "$SL_TMP/r.out")"
after=$(bulk_mbit r $t0 $((t0 + 2)))
log "after rmmod: $after Mbit/s of payload (t $t0-$((t0 + 2)) s)"
awk -v v="$after" 'BEGIN { exit !(v > 0) }' || fail "nothing received after rmmod: $(tail -4 "$SL_TMP/r.out")"
expect_ge "the rate after rmmod, Mbit/s (above the 4 Mbit/s limit the module held)" "$after" 6
modprobe sluice || fail "reload"
expect_eq "entries after a reload" "$(sluice cgroup show -j | jq '.cgroups | length')" 0
