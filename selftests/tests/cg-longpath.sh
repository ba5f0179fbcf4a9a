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

# A container rooted at $CG_TOP, whose reader reads with a 4 KiB buffer
# (netlink then makes the dump's messages 4 KiB): the entry of a sibling
# of $CG_TOP, listed first, is not its to see, and the deep one (a
# 4,016-byte path from the container's root) fits no message. The dump
# must fail with EMSGSIZE, not end as an empty one.
O=$CG_TOP-o
mkdir "$O" || fail "mkdir $O"
cleanup_add "rmdir $O"
sluice cgroup set "$O" || fail "cgroup set $O"
out=$(in_cg "$CG_TOP" /usr/bin/unshare --user --map-root-user --net --cgroup \
	sl-genl --bufsize 4096 --dump 12 2>&1)
log "a container's dump read 4 KiB at a time: $out"
case $out in
"error 90: "*) ;;
*) fail "a container's dump with an entry too big for the reader's messages: '$out', not EMSGSIZE" ;;
esac
with16=$(in_cg "$CG_TOP" /usr/bin/unshare --user --map-root-user --net --cgroup \
	sl-genl --dump 12 2>&1)
expect_eq "the same read with libnl's 16 KiB" "$with16" "ok 2 messages"

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
