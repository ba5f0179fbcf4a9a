#!/bin/sh
# Unloading the module while cgroup entries exist and traffic flows leaves
# nothing behind: rmmod succeeds, the hooks stop (traffic goes on), a new
# load starts with no entries. The runner then checks the kernel log and,
# on the debug kernel, kmemleak.
# timeout: 60
. /selftests/lib.sh
ensure_module
world_setup
container_new 1 p/a
sluice cgroup set "$CG_TOP/p" rate 20mbit || fail "cgroup set p"
sluice cgroup set "$CG_CT1" || fail "cgroup set p/a"
for i in $(seq 1 20); do
	sluice cgroup set "$(cg_new "many/$i")" rate ${i}mbit || fail "cgroup set many/$i"
done
bulk_recv 1 5001 r -u
in_ns "$NS_W" sl-bulk send -u --to 10.200.1.2:5001 --rate 50mbit --duration 6 >/dev/null 2>&1 &
wait_for 5 grep -q '^t=' "$SL_TMP/r.out" || fail "no traffic: $(cat "$SL_TMP/r.out")"
rmmod sluice || fail "rmmod with entries and traffic failed"
module_loaded && fail "still loaded"
# Traffic still flows, unlimited now.
t0=$(grep -c '^t=' "$SL_TMP/r.out")
wait_for 5 sh -c "[ \$(grep -c '^t=' $SL_TMP/r.out) -gt $t0 ]" || fail "traffic stopped after rmmod"
modprobe sluice || fail "reload"
expect_eq "entries after a reload" "$(sluice cgroup show -j | jq '.cgroups | length')" 0
