#!/bin/sh
# What the CLI prints of cgroup entries. A cgroup's name may hold any byte
# but '/' and NUL: one with an escape sequence, a backslash, a byte that
# is not UTF-8, a right-to-left override (U+202E, which makes a terminal
# show what follows reversed), a zero width space (U+200B: "/web" and
# "/web<ZWSP>" look the same) and a language tag (U+E0001, invisible, past
# U+FFFF) shows escaped in text (cgroup show, top, monitor: \x1b, \\, \xff,
# \xe2\x80\xae, \xe2\x80\x8b, \xf3\xa0\x80\x81, no raw control byte) and
# as valid UTF-8 in JSON (\u001b, \ufffd, \u202e, \u200b, \udb40\udc01).
# A path longer than 511 bytes is shown whole; `cgroup show PATH` shows
# PATH's subtree. The unattributed counts are left out if the module does
# not send them. top gives no rate, rather than an absurd one, to an
# entry deleted and created again between two refreshes (its counters went
# back). Output that cannot be written fails.
# timeout: 90
. /selftests/lib.sh
ensure_module
world_setup
container_new 1 web
REL=${CG_TOP#/sys/fs/cgroup}
ESC=$(printf '\033') BAD=$(printf '\377') RLO=$(printf '\342\200\256')
ZWSP=$(printf '\342\200\213') TAG=$(printf '\363\240\200\201')

# no_raw FILE: FILE holds neither ESC nor the byte 0xff, nor 0xe2 (the
# first of U+202E's and U+200B's three, and of no other character of the
# output), nor 0xf3 (the first of U+E0001's four).
no_raw() {
	[ "$(tr -d "$ESC$BAD$(printf '\342\363')" <"$1" | wc -c)" = "$(wc -c <"$1")" ] ||
		fail "raw control or non-UTF-8 bytes in $1: $(od -c "$1" | head -20)"
}

weird="$CG_TOP/e${ESC}[31mx\\${BAD}y${RLO}z${ZWSP}w${TAG}v"
mkdir "$weird" || fail "mkdir of a weird name"
sluice cgroup set "$weird" || fail "cgroup set of a weird name"
TEXT='e\x1b[31mx\\\xffy\xe2\x80\xaez\xe2\x80\x8bw\xf3\xa0\x80\x81v'
JSON='e\u001b[31mx\\\ufffdy\u202ez\u200bw\udb40\udc01v"'

sluice cgroup show >"$SL_TMP/show.txt" || fail "cgroup show"
no_raw "$SL_TMP/show.txt"
grep -qF "$REL/$TEXT  rate none" "$SL_TMP/show.txt" || fail "cgroup show: $(cat "$SL_TMP/show.txt")"
sluice -j cgroup show >"$SL_TMP/show.json" || fail "cgroup show -j"
no_raw "$SL_TMP/show.json"
jq -e .cgroups "$SL_TMP/show.json" >/dev/null || fail "not JSON: $(cat "$SL_TMP/show.json")"
grep -qF "\"path\":\"$REL/$JSON" "$SL_TMP/show.json" || fail "cgroup show -j: $(cat "$SL_TMP/show.json")"
sluice top -b -n 1 -d 0.1 >"$SL_TMP/top.txt" || fail "top"
no_raw "$SL_TMP/top.txt"
grep -qF "$REL/$TEXT " "$SL_TMP/top.txt" || fail "top: $(cat "$SL_TMP/top.txt")"
sluice -j top -n 1 -d 0.1 >"$SL_TMP/top.json" || fail "top -j"
no_raw "$SL_TMP/top.json"
grep -qF "\"path\":\"$REL/$JSON" "$SL_TMP/top.json" || fail "top -j: $(cat "$SL_TMP/top.json")"
log "escaped: $(grep -F "$TEXT" "$SL_TMP/show.txt")"

# The removal event, in text and JSON.
sluice monitor >"$SL_TMP/mon.txt" 2>&1 &
cleanup_add "kill $! 2>/dev/null"
sluice monitor -j >"$SL_TMP/mon.json" 2>"$SL_TMP/mon.json.err" &
cleanup_add "kill $! 2>/dev/null"
wait_for 10 grep -q listening "$SL_TMP/mon.txt" || fail "monitor did not start: $(cat "$SL_TMP/mon.txt")"
wait_for 10 grep -q listening "$SL_TMP/mon.json.err" || fail "monitor -j did not start: $(cat "$SL_TMP/mon.json.err")"
rmdir "$weird" || fail "rmdir"
wait_for 5 grep -qF "cgroup-removed $REL/$TEXT id" "$SL_TMP/mon.txt" ||
	fail "no escaped removal event: $(cat "$SL_TMP/mon.txt")"
no_raw "$SL_TMP/mon.txt"
wait_for 5 grep -qF "\"path\":\"$REL/$JSON" "$SL_TMP/mon.json" ||
	fail "no JSON removal event: $(cat "$SL_TMP/mon.json")"
no_raw "$SL_TMP/mon.json"
jq -e . "$SL_TMP/mon.json" >/dev/null || fail "monitor -j: not JSON: $(cat "$SL_TMP/mon.json")"

# A path past 511 bytes, whole; PATH's subtree.
l=$(printf '%0200d' 7)
sluice cgroup set "$(cg_new "$l")" || fail "cgroup set $l"
long=$(cg_new "$l/$l/$l")
sluice cgroup set "$long" || fail "cgroup set of a long path"
expect_eq "long path" \
	"$(sluice -j cgroup show | jq -r --argjson id "$(stat -c %i "$long")" '.cgroups[] | select(.id == $id) | .path')" \
	"${long#/sys/fs/cgroup}"
sluice cgroup show | grep -qF "${long#/sys/fs/cgroup}  rate" || fail "text: no long path: $(sluice cgroup show)"
expect_eq "the subtree of $l" "$(sluice -j cgroup show "$CG_TOP/$l" | jq -c '[.cgroups[] | .path | length]')" \
	"[$((${#REL} + 201)),$((${#REL} + 603))]"

# The unattributed packets are shown as the module reports them, and not
# at all if it does not (before the fix: zeros, as if measured).
sluice -j cgroup show | jq -e '.unattributed.packets >= 0' >/dev/null ||
	fail "no unattributed counts: $(sluice -j cgroup show)"
sluice cgroup show | grep -q '^unattributed (this network namespace): rx ' ||
	fail "no unattributed line: $(sluice cgroup show)"
# without_unattr J: cgroup show (-j if J) with the counts taken out of the reply
without_unattr() {
	rm -f "$SL_TMP/mangled"
	LD_PRELOAD=/usr/lib/sluice/sl-mangle.so SL_MANGLE=no-unattributed \
		SL_MANGLE_LOG="$SL_TMP/mangled" sluice $1 cgroup show >"$SL_TMP/nounattr" ||
		fail "cgroup show $1 without the unattributed counts failed"
	[ -s "$SL_TMP/mangled" ] || fail "sl-mangle.so took nothing out"
}
without_unattr -j
jq -e '(has("unattributed") | not) and (.cgroups | length > 0)' "$SL_TMP/nounattr" >/dev/null ||
	fail "cgroup show -j without the counts: $(cat "$SL_TMP/nounattr")"
without_unattr ""
grep -q '^unattributed' "$SL_TMP/nounattr" && fail "cgroup show without the counts: $(cat "$SL_TMP/nounattr")"
grep -qF "${long#/sys/fs/cgroup}  rate" "$SL_TMP/nounattr" || fail "cgroup show without the counts: $(cat "$SL_TMP/nounattr")"

# top: an entry deleted and created again between two refreshes has no
# rate for that interval (before the fix, its counters going back showed
# as about 10^19 bit/s).
web=$CG_TOP/web
sluice cgroup set "$web" || fail "cgroup set web"
bulk_recv 1 5001 r -u
in_ns "$NS_W" sl-bulk send -u --to 10.200.1.2:5001 --rate 10mbit --duration 1 >/dev/null 2>&1 ||
	fail "sender"
[ "$(cg_stat "$web" bytes)" -gt 100000 ] || fail "web received too little: $(cg_stat "$web" bytes)"
# Its second refresh must come after both requests: 3 s, 10 on the KASAN
# kernel, where they took more than 3 s on a loaded host.
d=3
[ -n "$SANITIZED" ] && d=10
u0=$(cut -d' ' -f1 /proc/uptime)
sluice -j top -d $d -n 2 >"$SL_TMP/top2.json" 2>&1 &
TOP=$!
cleanup_add "kill $TOP 2>/dev/null"
wait_for $((d + 10)) test -s "$SL_TMP/top2.json" || fail "no first refresh"
sluice cgroup del "$web" && sluice cgroup set "$web" || fail "web deleted and set again"
u1=$(cut -d' ' -f1 /proc/uptime)
wait $TOP || fail "top: $(cat "$SL_TMP/top2.json")"
expect_eq "refreshes" "$(wc -l <"$SL_TMP/top2.json")" 2
# The second refresh read the counters no sooner than $d s after the
# first (t, seconds since top started, which was after u0): the entry
# was new by then, or nothing was tested.
t1=$(head -n 1 "$SL_TMP/top2.json" | jq .t)
awk -v u0="$u0" -v u1="$u1" -v t1="$t1" -v d=$d 'BEGIN { exit !(u1 + 0.01 <= u0 + t1 + d) }' ||
	fail "web was deleted and set again at $u1 s, after top's second refresh (at $u0 + $t1 + $d s or later): nothing tested"
expect_eq "bits/s of web after it came back" \
	"$(tail -n 1 "$SL_TMP/top2.json" | jq --arg p "$REL/web" '.cgroups[] | select(.path == $p) | .bps')" 0

# Output that cannot be written.
out=$(sluice -j cgroup show 2>&1 >/dev/full) && fail "cgroup show -j to a full disk succeeded"
echo "$out" | grep -q "cannot write the output: No space left on device" || fail "cgroup show -j >/dev/full: $out"
out=$(sluice cgroup show 2>&1 >/dev/full) && fail "cgroup show to a full disk succeeded"
log "to a full disk: $out"
# top flushes each refresh itself: the reason must survive to the end.
for j in "" -j; do
	out=$(sluice $j top -b -n 1 2>&1 >/dev/full) && fail "top $j to a full disk succeeded"
	echo "$out" | grep -q "cannot write the output: No space left on device" || fail "top $j >/dev/full: $out"
done
exit 0
