#!/bin/sh
# Cgroup entries are the host's, but a container sees only its own. Root
# of a container (its own user, network and cgroup namespaces, here
# rooted at ct) may read entries (CAP_NET_ADMIN in its own network
# namespace), but only those in its cgroup namespace, named from its
# root as its cgroupfs names them, an entry's parent outside it shown as
# none; it may not read another's (`cgroup show PATH`: no entry), and it
# gets no removal events, which name host cgroups. The host sees them all
# (Documentation/ingress.md).
# timeout: 60
. /selftests/lib.sh
ensure_module
mkdir -p "$CG_TOP" || fail "cannot create $CG_TOP"
cleanup_add "cg_rmtree $CG_TOP"
REL=${CG_TOP#/sys/fs/cgroup}
A=$(cg_new ct/a)
B=$(cg_new other)
for c in "$CG_TOP/ct" "$A" "$B"; do sluice cgroup set "$c" rate 100mbit || fail "cgroup set $c"; done
sluice cgroup set "$CG_TOP" || fail "cgroup set $CG_TOP"
# inct CMD...: CMD as root of the container, rooted at ct.
inct() { in_cg "$CG_TOP/ct" /usr/bin/unshare --user --map-root-user --net --cgroup "$@"; }

host=$(sluice cgroup show -j | jq -r '[.cgroups[].path] | sort | join(" ")')
expect_eq "entries the host sees" "$host" "$REL $REL/ct $REL/ct/a $REL/other"
out=$(inct sluice cgroup show -j 2>&1) || fail "show in the container: $out"
log "the container sees: $(echo "$out" | jq -c '[.cgroups[] | {path, id, parent_id}]')"
expect_eq "entries the container sees" "$(echo "$out" | jq -r '[.cgroups[].path] | sort | join(" ")')" "/ /a"
expect_eq "the parent of the container's root entry (outside it)" \
	"$(echo "$out" | jq -r '.cgroups[] | select(.path == "/") | .parent_id')" 0
expect_eq "the parent of /a" "$(echo "$out" | jq -r '.cgroups[] | select(.path == "/a") | .parent_id')" \
	"$(stat -c %i "$CG_TOP/ct")"
# Another's entry, asked for by its cgroupfs path (the host's cgroupfs is
# still mounted in the container): refused, as no entry (the CLI found the
# path's cgroup and read the container's dump, which does not have it),
# not for anything the CLI met before that.
out=$(inct sluice cgroup show "$B" 2>&1) && fail "the container read another's entry: $out"
expect_eq "the container asking for another's entry" "$out" "sluice: $B: the cgroup has no entry"
log "another's entry: $out"

# Removal events: the host's listener gets them, the container's not.
sluice monitor >"$SL_TMP/host.mon" 2>&1 &
cleanup_add "kill $! 2>/dev/null"
inct sluice monitor >"$SL_TMP/ct.mon" 2>&1 &
cleanup_add "kill $! 2>/dev/null"
wait_for 10 grep -q listening "$SL_TMP/host.mon" || fail "host monitor did not start: $(cat "$SL_TMP/host.mon")"
wait_for 10 grep -q listening "$SL_TMP/ct.mon" || fail "container monitor did not start: $(cat "$SL_TMP/ct.mon")"
rmdir "$B" || fail "rmdir $B"
wait_for 5 grep -q "cgroup-removed $REL/other" "$SL_TMP/host.mon" ||
	fail "no removal event on the host: $(cat "$SL_TMP/host.mon")"
sleep 1
grep -q "cgroup-removed" "$SL_TMP/ct.mon" && fail "the container got the host's event: $(cat "$SL_TMP/ct.mon")"
log "container's monitor: $(tr '\n' ' ' <"$SL_TMP/ct.mon")"
