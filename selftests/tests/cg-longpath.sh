#!/bin/sh
# A cgroup whose path is longer than a netlink message's usual size
# (NLMSG_GOODSIZE, a page less the skb's overhead: about 3,800 bytes) is
# shown whole by the dump (`sluice cgroup show`), answered by a GET of its
# own, and named whole in its removal event: 16 levels of 250-byte names,
# a path of 4,000-odd bytes (cgroupfs takes up to PATH_MAX). (A message
# sized NLMSG_GOODSIZE would not hold it but for its skb's rounding up to
# the 8 KiB slab; the module sizes them for PATH_MAX.)
# timeout: 60
. /selftests/lib.sh
ensure_module
mkdir -p "$CG_TOP" || fail "cannot create $CG_TOP"
cleanup_add "cg_rmtree $CG_TOP"
n=$(printf '%0250d' 0 | tr 0 n)
deep=$CG_TOP
for i in $(seq 16); do deep=$deep/$n; done
mkdir -p "$deep" || fail "mkdir of a ${#deep}-byte path"
rel=${deep#/sys/fs/cgroup}
log "a cgroup path of ${#rel} bytes"
sluice cgroup set "$deep" rate 10mbit || fail "cgroup set"

out=$(sluice cgroup show -j "$deep" 2>&1) || fail "cgroup show PATH: $out"
expect_eq "the path shown" "$(echo "$out" | jq -r '.cgroups[0].path')" "$rel"
expect_eq "its rate" "$(echo "$out" | jq '.cgroups[0].rate')" 10000000
# SLUICE_CMD_CGROUP_GET (12) of its SLUICE_A_CGROUP (6) SLUICE_CG_A_ID (1).
out=$(sl-genl 12 6:nest 1:u64:$(stat -c %i "$deep") end) || fail "GET: $out"
expect_eq "GET's reply" "$out" "ok 1 messages"

sluice monitor -j >"$SL_TMP/mon.json" 2>"$SL_TMP/mon.err" &
cleanup_add "kill $! 2>/dev/null"
wait_for 10 grep -q listening "$SL_TMP/mon.err" || fail "monitor -j did not start: $(cat "$SL_TMP/mon.err")"
id=$(stat -c %i "$deep")
rmdir "$deep" || fail "rmdir"
event() {
	jq -e --argjson id "$id" --arg p "$rel" \
		'select(.event == "cgroup-removed" and .id == $id and .path == $p)' \
		"$SL_TMP/mon.json" >/dev/null
}
wait_for 10 event || fail "no removal event naming the whole path: $(head -c 300 "$SL_TMP/mon.json"); $(dmesg | grep sluice | tail -3)"
log "GET, dump and removal event name the whole ${#rel}-byte path"
